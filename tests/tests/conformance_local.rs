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
    let report = run_sync("local/sync", features(), || {
        Store::new(LocalBackend::new(dirs.fresh()).expect("an open root"), "")
            .expect("the root is valid")
    });
    report.assert_passed(MIN_CASES);
    assert_no_temp_files(dirs.base());
}

#[tokio::test(flavor = "multi_thread")]
async fn local_async_native() {
    let dirs = CaseDirs::new();
    let report = run_async("local/async", features(), || async {
        AsyncStore::new(
            AsyncLocalBackend::new(dirs.fresh()).expect("an open root"),
            "",
        )
        .expect("the root is valid")
    })
    .await;
    report.assert_passed(MIN_CASES);
    assert_no_temp_files(dirs.base());
}

#[tokio::test(flavor = "multi_thread")]
async fn local_async_via_sync_backend_adapter() {
    let dirs = CaseDirs::new();
    let report = run_async("local/async-via-SyncBackendAdapter", features(), || async {
        AsyncStore::new(
            SyncBackendAdapter::new(LocalBackend::new(dirs.fresh()).expect("an open root")),
            "",
        )
        .expect("the root is valid")
    })
    .await;
    report.assert_passed(MIN_CASES);
    assert_no_temp_files(dirs.base());
}
