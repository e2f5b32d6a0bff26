//! [`Progress`]: what a transfer tells an observer, the same in both halves.

use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use remote_store_core::Error;

/// Counters of a transfer at one moment.
#[derive(Debug, Clone, Copy, PartialEq)]
#[non_exhaustive]
pub struct Snapshot {
    /// Files finished (copied, skipped or failed).
    pub files_done: u64,
    /// Files in the plan.
    pub files_total: u64,
    /// Bytes moved so far (of files being copied, not skipped ones).
    pub bytes_done: u64,
    /// Bytes the plan will move (the sizes of the files to copy).
    pub bytes_total: u64,
    /// Time since the transfer started.
    pub elapsed: Duration,
}

impl Snapshot {
    /// Bytes per second since the start (0 before any time has passed).
    pub fn throughput(&self) -> f64 {
        let secs = self.elapsed.as_secs_f64();
        if secs > 0.0 {
            self.bytes_done as f64 / secs
        } else {
            0.0
        }
    }
}

/// How one file of a transfer ended, as [`Progress::file_finished`] sees it.
#[derive(Debug, Clone, Copy)]
#[non_exhaustive]
pub enum FileOutcome<'a> {
    /// Copied (and verified, when asked).
    Copied,
    /// Left alone (skip policy, or a dry run).
    Skipped,
    /// Failed with this error.
    Failed(&'a Error),
}

/// An observer of a transfer. Every method has an empty default, so an implementation
/// overrides only what it shows; a transfer without an observer skips the calls and the
/// counters' clock entirely.
///
/// The same observer serves both halves. It is called from the worker threads (blocking
/// half) or the transfer's task (async half), possibly for several files at once, so it is
/// `Send + Sync` and should return quickly.
///
/// ```
/// use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
/// use remote_store_transfer::{Progress, Snapshot};
///
/// #[derive(Default)]
/// struct Bar(AtomicU64);
///
/// impl Progress for Bar {
///     fn bytes(&self, _file: &str, _n: u64, now: Snapshot) {
///         self.0.store(now.bytes_done, Ordering::Relaxed);
///     }
/// }
/// ```
pub trait Progress: Send + Sync {
    /// The plan is known: totals of files and bytes (elapsed is zero).
    fn started(&self, totals: Snapshot) {
        let _ = totals;
    }

    /// A file's copy begins; `size` is its source size.
    fn file_started(&self, file: &str, size: u64) {
        let _ = (file, size);
    }

    /// `n` more bytes of `file` moved.
    fn bytes(&self, file: &str, n: u64, now: Snapshot) {
        let _ = (file, n, now);
    }

    /// A file is done.
    fn file_finished(&self, file: &str, outcome: FileOutcome<'_>, now: Snapshot) {
        let _ = (file, outcome, now);
    }

    /// The transfer is over.
    fn finished(&self, totals: Snapshot) {
        let _ = totals;
    }
}

/// The observer that observes nothing.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoProgress;

impl Progress for NoProgress {}

impl<P: Progress + ?Sized> Progress for Arc<P> {
    fn started(&self, totals: Snapshot) {
        (**self).started(totals);
    }
    fn file_started(&self, file: &str, size: u64) {
        (**self).file_started(file, size);
    }
    fn bytes(&self, file: &str, n: u64, now: Snapshot) {
        (**self).bytes(file, n, now);
    }
    fn file_finished(&self, file: &str, outcome: FileOutcome<'_>, now: Snapshot) {
        (**self).file_finished(file, outcome, now);
    }
    fn finished(&self, totals: Snapshot) {
        (**self).finished(totals);
    }
}

/// The shared counters of one running transfer, and its observer (if any). Both halves
/// call it; with no observer every method returns at once.
pub(crate) struct Tracker {
    observer: Option<Arc<dyn Progress>>,
    cancel: Option<Arc<AtomicBool>>,
    start: Instant,
    files_done: AtomicU64,
    files_total: u64,
    bytes_done: AtomicU64,
    bytes_total: u64,
}

impl Tracker {
    pub(crate) fn new(
        observer: Option<Arc<dyn Progress>>,
        cancel: Option<Arc<AtomicBool>>,
        files: u64,
        bytes: u64,
    ) -> Tracker {
        let t = Tracker {
            observer,
            cancel,
            start: Instant::now(),
            files_done: AtomicU64::new(0),
            files_total: files,
            bytes_done: AtomicU64::new(0),
            bytes_total: bytes,
        };
        if let Some(o) = &t.observer {
            o.started(t.snapshot());
        }
        t
    }

    /// Whether the transfer's cancel flag is set (`TransferOptions::cancel_on`).
    pub(crate) fn cancelled(&self) -> bool {
        self.cancel
            .as_ref()
            .is_some_and(|c| c.load(Ordering::Relaxed))
    }

    /// `Err` with the cancellation error once the flag is set.
    ///
    /// # Errors
    /// The cancellation error when the transfer was cancelled.
    pub(crate) fn check(&self) -> remote_store_core::Result<()> {
        if self.cancelled() {
            Err(crate::transfer::cancelled())
        } else {
            Ok(())
        }
    }

    pub(crate) fn snapshot(&self) -> Snapshot {
        Snapshot {
            files_done: self.files_done.load(Ordering::Relaxed),
            files_total: self.files_total,
            bytes_done: self.bytes_done.load(Ordering::Relaxed),
            bytes_total: self.bytes_total,
            elapsed: self.start.elapsed(),
        }
    }

    pub(crate) fn file_started(&self, file: &str, size: u64) {
        if let Some(o) = &self.observer {
            o.file_started(file, size);
        }
    }

    pub(crate) fn bytes(&self, file: &str, n: u64) {
        self.bytes_done.fetch_add(n, Ordering::Relaxed);
        if let Some(o) = &self.observer {
            o.bytes(file, n, self.snapshot());
        }
    }

    pub(crate) fn file_finished(&self, file: &str, outcome: FileOutcome<'_>) {
        self.files_done.fetch_add(1, Ordering::Relaxed);
        if let Some(o) = &self.observer {
            o.file_finished(file, outcome, self.snapshot());
        }
    }

    pub(crate) fn finished(&self) -> Snapshot {
        let s = self.snapshot();
        if let Some(o) = &self.observer {
            o.finished(s);
        }
        s
    }
}

impl fmt::Debug for Tracker {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Tracker")
            .field("observed", &self.observer.is_some())
            .field("snapshot", &self.snapshot())
            .finish()
    }
}
