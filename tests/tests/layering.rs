//! Layering: `remote-store-core` and `remote-store-sync` must not pull in an async runtime.

use std::process::Command;

fn normal_deps(package: &str) -> String {
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
