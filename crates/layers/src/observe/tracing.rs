//! [`TracingObserver`]: a `tracing` span per operation.

use remote_store_core::{ErrorKind, Operation};
use tracing::field::Empty;

use super::{Event, Observer, Outcome, Scope, Start, kind_label};

/// The `tracing` target of every span and event.
const TARGET: &str = "remote_store";

/// An [`Observer`] that opens a `tracing` span per operation and closes it with one event.
///
/// - **Span:** named `remote_store.<operation>` (`remote_store.read`,
///   `remote_store.write_atomic`, ...), level INFO, target `remote_store`. It opens when
///   the operation starts, is entered while the backend works (the backend's own events
///   nest under it) and closes when the operation ends — for reads and listings, when the
///   stream ends or is dropped — so its duration is the operation's.
/// - **Fields:** `operation`, `backend`, `path` (the key the backend sees) and, where they
///   apply, `to` (copy and move) and `correlation_id`, set at the start; `outcome` (`ok`,
///   `error`, `dropped`), `duration_ms`, `bytes_read`, `bytes_written`, `entries` and, on
///   failure, `error_kind` (`not_found`, `backend_unavailable`, ...), recorded at the end.
/// - **Event:** one at the end, inside the span: DEBUG `"operation finished"` on success;
///   on failure `"operation failed"` with an `error` field, at WARN — except `NotFound`,
///   which callers expect routinely (probes, `missing_ok` deletes) and is DEBUG.
///
/// The library never installs a subscriber. While no subscriber records WARN or more
/// verbose levels, the observer [opts out](Observer::enabled) and operations run
/// unobserved (one atomic load each).
///
/// ```
/// # #[cfg(feature = "sync")]
/// # fn demo(backend: impl remote_store_sync::Backend) -> remote_store_core::Result<()> {
/// use remote_store_layers::{Observe, TracingObserver};
/// use remote_store_sync::Store;
///
/// let store = Store::new(Observe::new(backend, TracingObserver::new()), "")?;
/// # Ok(()) }
/// ```
#[derive(Debug, Clone, Copy, Default)]
pub struct TracingObserver {
    _private: (),
}

impl TracingObserver {
    /// A tracing observer.
    pub fn new() -> Self {
        Self::default()
    }
}

/// One span callsite per operation (span names are static), all with the same fields.
macro_rules! op_span {
    ($start:expr; $($variant:ident => $name:literal),* $(,)?) => {{
        let s: &Start<'_> = $start;
        macro_rules! make {
            ($n:literal) => {
                tracing::info_span!(
                    target: TARGET,
                    $n,
                    operation = s.operation.as_str(),
                    backend = s.backend,
                    path = s.path,
                    to = s.to,
                    correlation_id = s.correlation_id,
                    outcome = Empty,
                    duration_ms = Empty,
                    bytes_read = Empty,
                    bytes_written = Empty,
                    entries = Empty,
                    error_kind = Empty,
                )
            };
        }
        match s.operation {
            $(Operation::$variant => make!($name),)*
            _ => make!("remote_store.operation"),
        }
    }};
}

impl Observer for TracingObserver {
    /// No while no subscriber records WARN or more verbose levels (the cheapest check
    /// `tracing` has: one atomic load).
    fn enabled(&self) -> bool {
        tracing::level_enabled!(tracing::Level::WARN)
    }

    fn start(&self, start: &Start<'_>) -> Scope {
        let span = op_span!(start;
            Exists => "remote_store.exists",
            IsFile => "remote_store.is_file",
            IsFolder => "remote_store.is_folder",
            Read => "remote_store.read",
            ReadBytes => "remote_store.read_bytes",
            ReadRange => "remote_store.read_range",
            ReadSeekable => "remote_store.read_seekable",
            Write => "remote_store.write",
            WriteAtomic => "remote_store.write_atomic",
            Delete => "remote_store.delete",
            DeleteFolder => "remote_store.delete_folder",
            ListFiles => "remote_store.list_files",
            ListFolders => "remote_store.list_folders",
            IterChildren => "remote_store.iter_children",
            Glob => "remote_store.glob",
            GetFileInfo => "remote_store.get_file_info",
            GetFolderInfo => "remote_store.get_folder_info",
            Move => "remote_store.move_file",
            Copy => "remote_store.copy_file",
            Ping => "remote_store.ping",
            Close => "remote_store.close",
        );
        if span.is_disabled() {
            return Scope::none();
        }
        Scope::with_span(span)
    }

    fn finish(&self, scope: &Scope, event: &Event<'_>) {
        let span = scope.span();
        if let Some(span) = span {
            span.record("outcome", event.outcome.as_str());
            // Whole microseconds, so the value prints as `0.026`, not `0.026449999999999998`.
            span.record("duration_ms", event.duration.as_micros() as f64 / 1000.0);
            span.record("bytes_read", event.bytes_read);
            span.record("bytes_written", event.bytes_written);
            span.record("entries", event.entries);
            if let Some(kind) = event.outcome.error_kind() {
                span.record("error_kind", kind_label(kind));
            }
        }
        let parent = span.and_then(|s| s.id());
        let operation = event.operation.as_str();
        let error = event.error.unwrap_or("");
        match event.outcome {
            Outcome::Error(kind) if kind != ErrorKind::NotFound => tracing::warn!(
                target: TARGET,
                parent: parent,
                operation,
                backend = event.backend,
                path = event.path,
                error_kind = kind_label(kind),
                error,
                "operation failed"
            ),
            Outcome::Error(kind) => tracing::debug!(
                target: TARGET,
                parent: parent,
                operation,
                backend = event.backend,
                path = event.path,
                error_kind = kind_label(kind),
                error,
                "operation failed"
            ),
            _ => tracing::debug!(
                target: TARGET,
                parent: parent,
                outcome = event.outcome.as_str(),
                "operation finished"
            ),
        }
    }
}
