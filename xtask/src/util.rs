//! Helpers shared by every subcommand: the error type, paths, running commands, step banners.

use std::ffi::OsStr;
use std::fmt;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The error every xtask operation returns: a message meant for a human.
#[derive(Debug)]
pub(crate) struct Error(String);

impl Error {
    /// An error with the given message.
    pub(crate) fn new(message: impl Into<String>) -> Self {
        Self(message.into())
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl From<std::io::Error> for Error {
    fn from(e: std::io::Error) -> Self {
        Self(e.to_string())
    }
}

/// `Result` with [`Error`] as the default error.
pub(crate) type Result<T, E = Error> = std::result::Result<T, E>;

/// Adds a description of what was being done to an error.
pub(crate) trait Context<T> {
    /// Prefixes the error with `what`.
    fn context(self, what: impl fmt::Display) -> Result<T>;
}

impl<T, E: fmt::Display> Context<T> for std::result::Result<T, E> {
    fn context(self, what: impl fmt::Display) -> Result<T> {
        self.map_err(|e| Error::new(format!("{what}: {e}")))
    }
}

/// Returns early with an [`Error`] built from a format string.
macro_rules! bail {
    ($($arg:tt)*) => {
        return Err($crate::util::Error::new(format!($($arg)*)))
    };
}
pub(crate) use bail;

/// The workspace root (the parent of the `xtask` package).
pub(crate) fn repo_root() -> PathBuf {
    let manifest_dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    manifest_dir.parent().unwrap_or(manifest_dir).to_path_buf()
}

/// A `cargo` command (the one running us, when known) run from the workspace root.
pub(crate) fn cargo() -> Command {
    let program = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut cmd = Command::new(program);
    cmd.current_dir(repo_root());
    cmd
}

/// Renders a command as a shell-like line (explicit env vars, program, arguments).
pub(crate) fn display(cmd: &Command) -> String {
    let env = cmd
        .get_envs()
        .filter_map(|(k, v)| Some(format!("{}={}", k.to_string_lossy(), quote(v?))));
    env.chain([display_short(cmd)])
        .collect::<Vec<_>>()
        .join(" ")
}

/// Renders a command as program and arguments only.
pub(crate) fn display_short(cmd: &Command) -> String {
    let mut parts = Vec::new();
    // The toolchain's full path to cargo (from `$CARGO`) is noise.
    let program = cmd.get_program();
    let short = Path::new(program).file_name().filter(|n| *n == "cargo");
    parts.push(quote(short.unwrap_or(program)));
    parts.extend(cmd.get_args().map(quote));
    parts.join(" ")
}

/// Quotes an argument for display when it contains characters a shell would split on.
fn quote(arg: &OsStr) -> String {
    let s = arg.to_string_lossy();
    if !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_./=:,@+".contains(c))
    {
        s.into_owned()
    } else {
        format!("'{}'", s.replace('\'', r"'\''"))
    }
}

/// Runs a command with inherited stdio, echoing it first; a non-zero exit is an error.
pub(crate) fn run(cmd: &mut Command) -> Result<()> {
    eprintln!("$ {}", display(cmd));
    // The echo above shows the environment; the error names just the command.
    let line = display_short(cmd);
    let status = cmd
        .status()
        .context(format_args!("could not run `{line}`"))?;
    if !status.success() {
        bail!("`{line}` failed ({status})");
    }
    Ok(())
}

/// Runs a command, echoing it first, and returns its standard output (standard error goes
/// to ours); a non-zero exit is an error.
pub(crate) fn output(cmd: &mut Command) -> Result<String> {
    eprintln!("$ {}", display(cmd));
    let line = display_short(cmd);
    let out = cmd
        .stderr(std::process::Stdio::inherit())
        .output()
        .context(format_args!("could not run `{line}`"))?;
    if !out.status.success() {
        bail!("`{line}` failed ({})", out.status);
    }
    String::from_utf8(out.stdout)
        .map_err(|e| Error::new(format!("`{line}` printed non-UTF-8: {e}")))
}

/// Runs a command quietly and reports whether it exited with success.
pub(crate) fn succeeds(cmd: &mut Command) -> bool {
    cmd.stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// Free space below which `cargo xtask test` warns: a fresh checkout's debug builds,
/// clippy and docs take about 11 GiB, and the emulators' data a little more.
pub(crate) const LOW_DISK_KIB: u64 = 16 * 1024 * 1024;

/// The free space (KiB) of the file system holding `dir`, from POSIX `df -Pk`; `None` when
/// `df` is missing or its output cannot be read.
pub(crate) fn free_kib(dir: &Path) -> Option<u64> {
    let out = Command::new("df")
        .arg("-Pk")
        .arg(dir)
        .stderr(std::process::Stdio::null())
        .output()
        .ok()?;
    parse_df_available(&String::from_utf8_lossy(&out.stdout))
}

/// The "Available" column (the fourth) of the data line of `df -Pk` output.
fn parse_df_available(text: &str) -> Option<u64> {
    text.lines().nth(1)?.split_whitespace().nth(3)?.parse().ok()
}

/// Finds an executable on `PATH`.
pub(crate) fn which(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join(name))
        .find(|p| p.is_file())
}

/// Installs Debian packages with `apt-get`, running `apt-get update` once if the first attempt
/// fails (a fresh image often has no package lists).
pub(crate) fn apt_install(packages: &[&str]) -> Result<()> {
    if which("apt-get").is_none() {
        bail!(
            "`apt-get` not found: install {} by hand",
            packages.join(" ")
        );
    }
    let install = || {
        let mut cmd = Command::new("apt-get");
        cmd.args(["install", "-y", "--no-install-recommends"])
            .args(packages)
            .env("DEBIAN_FRONTEND", "noninteractive");
        cmd
    };
    eprintln!("installing {} with apt-get", packages.join(" "));
    if run(&mut install()).is_ok() {
        return Ok(());
    }
    eprintln!("apt-get install failed; running `apt-get update` and retrying");
    run(Command::new("apt-get").args(["update"]))?;
    run(&mut install())
}

/// Formats a duration as seconds with one decimal.
pub(crate) fn secs(d: Duration) -> String {
    format!("{:.1}s", d.as_secs_f64())
}

/// Runs named steps in order with a banner and elapsed time each, stopping at the first failure.
#[derive(Debug)]
pub(crate) struct Steps {
    total: usize,
    done: Vec<(&'static str, Duration)>,
    started: Instant,
}

impl Steps {
    /// A sequence of `total` steps.
    pub(crate) fn new(total: usize) -> Self {
        Self {
            total,
            done: Vec::new(),
            started: Instant::now(),
        }
    }

    /// Runs one step; on failure the error names the step.
    pub(crate) fn run(&mut self, name: &'static str, f: impl FnOnce() -> Result<()>) -> Result<()> {
        let n = self.done.len() + 1;
        let total = self.total;
        eprintln!("\n==================== [{n}/{total}] {name} ====================");
        let start = Instant::now();
        let result = f();
        let elapsed = start.elapsed();
        match result {
            Ok(()) => {
                eprintln!("---- [{n}/{total}] {name}: ok ({})", secs(elapsed));
                self.done.push((name, elapsed));
                Ok(())
            }
            Err(e) => {
                eprintln!("---- [{n}/{total}] {name}: FAILED ({})", secs(elapsed));
                Err(Error::new(format!(
                    "step [{n}/{total}] `{name}` failed: {e}"
                )))
            }
        }
    }

    /// Prints the time each step took.
    pub(crate) fn summary(&self) {
        eprintln!("\nall {} steps passed:", self.done.len());
        for (name, elapsed) in &self.done {
            eprintln!("  {name:<24} {:>8}", secs(*elapsed));
        }
        eprintln!("  {:<24} {:>8}", "total", secs(self.started.elapsed()));
    }
}

/// Reads the package name and the feature names from a crate's `Cargo.toml`.
///
/// A line-based reader is enough for our own manifests: the first `name = "..."` line of the
/// `[package]` table and the keys of the `[features]` table.
pub(crate) fn read_manifest(path: &Path) -> Result<(String, Vec<String>)> {
    let text = std::fs::read_to_string(path).context(format_args!("reading {}", path.display()))?;
    let mut section = String::new();
    let mut name = None;
    let mut features = Vec::new();
    for line in text.lines() {
        let line = line.trim();
        if line.starts_with('[') {
            section = line
                .trim_matches(|c| c == '[' || c == ']')
                .trim()
                .to_string();
            continue;
        }
        let Some((key, value)) = line.split_once('=') else {
            continue;
        };
        let key = key.trim().trim_matches('"');
        match section.as_str() {
            "package" if key == "name" && name.is_none() => {
                name = Some(value.trim().trim_matches('"').to_string());
            }
            "features" if !key.is_empty() && !key.starts_with('#') => {
                features.push(key.to_string());
            }
            _ => {}
        }
    }
    match name {
        Some(name) => Ok((name, features)),
        None => bail!("no `name = \"...\"` in [package] of {}", path.display()),
    }
}

/// Spawns a watchdog that kills process group `pgid` once this `xtask` process is gone.
///
/// std cannot catch Ctrl-C or `SIGKILL`, and the emulators and background builds run in
/// their own process groups (so a terminal's Ctrl-C does not reach them); the watchdog, a
/// small `sh` loop in its own process group, covers those cases. Whoever stops the group
/// normally kills the watchdog too.
/// (`sh` may be dash, whose `kill` builtin rejects `--`: hence `kill -TERM "-$group"`.)
pub(crate) fn spawn_watchdog(pgid: u32) -> Result<Child> {
    const SCRIPT: &str = r#"
parent=$1; group=$2
while kill -0 "$parent" 2>/dev/null; do sleep 1; done
kill -TERM "-$group" 2>/dev/null || exit 0
sleep 5
kill -KILL "-$group" 2>/dev/null
exit 0
"#;
    Command::new("sh")
        .args(["-c", SCRIPT, "xtask-watchdog"])
        .arg(std::process::id().to_string())
        .arg(pgid.to_string())
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .process_group(0)
        .spawn()
        .context("spawning a process-group watchdog (sh)")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_package_name_and_features() {
        let dir = std::env::temp_dir().join(format!("xtask-manifest-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("Cargo.toml");
        std::fs::write(
            &path,
            "[package]\nname = \"remote-store-s3\"\nversion.workspace = true\n\n\
             [dependencies]\nname = { path = \"x\" }\n\n\
             [features]\ndefault = [\"sync\", \"async\"]\nsync = []\n\"async\" = []\n",
        )
        .unwrap();
        let (name, features) = read_manifest(&path).unwrap();
        std::fs::remove_dir_all(&dir).unwrap();
        assert_eq!(name, "remote-store-s3");
        assert_eq!(features, ["default", "sync", "async"]);
    }

    #[test]
    fn reads_the_available_column_of_df() {
        let text = "Filesystem     1024-blocks      Used Available Capacity Mounted on\n\
                    /dev/vda         264000000  57000000  60000000      49% /\n";
        assert_eq!(parse_df_available(text), Some(60_000_000));
        assert_eq!(parse_df_available("Filesystem\n"), None);
        assert_eq!(parse_df_available(""), None);
    }

    #[test]
    fn displays_commands_shell_like() {
        let mut cmd = Command::new("cargo");
        cmd.args(["doc", "--no-deps", "a b", "it's"])
            .env("RUSTDOCFLAGS", "-D warnings");
        assert_eq!(
            display(&cmd),
            r"RUSTDOCFLAGS='-D warnings' cargo doc --no-deps 'a b' 'it'\''s'"
        );
    }
}
