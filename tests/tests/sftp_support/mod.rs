//! Shared by the SFTP tests: the sshd that `cargo xtask test` starts, as configs with
//! Strict host-key checking against the server's generated host key.
#![allow(dead_code)]

use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use remote_store_sftp::{Auth, HostKeyPolicy, SftpConfig};
use remote_store_tests::emulator;

/// The sshd emulator's coordinates.
#[derive(Debug, Clone)]
pub(crate) struct Sshd {
    pub(crate) host: String,
    pub(crate) port: u16,
    pub(crate) user: String,
    pub(crate) key: String,
    /// The server's public host key line (`ssh-ed25519 AAAA... comment`).
    pub(crate) host_key: String,
    pub(crate) base: String,
}

impl Sshd {
    /// The emulator from the environment; `None` (with a loud SKIP line) under plain
    /// `cargo test`, a panic under `cargo xtask test` when it is missing.
    pub(crate) fn from_env() -> Option<Sshd> {
        let [host, port, user, key, host_key_pub, base] = emulator::vars([
            "REMOTE_STORE_SFTP_HOST",
            "REMOTE_STORE_SFTP_PORT",
            "REMOTE_STORE_SFTP_USER",
            "REMOTE_STORE_SFTP_KEY",
            "REMOTE_STORE_SFTP_HOST_KEY_PUB",
            "REMOTE_STORE_SFTP_BASE",
        ])?;
        let host_key = std::fs::read_to_string(&host_key_pub)
            .unwrap_or_else(|e| panic!("reading the host key {host_key_pub}: {e}"))
            .trim()
            .to_owned();
        Some(Sshd {
            host,
            port: port.parse().expect("REMOTE_STORE_SFTP_PORT is a port"),
            user,
            key,
            host_key,
            base,
        })
    }

    /// The `known_hosts` line that trusts the server's real host key.
    pub(crate) fn known_hosts_line(&self) -> String {
        format!("[{}]:{} {}", self.host, self.port, self.host_key)
    }

    /// The server's address.
    pub(crate) fn addr(&self) -> SocketAddr {
        format!("{}:{}", self.host, self.port)
            .parse()
            .expect("the sshd host is an IP address")
    }

    /// A fresh, not yet existing base directory (configs from [`config`](Self::config)
    /// create it on their first call: `create_base_path(true)`).
    pub(crate) fn fresh_base(&self, tag: &str) -> String {
        static N: AtomicUsize = AtomicUsize::new(0);
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos());
        format!(
            "{}/{tag}-{}-{}-{nanos}",
            self.base,
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed)
        )
    }

    /// A config with Strict host-key checking against the server's real key, rooted at a
    /// fresh base directory.
    pub(crate) fn config(&self, tag: &str) -> SftpConfig {
        self.bare_config(self.port, tag)
            .known_hosts_line(self.known_hosts_line())
    }

    /// A config for the server reached at `127.0.0.1:port` (a proxy in front of it), with
    /// Strict host-key checking against the server's real key recorded for that port.
    pub(crate) fn config_via(&self, port: u16, tag: &str) -> SftpConfig {
        self.bare_config(port, tag)
            .known_hosts_line(format!("[{}]:{port} {}", self.host, self.host_key))
    }

    /// A Strict config with no known hosts at all.
    pub(crate) fn bare_config(&self, port: u16, tag: &str) -> SftpConfig {
        SftpConfig::new(
            self.host.clone(),
            self.user.clone(),
            Auth::key_file(&self.key),
        )
        .port(port)
        .host_key_policy(HostKeyPolicy::Strict)
        .base_path(self.fresh_base(tag))
        .create_base_path(true)
        .connect_timeout(Duration::from_secs(20))
        .request_timeout(Duration::from_secs(30))
    }

    /// The SHA256 fingerprint of the server's host key, as `ssh-keygen -lf` prints it.
    pub(crate) fn fingerprint(&self) -> String {
        let out = std::process::Command::new("ssh-keygen")
            .arg("-lf")
            .arg(std::env::var("REMOTE_STORE_SFTP_HOST_KEY_PUB").expect("checked by from_env"))
            .output()
            .expect("ssh-keygen runs");
        let text = String::from_utf8_lossy(&out.stdout);
        text.split_whitespace()
            .nth(1)
            .expect("ssh-keygen -lf prints `bits fingerprint comment (type)`")
            .to_owned()
    }
}
