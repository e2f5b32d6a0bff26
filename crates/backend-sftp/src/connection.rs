//! One lazily opened SSH connection with a small pool of SFTP channels.
//!
//! [`Client::lease`] hands out a channel for one operation (or one open stream). The first
//! call connects (within `connect_timeout`); later calls reuse the connection and open up to
//! `max_sessions` channels while every existing one is busy, so concurrent tasks do not
//! queue behind each other on one channel (OpenSSH serves each channel with its own
//! process). Every request runs under `request_timeout`. A transport failure or a timeout marks
//! the connection broken: the failing call returns `BackendUnavailable` and the next call
//! connects afresh.

use std::collections::HashMap;
use std::fmt;
use std::future::Future;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use remote_store_core::{Error, Result};
use russh::client::{self, AuthResult};
use russh::keys::{PrivateKeyWithHashAlg, PublicKeyOrCertificate};
use russh_sftp::client::RawSftpSession;
use russh_sftp::client::error::Error as SftpError;
use russh_sftp::protocol::{Packet, StatusCode};
use tokio::io::AsyncWriteExt;

use crate::config::{Auth, HostKeyPolicy, PrivateKeySource, SftpConfig};
use crate::error::{NAME, is_connection_error, map_io, map_ssh};
use crate::known_hosts::{self, KnownHosts, Verdict};

/// The OpenSSH extension for an atomic, replacing rename.
pub(crate) const POSIX_RENAME: &str = "posix-rename@openssh.com";
/// Ciphers in order of preference: AES-GCM first (hardware-accelerated on the machines
/// this targets, and cheaper for the server too), then russh's defaults.
const CIPHERS: &[russh::cipher::Name] = &[
    russh::cipher::AES_256_GCM,
    russh::cipher::AES_128_GCM,
    russh::cipher::CHACHA20_POLY1305,
    russh::cipher::AES_256_CTR,
    russh::cipher::AES_192_CTR,
    russh::cipher::AES_128_CTR,
];

/// The extension for a server-side copy between two open handles.
pub(crate) const COPY_DATA: &str = "copy-data";

/// A number in `0.0..1.0` for the retry policy's jitter: std's randomly keyed hasher,
/// fresh per call (no random-number crate for one draw per connect retry).
fn random_unit() -> f64 {
    use std::hash::{BuildHasher, Hasher};
    let bits = std::collections::hash_map::RandomState::new()
        .build_hasher()
        .finish();
    (bits >> 11) as f64 / (1u64 << 53) as f64
}

/// The shared state of one backend: its config and the current connection, if any.
pub(crate) struct Client {
    pub(crate) config: SftpConfig,
    current: tokio::sync::Mutex<Option<Arc<Conn>>>,
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Client")
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

impl Client {
    pub(crate) fn new(config: SftpConfig) -> Self {
        Client {
            config,
            current: tokio::sync::Mutex::new(None),
        }
    }

    /// A channel for one operation, connecting first if needed.
    pub(crate) async fn lease(&self) -> Result<Lease> {
        let conn = self.connection().await?;
        match conn.lease().await {
            Ok(lease) => Ok(lease),
            Err(e) => {
                conn.mark_broken();
                Err(e)
            }
        }
    }

    /// The live connection, or a new one.
    pub(crate) async fn connection(&self) -> Result<Arc<Conn>> {
        let mut current = self.current.lock().await;
        if let Some(conn) = current.as_ref() {
            if conn.is_alive() {
                return Ok(conn.clone());
            }
            tracing::debug!(
                "sftp: connection to {} lost; reconnecting",
                self.config.host
            );
            if let Some(old) = current.take() {
                old.shut_down();
            }
        }
        let conn = Arc::new(self.connect_with_retries().await?);
        *current = Some(conn.clone());
        Ok(conn)
    }

    /// Connects, retrying a retryable failure (refused, reset, timed out) as
    /// `config.retry` says; authentication, host-key and config errors end it at once.
    async fn connect_with_retries(&self) -> Result<Conn> {
        let policy = &self.config.retry;
        let started = std::time::Instant::now();
        let mut retry = 0u32;
        loop {
            let err = match Conn::connect(&self.config).await {
                Ok(conn) => return Ok(conn),
                Err(err) => err,
            };
            retry += 1;
            let wait = if err.is_retryable() {
                policy.delay(retry, started.elapsed(), random_unit())
            } else {
                None
            };
            let Some(wait) = wait else {
                return Err(err);
            };
            tracing::debug!(
                host = %self.config.host,
                retry,
                wait_ms = wait.as_millis() as u64,
                error = %err,
                "sftp: connect failed; retrying"
            );
            tokio::time::sleep(wait).await;
        }
    }

    /// Drops the connection (the next call connects again).
    pub(crate) async fn disconnect(&self) {
        if let Some(conn) = self.current.lock().await.take() {
            let goodbye = conn
                .handle
                .disconnect(russh::Disconnect::ByApplication, "", "en");
            // A silent server must not hang `close`.
            let _ = tokio::time::timeout(conn.request_timeout, goodbye).await;
            conn.shut_down();
        }
    }
}

/// The most handles open at once on one channel. OpenSSH's handles are 4-byte indexes
/// that russh-sftp decodes as (lossy) UTF-8, so an index with a byte of 128 or more would
/// be corrupted; OpenSSH reuses the lowest free indexes, so staying below 128 open handles
/// per channel keeps every index a single ASCII byte.
const MAX_HANDLES_PER_CHANNEL: usize = 120;

/// Held while a handle is open on a channel (see [`MAX_HANDLES_PER_CHANNEL`]).
pub(crate) type HandlePermit = tokio::sync::OwnedSemaphorePermit;

/// One SFTP channel and how many operations use it.
struct Slot {
    raw: Arc<RawSftpSession>,
    busy: AtomicUsize,
    handles: Arc<tokio::sync::Semaphore>,
}

/// One SSH connection and its SFTP channels.
pub(crate) struct Conn {
    handle: client::Handle<Handler>,
    slots: Mutex<Vec<Arc<Slot>>>,
    opening: AtomicBool,
    broken: AtomicBool,
    extensions: HashMap<String, String>,
    request_timeout: Duration,
    max_sessions: usize,
}

impl Conn {
    async fn connect(config: &SftpConfig) -> Result<Conn> {
        config.validate()?;
        let handler = Handler::new(config).await?;
        let rejection = handler.rejection.clone();
        let attempt = Self::connect_inner(config, handler);
        match tokio::time::timeout(config.connect_timeout, attempt).await {
            Ok(Ok(conn)) => Ok(conn),
            Ok(Err(e)) => Err(rejection
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .take()
                .unwrap_or(e)),
            Err(_) => Err(Error::unavailable(format!(
                "connecting to {}:{} timed out after {:?} (connect_timeout)",
                config.host, config.port, config.connect_timeout
            ))
            .with_backend(NAME)),
        }
    }

    async fn connect_inner(config: &SftpConfig, handler: Handler) -> Result<Conn> {
        let ssh_config = Arc::new(client::Config {
            nodelay: true,
            // Room for many pipelined reads in flight before the server must wait.
            window_size: 16 * 1024 * 1024,
            preferred: russh::Preferred {
                cipher: std::borrow::Cow::Borrowed(CIPHERS),
                ..russh::Preferred::default()
            },
            ..client::Config::default()
        });
        let addr = (config.host.as_str(), config.port);
        let mut handle = client::connect(ssh_config, addr, handler)
            .await
            .map_err(|e| match e {
                russh::Error::IO(io) => map_io(
                    io,
                    &format!("cannot connect to {}:{}", config.host, config.port),
                ),
                other => map_ssh(other),
            })?;
        authenticate(&mut handle, config).await?;
        let mut conn = Conn {
            handle,
            slots: Mutex::new(Vec::new()),
            opening: AtomicBool::new(false),
            broken: AtomicBool::new(false),
            extensions: HashMap::new(),
            request_timeout: config.request_timeout,
            max_sessions: config.max_sessions,
        };
        let (slot, extensions) = conn.open_slot().await?;
        conn.extensions = extensions;
        conn.slots
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .push(slot);
        Ok(conn)
    }

    /// Opens one more SFTP channel, within `request_timeout`.
    async fn open_slot(&self) -> Result<(Arc<Slot>, HashMap<String, String>)> {
        match tokio::time::timeout(self.request_timeout, self.open_slot_inner()).await {
            Ok(result) => result,
            Err(_) => Err(Error::unavailable(
                "opening an SFTP channel timed out (request_timeout)",
            )
            .with_backend(NAME)),
        }
    }

    async fn open_slot_inner(&self) -> Result<(Arc<Slot>, HashMap<String, String>)> {
        let unavailable = |e: russh::Error| map_ssh(e).with_message("cannot open an SFTP channel");
        let channel = self
            .handle
            .channel_open_session()
            .await
            .map_err(unavailable)?;
        channel
            .request_subsystem(true, "sftp")
            .await
            .map_err(unavailable)?;
        let sftp_config = russh_sftp::client::Config {
            // Our own timeout (request_timeout, below) is the one that counts; this is a backstop.
            request_timeout_secs: self.request_timeout.as_secs().saturating_add(5),
            ..Default::default()
        };
        let raw = RawSftpSession::new_with_config(channel.into_stream(), sftp_config);
        let version = match tokio::time::timeout(self.request_timeout, raw.init()).await {
            Ok(Ok(version)) => version,
            Ok(Err(e)) => {
                return Err(crate::error::map_sftp(e, "")
                    .with_message("the server did not start the SFTP subsystem"));
            }
            Err(_) => {
                return Err(Error::unavailable("SFTP start timed out").with_backend(NAME));
            }
        };
        let slot = Arc::new(Slot {
            raw: Arc::new(raw),
            busy: AtomicUsize::new(0),
            handles: Arc::new(tokio::sync::Semaphore::new(MAX_HANDLES_PER_CHANNEL)),
        });
        Ok((slot, version.extensions))
    }

    fn is_alive(&self) -> bool {
        !self.broken.load(Ordering::Acquire) && !self.handle.is_closed()
    }

    pub(crate) fn mark_broken(&self) {
        self.broken.store(true, Ordering::Release);
    }

    fn shut_down(&self) {
        self.mark_broken();
        for slot in self
            .slots
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .drain(..)
        {
            let _ = slot.raw.close_session();
        }
    }

    /// Whether the server offers `name` (an SFTP extension) at `version`.
    pub(crate) fn has_extension(&self, name: &str, version: &str) -> bool {
        self.extensions.get(name).is_some_and(|v| v == version)
    }

    /// The server's SFTP extensions.
    pub(crate) fn extensions(&self) -> &HashMap<String, String> {
        &self.extensions
    }

    /// The least busy channel; opens another one when all are busy and the pool has room.
    async fn lease(self: &Arc<Self>) -> Result<Lease> {
        let (best, open) = {
            let slots = self
                .slots
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            let best = slots
                .iter()
                .min_by_key(|s| {
                    (
                        s.handles.available_permits() == 0,
                        s.busy.load(Ordering::Relaxed),
                    )
                })
                .cloned();
            let all_busy = best
                .as_ref()
                .is_none_or(|s| s.busy.load(Ordering::Relaxed) > 0);
            let open = all_busy
                && slots.len() < self.max_sessions
                && !self.opening.swap(true, Ordering::AcqRel);
            (best, open)
        };
        if open {
            let opened = self.open_slot().await;
            self.opening.store(false, Ordering::Release);
            match opened {
                Ok((slot, _)) => {
                    self.slots
                        .lock()
                        .unwrap_or_else(std::sync::PoisonError::into_inner)
                        .push(slot.clone());
                    return Ok(Lease::new(self.clone(), slot));
                }
                Err(e) => {
                    tracing::debug!("sftp: could not open another channel: {e}");
                    if best.is_none() {
                        return Err(e);
                    }
                }
            }
        }
        match best {
            Some(slot) => Ok(Lease::new(self.clone(), slot)),
            None => Err(Error::unavailable("no SFTP channel is open").with_backend(NAME)),
        }
    }
}

/// One operation's use of a channel; counts as busy until dropped.
pub(crate) struct Lease {
    conn: Arc<Conn>,
    slot: Arc<Slot>,
    /// The runtime the lease was taken on, for clean-up sent from `Drop`.
    runtime: Option<tokio::runtime::Handle>,
}

impl fmt::Debug for Lease {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Lease").finish_non_exhaustive()
    }
}

impl Lease {
    fn new(conn: Arc<Conn>, slot: Arc<Slot>) -> Self {
        slot.busy.fetch_add(1, Ordering::AcqRel);
        Lease {
            conn,
            slot,
            runtime: tokio::runtime::Handle::try_current().ok(),
        }
    }

    /// Runs `cleanup` (a close or remove) in the background on the lease's runtime. If it
    /// cannot run, the connection is retired so the server drops its handles with it.
    pub(crate) fn spawn_cleanup(&self, cleanup: impl Future<Output = ()> + Send + 'static) {
        let runtime = tokio::runtime::Handle::try_current()
            .ok()
            .or_else(|| self.runtime.clone());
        match runtime {
            Some(rt) => drop(rt.spawn(cleanup)),
            None => self.conn.mark_broken(),
        }
    }

    /// The channel.
    pub(crate) fn raw(&self) -> &Arc<RawSftpSession> {
        &self.slot.raw
    }

    /// Waits (up to `request_timeout`) for room to open one more handle on this channel; hold
    /// the permit until the handle's close has been sent.
    ///
    /// # Errors
    /// `BackendUnavailable` when every handle of the channel stays in use (too many read
    /// streams or listings held open at once).
    pub(crate) async fn handle_permit(&self) -> Result<HandlePermit> {
        let wait = self.slot.handles.clone().acquire_owned();
        match tokio::time::timeout(self.conn.request_timeout, wait).await {
            Ok(Ok(permit)) => Ok(permit),
            _ => Err(Error::unavailable(format!(
                "too many open SFTP handles: {MAX_HANDLES_PER_CHANNEL} per channel are in use \
                 (close read streams and listings, or raise max_sessions)"
            ))
            .with_backend(NAME)),
        }
    }

    /// The connection.
    pub(crate) fn conn(&self) -> &Arc<Conn> {
        &self.conn
    }

    /// Runs one request under `request_timeout`; a timeout or a transport failure marks the
    /// connection broken so the next call reconnects.
    pub(crate) async fn run<T>(
        &self,
        request: impl Future<Output = std::result::Result<T, SftpError>>,
    ) -> std::result::Result<T, SftpError> {
        if self.conn.broken.load(Ordering::Acquire) {
            // An earlier request timed out or the transport failed: a request on this
            // connection would only wait out its own timeout (clean-up after a stalled
            // upload would take three). Fail at once; the next call reconnects.
            return Err(SftpError::IO(
                "the SFTP connection failed earlier in this call".to_owned(),
            ));
        }
        let result = match tokio::time::timeout(self.conn.request_timeout, request).await {
            Ok(result) => result,
            Err(_) => Err(SftpError::Timeout),
        };
        if let Err(e) = &result
            && is_connection_error(e)
        {
            self.conn.mark_broken();
        }
        result
    }

    /// `posix-rename@openssh.com`: renames, atomically replacing an existing target.
    pub(crate) async fn posix_rename(
        &self,
        from: &str,
        to: &str,
    ) -> std::result::Result<(), SftpError> {
        let mut data = Vec::with_capacity(8 + from.len() + to.len());
        for s in [from, to] {
            data.extend_from_slice(&(s.len() as u32).to_be_bytes());
            data.extend_from_slice(s.as_bytes());
        }
        self.extended_status(POSIX_RENAME, data).await
    }

    /// `copy-data`: copies `len` bytes at `offset` of the open `from` handle to the same
    /// offset of the open `to` handle, on the server (fewer at the source's end). One
    /// request, held to the request timeout like any other: callers copy big files in
    /// pieces.
    pub(crate) async fn copy_data(
        &self,
        from: &str,
        to: &str,
        offset: u64,
        len: u64,
    ) -> std::result::Result<(), SftpError> {
        let mut data = Vec::with_capacity(32 + from.len() + to.len());
        data.extend_from_slice(&(from.len() as u32).to_be_bytes());
        data.extend_from_slice(from.as_bytes());
        data.extend_from_slice(&offset.to_be_bytes()); // read offset
        data.extend_from_slice(&len.to_be_bytes()); // length (0 would be: to the end)
        data.extend_from_slice(&(to.len() as u32).to_be_bytes());
        data.extend_from_slice(to.as_bytes());
        data.extend_from_slice(&offset.to_be_bytes()); // write offset
        self.extended_status(COPY_DATA, data).await
    }

    async fn extended_status(
        &self,
        name: &str,
        data: Vec<u8>,
    ) -> std::result::Result<(), SftpError> {
        let raw = self.raw().clone();
        match self.run(raw.extended(name.to_owned(), data)).await? {
            Packet::Status(status) if status.status_code == StatusCode::Ok => Ok(()),
            Packet::Status(status) => Err(SftpError::Status(status)),
            _ => Err(SftpError::UnexpectedPacket),
        }
    }
}

impl Drop for Lease {
    fn drop(&mut self) {
        self.slot.busy.fetch_sub(1, Ordering::AcqRel);
    }
}

/// Logs in with the configured method.
async fn authenticate(handle: &mut client::Handle<Handler>, config: &SftpConfig) -> Result<()> {
    let user = config.username.clone();
    let denied = |what: &str| {
        Error::permission_denied(format!(
            "SSH authentication as '{}' by {what} was refused",
            config.username
        ))
        .with_backend(NAME)
    };
    match &config.auth {
        Auth::Password { password } => {
            let result = handle
                .authenticate_password(user, password.expose())
                .await
                .map_err(map_ssh)?;
            success(result).ok_or_else(|| denied("password"))
        }
        Auth::PrivateKey { key, passphrase } => {
            let passphrase = passphrase.as_ref().map(|p| p.expose());
            let key = match key {
                PrivateKeySource::File(path) => {
                    let text = tokio::fs::read_to_string(path).await.map_err(|e| {
                        let why = format!("cannot read private key {}: {e}", path.display());
                        map_io(e, &why)
                    })?;
                    decode_key(&text, passphrase).map_err(|why| {
                        Error::invalid_argument(format!("private key {}: {why}", path.display()))
                    })?
                }
                PrivateKeySource::Inline(text) => decode_key(text.expose(), passphrase)
                    .map_err(|why| Error::invalid_argument(format!("inline private key: {why}")))?,
            };
            let key = Arc::new(key);
            let hash = if key.algorithm().is_rsa() {
                handle
                    .best_supported_rsa_hash()
                    .await
                    .map_err(map_ssh)?
                    .flatten()
            } else {
                None
            };
            let result = handle
                .authenticate_publickey(user, PrivateKeyWithHashAlg::new(key, hash))
                .await
                .map_err(map_ssh)?;
            success(result).ok_or_else(|| denied("public key"))
        }
        Auth::Agent { socket } => authenticate_with_agent(handle, config, socket.as_ref()).await,
    }
}

fn decode_key(
    text: &str,
    passphrase: Option<&str>,
) -> std::result::Result<russh::keys::PrivateKey, String> {
    // The error may describe the key, never contains it; the passphrase is not echoed.
    russh::keys::decode_secret_key(text, passphrase).map_err(|e| match e {
        russh::keys::Error::KeyIsEncrypted => "the key is encrypted and needs a passphrase".into(),
        other => format!("cannot decode ({other})"),
    })
}

#[cfg(unix)]
async fn authenticate_with_agent(
    handle: &mut client::Handle<Handler>,
    config: &SftpConfig,
    socket: Option<&PathBuf>,
) -> Result<()> {
    use russh::keys::agent::AgentIdentity;
    use russh::keys::agent::client::AgentClient;

    let agent = match socket {
        Some(path) => AgentClient::connect_uds(path).await,
        None => AgentClient::connect_env().await,
    };
    let mut agent = agent.map_err(|e| {
        Error::invalid_argument(format!("cannot reach the ssh-agent: {e}")).with_backend(NAME)
    })?;
    let identities = agent.request_identities().await.map_err(|e| {
        Error::unavailable(format!("the ssh-agent did not list its keys: {e}")).with_backend(NAME)
    })?;
    for identity in identities {
        let AgentIdentity::PublicKey { key, .. } = identity else {
            continue;
        };
        let hash = if key.algorithm().is_rsa() {
            handle
                .best_supported_rsa_hash()
                .await
                .map_err(map_ssh)?
                .flatten()
        } else {
            None
        };
        match handle
            .authenticate_publickey_with(config.username.clone(), key, hash, &mut agent)
            .await
        {
            Ok(AuthResult::Success) => return Ok(()),
            Ok(AuthResult::Failure { .. }) => continue,
            Err(e) => tracing::debug!("sftp: agent key refused: {e:?}"),
        }
    }
    Err(Error::permission_denied(format!(
        "SSH authentication as '{}' with the ssh-agent's keys was refused",
        config.username
    ))
    .with_backend(NAME))
}

#[cfg(not(unix))]
async fn authenticate_with_agent(
    _handle: &mut client::Handle<Handler>,
    _config: &SftpConfig,
    _socket: Option<&PathBuf>,
) -> Result<()> {
    Err(
        Error::invalid_argument("ssh-agent authentication is only supported on Unix")
            .with_backend(NAME),
    )
}

fn success(result: AuthResult) -> Option<()> {
    matches!(result, AuthResult::Success).then_some(())
}

/// The russh client handler: verifies the host key by the configured policy.
pub(crate) struct Handler {
    host: String,
    port: u16,
    policy: HostKeyPolicy,
    known: KnownHosts,
    known_hosts_file: Option<PathBuf>,
    /// `known_hosts_file` did not exist when the connection started: an unknown key is then
    /// most likely a wrong path, and the error says so.
    file_missing: bool,
    /// Why the key was refused, for the error the caller sees.
    rejection: Arc<Mutex<Option<Error>>>,
}

impl Handler {
    /// The handler for `config`: its inline `known_hosts` lines and its `known_hosts_file`
    /// (a missing file is not an error here: trust-on-first-use creates it, and a strict
    /// check reports it when it refuses a key).
    async fn new(config: &SftpConfig) -> Result<Handler> {
        let mut known = KnownHosts::default();
        for line in &config.known_hosts {
            known.add_text(line);
        }
        let mut file_missing = false;
        if let Some(path) = &config.known_hosts_file {
            match tokio::fs::read_to_string(path).await {
                Ok(text) => known.add_text(&text),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => file_missing = true,
                Err(e) => {
                    return Err(map_io(
                        e,
                        &format!("cannot read known_hosts_file {}", path.display()),
                    ));
                }
            }
        }
        Ok(Handler {
            host: config.host.clone(),
            port: config.port,
            policy: config.host_key_policy,
            known,
            known_hosts_file: config.known_hosts_file.clone(),
            file_missing,
            rejection: Arc::new(Mutex::new(None)),
        })
    }

    /// The refusal of an unknown key under `strict`: names a missing `known_hosts_file`
    /// first, since that is the likely cause.
    fn unknown_key(&self, name: &str, fingerprint: &str) -> Error {
        let (host, port) = (&self.host, self.port);
        let missing = match &self.known_hosts_file {
            Some(path) if self.file_missing => format!(
                "known_hosts_file {} does not exist, so no host key was loaded from it; check \
                 the path. ",
                path.display()
            ),
            _ => String::new(),
        };
        Error::permission_denied(format!(
            "unknown host key for {name}: {fingerprint} (host_key_policy = strict). {missing}\
             To trust it, add the server's key to known_hosts (e.g. \
             `ssh-keyscan -p {port} {host} >> known_hosts`, after checking the fingerprint \
             with `ssh-keygen -lf`), or use trust_on_first_use"
        ))
    }

    fn refuse(&self, error: Error) -> bool {
        *self
            .rejection
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = Some(error.with_backend(NAME));
        false
    }

    async fn learn(&self, key: &russh::keys::PublicKey) -> Result<()> {
        let Some(path) = &self.known_hosts_file else {
            return Err(Error::invalid_argument(
                "trust_on_first_use needs known_hosts_file",
            ));
        };
        let existing = match tokio::fs::read(path).await {
            Ok(bytes) => bytes,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Vec::new(),
            Err(e) => return Err(map_io(e, &format!("cannot read {}", path.display()))),
        };
        let mut line = known_hosts::line_for(&self.host, self.port, key);
        if existing.last().is_some_and(|&b| b != b'\n') {
            line.insert(0, '\n');
        }
        if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            tokio::fs::create_dir_all(parent)
                .await
                .map_err(|e| map_io(e, &format!("cannot create {}", parent.display())))?;
        }
        let mut file = tokio::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .await
            .map_err(|e| map_io(e, &format!("cannot open {}", path.display())))?;
        file.write_all(line.as_bytes())
            .await
            .map_err(|e| map_io(e, &format!("cannot append to {}", path.display())))?;
        file.flush()
            .await
            .map_err(|e| map_io(e, &format!("cannot append to {}", path.display())))?;
        Ok(())
    }
}

impl client::Handler for Handler {
    type Error = russh::Error;

    async fn check_server_key(
        &mut self,
        server_public_key: &PublicKeyOrCertificate,
    ) -> std::result::Result<bool, Self::Error> {
        let name = known_hosts::lookup_name(&self.host, self.port);
        let key = match server_public_key {
            PublicKeyOrCertificate::PublicKey { key, .. } => key,
            PublicKeyOrCertificate::Certificate(cert) => {
                if self.policy == HostKeyPolicy::AcceptAny {
                    tracing::warn!(
                        "sftp: accepting the host certificate of {name} without checking it \
                         (host_key_policy = accept_any)"
                    );
                    return Ok(true);
                }
                let _ = cert;
                return Ok(self.refuse(Error::permission_denied(format!(
                    "the SSH server {name} presented a host certificate; host certificates are \
                     not supported: list its plain host key in known_hosts"
                ))));
            }
        };
        let fingerprint = known_hosts::fingerprint(key);
        let verdict = self.known.check(&self.host, self.port, key);
        match (self.policy, verdict) {
            (_, Verdict::Known) => Ok(true),
            (HostKeyPolicy::AcceptAny, verdict) => {
                tracing::warn!(
                    "sftp: accepting host key {fingerprint} of {name} without verification \
                     (host_key_policy = accept_any; known_hosts says {verdict:?}); \
                     use only in tests"
                );
                Ok(true)
            }
            (_, Verdict::Revoked) => Ok(self.refuse(Error::permission_denied(format!(
                "the host key {fingerprint} of {name} is marked @revoked in known_hosts"
            )))),
            (_, Verdict::Changed(old)) => Ok(self.refuse(Error::permission_denied(format!(
                "HOST KEY CHANGED for {name}: the server presented {fingerprint} but known_hosts \
                 records {old}. This may be a man-in-the-middle attack; if the change is \
                 expected, remove the old line from known_hosts and add the new key"
            )))),
            (HostKeyPolicy::Strict, Verdict::Unknown) => {
                Ok(self.refuse(self.unknown_key(&name, &fingerprint)))
            }
            (HostKeyPolicy::TrustOnFirstUse, Verdict::Unknown) => match self.learn(key).await {
                Ok(()) => {
                    tracing::info!(
                        "sftp: trusting new host key {fingerprint} of {name} (trust on first use)"
                    );
                    Ok(true)
                }
                Err(e) => Ok(self.refuse(e)),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Auth;
    use client::Handler as _;

    const KEY: &str = "AAAAC3NzaC1lZDI1NTE5AAAAIJdD7y3aLq454yWBdwLWbieU1ebz9/cu7/QEXn9OIeZJ";

    /// A port on which nothing listens (bound, then released).
    fn closed_port() -> u16 {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    }

    fn refused_config(retry: remote_store_core::RetryPolicy) -> SftpConfig {
        SftpConfig::new("127.0.0.1", "u", Auth::password("pw"))
            .port(closed_port())
            .retry(retry)
    }

    #[tokio::test]
    async fn a_refused_connect_is_retried_as_the_policy_says() {
        use std::time::{Duration, Instant};
        let ms = Duration::from_millis;
        // Three attempts, waiting 60 then 120 ms: at least 180 ms, and a retryable error.
        let policy = remote_store_core::RetryPolicy::new()
            .max_attempts(3)
            .initial_backoff(ms(60))
            .jitter(0.0);
        let client = Client::new(refused_config(policy));
        let started = Instant::now();
        let err = client.connection().await.err().unwrap();
        let took = started.elapsed();
        assert!(err.is_retryable(), "{err}");
        assert!(took >= ms(180), "two waits of 60 and 120 ms, took {took:?}");

        // The default: one attempt, no wait.
        let client = Client::new(refused_config(remote_store_core::RetryPolicy::never()));
        let started = Instant::now();
        assert!(client.connection().await.is_err());
        assert!(started.elapsed() < ms(180), "no retry by default");

        // A deadline shorter than the first wait stops after one attempt.
        let policy = remote_store_core::RetryPolicy::new()
            .max_attempts(10)
            .initial_backoff(Duration::from_secs(5))
            .max_backoff(Duration::from_secs(5))
            .jitter(0.0)
            .deadline(Some(ms(500)));
        let client = Client::new(refused_config(policy));
        let started = Instant::now();
        assert!(client.connection().await.is_err());
        assert!(
            started.elapsed() < Duration::from_secs(2),
            "the deadline bounds the retries"
        );
    }

    /// What a strict check says about an unknown key, with `config`'s known hosts.
    async fn refusal(config: &SftpConfig) -> String {
        let mut handler = Handler::new(config).await.unwrap();
        let key = PublicKeyOrCertificate::PublicKey {
            key: russh::keys::parse_public_key_base64(KEY).unwrap(),
            hash_alg: None,
        };
        assert!(!handler.check_server_key(&key).await.unwrap());
        let e = handler.rejection.lock().unwrap().take().unwrap();
        assert_eq!(e.kind(), remote_store_core::ErrorKind::PermissionDenied);
        e.to_string()
    }

    #[tokio::test]
    async fn a_missing_known_hosts_file_is_named_when_a_key_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let missing = dir.path().join("no-such-dir/known_hosts");
        let config = SftpConfig::new("files.example.com", "u", Auth::password("p"))
            .known_hosts_file(&missing);
        let text = refusal(&config).await;
        assert!(text.contains("unknown host key"), "{text}");
        assert!(
            text.contains(&format!("{} does not exist", missing.display())),
            "the error must say the file is missing: {text}"
        );
        // An existing file that lacks the key: only "unknown host key".
        let present = dir.path().join("known_hosts");
        std::fs::write(&present, "# no keys yet\n").unwrap();
        let text = refusal(&config.clone().known_hosts_file(&present)).await;
        assert!(text.contains("unknown host key"), "{text}");
        assert!(!text.contains("does not exist"), "{text}");
    }
}
