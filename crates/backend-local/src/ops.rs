//! The blocking operations both halves share (everything but writes and listings): probes,
//! opening for reads, infos, deletes, copies and moves. The sync half calls them directly;
//! the async half runs each on its filesystem thread pool.
//!
//! Type rules: a symbolic link inside the root counts as what it points to for probes,
//! reads and type checks; namespace operations (delete, move) act on the link itself and
//! never on its target. Any path whose resolution would leave the root is refused with
//! `PermissionDenied`.

use std::fs::File;
use std::io;
use std::sync::Arc;

use remote_store_core::{
    Capability, CapabilitySet, Error, FileInfo, RemotePath, Result, WriteOptions,
};
use rustix::fs::{AtFlags, FileType, OFlags, Stat};
use rustix::io::Errno;

use crate::atomic::promote_no_replace;
use crate::error::{self, already_exists, invalid, not_found};
use crate::resolve::Rel;
use crate::root::{self, DirAccess, Parent, Root};
use crate::write;

/// What both halves declare: everything except `user_metadata` (a local file has no place
/// for it). `glob` is served by the portable prefix-list-and-match default.
pub(crate) const CAPABILITIES: CapabilitySet = CapabilitySet::EMPTY
    .with(Capability::Read)
    .with(Capability::Write)
    .with(Capability::Delete)
    .with(Capability::List)
    .with(Capability::Move)
    .with(Capability::Copy)
    .with(Capability::AtomicWrite)
    .with(Capability::AtomicMove)
    .with(Capability::Metadata)
    .with(Capability::Glob)
    .with(Capability::SeekableRead)
    .with(Capability::RangeRead)
    .with(Capability::WriteResultNative)
    .with(Capability::ConditionalCreate)
    .with(Capability::FolderFileExclusion)
    .with(Capability::ConditionalCopy);

/// What a path is, for the type checks of every operation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    Missing,
    File,
    Folder,
    /// Something else (a FIFO, a socket, a device): never part of the store.
    Special,
}

fn kind_of(st: &Stat) -> Kind {
    match root::file_type(st) {
        FileType::RegularFile => Kind::File,
        FileType::Directory => Kind::Folder,
        _ => Kind::Special,
    }
}

/// What `key` is (following links inside the root). A path under a file is `Missing`.
///
/// # Errors
/// `PermissionDenied` for a link out of the root, `InvalidPath` for a key the backend
/// refuses, or the I/O failure.
pub(crate) fn kind(root: &Root, key: &RemotePath) -> Result<Kind> {
    let rel = Rel::new(key)?;
    match root.stat(rel) {
        Ok(st) => Ok(kind_of(&st)),
        Err(e) if error::is(&e, Errno::NOENT) || error::is(&e, Errno::NOTDIR) => {
            // Everything is missing once the root itself was removed: that is said as
            // such, not answered as an empty store (ADR 0010).
            ping(root)?;
            Ok(Kind::Missing)
        }
        Err(e) => Err(error::map(e, key)),
    }
}

/// Opens the file `key` for reading; also returns its size.
///
/// # Errors
/// `NotFound` (also under a file), `InvalidPath` for a folder or a special file,
/// `PermissionDenied`.
pub(crate) fn open_read(root: &Root, key: &RemotePath) -> Result<(File, u64)> {
    let rel = Rel::new(key)?;
    // O_NONBLOCK: opening a FIFO planted in the tree must not hang; it changes nothing
    // for regular files. O_NOCTTY: a terminal device planted there (refused below) never
    // becomes this process's controlling terminal.
    let flags = OFlags::RDONLY | OFlags::NONBLOCK | OFlags::NOCTTY;
    let fd = match root.open_at(rel, flags, 0) {
        Ok(fd) => fd,
        Err(e) if error::is(&e, Errno::NOENT) || error::is(&e, Errno::NOTDIR) => {
            ping(root)?;
            return Err(not_found(key));
        }
        Err(e) => return Err(error::map(e, key)),
    };
    let st = rustix::fs::fstat(&fd).map_err(|e| error::map(e.into(), key))?;
    match kind_of(&st) {
        Kind::File => Ok((File::from(fd), root::size(&st))),
        Kind::Folder => Err(invalid(key, "is a folder")),
        _ => Err(invalid(key, "not a regular file")),
    }
}

/// Reads the whole file `key`.
///
/// # Errors
/// As [`open_read`].
pub(crate) fn read_all(root: &Root, key: &RemotePath) -> Result<Vec<u8>> {
    let (mut file, size) = open_read(root, key)?;
    let mut buf = Vec::new();
    read_sized(&mut file, &mut buf, size, key)?;
    read_rest(&mut file, &mut buf, u64::MAX, key)?;
    Ok(buf)
}

/// Reads the first `size` bytes of `file` (opened by [`open_read`], which reported
/// `size`) into `buf`: exactly that much, so no `statx` and `lseek` as
/// `File::read_to_end` would do first. Follow with [`read_rest`] for a file that grew.
///
/// # Errors
/// An I/O error, mapped for `key`.
pub(crate) fn read_sized(
    file: &mut File,
    buf: &mut Vec<u8>,
    size: u64,
    key: &RemotePath,
) -> Result<()> {
    use std::io::Read;
    buf.reserve_exact(usize::try_from(size).unwrap_or(0));
    file.take(size)
        .read_to_end(buf)
        .map(drop)
        .map_err(|e| error::map(e, key))
}

/// Reads what is left of `file` after [`read_sized`] (a file that grew since its `fstat`)
/// into `buf`, in small probes. `true` at the end of the file; `false` as soon as `buf`
/// holds more than `cap` bytes, and the caller goes on elsewhere by calling it again with
/// the same `file` and `buf`.
///
/// # Errors
/// An I/O error, mapped for `key`.
pub(crate) fn read_rest(
    file: &mut File,
    buf: &mut Vec<u8>,
    cap: u64,
    key: &RemotePath,
) -> Result<bool> {
    use std::io::Read;
    let mut probe = [0u8; 512];
    loop {
        if buf.len() as u64 > cap {
            return Ok(false);
        }
        match file.read(&mut probe) {
            Ok(0) => return Ok(true),
            Ok(n) => buf.extend_from_slice(&probe[..n]),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(error::map(e, key)),
        }
    }
}

/// Facts about the file `key`.
///
/// # Errors
/// `NotFound`, `InvalidPath` for a folder, `PermissionDenied`.
pub(crate) fn file_info(root: &Root, key: &RemotePath) -> Result<FileInfo> {
    let rel = Rel::new(key)?;
    let st = match root.stat(rel) {
        Ok(st) => st,
        Err(e) if error::is(&e, Errno::NOENT) || error::is(&e, Errno::NOTDIR) => {
            return Err(not_found(key));
        }
        Err(e) => return Err(error::map(e, key)),
    };
    match kind_of(&st) {
        Kind::File => Ok(info(key.clone(), &st)),
        Kind::Folder => Err(invalid(key, "is a folder")),
        _ => Err(invalid(key, "not a regular file")),
    }
}

/// A [`FileInfo`] from a status, with the etag of [`etag`].
pub(crate) fn info(key: RemotePath, st: &Stat) -> FileInfo {
    FileInfo::new(key, root::size(st), Some(root::modified(st))).with_etag(Some(etag(st)))
}

/// The etag of a file: its inode, modification time (in nanoseconds) and size, in hex
/// (`"<ino>-<mtime_ns>-<size>"`). Every write changes it: an atomic write renames a new
/// inode into place, and an in-place write changes the time (at the file system's time
/// resolution) and usually the size. It is not a content hash: a copy of the same bytes
/// has another etag.
pub(crate) fn etag(st: &Stat) -> String {
    let nanos = root::modified(st)
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    #[allow(clippy::useless_conversion)]
    let ino = u64::from(st.st_ino);
    format!("{ino:x}-{nanos:x}-{:x}", root::size(st))
}

/// An existing entry: its resolved parent, what it is (a link is judged by its target; a
/// link that leads nowhere counts as a file), and whether it is a link (namespace operations act on
/// the link itself).
struct Found {
    parent: Parent,
    kind: Kind,
    link: bool,
}

/// The entry at `key`, or `None` when it, or its parent, does not exist (or the parent is
/// a file).
fn entry(root: &Root, rel: Rel<'_>, key: &RemotePath) -> Result<Option<Found>> {
    let parent = match root.parent(rel, DirAccess::Path, false) {
        Ok(p) => p,
        Err(e) if error::is(&e, Errno::NOENT) || error::is(&e, Errno::NOTDIR) => return Ok(None),
        Err(e) => return Err(error::map(e, key)),
    };
    let st = match root.lstat_in(&parent, rel.name()) {
        Ok(st) => st,
        Err(e) if error::is(&e, Errno::NOENT) => return Ok(None),
        Err(e) => return Err(error::map(e, key)),
    };
    let link = root::file_type(&st) == FileType::Symlink;
    let kind = if link {
        match root.stat(rel) {
            Ok(target) => kind_of(&target),
            // A link that leads nowhere counts as a file: the link itself can still be
            // deleted or renamed.
            Err(e) if error::leads_nowhere(&e) => Kind::File,
            Err(e) => return Err(error::map(e, key)),
        }
    } else {
        kind_of(&st)
    };
    Ok(Some(Found { parent, kind, link }))
}

/// Deletes the file `key` (a link is removed, never its target).
///
/// # Errors
/// `NotFound` unless `missing_ok`; `InvalidPath` for a folder even with `missing_ok`;
/// `PermissionDenied` for a link out of the root.
pub(crate) fn delete(root: &Root, key: &RemotePath, missing_ok: bool) -> Result<()> {
    let rel = Rel::new(key)?;
    let missing = || {
        if missing_ok {
            Ok(())
        } else {
            Err(not_found(key))
        }
    };
    let Some(Found { parent, kind, .. }) = entry(root, rel, key)? else {
        return missing();
    };
    if kind == Kind::Folder {
        return Err(invalid(key, "is a folder"));
    }
    match rustix::fs::unlinkat(root.fd(&parent), rel.name(), AtFlags::empty()) {
        Ok(()) => Ok(()),
        Err(Errno::NOENT) => missing(),
        Err(Errno::ISDIR) => Err(invalid(key, "is a folder")),
        Err(e) => Err(error::map(e.into(), key)),
    }
}

/// Deletes the folder `key`; `recursive` removes its subtree first (never through a link:
/// a link inside it is removed as a link).
///
/// # Errors
/// `NotFound` unless `missing_ok`; `InvalidPath` for a file; `DirectoryNotEmpty` when not
/// `recursive` and the folder has entries; `PermissionDenied`.
pub(crate) fn delete_folder(
    root: &Root,
    key: &RemotePath,
    recursive: bool,
    missing_ok: bool,
) -> Result<()> {
    let rel = Rel::new(key)?;
    if rel.is_root() {
        return Err(invalid(key, "refusing to delete the backend root"));
    }
    let missing = || {
        if missing_ok {
            Ok(())
        } else {
            Err(not_found(key))
        }
    };
    let Some(Found { parent, kind, link }) = entry(root, rel, key)? else {
        return missing();
    };
    match kind {
        Kind::Missing => return missing(),
        Kind::File | Kind::Special => return Err(invalid(key, "is a file")),
        Kind::Folder => {}
    }
    let dir = root.fd(&parent);
    if link {
        // A link to a folder inside the root: remove the link, keep the folder it names;
        // not recursive, only as a folder would go: when what it lists is empty (else
        // the files listed under it would vanish from the store by a non-recursive call).
        if !recursive && !folder_is_empty(root, rel).map_err(|e| error::map(e, key))? {
            return Err(Error::directory_not_empty(key.as_str()));
        }
        return rustix::fs::unlinkat(dir, rel.name(), AtFlags::empty())
            .map_err(|e| error::map(e.into(), key));
    }
    if recursive {
        remove_tree(dir, rel.name()).map_err(|e| error::map(e, key))?;
    }
    match rustix::fs::unlinkat(dir, rel.name(), AtFlags::REMOVEDIR) {
        Ok(()) => Ok(()),
        Err(Errno::NOENT) => missing(),
        Err(Errno::NOTEMPTY | Errno::EXIST) => Err(Error::directory_not_empty(key.as_str())),
        Err(e) => Err(error::map(e.into(), key)),
    }
}

/// Whether the folder `rel` (following contained links) has no entry.
fn folder_is_empty(root: &Root, rel: Rel<'_>) -> io::Result<bool> {
    let dir = root.open_dir(rel, DirAccess::Read)?;
    Ok(!lists_entry(dir, |name| name != b"." && name != b"..")?)
}

/// Whether the folder open at `dir` lists an entry whose name satisfies `wanted`; stops at
/// the first.
fn lists_entry(
    dir: rustix::fd::OwnedFd,
    mut wanted: impl FnMut(&[u8]) -> bool,
) -> io::Result<bool> {
    let mut dir = rustix::fs::Dir::new(dir)?;
    while let Some(entry) = dir.read() {
        if wanted(entry?.file_name().to_bytes()) {
            return Ok(true);
        }
    }
    Ok(false)
}

/// Removes everything inside the folder `name` of `dir`, depth first, without recursion
/// and without following any link.
fn remove_tree(dir: rustix::fd::BorrowedFd<'_>, name: &str) -> io::Result<()> {
    use rustix::fs::Dir;
    let open = |at: rustix::fd::BorrowedFd<'_>, name: &std::ffi::CStr| {
        let flags = OFlags::RDONLY | OFlags::DIRECTORY | OFlags::NOFOLLOW | OFlags::CLOEXEC;
        rustix::fs::openat(at, name, flags, rustix::fs::Mode::empty())
    };
    let first = std::ffi::CString::new(name).map_err(|_| io::Error::from(Errno::INVAL))?;
    let fd = open(dir, &first)?;
    // Each level: the folder being emptied, and its name in the level above.
    let mut stack: Vec<(Dir, std::ffi::CString)> = vec![(Dir::new(fd)?, first)];
    while let Some((level, _)) = stack.last_mut() {
        let Some(entry) = level.read() else {
            let (done, done_name) = stack.pop().expect("non-empty");
            drop(done);
            if let Some((above, _)) = stack.last() {
                match rustix::fs::unlinkat(above.fd()?, done_name.as_c_str(), AtFlags::REMOVEDIR) {
                    Ok(()) | Err(Errno::NOENT) => {}
                    Err(e) => return Err(e.into()),
                }
            }
            continue;
        };
        let entry = entry?;
        let child = entry.file_name();
        if child.to_bytes() == b"." || child.to_bytes() == b".." {
            continue;
        }
        let here = level.fd()?;
        let mut ftype = entry.file_type();
        if ftype == FileType::Unknown {
            ftype = match rustix::fs::statat(here, child, AtFlags::SYMLINK_NOFOLLOW) {
                Ok(st) => root::file_type(&st),
                Err(Errno::NOENT) => continue,
                Err(e) => return Err(e.into()),
            };
        }
        if ftype == FileType::Directory {
            match open(here, child) {
                Ok(fd) => {
                    let name = child.to_owned();
                    stack.push((Dir::new(fd)?, name));
                }
                Err(Errno::NOENT) => {}
                Err(e) => return Err(e.into()),
            }
        } else {
            match rustix::fs::unlinkat(here, child, AtFlags::empty()) {
                Ok(()) | Err(Errno::NOENT) => {}
                Err(e) => return Err(e.into()),
            }
        }
    }
    Ok(())
}

/// The checks of a transfer's source: it must be a file (a link inside the root is moved
/// as a link). Returns its resolved parent.
fn transfer_source(root: &Root, rel: Rel<'_>, key: &RemotePath) -> Result<Parent> {
    let Some(found) = entry(root, rel, key)? else {
        return Err(not_found(key));
    };
    match found.kind {
        Kind::Missing => Err(not_found(key)),
        Kind::Folder => Err(invalid(key, "the source is a folder")),
        Kind::Special => Err(invalid(key, "the source is not a regular file")),
        Kind::File => Ok(found.parent),
    }
}

/// The checks of a transfer's destination: creates its parent folders, refuses a folder at
/// it or a file above it, and an existing file without `overwrite`. Returns its parent,
/// opened for reading (so it can be fsynced).
fn transfer_destination(
    root: &Root,
    rel: Rel<'_>,
    key: &RemotePath,
    overwrite: bool,
) -> Result<Parent> {
    let parent = match root.parent(rel, DirAccess::Read, true) {
        Ok(p) => p,
        Err(e) if error::is(&e, Errno::NOTDIR) => {
            return Err(invalid(key, "a parent of this path is a file"));
        }
        Err(e) => return Err(error::map(e, key)),
    };
    match entry(root, rel, key)?.map(|found| found.kind) {
        Some(Kind::Folder) => Err(invalid(key, "the destination is a folder")),
        Some(Kind::File | Kind::Special) if !overwrite => Err(already_exists(key)),
        // A FIFO, socket or device is not a file of the store: never replaced.
        Some(Kind::Special) => Err(invalid(key, "not a regular file")),
        _ => Ok(parent),
    }
}

/// Copies the file `src` to `dst` through a temp file next to `dst`, promoted atomically
/// (so `overwrite = false` is race-free and readers never see a partial copy).
///
/// # Errors
/// `NotFound(src)`; `InvalidPath` for a folder at either end or a file above `dst`;
/// `AlreadyExists(dst)` without `overwrite`; `PermissionDenied`.
pub(crate) fn copy(
    root: &Arc<Root>,
    src: &RemotePath,
    dst: &RemotePath,
    overwrite: bool,
) -> Result<()> {
    let (mut file, _) = open_read(root, src)?;
    if src == dst {
        return Ok(());
    }
    let mut pending = write::begin(root, dst, overwrite, true)?;
    pending.copy_file(&mut file, src)?;
    pending.finish(&WriteOptions::new()).map(drop)
}

/// Moves the file `src` to `dst` with one `rename` (atomic; no-replace without
/// `overwrite`). Across filesystems (`EXDEV`, e.g. a mount point inside the root) it falls
/// back to an atomic copy then deleting the source, and reports a failed delete as a
/// partial failure.
///
/// # Errors
/// As [`copy`], plus the partial failure.
pub(crate) fn rename(
    root: &Arc<Root>,
    src: &RemotePath,
    dst: &RemotePath,
    overwrite: bool,
) -> Result<()> {
    let (src_rel, dst_rel) = (Rel::new(src)?, Rel::new(dst)?);
    let src_parent = transfer_source(root, src_rel, src)?;
    if src == dst {
        return Ok(());
    }
    let dst_parent = transfer_destination(root, dst_rel, dst, overwrite)?;
    let (from, to) = (root.fd(&src_parent), root.fd(&dst_parent));
    // A link moved onto the very file it leads to: renaming it would put the link in the
    // file's place (a link to itself) and lose the content. The destination already
    // holds what the source reads as, so the move is removing the source's name.
    if overwrite && leads_to(root, &src_parent, src_rel, &dst_parent, dst_rel.name()) {
        // (Not fsynced: after a crash the link may be back, leading to the moved file.)
        return rustix::fs::unlinkat(from, src_rel.name(), AtFlags::empty())
            .map_err(|e| error::map(e.into(), src));
    }
    let outcome = if overwrite {
        rustix::fs::renameat(from, src_rel.name(), to, dst_rel.name()).map_err(io::Error::from)
    } else {
        promote_no_replace(
            root,
            &src_parent,
            src_rel.name(),
            &dst_parent,
            dst_rel.name(),
        )
    };
    match outcome {
        // `rename(2)` does nothing when both names are links to one file: the source
        // name is removed here, as a move must (the destination already holds the data).
        // Only when they are two entries: on a case- or normalisation-insensitive file
        // system (`a.txt` to `A.txt`) both names find the one entry, which removing the
        // source name would delete.
        Ok(()) if overwrite => {
            if let (Ok(a), Ok(b)) = (
                root.lstat_in(&src_parent, src_rel.name()),
                root.lstat_in(&dst_parent, dst_rel.name()),
            ) && root::identity(&a) == root::identity(&b)
                && a.st_nlink >= 2
                && has_exact_entry(root, &src_parent, src_rel.name())
                && has_exact_entry(root, &dst_parent, dst_rel.name())
            {
                rustix::fs::unlinkat(from, src_rel.name(), AtFlags::empty())
                    .map_err(|e| error::map(e.into(), src))?;
            }
        }
        Ok(()) => {}
        Err(e) if error::is(&e, Errno::XDEV) => {
            return move_across_filesystems(root, src, dst, overwrite);
        }
        Err(e) if error::is(&e, Errno::EXIST) => {
            return Err(match kind(root, dst)? {
                Kind::Folder => invalid(dst, "the destination is a folder"),
                _ => already_exists(dst),
            });
        }
        Err(e) if error::is(&e, Errno::ISDIR) => {
            return Err(invalid(dst, "the destination is a folder"));
        }
        Err(e) if error::is(&e, Errno::NOENT) => return Err(not_found(src)),
        Err(e) => return Err(error::map(e, dst)),
    }
    if root.fsync().atomic() {
        root::sync_dir(to).map_err(|e| error::map(e, dst))?;
        // The source's folder lost the name: made durable too, or a crash could bring the
        // moved file back at its old name.
        if src_rel.parent().map(Rel::key) != dst_rel.parent().map(Rel::key) {
            let from = root
                .parent(src_rel, DirAccess::Read, false)
                .map_err(|e| error::map(e, src))?;
            root::sync_dir(root.fd(&from)).map_err(|e| error::map(e, src))?;
        }
    }
    Ok(())
}

/// Whether `src` (in `src_parent`) is a link that leads to the file `dst_name` of
/// `dst_parent` itself.
fn leads_to(
    root: &Root,
    src_parent: &Parent,
    src: Rel<'_>,
    dst_parent: &Parent,
    dst_name: &str,
) -> bool {
    let is_link = root
        .lstat_in(src_parent, src.name())
        .is_ok_and(|st| root::file_type(&st) == FileType::Symlink);
    is_link
        && match (root.stat(src), root.lstat_in(dst_parent, dst_name)) {
            (Ok(target), Ok(dst)) => root::identity(&target) == root::identity(&dst),
            _ => false,
        }
}

/// Whether the folder `parent` lists an entry named exactly `name`, byte for byte (a
/// lookup by another spelling finds it too on a case- or normalisation-insensitive file
/// system; a listing tells the spellings apart). `false` when it cannot be listed.
fn has_exact_entry(root: &Root, parent: &Parent, name: &str) -> bool {
    let flags = OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC;
    rustix::fs::openat(root.fd(parent), c".", flags, rustix::fs::Mode::empty())
        .map_err(io::Error::from)
        .and_then(|dir| lists_entry(dir, |entry| entry == name.as_bytes()))
        .unwrap_or(false)
}

/// The cross-filesystem move: an atomic copy, then deleting the source. A failed delete
/// is reported as a partial failure (the copy exists, the source was kept).
pub(crate) fn move_across_filesystems(
    root: &Arc<Root>,
    src: &RemotePath,
    dst: &RemotePath,
    overwrite: bool,
) -> Result<()> {
    copy(root, src, dst, overwrite)?;
    delete(root, src, false).map_err(|e| error::partial_move(e, src, dst))
}

/// The cheapest probe: the root folder still exists. Also asked whenever a path turns out
/// missing, so that a removed root is reported as such.
///
/// # Errors
/// `NotFound` (a missing container) once the root folder was removed.
pub(crate) fn ping(root: &Root) -> Result<()> {
    let st = root.stat_root().map_err(|e| error::map_str(e, ""))?;
    if root::links(&st) == 0 {
        return Err(crate::root_not_found(
            &root.given().display().to_string(),
            "it was removed after the backend opened it: create it and open a new backend",
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::LocalConfig;
    use remote_store_core::ErrorKind;
    use std::os::unix::fs::symlink;

    fn key(s: &str) -> RemotePath {
        RemotePath::new(s).unwrap()
    }

    fn root(dir: &std::path::Path) -> Arc<Root> {
        Arc::new(Root::open(&LocalConfig::new(dir)).unwrap())
    }

    #[test]
    fn the_cross_filesystem_fallback_copies_then_deletes() {
        let dir = tempfile::tempdir().unwrap();
        let root = root(dir.path());
        std::fs::write(dir.path().join("src"), "payload").unwrap();
        std::fs::write(dir.path().join("taken"), "keep").unwrap();
        let e = move_across_filesystems(&root, &key("src"), &key("taken"), false).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::AlreadyExists);
        move_across_filesystems(&root, &key("src"), &key("d/dst"), false).unwrap();
        assert_eq!(std::fs::read(dir.path().join("d/dst")).unwrap(), b"payload");
        assert!(!dir.path().join("src").exists());
        assert_eq!(std::fs::read(dir.path().join("taken")).unwrap(), b"keep");
    }

    #[test]
    fn recursive_delete_removes_links_not_their_targets() {
        let outer = tempfile::tempdir().unwrap();
        let dir = outer.path().join("root");
        std::fs::create_dir_all(dir.join("t/a/b/c")).unwrap();
        std::fs::write(dir.join("t/a/b/c/f"), "x").unwrap();
        std::fs::create_dir(outer.path().join("outside")).unwrap();
        std::fs::write(outer.path().join("outside/keep"), "k").unwrap();
        std::fs::create_dir(dir.join("kept")).unwrap();
        std::fs::write(dir.join("kept/keep"), "k").unwrap();
        symlink("../../outside", dir.join("t/a/out")).unwrap();
        symlink("../kept", dir.join("t/in")).unwrap();
        let root = root(&dir);
        let e = delete_folder(&root, &key("t"), false, false).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::DirectoryNotEmpty);
        delete_folder(&root, &key("t"), true, false).unwrap();
        assert!(!dir.join("t").exists());
        assert!(outer.path().join("outside/keep").exists());
        assert!(dir.join("kept/keep").exists());
        // A link to a folder inside the root: the link goes, the folder stays.
        symlink("kept", dir.join("alias")).unwrap();
        delete_folder(&root, &key("alias"), true, false).unwrap();
        assert!(std::fs::symlink_metadata(dir.join("alias")).is_err());
        assert!(dir.join("kept/keep").exists());
    }

    #[test]
    fn a_link_that_loops_or_leads_through_a_file_is_deleted_as_a_link() {
        let dir = tempfile::tempdir().unwrap();
        symlink("self", dir.path().join("self")).unwrap();
        symlink("pong", dir.path().join("ping")).unwrap();
        symlink("ping", dir.path().join("pong")).unwrap();
        std::fs::write(dir.path().join("file"), "x").unwrap();
        symlink("file/below", dir.path().join("through")).unwrap();
        let root = root(dir.path());
        for name in ["self", "ping", "pong", "through"] {
            delete(&root, &key(name), false).unwrap();
            assert!(std::fs::symlink_metadata(dir.path().join(name)).is_err());
        }
    }

    #[test]
    fn an_atomic_write_replaces_a_link_that_leads_nowhere() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("file"), "kept").unwrap();
        symlink("self", dir.path().join("self")).unwrap();
        symlink("file/below", dir.path().join("through")).unwrap();
        symlink("nowhere", dir.path().join("dangling")).unwrap();
        let root = root(dir.path());
        for name in ["self", "through", "dangling"] {
            let mut pending = crate::write::begin(&root, &key(name), true, true).unwrap();
            pending.write(b"new").unwrap();
            pending.finish(&WriteOptions::new()).unwrap();
            assert_eq!(
                std::fs::read(dir.path().join(name)).unwrap(),
                b"new",
                "{name}"
            );
        }
        assert_eq!(std::fs::read(dir.path().join("file")).unwrap(), b"kept");
        assert!(!dir.path().join("nowhere").exists());
    }

    #[test]
    fn special_files_are_not_files_of_the_store() {
        let dir = tempfile::tempdir().unwrap();
        let root = root(dir.path());
        let fifo = dir.path().join("pipe");
        let made = std::process::Command::new("mkfifo").arg(&fifo).status();
        if !made.is_ok_and(|s| s.success()) {
            return;
        }
        assert_eq!(kind(&root, &key("pipe")).unwrap(), Kind::Special);
        // Opening must not hang waiting for a writer.
        let e = open_read(&root, &key("pipe")).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidPath);
        assert_eq!(
            file_info(&root, &key("pipe")).unwrap_err().kind(),
            ErrorKind::InvalidPath
        );
    }
}
