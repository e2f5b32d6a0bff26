//! [`Registry`]: stores by name, built lazily from a checked [`RegistryConfig`].

use std::collections::BTreeMap;
use std::fmt;
use std::sync::Mutex;

use remote_store_async::AsyncStore;
use remote_store_core::{Error, Result};
use remote_store_sync::Store;

use crate::backends::{self, Pair};
use crate::hint::{self, Place, message};
use crate::load::Loader;
use crate::model::{BackendConfig, RegistryConfig};

/// Named stores over shared backends, from a [`RegistryConfig`].
///
/// - [`new`](Self::new) checks the whole config up front (every store names a backend
///   that exists, every root is a valid path, every backend config is valid) without
///   connecting anywhere, so a bad config fails at startup and nothing is half-built.
/// - [`store`](Self::store) and [`async_store`](Self::async_store) build a backend the
///   first time a store over it is asked for, then reuse it: every store naming the same
///   backend, in either half, is a [`child`](Store::child) of one backend object (one S3
///   client, one SSH session, one memory tree). Closing such a store never closes the
///   backend.
/// - [`close`](Self::close) closes every backend the registry built.
///
/// ```
/// use remote_store_config::{Registry, RegistryConfig};
///
/// let registry = Registry::new(RegistryConfig::from_toml_str(r#"
///     [backends.scratch]
///     type = "memory"
///
///     [stores.reports]
///     backend = "scratch"
///     root = "reports"
/// "#)?)?;
/// let reports = registry.store("reports")?;
/// reports.write("q3.csv", "region,total\n")?;
/// assert!(registry.store("reports")?.is_file("q3.csv")?);
/// registry.close()?;
/// # Ok::<(), remote_store_core::Error>(())
/// ```
pub struct Registry {
    origin: String,
    backends: BTreeMap<String, Slot>,
    stores: BTreeMap<String, Entry>,
}

/// One backend: its config and, once asked for, both halves over it.
struct Slot {
    config: BackendConfig,
    built: Mutex<Option<Pair>>,
}

/// One store: the backend slot it uses and its root there.
#[derive(Debug)]
struct Entry {
    backend: String,
    root: String,
}

impl Registry {
    /// Checks `config` and makes a registry of it. Nothing is built or connected yet.
    ///
    /// # Errors
    /// `InvalidArgument` naming the file and table: a store naming a backend that does not
    /// exist (both named), a store with neither or both of `backend` and `url`, an invalid
    /// root, an invalid backend config (the backend's reason).
    pub fn new(config: RegistryConfig) -> Result<Self> {
        Self::with_loader(config, &Loader::new())
    }

    /// [`new`](Self::new), reading the environment of `loader` for the stores given by URL.
    ///
    /// # Errors
    /// As [`new`](Self::new).
    pub fn with_loader(config: RegistryConfig, loader: &Loader) -> Result<Self> {
        let origin = config.origin().to_owned();
        let place = |table: String| Place::new(&origin, table);
        let mut backends = BTreeMap::new();
        for (name, backend) in config.backends {
            backends::validate(&backend, &place(format!("backends.{name}")))?;
            backends.insert(name, Slot::new(backend));
        }
        let names: Vec<&str> = backends.keys().map(String::as_str).collect();
        let mut stores = BTreeMap::new();
        let mut url_backends = Vec::new();
        for (name, profile) in config.stores {
            let at = place(format!("stores.{name}"));
            let entry = match (profile.backend, profile.url) {
                (Some(backend), None) => {
                    if !backends.contains_key(&backend) {
                        let mut why = format!(
                            "store {name:?} names backend {backend:?}, which does not exist"
                        );
                        if let Some(near) = hint::closest(&backend, &names) {
                            why.push_str(&format!(" (did you mean {near:?}?)"));
                        }
                        if !names.is_empty() {
                            why.push_str(&format!("; known backends: {}", names.join(", ")));
                        }
                        return Err(at.error(why));
                    }
                    Entry {
                        backend,
                        root: profile.root,
                    }
                }
                (None, Some(url)) => {
                    let (backend, url_root) = loader
                        .parse_url(&url)
                        .map_err(|e| at.error(format!("store {name:?}: {}", message(&e))))?;
                    let slot = format!("{name} (url)");
                    // A configured backend of that very name would be replaced unseen.
                    if backends.contains_key(&slot) {
                        return Err(at.error(format!(
                            "store {name:?} opens its URL as backend {slot:?}, which the \
                             config also names as a backend: rename that backend"
                        )));
                    }
                    url_backends.push((slot.clone(), backend));
                    Entry {
                        backend: slot,
                        root: join(&url_root, &profile.root),
                    }
                }
                (Some(_), Some(_)) => {
                    return Err(at.error(format!(
                        "store {name:?} has both `backend` and `url`: give one"
                    )));
                }
                (None, None) => {
                    return Err(at.error(format!(
                        "store {name:?} needs `backend` (and `root`) or `url`"
                    )));
                }
            };
            remote_store_core::plan::store_root(&entry.root, "config").map_err(|e| {
                at.error(format!(
                    "store {name:?} has an invalid root {:?}: {}",
                    entry.root,
                    message(&e)
                ))
            })?;
            stores.insert(name, entry);
        }
        for (slot, backend) in url_backends {
            backends.insert(slot, Slot::new(backend));
        }
        Ok(Registry {
            origin,
            backends,
            stores,
        })
    }

    /// Loads a TOML file and makes a registry of it.
    ///
    /// # Errors
    /// As [`RegistryConfig::from_toml_file`] and [`new`](Self::new).
    pub fn from_toml_file(path: impl AsRef<std::path::Path>) -> Result<Self> {
        Self::new(RegistryConfig::from_toml_file(path)?)
    }

    /// The blocking store `name`, building its backend on first use.
    ///
    /// # Errors
    /// `InvalidArgument` for an unknown store name (with the closest one); the backend's
    /// construction errors (`NotFound` for a local root that does not exist, ...).
    pub fn store(&self, name: &str) -> Result<Store> {
        let (entry, pair) = self.pair(name)?;
        pair.store.child(&entry.root)
    }

    /// The async store `name`, building its backend on first use (sharing it with the
    /// blocking stores over the same backend).
    ///
    /// # Errors
    /// As [`store`](Self::store).
    pub fn async_store(&self, name: &str) -> Result<AsyncStore> {
        let (entry, pair) = self.pair(name)?;
        pair.async_store.child(&entry.root)
    }

    /// The names of the stores, sorted.
    pub fn store_names(&self) -> impl Iterator<Item = &str> {
        self.stores.keys().map(String::as_str)
    }

    /// The name of the backend the store `name` uses (`None` for an unknown store). Stores
    /// over one backend share its connection and its objects: a key of one may be a key of
    /// the other.
    pub fn store_backend(&self, name: &str) -> Option<&str> {
        self.stores.get(name).map(|entry| entry.backend.as_str())
    }

    /// The names of the backends the registry has built so far, sorted.
    pub fn built_backends(&self) -> Vec<&str> {
        self.backends
            .iter()
            .filter(|(_, slot)| slot.lock().is_some())
            .map(|(name, _)| name.as_str())
            .collect()
    }

    /// Closes every backend the registry built (blocking). S3 and Azure are then terminal:
    /// their stores fail with `BackendUnavailable`; memory, local and SFTP stay usable.
    /// Every backend is closed even when one fails; the first failure is returned.
    ///
    /// # Errors
    /// The first backend's failure to close.
    pub fn close(&self) -> Result<()> {
        let mut first = None;
        for slot in self.backends.values() {
            let pair = slot.lock().clone();
            if let Some(pair) = pair
                && let Err(e) = pair.store.close()
            {
                first.get_or_insert(e);
            }
        }
        first.map_or(Ok(()), Err)
    }

    /// The async version of [`close`](Self::close).
    ///
    /// # Errors
    /// As [`close`](Self::close).
    pub async fn close_async(&self) -> Result<()> {
        let mut first = None;
        let pairs: Vec<Pair> = self
            .backends
            .values()
            .filter_map(|slot| slot.lock().clone())
            .collect();
        for pair in pairs {
            if let Err(e) = pair.async_store.close().await {
                first.get_or_insert(e);
            }
        }
        first.map_or(Ok(()), Err)
    }

    fn pair(&self, name: &str) -> Result<(&Entry, Pair)> {
        let Some(entry) = self.stores.get(name) else {
            let names: Vec<&str> = self.store_names().collect();
            return Err(Error::invalid_argument(format!(
                "registry from {}: {}",
                self.origin,
                hint::unknown("store", name, &names)
            )));
        };
        let slot = &self.backends[&entry.backend];
        let mut built = slot.lock();
        if let Some(pair) = &*built {
            return Ok((entry, pair.clone()));
        }
        let pair = backends::build_pair(&slot.config)?;
        *built = Some(pair.clone());
        Ok((entry, pair))
    }
}

impl Slot {
    fn new(config: BackendConfig) -> Self {
        Slot {
            config,
            built: Mutex::new(None),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Option<Pair>> {
        // A panic while building leaves `None` behind, which is a consistent state.
        self.built.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl fmt::Debug for Registry {
    /// Backends (their configs show `***` for every credential), stores, and which
    /// backends are built.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let backends: BTreeMap<&str, &BackendConfig> = self
            .backends
            .iter()
            .map(|(name, slot)| (name.as_str(), &slot.config))
            .collect();
        f.debug_struct("Registry")
            .field("origin", &self.origin)
            .field("backends", &backends)
            .field("stores", &self.stores)
            .field("built", &self.built_backends())
            .finish()
    }
}

fn join(a: &str, b: &str) -> String {
    let (a, b) = (a.trim_matches('/'), b.trim_matches('/'));
    match (a.is_empty(), b.is_empty()) {
        (true, _) => b.to_owned(),
        (false, true) => a.to_owned(),
        (false, false) => format!("{a}/{b}"),
    }
}
