//! Pure conversions: backend paths ⇄ S3 keys under the configured prefix, native
//! `s3://` names, and user-metadata values ⇄ header-safe strings.

use std::collections::HashMap;

use aws_smithy_types::base64;
use remote_store_core::{Error, Metadata, RemotePath, Result};

/// Maps backend paths to keys in one bucket, below one prefix. No key outside the prefix
/// is ever built: paths are validated [`RemotePath`]s, which never contain `..`.
#[derive(Debug, Clone)]
pub(crate) struct Keys {
    bucket: String,
    prefix: RemotePath,
}

impl Keys {
    pub(crate) fn new(bucket: String, prefix: RemotePath) -> Self {
        Keys { bucket, prefix }
    }

    pub(crate) fn bucket(&self) -> &str {
        &self.bucket
    }

    /// The object key of `path` (for the root: the prefix itself, never used as an object).
    pub(crate) fn object(&self, path: &RemotePath) -> String {
        // `join_path` without its intermediate `RemotePath`: one allocation per key.
        match (self.prefix.is_root(), path.is_root()) {
            (true, _) => path.as_str().to_owned(),
            (_, true) => self.prefix.as_str().to_owned(),
            _ => format!("{}/{}", self.prefix.as_str(), path.as_str()),
        }
    }

    /// The listing prefix of the folder `path`: its key and a `/`, or `""` for the root of
    /// an unprefixed bucket.
    pub(crate) fn folder(&self, path: &RemotePath) -> String {
        let mut key = self.object(path);
        if !key.is_empty() {
            key.push('/');
        }
        key
    }

    /// The backend path of an S3 key, or `None` for keys this backend cannot address: keys
    /// outside the prefix, folder markers (ending in `/`), and keys that are not in the
    /// normal form of a path (`a//b`, `./a`, ...).
    pub(crate) fn path_of(&self, key: &str) -> Option<RemotePath> {
        let rest = if self.prefix.is_root() {
            key
        } else {
            key.strip_prefix(self.prefix.as_str())?.strip_prefix('/')?
        };
        let path = RemotePath::new(rest).ok()?;
        (!path.is_root() && path.as_str() == rest).then_some(path)
    }

    /// The backend path of a common prefix (`a/b/`) returned by a delimited listing.
    pub(crate) fn folder_path_of(&self, common_prefix: &str) -> Option<RemotePath> {
        self.path_of(common_prefix.strip_suffix('/')?)
    }

    /// `s3://bucket/prefix/key`; the root is `s3://bucket/prefix` (or `s3://bucket`).
    pub(crate) fn native(&self, path: &RemotePath) -> String {
        let key = self.object(path);
        if key.is_empty() {
            format!("s3://{}", self.bucket)
        } else {
            format!("s3://{}/{key}", self.bucket)
        }
    }

    /// The inverse of [`native`](Self::native); a trailing `/` is accepted.
    pub(crate) fn parse_native(&self, native: &str) -> Result<RemotePath> {
        let outside = || Error::invalid_path(native, "not inside this S3 backend");
        let rest = native
            .strip_prefix("s3://")
            .and_then(|r| r.strip_prefix(self.bucket.as_str()))
            .ok_or_else(outside)?;
        let key = match rest {
            "" | "/" => "",
            r => r.strip_prefix('/').ok_or_else(outside)?,
        };
        let key = key.strip_suffix('/').unwrap_or(key);
        if key == self.prefix.as_str() {
            return Ok(RemotePath::ROOT);
        }
        self.path_of(key).ok_or_else(outside)
    }
}

/// Marks a metadata value stored as RFC 2047 base64 (what S3 itself returns for values that
/// are not plain ASCII).
const ENCODED_PREFIX: &str = "=?UTF-8?B?";
const ENCODED_SUFFIX: &str = "?=";

/// A header-safe form of a metadata value: non-empty printable ASCII without surrounding
/// spaces goes as is; anything else (empty, non-ASCII, leading/trailing spaces, a value that
/// looks encoded) is RFC 2047 base64, which survives HTTP header handling.
pub(crate) fn encode_value(value: &str) -> String {
    let plain = !value.is_empty()
        && value.bytes().all(|b| (0x20..0x7f).contains(&b))
        && value.trim() == value
        && !value.starts_with(ENCODED_PREFIX);
    if plain {
        value.to_owned()
    } else {
        format!(
            "{ENCODED_PREFIX}{}{ENCODED_SUFFIX}",
            base64::encode(value.as_bytes())
        )
    }
}

/// The inverse of [`encode_value`]; values that are not encoded come back unchanged.
pub(crate) fn decode_value(value: &str) -> String {
    value
        .strip_prefix(ENCODED_PREFIX)
        .and_then(|v| v.strip_suffix(ENCODED_SUFFIX))
        .and_then(|b64| base64::decode(b64).ok())
        .and_then(|bytes| String::from_utf8(bytes).ok())
        .unwrap_or_else(|| value.to_owned())
}

/// An internal entry, not user metadata: the id of the conditional create (`overwrite =
/// false`) that stored the object, so that a retried create meeting its own earlier
/// success can recognise it. Never returned as user metadata; a user key of this name is
/// refused ([`check_user_metadata`]).
pub(crate) const WRITE_ID_KEY: &str = "rsk-write-id";

/// A fresh id for one conditional create.
pub(crate) fn new_write_id() -> String {
    uuid::Uuid::new_v4().simple().to_string()
}

/// Refuses user metadata that uses the name this backend keeps for itself
/// ([`WRITE_ID_KEY`]; S3 metadata names are case-insensitive).
pub(crate) fn check_user_metadata(metadata: Option<&Metadata>) -> Result<()> {
    match metadata.and_then(|m| m.iter().find(|(k, _)| k.eq_ignore_ascii_case(WRITE_ID_KEY))) {
        Some((key, _)) => Err(Error::invalid_argument(format!(
            "metadata key {key:?} is reserved by the S3 backend (it marks the write that \
             created an object); use another name"
        ))),
        None => Ok(()),
    }
}

/// User metadata as S3 `x-amz-meta-*` entries, with the id of a conditional create.
pub(crate) fn metadata_to_s3(
    metadata: Option<&Metadata>,
    write_id: Option<&str>,
) -> Option<HashMap<String, String>> {
    let mut entries: Option<HashMap<String, String>> = metadata.map(|m| {
        m.iter()
            .map(|(k, v)| (k.to_owned(), encode_value(v)))
            .collect()
    });
    if let Some(id) = write_id {
        entries
            .get_or_insert_default()
            .insert(WRITE_ID_KEY.to_owned(), id.to_owned());
    }
    entries
}

/// User metadata from S3 (`None` when empty), without this backend's own entries.
pub(crate) fn metadata_from_s3(map: Option<&HashMap<String, String>>) -> Option<Metadata> {
    let map = map.filter(|m| !m.is_empty())?;
    let user: Metadata = map
        .iter()
        .filter(|(k, _)| !k.eq_ignore_ascii_case(WRITE_ID_KEY))
        .map(|(k, v)| (k.clone(), decode_value(v)))
        .collect();
    (!user.is_empty()).then_some(user)
}

/// The conditional-create id an object carries ([`WRITE_ID_KEY`]).
pub(crate) fn write_id_of(map: Option<&HashMap<String, String>>) -> Option<&str> {
    map?.iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(WRITE_ID_KEY))
        .map(|(_, v)| v.as_str())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &str) -> RemotePath {
        RemotePath::new(s).unwrap()
    }

    #[test]
    fn keys_stay_under_the_prefix_and_round_trip() {
        let k = Keys::new("bkt".into(), p("base/dir"));
        assert_eq!(k.object(&p("a/b.txt")), "base/dir/a/b.txt");
        assert_eq!(k.folder(&RemotePath::ROOT), "base/dir/");
        assert_eq!(k.folder(&p("a")), "base/dir/a/");
        assert_eq!(k.path_of("base/dir/a/b.txt"), Some(p("a/b.txt")));
        assert_eq!(k.path_of("base/dirx/a"), None);
        assert_eq!(k.path_of("base/dir/a//b"), None);
        assert_eq!(k.path_of("base/dir/a/"), None);
        assert_eq!(k.folder_path_of("base/dir/a/"), Some(p("a")));
        for path in [RemotePath::ROOT, p("a"), p("a/b c/ü.txt")] {
            let native = k.native(&path);
            assert_eq!(k.parse_native(&native).unwrap(), path, "{native}");
        }
        assert_eq!(k.native(&RemotePath::ROOT), "s3://bkt/base/dir");
        assert_eq!(
            k.parse_native("s3://bkt/base/dir/").unwrap(),
            RemotePath::ROOT
        );
        for bad in [
            "s3://other/base/dir/a",
            "s3://bkt/base/a",
            "/base/dir/a",
            "s3://bktx/a",
        ] {
            assert!(k.parse_native(bad).is_err(), "{bad}");
        }
        assert_eq!(k.object(&RemotePath::ROOT), "base/dir");
        let bare = Keys::new("bkt".into(), RemotePath::ROOT);
        assert_eq!(bare.object(&p("x/y")), "x/y");
        assert_eq!(bare.object(&RemotePath::ROOT), "");
        assert_eq!(bare.folder(&RemotePath::ROOT), "");
        assert_eq!(bare.native(&RemotePath::ROOT), "s3://bkt");
        assert_eq!(bare.parse_native("s3://bkt").unwrap(), RemotePath::ROOT);
        assert_eq!(bare.parse_native("s3://bkt/x/y").unwrap(), p("x/y"));
    }

    #[test]
    fn metadata_values_round_trip() {
        for v in [
            "plain",
            "",
            " padded ",
            "ünïcödé ✓",
            "=?UTF-8?B?abc?=",
            "a=b;c",
        ] {
            let enc = encode_value(v);
            assert!(enc.bytes().all(|b| (0x20..0x7f).contains(&b)), "{enc}");
            assert_eq!(decode_value(&enc), v);
        }
        assert_eq!(encode_value("plain"), "plain");
    }

    #[test]
    fn the_write_id_travels_with_the_metadata_but_is_not_user_metadata() {
        let user: Metadata = [("owner", "me")].into_iter().collect();
        let wire = metadata_to_s3(Some(&user), Some("abc")).unwrap();
        assert_eq!(wire.len(), 2);
        assert_eq!(write_id_of(Some(&wire)), Some("abc"));
        assert_eq!(metadata_from_s3(Some(&wire)), Some(user.clone()));
        // Names come back in any case.
        let only_id: HashMap<String, String> = [("RSK-Write-Id".to_owned(), "x".to_owned())].into();
        assert_eq!(write_id_of(Some(&only_id)), Some("x"));
        assert_eq!(metadata_from_s3(Some(&only_id)), None);
        assert_eq!(metadata_to_s3(None, None), None);
        assert_eq!(metadata_to_s3(None, Some("i")).unwrap().len(), 1);

        assert!(check_user_metadata(Some(&user)).is_ok());
        let reserved: Metadata = [("RSK-WRITE-ID", "mine")].into_iter().collect();
        let err = check_user_metadata(Some(&reserved)).unwrap_err();
        assert_eq!(err.kind(), remote_store_core::ErrorKind::InvalidArgument);
        assert!(err.to_string().contains("reserved"), "{err}");
        assert_ne!(new_write_id(), new_write_id());
    }
}
