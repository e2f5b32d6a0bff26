//! The conformance suite over S3 (moto), async, through observe + retry + concurrency
//! limit (issue 12). Needs the moto emulator: it skips under plain `cargo test` and runs
//! under `cargo xtask test`, like `conformance_s3.rs`.
#![cfg(feature = "s3")]

mod s3_support;

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use remote_store_async::AsyncStore;
use remote_store_conformance::{Features, run_async};
use remote_store_layers::{
    ConcurrencyLimit, Event, MetricsObserver, Observe, Observer, Retry, RetryPolicy, Scope,
    TracingObserver,
};
use remote_store_s3::AsyncS3Backend;
use s3_support::{Server, unique_name};

/// Every cell must run (and pass) at least this many cases: issue 12 asks 200.
const MIN_CASES: usize = 200;

/// As in `conformance_s3.rs`: a flat namespace, three pages for the big listing.
fn features() -> Features {
    Features::flat()
        .large_listing(1100)
        .case_timeout(Duration::from_secs(180))
}

#[derive(Debug, Default)]
struct Count(AtomicU64);

impl Observer for Count {
    fn finish(&self, _: &Scope, _: &Event<'_>) {
        self.0.fetch_add(1, Ordering::Relaxed);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn s3_moto_async_through_every_layer() {
    let Some(server) = Server::moto() else { return };
    let bucket = server.fresh_bucket("conf-layers").await;
    let conditions = server.conditions(&bucket).await;
    let checksums = server.returns_checksums(&bucket).await;
    let count = Arc::new(Count::default());
    let policy = RetryPolicy::new()
        .initial_backoff(Duration::from_millis(20))
        .max_backoff(Duration::from_millis(500));
    let features = server.deviations(features());
    let report = run_async("s3-moto/async+observe+retry+limit", features, || async {
        let config = server
            .config(&bucket)
            .prefix(unique_name("case"))
            .list_page_size(500)
            .service_checksums(checksums);
        let config = conditions.apply(config);
        let backend = AsyncS3Backend::new(config).expect("valid config");
        let layered = Observe::new(
            Retry::new(ConcurrencyLimit::new(backend, 16), policy.clone()),
            (
                (TracingObserver::new(), MetricsObserver::new()),
                Arc::clone(&count),
            ),
        );
        AsyncStore::new(layered, "").expect("store")
    })
    .await;
    report.assert_passed(MIN_CASES);
    assert!(
        count.0.load(Ordering::Relaxed) > 1000,
        "the observer saw the suite"
    );
}
