//! `config check`, `config path` and `completions`.

use std::io::{self, Write};

use clap::CommandFactory;
use remote_store::Error;

use super::Ctx;
use super::browse::ping_all;
use crate::cli::{Cli, Shell};
use crate::exit::{Failure, Outcome};
use crate::location::CONFIG_VAR;

/// `config check`: loads the config file (every problem is reported with the file and
/// table) and pings every store it names.
pub(super) fn check(ctx: &mut Ctx) -> Outcome {
    let Some(config) = ctx.resolver.config().cloned() else {
        return Err(no_config());
    };
    let names: Vec<String> = match ctx.resolver.registry()? {
        Some(registry) => registry.store_names().map(str::to_owned).collect(),
        None => {
            let e = Error::not_found(config.path.display().to_string()).with_message(format!(
                "no config file (give --config FILE or set {CONFIG_VAR})"
            ));
            return Err(e.into());
        }
    };
    let mut stores = Vec::new();
    for name in &names {
        let loc = ctx.resolve(&format!("{name}:"));
        stores.push((
            name.clone(),
            loc.map_err(|f| match f {
                Failure::Error(e) => e,
                other => Error::invalid_argument(other.to_string()),
            }),
        ));
    }
    let failed = ping_all(ctx, &stores)?;
    ctx.note(
        &crate::progress::Progress::hidden(),
        &format!(
            "config {}: {} store(s), {} answered",
            config.path.display(),
            names.len(),
            names.len() - failed.len()
        ),
    );
    Failure::of_batch(names.len(), &failed)
}

/// `config path`: the config file in use (it may not exist).
pub(super) fn path(ctx: &mut Ctx) -> Outcome {
    let Some(config) = ctx.resolver.config() else {
        return Err(no_config());
    };
    let mut out = io::stdout().lock();
    writeln!(out, "{}", config.path.display())?;
    Ok(())
}

fn no_config() -> Failure {
    Error::invalid_argument(format!(
        "no config file: give --config FILE or set {CONFIG_VAR} (no home directory to look in)"
    ))
    .into()
}

/// `completions`: a completion script for `shell` on stdout.
pub(super) fn completions(shell: Shell) -> Outcome {
    let mut command = Cli::command();
    let shell = match shell {
        Shell::Bash => clap_complete::Shell::Bash,
        Shell::Zsh => clap_complete::Shell::Zsh,
        Shell::Fish => clap_complete::Shell::Fish,
    };
    // Into memory first: the generator panics on a write error (a closed pipe).
    let mut script = Vec::new();
    clap_complete::generate(shell, &mut command, "rstore", &mut script);
    let mut out = io::stdout().lock();
    out.write_all(&script)?;
    out.flush()?;
    Ok(())
}
