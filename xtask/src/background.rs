//! Builds that run in the background, at idle priority, while the test suite runs.
//!
//! The suite spends about a third of its time waiting on the emulators (one core idle on a
//! two-core machine), and what `cargo xtask test` needs only after it (the examples'
//! builds, DataFusion's above all, and the `cargo-deny` install) is minutes of compiling.
//! A [`Background`] job runs its commands one after another at idle priority
//! (`chrt --idle 0`, i.e. `SCHED_IDLE`; `nice -n 19` where that is unavailable): the kernel
//! gives them only CPU time nothing else wants, so they fill the idle time and never slow
//! a test down.
//!
//! Only commands that can be killed at any moment and simply start again belong here
//! (cargo builds into a target directory that survives): an interrupted job is killed,
//! with its whole process group.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, OnceLock, PoisonError};
use std::thread::JoinHandle;

use crate::util::{Context, Result, bail, display_short, spawn_watchdog, succeeds};

/// Commands running one after another in a background thread, at idle priority, their
/// output in a log file. [`wait`](Self::wait) waits for them; dropping a job stops it
/// (its running command's whole process group), and so does the end of this process
/// (a watchdog per command, as for the emulators).
pub(crate) struct Background {
    what: String,
    log: PathBuf,
    thread: Option<JoinHandle<bool>>,
    /// The process group of the command running now, if any.
    running: Arc<Mutex<Option<u32>>>,
    stop: Arc<AtomicBool>,
}

impl Background {
    /// Starts running `commands` (none: a job that is already done), described as `what`,
    /// with their output in `log` (truncated first).
    pub(crate) fn start(what: &str, log: PathBuf, commands: Vec<Command>) -> Self {
        let running = Arc::new(Mutex::new(None));
        let stop = Arc::new(AtomicBool::new(false));
        let thread = (!commands.is_empty()).then(|| {
            eprintln!(
                "background, at idle priority: {what} (log: {})",
                log.display()
            );
            let (log, running, stop) = (log.clone(), Arc::clone(&running), Arc::clone(&stop));
            std::thread::spawn(move || {
                if let Err(e) = create_log(&log) {
                    eprintln!("background job: {e}");
                    return false;
                }
                commands.into_iter().all(|cmd| {
                    let line = display_short(&cmd);
                    match run_idle(cmd, &log, &running, &stop) {
                        Ok(()) => true,
                        Err(e) => {
                            if !stop.load(Ordering::SeqCst) {
                                eprintln!("background `{line}`: {e}");
                            }
                            false
                        }
                    }
                })
            })
        });
        Self {
            what: what.to_owned(),
            log,
            thread,
            running,
            stop,
        }
    }

    /// Waits for the job to end; `true` when every command succeeded. A failure is only
    /// reported here: the caller runs the command again in the foreground, which shows it.
    pub(crate) fn wait(mut self) -> bool {
        let Some(thread) = self.thread.take() else {
            return true;
        };
        if !thread.is_finished() {
            eprintln!("waiting for the background job: {}", self.what);
        }
        let ok = thread.join().unwrap_or(false);
        if !ok {
            eprintln!(
                "the background job failed ({}); see {} (running it again here)",
                self.what,
                self.log.display()
            );
        }
        ok
    }
}

impl Drop for Background {
    fn drop(&mut self) {
        let Some(thread) = self.thread.take() else {
            return;
        };
        self.stop.store(true, Ordering::SeqCst);
        if let Some(group) = *self.running.lock().unwrap_or_else(PoisonError::into_inner) {
            // The whole group: cargo's rustc processes too.
            let _ = Command::new("kill")
                .args(["-KILL", "--", &format!("-{group}")])
                .stderr(Stdio::null())
                .status();
        }
        let _ = thread.join();
    }
}

/// Creates (or truncates) `log`, and the folder it goes in.
fn create_log(log: &Path) -> Result<()> {
    if let Some(dir) = log.parent() {
        std::fs::create_dir_all(dir).context(format_args!("creating {}", dir.display()))?;
    }
    std::fs::File::create(log).context(format_args!("creating {}", log.display()))?;
    Ok(())
}

/// The command prefix that runs a program at idle priority: `chrt --idle 0` where it works
/// here (tried once), else `nice -n 19`.
fn idle_prefix() -> Command {
    static CHRT: OnceLock<bool> = OnceLock::new();
    let chrt = *CHRT.get_or_init(|| {
        succeeds(
            Command::new("chrt")
                .args(["--idle", "0", "true"])
                .stdout(Stdio::null())
                .stderr(Stdio::null()),
        )
    });
    if chrt {
        let mut cmd = Command::new("chrt");
        cmd.args(["--idle", "0"]);
        cmd
    } else {
        let mut cmd = Command::new("nice");
        cmd.args(["-n", "19"]);
        cmd
    }
}

/// Runs `cmd` at idle priority in a process group of its own (published in `running`
/// while it runs, and watched so that it dies with this process), appending its output
/// to `log`.
fn run_idle(
    cmd: Command,
    log: &Path,
    running: &Mutex<Option<u32>>,
    stop: &AtomicBool,
) -> Result<()> {
    use std::os::unix::process::CommandExt;
    let mut idle = idle_prefix();
    idle.arg(cmd.get_program()).args(cmd.get_args());
    for (key, value) in cmd.get_envs() {
        match value {
            Some(value) => idle.env(key, value),
            None => idle.env_remove(key),
        };
    }
    if let Some(dir) = cmd.get_current_dir() {
        idle.current_dir(dir);
    }
    let out = std::fs::OpenOptions::new()
        .append(true)
        .open(log)
        .context(format_args!("opening {}", log.display()))?;
    idle.stdin(Stdio::null())
        .stdout(out.try_clone()?)
        .stderr(out)
        .process_group(0);
    let (mut child, watchdog) = {
        let mut slot = running.lock().unwrap_or_else(PoisonError::into_inner);
        if stop.load(Ordering::SeqCst) {
            bail!("stopped");
        }
        let child = idle.spawn()?;
        *slot = Some(child.id());
        // Without it, Ctrl-C (which reaches only the terminal's process group) would
        // leave the build running.
        let watchdog = spawn_watchdog(child.id()).ok();
        (child, watchdog)
    };
    let status = child.wait();
    *running.lock().unwrap_or_else(PoisonError::into_inner) = None;
    if let Some(mut watchdog) = watchdog {
        let _ = watchdog.kill();
        let _ = watchdog.wait();
    }
    let status = status?;
    if !status.success() {
        bail!("failed ({status})");
    }
    Ok(())
}
