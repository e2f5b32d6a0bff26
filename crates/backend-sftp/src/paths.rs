//! Store keys ↔ paths on the server, below the configured base path.

use remote_store_core::{Error, RemotePath, Result};

/// Prefix of the temp files `write_atomic` creates next to the target: the prefix core
/// reserves for every backend (the stores refuse keys that use it).
pub(crate) use remote_store_core::RESERVED_PREFIX as TEMP_PREFIX;

/// Maps keys to server paths under `base`.
#[derive(Debug, Clone)]
pub(crate) struct Paths {
    /// The base without trailing slashes (`"/"` stays `"/"`); empty = the login directory.
    base: String,
}

impl Paths {
    pub(crate) fn new(base: &str) -> Self {
        let trimmed = base.trim_end_matches('/');
        let base = if trimmed.is_empty() && base.starts_with('/') {
            "/".to_owned()
        } else {
            trimmed.to_owned()
        };
        Paths { base }
    }

    /// The server path of `key` (the base itself, or `.` for the login directory, for the
    /// root).
    pub(crate) fn native(&self, key: &RemotePath) -> String {
        match (self.base.as_str(), key.is_root()) {
            ("", true) => ".".to_owned(),
            ("", false) => key.as_str().to_owned(),
            (base, true) => base.to_owned(),
            ("/", false) => format!("/{}", key.as_str()),
            (base, false) => format!("{base}/{}", key.as_str()),
        }
    }

    /// The key of a server path under the base.
    pub(crate) fn to_key(&self, native: &str) -> Result<RemotePath> {
        let outside = || Error::invalid_path(native, "not under the SFTP backend's base path");
        let rest = match self.base.as_str() {
            "" if native.starts_with('/') => return Err(outside()),
            "" => native,
            "/" => native.strip_prefix('/').ok_or_else(outside)?,
            base if native == base => "",
            base => native
                .strip_prefix(base)
                .and_then(|r| r.strip_prefix('/'))
                .ok_or_else(outside)?,
        };
        RemotePath::new(rest)
    }

    /// The temp path `write_atomic` uses for `key`: a hidden sibling.
    pub(crate) fn temp_for(&self, key: &RemotePath) -> String {
        let name = format!("{TEMP_PREFIX}{}.{:016x}", key.name(), random_u64());
        let parent = key.parent().unwrap_or(RemotePath::ROOT);
        match parent.join(&name) {
            Ok(temp) => self.native(&temp),
            Err(_) => self.native(&parent), // unreachable: the name is a valid segment
        }
    }
}

/// The parent of a server path, or `None` at `/` and at a single relative segment's parent
/// (the login directory, `.`).
pub(crate) fn native_parent(path: &str) -> Option<String> {
    if path == "/" || path == "." || path.is_empty() {
        return None;
    }
    match path.rsplit_once('/') {
        Some(("", _)) => Some("/".to_owned()),
        Some((parent, _)) => Some(parent.to_owned()),
        None => Some(".".to_owned()),
    }
}

/// A random number from the standard library's randomly seeded hasher.
fn random_u64() -> u64 {
    use std::hash::{BuildHasher, Hasher};
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u128(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos()),
    );
    h.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(s: &str) -> RemotePath {
        RemotePath::new(s).unwrap()
    }

    #[test]
    fn native_and_back() {
        for base in ["", "/", "/srv/data", "/srv/data/", "rel/dir"] {
            let p = Paths::new(base);
            for k in ["", "a", "a/b c/d.txt"] {
                let native = p.native(&key(k));
                assert_eq!(
                    p.to_key(&native).unwrap(),
                    key(k),
                    "base {base:?} key {k:?}"
                );
            }
        }
        let p = Paths::new("/srv/data");
        assert_eq!(p.native(&key("x/y")), "/srv/data/x/y");
        assert!(p.to_key("/srv/database/x").is_err());
        assert!(p.to_key("/etc/passwd").is_err());
        assert!(Paths::new("").to_key("/etc").is_err());
        assert!(p.to_key("/srv/data/../x").is_err());
    }

    #[test]
    fn temp_names_are_hidden_siblings() {
        let p = Paths::new("/b");
        let t = p.temp_for(&key("d/f.txt"));
        assert!(t.starts_with("/b/d/.~tmp.f.txt."), "{t}");
        assert_ne!(t, p.temp_for(&key("d/f.txt")));
    }

    #[test]
    fn parents() {
        assert_eq!(native_parent("/a/b").as_deref(), Some("/a"));
        assert_eq!(native_parent("/a").as_deref(), Some("/"));
        assert_eq!(native_parent("/"), None);
        assert_eq!(native_parent("a").as_deref(), Some("."));
        assert_eq!(native_parent("."), None);
    }
}
