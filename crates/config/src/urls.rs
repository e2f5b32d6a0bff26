//! URLs naming a backend and a root: `memory://`, `file:///abs/path`, `s3://bucket/prefix`,
//! `az://account/container/prefix` (or `azure://`), `sftp://user@host:port/path`.

use remote_store_async::AsyncStore;
use remote_store_core::{Error, Result};
use remote_store_sync::Store;
use serde_json::{Map, Value};
use std::borrow::Cow;

use url::Url;

use crate::backends::{self, literal};
use crate::hint::Place;
use crate::load::{Fallbacks, Loader};
use crate::model::BackendConfig;

/// Query keys that would carry a credential: refused in a URL (pass them beside it, as
/// options, or let the environment supply them).
const CREDENTIAL_KEYS: [&str; 3] = ["access_key_id", "secret_access_key", "session_token"];

impl Loader {
    /// The backend config and store root a URL names, with `options` beside it (config
    /// keys of that backend, `auth.type`-style dotted keys for nested tables; they win
    /// over the URL's query). See [`open_url`].
    ///
    /// # Errors
    /// `InvalidArgument` naming the URL and what is wrong with it: an unknown scheme, a
    /// scheme whose cargo feature is off, an unknown option key (with the closest known
    /// one), a credential in the URL.
    pub fn parse_url_opts<K, V>(
        &self,
        url: &str,
        options: impl IntoIterator<Item = (K, V)>,
    ) -> Result<(BackendConfig, String)>
    where
        K: AsRef<str>,
        V: Into<String>,
    {
        let parsed = Url::parse(url).map_err(|e| {
            // Not parsed: nothing of it is shown, it may hold a credential.
            let hint = if url.contains("://") {
                ""
            } else {
                " (a URL starts with its scheme: memory://, file:///absolute/path, \
                 s3://bucket/prefix, az://account/container/prefix, sftp://user@host/path)"
            };
            Place::new("URL", "").error(format!("not a URL: {e}{hint}"))
        })?;
        let place = Place::new(&format!("URL {:?}", shown(&parsed)), "");
        if parsed.scheme() != "file" {
            check_url_path(url).map_err(|e| place.error(e.message().unwrap_or_default()))?;
        }
        if parsed.password().is_some() {
            return Err(place.error(
                "a password in the URL is refused: credentials come from the config, the \
                 environment or an ssh-agent",
            ));
        }
        let mut table = Map::new();
        let mut seen = std::collections::HashSet::new();
        for (key, value) in query_pairs(&parsed) {
            if !seen.insert(key.clone()) {
                return Err(place.error(format!(
                    "option {key:?} is given twice in the URL's query: give it once"
                )));
            }
            if CREDENTIAL_KEYS.contains(&key.as_ref()) || key == "auth" || key.starts_with("auth.")
            {
                return Err(place.error(format!(
                    "credential {key:?} in the URL's query is refused: pass it beside the URL \
                     as an option, or through the environment"
                )));
            }
            insert_dotted(&mut table, &key, literal(&value), &place)?;
        }
        for (key, value) in options {
            insert_dotted(&mut table, key.as_ref(), literal(&value.into()), &place)?;
        }
        if parsed.fragment().is_some() {
            return Err(place.error(
                "a `#` fragment in the URL is refused (it is not part of any path): write `%23` \
                 for a `#` in a name",
            ));
        }
        if parsed.scheme() != "sftp" && !parsed.username().is_empty() {
            return Err(place.error(format!(
                "a user name in a {}:// URL is refused (only sftp:// URLs take one): \
                 credentials come from the config or the environment",
                parsed.scheme()
            )));
        }
        if parsed.port().is_some() && parsed.scheme() != "sftp" {
            return Err(place.error(format!(
                "a port in a {}:// URL is refused (its host part is a name, not a server): give \
                 a server as the `endpoint` option, e.g. ?endpoint=http://127.0.0.1:9000",
                parsed.scheme()
            )));
        }
        let path = percent_decode(parsed.path(), &place)?;
        let mut fallbacks = Fallbacks::default();
        let mut root = String::new();
        let type_name = match parsed.scheme() {
            "memory" => {
                root = join(parsed.host_str().unwrap_or(""), &path);
                "memory"
            }
            "file" => {
                if parsed
                    .host_str()
                    .is_some_and(|h| !h.is_empty() && h != "localhost")
                {
                    return Err(place.error("a file URL must be local: file:///absolute/path"));
                }
                let dir = parsed.to_file_path().map_err(|()| {
                    place.error("a file URL needs an absolute path: file:///absolute/path")
                })?;
                from_url(&mut table, "root", literal(&dir.to_string_lossy()), &place)?;
                "local"
            }
            "s3" => {
                let bucket = host(&parsed, &place, "s3://bucket/prefix")?;
                from_url(&mut table, "bucket", literal(&bucket), &place)?;
                from_path(&mut table, "prefix", path.trim_matches('/'), &place)?;
                "s3"
            }
            "az" | "azure" => {
                let account = host(&parsed, &place, "az://account/container/prefix")?;
                if !is_azure_account(&account) {
                    // The account becomes a host name: anything else could point the
                    // requests (and their credentials) at another host.
                    return Err(place.error(format!(
                        "{account:?} is not an Azure storage account name (3 to 24 lowercase \
                         letters and digits): expected az://account/container/prefix"
                    )));
                }
                let mut parts = path.trim_start_matches('/').splitn(2, '/');
                let container = parts.next().unwrap_or("");
                if container.is_empty() {
                    return Err(place.error("no container: expected az://account/container/prefix"));
                }
                from_url(&mut table, "container", literal(container), &place)?;
                let prefix = parts.next().unwrap_or("").trim_matches('/');
                from_path(&mut table, "prefix", prefix, &place)?;
                fallbacks.azure_account = Some(account);
                "azure"
            }
            "sftp" => {
                let host_name = host(&parsed, &place, "sftp://user@host:port/path")?;
                from_url(&mut table, "host", literal(&host_name), &place)?;
                if let Some(port) = parsed.port() {
                    from_url(&mut table, "port", Value::from(port), &place)?;
                }
                if parsed.username().is_empty() {
                    return Err(place.error("no user name: expected sftp://user@host:port/path"));
                }
                let user = literal(&percent_decode(parsed.username(), &place)?);
                from_url(&mut table, "username", user, &place)?;
                let base = if path == "/" { "" } else { path.as_str() };
                from_path(&mut table, "base_path", base, &place)?;
                table.entry("base_path").or_insert_with(|| literal(&path));
                "sftp"
            }
            other => {
                return Err(place.error(crate::hint::unknown(
                    "URL scheme",
                    other,
                    &["memory", "file", "s3", "az", "azure", "sftp"],
                )));
            }
        };
        let config =
            crate::backends::parse(type_name, table, self.environment(), &place, &fallbacks)?;
        backends::validate(&config, &place)?;
        Ok((config, root))
    }

    /// [`parse_url_opts`](Self::parse_url_opts) without options.
    ///
    /// # Errors
    /// As [`parse_url_opts`](Self::parse_url_opts).
    pub fn parse_url(&self, url: &str) -> Result<(BackendConfig, String)> {
        self.parse_url_opts(url, std::iter::empty::<(&str, String)>())
    }

    /// A blocking [`Store`] for `url` and `options` (see [`open_url`]).
    ///
    /// # Errors
    /// As [`parse_url_opts`](Self::parse_url_opts), and the backend's construction errors.
    pub fn open_url_opts<K, V>(
        &self,
        url: &str,
        options: impl IntoIterator<Item = (K, V)>,
    ) -> Result<Store>
    where
        K: AsRef<str>,
        V: Into<String>,
    {
        let (config, root) = self.parse_url_opts(url, options)?;
        backends::build_store(&config, &root)
    }

    /// An [`AsyncStore`] for `url` and `options` (see [`open_url_async`]).
    ///
    /// # Errors
    /// As [`open_url_opts`](Self::open_url_opts).
    pub fn open_url_async_opts<K, V>(
        &self,
        url: &str,
        options: impl IntoIterator<Item = (K, V)>,
    ) -> Result<AsyncStore>
    where
        K: AsRef<str>,
        V: Into<String>,
    {
        let (config, root) = self.parse_url_opts(url, options)?;
        backends::build_async_store(&config, &root)
    }
}

/// Opens the blocking [`Store`] a URL names; the store owns its backend (closing it closes
/// the backend).
///
/// | URL | backend |
/// |---|---|
/// | `memory://` (`memory:///root`) | a new, empty memory backend |
/// | `file:///abs/path` | the local directory `/abs/path` |
/// | `s3://bucket/prefix?region=eu-west-1&endpoint=http://127.0.0.1:9000` | S3 |
/// | `az://account/container/prefix` or `azure://...` | Azure Blob |
/// | `sftp://user@host:port/path` | SFTP |
///
/// Query parameters are keys of that backend's config (`?force_path_style=true`,
/// `?connect_timeout=5s`); credentials are refused there and come from the environment
/// (`AWS_*`, `AZURE_STORAGE_*`, an ssh-agent or `~/.ssh` key), the platform's default
/// chain, or options passed beside the URL ([`open_url_opts`]). Nothing connects here.
///
/// ```
/// let store = remote_store_config::open_url("memory://")?;
/// store.write("hello.txt", "hi")?;
/// assert_eq!(store.read_text("hello.txt")?, "hi");
/// # Ok::<(), remote_store_core::Error>(())
/// ```
///
/// # Errors
/// `InvalidArgument` naming the URL and what is wrong with it; the backend's construction
/// errors (`NotFound` for a local directory that does not exist).
pub fn open_url(url: &str) -> Result<Store> {
    Loader::new().open_url_opts(url, std::iter::empty::<(&str, String)>())
}

/// [`open_url`] with options beside the URL (object_store's `parse_url_opts` shape): keys
/// of the backend's config, which win over the URL's query; dotted keys (`auth.type`)
/// fill nested tables.
///
/// ```no_run
/// let store = remote_store_config::open_url_opts(
///     "s3://my-bucket/reports",
///     [("endpoint", "http://127.0.0.1:9000"), ("force_path_style", "true")],
/// )?;
/// # Ok::<(), remote_store_core::Error>(())
/// ```
///
/// # Errors
/// As [`open_url`].
pub fn open_url_opts<K, V>(url: &str, options: impl IntoIterator<Item = (K, V)>) -> Result<Store>
where
    K: AsRef<str>,
    V: Into<String>,
{
    Loader::new().open_url_opts(url, options)
}

/// The async version of [`open_url`]: an [`AsyncStore`] owning its backend. Nothing
/// connects here, so this is not an `async fn`.
///
/// # Errors
/// As [`open_url`].
pub fn open_url_async(url: &str) -> Result<AsyncStore> {
    Loader::new().open_url_async_opts(url, std::iter::empty::<(&str, String)>())
}

/// The async version of [`open_url_opts`].
///
/// # Errors
/// As [`open_url`].
pub fn open_url_async_opts<K, V>(
    url: &str,
    options: impl IntoIterator<Item = (K, V)>,
) -> Result<AsyncStore>
where
    K: AsRef<str>,
    V: Into<String>,
{
    Loader::new().open_url_async_opts(url, options)
}

/// The `key=value` pairs of the URL's query, percent-decoded as its path is: a `+` stays a
/// `+` (form decoding, `Url::query_pairs`, would make it a space, so `prefix=c++` would
/// open `c  `).
fn query_pairs(url: &Url) -> impl Iterator<Item = (Cow<'_, str>, Cow<'_, str>)> {
    url.query()
        .unwrap_or("")
        .split('&')
        .filter(|pair| !pair.is_empty())
        .map(|pair| {
            let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
            let decode = |text| percent_encoding::percent_decode_str(text).decode_utf8_lossy();
            (decode(key), decode(value))
        })
}

/// The URL as error messages show it: no password, no query (either may hold a
/// credential; the offending key is named in the message itself), and a user name only for
/// `sftp://`, where it is the login (anywhere else it has no use, and a pasted token lands
/// there: `s3://sv=..&sig=..@bucket`).
fn shown(url: &Url) -> String {
    let mut url = url.clone();
    if url.password().is_some() {
        let _ = url.set_password(Some("***"));
    }
    if url.scheme() != "sftp" && !url.username().is_empty() {
        let _ = url.set_username("***");
    }
    url.set_query(None);
    url.set_fragment(None);
    url.to_string()
}

/// Refuses the URL text `url` when its path has a `.`, `..` or empty (`//`) segment:
/// URL parsing resolves those without a word (`s3://b/x/../y` names `s3://b/y`), so a
/// tool that splits a URL into a store and a key must check the text before it parses
/// it — [`open_url`] does. A trailing `/` is fine.
///
/// ```
/// assert!(remote_store_config::check_url_path("s3://b/x/y/").is_ok());
/// assert!(remote_store_config::check_url_path("s3://b/x/../y").is_err());
/// ```
///
/// # Errors
/// `InvalidArgument` naming the kind of segment.
pub fn check_url_path(url: &str) -> Result<()> {
    // The parser drops these wherever they are (`.\t.` becomes `..`), so the check below
    // could not see what the URL names.
    if url.contains(['\t', '\r', '\n']) {
        return Err(Error::invalid_argument(
            "a tab or line break in a URL, which URL parsing drops without a word: write \
             the URL without it (`%09`, `%0D`, `%0A` in a name)",
        ));
    }
    match odd_segment(url) {
        None => Ok(()),
        Some("separator") => Err(Error::invalid_argument(
            "the URL's path has an encoded `/` or `\\` (`%2F`, `%5C`) in a segment, which \
             would split it into other segments once decoded (`a%2F..` becomes `a/..`): \
             write the path with plain `/`",
        )),
        Some(segment) => Err(Error::invalid_argument(format!(
            "the URL's path has {segment} segment, which URL parsing resolves or drops \
             without a word (s3://b/x/../y names s3://b/y): write the path it should name"
        ))),
    }
}

/// A `.`, `..` or empty segment in the path of the URL text `url` (described for a
/// message), which parsing would resolve (`a/../b` is `b`) or keep as an empty key part,
/// or `"separator"` for a segment holding an encoded `/` or `\\`; `None` when there is
/// none. A trailing `/` is no empty segment.
fn odd_segment(url: &str) -> Option<&'static str> {
    let rest = url.split_once("://").map_or(url, |(_, rest)| rest);
    let rest = rest.split(['?', '#']).next().unwrap_or("");
    let (_, path) = rest.split_once('/')?;
    let path = path.strip_suffix('/').unwrap_or(path);
    if path.is_empty() {
        return None;
    }
    path.split('/').find_map(|segment| {
        let decoded = percent_encoding::percent_decode_str(segment).decode_utf8_lossy();
        match decoded.as_ref() {
            "" => Some("an empty (`//`)"),
            "." => Some("a `.`"),
            ".." => Some("a `..`"),
            // Decoded later into more segments, past this check (`in%2F..%2Fetc`).
            d if d.contains(['/', '\\']) => Some("separator"),
            _ => None,
        }
    })
}

/// The URL's host, required.
fn host(url: &Url, place: &Place, shape: &str) -> Result<String> {
    match url.host() {
        // The address itself, without the URL's brackets (`[::1]`), as a socket takes it.
        Some(url::Host::Ipv6(address)) => Ok(address.to_string()),
        Some(url::Host::Ipv4(address)) => Ok(address.to_string()),
        Some(url::Host::Domain(h)) if !h.is_empty() => percent_decode(h, place),
        _ => Err(place.error(format!("no host: expected {shape}"))),
    }
}

/// Sets `key` to what the URL itself says (its bucket, container, host, port, user or
/// folder), refusing an option or query value that says otherwise: it would be dropped or
/// would silently win.
fn from_url(table: &mut Map<String, Value>, key: &str, value: Value, place: &Place) -> Result<()> {
    if table.contains_key(key) {
        return Err(place.error(format!(
            "{key:?} is given twice, by the URL itself and as an option: give it once"
        )));
    }
    table.insert(key.into(), value);
    Ok(())
}

/// Puts the part of the URL's path that names `key` into `table`, unless it is empty; a
/// `key` given in the query or as an option too is refused when the path names one (which
/// of the two was meant cannot be told).
fn from_path(
    table: &mut Map<String, Value>,
    key: &str,
    from_path: &str,
    place: &Place,
) -> Result<()> {
    if from_path.is_empty() {
        return Ok(());
    }
    if table.contains_key(key) {
        return Err(place.error(format!(
            "{key:?} is given twice, by the URL's path and as an option: give it once"
        )));
    }
    table.insert(key.into(), literal(from_path));
    Ok(())
}

/// Whether `name` is a storage account name as Azure allows them: 3 to 24 lowercase ASCII
/// letters and digits (so it is always one DNS label).
pub(crate) fn is_azure_account(name: &str) -> bool {
    (3..=24).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
}

/// `a/b` from a host-ish first part and a path (for `memory://a/b`).
fn join(first: &str, path: &str) -> String {
    let path = path.trim_matches('/');
    match (first.is_empty(), path.is_empty()) {
        (true, _) => path.to_owned(),
        (false, true) => first.to_owned(),
        (false, false) => format!("{first}/{path}"),
    }
}

/// Puts `value` at the dotted `key` (`auth.type`) of `table`.
fn insert_dotted(
    table: &mut Map<String, Value>,
    key: &str,
    value: Value,
    place: &Place,
) -> Result<()> {
    match key.split_once('.') {
        None => {
            table.insert(key.to_owned(), value);
            Ok(())
        }
        Some((head, rest)) => {
            let inner = table
                .entry(head)
                .or_insert_with(|| Value::Object(Map::new()));
            match inner {
                Value::Object(map) => insert_dotted(map, rest, value, place),
                _ => Err(place.error(format!("option {key:?}: {head:?} is not a table"))),
            }
        }
    }
}

/// Decodes `%XX` escapes; escapes that do not decode to UTF-8 are refused (a store path is
/// text).
fn percent_decode(text: &str, place: &Place) -> Result<String> {
    percent_encoding::percent_decode_str(text)
        .decode_utf8()
        .map(std::borrow::Cow::into_owned)
        .map_err(|_| {
            place.error("a `%XX` escape in the URL does not decode to UTF-8 text: paths are text")
        })
}
