//! Unit tests of loading, placeholders, errors, secrets, the registry and URLs.

use remote_store_core::{Error, ErrorKind};

use crate::{Env, Loader, Registry, RegistryConfig, StoreProfile};

fn loader(pairs: &[(&str, &str)]) -> Loader {
    Loader::new().env(Env::from_pairs(pairs.iter().copied()))
}

/// Asserts `result` failed with `InvalidArgument` and a message containing every needle.
#[track_caller]
fn fails<T: std::fmt::Debug>(result: Result<T, Error>, needles: &[&str]) -> String {
    let e = result.expect_err("should fail");
    assert_eq!(e.kind(), ErrorKind::InvalidArgument, "{e}");
    let text = e.to_string();
    for needle in needles {
        assert!(text.contains(needle), "{needle:?} missing from: {text}");
    }
    text
}

#[test]
fn loads_toml_and_json_with_placeholders() {
    let dir = tempfile::tempdir().unwrap();
    let toml = r#"
        [backends.disk]
        type = "local"
        root = "${DATA_DIR}"
        create_root = true

        [backends.scratch]
        type = "memory"

        [stores.reports]
        backend = "disk"
        root = "${REPORTS:-reports}"

        [stores.cache]
        backend = "scratch"
        root = "price$${not-a-var}"
    "#;
    let data = dir.path().to_str().unwrap();
    let config = loader(&[("DATA_DIR", data)]).toml_str(toml).unwrap();
    assert_eq!(config.backends.len(), 2);
    assert_eq!(config.backends["disk"].type_name(), "local");
    assert_eq!(
        config.stores["reports"],
        StoreProfile::new("disk", "reports")
    );
    assert_eq!(config.stores["cache"].root, "price${not-a-var}");
    assert_eq!(config.origin(), "TOML text");
    // Serialised, a literal `${` is escaped again: the text loads back to the same config,
    // not to a placeholder (which would fail here, or read a variable).
    let written = toml::to_string(&config).unwrap();
    assert!(written.contains("price$${not-a-var}"), "{written}");
    let again = loader(&[]).toml_str(&written).unwrap();
    assert_eq!(again.stores["cache"].root, "price${not-a-var}");
    assert_eq!(again.stores["reports"], config.stores["reports"]);

    let json = format!(
        r#"{{"backends": {{"disk": {{"type": "local", "root": {data:?}}}}},
            "stores": {{"r": {{"backend": "disk"}}}}}}"#
    );
    let config = loader(&[]).json_str(&json).unwrap();
    assert_eq!(config.stores["r"].root, "");

    let value = serde_json::json!({"backends": {"m": {"type": "memory"}}});
    let config = loader(&[]).deserializer(value, "a value").unwrap();
    assert_eq!(config.backends["m"].type_name(), "memory");
}

#[test]
fn an_unknown_type_lists_the_known_ones() {
    let r = loader(&[]).toml_str("[backends.x]\ntype = \"s4\"\n");
    fails(
        r,
        &[
            "[backends.x]",
            "unknown backend type \"s4\"",
            "did you mean \"s3\"",
            "memory, local, s3, azure, sftp",
        ],
    );
    let r = loader(&[]).toml_str("[backends.x]\nroot = \"/tmp\"\n");
    fails(r, &["[backends.x]", "missing key \"type\""]);
}

/// The error a `type` whose feature is off gets (checked end to end below in builds where
/// a feature is off — `cargo xtask test` runs these tests again with `memory,local` only —
/// and here for `cargo test --all-features`, which has none).
#[test]
fn the_feature_off_error_names_the_feature() {
    let place = crate::hint::Place::new("registry.toml", "backends.box");
    let e = crate::backends::feature_off("sftp", &place);
    fails::<()>(
        Err(e),
        &[
            "registry.toml, [backends.box]",
            "backend type \"sftp\" is not compiled in",
            "cargo feature `sftp` of remote-store-config",
        ],
    );
}

#[cfg(not(feature = "sftp"))]
#[test]
fn a_type_whose_feature_is_off_names_the_feature() {
    let r = loader(&[]).toml_str("[backends.box]\ntype = \"sftp\"\nhost = \"h\"\n");
    fails(
        r,
        &[
            "[backends.box]",
            "cargo feature `sftp`",
            "remote-store-config",
        ],
    );
}

#[cfg(not(feature = "s3"))]
#[test]
fn an_s3_type_without_its_feature_names_it() {
    let r = loader(&[]).toml_str("[backends.lake]\ntype = \"s3\"\nbucket = \"b\"\n");
    fails(r, &["[backends.lake]", "cargo feature `s3`"]);
}

#[test]
fn an_unknown_key_names_it_and_the_closest_known_key() {
    let r = loader(&[])
        .toml_str("[backends.disk]\ntype = \"local\"\nroot = \"/d\"\ncreat_root = true\n");
    fails(
        r,
        &[
            "TOML text, [backends.disk]",
            "unknown key \"creat_root\"",
            "did you mean \"create_root\"",
        ],
    );
    let r = loader(&[]).toml_str("[backends.m]\ntype = \"memory\"\nsize = 3\n");
    fails(r, &["[backends.m]", "unknown key \"size\""]);
    let r = loader(&[]).toml_str("[stores.s]\nbackend = \"m\"\nroots = \"x\"\n");
    fails(
        r,
        &[
            "[stores.s]",
            "unknown key \"roots\"",
            "did you mean \"root\"",
        ],
    );
    let r = loader(&[]).toml_str("[backend.m]\ntype = \"memory\"\n");
    fails(r, &["unknown key \"backend\"", "did you mean \"backends\""]);
}

#[test]
fn a_missing_variable_is_named() {
    let r = loader(&[]).toml_str("[backends.disk]\ntype = \"local\"\nroot = \"${DATA_DIR}\"\n");
    fails(
        r,
        &["[backends.disk]", "\"DATA_DIR\" is not set", "\"root\""],
    );
    let r = loader(&[]).toml_str("[stores.s]\nbackend = \"${WHICH}\"\n");
    fails(r, &["[stores.s]", "\"WHICH\" is not set"]);
    let r = loader(&[]).toml_str("[stores.s]\nbackend = \"${WHICH\"\n");
    fails(r, &["[stores.s]", "bad placeholder"]);
}

#[test]
fn a_store_naming_a_missing_backend_names_both() {
    let config = loader(&[])
        .toml_str("[backends.scratch]\ntype = \"memory\"\n[stores.reports]\nbackend = \"scrach\"\n")
        .unwrap();
    fails(
        Registry::new(config),
        &[
            "TOML text, [stores.reports]",
            "store \"reports\"",
            "backend \"scrach\"",
            "did you mean \"scratch\"",
        ],
    );
    let config = RegistryConfig::new().store("lonely", StoreProfile::default());
    fails(
        Registry::new(config),
        &["built in code, [stores.lonely]", "`backend`"],
    );
}

/// A URL store's backend never replaces a configured backend of the same slot name.
#[test]
fn a_url_store_does_not_replace_a_configured_backend() {
    let config = loader(&[])
        .toml_str(
            "[backends.\"archive (url)\"]\ntype = \"memory\"\n\
             [stores.keep]\nbackend = \"archive (url)\"\n\
             [stores.archive]\nurl = \"memory://\"\n",
        )
        .unwrap();
    fails(
        Registry::new(config),
        &["store \"archive\"", "\"archive (url)\"", "rename"],
    );
}

#[test]
fn an_invalid_root_is_named() {
    let config = loader(&[])
        .toml_str(
            "[backends.m]\ntype = \"memory\"\n[stores.up]\nbackend = \"m\"\nroot = \"../etc\"\n",
        )
        .unwrap();
    fails(
        Registry::new(config),
        &["[stores.up]", "invalid root \"../etc\""],
    );
    let config = loader(&[])
        .toml_str("[backends.disk]\ntype = \"local\"\nroot = \"\"\n")
        .unwrap();
    fails(
        Registry::new(config),
        &["[backends.disk]", "`root` is empty"],
    );
}

#[test]
fn errors_name_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("registry.toml");
    std::fs::write(&path, "[backends.m]\ntype = \"memory\"\nbogus = 1\n").unwrap();
    let shown = path.display().to_string();
    fails(
        loader(&[]).toml_file(&path),
        &[shown.as_str(), "[backends.m]", "\"bogus\""],
    );
    std::fs::write(&path, "[stores.s]\nbackend = \"nope\"\n").unwrap();
    fails(
        Registry::from_toml_file(&path),
        &[shown.as_str(), "[stores.s]", "\"nope\""],
    );
    std::fs::write(&path, "[stores\n").unwrap();
    fails(
        loader(&[]).toml_file(&path),
        &[shown.as_str(), "not valid TOML"],
    );
    let missing = loader(&[])
        .toml_file(dir.path().join("absent.toml"))
        .unwrap_err();
    assert_eq!(missing.kind(), ErrorKind::NotFound);
    assert!(missing.to_string().contains("absent.toml"), "{missing}");
}

/// Memory and local stores in both halves, one backend object per backend name.
#[test]
fn registry_serves_both_halves_over_shared_backends() {
    let dir = tempfile::tempdir().unwrap();
    let toml = format!(
        r#"
        [backends.disk]
        type = "local"
        root = {:?}
        [backends.scratch]
        type = "memory"
        [stores.reports]
        backend = "disk"
        root = "reports"
        [stores.all]
        backend = "disk"
        [stores.cache]
        backend = "scratch"
        root = "cache"
        [stores.everything]
        backend = "scratch"
        "#,
        dir.path().to_str().unwrap()
    );
    let registry = Registry::new(loader(&[]).toml_str(&toml).unwrap()).unwrap();
    assert!(
        registry.built_backends().is_empty(),
        "nothing is built up front"
    );
    assert_eq!(registry.store_backend("reports"), Some("disk"));
    assert_eq!(registry.store_backend("cache"), Some("scratch"));
    assert_eq!(registry.store_backend("nope"), None);

    let reports = registry.store("reports").unwrap();
    reports.write("q3.csv", "a,b\n").unwrap();
    assert!(dir.path().join("reports/q3.csv").is_file());
    assert!(
        registry
            .store("all")
            .unwrap()
            .is_file("reports/q3.csv")
            .unwrap()
    );
    assert_eq!(registry.built_backends(), ["disk"]);

    let cache = registry.store("cache").unwrap();
    cache.write("k", "v").unwrap();
    // A store closing never closes the shared backend.
    cache.close().unwrap();
    assert_eq!(
        registry
            .store("everything")
            .unwrap()
            .read_text("cache/k")
            .unwrap(),
        "v"
    );

    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    runtime.block_on(async {
        // The async half sees what the blocking half wrote: the same memory tree.
        let cache = registry.async_store("cache").unwrap();
        assert_eq!(cache.read_text("k").await.unwrap(), "v");
        cache.write("from-async", "yes").await.unwrap();
        let reports = registry.async_store("reports").unwrap();
        assert_eq!(reports.read_text("q3.csv").await.unwrap(), "a,b\n");
        cache.close().await.unwrap();
    });
    assert_eq!(
        registry
            .store("cache")
            .unwrap()
            .read_text("from-async")
            .unwrap(),
        "yes"
    );
    assert_eq!(registry.built_backends(), ["disk", "scratch"]);

    let shown = format!("{registry:?}");
    assert!(
        shown.contains("scratch") && shown.contains("reports"),
        "{shown}"
    );

    fails(
        registry.store("report"),
        &["unknown store \"report\"", "did you mean \"reports\""],
    );
    registry.close().unwrap();
    // Memory and local are not terminal: the backend stays usable after close.
    assert_eq!(
        registry.store("cache").unwrap().read_text("k").unwrap(),
        "v"
    );
    runtime.block_on(registry.close_async()).unwrap();
}

#[test]
fn a_local_root_that_does_not_exist_fails_when_built_not_before() {
    let dir = tempfile::tempdir().unwrap();
    let gone = dir.path().join("gone");
    let toml = format!(
        "[backends.disk]\ntype = \"local\"\nroot = {:?}\n[stores.s]\nbackend = \"disk\"\n",
        gone.to_str().unwrap()
    );
    let registry = Registry::new(loader(&[]).toml_str(&toml).unwrap()).unwrap();
    let e = registry.store("s").unwrap_err();
    assert_eq!(e.kind(), ErrorKind::NotFound, "{e}");
    assert!(registry.built_backends().is_empty());
}

#[test]
fn urls_for_memory_and_file() {
    let l = loader(&[]);
    let (config, root) = l.parse_url("memory://").unwrap();
    assert_eq!((config.type_name(), root.as_str()), ("memory", ""));
    let (_, root) = l.parse_url("memory:///a/b").unwrap();
    assert_eq!(root, "a/b");

    let dir = tempfile::tempdir().unwrap();
    let url = format!(
        "file://{}?create_root=true",
        dir.path().join("new").display()
    );
    let store = l.open_url_opts(&url, [("fsync", "never")]).unwrap();
    store.write("x.txt", "1").unwrap();
    assert!(dir.path().join("new/x.txt").is_file());
    match l.parse_url(&url).unwrap().0 {
        crate::BackendConfig::Local(c) => assert!(c.create_root),
        #[allow(unreachable_patterns)]
        other => panic!("{other:?}"),
    }

    fails(l.parse_url("file://host/x"), &["must be local"]);
    fails(l.parse_url("memory://?bogus=1"), &["unknown key \"bogus\""]);
    fails(
        l.parse_url("gopher://x"),
        &["URL \"gopher://x\"", "unknown URL scheme \"gopher\"", "s3"],
    );
    fails(l.parse_url("not a url"), &["not a URL"]);
    let m = crate::open_url("memory://").unwrap();
    m.write("a", "b").unwrap();
    let a = crate::open_url_async("memory://").unwrap();
    assert_eq!(a.name(), m.name());
}

#[test]
fn a_registry_store_may_be_a_url() {
    let toml = "[stores.tmp]\nurl = \"memory:///base\"\nroot = \"sub\"\n";
    let registry = Registry::new(loader(&[]).toml_str(toml).unwrap()).unwrap();
    let store = registry.store("tmp").unwrap();
    store.write("f", "x").unwrap();
    assert_eq!(store.root().as_str(), "base/sub");
    let bad = "[stores.tmp]\nurl = \"memory://\"\nbackend = \"m\"\n";
    fails(
        Registry::new(loader(&[]).toml_str(bad).unwrap()),
        &["both `backend` and `url`"],
    );
    let bad = "[stores.tmp]\nurl = \"nope://x\"\n";
    fails(
        Registry::new(loader(&[]).toml_str(bad).unwrap()),
        &["[stores.tmp]", "unknown URL scheme"],
    );
}

#[test]
#[cfg(feature = "local")]
fn inline_io_max_bytes_is_read_and_checked() {
    let toml = "[backends.shm]\ntype = \"local\"\nroot = \"/dev/shm/x\"\n\
                inline_io_max_bytes = 65536\n";
    let config = loader(&[]).toml_str(toml).unwrap();
    let crate::BackendConfig::Local(shm) = &config.backends["shm"] else {
        panic!("not local")
    };
    assert_eq!(shm.inline_io_max_bytes, 65536);
    let written = toml::to_string(&config).unwrap();
    assert!(written.contains("inline_io_max_bytes = 65536"), "{written}");
    // Off by default, and then not written out.
    let plain = loader(&[])
        .toml_str("[backends.d]\ntype = \"local\"\nroot = \"/d\"\n")
        .unwrap();
    let written = toml::to_string(&plain).unwrap();
    assert!(!written.contains("inline_io"), "{written}");

    let toml = toml.replace("65536", "2000000");
    let config = loader(&[]).toml_str(&toml).unwrap();
    let Err(err) = Registry::new(config) else {
        panic!("a bound above 1 MiB must be refused")
    };
    let text = err.to_string();
    assert!(
        text.contains("backends.shm")
            && text.contains("inline_io_max_bytes")
            && text.contains("1048576"),
        "{text}"
    );
}

#[cfg(feature = "s3")]
mod s3 {
    use super::*;
    use crate::BackendConfig;

    const TOML: &str = r#"
        [backends.lake]
        type = "s3"
        bucket = "acme"
        region = "eu-west-1"
        endpoint = "${S3_ENDPOINT:-http://127.0.0.1:9000}"
        force_path_style = true
        access_key_id = "${KEY_ID}"
        secret_access_key = "${SECRET_KEY}"
        session_token = "${TOKEN}"
        retry = { max_attempts = "${ATTEMPTS}", initial_backoff = "250ms" }

        [stores.reports]
        backend = "lake"
        root = "reports"
    "#;

    fn env() -> Loader {
        loader(&[
            ("KEY_ID", "AKIDEXAMPLE"),
            ("SECRET_KEY", "s3cr3t-from-env"),
            ("TOKEN", "t0ken-from-env"),
            ("ATTEMPTS", "1"),
        ])
    }

    /// Errors never quote a credential written in the file: not the line of a TOML syntax
    /// error, not a credential of the wrong type.
    #[test]
    fn config_errors_do_not_quote_credentials() {
        let bad_syntax = "[backends.b]\ntype = \"s3\"\nbucket = \"x\"\n\
                          secret_access_key = \"LEAKEDSECRET123\" extra\n";
        let text = fails(
            loader(&[]).toml_str(bad_syntax),
            &["not valid TOML at line 4"],
        );
        assert!(!text.contains("LEAKEDSECRET123"), "{text}");
        let wrong_type = "[backends.b]\ntype = \"s3\"\nbucket = \"x\"\n\
                          access_key_id = \"AKIAEXAMPLE\"\nsecret_access_key = 12345678\n";
        let text = fails(
            loader(&[]).toml_str(wrong_type),
            &["invalid type: integer `***`"],
        );
        assert!(!text.contains("12345678"), "{text}");
    }
    #[test]
    fn secrets_round_trip_as_references_and_never_show() {
        let config = env().toml_str(TOML).unwrap();
        let BackendConfig::S3(s3) = &config.backends["lake"] else {
            panic!("not s3")
        };
        assert_eq!(
            s3.secret_access_key.as_ref().unwrap().expose(),
            "s3cr3t-from-env"
        );
        assert_eq!(
            s3.retry.max_attempts, 1,
            "numbers may come from placeholders"
        );
        assert_eq!(
            s3.retry.initial_backoff,
            std::time::Duration::from_millis(250)
        );
        for shown in [format!("{config:?}"), format!("{config:#?}")] {
            assert!(!shown.contains("s3cr3t-from-env") && !shown.contains("t0ken-from-env"));
        }
        let written = toml::to_string(&config).unwrap();
        assert!(!written.contains("s3cr3t-from-env"), "{written}");
        assert!(!written.contains("t0ken-from-env"), "{written}");
        assert!(written.contains("${SECRET_KEY}"), "{written}");
        assert!(written.contains("type = \"s3\""), "{written}");
        // And what was written loads again to the same values.
        let again = env().toml_str(&written).unwrap();
        let BackendConfig::S3(s3_again) = &again.backends["lake"] else {
            panic!("not s3")
        };
        assert_eq!(s3_again.secret_access_key, s3.secret_access_key);
        assert_eq!(s3_again.bucket, "acme");

        let registry = Registry::new(config).unwrap();
        let shown = format!("{registry:?}");
        assert!(!shown.contains("s3cr3t-from-env"), "{shown}");
        // Building needs no connection either.
        let store = registry.store("reports").unwrap();
        assert!(!format!("{store:?}").contains("s3cr3t-from-env"));
    }

    #[test]
    fn a_literal_secret_refuses_to_serialise() {
        let config = loader(&[])
            .toml_str(
                "[backends.l]\ntype = \"s3\"\nbucket = \"b\"\naccess_key_id = \"A\"\nsecret_access_key = \"literal-pw\"\n",
            )
            .unwrap();
        let e = toml::to_string(&config).unwrap_err().to_string();
        assert!(!e.contains("literal-pw") && e.contains("${VAR}"), "{e}");
        // A default or text around the placeholder is literal secret text too.
        for raw in ["${PW:-dev-secret}", "dev-secret${PW}"] {
            let config = loader(&[("PW", "pw-value")])
                .toml_str(&format!(
                    "[backends.l]\ntype = \"s3\"\nbucket = \"b\"\naccess_key_id = \"A\"\nsecret_access_key = \"{raw}\"\n"
                ))
                .unwrap();
            let e = toml::to_string(&config).unwrap_err().to_string();
            assert!(
                !e.contains("dev-secret") && !e.contains("pw-value"),
                "{raw}: {e}"
            );
        }
        // One placeholder alone serialises back as itself.
        let config = loader(&[("PW", "pw-value")])
            .toml_str(
                "[backends.l]\ntype = \"s3\"\nbucket = \"b\"\naccess_key_id = \"A\"\nsecret_access_key = \"${PW:-}\"\n",
            )
            .unwrap();
        let written = toml::to_string(&config).unwrap();
        assert!(
            written.contains("${PW:-}") && !written.contains("pw-value"),
            "{written}"
        );
    }

    #[test]
    fn bad_s3_values_fail_in_registry_new() {
        let config = loader(&[])
            .toml_str("[backends.l]\ntype = \"s3\"\nbucket = \"b\"\nendpoint = \"nope\"\n")
            .unwrap();
        fails(Registry::new(config), &["[backends.l]", "endpoint"]);
        let r = loader(&[]).toml_str("[backends.l]\ntype = \"s3\"\nbuckt = \"b\"\n");
        fails(r, &["unknown key \"buckt\"", "did you mean \"bucket\""]);
    }

    #[test]
    fn s3_urls() {
        let (config, root) = loader(&[])
            .parse_url_opts(
                "s3://acme/team/reports?region=eu-west-1&endpoint=http://127.0.0.1:9000&retry.max_attempts=2",
                [("force_path_style", "true")],
            )
            .unwrap();
        assert_eq!(root, "");
        let BackendConfig::S3(c) = config else {
            panic!("not s3")
        };
        assert_eq!(c.bucket, "acme");
        assert_eq!(c.prefix, "team/reports");
        assert_eq!(c.region.as_deref(), Some("eu-west-1"));
        assert_eq!(c.endpoint.as_deref(), Some("http://127.0.0.1:9000"));
        assert_eq!(
            c.retry.max_attempts, 2,
            "a dotted key fills the retry table"
        );
        assert!(c.force_path_style);
        let text = fails(
            loader(&[]).parse_url("s3://acme?secret_access_key=s3cr3t-in-url"),
            &["credential \"secret_access_key\"", "refused"],
        );
        assert!(!text.contains("s3cr3t-in-url"), "{text}");
        fails(
            loader(&[]).parse_url("s3://acme?regoin=x"),
            &["did you mean \"region\""],
        );
        fails(loader(&[]).parse_url("s3:///x"), &["no host"]);
        // Nothing of the URL is dropped silently.
        fails(
            loader(&[]).parse_url("s3://localhost:9000/bucket"),
            &["a port in a s3:// URL is refused", "endpoint"],
        );
        let text = fails(
            loader(&[]).parse_url("s3://user@acme/x"),
            &["a user name in a s3:// URL is refused"],
        );
        assert!(!text.contains("user@"), "not shown: {text}");
        // A token pasted as the user part is not echoed.
        let text = fails(loader(&[]).parse_url("s3://sv=2024&sig=SECRET@acme/x"), &[]);
        assert!(!text.contains("SECRET"), "{text}");
        fails(
            loader(&[]).parse_url("s3://acme/reports#2024"),
            &["fragment", "%23"],
        );
        fails(
            loader(&[]).parse_url("s3://acme/reports?prefix=tmp"),
            &["\"prefix\" is given twice"],
        );
        fails(
            loader(&[]).parse_url("s3://acme/r%FF"),
            &["does not decode to UTF-8"],
        );
        let (config, _) = loader(&[]).parse_url("s3://acme?prefix=tmp").unwrap();
        let BackendConfig::S3(c) = config else {
            panic!("not s3")
        };
        assert_eq!(c.prefix, "tmp");
        let (config, _) = loader(&[]).parse_url("s3://acme/a%23b").unwrap();
        let BackendConfig::S3(c) = config else {
            panic!("not s3")
        };
        assert_eq!(c.prefix, "a#b");
        // A `+` in a query value stays a `+` (form decoding would make it a space).
        let (config, _) = loader(&[])
            .parse_url("s3://acme?prefix=c%2B%2B/x%20y+z")
            .unwrap();
        let BackendConfig::S3(c) = config else {
            panic!("not s3")
        };
        assert_eq!(c.prefix, "c++/x y+z");
        crate::open_url("s3://acme/x?region=eu-west-1").unwrap();
        crate::open_url_async("s3://acme/x?region=eu-west-1").unwrap();
    }
}

#[cfg(feature = "azure")]
mod azure {
    use super::*;
    use crate::BackendConfig;
    use remote_store_azure::AzureAuth;

    #[test]
    fn azure_urls_and_environment_credentials() {
        let l = loader(&[("AZURE_STORAGE_KEY", "a2V5LWZyb20tZW52")]);
        let (config, _) = l.parse_url("az://acct/box/some/prefix").unwrap();
        let BackendConfig::Azure(c) = config else {
            panic!("not azure")
        };
        assert_eq!(c.container, "box");
        assert_eq!(c.prefix, "some/prefix");
        assert_eq!(
            c.endpoint.as_deref(),
            Some("https://acct.blob.core.windows.net")
        );
        let AzureAuth::AccountKey { account, key } = &c.auth else {
            panic!("{:?}", c.auth)
        };
        assert_eq!(account, "acct");
        assert_eq!(key.expose(), "a2V5LWZyb20tZW52");
        assert_eq!(key.reference(), Some("${AZURE_STORAGE_KEY}"));

        let l = loader(&[(
            "AZURE_STORAGE_CONNECTION_STRING",
            "UseDevelopmentStorage=true",
        )]);
        let (config, _) = l.parse_url("azure://devstoreaccount1/box").unwrap();
        let BackendConfig::Azure(c) = config else {
            panic!("not azure")
        };
        assert!(matches!(c.auth, AzureAuth::ConnectionString { .. }));
        assert_eq!(c.endpoint, None, "the connection string supplies it");

        // A connection string for another account is refused, never silently used.
        let l = loader(&[(
            "AZURE_STORAGE_CONNECTION_STRING",
            "AccountName=devacct;AccountKey=c2VjcmV0LWtleQ==",
        )]);
        let text = fails(
            l.parse_url("az://prodacct/backups"),
            &["\"prodacct\"", "is for account \"devacct\""],
        );
        assert!(!text.contains("c2VjcmV0LWtleQ"), "{text}");
        l.parse_url("az://devacct/backups").unwrap();
        // A SAS connection string names its account in its endpoint.
        let sas = "BlobEndpoint=https://acct.blob.core.windows.net;SharedAccessSignature=sv=1";
        let l = loader(&[("AZURE_STORAGE_CONNECTION_STRING", sas)]);
        l.parse_url("az://acct/box").unwrap();
        fails(l.parse_url("az://other/box"), &["names no account"]);

        // An endpoint beside an az://account URL must be that account's: the credentials
        // go wherever it points.
        let l = loader(&[("AZURE_STORAGE_SAS_TOKEN", "sv=1&sig=c2lnbmF0dXJl")]);
        let text = fails(
            l.parse_url("az://acct/box?endpoint=https://collector.example"),
            &["endpoint", "\"acct\""],
        );
        assert!(!text.contains("c2lnbmF0dXJl"), "{text}");
        l.parse_url("az://acct/box?endpoint=https://acct.blob.core.windows.net")
            .unwrap();
        l.parse_url("az://devstoreaccount1/box?endpoint=http://127.0.0.1:10000/devstoreaccount1")
            .unwrap();
        let l = loader(&[(
            "AZURE_STORAGE_CONNECTION_STRING",
            "AccountName=acct;AccountKey=c2VjcmV0LWtleQ==",
        )]);
        fails(
            l.parse_url("az://acct/box?endpoint=http://elsewhere.example/acct2"),
            &["endpoint"],
        );
        // The environment's key goes with the environment's account.
        let l = loader(&[
            ("AZURE_STORAGE_ACCOUNT", "prodacct"),
            ("AZURE_STORAGE_KEY", "a2V5"),
        ]);
        fails(
            l.parse_url("az://devacct/box"),
            &["\"devacct\"", "AZURE_STORAGE_ACCOUNT \"prodacct\""],
        );
        l.parse_url("az://prodacct/box").unwrap();

        // The account becomes a host name: only a real account name is taken.
        let l = loader(&[("AZURE_STORAGE_KEY", "a2V5")]);
        for bad in [
            "az://evil.com%2F/c",
            "az://Acct/c",
            "az://ab/c",
            "az://a-b-c/c",
        ] {
            fails(l.parse_url(bad), &["not an Azure storage account name"]);
        }

        let text = fails(
            loader(&[]).parse_url("az://acct/box"),
            &[
                "missing key \"auth\"",
                "AZURE_STORAGE_KEY",
                "the URL names the account",
            ],
        );
        assert!(!text.contains("AZURE_STORAGE_ACCOUNT"), "{text}");
        fails(
            loader(&[("AZURE_STORAGE_KEY", "k")]).parse_url("az://acct/"),
            &["no container"],
        );
        fails(
            loader(&[]).parse_url("az://acct/box?auth.type=anonymous"),
            &["credential \"auth.type\""],
        );
        // Options beside the URL may carry the auth.
        let (config, _) = loader(&[])
            .parse_url_opts("az://acct/box", [("auth.type", "anonymous")])
            .unwrap();
        assert!(matches!(config, BackendConfig::Azure(_)));
    }

    #[test]
    #[cfg(feature = "s3")]
    fn check_folder_targets_selects_the_flat_namespace_mode() {
        let toml = "[backends.lake]\ntype = \"s3\"\nbucket = \"b\"\ncheck_folder_targets = false\n\
                    [backends.blob]\ntype = \"azure\"\ncontainer = \"box\"\n\
                    check_folder_targets = false\n[backends.blob.auth]\ntype = \"anonymous\"\n\
                    [backends.strict]\ntype = \"s3\"\nbucket = \"b\"\n";
        let config = loader(&[]).toml_str(toml).unwrap();
        let BackendConfig::S3(lake) = &config.backends["lake"] else {
            panic!("not s3")
        };
        assert!(!lake.check_folder_targets);
        let BackendConfig::S3(strict) = &config.backends["strict"] else {
            panic!("not s3")
        };
        assert!(strict.check_folder_targets, "strict is the default");
        let BackendConfig::Azure(blob) = &config.backends["blob"] else {
            panic!("not azure")
        };
        assert!(!blob.check_folder_targets);
        let written = toml::to_string(&config).unwrap();
        assert!(
            written.contains("check_folder_targets = false"),
            "{written}"
        );
    }

    #[test]
    #[cfg(feature = "s3")]
    fn server_refuses_folder_targets_is_read_and_checked() {
        let toml = "[backends.fs]\ntype = \"s3\"\nbucket = \"b\"\n\
                    server_refuses_folder_targets = true\n";
        let config = loader(&[]).toml_str(toml).unwrap();
        let BackendConfig::S3(fs) = &config.backends["fs"] else {
            panic!("not s3")
        };
        assert!(fs.server_refuses_folder_targets && fs.check_folder_targets);
        let toml = format!("{toml}check_folder_targets = false\n");
        let config = loader(&[]).toml_str(&toml).unwrap();
        let Err(err) = Registry::new(config) else {
            panic!("a contradiction must be refused")
        };
        let text = err.to_string();
        assert!(
            text.contains("backends.fs") && text.contains("server_refuses_folder_targets"),
            "{text}"
        );
    }

    #[test]
    fn azure_tables_read_the_environment_and_keep_references() {
        let toml = "[backends.blob]\ntype = \"azure\"\ncontainer = \"box\"\n\
                    endpoint = \"http://127.0.0.1:10000/devstoreaccount1\"\n";
        let l = loader(&[
            ("AZURE_STORAGE_ACCOUNT", "devstoreaccount1"),
            ("AZURE_STORAGE_KEY", "c2VjcmV0LWtleQ=="),
        ]);
        let config = l.toml_str(toml).unwrap();
        let written = toml::to_string(&config).unwrap();
        assert!(!written.contains("c2VjcmV0LWtleQ=="), "{written}");
        assert!(written.contains("${AZURE_STORAGE_KEY}"), "{written}");
        assert!(!format!("{config:?}").contains("c2VjcmV0LWtleQ=="));
        Registry::new(config).unwrap();
        let bad = "[backends.blob]\ntype = \"azure\"\ncontainer = \"box\"\n\
                   [backends.blob.auth]\ntype = \"acount_key\"\n";
        fails(
            loader(&[]).toml_str(bad),
            &["[backends.blob]", "did you mean \"account_key\""],
        );
    }
}

#[cfg(feature = "sftp")]
mod sftp {
    use super::*;
    use crate::BackendConfig;
    use remote_store_sftp::{Auth, HostKeyPolicy};

    #[test]
    fn sftp_urls_and_tables() {
        let (config, root) = loader(&[("SSH_AUTH_SOCK", "/tmp/agent.sock")])
            .parse_url("sftp://deploy@files.example.com:2222/srv/data")
            .unwrap();
        assert_eq!(root, "");
        let BackendConfig::Sftp(c) = config else {
            panic!("not sftp")
        };
        assert_eq!(
            (c.host.as_str(), c.port, c.username.as_str()),
            ("files.example.com", 2222, "deploy")
        );
        assert_eq!(c.base_path, "/srv/data");
        // The agent of the environment the config was loaded with, not the process's.
        assert_eq!(
            c.auth,
            Auth::Agent {
                socket: Some("/tmp/agent.sock".into())
            }
        );
        assert_eq!(c.host_key_policy, HostKeyPolicy::Strict);

        let text = fails(
            loader(&[]).parse_url("sftp://u:pw-in-url@h/x"),
            &["password in the URL is refused", "sftp://u:***@h/x"],
        );
        assert!(!text.contains("pw-in-url"), "{text}");
        fails(
            loader(&[("SSH_AUTH_SOCK", "/s")]).parse_url("sftp://h/x"),
            &["no user name"],
        );
        // An IPv6 host is the bare address, as a socket takes it.
        let (config, _) = loader(&[("SSH_AUTH_SOCK", "/s")])
            .parse_url("sftp://u@[::1]:2222/x")
            .unwrap();
        let BackendConfig::Sftp(c) = config else {
            panic!("not sftp")
        };
        assert_eq!((c.host.as_str(), c.port), ("::1", 2222));
        // The path and an option cannot both name the base path.
        fails(
            loader(&[("SSH_AUTH_SOCK", "/s")])
                .parse_url_opts("sftp://u@h/x", [("base_path", "/y")]),
            &["\"base_path\" is given twice"],
        );

        let toml = r#"
            [backends.box]
            type = "sftp"
            host = "127.0.0.1"
            port = "${SFTP_PORT}"
            username = "tester"
            known_hosts = ["[127.0.0.1]:2222 ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIJdD7y3aLq454yWBdwLWbieU1ebz9/cu7/QEXn9OIeZJ"]
            [backends.box.auth]
            method = "password"
            password = "${SFTP_PASSWORD}"
        "#;
        let config = loader(&[("SFTP_PORT", "2222"), ("SFTP_PASSWORD", "pw-from-env")])
            .toml_str(toml)
            .unwrap();
        let written = toml::to_string(&config).unwrap();
        assert!(!written.contains("pw-from-env") && written.contains("${SFTP_PASSWORD}"));
        assert!(!format!("{config:?}").contains("pw-from-env"));
        let registry = Registry::new(config).unwrap();
        assert!(!format!("{registry:?}").contains("pw-from-env"));
    }
}

/// The complete example in docs/config.md loads and validates (no connection made).
#[cfg(all(feature = "s3", feature = "azure", feature = "sftp"))]
#[test]
fn the_documented_example_loads() {
    let doc = include_str!("../../../docs/config.md");
    let start = doc.find("```toml\n").expect("a toml block") + "```toml\n".len();
    let block = &doc[start..start + doc[start..].find("```").unwrap()];
    let env = loader(&[
        ("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE"),
        ("AWS_SECRET_ACCESS_KEY", "aws-secret"),
        ("AZURE_STORAGE_KEY", "YXp1cmUta2V5"),
    ]);
    let config = env.toml_str(block).unwrap();
    assert_eq!(config.backends.len(), 5);
    let registry = Registry::new(config).unwrap();
    assert_eq!(
        registry.store_names().collect::<Vec<_>>(),
        ["archive", "reports", "tmp"]
    );
    let shown = format!("{registry:?}");
    assert!(!shown.contains("aws-secret") && !shown.contains("YXp1cmUta2V5"));
}

#[test]
fn registry_is_send_and_sync() {
    fn check<T: Send + Sync>() {}
    check::<Registry>();
    check::<RegistryConfig>();
    check::<Loader>();
}

/// serde quotes a wrongly typed value in its error; one from a placeholder may be a secret.
#[test]
fn errors_never_repeat_a_value_from_the_environment() {
    let toml = "[backends.m]\ntype = \"local\"\nroot = \"/d\"\ncreate_root = \"${PW}\"\n";
    let text = fails(
        loader(&[("PW", "hunter2-secret")]).toml_str(toml),
        &["[backends.m]"],
    );
    assert!(!text.contains("hunter2-secret"), "{text}");
    assert!(text.contains("***"), "{text}");
}

/// A secret with line breaks or quotes (a private key's PEM, a connection string read
/// from a file with its newline) is masked also where the message quotes it escaped.
#[test]
fn errors_never_repeat_an_escaped_secret() {
    let pem = "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjE=\n\"x\"\n-----END OPENSSH PRIVATE KEY-----\n";
    let toml = "[backends.m]\ntype = \"local\"\nroot = \"/d\"\ncreate_root = \"${PW}\"\n";
    let text = fails(loader(&[("PW", pem)]).toml_str(toml), &["[backends.m]"]);
    assert!(!text.contains("b3BlbnNzaC1rZXktdjE"), "{text}");
    #[cfg(feature = "sftp")]
    {
        let toml = "[backends.box]\ntype = \"sftp\"\nhost = \"h\"\nusername = \"u\"\n\
                    [backends.box.auth]\nmethod = \"private_key\"\nkey = \"${PW}\"\n";
        let text = fails(loader(&[("PW", pem)]).toml_str(toml), &["[backends.box]"]);
        assert!(!text.contains("b3BlbnNzaC1rZXktdjE"), "{text}");
    }
}

/// A key given twice in a JSON table is refused (serde_json would keep the last), as TOML
/// refuses it.
#[test]
fn a_json_key_given_twice_is_refused() {
    let json = r#"{"backends": {"m": {"type": "memory", "type": "local"}}}"#;
    fails(loader(&[]).json_str(json), &["\"type\" is given twice"]);
}

/// A value of the wrong type names its key — the dotted path in a nested table — in a
/// file and in a URL's query alike.
#[test]
fn a_wrongly_typed_value_names_its_key() {
    let toml = "[backends.m]\ntype = \"local\"\nroot = \"/d\"\ncreate_root = \"yes please\"\n";
    fails(
        loader(&[]).toml_str(toml),
        &["[backends.m]", "key \"create_root\"", "expected a boolean"],
    );
    #[cfg(feature = "s3")]
    {
        let toml = "[backends.s]\ntype = \"s3\"\nbucket = \"b\"\nregion = \"eu-west-1\"\n\
                    retry = { max_attempts = \"many\" }\n";
        fails(
            loader(&[]).toml_str(toml),
            &["key \"retry.max_attempts\"", "\"many\""],
        );
        fails(
            crate::open_url("s3://b/x?region=eu-west-1&force_path_style=yes"),
            &["key \"force_path_style\"", "expected a boolean"],
        );
    }
}

/// A URL path with a `.`, `..` or empty segment is refused: URL parsing would resolve it
/// (`s3://b/../etc` is `s3://b/etc`) or drop it without a word. A trailing `/` is fine.
#[test]
fn urls_with_dot_or_empty_segments_are_refused() {
    for (url, what) in [
        ("memory:///a/../../b", "`..`"),
        ("memory:///a/./b", "`.`"),
        ("memory:///a//b", "empty"),
        ("memory:///a/%2e%2e/b", "`..`"),
    ] {
        fails(
            crate::open_url(url),
            &[what, "write the path it should name"],
        );
    }
    crate::open_url("memory:///a/b/").unwrap();
    // Nothing in a URL is dropped or overridden without a word: a query key given twice,
    // or an option that says otherwise than the URL itself.
    fails(
        crate::open_url("memory:///a?x=1&x=2"),
        &["\"x\" is given twice in the URL's query"],
    );
    #[cfg(feature = "s3")]
    {
        fails(
            crate::open_url("s3://b/x?region=eu-west-1&bucket=c"),
            &["\"bucket\" is given twice"],
        );
        fails(
            crate::open_url_opts("s3://b/x?region=eu-west-1", [("bucket", "c")]),
            &["\"bucket\" is given twice"],
        );
    }
    // An encoded separator would split a segment after the check (`in%2F..%2Fetc`).
    for url in [
        "memory:///srv/in%2F..%2F..%2Fetc",
        "memory:///a%2fb",
        "memory:///a%5C..",
    ] {
        fails(crate::open_url(url), &["encoded `/`"]);
    }
    // The parser drops tabs and line breaks: `.\t.` would become `..` after the check.
    fails(
        crate::open_url("memory:///a/.\t./b"),
        &["tab or line break"],
    );
    fails(crate::open_url("memory:///a/b\n"), &["tab or line break"]);
    // A path is no URL, and the error says what one looks like.
    fails(
        crate::open_url("/tmp/some/path"),
        &["not a URL", "file:///absolute/path"],
    );
    #[cfg(feature = "s3")]
    {
        fails(
            crate::open_url("s3://bucket/../etc?region=eu-west-1"),
            &["`..`"],
        );
        fails(
            crate::open_url("s3://bucket//double?region=eu-west-1"),
            &["empty"],
        );
    }
}
