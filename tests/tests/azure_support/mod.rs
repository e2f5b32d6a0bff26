//! Shared set-up of the Azure test files: Azurite's coordinates and fresh containers.
#![allow(dead_code, unreachable_pub)]

use std::net::{SocketAddr, ToSocketAddrs};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use remote_store_azure::{AzureAuth, AzureConfig};
use remote_store_tests::emulator;

/// Azurite, as `cargo xtask test` started it.
#[derive(Debug, Clone)]
pub struct Azurite {
    /// `http://127.0.0.1:PORT/devstoreaccount1`.
    pub endpoint: String,
    pub account: String,
    pub key: String,
}

/// Azurite's coordinates, or `None` (with a SKIP line) under plain `cargo test`.
pub fn azurite() -> Option<Azurite> {
    let [endpoint, account, key] = emulator::vars([
        "REMOTE_STORE_AZURITE_ENDPOINT",
        "REMOTE_STORE_AZURITE_ACCOUNT",
        "REMOTE_STORE_AZURITE_KEY",
    ])?;
    Some(Azurite {
        endpoint,
        account,
        key,
    })
}

impl Azurite {
    /// The TCP address Azurite listens on.
    pub fn addr(&self) -> SocketAddr {
        let url = self.endpoint.trim_start_matches("http://");
        let host = url.split('/').next().unwrap();
        host.to_socket_addrs().unwrap().next().unwrap()
    }

    /// The endpoint through a proxy at `proxy_url` (`http://127.0.0.1:PORT`).
    pub fn endpoint_via(&self, proxy_url: &str) -> String {
        format!("{}/{}", proxy_url.trim_end_matches('/'), self.account)
    }

    /// The account-key auth mode.
    pub fn key_auth(&self) -> AzureAuth {
        AzureAuth::AccountKey {
            account: self.account.clone(),
            key: self.key.as_str().into(),
        }
    }

    /// A key-authenticated config for a container no other test uses.
    pub fn config(&self, tag: &str) -> AzureConfig {
        AzureConfig::new(fresh_container(tag), self.key_auth()).endpoint(self.endpoint.clone())
    }
}

/// A container name unique to this process and call.
pub fn fresh_container(tag: &str) -> String {
    static NEXT: AtomicU32 = AtomicU32::new(0);
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    format!("{tag}-{}-{n}", std::process::id())
}

/// Short timeouts and no retries, for fault tests.
pub fn impatient(config: AzureConfig) -> AzureConfig {
    config
        .connect_timeout(Duration::from_secs(2))
        .request_timeout(Duration::from_secs(3))
        .read_timeout(Duration::from_secs(2))
        .retry(remote_store_core::RetryPolicy::never())
}

/// `n` bytes of a repeating pattern that differs per `seed`.
pub fn pattern(n: usize, seed: u8) -> Vec<u8> {
    (0..n).map(|i| (i % 251) as u8 ^ seed).collect()
}
