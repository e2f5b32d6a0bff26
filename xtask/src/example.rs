//! `cargo xtask example <name>`: builds and runs the example crate `examples/<name>` (its own
//! workspace, so that heavy dependencies such as DataFusion never slow the main build)
//! against the enabled emulators. `cargo xtask test` runs every example the same way, while
//! the emulators of the test run are still up; an example checks its own results and exits
//! non-zero when they are wrong. It builds them in the background while the test suite
//! runs ([`prebuild`]).

use std::path::PathBuf;
use std::process::Command;

use crate::background::Background;
use crate::emulators::{self, Ctx, EmulatorSet};
use crate::util::{Result, bail, cargo, repo_root, run};

/// Known examples: the directories `examples/<name>` that hold a `Cargo.toml`, sorted.
pub(crate) fn known() -> Result<Vec<String>> {
    let mut names = Vec::new();
    let Ok(dir) = std::fs::read_dir(repo_root().join("examples")) else {
        return Ok(names);
    };
    for entry in dir {
        let path = entry?.path();
        if path.join("Cargo.toml").is_file()
            && let Some(name) = path.file_name().and_then(|n| n.to_str())
        {
            names.push(name.to_string());
        }
    }
    names.sort();
    Ok(names)
}

/// `cargo xtask example <name>`: starts the emulators, runs the example, stops them.
pub(crate) fn example(name: Option<&str>) -> Result<()> {
    let names = known()?;
    let Some(name) = name else {
        bail!(
            "usage: cargo xtask example <name>; known examples: {}",
            names.join(", ")
        );
    };
    if !names.iter().any(|n| n == name) {
        bail!(
            "unknown example `{name}`; known examples: {}",
            names.join(", ")
        );
    }
    let ctx = Ctx::new();
    let mut servers = EmulatorSet::start(&ctx, &emulators::enabled(&ctx)?)?;
    let result = run_one(name, &servers.env());
    let stopped = servers.stop();
    result.and(stopped)
}

/// Checks the formatting of example `name`, builds it and runs it with `env` (the emulator
/// variables). Its target directory lives under the main one (`target/example-<name>`), so
/// a second run reuses the build. Not `--locked`: the example's lockfile pins DataFusion, and
/// cargo adds to it whatever a workspace crate has started to depend on since.
pub(crate) fn run_one(name: &str, env: &[(String, String)]) -> Result<()> {
    let (manifest, target) = paths(name);
    run(cargo()
        .args(["fmt", "--check", "--manifest-path"])
        .arg(&manifest))?;
    run(cargo()
        .args(["run", "--manifest-path"])
        .arg(&manifest)
        .arg("--target-dir")
        .arg(&target)
        .envs(env.iter().map(|(k, v)| (k, v))))
}

/// Example `name`'s manifest and target directory.
fn paths(name: &str) -> (PathBuf, PathBuf) {
    let root = repo_root();
    let manifest = root.join("examples").join(name).join("Cargo.toml");
    let target = root.join("target").join(format!("example-{name}"));
    (manifest, target)
}

/// Starts building examples `names` in the background at idle priority (see
/// [`Background`]), for [`run_one`]'s `cargo run` to find up to date, then `after`.
pub(crate) fn prebuild(names: &[String], after: Vec<Command>) -> Background {
    let mut commands: Vec<Command> = names
        .iter()
        .map(|name| {
            let (manifest, target) = paths(name);
            let mut build = cargo();
            build
                .args(["build", "--manifest-path"])
                .arg(&manifest)
                .arg("--target-dir")
                .arg(&target);
            build
        })
        .collect();
    let what = match (names.is_empty(), after.is_empty()) {
        (false, true) => format!("building the examples ({})", names.join(", ")),
        (false, false) => format!(
            "building the examples ({}), then what a later step needs",
            names.join(", ")
        ),
        (true, _) => "building what a later step needs".to_owned(),
    };
    commands.extend(after);
    Background::start(
        &what,
        repo_root().join("target").join("background-builds.log"),
        commands,
    )
}
