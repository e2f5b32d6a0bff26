//! [`AsyncStore`]: the async client.

use std::any::Any;
use std::fmt;
use std::ops::Range;
use std::sync::Arc;

use bytes::Bytes;
use futures::StreamExt;
use remote_store_core::plan::{self, Plan};
use remote_store_core::{
    Capability, CapabilitySet, Error, FileInfo, FolderInfo, ListOptions, RemotePath, Result,
    WriteOptions, WriteResult,
};
use remote_store_sync::Backend;

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
/// absent or partial where the backend streams into place (local, SFTP).
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
        let root = plan::store_root(root, backend.name())?;
        let plan = Plan::new(root, backend.capabilities(), backend.name());
        Ok(AsyncStore {
            backend,
            plan: Arc::new(plan),
            owner: true,
        })
    }

    /// The backend's name.
    pub fn name(&self) -> &'static str {
        self.backend.name()
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

    fn open(&self) -> Result<()> {
        if self.backend.is_closed() {
            Err(self.plan.closed())
        } else {
            Ok(())
        }
    }

    fn ctx(&self) -> impl Fn(Error) -> Error + '_ {
        |e| self.plan.context(e)
    }

    /// Async version of `Store::exists`.
    ///
    /// # Errors
    /// `InvalidPath` for a malformed path; `BackendUnavailable`, `PermissionDenied`.
    pub async fn exists(&self, p: &str) -> Result<bool> {
        self.open()?;
        let key = self.plan.folder(p, None)?;
        let found = if &key == self.plan.root() {
            Ok(true)
        } else {
            self.backend.exists(&key).await
        };
        self.plan.probe(found)
    }

    /// Async version of `Store::is_file`.
    ///
    /// # Errors
    /// As [`exists`](Self::exists).
    pub async fn is_file(&self, p: &str) -> Result<bool> {
        self.open()?;
        let key = self.plan.folder(p, None)?;
        let found = if &key == self.plan.root() {
            Ok(false)
        } else {
            self.backend.is_file(&key).await
        };
        self.plan.probe(found)
    }

    /// Async version of `Store::is_folder`.
    ///
    /// # Errors
    /// As [`exists`](Self::exists).
    pub async fn is_folder(&self, p: &str) -> Result<bool> {
        self.open()?;
        let key = self.plan.folder(p, None)?;
        let found = if &key == self.plan.root() {
            Ok(true)
        } else {
            self.backend.is_folder(&key).await
        };
        self.plan.probe(found)
    }

    /// Async version of `Store::read`: a [`ByteStream`] of chunks that is also an
    /// `AsyncRead`. A missing file fails when awaited, never as an empty stream.
    ///
    /// # Errors
    /// `NotFound`, `InvalidPath` (a folder, the root).
    pub async fn read(&self, p: &str) -> Result<ByteStream> {
        self.open()?;
        let key = self.plan.file(p, Capability::Read)?;
        let body = self.backend.read(&key).await.map_err(self.ctx())?;
        Ok(self.rebase_body(body))
    }

    /// Async version of `Store::read_bytes`.
    ///
    /// # Errors
    /// As [`read`](Self::read).
    pub async fn read_bytes(&self, p: &str) -> Result<Bytes> {
        self.open()?;
        let key = self.plan.file(p, Capability::Read)?;
        self.backend.read_bytes(&key).await.map_err(self.ctx())
    }

    /// Async version of `Store::read_text`.
    ///
    /// # Errors
    /// As [`read`](Self::read); `InvalidArgument` for invalid UTF-8.
    pub async fn read_text(&self, p: &str) -> Result<String> {
        let bytes = self.read_bytes(p).await?;
        String::from_utf8(bytes.into()).map_err(|e| {
            Error::invalid_argument("content is not valid UTF-8")
                .with_path(p)
                .with_source(e)
        })
    }

    /// Async version of `Store::read_range`.
    ///
    /// # Errors
    /// As [`read`](Self::read); `InvalidArgument` when `range.start > range.end`.
    pub async fn read_range(&self, p: &str, range: Range<u64>) -> Result<ByteStream> {
        self.open()?;
        let key = self.plan.file(p, Capability::Read)?;
        self.plan.range(p, &range)?;
        let body = self
            .backend
            .read_range(&key, range)
            .await
            .map_err(self.ctx())?;
        Ok(self.rebase_body(body))
    }

    /// Async version of `Store::write`: content from bytes, a string,
    /// [`AsyncContent::reader`] or [`AsyncContent::chunks`].
    ///
    /// # Errors
    /// As `Store::write`.
    pub async fn write<'a>(
        &self,
        p: &str,
        content: impl Into<AsyncContent<'a>>,
        opts: WriteOptions,
    ) -> Result<WriteResult> {
        self.open()?;
        let key = self.plan.write(p, Capability::Write, &opts)?;
        let result = self
            .backend
            .write(&key, content.into(), &opts)
            .await
            .map_err(self.ctx())?;
        Ok(self.plan.rebase_result(result))
    }

    /// Async version of `Store::write_text`.
    ///
    /// # Errors
    /// As [`write`](Self::write).
    pub async fn write_text(
        &self,
        p: &str,
        text: impl Into<String>,
        opts: WriteOptions,
    ) -> Result<WriteResult> {
        self.write(p, AsyncContent::from(text.into()), opts).await
    }

    /// Async version of `Store::write_atomic`.
    ///
    /// # Errors
    /// As [`write`](Self::write).
    pub async fn write_atomic<'a>(
        &self,
        p: &str,
        content: impl Into<AsyncContent<'a>>,
        opts: WriteOptions,
    ) -> Result<WriteResult> {
        self.open()?;
        let key = self.plan.write(p, Capability::AtomicWrite, &opts)?;
        let result = self
            .backend
            .write_atomic(&key, content.into(), &opts)
            .await
            .map_err(self.ctx())?;
        Ok(self.plan.rebase_result(result))
    }

    /// Async version of `Store::delete`.
    ///
    /// # Errors
    /// As `Store::delete`.
    pub async fn delete(&self, p: &str, missing_ok: bool) -> Result<()> {
        self.open()?;
        let key = self.plan.file(p, Capability::Delete)?;
        self.backend
            .delete(&key, missing_ok)
            .await
            .map_err(self.ctx())
    }

    /// Async version of `Store::delete_folder`.
    ///
    /// # Errors
    /// As `Store::delete_folder`.
    pub async fn delete_folder(&self, p: &str, recursive: bool, missing_ok: bool) -> Result<()> {
        self.open()?;
        let key = self.plan.folder_not_root(p, Capability::Delete)?;
        self.backend
            .delete_folder(&key, recursive, missing_ok)
            .await
            .map_err(self.ctx())
    }

    /// Async version of `Store::list_files`.
    ///
    /// # Errors
    /// `InvalidPath` and `CapabilityNotSupported` at once; backend errors as items.
    pub fn list_files(&self, p: &str, recursive: bool) -> Result<FileStream> {
        self.list_files_with(p, ListOptions::new().recursive(recursive))
    }

    /// Async version of `Store::list_files_with`.
    ///
    /// # Errors
    /// As [`list_files`](Self::list_files); `InvalidArgument` for a bad pattern.
    pub fn list_files_with(&self, p: &str, opts: ListOptions) -> Result<FileStream> {
        self.open()?;
        let key = self.plan.folder(p, Some(Capability::List))?;
        let filter = self.plan.list_filter(&key, &opts)?;
        let files = self.backend.list_files(&key, opts.is_recursive());
        let filtered = files.filter(move |f| {
            futures::future::ready(f.as_ref().map_or(true, |f| filter.accepts(f)))
        });
        Ok(self.rebase_files(filtered.boxed()))
    }

    /// Async version of `Store::list_folders`.
    ///
    /// # Errors
    /// As [`list_files`](Self::list_files).
    pub fn list_folders(&self, p: &str) -> Result<FolderStream> {
        self.open()?;
        let key = self.plan.folder(p, Some(Capability::List))?;
        let plan = Arc::clone(&self.plan);
        let folders = self.backend.list_folders(&key);
        let rebased = folders
            .filter_map(move |r| futures::future::ready(plan.rebase_item(r, Plan::rebase_folder)));
        Ok(rebased.boxed())
    }

    /// Async version of `Store::iter_children`.
    ///
    /// # Errors
    /// As [`list_files`](Self::list_files).
    pub fn iter_children(&self, p: &str) -> Result<EntryStream> {
        self.open()?;
        let key = self.plan.folder(p, Some(Capability::List))?;
        let plan = Arc::clone(&self.plan);
        let entries = self.backend.iter_children(&key);
        let rebased = entries
            .filter_map(move |r| futures::future::ready(plan.rebase_item(r, Plan::rebase_entry)));
        Ok(rebased.boxed())
    }

    /// Async version of `Store::glob`.
    ///
    /// # Errors
    /// `InvalidArgument` for a bad pattern, at once; backend errors as items.
    pub fn glob(&self, pattern: &str) -> Result<FileStream> {
        self.open()?;
        let pattern = self.plan.glob(pattern)?;
        Ok(self.rebase_files(self.backend.glob(&pattern)))
    }

    /// Async version of `Store::get_file_info`.
    ///
    /// # Errors
    /// `NotFound`; `InvalidPath` for a folder.
    pub async fn get_file_info(&self, p: &str) -> Result<FileInfo> {
        self.open()?;
        let key = self.plan.file(p, Capability::Metadata)?;
        let info = self.backend.get_file_info(&key).await.map_err(self.ctx())?;
        Ok(self.plan.rebase_info(info))
    }

    /// Async version of `Store::get_folder_info`.
    ///
    /// # Errors
    /// `NotFound`; `InvalidPath` for a file.
    pub async fn get_folder_info(&self, p: &str) -> Result<FolderInfo> {
        self.open()?;
        let key = self.plan.folder(p, Some(Capability::Metadata))?;
        let outcome = self.backend.get_folder_info(&key).await;
        self.plan.folder_info(key, outcome)
    }

    /// Async version of `Store::head`.
    ///
    /// # Errors
    /// As [`get_file_info`](Self::get_file_info).
    pub async fn head(&self, p: &str) -> Result<WriteResult> {
        self.get_file_info(p).await.map(WriteResult::from_info)
    }

    /// Async version of `Store::move_file`.
    ///
    /// # Errors
    /// As `Store::move_file`.
    pub async fn move_file(&self, src: &str, dst: &str, overwrite: bool) -> Result<()> {
        self.open()?;
        let (s, d) = self.plan.transfer(src, dst, Capability::Move)?;
        self.backend
            .move_file(&s, &d, overwrite)
            .await
            .map_err(self.ctx())
    }

    /// Async version of `Store::copy_file`.
    ///
    /// # Errors
    /// As `Store::copy_file`.
    pub async fn copy_file(&self, src: &str, dst: &str, overwrite: bool) -> Result<()> {
        self.open()?;
        let (s, d) = self.plan.transfer(src, dst, Capability::Copy)?;
        self.backend
            .copy_file(&s, &d, overwrite)
            .await
            .map_err(self.ctx())
    }

    /// Async version of `Store::ping`.
    ///
    /// # Errors
    /// `PermissionDenied`, `NotFound` (missing bucket/root), `BackendUnavailable`.
    pub async fn ping(&self) -> Result<()> {
        self.open()?;
        self.backend.ping().await.map_err(self.ctx())
    }

    /// The store key of a backend-native name. Pure.
    ///
    /// # Errors
    /// `InvalidPath` for a name outside the store.
    pub fn to_key(&self, native: &str) -> Result<RemotePath> {
        let full = self.backend.to_key(native).map_err(self.ctx())?;
        self.plan
            .rebase(&full)
            .ok_or_else(|| self.plan.outside(native))
    }

    /// The backend-native name of `p` (the root included). Pure.
    ///
    /// # Errors
    /// `InvalidPath` for a malformed path.
    pub fn native_path(&self, p: &str) -> Result<String> {
        let key = self.plan.folder(p, None)?;
        self.backend.native_path(&key).map_err(self.ctx())
    }

    /// Async version of `Store::child`: same backend object, child-relative paths, never
    /// closes the backend.
    ///
    /// # Errors
    /// `InvalidPath` for a bad `sub`.
    pub fn child(&self, sub: &str) -> Result<AsyncStore> {
        let root = self.plan.child(sub)?;
        let plan = Plan::new(root, self.plan.capabilities(), self.backend.name());
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
    pub fn unwrap<T: Any>(&self) -> Result<&T> {
        let client = self
            .backend
            .native_client()
            .and_then(|c| (c as &dyn Any).downcast_ref::<T>());
        client.ok_or_else(|| self.plan.no_native_client(std::any::type_name::<T>()))
    }

    /// Async version of `Store::close`: closes the backend if this store owns it.
    ///
    /// # Errors
    /// The backend's failure to release.
    pub async fn close(&self) -> Result<()> {
        if self.owner {
            self.backend.close().await.map_err(self.ctx())
        } else {
            Ok(())
        }
    }

    fn rebase_files(&self, files: FileStream) -> FileStream {
        let plan = Arc::clone(&self.plan);
        files
            .filter_map(move |r| futures::future::ready(plan.rebase_item(r, Plan::rebase_file)))
            .boxed()
    }

    fn rebase_body(&self, body: ByteStream) -> ByteStream {
        let plan = Arc::clone(&self.plan);
        ByteStream::new(body.map(move |chunk| chunk.map_err(|e| plan.context(e))))
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
