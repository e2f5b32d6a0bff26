//! `--ops`: a deterministic instruction count per small operation, for callgrind.
//!
//! `bench-s3 --ops <client> <get|put> <n>` (or `big <MiB>`: one streamed write) runs on a current-thread runtime against the
//! server at `BENCH_ENDPOINT` (start one s3s-fs yourself). Setup is the same whatever `n`:
//! the bucket and [`OBJECTS`] 4 KiB objects are created first, then `n` operations run
//! (GETs read distinct keys, PUTs write distinct keys). Run it twice under
//! `valgrind --tool=callgrind` with two values of `n` and divide the difference of the
//! instruction counts by the difference of `n`: setup, runtime start and the first
//! connection cancel out.
//!
//! Clients: `sdk-default` (aws-sdk-s3 with every SDK default: only region, endpoint,
//! path style, static credentials and the hyper/rustls HTTP client are set), `sdk-ours`
//! (the SDK client our backend builds from its `S3Config`, called directly),
//! `remote-store` (`AsyncStore` over `AsyncS3Backend`) and `remote-store-flat` (the same
//! in the flat-namespace mode, `check_folder_targets(false)`: one `PutObject` per small
//! put, as `sdk-ours`). Payloads are unsigned unless `BENCH_SIGN_PAYLOAD=1`, as in the
//! main benchmark. `BENCH_ACCESS_KEY` and `BENCH_SECRET_KEY` replace the benchmark's
//! credentials (for a server started elsewhere, such as the emulators' s3s-fs).
//!
//! `BENCH_LEVERS` (comma list) changes the `sdk-default` client one lever at a time:
//! `static-endpoint` (an endpoint resolver that skips the rules engine),
//! `checksums-required` (request and response checksums only when an operation
//! requires them), `no-stall` (no stalled-stream protection), `no-retry`,
//! `no-identity-cache`. `BENCH_CHECKSUMS` sets `S3Config::checksums` for `sdk-ours`
//! and `remote-store`.

use bytes::Bytes;
use remote_store_async::{AsyncContent, AsyncStore};
use remote_store_core::WriteOptions;
use remote_store_s3::aws_sdk_s3;
use remote_store_s3::aws_sdk_s3::config::endpoint::{
    Endpoint, EndpointFuture, Params, ResolveEndpoint,
};
use remote_store_s3::aws_sdk_s3::primitives::ByteStream;
use remote_store_s3::{AsyncS3Backend, S3Config};

use crate::{ACCESS_KEY, MIB, SECRET_KEY, SMALL};

/// Objects created by the setup (GETs read up to this many distinct keys).
const OBJECTS: usize = 1000;
const BUCKET: &str = "bench-ops";

enum OpsClient {
    Sdk(aws_sdk_s3::Client),
    Ours(AsyncStore),
}

fn levers() -> Vec<String> {
    std::env::var("BENCH_LEVERS")
        .unwrap_or_default()
        .split(',')
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect()
}

/// An endpoint resolver for an explicit, path-style endpoint: `endpoint/bucket`, signed
/// for S3 in the request's region, without the rules engine.
#[derive(Debug)]
struct PathStyle;

impl ResolveEndpoint for PathStyle {
    fn resolve_endpoint<'a>(&'a self, params: &'a Params) -> EndpointFuture<'a> {
        let base = params.endpoint().unwrap_or_default().trim_end_matches('/');
        let url = format!("{base}/{}", params.bucket().unwrap_or_default());
        let scheme = aws_smithy_types::endpoint::EndpointAuthScheme::with_capacity("sigv4", 3)
            .put("disableDoubleEncoding", true)
            .put("signingName", "s3")
            .put(
                "signingRegion",
                params.region().unwrap_or("us-east-1").to_owned(),
            );
        EndpointFuture::ready(Ok(Endpoint::builder().url(url).auth_scheme(scheme).build()))
    }
}

fn access_key() -> String {
    std::env::var("BENCH_ACCESS_KEY").unwrap_or_else(|_| ACCESS_KEY.to_owned())
}

fn secret_key() -> String {
    std::env::var("BENCH_SECRET_KEY").unwrap_or_else(|_| SECRET_KEY.to_owned())
}

fn config(endpoint: &str, sign: bool) -> S3Config {
    let mut config = S3Config::new(BUCKET)
        .endpoint(endpoint)
        .region("us-east-1")
        .force_path_style(true)
        .credentials(access_key(), secret_key())
        .sign_payload(sign);
    if let Ok(mode) = std::env::var("BENCH_CHECKSUMS") {
        let mode = mode
            .parse()
            .expect("BENCH_CHECKSUMS: when_supported or when_required");
        config = config.checksums(mode);
    }
    config
}

fn sdk_default(endpoint: &str) -> aws_sdk_s3::Client {
    use aws_sdk_s3::config::{BehaviorVersion, Credentials, Region};
    let http = aws_smithy_http_client::Builder::new()
        .tls_provider(aws_smithy_http_client::tls::Provider::Rustls(
            aws_smithy_http_client::tls::rustls_provider::CryptoMode::Ring,
        ))
        .build_https();
    let mut b = aws_sdk_s3::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .http_client(http)
        .region(Region::new("us-east-1"))
        .endpoint_url(endpoint)
        .force_path_style(true)
        .credentials_provider(Credentials::new(
            access_key(),
            secret_key(),
            None,
            None,
            "bench",
        ));
    for lever in levers() {
        b = match lever.as_str() {
            "static-endpoint" => b.endpoint_resolver(PathStyle),
            "checksums-required" => b
                .request_checksum_calculation(
                    aws_sdk_s3::config::RequestChecksumCalculation::WhenRequired,
                )
                .response_checksum_validation(
                    aws_sdk_s3::config::ResponseChecksumValidation::WhenRequired,
                ),
            "no-stall" => b.stalled_stream_protection(
                aws_sdk_s3::config::StalledStreamProtectionConfig::disabled(),
            ),
            "no-retry" => b.retry_config(aws_sdk_s3::config::retry::RetryConfig::disabled()),
            "no-identity-cache" => b.identity_cache(aws_sdk_s3::config::IdentityCache::no_cache()),
            other => panic!("unknown lever {other}"),
        };
    }
    aws_sdk_s3::Client::from_conf(b.build())
}

async fn sdk_put(c: &aws_sdk_s3::Client, sign: bool, key: &str, data: Bytes) {
    let req = c
        .put_object()
        .bucket(BUCKET)
        .key(key)
        .body(ByteStream::from(data));
    if sign {
        req.send().await.unwrap();
    } else {
        req.customize()
            .disable_payload_signing()
            .send()
            .await
            .unwrap();
    }
}

/// Runs the `--ops` mode; `args` are `<client> <get|put> <n>`.
pub(crate) fn run(args: &[String]) {
    let [client, op, n] = args else {
        panic!("usage: --ops <sdk-default|sdk-ours|remote-store|remote-store-flat> <get|put> <n>");
    };
    let n: usize = n.parse().expect("n");
    assert!(n <= OBJECTS || op == "big", "n ≤ {OBJECTS}");
    let endpoint = std::env::var("BENCH_ENDPOINT").expect("BENCH_ENDPOINT");
    let sign = std::env::var("BENCH_SIGN_PAYLOAD").is_ok_and(|v| v == "1");
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let setup = AsyncS3Backend::new(config(&endpoint, sign))
            .unwrap()
            .client()
            .clone();
        let _ = setup.create_bucket().bucket(BUCKET).send().await;
        let data = Bytes::from(vec![0xa5; SMALL]);
        // Only GETs read the objects (a PUT run's setup is as independent of `n` without them).
        for i in (0..OBJECTS).filter(|_| op == "get") {
            sdk_put(&setup, sign, &format!("get/{i:04}"), data.clone()).await;
        }
        let c = match client.as_str() {
            "sdk-default" => OpsClient::Sdk(sdk_default(&endpoint)),
            "sdk-ours" => OpsClient::Sdk(
                AsyncS3Backend::new(config(&endpoint, sign))
                    .unwrap()
                    .client()
                    .clone(),
            ),
            "remote-store" => OpsClient::Ours(
                AsyncStore::new(AsyncS3Backend::new(config(&endpoint, sign)).unwrap(), "").unwrap(),
            ),
            "remote-store-flat" => OpsClient::Ours(
                AsyncStore::new(
                    AsyncS3Backend::new(config(&endpoint, sign).check_folder_targets(false))
                        .unwrap(),
                    "",
                )
                .unwrap(),
            ),
            other => panic!("unknown client {other}"),
        };
        let started = thread_cpu_ns();
        let process_started = process_cpu_ms();
        if op == "big" {
            // One streamed write of `n` MiB (1 MiB chunks; the raw SDK gets part-sized
            // buffers, as in the main benchmark).
            match &c {
                OpsClient::Sdk(c) => crate::raw_multipart(c, sign, BUCKET, "big", n * MIB).await,
                OpsClient::Ours(s) => {
                    let content = AsyncContent::chunks(crate::source(n * MIB));
                    s.write_with("big", content, WriteOptions::new().overwrite(true))
                        .await
                        .unwrap();
                }
            }
            let ms = (thread_cpu_ns() - started) as f64 / 1e6;
            let process = process_cpu_ms() - process_started;
            eprintln!(
                "{client} big: {ms:.1} ms CPU for {n} MiB (this thread; {process} ms all threads)"
            );
            return;
        }
        for i in 0..n {
            match (&c, op.as_str()) {
                (OpsClient::Sdk(c), "get") => {
                    let out = c
                        .get_object()
                        .bucket(BUCKET)
                        .key(format!("get/{i:04}"))
                        .send()
                        .await
                        .unwrap();
                    assert_eq!(out.body.collect().await.unwrap().into_bytes().len(), SMALL);
                }
                (OpsClient::Ours(s), "get") => {
                    assert_eq!(
                        s.read_bytes(&format!("get/{i:04}")).await.unwrap().len(),
                        SMALL
                    );
                }
                (OpsClient::Sdk(c), "put") => {
                    sdk_put(c, sign, &format!("put/{i:04}"), data.clone()).await;
                }
                (OpsClient::Ours(s), "put") => {
                    s.write_with(
                        &format!("put/{i:04}"),
                        data.clone(),
                        WriteOptions::new().overwrite(true),
                    )
                    .await
                    .unwrap();
                }
                (_, other) => panic!("unknown op {other}"),
            }
        }
        if n > 0 {
            let per_op = (thread_cpu_ns() - started) as f64 / n as f64 / 1e3;
            eprintln!("{client} {op}: {per_op:.1} µs CPU per op (this thread, {n} ops)");
        }
    });
}

/// CPU time of the whole process so far (user and system, all threads), in milliseconds
/// (10 ms resolution), from `/proc/self/stat`.
fn process_cpu_ms() -> u64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    // Fields after the command name (which ends with ')'): utime and stime are the 12th
    // and 13th, in clock ticks of 10 ms.
    let rest = stat.rsplit_once(')').map_or("", |(_, r)| r);
    let ticks: u64 = rest
        .split_whitespace()
        .skip(11)
        .take(2)
        .filter_map(|t| t.parse::<u64>().ok())
        .sum();
    ticks * 10
}

/// CPU time of this thread so far (the current-thread runtime runs every task on it), from
/// `/proc/thread-self/schedstat`, in nanoseconds.
fn thread_cpu_ns() -> u64 {
    std::fs::read_to_string("/proc/thread-self/schedstat")
        .ok()
        .and_then(|s| s.split_whitespace().next()?.parse().ok())
        .unwrap_or(0)
}
