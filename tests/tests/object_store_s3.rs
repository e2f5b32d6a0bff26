//! object_store's own integration functions against `ObjectStoreAdapter` over the S3
//! backend on moto (started by `cargo xtask test`; SKIPs under plain `cargo test`). Every
//! function gets its own key prefix in one fresh bucket, so `delete_fixtures` (which deletes
//! everything the adapter lists) never reaches another function's keys.
//!
//! Whether moto enforces `If-None-Match: *` atomically is detected first: the backend
//! declares `conditional_create` only then, and `PutMode::Create` answers `NotImplemented`
//! otherwise (the support module then checks that, and runs `put_opts` with the
//! check-then-put explicitly allowed). Likewise `If-Match` (`PutMode::Update`) and
//! `If-None-Match` on `CopyObject` (`copy_if_not_exists`, `NotImplemented` where moto does
//! not enforce it).
#![cfg(feature = "s3")]

mod object_store_support;
mod s3_support;

use remote_store_async::AsyncStore;
use remote_store_object_store::ObjectStoreAdapter;
use remote_store_s3::AsyncS3Backend;
use s3_support::{Server, unique_name};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn object_store_integration_functions_pass_on_moto() {
    let Some(server) = Server::moto() else { return };
    let bucket = server.fresh_bucket("os-adapter").await;
    let conditions = server.conditions(&bucket).await;
    let conditional = conditions.create;
    object_store_support::run_all(|name| {
        let config = conditions.apply(server.config(&bucket).prefix(unique_name(name)));
        async move {
            let backend = AsyncS3Backend::new(config).expect("a valid config");
            let store = AsyncStore::new(backend, "").expect("the root is valid");
            let adapter = ObjectStoreAdapter::new(store);
            assert_eq!(adapter.atomic_transfer_create(), conditions.copy);
            assert_eq!(adapter.atomic_create(), conditional);
            adapter
        }
    })
    .await;
}
