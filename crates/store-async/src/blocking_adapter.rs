//! [`BlockingAdapter`]: any [`AsyncBackend`] as a blocking `Backend`.

use std::any::Any;
use std::fmt;
use std::future::Future;
use std::io::{self, Read, Seek, SeekFrom};
use std::ops::Range;
use std::panic::AssertUnwindSafe;
use std::sync::{Arc, mpsc as std_mpsc};

use bytes::Bytes;
use futures::FutureExt;
use remote_store_core::{
    Capability, CapabilitySet, CopyOptions, DeleteFolderOptions, DeleteOptions, Entry, Error,
    ErrorKind, FileInfo, FolderEntry, FolderInfo, GlobPattern, ListOptions, MoveOptions,
    ReadOptions, RemotePath, Result, WriteMode, WriteOptions, WriteResult,
};
use remote_store_sync::{
    Backend, Content, EntryIter, FileIter, FolderIter, Reader, SeekReader, fallback,
};
use tokio::runtime::Handle;
use tokio::sync::mpsc;

use crate::blocking_pump::{BatchIter, BlockingReader, wait};
use crate::blocking_runtime::{Lifecycle, closed};
use crate::{AsyncBackend, AsyncContent, ByteStream};

/// Chunk size when feeding a blocking reader to an async write.
const WRITE_CHUNK: usize = 256 * 1024;

/// What a call's task hands back: its result, or the panic to resume on the caller.
type Outcome<T> = std::thread::Result<Result<T>>;

/// Wraps any [`AsyncBackend`] as a blocking `Backend`, for `Store`.
///
/// Each call is spawned onto a tokio runtime and the caller waits on a channel — it never
/// calls `Handle::block_on` on the caller's thread. So a `Store` over a `BlockingAdapter`
/// works on a plain thread, inside `#[tokio::main]` (either flavour), inside
/// `spawn_blocking`, and never panics with "Cannot start a runtime from within a runtime".
/// (Blocking a runtime's worker thread is still a blocking call: inside async code prefer
/// `AsyncStore`.)
///
/// **Runtime.** By default every adapter in the process runs on one shared multi-thread
/// runtime (two worker threads named `remote-store`, created on first use and never shut
/// down), so ten blocking backends cost two threads, not twenty.
/// [`with_own_runtime`](Self::with_own_runtime) gives one adapter a runtime of its own
/// (two workers named `remote-store-own`, created on first use), which isolates it from
/// the others and is shut down by [`close`](Backend::close).
///
/// **Streams.** A listing or a read is driven by one pump task, which hands over one body
/// chunk (reads, one chunk ahead of the caller) or one batch of up to 256 items (listings,
/// two batches ahead) at a time, so memory stays bounded. Errors come back unchanged.
/// `read_seekable` is native (ranged reads) when the async backend declares `range_read`;
/// otherwise `seekable_read` is masked and the portable spool serves.
///
/// **Close.** [`close`](Backend::close) returns promptly whatever the caller still holds:
/// it cancels the pumps of open listings and reads (using them afterwards fails with
/// `BackendUnavailable`, "closed"), gives calls still running on other threads up to ten
/// seconds and then cancels them, closes the backend and shuts an own runtime down. The
/// shared runtime is never shut down. A backend that is not terminal (memory, local, SFTP)
/// keeps working afterwards; an own runtime comes back lazily. Dropping the adapter
/// cancels its work the same way.
///
/// ```
/// use remote_store_async::{AsyncBackend, BlockingAdapter};
/// use remote_store_sync::Store;
///
/// fn blocking_store(backend: impl AsyncBackend) -> remote_store_core::Result<Store> {
///     Store::new(BlockingAdapter::new(backend), "")
/// }
///
/// fn isolated_store(backend: impl AsyncBackend) -> remote_store_core::Result<Store> {
///     Store::new(BlockingAdapter::new(backend).with_own_runtime(), "")
/// }
/// ```
pub struct BlockingAdapter<B> {
    shared: Arc<Shared<B>>,
}

/// The adapter's state, shared with the seekable readers it hands out.
struct Shared<B> {
    inner: Arc<B>,
    life: Lifecycle,
}

impl<B: AsyncBackend> BlockingAdapter<B> {
    /// Wraps `backend`, on the process-wide shared runtime.
    pub fn new(backend: B) -> Self {
        Self::from_arc(Arc::new(backend))
    }

    /// Wraps a shared backend, on the process-wide shared runtime.
    pub fn from_arc(backend: Arc<B>) -> Self {
        Self::with_life(backend, Lifecycle::shared())
    }

    /// The same adapter on a runtime of its own instead of the shared one: two worker
    /// threads for this adapter alone, created on first use and shut down by
    /// [`close`](remote_store_sync::Backend::close) (and created again if the adapter is
    /// used afterwards). For a backend whose work must not wait behind other backends', or
    /// whose threads should go away with it.
    ///
    /// ```
    /// use remote_store_async::{AsyncBackend, BlockingAdapter};
    ///
    /// fn isolated<B: AsyncBackend>(backend: B) -> BlockingAdapter<B> {
    ///     let adapter = BlockingAdapter::new(backend).with_own_runtime();
    ///     assert!(adapter.has_own_runtime());
    ///     adapter
    /// }
    /// ```
    #[must_use]
    pub fn with_own_runtime(self) -> Self {
        Self::with_life(Arc::clone(&self.shared.inner), Lifecycle::own())
    }

    fn with_life(inner: Arc<B>, life: Lifecycle) -> Self {
        BlockingAdapter {
            shared: Arc::new(Shared { inner, life }),
        }
    }

    /// Whether the adapter runs on a runtime of its own
    /// ([`with_own_runtime`](Self::with_own_runtime)) rather than the shared one.
    pub fn has_own_runtime(&self) -> bool {
        self.shared.life.is_own()
    }

    /// The wrapped async backend.
    pub fn inner(&self) -> &Arc<B> {
        &self.shared.inner
    }

    /// A handle to the runtime the adapter runs on (the shared one unless
    /// [`with_own_runtime`](Self::with_own_runtime)), starting it if needed.
    ///
    /// # Errors
    /// `BackendUnavailable` when the runtime cannot be built.
    pub fn handle(&self) -> Result<Handle> {
        self.shared.life.handle()
    }

    /// Runs `make(backend)` on the adapter's runtime and blocks the calling thread (on a
    /// channel, never with `block_on`) until it finishes: how a blocking twin offers its
    /// backend-specific extras (creating a container, say) next to the `Backend` methods.
    /// Counts as a running call for [`close`](remote_store_sync::Backend::close).
    ///
    /// # Errors
    /// What the future returns; `BackendUnavailable` if the runtime cannot start, or if the
    /// adapter is closed during the call and the call outlasts close's wait.
    ///
    /// # Panics
    /// Resumes a panic raised by the future on the caller's thread.
    pub fn run<T, F, Fut>(&self, make: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce(Arc<B>) -> Fut,
        Fut: Future<Output = Result<T>> + Send + 'static,
    {
        self.shared.call(make)
    }

    fn call<T, F, Fut>(&self, make: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce(Arc<B>) -> Fut,
        Fut: Future<Output = Result<T>> + Send + 'static,
    {
        self.shared.call(make)
    }
}

impl<B: AsyncBackend> Shared<B> {
    /// Runs `fut` on the runtime as a call of the current epoch: counted for `close`,
    /// cancelled if it outlasts close's wait, panics caught. Returns where the outcome
    /// arrives.
    fn submit<T, Fut>(&self, fut: Fut) -> Result<std_mpsc::Receiver<Outcome<T>>>
    where
        T: Send + 'static,
        Fut: Future<Output = Result<T>> + Send + 'static,
    {
        let (handle, epoch) = self.life.start()?;
        let guard = epoch.enter();
        let (tx, rx) = std_mpsc::sync_channel(1);
        handle.spawn(async move {
            let _guard = guard;
            let run = AssertUnwindSafe(fut).catch_unwind();
            let outcome = epoch.calls.run_until_cancelled(run).await;
            let _ = tx.send(outcome.unwrap_or_else(|| Ok(Err(closed()))));
        });
        Ok(rx)
    }

    /// Runs `make(backend)` on the adapter's runtime and waits for its result.
    fn call<T, F, Fut>(&self, make: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce(Arc<B>) -> Fut,
        Fut: Future<Output = Result<T>> + Send + 'static,
    {
        let rx = self.submit(make(Arc::clone(&self.inner)))?;
        outcome(&rx)
    }

    fn write_with(
        &self,
        path: &RemotePath,
        content: Content<'_>,
        mode: WriteMode,
        opts: &WriteOptions,
    ) -> Result<WriteResult> {
        let (path, opts) = (path.clone(), opts.clone());
        let reader = match content {
            Content::Bytes(bytes) => {
                return self.call(move |b| async move {
                    b.write(&path, AsyncContent::Bytes(bytes), mode, &opts)
                        .await
                });
            }
            Content::Reader(reader) => reader,
        };
        let (tx, rx) = mpsc::channel::<Feed>(2);
        let inner = Arc::clone(&self.inner);
        let done = self.submit(async move {
            let content = AsyncContent::chunks(feed_stream(rx));
            inner.write(&path, content, mode, &opts).await
        })?;
        feed_reader(reader, &tx);
        drop(tx);
        outcome(&done)
    }

    /// Starts pumping `make(backend)`'s stream on the runtime; returns a blocking iterator.
    fn pump<T, F, S>(&self, make: F) -> Box<dyn Iterator<Item = Result<T>> + Send>
    where
        T: Send + 'static,
        F: FnOnce(Arc<B>) -> S + Send + 'static,
        S: futures::Stream<Item = Result<T>> + Send + Unpin + 'static,
    {
        match self.life.start() {
            Ok((handle, epoch)) => {
                let stream = make(Arc::clone(&self.inner));
                Box::new(BatchIter::spawn(&handle, &epoch, stream))
            }
            Err(e) => Box::new(std::iter::once(Err(e))),
        }
    }

    fn blocking_reader(&self, body: ByteStream) -> Result<Reader> {
        let (handle, epoch) = self.life.start()?;
        Ok(Box::new(BlockingReader::spawn(&handle, &epoch, body)))
    }
}

/// Waits for a call's outcome, resuming its panic on the caller's thread.
fn outcome<T>(rx: &std_mpsc::Receiver<Outcome<T>>) -> Result<T> {
    match rx.recv() {
        Ok(Ok(result)) => result,
        Ok(Err(panic)) => std::panic::resume_unwind(panic),
        Err(_) => Err(Error::unavailable(
            "the adapter's runtime shut down during the call",
        )),
    }
}

enum Feed {
    Chunk(io::Result<Bytes>),
    End,
}

/// The async side of a streamed write: chunks until `End`; a channel closed without `End`
/// means the caller went away, which fails the write rather than truncating it.
fn feed_stream(rx: mpsc::Receiver<Feed>) -> impl futures::Stream<Item = io::Result<Bytes>> + Send {
    futures::stream::unfold(Some(rx), |state| async move {
        let mut rx = state?;
        match rx.recv().await {
            Some(Feed::Chunk(Ok(chunk))) => Some((Ok(chunk), Some(rx))),
            Some(Feed::Chunk(Err(e))) => Some((Err(e), None)),
            Some(Feed::End) => None,
            None => Some((
                Err(io::Error::new(
                    io::ErrorKind::UnexpectedEof,
                    "the writer went away",
                )),
                None,
            )),
        }
    })
}

/// The blocking side of a streamed write: reads the caller's reader on the caller's thread.
fn feed_reader(mut reader: Box<dyn Read + Send + '_>, tx: &mpsc::Sender<Feed>) {
    loop {
        let mut buf = vec![0u8; WRITE_CHUNK];
        let msg = match read_full(&mut reader, &mut buf) {
            Ok(0) => Feed::End,
            Ok(n) => {
                buf.truncate(n);
                Feed::Chunk(Ok(Bytes::from(buf)))
            }
            Err(e) => Feed::Chunk(Err(e)),
        };
        let last = !matches!(msg, Feed::Chunk(Ok(_)));
        if wait(tx.send(msg)).is_err() || last {
            return;
        }
    }
}

/// Reads until `buf` is full or the reader ends.
fn read_full(reader: &mut dyn Read, buf: &mut [u8]) -> io::Result<usize> {
    let mut filled = 0;
    while filled < buf.len() {
        match reader.read(&mut buf[filled..]) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(filled)
}

/// A seekable reader over ranged reads: each seek starts a new ranged read from the new
/// position, lazily, on the next `read`.
struct RangedSeekReader<B: AsyncBackend> {
    shared: Arc<Shared<B>>,
    path: RemotePath,
    size: u64,
    /// The version opened, which every ranged read is held to (`pinned_range`).
    etag: Option<String>,
    pos: u64,
    body: Option<Reader>,
}

impl<B: AsyncBackend> Read for RangedSeekReader<B> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.pos >= self.size || buf.is_empty() {
            return Ok(0);
        }
        if self.body.is_none() {
            let range = self.pos..self.size;
            let path = self.path.clone();
            let pinned = crate::seek::pinned_range(
                self.shared.inner.capabilities(),
                self.etag.as_deref(),
                range.clone(),
            );
            let body = self
                .shared
                .call(|b| async move {
                    match pinned {
                        Some(opts) => b.read_with(&path, &opts).await,
                        None => b.read_range(&path, range).await,
                    }
                })
                .and_then(|body| self.shared.blocking_reader(body))
                .map_err(|e| crate::seek::changed_under_reader(e, self.path.as_str()))
                .map_err(Error::into_io)?;
            self.body = Some(body);
        }
        let n = self.body.as_mut().map_or(Ok(0), |b| b.read(buf))?;
        if n == 0 {
            // Short of the size it was opened with: the object changed meanwhile.
            self.body = None;
            return Err(Error::new(ErrorKind::Other)
                .with_path(self.path.as_str())
                .with_message(format!(
                    "the object ended at byte {} of {}: it changed since it was opened",
                    self.pos, self.size
                ))
                .into_io());
        }
        self.pos += n as u64;
        Ok(n)
    }
}

impl<B: AsyncBackend> Seek for RangedSeekReader<B> {
    fn seek(&mut self, to: SeekFrom) -> io::Result<u64> {
        let target = match to {
            SeekFrom::Start(n) => Some(n),
            SeekFrom::End(d) => self.size.checked_add_signed(d),
            SeekFrom::Current(d) => self.pos.checked_add_signed(d),
        };
        let target = target.ok_or_else(|| {
            io::Error::new(
                io::ErrorKind::InvalidInput,
                "seek before the start of the file",
            )
        })?;
        if target != self.pos {
            self.body = None;
            self.pos = target;
        }
        Ok(self.pos)
    }
}

#[warn(clippy::missing_trait_methods)]
impl<B: AsyncBackend> Backend for BlockingAdapter<B> {
    fn name(&self) -> &'static str {
        self.shared.inner.name()
    }

    fn capabilities(&self) -> CapabilitySet {
        let caps = self.shared.inner.capabilities();
        if caps.supports(Capability::RangeRead) && caps.supports(Capability::Metadata) {
            caps.with(Capability::SeekableRead)
        } else {
            caps.without(Capability::SeekableRead)
        }
    }

    fn is_closed(&self) -> bool {
        self.shared.inner.is_closed()
    }

    fn exists(&self, path: &RemotePath) -> Result<bool> {
        let path = path.clone();
        self.call(|b| async move { b.exists(&path).await })
    }

    fn is_file(&self, path: &RemotePath) -> Result<bool> {
        let path = path.clone();
        self.call(|b| async move { b.is_file(&path).await })
    }

    fn is_folder(&self, path: &RemotePath) -> Result<bool> {
        let path = path.clone();
        self.call(|b| async move { b.is_folder(&path).await })
    }

    fn read(&self, path: &RemotePath) -> Result<Reader> {
        let path = path.clone();
        let body = self.call(|b| async move { b.read(&path).await })?;
        self.shared.blocking_reader(body)
    }

    fn read_bytes(&self, path: &RemotePath) -> Result<Bytes> {
        let path = path.clone();
        self.call(|b| async move { b.read_bytes(&path).await })
    }

    fn read_range(&self, path: &RemotePath, range: Range<u64>) -> Result<Reader> {
        let path = path.clone();
        let body = self.call(|b| async move { b.read_range(&path, range).await })?;
        self.shared.blocking_reader(body)
    }

    fn read_with(&self, path: &RemotePath, opts: &ReadOptions) -> Result<Reader> {
        let path = path.clone();
        let opts = opts.clone();
        let body = self.call(|b| async move { b.read_with(&path, &opts).await })?;
        self.shared.blocking_reader(body)
    }

    fn read_versioned(
        &self,
        path: &RemotePath,
        range: Option<Range<u64>>,
    ) -> Result<(Reader, Option<remote_store_core::ObjectVersion>)> {
        let path = path.clone();
        let (body, version) = self.call(|b| async move { b.read_versioned(&path, range).await })?;
        Ok((self.shared.blocking_reader(body)?, version))
    }

    fn read_seekable(&self, path: &RemotePath) -> Result<SeekReader> {
        if !self.capabilities().supports(Capability::SeekableRead) {
            return fallback::spool_to_temp(self.read(path)?, path);
        }
        let info = self.get_file_info(path)?;
        let shared = Arc::clone(&self.shared);
        Ok(Box::new(RangedSeekReader {
            shared,
            path: path.clone(),
            size: info.size,
            etag: info.etag,
            pos: 0,
            body: None,
        }))
    }

    fn write(
        &self,
        path: &RemotePath,
        content: Content<'_>,
        mode: WriteMode,
        opts: &WriteOptions,
    ) -> Result<WriteResult> {
        self.shared.write_with(path, content, mode, opts)
    }

    fn delete(&self, path: &RemotePath, opts: &DeleteOptions) -> Result<()> {
        let (path, opts) = (path.clone(), *opts);
        self.call(|b| async move { b.delete(&path, &opts).await })
    }

    fn delete_many(&self, paths: &[RemotePath], opts: &DeleteOptions) -> Vec<Result<()>> {
        let (owned, opts) = (paths.to_vec(), *opts);
        self.call(|b| async move { Ok(b.delete_many(&owned, &opts).await) })
            .unwrap_or_else(|e| remote_store_core::bulk::fan_out(e, paths))
    }

    fn delete_folder(&self, path: &RemotePath, opts: &DeleteFolderOptions) -> Result<()> {
        let (path, opts) = (path.clone(), *opts);
        self.call(|b| async move { b.delete_folder(&path, &opts).await })
    }

    fn list_files(&self, path: &RemotePath, opts: &ListOptions) -> FileIter {
        let (path, opts) = (path.clone(), opts.clone());
        self.shared
            .pump::<FileInfo, _, _>(move |b| b.list_files(&path, &opts))
    }

    fn list_folders(&self, path: &RemotePath) -> FolderIter {
        let path = path.clone();
        self.shared
            .pump::<FolderEntry, _, _>(move |b| b.list_folders(&path))
    }

    fn iter_children(&self, path: &RemotePath) -> EntryIter {
        let path = path.clone();
        self.shared
            .pump::<Entry, _, _>(move |b| b.iter_children(&path))
    }

    fn glob(&self, pattern: &GlobPattern) -> FileIter {
        let pattern = pattern.clone();
        self.shared
            .pump::<FileInfo, _, _>(move |b| b.glob(&pattern))
    }

    fn get_file_info(&self, path: &RemotePath) -> Result<FileInfo> {
        let path = path.clone();
        self.call(|b| async move { b.get_file_info(&path).await })
    }

    fn get_folder_info(&self, path: &RemotePath) -> Result<FolderInfo> {
        let path = path.clone();
        self.call(|b| async move { b.get_folder_info(&path).await })
    }

    fn copy_file(&self, src: &RemotePath, dst: &RemotePath, opts: &CopyOptions) -> Result<()> {
        let (src, dst, opts) = (src.clone(), dst.clone(), *opts);
        self.call(|b| async move { b.copy_file(&src, &dst, &opts).await })
    }

    fn move_file(&self, src: &RemotePath, dst: &RemotePath, opts: &MoveOptions) -> Result<()> {
        let (src, dst, opts) = (src.clone(), dst.clone(), *opts);
        self.call(|b| async move { b.move_file(&src, &dst, &opts).await })
    }

    fn ping(&self) -> Result<()> {
        self.call(|b| async move { b.ping().await })
    }

    fn native_path(&self, key: &RemotePath) -> Result<String> {
        self.shared.inner.native_path(key)
    }

    fn to_key(&self, native: &str) -> Result<RemotePath> {
        self.shared.inner.to_key(native)
    }

    fn native_client(&self) -> Option<&(dyn Any + Send + Sync)> {
        self.shared.inner.native_client()
    }

    fn close(&self) -> Result<()> {
        // Held streams are cancelled at once; calls still running get a bounded wait.
        self.shared.life.end_epoch();
        let result = self.call(|b| async move { b.close().await });
        self.shared.life.release_runtime();
        result
    }
}

impl<B: fmt::Debug> fmt::Debug for BlockingAdapter<B> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BlockingAdapter")
            .field("inner", &self.shared.inner)
            .field("own_runtime", &self.shared.life.is_own())
            .field("running", &self.shared.life.running())
            .finish_non_exhaustive()
    }
}
