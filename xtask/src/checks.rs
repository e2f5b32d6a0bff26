//! The lint steps (`cargo xtask lint`, also run by `cargo xtask test`): formatting, clippy,
//! rustdoc (and what the facade's docs show), per-feature builds of every backend crate and
//! of the facade, the sync-only dependency tree, and cargo-deny.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::util::{Result, apt_install, bail, cargo, output, read_manifest, run, which};

/// The facade package.
const FACADE: &str = "remote-store";

/// The config crate: one feature per backend, each of which must build alone and pull in
/// no other backend's SDK.
const CONFIG: &str = "remote-store-config";

/// Each network backend feature of the config crate, and the crate-name prefixes of the
/// SDKs of the *other* backends, which must not be in its tree (`aws-lc-rs` is a TLS/SSH
/// crypto provider, not the AWS SDK, so the AWS prefixes are the SDK's own).
const CONFIG_ALONE: &[(&str, &[&str])] = &[
    ("s3", &["azure_", "russh"]),
    ("azure", &["aws-sdk", "aws-config", "aws-smithy", "russh"]),
    ("sftp", &["aws-sdk", "aws-config", "aws-smithy", "azure_"]),
];

/// The facade's sync-only feature set: a user who asks for it compiles no async runtime.
const SYNC_ONLY: &str = "sync,memory,local";

/// The SDK crates re-exported only under the facade's opt-in `*-sdk` features; their docs
/// must not appear in the facade's docs without those features.
const SDK_CRATES: &[&str] = &["aws_sdk_s3", "azure_storage_blob"];

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

/// `cargo doc` with rustdoc warnings (broken links, missing docs) denied; first the facade
/// with every feature except the `*-sdk` ones, whose docs must then show no SDK module
/// (the backend modules are inlined, so an SDK re-export would be inlined with them).
pub(crate) fn doc(root: &Path) -> Result<()> {
    let (package, features) = read_manifest(&root.join("crates").join(FACADE).join("Cargo.toml"))?;
    let without_sdks: Vec<String> = features
        .into_iter()
        .filter(|f| f != "default" && !f.ends_with("-sdk"))
        .collect();
    run(cargo()
        .args(["doc", "-p", &package, "--no-deps", "--features"])
        .arg(without_sdks.join(","))
        .env("RUSTDOCFLAGS", "-D warnings"))?;
    let docs = target_dir()?.join("doc").join(package.replace('-', "_"));
    if !docs.join("index.html").is_file() {
        bail!("no facade docs at {} after `cargo doc`", docs.display());
    }
    let found = sdk_modules(&docs)?;
    if !found.is_empty() {
        let list: Vec<String> = found.iter().map(|p| p.display().to_string()).collect();
        bail!(
            "the facade's docs without the `*-sdk` features document an SDK module:\n  {}\n\
             re-export the SDK from its backend crate only under that crate's `sdk` feature",
            list.join("\n  ")
        );
    }
    run(cargo()
        .args(["doc", "--workspace", "--no-deps", "--all-features"])
        .env("RUSTDOCFLAGS", "-D warnings"))
}

/// The directories under `docs` that document one of the [`SDK_CRATES`] as a module.
fn sdk_modules(docs: &Path) -> Result<Vec<PathBuf>> {
    let mut found = Vec::new();
    let mut pending = vec![docs.to_path_buf()];
    while let Some(dir) = pending.pop() {
        for entry in std::fs::read_dir(&dir)? {
            let path = entry?.path();
            if path.is_dir() {
                if path
                    .file_name()
                    .is_some_and(|n| SDK_CRATES.iter().any(|sdk| n == *sdk))
                {
                    found.push(path.clone());
                }
                pending.push(path);
            }
        }
    }
    found.sort();
    Ok(found)
}

/// Cargo's target directory (honours `CARGO_TARGET_DIR` and cargo config).
fn target_dir() -> Result<PathBuf> {
    let json = output(cargo().args(["metadata", "--format-version", "1", "--no-deps"]))?;
    let key = "\"target_directory\":\"";
    let Some(start) = json.find(key).map(|i| i + key.len()) else {
        bail!("`cargo metadata` printed no target_directory");
    };
    let Some(len) = json[start..].find('"') else {
        bail!("`cargo metadata` printed an unterminated target_directory");
    };
    // JSON escapes backslashes (Windows paths); nothing else occurs in a path here.
    Ok(PathBuf::from(
        json[start..start + len].replace("\\\\", "\\"),
    ))
}

/// The facade with only the sync features must have no async crate in its dependency tree
/// (`cargo tree -p remote-store -e normal --no-default-features --features sync,memory,local`).
pub(crate) fn sync_only_tree() -> Result<()> {
    let tree = output(cargo().args([
        "tree",
        "-p",
        FACADE,
        "-e",
        "normal",
        "--no-default-features",
        "--features",
        SYNC_ONLY,
        "--prefix",
        "none",
    ]))?;
    let found = async_crates(&tree);
    if !found.is_empty() {
        bail!(
            "`{FACADE}` with `--no-default-features --features {SYNC_ONLY}` depends on async \
             crates: {}\nrun that `cargo tree` with `-i <crate>` to see what pulls them in; \
             gate it behind an `async` feature",
            found.join(", ")
        );
    }
    eprintln!("no async crate in the sync-only tree");
    Ok(())
}

/// The async crates (tokio, mio, futures, async-trait, remote-store-async) named in a
/// `cargo tree --prefix none` listing, each once.
fn async_crates(tree: &str) -> Vec<&str> {
    let mut found: Vec<&str> = tree
        .lines()
        .filter_map(|line| line.split_whitespace().next())
        .filter(|name| {
            let family = |stem: &str| {
                *name == stem || name.strip_prefix(stem).is_some_and(|r| r.starts_with('-'))
            };
            family("tokio")
                || family("futures")
                || *name == "mio"
                || *name == "async-trait"
                || *name == "remote-store-async"
        })
        .collect();
    found.sort_unstable();
    found.dedup();
    found
}

/// Builds each backend crate (`crates/backend-*`) with only `sync` and with only `async`,
/// then the facade with one client and the two local backends. Each build is a `cargo
/// clippy` with warnings denied, so code that only one half uses (dead code, an unused
/// import) fails here, not in a user's build; clippy shares `cargo check`'s dependency
/// artifacts, so this costs only the lints on the workspace's own crates.
pub(crate) fn features(root: &Path) -> Result<()> {
    let mut dirs: Vec<_> = std::fs::read_dir(root.join("crates"))?
        .filter_map(|e| e.ok())
        .filter(|e| {
            // The backends, the layers crate (issue 12) and the transfer crate (issue 13)
            // build with either half alone.
            let name = e.file_name().to_string_lossy().into_owned();
            name.starts_with("backend-") || name == "layers" || name == "transfer"
        })
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
            run(&mut feature_build(&package, feature))?;
        }
    }
    for features in [SYNC_ONLY, "async,memory,local"] {
        run(&mut feature_build(FACADE, features))?;
    }
    for feature in ["", "memory", "local", "s3", "azure", "sftp"] {
        run(&mut feature_build(CONFIG, feature))?;
    }
    Ok(())
}

/// `cargo clippy` of `package`'s library with only `features`, warnings denied.
fn feature_build(package: &str, features: &str) -> Command {
    let mut cmd = cargo();
    cmd.args([
        "clippy",
        "-p",
        package,
        "--no-default-features",
        "--features",
        features,
    ])
    .args(["--", "-D", "warnings"]);
    cmd
}

/// The config crate with one network backend's feature has no other backend's SDK in its
/// tree (`cargo tree -p remote-store-config -e normal --no-default-features --features s3`
/// shows no `azure_*` or `russh*` crate, and so on).
pub(crate) fn config_trees() -> Result<()> {
    for (feature, foreign) in CONFIG_ALONE {
        let tree = output(cargo().args([
            "tree",
            "-p",
            CONFIG,
            "-e",
            "normal",
            "--no-default-features",
            "--features",
            feature,
            "--prefix",
            "none",
        ]))?;
        let mut found: Vec<&str> = tree
            .lines()
            .filter_map(|line| line.split_whitespace().next())
            .filter(|name| foreign.iter().any(|prefix| name.starts_with(prefix)))
            .collect();
        found.sort_unstable();
        found.dedup();
        if !found.is_empty() {
            bail!(
                "`{CONFIG}` with only `{feature}` depends on other backends' crates: {}\nrun \
                 that `cargo tree` with `-i <crate>` to see what pulls them in",
                found.join(", ")
            );
        }
        eprintln!("{CONFIG} --features {feature}: no other backend's SDK");
    }
    Ok(())
}

/// The `cargo install` of cargo-deny into `target/tools`, unless it is already there (or
/// on `PATH`). It builds in `target/tools/build`, so an interrupted install resumes.
pub(crate) fn deny_install(root: &Path) -> Option<Command> {
    let tools = root.join("target").join("tools");
    if which("cargo-deny").is_some() || tools.join("bin").join("cargo-deny").is_file() {
        return None;
    }
    // Built unoptimised: cargo-deny's release profile (fat LTO, one codegen unit) took
    // ~150 s of every fresh CI run on two cores, unoptimised ~55 s, and the check it
    // runs here takes 3 s instead of 1.
    let mut install = cargo();
    install
        .args([
            "install",
            "cargo-deny",
            "--version",
            CARGO_DENY_VERSION,
            "--locked",
        ])
        .arg("--root")
        .arg(&tools)
        .arg("--target-dir")
        .arg(tools.join("build"))
        .env("CARGO_PROFILE_RELEASE_OPT_LEVEL", "0")
        .env("CARGO_PROFILE_RELEASE_LTO", "false")
        .env("CARGO_PROFILE_RELEASE_CODEGEN_UNITS", "16");
    Some(install)
}

/// `cargo deny check licenses bans sources`, installing cargo-deny under `target/tools` first
/// if it is neither on `PATH` nor already there.
///
/// Inclusion graphs are hidden (a dozen duplicate-version warnings would print hundreds of
/// lines); `cargo tree -i <crate>` shows where a reported crate comes from.
pub(crate) fn deny(root: &Path) -> Result<()> {
    // `cargo xtask test` installs it in the background while the tests run; installed here
    // otherwise, or when that failed (this shows why).
    if let Some(mut install) = deny_install(root) {
        eprintln!(
            "installing cargo-deny {CARGO_DENY_VERSION} into {} (cargo install: about a minute)",
            root.join("target").join("tools").display()
        );
        run(&mut install)?;
    }
    let tools_bin = root.join("target").join("tools").join("bin");
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

/// The Windows target `cargo xtask windows` checks against (the GNU one: its C parts,
/// aws-lc-sys under the S3 SDK, build with Debian's MinGW cross compiler).
const WINDOWS_TARGET: &str = "x86_64-pc-windows-gnu";

/// The facade's features every crate but `remote-store-local` (Unix only, it says so with a
/// `compile_error!`) builds with on Windows: everything except `local`.
const WINDOWS_FEATURES: &str =
    "sync,async,memory,s3,azure,sftp,layers,tracing,metrics,transfer,config,object-store,serde";

/// `cargo clippy -D warnings` of the facade with every crate but the local backend, for
/// Windows: the code behind `#[cfg(windows)]` and `#[cfg(not(unix))]` (the transfer
/// crate's positional writes, the SFTP key-file checks) never compiles on Linux otherwise.
/// Installs the Rust target with `rustup` and the MinGW C cross compiler with `apt-get`
/// when they are missing. Not part of `test`: it needs both downloads and about two
/// minutes of checking.
pub(crate) fn windows() -> Result<()> {
    let installed = output(Command::new("rustup").args(["target", "list", "--installed"]))?;
    if !installed.lines().any(|t| t.trim() == WINDOWS_TARGET) {
        run(Command::new("rustup").args(["target", "add", WINDOWS_TARGET]))?;
    }
    if which("x86_64-w64-mingw32-gcc").is_none() {
        apt_install(&["gcc-mingw-w64-x86-64"])?;
    }
    run(cargo().args([
        "clippy",
        "--target",
        WINDOWS_TARGET,
        "-p",
        FACADE,
        "--no-default-features",
        "--features",
        WINDOWS_FEATURES,
        "--",
        "-D",
        "warnings",
    ]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_async_crates_in_a_tree() {
        let tree = "remote-store v0.1.0 (/w/crates/remote-store)\n\
                    tokio v1.54.1\nmio v1.2.5\nfutures-util v0.3.34\nfutures-util v0.3.34\n\
                    tokio-util v0.7.20\nbytes v1.12.2\ntokionic v1.0.0\nmiodrive v0.1.0\n";
        assert_eq!(
            async_crates(tree),
            ["futures-util", "mio", "tokio", "tokio-util"]
        );
        assert!(async_crates("remote-store v0.1.0\nbytes v1.12.2\nglobset v0.4.22\n").is_empty());
    }

    #[test]
    fn finds_sdk_module_dirs_in_docs() {
        let docs = std::env::temp_dir().join(format!("xtask-docs-{}", std::process::id()));
        std::fs::create_dir_all(docs.join("s3").join("aws_sdk_s3").join("types")).unwrap();
        std::fs::create_dir_all(docs.join("memory")).unwrap();
        let with_sdk = sdk_modules(&docs).unwrap();
        std::fs::remove_dir_all(docs.join("s3").join("aws_sdk_s3")).unwrap();
        let without = sdk_modules(&docs).unwrap();
        std::fs::remove_dir_all(&docs).unwrap();
        assert_eq!(with_sdk, [docs.join("s3").join("aws_sdk_s3")]);
        assert!(without.is_empty());
    }
}
