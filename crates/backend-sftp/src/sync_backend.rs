//! [`SftpBackend`]: the blocking SFTP backend — [`AsyncSftpBackend`] on a runtime of its own.

use std::any::Any;
use std::fmt;
use std::ops::Range;

use bytes::Bytes;
use remote_store_async::BlockingAdapter;
use remote_store_core::{
    CapabilitySet, FileInfo, FolderInfo, GlobPattern, RemotePath, Result, WriteOptions, WriteResult,
};
use remote_store_sync::{Backend, Content, EntryIter, FileIter, FolderIter, Reader, SeekReader};

use crate::async_backend::AsyncSftpBackend;
use crate::config::SftpConfig;

/// A storage backend on an SFTP server, for the blocking `Store`. This is the blocking
/// version of [`AsyncSftpBackend`]: the same client, driven on a small runtime the backend
/// owns (`remote_store_async::BlockingAdapter`), so it works on plain threads and also when
/// called from inside a tokio runtime. `read_seekable` is native (ranged reads).
///
/// ```no_run
/// # fn demo() -> remote_store_core::Result<()> {
/// use remote_store_sftp::{Auth, SftpBackend, SftpConfig};
/// use remote_store_sync::Store;
///
/// let config = SftpConfig::new("files.example.com", "deploy", Auth::key_file("/keys/id_ed25519"))
///     .known_hosts_file("/home/deploy/.ssh/known_hosts")
///     .base_path("/srv/data");
/// let store = Store::new(SftpBackend::new(config)?, "")?;
/// store.write("hello.txt", "hi", Default::default())?;
/// # Ok(()) }
/// ```
pub struct SftpBackend {
    adapter: BlockingAdapter<AsyncSftpBackend>,
}

impl SftpBackend {
    /// A backend for `config`; does no I/O.
    ///
    /// # Errors
    /// `InvalidArgument` when the config does not validate ([`SftpConfig::validate`]).
    pub fn new(config: SftpConfig) -> Result<Self> {
        Ok(SftpBackend {
            adapter: BlockingAdapter::new(AsyncSftpBackend::new(config)?),
        })
    }

    /// The blocking face of an async backend (they then share one connection).
    #[cfg(feature = "async")]
    pub fn from_async(backend: AsyncSftpBackend) -> Self {
        SftpBackend {
            adapter: BlockingAdapter::new(backend),
        }
    }

    /// The async backend underneath.
    #[cfg(feature = "async")]
    pub fn as_async(&self) -> &std::sync::Arc<AsyncSftpBackend> {
        self.adapter.inner()
    }

    /// The configuration.
    pub fn config(&self) -> &SftpConfig {
        self.adapter.inner().config()
    }
}

impl fmt::Debug for SftpBackend {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SftpBackend")
            .field("config", self.config())
            .finish_non_exhaustive()
    }
}

#[warn(clippy::missing_trait_methods)]
impl Backend for SftpBackend {
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
        content: Content<'_>,
        opts: &WriteOptions,
    ) -> Result<WriteResult> {
        self.adapter.write(path, content, opts)
    }

    fn write_atomic(
        &self,
        path: &RemotePath,
        content: Content<'_>,
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
