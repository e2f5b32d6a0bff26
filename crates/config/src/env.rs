//! [`Env`]: where `${VAR}` placeholders and the environment fallbacks are read from, and the
//! placeholder syntax itself.

use std::collections::BTreeMap;
use std::fmt;

/// The environment a config is resolved against: the process environment, or a fixed map
/// (for tests, or to resolve against something other than the process).
///
/// It serves the `${VAR}` placeholders of a config file and the environment fallbacks of
/// URLs and backend tables (`AZURE_STORAGE_KEY`, ...).
///
/// ```
/// use remote_store_config::Env;
///
/// let env = Env::from_pairs([("BUCKET", "reports")]);
/// assert_eq!(env.get("BUCKET").as_deref(), Some("reports"));
/// assert_eq!(env.get("HOME"), None);
/// ```
#[derive(Clone, Default)]
pub struct Env {
    /// `None`: the process environment.
    map: Option<BTreeMap<String, String>>,
}

impl Env {
    /// The process environment (`std::env::var`), read when a value is asked for.
    pub fn process() -> Self {
        Env { map: None }
    }

    /// A fixed environment holding exactly `pairs`.
    pub fn from_pairs<K, V>(pairs: impl IntoIterator<Item = (K, V)>) -> Self
    where
        K: Into<String>,
        V: Into<String>,
    {
        Env {
            map: Some(
                pairs
                    .into_iter()
                    .map(|(k, v)| (k.into(), v.into()))
                    .collect(),
            ),
        }
    }

    /// The value of `name`, if it is set (and valid Unicode).
    pub fn get(&self, name: &str) -> Option<String> {
        match &self.map {
            Some(map) => map.get(name).cloned(),
            None => std::env::var(name).ok(),
        }
    }

    /// The value of `name` if it is set and not empty.
    pub(crate) fn non_empty(&self, name: &str) -> Option<String> {
        self.get(name).filter(|v| !v.is_empty())
    }
}

impl fmt::Debug for Env {
    /// Shows which variables a fixed map holds, never their values (they may be secrets).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.map {
            None => f.write_str("Env::process()"),
            Some(map) => f
                .debug_struct("Env")
                .field("names", &map.keys().collect::<Vec<_>>())
                .finish_non_exhaustive(),
        }
    }
}

/// Why a string's placeholders could not be resolved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum PlaceholderError {
    /// `${NAME}` with `NAME` unset (and no default).
    Missing(String),
    /// A `${` without its `}`, or a name that is not `[A-Za-z_][A-Za-z0-9_]*`.
    Malformed(String),
}

/// A string with its placeholders resolved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Resolved {
    /// The text after substitution.
    pub(crate) value: String,
    /// Whether at least one `${...}` placeholder was substituted (an escaped `$${` alone
    /// does not count).
    pub(crate) had_placeholder: bool,
}

/// Resolves `${NAME}`, `${NAME:-default}` (the default when `NAME` is unset or empty) and
/// the escape `$${` (a literal `${`) in `text`. A `$` not followed by `{` is literal.
pub(crate) fn resolve(text: &str, env: &Env) -> Result<Resolved, PlaceholderError> {
    let mut value = String::with_capacity(text.len());
    let mut had_placeholder = false;
    let mut rest = text;
    while let Some(at) = rest.find('$') {
        value.push_str(&rest[..at]);
        let after = &rest[at..];
        if let Some(tail) = after.strip_prefix("$${") {
            value.push_str("${");
            rest = tail;
        } else if let Some(tail) = after.strip_prefix("${") {
            let Some(end) = tail.find('}') else {
                // The text is not quoted: it may be a credential with a `$` in it.
                return Err(PlaceholderError::Malformed(
                    "a `${` without its closing `}` (write `$${` for a literal `${`)".into(),
                ));
            };
            let inner = &tail[..end];
            let (name, default) = match inner.split_once(":-") {
                Some((name, default)) => (name, Some(default)),
                None => (inner, None),
            };
            if !is_var_name(name) {
                return Err(PlaceholderError::Malformed(
                    "a `${...}` that does not hold a variable name (letters, digits and `_`, \
                     not starting with a digit; write `$${` for a literal `${`)"
                        .into(),
                ));
            }
            if default.is_some_and(|d| d.contains("${")) {
                // `${A:-${B}}` would end at the first `}` and keep `${B` as text.
                return Err(PlaceholderError::Malformed(
                    "a default that holds another `${...}` (defaults are literal text)".into(),
                ));
            }
            match (env.non_empty(name), default) {
                (Some(v), _) => value.push_str(&v),
                (None, Some(default)) => value.push_str(default),
                (None, None) => match env.get(name) {
                    // Set but empty, without a default: the empty string, as a shell does.
                    Some(empty) => value.push_str(&empty),
                    None => return Err(PlaceholderError::Missing(name.to_owned())),
                },
            }
            had_placeholder = true;
            rest = &tail[end + 1..];
        } else {
            value.push('$');
            rest = &after[1..];
        }
    }
    value.push_str(rest);
    Ok(Resolved {
        value,
        had_placeholder,
    })
}

/// Whether `text` is one placeholder and nothing else (`${NAME}`, or `${NAME:-}` with an
/// empty default): the only raw text a secret may serialise back as, since anything else
/// (a default, text around the placeholder) may hold the secret itself.
pub(crate) fn is_bare_placeholder(text: &str) -> bool {
    text.strip_prefix("${")
        .and_then(|t| t.strip_suffix('}'))
        .map(|inner| inner.strip_suffix(":-").unwrap_or(inner))
        .is_some_and(is_var_name)
}

fn is_var_name(name: &str) -> bool {
    let mut chars = name.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env() -> Env {
        Env::from_pairs([("A", "alpha"), ("EMPTY", ""), ("B_2", "b")])
    }

    fn ok(text: &str) -> String {
        resolve(text, &env()).unwrap().value
    }

    #[test]
    fn substitutes_defaults_and_escapes() {
        assert_eq!(ok("plain"), "plain");
        assert_eq!(ok("${A}"), "alpha");
        assert_eq!(ok("x-${A}-${B_2}-y"), "x-alpha-b-y");
        assert_eq!(ok("${MISSING:-fallback}"), "fallback");
        assert_eq!(ok("${EMPTY:-fallback}"), "fallback");
        assert_eq!(ok("${A:-fallback}"), "alpha");
        assert_eq!(ok("${EMPTY}"), "");
        assert_eq!(ok("${MISSING:-}"), "");
        assert_eq!(ok("$${A}"), "${A}");
        assert_eq!(ok("cost $5 and $"), "cost $5 and $");
        // Leftmost first: a literal `$`, then the escape.
        assert_eq!(ok("$$${A}"), "$${A}");
        assert!(resolve("${A}", &env()).unwrap().had_placeholder);
        assert!(!resolve("$${A}", &env()).unwrap().had_placeholder);
    }

    #[test]
    fn missing_and_malformed_are_named() {
        assert_eq!(
            resolve("${NOPE}", &env()),
            Err(PlaceholderError::Missing("NOPE".into()))
        );
        for bad in [
            "${A",
            "${}",
            "${1X}",
            "${A-B}",
            "x ${A B}",
            "${MISSING:-${A}}",
            "pa55${word",
        ] {
            match resolve(bad, &env()) {
                Err(PlaceholderError::Malformed(why)) => {
                    // The text itself (it may be a secret) is never quoted.
                    assert!(!why.contains("pa55") && !why.contains("word"), "{why}");
                }
                other => panic!("{bad}: {other:?}"),
            }
        }
    }

    #[test]
    fn debug_shows_names_not_values() {
        let shown = format!("{:?}", Env::from_pairs([("KEY", "hunter2")]));
        assert!(
            shown.contains("KEY") && !shown.contains("hunter2"),
            "{shown}"
        );
    }
}
