//! Temp files and their promotion: the pieces of `write_atomic`, copies and
//! cross-filesystem moves.
//!
//! A [`TempFile`] is created with `O_EXCL` next to its target as `.~tmp.<name>.<random>`
//! and removed again when it is dropped unless it was promoted — so every early return, a
//! panic, a source stream that fails half-way and a dropped async future all clean up. The
//! removal is one `unlinkat` on a descriptor the guard holds, so it cannot hit another
//! folder even if the tree changed meanwhile.
//!
//! Promotion is a `rename` (atomic replace) when overwriting. Without overwrite it must not
//! replace a file that appeared meanwhile: `renameat2(RENAME_NOREPLACE)` where the kernel
//! and filesystem have it, else a hard link to the target name (which fails with `EEXIST`
//! atomically) followed by removing the temp name.

use std::collections::hash_map::RandomState;
use std::fs::File;
use std::hash::{BuildHasher, Hasher};
use std::io;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use rustix::fs::{AtFlags, Mode, OFlags};
use rustix::io::Errno;

use crate::resolve::temp_name;
use crate::root::{Parent, Root, unsupported};

/// A temporary file in its target's folder, removed on drop unless promoted.
pub(crate) struct TempFile {
    root: Arc<Root>,
    parent: Parent,
    name: String,
    armed: bool,
}

impl std::fmt::Debug for TempFile {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TempFile")
            .field("name", &self.name)
            .field("armed", &self.armed)
            .finish_non_exhaustive()
    }
}

impl TempFile {
    /// Creates a fresh temp file for `target` inside `parent` (permissions `mode`, minus the
    /// umask). Returns the guard and the open file.
    pub(crate) fn create(
        root: &Arc<Root>,
        parent: Parent,
        target: &str,
        mode: u32,
    ) -> io::Result<(TempFile, File)> {
        let mut attempts = 0;
        loop {
            let name = temp_name(target, random());
            let flags = OFlags::WRONLY | OFlags::CREATE | OFlags::EXCL | OFlags::CLOEXEC;
            match rustix::fs::openat(
                root.fd(&parent),
                name.as_str(),
                flags,
                Mode::from_raw_mode(mode),
            ) {
                Ok(fd) => {
                    let guard = TempFile {
                        root: Arc::clone(root),
                        parent,
                        name,
                        armed: true,
                    };
                    return Ok((guard, File::from(fd)));
                }
                Err(Errno::EXIST) if attempts < 8 => attempts += 1,
                Err(e) => return Err(e.into()),
            }
        }
    }

    /// The temp file's name.
    #[cfg(test)]
    pub(crate) fn name(&self) -> &str {
        &self.name
    }

    /// Moves the temp file to `target` in the same folder: replacing an existing file when
    /// `overwrite`, else failing with `EEXIST` if anything holds the name — atomically in
    /// both cases — then fsyncs the folder when `sync_dir` (the write's fsync policy: a
    /// durable rename of a file whose data was not fsynced would only make an empty file
    /// durable). On success the guard is disarmed.
    pub(crate) fn promote(
        mut self,
        target: &str,
        overwrite: bool,
        sync_dir: bool,
    ) -> io::Result<()> {
        let dir = self.root.fd(&self.parent);
        if overwrite {
            rustix::fs::renameat(dir, self.name.as_str(), dir, target)?;
        } else {
            promote_no_replace(&self.root, &self.parent, &self.name, &self.parent, target)?;
        }
        self.armed = false;
        if sync_dir {
            crate::root::sync_dir(dir)?;
        }
        Ok(())
    }
}

impl Drop for TempFile {
    fn drop(&mut self) {
        if self.armed {
            // Nothing useful can be done with a failure here; the name is unique and
            // reserved, so a leftover never shadows a real file.
            let _ = rustix::fs::unlinkat(
                self.root.fd(&self.parent),
                self.name.as_str(),
                AtFlags::empty(),
            );
        }
    }
}

/// Renames `src_name` in `src` to `dst_name` in `dst` without ever replacing an existing
/// entry: `EEXIST` if the destination name is taken. The source name is gone afterwards.
pub(crate) fn promote_no_replace(
    root: &Root,
    src: &Parent,
    src_name: &str,
    dst: &Parent,
    dst_name: &str,
) -> io::Result<()> {
    let (from, to) = (root.fd(src), root.fd(dst));
    #[cfg(any(target_os = "linux", target_os = "android"))]
    {
        use rustix::fs::RenameFlags;
        match rustix::fs::renameat_with(from, src_name, to, dst_name, RenameFlags::NOREPLACE) {
            Ok(()) => return Ok(()),
            // The kernel or this filesystem lacks RENAME_NOREPLACE: link + unlink below.
            Err(e) if e == Errno::INVAL || e == Errno::NOSYS || unsupported(e) => {}
            Err(e) => return Err(e.into()),
        }
    }
    link_then_unlink(root, src, src_name, dst, dst_name)
}

/// The portable no-replace promotion: `linkat` fails with `EEXIST` atomically when the
/// name is taken; then the source name is removed.
pub(crate) fn link_then_unlink(
    root: &Root,
    src: &Parent,
    src_name: &str,
    dst: &Parent,
    dst_name: &str,
) -> io::Result<()> {
    let (from, to) = (root.fd(src), root.fd(dst));
    rustix::fs::linkat(from, src_name, to, dst_name, AtFlags::empty())?;
    rustix::fs::unlinkat(from, src_name, AtFlags::empty())?;
    Ok(())
}

/// 64 random bits for temp names: a per-process random key (std's hasher seed) mixed with
/// a counter, the process id and the time, so names do not repeat across threads,
/// processes or restarts.
fn random() -> u64 {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let mut h = RandomState::new().build_hasher();
    h.write_u64(COUNTER.fetch_add(1, Ordering::Relaxed));
    h.write_u32(std::process::id());
    if let Ok(t) = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH) {
        h.write_u128(t.as_nanos());
    }
    h.finish()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::LocalConfig;
    use crate::root::FILE_MODE;
    use std::io::Write;

    fn root(dir: &std::path::Path) -> Arc<Root> {
        Arc::new(Root::open(&LocalConfig::new(dir)).unwrap())
    }

    fn names(dir: &std::path::Path) -> Vec<String> {
        let mut v: Vec<_> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        v.sort();
        v
    }

    #[test]
    fn dropped_temp_files_vanish() {
        let dir = tempfile::tempdir().unwrap();
        let root = root(dir.path());
        let (guard, mut file) = TempFile::create(&root, None, "t.txt", FILE_MODE).unwrap();
        file.write_all(b"partial").unwrap();
        assert_eq!(names(dir.path()).len(), 1);
        assert!(guard.name().starts_with(".~tmp.t.txt."));
        drop(guard);
        assert!(names(dir.path()).is_empty());
    }

    #[test]
    fn promotion_replaces_or_refuses() {
        let dir = tempfile::tempdir().unwrap();
        let root = root(dir.path());
        std::fs::write(dir.path().join("t"), "old").unwrap();
        let (guard, mut file) = TempFile::create(&root, None, "t", FILE_MODE).unwrap();
        file.write_all(b"new").unwrap();
        let e = guard.promote("t", false, true).unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::AlreadyExists);
        assert_eq!(names(dir.path()), ["t"]);
        assert_eq!(std::fs::read(dir.path().join("t")).unwrap(), b"old");
        let (guard, mut file) = TempFile::create(&root, None, "t", FILE_MODE).unwrap();
        file.write_all(b"new").unwrap();
        guard.promote("t", true, true).unwrap();
        assert_eq!(names(dir.path()), ["t"]);
        assert_eq!(std::fs::read(dir.path().join("t")).unwrap(), b"new");
    }

    #[test]
    fn link_promotion_is_exclusive() {
        let dir = tempfile::tempdir().unwrap();
        let root = root(dir.path());
        std::fs::write(dir.path().join("src"), "s").unwrap();
        std::fs::write(dir.path().join("taken"), "t").unwrap();
        let e = link_then_unlink(&root, &None, "src", &None, "taken").unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::AlreadyExists);
        link_then_unlink(&root, &None, "src", &None, "free").unwrap();
        assert_eq!(names(dir.path()), ["free", "taken"]);
        assert_eq!(std::fs::read(dir.path().join("taken")).unwrap(), b"t");
    }

    #[test]
    fn random_names_differ() {
        let a: std::collections::HashSet<u64> = (0..1000).map(|_| random()).collect();
        assert_eq!(a.len(), 1000);
    }
}
