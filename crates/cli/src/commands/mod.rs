//! The commands, each a function from parsed arguments to an [`Outcome`], and the
//! [`Ctx`] they share: the resolver and the global flags.

mod browse;
mod config;
mod transfer;

use std::io::{self, Write};
use std::time::SystemTime;

use remote_store::Error;
use serde::Serialize;

use crate::cli::{Cli, Command, ConfigCommand};
use crate::exit::{Failure, Outcome};
use crate::location::{Location, Resolver};
use crate::progress::{self, Progress};

/// What every command reads: the resolver and the global flags.
#[derive(Debug)]
pub(crate) struct Ctx {
    /// Resolves location strings.
    pub(crate) resolver: Resolver,
    /// `--json`.
    pub(crate) json: bool,
    /// `-q`.
    pub(crate) quiet: bool,
    /// `-P`.
    pub(crate) progress: bool,
    /// `--transfers`.
    pub(crate) transfers: usize,
    /// `--overwrite`.
    pub(crate) overwrite: bool,
}

impl Ctx {
    /// The context of a parsed command line.
    pub(crate) fn new(cli: &Cli, resolver: Resolver) -> Self {
        Ctx {
            resolver,
            json: cli.json,
            quiet: cli.quiet,
            progress: cli.progress,
            transfers: usize::from(cli.transfers),
            overwrite: cli.overwrite,
        }
    }

    /// Resolves a location string.
    pub(crate) fn resolve(&mut self, text: &str) -> Outcome<Location> {
        Ok(self.resolver.resolve(text)?)
    }

    /// Progress bars for `files` files of `bytes` bytes (hidden without `-P` or a terminal).
    pub(crate) fn bars(&self, files: usize, bytes: u64) -> Progress {
        Progress::new(progress::wanted(self.progress), files as u64, bytes)
    }

    /// Writes `value` as one line of JSON on stdout.
    pub(crate) fn print_json<T: Serialize>(&self, value: &T) -> Outcome {
        let mut out = io::stdout().lock();
        serde_json::to_writer(&mut out, value).map_err(io::Error::from)?;
        writeln!(out)?;
        out.flush()?;
        Ok(())
    }

    /// A summary line on stderr (not with `-q` or `--json`).
    pub(crate) fn note(&self, progress: &Progress, message: &str) {
        if !self.quiet && !self.json {
            progress.suspend(|| eprintln!("{message}"));
        }
    }

    /// One error of a batch, as one line on stderr.
    pub(crate) fn report(progress: &Progress, e: &Error) {
        progress.suspend(|| eprintln!("rstore: {e}"));
    }
}

/// Runs the command of `cli`.
pub(crate) fn run(cli: &Cli, ctx: &mut Ctx) -> Outcome {
    match &cli.command {
        Command::Ls(args) => browse::ls(ctx, args),
        Command::Stat(args) => browse::stat(ctx, &args.location),
        Command::Cat(args) => browse::cat(ctx, &args.locations),
        Command::Du(args) => browse::du(ctx, &args.locations),
        Command::Hashsum(args) => browse::hashsum(ctx, args),
        Command::Ping(args) => browse::ping(ctx, &args.locations),
        Command::Put(args) => transfer::put(ctx, args),
        Command::Get(args) => transfer::get(ctx, args),
        Command::Cp(args) => transfer::copy(ctx, args, transfer::Mode::Copy),
        Command::Mv(args) => transfer::copy(ctx, args, transfer::Mode::Move),
        Command::Rm(args) => transfer::rm(ctx, args),
        Command::Check(args) => transfer::check(ctx, args),
        Command::Sync(args) => transfer::sync(ctx, args),
        Command::Config(ConfigCommand::Check) => config::check(ctx),
        Command::Config(ConfigCommand::Path) => config::path(ctx),
        Command::Completions(args) => config::completions(args.shell),
    }
}

/// Runs `one` for each location of a multi-location command (`rm`, `cat`, `du`,
/// `hashsum`). With one location, its error is the command's; with several, an error is
/// reported on its own line and the other locations still run. Returns what succeeded and
/// the kinds of what failed (for [`Failure::of_batch`]); a closed stdout ends it at once.
pub(super) fn each_location<T>(
    texts: &[String],
    mut one: impl FnMut(&str) -> Outcome<T>,
) -> Outcome<(Vec<T>, Vec<remote_store::ErrorKind>)> {
    let (mut done, mut failed) = (Vec::new(), Vec::new());
    for text in texts {
        match one(text) {
            Ok(v) => done.push(v),
            Err(Failure::Error(e)) if texts.len() > 1 => {
                Ctx::report(&Progress::hidden(), &e);
                failed.push(e.kind());
            }
            Err(other) => return Err(other),
        }
    }
    Ok((done, failed))
}

/// A time as RFC 3339 (UTC, seconds).
pub(crate) fn time(t: Option<SystemTime>) -> Option<String> {
    t.map(|t| humantime::format_rfc3339_seconds(t).to_string())
}
