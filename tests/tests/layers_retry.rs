//! The retry layer (issue 12): idempotent operations are retried on retryable errors and
//! nothing else is; streamed reads cut mid-body resume at the byte they reached when the
//! object is unchanged, and fail cleanly when it was replaced. Each case runs in the
//! blocking half, and in the async half over the same faulty backend through
//! `SyncBackendAdapter`.
#![cfg(feature = "memory")]

mod layers_support;

use std::io::Read;
use std::sync::atomic::Ordering;

use futures::StreamExt;
use layers_support::{Flaky, count, fast_policy, pattern, set};
use remote_store_async::{AsyncContent, AsyncStore, SyncBackendAdapter};
use remote_store_core::{ErrorKind, ReadOptions, WriteOptions};
use remote_store_layers::{ConcurrencyLimit, Retry};
use remote_store_sync::{Content, Store};

fn sync_store(flaky: &Flaky, attempts: u32) -> Store {
    Store::new(Retry::new(flaky.clone(), fast_policy(attempts)), "").unwrap()
}

fn async_store(flaky: &Flaky, attempts: u32) -> AsyncStore {
    AsyncStore::new(
        Retry::new(
            SyncBackendAdapter::new(flaky.clone()),
            fast_policy(attempts),
        ),
        "",
    )
    .unwrap()
}

fn read_all(s: &Store, path: &str) -> remote_store_core::Result<Vec<u8>> {
    let mut out = Vec::new();
    s.read(path)?
        .read_to_end(&mut out)
        .map_err(remote_store_core::Error::from_io)?;
    Ok(out)
}

async fn read_all_async(s: &AsyncStore, path: &str) -> remote_store_core::Result<Vec<u8>> {
    let mut body = s.read(path).await?;
    let mut out = Vec::new();
    while let Some(chunk) = body.next().await {
        out.extend_from_slice(&chunk?);
    }
    Ok(out)
}

#[test]
fn transient_failures_are_retried_up_to_the_policy() {
    let flaky = Flaky::new();
    let s = sync_store(&flaky, 3);
    s.write("a.txt", "hello").unwrap();
    set(&flaky.faults.fail_calls, 2);
    assert_eq!(&s.read_bytes("a.txt").unwrap()[..], b"hello");
    set(&flaky.faults.fail_calls, 3);
    let err = s.read_bytes("a.txt").unwrap_err();
    assert_eq!(err.kind(), ErrorKind::BackendUnavailable);
    set(&flaky.faults.fail_calls, 0);

    let before = count(&flaky.faults.opens);
    assert_eq!(
        s.read_bytes("missing").unwrap_err().kind(),
        ErrorKind::NotFound
    );
    assert_eq!(
        count(&flaky.faults.opens) - before,
        1,
        "NotFound is not retried"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn transient_failures_are_retried_up_to_the_policy_async() {
    let flaky = Flaky::new();
    let s = async_store(&flaky, 3);
    s.write("a.txt", "hello").await.unwrap();
    set(&flaky.faults.fail_calls, 2);
    assert_eq!(&s.read_bytes("a.txt").await.unwrap()[..], b"hello");
    set(&flaky.faults.fail_calls, 3);
    let err = s.read_bytes("a.txt").await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::BackendUnavailable);
    set(&flaky.faults.fail_calls, 0);
    let before = count(&flaky.faults.opens);
    assert_eq!(
        s.read_bytes("missing").await.unwrap_err().kind(),
        ErrorKind::NotFound
    );
    assert_eq!(
        count(&flaky.faults.opens) - before,
        1,
        "NotFound is not retried"
    );
}

#[test]
fn only_idempotent_writes_are_retried() {
    let flaky = Flaky::new();
    let s = sync_store(&flaky, 3);
    // In-memory content with overwrite: retried.
    set(&flaky.faults.fail_calls, 1);
    s.write_with("a.txt", "v1", WriteOptions::overwriting())
        .unwrap();
    assert_eq!(count(&flaky.faults.writes), 2);
    // Create-only: a retry could report its own first attempt as AlreadyExists.
    set(&flaky.faults.fail_calls, 1);
    let err = s.write("b.txt", "v1").unwrap_err();
    assert_eq!(err.kind(), ErrorKind::BackendUnavailable);
    assert_eq!(count(&flaky.faults.writes), 3);
    // A streamed write's content is consumed by the first attempt.
    set(&flaky.faults.fail_calls, 1);
    let err = s
        .write_with(
            "c.txt",
            Content::reader(std::io::Cursor::new(b"streamed".to_vec())),
            WriteOptions::overwriting(),
        )
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::BackendUnavailable);
    assert_eq!(count(&flaky.faults.writes), 4);
    // A move is never retried.
    set(&flaky.faults.fail_calls, 1);
    assert!(s.move_file("a.txt", "d.txt").is_err());
    assert_eq!(count(&flaky.faults.moves), 1);
    assert!(s.is_file("a.txt").unwrap());
}

#[tokio::test(flavor = "multi_thread")]
async fn only_idempotent_writes_are_retried_async() {
    let flaky = Flaky::new();
    let s = async_store(&flaky, 3);
    set(&flaky.faults.fail_calls, 1);
    s.write_with("a.txt", "v1", WriteOptions::overwriting())
        .await
        .unwrap();
    assert_eq!(count(&flaky.faults.writes), 2);
    set(&flaky.faults.fail_calls, 1);
    let err = s.write("b.txt", "v1").await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::BackendUnavailable);
    assert_eq!(count(&flaky.faults.writes), 3);
    set(&flaky.faults.fail_calls, 1);
    let err = s
        .write_with(
            "c.txt",
            AsyncContent::reader(&b"streamed"[..]),
            WriteOptions::overwriting(),
        )
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::BackendUnavailable);
    assert_eq!(count(&flaky.faults.writes), 4);
    set(&flaky.faults.fail_calls, 1);
    assert!(s.move_file("a.txt", "d.txt").await.is_err());
    assert_eq!(count(&flaky.faults.moves), 1);
    assert!(s.is_file("a.txt").await.unwrap());
}

#[test]
fn a_listing_failing_on_its_first_page_is_reopened() {
    let flaky = Flaky::new();
    let s = sync_store(&flaky, 3);
    s.write("d/a.txt", "a").unwrap();
    set(&flaky.faults.fail_listings, 2);
    let files: Vec<_> = s
        .list_files("d")
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(files.len(), 1);
    assert_eq!(count(&flaky.faults.listings), 3);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_listing_failing_on_its_first_page_is_reopened_async() {
    let flaky = Flaky::new();
    let s = async_store(&flaky, 3);
    s.write("d/a.txt", "a").await.unwrap();
    set(&flaky.faults.fail_listings, 2);
    let files: Vec<_> = s.list_files("d").unwrap().collect().await;
    assert_eq!(files.len(), 1);
    assert!(files[0].is_ok());
    assert_eq!(count(&flaky.faults.listings), 3);
}

const SIZE: usize = 200_000;

#[test]
fn a_cut_read_resumes_at_the_byte_it_reached() {
    let flaky = Flaky::new();
    let s = sync_store(&flaky, 4);
    let data = pattern(SIZE);
    s.write("big.bin", data.clone()).unwrap();
    flaky.faults.cut_after.store(30_001, Ordering::SeqCst);
    set(&flaky.faults.cut_reads, 2);
    assert_eq!(read_all(&s, "big.bin").unwrap(), data);
    assert_eq!(count(&flaky.faults.opens), 1);
    assert_eq!(count(&flaky.faults.ranged_opens), 2, "two resumes");

    // A ranged read resumes inside its range.
    set(&flaky.faults.cut_reads, 1);
    let mut out = Vec::new();
    s.read_range("big.bin", 10_000..90_000)
        .unwrap()
        .read_to_end(&mut out)
        .unwrap();
    assert_eq!(out, &data[10_000..90_000]);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_cut_read_resumes_at_the_byte_it_reached_async() {
    let flaky = Flaky::new();
    let s = async_store(&flaky, 4);
    let data = pattern(SIZE);
    s.write("big.bin", data.clone()).await.unwrap();
    flaky.faults.cut_after.store(30_001, Ordering::SeqCst);
    set(&flaky.faults.cut_reads, 2);
    assert_eq!(read_all_async(&s, "big.bin").await.unwrap(), data);
    assert_eq!(count(&flaky.faults.opens), 1);
    assert_eq!(count(&flaky.faults.ranged_opens), 2, "two resumes");

    set(&flaky.faults.cut_reads, 1);
    let body = s.read_range("big.bin", 10_000..90_000).await.unwrap();
    assert_eq!(
        &body.collect_bytes().await.unwrap()[..],
        &data[10_000..90_000]
    );
}

#[test]
fn a_read_of_a_replaced_object_fails_instead_of_splicing() {
    let flaky = Flaky::new();
    let s = sync_store(&flaky, 4);
    s.write("big.bin", pattern(SIZE)).unwrap();
    flaky.faults.cut_after.store(1000, Ordering::SeqCst);
    set(&flaky.faults.cut_reads, 1);
    let mut reader = s.read("big.bin").unwrap();
    let mut first = vec![0; 1000];
    reader.read_exact(&mut first).unwrap();
    s.write_with("big.bin", vec![7u8; SIZE], WriteOptions::overwriting())
        .unwrap();
    let mut rest = Vec::new();
    let err = reader.read_to_end(&mut rest).unwrap_err();
    let err = remote_store_core::Error::from_io(err);
    assert_eq!(err.kind(), ErrorKind::Other);
    assert!(
        err.to_string().contains("changed while being read"),
        "{err}"
    );
    assert!(rest.is_empty(), "no byte of the new object was delivered");
    assert_eq!(count(&flaky.faults.ranged_opens), 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_read_of_a_replaced_object_fails_instead_of_splicing_async() {
    let flaky = Flaky::new();
    let s = async_store(&flaky, 4);
    s.write("big.bin", pattern(SIZE)).await.unwrap();
    flaky.faults.cut_after.store(1000, Ordering::SeqCst);
    set(&flaky.faults.cut_reads, 1);
    let mut body = s.read("big.bin").await.unwrap();
    let mut got = 0;
    while got < 1000 {
        got += body.next().await.unwrap().unwrap().len();
    }
    assert_eq!(got, 1000);
    s.write_with("big.bin", vec![7u8; SIZE], WriteOptions::overwriting())
        .await
        .unwrap();
    let err = body.next().await.unwrap().unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Other);
    assert!(
        err.to_string().contains("changed while being read"),
        "{err}"
    );
    assert!(
        body.next().await.is_none(),
        "the stream ends after the error"
    );
    assert_eq!(count(&flaky.faults.ranged_opens), 0);
}

/// Without conditional reads (SFTP, local), the check before a resume cannot see a
/// replacement made between it and the reopen: the object is looked at again once the
/// reopened body is open, so the two versions are never spliced. A read that ended with an
/// error stays ended (it used to reopen again on the next `read`).
#[test]
fn a_replacement_between_the_check_and_the_reopen_is_not_spliced() {
    let flaky = Flaky::new();
    flaky
        .faults
        .no_conditional_read
        .store(true, Ordering::SeqCst);
    let s = sync_store(&flaky, 4);
    s.write("big.bin", pattern(SIZE)).unwrap();
    flaky.faults.cut_after.store(1000, Ordering::SeqCst);
    set(&flaky.faults.cut_reads, 1);
    *flaky.faults.replace_on_ranged_open.lock().unwrap() = Some(vec![7u8; SIZE]);
    let mut reader = s.read("big.bin").unwrap();
    let mut got = Vec::new();
    let err = remote_store_core::Error::from_io(reader.read_to_end(&mut got).unwrap_err());
    assert_eq!(err.kind(), ErrorKind::Other, "{err}");
    assert!(
        err.to_string().contains("changed while being read"),
        "{err}"
    );
    assert_eq!(got, &pattern(SIZE)[..1000], "only the old version's bytes");
    assert_eq!(count(&flaky.faults.ranged_opens), 1, "one reopen");
    let infos = count(&flaky.faults.infos);
    assert_eq!(
        reader.read(&mut [0u8; 64]).unwrap(),
        0,
        "the read stays ended"
    );
    assert_eq!(
        count(&flaky.faults.infos),
        infos,
        "and looks at nothing more"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_replacement_between_the_check_and_the_reopen_is_not_spliced_async() {
    let flaky = Flaky::new();
    flaky
        .faults
        .no_conditional_read
        .store(true, Ordering::SeqCst);
    let s = async_store(&flaky, 4);
    s.write("big.bin", pattern(SIZE)).await.unwrap();
    flaky.faults.cut_after.store(1000, Ordering::SeqCst);
    set(&flaky.faults.cut_reads, 1);
    *flaky.faults.replace_on_ranged_open.lock().unwrap() = Some(vec![7u8; SIZE]);
    let mut body = s.read("big.bin").await.unwrap();
    let mut got = Vec::new();
    let err = loop {
        match body.next().await.expect("an error before the end") {
            Ok(chunk) => got.extend_from_slice(&chunk),
            Err(e) => break e,
        }
    };
    assert_eq!(err.kind(), ErrorKind::Other, "{err}");
    assert!(
        err.to_string().contains("changed while being read"),
        "{err}"
    );
    assert_eq!(got, &pattern(SIZE)[..1000], "only the old version's bytes");
    assert_eq!(count(&flaky.faults.ranged_opens), 1, "one reopen");
    assert!(
        body.next().await.is_none(),
        "the stream ends after the error"
    );
}

/// A listing waiting out its backoff holds no permit of a limit inside the retry layer
/// (the order the docs recommend): other calls go on meanwhile.
#[tokio::test(flavor = "multi_thread")]
async fn a_listing_waiting_to_retry_holds_no_inner_permit_async() {
    let flaky = Flaky::new();
    let second = std::time::Duration::from_secs(1);
    let policy = fast_policy(2).initial_backoff(second).max_backoff(second);
    let s = AsyncStore::new(
        Retry::new(
            ConcurrencyLimit::new(SyncBackendAdapter::new(flaky.clone()), 1),
            policy,
        ),
        "",
    )
    .unwrap();
    s.write("a.txt", "a").await.unwrap();
    set(&flaky.faults.fail_listings, 1);
    let listing = {
        let s = s.clone();
        tokio::spawn(async move { s.list_files("").unwrap().next().await })
    };
    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    let probe = tokio::time::timeout(std::time::Duration::from_millis(500), s.exists("a.txt"));
    assert!(
        probe
            .await
            .expect("not kept waiting by the backoff")
            .unwrap(),
        "a.txt exists"
    );
    let first = listing.await.unwrap().expect("an item").unwrap();
    assert_eq!(first.path.as_str(), "a.txt");
}

/// A read conditioned on the object's etag alone (`if_match`, as a transfer's ranged
/// parts are) resumes at the byte it reached with the same `if_match`; a replacement
/// between the cut and the resume fails it with the service's `PreconditionFailed`.
#[test]
fn a_cut_read_pinned_by_if_match_resumes_with_the_same_condition() {
    let flaky = Flaky::new();
    let s = sync_store(&flaky, 4);
    let data = pattern(SIZE);
    s.write("big.bin", data.clone()).unwrap();
    let etag = s.get_file_info("big.bin").unwrap().etag.expect("an etag");
    flaky.faults.cut_after.store(30_001, Ordering::SeqCst);
    set(&flaky.faults.cut_reads, 2);
    let pinned =
        |range: std::ops::Range<u64>| ReadOptions::new().range(range).if_match(etag.clone());
    let mut out = Vec::new();
    s.read_with("big.bin", pinned(10_000..150_000))
        .unwrap()
        .read_to_end(&mut out)
        .unwrap();
    assert_eq!(out, &data[10_000..150_000]);
    assert_eq!(
        count(&flaky.faults.ranged_opens),
        3,
        "the open and two resumes"
    );

    // A retryable failure of the reopen itself is retried like any other (it used to end
    // a pinned read at once).
    flaky.faults.cut_after.store(1000, Ordering::SeqCst);
    set(&flaky.faults.cut_reads, 1);
    let mut reader = s.read_with("big.bin", pinned(0..SIZE as u64)).unwrap();
    let mut first = vec![0; 1000];
    reader.read_exact(&mut first).unwrap();
    set(&flaky.faults.fail_calls, 1);
    let mut rest = Vec::new();
    reader.read_to_end(&mut rest).unwrap();
    first.extend(rest);
    assert_eq!(first, data);
    assert_eq!(
        count(&flaky.faults.fail_calls),
        0,
        "the injected failure was met"
    );

    let (first, err) = cut_then_replaced(&flaky, &s, pinned(0..SIZE as u64));
    assert_eq!(first, &data[..1000]);
    assert_eq!(err.kind(), ErrorKind::PreconditionFailed, "{err}");
    // Found by the layer's own etag check before the reopen, not left to the server
    // (which may skip `if_match` on a ranged read).
    assert!(err.to_string().contains("the etag is no longer"), "{err}");
}

/// Reads `big.bin` with `opts` through a connection cut after 1000 bytes, replaces the
/// object once those bytes are in, and reads on: the first 1000 bytes and the error that
/// ends the read (no byte of the new object may follow them).
fn cut_then_replaced(
    flaky: &Flaky,
    s: &Store,
    opts: ReadOptions,
) -> (Vec<u8>, remote_store_core::Error) {
    flaky.faults.cut_after.store(1000, Ordering::SeqCst);
    set(&flaky.faults.cut_reads, 1);
    let mut reader = s.read_with("big.bin", opts).unwrap();
    let mut first = vec![0; 1000];
    reader.read_exact(&mut first).unwrap();
    s.write_with("big.bin", vec![7u8; SIZE], WriteOptions::overwriting())
        .unwrap();
    let mut rest = Vec::new();
    let err = reader.read_to_end(&mut rest).unwrap_err();
    assert!(rest.is_empty(), "no byte of the new object was delivered");
    (first, remote_store_core::Error::from_io(err))
}

/// `if_match("*")` ("only if it exists") pins no version: a cut read with it is not resumed
/// (as any read with other conditions), so a replaced object fails the read with the cut's
/// error instead of splicing the new version onto what was read.
#[test]
fn a_read_with_if_match_any_is_not_taken_as_pinned() {
    let flaky = Flaky::new();
    let s = sync_store(&flaky, 4);
    s.write("big.bin", pattern(SIZE)).unwrap();
    let (_, err) = cut_then_replaced(&flaky, &s, ReadOptions::new().if_match("*"));
    assert_eq!(err.kind(), ErrorKind::BackendUnavailable, "{err}");
}

/// Opens a read of `big.bin` with `opts` and takes at least its first `n` bytes.
async fn first_bytes(
    s: &AsyncStore,
    opts: ReadOptions,
    n: usize,
) -> (remote_store_async::ByteStream, Vec<u8>) {
    let mut body = s.read_with("big.bin", opts).await.unwrap();
    let mut got = Vec::new();
    while got.len() < n {
        got.extend_from_slice(&body.next().await.unwrap().unwrap());
    }
    (body, got)
}

#[tokio::test(flavor = "multi_thread")]
async fn a_cut_read_pinned_by_if_match_resumes_with_the_same_condition_async() {
    let flaky = Flaky::new();
    let s = async_store(&flaky, 4);
    let data = pattern(SIZE);
    s.write("big.bin", data.clone()).await.unwrap();
    let etag = s
        .get_file_info("big.bin")
        .await
        .unwrap()
        .etag
        .expect("an etag");
    flaky.faults.cut_after.store(30_001, Ordering::SeqCst);
    set(&flaky.faults.cut_reads, 2);
    let pinned =
        |range: std::ops::Range<u64>| ReadOptions::new().range(range).if_match(etag.clone());
    let body = s
        .read_with("big.bin", pinned(10_000..150_000))
        .await
        .unwrap();
    assert_eq!(
        &body.collect_bytes().await.unwrap()[..],
        &data[10_000..150_000]
    );
    assert_eq!(
        count(&flaky.faults.ranged_opens),
        3,
        "the open and two resumes"
    );

    // A retryable failure of the reopen itself is retried like any other.
    flaky.faults.cut_after.store(1000, Ordering::SeqCst);
    set(&flaky.faults.cut_reads, 1);
    let (mut body, mut got) = first_bytes(&s, pinned(0..SIZE as u64), 1000).await;
    set(&flaky.faults.fail_calls, 1);
    while let Some(chunk) = body.next().await {
        got.extend_from_slice(&chunk.unwrap());
    }
    assert_eq!(got, data);
    assert_eq!(
        count(&flaky.faults.fail_calls),
        0,
        "the injected failure was met"
    );

    flaky.faults.cut_after.store(1000, Ordering::SeqCst);
    set(&flaky.faults.cut_reads, 1);
    let (mut body, got) = first_bytes(&s, pinned(0..SIZE as u64), 1000).await;
    assert_eq!(got, &data[..1000]);
    s.write_with("big.bin", vec![7u8; SIZE], WriteOptions::overwriting())
        .await
        .unwrap();
    let err = body.next().await.unwrap().unwrap_err();
    assert_eq!(err.kind(), ErrorKind::PreconditionFailed, "{err}");
    assert!(
        body.next().await.is_none(),
        "the stream ends after the error"
    );
}

#[test]
fn without_resumed_reads_a_cut_read_fails_and_no_info_is_fetched() {
    let flaky = Flaky::new();
    let s = Store::new(
        Retry::new(flaky.clone(), fast_policy(4)).without_resumed_reads(),
        "",
    )
    .unwrap();
    s.write("big.bin", pattern(SIZE)).unwrap();
    flaky.faults.cut_after.store(1000, Ordering::SeqCst);
    set(&flaky.faults.cut_reads, 1);
    let err = read_all(&s, "big.bin").unwrap_err();
    assert_eq!(err.kind(), ErrorKind::BackendUnavailable);
    assert_eq!(count(&flaky.faults.infos), 0);
}

#[test]
fn a_layer_wraps_a_shared_dyn_backend() {
    let flaky = Flaky::new();
    let shared: std::sync::Arc<dyn remote_store_sync::Backend> = std::sync::Arc::new(flaky.clone());
    let s = Store::new(Retry::new(shared, fast_policy(3)), "").unwrap();
    s.write("a.txt", "x").unwrap();
    set(&flaky.faults.fail_calls, 1);
    assert_eq!(&s.read_bytes("a.txt").unwrap()[..], b"x");
}

/// A resumed read under a concurrency limit of one: the failed body gives its permit back
/// before the layer reopens, so resuming cannot wait on itself.
#[test]
fn a_cut_read_resumes_under_a_limit_of_one() {
    let flaky = Flaky::new();
    let s = Store::new(
        Retry::new(ConcurrencyLimit::new(flaky.clone(), 1), fast_policy(4)),
        "",
    )
    .unwrap();
    let data = pattern(SIZE);
    s.write("big.bin", data.clone()).unwrap();
    flaky.faults.cut_after.store(50_000, Ordering::SeqCst);
    set(&flaky.faults.cut_reads, 2);
    assert_eq!(read_all(&s, "big.bin").unwrap(), data);
    assert_eq!(count(&flaky.faults.ranged_opens), 2);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_cut_read_resumes_under_a_limit_of_one_async() {
    let flaky = Flaky::new();
    let s = AsyncStore::new(
        Retry::new(
            ConcurrencyLimit::new(SyncBackendAdapter::new(flaky.clone()), 1),
            fast_policy(4),
        ),
        "",
    )
    .unwrap();
    let data = pattern(SIZE);
    s.write("big.bin", data.clone()).await.unwrap();
    flaky.faults.cut_after.store(50_000, Ordering::SeqCst);
    set(&flaky.faults.cut_reads, 2);
    let read = tokio::time::timeout(
        std::time::Duration::from_secs(10),
        read_all_async(&s, "big.bin"),
    );
    assert_eq!(read.await.expect("no deadlock").unwrap(), data);
    assert_eq!(count(&flaky.faults.ranged_opens), 2);
}

/// `delete_many` with `missing_ok` resends only the items that failed transiently (Flaky
/// fails the next N single deletes, which the per-item default runs in order); without
/// `missing_ok` nothing is retried, as for `delete`.
#[test]
fn delete_many_retries_only_the_failed_items() {
    let flaky = Flaky::new();
    let s = sync_store(&flaky, 3);
    let paths: Vec<String> = (0..5).map(|i| format!("m/{i}")).collect();
    for p in &paths {
        s.write(p, "x").unwrap();
    }
    set(&flaky.faults.fail_calls, 2);
    let mut asked = paths.clone();
    asked.push("../escape".into());
    let out = s.delete_many(
        &asked,
        remote_store_core::DeleteOptions::new().missing_ok(true),
    );
    assert!(out[..5].iter().all(Result::is_ok), "{out:?}");
    assert_eq!(out[5].as_ref().unwrap_err().kind(), ErrorKind::InvalidPath);
    assert_eq!(count(&flaky.faults.fail_calls), 0);
    for p in &paths {
        assert!(!s.exists(p).unwrap(), "{p} survived");
    }

    // Not idempotent without missing_ok: the injected failures stay failures.
    for p in &paths {
        s.write(p, "x").unwrap();
    }
    set(&flaky.faults.fail_calls, 2);
    let out = s.delete_many(&paths, remote_store_core::DeleteOptions::new());
    let failed = out.iter().filter(|r| r.is_err()).count();
    assert_eq!(failed, 2, "{out:?}");
    assert!(out[0].as_ref().unwrap_err().is_retryable());

    // The async half over the same layer.
    let a = async_store(&flaky, 3);
    set(&flaky.faults.fail_calls, 1);
    let rt = tokio::runtime::Runtime::new().unwrap();
    let out = rt.block_on(a.delete_many(
        &paths,
        remote_store_core::DeleteOptions::new().missing_ok(true),
    ));
    assert!(out.iter().all(Result::is_ok), "{out:?}");
}
