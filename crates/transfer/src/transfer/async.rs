//! The async half of transfers: `tokio::fs` on the local side, `buffer_unordered` for the
//! files in flight, everything inside the caller's future.

use std::collections::HashMap;
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, ready};

use bytes::{Bytes, BytesMut};
use futures::{Stream, StreamExt};
use remote_store_async::{AsyncContent, AsyncStore};
use remote_store_core::{ContentDigest, Error, ErrorKind, ListOptions, Result, WriteOptions};
use tokio::io::AsyncWriteExt;
use tokio_util::io::ReaderStream;

use super::{
    Action, CHUNK, Done, LocalKind, Meta, Meter, Pinned, PlannedFile, TransferOptions,
    TransferReport, WrittenCheck, cancelled, caused_by_cancel, chunk_hint, copied, download_target,
    dry_report, file_destination_error, file_not_folder, finish, first_part_error, io_error,
    is_absent, is_folder_spelling, local_existing, local_kind, local_path, make_plan,
    may_be_same_file, may_range, missing_source, normalize, open_in_place, parent_of,
    part_complete, part_error, part_ranges, part_size, persist, read_small, refuse_same_file,
    relative_to, report, special_source, store_key, temp_beside, tracker, walk_local, without_io,
    write_at, write_local,
};
use crate::batch::r#async::run_stream;
use crate::integrity::r#async::digest;
use crate::progress::Tracker;

impl<S, E> Stream for Meter<'_, S>
where
    S: Stream<Item = std::result::Result<Bytes, E>> + Unpin,
    E: From<Error>,
{
    type Item = std::result::Result<Bytes, E>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        // As in the blocking half: once the cancel flag is set, the next chunk is an error,
        // so the write in progress fails and cleans up after itself.
        if let Err(e) = self.tracker.check() {
            return Poll::Ready(Some(Err(e.into())));
        }
        let item = ready!(self.inner.poll_next_unpin(cx));
        if let Some(Ok(chunk)) = &item {
            self.saw(chunk);
        }
        Poll::Ready(item)
    }
}

/// One file of a run, as `sync::run` does it: settled without I/O where the plan allows,
/// else its bytes moved by `copy` unless the transfer was cancelled first; a file stopped
/// by the cancel flag fails with whatever its store made of the meter's error, so it is
/// reported as the cancellation it was. (`copy` is a future: it does nothing unless
/// awaited.)
async fn run_file(
    file: &PlannedFile,
    tracker: &Tracker,
    copy: impl std::future::Future<Output = Done>,
) -> Done {
    let done = match without_io(file) {
        Some(done) => done,
        None => {
            let stopped = || cancelled().with_path(file.destination.clone());
            if tracker.cancelled() {
                Err(stopped())
            } else {
                tracker.file_started(&file.relative, file.size);
                copy.await
                    .map_err(|e| if caused_by_cancel(&e) { stopped() } else { e })
            }
        }
    };
    finish(tracker, file, done)
}

/// Runs blocking local file-system work on tokio's blocking pool.
async fn blocking<T: Send + 'static>(f: impl FnOnce() -> Result<T> + Send + 'static) -> Result<T> {
    tokio::task::spawn_blocking(f).await.map_err(|e| {
        Error::new(ErrorKind::Other)
            .with_message(format!("a blocking file-system task failed: {e}"))
    })?
}

/// The files under a store path (a tree) or the file at it; with `folder` (the caller wrote
/// `src/`) always the tree, also where a file has the same name as the folder.
async fn store_sources(
    store: &AsyncStore,
    src: &str,
    folder: bool,
) -> Result<(bool, Vec<(String, Meta)>)> {
    if !folder && !src.is_empty() && store.is_file(src).await? {
        let info = store.get_file_info(src).await?;
        return Ok((false, vec![(String::new(), Meta::of(&info))]));
    }
    let mut files = Vec::new();
    let mut listing = store.list_files_with(src, ListOptions::subtree())?;
    while let Some(info) = listing.next().await {
        let info = info?;
        files.push((relative_to(src, &info.path), Meta::of(&info)));
    }
    // (`src/` naming a file lists nothing: that is no folder, not an empty one.)
    if files.is_empty() && !store.is_folder(src).await? {
        let file = folder && !src.is_empty() && store.is_file(src).await?;
        return Err(if file {
            file_not_folder(src)
        } else {
            missing_source(src)
        });
    }
    Ok((true, files))
}

/// What already exists at a store destination, by relative path.
async fn store_existing(
    store: &AsyncStore,
    dst: &str,
    tree: bool,
) -> Result<HashMap<String, Meta>> {
    let mut out = HashMap::new();
    if !tree {
        match store.get_file_info(dst).await {
            Ok(info) => {
                out.insert(String::new(), Meta::of(&info));
            }
            Err(e) if is_absent(&e) => {}
            Err(e) => return Err(file_destination_error(e, dst)),
        }
        return Ok(out);
    }
    let mut listing = match store.list_files_with(dst, ListOptions::subtree()) {
        Ok(l) => l,
        Err(e) if is_absent(&e) => return Ok(out),
        Err(e) => return Err(e),
    };
    while let Some(info) = listing.next().await {
        let info = match info {
            Ok(i) => i,
            // A folder that vanished while being listed holds nothing; the rest of the
            // listing still counts (stopping here took every later file for absent).
            Err(e) if is_absent(&e) => continue,
            Err(e) => return Err(e),
        };
        out.insert(relative_to(dst, &info.path), Meta::of(&info));
    }
    Ok(out)
}

async fn store_write(
    store: &AsyncStore,
    file: &PlannedFile,
    content: AsyncContent<'_>,
    opts: &TransferOptions,
) -> Result<()> {
    let wopts = WriteOptions::new().overwrite(file.action == Action::Overwrite);
    if opts.atomic {
        store
            .write_atomic_with(&file.destination, content, wopts)
            .await?;
    } else {
        store.write_with(&file.destination, content, wopts).await?;
    }
    Ok(())
}

async fn store_check(
    store: &AsyncStore,
    file: &PlannedFile,
    opts: &TransferOptions,
) -> Result<Option<ContentDigest>> {
    match opts.verify {
        Some(alg) => Ok(Some(digest(store, &file.destination, alg).await?)),
        None => Ok(None),
    }
}

async fn upload_file(
    base: &Path,
    store: &AsyncStore,
    file: &PlannedFile,
    opts: &TransferOptions,
    tracker: &Tracker,
) -> Done {
    let path = local_path(base, &file.relative);
    if may_be_same_file(file, store.name()) {
        let (native, local) = (store.native_path(&file.destination), path.clone());
        let file = file.clone();
        blocking(move || refuse_same_file(native, &local, &file)).await?;
    }
    // A small file: read whole in one blocking task, written as one body — unless it has
    // grown since it was listed.
    let small = if file.size <= CHUNK as u64 {
        let p = path.clone();
        blocking(move || read_small(&p)).await?
    } else {
        None
    };
    if let Some(data) = small {
        let data = Bytes::from(data);
        let mut meter = Meter::new((), tracker, &file.relative, opts.verify);
        meter.saw(&data);
        store_write(store, file, AsyncContent::from(data), opts).await?;
        let actual = store_check(store, file, opts).await?;
        return copied(meter.bytes, meter.digest(), actual, &file.destination);
    }
    let source = tokio::fs::File::open(&path)
        .await
        .map_err(|e| io_error(e, &path))?;
    let mut meter = Meter::new(
        ReaderStream::with_capacity(source, CHUNK),
        tracker,
        &file.relative,
        opts.verify,
    );
    store_write(store, file, AsyncContent::chunks(&mut meter), opts).await?;
    let actual = store_check(store, file, opts).await?;
    copied(meter.bytes, meter.digest(), actual, &file.destination)
}

async fn download_file(
    store: &AsyncStore,
    base: &Path,
    file: &PlannedFile,
    opts: &TransferOptions,
    tracker: &Tracker,
) -> Done {
    let target = download_target(base, &file.relative)?;
    if may_be_same_file(file, store.name()) {
        let (native, local) = (store.native_path(&file.source), target.clone());
        let file = file.clone();
        blocking(move || refuse_same_file(native, &local, &file)).await?;
    }
    let overwrite = file.action == Action::Overwrite;
    if let Some(pinned) = ranged_pin(store, file, opts).await? {
        download_ranged(store, file, &target, overwrite, &pinned, opts, tracker).await?;
        return copied(pinned.size, None, None, &file.destination);
    }
    let reader = store.read(&file.source).await?;
    let mut meter = Meter::new(reader, tracker, &file.relative, opts.verify);
    // Collect up to one chunk: a body that ends within it (every small file) is written
    // by one blocking task; a longer one streams, starting with what was collected.
    let mut head = BytesMut::with_capacity(chunk_hint(file.size));
    let mut ended = false;
    while head.len() < CHUNK {
        match meter.next().await {
            Some(chunk) => head.extend_from_slice(&chunk?),
            None => {
                ended = true;
                break;
            }
        }
    }
    if ended {
        let (to, atomic) = (target.clone(), opts.atomic);
        let check = WrittenCheck::new(opts.verify, meter.digest(), &file.destination);
        blocking(move || write_local(&to, &head, atomic, overwrite, &check)).await?;
    } else {
        let parent = parent_of(&target);
        tokio::fs::create_dir_all(&parent)
            .await
            .map_err(|e| io_error(e, &parent))?;
        if opts.atomic {
            let dir = parent.clone();
            let temp = blocking(move || temp_beside(&dir)).await?;
            // The temp path deletes the file when dropped: a failed or dropped download
            // leaves nothing behind.
            let (std_file, temp_path) = temp.into_parts();
            let mut out = tokio::fs::File::from_std(std_file);
            pump(&mut meter, head, &mut out, &target).await?;
            drop(out);
            let to = target.clone();
            let check = WrittenCheck::new(opts.verify, meter.digest(), &file.destination);
            blocking(move || {
                check.run(&temp_path)?;
                persist(temp_path, &to, overwrite)
            })
            .await?;
        } else {
            let mut out = tokio::fs::OpenOptions::from(open_in_place(overwrite))
                .open(&target)
                .await
                .map_err(|e| io_error(e, &target))?;
            pump(&mut meter, head, &mut out, &target).await?;
            let to = target.clone();
            let check = WrittenCheck::new(opts.verify, meter.digest(), &file.destination);
            blocking(move || check.run(&to)).await?;
        }
    }
    // Checked above, before the written file replaced anything.
    copied(meter.bytes, meter.digest(), None, &file.destination)
}

/// The version a download of `file` is pinned to when it goes in ranged parts (`None`: it
/// streams whole). Asks the store for the file's info only when the planned size and the
/// store's capabilities allow parts; the size and etag then come from that answer.
async fn ranged_pin(
    store: &AsyncStore,
    file: &PlannedFile,
    opts: &TransferOptions,
) -> Result<Option<Pinned>> {
    if !may_range(file, opts, |c| store.supports(c)) {
        return Ok(None);
    }
    Ok(Pinned::of(&store.get_file_info(&file.source).await?, opts))
}

/// Downloads `file` in ranged parts, `parts_in_flight` at once inside this future, each
/// written at its offset in a temp file renamed into place (ranged downloads are atomic
/// only, see `wants_ranged`). A failure or a drop drops the temp
/// path, which deletes the temp file.
async fn download_ranged(
    store: &AsyncStore,
    file: &PlannedFile,
    target: &Path,
    overwrite: bool,
    pinned: &Pinned,
    opts: &TransferOptions,
    tracker: &Tracker,
) -> Result<()> {
    let (dir, size) = (parent_of(target), pinned.size);
    // One blocking hop: the folder, the temp file beside the target and its final size.
    let (out, temp_path) = blocking(move || {
        std::fs::create_dir_all(&dir).map_err(|e| io_error(e, &dir))?;
        let (out, temp_path) = temp_beside(&dir)?.into_parts();
        out.set_len(size).map_err(|e| io_error(e, &temp_path))?;
        Ok((Arc::new(out), temp_path))
    })
    .await?;
    let parts = part_ranges(pinned.size, part_size(opts));
    let results = run_stream(&parts, opts.parts_in_flight, true, |range| {
        fetch_part(store, file, &out, target, pinned, range, tracker)
    })
    .await;
    first_part_error(results)?;
    drop(out);
    let to = target.to_path_buf();
    blocking(move || persist(temp_path, &to, overwrite)).await
}

/// Reads one part `if_match` the pinned etag and writes it at its offset, gathering its
/// chunks into writes of at least [`CHUNK`] bytes, one blocking task each.
async fn fetch_part(
    store: &AsyncStore,
    file: &PlannedFile,
    out: &Arc<std::fs::File>,
    target: &Path,
    pinned: &Pinned,
    range: &Range<u64>,
    tracker: &Tracker,
) -> Result<()> {
    let mut body = store
        .read_with(&file.source, pinned.read_options(range.clone()))
        .await
        .map_err(|e| part_error(&file.source, e))?;
    let mut buf = BytesMut::new();
    let mut offset = range.start;
    let mut got = 0u64;
    while let Some(chunk) = body.next().await {
        tracker.check()?;
        let chunk = chunk.map_err(|e| part_error(&file.source, e))?;
        got += chunk.len() as u64;
        if got > range.end - range.start {
            return part_complete(&file.source, range, got);
        }
        tracker.bytes(&file.relative, chunk.len() as u64);
        buf.extend_from_slice(&chunk);
        if buf.len() >= CHUNK {
            offset = write_part(out, buf.split().freeze(), offset, target).await?;
        }
    }
    if !buf.is_empty() {
        write_part(out, buf.freeze(), offset, target).await?;
    }
    part_complete(&file.source, range, got)
}

/// Writes `data` at `offset` in one blocking task; returns the offset after it.
async fn write_part(
    out: &Arc<std::fs::File>,
    data: Bytes,
    offset: u64,
    target: &Path,
) -> Result<u64> {
    let end = offset + data.len() as u64;
    let (out, to) = (Arc::clone(out), target.to_path_buf());
    blocking(move || write_at(&out, &data, offset).map_err(|e| io_error(e, &to))).await?;
    Ok(end)
}

/// Writes `buf` and then every chunk of `source` to `out`, gathering chunks into writes of
/// at least [`CHUNK`] bytes (each `tokio::fs` write is a hop to the blocking pool, and a
/// network body arrives in frames of a few KiB): a source error is the store's, a write
/// error is `path`'s.
async fn pump(
    source: &mut (impl Stream<Item = Result<Bytes>> + Unpin),
    mut buf: BytesMut,
    out: &mut tokio::fs::File,
    path: &Path,
) -> Result<()> {
    while let Some(chunk) = source.next().await {
        buf.extend_from_slice(&chunk?);
        if buf.len() >= CHUNK {
            out.write_all(&buf).await.map_err(|e| io_error(e, path))?;
            buf.clear();
        }
    }
    if !buf.is_empty() {
        out.write_all(&buf).await.map_err(|e| io_error(e, path))?;
    }
    out.flush().await.map_err(|e| io_error(e, path))
}

async fn between_file(
    src: &AsyncStore,
    dst: &AsyncStore,
    file: &PlannedFile,
    opts: &TransferOptions,
    tracker: &Tracker,
) -> Done {
    if may_be_same_file(file, dst.name()) && src.name() == dst.name() {
        let source = PathBuf::from(src.native_path(&file.source)?);
        let native = dst.native_path(&file.destination);
        let file = file.clone();
        blocking(move || refuse_same_file(native, &source, &file)).await?;
    }
    let reader = src.read(&file.source).await?;
    let mut meter = Meter::new(reader, tracker, &file.relative, opts.verify);
    let body = AsyncContent::chunks((&mut meter).map(|c| c.map_err(Error::into_io)));
    store_write(dst, file, body, opts).await?;
    let actual = store_check(dst, file, opts).await?;
    copied(meter.bytes, meter.digest(), actual, &file.destination)
}

/// Async version of `sync::upload`.
///
/// Local files are read with `tokio::fs` (so this needs a tokio runtime with its blocking
/// pool); the files in flight run inside the returned future, no task is spawned.
///
/// # Errors
/// As `sync::upload`.
///
/// # Cancel safety
/// Dropping the future cancels every file in flight and starts no more. With the default
/// atomic writes, a file whose write was cancelled leaves no object and no temp artefact
/// (the store's `write_atomic` guarantee); files already finished stay.
pub async fn upload(
    local: impl AsRef<Path>,
    store: &AsyncStore,
    dst: impl AsRef<str>,
) -> Result<TransferReport> {
    upload_with(local, store, dst, &TransferOptions::new()).await
}

/// Async version of `sync::upload_with`.
///
/// # Errors
/// As `sync::upload`.
///
/// # Cancel safety
/// As [`upload`].
pub async fn upload_with(
    local: impl AsRef<Path>,
    store: &AsyncStore,
    dst: impl AsRef<str>,
    opts: &TransferOptions,
) -> Result<TransferReport> {
    let local = local.as_ref().to_path_buf();
    let dst = normalize(dst.as_ref())?;
    let root = local.clone();
    let (tree, sources) = blocking(move || {
        Ok(match local_kind(&root)? {
            LocalKind::File(len) => (false, vec![(String::new(), Meta::local(len))]),
            LocalKind::Dir => (true, walk_local(&root)?),
            LocalKind::Missing => return Err(missing_source(&root.display().to_string())),
            LocalKind::Special => return Err(special_source(&root)),
        })
    })
    .await?;
    let existing = store_existing(store, &dst, tree).await?;
    let plan = make_plan(
        sources,
        &existing,
        |rel| local_path(&local, rel).display().to_string(),
        |rel| store_key(&dst, rel),
        opts,
    );
    if opts.dry_run {
        return Ok(dry_report(plan, opts));
    }
    let tracker = tracker(&plan, opts);
    let results = run_stream(&plan, opts.files_in_flight, opts.stop_on_error, |file| {
        let (local, tracker) = (&local, &tracker);
        run_file(
            file,
            tracker,
            upload_file(local, store, file, opts, tracker),
        )
    })
    .await;
    Ok(report(plan, results, &tracker))
}

/// Async version of `sync::download`.
///
/// Local files are written with `tokio::fs` (so this needs a tokio runtime with its
/// blocking pool).
///
/// # Errors
/// As `sync::download`.
///
/// # Cancel safety
/// Dropping the future cancels every file in flight and starts no more. With the default
/// atomic writes, a cancelled file leaves no partial file and no temp file (the temp file
/// is deleted when its handle drops); files already renamed into place stay.
pub async fn download(
    store: &AsyncStore,
    src: impl AsRef<str>,
    local: impl AsRef<Path>,
) -> Result<TransferReport> {
    download_with(store, src, local, &TransferOptions::new()).await
}

/// Async version of `sync::download_with`.
///
/// # Errors
/// As `sync::download`.
///
/// # Cancel safety
/// As [`download`].
pub async fn download_with(
    store: &AsyncStore,
    src: impl AsRef<str>,
    local: impl AsRef<Path>,
    opts: &TransferOptions,
) -> Result<TransferReport> {
    let local = local.as_ref().to_path_buf();
    let folder = is_folder_spelling(src.as_ref());
    let src = normalize(src.as_ref())?;
    let (tree, sources) = store_sources(store, &src, folder).await?;
    let root = local.clone();
    let rels: Vec<String> = sources.iter().map(|(rel, _)| rel.clone()).collect();
    let existing =
        blocking(move || local_existing(&root, tree, rels.iter().map(String::as_str))).await?;
    let plan = make_plan(
        sources,
        &existing,
        |rel| store_key(&src, rel),
        |rel| local_path(&local, rel).display().to_string(),
        opts,
    );
    if opts.dry_run {
        return Ok(dry_report(plan, opts));
    }
    let tracker = tracker(&plan, opts);
    let results = run_stream(&plan, opts.files_in_flight, opts.stop_on_error, |file| {
        let (local, tracker) = (&local, &tracker);
        run_file(
            file,
            tracker,
            download_file(store, local, file, opts, tracker),
        )
    })
    .await;
    Ok(report(plan, results, &tracker))
}

/// Async version of `sync::copy_between`.
///
/// # Errors
/// As `sync::copy_between`.
///
/// # Cancel safety
/// As [`upload`].
pub async fn copy_between(
    src_store: &AsyncStore,
    src: impl AsRef<str>,
    dst_store: &AsyncStore,
    dst: impl AsRef<str>,
) -> Result<TransferReport> {
    copy_between_with(src_store, src, dst_store, dst, &TransferOptions::new()).await
}

/// Async version of `sync::copy_between_with`.
///
/// # Errors
/// As `sync::copy_between`.
///
/// # Cancel safety
/// As [`upload`].
pub async fn copy_between_with(
    src_store: &AsyncStore,
    src: impl AsRef<str>,
    dst_store: &AsyncStore,
    dst: impl AsRef<str>,
    opts: &TransferOptions,
) -> Result<TransferReport> {
    let folder = is_folder_spelling(src.as_ref());
    let src = normalize(src.as_ref())?;
    let dst = normalize(dst.as_ref())?;
    let (tree, sources) = store_sources(src_store, &src, folder).await?;
    let existing = store_existing(dst_store, &dst, tree).await?;
    let plan = make_plan(
        sources,
        &existing,
        |rel| store_key(&src, rel),
        |rel| store_key(&dst, rel),
        opts,
    );
    if opts.dry_run {
        return Ok(dry_report(plan, opts));
    }
    let tracker = tracker(&plan, opts);
    let results = run_stream(&plan, opts.files_in_flight, opts.stop_on_error, |file| {
        let tracker = &tracker;
        run_file(
            file,
            tracker,
            between_file(src_store, dst_store, file, opts, tracker),
        )
    })
    .await;
    Ok(report(plan, results, &tracker))
}
