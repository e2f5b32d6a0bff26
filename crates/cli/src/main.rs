//! # rstore
//!
//! A command-line tool over any store remote-store reaches: local folders, S3, Azure
//! Blob and SFTP, named in a config file (`NAME:path`) or given by URL. It lists, reads,
//! writes, copies trees between any two stores, checks copies, mirrors folders and
//! deletes, with progress bars on a terminal, JSON for scripts and an exit code per kind
//! of failure. See `docs/cli.md`.
//!
//! The tool is a thin skin over the blocking `Store`: [`cli`] parses the command line,
//! [`location`] turns location strings into stores, [`commands`] runs each command,
//! [`tree`] and [`hash`] do the many-file work (the transfer crate will take them over),
//! [`exit`] maps failures to exit codes.

#![warn(missing_docs)]

mod cli;
mod commands;
mod exit;
mod hash;
mod interrupt;
mod location;
mod progress;
mod tree;

use std::process::ExitCode;

use clap::Parser;
use tracing::level_filters::LevelFilter;
use tracing_subscriber::filter::Targets;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;

use crate::cli::Cli;
use crate::commands::Ctx;
use crate::exit::Failure;
use crate::location::{ConfigPath, Resolver};

fn main() -> ExitCode {
    let cli = Cli::parse();
    let level = match (cli.quiet, cli.verbose) {
        (true, _) => LevelFilter::ERROR,
        (false, 0) => LevelFilter::WARN,
        (false, 1) => LevelFilter::INFO,
        (false, 2) => LevelFilter::DEBUG,
        (false, _) => LevelFilter::TRACE,
    };
    // The library's and the tool's own events at the chosen level; the SDKs' below it
    // until `-vv` (aws-config warns about every credential source it tried and found
    // nothing in — a screenful of noise before the one-line error that says so).
    let others = match (cli.quiet, cli.verbose) {
        (false, 0) | (true, _) => LevelFilter::ERROR,
        (false, 1) => LevelFilter::WARN,
        (false, _) => level,
    };
    let targets = Targets::new()
        .with_default(others)
        .with_target("remote_store", level)
        .with_target(env!("CARGO_CRATE_NAME"), level);
    tracing_subscriber::fmt()
        .with_max_level(level)
        .with_writer(std::io::stderr)
        // Plain text, also when another crate of a build turns on the subscriber's `ansi`
        // feature (a workspace test build does): stderr is read by scripts and tests.
        .with_ansi(false)
        .finish()
        .with(targets)
        .init();
    // Only the commands that write stop cleanly; the others (listings, reads, deletes of
    // single objects) keep the default: Ctrl-C ends them at once, which loses nothing.
    if cli.command.writes() {
        interrupt::install();
    }
    let resolver = Resolver::new(ConfigPath::choose(cli.config.as_deref()));
    let mut ctx = Ctx::new(&cli, resolver);
    let outcome = commands::run(&cli, &mut ctx);
    ctx.resolver.close();
    if interrupt::interrupted() && outcome.is_err() {
        // Stopped part-way: the copies in flight were abandoned (nothing of them kept),
        // the ones done stay. A command that finished anyway reports as usual.
        eprintln!("rstore: interrupted");
        return ExitCode::from(interrupt::EXIT_CODE);
    }
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(failure) => {
            match &failure {
                Failure::Error(e) => eprintln!("rstore: {e}"),
                Failure::Partial { total, .. } if *total > 1 => eprintln!("rstore: {failure}"),
                _ => {}
            }
            ExitCode::from(failure.code())
        }
    }
}
