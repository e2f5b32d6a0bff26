//! What the S3 tests share: the two servers `cargo xtask test` starts (moto and s3s-fs),
//! fresh buckets and prefixes, and the raw SDK client for setup and inspection.
#![allow(dead_code, unreachable_pub)]

use std::sync::atomic::{AtomicU32, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use remote_store_conformance::Features;
use remote_store_s3::aws_sdk_s3::Client;
use remote_store_s3::aws_sdk_s3::config::interceptors::{
    BeforeSerializationInterceptorContextRef, BeforeTransmitInterceptorContextRef,
    FinalizerInterceptorContextRef,
};
use remote_store_s3::aws_sdk_s3::config::{ConfigBag, Intercept, RuntimeComponents};
use remote_store_s3::aws_sdk_s3::error::BoxError;
use remote_store_s3::aws_sdk_s3::operation::create_multipart_upload::CreateMultipartUploadOutput;
use remote_store_s3::aws_sdk_s3::operation::delete_object::DeleteObjectOutput;
use remote_store_s3::aws_sdk_s3::operation::delete_objects::DeleteObjectsOutput;
use remote_store_s3::aws_sdk_s3::operation::head_bucket::HeadBucketOutput;
use remote_store_s3::aws_sdk_s3::operation::head_object::HeadObjectOutput;
use remote_store_s3::aws_sdk_s3::operation::list_objects_v2::ListObjectsV2Output;
use remote_store_s3::aws_sdk_s3::primitives::ByteStream;
use remote_store_s3::{AsyncS3Backend, S3Config};
use remote_store_tests::emulator;

/// What a server was found to enforce (see [`Server::conditions`]).
#[derive(Debug, Clone, Copy)]
pub struct Conditions {
    /// `If-None-Match: *` on puts, atomically.
    pub create: bool,
    /// `If-Match: <etag>` on puts, atomically.
    pub write: bool,
    /// Conditions on `GetObject`.
    pub read: bool,
    /// `If-None-Match: *` on `CopyObject`, with atomic conditional puts.
    pub copy: bool,
}

impl Conditions {
    /// `config` with the detected settings.
    pub fn apply(self, config: S3Config) -> S3Config {
        config
            .conditional_create(self.create)
            .conditional_write(self.write)
            .conditional_read(self.read)
            .conditional_copy(self.copy)
    }
}

/// One S3 server the tests run against.
#[derive(Debug, Clone)]
pub struct Server {
    /// `moto` or `s3s-fs`.
    pub name: &'static str,
    pub endpoint: String,
    pub access_key: String,
    pub secret_key: String,
}

impl Server {
    /// moto (accepts any credentials), or `None` (one SKIP line) under plain `cargo test`.
    pub fn moto() -> Option<Server> {
        let endpoint = emulator::var("REMOTE_STORE_S3_MOTO_ENDPOINT")?;
        Some(Server {
            name: "moto",
            endpoint,
            access_key: "testing".into(),
            secret_key: "testing".into(),
        })
    }

    /// s3s-fs (requires its key pair), or `None` (one SKIP line) under plain `cargo test`.
    pub fn s3s_fs() -> Option<Server> {
        let [endpoint, access_key, secret_key] = emulator::vars([
            "REMOTE_STORE_S3_S3SFS_ENDPOINT",
            "REMOTE_STORE_S3_S3SFS_ACCESS_KEY",
            "REMOTE_STORE_S3_S3SFS_SECRET_KEY",
        ])?;
        Some(Server {
            name: "s3s-fs",
            endpoint,
            access_key,
            secret_key,
        })
    }

    /// Both servers that are available.
    pub fn all() -> Vec<Server> {
        [Server::moto(), Server::s3s_fs()]
            .into_iter()
            .flatten()
            .collect()
    }

    /// The `host:port` of the endpoint.
    pub fn addr(&self) -> std::net::SocketAddr {
        let hostport = self
            .endpoint
            .trim_start_matches("http://")
            .trim_end_matches('/');
        hostport.parse().expect("the endpoint is http://IP:PORT")
    }

    /// A configuration for `bucket` on this server (path-style, static keys).
    pub fn config(&self, bucket: &str) -> S3Config {
        self.config_at(bucket, &self.endpoint)
    }

    /// The same, but through another endpoint (a fault proxy in front of the server).
    ///
    /// `conditional_create` is off on s3s-fs: 0.14.1 checks `If-None-Match: *` before the
    /// body arrives, not atomically (see [`Server::enforces_if_none_match`]), so a backend
    /// must not rely on it there. (It also creates a missing bucket's directory on a
    /// `PutObject`, which the concurrent create-and-check of ADR 0014 would otherwise
    /// expose as "a write created the bucket".) Tests that probe the server override it.
    pub fn config_at(&self, bucket: &str, endpoint: &str) -> S3Config {
        S3Config::new(bucket)
            .endpoint(endpoint)
            .region("us-east-1")
            .force_path_style(true)
            .credentials(self.access_key.clone(), self.secret_key.clone())
            .conditional_create(self.name != "s3s-fs")
    }

    /// The conformance deviations of this server, added to `features`.
    ///
    /// moto 5.2 checks `If-None-Match: *` and `If-Match` on `PutObject` and
    /// `CompleteMultipartUpload` with a lookup followed by a separate store, without a lock
    /// (`moto/s3/responses.py`), so under its threaded server two racing conditional writes
    /// can both pass the check. The probe in [`Server::enforces_if_none_match`] usually
    /// sees one winner, so the backend declares `conditional_create` and the race cases
    /// run; when moto lets a second racer through, the case is reported as this known
    /// deviation instead of failing the run. The backend sends the same headers to every
    /// server; AWS S3 and Azurite (the Azure cells) decide them atomically.
    pub fn deviations(&self, features: Features) -> Features {
        if self.name != "moto" {
            return features;
        }
        const WHY: &str = "moto checks If-None-Match / If-Match and then stores, without a lock: \
                           two racing conditional writes can both succeed";
        features
            .deviation("race_create_exactly_one_wins", WHY)
            .deviation("race_atomic_create_exactly_one_wins", WHY)
            .deviation("race_if_match_exactly_one_wins", WHY)
    }

    /// A raw SDK client for setup and inspection (the backend's own client, built from the
    /// same configuration, but used directly).
    pub fn client(&self) -> Client {
        AsyncS3Backend::new(self.config("unused"))
            .expect("valid config")
            .client()
            .clone()
    }

    /// Creates a bucket no other test uses and returns its name.
    pub async fn fresh_bucket(&self, tag: &str) -> String {
        let bucket = unique_name(tag);
        self.client()
            .create_bucket()
            .bucket(&bucket)
            .send()
            .await
            .unwrap_or_else(|e| panic!("create bucket {bucket} on {}: {e:?}", self.name));
        bucket
    }

    /// Whether this server enforces `If-None-Match: *` on `PutObject` *atomically*: a
    /// second conditional put of an existing key is refused, and of 8 conditional puts
    /// racing to create one new key exactly one succeeds (5 rounds). Only then may the
    /// backend declare `conditional_create`.
    ///
    /// The racing bodies are 1 MiB each: a server that checks for the key when a request
    /// arrives and creates it only after the body has streamed in (s3s-fs 0.14.1 does) has
    /// a window of milliseconds in which a second creator also passes the check. Tiny
    /// bodies shrink that window so far that such a server usually looks atomic here and
    /// then fails the conformance suite's races at random.
    pub async fn enforces_if_none_match(&self, bucket: &str) -> bool {
        let client = self.client();
        let put = |key: String, body: Bytes| {
            let client = client.clone();
            let bucket = bucket.to_owned();
            async move {
                client
                    .put_object()
                    .bucket(bucket)
                    .key(key)
                    .if_none_match("*")
                    .body(ByteStream::from(body))
                    .send()
                    .await
                    .is_ok()
            }
        };
        let key = unique_name("probe-if-none-match");
        assert!(
            put(key.clone(), Bytes::from_static(b"first")).await,
            "the first conditional put"
        );
        let sequential = !put(key.clone(), Bytes::from_static(b"second")).await;
        let racer = Bytes::from(vec![b'r'; 1 << 20]);
        let mut atomic = true;
        for round in 0..5 {
            let key = format!("{key}-race-{round}");
            let racers = (0..8).map(|_| tokio::spawn(put(key.clone(), racer.clone())));
            let wins = futures::future::join_all(racers)
                .await
                .into_iter()
                .filter(|won| matches!(won, Ok(true)))
                .count();
            atomic &= wins == 1;
        }
        sequential && atomic
    }

    /// Whether the server enforces `If-Match: <etag>` on `PutObject`: a put matching a stale
    /// etag, or a missing key, is refused, and one matching the current etag goes through.
    /// The backend may declare `conditional_write` only where this holds *and* the server's
    /// conditional puts are atomic (`enforces_if_none_match`): s3s-fs 0.14 checks either
    /// header when the request arrives, not when the object is committed.
    pub async fn enforces_if_match(&self, bucket: &str) -> bool {
        let client = self.client();
        let key = unique_name("probe-if-match");
        let put = |body: &'static [u8], etag: Option<String>| {
            let client = client.clone();
            let (bucket, key) = (bucket.to_owned(), key.clone());
            async move {
                client
                    .put_object()
                    .bucket(bucket)
                    .key(key)
                    .set_if_match(etag)
                    .body(ByteStream::from(Bytes::from_static(body)))
                    .send()
                    .await
            }
        };
        let missing = put(b"none", Some("\"0\"".to_owned())).await.is_err();
        let Ok(first) = put(b"first", None).await else {
            return false;
        };
        let Some(first_etag) = first.e_tag().map(str::to_owned) else {
            return false;
        };
        let Ok(second) = put(b"second!", Some(first_etag.clone())).await else {
            return false;
        };
        let stale = put(b"third!!!", Some(first_etag)).await.is_err();
        missing && stale && second.e_tag().is_some()
    }

    /// Whether the server evaluates `If-Match` and `If-None-Match` on `GetObject` (moto
    /// does; s3s-fs 0.14 ignores them): only then may the backend declare
    /// `conditional_read`.
    pub async fn honours_read_conditions(&self, bucket: &str) -> bool {
        let client = self.client();
        let key = unique_name("probe-get-if");
        let Ok(put) = client
            .put_object()
            .bucket(bucket)
            .key(&key)
            .body(ByteStream::from(Bytes::from_static(b"data")))
            .send()
            .await
        else {
            return false;
        };
        let Some(etag) = put.e_tag().map(str::to_owned) else {
            return false;
        };
        let get = |if_match: Option<&str>, if_none_match: Option<&str>| {
            client
                .get_object()
                .bucket(bucket)
                .key(&key)
                .set_if_match(if_match.map(str::to_owned))
                .set_if_none_match(if_none_match.map(str::to_owned))
                .send()
        };
        let current = get(Some(&etag), None).await.is_ok();
        let stale = get(Some("\"stale\""), None).await.is_err();
        let unchanged = get(None, Some(&etag)).await.is_err();
        current && stale && unchanged
    }

    /// Whether the server refuses a `CopyObject` carrying `If-None-Match: *` onto an existing
    /// key (s3s-fs 0.14 does not look at the header). Only then may the backend send it
    /// and, with atomic conditional puts, declare `conditional_copy`.
    pub async fn enforces_copy_if_none_match(&self, bucket: &str) -> bool {
        let client = self.client();
        let (src, dst) = (unique_name("probe-copy-src"), unique_name("probe-copy-dst"));
        for (key, body) in [(&src, b"source" as &'static [u8]), (&dst, b"target")] {
            let put = client
                .put_object()
                .bucket(bucket)
                .key(key.as_str())
                .body(ByteStream::from(Bytes::from_static(body)))
                .send()
                .await;
            if put.is_err() {
                return false;
            }
        }
        let copy = |dst: String| {
            client
                .copy_object()
                .bucket(bucket)
                .key(dst)
                .copy_source(format!("{bucket}/{src}"))
                .if_none_match("*")
                .send()
        };
        let refused = copy(dst.clone()).await.is_err();
        let created = copy(unique_name("probe-copy-new")).await.is_ok();
        refused && created
    }

    /// The conditional-request settings this server supports, detected in `bucket`:
    /// `conditional_create`, `conditional_write`, `conditional_read`.
    ///
    /// s3s-fs 0.14.1 is known not to decide `If-None-Match: *` atomically (it checks when
    /// the request arrives, see [`Server::config_at`]); on a loaded machine the race probe
    /// can still see one winner in every round and wrongly pass, after which the
    /// conformance suite's race cases fail. So it is not probed there: `create` is off,
    /// as the backend's configuration for it says.
    pub async fn conditions(&self, bucket: &str) -> Conditions {
        let create = self.name != "s3s-fs" && self.enforces_if_none_match(bucket).await;
        let write = create && self.enforces_if_match(bucket).await;
        let read = self.honours_read_conditions(bucket).await;
        let copy = create && self.enforces_copy_if_none_match(bucket).await;
        eprintln!(
            "{}: conditional_create = {create}, conditional_write = {write}, \
             conditional_read = {read}, conditional_copy = {copy}",
            self.name
        );
        Conditions {
            create,
            write,
            read,
            copy,
        }
    }

    /// Whether the server returns the CRC-32C and SHA-256 a `PutObject` asks for with
    /// `x-amz-checksum-algorithm` (and they are the right ones), and a checksum for a
    /// multipart upload, probed with the raw SDK. Only then may the backend declare the
    /// digest capabilities (`service_checksums`).
    pub async fn returns_checksums(&self, bucket: &str) -> bool {
        self.returns_put_checksums(bucket).await && self.returns_multipart_checksums(bucket).await
    }

    /// Whether the server returns the right CRC-32C and SHA-256 for a `PutObject` that asks
    /// for them (moto does).
    pub async fn returns_put_checksums(&self, bucket: &str) -> bool {
        use remote_store_s3::aws_sdk_s3::types::ChecksumAlgorithm;
        let client = self.client();
        let mut all = true;
        // CRC-32C("123456789") = e3069283; SHA-256("123456789") = 15e2b0d3….
        for (algorithm, want) in [
            (ChecksumAlgorithm::Crc32C, "4waSgw=="),
            (
                ChecksumAlgorithm::Sha256,
                "FeKw08M4keuw8e9gnsQZQgwg4yDOlMZfvIwzEkSOsiU=",
            ),
        ] {
            let out = client
                .put_object()
                .bucket(bucket)
                .key(unique_name("probe-checksum"))
                .checksum_algorithm(algorithm.clone())
                .body(ByteStream::from(Bytes::from_static(b"123456789")))
                .send()
                .await;
            let got = out.ok().and_then(|o| match algorithm {
                ChecksumAlgorithm::Crc32C => o.checksum_crc32_c().map(str::to_owned),
                _ => o.checksum_sha256().map(str::to_owned),
            });
            all &= got.as_deref() == Some(want);
        }
        all
    }

    /// Whether a one-part multipart upload with CRC-32C gets a checksum back, from
    /// `CompleteMultipartUpload` or from `UploadPart` (the backend then computes S3's
    /// composite from the part checksums); moto 5 and s3s-fs 0.14 give neither.
    pub async fn returns_multipart_checksums(&self, bucket: &str) -> bool {
        use remote_store_s3::aws_sdk_s3::types::{
            ChecksumAlgorithm, CompletedMultipartUpload, CompletedPart,
        };
        let client = self.client();
        let key = unique_name("probe-multipart-checksum");
        let Ok(created) = client
            .create_multipart_upload()
            .bucket(bucket)
            .key(&key)
            .checksum_algorithm(ChecksumAlgorithm::Crc32C)
            .send()
            .await
        else {
            return false;
        };
        let Some(id) = created.upload_id() else {
            return false;
        };
        let Ok(part) = client
            .upload_part()
            .bucket(bucket)
            .key(&key)
            .upload_id(id)
            .part_number(1)
            .checksum_algorithm(ChecksumAlgorithm::Crc32C)
            .body(ByteStream::from(Bytes::from_static(b"123456789")))
            .send()
            .await
        else {
            return false;
        };
        let part_sum = part.checksum_crc32_c().map(str::to_owned);
        let completed = client
            .complete_multipart_upload()
            .bucket(bucket)
            .key(&key)
            .upload_id(id)
            .multipart_upload(
                CompletedMultipartUpload::builder()
                    .parts(
                        CompletedPart::builder()
                            .part_number(1)
                            .set_e_tag(part.e_tag().map(str::to_owned))
                            .set_checksum_crc32_c(part_sum.clone())
                            .build(),
                    )
                    .build(),
            )
            .send()
            .await;
        let whole = completed
            .ok()
            .and_then(|c| c.checksum_crc32_c().map(str::to_owned));
        whole.is_some() || part_sum.is_some()
    }

    /// Multipart uploads still open in `bucket`, by key — or `None` when the server does
    /// not implement ListMultipartUploads (s3s-fs answers 501 NotImplemented).
    pub async fn open_uploads(&self, bucket: &str) -> Option<Vec<String>> {
        let result = self
            .client()
            .list_multipart_uploads()
            .bucket(bucket)
            .send()
            .await;
        match result {
            Ok(out) => Some(
                out.uploads()
                    .iter()
                    .map(|u| u.key().unwrap_or_default().to_owned())
                    .collect(),
            ),
            Err(e) if e.raw_response().is_some_and(|r| r.status().as_u16() == 501) => None,
            Err(e) => panic!("ListMultipartUploads on {}: {e:?}", self.name),
        }
    }

    /// Whether the multipart upload `upload_id` of `key` is gone (aborted or completed):
    /// uploading a part to it must fail (S3, moto: NoSuchUpload; s3s-fs: AccessDenied
    /// for an upload id it no longer knows). An open upload accepts the part.
    pub async fn upload_is_gone(&self, bucket: &str, key: &str, upload_id: &str) -> bool {
        let result = self
            .client()
            .upload_part()
            .bucket(bucket)
            .key(key)
            .upload_id(upload_id)
            .part_number(1)
            .body(ByteStream::from_static(b"probe"))
            .send()
            .await;
        if result.is_ok() {
            let _ = self
                .client()
                .abort_multipart_upload()
                .bucket(bucket)
                .key(key)
                .upload_id(upload_id)
                .send()
                .await;
        }
        result.is_err()
    }

    /// Asserts that no multipart upload the recorder saw is still open, by both checks
    /// the server supports.
    pub async fn assert_no_open_uploads(&self, bucket: &str, recorder: &Recorder) {
        let created = recorder.uploads();
        assert!(
            !created.is_empty(),
            "{}: no multipart upload was started",
            self.name
        );
        if let Some(open) = self.open_uploads(bucket).await {
            assert!(
                open.is_empty(),
                "{}: uploads left open: {open:?}",
                self.name
            );
        }
        for (key, id) in created {
            assert!(
                self.upload_is_gone(bucket, &key, &id).await,
                "{}: the upload {id} of {key} is still open",
                self.name
            );
        }
    }

    /// An async backend whose client reports to a [`Recorder`].
    pub fn recorded_backend(&self, config: S3Config) -> (AsyncS3Backend, Arc<Recorder>) {
        self.recorded_backend_with(config, Vec::<SharedRecorder>::new())
    }

    /// [`recorded_backend`](Self::recorded_backend) whose client also runs `extra`
    /// interceptors (after the recorder).
    pub fn recorded_backend_with<I: Intercept + 'static>(
        &self,
        config: S3Config,
        extra: impl IntoIterator<Item = I>,
    ) -> (AsyncS3Backend, Arc<Recorder>) {
        let recorder = Arc::new(Recorder::default());
        let plain = AsyncS3Backend::new(config.clone()).expect("valid config");
        let mut builder = plain
            .client()
            .config()
            .to_builder()
            .interceptor(SharedRecorder(Arc::clone(&recorder)));
        for interceptor in extra {
            builder = builder.interceptor(interceptor);
        }
        let conf = builder.build();
        let backend =
            AsyncS3Backend::with_client(Client::from_conf(conf), config).expect("valid config");
        (backend, recorder)
    }
}

/// Both servers that are available, or none with one SKIP line (plain `cargo test`).
pub fn servers() -> Vec<Server> {
    let servers = Server::all();
    if servers.is_empty() {
        eprintln!("SKIP: no S3 server — run `cargo xtask test`");
    }
    servers
}

/// Writes `n` small files `f/k-00000` .. into `store`, 64 at a time; returns their paths.
pub async fn fill(store: &remote_store_async::AsyncStore, n: usize) -> Vec<String> {
    use futures::{StreamExt, TryStreamExt};
    let paths: Vec<String> = (0..n).map(|i| format!("f/k-{i:05}")).collect();
    futures::stream::iter(paths.clone())
        .map(|p| {
            let store = store.clone();
            async move { store.write(&p, "x").await.map(drop) }
        })
        .buffer_unordered(64)
        .try_collect::<Vec<()>>()
        .await
        .expect("fill");
    paths
}

/// A lower-case name unique to this process and call: `<tag>-<pid>-<n>-<nanos>`.
pub fn unique_name(tag: &str) -> String {
    static NEXT: AtomicU32 = AtomicU32::new(0);
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    format!("{tag}-{}-{n}-{nanos}", std::process::id())
}

/// Runs `fut` to completion on a fresh runtime (setup for blocking tests).
pub fn block_on<F: std::future::Future>(fut: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime")
        .block_on(fut)
}

/// What an SDK client did, seen by an interceptor: every request sent, completed
/// `ListObjectsV2` pages, the multipart uploads it created, successful `HeadBucket` calls,
/// and the delete and `HeadObject` requests answered.
#[derive(Debug, Default)]
pub struct Recorder {
    requests: AtomicUsize,
    list_pages: AtomicUsize,
    uploads: Mutex<Vec<(String, String)>>,
    head_buckets: AtomicUsize,
    delete_objects: AtomicUsize,
    delete_object: AtomicUsize,
    head_objects: AtomicUsize,
    part_crc32: Mutex<Vec<Option<String>>>,
    /// Operations between the SDK's first and last interceptor hook right now.
    executing: AtomicUsize,
    /// The most operations seen executing at once since the last `reset_peak`.
    peak_executing: AtomicUsize,
}

impl Recorder {
    /// The most SDK operations that were executing at once (from the first interceptor
    /// hook, before the request is even serialised, to the last) since `reset_peak`.
    pub fn peak_executing(&self) -> usize {
        self.peak_executing.load(Ordering::SeqCst)
    }

    /// Starts a new peak from the operations executing now.
    pub fn reset_peak(&self) {
        self.peak_executing
            .store(self.executing.load(Ordering::SeqCst), Ordering::SeqCst);
    }

    /// Requests transmitted so far, of every operation (each SDK attempt counts).
    pub fn requests(&self) -> usize {
        self.requests.load(Ordering::SeqCst)
    }

    /// `ListObjectsV2` responses received so far.
    pub fn list_pages(&self) -> usize {
        self.list_pages.load(Ordering::SeqCst)
    }

    /// Successful `HeadBucket` responses received so far.
    pub fn head_buckets(&self) -> usize {
        self.head_buckets.load(Ordering::SeqCst)
    }

    /// Successful `DeleteObjects` (bulk) responses received so far.
    pub fn delete_objects(&self) -> usize {
        self.delete_objects.load(Ordering::SeqCst)
    }

    /// Successful single `DeleteObject` responses received so far.
    pub fn delete_object(&self) -> usize {
        self.delete_object.load(Ordering::SeqCst)
    }

    /// Successful `HeadObject` responses received so far.
    pub fn head_objects(&self) -> usize {
        self.head_objects.load(Ordering::SeqCst)
    }

    /// The `x-amz-checksum-crc32` header of every `UploadPart` sent so far.
    pub fn part_crc32(&self) -> Vec<Option<String>> {
        self.part_crc32.lock().unwrap().clone()
    }

    /// `(key, upload id)` of every multipart upload created so far.
    pub fn uploads(&self) -> Vec<(String, String)> {
        self.uploads.lock().unwrap().clone()
    }
}

#[derive(Debug)]
pub struct SharedRecorder(Arc<Recorder>);

impl Intercept for SharedRecorder {
    fn name(&self) -> &'static str {
        "Recorder"
    }

    fn read_before_execution(
        &self,
        _context: &BeforeSerializationInterceptorContextRef<'_>,
        _cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let now = self.0.executing.fetch_add(1, Ordering::SeqCst) + 1;
        self.0.peak_executing.fetch_max(now, Ordering::SeqCst);
        Ok(())
    }

    fn read_before_transmit(
        &self,
        context: &BeforeTransmitInterceptorContextRef<'_>,
        _runtime_components: &RuntimeComponents,
        _cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        self.0.requests.fetch_add(1, Ordering::SeqCst);
        let request = context.request();
        if request.method() == "PUT"
            && request.uri().contains("partNumber=")
            && request.headers().get("x-amz-copy-source").is_none()
        {
            let header = request
                .headers()
                .get("x-amz-checksum-crc32")
                .map(str::to_owned);
            self.0.part_crc32.lock().unwrap().push(header);
        }
        Ok(())
    }

    fn read_after_execution(
        &self,
        context: &FinalizerInterceptorContextRef<'_>,
        _runtime_components: &RuntimeComponents,
        _cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        self.0.executing.fetch_sub(1, Ordering::SeqCst);
        if let Some(Ok(output)) = context.output_or_error() {
            if output.downcast_ref::<ListObjectsV2Output>().is_some() {
                self.0.list_pages.fetch_add(1, Ordering::SeqCst);
            }
            if output.downcast_ref::<HeadBucketOutput>().is_some() {
                self.0.head_buckets.fetch_add(1, Ordering::SeqCst);
            }
            if output.downcast_ref::<DeleteObjectsOutput>().is_some() {
                self.0.delete_objects.fetch_add(1, Ordering::SeqCst);
            }
            if output.downcast_ref::<DeleteObjectOutput>().is_some() {
                self.0.delete_object.fetch_add(1, Ordering::SeqCst);
            }
            if output.downcast_ref::<HeadObjectOutput>().is_some() {
                self.0.head_objects.fetch_add(1, Ordering::SeqCst);
            }
            if let Some(out) = output.downcast_ref::<CreateMultipartUploadOutput>() {
                self.0.uploads.lock().unwrap().push((
                    out.key().unwrap_or_default().to_owned(),
                    out.upload_id().unwrap_or_default().to_owned(),
                ));
            }
        }
        Ok(())
    }
}
