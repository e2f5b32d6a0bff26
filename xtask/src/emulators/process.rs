//! Process plumbing for emulators: free ports, spawning in a process group, health checks,
//! and stopping whole process groups (the watchdog that cleans up if `xtask` itself dies is
//! `util::spawn_watchdog`).
//!
//! Everything here uses std and the `kill` command only (no libc). Process-group liveness is
//! read from `/proc` where available (zombies do not count as alive).

use std::fs::File;
use std::io::{BufRead, BufReader};
use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::thread::sleep;
use std::time::{Duration, Instant};

use crate::util::{Context, Result, bail, succeeds};

/// How long a server may take to accept TCP connections after it is spawned.
const HEALTH_DEADLINE: Duration = Duration::from_secs(60);
/// How long a server's process group gets between `SIGTERM` and `SIGKILL`.
pub(crate) const TERM_GRACE: Duration = Duration::from_secs(10);
/// How many lines of a server log to print when it fails.
const LOG_TAIL_LINES: usize = 40;

/// Picks a free TCP port on 127.0.0.1 (bind port 0, read it, close).
pub(crate) fn free_port() -> Result<u16> {
    let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
        .context("binding 127.0.0.1:0 to pick a port")?;
    Ok(listener.local_addr()?.port())
}

/// Spawns `cmd` in its own process group with stdin closed and stdout/stderr appended to `log`.
pub(crate) fn spawn_logged(cmd: &mut Command, log: &Path) -> Result<Child> {
    let out = File::options()
        .create(true)
        .append(true)
        .open(log)
        .context(format_args!("opening {}", log.display()))?;
    let err = out.try_clone()?;
    cmd.stdin(Stdio::null())
        .stdout(out)
        .stderr(err)
        .process_group(0)
        .spawn()
        .context(format_args!("spawning {:?}", cmd.get_program()))
}

/// Waits until something accepts TCP connections on 127.0.0.1:`port`, failing early if `child`
/// exits. On failure the error carries the tail of `log`.
pub(crate) fn wait_for_port(child: &mut Child, port: u16, log: &Path) -> Result<()> {
    let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
    let deadline = Instant::now() + HEALTH_DEADLINE;
    loop {
        if let Some(status) = child.try_wait()? {
            bail!(
                "the server exited ({status}) before listening on port {port}\n{}",
                log_tail(log)
            );
        }
        if TcpStream::connect_timeout(&addr, Duration::from_millis(500)).is_ok() {
            return Ok(());
        }
        if Instant::now() > deadline {
            bail!(
                "nothing listened on port {port} within {}s\n{}",
                HEALTH_DEADLINE.as_secs(),
                log_tail(log)
            );
        }
        sleep(Duration::from_millis(200));
    }
}

/// Whether something accepts TCP connections on 127.0.0.1:`port` right now.
pub(crate) fn port_open(port: u16) -> bool {
    let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
    TcpStream::connect_timeout(&addr, Duration::from_millis(500)).is_ok()
}

/// The last lines of a log file, framed for printing.
pub(crate) fn log_tail(log: &Path) -> String {
    let lines: Vec<String> = match File::open(log) {
        Ok(f) => BufReader::new(f).lines().map_while(|l| l.ok()).collect(),
        Err(e) => return format!("(no log at {}: {e})", log.display()),
    };
    let tail = &lines[lines.len().saturating_sub(LOG_TAIL_LINES)..];
    format!(
        "---- last {} lines of {} ----\n{}\n---- end of log ----",
        tail.len(),
        log.display(),
        tail.join("\n")
    )
}

/// Fields of `/proc/<pid>/stat` we need.
#[derive(Debug, Clone, Copy)]
struct ProcStat {
    /// One-letter state (`R`, `S`, `Z`, ...).
    state: char,
    /// Process group id.
    pgrp: u32,
    /// Start time after boot, in clock ticks: with the pid, identifies a process.
    start_time: u64,
}

/// Reads `/proc/<pid>/stat`, or `None` if the process does not exist (or there is no `/proc`).
fn proc_stat(pid: u32) -> Option<ProcStat> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // `pid (comm) state ppid pgrp ...`; comm may contain spaces and parentheses.
    let rest = &text[text.rfind(')')? + 1..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    Some(ProcStat {
        state: fields.first()?.chars().next()?,
        pgrp: fields.get(2)?.parse().ok()?,
        // Field 22 of the full line; index 19 after `state`.
        start_time: fields.get(19)?.parse().ok()?,
    })
}

/// The start time of process `pid` (see [`ProcStat::start_time`]), if it exists.
pub(crate) fn start_time(pid: u32) -> Option<u64> {
    proc_stat(pid).map(|s| s.start_time)
}

/// Whether any live (non-zombie) process is in process group `pgid`.
pub(crate) fn group_alive(pgid: u32) -> bool {
    let Ok(entries) = std::fs::read_dir("/proc") else {
        // No /proc: ask the kernel (zombies count as alive here).
        return succeeds(Command::new("kill").args(["-0", "--", &format!("-{pgid}")]));
    };
    entries
        .filter_map(|e| e.ok()?.file_name().to_str()?.parse::<u32>().ok())
        .filter_map(proc_stat)
        .any(|s| s.pgrp == pgid && !matches!(s.state, 'Z' | 'X'))
}

/// Sends `signal` (e.g. `TERM`) to every process in group `pgid`.
fn signal_group(signal: &str, pgid: u32) {
    let _ = succeeds(Command::new("kill").args([&format!("-{signal}"), "--", &format!("-{pgid}")]));
}

/// Stops process group `pgid`: `SIGTERM`, up to `grace` to exit, then `SIGKILL`. `child`,
/// when we spawned the leader ourselves, is reaped so that it does not linger as a zombie.
pub(crate) fn stop_group(pgid: u32, mut child: Option<&mut Child>, grace: Duration) -> Result<()> {
    let reap = |child: &mut Option<&mut Child>| {
        if let Some(c) = child.as_deref_mut() {
            let _ = c.try_wait();
        }
    };
    if group_alive(pgid) {
        signal_group("TERM", pgid);
        let deadline = Instant::now() + grace;
        while group_alive(pgid) && Instant::now() < deadline {
            reap(&mut child);
            sleep(Duration::from_millis(100));
        }
        if group_alive(pgid) {
            eprintln!("process group {pgid} ignored SIGTERM; sending SIGKILL");
            signal_group("KILL", pgid);
            let deadline = Instant::now() + Duration::from_secs(3);
            while group_alive(pgid) && Instant::now() < deadline {
                reap(&mut child);
                sleep(Duration::from_millis(100));
            }
        }
    }
    if let Some(c) = child {
        // The leader is dead or dying: waiting is quick and reaps it.
        if c.try_wait()?.is_none() {
            c.kill().ok();
            c.wait()?;
        }
    }
    if group_alive(pgid) {
        bail!("process group {pgid} is still alive after SIGKILL");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_server_that_exits_fails_the_health_check_with_its_log() {
        let log = std::env::temp_dir().join(format!("xtask-exit-{}.log", std::process::id()));
        let mut child = spawn_logged(
            Command::new("sh").args(["-c", "echo boom >&2; exit 3"]),
            &log,
        )
        .unwrap();
        let err = wait_for_port(&mut child, free_port().unwrap(), &log).unwrap_err();
        std::fs::remove_file(&log).unwrap();
        let err = err.to_string();
        assert!(err.contains("exited") && err.contains("boom"), "{err}");
    }

    #[test]
    fn stops_a_whole_process_group() {
        let log = std::env::temp_dir().join(format!("xtask-group-{}.log", std::process::id()));
        // A leader that ignores SIGTERM, with a child: both must go.
        let mut child = spawn_logged(
            Command::new("sh").args(["-c", "trap '' TERM; sleep 60 & sleep 60; wait"]),
            &log,
        )
        .unwrap();
        let pgid = child.id();
        std::thread::sleep(Duration::from_millis(200));
        assert!(group_alive(pgid));
        stop_group(pgid, Some(&mut child), Duration::from_millis(300)).unwrap();
        assert!(!group_alive(pgid));
        std::fs::remove_file(&log).unwrap();
    }
}
