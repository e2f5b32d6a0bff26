//! What the CLI tests share: running the real `rstore` binary with a config file in a
//! temp dir, and building and comparing local trees.
#![allow(dead_code, unreachable_pub)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

/// A temp dir with a config file; `rstore` runs there with `REMOTE_STORE_CONFIG` set.
pub struct Env {
    pub dir: tempfile::TempDir,
    pub config: PathBuf,
}

impl Env {
    /// A temp dir whose config names two local stores, `a` (folder `a/`) and `b`
    /// (folder `b/`), plus `extra` TOML appended to the file.
    pub fn new(extra: &str) -> Env {
        let dir = tempfile::tempdir().unwrap();
        for sub in ["a", "b"] {
            std::fs::create_dir(dir.path().join(sub)).unwrap();
        }
        let config = dir.path().join("config.toml");
        let root = |sub: &str| dir.path().join(sub).display().to_string();
        std::fs::write(
            &config,
            format!(
                "[backends.disk_a]\ntype = \"local\"\nroot = {:?}\n\n\
                 [backends.disk_b]\ntype = \"local\"\nroot = {:?}\n\n\
                 [stores.a]\nbackend = \"disk_a\"\n\n\
                 [stores.b]\nbackend = \"disk_b\"\n\n{extra}",
                root("a"),
                root("b"),
            ),
        )
        .unwrap();
        Env { dir, config }
    }

    /// A path in the temp dir.
    pub fn path(&self, rel: &str) -> PathBuf {
        self.dir.path().join(rel)
    }

    /// `rstore ARGS` in the temp dir.
    pub fn cmd(&self, args: &[&str]) -> Command {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_rstore"));
        cmd.args(args)
            .current_dir(self.dir.path())
            .env("REMOTE_STORE_CONFIG", &self.config)
            .env_remove("RSTORE_PROGRESS")
            .stdin(Stdio::null());
        cmd
    }

    /// Runs `rstore ARGS` and returns what it did.
    pub fn run(&self, args: &[&str]) -> Run {
        Run::of(self.cmd(args).output().unwrap(), args)
    }

    /// Runs `rstore ARGS`, asserting exit code 0.
    pub fn ok(&self, args: &[&str]) -> Run {
        let run = self.run(args);
        run.code(0);
        run
    }
}

/// The result of one run.
#[derive(Debug)]
pub struct Run {
    pub args: String,
    pub status: Option<i32>,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    pub fn of(out: Output, args: &[&str]) -> Run {
        Run {
            args: args.join(" "),
            status: out.status.code(),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        }
    }

    /// Asserts the exit code.
    pub fn code(&self, code: i32) -> &Self {
        assert_eq!(
            self.status,
            Some(code),
            "rstore {}: expected exit {code}\nstdout:\n{}\nstderr:\n{}",
            self.args,
            self.stdout,
            self.stderr
        );
        self
    }

    /// stdout parsed as JSON.
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.stdout).unwrap_or_else(|e| {
            panic!(
                "rstore {}: stdout is not JSON ({e}):\n{}",
                self.args, self.stdout
            )
        })
    }

    /// stdout's lines.
    pub fn lines(&self) -> Vec<&str> {
        self.stdout.lines().collect()
    }
}

/// Writes a tree of `n` files (nested folders, an empty file, a 300 KB file) below `root`.
pub fn make_tree(root: &Path, n: usize) {
    for i in 0..n {
        let rel = match i % 4 {
            0 => format!("f{i}.txt"),
            1 => format!("d1/f{i}.txt"),
            2 => format!("d1/d2/f{i}.bin"),
            _ => format!("d3/f{i}.dat"),
        };
        let content: Vec<u8> = match i {
            0 => Vec::new(),
            1 => (0..300_000u32).map(|x| (x % 251) as u8).collect(),
            _ => format!("file {i}\n").repeat(i % 7 + 1).into_bytes(),
        };
        let path = root.join(rel);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, content).unwrap();
    }
}

/// Every file below `root`: relative path → bytes.
pub fn read_tree(root: &Path) -> BTreeMap<String, Vec<u8>> {
    fn walk(root: &Path, dir: &Path, out: &mut BTreeMap<String, Vec<u8>>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                walk(root, &path, out);
            } else {
                let rel = path
                    .strip_prefix(root)
                    .unwrap()
                    .to_str()
                    .unwrap()
                    .to_owned();
                out.insert(rel, std::fs::read(&path).unwrap());
            }
        }
    }
    let mut out = BTreeMap::new();
    if root.exists() {
        walk(root, root, &mut out);
    }
    out
}
