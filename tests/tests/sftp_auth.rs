//! Authentication methods of the SFTP backend against the real sshd (which accepts the
//! emulator's client key): key file, inline key text, an encrypted key with its passphrase
//! (and without it), and ssh-agent.
#![cfg(feature = "sftp")]

mod sftp_support;

use std::path::Path;
use std::process::Command;

use remote_store_async::AsyncStore;
use remote_store_core::{ErrorKind, Secret};
use remote_store_sftp::{AsyncSftpBackend, Auth, PrivateKeySource, SftpConfig};
use sftp_support::Sshd;

async fn round_trip(config: SftpConfig) -> remote_store_core::Result<()> {
    let store = AsyncStore::new(AsyncSftpBackend::new(config)?, "")?;
    store.write("auth.txt", "ok").await?;
    assert_eq!(store.read_bytes("auth.txt").await?, "ok".as_bytes());
    Ok(())
}

fn with_auth(sshd: &Sshd, auth: Auth) -> SftpConfig {
    let mut config = sshd.config("auth");
    config.auth = auth;
    config
}

/// A copy of the client key in `dir`, re-encrypted with `passphrase`.
fn encrypted_copy(sshd: &Sshd, dir: &Path, passphrase: &str) -> std::path::PathBuf {
    let copy = dir.join("id_encrypted");
    std::fs::copy(&sshd.key, &copy).unwrap();
    let out = Command::new("ssh-keygen")
        .args(["-q", "-p", "-P", "", "-N", passphrase, "-f"])
        .arg(&copy)
        .output()
        .expect("ssh-keygen runs");
    assert!(out.status.success(), "ssh-keygen -p: {out:?}");
    copy
}

#[tokio::test(flavor = "multi_thread")]
async fn key_file_and_inline_key() {
    let Some(sshd) = Sshd::from_env() else { return };
    round_trip(with_auth(&sshd, Auth::key_file(&sshd.key)))
        .await
        .unwrap();
    let text = std::fs::read_to_string(&sshd.key).unwrap();
    round_trip(with_auth(&sshd, Auth::key_inline(text, None)))
        .await
        .unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn encrypted_key_needs_its_passphrase() {
    let Some(sshd) = Sshd::from_env() else { return };
    let dir = tempfile::tempdir().unwrap();
    let key = encrypted_copy(&sshd, dir.path(), "correct horse");
    let auth = |passphrase: Option<&str>| Auth::PrivateKey {
        key: PrivateKeySource::File(key.clone()),
        passphrase: passphrase.map(Secret::new),
    };
    round_trip(with_auth(&sshd, auth(Some("correct horse"))))
        .await
        .unwrap();
    for wrong in [None, Some("wrong")] {
        let err = round_trip(with_auth(&sshd, auth(wrong))).await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidArgument, "{wrong:?}: {err}");
        assert!(
            !err.to_string().contains("wrong"),
            "no passphrase in errors: {err}"
        );
    }
}

/// A key file that cannot be read says why (here: it does not exist), not only that it
/// could not be read.
#[tokio::test(flavor = "multi_thread")]
async fn a_missing_key_file_says_why() {
    let Some(sshd) = Sshd::from_env() else { return };
    let missing = Path::new(&sshd.key).with_file_name("no-such-key");
    let err = round_trip(with_auth(&sshd, Auth::key_file(&missing)))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidArgument, "{err}");
    let text = err.to_string();
    assert!(text.contains("no-such-key"), "{text}");
    assert!(text.contains("No such file"), "{text}");
}

#[tokio::test(flavor = "multi_thread")]
async fn unknown_key_is_permission_denied() {
    let Some(sshd) = Sshd::from_env() else { return };
    let dir = tempfile::tempdir().unwrap();
    let other = dir.path().join("other");
    let out = Command::new("ssh-keygen")
        .args(["-q", "-t", "ed25519", "-N", "", "-f"])
        .arg(&other)
        .output()
        .unwrap();
    assert!(out.status.success());
    let err = round_trip(with_auth(&sshd, Auth::key_file(&other)))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::PermissionDenied, "{err}");
}

#[tokio::test(flavor = "multi_thread")]
async fn ssh_agent() {
    let Some(sshd) = Sshd::from_env() else { return };
    let dir = tempfile::tempdir().unwrap();
    let socket = dir.path().join("agent.sock");
    let mut agent = Command::new("ssh-agent")
        .arg("-D")
        .arg("-a")
        .arg(&socket)
        .stdout(std::process::Stdio::null())
        .spawn()
        .expect("ssh-agent (openssh-client) runs");
    for _ in 0..100 {
        if socket.exists() {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    let added = Command::new("ssh-add")
        .arg(&sshd.key)
        .env("SSH_AUTH_SOCK", &socket)
        .output()
        .unwrap();
    let result = if added.status.success() {
        round_trip(with_auth(
            &sshd,
            Auth::Agent {
                socket: Some(socket.clone()),
            },
        ))
        .await
    } else {
        Err(remote_store_core::Error::other(
            String::from_utf8_lossy(&added.stderr).into_owned(),
        ))
    };
    let _ = agent.kill();
    let _ = agent.wait();
    result.expect("login with the agent's key");
}
