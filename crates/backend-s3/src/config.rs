//! [`S3Config`]: everything the S3 backend needs to know, deserialisable with serde.

use std::time::Duration;

use remote_store_core::{Error, RemotePath, Result, RetryPolicy, Secret};
use serde::{Deserialize, Serialize};

/// The smallest part S3 accepts in a multipart upload (except the last one).
pub const MIN_PART_SIZE: u64 = 5 * 1024 * 1024;
/// The largest part (and the largest single `PutObject`/`CopyObject`) S3 accepts.
pub const MAX_PART_SIZE: u64 = 5 * 1024 * 1024 * 1024;
/// The default part size: writes up to this size are one `PutObject`.
pub const DEFAULT_PART_SIZE: u64 = 8 * 1024 * 1024;
/// The default number of parts uploaded at once.
pub const DEFAULT_MAX_CONCURRENCY: usize = 4;
/// The largest page `ListObjectsV2` returns (and the default page size).
pub const MAX_LIST_PAGE_SIZE: u32 = 1000;

/// The default [`S3Config::retry`]: [`remote_store_core::timeouts::retry`] (3 attempts,
/// 100 ms doubling up to 5 s, no deadline), the shared default of S3 and Azure.
pub fn default_retry() -> RetryPolicy {
    remote_store_core::timeouts::retry()
}

/// Configuration of an S3 (or S3-compatible) backend.
///
/// Deserialises from any serde format; unknown keys are refused, missing keys take the
/// defaults below. Durations are a number of seconds or text such as `"500ms"`, `"30s"`,
/// `"2m"` (see [`remote_store_core::duration`]). The credentials are
/// [`Secret`]s: `Debug` shows `***`, and serialising writes their `${VAR}` reference or
/// fails, never the value.
///
/// ```
/// use remote_store_s3::S3Config;
///
/// let config = S3Config::new("my-bucket")
///     .prefix("team/reports")
///     .endpoint("http://127.0.0.1:9000")
///     .force_path_style(true)
///     .credentials("AKIDEXAMPLE", "very-secret");
/// assert!(!format!("{config:?}").contains("very-secret"));
///
/// let from_file: S3Config = serde_json::from_str(r#"{
///     "bucket": "my-bucket",
///     "endpoint": "http://127.0.0.1:9000",
///     "connect_timeout": "2s",
///     "retry": { "max_attempts": 1 }
/// }"#).unwrap();
/// assert_eq!(from_file.connect_timeout, std::time::Duration::from_secs(2));
/// assert_eq!(from_file.retry.max_attempts, 1);
/// ```
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
#[non_exhaustive]
pub struct S3Config {
    /// The bucket (required).
    pub bucket: String,
    /// A key prefix inside the bucket that acts as the backend's root (`""`: the bucket).
    /// Normalised like a path; no key outside it is ever built.
    pub prefix: String,
    /// The signing region. Default: `AWS_REGION`, then `AWS_DEFAULT_REGION`, then
    /// `us-east-1`. (The region in a profile file is not consulted: set it here.)
    pub region: Option<String>,
    /// An S3-compatible endpoint such as `http://127.0.0.1:9000` (MinIO, Ceph, R2, ...).
    /// Default: AWS's endpoint for the region.
    pub endpoint: Option<String>,
    /// Address buckets as `endpoint/bucket/key` instead of `bucket.endpoint/key`; most
    /// S3-compatible servers need this.
    pub force_path_style: bool,
    /// Static access key id; without it the default AWS credential chain is used.
    pub access_key_id: Option<String>,
    /// Static secret access key.
    pub secret_access_key: Option<Secret>,
    /// Session token for temporary static credentials.
    pub session_token: Option<Secret>,
    /// A profile of `~/.aws/config` / `~/.aws/credentials` for the default chain.
    pub profile: Option<String>,
    /// Writes up to this many bytes are one `PutObject`; larger or longer streamed writes
    /// are multipart uploads with parts of this size. 5 MiB ..= 5 GiB; default 8 MiB.
    pub part_size: u64,
    /// Parts of one multipart upload in flight at once (≥ 1, default 4). A streamed
    /// write buffers at most `part_size × (max_concurrency + 1)` bytes.
    pub max_concurrency: usize,
    /// Keys asked for per `ListObjectsV2` page (1 ..= 1000, default 1000).
    pub list_page_size: u32,
    /// How a failed request is retried, by the SDK's standard retry strategy (throttling,
    /// 5xx and transport errors; exponential backoff with the SDK's own full jitter):
    /// `max_attempts` → `RetryConfig::max_attempts` (the first attempt included),
    /// `initial_backoff` → `initial_backoff`, `max_backoff` → `max_backoff`, `deadline` →
    /// the SDK's operation timeout (one call, its retries and waits included); `jitter` is
    /// not configurable in the SDK and is ignored. Default [`default_retry`]: 3 attempts,
    /// 100 ms doubling. See `docs/retries.md`.
    pub retry: RetryPolicy,
    /// Establishing a connection (TCP and TLS). Default 5 s.
    #[serde(with = "remote_store_core::duration")]
    pub connect_timeout: Duration,
    /// The longest silence while a request is sent and its response awaited: no chunk of
    /// the body taken by the connection and no response head. An idle timeout, never a
    /// total deadline: a slow upload that keeps moving does not time out. It starts when
    /// the request is sent (not while it queues for `max_in_flight_requests`). Default 8 s;
    /// a timed-out attempt is retried (`retry`).
    #[serde(with = "remote_store_core::duration")]
    pub request_timeout: Duration,
    /// The longest silence between two chunks of a response body while it is read.
    /// Default 15 s.
    #[serde(with = "remote_store_core::duration")]
    pub read_timeout: Duration,
    /// Requests of this backend awaiting their response at the same time (≥ 1, default
    /// 64); more concurrent calls queue, without their timeouts running. Response bodies
    /// being read do not count.
    pub max_in_flight_requests: usize,
    /// Refuse writes below an existing file (`a.txt/b`) by checking every ancestor key
    /// (one `HeadObject` each). Off by default: S3 has no such rule.
    pub check_ancestor_files: bool,
    /// Refuse writes, copies and moves onto a folder (`a/b` while `a/b/x` exists) with
    /// `InvalidPath`, by listing one key under the target before writing. Default `true`:
    /// the contract's rule that a path is never a file and a folder at once, and the
    /// backend declares `folder_file_exclusion`. `false` is the flat-namespace mode for key
    /// spaces that never collide: one request per small write, no such check, and a write
    /// onto a folder creates an object next to the prefix (see ADR 0014).
    pub check_folder_targets: bool,
    /// The server itself refuses to store a key that is also a folder: `a/b` while `a/b/x`
    /// exists, and `a/b/x` while the object `a/b` exists. Servers that keep each object
    /// as a plain file on a filesystem do (s3s-fs, MinIO's retired filesystem mode); AWS
    /// S3, Ceph, moto and current MinIO (which calls such keys undefined) do not. With
    /// `true` (and `check_folder_targets`, which stays on), writes, copies and moves skip
    /// the listing before they send: the server's refusal keeps the contract's rule, and a
    /// write, copy or move that fails is then checked with one listing and reported as
    /// `InvalidPath` when its target is a folder. The backend still declares
    /// `folder_file_exclusion`. Default `false`; on a server that does not refuse such keys
    /// this setting would let a write make a path a file and a folder (see ADR 0016).
    pub server_refuses_folder_targets: bool,
    /// The server honours `If-None-Match: *` on `PutObject` and
    /// `CompleteMultipartUpload` (AWS S3 does since 2024): overwrite=false is then enforced
    /// by the service, and the backend declares `conditional_create`. Set to `false` for
    /// servers that ignore the header: overwrite=false then checks with `HeadObject` before
    /// writing, which is racy.
    pub conditional_create: bool,
    /// The server enforces `If-Match: <etag>` on `PutObject` and `CompleteMultipartUpload`
    /// atomically (AWS S3 does since 2024): a write's `WriteOptions::if_match` is then sent
    /// to the service and the backend declares `conditional_write`. Set to `false` for
    /// servers that ignore the header or check it racily: the store then compares the etag
    /// with a `HeadObject` just before writing.
    pub conditional_write: bool,
    /// The server honours `If-Match`, `If-None-Match`, `If-Modified-Since` and
    /// `If-Unmodified-Since` on `GetObject` (AWS S3 and moto do): `read_with` conditions are
    /// then evaluated by the service with the read, and the backend declares
    /// `conditional_read`. Set to `false` for servers that ignore them (s3s-fs 0.14): the
    /// backend then checks a `HeadObject` before reading.
    pub conditional_read: bool,
    /// The server enforces `If-None-Match: *` on `CopyObject` (the SDK's API has it; s3s-fs
    /// 0.14 ignores it): a copy or move with overwrite=false then carries it, and with
    /// `conditional_create` the backend declares `conditional_copy`. Default `false`:
    /// overwrite=false copies check the destination with `HeadObject` first, which is racy.
    pub conditional_copy: bool,
    /// The server computes the checksum named by `x-amz-checksum-algorithm` and returns it
    /// (`ChecksumCRC32C`, `ChecksumSHA256`, `ChecksumCRC64NVME`; AWS S3 does): the backend
    /// then declares `digest_crc32c`, `digest_sha256` and `digest_crc64nvme`, a write asking
    /// for `WriteOptions::checksum` gets the service's value in `WriteResult.digest`, and
    /// `get_file_info` asks `HeadObject` for the stored checksum (checksum mode) and reports
    /// it in `FileInfo.digest`. Default
    /// `true`; set to `false` for S3-compatible servers that ignore the header (a write
    /// asking for a checksum is then refused with `CapabilityNotSupported`).
    pub service_checksums: bool,
    /// Sign request bodies (SHA-256 of every payload, the SDK's default). Turning it off
    /// sends `UNSIGNED-PAYLOAD`: less CPU per byte, safe over TLS (whose integrity checks
    /// cover the body), and what most other S3 clients do.
    pub sign_payload: bool,
    /// When the SDK adds integrity checksums of its own: `"when_supported"` (the SDK's
    /// default and this one) computes a CRC32 of every request body of an operation that
    /// accepts a checksum (`PutObject`, `UploadPart`) and validates the checksum a GET's
    /// response carries; `"when_required"` does so only for operations that require one
    /// (such as `DeleteObjects`). A checksum a write asks for with
    /// `WriteOptions::checksum` is computed either way. See [`Checksums`] for what
    /// `when_required` gives up.
    pub checksums: Checksums,
    /// Create the bucket, if it does not exist, before the backend's first write (opt-in;
    /// default false). Until then, reads and listings report the missing bucket as always
    /// (`NotFound`). Needs the `s3:CreateBucket` permission; outside `us-east-1` the bucket
    /// is created in the configured region.
    pub create_if_missing: bool,
}

impl S3Config {
    /// A configuration for `bucket` with every default.
    pub fn new(bucket: impl Into<String>) -> Self {
        S3Config {
            bucket: bucket.into(),
            ..Self::default()
        }
    }

    /// Sets [`prefix`](Self::prefix).
    pub fn prefix(mut self, prefix: impl Into<String>) -> Self {
        self.prefix = prefix.into();
        self
    }

    /// Sets [`region`](Self::region).
    pub fn region(mut self, region: impl Into<String>) -> Self {
        self.region = Some(region.into());
        self
    }

    /// Sets [`endpoint`](Self::endpoint).
    pub fn endpoint(mut self, url: impl Into<String>) -> Self {
        self.endpoint = Some(url.into());
        self
    }

    /// Sets [`force_path_style`](Self::force_path_style).
    pub fn force_path_style(mut self, yes: bool) -> Self {
        self.force_path_style = yes;
        self
    }

    /// Sets static credentials.
    pub fn credentials(
        mut self,
        access_key_id: impl Into<String>,
        secret_access_key: impl Into<Secret>,
    ) -> Self {
        self.access_key_id = Some(access_key_id.into());
        self.secret_access_key = Some(secret_access_key.into());
        self
    }

    /// Sets [`session_token`](Self::session_token).
    pub fn session_token(mut self, token: impl Into<Secret>) -> Self {
        self.session_token = Some(token.into());
        self
    }

    /// Sets [`profile`](Self::profile).
    pub fn profile(mut self, profile: impl Into<String>) -> Self {
        self.profile = Some(profile.into());
        self
    }

    /// Sets [`part_size`](Self::part_size).
    pub fn part_size(mut self, bytes: u64) -> Self {
        self.part_size = bytes;
        self
    }

    /// Sets [`max_concurrency`](Self::max_concurrency).
    pub fn max_concurrency(mut self, parts: usize) -> Self {
        self.max_concurrency = parts;
        self
    }

    /// Sets [`list_page_size`](Self::list_page_size).
    pub fn list_page_size(mut self, keys: u32) -> Self {
        self.list_page_size = keys;
        self
    }

    /// Sets [`retry`](Self::retry).
    pub fn retry(mut self, policy: RetryPolicy) -> Self {
        self.retry = policy;
        self
    }

    /// Sets [`connect_timeout`](Self::connect_timeout).
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout;
        self
    }

    /// Sets [`request_timeout`](Self::request_timeout).
    pub fn request_timeout(mut self, timeout: Duration) -> Self {
        self.request_timeout = timeout;
        self
    }

    /// Sets [`read_timeout`](Self::read_timeout).
    pub fn read_timeout(mut self, timeout: Duration) -> Self {
        self.read_timeout = timeout;
        self
    }

    /// Sets [`max_in_flight_requests`](Self::max_in_flight_requests).
    pub fn max_in_flight_requests(mut self, requests: usize) -> Self {
        self.max_in_flight_requests = requests;
        self
    }

    /// Sets [`check_ancestor_files`](Self::check_ancestor_files).
    pub fn check_ancestor_files(mut self, yes: bool) -> Self {
        self.check_ancestor_files = yes;
        self
    }

    /// Sets [`check_folder_targets`](Self::check_folder_targets); `false` is the
    /// flat-namespace mode.
    pub fn check_folder_targets(mut self, yes: bool) -> Self {
        self.check_folder_targets = yes;
        self
    }

    /// Sets [`server_refuses_folder_targets`](Self::server_refuses_folder_targets): only for
    /// servers that keep each object as a plain file (s3s-fs).
    pub fn server_refuses_folder_targets(mut self, yes: bool) -> Self {
        self.server_refuses_folder_targets = yes;
        self
    }

    /// Sets [`conditional_create`](Self::conditional_create).
    pub fn conditional_create(mut self, yes: bool) -> Self {
        self.conditional_create = yes;
        self
    }

    /// Sets [`conditional_write`](Self::conditional_write).
    pub fn conditional_write(mut self, yes: bool) -> Self {
        self.conditional_write = yes;
        self
    }

    /// Sets [`conditional_read`](Self::conditional_read).
    pub fn conditional_read(mut self, yes: bool) -> Self {
        self.conditional_read = yes;
        self
    }

    /// Sets [`conditional_copy`](Self::conditional_copy).
    pub fn conditional_copy(mut self, yes: bool) -> Self {
        self.conditional_copy = yes;
        self
    }

    /// Sets [`service_checksums`](Self::service_checksums).
    pub fn service_checksums(mut self, yes: bool) -> Self {
        self.service_checksums = yes;
        self
    }

    /// Sets [`sign_payload`](Self::sign_payload).
    pub fn sign_payload(mut self, yes: bool) -> Self {
        self.sign_payload = yes;
        self
    }

    /// Sets [`checksums`](Self::checksums).
    pub fn checksums(mut self, when: Checksums) -> Self {
        self.checksums = when;
        self
    }

    /// Sets [`create_if_missing`](Self::create_if_missing).
    pub fn create_if_missing(mut self, yes: bool) -> Self {
        self.create_if_missing = yes;
        self
    }

    /// Checks the values and returns the normalised prefix. Backends call it at
    /// construction; a config loader can call it to fail early, without connecting.
    ///
    /// # Errors
    /// `InvalidArgument` naming the offending field.
    pub fn validate(&self) -> Result<RemotePath> {
        let bad = |field: &str, why: &str| {
            Err(Error::invalid_argument(format!("S3Config.{field}: {why}")).with_backend("s3"))
        };
        if self.bucket.is_empty() {
            return bad("bucket", "must not be empty");
        }
        if self.bucket.contains('/') {
            return bad("bucket", "must not contain '/'");
        }
        let prefix = RemotePath::new(&self.prefix).map_err(|e| {
            Error::invalid_argument(format!("S3Config.prefix: {e}")).with_backend("s3")
        })?;
        if !(MIN_PART_SIZE..=MAX_PART_SIZE).contains(&self.part_size) {
            return bad("part_size", "must be between 5 MiB and 5 GiB");
        }
        if self.max_concurrency == 0 {
            return bad("max_concurrency", "must be at least 1");
        }
        if self.max_in_flight_requests == 0 {
            return bad("max_in_flight_requests", "must be at least 1");
        }
        if !(1..=MAX_LIST_PAGE_SIZE).contains(&self.list_page_size) {
            return bad("list_page_size", "must be between 1 and 1000");
        }
        if let Some(url) = &self.endpoint {
            check_endpoint(url).map_err(|why| {
                let url = without_userinfo(url);
                Error::invalid_argument(format!(
                    "S3Config.endpoint {url:?} is not a valid endpoint: {why}; expected \
                     http:// or https:// followed by a host and an optional :port, such as \
                     http://127.0.0.1:9000"
                ))
                .with_backend("s3")
            })?;
        }
        // An empty value (`${AWS_ACCESS_KEY_ID:-}`, a variable set to "") would be sent as
        // a static credential and skip the default chain: every request would then be
        // refused with a 403 that names nothing.
        let empty = [
            ("access_key_id", self.access_key_id.as_deref()),
            (
                "secret_access_key",
                self.secret_access_key.as_ref().map(Secret::expose),
            ),
            (
                "session_token",
                self.session_token.as_ref().map(Secret::expose),
            ),
        ];
        if let Some((field, _)) = empty.iter().find(|(_, v)| v.is_some_and(str::is_empty)) {
            return bad(
                field,
                "is empty; give a value, or leave access_key_id, secret_access_key and \
                 session_token out to use the default credential chain",
            );
        }
        if self.access_key_id.is_some() != self.secret_access_key.is_some() {
            return bad(
                "access_key_id",
                "access_key_id and secret_access_key go together",
            );
        }
        if self.session_token.is_some() && self.access_key_id.is_none() {
            return bad("session_token", "needs access_key_id and secret_access_key");
        }
        if self.server_refuses_folder_targets && !self.check_folder_targets {
            return bad(
                "server_refuses_folder_targets",
                "contradicts check_folder_targets = false (the flat-namespace mode keeps no \
                 folder rule for the server to enforce); drop one of the two",
            );
        }
        self.retry.validate().map_err(|e| {
            Error::invalid_argument(format!("S3Config.{}", e.message().unwrap_or("retry")))
                .with_backend("s3")
        })?;
        for (field, d) in [
            ("connect_timeout", self.connect_timeout),
            ("request_timeout", self.request_timeout),
            ("read_timeout", self.read_timeout),
        ] {
            if d.is_zero() {
                return bad(field, "must be positive");
            }
        }
        Ok(prefix)
    }
}

/// Why `url` cannot be an S3 endpoint, if it cannot: it needs the scheme `http` or `https`,
/// a host, and at most a numeric port; a path is allowed (some gateways live below one).
/// Checked at construction so that a typo fails with the endpoint named, not later as a
/// retryable "the request could not be sent".
/// `url` as an error may show it: a `user:password@` before the host (refused, but it
/// may hold a credential) becomes `***@`.
fn without_userinfo(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    // Up to the last `@` anywhere: a secret may hold `/`, `?` or `#` itself, so where the
    // host part ends cannot be trusted here. Masking a path's `@` too costs nothing.
    match rest.rfind('@') {
        Some(at) => format!("{scheme}://***{}", &rest[at..]),
        None => url.to_owned(),
    }
}

fn check_endpoint(url: &str) -> std::result::Result<(), &'static str> {
    if url.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err("it contains spaces or control characters");
    }
    let Some((scheme, rest)) = url.split_once("://") else {
        return Err("it has no scheme");
    };
    if !scheme.eq_ignore_ascii_case("http") && !scheme.eq_ignore_ascii_case("https") {
        return Err("the scheme must be http or https");
    }
    let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
    if authority.contains('@') {
        return Err("credentials belong in S3Config.credentials, not in the URL");
    }
    // `[::1]:9000`: the port follows the closing bracket of an IPv6 host.
    let (host, port) = match authority.strip_prefix('[') {
        Some(v6) => match v6.split_once(']') {
            Some((host, after)) => (host, after.strip_prefix(':')),
            None => return Err("an IPv6 host needs its closing ']'"),
        },
        None => match authority.rsplit_once(':') {
            Some((host, port)) => (host, Some(port)),
            None => (authority, None),
        },
    };
    if host.is_empty() {
        return Err("it has no host");
    }
    if let Some(port) = port
        && port.parse::<u16>().map_or(true, |p| p == 0)
    {
        return Err("the port must be a number from 1 to 65535");
    }
    Ok(())
}

impl Default for S3Config {
    fn default() -> Self {
        S3Config {
            bucket: String::new(),
            prefix: String::new(),
            region: None,
            endpoint: None,
            force_path_style: false,
            access_key_id: None,
            secret_access_key: None,
            session_token: None,
            profile: None,
            part_size: DEFAULT_PART_SIZE,
            max_concurrency: DEFAULT_MAX_CONCURRENCY,
            list_page_size: MAX_LIST_PAGE_SIZE,
            retry: default_retry(),
            connect_timeout: remote_store_core::timeouts::CONNECT,
            request_timeout: remote_store_core::timeouts::REQUEST,
            read_timeout: remote_store_core::timeouts::READ,
            max_in_flight_requests: remote_store_core::timeouts::MAX_IN_FLIGHT_REQUESTS,
            check_ancestor_files: false,
            check_folder_targets: true,
            server_refuses_folder_targets: false,
            conditional_create: true,
            conditional_write: true,
            conditional_read: true,
            conditional_copy: false,
            service_checksums: true,
            sign_payload: true,
            checksums: Checksums::WhenSupported,
            create_if_missing: false,
        }
    }
}

/// When the SDK computes request checksums and validates response checksums
/// ([`S3Config::checksums`]).
///
/// `WhenRequired` saves the CRC32 of every uploaded byte and of every downloaded object
/// that carries a checksum (measured in `docs/backends/s3.md`). What it gives up: an
/// end-to-end check, from the client's memory to the stored object, that TLS and
/// SigV4's signed payload hash (`sign_payload`) only partly replace — TLS covers the
/// wire, not a corrupting proxy that terminates it; an unsigned payload over plain HTTP
/// is then covered by TCP's checksum only.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Checksums {
    /// The SDK's default: a CRC32 on every operation that supports one.
    #[default]
    WhenSupported,
    /// Only on operations that require a checksum.
    WhenRequired,
}

impl std::str::FromStr for Checksums {
    type Err = Error;

    /// `when_supported` or `when_required` (as in a config file).
    fn from_str(s: &str) -> Result<Self> {
        match s {
            "when_supported" => Ok(Checksums::WhenSupported),
            "when_required" => Ok(Checksums::WhenRequired),
            other => Err(Error::invalid_argument(format!(
                "S3Config.checksums: {other:?} is neither \"when_supported\" nor \"when_required\""
            ))
            .with_backend("s3")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_redacts_secrets() {
        let c = S3Config::new("b")
            .credentials("AKID", "s3cr3t-value")
            .session_token("t0ken-value");
        let shown = format!("{c:?}");
        assert!(!shown.contains("s3cr3t-value"));
        assert!(!shown.contains("t0ken-value"));
        assert!(shown.contains("***"));
        assert!(shown.contains("AKID"));
    }

    #[test]
    fn deserialises_with_defaults_and_refuses_unknown_keys() {
        let c: S3Config = serde_json::from_str(
            r#"{"bucket":"b","prefix":"x/y","force_path_style":true,
                "connect_timeout":1.5,"request_timeout":"2s","read_timeout":"2m",
                "retry":{"max_attempts":1,"max_backoff":"2s"}}"#,
        )
        .unwrap();
        assert_eq!(c.bucket, "b");
        assert_eq!(c.part_size, DEFAULT_PART_SIZE);
        assert_eq!(c.connect_timeout, Duration::from_millis(1500));
        assert_eq!(c.request_timeout, Duration::from_secs(2));
        assert_eq!(c.read_timeout, Duration::from_secs(120));
        assert_eq!(c.retry.max_attempts, 1);
        assert_eq!(c.retry.max_backoff, Duration::from_secs(2));
        assert_eq!(
            c.retry.initial_backoff,
            Duration::from_millis(100),
            "unset retry keys keep RetryPolicy's defaults"
        );
        assert_eq!(S3Config::default().retry, default_retry());
        assert_eq!(S3Config::default().retry.max_attempts, 3);
        let json = serde_json::to_string(&S3Config::new("b")).unwrap();
        assert!(
            json.contains(r#""retry":{"max_attempts":3,"initial_backoff":"100ms""#),
            "{json}"
        );
        // The pre-RetryPolicy keys are gone (one vocabulary), and say so.
        for old in [
            r#"{"bucket":"b","max_retries":0}"#,
            r#"{"bucket":"b","initial_backoff":"1s"}"#,
        ] {
            let err = serde_json::from_str::<S3Config>(old).err().unwrap();
            assert!(err.to_string().contains("unknown field"), "{err}");
        }
        assert_eq!(c.validate().unwrap().as_str(), "x/y");
        assert!(!c.create_if_missing, "opt-in");
        assert_eq!(c.checksums, Checksums::WhenSupported, "the SDK's default");
        let c: S3Config =
            serde_json::from_str(r#"{"bucket":"b","checksums":"when_required"}"#).unwrap();
        assert_eq!(c.checksums, Checksums::WhenRequired);
        assert_eq!(
            "when_required".parse::<Checksums>().unwrap(),
            Checksums::WhenRequired
        );
        assert!("sometimes".parse::<Checksums>().is_err());
        let c: S3Config =
            serde_json::from_str(r#"{"bucket":"b","create_if_missing":true}"#).unwrap();
        assert!(c.create_if_missing);
        assert!(S3Config::new("b").create_if_missing(true).create_if_missing);
        let err = serde_json::from_str::<S3Config>(r#"{"bucket":"b","secret":"x"}"#)
            .err()
            .unwrap();
        assert!(err.to_string().contains("secret"), "{err}");
    }

    #[test]
    fn server_refusal_needs_the_folder_rule() {
        let c: S3Config =
            serde_json::from_str(r#"{"bucket":"b","server_refuses_folder_targets":true}"#).unwrap();
        assert!(c.server_refuses_folder_targets && c.check_folder_targets);
        assert!(c.validate().is_ok());
        assert!(!S3Config::default().server_refuses_folder_targets, "opt-in");
        let err = S3Config::new("b")
            .server_refuses_folder_targets(true)
            .check_folder_targets(false)
            .validate()
            .unwrap_err();
        assert_eq!(err.kind(), remote_store_core::ErrorKind::InvalidArgument);
        let text = err.to_string();
        assert!(
            text.contains("server_refuses_folder_targets") && text.contains("check_folder_targets"),
            "{text}"
        );
    }

    #[test]
    fn invalid_endpoints_are_refused_naming_them() {
        for bad in [
            "not a url",
            "ftp://x",
            "http://",
            "https://:9000",
            "localhost:9000",
            "http://host:port",
            "http://host:0",
            "http://host:70000",
            "http://[::1",
            "http://user:pw@host",
            "http://user:pw/x?y#z@host",
            "http://host name",
            "",
        ] {
            let e = S3Config::new("b").endpoint(bad).validate().unwrap_err();
            assert_eq!(e.kind(), remote_store_core::ErrorKind::InvalidArgument);
            let text = e.to_string();
            let shown = bad
                .replace("user:pw/x?y#z", "***")
                .replace("user:pw", "***");
            assert!(
                text.contains(&format!("{shown:?}")),
                "names the endpoint: {text}"
            );
            assert!(!text.contains("pw@"), "no credential shown: {text}");
            assert!(
                text.contains("http:// or https://"),
                "says what is expected: {text}"
            );
        }
        for good in [
            "http://127.0.0.1:9000",
            "https://s3.example.com",
            "HTTP://minio:9000/",
            "http://[::1]:9000",
            "http://[::1]",
            "https://gateway.example.com/s3",
        ] {
            let checked = S3Config::new("b").endpoint(good).validate();
            assert!(checked.is_ok(), "{good}: {checked:?}");
        }
    }

    #[test]
    fn validation_names_the_field() {
        for (config, field) in [
            (S3Config::new(""), "bucket"),
            (S3Config::new("b").part_size(1024), "part_size"),
            (S3Config::new("b").max_concurrency(0), "max_concurrency"),
            (S3Config::new("b").list_page_size(1001), "list_page_size"),
            (S3Config::new("b").prefix("../x"), "prefix"),
            (
                S3Config::new("b").request_timeout(Duration::ZERO),
                "request_timeout",
            ),
            (S3Config::new("b").endpoint("not a url"), "endpoint"),
            (
                S3Config::new("b").credentials("", "s"),
                "access_key_id: is empty",
            ),
            (
                S3Config::new("b").credentials("a", ""),
                "secret_access_key: is empty",
            ),
            (
                S3Config::new("b").credentials("a", "s").session_token(""),
                "session_token: is empty",
            ),
            (
                S3Config::new("b").retry(
                    RetryPolicy::new()
                        .initial_backoff(Duration::from_secs(9))
                        .max_backoff(Duration::from_secs(1)),
                ),
                "retry initial_backoff",
            ),
        ] {
            let e = config.validate().unwrap_err();
            assert_eq!(e.kind(), remote_store_core::ErrorKind::InvalidArgument);
            assert!(e.to_string().contains(field), "{e}");
        }
    }
}
