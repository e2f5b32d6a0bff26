//! [`MemoryConfig`]: the (empty) configuration of a memory backend.

/// Configuration of a memory backend. It has no settings today; it exists so that a config
/// file can name a memory backend (`type = "memory"`) and refuse unknown keys, like every
/// other backend's config.
///
/// ```
/// use remote_store_memory::MemoryConfig;
///
/// let config = MemoryConfig::new();
/// assert_eq!(config, MemoryConfig::default());
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[cfg_attr(
    feature = "serde",
    derive(serde::Serialize, serde::Deserialize),
    serde(deny_unknown_fields)
)]
#[non_exhaustive]
pub struct MemoryConfig {}

impl MemoryConfig {
    /// The configuration with every default.
    pub fn new() -> Self {
        Self::default()
    }
}
