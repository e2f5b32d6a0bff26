//! Conformance cells for Azure Blob Storage against Azurite: the native async backend and
//! its blocking twin. Each case gets a fresh container.
//!
//! The flat-namespace mode (`check_folder_targets(false)`, ADR 0014) has cells of its own,
//! in both halves: it does not declare `folder_file_exclusion`, so exactly the cases that
//! need it (writes, atomic writes, copies and moves onto a folder) do not apply, and the
//! case showing what the mode gives up (a write onto a folder succeeds) runs instead.
#![cfg(feature = "azure")]

use std::sync::Mutex;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use remote_store_async::AsyncStore;
use remote_store_azure::{AsyncAzureBackend, AzureAuth, AzureBackend, AzureConfig};
use remote_store_conformance::{Features, run_async, run_sync};
use remote_store_sync::Store;
use remote_store_tests::emulator;

/// Azurite's endpoint, account and key, or `None` (skip) under plain `cargo test`.
fn azurite() -> Option<[String; 3]> {
    emulator::vars([
        "REMOTE_STORE_AZURITE_ENDPOINT",
        "REMOTE_STORE_AZURITE_ACCOUNT",
        "REMOTE_STORE_AZURITE_KEY",
    ])
}

/// A configuration for a container no other case uses.
fn fresh_config([endpoint, account, key]: &[String; 3], cell: &str, flat: bool) -> AzureConfig {
    static NEXT: AtomicU32 = AtomicU32::new(0);
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    let container = format!("conf-{cell}-{}-{n}", std::process::id());
    config(endpoint, account, key, container).check_folder_targets(!flat)
}

fn config(endpoint: &str, account: &str, key: &str, container: String) -> AzureConfig {
    AzureConfig::new(
        container,
        AzureAuth::AccountKey {
            account: account.to_owned(),
            key: key.into(),
        },
    )
    .endpoint(endpoint)
    // Small pages, so the big-listing case (1100 files) spans several List Blobs pages.
    .list_page_size(400)
    // 4 MiB blocks: the 12 MiB write case stages three blocks.
    .part_size(4 * 1024 * 1024)
    .max_concurrency(4)
}

/// Azure is a flat namespace with a terminal `close`; the fixture's account key is declared
/// so the identity case checks it never shows.
///
/// Cases may take up to five minutes: Azurite is one single-threaded Node process that
/// spends ~15 ms per `Put Blob` here, and the 256-task concurrency case sends about 5000
/// requests (7–15 s measured, with two cells on Azurite at once, as the two test threads
/// run them; more while the rest of the suite runs).
fn features(key: &str) -> Features {
    Features::flat()
        .secret(key)
        .case_timeout(Duration::from_secs(300))
}

/// Keeps Azurite's store small (it slows down as it fills): when the factory builds the
/// store of the next case, the container of the previous one is deleted. Cases of a cell
/// run one at a time, and a timed-out case has already been reported. The report's
/// "slowest" times include the factory, so a case's time here also holds the deletion of
/// the container before it (the container of a big case makes the next case look slow).
#[derive(Default)]
struct Previous(Mutex<Option<AzureConfig>>);

impl Previous {
    fn replace(&self, next: &AzureConfig) -> Option<AzureConfig> {
        self.0
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .replace(next.clone())
    }
}

#[test]
fn azurite_sync() {
    sync_cell("azure-azurite/sync", false);
}

#[test]
fn azurite_flat_sync() {
    sync_cell("azure-azurite-flat/sync", true);
}

fn sync_cell(cell: &str, flat: bool) {
    let Some(env) = azurite() else { return };
    let previous = Previous::default();
    let missing = fresh_config(&env, "missing-s", flat);
    let name = missing.container.clone();
    let features = features(&env[2]).missing_container_sync(name, move || {
        // Never created: the container the case's store points at does not exist.
        Store::new(AzureBackend::new(missing.clone())?, "")
    });
    let report = run_sync(cell, features, || {
        let cfg = fresh_config(&env, "s", flat);
        if let Some(old) = previous.replace(&cfg) {
            let _ = AzureBackend::new(old).and_then(|b| b.delete_container());
        }
        let backend = AzureBackend::new(cfg).expect("valid config");
        backend
            .create_container()
            .expect("create the test container");
        Store::new(backend, "").expect("store")
    });
    report.assert_passed(100);
}

#[test]
fn azurite_async() {
    async_runtime_cell("azure-azurite/async", false);
}

#[test]
fn azurite_flat_async() {
    async_runtime_cell("azure-azurite-flat/async", true);
}

fn async_runtime_cell(cell: &str, flat: bool) {
    let Some(env) = azurite() else { return };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(4)
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async_cell(&env, cell, flat));
}

async fn async_cell(env: &[String; 3], cell: &str, flat: bool) {
    let previous = Previous::default();
    let missing = fresh_config(env, "missing-a", flat);
    let name = missing.container.clone();
    let features = features(&env[2]).missing_container_async(name, move || {
        // Never created: the container the case's store points at does not exist.
        let missing = missing.clone();
        async move { AsyncStore::new(AsyncAzureBackend::new(missing)?, "") }
    });
    let report = run_async(cell, features, || async {
        let cfg = fresh_config(env, "a", flat);
        if let Some(old) = previous.replace(&cfg)
            && let Ok(b) = AsyncAzureBackend::new(old)
        {
            let _ = b.delete_container().await;
        }
        let backend = AsyncAzureBackend::new(cfg).expect("valid config");
        backend
            .create_container()
            .await
            .expect("create the test container");
        AsyncStore::new(backend, "").expect("store")
    })
    .await;
    report.assert_passed(100);
}
