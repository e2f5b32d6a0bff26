//! object_store's own integration functions against `ObjectStoreAdapter` over the memory
//! backend, plus the adapter's multipart abort/drop guarantees.

#![cfg(feature = "memory")]

mod object_store_support;

use futures::TryStreamExt;
use object_store::path::Path;
use object_store::{ObjectStore, ObjectStoreExt};
use remote_store_async::AsyncStore;
use remote_store_memory::AsyncMemoryBackend;
use remote_store_object_store::ObjectStoreAdapter;

fn adapter() -> ObjectStoreAdapter {
    let store = AsyncStore::new(AsyncMemoryBackend::new(), "").expect("a memory store");
    ObjectStoreAdapter::new(store)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn object_store_integration_functions_pass() {
    object_store_support::run_all(|_| async { adapter() }).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dropped_upload_commits_nothing() {
    let os = adapter();
    let location = Path::from("dropped/part.bin");
    let mut upload = os.put_multipart(&location).await.unwrap();
    upload.put_part(vec![1u8; 1024].into()).await.unwrap();
    drop(upload);
    // The writer fails on the aborted stream; give it a moment to finish.
    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    let err = os.head(&location).await.unwrap_err();
    assert!(matches!(err, object_store::Error::NotFound { .. }), "{err}");
    let listed: Vec<_> = os.list(None).try_collect().await.unwrap();
    assert!(listed.is_empty(), "{listed:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn keys_are_the_encoded_paths_below_the_root() {
    let store = AsyncStore::new(AsyncMemoryBackend::new(), "").unwrap();
    let os = ObjectStoreAdapter::new(store.child("base").unwrap());
    let p = Path::from_iter(["a", "b/c", "x.txt"]);
    os.put(&p, "v".into()).await.unwrap();
    assert_eq!(store.read_text("base/a/b%2Fc/x.txt").await.unwrap(), "v");
    let listed: Vec<_> = os
        .list(None)
        .map_ok(|m| m.location)
        .try_collect()
        .await
        .unwrap();
    assert_eq!(listed, vec![p]);
    // A path the store would read differently is refused, not renamed.
    let err = os
        .put(&Path::parse("a\\b").unwrap(), "v".into())
        .await
        .unwrap_err();
    assert!(
        matches!(err, object_store::Error::InvalidPath { .. }),
        "{err}"
    );
    // Update is a write `if_match` the version's etag (memory enforces it atomically): the
    // current version goes through, a stale one is `Precondition`, and the content is the
    // last accepted write.
    let v1 = os.put(&Path::from("u"), "1".into()).await.unwrap();
    let v2 = os
        .put_opts(
            &Path::from("u"),
            "2".into(),
            object_store::PutMode::Update(v1.clone().into()).into(),
        )
        .await
        .unwrap();
    assert_ne!(v1.e_tag, v2.e_tag);
    let err = os
        .put_opts(
            &Path::from("u"),
            "3".into(),
            object_store::PutMode::Update(v1.into()).into(),
        )
        .await
        .unwrap_err();
    assert!(
        matches!(err, object_store::Error::Precondition { .. }),
        "{err}"
    );
    assert_eq!(store.read_text("base/u").await.unwrap(), "2");
    // Reads: a current etag in `if_none_match` is `NotModified`; a stale one in `if_match`
    // is `Precondition` (both evaluated with the read by `read_with`).
    let current = object_store::GetOptions::new();
    let mut unchanged = current.clone();
    unchanged.if_none_match = v2.e_tag.clone();
    let err = os.get_opts(&Path::from("u"), unchanged).await.unwrap_err();
    assert!(
        matches!(err, object_store::Error::NotModified { .. }),
        "{err}"
    );
    let mut stale = current;
    stale.if_match = Some("\"0\"".into());
    let err = os.get_opts(&Path::from("u"), stale).await.unwrap_err();
    assert!(
        matches!(err, object_store::Error::Precondition { .. }),
        "{err}"
    );
    // Versions are not readable: NotImplemented.
    let err = os
        .get_opts(
            &Path::from("u"),
            object_store::GetOptions::new().with_version(Some("v1")),
        )
        .await
        .unwrap_err();
    assert!(
        matches!(err, object_store::Error::NotImplemented { .. }),
        "{err}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn get_ranges_reads_the_right_bytes() {
    let os = adapter();
    let data: Vec<u8> = (0..100_000u32).map(|i| (i % 251) as u8).collect();
    let p = Path::from("r.bin");
    os.put(&p, data.clone().into()).await.unwrap();
    let ranges = [
        0..10,
        5..20,
        50_000..50_010,
        99_990..100_000,
        99_999..100_050,
    ];
    let got = os.get_ranges(&p, &ranges).await.unwrap();
    for (r, bytes) in ranges.iter().zip(&got) {
        let end = (r.end as usize).min(data.len());
        assert_eq!(&bytes[..], &data[r.start as usize..end], "{r:?}");
    }
    assert!(os.get_ranges(&p, &[]).await.unwrap().is_empty());
    os.get_ranges(&p, std::slice::from_ref(&(100_000..100_001)))
        .await
        .unwrap_err();
    let err = os
        .get_ranges(&Path::from("missing"), std::slice::from_ref(&(0..1)))
        .await
        .unwrap_err();
    assert!(matches!(err, object_store::Error::NotFound { .. }), "{err}");
}
