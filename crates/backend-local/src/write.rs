//! Writes, in three blocking steps both halves share: [`begin`] (checks and opens the
//! target or a temp file), [`Pending::write`] / [`Pending::copy_from`] (the body), and
//! [`Pending::finish`] (fsync, promote, report).
//!
//! - A plain write opens the target itself: `O_CREAT | O_EXCL` without overwrite (so two
//!   racing creators cannot both win), `O_CREAT` then a truncate with it. If the body
//!   fails, a file this write created is removed again; an overwritten file is left as far
//!   as it got (use `write_atomic` to keep the old content).
//! - An overwriting plain write onto a file with more than one hard link never writes into
//!   that shared inode — another link may lie outside the root (ADR 0008). It replaces the
//!   name instead, exactly like an atomic write; the other links keep the old content.
//! - An atomic write fills a [`TempFile`] next to the target and promotes it at the end
//!   (see [`crate::atomic`]): readers see the old content or the new, never a mix, and any
//!   failure (or a drop) removes the temp file.
//!
//! The common case costs what `std::fs::write` costs: one `openat2`, the writes, one
//! `fstat` for the write result; an overwrite adds one `fstat` (the link count) and, when
//! the old file had content, one `ftruncate`. Folders are only created, and errors only diagnosed,
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
    /// Writing the target in place; `created`: the identity (device, inode) of the file
    /// when this write created it, so that a failed write removes that file and never one
    /// another writer has put at the name since.
    Plain { created: Option<(u64, u64)> },
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
    let (file, target) = if atomic {
        let (temp, file) = begin_atomic(root, rel, key, overwrite)?;
        (file, Target::Atomic { temp, overwrite })
    } else if let Some((file, created)) = open_plain(root, rel, key, overwrite)? {
        let created = if created {
            let st = rustix::fs::fstat(&file).map_err(|e| error::map(e.into(), key))?;
            Some(root::identity(&st))
        } else {
            None
        };
        (file, Target::Plain { created })
    } else {
        // The target is hard-linked: replace its name, never write into the shared inode.
        let (temp, file) = begin_atomic(root, rel, key, true)?;
        (
            file,
            Target::Atomic {
                temp,
                overwrite: true,
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

/// Opens the target of a plain write, creating it (and its parents) if needed; an
/// overwritten file is truncated. Returns the file and whether this call created it (a
/// write that fails then removes it, so a failed write leaves no partial new file, with
/// or without `overwrite`). `None` when `overwrite` finds a file with more than one hard
/// link: it is left untouched (not even truncated) and the caller must replace the name
/// instead of writing through the inode.
fn open_plain(
    root: &Root,
    rel: Rel<'_>,
    key: &RemotePath,
    overwrite: bool,
) -> Result<Option<(File, bool)>> {
    let create = OFlags::WRONLY | OFlags::CREATE | OFlags::EXCL;
    let mut made_parents = false;
    loop {
        match root.open_at(rel, create, FILE_MODE) {
            Ok(fd) => return Ok(Some((File::from(fd), true))),
            Err(e) if overwrite && error::is(&e, Errno::EXIST) => {
                return open_existing(root, rel, key).map(|f| f.map(|f| (f, false)));
            }
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

/// Opens an existing target to overwrite it: refuses anything but a regular file,
/// truncates it; `None` for a file with more than one hard link (see [`open_plain`]).
fn open_existing(root: &Root, rel: Rel<'_>, key: &RemotePath) -> Result<Option<File>> {
    // Never `O_TRUNC`: it would truncate a hard-linked file before its links are seen.
    // `O_NONBLOCK`: opening a FIFO planted in the tree must not hang (it fails with
    // `ENXIO` with no reader, or is refused below); it changes nothing for regular files.
    // `O_CREAT` still: a link inside the root whose target is missing is written through,
    // as an overwrite always did. `O_NOCTTY`: a terminal device planted in the tree (it
    // is refused below) never becomes this process's controlling terminal.
    let flags = OFlags::WRONLY | OFlags::CREATE | OFlags::NONBLOCK | OFlags::NOCTTY;
    let fd = match root.open_at(rel, flags, FILE_MODE) {
        Ok(fd) => fd,
        Err(e) if error::is(&e, Errno::NXIO) => return Err(invalid(key, "not a regular file")),
        Err(e) => return Err(target_error(root, rel, key, e)),
    };
    let failed = |e: Errno| error::map(e.into(), key);
    let st = rustix::fs::fstat(&fd).map_err(failed)?;
    if root::file_type(&st) != FileType::RegularFile {
        return Err(invalid(key, "not a regular file"));
    }
    if root::links(&st) > 1 {
        return Ok(None);
    }
    if root::size(&st) > 0 {
        rustix::fs::ftruncate(&fd, 0).map_err(failed)?;
    }
    Ok(Some(File::from(fd)))
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

    /// Whether [`finish`](Self::finish) will fsync (per policy and the kind of write this
    /// turned out to be: a plain overwrite of a hard-linked file is an atomic one).
    pub(crate) fn syncs(&self) -> bool {
        let atomic = matches!(self.target, Some(Target::Atomic { .. }));
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
        if self.syncs() {
            root::sync(&file).map_err(|e| error::map(e, &self.key))?;
        }
        let st = rustix::fs::fstat(&file).map_err(|e| error::map(e.into(), &self.key))?;
        drop(file);
        if let Some(Target::Atomic { temp, overwrite }) = self.target.take() {
            let rel = Rel::new(&self.key)?;
            temp.promote(rel.name(), overwrite)
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
        if let Some(Target::Plain { created: Some(id) }) = self.target {
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
