//! Issue 13 against the real emulators (`cargo xtask test` starts them; plain `cargo test`
//! prints SKIP lines): the 300-file tree (nested folders, unicode names, an empty file, a
//! 20 MiB file) goes local → S3 (moto) → Azure (Azurite) → SFTP (sshd) → local and comes
//! back byte for byte, in both halves; a skip-if-same re-run of every hop copies 0 files;
//! a batch with missing and refused keys reports each outcome on each service; a dropped
//! upload leaves no object, no open multipart upload and no temp file. A 20 MiB download
//! from S3 and Azure goes in 1 MiB ranged parts pinned to the first etag: it arrives whole,
//! and an object replaced after its first MiB fails the file with no partial file left.
#![cfg(all(feature = "s3", feature = "azure", feature = "sftp"))]

mod azure_support;
mod s3_support;
mod sftp_support;
mod transfer_support;

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use azure_support::{Azurite, azurite};
use bytes::Bytes;
use remote_store_async::AsyncStore;
use remote_store_azure::{AsyncAzureBackend, AzureBackend};
use remote_store_core::{Capability, DeleteOptions, ErrorKind, WriteOptions};
use remote_store_s3::{AsyncS3Backend, S3Backend};
use remote_store_sftp::{AsyncSftpBackend, SftpBackend};
use remote_store_sync::Store;
use remote_store_transfer::{
    BatchOptions, BatchResult, IfExists, Progress, Snapshot, TransferOptions, TransferReport, aio,
    sync,
};
use s3_support::{Server, block_on};
use sftp_support::Sshd;
use tokio::sync::Notify;
use transfer_support::{
    BIG, Counting, TREE_FILES, assert_same_tree, pattern, read_tree, temp_files, total_bytes,
    write_tree,
};

/// The three emulators, or `None` (with SKIP lines) under plain `cargo test`.
fn emulators() -> Option<(Server, Azurite, Sshd)> {
    let (s3, az, sshd) = (Server::moto(), azurite(), Sshd::from_env());
    Some((s3?, az?, sshd?))
}

/// A fresh SFTP base directory on the sshd's disk (it runs on this machine) and a config
/// rooted there.
fn sftp_config(sshd: &Sshd, tag: &str) -> (remote_store_sftp::SftpConfig, String) {
    let base = sshd.fresh_base(tag);
    (sshd.config(tag).base_path(base.clone()), base)
}

fn assert_all_copied(hop: &str, r: &TransferReport) {
    let failed: Vec<_> = r
        .failed()
        .map(|(f, e)| format!("{}: {e}", f.relative))
        .collect();
    assert!(failed.is_empty(), "{hop}: {failed:?}");
    assert_eq!(r.copied().count(), TREE_FILES, "{hop}");
}

fn assert_nothing_copied(hop: &str, r: &TransferReport) {
    assert!(
        r.is_success(),
        "{hop}: {:?}",
        r.failed().collect::<Vec<_>>()
    );
    assert_eq!(r.copied().count(), 0, "{hop}: skip-if-same copied files");
    assert_eq!(r.skipped().count(), TREE_FILES, "{hop}");
    assert_eq!(r.totals.bytes_done, 0, "{hop}");
}

/// A delete batch of two present keys, two missing ones and one the store refuses.
fn check_batch(service: &str, r: &BatchResult<()>) {
    let outcome: Vec<(&str, Option<ErrorKind>)> = r
        .succeeded
        .iter()
        .map(|(i, ())| (i.path.as_str(), None))
        .chain(
            r.failed
                .iter()
                .map(|(i, e)| (i.path.as_str(), Some(e.kind()))),
        )
        .collect();
    assert_eq!(
        outcome,
        [
            ("batch/a", None),
            ("batch/b", None),
            ("batch/missing-1", Some(ErrorKind::NotFound)),
            ("../refused", Some(ErrorKind::InvalidPath)),
            ("batch/missing-2", Some(ErrorKind::NotFound)),
        ],
        "{service}"
    );
}

const BATCH: [&str; 5] = [
    "batch/a",
    "batch/b",
    "batch/missing-1",
    "../refused",
    "batch/missing-2",
];

#[test]
fn sync_tree_local_s3_azure_sftp_local() {
    let Some((s3, az, sshd)) = emulators() else {
        return;
    };
    let src = tempfile::tempdir().unwrap();
    let back = tempfile::tempdir().unwrap();
    let files = write_tree(src.path());

    let bucket = block_on(s3.fresh_bucket("transfer-sync"));
    let s3_store = Store::new(S3Backend::new(s3.config(&bucket)).unwrap(), "").unwrap();
    let azure = AzureBackend::new(az.config("transfer-sync")).unwrap();
    azure.create_container().unwrap();
    let az_store = Store::new(azure, "").unwrap();
    let (sftp_cfg, sftp_base) = sftp_config(&sshd, "transfer-sync");
    let sftp_store = Store::new(SftpBackend::new(sftp_cfg).unwrap(), "").unwrap();

    let progress = Arc::new(Counting::default());
    let opts = TransferOptions::new()
        .files_in_flight(8)
        .progress_arc(progress.clone());
    let r = sync::upload_with(src.path(), &s3_store, "tree", &opts).unwrap();
    assert_all_copied("local → s3", &r);
    progress.assert_complete(TREE_FILES as u64, total_bytes(&files));
    let r = sync::copy_between(&s3_store, "tree", &az_store, "tree").unwrap();
    assert_all_copied("s3 → azure", &r);
    let r = sync::copy_between(&az_store, "tree", &sftp_store, "tree").unwrap();
    assert_all_copied("azure → sftp", &r);
    let r = sync::download(&sftp_store, "tree", back.path()).unwrap();
    assert_all_copied("sftp → local", &r);
    assert_same_tree(&files, &read_tree(back.path()));
    assert!(temp_files(Path::new(&sftp_base)).is_empty());

    let same = TransferOptions::new().if_exists(IfExists::SkipIfSame);
    let r = sync::upload_with(src.path(), &s3_store, "tree", &same).unwrap();
    assert_nothing_copied("local → s3", &r);
    let r = sync::copy_between_with(&s3_store, "tree", &az_store, "tree", &same).unwrap();
    assert_nothing_copied("s3 → azure", &r);
    let r = sync::copy_between_with(&az_store, "tree", &sftp_store, "tree", &same).unwrap();
    assert_nothing_copied("azure → sftp", &r);
    let r = sync::download_with(&sftp_store, "tree", back.path(), &same).unwrap();
    assert_nothing_copied("sftp → local", &r);

    for (service, store) in [
        ("s3", &s3_store),
        ("azure", &az_store),
        ("sftp", &sftp_store),
    ] {
        store.write("batch/a", "a").unwrap();
        store.write("batch/b", "b").unwrap();
        let r = sync::delete_many_with(
            store,
            BATCH,
            DeleteOptions::new(),
            &BatchOptions::new().concurrency(3),
        );
        check_batch(service, &r);
        assert!(!store.exists("batch/a").unwrap(), "{service}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn async_tree_local_s3_azure_sftp_local() {
    let Some((s3, az, sshd)) = emulators() else {
        return;
    };
    let src = tempfile::tempdir().unwrap();
    let back = tempfile::tempdir().unwrap();
    let files = write_tree(src.path());

    let bucket = s3.fresh_bucket("transfer-async").await;
    let s3_store = AsyncStore::new(AsyncS3Backend::new(s3.config(&bucket)).unwrap(), "").unwrap();
    let azure = AsyncAzureBackend::new(az.config("transfer-async")).unwrap();
    azure.create_container().await.unwrap();
    let az_store = AsyncStore::new(azure, "").unwrap();
    let (sftp_cfg, sftp_base) = sftp_config(&sshd, "transfer-async");
    let sftp_store = AsyncStore::new(AsyncSftpBackend::new(sftp_cfg).unwrap(), "").unwrap();

    let opts = TransferOptions::new().files_in_flight(8);
    let r = aio::upload_with(src.path(), &s3_store, "tree", &opts)
        .await
        .unwrap();
    assert_all_copied("local → s3", &r);
    let r = aio::copy_between_with(&s3_store, "tree", &az_store, "tree", &opts)
        .await
        .unwrap();
    assert_all_copied("s3 → azure", &r);
    let r = aio::copy_between_with(&az_store, "tree", &sftp_store, "tree", &opts)
        .await
        .unwrap();
    assert_all_copied("azure → sftp", &r);
    let r = aio::download_with(&sftp_store, "tree", back.path(), &opts)
        .await
        .unwrap();
    assert_all_copied("sftp → local", &r);
    assert_same_tree(&files, &read_tree(back.path()));
    assert!(temp_files(Path::new(&sftp_base)).is_empty());

    let same = TransferOptions::new().if_exists(IfExists::SkipIfSame);
    let r = aio::upload_with(src.path(), &s3_store, "tree", &same)
        .await
        .unwrap();
    assert_nothing_copied("local → s3", &r);
    let r = aio::copy_between_with(&s3_store, "tree", &az_store, "tree", &same)
        .await
        .unwrap();
    assert_nothing_copied("s3 → azure", &r);
    let r = aio::copy_between_with(&az_store, "tree", &sftp_store, "tree", &same)
        .await
        .unwrap();
    assert_nothing_copied("azure → sftp", &r);
    let r = aio::download_with(&sftp_store, "tree", back.path(), &same)
        .await
        .unwrap();
    assert_nothing_copied("sftp → local", &r);

    for (service, store) in [
        ("s3", &s3_store),
        ("azure", &az_store),
        ("sftp", &sftp_store),
    ] {
        store.write("batch/a", "a").await.unwrap();
        store.write("batch/b", "b").await.unwrap();
        let r = aio::delete_many(store, BATCH).await;
        check_batch(service, &r);
        assert!(!store.exists("batch/b").await.unwrap(), "{service}");
    }
}

/// Wakes the test once 1 MiB has moved.
#[derive(Default)]
struct Started {
    fired: AtomicBool,
    notify: Notify,
}

impl Progress for Started {
    fn bytes(&self, _file: &str, _n: u64, now: Snapshot) {
        if now.bytes_done >= 1 << 20 && !self.fired.swap(true, Ordering::SeqCst) {
            self.notify.notify_one();
        }
    }
}

/// Uploads a 20 MiB file to `store` and drops the transfer once 1 MiB has moved; then the
/// destination must not exist, nor appear during the next 3 s (nothing commits a dropped
/// upload: S3 never completes it, Azure never commits its blocks, SFTP never renames its
/// temp file).
async fn drop_upload(store: &AsyncStore, file: &Path) {
    let started = Arc::new(Started::default());
    let opts = TransferOptions::new().progress_arc(started.clone());
    tokio::select! {
        biased;
        () = started.notify.notified() => {}
        r = aio::upload_with(file, store, "dropped/big.bin", &opts) => {
            panic!("{}: the upload ended before it could be dropped: {r:?}", store.name())
        }
    }
    // Looked at through a window of 3 s, not once: a commit finishing in the background
    // after the drop would make the object appear later.
    for _ in 0..30 {
        assert!(
            !store.exists("dropped/big.bin").await.unwrap(),
            "{}: a dropped upload left an object",
            store.name()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dropped_upload_leaves_nothing_on_any_service() {
    let Some((s3, az, sshd)) = emulators() else {
        return;
    };
    let src = tempfile::tempdir().unwrap();
    let file = src.path().join("big.bin");
    std::fs::write(&file, pattern(BIG, 9)).unwrap();

    let bucket = s3.fresh_bucket("transfer-drop").await;
    let s3_store = AsyncStore::new(AsyncS3Backend::new(s3.config(&bucket)).unwrap(), "").unwrap();
    drop_upload(&s3_store, &file).await;
    let mut open = s3.open_uploads(&bucket).await;
    for _ in 0..50 {
        if open.as_ref().is_none_or(Vec::is_empty) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
        open = s3.open_uploads(&bucket).await;
    }
    assert!(
        open.as_ref().is_none_or(Vec::is_empty),
        "open multipart uploads: {open:?}"
    );

    let azure = AsyncAzureBackend::new(az.config("transfer-drop")).unwrap();
    azure.create_container().await.unwrap();
    drop_upload(&AsyncStore::new(azure, "").unwrap(), &file).await;

    let (cfg, base) = sftp_config(&sshd, "transfer-drop");
    let sftp_store = AsyncStore::new(AsyncSftpBackend::new(cfg).unwrap(), "").unwrap();
    sftp_store.write("keep.txt", "base exists").await.unwrap();
    drop_upload(&sftp_store, &file).await;
    let mut left = temp_files(Path::new(&base));
    for _ in 0..50 {
        if left.is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
        left = temp_files(Path::new(&base));
    }
    assert!(left.is_empty(), "sftp temp files left: {left:?}");
}

/// Calls `replace` once, when the first MiB of a download has arrived.
struct ReplaceMidway<F> {
    fired: AtomicBool,
    replace: F,
}

impl<F: Fn() + Send + Sync> Progress for ReplaceMidway<F> {
    fn bytes(&self, _file: &str, _n: u64, now: Snapshot) {
        if now.bytes_done >= 1 << 20 && !self.fired.swap(true, Ordering::SeqCst) {
            (self.replace)();
        }
    }
}

fn replace_midway(replace: impl Fn() + Send + Sync + 'static) -> Arc<dyn Progress> {
    Arc::new(ReplaceMidway {
        fired: AtomicBool::new(false),
        replace,
    })
}

/// The 20 MiB download in 1 MiB parts arrived whole, every byte counted.
fn assert_ranged_copy(
    service: &str,
    r: &TransferReport,
    target: &Path,
    data: &[u8],
    progress: &Counting,
) {
    assert!(
        r.is_success(),
        "{service}: {:?}",
        r.failed().collect::<Vec<_>>()
    );
    assert!(
        std::fs::read(target).unwrap() == data,
        "{service}: the bytes differ"
    );
    progress.assert_complete(1, data.len() as u64);
}

/// A download whose object was replaced after its first MiB failed, naming the change, and
/// left no file and no temp file.
fn assert_changed_midway(service: &str, r: &TransferReport, dir: &Path, target: &Path) {
    let failed: Vec<_> = r.failed().collect();
    assert_eq!(failed.len(), 1, "{service}: {:?}", r.files);
    let e = failed[0].1;
    assert_eq!(e.kind(), ErrorKind::PreconditionFailed, "{service}: {e}");
    assert!(
        e.to_string()
            .contains("the object changed during the download"),
        "{service}: {e}"
    );
    assert!(!target.exists(), "{service}: a partial target");
    assert!(
        temp_files(dir).is_empty(),
        "{service}: {:?}",
        temp_files(dir)
    );
}

fn ranged(progress: Arc<dyn Progress>) -> TransferOptions {
    TransferOptions::new()
        .part_size(1 << 20)
        .parts_in_flight(2)
        .progress_arc(progress)
}

#[test]
fn sync_big_downloads_go_in_pinned_parts_on_s3_and_azure() {
    let (Some(s3), Some(az)) = (Server::moto(), azurite()) else {
        return;
    };
    let bucket = block_on(s3.fresh_bucket("transfer-ranged-sync"));
    let s3_store = Store::new(S3Backend::new(s3.config(&bucket)).unwrap(), "").unwrap();
    let azure = AzureBackend::new(az.config("transfer-ranged-sync")).unwrap();
    azure.create_container().unwrap();
    let az_store = Store::new(azure, "").unwrap();
    let data = pattern(BIG, 5);
    for (service, store) in [("s3", &s3_store), ("azure", &az_store)] {
        assert!(
            store.supports(Capability::RangeRead) && store.supports(Capability::ConditionalRead),
            "{service}: the ranged path needs range_read and conditional_read"
        );
        store.write("big.bin", Bytes::from(data.clone())).unwrap();
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("big.bin");
        let progress = Arc::new(Counting::default());
        let r = sync::download_with(store, "big.bin", &target, &ranged(progress.clone())).unwrap();
        assert_ranged_copy(service, &r, &target, &data, &progress);

        let other = store.clone();
        let replace = replace_midway(move || {
            let opts = WriteOptions::new().overwrite(true);
            other.write_with("big.bin", "replaced", opts).unwrap();
        });
        let target = dir.path().join("changed.bin");
        let r = sync::download_with(store, "big.bin", &target, &ranged(replace)).unwrap();
        assert_changed_midway(service, &r, dir.path(), &target);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn async_big_downloads_go_in_pinned_parts_on_s3_and_azure() {
    let (Some(s3), Some(az)) = (Server::moto(), azurite()) else {
        return;
    };
    let bucket = s3.fresh_bucket("transfer-ranged-async").await;
    let s3_store = AsyncStore::new(AsyncS3Backend::new(s3.config(&bucket)).unwrap(), "").unwrap();
    let azure = AsyncAzureBackend::new(az.config("transfer-ranged-async")).unwrap();
    azure.create_container().await.unwrap();
    let az_store = AsyncStore::new(azure, "").unwrap();
    let data = pattern(BIG, 5);
    for (service, store) in [("s3", &s3_store), ("azure", &az_store)] {
        assert!(
            store.supports(Capability::RangeRead) && store.supports(Capability::ConditionalRead),
            "{service}: the ranged path needs range_read and conditional_read"
        );
        store
            .write("big.bin", Bytes::from(data.clone()))
            .await
            .unwrap();
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("big.bin");
        let progress = Arc::new(Counting::default());
        let r = aio::download_with(store, "big.bin", &target, &ranged(progress.clone()))
            .await
            .unwrap();
        assert_ranged_copy(service, &r, &target, &data, &progress);

        // The observer is called inside the transfer's future: the replacing write runs
        // on its own thread, driven by the test's runtime.
        let (other, handle) = (store.clone(), tokio::runtime::Handle::current());
        let replace = replace_midway(move || {
            let (other, handle) = (other.clone(), handle.clone());
            std::thread::spawn(move || {
                let opts = WriteOptions::new().overwrite(true);
                handle
                    .block_on(other.write_with("big.bin", "replaced", opts))
                    .unwrap();
            })
            .join()
            .unwrap();
        });
        let target = dir.path().join("changed.bin");
        let r = aio::download_with(store, "big.bin", &target, &ranged(replace))
            .await
            .unwrap();
        assert_changed_midway(service, &r, dir.path(), &target);
    }
}
