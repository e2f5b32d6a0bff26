//! Fail fast under the *default* timeouts (nothing shortened): through the fault proxy,
//! a server that accepts connections and never answers fails a call within 30 s, and a
//! transfer that stalls mid-body (upload or download) fails within 60 s, on S3, Azure
//! and SFTP — while a slow read that keeps moving, taking longer than every timeout put
//! together... is not killed (S3 and Azure: a 2 MiB read at 100 KiB/s, ~20 s).
//!
//! The defaults and what each one bounds are in `remote_store_core::timeouts`.
#![cfg(all(feature = "s3", feature = "azure", feature = "sftp"))]

mod azure_support;
mod s3_support;
mod sftp_support;

use std::future::Future;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use bytes::Bytes;
use remote_store_async::AsyncStore;
use remote_store_azure::{AsyncAzureBackend, AzureConfig};
use remote_store_core::{Error, ErrorKind, WriteOptions};
use remote_store_s3::AsyncS3Backend;
use remote_store_sftp::{AsyncSftpBackend, Auth, HostKeyPolicy, SftpConfig};
use remote_store_tests::proxy::{Direction, Fault, FaultProxy};

const MIB: usize = 1024 * 1024;
/// A dead endpoint must fail a call within this.
const DEAD: Duration = Duration::from_secs(30);
/// A stalled transfer must fail within this.
const STALLED: Duration = Duration::from_secs(60);

fn pattern(len: usize, seed: u8) -> Bytes {
    Bytes::from((0..len).map(|i| (i % 251) as u8 ^ seed).collect::<Vec<_>>())
}

/// A proxy in front of `upstream` with `fault` (started from a plain thread: the proxy
/// blocks on its own runtime while starting).
fn proxy(upstream: SocketAddr, fault: Fault) -> FaultProxy {
    let proxy = std::thread::spawn(move || FaultProxy::start(upstream))
        .join()
        .expect("proxy thread")
        .expect("start the proxy");
    proxy.set_fault(fault);
    proxy
}

/// Runs `call`, asserting it fails with `BackendUnavailable` within `bound`.
async fn fails_within<T: std::fmt::Debug>(
    what: String,
    bound: Duration,
    call: impl Future<Output = Result<T, Error>>,
) {
    let started = Instant::now();
    // The outer timeout only keeps a regression from hanging the suite.
    let result = tokio::time::timeout(bound + Duration::from_secs(60), call).await;
    let elapsed = started.elapsed();
    let result = result.unwrap_or_else(|_| panic!("{what}: still running after {elapsed:?}"));
    let err = result.expect_err(&what);
    assert_eq!(err.kind(), ErrorKind::BackendUnavailable, "{what}: {err}");
    assert!(
        elapsed <= bound,
        "{what}: failed only after {elapsed:?} (bound {bound:?})"
    );
    eprintln!("{what}: failed after {elapsed:.1?}: {err}");
}

/// Reads `path` whole through `store`.
async fn read_all(store: &AsyncStore, path: &str) -> Result<Bytes, Error> {
    store.read(path).await?.collect_bytes().await
}

/// The three faults and the slow read against one backend: `direct` writes the object the
/// download cases read; `through(proxy)` builds a store with default timeouts through a
/// proxy.
async fn check_backend<F>(name: &str, upstream: SocketAddr, direct: AsyncStore, through: F)
where
    F: Fn(&FaultProxy) -> AsyncStore,
{
    let big = pattern(4 * MIB, 1);
    direct
        .write_with("big.bin", big.clone(), WriteOptions::overwriting())
        .await
        .unwrap_or_else(|e| panic!("{name}: prepare: {e}"));

    let dead = proxy(
        upstream,
        Fault::StallAfter {
            bytes: 0,
            direction: Direction::Download,
        },
    );
    let up = proxy(
        upstream,
        Fault::StallAfter {
            bytes: MIB as u64,
            direction: Direction::Upload,
        },
    );
    let down = proxy(
        upstream,
        Fault::StallAfter {
            bytes: MIB as u64,
            direction: Direction::Download,
        },
    );
    let (dead_store, up_store, down_store) = (through(&dead), through(&up), through(&down));
    let upload = pattern(4 * MIB, 2);
    tokio::join!(
        fails_within(
            format!("{name}: dead endpoint, get_file_info"),
            DEAD,
            dead_store.get_file_info("big.bin"),
        ),
        fails_within(
            format!("{name}: upload stalled after 1 MiB"),
            STALLED,
            up_store.write_with("up.bin", upload, WriteOptions::overwriting()),
        ),
        fails_within(
            format!("{name}: download stalled after 1 MiB"),
            STALLED,
            read_all(&down_store, "big.bin"),
        ),
    );
}

/// A 2 MiB read at 100 KiB/s (about 20 s: longer than `request_timeout` and
/// `read_timeout` together) completes with the right bytes.
async fn slow_read_completes(
    name: &str,
    upstream: SocketAddr,
    through: impl Fn(&FaultProxy) -> AsyncStore,
    direct: &AsyncStore,
) {
    let data = pattern(2 * MIB, 9);
    direct
        .write_with("slow.bin", data.clone(), WriteOptions::overwriting())
        .await
        .unwrap_or_else(|e| panic!("{name}: prepare: {e}"));
    let slow = proxy(
        upstream,
        Fault::Throttle {
            bytes_per_sec: 100 * 1024,
            direction: Direction::Download,
        },
    );
    let store = through(&slow);
    let started = Instant::now();
    let got = read_all(&store, "slow.bin")
        .await
        .unwrap_or_else(|e| panic!("{name}: a slow read that keeps moving failed: {e}"));
    assert!(got == data, "{name}: the slow read returned other bytes");
    eprintln!(
        "{name}: slow read of 2 MiB completed in {:.1?}",
        started.elapsed()
    );
}

/// The three backends at once: each check mostly waits for a default timeout to fire, so
/// run one after another (or two at a time, as the test harness would on two cores) they
/// would only add up their waits. Each runs to its end even when another fails, and the
/// test names every backend that failed (each one's panic message is printed above).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_backend_fails_fast_with_default_timeouts() {
    let checks = [
        ("s3", tokio::spawn(s3_fails_fast_with_default_timeouts())),
        (
            "azure",
            tokio::spawn(azure_fails_fast_with_default_timeouts()),
        ),
        (
            "sftp",
            tokio::spawn(sftp_fails_fast_with_default_timeouts()),
        ),
    ];
    let mut failed = Vec::new();
    for (name, check) in checks {
        if check.await.is_err() {
            failed.push(name);
        }
    }
    assert!(failed.is_empty(), "failed on: {}", failed.join(", "));
}

async fn s3_fails_fast_with_default_timeouts() {
    let Some(server) = s3_support::Server::moto() else {
        return;
    };
    let bucket = server.fresh_bucket("failfast").await;
    let direct = AsyncStore::new(AsyncS3Backend::new(server.config(&bucket)).unwrap(), "").unwrap();
    // Only the endpoint differs from the direct store: every timeout is the default.
    let through = |p: &FaultProxy| {
        AsyncStore::new(
            AsyncS3Backend::new(server.config_at(&bucket, &p.http_url())).unwrap(),
            "",
        )
        .unwrap()
    };
    tokio::join!(
        check_backend("s3", server.addr(), direct.clone(), through),
        slow_read_completes("s3", server.addr(), through, &direct),
    );
}

async fn azure_fails_fast_with_default_timeouts() {
    let Some(env) = azure_support::azurite() else {
        return;
    };
    let container = azure_support::fresh_container("failfast");
    let direct_backend = AsyncAzureBackend::new(
        AzureConfig::new(container.clone(), env.key_auth()).endpoint(env.endpoint.clone()),
    )
    .unwrap();
    direct_backend.create_container().await.unwrap();
    let direct = AsyncStore::new(direct_backend, "").unwrap();
    let through = |p: &FaultProxy| {
        AsyncStore::new(
            AsyncAzureBackend::new(
                AzureConfig::new(container.clone(), env.key_auth())
                    .endpoint(env.endpoint_via(&p.http_url())),
            )
            .unwrap(),
            "",
        )
        .unwrap()
    };
    tokio::join!(
        check_backend("azure", env.addr(), direct.clone(), through),
        slow_read_completes("azure", env.addr(), through, &direct),
    );
}

async fn sftp_fails_fast_with_default_timeouts() {
    let Some(sshd) = sftp_support::Sshd::from_env() else {
        return;
    };
    let base = sshd.fresh_base("failfast");
    // Every timeout at its default: only host, port, user, key, host key and base set.
    let config = |port: u16| {
        SftpConfig::new(
            sshd.host.clone(),
            sshd.user.clone(),
            Auth::key_file(&sshd.key),
        )
        .port(port)
        .host_key_policy(HostKeyPolicy::Strict)
        .known_hosts_line(format!("[{}]:{port} {}", sshd.host, sshd.host_key))
        .base_path(base.clone())
        .create_base_path(true)
    };
    let direct = AsyncStore::new(AsyncSftpBackend::new(config(sshd.port)).unwrap(), "").unwrap();
    let through = |p: &FaultProxy| {
        AsyncStore::new(AsyncSftpBackend::new(config(p.addr().port())).unwrap(), "").unwrap()
    };
    check_backend("sftp", sshd.addr(), direct, through).await;
}
