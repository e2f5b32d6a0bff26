//! [`Metadata`]: user key/value metadata, validated at the edge.

use std::collections::BTreeMap;

use crate::error::{Error, Result};

/// The largest total of key and value bytes a [`Metadata`] map may hold.
pub const MAX_METADATA_BYTES: usize = 2048;

/// User metadata: a map of key → value stored with a file.
///
/// Keys are non-empty ASCII without a leading `_` and without control characters, spaces
/// or `:`/`=`; the total of key and value bytes is at most 2048. Keys are case-sensitive
/// here; backends that fold case (HTTP headers) document it. An empty map means "none".
///
/// ```
/// use remote_store_core::Metadata;
///
/// let m: Metadata = [("owner", "ana"), ("stage", "raw")].into_iter().collect();
/// assert!(m.validate().is_ok());
/// let bad: Metadata = [("_internal", "x")].into_iter().collect();
/// assert!(bad.validate().is_err());
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(transparent))]
pub struct Metadata(BTreeMap<String, String>);

impl Metadata {
    /// An empty map.
    pub fn new() -> Self {
        Self::default()
    }

    /// Inserts a pair (validation happens in [`validate`](Self::validate)).
    pub fn insert(&mut self, key: impl Into<String>, value: impl Into<String>) -> &mut Self {
        self.0.insert(key.into(), value.into());
        self
    }

    /// The value for `key`.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.0.get(key).map(String::as_str)
    }

    /// The pairs, ordered by key.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.0.iter().map(|(k, v)| (k.as_str(), v.as_str()))
    }

    /// Number of pairs.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// True when there are no pairs.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Checks the shape rules.
    ///
    /// # Errors
    /// [`InvalidArgument`](crate::ErrorKind::InvalidArgument) naming the offending key.
    pub fn validate(&self) -> Result<()> {
        let mut total = 0usize;
        for (k, v) in &self.0 {
            if k.is_empty() {
                return Err(Error::invalid_argument("metadata key must not be empty"));
            }
            let bad_char = k.chars().find(|c| {
                !c.is_ascii() || c.is_ascii_control() || matches!(c, ' ' | ':' | '=' | '"')
            });
            if let Some(c) = bad_char {
                return Err(Error::invalid_argument(format!(
                    "metadata key {k:?} contains {c:?}; keys are printable ASCII without spaces"
                )));
            }
            if k.starts_with('_') {
                return Err(Error::invalid_argument(format!(
                    "metadata key {k:?} must not start with '_'"
                )));
            }
            if v.chars().any(|c| c.is_control()) {
                return Err(Error::invalid_argument(format!(
                    "metadata value of key {k:?} contains a control character"
                )));
            }
            total += k.len() + v.len();
            if total > MAX_METADATA_BYTES {
                return Err(Error::invalid_argument(format!(
                    "metadata exceeds {MAX_METADATA_BYTES} bytes at key {k:?}"
                )));
            }
        }
        Ok(())
    }

    /// The inner map.
    pub fn into_inner(self) -> BTreeMap<String, String> {
        self.0
    }
}

impl<K: Into<String>, V: Into<String>> FromIterator<(K, V)> for Metadata {
    fn from_iter<I: IntoIterator<Item = (K, V)>>(iter: I) -> Self {
        Metadata(
            iter.into_iter()
                .map(|(k, v)| (k.into(), v.into()))
                .collect(),
        )
    }
}

impl From<BTreeMap<String, String>> for Metadata {
    fn from(map: BTreeMap<String, String>) -> Self {
        Metadata(map)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ErrorKind;

    #[test]
    fn rules_name_the_key() {
        for (k, v) in [
            ("", "x"),
            ("_a", "x"),
            ("é", "x"),
            ("a b", "x"),
            ("k", "a\nb"),
        ] {
            let m: Metadata = [(k, v)].into_iter().collect();
            let e = m.validate().unwrap_err();
            assert_eq!(e.kind(), ErrorKind::InvalidArgument);
            if !k.is_empty() {
                assert!(e.to_string().contains(&format!("{k:?}")), "{e}");
            }
        }
        let big: Metadata = [("k", "v".repeat(2047))].into_iter().collect();
        assert!(big.validate().is_ok());
        let too_big: Metadata = [("k", "v".repeat(2048))].into_iter().collect();
        assert!(too_big.validate().is_err());
    }
}
