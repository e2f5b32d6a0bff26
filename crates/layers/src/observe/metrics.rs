//! [`MetricsObserver`]: counters and a latency histogram through the `metrics` facade.

use super::{Event, Observer, Outcome, Scope, kind_label};

/// An [`Observer`] recording every operation through the [`metrics`] facade; the
/// application installs the recorder (Prometheus, StatsD, ...), the library never does.
///
/// | metric | kind | labels | what |
/// |---|---|---|---|
/// | `remote_store_operations_total` | counter | `operation`, `backend`, `outcome` | operations ended (`outcome`: `ok`, `error`, `dropped`) |
/// | `remote_store_errors_total` | counter | `operation`, `backend`, `kind` | failed operations by error kind (`not_found`, `backend_unavailable`, ...) |
/// | `remote_store_bytes_total` | counter | `operation`, `backend`, `direction` | bytes moved (`direction`: `read` or `written`) |
/// | `remote_store_operation_duration_seconds` | histogram | `operation`, `backend`, `outcome` | duration, in seconds |
///
/// `operation` is the store method (`read`, `write_atomic`, `list_files`, ...), `backend`
/// its name (`s3`, `memory`). Paths and correlation ids are never labels (unbounded
/// cardinality).
///
/// ```
/// # #[cfg(feature = "sync")]
/// # fn demo(backend: impl remote_store_sync::Backend) -> remote_store_core::Result<()> {
/// use remote_store_layers::{MetricsObserver, Observe};
/// use remote_store_sync::Store;
///
/// let store = Store::new(Observe::new(backend, MetricsObserver::new()), "")?;
/// # Ok(()) }
/// ```
#[derive(Debug, Clone, Copy, Default)]
pub struct MetricsObserver {
    _private: (),
}

impl MetricsObserver {
    /// A metrics observer.
    pub fn new() -> Self {
        Self::default()
    }
}

impl Observer for MetricsObserver {
    fn finish(&self, _scope: &Scope, event: &Event<'_>) {
        let operation = event.operation.as_str();
        let backend = event.backend;
        let outcome = event.outcome.as_str();
        metrics::counter!(
            "remote_store_operations_total",
            "operation" => operation,
            "backend" => backend,
            "outcome" => outcome
        )
        .increment(1);
        metrics::histogram!(
            "remote_store_operation_duration_seconds",
            "operation" => operation,
            "backend" => backend,
            "outcome" => outcome
        )
        .record(event.duration.as_secs_f64());
        if let Outcome::Error(kind) = event.outcome {
            metrics::counter!(
                "remote_store_errors_total",
                "operation" => operation,
                "backend" => backend,
                "kind" => kind_label(kind)
            )
            .increment(1);
        }
        for (direction, bytes) in [("read", event.bytes_read), ("written", event.bytes_written)] {
            if bytes > 0 {
                metrics::counter!(
                    "remote_store_bytes_total",
                    "operation" => operation,
                    "backend" => backend,
                    "direction" => direction
                )
                .increment(bytes);
            }
        }
    }
}
