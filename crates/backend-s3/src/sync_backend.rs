//! [`S3Backend`]: the blocking S3 backend — [`AsyncS3Backend`] driven through
//! `BlockingAdapter` on a runtime the backend owns.

use std::any::Any;
use std::fmt;
use std::ops::Range;
use std::sync::Arc;

use bytes::Bytes;
use remote_store_async::BlockingAdapter;
use remote_store_core::{
    CapabilitySet, FileInfo, FolderInfo, GlobPattern, RemotePath, Result, WriteOptions, WriteResult,
};
use remote_store_sync::{Backend, Content, EntryIter, FileIter, FolderIter, Reader, SeekReader};

use crate::{AsyncS3Backend, S3Config};

/// An S3 bucket (or a prefix in one) as a blocking [`Backend`].
///
/// This is the blocking version of [`AsyncS3Backend`]: the same type does the work, on a
/// small tokio runtime this backend owns (created on first use); each call is handed to
/// it and the caller waits on a channel. So it works on any thread — including inside
/// `#[tokio::main]` or a current-thread runtime — without "cannot start a runtime from
/// within a runtime" panics. `read_seekable` is native: each seek starts a ranged
/// `GetObject`.
///
/// ```no_run
/// # fn main() -> remote_store_core::Result<()> {
/// use remote_store_core::WriteOptions;
/// use remote_store_s3::{S3Backend, S3Config};
/// use remote_store_sync::Store;
///
/// let config = S3Config::new("my-bucket")
///     .endpoint_url("http://127.0.0.1:9000")
///     .force_path_style(true)
///     .credentials("AKIDEXAMPLE", "secret");
/// let store = Store::new(S3Backend::new(config)?, "reports")?;
/// store.write("q3/summary.txt", "all good", WriteOptions::new())?;
/// assert_eq!(store.read_text("q3/summary.txt")?, "all good");
/// # Ok(()) }
/// ```
pub struct S3Backend {
    adapter: BlockingAdapter<AsyncS3Backend>,
}

impl S3Backend {
    /// A backend for `config`. No network I/O happens here.
    ///
    /// # Errors
    /// `InvalidArgument` for an invalid configuration (naming the field).
    pub fn new(config: S3Config) -> Result<Self> {
        Ok(Self::from_async(AsyncS3Backend::new(config)?))
    }

    /// The blocking face of an existing async backend (sharing its client).
    pub fn from_async(backend: AsyncS3Backend) -> Self {
        S3Backend {
            adapter: BlockingAdapter::new(backend),
        }
    }

    /// The async backend doing the work.
    pub fn as_async(&self) -> &Arc<AsyncS3Backend> {
        self.adapter.inner()
    }

    /// The SDK client (also available through `Store::unwrap`).
    pub fn client(&self) -> &aws_sdk_s3::Client {
        self.adapter.inner().client()
    }
}

impl fmt::Debug for S3Backend {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("S3Backend")
            .field(self.adapter.inner())
            .finish()
    }
}

#[warn(clippy::missing_trait_methods)]
impl Backend for S3Backend {
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
