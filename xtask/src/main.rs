//! Project automation for remote-store, run as `cargo xtask <command>`.
//!
//! - `cargo xtask test` — everything CI checks, in order, failing fast: fmt, clippy, rustdoc
//!   (and that the facade's docs show no SDK module), per-feature backend and facade builds,
//!   the sync-only dependency tree (no tokio), then the whole test suite and every example crate
//!   (`examples/<name>`, e.g. DataFusion over SFTP and S3) against freshly started emulators
//!   (stopped again afterwards, also on failure), then cargo-deny.
//! - `cargo xtask lint` — the same without the tests.
//! - `cargo xtask emulators start|stop|status|install|list` — manage the emulators by hand.
//! - `cargo xtask bench <name>` — run a benchmark crate.
//! - `cargo xtask example <name>` — build and run an example crate against the emulators.
//! - `cargo xtask windows` — clippy for Windows of every crate but the (Unix-only) local
//!   backend; not part of `test`.
//!
//! Everything it installs is cached under `target/` (`target/emulators`, `target/tools`). The
//! crate has no dependencies so that it builds in seconds on a fresh machine.

mod background;
mod bench;
mod checks;
mod emulators;
mod example;
mod util;

use std::io::Write as _;
use std::process::{Command, ExitCode};

use crate::emulators::{Ctx, EmulatorSet};
use crate::util::{Result, Steps, bail, cargo, repo_root, run};

/// Set for the test run so that a missing emulator fails a test instead of skipping it.
const REQUIRE_EMULATORS_VAR: &str = "REMOTE_STORE_REQUIRE_EMULATORS";

/// Printed by `cargo xtask help`.
const USAGE: &str = "\
usage: cargo xtask <command>

commands:
  test [--no-lint] [-- <cargo test args>]
        fmt, clippy, doc, feature builds, sync-only tree, tests and examples with emulators,
        cargo-deny (what CI runs).
        --no-lint (dev only, never in CI): just start the emulators and run the tests;
        extra arguments after `--` go to `cargo test`.
  lint  fmt, clippy, doc, feature builds, sync-only tree, cargo-deny.
  emulators start [NAME...]   start the enabled emulators, write target/emulators/state.env
                              and print `export` lines (eval \"$(cargo xtask emulators start)\")
  emulators stop              stop what `emulators start` started
  emulators status            show whether they are up (non-zero exit if not)
  emulators install [NAME...] install without starting
  emulators list              all definitions, whether enabled, the variables they export
  bench <NAME> [-- <args>]    run benchmark crate benches/<NAME> (release) with emulators
  example <NAME>              build and run example crate examples/<NAME> with emulators
                              (`test` runs every example after the test suite)
  windows                     clippy for x86_64-pc-windows-gnu of every crate but the local
                              backend (Unix only); installs the target and MinGW if missing

An emulator is enabled when its backend crate exists (crates/backend-s3: moto and s3s-fs,
crates/backend-azure: azurite, crates/backend-sftp: sshd); XTASK_FORCE_EMULATORS=moto,sshd
(or =all) enables definitions regardless.";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match dispatch(&args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("\nxtask: error: {e}");
            ExitCode::FAILURE
        }
    }
}

/// Runs the command named by `args`.
fn dispatch(args: &[String]) -> Result<()> {
    let (command, rest) = match args.split_first() {
        Some((command, rest)) => (command.as_str(), rest),
        None => ("help", &[][..]),
    };
    match command {
        "test" => test(rest),
        "lint" => {
            if !rest.is_empty() {
                bail!("`lint` takes no arguments");
            }
            lint()
        }
        "emulators" => emulators::cli(rest),
        "bench" => {
            let (name, extra) = split_extra(rest);
            if name.len() > 1 {
                bail!("`bench` takes one name (extra arguments go after `--`)");
            }
            bench::bench(name.first().map(String::as_str), extra)
        }
        "example" => {
            if rest.len() > 1 {
                bail!("`example` takes one name");
            }
            example::example(rest.first().map(String::as_str))
        }
        "windows" => {
            if !rest.is_empty() {
                bail!("`windows` takes no arguments");
            }
            checks::windows()
        }
        "help" | "-h" | "--help" => {
            // A closed pipe (`cargo xtask help | head`) is not worth a panic.
            let _ = writeln!(std::io::stdout(), "{USAGE}");
            Ok(())
        }
        other => bail!("unknown command `{other}`\n\n{USAGE}"),
    }
}

/// Splits `args` at the first `--` into (own arguments, pass-through arguments).
fn split_extra(args: &[String]) -> (&[String], &[String]) {
    match args.iter().position(|a| a == "--") {
        Some(i) => (&args[..i], &args[i + 1..]),
        None => (args, &[]),
    }
}

/// `cargo xtask lint`.
fn lint() -> Result<()> {
    let root = repo_root();
    let mut steps = Steps::new(7);
    steps.run("fmt", checks::fmt)?;
    steps.run("clippy", checks::clippy)?;
    steps.run("doc", || checks::doc(&root))?;
    steps.run("feature builds", || checks::features(&root))?;
    steps.run("sync-only tree", checks::sync_only_tree)?;
    steps.run("config trees", checks::config_trees)?;
    steps.run("cargo-deny", || checks::deny(&root))?;
    steps.summary();
    Ok(())
}

/// `cargo xtask test [--no-lint] [-- <cargo test args>]`.
fn test(args: &[String]) -> Result<()> {
    let (own, extra) = split_extra(args);
    let mut no_lint = false;
    for arg in own {
        match arg.as_str() {
            "--no-lint" => no_lint = true,
            other => {
                bail!("unknown `test` argument `{other}` (cargo test arguments go after `--`)")
            }
        }
    }
    let root = repo_root();
    warn_if_low_on_disk(&root);
    let mut steps = Steps::new(if no_lint { 1 } else { 8 });
    if !no_lint {
        steps.run("fmt", checks::fmt)?;
        steps.run("clippy", checks::clippy)?;
        steps.run("doc", || checks::doc(&root))?;
        steps.run("feature builds", || checks::features(&root))?;
        steps.run("sync-only tree", checks::sync_only_tree)?;
        steps.run("config trees", checks::config_trees)?;
    }
    // cargo-deny is installed in the background while the tests run, and checks after them.
    let deny_install = if no_lint {
        None
    } else {
        checks::deny_install(&root)
    };
    steps.run("tests and examples with emulators", || {
        run_tests(extra, deny_install)
    })?;
    if !no_lint {
        steps.run("cargo-deny", || checks::deny(&root))?;
    }
    steps.summary();
    Ok(())
}

/// Warns, before hours of building, when the disk holding the checkout is nearly full: a
/// build that runs out of space fails late and with a linker's error.
fn warn_if_low_on_disk(root: &std::path::Path) {
    if let Some(free) = util::free_kib(root)
        && free < util::LOW_DISK_KIB
    {
        eprintln!(
            "warning: only {:.1} GiB free on the disk holding {}; `cargo xtask test` needs \
             about {} GiB (debug builds, docs, emulator data). Free space first, e.g. \
             `cargo clean`, or remove old checkouts and `target/emulators/*/run-*`.",
            free as f64 / 1024.0 / 1024.0,
            root.display(),
            util::LOW_DISK_KIB / 1024 / 1024,
        );
    }
}

/// Starts the enabled emulators, runs the whole test suite and then every example crate
/// against them (unless `extra` narrows the test run), stops them. The examples are built
/// in the background while the suite runs, and `then` (a later step's install) after them.
fn run_tests(extra: &[String], then: Option<Command>) -> Result<()> {
    let ctx = Ctx::new();
    let examples = if extra.is_empty() {
        example::known()?
    } else {
        Vec::new()
    };
    // Dropping `prebuild` stops it, and dropping `servers` stops them, also on an early
    // return or a panic.
    let prebuild = example::prebuild(&examples, then.into_iter().collect());
    let mut servers = EmulatorSet::start(&ctx, &emulators::enabled(&ctx)?)?;
    let env = servers.env();
    let mut result = run(cargo()
        .args(["test", "--workspace", "--all-features"])
        .args(extra)
        .env(REQUIRE_EMULATORS_VAR, "1")
        .envs(env.iter().map(|(k, v)| (k, v))));
    if result.is_ok() && extra.is_empty() {
        // The config crate's "backend feature off" errors are only compiled without
        // `--all-features`: its unit tests once more with the local backends only.
        result = run(cargo().args([
            "test",
            "-p",
            "remote-store-config",
            "--no-default-features",
            "--features",
            "memory,local",
            "--lib",
        ]));
    }
    if result.is_ok() {
        // A failed background build is built again (and shown) by `cargo run`.
        prebuild.wait();
        for name in examples {
            result = example::run_one(&name, &env);
            if result.is_err() {
                break;
            }
        }
    }
    let stopped = servers.stop();
    result.and(stopped)
}
