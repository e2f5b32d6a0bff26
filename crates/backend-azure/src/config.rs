//! [`AzureConfig`]: where the container is, how to authenticate, and transfer tuning.

use std::fmt;
use std::time::Duration;

use remote_store_core::{Error, Result, RetryPolicy, Secret};
use serde::{Deserialize, Serialize};
use url::Url;

/// Default part (block) size of streamed uploads, and the largest single-request upload:
/// 8 MiB.
pub const DEFAULT_PART_SIZE: u64 = 8 * 1024 * 1024;
/// Default number of blocks staged at the same time by one streamed upload.
pub const DEFAULT_MAX_CONCURRENCY: usize = 4;
/// The default [`AzureConfig::retry`]: [`remote_store_core::timeouts::retry`] (3 attempts,
/// doubling up to 5 s, no deadline) with the first backoff at 200 ms, the Azure SDK's own.
pub fn default_retry() -> RetryPolicy {
    remote_store_core::timeouts::retry().initial_backoff(Duration::from_millis(200))
}
/// The largest block Azure accepts (service version 2019-12-12 and later): 4000 MiB.
const MAX_PART_SIZE: u64 = 4000 * 1024 * 1024;

/// How the backend authenticates to the Blob service.
///
/// In a config file (`serde`), the variant is chosen by the `type` key:
///
/// ```
/// use remote_store_azure::AzureAuth;
///
/// let auth: AzureAuth = serde_json::from_str(
///     r#"{ "type": "account_key", "account": "myaccount", "key": "c2VjcmV0" }"#,
/// ).unwrap();
/// assert!(matches!(auth, AzureAuth::AccountKey { .. }));
/// assert!(!format!("{auth:?}").contains("c2VjcmV0"));
/// ```
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
#[non_exhaustive]
pub enum AzureAuth {
    /// A storage connection string (`AccountName=..;AccountKey=..;BlobEndpoint=..` or
    /// `..;SharedAccessSignature=..`, or `UseDevelopmentStorage=true`). It also supplies the
    /// endpoint unless [`AzureConfig::endpoint`] is set.
    ConnectionString {
        /// The connection string.
        connection_string: Secret,
    },
    /// The account name and one of its access keys: every request is signed with Shared
    /// Key (HMAC-SHA256); the key never travels.
    AccountKey {
        /// The storage account name.
        account: String,
        /// The base64 account key.
        key: Secret,
    },
    /// A SAS token (account or container SAS), with or without the leading `?`.
    SasToken {
        /// The token, e.g. `sv=2022-11-02&ss=b&...&sig=...`.
        token: Secret,
    },
    /// Microsoft Entra ID (OAuth bearer tokens) through `azure_identity`. Needs the
    /// `identity` cargo feature and an `https` endpoint.
    EntraId {
        /// Which credential to use.
        credential: EntraCredential,
    },
    /// No authentication (a public container, or an emulator that allows it).
    Anonymous,
}

/// Which Microsoft Entra ID credential [`AzureAuth::EntraId`] uses (feature `identity`).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
#[non_exhaustive]
pub enum EntraCredential {
    /// The developer tools chain: Azure CLI, then Azure Developer CLI.
    DeveloperTools,
    /// A managed identity (system-assigned, or user-assigned by client id).
    ManagedIdentity {
        /// The client id of a user-assigned identity.
        #[serde(default)]
        client_id: Option<String>,
    },
    /// Workload identity federation (Kubernetes), configured from the standard
    /// `AZURE_*` environment variables.
    WorkloadIdentity,
    /// An app registration with a client secret.
    ClientSecret {
        /// The directory (tenant) id.
        tenant_id: String,
        /// The application (client) id.
        client_id: String,
        /// The client secret.
        client_secret: Secret,
    },
}

/// Configuration of an Azure Blob backend.
///
/// Deserializable (unknown keys are refused); durations are a number of seconds or text such
/// as `"500ms"`, `"30s"`, `"2m"` (see [`remote_store_core::duration`]). Credentials are
/// [`Secret`]s: `Debug` never shows a key, SAS token or connection string, and serialising
/// writes their `${VAR}` reference or fails, never the value.
///
/// ```
/// use remote_store_azure::{AzureAuth, AzureConfig};
///
/// let cfg = AzureConfig::new("my-container", AzureAuth::AccountKey {
///     account: "myaccount".into(),
///     key: "c2VjcmV0".into(),
/// })
/// .prefix("reports");
/// assert_eq!(cfg.container, "my-container");
/// assert!(!format!("{cfg:?}").contains("c2VjcmV0"));
///
/// let from_file: AzureConfig = serde_json::from_str(r#"{
///     "container": "my-container",
///     "endpoint": "http://127.0.0.1:10000/devstoreaccount1",
///     "auth": { "type": "sas_token", "token": "sv=2022-11-02&sig=abc" },
///     "part_size": 4194304,
///     "request_timeout": "30s"
/// }"#).unwrap();
/// assert_eq!(from_file.part_size, 4 * 1024 * 1024);
/// ```
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct AzureConfig {
    /// The container holding the files. It must exist (see `create_container` on the
    /// backends, or [`create_if_missing`](Self::create_if_missing)).
    pub container: String,
    /// A key prefix inside the container under which the backend works (no leading or
    /// trailing `/`); empty for the whole container.
    #[serde(default)]
    pub prefix: String,
    /// The Blob service endpoint, e.g. `https://myaccount.blob.core.windows.net` or, for
    /// Azurite, `http://127.0.0.1:10000/devstoreaccount1`. Default: derived from the
    /// connection string, else `https://{account}.blob.core.windows.net`.
    #[serde(default)]
    pub endpoint: Option<String>,
    /// How to authenticate.
    pub auth: AzureAuth,
    /// Writes up to this many bytes are one `Put Blob`; larger or streamed writes stage
    /// blocks of this size (default 8 MiB, at most 4000 MiB).
    #[serde(default = "default_part_size")]
    pub part_size: u64,
    /// Blocks of one upload staged at the same time (default 4). A streamed upload holds at
    /// most `part_size × (max_concurrency + 1)` bytes in memory.
    #[serde(default = "default_max_concurrency")]
    pub max_concurrency: usize,
    /// Entries per listing page (`maxresults`); default: the service's (5000).
    #[serde(default)]
    pub list_page_size: Option<u32>,
    /// Time allowed to open a TCP (and TLS) connection (default 5 s).
    #[serde(
        default = "default_connect_timeout",
        with = "remote_store_core::duration"
    )]
    pub connect_timeout: Duration,
    /// The longest silence while a request is sent and its response awaited: no slice of
    /// the body taken by the connection and no response headers (default 8 s). An idle
    /// timeout, never a total deadline: a slow upload that keeps moving does not time out.
    /// It starts when the request is sent, not while it queues for
    /// `max_in_flight_requests`.
    #[serde(
        default = "default_request_timeout",
        with = "remote_store_core::duration"
    )]
    pub request_timeout: Duration,
    /// Longest pause allowed while a response body streams in (default 15 s).
    #[serde(default = "default_read_timeout", with = "remote_store_core::duration")]
    pub read_timeout: Duration,
    /// How a failed request (transport errors, 408/429/5xx) is retried, by the Azure
    /// pipeline's exponential retry: `max_attempts - 1` → `max_retries` (1 attempt: no
    /// retry policy at all), `initial_backoff` → `initial_delay`, `max_backoff` →
    /// `max_delay` (which the SDK raises to at least 1 s), `deadline` →
    /// `max_total_elapsed` (without one: (`request_timeout` + 30 s) × attempts, so the
    /// attempts govern); `jitter` is the SDK's (up to 255 ms added per wait) and is not
    /// configurable. Deletes run the same policy themselves (see `docs/retries.md`).
    /// Default [`default_retry`]: 3 attempts, 200 ms doubling. Keys missing inside a
    /// `retry` table take [`RetryPolicy::default`]'s values (100 ms first backoff).
    #[serde(default = "default_retry")]
    pub retry: RetryPolicy,
    /// Requests of this backend waiting for their response at the same time (default 64);
    /// more concurrent calls queue. Streaming response bodies do not count.
    #[serde(default = "default_max_in_flight_requests")]
    pub max_in_flight_requests: usize,
    /// Create the container, if it does not exist, before the backend's first write
    /// (opt-in; default false); until then a missing container is reported as always
    /// (`NotFound`). Needs permission to create containers (an account key, a
    /// connection string, or an account SAS that allows it).
    #[serde(default)]
    pub create_if_missing: bool,
    /// Refuse writes, copies and moves onto a folder (`a/b` while a blob `a/b/x` exists)
    /// with `InvalidPath`, by listing one blob under the target before writing. Default
    /// `true`: the contract's rule that a path is never a file and a folder at once, and
    /// the backend declares `folder_file_exclusion`. `false` is the flat-namespace mode for
    /// key spaces that never collide: one request per small write, no such check, and a
    /// write onto a folder creates a blob next to the prefix (see ADR 0014).
    #[serde(default = "default_true")]
    pub check_folder_targets: bool,
}

fn default_true() -> bool {
    true
}

fn default_part_size() -> u64 {
    DEFAULT_PART_SIZE
}
fn default_max_concurrency() -> usize {
    DEFAULT_MAX_CONCURRENCY
}
fn default_connect_timeout() -> Duration {
    remote_store_core::timeouts::CONNECT
}
fn default_request_timeout() -> Duration {
    remote_store_core::timeouts::REQUEST
}
fn default_read_timeout() -> Duration {
    remote_store_core::timeouts::READ
}
fn default_max_in_flight_requests() -> usize {
    remote_store_core::timeouts::MAX_IN_FLIGHT_REQUESTS
}

impl AzureConfig {
    /// A configuration for `container` with every other setting at its default.
    pub fn new(container: impl Into<String>, auth: AzureAuth) -> Self {
        AzureConfig {
            container: container.into(),
            prefix: String::new(),
            endpoint: None,
            auth,
            part_size: DEFAULT_PART_SIZE,
            max_concurrency: DEFAULT_MAX_CONCURRENCY,
            list_page_size: None,
            connect_timeout: default_connect_timeout(),
            request_timeout: default_request_timeout(),
            read_timeout: default_read_timeout(),
            retry: default_retry(),
            max_in_flight_requests: default_max_in_flight_requests(),
            create_if_missing: false,
            check_folder_targets: true,
        }
    }

    /// Sets [`prefix`](Self::prefix).
    pub fn prefix(mut self, prefix: impl Into<String>) -> Self {
        self.prefix = prefix.into();
        self
    }

    /// Sets [`endpoint`](Self::endpoint).
    pub fn endpoint(mut self, endpoint: impl Into<String>) -> Self {
        self.endpoint = Some(endpoint.into());
        self
    }

    /// Sets [`part_size`](Self::part_size).
    pub fn part_size(mut self, bytes: u64) -> Self {
        self.part_size = bytes;
        self
    }

    /// Sets [`max_concurrency`](Self::max_concurrency).
    pub fn max_concurrency(mut self, blocks: usize) -> Self {
        self.max_concurrency = blocks;
        self
    }

    /// Sets [`list_page_size`](Self::list_page_size).
    pub fn list_page_size(mut self, entries: u32) -> Self {
        self.list_page_size = Some(entries);
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

    /// Sets [`retry`](Self::retry).
    pub fn retry(mut self, policy: RetryPolicy) -> Self {
        self.retry = policy;
        self
    }

    /// Sets [`max_in_flight_requests`](Self::max_in_flight_requests).
    pub fn max_in_flight_requests(mut self, requests: usize) -> Self {
        self.max_in_flight_requests = requests;
        self
    }

    /// Sets [`check_folder_targets`](Self::check_folder_targets); `false` is the
    /// flat-namespace mode.
    pub fn check_folder_targets(mut self, yes: bool) -> Self {
        self.check_folder_targets = yes;
        self
    }

    /// Sets [`create_if_missing`](Self::create_if_missing).
    pub fn create_if_missing(mut self, yes: bool) -> Self {
        self.create_if_missing = yes;
        self
    }

    /// Checks the settings (including the connection string, when that is the auth mode)
    /// without connecting: what construction checks, for a config loader to fail early.
    ///
    /// # Errors
    /// `InvalidArgument` naming the offending setting.
    pub fn validate(&self) -> Result<()> {
        self.resolve().map(drop)
    }

    /// Checks the settings and works out the endpoint and credentials.
    pub(crate) fn resolve(&self) -> Result<Resolved> {
        if self.container.is_empty() {
            return Err(Error::invalid_argument("azure: `container` is empty"));
        }
        if let Err(why) = check_container_name(&self.container) {
            return Err(Error::invalid_argument(format!(
                "azure: `container` {:?} is not a valid container name: {why}",
                self.container
            )));
        }
        if !(1..=MAX_PART_SIZE).contains(&self.part_size) {
            return Err(Error::invalid_argument(
                "azure: `part_size` must be between 1 byte and 4000 MiB",
            ));
        }
        if self.max_in_flight_requests == 0 {
            return Err(Error::invalid_argument(
                "azure: `max_in_flight_requests` must be at least 1",
            ));
        }
        if self.max_concurrency == 0 {
            return Err(Error::invalid_argument(
                "azure: `max_concurrency` must be at least 1",
            ));
        }
        self.retry.validate().map_err(|e| {
            Error::invalid_argument(format!("azure: `{}`", e.message().unwrap_or("retry")))
        })?;
        if self.list_page_size == Some(0) {
            return Err(Error::invalid_argument(
                "azure: `list_page_size` must be at least 1",
            ));
        }
        let prefix = self.prefix.trim_matches('/');
        if prefix.split('/').any(|s| s == ".." || s == ".") || prefix.contains("//") {
            return Err(Error::invalid_argument(
                "azure: `prefix` must be a plain key prefix",
            ));
        }
        let (credential, cs_endpoint, cs_account) = match &self.auth {
            AzureAuth::ConnectionString { connection_string } => {
                let cs = ConnectionString::parse(connection_string.expose())?;
                (cs.credential, cs.endpoint, cs.account)
            }
            AzureAuth::AccountKey { account, key } => (
                Credential::SharedKey {
                    account: account.clone(),
                    key: key.clone(),
                },
                None,
                Some(account.clone()),
            ),
            AzureAuth::SasToken { token } => (
                Credential::Sas(Secret::new(token.expose().trim_start_matches('?'))),
                None,
                None,
            ),
            AzureAuth::EntraId { credential } => {
                (Credential::Entra(credential.clone()), None, None)
            }
            AzureAuth::Anonymous => (Credential::Anonymous, None, None),
        };
        let endpoint = match (&self.endpoint, cs_endpoint, cs_account) {
            (Some(e), _, _) => e.clone(),
            (None, Some(e), _) => e,
            (None, None, Some(account)) => format!("https://{account}.blob.core.windows.net"),
            (None, None, None) => {
                return Err(Error::invalid_argument(
                    "azure: set `endpoint` (it cannot be derived from this auth mode)",
                ));
            }
        };
        let mut endpoint = Url::parse(&endpoint)
            .map_err(|_| Error::invalid_argument("azure: `endpoint` is not a valid URL"))?;
        if endpoint.cannot_be_a_base() || !matches!(endpoint.scheme(), "http" | "https") {
            return Err(Error::invalid_argument(
                "azure: `endpoint` must be an http(s) URL",
            ));
        }
        if endpoint.query().is_some() || !endpoint.username().is_empty() {
            return Err(Error::invalid_argument(
                "azure: `endpoint` must not carry a query or user info (put a SAS token in `auth`)",
            ));
        }
        if !endpoint.path().ends_with('/') {
            let path = format!("{}/", endpoint.path());
            endpoint.set_path(&path);
        }
        Ok(Resolved {
            endpoint,
            credential,
            prefix: prefix.to_owned(),
        })
    }
}

/// What the configuration resolves to.
#[derive(Debug)]
pub(crate) struct Resolved {
    /// The service endpoint, ending in `/`.
    pub(crate) endpoint: Url,
    pub(crate) credential: Credential,
    /// The key prefix, without surrounding `/`.
    pub(crate) prefix: String,
}

/// The credential a backend signs its requests with.
#[derive(Clone)]
pub(crate) enum Credential {
    SharedKey {
        account: String,
        key: Secret,
    },
    Sas(Secret),
    #[cfg_attr(not(feature = "identity"), allow(dead_code))]
    Entra(EntraCredential),
    Anonymous,
}

impl fmt::Debug for Credential {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Credential::SharedKey { .. } => "SharedKey(***)",
            Credential::Sas(_) => "Sas(***)",
            Credential::Entra(_) => "EntraId",
            Credential::Anonymous => "Anonymous",
        })
    }
}

/// The Azurite development account's documented, public key.
const DEV_ACCOUNT: &str = "devstoreaccount1";
const DEV_KEY: &str =
    "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";

/// A parsed storage connection string.
struct ConnectionString {
    credential: Credential,
    endpoint: Option<String>,
    account: Option<String>,
}

impl ConnectionString {
    fn parse(s: &str) -> Result<Self> {
        let mut protocol = None;
        let mut account = None;
        let mut key = None;
        let mut sas = None;
        let mut blob_endpoint = None;
        let mut suffix = None;
        let mut dev = false;
        for part in s.split(';').map(str::trim).filter(|p| !p.is_empty()) {
            let Some((name, value)) = part.split_once('=') else {
                return Err(Error::invalid_argument(
                    "azure: malformed connection string (a part has no `=`)",
                ));
            };
            match name.trim() {
                "DefaultEndpointsProtocol" => protocol = Some(value.to_owned()),
                "AccountName" => account = Some(value.to_owned()),
                "AccountKey" => key = Some(Secret::new(value)),
                "SharedAccessSignature" => sas = Some(Secret::new(value.trim_start_matches('?'))),
                "BlobEndpoint" => blob_endpoint = Some(value.to_owned()),
                "EndpointSuffix" => suffix = Some(value.to_owned()),
                "UseDevelopmentStorage" => dev = value.eq_ignore_ascii_case("true"),
                // Endpoints of the other storage services do not concern the blob backend.
                "QueueEndpoint"
                | "TableEndpoint"
                | "FileEndpoint"
                | "DevelopmentStorageProxyUri" => {}
                // Named only when it looks like a key name: a bare account key or token
                // given as the connection string has `=` padding, and everything before it
                // would be echoed.
                other if looks_like_key_name(other) => {
                    return Err(Error::invalid_argument(format!(
                        "azure: unknown connection string key `{other}`"
                    )));
                }
                _ => {
                    return Err(Error::invalid_argument(
                        "azure: malformed connection string (a part is not `Name=value`; is \
                         this an account key or a SAS token rather than a connection string?)",
                    ));
                }
            }
        }
        if dev {
            return Ok(ConnectionString {
                credential: Credential::SharedKey {
                    account: DEV_ACCOUNT.to_owned(),
                    key: Secret::new(DEV_KEY),
                },
                endpoint: Some(
                    blob_endpoint
                        .unwrap_or_else(|| format!("http://127.0.0.1:10000/{DEV_ACCOUNT}")),
                ),
                account: Some(DEV_ACCOUNT.to_owned()),
            });
        }
        let credential = match (key, sas, &account) {
            (Some(key), None, Some(account)) => Credential::SharedKey {
                account: account.clone(),
                key,
            },
            (None, Some(sas), _) => Credential::Sas(sas),
            (Some(_), None, None) => {
                return Err(Error::invalid_argument(
                    "azure: connection string has an AccountKey but no AccountName",
                ));
            }
            (Some(_), Some(_), _) => {
                return Err(Error::invalid_argument(
                    "azure: connection string has both AccountKey and SharedAccessSignature",
                ));
            }
            (None, None, _) => Credential::Anonymous,
        };
        let endpoint = blob_endpoint.or_else(|| {
            account.as_ref().map(|a| {
                format!(
                    "{}://{a}.blob.{}",
                    protocol.as_deref().unwrap_or("https"),
                    suffix.as_deref().unwrap_or("core.windows.net")
                )
            })
        });
        Ok(ConnectionString {
            credential,
            endpoint,
            account,
        })
    }
}

/// Whether `name` can be a connection string's key name (`AccountName`, `BlobEndpoint`):
/// ASCII letters only, and short.
fn looks_like_key_name(name: &str) -> bool {
    (1..=40).contains(&name.len()) && name.bytes().all(|b| b.is_ascii_alphabetic())
}

/// The service's rule for container names, checked before any request so that a typo is
/// named with the rule instead of the service's bare `InvalidResourceName`: 3 to 63
/// characters, lowercase letters, digits and single hyphens, starting and ending with a
/// letter or digit; or one of the special containers `$root`, `$web` and `$logs`.
fn check_container_name(name: &str) -> std::result::Result<(), &'static str> {
    if matches!(name, "$root" | "$web" | "$logs") {
        return Ok(());
    }
    if !(3..=63).contains(&name.len()) {
        return Err("it must be 3 to 63 characters long");
    }
    if !name
        .bytes()
        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
    {
        return Err("only lowercase letters, digits and hyphens are allowed");
    }
    if name.starts_with('-') || name.ends_with('-') || name.contains("--") {
        return Err("it must start and end with a letter or digit, with no two hyphens in a row");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn connection_string_with_key() {
        let cs = ConnectionString::parse(
            "DefaultEndpointsProtocol=http;AccountName=acc;AccountKey=a2V5;BlobEndpoint=http://127.0.0.1:1/acc;",
        )
        .unwrap();
        assert!(
            matches!(cs.credential, Credential::SharedKey { ref account, .. } if account == "acc")
        );
        assert_eq!(cs.endpoint.as_deref(), Some("http://127.0.0.1:1/acc"));
    }

    #[test]
    fn connection_string_derives_endpoint() {
        let cs = ConnectionString::parse(
            "AccountName=acc;AccountKey=a2V5;EndpointSuffix=core.chinacloudapi.cn",
        )
        .unwrap();
        assert_eq!(
            cs.endpoint.as_deref(),
            Some("https://acc.blob.core.chinacloudapi.cn")
        );
    }

    #[test]
    fn connection_string_with_sas_and_dev() {
        let cs =
            ConnectionString::parse("BlobEndpoint=https://x/;SharedAccessSignature=?sv=1&sig=s")
                .unwrap();
        assert!(matches!(cs.credential, Credential::Sas(ref s) if s.expose() == "sv=1&sig=s"));
        let dev = ConnectionString::parse("UseDevelopmentStorage=true").unwrap();
        assert_eq!(dev.account.as_deref(), Some(DEV_ACCOUNT));
    }

    #[test]
    fn connection_string_rejects_unknown_keys() {
        let err = ConnectionString::parse("AccountName=a;Bogus=1")
            .err()
            .unwrap();
        assert_eq!(err.kind(), remote_store_core::ErrorKind::InvalidArgument);
        assert!(err.to_string().contains("Bogus"));
    }

    #[test]
    fn config_rejects_unknown_fields_and_parses_durations() {
        let bad = serde_json::from_str::<AzureConfig>(
            r#"{"container":"box","auth":{"type":"anonymous"},"endpoint":"http://x","nope":1}"#,
        );
        assert!(bad.is_err());
        let ok: AzureConfig = serde_json::from_str(
            r#"{"container":"box","auth":{"type":"anonymous"},"endpoint":"http://x",
                "connect_timeout":"250ms","request_timeout":2,"read_timeout":"1m"}"#,
        )
        .unwrap();
        assert_eq!(ok.connect_timeout, Duration::from_millis(250));
        assert_eq!(ok.request_timeout, Duration::from_secs(2));
        assert_eq!(ok.read_timeout, Duration::from_secs(60));
    }

    #[test]
    fn retry_serde_and_defaults() {
        let base = r#""container":"box","auth":{"type":"anonymous"},"endpoint":"http://x""#;
        let cfg: AzureConfig = serde_json::from_str(&format!("{{{base}}}")).unwrap();
        assert_eq!(cfg.retry, default_retry());
        assert_eq!(cfg.retry.max_attempts, 3, "2 retries, as before");
        assert_eq!(cfg.retry.initial_backoff, Duration::from_millis(200));
        let cfg: AzureConfig = serde_json::from_str(&format!(
            r#"{{{base},"retry":{{"max_attempts":5,"initial_backoff":"50ms","deadline":"20s"}}}}"#
        ))
        .unwrap();
        assert_eq!(cfg.retry.max_attempts, 5);
        assert_eq!(cfg.retry.initial_backoff, Duration::from_millis(50));
        assert_eq!(cfg.retry.deadline, Some(Duration::from_secs(20)));
        let json = serde_json::to_string(&cfg).unwrap();
        assert!(json.contains(r#""retry":{"max_attempts":5"#), "{json}");
        for old in [r#""max_retries":0"#, r#""initial_backoff":"1s""#] {
            let err = serde_json::from_str::<AzureConfig>(&format!("{{{base},{old}}}"))
                .err()
                .unwrap();
            assert!(err.to_string().contains("unknown field"), "{err}");
        }
        let mut bad = cfg.clone();
        bad.retry.jitter = 3.0;
        let e = bad.resolve().err().unwrap();
        assert!(e.to_string().contains("retry jitter"), "{e}");
    }

    #[test]
    fn resolve_checks_values() {
        let mut cfg = AzureConfig::new("box", AzureAuth::Anonymous);
        assert!(cfg.resolve().is_err(), "anonymous needs an endpoint");
        cfg.endpoint = Some("http://127.0.0.1:1/acc".into());
        let r = cfg.resolve().unwrap();
        assert_eq!(r.endpoint.as_str(), "http://127.0.0.1:1/acc/");
        cfg.part_size = 0;
        assert!(cfg.resolve().is_err());
        assert!(
            cfg.validate().is_err(),
            "validate is resolve without its result"
        );
    }

    #[test]
    fn folder_checks_are_on_by_default() {
        let cfg = AzureConfig::new("box", AzureAuth::Anonymous);
        assert!(cfg.check_folder_targets);
        assert!(!cfg.check_folder_targets(false).check_folder_targets);
        let cfg: AzureConfig =
            serde_json::from_str(r#"{"container": "box", "auth": {"type": "anonymous"}}"#).unwrap();
        assert!(cfg.check_folder_targets);
        let cfg: AzureConfig = serde_json::from_str(
            r#"{"container": "box", "auth": {"type": "anonymous"}, "check_folder_targets": false}"#,
        )
        .unwrap();
        assert!(!cfg.check_folder_targets);
    }

    #[test]
    fn create_if_missing_is_opt_in() {
        let cfg = AzureConfig::new("box", AzureAuth::Anonymous);
        assert!(!cfg.create_if_missing);
        assert!(cfg.create_if_missing(true).create_if_missing);
        let cfg: AzureConfig = serde_json::from_str(
            r#"{"container": "box", "auth": {"type": "anonymous"}, "create_if_missing": true}"#,
        )
        .unwrap();
        assert!(cfg.create_if_missing);
    }
    #[test]
    fn container_names_follow_the_service_rule() {
        for good in [
            "box",
            "a-b-c",
            "0day",
            &"x".repeat(63),
            "$root",
            "$web",
            "$logs",
        ] {
            assert!(check_container_name(good).is_ok(), "{good}");
        }
        for bad in [
            "ab",
            "Box",
            "a_b",
            "-ab",
            "ab-",
            "a--b",
            &"x".repeat(64),
            "$other",
        ] {
            assert!(check_container_name(bad).is_err(), "{bad}");
        }
        let e = AzureConfig::new("My_Box", AzureAuth::Anonymous)
            .validate()
            .unwrap_err();
        assert!(e.to_string().contains("My_Box"), "{e}");
        assert!(e.to_string().contains("lowercase"), "{e}");
    }
    #[test]
    fn a_key_given_as_a_connection_string_is_not_echoed() {
        let key = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";
        let e = ConnectionString::parse(key).err().expect("refused");
        assert!(!e.to_string().contains("Eby8vdM02x"), "{e}");
        assert!(e.to_string().contains("account key"), "{e}");
        let e = ConnectionString::parse("AccountName=a;Colour=blue")
            .err()
            .expect("refused");
        assert!(e.to_string().contains("`Colour`"), "{e}");
    }
}
