//! Conformance cells for Azure Blob Storage against Azurite: the native async backend and
//! its blocking twin. Each case gets a fresh container.
#![cfg(feature = "azure")]

use std::sync::atomic::{AtomicU32, Ordering};

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
fn fresh_config([endpoint, account, key]: &[String; 3], cell: &str) -> AzureConfig {
    static NEXT: AtomicU32 = AtomicU32::new(0);
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    let container = format!("conf-{cell}-{}-{n}", std::process::id());
    AzureConfig::new(
        container,
        AzureAuth::AccountKey {
            account: account.clone(),
            key: key.as_str().into(),
        },
    )
    .with_endpoint(endpoint.clone())
    // Small pages, so the big-listing case (1100 files) spans several List Blobs pages.
    .with_list_page_size(400)
    // 4 MiB blocks: the 12 MiB write case stages three blocks.
    .with_blocks(4 * 1024 * 1024, 4)
}

fn features() -> Features {
    Features::flat()
}

#[test]
fn azurite_sync() {
    let Some(env) = azurite() else { return };
    let report = run_sync("azure-azurite/sync", features(), || {
        let backend = AzureBackend::new(fresh_config(&env, "s")).expect("valid config");
        backend
            .create_container()
            .expect("create the test container");
        Store::new(backend, "").expect("store")
    });
    report.assert_passed(100);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn azurite_async() {
    let Some(env) = azurite() else { return };
    let report = run_async("azure-azurite/async", features(), || async {
        let backend = AsyncAzureBackend::new(fresh_config(&env, "a")).expect("valid config");
        backend
            .create_container()
            .await
            .expect("create the test container");
        AsyncStore::new(backend, "").expect("store")
    })
    .await;
    report.assert_passed(100);
}
