//! object_store's own integration functions against `ObjectStoreAdapter` over the local
//! backend, plus: an aborted or dropped multipart upload leaves no file, temporary or not.

#![cfg(feature = "local")]

mod object_store_support;

use std::path::PathBuf;

use object_store::ObjectStoreExt;
use object_store::path::Path;
use remote_store_async::AsyncStore;
use remote_store_local::AsyncLocalBackend;
use remote_store_object_store::ObjectStoreAdapter;

fn adapter_at(dir: PathBuf) -> ObjectStoreAdapter {
    std::fs::create_dir_all(&dir).unwrap();
    let store = AsyncStore::new(AsyncLocalBackend::new(dir).unwrap(), "").unwrap();
    ObjectStoreAdapter::new(store)
}

/// Every regular file below `dir`.
fn files_below(dir: &std::path::Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut todo = vec![dir.to_path_buf()];
    while let Some(d) = todo.pop() {
        for entry in std::fs::read_dir(d).unwrap() {
            let entry = entry.unwrap();
            if entry.file_type().unwrap().is_dir() {
                todo.push(entry.path());
            } else {
                out.push(entry.path());
            }
        }
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn object_store_integration_functions_pass() {
    let base = tempfile::tempdir().unwrap();
    let root = base.path().to_path_buf();
    object_store_support::run_all(move |name| {
        let dir = root.join(name);
        async move { adapter_at(dir) }
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn aborted_and_dropped_uploads_leave_no_file() {
    let base = tempfile::tempdir().unwrap();
    let os = adapter_at(base.path().to_path_buf());
    let location = Path::from("d/upload.bin");

    let mut upload = os.put_multipart(&location).await.unwrap();
    upload.put_part(vec![7u8; 300_000].into()).await.unwrap();
    upload.put_part(vec![8u8; 300_000].into()).await.unwrap();
    upload.abort().await.unwrap();
    assert!(
        files_below(base.path()).is_empty(),
        "{:?}",
        files_below(base.path())
    );

    let mut upload = os.put_multipart(&location).await.unwrap();
    upload.put_part(vec![7u8; 300_000].into()).await.unwrap();
    drop(upload);
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    while !files_below(base.path()).is_empty() && std::time::Instant::now() < deadline {
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    assert!(
        files_below(base.path()).is_empty(),
        "{:?}",
        files_below(base.path())
    );
    let err = os.head(&location).await.unwrap_err();
    assert!(matches!(err, object_store::Error::NotFound { .. }), "{err}");

    // A completed upload is there, whole.
    let mut upload = os.put_multipart(&location).await.unwrap();
    upload.put_part(vec![1u8; 10].into()).await.unwrap();
    upload.put_part(vec![2u8; 5].into()).await.unwrap();
    let put = upload.complete().await.unwrap();
    let got = os.get(&location).await.unwrap();
    assert_eq!(got.meta.e_tag, put.e_tag);
    assert_eq!(got.bytes().await.unwrap().len(), 15);
    assert_eq!(files_below(base.path()).len(), 1);
}
