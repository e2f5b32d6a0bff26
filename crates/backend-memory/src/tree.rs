//! The in-memory model both halves share: a hierarchical namespace with implicit folders.
//!
//! Every rule of the contract that a backend decides lives here, once, as plain methods on
//! [`Tree`]; the sync and async backends only take the lock around them (and, for streamed
//! writes, gather the content before they do).
//!
//! # Representation
//! The tree is stored as a sorted map from full key (`"a/b/c.txt"`) to file. Folders are not
//! stored: a folder exists while at least one file lies under it, and disappears with its
//! last file. Byte order keeps each subtree contiguous — every key under `a` sorts between
//! `"a/"` and `"a0"` (`'0'` follows `'/'`) — so a folder test is one range probe, a listing
//! walks one range, and a page of a listing can resume from the last key it saw.
//!
//! The namespace is hierarchical, not flat: writes refuse to put a file where a folder is
//! or under another file, so no key is ever both a file and a folder, and no file has a
//! file for an ancestor. Every method may rely on that invariant.

use std::collections::BTreeMap;
use std::ops::Bound;
use std::sync::Arc;
use std::time::SystemTime;

use bytes::Bytes;
use parking_lot::RwLock;
use remote_store_core::{
    ContentDigest, Entry, Error, FileInfo, FolderEntry, FolderInfo, Metadata, ReadOptions,
    RemotePath, Result, WriteOptions, WriteResult,
};

/// The tree as both halves hold it. Locks are taken for one tree operation at a time and
/// never held across an `.await` or while a caller's stream is consumed.
pub(crate) type SharedTree = Arc<RwLock<Tree>>;

/// Items one listing page collects under the lock before releasing it.
pub(crate) const PAGE_SIZE: usize = 1000;

/// One stored file: its bytes and the facts `get_file_info` reports.
#[derive(Clone)]
struct StoredFile {
    data: Bytes,
    modified: SystemTime,
    etag: String,
    content_type: Option<String>,
    metadata: Option<Metadata>,
    /// The checksum the write that stored it asked for, reported by `get_file_info`.
    digest: Option<ContentDigest>,
}

impl StoredFile {
    fn info(&self, path: RemotePath) -> FileInfo {
        FileInfo::new(path, self.data.len() as u64, Some(self.modified))
            .with_etag(Some(self.etag.clone()))
            .with_content_type(self.content_type.clone())
            .with_metadata(self.metadata.clone())
            .with_digest(self.digest.clone())
    }
}

/// What a listing yields.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ListMode {
    /// Files directly in the folder, or the whole subtree when `recursive`.
    Files { recursive: bool },
    /// Immediate subfolders.
    Folders,
    /// Immediate files and subfolders.
    Children,
}

/// The position a paged listing resumes from.
#[derive(Debug, Clone)]
pub(crate) struct Cursor {
    prefix: String,
    from: Bound<String>,
}

impl Cursor {
    /// A cursor at the start of the listing of `folder`.
    pub(crate) fn start(folder: &RemotePath) -> Self {
        let prefix = subtree_prefix(folder);
        Cursor {
            from: Bound::Included(prefix.clone()),
            prefix,
        }
    }
}

/// The namespace: full key → file. See the module docs for the folder rule.
#[derive(Default)]
pub(crate) struct Tree {
    files: BTreeMap<String, StoredFile>,
    /// Bumped by every write and copy; the source of etags.
    generation: u64,
}

/// `"a/b/"` for `a/b`, `""` for the root: the prefix every key in the subtree starts with.
fn subtree_prefix(folder: &RemotePath) -> String {
    if folder.is_root() {
        String::new()
    } else {
        format!("{}/", folder.as_str())
    }
}

/// The exclusive upper bound of the keys starting with `prefix` (`"a/"` → `"a0"`).
fn subtree_end(prefix: &str) -> Bound<String> {
    match prefix.strip_suffix('/') {
        Some(stem) => Bound::Excluded(format!("{stem}0")),
        None => Bound::Unbounded,
    }
}

fn as_str_bound(b: &Bound<String>) -> Bound<&str> {
    match b {
        Bound::Included(s) => Bound::Included(s.as_str()),
        Bound::Excluded(s) => Bound::Excluded(s.as_str()),
        Bound::Unbounded => Bound::Unbounded,
    }
}

/// The bytes of `range` within `data`, clamped at its end (no copy).
pub(crate) fn slice_range(data: &Bytes, range: &std::ops::Range<u64>) -> Bytes {
    let len = data.len() as u64;
    let start = range.start.min(len);
    let end = range.end.clamp(start, len);
    // Both are at most `data.len()`, so they fit a `usize`.
    data.slice(start as usize..end as usize)
}

/// A stored key as a path. Stored keys come from valid paths, and every prefix of one that
/// ends at a segment boundary is valid too, so this does not fail in practice; if it ever
/// did, the listing reports the error instead of panicking.
fn key_path(key: &str) -> Result<RemotePath> {
    RemotePath::new(key)
}

impl Tree {
    /// Number of files stored.
    pub(crate) fn file_count(&self) -> usize {
        self.files.len()
    }

    fn subtree(&self, folder: &RemotePath) -> impl Iterator<Item = (&String, &StoredFile)> {
        let prefix = subtree_prefix(folder);
        let end = subtree_end(&prefix);
        self.files
            .range::<str, _>((Bound::Included(prefix.as_str()), as_str_bound(&end)))
    }

    /// Whether a file is stored at `key`.
    pub(crate) fn is_file(&self, key: &RemotePath) -> bool {
        self.files.contains_key(key.as_str())
    }

    /// Whether a folder exists at `key`: the root always, else while a file is under it.
    pub(crate) fn is_folder(&self, key: &RemotePath) -> bool {
        key.is_root() || self.subtree(key).next().is_some()
    }

    /// Whether a file or folder exists at `key`.
    pub(crate) fn exists(&self, key: &RemotePath) -> bool {
        self.is_file(key) || self.is_folder(key)
    }

    /// The first ancestor of `key` that is a file, if any.
    fn file_ancestor(&self, key: &RemotePath) -> Option<RemotePath> {
        key.ancestors().find(|a| self.is_file(a))
    }

    fn file(&self, key: &RemotePath) -> Result<&StoredFile> {
        match self.files.get(key.as_str()) {
            Some(f) => Ok(f),
            None if self.is_folder(key) => Err(Error::invalid_path(key.as_str(), "is a folder")),
            // Missing, or under a file: both read as missing.
            None => Err(Error::not_found(key.as_str())),
        }
    }

    /// The content of the file at `key` (a cheap clone of the stored bytes).
    ///
    /// # Errors
    /// `NotFound` (also under a file); `InvalidPath` for a folder.
    pub(crate) fn read(&self, key: &RemotePath) -> Result<Bytes> {
        self.file(key).map(|f| f.data.clone())
    }

    /// The content of the file at `key` and the version it is (for `read_versioned`),
    /// under one lock.
    ///
    /// # Errors
    /// As [`read`](Self::read).
    pub(crate) fn read_versioned(
        &self,
        key: &RemotePath,
    ) -> Result<(Bytes, remote_store_core::ObjectVersion)> {
        self.file(key).map(|f| {
            let version = remote_store_core::ObjectVersion::new(f.data.len() as u64)
                .with_etag(Some(f.etag.clone()))
                .with_modified(Some(f.modified));
            (f.data.clone(), version)
        })
    }

    /// The content of the file at `key` if the conditions of `opts` hold, checked under the
    /// same lock as the read (`conditional_read`); `opts.range` is left to the caller.
    ///
    /// # Errors
    /// As [`read`](Self::read); `PreconditionFailed` or `NotModified`.
    pub(crate) fn read_checked(&self, key: &RemotePath, opts: &ReadOptions) -> Result<Bytes> {
        let file = self.file(key)?;
        opts.check(key.as_str(), &file.info(key.clone()))?;
        Ok(file.data.clone())
    }

    /// Facts about the file at `key`.
    ///
    /// # Errors
    /// As [`read`](Self::read).
    pub(crate) fn file_info(&self, key: &RemotePath) -> Result<FileInfo> {
        self.file(key).map(|f| f.info(key.clone()))
    }

    /// Aggregates the subtree of `key`; the root never fails.
    ///
    /// # Errors
    /// `InvalidPath` for a file; `NotFound` for a missing folder.
    pub(crate) fn folder_info(&self, key: &RemotePath) -> Result<FolderInfo> {
        if self.is_file(key) {
            return Err(Error::invalid_path(key.as_str(), "is a file"));
        }
        let mut info = FolderInfo::new(key.clone());
        for (_, f) in self.subtree(key) {
            info.file_count += 1;
            info.total_size += f.data.len() as u64;
            info.modified = Some(info.modified.map_or(f.modified, |m| m.max(f.modified)));
        }
        if info.file_count == 0 && !key.is_root() {
            return Err(Error::not_found(key.as_str()));
        }
        Ok(info)
    }

    /// Checks steps 3 and 4 of the write precondition order for a write to `key`: a folder
    /// at the target or a file above it is `InvalidPath` (even with `overwrite`), then an
    /// existing file without `overwrite` is `AlreadyExists`.
    ///
    /// # Errors
    /// As described.
    pub(crate) fn check_write(&self, key: &RemotePath, overwrite: bool) -> Result<()> {
        if key.is_root() {
            return Err(Error::invalid_path(key.as_str(), "the root is not a file"));
        }
        if self.is_file(key) {
            return if overwrite {
                Ok(())
            } else {
                Err(Error::already_exists(key.as_str()))
            };
        }
        if self.is_folder(key) {
            return Err(Error::invalid_path(key.as_str(), "is a folder"));
        }
        if let Some(ancestor) = self.file_ancestor(key) {
            return Err(Error::invalid_path(
                key.as_str(),
                format!("its ancestor '{ancestor}' is a file"),
            ));
        }
        Ok(())
    }

    fn next_etag(&mut self) -> String {
        self.generation += 1;
        format!("{:016x}", self.generation)
    }

    /// Stores `data` at `key` as one step: checks, then replaces or creates. Parent folders
    /// come into being with the file. `digest` is the checksum the write asked for (computed
    /// by the caller, outside the lock), kept with the file and returned.
    ///
    /// # Errors
    /// As [`check_write`](Self::check_write).
    pub(crate) fn write(
        &mut self,
        key: &RemotePath,
        data: Bytes,
        opts: &WriteOptions,
        now: SystemTime,
        digest: Option<ContentDigest>,
    ) -> Result<WriteResult> {
        self.check_write(key, opts.overwrite)?;
        // Under the same lock as the write: `if_match` is atomic here.
        opts.check_if_match(
            key.as_str(),
            self.files.get(key.as_str()).map(|f| f.etag.as_str()),
        )?;
        let etag = self.next_etag();
        let size = data.len() as u64;
        let stored = StoredFile {
            data,
            modified: now,
            etag: etag.clone(),
            content_type: opts.content_type.clone(),
            metadata: opts.user_metadata().cloned(),
            digest: digest.clone(),
        };
        self.files.insert(key.as_str().to_owned(), stored);
        Ok(WriteResult::native(key.clone(), size, Some(etag), Some(now), opts).with_digest(digest))
    }

    /// Deletes the file at `key`.
    ///
    /// # Errors
    /// `InvalidPath` for a folder (even with `missing_ok`); `NotFound` for a missing path
    /// or one under a file, unless `missing_ok`.
    pub(crate) fn delete(&mut self, key: &RemotePath, missing_ok: bool) -> Result<()> {
        if self.files.remove(key.as_str()).is_some() {
            return Ok(());
        }
        if self.is_folder(key) {
            return Err(Error::invalid_path(key.as_str(), "is a folder"));
        }
        if missing_ok {
            Ok(())
        } else {
            Err(Error::not_found(key.as_str()))
        }
    }

    /// Deletes the folder at `key`. Folders are never empty (see the module docs), so
    /// without `recursive` an existing folder is always `DirectoryNotEmpty`.
    ///
    /// # Errors
    /// `InvalidPath` for a file or the root; `NotFound` for a missing folder (or one under a
    /// file) unless `missing_ok`; `DirectoryNotEmpty` without `recursive`.
    pub(crate) fn delete_folder(
        &mut self,
        key: &RemotePath,
        recursive: bool,
        missing_ok: bool,
    ) -> Result<()> {
        if key.is_root() {
            return Err(Error::invalid_path(
                key.as_str(),
                "refusing to delete the backend root",
            ));
        }
        if self.is_file(key) {
            return Err(Error::invalid_path(key.as_str(), "is a file"));
        }
        if !self.is_folder(key) {
            return if missing_ok {
                Ok(())
            } else {
                Err(Error::not_found(key.as_str()))
            };
        }
        if !recursive {
            return Err(Error::directory_not_empty(key.as_str()));
        }
        let doomed: Vec<String> = self.subtree(key).map(|(k, _)| k.clone()).collect();
        for k in doomed {
            self.files.remove(&k);
        }
        Ok(())
    }

    /// Checks the source of a move or copy and the destination; `Ok(None)` when `src ==
    /// dst` (a no-op once the source is known to be a file).
    fn check_transfer(
        &self,
        src: &RemotePath,
        dst: &RemotePath,
        overwrite: bool,
    ) -> Result<Option<StoredFile>> {
        let file = self.file(src)?;
        if src == dst {
            return Ok(None);
        }
        self.check_write(dst, overwrite)?;
        Ok(Some(file.clone()))
    }

    /// Copies the file `src` to `dst`: the bytes are shared, content type and user
    /// metadata carried across; the copy gets its own time and etag.
    ///
    /// # Errors
    /// `NotFound(src)` (outranks destination problems); `InvalidPath` for a folder source,
    /// a folder at `dst` or a file above it; `AlreadyExists(dst)` without `overwrite`.
    pub(crate) fn copy(
        &mut self,
        src: &RemotePath,
        dst: &RemotePath,
        overwrite: bool,
        now: SystemTime,
    ) -> Result<()> {
        if let Some(mut file) = self.check_transfer(src, dst, overwrite)? {
            file.modified = now;
            file.etag = self.next_etag();
            self.files.insert(dst.as_str().to_owned(), file);
        }
        Ok(())
    }

    /// Renames the file `src` to `dst` in one step, keeping everything about it (bytes,
    /// time, etag, content type, metadata). Folders left empty by the move disappear.
    ///
    /// # Errors
    /// As [`copy`](Self::copy).
    pub(crate) fn rename(
        &mut self,
        src: &RemotePath,
        dst: &RemotePath,
        overwrite: bool,
    ) -> Result<()> {
        if self.check_transfer(src, dst, overwrite)?.is_some()
            && let Some(file) = self.files.remove(src.as_str())
        {
            self.files.insert(dst.as_str().to_owned(), file);
        }
        Ok(())
    }

    /// Collects up to `limit` items of a listing from `cursor` into `out` and advances the
    /// cursor; returns `false` once the listing is exhausted. A missing folder, or a file,
    /// lists as empty. Items added or removed between pages may or may not be seen, but no
    /// key is reported twice.
    pub(crate) fn page(
        &self,
        cursor: &mut Cursor,
        mode: ListMode,
        limit: usize,
        out: &mut Vec<Result<Entry>>,
    ) -> bool {
        let end = subtree_end(&cursor.prefix);
        let prefix_len = cursor.prefix.len();
        loop {
            let next = self
                .files
                .range::<str, _>((as_str_bound(&cursor.from), as_str_bound(&end)))
                .next();
            let Some((key, file)) = next else {
                return false;
            };
            if out.len() >= limit {
                cursor.from = Bound::Included(key.clone());
                return true;
            }
            let rest = &key[prefix_len..];
            match (rest.find('/'), mode) {
                (None, ListMode::Files { .. } | ListMode::Children)
                | (Some(_), ListMode::Files { recursive: true }) => {
                    out.push(key_path(key).map(|p| Entry::File(file.info(p))));
                    cursor.from = Bound::Excluded(key.clone());
                }
                (None, ListMode::Folders) => cursor.from = Bound::Excluded(key.clone()),
                (Some(slash), _) => {
                    // The first key of an immediate subfolder: report the folder (when
                    // asked) and skip its whole subtree.
                    let folder = &key[..prefix_len + slash];
                    if mode != (ListMode::Files { recursive: false }) {
                        out.push(key_path(folder).map(|p| Entry::Folder(FolderEntry::new(p))));
                    }
                    cursor.from = Bound::Included(format!("{folder}0"));
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use remote_store_core::ErrorKind;
    use std::time::Duration;

    fn p(s: &str) -> RemotePath {
        RemotePath::new(s).unwrap()
    }

    fn t0() -> SystemTime {
        SystemTime::UNIX_EPOCH + Duration::from_secs(1_000_000)
    }

    fn tree(keys: &[&str]) -> Tree {
        let mut t = Tree::default();
        for k in keys {
            t.write(
                &p(k),
                Bytes::from(k.to_string()),
                &WriteOptions::new(),
                t0(),
                None,
            )
            .unwrap();
        }
        t
    }

    fn kind<T: std::fmt::Debug>(r: Result<T>) -> ErrorKind {
        r.unwrap_err().kind()
    }

    fn list(t: &Tree, folder: &str, mode: ListMode, limit: usize) -> Vec<String> {
        let mut cursor = Cursor::start(&p(folder));
        let mut all = Vec::new();
        loop {
            let mut out = Vec::new();
            let more = t.page(&mut cursor, mode, limit, &mut out);
            assert!(out.len() <= limit);
            all.extend(out.into_iter().map(|e| match e.unwrap() {
                Entry::File(f) => f.path.as_str().to_owned(),
                Entry::Folder(f) => format!("{}/", f.path.as_str()),
            }));
            if !more {
                return all;
            }
        }
    }

    #[test]
    fn folders_are_implicit() {
        let mut t = tree(&["a/b/c.txt", "a/d.txt"]);
        assert!(t.is_folder(&p("a")) && t.is_folder(&p("a/b")) && t.is_folder(&RemotePath::ROOT));
        assert!(!t.is_folder(&p("a/d.txt")) && !t.is_file(&p("a/b")));
        // A sibling whose name only shares a prefix is not inside the folder.
        let t2 = tree(&["ab/x", "a.txt", "a0"]);
        assert!(!t2.is_folder(&p("a")));
        t.delete(&p("a/b/c.txt"), false).unwrap();
        assert!(
            !t.is_folder(&p("a/b")),
            "the folder goes with its last file"
        );
        assert!(t.is_folder(&p("a")));
    }

    #[test]
    fn write_preconditions_in_order() {
        let mut t = tree(&["f", "dir/x"]);
        let opts = WriteOptions::new();
        let over = WriteOptions::overwriting();
        assert_eq!(
            kind(t.write(&p("dir"), Bytes::new(), &over, t0(), None)),
            ErrorKind::InvalidPath
        );
        assert_eq!(
            kind(t.write(&p("f/g"), Bytes::new(), &over, t0(), None)),
            ErrorKind::InvalidPath
        );
        assert_eq!(
            kind(t.write(&p("f/g/h"), Bytes::new(), &opts, t0(), None)),
            ErrorKind::InvalidPath
        );
        let e = t
            .write(&p("f"), Bytes::new(), &opts, t0(), None)
            .unwrap_err();
        assert_eq!((e.kind(), e.path()), (ErrorKind::AlreadyExists, Some("f")));
        assert_eq!(
            t.read(&p("f")).unwrap(),
            "f",
            "a refused write changes nothing"
        );
        let r = t
            .write(&p("f"), Bytes::from("new"), &over, t0(), None)
            .unwrap();
        assert_eq!(r.size, 3);
        let info = t.file_info(&p("f")).unwrap();
        assert_eq!((info.etag, info.modified), (r.etag, r.last_modified));
    }

    #[test]
    fn reads_and_deletes_by_type() {
        let mut t = tree(&["f", "dir/x"]);
        assert_eq!(kind(t.read(&p("dir"))), ErrorKind::InvalidPath);
        assert_eq!(kind(t.read(&p("f/under"))), ErrorKind::NotFound);
        assert_eq!(kind(t.read(&p("nope"))), ErrorKind::NotFound);
        assert_eq!(kind(t.delete(&p("dir"), true)), ErrorKind::InvalidPath);
        assert_eq!(kind(t.delete(&p("f/under"), false)), ErrorKind::NotFound);
        t.delete(&p("f/under"), true).unwrap();
        assert_eq!(
            kind(t.delete_folder(&p("f"), true, true)),
            ErrorKind::InvalidPath
        );
        assert_eq!(
            kind(t.delete_folder(&p("dir"), false, false)),
            ErrorKind::DirectoryNotEmpty
        );
        assert_eq!(
            kind(t.delete_folder(&p("gone"), true, false)),
            ErrorKind::NotFound
        );
        t.delete_folder(&p("gone"), false, true).unwrap();
        t.delete_folder(&p("dir"), true, false).unwrap();
        assert!(!t.exists(&p("dir")) && !t.exists(&p("dir/x")) && t.is_file(&p("f")));
    }

    #[test]
    fn folder_info_aggregates_the_subtree() {
        let t = tree(&["a/b/c", "a/bb", "ab"]);
        let info = t.folder_info(&p("a")).unwrap();
        assert_eq!((info.file_count, info.total_size), (2, 5 + 4));
        assert_eq!(info.modified, Some(t0()));
        assert_eq!(t.folder_info(&RemotePath::ROOT).unwrap().file_count, 3);
        assert_eq!(
            Tree::default()
                .folder_info(&RemotePath::ROOT)
                .unwrap()
                .file_count,
            0
        );
        assert_eq!(kind(t.folder_info(&p("ab"))), ErrorKind::InvalidPath);
        assert_eq!(kind(t.folder_info(&p("zz"))), ErrorKind::NotFound);
    }

    #[test]
    fn transfers() {
        let mut t = Tree::default();
        let mut meta = Metadata::new();
        meta.insert("k", "v");
        let opts = WriteOptions::new()
            .metadata(meta.clone())
            .content_type("text/plain");
        t.write(&p("src"), Bytes::from("data"), &opts, t0(), None)
            .unwrap();
        t.write(&p("dir/x"), Bytes::new(), &WriteOptions::new(), t0(), None)
            .unwrap();
        // A missing source outranks every destination problem.
        let e = t.copy(&p("nope"), &p("dir"), false, t0()).unwrap_err();
        assert_eq!((e.kind(), e.path()), (ErrorKind::NotFound, Some("nope")));
        assert_eq!(
            kind(t.copy(&p("dir"), &p("y"), false, t0())),
            ErrorKind::InvalidPath
        );
        assert_eq!(
            kind(t.copy(&p("src"), &p("dir"), true, t0())),
            ErrorKind::InvalidPath
        );
        assert_eq!(
            kind(t.rename(&p("src"), &p("src/inside"), true)),
            ErrorKind::InvalidPath
        );
        assert_eq!(
            kind(t.copy(&p("src"), &p("dir/x"), false, t0())),
            ErrorKind::AlreadyExists
        );
        t.rename(&p("src"), &p("src"), false).unwrap();
        let later = t0() + Duration::from_secs(5);
        t.copy(&p("src"), &p("dir/x"), true, later).unwrap();
        let copied = t.file_info(&p("dir/x")).unwrap();
        assert_eq!((copied.size, copied.modified), (4, Some(later)));
        assert_eq!(copied.metadata.as_ref(), Some(&meta));
        assert_eq!(copied.content_type.as_deref(), Some("text/plain"));
        let before = t.file_info(&p("src")).unwrap();
        t.rename(&p("src"), &p("moved/here"), false).unwrap();
        assert!(!t.exists(&p("src")));
        let moved = t.file_info(&p("moved/here")).unwrap();
        assert_eq!((moved.etag, moved.metadata), (before.etag, before.metadata));
    }

    #[test]
    fn listings_page_and_skip_subtrees() {
        let t = tree(&[
            "d/a", "d/b/x", "d/b/y/z", "d/c", "d/e/f", "d0", "d-x/q", "top",
        ]);
        let files = ListMode::Files { recursive: false };
        let all = ListMode::Files { recursive: true };
        for limit in [1, 2, 1000] {
            assert_eq!(list(&t, "d", files, limit), ["d/a", "d/c"]);
            assert_eq!(
                list(&t, "d", all, limit),
                ["d/a", "d/b/x", "d/b/y/z", "d/c", "d/e/f"]
            );
            assert_eq!(list(&t, "d", ListMode::Folders, limit), ["d/b/", "d/e/"]);
            assert_eq!(
                list(&t, "d", ListMode::Children, limit),
                ["d/a", "d/b/", "d/c", "d/e/"]
            );
            // Byte order: "d-x" < "d/..." < "d0".
            assert_eq!(
                list(&t, "", ListMode::Children, limit),
                ["d-x/", "d/", "d0", "top"]
            );
        }
        assert!(list(&t, "top", all, 10).is_empty(), "a file lists as empty");
        assert!(list(&t, "nope", ListMode::Children, 10).is_empty());
    }
}
