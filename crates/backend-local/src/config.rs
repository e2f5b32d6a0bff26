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

    /// Whether a write (atomic or plain) syncs.
    pub(crate) fn syncs(self, atomic: bool) -> bool {
        if atomic { self.atomic() } else { self.plain() }
    }
}

/// The largest [`LocalConfig::inline_io_max_bytes`] accepted: 1 MiB. A call that moves more
/// than that on a runtime thread would hold the thread long enough to matter.
pub const MAX_INLINE_IO_BYTES: u64 = 1024 * 1024;

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
    /// Async half only: run small operations on the calling task's thread instead of the
    /// filesystem pool. Default `0`: off, every call is one trip to the pool.
    ///
    /// When it is above zero, these run right where they are awaited: `exists`, `is_file`,
    /// `is_folder`, `get_file_info`, `delete` and `ping`; opening a file for reading;
    /// `read_bytes` of a file of at most this many bytes, and a streamed read's chunk once
    /// at most this many bytes of the file are left (a small file is one inline chunk);
    /// writes of in-memory content of at most this many bytes that do not fsync under the
    /// [`fsync`](Self::fsync) policy (a plain overwrite, which replaces the name, follows
    /// the plain-write policy: inline under the default one). That saves
    /// the two cross-thread wake-ups of a pool trip (15–18 µs on the development VM, more
    /// than the call itself on a fast disk) and **blocks the runtime thread for the call's
    /// length**: other tasks on that thread wait meanwhile. Turn it on only for a folder on
    /// fast local storage (tmpfs, a local SSD), never on a network filesystem or a disk that
    /// may stall. Listings, streamed writes, copies, moves and folder deletes always go to
    /// the pool. At most [`MAX_INLINE_IO_BYTES`]; see ADR 0017.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub inline_io_max_bytes: u64,
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

impl LocalConfig {
    /// A configuration for `root` with the defaults: the root must exist; atomic writes
    /// fsync, plain writes do not.
    pub fn new(root: impl Into<PathBuf>) -> Self {
        LocalConfig {
            root: root.into(),
            create_root: false,
            fsync: FsyncPolicy::default(),
            inline_io_max_bytes: 0,
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

    /// Sets [`inline_io_max_bytes`](Self::inline_io_max_bytes): async calls moving at
    /// most `max_bytes` run on the calling thread (`0`: never, the default).
    ///
    /// ```
    /// use remote_store_local::LocalConfig;
    ///
    /// let cfg = LocalConfig::new("/dev/shm/cache").inline_io_max_bytes(64 * 1024);
    /// assert_eq!(cfg.inline_io_max_bytes, 65536);
    /// ```
    pub fn inline_io_max_bytes(mut self, max_bytes: u64) -> Self {
        self.inline_io_max_bytes = max_bytes;
        self
    }

    /// Checks the settings that need no filesystem access (the root itself is checked
    /// when a backend opens it).
    ///
    /// # Errors
    /// `InvalidArgument` when [`inline_io_max_bytes`](Self::inline_io_max_bytes) is above
    /// [`MAX_INLINE_IO_BYTES`].
    pub fn validate(&self) -> remote_store_core::Result<()> {
        if self.inline_io_max_bytes > MAX_INLINE_IO_BYTES {
            return Err(remote_store_core::Error::invalid_argument(format!(
                "`inline_io_max_bytes` is {}, above the largest allowed, {MAX_INLINE_IO_BYTES} \
                 (1 MiB): a larger call would hold a runtime thread too long; choose a value \
                 up to {MAX_INLINE_IO_BYTES}, or 0 to keep every call on the filesystem pool",
                self.inline_io_max_bytes
            )));
        }
        Ok(())
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
