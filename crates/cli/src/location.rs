//! Where stores come from: the config file, and the three forms of a location
//! (`NAME:path`, a URL, a local path), each resolved to a [`Store`] and a key in it.

use std::cell::OnceCell;
use std::collections::HashMap;
use std::path::{Path, PathBuf};

use percent_encoding::percent_decode_str;
use remote_store::config::{Loader, Registry};
use remote_store::{Error, RemotePath, Result, Store};
use url::Url;

/// The variable naming the config file when `--config` is not given.
pub(crate) const CONFIG_VAR: &str = "REMOTE_STORE_CONFIG";

/// Where the config file is and how it was chosen.
#[derive(Debug, Clone)]
pub(crate) struct ConfigPath {
    /// The file.
    pub(crate) path: PathBuf,
    /// True when named by `--config` or `$REMOTE_STORE_CONFIG`: it must exist. The
    /// platform default may be absent (then only URLs and local paths work).
    pub(crate) explicit: bool,
}

impl ConfigPath {
    /// `--config`, else `$REMOTE_STORE_CONFIG`, else the platform default
    /// (`$XDG_CONFIG_HOME/remote-store/config.toml`, else
    /// `~/.config/remote-store/config.toml`); `None` when there is no home directory.
    pub(crate) fn choose(flag: Option<&Path>) -> Option<ConfigPath> {
        if let Some(path) = flag {
            return Some(ConfigPath {
                path: path.to_owned(),
                explicit: true,
            });
        }
        if let Some(path) = std::env::var_os(CONFIG_VAR).filter(|v| !v.is_empty()) {
            return Some(ConfigPath {
                path: path.into(),
                explicit: true,
            });
        }
        let absolute = |v: std::ffi::OsString| Some(PathBuf::from(v)).filter(|p| p.is_absolute());
        let base = std::env::var_os("XDG_CONFIG_HOME")
            .and_then(absolute)
            .or_else(|| {
                std::env::var_os("HOME")
                    .and_then(absolute)
                    .map(|h| h.join(".config"))
            })?;
        Some(ConfigPath {
            path: base.join("remote-store").join("config.toml"),
            explicit: false,
        })
    }
}

/// The name the local backend reports (`Store::name`).
const LOCAL: &str = "local";

/// A backend-native name as a folder path to compare: without a trailing `/`, and the
/// SFTP server's own `.` (its login folder) as the empty root.
fn native_folder(native: &str) -> &str {
    match native.trim_end_matches('/') {
        "." => "",
        trimmed => trimmed,
    }
}

/// A local path with its links resolved: the deepest part of it that exists, made real
/// (`std::fs::canonicalize`), followed by the rest, which does not exist yet. A path that
/// cannot be resolved at all is kept as it is.
fn real_path(native: &str) -> String {
    let path = Path::new(native);
    let mut rest = Vec::new();
    let mut existing = path;
    loop {
        if let Ok(real) = std::fs::canonicalize(existing) {
            let mut out = real;
            out.extend(rest.iter().rev());
            return out.to_string_lossy().into_owned();
        }
        match (existing.parent(), existing.file_name()) {
            (Some(parent), Some(name)) => {
                rest.push(name);
                existing = parent;
            }
            _ => return native.to_owned(),
        }
    }
}

/// Whether two local paths are one existing file (same device and inode: a hard link or a
/// path through a symbolic link counts).
fn same_local_file(a: &str, b: &str) -> bool {
    use std::os::unix::fs::MetadataExt;
    match (std::fs::metadata(a), std::fs::metadata(b)) {
        (Ok(a), Ok(b)) => a.dev() == b.dev() && a.ino() == b.ino(),
        _ => false,
    }
}

/// The error for a config file the user named that does not exist.
fn missing_config(path: &Path) -> Error {
    Error::not_found(path.display().to_string()).with_message(format!(
        "no such config file (named by --config or {CONFIG_VAR}): check the path"
    ))
}

/// Checks that a config file exists and is well-formed JSON (a `.json` file) or TOML,
/// without resolving anything in it.
///
/// # Errors
/// `NotFound` for a missing file, `InvalidArgument` naming the file for a malformed one.
fn check_config_file(path: &Path) -> Result<()> {
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Err(missing_config(path)),
        Err(e) => return Err(Error::from_io(e).with_path(path.display().to_string())),
    };
    let malformed = |what: &str, e: &dyn std::fmt::Display| {
        Error::invalid_argument(format!("config {}: not valid {what}: {e}", path.display()))
    };
    if path.extension().is_some_and(|e| e == "json") {
        // serde_json's message names the line and column, never the text there.
        serde_json::from_str::<serde_json::Value>(&text).map_err(|e| malformed("JSON", &e))?;
    } else {
        Loader::new().check_toml_syntax(&text, &path.display().to_string())?;
    }
    Ok(())
}

/// Loads the registry of a config file: JSON for a `.json` file, TOML otherwise.
///
/// # Errors
/// `NotFound` for a missing file; the config crate's `InvalidArgument` for a bad one.
pub(crate) fn load_registry(path: &Path) -> Result<Registry> {
    if !path.exists() {
        return Err(missing_config(path));
    }
    let loader = Loader::new();
    let config = if path.extension().is_some_and(|e| e == "json") {
        loader.json_file(path)?
    } else {
        loader.toml_file(path)?
    };
    Registry::new(config)
}

/// What a location's store is, for messages and for telling two locations on the same
/// store apart (a copy within one store is the store's own `copy_file`).
#[derive(Debug, Clone, PartialEq, Eq)]
enum Origin {
    /// A store named in the config.
    Named(String),
    /// A URL's store: without its path and query as shown (`s3://bucket`,
    /// `az://acct/container`), and with its query as opened (two endpoints of one bucket
    /// name are two stores).
    Url {
        /// As messages show it.
        shown: String,
        /// As it was opened, query included.
        opened: String,
    },
    /// A local folder.
    Local(PathBuf),
}

/// `text` as it may be shown: a URL (`scheme://...`) without its query and fragment, which
/// may carry a credential (`?secret_access_key=...`), and with the password of its
/// `user:password@` masked; anything else unchanged. Works on the text as written (not a
/// parsed URL, which would resolve the `..` an error is about).
pub(crate) fn redacted(text: &str) -> String {
    let Some((scheme, rest)) = text.split_once("://") else {
        return text.to_owned();
    };
    let rest = rest.split(['?', '#']).next().unwrap_or(rest);
    let (authority, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
    let authority = match authority.rsplit_once('@') {
        Some((userinfo, host)) if userinfo.contains(':') => {
            let user = userinfo.split(':').next().unwrap_or("");
            format!("{user}:***@{host}")
        }
        _ => authority.to_owned(),
    };
    format!("{scheme}://{authority}{path}")
}

/// A resolved location: a store and a key in it (`""` is the store's root).
#[derive(Clone)]
pub(crate) struct Location {
    /// The store.
    pub(crate) store: Store,
    /// The normalised key (`a/b.txt`; `""` for the root).
    pub(crate) key: String,
    /// The location was written with a trailing `/`: it names a folder.
    pub(crate) dir_hint: bool,
    origin: Origin,
    /// What holds the store's objects, for telling whether two locations written
    /// differently are one place: `backend:NAME` for a configured store (stores over one
    /// backend share its objects), the URL's store part for a URL; local folders are told
    /// apart by their real paths instead.
    backing: String,
}

/// How the places two locations name relate, as far as the tool can tell (see
/// [`Location::relation`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Relation {
    /// Unrelated (or not known to be related).
    Apart,
    /// One file or folder.
    Same,
    /// The other location is below this one.
    Contains,
    /// This location is below the other one.
    Inside,
}

impl std::fmt::Debug for Location {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Location")
            .field("origin", &self.origin)
            .field("key", &self.key)
            .finish_non_exhaustive()
    }
}

impl Location {
    /// `key` as a user reads it: `NAME:key`, `s3://bucket/key`, `/abs/path/key`.
    pub(crate) fn show(&self, key: &str) -> String {
        match &self.origin {
            Origin::Named(name) => format!("{name}:{key}"),
            Origin::Url { shown, .. } => format!("{shown}/{key}"),
            Origin::Local(root) if key.is_empty() => root.display().to_string(),
            Origin::Local(root) => root.join(key).display().to_string(),
        }
    }

    /// True for a local folder given by its path (or a `file://` URL): the location is
    /// then the root of the store opened on it.
    pub(crate) fn is_local_folder(&self) -> bool {
        self.is_local() && self.key.is_empty()
    }

    /// True for a location on the local disk, given by its path or a `file://` URL.
    pub(crate) fn is_local(&self) -> bool {
        matches!(self.origin, Origin::Local(_))
    }

    /// The location itself as a user reads it.
    pub(crate) fn shown(&self) -> String {
        self.show(&self.key)
    }

    /// True when both locations are on one store (a copy between them is server-side).
    pub(crate) fn same_store(&self, other: &Location) -> bool {
        self.origin == other.origin
    }

    /// How `key` of this location and `other_key` of `other` relate, whichever way each
    /// was written: two local paths are compared by their real paths (a folder reached
    /// through a symbolic link, a store rooted inside another, a hard link to the same
    /// file), two configured stores over one backend and two URLs of one store by the
    /// backend's own name of each key. Locations on separately configured backends, or a
    /// configured store and a URL, count as apart even when they reach the same service.
    pub(crate) fn relation(&self, key: &str, other: &Location, other_key: &str) -> Relation {
        let local = self.store.name() == LOCAL && other.store.name() == LOCAL;
        if !local && self.backing != other.backing {
            return Relation::Apart;
        }
        let (Ok(a), Ok(b)) = (
            self.store.native_path(key),
            other.store.native_path(other_key),
        ) else {
            return Relation::Apart;
        };
        if local && same_local_file(&a, &b) {
            return Relation::Same;
        }
        // Through links: `lk/current` (a link to `rel`) is the folder `lk/rel`.
        let (a, b) = if local {
            (real_path(&a), real_path(&b))
        } else {
            (a, b)
        };
        let (a, b) = (native_folder(&a), native_folder(&b));
        if a == b {
            Relation::Same
        } else if a.is_empty() || b.starts_with(&format!("{a}/")) {
            Relation::Contains
        } else if b.is_empty() || a.starts_with(&format!("{b}/")) {
            Relation::Inside
        } else {
            Relation::Apart
        }
    }

    /// The file `name` in this folder, as a location of its own.
    pub(crate) fn below(&self, name: &str) -> Location {
        Location {
            key: self.join(name),
            dir_hint: false,
            ..self.clone()
        }
    }

    /// The key `rel` below this location (`rel` empty: the location itself).
    pub(crate) fn join(&self, rel: &str) -> String {
        match (self.key.is_empty(), rel.is_empty()) {
            (_, true) => self.key.clone(),
            (true, false) => rel.to_owned(),
            (false, false) => format!("{}/{rel}", self.key),
        }
    }

    /// Rewrites the path of an error from this store the way [`show`](Self::show) does.
    pub(crate) fn context(&self, e: Error) -> Error {
        e.map_path(|p| self.show(if p == "." { "" } else { &p }))
    }

    /// The last segment of the key (`""` for the root).
    pub(crate) fn name(&self) -> &str {
        self.key.rsplit('/').next().unwrap_or("")
    }

    /// Whether the location is a folder: the root, a path written with a trailing `/`, or
    /// an existing folder.
    ///
    /// # Errors
    /// The store's probe errors (a missing bucket, an unreachable server).
    pub(crate) fn is_folder(&self) -> Result<bool> {
        if self.key.is_empty() || self.dir_hint {
            return Ok(true);
        }
        self.store.is_folder(&self.key).map_err(|e| self.context(e))
    }

    /// Whether the store's root folder exists. A store's root always answers as a folder,
    /// so a local store whose configured `root` does not exist (a typo) would list as an
    /// empty folder; its real path is checked instead. Other backends keep folders as key
    /// prefixes, where a missing folder and an empty one are the same.
    pub(crate) fn root_exists(&self) -> bool {
        self.store.name() != LOCAL
            || self
                .store
                .native_path("")
                .is_ok_and(|root| Path::new(&root).is_dir())
    }

    /// Whether the location is an existing file.
    ///
    /// # Errors
    /// As [`is_folder`](Self::is_folder).
    pub(crate) fn is_file(&self) -> Result<bool> {
        if self.key.is_empty() {
            return Ok(false);
        }
        self.store.is_file(&self.key).map_err(|e| self.context(e))
    }
}

/// Resolves location strings, loading the config file the first time a `NAME:` form
/// needs it and opening each store once.
pub(crate) struct Resolver {
    config: Option<ConfigPath>,
    registry: OnceCell<Option<Registry>>,
    opened: HashMap<String, Store>,
    /// Whether the config file named by the user was checked (`resolve`).
    checked: bool,
}

impl std::fmt::Debug for Resolver {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Resolver")
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

impl Resolver {
    /// A resolver reading `config` (when there is one) on first need.
    pub(crate) fn new(config: Option<ConfigPath>) -> Self {
        Resolver {
            config,
            registry: OnceCell::new(),
            opened: HashMap::new(),
            checked: false,
        }
    }

    /// The config file in use.
    pub(crate) fn config(&self) -> Option<&ConfigPath> {
        self.config.as_ref()
    }

    /// The registry, loading it on first use: `None` when the platform default file does
    /// not exist.
    ///
    /// # Errors
    /// A missing explicit config file; an invalid config.
    pub(crate) fn registry(&self) -> Result<Option<&Registry>> {
        if let Some(loaded) = self.registry.get() {
            return Ok(loaded.as_ref());
        }
        let loaded = match &self.config {
            Some(c) if c.explicit || c.path.exists() => Some(load_registry(&c.path)?),
            _ => None,
        };
        Ok(self.registry.get_or_init(|| loaded).as_ref())
    }

    /// Resolves one location string.
    ///
    /// # Errors
    /// `InvalidArgument` for a bad URL or config, `InvalidPath` for a bad key, `NotFound`
    /// for a missing explicit config file, a store's construction errors.
    pub(crate) fn resolve(&mut self, text: &str) -> Result<Location> {
        if text.is_empty() {
            return Err(Error::invalid_argument("an empty location"));
        }
        // A config file the user named is checked even when no location needs it, so that
        // a wrong path or a broken file is reported rather than silently unused. Only its
        // syntax: placeholders are resolved when a store of it is used, so that an unset
        // variable of some store does not stop a command that uses none.
        if !self.checked {
            self.checked = true;
            if let Some(c) = self.config.as_ref().filter(|c| c.explicit) {
                check_config_file(&c.path)?;
            }
        }
        let dir_hint = text.ends_with('/');
        if text.contains("://") {
            return self.url(text, dir_hint);
        }
        if let Some((name, path)) = text.split_once(':')
            && !name.is_empty()
            && !name.contains('/')
            && let Some(registry) = self.registry()?
            && registry.store_names().any(|n| n == name)
        {
            let store = registry.store(name)?;
            let backing = format!("backend:{}", registry.store_backend(name).unwrap_or(name));
            return Ok(Location {
                store,
                key: normalise(path)?,
                dir_hint,
                origin: Origin::Named(name.to_owned()),
                backing,
            });
        }
        self.mistyped_name(text)?;
        self.local(Path::new(text), dir_hint)
    }

    /// `NAME:path` where NAME is no configured store and no such local path exists: most
    /// likely a mistyped store name, refused with the names there are.
    fn mistyped_name(&self, text: &str) -> Result<()> {
        let Some((name, _)) = text.split_once(':') else {
            return Ok(());
        };
        // Store names are any TOML key (`[stores."eu.prod"]`), so anything before the
        // colon that is not a path (no `/`) may be one.
        let looks_like_name = !name.is_empty() && !name.contains('/');
        if !looks_like_name || Path::new(text).exists() {
            return Ok(());
        }
        let (Some(registry), Some(config)) =
            (self.registry.get().and_then(Option::as_ref), &self.config)
        else {
            // No config file: no store has a name, so NAME:path is a typo or a local
            // path that must be written as one.
            let looked = self.config.as_ref().map_or_else(
                || "no config file".to_owned(),
                |c| format!("no config file at {}", c.path.display()),
            );
            return Err(Error::invalid_argument(format!(
                "no store named {name:?} ({looked}; give --config FILE or set {CONFIG_VAR}); \
                 write ./{text} for a local path"
            )));
        };
        let names: Vec<&str> = registry.store_names().collect();
        Err(Error::invalid_argument(format!(
            "no store named {name:?} in {} (stores: {}); write ./{text} for a local path",
            config.path.display(),
            if names.is_empty() {
                "none".to_owned()
            } else {
                names.join(", ")
            }
        )))
    }

    /// A local path, whatever it looks like (`put`'s source, `get`'s destination).
    ///
    /// # Errors
    /// As [`resolve`](Self::resolve).
    pub(crate) fn resolve_local(&mut self, text: &str) -> Result<Location> {
        if text.is_empty() {
            return Err(Error::invalid_argument("an empty path"));
        }
        self.local(Path::new(text), text.ends_with('/'))
    }

    /// The local path `text` as an entry of the folder that holds it — a store on the
    /// parent, the last name as the key — so that the folder itself can be deleted, not
    /// only what is below it. Links in the parent's path are resolved, the last name is
    /// not: a link is the link, never its target. `.`, `..` and `/` are refused, as
    /// `rm -r` refuses them.
    pub(crate) fn resolve_local_entry(&mut self, text: &str) -> Result<Location> {
        let trimmed = text.trim_end_matches('/');
        let last = trimmed.rsplit('/').next().unwrap_or(trimmed);
        if matches!(last, "" | "." | "..") {
            return Err(Error::invalid_path(
                text,
                "refusing to delete `.`, `..` or `/`: name the folder itself",
            ));
        }
        let abs = std::path::absolute(trimmed).map_err(Error::from_io)?;
        let (Some(parent), Some(name)) = (abs.parent(), abs.file_name()) else {
            return Err(Error::invalid_path(text, "refusing to delete `/`"));
        };
        let Some(name) = name.to_str() else {
            return Err(Error::invalid_path(text, "the path is not valid UTF-8"));
        };
        let mut loc = self.local(parent, true)?;
        let key = normalise(name).map_err(|e| e.map_path(|_| text.to_owned()))?;
        loc.key = if loc.key.is_empty() {
            key
        } else {
            format!("{}/{key}", loc.key)
        };
        Ok(loc)
    }

    /// A URL: the store is the URL without its path (the bucket, the container, the SFTP
    /// server's `/`), the key is the path, so a URL can name a file.
    fn url(&mut self, text: &str, dir_hint: bool) -> Result<Location> {
        // A URL that does not parse is shown by the config crate without its content.
        let Ok(url) = Url::parse(text) else {
            return Err(remote_store::config::open_url(text)
                .err()
                .unwrap_or_else(|| Error::invalid_argument("not a URL")));
        };
        // Parsing resolves `..` and `.` and keeps `//`: `rm -r s3://b/data/tmp/..` must not
        // become `rm -r s3://b/data`, nor `rm file:///d/x/../keep` delete `/d/keep`.
        remote_store::config::check_url_path(text).map_err(|e| e.with_path(redacted(text)))?;
        // A file path has no query or fragment: `file:///d/q3#draft` would name `/d/q3`.
        if url.scheme() == "file" && (url.query().is_some() || url.fragment().is_some()) {
            return Err(Error::invalid_path(
                text,
                "a file URL has no `?query` or `#fragment`, and its path would name another \
                 file without them: write `%3F` for `?` and `%23` for `#` in a name, or give \
                 the path itself",
            ));
        }
        let path = percent_decode_str(url.path())
            .decode_utf8()
            .map_err(|_| Error::invalid_argument("the URL's path is not UTF-8"))?
            .into_owned();
        let (store_path, key) = match url.scheme() {
            "file" => {
                let file = url.to_file_path().map_err(|()| {
                    Error::invalid_argument("a file URL needs an absolute path: file:///abs/path")
                })?;
                return self.local(&file, dir_hint);
            }
            "s3" | "sftp" => (String::new(), path.trim_start_matches('/').to_owned()),
            "az" | "azure" => {
                let trimmed = path.trim_start_matches('/');
                let (container, key) = trimmed.split_once('/').unwrap_or((trimmed, ""));
                (format!("/{container}"), key.to_owned())
            }
            // memory:// and unknown schemes: the whole URL is the store (the config crate
            // names the known schemes when it refuses one).
            _ => (path.clone(), String::new()),
        };
        let mut base = url.clone();
        base.set_path(if url.scheme() == "sftp" && store_path.is_empty() {
            "/"
        } else {
            &store_path
        });
        let mut shown = base.clone();
        shown.set_query(None);
        shown.set_fragment(None);
        let shown = shown.as_str().trim_end_matches('/').to_owned();
        let store = match self.opened.get(base.as_str()) {
            Some(store) => store.clone(),
            None => {
                let store = remote_store::config::open_url(base.as_str())?;
                self.opened.insert(base.as_str().to_owned(), store.clone());
                store
            }
        };
        Ok(Location {
            store,
            key: normalise(&key)?,
            dir_hint,
            // Without the query: two spellings of one endpoint (`?endpoint=E` with or
            // without `&region=R`) stay one place for the safety checks, which may then
            // refuse a copy between two servers that share a bucket name, never lose data.
            backing: format!("url:{shown}"),
            origin: Origin::Url {
                shown,
                opened: base.as_str().to_owned(),
            },
        })
    }

    /// A local path: the store is rooted at the path when it is a folder, else at the
    /// nearest existing folder above it, the rest being the key. The root is resolved to
    /// its real path first, so a symbolic link on the way there is followed.
    fn local(&mut self, path: &Path, dir_hint: bool) -> Result<Location> {
        let abs = std::path::absolute(path).map_err(Error::from_io)?;
        let mut root = abs.as_path();
        let mut rest = Vec::new();
        while !root.is_dir() {
            let (Some(parent), Some(name)) = (root.parent(), root.file_name()) else {
                return Err(Error::invalid_path(
                    path.display().to_string(),
                    "no existing folder above this path",
                ));
            };
            rest.push(name);
            root = parent;
        }
        let root = std::fs::canonicalize(root)
            .map_err(|e| Error::from_io(e).with_path(root.display().to_string()))?;
        let mut key = String::new();
        for name in rest.iter().rev() {
            let Some(name) = name.to_str() else {
                return Err(Error::invalid_path(
                    path.display().to_string(),
                    "the path is not valid UTF-8",
                ));
            };
            if !key.is_empty() {
                key.push('/');
            }
            key.push_str(name);
        }
        let id = format!("local:{}", root.display());
        let store = match self.opened.get(&id) {
            Some(store) => store.clone(),
            None => {
                // Through the config crate, as every other store: the tool knows no
                // backend crate.
                let url = Url::from_file_path(&root).map_err(|()| {
                    Error::invalid_path(root.display().to_string(), "not an absolute path")
                })?;
                let store = remote_store::config::open_url(url.as_str())?;
                self.opened.insert(id, store.clone());
                store
            }
        };
        let key = normalise(&key).map_err(|e| e.map_path(|_| path.display().to_string()))?;
        Ok(Location {
            store,
            key,
            dir_hint,
            backing: LOCAL.to_owned(),
            origin: Origin::Local(root),
        })
    }

    /// Closes every store this resolver opened and the registry's backends. Errors are
    /// logged, never fatal: the work is done.
    pub(crate) fn close(&self) {
        for store in self.opened.values() {
            if let Err(e) = store.close() {
                tracing::debug!(error = %e, "closing a store failed");
            }
        }
        if let Some(Some(registry)) = self.registry.get()
            && let Err(e) = registry.close()
        {
            tracing::debug!(error = %e, "closing the registry failed");
        }
    }
}

/// A key as the stores normalise it (`./a//b/` → `a/b`).
fn normalise(key: &str) -> Result<String> {
    Ok(RemotePath::new(key)?.as_str().to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_local_file_is_a_key_below_its_folder() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("sub")).unwrap();
        std::fs::write(dir.path().join("sub/a.txt"), "a").unwrap();
        let mut r = Resolver::new(None);
        let file = r
            .resolve(&format!("{}/sub/a.txt", dir.path().display()))
            .unwrap();
        assert_eq!(file.key, "a.txt");
        let folder = r.resolve(&format!("{}/sub", dir.path().display())).unwrap();
        assert_eq!(folder.key, "");
        assert!(file.same_store(&folder));
        let new = r
            .resolve(&format!("{}/new/deep/b.txt", dir.path().display()))
            .unwrap();
        assert_eq!(new.key, "new/deep/b.txt");
    }

    #[test]
    fn an_unknown_name_is_a_local_path() {
        let dir = tempfile::tempdir().unwrap();
        let mut r = Resolver::new(None);
        let loc = r
            .resolve(&format!("{}/nope:x", dir.path().display()))
            .unwrap();
        assert_eq!(loc.key, "nope:x");
    }

    #[test]
    fn a_named_store_is_found_in_the_config() {
        let dir = tempfile::tempdir().unwrap();
        let config = dir.path().join("c.toml");
        std::fs::write(
            &config,
            format!(
                "[backends.d]\ntype = \"local\"\nroot = {:?}\n[stores.data]\nbackend = \"d\"\n",
                dir.path().display().to_string()
            ),
        )
        .unwrap();
        let mut r = Resolver::new(Some(ConfigPath {
            path: config,
            explicit: true,
        }));
        let loc = r.resolve("data:x/./y/").unwrap();
        assert_eq!(loc.key, "x/y");
        assert!(loc.dir_hint);
        assert_eq!(loc.show("a"), "data:a");
    }

    #[test]
    fn a_url_names_a_key_in_its_bucket() {
        let mut r = Resolver::new(None);
        let loc = r.resolve("memory://").unwrap();
        assert_eq!(loc.key, "");
        assert!(r.resolve("nope://x/y").is_err());
    }
    #[test]
    fn a_shown_url_has_no_password_and_no_query() {
        assert_eq!(
            redacted("sftp://u:hunter2@h:22/a/../b?x=1#f"),
            "sftp://u:***@h:22/a/../b"
        );
        assert_eq!(redacted("s3://b/k?secret_access_key=s"), "s3://b/k");
        assert_eq!(redacted("sftp://u@h/p"), "sftp://u@h/p");
        assert_eq!(redacted("./local:x"), "./local:x");
    }
}
