//! [`SftpConfig`]: where to connect, how to log in, and which host keys to trust.

use std::fmt;
use std::path::PathBuf;
use std::time::Duration;

use remote_store_core::{Error, Result, RetryPolicy, Secret};
use serde::{Deserialize, Serialize};

/// Where a private key comes from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum PrivateKeySource {
    /// A key file (OpenSSH or PEM format).
    File(PathBuf),
    /// The key text itself (OpenSSH or PEM format).
    Inline(Secret),
}

/// How to log in.
///
/// In a serialized config this is a table tagged by `method`:
/// `{ "method": "password", "password": "..." }`,
/// `{ "method": "private_key", "key": { "file": "/home/me/.ssh/id_ed25519" }, "passphrase": null }`,
/// `{ "method": "agent" }`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "method", rename_all = "snake_case", deny_unknown_fields)]
#[non_exhaustive]
pub enum Auth {
    /// Password authentication.
    Password {
        /// The password.
        password: Secret,
    },
    /// Public-key authentication with a private key (Ed25519, ECDSA or RSA).
    PrivateKey {
        /// The key file or the key text.
        key: PrivateKeySource,
        /// The passphrase of an encrypted key.
        #[serde(default)]
        passphrase: Option<Secret>,
    },
    /// Public-key authentication through a running ssh-agent: every identity the agent
    /// offers is tried in turn.
    Agent {
        /// The agent's socket; `None` reads `SSH_AUTH_SOCK`.
        #[serde(default)]
        socket: Option<PathBuf>,
    },
}

impl Auth {
    /// Password authentication.
    pub fn password(password: impl Into<Secret>) -> Self {
        Auth::Password {
            password: password.into(),
        }
    }

    /// An unencrypted private key file.
    pub fn key_file(path: impl Into<PathBuf>) -> Self {
        Auth::PrivateKey {
            key: PrivateKeySource::File(path.into()),
            passphrase: None,
        }
    }

    /// A private key given as text (OpenSSH or PEM), with an optional passphrase.
    pub fn key_inline(text: impl Into<Secret>, passphrase: Option<Secret>) -> Self {
        Auth::PrivateKey {
            key: PrivateKeySource::Inline(text.into()),
            passphrase,
        }
    }

    /// The ssh-agent at `SSH_AUTH_SOCK`.
    pub fn agent() -> Self {
        Auth::Agent { socket: None }
    }
}

/// What to do with the server's host key.
///
/// | policy | known key | unknown key | changed key |
/// |---|---|---|---|
/// | `Strict` (default) | accepted | refused | refused |
/// | `TrustOnFirstUse` | accepted | recorded in `known_hosts_file`, accepted | refused |
/// | `AcceptAny` | accepted | accepted, warning logged | accepted, warning logged |
///
/// A refusal is `PermissionDenied` with a message naming the key's SHA256 fingerprint.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum HostKeyPolicy {
    /// Only keys listed in the known hosts are accepted.
    #[default]
    Strict,
    /// An unknown host's key is appended to `known_hosts_file` and accepted; a key that
    /// differs from a recorded one is refused.
    TrustOnFirstUse,
    /// Every key is accepted (tests only: this gives up protection against
    /// man-in-the-middle attacks). Logs a warning on each connect.
    AcceptAny,
}

/// The configuration of an SFTP backend. Build it with [`SftpConfig::new`] and the setters,
/// or deserialize it (unknown keys are refused). Durations are a number of seconds or text
/// such as `"500ms"`, `"30s"`, `"2m"` (see [`remote_store_core::duration`]). Passwords,
/// passphrases and inline keys are [`Secret`]s: `Debug` shows `***`, and serialising writes
/// their `${VAR}` reference or fails, never the value.
///
/// ```
/// use std::time::Duration;
/// use remote_store_sftp::{Auth, HostKeyPolicy, SftpConfig};
///
/// let config = SftpConfig::new("files.example.com", "deploy", Auth::key_file("/keys/id_ed25519"))
///     .port(2222)
///     .base_path("/srv/data")
///     .known_hosts_line("[files.example.com]:2222 ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIJdD7y3aLq454yWBdwLWbieU1ebz9/cu7/QEXn9OIeZJ")
///     .request_timeout(Duration::from_secs(30));
/// assert_eq!(config.host_key_policy, HostKeyPolicy::Strict);
/// assert!(config.validate().is_ok());
///
/// let json = r#"{ "host": "h", "username": "u", "auth": { "method": "password", "password": "pw" },
///                 "host_key_policy": "accept_any" }"#;
/// let config: SftpConfig = serde_json::from_str(json).unwrap();
/// assert!(!format!("{config:?}").contains("pw"));
/// ```
#[derive(Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct SftpConfig {
    /// Host name or address of the SSH server.
    pub host: String,
    /// SSH port (default 22).
    #[serde(default = "default_port")]
    pub port: u16,
    /// Login name.
    pub username: String,
    /// How to log in.
    pub auth: Auth,
    /// The directory on the server that is the backend's root: absolute, or relative to the
    /// login directory; empty means the login directory. It must exist (checked once, on
    /// the first call): a missing one makes every call fail with `NotFound` naming it,
    /// unless [`create_base_path`](Self::create_base_path) is set.
    #[serde(default)]
    pub base_path: String,
    /// Create a missing base directory (and its missing parents) on the first call instead
    /// of failing with `NotFound` (default false, like the local backend's `create_root`).
    #[serde(default)]
    pub create_base_path: bool,
    /// What to do with the server's host key (default: `Strict`).
    #[serde(default)]
    pub host_key_policy: HostKeyPolicy,
    /// Trusted host keys as `known_hosts` lines (`host[,host...] keytype base64`, also
    /// hashed `|1|salt|hash` and `[host]:port` forms).
    #[serde(default)]
    pub known_hosts: Vec<String>,
    /// An OpenSSH `known_hosts` file to trust (and, under `TrustOnFirstUse`, to append to).
    /// A missing file counts as empty.
    #[serde(default)]
    pub known_hosts_file: Option<PathBuf>,
    /// Limit for TCP connect, SSH handshake, authentication and SFTP start (default 15 s).
    #[serde(
        default = "default_connect_timeout",
        with = "remote_store_core::duration"
    )]
    pub connect_timeout: Duration,
    /// Limit for each SFTP request; a server that does not answer in time fails the call
    /// with `BackendUnavailable` and the connection is re-established (default 30 s).
    #[serde(
        default = "default_request_timeout",
        with = "remote_store_core::duration"
    )]
    pub request_timeout: Duration,
    /// The most SFTP channels opened on the one SSH connection, so concurrent operations
    /// do not queue behind each other (default 4).
    #[serde(default = "default_max_sessions")]
    pub max_sessions: usize,
    /// How often a connection is attempted when the backend (re)connects: `max_attempts`
    /// connects in all, waiting `initial_backoff` (doubling, up to `max_backoff`, with
    /// `jitter`) between them, within `deadline`, and only while the failure is retryable
    /// (refused or timed-out connections; never an authentication or host-key failure).
    /// Each attempt has its own `connect_timeout`. SFTP requests themselves are never
    /// repeated by the backend (a failed request fails its call; the next call reconnects);
    /// the retry layer repeats them. Default [`RetryPolicy::never`]: one connect attempt, so a
    /// dead server fails a call within one `connect_timeout`.
    #[serde(default = "RetryPolicy::never")]
    pub retry: RetryPolicy,
}

fn default_port() -> u16 {
    22
}
fn default_connect_timeout() -> Duration {
    Duration::from_secs(15)
}
fn default_request_timeout() -> Duration {
    Duration::from_secs(30)
}
fn default_max_sessions() -> usize {
    4
}

impl SftpConfig {
    /// A config for `username@host:22` with defaults: base path = login directory, `Strict`
    /// host keys with no known hosts yet, 15 s connect timeout, 30 s request timeout,
    /// 4 channels.
    pub fn new(host: impl Into<String>, username: impl Into<String>, auth: Auth) -> Self {
        SftpConfig {
            host: host.into(),
            port: default_port(),
            username: username.into(),
            auth,
            base_path: String::new(),
            create_base_path: false,
            host_key_policy: HostKeyPolicy::Strict,
            known_hosts: Vec::new(),
            known_hosts_file: None,
            connect_timeout: default_connect_timeout(),
            request_timeout: default_request_timeout(),
            max_sessions: default_max_sessions(),
            retry: RetryPolicy::never(),
        }
    }

    /// Sets the port.
    pub fn port(mut self, port: u16) -> Self {
        self.port = port;
        self
    }

    /// Sets the base path (the backend's root on the server).
    pub fn base_path(mut self, base_path: impl Into<String>) -> Self {
        self.base_path = base_path.into();
        self
    }

    /// Sets whether a missing base directory is created on the first call (see
    /// [`create_base_path`](Self::create_base_path)).
    pub fn create_base_path(mut self, yes: bool) -> Self {
        self.create_base_path = yes;
        self
    }

    /// Sets the host-key policy.
    pub fn host_key_policy(mut self, policy: HostKeyPolicy) -> Self {
        self.host_key_policy = policy;
        self
    }

    /// Adds one trusted `known_hosts` line.
    pub fn known_hosts_line(mut self, line: impl Into<String>) -> Self {
        self.known_hosts.push(line.into());
        self
    }

    /// Trusts (and under `TrustOnFirstUse` appends to) this `known_hosts` file.
    pub fn known_hosts_file(mut self, path: impl Into<PathBuf>) -> Self {
        self.known_hosts_file = Some(path.into());
        self
    }

    /// Sets the connect timeout.
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout;
        self
    }

    /// Sets the per-request timeout.
    pub fn request_timeout(mut self, timeout: Duration) -> Self {
        self.request_timeout = timeout;
        self
    }

    /// Sets the most SFTP channels to open.
    pub fn max_sessions(mut self, max_sessions: usize) -> Self {
        self.max_sessions = max_sessions;
        self
    }

    /// Sets [`retry`](Self::retry): the connect attempts.
    pub fn retry(mut self, policy: RetryPolicy) -> Self {
        self.retry = policy;
        self
    }

    /// Checks the values without connecting.
    ///
    /// # Errors
    /// `InvalidArgument` naming the field: an empty host or user, zero timeouts or
    /// `max_sessions`, `TrustOnFirstUse` without a `known_hosts_file`, or a known-hosts line
    /// that cannot be parsed.
    pub fn validate(&self) -> Result<()> {
        let bad = |why: &str| Err(Error::invalid_argument(format!("sftp config: {why}")));
        if self.host.trim().is_empty() {
            return bad("host is empty");
        }
        if self.username.is_empty() {
            return bad("username is empty");
        }
        if self.connect_timeout.is_zero() {
            return bad("connect_timeout must be positive");
        }
        if self.request_timeout.is_zero() {
            return bad("request_timeout must be positive");
        }
        if self.max_sessions == 0 {
            return bad("max_sessions must be at least 1");
        }
        if let Err(e) = self.retry.validate() {
            return bad(e.message().unwrap_or("retry is invalid"));
        }
        if self.host_key_policy == HostKeyPolicy::TrustOnFirstUse && self.known_hosts_file.is_none()
        {
            return bad(
                "host_key_policy trust_on_first_use needs known_hosts_file to record keys in",
            );
        }
        for line in &self.known_hosts {
            crate::known_hosts::KnownHosts::parse_line(line)
                .map_err(|e| Error::invalid_argument(format!("sftp config: known_hosts: {e}")))?;
        }
        Ok(())
    }
}

impl fmt::Debug for SftpConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SftpConfig")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("username", &self.username)
            .field("auth", &self.auth)
            .field("base_path", &self.base_path)
            .field("host_key_policy", &self.host_key_policy)
            .field("known_hosts", &self.known_hosts.len())
            .field("known_hosts_file", &self.known_hosts_file)
            .field("connect_timeout", &self.connect_timeout)
            .field("request_timeout", &self.request_timeout)
            .field("max_sessions", &self.max_sessions)
            .field("retry", &self.retry)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(json: &str) -> std::result::Result<SftpConfig, String> {
        serde_json::from_str(json).map_err(|e| e.to_string())
    }

    #[test]
    fn serde_defaults_and_unknown_keys() {
        let c = parse(r#"{"host":"h","username":"u","auth":{"method":"agent"}}"#).unwrap();
        assert_eq!(c.port, 22);
        assert_eq!(c.host_key_policy, HostKeyPolicy::Strict);
        assert_eq!(c.max_sessions, 4);
        assert_eq!(c.request_timeout, Duration::from_secs(30));
        let c = parse(
            r#"{"host":"h","username":"u","request_timeout":2.5,"connect_timeout":"2m",
                "auth":{"method":"private_key","key":{"inline":"KEY"},"passphrase":"pp"}}"#,
        )
        .unwrap();
        assert_eq!(c.request_timeout, Duration::from_millis(2500));
        assert_eq!(c.connect_timeout, Duration::from_secs(120));
        assert!(matches!(
            c.auth,
            Auth::PrivateKey {
                passphrase: Some(_),
                ..
            }
        ));
        let debug = format!("{c:?}");
        assert!(!debug.contains("KEY") && !debug.contains("pp"), "{debug}");

        let unknown_top =
            parse(r#"{"host":"h","username":"u","auth":{"method":"agent"},"hots":1}"#);
        assert!(unknown_top.unwrap_err().contains("hots"));
        let unknown_auth = parse(
            r#"{"host":"h","username":"u","auth":{"method":"password","password":"x","pw":1}}"#,
        );
        assert!(unknown_auth.unwrap_err().contains("pw"));
        assert!(parse(r#"{"host":"h","username":"u","auth":{"method":"telepathy"}}"#).is_err());
    }

    #[test]
    fn retry_is_the_connect_policy() {
        let c = parse(r#"{"host":"h","username":"u","auth":{"method":"agent"}}"#).unwrap();
        assert_eq!(
            c.retry,
            RetryPolicy::never(),
            "one connect attempt by default"
        );
        let c = parse(
            r#"{"host":"h","username":"u","auth":{"method":"agent"},
                "retry":{"max_attempts":4,"initial_backoff":"1s","deadline":"30s"}}"#,
        )
        .unwrap();
        assert_eq!(c.retry.max_attempts, 4);
        assert_eq!(c.retry.initial_backoff, Duration::from_secs(1));
        assert_eq!(c.retry.deadline, Some(Duration::from_secs(30)));
        assert!(format!("{c:?}").contains("max_attempts: 4"));
        let json = serde_json::to_string(&c).unwrap();
        assert!(
            json.contains(r#""retry":{"max_attempts":4,"initial_backoff":"1s""#),
            "{json}"
        );
        let mut bad = c.clone();
        bad.retry.jitter = -1.0;
        let e = bad.validate().unwrap_err();
        assert!(e.to_string().contains("retry jitter"), "{e}");
    }

    #[test]
    fn validation() {
        let ok = SftpConfig::new("h", "u", Auth::password("p"));
        assert!(ok.validate().is_ok());
        let tofu = ok.clone().host_key_policy(HostKeyPolicy::TrustOnFirstUse);
        assert!(
            tofu.validate()
                .unwrap_err()
                .to_string()
                .contains("known_hosts_file")
        );
        assert!(tofu.known_hosts_file("/tmp/kh").validate().is_ok());
        assert!(ok.clone().max_sessions(0).validate().is_err());
        assert!(
            ok.clone()
                .request_timeout(Duration::ZERO)
                .validate()
                .is_err()
        );
        assert!(
            ok.clone()
                .known_hosts_line("h ssh-ed25519 !!")
                .validate()
                .is_err()
        );
        assert!(SftpConfig::new(" ", "u", Auth::agent()).validate().is_err());
    }
}
