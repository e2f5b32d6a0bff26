//! Transfers: one file or a whole tree, local → store (`upload`), store → local
//! (`download`) and store → store (`copy_between`).
//!
//! A transfer is *plan → run*. The plan lists the source files (a local walk or a recursive
//! store listing), looks at the destination once (a walk or a listing, not one probe per
//! file) and decides each file's [`Action`] from the [`IfExists`] policy — all written once
//! here, runtime-free. The run then streams each file from a reader into a writer, at most
//! `concurrency` files at once, in chunks: memory stays bounded by the chunk size times the
//! files in flight (plus what the store's own streamed write holds), whatever the file
//! sizes. The halves differ only in how they wait.
//!
//! A big download may instead go in ranged parts ([`TransferOptions::parts_in_flight`]):
//! which files qualify, the version pin, the part ranges, the positional writes and the
//! errors are decided here; each half runs the parts (scoped threads or
//! `buffer_unordered`).
//!
//! Local paths are `std::path` paths read and written directly with `std::fs` (blocking
//! half) or `tokio::fs` (async half), not through a local store: a transfer then takes any
//! directory the process can reach, absolute or relative, and downloads are made atomic
//! with a temp file next to the target, renamed into place.

#[cfg(feature = "async")]
pub(crate) mod r#async;
#[cfg(feature = "sync")]
pub(crate) mod sync;

use std::collections::HashMap;
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::AtomicBool;

use std::ops::Range;

use remote_store_core::{
    Capability, ContentDigest, Error, ErrorKind, FileInfo, ReadOptions, RemotePath, Result,
};

use crate::integrity::{Hasher, same_digest};
use crate::progress::{Progress, Snapshot, Tracker};
use remote_store_core::ChecksumAlgorithm;

/// The default number of files in flight.
pub const DEFAULT_FILES_IN_FLIGHT: usize = 4;

/// The default number of ranged reads of one big file in flight during a download
/// ([`TransferOptions::parts_in_flight`]).
pub const DEFAULT_PARTS_IN_FLIGHT: usize = 4;

/// The default size of one ranged read of a big download ([`TransferOptions::part_size`]):
/// 8 MiB.
pub const DEFAULT_PART_SIZE: u64 = 8 << 20;

/// The prefix of the temp files a download writes next to its target (the same reserved
/// prefix the local and SFTP backends use; local walks skip such names).
pub(crate) const TEMP_PREFIX: &str = ".~tmp.";

/// What to do with a file that already exists at the destination.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum IfExists {
    /// Report the file as failed with `AlreadyExists` and leave it alone (the default, as
    /// for every store write: nothing is replaced unless asked).
    #[default]
    Fail,
    /// Replace it.
    Overwrite,
    /// Leave it, whatever it holds.
    Skip,
    /// Leave it when it looks the same — same size and, where both sides report one, the
    /// same digest (and the same etag when [`TransferOptions::compare_etag`] is on) — and
    /// replace it otherwise.
    SkipIfSame,
}

/// How a transfer runs.
///
/// ```
/// use remote_store_transfer::{ChecksumAlgorithm, IfExists, TransferOptions};
///
/// let opts = TransferOptions::new()
///     .if_exists(IfExists::SkipIfSame)
///     .files_in_flight(8)
///     .verify(ChecksumAlgorithm::Sha256);
/// assert!(opts.atomic);
/// ```
#[derive(Clone)]
#[non_exhaustive]
pub struct TransferOptions {
    /// What to do with existing destination files (default [`IfExists::Fail`]).
    pub if_exists: IfExists,
    /// Files copied at once (at least 1; default [`DEFAULT_FILES_IN_FLIGHT`]).
    pub files_in_flight: usize,
    /// Plan only: the report lists what would happen and nothing is written.
    pub dry_run: bool,
    /// Write each file atomically (default true): `write_atomic` on a store, a temp file
    /// renamed into place on a local disk. Readers never see a partial file and a failed or
    /// dropped transfer leaves none behind. Off, stores get a plain `write` and local files
    /// are written in place. A store without `atomic_write` fails each file with
    /// `CapabilityNotSupported` unless this is off (every built-in backend has it).
    pub atomic: bool,
    /// After each copy, stream the written file back and compare its digest with the one
    /// computed from the source while it was copied. A mismatch fails that file.
    pub verify: Option<ChecksumAlgorithm>,
    /// Let [`IfExists::SkipIfSame`] compare etags too, where both sides have one. Off by
    /// default: etags are opaque per service (S3's single-part etag is an MD5, Azure's and
    /// the memory backend's change with every write), so they only mean "same content"
    /// between two stores of one service that derive them from the bytes.
    pub compare_etag: bool,
    /// Stop starting files after the first failure (default false).
    pub stop_on_error: bool,
    /// Downloads only: ranged reads of one big file in flight at once (default
    /// [`DEFAULT_PARTS_IN_FLIGHT`]; 1 turns ranged downloads off). A file of at least
    /// `2 × part_size` bytes is then fetched as `part_size` ranges, each written at its
    /// offset in the temp file, instead of as one stream.
    ///
    /// Only where it is safe: the store declares `range_read` and `conditional_read`, the
    /// file's info has an etag, [`atomic`](Self::atomic) is on and [`verify`](Self::verify)
    /// is off (the verification digest is computed in stream order, so verified downloads
    /// keep the single stream). Without `atomic` the file streams whole: parts written in
    /// place would leave, after a failure, a cancel or a crash, a target of the object's
    /// full size with gaps of zeros, which `IfExists::SkipIfSame` (it compares sizes)
    /// would then take for the object; a streamed one leaves a shorter prefix.
    /// Every part is read with `if_match` on the etag the file had when its download
    /// began: if the object is replaced meanwhile, the file fails with
    /// `PreconditionFailed` ("the object changed during the download") and leaves
    /// no temp file and no partial target. It costs one `get_file_info` and one request
    /// per part, and up to `parts_in_flight × 256 KiB` of buffers per file in flight.
    pub parts_in_flight: usize,
    /// Downloads only: the size of one ranged read of a big file (default
    /// [`DEFAULT_PART_SIZE`], 8 MiB; at least 256 KiB). Files smaller than twice this
    /// stream whole. See [`parts_in_flight`](Self::parts_in_flight).
    pub part_size: u64,
    progress: Option<Arc<dyn Progress>>,
    cancel: Option<Arc<AtomicBool>>,
}

impl Default for TransferOptions {
    fn default() -> Self {
        TransferOptions {
            if_exists: IfExists::Fail,
            files_in_flight: DEFAULT_FILES_IN_FLIGHT,
            dry_run: false,
            atomic: true,
            verify: None,
            compare_etag: false,
            stop_on_error: false,
            parts_in_flight: DEFAULT_PARTS_IN_FLIGHT,
            part_size: DEFAULT_PART_SIZE,
            progress: None,
            cancel: None,
        }
    }
}

impl TransferOptions {
    /// Defaults: fail on existing files, 4 files in flight, atomic, no verification, no
    /// observer; big downloads in 8 MiB ranged parts, 4 at once.
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets the [`IfExists`] policy.
    pub fn if_exists(mut self, policy: IfExists) -> Self {
        self.if_exists = policy;
        self
    }

    /// Sets the files in flight (0 is taken as 1).
    pub fn files_in_flight(mut self, n: usize) -> Self {
        self.files_in_flight = n.max(1);
        self
    }

    /// Sets `dry_run`.
    pub fn dry_run(mut self, dry_run: bool) -> Self {
        self.dry_run = dry_run;
        self
    }

    /// Sets `atomic`.
    pub fn atomic(mut self, atomic: bool) -> Self {
        self.atomic = atomic;
        self
    }

    /// Verifies each copied file with `algorithm`.
    pub fn verify(mut self, algorithm: ChecksumAlgorithm) -> Self {
        self.verify = Some(algorithm);
        self
    }

    /// Sets `compare_etag`.
    pub fn compare_etag(mut self, compare: bool) -> Self {
        self.compare_etag = compare;
        self
    }

    /// Sets `stop_on_error`.
    pub fn stop_on_error(mut self, stop: bool) -> Self {
        self.stop_on_error = stop;
        self
    }

    /// Sets the ranged reads of one big download in flight (0 is taken as 1, which turns
    /// ranged downloads off). See [`parts_in_flight`](Self::parts_in_flight).
    pub fn parts_in_flight(mut self, n: usize) -> Self {
        self.parts_in_flight = n.max(1);
        self
    }

    /// Sets the size of one ranged read of a big download (raised to 256 KiB when smaller).
    /// See [`part_size`](Self::part_size).
    pub fn part_size(mut self, bytes: u64) -> Self {
        self.part_size = bytes.max(CHUNK as u64);
        self
    }

    /// Reports progress to `observer`. Without one, nothing is counted or timed beyond the
    /// report's totals.
    pub fn progress(mut self, observer: impl Progress + 'static) -> Self {
        self.progress = Some(Arc::new(observer));
        self
    }

    /// Reports progress to a shared observer.
    pub fn progress_arc(mut self, observer: Arc<dyn Progress>) -> Self {
        self.progress = Some(observer);
        self
    }

    /// Stops the transfer when `flag` becomes true (set it from another thread, a Ctrl-C
    /// handler for instance): no file starts any more, and each file in flight fails at
    /// its next chunk, in both halves — with atomic writes (the default) it leaves no
    /// object, no temp file and no multipart upload behind. Such files report `Failed`
    /// ("cancelled: ..."); the call still returns its report. (Dropping an async
    /// transfer's future stops it too, without a report.)
    pub fn cancel_on(mut self, flag: Arc<AtomicBool>) -> Self {
        self.cancel = Some(flag);
        self
    }
}

impl fmt::Debug for TransferOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TransferOptions")
            .field("if_exists", &self.if_exists)
            .field("files_in_flight", &self.files_in_flight)
            .field("dry_run", &self.dry_run)
            .field("atomic", &self.atomic)
            .field("verify", &self.verify)
            .field("compare_etag", &self.compare_etag)
            .field("stop_on_error", &self.stop_on_error)
            .field("parts_in_flight", &self.parts_in_flight)
            .field("part_size", &self.part_size)
            .field("progress", &self.progress.is_some())
            .field("cancel", &self.cancel.is_some())
            .finish()
    }
}

/// Why a planned file is left alone.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum SkipReason {
    /// It exists and the policy is [`IfExists::Skip`].
    Exists,
    /// It exists and looks the same ([`IfExists::SkipIfSame`]).
    Same,
}

/// What the plan does with one file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Action {
    /// Copy to a destination that did not exist when planned (written without overwrite,
    /// so a file that appears meanwhile is `AlreadyExists`, not replaced).
    Create,
    /// Replace the existing destination.
    Overwrite,
    /// Leave the destination alone.
    Skip(SkipReason),
    /// The destination exists and the policy is [`IfExists::Fail`]: reported as an
    /// `AlreadyExists` failure, no byte moved.
    Conflict,
}

impl Action {
    /// True for the actions that move bytes.
    pub fn copies(self) -> bool {
        matches!(self, Action::Create | Action::Overwrite)
    }
}

/// One file of a plan.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct PlannedFile {
    /// The file relative to the transfer's source (`/`-separated; empty for a one-file
    /// transfer).
    pub relative: String,
    /// The source: a store key or a local path, as text.
    pub source: String,
    /// The destination: a store key or a local path, as text.
    pub destination: String,
    /// The source size in bytes.
    pub size: u64,
    /// What the run does with it.
    pub action: Action,
}

/// How one file of a transfer ended.
#[derive(Debug)]
#[non_exhaustive]
pub enum FileStatus {
    /// A dry run: what [`PlannedFile::action`] says would happen.
    Planned,
    /// Copied.
    Copied {
        /// Bytes moved.
        bytes: u64,
        /// The source digest computed while copying, when verifying (it matched the
        /// destination's).
        digest: Option<ContentDigest>,
    },
    /// Left alone.
    Skipped(SkipReason),
    /// Failed (a conflict, a store or disk error, a verification mismatch).
    Failed(Error),
    /// Not started after a failure stopped the transfer (`stop_on_error`); files already
    /// being copied when it stopped finish and report their own status.
    NotRun,
}

/// One file's line in a [`TransferReport`].
#[derive(Debug)]
#[non_exhaustive]
pub struct FileReport {
    /// The plan for the file.
    pub file: PlannedFile,
    /// How it ended.
    pub status: FileStatus,
}

/// What a transfer planned and did, file by file in source order, with the final counters.
///
/// A transfer fails as a whole only when it cannot plan (the source is missing, a listing
/// fails); every per-file problem is a [`FileStatus::Failed`] line here.
#[derive(Debug)]
#[non_exhaustive]
pub struct TransferReport {
    /// Every file of the plan and how it ended.
    pub files: Vec<FileReport>,
    /// True when this was a dry run (nothing was written).
    pub dry_run: bool,
    /// The final counters (files and bytes done and total, elapsed time).
    pub totals: Snapshot,
}

impl TransferReport {
    /// The files copied.
    pub fn copied(&self) -> impl Iterator<Item = &PlannedFile> + '_ {
        self.with(|s| matches!(s, FileStatus::Copied { .. }))
    }

    /// The files skipped.
    pub fn skipped(&self) -> impl Iterator<Item = &PlannedFile> + '_ {
        self.with(|s| matches!(s, FileStatus::Skipped(_)))
    }

    /// The files that failed, with their errors.
    pub fn failed(&self) -> impl Iterator<Item = (&PlannedFile, &Error)> + '_ {
        self.files.iter().filter_map(|f| match &f.status {
            FileStatus::Failed(e) => Some((&f.file, e)),
            _ => None,
        })
    }

    /// The plan: every file with its action.
    pub fn plan(&self) -> impl Iterator<Item = &PlannedFile> + '_ {
        self.files.iter().map(|f| &f.file)
    }

    /// True when no file failed and none was left unrun.
    pub fn is_success(&self) -> bool {
        self.files
            .iter()
            .all(|f| !matches!(f.status, FileStatus::Failed(_) | FileStatus::NotRun))
    }

    /// The report, or the first file's failure.
    ///
    /// # Errors
    /// The first failed file's error; `Other` when files were left unrun.
    pub fn into_result(self) -> Result<TransferReport> {
        if let Some(i) = self
            .files
            .iter()
            .position(|f| matches!(f.status, FileStatus::Failed(_) | FileStatus::NotRun))
        {
            let mut files = self.files;
            let f = files.swap_remove(i);
            return Err(match f.status {
                FileStatus::Failed(e) => e,
                _ => Error::new(ErrorKind::Other)
                    .with_message(format!("{} was not transferred", f.file.source)),
            });
        }
        Ok(self)
    }

    fn with(
        &self,
        pred: impl Fn(&FileStatus) -> bool + 'static,
    ) -> impl Iterator<Item = &PlannedFile> + '_ {
        self.files
            .iter()
            .filter(move |f| pred(&f.status))
            .map(|f| &f.file)
    }
}

/// What the plan knows about a file on either side.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Meta {
    pub(crate) size: u64,
    pub(crate) digest: Option<ContentDigest>,
    pub(crate) etag: Option<String>,
}

impl Meta {
    pub(crate) fn local(size: u64) -> Meta {
        Meta {
            size,
            digest: None,
            etag: None,
        }
    }

    pub(crate) fn of(info: &FileInfo) -> Meta {
        Meta {
            size: info.size,
            digest: info.digest.clone(),
            etag: info.etag.clone(),
        }
    }
}

/// The `SkipIfSame` test.
pub(crate) fn looks_same(src: &Meta, dst: &Meta, compare_etag: bool) -> bool {
    if src.size != dst.size {
        return false;
    }
    if let (Some(a), Some(b)) = (&src.digest, &dst.digest)
        && a.algorithm.eq_ignore_ascii_case(&b.algorithm)
        && !same_digest(a, b)
    {
        return false;
    }
    if compare_etag
        && let (Some(a), Some(b)) = (&src.etag, &dst.etag)
        && a.trim_matches('"') != b.trim_matches('"')
    {
        return false;
    }
    true
}

/// The action for one file.
pub(crate) fn decide(src: &Meta, dst: Option<&Meta>, opts: &TransferOptions) -> Action {
    let Some(dst) = dst else {
        return Action::Create;
    };
    match opts.if_exists {
        IfExists::Fail => Action::Conflict,
        IfExists::Overwrite => Action::Overwrite,
        IfExists::Skip => Action::Skip(SkipReason::Exists),
        IfExists::SkipIfSame => {
            if looks_same(src, dst, opts.compare_etag) {
                Action::Skip(SkipReason::Same)
            } else {
                Action::Overwrite
            }
        }
    }
}

/// Source files (relative path and what is known) and destination files by relative path,
/// turned into the plan.
pub(crate) fn make_plan(
    mut sources: Vec<(String, Meta)>,
    existing: &HashMap<String, Meta>,
    source_of: impl Fn(&str) -> String,
    destination_of: impl Fn(&str) -> String,
    opts: &TransferOptions,
) -> Vec<PlannedFile> {
    sources.sort_by(|a, b| a.0.cmp(&b.0));
    sources
        .into_iter()
        .map(|(rel, meta)| PlannedFile {
            source: source_of(&rel),
            destination: destination_of(&rel),
            size: meta.size,
            action: decide(&meta, existing.get(&rel), opts),
            relative: rel,
        })
        .collect()
}

/// A store key under `base` (`rel` empty: `base` itself).
pub(crate) fn store_key(base: &str, rel: &str) -> String {
    let base = base.trim_matches('/');
    match (base.is_empty() || base == ".", rel.is_empty()) {
        (_, true) => base.to_owned(),
        (true, false) => rel.to_owned(),
        (false, false) => format!("{base}/{rel}"),
    }
}

/// A local path under `base` (`rel` empty: `base` itself).
pub(crate) fn local_path(base: &Path, rel: &str) -> PathBuf {
    let mut p = base.to_path_buf();
    for seg in rel.split('/').filter(|s| !s.is_empty()) {
        p.push(seg);
    }
    p
}

/// The local path a download writes the store file `rel` to, below `base`: every segment of
/// the key must be one plain file name on this platform, so no key can name a path outside
/// `base` (on Windows `C:`, a device name like `aux`, or a name Windows would change).
///
/// # Errors
/// `InvalidPath` naming the key and the segment.
pub(crate) fn download_target(base: &Path, rel: &str) -> Result<PathBuf> {
    if let Some(bad) = rel.split('/').find(|seg| !plain_file_name(seg)) {
        return Err(Error::invalid_path(
            rel,
            format!("{bad:?} is not a file name this system can hold under the download folder"),
        ));
    }
    Ok(local_path(base, rel))
}

/// Whether `segment` is one ordinary file name here (empty: the `rel` of a one-file
/// download, which is `base` itself).
fn plain_file_name(segment: &str) -> bool {
    use std::path::Component;
    if segment.is_empty() {
        return true;
    }
    let mut parts = Path::new(segment).components();
    let one_normal = matches!(parts.next(), Some(Component::Normal(_))) && parts.next().is_none();
    one_normal && (!cfg!(windows) || windows_file_name(segment))
}

/// Windows' own rules: no drive or stream colon, none of `<>"|?*\`, no trailing dot or
/// space (Windows strips them), and no device name (`CON`, `aux.txt`, `COM1`...).
fn windows_file_name(segment: &str) -> bool {
    const DEVICES: [&str; 4] = ["CON", "PRN", "AUX", "NUL"];
    let stem = segment.split('.').next().unwrap_or("").trim_end();
    let upper = stem.to_ascii_uppercase();
    let device = DEVICES.contains(&upper.as_str())
        || ((upper.starts_with("COM") || upper.starts_with("LPT"))
            && upper.len() == 4
            && upper.as_bytes()[3].is_ascii_digit());
    !device
        && !segment.ends_with(['.', ' '])
        && !segment.contains([':', '<', '>', '"', '|', '?', '*', '\\'])
        && !segment.chars().any(char::is_control)
}

/// Paths relative to `base` of store files listed under it.
pub(crate) fn relative_to(base: &str, key: &RemotePath) -> String {
    let base = base.trim_matches('/');
    if base.is_empty() || base == "." {
        return key.as_str().to_owned();
    }
    key.as_str()
        .strip_prefix(base)
        .and_then(|r| r.strip_prefix('/'))
        .unwrap_or(key.as_str())
        .to_owned()
}

/// Every regular file under `root` (recursively, symlinks not followed, temp files of
/// interrupted downloads skipped), with `/`-separated relative paths.
///
/// # Errors
/// The walk's I/O errors; `InvalidPath` for a name that is not UTF-8.
pub(crate) fn walk_local(root: &Path) -> Result<Vec<(String, Meta)>> {
    let mut out = Vec::new();
    let mut stack = vec![(root.to_path_buf(), String::new())];
    while let Some((dir, rel)) = stack.pop() {
        let entries = std::fs::read_dir(&dir).map_err(|e| io_error(e, &dir))?;
        for entry in entries {
            let entry = entry.map_err(|e| io_error(e, &dir))?;
            let name = entry.file_name();
            let Some(name) = name.to_str() else {
                return Err(Error::invalid_path(
                    entry.path().display().to_string(),
                    "the file name is not UTF-8",
                ));
            };
            if name.starts_with(TEMP_PREFIX) {
                continue;
            }
            let child = if rel.is_empty() {
                name.to_owned()
            } else {
                format!("{rel}/{name}")
            };
            let ft = entry.file_type().map_err(|e| io_error(e, &entry.path()))?;
            if ft.is_dir() {
                stack.push((entry.path(), child));
            } else if ft.is_file() {
                let len = entry
                    .metadata()
                    .map_err(|e| io_error(e, &entry.path()))?
                    .len();
                out.push((child, Meta::local(len)));
            }
        }
    }
    Ok(out)
}

/// What lies at a local path (links followed): a regular file (its size), a directory,
/// something else (a device, FIFO or socket), or nothing.
pub(crate) enum LocalKind {
    File(u64),
    Dir,
    Special,
    Missing,
}

pub(crate) fn local_kind(path: &Path) -> Result<LocalKind> {
    match std::fs::metadata(path) {
        Ok(m) if m.is_dir() => Ok(LocalKind::Dir),
        Ok(m) if m.is_file() => Ok(LocalKind::File(m.len())),
        Ok(_) => Ok(LocalKind::Special),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(LocalKind::Missing),
        Err(e) => Err(io_error(e, path)),
    }
}

/// An upload source that is neither a regular file nor a folder: `/dev/zero` never ends,
/// a FIFO waits for a writer.
pub(crate) fn special_source(path: &Path) -> Error {
    Error::invalid_argument(format!(
        "{} is not a regular file (a device, FIFO or socket): only regular files and folders \
         are uploaded",
        path.display()
    ))
}

/// The destination side of a download: of the files `rels` the download will write below
/// `path` (a directory), those already there — looked up one by one, links followed as the
/// writes follow them, so nothing else below `path` (an unreadable folder, a name that is
/// not UTF-8) is read — or the file at `path`.
pub(crate) fn local_existing<'r>(
    path: &Path,
    tree: bool,
    rels: impl IntoIterator<Item = &'r str>,
) -> Result<HashMap<String, Meta>> {
    Ok(match local_kind(path)? {
        LocalKind::Missing => HashMap::new(),
        LocalKind::File(len) if !tree => HashMap::from([(String::new(), Meta::local(len))]),
        LocalKind::Dir if tree => {
            let mut out = HashMap::new();
            for rel in rels {
                // A key no file here can be named after fails at its own write.
                let Ok(at) = download_target(path, rel) else {
                    continue;
                };
                match std::fs::metadata(&at) {
                    Ok(m) if m.is_file() => {
                        out.insert(rel.to_owned(), Meta::local(m.len()));
                    }
                    // A folder or a device in the way: the write says so.
                    Ok(_) => {}
                    Err(e)
                        if matches!(
                            e.kind(),
                            std::io::ErrorKind::NotFound | std::io::ErrorKind::NotADirectory
                        ) => {}
                    Err(e) => return Err(io_error(e, &at)),
                }
            }
            out
        }
        LocalKind::File(_) => {
            return Err(Error::invalid_path(
                path.display().to_string(),
                "a file is in the way of the destination folder",
            ));
        }
        LocalKind::Dir => {
            return Err(Error::invalid_path(
                path.display().to_string(),
                "a folder is in the way of the destination file",
            ));
        }
        LocalKind::Special => {
            return Err(Error::invalid_path(
                path.display().to_string(),
                "not a regular file (a device, FIFO or socket) is in the way of the destination",
            ));
        }
    })
}

/// An I/O error on a local path, as a store error naming it.
pub(crate) fn io_error(e: std::io::Error, path: &Path) -> Error {
    use std::io::ErrorKind as K;
    let shown = path.display().to_string();
    match e.kind() {
        K::NotFound => Error::not_found(shown).with_source(e),
        K::AlreadyExists => Error::already_exists(shown).with_source(e),
        K::PermissionDenied => Error::new(ErrorKind::PermissionDenied)
            .with_path(shown)
            .with_source(e),
        K::NotADirectory => Error::invalid_path(
            shown,
            "a file is in the way: a parent of this path is a file",
        )
        .with_source(e),
        K::IsADirectory => Error::invalid_path(shown, "is a folder").with_source(e),
        _ => Error::from_io(e).with_path(shown),
    }
}

/// Whether `e`, from the listing or probe of a store destination, says only that nothing is
/// there (its folder is absent, or vanished while being listed): not that the container
/// is missing.
pub(crate) fn is_absent(e: &Error) -> bool {
    e.kind() == ErrorKind::NotFound && !e.is_container_not_found()
}

/// The error of the probe of a one-file transfer's store destination, when that
/// destination cannot be a file (a folder is there, or a file above it): said as such,
/// not as the probe (`get_file_info`) that found it.
pub(crate) fn file_destination_error(e: Error, dst: &str) -> Error {
    if e.kind() != ErrorKind::InvalidPath {
        return e;
    }
    // The probe's own reason stays in the message: "is a folder", a file above it, a link
    // that loops, a name too long.
    let why = e.message().unwrap_or("not a file path").to_owned();
    Error::invalid_path(
        dst,
        format!("the destination of a one-file transfer must be a file path: {why}"),
    )
    .with_source(e)
}

/// Whether the copy of `file` may be a file onto itself and must be checked with
/// [`refuse_same_file`]: it replaces an existing destination and the store on the store
/// side (`store_name`) keeps its objects as local files.
pub(crate) fn may_be_same_file(file: &PlannedFile, store_name: &str) -> bool {
    file.action == Action::Overwrite && store_name == LOCAL_BACKEND
}

/// The name the local backend reports (`Store::name`).
const LOCAL_BACKEND: &str = "local";

/// Refuses to copy a local file onto itself, or onto another name of it (a hard link):
/// written in place (`atomic(false)`), the destination is truncated before the source is
/// read, and the file would be lost. `native` is the other side's local path, from
/// `native_path` of a local store.
///
/// # Errors
/// `InvalidArgument` naming both sides when they are one file.
pub(crate) fn refuse_same_file(
    native: Result<String>,
    local: &Path,
    file: &PlannedFile,
) -> Result<()> {
    let Ok(native) = native else { return Ok(()) };
    let (Ok(a), Ok(b)) = (std::fs::metadata(&native), std::fs::metadata(local)) else {
        return Ok(());
    };
    if !same_inode(&a, &b) {
        return Ok(());
    }
    Err(Error::invalid_argument(format!(
        "{:?} and {:?} are the same file ({}): a copy onto itself would destroy it",
        file.source,
        file.destination,
        local.display()
    )))
}

/// Whether two files' metadata name the same file (device and inode).
#[cfg(unix)]
fn same_inode(a: &std::fs::Metadata, b: &std::fs::Metadata) -> bool {
    use std::os::unix::fs::MetadataExt;
    a.dev() == b.dev() && a.ino() == b.ino()
}

/// The local backend is Unix only, so no store path is ever a local file here.
#[cfg(not(unix))]
fn same_inode(_: &std::fs::Metadata, _: &std::fs::Metadata) -> bool {
    false
}

/// The error of a file stopped by the transfer's cancel flag
/// ([`TransferOptions::cancel_on`]); its source marks it for [`is_cancelled`].
pub(crate) fn cancelled() -> Error {
    Error::new(ErrorKind::Other)
        .with_message("cancelled: the transfer's cancel flag was set")
        .with_source(Cancelled)
}

/// The source of [`cancelled`] errors: a type, so they are told apart without reading text.
#[derive(Debug)]
struct Cancelled;

impl fmt::Display for Cancelled {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("the transfer's cancel flag was set")
    }
}

impl std::error::Error for Cancelled {}

/// Whether `error` is the failure of a file that the transfer's cancel flag
/// ([`TransferOptions::cancel_on`]) stopped, or kept from starting — so a tool can count
/// such files as not copied instead of reporting each as an error.
///
/// ```
/// use remote_store_core::Error;
/// use remote_store_transfer::is_cancelled;
///
/// assert!(!is_cancelled(&Error::not_found("a.txt")));
/// ```
pub fn is_cancelled(error: &Error) -> bool {
    std::error::Error::source(error).is_some_and(|s| s.is::<Cancelled>())
}

/// Whether the cancel flag's error is anywhere in the causes of `error`: a file stopped by
/// the flag fails with whatever its store made of the reader's error (often the flag's own
/// error back, sometimes wrapped). Only such an error is reported as the cancellation; any
/// other failure of a file in flight when the flag was set keeps its own error.
pub(crate) fn caused_by_cancel(error: &Error) -> bool {
    fn walk(error: &(dyn std::error::Error + 'static)) -> bool {
        if error.is::<Cancelled>() {
            return true;
        }
        // An `io::Error` reports its inner error's source, skipping the inner error.
        if let Some(inner) = error
            .downcast_ref::<std::io::Error>()
            .and_then(std::io::Error::get_ref)
            && walk(inner)
        {
            return true;
        }
        error.source().is_some_and(walk)
    }
    walk(error)
}

/// A not-found source.
pub(crate) fn missing_source(what: &str) -> Error {
    Error::not_found(what.to_owned()).with_message("the transfer source does not exist")
}

/// A source named as a folder (`src/`) where there is only a file.
pub(crate) fn file_not_folder(what: &str) -> Error {
    Error::not_found(what.to_owned()).with_message(
        "no folder of this name, only a file: name it without the trailing `/` to transfer \
         the file",
    )
}

/// The bytes the plan will move.
pub(crate) fn bytes_to_copy(plan: &[PlannedFile]) -> u64 {
    plan.iter()
        .filter(|f| f.action.copies())
        .map(|f| f.size)
        .sum()
}

/// The tracker of a run over `plan`.
pub(crate) fn tracker(plan: &[PlannedFile], opts: &TransferOptions) -> Tracker {
    Tracker::new(
        opts.progress.clone(),
        opts.cancel.clone(),
        plan.len() as u64,
        bytes_to_copy(plan),
    )
}

/// A dry run's report: the plan, nothing done.
pub(crate) fn dry_report(plan: Vec<PlannedFile>, opts: &TransferOptions) -> TransferReport {
    let tracker = tracker(&plan, opts);
    let files = plan
        .into_iter()
        .map(|file| FileReport {
            status: match file.action {
                Action::Skip(r) => FileStatus::Skipped(r),
                _ => FileStatus::Planned,
            },
            file,
        })
        .collect();
    TransferReport {
        files,
        dry_run: true,
        totals: tracker.finished(),
    }
}

/// One file's outcome in the run, before it is reported.
pub(crate) type Done = Result<FileStatus>;

/// Turns run outcomes into the report.
pub(crate) fn report(
    plan: Vec<PlannedFile>,
    results: Vec<Option<Done>>,
    tracker: &Tracker,
) -> TransferReport {
    let files = plan
        .into_iter()
        .zip(results)
        .map(|(file, r)| FileReport {
            file,
            status: match r {
                Some(Ok(s)) => s,
                Some(Err(e)) => FileStatus::Failed(e),
                None => FileStatus::NotRun,
            },
        })
        .collect();
    TransferReport {
        files,
        dry_run: false,
        totals: tracker.finished(),
    }
}

/// The part of a file's run both halves share: skips and conflicts need no I/O.
/// `None` means "copy it".
pub(crate) fn without_io(file: &PlannedFile) -> Option<Done> {
    match file.action {
        Action::Skip(r) => Some(Ok(FileStatus::Skipped(r))),
        Action::Conflict => Some(Err(Error::already_exists(file.destination.clone())
            .with_message("the destination exists (IfExists::Fail)"))),
        Action::Create | Action::Overwrite => None,
    }
}

/// Reports a finished file to the tracker and passes its outcome on.
pub(crate) fn finish(tracker: &Tracker, file: &PlannedFile, done: Done) -> Done {
    use crate::progress::FileOutcome;
    match &done {
        Ok(FileStatus::Copied { .. }) => tracker.file_finished(&file.relative, FileOutcome::Copied),
        Ok(_) => tracker.file_finished(&file.relative, FileOutcome::Skipped),
        Err(e) => tracker.file_finished(&file.relative, FileOutcome::Failed(e)),
    }
    done
}

/// Counts the bytes of one file into the tracker and, when verifying, hashes them. Both
/// halves wrap their reader or stream in it (the `Read` and `Stream` impls live in the
/// half's module).
pub(crate) struct Meter<'t, R> {
    pub(crate) inner: R,
    pub(crate) tracker: &'t Tracker,
    pub(crate) file: &'t str,
    pub(crate) hasher: Option<Hasher>,
    pub(crate) bytes: u64,
}

impl<'t, R> Meter<'t, R> {
    pub(crate) fn new(
        inner: R,
        tracker: &'t Tracker,
        file: &'t str,
        verify: Option<ChecksumAlgorithm>,
    ) -> Self {
        Meter {
            inner,
            tracker,
            file,
            hasher: verify.map(Hasher::new),
            bytes: 0,
        }
    }

    pub(crate) fn saw(&mut self, chunk: &[u8]) {
        self.bytes += chunk.len() as u64;
        if let Some(h) = &mut self.hasher {
            h.update(chunk);
        }
        self.tracker.bytes(self.file, chunk.len() as u64);
    }

    pub(crate) fn digest(&self) -> Option<ContentDigest> {
        self.hasher.as_ref().map(Hasher::digest)
    }
}

/// The status of a copied file after an optional verification: `actual` is the digest of
/// the destination read back (`None` when not verifying).
pub(crate) fn copied(
    bytes: u64,
    source: Option<ContentDigest>,
    actual: Option<ContentDigest>,
    destination: &str,
) -> Done {
    if let (Some(expected), Some(actual)) = (&source, &actual)
        && !same_digest(expected, actual)
    {
        return Err(crate::integrity::mismatch(destination, expected, actual));
    }
    Ok(FileStatus::Copied {
        bytes,
        digest: source,
    })
}

/// Whether a source path is spelled as a folder (`logs/`): its tree is meant, also where
/// the store holds a file of the same name (an object store can hold both `logs` and
/// `logs/x`).
pub(crate) fn is_folder_spelling(p: &str) -> bool {
    p.ends_with('/')
}

/// A store path as the listings return it (`""` for the root).
///
/// # Errors
/// `InvalidPath` for a malformed path.
pub(crate) fn normalize(p: &str) -> Result<String> {
    let t = p.trim_matches('/');
    if t.is_empty() || t == "." {
        return Ok(String::new());
    }
    Ok(RemotePath::new(t)?.as_str().to_owned())
}

/// The bytes a blocking copy moves at once. Files up to this size are also moved whole:
/// an upload reads the local file in one call and writes it as one body, a download
/// collects the body and writes the local file in one call (both halves), so at most
/// `files_in_flight × CHUNK` bytes are held. A ranged download gathers each part into
/// writes of this size: `parts_in_flight × CHUNK` (plus one network frame per part) per
/// file.
pub(crate) const CHUNK: usize = 256 * 1024;

/// The buffer to reserve for the first [`CHUNK`] of a download whose planned size is
/// `size`: one byte more than the file (so that seeing its end needs no regrowth), at most
/// a chunk.
pub(crate) fn chunk_hint(size: u64) -> usize {
    usize::try_from(size.saturating_add(1)).map_or(CHUNK, |n| n.min(CHUNK))
}

/// The parent folder of a local target (`.` for a bare file name).
pub(crate) fn parent_of(target: &Path) -> PathBuf {
    match target.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

/// A temp file (`.~tmp.*`) in `dir`, beside the target it will be renamed to; deleted when
/// dropped unless persisted.
///
/// # Errors
/// The file system's error, naming `dir`.
pub(crate) fn temp_beside(dir: &Path) -> Result<tempfile::NamedTempFile> {
    let mut builder = tempfile::Builder::new();
    builder.prefix(TEMP_PREFIX);
    // The mode a plain create gets (`0o666` less the umask), not the temp file's private
    // `0o600`: the temp file becomes the downloaded file.
    #[cfg(unix)]
    builder.permissions(std::os::unix::fs::PermissionsExt::from_mode(0o666));
    builder.tempfile_in(dir).map_err(|e| io_error(e, dir))
}

/// Reads a file that was planned as small (at most [`CHUNK`]) whole, or `None` when it has
/// grown past one chunk since it was listed: the caller then streams it, so memory stays
/// bounded whatever the file became.
///
/// # Errors
/// The file system's errors, naming the path.
pub(crate) fn read_small(path: &Path) -> Result<Option<Vec<u8>>> {
    use std::io::Read as _;
    let file = std::fs::File::open(path).map_err(|e| io_error(e, path))?;
    let mut data = Vec::new();
    file.take(CHUNK as u64 + 1)
        .read_to_end(&mut data)
        .map_err(|e| io_error(e, path))?;
    Ok((data.len() <= CHUNK).then_some(data))
}

/// Writes a whole (small) downloaded file at `target` in one go: creates its folder, then
/// either writes a temp file beside it and renames it into place (`atomic`; without
/// `overwrite` the rename refuses an existing file) or writes the target directly. The
/// async half runs this as one blocking task, so a small file costs one hop to the
/// blocking pool instead of one per file-system call.
///
/// # Errors
/// The file system's errors, naming the path.
pub(crate) fn write_local(
    target: &Path,
    bytes: &[u8],
    atomic: bool,
    overwrite: bool,
    check: &WrittenCheck,
) -> Result<()> {
    use std::io::Write as _;
    let parent = parent_of(target);
    std::fs::create_dir_all(&parent).map_err(|e| io_error(e, &parent))?;
    if atomic {
        let mut temp = temp_beside(&parent)?;
        temp.as_file_mut()
            .write_all(bytes)
            .map_err(|e| io_error(e, target))?;
        let temp = temp.into_temp_path();
        check.run(&temp)?;
        persist(temp, target, overwrite)?;
    } else {
        let mut out = open_in_place(overwrite)
            .open(target)
            .map_err(|e| io_error(e, target))?;
        out.write_all(bytes).map_err(|e| io_error(e, target))?;
        check.run(target)?;
    }
    Ok(())
}

/// What a verified download checks on the file it wrote, before that file replaces the
/// target (an atomic download's temp file) so that a mismatch leaves the old file in
/// place: the file's digest against the digest of the bytes received.
pub(crate) struct WrittenCheck {
    /// The algorithm and the digest of the bytes received (`None`: not verifying).
    expected: Option<(ChecksumAlgorithm, ContentDigest)>,
    /// The destination as the report names it.
    destination: String,
}

impl WrittenCheck {
    pub(crate) fn new(
        verify: Option<ChecksumAlgorithm>,
        received: Option<ContentDigest>,
        destination: &str,
    ) -> Self {
        WrittenCheck {
            expected: verify.zip(received),
            destination: destination.to_owned(),
        }
    }

    /// Reads `written` back and compares its digest.
    ///
    /// # Errors
    /// The read's I/O errors; a digest mismatch naming the destination.
    pub(crate) fn run(&self, written: &Path) -> Result<()> {
        let Some((algorithm, expected)) = &self.expected else {
            return Ok(());
        };
        let actual = local_digest(written, *algorithm)?;
        if same_digest(expected, &actual) {
            Ok(())
        } else {
            Err(crate::integrity::mismatch(
                &self.destination,
                expected,
                &actual,
            ))
        }
    }
}

/// Renames a finished temp file onto `target`, replacing a file there with `overwrite`,
/// else refusing one (`AlreadyExists`). On failure the temp file is deleted.
///
/// # Errors
/// The rename's error, naming `target`.
pub(crate) fn persist(temp: tempfile::TempPath, target: &Path, overwrite: bool) -> Result<()> {
    let persisted = if overwrite {
        keep_permissions(&temp, target);
        temp.persist(target)
    } else {
        temp.persist_noclobber(target)
    };
    persisted.map_err(|e| io_error(e.error, target))
}

/// Gives the temp file that is about to replace `target` the replaced file's permission
/// bits (a `0600` file must not come back readable by everyone), as the local backend's
/// own replacements do. Best effort: a target that is missing, or whose bits cannot be
/// read or set, leaves the temp file's (`0666` less the umask).
fn keep_permissions(temp: &Path, target: &Path) {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        // Through a link, as the file a reader opens by the name.
        if let Ok(old) = std::fs::metadata(target)
            && old.is_file()
        {
            let bits = old.permissions().mode() & 0o777;
            let _ = std::fs::set_permissions(temp, std::fs::Permissions::from_mode(bits));
        }
    }
    #[cfg(not(unix))]
    let _ = (temp, target);
}

/// Whether a download of `file` may go in ranged parts: the store (asked through
/// `supports`) has native ranged reads and evaluates read conditions with the read (so a
/// part read `if_match` the pinned etag cannot splice in another version), the platform
/// has positional writes, and the planned size and `opts` want parts ([`wants_ranged`]).
pub(crate) fn may_range(
    file: &PlannedFile,
    opts: &TransferOptions,
    supports: impl Fn(Capability) -> bool,
) -> bool {
    POSITIONAL_WRITES
        && supports(Capability::RangeRead)
        && supports(Capability::ConditionalRead)
        && wants_ranged(file.size, opts)
}

/// How a download that is not atomic opens its target: truncated, created if `overwrite`
/// (an existing file is replaced in place), else created new (an existing file is
/// `AlreadyExists`). The async half converts it with `tokio::fs::OpenOptions::from`.
pub(crate) fn open_in_place(overwrite: bool) -> std::fs::OpenOptions {
    let mut options = std::fs::OpenOptions::new();
    options
        .write(true)
        .truncate(true)
        .create(overwrite)
        .create_new(!overwrite);
    options
}

/// Whether this platform has positional writes ([`write_at`]), which ranged downloads need.
pub(crate) const POSITIONAL_WRITES: bool = cfg!(any(unix, windows));

/// Writes all of `buf` at `offset` in `file`, without moving a shared cursor, so several
/// parts of one download can be written at once through one handle (Unix `pwrite`,
/// Windows `WriteFile` with an offset).
///
/// # Errors
/// The write's I/O error (`Unsupported` where the platform has no positional writes).
pub(crate) fn write_at(file: &std::fs::File, buf: &[u8], offset: u64) -> std::io::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileExt as _;
        file.write_all_at(buf, offset)
    }
    #[cfg(windows)]
    {
        use std::os::windows::fs::FileExt as _;
        let (mut buf, mut offset) = (buf, offset);
        while !buf.is_empty() {
            match file.seek_write(buf, offset) {
                Ok(0) => return Err(std::io::ErrorKind::WriteZero.into()),
                Ok(n) => {
                    buf = &buf[n..];
                    offset += n as u64;
                }
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        Ok(())
    }
    #[cfg(not(any(unix, windows)))]
    {
        let _ = (file, buf, offset);
        Err(std::io::ErrorKind::Unsupported.into())
    }
}

/// Whether a file of `size` bytes is downloaded in ranged parts with `opts`: parts in
/// flight above 1, atomic (parts written in place would leave a full-size target with
/// gaps after a failure, which `SkipIfSame` takes for the object), no verification (its
/// digest is computed in stream order), and at least two parts' worth of bytes.
pub(crate) fn wants_ranged(size: u64, opts: &TransferOptions) -> bool {
    opts.parts_in_flight > 1
        && opts.atomic
        && opts.verify.is_none()
        && size >= part_size(opts).saturating_mul(2)
}

/// The part size of a ranged download: [`TransferOptions::part_size`], at least one
/// chunk, also when the public field was set directly past the builder's minimum.
pub(crate) fn part_size(opts: &TransferOptions) -> u64 {
    opts.part_size.max(CHUNK as u64)
}

/// The byte ranges of a ranged download of `size` bytes in parts of `part_size` (the last
/// one shorter), in order.
pub(crate) fn part_ranges(size: u64, part_size: u64) -> Vec<Range<u64>> {
    let part_size = part_size.max(1);
    let mut out = Vec::with_capacity(usize::try_from(size.div_ceil(part_size)).unwrap_or(0));
    let mut start = 0;
    while start < size {
        let end = start.saturating_add(part_size).min(size);
        out.push(start..end);
        start = end;
    }
    out
}

/// The version a ranged download is pinned to: the etag every part is read `if_match`,
/// and the whole size.
pub(crate) struct Pinned {
    pub(crate) etag: String,
    pub(crate) size: u64,
}

impl Pinned {
    /// The pin for a file whose info is `info`, if it has an etag and is big enough to be
    /// worth parts with `opts`.
    pub(crate) fn of(info: &FileInfo, opts: &TransferOptions) -> Option<Pinned> {
        let etag = info.etag.clone()?;
        wants_ranged(info.size, opts).then_some(Pinned {
            etag,
            size: info.size,
        })
    }

    /// The read of `range`, conditioned on the pinned etag.
    pub(crate) fn read_options(&self, range: Range<u64>) -> ReadOptions {
        ReadOptions::new().range(range).if_match(self.etag.clone())
    }
}

/// A part's read error as the file's: a failed `if_match` means the object was replaced
/// after the download began.
pub(crate) fn part_error(source: &str, e: Error) -> Error {
    if e.kind() == ErrorKind::PreconditionFailed {
        changed(
            source,
            "its etag no longer matches the one the download started with",
        )
        .with_source(e)
    } else {
        e
    }
}

/// The error of a file whose object changed while it was downloaded in parts.
pub(crate) fn changed(source: &str, why: impl fmt::Display) -> Error {
    Error::precondition_failed(
        source,
        format!("the object changed during the download ({why})"),
    )
}

/// Checks that a part delivered exactly the bytes of its range: `got` bytes for `range`.
///
/// # Errors
/// [`changed`] when the part was shorter or longer than asked (the object was replaced by
/// one of another size, or the service ignored the range).
pub(crate) fn part_complete(source: &str, range: &Range<u64>, got: u64) -> Result<()> {
    let want = range.end - range.start;
    if got == want {
        Ok(())
    } else {
        Err(changed(
            source,
            format!(
                "bytes {}..{} returned {got} bytes instead of {want}",
                range.start, range.end
            ),
        ))
    }
}

/// The first error among the outcomes of a ranged download's parts (a part not run is no
/// error: another one failed first, or the run stopped).
pub(crate) fn first_part_error(results: Vec<Option<Result<()>>>) -> Result<()> {
    results.into_iter().flatten().collect()
}

/// The digest of a local file, streamed.
///
/// # Errors
/// The file's I/O errors.
pub(crate) fn local_digest(path: &Path, algorithm: ChecksumAlgorithm) -> Result<ContentDigest> {
    use std::io::Read as _;
    let mut file = std::fs::File::open(path).map_err(|e| io_error(e, path))?;
    let mut hasher = Hasher::new(algorithm);
    let mut buf = vec![0u8; CHUNK];
    loop {
        let n = file.read(&mut buf).map_err(|e| io_error(e, path))?;
        if n == 0 {
            return Ok(hasher.finish());
        }
        hasher.update(&buf[..n]);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Download targets are plain names below the folder on every platform, and Windows'
    /// own rules are checked (here too, so they are tested on Linux).
    #[test]
    fn download_targets_stay_below_the_folder() {
        let base = Path::new("/t");
        assert_eq!(
            download_target(base, "a/b.txt").unwrap(),
            Path::new("/t/a/b.txt")
        );
        assert_eq!(download_target(base, "").unwrap(), Path::new("/t"));
        assert!(download_target(base, "a/../b").is_err());
        assert!(download_target(base, "a/./b").is_err());
        for ok in ["a.txt", "cone.d", "console", "COM10", ".hidden"] {
            assert!(windows_file_name(ok), "{ok}");
        }
        for bad in [
            "C:", "a:b", "aux", "AUX.txt", "con.d", "nul ", "com1", "LPT9.log", "x.", "x ", "a\\b",
            "q?",
        ] {
            assert!(!windows_file_name(bad), "{bad}");
        }
    }

    /// A written file whose digest does not match the bytes received never replaces the
    /// target (atomic); a matching one does.
    #[test]
    fn a_verified_download_checks_before_it_replaces() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("t.txt");
        std::fs::write(&target, "old").unwrap();
        let alg = ChecksumAlgorithm::Sha256;
        let good = local_digest(&target, alg).unwrap(); // the digest of "old"
        let bad = WrittenCheck::new(Some(alg), Some(good.clone()), "t.txt");
        let e = write_local(&target, b"new", true, true, &bad).unwrap_err();
        assert!(e.to_string().contains("digest mismatch"), "{e}");
        assert_eq!(std::fs::read(&target).unwrap(), b"old", "left as it was");
        assert_eq!(
            std::fs::read_dir(dir.path()).unwrap().count(),
            1,
            "no temp file left"
        );
        let ok = WrittenCheck::new(Some(alg), Some(good), "t.txt");
        write_local(&target, b"old", true, true, &ok).unwrap();
        let off = WrittenCheck::new(None, None, "t.txt");
        write_local(&target, b"new", true, true, &off).unwrap();
        assert_eq!(std::fs::read(&target).unwrap(), b"new");
    }

    #[test]
    fn chunk_hint_is_the_file_and_one_byte_at_most_a_chunk() {
        assert_eq!(chunk_hint(0), 1);
        assert_eq!(chunk_hint(64 * 1024), 64 * 1024 + 1);
        assert_eq!(chunk_hint(CHUNK as u64 - 1), CHUNK);
        assert_eq!(chunk_hint(CHUNK as u64), CHUNK);
        assert_eq!(chunk_hint(u64::MAX), CHUNK);
    }

    fn meta(size: u64, digest: Option<&str>, etag: Option<&str>) -> Meta {
        Meta {
            size,
            digest: digest.map(|v| ContentDigest {
                algorithm: "md5".into(),
                value: v.into(),
            }),
            etag: etag.map(str::to_owned),
        }
    }

    #[test]
    fn skip_if_same_compares_size_then_digest_then_opt_in_etag() {
        assert!(looks_same(
            &meta(3, None, None),
            &meta(3, None, None),
            false
        ));
        assert!(!looks_same(
            &meta(3, None, None),
            &meta(4, None, None),
            false
        ));
        assert!(!looks_same(
            &meta(3, Some("aa"), None),
            &meta(3, Some("bb"), None),
            false
        ));
        assert!(looks_same(
            &meta(3, Some("aa"), None),
            &meta(3, None, None),
            false
        ));
        assert!(looks_same(
            &meta(3, None, Some("\"x\"")),
            &meta(3, None, Some("y")),
            false
        ));
        assert!(!looks_same(
            &meta(3, None, Some("\"x\"")),
            &meta(3, None, Some("y")),
            true
        ));
        assert!(looks_same(
            &meta(3, None, Some("\"x\"")),
            &meta(3, None, Some("x")),
            true
        ));
    }

    #[test]
    fn decide_follows_the_policy() {
        let m = meta(1, None, None);
        let other = meta(2, None, None);
        let with = |p| TransferOptions::new().if_exists(p);
        assert_eq!(decide(&m, None, &with(IfExists::Fail)), Action::Create);
        assert_eq!(
            decide(&m, Some(&m), &with(IfExists::Fail)),
            Action::Conflict
        );
        assert_eq!(
            decide(&m, Some(&m), &with(IfExists::Overwrite)),
            Action::Overwrite
        );
        assert_eq!(
            decide(&m, Some(&other), &with(IfExists::Skip)),
            Action::Skip(SkipReason::Exists)
        );
        assert_eq!(
            decide(&m, Some(&m), &with(IfExists::SkipIfSame)),
            Action::Skip(SkipReason::Same)
        );
        assert_eq!(
            decide(&m, Some(&other), &with(IfExists::SkipIfSame)),
            Action::Overwrite
        );
    }

    #[test]
    fn parts_cover_the_file_in_order() {
        assert_eq!(part_ranges(0, 4), Vec::<Range<u64>>::new());
        assert_eq!(part_ranges(8, 4), vec![0..4, 4..8]);
        assert_eq!(part_ranges(10, 4), vec![0..4, 4..8, 8..10]);
        let parts = part_ranges((20 << 20) + 3, 1 << 20);
        assert_eq!(parts.len(), 21);
        assert!(parts.windows(2).all(|w| w[0].end == w[1].start));
        assert_eq!(parts.last().unwrap(), &((20 << 20)..(20 << 20) + 3));
    }

    #[test]
    fn ranged_only_for_big_unverified_files_with_parts_in_flight() {
        let opts = TransferOptions::new().part_size(1 << 20);
        assert!(wants_ranged(2 << 20, &opts));
        assert!(!wants_ranged((2 << 20) - 1, &opts));
        assert!(!wants_ranged(
            64 << 20,
            &opts.clone().verify(ChecksumAlgorithm::Sha256)
        ));
        assert!(!wants_ranged(64 << 20, &opts.clone().parts_in_flight(1)));
        assert!(!wants_ranged(64 << 20, &opts.clone().atomic(false)));
        assert_eq!(TransferOptions::new().parts_in_flight(0).parts_in_flight, 1);
        assert_eq!(TransferOptions::new().part_size(1).part_size, CHUNK as u64);
        // The public field set directly below the minimum is still read as one chunk.
        let mut tiny = TransferOptions::new();
        tiny.part_size = 0;
        assert_eq!(part_size(&tiny), CHUNK as u64);
        assert!(!wants_ranged(1 << 10, &tiny), "not 1,024 parts of one byte");
        let defaults = TransferOptions::new();
        assert_eq!(
            (defaults.parts_in_flight, defaults.part_size),
            (DEFAULT_PARTS_IN_FLIGHT, DEFAULT_PART_SIZE)
        );
        assert!(!wants_ranged(DEFAULT_PART_SIZE, &defaults));
        assert!(wants_ranged(2 * DEFAULT_PART_SIZE, &defaults));
        let big = PlannedFile {
            source: "a".into(),
            destination: "b".into(),
            relative: String::new(),
            size: 4 << 20,
            action: Action::Create,
        };
        let both = |c| matches!(c, Capability::RangeRead | Capability::ConditionalRead);
        assert_eq!(may_range(&big, &opts, both), POSITIONAL_WRITES);
        assert!(!may_range(&big, &opts, |c| c == Capability::RangeRead));
        assert!(!may_range(&big, &opts, |c| c == Capability::ConditionalRead));
        assert!(!may_range(&big, &opts.clone().parts_in_flight(1), both));
    }

    #[test]
    fn a_pin_needs_an_etag_and_a_big_file() {
        let opts = TransferOptions::new().part_size(1 << 20);
        let info = |size, etag: Option<&str>| {
            FileInfo::new(RemotePath::new("a").unwrap(), size, None)
                .with_etag(etag.map(str::to_owned))
        };
        let pinned = Pinned::of(&info(4 << 20, Some("\"e1\"")), &opts).unwrap();
        assert_eq!((pinned.etag.as_str(), pinned.size), ("\"e1\"", 4 << 20));
        let read = pinned.read_options(5..9);
        assert_eq!(read.range, Some(5..9));
        assert_eq!(read.if_match.as_deref(), Some("\"e1\""));
        assert!(Pinned::of(&info(4 << 20, None), &opts).is_none());
        assert!(Pinned::of(&info(1 << 20, Some("e")), &opts).is_none());
    }

    #[test]
    fn a_changed_object_is_named_and_parts_must_be_whole() {
        let stale = Error::precondition_failed("big.bin", "if_match e1 but the etag is e2");
        let e = part_error("big.bin", stale);
        assert_eq!(e.kind(), ErrorKind::PreconditionFailed);
        assert_eq!(e.path(), Some("big.bin"));
        assert!(
            e.to_string()
                .contains("the object changed during the download"),
            "{e}"
        );
        let other = part_error("big.bin", Error::not_found("big.bin"));
        assert_eq!(other.kind(), ErrorKind::NotFound);
        assert!(part_complete("big.bin", &(4..8), 4).is_ok());
        let short = part_complete("big.bin", &(4..8), 3).unwrap_err();
        assert!(
            short.to_string().contains("returned 3 bytes instead of 4"),
            "{short}"
        );
        assert!(part_complete("big.bin", &(4..8), 5).is_err());
        assert!(first_part_error(vec![Some(Ok(())), None]).is_ok());
        assert_eq!(
            first_part_error(vec![Some(Ok(())), Some(Err(short)), None])
                .unwrap_err()
                .kind(),
            ErrorKind::PreconditionFailed
        );
    }

    #[cfg(any(unix, windows))]
    #[test]
    fn positional_writes_land_at_their_offsets_in_any_order() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("parts.bin");
        std::fs::write(&path, b"old content that is longer than the new one").unwrap();
        let file = open_in_place(true).open(&path).unwrap();
        file.set_len(8).unwrap();
        write_at(&file, b"efgh", 4).unwrap();
        write_at(&file, b"abcd", 0).unwrap();
        drop(file);
        assert_eq!(std::fs::read(&path).unwrap(), b"abcdefgh");
        let refused = open_in_place(false).open(&path).unwrap_err();
        assert_eq!(refused.kind(), std::io::ErrorKind::AlreadyExists);
    }

    #[test]
    fn keys_and_local_paths_join() {
        assert_eq!(store_key("", "a/b"), "a/b");
        assert_eq!(store_key(".", "a"), "a");
        assert_eq!(store_key("x/y/", "a"), "x/y/a");
        assert_eq!(store_key("x", ""), "x");
        assert_eq!(
            local_path(Path::new("/t"), "a/b.txt"),
            Path::new("/t").join("a").join("b.txt")
        );
        assert_eq!(local_path(Path::new("/t/f"), ""), Path::new("/t/f"));
        let key = RemotePath::new("x/y/a/b").unwrap();
        assert_eq!(relative_to("x/y", &key), "a/b");
        assert_eq!(relative_to("", &key), "x/y/a/b");
    }
}
