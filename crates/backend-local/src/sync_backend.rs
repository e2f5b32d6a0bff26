//! [`LocalBackend`]: the blocking half.

use std::fmt;
use std::io::{Read, Seek, SeekFrom};
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use bytes::Bytes;
use remote_store_core::{CapabilitySet, FileInfo, RemotePath, Result, WriteOptions, WriteResult};
use remote_store_core::{
    CopyOptions, DeleteFolderOptions, DeleteOptions, ListOptions, MoveOptions, WriteMode,
};
use remote_store_sync::{Backend, Content, EntryIter, FileIter, FolderIter, Reader, SeekReader};

use crate::config::LocalConfig;
use crate::error::{self, NAME};
use crate::list::{Walker, Want, only_files, only_folders};
use crate::ops::{self, CAPABILITIES, Kind};
use crate::resolve;
use crate::root::Root;
use crate::write;

/// A store's local folder, with blocking calls (`std` files over `openat`-family system
/// calls). The async twin is [`AsyncLocalBackend`](crate::AsyncLocalBackend).
///
/// Every key resolves below the root and nothing is ever followed out of it (see the
/// [crate docs](crate)); `write_atomic`, `overwrite = false`, moves and copies are atomic.
/// Reads hand out the open [`std::fs::File`] itself, so `read`, `read_range` and
/// `read_seekable` cost what plain `std::fs` costs.
///
/// Cheap to clone (an `Arc` inside); clones share the open root.
///
/// ```
/// # fn main() -> remote_store_core::Result<()> {
/// use remote_store_local::LocalBackend;
/// use remote_store_sync::Store;
///
/// let dir = tempfile::tempdir().unwrap();
/// let store = Store::new(LocalBackend::new(dir.path())?, "")?;
/// store.write_atomic("reports/q3.csv", "region,total\n")?;
/// assert_eq!(store.read_text("reports/q3.csv")?, "region,total\n");
/// assert!(dir.path().join("reports/q3.csv").is_file());
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct LocalBackend {
    root: Arc<Root>,
}

impl LocalBackend {
    /// A backend over the existing folder `root`, with the default configuration.
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
        Ok(LocalBackend {
            root: Arc::new(crate::open_root(&config)?),
        })
    }

    /// The root folder, with every symbolic link in its own path resolved.
    pub fn root(&self) -> &Path {
        self.root.canonical()
    }
}

impl fmt::Debug for LocalBackend {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LocalBackend")
            .field("root", &self.root.canonical())
            .field("fsync", &self.root.fsync())
            .finish()
    }
}

impl Backend for LocalBackend {
    fn name(&self) -> &'static str {
        NAME
    }

    fn capabilities(&self) -> CapabilitySet {
        CAPABILITIES
    }

    fn exists(&self, path: &RemotePath) -> Result<bool> {
        Ok(matches!(
            ops::kind(&self.root, path)?,
            Kind::File | Kind::Folder
        ))
    }

    fn is_file(&self, path: &RemotePath) -> Result<bool> {
        Ok(ops::kind(&self.root, path)? == Kind::File)
    }

    fn is_folder(&self, path: &RemotePath) -> Result<bool> {
        Ok(ops::kind(&self.root, path)? == Kind::Folder)
    }

    fn read(&self, path: &RemotePath) -> Result<Reader> {
        let (file, _) = ops::open_read(&self.root, path)?;
        Ok(Box::new(file))
    }

    fn read_bytes(&self, path: &RemotePath) -> Result<Bytes> {
        ops::read_all(&self.root, path).map(Bytes::from)
    }

    fn read_range(&self, path: &RemotePath, range: Range<u64>) -> Result<Reader> {
        let (mut file, _) = ops::open_read(&self.root, path)?;
        file.seek(SeekFrom::Start(range.start))
            .map_err(|e| error::map(e, path))?;
        Ok(Box::new(file.take(range.end.saturating_sub(range.start))))
    }

    fn read_seekable(&self, path: &RemotePath) -> Result<SeekReader> {
        let (file, _) = ops::open_read(&self.root, path)?;
        Ok(Box::new(file))
    }

    fn write(
        &self,
        path: &RemotePath,
        content: Content<'_>,
        mode: WriteMode,
        opts: &WriteOptions,
    ) -> Result<WriteResult> {
        write_content(&self.root, path, content, opts, mode.is_atomic())
    }

    fn delete(&self, path: &RemotePath, opts: &DeleteOptions) -> Result<()> {
        let missing_ok = opts.missing_ok;
        ops::delete(&self.root, path, missing_ok)
    }

    fn delete_folder(&self, path: &RemotePath, opts: &DeleteFolderOptions) -> Result<()> {
        let DeleteFolderOptions {
            recursive,
            missing_ok,
            ..
        } = *opts;
        ops::delete_folder(&self.root, path, recursive, missing_ok)
    }

    fn list_files(&self, path: &RemotePath, opts: &ListOptions) -> FileIter {
        let recursive = opts.is_recursive();
        let walker = Walker::new(
            Arc::clone(&self.root),
            path.clone(),
            Want::Files { recursive },
        );
        Box::new(walker.filter_map(only_files))
    }

    fn list_folders(&self, path: &RemotePath) -> FolderIter {
        let walker = Walker::new(Arc::clone(&self.root), path.clone(), Want::Folders);
        Box::new(walker.filter_map(only_folders))
    }

    fn iter_children(&self, path: &RemotePath) -> EntryIter {
        Box::new(Walker::new(
            Arc::clone(&self.root),
            path.clone(),
            Want::Children,
        ))
    }

    fn get_file_info(&self, path: &RemotePath) -> Result<FileInfo> {
        ops::file_info(&self.root, path)
    }

    fn copy_file(&self, src: &RemotePath, dst: &RemotePath, opts: &CopyOptions) -> Result<()> {
        let overwrite = opts.overwrite;
        ops::copy(&self.root, src, dst, overwrite)
    }

    fn move_file(&self, src: &RemotePath, dst: &RemotePath, opts: &MoveOptions) -> Result<()> {
        let overwrite = opts.overwrite;
        ops::rename(&self.root, src, dst, overwrite)
    }

    fn ping(&self) -> Result<()> {
        ops::ping(&self.root)
    }

    fn native_path(&self, key: &RemotePath) -> Result<String> {
        resolve::native_path(self.root.canonical(), key)
    }

    fn to_key(&self, native: &str) -> Result<RemotePath> {
        resolve::to_key(&[self.root.canonical(), self.root.given()], native)
    }
}

/// A whole blocking write: begin, body, finish.
fn write_content(
    root: &Arc<Root>,
    path: &RemotePath,
    content: Content<'_>,
    opts: &WriteOptions,
    atomic: bool,
) -> Result<WriteResult> {
    let mut pending = write::begin(root, path, opts.overwrite, atomic)?;
    match content {
        Content::Bytes(bytes) => pending.write(&bytes)?,
        Content::Reader(mut reader) => pending.copy_from(&mut reader)?,
    }
    pending.finish(opts)
}
