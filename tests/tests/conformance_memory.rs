//! The conformance suite over the memory backend, in all four cells: each half natively,
//! and each half through the adapter that serves the other kind of store.
//!
//! The memory backend is hierarchical with implicit folders: a folder exists while a file
//! lies under it and goes with its last file (see `remote_store_memory`'s crate docs), so
//! every cell declares `empty_folders_persist(false)`. Each factory call makes a new,
//! empty backend, so every case gets an isolated namespace.
#![cfg(feature = "memory")]

use remote_store_async::{AsyncStore, BlockingAdapter, SyncBackendAdapter};
use remote_store_conformance::{Features, run_async, run_sync};
use remote_store_memory::{AsyncMemoryBackend, MemoryBackend};
use remote_store_sync::Store;

/// Every cell must run at least this many cases (and pass them all).
const MIN_CASES: usize = 100;

fn features() -> Features {
    Features::hierarchical()
        .empty_folders_persist(false)
        .no_container("a memory backend is its own namespace: it has no bucket, container or root folder that could be missing")
}

#[test]
fn memory_sync_native() {
    let report = run_sync("memory/sync", features(), || {
        Store::new(MemoryBackend::new(), "").expect("the root is valid")
    });
    report.assert_passed(MIN_CASES);
}

#[tokio::test(flavor = "multi_thread")]
async fn memory_async_native() {
    let report = run_async("memory/async", features(), || async {
        AsyncStore::new(AsyncMemoryBackend::new(), "").expect("the root is valid")
    })
    .await;
    report.assert_passed(MIN_CASES);
}

#[test]
fn memory_sync_via_blocking_adapter() {
    let report = run_sync("memory/sync-via-BlockingAdapter", features(), || {
        Store::new(BlockingAdapter::new(AsyncMemoryBackend::new()), "").expect("the root is valid")
    });
    report.assert_passed(MIN_CASES);
}

#[tokio::test(flavor = "multi_thread")]
async fn memory_async_via_sync_backend_adapter() {
    let report = run_async(
        "memory/async-via-SyncBackendAdapter",
        features(),
        || async {
            AsyncStore::new(SyncBackendAdapter::new(MemoryBackend::new()), "")
                .expect("the root is valid")
        },
    )
    .await;
    report.assert_passed(MIN_CASES);
}
