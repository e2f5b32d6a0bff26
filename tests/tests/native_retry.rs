//! The `retry` policy of the S3 and Azure configs drives the SDKs' own retries: against a
//! stub HTTP server that answers every request `503 Service Unavailable`, one call makes
//! exactly `max_attempts` requests (no retry stacked on the SDK's, none missing), and
//! `RetryPolicy::never()` makes one. No emulator needed: the stub is a local TCP listener.
#![cfg(any(feature = "s3", feature = "azure"))]

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use remote_store_async::AsyncStore;
use remote_store_core::{ErrorKind, RetryPolicy};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

/// A server answering every request with 503 (and closing the connection), counting them.
struct Stub {
    url: String,
    requests: Arc<AtomicUsize>,
}

impl Stub {
    async fn start() -> Stub {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let requests = Arc::new(AtomicUsize::new(0));
        let counter = Arc::clone(&requests);
        tokio::spawn(async move {
            while let Ok((mut socket, _)) = listener.accept().await {
                let counter = Arc::clone(&counter);
                tokio::spawn(async move {
                    // Read the request head (these tests send no bodies).
                    let mut head = Vec::new();
                    let mut buf = [0u8; 4096];
                    while !head.windows(4).any(|w| w == b"\r\n\r\n") {
                        match socket.read(&mut buf).await {
                            Ok(0) | Err(_) => return,
                            Ok(n) => head.extend_from_slice(&buf[..n]),
                        }
                    }
                    counter.fetch_add(1, Ordering::SeqCst);
                    let answer = "HTTP/1.1 503 Service Unavailable\r\n\
                                  Content-Length: 0\r\nConnection: close\r\n\r\n";
                    let _ = socket.write_all(answer.as_bytes()).await;
                    let _ = socket.shutdown().await;
                });
            }
        });
        Stub { url, requests }
    }

    fn take(&self) -> usize {
        self.requests.swap(0, Ordering::SeqCst)
    }
}

/// Short waits, so the test takes milliseconds.
fn quick(attempts: u32) -> RetryPolicy {
    RetryPolicy::new()
        .max_attempts(attempts)
        .initial_backoff(Duration::from_millis(5))
        .max_backoff(Duration::from_millis(20))
}

#[cfg(feature = "s3")]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn s3_makes_exactly_max_attempts_requests() {
    use remote_store_s3::{AsyncS3Backend, S3Config};
    let stub = Stub::start().await;
    for (policy, want) in [
        (quick(4), 4),
        (quick(2), 2),
        (RetryPolicy::never(), 1),
        (S3Config::default().retry, 3),
    ] {
        let config = S3Config::new("bucket")
            .endpoint(stub.url.clone())
            .force_path_style(true)
            .region("us-east-1")
            .credentials("AKID", "secret")
            .retry(policy.initial_backoff(Duration::from_millis(5)));
        let store = AsyncStore::new(AsyncS3Backend::new(config).unwrap(), "").unwrap();
        // `is_folder` is one ListObjectsV2 (`get_file_info` would add a listing after a
        // failed HeadObject: two SDK calls, each with its attempts).
        let err = store.is_folder("d").await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::BackendUnavailable, "{err}");
        assert_eq!(stub.take(), want, "requests for max_attempts = {want}");
    }
}

#[cfg(feature = "azure")]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn azure_makes_exactly_max_attempts_requests() {
    use remote_store_azure::{AsyncAzureBackend, AzureAuth, AzureConfig};
    let stub = Stub::start().await;
    for (policy, want) in [
        (quick(3), 3),
        (RetryPolicy::never(), 1),
        (remote_store_azure::default_retry(), 3),
    ] {
        let config = AzureConfig::new("container", AzureAuth::Anonymous)
            .endpoint(format!("{}/devstoreaccount1", stub.url))
            .retry(policy.initial_backoff(Duration::from_millis(5)));
        let store = AsyncStore::new(AsyncAzureBackend::new(config).unwrap(), "").unwrap();
        let err = store.get_file_info("a.txt").await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::BackendUnavailable, "{err}");
        assert_eq!(stub.take(), want, "requests for max_attempts = {want}");
    }
}

/// `deadline` bounds one S3 call with its retries (the SDK's operation timeout): 50
/// attempts 200 ms apart would take ~10 s; a 600 ms deadline ends the call early.
#[cfg(feature = "s3")]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn s3_deadline_bounds_the_retries() {
    use remote_store_s3::{AsyncS3Backend, S3Config};
    let stub = Stub::start().await;
    let policy = RetryPolicy::new()
        .max_attempts(50)
        .initial_backoff(Duration::from_millis(200))
        .max_backoff(Duration::from_millis(200))
        .deadline(Some(Duration::from_millis(600)));
    let config = S3Config::new("bucket")
        .endpoint(stub.url.clone())
        .force_path_style(true)
        .region("us-east-1")
        .credentials("AKID", "secret")
        .retry(policy);
    let store = AsyncStore::new(AsyncS3Backend::new(config).unwrap(), "").unwrap();
    let started = std::time::Instant::now();
    let err = store.is_folder("d").await.unwrap_err();
    let took = started.elapsed();
    assert!(took < Duration::from_secs(3), "took {took:?}: {err}");
    let made = stub.take();
    assert!(
        (1..50).contains(&made),
        "{made} requests within the deadline"
    );
    assert!(err.is_retryable(), "a timed-out call is retryable: {err}");
}
