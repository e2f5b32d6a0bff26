//! [`AsyncStore`]: the async client.

use std::any::Any;
use std::fmt;
use std::future::Future;
use std::ops::Range;
use std::sync::Arc;

use bytes::Bytes;
use futures::StreamExt;
use remote_store_core::plan::{self, Plan};
use remote_store_core::{
    Capability, CapabilitySet, CopyOptions, DeleteFolderOptions, DeleteOptions, Error, FileInfo,
    FolderInfo, ListOptions, MoveOptions, Operation, ReadOptions, RemotePath, Result, WriteMode,
    WriteOptions, WriteResult,
};
use remote_store_sync::Backend;

use crate::seek::{AsyncSeekReader, OpenRange};
use crate::writer::{self, AsyncWriter};
use crate::{
    AsyncBackend, AsyncContent, ByteStream, EntryStream, FileStream, FolderStream,
    SyncBackendAdapter,
};

/// The async client: one contract over any [`AsyncBackend`]. This is an async version of
/// `remote_store_sync::Store`, method for method, with the same rules: paths are
/// validated, capabilities checked before any I/O, the root prefixed and returned paths
/// made relative to the store again.
///
/// `AsyncStore` is cheap to clone and safe to use from many tasks at once. Methods that
/// return a stream (listings, `glob`) validate the path and capability at once and report
/// backend errors on the first poll; `read` reports a missing file when awaited.
///
/// # Cancel safety
/// Dropping any future or stream cancels its request. Dropping a `write_atomic` future
/// never leaves a partial file visible; dropping a plain `write` may leave the target
/// absent or partial where the backend streams into place (local). Dropping an
/// unfinished [`AsyncWriter`] fails its write instead (see its docs), so it leaves nothing.
#[derive(Clone)]
pub struct AsyncStore {
    backend: Arc<dyn AsyncBackend>,
    plan: Arc<Plan>,
    owner: bool,
}

impl AsyncStore {
    /// A store over `backend`, rooted at `root`; it owns the backend.
    ///
    /// # Errors
    /// `InvalidPath` for a bad `root`.
    pub fn new(backend: impl AsyncBackend, root: &str) -> Result<Self> {
        Self::from_arc(Arc::new(backend), root)
    }

    /// A store over a blocking backend, wrapped in a [`SyncBackendAdapter`].
    ///
    /// # Errors
    /// `InvalidPath` for a bad `root`.
    pub fn from_blocking(backend: impl Backend, root: &str) -> Result<Self> {
        Self::new(SyncBackendAdapter::new(backend), root)
    }

    /// A store over a shared backend (owning it, like [`new`](Self::new)).
    ///
    /// # Errors
    /// `InvalidPath` for a bad `root`.
    pub fn from_arc(backend: Arc<dyn AsyncBackend>, root: &str) -> Result<Self> {
        let root = plan::store_root(root, backend.name())
            .map_err(|e| e.with_operation(Operation::Open))?;
        let plan = Plan::new(root, backend.capabilities(), backend.name());
        Ok(AsyncStore {
            backend,
            plan: Arc::new(plan),
            owner: true,
        })
    }

    /// The backend's name.
    pub fn name(&self) -> &'static str {
        self.backend().name()
    }

    /// The store's root within the backend.
    pub fn root(&self) -> &RemotePath {
        self.plan.root()
    }

    /// The backend's capabilities.
    pub fn capabilities(&self) -> CapabilitySet {
        self.plan.capabilities()
    }

    /// True when the backend declares `cap`.
    pub fn supports(&self, cap: Capability) -> bool {
        self.plan.capabilities().supports(cap)
    }

    /// A handle on the same backend and root for a future to own, so the futures this
    /// store returns borrow nothing (`'static`: they can be spawned). Never an owner:
    /// only the store itself closes its backend.
    fn detached(&self) -> AsyncStore {
        AsyncStore {
            backend: Arc::clone(&self.backend),
            plan: Arc::clone(&self.plan),
            owner: false,
        }
    }

    /// The backend as the trait object itself. Calling through the `Arc` would go
    /// through the `Arc`'s own forwarding impl of [`AsyncBackend`] (`shared.rs`), one more
    /// boxed future on every call.
    #[inline]
    fn backend(&self) -> &dyn AsyncBackend {
        &*self.backend
    }

    fn open(&self) -> Result<()> {
        if self.backend().is_closed() {
            Err(self.plan.closed())
        } else {
            Ok(())
        }
    }

    fn ctx(&self) -> impl Fn(Error) -> Error + '_ {
        |e| self.plan.context(e)
    }

    /// Runs one operation: the closed check first, then `f`; every error leaves with the
    /// backend and the operation stamped, here and nowhere else.
    fn run_op<T>(&self, op: Operation, f: impl FnOnce() -> Result<T>) -> Result<T> {
        self.open()
            .and_then(|()| f())
            .map_err(|e| self.plan.stamp(op, e))
    }

    /// Async version of [`run_op`](Self::run_op).
    async fn run_op_async<T>(
        &self,
        op: Operation,
        f: impl std::future::Future<Output = Result<T>>,
    ) -> Result<T> {
        let outcome = match self.open() {
            Ok(()) => f.await,
            Err(e) => Err(e),
        };
        outcome.map_err(|e| self.plan.stamp(op, e))
    }

    /// Async version of `Store::exists`: false for a missing path, an error naming a
    /// missing container (bucket, blob container, base directory).
    ///
    /// # Errors
    /// `InvalidPath` for a malformed path; `NotFound` with
    /// [`is_container_not_found`](Error::is_container_not_found) for a missing container;
    /// `BackendUnavailable`, `PermissionDenied`.
    pub fn exists(
        &self,
        p: impl AsRef<str>,
    ) -> impl Future<Output = Result<bool>> + Send + 'static {
        let this = self.detached();
        let p = p.as_ref().to_owned();
        async move { this.exists_impl(p).await }
    }

    async fn exists_impl(&self, p: impl AsRef<str>) -> Result<bool> {
        self.run_op_async(Operation::Exists, async {
            let key = self.plan.folder(p.as_ref(), None)?;
            let found = if &key == self.plan.root() {
                Ok(true)
            } else {
                self.backend().exists(&key).await
            };
            self.plan.probe(found)
        })
        .await
    }

    /// Async version of `Store::is_file`.
    ///
    /// # Errors
    /// As [`exists`](Self::exists).
    pub fn is_file(
        &self,
        p: impl AsRef<str>,
    ) -> impl Future<Output = Result<bool>> + Send + 'static {
        let this = self.detached();
        let p = p.as_ref().to_owned();
        async move { this.is_file_impl(p).await }
    }

    async fn is_file_impl(&self, p: impl AsRef<str>) -> Result<bool> {
        self.run_op_async(Operation::IsFile, async {
            let key = self.plan.folder(p.as_ref(), None)?;
            let found = if &key == self.plan.root() {
                Ok(false)
            } else {
                self.backend().is_file(&key).await
            };
            self.plan.probe(found)
        })
        .await
    }

    /// Async version of `Store::is_folder`.
    ///
    /// # Errors
    /// As [`exists`](Self::exists).
    pub fn is_folder(
        &self,
        p: impl AsRef<str>,
    ) -> impl Future<Output = Result<bool>> + Send + 'static {
        let this = self.detached();
        let p = p.as_ref().to_owned();
        async move { this.is_folder_impl(p).await }
    }

    async fn is_folder_impl(&self, p: impl AsRef<str>) -> Result<bool> {
        self.run_op_async(Operation::IsFolder, async {
            let key = self.plan.folder(p.as_ref(), None)?;
            let found = if &key == self.plan.root() {
                Ok(true)
            } else {
                self.backend().is_folder(&key).await
            };
            self.plan.probe(found)
        })
        .await
    }

    /// Async version of `Store::read`: a [`ByteStream`] of chunks that is also an
    /// `AsyncRead`. A missing file fails when awaited, never as an empty stream.
    ///
    /// # Errors
    /// `NotFound`, `InvalidPath` (a folder, the root).
    pub fn read(
        &self,
        p: impl AsRef<str>,
    ) -> impl Future<Output = Result<ByteStream>> + Send + 'static {
        let this = self.detached();
        let p = p.as_ref().to_owned();
        async move { this.read_impl(p).await }
    }

    async fn read_impl(&self, p: impl AsRef<str>) -> Result<ByteStream> {
        self.run_op_async(Operation::Read, async {
            let key = self.plan.file(p.as_ref(), Capability::Read)?;
            let body = self.backend().read(&key).await.map_err(self.ctx())?;
            Ok(self.rebase_body(Operation::Read, body))
        })
        .await
    }

    /// Async version of `Store::read_bytes`.
    ///
    /// # Errors
    /// As [`read`](Self::read).
    pub fn read_bytes(
        &self,
        p: impl AsRef<str>,
    ) -> impl Future<Output = Result<Bytes>> + Send + 'static {
        let this = self.detached();
        let p = p.as_ref().to_owned();
        async move { this.read_bytes_impl(p).await }
    }

    async fn read_bytes_impl(&self, p: impl AsRef<str>) -> Result<Bytes> {
        self.run_op_async(Operation::ReadBytes, async {
            let key = self.plan.file(p.as_ref(), Capability::Read)?;
            self.backend().read_bytes(&key).await.map_err(self.ctx())
        })
        .await
    }

    /// Async version of `Store::read_text`.
    ///
    /// # Errors
    /// As [`read`](Self::read); `InvalidArgument` for invalid UTF-8.
    pub fn read_text(
        &self,
        p: impl AsRef<str>,
    ) -> impl Future<Output = Result<String>> + Send + 'static {
        let this = self.detached();
        let p = p.as_ref().to_owned();
        async move { this.read_text_impl(p).await }
    }

    async fn read_text_impl(&self, p: impl AsRef<str>) -> Result<String> {
        let p = p.as_ref();
        let bytes = self.read_bytes(p).await?;
        String::from_utf8(bytes.into()).map_err(|e| {
            Error::invalid_argument("content is not valid UTF-8")
                .with_path(p)
                .with_source(e)
        })
    }

    /// Async version of `Store::read_with`.
    ///
    /// # Errors
    /// As `Store::read_with`.
    pub fn read_with(
        &self,
        p: impl AsRef<str>,
        opts: ReadOptions,
    ) -> impl Future<Output = Result<ByteStream>> + Send + 'static {
        let this = self.detached();
        let p = p.as_ref().to_owned();
        async move { this.read_with_impl(p, opts).await }
    }

    async fn read_with_impl(&self, p: impl AsRef<str>, opts: ReadOptions) -> Result<ByteStream> {
        let op = plan::read_operation(&opts);
        self.run_op_async(op, async {
            let key = self.plan.file(p.as_ref(), Capability::Read)?;
            if let Some(range) = &opts.range {
                self.plan.range(p.as_ref(), range)?;
            }
            let body = self
                .backend()
                .read_with(&key, &opts)
                .await
                .map_err(self.ctx())?;
            Ok(self.rebase_body(op, body))
        })
        .await
    }

    /// Async version of `Store::read_range`.
    ///
    /// # Errors
    /// As [`read`](Self::read); `InvalidArgument` when `range.start > range.end`.
    pub fn read_range(
        &self,
        p: impl AsRef<str>,
        range: Range<u64>,
    ) -> impl Future<Output = Result<ByteStream>> + Send + 'static {
        let this = self.detached();
        let p = p.as_ref().to_owned();
        async move { this.read_range_impl(p, range).await }
    }

    async fn read_range_impl(&self, p: impl AsRef<str>, range: Range<u64>) -> Result<ByteStream> {
        self.run_op_async(Operation::ReadRange, async {
            let key = self.plan.file(p.as_ref(), Capability::Read)?;
            self.plan.range(p.as_ref(), &range)?;
            let body = self
                .backend()
                .read_range(&key, range)
                .await
                .map_err(self.ctx())?;
            Ok(self.rebase_body(Operation::ReadRange, body))
        })
        .await
    }

    /// An async version of `Store::read_seekable`: an [`AsyncSeekReader`]
    /// (`tokio::io::AsyncRead + AsyncSeek`) over ranged reads, for readers that jump around
    /// a file (Parquet footers, archives). The size is read once here; each seek drops the
    /// open read and the next read opens a ranged read at the new position. Needs `read`
    /// and, for the size, `metadata`.
    ///
    /// # Errors
    /// `NotFound`, `InvalidPath` (a folder, the root), `CapabilityNotSupported` without
    /// `read` or `metadata`, when awaited.
    pub fn read_seekable(
        &self,
        p: impl AsRef<str>,
    ) -> impl Future<Output = Result<AsyncSeekReader>> + Send + 'static {
        let this = self.detached();
        let p = p.as_ref().to_owned();
        async move { this.read_seekable_impl(p).await }
    }

    async fn read_seekable_impl(&self, p: String) -> Result<AsyncSeekReader> {
        let op = Operation::ReadSeekable;
        self.run_op_async(op, async {
            let key = self.plan.file(&p, Capability::Read)?;
            // The size comes from the object's info.
            self.plan.require(Capability::Metadata)?;
            let info = self
                .backend()
                .get_file_info(&key)
                .await
                .map_err(self.ctx())?;
            let this = self.detached();
            let etag: Option<Arc<str>> = info.etag.as_deref().map(Arc::from);
            let open: OpenRange = Arc::new(move |range| {
                let (this, key, etag) = (this.clone(), key.clone(), etag.clone());
                Box::pin(async move {
                    let caps = this.backend().capabilities();
                    let body = match crate::seek::pinned_range(caps, etag.as_deref(), range.clone())
                    {
                        Some(opts) => this.backend().read_with(&key, &opts).await,
                        None => this.backend().read_range(&key, range).await,
                    };
                    let body = body
                        .map_err(|e| crate::seek::changed_under_reader(e, key.as_str()))
                        .map_err(|e| this.plan.stamp(op, this.plan.context(e)))?;
                    Ok(this.rebase_body(op, body))
                })
            });
            Ok(AsyncSeekReader::new(
                open,
                info.size,
                &p,
                Arc::clone(&self.plan),
            ))
        })
        .await
    }

    /// Async version of `Store::writer`: a streaming [`AsyncWriter`]
    /// (`tokio::io::AsyncWrite`, and `futures::Sink<Bytes>`) with the default
    /// [`WriteOptions`]; [`AsyncWriter::finish`] (or `shutdown`) commits. Dropped or aborted
    /// before that, it leaves no object and no temp file. Memory stays bounded whatever
    /// the size. Path, options and capability are checked here, before any I/O; what the
    /// backend refuses (an existing file is `AlreadyExists`) surfaces on a later call, at
    /// the latest on `finish`.
    ///
    /// ```
    /// # async fn demo(store: remote_store_async::AsyncStore) -> remote_store_core::Result<()> {
    /// use tokio::io::AsyncWriteExt;
    ///
    /// let mut w = store.writer("exports/big.csv")?;
    /// w.write_all(b"id,name\n").await.map_err(remote_store_core::Error::from_io)?;
    /// let result = w.finish().await?;
    /// assert_eq!(result.size, 8);
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    /// `InvalidPath` (the root, a malformed path), `CapabilityNotSupported` without `write`.
    pub fn writer(&self, p: impl AsRef<str>) -> Result<AsyncWriter> {
        self.writer_with(p, WriteOptions::new())
    }

    /// Async version of `Store::writer_with`.
    ///
    /// # Errors
    /// As [`writer`](Self::writer); `InvalidArgument` for bad metadata.
    pub fn writer_with(&self, p: impl AsRef<str>, opts: WriteOptions) -> Result<AsyncWriter> {
        self.writer_mode(p.as_ref(), WriteMode::Direct, opts)
    }

    /// Async version of `Store::atomic_writer`: readers see the old content until the
    /// writer commits; a dropped or aborted writer leaves it intact.
    ///
    /// # Errors
    /// As [`writer`](Self::writer); `CapabilityNotSupported` without `atomic_write`.
    pub fn atomic_writer(&self, p: impl AsRef<str>) -> Result<AsyncWriter> {
        self.atomic_writer_with(p, WriteOptions::new())
    }

    /// Async version of `Store::atomic_writer_with`.
    ///
    /// # Errors
    /// As [`writer_with`](Self::writer_with); `CapabilityNotSupported` without
    /// `atomic_write`.
    pub fn atomic_writer_with(
        &self,
        p: impl AsRef<str>,
        opts: WriteOptions,
    ) -> Result<AsyncWriter> {
        self.writer_mode(p.as_ref(), WriteMode::Atomic, opts)
    }

    /// Checks what can be checked before any I/O, then builds the writer around the
    /// (not yet polled) streamed write it will drive.
    fn writer_mode(&self, p: &str, mode: WriteMode, opts: WriteOptions) -> Result<AsyncWriter> {
        let op = mode.operation();
        self.run_op(op, || self.plan.write(p, mode, &opts).map(drop))?;
        let (tx, stream) = writer::pipe();
        let this = self.detached();
        let path = p.to_owned();
        let write = Box::pin(async move {
            let content = AsyncContent::chunks(stream);
            this.write_mode(&path, content, mode, &opts).await
        });
        Ok(AsyncWriter::new(Arc::clone(&self.plan), p, op, tx, write))
    }

    /// Async version of `Store::write`: content from bytes, a string,
    /// [`AsyncContent::reader`] or [`AsyncContent::chunks`], with the default
    /// [`WriteOptions`] (an existing file is `AlreadyExists`).
    ///
    /// # Cancel safety
    /// Dropping the future leaves no partial object: memory, S3 and Azure write whole
    /// objects, SFTP writes through a temp name (removed in a background task), and local
    /// removes the new file a dropped write created. Where the backend writes in place
    /// (local) readers can see the file grow meanwhile, and a killed process can leave a
    /// partial file — use [`write_atomic`](Self::write_atomic) when readers must never see
    /// one. A
    /// write that was already sent may still take effect.
    ///
    /// # Errors
    /// As `Store::write`.
    pub fn write<'a>(
        &self,
        p: impl AsRef<str>,
        content: impl Into<AsyncContent<'a>>,
    ) -> impl Future<Output = Result<WriteResult>> + Send + 'a {
        let this = self.detached();
        let p = p.as_ref().to_owned();
        let content: AsyncContent<'a> = content.into();
        async move { this.write_impl(p, content).await }
    }

    async fn write_impl<'a>(
        &self,
        p: impl AsRef<str>,
        content: impl Into<AsyncContent<'a>>,
    ) -> Result<WriteResult> {
        self.write_with(p, content, WriteOptions::new()).await
    }

    /// Async version of `Store::write_with`.
    ///
    /// # Errors
    /// As `Store::write_with`.
    pub fn write_with<'a>(
        &self,
        p: impl AsRef<str>,
        content: impl Into<AsyncContent<'a>>,
        opts: WriteOptions,
    ) -> impl Future<Output = Result<WriteResult>> + Send + 'a {
        let this = self.detached();
        let p = p.as_ref().to_owned();
        let content: AsyncContent<'a> = content.into();
        async move { this.write_with_impl(p, content, opts).await }
    }

    async fn write_with_impl<'a>(
        &self,
        p: impl AsRef<str>,
        content: impl Into<AsyncContent<'a>>,
        opts: WriteOptions,
    ) -> Result<WriteResult> {
        self.write_mode(p.as_ref(), content.into(), WriteMode::Direct, &opts)
            .await
    }

    /// Async version of `Store::write_text`.
    ///
    /// # Errors
    /// As [`write`](Self::write).
    pub fn write_text(
        &self,
        p: impl AsRef<str>,
        text: impl Into<String>,
    ) -> impl Future<Output = Result<WriteResult>> + Send + 'static {
        let this = self.detached();
        let p = p.as_ref().to_owned();
        let text: String = text.into();
        async move { this.write_text_impl(p, text).await }
    }

    async fn write_text_impl(
        &self,
        p: impl AsRef<str>,
        text: impl Into<String>,
    ) -> Result<WriteResult> {
        self.write_text_with(p, text, WriteOptions::new()).await
    }

    /// Async version of `Store::write_text_with`.
    ///
    /// # Errors
    /// As [`write_with`](Self::write_with).
    pub fn write_text_with(
        &self,
        p: impl AsRef<str>,
        text: impl Into<String>,
        opts: WriteOptions,
    ) -> impl Future<Output = Result<WriteResult>> + Send + 'static {
        let this = self.detached();
        let p = p.as_ref().to_owned();
        let text: String = text.into();
        async move { this.write_text_with_impl(p, text, opts).await }
    }

    async fn write_text_with_impl(
        &self,
        p: impl AsRef<str>,
        text: impl Into<String>,
        opts: WriteOptions,
    ) -> Result<WriteResult> {
        self.write_with(p, AsyncContent::from(text.into()), opts)
            .await
    }

    /// Async version of `Store::write_atomic`.
    ///
    /// # Cancel safety
    /// Dropping the future never leaves a partial file visible: readers see the old content
    /// or the new one (a write already sent may still take effect).
    ///
    /// # Errors
    /// As `Store::write_atomic`.
    pub fn write_atomic<'a>(
        &self,
        p: impl AsRef<str>,
        content: impl Into<AsyncContent<'a>>,
    ) -> impl Future<Output = Result<WriteResult>> + Send + 'a {
        let this = self.detached();
        let p = p.as_ref().to_owned();
        let content: AsyncContent<'a> = content.into();
        async move { this.write_atomic_impl(p, content).await }
    }

    async fn write_atomic_impl<'a>(
        &self,
        p: impl AsRef<str>,
        content: impl Into<AsyncContent<'a>>,
    ) -> Result<WriteResult> {
        self.write_atomic_with(p, content, WriteOptions::new())
            .await
    }

    /// Async version of `Store::write_atomic_with`.
    ///
    /// # Errors
    /// As `Store::write_atomic_with`.
    pub fn write_atomic_with<'a>(
        &self,
        p: impl AsRef<str>,
        content: impl Into<AsyncContent<'a>>,
        opts: WriteOptions,
    ) -> impl Future<Output = Result<WriteResult>> + Send + 'a {
        let this = self.detached();
        let p = p.as_ref().to_owned();
        let content: AsyncContent<'a> = content.into();
        async move { this.write_atomic_with_impl(p, content, opts).await }
    }

    async fn write_atomic_with_impl<'a>(
        &self,
        p: impl AsRef<str>,
        content: impl Into<AsyncContent<'a>>,
        opts: WriteOptions,
    ) -> Result<WriteResult> {
        self.write_mode(p.as_ref(), content.into(), WriteMode::Atomic, &opts)
            .await
    }

    async fn write_mode(
        &self,
        p: &str,
        content: AsyncContent<'_>,
        mode: WriteMode,
        opts: &WriteOptions,
    ) -> Result<WriteResult> {
        self.run_op_async(mode.operation(), async {
            let key = self.plan.write(p, mode, opts)?;
            let resolved = if self.plan.checks_if_match(opts) {
                let current = self.backend().get_file_info(&key).await;
                self.plan
                    .check_if_match(&key, opts, current)
                    .map_err(self.ctx())?
            } else {
                None
            };
            let opts = resolved.as_ref().unwrap_or(opts);
            let result = self
                .backend()
                .write(&key, content, mode, opts)
                .await
                .map_err(self.ctx())?;
            Ok(self.plan.rebase_result(result))
        })
        .await
    }

    /// Async version of `Store::delete`.
    ///
    /// # Errors
    /// As `Store::delete`.
    pub fn delete(&self, p: impl AsRef<str>) -> impl Future<Output = Result<()>> + Send + 'static {
        let this = self.detached();
        let p = p.as_ref().to_owned();
        async move { this.delete_impl(p).await }
    }

    async fn delete_impl(&self, p: impl AsRef<str>) -> Result<()> {
        self.delete_with(p, DeleteOptions::new()).await
    }

    /// Async version of `Store::delete_with`.
    ///
    /// # Errors
    /// As `Store::delete_with`.
    pub fn delete_with(
        &self,
        p: impl AsRef<str>,
        opts: DeleteOptions,
    ) -> impl Future<Output = Result<()>> + Send + 'static {
        let this = self.detached();
        let p = p.as_ref().to_owned();
        async move { this.delete_with_impl(p, opts).await }
    }

    async fn delete_with_impl(&self, p: impl AsRef<str>, opts: DeleteOptions) -> Result<()> {
        self.run_op_async(Operation::Delete, async {
            let key = self.plan.file(p.as_ref(), Capability::Delete)?;
            self.backend().delete(&key, &opts).await.map_err(self.ctx())
        })
        .await
    }

    /// Async version of `Store::delete_many`: one outcome per path, in input order.
    /// Dropping the future cancels the deletes not yet done.
    pub fn delete_many<P: AsRef<str>>(
        &self,
        paths: impl IntoIterator<Item = P>,
        opts: DeleteOptions,
    ) -> impl Future<Output = Vec<Result<()>>> + Send + 'static {
        let this = self.detached();
        let paths: Vec<String> = paths.into_iter().map(|p| p.as_ref().to_owned()).collect();
        async move {
            let (outcomes, keys) = this.plan.bulk(paths, Capability::Delete, &this.open());
            let done = if keys.is_empty() {
                Vec::new()
            } else {
                this.backend().delete_many(&keys, &opts).await
            };
            this.plan.finish_bulk(Operation::Delete, outcomes, done)
        }
    }

    /// Async version of `Store::delete_folder`.
    ///
    /// # Errors
    /// As `Store::delete_folder`.
    pub fn delete_folder(
        &self,
        p: impl AsRef<str>,
    ) -> impl Future<Output = Result<()>> + Send + 'static {
        let this = self.detached();
        let p = p.as_ref().to_owned();
        async move { this.delete_folder_impl(p).await }
    }

    async fn delete_folder_impl(&self, p: impl AsRef<str>) -> Result<()> {
        self.delete_folder_with(p, DeleteFolderOptions::new()).await
    }

    /// Async version of `Store::delete_folder_with`.
    ///
    /// # Errors
    /// As `Store::delete_folder_with`.
    pub fn delete_folder_with(
        &self,
        p: impl AsRef<str>,
        opts: DeleteFolderOptions,
    ) -> impl Future<Output = Result<()>> + Send + 'static {
        let this = self.detached();
        let p = p.as_ref().to_owned();
        async move { this.delete_folder_with_impl(p, opts).await }
    }

    async fn delete_folder_with_impl(
        &self,
        p: impl AsRef<str>,
        opts: DeleteFolderOptions,
    ) -> Result<()> {
        self.run_op_async(Operation::DeleteFolder, async {
            let key = self.plan.folder_not_root(p.as_ref(), Capability::Delete)?;
            self.backend()
                .delete_folder(&key, &opts)
                .await
                .map_err(self.ctx())
        })
        .await
    }

    /// Async version of `Store::list_files`.
    ///
    /// # Errors
    /// `InvalidPath` and `CapabilityNotSupported` at once; backend errors as items.
    pub fn list_files(&self, p: impl AsRef<str>) -> Result<FileStream> {
        self.list_files_with(p, ListOptions::new())
    }

    /// Async version of `Store::list_files_with`.
    ///
    /// # Errors
    /// As [`list_files`](Self::list_files); `InvalidArgument` for a bad pattern.
    pub fn list_files_with(&self, p: impl AsRef<str>, opts: ListOptions) -> Result<FileStream> {
        self.run_op(Operation::ListFiles, || {
            let key = self.plan.folder(p.as_ref(), Some(Capability::List))?;
            let opts = self.plan.list_options(opts);
            let filter = self.plan.list_filter(&key, &opts)?;
            let files = self.backend().list_files(&key, &opts);
            let filtered = files.filter(move |f| {
                futures::future::ready(f.as_ref().map_or(true, |f| filter.accepts(f)))
            });
            Ok(self.rebase_files(Operation::ListFiles, filtered.boxed()))
        })
    }

    /// Async version of `Store::list_folders`.
    ///
    /// # Errors
    /// As [`list_files`](Self::list_files).
    pub fn list_folders(&self, p: impl AsRef<str>) -> Result<FolderStream> {
        self.run_op::<FolderStream>(Operation::ListFolders, || {
            let key = self.plan.folder(p.as_ref(), Some(Capability::List))?;
            let plan = Arc::clone(&self.plan);
            let folders = self.backend().list_folders(&key);
            let rebased = folders.filter_map(move |r| {
                futures::future::ready(plan.rebase_item(
                    Operation::ListFolders,
                    r,
                    Plan::rebase_folder,
                ))
            });
            Ok(rebased.boxed())
        })
    }

    /// Async version of `Store::iter_children`.
    ///
    /// # Errors
    /// As [`list_files`](Self::list_files).
    pub fn iter_children(&self, p: impl AsRef<str>) -> Result<EntryStream> {
        self.run_op::<EntryStream>(Operation::IterChildren, || {
            let key = self.plan.folder(p.as_ref(), Some(Capability::List))?;
            let plan = Arc::clone(&self.plan);
            let entries = self.backend().iter_children(&key);
            let rebased = entries.filter_map(move |r| {
                futures::future::ready(plan.rebase_item(
                    Operation::IterChildren,
                    r,
                    Plan::rebase_entry,
                ))
            });
            Ok(rebased.boxed())
        })
    }

    /// Async version of `Store::glob`.
    ///
    /// # Errors
    /// `InvalidArgument` for a bad pattern, at once; backend errors as items.
    pub fn glob(&self, pattern: impl AsRef<str>) -> Result<FileStream> {
        self.run_op(Operation::Glob, || {
            let pattern = self.plan.glob(pattern.as_ref())?;
            Ok(self.rebase_files(Operation::Glob, self.backend().glob(&pattern)))
        })
    }

    /// Async version of `Store::get_file_info`.
    ///
    /// # Errors
    /// `NotFound`; `InvalidPath` for a folder.
    pub fn get_file_info(
        &self,
        p: impl AsRef<str>,
    ) -> impl Future<Output = Result<FileInfo>> + Send + 'static {
        let this = self.detached();
        let p = p.as_ref().to_owned();
        async move { this.get_file_info_impl(p).await }
    }

    async fn get_file_info_impl(&self, p: impl AsRef<str>) -> Result<FileInfo> {
        self.run_op_async(Operation::GetFileInfo, async {
            let key = self.plan.file(p.as_ref(), Capability::Metadata)?;
            let info = self
                .backend()
                .get_file_info(&key)
                .await
                .map_err(self.ctx())?;
            Ok(self.plan.rebase_info(info))
        })
        .await
    }

    /// Async version of `Store::get_folder_info`.
    ///
    /// # Errors
    /// `NotFound`; `InvalidPath` for a file.
    pub fn get_folder_info(
        &self,
        p: impl AsRef<str>,
    ) -> impl Future<Output = Result<FolderInfo>> + Send + 'static {
        let this = self.detached();
        let p = p.as_ref().to_owned();
        async move { this.get_folder_info_impl(p).await }
    }

    async fn get_folder_info_impl(&self, p: impl AsRef<str>) -> Result<FolderInfo> {
        self.run_op_async(Operation::GetFolderInfo, async {
            let key = self.plan.folder(p.as_ref(), Some(Capability::Metadata))?;
            let outcome = self.backend().get_folder_info(&key).await;
            self.plan.folder_info(key, outcome)
        })
        .await
    }

    /// Async version of `Store::head`.
    ///
    /// # Errors
    /// As [`get_file_info`](Self::get_file_info).
    pub fn head(
        &self,
        p: impl AsRef<str>,
    ) -> impl Future<Output = Result<WriteResult>> + Send + 'static {
        let this = self.detached();
        let p = p.as_ref().to_owned();
        async move { this.head_impl(p).await }
    }

    async fn head_impl(&self, p: impl AsRef<str>) -> Result<WriteResult> {
        self.get_file_info(p).await.map(WriteResult::from_info)
    }

    /// Async version of `Store::move_file`.
    ///
    /// # Errors
    /// As `Store::move_file`.
    pub fn move_file(
        &self,
        src: impl AsRef<str>,
        dst: impl AsRef<str>,
    ) -> impl Future<Output = Result<()>> + Send + 'static {
        let this = self.detached();
        let src = src.as_ref().to_owned();
        let dst = dst.as_ref().to_owned();
        async move { this.move_file_impl(src, dst).await }
    }

    async fn move_file_impl(&self, src: impl AsRef<str>, dst: impl AsRef<str>) -> Result<()> {
        self.move_file_with(src, dst, MoveOptions::new()).await
    }

    /// Async version of `Store::move_file_with`.
    ///
    /// # Errors
    /// As `Store::move_file_with`.
    pub fn move_file_with(
        &self,
        src: impl AsRef<str>,
        dst: impl AsRef<str>,
        opts: MoveOptions,
    ) -> impl Future<Output = Result<()>> + Send + 'static {
        let this = self.detached();
        let src = src.as_ref().to_owned();
        let dst = dst.as_ref().to_owned();
        async move { this.move_file_with_impl(src, dst, opts).await }
    }

    async fn move_file_with_impl(
        &self,
        src: impl AsRef<str>,
        dst: impl AsRef<str>,
        opts: MoveOptions,
    ) -> Result<()> {
        self.run_op_async(Operation::Move, async {
            let (s, d) = self
                .plan
                .transfer(src.as_ref(), dst.as_ref(), Capability::Move)?;
            self.backend()
                .move_file(&s, &d, &opts)
                .await
                .map_err(self.ctx())
        })
        .await
    }

    /// Async version of `Store::copy_file`.
    ///
    /// # Errors
    /// As `Store::copy_file`.
    pub fn copy_file(
        &self,
        src: impl AsRef<str>,
        dst: impl AsRef<str>,
    ) -> impl Future<Output = Result<()>> + Send + 'static {
        let this = self.detached();
        let src = src.as_ref().to_owned();
        let dst = dst.as_ref().to_owned();
        async move { this.copy_file_impl(src, dst).await }
    }

    async fn copy_file_impl(&self, src: impl AsRef<str>, dst: impl AsRef<str>) -> Result<()> {
        self.copy_file_with(src, dst, CopyOptions::new()).await
    }

    /// Async version of `Store::copy_file_with`.
    ///
    /// # Errors
    /// As `Store::copy_file_with`.
    pub fn copy_file_with(
        &self,
        src: impl AsRef<str>,
        dst: impl AsRef<str>,
        opts: CopyOptions,
    ) -> impl Future<Output = Result<()>> + Send + 'static {
        let this = self.detached();
        let src = src.as_ref().to_owned();
        let dst = dst.as_ref().to_owned();
        async move { this.copy_file_with_impl(src, dst, opts).await }
    }

    async fn copy_file_with_impl(
        &self,
        src: impl AsRef<str>,
        dst: impl AsRef<str>,
        opts: CopyOptions,
    ) -> Result<()> {
        self.run_op_async(Operation::Copy, async {
            let (s, d) = self
                .plan
                .transfer(src.as_ref(), dst.as_ref(), Capability::Copy)?;
            self.backend()
                .copy_file(&s, &d, &opts)
                .await
                .map_err(self.ctx())
        })
        .await
    }

    /// Async version of `Store::ping`.
    ///
    /// # Errors
    /// `PermissionDenied`, `NotFound` naming a missing bucket/container/root
    /// ([`is_container_not_found`](Error::is_container_not_found)), `BackendUnavailable`.
    pub fn ping(&self) -> impl Future<Output = Result<()>> + Send + 'static {
        let this = self.detached();
        async move { this.ping_impl().await }
    }

    async fn ping_impl(&self) -> Result<()> {
        self.run_op_async(Operation::Ping, async {
            self.backend().ping().await.map_err(self.ctx())
        })
        .await
    }

    /// The store key of a backend-native name. Pure.
    ///
    /// # Errors
    /// `InvalidPath` for a name outside the store.
    pub fn to_key(&self, native: impl AsRef<str>) -> Result<RemotePath> {
        let native = native.as_ref();
        let full = self.backend().to_key(native).map_err(self.ctx());
        full.and_then(|full| {
            self.plan
                .rebase(&full)
                .ok_or_else(|| self.plan.outside(native))
        })
        .map_err(|e| self.plan.stamp(Operation::ToKey, e))
    }

    /// The backend-native name of `p` (the root included). Pure.
    ///
    /// # Errors
    /// `InvalidPath` for a malformed path.
    pub fn native_path(&self, p: impl AsRef<str>) -> Result<String> {
        let key = self.plan.folder(p.as_ref(), None);
        key.and_then(|key| self.backend().native_path(&key).map_err(self.ctx()))
            .map_err(|e| self.plan.stamp(Operation::NativePath, e))
    }

    /// Async version of `Store::child`: same backend object, child-relative paths, never
    /// closes the backend.
    ///
    /// # Errors
    /// `InvalidPath` for a bad `sub`.
    pub fn child(&self, sub: impl AsRef<str>) -> Result<AsyncStore> {
        let root = self
            .plan
            .child(sub.as_ref())
            .map_err(|e| self.plan.stamp(Operation::Open, e))?;
        let plan = Plan::new(root, self.plan.capabilities(), self.backend().name());
        Ok(AsyncStore {
            backend: Arc::clone(&self.backend),
            plan: Arc::new(plan),
            owner: false,
        })
    }

    /// The backend's SDK client of type `T`, where the backend exposes one.
    ///
    /// # Errors
    /// `CapabilityNotSupported` when there is none of that type.
    pub fn native<T: Any>(&self) -> Result<&T> {
        let client = self
            .backend()
            .native_client()
            .and_then(|c| (c as &dyn Any).downcast_ref::<T>());
        client.ok_or_else(|| {
            let e = self.plan.no_native_client(std::any::type_name::<T>());
            self.plan.stamp(Operation::Native, e)
        })
    }

    /// Async version of `Store::close`: closes the backend if this store owns it.
    ///
    /// # Errors
    /// The backend's failure to release.
    pub fn close(&self) -> impl Future<Output = Result<()>> + Send + 'static {
        let this = self.clone();
        async move { this.close_impl().await }
    }

    async fn close_impl(&self) -> Result<()> {
        if self.owner {
            let closed = self.backend().close().await;
            closed.map_err(|e| self.plan.stamp(Operation::Close, self.plan.context(e)))
        } else {
            Ok(())
        }
    }

    fn rebase_files(&self, op: Operation, files: FileStream) -> FileStream {
        let plan = Arc::clone(&self.plan);
        files
            .filter_map(move |r| futures::future::ready(plan.rebase_item(op, r, Plan::rebase_file)))
            .boxed()
    }

    fn rebase_body(&self, op: Operation, body: ByteStream) -> ByteStream {
        let plan = Arc::clone(&self.plan);
        ByteStream::new(body.map(move |chunk| chunk.map_err(|e| plan.stamp(op, plan.context(e)))))
    }
}

impl fmt::Debug for AsyncStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AsyncStore")
            .field("backend", &self.backend)
            .field("root", self.plan.root())
            .field("owner", &self.owner)
            .finish()
    }
}
