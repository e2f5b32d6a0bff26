//! object_store's own integration functions against `ObjectStoreAdapter` over the memory
//! backend, plus the adapter's multipart abort/drop guarantees.

#![cfg(feature = "memory")]

mod object_store_support;
mod tamper_support;

use futures::TryStreamExt;
use object_store::path::Path;
use object_store::{ObjectStore, ObjectStoreExt};
use remote_store_async::AsyncStore;
use remote_store_memory::AsyncMemoryBackend;
use remote_store_object_store::ObjectStoreAdapter;
use remote_store_sync::Backend as _;
use tamper_support::{Tamper, Tampered};

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

/// object_store accepts a list of etags in `if_match`; the adapter checks the caller's
/// conditions itself and holds the read to the checked version, so a list that names the
/// current etag reads (it failed with `Precondition`: the list went on as one etag). A copy
/// from a folder finds no object there (`NotFound`, as in a flat namespace).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn etag_lists_read_and_a_folder_is_no_object() {
    let os = adapter();
    let p = Path::from("e.txt");
    os.put(&p, "etag".into()).await.unwrap();
    let etag = os.head(&p).await.unwrap().e_tag.expect("an etag");
    let opts = object_store::GetOptions {
        if_match: Some(format!("\"not-it\", {etag}")),
        ..Default::default()
    };
    let got = os.get_opts(&p, opts).await.unwrap().bytes().await.unwrap();
    assert_eq!(&got[..], b"etag");
    let opts = object_store::GetOptions {
        if_match: Some("\"not-it\", \"nor-this\"".into()),
        ..Default::default()
    };
    let err = os.get_opts(&p, opts).await.unwrap_err();
    assert!(
        matches!(err, object_store::Error::Precondition { .. }),
        "{err}"
    );

    os.put(&Path::from("dir/x"), "x".into()).await.unwrap();
    let err = os
        .copy(&Path::from("dir"), &Path::from("y"))
        .await
        .unwrap_err();
    assert!(matches!(err, object_store::Error::NotFound { .. }), "{err}");
}

/// A memory backend without conditional reads, tampered with ([`Tampered`]): with `replace_with`, its
/// reads first replace the file by that many bytes of `n` (the replacement a reader meets
/// between the adapter's `head` and its read); with `hide_modified`, it reports no
/// modification times; with `refuse_writes`, its writes fail with `PermissionDenied` after
/// their first bytes.
#[derive(Debug, Default)]
struct Tampering {
    inner: remote_store_memory::MemoryBackend,
    replace_with: Option<usize>,
    hide_modified: bool,
    refuse_writes: bool,
}

impl Tampering {
    fn replace(&self, path: &remote_store_core::RemotePath) {
        let Some(len) = self.replace_with else {
            return;
        };
        remote_store_sync::Store::new(self.inner.clone(), "")
            .unwrap()
            .write_with(
                path.as_str(),
                vec![b'n'; len],
                remote_store_core::WriteOptions::new().overwrite(true),
            )
            .unwrap();
    }
}

impl Tamper for Tampering {
    fn inner(&self) -> &remote_store_memory::MemoryBackend {
        &self.inner
    }
    fn capabilities(&self) -> remote_store_core::CapabilitySet {
        self.inner
            .capabilities()
            .without(remote_store_core::Capability::ConditionalRead)
    }
    fn read(
        &self,
        path: &remote_store_core::RemotePath,
    ) -> remote_store_core::Result<remote_store_sync::Reader> {
        self.replace(path);
        self.inner.read(path)
    }
    fn read_range(
        &self,
        path: &remote_store_core::RemotePath,
        range: std::ops::Range<u64>,
    ) -> remote_store_core::Result<remote_store_sync::Reader> {
        self.replace(path);
        self.inner.read_range(path, range)
    }
    fn write(
        &self,
        path: &remote_store_core::RemotePath,
        content: remote_store_sync::Content<'_>,
        mode: remote_store_core::WriteMode,
        opts: &remote_store_core::WriteOptions,
    ) -> remote_store_core::Result<remote_store_core::WriteResult> {
        if self.refuse_writes {
            let mut first = [0u8; 1];
            let _ = std::io::Read::read(&mut content.into_reader(), &mut first);
            return Err(remote_store_core::Error::new(
                remote_store_core::ErrorKind::PermissionDenied,
            )
            .with_path(path.as_str()));
        }
        self.inner.write(path, content, mode, opts)
    }
    fn get_file_info(
        &self,
        path: &remote_store_core::RemotePath,
    ) -> remote_store_core::Result<remote_store_core::FileInfo> {
        let mut info = self.inner.get_file_info(path)?;
        if self.hide_modified {
            info.modified = None;
        }
        Ok(info)
    }
}

/// An object replaced between the adapter's `head` and its read, by a longer or a shorter
/// version, fails the get (whole, ranged, or `get_ranges`) instead of handing back the new
/// version's bytes under the old version's size and range.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_replacement_during_a_get_fails_it() {
    for grow in [true, false] {
        let inner = remote_store_memory::MemoryBackend::new();
        let seed = remote_store_sync::Store::new(inner.clone(), "").unwrap();
        // The 100-byte version each get starts from (its read replaces it).
        let reset = || {
            seed.write_with(
                "o.bin",
                vec![b'o'; 100],
                remote_store_core::WriteOptions::new().overwrite(true),
            )
            .unwrap()
        };
        let tampered = Tampered(Tampering {
            inner,
            replace_with: Some(if grow { 300 } else { 30 }),
            ..Tampering::default()
        });
        let store = AsyncStore::from_blocking(tampered, "").unwrap();
        let os = ObjectStoreAdapter::new(store);
        let p = Path::from("o.bin");
        let changed = |what: &str, err: object_store::Error| {
            let text = err.to_string();
            assert!(text.contains("changed while being read"), "{what}: {text}");
        };
        reset();
        let whole = os.get(&p).await.unwrap().bytes().await;
        changed(
            "whole get",
            whole.expect_err("a whole get of a replaced object"),
        );
        reset();
        let ranged = os.get_range(&p, 10..60).await;
        if grow {
            // The longer version has bytes 10..60 too: a range read cannot tell.
            assert_eq!(&ranged.unwrap()[..], &[b'n'; 50][..]);
        } else {
            changed("get_range", ranged.expect_err("a range past the new end"));
            reset();
            let err = os.get_ranges(&p, &[0..10, 90..100]).await;
            changed(
                "get_ranges",
                err.expect_err("get_ranges of a shrunk object"),
            );
        }
    }
}

/// Without a modification time (`last_modified` shows the epoch) the time conditions are
/// ignored, as HTTP says: every `if_modified_since` was `NotModified` against the epoch.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn time_conditions_without_a_modification_time_are_ignored() {
    let tampered = Tampered(Tampering {
        hide_modified: true,
        ..Tampering::default()
    });
    let os = ObjectStoreAdapter::new(AsyncStore::from_blocking(tampered, "").unwrap());
    let p = Path::from("t.txt");
    os.put(&p, "timeless".into()).await.unwrap();
    let yesterday = chrono::DateTime::<chrono::Utc>::from(
        std::time::SystemTime::now() - std::time::Duration::from_secs(86_400),
    );
    for opts in [
        object_store::GetOptions {
            if_modified_since: Some(yesterday),
            ..Default::default()
        },
        object_store::GetOptions {
            if_unmodified_since: Some(yesterday),
            ..Default::default()
        },
    ] {
        let got = os.get_opts(&p, opts).await.unwrap().bytes().await.unwrap();
        assert_eq!(&got[..], b"timeless");
    }
}

/// A part that cannot be delivered because the write failed reports the write's error,
/// not a placeholder: object_store's `WriteMultipart` stops at the first failed part and
/// never calls `complete`, so the part's error is all its caller sees.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_multipart_write_reports_its_cause_through_the_parts() {
    let tampered = Tampered(Tampering {
        refuse_writes: true,
        ..Tampering::default()
    });
    let os = ObjectStoreAdapter::new(AsyncStore::from_blocking(tampered, "").unwrap());
    let upload = os.put_multipart(&Path::from("refused")).await.unwrap();
    let mut writer = object_store::WriteMultipart::new_with_chunk_size(upload, 1024);
    let mut err = None;
    for _ in 0..256 {
        writer.write(&[7u8; 1024]);
        if let Err(e) = writer.wait_for_capacity(1).await {
            err = Some(e);
            break;
        }
    }
    let err = err.expect("a part fails once the write has failed");
    assert!(
        matches!(err, object_store::Error::PermissionDenied { .. }),
        "{err}"
    );
}
