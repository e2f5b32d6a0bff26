//! The conformance suite over the local-directory backend, in its three cells: each half
//! natively, and the async store over the blocking backend through `SyncBackendAdapter`.
//!
//! Every case gets a fresh, empty folder of its own (created inside one temp directory
//! per cell, which is removed when the cell ends). The local backend has real folders:
//! empty folders persist, writes below a file are refused, `close` is not terminal.

#![cfg(feature = "local")]

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

use remote_store_async::{AsyncStore, SyncBackendAdapter};
use remote_store_conformance::{Features, run_async, run_sync};
use remote_store_core::Result;
use remote_store_local::{AsyncLocalBackend, LocalBackend};
use remote_store_sync::Store;

/// Every cell must run at least this many cases (and pass them all).
const MIN_CASES: usize = 100;

fn features() -> Features {
    Features::hierarchical()
}

/// Hands out a new empty folder per case below one temp directory.
struct CaseDirs {
    base: tempfile::TempDir,
    next: AtomicUsize,
}

impl CaseDirs {
    fn new() -> Self {
        CaseDirs {
            base: tempfile::tempdir().expect("a temp dir"),
            next: AtomicUsize::new(0),
        }
    }

    fn fresh(&self) -> PathBuf {
        let n = self.next.fetch_add(1, Ordering::Relaxed);
        let dir = self.base.path().join(format!("case-{n:04}"));
        std::fs::create_dir(&dir).expect("a fresh case folder");
        dir
    }

    fn base(&self) -> &Path {
        self.base.path()
    }

    /// A root folder that does not exist (and must not be created).
    fn missing(&self) -> PathBuf {
        self.base.path().join("no-such-root")
    }
}

/// The local backend refuses a missing root at construction: the missing-container case
/// checks that error (it names the root).
fn missing_root_sync(root: PathBuf) -> Features {
    let name = root.display().to_string();
    features().missing_container_sync(name, move || {
        Store::new(LocalBackend::new(root.clone())?, "")
    })
}

/// The async twin of [`missing_root_sync`]; `via_adapter` wraps the blocking backend.
fn missing_root_async(root: PathBuf, via_adapter: bool) -> Features {
    let name = root.display().to_string();
    features().missing_container_async(name, move || {
        let root = root.clone();
        async move {
            let made: Result<AsyncStore> = if via_adapter {
                AsyncStore::new(SyncBackendAdapter::new(LocalBackend::new(root)?), "")
            } else {
                AsyncStore::new(AsyncLocalBackend::new(root)?, "")
            };
            made
        }
    })
}

/// Nothing a case did may leak out of its own folder: no temp files anywhere.
fn assert_no_temp_files(base: &Path) {
    let mut stack = vec![base.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).expect("readable") {
            let entry = entry.expect("entry");
            let name = entry.file_name();
            assert!(
                !name.to_string_lossy().starts_with(".~tmp."),
                "temp file left behind: {}",
                entry.path().display()
            );
            if entry.file_type().expect("type").is_dir() {
                stack.push(entry.path());
            }
        }
    }
}

#[test]
fn local_sync_native() {
    let dirs = CaseDirs::new();
    let report = run_sync("local/sync", missing_root_sync(dirs.missing()), || {
        Store::new(LocalBackend::new(dirs.fresh()).expect("an open root"), "")
            .expect("the root is valid")
    });
    report.assert_passed(MIN_CASES);
    assert_no_temp_files(dirs.base());
    assert!(
        !dirs.missing().exists(),
        "the missing root must not be created"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn local_async_native() {
    let dirs = CaseDirs::new();
    let report = run_async(
        "local/async",
        missing_root_async(dirs.missing(), false),
        || async {
            AsyncStore::new(
                AsyncLocalBackend::new(dirs.fresh()).expect("an open root"),
                "",
            )
            .expect("the root is valid")
        },
    )
    .await;
    report.assert_passed(MIN_CASES);
    assert_no_temp_files(dirs.base());
    assert!(
        !dirs.missing().exists(),
        "the missing root must not be created"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn local_async_via_sync_backend_adapter() {
    let dirs = CaseDirs::new();
    let features = missing_root_async(dirs.missing(), true);
    let report = run_async("local/async-via-SyncBackendAdapter", features, || async {
        AsyncStore::new(
            SyncBackendAdapter::new(LocalBackend::new(dirs.fresh()).expect("an open root")),
            "",
        )
        .expect("the root is valid")
    })
    .await;
    report.assert_passed(MIN_CASES);
    assert_no_temp_files(dirs.base());
    assert!(
        !dirs.missing().exists(),
        "the missing root must not be created"
    );
}

/// The async half with small calls run inline (`inline_io_max_bytes`, ADR 0017), in two
/// cells: at the largest bound with no fsync, so that every small write (atomic ones
/// included) and every small read takes the inline path; and at a 4 KiB bound with the
/// default fsync policy, so that calls switch between inline and the pool by size and by
/// whether they fsync. The contract is the same in both.
#[tokio::test(flavor = "multi_thread")]
async fn local_async_inline_small_io() {
    use remote_store_local::{FsyncPolicy, LocalConfig, MAX_INLINE_IO_BYTES};

    for (name, bound, fsync) in [
        (
            "local/async-inline-small-io",
            MAX_INLINE_IO_BYTES,
            FsyncPolicy::Never,
        ),
        ("local/async-inline-4k", 4096, FsyncPolicy::Atomic),
    ] {
        let dirs = CaseDirs::new();
        let report = run_async(name, missing_root_async(dirs.missing(), false), || async {
            let config = LocalConfig::new(dirs.fresh())
                .inline_io_max_bytes(bound)
                .fsync(fsync);
            AsyncStore::new(
                AsyncLocalBackend::from_config(config).expect("an open root"),
                "",
            )
            .expect("the root is valid")
        })
        .await;
        report.assert_passed(MIN_CASES);
        assert_no_temp_files(dirs.base());
    }
}
