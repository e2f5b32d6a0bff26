//! [`Store`]: the blocking client.

use std::any::Any;
use std::fmt;
use std::ops::Range;
use std::sync::Arc;

use bytes::Bytes;
use remote_store_core::plan::{self, Plan};
use remote_store_core::{
    Capability, CapabilitySet, Error, FileInfo, FolderInfo, ListOptions, RemotePath, Result,
    WriteOptions, WriteResult,
};

use crate::{Backend, Content, EntryIter, FileIter, FolderIter, Reader, SeekReader};

/// The blocking client: one contract over any [`Backend`].
///
/// A `Store` is cheap to clone (an `Arc` inside), `Send + Sync`, and adds no I/O of its
/// own: each method validates the path, checks the capability it needs, prefixes the store
/// root, calls the backend and makes returned paths relative to the store again. Paths it
/// returns can be passed straight back in. The async twin is `AsyncStore`, method for
/// method.
///
/// Folder and query methods (`exists`, `is_file`, `is_folder`, listings, `get_folder_info`)
/// accept the root as `""` or `"."`; file methods refuse it with `InvalidPath`, and so does
/// `delete_folder`, so a whole store can never be wiped by accident.
#[derive(Clone)]
pub struct Store {
    backend: Arc<dyn Backend>,
    plan: Arc<Plan>,
    owner: bool,
}

impl Store {
    /// A store over `backend`, rooted at `root` (`""` for the backend's own root). The store
    /// owns the backend: [`close`](Self::close) closes it.
    ///
    /// # Errors
    /// `InvalidPath` for a bad `root`.
    pub fn new(backend: impl Backend, root: &str) -> Result<Self> {
        Self::from_arc(Arc::new(backend), root)
    }

    /// A store over a shared backend (owning it, like [`new`](Self::new)).
    ///
    /// # Errors
    /// `InvalidPath` for a bad `root`.
    pub fn from_arc(backend: Arc<dyn Backend>, root: &str) -> Result<Self> {
        let root = plan::store_root(root, backend.name())?;
        let plan = Plan::new(root, backend.capabilities(), backend.name());
        Ok(Store {
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

    fn probe(&self, p: &str, f: impl FnOnce(&RemotePath) -> Result<bool>) -> Result<bool> {
        self.open()?;
        let key = self.plan.folder(p, None)?;
        self.plan.probe(f(&key))
    }

    /// Whether a file or folder exists at `p`. Never `NotFound`: false for missing, for a
    /// path under a file, for an absent bucket; the root is always a folder.
    ///
    /// # Errors
    /// `InvalidPath` for a malformed path; `BackendUnavailable`, `PermissionDenied`.
    pub fn exists(&self, p: &str) -> Result<bool> {
        self.probe(p, |k| Ok(k == self.plan.root() || self.backend.exists(k)?))
    }

    /// Whether a file exists at `p`. Never `NotFound`.
    ///
    /// # Errors
    /// As [`exists`](Self::exists).
    pub fn is_file(&self, p: &str) -> Result<bool> {
        self.probe(p, |k| Ok(k != self.plan.root() && self.backend.is_file(k)?))
    }

    /// Whether a folder exists at `p` (the root always does). Never `NotFound`.
    ///
    /// # Errors
    /// As [`exists`](Self::exists).
    pub fn is_folder(&self, p: &str) -> Result<bool> {
        self.probe(p, |k| {
            Ok(k == self.plan.root() || self.backend.is_folder(k)?)
        })
    }

    /// Opens `p` for streaming; the reader starts at byte 0 and is the caller's. Nothing
    /// is loaded into memory up front.
    ///
    /// # Errors
    /// `NotFound`, `InvalidPath` (a folder, the root), before the reader is returned.
    pub fn read(&self, p: &str) -> Result<Reader> {
        self.open()?;
        let key = self.plan.file(p, Capability::Read)?;
        let body = self.backend.read(&key).map_err(self.ctx())?;
        Ok(self.rebase_body(body))
    }

    /// The whole content of `p` in memory.
    ///
    /// # Errors
    /// As [`read`](Self::read).
    pub fn read_bytes(&self, p: &str) -> Result<Bytes> {
        self.open()?;
        let key = self.plan.file(p, Capability::Read)?;
        self.backend.read_bytes(&key).map_err(self.ctx())
    }

    /// The whole content of `p` as UTF-8 text.
    ///
    /// # Errors
    /// As [`read`](Self::read); `InvalidArgument` for invalid UTF-8.
    pub fn read_text(&self, p: &str) -> Result<String> {
        let bytes = self.read_bytes(p)?;
        String::from_utf8(bytes.into()).map_err(|e| {
            Error::invalid_argument("content is not valid UTF-8")
                .with_path(p)
                .with_source(e)
        })
    }

    /// Streams the bytes of `range` (clamped at the end of the file): a native ranged read
    /// where the backend has `range_read`, else read-and-skip.
    ///
    /// # Errors
    /// As [`read`](Self::read); `InvalidArgument` when `range.start > range.end`.
    pub fn read_range(&self, p: &str, range: Range<u64>) -> Result<Reader> {
        self.open()?;
        let key = self.plan.file(p, Capability::Read)?;
        self.plan.range(p, &range)?;
        let body = self.backend.read_range(&key, range).map_err(self.ctx())?;
        Ok(self.rebase_body(body))
    }

    /// A `Read + Seek` stream over `p`: native where the backend has `seekable_read`, else a
    /// spool to a temp file. Sync only.
    ///
    /// # Errors
    /// As [`read`](Self::read).
    pub fn read_seekable(&self, p: &str) -> Result<SeekReader> {
        self.open()?;
        let key = self.plan.file(p, Capability::Read)?;
        self.backend.read_seekable(&key).map_err(self.ctx())
    }

    /// Writes `content` (bytes, a string, or [`Content::reader`]) to `p`, creating missing
    /// parent folders. The result reports the true size, also for streamed input.
    ///
    /// # Errors
    /// `InvalidPath` (root, a folder at `p`, a file above it), `AlreadyExists` without
    /// `overwrite`, `InvalidArgument` for bad metadata, `CapabilityNotSupported` for
    /// metadata without `user_metadata`, or the backend's failure.
    pub fn write<'a>(
        &self,
        p: &str,
        content: impl Into<Content<'a>>,
        opts: WriteOptions,
    ) -> Result<WriteResult> {
        self.open()?;
        let key = self.plan.write(p, Capability::Write, &opts)?;
        let result = self
            .backend
            .write(&key, content.into(), &opts)
            .map_err(self.ctx())?;
        Ok(self.plan.rebase_result(result))
    }

    /// Writes `text` as UTF-8.
    ///
    /// # Errors
    /// As [`write`](Self::write).
    pub fn write_text(
        &self,
        p: &str,
        text: impl Into<String>,
        opts: WriteOptions,
    ) -> Result<WriteResult> {
        self.write(p, Content::from(text.into()), opts)
    }

    /// Writes so that readers see the old content or the new, never a partial file; on
    /// failure the old file is intact and no temp file remains. Needs `atomic_write`.
    ///
    /// # Errors
    /// As [`write`](Self::write).
    pub fn write_atomic<'a>(
        &self,
        p: &str,
        content: impl Into<Content<'a>>,
        opts: WriteOptions,
    ) -> Result<WriteResult> {
        self.open()?;
        let key = self.plan.write(p, Capability::AtomicWrite, &opts)?;
        let result = self
            .backend
            .write_atomic(&key, content.into(), &opts)
            .map_err(self.ctx())?;
        Ok(self.plan.rebase_result(result))
    }

    /// Deletes the file at `p`.
    ///
    /// # Errors
    /// `NotFound` unless `missing_ok`; `InvalidPath` for a folder even with `missing_ok`.
    pub fn delete(&self, p: &str, missing_ok: bool) -> Result<()> {
        self.open()?;
        let key = self.plan.file(p, Capability::Delete)?;
        self.backend.delete(&key, missing_ok).map_err(self.ctx())
    }

    /// Deletes the folder at `p` (never the store root); `recursive` removes the subtree.
    ///
    /// # Errors
    /// `NotFound` unless `missing_ok`; `InvalidPath` for a file or the root;
    /// `DirectoryNotEmpty` for a non-empty folder without `recursive`.
    pub fn delete_folder(&self, p: &str, recursive: bool, missing_ok: bool) -> Result<()> {
        self.open()?;
        let key = self.plan.folder_not_root(p, Capability::Delete)?;
        self.backend
            .delete_folder(&key, recursive, missing_ok)
            .map_err(self.ctx())
    }

    /// Files directly in `p`, or the whole subtree, lazily. A missing folder or a file
    /// lists as empty.
    ///
    /// # Errors
    /// `InvalidPath` and `CapabilityNotSupported` at once; backend errors as items.
    pub fn list_files(&self, p: &str, recursive: bool) -> Result<FileIter> {
        self.list_files_with(p, ListOptions::new().recursive(recursive))
    }

    /// Files under `p` filtered by depth and name pattern (see [`ListOptions`]).
    ///
    /// # Errors
    /// As [`list_files`](Self::list_files); `InvalidArgument` for a bad pattern.
    pub fn list_files_with(&self, p: &str, opts: ListOptions) -> Result<FileIter> {
        self.open()?;
        let key = self.plan.folder(p, Some(Capability::List))?;
        let filter = self.plan.list_filter(&key, &opts)?;
        let files = self.backend.list_files(&key, opts.is_recursive());
        let filtered = files.filter(move |f| f.as_ref().map_or(true, |f| filter.accepts(f)));
        Ok(self.rebase_files(Box::new(filtered)))
    }

    /// Immediate subfolders of `p`. A missing folder lists as empty.
    ///
    /// # Errors
    /// As [`list_files`](Self::list_files).
    pub fn list_folders(&self, p: &str) -> Result<FolderIter> {
        self.open()?;
        let key = self.plan.folder(p, Some(Capability::List))?;
        let plan = Arc::clone(&self.plan);
        let folders = self.backend.list_folders(&key);
        Ok(Box::new(folders.filter_map(move |r| {
            plan.rebase_item(r, Plan::rebase_folder)
        })))
    }

    /// Immediate files and folders of `p`, in any order.
    ///
    /// # Errors
    /// As [`list_files`](Self::list_files).
    pub fn iter_children(&self, p: &str) -> Result<EntryIter> {
        self.open()?;
        let key = self.plan.folder(p, Some(Capability::List))?;
        let plan = Arc::clone(&self.plan);
        let entries = self.backend.iter_children(&key);
        Ok(Box::new(entries.filter_map(move |r| {
            plan.rebase_item(r, Plan::rebase_entry)
        })))
    }

    /// Files matching `pattern` relative to the store root (`*`, `?`, `[...]`, `**`).
    ///
    /// # Errors
    /// `InvalidArgument` for a bad pattern, at once; backend errors as items.
    pub fn glob(&self, pattern: &str) -> Result<FileIter> {
        self.open()?;
        let pattern = self.plan.glob(pattern)?;
        Ok(self.rebase_files(self.backend.glob(&pattern)))
    }

    /// Facts about the file at `p`.
    ///
    /// # Errors
    /// `NotFound`; `InvalidPath` for a folder.
    pub fn get_file_info(&self, p: &str) -> Result<FileInfo> {
        self.open()?;
        let key = self.plan.file(p, Capability::Metadata)?;
        let info = self.backend.get_file_info(&key).map_err(self.ctx())?;
        Ok(self.plan.rebase_info(info))
    }

    /// File count, total size and newest time across the subtree of `p`. The store root
    /// never fails with `NotFound`.
    ///
    /// # Errors
    /// `NotFound`; `InvalidPath` for a file.
    pub fn get_folder_info(&self, p: &str) -> Result<FolderInfo> {
        self.open()?;
        let key = self.plan.folder(p, Some(Capability::Metadata))?;
        let outcome = self.backend.get_folder_info(&key);
        self.plan.folder_info(key, outcome)
    }

    /// A [`WriteResult`] built from [`get_file_info`](Self::get_file_info) (`source = Head`).
    ///
    /// # Errors
    /// As [`get_file_info`](Self::get_file_info).
    pub fn head(&self, p: &str) -> Result<WriteResult> {
        self.get_file_info(p).map(WriteResult::from_info)
    }

    /// Moves the file `src` to `dst` (the spec's `move`). User metadata survives.
    ///
    /// # Errors
    /// `NotFound(src)`; `InvalidPath` for the root at either end, a folder at either end or
    /// a file above `dst`; `AlreadyExists(dst)` without `overwrite`; a partial failure
    /// when a copy-then-delete move could not delete the source.
    pub fn move_file(&self, src: &str, dst: &str, overwrite: bool) -> Result<()> {
        self.open()?;
        let (s, d) = self.plan.transfer(src, dst, Capability::Move)?;
        self.backend
            .move_file(&s, &d, overwrite)
            .map_err(self.ctx())
    }

    /// Copies the file `src` to `dst` (the spec's `copy`). User metadata survives.
    ///
    /// # Errors
    /// As [`move_file`](Self::move_file).
    pub fn copy_file(&self, src: &str, dst: &str, overwrite: bool) -> Result<()> {
        self.open()?;
        let (s, d) = self.plan.transfer(src, dst, Capability::Copy)?;
        self.backend
            .copy_file(&s, &d, overwrite)
            .map_err(self.ctx())
    }

    /// The cheapest read-only probe of the backend.
    ///
    /// # Errors
    /// `PermissionDenied`, `NotFound` (missing bucket/root), `BackendUnavailable`.
    pub fn ping(&self) -> Result<()> {
        self.open()?;
        self.backend.ping().map_err(self.ctx())
    }

    /// The store key of a backend-native name (`s3://bucket/prefix/key`, an absolute local
    /// path). Pure.
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

    /// A store rooted at `sub` below this one, over the same backend object (no new
    /// connection). Its paths are relative to `sub`; closing it never closes the backend.
    ///
    /// # Errors
    /// `InvalidPath` for a bad `sub`.
    pub fn child(&self, sub: &str) -> Result<Store> {
        let root = self.plan.child(sub)?;
        let plan = Plan::new(root, self.plan.capabilities(), self.backend.name());
        Ok(Store {
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

    /// Closes the backend if this store owns it (children never do). S3 and Azure are then
    /// terminal; memory, local and SFTP reconnect lazily.
    ///
    /// # Errors
    /// The backend's failure to release.
    pub fn close(&self) -> Result<()> {
        if self.owner {
            self.backend.close().map_err(self.ctx())
        } else {
            Ok(())
        }
    }

    fn rebase_body(&self, body: Reader) -> Reader {
        Box::new(ContextReader {
            body,
            plan: Arc::clone(&self.plan),
        })
    }

    fn rebase_files(&self, files: FileIter) -> FileIter {
        let plan = Arc::clone(&self.plan);
        Box::new(files.filter_map(move |r| plan.rebase_item(r, Plan::rebase_file)))
    }
}

/// A read stream whose errors carry the store's context, like the async twin's.
struct ContextReader {
    body: Reader,
    plan: Arc<Plan>,
}

impl std::io::Read for ContextReader {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        self.body
            .read(buf)
            .map_err(|e| self.plan.context(Error::from_io(e)).into_io())
    }
}

impl fmt::Debug for Store {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Store")
            .field("backend", &self.backend)
            .field("root", self.plan.root())
            .field("owner", &self.owner)
            .finish()
    }
}
