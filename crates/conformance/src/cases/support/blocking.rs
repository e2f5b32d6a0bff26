//! I/O helpers of the sync half, over `Store`. Twin of [`super::nonblocking`]: same names,
//! same shapes, minus `async`.

use std::io::{self, Read};
use std::ops::Range;
use std::sync::atomic::{AtomicBool, Ordering};

use remote_store_sync::{Content, Store};

use super::{
    CopyOptions, Entry, FileInfo, FolderEntry, ListOptions, MoveOptions, ReadOptions, Result, TREE,
    pattern,
};

/// The store type of this half.
pub(crate) type S = Store;
/// The write-content type of this half.
pub(crate) type C = Content<'static>;

/// Writes `data` to `p` (no overwrite), failing the case with context on error.
#[track_caller]
pub(crate) fn put(s: &Store, p: &str, data: impl AsRef<[u8]>) {
    if let Err(e) = s.write(p, data.as_ref().to_vec()) {
        panic!("setup: writing {p:?} failed: {e}");
    }
}

/// Writes every `(path, content)` pair.
#[track_caller]
pub(crate) fn put_all(s: &Store, files: &[(&str, &str)]) {
    for (p, data) in files {
        put(s, p, data);
    }
}

/// Writes [`TREE`].
#[track_caller]
pub(crate) fn put_tree(s: &Store) {
    put_all(s, TREE);
}

/// Writes `n` small files `folder/f00000.txt`..., 16 at a time (as the async twin does:
/// the big-listing case writes 1100 of them, one request or two each). A failed write
/// stops the other writers and fails the case with its error.
#[track_caller]
pub(crate) fn put_many(s: &Store, folder: &str, n: usize) {
    const WORKERS: usize = 16;
    let stop = AtomicBool::new(false);
    let failures: Vec<String> = std::thread::scope(|scope| {
        let stop = &stop;
        let workers: Vec<_> = (0..WORKERS.min(n))
            .map(|first| {
                scope.spawn(move || {
                    for i in (first..n).step_by(WORKERS) {
                        if stop.load(Ordering::Relaxed) {
                            break;
                        }
                        let p = format!("{folder}/f{i:05}.txt");
                        if let Err(e) = s.write(&p, i.to_string().into_bytes()) {
                            stop.store(true, Ordering::Relaxed);
                            return Some(format!("setup: writing {p:?} failed: {e}"));
                        }
                    }
                    None
                })
            })
            .collect();
        // Every worker is joined here, so a panic is reported with its message.
        workers
            .into_iter()
            .filter_map(|w| w.join().unwrap_or_else(|p| Some(panic_message(&*p))))
            .collect()
    });
    if let Some(first) = failures.first() {
        panic!("{first}");
    }
}

/// The message of a writer's panic.
fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    let text = payload
        .downcast_ref::<&str>()
        .copied()
        .or_else(|| payload.downcast_ref::<String>().map(String::as_str))
        .unwrap_or("(no message)");
    format!("setup: a writer panicked: {text}")
}

/// Reads a stream to its end.
fn drain(mut reader: impl Read) -> Result<Vec<u8>> {
    let mut buf = Vec::new();
    reader
        .read_to_end(&mut buf)
        .map_err(remote_store_core::Error::from_io)?;
    Ok(buf)
}

/// Reads `p` through the streaming `read`.
pub(crate) fn read_all(s: &Store, p: &str) -> Result<Vec<u8>> {
    drain(s.read(p)?)
}

/// The content of `p`, failing the case with context on error.
#[track_caller]
pub(crate) fn content(s: &Store, p: &str) -> Vec<u8> {
    match s.read_bytes(p) {
        Ok(b) => b.to_vec(),
        Err(e) => panic!("reading {p:?} failed: {e}"),
    }
}

/// Reads `range` of `p` through `read_range`.
pub(crate) fn read_range_all(s: &Store, p: &str, range: Range<u64>) -> Result<Vec<u8>> {
    drain(s.read_range(p, range)?)
}

/// Reads `p` through `read_with`.
pub(crate) fn read_with_all(s: &Store, p: &str, opts: ReadOptions) -> Result<Vec<u8>> {
    drain(s.read_with(p, opts)?)
}

/// What a read in small pieces saw.
#[derive(Debug)]
pub(crate) struct Chunked {
    pub(crate) data: Vec<u8>,
    pub(crate) largest: usize,
    pub(crate) ends_cleanly: bool,
}

/// Reads `p` with a buffer of `n` bytes; after the end, two more reads must return 0.
pub(crate) fn read_in_chunks(s: &Store, p: &str, n: usize) -> Result<Chunked> {
    let mut reader = s.read(p)?;
    let mut buf = vec![0u8; n];
    let mut out = Chunked {
        data: Vec::new(),
        largest: 0,
        ends_cleanly: true,
    };
    loop {
        let got = reader
            .read(&mut buf)
            .map_err(remote_store_core::Error::from_io)?;
        if got == 0 {
            break;
        }
        out.largest = out.largest.max(got);
        out.data.extend_from_slice(&buf[..got]);
    }
    for _ in 0..2 {
        let again = reader
            .read(&mut buf)
            .map_err(remote_store_core::Error::from_io)?;
        out.ends_cleanly &= again == 0;
    }
    Ok(out)
}

/// Reads the first `n` bytes of `p`, then drops the stream.
pub(crate) fn read_prefix_then_drop(s: &Store, p: &str, n: usize) -> Result<Vec<u8>> {
    let reader = s.read(p)?;
    let mut buf = Vec::new();
    reader
        .take(n as u64)
        .read_to_end(&mut buf)
        .map_err(remote_store_core::Error::from_io)?;
    Ok(buf)
}

/// Opens two streams on `p` at once and reads the second, then the first.
pub(crate) fn read_twice_at_once(s: &Store, p: &str) -> Result<(Vec<u8>, Vec<u8>)> {
    let mut first = s.read(p)?;
    let mut second = s.read(p)?;
    let (mut a, mut b) = (Vec::new(), Vec::new());
    second
        .read_to_end(&mut b)
        .map_err(remote_store_core::Error::from_io)?;
    first
        .read_to_end(&mut a)
        .map_err(remote_store_core::Error::from_io)?;
    Ok((a, b))
}

/// `list_files`, collected.
pub(crate) fn files(s: &Store, p: &str, recursive: bool) -> Result<Vec<FileInfo>> {
    s.list_files_with(p, ListOptions::new().recursive(recursive))?
        .collect()
}

/// `list_files_with`, collected.
pub(crate) fn files_with(s: &Store, p: &str, opts: ListOptions) -> Result<Vec<FileInfo>> {
    s.list_files_with(p, opts)?.collect()
}

/// The first `n` items of a recursive listing; the rest of the listing is dropped.
pub(crate) fn first_files(s: &Store, p: &str, n: usize) -> Result<Vec<FileInfo>> {
    s.list_files_with(p, ListOptions::new().recursive(true))?
        .take(n)
        .collect()
}

/// `list_folders`, collected.
pub(crate) fn folders(s: &Store, p: &str) -> Result<Vec<FolderEntry>> {
    s.list_folders(p)?.collect()
}

/// `iter_children`, collected.
pub(crate) fn children(s: &Store, p: &str) -> Result<Vec<Entry>> {
    s.iter_children(p)?.collect()
}

/// `glob`, collected.
pub(crate) fn globbed(s: &Store, pattern: &str) -> Result<Vec<FileInfo>> {
    s.glob(pattern)?.collect()
}

/// Streamed content made of `chunks` (length unknown up front).
pub(crate) fn streamed(chunks: Vec<Vec<u8>>) -> C {
    Content::chunks(chunks.into_iter().map(|c| Ok(c.into())))
}

/// Content pulled from a reader.
pub(crate) fn from_reader(data: Vec<u8>) -> C {
    Content::reader(io::Cursor::new(data))
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
    Content::chunks(items)
}

/// `len` bytes of [`pattern`], streamed in 1 MiB chunks.
pub(crate) fn big_stream(len: usize, seed: u8) -> C {
    let data = pattern(len, seed);
    let chunks: Vec<Vec<u8>> = data.chunks(1 << 20).map(<[u8]>::to_vec).collect();
    streamed(chunks)
}

/// Moves or copies.
pub(crate) fn transfer(
    s: &Store,
    op: super::Op,
    src: &str,
    dst: &str,
    overwrite: bool,
) -> Result<()> {
    match op {
        super::Op::Move => s.move_file_with(src, dst, MoveOptions::new().overwrite(overwrite)),
        super::Op::Copy => s.copy_file_with(src, dst, CopyOptions::new().overwrite(overwrite)),
    }
}

/// A store over the fixture's missing container, from its sync hook: `None` when the
/// fixture declared none for this half; `Some(Err)` when the backend refused to be built.
pub(crate) fn missing_store(f: crate::Features) -> Option<Result<Store>> {
    f.container().sync.as_ref().map(|make| (make.0)())
}

/// The streaming writer type of this half.
pub(crate) type W = remote_store_sync::Writer;
/// The seekable reader type of this half.
pub(crate) type R = remote_store_sync::SeekReader;

/// Writes `data` to `w` in pieces of `piece` bytes; the first error, as the store's.
pub(crate) fn feed(w: &mut W, data: &[u8], piece: usize) -> Result<()> {
    use std::io::Write;
    for part in data.chunks(piece) {
        w.write_all(part)
            .map_err(remote_store_core::Error::from_io)?;
    }
    Ok(())
}

/// Waits (up to 5 s) until the entries of `folder` are `want`, for cleanup a backend
/// finishes in the background; returns the last entries seen.
pub(crate) fn settled_children(
    s: &Store,
    folder: &str,
    want: &[(String, bool)],
) -> Vec<(String, bool)> {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    loop {
        let entries = super::entry_paths(&super::ok(children(s, folder), "iter_children"));
        if entries == want || std::time::Instant::now() > deadline {
            return entries;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
}

/// Seeks `r` to `pos`; the new position.
pub(crate) fn seek_to(r: &mut R, pos: io::SeekFrom) -> io::Result<u64> {
    io::Seek::seek(r, pos)
}

/// Reads exactly `n` bytes from `r`.
pub(crate) fn read_n(r: &mut R, n: usize) -> io::Result<Vec<u8>> {
    let mut buf = vec![0u8; n];
    r.read_exact(&mut buf)?;
    Ok(buf)
}

/// Reads `r` to its end.
pub(crate) fn read_rest(r: &mut R) -> io::Result<Vec<u8>> {
    let mut buf = Vec::new();
    r.read_to_end(&mut buf)?;
    Ok(buf)
}
