//! Shared checks for the resumed-read fault tests (issue 12), written once for S3, Azure
//! and SFTP: a proxy cuts every connection after `CUT` bytes have come down, so a read of
//! an object a few times that size is cut several times; through the retry layer it must
//! still deliver exactly the object's bytes, and a read whose object is replaced between a
//! cut and its resume must fail instead of splicing two versions.
#![allow(dead_code, unreachable_pub)]

use std::io::Read;
use std::ops::Range;
use std::time::Duration;

use futures::StreamExt;
use remote_store_async::{AsyncBackend, AsyncStore};
use remote_store_core::{Error, ErrorKind, ObjectVersion, RemotePath, RetryPolicy, WriteOptions};
use remote_store_layers::Retry;
use remote_store_sync::{Backend, Store};
use remote_store_tests::proxy::{Direction, Fault, FaultProxy};

pub const MIB: usize = 1024 * 1024;
/// Every proxied connection is cut after this many bytes have come down.
pub const CUT: u64 = 3 * MIB as u64;
/// The object: cut at least twice on its way down.
pub const SIZE: usize = 8 * MIB;

/// Cuts every connection opened from now on after [`CUT`] downloaded bytes.
pub fn cut_every_connection(proxy: &FaultProxy) {
    proxy.set_fault(Fault::CutAfter {
        bytes: CUT,
        direction: Direction::Download,
    });
}

/// Enough attempts for an 8 MiB object at 3 MiB per connection, with room to spare.
pub fn policy() -> RetryPolicy {
    RetryPolicy::new()
        .max_attempts(10)
        .initial_backoff(Duration::from_millis(50))
        .max_backoff(Duration::from_millis(500))
        .deadline(Some(Duration::from_secs(60)))
}

pub fn data(seed: u8) -> Vec<u8> {
    (0..SIZE).map(|i| (i % 251) as u8 ^ seed).collect()
}

/// The first offset where `got` and `want` differ, for a readable failure.
fn first_difference(got: &[u8], want: &[u8]) -> Option<usize> {
    got.iter()
        .zip(want)
        .position(|(a, b)| a != b)
        .or((got.len() != want.len()).then(|| got.len().min(want.len())))
}

pub fn sync_store(backend: impl Backend) -> Store {
    Store::new(Retry::new(backend, policy()), "").unwrap()
}

pub fn async_store(backend: impl AsyncBackend) -> AsyncStore {
    AsyncStore::new(Retry::new(backend, policy()), "").unwrap()
}

/// A read through the retry layer over cut connections delivers the exact bytes.
pub fn cut_read_resumes_sync(direct: &Store, proxied: &Store, proxy: &FaultProxy) {
    let want = data(1);
    direct
        .write_with("big.bin", want.clone(), WriteOptions::overwriting())
        .unwrap();
    let before = proxy.connections();
    let mut got = Vec::new();
    proxied
        .read("big.bin")
        .unwrap()
        .read_to_end(&mut got)
        .expect("the read resumes after each cut");
    assert_eq!(first_difference(&got, &want), None, "resumed bytes differ");
    assert!(
        proxy.connections() - before >= 3,
        "the read was cut at least twice ({} connections)",
        proxy.connections() - before
    );
    // A ranged read resumes inside its range.
    let range = (MIB as u64)..(7 * MIB as u64);
    let mut got = Vec::new();
    proxied
        .read_range("big.bin", range.clone())
        .unwrap()
        .read_to_end(&mut got)
        .unwrap();
    let want = &want[range.start as usize..range.end as usize];
    assert_eq!(first_difference(&got, want), None, "resumed range differs");
}

/// This is an async version of [`cut_read_resumes_sync`].
pub async fn cut_read_resumes_async(direct: &AsyncStore, proxied: &AsyncStore, proxy: &FaultProxy) {
    let want = data(2);
    direct
        .write_with("big.bin", want.clone(), WriteOptions::overwriting())
        .await
        .unwrap();
    let before = proxy.connections();
    let got = proxied
        .read("big.bin")
        .await
        .unwrap()
        .collect_bytes()
        .await
        .expect("the read resumes after each cut");
    assert_eq!(first_difference(&got, &want), None, "resumed bytes differ");
    assert!(
        proxy.connections() - before >= 3,
        "the read was cut at least twice ({} connections)",
        proxy.connections() - before
    );
    let range = (MIB as u64)..(7 * MIB as u64);
    let got = proxied
        .read_range("big.bin", range.clone())
        .await
        .unwrap()
        .collect_bytes()
        .await
        .unwrap();
    let want = &want[range.start as usize..range.end as usize];
    assert_eq!(first_difference(&got, want), None, "resumed range differs");
}

fn assert_changed(err: &Error) {
    assert_eq!(err.kind(), ErrorKind::Other, "{err:?}");
    assert!(
        err.to_string().contains("changed while being read"),
        "{err}"
    );
}

/// The object is replaced (with a different size, so even a modification time of
/// one-second resolution is not needed to see it) after the read started: the read fails
/// at the cut instead of going on with the new object's bytes. Replaced by `write_atomic`,
/// i.e. a new object under the name: an in-place plain write on SFTP or local would change
/// the very file the open read handle is reading, which no resume check can undo.
pub fn replaced_object_fails_sync(direct: &Store, proxied: &Store) {
    let old = data(3);
    direct
        .write_with("swap.bin", old.clone(), WriteOptions::overwriting())
        .unwrap();
    let mut reader = proxied.read("swap.bin").unwrap();
    let mut got = vec![0; 256 * 1024];
    reader.read_exact(&mut got).unwrap();
    direct
        .write_atomic_with("swap.bin", vec![9u8; SIZE + 1], WriteOptions::overwriting())
        .unwrap();
    let err = reader
        .read_to_end(&mut got)
        .expect_err("the read must not splice two versions");
    assert_changed(&Error::from_io(err));
    assert!(got.len() < SIZE);
    assert_eq!(
        first_difference(&got, &old[..got.len()]),
        None,
        "only old bytes"
    );
}

/// This is an async version of [`replaced_object_fails_sync`].
pub async fn replaced_object_fails_async(direct: &AsyncStore, proxied: &AsyncStore) {
    let old = data(4);
    direct
        .write_with("swap.bin", old.clone(), WriteOptions::overwriting())
        .await
        .unwrap();
    let mut body = proxied.read("swap.bin").await.unwrap();
    let mut got = Vec::new();
    while got.len() < 256 * 1024 {
        got.extend_from_slice(&body.next().await.unwrap().unwrap());
    }
    direct
        .write_atomic_with("swap.bin", vec![9u8; SIZE + 1], WriteOptions::overwriting())
        .await
        .unwrap();
    let err = loop {
        match body.next().await {
            Some(Ok(chunk)) => got.extend_from_slice(&chunk),
            Some(Err(e)) => break e,
            None => panic!(
                "the read ended after {} bytes instead of failing",
                got.len()
            ),
        }
    };
    assert_changed(&err);
    assert!(got.len() < SIZE);
    assert_eq!(
        first_difference(&got, &old[..got.len()]),
        None,
        "only old bytes"
    );
}

/// The object the `read_versioned` checks read: [`VERSIONED_SIZE`] bytes.
pub const VERSIONED_SIZE: usize = 100_000;

/// The reads `read_versioned` is checked with, and whether each is exactly one request on
/// every server. The whole object and a range inside it are one `GetObject` / Get Blob. A
/// range ending past the end is one request where the service clamps it (S3, Azure), three
/// on s3s-fs (refused, a `HeadObject` for the size, the clamped read); one starting past
/// the end, or an empty one, reads nothing and takes the version from a `HeadObject` / Get
/// Blob Properties.
pub fn versioned_cases() -> Vec<(Option<Range<u64>>, bool)> {
    let n = VERSIONED_SIZE as u64;
    vec![
        (None, true),
        (Some(10..20_010), true),
        (Some(n - 10..2 * n), false),
        (Some(2 * n..3 * n), false),
        (Some(7..7), false),
    ]
}

/// The bytes of `data` a read of `range` delivers (clamped at the end).
fn expected(data: &[u8], range: &Option<Range<u64>>) -> Vec<u8> {
    let r = range.clone().unwrap_or(0..u64::MAX);
    let end = (r.end as usize).min(data.len());
    data[(r.start as usize).min(end)..end].to_vec()
}

/// The version `info` names, which must have an etag (S3, Azure) and the size of the
/// object the checks read.
fn versioned_object(info: &remote_store_core::FileInfo) -> ObjectVersion {
    let version = ObjectVersion::of(info).expect("get_file_info names a version");
    assert!(version.etag.is_some(), "an etag: {version:?}");
    assert_eq!(version.size, VERSIONED_SIZE as u64);
    version
}

/// Checks one case of [`versioned_cases`] against the object's bytes and the version
/// `get_file_info` reported: `seen` is what the call returned (version, body) and how many
/// requests it sent.
fn check_case(
    name: &str,
    case: &(Option<Range<u64>>, bool),
    want: &ObjectVersion,
    data: &[u8],
    seen: (Option<ObjectVersion>, Vec<u8>, u64),
) {
    let (range, single) = case;
    let (version, body, sent) = seen;
    assert_eq!(version.as_ref(), Some(want), "{name}: {range:?}");
    assert!(
        body == expected(data, range),
        "{name}: the bytes of {range:?}"
    );
    if *single {
        assert_eq!(sent, 1, "{name}: requests for {range:?}");
    }
}

/// `read_versioned` (issue 12) on `key`, which holds `data` ([`VERSIONED_SIZE`] bytes), for
/// every case of [`versioned_cases`]: the body is exactly the range's bytes, the version is
/// the one `get_file_info` reports (the retry layer compares the two on a resume and sends
/// the etag as `If-Match`), the single-request cases send exactly one request (`requests`
/// counts what the backend sent, from the backend's own client), and a missing object is
/// `NotFound`.
pub fn read_versioned_is_one_request_sync<B: Backend + ?Sized>(
    backend: &B,
    key: &str,
    data: &[u8],
    requests: &dyn Fn() -> u64,
    name: &str,
) {
    let path = RemotePath::file(key).unwrap();
    let want = versioned_object(&backend.get_file_info(&path).unwrap());
    for case in versioned_cases() {
        let before = requests();
        let (mut reader, version) = backend.read_versioned(&path, case.0.clone()).unwrap();
        let mut body = Vec::new();
        reader.read_to_end(&mut body).unwrap();
        let seen = (version, body, requests() - before);
        check_case(name, &case, &want, data, seen);
    }
    let missing = RemotePath::file("no-such-object").unwrap();
    let err = backend.read_versioned(&missing, None).map(drop);
    assert_eq!(err.unwrap_err().kind(), ErrorKind::NotFound, "{name}");
}

/// This is an async version of [`read_versioned_is_one_request_sync`].
pub async fn read_versioned_is_one_request_async<B: AsyncBackend + ?Sized>(
    backend: &B,
    key: &str,
    data: &[u8],
    requests: &(dyn Fn() -> u64 + Sync),
    name: &str,
) {
    let path = RemotePath::file(key).unwrap();
    let want = versioned_object(&backend.get_file_info(&path).await.unwrap());
    for case in versioned_cases() {
        let before = requests();
        let (stream, version) = backend.read_versioned(&path, case.0.clone()).await.unwrap();
        let body = stream.collect_bytes().await.unwrap().to_vec();
        let seen = (version, body, requests() - before);
        check_case(name, &case, &want, data, seen);
    }
    let missing = RemotePath::file("no-such-object").unwrap();
    let err = backend.read_versioned(&missing, None).await.map(drop);
    assert_eq!(err.unwrap_err().kind(), ErrorKind::NotFound, "{name}");
}
