//! `delete_many` on S3, against both servers: 2,500 keys go in three `DeleteObjects`
//! requests (counted by an SDK interceptor) and nothing is left; each item's outcome is
//! reported (missing keys, invalid paths); without `missing_ok` missing keys are
//! `NotFound` (checked by one listing per folder of 16 keys or more, else per key with
//! `HeadObject`, which is also the fallback when that listing fails or runs past its page
//! budget); the blocking half does the same.
#![cfg(feature = "s3")]

mod s3_support;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use futures::StreamExt;
use remote_store_async::AsyncStore;
use remote_store_core::{DeleteOptions, ErrorKind, ListOptions};
use remote_store_s3::aws_sdk_s3::config::interceptors::BeforeSerializationInterceptorContextRef;
use remote_store_s3::aws_sdk_s3::config::{ConfigBag, Intercept};
use remote_store_s3::aws_sdk_s3::error::BoxError;
use remote_store_s3::aws_sdk_s3::operation::list_objects_v2::ListObjectsV2Input;
use remote_store_s3::{AsyncS3Backend, S3Backend};
use remote_store_sync::Store;
use s3_support::{fill, servers, unique_name};

const KEYS: usize = 2500;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn deleting_2500_keys_takes_three_requests() {
    for server in servers() {
        let bucket = server.fresh_bucket("bulk").await;
        let config = server.config(&bucket).prefix(unique_name("bulk"));
        // Filled in flat mode (no folder listing per key): the keys are distinct file names.
        let filler = AsyncS3Backend::new(config.clone().check_folder_targets(false)).unwrap();
        let paths = fill(&AsyncStore::new(filler, "").unwrap(), KEYS).await;

        let (backend, recorder) = server.recorded_backend(config.clone());
        let store = AsyncStore::new(backend, "").unwrap();
        let out = store
            .delete_many(&paths, DeleteOptions::new().missing_ok(true))
            .await;
        assert_eq!(out.len(), KEYS, "{}", server.name);
        for (p, r) in paths.iter().zip(&out) {
            assert!(r.is_ok(), "{}: {p}: {r:?}", server.name);
        }
        assert_eq!(
            recorder.delete_objects(),
            3,
            "{}: 2,500 keys = 3 DeleteObjects requests",
            server.name
        );
        assert_eq!(
            recorder.delete_object(),
            0,
            "{}: no single deletes",
            server.name
        );
        assert_eq!(
            recorder.head_objects(),
            0,
            "{}: no HEADs with missing_ok",
            server.name
        );
        let left: Vec<_> = store
            .list_files_with("", ListOptions::new().recursive(true))
            .unwrap()
            .collect()
            .await;
        assert!(
            left.is_empty(),
            "{}: left after delete_many: {}",
            server.name,
            left.len()
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn each_item_reports_its_outcome() {
    for server in servers() {
        let bucket = server.fresh_bucket("bulk").await;
        let config = server.config(&bucket).prefix(unique_name("bulk"));
        let (backend, recorder) = server.recorded_backend(config.clone());
        let store = AsyncStore::new(backend, "").unwrap();
        store.write("a.txt", "a").await.unwrap();
        store.write("b.txt", "b").await.unwrap();
        store.write("d/inner.txt", "i").await.unwrap();
        let paths = ["a.txt", "missing.txt", "../escape", "b.txt", "d"];

        // Without missing_ok: a missing key is NotFound, a folder InvalidPath.
        let out = store.delete_many(paths, DeleteOptions::new()).await;
        let kinds: Vec<Option<ErrorKind>> = out
            .iter()
            .map(|r| r.as_ref().err().map(|e| e.kind()))
            .collect();
        assert_eq!(
            kinds,
            [
                None,
                Some(ErrorKind::NotFound),
                Some(ErrorKind::InvalidPath),
                None,
                Some(ErrorKind::InvalidPath)
            ],
            "{}: {out:?}",
            server.name
        );
        let missing = out[1].as_ref().unwrap_err();
        assert_eq!(missing.path(), Some("missing.txt"), "{}", server.name);
        assert_eq!(
            recorder.delete_objects(),
            1,
            "{}: the two files in one request",
            server.name
        );
        assert!(!store.is_file("a.txt").await.unwrap());
        assert!(!store.is_file("b.txt").await.unwrap());
        assert_eq!(
            store.read_bytes("d/inner.txt").await.unwrap().as_ref(),
            b"i"
        );

        // With missing_ok: missing keys succeed; only the invalid path fails.
        let out = store
            .delete_many(paths, DeleteOptions::new().missing_ok(true))
            .await;
        assert!(
            out[0].is_ok() && out[1].is_ok() && out[3].is_ok(),
            "{}: {out:?}",
            server.name
        );
        assert_eq!(out[2].as_ref().unwrap_err().kind(), ErrorKind::InvalidPath);
        assert_eq!(
            store.read_bytes("d/inner.txt").await.unwrap().as_ref(),
            b"i"
        );
    }
}

#[test]
fn the_blocking_half_deletes_in_bulk() {
    for server in servers() {
        let (bucket, config) = s3_support::block_on(async {
            let bucket = server.fresh_bucket("bulk").await;
            let config = server.config(&bucket).prefix(unique_name("bulk"));
            // Flat mode (no folder listing per key): the keys are distinct file names.
            let filler = AsyncS3Backend::new(config.clone().check_folder_targets(false));
            fill(&AsyncStore::new(filler.unwrap(), "").unwrap(), 1200).await;
            (bucket, config)
        });
        let (backend, recorder) = server.recorded_backend(config);
        let store = Store::new(S3Backend::from_async(backend), "").unwrap();
        let paths: Vec<String> = (0..1200).map(|i| format!("f/k-{i:05}")).collect();
        let out = store.delete_many(&paths, DeleteOptions::new().missing_ok(true));
        assert!(out.iter().all(Result::is_ok), "{} ({bucket})", server.name);
        assert_eq!(
            recorder.delete_objects(),
            2,
            "{}: 1,200 keys = 2 requests",
            server.name
        );
        let left = store
            .list_files_with("", ListOptions::new().recursive(true))
            .unwrap()
            .count();
        assert_eq!(left, 0, "{}", server.name);
    }
}

/// Without `missing_ok`, a folder holding many of the keys is checked with one listing of
/// the range they span instead of a `HeadObject` each, with the single delete's outcomes:
/// existing files deleted, missing keys `NotFound`, a folder `InvalidPath` with its
/// contents kept, other files untouched.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn many_keys_of_one_folder_are_checked_by_one_listing() {
    for server in servers() {
        let bucket = server.fresh_bucket("bulk").await;
        let config = server.config(&bucket).prefix(unique_name("bulk"));
        let (backend, recorder) = server.recorded_backend(config);
        let store = AsyncStore::new(backend, "").unwrap();
        for i in 0..30 {
            store.write(format!("d/k-{i:02}"), "x").await.unwrap();
        }
        store.write("d/sub/inner.txt", "i").await.unwrap();
        let mut paths: Vec<String> = (0..20).map(|i| format!("d/k-{i:02}")).collect();
        paths.extend((40..45).map(|i| format!("d/k-{i:02}")));
        paths.push("d/sub".into());

        let before = recorder.requests();
        let out = store.delete_many(&paths, DeleteOptions::new()).await;
        let requests = recorder.requests() - before;
        let kinds = kinds_of(&out);
        let mut expected = deleted_then_missing(20, 5);
        expected.push(Some(ErrorKind::InvalidPath));
        assert_eq!(kinds, expected, "{}: {out:?}", server.name);
        assert_eq!(out[20].as_ref().unwrap_err().path(), Some("d/k-40"));
        assert_eq!(
            requests, 2,
            "{}: one listing page and one DeleteObjects, no HeadObject",
            server.name
        );
        let mut left: Vec<String> = store
            .list_files_with("d", ListOptions::new().recursive(true))
            .unwrap()
            .map(|f| f.unwrap().path.as_str().to_owned())
            .collect()
            .await;
        left.sort();
        let mut kept: Vec<String> = (20..30).map(|i| format!("d/k-{i}")).collect();
        kept.push("d/sub/inner.txt".into());
        assert_eq!(left, kept, "{}", server.name);
    }
}

/// The listing check pages on: keys at the end of a folder of 1,200 files are found on its
/// second page, and keys past every listed one are reported missing.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_listing_check_follows_its_pages() {
    for server in servers() {
        let bucket = server.fresh_bucket("bulk").await;
        let config = server.config(&bucket).prefix(unique_name("bulk"));
        let (backend, recorder) = server.recorded_backend(config);
        let store = AsyncStore::new(backend, "").unwrap();
        fill(&store, 1200).await;
        let mut paths: Vec<String> = (1180..1200).map(|i| format!("f/k-{i:05}")).collect();
        paths.extend((9990..9995).map(|i| format!("f/k-{i:05}")));

        let before = recorder.requests();
        let out = store.delete_many(&paths, DeleteOptions::new()).await;
        let requests = recorder.requests() - before;
        let kinds = kinds_of(&out);
        let expected = deleted_then_missing(20, 5);
        assert_eq!(kinds, expected, "{}: {out:?}", server.name);
        assert_eq!(
            requests, 3,
            "{}: two listing pages and one DeleteObjects",
            server.name
        );
        for p in &paths[..20] {
            assert!(
                !store.exists(p).await.unwrap(),
                "{}: {p} is left",
                server.name
            );
        }
        assert!(store.exists("f/k-01179").await.unwrap(), "{}", server.name);
    }
}

/// The listing check stops at its page budget (five pages of 1,000 for up to 1,000 keys):
/// keys spread over a folder of 5,050 files are checked with a `HeadObject` each instead,
/// with the same outcomes. On s3s-fs only: 5,050 files are filled in seconds there
/// (through a store that leaves the folder rule to the server, one request per file).
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_listing_check_gives_up_past_its_page_budget() {
    let Some(server) = s3_support::Server::s3s_fs() else {
        return;
    };
    let bucket = server.fresh_bucket("bulk").await;
    let config = server.config(&bucket).prefix(unique_name("bulk"));
    let filler = AsyncS3Backend::new(config.clone().server_refuses_folder_targets(true)).unwrap();
    fill(&AsyncStore::new(filler, "").unwrap(), 5050).await;
    let (backend, recorder) = server.recorded_backend(config);
    let store = AsyncStore::new(backend, "").unwrap();
    // Ten keys at each end of the folder: the range they span holds all 5,050 files.
    let paths: Vec<String> = (0..10)
        .chain(5040..5050)
        .map(|i| format!("f/k-{i:05}"))
        .collect();

    let (pages, heads) = (recorder.list_pages(), recorder.head_objects());
    let out = store.delete_many(&paths, DeleteOptions::new()).await;
    assert_eq!(kinds_of(&out), vec![None; 20], "{out:?}");
    assert_eq!(recorder.list_pages() - pages, 5, "the listing's budget");
    assert_eq!(
        recorder.head_objects() - heads,
        20,
        "then one HeadObject per key"
    );
    for p in &paths {
        assert!(!store.exists(p).await.unwrap(), "{p} is left");
    }
    assert!(store.exists("f/k-05039").await.unwrap());
}

/// The listing check reads on until it has passed every key's folder form, also when a
/// key is a prefix of another followed by a character that sorts before `/`: for `f/k`
/// and `f/k-00000` … `f/k-00015` the folder `f/k/` sorts after every `f/k-…` key, here
/// on the listing's second page (1,100 `f/k-…` files come first). `f/k` is then a folder,
/// reported `InvalidPath`, not `NotFound`; the files are deleted and nothing else.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_listing_check_reads_past_keys_that_sort_before_a_folder() {
    for server in servers() {
        let bucket = server.fresh_bucket("bulk").await;
        let config = server.config(&bucket).prefix(unique_name("bulk"));
        // One request per file: no folder rule to keep among distinct names.
        let filler = AsyncS3Backend::new(config.clone().check_folder_targets(false)).unwrap();
        let filler = AsyncStore::new(filler, "").unwrap();
        fill(&filler, 1100).await;
        filler.write("f/k/y", "inside").await.unwrap();
        let (backend, recorder) = server.recorded_backend(config);
        let store = AsyncStore::new(backend, "").unwrap();
        let paths: Vec<String> = std::iter::once("f/k".to_owned())
            .chain((0..16).map(|i| format!("f/k-{i:05}")))
            .collect();

        let (pages, heads) = (recorder.list_pages(), recorder.head_objects());
        let out = store.delete_many(&paths, DeleteOptions::new()).await;
        let mut want = vec![Some(ErrorKind::InvalidPath)];
        want.extend(vec![None; 16]);
        assert_eq!(kinds_of(&out), want, "{}: {out:?}", server.name);
        assert_eq!(
            recorder.list_pages() - pages,
            2,
            "{}: one listing of two pages",
            server.name
        );
        assert_eq!(recorder.head_objects() - heads, 0, "{}", server.name);
        assert_eq!(store.read_text("f/k/y").await.unwrap(), "inside");
        assert!(store.exists("f/k-00016").await.unwrap(), "{}", server.name);
        for p in &paths[1..] {
            assert!(
                !store.exists(p).await.unwrap(),
                "{}: {p} is left",
                server.name
            );
        }
    }
}

/// When the listing check fails, each key is checked with its own `HeadObject` instead:
/// the outcomes are the same and every key is deleted.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_failed_listing_check_falls_back_to_a_head_per_key() {
    for server in servers() {
        let bucket = server.fresh_bucket("bulk").await;
        let config = server.config(&bucket).prefix(unique_name("bulk"));
        let refuse = Arc::new(RefuseListings::default());
        let (backend, recorder) =
            server.recorded_backend_with(config, [SharedRefusal(Arc::clone(&refuse))]);
        let store = AsyncStore::new(backend, "").unwrap();
        for i in 0..20 {
            store.write(format!("d/k-{i:02}"), "x").await.unwrap();
        }
        let paths: Vec<String> = (0..20).map(|i| format!("d/k-{i:02}")).collect();

        refuse.armed.store(true, Ordering::SeqCst);
        let heads = recorder.head_objects();
        let out = store.delete_many(&paths, DeleteOptions::new()).await;
        refuse.armed.store(false, Ordering::SeqCst);

        assert_eq!(kinds_of(&out), vec![None; 20], "{}: {out:?}", server.name);
        assert_eq!(
            refuse.refused.load(Ordering::SeqCst),
            1,
            "{}: the one listing check was tried",
            server.name
        );
        assert_eq!(
            recorder.head_objects() - heads,
            20,
            "{}: then one HeadObject per key",
            server.name
        );
        for p in &paths {
            assert!(
                !store.exists(p).await.unwrap(),
                "{}: {p} is left",
                server.name
            );
        }
    }
}

/// Fails every `ListObjectsV2` before it is sent while `armed`, counting them.
#[derive(Debug, Default)]
struct RefuseListings {
    armed: AtomicBool,
    refused: AtomicUsize,
}

#[derive(Debug)]
struct SharedRefusal(Arc<RefuseListings>);

impl Intercept for SharedRefusal {
    fn name(&self) -> &'static str {
        "RefuseListings"
    }

    fn read_before_execution(
        &self,
        context: &BeforeSerializationInterceptorContextRef<'_>,
        _cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let listing = context
            .input()
            .downcast_ref::<ListObjectsV2Input>()
            .is_some();
        if listing && self.0.armed.load(Ordering::SeqCst) {
            self.0.refused.fetch_add(1, Ordering::SeqCst);
            return Err("listing refused by the test".into());
        }
        Ok(())
    }
}

/// The error kind of each outcome (`None`: deleted).
fn kinds_of(out: &[remote_store_core::Result<()>]) -> Vec<Option<ErrorKind>> {
    out.iter()
        .map(|r| r.as_ref().err().map(|e| e.kind()))
        .collect()
}

/// `deleted` successes, then `missing` `NotFound`s.
fn deleted_then_missing(deleted: usize, missing: usize) -> Vec<Option<ErrorKind>> {
    let mut kinds = vec![None; deleted];
    kinds.extend(std::iter::repeat_n(Some(ErrorKind::NotFound), missing));
    kinds
}
