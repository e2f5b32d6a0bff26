//! [`Retry`]: retries idempotent operations on retryable errors, and resumes reads.
//!
//! This file is the policy both halves share: which calls may be repeated, how long to
//! wait, when a read may resume and from where. `sync.rs` waits with a thread sleep,
//! `async.rs` with tokio's timer.

use std::fmt;
use std::ops::Range;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use remote_store_core::bulk::Outcomes;
use remote_store_core::{
    Capability, CapabilitySet, CopyOptions, DeleteFolderOptions, DeleteOptions, Error, ErrorKind,
    FileInfo, ReadOptions, RemotePath, RetryPolicy, WriteOptions,
};

#[cfg(feature = "async")]
mod r#async;
#[cfg(feature = "sync")]
mod sync;

/// A layer that retries the operations of the backend it wraps when they fail with a
/// retryable error ([`Error::is_retryable`]: `BackendUnavailable` from a transient
/// condition — a reset connection, a timeout, throttling, a 5xx), waiting between
/// attempts as its [`RetryPolicy`] says.
///
/// **What is retried.** Only what can be repeated without changing the result:
/// - probes, infos, `ping`, `read_bytes`, and opening a read, ranged read or seekable read;
/// - a listing whose first page fails (before it yielded anything; later pages are not
///   repeated, as a listing cannot resume mid-way);
/// - `write` of in-memory content with `overwrite` (a streamed write's content is
///   consumed by the first attempt, and a retried create-only write could report
///   `AlreadyExists` for its own first attempt — so neither is retried);
/// - `delete` and `delete_folder` with `missing_ok`, `copy_file` with `overwrite`;
/// - `delete_many` with `missing_ok`: each round resends only the items that failed with a
///   retryable error (one backoff schedule for the call); the others keep their outcome;
/// - never `move_file` (its source is gone after a success whose reply was lost).
///
/// **Resumed reads.** A streamed read (`read`, `read_range`) that fails mid-body with a
/// retryable error — or ends early — reopens at the byte it reached, only if the object is
/// the same one: same etag and version id where the backend reports them, else same
/// modification time, and same size. The read names its version itself
/// (`read_versioned`: from the read's own reply on memory, S3 and Azure, from a
/// `get_file_info` before the open on backends that keep the default), so a replacement
/// after the open is caught. The reopen takes `get_file_info`, compares it with that
/// version, and reads the rest with a ranged read — conditional (`read_with` with
/// `if_match`) where the backend has
/// `conditional_read` and the version an etag, so a replacement between the check and the
/// read is refused too. When the object changed, the read fails with `Other`: "changed while being
/// read", never splicing two versions. Resuming needs the `range_read` and `metadata`
/// capabilities and an etag, a version id or a modification time; without them reads are
/// only retried on open. (A modification time is the weakest proof: a replacement with the
/// same size within the time's resolution — a second on SFTP — goes unseen.)
/// A `read_with` whose only condition is `if_match` (a transfer's ranged parts) is resumed
/// too, with the same `if_match` on the rest of its range and no `get_file_info` check: the
/// caller pinned the version, and the service refuses any other (`PreconditionFailed`).
/// [`without_resumed_reads`](Self::without_resumed_reads) turns resuming off.
///
/// The deadline of the policy bounds the retrying of each operation, waits included,
/// counted from its first failure (for a resumed read: from its first cut to its last
/// resume): a call whose first attempt succeeds reads no clock.
///
/// ```
/// # #[cfg(feature = "sync")]
/// # fn demo(backend: impl remote_store_sync::Backend) -> remote_store_core::Result<()> {
/// use std::time::Duration;
/// use remote_store_layers::{Retry, RetryPolicy};
/// use remote_store_sync::Store;
///
/// let policy = RetryPolicy::new()
///     .max_attempts(5)
///     .deadline(Some(Duration::from_secs(30)));
/// let store = Store::new(Retry::new(backend, policy), "")?;
/// # Ok(()) }
/// ```
pub struct Retry<B> {
    inner: Arc<B>,
    policy: RetryPolicy,
    resume_reads: bool,
}

impl<B> Retry<B> {
    /// Retries `inner`'s operations as `policy` says, resuming reads where possible.
    pub fn new(inner: B, policy: RetryPolicy) -> Self {
        Retry {
            inner: Arc::new(inner),
            policy,
            resume_reads: true,
        }
    }

    /// Retries reads on open only: no `get_file_info` before each read, no resuming.
    pub fn without_resumed_reads(mut self) -> Self {
        self.resume_reads = false;
        self
    }

    /// The wrapped backend. The layer calls it through this (not through the `Arc`: in
    /// the async half the `Arc`'s own `AsyncBackend` impl would add a boxed future per
    /// call).
    #[inline]
    pub fn inner(&self) -> &B {
        &self.inner
    }

    /// The policy.
    pub fn policy(&self) -> &RetryPolicy {
        &self.policy
    }

    /// Whether reads on a backend with `caps` take an identity and may resume.
    fn resumes(&self, caps: CapabilitySet) -> bool {
        self.resume_reads
            && caps.supports(Capability::RangeRead)
            && caps.supports(Capability::Metadata)
    }
}

impl<B: fmt::Debug> fmt::Debug for Retry<B> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Retry")
            .field("inner", &self.inner)
            .field("policy", &self.policy)
            .field("resume_reads", &self.resume_reads)
            .finish()
    }
}

/// The attempts of one operation: counts retries, keeps the clock, draws the jitter.
/// The clock starts at the first failure (a listing or bulk call that never fails reads
/// none).
#[derive(Debug)]
pub(crate) struct Attempts {
    policy: RetryPolicy,
    started: Option<Instant>,
    retries: u32,
}

impl Attempts {
    #[inline]
    pub(crate) fn new(policy: &RetryPolicy) -> Self {
        Attempts {
            policy: policy.clone(),
            started: None,
            retries: 0,
        }
    }

    /// After `error`: how long to wait before the next attempt, or `None` to give up.
    pub(crate) fn next_wait(&mut self, error: &Error) -> Option<Duration> {
        if !error.is_retryable() {
            return None;
        }
        let started = *self.started.get_or_insert_with(Instant::now);
        let wait = self
            .policy
            .delay(self.retries + 1, started.elapsed(), random_unit())?;
        self.retries += 1;
        Some(wait)
    }
}

/// Whether a write may be repeated: in-memory content (`replayable`) with `overwrite`.
/// The retry loop of a bulk delete, shared by both halves: each round sends only the items
/// whose last outcome was a retryable failure, with one backoff schedule for the whole
/// call; the other items keep their first outcome.
#[derive(Debug)]
pub(crate) struct BatchRetry {
    outcomes: Outcomes,
    open: Vec<RemotePath>,
    attempts: Attempts,
}

impl BatchRetry {
    pub(crate) fn new(paths: &[RemotePath], policy: &RetryPolicy) -> Self {
        let (outcomes, open) = Outcomes::pick(paths.iter().cloned().map(Ok));
        BatchRetry {
            outcomes,
            open,
            attempts: Attempts::new(policy),
        }
    }

    /// The items the next round sends.
    pub(crate) fn open(&self) -> &[RemotePath] {
        &self.open
    }

    /// Records a round's outcomes (for [`open`](Self::open), in order); returns the wait
    /// before the next round, or `None` when no item is left to retry or the policy says
    /// stop.
    pub(crate) fn record(&mut self, results: Vec<Result<(), Error>>) -> Option<Duration> {
        let again = self
            .outcomes
            .repick(results, |r| r.as_ref().is_err_and(Error::is_retryable));
        self.open = again.iter().map(|&i| self.open[i].clone()).collect();
        if self.open.is_empty() {
            return None;
        }
        self.attempts
            .next_wait(&Error::unavailable("a bulk item failed transiently"))
    }

    /// The outcomes, in input order.
    pub(crate) fn finish(self) -> Vec<Result<(), Error>> {
        self.outcomes.finish()
    }
}

#[inline]
pub(crate) fn write_is_idempotent(replayable: bool, opts: &WriteOptions) -> bool {
    // A conditional write is not repeated: if the first attempt landed, the repeat would
    // find the new etag and report a precondition failure for a write that succeeded.
    replayable && opts.overwrite && opts.if_match.is_none()
}

/// Whether a delete may be repeated (a repeat of a delete that succeeded finds nothing).
#[inline]
pub(crate) fn delete_is_idempotent(opts: &DeleteOptions) -> bool {
    opts.missing_ok
}

/// Whether a folder delete may be repeated.
pub(crate) fn delete_folder_is_idempotent(opts: &DeleteFolderOptions) -> bool {
    opts.missing_ok
}

/// Whether a copy may be repeated.
pub(crate) fn copy_is_idempotent(opts: &CopyOptions) -> bool {
    opts.overwrite
}

/// The etag a conditional read is pinned to, when `if_match` is its only condition: such a
/// read can resume at the byte it reached with the same `if_match` (the service refuses
/// any other version), where the backend evaluates conditions with the read.
pub(crate) fn pinned_etag(opts: &ReadOptions, caps: CapabilitySet) -> Option<&str> {
    let only_if_match = opts.if_none_match.is_none()
        && opts.if_modified_since.is_none()
        && opts.if_unmodified_since.is_none();
    // `*` matches any version ("only if it exists"): it pins nothing, and a resume with it
    // would splice the replacement onto what was read.
    opts.if_match
        .as_deref()
        .filter(|etag| etag.trim() != "*")
        .filter(|_| only_if_match && caps.supports(Capability::ConditionalRead))
}

/// What identifies one version of an object, for deciding whether a read may resume: the
/// etag and version id where the service has them, else the modification time; the size
/// always. The backend reports it with the read (`read_versioned`).
pub(crate) use remote_store_core::ObjectVersion as Identity;

/// A resumable read in progress: what was asked, where it is, what it reads.
#[derive(Debug)]
pub(crate) struct Resume {
    /// The next byte to deliver (absolute offset in the object).
    pub(crate) position: u64,
    /// One past the last byte to deliver (the range end clamped at the object's size).
    pub(crate) end: u64,
    pub(crate) identity: Identity,
    /// The caller's read was conditioned on `identity`'s etag (`read_with` `if_match`,
    /// [`Resume::pinned`]): its reopens carry the same `if_match`, after a check of the
    /// etag alone; the size is unknown, so a clean end of the body is the end.
    pub(crate) pinned: bool,
    /// Its clock starts at the first failure: a read that is never cut reads none.
    attempts: Attempts,
}

impl Resume {
    /// A read of `range` of the object `identity` names.
    #[inline]
    pub(crate) fn new(identity: Identity, range: Range<u64>, policy: &RetryPolicy) -> Self {
        let end = range.end.min(identity.size);
        Resume {
            position: range.start.min(end),
            end,
            identity,
            pinned: false,
            attempts: Attempts::new(policy),
        }
    }

    /// A read of `range` that the caller conditioned on `etag` (`if_match` and no other
    /// condition): the service refuses any other version, at the open and at every
    /// reopen; the etag is also checked with `get_file_info` before a reopen, since a
    /// server may skip the condition on a ranged read (an emulator did).
    pub(crate) fn pinned(etag: &str, range: Option<Range<u64>>, policy: &RetryPolicy) -> Self {
        let range = range.unwrap_or(0..u64::MAX);
        Resume {
            position: range.start,
            end: range.end.max(range.start),
            identity: Identity::new(u64::MAX).with_etag(Some(etag.to_owned())),
            pinned: true,
            attempts: Attempts::new(policy),
        }
    }

    /// After `cause` interrupted the read: how long to wait before reopening, or `None`
    /// to give up.
    pub(crate) fn next_wait(&mut self, cause: &Error) -> Option<std::time::Duration> {
        self.attempts.next_wait(cause)
    }

    /// `n` more bytes reached the caller.
    #[inline]
    pub(crate) fn advance(&mut self, n: usize) {
        self.position += n as u64;
    }

    /// Whether an end of the body before `end` is early (a cut, not the end).
    #[inline]
    pub(crate) fn ended_early(&self) -> bool {
        !self.pinned && self.position < self.end
    }

    /// The error for a body that ended early.
    pub(crate) fn early_end_error(&self, path: &str) -> Error {
        Error::unavailable(format!(
            "the body ended at byte {} of {}",
            self.position, self.end
        ))
        .with_path(path)
    }

    /// The range to reopen at.
    pub(crate) fn remaining(&self) -> Range<u64> {
        self.position..self.end
    }

    /// The error for a resume whose conditional read found another version
    /// (`PreconditionFailed` from `read_with` with `if_match`).
    pub(crate) fn changed_error(&self, path: &str) -> Error {
        Error::new(ErrorKind::Other)
            .with_path(path)
            .with_message(format!(
                "changed while being read (was {}, the etag no longer matches); not resumed at byte {}",
                describe(Some(&self.identity)),
                self.position
            ))
    }

    /// The conditional read that resumes where the read reached, if the backend evaluates
    /// conditions with the read (`conditional_read`) and the version has an etag.
    pub(crate) fn conditional_reopen(&self, caps: CapabilitySet) -> Option<ReadOptions> {
        let etag = self.identity.etag.as_deref()?;
        caps.supports(Capability::ConditionalRead)
            .then(|| ReadOptions::new().range(self.remaining()).if_match(etag))
    }

    /// Checks the object read now (`now`) against the one the read started on: its whole
    /// identity, or for a pinned read its etag.
    ///
    /// # Errors
    /// `Other` "changed while being read" naming both identities (`PreconditionFailed`
    /// for a pinned read); the caller adds the failure that interrupted the read as its
    /// source.
    pub(crate) fn check_unchanged(&self, now: &FileInfo, path: &str) -> Result<(), Error> {
        if self.pinned {
            // As the service answers a failed `if_match`: `PreconditionFailed`.
            // (Never `*`: that pins nothing, and such a read is not pinned.)
            let wanted = self.identity.etag.as_deref().unwrap_or_default();
            if now
                .etag
                .as_deref()
                .is_some_and(|e| remote_store_core::etag_matches(e, wanted))
            {
                return Ok(());
            }
            return Err(Error::new(ErrorKind::PreconditionFailed)
                .with_path(path)
                .with_message(format!(
                    "changed while being read (the etag is no longer {wanted}); not resumed \
                     at byte {}",
                    self.position
                )));
        }
        match Identity::of(now) {
            Some(id) if id == self.identity => Ok(()),
            other => Err(Error::new(ErrorKind::Other)
                .with_path(path)
                .with_message(format!(
                    "changed while being read (was {}, now {}); not resumed at byte {}",
                    describe(Some(&self.identity)),
                    describe(other.as_ref()),
                    self.position
                ))),
        }
    }
}

fn describe(id: Option<&Identity>) -> String {
    match id {
        None => "unidentified".to_owned(),
        Some(id) => {
            let mut parts = Vec::new();
            if let Some(e) = &id.etag {
                parts.push(format!("etag {e}"));
            }
            if let Some(v) = &id.version_id {
                parts.push(format!("version {v}"));
            }
            let unversioned = id.etag.is_none() && id.version_id.is_none();
            if let Some(t) = id.modified.and_then(|t| t.duration_since(UNIX_EPOCH).ok())
                && unversioned
            {
                parts.push(format!("modified {}.{:09}", t.as_secs(), t.subsec_nanos()));
            }
            parts.push(format!("{} bytes", id.size));
            parts.join(", ")
        }
    }
}

/// A number in `0.0..1.0` for jitter: a SplitMix64 sequence seeded from the clock. Not
/// for cryptography; it only has to spread clients apart.
fn random_unit() -> f64 {
    static STATE: AtomicU64 = AtomicU64::new(0);
    let mut seed = STATE.load(Ordering::Relaxed);
    if seed == 0 {
        seed = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0x9E37_79B9, |d| d.as_nanos() as u64)
            | 1;
    }
    let next = seed.wrapping_add(0x9E37_79B9_7F4A_7C15);
    STATE.store(next, Ordering::Relaxed);
    let mut z = next;
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^= z >> 31;
    (z >> 11) as f64 / (1u64 << 53) as f64
}

#[cfg(test)]
mod tests {
    use super::*;
    use remote_store_core::RemotePath;

    #[test]
    fn random_unit_stays_in_range() {
        for _ in 0..1000 {
            let r = random_unit();
            assert!((0.0..1.0).contains(&r), "{r}");
        }
    }

    #[test]
    fn attempts_stop_at_the_policy_and_on_permanent_errors() {
        let policy = RetryPolicy::new()
            .max_attempts(3)
            .initial_backoff(Duration::from_millis(1));
        let mut a = Attempts::new(&policy);
        let transient = Error::unavailable("reset");
        assert!(a.next_wait(&transient).is_some());
        assert!(a.next_wait(&transient).is_some());
        assert!(a.next_wait(&transient).is_none());
        let mut a = Attempts::new(&policy);
        assert!(a.next_wait(&Error::not_found("x")).is_none());
        assert!(a.next_wait(&Error::closed()).is_none());
    }

    #[test]
    fn resume_clamps_and_checks_identity() {
        let path = RemotePath::file("a.bin").unwrap();
        let info = FileInfo::new(path.clone(), 100, None).with_etag(Some("e1".into()));
        let id = Identity::of(&info).unwrap();
        let mut r = Resume::new(id, 10..1000, &RetryPolicy::new());
        assert_eq!(r.remaining(), 10..100);
        r.advance(40);
        assert!(r.ended_early());
        assert_eq!(r.remaining(), 50..100);
        assert!(r.check_unchanged(&info, "a.bin").is_ok());
        let replaced = FileInfo::new(path.clone(), 100, None).with_etag(Some("e2".into()));
        let err = r.check_unchanged(&replaced, "a.bin").unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Other);
        assert!(
            err.to_string().contains("changed while being read"),
            "{err}"
        );
        assert!(Identity::of(&FileInfo::new(path.clone(), 100, None)).is_none());
        let t = UNIX_EPOCH + Duration::from_secs(1_700_000_000);
        let timed = FileInfo::new(path.clone(), 100, Some(t));
        let mut r = Resume::new(Identity::of(&timed).unwrap(), 0..100, &RetryPolicy::new());
        r.advance(10);
        assert!(r.check_unchanged(&timed, "a.bin").is_ok());
        let touched = FileInfo::new(path, 100, Some(t + Duration::from_secs(1)));
        let err = r.check_unchanged(&touched, "a.bin").unwrap_err();
        assert!(err.to_string().contains("modified 1700000000"), "{err}");
    }

    #[test]
    fn only_repeatable_calls_are_idempotent() {
        assert!(write_is_idempotent(true, &WriteOptions::overwriting()));
        assert!(!write_is_idempotent(false, &WriteOptions::overwriting()));
        assert!(!write_is_idempotent(true, &WriteOptions::new()));
        assert!(!write_is_idempotent(
            true,
            &WriteOptions::new().if_match("e1")
        ));
        assert!(delete_is_idempotent(&DeleteOptions::new().missing_ok(true)));
        assert!(!delete_is_idempotent(&DeleteOptions::new()));
        assert!(copy_is_idempotent(&CopyOptions::new().overwrite(true)));
    }
}
