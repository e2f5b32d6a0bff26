//! The emulator framework: a registry of local servers the backend tests run against.
//!
//! Each [`Emulator`] installs itself under `target/emulators/<name>/` (once; later runs reuse
//! it), starts on a free 127.0.0.1 port with a fresh run directory
//! `target/emulators/<name>/run-<secs>-<pid>/` (data + `server.log`), is health-checked, and
//! hands back the environment variables the tests read. Stopping a server removes its
//! `data/` and keeps the log; the newest run directories stay for post-mortems.
//!
//! An emulator is *enabled* when the backend crate that needs it exists (`crates/backend-s3`,
//! ...), so definitions are inert until their crate lands. `XTASK_FORCE_EMULATORS=moto,sshd`
//! (or `all`) enables definitions regardless, e.g. to try one out.
//!
//! Servers run in their own process groups, and stopping one stops its whole group. While
//! `xtask` runs, a watchdog per server stops it if `xtask` dies without cleaning up (Ctrl-C,
//! `SIGKILL`); `emulators start` removes the watchdogs on success so the servers outlive it.

mod azurite;
mod moto;
mod process;
mod s3s_fs;
mod sshd;
mod state;

use std::path::{Path, PathBuf};
use std::process::{Child, Command};
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use crate::util::{Context, Error, Result, bail, repo_root, secs, spawn_watchdog};

/// Environment variable that enables emulator definitions whose backend crate is missing.
pub(crate) const FORCE_VAR: &str = "XTASK_FORCE_EMULATORS";
/// How many old run directories to keep per emulator (for post-mortems).
const KEEP_OLD_RUNS: usize = 3;

/// One kind of local server that emulates a remote store.
pub(crate) trait Emulator: Sync {
    /// Short name, used on the command line and in [`FORCE_VAR`].
    fn name(&self) -> &'static str;
    /// The crate directory under `crates/` whose presence enables this emulator.
    fn backend_crate(&self) -> &'static str;
    /// What is installed, with its pinned version, for display.
    fn version(&self) -> &'static str;
    /// The environment variables [`Emulator::start`] returns: (name, meaning).
    fn env_vars(&self) -> &'static [(&'static str, &'static str)];
    /// Installs the server under `target/emulators/<name>/` unless it is already there.
    fn install(&self, ctx: &Ctx) -> Result<()>;
    /// Starts a fresh instance on a free port and waits until it accepts connections.
    fn start(&self, ctx: &Ctx) -> Result<Running>;
    /// Stops an instance, whether started by this process or recorded in the state file.
    fn stop(&self, running: &mut Running) -> Result<()> {
        running.stop()
    }
}

/// Every emulator definition, enabled or not.
pub(crate) fn registry() -> [&'static dyn Emulator; 4] {
    [&moto::Moto, &s3s_fs::S3sFs, &azurite::Azurite, &sshd::Sshd]
}

/// Paths shared by the emulator definitions.
#[derive(Debug, Clone)]
pub(crate) struct Ctx {
    /// The workspace root.
    pub(crate) root: PathBuf,
    /// `target/emulators` under the workspace root.
    pub(crate) dir: PathBuf,
}

/// A fresh run directory for one emulator instance.
#[derive(Debug, Clone)]
pub(crate) struct RunDir {
    /// `run-<unix seconds>-<xtask pid>`: unique per instance, sorts by age.
    pub(crate) id: String,
    /// `target/emulators/<name>/<id>`.
    pub(crate) path: PathBuf,
}

impl Ctx {
    /// The context for this workspace.
    pub(crate) fn new() -> Self {
        let root = repo_root();
        let dir = root.join("target").join("emulators");
        Self { root, dir }
    }

    /// `target/emulators/<name>`: where an emulator is installed and keeps its runs.
    pub(crate) fn home(&self, name: &str) -> PathBuf {
        self.dir.join(name)
    }

    /// The state file written by `emulators start`.
    fn state_file(&self) -> PathBuf {
        self.dir.join("state.env")
    }

    /// Whether `name` is installed at `version` (`bin` exists and the marker matches).
    pub(crate) fn is_installed(&self, name: &str, version: &str, bin: &Path) -> bool {
        let marker = self.home(name).join(".installed");
        bin.exists() && std::fs::read_to_string(marker).is_ok_and(|v| v.trim() == version)
    }

    /// Records that `name` is installed at `version`.
    pub(crate) fn mark_installed(&self, name: &str, version: &str) -> Result<()> {
        let marker = self.home(name).join(".installed");
        std::fs::write(&marker, format!("{version}\n"))
            .context(format_args!("writing {}", marker.display()))
    }

    /// Creates a fresh run directory for `name`, pruning old ones that no live server uses.
    pub(crate) fn new_run_dir(&self, name: &str) -> Result<RunDir> {
        let home = self.home(name);
        prune_runs(&home);
        let secs = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        let mut id = format!("run-{secs}-{}", std::process::id());
        let mut n = 1;
        while home.join(&id).exists() {
            n += 1;
            id = format!("run-{secs}-{}-{n}", std::process::id());
        }
        let path = home.join(&id);
        std::fs::create_dir_all(&path).context(format_args!("creating {}", path.display()))?;
        Ok(RunDir { id, path })
    }
}

/// Names of the `run-*` directories in `home`, oldest first.
pub(crate) fn run_ids(home: &Path) -> Vec<String> {
    let mut ids: Vec<String> = std::fs::read_dir(home)
        .into_iter()
        .flatten()
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .filter(|n| n.starts_with("run-"))
        .collect();
    ids.sort();
    ids
}

/// Removes all but the newest [`KEEP_OLD_RUNS`] run directories in `home`, never one whose
/// server (recorded in its `xtask.pid`) is still alive.
fn prune_runs(home: &Path) {
    let ids = run_ids(home);
    let excess = ids.len().saturating_sub(KEEP_OLD_RUNS);
    for id in &ids[..excess] {
        let dir = home.join(id);
        if run_alive(&dir) != Some(true)
            && let Err(e) = std::fs::remove_dir_all(&dir)
        {
            eprintln!("warning: could not remove {}: {e}", dir.display());
        }
    }
}

/// Removes the stored objects of a stopped server's run directory (`data/`), keeping its
/// log for post-mortems: benchmarks leave gigabytes there, and kept runs would hold them
/// until pruned.
fn discard_data(dir: &Path) {
    let data = dir.join("data");
    if data.exists()
        && let Err(e) = std::fs::remove_dir_all(&data)
    {
        eprintln!("warning: could not remove {}: {e}", data.display());
    }
}

/// Whether the server of the run directory `dir` (recorded in its `xtask.pid`) is alive;
/// `None` when no pid is recorded (the run never started, or is starting right now).
pub(crate) fn run_alive(dir: &Path) -> Option<bool> {
    std::fs::read_to_string(dir.join("xtask.pid"))
        .ok()
        .and_then(|s| s.trim().parse().ok())
        .map(process::group_alive)
}

/// A started emulator instance.
#[derive(Debug)]
pub(crate) struct Running {
    /// Emulator name.
    pub(crate) name: String,
    /// Server process id, which is also its process group id.
    pub(crate) pid: u32,
    /// Start time of the server process, to recognise it later.
    pub(crate) start_time: Option<u64>,
    /// Port on 127.0.0.1.
    pub(crate) port: u16,
    /// The run directory (data, `server.log`).
    pub(crate) dir: PathBuf,
    /// Environment variables for the tests.
    pub(crate) env: Vec<(String, String)>,
    /// The server, when this process spawned it.
    child: Option<Child>,
    /// The watchdog that stops the server if `xtask` dies, while this process owns it.
    watchdog: Option<Child>,
}

impl Running {
    /// Spawns `cmd` (in `run`, logging to `server.log`), guards it with a watchdog and waits
    /// until it accepts TCP connections on `port`. On failure the server is stopped and the
    /// error carries the log tail.
    pub(crate) fn spawn(
        name: &str,
        cmd: &mut Command,
        port: u16,
        run: &RunDir,
        env: Vec<(String, String)>,
    ) -> Result<Self> {
        let log = run.path.join("server.log");
        cmd.current_dir(&run.path);
        eprintln!("$ {}  (log: {})", crate::util::display(cmd), log.display());
        let child = process::spawn_logged(cmd, &log)?;
        let pid = child.id();
        let mut running = Self {
            name: name.to_string(),
            pid,
            start_time: process::start_time(pid),
            port,
            dir: run.path.clone(),
            env,
            child: Some(child),
            watchdog: None,
        };
        let started = (|| {
            std::fs::write(run.path.join("xtask.pid"), format!("{pid}\n"))?;
            running.watchdog = Some(spawn_watchdog(pid)?);
            let child = running.child.as_mut().expect("spawned above");
            process::wait_for_port(child, port, &log)
        })();
        if let Err(e) = started {
            if let Err(stop) = running.stop() {
                eprintln!("warning: {stop}");
            }
            return Err(e);
        }
        Ok(running)
    }

    /// An instance recorded in the state file by an earlier invocation.
    fn from_entry(entry: &state::Entry) -> Self {
        Self {
            name: entry.name.clone(),
            pid: entry.pid,
            start_time: entry.start_time,
            port: entry.port,
            dir: entry.dir.clone(),
            env: Vec::new(),
            child: None,
            watchdog: None,
        }
    }

    /// Whether the server process group still has live processes (and the pid is still ours).
    pub(crate) fn alive(&self) -> bool {
        !self.pid_reused() && process::group_alive(self.pid)
    }

    /// Whether the recorded pid now belongs to a different process.
    fn pid_reused(&self) -> bool {
        match (self.start_time, process::start_time(self.pid)) {
            (Some(recorded), Some(now)) => recorded != now,
            _ => false,
        }
    }

    /// Stops the watchdog, then the server's whole process group.
    pub(crate) fn stop(&mut self) -> Result<()> {
        self.disarm_watchdog();
        if self.pid_reused() {
            // The kernel does not reuse a pid while its process group has members, so the
            // server's group is gone.
            return Ok(());
        }
        process::stop_group(self.pid, self.child.as_mut(), process::TERM_GRACE)
            .context(format_args!("stopping {} (pid {})", self.name, self.pid))
    }

    /// Stops the watchdog so that the server outlives this process.
    fn disarm_watchdog(&mut self) {
        if let Some(mut watchdog) = self.watchdog.take()
            && let Err(e) =
                process::stop_group(watchdog.id(), Some(&mut watchdog), process::TERM_GRACE)
        {
            eprintln!("warning: stopping the watchdog of {}: {e}", self.name);
        }
    }
}

/// The emulators this run uses: those whose backend crate exists, plus forced ones.
pub(crate) fn enabled(ctx: &Ctx) -> Result<Vec<&'static dyn Emulator>> {
    let forced = forced()?;
    Ok(registry()
        .into_iter()
        .filter(|e| {
            ctx.root.join("crates").join(e.backend_crate()).is_dir()
                || forced.iter().any(|f| f == e.name())
        })
        .collect())
}

/// Names listed in [`FORCE_VAR`] (`all` means every definition); unknown names are an error.
fn forced() -> Result<Vec<String>> {
    let value = std::env::var(FORCE_VAR).unwrap_or_default();
    let mut names = Vec::new();
    for name in value.split(',').map(str::trim).filter(|n| !n.is_empty()) {
        if name == "all" {
            names.extend(registry().iter().map(|e| e.name().to_string()));
        } else if registry().iter().any(|e| e.name() == name) {
            names.push(name.to_string());
        } else {
            bail!(
                "{FORCE_VAR}: unknown emulator `{name}` (known: {})",
                known_names()
            );
        }
    }
    Ok(names)
}

/// The registry's names, comma-separated.
fn known_names() -> String {
    registry().map(|e| e.name()).join(", ")
}

/// A set of running emulators that stops them all when dropped.
#[derive(Debug, Default)]
pub(crate) struct EmulatorSet {
    /// Started instances, in start order.
    running: Vec<Running>,
}

impl EmulatorSet {
    /// Installs (where needed) and starts `emulators`. If one fails, those already started
    /// are stopped.
    pub(crate) fn start(ctx: &Ctx, emulators: &[&'static dyn Emulator]) -> Result<Self> {
        if emulators.is_empty() {
            eprintln!(
                "no emulators enabled (no crates/backend-{{s3,azure,sftp}}; set {FORCE_VAR} \
                 to force some)"
            );
        }
        for emulator in emulators {
            let t = Instant::now();
            emulator
                .install(ctx)
                .context(format_args!("installing emulator {}", emulator.name()))?;
            eprintln!(
                "emulator {}: {} ready ({})",
                emulator.name(),
                emulator.version(),
                secs(t.elapsed())
            );
        }
        let mut set = Self::default();
        for emulator in emulators {
            let t = Instant::now();
            let running = emulator
                .start(ctx)
                .context(format_args!("starting emulator {}", emulator.name()))?;
            let declared: Vec<&str> = emulator.env_vars().iter().map(|(k, _)| *k).collect();
            let returned: Vec<String> = running.env.iter().map(|(k, _)| k.clone()).collect();
            set.running.push(running);
            if declared != returned {
                bail!(
                    "emulator {} returned env vars {returned:?}, but declares {declared:?}",
                    emulator.name()
                );
            }
            let r = set.running.last().expect("pushed above");
            eprintln!(
                "emulator {}: listening on 127.0.0.1:{} (pid {}, started in {})",
                r.name,
                r.port,
                r.pid,
                secs(t.elapsed())
            );
        }
        Ok(set)
    }

    /// The environment variables of every running emulator.
    pub(crate) fn env(&self) -> Vec<(String, String)> {
        self.running.iter().flat_map(|r| r.env.clone()).collect()
    }

    /// Stops every emulator (in reverse start order), reporting all failures.
    pub(crate) fn stop(&mut self) -> Result<()> {
        let mut errors = Vec::new();
        while let Some(mut running) = self.running.pop() {
            let result = match registry().into_iter().find(|e| e.name() == running.name) {
                Some(emulator) => emulator.stop(&mut running),
                None => running.stop(),
            };
            match result {
                Ok(()) => {
                    eprintln!("emulator {}: stopped", running.name);
                    discard_data(&running.dir);
                }
                Err(e) => errors.push(e.to_string()),
            }
        }
        if errors.is_empty() {
            Ok(())
        } else {
            Err(Error::new(errors.join("\n")))
        }
    }

    /// Lets the servers outlive this process: removes their watchdogs and forgets them.
    fn detach(mut self) -> Vec<Running> {
        for running in &mut self.running {
            running.disarm_watchdog();
            running.child = None;
        }
        std::mem::take(&mut self.running)
    }
}

impl Drop for EmulatorSet {
    fn drop(&mut self) {
        if !self.running.is_empty()
            && let Err(e) = self.stop()
        {
            eprintln!("error while stopping emulators: {e}");
        }
    }
}

/// Picks the emulators named in `names` from `pool` (all of `pool` when `names` is empty).
fn select(
    pool: Vec<&'static dyn Emulator>,
    names: &[String],
) -> Result<Vec<&'static dyn Emulator>> {
    if names.is_empty() {
        return Ok(pool);
    }
    let mut picked = Vec::new();
    for name in names {
        match pool.iter().find(|e| e.name() == name) {
            Some(e) => picked.push(*e),
            None if registry().iter().any(|e| e.name() == name) => bail!(
                "emulator `{name}` is not enabled (its backend crate does not exist yet); \
                 set {FORCE_VAR}={name} to use it anyway"
            ),
            None => bail!("unknown emulator `{name}` (known: {})", known_names()),
        }
    }
    Ok(picked)
}

/// `cargo xtask emulators <command> [names]`.
pub(crate) fn cli(args: &[String]) -> Result<()> {
    let ctx = Ctx::new();
    let (command, names) = match args.split_first() {
        Some((command, names)) => (command.as_str(), names),
        None => bail!("missing command: start, stop, status, install or list"),
    };
    match command {
        "start" => start(&ctx, names),
        "stop" => stop(&ctx),
        "status" => status(&ctx),
        "install" => {
            for emulator in select(enabled(&ctx)?, names)? {
                emulator
                    .install(&ctx)
                    .context(format_args!("installing emulator {}", emulator.name()))?;
                eprintln!(
                    "emulator {}: {} installed",
                    emulator.name(),
                    emulator.version()
                );
            }
            Ok(())
        }
        "list" => list(&ctx),
        other => bail!("unknown emulators command `{other}`: start, stop, status, install or list"),
    }
}

/// `emulators start`: starts the enabled emulators, records them and prints `export` lines.
fn start(ctx: &Ctx, names: &[String]) -> Result<()> {
    let state_file = ctx.state_file();
    if let Some(state) = state::read(&state_file)? {
        let live: Vec<&str> = state
            .entries
            .iter()
            .filter(|e| Running::from_entry(e).alive())
            .map(|e| e.name.as_str())
            .collect();
        if !live.is_empty() {
            bail!(
                "emulators already running ({}): run `cargo xtask emulators stop` first",
                live.join(", ")
            );
        }
        std::fs::remove_file(&state_file)?;
    }
    let emulators = select(enabled(ctx)?, names)?;
    let set = EmulatorSet::start(ctx, &emulators)?;
    if emulators.is_empty() {
        return Ok(());
    }
    std::fs::create_dir_all(&ctx.dir)?;
    if let Err(e) = state::write(&state_file, &set.running) {
        drop(set); // stops them: nobody could find them without the state file
        return Err(e);
    }
    let running = set.detach();
    for r in &running {
        for (key, value) in &r.env {
            println!("export {key}={}", state::shell_quote(value));
        }
    }
    eprintln!(
        "state written to {} (`source` it for the variables)",
        state_file.display()
    );
    Ok(())
}

/// `emulators stop`: stops what the state file records, then removes it.
fn stop(ctx: &Ctx) -> Result<()> {
    let state_file = ctx.state_file();
    let Some(state) = state::read(&state_file)? else {
        eprintln!("no emulators recorded in {}", state_file.display());
        return Ok(());
    };
    let mut set = EmulatorSet {
        running: state.entries.iter().map(Running::from_entry).collect(),
    };
    set.stop()?;
    std::fs::remove_file(&state_file)?;
    Ok(())
}

/// `emulators status`: whether each recorded emulator is alive and listening; fails if not.
fn status(ctx: &Ctx) -> Result<()> {
    let state_file = ctx.state_file();
    let Some(state) = state::read(&state_file)? else {
        eprintln!("no emulators running (no {})", state_file.display());
        return Ok(());
    };
    let mut down = Vec::new();
    for entry in &state.entries {
        let alive = Running::from_entry(entry).alive();
        let listening = alive && process::port_open(entry.port);
        let verdict = match (alive, listening) {
            (true, true) => "up",
            (true, false) => "NOT LISTENING",
            _ => "DEAD",
        };
        println!(
            "{:<8} {:<14} pid {:<7} 127.0.0.1:{:<5} log {}",
            entry.name,
            verdict,
            entry.pid,
            entry.port,
            entry.dir.join("server.log").display()
        );
        if !listening {
            down.push(entry.name.as_str());
        }
    }
    for (key, value) in &state.env {
        println!("export {key}={}", state::shell_quote(value));
    }
    if !down.is_empty() {
        bail!("not healthy: {}", down.join(", "));
    }
    Ok(())
}

/// `emulators list`: every definition, whether it is enabled, and the variables it exports.
fn list(ctx: &Ctx) -> Result<()> {
    let enabled = enabled(ctx)?;
    for emulator in registry() {
        let on = enabled.iter().any(|e| e.name() == emulator.name());
        println!(
            "{:<8} {:<9} {} (crates/{})",
            emulator.name(),
            if on { "enabled" } else { "disabled" },
            emulator.version(),
            emulator.backend_crate()
        );
        for (key, meaning) in emulator.env_vars() {
            println!("    {key:<36} {meaning}");
        }
    }
    Ok(())
}
