//! Azure-specific behaviour beyond the shared contract: paginated and lazy listings, the
//! blocking backend inside tokio runtimes, failed streamed writes that commit nothing,
//! server-side copies, block-staged writes, the MD5 digests of single and staged writes,
//! and the warning for blobs a listing leaves out.
#![cfg(feature = "azure")]

mod azure_support;

use std::io;
use std::sync::Arc;

use bytes::Bytes;
use futures::StreamExt;
use remote_store_async::{AsyncContent, AsyncStore};
use remote_store_azure::azure_storage_blob::BlobContainerClient;
use remote_store_azure::azure_storage_blob::models::BlobClientGetPropertiesResultHeaders;
use remote_store_azure::{AsyncAzureBackend, AzureBackend};
use remote_store_core::{ChecksumAlgorithm, ErrorKind, WriteOptions};
use remote_store_sync::{Content, Store};

use azure_support::{Azurite, azurite, pattern};
use remote_store_core::ListOptions;

const MIB: usize = 1024 * 1024;

fn sync_backend(az: &Azurite, tag: &str, page: u32) -> AzureBackend {
    let b = AzureBackend::new(
        az.config(tag)
            .list_page_size(page)
            .part_size(MIB as u64)
            .max_concurrency(3),
    )
    .unwrap();
    b.create_container().unwrap();
    b
}

async fn async_backend(az: &Azurite, tag: &str, page: u32) -> AsyncAzureBackend {
    let b = AsyncAzureBackend::new(
        az.config(tag)
            .list_page_size(page)
            .part_size(MIB as u64)
            .max_concurrency(3),
    )
    .unwrap();
    b.create_container().await.unwrap();
    b
}

#[test]
fn sync_listing_spans_pages_and_is_lazy() {
    let Some(az) = azurite() else { return };
    let backend = Arc::new(sync_backend(&az, "pages-s", 3));
    let store = Store::from_arc(backend.clone(), "").unwrap();
    for i in 0..10 {
        store.write(format!("dir/f{i:02}.txt"), "x").unwrap();
    }
    for d in 0..7 {
        store.write(format!("dir/sub{d}/inner.txt"), "y").unwrap();
    }

    let before = backend.list_pages_fetched();
    let files: Vec<_> = store.list_files("dir").unwrap().collect();
    assert_eq!(files.len(), 10);
    let pages = backend.list_pages_fetched() - before;
    assert!(
        pages >= 4,
        "17 entries at 3 per page need at least 6 pages, saw {pages}"
    );

    let before = backend.list_pages_fetched();
    assert_eq!(store.list_folders("dir").unwrap().count(), 7);
    assert!(backend.list_pages_fetched() - before > 1);

    let before = backend.list_pages_fetched();
    assert_eq!(
        store
            .list_files_with("dir", ListOptions::new().recursive(true))
            .unwrap()
            .count(),
        17
    );
    assert!(backend.list_pages_fetched() - before >= 6);

    // Lazy: taking the first entry fetches one page, not the whole listing.
    let before = backend.list_pages_fetched();
    let first = store
        .list_files_with("dir", ListOptions::new().recursive(true))
        .unwrap()
        .next()
        .unwrap()
        .unwrap();
    assert_eq!(first.path.as_str(), "dir/f00.txt");
    assert!(backend.list_pages_fetched() - before <= 2);
}

#[tokio::test]
async fn async_listing_spans_pages_and_is_lazy() {
    let Some(az) = azurite() else { return };
    let backend = Arc::new(async_backend(&az, "pages-a", 4).await);
    let store = AsyncStore::from_arc(backend.clone(), "").unwrap();
    for i in 0..13 {
        store.write(&format!("f{i:02}.txt"), "x").await.unwrap();
    }
    let before = backend.list_pages_fetched();
    let n = store.list_files("").unwrap().count().await;
    assert_eq!(n, 13);
    assert!(backend.list_pages_fetched() - before >= 4);

    let before = backend.list_pages_fetched();
    let mut s = store
        .list_files_with("", ListOptions::new().recursive(true))
        .unwrap();
    assert!(s.next().await.unwrap().is_ok());
    assert_eq!(backend.list_pages_fetched() - before, 1);
}

/// The blocking backend used straight from async code on both runtime flavours: no panic
/// ("Cannot start a runtime from within a runtime"), no deadlock.
#[tokio::test(flavor = "current_thread")]
async fn sync_backend_inside_current_thread_runtime() {
    let Some(az) = azurite() else { return };
    let store = Store::new(sync_backend(&az, "inside-ct", 100), "").unwrap();
    store.write("a.txt", "inside").unwrap();
    assert_eq!(store.read_text("a.txt").unwrap(), "inside");
    assert_eq!(
        store
            .list_files_with("", ListOptions::new().recursive(true))
            .unwrap()
            .count(),
        1
    );
    store.close().unwrap();
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
#[test]
async fn sync_backend_inside_tokio_main() {
    let Some(az) = azurite() else { return };
    let store = Store::new(sync_backend(&az, "inside-mt", 100), "").unwrap();
    let big = pattern(3 * MIB + 17, 1);
    store.write("big.bin", Content::reader(&big[..])).unwrap();
    assert_eq!(store.read_bytes("big.bin").unwrap(), big);
    store.close().unwrap();
    assert_eq!(
        store.read_bytes("big.bin").unwrap_err().kind(),
        ErrorKind::BackendUnavailable
    );
}

/// A stream that yields `ok_bytes` and then fails.
fn failing_chunks(ok_bytes: usize) -> impl Iterator<Item = io::Result<Bytes>> {
    let chunk = Bytes::from(pattern(256 * 1024, 9));
    (0..ok_bytes / chunk.len())
        .map(move |_| Ok(chunk.clone()))
        .chain(std::iter::once(Err(io::Error::other("source failed"))))
}

#[test]
fn sync_failed_streamed_write_commits_nothing() {
    let Some(az) = azurite() else { return };
    let store = Store::new(sync_backend(&az, "fail-s", 100), "").unwrap();
    store.write("keep.bin", "old").unwrap();
    // Four 1 MiB blocks are staged before the source fails.
    let err = store
        .write_atomic_with(
            "keep.bin",
            Content::chunks(failing_chunks(4 * MIB)),
            WriteOptions::default().overwrite(true),
        )
        .unwrap_err();
    assert_ne!(err.kind(), ErrorKind::NotFound, "{err}");
    assert_eq!(store.read_text("keep.bin").unwrap(), "old");
    let err = store
        .write("new.bin", Content::chunks(failing_chunks(2 * MIB)))
        .unwrap_err();
    assert_ne!(err.kind(), ErrorKind::AlreadyExists);
    assert!(!store.exists("new.bin").unwrap());
    let names: Vec<_> = store
        .list_files_with("", ListOptions::new().recursive(true))
        .unwrap()
        .map(|f| f.unwrap().path.as_str().to_owned())
        .collect();
    assert_eq!(names, ["keep.bin"]);
}

#[tokio::test]
async fn async_failed_streamed_write_commits_nothing() {
    let Some(az) = azurite() else { return };
    let store = AsyncStore::new(async_backend(&az, "fail-a", 100).await, "").unwrap();
    store.write("keep.bin", "old").await.unwrap();
    let err = store
        .write_atomic_with(
            "keep.bin",
            AsyncContent::chunks(futures::stream::iter(failing_chunks(4 * MIB))),
            WriteOptions::default().overwrite(true),
        )
        .await
        .unwrap_err();
    assert_ne!(err.kind(), ErrorKind::NotFound, "{err}");
    assert_eq!(store.read_text("keep.bin").await.unwrap(), "old");
    assert_eq!(
        store
            .list_files_with("", ListOptions::new().recursive(true))
            .unwrap()
            .count()
            .await,
        1
    );
}

#[tokio::test]
async fn streamed_write_stages_blocks_and_reports_service_values() {
    let Some(az) = azurite() else { return };
    let store = AsyncStore::new(async_backend(&az, "blocks", 100).await, "").unwrap();
    let data = pattern(5 * MIB + 3, 4);
    let chunks: Vec<io::Result<Bytes>> = data
        .chunks(100_000)
        .map(|c| Ok(Bytes::copy_from_slice(c)))
        .collect();
    let result = store
        .write(
            "staged.bin",
            AsyncContent::chunks(futures::stream::iter(chunks)),
        )
        .await
        .unwrap();
    assert_eq!(result.size, data.len() as u64);
    let info = store.get_file_info("staged.bin").await.unwrap();
    assert_eq!(result.etag, info.etag);
    assert!(
        info.modified.is_some(),
        "a written file reports its modification time"
    );
    assert_eq!(result.last_modified, info.modified);
    assert_eq!(store.read_bytes("staged.bin").await.unwrap(), data);

    // Six blocks were committed (5 MiB + 3 bytes in 1 MiB blocks).
    let client = store.native::<BlobContainerClient>().unwrap();
    let blocks = client
        .blob_client("staged.bin")
        .block_blob_client()
        .get_block_list(
            remote_store_azure::azure_storage_blob::models::BlockListType::Committed,
            None,
        )
        .await
        .unwrap()
        .into_model()
        .unwrap();
    assert_eq!(blocks.committed_blocks.map_or(0, |b| b.len()), 6);

    // A native ranged read.
    let mut part = Vec::new();
    let mut s = store
        .read_range("staged.bin", 1_048_570..1_048_590)
        .await
        .unwrap();
    while let Some(c) = s.next().await {
        part.extend_from_slice(&c.unwrap());
    }
    assert_eq!(part, &data[1_048_570..1_048_590]);
}

#[tokio::test]
async fn copy_is_server_side() {
    let Some(az) = azurite() else { return };
    let store = AsyncStore::new(async_backend(&az, "copy", 100).await, "").unwrap();
    let mut meta = remote_store_core::Metadata::new();
    meta.insert("owner", "ada")
        .insert("Project-Name", "Straße 9")
        .insert("CamelCase", " padded ");
    store
        .write_with(
            "src.bin",
            pattern(2 * MIB, 7),
            WriteOptions::default().metadata(meta.clone()),
        )
        .await
        .unwrap();
    store.copy_file("src.bin", "dst.bin").await.unwrap();
    assert_eq!(
        store.read_bytes("dst.bin").await.unwrap(),
        pattern(2 * MIB, 7)
    );
    assert_eq!(
        store.get_file_info("dst.bin").await.unwrap().metadata,
        Some(meta)
    );
    // The service recorded a Copy Blob operation on the destination.
    let client: &BlobContainerClient = store.native::<BlobContainerClient>().unwrap();
    let props = client
        .blob_client("dst.bin")
        .get_properties(None)
        .await
        .unwrap();
    assert!(
        props.copy_id().unwrap().is_some(),
        "no x-ms-copy-id: not a server-side copy"
    );
    assert_eq!(
        store
            .copy_file("src.bin", "dst.bin")
            .await
            .unwrap_err()
            .kind(),
        ErrorKind::AlreadyExists
    );
}

/// A blob under another client's lease refuses writes and deletes with a 412 whose code
/// names the lease: `PermissionDenied` saying so, not `AlreadyExists` (an overwrite that
/// "already exists" sent its caller looking for the wrong problem).
#[tokio::test]
async fn a_leased_blob_is_permission_denied() {
    let Some(az) = azurite() else { return };
    let store = AsyncStore::new(async_backend(&az, "leased", 100).await, "").unwrap();
    store.write("held.txt", "held").await.unwrap();
    let client: &BlobContainerClient = store.native::<BlobContainerClient>().unwrap();
    client
        .blob_client("held.txt")
        .acquire_lease(-1, None)
        .await
        .unwrap();
    let refused = |what: &str, e: remote_store_core::Error| {
        assert_eq!(e.kind(), ErrorKind::PermissionDenied, "{what}: {e}");
        assert!(e.to_string().contains("Lease"), "{what}: {e}");
    };
    let overwrite = WriteOptions::default().overwrite(true);
    refused(
        "write",
        store
            .write_with("held.txt", "new", overwrite.clone())
            .await
            .unwrap_err(),
    );
    refused("delete", store.delete("held.txt").await.unwrap_err());
    assert_eq!(store.read_text("held.txt").await.unwrap(), "held");
}

/// 100 staged-block writes dropped at random points never leave a partial blob: each
/// name is absent or holds the complete body (a dropped write may or may not have taken
/// effect — the contract — but never half).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cancelled_writes_never_leave_a_partial_blob() {
    let Some(env) = azurite() else { return };
    let backend = AsyncAzureBackend::new(env.config("cancel").part_size(256 * 1024)).unwrap();
    backend.create_container().await.unwrap();
    let store = AsyncStore::new(backend, "").unwrap();
    let body = Bytes::from(pattern(3 * 256 * 1024 + 7, 3));
    let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut cancelled = 0;
    for i in 0..100 {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        let wait = std::time::Duration::from_micros(x % 30_000);
        let write = store.write_atomic(format!("c/{i}.bin"), body.clone());
        if tokio::time::timeout(wait, write).await.is_err() {
            cancelled += 1;
        }
    }
    assert!(cancelled > 0, "no write was cancelled");
    // Let requests already sent land.
    tokio::time::sleep(std::time::Duration::from_secs(1)).await;
    for i in 0..100 {
        let key = format!("c/{i}.bin");
        if store.exists(&key).await.unwrap() {
            let got = store.read_bytes(&key).await.unwrap();
            assert_eq!(got.len(), body.len(), "{key} is partial");
            assert!(got == body, "{key} holds other bytes");
        }
    }
}

fn md5_hex(data: &[u8]) -> String {
    use md5::Digest as _;
    md5::Md5::digest(data)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// `checksum(Md5)`: a Put Blob returns the service's Content-MD5; a staged write returns the
/// MD5 the backend computed and stored as the blob's Content-MD5. Both equal the content's,
/// and the blob's properties say the same afterwards.
#[tokio::test]
async fn md5_digest_of_single_and_staged_writes() {
    let Some(az) = azurite() else { return };
    let store = AsyncStore::new(async_backend(&az, "md5", 100).await, "").unwrap();
    let md5 = || WriteOptions::new().checksum(ChecksumAlgorithm::Md5);
    let small = pattern(1000, 5);
    let big = pattern(3 * MIB + 17, 6);
    let chunks: Vec<io::Result<Bytes>> = big
        .chunks(300_001)
        .map(|c| Ok(Bytes::copy_from_slice(c)))
        .collect();
    let single = store
        .write_with("single.bin", small.clone(), md5())
        .await
        .unwrap();
    let staged = store
        .write_with(
            "staged.bin",
            AsyncContent::chunks(futures::stream::iter(chunks)),
            md5(),
        )
        .await
        .unwrap();
    let client = store.native::<BlobContainerClient>().unwrap();
    for (name, result, data) in [("single.bin", single, &small), ("staged.bin", staged, &big)] {
        let d = result.digest.unwrap_or_else(|| panic!("{name}: no digest"));
        assert_eq!(
            (d.algorithm.as_str(), d.value.clone()),
            ("md5", md5_hex(data)),
            "{name}"
        );
        let props = client.blob_client(name).get_properties(None).await.unwrap();
        let stored = props
            .content_md5()
            .unwrap()
            .expect("the blob keeps its Content-MD5");
        let stored: String = stored.iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(stored, d.value, "{name}: the blob's Content-MD5");
    }
    // Without the option there is no digest; CRC-32C is not an Azure checksum.
    let plain = store
        .write_with("plain.bin", "x", WriteOptions::new())
        .await
        .unwrap();
    assert_eq!(plain.digest, None);
    let e = store
        .write_with(
            "crc.bin",
            "x",
            WriteOptions::new().checksum(ChecksumAlgorithm::Crc32c),
        )
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::CapabilityNotSupported);
}

/// ADR 0014. Strict mode (the default) refuses a write onto a folder whichever way the
/// check runs — alongside the `If-None-Match: *` put for `overwrite = false`, before the
/// put for `overwrite = true` — and leaves no blob at the key; a small write costs one
/// folder listing. The flat-namespace mode lists nothing, does not declare
/// `folder_file_exclusion`, and a write onto a folder makes the path both.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn folder_checks_in_strict_and_flat_mode() {
    use remote_store_core::Capability;
    let Some(az) = azurite() else { return };
    let config = az.config("folders");
    let backend = Arc::new(AsyncAzureBackend::new(config.clone()).unwrap());
    backend.create_container().await.unwrap();
    let store = AsyncStore::from_arc(backend.clone(), "").unwrap();
    assert!(store.supports(Capability::FolderFileExclusion));
    store.write("d/x.txt", "x").await.unwrap();
    for overwrite in [false, true] {
        let before = backend.list_pages_fetched();
        let opts = WriteOptions::new().overwrite(overwrite);
        store.write_with("n.txt", "n", opts.clone()).await.unwrap();
        assert_eq!(
            backend.list_pages_fetched() - before,
            1,
            "one folder listing per small write (overwrite = {overwrite})"
        );
        store.delete("n.txt").await.unwrap();
        let err = store.write_with("d", "y", opts).await.unwrap_err();
        assert_eq!(
            err.kind(),
            ErrorKind::InvalidPath,
            "overwrite = {overwrite}: {err}"
        );
        assert!(
            !store.is_file("d").await.unwrap(),
            "a refused write (overwrite = {overwrite}) left a blob at the folder's key"
        );
        let streamed = AsyncContent::chunks(futures::stream::iter([Ok(Bytes::from("y"))]));
        let opts = WriteOptions::new().overwrite(overwrite);
        let err = store.write_with("d", streamed, opts).await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidPath, "streamed: {err}");
        assert!(!store.is_file("d").await.unwrap(), "streamed");
    }
    assert_eq!(&store.read_bytes("d/x.txt").await.unwrap()[..], b"x");

    let flat = Arc::new(AsyncAzureBackend::new(config.check_folder_targets(false)).unwrap());
    let flat_store = AsyncStore::from_arc(flat.clone(), "").unwrap();
    assert!(!flat_store.supports(Capability::FolderFileExclusion));
    flat_store.write("e.txt", "e").await.unwrap();
    flat_store.write("d", "y").await.unwrap();
    assert_eq!(
        flat.list_pages_fetched(),
        0,
        "the flat mode lists nothing before writes"
    );
    assert!(flat_store.is_file("d").await.unwrap() && flat_store.is_folder("d").await.unwrap());
    assert_eq!(&flat_store.read_bytes("d").await.unwrap()[..], b"y");
    assert_eq!(&flat_store.read_bytes("d/x.txt").await.unwrap()[..], b"x");
}

/// A blob whose name cannot be a store path (here: an empty segment) is
/// left out of a listing with a WARN event naming it, so a tree copied through the store
/// never loses it without a word; a folder marker (`a/`) is skipped silently.
#[tokio::test]
async fn listing_names_the_blobs_it_leaves_out() {
    use tracing_subscriber::layer::SubscriberExt;

    let Some(az) = azurite() else { return };
    let store = AsyncStore::new(async_backend(&az, "oddnames", 100).await, "").unwrap();
    store
        .write("odd/ok.txt", Bytes::from_static(b"ok"))
        .await
        .unwrap();
    let client: &BlobContainerClient = store.native::<BlobContainerClient>().unwrap();
    let odd = ["odd//double.txt", "odd/deep//er.txt", "odd/marker/"];
    for name in odd {
        client
            .blob_client(name)
            .block_blob_client()
            .upload(Bytes::from_static(b"x").into(), None)
            .await
            .unwrap();
    }
    let warnings = Warnings::default();
    let subscriber = tracing_subscriber::registry().with(warnings.clone());
    let listed: Vec<String> = {
        let _guard = tracing::subscriber::set_default(subscriber);
        store
            .list_files_with("odd", ListOptions::subtree())
            .unwrap()
            .map(|f| f.unwrap().path.as_str().to_owned())
            .collect()
            .await
    };
    assert_eq!(listed, ["odd/ok.txt"]);
    let warnings = warnings.0.lock().unwrap();
    for name in &odd[..2] {
        let shown = name.escape_debug().to_string();
        assert!(
            warnings
                .iter()
                .any(|w| w.contains(&shown) && w.contains("left out of the listing")),
            "{name:?} not named: {warnings:?}"
        );
    }
    assert_eq!(warnings.len(), 2, "the marker is no warning: {warnings:?}");
}

/// The WARN events of the `remote_store` target, each as its fields joined into a line.
#[derive(Clone, Default)]
struct Warnings(Arc<std::sync::Mutex<Vec<String>>>);

impl<S: tracing::Subscriber> tracing_subscriber::Layer<S> for Warnings {
    fn on_event(&self, event: &tracing::Event<'_>, _: tracing_subscriber::layer::Context<'_, S>) {
        struct Line(String);
        impl tracing::field::Visit for Line {
            fn record_debug(&mut self, field: &tracing::field::Field, value: &dyn std::fmt::Debug) {
                self.0.push_str(&format!(" {}={value:?}", field.name()));
            }
            fn record_str(&mut self, field: &tracing::field::Field, value: &str) {
                self.0.push_str(&format!(" {}={value}", field.name()));
            }
        }
        let meta = event.metadata();
        if *meta.level() == tracing::Level::WARN && meta.target() == "remote_store" {
            let mut line = Line(String::new());
            event.record(&mut line);
            self.0.lock().unwrap().push(line.0);
        }
    }
}
