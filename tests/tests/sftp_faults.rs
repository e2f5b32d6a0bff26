//! Fault injection for the SFTP backend with the shared TCP proxy between the client and
//! the real sshd, in both halves: a cut during `write_atomic` leaves the old file intact;
//! a cut during a read surfaces `BackendUnavailable`; a silent server fails a call within
//! `request_timeout`; the call after a cut reconnects and succeeds; `retry` governs the
//! connect attempts while connections are being cut.
#![cfg(feature = "sftp")]

mod sftp_support;

use std::io::Read;
use std::time::{Duration, Instant};

use futures::StreamExt;
use remote_store_async::AsyncStore;
use remote_store_core::{ErrorKind, RetryPolicy, WriteOptions};
use remote_store_sftp::{AsyncSftpBackend, SftpBackend, SftpConfig};
use remote_store_sync::Store;
use remote_store_tests::proxy::{Direction, Fault, FaultProxy};
use sftp_support::Sshd;

const MIB: usize = 1024 * 1024;

fn payload(len: usize, seed: u8) -> Vec<u8> {
    (0..len)
        .map(|i| (i as u8).wrapping_mul(31).wrapping_add(seed))
        .collect()
}

struct Setup {
    sshd: Sshd,
    proxy: FaultProxy,
    /// One base directory shared by the direct and the proxied configs.
    base: String,
}

impl Setup {
    fn new(tag: &str) -> Option<Setup> {
        let sshd = Sshd::from_env()?;
        let proxy = FaultProxy::start(sshd.addr()).expect("the proxy starts");
        let base = sshd.fresh_base(tag);
        Some(Setup { sshd, proxy, base })
    }

    /// [`Setup::new`] from async code (`FaultProxy::start` blocks on a runtime of its own,
    /// which tokio refuses on a runtime thread).
    async fn new_async(tag: &'static str) -> Option<Setup> {
        tokio::task::spawn_blocking(move || Setup::new(tag))
            .await
            .expect("setup does not panic")
    }

    /// Straight to the server (no faults).
    fn direct(&self) -> SftpConfig {
        self.sshd.config("unused").base_path(self.base.clone())
    }

    /// Through the proxy, with a short I/O timeout.
    fn proxied(&self, request_timeout: Duration) -> SftpConfig {
        self.sshd
            .config_via(self.proxy.addr().port(), "unused")
            .base_path(self.base.clone())
            .request_timeout(request_timeout)
            .connect_timeout(Duration::from_secs(5))
    }

    fn sync_store(config: SftpConfig) -> Store {
        Store::new(SftpBackend::new(config).unwrap(), "").unwrap()
    }

    fn async_store(config: SftpConfig) -> AsyncStore {
        AsyncStore::new(AsyncSftpBackend::new(config).unwrap(), "").unwrap()
    }

    /// Names in the base directory on the server's disk that are `write_atomic` temps
    /// (the sshd runs on this machine; reported, not asserted: an orphan temp is the
    /// documented worst case after a cut).
    fn orphan_temps(&self) -> usize {
        std::fs::read_dir(&self.base)
            .map(|d| {
                d.filter_map(|e| e.ok())
                    .filter(|e| e.file_name().to_string_lossy().starts_with(".~tmp."))
                    .count()
            })
            .unwrap_or(0)
    }
}

#[test]
fn sync_cut_during_write_atomic_keeps_the_old_file() {
    let Some(setup) = Setup::new("fault-atomic-sync") else {
        return;
    };
    let old = payload(MIB, 1);
    let direct = Setup::sync_store(setup.direct());
    direct.write("f.bin", old.clone()).unwrap();

    setup.proxy.set_fault(Fault::CutAfter {
        bytes: 4 * MIB as u64,
        direction: Direction::Upload,
    });
    let cut = Setup::sync_store(setup.proxied(Duration::from_secs(10)));
    let err = cut
        .write_atomic_with(
            "f.bin",
            payload(32 * MIB, 2),
            WriteOptions::new().overwrite(true),
        )
        .expect_err("the connection is cut mid-upload");
    assert_eq!(err.kind(), ErrorKind::BackendUnavailable, "{err}");

    assert_eq!(
        direct.read_bytes("f.bin").unwrap(),
        old,
        "the old content is intact"
    );
    let listed: Vec<_> = direct
        .list_files("")
        .unwrap()
        .map(|f| f.unwrap().path)
        .collect();
    assert_eq!(listed.len(), 1, "only the target is listed: {listed:?}");
    eprintln!("orphan temp files after the cut: {}", setup.orphan_temps());
}

#[tokio::test(flavor = "multi_thread")]
async fn async_cut_during_write_atomic_keeps_the_old_file() {
    let Some(setup) = Setup::new_async("fault-atomic-async").await else {
        return;
    };
    let old = payload(MIB, 3);
    let direct = Setup::async_store(setup.direct());
    direct.write("f.bin", old.clone()).await.unwrap();

    setup.proxy.set_fault(Fault::CutAfter {
        bytes: 4 * MIB as u64,
        direction: Direction::Upload,
    });
    let cut = Setup::async_store(setup.proxied(Duration::from_secs(10)));
    let err = cut
        .write_atomic_with(
            "f.bin",
            payload(32 * MIB, 4),
            WriteOptions::new().overwrite(true),
        )
        .await
        .expect_err("the connection is cut mid-upload");
    assert_eq!(err.kind(), ErrorKind::BackendUnavailable, "{err}");

    assert_eq!(
        direct.read_bytes("f.bin").await.unwrap(),
        old,
        "the old content is intact"
    );
    eprintln!("orphan temp files after the cut: {}", setup.orphan_temps());
}

#[test]
fn sync_cut_during_read_is_unavailable_and_the_next_call_reconnects() {
    let Some(setup) = Setup::new("fault-read-sync") else {
        return;
    };
    let data = payload(16 * MIB, 5);
    Setup::sync_store(setup.direct())
        .write("big.bin", data.clone())
        .unwrap();

    // The first connection is cut after 4 MiB have come down.
    setup.proxy.set_fault(Fault::CutAfter {
        bytes: 4 * MIB as u64,
        direction: Direction::Download,
    });
    let store = Setup::sync_store(setup.proxied(Duration::from_secs(10)));
    store.ping().unwrap();
    setup.proxy.set_fault(Fault::None);
    assert_eq!(setup.proxy.connections(), 1);
    let mut reader = store.read("big.bin").unwrap();
    let mut buf = vec![0; 256 * 1024];
    reader.read_exact(&mut buf).unwrap();
    assert_eq!(buf, data[..buf.len()]);
    let mut rest = Vec::new();
    let err = reader.read_to_end(&mut rest).expect_err("the read is cut");
    let err = remote_store_core::Error::from_io(err);
    assert_eq!(err.kind(), ErrorKind::BackendUnavailable, "{err}");
    drop(reader);

    // The same store reconnects on its next call.
    assert_eq!(store.read_bytes("big.bin").unwrap(), data);
    assert_eq!(setup.proxy.connections(), 2, "one new connection");
}

#[tokio::test(flavor = "multi_thread")]
async fn async_cut_during_read_is_unavailable_and_the_next_call_reconnects() {
    let Some(setup) = Setup::new_async("fault-read-async").await else {
        return;
    };
    let data = payload(16 * MIB, 6);
    Setup::async_store(setup.direct())
        .write("big.bin", data.clone())
        .await
        .unwrap();

    // The first connection is cut after 4 MiB have come down.
    setup.proxy.set_fault(Fault::CutAfter {
        bytes: 4 * MIB as u64,
        direction: Direction::Download,
    });
    let store = Setup::async_store(setup.proxied(Duration::from_secs(10)));
    store.ping().await.unwrap();
    setup.proxy.set_fault(Fault::None);
    let mut body = store.read("big.bin").await.unwrap();
    let first = body.next().await.unwrap().unwrap();
    assert_eq!(first, data[..first.len()]);
    let mut failure = None;
    while let Some(chunk) = body.next().await {
        if let Err(e) = chunk {
            failure = Some(e);
            break;
        }
    }
    let err = failure.expect("the read is cut before its end");
    assert_eq!(err.kind(), ErrorKind::BackendUnavailable, "{err}");
    drop(body);

    assert_eq!(store.read_bytes("big.bin").await.unwrap(), data);
    assert_eq!(setup.proxy.connections(), 2, "one new connection");
}

#[test]
fn sync_cut_mid_read_by_byte_count() {
    let Some(setup) = Setup::new("fault-read-bytes-sync") else {
        return;
    };
    Setup::sync_store(setup.direct())
        .write("big.bin", payload(16 * MIB, 7))
        .unwrap();
    setup.proxy.set_fault(Fault::CutAfter {
        bytes: 2 * MIB as u64,
        direction: Direction::Download,
    });
    let store = Setup::sync_store(setup.proxied(Duration::from_secs(10)));
    let err = store.read_bytes("big.bin").expect_err("cut after 2 MiB");
    assert_eq!(err.kind(), ErrorKind::BackendUnavailable, "{err}");
    assert!(err.is_retryable());
}

#[test]
fn sync_stalled_server_fails_within_request_timeout() {
    let Some(setup) = Setup::new("fault-stall-sync") else {
        return;
    };
    Setup::sync_store(setup.direct())
        .write("big.bin", payload(16 * MIB, 8))
        .unwrap();
    setup.proxy.set_fault(Fault::StallAfter {
        bytes: 2 * MIB as u64,
        direction: Direction::Download,
    });
    let request_timeout = Duration::from_secs(2);
    let store = Setup::sync_store(setup.proxied(request_timeout));
    let started = Instant::now();
    let err = store
        .read_bytes("big.bin")
        .expect_err("the server goes silent");
    let took = started.elapsed();
    assert_eq!(err.kind(), ErrorKind::BackendUnavailable, "{err}");
    assert!(
        took < request_timeout + Duration::from_secs(3),
        "failed after {took:?}"
    );

    // The next call reconnects (the stall only hits the first connection's later bytes,
    // so lift it first).
    setup.proxy.set_fault(Fault::None);
    assert!(store.is_file("big.bin").unwrap());
}

#[tokio::test(flavor = "multi_thread")]
async fn async_stalled_server_fails_within_request_timeout() {
    let Some(setup) = Setup::new_async("fault-stall-async").await else {
        return;
    };
    Setup::async_store(setup.direct())
        .write("big.bin", payload(16 * MIB, 9))
        .await
        .unwrap();
    setup.proxy.set_fault(Fault::StallAfter {
        bytes: 2 * MIB as u64,
        direction: Direction::Download,
    });
    let request_timeout = Duration::from_secs(2);
    let store = Setup::async_store(setup.proxied(request_timeout));
    let started = Instant::now();
    let err = store
        .read_bytes("big.bin")
        .await
        .expect_err("the server goes silent");
    let took = started.elapsed();
    assert_eq!(err.kind(), ErrorKind::BackendUnavailable, "{err}");
    assert!(
        took < request_timeout + Duration::from_secs(3),
        "failed after {took:?}"
    );

    setup.proxy.set_fault(Fault::None);
    assert!(store.is_file("big.bin").await.unwrap());
}

#[tokio::test(flavor = "multi_thread")]
async fn stalled_handshake_fails_within_connect_timeout() {
    let Some(setup) = Setup::new_async("fault-stall-connect").await else {
        return;
    };
    setup.proxy.set_fault(Fault::StallAfter {
        bytes: 0,
        direction: Direction::Both,
    });
    let config = setup
        .proxied(Duration::from_secs(30))
        .connect_timeout(Duration::from_secs(2));
    let started = Instant::now();
    let err = Setup::async_store(config)
        .ping()
        .await
        .expect_err("no handshake");
    assert_eq!(err.kind(), ErrorKind::BackendUnavailable, "{err}");
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
}

#[test]
fn sync_backend_inside_tokio_main() {
    // `#[tokio::main]` in a test: a current-thread and a multi-thread runtime calling the
    // blocking backend from async code.
    let Some(sshd) = Sshd::from_env() else { return };
    for flavor in ["current_thread", "multi_thread"] {
        let rt = if flavor == "current_thread" {
            tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap()
        } else {
            tokio::runtime::Builder::new_multi_thread()
                .enable_all()
                .build()
                .unwrap()
        };
        let config = sshd.config("in-runtime");
        rt.block_on(async move {
            let store = Store::new(SftpBackend::new(config).unwrap(), "").unwrap();
            store.write("a/b.txt", "hello").unwrap();
            assert_eq!(store.read_bytes("a/b.txt").unwrap(), "hello".as_bytes());
            let mut seek = store.read_seekable("a/b.txt").unwrap();
            use std::io::{Seek, SeekFrom};
            seek.seek(SeekFrom::Start(2)).unwrap();
            let mut s = String::new();
            seek.read_to_string(&mut s).unwrap();
            assert_eq!(s, "llo", "{flavor}");
            store.close().unwrap();
            // Not terminal: the next call reconnects.
            assert!(store.is_file("a/b.txt").unwrap(), "{flavor}");
        });
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn dropped_write_atomic_leaves_old_file_and_no_temp() {
    let Some(setup) = Setup::new_async("fault-cancel").await else {
        return;
    };
    let store = Setup::async_store(setup.direct());
    store.write("f.bin", "old").await.unwrap();
    // A source that sends 1 MiB and then never ends.
    let chunks =
        futures::stream::iter((0..8).map(|_| Ok(bytes::Bytes::from(vec![1u8; 128 * 1024]))))
            .chain(futures::stream::pending());
    let write = store.write_atomic_with(
        "f.bin",
        remote_store_async::AsyncContent::chunks(chunks),
        WriteOptions::new().overwrite(true),
    );
    let mut write = Box::pin(write);
    assert!(
        tokio::time::timeout(Duration::from_secs(1), &mut write)
            .await
            .is_err(),
        "the write cannot finish"
    );
    assert_eq!(setup.orphan_temps(), 1, "the upload goes to a temp file");
    drop(write);
    // The dropped write's clean-up runs in the background.
    let mut temps = setup.orphan_temps();
    for _ in 0..50 {
        if temps == 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
        temps = setup.orphan_temps();
    }
    assert_eq!(temps, 0, "the temp file is removed");
    assert_eq!(store.read_bytes("f.bin").await.unwrap(), "old".as_bytes());
    // The connection is still usable (the handle was closed, nothing leaked).
    store.write("g.bin", "new").await.unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn copy_is_server_side() {
    // Through a proxy that cuts the connection after 1 MiB in either direction, copying a
    // 16 MiB file still succeeds: the bytes never pass through the client (`copy-data`).
    let Some(setup) = Setup::new_async("copy-server-side").await else {
        return;
    };
    let data = payload(16 * MIB, 10);
    let direct = Setup::async_store(setup.direct());
    direct.write("src.bin", data.clone()).await.unwrap();
    setup.proxy.set_fault(Fault::CutAfter {
        bytes: MIB as u64,
        direction: Direction::Both,
    });
    let proxied = Setup::async_store(setup.proxied(Duration::from_secs(10)));
    proxied.copy_file("src.bin", "sub/dst.bin").await.unwrap();
    let err = proxied
        .copy_file("src.bin", "sub/dst.bin")
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::AlreadyExists, "{err}");
    assert!(direct.read_bytes("sub/dst.bin").await.unwrap() == data);
}

/// `retry` is the connect policy: while the proxy cuts every new connection, a call with
/// the default (one attempt) fails with a retryable `BackendUnavailable`; with several
/// attempts the same call succeeds once the cuts stop, without the caller retrying.
#[tokio::test(flavor = "multi_thread")]
async fn connect_attempts_follow_the_retry_policy() {
    let Some(setup) = Setup::new_async("connect-retry").await else {
        return;
    };
    setup.proxy.set_fault(Fault::CutAfter {
        bytes: 0,
        direction: Direction::Upload,
    });
    let once = Setup::async_store(setup.proxied(Duration::from_secs(5)));
    let before = setup.proxy.connections();
    let e = once.exists("x").await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::BackendUnavailable, "{e}");
    assert!(e.is_retryable(), "a cut handshake is retryable: {e}");
    assert_eq!(
        setup.proxy.connections() - before,
        1,
        "one connect attempt by default"
    );

    let patient = Setup::async_store(
        setup.proxied(Duration::from_secs(5)).retry(
            RetryPolicy::new()
                .max_attempts(30)
                .initial_backoff(Duration::from_millis(100))
                .max_backoff(Duration::from_millis(200))
                .jitter(0.0),
        ),
    );
    let before = setup.proxy.connections();
    let (found, ()) = tokio::join!(patient.exists("x"), async {
        tokio::time::sleep(Duration::from_millis(700)).await;
        setup.proxy.set_fault(Fault::None);
    });
    assert!(!found.expect("the call succeeds once connections pass"));
    let attempts = setup.proxy.connections() - before;
    assert!(
        attempts >= 3,
        "connects retried while cut: {attempts} connections"
    );
}
