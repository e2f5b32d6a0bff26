//! [`Observe`]: one [`Event`] per operation, handed to an [`Observer`].
//!
//! This file holds the policy both halves share — what an event carries and when it fires;
//! `sync.rs` and `async.rs` only call it around the inner backend.

use std::fmt;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use remote_store_core::{Entry, Error, ErrorKind, FileInfo, FolderEntry, Operation, RemotePath};

use crate::kept::KeptPath;

#[cfg(feature = "async")]
mod r#async;
#[cfg(feature = "metrics")]
mod metrics;
#[cfg(feature = "sync")]
mod sync;
#[cfg(feature = "tracing")]
mod tracing;

#[cfg(feature = "metrics")]
pub use metrics::MetricsObserver;
#[cfg(feature = "tracing")]
pub use tracing::TracingObserver;

/// How an observed operation ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Outcome {
    /// It succeeded; a stream or listing was read to its end.
    Ok,
    /// It failed with this kind (for a stream or listing: its first error).
    Error(ErrorKind),
    /// The caller dropped a stream or listing before its end (no error was seen).
    Dropped,
}

impl Outcome {
    /// A stable label: `"ok"`, `"error"` or `"dropped"`.
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Ok => "ok",
            Outcome::Error(_) => "error",
            Outcome::Dropped => "dropped",
        }
    }

    /// The error kind, for [`Outcome::Error`].
    pub fn error_kind(self) -> Option<ErrorKind> {
        match self {
            Outcome::Error(kind) => Some(kind),
            _ => None,
        }
    }
}

/// A stable lower-snake label for an error kind (`"not_found"`), as metrics and spans use.
#[cfg_attr(not(any(feature = "tracing", feature = "metrics")), allow(dead_code))]
pub(crate) fn kind_label(kind: ErrorKind) -> &'static str {
    match kind {
        ErrorKind::NotFound => "not_found",
        ErrorKind::AlreadyExists => "already_exists",
        ErrorKind::PermissionDenied => "permission_denied",
        ErrorKind::InvalidPath => "invalid_path",
        ErrorKind::CapabilityNotSupported => "capability_not_supported",
        ErrorKind::BackendUnavailable => "backend_unavailable",
        ErrorKind::DirectoryNotEmpty => "directory_not_empty",
        ErrorKind::InvalidArgument => "invalid_argument",
        ErrorKind::PreconditionFailed => "precondition_failed",
        ErrorKind::NotModified => "not_modified",
        _ => "other",
    }
}

/// What an observer learns when an operation starts.
#[derive(Debug, Clone, Copy)]
#[non_exhaustive]
pub struct Start<'a> {
    /// The operation.
    pub operation: Operation,
    /// The backend's name (`"s3"`, `"memory"`).
    pub backend: &'static str,
    /// The key the backend sees (the store root included); `""` for the backend root and
    /// for operations without a path (`ping`, `close`); a glob's pattern.
    pub path: &'a str,
    /// The destination of a copy or move.
    pub to: Option<&'a str>,
    /// The [correlation id](crate::correlation) in force when the operation started.
    pub correlation_id: Option<&'a str>,
}

/// One finished operation: what it was, how long it took, how many bytes moved, how it
/// ended. A read or listing's event fires when its stream or iterator ends, fails or is
/// dropped, with the true count of bytes or entries the caller received.
#[derive(Debug, Clone, Copy)]
#[non_exhaustive]
pub struct Event<'a> {
    /// The operation.
    pub operation: Operation,
    /// The backend's name.
    pub backend: &'static str,
    /// As [`Start::path`].
    pub path: &'a str,
    /// The destination of a copy or move.
    pub to: Option<&'a str>,
    /// As [`Start::correlation_id`].
    pub correlation_id: Option<&'a str>,
    /// Bytes the caller received (reads).
    pub bytes_read: u64,
    /// Bytes written: the size the backend reported for a successful write, 0 for a failed
    /// one (copies and moves are server-side and count no bytes).
    pub bytes_written: u64,
    /// Entries a listing yielded (errors not counted).
    pub entries: u64,
    /// From the call to its end (for streams: to the end, failure or drop of the stream).
    pub duration: Duration,
    /// How it ended.
    pub outcome: Outcome,
    /// The error's `Display` text, for [`Outcome::Error`].
    pub error: Option<&'a str>,
}

/// State an observer keeps from an operation's [start](Observer::start) to its
/// [finish](Observer::finish). With the `tracing` feature it may hold a `tracing` span,
/// which the layer enters while the inner backend works (so the backend's own events nest
/// under it) and keeps open until the operation ends; without it, it is empty.
#[derive(Default)]
pub struct Scope {
    #[cfg(feature = "tracing")]
    span: Option<::tracing::Span>,
}

impl Scope {
    /// A scope that holds nothing.
    pub fn none() -> Self {
        Scope::default()
    }

    /// A scope holding `span`.
    #[cfg(feature = "tracing")]
    #[cfg_attr(docsrs, doc(cfg(feature = "tracing")))]
    pub fn with_span(span: ::tracing::Span) -> Self {
        Scope { span: Some(span) }
    }

    /// The span this scope holds.
    #[cfg(feature = "tracing")]
    #[cfg_attr(docsrs, doc(cfg(feature = "tracing")))]
    pub fn span(&self) -> Option<&::tracing::Span> {
        self.span.as_ref()
    }

    /// Runs `f` inside the scope's span, if any.
    #[cfg_attr(not(feature = "sync"), allow(dead_code))]
    pub(crate) fn in_scope<R>(&self, f: impl FnOnce() -> R) -> R {
        #[cfg(feature = "tracing")]
        if let Some(span) = &self.span {
            return span.in_scope(f);
        }
        f()
    }

    /// `fut`, entering the scope's span (if any) on every poll.
    #[cfg(feature = "async")]
    pub(crate) fn instrument<F: Future>(&self, fut: F) -> impl Future<Output = F::Output> {
        #[cfg(feature = "tracing")]
        {
            use ::tracing::Instrument;
            fut.instrument(self.span.clone().unwrap_or_else(::tracing::Span::none))
        }
        #[cfg(not(feature = "tracing"))]
        fut
    }

    /// Merges two observers' scopes: the first one holding something wins.
    fn or(self, other: Scope) -> Scope {
        #[cfg(feature = "tracing")]
        if self.span.is_none() {
            return other;
        }
        let _ = other;
        self
    }
}

impl fmt::Debug for Scope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut d = f.debug_struct("Scope");
        #[cfg(feature = "tracing")]
        d.field("span", &self.span);
        d.finish()
    }
}

/// Receives one [`Event`] per operation of an [`Observe`] layer.
///
/// `finish` is called exactly once per started operation, on the thread or task that ends
/// it; keep it cheap (record, don't do I/O). Built-in observers: [`NoopObserver`],
/// `TracingObserver` (feature `tracing`), `MetricsObserver` (feature `metrics`); a pair
/// `(A, B)` of observers is an observer that tells both.
///
/// ```
/// use std::sync::atomic::{AtomicU64, Ordering};
/// use remote_store_layers::{Event, Observer, Scope};
///
/// #[derive(Debug, Default)]
/// struct BytesRead(AtomicU64);
///
/// impl Observer for BytesRead {
///     fn finish(&self, _scope: &Scope, event: &Event<'_>) {
///         self.0.fetch_add(event.bytes_read, Ordering::Relaxed);
///     }
/// }
/// ```
pub trait Observer: Send + Sync + fmt::Debug + 'static {
    /// Whether this observer wants operations now; asked once per operation, when the
    /// call is made (in the async half: when the backend method is called, before its
    /// future is first polled). When it says no, the operation runs unobserved: no clock,
    /// no wrapper, no event — in the async half not even a future of the layer's own, the
    /// inner backend's is returned as it is (the tracing observer says no while no
    /// subscriber could record anything).
    fn enabled(&self) -> bool {
        true
    }

    /// An operation starts. The returned scope comes back to [`finish`](Self::finish).
    fn start(&self, start: &Start<'_>) -> Scope {
        let _ = start;
        Scope::none()
    }

    /// An operation ended.
    fn finish(&self, scope: &Scope, event: &Event<'_>);
}

impl<O: Observer + ?Sized> Observer for Arc<O> {
    fn enabled(&self) -> bool {
        (**self).enabled()
    }

    fn start(&self, start: &Start<'_>) -> Scope {
        (**self).start(start)
    }

    fn finish(&self, scope: &Scope, event: &Event<'_>) {
        (**self).finish(scope, event);
    }
}

impl<A: Observer, B: Observer> Observer for (A, B) {
    fn enabled(&self) -> bool {
        self.0.enabled() || self.1.enabled()
    }

    fn start(&self, start: &Start<'_>) -> Scope {
        self.0.start(start).or(self.1.start(start))
    }

    fn finish(&self, scope: &Scope, event: &Event<'_>) {
        self.0.finish(scope, event);
        self.1.finish(scope, event);
    }
}

/// An observer that wants nothing: operations through it run unobserved.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoopObserver;

impl Observer for NoopObserver {
    fn enabled(&self) -> bool {
        false
    }

    fn finish(&self, _scope: &Scope, _event: &Event<'_>) {}
}

/// A layer that reports every operation of the backend it wraps to an [`Observer`].
///
/// Implements `Backend` when `B` does and `AsyncBackend` when `B` does. Every I/O method is
/// observed (a bulk `delete_many` as one `Delete` event per path, each with its own outcome
/// and the whole call's duration) (the identity methods — `name`, `capabilities`, `is_closed`, `native_path`,
/// `to_key`, `native_client` — are not); reads and listings report when their stream ends,
/// fails or is dropped. Paths in events are the keys the backend sees: the store's root
/// is included.
///
/// `O` is the observer type; with the default, `dyn Observer`, build it with
/// [`with_shared`](Self::with_shared) from an `Arc<dyn Observer>`.
///
/// ```
/// # #[cfg(feature = "sync")]
/// # fn demo(backend: impl remote_store_sync::Backend) -> remote_store_core::Result<()> {
/// use remote_store_layers::{NoopObserver, Observe};
/// use remote_store_sync::Store;
///
/// let store = Store::new(Observe::new(backend, NoopObserver), "")?;
/// # Ok(()) }
/// ```
pub struct Observe<B, O: ?Sized = dyn Observer> {
    inner: B,
    observer: Arc<O>,
}

impl<B, O: Observer> Observe<B, O> {
    /// Observes `inner` with `observer`.
    pub fn new(inner: B, observer: O) -> Self {
        Observe {
            inner,
            observer: Arc::new(observer),
        }
    }
}

impl<B, O: Observer + ?Sized> Observe<B, O> {
    /// Observes `inner` with a shared observer (also an `Arc<dyn Observer>`).
    pub fn with_shared(inner: B, observer: Arc<O>) -> Self {
        Observe { inner, observer }
    }

    /// The wrapped backend.
    pub fn inner(&self) -> &B {
        &self.inner
    }

    /// The observer.
    pub fn observer(&self) -> &Arc<O> {
        &self.observer
    }
}

impl<B: fmt::Debug, O: Observer + ?Sized> fmt::Debug for Observe<B, O> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Observe")
            .field("inner", &self.inner)
            .field("observer", &self.observer)
            .finish()
    }
}

/// What an operation moved.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Tally {
    pub(crate) bytes_read: u64,
    pub(crate) bytes_written: u64,
    pub(crate) entries: u64,
}

impl Tally {
    pub(crate) fn read(bytes: u64) -> Self {
        Tally {
            bytes_read: bytes,
            ..Tally::default()
        }
    }

    pub(crate) fn written(bytes: u64) -> Self {
        Tally {
            bytes_written: bytes,
            ..Tally::default()
        }
    }
}

/// How a stream's or listing's item adds to the tally.
pub(crate) trait Measure {
    /// Whether the first error ends the stream's event (a byte stream's does; a listing
    /// may go on past an entry's error). Only the async half's streams ask: a blocking
    /// reader's event ends at its drop whatever it returned.
    #[cfg_attr(not(feature = "async"), allow(dead_code))]
    const ENDS_AT_ERROR: bool = false;

    fn measure(&self, tally: &mut Tally);
}

impl Measure for Bytes {
    const ENDS_AT_ERROR: bool = true;

    fn measure(&self, tally: &mut Tally) {
        tally.bytes_read += self.len() as u64;
    }
}

macro_rules! entries {
    ($($t:ty),*) => {$(
        impl Measure for $t {
            fn measure(&self, tally: &mut Tally) {
                tally.entries += 1;
            }
        }
    )*};
}
entries!(FileInfo, FolderEntry, Entry);

/// An operation in flight: started, not yet reported.
pub(crate) struct Pending {
    operation: Operation,
    backend: &'static str,
    correlation: Option<Arc<str>>,
    started: Instant,
    scope: Scope,
}

impl Pending {
    /// Reads the correlation id, tells the observer, starts the clock; `None` when the
    /// observer does not want this operation.
    pub(crate) fn start<O: Observer + ?Sized>(
        observer: &O,
        operation: Operation,
        backend: &'static str,
        path: &str,
        to: Option<&str>,
    ) -> Option<Self> {
        if !observer.enabled() {
            return None;
        }
        Some(Self::begin(observer, operation, backend, path, to))
    }

    /// As [`start`](Self::start), for an observer that already said it wants this
    /// operation (the async half asks when the call is made, to forward the inner future
    /// untouched otherwise).
    pub(crate) fn begin<O: Observer + ?Sized>(
        observer: &O,
        operation: Operation,
        backend: &'static str,
        path: &str,
        to: Option<&str>,
    ) -> Self {
        let correlation = crate::correlation::current();
        let scope = observer.start(&Start {
            operation,
            backend,
            path,
            to,
            correlation_id: correlation.as_deref(),
        });
        Pending {
            operation,
            backend,
            correlation,
            started: Instant::now(),
            scope,
        }
    }

    pub(crate) fn scope(&self) -> &Scope {
        &self.scope
    }

    /// Reports the operation.
    pub(crate) fn finish<O: Observer + ?Sized>(
        self,
        observer: &O,
        path: &str,
        to: Option<&str>,
        tally: Tally,
        outcome: Outcome,
        error: Option<&str>,
    ) {
        let event = Event {
            operation: self.operation,
            backend: self.backend,
            path,
            to,
            correlation_id: self.correlation.as_deref(),
            bytes_read: tally.bytes_read,
            bytes_written: tally.bytes_written,
            entries: tally.entries,
            duration: self.started.elapsed(),
            outcome,
            error,
        };
        observer.finish(&self.scope, &event);
    }

    /// Reports a call that returned `result` (no stream).
    pub(crate) fn finish_call<O: Observer + ?Sized, T>(
        self,
        observer: &O,
        path: &str,
        to: Option<&str>,
        result: &Result<T, Error>,
        tally: impl FnOnce(&T) -> Tally,
    ) {
        match result {
            Ok(v) => self.finish(observer, path, to, tally(v), Outcome::Ok, None),
            Err(e) => self.fail(observer, path, to, e),
        }
    }

    /// Reports a failed call.
    pub(crate) fn fail<O: Observer + ?Sized>(
        self,
        observer: &O,
        path: &str,
        to: Option<&str>,
        error: &Error,
    ) {
        let text = error.to_string();
        self.finish(
            observer,
            path,
            to,
            Tally::default(),
            Outcome::Error(error.kind()),
            Some(&text),
        );
    }
}

/// The observation of a bulk call (`delete_many`): one [`Pending`] per item, so observers
/// see one `Delete` event per path, each with its own outcome and the duration of the whole
/// bulk call (the items were deleted together).
pub(crate) struct PendingBatch(Vec<Pending>);

impl PendingBatch {
    /// Starts one operation per path; `None` when the observer does not want them (asked
    /// once for the whole batch). The async half asks first and then [`begin`s](Self::begin).
    #[cfg_attr(not(feature = "sync"), allow(dead_code))]
    pub(crate) fn start<O: Observer + ?Sized>(
        observer: &O,
        operation: Operation,
        backend: &'static str,
        paths: &[RemotePath],
    ) -> Option<Self> {
        observer
            .enabled()
            .then(|| Self::begin(observer, operation, backend, paths))
    }

    /// As [`start`](Self::start), for an observer that already said it wants this batch.
    pub(crate) fn begin<O: Observer + ?Sized>(
        observer: &O,
        operation: Operation,
        backend: &'static str,
        paths: &[RemotePath],
    ) -> Self {
        PendingBatch(
            paths
                .iter()
                .map(|p| Pending::begin(observer, operation, backend, p.as_str(), None))
                .collect(),
        )
    }

    /// Reports each item with its outcome.
    pub(crate) fn finish<O: Observer + ?Sized>(
        self,
        observer: &O,
        paths: &[RemotePath],
        outcomes: &[Result<(), Error>],
    ) {
        for ((pending, path), outcome) in self.0.into_iter().zip(paths).zip(outcomes) {
            pending.finish_call(observer, path.as_str(), None, outcome, |_| Tally::default());
        }
    }
}

/// A started call of the async half, whose future may be dropped before the call ends (a
/// timeout, a `select!`): it is then reported as [`Outcome::Dropped`], so that every
/// started operation is finished exactly once. (A blocking call cannot be interrupted.)
#[cfg_attr(not(feature = "async"), allow(dead_code))]
pub(crate) struct Unfinished<'a, O: Observer + ?Sized> {
    observer: &'a O,
    held: Option<Held<'a>>,
}

/// What an [`Unfinished`] call reports.
enum Held<'a> {
    One {
        pending: Pending,
        path: &'a str,
        to: Option<&'a str>,
    },
    Batch {
        batch: PendingBatch,
        paths: &'a [RemotePath],
    },
}

#[cfg_attr(not(feature = "async"), allow(dead_code))]
impl<'a, O: Observer + ?Sized> Unfinished<'a, O> {
    /// One operation on `path` (and `to`, for a copy or move).
    pub(crate) fn one(
        observer: &'a O,
        pending: Pending,
        path: &'a str,
        to: Option<&'a str>,
    ) -> Self {
        Unfinished {
            observer,
            held: Some(Held::One { pending, path, to }),
        }
    }

    /// One operation per path of a bulk call.
    pub(crate) fn batch(observer: &'a O, batch: PendingBatch, paths: &'a [RemotePath]) -> Self {
        Unfinished {
            observer,
            held: Some(Held::Batch { batch, paths }),
        }
    }

    /// The scope to run a single operation in (none for a batch).
    pub(crate) fn scope(&self) -> Option<&Scope> {
        match &self.held {
            Some(Held::One { pending, .. }) => Some(&pending.scope),
            _ => None,
        }
    }

    /// The single operation, handed on (to a stream's tracker, or to be finished).
    pub(crate) fn into_pending(mut self) -> Option<Pending> {
        match self.held.take() {
            Some(Held::One { pending, .. }) => Some(pending),
            other => {
                self.held = other;
                None
            }
        }
    }

    /// Reports a single call that returned `result`.
    pub(crate) fn finish_call<T>(
        mut self,
        result: &Result<T, Error>,
        tally: impl FnOnce(&T) -> Tally,
    ) {
        if let Some(Held::One { pending, path, to }) = self.held.take() {
            pending.finish_call(self.observer, path, to, result, tally);
        }
    }

    /// Reports a single call that failed with `error`.
    pub(crate) fn fail(mut self, error: &Error) {
        if let Some(Held::One { pending, path, to }) = self.held.take() {
            pending.fail(self.observer, path, to, error);
        }
    }

    /// Reports a bulk call, each item with its outcome.
    pub(crate) fn finish_batch(mut self, outcomes: &[Result<(), Error>]) {
        if let Some(Held::Batch { batch, paths }) = self.held.take() {
            batch.finish(self.observer, paths, outcomes);
        }
    }
}

impl<O: Observer + ?Sized> Drop for Unfinished<'_, O> {
    fn drop(&mut self) {
        let dropped = |pending: Pending, path: &str, to: Option<&str>| {
            pending.finish(
                self.observer,
                path,
                to,
                Tally::default(),
                Outcome::Dropped,
                None,
            );
        };
        match self.held.take() {
            Some(Held::One { pending, path, to }) => dropped(pending, path, to),
            Some(Held::Batch { batch, paths }) => {
                for (pending, path) in batch.0.into_iter().zip(paths) {
                    dropped(pending, path.as_str(), None);
                }
            }
            None => {}
        }
    }
}

/// The observation of a stream or listing: counts what the caller receives and reports
/// once, at the end, at the first error of a read, or when dropped.
pub(crate) struct Tracker<O: Observer + ?Sized> {
    observer: Arc<O>,
    pending: Option<Pending>,
    path: KeptPath,
    tally: Tally,
    error: Option<(ErrorKind, String)>,
}

impl<O: Observer + ?Sized> Tracker<O> {
    pub(crate) fn new(observer: Arc<O>, pending: Pending, path: &str) -> Self {
        Tracker {
            observer,
            pending: Some(pending),
            path: KeptPath::new(path),
            tally: Tally::default(),
            error: None,
        }
    }

    /// One item reached the caller.
    pub(crate) fn item<T: Measure>(&mut self, item: &T) {
        item.measure(&mut self.tally);
    }

    /// Counts `n` bytes read.
    #[cfg_attr(not(feature = "sync"), allow(dead_code))]
    pub(crate) fn bytes(&mut self, n: usize) {
        self.tally.bytes_read += n as u64;
    }

    /// An error reached the caller (only the first is kept).
    pub(crate) fn error(&mut self, kind: ErrorKind, text: impl FnOnce() -> String) {
        if self.error.is_none() {
            self.error = Some((kind, text()));
        }
    }

    /// The stream ended (or failed for good): report now.
    pub(crate) fn end(&mut self) {
        self.report(Outcome::Ok);
    }

    fn report(&mut self, otherwise: Outcome) {
        let Some(pending) = self.pending.take() else {
            return;
        };
        let (outcome, text) = match &self.error {
            Some((kind, text)) => (Outcome::Error(*kind), Some(text.as_str())),
            None => (otherwise, None),
        };
        pending.finish(
            &*self.observer,
            self.path.as_str(),
            None,
            self.tally,
            outcome,
            text,
        );
    }
}

impl<O: Observer + ?Sized> Drop for Tracker<O> {
    fn drop(&mut self) {
        self.report(Outcome::Dropped);
    }
}

/// The kind of an I/O error from a blocking reader (a wrapped [`Error`] keeps its own).
#[cfg_attr(not(feature = "sync"), allow(dead_code))]
pub(crate) fn io_kind(e: &std::io::Error) -> ErrorKind {
    if let Some(inner) = e.get_ref().and_then(|i| i.downcast_ref::<Error>()) {
        return inner.kind();
    }
    use std::io::ErrorKind as K;
    match e.kind() {
        K::NotFound => ErrorKind::NotFound,
        K::PermissionDenied => ErrorKind::PermissionDenied,
        K::ConnectionAborted
        | K::ConnectionReset
        | K::ConnectionRefused
        | K::BrokenPipe
        | K::TimedOut
        | K::UnexpectedEof
        | K::NotConnected => ErrorKind::BackendUnavailable,
        _ => ErrorKind::Other,
    }
}
