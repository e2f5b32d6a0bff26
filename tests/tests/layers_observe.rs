//! The observe layer (issue 12): one event per operation with the true byte and entry
//! counts (for streams, when they end or are dropped), the correlation id, the `tracing`
//! spans and events, and the `metrics` values after a known sequence of operations.
#![cfg(feature = "memory")]

use std::collections::BTreeMap;
use std::io::Read;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use futures::StreamExt;
use remote_store_async::AsyncStore;
use remote_store_core::{ErrorKind, Operation};
use remote_store_layers::{
    ConcurrencyLimit, Event, MetricsObserver, Observe, Observer, Outcome, Scope, TracingObserver,
    correlation,
};
use remote_store_memory::{AsyncMemoryBackend, MemoryBackend};
use remote_store_sync::Store;

// ----- a recording observer -----------------------------------------------------------

#[derive(Debug, Clone, PartialEq)]
struct Seen {
    operation: Operation,
    backend: &'static str,
    path: String,
    to: Option<String>,
    bytes_read: u64,
    bytes_written: u64,
    entries: u64,
    outcome: Outcome,
    correlation_id: Option<String>,
}

#[derive(Debug, Default)]
struct Recorder(Mutex<Vec<Seen>>);

impl Recorder {
    fn take(&self) -> Vec<Seen> {
        std::mem::take(&mut self.0.lock().unwrap())
    }
}

impl Observer for Recorder {
    fn finish(&self, _scope: &Scope, e: &Event<'_>) {
        self.0.lock().unwrap().push(Seen {
            operation: e.operation,
            backend: e.backend,
            path: e.path.to_owned(),
            to: e.to.map(str::to_owned),
            bytes_read: e.bytes_read,
            bytes_written: e.bytes_written,
            entries: e.entries,
            outcome: e.outcome,
            correlation_id: e.correlation_id.map(str::to_owned),
        });
    }
}

fn seen(op: Operation, path: &str) -> Seen {
    Seen {
        operation: op,
        backend: "memory",
        path: path.to_owned(),
        to: None,
        bytes_read: 0,
        bytes_written: 0,
        entries: 0,
        outcome: Outcome::Ok,
        correlation_id: None,
    }
}

#[test]
fn one_event_per_operation_with_true_counts() {
    let rec = Arc::new(Recorder::default());
    let s = Store::new(
        Observe::with_shared(MemoryBackend::new(), rec.clone()),
        "root",
    )
    .unwrap();
    s.write("d/a.txt", "hello").unwrap();
    s.write("d/b.txt", vec![0u8; 100_000]).unwrap();
    let mut text = String::new();
    s.read("d/a.txt")
        .unwrap()
        .read_to_string(&mut text)
        .unwrap();
    // Dropped after 10 bytes: the event says so, with the 10 bytes.
    let mut partial = [0u8; 10];
    let mut reader = s.read("d/b.txt").unwrap();
    reader.read_exact(&mut partial).unwrap();
    drop(reader);
    let n = s.list_files("d").unwrap().count();
    assert_eq!(n, 2);
    assert_eq!(
        s.read_bytes("d/nope").unwrap_err().kind(),
        ErrorKind::NotFound
    );
    s.copy_file("d/a.txt", "d/c.txt").unwrap();

    let events = rec.take();
    let want = vec![
        Seen {
            bytes_written: 5,
            ..seen(Operation::Write, "root/d/a.txt")
        },
        Seen {
            bytes_written: 100_000,
            ..seen(Operation::Write, "root/d/b.txt")
        },
        Seen {
            bytes_read: 5,
            ..seen(Operation::Read, "root/d/a.txt")
        },
        Seen {
            bytes_read: 10,
            outcome: Outcome::Dropped,
            ..seen(Operation::Read, "root/d/b.txt")
        },
        Seen {
            entries: 2,
            ..seen(Operation::ListFiles, "root/d")
        },
        Seen {
            outcome: Outcome::Error(ErrorKind::NotFound),
            ..seen(Operation::ReadBytes, "root/d/nope")
        },
        Seen {
            to: Some("root/d/c.txt".into()),
            ..seen(Operation::Copy, "root/d/a.txt")
        },
    ];
    assert_eq!(events, want);
}

/// A seekable reader may seek back and read on after reaching its end: its event fires at
/// its drop, with every byte it read, not at its first end.
#[test]
fn a_seekable_read_reports_at_its_drop_with_every_byte() {
    use std::io::{Seek, SeekFrom};
    let rec = Arc::new(Recorder::default());
    let s = Store::new(Observe::with_shared(MemoryBackend::new(), rec.clone()), "").unwrap();
    s.write("f.bin", vec![1u8; 1000]).unwrap();
    rec.take();
    let mut r = s.read_seekable("f.bin").unwrap();
    r.seek(SeekFrom::Start(900)).unwrap();
    let mut got = Vec::new();
    r.read_to_end(&mut got).unwrap();
    assert_eq!(got.len(), 100);
    assert!(rec.take().is_empty(), "no event while the reader is in use");
    r.seek(SeekFrom::Start(0)).unwrap();
    got.clear();
    r.read_to_end(&mut got).unwrap();
    assert_eq!(got.len(), 1000);
    drop(r);
    assert_eq!(
        rec.take(),
        vec![Seen {
            bytes_read: 1100,
            ..seen(Operation::ReadSeekable, "f.bin")
        }]
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn one_event_per_operation_with_true_counts_async() {
    let rec = Arc::new(Recorder::default());
    let s = AsyncStore::new(
        Observe::with_shared(AsyncMemoryBackend::new(), rec.clone()),
        "root",
    )
    .unwrap();
    s.write("d/a.txt", "hello").await.unwrap();
    s.write("d/b.txt", vec![0u8; 100_000]).await.unwrap();
    let body = s.read("d/a.txt").await.unwrap();
    assert_eq!(&body.collect_bytes().await.unwrap()[..], b"hello");
    let mut body = s.read_range("d/b.txt", 0..50_000).await.unwrap();
    let first = body.next().await.unwrap().unwrap().len() as u64;
    drop(body);
    let n = s.list_files("d").unwrap().count().await;
    assert_eq!(n, 2);
    assert_eq!(
        s.read_bytes("d/nope").await.unwrap_err().kind(),
        ErrorKind::NotFound
    );

    let events = rec.take();
    let want = vec![
        Seen {
            bytes_written: 5,
            ..seen(Operation::Write, "root/d/a.txt")
        },
        Seen {
            bytes_written: 100_000,
            ..seen(Operation::Write, "root/d/b.txt")
        },
        Seen {
            bytes_read: 5,
            ..seen(Operation::Read, "root/d/a.txt")
        },
        Seen {
            bytes_read: first,
            outcome: Outcome::Dropped,
            ..seen(Operation::ReadRange, "root/d/b.txt")
        },
        Seen {
            entries: 2,
            ..seen(Operation::ListFiles, "root/d")
        },
        Seen {
            outcome: Outcome::Error(ErrorKind::NotFound),
            ..seen(Operation::ReadBytes, "root/d/nope")
        },
    ];
    assert_eq!(events, want);
}

#[test]
fn the_correlation_id_reaches_every_event() {
    let rec = Arc::new(Recorder::default());
    let s = Store::new(Observe::with_shared(MemoryBackend::new(), rec.clone()), "").unwrap();
    correlation::with_id("req-1", || {
        s.write("a.txt", "x").unwrap();
        s.read_bytes("a.txt").unwrap();
    });
    s.exists("a.txt").unwrap();
    let ids: Vec<_> = rec.take().into_iter().map(|e| e.correlation_id).collect();
    assert_eq!(ids, [Some("req-1".into()), Some("req-1".into()), None]);
}

#[tokio::test(flavor = "multi_thread")]
async fn the_correlation_id_reaches_every_event_async() {
    let rec = Arc::new(Recorder::default());
    let s = AsyncStore::new(
        Observe::with_shared(AsyncMemoryBackend::new(), rec.clone()),
        "",
    )
    .unwrap();
    let task = {
        let s = s.clone();
        tokio::spawn(correlation::with_id_async("job-7", async move {
            s.write("a.txt", "x").await.unwrap();
            tokio::task::yield_now().await;
            s.read_bytes("a.txt").await.unwrap();
        }))
    };
    task.await.unwrap();
    s.exists("a.txt").await.unwrap();
    let ids: Vec<_> = rec.take().into_iter().map(|e| e.correlation_id).collect();
    assert_eq!(ids, [Some("job-7".into()), Some("job-7".into()), None]);
}

// ----- tracing ------------------------------------------------------------------------

mod capture {
    use std::collections::BTreeMap;
    use std::sync::{Arc, Mutex};

    use tracing::field::{Field, Visit};
    use tracing::span::{Attributes, Id, Record};
    use tracing::{Event, Level, Subscriber};
    use tracing_subscriber::layer::{Context, Layer};
    use tracing_subscriber::registry::LookupSpan;

    pub(crate) type Fields = BTreeMap<String, String>;

    #[derive(Debug, Clone)]
    pub(crate) struct SpanRec {
        pub(crate) name: &'static str,
        pub(crate) target: String,
        pub(crate) level: Level,
        pub(crate) fields: Fields,
        pub(crate) closed: bool,
    }

    #[derive(Debug, Clone)]
    pub(crate) struct EventRec {
        pub(crate) level: Level,
        pub(crate) target: String,
        pub(crate) fields: Fields,
        pub(crate) span: Option<&'static str>,
    }

    #[derive(Debug, Default)]
    pub(crate) struct Captured {
        pub(crate) spans: Vec<SpanRec>,
        pub(crate) events: Vec<EventRec>,
    }

    /// A `tracing` layer that keeps every span (with its fields as recorded over its life)
    /// and every event (with the span it happened in).
    #[derive(Debug, Clone, Default)]
    pub(crate) struct Capture(pub(crate) Arc<Mutex<Captured>>);

    struct Index(usize);

    struct Visitor<'a>(&'a mut Fields);

    impl Visit for Visitor<'_> {
        fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
            self.0.insert(field.name().to_owned(), format!("{value:?}"));
        }
        fn record_str(&mut self, field: &Field, value: &str) {
            self.0.insert(field.name().to_owned(), value.to_owned());
        }
    }

    impl<S: Subscriber + for<'a> LookupSpan<'a>> Layer<S> for Capture {
        fn on_new_span(&self, attrs: &Attributes<'_>, id: &Id, ctx: Context<'_, S>) {
            let mut fields = Fields::new();
            attrs.record(&mut Visitor(&mut fields));
            let mut c = self.0.lock().unwrap();
            c.spans.push(SpanRec {
                name: attrs.metadata().name(),
                target: attrs.metadata().target().to_owned(),
                level: *attrs.metadata().level(),
                fields,
                closed: false,
            });
            let index = c.spans.len() - 1;
            ctx.span(id).unwrap().extensions_mut().insert(Index(index));
        }

        fn on_record(&self, id: &Id, values: &Record<'_>, ctx: Context<'_, S>) {
            let span = ctx.span(id).unwrap();
            let index = span.extensions().get::<Index>().unwrap().0;
            let mut c = self.0.lock().unwrap();
            values.record(&mut Visitor(&mut c.spans[index].fields));
        }

        fn on_event(&self, event: &Event<'_>, ctx: Context<'_, S>) {
            let mut fields = Fields::new();
            event.record(&mut Visitor(&mut fields));
            let span = ctx.event_span(event).map(|s| s.name());
            self.0.lock().unwrap().events.push(EventRec {
                level: *event.metadata().level(),
                target: event.metadata().target().to_owned(),
                fields,
                span,
            });
        }

        fn on_close(&self, id: Id, ctx: Context<'_, S>) {
            let span = ctx.span(&id).unwrap();
            let index = span.extensions().get::<Index>().unwrap().0;
            self.0.lock().unwrap().spans[index].closed = true;
        }
    }
}

fn field<'a>(fields: &'a BTreeMap<String, String>, name: &str) -> &'a str {
    fields
        .get(name)
        .map(String::as_str)
        .unwrap_or_else(|| panic!("no field {name} in {fields:?}"))
}

fn check_tracing(c: &capture::Captured) {
    let ours: Vec<_> = c
        .spans
        .iter()
        .filter(|s| s.target == "remote_store")
        .collect();
    let names: Vec<_> = ours.iter().map(|s| s.name).collect();
    assert_eq!(
        names,
        [
            "remote_store.write",
            "remote_store.read",
            "remote_store.list_files",
            "remote_store.read_bytes",
            "remote_store.write",
        ],
        "{ours:#?}"
    );
    assert!(
        ours.iter().all(|s| s.closed),
        "every span closed: {ours:#?}"
    );
    assert!(ours.iter().all(|s| s.level == tracing::Level::INFO));

    let write = &ours[0].fields;
    assert_eq!(field(write, "operation"), "write");
    assert_eq!(field(write, "backend"), "memory");
    assert_eq!(field(write, "path"), "t/a.txt");
    assert_eq!(field(write, "outcome"), "ok");
    assert_eq!(field(write, "bytes_written"), "5");
    assert_eq!(field(write, "correlation_id"), "req-9");
    assert!(field(write, "duration_ms").parse::<f64>().unwrap() >= 0.0);

    let read = &ours[1].fields;
    assert_eq!(field(read, "operation"), "read");
    assert_eq!(field(read, "bytes_read"), "5");
    assert_eq!(field(read, "outcome"), "ok");

    let list = &ours[2].fields;
    assert_eq!(field(list, "path"), "t");
    assert_eq!(field(list, "entries"), "1");
    assert_eq!(field(list, "outcome"), "ok");

    let missing = &ours[3].fields;
    assert_eq!(field(missing, "outcome"), "error");
    assert_eq!(field(missing, "error_kind"), "not_found");
    assert!(!missing.contains_key("bytes_read") || field(missing, "bytes_read") == "0");

    let exists = &ours[4].fields;
    assert_eq!(field(exists, "error_kind"), "already_exists");

    // One event per operation, inside its span; NotFound at DEBUG, other errors at WARN.
    let events: Vec<_> = c
        .events
        .iter()
        .filter(|e| e.target == "remote_store")
        .collect();
    assert_eq!(events.len(), 5, "{events:#?}");
    for (e, s) in events.iter().zip(&ours) {
        assert_eq!(e.span, Some(s.name), "{e:?}");
    }
    assert_eq!(events[0].level, tracing::Level::DEBUG);
    assert_eq!(field(&events[0].fields, "message"), "operation finished");
    assert_eq!(events[3].level, tracing::Level::DEBUG);
    assert_eq!(field(&events[3].fields, "message"), "operation failed");
    assert_eq!(field(&events[3].fields, "error_kind"), "not_found");
    assert_eq!(events[4].level, tracing::Level::WARN);
    assert_eq!(field(&events[4].fields, "error_kind"), "already_exists");
    assert!(field(&events[4].fields, "error").contains("already exists"));
}

#[test]
fn tracing_spans_for_a_write_a_read_a_listing_and_failures() {
    use tracing_subscriber::layer::SubscriberExt;

    let capture = capture::Capture::default();
    let subscriber = tracing_subscriber::registry().with(capture.clone());
    tracing::subscriber::with_default(subscriber, || {
        let s = Store::new(
            Observe::new(MemoryBackend::new(), TracingObserver::new()),
            "t",
        )
        .unwrap();
        correlation::with_id("req-9", || {
            s.write("a.txt", "hello").unwrap();
        });
        let mut text = String::new();
        s.read("a.txt").unwrap().read_to_string(&mut text).unwrap();
        assert_eq!(s.list_files("").unwrap().count(), 1);
        assert_eq!(
            s.read_bytes("nope").unwrap_err().kind(),
            ErrorKind::NotFound
        );
        assert_eq!(
            s.write("a.txt", "again").unwrap_err().kind(),
            ErrorKind::AlreadyExists
        );
    });
    check_tracing(&capture.0.lock().unwrap());
}

#[test]
fn tracing_spans_for_a_write_a_read_a_listing_and_failures_async() {
    use tracing_subscriber::layer::SubscriberExt;

    let capture = capture::Capture::default();
    let subscriber = tracing_subscriber::registry().with(capture.clone());
    let _guard = tracing::subscriber::set_default(subscriber);
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let s = AsyncStore::new(
            Observe::new(AsyncMemoryBackend::new(), TracingObserver::new()),
            "t",
        )
        .unwrap();
        correlation::with_id_async("req-9", s.write("a.txt", "hello"))
            .await
            .unwrap();
        let body = s.read("a.txt").await.unwrap();
        assert_eq!(&body.collect_bytes().await.unwrap()[..], b"hello");
        assert_eq!(s.list_files("").unwrap().count().await, 1);
        assert_eq!(
            s.read_bytes("nope").await.unwrap_err().kind(),
            ErrorKind::NotFound
        );
        assert_eq!(
            s.write("a.txt", "again").await.unwrap_err().kind(),
            ErrorKind::AlreadyExists
        );
    });
    drop(rt);
    check_tracing(&capture.0.lock().unwrap());
}

// ----- metrics ------------------------------------------------------------------------

mod recorder {
    use std::collections::BTreeMap;
    use std::sync::atomic::{AtomicU64, Ordering};
    use std::sync::{Arc, Mutex};

    use metrics::{
        Counter, CounterFn, Gauge, Histogram, HistogramFn, Key, KeyName, Metadata, Recorder,
        SharedString, Unit,
    };

    /// `name{label=value,...}` with labels sorted.
    fn render(key: &Key) -> String {
        let mut labels: Vec<_> = key
            .labels()
            .map(|l| format!("{}={}", l.key(), l.value()))
            .collect();
        labels.sort();
        format!("{}{{{}}}", key.name(), labels.join(","))
    }

    #[derive(Debug, Default)]
    struct Count(AtomicU64);

    impl CounterFn for Count {
        fn increment(&self, value: u64) {
            self.0.fetch_add(value, Ordering::SeqCst);
        }
        fn absolute(&self, value: u64) {
            self.0.fetch_max(value, Ordering::SeqCst);
        }
    }

    #[derive(Debug, Default)]
    struct Samples(Mutex<Vec<f64>>);

    impl HistogramFn for Samples {
        fn record(&self, value: f64) {
            self.0.lock().unwrap().push(value);
        }
    }

    /// A recorder that keeps counters and histogram samples by rendered key.
    #[derive(Debug, Default)]
    pub(crate) struct TestRecorder {
        counters: Mutex<BTreeMap<String, Arc<Count>>>,
        histograms: Mutex<BTreeMap<String, Arc<Samples>>>,
    }

    impl TestRecorder {
        pub(crate) fn counters(&self) -> BTreeMap<String, u64> {
            self.counters
                .lock()
                .unwrap()
                .iter()
                .map(|(k, v)| (k.clone(), v.0.load(Ordering::SeqCst)))
                .collect()
        }

        pub(crate) fn histogram(&self, key: &str) -> Vec<f64> {
            self.histograms
                .lock()
                .unwrap()
                .get(key)
                .map(|s| s.0.lock().unwrap().clone())
                .unwrap_or_default()
        }
    }

    impl Recorder for TestRecorder {
        fn describe_counter(&self, _: KeyName, _: Option<Unit>, _: SharedString) {}
        fn describe_gauge(&self, _: KeyName, _: Option<Unit>, _: SharedString) {}
        fn describe_histogram(&self, _: KeyName, _: Option<Unit>, _: SharedString) {}

        fn register_counter(&self, key: &Key, _: &Metadata<'_>) -> Counter {
            let c = self
                .counters
                .lock()
                .unwrap()
                .entry(render(key))
                .or_default()
                .clone();
            Counter::from_arc(c)
        }

        fn register_gauge(&self, _: &Key, _: &Metadata<'_>) -> Gauge {
            Gauge::noop()
        }

        fn register_histogram(&self, key: &Key, _: &Metadata<'_>) -> Histogram {
            let h = self
                .histograms
                .lock()
                .unwrap()
                .entry(render(key))
                .or_default()
                .clone();
            Histogram::from_arc(h)
        }
    }
}

#[test]
fn metrics_after_a_known_sequence() {
    let recorder = recorder::TestRecorder::default();
    metrics::with_local_recorder(&recorder, || {
        let s = Store::new(
            Observe::new(MemoryBackend::new(), MetricsObserver::new()),
            "",
        )
        .unwrap();
        s.write("a.txt", "hello").unwrap();
        s.write("b.txt", "hi").unwrap();
        let mut text = String::new();
        s.read("a.txt").unwrap().read_to_string(&mut text).unwrap();
        assert_eq!(s.read_bytes("b.txt").unwrap().len(), 2);
        assert_eq!(s.list_files("").unwrap().count(), 2);
        s.read_bytes("nope").unwrap_err();
        s.read_bytes("nope").unwrap_err();
        s.write("a.txt", "x").unwrap_err();
    });
    let want: BTreeMap<String, u64> = [
        (
            "remote_store_operations_total{backend=memory,operation=write,outcome=ok}",
            2,
        ),
        (
            "remote_store_operations_total{backend=memory,operation=write,outcome=error}",
            1,
        ),
        (
            "remote_store_operations_total{backend=memory,operation=read,outcome=ok}",
            1,
        ),
        (
            "remote_store_operations_total{backend=memory,operation=read_bytes,outcome=ok}",
            1,
        ),
        (
            "remote_store_operations_total{backend=memory,operation=read_bytes,outcome=error}",
            2,
        ),
        (
            "remote_store_operations_total{backend=memory,operation=list_files,outcome=ok}",
            1,
        ),
        (
            "remote_store_errors_total{backend=memory,kind=not_found,operation=read_bytes}",
            2,
        ),
        (
            "remote_store_errors_total{backend=memory,kind=already_exists,operation=write}",
            1,
        ),
        (
            "remote_store_bytes_total{backend=memory,direction=written,operation=write}",
            7,
        ),
        (
            "remote_store_bytes_total{backend=memory,direction=read,operation=read}",
            5,
        ),
        (
            "remote_store_bytes_total{backend=memory,direction=read,operation=read_bytes}",
            2,
        ),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .collect();
    assert_eq!(recorder.counters(), want);
    let durations = recorder.histogram(
        "remote_store_operation_duration_seconds{backend=memory,operation=write,outcome=ok}",
    );
    assert_eq!(durations.len(), 2);
    assert!(durations.iter().all(|d| (0.0..10.0).contains(d)));
}

#[test]
fn observers_pair_up() {
    #[derive(Debug, Default)]
    struct Count(AtomicU64);
    impl Observer for Count {
        fn finish(&self, _: &Scope, _: &Event<'_>) {
            self.0.fetch_add(1, Ordering::SeqCst);
        }
    }
    let (a, b) = (Arc::new(Count::default()), Arc::new(Count::default()));
    let s = Store::new(
        Observe::new(MemoryBackend::new(), (a.clone(), b.clone())),
        "",
    )
    .unwrap();
    s.write("x", "1").unwrap();
    s.exists("x").unwrap();
    assert_eq!(a.0.load(Ordering::SeqCst), 2);
    assert_eq!(b.0.load(Ordering::SeqCst), 2);
}

/// `delete_many` is one `Delete` event per path, each with its own outcome, in both halves
/// (invalid paths never reach the backend, so they have no event).
#[test]
fn delete_many_is_one_event_per_path() {
    let rec = Arc::new(Recorder::default());
    let s = Store::new(Observe::with_shared(MemoryBackend::new(), rec.clone()), "").unwrap();
    s.write("a", "x").unwrap();
    rec.take();
    let out = s.delete_many(
        ["a", "gone", "../escape"],
        remote_store_core::DeleteOptions::new(),
    );
    assert_eq!(out.len(), 3);
    let events = rec.take();
    assert_eq!(
        events,
        vec![
            seen(Operation::Delete, "a"),
            Seen {
                outcome: Outcome::Error(ErrorKind::NotFound),
                ..seen(Operation::Delete, "gone")
            },
        ]
    );

    let rec = Arc::new(Recorder::default());
    let a = AsyncStore::new(
        Observe::with_shared(AsyncMemoryBackend::new(), rec.clone()),
        "",
    )
    .unwrap();
    let rt = tokio::runtime::Runtime::new().unwrap();
    let out = rt.block_on(a.delete_many(
        ["x", "y"],
        remote_store_core::DeleteOptions::new().missing_ok(true),
    ));
    assert!(out.iter().all(Result::is_ok));
    let paths: Vec<String> = rec.take().into_iter().map(|e| e.path).collect();
    assert_eq!(paths, ["x", "y"]);
}

/// An async call dropped before it ends (a timeout, a `select!`) is still finished, once,
/// as `Dropped`: here an `exists` waiting for the permit an open read holds.
#[tokio::test(flavor = "multi_thread")]
async fn a_call_dropped_before_it_ends_is_reported_dropped_async() {
    let rec = Arc::new(Recorder::default());
    let s = AsyncStore::new(
        Observe::with_shared(
            ConcurrencyLimit::new(AsyncMemoryBackend::new(), 1),
            rec.clone(),
        ),
        "",
    )
    .unwrap();
    s.write("a.txt", "hello").await.unwrap();
    let body = s.read("a.txt").await.unwrap();
    let waited = tokio::time::timeout(std::time::Duration::from_millis(50), s.exists("a.txt"));
    assert!(waited.await.is_err(), "exists waits for the read's permit");
    drop(body);
    assert!(s.exists("a.txt").await.unwrap());

    let events = rec.take();
    let want = vec![
        Seen {
            bytes_written: 5,
            ..seen(Operation::Write, "a.txt")
        },
        Seen {
            outcome: Outcome::Dropped,
            ..seen(Operation::Exists, "a.txt")
        },
        Seen {
            outcome: Outcome::Dropped,
            ..seen(Operation::Read, "a.txt")
        },
        seen(Operation::Exists, "a.txt"),
    ];
    assert_eq!(events, want);
}
