//! Where a [`BlockingAdapter`](crate::BlockingAdapter) runs its work and how `close` stops
//! it: the process-wide runtime (or the adapter's own), and the epochs that let `close`
//! cancel what a caller still holds.
//!
//! An epoch is everything an adapter started since its last `close`. Closing ends the
//! epoch: the pumps of its streams are cancelled at once (a caller holding a listing or a
//! reader is not work in progress, it is parked), its calls still running get a bounded
//! time to finish and are then cancelled. Later calls start in a fresh epoch, so a backend
//! that is not terminal keeps working after `close`.

use std::sync::{Arc, Condvar, Mutex, MutexGuard, OnceLock, PoisonError};
use std::time::Duration;

use remote_store_core::{Error, Result};
use tokio::runtime::{Handle, Runtime};
use tokio_util::sync::CancellationToken;

/// Worker threads of the shared runtime, and of a runtime an adapter owns. The work is
/// I/O: the workers only poll futures, the callers wait on their own threads.
const WORKERS: usize = 2;
/// How long `close` lets calls still running (on other threads) finish before cancelling
/// them. Streams the caller holds are not waited for.
const DRAIN_TIMEOUT: Duration = Duration::from_secs(10);
/// How long `close` waits for an own runtime's blocking-pool threads to stop.
const SHUTDOWN_TIMEOUT: Duration = Duration::from_secs(1);

/// The runtime every adapter uses unless it asked for its own; never shut down.
static SHARED: OnceLock<Runtime> = OnceLock::new();
/// Serialises building [`SHARED`] (building can fail, so `get_or_init` does not fit).
static SHARED_INIT: Mutex<()> = Mutex::new(());

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

fn build(thread_name: &str) -> Result<Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(WORKERS)
        .thread_name(thread_name)
        .enable_all()
        .build()
        .map_err(|e| {
            Error::unavailable("cannot start the runtime of the blocking adapter").with_source(e)
        })
}

fn shared_handle() -> Result<Handle> {
    if let Some(rt) = SHARED.get() {
        return Ok(rt.handle().clone());
    }
    let _init = lock(&SHARED_INIT);
    if let Some(rt) = SHARED.get() {
        return Ok(rt.handle().clone());
    }
    let rt = build("remote-store")?;
    let handle = rt.handle().clone();
    // We hold the init lock and saw it empty: this `set` cannot lose.
    let _ = SHARED.set(rt);
    Ok(handle)
}

/// The error a call or a held stream gets once its adapter was closed.
pub(crate) fn closed() -> Error {
    Error::closed().with_message(
        "closed: the backend was closed while this call or stream was in progress; \
         start it again (a backend that is not terminal reconnects)",
    )
}

/// Which runtime an adapter runs on.
enum Placement {
    /// The process-wide one, shared by every adapter that did not ask for its own.
    Shared,
    /// One of its own: created on first use, shut down by `close`, created again lazily.
    Own(Mutex<Option<Runtime>>),
}

/// Calls of one epoch still running, so `close` can wait for them.
#[derive(Default)]
struct Running {
    count: Mutex<usize>,
    idle: Condvar,
}

/// Everything an adapter started since its last `close`.
#[derive(Clone, Default)]
pub(crate) struct Epoch {
    /// Cancelled first thing in `close`: the pumps of listings and reads.
    pub(crate) streams: CancellationToken,
    /// Cancelled when `close` stops waiting: calls still running.
    pub(crate) calls: CancellationToken,
    running: Arc<Running>,
}

impl Epoch {
    /// Counts a call as running until the guard drops.
    pub(crate) fn enter(&self) -> CallGuard {
        *lock(&self.running.count) += 1;
        CallGuard(Arc::clone(&self.running))
    }

    /// Cancels the streams now, waits (bounded) for the calls, cancels what is left.
    fn end(&self) {
        self.streams.cancel();
        let count = lock(&self.running.count);
        let _ = self
            .running
            .idle
            .wait_timeout_while(count, DRAIN_TIMEOUT, |n| *n > 0);
        self.calls.cancel();
    }
}

/// A running call; see [`Epoch::enter`].
pub(crate) struct CallGuard(Arc<Running>);

impl Drop for CallGuard {
    fn drop(&mut self) {
        let mut count = lock(&self.0.count);
        *count -= 1;
        if *count == 0 {
            self.0.idle.notify_all();
        }
    }
}

/// An adapter's runtime and current epoch.
pub(crate) struct Lifecycle {
    placement: Placement,
    epoch: Mutex<Epoch>,
}

impl Lifecycle {
    /// On the shared runtime.
    pub(crate) fn shared() -> Self {
        Self::on(Placement::Shared)
    }

    /// On a runtime of its own.
    pub(crate) fn own() -> Self {
        Self::on(Placement::Own(Mutex::new(None)))
    }

    fn on(placement: Placement) -> Self {
        Lifecycle {
            placement,
            epoch: Mutex::new(Epoch::default()),
        }
    }

    /// Whether the adapter has a runtime of its own.
    pub(crate) fn is_own(&self) -> bool {
        matches!(self.placement, Placement::Own(_))
    }

    /// A handle to the runtime to run on, starting it if needed.
    pub(crate) fn handle(&self) -> Result<Handle> {
        match &self.placement {
            Placement::Shared => shared_handle(),
            Placement::Own(slot) => {
                let mut slot = lock(slot);
                if let Some(rt) = slot.as_ref() {
                    return Ok(rt.handle().clone());
                }
                let rt = build("remote-store-own")?;
                let handle = rt.handle().clone();
                *slot = Some(rt);
                Ok(handle)
            }
        }
    }

    /// The runtime to run on and the epoch the work belongs to.
    pub(crate) fn start(&self) -> Result<(Handle, Epoch)> {
        let handle = self.handle()?;
        Ok((handle, lock(&self.epoch).clone()))
    }

    /// The calls currently running.
    pub(crate) fn running(&self) -> usize {
        *lock(&lock(&self.epoch).running.count)
    }

    /// Ends the current epoch (see the module docs); work started afterwards is not
    /// affected.
    pub(crate) fn end_epoch(&self) {
        let ended = std::mem::take(&mut *lock(&self.epoch));
        ended.end();
    }

    /// Shuts an own runtime down (it comes back on next use); leaves the shared one alone.
    pub(crate) fn release_runtime(&self) {
        let Placement::Own(slot) = &self.placement else {
            return;
        };
        let Some(rt) = lock(slot).take() else {
            return;
        };
        // Shutting down with a wait is not allowed on an async thread; do it on our own.
        let _ = std::thread::spawn(move || rt.shutdown_timeout(SHUTDOWN_TIMEOUT)).join();
    }
}

impl Drop for Lifecycle {
    fn drop(&mut self) {
        // The adapter is gone: nothing it started may keep running on the shared runtime.
        let epoch = self.epoch.get_mut().unwrap_or_else(PoisonError::into_inner);
        epoch.streams.cancel();
        epoch.calls.cancel();
        if let Placement::Own(slot) = &mut self.placement
            && let Some(rt) = slot
                .get_mut()
                .unwrap_or_else(PoisonError::into_inner)
                .take()
        {
            // Never a blocking shutdown here: the last drop may happen inside async code.
            rt.shutdown_background();
        }
    }
}
