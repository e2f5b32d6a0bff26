//! Fault injection between the S3 backend and both S3 servers (moto, s3s-fs), with the
//! shared TCP proxy, in both halves:
//! - a connection cut half-way through a 20 MiB `write_atomic` leaves the previous object
//!   intact and no multipart upload open: ListMultipartUploads is empty after the call
//!   (where the server implements it — s3s-fs does not), and the upload the write created
//!   refuses a new part;
//! - a connection cut in the middle of a read body surfaces `BackendUnavailable` from the
//!   stream, never a short success;
//! - a stalled server (before the response head, mid-body, mid-upload) fails the call
//!   within the configured timeouts;
//! - a conditional create whose first response is lost, retried by the SDK, is the write's
//!   own success, not `AlreadyExists` (servers that enforce `If-None-Match: *`: moto).
#![cfg(feature = "s3")]

mod s3_support;

use std::io::{Cursor, Read};
use std::time::{Duration, Instant};

use futures::StreamExt;
use remote_store_async::{AsyncContent, AsyncStore};
use remote_store_core::{Error, ErrorKind, WriteOptions};
use remote_store_s3::{AsyncS3Backend, S3Backend, S3Config};
use remote_store_sync::{Content, Store};
use remote_store_tests::proxy::{Direction, Fault, FaultProxy};
use s3_support::{Server, block_on, unique_name};

const MIB: usize = 1024 * 1024;
/// The configured timeouts below are 2–3 s; a failing call must end well within this.
const DEADLINE: Duration = Duration::from_secs(15);

/// A bucket on one server, and a proxy in front of that server.
struct Setup {
    server: Server,
    bucket: String,
    proxy: FaultProxy,
}

impl Setup {
    async fn new(server: Server) -> Setup {
        let bucket = server.fresh_bucket("faults").await;
        // Started from a plain thread: the proxy blocks on its own runtime while starting.
        let upstream = server.addr();
        let proxy = std::thread::spawn(move || FaultProxy::start(upstream))
            .join()
            .expect("proxy thread")
            .expect("start the proxy");
        Setup {
            server,
            bucket,
            proxy,
        }
    }

    /// Straight to the server, for preparing and inspecting.
    fn direct(&self, prefix: &str) -> S3Config {
        self.server.config(&self.bucket).prefix(prefix)
    }

    /// Through the proxy: 16 MiB parts one at a time (a 20 MiB write is a multipart
    /// upload whose first part crosses the 10 MiB mark whichever pooled connection it
    /// takes), no retries, short timeouts. Build the backend after `set_fault`: faults
    /// apply to connections opened later, and a new backend opens new ones.
    fn proxied(&self, prefix: &str) -> S3Config {
        self.server
            .config_at(&self.bucket, &self.proxy.http_url())
            .prefix(prefix)
            .part_size(16 * MIB as u64)
            .max_concurrency(1)
            .retry(remote_store_core::RetryPolicy::never())
            .connect_timeout(Duration::from_secs(2))
            .request_timeout(Duration::from_secs(3))
            .read_timeout(Duration::from_secs(2))
    }
}

fn pattern(len: usize, seed: u8) -> Vec<u8> {
    (0..len)
        .map(|i| (i as u8).wrapping_mul(31).wrapping_add(seed))
        .collect()
}

fn servers() -> Vec<Server> {
    let servers = Server::all();
    if servers.is_empty() {
        eprintln!("SKIP: no S3 server — run `cargo xtask test`");
    }
    servers
}

// ---------------------------------------------------------------------------------------
// A cut in the middle of a 20 MiB write_atomic.

#[test]
fn cut_write_atomic_keeps_old_object_and_leaves_no_upload_sync() {
    for server in servers() {
        let setup = block_on(Setup::new(server));
        let prefix = unique_name("cut-write-s");
        let direct = Store::new(S3Backend::new(setup.direct(&prefix)).unwrap(), "").unwrap();
        direct.write("obj.bin", "the old content").unwrap();

        setup.proxy.set_fault(Fault::CutAfter {
            bytes: 10 * MIB as u64,
            direction: Direction::Upload,
        });
        let (backend, recorder) = setup.server.recorded_backend(setup.proxied(&prefix));
        let proxied = Store::new(S3Backend::from_async(backend), "").unwrap();
        let data = pattern(20 * MIB, 1);
        let err = proxied
            .write_atomic_with(
                "obj.bin",
                Content::reader(Cursor::new(data)),
                WriteOptions::overwriting(),
            )
            .expect_err("the write must fail when the connection is cut");
        assert_eq!(err.kind(), ErrorKind::BackendUnavailable, "{err:?}");

        assert_eq!(direct.read_text("obj.bin").unwrap(), "the old content");
        block_on(
            setup
                .server
                .assert_no_open_uploads(&setup.bucket, &recorder),
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cut_write_atomic_keeps_old_object_and_leaves_no_upload_async() {
    for server in servers() {
        let setup = Setup::new(server).await;
        let prefix = unique_name("cut-write-a");
        let direct =
            AsyncStore::new(AsyncS3Backend::new(setup.direct(&prefix)).unwrap(), "").unwrap();
        direct.write("obj.bin", "the old content").await.unwrap();

        setup.proxy.set_fault(Fault::CutAfter {
            bytes: 10 * MIB as u64,
            direction: Direction::Upload,
        });
        let (backend, recorder) = setup.server.recorded_backend(setup.proxied(&prefix));
        let proxied = AsyncStore::new(backend, "").unwrap();
        let data = pattern(20 * MIB, 2);
        let err = proxied
            .write_atomic_with(
                "obj.bin",
                AsyncContent::reader(Cursor::new(data)),
                WriteOptions::overwriting(),
            )
            .await
            .expect_err("the write must fail when the connection is cut");
        assert_eq!(err.kind(), ErrorKind::BackendUnavailable, "{err:?}");

        assert_eq!(
            direct.read_text("obj.bin").await.unwrap(),
            "the old content"
        );
        setup
            .server
            .assert_no_open_uploads(&setup.bucket, &recorder)
            .await;
    }
}

// ---------------------------------------------------------------------------------------
// A cut in the middle of a read body.

#[test]
fn cut_read_surfaces_backend_unavailable_sync() {
    for server in servers() {
        let setup = block_on(Setup::new(server));
        let prefix = unique_name("cut-read-s");
        let direct = Store::new(S3Backend::new(setup.direct(&prefix)).unwrap(), "").unwrap();
        direct.write("big.bin", pattern(8 * MIB, 3)).unwrap();

        setup.proxy.set_fault(Fault::CutAfter {
            bytes: MIB as u64,
            direction: Direction::Download,
        });
        let proxied = Store::new(S3Backend::new(setup.proxied(&prefix)).unwrap(), "").unwrap();
        let mut reader = proxied.read("big.bin").expect("the response head arrives");
        let mut got = Vec::new();
        let err = reader
            .read_to_end(&mut got)
            .expect_err("a cut body must not read as a short success");
        assert!(got.len() < 8 * MIB);
        let err = Error::from_io(err);
        assert_eq!(err.kind(), ErrorKind::BackendUnavailable, "{err:?}");
        assert!(err.is_retryable());
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cut_read_surfaces_backend_unavailable_async() {
    for server in servers() {
        let setup = Setup::new(server).await;
        let prefix = unique_name("cut-read-a");
        let direct =
            AsyncStore::new(AsyncS3Backend::new(setup.direct(&prefix)).unwrap(), "").unwrap();
        direct.write("big.bin", pattern(8 * MIB, 4)).await.unwrap();

        setup.proxy.set_fault(Fault::CutAfter {
            bytes: MIB as u64,
            direction: Direction::Download,
        });
        let proxied =
            AsyncStore::new(AsyncS3Backend::new(setup.proxied(&prefix)).unwrap(), "").unwrap();
        let mut body = proxied
            .read("big.bin")
            .await
            .expect("the response head arrives");
        let mut got = 0usize;
        let err = loop {
            match body.next().await {
                Some(Ok(chunk)) => got += chunk.len(),
                Some(Err(e)) => break e,
                None => panic!("a cut body ended as a short success after {got} bytes"),
            }
        };
        assert!(got < 8 * MIB);
        assert_eq!(err.kind(), ErrorKind::BackendUnavailable, "{err:?}");
        assert!(err.is_retryable());
    }
}

// ---------------------------------------------------------------------------------------
// A stalled server.

/// Asserts `result` failed as `BackendUnavailable` and within [`DEADLINE`] of `started`.
fn assert_timed_out<T: std::fmt::Debug>(what: &str, started: Instant, result: Result<T, Error>) {
    let elapsed = started.elapsed();
    let err = result.expect_err(what);
    assert_eq!(err.kind(), ErrorKind::BackendUnavailable, "{what}: {err:?}");
    assert!(elapsed < DEADLINE, "{what} took {elapsed:?}");
}

#[test]
fn stalled_server_fails_within_timeouts_sync() {
    for server in servers() {
        let setup = block_on(Setup::new(server));
        let prefix = unique_name("stall-s");
        let direct = Store::new(S3Backend::new(setup.direct(&prefix)).unwrap(), "").unwrap();
        direct.write("big.bin", pattern(8 * MIB, 5)).unwrap();

        // Silent before the response head: the request timeout.
        setup.proxy.set_fault(Fault::StallAfter {
            bytes: 0,
            direction: Direction::Download,
        });
        let store = Store::new(S3Backend::new(setup.proxied(&prefix)).unwrap(), "").unwrap();
        let started = Instant::now();
        assert_timed_out("get_file_info", started, store.get_file_info("big.bin"));

        // Silent in the middle of a body: the read timeout.
        setup.proxy.set_fault(Fault::StallAfter {
            bytes: MIB as u64,
            direction: Direction::Download,
        });
        let store = Store::new(S3Backend::new(setup.proxied(&prefix)).unwrap(), "").unwrap();
        let started = Instant::now();
        let result = store.read("big.bin").and_then(|mut r| {
            let mut sink = Vec::new();
            r.read_to_end(&mut sink).map_err(Error::from_io)
        });
        assert_timed_out("read", started, result);

        // Silent while uploading: the request timeout.
        setup.proxy.set_fault(Fault::StallAfter {
            bytes: MIB as u64,
            direction: Direction::Upload,
        });
        let store = Store::new(S3Backend::new(setup.proxied(&prefix)).unwrap(), "").unwrap();
        let started = Instant::now();
        let result = store.write_with("up.bin", pattern(4 * MIB, 6), WriteOptions::overwriting());
        assert_timed_out("write", started, result);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stalled_server_fails_within_timeouts_async() {
    for server in servers() {
        let setup = Setup::new(server).await;
        let prefix = unique_name("stall-a");
        let direct =
            AsyncStore::new(AsyncS3Backend::new(setup.direct(&prefix)).unwrap(), "").unwrap();
        direct.write("big.bin", pattern(8 * MIB, 7)).await.unwrap();

        setup.proxy.set_fault(Fault::StallAfter {
            bytes: 0,
            direction: Direction::Download,
        });
        let store =
            AsyncStore::new(AsyncS3Backend::new(setup.proxied(&prefix)).unwrap(), "").unwrap();
        let started = Instant::now();
        assert_timed_out(
            "get_file_info",
            started,
            store.get_file_info("big.bin").await,
        );

        setup.proxy.set_fault(Fault::StallAfter {
            bytes: MIB as u64,
            direction: Direction::Download,
        });
        let store =
            AsyncStore::new(AsyncS3Backend::new(setup.proxied(&prefix)).unwrap(), "").unwrap();
        let started = Instant::now();
        let result = match store.read("big.bin").await {
            Ok(body) => body.collect_bytes().await,
            Err(e) => Err(e),
        };
        assert_timed_out("read", started, result);

        setup.proxy.set_fault(Fault::StallAfter {
            bytes: MIB as u64,
            direction: Direction::Upload,
        });
        let store =
            AsyncStore::new(AsyncS3Backend::new(setup.proxied(&prefix)).unwrap(), "").unwrap();
        let started = Instant::now();
        let result = store
            .write_with("up.bin", pattern(4 * MIB, 8), WriteOptions::overwriting())
            .await;
        assert_timed_out("write", started, result);
    }
}

// ---------------------------------------------------------------------------------------
// A conditional create whose response is lost: the SDK's retry meets the object the first
// attempt stored.

/// Through the proxy with the SDK retrying (three attempts) and no folder check, so that a
/// new backend's first connection carries the `PutObject` itself.
fn retrying(setup: &Setup, prefix: &str) -> S3Config {
    setup
        .proxied(prefix)
        .retry(
            remote_store_core::RetryPolicy::new()
                .max_attempts(3)
                .initial_backoff(Duration::from_millis(10)),
        )
        .check_folder_targets(false)
}

/// The first connection is cut as the response starts (the server has stored the object);
/// the retry's `If-None-Match: *` then fails against that very object.
fn lose_first_response(setup: &Setup) {
    setup.proxy.set_fault_once(Fault::CutAfter {
        bytes: 1,
        direction: Direction::Download,
    });
}

#[test]
fn a_create_whose_response_was_lost_succeeds_sync() {
    let mut ran = 0;
    for server in servers() {
        // s3s-fs checks `If-None-Match: *` before the body arrives and the tests' config
        // turns `conditional_create` off there: no conditional create to lose.
        if server.name == "s3s-fs" {
            continue;
        }
        ran += 1;
        let setup = block_on(Setup::new(server));
        let prefix = unique_name("lost-create-s");
        lose_first_response(&setup);
        let before = setup.proxy.connections();
        let store = Store::new(S3Backend::new(retrying(&setup, &prefix)).unwrap(), "").unwrap();
        let written = store
            .write_with("new.txt", "created once", WriteOptions::default())
            .expect("the retried create met its own object: a success");
        assert_eq!(written.size, 12);
        assert!(
            setup.proxy.connections() >= before + 2,
            "the first attempt was cut and retried"
        );
        assert_eq!(store.read_text("new.txt").unwrap(), "created once");
        // Another writer's object is still refused.
        let err = store
            .write_with("new.txt", "second", WriteOptions::default())
            .expect_err("the key exists");
        assert_eq!(err.kind(), ErrorKind::AlreadyExists, "{err:?}");
        assert_eq!(
            store.get_file_info("new.txt").unwrap().metadata,
            None,
            "the write's id is not user metadata"
        );
    }
    if Server::moto().is_some() {
        assert!(ran > 0, "moto runs it");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_create_whose_response_was_lost_succeeds_async() {
    let mut ran = 0;
    for server in servers() {
        if server.name == "s3s-fs" {
            continue;
        }
        ran += 1;
        let setup = Setup::new(server).await;
        let prefix = unique_name("lost-create-a");
        lose_first_response(&setup);
        let before = setup.proxy.connections();
        let store =
            AsyncStore::new(AsyncS3Backend::new(retrying(&setup, &prefix)).unwrap(), "").unwrap();
        let opts = WriteOptions::new().metadata([("owner", "me")].into_iter().collect());
        let written = store
            .write_with("new.txt", "created once", opts)
            .await
            .expect("the retried create met its own object: a success");
        assert_eq!(written.size, 12);
        assert!(written.etag.is_some(), "{written:?}");
        assert!(
            setup.proxy.connections() >= before + 2,
            "the first attempt was cut and retried"
        );
        assert_eq!(store.read_text("new.txt").await.unwrap(), "created once");
        let err = store
            .write_with("new.txt", "second", WriteOptions::default())
            .await
            .expect_err("the key exists");
        assert_eq!(err.kind(), ErrorKind::AlreadyExists, "{err:?}");
        let info = store.get_file_info("new.txt").await.unwrap();
        let metadata = info.metadata.expect("the user's metadata");
        assert_eq!(
            metadata.iter().collect::<Vec<_>>(),
            vec![("owner", "me")],
            "only the user's metadata, not the write's id"
        );
    }
    if Server::moto().is_some() {
        assert!(ran > 0, "moto runs it");
    }
}
