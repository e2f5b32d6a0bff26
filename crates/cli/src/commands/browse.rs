//! Commands that look: `ls`, `stat`, `cat`, `du`, `hashsum`, `ping`.

use std::io::{self, Write};
use std::time::Instant;

use remote_store::{Entry, Error, ErrorKind, FileInfo};
use serde::Serialize;

use super::{Ctx, time};
use crate::cli::{HashsumArgs, LsArgs};
use crate::exit::{Failure, Outcome};
use crate::location::Location;
use crate::progress::Progress;
use crate::tree::{self, TreeFile};

/// One line of `ls`.
#[derive(Debug, Serialize)]
struct Row {
    path: String,
    #[serde(rename = "type")]
    kind: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    size: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    modified: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    etag: Option<String>,
}

impl Row {
    fn file(path: String, info: &FileInfo) -> Self {
        Row {
            path,
            kind: "file",
            size: Some(info.size),
            modified: time(info.modified),
            etag: info.etag.clone(),
        }
    }

    fn folder(path: String) -> Self {
        Row {
            path,
            kind: "folder",
            size: None,
            modified: None,
            etag: None,
        }
    }
}

/// `ls`: a folder's children (every file below with `-r`), or a file.
pub(super) fn ls(ctx: &mut Ctx, args: &LsArgs) -> Outcome {
    let loc = ctx.resolve(&args.location)?;
    let mut rows = Vec::new();
    if !loc.dir_hint && loc.is_file()? {
        let info = loc
            .store
            .get_file_info(&loc.key)
            .map_err(|e| loc.context(e))?;
        rows.push(Row::file(loc.name().to_owned(), &info));
    } else {
        must_be_folder(&loc)?;
        if args.recursive {
            for f in tree::folder(&loc)?.files {
                rows.push(Row::file(f.rel, &f.info));
            }
        } else {
            let children = loc
                .store
                .iter_children(&loc.key)
                .map_err(|e| loc.context(e))?;
            for entry in children {
                let entry = entry.map_err(|e| loc.context(e))?;
                let rel = tree::relative(&loc.key, entry.path().as_str());
                rows.push(match &entry {
                    Entry::File(info) => Row::file(rel, info),
                    Entry::Folder(_) => Row::folder(rel),
                });
            }
            rows.sort_by(|a, b| a.path.cmp(&b.path));
        }
    }
    if ctx.json {
        return ctx.print_json(&rows);
    }
    let mut out = io::BufWriter::new(io::stdout().lock());
    for row in &rows {
        let slash = if row.kind == "folder" { "/" } else { "" };
        if args.long {
            let size = row.size.map_or_else(|| "-".to_owned(), |s| s.to_string());
            let modified = row.modified.as_deref().unwrap_or("-");
            writeln!(out, "{size:>12}  {modified:<20}  {}{slash}", row.path)?;
        } else {
            writeln!(out, "{}{slash}", row.path)?;
        }
    }
    out.flush()?;
    Ok(())
}

/// `NotFound` unless `loc` is an existing folder (the root is, when it exists at all).
fn must_be_folder(loc: &Location) -> Outcome {
    let exists = if loc.key.is_empty() {
        loc.root_exists()
    } else {
        loc.store.is_folder(&loc.key).map_err(|e| loc.context(e))?
    };
    if exists {
        Ok(())
    } else {
        Err(loc.context(Error::not_found(loc.key.clone())).into())
    }
}

/// What `stat` reports.
#[derive(Debug, Serialize)]
struct Stat {
    path: String,
    #[serde(rename = "type")]
    kind: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    size: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    files: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    modified: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    etag: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    version_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    content_type: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    digest: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    metadata: Vec<(String, String)>,
}

/// `stat`: facts about a file, or the totals of a folder.
pub(super) fn stat(ctx: &mut Ctx, text: &str) -> Outcome {
    let loc = ctx.resolve(text)?;
    let stat = if !loc.dir_hint && loc.is_file()? {
        let info = loc
            .store
            .get_file_info(&loc.key)
            .map_err(|e| loc.context(e))?;
        Stat {
            path: loc.shown(),
            kind: "file",
            size: Some(info.size),
            files: None,
            modified: time(info.modified),
            etag: info.etag,
            version_id: info.version_id,
            content_type: info.content_type,
            digest: info.digest.map(|d| format!("{}:{}", d.algorithm, d.value)),
            metadata: info
                .metadata
                .map(|m| m.into_inner().into_iter().collect())
                .unwrap_or_default(),
        }
    } else {
        must_be_folder(&loc)?;
        let info = loc
            .store
            .get_folder_info(&loc.key)
            .map_err(|e| loc.context(e))?;
        Stat {
            path: loc.shown(),
            kind: "folder",
            size: Some(info.total_size),
            files: Some(info.file_count),
            modified: time(info.modified),
            etag: None,
            version_id: None,
            content_type: None,
            digest: None,
            metadata: Vec::new(),
        }
    };
    if ctx.json {
        return ctx.print_json(&stat);
    }
    let mut out = io::stdout().lock();
    writeln!(out, "path:         {}", stat.path)?;
    writeln!(out, "type:         {}", stat.kind)?;
    let fields = [
        ("size:        ", stat.size.map(|s| s.to_string())),
        ("files:       ", stat.files.map(|s| s.to_string())),
        ("modified:    ", stat.modified),
        ("etag:        ", stat.etag),
        ("version:     ", stat.version_id),
        ("content-type:", stat.content_type),
        ("digest:      ", stat.digest),
    ];
    for (label, value) in fields {
        if let Some(value) = value {
            writeln!(out, "{label} {value}")?;
        }
    }
    for (k, v) in &stat.metadata {
        writeln!(out, "metadata:     {k}={v}")?;
    }
    Ok(())
}

/// `cat`: each file's bytes to stdout, streamed.
pub(super) fn cat(ctx: &mut Ctx, texts: &[String]) -> Outcome {
    let mut out = io::stdout().lock();
    let (_, failed) = super::each_location(texts, |text| {
        let loc = ctx.resolve(text)?;
        let mut reader = loc.store.read(&loc.key).map_err(|e| loc.context(e))?;
        copy_out(&mut reader, &mut out, &loc)
    })?;
    out.flush()?;
    Failure::of_batch(texts.len(), &failed)
}

/// Copies a store reader to a local writer, telling a read error (the store's, with its
/// path) from a write error (stdout's: a closed pipe ends the run quietly).
pub(super) fn copy_out(
    reader: &mut dyn io::Read,
    out: &mut dyn Write,
    loc: &Location,
) -> Outcome<u64> {
    let mut buf = vec![0u8; 256 * 1024];
    let mut total = 0u64;
    loop {
        let n = match reader.read(&mut buf) {
            Ok(0) => return Ok(total),
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => {
                let e = Error::from_io(e).with_path(loc.key.clone());
                return Err(loc.context(e).into());
            }
        };
        out.write_all(&buf[..n])?;
        total += n as u64;
    }
}

/// One line of `du`.
#[derive(Debug, Serialize)]
struct Usage {
    path: String,
    files: u64,
    bytes: u64,
}

/// `du`: files and bytes below each location.
pub(super) fn du(ctx: &mut Ctx, texts: &[String]) -> Outcome {
    let (rows, failed) = super::each_location(texts, |text| {
        let loc = ctx.resolve(text)?;
        let (files, bytes) = if !loc.dir_hint && loc.is_file()? {
            let info = loc
                .store
                .get_file_info(&loc.key)
                .map_err(|e| loc.context(e))?;
            (1, info.size)
        } else {
            must_be_folder(&loc)?;
            let info = loc
                .store
                .get_folder_info(&loc.key)
                .map_err(|e| loc.context(e))?;
            (info.file_count, info.total_size)
        };
        Ok(Usage {
            path: loc.shown(),
            files,
            bytes,
        })
    })?;
    if ctx.json {
        ctx.print_json(&rows)?;
        return Failure::of_batch(texts.len(), &failed);
    }
    let mut out = io::stdout().lock();
    for row in &rows {
        writeln!(
            out,
            "{:>8} files  {:>14} bytes  {}",
            row.files, row.bytes, row.path
        )?;
    }
    Failure::of_batch(texts.len(), &failed)
}

/// One line of `hashsum`.
#[derive(Debug, Serialize)]
struct Sum {
    path: String,
    algorithm: &'static str,
    digest: String,
}

/// `hashsum`: a digest of every file (below each folder), `sha256sum` style.
pub(super) fn hashsum(ctx: &mut Ctx, args: &HashsumArgs) -> Outcome {
    let (listed, mut failed) = super::each_location(&args.locations, |text| {
        let loc = ctx.resolve(text)?;
        let files = tree::list(&loc)?.files;
        Ok((loc, files))
    })?;
    let jobs: Vec<(Location, TreeFile)> = listed
        .into_iter()
        .flat_map(|(loc, files)| files.into_iter().map(move |f| (loc.clone(), f)))
        .collect();
    let bytes = jobs.iter().map(|(_, f)| f.info.size).sum();
    let progress = ctx.bars(jobs.len(), bytes);
    let results = tree::parallel(&jobs, ctx.transfers, |(loc, file)| {
        let key = file.info.path.as_str();
        let r = tree::digest(loc, key, args.algo, &progress, file.info.size);
        progress.file_done();
        r
    });
    progress.finish();
    let mut sums = Vec::new();
    // Locations that failed whole, then files that failed.
    let total = failed.len() + jobs.len();
    for ((loc, file), result) in jobs.iter().zip(results) {
        match result {
            Ok(digest) => sums.push(Sum {
                path: loc.show(file.info.path.as_str()),
                algorithm: args.algo.name(),
                digest,
            }),
            Err(e) => {
                Ctx::report(&progress, &e);
                failed.push(e.kind());
            }
        }
    }
    if ctx.json {
        ctx.print_json(&sums)?;
    } else {
        let mut out = io::stdout().lock();
        for sum in &sums {
            writeln!(out, "{}  {}", sum.digest, sum.path)?;
        }
    }
    Failure::of_batch(total, &failed)
}

/// One line of `ping`.
#[derive(Debug, Serialize)]
pub(super) struct Ping {
    /// The store (a location or a configured name).
    pub(super) store: String,
    /// True when it answered.
    pub(super) ok: bool,
    /// Milliseconds to the answer.
    pub(super) ms: u64,
    /// The error, when it did not answer.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) error: Option<String>,
}

/// Pings each of `stores` (label, store) on `--transfers` threads, prints one line per
/// store, and returns the kinds of the failures.
pub(super) fn ping_all(
    ctx: &Ctx,
    stores: &[(String, Result<Location, Error>)],
) -> Outcome<Vec<ErrorKind>> {
    let progress = Progress::hidden();
    let results = tree::parallel(stores, ctx.transfers, |(label, loc)| {
        let start = Instant::now();
        let (error, kind) = match loc {
            // A local store answers a ping without its root folder; that folder missing is
            // a typo'd `root`, which every listing then reports as not found.
            Ok(loc) if !loc.root_exists() => {
                let e = loc.context(
                    Error::not_found("").with_message("the store's root folder does not exist"),
                );
                (Some(e.to_string()), Some(e.kind()))
            }
            Ok(loc) => match loc.store.ping() {
                Ok(()) => (None, None),
                Err(e) => {
                    // A ping is about the whole store: name it even when the backend's
                    // error names no path (SFTP's does not), or `config check` over
                    // several stores could not tell them apart.
                    let e = if e.path().is_none() {
                        e.with_path("")
                    } else {
                        e
                    };
                    let e = loc.context(e);
                    (Some(e.to_string()), Some(e.kind()))
                }
            },
            Err(e) => (Some(e.to_string()), Some(e.kind())),
        };
        let ms = u64::try_from(start.elapsed().as_millis()).unwrap_or(u64::MAX);
        let ping = Ping {
            store: label.clone(),
            ok: error.is_none(),
            ms,
            error,
        };
        (ping, kind)
    });
    let failed: Vec<ErrorKind> = results.iter().filter_map(|(_, kind)| *kind).collect();
    let results: Vec<Ping> = results.into_iter().map(|(p, _)| p).collect();
    if ctx.json {
        ctx.print_json(&results)?;
    } else {
        let mut out = io::stdout().lock();
        for p in &results {
            match &p.error {
                None => writeln!(out, "ok    {}  ({} ms)", p.store, p.ms)?,
                Some(e) => {
                    writeln!(out, "FAIL  {}", p.store)?;
                    progress.suspend(|| eprintln!("rstore: {e}"));
                }
            }
        }
    }
    Ok(failed)
}

/// `ping`: the cheapest read-only request to each location's store.
pub(super) fn ping(ctx: &mut Ctx, texts: &[String]) -> Outcome {
    let mut stores = Vec::new();
    for text in texts {
        // Labelled as written, but a URL without its query: it may hold a credential.
        let label = crate::location::redacted(text);
        stores.push((label, ctx.resolver.resolve(text)));
    }
    let failed = ping_all(ctx, &stores)?;
    Failure::of_batch(stores.len(), &failed)
}
