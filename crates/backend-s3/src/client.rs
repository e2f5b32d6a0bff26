//! Building the aws-sdk-s3 client from an [`S3Config`], without any network I/O.
//!
//! One HTTP/TLS stack: hyper 1 + rustls (ring) from `aws-smithy-http-client`, shared by the
//! S3 client and the credential providers of the default chain.

use aws_config::default_provider::credentials::DefaultCredentialsChain;
use aws_config::provider_config::ProviderConfig;
use aws_credential_types::provider::{ProvideCredentials, future};
use aws_sdk_s3::config::retry::RetryConfig;
use aws_sdk_s3::config::timeout::TimeoutConfig;
use aws_sdk_s3::config::{BehaviorVersion, Credentials, Region, SharedHttpClient};
use std::sync::Mutex;

use aws_sdk_s3::config::endpoint::{
    DefaultResolver, Endpoint, EndpointFuture, Params, ResolveEndpoint,
};
use aws_sdk_s3::config::{
    RequestChecksumCalculation, ResponseChecksumValidation, StalledStreamProtectionConfig,
};
use aws_smithy_http_client::tls;
use tokio::sync::OnceCell;

use remote_store_core::RetryPolicy;

use crate::transport::Transport;
use crate::{Checksums, S3Config};

/// The region used when neither the config nor the environment names one.
const FALLBACK_REGION: &str = "us-east-1";

/// The SDK client for `config` (already validated).
pub(crate) fn build(config: &S3Config) -> aws_sdk_s3::Client {
    let http = aws_smithy_http_client::Builder::new()
        .tls_provider(tls::Provider::Rustls(
            tls::rustls_provider::CryptoMode::Ring,
        ))
        .build_https();
    let region = Region::new(region_of(config));
    // No SDK attempt timeout: the transport measures `request_timeout` as silence from
    // the moment a request is sent (see `transport`).
    let timeouts = timeout_config(config);
    let transport = Transport::new(
        http.clone(),
        config.max_in_flight_requests,
        config.request_timeout,
        config.read_timeout,
    );
    let retry = retry_config(&config.retry);

    let mut builder = aws_sdk_s3::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .http_client(transport)
        .region(region.clone())
        .timeout_config(timeouts)
        // The transport's idle timeouts (request body, response head, response body) take
        // the place of the SDK's stalled-stream protection, which would count the time a
        // request queues for a permit as a stalled upload.
        .stalled_stream_protection(StalledStreamProtectionConfig::disabled())
        .retry_config(retry)
        .endpoint_resolver(KeylessEndpoint::default())
        .force_path_style(config.force_path_style);
    if config.checksums == Checksums::WhenRequired {
        builder = builder
            .request_checksum_calculation(RequestChecksumCalculation::WhenRequired)
            .response_checksum_validation(ResponseChecksumValidation::WhenRequired);
    }
    if let Some(url) = endpoint_of(config, |name| std::env::var(name).ok()) {
        builder = builder.endpoint_url(url);
    }
    builder = match (&config.access_key_id, &config.secret_access_key) {
        (Some(id), Some(secret)) => builder.credentials_provider(Credentials::new(
            id,
            secret.expose(),
            config.session_token.as_ref().map(|t| t.expose().to_owned()),
            None,
            "remote-store-config",
        )),
        _ => builder.credentials_provider(LazyDefaultChain {
            http,
            region,
            profile: config.profile.clone(),
            chain: OnceCell::new(),
        }),
    };
    aws_sdk_s3::Client::from_conf(builder.build())
}

/// The per-request configuration that has the SDK compute the checksum a write asked for
/// (`WriteOptions::checksum`) when `checksums` is `when_required`: the SDK then computes
/// none, even for an algorithm set on the request, and the service would return none.
pub(crate) fn checksum_override(
    config: &S3Config,
    asked: bool,
) -> Option<aws_sdk_s3::config::Builder> {
    (asked && config.checksums == Checksums::WhenRequired).then(|| {
        aws_sdk_s3::config::Builder::new()
            .request_checksum_calculation(RequestChecksumCalculation::WhenSupported)
    })
}

/// S3's endpoint rules, evaluated once per bucket, region and endpoint instead of once per
/// key.
///
/// The SDK's resolver caches its last answer, but the parameters it compares include the
/// object key (`Key`, also `Prefix` and `CopySource`), so with a new key per request it
/// runs the rules engine on every call (about 2.5 % of a small GET's instructions). The
/// rules bind these three parameters and never read them (aws-sdk-s3 1.157), so this
/// resolver clears them, remembers the last answer, and otherwise asks the SDK's own
/// resolver: the endpoints are the SDK's, errors included. The test
/// `the_endpoint_params_are_the_known_ones` fails when an SDK update adds a parameter.
#[derive(Debug, Default)]
struct KeylessEndpoint {
    rules: DefaultResolver,
    last: Mutex<Option<(Params, Endpoint)>>,
}

impl KeylessEndpoint {
    /// `params` without the ones naming an object.
    fn keyless(params: &Params) -> Option<Params> {
        Params::builder()
            .set_bucket(params.bucket().map(str::to_owned))
            .set_region(params.region().map(str::to_owned))
            .set_use_fips(params.use_fips())
            .set_use_dual_stack(params.use_dual_stack())
            .set_endpoint(params.endpoint().map(str::to_owned))
            .set_force_path_style(params.force_path_style())
            .set_accelerate(params.accelerate())
            .set_use_global_endpoint(params.use_global_endpoint())
            .set_use_object_lambda_endpoint(params.use_object_lambda_endpoint())
            .set_disable_access_points(params.disable_access_points())
            .set_disable_multi_region_access_points(params.disable_multi_region_access_points())
            .set_use_arn_region(params.use_arn_region())
            .set_use_s3_express_control_endpoint(params.use_s3_express_control_endpoint())
            .set_disable_s3_express_session_auth(params.disable_s3_express_session_auth())
            .build()
            .ok()
    }
}

impl ResolveEndpoint for KeylessEndpoint {
    fn resolve_endpoint<'a>(&'a self, params: &'a Params) -> EndpointFuture<'a> {
        let Some(keyless) = Self::keyless(params) else {
            return self.rules.resolve_endpoint(params);
        };
        let last = self
            .last
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some((seen, endpoint)) = &*last
            && *seen == keyless
        {
            return EndpointFuture::ready(Ok(endpoint.clone()));
        }
        drop(last);
        // The SDK's resolver answers at once; anything else is passed through as it is.
        let resolved = match futures::FutureExt::now_or_never(self.rules.resolve_endpoint(&keyless))
        {
            Some(resolved) => resolved,
            None => return self.rules.resolve_endpoint(params),
        };
        if let Ok(endpoint) = &resolved {
            let mut last = self
                .last
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            *last = Some((keyless, endpoint.clone()));
        }
        EndpointFuture::ready(resolved)
    }
}

/// The SDK's retry configuration for `policy`: its standard strategy with the policy's
/// attempts and backoffs. The SDK randomises every delay itself (full jitter), so the
/// policy's `jitter` has no counterpart; its `deadline` is the operation timeout of
/// [`timeout_config`].
fn retry_config(policy: &RetryPolicy) -> RetryConfig {
    RetryConfig::standard()
        .with_max_attempts(policy.max_attempts.max(1))
        .with_initial_backoff(policy.initial_backoff)
        .with_max_backoff(policy.max_backoff)
}

/// The connect timeout and, when the retry policy has a deadline, the operation timeout
/// (one SDK call from start to response, its retries and waits included).
fn timeout_config(config: &S3Config) -> TimeoutConfig {
    let mut builder = TimeoutConfig::builder().connect_timeout(config.connect_timeout);
    if let Some(deadline) = config.retry.deadline {
        builder = builder.operation_timeout(deadline);
    }
    builder.build()
}

/// The configured endpoint, else `AWS_ENDPOINT_URL_S3`, else `AWS_ENDPOINT_URL` (as the AWS
/// CLI and SDKs read them, including `AWS_IGNORE_CONFIGURED_ENDPOINT_URLS=true`), else none
/// (AWS's endpoint for the region).
fn endpoint_of(config: &S3Config, env: impl Fn(&str) -> Option<String>) -> Option<String> {
    if config.endpoint.is_some() {
        return config.endpoint.clone();
    }
    if env("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS").is_some_and(|v| v.eq_ignore_ascii_case("true")) {
        return None;
    }
    ["AWS_ENDPOINT_URL_S3", "AWS_ENDPOINT_URL"]
        .into_iter()
        .filter_map(env)
        .find(|url| !url.is_empty())
}

/// The configured region, else `AWS_REGION`, else `AWS_DEFAULT_REGION`, else `us-east-1`.
fn region_of(config: &S3Config) -> String {
    config
        .region
        .clone()
        .or_else(|| std::env::var("AWS_REGION").ok())
        .or_else(|| std::env::var("AWS_DEFAULT_REGION").ok())
        .filter(|r| !r.is_empty())
        .unwrap_or_else(|| FALLBACK_REGION.to_owned())
}

/// AWS's default credential chain (environment, profile, web identity, ECS, EC2 instance
/// metadata), built on first use: building it is async, and constructors stay I/O-free.
#[derive(Debug)]
struct LazyDefaultChain {
    http: SharedHttpClient,
    region: Region,
    profile: Option<String>,
    chain: OnceCell<DefaultCredentialsChain>,
}

impl LazyDefaultChain {
    async fn chain(&self) -> &DefaultCredentialsChain {
        self.chain
            .get_or_init(|| async {
                let conf = ProviderConfig::without_region()
                    .with_http_client(self.http.clone())
                    .with_region(Some(self.region.clone()));
                let mut builder = DefaultCredentialsChain::builder()
                    .configure(conf)
                    .region(self.region.clone());
                if let Some(profile) = &self.profile {
                    builder = builder.profile_name(profile);
                }
                builder.build().await
            })
            .await
    }
}

impl ProvideCredentials for LazyDefaultChain {
    fn provide_credentials<'a>(&'a self) -> future::ProvideCredentials<'a>
    where
        Self: 'a,
    {
        future::ProvideCredentials::new(
            async move { self.chain().await.provide_credentials().await },
        )
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[test]
    fn the_retry_policy_maps_onto_the_sdk_retry_config() {
        let policy = RetryPolicy::new()
            .max_attempts(5)
            .initial_backoff(Duration::from_millis(250))
            .max_backoff(Duration::from_secs(4));
        let sdk = retry_config(&policy);
        assert_eq!(sdk.mode(), aws_sdk_s3::config::retry::RetryMode::Standard);
        assert_eq!(sdk.max_attempts(), 5);
        assert_eq!(sdk.initial_backoff(), Duration::from_millis(250));
        assert_eq!(sdk.max_backoff(), Duration::from_secs(4));
        assert_eq!(retry_config(&RetryPolicy::never()).max_attempts(), 1);

        // The defaults are today's: 3 attempts (2 retries), 100 ms first backoff.
        let default = retry_config(&S3Config::default().retry);
        assert_eq!(default.max_attempts(), 3);
        assert_eq!(default.initial_backoff(), Duration::from_millis(100));
    }

    #[test]
    fn the_deadline_is_the_operation_timeout() {
        let none = timeout_config(&S3Config::new("b"));
        assert_eq!(none.operation_timeout(), None);
        assert_eq!(
            none.connect_timeout(),
            Some(remote_store_core::timeouts::CONNECT)
        );
        let bounded = timeout_config(
            &S3Config::new("b").retry(RetryPolicy::new().deadline(Some(Duration::from_secs(20)))),
        );
        assert_eq!(bounded.operation_timeout(), Some(Duration::from_secs(20)));
    }
}

#[cfg(test)]
mod endpoint_tests {
    use super::*;

    fn resolve(resolver: &dyn ResolveEndpoint, params: &Params) -> Result<Endpoint, String> {
        futures::executor::block_on(resolver.resolve_endpoint(params)).map_err(|e| e.to_string())
    }

    #[test]
    fn the_keyless_resolver_answers_what_the_rules_answer() {
        let keyless = KeylessEndpoint::default();
        let rules = DefaultResolver::new();
        let cases = [
            // AWS, virtual-hosted and path style; a custom endpoint with and without a
            // path; a bucket name that cannot be a host name; an access point ARN; errors
            // (FIPS with a custom endpoint).
            Params::builder().bucket("reports").region("eu-west-1"),
            Params::builder()
                .bucket("reports")
                .region("us-east-1")
                .force_path_style(true),
            Params::builder()
                .bucket("b")
                .region("us-east-1")
                .endpoint("http://127.0.0.1:9000")
                .force_path_style(true),
            Params::builder()
                .bucket("b")
                .region("us-east-1")
                .endpoint("https://gateway.example.com/s3/"),
            Params::builder().bucket("Not.A.Host").region("us-west-2"),
            Params::builder()
                .bucket("arn:aws:s3:us-west-2:123456789012:accesspoint/reports")
                .region("us-west-2"),
            Params::builder()
                .bucket("b")
                .region("us-east-1")
                .endpoint("http://127.0.0.1:9000")
                .use_fips(true),
        ];
        for case in cases {
            for (key, prefix) in [
                (None, None),
                (Some("a.txt"), None),
                (Some("x/y z"), Some("x/")),
            ] {
                let params = case
                    .clone()
                    .set_key(key.map(str::to_owned))
                    .set_prefix(prefix.map(str::to_owned))
                    .build()
                    .unwrap();
                // Twice: the first answer is computed, the second remembered.
                for _ in 0..2 {
                    assert_eq!(
                        resolve(&keyless, &params),
                        resolve(&rules, &params),
                        "{params:?}"
                    );
                }
            }
        }
    }

    #[test]
    fn the_endpoint_params_are_the_known_ones() {
        // `KeylessEndpoint::keyless` copies every parameter but `key`, `prefix` and
        // `copy_source`. A parameter added by an SDK update must be copied there too
        // (and checked: does the rules engine read the object parameters now?).
        let shown = format!("{:?}", Params::builder().build().unwrap());
        let names: Vec<&str> = shown
            .split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .filter(|w| {
                w.contains('_')
                    || [
                        "bucket",
                        "region",
                        "endpoint",
                        "accelerate",
                        "key",
                        "prefix",
                    ]
                    .contains(w)
            })
            .collect();
        assert_eq!(
            names,
            [
                "bucket",
                "region",
                "use_fips",
                "use_dual_stack",
                "endpoint",
                "force_path_style",
                "accelerate",
                "use_global_endpoint",
                "use_object_lambda_endpoint",
                "key",
                "prefix",
                "copy_source",
                "disable_access_points",
                "disable_multi_region_access_points",
                "use_arn_region",
                "use_s3_express_control_endpoint",
                "disable_s3_express_session_auth",
            ],
            "{shown}"
        );
    }

    #[test]
    fn endpoint_precedence_is_config_then_s3_variable_then_generic_variable() {
        let env = |pairs: &'static [(&'static str, &'static str)]| {
            move |name: &str| {
                pairs
                    .iter()
                    .find(|(k, _)| *k == name)
                    .map(|(_, v)| (*v).to_owned())
            }
        };
        let all: &[(&str, &str)] = &[
            ("AWS_ENDPOINT_URL_S3", "http://s3-only:9000"),
            ("AWS_ENDPOINT_URL", "http://generic:9000"),
        ];
        let explicit = S3Config::new("b").endpoint("http://explicit:9000");
        assert_eq!(
            endpoint_of(&explicit, env(all)).as_deref(),
            Some("http://explicit:9000")
        );
        let plain = S3Config::new("b");
        assert_eq!(
            endpoint_of(&plain, env(all)).as_deref(),
            Some("http://s3-only:9000")
        );
        assert_eq!(
            endpoint_of(&plain, env(&[("AWS_ENDPOINT_URL", "http://generic:9000")])).as_deref(),
            Some("http://generic:9000")
        );
        assert_eq!(endpoint_of(&plain, env(&[])), None);
        assert_eq!(
            endpoint_of(
                &plain,
                env(&[
                    ("AWS_ENDPOINT_URL", "http://generic:9000"),
                    ("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", "true"),
                ])
            ),
            None
        );
    }
}
