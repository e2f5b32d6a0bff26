//! object_store's own integration functions against `ObjectStoreAdapter` over the Azure
//! backend on Azurite (started by `cargo xtask test`; SKIPs under plain `cargo test`). Every
//! function gets a fresh container of its own. Two multipart uploads racing to one blob may
//! end either way object_store allows: committing a block list discards the blocks the other
//! upload staged, so its `complete` can fail (first writer wins).
#![cfg(feature = "azure")]

mod azure_support;
mod object_store_support;

use remote_store_async::AsyncStore;
use remote_store_azure::AsyncAzureBackend;
use remote_store_object_store::ObjectStoreAdapter;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn object_store_integration_functions_pass_on_azurite() {
    let Some(az) = azure_support::azurite() else {
        return;
    };
    object_store_support::run_all_with(
        |name| {
            let config = az.config(&format!("os-{}", name.replace('_', "-")));
            async move {
                let backend = AsyncAzureBackend::new(config).expect("a valid config");
                backend.create_container().await.expect("a new container");
                let store = AsyncStore::new(backend, "").expect("the root is valid");
                let adapter = ObjectStoreAdapter::new(store);
                assert!(adapter.atomic_create(), "Azure writes are conditional");
                assert!(
                    adapter.atomic_transfer_create(),
                    "Azure copies are conditional"
                );
                adapter
            }
        },
        object_store_support::Race::EitherWriter,
    )
    .await;
}
