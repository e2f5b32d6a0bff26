//! The lint steps (`cargo xtask lint`, also run by `cargo xtask test`): formatting, clippy,
//! rustdoc, per-feature builds of every backend crate, and cargo-deny.

use std::path::Path;

use crate::util::{Result, cargo, read_manifest, run, which};

/// The cargo-deny release installed when none is found (0.20.x builds with Rust 1.88+).
const CARGO_DENY_VERSION: &str = "0.20.2";

/// `cargo fmt --all -- --check`.
pub(crate) fn fmt() -> Result<()> {
    run(cargo().args(["fmt", "--all", "--", "--check"]))
}

/// `cargo clippy` on every target and feature, warnings denied.
pub(crate) fn clippy() -> Result<()> {
    run(cargo().args([
        "clippy",
        "--workspace",
        "--all-targets",
        "--all-features",
        "--",
        "-D",
        "warnings",
    ]))
}

/// `cargo doc` with rustdoc warnings (broken links, missing docs) denied.
pub(crate) fn doc() -> Result<()> {
    run(cargo()
        .args(["doc", "--workspace", "--no-deps", "--all-features"])
        .env("RUSTDOCFLAGS", "-D warnings"))
}

/// Builds each backend crate (`crates/backend-*`) with only `sync` and with only `async`.
pub(crate) fn features(root: &Path) -> Result<()> {
    let mut dirs: Vec<_> = std::fs::read_dir(root.join("crates"))?
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().starts_with("backend-"))
        .map(|e| e.path())
        .filter(|p| p.join("Cargo.toml").is_file())
        .collect();
    dirs.sort();
    if dirs.is_empty() {
        eprintln!("no backend crates (crates/backend-*) yet");
    }
    for dir in dirs {
        let (package, features) = read_manifest(&dir.join("Cargo.toml"))?;
        if !(features.iter().any(|f| f == "sync") && features.iter().any(|f| f == "async")) {
            eprintln!("skipping {package}: it does not declare both `sync` and `async` features");
            continue;
        }
        for feature in ["sync", "async"] {
            run(cargo().args([
                "check",
                "-p",
                &package,
                "--no-default-features",
                "--features",
                feature,
            ]))?;
        }
    }
    Ok(())
}

/// `cargo deny check licenses bans sources`, installing cargo-deny under `target/tools` first
/// if it is neither on `PATH` nor already there.
///
/// Inclusion graphs are hidden (a dozen duplicate-version warnings would print hundreds of
/// lines); `cargo tree -i <crate>` shows where a reported crate comes from.
pub(crate) fn deny(root: &Path) -> Result<()> {
    let tools = root.join("target").join("tools");
    let tools_bin = tools.join("bin");
    if which("cargo-deny").is_none() && !tools_bin.join("cargo-deny").is_file() {
        eprintln!(
            "installing cargo-deny {CARGO_DENY_VERSION} into {} (cargo install: a few minutes)",
            tools.display()
        );
        run(cargo()
            .args([
                "install",
                "cargo-deny",
                "--version",
                CARGO_DENY_VERSION,
                "--locked",
            ])
            .arg("--root")
            .arg(&tools))?;
    }
    let mut paths = vec![tools_bin];
    paths.extend(std::env::split_paths(
        &std::env::var_os("PATH").unwrap_or_default(),
    ));
    let path = std::env::join_paths(paths).map_err(|e| crate::util::Error::new(e.to_string()))?;
    run(cargo()
        .args(["deny", "check", "--hide-inclusion-graph"])
        .args(["licenses", "bans", "sources"])
        .env("PATH", path))
}
