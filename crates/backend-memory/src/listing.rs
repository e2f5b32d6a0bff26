//! [`Pages`]: a lazy listing over the shared tree, one page per lock.

use std::vec;

use remote_store_core::{Entry, FileInfo, FolderEntry, RemotePath, Result};

use crate::tree::{Cursor, ListMode, PAGE_SIZE, SharedTree};

/// A listing that takes the read lock once per page of [`PAGE_SIZE`] items and releases it
/// before yielding, so a long listing never blocks writers for long and memory stays
/// bounded by one page. Both halves use it: the sync one as an `Iterator`, the async one
/// wrapped in a `Stream` (the lock is taken inside `poll_next` and never held across an
/// `.await`).
pub(crate) struct Pages {
    tree: SharedTree,
    cursor: Cursor,
    mode: ListMode,
    page: vec::IntoIter<Result<Entry>>,
    more: bool,
}

impl Pages {
    /// The listing of `folder` in `mode`; nothing is read until the first `next`.
    pub(crate) fn new(tree: SharedTree, folder: &RemotePath, mode: ListMode) -> Self {
        Pages {
            tree,
            cursor: Cursor::start(folder),
            mode,
            page: Vec::new().into_iter(),
            more: true,
        }
    }
}

impl Pages {
    /// Only the files (what a `Files` listing yields).
    pub(crate) fn files(self) -> impl Iterator<Item = Result<FileInfo>> + Send + 'static {
        self.filter_map(|e| match e {
            Ok(Entry::File(f)) => Some(Ok(f)),
            Ok(Entry::Folder(_)) => None,
            Err(e) => Some(Err(e)),
        })
    }

    /// Only the folders (what a `Folders` listing yields).
    pub(crate) fn folders(self) -> impl Iterator<Item = Result<FolderEntry>> + Send + 'static {
        self.filter_map(|e| match e {
            Ok(Entry::Folder(f)) => Some(Ok(f)),
            Ok(Entry::File(_)) => None,
            Err(e) => Some(Err(e)),
        })
    }
}

impl Iterator for Pages {
    type Item = Result<Entry>;

    fn next(&mut self) -> Option<Result<Entry>> {
        loop {
            if let Some(item) = self.page.next() {
                return Some(item);
            }
            if !self.more {
                return None;
            }
            let mut out = Vec::new();
            self.more = self
                .tree
                .read()
                .page(&mut self.cursor, self.mode, PAGE_SIZE, &mut out);
            self.page = out.into_iter();
        }
    }
}
