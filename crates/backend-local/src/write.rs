//! Writes, in three blocking steps both halves share: [`begin`] (checks and opens the
//! target or a temp file), [`Pending::write`] / [`Pending::copy_from`] (the body), and
//! [`Pending::finish`] (fsync, promote, report).
//!
//! - A plain write opens the target itself: `O_CREAT | O_EXCL` without overwrite (so two
//!   racing creators cannot both win), `O_CREAT | O_TRUNC` with it. If the body fails, a
//!   file this write created is removed again; an overwritten file is left as far as it
//!   got (use `write_atomic` to keep the old content).
//! - An atomic write fills a [`TempFile`] next to the target and promotes it at the end
//!   (see [`crate::atomic`]): readers see the old content or the new, never a mix, and any
//!   failure (or a drop) removes the temp file.
//!
//! The common case costs what `std::fs::write` costs: one `openat2`, the writes, one
//! `fstat` for the write result. Folders are only created, and errors only diagnosed,
//! when the first attempt fails.

use std::fs::File;
use std::io::{self, Write};
use std::sync::Arc;

use remote_store_core::{Error, RemotePath, Result, WriteOptions, WriteResult};
use rustix::fs::{AtFlags, FileType, OFlags};
use rustix::io::Errno;

use crate::atomic::TempFile;
use crate::error::{self, already_exists, invalid};
use crate::resolve::Rel;
use crate::root::{self, DirAccess, FILE_MODE, Root};

/// Buffer size for copying a streamed body into the file.
#[cfg(feature = "sync")]
pub(crate) const COPY_BUF: usize = 64 * 1024;

/// A write in progress: the open file and what to do at the end.
#[derive(Debug)]
pub(crate) struct Pending {
    key: RemotePath,
    file: File,
    written: u64,
    target: Target,
}

#[derive(Debug)]
enum Target {
    /// Writing the target in place; `created` removes it again if the write fails.
    Plain { created: Option<Created> },
    /// Writing a temp file that replaces (or creates) the target at the end.
    Atomic { temp: TempFile, overwrite: bool },
}

/// Starts a write of `key`: checks the target, creates missing parent folders and opens
/// the file the body goes to.
///
/// # Errors
/// `InvalidPath` for a folder at the target or a file above it, `AlreadyExists` without
/// `overwrite`, `PermissionDenied` for a link out of the root, or the I/O failure.
pub(crate) fn begin(
    root: &Arc<Root>,
    key: &RemotePath,
    overwrite: bool,
    atomic: bool,
) -> Result<Pending> {
    let rel = Rel::new(key)?;
    if atomic {
        let (temp, file) = begin_atomic(root, rel, key, overwrite)?;
        return Ok(Pending {
            key: key.clone(),
            file,
            written: 0,
            target: Target::Atomic { temp, overwrite },
        });
    }
    let file = open_plain(root, rel, key, overwrite)?;
    let created = (!overwrite).then(|| Created {
        root: Arc::clone(root),
        key: key.clone(),
    });
    Ok(Pending {
        key: key.clone(),
        file,
        written: 0,
        target: Target::Plain { created },
    })
}

fn open_plain(root: &Root, rel: Rel<'_>, key: &RemotePath, overwrite: bool) -> Result<File> {
    let exclusive = if overwrite {
        OFlags::TRUNC
    } else {
        OFlags::EXCL
    };
    let flags = OFlags::WRONLY | OFlags::CREATE | exclusive;
    let mut made_parents = false;
    loop {
        match root.open_at(rel, flags, FILE_MODE) {
            Ok(fd) => return Ok(File::from(fd)),
            Err(e) if error::is(&e, Errno::NOENT) && !made_parents => {
                made_parents = true;
                if let Some(parent) = rel.parent() {
                    root.create_dirs(parent)
                        .map_err(|e| target_error(root, rel, key, e))?;
                }
            }
            Err(e) => return Err(target_error(root, rel, key, e)),
        }
    }
}

fn begin_atomic(
    root: &Arc<Root>,
    rel: Rel<'_>,
    key: &RemotePath,
    overwrite: bool,
) -> Result<(TempFile, File)> {
    let parent = root
        .parent(rel, DirAccess::Read, true)
        .map_err(|e| target_error(root, rel, key, e))?;
    let name = rel.name();
    let existing = match root.lstat_in(&parent, name) {
        Ok(st) => Some(match root::file_type(&st) {
            FileType::Directory => return Err(invalid(key, "is a folder")),
            // A link inside the root: judge by what it points to.
            FileType::Symlink => match root.stat(rel) {
                Ok(target) if root::file_type(&target) == FileType::Directory => {
                    return Err(invalid(key, "is a folder"));
                }
                Ok(target) => Some(root::permissions(&target)),
                Err(e) if error::is(&e, Errno::NOENT) => None,
                Err(e) => return Err(error::map(e, key)),
            },
            _ => Some(root::permissions(&st)),
        }),
        Err(e) if error::is(&e, Errno::NOENT) => None,
        Err(e) => return Err(error::map(e, key)),
    };
    if existing.is_some() && !overwrite {
        return Err(already_exists(key));
    }
    let (temp, file) =
        TempFile::create(root, parent, name, FILE_MODE).map_err(|e| error::map(e, key))?;
    if let Some(Some(bits)) = existing {
        // Keep the replaced file's permissions (best effort: the content matters more).
        let _ = rustix::fs::fchmod(&file, rustix::fs::Mode::from_raw_mode(bits));
    }
    Ok((temp, file))
}

/// The error for a failed open, rename or link of the target `rel`: diagnoses what is in
/// the way.
fn target_error(root: &Root, rel: Rel<'_>, key: &RemotePath, err: io::Error) -> Error {
    if error::is(&err, Errno::EXIST) {
        return match root.stat(rel) {
            Ok(st) if root::file_type(&st) == FileType::Directory => invalid(key, "is a folder"),
            Err(e) if error::is_escape(&e) => error::map(e, key),
            _ => already_exists(key),
        };
    }
    if error::is(&err, Errno::ISDIR) {
        return invalid(key, "is a folder");
    }
    if error::is(&err, Errno::NOTDIR) {
        return invalid(key, "a parent of this path is a file");
    }
    error::map(err, key)
}

impl Pending {
    /// Appends `buf` to the file.
    ///
    /// # Errors
    /// The filesystem's failure (`ENOSPC`, `EIO`, ...).
    pub(crate) fn write(&mut self, buf: &[u8]) -> Result<()> {
        self.file
            .write_all(buf)
            .map_err(|e| error::map(e, &self.key))?;
        self.written += buf.len() as u64;
        Ok(())
    }

    /// Copies `reader` to its end into the file.
    #[cfg(feature = "sync")]
    ///
    /// # Errors
    /// The reader's failure (mapped as a source error), or the filesystem's.
    pub(crate) fn copy_from(&mut self, reader: &mut (dyn std::io::Read + '_)) -> Result<()> {
        let mut buf = vec![0u8; COPY_BUF];
        loop {
            let n = match reader.read(&mut buf) {
                Ok(0) => return Ok(()),
                Ok(n) => n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(error::source_failed(e, &self.key)),
            };
            self.write(&buf[..n])?;
        }
    }

    /// Copies the file `src` into this one (`copy_file_range` where the OS has it).
    ///
    /// # Errors
    /// Either file's failure.
    pub(crate) fn copy_file(&mut self, src: &mut File, src_key: &RemotePath) -> Result<()> {
        let n = io::copy(src, &mut self.file).map_err(|e| {
            // Tell a failed read of the source from a failed write of the target.
            error::map(e, &self.key).or_path(|| src_key.as_str().to_owned())
        })?;
        self.written += n;
        Ok(())
    }

    /// Completes the write: fsync per policy, promote an atomic write, report the result
    /// (size and modification time, as a later `get_file_info` sees them).
    ///
    /// # Errors
    /// `AlreadyExists` when another writer created the target first (no overwrite),
    /// `InvalidPath` when a folder took its place, or the I/O failure. The temp file of a
    /// failed atomic write is removed.
    pub(crate) fn finish(self, root: &Root, opts: &WriteOptions) -> Result<WriteResult> {
        let Pending {
            key,
            file,
            written,
            target,
        } = self;
        let policy = root.fsync();
        let sync = match &target {
            Target::Plain { .. } => policy.plain(),
            Target::Atomic { .. } => policy.atomic(),
        };
        if sync {
            root::sync(&file).map_err(|e| error::map(e, &key))?;
        }
        let st = rustix::fs::fstat(&file).map_err(|e| error::map(e.into(), &key))?;
        drop(file);
        match target {
            Target::Plain { created } => {
                if let Some(mut created) = created {
                    created.disarm();
                }
            }
            Target::Atomic { temp, overwrite } => {
                let rel = Rel::new(&key)?;
                temp.promote(rel.name(), overwrite)
                    .map_err(|e| target_error(root, rel, &key, e))?;
            }
        }
        let modified = root::modified(&st);
        Ok(WriteResult::native(
            key,
            written,
            None,
            Some(modified),
            opts,
        ))
    }
}

/// Removes a file created by a plain write that did not complete (dropped or failed).
struct Created {
    root: Arc<Root>,
    key: RemotePath,
}

impl Created {
    fn disarm(&mut self) {
        self.key = RemotePath::ROOT;
    }
}

impl std::fmt::Debug for Created {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Created").field("key", &self.key).finish()
    }
}

impl Drop for Created {
    fn drop(&mut self) {
        if self.key.is_root() {
            return;
        }
        let Ok(rel) = Rel::new(&self.key) else {
            return;
        };
        if let Ok(parent) = self.root.parent(rel, DirAccess::Path, false) {
            let _ = rustix::fs::unlinkat(self.root.fd(&parent), rel.name(), AtFlags::empty());
        }
    }
}
