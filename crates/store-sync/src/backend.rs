//! The [`Backend`] trait: the blocking I/O primitives a storage system provides.

use std::any::Any;
use std::fmt;
use std::io::{Read, Seek};
use std::ops::Range;

use bytes::Bytes;
use remote_store_core::{
    CapabilitySet, CopyOptions, DeleteFolderOptions, DeleteOptions, Entry, FileInfo, FolderEntry,
    FolderInfo, GlobPattern, ListOptions, MoveOptions, ObjectVersion, ReadOptions, RemotePath,
    Result, WriteMode, WriteOptions, WriteResult,
};

use crate::{Content, fallback};

/// A blocking byte stream returned by reads, owned by the caller.
pub type Reader = Box<dyn Read + Send>;

/// A readable, seekable stream.
pub trait SeekRead: Read + Seek + Send {}
impl<T: Read + Seek + Send> SeekRead for T {}

/// A boxed [`SeekRead`], returned by `read_seekable`.
pub type SeekReader = Box<dyn SeekRead>;

/// A lazy listing of files; errors arrive as items.
pub type FileIter = Box<dyn Iterator<Item = Result<FileInfo>> + Send>;
/// A lazy listing of folders; errors arrive as items.
pub type FolderIter = Box<dyn Iterator<Item = Result<FolderEntry>> + Send>;
/// A lazy listing of files and folders; errors arrive as items.
pub type EntryIter = Box<dyn Iterator<Item = Result<Entry>> + Send>;

/// The blocking I/O primitives of a storage system.
///
/// Stores carry the policy — path validation, the two path tiers, capability gating,
/// prefixing the store root and rebasing results — so a backend sees only valid, full keys
/// ([`RemotePath`]s relative to the backend's own root) and returns full keys. The async
/// twin is `remote_store_async::AsyncBackend`; the two traits offer the same operations.
///
/// What a backend must still decide itself, because only it can see its data:
/// - writes: a folder at the target, or a file at an ancestor, is `InvalidPath` (flat
///   namespaces may skip the ancestor walk); an existing file without `overwrite` is
///   `AlreadyExists` (atomically, if the backend declares `conditional_create`); missing
///   parent folders are created;
/// - reads and infos: missing is `NotFound`, a folder is `InvalidPath`, a path under a file
///   is `NotFound`;
/// - listings: a missing folder or a file lists as empty, never `NotFound`;
/// - a missing container (bucket, blob container, root or base directory): every call,
///   probes and listings included, fails with `Error::container_not_found` naming it, and
///   writes do not create it.
///
/// Default methods provide portable fallbacks (glob by listing, ranged reads by skipping,
/// seekable reads by spooling to a temp file, copy by read + write, move by copy + delete,
/// folder info by listing); override them with native operations where the system has
/// them, and declare the matching quality capability. Errors carry the full key as their
/// path; the store rebases it. Prove an implementation with `remote-store-conformance`.
pub trait Backend: Send + Sync + fmt::Debug + 'static {
    /// A short static name such as `"memory"` or `"s3"`, used in errors.
    fn name(&self) -> &'static str;

    /// What this backend can do; stores refuse the rest before any I/O.
    fn capabilities(&self) -> CapabilitySet;

    /// True once a terminal [`close`](Self::close) made the backend unusable. Stores then
    /// fail every call with `BackendUnavailable("closed")` before checking paths.
    fn is_closed(&self) -> bool {
        false
    }

    /// Whether a file or folder exists at `path`.
    ///
    /// # Errors
    /// Only for failures to ask (the store turns `NotFound`/`InvalidPath` into `false`), and
    /// for a missing container (`Error::container_not_found`, which the store passes on).
    fn exists(&self, path: &RemotePath) -> Result<bool> {
        Ok(self.is_file(path)? || self.is_folder(path)?)
    }

    /// Whether a file exists at `path`.
    ///
    /// # Errors
    /// Only for failures to ask.
    fn is_file(&self, path: &RemotePath) -> Result<bool>;

    /// Whether a folder exists at `path` (the root always does).
    ///
    /// # Errors
    /// Only for failures to ask.
    fn is_folder(&self, path: &RemotePath) -> Result<bool>;

    /// Opens `path` for streaming. Capability: `read`.
    ///
    /// # Errors
    /// `NotFound`, `InvalidPath` for a folder — before the reader is returned.
    fn read(&self, path: &RemotePath) -> Result<Reader>;

    /// Reads the whole file. Capability: `read`.
    ///
    /// # Errors
    /// As [`read`](Self::read).
    fn read_bytes(&self, path: &RemotePath) -> Result<Bytes> {
        fallback::read_to_bytes(self.read(path)?, path)
    }

    /// Streams the bytes of `range`, clamped at the end of the file. Capability: `read`;
    /// declare `range_read` when this is native.
    ///
    /// # Errors
    /// As [`read`](Self::read).
    fn read_range(&self, path: &RemotePath, range: Range<u64>) -> Result<Reader> {
        fallback::read_range_by_skipping(self.read(path)?, range, path)
    }

    /// Streams `path` (or `opts.range` of it) if the conditions of `opts` hold.
    /// Capability: `read`; declare `conditional_read` when the conditions are evaluated
    /// atomically with the read. The default gets the file info, checks the conditions
    /// ([`ReadOptions::check`]) and then reads — two requests, not atomic.
    ///
    /// # Errors
    /// As [`read`](Self::read); `PreconditionFailed` or `NotModified` when a condition
    /// fails.
    fn read_with(&self, path: &RemotePath, opts: &ReadOptions) -> Result<Reader> {
        fallback::read_checked(self, path, opts)
    }

    /// Opens a streamed read of `range` (the whole file when `None`, clamped at its end)
    /// and reports which version of the file it delivers, for a caller that may resume the
    /// read after a cut (the retry layer). Capability: `read`. The default takes the
    /// version from `get_file_info` *before* opening the read (so a replacement in between
    /// is seen later as a change, never spliced): two requests. Backends that learn the
    /// version from the read's own reply (an etag header, an in-memory entry) override it
    /// with one request. `None` when the backend cannot name a version.
    ///
    /// # Errors
    /// As [`read`](Self::read), and the errors of `get_file_info` for the default.
    fn read_versioned(
        &self,
        path: &RemotePath,
        range: Option<Range<u64>>,
    ) -> Result<(Reader, Option<ObjectVersion>)> {
        let version = ObjectVersion::of(&self.get_file_info(path)?);
        let body = match range {
            Some(range) => self.read_range(path, range)?,
            None => self.read(path)?,
        };
        Ok((body, version))
    }

    /// A seekable stream over `path`. Capability: `read`; declare `seekable_read` when this
    /// is native (the default spools the file to a temp file).
    ///
    /// # Errors
    /// As [`read`](Self::read).
    fn read_seekable(&self, path: &RemotePath) -> Result<SeekReader> {
        fallback::spool_to_temp(self.read(path)?, path)
    }

    /// Writes `content` to `path`, consuming it to the end. Capability: `write`; with
    /// [`WriteMode::Atomic`], `atomic_write` (the store checks both before calling).
    ///
    /// In [`WriteMode::Atomic`] readers see the old content or the new, never a partial
    /// file, and on failure the old file is intact and no temp file is left. A backend
    /// without `atomic_write` is never called with it.
    ///
    /// # Errors
    /// `InvalidPath`, `AlreadyExists` (see the trait docs), or the I/O failure.
    ///
    /// A backend that declares `conditional_write` enforces `opts.if_match` atomically
    /// (`PreconditionFailed` when the etag differs or the file is missing); for the others
    /// the store has compared the etag before calling, and the backend may ignore it.
    fn write(
        &self,
        path: &RemotePath,
        content: Content<'_>,
        mode: WriteMode,
        opts: &WriteOptions,
    ) -> Result<WriteResult>;

    /// Deletes the file at `path`. Capability: `delete`.
    ///
    /// # Errors
    /// `NotFound` unless `opts.missing_ok` (a path under a file counts as missing);
    /// `InvalidPath` for a folder, even with `missing_ok`.
    fn delete(&self, path: &RemotePath, opts: &DeleteOptions) -> Result<()>;

    /// Deletes the files at `paths`, answering one outcome per path, in input order; a
    /// failed item never stops the others. Capability: `delete`.
    ///
    /// Each outcome follows [`delete`](Self::delete)'s contract for its path (`NotFound`
    /// unless `opts.missing_ok`). The default deletes one path at a time; backends with a
    /// bulk primitive override it (S3 `DeleteObjects`, up to
    /// [`MAX_DELETE_BATCH`](remote_store_core::bulk::MAX_DELETE_BATCH) keys a request) and
    /// chunk any length themselves. A backend answering with a bulk primitive may report a
    /// folder at a path as deleted (nothing was) when `opts.missing_ok`; see its docs.
    fn delete_many(&self, paths: &[RemotePath], opts: &DeleteOptions) -> Vec<Result<()>> {
        paths.iter().map(|p| self.delete(p, opts)).collect()
    }

    /// Deletes the folder at `path` (never the backend root). Capability: `delete`.
    ///
    /// # Errors
    /// `NotFound` unless `opts.missing_ok`; `InvalidPath` for a file; `DirectoryNotEmpty`
    /// when not `opts.recursive` and the folder has children.
    fn delete_folder(&self, path: &RemotePath, opts: &DeleteFolderOptions) -> Result<()>;

    /// Files directly in `path`, or the whole subtree when
    /// [`opts.is_recursive()`](ListOptions::is_recursive); lazily, page by page. A missing
    /// folder or a file lists as empty; a missing container is an error item, never an
    /// empty listing. Capability: `list`. The store applies the depth
    /// bound and name pattern of `opts` afterwards; a backend may use them to list less.
    fn list_files(&self, path: &RemotePath, opts: &ListOptions) -> FileIter;

    /// Immediate subfolders of `path`. Capability: `list`.
    fn list_folders(&self, path: &RemotePath) -> FolderIter;

    /// Immediate files and folders of `path`, in any order. Capability: `list`.
    fn iter_children(&self, path: &RemotePath) -> EntryIter;

    /// Files whose full key matches `pattern`. Capability: `glob`. The default lists the
    /// pattern's literal prefix recursively and matches each key.
    fn glob(&self, pattern: &GlobPattern) -> FileIter {
        let pattern = pattern.clone();
        let files = self.list_files(pattern.literal_prefix(), &ListOptions::subtree());
        Box::new(files.filter(move |f| f.as_ref().map_or(true, |f| pattern.matches(&f.path))))
    }

    /// Facts about the file at `path`. Capability: `metadata`.
    ///
    /// # Errors
    /// `NotFound`; `InvalidPath` for a folder.
    fn get_file_info(&self, path: &RemotePath) -> Result<FileInfo>;

    /// Aggregates the subtree of `path`. Capability: `metadata`. The default lists
    /// recursively.
    ///
    /// # Errors
    /// `NotFound`; `InvalidPath` for a file.
    fn get_folder_info(&self, path: &RemotePath) -> Result<FolderInfo> {
        if self.is_file(path)? {
            return Err(remote_store_core::Error::invalid_path(
                path.as_str(),
                "is a file",
            ));
        }
        let mut info = FolderInfo::new(path.clone());
        for file in self.list_files(path, &ListOptions::subtree()) {
            info.add(&file?);
        }
        if info.file_count == 0 && !path.is_root() && !self.is_folder(path)? {
            return Err(remote_store_core::Error::not_found(path.as_str()));
        }
        Ok(info)
    }

    /// Copies the file `src` to `dst`. Capability: `copy`. The default reads and writes,
    /// carrying user metadata and content type across.
    ///
    /// # Errors
    /// `NotFound(src)`; `InvalidPath` for a folder at either end or a file above `dst`;
    /// `AlreadyExists(dst)` without `opts.overwrite`.
    fn copy_file(&self, src: &RemotePath, dst: &RemotePath, opts: &CopyOptions) -> Result<()> {
        fallback::copy_by_streaming(self, src, dst, opts)
    }

    /// Moves the file `src` to `dst`. Capability: `move`; declare `atomic_move` when this is
    /// a native rename. The default copies then deletes and reports a failed delete as a
    /// partial failure.
    ///
    /// # Errors
    /// As [`copy_file`](Self::copy_file).
    fn move_file(&self, src: &RemotePath, dst: &RemotePath, opts: &MoveOptions) -> Result<()> {
        fallback::move_by_copy_and_delete(self, src, dst, opts)
    }

    /// The cheapest read-only probe of the backend.
    ///
    /// # Errors
    /// `PermissionDenied`, `NotFound` for a missing bucket/root, `BackendUnavailable`.
    fn ping(&self) -> Result<()> {
        self.is_folder(&RemotePath::ROOT).map(drop)
    }

    /// The backend's native name for `key` (an absolute path, `s3://bucket/key`, ...).
    ///
    /// # Errors
    /// `InvalidPath` when the key cannot be expressed.
    fn native_path(&self, key: &RemotePath) -> Result<String> {
        Ok(key.as_str().to_owned())
    }

    /// The inverse of [`native_path`](Self::native_path).
    ///
    /// # Errors
    /// `InvalidPath` for a native name outside the backend.
    fn to_key(&self, native: &str) -> Result<RemotePath> {
        RemotePath::new(native)
    }

    /// The SDK client, for `Store::native`, where the backend exposes one.
    fn native_client(&self) -> Option<&(dyn Any + Send + Sync)> {
        None
    }

    /// Releases resources. Terminal backends then report [`is_closed`](Self::is_closed);
    /// others reconnect lazily on the next call.
    ///
    /// # Errors
    /// A failure to release.
    fn close(&self) -> Result<()> {
        Ok(())
    }
}
