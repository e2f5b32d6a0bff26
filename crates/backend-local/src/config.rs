//! [`LocalConfig`] and [`FsyncPolicy`], shared by both halves.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

/// When the backend asks the OS to flush written data to stable storage.
///
/// ```
/// use remote_store_local::FsyncPolicy;
///
/// assert_eq!(FsyncPolicy::default(), FsyncPolicy::Atomic);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum FsyncPolicy {
    /// `write_atomic` (and the no-replace promotion of copies and cross-filesystem moves)
    /// fsyncs the temp file before the rename and the folder after it, so a completed
    /// atomic write survives a crash. Plain `write` does not fsync, like `std::fs::write`.
    #[default]
    Atomic,
    /// Every write fsyncs the file (and, for atomic writes, the folder).
    Always,
    /// Never fsync. Atomic writes are still all-or-nothing for readers while the system
    /// runs, but a crash may leave the old content, the new, or an empty file.
    Never,
}

impl FsyncPolicy {
    /// Whether an atomic promotion (temp file + rename) syncs.
    pub(crate) fn atomic(self) -> bool {
        matches!(self, FsyncPolicy::Atomic | FsyncPolicy::Always)
    }

    /// Whether a plain write syncs.
    pub(crate) fn plain(self) -> bool {
        matches!(self, FsyncPolicy::Always)
    }
}

/// Configuration of a local-directory backend: where the store lives and how hard it syncs.
///
/// Serialises and deserialises with serde; unknown keys are refused.
///
/// ```
/// use remote_store_local::{FsyncPolicy, LocalConfig};
///
/// let cfg = LocalConfig::new("/srv/data")
///     .create_root(true)
///     .fsync(FsyncPolicy::Always);
/// assert!(cfg.create_root);
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct LocalConfig {
    /// The folder that holds the store. Every key resolves below it; nothing outside it is
    /// ever read, written or followed into.
    pub root: PathBuf,
    /// Create `root` (and its parents) when it does not exist. Default: false, so a typo
    /// in the path is reported as `NotFound` instead of silently creating a new store.
    #[serde(default)]
    pub create_root: bool,
    /// When to fsync (default [`FsyncPolicy::Atomic`]).
    #[serde(default)]
    pub fsync: FsyncPolicy,
}

impl LocalConfig {
    /// A configuration for `root` with the defaults: the root must exist; atomic writes
    /// fsync, plain writes do not.
    pub fn new(root: impl Into<PathBuf>) -> Self {
        LocalConfig {
            root: root.into(),
            create_root: false,
            fsync: FsyncPolicy::default(),
        }
    }

    /// Sets [`create_root`](Self::create_root).
    pub fn create_root(mut self, create: bool) -> Self {
        self.create_root = create;
        self
    }

    /// Sets [`fsync`](Self::fsync).
    pub fn fsync(mut self, policy: FsyncPolicy) -> Self {
        self.fsync = policy;
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deserialises_with_defaults_and_refuses_unknown_keys() {
        let cfg: LocalConfig = serde_json::from_str(r#"{"root": "/srv/data"}"#).unwrap();
        assert_eq!(cfg, LocalConfig::new("/srv/data"));
        let cfg: LocalConfig =
            serde_json::from_str(r#"{"root": "/d", "create_root": true, "fsync": "never"}"#)
                .unwrap();
        assert!(cfg.create_root);
        assert_eq!(cfg.fsync, FsyncPolicy::Never);
        let err = serde_json::from_str::<LocalConfig>(r#"{"root": "/d", "creat_root": true}"#)
            .unwrap_err();
        assert!(err.to_string().contains("creat_root"), "{err}");
        assert!(
            serde_json::from_str::<LocalConfig>(r#"{"root": "/d", "fsync": "sometimes"}"#).is_err()
        );
        let back = serde_json::to_string(&cfg).unwrap();
        assert_eq!(serde_json::from_str::<LocalConfig>(&back).unwrap(), cfg);
    }
}
