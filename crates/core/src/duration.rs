//! The one duration syntax of every config: `"500ms"`, `"30s"`, `"2m"`, `"1h"`, or a bare
//! number of seconds (`30`, `2.5`, `"30"`).
//!
//! With the `serde` feature this module is also a `#[serde(with = ...)]` helper for
//! [`Duration`] fields: it reads every form above and writes the shortest exact text form
//! (`"2m"`, `"1500ms"`).
//!
//! ```
//! use std::time::Duration;
//! use remote_store_core::duration;
//!
//! assert_eq!(duration::parse("500ms").unwrap(), Duration::from_millis(500));
//! assert_eq!(duration::parse("2m").unwrap(), Duration::from_secs(120));
//! assert_eq!(duration::parse("1.5").unwrap(), Duration::from_millis(1500));
//! assert_eq!(duration::format(Duration::from_secs(90)), "90s");
//! assert!(duration::parse("2 weeks").is_err());
//! ```

use std::time::Duration;

use crate::error::{Error, Result};

/// The units a duration may carry, longest suffix first so `ms` is not read as `m`.
const UNITS: [(&str, f64); 4] = [("ms", 0.001), ("s", 1.0), ("m", 60.0), ("h", 3600.0)];

/// Parses `"500ms"`, `"30s"`, `"2m"`, `"1h"` or a bare number of seconds (fractions
/// allowed; surrounding spaces ignored).
///
/// # Errors
/// `InvalidArgument` naming the text and the accepted forms, for an unknown unit, a
/// negative or non-finite number, or a value too large for a [`Duration`].
pub fn parse(text: &str) -> Result<Duration> {
    let t = text.trim();
    let (number, scale) = UNITS
        .iter()
        .find_map(|(unit, scale)| t.strip_suffix(unit).map(|n| (n, *scale)))
        .unwrap_or((t, 1.0));
    number
        .trim()
        .parse::<f64>()
        .ok()
        .and_then(|n| Duration::try_from_secs_f64(n * scale).ok())
        .ok_or_else(|| invalid(text))
}

/// The shortest exact text of `d` that [`parse`] reads back: `"2h"`, `"2m"`, `"90s"`,
/// `"1500ms"`, or fractional seconds below a millisecond's resolution.
pub fn format(d: Duration) -> String {
    let nanos = d.as_nanos();
    if !nanos.is_multiple_of(1_000_000) {
        return format!("{}s", d.as_secs_f64());
    }
    let millis = nanos / 1_000_000;
    match millis {
        0 => "0s".to_owned(),
        m if m.is_multiple_of(3_600_000) => format!("{}h", m / 3_600_000),
        m if m.is_multiple_of(60_000) => format!("{}m", m / 60_000),
        m if m.is_multiple_of(1000) => format!("{}s", m / 1000),
        m => format!("{m}ms"),
    }
}

fn invalid(text: &str) -> Error {
    Error::invalid_argument(why(text))
}

/// What was wrong with `text` and what is accepted.
fn why(text: &str) -> String {
    format!(
        "invalid duration {text:?}: expected a number of seconds (`30`, `2.5`) or a number \
         with a unit (`500ms`, `30s`, `2m`, `1h`)"
    )
}

/// Serialises a [`Duration`] as its [`format()`] text (`#[serde(with = "...")]`).
///
/// # Errors
/// Only the serializer's own.
#[cfg(feature = "serde")]
pub fn serialize<S: serde::Serializer>(d: &Duration, s: S) -> std::result::Result<S::Ok, S::Error> {
    s.serialize_str(&format(*d))
}

/// Deserialises a [`Duration`] from a number of seconds or a [`parse`] text
/// (`#[serde(with = "...")]`).
///
/// # Errors
/// A serde error with the [`parse`] message for anything else.
#[cfg(feature = "serde")]
pub fn deserialize<'de, D: serde::Deserializer<'de>>(
    d: D,
) -> std::result::Result<Duration, D::Error> {
    struct Visitor;

    impl serde::de::Visitor<'_> for Visitor {
        type Value = Duration;

        fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str(
                "a duration: a number of seconds, or text such as \"500ms\", \"30s\", \"2m\"",
            )
        }

        fn visit_str<E: serde::de::Error>(self, v: &str) -> std::result::Result<Duration, E> {
            parse(v).map_err(|_| E::custom(why(v)))
        }

        fn visit_f64<E: serde::de::Error>(self, v: f64) -> std::result::Result<Duration, E> {
            Duration::try_from_secs_f64(v).map_err(|_| E::custom(why(&v.to_string())))
        }

        fn visit_u64<E: serde::de::Error>(self, v: u64) -> std::result::Result<Duration, E> {
            Ok(Duration::from_secs(v))
        }

        fn visit_i64<E: serde::de::Error>(self, v: i64) -> std::result::Result<Duration, E> {
            u64::try_from(v)
                .map(Duration::from_secs)
                .map_err(|_| E::custom(why(&v.to_string())))
        }
    }

    d.deserialize_any(Visitor)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_every_form() {
        for (text, want) in [
            ("500ms", Duration::from_millis(500)),
            ("30s", Duration::from_secs(30)),
            (" 2m ", Duration::from_secs(120)),
            ("1h", Duration::from_secs(3600)),
            ("2.5", Duration::from_millis(2500)),
            ("0.25s", Duration::from_millis(250)),
            ("7", Duration::from_secs(7)),
        ] {
            assert_eq!(parse(text).unwrap(), want, "{text}");
        }
        for bad in ["", "s", "-1s", "2x", "2 weeks", "NaN", "inf", "1e30h"] {
            let err = parse(bad).unwrap_err();
            assert_eq!(err.kind(), crate::ErrorKind::InvalidArgument);
            assert!(err.to_string().contains("500ms"), "{err}");
        }
    }

    #[test]
    fn format_round_trips() {
        for d in [
            Duration::ZERO,
            Duration::from_millis(1500),
            Duration::from_secs(90),
            Duration::from_secs(120),
            Duration::from_secs(7200),
            Duration::from_micros(1500),
        ] {
            assert_eq!(parse(&format(d)).unwrap(), d, "{}", format(d));
        }
        assert_eq!(format(Duration::from_secs(120)), "2m");
        assert_eq!(format(Duration::from_millis(100)), "100ms");
    }

    #[cfg(feature = "serde")]
    #[test]
    fn serde_reads_numbers_and_text_and_writes_text() {
        #[derive(serde::Serialize, serde::Deserialize)]
        struct T {
            #[serde(with = "super")]
            d: Duration,
        }
        for (json, want) in [
            (r#"{"d":2}"#, Duration::from_secs(2)),
            (r#"{"d":1.5}"#, Duration::from_millis(1500)),
            (r#"{"d":"2m"}"#, Duration::from_secs(120)),
            (r#"{"d":"500ms"}"#, Duration::from_millis(500)),
        ] {
            let t: T = serde_json::from_str(json).unwrap();
            assert_eq!(t.d, want, "{json}");
        }
        for bad in [r#"{"d":-1}"#, r#"{"d":"2x"}"#, r#"{"d":true}"#] {
            assert!(serde_json::from_str::<T>(bad).is_err(), "{bad}");
        }
        let t = T {
            d: Duration::from_secs(120),
        };
        assert_eq!(serde_json::to_string(&t).unwrap(), r#"{"d":"2m"}"#);
    }
}
