//! Observing a store with `tracing`: every operation becomes a span (`remote_store.write`,
//! `remote_store.read`, ...) with its backend, path, bytes, duration and outcome, and a
//! failure becomes a WARN event (a `NotFound` stays at DEBUG). Run it with
//! `cargo run -p remote-store --example observe_tracing --features tracing,memory`.
//!
//! The library only emits; this example installs `tracing-subscriber`'s formatter. To
//! export the spans to OpenTelemetry instead, add a `tracing-opentelemetry` layer to the
//! same subscriber — nothing in the store changes. `examples/opentelemetry` (its own
//! workspace, run by `cargo xtask example opentelemetry`) does that and checks the exported
//! spans.

use std::io::Read;

use futures::StreamExt;
use remote_store::layers::{ConcurrencyLimit, Observe, Retry, TracingObserver, correlation};
use remote_store::memory::{AsyncMemoryBackend, MemoryBackend};
use remote_store::{AsyncStore, ErrorKind, Result, RetryPolicy, Store};
use tracing_subscriber::fmt::format::FmtSpan;

fn main() -> Result<()> {
    tracing_subscriber::fmt()
        .with_max_level(tracing::Level::DEBUG)
        .with_span_events(FmtSpan::CLOSE)
        .with_target(true)
        .init();

    // The blocking half: observe outermost (one event per store call), the limit innermost.
    let backend = Retry::new(
        ConcurrencyLimit::new(MemoryBackend::new(), 8),
        RetryPolicy::new(),
    );
    let store = Store::new(Observe::new(backend, TracingObserver::new()), "demo")?;

    correlation::with_id("request-1", || -> Result<()> {
        store.write("reports/q3.csv", "region,total\nnorth,7\n")?;
        let mut text = String::new();
        store
            .read("reports/q3.csv")?
            .read_to_string(&mut text)
            .expect("memory reads do not fail");
        for file in store.list_files("reports")? {
            println!("listed {}", file?.path);
        }
        // NotFound is routine: DEBUG. Other failures are WARN.
        let missing = store.read_bytes("reports/q4.csv").unwrap_err();
        assert_eq!(missing.kind(), ErrorKind::NotFound);
        let exists = store.write("reports/q3.csv", "again").unwrap_err();
        assert_eq!(exists.kind(), ErrorKind::AlreadyExists);
        Ok(())
    })?;

    // The async half: the same layers, the correlation id as a task-local.
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime");
    runtime.block_on(correlation::with_id_async("job-7", async {
        let store = AsyncStore::new(
            Observe::new(AsyncMemoryBackend::new(), TracingObserver::new()),
            "",
        )?;
        store.write("a.txt", "hello").await?;
        let mut body = store.read("a.txt").await?;
        while let Some(chunk) = body.next().await {
            println!("read {} bytes", chunk?.len());
        }
        Ok(())
    }))
}
