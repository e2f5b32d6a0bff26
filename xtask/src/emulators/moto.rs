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
        let mut cmd = Command::new(ctx.home(self.name()).join("venv/bin/moto_server"));
        cmd.args(["-H", "127.0.0.1", "-p", &port.to_string()]);
        let env = vec![(ENDPOINT.to_string(), format!("http://127.0.0.1:{port}"))];
        Running::spawn(self.name(), &mut cmd, port, &run, env)
    }
}
