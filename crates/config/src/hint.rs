//! Error text: where an error happened (file and table) and the "did you mean" hints.

use remote_store_core::Error;

/// Where in a config an error was found: the file (or "TOML text", ...) and the table.
#[derive(Debug, Clone)]
pub(crate) struct Place {
    pub(crate) origin: String,
    pub(crate) table: String,
}

impl Place {
    pub(crate) fn new(origin: &str, table: impl Into<String>) -> Self {
        Place {
            origin: origin.to_owned(),
            table: table.into(),
        }
    }

    /// The same file, another table.
    pub(crate) fn table(&self, table: impl Into<String>) -> Self {
        Place::new(&self.origin, table)
    }

    /// An `InvalidArgument` error reading `<origin>, [<table>]: <why>`.
    pub(crate) fn error(&self, why: impl std::fmt::Display) -> Error {
        if self.table.is_empty() {
            Error::invalid_argument(format!("config {}: {why}", self.origin))
        } else {
            Error::invalid_argument(format!("config {}, [{}]: {why}", self.origin, self.table))
        }
    }
}

/// The message of an error without its kind prefix, for wrapping in another message.
pub(crate) fn message(e: &Error) -> String {
    e.message().map_or_else(|| e.to_string(), str::to_owned)
}

/// The candidate closest to `word` by edit distance, when it is close enough to be a
/// plausible typo (at most a third of the word's length, and at least one edit allowed).
pub(crate) fn closest<'a>(word: &str, candidates: &[&'a str]) -> Option<&'a str> {
    let limit = (word.chars().count() / 3).max(1);
    candidates
        .iter()
        .map(|c| (edit_distance(word, c), *c))
        .filter(|(d, _)| *d <= limit)
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c)
}

/// `unknown key "x"`, with ` (did you mean "y"?)` when one of `known` is close, and the list
/// of known keys.
pub(crate) fn unknown(what: &str, word: &str, known: &[&str]) -> String {
    let mut text = format!("unknown {what} {word:?}");
    if let Some(near) = closest(word, known) {
        text.push_str(&format!(" (did you mean {near:?}?)"));
    }
    if !known.is_empty() {
        text.push_str(&format!("; known {what}s: {}", known.join(", ")));
    }
    text
}

/// Levenshtein distance over characters.
pub(crate) fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut diagonal = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let above = row[j + 1];
            row[j + 1] = if ca == *cb {
                diagonal
            } else {
                1 + diagonal.min(above).min(row[j])
            };
            diagonal = above;
        }
    }
    row[b.len()]
}

/// Rewrites serde's "unknown field `x`, expected one of `a`, `b`" (and "unknown variant")
/// as `unknown key "x" (did you mean "a"?)`; any other message is kept as it is.
pub(crate) fn serde_message(error: &serde_json::Error) -> String {
    let text = error.to_string();
    // Raised below a key: name the key (its path in nested tables) in front.
    if let Some((path, message)) = crate::de::split_at(&text) {
        return format!("key {path:?}: {}", reworded(message.to_owned()));
    }
    reworded(text)
}

/// serde's message for an unknown or missing key or value, in this crate's words.
fn reworded(text: String) -> String {
    for (prefix, what) in [("unknown field `", "key"), ("unknown variant `", "value")] {
        let Some(rest) = text.strip_prefix(prefix) else {
            continue;
        };
        let Some((word, tail)) = rest.split_once('`') else {
            continue;
        };
        let known: Vec<&str> = tail
            .split('`')
            .skip(1)
            .step_by(2)
            .filter(|s| !s.is_empty())
            .collect();
        return unknown(what, word, &known);
    }
    if let Some(rest) = text.strip_prefix("missing field `")
        && let Some((word, _)) = rest.split_once('`')
    {
        return format!("missing key {word:?}");
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn distance_and_closest() {
        assert_eq!(edit_distance("bucket", "bucket"), 0);
        assert_eq!(edit_distance("bucke", "bucket"), 1);
        assert_eq!(edit_distance("regoin", "region"), 2);
        assert_eq!(closest("bucke", &["bucket", "prefix"]), Some("bucket"));
        assert_eq!(
            closest("endpoint_url", &["endpoint", "prefix"]),
            Some("endpoint")
        );
        assert_eq!(closest("zzz", &["bucket", "prefix"]), None);
    }

    #[test]
    fn rewrites_serde_unknown_field() {
        #[derive(Debug, serde::Deserialize)]
        #[serde(deny_unknown_fields)]
        #[allow(dead_code)]
        struct S {
            bucket: String,
            prefix: String,
        }
        let e = serde_json::from_str::<S>(r#"{"bucke": "x"}"#).unwrap_err();
        let text = serde_message(&e);
        assert!(
            text.starts_with(r#"unknown key "bucke" (did you mean "bucket"?)"#),
            "{text}"
        );
        assert!(text.contains("known keys: bucket, prefix"), "{text}");
    }
}
