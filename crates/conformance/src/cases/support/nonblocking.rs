//! I/O helpers of the async half, over `AsyncStore`. Twin of [`super::blocking`]: same
//! names, same shapes, plus `async`.

use std::io;
use std::ops::Range;

use futures::{StreamExt, TryStreamExt};
use remote_store_async::{AsyncContent, AsyncStore};
use tokio::io::AsyncReadExt;

use super::{
    CopyOptions, Entry, FileInfo, FolderEntry, ListOptions, MoveOptions, ReadOptions, Result, TREE,
    pattern,
};

/// The store type of this half.
pub(crate) type S = AsyncStore;
/// The write-content type of this half.
pub(crate) type C = AsyncContent<'static>;

/// Writes `data` to `p` (no overwrite), failing the case with context on error.
pub(crate) async fn put(s: &AsyncStore, p: &str, data: impl AsRef<[u8]>) {
    let data = data.as_ref().to_vec();
    if let Err(e) = s.write(p, data).await {
        panic!("setup: writing {p:?} failed: {e}");
    }
}

/// Writes every `(path, content)` pair.
pub(crate) async fn put_all(s: &AsyncStore, files: &[(&str, &str)]) {
    for (p, data) in files {
        put(s, p, data).await;
    }
}

/// Writes [`TREE`].
pub(crate) async fn put_tree(s: &AsyncStore) {
    put_all(s, TREE).await;
}

/// Writes `n` small files `folder/f00000.txt`..., 16 at a time.
pub(crate) async fn put_many(s: &AsyncStore, folder: &str, n: usize) {
    futures::stream::iter(0..n)
        .for_each_concurrent(16, |i| async move {
            put(s, &format!("{folder}/f{i:05}.txt"), i.to_string()).await;
        })
        .await;
}

/// Reads `p` through the streaming `read` (as an `AsyncRead`).
pub(crate) async fn read_all(s: &AsyncStore, p: &str) -> Result<Vec<u8>> {
    let mut body = s.read(p).await?;
    let mut buf = Vec::new();
    body.read_to_end(&mut buf)
        .await
        .map_err(remote_store_core::Error::from_io)?;
    Ok(buf)
}

/// The content of `p`, failing the case with context on error.
pub(crate) async fn content(s: &AsyncStore, p: &str) -> Vec<u8> {
    match s.read_bytes(p).await {
        Ok(b) => b.to_vec(),
        Err(e) => panic!("reading {p:?} failed: {e}"),
    }
}

/// Reads `range` of `p` through `read_range` (as a stream of chunks).
pub(crate) async fn read_range_all(s: &AsyncStore, p: &str, range: Range<u64>) -> Result<Vec<u8>> {
    let body = s.read_range(p, range).await?;
    Ok(body.collect_bytes().await?.to_vec())
}

/// Reads `p` through `read_with` (as a stream of chunks).
pub(crate) async fn read_with_all(s: &AsyncStore, p: &str, opts: ReadOptions) -> Result<Vec<u8>> {
    let body = s.read_with(p, opts).await?;
    Ok(body.collect_bytes().await?.to_vec())
}

/// What a read in small pieces saw.
#[derive(Debug)]
pub(crate) struct Chunked {
    pub(crate) data: Vec<u8>,
    pub(crate) largest: usize,
    pub(crate) ends_cleanly: bool,
}

/// Reads `p` with a buffer of `n` bytes; after the end, two more reads must return 0.
pub(crate) async fn read_in_chunks(s: &AsyncStore, p: &str, n: usize) -> Result<Chunked> {
    let mut body = s.read(p).await?;
    let mut buf = vec![0u8; n];
    let mut out = Chunked {
        data: Vec::new(),
        largest: 0,
        ends_cleanly: true,
    };
    loop {
        let got = body
            .read(&mut buf)
            .await
            .map_err(remote_store_core::Error::from_io)?;
        if got == 0 {
            break;
        }
        out.largest = out.largest.max(got);
        out.data.extend_from_slice(&buf[..got]);
    }
    for _ in 0..2 {
        let again = body
            .read(&mut buf)
            .await
            .map_err(remote_store_core::Error::from_io)?;
        out.ends_cleanly &= again == 0;
    }
    Ok(out)
}

/// Reads the first `n` bytes of `p`, then drops the stream.
pub(crate) async fn read_prefix_then_drop(s: &AsyncStore, p: &str, n: usize) -> Result<Vec<u8>> {
    let body = s.read(p).await?;
    let mut buf = Vec::new();
    AsyncReadExt::take(body, n as u64)
        .read_to_end(&mut buf)
        .await
        .map_err(remote_store_core::Error::from_io)?;
    Ok(buf)
}

/// Opens two streams on `p` at once and reads the second, then the first.
pub(crate) async fn read_twice_at_once(s: &AsyncStore, p: &str) -> Result<(Vec<u8>, Vec<u8>)> {
    let first = s.read(p).await?;
    let second = s.read(p).await?;
    let b = second.collect_bytes().await?.to_vec();
    let a = first.collect_bytes().await?.to_vec();
    Ok((a, b))
}

/// `list_files`, collected.
pub(crate) async fn files(s: &AsyncStore, p: &str, recursive: bool) -> Result<Vec<FileInfo>> {
    s.list_files_with(p, ListOptions::new().recursive(recursive))?
        .try_collect()
        .await
}

/// `list_files_with`, collected.
pub(crate) async fn files_with(
    s: &AsyncStore,
    p: &str,
    opts: ListOptions,
) -> Result<Vec<FileInfo>> {
    s.list_files_with(p, opts)?.try_collect().await
}

/// The first `n` items of a recursive listing; the rest of the listing is dropped.
pub(crate) async fn first_files(s: &AsyncStore, p: &str, n: usize) -> Result<Vec<FileInfo>> {
    s.list_files_with(p, ListOptions::new().recursive(true))?
        .take(n)
        .try_collect()
        .await
}

/// `list_folders`, collected.
pub(crate) async fn folders(s: &AsyncStore, p: &str) -> Result<Vec<FolderEntry>> {
    s.list_folders(p)?.try_collect().await
}

/// `iter_children`, collected.
pub(crate) async fn children(s: &AsyncStore, p: &str) -> Result<Vec<Entry>> {
    s.iter_children(p)?.try_collect().await
}

/// `glob`, collected.
pub(crate) async fn globbed(s: &AsyncStore, pattern: &str) -> Result<Vec<FileInfo>> {
    s.glob(pattern)?.try_collect().await
}

/// Streamed content made of `chunks` (length unknown up front).
pub(crate) fn streamed(chunks: Vec<Vec<u8>>) -> C {
    AsyncContent::chunks(futures::stream::iter(
        chunks.into_iter().map(|c| Ok(c.into())),
    ))
}

/// Content pulled from an `AsyncRead`.
pub(crate) fn from_reader(data: Vec<u8>) -> C {
    AsyncContent::reader(io::Cursor::new(data))
}

/// Streamed content that yields `data` in two chunks, then fails.
pub(crate) fn failing_after(data: Vec<u8>) -> C {
    let half = data.len() / 2;
    let (a, b) = data.split_at(half);
    let items: Vec<io::Result<bytes::Bytes>> = vec![
        Ok(a.to_vec().into()),
        Ok(b.to_vec().into()),
        Err(io::Error::other("the source failed half-way")),
    ];
    AsyncContent::chunks(futures::stream::iter(items))
}

/// `len` bytes of [`pattern`], streamed in 1 MiB chunks.
pub(crate) fn big_stream(len: usize, seed: u8) -> C {
    let data = pattern(len, seed);
    let chunks: Vec<Vec<u8>> = data.chunks(1 << 20).map(<[u8]>::to_vec).collect();
    streamed(chunks)
}

/// Moves or copies.
pub(crate) async fn transfer(
    s: &AsyncStore,
    op: super::Op,
    src: &str,
    dst: &str,
    overwrite: bool,
) -> Result<()> {
    match op {
        super::Op::Move => {
            s.move_file_with(src, dst, MoveOptions::new().overwrite(overwrite))
                .await
        }
        super::Op::Copy => {
            s.copy_file_with(src, dst, CopyOptions::new().overwrite(overwrite))
                .await
        }
    }
}

/// A store over the fixture's missing container, from its async hook: `None` when the
/// fixture declared none for this half; `Some(Err)` when the backend refused to be built.
pub(crate) async fn missing_store(f: crate::Features) -> Option<Result<AsyncStore>> {
    match f.container().asynchronous.as_ref() {
        Some(make) => Some((make.0)().await),
        None => None,
    }
}

/// The streaming writer type of this half.
pub(crate) type W = remote_store_async::AsyncWriter;
/// The seekable reader type of this half.
pub(crate) type R = remote_store_async::AsyncSeekReader;

/// Writes `data` to `w` in pieces of `piece` bytes; the first error, as the store's.
pub(crate) async fn feed(w: &mut W, data: &[u8], piece: usize) -> Result<()> {
    use tokio::io::AsyncWriteExt;
    for part in data.chunks(piece) {
        w.write_all(part)
            .await
            .map_err(remote_store_core::Error::from_io)?;
    }
    Ok(())
}

/// Waits (up to 5 s) until the entries of `folder` are `want`, for cleanup a backend
/// finishes in the background; returns the last entries seen.
pub(crate) async fn settled_children(
    s: &AsyncStore,
    folder: &str,
    want: &[(String, bool)],
) -> Vec<(String, bool)> {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    loop {
        let entries = super::entry_paths(&super::ok(children(s, folder).await, "iter_children"));
        if entries == want || std::time::Instant::now() > deadline {
            return entries;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}

/// Seeks `r` to `pos`; the new position.
pub(crate) async fn seek_to(r: &mut R, pos: io::SeekFrom) -> io::Result<u64> {
    tokio::io::AsyncSeekExt::seek(r, pos).await
}

/// Reads exactly `n` bytes from `r`.
pub(crate) async fn read_n(r: &mut R, n: usize) -> io::Result<Vec<u8>> {
    let mut buf = vec![0u8; n];
    r.read_exact(&mut buf).await?;
    Ok(buf)
}

/// Reads `r` to its end.
pub(crate) async fn read_rest(r: &mut R) -> io::Result<Vec<u8>> {
    let mut buf = Vec::new();
    r.read_to_end(&mut buf).await?;
    Ok(buf)
}
