//! Layering: `remote-store-core` and `remote-store-sync` must not pull in an async runtime,
//! and neither may the facade, the memory backend or the local backend built with only their
//! `sync` feature (issue 9: sync-only users compile no tokio).

use std::process::Command;

fn normal_deps(package: &str) -> String {
    normal_deps_with(package, &[])
}

/// `cargo tree -p <package> -e normal --prefix none` plus `extra` arguments.
fn normal_deps_with(package: &str, extra: &[&str]) -> String {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let out = Command::new(cargo)
        .args([
            "tree",
            "-p",
            package,
            "-e",
            "normal",
            "--prefix",
            "none",
            "--offline",
        ])
        .args(extra)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("cargo tree runs");
    assert!(
        out.status.success(),
        "cargo tree failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn core_and_sync_have_no_tokio() {
    for package in ["remote-store-core", "remote-store-sync"] {
        let tree = normal_deps(package);
        assert!(
            tree.contains(package),
            "unexpected cargo tree output: {tree}"
        );
        let runtimes: Vec<&str> = tree
            .lines()
            .filter(|l| {
                l.starts_with("tokio ") || l.starts_with("async-std ") || l.starts_with("smol ")
            })
            .collect();
        assert!(runtimes.is_empty(), "{package} depends on {runtimes:?}");
    }
}

#[test]
fn sync_only_builds_have_no_async_crates() {
    let cases = [
        ("remote-store", "sync,memory,local"),
        ("remote-store-memory", "sync"),
        ("remote-store-local", "sync"),
        // Issue 12: the layers' blocking half (and both observers) compile no tokio either.
        ("remote-store-layers", "sync,tracing,metrics"),
        ("remote-store", "sync,memory,local,tracing,metrics"),
    ];
    for (package, features) in cases {
        let tree = normal_deps_with(package, &["--no-default-features", "--features", features]);
        assert!(
            tree.contains(package),
            "unexpected cargo tree output: {tree}"
        );
        let async_crates: Vec<&str> = tree
            .lines()
            .filter_map(|l| l.split_whitespace().next())
            .filter(|name| {
                [
                    "tokio",
                    "mio",
                    "futures",
                    "async-trait",
                    "remote-store-async",
                ]
                .iter()
                .any(|c| name == c || name.strip_prefix(c).is_some_and(|r| r.starts_with('-')))
            })
            .collect();
        assert!(
            async_crates.is_empty(),
            "{package} with --no-default-features --features {features} depends on {async_crates:?}"
        );
    }
}

/// Issue 12: the layers work through the public traits only. With every feature, and with
/// its dev-dependencies, `remote-store-layers` depends on no backend crate and no SDK.
#[test]
fn layers_depend_on_no_backend() {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let out = Command::new(cargo)
        .args([
            "tree",
            "-p",
            "remote-store-layers",
            "--all-features",
            "--prefix",
            "none",
            "--offline",
        ])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("cargo tree runs");
    assert!(
        out.status.success(),
        "cargo tree failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let tree = String::from_utf8(out.stdout).unwrap();
    assert!(
        tree.contains("remote-store-layers"),
        "unexpected cargo tree output: {tree}"
    );
    let forbidden: Vec<&str> = tree
        .lines()
        .filter_map(|l| l.split_whitespace().next())
        .filter(|name| {
            [
                "remote-store-memory",
                "remote-store-local",
                "remote-store-s3",
                "remote-store-azure",
                "remote-store-sftp",
                "aws-",
                "azure_",
                "russh",
                "hyper",
                "reqwest",
            ]
            .iter()
            .any(|c| name.starts_with(c))
        })
        .collect();
    assert!(
        forbidden.is_empty(),
        "remote-store-layers depends on {forbidden:?}"
    );
}

/// Issue 15: the object_store adapter works through `AsyncStore` only. `cargo tree -p
/// remote-store-object-store` (dev-dependencies included) holds no backend crate, no SDK
/// and none of object_store's cloud clients.
#[test]
fn object_store_adapter_depends_on_no_backend() {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let out = Command::new(cargo)
        .args([
            "tree",
            "-p",
            "remote-store-object-store",
            "--prefix",
            "none",
            "--offline",
        ])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("cargo tree runs");
    assert!(
        out.status.success(),
        "cargo tree failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let tree = String::from_utf8(out.stdout).unwrap();
    assert!(
        tree.contains("remote-store-object-store") && tree.contains("object_store "),
        "unexpected cargo tree output: {tree}"
    );
    let forbidden: Vec<&str> = tree
        .lines()
        .filter_map(|l| l.split_whitespace().next())
        .filter(|name| {
            [
                "remote-store-memory",
                "remote-store-local",
                "remote-store-s3",
                "remote-store-azure",
                "remote-store-sftp",
                "aws-",
                "azure_",
                "russh",
                "hyper",
                "reqwest",
            ]
            .iter()
            .any(|c| name.starts_with(c))
        })
        .collect();
    assert!(
        forbidden.is_empty(),
        "remote-store-object-store depends on {forbidden:?}"
    );
}
