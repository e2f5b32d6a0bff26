//! [`Loader`]: text or a serde deserializer → a checked [`RegistryConfig`], with `${VAR}`
//! placeholders resolved and the per-backend environment fallbacks applied.

use std::collections::BTreeMap;
use std::path::Path;

use remote_store_core::{Error, ErrorKind, Result};
use serde_json::{Map, Value};

use crate::env::{self, Env, PlaceholderError};
use crate::hint::{self, Place};
use crate::model::{BackendConfig, RegistryConfig, StoreProfile, TYPES};

/// Loads configs against a chosen [`Env`] (the process environment by default).
///
/// The `RegistryConfig::from_*` functions and [`open_url`](crate::open_url) are this with
/// the process environment; tests pass a fixed map instead.
///
/// ```
/// use remote_store_config::{Env, Loader};
///
/// let loader = Loader::new().env(Env::from_pairs([("DATA", "/srv/data")]));
/// let config = loader.toml_str(r#"
///     [backends.disk]
///     type = "local"
///     root = "${DATA}"
/// "#)?;
/// assert_eq!(config.backends.len(), 1);
/// # Ok::<(), remote_store_core::Error>(())
/// ```
#[derive(Debug, Clone, Default)]
pub struct Loader {
    env: Env,
}

/// Every string that held a placeholder, by dotted key path.
pub(crate) type References = BTreeMap<String, Reference>;

/// A string that held a placeholder: the text as written, and what it resolved to.
#[derive(Clone)]
pub(crate) struct Reference {
    /// As written (`${AWS_SECRET_ACCESS_KEY}`): what a secret serialises back as.
    pub(crate) raw: String,
    /// The resolved text: may be a secret, so error messages never repeat it.
    pub(crate) value: String,
}

impl Loader {
    /// A loader reading the process environment.
    pub fn new() -> Self {
        Loader {
            env: Env::process(),
        }
    }

    /// Resolves placeholders and fallbacks against `env` instead.
    #[must_use]
    pub fn env(mut self, env: Env) -> Self {
        self.env = env;
        self
    }

    /// The environment this loader reads.
    pub fn environment(&self) -> &Env {
        &self.env
    }

    /// Loads TOML text.
    ///
    /// # Errors
    /// `InvalidArgument` for text that is not TOML or a config that is not valid (see
    /// [`RegistryConfig`]); the message names the table.
    pub fn toml_str(&self, text: &str) -> Result<RegistryConfig> {
        self.toml(text, "TOML text")
    }

    /// Loads a TOML file.
    ///
    /// # Errors
    /// As [`toml_str`](Self::toml_str), naming the file; the file's read error (with its
    /// kind, such as `NotFound`) when it cannot be read.
    pub fn toml_file(&self, path: impl AsRef<Path>) -> Result<RegistryConfig> {
        let (text, origin) = read(path.as_ref())?;
        self.toml(&text, &origin)
    }

    /// Loads JSON text.
    ///
    /// # Errors
    /// As [`toml_str`](Self::toml_str).
    pub fn json_str(&self, text: &str) -> Result<RegistryConfig> {
        self.json(text, "JSON text")
    }

    /// Loads a JSON file.
    ///
    /// # Errors
    /// As [`toml_file`](Self::toml_file).
    pub fn json_file(&self, path: impl AsRef<Path>) -> Result<RegistryConfig> {
        let (text, origin) = read(path.as_ref())?;
        self.json(&text, &origin)
    }

    /// Loads from any serde deserializer (YAML, a `serde_json::Value`, ...); `origin`
    /// names the source in error messages.
    ///
    /// # Errors
    /// As [`toml_str`](Self::toml_str).
    pub fn deserializer<'de, D: serde::Deserializer<'de>>(
        &self,
        deserializer: D,
        origin: &str,
    ) -> Result<RegistryConfig> {
        let crate::unique::Unique(value) = serde::Deserialize::deserialize(deserializer)
            .map_err(|e| Place::new(origin, "").error(format!("not a config: {e}")))?;
        self.value(value, origin)
    }

    fn toml(&self, text: &str, origin: &str) -> Result<RegistryConfig> {
        let table = parse_toml(text, origin)?;
        self.value(toml_to_json(toml::Value::Table(table)), origin)
    }

    /// Checks that `text` is well-formed TOML, without reading it as a config (no
    /// placeholder is resolved, no backend checked): for a tool that wants a broken config
    /// file reported before it knows whether it needs the file. The error names the line,
    /// the column and the reason, never the text there (which may hold a credential).
    ///
    /// # Errors
    /// `InvalidArgument` naming `origin` (the file, for the message) and the position.
    pub fn check_toml_syntax(&self, text: &str, origin: &str) -> Result<()> {
        parse_toml(text, origin).map(drop)
    }

    fn json(&self, text: &str, origin: &str) -> Result<RegistryConfig> {
        let crate::unique::Unique(value) = serde_json::from_str(text)
            .map_err(|e| Place::new(origin, "").error(format!("not valid JSON: {e}")))?;
        self.value(value, origin)
    }

    /// The common path: the top-level tables, then each backend and store.
    pub(crate) fn value(&self, value: Value, origin: &str) -> Result<RegistryConfig> {
        let top = Place::new(origin, "");
        let Value::Object(mut top_table) = value else {
            return Err(top.error("the config must be a table with `backends` and `stores`"));
        };
        if let Some(key) = top_table
            .keys()
            .find(|k| !["backends", "stores"].contains(&k.as_str()))
        {
            return Err(top.error(hint::unknown("key", key, &["backends", "stores"])));
        }
        let mut config = RegistryConfig {
            origin: Some(origin.to_owned()),
            ..RegistryConfig::default()
        };
        for (name, raw) in tables(top_table.remove("backends"), &top.table("backends"))? {
            let place = top.table(format!("backends.{name}"));
            let backend = self.backend(raw, &place, &Fallbacks::default())?;
            config.backends.insert(name, backend);
        }
        for (name, raw) in tables(top_table.remove("stores"), &top.table("stores"))? {
            let place = top.table(format!("stores.{name}"));
            let (resolved, refs) = resolve_table(raw, &self.env, &place)?;
            let profile: StoreProfile = crate::backends::typed(resolved, &refs, &place)?;
            config.stores.insert(name, profile);
        }
        Ok(config)
    }

    /// One backend table (`type` plus that backend's keys).
    pub(crate) fn backend(
        &self,
        mut raw: Map<String, Value>,
        place: &Place,
        fallbacks: &Fallbacks,
    ) -> Result<BackendConfig> {
        let type_name = match raw.remove("type") {
            Some(Value::String(t)) => resolve_string(&t, &self.env, place, "type")?.value,
            Some(other) => return Err(place.error(format!("`type` must be text, not {other}"))),
            None => {
                return Err(place.error(format!(
                    "missing key \"type\"; known types: {}",
                    TYPES.join(", ")
                )));
            }
        };
        crate::backends::parse(&type_name, raw, &self.env, place, fallbacks)
    }
}

/// Values a URL supplies that a backend table would otherwise lack (the Azure account).
#[derive(Debug, Clone, Default)]
pub(crate) struct Fallbacks {
    /// The storage account an `az://account/...` URL names.
    pub(crate) azure_account: Option<String>,
}

fn read(path: &Path) -> Result<(String, String)> {
    let origin = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|e| {
        let kind = match e.kind() {
            std::io::ErrorKind::NotFound => ErrorKind::NotFound,
            std::io::ErrorKind::PermissionDenied => ErrorKind::PermissionDenied,
            _ => ErrorKind::Other,
        };
        Error::new(kind)
            .with_path(origin.clone())
            .with_message(format!("reading config file {origin}: {e}"))
            .with_source(e)
    })?;
    Ok((text, origin))
}

/// The tables below `backends` or `stores`, by name.
fn tables(value: Option<Value>, place: &Place) -> Result<Vec<(String, Map<String, Value>)>> {
    let Some(value) = value else {
        return Ok(Vec::new());
    };
    let Value::Object(map) = value else {
        return Err(place.error("must be a table of named tables"));
    };
    map.into_iter()
        .map(|(name, v)| match v {
            Value::Object(t) => Ok((name, t)),
            other => Err(place
                .table(format!("{}.{name}", place.table))
                .error(format!("must be a table, not {other}"))),
        })
        .collect()
}

/// Resolves the placeholders in every string of `table`, returning the resolved table and
/// the raw text of each string that held a placeholder (for secrets to keep as reference).
pub(crate) fn resolve_table(
    table: Map<String, Value>,
    env: &Env,
    place: &Place,
) -> Result<(Map<String, Value>, References)> {
    let mut refs = References::new();
    let resolved = table
        .into_iter()
        .map(|(k, v)| {
            let v = resolve_value(v, &k, env, place, &mut refs)?;
            Ok((k, v))
        })
        .collect::<Result<_>>()?;
    Ok((resolved, refs))
}

fn resolve_value(
    value: Value,
    path: &str,
    env: &Env,
    place: &Place,
    refs: &mut References,
) -> Result<Value> {
    Ok(match value {
        Value::String(raw) => {
            let resolved = resolve_string(&raw, env, place, path)?;
            if resolved.had_placeholder {
                let value = resolved.value.clone();
                refs.insert(path.to_owned(), Reference { raw, value });
            }
            Value::String(resolved.value)
        }
        Value::Array(items) => Value::Array(
            items
                .into_iter()
                .enumerate()
                .map(|(i, v)| resolve_value(v, &format!("{path}[{i}]"), env, place, refs))
                .collect::<Result<_>>()?,
        ),
        Value::Object(map) => Value::Object(
            map.into_iter()
                .map(|(k, v)| {
                    let v = resolve_value(v, &format!("{path}.{k}"), env, place, refs)?;
                    Ok((k, v))
                })
                .collect::<Result<_>>()?,
        ),
        other => other,
    })
}

fn resolve_string(raw: &str, env: &Env, place: &Place, key: &str) -> Result<env::Resolved> {
    env::resolve(raw, env).map_err(|e| match e {
        PlaceholderError::Missing(name) => place.error(format!(
            "environment variable {name:?} is not set (used by key {key:?}; give a default \
             with ${{{name}:-default}})"
        )),
        PlaceholderError::Malformed(why) => {
            place.error(format!("bad placeholder in key {key:?}: {why}"))
        }
    })
}

/// `text` as a TOML table. toml's own message quotes the offending line, which may hold a
/// credential: only its position and the reason are shown.
fn parse_toml(text: &str, origin: &str) -> Result<toml::Table> {
    toml::from_str(text).map_err(|e| {
        let at = e.span().map_or_else(String::new, |span| {
            let before = &text[..span.start.min(text.len())];
            let line = before.matches('\n').count() + 1;
            let column = before.len() - before.rfind('\n').map_or(0, |i| i + 1) + 1;
            format!(" at line {line}, column {column}")
        });
        Place::new(origin, "").error(format!("not valid TOML{at}: {}", e.message()))
    })
}

/// A TOML value as JSON (datetimes become their text).
fn toml_to_json(value: toml::Value) -> Value {
    match value {
        toml::Value::String(s) => Value::String(s),
        toml::Value::Integer(i) => Value::from(i),
        toml::Value::Float(f) => Value::from(f),
        toml::Value::Boolean(b) => Value::Bool(b),
        toml::Value::Datetime(d) => Value::String(d.to_string()),
        toml::Value::Array(items) => Value::Array(items.into_iter().map(toml_to_json).collect()),
        toml::Value::Table(t) => {
            Value::Object(t.into_iter().map(|(k, v)| (k, toml_to_json(v))).collect())
        }
    }
}

impl RegistryConfig {
    /// Loads TOML text, resolving placeholders from the process environment (see
    /// [`Loader`] to choose another).
    ///
    /// # Errors
    /// `InvalidArgument` naming the table and what is wrong with it.
    pub fn from_toml_str(text: &str) -> Result<Self> {
        Loader::new().toml_str(text)
    }

    /// Loads a TOML file (see [`from_toml_str`](Self::from_toml_str)).
    ///
    /// # Errors
    /// As [`Loader::toml_file`].
    pub fn from_toml_file(path: impl AsRef<Path>) -> Result<Self> {
        Loader::new().toml_file(path)
    }

    /// Loads JSON text (see [`from_toml_str`](Self::from_toml_str)).
    ///
    /// # Errors
    /// As [`Loader::json_str`].
    pub fn from_json_str(text: &str) -> Result<Self> {
        Loader::new().json_str(text)
    }

    /// Loads from any serde deserializer (see [`Loader::deserializer`]).
    ///
    /// # Errors
    /// As [`Loader::deserializer`].
    pub fn from_deserializer<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self> {
        Loader::new().deserializer(deserializer, "deserialized config")
    }
}
