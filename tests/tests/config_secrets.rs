//! Credentials never leave a backend config (issue 9, item 6): with every credential field
//! set to a distinctive value, neither `Debug` of the config, nor `serde_json::to_string`
//! of it (an error is fine: secrets without a `${VAR}` reference refuse to serialise), nor
//! the `Display`/`Debug` of a construction error contains a secret value. A secret loaded
//! from a `${VAR}` reference serialises as that reference. No emulator needed.
//!
//! `azure_secrets.rs` checks the same for live Azure backends, stores and service errors.

use remote_store_core::{Error, Secret};
use serde::Serialize;

/// Fails when `text` contains any of `secrets`.
fn assert_hidden(what: &str, text: &str, secrets: &[&str]) {
    for secret in secrets {
        assert!(
            !text.contains(secret),
            "{what} shows the secret {secret:?}: {text}"
        );
    }
}

/// Checks `Debug` and serialisation of a config whose credentials are plain secrets.
fn assert_config_hides<C: std::fmt::Debug + Serialize>(what: &str, cfg: &C, secrets: &[&str]) {
    assert_hidden(&format!("{what} Debug"), &format!("{cfg:?}"), secrets);
    assert_hidden(&format!("{what} Debug"), &format!("{cfg:#?}"), secrets);
    match serde_json::to_string(cfg) {
        Ok(json) => assert_hidden(&format!("{what} JSON"), &json, secrets),
        Err(e) => {
            let e = e.to_string();
            assert_hidden(&format!("{what} serde error"), &e, secrets);
            assert!(
                e.contains("${VAR}"),
                "the error says how to give a secret: {e}"
            );
        }
    }
}

/// Checks `Display` and `Debug` of a construction error, and of its sources.
fn assert_error_hides(what: &str, err: &Error, secrets: &[&str]) {
    assert_hidden(&format!("{what} error"), &err.to_string(), secrets);
    assert_hidden(&format!("{what} error"), &format!("{err:?}"), secrets);
    let mut source = std::error::Error::source(err);
    while let Some(s) = source {
        assert_hidden(&format!("{what} error source"), &s.to_string(), secrets);
        source = s.source();
    }
}

/// Serialises `cfg`, whose credentials were all loaded from references, and checks that the
/// references are written and the values are not.
fn assert_references_written<C: Serialize>(what: &str, cfg: &C, refs: &[&str], secrets: &[&str]) {
    let json = serde_json::to_string(cfg).unwrap_or_else(|e| panic!("{what}: {e}"));
    assert_hidden(&format!("{what} JSON"), &json, secrets);
    for r in refs {
        assert!(
            json.contains(r),
            "{what} JSON lacks the reference {r}: {json}"
        );
    }
}

#[cfg(feature = "s3")]
#[test]
fn s3_config_never_shows_credentials() {
    use remote_store_s3::{AsyncS3Backend, S3Config};

    const SECRETS: [&str; 2] = ["s3-secret-key-9f2c41", "s3-session-token-7a1e88"];
    let cfg = S3Config::new("bucket")
        .credentials("AKIDCONFIGTEST", SECRETS[0])
        .session_token(SECRETS[1]);
    assert_eq!(
        cfg.secret_access_key.as_ref().map(Secret::expose),
        Some(SECRETS[0])
    );
    assert_config_hides("S3Config", &cfg, &SECRETS);

    let invalid = cfg.clone().part_size(1);
    let err = AsyncS3Backend::new(invalid).expect_err("part_size 1 is refused");
    assert_error_hides("S3Config", &err, &SECRETS);

    let mut by_ref = cfg;
    by_ref.secret_access_key = Some(Secret::from_reference("${S3_SECRET}", SECRETS[0]));
    by_ref.session_token = Some(Secret::from_reference("${S3_TOKEN}", SECRETS[1]));
    assert_references_written(
        "S3Config",
        &by_ref,
        &["${S3_SECRET}", "${S3_TOKEN}"],
        &SECRETS,
    );
}

#[cfg(feature = "azure")]
#[test]
fn azure_config_never_shows_credentials() {
    use remote_store_azure::{AsyncAzureBackend, AzureAuth, AzureConfig, EntraCredential};

    const KEY: &str = "YXp1cmUta2V5LTNiOWQ="; // base64, so Shared Key signing accepts it
    const SAS: &str = "sv=2022-11-02&sig=azure-sas-sig-5c7e";
    const CLIENT: &str = "azure-client-secret-2d4f";
    const CONN_KEY: &str = "Y29ubi1rZXktOGUxYQ==";
    let secrets = [KEY, SAS, "azure-sas-sig-5c7e", CLIENT, CONN_KEY];
    let endpoint = "http://127.0.0.1:1/acc";
    let modes = [
        AzureAuth::AccountKey {
            account: "acc".into(),
            key: KEY.into(),
        },
        AzureAuth::SasToken { token: SAS.into() },
        AzureAuth::ConnectionString {
            connection_string: format!(
                "AccountName=acc;AccountKey={CONN_KEY};BlobEndpoint={endpoint}"
            )
            .into(),
        },
        AzureAuth::EntraId {
            credential: EntraCredential::ClientSecret {
                tenant_id: "tenant".into(),
                client_id: "client".into(),
                client_secret: CLIENT.into(),
            },
        },
    ];
    for auth in modes {
        let what = format!("AzureConfig {auth:?}");
        let cfg = AzureConfig::new("container", auth).endpoint(endpoint);
        assert_config_hides(&what, &cfg, &secrets);
        let err = AsyncAzureBackend::new(cfg.part_size(0)).expect_err("part_size 0 is refused");
        assert_error_hides(&what, &err, &secrets);
    }

    // Connection strings that cannot be used: the error names the problem, not the key.
    for cs in [
        format!("AccountKey={CONN_KEY};BlobEndpoint={endpoint}"),
        format!("AccountName=acc;AccountKey={CONN_KEY};Bogus={CONN_KEY}"),
        format!("AccountName=acc;AccountKey={CONN_KEY};SharedAccessSignature={SAS}"),
    ] {
        let cfg = AzureConfig::new(
            "container",
            AzureAuth::ConnectionString {
                connection_string: cs.into(),
            },
        );
        let err = AsyncAzureBackend::new(cfg).expect_err("the connection string is refused");
        assert_error_hides("AzureConfig connection string", &err, &secrets);
    }

    let by_ref = AzureConfig::new(
        "container",
        AzureAuth::AccountKey {
            account: "acc".into(),
            key: Secret::from_reference("${AZURE_KEY}", KEY),
        },
    );
    assert_references_written("AzureConfig", &by_ref, &["${AZURE_KEY}"], &secrets);
}

#[cfg(feature = "sftp")]
#[test]
fn sftp_config_never_shows_credentials() {
    use remote_store_sftp::{AsyncSftpBackend, Auth, SftpConfig};

    const PASSWORD: &str = "sftp-password-6b3d";
    const KEY: &str = "-----BEGIN OPENSSH PRIVATE KEY-----sftp-inline-key-0e9a";
    const PASSPHRASE: &str = "sftp-passphrase-4c2b";
    let secrets = [PASSWORD, KEY, "sftp-inline-key-0e9a", PASSPHRASE];
    for auth in [
        Auth::password(PASSWORD),
        Auth::key_inline(KEY, Some(PASSPHRASE.into())),
    ] {
        let cfg = SftpConfig::new("host", "user", auth);
        let what = format!("SftpConfig {:?}", cfg.auth);
        assert_config_hides(&what, &cfg, &secrets);
        let err =
            AsyncSftpBackend::new(cfg.max_sessions(0)).expect_err("max_sessions 0 is refused");
        assert_error_hides(&what, &err, &secrets);
    }

    let by_ref = SftpConfig::new(
        "host",
        "user",
        Auth::password(Secret::from_reference("${SFTP_PASSWORD}", PASSWORD)),
    );
    assert_references_written("SftpConfig", &by_ref, &["${SFTP_PASSWORD}"], &secrets);
}
