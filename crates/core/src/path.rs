//! [`RemotePath`]: a validated, normalised, relative storage key.

use std::fmt;

use crate::error::{Error, Result};

/// A validated, normalised key relative to a store's root. Not an OS path.
///
/// Normalisation turns `\` into `/`, strips leading and trailing `/`, collapses runs of `/`
/// and drops `.` segments. A `..` segment, a NUL byte, any other ASCII control character or a
/// C1 control character (U+0080–U+009F, e.g. U+0085 NEXT LINE, which breaks log lines and
/// terminals) is rejected with [`ErrorKind::InvalidPath`](crate::ErrorKind::InvalidPath), so a
/// `RemotePath` can never climb out of the root it is joined to.
///
/// Segments starting with [`RESERVED_PREFIX`] are valid `RemotePath`s (a backend needs to
/// name its own temporary files), but the stores refuse them as keys: see
/// [`RemotePath::reserved_segment`].
///
/// The root is the distinct value [`RemotePath::ROOT`]; it displays as `"."` and its
/// [`as_str`](Self::as_str) is the empty string. [`RemotePath::new`] accepts the root (for
/// folder methods), [`RemotePath::file`] refuses it (for file methods).
///
/// ```
/// use remote_store_core::RemotePath;
///
/// let p = RemotePath::new("/a\\b//./c.txt/").unwrap();
/// assert_eq!(p.as_str(), "a/b/c.txt");
/// assert_eq!(p.name(), "c.txt");
/// assert_eq!(p.suffix(), ".txt");
/// assert_eq!(p.parent().unwrap().as_str(), "a/b");
/// assert!(RemotePath::new(".").unwrap().is_root());
/// assert!(RemotePath::file("").is_err());
/// ```
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct RemotePath(String);

impl RemotePath {
    /// The root of a store: no segments. Displays as `"."`.
    pub const ROOT: RemotePath = RemotePath(String::new());

    /// Parses and normalises `input`; the root (`""`, `"."`, `"/"`) is accepted.
    ///
    /// # Errors
    /// [`InvalidPath`](crate::ErrorKind::InvalidPath) naming the input for a `..` segment, a NUL
    /// byte, any other ASCII control character or a C1 control character (U+0080–U+009F).
    pub fn new(input: &str) -> Result<Self> {
        let mut out = String::with_capacity(input.len());
        for segment in input.split(['/', '\\']) {
            if segment.is_empty() || segment == "." {
                continue;
            }
            if segment == ".." {
                return Err(Error::invalid_path(input, "a '..' segment is not allowed"));
            }
            if let Some(c) = segment.chars().find(|&c| is_control(c)) {
                let what = if c == '\0' {
                    "a NUL byte is not allowed".to_owned()
                } else {
                    format!("control character {c:?} is not allowed")
                };
                return Err(Error::invalid_path(input, what));
            }
            if !out.is_empty() {
                out.push('/');
            }
            out.push_str(segment);
        }
        Ok(RemotePath(out))
    }

    /// Parses a path that must name a file: like [`new`](Self::new), but the root is refused.
    ///
    /// # Errors
    /// [`InvalidPath`](crate::ErrorKind::InvalidPath) for everything [`new`](Self::new) refuses
    /// and for input that normalises to the root.
    pub fn file(input: &str) -> Result<Self> {
        let p = Self::new(input)?;
        if p.is_root() {
            return Err(Error::invalid_path(input, "the store root is not a file"));
        }
        Ok(p)
    }

    /// The normalised key; the empty string for the root.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// True for [`RemotePath::ROOT`].
    pub fn is_root(&self) -> bool {
        self.0.is_empty()
    }

    /// The first segment that starts with [`RESERVED_PREFIX`] (a name reserved for the
    /// backends' temporary files), if any. Both stores refuse such keys with `InvalidPath`.
    ///
    /// ```
    /// use remote_store_core::RemotePath;
    ///
    /// let p = RemotePath::new("a/.~tmp.f.txt.0123/b").unwrap();
    /// assert_eq!(p.reserved_segment(), Some(".~tmp.f.txt.0123"));
    /// assert_eq!(RemotePath::new("a/.~tmpx").unwrap().reserved_segment(), None);
    /// ```
    pub fn reserved_segment(&self) -> Option<&str> {
        // Fast path: most keys do not contain the prefix at all.
        if !self.0.contains(RESERVED_PREFIX) {
            return None;
        }
        self.parts().find(|s| s.starts_with(RESERVED_PREFIX))
    }

    /// The last segment; empty for the root.
    pub fn name(&self) -> &str {
        self.0.rsplit('/').next().unwrap_or("")
    }

    /// The containing folder; `None` for the root and for a single segment.
    pub fn parent(&self) -> Option<RemotePath> {
        self.0
            .rfind('/')
            .map(|i| RemotePath(self.0[..i].to_owned()))
    }

    /// The containing folder, with the root for a single segment; `None` for the root.
    pub fn parent_or_root(&self) -> Option<RemotePath> {
        if self.is_root() {
            None
        } else {
            Some(self.parent().unwrap_or(Self::ROOT))
        }
    }

    /// The segments, outermost first; nothing for the root.
    pub fn parts(&self) -> impl DoubleEndedIterator<Item = &str> + '_ {
        self.0.split('/').filter(|s| !s.is_empty())
    }

    /// Number of segments (0 for the root).
    pub fn depth(&self) -> usize {
        if self.is_root() {
            0
        } else {
            self.0.bytes().filter(|b| *b == b'/').count() + 1
        }
    }

    /// The last extension of [`name`](Self::name) including the dot (`".gz"` for
    /// `"a.tar.gz"`), or `""` when there is none. A leading dot (`".env"`) is not an extension.
    pub fn suffix(&self) -> &str {
        let name = self.name();
        match name.rfind('.') {
            Some(i) if i > 0 && i + 1 < name.len() => &name[i..],
            _ => "",
        }
    }

    /// Appends `segment` (which may itself hold several segments) and normalises the result.
    ///
    /// # Errors
    /// [`InvalidPath`](crate::ErrorKind::InvalidPath) when `segment` is not a valid path.
    pub fn join(&self, segment: &str) -> Result<RemotePath> {
        let tail = RemotePath::new(segment)?;
        Ok(self.join_path(&tail))
    }

    /// Appends an already-validated path.
    pub fn join_path(&self, tail: &RemotePath) -> RemotePath {
        match (self.is_root(), tail.is_root()) {
            (true, _) => tail.clone(),
            (_, true) => self.clone(),
            _ => RemotePath(format!("{}/{}", self.0, tail.0)),
        }
    }

    /// True when `self` is `other` or lies below it. Every path is under the root.
    pub fn starts_with(&self, other: &RemotePath) -> bool {
        other.is_root()
            || self.0 == other.0
            || (self.0.starts_with(&other.0) && self.0.as_bytes().get(other.0.len()) == Some(&b'/'))
    }

    /// `self` relative to `base`, or `None` when `self` is not under `base`.
    pub fn strip_prefix(&self, base: &RemotePath) -> Option<RemotePath> {
        if base.is_root() {
            Some(self.clone())
        } else if self.0 == base.0 {
            Some(Self::ROOT)
        } else if self.starts_with(base) {
            Some(RemotePath(self.0[base.0.len() + 1..].to_owned()))
        } else {
            None
        }
    }

    /// Every proper ancestor, nearest first, excluding the root.
    pub fn ancestors(&self) -> impl Iterator<Item = RemotePath> + '_ {
        let mut cur = self.parent();
        std::iter::from_fn(move || {
            let this = cur.take()?;
            cur = this.parent();
            Some(this)
        })
    }
}

/// The prefix of names reserved for the backends' temporary files (`.~tmp.<name>.<random>`,
/// used by `write_atomic` on local and SFTP). One rule for every backend: both stores refuse
/// a key with a segment starting with it (`InvalidPath` naming the prefix), whether or not
/// the backend writes temp files itself, and no listing shows such a name.
pub const RESERVED_PREFIX: &str = ".~tmp.";

/// True for the characters a key must not contain: ASCII controls (C0 and DEL) and the C1
/// controls U+0080–U+009F.
fn is_control(c: char) -> bool {
    c.is_ascii_control() || ('\u{80}'..='\u{9f}').contains(&c)
}

impl fmt::Display for RemotePath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.is_root() {
            f.write_str(".")
        } else {
            f.write_str(&self.0)
        }
    }
}

impl fmt::Debug for RemotePath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "RemotePath({:?})", self.to_string())
    }
}

impl AsRef<str> for RemotePath {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl std::str::FromStr for RemotePath {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        Self::new(s)
    }
}

impl TryFrom<&str> for RemotePath {
    type Error = Error;
    fn try_from(s: &str) -> Result<Self> {
        Self::new(s)
    }
}

impl TryFrom<String> for RemotePath {
    type Error = Error;
    fn try_from(s: String) -> Result<Self> {
        Self::new(&s)
    }
}

#[cfg(feature = "serde")]
impl serde::Serialize for RemotePath {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        s.serialize_str(&self.0)
    }
}

#[cfg(feature = "serde")]
impl<'de> serde::Deserialize<'de> for RemotePath {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        RemotePath::new(&s).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ErrorKind;
    use proptest::prelude::*;

    #[test]
    fn normalises() {
        for (input, want) in [
            ("a/b", "a/b"),
            ("/a/b/", "a/b"),
            ("a//b", "a/b"),
            ("a\\b", "a/b"),
            ("./a/./b/.", "a/b"),
            ("a..b/c", "a..b/c"),
            ("nb\u{a0}sp/\u{100}x", "nb\u{a0}sp/\u{100}x"),
            ("", ""),
            (".", ""),
            ("/", ""),
            ("//./", ""),
        ] {
            assert_eq!(
                RemotePath::new(input).unwrap().as_str(),
                want,
                "input {input:?}"
            );
        }
    }

    #[test]
    fn rejects_unsafe_forms_naming_the_input() {
        for bad in [
            "..",
            "../a",
            "a/../b",
            "a/..",
            "a\\..\\b",
            "a\0b",
            "a\nb",
            "a\x7fb",
            "\x01",
            "a\u{85}b",
            "\u{80}",
            "x/\u{9f}",
            "a\u{9b}[31m",
        ] {
            let err = RemotePath::new(bad).unwrap_err();
            assert_eq!(err.kind(), ErrorKind::InvalidPath, "{bad:?}");
            assert_eq!(err.path(), Some(bad));
        }
        for root in ["", ".", "/", "./"] {
            assert_eq!(
                RemotePath::file(root).unwrap_err().kind(),
                ErrorKind::InvalidPath
            );
        }
    }

    #[test]
    fn accessors() {
        let p = RemotePath::new("a/b/c.tar.gz").unwrap();
        assert_eq!(p.name(), "c.tar.gz");
        assert_eq!(p.suffix(), ".gz");
        assert_eq!(p.parts().collect::<Vec<_>>(), ["a", "b", "c.tar.gz"]);
        assert_eq!(p.parent().unwrap().as_str(), "a/b");
        assert_eq!(p.depth(), 3);
        assert!(RemotePath::new("a").unwrap().parent().is_none());
        assert!(RemotePath::ROOT.parent().is_none());
        assert_eq!(RemotePath::new(".env").unwrap().suffix(), "");
        assert_eq!(RemotePath::ROOT.to_string(), ".");
        assert_eq!(p.join("../x").unwrap_err().kind(), ErrorKind::InvalidPath);
        assert_eq!(p.join("d/e").unwrap().as_str(), "a/b/c.tar.gz/d/e");
        let ancestors: Vec<_> = p.ancestors().map(|a| a.as_str().to_owned()).collect();
        assert_eq!(ancestors, ["a/b", "a"]);
    }

    #[test]
    fn prefixes() {
        let ab = RemotePath::new("a/b").unwrap();
        let a = RemotePath::new("a").unwrap();
        let abc = RemotePath::new("ab/c").unwrap();
        assert!(ab.starts_with(&a));
        assert!(!abc.starts_with(&a));
        assert_eq!(ab.strip_prefix(&a).unwrap().as_str(), "b");
        assert_eq!(ab.strip_prefix(&ab).unwrap(), RemotePath::ROOT);
        assert!(abc.strip_prefix(&a).is_none());
        assert_eq!(ab.strip_prefix(&RemotePath::ROOT).unwrap(), ab);
    }

    proptest! {
        #[test]
        fn normalisation_is_idempotent(s in any::<String>()) {
            if let Ok(p) = RemotePath::new(&s) {
                let again = RemotePath::new(p.as_str()).unwrap();
                prop_assert_eq!(&again, &p);
            }
        }

        #[test]
        fn output_never_escapes(s in "[a./\\\\\x00\n\u{85}\u{9f}\u{a0}]{0,24}") {
            if let Ok(p) = RemotePath::new(&s) {
                prop_assert!(p.parts().all(|seg| seg != ".." && seg != "." && !seg.is_empty()));
                prop_assert!(!p.as_str().chars().any(is_control));
                prop_assert!(!p.as_str().starts_with('/') && !p.as_str().contains('\\'));
            }
        }

        #[test]
        fn never_panics_on_arbitrary_input(s in any::<String>(), seg in any::<String>()) {
            let _ = RemotePath::file(&s);
            if let Ok(p) = RemotePath::new(&s) {
                let _ = p.join(&seg);
                let _ = (p.name(), p.suffix(), p.parent(), p.depth());
            }
        }
    }
}
