//! [`AzureBackend`]: the blocking twin of [`AsyncAzureBackend`].

use std::any::Any;
use std::fmt;
use std::future::Future;
use std::ops::Range;
use std::sync::Arc;

use bytes::Bytes;
use remote_store_async::BlockingAdapter;
use remote_store_core::{
    CapabilitySet, Error, FileInfo, FolderInfo, GlobPattern, RemotePath, Result, WriteOptions,
    WriteResult,
};
use remote_store_sync::{Backend, Content, EntryIter, FileIter, FolderIter, Reader, SeekReader};

use crate::{AsyncAzureBackend, AzureConfig};

/// Azure Blob Storage as a blocking `Backend`. This is a blocking version of
/// [`AsyncAzureBackend`]: the same backend, driven on a runtime this value owns (through
/// `remote_store_async::BlockingAdapter`), so it works on any thread — including inside a
/// tokio runtime — and never calls `block_on` on the caller's thread.
///
/// ```no_run
/// # fn main() -> remote_store_core::Result<()> {
/// use remote_store_azure::{AzureAuth, AzureBackend, AzureConfig};
/// use remote_store_sync::Store;
///
/// let config = AzureConfig::new("reports", AzureAuth::AccountKey {
///     account: "myaccount".into(),
///     key: std::env::var("AZURE_STORAGE_KEY").unwrap().into(),
/// });
/// let store = Store::new(AzureBackend::new(config)?, "")?;
/// store.write("q3/summary.txt", "done", Default::default())?;
/// # Ok(()) }
/// ```
pub struct AzureBackend {
    adapter: BlockingAdapter<AsyncAzureBackend>,
}

impl AzureBackend {
    /// A backend for `config`. No network I/O happens here.
    ///
    /// # Errors
    /// As [`AsyncAzureBackend::new`].
    pub fn new(config: AzureConfig) -> Result<Self> {
        Ok(Self::from_async(AsyncAzureBackend::new(config)?))
    }

    /// Wraps an async backend.
    pub fn from_async(backend: AsyncAzureBackend) -> Self {
        AzureBackend {
            adapter: BlockingAdapter::new(backend),
        }
    }

    /// The async backend inside.
    pub fn inner(&self) -> &Arc<AsyncAzureBackend> {
        self.adapter.inner()
    }

    /// Creates the container; an existing container is fine.
    ///
    /// # Errors
    /// As [`AsyncAzureBackend::create_container`].
    pub fn create_container(&self) -> Result<()> {
        let inner = self.inner().clone();
        self.run(async move { inner.create_container().await })
    }

    /// Deletes the container and everything in it.
    ///
    /// # Errors
    /// As [`AsyncAzureBackend::delete_container`].
    pub fn delete_container(&self) -> Result<()> {
        let inner = self.inner().clone();
        self.run(async move { inner.delete_container().await })
    }

    /// How many listing pages this backend has fetched so far.
    pub fn list_pages_fetched(&self) -> u64 {
        self.inner().list_pages_fetched()
    }

    /// Runs `fut` on the adapter's runtime and waits on a channel.
    fn run<T: Send + 'static>(
        &self,
        fut: impl Future<Output = Result<T>> + Send + 'static,
    ) -> Result<T> {
        let handle = self.adapter.handle()?;
        let (tx, rx) = std::sync::mpsc::sync_channel(1);
        handle.spawn(async move {
            let _ = tx.send(fut.await);
        });
        rx.recv()
            .unwrap_or_else(|_| Err(Error::unavailable("the backend runtime stopped")))
    }
}

impl fmt::Debug for AzureBackend {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("AzureBackend").field(self.inner()).finish()
    }
}

impl Backend for AzureBackend {
    fn name(&self) -> &'static str {
        self.adapter.name()
    }

    fn capabilities(&self) -> CapabilitySet {
        self.adapter.capabilities()
    }

    fn is_closed(&self) -> bool {
        self.adapter.is_closed()
    }

    fn exists(&self, path: &RemotePath) -> Result<bool> {
        self.adapter.exists(path)
    }

    fn is_file(&self, path: &RemotePath) -> Result<bool> {
        self.adapter.is_file(path)
    }

    fn is_folder(&self, path: &RemotePath) -> Result<bool> {
        self.adapter.is_folder(path)
    }

    fn read(&self, path: &RemotePath) -> Result<Reader> {
        self.adapter.read(path)
    }

    fn read_bytes(&self, path: &RemotePath) -> Result<Bytes> {
        self.adapter.read_bytes(path)
    }

    fn read_range(&self, path: &RemotePath, range: Range<u64>) -> Result<Reader> {
        self.adapter.read_range(path, range)
    }

    fn read_seekable(&self, path: &RemotePath) -> Result<SeekReader> {
        self.adapter.read_seekable(path)
    }

    fn write(
        &self,
        path: &RemotePath,
        content: Content,
        opts: &WriteOptions,
    ) -> Result<WriteResult> {
        self.adapter.write(path, content, opts)
    }

    fn write_atomic(
        &self,
        path: &RemotePath,
        content: Content,
        opts: &WriteOptions,
    ) -> Result<WriteResult> {
        self.adapter.write_atomic(path, content, opts)
    }

    fn delete(&self, path: &RemotePath, missing_ok: bool) -> Result<()> {
        self.adapter.delete(path, missing_ok)
    }

    fn delete_folder(&self, path: &RemotePath, recursive: bool, missing_ok: bool) -> Result<()> {
        self.adapter.delete_folder(path, recursive, missing_ok)
    }

    fn list_files(&self, path: &RemotePath, recursive: bool) -> FileIter {
        self.adapter.list_files(path, recursive)
    }

    fn list_folders(&self, path: &RemotePath) -> FolderIter {
        self.adapter.list_folders(path)
    }

    fn iter_children(&self, path: &RemotePath) -> EntryIter {
        self.adapter.iter_children(path)
    }

    fn glob(&self, pattern: &GlobPattern) -> FileIter {
        self.adapter.glob(pattern)
    }

    fn get_file_info(&self, path: &RemotePath) -> Result<FileInfo> {
        self.adapter.get_file_info(path)
    }

    fn get_folder_info(&self, path: &RemotePath) -> Result<FolderInfo> {
        self.adapter.get_folder_info(path)
    }

    fn copy_file(&self, src: &RemotePath, dst: &RemotePath, overwrite: bool) -> Result<()> {
        self.adapter.copy_file(src, dst, overwrite)
    }

    fn move_file(&self, src: &RemotePath, dst: &RemotePath, overwrite: bool) -> Result<()> {
        self.adapter.move_file(src, dst, overwrite)
    }

    fn ping(&self) -> Result<()> {
        self.adapter.ping()
    }

    fn native_path(&self, key: &RemotePath) -> Result<String> {
        self.adapter.native_path(key)
    }

    fn to_key(&self, native: &str) -> Result<RemotePath> {
        self.adapter.to_key(native)
    }

    fn native_client(&self) -> Option<&(dyn Any + Send + Sync)> {
        self.adapter.native_client()
    }

    fn close(&self) -> Result<()> {
        self.adapter.close()
    }
}
