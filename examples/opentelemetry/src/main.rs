//! remote-store operations as OpenTelemetry spans.
//!
//! The library has no OpenTelemetry dependency: `TracingObserver` emits plain `tracing`
//! spans (`remote_store.<operation>`), and `tracing-opentelemetry` turns them into OTel spans.
//! This example wires a store to an OpenTelemetry SDK tracer provider, runs a request's worth
//! of operations inside an application span, and then checks what the exporter received: one
//! span per operation, named after it, with backend, path, outcome, byte counts and the
//! correlation id as attributes, and each a child of the application's span. It exits
//! non-zero when any of that is missing.
//!
//! Here the exporter is the SDK's in-memory one, so the run can check its output; in a
//! service it is an OTLP exporter (`opentelemetry-otlp`) in the same place and nothing else
//! changes. Run it with `cargo xtask example opentelemetry` (CI runs it in `cargo xtask test`).

use opentelemetry::KeyValue;
use opentelemetry::trace::TracerProvider as _;
use opentelemetry_sdk::trace::{InMemorySpanExporter, SdkTracerProvider, SpanData};
use remote_store::layers::{Observe, TracingObserver, correlation};
use remote_store::memory::MemoryBackend;
use remote_store::{ErrorKind, Store};
use tracing_subscriber::layer::SubscriberExt as _;

type BoxError = Box<dyn std::error::Error + Send + Sync>;

fn main() -> Result<(), BoxError> {
    // The OpenTelemetry side: a provider exporting every finished span (here to memory).
    let exporter = InMemorySpanExporter::default();
    let provider = SdkTracerProvider::builder()
        .with_simple_exporter(exporter.clone())
        .build();
    let tracer = provider.tracer("remote-store-example");

    // The tracing side: the OTel layer on a registry. Nothing in the store knows about it.
    let subscriber =
        tracing_subscriber::registry().with(tracing_opentelemetry::layer().with_tracer(tracer));

    tracing::subscriber::with_default(subscriber, || -> Result<(), BoxError> {
        let store = Store::new(
            Observe::new(MemoryBackend::new(), TracingObserver::new()),
            "",
        )?;
        let request = tracing::info_span!("handle_request", route = "/reports");
        let _entered = request.enter();
        correlation::with_id("req-42", || -> Result<(), BoxError> {
            store.write("reports/q3.csv", "region,total\nnorth,7\n")?;
            let body = store.read_bytes("reports/q3.csv")?;
            assert_eq!(body.len(), 21);
            let listed = store.list_files("reports")?.count();
            assert_eq!(listed, 1);
            let missing = store.read_bytes("reports/q4.csv").unwrap_err();
            assert_eq!(missing.kind(), ErrorKind::NotFound);
            Ok(())
        })
    })?;
    provider.force_flush()?;

    let spans = exporter.get_finished_spans()?;
    for span in &spans {
        let attributes: Vec<String> = span
            .attributes
            .iter()
            .map(|kv| format!("{}={}", kv.key, kv.value))
            .collect();
        println!("{} {{{}}}", span.name, attributes.join(" "));
    }
    check(&spans)?;
    provider.shutdown()?;
    println!("opentelemetry example: every operation arrived as a span with its attributes");
    Ok(())
}

/// The exported spans are the ones the operations above must produce.
fn check(spans: &[SpanData]) -> Result<(), BoxError> {
    let request = find(spans, "handle_request", None)?;
    let request_id = request.span_context.span_id();
    // (span name, path, outcome, bytes read, bytes written)
    let expected = [
        ("remote_store.write", "reports/q3.csv", "ok", 0, 21),
        ("remote_store.read_bytes", "reports/q3.csv", "ok", 21, 0),
        ("remote_store.list_files", "reports", "ok", 0, 0),
        ("remote_store.read_bytes", "reports/q4.csv", "error", 0, 0),
    ];
    for (name, path, outcome, read, written) in expected {
        let span = find(spans, name, Some(path))?;
        if span.parent_span_id != request_id {
            return Err(format!("{name} on {path} is not a child of the request span").into());
        }
        for (key, value) in [
            ("backend", "memory".to_owned()),
            ("correlation_id", "req-42".to_owned()),
            ("outcome", outcome.to_owned()),
            ("bytes_read", read.to_string()),
            ("bytes_written", written.to_string()),
        ] {
            let got = attribute(&span.attributes, key);
            if got.as_deref() != Some(value.as_str()) {
                return Err(format!("{name} on {path}: {key} is {got:?}, expected {value}").into());
            }
        }
    }
    let failed = find(spans, "remote_store.read_bytes", Some("reports/q4.csv"))?;
    let kind = attribute(&failed.attributes, "error_kind");
    if kind.as_deref() != Some("not_found") {
        return Err(format!("the failed read's error_kind is {kind:?}, expected not_found").into());
    }
    Ok(())
}

/// The span called `name` (with attribute `path` = `path`, when given).
fn find<'a>(
    spans: &'a [SpanData],
    name: &str,
    path: Option<&str>,
) -> Result<&'a SpanData, BoxError> {
    spans
        .iter()
        .find(|s| {
            s.name == name
                && path.is_none_or(|p| attribute(&s.attributes, "path").as_deref() == Some(p))
        })
        .ok_or_else(|| format!("no span {name} for {path:?} was exported").into())
}

/// The value of attribute `key`, as text (tracing-opentelemetry records some numbers as
/// string attributes).
fn attribute(attributes: &[KeyValue], key: &str) -> Option<String> {
    attributes
        .iter()
        .find(|kv| kv.key.as_str() == key)
        .map(|kv| kv.value.to_string())
}
