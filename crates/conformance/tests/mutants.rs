//! The suite can fail: each test wraps the memory backend in a shim that breaks one rule of
//! the contract and checks that the cases guarding that rule fail, in the sync half and in
//! the async half (through `SyncBackendAdapter`), while the run goes on.

use std::io::Read;
use std::ops::Range;
use std::time::Duration;

use bytes::Bytes;
use remote_store_async::{AsyncStore, SyncBackendAdapter};
use remote_store_conformance::{
    DeviationOutcome, Features, Report, case_names, run_async, run_sync,
};
use remote_store_core::{
    CapabilitySet, CopyOptions, DeleteFolderOptions, DeleteOptions, Error, FileInfo, FolderInfo,
    ListOptions, MoveOptions, RemotePath, Result, WriteMode, WriteOptions, WriteResult,
};
use remote_store_memory::MemoryBackend;
use remote_store_sync::{
    Backend, Content, EntryIter, FileIter, FolderIter, Reader, SeekReader, Store,
};

/// One broken rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Bug {
    /// None: the shim is transparent.
    None,
    /// `overwrite = false` replaces an existing file.
    OverwriteIgnored,
    /// `delete` of a folder removes it recursively.
    DeleteRemovesFolders,
    /// Non-recursive `delete_folder` removes a non-empty folder.
    DeleteFolderIgnoresRecursive,
    /// Returned paths carry an extra prefix (a backend leaking its own root prefix).
    PathsWithRootPrefix,
    /// A missing file reads as an empty stream.
    MissingReadsAsEmpty,
    /// A failing source leaves a partial file behind an atomic write.
    PartialAtomicWrite,
    /// Folder info counts only direct files.
    ShallowFolderInfo,
    /// `ping` hangs.
    HangingPing,
    /// `list_folders` panics.
    PanickingListFolders,
}

#[derive(Debug)]
struct Mutant {
    inner: MemoryBackend,
    bug: Bug,
}

const LEAK: &str = "leaked-prefix";

impl Mutant {
    fn leak(&self, p: RemotePath) -> RemotePath {
        if self.bug == Bug::PathsWithRootPrefix {
            RemotePath::new(&format!("{LEAK}/{}", p.as_str())).expect("valid")
        } else {
            p
        }
    }

    fn leak_file(&self, f: FileInfo) -> FileInfo {
        let p = self.leak(f.path.clone());
        f.with_path(p)
    }

    fn write_mode(
        &self,
        path: &RemotePath,
        content: Content<'_>,
        mode: WriteMode,
        opts: &WriteOptions,
    ) -> Result<WriteResult> {
        let atomic = mode.is_atomic();
        let mut opts = opts.clone();
        if self.bug == Bug::OverwriteIgnored {
            opts.overwrite = true;
        }
        if atomic && self.bug == Bug::PartialAtomicWrite {
            let mut reader = content.into_reader();
            let mut got = Vec::new();
            let mut buf = [0u8; 4096];
            loop {
                match reader.read(&mut buf) {
                    Ok(0) => break,
                    Ok(n) => got.extend_from_slice(&buf[..n]),
                    Err(e) => {
                        let partial = Content::Bytes(Bytes::from(got));
                        let overwrite = opts.clone().overwrite(true);
                        let _ = self
                            .inner
                            .write(path, partial, WriteMode::Direct, &overwrite);
                        return Err(Error::from_io(e));
                    }
                }
            }
            return self
                .inner
                .write(path, Content::Bytes(got.into()), mode, &opts);
        }
        let mut result = self.inner.write(path, content, mode, &opts)?;
        result.path = self.leak(result.path);
        Ok(result)
    }
}

impl Backend for Mutant {
    fn name(&self) -> &'static str {
        "mutant"
    }
    fn capabilities(&self) -> CapabilitySet {
        self.inner.capabilities()
    }
    fn exists(&self, path: &RemotePath) -> Result<bool> {
        self.inner.exists(path)
    }
    fn is_file(&self, path: &RemotePath) -> Result<bool> {
        self.inner.is_file(path)
    }
    fn is_folder(&self, path: &RemotePath) -> Result<bool> {
        self.inner.is_folder(path)
    }
    fn read(&self, path: &RemotePath) -> Result<Reader> {
        match self.inner.read(path) {
            Err(_) if self.bug == Bug::MissingReadsAsEmpty => Ok(Box::new(std::io::empty())),
            other => other,
        }
    }
    fn read_bytes(&self, path: &RemotePath) -> Result<Bytes> {
        match self.inner.read_bytes(path) {
            Err(_) if self.bug == Bug::MissingReadsAsEmpty => Ok(Bytes::new()),
            other => other,
        }
    }
    fn read_range(&self, path: &RemotePath, range: Range<u64>) -> Result<Reader> {
        self.inner.read_range(path, range)
    }
    fn read_seekable(&self, path: &RemotePath) -> Result<SeekReader> {
        self.inner.read_seekable(path)
    }
    fn write(
        &self,
        path: &RemotePath,
        content: Content<'_>,
        mode: WriteMode,
        opts: &WriteOptions,
    ) -> Result<WriteResult> {
        self.write_mode(path, content, mode, opts)
    }
    fn delete(&self, path: &RemotePath, opts: &DeleteOptions) -> Result<()> {
        if self.bug == Bug::DeleteRemovesFolders && self.inner.is_folder(path)? {
            let all = DeleteFolderOptions::new()
                .recursive(true)
                .missing_ok(opts.missing_ok);
            return self.inner.delete_folder(path, &all);
        }
        self.inner.delete(path, opts)
    }
    fn delete_folder(&self, path: &RemotePath, opts: &DeleteFolderOptions) -> Result<()> {
        let mut opts = *opts;
        opts.recursive |= self.bug == Bug::DeleteFolderIgnoresRecursive;
        self.inner.delete_folder(path, &opts)
    }
    fn list_files(&self, path: &RemotePath, opts: &ListOptions) -> FileIter {
        let leak = self.bug == Bug::PathsWithRootPrefix;
        Box::new(self.inner.list_files(path, opts).map(move |r| {
            r.map(|f| {
                if leak {
                    let p = RemotePath::new(&format!("{LEAK}/{}", f.path.as_str())).expect("valid");
                    f.with_path(p)
                } else {
                    f
                }
            })
        }))
    }
    fn list_folders(&self, path: &RemotePath) -> FolderIter {
        assert!(
            self.bug != Bug::PanickingListFolders,
            "list_folders exploded"
        );
        self.inner.list_folders(path)
    }
    fn iter_children(&self, path: &RemotePath) -> EntryIter {
        self.inner.iter_children(path)
    }
    fn get_file_info(&self, path: &RemotePath) -> Result<FileInfo> {
        self.inner.get_file_info(path).map(|f| self.leak_file(f))
    }
    fn get_folder_info(&self, path: &RemotePath) -> Result<FolderInfo> {
        if self.bug == Bug::ShallowFolderInfo && !self.inner.is_file(path)? {
            let mut info = FolderInfo::new(path.clone());
            for f in self.inner.list_files(path, &ListOptions::new()) {
                info.add(&f?);
            }
            return Ok(info);
        }
        self.inner.get_folder_info(path)
    }
    fn copy_file(&self, src: &RemotePath, dst: &RemotePath, opts: &CopyOptions) -> Result<()> {
        let mut opts = *opts;
        opts.overwrite |= self.bug == Bug::OverwriteIgnored;
        self.inner.copy_file(src, dst, &opts)
    }
    fn move_file(&self, src: &RemotePath, dst: &RemotePath, opts: &MoveOptions) -> Result<()> {
        let mut opts = *opts;
        opts.overwrite |= self.bug == Bug::OverwriteIgnored;
        self.inner.move_file(src, dst, &opts)
    }
    fn ping(&self) -> Result<()> {
        if self.bug == Bug::HangingPing {
            std::thread::sleep(Duration::from_secs(5));
        }
        self.inner.ping()
    }
    fn native_path(&self, key: &RemotePath) -> Result<String> {
        self.inner.native_path(key)
    }
    fn to_key(&self, native: &str) -> Result<RemotePath> {
        self.inner.to_key(native)
    }
}

fn features() -> Features {
    Features::hierarchical()
        .empty_folders_persist(false)
        .big_writes(false)
        .large_listing(50)
        .case_timeout(Duration::from_secs(2))
}

fn sync_report(bug: Bug) -> Report {
    run_sync(&format!("mutant {bug:?}/sync"), features(), move || {
        Store::new(
            Mutant {
                inner: MemoryBackend::new(),
                bug,
            },
            "",
        )
        .expect("root")
    })
}

fn async_report(bug: Bug) -> Report {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(run_async(
        &format!("mutant {bug:?}/async"),
        features(),
        move || async move {
            let mutant = Mutant {
                inner: MemoryBackend::new(),
                bug,
            };
            AsyncStore::new(SyncBackendAdapter::new(mutant), "").expect("root")
        },
    ))
}

/// Both halves must report each of `cases` as failed (and may report more).
fn assert_caught(bug: Bug, cases: &[&str]) {
    for report in [sync_report(bug), async_report(bug)] {
        println!("{report}");
        assert!(
            report.ran >= 100,
            "{}: only {} ran",
            report.cell,
            report.ran
        );
        let failed: Vec<&str> = report.failures.iter().map(|(c, _)| c.as_str()).collect();
        for case in cases {
            assert!(
                failed.contains(case),
                "{}: {case} did not fail; failures: {failed:?}",
                report.cell
            );
        }
        assert!(
            report.passed > report.ran / 2,
            "{}: the other cases still run and pass",
            report.cell
        );
    }
}

#[test]
fn the_shim_itself_is_transparent() {
    for report in [sync_report(Bug::None), async_report(Bug::None)] {
        report.assert_passed(150);
    }
}

#[test]
fn overwrite_false_replacing_is_caught() {
    assert_caught(
        Bug::OverwriteIgnored,
        &[
            "write_existing_is_already_exists",
            "atomic_existing_is_already_exists",
            "paths_spellings_name_one_file",
            "child_errors_are_relative",
            "race_create_exactly_one_wins",
            "move_destination_exists",
            "copy_destination_exists",
        ],
    );
}

#[test]
fn delete_removing_a_folder_is_caught() {
    assert_caught(
        Bug::DeleteRemovesFolders,
        &["delete_folder_path_is_invalid_path"],
    );
}

#[test]
fn non_recursive_delete_folder_removing_content_is_caught() {
    assert_caught(
        Bug::DeleteFolderIgnoresRecursive,
        &["delete_folder_not_empty"],
    );
}

#[test]
fn paths_with_the_root_prefix_are_caught() {
    assert_caught(
        Bug::PathsWithRootPrefix,
        &[
            "list_files_direct",
            "list_files_recursive",
            "list_files_results_are_usable",
            "list_max_depth_1",
            "child_paths_are_relative",
            "write_creates_file",
            "file_info_path_name_size",
        ],
    );
}

#[test]
fn a_missing_file_read_as_empty_is_caught() {
    assert_caught(
        Bug::MissingReadsAsEmpty,
        &["read_missing_is_not_found", "read_under_file_is_not_found"],
    );
}

#[test]
fn a_partial_atomic_write_is_caught() {
    assert_caught(
        Bug::PartialAtomicWrite,
        &[
            "atomic_failing_source_leaves_no_target",
            "atomic_failing_source_keeps_old_content",
            "atomic_failing_source_leaves_no_temp",
        ],
    );
}

#[test]
fn a_shallow_folder_info_is_caught() {
    assert_caught(
        Bug::ShallowFolderInfo,
        &[
            "folder_info_counts_subtree",
            "root_folder_info_aggregates",
            "child_folder_info_is_scoped",
        ],
    );
}

#[test]
fn a_hang_becomes_a_timeout_failure() {
    let report = sync_report(Bug::HangingPing);
    let (_, message) = report
        .failures
        .iter()
        .find(|(c, _)| c == "identity_ping_succeeds")
        .expect("the hanging case fails");
    assert!(message.contains("timed out"), "{message}");
    assert!(report.passed > 150, "the run went on after the hang");
}

#[test]
fn a_panic_is_contained_and_located() {
    let report = sync_report(Bug::PanickingListFolders);
    let (_, message) = report
        .failures
        .iter()
        .find(|(c, _)| c == "list_folders_immediate")
        .expect("the panicking case fails");
    assert!(message.contains("list_folders exploded"), "{message}");
    assert!(
        message.contains(" (at "),
        "the failure names its source line: {message}"
    );
    assert!(report.passed > 150, "the run went on after the panic");
}

#[test]
fn deviations_are_reported_not_failed() {
    let declared = features()
        .deviation("delete_folder_not_empty", "known server bug")
        .deviation("list_files_direct", "a stale deviation");
    let report = run_sync("mutant deviation/sync", declared, || {
        let bug = Bug::DeleteFolderIgnoresRecursive;
        Store::new(
            Mutant {
                inner: MemoryBackend::new(),
                bug,
            },
            "",
        )
        .expect("root")
    });
    println!("{report}");
    assert!(
        report
            .failures
            .iter()
            .all(|(c, _)| c != "delete_folder_not_empty")
    );
    let outcome = |case: &str| {
        report
            .deviations
            .iter()
            .find(|d| d.case == case)
            .map(|d| d.outcome.clone())
            .expect("deviation reported")
    };
    assert!(matches!(
        outcome("delete_folder_not_empty"),
        DeviationOutcome::Failed(_)
    ));
    assert_eq!(
        outcome("list_files_direct"),
        DeviationOutcome::UnexpectedPass
    );
    assert_eq!(report.known_deviations(), 1);
    assert!(report.to_string().contains("known deviation: "));

    let typo = run_sync(
        "typo/sync",
        features().deviation("no_such_case", "typo"),
        || Store::new(MemoryBackend::new(), "").expect("root"),
    );
    assert!(typo.failures.iter().any(|(c, _)| c == "no_such_case"));
}

#[test]
fn case_names_are_listed() {
    let names = case_names();
    assert!(names.len() > 200, "{}", names.len());
    assert!(names.contains(&"read_seekable_seeks"));
    assert!(names.contains(&"read_large_arrives_in_chunks"));
}

#[test]
fn a_visible_secret_is_caught() {
    // "AsyncStore"/"Store" is in every store's Debug output: declared as a secret, it leaks.
    let report = run_sync("secret/sync", features().secret("Store"), || {
        Store::new(MemoryBackend::new(), "").expect("root")
    });
    let (_, message) = report
        .failures
        .iter()
        .find(|(c, _)| c == "identity_secrets_stay_hidden")
        .expect("the leak is caught");
    assert!(
        !message.contains("Store {"),
        "the message masks the secret: {message}"
    );
    let clean = run_sync("no-secret/sync", features().secret("hunter2"), || {
        Store::new(MemoryBackend::new(), "").expect("root")
    });
    assert!(clean.is_success(), "{clean}");
}

/// The failure of `case` in `report`, which must be there.
fn failure_of<'a>(report: &'a Report, case: &str) -> &'a str {
    report
        .failures
        .iter()
        .find(|(c, _)| c == case)
        .map(|(_, message)| message.as_str())
        .unwrap_or_else(|| panic!("{}: {case} did not fail: {report}", report.cell))
}

/// A missing container that answers like an empty store (what S3 did before: `exists` said
/// false, listings were empty) is caught in both halves, and so is a construction error
/// that does not say the container is missing.
#[test]
fn a_missing_container_that_looks_empty_is_caught() {
    const CASE: &str = "missing_container_is_an_error";
    let looks_empty = features()
        .missing_container_sync("no-such-bucket", || Store::new(MemoryBackend::new(), ""));
    let report = run_sync("mutant empty-container/sync", looks_empty, || {
        Store::new(MemoryBackend::new(), "").expect("root")
    });
    assert!(failure_of(&report, CASE).contains("ping"), "{report}");

    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let looks_empty = features().missing_container_async("no-such-bucket", || async {
        AsyncStore::new(SyncBackendAdapter::new(MemoryBackend::new()), "")
    });
    let report = rt.block_on(run_async(
        "mutant empty-container/async",
        looks_empty,
        || async {
            AsyncStore::new(SyncBackendAdapter::new(MemoryBackend::new()), "").expect("root")
        },
    ));
    assert!(failure_of(&report, CASE).contains("ping"), "{report}");

    // A plain NotFound at construction, not marked and not naming the container.
    let unmarked = features().missing_container_sync("no-such-root", || {
        Err(Error::not_found("").with_backend("mutant"))
    });
    let report = run_sync("mutant unmarked-container/sync", unmarked, || {
        Store::new(MemoryBackend::new(), "").expect("root")
    });
    assert!(
        failure_of(&report, CASE).contains("must be marked"),
        "{report}"
    );

    // Declaring a hook for one half only fails the other half instead of skipping it.
    let report = rt.block_on(run_async(
        "mutant sync-hook-only/async",
        features()
            .missing_container_sync("no-such-bucket", || Store::new(MemoryBackend::new(), "")),
        || async {
            AsyncStore::new(SyncBackendAdapter::new(MemoryBackend::new()), "").expect("root")
        },
    ));
    assert!(
        failure_of(&report, CASE).contains("not for this half"),
        "{report}"
    );
}

/// A backend whose missing container fails every call with the named error passes the
/// case; one without a hook skips it and says why.
#[test]
fn a_named_missing_container_passes_and_an_undeclared_one_is_skipped() {
    const CASE: &str = "missing_container_is_an_error";
    let report = run_sync("no hook/sync", features(), || {
        Store::new(MemoryBackend::new(), "").expect("root")
    });
    assert!(
        report
            .skipped
            .iter()
            .any(|(c, why)| c == CASE && why.contains("missing_container")),
        "{report}"
    );
    let refused = features().missing_container_sync("no-such-root", || {
        Err(Error::container_not_found(
            "root folder",
            "no-such-root",
            "create it",
        ))
    });
    let report = run_sync("refused at construction/sync", refused, || {
        Store::new(MemoryBackend::new(), "").expect("root")
    });
    assert!(report.failures.is_empty(), "{report}");
    assert!(!report.skipped.iter().any(|(c, _)| c == CASE), "{report}");
}
