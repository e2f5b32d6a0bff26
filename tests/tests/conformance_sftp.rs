//! Conformance cells for the SFTP backend against OpenSSH's sshd (started by
//! `cargo xtask test`), in both halves. Host keys are checked with `Strict` against the
//! server's freshly generated key — never switched off. Every case gets its own, new base
//! directory on the server.
#![cfg(feature = "sftp")]

mod sftp_support;

use remote_store_async::AsyncStore;
use remote_store_conformance::{Features, run_async, run_sync};
use remote_store_sftp::{AsyncSftpBackend, HostKeyPolicy, SftpBackend};
use remote_store_sync::Store;
use sftp_support::Sshd;

/// Every cell must run (and pass) at least this many cases.
const MIN_CASES: usize = 100;

/// SFTP has real directories: empty folders persist, writes below a file are refused.
fn features() -> Features {
    Features::hierarchical()
}

#[test]
fn sftp_sync() {
    let Some(sshd) = Sshd::from_env() else { return };
    let missing = sshd.config("conf-missing-s").create_base_path(false);
    let name = missing.base_path.clone();
    let features = features().missing_container_sync(name, move || {
        // A base directory that was never created, and must not be.
        Store::new(SftpBackend::new(missing.clone())?, "")
    });
    let report = run_sync("sftp-sshd/sync", features, || {
        let config = sshd.config("conf-sync");
        assert_eq!(config.host_key_policy, HostKeyPolicy::Strict);
        let backend = SftpBackend::new(config).expect("a valid config");
        Store::new(backend, "").expect("the root is valid")
    });
    report.assert_passed(MIN_CASES);
}

#[tokio::test(flavor = "multi_thread")]
async fn sftp_async() {
    let Some(sshd) = Sshd::from_env() else { return };
    let missing = sshd.config("conf-missing-a").create_base_path(false);
    let name = missing.base_path.clone();
    let features = features().missing_container_async(name, move || {
        let missing = missing.clone();
        async move { AsyncStore::new(AsyncSftpBackend::new(missing)?, "") }
    });
    let report = run_async("sftp-sshd/async", features, || async {
        let config = sshd.config("conf-async");
        assert_eq!(config.host_key_policy, HostKeyPolicy::Strict);
        let backend = AsyncSftpBackend::new(config).expect("a valid config");
        AsyncStore::new(backend, "").expect("the root is valid")
    })
    .await;
    report.assert_passed(MIN_CASES);
}

/// The backend declares `atomic_move` and replaces atomically in `write_atomic` through
/// `posix-rename@openssh.com`: confirm the server offers it (else the documented,
/// non-atomic fallback would run).
#[tokio::test(flavor = "multi_thread")]
async fn sshd_offers_posix_rename() {
    let Some(sshd) = Sshd::from_env() else { return };
    let backend = AsyncSftpBackend::new(sshd.config("extensions")).expect("a valid config");
    let extensions = backend.server_extensions().await.expect("connects");
    eprintln!("sshd SFTP extensions: {extensions:?}");
    assert!(
        extensions.contains(&("posix-rename@openssh.com".to_owned(), "1".to_owned())),
        "{extensions:?}"
    );
}
