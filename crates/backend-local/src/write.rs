//! Writes, in three blocking steps both halves share: [`begin`] (checks and opens the
//! target or a temp file), [`Pending::write`] / [`Pending::copy_from`] (the body), and
//! [`Pending::finish`] (fsync, promote, report).
//!
//! - A plain write of a new file opens the target itself with `O_CREAT | O_EXCL` (so two
//!   racing creators cannot both win). If the body fails, or the write is dropped, the
//!   file this write created is removed again.
//! - A plain write over an existing file (`overwrite`) never writes into it: it fills a
//!   temp file beside the target and renames it over the name at the end, like an atomic
//!   write (ADR 0018). A body that fails, or a write that is dropped, leaves the old file
//!   exactly as it was — no truncated or half-written object — and no write changes a
//!   file through a hard link (ADR 0008). Unlike an atomic write it is fsynced per the
//!   plain-write policy (by default not at all).
//! - An atomic write fills a [`TempFile`] next to the target and promotes it at the end
//!   (see [`crate::atomic`]): readers see the old content or the new, never a mix, and any
//!   failure (or a drop) removes the temp file.
//!
//! A new file costs what `std::fs::write` costs: one `openat2`, the writes, one `fstat`
//! for the write result. An overwrite adds the failed exclusive open, the temp file's
//! creation and a rename. Folders are only created, and errors only diagnosed, when the
//! first attempt fails.

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
/// Page size the copy buffer is aligned to.
#[cfg(feature = "sync")]
const PAGE: usize = 4096;

/// A write in progress: the open file and what to do at the end. Dropped before
/// [`finish`](Pending::finish), it removes what it created: the temp file of an atomic
/// write, or the file a plain write created (if its name still holds that file).
pub(crate) struct Pending {
    root: Arc<Root>,
    key: RemotePath,
    file: Option<File>,
    written: u64,
    /// `None` once finished.
    target: Option<Target>,
}

impl std::fmt::Debug for Pending {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Pending")
            .field("key", &self.key)
            .field("written", &self.written)
            .field("target", &self.target)
            .finish_non_exhaustive()
    }
}

#[derive(Debug)]
enum Target {
    /// Writing a new file this write created at the target; `created`: its identity
    /// (device, inode), so that a failed write removes that file and never one another
    /// writer has put at the name since.
    Plain { created: (u64, u64) },
    /// Writing a temp file that replaces (or creates) the target at the end; `durable`:
    /// fsynced per the atomic-write policy (`write_atomic`), else per the plain-write one
    /// (a plain overwrite, which replaces the name too).
    Atomic {
        temp: TempFile,
        overwrite: bool,
        durable: bool,
    },
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
    let (file, target) = if atomic {
        let (temp, file) = begin_atomic(root, rel, key, overwrite)?;
        let durable = true;
        (
            file,
            Target::Atomic {
                temp,
                overwrite,
                durable,
            },
        )
    } else if let Some(file) = open_plain(root, rel, key, overwrite)? {
        let st = rustix::fs::fstat(&file).map_err(|e| error::map(e.into(), key))?;
        let created = root::identity(&st);
        (file, Target::Plain { created })
    } else {
        // An existing target: replace its name, never write into the old file.
        let (temp, file) = begin_atomic(root, rel, key, true)?;
        let (overwrite, durable) = (true, false);
        (
            file,
            Target::Atomic {
                temp,
                overwrite,
                durable,
            },
        )
    };
    Ok(Pending {
        root: Arc::clone(root),
        key: key.clone(),
        file: Some(file),
        written: 0,
        target: Some(target),
    })
}

/// Creates the target of a plain write (and its missing parents), exclusively: a write
/// that fails then removes the file it made. `None` when something is at the name and
/// `overwrite` is on: the caller replaces the name instead of writing into the old file
/// (what is there — a file, a link, a folder, a FIFO — is judged by [`begin_atomic`]).
fn open_plain(
    root: &Root,
    rel: Rel<'_>,
    key: &RemotePath,
    overwrite: bool,
) -> Result<Option<File>> {
    let create = OFlags::WRONLY | OFlags::CREATE | OFlags::EXCL;
    let mut made_parents = false;
    loop {
        match root.open_at(rel, create, FILE_MODE) {
            Ok(fd) => return Ok(Some(File::from(fd))),
            Err(e) if overwrite && error::is(&e, Errno::EXIST) => return Ok(None),
            Err(e) if error::is(&e, Errno::NOENT) && !made_parents => {
                made_parents = true;
                if let Some(parent) = rel.parent() {
                    // Durable only where plain writes fsync their file.
                    root.create_dirs(parent, root.fsync().plain())
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
                // A link that leads nowhere: replaced as a link, its target untouched.
                Err(e) if error::leads_nowhere(&e) => None,
                Err(e) => return Err(error::map(e, key)),
            },
            FileType::RegularFile => Some(root::permissions(&st)),
            // A FIFO, socket or device is not a file of the store: never replaced.
            _ if overwrite => return Err(invalid(key, "not a regular file")),
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
        self.file()
            .write_all(buf)
            .map_err(|e| error::map(e, &self.key))?;
        self.written += buf.len() as u64;
        Ok(())
    }

    /// Writes `buf`, the whole content, and completes the write ([`finish`](Self::finish)).
    ///
    /// # Errors
    /// As [`write`](Self::write) and [`finish`](Self::finish).
    #[cfg(feature = "async")]
    pub(crate) fn commit(mut self, buf: &[u8], opts: &WriteOptions) -> Result<WriteResult> {
        self.write(buf)?;
        self.finish(opts)
    }

    /// Copies `reader` to its end into the file.
    #[cfg(feature = "sync")]
    ///
    /// # Errors
    /// The reader's failure (mapped as a source error), or the filesystem's.
    pub(crate) fn copy_from(&mut self, reader: &mut (dyn std::io::Read + '_)) -> Result<()> {
        let mut storage = vec![0u8; COPY_BUF + PAGE];
        let start = storage.as_ptr().align_offset(PAGE).min(PAGE);
        let buf = &mut storage[start..start + COPY_BUF];
        loop {
            let n = match reader.read(buf) {
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
        let file = self.file.as_mut().expect("open until finished");
        let n = io::copy(src, file).map_err(|e| {
            // Tell a failed read of the source from a failed write of the target.
            error::map(e, &self.key).or_path(|| src_key.as_str().to_owned())
        })?;
        self.written += n;
        Ok(())
    }

    fn file(&mut self) -> &mut File {
        self.file.as_mut().expect("open until finished")
    }

    /// Whether [`finish`](Self::finish) will fsync: per the atomic-write policy for
    /// `write_atomic`, per the plain-write one for plain writes (also those that replace
    /// an existing file's name).
    pub(crate) fn syncs(&self) -> bool {
        let atomic = matches!(self.target, Some(Target::Atomic { durable: true, .. }));
        self.root.fsync().syncs(atomic)
    }

    /// Completes the write: fsync per policy, promote an atomic write, report the result
    /// (size and modification time, as a later `get_file_info` sees them).
    ///
    /// # Errors
    /// `AlreadyExists` when another writer created the target first (no overwrite),
    /// `InvalidPath` when a folder took its place, or the I/O failure. The temp file of a
    /// failed atomic write is removed, and so is a file a failed plain write created.
    pub(crate) fn finish(mut self, opts: &WriteOptions) -> Result<WriteResult> {
        let file = self.file.take().expect("open until finished");
        let durable = self.syncs();
        if durable {
            root::sync(&file).map_err(|e| error::map(e, &self.key))?;
        }
        let st = rustix::fs::fstat(&file).map_err(|e| error::map(e.into(), &self.key))?;
        drop(file);
        if let Some(Target::Atomic {
            temp, overwrite, ..
        }) = self.target.take()
        {
            let rel = Rel::new(&self.key)?;
            temp.promote(rel.name(), overwrite, durable)
                .map_err(|e| target_error(&self.root, rel, &self.key, e))?;
        }
        let modified = root::modified(&st);
        let key = std::mem::replace(&mut self.key, RemotePath::ROOT);
        Ok(WriteResult::native(
            key,
            self.written,
            None,
            Some(modified),
            opts,
        ))
    }
}

impl Drop for Pending {
    fn drop(&mut self) {
        // An unfinished plain write removes the file it created; an atomic write's temp
        // file removes itself (`TempFile`'s own drop).
        // Only if the name still holds that file: another writer may have replaced it
        // meanwhile (an overwriting atomic write), and its file must stay.
        if let Some(Target::Plain { created: id }) = self.target {
            self.file = None;
            let Ok(rel) = Rel::new(&self.key) else {
                return;
            };
            if let Ok(parent) = self.root.parent(rel, DirAccess::Path, false)
                && let Ok(st) = self.root.lstat_in(&parent, rel.name())
                && root::identity(&st) == id
            {
                let _ = rustix::fs::unlinkat(self.root.fd(&parent), rel.name(), AtFlags::empty());
            }
        }
    }
}
