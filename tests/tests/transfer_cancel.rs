//! Issue 13: a dropped async transfer leaves no object and no temp artefact — an upload to
//! a local and a memory store, a store-to-store copy and a download to a local directory,
//! each dropped while its 20 MiB file is part-way through.
//!
//! The stores are the blocking memory and local backends behind `AsyncStore::from_blocking`
//! and a [`Slow`] wrapper, so the transfer really waits on them and can be dropped
//! mid-file (a fast disk can otherwise finish inside one poll).
#![cfg(all(feature = "memory", feature = "local"))]

mod tamper_support;
mod transfer_support;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use remote_store_async::AsyncStore;
use remote_store_local::LocalBackend;
use remote_store_memory::MemoryBackend;
use remote_store_transfer::{Progress, Snapshot, TransferOptions, aio};
use tokio::sync::Notify;
use transfer_support::{BIG, Slow, pattern, temp_files};

/// Wakes the test once 1 MiB has moved.
#[derive(Default)]
struct Started {
    fired: AtomicBool,
    notify: Notify,
    last: std::sync::Mutex<Option<Snapshot>>,
}

impl Progress for Started {
    fn bytes(&self, _file: &str, _n: u64, now: Snapshot) {
        *self.last.lock().unwrap() = Some(now);
        if now.bytes_done >= 1 << 20 && !self.fired.swap(true, Ordering::SeqCst) {
            self.notify.notify_one();
        }
    }
}

/// Polls `fut` until the observer fires, then drops it; panics if it ended first.
async fn drop_part_way<T: std::fmt::Debug>(
    started: &Started,
    fut: impl std::future::Future<Output = T>,
) {
    tokio::select! {
        biased;
        () = started.notify.notified() => {}
        r = fut => panic!("the transfer ended before it could be dropped: {r:?}"),
    }
    let moved = started.last.lock().unwrap().unwrap().bytes_done;
    assert!(moved < BIG as u64, "dropped after all {moved} bytes moved");
}

/// Polls `check` for up to five seconds: the blocking half of a dropped call notices the
/// drop on its own thread, a moment later.
async fn eventually(mut check: impl FnMut() -> bool) -> bool {
    for _ in 0..100 {
        if check() {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    check()
}

fn slow_local(root: &std::path::Path) -> AsyncStore {
    AsyncStore::from_blocking(Slow(LocalBackend::new(root).unwrap()), "").unwrap()
}

fn slow_memory() -> AsyncStore {
    AsyncStore::from_blocking(Slow(MemoryBackend::new()), "").unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dropped_upload_leaves_no_object_and_no_temp_file() {
    let src = tempfile::tempdir().unwrap();
    let file = src.path().join("big.bin");
    std::fs::write(&file, pattern(BIG, 1)).unwrap();
    let root = tempfile::tempdir().unwrap();

    for store in [slow_local(root.path()), slow_memory()] {
        let started = Arc::new(Started::default());
        let opts = TransferOptions::new().progress_arc(started.clone());
        drop_part_way(
            &started,
            aio::upload_with(&file, &store, "up/big.bin", &opts),
        )
        .await;
        // Let the blocking write see its source vanish and clean up, then look.
        let s = store.clone();
        tokio::time::sleep(Duration::from_millis(200)).await;
        assert!(!s.exists("up/big.bin").await.unwrap(), "{}", s.name());
    }
    let root_path = root.path().to_path_buf();
    assert!(
        eventually(|| temp_files(&root_path).is_empty()).await,
        "temp files left: {:?}",
        temp_files(root.path())
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dropped_copy_and_download_leave_no_partial_file() {
    let source = slow_memory();
    source.write("t/a.txt", "small").await.unwrap();
    source.write("t/big.bin", pattern(BIG, 2)).await.unwrap();

    // Store → local directory: no temp file, no partial target.
    let dst = tempfile::tempdir().unwrap();
    let started = Arc::new(Started::default());
    let opts = TransferOptions::new()
        .files_in_flight(1)
        .progress_arc(started.clone());
    drop_part_way(
        &started,
        aio::download_with(&source, "t", dst.path(), &opts),
    )
    .await;
    let dst_path = dst.path().to_path_buf();
    assert!(
        eventually(|| temp_files(&dst_path).is_empty()).await,
        "temp files left: {:?}",
        temp_files(dst.path())
    );
    assert!(!dst.path().join("big.bin").exists());

    // Store → store (memory → local): no object, no temp file.
    let root = tempfile::tempdir().unwrap();
    let local = slow_local(root.path());
    let started = Arc::new(Started::default());
    let opts = TransferOptions::new().progress_arc(started.clone());
    drop_part_way(
        &started,
        aio::copy_between_with(&source, "t/big.bin", &local, "big.bin", &opts),
    )
    .await;
    let root_path = root.path().to_path_buf();
    assert!(
        eventually(|| temp_files(&root_path).is_empty()).await,
        "temp files left: {:?}",
        temp_files(root.path())
    );
    assert!(!local.exists("big.bin").await.unwrap());
}

/// Sets a cancel flag once 1 MiB has moved.
struct CancelAfter(Arc<AtomicBool>);

impl Progress for CancelAfter {
    fn bytes(&self, _file: &str, _n: u64, now: Snapshot) {
        if now.bytes_done >= 1 << 20 {
            self.0.store(true, Ordering::SeqCst);
        }
    }
}

/// Options that cancel the transfer through `flag` (cleared first) once 1 MiB has moved,
/// one file at a time.
fn cancelling(flag: &Arc<AtomicBool>) -> TransferOptions {
    flag.store(false, Ordering::SeqCst);
    TransferOptions::new()
        .files_in_flight(1)
        .progress(CancelAfter(Arc::clone(flag)))
        .cancel_on(Arc::clone(flag))
}

/// Asserts that each of the three files of `report` failed with the cancellation.
fn check_cancelled(report: &remote_store_transfer::TransferReport) {
    assert_eq!(report.files.len(), 3);
    for f in &report.files {
        let remote_store_transfer::FileStatus::Failed(e) = &f.status else {
            panic!("{}: {:?}", f.file.relative, f.status)
        };
        assert!(e.to_string().contains("cancelled"), "{e}");
    }
}

/// A blocking transfer stops when its cancel flag is set: the file in flight fails at its
/// next chunk and leaves no object and no temp file, and no other file starts; every
/// file reports the cancellation. Uploads to a local store and store-to-store copies.
#[test]
fn a_cancelled_blocking_transfer_leaves_nothing() {
    use remote_store_sync::Store;
    use remote_store_transfer::sync;

    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().join("src");
    std::fs::create_dir_all(&src).unwrap();
    for i in 0..3 {
        std::fs::write(src.join(format!("f{i}.bin")), pattern(4 << 20, i)).unwrap();
    }
    std::fs::create_dir_all(dir.path().join("dst")).unwrap();
    let local = Store::new(LocalBackend::new(dir.path().join("dst")).unwrap(), "").unwrap();
    let memory = Store::new(MemoryBackend::new(), "").unwrap();
    let flag = Arc::new(AtomicBool::new(false));
    let opts = || cancelling(&flag);
    // Folders the writes created may stay (as for any failed local write); no file does.
    let no_file_below = |key: &str| {
        let files: Vec<_> = local
            .list_files_with(key, remote_store_core::ListOptions::subtree())
            .map(|it| it.map(|f| f.unwrap().path.to_string()).collect())
            .unwrap_or_default();
        assert!(files.is_empty(), "no object left: {files:?}");
    };
    check_cancelled(&sync::upload_with(&src, &local, "up", &opts()).unwrap());
    no_file_below("up");
    assert!(
        temp_files(&dir.path().join("dst")).is_empty(),
        "no temp file left"
    );

    sync::upload_with(&src, &memory, "t", &TransferOptions::new()).unwrap();
    check_cancelled(&sync::copy_between_with(&memory, "t", &local, "copy", &opts()).unwrap());
    no_file_below("copy");
    assert!(
        temp_files(&dir.path().join("dst")).is_empty(),
        "no temp file left"
    );
}

/// The async half stops the same way: the file in flight fails at its next chunk and
/// leaves no object and no temp file, no other file starts, and every file reports the
/// cancellation. Uploads to a local store, store-to-store copies and downloads.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cancelled_async_transfer_leaves_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().join("src");
    std::fs::create_dir_all(&src).unwrap();
    for i in 0..3 {
        std::fs::write(src.join(format!("f{i}.bin")), pattern(4 << 20, i)).unwrap();
    }
    let dst = dir.path().join("dst");
    std::fs::create_dir_all(&dst).unwrap();
    let local = AsyncStore::new(
        remote_store_local::AsyncLocalBackend::new(&dst).unwrap(),
        "",
    )
    .unwrap();
    let memory = AsyncStore::from_blocking(MemoryBackend::new(), "").unwrap();
    let flag = Arc::new(AtomicBool::new(false));
    let opts = || cancelling(&flag);
    let files_below = |store: &AsyncStore, key: &str| {
        let (store, key) = (store.clone(), key.to_owned());
        async move {
            use futures::TryStreamExt;
            match store.list_files_with(&key, remote_store_core::ListOptions::subtree()) {
                Ok(list) => list
                    .map_ok(|f| f.path.to_string())
                    .try_collect()
                    .await
                    .unwrap(),
                Err(_) => Vec::<String>::new(),
            }
        }
    };

    check_cancelled(&aio::upload_with(&src, &local, "up", &opts()).await.unwrap());
    assert_eq!(files_below(&local, "up").await, Vec::<String>::new());
    assert!(temp_files(&dst).is_empty(), "no temp file left");

    aio::upload_with(&src, &memory, "t", &TransferOptions::new())
        .await
        .unwrap();
    check_cancelled(
        &aio::copy_between_with(&memory, "t", &local, "copy", &opts())
            .await
            .unwrap(),
    );
    assert_eq!(files_below(&local, "copy").await, Vec::<String>::new());
    assert!(temp_files(&dst).is_empty(), "no temp file left");

    // Streamed whole, then in ranged parts (1 MiB each, two at once): the parts stop too.
    assert!(memory.supports(remote_store_core::Capability::ConditionalRead));
    let down = dir.path().join("down");
    for ranged in [false, true] {
        let mut opts = opts();
        if ranged {
            opts = opts.part_size(1 << 20).parts_in_flight(2);
        }
        check_cancelled(
            &aio::download_with(&memory, "t", &down, &opts)
                .await
                .unwrap(),
        );
        let left: Vec<_> = std::fs::read_dir(&down)
            .map(|d| d.map(|e| e.unwrap().file_name()).collect())
            .unwrap_or_default();
        assert!(
            left.is_empty(),
            "nothing left in the download folder: {left:?}"
        );
    }
}

/// A memory store that refuses every write.
#[derive(Debug)]
struct Refusing(MemoryBackend);

impl tamper_support::Tamper for Refusing {
    fn inner(&self) -> &MemoryBackend {
        &self.0
    }
    fn write(
        &self,
        path: &remote_store_core::RemotePath,
        _content: remote_store_sync::Content<'_>,
        _mode: remote_store_core::WriteMode,
        _opts: &remote_store_core::WriteOptions,
    ) -> remote_store_core::Result<remote_store_core::WriteResult> {
        Err(
            remote_store_core::Error::new(remote_store_core::ErrorKind::PermissionDenied)
                .with_path(path.as_str()),
        )
    }
}

/// Sets the cancel flag as each file starts.
struct CancelOnStart(Arc<AtomicBool>);

impl Progress for CancelOnStart {
    fn file_started(&self, _file: &str, _size: u64) {
        self.0.store(true, Ordering::SeqCst);
    }
}

/// A file in flight when the flag is set keeps its own error when the flag did not cause
/// it (here its store refused the write): only a failure the flag caused is reported as
/// the cancellation. Both halves.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failure_the_flag_did_not_cause_keeps_its_error() {
    use remote_store_transfer::{FileStatus, is_cancelled, sync};
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("small.txt");
    std::fs::write(&file, "a small file").unwrap();
    let flag = Arc::new(AtomicBool::new(false));
    let opts = || {
        flag.store(false, Ordering::SeqCst);
        TransferOptions::new()
            .progress(CancelOnStart(Arc::clone(&flag)))
            .cancel_on(Arc::clone(&flag))
    };
    let refused = |report: remote_store_transfer::TransferReport| {
        let FileStatus::Failed(e) = &report.files[0].status else {
            panic!("{:?}", report.files[0].status)
        };
        assert_eq!(
            e.kind(),
            remote_store_core::ErrorKind::PermissionDenied,
            "{e}"
        );
        assert!(!is_cancelled(e), "{e}");
    };
    let store =
        remote_store_sync::Store::new(tamper_support::Tampered(Refusing(MemoryBackend::new())), "")
            .unwrap();
    refused(sync::upload_with(&file, &store, "up.txt", &opts()).unwrap());
    let astore =
        AsyncStore::from_blocking(tamper_support::Tampered(Refusing(MemoryBackend::new())), "")
            .unwrap();
    refused(
        aio::upload_with(&file, &astore, "up.txt", &opts())
            .await
            .unwrap(),
    );
}
