//! object_store's own integration functions against `ObjectStoreAdapter` over the SFTP
//! backend on OpenSSH's sshd (started by `cargo xtask test`; SKIPs under plain
//! `cargo test`). Every function gets a new base directory of its own. SFTP is what
//! object_store has no client for: this is the bridge that lets DataFusion, Polars or
//! delta-rs read and write over SFTP.
#![cfg(feature = "sftp")]

mod object_store_support;
mod sftp_support;

use remote_store_async::AsyncStore;
use remote_store_object_store::ObjectStoreAdapter;
use remote_store_sftp::AsyncSftpBackend;
use sftp_support::Sshd;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn object_store_integration_functions_pass_on_sshd() {
    let Some(sshd) = Sshd::from_env() else { return };
    object_store_support::run_all(|name| {
        let config = sshd.config(&format!("os-{name}"));
        async move {
            let backend = AsyncSftpBackend::new(config).expect("a valid config");
            let store = AsyncStore::new(backend, "").expect("the root is valid");
            let adapter = ObjectStoreAdapter::new(store);
            assert!(adapter.atomic_create(), "SFTP creates with O_EXCL");
            assert!(adapter.atomic_transfer_create());
            adapter
        }
    })
    .await;
}
