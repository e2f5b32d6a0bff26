//! Commands that move bytes or compare them: `put`, `get`, `cp`, `mv`, `rm`, `check`,
//! `sync`.

use std::io::{self, Write};

use std::sync::Arc;

use remote_store::transfer::sync::{copy_between_with, delete_many_with};
use remote_store::transfer::{BatchOptions, FileStatus, IfExists, TransferOptions, is_cancelled};
use remote_store::{Content, DeleteFolderOptions, DeleteOptions, Error, ErrorKind};
use serde::Serialize;

use super::Ctx;
use super::browse::copy_out;
use crate::cli::{CheckArgs, CopyArgs, GetArgs, PutArgs, RmArgs, SyncArgs};
use crate::exit::{Failure, Outcome};
use crate::location::{Location, Relation};
use crate::progress::{Progress, TransferBars};
use crate::tree::{self, Compare, Tree, TreeFile};

/// Copy or move.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Mode {
    /// `cp`: the source stays.
    Copy,
    /// `mv`: the source goes.
    Move,
}

impl Mode {
    fn past(self) -> &'static str {
        match self {
            Mode::Copy => "copied",
            Mode::Move => "moved",
        }
    }
}

fn invalid(message: impl Into<String>) -> Failure {
    Error::invalid_argument(message).into()
}

/// What `cp`, `mv`, `put` and `get` report with `--json`.
#[derive(Debug, Serialize)]
struct Copied {
    files: usize,
    bytes: u64,
    failed: usize,
    /// Files not copied because Ctrl-C stopped the command (not in `failed`).
    #[serde(skip_serializing_if = "is_zero")]
    interrupted: usize,
    /// Folders a tree move left in place because they still hold entries it could not
    /// list (each named in a warning).
    #[serde(skip_serializing_if = "is_zero")]
    left_behind: usize,
}

fn is_zero(n: &usize) -> bool {
    *n == 0
}

/// `put`: a local file, or stdin (`-`), to a location.
pub(super) fn put(ctx: &mut Ctx, args: &PutArgs) -> Outcome {
    let dst = ctx.resolve(&args.dst)?;
    if args.src == "-" {
        return put_stream(ctx, &dst, io::stdin());
    }
    let path = std::path::Path::new(&args.src);
    match std::fs::metadata(path) {
        // A regular file, also through a symbolic link: the store is rooted at the
        // folder that really holds it, so a link to a file elsewhere is that file.
        Ok(meta) if meta.is_file() => {
            let real = std::fs::canonicalize(path).ok();
            let src = match real.as_deref().and_then(std::path::Path::to_str) {
                Some(real) => ctx.resolver.resolve_local(real)?,
                None => ctx.resolver.resolve_local(&args.src)?,
            };
            // Into a folder, the file keeps the name it was given, not its link target's.
            let given = path.file_name().and_then(|n| n.to_str());
            let dst = match given {
                Some(name) if folder_target(&dst)? => dst.below(name),
                _ => dst,
            };
            one_file(ctx, &src, &dst, Mode::Copy)
        }
        // A pipe, a process substitution (`<(cmd)`), a device: streamed like stdin (so,
        // like `-`, it needs a file name, not a folder, as the destination).
        Ok(meta) if !meta.is_dir() => {
            let file = std::fs::File::open(path)
                .map_err(|e| Error::from_io(e).with_path(args.src.clone()))?;
            put_stream(ctx, &dst, file)
        }
        _ => {
            let src = ctx.resolver.resolve_local(&args.src)?;
            one_file(ctx, &src, &dst, Mode::Copy)
        }
    }
}

/// `put` of a stream (stdin, a pipe) to the file `dst`.
fn put_stream(ctx: &Ctx, dst: &Location, source: impl io::Read + Send) -> Outcome {
    if folder_target(dst)? {
        return Err(invalid(format!(
            "{} is a folder: put from stdin or a pipe needs a file name",
            dst.shown()
        )));
    }
    let source = crate::interrupt::Checked(source);
    let written = tree::write(dst, &dst.key, Content::reader(source), ctx.overwrite);
    let written = single_result(ctx, Mode::Copy, written)?;
    tracing::info!(to = %dst.shown(), bytes = written, "wrote a stream");
    done(
        ctx,
        &Progress::hidden(),
        Mode::Copy,
        1,
        written,
        Tally::default(),
        false,
    )
}

/// Whether `dst` is a folder to put a file into. A missing bucket or container is no
/// folder: the write creates it where the store has `create_if_missing`, else reports it.
/// A trailing `/` says "into a folder", so it is refused where a file is (S3 and Azure
/// would otherwise write below the file, leaving a name that is both).
fn folder_target(dst: &Location) -> Outcome<bool> {
    let is_file = || match dst.is_file() {
        Err(e) if e.is_container_not_found() => Ok(false),
        other => other,
    };
    if dst.dir_hint && !dst.key.is_empty() && is_file()? {
        return Err(invalid(format!(
            "{}/ names a folder, but {} is a file: drop the trailing '/' to write to the \
             file itself (with --overwrite to replace it)",
            dst.shown(),
            dst.shown()
        )));
    }
    match dst.is_folder() {
        Err(e) if e.is_container_not_found() => Ok(false),
        other => Ok(other?),
    }
}

/// `get`: a file to a local path, or to stdout.
pub(super) fn get(ctx: &mut Ctx, args: &GetArgs) -> Outcome {
    let src = ctx.resolve(&args.src)?;
    match args.dst.as_deref() {
        None | Some("-") => {
            let mut reader = src.store.read(&src.key).map_err(|e| src.context(e))?;
            let mut out = io::stdout().lock();
            copy_out(&mut reader, &mut out, &src)?;
            out.flush()?;
            Ok(())
        }
        Some(path) => {
            let dst = ctx.resolver.resolve_local(path)?;
            one_file(ctx, &src, &dst, Mode::Copy)
        }
    }
}

/// `cp` and `mv`: one file, or a tree with `-r`.
pub(super) fn copy(ctx: &mut Ctx, args: &CopyArgs, mode: Mode) -> Outcome {
    let src = ctx.resolve(&args.src)?;
    let dst = ctx.resolve(&args.dst)?;
    let tree = tree::list(&src)?;
    if tree.single {
        return one_file(ctx, &src, &dst, mode);
    }
    if !args.recursive {
        return Err(invalid(format!("{} is a folder: use -r", src.shown())));
    }
    copy_tree(ctx, &src, &tree, &dst, mode)
}

/// The key a single file goes to: below `dst` under its own name when `dst` is a folder.
///
/// A missing bucket or container at `dst` is no folder: the write creates it where the
/// store has `create_if_missing`, else reports it.
fn file_target(src: &Location, dst: &Location) -> Outcome<String> {
    Ok(if folder_target(dst)? {
        dst.join(src.name())
    } else {
        dst.key.clone()
    })
}

/// Copies or moves the single file `src` to `dst`.
fn one_file(ctx: &Ctx, src: &Location, dst: &Location, mode: Mode) -> Outcome {
    let tree = tree::list(src)?;
    let Some(file) = tree.files.first().filter(|_| tree.single) else {
        return Err(invalid(format!("{} is a folder: use cp -r", src.shown())));
    };
    let dst_key = file_target(src, dst)?;
    if src.relation(&src.key, dst, &dst_key) == Relation::Same {
        return Err(invalid(format!(
            "{} and {} are the same file",
            src.shown(),
            dst.show(&dst_key)
        )));
    }
    let size = file.info.size;
    let progress = ctx.bars(1, size);
    let result = match mode {
        Mode::Copy => tree::copy_file(src, &src.key, dst, &dst_key, size, ctx.overwrite, &progress),
        Mode::Move => tree::move_file(src, &file.info, dst, &dst_key, ctx.overwrite, &progress),
    };
    progress.file_done();
    progress.finish();
    let bytes = single_result(ctx, mode, result)?;
    tracing::info!(from = %src.shown(), to = %dst.show(&dst_key), bytes, "{}", mode.past());
    done(ctx, &progress, mode, 1, bytes, Tally::default(), false)
}

/// The result of a copy of one file. With `--json`, one that failed or was stopped by
/// Ctrl-C still prints its summary (`failed` or `interrupted` 1), as a tree copy does, so
/// a script always gets its JSON value; the error then goes to stderr as usual.
fn single_result(ctx: &Ctx, mode: Mode, result: Result<u64, Error>) -> Outcome<u64> {
    let e = match result {
        Ok(bytes) => return Ok(bytes),
        Err(e) => e,
    };
    if ctx.json {
        let interrupted = usize::from(crate::interrupt::interrupted());
        let missed = Tally {
            failed: 1 - interrupted,
            interrupted,
            left_behind: 0,
        };
        done(ctx, &Progress::hidden(), mode, 0, 0, missed, false)?;
    }
    Err(e.into())
}

/// The summary of a copy: JSON on stdout, or a line on stderr — for a tree always (also
/// of one file), for a single file only when it did not make it.
fn done(
    ctx: &Ctx,
    progress: &Progress,
    mode: Mode,
    files: usize,
    bytes: u64,
    missed: Tally,
    tree: bool,
) -> Outcome {
    let Tally {
        failed,
        interrupted,
        left_behind,
    } = missed;
    if ctx.json {
        return ctx.print_json(&Copied {
            files,
            bytes,
            failed,
            interrupted,
            left_behind,
        });
    }
    if tree || files != 1 || failed != 0 || interrupted != 0 {
        let mut line = format!("{} {files} file(s), {bytes} bytes", mode.past());
        if failed > 0 {
            line.push_str(&format!(", {failed} failed"));
        }
        if interrupted > 0 {
            line.push_str(&format!(", {interrupted} not {}: interrupted", mode.past()));
        }
        if left_behind > 0 {
            line.push_str(&format!(
                ", {left_behind} folder(s) left in place: they hold entries the move could \
                 not list (see the warnings)"
            ));
        }
        ctx.note(progress, &line);
    }
    Ok(())
}

/// The files of a tree copy that did not make it: failed (each error reported), and
/// stopped or never started because Ctrl-C interrupted the command (not reported one by
/// one: the interrupt is the one cause).
#[derive(Debug, Clone, Copy, Default)]
struct Tally {
    failed: usize,
    interrupted: usize,
    /// Folders of a tree move left in place, holding entries the move could not list.
    left_behind: usize,
}

impl Tally {
    /// `interrupted` of the `failed` kinds were the interrupt's doing.
    fn of(failed: &[ErrorKind], interrupted: usize) -> Tally {
        Tally {
            failed: failed.len() - interrupted,
            interrupted,
            left_behind: 0,
        }
    }
}

/// Whether the copy or move that ended with `r` was stopped by Ctrl-C: a file that fails
/// once the command is interrupted was (its reader's error, whatever the store made of
/// it), as the transfer crate counts it. Any other error is reported here.
fn stopped_by_interrupt<T>(progress: &Progress, r: &Result<T, Error>) -> bool {
    let Err(e) = r else { return false };
    let stopped = crate::interrupt::interrupted();
    if !stopped {
        Ctx::report(progress, e);
    }
    stopped
}

/// Copies or moves every file of `tree` (below `src`) to the same relative path below
/// `dst`. Without `--overwrite`, files already at the destination stop the copy before
/// anything is written.
fn copy_tree(ctx: &Ctx, src: &Location, tree: &Tree, dst: &Location, mode: Mode) -> Outcome {
    match src.relation(&src.key, dst, &dst.key) {
        Relation::Same | Relation::Contains => {
            return Err(invalid(format!(
                "{} is inside {}: a tree cannot be {} into itself",
                dst.shown(),
                src.shown(),
                mode.past()
            )));
        }
        // Into a folder that holds the source, the copies land on the source's own files
        // (`t/a/a/1` onto `t/a/1`): a move would then delete what it just wrote, and an
        // overwriting copy would read files it already replaced.
        Relation::Inside if mode == Mode::Move || ctx.overwrite => {
            return Err(invalid(format!(
                "{} is inside {}: the {} would land on its own source files; move or copy it \
                 to a folder outside it",
                src.shown(),
                dst.shown(),
                if mode == Mode::Move {
                    "move"
                } else {
                    "overwriting copy"
                }
            )));
        }
        Relation::Inside | Relation::Apart => {}
    }
    let existing = existing_tree(dst, true)?;
    if !ctx.overwrite {
        let theirs = existing.by_rel();
        let clashes: Vec<&str> = tree
            .files
            .iter()
            .filter(|f| theirs.contains_key(f.rel.as_str()))
            .map(|f| f.rel.as_str())
            .collect();
        if let Some(first) = clashes.first() {
            let e = Error::already_exists(dst.join(first)).with_message(format!(
                "{} file(s) already exist below {}, nothing was copied: pass --overwrite to replace them",
                clashes.len(),
                dst.shown()
            ));
            return Err(dst.context(e).into());
        }
    }
    if mode == Mode::Copy && !src.same_store(dst) {
        match copy_tree_between(ctx, src, tree, dst) {
            // A missing destination bucket or container: the per-file writes below create
            // it where the store has `create_if_missing`, or report it.
            Err(Failure::Error(e)) if e.is_container_not_found() => {}
            other => return other,
        }
    }
    let progress = ctx.bars(tree.files.len(), tree.bytes());
    let overwrite = ctx.overwrite;
    let results = tree::parallel(&tree.files, ctx.transfers, |file| {
        let (from, to) = (file.info.path.as_str(), dst.join(&file.rel));
        let size = file.info.size;
        let r = match mode {
            Mode::Copy => tree::copy_file(src, from, dst, &to, size, overwrite, &progress),
            Mode::Move => tree::move_file(src, &file.info, dst, &to, overwrite, &progress),
        };
        progress.file_done();
        if let Ok(bytes) = &r {
            tracing::info!(from = %src.show(from), to = %dst.show(&to), bytes, "{}", mode.past());
        }
        let stopped = stopped_by_interrupt(&progress, &r);
        (r, stopped)
    });
    progress.finish();
    let bytes = results.iter().filter_map(|(r, _)| r.as_ref().ok()).sum();
    let failed: Vec<ErrorKind> = results
        .iter()
        .filter_map(|(r, _)| r.as_ref().err().map(Error::kind))
        .collect();
    let mut cleaned = Ok(0);
    if mode == Mode::Move {
        // Also after failures and Ctrl-C: the folders whose files all moved go, the ones
        // still holding a file that did not move stay (and are not reported: that file's
        // error or the interrupt already says why).
        let unmoved = tree
            .files
            .iter()
            .zip(&results)
            .filter(|(_, (r, _))| r.is_err());
        let unmoved: Vec<&str> = unmoved.map(|(f, _)| f.rel.as_str()).collect();
        cleaned = remove_emptied(src, tree, &unmoved);
    }
    let interrupted = results.iter().filter(|(_, stopped)| *stopped).count();
    let ok = results.len() - failed.len();
    let mut missed = Tally::of(&failed, interrupted);
    // A folder the clean-up could not check still says what the move did first.
    let left_behind = cleaned.as_ref().map_or(0, |n| *n);
    missed.left_behind = left_behind;
    done(ctx, &progress, mode, ok, bytes, missed, true)?;
    cleaned?;
    if failed.is_empty() && left_behind > 0 {
        // A move that leaves part of its source behind did not finish.
        return Err(Failure::Partial {
            failed: left_behind,
            total: results.len() + left_behind,
            kind: None,
        });
    }
    Failure::of_batch(results.len(), &failed)
}

/// A tree copy between two different stores, by the transfer crate's `copy_between`:
/// each file streamed from a read of one store into an atomic write of the other,
/// `--transfers` files at once, the bars fed by its progress events. Clashes were refused
/// before (without `--overwrite`), so existing files are replaced only when asked.
fn copy_tree_between(ctx: &Ctx, src: &Location, tree: &Tree, dst: &Location) -> Outcome {
    let progress = Arc::new(ctx.bars(tree.files.len(), tree.bytes()));
    let policy = if ctx.overwrite {
        IfExists::Overwrite
    } else {
        IfExists::Fail
    };
    let opts = TransferOptions::new()
        .if_exists(policy)
        .files_in_flight(ctx.transfers)
        .progress(TransferBars::new(Arc::clone(&progress)))
        .cancel_on(crate::interrupt::flag());
    // Spelled as a folder: the tree the command listed, also where the store holds a
    // file of the folder's name (an object store can hold both `a` and `a/x`).
    let folder = format!("{}/", src.key);
    let report = copy_between_with(&src.store, &folder, &dst.store, &dst.key, &opts);
    progress.finish();
    let report = report.map_err(|e| {
        if e.is_container_not_found() {
            dst.context(e)
        } else {
            src.context(e)
        }
    })?;
    let (mut bytes, mut copied, mut failed) = (0, 0, Vec::new());
    let mut interrupted = 0;
    let total = report.files.len();
    for file in report.files {
        let (from, to) = (file.file.source, file.file.destination);
        match file.status {
            FileStatus::Copied { bytes: n, .. } => {
                bytes += n;
                copied += 1;
                tracing::info!(from = %src.show(&from), to = %dst.show(&to), bytes = n, "copied");
            }
            FileStatus::Failed(e) if is_cancelled(&e) => {
                // Stopped, or never started, by Ctrl-C: counted, not reported one by one.
                interrupted += 1;
                failed.push(e.kind());
            }
            FileStatus::Failed(e) => {
                // The error names the key of the store that failed.
                let e = if e.path() == Some(to.as_str()) {
                    dst.context(e)
                } else {
                    src.context(e)
                };
                Ctx::report(&progress, &e);
                failed.push(e.kind());
            }
            _ => {}
        }
    }
    let missed = Tally::of(&failed, interrupted);
    done(ctx, &progress, Mode::Copy, copied, bytes, missed, true)?;
    Failure::of_batch(total, &failed)
}

/// The files already below the folder `dst` (none when it does not exist, also when its
/// bucket or container does not exist yet: the first write creates it where the store
/// has `create_if_missing`, else reports it).
fn existing_tree(dst: &Location, container_may_be_missing: bool) -> Outcome<Tree> {
    let found = match tree::list_if_any(dst) {
        Err(e) if container_may_be_missing && e.is_container_not_found() => None,
        other => other?,
    };
    match found {
        Some(t) if t.single => Err(invalid(format!("{} is a file, not a folder", dst.shown()))),
        Some(t) => Ok(t),
        None => Ok(Tree::default()),
    }
}

/// After a tree move: removes the folders the move emptied — the source folder and the
/// folders of the moved files, deepest first — each only if it is now empty. Never a
/// recursive delete of a file system folder: a listing leaves out what cannot be a key (a
/// local file whose name is not UTF-8, a FIFO, a broken link), and such a file was not
/// moved, so it must not be deleted either; its folder stays, with a warning. Folders are
/// taken from the moved files, not listed, so a link to a folder is never walked into.
/// Returns how many folders were left in place for that (each named in a warning).
fn remove_emptied(src: &Location, tree: &Tree, unmoved: &[&str]) -> Outcome<usize> {
    // The source folder itself, unless it is the store's root (a local folder given by its
    // path is one): that stays, the folders below it go — but not the ones holding a file
    // that did not move.
    let mut held: std::collections::HashSet<&str> =
        unmoved.iter().flat_map(|rel| ancestors(rel)).collect();
    if !unmoved.is_empty() {
        held.insert("");
    }
    let mut folders: Vec<&str> = if src.key.is_empty() { vec![] } else { vec![""] };
    folders.extend(tree.files.iter().flat_map(|f| ancestors(&f.rel)));
    folders.retain(|f| !held.contains(f));
    folders.sort_unstable();
    folders.dedup();
    // Deepest first: a folder is empty only once the folders below it are gone.
    folders.sort_by_key(|f| {
        std::cmp::Reverse(if f.is_empty() {
            0
        } else {
            f.matches('/').count() + 1
        })
    });
    // Each folder that stays keeps its parents too: only the ones holding what the move
    // left behind are named.
    let mut stayed: Vec<String> = Vec::new();
    let mut named = 0;
    for rel in folders {
        let key = src.join(rel);
        if !remove_if_empty(src, &key)? {
            let below = |k: &String| key.is_empty() || k.starts_with(&format!("{key}/"));
            if !stayed.iter().any(below) {
                named += 1;
                tracing::warn!(
                    target: "remote_store",
                    folder = %src.show(&key),
                    "a folder of the move was not removed: something the move could not \
                     list is still in it"
                );
            }
            stayed.push(key);
        }
    }
    Ok(named)
}

/// The folders above the relative path `rel`, nearest first (`a/b/c` → `a/b`, `a`).
fn ancestors(rel: &str) -> impl Iterator<Item = &str> {
    std::iter::successors(rel.rsplit_once('/').map(|(p, _)| p), |p| {
        p.rsplit_once('/').map(|(p, _)| p)
    })
}

/// Removes the folder `key` of `src` if it is empty (or gone); `false` when something is
/// left in it. Never recursive: on S3 and Azure a listing leaves out keys that cannot be
/// store paths (`a//b`, `x/../y`, a backslash, reserved temp names), so "no file listed"
/// does not mean "nothing there", and such objects must survive the move that skipped
/// them. A folder's own marker object goes with it; marker-only subfolders that held no
/// moved file stay, as empty folders do on a local disk.
fn remove_if_empty(src: &Location, key: &str) -> Outcome<bool> {
    let opts = DeleteFolderOptions::new().recursive(false).missing_ok(true);
    match src.store.delete_folder_with(key, opts) {
        Ok(()) => Ok(true),
        Err(e) if e.kind() == ErrorKind::DirectoryNotEmpty => Ok(false),
        Err(e) => Err(src.context(e).into()),
    }
}

/// `rm`: files, or folders with `-r`.
pub(super) fn rm(ctx: &mut Ctx, args: &RmArgs) -> Outcome {
    let (_, failed) = super::each_location(&args.locations, |text| {
        let mut loc = ctx.resolve(text)?;
        let plain_path = loc.is_local() && !text.contains("://");
        // A symbolic link given by its path is removed as the link, wherever it leads (the
        // store opened on its folder would refuse a link out of it): `rm` of a link never
        // touches its target.
        let trimmed = text.trim_end_matches('/');
        if plain_path
            && !trimmed.is_empty()
            && std::fs::symlink_metadata(trimmed).is_ok_and(|m| m.file_type().is_symlink())
        {
            std::fs::remove_file(trimmed)
                .map_err(|e| Error::from_io(e).with_path(trimmed.to_owned()))?;
            tracing::info!(path = %trimmed, "deleted the link");
            return Ok(());
        }
        // A local folder given by its path is the root of the store opened on it, which is
        // never deleted: it goes as an entry of its parent folder instead.
        if plain_path && loc.is_local_folder() {
            loc = ctx.resolver.resolve_local_entry(text)?;
        }
        rm_one(&loc, args.recursive, args.missing_ok)
    })?;
    Failure::of_batch(args.locations.len(), &failed)
}

fn rm_one(loc: &Location, recursive: bool, missing_ok: bool) -> Outcome {
    if loc.key.is_empty() {
        return Err(
            Error::invalid_path(loc.shown(), "refusing to delete the root of a store").into(),
        );
    }
    if !loc.dir_hint && loc.is_file()? {
        loc.store
            .delete_with(&loc.key, DeleteOptions::new().missing_ok(missing_ok))
            .map_err(|e| loc.context(e))?;
        tracing::info!(path = %loc.shown(), "deleted");
        return Ok(());
    }
    if loc.store.is_folder(&loc.key).map_err(|e| loc.context(e))? {
        if !recursive {
            return Err(invalid(format!("{} is a folder: use -r", loc.shown())));
        }
        let opts = DeleteFolderOptions::new()
            .recursive(true)
            .missing_ok(missing_ok);
        loc.store
            .delete_folder_with(&loc.key, opts)
            .map_err(|e| loc.context(e))?;
        tracing::info!(path = %loc.shown(), "deleted folder");
        return Ok(());
    }
    if missing_ok {
        Ok(())
    } else {
        Err(loc.context(Error::not_found(loc.key.clone())).into())
    }
}

/// One difference found by `check`.
#[derive(Debug, Serialize)]
struct Diff {
    path: String,
    difference: &'static str,
}

/// What `check` reports with `--json`.
#[derive(Debug, Serialize)]
struct CheckReport {
    identical: usize,
    differences: Vec<Diff>,
    errors: usize,
}

/// `check`: are the files of DST those of SRC? Missing and extra files, sizes, then
/// digests or content. Exit 1 when anything differs.
pub(super) fn check(ctx: &mut Ctx, args: &CheckArgs) -> Outcome {
    let src = ctx.resolve(&args.src)?;
    let dst = ctx.resolve(&args.dst)?;
    let ours = tree::list(&src)?;
    let theirs = if ours.single {
        let key = file_target(&src, &dst)?;
        let files = match dst.store.get_file_info(&key) {
            Ok(info) => vec![TreeFile {
                rel: String::new(),
                info,
            }],
            Err(e) if e.kind() == ErrorKind::NotFound => Vec::new(),
            Err(e) => return Err(dst.context(e).into()),
        };
        Tree {
            single: true,
            files,
        }
    } else {
        // A missing bucket is an error here, never "every file missing".
        existing_tree(&dst, false)?
    };
    let label = |rel: &str| {
        if rel.is_empty() {
            src.shown()
        } else {
            rel.to_owned()
        }
    };
    let their_files = theirs.by_rel();
    let mut differences = Vec::new();
    let mut pairs = Vec::new();
    for file in &ours.files {
        match their_files.get(file.rel.as_str()) {
            None => differences.push(Diff {
                path: label(&file.rel),
                difference: "missing",
            }),
            Some(other) => pairs.push((file, *other)),
        }
    }
    let our_files = ours.by_rel();
    for file in &theirs.files {
        if !our_files.contains_key(file.rel.as_str()) {
            differences.push(Diff {
                path: label(&file.rel),
                difference: "extra",
            });
        }
    }
    let how = if args.size_only {
        Compare::SizeOnly
    } else {
        Compare::Content(args.algo)
    };
    let bytes = pairs.iter().map(|(a, b)| a.info.size + b.info.size).sum();
    let progress = ctx.bars(pairs.len(), bytes);
    let verdicts = tree::parallel(&pairs, ctx.transfers, |(a, b)| {
        let r = tree::compare(&src, &a.info, &dst, &b.info, how, &progress);
        progress.file_done();
        if let Err(e) = &r {
            Ctx::report(&progress, e);
        }
        r
    });
    progress.finish();
    let mut identical = 0;
    let mut failed = Vec::new();
    for ((a, _), verdict) in pairs.iter().zip(verdicts) {
        match verdict {
            Ok(None) => identical += 1,
            Ok(Some(d)) => differences.push(Diff {
                path: label(&a.rel),
                difference: d.as_str(),
            }),
            Err(e) => failed.push(e.kind()),
        }
    }
    differences.sort_by(|a, b| a.path.cmp(&b.path));
    if ctx.json {
        ctx.print_json(&CheckReport {
            identical,
            differences: differences
                .iter()
                .map(|d| Diff {
                    path: d.path.clone(),
                    difference: d.difference,
                })
                .collect(),
            errors: failed.len(),
        })?;
    } else {
        let mut out = io::stdout().lock();
        for d in &differences {
            writeln!(out, "{:<8} {}", d.difference, d.path)?;
        }
        drop(out);
        ctx.note(
            &progress,
            &format!(
                "{identical} identical, {} difference(s), {} error(s)",
                differences.len(),
                failed.len()
            ),
        );
    }
    let total = ours.files.len() + theirs.files.len();
    Failure::of_batch(total, &failed)?;
    if differences.is_empty() {
        Ok(())
    } else {
        Err(Failure::Differences(differences.len()))
    }
}

/// What `sync` reports with `--json`.
#[derive(Debug, Serialize)]
struct SyncReport {
    dry_run: bool,
    copy: Vec<String>,
    update: Vec<String>,
    delete: Vec<String>,
    unchanged: usize,
    failed: usize,
    /// Copies and deletes not done because Ctrl-C stopped the command (not in `failed`).
    #[serde(skip_serializing_if = "is_zero")]
    interrupted: usize,
    /// Deletes held back because some copies failed (not in `failed`).
    #[serde(skip_serializing_if = "is_zero")]
    held_back: usize,
    /// Extra files not deleted because the source has them, below a link its listing
    /// does not follow.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    kept: Vec<String>,
}

/// Keys a `sync --delete` deletes between two looks at the interrupt flag: one S3
/// `DeleteObjects` request.
const DELETE_ROUND: usize = 1000;

/// `sync`: make DST a mirror of SRC (one way). Copies new and changed files; deletes
/// extra ones only with `--delete`, and only when every copy succeeded; `--dry-run`
/// prints the same lines and changes nothing.
pub(super) fn sync(ctx: &mut Ctx, args: &SyncArgs) -> Outcome {
    let src = ctx.resolve(&args.src)?;
    let dst = ctx.resolve(&args.dst)?;
    let ours = tree::list(&src)?;
    if ours.single {
        return Err(invalid(format!(
            "{} is a file: sync mirrors folders, use cp for a file",
            src.shown()
        )));
    }
    match src.relation(&src.key, &dst, &dst.key) {
        Relation::Same | Relation::Contains => {
            return Err(invalid(format!(
                "{} is inside {}: a tree cannot be synced into itself",
                dst.shown(),
                src.shown()
            )));
        }
        // The source's own files would be "extra" files of the mirror, and its updates land
        // on source files (`t/a/a/1` onto `t/a/1`) that later updates may still read.
        Relation::Inside => {
            return Err(invalid(format!(
                "{} is inside {}: {} would land on its own source files; sync it to a folder \
                 outside it",
                src.shown(),
                dst.shown(),
                if args.delete {
                    "sync --delete would delete the source itself, and its updates"
                } else {
                    "its updates"
                }
            )));
        }
        Relation::Apart => {}
    }
    let theirs = existing_tree(&dst, true)?;
    if args.delete && ours.files.is_empty() && !theirs.files.is_empty() {
        // A mistyped source, or a store root that does not exist, lists as empty.
        return Err(invalid(format!(
            "{} holds no files: sync --delete would delete all {} file(s) at {}; check the \
             source, or delete them with rm -r",
            src.shown(),
            theirs.files.len(),
            dst.shown()
        )));
    }
    let checksum = args.checksum.then_some(crate::cli::Algo::Sha256);
    let plan = tree::plan_sync(
        &src,
        &ours,
        &dst,
        &theirs,
        args.delete,
        checksum,
        ctx.transfers,
        &Progress::hidden(),
    )?;
    if !plan.kept.is_empty() {
        let some: Vec<&str> = plan.kept.iter().take(3).map(|f| f.rel.as_str()).collect();
        ctx.note(
            &Progress::hidden(),
            &format!(
                "{} file(s) not deleted: the listing of {} does not show them, but the source \
                 has them or cannot say it has not (they lie below a link, which listings do \
                 not follow), e.g. {}; make that a real folder at the source, or delete them \
                 with rm",
                plan.kept.len(),
                src.shown(),
                some.join(", ")
            ),
        );
    }
    let mut copied: Vec<(&'static str, &TreeFile)> = Vec::new();
    copied.extend(plan.copy.iter().map(|f| ("copy", f)));
    copied.extend(plan.update.iter().map(|f| ("update", f)));
    let mut failed = Vec::new();
    // Of the copies and deletes not done: failed (each reported) and stopped by Ctrl-C.
    let (mut reported, mut interrupted, mut held_back) = (0, 0, 0);
    let mut done_copy = Vec::new();
    let mut done_delete = Vec::new();
    if args.dry_run {
        done_copy.extend(copied.iter().map(|(what, f)| (*what, f.rel.clone())));
        done_delete.extend(plan.delete.iter().map(|f| f.rel.clone()));
    } else {
        let bytes = copied.iter().map(|(_, f)| f.info.size).sum();
        let progress = ctx.bars(copied.len(), bytes);
        let results = tree::parallel(&copied, ctx.transfers, |(what, file)| {
            let to = dst.join(&file.rel);
            let overwrite = *what == "update";
            let r = tree::copy_file(
                &src,
                file.info.path.as_str(),
                &dst,
                &to,
                file.info.size,
                overwrite,
                &progress,
            );
            progress.file_done();
            let stopped = stopped_by_interrupt(&progress, &r);
            (r, stopped)
        });
        progress.finish();
        for ((what, file), (r, stopped)) in copied.iter().zip(results) {
            match r {
                Ok(_) => done_copy.push((*what, file.rel.clone())),
                Err(e) => {
                    failed.push(e.kind());
                    interrupted += usize::from(stopped);
                    reported += usize::from(!stopped);
                }
            }
        }
        let mut deleted = 0;
        if failed.is_empty() {
            // In rounds of `DeleteObjects` size (1,000 keys a request on S3, `--transfers`
            // single deletes at once elsewhere), so that Ctrl-C stops the deletes too;
            // each file's outcome is reported.
            for round in plan.delete.chunks(DELETE_ROUND) {
                if crate::interrupt::interrupted() {
                    break;
                }
                let batch = delete_many_with(
                    &dst.store,
                    round.iter().map(|f| f.info.path.as_str()),
                    DeleteOptions::new().missing_ok(true),
                    &BatchOptions::new().concurrency(ctx.transfers),
                );
                let mut outcomes: Vec<Option<Error>> = round.iter().map(|_| None).collect();
                for (item, e) in batch.failed {
                    outcomes[item.index] = Some(e);
                }
                for (file, outcome) in round.iter().zip(outcomes) {
                    match outcome {
                        None => done_delete.push(file.rel.clone()),
                        Some(e) => {
                            let e = dst.context(e);
                            Ctx::report(&progress, &e);
                            failed.push(e.kind());
                            reported += 1;
                        }
                    }
                }
                deleted += round.len();
            }
        }
        let not_deleted = plan.delete.len() - deleted;
        if not_deleted > 0 {
            let why = if crate::interrupt::interrupted() {
                interrupted += not_deleted;
                // Counted as not done, so that the command ends as interrupted (130).
                failed.push(ErrorKind::Other);
                "interrupted"
            } else {
                held_back = not_deleted;
                "some copies failed; fix what stopped them (the errors above) and sync again"
            };
            ctx.note(
                &progress,
                &format!("{not_deleted} file(s) not deleted: {why}"),
            );
        }
    }
    if ctx.json {
        let pick = |what: &str| -> Vec<String> {
            done_copy
                .iter()
                .filter(|(w, _)| *w == what)
                .map(|(_, rel)| rel.clone())
                .collect()
        };
        ctx.print_json(&SyncReport {
            dry_run: args.dry_run,
            copy: pick("copy"),
            update: pick("update"),
            delete: done_delete.clone(),
            unchanged: plan.unchanged,
            failed: reported,
            interrupted,
            held_back,
            kept: plan.kept.iter().map(|f| f.rel.clone()).collect(),
        })?;
    } else {
        let mut out = io::stdout().lock();
        for (what, rel) in &done_copy {
            writeln!(out, "{what:<7} {rel}")?;
        }
        for rel in &done_delete {
            writeln!(out, "delete  {rel}")?;
        }
        drop(out);
        let dry = if args.dry_run {
            " (dry run: nothing changed)"
        } else {
            ""
        };
        let mut missed = String::new();
        if reported > 0 {
            missed.push_str(&format!("; {reported} failed"));
        }
        if held_back > 0 {
            missed.push_str(&format!("; {held_back} not deleted: some copies failed"));
        }
        if interrupted > 0 {
            missed.push_str(&format!("; {interrupted} not done: interrupted"));
        }
        // A dry run tells the plan; a real one what it did.
        let summary = if args.dry_run {
            format!(
                "{} to copy, {} to update, {} to delete, {} unchanged{dry}",
                plan.copy.len(),
                plan.update.len(),
                plan.delete.len(),
                plan.unchanged
            )
        } else {
            let did = |what: &str| done_copy.iter().filter(|(w, _)| *w == what).count();
            format!(
                "{} copied, {} updated, {} deleted, {} unchanged{missed}",
                did("copy"),
                did("update"),
                done_delete.len(),
                plan.unchanged
            )
        };
        ctx.note(&Progress::hidden(), &summary);
    }
    // Files kept because the source has them: the mirror is not what was asked.
    if !args.dry_run {
        failed.extend(plan.kept.iter().map(|_| ErrorKind::Other));
    }
    let total = copied.len() + plan.delete.len() + plan.kept.len();
    Failure::of_batch(total, &failed)
}
