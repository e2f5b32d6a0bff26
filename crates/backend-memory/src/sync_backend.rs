//! [`MemoryBackend`]: the blocking half.

use std::fmt;
use std::io::Cursor;
use std::ops::Range;
use std::time::SystemTime;

use bytes::Bytes;
use remote_store_core::{
    CapabilitySet, Error, FileInfo, FolderInfo, RemotePath, Result, WriteOptions, WriteResult,
};
use remote_store_core::{
    CopyOptions, DeleteFolderOptions, DeleteOptions, ListOptions, MoveOptions, ReadOptions,
    WriteMode,
};
use remote_store_sync::{Backend, Content, EntryIter, FileIter, FolderIter, Reader, SeekReader};

use crate::identity::{self, CAPABILITIES, NAME};
use crate::listing::Pages;
use crate::tree::{ListMode, SharedTree, slice_range};

/// An in-memory storage system behind a blocking [`Backend`]: a hierarchical namespace
/// whose folders exist while a file is under them (see the crate docs).
///
/// Every operation is one step under a `parking_lot` `RwLock`, so writes (also with
/// `overwrite = false`), moves and copies are atomic. Reads hand out cheap clones of the
/// stored [`Bytes`]; listings take the lock once per page. [`Clone`] gives another handle
/// on the *same* contents; [`MemoryBackend::new`] makes an empty, independent one.
///
/// ```
/// use remote_store_memory::MemoryBackend;
/// use remote_store_sync::Store;
///
/// # fn main() -> remote_store_core::Result<()> {
/// let store = Store::new(MemoryBackend::new(), "")?;
/// store.write("notes/today.txt", "hello")?;
/// assert!(store.is_folder("notes")?);
/// assert_eq!(store.read_text("notes/today.txt")?, "hello");
/// assert_eq!(store.native_path("notes/today.txt")?, "memory:///notes/today.txt");
/// # Ok(()) }
/// ```
#[derive(Clone, Default)]
pub struct MemoryBackend {
    tree: SharedTree,
}

impl MemoryBackend {
    /// An empty backend.
    pub fn new() -> Self {
        Self::default()
    }

    #[cfg(feature = "async")]
    pub(crate) fn shared_tree(&self) -> &SharedTree {
        &self.tree
    }

    /// Stores `content` under the lock once it is fully in memory. A streamed source is
    /// checked against the target first (so a refused write does not consume it) and read
    /// outside the lock; if it fails, nothing is created or replaced.
    fn put(
        &self,
        path: &RemotePath,
        content: Content<'_>,
        opts: &WriteOptions,
    ) -> Result<WriteResult> {
        if let Content::Reader(_) = content {
            self.tree.read().check_write(path, opts.overwrite)?;
        }
        let data = content
            .into_bytes()
            .map_err(|e| Error::from_content_io(e).or_path(|| path.as_str().to_owned()))?;
        // Hashed before taking the lock (a no-op unless the write asked for a checksum).
        let digest = crate::identity::digest(opts, &data);
        self.tree
            .write()
            .write(path, data, opts, SystemTime::now(), digest)
    }

    fn entries(&self, path: &RemotePath, mode: ListMode) -> Pages {
        Pages::new(SharedTree::clone(&self.tree), path, mode)
    }
}

impl fmt::Debug for MemoryBackend {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        identity::debug(&self.tree, "MemoryBackend", f)
    }
}

impl Backend for MemoryBackend {
    fn name(&self) -> &'static str {
        NAME
    }

    fn capabilities(&self) -> CapabilitySet {
        CAPABILITIES
    }

    fn exists(&self, path: &RemotePath) -> Result<bool> {
        Ok(self.tree.read().exists(path))
    }

    fn is_file(&self, path: &RemotePath) -> Result<bool> {
        Ok(self.tree.read().is_file(path))
    }

    fn is_folder(&self, path: &RemotePath) -> Result<bool> {
        Ok(self.tree.read().is_folder(path))
    }

    fn read(&self, path: &RemotePath) -> Result<Reader> {
        Ok(Box::new(Cursor::new(self.tree.read().read(path)?)))
    }

    fn read_bytes(&self, path: &RemotePath) -> Result<Bytes> {
        self.tree.read().read(path)
    }

    fn read_range(&self, path: &RemotePath, range: Range<u64>) -> Result<Reader> {
        let data = self.tree.read().read(path)?;
        Ok(Box::new(Cursor::new(slice_range(&data, &range))))
    }

    fn read_with(&self, path: &RemotePath, opts: &ReadOptions) -> Result<Reader> {
        let data = self.tree.read().read_checked(path, opts)?;
        Ok(Box::new(Cursor::new(match &opts.range {
            Some(range) => slice_range(&data, range),
            None => data,
        })))
    }

    fn read_versioned(
        &self,
        path: &RemotePath,
        range: Option<Range<u64>>,
    ) -> Result<(Reader, Option<remote_store_core::ObjectVersion>)> {
        let (data, version) = self.tree.read().read_versioned(path)?;
        let data = match range {
            Some(range) => slice_range(&data, &range),
            None => data,
        };
        Ok((Box::new(Cursor::new(data)), Some(version)))
    }

    fn read_seekable(&self, path: &RemotePath) -> Result<SeekReader> {
        Ok(Box::new(Cursor::new(self.tree.read().read(path)?)))
    }

    fn write(
        &self,
        path: &RemotePath,
        content: Content<'_>,
        mode: WriteMode,
        opts: &WriteOptions,
    ) -> Result<WriteResult> {
        // Every write is all-or-nothing under the lock, so both modes are the same.
        let _ = mode;
        self.put(path, content, opts)
    }

    fn delete(&self, path: &RemotePath, opts: &DeleteOptions) -> Result<()> {
        let missing_ok = opts.missing_ok;
        self.tree.write().delete(path, missing_ok)
    }

    fn delete_folder(&self, path: &RemotePath, opts: &DeleteFolderOptions) -> Result<()> {
        let DeleteFolderOptions {
            recursive,
            missing_ok,
            ..
        } = *opts;
        self.tree.write().delete_folder(path, recursive, missing_ok)
    }

    fn list_files(&self, path: &RemotePath, opts: &ListOptions) -> FileIter {
        let recursive = opts.is_recursive();
        Box::new(self.entries(path, ListMode::Files { recursive }).files())
    }

    fn list_folders(&self, path: &RemotePath) -> FolderIter {
        Box::new(self.entries(path, ListMode::Folders).folders())
    }

    fn iter_children(&self, path: &RemotePath) -> EntryIter {
        Box::new(self.entries(path, ListMode::Children))
    }

    fn get_file_info(&self, path: &RemotePath) -> Result<FileInfo> {
        self.tree.read().file_info(path)
    }

    fn get_folder_info(&self, path: &RemotePath) -> Result<FolderInfo> {
        self.tree.read().folder_info(path)
    }

    fn copy_file(&self, src: &RemotePath, dst: &RemotePath, opts: &CopyOptions) -> Result<()> {
        let overwrite = opts.overwrite;
        self.tree
            .write()
            .copy(src, dst, overwrite, SystemTime::now())
    }

    fn move_file(&self, src: &RemotePath, dst: &RemotePath, opts: &MoveOptions) -> Result<()> {
        let overwrite = opts.overwrite;
        self.tree.write().rename(src, dst, overwrite)
    }

    fn native_path(&self, key: &RemotePath) -> Result<String> {
        Ok(identity::native_path(key))
    }

    fn to_key(&self, native: &str) -> Result<RemotePath> {
        identity::to_key(native)
    }

    /// Nothing to release: the backend stays usable and keeps its contents (memory is
    /// freed when the last handle is dropped).
    fn close(&self) -> Result<()> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use std::io::{self, Read, Seek, SeekFrom};
    use std::sync::Arc;
    use std::sync::atomic::{AtomicBool, Ordering};

    use remote_store_core::ErrorKind;
    use remote_store_sync::Store;

    use super::*;

    #[test]
    fn read_versioned_names_the_version_get_file_info_reports() {
        let b = MemoryBackend::new();
        let s = Store::new(b.clone(), "").unwrap();
        s.write("v.bin", b"0123456789".to_vec()).unwrap();
        let path = RemotePath::file("v.bin").unwrap();
        let (mut body, version) = b.read_versioned(&path, Some(2..5)).unwrap();
        let mut got = Vec::new();
        body.read_to_end(&mut got).unwrap();
        assert_eq!(got, b"234");
        let info = b.get_file_info(&path).unwrap();
        assert_eq!(version, remote_store_core::ObjectVersion::of(&info));
        assert_eq!(version.unwrap().size, 10);
        let missing = RemotePath::file("none").unwrap();
        let err = b.read_versioned(&missing, None).map(|_| ()).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::NotFound);
    }

    const _: fn() = || {
        fn send_sync<T: Send + Sync>() {}
        send_sync::<MemoryBackend>();
    };

    fn store() -> Store {
        Store::new(MemoryBackend::new(), "").unwrap()
    }

    /// Yields `good` bytes, then fails.
    fn failing(good: &'static [u8]) -> Content<'static> {
        Content::chunks([
            Ok(Bytes::from_static(good)),
            Err(io::Error::other("source broke")),
        ])
    }

    /// A caller's content that fails as a cut connection would (`UnexpectedEof`) is the
    /// caller's input failing: not `BackendUnavailable`, so not retryable and no unknown
    /// outcome (nothing was stored).
    #[test]
    fn a_failing_source_is_not_the_backend_failing() {
        let s = store();
        for kind in [io::ErrorKind::UnexpectedEof, io::ErrorKind::ConnectionReset] {
            let content = Content::chunks([Err(io::Error::from(kind))]);
            let e = s.write("f", content).unwrap_err();
            assert_eq!(e.kind(), ErrorKind::Other, "{e}");
            assert!(!e.is_retryable() && !e.is_outcome_unknown(), "{e:?}");
            assert!(e.to_string().contains("content"), "{e}");
            assert_eq!(e.path(), Some("f"), "{e:?}");
        }
        assert!(!s.exists("f").unwrap());
    }

    #[test]
    fn a_failing_source_changes_nothing() {
        let s = store();
        s.write("old.txt", "old").unwrap();
        for atomic in [false, true] {
            let write = |p: &str| {
                let opts = WriteOptions::overwriting();
                if atomic {
                    s.write_atomic_with(p, failing(b"partial"), opts)
                } else {
                    s.write_with(p, failing(b"partial"), opts)
                }
            };
            assert!(write("old.txt").is_err());
            assert_eq!(s.read_text("old.txt").unwrap(), "old");
            assert!(write("dir/new.txt").is_err());
            assert!(!s.exists("dir/new.txt").unwrap() && !s.exists("dir").unwrap());
        }
    }

    #[test]
    fn a_refused_streamed_write_does_not_consume_its_source() {
        struct Tripwire(Arc<AtomicBool>);
        impl Read for Tripwire {
            fn read(&mut self, _: &mut [u8]) -> io::Result<usize> {
                self.0.store(true, Ordering::SeqCst);
                Ok(0)
            }
        }
        let s = store();
        s.write("f", "x").unwrap();
        let touched = Arc::new(AtomicBool::new(false));
        let err = s
            .write("f", Content::reader(Tripwire(Arc::clone(&touched))))
            .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::AlreadyExists);
        assert!(!touched.load(Ordering::SeqCst));
    }

    #[test]
    fn racing_creators_exactly_one_wins() {
        let s = store();
        let outcomes: Vec<_> = std::thread::scope(|scope| {
            let handles: Vec<_> = (0..16)
                .map(|i| {
                    let s = s.clone();
                    scope.spawn(move || s.write("race", format!("writer {i}")))
                })
                .collect();
            handles.into_iter().map(|h| h.join().unwrap()).collect()
        });
        let winners = outcomes.iter().filter(|r| r.is_ok()).count();
        assert_eq!(winners, 1);
        for r in &outcomes {
            if let Err(e) = r {
                assert_eq!(e.kind(), ErrorKind::AlreadyExists);
            }
        }
    }

    #[test]
    fn native_reads_slice_and_seek() {
        let s = store();
        s.write("f", "0123456789").unwrap();
        let mut text = String::new();
        s.read_range("f", 3..100)
            .unwrap()
            .read_to_string(&mut text)
            .unwrap();
        assert_eq!(text, "3456789");
        let mut empty = Vec::new();
        s.read_range("f", 50..60)
            .unwrap()
            .read_to_end(&mut empty)
            .unwrap();
        assert!(empty.is_empty());
        let mut r = s.read_seekable("f").unwrap();
        r.seek(SeekFrom::End(-2)).unwrap();
        let mut tail = String::new();
        r.read_to_string(&mut tail).unwrap();
        assert_eq!(tail, "89");
    }

    #[test]
    fn debug_is_short_and_hides_contents() {
        let b = MemoryBackend::new();
        let s = Store::new(b.clone(), "").unwrap();
        s.write("secret.txt", "hunter2").unwrap();
        let shown = format!("{b:?}");
        assert_eq!(shown, "MemoryBackend { files: 1, .. }");
    }

    #[test]
    fn clones_share_and_close_keeps_contents() {
        let b = MemoryBackend::new();
        let s = Store::new(b.clone(), "").unwrap();
        s.write("a/b", "x").unwrap();
        s.close().unwrap();
        assert_eq!(s.read_text("a/b").unwrap(), "x");
        assert!(b.is_file(&RemotePath::new("a/b").unwrap()).unwrap());
        assert!(
            !MemoryBackend::new()
                .is_file(&RemotePath::new("a/b").unwrap())
                .unwrap()
        );
    }
}
