//! The registry against the real emulators (issue 11): one TOML config names an S3 store
//! (moto), an Azure store (Azurite), an SFTP store (sshd, Strict host keys from the config)
//! and a local store; each is written and read through `registry.store(..)` and
//! `registry.async_store(..)`, credentials coming from `${VAR}` placeholders. The bucket and
//! the container do not exist beforehand: `create_if_missing` creates them. Skips under
//! plain `cargo test`; `cargo xtask test` runs it.
#![cfg(all(feature = "s3", feature = "azure", feature = "sftp", feature = "local"))]

mod azure_support;
mod s3_support;
mod sftp_support;

use remote_store_config::{Env, Loader, Registry};

/// A TOML string literal for `text` (quotes and backslashes escaped).
fn quoted(text: &str) -> String {
    format!("{:?}", text)
}

#[test]
fn registry_over_every_emulator_in_both_halves() {
    let (Some(moto), Some(azurite), Some(sshd)) = (
        s3_support::Server::moto(),
        azure_support::azurite(),
        sftp_support::Sshd::from_env(),
    ) else {
        return;
    };
    // Neither the bucket nor the container exists: `create_if_missing` creates them on the
    // first write.
    let bucket = s3_support::unique_name("registry");
    let container = azure_support::fresh_container("registry");
    let local = tempfile::tempdir().unwrap();
    let sftp_base = sshd.fresh_base("registry");

    let toml = format!(
        r#"
        [backends.lake]
        type = "s3"
        bucket = {bucket}
        endpoint = {s3_endpoint}
        region = "us-east-1"
        force_path_style = true
        create_if_missing = true
        access_key_id = "${{S3_KEY_ID}}"
        secret_access_key = "${{S3_SECRET}}"

        [backends.blobs]
        type = "azure"
        container = {container}
        endpoint = {azure_endpoint}
        create_if_missing = true
        [backends.blobs.auth]
        type = "account_key"
        account = {account}
        key = "${{AZURE_KEY}}"

        [backends.box]
        type = "sftp"
        host = {host}
        port = "${{SFTP_PORT}}"
        username = {user}
        base_path = {sftp_base}
        create_base_path = true
        host_key_policy = "strict"
        known_hosts = [{known_host}]
        [backends.box.auth]
        method = "private_key"
        key = {{ file = {key_file} }}

        [backends.disk]
        type = "local"
        root = {local_root}

        [stores.s3]
        backend = "lake"
        root = "reports"
        [stores.azure]
        backend = "blobs"
        root = "reports"
        [stores.sftp]
        backend = "box"
        root = "reports"
        [stores.local]
        backend = "disk"
        root = "reports"
        [stores.local-all]
        backend = "disk"
        "#,
        bucket = quoted(&bucket),
        s3_endpoint = quoted(&moto.endpoint),
        container = quoted(&container),
        azure_endpoint = quoted(&azurite.endpoint),
        account = quoted(&azurite.account),
        host = quoted(&sshd.host),
        user = quoted(&sshd.user),
        sftp_base = quoted(&sftp_base),
        known_host = quoted(&sshd.known_hosts_line()),
        key_file = quoted(&sshd.key),
        local_root = quoted(local.path().to_str().unwrap()),
    );
    let env = Env::from_pairs([
        ("S3_KEY_ID", moto.access_key.clone()),
        ("S3_SECRET", moto.secret_key.clone()),
        ("AZURE_KEY", azurite.key.clone()),
        ("SFTP_PORT", sshd.port.to_string()),
    ]);
    let config = Loader::new().env(env).toml_str(&toml).unwrap();

    let registry = Registry::new(config).unwrap();
    let shown = format!("{registry:?}");
    assert!(
        !shown.contains(&azurite.key),
        "Debug shows no secret: {shown}"
    );

    for name in ["s3", "azure", "sftp", "local"] {
        let store = registry.store(name).unwrap();
        let text = format!("written to {name} through the blocking half");
        store.write("sync.txt", text.clone()).unwrap();
        assert_eq!(store.read_text("sync.txt").unwrap(), text, "{name}");
        assert!(store.is_folder("").unwrap(), "{name}");
    }
    assert!(local.path().join("reports/sync.txt").is_file());
    assert!(
        registry
            .store("local-all")
            .unwrap()
            .is_file("reports/sync.txt")
            .unwrap()
    );

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        for name in ["s3", "azure", "sftp", "local"] {
            let store = registry.async_store(name).unwrap();
            let text = format!("written to {name} through the async half");
            store.write("async.txt", text.clone()).await.unwrap();
            assert_eq!(store.read_text("async.txt").await.unwrap(), text, "{name}");
            // What the blocking half wrote, over the same backend object.
            assert!(
                store
                    .read_text("sync.txt")
                    .await
                    .unwrap()
                    .contains("blocking half"),
                "{name}"
            );
            // Closing a store never closes the shared backend.
            store.close().await.unwrap();
        }
    });
    for name in ["s3", "azure", "sftp", "local"] {
        let store = registry.store(name).unwrap();
        assert!(
            store.is_file("async.txt").unwrap(),
            "{name} after a store's close"
        );
    }
    let mut built = registry.built_backends();
    built.sort_unstable();
    assert_eq!(built, ["blobs", "box", "disk", "lake"]);

    registry.close().unwrap();
    // S3 and Azure are terminal after close.
    let after = registry.store("s3").unwrap().read_text("sync.txt");
    assert!(after.is_err(), "s3 after registry.close: {after:?}");
    drop(runtime);
}
