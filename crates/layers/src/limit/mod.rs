//! [`ConcurrencyLimit`]: at most N operations of a backend in flight.
//!
//! The struct and the blocking gate live here; `sync.rs` and `async.rs` take a permit
//! around each call and hand it to the stream or listing a call returns.

use std::fmt;
#[cfg(any(feature = "sync", feature = "async"))]
use std::sync::Arc;
#[cfg(feature = "sync")]
use std::sync::atomic::{AtomicUsize, Ordering};
#[cfg(feature = "sync")]
use std::sync::{Condvar, Mutex, PoisonError};
use std::time::Duration;

#[cfg(feature = "async")]
mod r#async;
#[cfg(feature = "sync")]
mod sync;

/// A layer bounding the operations in flight on the backend it wraps.
///
/// Every I/O call takes a permit and gives it back when it returns; a read keeps its
/// permit until its stream ends (or fails) or is dropped, and a listing takes one when it
/// is first polled and keeps it likewise, so a caller holding many open readers is bounded
/// too (a seekable reader keeps its permit until dropped: it may seek back). A bulk
/// `delete_many` takes one permit for the whole call, however many paths it carries: it is
/// one request to a service with a bulk primitive (S3 sends up to 1,000 keys a request),
/// and a backend that falls back to single deletes bounds its own concurrency inside it. The identity methods and `close` take none. Callers
/// beyond the limit wait: on a condition variable in the blocking half, on tokio's
/// semaphore in the async half (fairly, in arrival order; dropping the future gives up
/// the place).
///
/// The blocking and the async halves count separately: a backend that serves both through
/// one `ConcurrencyLimit` value allows `limit` calls in each.
///
/// **Choose the limit above the streams a caller holds at once.** A caller that holds
/// `limit` open streams (readers, listings it is walking) and then starts another call on
/// the same backend waits forever: nothing it waits for can end. The usual shapes: a loop
/// that reads or stats each file of a listing it is still walking needs a limit of at
/// least 2; a copy from one backend to itself (`copy_between` with both stores over the
/// same `ConcurrencyLimit`) holds a read stream while it waits for its write, so it needs
/// a limit above its files in flight. A blocking caller that has waited
/// [`PATIENCE`](Self::PATIENCE) for a permit logs a WARN (target `remote_store`) saying
/// so, once per wait.
///
/// ```
/// # #[cfg(feature = "sync")]
/// # fn demo(backend: impl remote_store_sync::Backend) -> remote_store_core::Result<()> {
/// use remote_store_layers::ConcurrencyLimit;
/// use remote_store_sync::Store;
///
/// let store = Store::new(ConcurrencyLimit::new(backend, 8), "")?;
/// # Ok(()) }
/// ```
pub struct ConcurrencyLimit<B> {
    inner: B,
    limit: usize,
    #[cfg(feature = "sync")]
    gate: Arc<Gate>,
    #[cfg(feature = "async")]
    semaphore: Arc<tokio::sync::Semaphore>,
}

impl<B> ConcurrencyLimit<B> {
    /// How long a blocking caller waits for a permit before it logs a WARN that it is
    /// still waiting (and may wait forever if it holds the streams that hold them all).
    pub const PATIENCE: Duration = Duration::from_secs(10);

    /// Allows at most `limit` operations on `inner` at once (`0` is read as `1`).
    pub fn new(inner: B, limit: usize) -> Self {
        let limit = limit.clamp(1, MAX_PERMITS);
        ConcurrencyLimit {
            inner,
            limit,
            #[cfg(feature = "sync")]
            gate: Arc::new(Gate::new(limit)),
            #[cfg(feature = "async")]
            semaphore: Arc::new(tokio::sync::Semaphore::new(limit)),
        }
    }

    /// The wrapped backend.
    pub fn inner(&self) -> &B {
        &self.inner
    }

    /// The bound.
    pub fn limit(&self) -> usize {
        self.limit
    }
}

/// The largest limit (tokio's semaphore bound, so both halves accept the same values).
const MAX_PERMITS: usize = usize::MAX >> 3;

impl<B: fmt::Debug> fmt::Debug for ConcurrencyLimit<B> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ConcurrencyLimit")
            .field("inner", &self.inner)
            .field("limit", &self.limit)
            .finish()
    }
}

/// A counting gate for blocking callers. Taking and freeing a permit are one atomic
/// operation each while permits are free; only a caller that finds none takes the mutex
/// and waits on the condition variable, and only a release that sees a waiter wakes one.
#[cfg(feature = "sync")]
pub(crate) struct Gate {
    permits: usize,
    free: AtomicUsize,
    waiters: AtomicUsize,
    lock: Mutex<()>,
    freed: Condvar,
}

#[cfg(feature = "sync")]
impl Gate {
    fn new(permits: usize) -> Self {
        Gate {
            permits,
            free: AtomicUsize::new(permits),
            waiters: AtomicUsize::new(0),
            lock: Mutex::new(()),
            freed: Condvar::new(),
        }
    }

    /// Takes a free permit if there is one.
    #[inline]
    fn try_take(&self) -> bool {
        self.free
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
            .is_ok()
    }

    /// Waits for a free permit and takes it.
    #[inline]
    fn take(&self) {
        if !self.try_take() {
            self.wait_for_one(ConcurrencyLimit::<()>::PATIENCE);
        }
    }

    /// The slow path of [`take`](Self::take): waits on the condition variable, and says
    /// so once if that takes longer than `patience`. True when it did.
    #[cold]
    fn wait_for_one(&self, patience: Duration) -> bool {
        let mut guard = self.lock.lock().unwrap_or_else(PoisonError::into_inner);
        // Announced before the last look: a release either sees this waiter (and
        // notifies, under the lock, so after the wait below began) or freed its
        // permit before that look (which then takes it).
        self.waiters.fetch_add(1, Ordering::SeqCst);
        let mut warned = false;
        while !self.try_take() {
            let (g, waited) = self
                .freed
                .wait_timeout(guard, patience)
                .unwrap_or_else(PoisonError::into_inner);
            guard = g;
            if waited.timed_out() && !warned {
                warned = true;
                // Not under the lock: a release that finds a waiter must not wait for a
                // log line (whose subscriber might even use this backend).
                drop(guard);
                tracing::warn!(
                    target: "remote_store",
                    limit = self.permits,
                    waited = ?patience,
                    "ConcurrencyLimit: still waiting for a permit; all of them are held. If \
                     this thread holds the open streams or listings that hold them (a read \
                     left open while writing, a listing walked while reading each file), \
                     it will wait forever: end or drop them first, or raise the limit \
                     above the streams held at once"
                );
                guard = self.lock.lock().unwrap_or_else(PoisonError::into_inner);
            }
        }
        self.waiters.fetch_sub(1, Ordering::SeqCst);
        warned
    }

    /// Frees a permit and wakes one waiter, if any.
    #[inline]
    fn release(&self) {
        self.free.fetch_add(1, Ordering::SeqCst);
        if self.waiters.load(Ordering::SeqCst) > 0 {
            let _guard = self.lock.lock().unwrap_or_else(PoisonError::into_inner);
            self.freed.notify_one();
        }
    }

    /// Waits for a permit for a call: borrowed from the gate (no `Arc` clone).
    #[inline]
    pub(crate) fn acquire(&self) -> GatePermit<'_> {
        self.take();
        GatePermit(self)
    }

    /// Waits for a permit that a reader or listing keeps after the call returns.
    #[inline]
    pub(crate) fn acquire_owned(self: &Arc<Self>) -> OwnedGatePermit {
        self.take();
        OwnedGatePermit(Arc::clone(self))
    }
}

/// A taken permit for the length of a call; dropping it frees it and wakes one waiter.
#[cfg(feature = "sync")]
pub(crate) struct GatePermit<'a>(&'a Gate);

#[cfg(feature = "sync")]
impl Drop for GatePermit<'_> {
    #[inline]
    fn drop(&mut self) {
        self.0.release();
    }
}

/// A taken permit a reader or listing holds; dropping it frees it and wakes one waiter.
#[cfg(feature = "sync")]
pub(crate) struct OwnedGatePermit(Arc<Gate>);

#[cfg(feature = "sync")]
impl Drop for OwnedGatePermit {
    #[inline]
    fn drop(&mut self) {
        self.0.release();
    }
}

#[cfg(all(test, feature = "sync"))]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn the_gate_bounds_holders() {
        let gate = Arc::new(Gate::new(3));
        let inside = Arc::new(AtomicUsize::new(0));
        let peak = Arc::new(AtomicUsize::new(0));
        let threads: Vec<_> = (0..24)
            .map(|_| {
                let (gate, inside, peak) = (gate.clone(), inside.clone(), peak.clone());
                std::thread::spawn(move || {
                    let _permit = gate.acquire();
                    let now = inside.fetch_add(1, Ordering::SeqCst) + 1;
                    peak.fetch_max(now, Ordering::SeqCst);
                    std::thread::sleep(Duration::from_millis(5));
                    inside.fetch_sub(1, Ordering::SeqCst);
                })
            })
            .collect();
        for t in threads {
            t.join().unwrap();
        }
        assert_eq!(peak.load(Ordering::SeqCst), 3);
        assert_eq!(gate.free.load(Ordering::SeqCst), 3);
        assert_eq!(gate.waiters.load(Ordering::SeqCst), 0);
    }

    /// A wait longer than the patience is reported (once), and still ends with the permit
    /// once one is freed.
    #[test]
    fn a_long_wait_is_reported() {
        let gate = Arc::new(Gate::new(1));
        let held = gate.acquire_owned();
        let waiter = {
            let gate = Arc::clone(&gate);
            std::thread::spawn(move || {
                let warned = gate.wait_for_one(Duration::from_millis(20));
                (warned, gate.free.load(Ordering::SeqCst))
            })
        };
        std::thread::sleep(Duration::from_millis(300));
        drop(held);
        assert_eq!(
            waiter.join().unwrap(),
            (true, 0),
            "warned, and took the permit"
        );
        gate.release();
        assert!(
            !gate.wait_for_one(Duration::from_secs(60)),
            "a free permit: no wait"
        );
        assert_eq!(gate.free.load(Ordering::SeqCst), 0);
        assert_eq!(gate.waiters.load(Ordering::SeqCst), 0);
    }
}
