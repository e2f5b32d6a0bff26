//! Lazy listings: a depth-first [`Walker`] over open folder descriptors.
//!
//! Nothing is collected up front: the walker holds one open folder per level it is inside
//! (a stack, not recursion) and reads entries as the caller pulls them, so a tree of a
//! million files costs the memory of its depth. The sync half iterates it directly; the
//! async half pulls it in batches on the filesystem thread pool.
//!
//! What a listing shows:
//! - regular files (with size and modification time) and folders;
//! - a symbolic link inside the root as what it points to (a file with the target's size,
//!   or a folder), but recursive listings never descend through a link — so a link cannot
//!   make a listing loop or count a subtree twice;
//! - never: links that lead out of the root or dangle, FIFOs, sockets and devices, the
//!   backend's own temp files (`.~tmp.*`), and names that cannot be keys (not UTF-8, or
//!   holding a backslash or a control character).
//!
//! Entries added or removed while a listing runs may or may not be seen; none is seen twice.

use std::ffi::CStr;
use std::sync::Arc;

use remote_store_core::{Entry, FolderEntry, RemotePath, Result};
use rustix::fd::BorrowedFd;
use rustix::fs::{AtFlags, Dir, FileType, Mode, OFlags};
use rustix::io::Errno;

use crate::error;
use crate::ops::info;
use crate::resolve::{Rel, child_key};
use crate::root::{self, DirAccess, Root};

/// What a listing yields.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Want {
    /// Files only; with `recursive`, the whole subtree.
    Files { recursive: bool },
    /// Immediate subfolders only.
    Folders,
    /// Immediate files and folders.
    Children,
}

impl Want {
    fn files(self) -> bool {
        !matches!(self, Want::Folders)
    }

    fn folders(self) -> bool {
        !matches!(self, Want::Files { .. })
    }

    fn descend(self) -> bool {
        matches!(self, Want::Files { recursive: true })
    }
}

/// A lazy, depth-first listing below one folder.
pub(crate) struct Walker {
    root: Arc<Root>,
    want: Want,
    /// The folder to list, until the first pull opens it.
    start: Option<RemotePath>,
    stack: Vec<Level>,
}

struct Level {
    dir: Dir,
    key: RemotePath,
}

impl std::fmt::Debug for Walker {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Walker")
            .field("want", &self.want)
            .field("depth", &self.stack.len())
            .finish_non_exhaustive()
    }
}

/// What to do with one directory entry.
enum Step {
    Yield(Entry),
    Enter(Level),
    Skip,
}

impl Walker {
    /// A listing of `key`; no I/O happens until the first item is pulled.
    pub(crate) fn new(root: Arc<Root>, key: RemotePath, want: Want) -> Self {
        Walker {
            root,
            want,
            start: Some(key),
            stack: Vec::new(),
        }
    }

    /// Opens the starting folder. A missing folder, a file, or a key the backend refuses
    /// lists as empty; a link out of the root is an error.
    fn open_start(&self, key: RemotePath) -> Result<Option<Level>> {
        let Ok(rel) = Rel::new(&key) else {
            return Ok(None);
        };
        if rel.is_root() {
            // A removed root still opens (this backend holds it open) and lists nothing.
            crate::ops::ping(&self.root)?;
        }
        match self.root.open_dir(rel, DirAccess::Read) {
            Ok(fd) => {
                let dir = Dir::new(fd).map_err(|e| error::map(e.into(), &key))?;
                Ok(Some(Level { dir, key }))
            }
            Err(e) if error::is(&e, Errno::NOENT) || error::is(&e, Errno::NOTDIR) => {
                // A removed root is an error, never an empty listing (ADR 0010).
                crate::ops::ping(&self.root)?;
                Ok(None)
            }
            Err(e) => Err(error::map(e, &key)),
        }
    }

    /// Decides what the entry `name` of the folder `dir` (key `parent`) contributes.
    fn step(
        &self,
        dir: BorrowedFd<'_>,
        parent: &RemotePath,
        name: &CStr,
        ftype: FileType,
    ) -> Result<Step> {
        let bytes = name.to_bytes();
        if bytes == b"." || bytes == b".." {
            return Ok(Step::Skip);
        }
        let Some(key) = child_key(parent, bytes) else {
            skipped_name(parent, bytes);
            return Ok(Step::Skip);
        };
        let mut ftype = ftype;
        let mut st = None;
        if ftype == FileType::Unknown || (ftype == FileType::RegularFile && self.want.files()) {
            match rustix::fs::statat(dir, name, AtFlags::SYMLINK_NOFOLLOW) {
                Ok(s) => {
                    ftype = root::file_type(&s);
                    st = Some(s);
                }
                // Removed since the folder was read.
                Err(Errno::NOENT) => return Ok(Step::Skip),
                Err(e) => return Err(error::map(e.into(), &key)),
            }
        }
        match ftype {
            FileType::RegularFile if self.want.files() => {
                let st = st.expect("stat taken for files");
                Ok(Step::Yield(Entry::File(info(key, &st))))
            }
            FileType::Directory if self.want.descend() => {
                let flags = OFlags::RDONLY | OFlags::DIRECTORY | OFlags::NOFOLLOW | OFlags::CLOEXEC;
                match rustix::fs::openat(dir, name, flags, Mode::empty()) {
                    Ok(fd) => {
                        let dir = Dir::new(fd).map_err(|e| error::map(e.into(), &key))?;
                        Ok(Step::Enter(Level { dir, key }))
                    }
                    // Replaced or removed since the folder was read.
                    Err(Errno::NOENT | Errno::NOTDIR | Errno::LOOP) => Ok(Step::Skip),
                    Err(e) => Err(error::map(e.into(), &key)),
                }
            }
            FileType::Directory if self.want.folders() => {
                Ok(Step::Yield(Entry::Folder(FolderEntry::new(key))))
            }
            FileType::Symlink => Ok(self.through_link(key)),
            FileType::RegularFile | FileType::Directory => Ok(Step::Skip),
            _ => {
                if self.want.files() {
                    skipped_entry(
                        &key,
                        "not a regular file or folder (a FIFO, socket or device)",
                    );
                }
                Ok(Step::Skip)
            }
        }
    }

    /// A link: shown as what it points to when that stays inside the root, else skipped.
    fn through_link(&self, key: RemotePath) -> Step {
        let Ok(rel) = Rel::new(&key) else {
            return Step::Skip;
        };
        let Ok(target) = self.root.stat(rel) else {
            if self.want.files() {
                skipped_entry(
                    &key,
                    "a link that is broken or points outside the store's root",
                );
            }
            return Step::Skip;
        };
        match root::file_type(&target) {
            FileType::RegularFile if self.want.files() => {
                Step::Yield(Entry::File(info(key, &target)))
            }
            FileType::Directory if self.want.folders() => {
                Step::Yield(Entry::Folder(FolderEntry::new(key)))
            }
            // A recursive listing never walks into a link (no loops, nothing counted
            // twice), so the files below this one are not in it: said, not left silently.
            FileType::Directory if self.want.descend() => {
                skipped_entry(
                    &key,
                    "a link to a folder, which recursive listings do not follow (the files \
                     below it are not listed)",
                );
                Step::Skip
            }
            FileType::RegularFile | FileType::Directory => Step::Skip,
            _ => {
                if self.want.files() {
                    skipped_entry(
                        &key,
                        "a link to something that is not a regular file or folder",
                    );
                }
                Step::Skip
            }
        }
    }
}

impl Iterator for Walker {
    type Item = Result<Entry>;

    fn next(&mut self) -> Option<Result<Entry>> {
        if let Some(start) = self.start.take() {
            match self.open_start(start) {
                Ok(Some(level)) => self.stack.push(level),
                Ok(None) => return None,
                Err(e) => return Some(Err(e)),
            }
        }
        loop {
            let level = self.stack.last_mut()?;
            let entry = match level.dir.read() {
                None => {
                    self.stack.pop();
                    continue;
                }
                Some(Ok(entry)) => entry,
                Some(Err(e)) => {
                    let key = level.key.clone();
                    self.stack.pop();
                    return Some(Err(error::map(e.into(), &key)));
                }
            };
            let level = self.stack.last().expect("just read from it");
            let step = match level.dir.fd() {
                Ok(fd) => self.step(fd, &level.key, entry.file_name(), entry.file_type()),
                Err(e) => Err(error::map(e.into(), &level.key)),
            };
            match step {
                Ok(Step::Yield(item)) => return Some(Ok(item)),
                Ok(Step::Enter(level)) => self.stack.push(level),
                Ok(Step::Skip) => {}
                Err(e) => return Some(Err(e)),
            }
        }
    }
}

/// Pulls up to `n` items (fewer at the end). Used by the async half to cross to the
/// filesystem thread pool once per batch.
#[cfg(feature = "async")]
pub(crate) fn batch(walker: &mut Walker, n: usize) -> Vec<Result<Entry>> {
    walker.by_ref().take(n).collect()
}

/// Keeps only the files of a listing.
pub(crate) fn only_files(item: Result<Entry>) -> Option<Result<remote_store_core::FileInfo>> {
    match item {
        Ok(Entry::File(f)) => Some(Ok(f)),
        Ok(Entry::Folder(_)) => None,
        Err(e) => Some(Err(e)),
    }
}

/// Keeps only the folders of a listing.
pub(crate) fn only_folders(item: Result<Entry>) -> Option<Result<FolderEntry>> {
    match item {
        Ok(Entry::Folder(f)) => Some(Ok(f)),
        Ok(Entry::File(_)) => None,
        Err(e) => Some(Err(e)),
    }
}

/// Says that the entry `key` is left out of a listing of files, and why: a tree copied
/// through the store would otherwise lose it without a word.
fn skipped_entry(key: &RemotePath, why: &str) {
    tracing::warn!(
        target: "remote_store",
        path = %key.as_str().escape_debug(),
        "a local entry is left out of the listing: {why}"
    );
}

/// Says that the entry `name` of the folder `parent` is left out of a listing because it
/// cannot be a key (not UTF-8, a `\\` or a control character): a tree copied through
/// the store would otherwise lose it without a word. Temp files (`.~tmp.`) are hidden by
/// design and not reported.
fn skipped_name(parent: &RemotePath, name: &[u8]) {
    let name = String::from_utf8_lossy(name);
    if crate::resolve::is_temp_name(&name) {
        return;
    }
    tracing::warn!(
        target: "remote_store",
        folder = %parent.as_str().escape_debug(),
        name = %name.escape_debug(),
        "a local file whose name cannot be a store key (not UTF-8, a backslash or a control \
         character) is left out of the listing"
    );
}
