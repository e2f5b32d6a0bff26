//! [`Store`]: the blocking client.

use std::any::Any;
use std::fmt;
use std::ops::Range;
use std::sync::Arc;

use bytes::Bytes;
use remote_store_core::plan::{self, Plan};
use remote_store_core::{
    Capability, CapabilitySet, CopyOptions, DeleteFolderOptions, DeleteOptions, Error, FileInfo,
    FolderInfo, ListOptions, MoveOptions, Operation, ReadOptions, RemotePath, Result, WriteMode,
    WriteOptions, WriteResult,
};

use crate::{Backend, Content, EntryIter, FileIter, FolderIter, Reader, SeekReader, Writer};

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
        let root = plan::store_root(root, backend.name())
            .map_err(|e| e.with_operation(Operation::Open))?;
        let plan = Plan::new(root, backend.capabilities(), backend.name());
        Ok(Store {
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

    /// The backend as the trait object itself, called directly rather than through the
    /// `Arc`'s forwarding impl of [`Backend`] (`shared.rs`); the async store does the same.
    #[inline]
    fn backend(&self) -> &dyn Backend {
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

    fn probe(
        &self,
        op: Operation,
        p: &str,
        f: impl FnOnce(&RemotePath) -> Result<bool>,
    ) -> Result<bool> {
        self.run_op(op, || {
            let key = self.plan.folder(p, None)?;
            self.plan.probe(f(&key))
        })
    }

    /// Whether a file or folder exists at `p`: false for a missing path and for a path
    /// under a file; the root is always a folder (answered without I/O).
    ///
    /// A missing *container* — the S3 bucket, the Azure container, the SFTP base
    /// directory — is not `false`: it is an error naming the container, so a mistyped
    /// bucket name never looks like an empty store (ADR 0010).
    ///
    /// # Errors
    /// `InvalidPath` for a malformed path; `NotFound` with
    /// [`is_container_not_found`](Error::is_container_not_found) for a missing container;
    /// `BackendUnavailable`, `PermissionDenied`.
    pub fn exists(&self, p: impl AsRef<str>) -> Result<bool> {
        self.probe(Operation::Exists, p.as_ref(), |k| {
            Ok(k == self.plan.root() || self.backend().exists(k)?)
        })
    }

    /// Whether a file exists at `p`. `NotFound` only for a missing container.
    ///
    /// # Errors
    /// As [`exists`](Self::exists).
    pub fn is_file(&self, p: impl AsRef<str>) -> Result<bool> {
        self.probe(Operation::IsFile, p.as_ref(), |k| {
            Ok(k != self.plan.root() && self.backend().is_file(k)?)
        })
    }

    /// Whether a folder exists at `p` (the root always does). `NotFound` only for a
    /// missing container.
    ///
    /// # Errors
    /// As [`exists`](Self::exists).
    pub fn is_folder(&self, p: impl AsRef<str>) -> Result<bool> {
        self.probe(Operation::IsFolder, p.as_ref(), |k| {
            Ok(k == self.plan.root() || self.backend().is_folder(k)?)
        })
    }

    /// Opens `p` for streaming; the reader starts at byte 0 and is the caller's. Nothing
    /// is loaded into memory up front.
    ///
    /// # Errors
    /// `NotFound`, `InvalidPath` (a folder, the root), before the reader is returned.
    pub fn read(&self, p: impl AsRef<str>) -> Result<Reader> {
        self.run_op(Operation::Read, || {
            let key = self.plan.file(p.as_ref(), Capability::Read)?;
            let body = self.backend().read(&key).map_err(self.ctx())?;
            Ok(self.rebase_body(Operation::Read, body))
        })
    }

    /// The whole content of `p` in memory.
    ///
    /// # Errors
    /// As [`read`](Self::read).
    pub fn read_bytes(&self, p: impl AsRef<str>) -> Result<Bytes> {
        self.run_op(Operation::ReadBytes, || {
            let key = self.plan.file(p.as_ref(), Capability::Read)?;
            self.backend().read_bytes(&key).map_err(self.ctx())
        })
    }

    /// The whole content of `p` as UTF-8 text.
    ///
    /// # Errors
    /// As [`read`](Self::read); `InvalidArgument` for invalid UTF-8.
    pub fn read_text(&self, p: impl AsRef<str>) -> Result<String> {
        let p = p.as_ref();
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
    pub fn read_range(&self, p: impl AsRef<str>, range: Range<u64>) -> Result<Reader> {
        self.run_op(Operation::ReadRange, || {
            let key = self.plan.file(p.as_ref(), Capability::Read)?;
            self.plan.range(p.as_ref(), &range)?;
            let body = self.backend().read_range(&key, range).map_err(self.ctx())?;
            Ok(self.rebase_body(Operation::ReadRange, body))
        })
    }

    /// Streams `p`, or `opts.range` of it, if the conditions of `opts` hold: `if_match`,
    /// `if_none_match`, `if_modified_since`, `if_unmodified_since`, evaluated as HTTP
    /// does (see [`ReadOptions`]). Atomic with the read where the backend declares
    /// `conditional_read`; elsewhere the backend checks the file info first.
    ///
    /// # Errors
    /// As [`read`](Self::read); `PreconditionFailed` (`if_match`, `if_unmodified_since`),
    /// `NotModified` (`if_none_match`, `if_modified_since`); `InvalidArgument` for a
    /// reversed range.
    pub fn read_with(&self, p: impl AsRef<str>, opts: ReadOptions) -> Result<Reader> {
        let op = plan::read_operation(&opts);
        self.run_op(op, || {
            let key = self.plan.file(p.as_ref(), Capability::Read)?;
            if let Some(range) = &opts.range {
                self.plan.range(p.as_ref(), range)?;
            }
            let body = self.backend().read_with(&key, &opts).map_err(self.ctx())?;
            Ok(self.rebase_body(op, body))
        })
    }

    /// A `Read + Seek` stream over `p`: native where the backend has `seekable_read`, else a
    /// spool to a temp file. The async twin, `AsyncStore::read_seekable`, seeks over
    /// ranged reads instead.
    ///
    /// # Errors
    /// As [`read`](Self::read).
    pub fn read_seekable(&self, p: impl AsRef<str>) -> Result<SeekReader> {
        self.run_op(Operation::ReadSeekable, || {
            let key = self.plan.file(p.as_ref(), Capability::Read)?;
            let body = self.backend().read_seekable(&key).map_err(self.ctx())?;
            Ok(Box::new(ContextReader {
                body,
                op: Operation::ReadSeekable,
                plan: Arc::clone(&self.plan),
            }) as SeekReader)
        })
    }

    /// Writes `content` (bytes, a string, or [`Content::reader`]) to `p` with the default
    /// [`WriteOptions`]: an existing file is `AlreadyExists`. Missing parent folders are
    /// created; the result reports the true size, also for streamed input.
    ///
    /// A write that fails removes the new file it created. Where the backend writes in
    /// place (local), readers can see the file grow meanwhile, and a killed process can
    /// leave a partial file at `p`; use
    /// [`write_atomic`](Self::write_atomic) when readers must never see one.
    ///
    /// # Errors
    /// `InvalidPath` (root, a folder at `p`, a file above it), `AlreadyExists`, or the
    /// backend's failure.
    pub fn write<'a>(
        &self,
        p: impl AsRef<str>,
        content: impl Into<Content<'a>>,
    ) -> Result<WriteResult> {
        self.write_with(p, content, WriteOptions::new())
    }

    /// [`write`](Self::write) with options: `overwrite`, user metadata, content type.
    ///
    /// # Errors
    /// As [`write`](Self::write) (`AlreadyExists` only without `overwrite`);
    /// `InvalidArgument` for bad metadata, `CapabilityNotSupported` for metadata without
    /// `user_metadata`.
    pub fn write_with<'a>(
        &self,
        p: impl AsRef<str>,
        content: impl Into<Content<'a>>,
        opts: WriteOptions,
    ) -> Result<WriteResult> {
        self.write_mode(p.as_ref(), content.into(), WriteMode::Direct, &opts)
    }

    /// Writes `text` as UTF-8 with the default [`WriteOptions`].
    ///
    /// # Errors
    /// As [`write`](Self::write).
    pub fn write_text(&self, p: impl AsRef<str>, text: impl Into<String>) -> Result<WriteResult> {
        self.write_text_with(p, text, WriteOptions::new())
    }

    /// Writes `text` as UTF-8 with options.
    ///
    /// # Errors
    /// As [`write_with`](Self::write_with).
    pub fn write_text_with(
        &self,
        p: impl AsRef<str>,
        text: impl Into<String>,
        opts: WriteOptions,
    ) -> Result<WriteResult> {
        self.write_with(p, Content::from(text.into()), opts)
    }

    /// Writes so that readers see the old content or the new, never a partial file; on
    /// failure the old file is intact and no temp file remains. Default [`WriteOptions`].
    /// Needs `atomic_write`.
    ///
    /// # Errors
    /// As [`write`](Self::write); `CapabilityNotSupported` without `atomic_write`.
    pub fn write_atomic<'a>(
        &self,
        p: impl AsRef<str>,
        content: impl Into<Content<'a>>,
    ) -> Result<WriteResult> {
        self.write_atomic_with(p, content, WriteOptions::new())
    }

    /// [`write_atomic`](Self::write_atomic) with options.
    ///
    /// # Errors
    /// As [`write_with`](Self::write_with); `CapabilityNotSupported` without `atomic_write`.
    pub fn write_atomic_with<'a>(
        &self,
        p: impl AsRef<str>,
        content: impl Into<Content<'a>>,
        opts: WriteOptions,
    ) -> Result<WriteResult> {
        self.write_mode(p.as_ref(), content.into(), WriteMode::Atomic, &opts)
    }

    /// A streaming writer to `p` with the default [`WriteOptions`]: write to it with
    /// [`std::io::Write`], then [`Writer::finish`] commits. Dropped or aborted before
    /// `finish`, it leaves no object and no temp file. Memory stays bounded whatever the
    /// size. Path, options and capability are checked here, before any I/O; what the
    /// backend refuses (an existing file is `AlreadyExists`) surfaces on a later `write` or
    /// at the latest on `finish`.
    ///
    /// ```
    /// # fn demo(store: remote_store_sync::Store) -> remote_store_core::Result<()> {
    /// use std::io::Write;
    ///
    /// let mut w = store.writer("exports/big.csv")?;
    /// w.write_all(b"id,name\n").map_err(remote_store_core::Error::from_io)?;
    /// let result = w.finish()?;
    /// assert_eq!(result.size, 8);
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    /// `InvalidPath` (the root, a malformed path), `CapabilityNotSupported` without `write`.
    pub fn writer(&self, p: impl AsRef<str>) -> Result<Writer> {
        self.writer_with(p, WriteOptions::new())
    }

    /// [`writer`](Self::writer) with options: `overwrite`, user metadata, content type.
    ///
    /// # Errors
    /// As [`writer`](Self::writer); `InvalidArgument` for bad metadata.
    pub fn writer_with(&self, p: impl AsRef<str>, opts: WriteOptions) -> Result<Writer> {
        self.writer_mode(p.as_ref(), WriteMode::Direct, opts)
    }

    /// A streaming writer with [`write_atomic`](Self::write_atomic)'s guarantee: readers
    /// see the old content until [`Writer::finish`] commits, and a dropped or aborted
    /// writer leaves the old content intact. Needs `atomic_write`.
    ///
    /// # Errors
    /// As [`writer`](Self::writer); `CapabilityNotSupported` without `atomic_write`.
    pub fn atomic_writer(&self, p: impl AsRef<str>) -> Result<Writer> {
        self.atomic_writer_with(p, WriteOptions::new())
    }

    /// [`atomic_writer`](Self::atomic_writer) with options.
    ///
    /// # Errors
    /// As [`writer_with`](Self::writer_with); `CapabilityNotSupported` without
    /// `atomic_write`.
    pub fn atomic_writer_with(&self, p: impl AsRef<str>, opts: WriteOptions) -> Result<Writer> {
        self.writer_mode(p.as_ref(), WriteMode::Atomic, opts)
    }

    /// Checks what can be checked before any I/O, then starts the streamed write on a
    /// thread of its own, fed by the writer.
    fn writer_mode(&self, p: &str, mode: WriteMode, opts: WriteOptions) -> Result<Writer> {
        let op = mode.operation();
        self.run_op(op, || self.plan.write(p, mode, &opts).map(drop))?;
        let store = self.clone();
        let path = p.to_owned();
        Writer::start(Arc::clone(&self.plan), p, op, move |content| {
            let content = Content::reader(content.into_reader());
            store.write_mode(&path, content, mode, &opts)
        })
    }

    fn write_mode(
        &self,
        p: &str,
        content: Content<'_>,
        mode: WriteMode,
        opts: &WriteOptions,
    ) -> Result<WriteResult> {
        self.run_op(mode.operation(), || {
            let key = self.plan.write(p, mode, opts)?;
            let resolved = if self.plan.checks_if_match(opts) {
                let current = self.backend().get_file_info(&key);
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
                .map_err(self.ctx())?;
            Ok(self.plan.rebase_result(result))
        })
    }

    /// Deletes the file at `p`; a missing file is `NotFound`.
    ///
    /// # Errors
    /// `NotFound`; `InvalidPath` for a folder or the root.
    pub fn delete(&self, p: impl AsRef<str>) -> Result<()> {
        self.delete_with(p, DeleteOptions::new())
    }

    /// Deletes the file at `p` with options (`missing_ok`).
    ///
    /// # Errors
    /// `NotFound` unless `missing_ok`; `InvalidPath` for a folder even with `missing_ok`.
    pub fn delete_with(&self, p: impl AsRef<str>, opts: DeleteOptions) -> Result<()> {
        self.run_op(Operation::Delete, || {
            let key = self.plan.file(p.as_ref(), Capability::Delete)?;
            self.backend().delete(&key, &opts).map_err(self.ctx())
        })
    }

    /// Deletes the files at `paths`, answering one outcome per path in input order; a
    /// failure never stops the others. Each outcome is what
    /// [`delete_with`](Self::delete_with) would answer for its path (`NotFound` unless
    /// `missing_ok`, `InvalidPath` for an invalid path or the root). Backends with a bulk
    /// primitive delete many keys per request (S3 `DeleteObjects`: 1,000); the others
    /// delete one path at a time. Callers with very many paths pass them in chunks (the
    /// transfer crate's `delete_many` does), as the whole list and its outcomes are held
    /// in memory.
    pub fn delete_many<P: AsRef<str>>(
        &self,
        paths: impl IntoIterator<Item = P>,
        opts: DeleteOptions,
    ) -> Vec<Result<()>> {
        let (outcomes, keys) = self.plan.bulk(paths, Capability::Delete, &self.open());
        let done = if keys.is_empty() {
            Vec::new()
        } else {
            self.backend().delete_many(&keys, &opts)
        };
        self.plan.finish_bulk(Operation::Delete, outcomes, done)
    }

    /// Deletes the empty folder at `p` (never the store root).
    ///
    /// # Errors
    /// `NotFound`; `InvalidPath` for a file or the root; `DirectoryNotEmpty` for a
    /// non-empty folder.
    pub fn delete_folder(&self, p: impl AsRef<str>) -> Result<()> {
        self.delete_folder_with(p, DeleteFolderOptions::new())
    }

    /// Deletes the folder at `p` with options: `recursive` removes the subtree,
    /// `missing_ok` accepts a missing folder.
    ///
    /// # Errors
    /// `NotFound` unless `missing_ok`; `InvalidPath` for a file or the root;
    /// `DirectoryNotEmpty` for a non-empty folder without `recursive`.
    pub fn delete_folder_with(&self, p: impl AsRef<str>, opts: DeleteFolderOptions) -> Result<()> {
        self.run_op(Operation::DeleteFolder, || {
            let key = self.plan.folder_not_root(p.as_ref(), Capability::Delete)?;
            self.backend()
                .delete_folder(&key, &opts)
                .map_err(self.ctx())
        })
    }

    /// Files directly in `p`, lazily. A missing folder or a file lists as empty; a missing
    /// container (bucket, blob container, base directory) is an error naming it, never an
    /// empty listing.
    ///
    /// # Errors
    /// `InvalidPath` and `CapabilityNotSupported` at once; backend errors (a missing
    /// container's `NotFound` among them) as items.
    pub fn list_files(&self, p: impl AsRef<str>) -> Result<FileIter> {
        self.list_files_with(p, ListOptions::new())
    }

    /// Files under `p` with options: the whole subtree (`recursive`), a depth bound, a name
    /// pattern (see [`ListOptions`]).
    ///
    /// # Errors
    /// As [`list_files`](Self::list_files); `InvalidArgument` for a bad pattern.
    pub fn list_files_with(&self, p: impl AsRef<str>, opts: ListOptions) -> Result<FileIter> {
        self.run_op(Operation::ListFiles, || {
            let key = self.plan.folder(p.as_ref(), Some(Capability::List))?;
            let opts = self.plan.list_options(opts);
            let filter = self.plan.list_filter(&key, &opts)?;
            let files = self.backend().list_files(&key, &opts);
            let filtered = files.filter(move |f| f.as_ref().map_or(true, |f| filter.accepts(f)));
            Ok(self.rebase_files(Operation::ListFiles, Box::new(filtered)))
        })
    }

    /// Immediate subfolders of `p`. A missing folder lists as empty.
    ///
    /// # Errors
    /// As [`list_files`](Self::list_files).
    pub fn list_folders(&self, p: impl AsRef<str>) -> Result<FolderIter> {
        self.run_op::<FolderIter>(Operation::ListFolders, || {
            let key = self.plan.folder(p.as_ref(), Some(Capability::List))?;
            let plan = Arc::clone(&self.plan);
            let folders = self.backend().list_folders(&key);
            Ok(Box::new(folders.filter_map(move |r| {
                plan.rebase_item(Operation::ListFolders, r, Plan::rebase_folder)
            })))
        })
    }

    /// Immediate files and folders of `p`, in any order.
    ///
    /// # Errors
    /// As [`list_files`](Self::list_files).
    pub fn iter_children(&self, p: impl AsRef<str>) -> Result<EntryIter> {
        self.run_op::<EntryIter>(Operation::IterChildren, || {
            let key = self.plan.folder(p.as_ref(), Some(Capability::List))?;
            let plan = Arc::clone(&self.plan);
            let entries = self.backend().iter_children(&key);
            Ok(Box::new(entries.filter_map(move |r| {
                plan.rebase_item(Operation::IterChildren, r, Plan::rebase_entry)
            })))
        })
    }

    /// Files matching `pattern` relative to the store root (`*`, `?`, `[...]`, `**`).
    ///
    /// # Errors
    /// `InvalidArgument` for a bad pattern, at once; backend errors as items.
    pub fn glob(&self, pattern: impl AsRef<str>) -> Result<FileIter> {
        self.run_op(Operation::Glob, || {
            let pattern = self.plan.glob(pattern.as_ref())?;
            Ok(self.rebase_files(Operation::Glob, self.backend().glob(&pattern)))
        })
    }

    /// Facts about the file at `p`.
    ///
    /// # Errors
    /// `NotFound`; `InvalidPath` for a folder.
    pub fn get_file_info(&self, p: impl AsRef<str>) -> Result<FileInfo> {
        self.run_op(Operation::GetFileInfo, || {
            let key = self.plan.file(p.as_ref(), Capability::Metadata)?;
            let info = self.backend().get_file_info(&key).map_err(self.ctx())?;
            Ok(self.plan.rebase_info(info))
        })
    }

    /// File count, total size and newest time across the subtree of `p`. The store root
    /// never fails with `NotFound`.
    ///
    /// # Errors
    /// `NotFound`; `InvalidPath` for a file.
    pub fn get_folder_info(&self, p: impl AsRef<str>) -> Result<FolderInfo> {
        self.run_op(Operation::GetFolderInfo, || {
            let key = self.plan.folder(p.as_ref(), Some(Capability::Metadata))?;
            let outcome = self.backend().get_folder_info(&key);
            self.plan.folder_info(key, outcome)
        })
    }

    /// A [`WriteResult`] built from [`get_file_info`](Self::get_file_info) (`source = Head`).
    ///
    /// # Errors
    /// As [`get_file_info`](Self::get_file_info).
    pub fn head(&self, p: impl AsRef<str>) -> Result<WriteResult> {
        self.get_file_info(p).map(WriteResult::from_info)
    }

    /// Moves the file `src` to `dst` (the spec's `move`); an existing `dst` is
    /// `AlreadyExists`. User metadata survives.
    ///
    /// # Errors
    /// `NotFound(src)`; `InvalidPath` for the root at either end, a folder at either end or
    /// a file above `dst`; `AlreadyExists(dst)`; a partial failure when a copy-then-delete
    /// move could not delete the source.
    pub fn move_file(&self, src: impl AsRef<str>, dst: impl AsRef<str>) -> Result<()> {
        self.move_file_with(src, dst, MoveOptions::new())
    }

    /// [`move_file`](Self::move_file) with options (`overwrite`).
    ///
    /// # Errors
    /// As [`move_file`](Self::move_file); `AlreadyExists(dst)` only without `overwrite`.
    pub fn move_file_with(
        &self,
        src: impl AsRef<str>,
        dst: impl AsRef<str>,
        opts: MoveOptions,
    ) -> Result<()> {
        self.run_op(Operation::Move, || {
            let (s, d) = self
                .plan
                .transfer(src.as_ref(), dst.as_ref(), Capability::Move)?;
            self.backend().move_file(&s, &d, &opts).map_err(self.ctx())
        })
    }

    /// Copies the file `src` to `dst` (the spec's `copy`); an existing `dst` is
    /// `AlreadyExists`. User metadata survives.
    ///
    /// # Errors
    /// As [`move_file`](Self::move_file).
    pub fn copy_file(&self, src: impl AsRef<str>, dst: impl AsRef<str>) -> Result<()> {
        self.copy_file_with(src, dst, CopyOptions::new())
    }

    /// [`copy_file`](Self::copy_file) with options (`overwrite`).
    ///
    /// # Errors
    /// As [`copy_file`](Self::copy_file); `AlreadyExists(dst)` only without `overwrite`.
    pub fn copy_file_with(
        &self,
        src: impl AsRef<str>,
        dst: impl AsRef<str>,
        opts: CopyOptions,
    ) -> Result<()> {
        self.run_op(Operation::Copy, || {
            let (s, d) = self
                .plan
                .transfer(src.as_ref(), dst.as_ref(), Capability::Copy)?;
            self.backend().copy_file(&s, &d, &opts).map_err(self.ctx())
        })
    }

    /// The cheapest read-only probe of the backend.
    ///
    /// # Errors
    /// `PermissionDenied`, `NotFound` naming a missing bucket/container/root
    /// ([`is_container_not_found`](Error::is_container_not_found)), `BackendUnavailable`.
    pub fn ping(&self) -> Result<()> {
        self.run_op(Operation::Ping, || {
            self.backend().ping().map_err(self.ctx())
        })
    }

    /// The store key of a backend-native name (`s3://bucket/prefix/key`, an absolute local
    /// path). Pure.
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

    /// A store rooted at `sub` below this one, over the same backend object (no new
    /// connection). Its paths are relative to `sub`; closing it never closes the backend.
    ///
    /// # Errors
    /// `InvalidPath` for a bad `sub`.
    pub fn child(&self, sub: impl AsRef<str>) -> Result<Store> {
        let root = self
            .plan
            .child(sub.as_ref())
            .map_err(|e| self.plan.stamp(Operation::Open, e))?;
        let plan = Plan::new(root, self.plan.capabilities(), self.backend().name());
        Ok(Store {
            backend: Arc::clone(&self.backend),
            plan: Arc::new(plan),
            owner: false,
        })
    }

    /// The backend's native (SDK) client of type `T`, where the backend exposes one: an
    /// escape hatch for what the contract does not cover. The client's type is the SDK's,
    /// outside this crate's semver promise.
    ///
    /// # Errors
    /// `CapabilityNotSupported` naming the type asked for when the backend has no client of
    /// that type.
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

    /// Closes the backend if this store owns it (children never do). S3 and Azure are then
    /// terminal; memory, local and SFTP reconnect lazily.
    ///
    /// # Errors
    /// The backend's failure to release.
    pub fn close(&self) -> Result<()> {
        if self.owner {
            let closed = self.backend().close();
            closed.map_err(|e| self.plan.stamp(Operation::Close, self.plan.context(e)))
        } else {
            Ok(())
        }
    }

    fn rebase_body(&self, op: Operation, body: Reader) -> Reader {
        Box::new(ContextReader {
            body,
            op,
            plan: Arc::clone(&self.plan),
        })
    }

    fn rebase_files(&self, op: Operation, files: FileIter) -> FileIter {
        let plan = Arc::clone(&self.plan);
        Box::new(files.filter_map(move |r| plan.rebase_item(op, r, Plan::rebase_file)))
    }
}

/// A read stream (or a seekable one) whose errors carry the store's context, like the
/// async twin's.
struct ContextReader<R> {
    body: R,
    op: Operation,
    plan: Arc<Plan>,
}

impl<R> ContextReader<R> {
    fn context(&self, e: std::io::Error) -> std::io::Error {
        let e = self.plan.context(Error::from_io(e));
        self.plan.stamp(self.op, e).into_io()
    }
}

impl<R: std::io::Read> std::io::Read for ContextReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        self.body.read(buf).map_err(|e| self.context(e))
    }
}

impl<R: std::io::Seek> std::io::Seek for ContextReader<R> {
    fn seek(&mut self, to: std::io::SeekFrom) -> std::io::Result<u64> {
        // A position before the start is the caller's `InvalidInput`, kept as it is.
        self.body.seek(to).map_err(|e| {
            if e.kind() == std::io::ErrorKind::InvalidInput {
                e
            } else {
                self.context(e)
            }
        })
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
