//! Per-backend knowledge: reading a backend table into its crate's config type (with the
//! environment fallbacks and secret references), checking it, and building the backend.

use std::sync::Arc;

use remote_store_async::{AsyncBackend, AsyncStore, BlockingAdapter};
#[allow(unused_imports)]
use remote_store_core::{Error, Result, Secret};
use remote_store_sync::Store;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

use crate::env::Env;
use crate::hint::{self, Place};
#[allow(unused_imports)]
use crate::load::{Fallbacks, References, resolve_table};
use crate::model::{BackendConfig, TYPES};

/// Reads the table of a backend of type `type_name` (the `type` key already removed).
pub(crate) fn parse(
    type_name: &str,
    raw: Map<String, Value>,
    env: &Env,
    place: &Place,
    fallbacks: &Fallbacks,
) -> Result<BackendConfig> {
    match type_name {
        "memory" => memory(raw, env, place),
        "local" => local(raw, env, place),
        "s3" => s3(raw, env, place),
        "azure" => azure(raw, env, place, fallbacks),
        "sftp" => sftp(raw, env, place),
        other => Err(place.error(hint::unknown("backend type", other, &TYPES))),
    }
}

/// The error for a `type` whose cargo feature is off.
#[allow(dead_code)]
pub(crate) fn feature_off(type_name: &str, place: &Place) -> Error {
    place.error(format!(
        "backend type {type_name:?} is not compiled in: enable the cargo feature \
         `{type_name}` of remote-store-config (on the remote-store facade: features `config` \
         and `{type_name}`)"
    ))
}

/// Deserialises a resolved table into `T`, rewording serde's unknown-key errors and naming
/// the key of a value of the wrong type (`key "part_size": invalid type: ...`). serde
/// quotes offending values (`invalid type: string "..."`), and a value that came from a
/// placeholder may be a secret put in the wrong key, so each such value is masked in the
/// message, as is every credential written literally.
pub(crate) fn typed<T: DeserializeOwned>(
    table: Map<String, Value>,
    refs: &References,
    place: &Place,
) -> Result<T> {
    let mut credentials = Vec::new();
    credential_values(&table, false, &mut credentials);
    crate::de::from_value(Value::Object(table)).map_err(|e| {
        let mut text = hint::serde_message(&e);
        for reference in refs.values().filter(|r| !r.value.is_empty()) {
            text = mask(&text, &reference.value);
        }
        // Literal credentials too (`secret_access_key = 12345678` of the wrong type).
        for value in &credentials {
            text = mask(&text, value);
        }
        place.error(text)
    })
}

/// `text` with every occurrence of `secret` replaced by `***`: as it is, and as the
/// messages quote it escaped (a private key's line breaks as `\n`, a `"` as `\"`), which
/// a plain search for the raw value would miss.
fn mask(text: &str, secret: &str) -> String {
    let debug = format!("{secret:?}");
    let debug = &debug[1..debug.len() - 1];
    let mut text = text.replace(secret, "***");
    for form in [secret.escape_debug().to_string(), debug.to_owned()] {
        if form != secret {
            text = text.replace(&form, "***");
        }
    }
    text
}

/// The keys whose values are credentials (`Secret` fields of the backend configs).
const CREDENTIAL_FIELDS: [&str; 9] = [
    "secret_access_key",
    "session_token",
    "connection_string",
    "key",
    "token",
    "client_secret",
    "password",
    "passphrase",
    "inline",
];

/// The text of every value under a credential key of `table` (at any depth; everything
/// below such a key counts), for masking in messages. Values shorter than 4 characters
/// are left: masking them would garble the message more than they could reveal.
fn credential_values(table: &Map<String, Value>, inside: bool, out: &mut Vec<String>) {
    for (key, value) in table {
        let secret = inside || CREDENTIAL_FIELDS.contains(&key.as_str());
        match value {
            Value::Object(inner) => credential_values(inner, secret, out),
            Value::Array(items) if secret => {
                out.extend(items.iter().map(Value::to_string));
            }
            Value::String(text) if secret => out.push(text.clone()),
            Value::Number(n) if secret => out.push(n.to_string()),
            _ => {}
        }
    }
    out.retain(|v| v.len() >= 4);
}

/// Replaces `secret` by one that remembers the placeholder text it came from, if it came
/// from exactly one placeholder: `${PW:-dev-secret}` or `pre${PW}` hold literal secret
/// text, so such a secret stays one that refuses to serialise.
#[allow(dead_code)]
fn keep_reference(secret: &mut Secret, refs: &References, path: &str) {
    if let Some(reference) = refs.get(path)
        && crate::env::is_bare_placeholder(&reference.raw)
    {
        *secret = Secret::from_reference(reference.raw.clone(), secret.expose());
    }
}

/// Escapes `${` as `$${` in every string of a serialised config (`value`), except the
/// placeholders that secrets serialise as (a bare `${NAME}` under a credential key;
/// `inside`: `value` is below one): read back, the text is the same literal again. Unset
/// options (`null`) are left out, as the types write them (TOML has no null).
pub(crate) fn escape_literals(value: &mut Value, inside: bool) {
    match value {
        Value::String(text) if !(inside && crate::env::is_bare_placeholder(text)) => {
            *text = text.replace("${", "$${");
        }
        Value::Array(items) => items.iter_mut().for_each(|v| escape_literals(v, inside)),
        Value::Object(table) => {
            table.retain(|_, v| !v.is_null());
            for (key, v) in table.iter_mut() {
                escape_literals(v, inside || CREDENTIAL_FIELDS.contains(&key.as_str()));
            }
        }
        _ => {}
    }
}

/// A literal value inserted into a raw table: `${` escaped so it is not taken for a
/// placeholder.
#[allow(dead_code)]
pub(crate) fn literal(text: &str) -> Value {
    Value::String(text.replace("${", "$${"))
}

#[cfg(feature = "memory")]
fn memory(raw: Map<String, Value>, env: &Env, place: &Place) -> Result<BackendConfig> {
    let (table, refs) = resolve_table(raw, env, place)?;
    Ok(BackendConfig::Memory(typed(table, &refs, place)?))
}

#[cfg(not(feature = "memory"))]
fn memory(_: Map<String, Value>, _: &Env, place: &Place) -> Result<BackendConfig> {
    Err(feature_off("memory", place))
}

#[cfg(feature = "local")]
fn local(raw: Map<String, Value>, env: &Env, place: &Place) -> Result<BackendConfig> {
    let (table, refs) = resolve_table(raw, env, place)?;
    Ok(BackendConfig::Local(typed(table, &refs, place)?))
}

#[cfg(not(feature = "local"))]
fn local(_: Map<String, Value>, _: &Env, place: &Place) -> Result<BackendConfig> {
    Err(feature_off("local", place))
}

#[cfg(feature = "s3")]
fn s3(raw: Map<String, Value>, env: &Env, place: &Place) -> Result<BackendConfig> {
    let (table, refs) = resolve_table(raw, env, place)?;
    let mut config: remote_store_s3::S3Config = typed(table, &refs, place)?;
    if let Some(secret) = &mut config.secret_access_key {
        keep_reference(secret, &refs, "secret_access_key");
    }
    if let Some(secret) = &mut config.session_token {
        keep_reference(secret, &refs, "session_token");
    }
    Ok(BackendConfig::S3(config))
}

#[cfg(not(feature = "s3"))]
fn s3(_: Map<String, Value>, _: &Env, place: &Place) -> Result<BackendConfig> {
    Err(feature_off("s3", place))
}

#[cfg(feature = "azure")]
fn azure(
    mut raw: Map<String, Value>,
    env: &Env,
    place: &Place,
    fallbacks: &Fallbacks,
) -> Result<BackendConfig> {
    use remote_store_azure::{AzureAuth, AzureConfig, EntraCredential};

    // Explicit `auth` > environment; the environment is written in as placeholders, so a
    // key taken from it serialises back as `${AZURE_STORAGE_KEY}`.
    if !raw.contains_key("auth") {
        let account = match &fallbacks.azure_account {
            Some(account) => Some(literal(account)),
            None => env
                .non_empty("AZURE_STORAGE_ACCOUNT")
                .map(|_| Value::from("${AZURE_STORAGE_ACCOUNT}")),
        };
        let auth = if env.non_empty("AZURE_STORAGE_CONNECTION_STRING").is_some() {
            Some(serde_json::json!({
                "type": "connection_string",
                "connection_string": "${AZURE_STORAGE_CONNECTION_STRING}",
            }))
        } else if env.non_empty("AZURE_STORAGE_KEY").is_some() {
            // The key belongs to AZURE_STORAGE_ACCOUNT's account when that is set: another
            // account named by the URL would fail every request with a 403.
            if let (Some(url_account), Some(env_account)) = (
                &fallbacks.azure_account,
                env.non_empty("AZURE_STORAGE_ACCOUNT"),
            ) && *url_account != env_account
            {
                return Err(place.error(format!(
                    "the URL names account {url_account:?} but AZURE_STORAGE_KEY goes with \
                     AZURE_STORAGE_ACCOUNT {env_account:?}: use a URL with that account, or \
                     set both variables for {url_account:?}"
                )));
            }
            let Some(account) = account else {
                return Err(place.error(
                    "AZURE_STORAGE_KEY is set but no account is named: set \
                     AZURE_STORAGE_ACCOUNT (or use an az://account/container URL)",
                ));
            };
            Some(serde_json::json!({
                "type": "account_key", "account": account, "key": "${AZURE_STORAGE_KEY}",
            }))
        } else if env.non_empty("AZURE_STORAGE_SAS_TOKEN").is_some() {
            Some(serde_json::json!({ "type": "sas_token", "token": "${AZURE_STORAGE_SAS_TOKEN}" }))
        } else {
            None
        };
        match auth {
            Some(auth) => {
                raw.insert("auth".into(), auth);
            }
            // An az://account/container URL already names the account.
            None if fallbacks.azure_account.is_some() => {
                return Err(place.error(
                    "missing key \"auth\": set AZURE_STORAGE_KEY (the URL names the \
                     account), AZURE_STORAGE_CONNECTION_STRING or AZURE_STORAGE_SAS_TOKEN, \
                     or give an `auth` option",
                ));
            }
            None => {
                return Err(place.error(
                    "missing key \"auth\": give an `auth` table, or set \
                     AZURE_STORAGE_CONNECTION_STRING, AZURE_STORAGE_ACCOUNT and \
                     AZURE_STORAGE_KEY, or AZURE_STORAGE_SAS_TOKEN",
                ));
            }
        }
    }
    let is_connection_string = raw
        .get("auth")
        .and_then(|a| a.get("type"))
        .is_some_and(|t| t == "connection_string");
    if let Some(account) = &fallbacks.azure_account
        && !raw.contains_key("endpoint")
        && !is_connection_string
    {
        raw.insert(
            "endpoint".into(),
            literal(&format!("https://{account}.blob.core.windows.net")),
        );
    }
    let (table, refs) = resolve_table(raw, env, place)?;
    let mut config: AzureConfig = typed(table, &refs, place)?;
    if let (Some(account), AzureAuth::ConnectionString { connection_string }) =
        (&fallbacks.azure_account, &config.auth)
    {
        check_connection_string_account(connection_string.expose(), account, place)?;
    }
    // An `endpoint` beside an az://account URL (its query, or an option) must be that
    // account's: the credentials go wherever the endpoint points.
    if let (Some(account), Some(endpoint)) = (&fallbacks.azure_account, &config.endpoint)
        && !endpoint_names_account(endpoint, account)
    {
        return Err(place.error(format!(
            "the endpoint {endpoint:?} is not account {account:?}'s (the URL's), and the \
             credentials would go there: give an endpoint whose host starts with \
             \"{account}.\" (or whose path starts with /{account} on an emulator), or leave \
             it out"
        )));
    }
    match &mut config.auth {
        AzureAuth::ConnectionString { connection_string } => {
            keep_reference(connection_string, &refs, "auth.connection_string");
        }
        AzureAuth::AccountKey { key, .. } => keep_reference(key, &refs, "auth.key"),
        AzureAuth::SasToken { token } => keep_reference(token, &refs, "auth.token"),
        AzureAuth::EntraId {
            credential: EntraCredential::ClientSecret { client_secret, .. },
        } => keep_reference(client_secret, &refs, "auth.credential.client_secret"),
        _ => {}
    }
    Ok(BackendConfig::Azure(config))
}

/// Whether the Blob endpoint `url` is `account`'s: the account is the first label of the
/// host (`acct.blob.core.windows.net`) or, on emulators, the first path segment
/// (`http://127.0.0.1:10000/acct`).
#[cfg(feature = "azure")]
fn endpoint_names_account(url: &str, account: &str) -> bool {
    url::Url::parse(url).is_ok_and(|u| {
        u.host_str()
            .and_then(|h| h.split('.').next())
            .is_some_and(|label| label == account)
            || u.path_segments()
                .and_then(|mut segments| segments.next())
                .is_some_and(|first| first == account)
    })
}

/// A connection string brings its own account and endpoint, so the account of an
/// `az://account/...` URL cannot be applied to it: the two must name the same account, or
/// the URL would silently reach another one. The string is never quoted (it holds a key);
/// the account it names is not a secret.
#[cfg(feature = "azure")]
fn check_connection_string_account(text: &str, account: &str, place: &Place) -> Result<()> {
    let mut named = None;
    let mut endpoint = None;
    for part in text.split(';') {
        match part.trim().split_once('=') {
            Some(("AccountName", value)) => named = Some(value.trim().to_owned()),
            Some(("UseDevelopmentStorage", value)) if value.trim().eq_ignore_ascii_case("true") => {
                named = Some("devstoreaccount1".to_owned());
            }
            Some(("BlobEndpoint", value)) => endpoint = Some(value.trim().to_owned()),
            _ => {}
        }
    }
    // Without an AccountName, a SAS connection string names its account in its endpoint.
    let same = match (&named, &endpoint) {
        (Some(named), _) => named == account,
        (None, Some(url)) => endpoint_names_account(url, account),
        (None, None) => false,
    };
    if same {
        return Ok(());
    }
    let which = named.map_or_else(
        || "names no account the URL's can be checked against".to_owned(),
        |named| format!("is for account {named:?}"),
    );
    Err(place.error(format!(
        "the URL names account {account:?} but the connection string {which}: use a URL \
         with the connection string's account, or AZURE_STORAGE_ACCOUNT and \
         AZURE_STORAGE_KEY (or an `auth` option) for {account:?}"
    )))
}

#[cfg(not(feature = "azure"))]
fn azure(_: Map<String, Value>, _: &Env, place: &Place, _: &Fallbacks) -> Result<BackendConfig> {
    Err(feature_off("azure", place))
}

#[cfg(feature = "sftp")]
fn sftp(mut raw: Map<String, Value>, env: &Env, place: &Place) -> Result<BackendConfig> {
    use remote_store_sftp::{Auth, PrivateKeySource, SftpConfig};

    let ssh_dir = env
        .non_empty("HOME")
        .map(|home| std::path::Path::new(&home).join(".ssh"));
    // Explicit `auth` > a running ssh-agent > the first default key file that exists.
    if !raw.contains_key("auth") {
        let key_file = ssh_dir.as_ref().and_then(|dir| {
            ["id_ed25519", "id_ecdsa", "id_rsa"]
                .iter()
                .map(|name| dir.join(name))
                .find(|p| p.is_file())
        });
        let auth = if env.non_empty("SSH_AUTH_SOCK").is_some() {
            // The socket of the environment the config was loaded with (which may not be
            // the process's), written in as a placeholder.
            serde_json::json!({ "method": "agent", "socket": "${SSH_AUTH_SOCK}" })
        } else if let Some(file) = key_file {
            serde_json::json!({
                "method": "private_key",
                "key": { "file": literal(&file.to_string_lossy()) },
            })
        } else {
            return Err(place.error(
                "missing key \"auth\": give an `auth` table, run an ssh-agent \
                 (SSH_AUTH_SOCK), or keep a key in ~/.ssh (id_ed25519, id_ecdsa, id_rsa)",
            ));
        };
        raw.insert("auth".into(), auth);
    }
    // Host keys: explicit `known_hosts` / `known_hosts_file` > ~/.ssh/known_hosts.
    if !raw.contains_key("known_hosts")
        && !raw.contains_key("known_hosts_file")
        && let Some(file) = ssh_dir
            .map(|d| d.join("known_hosts"))
            .filter(|f| f.is_file())
    {
        raw.insert("known_hosts_file".into(), literal(&file.to_string_lossy()));
    }
    let (table, refs) = resolve_table(raw, env, place)?;
    let mut config: SftpConfig = typed(table, &refs, place)?;
    match &mut config.auth {
        Auth::Password { password } => keep_reference(password, &refs, "auth.password"),
        Auth::PrivateKey { key, passphrase } => {
            if let PrivateKeySource::Inline(text) = key {
                keep_reference(text, &refs, "auth.key.inline");
            }
            if let Some(passphrase) = passphrase {
                keep_reference(passphrase, &refs, "auth.passphrase");
            }
        }
        _ => {}
    }
    Ok(BackendConfig::Sftp(config))
}

#[cfg(not(feature = "sftp"))]
fn sftp(_: Map<String, Value>, _: &Env, place: &Place) -> Result<BackendConfig> {
    Err(feature_off("sftp", place))
}

/// Checks `config` without connecting (and without touching the disk).
///
/// # Errors
/// `InvalidArgument` at `place`, with the backend's own reason.
pub(crate) fn validate(config: &BackendConfig, place: &Place) -> Result<()> {
    let checked: Result<()> = match *config {
        #[cfg(feature = "memory")]
        BackendConfig::Memory(_) => Ok(()),
        #[cfg(feature = "local")]
        BackendConfig::Local(ref c) => {
            if c.root.as_os_str().is_empty() {
                Err(Error::invalid_argument("`root` is empty"))
            } else {
                c.validate()
            }
        }
        #[cfg(feature = "s3")]
        BackendConfig::S3(ref c) => c.validate().map(drop),
        #[cfg(feature = "azure")]
        BackendConfig::Azure(ref c) => c.validate(),
        #[cfg(feature = "sftp")]
        BackendConfig::Sftp(ref c) => c.validate(),
    };
    checked.map_err(|e| place.error(hint::message(&e)))
}

/// Both halves of one backend, sharing one backend object where the backend allows
/// (memory: one tree; S3, Azure, SFTP: one async backend, the blocking half driving it
/// through `BlockingAdapter`; local: the same directory).
#[derive(Debug, Clone)]
pub(crate) struct Pair {
    pub(crate) store: Store,
    pub(crate) async_store: AsyncStore,
}

/// Builds both halves of `config`, rooted at the backend's root, owning it.
pub(crate) fn build_pair(config: &BackendConfig) -> Result<Pair> {
    match *config {
        #[cfg(feature = "memory")]
        BackendConfig::Memory(_) => {
            let backend = remote_store_memory::MemoryBackend::new();
            let twin = remote_store_memory::AsyncMemoryBackend::from(backend.clone());
            Ok(Pair {
                store: Store::new(backend, "")?,
                async_store: AsyncStore::new(twin, "")?,
            })
        }
        #[cfg(feature = "local")]
        BackendConfig::Local(ref c) => Ok(Pair {
            store: Store::new(
                remote_store_local::LocalBackend::from_config(c.clone())?,
                "",
            )?,
            async_store: AsyncStore::new(
                remote_store_local::AsyncLocalBackend::from_config(c.clone())?,
                "",
            )?,
        }),
        #[cfg(feature = "s3")]
        BackendConfig::S3(ref c) => shared(remote_store_s3::AsyncS3Backend::new(c.clone())?),
        #[cfg(feature = "azure")]
        BackendConfig::Azure(ref c) => {
            shared(remote_store_azure::AsyncAzureBackend::new(c.clone())?)
        }
        #[cfg(feature = "sftp")]
        BackendConfig::Sftp(ref c) => shared(remote_store_sftp::AsyncSftpBackend::new(c.clone())?),
    }
}

/// One async backend serving both halves.
#[allow(dead_code)]
fn shared<B: AsyncBackend>(backend: B) -> Result<Pair> {
    let backend = Arc::new(backend);
    Ok(Pair {
        store: Store::new(BlockingAdapter::from_arc(Arc::clone(&backend)), "")?,
        async_store: AsyncStore::from_arc(backend, "")?,
    })
}

/// The blocking half of `config` alone, rooted at `root`, owning its backend.
pub(crate) fn build_store(config: &BackendConfig, root: &str) -> Result<Store> {
    match *config {
        #[cfg(feature = "memory")]
        BackendConfig::Memory(_) => Store::new(remote_store_memory::MemoryBackend::new(), root),
        #[cfg(feature = "local")]
        BackendConfig::Local(ref c) => Store::new(
            remote_store_local::LocalBackend::from_config(c.clone())?,
            root,
        ),
        #[cfg(feature = "s3")]
        BackendConfig::S3(ref c) => Store::new(remote_store_s3::S3Backend::new(c.clone())?, root),
        #[cfg(feature = "azure")]
        BackendConfig::Azure(ref c) => {
            Store::new(remote_store_azure::AzureBackend::new(c.clone())?, root)
        }
        #[cfg(feature = "sftp")]
        BackendConfig::Sftp(ref c) => {
            Store::new(remote_store_sftp::SftpBackend::new(c.clone())?, root)
        }
    }
}

/// The async half of `config` alone, rooted at `root`, owning its backend.
pub(crate) fn build_async_store(config: &BackendConfig, root: &str) -> Result<AsyncStore> {
    match *config {
        #[cfg(feature = "memory")]
        BackendConfig::Memory(_) => {
            AsyncStore::new(remote_store_memory::AsyncMemoryBackend::new(), root)
        }
        #[cfg(feature = "local")]
        BackendConfig::Local(ref c) => AsyncStore::new(
            remote_store_local::AsyncLocalBackend::from_config(c.clone())?,
            root,
        ),
        #[cfg(feature = "s3")]
        BackendConfig::S3(ref c) => {
            AsyncStore::new(remote_store_s3::AsyncS3Backend::new(c.clone())?, root)
        }
        #[cfg(feature = "azure")]
        BackendConfig::Azure(ref c) => {
            AsyncStore::new(remote_store_azure::AsyncAzureBackend::new(c.clone())?, root)
        }
        #[cfg(feature = "sftp")]
        BackendConfig::Sftp(ref c) => {
            AsyncStore::new(remote_store_sftp::AsyncSftpBackend::new(c.clone())?, root)
        }
    }
}
