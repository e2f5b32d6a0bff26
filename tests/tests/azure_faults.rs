//! Fault injection between the Azure backend and Azurite, with the shared TCP proxy, in
//! both halves: a connection cut in the middle of `write_atomic` leaves the old blob intact;
//! a cut in the middle of a read surfaces `BackendUnavailable`; a stalled server fails the
//! call within the configured timeouts; a conditional create whose first response is lost
//! and retried is the write's own success, not `AlreadyExists`.
#![cfg(feature = "azure")]

mod azure_support;

use std::io::Read;
use std::time::{Duration, Instant};

use futures::StreamExt;
use remote_store_async::{AsyncContent, AsyncStore};
use remote_store_azure::{AsyncAzureBackend, AzureBackend, AzureConfig};
use remote_store_core::{ErrorKind, WriteOptions};
use remote_store_sync::{Content, Store};
use remote_store_tests::proxy::{Direction, Fault, FaultProxy};

use azure_support::{Azurite, azurite, impatient, pattern};
use remote_store_core::ListOptions;

const MIB: usize = 1024 * 1024;
/// Generous upper bound for a call that must fail through a 2–3 s timeout.
const DEADLINE: Duration = Duration::from_secs(20);

/// A proxied setup: a direct store to prepare and inspect, and the proxy.
struct Setup {
    az: Azurite,
    proxy: FaultProxy,
    config: AzureConfig,
}

impl Setup {
    fn new(az: Azurite, tag: &str) -> Self {
        // Started from a plain thread: `FaultProxy::start` blocks on its own runtime, which
        // panics on a thread that already drives one (reported to the lead).
        let upstream = az.addr();
        let proxy = std::thread::spawn(move || FaultProxy::start(upstream))
            .join()
            .unwrap()
            .unwrap();
        let config = az.config(tag).part_size(MIB as u64).max_concurrency(2);
        Setup { az, proxy, config }
    }

    /// The same container, through the proxy, with short timeouts and no retries. Build it
    /// after `set_fault`: faults apply to connections opened later, and a new backend opens
    /// new connections.
    fn proxied(&self) -> AzureConfig {
        impatient(self.config.clone()).endpoint(self.az.endpoint_via(&self.proxy.http_url()))
    }
}

fn direct_sync(setup: &Setup) -> Store {
    let b = AzureBackend::new(setup.config.clone()).unwrap();
    b.create_container().unwrap();
    Store::new(b, "").unwrap()
}

async fn direct_async(setup: &Setup) -> AsyncStore {
    let b = AsyncAzureBackend::new(setup.config.clone()).unwrap();
    b.create_container().await.unwrap();
    AsyncStore::new(b, "").unwrap()
}

#[test]
fn sync_cut_mid_write_atomic_keeps_old_blob() {
    let Some(az) = azurite() else { return };
    let setup = Setup::new(az, "cutw-s");
    let direct = direct_sync(&setup);
    direct.write("doc.bin", "old content").unwrap();

    setup.proxy.set_fault(Fault::CutAfter {
        bytes: (2 * MIB + MIB / 2) as u64,
        direction: Direction::Upload,
    });
    let proxied = Store::new(AzureBackend::new(setup.proxied()).unwrap(), "").unwrap();
    let data = pattern(6 * MIB, 3);
    let err = proxied
        .write_atomic_with(
            "doc.bin",
            Content::reader(&data[..]),
            WriteOptions::default().overwrite(true),
        )
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::BackendUnavailable, "{err}");
    assert!(err.is_retryable());

    assert_eq!(direct.read_text("doc.bin").unwrap(), "old content");
    assert_eq!(
        direct
            .list_files_with("", ListOptions::new().recursive(true))
            .unwrap()
            .count(),
        1
    );
}

#[tokio::test]
async fn async_cut_mid_write_atomic_keeps_old_blob() {
    let Some(az) = azurite() else { return };
    let setup = Setup::new(az, "cutw-a");
    let direct = direct_async(&setup).await;
    direct.write("doc.bin", "old content").await.unwrap();

    setup.proxy.set_fault(Fault::CutAfter {
        bytes: (2 * MIB + MIB / 2) as u64,
        direction: Direction::Upload,
    });
    let proxied = AsyncStore::new(AsyncAzureBackend::new(setup.proxied()).unwrap(), "").unwrap();
    let data = pattern(6 * MIB, 3);
    let err = proxied
        .write_atomic_with(
            "doc.bin",
            AsyncContent::reader(&data[..]),
            WriteOptions::default().overwrite(true),
        )
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::BackendUnavailable, "{err}");

    assert_eq!(direct.read_text("doc.bin").await.unwrap(), "old content");
    assert_eq!(
        direct
            .list_files_with("", ListOptions::new().recursive(true))
            .unwrap()
            .count()
            .await,
        1
    );
}

#[test]
fn sync_cut_mid_read_is_backend_unavailable() {
    let Some(az) = azurite() else { return };
    let setup = Setup::new(az, "cutr-s");
    let direct = direct_sync(&setup);
    let data = pattern(8 * MIB, 5);
    direct.write("big.bin", data.clone()).unwrap();

    setup.proxy.set_fault(Fault::CutAfter {
        bytes: (3 * MIB) as u64,
        direction: Direction::Download,
    });
    let proxied = Store::new(AzureBackend::new(setup.proxied()).unwrap(), "").unwrap();
    let mut reader = proxied.read("big.bin").unwrap();
    let mut got = Vec::new();
    let err = reader.read_to_end(&mut got).unwrap_err();
    assert!(
        got.len() >= MIB,
        "the read should fail mid-way, got {} bytes",
        got.len()
    );
    assert!(got.len() < data.len());
    assert_eq!(
        got[..],
        data[..got.len()],
        "bytes before the cut are intact"
    );
    let err = remote_store_core::Error::from_io(err);
    assert_eq!(err.kind(), ErrorKind::BackendUnavailable, "{err}");

    let err = proxied.read_bytes("big.bin").unwrap_err();
    assert_eq!(err.kind(), ErrorKind::BackendUnavailable, "{err}");
}

#[tokio::test]
async fn async_cut_mid_read_is_backend_unavailable() {
    let Some(az) = azurite() else { return };
    let setup = Setup::new(az, "cutr-a");
    let direct = direct_async(&setup).await;
    let data = pattern(8 * MIB, 5);
    direct.write("big.bin", data.clone()).await.unwrap();

    setup.proxy.set_fault(Fault::CutAfter {
        bytes: (3 * MIB) as u64,
        direction: Direction::Download,
    });
    let proxied = AsyncStore::new(AsyncAzureBackend::new(setup.proxied()).unwrap(), "").unwrap();
    let mut stream = proxied.read("big.bin").await.unwrap();
    let mut got = 0usize;
    let err = loop {
        match stream.next().await {
            Some(Ok(chunk)) => got += chunk.len(),
            Some(Err(e)) => break e,
            None => panic!("the read completed through a cut connection"),
        }
    };
    assert!(got >= MIB && got < data.len(), "failed after {got} bytes");
    assert_eq!(err.kind(), ErrorKind::BackendUnavailable, "{err}");
    assert_eq!(err.path(), Some("big.bin"));
}

#[test]
fn sync_stall_fails_within_timeout() {
    let Some(az) = azurite() else { return };
    let setup = Setup::new(az, "stall-s");
    let direct = direct_sync(&setup);
    direct.write("big.bin", pattern(4 * MIB, 1)).unwrap();

    // A read whose body stops arriving.
    setup.proxy.set_fault(Fault::StallAfter {
        bytes: MIB as u64,
        direction: Direction::Download,
    });
    let proxied = Store::new(AzureBackend::new(setup.proxied()).unwrap(), "").unwrap();
    let started = Instant::now();
    let err = proxied.read_bytes("big.bin").unwrap_err();
    assert_eq!(err.kind(), ErrorKind::BackendUnavailable, "{err}");
    assert!(started.elapsed() < DEADLINE, "took {:?}", started.elapsed());

    // An upload the server stops accepting.
    setup.proxy.set_fault(Fault::StallAfter {
        bytes: (MIB / 2) as u64,
        direction: Direction::Upload,
    });
    let proxied = Store::new(AzureBackend::new(setup.proxied()).unwrap(), "").unwrap();
    let started = Instant::now();
    let err = proxied
        .write_with(
            "up.bin",
            pattern(3 * MIB, 2),
            WriteOptions::default().overwrite(true),
        )
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::BackendUnavailable, "{err}");
    assert!(started.elapsed() < DEADLINE, "took {:?}", started.elapsed());
    assert!(!direct.exists("up.bin").unwrap());
}

#[tokio::test]
async fn async_stall_fails_within_timeout() {
    let Some(az) = azurite() else { return };
    let setup = Setup::new(az, "stall-a");
    let direct = direct_async(&setup).await;
    direct.write("big.bin", pattern(4 * MIB, 1)).await.unwrap();

    setup.proxy.set_fault(Fault::StallAfter {
        bytes: MIB as u64,
        direction: Direction::Download,
    });
    let proxied = AsyncStore::new(AsyncAzureBackend::new(setup.proxied()).unwrap(), "").unwrap();
    let started = Instant::now();
    let err = proxied.read_bytes("big.bin").await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::BackendUnavailable, "{err}");
    assert!(started.elapsed() < DEADLINE, "took {:?}", started.elapsed());

    // A stall before any response: the request timeout fires (metadata call).
    setup.proxy.set_fault(Fault::StallAfter {
        bytes: 0,
        direction: Direction::Download,
    });
    let proxied = AsyncStore::new(AsyncAzureBackend::new(setup.proxied()).unwrap(), "").unwrap();
    let started = Instant::now();
    let err = proxied.get_file_info("big.bin").await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::BackendUnavailable, "{err}");
    assert!(started.elapsed() < DEADLINE, "took {:?}", started.elapsed());
}

// A conditional create whose response is lost: the pipeline's retry meets the blob the
// first attempt stored, which carries this write's id, so the write succeeds.

/// Through the proxy with three attempts and no folder check, so that a new backend's
/// first connection carries the upload itself; that connection is cut as the response
/// starts (the blob is stored by then).
fn losing_first_response(setup: &Setup) -> AzureConfig {
    setup.proxy.set_fault_once(Fault::CutAfter {
        bytes: 1,
        direction: Direction::Download,
    });
    setup
        .proxied()
        .retry(
            remote_store_core::RetryPolicy::new()
                .max_attempts(3)
                .initial_backoff(Duration::from_millis(10)),
        )
        .check_folder_targets(false)
}

#[test]
fn sync_create_whose_response_was_lost_succeeds() {
    let Some(az) = azurite() else { return };
    let setup = Setup::new(az, "lost-s");
    let direct = direct_sync(&setup);
    let before = setup.proxy.connections();
    let store = Store::new(
        AzureBackend::new(losing_first_response(&setup)).unwrap(),
        "",
    )
    .unwrap();
    let written = store
        .write_with("new.txt", "created once", WriteOptions::default())
        .expect("the retried create met its own blob: a success");
    assert_eq!(written.size, 12);
    assert!(
        setup.proxy.connections() >= before + 2,
        "the first attempt was cut and retried"
    );
    assert_eq!(direct.read_text("new.txt").unwrap(), "created once");
    let err = store
        .write_with("new.txt", "second", WriteOptions::default())
        .expect_err("the blob exists");
    assert_eq!(err.kind(), ErrorKind::AlreadyExists, "{err:?}");
}

#[tokio::test]
async fn async_create_whose_response_was_lost_succeeds() {
    let Some(az) = azurite() else { return };
    let setup = Setup::new(az, "lost-a");
    let direct = direct_async(&setup).await;
    let before = setup.proxy.connections();
    let store = AsyncStore::new(
        AsyncAzureBackend::new(losing_first_response(&setup)).unwrap(),
        "",
    )
    .unwrap();
    let written = store
        .write_with("new.txt", "created once", WriteOptions::default())
        .await
        .expect("the retried create met its own blob: a success");
    assert_eq!(written.size, 12);
    assert!(written.etag.is_some(), "{written:?}");
    assert!(
        setup.proxy.connections() >= before + 2,
        "the first attempt was cut and retried"
    );
    assert_eq!(direct.read_text("new.txt").await.unwrap(), "created once");
    let err = store
        .write_with("new.txt", "second", WriteOptions::default())
        .await
        .expect_err("the blob exists");
    assert_eq!(err.kind(), ErrorKind::AlreadyExists, "{err:?}");
}
