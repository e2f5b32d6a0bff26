//! [`AsyncLocalBackend`]: the async half.

use std::collections::VecDeque;
use std::fmt;
use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom};
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use async_trait::async_trait;
use bytes::Bytes;
use futures::stream::{self, BoxStream, StreamExt};
use remote_store_async::{
    AsyncBackend, AsyncContent, ByteStream, EntryStream, FileStream, FolderStream,
};
use remote_store_core::{
    CapabilitySet, Entry, Error, FileInfo, RemotePath, Result, WriteOptions, WriteResult,
};
use remote_store_core::{
    CopyOptions, DeleteFolderOptions, DeleteOptions, ListOptions, MoveOptions, WriteMode,
};

use crate::config::LocalConfig;
use crate::error::{self, NAME};
use crate::list::{Walker, Want, batch, only_files, only_folders};
use crate::ops::{self, CAPABILITIES, Kind};
use crate::resolve;
use crate::root::Root;
use crate::write::{self, Pending};

/// Largest chunk an async read yields (and the memory one read stream holds).
const READ_CHUNK: usize = 1024 * 1024;
/// Chunk size for reading past a file's expected end (a file that grew, or was empty).
const GROWN_CHUNK: u64 = 64 * 1024;
/// A streamed write hands the filesystem pool about this many bytes per trip.
const WRITE_BATCH: usize = 1024 * 1024;
/// Listing items pulled per trip to the filesystem pool.
const LIST_BATCH: usize = 512;

/// A store's local folder, with async calls. This is an async version of
/// [`LocalBackend`](crate::LocalBackend): the same rules, the same guarantees, the same
/// containment.
///
/// Filesystems have no truly async interface here, so — like `tokio::fs` — every
/// filesystem call runs on a thread of a small pool (16 threads per process, shared by
/// every `AsyncLocalBackend`), never on a runtime worker; a burst of thousands of calls
/// queues for those threads instead of adding a thread per call. Unlike `tokio::fs`, each operation
/// is *one* trip to the pool: a small write is
/// open + write + fstat + close in a single task. Large bodies move in 1 MiB chunks:
/// reads are pulled one chunk per poll, and streamed writes keep one chunk being written
/// while the next is gathered, so memory stays bounded. Needs a tokio runtime; called
/// outside one it returns `BackendUnavailable` instead of panicking.
///
/// A pool trip costs two cross-thread wake-ups, more than a 4 KiB call itself on a fast
/// disk. For a folder on fast local storage, [`LocalConfig::inline_io_max_bytes`] lets
/// small calls run where they are awaited instead, blocking that runtime thread for their
/// length (off by default; ADR 0017). Those calls make no pool trip, so they would also
/// complete outside a runtime; the others still report the missing runtime.
///
/// # Cancel safety
/// Dropping a `write_atomic` future at any point leaves the old content (or nothing) and
/// no temp file: the temp file's guard lives in the future (or in the blocking task that
/// holds it) and removes it when dropped. A dropped plain write without `overwrite`
/// removes the file it created. Removing the temp file on drop is one `unlinkat`, done
/// synchronously by the guard.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> remote_store_core::Result<()> {
/// use remote_store_async::AsyncStore;
/// use remote_store_local::AsyncLocalBackend;
///
/// let dir = tempfile::tempdir().unwrap();
/// let store = AsyncStore::new(AsyncLocalBackend::new(dir.path())?, "")?;
/// store.write_atomic("notes/today.txt", "ship it").await?;
/// assert_eq!(store.read_text("notes/today.txt").await?, "ship it");
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct AsyncLocalBackend {
    root: Arc<Root>,
    /// `LocalConfig::inline_io_max_bytes`: calls moving at most this many bytes run on the
    /// caller's thread (0: none do).
    inline_max: u64,
}

impl AsyncLocalBackend {
    /// A backend over the existing folder `root`, with the default configuration. Opening
    /// the root is a few quick system calls, made right here.
    ///
    /// # Errors
    /// `InvalidArgument` when `root` is empty, `NotFound` when it does not exist,
    /// `InvalidPath` when it is not a folder, `PermissionDenied` when it cannot be opened.
    pub fn new(root: impl Into<PathBuf>) -> Result<Self> {
        Self::from_config(LocalConfig::new(root))
    }

    /// A backend from `config` (creating the root first when `create_root` is set).
    ///
    /// # Errors
    /// As [`new`](Self::new).
    pub fn from_config(config: LocalConfig) -> Result<Self> {
        Ok(AsyncLocalBackend {
            root: Arc::new(crate::open_root(&config)?),
            inline_max: config.inline_io_max_bytes,
        })
    }

    /// The root folder, with every symbolic link in its own path resolved.
    pub fn root(&self) -> &Path {
        self.root.canonical()
    }

    /// Runs `f` with the root on the filesystem pool.
    async fn run<T, F>(&self, f: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce(&Arc<Root>) -> Result<T> + Send + 'static,
    {
        let root = Arc::clone(&self.root);
        blocking(move || f(&root)).await
    }

    /// Whether a call moving `bytes` runs on the caller's thread
    /// (`LocalConfig::inline_io_max_bytes`).
    #[inline]
    fn inline(&self, bytes: u64) -> bool {
        bytes <= self.inline_max && self.inline_max > 0
    }

    /// Runs `f` with the root and `path` on the caller's thread when the inline mode is on
    /// (a call that moves no file content), else on the filesystem pool (with a copy of
    /// `path`; the inline call borrows it).
    async fn run_small<T, F>(&self, path: &RemotePath, f: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce(&Arc<Root>, &RemotePath) -> Result<T> + Send + 'static,
    {
        if self.inline(0) {
            f(&self.root, path)
        } else {
            let key = path.clone();
            self.run(move |root| f(root, &key)).await
        }
    }

    async fn write_content(
        &self,
        path: &RemotePath,
        content: AsyncContent<'_>,
        opts: &WriteOptions,
        atomic: bool,
    ) -> Result<WriteResult> {
        // Small, in memory and with no fsync: on this thread when the inline mode is on.
        if let AsyncContent::Bytes(bytes) = &content
            && self.inline(bytes.len() as u64)
            && !self.root.fsync().syncs(atomic)
        {
            // A plain overwrite replaces the name (ADR 0018) with the plain-write fsync
            // policy too, so nothing of it fsyncs here either.
            return write::begin(&self.root, path, opts.overwrite, atomic)?.commit(bytes, opts);
        }
        let (key, opts) = (path.clone(), opts.clone());
        let chunks = match content {
            AsyncContent::Bytes(bytes) => {
                return self
                    .run(move |root| {
                        write::begin(root, &key, opts.overwrite, atomic)?.commit(&bytes, &opts)
                    })
                    .await;
            }
            AsyncContent::Stream(chunks) => chunks,
        };
        let overwrite = opts.overwrite;
        let begin_key = key.clone();
        let pending = self
            .run(move |root| write::begin(root, &begin_key, overwrite, atomic))
            .await?;
        let pending = pump(pending, chunks, &key).await?;
        blocking(move || pending.finish(&opts)).await
    }
}

impl fmt::Debug for AsyncLocalBackend {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AsyncLocalBackend")
            .field("root", &self.root.canonical())
            .field("fsync", &self.root.fsync())
            .field("inline_io_max_bytes", &self.inline_max)
            .finish()
    }
}

/// The threads that run this backend's filesystem calls: one pool per process, shared by
/// every `AsyncLocalBackend`, started on first use. More concurrent operations queue for
/// a thread instead of growing a pool by a thread each (a burst of 2,000 calls on tokio's
/// blocking pool adds dozens of threads).
pub(crate) const POOL_THREADS: usize = 16;

type Job = Box<dyn FnOnce() + Send>;

/// The process-wide pool: a queue of jobs and the threads that take them.
///
/// Idle threads wait on one condition variable and a new job wakes exactly one of them.
/// (A shared `mpsc::Receiver` behind a mutex, the obvious alternative, wakes two threads
/// per job — the one that takes it, then the next in line for the mutex, which only goes
/// back to sleep — which measured as ~15 % more CPU per small write.)
struct Pool {
    queue: std::sync::Mutex<VecDeque<Job>>,
    ready: std::sync::Condvar,
    /// Threads that started; none at all fails every call instead of queueing forever.
    threads: std::sync::atomic::AtomicUsize,
}

impl Pool {
    fn queue(&self) -> std::sync::MutexGuard<'_, VecDeque<Job>> {
        // A job never runs under the lock, so a poisoned lock still holds a sound queue.
        self.queue.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Queues `job` and wakes one idle thread.
    fn submit(&self, job: Job) -> Result<()> {
        if self.threads.load(std::sync::atomic::Ordering::Acquire) == 0 {
            return Err(Error::unavailable("the local filesystem threads are gone"));
        }
        self.queue().push_back(job);
        self.ready.notify_one();
        Ok(())
    }

    /// A thread's life: take the next job, run it, forever.
    fn work(&self) {
        loop {
            let job = {
                let mut queue = self.queue();
                loop {
                    if let Some(job) = queue.pop_front() {
                        break job;
                    }
                    queue = self.ready.wait(queue).unwrap_or_else(|p| p.into_inner());
                }
            };
            job();
        }
    }
}

/// The pool, started on first use. Leaked once per process: its threads hold it for as
/// long as the process runs.
fn pool() -> &'static Pool {
    static POOL: std::sync::OnceLock<&'static Pool> = std::sync::OnceLock::new();
    POOL.get_or_init(|| {
        let pool: &'static Pool = Box::leak(Box::new(Pool {
            queue: std::sync::Mutex::new(VecDeque::new()),
            ready: std::sync::Condvar::new(),
            threads: std::sync::atomic::AtomicUsize::new(0),
        }));
        for n in 0..POOL_THREADS {
            let started = std::thread::Builder::new()
                .name(format!("remote-store-local-{n}"))
                .spawn(move || pool.work());
            // Fewer threads still serve the queue; none at all fails every call.
            if started.is_ok() {
                pool.threads
                    .fetch_add(1, std::sync::atomic::Ordering::Release);
            }
        }
        pool
    })
}

/// Runs `f` on the pool.
async fn blocking<T, F>(f: F) -> Result<T>
where
    T: Send + 'static,
    F: FnOnce() -> Result<T> + Send + 'static,
{
    spawn(f)?.await.unwrap_or_else(|e| Err(joined(e)))
}

/// Queues `f` on the pool; the returned task resolves to its result. Needs a tokio
/// runtime (the contract of the async half), though the pool itself does not.
fn spawn<T, F>(f: F) -> Result<Task<T>>
where
    T: Send + 'static,
    F: FnOnce() -> T + Send + 'static,
{
    tokio::runtime::Handle::try_current().map_err(|_| {
        Error::unavailable(
            "no tokio runtime: AsyncLocalBackend must be called from inside a tokio runtime",
        )
        .retryable(false)
    })?;
    let (tx, rx) = tokio::sync::oneshot::channel();
    let job: Job = Box::new(move || {
        let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(f));
        let _ = tx.send(result);
    });
    pool().submit(job)?;
    Ok(Task { rx })
}

/// A filesystem call queued on the pool. Dropping it does not stop the call (as with
/// `spawn_blocking`): guards inside the call clean up when it ends.
struct Task<T> {
    rx: tokio::sync::oneshot::Receiver<std::thread::Result<T>>,
}

/// How a pool task ended without a value.
enum Lost {
    Panicked(Box<dyn std::any::Any + Send>),
    Dropped,
}

impl<T> std::future::Future for Task<T> {
    type Output = std::result::Result<T, Lost>;

    fn poll(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Self::Output> {
        std::pin::Pin::new(&mut self.rx).poll(cx).map(|r| match r {
            Ok(Ok(value)) => Ok(value),
            Ok(Err(panic)) => Err(Lost::Panicked(panic)),
            Err(_) => Err(Lost::Dropped),
        })
    }
}

/// A pool task that did not return: a panic is resumed, a lost task is
/// `BackendUnavailable`.
fn joined(e: Lost) -> Error {
    match e {
        Lost::Panicked(panic) => std::panic::resume_unwind(panic),
        Lost::Dropped => Error::unavailable("a local filesystem task was lost"),
    }
}

/// Writes a streamed body: gathers about [`WRITE_BATCH`] bytes, writes them on the
/// filesystem pool while gathering the next batch, and returns the write once the stream
/// ends. On any failure the pending write is dropped on the filesystem pool (removing its
/// temp or created file) before the error is returned.
async fn pump(
    pending: Pending,
    mut chunks: BoxStream<'_, io::Result<Bytes>>,
    key: &RemotePath,
) -> Result<Pending> {
    let mut idle = Some(pending);
    let mut inflight: Option<Task<(Pending, Result<()>)>> = None;
    loop {
        let mut gathered: Vec<Bytes> = Vec::new();
        let mut size = 0;
        let mut ended = false;
        while size < WRITE_BATCH {
            match chunks.next().await {
                Some(Ok(chunk)) => {
                    size += chunk.len();
                    if !chunk.is_empty() {
                        gathered.push(chunk);
                    }
                }
                Some(Err(e)) => {
                    let err = error::source_failed(e, key);
                    return Err(abandon(idle, inflight, err).await);
                }
                None => {
                    ended = true;
                    break;
                }
            }
        }
        if let Some(task) = inflight.take() {
            let (pending, outcome) = match task.await {
                Ok(done) => done,
                Err(e) => return Err(joined(e)),
            };
            if let Err(e) = outcome {
                return Err(abandon(Some(pending), None, e).await);
            }
            idle = Some(pending);
        }
        if !gathered.is_empty() {
            let mut pending = idle.take().expect("no write in flight");
            inflight = Some(spawn(move || {
                let outcome = gathered.iter().try_for_each(|chunk| pending.write(chunk));
                (pending, outcome)
            })?);
        }
        if ended {
            if let Some(task) = inflight.take() {
                let (pending, outcome) = task.await.map_err(joined)?;
                if let Err(e) = outcome {
                    return Err(abandon(Some(pending), None, e).await);
                }
                idle = Some(pending);
            }
            return Ok(idle.expect("the write is back"));
        }
    }
}

/// Drops a failed write on the filesystem pool (its guard removes the temp or created file)
/// and returns `err` once that is done, so the caller never sees a leftover.
async fn abandon(
    idle: Option<Pending>,
    inflight: Option<Task<(Pending, Result<()>)>>,
    err: Error,
) -> Error {
    let mut pending = idle;
    if let Some(Ok((p, _))) = match inflight {
        Some(task) => Some(task.await),
        None => None,
    } {
        pending = Some(p);
    }
    if let Some(p) = pending {
        let _ = blocking(move || {
            drop(p);
            Ok(())
        })
        .await;
    }
    err
}

/// A read body: one chunk of at most [`READ_CHUNK`] bytes per poll, read on the blocking
/// pool (on the polling thread when it is at most `inline_max` bytes), ending at end of
/// file or after `limit` bytes.
fn read_stream(
    file: File,
    key: RemotePath,
    size_hint: u64,
    limit: u64,
    inline_max: u64,
) -> ByteStream {
    struct State {
        file: File,
        key: RemotePath,
        hint: u64,
        left: u64,
    }
    let state = State {
        file,
        key,
        hint: size_hint,
        left: limit,
    };
    ByteStream::new(
        stream::unfold(Some(state), move |state| async move {
            let mut st = state?;
            if st.left == 0 {
                return None;
            }
            // Ask for what the file should still hold plus one byte, so a file that ends
            // where expected is seen to end in the same trip; a file that grew past its
            // size hint is read in ordinary chunks.
            let expected = match st.hint {
                0 => GROWN_CHUNK,
                n => n.saturating_add(1),
            };
            let want = expected.min(st.left).min(READ_CHUNK as u64);
            // Inline when at most `inline_max` bytes of the file are left (the chunk is
            // those bytes plus the one probe byte that sees the end): a small file is read
            // whole in one inline chunk, a large one on the pool up to its last such chunk.
            let inline = st.hint > 0 && st.hint <= inline_max;
            let read = move || {
                let mut buf = Vec::with_capacity(usize::try_from(want).unwrap_or(READ_CHUNK));
                match (&mut st.file).take(want).read_to_end(&mut buf) {
                    Ok(_) => Ok((st, buf)),
                    Err(e) => Err(error::map(e, &st.key)),
                }
            };
            let outcome = if inline { read() } else { blocking(read).await };
            match outcome {
                Ok((mut st, buf)) => {
                    let n = buf.len() as u64;
                    if n == 0 {
                        return None;
                    }
                    st.left -= n;
                    st.hint = st.hint.saturating_sub(n);
                    let next = if n < want { None } else { Some(st) };
                    Some((Ok(Bytes::from(buf)), next))
                }
                Err(e) => Some((Err(e), None)),
            }
        })
        // `ByteStream`'s `AsyncRead` may poll again after the end: stay ended.
        .fuse(),
    )
}

/// A lazy listing stream: the walker moves to the filesystem pool for each batch.
fn walk_stream(root: Arc<Root>, key: RemotePath, want: Want) -> BoxStream<'static, Result<Entry>> {
    let walker = Walker::new(root, key, want);
    stream::unfold(
        (Some(walker), VecDeque::new()),
        |(walker, mut ready): (Option<Walker>, VecDeque<Result<Entry>>)| async move {
            if let Some(item) = ready.pop_front() {
                return Some((item, (walker, ready)));
            }
            let mut w = walker?;
            let pulled = blocking(move || {
                let items = batch(&mut w, LIST_BATCH);
                Ok((w, items))
            })
            .await;
            match pulled {
                Ok((w, items)) => {
                    // A short batch means the walker is done.
                    let walker = (items.len() == LIST_BATCH).then_some(w);
                    ready.extend(items);
                    let item = ready.pop_front()?;
                    Some((item, (walker, ready)))
                }
                Err(e) => Some((Err(e), (None, ready))),
            }
        },
    )
    .fuse()
    .boxed()
}

#[async_trait]
impl AsyncBackend for AsyncLocalBackend {
    fn name(&self) -> &'static str {
        NAME
    }

    fn capabilities(&self) -> CapabilitySet {
        CAPABILITIES
    }

    async fn exists(&self, path: &RemotePath) -> Result<bool> {
        let kind = self
            .run_small(path, |root, key| ops::kind(root, key))
            .await?;
        Ok(matches!(kind, Kind::File | Kind::Folder))
    }

    async fn is_file(&self, path: &RemotePath) -> Result<bool> {
        Ok(self
            .run_small(path, |root, key| ops::kind(root, key))
            .await?
            == Kind::File)
    }

    async fn is_folder(&self, path: &RemotePath) -> Result<bool> {
        Ok(self
            .run_small(path, |root, key| ops::kind(root, key))
            .await?
            == Kind::Folder)
    }

    async fn read(&self, path: &RemotePath) -> Result<ByteStream> {
        let (file, size) = self
            .run_small(path, |root, key| ops::open_read(root, key))
            .await?;
        Ok(read_stream(
            file,
            path.clone(),
            size,
            u64::MAX,
            self.inline_max,
        ))
    }

    async fn read_bytes(&self, path: &RemotePath) -> Result<Bytes> {
        let key = path.clone();
        if !self.inline(0) {
            return self
                .run(move |root| ops::read_all(root, &key).map(Bytes::from))
                .await;
        }
        // Opened here; read here too when the file is small, else on the pool. A file
        // that grew past the bound since its `fstat` is read to its end on the pool.
        let (mut file, size) = ops::open_read(&self.root, &key)?;
        let mut buf = Vec::new();
        let small = self.inline(size);
        if small {
            ops::read_sized(&mut file, &mut buf, size, &key)?;
            if ops::read_rest(&mut file, &mut buf, self.inline_max, &key)? {
                return Ok(Bytes::from(buf));
            }
        }
        blocking(move || {
            if !small {
                ops::read_sized(&mut file, &mut buf, size, &key)?;
            }
            ops::read_rest(&mut file, &mut buf, u64::MAX, &key)?;
            Ok(Bytes::from(buf))
        })
        .await
    }

    async fn read_range(&self, path: &RemotePath, range: Range<u64>) -> Result<ByteStream> {
        let start = range.start;
        let (file, size) = self
            .run_small(path, move |root, key| {
                let (mut file, size) = ops::open_read(root, key)?;
                file.seek(SeekFrom::Start(start))
                    .map_err(|e| error::map(e, key))?;
                Ok((file, size))
            })
            .await?;
        let limit = range.end.saturating_sub(range.start);
        Ok(read_stream(
            file,
            path.clone(),
            size.saturating_sub(start),
            limit,
            self.inline_max,
        ))
    }

    async fn write(
        &self,
        path: &RemotePath,
        content: AsyncContent<'_>,
        mode: WriteMode,
        opts: &WriteOptions,
    ) -> Result<WriteResult> {
        self.write_content(path, content, opts, mode.is_atomic())
            .await
    }

    async fn delete(&self, path: &RemotePath, opts: &DeleteOptions) -> Result<()> {
        let missing_ok = opts.missing_ok;
        self.run_small(path, move |root, key| ops::delete(root, key, missing_ok))
            .await
    }

    async fn delete_folder(&self, path: &RemotePath, opts: &DeleteFolderOptions) -> Result<()> {
        let DeleteFolderOptions {
            recursive,
            missing_ok,
            ..
        } = *opts;
        let key = path.clone();
        self.run(move |root| ops::delete_folder(root, &key, recursive, missing_ok))
            .await
    }

    fn list_files(&self, path: &RemotePath, opts: &ListOptions) -> FileStream {
        let recursive = opts.is_recursive();
        walk_stream(
            Arc::clone(&self.root),
            path.clone(),
            Want::Files { recursive },
        )
        .filter_map(|item| futures::future::ready(only_files(item)))
        .boxed()
    }

    fn list_folders(&self, path: &RemotePath) -> FolderStream {
        walk_stream(Arc::clone(&self.root), path.clone(), Want::Folders)
            .filter_map(|item| futures::future::ready(only_folders(item)))
            .boxed()
    }

    fn iter_children(&self, path: &RemotePath) -> EntryStream {
        walk_stream(Arc::clone(&self.root), path.clone(), Want::Children)
    }

    async fn get_file_info(&self, path: &RemotePath) -> Result<FileInfo> {
        self.run_small(path, |root, key| ops::file_info(root, key))
            .await
    }

    async fn copy_file(
        &self,
        src: &RemotePath,
        dst: &RemotePath,
        opts: &CopyOptions,
    ) -> Result<()> {
        let overwrite = opts.overwrite;
        let (src, dst) = (src.clone(), dst.clone());
        self.run(move |root| ops::copy(root, &src, &dst, overwrite))
            .await
    }

    async fn move_file(
        &self,
        src: &RemotePath,
        dst: &RemotePath,
        opts: &MoveOptions,
    ) -> Result<()> {
        let overwrite = opts.overwrite;
        let (src, dst) = (src.clone(), dst.clone());
        self.run(move |root| ops::rename(root, &src, &dst, overwrite))
            .await
    }

    async fn ping(&self) -> Result<()> {
        self.run_small(&RemotePath::ROOT, |root, _| ops::ping(root))
            .await
    }

    fn native_path(&self, key: &RemotePath) -> Result<String> {
        resolve::native_path(self.root.canonical(), key)
    }

    fn to_key(&self, native: &str) -> Result<RemotePath> {
        resolve::to_key(&[self.root.canonical(), self.root.given()], native)
    }
}
