//! Pure mapping between store keys and paths below the root: no I/O here.
//!
//! A [`RemotePath`] is already normalised and free of `..`, NUL and control characters, but
//! the backend defends itself anyway (the key could come from a third-party store): every
//! segment is re-checked before it reaches a system call, and names reserved for the
//! backend's own temporary files are refused. What this module cannot see — symbolic links
//! planted inside the root — is the job of [`crate::root`], which resolves every path with
//! the kernel's help so that nothing is ever followed out of the root.

use std::path::{Component, Path};

use remote_store_core::{Error, RemotePath, Result};

/// The prefix of every temporary file the backend creates (`.~tmp.<name>.<random>`): the
/// prefix core reserves for every backend. Names starting with it are refused as keys (by
/// the stores, and again here for direct backend use) and hidden from listings.
pub(crate) use remote_store_core::RESERVED_PREFIX as TEMP_PREFIX;

/// The longest file name most filesystems accept, in bytes.
const NAME_MAX: usize = 255;

/// A key checked for use below the root: its relative OS path is the key itself, because
/// keys use `/` exactly like Unix paths do.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Rel<'a> {
    key: &'a str,
}

impl<'a> Rel<'a> {
    /// Checks every segment of `key` again.
    ///
    /// # Errors
    /// `InvalidPath` for an empty, `.` or `..` segment, a NUL, a control character, a
    /// backslash, an over-long name or a name reserved for temporary files.
    pub(crate) fn new(key: &'a RemotePath) -> Result<Self> {
        for segment in key.as_str().split('/').filter(|s| !s.is_empty()) {
            check_segment(segment).map_err(|why| Error::invalid_path(key.as_str(), why))?;
        }
        Ok(Rel { key: key.as_str() })
    }

    /// True for the root itself.
    pub(crate) fn is_root(self) -> bool {
        self.key.is_empty()
    }

    /// The path relative to the root (`.` for the root).
    pub(crate) fn path(self) -> &'a Path {
        Path::new(if self.key.is_empty() { "." } else { self.key })
    }

    /// The key as a string (`""` for the root).
    pub(crate) fn key(self) -> &'a str {
        self.key
    }

    /// The containing folder, `None` when it is the root (or for the root).
    pub(crate) fn parent(self) -> Option<Rel<'a>> {
        self.key.rfind('/').map(|i| Rel {
            key: &self.key[..i],
        })
    }

    /// The last segment (`""` for the root).
    pub(crate) fn name(self) -> &'a str {
        self.key.rsplit('/').next().unwrap_or("")
    }

    /// The prefixes of this path that are folders, outermost first (`a`, `a/b` for `a/b/c`).
    pub(crate) fn ancestors(self) -> impl Iterator<Item = Rel<'a>> {
        self.key.match_indices('/').map(move |(i, _)| Rel {
            key: &self.key[..i],
        })
    }
}

/// Why `segment` cannot name a file or folder below the root, if it cannot. One pass over
/// the bytes: this runs for every segment of every key.
fn check_segment(segment: &str) -> std::result::Result<(), &'static str> {
    let bytes = segment.as_bytes();
    if matches!(bytes, [] | [b'.'] | [b'.', b'.']) {
        return Err("empty, '.' and '..' segments are not allowed");
    }
    if bytes.len() > NAME_MAX {
        return Err("a segment is longer than 255 bytes");
    }
    for &b in bytes {
        if b == b'/' || b == b'\\' {
            return Err("a separator inside a segment is not allowed");
        }
        if b.is_ascii_control() {
            return Err("NUL and control characters are not allowed");
        }
    }
    if is_temp_name(segment) {
        return Err("names starting with '.~tmp.' are reserved for temporary files");
    }
    Ok(())
}

/// True for names reserved for temporary files.
pub(crate) fn is_temp_name(name: &str) -> bool {
    name.starts_with(TEMP_PREFIX)
}

/// The key of `name` inside the folder `dir`, or `None` when the name cannot be a key
/// (not UTF-8, a backslash, a control character, a reserved name): such entries are not
/// part of the store and listings skip them. Called once per listed entry, so it builds
/// the key in one buffer and lets [`RemotePath::new`] do the remaining checks (control
/// characters, `.` and `..`) in the same pass that copies it.
pub(crate) fn child_key(dir: &RemotePath, name: &[u8]) -> Option<RemotePath> {
    let name = std::str::from_utf8(name).ok()?;
    // A backslash would be read as a separator; `.`/`..` would normalise away.
    if name.contains('\\') || is_temp_name(name) || matches!(name, "" | "." | "..") {
        return None;
    }
    let parent = dir.as_str();
    let mut full = String::with_capacity(parent.len() + 1 + name.len());
    if !parent.is_empty() {
        full.push_str(parent);
        full.push('/');
    }
    full.push_str(name);
    RemotePath::new(&full).ok()
}

/// The temp name for a file called `name`: `.~tmp.<name>.<random>`, shortened to fit in
/// one file name. `name` is cut on a character boundary.
pub(crate) fn temp_name(name: &str, random: u64) -> String {
    let suffix = format!(".{random:016x}");
    let room = NAME_MAX - TEMP_PREFIX.len() - suffix.len();
    let mut cut = name.len().min(room);
    while !name.is_char_boundary(cut) {
        cut -= 1;
    }
    format!("{TEMP_PREFIX}{}{suffix}", &name[..cut])
}

/// The absolute native path of `key` below `root`.
pub(crate) fn native_path(root: &Path, key: &RemotePath) -> Result<String> {
    let rel = Rel::new(key)?;
    let path = if rel.is_root() {
        root.to_path_buf()
    } else {
        root.join(rel.path())
    };
    path.into_os_string()
        .into_string()
        .map_err(|_| Error::invalid_path(key.as_str(), "the root is not valid UTF-8"))
}

/// The key of an absolute native path below `root` (lexically: no I/O, so no symlink is
/// resolved). `roots` lists the spellings of the root that are accepted (the configured
/// one and the canonical one).
pub(crate) fn to_key(roots: &[&Path], native: &str) -> Result<RemotePath> {
    let outside = || Error::invalid_path(native, "outside the store root");
    let path = Path::new(native);
    if !path.is_absolute() {
        return Err(Error::invalid_path(native, "not an absolute path"));
    }
    let rest = roots
        .iter()
        .find_map(|root| path.strip_prefix(root).ok())
        .ok_or_else(outside)?;
    let mut key = String::new();
    for component in rest.components() {
        match component {
            Component::Normal(part) => {
                let part = part.to_str().ok_or_else(outside)?;
                check_segment(part).map_err(|why| Error::invalid_path(native, why))?;
                if !key.is_empty() {
                    key.push('/');
                }
                key.push_str(part);
            }
            Component::CurDir => {}
            Component::ParentDir | Component::RootDir | Component::Prefix(_) => {
                return Err(outside());
            }
        }
    }
    RemotePath::new(&key)
}

#[cfg(test)]
mod tests {
    use super::*;
    use remote_store_core::ErrorKind;

    fn key(s: &str) -> RemotePath {
        RemotePath::new(s).unwrap()
    }

    #[test]
    fn splits_keys() {
        let k = key("a/b/c.txt");
        let rel = Rel::new(&k).unwrap();
        assert_eq!(rel.name(), "c.txt");
        assert_eq!(rel.parent().unwrap().key(), "a/b");
        assert_eq!(rel.path(), Path::new("a/b/c.txt"));
        let ancestors: Vec<_> = rel.ancestors().map(Rel::key).collect();
        assert_eq!(ancestors, ["a", "a/b"]);
        let top = key("top");
        assert!(Rel::new(&top).unwrap().parent().is_none());
        assert!(Rel::new(&RemotePath::ROOT).unwrap().is_root());
        assert_eq!(Rel::new(&RemotePath::ROOT).unwrap().path(), Path::new("."));
    }

    #[test]
    fn refuses_reserved_and_overlong_names() {
        for bad in [".~tmp.x", "a/.~tmp.y.0123", &"n".repeat(256)] {
            let k = key(bad);
            assert_eq!(Rel::new(&k).unwrap_err().kind(), ErrorKind::InvalidPath);
        }
        assert!(Rel::new(&key("a/.~tmpx")).is_ok());
        // The message names the prefix core reserves.
        let why = check_segment(&format!("{TEMP_PREFIX}x")).unwrap_err();
        assert!(why.contains(TEMP_PREFIX), "{why}");
        assert!(Rel::new(&key("a/~tmp.x")).is_ok());
    }

    #[test]
    fn child_keys_skip_what_cannot_be_a_key() {
        let dir = key("d");
        assert_eq!(child_key(&dir, b"f.txt").unwrap().as_str(), "d/f.txt");
        assert_eq!(child_key(&RemotePath::ROOT, b"f").unwrap().as_str(), "f");
        for bad in [
            &b"a\\b"[..],
            b"..",
            b".",
            b"\xff\xfe",
            b"tab\there",
            b".~tmp.f.1",
        ] {
            assert!(child_key(&dir, bad).is_none(), "{bad:?}");
        }
    }

    #[test]
    fn temp_names_fit_and_are_reserved() {
        let t = temp_name("report.csv", 0xabc);
        assert_eq!(t, ".~tmp.report.csv.0000000000000abc");
        assert!(is_temp_name(&t));
        let long = "é".repeat(200);
        let t = temp_name(&long, u64::MAX);
        assert!(t.len() <= NAME_MAX, "{}", t.len());
        assert!(t.ends_with(".ffffffffffffffff"));
    }

    #[test]
    fn native_paths_round_trip() {
        let root = Path::new("/srv/data");
        let k = key("a/b.txt");
        let native = native_path(root, &k).unwrap();
        assert_eq!(native, "/srv/data/a/b.txt");
        assert_eq!(to_key(&[root], &native).unwrap(), k);
        assert_eq!(native_path(root, &RemotePath::ROOT).unwrap(), "/srv/data");
        assert!(to_key(&[root], "/srv/data").unwrap().is_root());
        assert!(to_key(&[root], "/srv/data/").unwrap().is_root());
        assert_eq!(to_key(&[root], "/srv/data/./x").unwrap().as_str(), "x");
    }

    #[test]
    fn to_key_refuses_what_is_outside() {
        let root = Path::new("/srv/data");
        for bad in [
            "/srv/database/x",
            "/srv/data/../etc/passwd",
            "/srv/data/a/../../etc",
            "/etc/passwd",
            "relative/x",
            "/srv/data/.~tmp.x.1",
        ] {
            let e = to_key(&[root], bad).unwrap_err();
            assert_eq!(e.kind(), ErrorKind::InvalidPath, "{bad}");
        }
    }
}
