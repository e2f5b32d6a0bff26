//! [`Secret`]: a credential that never shows itself.

use std::fmt;

/// A credential (password, key, token, connection string): every config field that holds
/// one has this type.
///
/// - `Debug` and `Display` print `***`, so configs, backends and errors can be logged.
/// - The value is read only through [`expose`](Self::expose).
/// - With the `serde` feature it deserialises from a plain string, but serialising **never
///   writes the value**: a secret made by [`from_reference`](Self::from_reference) (a config
///   loader does this for `${VAR}` placeholders) is written back as that reference; any
///   other secret refuses to serialise, with an error that says how to provide one.
/// - On drop the value's bytes are overwritten with zeros (best effort: copies the
///   allocator or the caller made earlier are out of reach).
///
/// ```
/// use remote_store_core::Secret;
///
/// let key = Secret::new("hunter2");
/// assert_eq!(format!("{key:?} {key}"), "*** ***");
/// assert_eq!(key.expose(), "hunter2");
///
/// let from_env = Secret::from_reference("${SFTP_PASSWORD}", "hunter2");
/// assert_eq!(from_env.reference(), Some("${SFTP_PASSWORD}"));
/// assert_eq!(from_env, key); // equality compares the values
/// ```
#[derive(Clone)]
pub struct Secret {
    value: String,
    reference: Option<String>,
}

impl Secret {
    /// Wraps a secret value (it has no reference, so it cannot be serialised).
    pub fn new(value: impl Into<String>) -> Self {
        Secret {
            value: value.into(),
            reference: None,
        }
    }

    /// A secret that was loaded from `reference` (such as `${AWS_SECRET_ACCESS_KEY}`):
    /// serialising it writes `reference`, never `value`. The reference is written verbatim,
    /// so it must not contain the secret itself (for example as a `${VAR:-default}`).
    pub fn from_reference(reference: impl Into<String>, value: impl Into<String>) -> Self {
        Secret {
            value: value.into(),
            reference: Some(reference.into()),
        }
    }

    /// The secret value itself. Never log it.
    pub fn expose(&self) -> &str {
        &self.value
    }

    /// The reference this secret was loaded from, if any.
    pub fn reference(&self) -> Option<&str> {
        self.reference.as_deref()
    }
}

impl PartialEq for Secret {
    /// Secrets are equal when their values are; the reference does not count.
    fn eq(&self, other: &Self) -> bool {
        self.value == other.value
    }
}

impl Eq for Secret {}

impl Drop for Secret {
    fn drop(&mut self) {
        let mut bytes = std::mem::take(&mut self.value).into_bytes();
        bytes.fill(0);
        // Keep the zeroing from being optimised away as a dead store.
        std::hint::black_box(&bytes);
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

impl From<String> for Secret {
    fn from(value: String) -> Self {
        Secret::new(value)
    }
}

impl From<&str> for Secret {
    fn from(value: &str) -> Self {
        Secret::new(value)
    }
}

/// Why a [`Secret`] without a reference cannot be serialised, and what to do instead.
#[cfg(feature = "serde")]
const NOT_SERIALISED: &str = "a secret value is never serialised: give the credential as a \
    `${VAR}` placeholder in the config (it is then written back as that placeholder), or \
    leave the field out before serialising";

#[cfg(feature = "serde")]
impl serde::Serialize for Secret {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match &self.reference {
            Some(reference) => s.serialize_str(reference),
            None => Err(serde::ser::Error::custom(NOT_SERIALISED)),
        }
    }
}

#[cfg(feature = "serde")]
impl<'de> serde::Deserialize<'de> for Secret {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        String::deserialize(d).map(Secret::new)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn never_shows_the_value() {
        let s = Secret::from_reference("${X}", "p4ss");
        assert_eq!(format!("{s:?}|{s}|{s:#?}|{s:>10}"), "***|***|***|***");
        assert_eq!(s.expose(), "p4ss");
        assert_eq!(s.clone().expose(), "p4ss");
        assert_ne!(Secret::new("a"), Secret::new("b"));
    }

    #[cfg(feature = "serde")]
    #[test]
    fn serde_reads_plain_strings_and_writes_only_references() {
        #[derive(serde::Serialize, serde::Deserialize)]
        struct Cfg {
            key: Secret,
        }
        let cfg: Cfg = serde_json::from_str(r#"{"key":"p4ss"}"#).unwrap();
        assert_eq!(cfg.key.expose(), "p4ss");
        let err = serde_json::to_string(&cfg).unwrap_err().to_string();
        assert!(
            err.contains("never serialised") && err.contains("${VAR}"),
            "{err}"
        );
        assert!(!err.contains("p4ss"));

        let cfg = Cfg {
            key: Secret::from_reference("${MY_KEY}", "p4ss"),
        };
        assert_eq!(
            serde_json::to_string(&cfg).unwrap(),
            r#"{"key":"${MY_KEY}"}"#
        );
    }
}
