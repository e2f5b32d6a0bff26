//! Azurite: Microsoft's Azure Storage emulator, blob service only (for `crates/backend-azure`).
//!
//! Installed with npm under `target/emulators/azurite`; each run stores its data in a fresh
//! `data/` directory. Clients use the well-known development account `devstoreaccount1`.

use std::process::Command;

use super::process::free_port;
use super::{Ctx, Emulator, Running};
use crate::util::{Result, apt_install, run, which};

/// The pinned npm package (3.36+ needs Node 21+, 3.37+ Node 22+; 3.35 runs on Node 20).
const PACKAGE: &str = "azurite@3.35.0";
/// Endpoint variable.
const ENDPOINT: &str = "REMOTE_STORE_AZURITE_ENDPOINT";
/// Account name variable.
const ACCOUNT_VAR: &str = "REMOTE_STORE_AZURITE_ACCOUNT";
/// Account key variable.
const KEY_VAR: &str = "REMOTE_STORE_AZURITE_KEY";
/// Azurite's built-in development account.
const ACCOUNT: &str = "devstoreaccount1";
/// The public, documented key of the development account.
const KEY: &str =
    "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";

/// The Azurite blob server.
#[derive(Debug)]
pub(crate) struct Azurite;

impl Emulator for Azurite {
    fn name(&self) -> &'static str {
        "azurite"
    }

    fn backend_crate(&self) -> &'static str {
        "backend-azure"
    }

    fn version(&self) -> &'static str {
        PACKAGE
    }

    fn env_vars(&self) -> &'static [(&'static str, &'static str)] {
        &[
            (
                ENDPOINT,
                "blob endpoint incl. account, http://127.0.0.1:PORT/devstoreaccount1",
            ),
            (ACCOUNT_VAR, "account name (devstoreaccount1)"),
            (
                KEY_VAR,
                "account key (Azurite's well-known development key)",
            ),
        ]
    }

    fn install(&self, ctx: &Ctx) -> Result<()> {
        let home = ctx.home(self.name());
        let bin = home.join("node_modules/.bin/azurite-blob");
        if ctx.is_installed(self.name(), PACKAGE, &bin) {
            return Ok(());
        }
        if which("npm").is_none() {
            apt_install(&["nodejs", "npm"])?;
        }
        eprintln!("installing {PACKAGE} into {}", home.display());
        std::fs::create_dir_all(&home)?;
        run(Command::new("npm")
            .args(["install", "--prefix"])
            .arg(&home)
            .args(["--no-audit", "--no-fund", "--save-exact", PACKAGE]))?;
        ctx.mark_installed(self.name(), PACKAGE)
    }

    fn start(&self, ctx: &Ctx) -> Result<Running> {
        let run = ctx.new_run_dir(self.name())?;
        let data = run.path.join("data");
        std::fs::create_dir_all(&data)?;
        let port = free_port()?;
        let mut cmd = Command::new(ctx.home(self.name()).join("node_modules/.bin/azurite-blob"));
        cmd.args(["--blobHost", "127.0.0.1", "--blobPort", &port.to_string()])
            .arg("--location")
            .arg(&data)
            .args(["--skipApiVersionCheck", "--disableTelemetry"]);
        let env = vec![
            (
                ENDPOINT.to_string(),
                format!("http://127.0.0.1:{port}/{ACCOUNT}"),
            ),
            (ACCOUNT_VAR.to_string(), ACCOUNT.to_string()),
            (KEY_VAR.to_string(), KEY.to_string()),
        ];
        Running::spawn(self.name(), &mut cmd, port, &run, env)
    }
}
