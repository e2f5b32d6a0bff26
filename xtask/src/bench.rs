//! `cargo xtask bench <name>`: runs the benchmark crate `benches/<name>` in release mode,
//! with the enabled emulators started for it.
//!
//! Benchmarks are binaries (`cargo run --release -p <package>`), not `cargo bench` targets:
//! they print ratios against the raw SDKs and peer libraries (see spec 03-testing.md).

use crate::emulators::{self, Ctx, EmulatorSet};
use crate::util::{Result, bail, cargo, read_manifest, repo_root, run};

/// Known benchmarks: (name, manifest path), from the `benches/<name>` directories. Some
/// are workspace members, others carry their own workspace (to keep peer libraries out of
/// the CI build); `--manifest-path` runs either.
fn known() -> Result<Vec<(String, String)>> {
    let mut benches = Vec::new();
    let Ok(dir) = std::fs::read_dir(repo_root().join("benches")) else {
        return Ok(benches);
    };
    for entry in dir {
        let path = entry?.path();
        let manifest = path.join("Cargo.toml");
        let Some(name) = path.file_name().and_then(|n| n.to_str()) else {
            continue;
        };
        if manifest.is_file() {
            read_manifest(&manifest)?;
            benches.push((name.to_string(), manifest.display().to_string()));
        }
    }
    benches.sort();
    Ok(benches)
}

/// Runs benchmark `name`, passing `args` to it.
pub(crate) fn bench(name: Option<&str>, args: &[String]) -> Result<()> {
    let benches = known()?;
    let listing = if benches.is_empty() {
        "none yet (a benchmark is a crate benches/<name>)".to_string()
    } else {
        benches
            .iter()
            .map(|(n, _)| n.clone())
            .collect::<Vec<_>>()
            .join(", ")
    };
    let Some(name) = name else {
        bail!("usage: cargo xtask bench <name> [-- args]; known benchmarks: {listing}");
    };
    let Some((_, manifest)) = benches.iter().find(|(n, _)| n == name) else {
        bail!("unknown benchmark `{name}`; known benchmarks: {listing}");
    };
    let ctx = Ctx::new();
    let mut servers = EmulatorSet::start(&ctx, &emulators::enabled(&ctx)?)?;
    let result = run(cargo()
        .args(["run", "--release", "--manifest-path", manifest, "--"])
        .args(args)
        .envs(servers.env()));
    let stopped = servers.stop();
    result.and(stopped)
}
