//! `cargo xtask bench layers` (or `cargo run --release -p remote-store-bench-layers`): what
//! each layer costs, over the memory backend so that the layer's own cost is visible.
//!
//! One operation mix — overwrite a 64-byte file, `read_bytes` it, `get_file_info` it,
//! `exists` — repeated until 100,000 operations, through a `Store` (and an `AsyncStore` on a
//! current-thread runtime) over: the bare backend; `Observe` with the no-op observer
//! (which opts out of observation), with an observer that counts events (the whole
//! machinery: clock, correlation id, event), and with the tracing observer and no
//! subscriber; `Retry`; `ConcurrencyLimit`; and all three stacked (no-op observer). A second case streams 64-byte reads (`read` to
//! the end), where `Retry` asks the read for the object's version (`read_versioned`) to resume.
//!
//! Each configuration runs `--runs N` times (default 7), interleaved with the others, and
//! the best (minimum) time is reported: on a shared machine other load only adds time.
//! Ratios are against the bare store of the same half.

use std::io::Read;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use remote_store_async::{AsyncBackend, AsyncStore};
use remote_store_core::RetryPolicy;
use remote_store_layers::{
    ConcurrencyLimit, Event, NoopObserver, Observe, Observer, Retry, Scope, TracingObserver,
};
use remote_store_memory::{AsyncMemoryBackend, MemoryBackend};
use remote_store_sync::{Backend, Store};

const OPS: usize = 100_000;
/// Operations per round of the mix.
const MIX: usize = 4;

/// An observer that does the least an observer can: count events (so the layer's clock,
/// scope and event are all paid for, unlike with `NoopObserver`, which opts out).
#[derive(Debug, Default)]
struct Counting(AtomicU64);

impl Observer for Counting {
    fn finish(&self, _: &Scope, _: &Event<'_>) {
        self.0.fetch_add(1, Ordering::Relaxed);
    }
}

#[derive(Clone, Copy, PartialEq)]
enum Layers {
    Bare,
    ObserveNoop,
    ObserveCounting,
    ObserveTracing,
    Retry,
    Limit,
    All,
}

const ALL: [(Layers, &str); 7] = [
    (Layers::Bare, "bare store"),
    (Layers::ObserveNoop, "observe (no-op observer)"),
    (Layers::ObserveCounting, "observe (counting observer)"),
    (Layers::ObserveTracing, "observe (tracing, no subscriber)"),
    (Layers::Retry, "retry"),
    (Layers::Limit, "concurrency limit (64)"),
    (Layers::All, "observe + retry + limit"),
];

fn sync_store(layers: Layers) -> Store {
    fn wrap<B: Backend>(b: B) -> Store {
        Store::new(b, "").expect("valid root")
    }
    let b = MemoryBackend::new();
    match layers {
        Layers::Bare => wrap(b),
        Layers::ObserveNoop => wrap(Observe::new(b, NoopObserver)),
        Layers::ObserveCounting => wrap(Observe::new(b, Counting::default())),
        Layers::ObserveTracing => wrap(Observe::new(b, TracingObserver::new())),
        Layers::Retry => wrap(Retry::new(b, RetryPolicy::new())),
        Layers::Limit => wrap(ConcurrencyLimit::new(b, 64)),
        Layers::All => wrap(Observe::new(
            Retry::new(ConcurrencyLimit::new(b, 64), RetryPolicy::new()),
            NoopObserver,
        )),
    }
}

fn async_store(layers: Layers) -> AsyncStore {
    fn wrap<B: AsyncBackend>(b: B) -> AsyncStore {
        AsyncStore::new(b, "").expect("valid root")
    }
    let b = AsyncMemoryBackend::new();
    match layers {
        Layers::Bare => wrap(b),
        Layers::ObserveNoop => wrap(Observe::new(b, NoopObserver)),
        Layers::ObserveCounting => wrap(Observe::new(b, Counting::default())),
        Layers::ObserveTracing => wrap(Observe::new(b, TracingObserver::new())),
        Layers::Retry => wrap(Retry::new(b, RetryPolicy::new())),
        Layers::Limit => wrap(ConcurrencyLimit::new(b, 64)),
        Layers::All => wrap(Observe::new(
            Retry::new(ConcurrencyLimit::new(b, 64), RetryPolicy::new()),
            NoopObserver,
        )),
    }
}

fn mix_sync(s: &Store) -> Duration {
    let body = vec![7u8; 64];
    let opts = remote_store_core::WriteOptions::overwriting();
    let started = Instant::now();
    for i in 0..OPS / MIX {
        let p = format!("f{}", i % 100);
        s.write_with(&p, body.clone(), opts.clone()).unwrap();
        assert_eq!(s.read_bytes(&p).unwrap().len(), 64);
        s.get_file_info(&p).unwrap();
        assert!(s.exists(&p).unwrap());
    }
    started.elapsed()
}

fn reads_sync(s: &Store) -> Duration {
    s.write("r", vec![7u8; 64]).unwrap();
    let mut buf = Vec::with_capacity(64);
    let started = Instant::now();
    for _ in 0..OPS {
        buf.clear();
        s.read("r").unwrap().read_to_end(&mut buf).unwrap();
    }
    started.elapsed()
}

async fn mix_async(s: &AsyncStore) -> Duration {
    let body = vec![7u8; 64];
    let opts = remote_store_core::WriteOptions::overwriting();
    let started = Instant::now();
    for i in 0..OPS / MIX {
        let p = format!("f{}", i % 100);
        s.write_with(&p, body.clone(), opts.clone()).await.unwrap();
        assert_eq!(s.read_bytes(&p).await.unwrap().len(), 64);
        s.get_file_info(&p).await.unwrap();
        assert!(s.exists(&p).await.unwrap());
    }
    started.elapsed()
}

async fn reads_async(s: &AsyncStore) -> Duration {
    s.write("r", vec![7u8; 64]).await.unwrap();
    let started = Instant::now();
    for _ in 0..OPS {
        let body = s.read("r").await.unwrap();
        assert_eq!(body.collect_bytes().await.unwrap().len(), 64);
    }
    started.elapsed()
}

fn main() {
    let mut runs = 7;
    let mut only: Option<usize> = None;
    let mut case: Option<usize> = None;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--runs" => runs = args.next().and_then(|n| n.parse().ok()).expect("--runs N"),
            // For a profiler: run one configuration (its index in the table) once per run.
            "--only" => only = Some(args.next().and_then(|n| n.parse().ok()).expect("--only N")),
            // For a profiler: run one case (0 sync mix, 1 sync reads, 2 async mix, 3 async reads).
            "--case" => case = Some(args.next().and_then(|n| n.parse().ok()).expect("--case N")),
            other => panic!("unknown argument {other:?} (expected --runs N, --only N, --case N)"),
        }
    }
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("a runtime");
    // best[case][config]: case 0 sync mix, 1 sync reads, 2 async mix, 3 async reads.
    let mut best = [[Duration::MAX; ALL.len()]; 4];
    for _ in 0..runs {
        for (i, (layers, _)) in ALL.iter().enumerate() {
            if only.is_some_and(|o| o != i) {
                continue;
            }
            let runs = |c: usize| case.is_none_or(|only| only == c);
            let s = sync_store(*layers);
            if runs(0) {
                best[0][i] = best[0][i].min(mix_sync(&s));
            }
            if runs(1) {
                best[1][i] = best[1][i].min(reads_sync(&s));
            }
            let a = async_store(*layers);
            if runs(2) {
                best[2][i] = best[2][i].min(rt.block_on(mix_async(&a)));
            }
            if runs(3) {
                best[3][i] = best[3][i].min(rt.block_on(reads_async(&a)));
            }
        }
    }
    println!(
        "layer overhead over the memory backend, {OPS} operations per case, best of {runs} runs\n"
    );
    println!(
        "| layers | sync mix | ratio | async mix | ratio | sync streamed reads | ratio | async streamed reads | ratio |"
    );
    println!("|---|---:|---:|---:|---:|---:|---:|---:|---:|");
    for (i, (_, name)) in ALL.iter().enumerate() {
        if only.is_some_and(|o| o != i) {
            continue;
        }
        let cell = |case: usize| {
            let t = best[case][i];
            format!(
                "{:.1} ms | {:.2}×",
                t.as_secs_f64() * 1000.0,
                t.as_secs_f64() / best[case][0].as_secs_f64()
            )
        };
        println!(
            "| {name} | {} | {} | {} | {} |",
            cell(0),
            cell(2),
            cell(1),
            cell(3)
        );
    }
}
