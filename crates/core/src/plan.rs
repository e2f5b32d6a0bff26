//! The policy both stores apply around every backend call, written once as pure functions.
//!
//! A store method is *plan → backend call → rebase*: [`Plan`] validates the caller's path
//! against the method's tier, prefixes the store root, checks the capability the method
//! needs before any I/O, and afterwards turns full keys (and error paths) back into
//! store-relative ones. `Store` and `AsyncStore` differ only in how they call the backend.

use std::ops::Range;

use crate::bulk::Outcomes;
pub use crate::list::ListFilter;
use crate::{
    Capability, CapabilitySet, Entry, Error, ErrorKind, FileInfo, FolderEntry, FolderInfo,
    GlobPattern, ListOptions, Operation, RESERVED_PREFIX, RemotePath, Result, WriteMode,
    WriteOptions, WriteResult,
};

/// The operation a `read_with` reports: `read_range` when it reads a range, else `read`.
pub fn read_operation(opts: &crate::ReadOptions) -> Operation {
    if opts.range.is_some() {
        Operation::ReadRange
    } else {
        Operation::Read
    }
}

/// Parses the root of a store (`""` for the backend's own root) over the backend `backend`.
///
/// # Errors
/// `InvalidPath` naming `root` for a malformed path or a segment reserved for temporary
/// files (a segment starting with [`RESERVED_PREFIX`]).
pub fn store_root(root: &str, backend: &'static str) -> Result<RemotePath> {
    key(RemotePath::new(root), root).map_err(|e| e.with_backend(backend))
}

/// A caller's key `parsed` from `input`, refused when a segment starts with
/// [`RESERVED_PREFIX`]: such names belong to the backends' temporary files. One rule for
/// every backend, so a key that works on one backend works on all of them.
fn key(parsed: Result<RemotePath>, input: &str) -> Result<RemotePath> {
    let path = parsed?;
    if path.reserved_segment().is_some() {
        return Err(Error::invalid_path(
            input,
            format!("names starting with '{RESERVED_PREFIX}' are reserved for temporary files"),
        ));
    }
    Ok(path)
}

/// The validated root of a store plus the backend's declared capabilities.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plan {
    root: RemotePath,
    capabilities: CapabilitySet,
    backend: &'static str,
}

impl Plan {
    /// A plan for a store rooted at `root` (a full key) over a backend named `backend`.
    pub fn new(root: RemotePath, capabilities: CapabilitySet, backend: &'static str) -> Self {
        Plan {
            root,
            capabilities,
            backend,
        }
    }

    /// The store root, as a full backend key.
    pub fn root(&self) -> &RemotePath {
        &self.root
    }

    /// The backend's declared capabilities.
    pub fn capabilities(&self) -> CapabilitySet {
        self.capabilities
    }

    /// Checks `cap` before any I/O.
    ///
    /// # Errors
    /// `CapabilityNotSupported` naming `cap` and the backend.
    pub fn require(&self, cap: Capability) -> Result<()> {
        self.capabilities
            .require(cap)
            .map_err(|e| e.with_backend(self.backend))
    }

    /// A file-method target: the root is refused. Returns the full key.
    ///
    /// # Errors
    /// `CapabilityNotSupported`, then `InvalidPath` naming the caller's input (also for a
    /// segment starting with [`RESERVED_PREFIX`]).
    pub fn file(&self, path: &str, cap: Capability) -> Result<RemotePath> {
        self.require(cap)?;
        let rel = key(RemotePath::file(path), path).map_err(|e| e.with_backend(self.backend))?;
        Ok(self.root.join_path(&rel))
    }

    /// A folder/query target: the root is accepted. Returns the full key.
    ///
    /// # Errors
    /// `CapabilityNotSupported` (when `cap` is given), then `InvalidPath`.
    pub fn folder(&self, path: &str, cap: Option<Capability>) -> Result<RemotePath> {
        if let Some(cap) = cap {
            self.require(cap)?;
        }
        let rel = key(RemotePath::new(path), path).map_err(|e| e.with_backend(self.backend))?;
        Ok(self.root.join_path(&rel))
    }

    /// A folder target that must not be the store root (`delete_folder`).
    ///
    /// # Errors
    /// As [`folder`](Self::folder), plus `InvalidPath` for the root.
    pub fn folder_not_root(&self, path: &str, cap: Capability) -> Result<RemotePath> {
        let full = self.folder(path, Some(cap))?;
        if full == self.root {
            return Err(
                Error::invalid_path(path, "refusing to use the store root as a target")
                    .with_backend(self.backend),
            );
        }
        Ok(full)
    }

    /// A write target: the mode's capability (`write` or `atomic_write`), the options'
    /// shape, `user_metadata` for non-empty metadata, the checksum's `digest_*` capability, then
    /// the path. Returns the full key.
    ///
    /// # Errors
    /// `CapabilityNotSupported`, `InvalidArgument`, `InvalidPath`.
    pub fn write(&self, path: &str, mode: WriteMode, opts: &WriteOptions) -> Result<RemotePath> {
        let cap = mode.capability();
        self.require(cap)?;
        opts.validate().map_err(|e| e.with_backend(self.backend))?;
        if opts.user_metadata().is_some() {
            self.require(Capability::UserMetadata)?;
        }
        if let Some(algorithm) = opts.checksum {
            self.require(algorithm.capability())?;
        }
        if self.checks_if_match(opts) {
            self.require(Capability::Metadata)?;
        }
        self.file(path, cap)
    }

    /// True when the store checks `opts.if_match` before writing: whenever it is set. Without
    /// `conditional_write` that check is the only one (not atomic); with it, the backend's
    /// native `If-Match` guards the write too, and the check makes a missing file fail the
    /// same way everywhere (Azurite, for one, creates a missing blob under `If-Match`).
    pub fn checks_if_match(&self, opts: &WriteOptions) -> bool {
        opts.if_match.is_some()
    }

    /// The store's `if_match` check: `current` is the backend's `get_file_info` of the
    /// target; a missing file fails the condition. Returns the options to write with when
    /// they change: `if_match("*")` on a backend with `conditional_write` becomes the etag
    /// just seen, so the service enforces "exists, and is still the version checked" (S3
    /// defines no `If-Match: *`; a file replaced in between fails with `PreconditionFailed`).
    ///
    /// # Errors
    /// `PreconditionFailed`; `current`'s own error unless it is `NotFound`.
    pub fn check_if_match(
        &self,
        key: &RemotePath,
        opts: &WriteOptions,
        current: Result<FileInfo>,
    ) -> Result<Option<WriteOptions>> {
        let etag = match current {
            // A file whose backend reports no etag (an SFTP server that sends no size or
            // time) exists: `*` holds, and any other etag cannot be confirmed.
            Ok(info) if info.etag.is_none() => {
                return match opts.if_match.as_deref() {
                    Some(wanted) if wanted.trim() != "*" => Err(Error::precondition_failed(
                        key.as_str(),
                        format!("if_match {wanted} but the file has no etag to compare"),
                    )),
                    _ => Ok(None),
                };
            }
            Ok(info) => info.etag,
            Err(e) if e.kind() == ErrorKind::NotFound && !e.is_container_not_found() => None,
            Err(e) => return Err(e),
        };
        opts.check_if_match(key.as_str(), etag.as_deref())?;
        let native = self.capabilities.supports(Capability::ConditionalWrite);
        Ok(match etag {
            Some(etag) if native && opts.if_match.as_deref() == Some("*") => {
                Some(opts.clone().if_match(etag))
            }
            _ => None,
        })
    }

    /// Both ends of a move or copy; the root as either end is refused before any I/O.
    ///
    /// # Errors
    /// `CapabilityNotSupported`, then `InvalidPath` naming the offending end.
    pub fn transfer(
        &self,
        src: &str,
        dst: &str,
        cap: Capability,
    ) -> Result<(RemotePath, RemotePath)> {
        Ok((self.file(src, cap)?, self.file(dst, cap)?))
    }

    /// A compiled glob rooted at the store root. A backend without native `glob` is served
    /// by the portable fallback (list the pattern's literal prefix and match), which needs
    /// `list`.
    ///
    /// # Errors
    /// `CapabilityNotSupported` naming `glob` when the backend has neither `glob` nor
    /// `list`, then `InvalidArgument`/`InvalidPath` for a bad pattern.
    pub fn glob(&self, pattern: &str) -> Result<GlobPattern> {
        if !self.capabilities.supports(Capability::List) {
            self.require(Capability::Glob)?;
        }
        GlobPattern::new(pattern)
            .and_then(|g| g.rooted_at(&self.root))
            .map_err(|e| e.with_backend(self.backend))
    }

    /// `opts` as a backend takes them: `start_after` made a full key (prefixed with the
    /// store root), like the folder listed.
    pub fn list_options(&self, mut opts: ListOptions) -> ListOptions {
        if let Some(after) = opts.start_after.take() {
            opts.start_after = Some(if self.root.is_root() {
                after
            } else {
                format!("{}/{after}", self.root.as_str())
            });
        }
        opts
    }

    /// The listing filter for `opts` (from [`list_options`](Self::list_options)) under
    /// `folder` (a full key).
    ///
    /// # Errors
    /// `InvalidArgument` for a bad pattern.
    pub fn list_filter(&self, folder: &RemotePath, opts: &ListOptions) -> Result<ListFilter> {
        opts.filter(folder)
            .map_err(|e| e.with_backend(self.backend))
    }

    /// The root of a child store at `sub` (relative to this store).
    ///
    /// # Errors
    /// `InvalidPath` for a bad `sub`.
    pub fn child(&self, sub: &str) -> Result<RemotePath> {
        self.folder(sub, None)
    }

    /// A full key made store-relative; `None` when the key lies outside the store.
    pub fn rebase(&self, full: &RemotePath) -> Option<RemotePath> {
        full.strip_prefix(&self.root)
    }

    /// A listed key made store-relative; `None` when outside the store or when a segment
    /// is reserved for temporary files (such names are never listed: the store would
    /// refuse them as input).
    fn rebase_listed(&self, full: &RemotePath) -> Option<RemotePath> {
        let rel = self.rebase(full)?;
        rel.reserved_segment().is_none().then_some(rel)
    }

    /// A listed file made store-relative; `None` (dropped) when outside the store or
    /// reserved.
    pub fn rebase_file(&self, file: FileInfo) -> Option<FileInfo> {
        self.rebase_listed(&file.path).map(|p| file.with_path(p))
    }

    /// A listed folder made store-relative; `None` when outside the store or reserved.
    pub fn rebase_folder(&self, folder: FolderEntry) -> Option<FolderEntry> {
        self.rebase_listed(&folder.path).map(FolderEntry::new)
    }

    /// A listed entry made store-relative; `None` when outside the store or reserved.
    pub fn rebase_entry(&self, entry: Entry) -> Option<Entry> {
        match entry {
            Entry::File(f) => self.rebase_file(f).map(Entry::File),
            Entry::Folder(f) => self.rebase_folder(f).map(Entry::Folder),
        }
    }

    /// One listing item made store-relative: files outside the store are dropped, errors
    /// get their context.
    pub fn rebase_item<T>(
        &self,
        op: Operation,
        item: Result<T>,
        rebase: impl FnOnce(&Self, T) -> Option<T>,
    ) -> Option<Result<T>> {
        match item {
            Ok(v) => rebase(self, v).map(Ok),
            Err(e) => Some(Err(self.stamp(op, self.context(e)))),
        }
    }

    /// A file info made store-relative.
    pub fn rebase_info(&self, info: FileInfo) -> FileInfo {
        match self.rebase(&info.path) {
            Some(p) => info.with_path(p),
            None => info,
        }
    }

    /// A write result made store-relative.
    pub fn rebase_result(&self, mut result: WriteResult) -> WriteResult {
        if let Some(p) = self.rebase(&result.path) {
            result.path = p;
        }
        result
    }

    /// The outcome of a backend's folder-info call for `key`: the store root never fails
    /// with `NotFound` (it aggregates to zero), paths become store-relative.
    ///
    /// # Errors
    /// The backend's error, with context.
    pub fn folder_info(&self, key: RemotePath, outcome: Result<FolderInfo>) -> Result<FolderInfo> {
        let mut info = match outcome {
            Err(e)
                if e.kind() == ErrorKind::NotFound
                    && !e.is_container_not_found()
                    && key == self.root =>
            {
                FolderInfo::new(key)
            }
            other => other.map_err(|e| self.context(e))?,
        };
        info.path = self.rebase(&info.path).unwrap_or(RemotePath::ROOT);
        Ok(info)
    }

    /// The outcome of `exists`/`is_file`/`is_folder`: `NotFound` and `InvalidPath` (a
    /// missing file, a path under a file) become `false`; a missing container (bucket,
    /// blob container, root folder: [`Error::is_container_not_found`]) stays an error, as
    /// do other failures, with context.
    ///
    /// # Errors
    /// A missing container; failures to ask (`BackendUnavailable`, `PermissionDenied`, ...).
    pub fn probe(&self, outcome: Result<bool>) -> Result<bool> {
        match outcome {
            Err(e) if e.is_container_not_found() => Err(self.context(e)),
            Err(e) if matches!(e.kind(), ErrorKind::NotFound | ErrorKind::InvalidPath) => Ok(false),
            other => other.map_err(|e| self.context(e)),
        }
    }

    /// A range check for ranged reads.
    ///
    /// # Errors
    /// `InvalidArgument` when `range.start > range.end`.
    pub fn range(&self, p: &str, range: &Range<u64>) -> Result<()> {
        if range.start > range.end {
            return Err(Error::invalid_argument(format!(
                "range start {} is after its end {}",
                range.start, range.end
            ))
            .with_path(p)
            .with_backend(self.backend));
        }
        Ok(())
    }

    /// The error for a missing native client of type `type_name`.
    pub fn no_native_client(&self, type_name: &str) -> Error {
        Error::new(ErrorKind::CapabilityNotSupported)
            .with_message(format!("no native client of type {type_name}"))
            .with_backend(self.backend)
    }

    /// The error for a native name outside the store.
    pub fn outside(&self, native: &str) -> Error {
        Error::invalid_path(native, "outside the store").with_backend(self.backend)
    }

    /// Plans a bulk call over `paths` (file tier, capability `cap`): the keys that pass, in
    /// input order, and the outcomes so far (each refused path keeps its error; with the
    /// store closed, every path is refused).
    pub fn bulk<P: AsRef<str>>(
        &self,
        paths: impl IntoIterator<Item = P>,
        cap: Capability,
        open: &Result<()>,
    ) -> (Outcomes, Vec<RemotePath>) {
        Outcomes::pick(paths.into_iter().map(|p| match open {
            Err(_) => Err(self.closed().with_path(p.as_ref())),
            Ok(()) => self.file(p.as_ref(), cap),
        }))
    }

    /// The outcomes of a bulk call, in input order: the backend's (`done`, for the keys
    /// [`bulk`](Self::bulk) returned) made store-relative, every error stamped with `op`.
    pub fn finish_bulk(
        &self,
        op: Operation,
        outcomes: Outcomes,
        done: Vec<Result<()>>,
    ) -> Vec<Result<()>> {
        outcomes
            .fill(done, |r| r.map_err(|e| self.context(e)))
            .into_iter()
            .map(|r| r.map_err(|e| self.stamp(op, e)))
            .collect()
    }

    /// The error for any call after a terminal close.
    pub fn closed(&self) -> Error {
        Error::closed().with_backend(self.backend)
    }

    /// Stamps the backend name and the operation on `err`, the one place where errors get
    /// their context. The path is left as it is (see [`context`](Self::context)).
    pub fn stamp(&self, op: Operation, err: Error) -> Error {
        err.with_backend(self.backend).with_operation(op)
    }

    /// Stamps the backend name on `err` and makes its (full-key) path store-relative: for
    /// errors that come back from the backend.
    pub fn context(&self, err: Error) -> Error {
        let root = self.root.as_str();
        let err = err.with_backend(self.backend);
        if root.is_empty() {
            return err;
        }
        err.map_path(|p| match p.strip_prefix(root) {
            Some("") => String::new(),
            Some(rest) if rest.starts_with('/') => rest[1..].to_owned(),
            _ => p,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ErrorKind;

    fn plan(root: &str, caps: CapabilitySet) -> Plan {
        Plan::new(RemotePath::new(root).unwrap(), caps, "test")
    }

    #[test]
    fn tiers() {
        let p = plan("base", CapabilitySet::all());
        assert_eq!(
            p.file("a/b", Capability::Read).unwrap().as_str(),
            "base/a/b"
        );
        for root in ["", ".", "/"] {
            assert_eq!(
                p.file(root, Capability::Read).unwrap_err().kind(),
                ErrorKind::InvalidPath
            );
            assert_eq!(p.folder(root, None).unwrap().as_str(), "base");
            let e = p.folder_not_root(root, Capability::Delete).unwrap_err();
            assert_eq!(e.kind(), ErrorKind::InvalidPath);
        }
    }

    #[test]
    fn capability_checked_first() {
        let p = plan("", CapabilitySet::EMPTY.with(Capability::Write));
        let e = p.file("", Capability::Read).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::CapabilityNotSupported);
        let meta = WriteOptions::new().metadata([("k", "v")].into_iter().collect());
        let e = p.write("a", WriteMode::Direct, &meta).unwrap_err();
        assert_eq!(e.capability(), Some(Capability::UserMetadata));
        let sum = WriteOptions::new().checksum(crate::ChecksumAlgorithm::Sha256);
        let e = p.write("a", WriteMode::Direct, &sum).unwrap_err();
        assert_eq!(e.capability(), Some(Capability::DigestSha256));
        let p = plan(
            "",
            CapabilitySet::from([Capability::Write, Capability::DigestSha256]),
        );
        assert!(p.write("a", WriteMode::Direct, &sum).is_ok());
    }

    #[test]
    fn reserved_names_are_refused_and_never_listed() {
        let p = plan("base", CapabilitySet::all());
        for bad in [".~tmp.x", "a/.~tmp.f.txt.0123", ".~tmp.d/f", "a\\.~tmp.y"] {
            for e in [
                p.file(bad, Capability::Read).unwrap_err(),
                p.folder(bad, None).unwrap_err(),
                p.write(bad, WriteMode::Direct, &WriteOptions::new())
                    .unwrap_err(),
                p.transfer("ok", bad, Capability::Copy).unwrap_err(),
                store_root(bad, "test").unwrap_err(),
            ] {
                assert_eq!(e.kind(), ErrorKind::InvalidPath, "{bad}: {e}");
                assert_eq!(e.path(), Some(bad));
                assert!(e.to_string().contains("'.~tmp.'"), "{e}");
                assert_eq!(e.backend(), Some("test"));
            }
        }
        for fine in [".~tmpx", "a/~tmp.x", "a.~tmp.b", "x/tmp"] {
            assert!(p.file(fine, Capability::Read).is_ok(), "{fine}");
        }
        let listed = |k: &str| FileInfo::new(RemotePath::new(k).unwrap(), 1, None);
        assert!(p.rebase_file(listed("base/.~tmp.f.1")).is_none());
        assert!(p.rebase_file(listed("base/d/.~tmp.f.1/x")).is_none());
        assert_eq!(
            p.rebase_file(listed("base/d/f")).unwrap().path.as_str(),
            "d/f"
        );
        let folder = FolderEntry::new(RemotePath::new("base/.~tmp.d").unwrap());
        assert!(p.rebase_entry(Entry::Folder(folder)).is_none());
    }

    #[test]
    fn glob_falls_back_to_listing() {
        let listing = plan("", CapabilitySet::EMPTY.with(Capability::List));
        assert!(listing.glob("*.txt").is_ok());
        let neither = plan("", CapabilitySet::EMPTY.with(Capability::Read));
        assert_eq!(
            neither.glob("*.txt").unwrap_err().capability(),
            Some(Capability::Glob)
        );
    }

    #[test]
    fn rebasing_and_context() {
        let p = plan("base/x", CapabilitySet::all());
        let full = RemotePath::new("base/x/f.txt").unwrap();
        assert_eq!(p.rebase(&full).unwrap().as_str(), "f.txt");
        assert!(p.rebase(&RemotePath::new("base/xy").unwrap()).is_none());
        let e = p.context(Error::not_found("base/x/f.txt"));
        assert_eq!(e.path(), Some("f.txt"));
        assert_eq!(e.backend(), Some("test"));
        assert_eq!(
            p.context(Error::not_found("base/xy")).path(),
            Some("base/xy")
        );
    }

    #[test]
    fn a_missing_container_is_never_false_or_empty() {
        let p = plan("base", CapabilitySet::EMPTY);
        assert_eq!(p.probe(Err(Error::not_found("base/x"))).ok(), Some(false));
        let missing = || Error::container_not_found("bucket", "b", "create it").with_path("base/x");
        let e = p.probe(Err(missing())).unwrap_err();
        assert!(e.is_container_not_found());
        assert_eq!(e.path(), Some("x"));
        let root = RemotePath::new("base").unwrap();
        assert!(
            p.folder_info(root.clone(), Err(Error::not_found("base")))
                .is_ok()
        );
        let e = p.folder_info(root, Err(missing())).unwrap_err();
        assert!(e.is_container_not_found());
    }
}

/// What the streaming writers of both stores (`Store::writer`, `AsyncStore::writer`) share.
///
/// A writer gathers the caller's small writes into chunks of at most [`CHUNK`](writer::CHUNK)
/// bytes and hands them to the store's own streamed write through a channel that holds at
/// most [`QUEUE`](writer::QUEUE) chunks, so a writer holds at most `CHUNK * (QUEUE + 2)`
/// bytes of its own (the chunk being filled, the queue, the chunk the write is consuming)
/// whatever the size of the object.
pub mod writer {
    use crate::{Error, Operation};

    /// The largest chunk a writer hands to the write at once (256 KiB, the adapters' chunk).
    pub const CHUNK: usize = 256 * 1024;
    /// How many chunks wait between a writer and its write.
    pub const QUEUE: usize = 2;

    /// The message the write's source fails with when its writer is dropped or aborted
    /// before `finish`: the write then fails, and a failed write leaves nothing behind.
    pub const ABORTED: &str = "the writer was dropped or aborted before finish";

    /// The error a writer reports again after its write failed (`Error` is not `Clone`):
    /// the same kind, path, backend and operation, saying it is an earlier failure.
    pub fn failed_again(err: &Error) -> Error {
        let mut again = Error::new(err.kind())
            .retryable(err.is_retryable())
            .with_message(format!("the write failed earlier ({err})"));
        if let Some(path) = err.path() {
            again = again.with_path(path);
        }
        if let Some(backend) = err.backend() {
            again = again.with_backend(backend);
        }
        if let Some(op) = err.operation() {
            again = again.with_operation(op);
        }
        again
    }

    /// The error for a write that ended before its writer finished (a backend that stopped
    /// reading its source without failing).
    pub fn ended_early(path: &str, op: Operation) -> Error {
        Error::new(crate::ErrorKind::Other)
            .with_path(path)
            .with_operation(op)
            .with_message("the write ended before the writer finished")
    }

    /// The error for a writer used after it was shut down.
    pub fn closed_writer(path: &str, op: Operation) -> Error {
        Error::new(crate::ErrorKind::InvalidArgument)
            .with_path(path)
            .with_operation(op)
            .with_message("the writer was already shut down")
    }
}
