//! Issue 13: batch operations report every outcome — on memory and local, in both halves.
//! A batch with some missing and some forbidden keys lists each success and each failure
//! with its error, and only stops early when asked.
#![cfg(all(feature = "memory", feature = "local"))]

mod transfer_support;

use remote_store_async::AsyncStore;
use remote_store_core::{CopyOptions, DeleteOptions, ErrorKind, MoveOptions};
use remote_store_local::{AsyncLocalBackend, LocalBackend};
use remote_store_memory::{AsyncMemoryBackend, MemoryBackend};
use remote_store_sync::Store;
use remote_store_transfer::{BatchOptions, BatchResult, aio, sync};

/// Ten present files, five missing ones and one key the store refuses (`..` escapes).
fn keys() -> Vec<String> {
    let mut keys: Vec<String> = (0..15).map(|i| format!("b/f{i:02}")).collect();
    keys.insert(7, "../escape".into());
    keys
}

fn seed_sync(store: &Store) {
    for i in 0..10 {
        store.write(format!("b/f{i:02}"), format!("{i}")).unwrap();
    }
}

async fn seed_async(store: &AsyncStore) {
    for i in 0..10 {
        store
            .write(format!("b/f{i:02}"), format!("{i}"))
            .await
            .unwrap();
    }
}

/// The outcome of a delete batch over [`keys`] on a store seeded with ten files.
fn check_delete(r: &BatchResult<()>) {
    assert_eq!(r.len(), 16);
    assert_eq!(r.succeeded.len(), 10);
    assert!(r.not_run.is_empty());
    let failed: Vec<(&str, ErrorKind)> = r
        .failed
        .iter()
        .map(|(item, e)| (item.path.as_str(), e.kind()))
        .collect();
    let mut expected = vec![("../escape", ErrorKind::InvalidPath)];
    expected
        .extend(["b/f10", "b/f11", "b/f12", "b/f13", "b/f14"].map(|p| (p, ErrorKind::NotFound)));
    assert_eq!(failed, expected);
    // Input order is kept, and each failure names its path.
    assert!(r.succeeded.windows(2).all(|w| w[0].0.index < w[1].0.index));
    for (item, e) in &r.failed {
        if item.path.starts_with("b/") {
            assert_eq!(e.path(), Some(item.path.as_str()), "{e}");
        }
    }
    assert!(!r.is_success());
}

fn sync_stores() -> Vec<(Store, Option<tempfile::TempDir>)> {
    let dir = tempfile::tempdir().unwrap();
    vec![
        (Store::new(MemoryBackend::new(), "").unwrap(), None),
        (
            Store::new(LocalBackend::new(dir.path()).unwrap(), "").unwrap(),
            Some(dir),
        ),
    ]
}

fn async_stores() -> Vec<(AsyncStore, Option<tempfile::TempDir>)> {
    let dir = tempfile::tempdir().unwrap();
    vec![
        (
            AsyncStore::new(AsyncMemoryBackend::new(), "").unwrap(),
            None,
        ),
        (
            AsyncStore::new(AsyncLocalBackend::new(dir.path()).unwrap(), "").unwrap(),
            Some(dir),
        ),
    ]
}

#[test]
fn sync_delete_many_reports_each_outcome() {
    for (store, _dir) in sync_stores() {
        seed_sync(&store);
        let r = sync::delete_many_with(
            &store,
            keys(),
            DeleteOptions::new(),
            &BatchOptions::new().concurrency(4),
        );
        check_delete(&r);
        assert!(!store.exists("b/f00").unwrap());

        // missing_ok turns the missing keys into successes; the refused key still fails.
        let r = sync::delete_many_with(
            &store,
            keys(),
            DeleteOptions::new().missing_ok(true),
            &BatchOptions::new(),
        );
        assert_eq!(r.succeeded.len(), 15);
        assert_eq!(r.failed.len(), 1);
    }
}

#[test]
fn sync_stop_on_error_leaves_the_rest_unrun() {
    let store = Store::new(MemoryBackend::new(), "").unwrap();
    seed_sync(&store);
    let mut paths = vec!["missing".to_owned()];
    paths.extend((0..10).map(|i| format!("b/f{i:02}")));
    let r = sync::delete_many_with(
        &store,
        &paths,
        DeleteOptions::new(),
        &BatchOptions::new().concurrency(1).stop_on_error(true),
    );
    assert_eq!(r.failed.len(), 1);
    assert_eq!(r.not_run.len(), 10);
    assert_eq!(r.into_result().unwrap_err().kind(), ErrorKind::NotFound);
    assert!(store.exists("b/f00").unwrap());
}

#[test]
fn sync_copy_move_exists_many() {
    for (store, _dir) in sync_stores() {
        seed_sync(&store);
        let pairs: Vec<(String, String)> = (0..12)
            .map(|i| (format!("b/f{i:02}"), format!("c/f{i:02}")))
            .collect();
        let r = sync::copy_many(&store, pairs.clone());
        assert_eq!(r.succeeded.len(), 10);
        assert_eq!(r.failed.len(), 2);
        assert_eq!(r.failed[0].0.target.as_deref(), Some("c/f10"));
        // Again without overwrite: every present source now conflicts.
        let r = sync::copy_many(&store, pairs.clone());
        assert!(
            r.failed[..10]
                .iter()
                .all(|(_, e)| e.kind() == ErrorKind::AlreadyExists)
        );
        let r = sync::copy_many_with(
            &store,
            pairs.clone(),
            CopyOptions::new().overwrite(true),
            &BatchOptions::new(),
        );
        assert_eq!(r.succeeded.len(), 10);

        let moves: Vec<(String, String)> = (0..10)
            .map(|i| (format!("c/f{i:02}"), format!("d/f{i:02}")))
            .collect();
        let r = sync::move_many_with(
            &store,
            moves,
            MoveOptions::new(),
            &BatchOptions::new().concurrency(3),
        );
        assert!(r.is_success(), "{:?}", r.failed);

        let probes = ["b/f00", "c/f00", "d/f09", "d/nope", "../bad"];
        let r = sync::exists_many(&store, probes);
        let answers: Vec<(&str, bool)> = r
            .succeeded
            .iter()
            .map(|(i, v)| (i.path.as_str(), *v))
            .collect();
        assert_eq!(
            answers,
            [
                ("b/f00", true),
                ("c/f00", false),
                ("d/f09", true),
                ("d/nope", false)
            ]
        );
        assert_eq!(r.failed[0].1.kind(), ErrorKind::InvalidPath);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn async_delete_many_reports_each_outcome() {
    for (store, _dir) in async_stores() {
        seed_async(&store).await;
        let r = aio::delete_many_with(
            &store,
            keys(),
            DeleteOptions::new(),
            &BatchOptions::new().concurrency(4),
        )
        .await;
        check_delete(&r);
        assert!(!store.exists("b/f09").await.unwrap());
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn async_copy_move_exists_many() {
    for (store, _dir) in async_stores() {
        seed_async(&store).await;
        let pairs: Vec<(String, String)> = (0..12)
            .map(|i| (format!("b/f{i:02}"), format!("c/f{i:02}")))
            .collect();
        let r = aio::copy_many(&store, pairs).await;
        assert_eq!((r.succeeded.len(), r.failed.len()), (10, 2));
        let moves: Vec<(String, String)> = (0..10)
            .map(|i| (format!("c/f{i:02}"), format!("d/f{i:02}")))
            .collect();
        assert!(aio::move_many(&store, moves).await.is_success());
        let r = aio::exists_many(&store, ["c/f00", "d/f00"]).await;
        assert_eq!(r.into_result().unwrap(), [false, true]);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn async_stop_on_error_and_drop() {
    let store = AsyncStore::new(AsyncMemoryBackend::new(), "").unwrap();
    seed_async(&store).await;
    let mut paths = vec!["missing".to_owned()];
    paths.extend((0..10).map(|i| format!("b/f{i:02}")));
    let r = aio::delete_many_with(
        &store,
        &paths,
        DeleteOptions::new(),
        &BatchOptions::new().concurrency(1).stop_on_error(true),
    )
    .await;
    assert_eq!((r.failed.len(), r.not_run.len()), (1, 10));
    assert!(store.exists("b/f00").await.unwrap());

    // With more in flight, the items already running when one fails still finish, in
    // both halves, and are reported as what they did: every copy that happened is listed
    // as succeeded, and nothing listed as not run has happened.
    let mut pairs = vec![("missing".to_owned(), "c/missing".to_owned())];
    pairs.extend((0..10).map(|i| (format!("b/f{i:02}"), format!("c/f{i:02}"))));
    let opts = BatchOptions::new().concurrency(8).stop_on_error(true);
    let r = aio::copy_many_with(&store, pairs.clone(), CopyOptions::new(), &opts).await;
    assert_eq!(r.failed.len(), 1);
    assert!(
        r.succeeded.len() >= 7,
        "the seven running beside the failure finish"
    );
    for (item, ()) in &r.succeeded {
        assert!(
            store.exists(item.target.as_deref().unwrap()).await.unwrap(),
            "{item:?}"
        );
    }
    for item in &r.not_run {
        assert!(
            !store.exists(item.target.as_deref().unwrap()).await.unwrap(),
            "{item:?}"
        );
    }
    assert_eq!(r.len(), 11);
    let sync_store = Store::new(MemoryBackend::new(), "").unwrap();
    seed_sync(&sync_store);
    let r = sync::copy_many_with(&sync_store, pairs, CopyOptions::new(), &opts);
    assert_eq!((r.failed.len(), r.len()), (1, 11));
    for (item, ()) in &r.succeeded {
        assert!(
            sync_store.exists(item.target.as_deref().unwrap()).unwrap(),
            "{item:?}"
        );
    }
    for item in &r.not_run {
        assert!(
            !sync_store.exists(item.target.as_deref().unwrap()).unwrap(),
            "{item:?}"
        );
    }

    // A batch future that is never polled does nothing; dropped, it starts nothing.
    let fut = aio::delete_many(&store, paths.clone());
    drop(fut);
    assert!(store.exists("b/f05").await.unwrap());
}

/// Dropping an async batch part-way cancels it: the deletes in flight end (or not, as any
/// dropped call) and no new one starts afterwards.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dropped_async_batch_starts_nothing_more() {
    let store =
        AsyncStore::from_blocking(transfer_support::Slow(MemoryBackend::new()), "").unwrap();
    let paths: Vec<String> = (0..100).map(|i| format!("k/{i:03}")).collect();
    for p in &paths {
        store.write(p, "x").await.unwrap();
    }
    let count = || {
        let store = store.clone();
        async move {
            let r = aio::exists_many(&store, (0..100).map(|i| format!("k/{i:03}"))).await;
            r.into_result().unwrap().into_iter().filter(|e| *e).count()
        }
    };
    let four = BatchOptions::new().concurrency(4);
    let batch = aio::delete_many_with(&store, &paths, DeleteOptions::new(), &four);
    // 100 deletes of 10 ms, 4 at a time, need 250 ms; drop the batch after 120 ms.
    assert!(
        tokio::time::timeout(std::time::Duration::from_millis(120), batch)
            .await
            .is_err()
    );
    // The deletes already running on the blocking pool finish; then nothing changes.
    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    let settled = count().await;
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    let later = count().await;
    assert!(settled > 0 && settled < 100, "{settled} keys left");
    assert_eq!(
        settled, later,
        "deletes went on after the batch was dropped"
    );
}

mod layers_support;

/// The batches honour their concurrency bound in both halves, and really run in parallel:
/// `Flaky`'s probes sleep 2 ms and record how many run at once.
#[test]
fn batches_stay_within_their_concurrency() {
    use std::sync::atomic::Ordering;

    let flaky = layers_support::Flaky::new();
    let faults = flaky.faults.clone();
    let store = Store::new(flaky.clone(), "").unwrap();
    let paths: Vec<String> = (0..40).map(|i| format!("p/{i}")).collect();
    let r = sync::exists_many_with(&store, &paths, &BatchOptions::new().concurrency(3));
    assert_eq!(r.succeeded.len(), 40);
    let peak = faults.peak.swap(0, Ordering::SeqCst);
    assert!((2..=3).contains(&peak), "sync peak {peak}");

    let store = AsyncStore::from_blocking(flaky, "").unwrap();
    let rt = tokio::runtime::Runtime::new().unwrap();
    let r = rt.block_on(aio::exists_many_with(
        &store,
        &paths,
        &BatchOptions::new().concurrency(3),
    ));
    assert_eq!(r.succeeded.len(), 40);
    let peak = faults.peak.load(Ordering::SeqCst);
    assert!((2..=3).contains(&peak), "async peak {peak}");
}

/// Where the backend deletes in bulk, a batch of 2,500 paths is three `delete_many` calls
/// of at most 1,000 paths, in both halves, and each item's outcome is still reported in
/// input order; with `stop_on_error` it deletes path by path.
#[test]
fn delete_batches_use_the_bulk_primitive_in_chunks() {
    use std::sync::atomic::Ordering;

    let flaky = layers_support::Flaky::new();
    flaky.faults.bulk.store(true, Ordering::SeqCst);
    let faults = flaky.faults.clone();
    let store = Store::new(flaky.clone(), "").unwrap();
    let mut paths: Vec<String> = (0..2498).map(|i| format!("z/{i:05}")).collect();
    for p in &paths {
        store.write(p, "x").unwrap();
    }
    paths.insert(1200, "../escape".into());
    paths.insert(2000, "z/missing".into());
    let r = sync::delete_many_with(&store, &paths, DeleteOptions::new(), &BatchOptions::new());
    assert_eq!((r.succeeded.len(), r.failed.len()), (2498, 2));
    assert_eq!(r.failed[0].0.index, 1200);
    assert_eq!(r.failed[0].1.kind(), ErrorKind::InvalidPath);
    assert_eq!(r.failed[1].0.index, 2000);
    assert_eq!(r.failed[1].1.kind(), ErrorKind::NotFound);
    assert_eq!(r.failed[1].1.path(), Some("z/missing"));
    assert_eq!(faults.bulk_calls.swap(0, Ordering::SeqCst), 3);
    assert_eq!(faults.bulk_largest.load(Ordering::SeqCst), 1000);
    assert!(!store.is_folder("z").unwrap());

    // The async half, over the same backend through the adapter.
    for p in paths.iter().filter(|p| p.starts_with("z/0")) {
        store.write(p, "x").unwrap();
    }
    let astore = AsyncStore::from_blocking(flaky, "").unwrap();
    let rt = tokio::runtime::Runtime::new().unwrap();
    let r = rt.block_on(aio::delete_many_with(
        &astore,
        &paths,
        DeleteOptions::new().missing_ok(true),
        &BatchOptions::new(),
    ));
    assert_eq!((r.succeeded.len(), r.failed.len()), (2499, 1));
    assert_eq!(faults.bulk_calls.swap(0, Ordering::SeqCst), 3);
    assert!(!store.is_folder("z").unwrap());

    // stop_on_error: path by path, no bulk call.
    let r = sync::delete_many_with(
        &store,
        ["z/missing", "z/00001"],
        DeleteOptions::new(),
        &BatchOptions::new().concurrency(1).stop_on_error(true),
    );
    assert_eq!((r.failed.len(), r.not_run.len()), (1, 1));
    assert_eq!(faults.bulk_calls.load(Ordering::SeqCst), 0);
}
