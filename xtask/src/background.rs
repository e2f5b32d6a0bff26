//! Builds that run in the background, at idle priority, while the test suite runs.
//!
//! The suite spends about a third of its time waiting on the emulators (one core idle on a
//! two-core machine), and what `cargo xtask test` needs only after it (the examples'
//! builds, DataFusion's above all, and the `cargo-deny` install) is minutes of compiling.
//! A [`Background`] job runs its commands one after another under `chrt --idle 0`
//! (`SCHED_IDLE`; `nice -n 19` where `chrt` is missing): the kernel gives them only CPU
//! time nothing else wants, so they fill the idle time and never slow a test down.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::thread::JoinHandle;

use crate::util::{Result, bail, display_short, which};

/// Commands running one after another in a background thread, at idle priority, their
/// output in a log file. [`wait`](Self::wait) waits for them; dropping a job stops it
/// (its running command's whole process group).
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
    /// with their output appended to `log`.
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

/// Runs `cmd` at idle priority in a process group of its own (published in `running`
/// while it runs), appending its output to `log`.
fn run_idle(
    cmd: Command,
    log: &Path,
    running: &Mutex<Option<u32>>,
    stop: &AtomicBool,
) -> Result<()> {
    use std::os::unix::process::CommandExt;
    let mut idle = match which("chrt") {
        Some(chrt) => {
            let mut idle = Command::new(chrt);
            idle.args(["--idle", "0"]);
            idle
        }
        None => {
            let mut idle = Command::new("nice");
            idle.args(["-n", "19"]);
            idle
        }
    };
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
        .create(true)
        .append(true)
        .open(log)?;
    idle.stdin(Stdio::null())
        .stdout(out.try_clone()?)
        .stderr(out)
        .process_group(0);
    let mut child = {
        let mut slot = running.lock().unwrap_or_else(PoisonError::into_inner);
        if stop.load(Ordering::SeqCst) {
            bail!("stopped");
        }
        let child = idle.spawn()?;
        *slot = Some(child.id());
        child
    };
    let status = child.wait();
    *running.lock().unwrap_or_else(PoisonError::into_inner) = None;
    let status = status?;
    if !status.success() {
        bail!("failed ({status})");
    }
    Ok(())
}
