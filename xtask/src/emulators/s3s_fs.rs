//! s3s-fs: an S3 server over a local directory, written in Rust (for `crates/backend-s3`).
//!
//! Installed with `cargo install --root target/emulators/s3s-fs`; each run serves a fresh
//! `data/` directory in its run directory and requires SigV4 with a fixed key pair.

use std::process::Command;

use super::process::free_port;
use super::{Ctx, Emulator, Running};
use crate::util::{Result, cargo, run};

/// The pinned crate version.
const VERSION: &str = "0.14.1";
/// Endpoint variable.
const ENDPOINT: &str = "REMOTE_STORE_S3_S3SFS_ENDPOINT";
/// Access key variable.
const ACCESS_KEY_VAR: &str = "REMOTE_STORE_S3_S3SFS_ACCESS_KEY";
/// Secret key variable.
const SECRET_KEY_VAR: &str = "REMOTE_STORE_S3_S3SFS_SECRET_KEY";
/// The access key the server accepts.
const ACCESS_KEY: &str = "AKEXAMPLE";
/// The secret key the server accepts.
const SECRET_KEY: &str = "SKEXAMPLE";

/// The s3s-fs server.
#[derive(Debug)]
pub(crate) struct S3sFs;

impl Emulator for S3sFs {
    fn name(&self) -> &'static str {
        "s3s-fs"
    }

    fn backend_crate(&self) -> &'static str {
        "backend-s3"
    }

    fn version(&self) -> &'static str {
        "s3s-fs 0.14.1"
    }

    fn env_vars(&self) -> &'static [(&'static str, &'static str)] {
        &[
            (ENDPOINT, "S3 endpoint URL, http://127.0.0.1:PORT"),
            (ACCESS_KEY_VAR, "access key id the server requires"),
            (SECRET_KEY_VAR, "secret access key the server requires"),
        ]
    }

    fn install(&self, ctx: &Ctx) -> Result<()> {
        let home = ctx.home(self.name());
        let bin = home.join("bin/s3s-fs");
        let installed = Command::new(&bin)
            .arg("--version")
            .output()
            .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == self.version());
        if installed {
            return Ok(());
        }
        eprintln!(
            "installing s3s-fs {VERSION} into {} (cargo install: a few minutes)",
            home.display()
        );
        run(cargo()
            .args(["install", "s3s-fs", "--version", VERSION])
            .args(["--locked", "--features", "binary", "--root"])
            .arg(&home))
    }

    fn start(&self, ctx: &Ctx) -> Result<Running> {
        let run = ctx.new_run_dir(self.name())?;
        let data = run.path.join("data");
        std::fs::create_dir_all(&data)?;
        let port = free_port()?;
        let mut cmd = Command::new(ctx.home(self.name()).join("bin/s3s-fs"));
        cmd.args(["--host", "127.0.0.1", "--port", &port.to_string()])
            .args(["--access-key", ACCESS_KEY, "--secret-key", SECRET_KEY])
            .arg(&data);
        let env = vec![
            (ENDPOINT.to_string(), format!("http://127.0.0.1:{port}")),
            (ACCESS_KEY_VAR.to_string(), ACCESS_KEY.to_string()),
            (SECRET_KEY_VAR.to_string(), SECRET_KEY.to_string()),
        ];
        Running::spawn(self.name(), &mut cmd, port, &run, env)
    }
}
