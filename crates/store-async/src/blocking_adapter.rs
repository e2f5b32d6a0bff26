//! [`BlockingAdapter`]: any [`AsyncBackend`] as a blocking `Backend`.

use std::any::Any;
use std::collections::VecDeque;
use std::fmt;
use std::future::Future;
use std::io::{self, Read, Seek, SeekFrom};
use std::ops::Range;
use std::panic::AssertUnwindSafe;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, mpsc as std_mpsc};
use std::time::{Duration, Instant};

use bytes::Bytes;
use futures::{FutureExt, StreamExt};
use remote_store_core::{
    Capability, CapabilitySet, CopyOptions, DeleteFolderOptions, DeleteOptions, Entry, Error,
    FileInfo, FolderEntry, FolderInfo, GlobPattern, ListOptions, MoveOptions, RemotePath, Result,
    WriteMode, WriteOptions, WriteResult,
};
use remote_store_sync::{
    Backend, Content, EntryIter, FileIter, FolderIter, Reader, SeekReader, fallback,
};
use tokio::runtime::{Handle, Runtime};
use tokio::sync::mpsc;

use crate::{AsyncBackend, AsyncContent, ByteStream};

/// Chunk size when feeding a blocking reader to an async write.
const WRITE_CHUNK: usize = 256 * 1024;
/// Listing items handed over per batch.
const LIST_BATCH: usize = 256;
/// How long `close` waits for in-flight calls before shutting the runtime down.
const DRAIN_TIMEOUT: Duration = Duration::from_secs(10);

/// Wraps any [`AsyncBackend`] as a blocking `Backend`, for `Store`.
///
/// The adapter owns a small multi-thread tokio runtime (two workers, created on first use
/// and reused for every call). Each call is spawned onto that runtime and the caller waits
/// on a channel — it never calls `Handle::block_on` on the caller's thread. So a `Store`
/// over a `BlockingAdapter` works on a plain thread, inside `#[tokio::main]` (either
/// flavour), inside `spawn_blocking`, and never panics with "Cannot start a runtime from
/// within a runtime". (Blocking a runtime's worker thread is still a blocking call: inside
/// async code prefer `AsyncStore`.)
///
/// Streams are handed over one chunk (reads) or one batch of up to 256 items (listings)
/// at a time, with at most two in flight, so memory stays bounded. Errors come back
/// unchanged. `read_seekable` is native (ranged reads) when the async backend declares
/// `range_read`; otherwise `seekable_read` is masked and the portable spool serves.
/// [`close`](Backend::close) waits up to ten seconds for in-flight calls, closes the
/// backend and shuts the runtime down; a backend that is not terminal is reused lazily.
///
/// ```
/// use remote_store_async::{AsyncBackend, BlockingAdapter};
/// use remote_store_sync::Store;
///
/// fn blocking_store(backend: impl AsyncBackend) -> remote_store_core::Result<Store> {
///     Store::new(BlockingAdapter::new(backend), "")
/// }
/// ```
pub struct BlockingAdapter<B> {
    shared: Arc<Shared<B>>,
}

/// The adapter's state, shared with the seekable readers it hands out.
struct Shared<B> {
    inner: Arc<B>,
    runtime: Mutex<Option<Runtime>>,
    in_flight: Arc<AtomicUsize>,
}

impl<B: AsyncBackend> BlockingAdapter<B> {
    /// Wraps `backend`.
    pub fn new(backend: B) -> Self {
        Self::from_arc(Arc::new(backend))
    }

    /// Wraps a shared backend.
    pub fn from_arc(backend: Arc<B>) -> Self {
        let shared = Shared {
            inner: backend,
            runtime: Mutex::new(None),
            in_flight: Arc::new(AtomicUsize::new(0)),
        };
        BlockingAdapter {
            shared: Arc::new(shared),
        }
    }

    /// The wrapped async backend.
    pub fn inner(&self) -> &Arc<B> {
        &self.shared.inner
    }

    /// A handle to the adapter's runtime, creating it on first use.
    ///
    /// # Errors
    /// `BackendUnavailable` when the runtime cannot be built.
    pub fn handle(&self) -> Result<Handle> {
        self.shared.handle()
    }

    /// Runs `make(backend)` on the adapter's runtime and blocks the calling thread (on a
    /// channel, never with `block_on`) until it finishes: how a blocking twin offers its
    /// backend-specific extras (creating a container, say) next to the `Backend` methods.
    /// Counts as an in-flight call for [`close`](remote_store_sync::Backend::close).
    ///
    /// # Errors
    /// What the future returns; `BackendUnavailable` if the runtime cannot start or shuts
    /// down during the call.
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
    fn handle(&self) -> Result<Handle> {
        let mut slot = self.runtime.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(rt) = slot.as_ref() {
            return Ok(rt.handle().clone());
        }
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("remote-store-blocking")
            .enable_all()
            .build()
            .map_err(|e| Error::unavailable("cannot start the adapter's runtime").with_source(e))?;
        let handle = rt.handle().clone();
        *slot = Some(rt);
        Ok(handle)
    }

    /// Runs `make(backend)` on the adapter's runtime and waits for its result.
    fn call<T, F, Fut>(&self, make: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce(Arc<B>) -> Fut,
        Fut: Future<Output = Result<T>> + Send + 'static,
    {
        let handle = self.handle()?;
        let fut = make(Arc::clone(&self.inner));
        let guard = InFlight::enter(&self.in_flight);
        let (tx, rx) = std_mpsc::sync_channel(1);
        handle.spawn(async move {
            let _guard = guard;
            let outcome = AssertUnwindSafe(fut).catch_unwind().await;
            let _ = tx.send(outcome);
        });
        match rx.recv() {
            Ok(Ok(result)) => result,
            Ok(Err(panic)) => std::panic::resume_unwind(panic),
            Err(_) => Err(Error::unavailable(
                "the adapter's runtime shut down during the call",
            )),
        }
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
        let handle = self.handle()?;
        let (tx, rx) = mpsc::channel::<Feed>(2);
        let (done_tx, done_rx) = std_mpsc::sync_channel(1);
        let inner = Arc::clone(&self.inner);
        let guard = InFlight::enter(&self.in_flight);
        handle.spawn(async move {
            let _guard = guard;
            let content = AsyncContent::chunks(feed_stream(rx));
            let fut = inner.write(&path, content, mode, &opts);
            let outcome = AssertUnwindSafe(fut).catch_unwind().await;
            let _ = done_tx.send(outcome);
        });
        feed_reader(reader, &tx);
        drop(tx);
        match done_rx.recv() {
            Ok(Ok(result)) => result,
            Ok(Err(panic)) => std::panic::resume_unwind(panic),
            Err(_) => Err(Error::unavailable(
                "the adapter's runtime shut down during the call",
            )),
        }
    }

    /// Starts pumping `make(backend)`'s stream on the runtime; returns a blocking iterator.
    fn pump<T, F, S>(&self, make: F) -> Box<dyn Iterator<Item = Result<T>> + Send>
    where
        T: Send + 'static,
        F: FnOnce(Arc<B>) -> S + Send + 'static,
        S: futures::Stream<Item = Result<T>> + Send + Unpin + 'static,
    {
        let handle = match self.handle() {
            Ok(h) => h,
            Err(e) => return Box::new(std::iter::once(Err(e))),
        };
        let (tx, rx) = mpsc::channel::<Vec<Result<T>>>(2);
        let inner = Arc::clone(&self.inner);
        let guard = InFlight::enter(&self.in_flight);
        handle.spawn(async move {
            let _guard = guard;
            // Fused: the batching loop may ask again after the stream has ended.
            let mut stream = make(inner).fuse();
            while let Some(first) = stream.next().await {
                let mut batch = Vec::with_capacity(16);
                batch.push(first);
                while batch.len() < LIST_BATCH {
                    match stream.next().now_or_never() {
                        Some(Some(item)) => batch.push(item),
                        _ => break,
                    }
                }
                if tx.send(batch).await.is_err() {
                    return;
                }
            }
        });
        Box::new(BatchIter {
            rx,
            buffered: VecDeque::new(),
        })
    }

    fn blocking_reader(&self, body: ByteStream) -> Result<Reader> {
        Ok(Box::new(BlockingReader {
            body: Some(body),
            current: Bytes::new(),
            handle: self.handle()?,
        }))
    }
}

/// Counts calls running on the runtime so `close` can drain them.
struct InFlight(Arc<AtomicUsize>);

impl InFlight {
    fn enter(counter: &Arc<AtomicUsize>) -> Self {
        counter.fetch_add(1, Ordering::SeqCst);
        InFlight(Arc::clone(counter))
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
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
        if futures::executor::block_on(tx.send(msg)).is_err() || last {
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

struct BatchIter<T> {
    rx: mpsc::Receiver<Vec<Result<T>>>,
    buffered: VecDeque<Result<T>>,
}

impl<T> Iterator for BatchIter<T> {
    type Item = Result<T>;

    fn next(&mut self) -> Option<Result<T>> {
        if self.buffered.is_empty() {
            self.buffered = futures::executor::block_on(self.rx.recv())?.into();
        }
        self.buffered.pop_front()
    }
}

/// A blocking `Read` over an async body, pulling one chunk at a time on the runtime.
struct BlockingReader {
    body: Option<ByteStream>,
    current: Bytes,
    handle: Handle,
}

impl Read for BlockingReader {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        while self.current.is_empty() {
            let Some(mut body) = self.body.take() else {
                return Ok(0);
            };
            let (tx, rx) = std_mpsc::sync_channel(1);
            self.handle.spawn(async move {
                let item = body.next().await;
                let _ = tx.send((body, item));
            });
            let (body, item) = rx.recv().map_err(|_| {
                Error::unavailable("the adapter's runtime shut down during a read").into_io()
            })?;
            match item {
                Some(Ok(chunk)) => {
                    self.current = chunk;
                    self.body = Some(body);
                }
                Some(Err(e)) => return Err(e.into_io()),
                None => return Ok(0),
            }
        }
        let n = buf.len().min(self.current.len());
        buf[..n].copy_from_slice(&self.current.split_to(n));
        Ok(n)
    }
}

impl Drop for BlockingReader {
    fn drop(&mut self) {
        if let Some(body) = self.body.take() {
            // Drop the body on the runtime that drives it (cancels the request there).
            self.handle.spawn(async move { drop(body) });
        }
    }
}

/// A seekable reader over ranged reads: each seek starts a new ranged read from the new
/// position, lazily, on the next `read`.
struct RangedSeekReader<B: AsyncBackend> {
    shared: Arc<Shared<B>>,
    path: RemotePath,
    size: u64,
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
            let body = self
                .shared
                .call(|b| async move { b.read_range(&path, range).await })
                .and_then(|body| self.shared.blocking_reader(body))
                .map_err(Error::into_io)?;
            self.body = Some(body);
        }
        let n = self.body.as_mut().map_or(Ok(0), |b| b.read(buf))?;
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

    fn read_seekable(&self, path: &RemotePath) -> Result<SeekReader> {
        if !self.capabilities().supports(Capability::SeekableRead) {
            return fallback::spool_to_temp(self.read(path)?, path);
        }
        let size = self.get_file_info(path)?.size;
        let shared = Arc::clone(&self.shared);
        Ok(Box::new(RangedSeekReader {
            shared,
            path: path.clone(),
            size,
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
        let deadline = Instant::now() + DRAIN_TIMEOUT;
        while self.shared.in_flight.load(Ordering::SeqCst) > 0 && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(2));
        }
        let result = self.call(|b| async move { b.close().await });
        let runtime = self
            .shared
            .runtime
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .take();
        if let Some(rt) = runtime {
            // Shutting down with a wait is not allowed on an async thread; do it on our own.
            let _ = std::thread::spawn(move || rt.shutdown_timeout(DRAIN_TIMEOUT)).join();
        }
        result
    }
}

impl<B> Drop for Shared<B> {
    fn drop(&mut self) {
        let runtime = self
            .runtime
            .get_mut()
            .unwrap_or_else(|p| p.into_inner())
            .take();
        if let Some(rt) = runtime {
            rt.shutdown_background();
        }
    }
}

impl<B: fmt::Debug> fmt::Debug for BlockingAdapter<B> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BlockingAdapter")
            .field("inner", &self.shared.inner)
            .field("in_flight", &self.shared.in_flight.load(Ordering::Relaxed))
            .finish_non_exhaustive()
    }
}
