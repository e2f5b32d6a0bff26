//! [`S3Config`]: everything the S3 backend needs to know, deserialisable with serde.

use std::fmt;
use std::time::Duration;

use remote_store_core::{Error, RemotePath, Result};
use serde::Deserialize;

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

/// Configuration of an S3 (or S3-compatible) backend.
///
/// Deserialises from any serde format; unknown keys are refused, missing keys take the
/// defaults below. Durations are given in seconds (fractions allowed). `Debug` never shows
/// `secret_access_key` or `session_token`.
///
/// ```
/// use remote_store_s3::S3Config;
///
/// let config = S3Config::new("my-bucket")
///     .prefix("team/reports")
///     .endpoint_url("http://127.0.0.1:9000")
///     .force_path_style(true)
///     .credentials("AKIDEXAMPLE", "very-secret");
/// assert!(!format!("{config:?}").contains("very-secret"));
/// ```
#[derive(Clone, Deserialize)]
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
    pub endpoint_url: Option<String>,
    /// Address buckets as `endpoint/bucket/key` instead of `bucket.endpoint/key`; most
    /// S3-compatible servers need this.
    pub force_path_style: bool,
    /// Static access key id; without it the default AWS credential chain is used.
    pub access_key_id: Option<String>,
    /// Static secret access key (never shown by `Debug`).
    pub secret_access_key: Option<String>,
    /// Session token for temporary static credentials (never shown by `Debug`).
    pub session_token: Option<String>,
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
    /// Retries of the SDK.
    pub retry: RetrySettings,
    /// Connect, request and idle-read timeouts.
    pub timeouts: Timeouts,
    /// Refuse writes below an existing file (`a.txt/b`) by checking every ancestor key
    /// (one `HeadObject` each). Off by default: S3 has no such rule.
    pub check_ancestor_files: bool,
    /// The server honours `If-None-Match: *` on `PutObject` and
    /// `CompleteMultipartUpload` (AWS S3 does since 2024): overwrite=false is then enforced
    /// by the service, and the backend declares `conditional_create`. Set to `false` for
    /// servers that ignore the header: overwrite=false then checks with `HeadObject` before
    /// writing, which is racy.
    pub conditional_create: bool,
    /// Sign request bodies (SHA-256 of every payload, the SDK's default). Turning it off
    /// sends `UNSIGNED-PAYLOAD`: less CPU per byte, safe over TLS (whose integrity checks
    /// cover the body), and what most other S3 clients do.
    pub sign_payload: bool,
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

    /// Sets [`endpoint_url`](Self::endpoint_url).
    pub fn endpoint_url(mut self, url: impl Into<String>) -> Self {
        self.endpoint_url = Some(url.into());
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
        secret_access_key: impl Into<String>,
    ) -> Self {
        self.access_key_id = Some(access_key_id.into());
        self.secret_access_key = Some(secret_access_key.into());
        self
    }

    /// Sets [`session_token`](Self::session_token).
    pub fn session_token(mut self, token: impl Into<String>) -> Self {
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
    pub fn retry(mut self, retry: RetrySettings) -> Self {
        self.retry = retry;
        self
    }

    /// Sets [`timeouts`](Self::timeouts).
    pub fn timeouts(mut self, timeouts: Timeouts) -> Self {
        self.timeouts = timeouts;
        self
    }

    /// Sets [`check_ancestor_files`](Self::check_ancestor_files).
    pub fn check_ancestor_files(mut self, yes: bool) -> Self {
        self.check_ancestor_files = yes;
        self
    }

    /// Sets [`conditional_create`](Self::conditional_create).
    pub fn conditional_create(mut self, yes: bool) -> Self {
        self.conditional_create = yes;
        self
    }

    /// Sets [`sign_payload`](Self::sign_payload).
    pub fn sign_payload(mut self, yes: bool) -> Self {
        self.sign_payload = yes;
        self
    }

    /// Checks the values and returns the normalised prefix.
    ///
    /// # Errors
    /// `InvalidArgument` naming the offending field.
    pub(crate) fn validate(&self) -> Result<RemotePath> {
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
        if !(1..=MAX_LIST_PAGE_SIZE).contains(&self.list_page_size) {
            return bad("list_page_size", "must be between 1 and 1000");
        }
        if let Some(url) = &self.endpoint_url {
            check_endpoint(url).map_err(|why| {
                Error::invalid_argument(format!(
                    "S3Config.endpoint_url {url:?} is not a valid endpoint: {why}; expected \
                     http:// or https:// followed by a host and an optional :port, such as \
                     http://127.0.0.1:9000"
                ))
                .with_backend("s3")
            })?;
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
        if self.retry.max_attempts == 0 {
            return bad("retry.max_attempts", "must be at least 1");
        }
        for (field, d) in [
            ("timeouts.connect", self.timeouts.connect),
            ("timeouts.request", self.timeouts.request),
            ("timeouts.read", self.timeouts.read),
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
            endpoint_url: None,
            force_path_style: false,
            access_key_id: None,
            secret_access_key: None,
            session_token: None,
            profile: None,
            part_size: DEFAULT_PART_SIZE,
            max_concurrency: DEFAULT_MAX_CONCURRENCY,
            list_page_size: MAX_LIST_PAGE_SIZE,
            retry: RetrySettings::default(),
            timeouts: Timeouts::default(),
            check_ancestor_files: false,
            conditional_create: true,
            sign_payload: true,
        }
    }
}

impl fmt::Debug for S3Config {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let redacted = |s: &Option<String>| s.as_ref().map(|_| "<redacted>");
        f.debug_struct("S3Config")
            .field("bucket", &self.bucket)
            .field("prefix", &self.prefix)
            .field("region", &self.region)
            .field("endpoint_url", &self.endpoint_url)
            .field("force_path_style", &self.force_path_style)
            .field("access_key_id", &self.access_key_id)
            .field("secret_access_key", &redacted(&self.secret_access_key))
            .field("session_token", &redacted(&self.session_token))
            .field("profile", &self.profile)
            .field("part_size", &self.part_size)
            .field("max_concurrency", &self.max_concurrency)
            .field("list_page_size", &self.list_page_size)
            .field("retry", &self.retry)
            .field("timeouts", &self.timeouts)
            .field("check_ancestor_files", &self.check_ancestor_files)
            .field("conditional_create", &self.conditional_create)
            .field("sign_payload", &self.sign_payload)
            .finish()
    }
}

/// Retry behaviour: the SDK's standard strategy (exponential backoff with jitter, retrying
/// throttling, 5xx and transport errors).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
#[non_exhaustive]
pub struct RetrySettings {
    /// Attempts per request including the first (1 = no retries). Default 3.
    pub max_attempts: u32,
    /// The first backoff; later ones grow exponentially. Default 0.1 s.
    #[serde(with = "secs")]
    pub initial_backoff: Duration,
}

impl RetrySettings {
    /// No retries: every request is tried once.
    pub fn none() -> Self {
        RetrySettings {
            max_attempts: 1,
            ..Self::default()
        }
    }

    /// Sets [`max_attempts`](Self::max_attempts).
    pub fn max_attempts(mut self, attempts: u32) -> Self {
        self.max_attempts = attempts;
        self
    }
}

impl Default for RetrySettings {
    fn default() -> Self {
        RetrySettings {
            max_attempts: 3,
            initial_backoff: Duration::from_millis(100),
        }
    }
}

/// Timeouts, so that no call can hang forever.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
#[non_exhaustive]
pub struct Timeouts {
    /// Establishing a connection (TCP and TLS). Default 10 s.
    #[serde(with = "secs")]
    pub connect: Duration,
    /// One attempt of one request, from sending it until the response head arrived —
    /// for uploads that includes sending the whole body (one part). Default 120 s.
    #[serde(with = "secs")]
    pub request: Duration,
    /// The longest wait for the next chunk of a streamed response body (reads).
    /// Default 60 s.
    #[serde(with = "secs")]
    pub read: Duration,
}

impl Timeouts {
    /// Sets all three timeouts to `d`.
    pub fn all(d: Duration) -> Self {
        Timeouts {
            connect: d,
            request: d,
            read: d,
        }
    }

    /// Sets [`connect`](Self::connect).
    pub fn connect(mut self, d: Duration) -> Self {
        self.connect = d;
        self
    }

    /// Sets [`request`](Self::request).
    pub fn request(mut self, d: Duration) -> Self {
        self.request = d;
        self
    }

    /// Sets [`read`](Self::read).
    pub fn read(mut self, d: Duration) -> Self {
        self.read = d;
        self
    }
}

impl Default for Timeouts {
    fn default() -> Self {
        Timeouts {
            connect: Duration::from_secs(10),
            request: Duration::from_secs(120),
            read: Duration::from_secs(60),
        }
    }
}

/// Durations as a number of seconds.
mod secs {
    use std::time::Duration;

    use serde::{Deserialize, Deserializer};

    pub(super) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Duration, D::Error> {
        let secs = f64::deserialize(d)?;
        Duration::try_from_secs_f64(secs).map_err(serde::de::Error::custom)
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
        assert!(shown.contains("<redacted>"));
        assert!(shown.contains("AKID"));
    }

    #[test]
    fn deserialises_with_defaults_and_refuses_unknown_keys() {
        let c: S3Config = serde_json::from_str(
            r#"{"bucket":"b","prefix":"x/y","force_path_style":true,
                "timeouts":{"connect":1.5},"retry":{"max_attempts":1}}"#,
        )
        .unwrap();
        assert_eq!(c.bucket, "b");
        assert_eq!(c.part_size, DEFAULT_PART_SIZE);
        assert_eq!(c.timeouts.connect, Duration::from_millis(1500));
        assert_eq!(c.timeouts.read, Timeouts::default().read);
        assert_eq!(c.retry.max_attempts, 1);
        assert_eq!(c.validate().unwrap().as_str(), "x/y");
        let err = serde_json::from_str::<S3Config>(r#"{"bucket":"b","secret":"x"}"#)
            .err()
            .unwrap();
        assert!(err.to_string().contains("secret"), "{err}");
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
            "http://host name",
            "",
        ] {
            let e = S3Config::new("b").endpoint_url(bad).validate().unwrap_err();
            assert_eq!(e.kind(), remote_store_core::ErrorKind::InvalidArgument);
            let text = e.to_string();
            assert!(
                text.contains(&format!("{bad:?}")),
                "names the endpoint: {text}"
            );
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
            let checked = S3Config::new("b").endpoint_url(good).validate();
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
            (S3Config::new("b").endpoint_url("not a url"), "endpoint_url"),
        ] {
            let e = config.validate().unwrap_err();
            assert_eq!(e.kind(), remote_store_core::ErrorKind::InvalidArgument);
            assert!(e.to_string().contains(field), "{e}");
        }
    }
}
