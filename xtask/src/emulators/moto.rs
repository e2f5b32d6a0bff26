//! moto: a Python mock of AWS, serving S3 over HTTP (for `crates/backend-s3`).
//!
//! Installed with pip into the venv `target/emulators/moto/venv`; data lives in memory.

use std::process::Command;

use super::process::free_port;
use super::{Ctx, Emulator, Running};
use crate::util::{Result, apt_install, run};

/// The pinned pip requirement.
const REQUIREMENT: &str = "moto[server]==5.2.5";
/// Endpoint variable.
const ENDPOINT: &str = "REMOTE_STORE_S3_MOTO_ENDPOINT";

/// Starts `moto_server` (its arguments follow) with one lookup memoised: for every
/// request, moto 5.2 asks whether the request's host names one of its service modules by
/// listing its package directory and `stat`ing each of the ~180 entries.
/// Under `cProfile` that was 39 % of the time moto spent in its application; the
/// listing cannot change while the server runs. Measured with 900 boto3 requests
/// (list, put, get): moto's CPU 4.62 s → 3.25 s. moto is the slowest server of the
/// suite (milliseconds of CPU per request), and the S3 cells on it wait for it.
/// An `AttributeError` here (a moto upgrade renamed the function) stops the start.
const LAUNCHER: &str = "import moto.backends as b; m = frozenset(b.list_of_moto_modules()); \
                        b.list_of_moto_modules = lambda: m; \
                        from moto.server import main; main()";

/// The moto server.
#[derive(Debug)]
pub(crate) struct Moto;

impl Emulator for Moto {
    fn name(&self) -> &'static str {
        "moto"
    }

    fn backend_crate(&self) -> &'static str {
        "backend-s3"
    }

    fn version(&self) -> &'static str {
        REQUIREMENT
    }

    fn env_vars(&self) -> &'static [(&'static str, &'static str)] {
        &[(
            ENDPOINT,
            "S3 endpoint URL, http://127.0.0.1:PORT (any credentials are accepted)",
        )]
    }

    fn install(&self, ctx: &Ctx) -> Result<()> {
        let home = ctx.home(self.name());
        let venv = home.join("venv");
        if ctx.is_installed(self.name(), REQUIREMENT, &venv.join("bin/moto_server")) {
            return Ok(());
        }
        eprintln!("installing {REQUIREMENT} into {}", venv.display());
        if !venv.join("bin/python").exists() {
            let mut make_venv = Command::new("python3");
            make_venv.args(["-m", "venv"]).arg(&venv);
            if run(&mut make_venv).is_err() {
                // Debian's python3 ships without `venv`/`ensurepip`.
                apt_install(&["python3-venv"])?;
                let _ = std::fs::remove_dir_all(&venv);
                run(&mut make_venv)?;
            }
        }
        run(Command::new(venv.join("bin/python")).args([
            "-m",
            "pip",
            "install",
            "--quiet",
            "--disable-pip-version-check",
            REQUIREMENT,
        ]))?;
        ctx.mark_installed(self.name(), REQUIREMENT)
    }

    fn start(&self, ctx: &Ctx) -> Result<Running> {
        let run = ctx.new_run_dir(self.name())?;
        let port = free_port()?;
        let mut cmd = Command::new(ctx.home(self.name()).join("venv/bin/python"));
        cmd.args(["-c", LAUNCHER, "-H", "127.0.0.1", "-p", &port.to_string()]);
        let env = vec![(ENDPOINT.to_string(), format!("http://127.0.0.1:{port}"))];
        Running::spawn(self.name(), &mut cmd, port, &run, env)
    }
}
