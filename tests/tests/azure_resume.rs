//! Resumed reads through the retry layer on Azure (Azurite) (issue 12), in both halves: a
//! proxy cuts every connection after 3 MiB; an 8 MiB read completes with the exact bytes,
//! and a read whose blob is replaced mid-way fails instead of splicing. The read learns the
//! version it resumes against from its own Get Blob (`read_versioned`, one request). Needs
//! Azurite: skips under plain `cargo test`, runs under `cargo xtask test`.
#![cfg(feature = "azure")]

mod azure_support;
mod resume_support;

use remote_store_async::AsyncStore;
use remote_store_azure::{AsyncAzureBackend, AzureBackend, AzureConfig};
use remote_store_sync::Store;
use remote_store_tests::proxy::FaultProxy;
use resume_support::{
    VERSIONED_SIZE, async_store, cut_every_connection, cut_read_resumes_async,
    cut_read_resumes_sync, data, read_versioned_is_one_request_async,
    read_versioned_is_one_request_sync, replaced_object_fails_async, replaced_object_fails_sync,
    sync_store,
};

use azure_support::{Azurite, azurite, impatient};

struct Setup {
    az: Azurite,
    proxy: FaultProxy,
    config: AzureConfig,
}

impl Setup {
    fn new(az: Azurite, tag: &str) -> Self {
        // Started from a plain thread: `FaultProxy::start` blocks on its own runtime.
        let upstream = az.addr();
        let proxy = std::thread::spawn(move || FaultProxy::start(upstream))
            .join()
            .unwrap()
            .unwrap();
        cut_every_connection(&proxy);
        let config = az.config(tag);
        Setup { az, proxy, config }
    }

    /// Through the proxy, with no client retries (the layer retries) and short timeouts.
    fn proxied(&self) -> AzureConfig {
        impatient(self.config.clone()).endpoint(self.az.endpoint_via(&self.proxy.http_url()))
    }
}

#[test]
fn azure_cut_reads_resume_and_replaced_blobs_fail_sync() {
    let Some(az) = azurite() else { return };
    let setup = Setup::new(az, "resume-s");
    let backend = AzureBackend::new(setup.config.clone()).unwrap();
    backend.create_container().unwrap();
    let direct = Store::new(backend, "").unwrap();
    let proxied = sync_store(AzureBackend::new(setup.proxied()).unwrap());
    cut_read_resumes_sync(&direct, &proxied, &setup.proxy);
    replaced_object_fails_sync(&direct, &proxied);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn azure_cut_reads_resume_and_replaced_blobs_fail_async() {
    let Some(az) = azurite() else { return };
    let setup = tokio::task::spawn_blocking(|| Setup::new(az, "resume-a"))
        .await
        .unwrap();
    let backend = AsyncAzureBackend::new(setup.config.clone()).unwrap();
    backend.create_container().await.unwrap();
    let direct = AsyncStore::new(backend, "").unwrap();
    let proxied = async_store(AsyncAzureBackend::new(setup.proxied()).unwrap());
    cut_read_resumes_async(&direct, &proxied, &setup.proxy).await;
    replaced_object_fails_async(&direct, &proxied).await;
}

/// `read_versioned` is one Get Blob (counted by the backend's transport), and its reply
/// names the version `get_file_info` reports; the blocking backend is the async one
/// behind the adapter, so one request too.
#[test]
fn azure_read_versioned_is_one_get_blob_sync() {
    let Some(az) = azurite() else { return };
    let config = az.config("rv-s");
    let writer = AzureBackend::new(config.clone()).unwrap();
    writer.create_container().unwrap();
    let data = data(6)[..VERSIONED_SIZE].to_vec();
    let writer = Store::new(writer, "").unwrap();
    writer.write("v.bin", data.clone()).unwrap();
    let backend = AzureBackend::new(config).unwrap();
    let requests = || backend.requests_sent();
    read_versioned_is_one_request_sync(&backend, "v.bin", &data, &requests, "azurite");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn azure_read_versioned_is_one_get_blob_async() {
    let Some(az) = azurite() else { return };
    let config = az.config("rv-a");
    let writer = AsyncAzureBackend::new(config.clone()).unwrap();
    writer.create_container().await.unwrap();
    let data = data(7)[..VERSIONED_SIZE].to_vec();
    let writer = AsyncStore::new(writer, "").unwrap();
    writer.write("v.bin", data.clone()).await.unwrap();
    let backend = AsyncAzureBackend::new(config).unwrap();
    let requests = || backend.requests_sent();
    read_versioned_is_one_request_async(&backend, "v.bin", &data, &requests, "azurite").await;
}
