//! The blocking half of transfers: `std::fs` on the local side, a bounded pool of scoped
//! threads for the files in flight.

use std::collections::HashMap;
use std::fs::{self, File};
use std::io::{self, Read, Write};
use std::ops::Range;
use std::path::Path;

use bytes::Bytes;
use remote_store_core::{Error, ListOptions, Result, WriteOptions};
use remote_store_sync::{Content, Store};

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
use crate::batch::sync::run_pool;
use crate::integrity::sync::digest;
use crate::progress::Tracker;

impl<R: Read> Read for Meter<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.tracker.check().map_err(Error::into_io)?;
        let n = self.inner.read(buf)?;
        self.saw(&buf[..n]);
        Ok(n)
    }
}

/// The files under a store path (a tree) or the file at it; with `folder` (the caller wrote
/// `src/`) always the tree, also where a file has the same name as the folder.
fn store_sources(store: &Store, src: &str, folder: bool) -> Result<(bool, Vec<(String, Meta)>)> {
    if !folder && !src.is_empty() && store.is_file(src)? {
        let info = store.get_file_info(src)?;
        return Ok((false, vec![(String::new(), Meta::of(&info))]));
    }
    let mut files = Vec::new();
    for info in store.list_files_with(src, ListOptions::subtree())? {
        let info = info?;
        files.push((relative_to(src, &info.path), Meta::of(&info)));
    }
    // (`src/` naming a file lists nothing: that is no folder, not an empty one.)
    if files.is_empty() && !store.is_folder(src)? {
        let file = folder && !src.is_empty() && store.is_file(src)?;
        return Err(if file {
            file_not_folder(src)
        } else {
            missing_source(src)
        });
    }
    Ok((true, files))
}

/// What already exists at a store destination, by relative path.
fn store_existing(store: &Store, dst: &str, tree: bool) -> Result<HashMap<String, Meta>> {
    let mut out = HashMap::new();
    if !tree {
        match store.get_file_info(dst) {
            Ok(info) => {
                out.insert(String::new(), Meta::of(&info));
            }
            Err(e) if is_absent(&e) => {}
            Err(e) => return Err(file_destination_error(e, dst)),
        }
        return Ok(out);
    }
    let listing = match store.list_files_with(dst, ListOptions::subtree()) {
        Ok(l) => l,
        Err(e) if is_absent(&e) => return Ok(out),
        Err(e) => return Err(e),
    };
    for info in listing {
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

fn write_opts(file: &PlannedFile) -> WriteOptions {
    WriteOptions::new().overwrite(file.action == Action::Overwrite)
}

fn store_write(
    store: &Store,
    file: &PlannedFile,
    content: Content<'_>,
    opts: &TransferOptions,
) -> Result<()> {
    if opts.atomic {
        store.write_atomic_with(&file.destination, content, write_opts(file))?;
    } else {
        store.write_with(&file.destination, content, write_opts(file))?;
    }
    Ok(())
}

fn store_check(
    store: &Store,
    file: &PlannedFile,
    opts: &TransferOptions,
) -> Result<Option<remote_store_core::ContentDigest>> {
    opts.verify
        .map(|alg| digest(store, &file.destination, alg))
        .transpose()
}

/// Copies `reader` into `writer` in [`CHUNK`]s: a read error is the source's (a store error
/// comes back as itself), a write error is `path`'s.
fn pump(reader: &mut impl Read, writer: &mut impl Write, path: &Path) -> Result<()> {
    let mut buf = vec![0u8; CHUNK];
    loop {
        let n = match reader.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(Error::from_io(e)),
        };
        writer.write_all(&buf[..n]).map_err(|e| io_error(e, path))?;
    }
    writer.flush().map_err(|e| io_error(e, path))
}

fn upload_file(
    base: &Path,
    store: &Store,
    file: &PlannedFile,
    opts: &TransferOptions,
    tracker: &Tracker,
) -> Done {
    let path = local_path(base, &file.relative);
    if may_be_same_file(file, store.name()) {
        refuse_same_file(store.native_path(&file.destination), &path, file)?;
    }
    // A small file: read whole, written as one body (as the async half does) — unless it
    // has grown since it was listed.
    if file.size <= CHUNK as u64
        && let Some(data) = read_small(&path)?
    {
        let data = Bytes::from(data);
        let mut meter = Meter::new((), tracker, &file.relative, opts.verify);
        meter.saw(&data);
        store_write(store, file, Content::from(data), opts)?;
        let actual = store_check(store, file, opts)?;
        return copied(meter.bytes, meter.digest(), actual, &file.destination);
    }
    let source = File::open(&path).map_err(|e| io_error(e, &path))?;
    let mut meter = Meter::new(source, tracker, &file.relative, opts.verify);
    store_write(store, file, Content::reader(&mut meter), opts)?;
    let actual = store_check(store, file, opts)?;
    copied(meter.bytes, meter.digest(), actual, &file.destination)
}

fn download_file(
    store: &Store,
    base: &Path,
    file: &PlannedFile,
    opts: &TransferOptions,
    tracker: &Tracker,
) -> Done {
    let target = download_target(base, &file.relative)?;
    if may_be_same_file(file, store.name()) {
        refuse_same_file(store.native_path(&file.source), &target, file)?;
    }
    let overwrite = file.action == Action::Overwrite;
    if let Some(pinned) = ranged_pin(store, file, opts)? {
        download_ranged(store, file, &target, overwrite, &pinned, opts, tracker)?;
        return copied(pinned.size, None, None, &file.destination);
    }
    let reader = store.read(&file.source)?;
    let mut meter = Meter::new(reader, tracker, &file.relative, opts.verify);
    // Collect up to one chunk: a body that ends within it (every small file) is written in
    // one go; a longer one streams, starting with what was collected.
    // Sized for the planned file, not the whole chunk: no 256 KiB buffer zeroed per small
    // file. A body of exactly one chunk (or more) streams, as its end is not yet seen.
    let mut head = Vec::with_capacity(chunk_hint(file.size));
    (&mut meter)
        .take(CHUNK as u64)
        .read_to_end(&mut head)
        .map_err(Error::from_io)?;
    if head.len() < CHUNK {
        let check = WrittenCheck::new(opts.verify, meter.digest(), &file.destination);
        write_local(&target, &head, opts.atomic, overwrite, &check)?;
    } else {
        let parent = parent_of(&target);
        fs::create_dir_all(&parent).map_err(|e| io_error(e, &parent))?;
        let mut source = io::Cursor::new(head).chain(&mut meter);
        if opts.atomic {
            let mut temp = temp_beside(&parent)?;
            pump(&mut source, temp.as_file_mut(), &target)?;
            let temp = temp.into_temp_path();
            WrittenCheck::new(opts.verify, meter.digest(), &file.destination).run(&temp)?;
            persist(temp, &target, overwrite)?;
        } else {
            let mut out = open_in_place(overwrite)
                .open(&target)
                .map_err(|e| io_error(e, &target))?;
            pump(&mut source, &mut out, &target)?;
            WrittenCheck::new(opts.verify, meter.digest(), &file.destination).run(&target)?;
        }
    }
    // Checked above, before the written file replaced anything.
    copied(meter.bytes, meter.digest(), None, &file.destination)
}

/// The version a download of `file` is pinned to when it goes in ranged parts (`None`: it
/// streams whole). Asks the store for the file's info only when the planned size and the
/// store's capabilities allow parts; the size and etag then come from that answer.
fn ranged_pin(store: &Store, file: &PlannedFile, opts: &TransferOptions) -> Result<Option<Pinned>> {
    if !may_range(file, opts, |c| store.supports(c)) {
        return Ok(None);
    }
    Ok(Pinned::of(&store.get_file_info(&file.source)?, opts))
}

/// Downloads `file` in ranged parts, `parts_in_flight` at once on scoped threads, each
/// written at its offset in a temp file renamed into place (ranged downloads are atomic
/// only, see `wants_ranged`; a failure drops the temp file).
fn download_ranged(
    store: &Store,
    file: &PlannedFile,
    target: &Path,
    overwrite: bool,
    pinned: &Pinned,
    opts: &TransferOptions,
    tracker: &Tracker,
) -> Result<()> {
    let parent = parent_of(target);
    fs::create_dir_all(&parent).map_err(|e| io_error(e, &parent))?;
    let temp = temp_beside(&parent)?;
    fetch_parts(store, file, temp.as_file(), target, pinned, opts, tracker)?;
    persist(temp.into_temp_path(), target, overwrite)
}

/// Sizes `out` to the pinned size and fills it with every part; the first failure stops
/// the parts not yet started.
fn fetch_parts(
    store: &Store,
    file: &PlannedFile,
    out: &File,
    target: &Path,
    pinned: &Pinned,
    opts: &TransferOptions,
    tracker: &Tracker,
) -> Result<()> {
    out.set_len(pinned.size).map_err(|e| io_error(e, target))?;
    let parts = part_ranges(pinned.size, part_size(opts));
    let results = run_pool(&parts, opts.parts_in_flight, true, |range| {
        fetch_part(store, file, out, target, pinned, range, tracker)
    });
    first_part_error(results)
}

/// Reads one part `if_match` the pinned etag and writes it at its offset, [`CHUNK`]
/// bytes at a time.
fn fetch_part(
    store: &Store,
    file: &PlannedFile,
    out: &File,
    target: &Path,
    pinned: &Pinned,
    range: &Range<u64>,
    tracker: &Tracker,
) -> Result<()> {
    let mut reader = store
        .read_with(&file.source, pinned.read_options(range.clone()))
        .map_err(|e| part_error(&file.source, e))?;
    let mut buf = vec![0u8; CHUNK];
    let mut offset = range.start;
    loop {
        tracker.check()?;
        let mut filled = 0;
        let mut ended = false;
        while filled < CHUNK {
            match reader.read(&mut buf[filled..]) {
                Ok(0) => {
                    ended = true;
                    break;
                }
                Ok(n) => filled += n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(part_error(&file.source, Error::from_io(e))),
            }
        }
        let next = offset + filled as u64;
        if next > range.end {
            return part_complete(&file.source, range, next - range.start);
        }
        if filled > 0 {
            tracker.bytes(&file.relative, filled as u64);
            write_at(out, &buf[..filled], offset).map_err(|e| io_error(e, target))?;
            offset = next;
        }
        if ended {
            return part_complete(&file.source, range, offset - range.start);
        }
    }
}

fn between_file(
    src: &Store,
    dst: &Store,
    file: &PlannedFile,
    opts: &TransferOptions,
    tracker: &Tracker,
) -> Done {
    if may_be_same_file(file, dst.name()) && src.name() == dst.name() {
        let source = src.native_path(&file.source)?;
        refuse_same_file(dst.native_path(&file.destination), Path::new(&source), file)?;
    }
    let reader = src.read(&file.source)?;
    let mut meter = Meter::new(reader, tracker, &file.relative, opts.verify);
    store_write(dst, file, Content::reader(&mut meter), opts)?;
    let actual = store_check(dst, file, opts)?;
    copied(meter.bytes, meter.digest(), actual, &file.destination)
}

/// Runs `one` over the plan's files that move bytes, `files_in_flight` at once.
fn run(
    plan: Vec<PlannedFile>,
    opts: &TransferOptions,
    one: impl Fn(&PlannedFile, &Tracker) -> Done + Sync,
) -> TransferReport {
    if opts.dry_run {
        return dry_report(plan, opts);
    }
    let tracker = tracker(&plan, opts);
    let results = run_pool(&plan, opts.files_in_flight, opts.stop_on_error, |file| {
        let done = without_io(file).unwrap_or_else(|| {
            let stopped = || cancelled().with_path(file.destination.clone());
            if tracker.cancelled() {
                return Err(stopped());
            }
            tracker.file_started(&file.relative, file.size);
            // A file stopped by the flag fails with whatever its store made of the
            // reader's error: reported as the cancellation it was.
            one(file, &tracker).map_err(|e| if caused_by_cancel(&e) { stopped() } else { e })
        });
        finish(&tracker, file, done)
    });
    report(plan, results, &tracker)
}

/// Uploads the local file or directory tree at `local` to `dst` in `store`, with the
/// default [`TransferOptions`] (an existing destination file fails that file; atomic
/// writes; 4 files in flight).
///
/// A file goes to `dst` itself; a directory's files go under `dst` at their relative
/// paths (`dir/a/b.txt` → `dst/a/b.txt`). Only regular files are sent: symlinks are not
/// followed, empty directories have no object to become. Each file streams from disk in
/// 256 KiB chunks.
///
/// # Errors
/// `NotFound` when `local` does not exist; the walk's I/O errors, `InvalidPath` for a
/// non-UTF-8 name; the destination listing's errors. Per-file failures are in the report.
pub fn upload(
    local: impl AsRef<Path>,
    store: &Store,
    dst: impl AsRef<str>,
) -> Result<TransferReport> {
    upload_with(local, store, dst, &TransferOptions::new())
}

/// [`upload`] with [`TransferOptions`].
///
/// # Errors
/// As [`upload`].
pub fn upload_with(
    local: impl AsRef<Path>,
    store: &Store,
    dst: impl AsRef<str>,
    opts: &TransferOptions,
) -> Result<TransferReport> {
    let local = local.as_ref();
    let dst = normalize(dst.as_ref())?;
    let (tree, sources) = match local_kind(local)? {
        LocalKind::File(len) => (false, vec![(String::new(), Meta::local(len))]),
        LocalKind::Dir => (true, walk_local(local)?),
        LocalKind::Missing => return Err(missing_source(&local.display().to_string())),
        LocalKind::Special => return Err(special_source(local)),
    };
    let existing = store_existing(store, &dst, tree)?;
    let plan = make_plan(
        sources,
        &existing,
        |rel| local_path(local, rel).display().to_string(),
        |rel| store_key(&dst, rel),
        opts,
    );
    Ok(run(plan, opts, |file, tracker| {
        upload_file(local, store, file, opts, tracker)
    }))
}

/// Downloads the file or tree at `src` in `store` to the local path `local`, with the
/// default [`TransferOptions`].
///
/// A file goes to `local` itself (the file's own path, not a directory to put it in); a
/// folder's files go under `local` at their relative paths, creating directories as needed. Atomic by default: each file is written to a
/// temp file (`.~tmp.*`) beside its target and renamed into place, so a failed or
/// interrupted download leaves no partial file (without `atomic`, files are written in
/// place). Renames are not followed by an `fsync`.
///
/// A file of at least `2 × part_size` bytes (default 16 MiB) is read as ranged parts,
/// `parts_in_flight` at once, on stores that declare `range_read` and `conditional_read`,
/// when atomic and not verifying; every part is read `if_match` the etag of the file when its
/// download began, so a file replaced meanwhile fails with `PreconditionFailed` ("the
/// object changed during the download") instead of mixing versions. See
/// [`TransferOptions::parts_in_flight`].
///
/// # Errors
/// `NotFound` when `src` does not exist; the listing's errors; `InvalidPath` when a file is
/// where the destination folder should be (or the reverse). Per-file failures are in the
/// report.
pub fn download(
    store: &Store,
    src: impl AsRef<str>,
    local: impl AsRef<Path>,
) -> Result<TransferReport> {
    download_with(store, src, local, &TransferOptions::new())
}

/// [`download`] with [`TransferOptions`].
///
/// # Errors
/// As [`download`].
pub fn download_with(
    store: &Store,
    src: impl AsRef<str>,
    local: impl AsRef<Path>,
    opts: &TransferOptions,
) -> Result<TransferReport> {
    let local = local.as_ref();
    let folder = is_folder_spelling(src.as_ref());
    let src = normalize(src.as_ref())?;
    let (tree, sources) = store_sources(store, &src, folder)?;
    let existing = local_existing(local, tree, sources.iter().map(|(rel, _)| rel.as_str()))?;
    let plan = make_plan(
        sources,
        &existing,
        |rel| store_key(&src, rel),
        |rel| local_path(local, rel).display().to_string(),
        opts,
    );
    Ok(run(plan, opts, |file, tracker| {
        download_file(store, local, file, opts, tracker)
    }))
}

/// Copies the file or tree at `src` in `src_store` to `dst` in `dst_store`, streaming each
/// file from a read of one store into a write of the other, with the default
/// [`TransferOptions`]. The stores may be of different backends; nothing touches a local
/// disk. Every byte passes through this process: for copies inside one store,
/// [`copy_many`](crate::sync::copy_many) uses the backend's own (server-side) `copy_file`.
///
/// # Errors
/// As [`download`] for the source, as [`upload`] for the destination listing.
pub fn copy_between(
    src_store: &Store,
    src: impl AsRef<str>,
    dst_store: &Store,
    dst: impl AsRef<str>,
) -> Result<TransferReport> {
    copy_between_with(src_store, src, dst_store, dst, &TransferOptions::new())
}

/// [`copy_between`] with [`TransferOptions`].
///
/// # Errors
/// As [`copy_between`].
pub fn copy_between_with(
    src_store: &Store,
    src: impl AsRef<str>,
    dst_store: &Store,
    dst: impl AsRef<str>,
    opts: &TransferOptions,
) -> Result<TransferReport> {
    let folder = is_folder_spelling(src.as_ref());
    let src = normalize(src.as_ref())?;
    let dst = normalize(dst.as_ref())?;
    let (tree, sources) = store_sources(src_store, &src, folder)?;
    let existing = store_existing(dst_store, &dst, tree)?;
    let plan = make_plan(
        sources,
        &existing,
        |rel| store_key(&src, rel),
        |rel| store_key(&dst, rel),
        opts,
    );
    Ok(run(plan, opts, |file, tracker| {
        between_file(src_store, dst_store, file, opts, tracker)
    }))
}
