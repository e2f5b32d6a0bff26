//! Host-key verification of the SFTP backend against the real sshd, in both halves:
//! Strict refuses an unknown key (naming its fingerprint), TOFU records a new key and
//! refuses a changed one, hashed `known_hosts` entries written by `ssh-keygen -H` work.
#![cfg(feature = "sftp")]

mod sftp_support;

use std::path::Path;

use remote_store_async::AsyncStore;
use remote_store_core::{Error, ErrorKind};
use remote_store_sftp::{AsyncSftpBackend, HostKeyPolicy, SftpBackend, SftpConfig};
use remote_store_sync::Store;
use sftp_support::Sshd;

/// A valid ed25519 key that is not the server's.
const OTHER_KEY: &str =
    "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIJdD7y3aLq454yWBdwLWbieU1ebz9/cu7/QEXn9OIeZJ";

/// Connects (by pinging) in the blocking half.
fn ping_sync(config: SftpConfig) -> Result<(), Error> {
    let store = Store::new(SftpBackend::new(config)?, "")?;
    store.ping()?;
    store.write("probe.txt", "x").map(drop)
}

/// Connects (by pinging) in the async half.
async fn ping_async(config: SftpConfig) -> Result<(), Error> {
    let store = AsyncStore::new(AsyncSftpBackend::new(config)?, "")?;
    store.ping().await?;
    store.write("probe.txt", "x").await.map(drop)
}

/// Both halves, each with its own config from `make`.
async fn both(make: impl Fn() -> SftpConfig) -> [Result<(), Error>; 2] {
    let config = make();
    let sync = tokio::task::spawn_blocking(move || ping_sync(config))
        .await
        .expect("the sync check does not panic");
    let asynchronous = ping_async(make()).await;
    [sync, asynchronous]
}

fn assert_refused(result: &Result<(), Error>, fingerprint: &str, words: &[&str]) {
    let err = result.as_ref().expect_err("the host key must be refused");
    assert_eq!(err.kind(), ErrorKind::PermissionDenied, "{err}");
    let text = err.to_string();
    assert!(
        text.contains(fingerprint),
        "the message names the fingerprint {fingerprint}: {text}"
    );
    for word in words {
        assert!(text.contains(word), "the message mentions {word:?}: {text}");
    }
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread")]
async fn strict_accepts_the_known_key() {
    let Some(sshd) = Sshd::from_env() else { return };
    for result in both(|| sshd.config("hk-known")).await {
        result.expect("the real host key is trusted");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn strict_refuses_an_unknown_key_naming_its_fingerprint() {
    let Some(sshd) = Sshd::from_env() else { return };
    let fingerprint = sshd.fingerprint();
    assert!(fingerprint.starts_with("SHA256:"), "{fingerprint}");
    // No known hosts at all, and known hosts for other hosts/ports only.
    let configs: [Box<dyn Fn() -> SftpConfig>; 2] = [
        Box::new(|| sshd.bare_config(sshd.port, "hk-unknown")),
        Box::new(|| {
            sshd.bare_config(sshd.port, "hk-unknown")
                .known_hosts_line(format!("[{}]:1 {}", sshd.host, sshd.host_key))
                .known_hosts_line(format!("otherhost {}", sshd.host_key))
        }),
    ];
    for make in configs {
        for result in both(&make).await {
            assert_refused(&result, &fingerprint, &["unknown host key", "known_hosts"]);
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn strict_refuses_a_changed_key() {
    let Some(sshd) = Sshd::from_env() else { return };
    let fingerprint = sshd.fingerprint();
    let make = || {
        sshd.bare_config(sshd.port, "hk-changed")
            .known_hosts_line(format!("[{}]:{} {OTHER_KEY}", sshd.host, sshd.port))
    };
    for result in both(make).await {
        assert_refused(&result, &fingerprint, &["CHANGED"]);
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn tofu_records_a_new_key_then_strict_trusts_the_file() {
    let Some(sshd) = Sshd::from_env() else { return };
    for half in ["sync", "async"] {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("ssh").join("known_hosts");
        let tofu = sshd
            .bare_config(sshd.port, "hk-tofu")
            .host_key_policy(HostKeyPolicy::TrustOnFirstUse)
            .known_hosts_file(&file);
        let result = if half == "sync" {
            tokio::task::spawn_blocking(move || ping_sync(tofu))
                .await
                .unwrap()
        } else {
            ping_async(tofu).await
        };
        result.unwrap_or_else(|e| panic!("{half}: TOFU accepts a new host: {e}"));
        let recorded = read(&file);
        let key_blob = sshd.host_key.split_whitespace().nth(1).unwrap();
        assert_eq!(
            recorded.lines().count(),
            1,
            "{half}: one line recorded: {recorded}"
        );
        assert!(
            recorded.starts_with(&format!(
                "[{}]:{} ssh-ed25519 {key_blob}",
                sshd.host, sshd.port
            )),
            "{half}: {recorded}"
        );
        // The recorded file is what Strict trusts from now on; nothing more is appended.
        let strict = sshd
            .bare_config(sshd.port, "hk-tofu")
            .known_hosts_file(&file);
        ping_async(strict)
            .await
            .expect("Strict trusts the recorded key");
        let again = sshd
            .bare_config(sshd.port, "hk-tofu")
            .host_key_policy(HostKeyPolicy::TrustOnFirstUse)
            .known_hosts_file(&file);
        ping_async(again)
            .await
            .expect("TOFU accepts the now-known key");
        assert_eq!(
            read(&file),
            recorded,
            "{half}: a known key is not appended again"
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn tofu_refuses_a_changed_key_and_keeps_the_file() {
    let Some(sshd) = Sshd::from_env() else { return };
    let fingerprint = sshd.fingerprint();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("known_hosts");
    let line = format!("[{}]:{} {OTHER_KEY}\n", sshd.host, sshd.port);
    std::fs::write(&file, &line).unwrap();
    let make = || {
        sshd.bare_config(sshd.port, "hk-tofu-changed")
            .host_key_policy(HostKeyPolicy::TrustOnFirstUse)
            .known_hosts_file(&file)
    };
    for result in both(make).await {
        assert_refused(&result, &fingerprint, &["CHANGED"]);
    }
    assert_eq!(read(&file), line, "a refused key is never recorded");
}

#[tokio::test(flavor = "multi_thread")]
async fn hashed_known_hosts_from_ssh_keygen() {
    let Some(sshd) = Sshd::from_env() else { return };
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("known_hosts");
    std::fs::write(
        &file,
        format!(
            "# comment\n[other]:22 {OTHER_KEY}\n{}\n",
            sshd.known_hosts_line()
        ),
    )
    .unwrap();
    let status = std::process::Command::new("ssh-keygen")
        .arg("-H")
        .arg("-f")
        .arg(&file)
        .output()
        .expect("ssh-keygen runs");
    assert!(status.status.success(), "ssh-keygen -H: {status:?}");
    let hashed = read(&file);
    assert!(
        hashed.lines().filter(|l| l.starts_with("|1|")).count() == 2
            && !hashed.contains("127.0.0.1"),
        "ssh-keygen hashed every host name: {hashed}"
    );
    for result in both(|| {
        sshd.bare_config(sshd.port, "hk-hashed")
            .known_hosts_file(&file)
    })
    .await
    {
        result.expect("a hashed entry for [host]:port is understood");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn accept_any_connects_without_known_hosts() {
    let Some(sshd) = Sshd::from_env() else { return };
    let make = || {
        sshd.bare_config(sshd.port, "hk-any")
            .host_key_policy(HostKeyPolicy::AcceptAny)
    };
    for result in both(make).await {
        result.expect("AcceptAny connects (with a logged warning)");
    }
}

#[test]
fn debug_hides_secrets() {
    let config = SftpConfig::new(
        "h",
        "u",
        remote_store_sftp::Auth::key_inline(
            "-----BEGIN OPENSSH PRIVATE KEY-----xyz",
            Some("pass-phrase".into()),
        ),
    );
    let backend = SftpBackend::new(config.clone()).unwrap();
    for text in [format!("{config:?}"), format!("{backend:?}")] {
        assert!(
            !text.contains("xyz") && !text.contains("pass-phrase"),
            "{text}"
        );
    }
    let pw = SftpConfig::new("h", "u", remote_store_sftp::Auth::password("hunter2"));
    assert!(!format!("{pw:?}").contains("hunter2"));
}
