//! `cargo xtask bench <name>`: runs a benchmark crate `crates/bench-<name>` in release mode,
//! with the enabled emulators started for it.
//!
//! Benchmarks are binaries (`cargo run --release -p <package>`), not `cargo bench` targets:
//! they print ratios against the raw SDKs and peer libraries (see spec 03-testing.md).

use crate::emulators::{self, Ctx, EmulatorSet};
use crate::util::{Result, bail, cargo, read_manifest, repo_root, run};

/// Known benchmarks: (name, package), from the `crates/bench-*` directories.
fn known() -> Result<Vec<(String, String)>> {
    let mut benches = Vec::new();
    for entry in std::fs::read_dir(repo_root().join("crates"))? {
        let path = entry?.path();
        let Some(name) = path
            .file_name()
            .and_then(|n| n.to_str())
            .and_then(|n| n.strip_prefix("bench-"))
        else {
            continue;
        };
        if path.join("Cargo.toml").is_file() {
            let (package, _) = read_manifest(&path.join("Cargo.toml"))?;
            benches.push((name.to_string(), package));
        }
    }
    benches.sort();
    Ok(benches)
}

/// Runs benchmark `name`, passing `args` to it.
pub(crate) fn bench(name: Option<&str>, args: &[String]) -> Result<()> {
    let benches = known()?;
    let listing = if benches.is_empty() {
        "none yet (a benchmark is a crate crates/bench-<name>)".to_string()
    } else {
        benches
            .iter()
            .map(|(n, p)| format!("{n} ({p})"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let Some(name) = name else {
        bail!("usage: cargo xtask bench <name> [-- args]; known benchmarks: {listing}");
    };
    let Some((_, package)) = benches.iter().find(|(n, _)| n == name) else {
        bail!("unknown benchmark `{name}`; known benchmarks: {listing}");
    };
    let ctx = Ctx::new();
    let mut servers = EmulatorSet::start(&ctx, &emulators::enabled(&ctx)?)?;
    let result = run(cargo()
        .args(["run", "--release", "-p", package, "--"])
        .args(args)
        .envs(servers.env()));
    let stopped = servers.stop();
    result.and(stopped)
}
