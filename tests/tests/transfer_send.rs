//! Issue 13: every future of the async transfer half is `Send`, so it can run on a
//! multi-threaded runtime or be spawned from an `async move` block; the shared types are
//! `Send + Sync`. Checked at compile time (and one upload is spawned to prove it).
#![cfg(feature = "memory")]

use std::path::Path;

use remote_store_async::AsyncStore;
use remote_store_core::{ContentDigest, DeleteOptions, WriteMode, WriteOptions};
use remote_store_memory::AsyncMemoryBackend;
use remote_store_transfer::{
    BatchOptions, BatchResult, ChecksumAlgorithm, TransferOptions, TransferReport, aio,
};

fn send<T: Send>(_: &T) {}
fn send_sync<T: Send + Sync>() {}

#[allow(dead_code)]
fn futures_are_send(store: &AsyncStore, local: &Path, digest: &ContentDigest) {
    let opts = TransferOptions::new();
    let batch = BatchOptions::new();
    send(&aio::delete_many(store, ["a"]));
    send(&aio::delete_many_with(
        store,
        ["a"],
        DeleteOptions::new(),
        &batch,
    ));
    send(&aio::copy_many(store, [("a", "b")]));
    send(&aio::move_many(store, [("a", "b")]));
    send(&aio::exists_many(store, ["a"]));
    send(&aio::upload(local, store, "d"));
    send(&aio::upload_with(local, store, "d", &opts));
    send(&aio::download(store, "s", local));
    send(&aio::download_with(store, "s", local, &opts));
    send(&aio::copy_between(store, "s", store, "d"));
    send(&aio::copy_between_with(store, "s", store, "d", &opts));
    send(&aio::write_with_digest(
        store,
        "p",
        "x",
        ChecksumAlgorithm::Sha256,
    ));
    send(&aio::write_with_digest_with(
        store,
        "p",
        "x",
        ChecksumAlgorithm::Md5,
        WriteMode::Atomic,
        WriteOptions::new(),
    ));
    send(&aio::digest(store, "p", ChecksumAlgorithm::Crc32c));
    send(&aio::verify(store, "p", digest));
}

#[test]
fn shared_types_are_send_and_sync() {
    send_sync::<TransferOptions>();
    send_sync::<TransferReport>();
    send_sync::<BatchResult<bool>>();
    send_sync::<BatchOptions>();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_upload_can_be_spawned() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("f.txt"), "spawned").unwrap();
    let store = AsyncStore::new(AsyncMemoryBackend::new(), "").unwrap();
    let (s, d) = (store.clone(), dir.path().to_path_buf());
    let report = tokio::spawn(async move { aio::upload(d.join("f.txt"), &s, "f.txt").await })
        .await
        .unwrap()
        .unwrap();
    assert!(report.is_success());
    assert_eq!(store.read_text("f.txt").await.unwrap(), "spawned");
}
