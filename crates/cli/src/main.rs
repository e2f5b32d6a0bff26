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
//! [`exit`] maps failures to exit codes, [`log`] sets up the log on stderr.

#![warn(missing_docs)]

mod cli;
mod commands;
mod exit;
mod hash;
mod interrupt;
mod location;
mod log;
mod progress;
mod tree;

use std::process::ExitCode;

use clap::Parser;

use crate::cli::Cli;
use crate::commands::Ctx;
use crate::exit::Failure;
use crate::location::{ConfigPath, Resolver};

fn main() -> ExitCode {
    let cli = Cli::parse();
    log::init(cli.quiet, cli.verbose);
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
