//! Trees of files and what is done with many files at once: listing a tree, copying files
//! between any two stores, comparing two copies, planning a sync, and running a batch on
//! `--transfers` threads.
//!
//! Kept in one module over the public `Store` API so the transfer crate can replace it.

use std::collections::BTreeMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::SystemTime;

use remote_store::{
    Capability, Content, CopyOptions, DeleteOptions, Error, ErrorKind, FileInfo, ListOptions,
    MoveOptions, Result, WriteOptions,
};

use crate::cli::Algo;
use crate::hash;
use crate::location::Location;
use crate::progress::Progress;

/// One file of a tree.
#[derive(Debug, Clone)]
pub(crate) struct TreeFile {
    /// The path relative to the top of the tree; `""` when the tree is a single file.
    pub(crate) rel: String,
    /// What the store says about it.
    pub(crate) info: FileInfo,
}

/// The files of a location: the file itself, or every file below a folder.
#[derive(Debug, Clone, Default)]
pub(crate) struct Tree {
    /// The location is one file.
    pub(crate) single: bool,
    /// The files, sorted by relative path.
    pub(crate) files: Vec<TreeFile>,
}

impl Tree {
    /// Total size in bytes.
    pub(crate) fn bytes(&self) -> u64 {
        self.files.iter().map(|f| f.info.size).sum()
    }

    /// The files by relative path.
    pub(crate) fn by_rel(&self) -> BTreeMap<&str, &TreeFile> {
        self.files.iter().map(|f| (f.rel.as_str(), f)).collect()
    }
}

/// The tree at `loc`: one file, or the files below a folder.
///
/// # Errors
/// `NotFound` when `loc` is neither (and not the root); the store's errors.
pub(crate) fn list(loc: &Location) -> Result<Tree> {
    match list_if_any(loc)? {
        Some(tree) => Ok(tree),
        None => Err(loc.context(Error::not_found(loc.key.clone()))),
    }
}

/// As [`list`], but `None` for a location that does not exist.
///
/// # Errors
/// The store's errors.
pub(crate) fn list_if_any(loc: &Location) -> Result<Option<Tree>> {
    if loc.key.is_empty() && !loc.root_exists() {
        return Ok(None);
    }
    if !loc.dir_hint && loc.is_file()? {
        let info = loc
            .store
            .get_file_info(&loc.key)
            .map_err(|e| loc.context(e))?;
        return Ok(Some(Tree {
            single: true,
            files: vec![TreeFile {
                rel: String::new(),
                info,
            }],
        }));
    }
    if !loc.key.is_empty() && !loc.store.is_folder(&loc.key).map_err(|e| loc.context(e))? {
        return Ok(None);
    }
    Ok(Some(folder(loc)?))
}

/// The files below the folder `loc` (none for a missing folder).
///
/// # Errors
/// The store's errors.
pub(crate) fn folder(loc: &Location) -> Result<Tree> {
    let iter = loc
        .store
        .list_files_with(&loc.key, ListOptions::subtree())
        .map_err(|e| loc.context(e))?;
    let mut files = Vec::new();
    for info in iter {
        let info = info.map_err(|e| loc.context(e))?;
        let rel = relative(&loc.key, info.path.as_str());
        files.push(TreeFile { rel, info });
    }
    files.sort_by(|a, b| a.rel.cmp(&b.rel));
    Ok(Tree {
        single: false,
        files,
    })
}

/// `path` relative to the folder `top`.
pub(crate) fn relative(top: &str, path: &str) -> String {
    if top.is_empty() {
        return path.to_owned();
    }
    path.strip_prefix(top)
        .and_then(|p| p.strip_prefix('/'))
        .unwrap_or(path)
        .to_owned()
}

/// Runs `f` on every item on at most `workers` threads; results in item order.
pub(crate) fn parallel<T: Sync, R: Send>(
    items: &[T],
    workers: usize,
    f: impl Fn(&T) -> R + Sync,
) -> Vec<R> {
    let workers = workers.clamp(1, items.len().max(1));
    if workers == 1 {
        return items.iter().map(f).collect();
    }
    let next = AtomicUsize::new(0);
    let results: Mutex<Vec<(usize, R)>> = Mutex::new(Vec::with_capacity(items.len()));
    std::thread::scope(|s| {
        for _ in 0..workers {
            s.spawn(|| {
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let Some(item) = items.get(i) else { break };
                    let r = f(item);
                    results
                        .lock()
                        .unwrap_or_else(|e| e.into_inner())
                        .push((i, r));
                }
            });
        }
    });
    let mut results = results.into_inner().unwrap_or_else(|e| e.into_inner());
    results.sort_by_key(|(i, _)| *i);
    results.into_iter().map(|(_, r)| r).collect()
}

/// Copies the file `src_key` of `src` to `dst_key` of `dst`: the store's own copy when
/// both are on one store, else streamed (read → write, never whole in memory). Returns
/// the bytes copied.
///
/// # Errors
/// `AlreadyExists` without `overwrite`; either store's errors, with paths as the user
/// wrote them.
pub(crate) fn copy_file(
    src: &Location,
    src_key: &str,
    dst: &Location,
    dst_key: &str,
    size: u64,
    overwrite: bool,
    progress: &Progress,
) -> Result<u64> {
    // No new file starts once the tool is interrupted.
    if crate::interrupt::interrupted() {
        return Err(Error::from_io(crate::interrupt::error()));
    }
    let bar = progress.file(&src.show(src_key), size);
    if src.same_store(dst) {
        dst.store
            .copy_file_with(src_key, dst_key, CopyOptions::new().overwrite(overwrite))
            .map_err(|e| dst.context(e))?;
        bar.add(size);
        return Ok(size);
    }
    let reader = src.store.read(src_key).map_err(|e| src.context(e))?;
    let written = write(dst, dst_key, Content::reader(bar.reader(reader)), overwrite)?;
    Ok(written)
}

/// Writes `content` to `key` of `dst`, atomically where the store can (a temp file renamed
/// into place: an interrupted copy leaves no partial file, readers never see one).
/// Returns the bytes written.
///
/// # Errors
/// `AlreadyExists` without `overwrite`; the store's errors.
pub(crate) fn write(
    dst: &Location,
    key: &str,
    content: Content<'_>,
    overwrite: bool,
) -> Result<u64> {
    let opts = WriteOptions::new().overwrite(overwrite);
    let written = if dst.store.supports(Capability::AtomicWrite) {
        dst.store.write_atomic_with(key, content, opts)
    } else {
        dst.store.write_with(key, content, opts)
    };
    written.map(|w| w.size).map_err(|e| dst.context(e))
}

/// Moves the file `src_key` of `src` to `dst_key` of `dst`: the store's own move on one
/// store, else a copy then a delete of the source.
///
/// # Errors
/// As [`copy_file`]; a failed delete after the copy is reported with both paths.
pub(crate) fn move_file(
    src: &Location,
    listed: &FileInfo,
    dst: &Location,
    dst_key: &str,
    overwrite: bool,
    progress: &Progress,
) -> Result<u64> {
    let (src_key, size) = (listed.path.as_str(), listed.size);
    // No new file starts once the tool is interrupted.
    if crate::interrupt::interrupted() {
        return Err(Error::from_io(crate::interrupt::error()));
    }
    if src.same_store(dst) {
        let bar = progress.file(&src.show(src_key), size);
        src.store
            .move_file_with(src_key, dst_key, MoveOptions::new().overwrite(overwrite))
            .map_err(|e| src.context(e))?;
        bar.add(size);
        return Ok(size);
    }
    let n = copy_file(src, src_key, dst, dst_key, size, overwrite, progress)?;
    // The source is deleted only while it is still what was listed and copied: one that
    // changed meanwhile (a file still being written, an object replaced, or the destination
    // itself reached another way and just rewritten) keeps its content.
    let now = src
        .store
        .get_file_info(src_key)
        .map_err(|e| src.context(e))?;
    if n != size || !same_version(listed, &now) {
        let e = Error::new(ErrorKind::PreconditionFailed)
            .with_path(src_key)
            .with_message(format!(
                "partial move: copied to {}, but the source changed during the copy, so it \
                 was kept: compare the two and move it again",
                dst.show(dst_key)
            ));
        return Err(src.context(e));
    }
    src.store
        .delete_with(src_key, DeleteOptions::new())
        .map_err(|e| {
            let e = src.context(e);
            let message = format!(
                "partial move: copied to {} but could not delete the source ({})",
                dst.show(dst_key),
                e.message().unwrap_or(e.kind().as_str())
            );
            e.with_message(message)
        })?;
    Ok(n)
}

/// Whether `now` is still the version of a file that `then` described: the same size, and
/// the same etag, modification time (to the second, what every backend keeps) and version
/// where both report one.
fn same_version(then: &FileInfo, now: &FileInfo) -> bool {
    fn agree<T: PartialEq>(a: Option<T>, b: Option<T>) -> bool {
        a.zip(b).is_none_or(|(a, b)| a == b)
    }
    let seconds = |t: Option<SystemTime>| {
        t.and_then(|t| t.duration_since(SystemTime::UNIX_EPOCH).ok())
            .map(|d| d.as_secs())
    };
    then.size == now.size
        && agree(then.etag.as_ref(), now.etag.as_ref())
        && agree(seconds(then.modified), seconds(now.modified))
        && agree(then.version_id.as_ref(), now.version_id.as_ref())
}

/// The hex digest of the file `key` of `loc`, read in full.
///
/// # Errors
/// The store's errors.
pub(crate) fn digest(
    loc: &Location,
    key: &str,
    algo: Algo,
    progress: &Progress,
    size: u64,
) -> Result<String> {
    let bar = progress.file(&loc.show(key), size);
    let reader = loc.store.read(key).map_err(|e| loc.context(e))?;
    hash::digest(algo, bar.reader(reader))
        .map_err(|e| loc.context(Error::from_io(e).with_path(key)))
}

/// How two files are compared.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Compare {
    /// Sizes only.
    SizeOnly,
    /// Sizes, then digests the stores report, then content read with this digest.
    Content(Algo),
}

/// Why two files differ.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Difference {
    /// Their sizes differ.
    Size,
    /// Same size, different content.
    Content,
}

impl Difference {
    /// A word for reports.
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Difference::Size => "size",
            Difference::Content => "content",
        }
    }
}

/// Compares `a` (a file of `src`) with `b` (a file of `dst`): sizes first; then a digest
/// both stores report with the same algorithm (an unequal pair only when neither is
/// composite); then plain-MD5 ETags of two S3 stores
/// (equal means same; unequal is not trusted, a multipart or encrypted object has another
/// ETag); else both contents are read and digested.
///
/// # Errors
/// The stores' errors while reading.
pub(crate) fn compare(
    src: &Location,
    a: &FileInfo,
    dst: &Location,
    b: &FileInfo,
    how: Compare,
    progress: &Progress,
) -> Result<Option<Difference>> {
    if a.size != b.size {
        return Ok(Some(Difference::Size));
    }
    let Compare::Content(algo) = how else {
        return Ok(None);
    };
    if let (Some(da), Some(db)) = (&a.digest, &b.digest)
        && da.algorithm == db.algorithm
    {
        if da.value == db.value {
            return Ok(None);
        }
        // A composite digest (of part digests) differs from a whole-object one, or from
        // one of other parts, for the same content: then only the contents can tell.
        if !da.is_composite() && !db.is_composite() {
            return Ok(Some(Difference::Content));
        }
    }
    if src.store.name() == "s3"
        && dst.store.name() == "s3"
        && let (Some(ea), Some(eb)) = (md5_etag(a), md5_etag(b))
        && ea == eb
    {
        return Ok(None);
    }
    let ha = digest(src, a.path.as_str(), algo, progress, a.size)?;
    let hb = digest(dst, b.path.as_str(), algo, progress, b.size)?;
    Ok((ha != hb).then_some(Difference::Content))
}

/// True when the source time `src` is later than the copy's `dst`. Both with sub-second
/// digits (two local files): compared exactly. Else in whole seconds: S3 and Azure report
/// seconds, and an upload in the same second as the local change must not look older.
fn newer(src: Option<SystemTime>, dst: Option<SystemTime>) -> bool {
    let since = |t: SystemTime| t.duration_since(SystemTime::UNIX_EPOCH).unwrap_or_default();
    let (Some(s), Some(d)) = (src.map(since), dst.map(since)) else {
        return false;
    };
    if s.subsec_nanos() != 0 && d.subsec_nanos() != 0 {
        s > d
    } else {
        s.as_secs() > d.as_secs()
    }
}

/// The ETag when it looks like a plain MD5 (32 hex digits, quotes stripped).
fn md5_etag(info: &FileInfo) -> Option<String> {
    let etag = info.etag.as_deref()?.trim_matches('"');
    (etag.len() == 32 && etag.bytes().all(|b| b.is_ascii_hexdigit()))
        .then(|| etag.to_ascii_lowercase())
}

/// What a sync will do.
#[derive(Debug, Clone, Default)]
pub(crate) struct SyncPlan {
    /// Files only at the source: copied.
    pub(crate) copy: Vec<TreeFile>,
    /// Files at both, changed at the source: copied over.
    pub(crate) update: Vec<TreeFile>,
    /// Files only at the destination: deleted with `--delete`.
    pub(crate) delete: Vec<TreeFile>,
    /// Files only at the destination by the source's listing, which the source has all
    /// the same, or cannot say it lacks (below a link the listing does not follow): never
    /// deleted.
    pub(crate) kept: Vec<TreeFile>,
    /// Files at both, unchanged.
    pub(crate) unchanged: usize,
}

/// Plans a one-way sync of `src` onto `dst`. A file is changed when the sizes differ,
/// else (with `checksum`) when the contents differ, else when the source is newer than
/// the copy (the copy is written after the source, so an unchanged source is older).
/// Extra files at the destination are listed for deletion only when `delete` is asked.
///
/// # Errors
/// The stores' errors while comparing.
#[allow(clippy::too_many_arguments)]
pub(crate) fn plan_sync(
    src: &Location,
    src_tree: &Tree,
    dst: &Location,
    dst_tree: &Tree,
    delete: bool,
    checksum: Option<Algo>,
    workers: usize,
    progress: &Progress,
) -> Result<SyncPlan> {
    let theirs = dst_tree.by_rel();
    let mut plan = SyncPlan::default();
    let mut both = Vec::new();
    for file in &src_tree.files {
        match theirs.get(file.rel.as_str()) {
            None => plan.copy.push(file.clone()),
            Some(other) => both.push((file, *other)),
        }
    }
    let verdicts = parallel(&both, workers, |(a, b)| -> Result<bool> {
        if a.info.size != b.info.size {
            return Ok(true);
        }
        if let Some(algo) = checksum {
            let how = Compare::Content(algo);
            return Ok(compare(src, &a.info, dst, &b.info, how, progress)?.is_some());
        }
        Ok(newer(a.info.modified, b.info.modified))
    });
    for ((a, _), changed) in both.iter().zip(verdicts) {
        if changed? {
            plan.update.push((*a).clone());
        } else {
            plan.unchanged += 1;
        }
    }
    if delete {
        let ours = src_tree.by_rel();
        let extra: Vec<&TreeFile> = dst_tree
            .files
            .iter()
            .filter(|f| !ours.contains_key(f.rel.as_str()))
            .collect();
        // A local or SFTP listing leaves out what lies below a link to a folder (and says
        // so in a warning): a file missing from it may still be at the source. Each extra
        // file is looked up there before it is planned for deletion. (Object stores list
        // every key they can name, so their listing is the answer.)
        let present = if matches!(src.store.name(), "local" | "sftp") {
            parallel(&extra, workers, |f| src.store.exists(src.join(&f.rel)))
        } else {
            extra.iter().map(|_| Ok(false)).collect()
        };
        for (file, present) in extra.into_iter().zip(present) {
            // Deleted only when the source says it has no such file; an error (a link that
            // leaves the source's root, a permission) keeps it too.
            if matches!(present, Ok(false)) {
                plan.delete.push(file.clone());
            } else {
                plan.kept.push(file.clone());
            }
        }
    }
    Ok(plan)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relative_paths() {
        assert_eq!(relative("", "a/b"), "a/b");
        assert_eq!(relative("a", "a/b"), "b");
        assert_eq!(relative("a", "ab/c"), "ab/c");
    }

    #[test]
    fn newer_in_whole_seconds_unless_both_are_precise() {
        use std::time::Duration;
        let t = |secs, nanos| Some(SystemTime::UNIX_EPOCH + Duration::new(secs, nanos));
        assert!(newer(t(10, 800), t(10, 500)), "two precise times");
        assert!(
            !newer(t(10, 800), t(10, 0)),
            "the copy's time is whole seconds"
        );
        assert!(newer(t(11, 1), t(10, 0)));
        assert!(!newer(None, t(10, 0)));
    }

    #[test]
    fn parallel_keeps_the_order() {
        let items: Vec<u32> = (0..100).collect();
        let out = parallel(&items, 7, |i| i * 2);
        assert_eq!(out, items.iter().map(|i| i * 2).collect::<Vec<_>>());
        assert!(parallel(&[] as &[u32], 4, |i| *i).is_empty());
    }
}
