//! OpenSSH's sshd serving SFTP on 127.0.0.1 (for `crates/backend-sftp`).
//!
//! Needs root: it installs `openssh-server` with apt-get if `/usr/sbin/sshd` is missing and
//! creates the test user `rstest`. Each run gets fresh host and client ed25519 keys and its own
//! `sshd_config` in the run directory, and a fresh, empty SFTP base directory owned by the
//! test user under `~rstest/xtask-sshd/<run id>/data`. Only public-key login is allowed.
//!
//! `~rstest/xtask-sshd` is shared by every checkout on the machine, so each user-side run
//! directory records its owner (the run directory under this checkout's `target/`, in
//! [`OWNER_FILE`]), and a start prunes only directories it owns whose run is over.

use std::path::{Path, PathBuf};
use std::process::Command;

use super::process::free_port;
use super::{Ctx, Emulator, Running, run_alive, run_ids};
use crate::util::{Context, Result, apt_install, bail, run, succeeds, which};

/// The sshd binary (sshd insists on being started by absolute path).
const SSHD: &str = "/usr/sbin/sshd";
/// The login the tests use.
const USER: &str = "rstest";

/// Host variable.
const HOST_VAR: &str = "REMOTE_STORE_SFTP_HOST";
/// Port variable.
const PORT_VAR: &str = "REMOTE_STORE_SFTP_PORT";
/// User variable.
const USER_VAR: &str = "REMOTE_STORE_SFTP_USER";
/// Client private key variable.
const KEY_VAR: &str = "REMOTE_STORE_SFTP_KEY";
/// Host public key variable.
const HOST_KEY_PUB_VAR: &str = "REMOTE_STORE_SFTP_HOST_KEY_PUB";
/// Base directory variable.
const BASE_VAR: &str = "REMOTE_STORE_SFTP_BASE";
/// The file in a user-side run directory that names the run directory (under some
/// checkout's `target/emulators/sshd`) it belongs to.
const OWNER_FILE: &str = "xtask-owner";

/// The sshd server.
#[derive(Debug)]
pub(crate) struct Sshd;

impl Emulator for Sshd {
    fn name(&self) -> &'static str {
        "sshd"
    }

    fn backend_crate(&self) -> &'static str {
        "backend-sftp"
    }

    fn version(&self) -> &'static str {
        "OpenSSH sshd (system package openssh-server)"
    }

    fn env_vars(&self) -> &'static [(&'static str, &'static str)] {
        &[
            (HOST_VAR, "host to connect to (127.0.0.1)"),
            (PORT_VAR, "SSH port"),
            (USER_VAR, "login name (rstest)"),
            (
                KEY_VAR,
                "path of the client's ed25519 private key (no passphrase)",
            ),
            (
                HOST_KEY_PUB_VAR,
                "path of the server's ed25519 public host key (for strict host-key checks)",
            ),
            (
                BASE_VAR,
                "absolute path of an empty directory the user owns: the store root",
            ),
        ]
    }

    fn install(&self, _ctx: &Ctx) -> Result<()> {
        let uid = Command::new("id").arg("-u").output()?;
        if String::from_utf8_lossy(&uid.stdout).trim() != "0" {
            bail!("the sshd emulator must run as root (it creates user {USER} and runs sshd)");
        }
        if !Path::new(SSHD).exists() {
            apt_install(&["openssh-server"])?;
        }
        if which("ssh-keygen").is_none() {
            apt_install(&["openssh-client"])?;
        }
        if !succeeds(Command::new("id").args(["-u", USER])) {
            eprintln!("creating user {USER}");
            run(Command::new("useradd").args(["-m", USER]))?;
        }
        // `useradd` leaves the password locked ("!"), and without PAM sshd refuses locked
        // accounts even for key logins: "*" means "no password" without locking.
        let shadow = std::fs::read_to_string("/etc/shadow").unwrap_or_default();
        let locked = shadow
            .lines()
            .find_map(|l| l.strip_prefix(USER)?.strip_prefix(':'))
            .is_none_or(|hash| hash.starts_with('!'));
        if locked {
            run(Command::new("usermod").args(["-p", "*", USER]))?;
        }
        Ok(())
    }

    fn start(&self, ctx: &Ctx) -> Result<Running> {
        let run_dir = ctx.new_run_dir(self.name())?;
        let dir = &run_dir.path;

        // The user-side directory must be reachable by the user (the repository may sit
        // under a private home such as /root): it holds authorized_keys and the SFTP root.
        let user_home = user_home()?;
        let user_runs = user_home.join("xtask-sshd");
        prune_user_runs(&user_runs, &ctx.home(self.name()));
        let user_dir = user_runs.join(&run_dir.id);
        let base = user_dir.join("data");
        std::fs::create_dir_all(&base).context(format_args!("creating {}", base.display()))?;
        record_owner(&user_dir, dir)?;

        for (key, comment) in [("host_ed25519", "xtask-host"), ("client_ed25519", "xtask")] {
            run(Command::new("ssh-keygen")
                .args(["-q", "-t", "ed25519", "-N", "", "-C", comment, "-f"])
                .arg(dir.join(key)))?;
        }
        std::fs::copy(
            dir.join("client_ed25519.pub"),
            user_dir.join("authorized_keys"),
        )?;
        run(Command::new("chown")
            .arg(format!("{USER}:"))
            .arg(&user_runs)
            .arg(&user_dir)
            .arg(&base)
            .arg(user_dir.join("authorized_keys")))?;
        // The privilege-separation directory sshd expects.
        std::fs::create_dir_all("/run/sshd")?;

        let port = free_port()?;
        let config = dir.join("sshd_config");
        std::fs::write(&config, sshd_config(port, dir, &user_dir))?;
        let check = Command::new(SSHD)
            .arg("-t")
            .arg("-f")
            .arg(&config)
            .output()?;
        if !check.status.success() {
            bail!(
                "sshd rejected {}:\n{}",
                config.display(),
                String::from_utf8_lossy(&check.stderr)
            );
        }

        let mut cmd = Command::new(SSHD);
        cmd.args(["-D", "-e", "-f"]).arg(&config);
        let path = |p: PathBuf| p.to_string_lossy().into_owned();
        let env = vec![
            (HOST_VAR.to_string(), "127.0.0.1".to_string()),
            (PORT_VAR.to_string(), port.to_string()),
            (USER_VAR.to_string(), USER.to_string()),
            (KEY_VAR.to_string(), path(dir.join("client_ed25519"))),
            (
                HOST_KEY_PUB_VAR.to_string(),
                path(dir.join("host_ed25519.pub")),
            ),
            (BASE_VAR.to_string(), path(base)),
        ];
        Running::spawn(self.name(), &mut cmd, port, &run_dir, env)
    }
}

/// The configuration of one run: loopback only, public keys only, SFTP only for [`USER`],
/// with room for the many parallel connections the concurrency tests open.
fn sshd_config(port: u16, dir: &Path, user_dir: &Path) -> String {
    let dir = dir.display();
    let user_dir = user_dir.display();
    format!(
        "# written by cargo xtask (emulator sshd)\n\
         Port {port}\n\
         ListenAddress 127.0.0.1\n\
         HostKey {dir}/host_ed25519\n\
         PidFile {dir}/sshd.pid\n\
         AuthorizedKeysFile {user_dir}/authorized_keys\n\
         StrictModes no\n\
         UsePAM no\n\
         PasswordAuthentication no\n\
         KbdInteractiveAuthentication no\n\
         PubkeyAuthentication yes\n\
         PermitRootLogin no\n\
         AllowUsers {USER}\n\
         Subsystem sftp internal-sftp\n\
         MaxStartups 512\n\
         MaxSessions 512\n\
         UseDNS no\n\
         PrintMotd no\n"
    )
}

/// The test user's home directory, from `getent passwd`.
fn user_home() -> Result<PathBuf> {
    let out = Command::new("getent").args(["passwd", USER]).output()?;
    let line = String::from_utf8_lossy(&out.stdout);
    match line.trim().split(':').nth(5) {
        Some(home) if out.status.success() && !home.is_empty() => Ok(PathBuf::from(home)),
        _ => bail!("cannot find the home directory of {USER} (getent passwd {USER})"),
    }
}

/// Records in `user_dir` that it belongs to the run directory `run_dir`.
fn record_owner(user_dir: &Path, run_dir: &Path) -> Result<()> {
    let owner = std::fs::canonicalize(run_dir)?;
    let file = user_dir.join(OWNER_FILE);
    std::fs::write(&file, format!("{}\n", owner.display()))
        .context(format_args!("writing {}", file.display()))
}

/// Removes the user-side run directories in `user_runs` that this checkout created (their
/// owner is a run directory under `home`, this checkout's `target/emulators/sshd`) and whose
/// run is over: its run directory was pruned, or its server is dead. Directories of other
/// checkouts, and old ones that record no owner, are never touched — another checkout's
/// sshd may be serving them right now.
fn prune_user_runs(user_runs: &Path, home: &Path) {
    let Ok(home) = std::fs::canonicalize(home) else {
        // No runs of this checkout yet: nothing here can be ours.
        return;
    };
    for id in run_ids(user_runs) {
        let dir = user_runs.join(&id);
        let Ok(owner) = std::fs::read_to_string(dir.join(OWNER_FILE)) else {
            continue;
        };
        let owner = PathBuf::from(owner.trim_end_matches('\n'));
        if owner.parent() != Some(home.as_path()) {
            continue;
        }
        let over = !owner.is_dir() || run_alive(&owner) == Some(false);
        if over && let Err(e) = std::fs::remove_dir_all(&dir) {
            eprintln!("warning: could not remove {}: {e}", dir.display());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::process::CommandExt;

    /// A scratch directory (xtask has no dev-dependencies), removed on drop.
    struct Scratch(PathBuf);

    impl Scratch {
        fn new(tag: &str) -> Self {
            let dir = std::env::temp_dir().join(format!(
                "xtask-sshd-{tag}-{}-{:?}",
                std::process::id(),
                std::thread::current().id()
            ));
            let _ = std::fs::remove_dir_all(&dir);
            std::fs::create_dir_all(&dir).unwrap();
            Scratch(dir)
        }
    }

    impl Drop for Scratch {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }

    /// A run of checkout `home` named `id`, with its user-side directory in `user_runs`;
    /// `pid` is written to its `xtask.pid` when given.
    fn plant(home: &Path, user_runs: &Path, id: &str, pid: Option<u32>) -> PathBuf {
        let run = home.join(id);
        std::fs::create_dir_all(&run).unwrap();
        if let Some(pid) = pid {
            std::fs::write(run.join("xtask.pid"), format!("{pid}\n")).unwrap();
        }
        let user_dir = user_runs.join(id);
        std::fs::create_dir_all(user_dir.join("data")).unwrap();
        record_owner(&user_dir, &run).unwrap();
        user_dir
    }

    #[test]
    fn a_second_checkout_prunes_only_its_own_dead_runs() {
        let scratch = Scratch::new("prune");
        let first = scratch.0.join("first/target/emulators/sshd");
        let second = scratch.0.join("second/target/emulators/sshd");
        let user_runs = scratch.0.join("home-rstest/xtask-sshd");
        // A live server (its own process group, as `Running::spawn` makes it) and a dead one.
        let mut live = Command::new("sleep")
            .arg("60")
            .process_group(0)
            .spawn()
            .unwrap();
        let mut dead = Command::new("true").process_group(0).spawn().unwrap();
        let dead_pid = dead.id();
        dead.wait().unwrap();

        let first_live = plant(&first, &user_runs, "run-1-1", Some(live.id()));
        let first_dead = plant(&first, &user_runs, "run-1-2", Some(dead_pid));
        let first_starting = plant(&first, &user_runs, "run-1-3", None);
        let first_pruned = plant(&first, &user_runs, "run-1-4", None);
        std::fs::remove_dir_all(first.join("run-1-4")).unwrap();
        let second_dead = plant(&second, &user_runs, "run-2-1", Some(dead_pid));
        let legacy = user_runs.join("run-0-legacy");
        std::fs::create_dir_all(legacy.join("data")).unwrap();

        // The second checkout starts: only its own dead run goes.
        prune_user_runs(&user_runs, &second);
        for kept in [
            &first_live,
            &first_dead,
            &first_starting,
            &first_pruned,
            &legacy,
        ] {
            assert!(
                kept.is_dir(),
                "the second checkout removed {}",
                kept.display()
            );
        }
        assert!(!second_dead.exists(), "its own dead run must be pruned");

        // The first checkout starts: its dead and pruned runs go, its live and starting ones
        // stay, and so does the directory without an owner.
        prune_user_runs(&user_runs, &first);
        assert!(first_live.is_dir(), "a live run was removed");
        assert!(first_starting.is_dir(), "a starting run was removed");
        assert!(legacy.is_dir(), "a directory without an owner was removed");
        assert!(!first_dead.exists(), "a dead run was kept");
        assert!(!first_pruned.exists(), "a pruned run was kept");

        // A checkout with no runs yet touches nothing.
        prune_user_runs(&user_runs, &scratch.0.join("third/target/emulators/sshd"));
        assert!(first_live.is_dir() && legacy.is_dir());

        live.kill().unwrap();
        live.wait().unwrap();
    }
}
