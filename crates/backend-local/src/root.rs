//! The open root folder and the contained filesystem primitives both halves build on.
//!
//! # How containment works
//! The root folder is opened once and every path is resolved *relative to that descriptor*,
//! never as a string glued to the root's name:
//!
//! - On Linux ≥ 5.6, `openat2` lets the kernel resolve the whole key in one call. A key is
//!   a relative path of plain names (no `..`), so it is first opened with
//!   `RESOLVE_NO_SYMLINKS`: without a link on the path it can only go downward from the
//!   root, and this costs what a plain `openat` costs. If a link is on the path (`ELOOP`),
//!   it is opened again with `RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS`, which follows links
//!   that stay inside and refuses (`EXDEV`) any step that would leave the root — a `..` in
//!   a link target that climbs too far, an absolute link, a `/proc` magic link. Each call
//!   is atomic: there is no window between a check and the use.
//! - Elsewhere (or where `openat2` is missing or filtered), a portable walker does the same
//!   in user space: it opens one component at a time with `O_NOFOLLOW` relative to the
//!   previous folder's descriptor, expands symbolic links itself, tracks the depth below the
//!   root, and refuses absolute targets and `..` above the root. Each step is an `openat` on
//!   a descriptor the walker holds, so a component swapped for a link between steps is seen
//!   as a link, never followed blindly.
//!
//! Symbolic links that stay inside the root are followed; any link whose resolution would
//! leave it is refused with the [`Escape`](crate::error::Escape) marker (mapped to
//! `PermissionDenied`). Namespace operations (create, link, rename, unlink) act on a name
//! inside an already-resolved parent descriptor, so they never follow the final component.

use std::collections::VecDeque;
use std::ffi::OsStr;
use std::io;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use rustix::fd::{AsFd, BorrowedFd, OwnedFd};
use rustix::fs::{AtFlags, FileType, Mode, OFlags, Stat};
use rustix::io::Errno;

use crate::config::{FsyncPolicy, LocalConfig};
use crate::error::{self, escape};
use crate::resolve::Rel;

/// Most symbolic links followed while resolving one path (Linux's own limit).
const MAX_LINKS: usize = 40;

/// Permission bits for new files and folders (the umask applies), as `std::fs` uses.
pub(crate) const FILE_MODE: u32 = 0o666;
const DIR_MODE: u32 = 0o777;

/// How a folder is opened: `Path` for resolving names below it (Linux `O_PATH`: needs no
/// read permission), `Read` for listing it or fsyncing it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum DirAccess {
    Path,
    Read,
}

impl DirAccess {
    fn flags(self) -> OFlags {
        match self {
            #[cfg(any(target_os = "linux", target_os = "android"))]
            DirAccess::Path => OFlags::PATH | OFlags::DIRECTORY,
            #[cfg(not(any(target_os = "linux", target_os = "android")))]
            DirAccess::Path => OFlags::RDONLY | OFlags::DIRECTORY,
            DirAccess::Read => OFlags::RDONLY | OFlags::DIRECTORY,
        }
    }
}

/// A folder below the root, resolved: `None` is the root itself (its descriptor is held by
/// [`Root`]), `Some` an open descriptor.
pub(crate) type Parent = Option<OwnedFd>;

/// The open root folder of a backend.
pub(crate) struct Root {
    /// The root as configured (made absolute).
    given: PathBuf,
    /// The root with every symbolic link resolved.
    canonical: PathBuf,
    /// The root folder, open for reading.
    fd: OwnedFd,
    fsync: FsyncPolicy,
    /// Whether `openat2` with `RESOLVE_BENEATH` is usable here (cleared on `ENOSYS`).
    beneath: AtomicBool,
}

impl std::fmt::Debug for Root {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Root")
            .field("root", &self.canonical)
            .field("fsync", &self.fsync)
            .finish_non_exhaustive()
    }
}

impl Root {
    /// Opens (and with `create_root`, creates) the root of `config`.
    pub(crate) fn open(config: &LocalConfig) -> io::Result<Root> {
        let given = std::path::absolute(&config.root)?;
        if config.create_root {
            std::fs::create_dir_all(&given)?;
        }
        let canonical = std::fs::canonicalize(&given)?;
        let fd = rustix::fs::open(
            &canonical,
            OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC,
            Mode::empty(),
        )?;
        let beneath = AtomicBool::new(openat2_works(&fd));
        Ok(Root {
            given,
            canonical,
            fd,
            fsync: config.fsync,
            beneath,
        })
    }

    /// Turns the `openat2` fast path off, so the portable walker serves every call.
    #[cfg(test)]
    pub(crate) fn portable(self) -> Root {
        self.beneath.store(false, Ordering::Relaxed);
        self
    }

    /// The root with every link resolved.
    pub(crate) fn canonical(&self) -> &Path {
        &self.canonical
    }

    /// The root as configured (absolute).
    pub(crate) fn given(&self) -> &Path {
        &self.given
    }

    /// The fsync policy.
    pub(crate) fn fsync(&self) -> FsyncPolicy {
        self.fsync
    }

    /// The descriptor of `parent` (the root for `None`).
    pub(crate) fn fd<'a>(&'a self, parent: &'a Parent) -> BorrowedFd<'a> {
        match parent {
            Some(fd) => fd.as_fd(),
            None => self.fd.as_fd(),
        }
    }

    /// The root's own status (`st_nlink == 0` once it was removed).
    pub(crate) fn stat_root(&self) -> io::Result<Stat> {
        Ok(rustix::fs::fstat(&self.fd)?)
    }

    /// Opens `rel` with `flags`, following symbolic links only while they stay inside the
    /// root. With `O_CREAT | O_EXCL` the final component is never followed.
    pub(crate) fn open_at(&self, rel: Rel<'_>, flags: OFlags, mode: u32) -> io::Result<OwnedFd> {
        let flags = flags | OFlags::CLOEXEC;
        let mode = Mode::from_raw_mode(mode);
        #[cfg(any(target_os = "linux", target_os = "android"))]
        if self.beneath.load(Ordering::Relaxed) {
            match self.open_beneath(rel.path(), flags, mode) {
                Err(e) if error::is(&e, Errno::NOSYS) => {
                    self.beneath.store(false, Ordering::Relaxed);
                }
                other => return other,
            }
        }
        let exclusive = flags.contains(OFlags::CREATE | OFlags::EXCL);
        let (parent, name) = self.walk(rel.key(), !exclusive)?;
        Ok(rustix::fs::openat(
            self.fd(&parent),
            name.as_os_str(),
            flags | OFlags::NOFOLLOW,
            mode,
        )?)
    }

    /// `openat2` in two steps. First with `RESOLVE_NO_SYMLINKS`: a key is a relative path
    /// of plain names (no `..`, checked by [`Rel`]), so when no link lies on it the kernel
    /// resolves it strictly downward from the root — as cheap as a plain `openat`. Only if
    /// a link is on the path (`ELOOP`) is it resolved again with `RESOLVE_BENEATH`, which
    /// follows links that stay inside and refuses (`EXDEV`) any step out. Both steps are
    /// atomic on their own, so a link swapped in between is caught by the second.
    #[cfg(any(target_os = "linux", target_os = "android"))]
    fn open_beneath(&self, path: &Path, flags: OFlags, mode: Mode) -> io::Result<OwnedFd> {
        use rustix::fs::ResolveFlags;
        let plain = ResolveFlags::NO_SYMLINKS | ResolveFlags::NO_MAGICLINKS;
        match rustix::fs::openat2(&self.fd, path, flags, mode, plain) {
            Err(Errno::LOOP) => {}
            other => return Ok(other?),
        }
        let resolve = ResolveFlags::BENEATH | ResolveFlags::NO_MAGICLINKS;
        // EAGAIN: the kernel saw a concurrent rename it could not rule out; retrying is
        // what the man page asks for.
        let mut tries = 0;
        loop {
            match rustix::fs::openat2(&self.fd, path, flags, mode, resolve) {
                Ok(fd) => return Ok(fd),
                Err(Errno::XDEV) => return Err(escape()),
                Err(Errno::AGAIN) if tries < 8 => tries += 1,
                Err(e) => return Err(e.into()),
            }
        }
    }

    /// Opens the folder `rel` (following contained links) with `access`.
    pub(crate) fn open_dir(&self, rel: Rel<'_>, access: DirAccess) -> io::Result<OwnedFd> {
        self.open_at(rel, access.flags(), 0)
    }

    /// The folder containing `rel`, opened with `access` (`None` for the root). With
    /// `create`, missing folders are created first, durably under the `atomic` fsync
    /// policy (this is how atomic writes, copies and moves make their destination folder).
    pub(crate) fn parent(
        &self,
        rel: Rel<'_>,
        access: DirAccess,
        create: bool,
    ) -> io::Result<Parent> {
        let Some(parent) = rel.parent() else {
            return Ok(None);
        };
        match self.open_dir(parent, access) {
            Err(e) if create && error::is(&e, Errno::NOENT) => {
                self.create_dirs(parent, self.fsync.atomic())?;
                self.open_dir(parent, access).map(Some)
            }
            other => other.map(Some),
        }
    }

    /// Creates the folder `rel` and its missing ancestors, each inside its resolved parent.
    /// `ENOTDIR` means a file is in the way. With `durable`, the parent of each folder
    /// created is fsynced after it, so that a file fsynced into a new folder does not lose
    /// its folder in a crash.
    pub(crate) fn create_dirs(&self, rel: Rel<'_>, durable: bool) -> io::Result<()> {
        let access = if durable {
            DirAccess::Read
        } else {
            DirAccess::Path
        };
        for dir in rel.ancestors().chain(std::iter::once(rel)) {
            match self.open_dir(dir, DirAccess::Path) {
                Ok(_) => continue,
                Err(e) if error::is(&e, Errno::NOENT) => {}
                Err(e) => return Err(e),
            }
            let parent = self.parent(dir, access, false)?;
            match rustix::fs::mkdirat(self.fd(&parent), dir.name(), Mode::from_raw_mode(DIR_MODE)) {
                Ok(()) if durable => sync_dir(self.fd(&parent))?,
                Ok(()) | Err(Errno::EXIST) => {}
                Err(e) => return Err(e.into()),
            }
        }
        // Whatever raced us, the result must be a folder we can resolve.
        self.open_dir(rel, DirAccess::Path).map(drop)
    }

    /// The status of `rel`, following contained links.
    pub(crate) fn stat(&self, rel: Rel<'_>) -> io::Result<Stat> {
        if rel.is_root() {
            return self.stat_root();
        }
        #[cfg(any(target_os = "linux", target_os = "android"))]
        if self.beneath.load(Ordering::Relaxed) {
            let fd = self.open_at(rel, OFlags::PATH, 0)?;
            return Ok(rustix::fs::fstat(&fd)?);
        }
        let (parent, name) = self.walk(rel.key(), true)?;
        Ok(rustix::fs::statat(
            self.fd(&parent),
            name.as_os_str(),
            AtFlags::SYMLINK_NOFOLLOW,
        )?)
    }

    /// The status of the entry `name` in `parent` itself (a link is not followed).
    pub(crate) fn lstat_in(&self, parent: &Parent, name: &str) -> io::Result<Stat> {
        Ok(rustix::fs::statat(
            self.fd(parent),
            name,
            AtFlags::SYMLINK_NOFOLLOW,
        )?)
    }

    /// The portable resolver: walks `key` one component at a time from the root, expanding
    /// symbolic links in user space. Returns the folder holding the final component and
    /// that component's name (`"."` when the path resolves to a folder itself). With
    /// `follow_last`, a final symbolic link is expanded too.
    fn walk(&self, key: &str, follow_last: bool) -> io::Result<(Parent, Name)> {
        let mut pending: VecDeque<Name> = components(key.as_bytes()).collect();
        // Folders entered below the root; empty means "at the root".
        let mut stack: Vec<OwnedFd> = Vec::new();
        let mut links = 0;
        while let Some(name) = pending.pop_front() {
            if name.0 == b".." {
                if stack.pop().is_none() {
                    return Err(escape());
                }
                continue;
            }
            let last = pending.is_empty();
            let cur = stack.last().map_or(self.fd.as_fd(), AsFd::as_fd);
            if last && !follow_last {
                return Ok((stack.pop(), name));
            }
            if !last {
                let flags = DirAccess::Path.flags() | OFlags::NOFOLLOW | OFlags::CLOEXEC;
                match rustix::fs::openat(cur, name.as_os_str(), flags, Mode::empty()) {
                    Ok(fd) => {
                        stack.push(fd);
                        continue;
                    }
                    // A link (ELOOP, or ENOTDIR for O_PATH|O_NOFOLLOW; EMLINK on FreeBSD)
                    // or not a folder: find out below.
                    Err(Errno::LOOP | Errno::NOTDIR | Errno::MLINK) => {}
                    Err(e) => return Err(e.into()),
                }
            }
            match rustix::fs::readlinkat(cur, name.as_os_str(), Vec::new()) {
                Ok(target) => {
                    links += 1;
                    if links > MAX_LINKS {
                        return Err(Errno::LOOP.into());
                    }
                    let target = target.into_bytes();
                    if target.first() == Some(&b'/') {
                        return Err(escape());
                    }
                    for part in components(&target).collect::<Vec<_>>().into_iter().rev() {
                        pending.push_front(part);
                    }
                    if pending.is_empty() {
                        // A link to "." (or ""): the current folder itself.
                        return Ok((stack.pop(), Name(b".".to_vec())));
                    }
                }
                // Not a link: a final component is returned as is; an inner one is a file.
                Err(Errno::INVAL) if last => return Ok((stack.pop(), name)),
                Err(Errno::INVAL) => return Err(Errno::NOTDIR.into()),
                Err(Errno::NOENT) if last => return Ok((stack.pop(), name)),
                Err(e) => return Err(e.into()),
            }
        }
        // The path resolved to a folder (e.g. a link to a sibling folder's parent).
        Ok((stack.pop(), Name(b".".to_vec())))
    }
}

/// One path component as raw bytes.
#[derive(Debug, Clone)]
struct Name(Vec<u8>);

impl Name {
    fn as_os_str(&self) -> &OsStr {
        OsStr::from_bytes(&self.0)
    }
}

/// The non-empty, non-`.` components of a path.
fn components(path: &[u8]) -> impl Iterator<Item = Name> + '_ {
    path.split(|b| *b == b'/')
        .filter(|c| !c.is_empty() && *c != b".")
        .map(|c| Name(c.to_vec()))
}

/// The modification time of a status.
pub(crate) fn modified(st: &Stat) -> SystemTime {
    #[allow(clippy::useless_conversion)]
    let secs = i64::from(st.st_mtime);
    #[allow(clippy::useless_conversion)]
    let nanos = u32::try_from(st.st_mtime_nsec).unwrap_or(0);
    if secs >= 0 {
        UNIX_EPOCH + Duration::new(secs.unsigned_abs(), nanos)
    } else {
        UNIX_EPOCH - Duration::from_secs(secs.unsigned_abs()) + Duration::from_nanos(nanos.into())
    }
}

/// The size of a status.
pub(crate) fn size(st: &Stat) -> u64 {
    #[allow(clippy::useless_conversion)]
    u64::try_from(st.st_size).unwrap_or(0)
}

/// The number of hard links (names) of a status.
pub(crate) fn links(st: &Stat) -> u64 {
    #[allow(clippy::useless_conversion)]
    u64::from(st.st_nlink)
}

/// The type of a status.
pub(crate) fn file_type(st: &Stat) -> FileType {
    FileType::from_raw_mode(st.st_mode)
}

/// Whether `openat2` serves this process: probed once per root by opening the root itself
/// through it. A kernel without it says `ENOSYS` (also seen at any later call), but a
/// seccomp filter (older container runtimes, a service's system-call filter) may say
/// `EPERM` instead, which would otherwise fail every call as a permission error.
fn openat2_works(root: &OwnedFd) -> bool {
    #[cfg(any(target_os = "linux", target_os = "android"))]
    {
        use rustix::fs::ResolveFlags;
        let flags = OFlags::PATH | OFlags::DIRECTORY | OFlags::CLOEXEC;
        rustix::fs::openat2(root, ".", flags, Mode::empty(), ResolveFlags::BENEATH).is_ok()
    }
    #[cfg(not(any(target_os = "linux", target_os = "android")))]
    {
        let _ = root;
        false
    }
}

/// The identity of a file: its device and inode numbers.
pub(crate) fn identity(st: &Stat) -> (u64, u64) {
    // The field types differ between systems (`i32` devices on macOS): compared only.
    #[allow(clippy::unnecessary_cast)]
    (st.st_dev as u64, st.st_ino as u64)
}

/// The permission bits of a status, without setuid, setgid and sticky: a file that
/// replaces another keeps who may read and write it, never the right to run as its
/// owner (the new content is not the content those bits were granted for).
pub(crate) fn permissions(st: &Stat) -> u32 {
    #[allow(clippy::useless_conversion)]
    let mode = u32::from(st.st_mode);
    mode & 0o777
}

/// True for "operation not supported" (two codes on some systems, one on Linux).
pub(crate) fn unsupported(e: Errno) -> bool {
    e == Errno::NOTSUP || e == Errno::OPNOTSUPP
}

/// Flushes `fd` to stable storage.
pub(crate) fn sync(fd: impl AsFd) -> io::Result<()> {
    Ok(rustix::fs::fsync(fd)?)
}

/// Flushes a folder's entries to stable storage where the platform allows it: filesystems
/// that cannot fsync a folder (`EINVAL`, `ENOTSUP`) and descriptors opened only for path
/// resolution (`EBADF`) are skipped; real I/O errors are reported.
pub(crate) fn sync_dir(fd: impl AsFd) -> io::Result<()> {
    match rustix::fs::fsync(fd) {
        Ok(()) => Ok(()),
        Err(e) if e == Errno::INVAL || e == Errno::BADF || unsupported(e) => Ok(()),
        Err(e) => Err(e.into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use remote_store_core::RemotePath;
    use std::os::unix::fs::symlink;

    fn roots(dir: &Path) -> Vec<Root> {
        let cfg = LocalConfig::new(dir);
        vec![
            Root::open(&cfg).unwrap(),
            Root::open(&cfg).unwrap().portable(),
        ]
    }

    fn rel(key: &RemotePath) -> Rel<'_> {
        Rel::new(key).unwrap()
    }

    /// A root with files and links inside, and a secret next to it.
    fn fixture() -> (tempfile::TempDir, PathBuf) {
        let outer = tempfile::tempdir().unwrap();
        let root = outer.path().join("root");
        std::fs::create_dir_all(root.join("a/b")).unwrap();
        std::fs::write(root.join("a/b/f.txt"), "inside").unwrap();
        std::fs::create_dir(outer.path().join("sibling")).unwrap();
        std::fs::write(outer.path().join("sibling/secret"), "outside").unwrap();
        symlink("/etc", root.join("etc")).unwrap();
        symlink("../sibling", root.join("sib")).unwrap();
        symlink("a/b", root.join("ab")).unwrap();
        symlink("b/../../a", root.join("a/up")).unwrap();
        symlink("../../..", root.join("a/b/climb")).unwrap();
        symlink(root.join("a"), root.join("abs")).unwrap();
        symlink("loop2", root.join("loop1")).unwrap();
        symlink("loop1", root.join("loop2")).unwrap();
        symlink("a/b/f.txt", root.join("flink")).unwrap();
        symlink("nowhere", root.join("dangling")).unwrap();
        (outer, root)
    }

    #[test]
    fn inside_links_are_followed_and_escapes_refused() {
        let (_outer, dir) = fixture();
        for root in roots(&dir) {
            let read = |key: &str| {
                let k = RemotePath::new(key).unwrap();
                root.open_at(rel(&k), OFlags::RDONLY, 0)
                    .map(|fd| std::io::read_to_string(std::fs::File::from(fd)).unwrap())
            };
            assert_eq!(read("a/b/f.txt").unwrap(), "inside");
            assert_eq!(read("ab/f.txt").unwrap(), "inside");
            assert_eq!(read("a/up/b/f.txt").unwrap(), "inside");
            assert_eq!(read("flink").unwrap(), "inside");
            for bad in [
                "etc/passwd",
                "sib/secret",
                "a/b/climb/sibling/secret",
                "abs/b/f.txt",
            ] {
                let e = read(bad).unwrap_err();
                assert!(error::is_escape(&e), "{bad}: {e:?}");
            }
            let e = read("loop1").unwrap_err();
            assert!(error::is(&e, Errno::LOOP), "{e:?}");
            assert!(error::is(&read("dangling").unwrap_err(), Errno::NOENT));
            assert!(error::is(&read("a/b/f.txt/x").unwrap_err(), Errno::NOTDIR));
            assert!(error::is(&read("missing/x").unwrap_err(), Errno::NOENT));
        }
    }

    #[test]
    fn creation_never_follows_out() {
        let (outer, dir) = fixture();
        for root in roots(&dir) {
            // Creating through a link that leaves the root is refused.
            let k = RemotePath::new("sib/planted").unwrap();
            let flags = OFlags::WRONLY | OFlags::CREATE | OFlags::EXCL;
            assert!(error::is_escape(
                &root.open_at(rel(&k), flags, FILE_MODE).unwrap_err()
            ));
            let k = RemotePath::new("sib/x/y").unwrap();
            assert!(error::is_escape(
                &root.create_dirs(rel(&k), false).unwrap_err()
            ));
            // O_EXCL on a dangling link does not create the link's target.
            let k = RemotePath::new("dangling").unwrap();
            assert!(error::is(
                &root.open_at(rel(&k), flags, FILE_MODE).unwrap_err(),
                Errno::EXIST
            ));
            assert!(!dir.join("nowhere").exists());
        }
        assert_eq!(
            std::fs::read_dir(outer.path().join("sibling"))
                .unwrap()
                .count(),
            1
        );
    }

    #[test]
    fn stat_and_parents() {
        let (_outer, dir) = fixture();
        for root in roots(&dir) {
            let k = RemotePath::new("ab").unwrap();
            assert_eq!(file_type(&root.stat(rel(&k)).unwrap()), FileType::Directory);
            let k = RemotePath::new("a/b/f.txt").unwrap();
            assert_eq!(size(&root.stat(rel(&k)).unwrap()), 6);
            let k = RemotePath::new("etc").unwrap();
            assert!(error::is_escape(&root.stat(rel(&k)).unwrap_err()));
            let k = RemotePath::new("new/deep/er/f").unwrap();
            let parent = root.parent(rel(&k), DirAccess::Read, true).unwrap();
            assert!(parent.is_some());
            assert!(dir.join("new/deep/er").is_dir());
            std::fs::remove_dir_all(dir.join("new")).unwrap();
            let k = RemotePath::new("a/b/f.txt/under").unwrap();
            let e = root.parent(rel(&k), DirAccess::Read, true).unwrap_err();
            assert!(error::is(&e, Errno::NOTDIR), "{e:?}");
        }
    }

    #[test]
    fn modified_handles_negative_times() {
        let mut st: Stat = unsafe_free_zeroed_stat();
        st.st_mtime = -1;
        assert!(modified(&st) < UNIX_EPOCH);
    }

    /// A zeroed `Stat` without `unsafe`: the status of the root, with fields overwritten.
    fn unsafe_free_zeroed_stat() -> Stat {
        let dir = tempfile::tempdir().unwrap();
        let root = Root::open(&LocalConfig::new(dir.path())).unwrap();
        root.stat_root().unwrap()
    }
}
