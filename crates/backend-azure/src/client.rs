//! The SDK clients one backend works through, built once from an [`AzureConfig`], and the
//! mapping between store keys and blob names.

use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use azure_core::http::policies::Policy;
use azure_core::http::{ClientOptions, ExponentialRetryOptions, Pipeline, RetryOptions, Url};
use azure_storage_blob::{BlobClient, BlobContainerClient, BlobContainerClientOptions};
use remote_store_core::{Error, RemotePath, Result, RetryPolicy};

use crate::auth::SharedKeyPolicy;
use crate::config::{AzureConfig, Credential};
use crate::transport::Transport;

/// Everything a backend needs to talk to its container.
pub(crate) struct Client {
    /// The SDK's container client (blob clients derive from it).
    pub(crate) container: BlobContainerClient,
    /// The same client without pipeline retries, for deletes: their retries are ours, so a
    /// retry that finds the blob gone can be told apart from a blob that never existed.
    pub(crate) container_once: BlobContainerClient,
    /// The retry policy of our own retries (deletes); the pipeline's are mapped from it.
    pub(crate) retry: RetryPolicy,
    /// The same pipeline (transport, retries, auth), for the one call the SDK does not
    /// offer: listing by hierarchy (`delimiter=/`).
    pub(crate) pipeline: Pipeline,
    /// The service version sent with our own requests.
    pub(crate) version: String,
    /// The container URL, including a SAS query when the auth mode is a SAS token.
    pub(crate) container_url: Url,
    /// The container name.
    pub(crate) container_name: String,
    /// The key prefix inside the container, without surrounding `/`.
    pub(crate) prefix: String,
    /// The block size of staged uploads (`AzureConfig::part_size`).
    pub(crate) part_size: u64,
    pub(crate) max_concurrency: usize,
    pub(crate) page_size: Option<u32>,
    /// Listing pages fetched so far (observable in tests).
    pub(crate) pages_fetched: AtomicU64,
    /// HTTP requests sent so far by every pipeline of this client (observable in tests;
    /// read only by the `test-hooks` accessor).
    #[cfg_attr(not(feature = "test-hooks"), allow(dead_code))]
    pub(crate) requests_sent: Arc<AtomicU64>,
    /// A description safe to print: endpoint without query, container, prefix, auth mode.
    pub(crate) display: String,
}

/// The Azure pipeline's exponential retry for `policy`, or `None` (no retry policy) for a
/// single attempt. Without a deadline the attempts govern: the SDK's default 60 s budget
/// for all tries would end retries after a single slow try, so the budget is
/// (`request_timeout` + 30 s) per attempt.
pub(crate) fn exponential_retry(
    policy: &RetryPolicy,
    request_timeout: Duration,
) -> Option<ExponentialRetryOptions> {
    let retries = policy.max_attempts.checked_sub(1).filter(|r| *r > 0)?;
    let to_time = |d: Duration| time::Duration::try_from(d).unwrap_or(time::Duration::MAX);
    let budget = policy.deadline.unwrap_or_else(|| {
        (request_timeout + Duration::from_secs(30)).saturating_mul(policy.max_attempts)
    });
    Some(ExponentialRetryOptions {
        max_retries: retries,
        initial_delay: to_time(policy.initial_backoff),
        max_delay: to_time(policy.max_backoff),
        max_total_elapsed: to_time(budget),
    })
}

impl Client {
    pub(crate) fn new(config: &AzureConfig) -> Result<Self> {
        let resolved = config.resolve()?;
        let requests_sent = Arc::new(AtomicU64::new(0));
        let transport = Transport::new(
            config.connect_timeout,
            config.request_timeout,
            config.read_timeout,
            config.max_in_flight_requests,
            Arc::clone(&requests_sent),
        )?;
        let mut per_try: Vec<Arc<dyn Policy>> = Vec::new();
        let mut token: Option<Arc<dyn azure_core::credentials::TokenCredential>> = None;
        let mut sas = None;
        match &resolved.credential {
            Credential::SharedKey { account, key } => {
                per_try.push(Arc::new(SharedKeyPolicy::new(account, key)?));
            }
            Credential::Sas(token) => sas = Some(token.clone()),
            Credential::Entra(credential) => {
                token = Some(crate::identity::token_credential(credential)?);
            }
            Credential::Anonymous => {}
        }
        let client_options = ClientOptions {
            per_try_policies: per_try.clone(),
            retry: exponential_retry(&config.retry, config.request_timeout)
                .map_or_else(RetryOptions::none, RetryOptions::exponential),
            transport: Some(azure_core::http::Transport::new(Arc::new(transport))),
            ..Default::default()
        };

        let mut container_url = resolved.endpoint.clone();
        container_url
            .path_segments_mut()
            .map_err(|()| Error::invalid_argument("azure: `endpoint` is not a base URL"))?
            .pop_if_empty()
            .push(&config.container);
        let display = format!(
            "{}{} (auth: {:?})",
            container_url,
            if resolved.prefix.is_empty() {
                String::new()
            } else {
                format!(" prefix {}", resolved.prefix)
            },
            resolved.credential
        );
        if let Some(sas) = &sas {
            container_url.set_query(Some(sas.expose()));
        }

        let options = BlobContainerClientOptions {
            client_options: client_options.clone(),
            ..Default::default()
        };
        let version = options.version.clone();
        let once = BlobContainerClientOptions {
            client_options: ClientOptions {
                retry: RetryOptions::none(),
                ..client_options.clone()
            },
            ..Default::default()
        };
        let build = |options| {
            BlobContainerClient::new(container_url.clone(), token.clone(), Some(options)).map_err(
                |e| crate::error::map(e).with_message("azure: cannot create the container client"),
            )
        };
        let container = build(options)?;
        let container_once = build(once)?;

        if let Some(token) = token {
            per_try.push(Arc::new(
                azure_core::http::policies::auth::BearerTokenAuthorizationPolicy::new(
                    token,
                    vec!["https://storage.azure.com/.default"],
                ),
            ));
        }
        let pipeline = Pipeline::new(
            Some(env!("CARGO_PKG_NAME")),
            Some(env!("CARGO_PKG_VERSION")),
            client_options,
            Vec::new(),
            per_try,
            None,
        );

        Ok(Client {
            container,
            container_once,
            retry: config.retry.clone(),
            pipeline,
            version,
            container_url,
            container_name: config.container.clone(),
            prefix: resolved.prefix,
            part_size: config.part_size,
            max_concurrency: config.max_concurrency,
            page_size: config.list_page_size,
            pages_fetched: AtomicU64::new(0),
            requests_sent,
            display,
        })
    }

    /// The blob name of `key` (the prefix joined in front).
    pub(crate) fn blob_name(&self, key: &RemotePath) -> String {
        match (self.prefix.is_empty(), key.as_str()) {
            (true, k) => k.to_owned(),
            (false, "") => self.prefix.clone(),
            (false, k) => format!("{}/{k}", self.prefix),
        }
    }

    /// The listing prefix of the folder `key`: its blob name and `/`, or `""` for the root
    /// of an unprefixed container.
    pub(crate) fn folder_prefix(&self, key: &RemotePath) -> String {
        let name = self.blob_name(key);
        if name.is_empty() { name } else { name + "/" }
    }

    /// The store key of a listed blob name, or `None` when the name is outside the prefix
    /// or is not a canonical key (`a//b`, a trailing `/` directory marker, `..`), which
    /// this backend cannot address and therefore does not list.
    pub(crate) fn key_of(&self, name: &str) -> Option<RemotePath> {
        let rest = if self.prefix.is_empty() {
            name
        } else {
            name.strip_prefix(self.prefix.as_str())?.strip_prefix('/')?
        };
        let key = RemotePath::new(rest).ok()?;
        (key.as_str() == rest && !rest.is_empty()).then_some(key)
    }

    pub(crate) fn blob(&self, key: &RemotePath) -> BlobClient {
        self.container.blob_client(&self.blob_name(key))
    }

    pub(crate) fn note_page(&self) {
        self.pages_fetched.fetch_add(1, Ordering::Relaxed);
    }
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.display)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_retry_policy_maps_onto_exponential_retry_options() {
        let eight = Duration::from_secs(8);
        let default = exponential_retry(&crate::default_retry(), eight).unwrap();
        assert_eq!(default.max_retries, 2, "3 attempts = 2 retries, as before");
        assert_eq!(default.initial_delay, time::Duration::milliseconds(200));
        assert_eq!(default.max_delay, time::Duration::seconds(5));
        assert_eq!(default.max_total_elapsed, time::Duration::seconds(3 * 38));

        let policy = RetryPolicy::new()
            .max_attempts(6)
            .initial_backoff(Duration::from_millis(50))
            .max_backoff(Duration::from_secs(2))
            .deadline(Some(Duration::from_secs(20)));
        let mapped = exponential_retry(&policy, eight).unwrap();
        assert_eq!(mapped.max_retries, 5);
        assert_eq!(mapped.initial_delay, time::Duration::milliseconds(50));
        assert_eq!(mapped.max_delay, time::Duration::seconds(2));
        assert_eq!(mapped.max_total_elapsed, time::Duration::seconds(20));

        assert!(exponential_retry(&RetryPolicy::never(), eight).is_none());
    }
}
