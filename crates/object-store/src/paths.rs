//! Path mapping between object_store's [`Path`] and remote-store keys.
//!
//! The mapping is the identity on strings: a `Path`'s raw, percent-encoded form (what
//! `Path::as_ref` returns, e.g. `a/b%2Fc/foo.file`) *is* the store key, and a listed key is
//! parsed back with `Path::parse`. Percent sequences are never decoded, so `%48%45%4C%4C%4F`
//! and `HELLO` stay two different objects, exactly as object_store requires.
//!
//! A `Path` whose raw form is not a store key of the same spelling is refused with
//! `InvalidPath` rather than silently renamed: a backslash (the store reads it as a
//! separator), a C1 control character (U+0080–U+009F) or a segment starting with `.~tmp.`
//! (reserved for the backends' temporary files). `Path::from` never produces the first two
//! (it percent-encodes `\`), only `Path::parse` of such input does.

use object_store::Error;
use object_store::path::{self, Path};
use remote_store_core::RemotePath;

use crate::error::generic;

/// The store key of `location`; the root is the empty string.
pub(crate) fn to_key(location: &Path) -> Result<String, Error> {
    let raw: &str = location.as_ref();
    match RemotePath::new(raw) {
        Ok(key) if key.as_str() == raw && key.reserved_segment().is_none() => Ok(raw.to_owned()),
        _ => Err(Error::InvalidPath {
            source: path::Error::InvalidPath { path: raw.into() },
        }),
    }
}

/// The store key of an optional listing prefix (`None` and the root list everything).
pub(crate) fn prefix_key(prefix: Option<&Path>) -> Result<String, Error> {
    prefix.map_or_else(|| Ok(String::new()), to_key)
}

/// The object_store path of a listed or returned key.
pub(crate) fn from_key(key: &RemotePath) -> Result<Path, Error> {
    Path::parse(key.as_str()).map_err(|e| {
        generic(format!(
            "the store key {:?} is not an object_store path: {e}",
            key.as_str()
        ))
    })
}

/// True when `raw` could never be a key (used by the tests).
#[cfg(test)]
fn refused(raw: &str) -> bool {
    Path::parse(raw).is_ok_and(|p| to_key(&p).is_err())
}

#[cfg(test)]
mod tests {
    use super::*;
    use remote_store_core::RESERVED_PREFIX;

    #[test]
    fn keys_are_the_raw_encoded_form() {
        for p in [
            Path::from_iter(["a", "b/c", "foo.file"]),
            Path::parse("%48%45%4C%4C%4F/foo.parquet").unwrap(),
            Path::from("🙀/😀.parquet"),
            Path::parse("🇦🇺/$shenanigans@@~.txt").unwrap(),
            Path::parse("%Q.parquet").unwrap(),
            Path::from("foo bar/I contain spaces.parquet"),
            Path::from("I'm a < & weird path"),
            Path::from_iter(["a\\b"]),
        ] {
            let key = to_key(&p).unwrap();
            assert_eq!(key, p.as_ref());
            let back = from_key(&RemotePath::new(&key).unwrap()).unwrap();
            assert_eq!(back, p);
        }
        assert_eq!(to_key(&Path::from_iter(["a", "b/c"])).unwrap(), "a/b%2Fc");
        assert_eq!(prefix_key(None).unwrap(), "");
        assert_eq!(prefix_key(Some(&Path::ROOT)).unwrap(), "");
    }

    #[test]
    fn paths_the_store_would_respell_are_refused() {
        assert!(refused("a\\b"));
        assert!(refused("a/\u{85}b"));
        assert!(refused(&format!("a/{RESERVED_PREFIX}x")));
        assert!(!refused("a/.~tmpx"));
        let err = to_key(&Path::parse("a\\b").unwrap()).unwrap_err();
        assert!(matches!(err, Error::InvalidPath { .. }), "{err}");
    }
}
