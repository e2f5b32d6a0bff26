//! [`Lenient`]: a serde deserializer over a `serde_json::Value` tree that also reads numbers
//! and booleans written as strings.
//!
//! Placeholders and URL query values are always text, so `port = "${SFTP_PORT}"` or
//! `?retry.max_attempts=1` must still fill a `u16` or `u32` field. Everything else behaves like
//! deserialising the `Value` itself (same errors, same unknown-key messages).

use serde::de::{
    self, DeserializeSeed, Deserializer, IntoDeserializer, MapAccess, SeqAccess, Visitor,
};
use serde_json::{Error, Map, Value};

/// A `Value` read leniently (see the module docs).
pub(crate) struct Lenient(pub(crate) Value);

/// Deserialises `T` from `value`, leniently.
pub(crate) fn from_value<T: de::DeserializeOwned>(value: Value) -> Result<T, Error> {
    T::deserialize(Lenient(value))
}

macro_rules! lenient_number {
    ($($method:ident => $parse:ty, $visit:ident;)*) => {$(
        fn $method<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
            if let Value::String(s) = &self.0
                && let Ok(n) = s.trim().parse::<$parse>()
            {
                return visitor.$visit(n);
            }
            self.deserialize_any(visitor)
        }
    )*};
}

impl<'de> Deserializer<'de> for Lenient {
    type Error = Error;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        match self.0 {
            Value::Array(items) => visitor.visit_seq(Seq(items.into_iter())),
            Value::Object(map) => visitor.visit_map(Entries {
                iter: map.into_iter(),
                value: None,
                key: String::new(),
            }),
            other => other.deserialize_any(visitor),
        }
    }

    lenient_number! {
        deserialize_u8 => u64, visit_u64;
        deserialize_u16 => u64, visit_u64;
        deserialize_u32 => u64, visit_u64;
        deserialize_u64 => u64, visit_u64;
        deserialize_i8 => i64, visit_i64;
        deserialize_i16 => i64, visit_i64;
        deserialize_i32 => i64, visit_i64;
        deserialize_i64 => i64, visit_i64;
        deserialize_f32 => f64, visit_f64;
        deserialize_f64 => f64, visit_f64;
        deserialize_bool => bool, visit_bool;
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        match self.0 {
            Value::Null => visitor.visit_none(),
            other => visitor.visit_some(Lenient(other)),
        }
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, Error> {
        visitor.visit_newtype_struct(self)
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        name: &'static str,
        variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Error> {
        self.0.deserialize_enum(name, variants, visitor)
    }

    serde::forward_to_deserialize_any! {
        i128 u128 char str string bytes byte_buf unit unit_struct seq tuple tuple_struct
        map struct identifier ignored_any
    }
}

struct Seq(std::vec::IntoIter<Value>);

impl<'de> SeqAccess<'de> for Seq {
    type Error = Error;

    fn next_element_seed<T: DeserializeSeed<'de>>(
        &mut self,
        seed: T,
    ) -> Result<Option<T::Value>, Error> {
        self.0
            .next()
            .map(|v| seed.deserialize(Lenient(v)))
            .transpose()
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.0.len())
    }
}

struct Entries {
    iter: <Map<String, Value> as IntoIterator>::IntoIter,
    value: Option<Value>,
    /// The key of `value`, for errors.
    key: String,
}

/// The marker a value's error starts with once it names its key: `` at `a.b`: ``.
const AT: &str = "at `";

/// `error`, raised by the value of `key`, as an error naming the key path (nested tables
/// add their keys in front: `retry.max_attempts`). [`split_at`] takes it apart again.
fn at(key: &str, error: Error) -> Error {
    let text = error.to_string();
    match split_at(&text) {
        Some((inner, message)) => de::Error::custom(format!("{AT}{key}.{inner}`: {message}")),
        None => de::Error::custom(format!("{AT}{key}`: {text}")),
    }
}

/// The key path and the message of an error made by [`at`]; `None` for any other.
pub(crate) fn split_at(text: &str) -> Option<(&str, &str)> {
    text.strip_prefix(AT)?.split_once("`: ")
}

impl<'de> MapAccess<'de> for Entries {
    type Error = Error;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, Error> {
        match self.iter.next() {
            Some((key, value)) => {
                self.value = Some(value);
                self.key.clone_from(&key);
                seed.deserialize(key.into_deserializer()).map(Some)
            }
            None => Ok(None),
        }
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, Error> {
        let value = self
            .value
            .take()
            .ok_or_else(|| de::Error::custom("a value asked for before its key"))?;
        seed.deserialize(Lenient(value))
            .map_err(|e| at(&self.key, e))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Debug, Deserialize, PartialEq)]
    #[serde(deny_unknown_fields)]
    struct Sample {
        port: u16,
        on: bool,
        ratio: f64,
        name: String,
        maybe: Option<u32>,
        list: Vec<String>,
    }

    #[test]
    fn reads_numbers_and_booleans_from_text() {
        let v = serde_json::json!({
            "port": "2222", "on": "true", "ratio": "0.5", "name": "007",
            "maybe": "7", "list": ["a"]
        });
        let s: Sample = from_value(v).unwrap();
        assert_eq!(s.port, 2222);
        assert!(s.on);
        assert_eq!(s.name, "007");
        assert_eq!(s.maybe, Some(7));
        let bad = serde_json::json!({"port": "x", "on": true, "ratio": 1, "name": "n",
            "maybe": null, "list": []});
        assert!(from_value::<Sample>(bad).is_err());
        let unknown = serde_json::json!({"prot": 1});
        let e = from_value::<Sample>(unknown).unwrap_err().to_string();
        assert!(e.contains("unknown field `prot`"), "{e}");
    }
}
