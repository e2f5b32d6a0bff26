//! Test backends for the layer tests: `Flaky` wraps the memory backend and injects
//! failures (failed calls, reads cut mid-body, failing first listing pages); it counts the
//! calls it sees. It is a backend wrapper over a real backend, not a mock of a service.
#![allow(dead_code, unreachable_pub)]

use std::io::{self, Read};
use std::ops::Range;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, AtomicUsize, Ordering};
use std::time::Duration;

use remote_store_core::{
    Capability, CapabilitySet, DeleteFolderOptions, DeleteOptions, Error, FileInfo, ListOptions,
    MoveOptions, RemotePath, Result, RetryPolicy, WriteMode, WriteOptions, WriteResult,
};
use remote_store_memory::MemoryBackend;
use remote_store_sync::{Backend, Content, EntryIter, FileIter, FolderIter, Reader};

/// What `Flaky` injects and what it saw.
#[derive(Debug, Default)]
pub struct Faults {
    /// The next N fallible calls fail with a retryable `BackendUnavailable`.
    pub fail_calls: AtomicU32,
    /// The next N read bodies are cut (a connection reset) after `cut_after` bytes.
    pub cut_reads: AtomicU32,
    pub cut_after: AtomicU64,
    /// The next N listings fail on their first item.
    pub fail_listings: AtomicU32,
    /// Calls seen.
    pub opens: AtomicU32,
    pub ranged_opens: AtomicU32,
    pub infos: AtomicU32,
    pub writes: AtomicU32,
    pub moves: AtomicU32,
    pub listings: AtomicU32,
    pub probes: AtomicU32,
    /// Declare `bulk_delete` (`delete_many` still deletes path by path), and count the
    /// `delete_many` calls and the most paths one carried.
    pub bulk: AtomicBool,
    pub bulk_calls: AtomicUsize,
    pub bulk_largest: AtomicUsize,
    /// Calls in flight in `is_file` (which sleeps), and the most seen at once.
    pub in_flight: AtomicUsize,
    pub peak: AtomicUsize,
    /// Declare no `conditional_read` (as SFTP and local): a resumed read reopens with a
    /// plain `read_range`.
    pub no_conditional_read: AtomicBool,
    /// The next ranged open first replaces the file by these bytes (another writer,
    /// between a resume's check and its reopen).
    pub replace_on_ranged_open: std::sync::Mutex<Option<Vec<u8>>>,
}

fn take(counter: &AtomicU32) -> bool {
    counter
        .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
        .is_ok()
}

/// The memory backend with injected faults.
#[derive(Debug, Clone, Default)]
pub struct Flaky {
    pub inner: MemoryBackend,
    pub faults: Arc<Faults>,
}

impl Flaky {
    pub fn new() -> Self {
        Self::default()
    }

    fn injected(&self) -> Result<()> {
        if take(&self.faults.fail_calls) {
            return Err(Error::unavailable("injected failure"));
        }
        Ok(())
    }

    fn maybe_cut(&self, reader: Reader) -> Reader {
        if take(&self.faults.cut_reads) {
            return cut_after(reader, self.faults.cut_after.load(Ordering::SeqCst));
        }
        reader
    }
}

/// `reader`, which delivers `left` bytes and then fails as a reset connection does.
pub fn cut_after(reader: Reader, left: u64) -> Reader {
    Box::new(CutReader {
        inner: reader,
        left,
    })
}

/// Delivers `left` bytes, then fails as a reset connection does.
struct CutReader {
    inner: Reader,
    left: u64,
}

impl Read for CutReader {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.left == 0 {
            return Err(io::Error::from(io::ErrorKind::ConnectionReset));
        }
        let max = buf
            .len()
            .min(usize::try_from(self.left).unwrap_or(usize::MAX));
        let n = self.inner.read(&mut buf[..max])?;
        self.left -= n as u64;
        Ok(n)
    }
}

/// Fails on its first item.
fn failing_listing<T: Send + 'static>() -> Box<dyn Iterator<Item = Result<T>> + Send> {
    Box::new(std::iter::once(Err(Error::unavailable(
        "injected listing failure",
    ))))
}

impl Backend for Flaky {
    fn name(&self) -> &'static str {
        "flaky"
    }

    fn capabilities(&self) -> CapabilitySet {
        let mut caps = self.inner.capabilities();
        if self.faults.bulk.load(Ordering::SeqCst) {
            caps = caps.with(Capability::BulkDelete);
        }
        if self.faults.no_conditional_read.load(Ordering::SeqCst) {
            caps = caps.without(Capability::ConditionalRead);
        }
        caps
    }

    fn is_file(&self, path: &RemotePath) -> Result<bool> {
        let f = &self.faults;
        f.probes.fetch_add(1, Ordering::SeqCst);
        let now = f.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
        f.peak.fetch_max(now, Ordering::SeqCst);
        std::thread::sleep(Duration::from_millis(2));
        f.in_flight.fetch_sub(1, Ordering::SeqCst);
        self.injected()?;
        self.inner.is_file(path)
    }

    fn is_folder(&self, path: &RemotePath) -> Result<bool> {
        self.injected()?;
        self.inner.is_folder(path)
    }

    fn read(&self, path: &RemotePath) -> Result<Reader> {
        self.faults.opens.fetch_add(1, Ordering::SeqCst);
        self.injected()?;
        Ok(self.maybe_cut(self.inner.read(path)?))
    }

    fn read_bytes(&self, path: &RemotePath) -> Result<bytes::Bytes> {
        self.faults.opens.fetch_add(1, Ordering::SeqCst);
        self.injected()?;
        self.inner.read_bytes(path)
    }

    fn read_range(&self, path: &RemotePath, range: Range<u64>) -> Result<Reader> {
        self.faults.ranged_opens.fetch_add(1, Ordering::SeqCst);
        self.injected()?;
        let replacement = self.faults.replace_on_ranged_open.lock().unwrap().take();
        if let Some(bytes) = replacement {
            remote_store_sync::Store::new(self.inner.clone(), "")
                .unwrap()
                .write_with(path.as_str(), bytes, WriteOptions::overwriting())
                .unwrap();
        }
        Ok(self.maybe_cut(self.inner.read_range(path, range)?))
    }

    fn write(
        &self,
        path: &RemotePath,
        content: Content<'_>,
        mode: WriteMode,
        opts: &WriteOptions,
    ) -> Result<WriteResult> {
        self.faults.writes.fetch_add(1, Ordering::SeqCst);
        if take(&self.faults.fail_calls) {
            // A failing write still consumes its content, as a real upload does.
            let _ = content.into_bytes();
            return Err(Error::unavailable("injected failure"));
        }
        self.inner.write(path, content, mode, opts)
    }

    fn delete(&self, path: &RemotePath, opts: &DeleteOptions) -> Result<()> {
        self.injected()?;
        self.inner.delete(path, opts)
    }

    fn delete_many(&self, paths: &[RemotePath], opts: &DeleteOptions) -> Vec<Result<()>> {
        self.faults.bulk_calls.fetch_add(1, Ordering::SeqCst);
        self.faults
            .bulk_largest
            .fetch_max(paths.len(), Ordering::SeqCst);
        paths.iter().map(|p| self.delete(p, opts)).collect()
    }

    fn delete_folder(&self, path: &RemotePath, opts: &DeleteFolderOptions) -> Result<()> {
        self.injected()?;
        self.inner.delete_folder(path, opts)
    }

    fn list_files(&self, path: &RemotePath, opts: &ListOptions) -> FileIter {
        self.faults.listings.fetch_add(1, Ordering::SeqCst);
        if take(&self.faults.fail_listings) {
            return failing_listing();
        }
        self.inner.list_files(path, opts)
    }

    fn list_folders(&self, path: &RemotePath) -> FolderIter {
        self.inner.list_folders(path)
    }

    fn iter_children(&self, path: &RemotePath) -> EntryIter {
        self.inner.iter_children(path)
    }

    fn get_file_info(&self, path: &RemotePath) -> Result<FileInfo> {
        self.faults.infos.fetch_add(1, Ordering::SeqCst);
        self.injected()?;
        self.inner.get_file_info(path)
    }

    fn move_file(&self, src: &RemotePath, dst: &RemotePath, opts: &MoveOptions) -> Result<()> {
        self.faults.moves.fetch_add(1, Ordering::SeqCst);
        self.injected()?;
        self.inner.move_file(src, dst, opts)
    }
}

/// A fast policy for tests: `attempts` attempts, 1 ms apart, no jitter.
pub fn fast_policy(attempts: u32) -> RetryPolicy {
    RetryPolicy::new()
        .max_attempts(attempts)
        .initial_backoff(Duration::from_millis(1))
        .max_backoff(Duration::from_millis(2))
        .jitter(0.0)
}

/// `len` bytes of a pattern that shows where a splice would land.
pub fn pattern(len: usize) -> Vec<u8> {
    (0..len).map(|i| (i % 251) as u8).collect()
}

pub fn count(c: &AtomicU32) -> u32 {
    c.load(Ordering::SeqCst)
}

pub fn set(c: &AtomicU32, n: u32) {
    c.store(n, Ordering::SeqCst);
}
