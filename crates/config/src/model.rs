//! The config model: [`RegistryConfig`], [`BackendConfig`], [`StoreProfile`].

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// A whole registry: named backends and named stores over them.
///
/// Load one with [`from_toml_str`](Self::from_toml_str),
/// [`from_toml_file`](Self::from_toml_file), [`from_json_str`](Self::from_json_str),
/// [`from_deserializer`](Self::from_deserializer) or a [`Loader`](crate::Loader) (to choose
/// the environment), or build one in code. Serialising writes every credential as the
/// `${VAR}` reference it was loaded from, never its value (a credential given literally
/// cannot be serialised at all), and `Debug` shows `***` for each.
///
/// ```
/// use remote_store_config::RegistryConfig;
///
/// let config = RegistryConfig::from_toml_str(r#"
///     [backends.scratch]
///     type = "memory"
///
///     [stores.reports]
///     backend = "scratch"
///     root = "reports"
/// "#)?;
/// assert_eq!(config.stores["reports"].root, "reports");
/// # Ok::<(), remote_store_core::Error>(())
/// ```
///
/// Serialising it writes a file that loads back to the same config: a secret as the
/// placeholder it came from (a secret without one refuses to serialise), and every other
/// text with `${` escaped as `$${`, so a literal `${` is not read back as a placeholder.
#[derive(Debug, Clone, Default)]
#[non_exhaustive]
pub struct RegistryConfig {
    /// Backends by name: each is one connection (client, SSH session, ...) shared by every
    /// store that names it.
    pub backends: BTreeMap<String, BackendConfig>,
    /// Stores by name.
    pub stores: BTreeMap<String, StoreProfile>,
    /// Where the config came from (a file name), for error messages.
    pub(crate) origin: Option<String>,
}

impl Serialize for RegistryConfig {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        /// The fields as they are (a secret already writes its placeholder).
        #[derive(Serialize)]
        struct Fields<'a> {
            backends: &'a BTreeMap<String, BackendConfig>,
            stores: &'a BTreeMap<String, StoreProfile>,
        }
        let fields = Fields {
            backends: &self.backends,
            stores: &self.stores,
        };
        let mut value = serde_json::to_value(fields).map_err(serde::ser::Error::custom)?;
        crate::backends::escape_literals(&mut value, false);
        value.serialize(s)
    }
}

impl RegistryConfig {
    /// An empty config.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds (or replaces) the backend `name`.
    #[must_use]
    pub fn backend(mut self, name: impl Into<String>, config: impl Into<BackendConfig>) -> Self {
        self.backends.insert(name.into(), config.into());
        self
    }

    /// Adds (or replaces) the store `name`.
    #[must_use]
    pub fn store(mut self, name: impl Into<String>, profile: StoreProfile) -> Self {
        self.stores.insert(name.into(), profile);
        self
    }

    /// Where this config was loaded from (`"TOML text"`, a file name, ...), as named in
    /// error messages; `"config built in code"` when it was not loaded.
    pub fn origin(&self) -> &str {
        self.origin.as_deref().unwrap_or("built in code")
    }
}

/// One backend's settings, tagged by `type` in a config file. Each variant carries that
/// backend crate's own config type, so the keys are exactly the backend's fields.
///
/// A variant exists only with its cargo feature (`memory`, `local`, `s3`, `azure`,
/// `sftp`); a file naming a type whose feature is off fails to load, naming the feature.
// Configs are built once per backend and read in place: boxing the large ones would only
// make matching on them clumsier.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "type", rename_all = "lowercase")]
#[non_exhaustive]
pub enum BackendConfig {
    /// `type = "memory"`: an in-process memory backend (its contents live as long as the
    /// registry).
    #[cfg(feature = "memory")]
    #[cfg_attr(docsrs, doc(cfg(feature = "memory")))]
    Memory(remote_store_memory::MemoryConfig),
    /// `type = "local"`: a local directory.
    #[cfg(feature = "local")]
    #[cfg_attr(docsrs, doc(cfg(feature = "local")))]
    Local(remote_store_local::LocalConfig),
    /// `type = "s3"`: an S3 bucket (or S3-compatible server).
    #[cfg(feature = "s3")]
    #[cfg_attr(docsrs, doc(cfg(feature = "s3")))]
    S3(remote_store_s3::S3Config),
    /// `type = "azure"`: an Azure Blob container.
    #[cfg(feature = "azure")]
    #[cfg_attr(docsrs, doc(cfg(feature = "azure")))]
    Azure(remote_store_azure::AzureConfig),
    /// `type = "sftp"`: a directory on an SFTP server.
    #[cfg(feature = "sftp")]
    #[cfg_attr(docsrs, doc(cfg(feature = "sftp")))]
    Sftp(remote_store_sftp::SftpConfig),
}

/// Every backend `type`, with the cargo feature that enables it.
pub(crate) const TYPES: [&str; 5] = ["memory", "local", "s3", "azure", "sftp"];

impl BackendConfig {
    /// The `type` of this backend (`"s3"`, ...).
    pub fn type_name(&self) -> &'static str {
        match *self {
            #[cfg(feature = "memory")]
            BackendConfig::Memory(_) => "memory",
            #[cfg(feature = "local")]
            BackendConfig::Local(_) => "local",
            #[cfg(feature = "s3")]
            BackendConfig::S3(_) => "s3",
            #[cfg(feature = "azure")]
            BackendConfig::Azure(_) => "azure",
            #[cfg(feature = "sftp")]
            BackendConfig::Sftp(_) => "sftp",
        }
    }
}

#[cfg(feature = "memory")]
impl From<remote_store_memory::MemoryConfig> for BackendConfig {
    fn from(config: remote_store_memory::MemoryConfig) -> Self {
        BackendConfig::Memory(config)
    }
}

#[cfg(feature = "local")]
impl From<remote_store_local::LocalConfig> for BackendConfig {
    fn from(config: remote_store_local::LocalConfig) -> Self {
        BackendConfig::Local(config)
    }
}

#[cfg(feature = "s3")]
impl From<remote_store_s3::S3Config> for BackendConfig {
    fn from(config: remote_store_s3::S3Config) -> Self {
        BackendConfig::S3(config)
    }
}

#[cfg(feature = "azure")]
impl From<remote_store_azure::AzureConfig> for BackendConfig {
    fn from(config: remote_store_azure::AzureConfig) -> Self {
        BackendConfig::Azure(config)
    }
}

#[cfg(feature = "sftp")]
impl From<remote_store_sftp::SftpConfig> for BackendConfig {
    fn from(config: remote_store_sftp::SftpConfig) -> Self {
        BackendConfig::Sftp(config)
    }
}

/// A named store: a root folder on a named backend, or a URL.
///
/// In a file: `backend = "main"` and `root = "reports"` (root defaults to the backend's
/// own root), or `url = "s3://bucket/prefix?region=eu-west-1"` alone. A URL store gets a
/// backend of its own.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct StoreProfile {
    /// The backend's name (a key of [`RegistryConfig::backends`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub backend: Option<String>,
    /// The store's root folder on that backend (`""`: the backend's root).
    #[serde(default)]
    pub root: String,
    /// A URL naming the backend and root at once (see [`open_url`](crate::open_url)),
    /// instead of `backend`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
}

impl StoreProfile {
    /// The folder `root` on the backend named `backend`.
    pub fn new(backend: impl Into<String>, root: impl Into<String>) -> Self {
        StoreProfile {
            backend: Some(backend.into()),
            root: root.into(),
            url: None,
        }
    }

    /// The store a URL names.
    pub fn url(url: impl Into<String>) -> Self {
        StoreProfile {
            backend: None,
            root: String::new(),
            url: Some(url.into()),
        }
    }
}
