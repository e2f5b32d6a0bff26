//! The state file `target/emulators/state.env`, which lets `emulators stop` and `status` find
//! what an earlier `emulators start` launched.
//!
//! It is a shell file: `source target/emulators/state.env` exports the variables. The
//! processes are recorded on comment lines:
//!
//! ```text
//! # emulator name=moto pid=1234 start=98765 port=40123 dir=/repo/target/emulators/moto/run-...
//! export REMOTE_STORE_S3_MOTO_ENDPOINT='http://127.0.0.1:40123'
//! ```

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use super::Running;
use crate::util::{Context, Result, bail};

/// Prefix of the comment line describing one emulator process.
const ENTRY_PREFIX: &str = "# emulator ";

/// One emulator process recorded in the state file.
#[derive(Debug, Clone)]
pub(crate) struct Entry {
    /// Emulator name.
    pub(crate) name: String,
    /// Process id of the server, which is also its process group id.
    pub(crate) pid: u32,
    /// Start time of the process (see `/proc/<pid>/stat`), to detect a reused pid.
    pub(crate) start_time: Option<u64>,
    /// Port it listens on (127.0.0.1).
    pub(crate) port: u16,
    /// Its run directory (data and `server.log`).
    pub(crate) dir: PathBuf,
}

/// Parsed contents of the state file.
#[derive(Debug, Default)]
pub(crate) struct State {
    /// The recorded processes.
    pub(crate) entries: Vec<Entry>,
    /// The exported variables, in file order.
    pub(crate) env: Vec<(String, String)>,
}

/// Quotes a value for a POSIX shell (single quotes).
pub(crate) fn shell_quote(value: &str) -> String {
    format!("'{}'", value.replace('\'', r"'\''"))
}

/// Writes the state file for `running`.
pub(crate) fn write(path: &Path, running: &[Running]) -> Result<()> {
    let mut text = String::from(
        "# remote-store emulators, written by `cargo xtask emulators start`.\n\
         # `source` this file to get the variables; `cargo xtask emulators stop` stops them.\n",
    );
    for r in running {
        let start = r
            .start_time
            .map_or_else(|| "-".to_string(), |t| t.to_string());
        let _ = writeln!(
            text,
            "{ENTRY_PREFIX}name={} pid={} start={start} port={} dir={}",
            r.name,
            r.pid,
            r.port,
            r.dir.display()
        );
    }
    for r in running {
        for (key, value) in &r.env {
            let _ = writeln!(text, "export {key}={}", shell_quote(value));
        }
    }
    std::fs::write(path, text).context(format_args!("writing {}", path.display()))
}

/// Reads the state file, or `None` if there is none.
pub(crate) fn read(path: &Path) -> Result<Option<State>> {
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => bail!("reading {}: {e}", path.display()),
    };
    let mut state = State::default();
    for line in text.lines() {
        if let Some(rest) = line.strip_prefix(ENTRY_PREFIX) {
            state
                .entries
                .push(parse_entry(rest).context(format_args!("bad line in {}", path.display()))?);
        } else if let Some(rest) = line.strip_prefix("export ") {
            let Some((key, quoted)) = rest.split_once('=') else {
                bail!("bad line in {}: {line}", path.display());
            };
            let value = quoted
                .strip_prefix('\'')
                .and_then(|v| v.strip_suffix('\''))
                .unwrap_or(quoted)
                .replace(r"'\''", "'");
            state.env.push((key.to_string(), value));
        }
    }
    Ok(Some(state))
}

/// Parses `name=.. pid=.. start=.. port=.. dir=..` (`dir` last: it may contain spaces).
fn parse_entry(rest: &str) -> Result<Entry> {
    let (fields, dir) = rest
        .split_once(" dir=")
        .ok_or_else(|| crate::util::Error::new(format!("no dir= in `{rest}`")))?;
    let mut name = None;
    let mut pid = None;
    let mut start_time = None;
    let mut port = None;
    for field in fields.split_whitespace() {
        match field.split_once('=') {
            Some(("name", v)) => name = Some(v.to_string()),
            Some(("pid", v)) => pid = v.parse().ok(),
            Some(("start", v)) => start_time = v.parse().ok(),
            Some(("port", v)) => port = v.parse().ok(),
            _ => bail!("unknown field `{field}`"),
        }
    }
    match (name, pid, port) {
        (Some(name), Some(pid), Some(port)) => Ok(Entry {
            name,
            pid,
            start_time,
            port,
            dir: PathBuf::from(dir),
        }),
        _ => bail!("missing name, pid or port in `{rest}`"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips() {
        let path = std::env::temp_dir().join(format!("xtask-state-{}.env", std::process::id()));
        let running = Running {
            name: "s3s-fs".into(),
            pid: 42,
            start_time: Some(7),
            port: 4000,
            dir: PathBuf::from("/tmp/with space/run-1"),
            env: vec![("A_B".into(), "it's http://x".into())],
            child: None,
            watchdog: None,
        };
        write(&path, std::slice::from_ref(&running)).unwrap();
        let state = read(&path).unwrap().unwrap();
        std::fs::remove_file(&path).unwrap();
        let [entry] = &state.entries[..] else {
            panic!("one entry expected: {state:?}");
        };
        assert_eq!(
            (entry.name.as_str(), entry.pid, entry.start_time, entry.port),
            ("s3s-fs", 42, Some(7), 4000)
        );
        assert_eq!(entry.dir, running.dir);
        assert_eq!(state.env, running.env);
    }

    #[test]
    fn missing_file_is_none() {
        assert!(
            read(Path::new("/nonexistent/xtask/state.env"))
                .unwrap()
                .is_none()
        );
    }
}
