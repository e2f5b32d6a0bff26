//! User metadata ↔ `x-ms-meta-*` headers.
//!
//! Azure accepts only C#-identifier names and printable-ASCII values, and header names come
//! back lower-cased, while the store accepts any ASCII name and any UTF-8 value. Names that
//! are not lower-case identifiers travel as `rsk_` + hex of the name; values that are not plain printable ASCII travel as `=?b64?` +
//! base64. Both decode back exactly, so metadata round-trips.

use std::collections::HashMap;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use remote_store_core::Metadata;

const KEY_MARK: &str = "rsk_";
/// An internal entry, not user metadata: the id of the conditional write (overwrite =
/// false) that created the blob, so a retried create that meets its own earlier success can
/// recognise it. No user key encodes to it (`w` is not a hex digit).
pub(crate) const WRITE_ID_KEY: &str = "rsk_wid";
const VALUE_MARK: &str = "=?b64?";

fn is_identifier(name: &str) -> bool {
    let mut chars = name.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

fn encode_key(key: &str) -> String {
    // Names travel as HTTP header names, which come back lower-cased: names with capitals
    // are encoded too, so their case survives.
    let plain = is_identifier(key)
        && !key.bytes().any(|b| b.is_ascii_uppercase())
        && !key.starts_with(KEY_MARK);
    if plain {
        key.to_owned()
    } else {
        let mut out = String::from(KEY_MARK);
        for b in key.bytes() {
            out.push_str(&format!("{b:02x}"));
        }
        out
    }
}

fn decode_key(name: &str) -> String {
    let lower = name.to_ascii_lowercase();
    let Some(hex) = lower.strip_prefix(KEY_MARK) else {
        return name.to_owned();
    };
    let bytes: Option<Vec<u8>> = (0..hex.len())
        .step_by(2)
        .map(|i| {
            hex.get(i..i + 2)
                .and_then(|h| u8::from_str_radix(h, 16).ok())
        })
        .collect();
    bytes
        .and_then(|b| String::from_utf8(b).ok())
        .unwrap_or_else(|| name.to_owned())
}

fn encode_value(value: &str) -> String {
    let plain = value.bytes().all(|b| (0x20..0x7f).contains(&b))
        && value.trim() == value
        && !value.starts_with(VALUE_MARK);
    if plain {
        value.to_owned()
    } else {
        format!("{VALUE_MARK}{}", STANDARD.encode(value))
    }
}

fn decode_value(value: &str) -> String {
    value
        .strip_prefix(VALUE_MARK)
        .and_then(|b| STANDARD.decode(b).ok())
        .and_then(|b| String::from_utf8(b).ok())
        .unwrap_or_else(|| value.to_owned())
}

/// The headers map for a write.
pub(crate) fn encode(meta: &Metadata) -> HashMap<String, String> {
    meta.iter()
        .map(|(k, v)| (encode_key(k), encode_value(v)))
        .collect()
}

/// The store metadata of a blob (without internal entries).
pub(crate) fn decode(values: HashMap<String, String>) -> Metadata {
    values
        .into_iter()
        .filter(|(k, _)| !k.eq_ignore_ascii_case(WRITE_ID_KEY))
        .map(|(k, v)| (decode_key(&k), decode_value(&v)))
        .collect()
}

/// The write id recorded on a blob, if any.
pub(crate) fn write_id(values: &HashMap<String, String>) -> Option<&str> {
    values
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(WRITE_ID_KEY))
        .map(|(_, v)| v.as_str())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip() {
        let mut m = Metadata::new();
        m.insert("author", "Ada")
            .insert("x-trace-id", "a b")
            .insert("Kind", "ünïcödé")
            .insert("rsk_tricky", " padded ")
            .insert("v", "=?b64?literal");
        let wire = encode(&m);
        assert!(wire.keys().all(|k| is_identifier(k)));
        assert!(wire.values().all(|v| v.is_ascii()));
        assert_eq!(wire.get("author").map(String::as_str), Some("Ada"));
        let mut wire = wire;
        wire.insert(WRITE_ID_KEY.to_owned(), "id".to_owned());
        assert_eq!(write_id(&wire), Some("id"));
        assert_eq!(decode(wire), m);
    }
}
