//! Azure secrets never show: `Debug` and serialisation of configs, `Debug` of backends and
//! stores, and the `Display` and `Debug` (with every source) of errors from every auth mode
//! contain neither the account key nor a SAS signature. Also proves each auth mode works against Azurite.
#![cfg(feature = "azure")]

mod azure_support;

use std::time::{Duration, SystemTime};

use azure_support::{Azurite, azurite, fresh_container};
use remote_store_async::AsyncStore;
use remote_store_azure::{AsyncAzureBackend, AzureAuth, AzureBackend, AzureConfig, account_sas};
use remote_store_core::{Error, ErrorKind, ListOptions, Secret};
use remote_store_sync::Store;

/// Every secret string that must never appear.
struct Secrets {
    needles: Vec<String>,
}

impl Secrets {
    fn new(az: &Azurite, sas: &Secret) -> Self {
        let sig = sas
            .expose()
            .split('&')
            .find_map(|p| p.strip_prefix("sig="))
            .unwrap()
            .to_owned();
        let decoded_sig = url_decode(&sig);
        Secrets {
            needles: vec![
                az.key.clone(),
                az.key[..16].to_owned(),
                sig,
                decoded_sig,
                "sig=".to_owned(),
                sas.expose().to_owned(),
            ],
        }
    }

    fn assert_clean(&self, what: &str, text: &str) {
        for needle in &self.needles {
            assert!(
                !text.contains(needle.as_str()),
                "{what} leaks a secret ({needle:?}): {text}"
            );
        }
    }

    /// Display and Debug of the error and of every source in its chain.
    fn assert_error_clean(&self, what: &str, err: &Error) {
        self.assert_clean(what, &err.to_string());
        self.assert_clean(what, &format!("{err:?}"));
        let mut source: Option<&dyn std::error::Error> = std::error::Error::source(err);
        while let Some(s) = source {
            self.assert_clean(what, &s.to_string());
            self.assert_clean(what, &format!("{s:?}"));
            source = s.source();
        }
    }
}

fn url_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() + 1 {
            out.push(u8::from_str_radix(&s[i + 1..i + 3], 16).unwrap());
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).unwrap()
}

/// The auth modes to check, each with the endpoint it needs.
fn modes(az: &Azurite, sas: &Secret) -> Vec<(&'static str, AzureAuth, Option<String>)> {
    vec![
        ("account key", az.key_auth(), Some(az.endpoint.clone())),
        (
            "connection string",
            AzureAuth::ConnectionString {
                connection_string: format!(
                    "DefaultEndpointsProtocol=http;AccountName={};AccountKey={};BlobEndpoint={};",
                    az.account, az.key, az.endpoint
                )
                .into(),
            },
            None,
        ),
        (
            "sas token",
            AzureAuth::SasToken { token: sas.clone() },
            Some(az.endpoint.clone()),
        ),
        (
            "sas connection string",
            AzureAuth::ConnectionString {
                connection_string: format!(
                    "BlobEndpoint={};SharedAccessSignature={}",
                    az.endpoint,
                    sas.expose()
                )
                .into(),
            },
            None,
        ),
    ]
}

fn config(container: &str, auth: AzureAuth, endpoint: Option<String>) -> AzureConfig {
    let mut cfg = AzureConfig::new(container, auth).retry(remote_store_core::RetryPolicy::never());
    cfg.endpoint = endpoint;
    cfg
}

fn sas_for(az: &Azurite) -> Secret {
    account_sas(
        &az.account,
        &az.key.as_str().into(),
        "rwdlac",
        SystemTime::now() + Duration::from_secs(3600),
    )
    .unwrap()
}

#[test]
fn sync_auth_modes_work_and_never_leak() {
    let Some(az) = azurite() else { return };
    let sas = sas_for(&az);
    let secrets = Secrets::new(&az, &sas);
    // The checker itself catches a leak.
    for leak in [sas.expose(), az.key.as_str()] {
        let caught = std::panic::catch_unwind(|| secrets.assert_clean("probe", leak));
        assert!(caught.is_err(), "the leak check must detect {leak:?}");
    }
    let container = fresh_container("secrets-s");
    AzureBackend::new(az.config("unused").clone_with_container(&container))
        .unwrap()
        .create_container()
        .unwrap();

    for (mode, auth, endpoint) in modes(&az, &sas) {
        let cfg = config(&container, auth, endpoint);
        secrets.assert_clean(mode, &format!("{cfg:?}"));
        // Serialising refuses (or, with `${VAR}` references, writes the references).
        secrets.assert_clean(mode, &format!("{:?}", serde_json::to_string(&cfg)));
        let backend = AzureBackend::new(cfg.clone()).unwrap();
        secrets.assert_clean(mode, &format!("{backend:?}"));
        let store = Store::new(backend, mode).unwrap();
        secrets.assert_clean(mode, &format!("{store:?}"));

        // The mode works: write, read back, list, copy (server-side, source authorised by
        // the same credential).
        store.write("a/file.txt", "hello").unwrap();
        assert_eq!(store.read_text("a/file.txt").unwrap(), "hello", "{mode}");
        assert_eq!(store.list_files("a").unwrap().count(), 1, "{mode}");
        store.copy_file("a/file.txt", "b/copy.txt").unwrap();
        assert_eq!(store.read_text("b/copy.txt").unwrap(), "hello", "{mode}");
        store.ping().unwrap();

        // Errors of this mode.
        let missing = store.read_bytes("nope.txt").unwrap_err();
        assert_eq!(missing.kind(), ErrorKind::NotFound, "{mode}");
        secrets.assert_error_clean(mode, &missing);
        let exists = store.write("a/file.txt", "again").unwrap_err();
        assert_eq!(exists.kind(), ErrorKind::AlreadyExists, "{mode}");
        secrets.assert_error_clean(mode, &exists);
        let unreachable = {
            let mut cfg = cfg.clone();
            cfg.endpoint = Some(format!("http://127.0.0.1:1/{}", az.account));
            let s = Store::new(AzureBackend::new(cfg).unwrap(), "").unwrap();
            s.read_bytes("x").unwrap_err()
        };
        assert_eq!(unreachable.kind(), ErrorKind::BackendUnavailable, "{mode}");
        secrets.assert_error_clean(mode, &unreachable);
    }
}

#[tokio::test]
async fn async_auth_modes_work_and_never_leak() {
    let Some(az) = azurite() else { return };
    let sas = sas_for(&az);
    let secrets = Secrets::new(&az, &sas);
    let container = fresh_container("secrets-a");
    AsyncAzureBackend::new(az.config("unused").clone_with_container(&container))
        .unwrap()
        .create_container()
        .await
        .unwrap();

    for (mode, auth, endpoint) in modes(&az, &sas) {
        let cfg = config(&container, auth, endpoint);
        let backend = AsyncAzureBackend::new(cfg.clone()).unwrap();
        secrets.assert_clean(mode, &format!("{backend:?}"));
        let store = AsyncStore::new(backend, mode).unwrap();
        secrets.assert_clean(mode, &format!("{store:?}"));

        store.write("a/file.txt", "hello").await.unwrap();
        assert_eq!(
            store.read_text("a/file.txt").await.unwrap(),
            "hello",
            "{mode}"
        );
        store.copy_file("a/file.txt", "b/copy.txt").await.unwrap();
        assert_eq!(
            store.read_text("b/copy.txt").await.unwrap(),
            "hello",
            "{mode}"
        );

        let missing = store.read_bytes("nope.txt").await.unwrap_err();
        assert_eq!(missing.kind(), ErrorKind::NotFound, "{mode}");
        secrets.assert_error_clean(mode, &missing);
        let exists = store.write("a/file.txt", "again").await.unwrap_err();
        assert_eq!(exists.kind(), ErrorKind::AlreadyExists, "{mode}");
        secrets.assert_error_clean(mode, &exists);
    }
}

#[test]
fn wrong_credentials_are_permission_denied_without_leaking() {
    let Some(az) = azurite() else { return };
    let sas = sas_for(&az);
    let secrets = Secrets::new(&az, &sas);
    let container = fresh_container("secrets-w");
    let good = AzureBackend::new(az.config("unused").clone_with_container(&container)).unwrap();
    good.create_container().unwrap();

    // A well-formed key of the right account that is not its key.
    let wrong_key = AzureAuth::AccountKey {
        account: az.account.clone(),
        key: "d3Jvbmcga2V5IHdyb25nIGtleSB3cm9uZyBrZXkgd3Jvbmcga2V5IQ==".into(),
    };
    // The real SAS with its signature altered.
    let tampered = {
        let t = sas.expose();
        let at = t.find("sig=").unwrap() + 4;
        let mut t = t.to_owned();
        let flipped = if &t[at..at + 1] == "A" { "B" } else { "A" };
        t.replace_range(at..at + 1, flipped);
        AzureAuth::SasToken { token: t.into() }
    };
    for (mode, auth) in [("wrong key", wrong_key), ("tampered sas", tampered)] {
        let cfg = config(&container, auth, Some(az.endpoint.clone()));
        let store = Store::new(AzureBackend::new(cfg).unwrap(), "").unwrap();
        let ping = store.ping().unwrap_err();
        assert_eq!(ping.kind(), ErrorKind::PermissionDenied, "{mode}: {ping}");
        secrets.assert_error_clean(mode, &ping);
        let write = store.write("f.txt", "x").unwrap_err();
        assert_eq!(write.kind(), ErrorKind::PermissionDenied, "{mode}: {write}");
        secrets.assert_error_clean(mode, &write);
        let list = store
            .list_files_with("", ListOptions::new().recursive(true))
            .unwrap()
            .next()
            .unwrap()
            .unwrap_err();
        assert_eq!(list.kind(), ErrorKind::PermissionDenied, "{mode}: {list}");
        secrets.assert_error_clean(mode, &list);
    }
}

#[test]
fn missing_container_is_not_found() {
    let Some(az) = azurite() else { return };
    let config = az.config("never-created");
    let named = format!(r#"container "{}" does not exist"#, config.container);
    let store = Store::new(AzureBackend::new(config).unwrap(), "").unwrap();
    // Every call names the container (issue 10, item 6): never `false` or an empty listing.
    let errors = [
        ("ping", store.ping().err()),
        ("exists", store.exists("x").err()),
        ("is_file", store.is_file("x").err()),
        ("is_folder", store.is_folder("d").err()),
        ("read_bytes", store.read_bytes("x").err()),
        (
            "list_files",
            store
                .list_files("")
                .and_then(|mut files| files.next().transpose())
                .err(),
        ),
        ("write", store.write("x", "data").err()),
    ];
    for (what, e) in errors {
        let e = e.unwrap_or_else(|| panic!("{what} on a missing container must fail"));
        assert_eq!(e.kind(), ErrorKind::NotFound, "{what}: {e}");
        assert!(e.is_container_not_found(), "{what}: {e:?}");
        assert!(e.to_string().contains(&named), "{what}: {e}");
    }
}

/// Test-only helper: the same config for another container.
trait WithContainer {
    fn clone_with_container(&self, container: &str) -> AzureConfig;
}

impl WithContainer for AzureConfig {
    fn clone_with_container(&self, container: &str) -> AzureConfig {
        let mut c = self.clone();
        c.container = container.to_owned();
        c
    }
}
