//! [`ReadOptions`]: a byte range and HTTP-style conditions for `read_with`.

use std::ops::Range;
use std::time::SystemTime;

use crate::FileInfo;
use crate::error::{Error, Result};

/// Which version of a file a streamed read delivers, as `read_versioned` reports it: the
/// etag and version id where the service has them, else the modification time; the size of
/// the whole file always. A read that resumes after a cut must find this version again.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ObjectVersion {
    /// The etag, where the backend has one.
    pub etag: Option<String>,
    /// The version id, on versioned stores.
    pub version_id: Option<String>,
    /// The modification time.
    pub modified: Option<SystemTime>,
    /// The size of the whole file (not of the range read).
    pub size: u64,
}

impl ObjectVersion {
    /// A version of a file of `size` bytes, not yet named (add an etag, a version id or a
    /// modification time).
    pub fn new(size: u64) -> Self {
        ObjectVersion {
            etag: None,
            version_id: None,
            modified: None,
            size,
        }
    }

    /// With this etag.
    pub fn with_etag(mut self, etag: Option<String>) -> Self {
        self.etag = etag;
        self
    }

    /// With this version id.
    pub fn with_version_id(mut self, version_id: Option<String>) -> Self {
        self.version_id = version_id;
        self
    }

    /// With this modification time.
    pub fn with_modified(mut self, modified: Option<SystemTime>) -> Self {
        self.modified = modified;
        self
    }

    /// The version `info` describes, if it has an etag, a version id or a modification
    /// time (a size alone proves nothing: a replacement may have the same size).
    pub fn of(info: &FileInfo) -> Option<Self> {
        (info.etag.is_some() || info.version_id.is_some() || info.modified.is_some()).then(|| {
            ObjectVersion {
                etag: info.etag.clone(),
                version_id: info.version_id.clone(),
                modified: info.modified,
                size: info.size,
            }
        })
    }
}

/// Options for `read_with`: an optional byte range and conditions on the file's etag and
/// modification time, evaluated as HTTP evaluates them (RFC 9110 §13.2.2):
///
/// | condition | fails when | error |
/// |---|---|---|
/// | `if_match` | the etag differs (or the file has none) | `PreconditionFailed` |
/// | `if_unmodified_since` | the file was modified after the time (ignored with `if_match`) | `PreconditionFailed` |
/// | `if_none_match` | the etag matches (`"*"`: any file) | `NotModified` |
/// | `if_modified_since` | the file was not modified after the time (ignored with `if_none_match`) | `NotModified` |
///
/// A missing file is `NotFound` whatever the conditions. Backends that declare
/// `conditional_read` evaluate the conditions atomically with the read (S3, Azure, memory);
/// elsewhere the backend looks at the file's info first and then reads, so a write in
/// between can slip through.
///
/// ```
/// use remote_store_core::ReadOptions;
///
/// let opts = ReadOptions::new().range(0..100).if_none_match("\"3f2a\"");
/// assert_eq!(opts.range, Some(0..100));
/// assert!(opts.has_conditions());
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct ReadOptions {
    /// Only these bytes (clamped at the end of the file); the whole file when `None`.
    pub range: Option<Range<u64>>,
    /// Read only if the etag is this one (`"*"`: any existing file).
    pub if_match: Option<String>,
    /// Read only if the etag is not this one (`"*"`: only if the file does not exist, which
    /// is then `NotFound`).
    pub if_none_match: Option<String>,
    /// Read only if the file was modified after this time.
    pub if_modified_since: Option<SystemTime>,
    /// Read only if the file was not modified after this time.
    pub if_unmodified_since: Option<SystemTime>,
}

impl ReadOptions {
    /// The whole file, no conditions.
    pub fn new() -> Self {
        Self::default()
    }

    /// Reads only `range` (clamped at the end of the file).
    pub fn range(mut self, range: Range<u64>) -> Self {
        self.range = Some(range);
        self
    }

    /// Fails with `PreconditionFailed` unless the file's etag is `etag`.
    pub fn if_match(mut self, etag: impl Into<String>) -> Self {
        self.if_match = Some(etag.into());
        self
    }

    /// Fails with `NotModified` when the file's etag is `etag`.
    pub fn if_none_match(mut self, etag: impl Into<String>) -> Self {
        self.if_none_match = Some(etag.into());
        self
    }

    /// Fails with `NotModified` unless the file was modified after `time`.
    pub fn if_modified_since(mut self, time: SystemTime) -> Self {
        self.if_modified_since = Some(time);
        self
    }

    /// Fails with `PreconditionFailed` when the file was modified after `time`.
    pub fn if_unmodified_since(mut self, time: SystemTime) -> Self {
        self.if_unmodified_since = Some(time);
        self
    }

    /// True when any condition is set.
    pub fn has_conditions(&self) -> bool {
        self.if_match.is_some()
            || self.if_none_match.is_some()
            || self.if_modified_since.is_some()
            || self.if_unmodified_since.is_some()
    }

    /// Evaluates the conditions against `info`, the file at `path` as it is now (see the
    /// table on [`ReadOptions`]). Times are compared exactly; a service that takes HTTP
    /// dates compares at whole seconds, which agrees wherever its own times are whole
    /// seconds (S3, Azure).
    ///
    /// ```
    /// use remote_store_core::{ErrorKind, FileInfo, ReadOptions, RemotePath};
    ///
    /// let info = FileInfo::new(RemotePath::file("a.txt").unwrap(), 3, None)
    ///     .with_etag(Some("\"v1\"".into()));
    /// assert!(ReadOptions::new().if_match("\"v1\"").check("a.txt", &info).is_ok());
    /// let stale = ReadOptions::new().if_match("\"v0\"").check("a.txt", &info);
    /// assert_eq!(stale.unwrap_err().kind(), ErrorKind::PreconditionFailed);
    /// let fresh = ReadOptions::new().if_none_match("v1").check("a.txt", &info);
    /// assert_eq!(fresh.unwrap_err().kind(), ErrorKind::NotModified);
    /// ```
    ///
    /// # Errors
    /// `PreconditionFailed` or `NotModified`, naming the condition.
    pub fn check(&self, path: &str, info: &FileInfo) -> Result<()> {
        let etag = info.etag.as_deref();
        // `*` is any version of an existing file, also one whose backend reports no etag.
        let matches =
            |wanted: &str| wanted.trim() == "*" || etag.is_some_and(|e| etag_matches(e, wanted));
        if let Some(wanted) = self.if_match.as_deref() {
            if !matches(wanted) {
                return Err(Error::precondition_failed(
                    path,
                    format!(
                        "if_match {wanted} but the etag is {}",
                        etag.unwrap_or("unknown")
                    ),
                ));
            }
        } else if let Some(since) = self.if_unmodified_since
            && info.modified.is_some_and(|m| m > since)
        {
            return Err(Error::precondition_failed(
                path,
                "modified after if_unmodified_since",
            ));
        }
        if let Some(wanted) = self.if_none_match.as_deref() {
            if matches(wanted) {
                return Err(Error::not_modified(
                    path,
                    format!("the etag is {wanted} (if_none_match)"),
                ));
            }
        } else if let Some(since) = self.if_modified_since
            && info.modified.is_some_and(|m| m <= since)
        {
            return Err(Error::not_modified(
                path,
                "not modified since if_modified_since",
            ));
        }
        Ok(())
    }
}

/// Whether the etag `current` satisfies the condition `wanted` (an `if_match`): `"*"`
/// matches any etag; otherwise the two are compared with surrounding quotes and a weak
/// `W/` prefix removed, since services differ in how they quote the same etag.
///
/// ```
/// use remote_store_core::etag_matches;
/// assert!(etag_matches("\"abc\"", "abc"));
/// assert!(etag_matches("W/\"abc\"", "\"abc\""));
/// assert!(etag_matches("\"abc\"", "*"));
/// assert!(!etag_matches("\"abc\"", "abd"));
/// ```
pub fn etag_matches(current: &str, wanted: &str) -> bool {
    let bare = |e: &str| {
        let e = e.trim();
        let e = e.strip_prefix("W/").unwrap_or(e);
        e.trim_matches('"').to_owned()
    };
    wanted.trim() == "*" || bare(current) == bare(wanted)
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::{ErrorKind, RemotePath};

    fn info(etag: &str, modified: SystemTime) -> FileInfo {
        FileInfo::new(RemotePath::file("a").unwrap(), 1, Some(modified))
            .with_etag(Some(etag.to_owned()))
    }

    #[test]
    fn etags_compare_without_quotes() {
        assert!(etag_matches("\"abc\"", "abc"));
        assert!(etag_matches("W/\"abc\"", "\"abc\""));
        assert!(etag_matches("abc", "*"));
        assert!(!etag_matches("\"abc\"", "\"abd\""));
    }

    #[test]
    fn conditions_follow_http() {
        let t = SystemTime::UNIX_EPOCH + Duration::from_secs(1_000);
        let f = info("\"e1\"", t);
        let kind = |o: ReadOptions| o.check("a", &f).err().map(|e| e.kind());
        let later = t + Duration::from_secs(10);
        let earlier = t - Duration::from_secs(10);
        assert_eq!(kind(ReadOptions::new()), None);
        assert_eq!(kind(ReadOptions::new().if_match("e1")), None);
        assert_eq!(kind(ReadOptions::new().if_match("*")), None);
        assert_eq!(
            kind(ReadOptions::new().if_match("e0")),
            Some(ErrorKind::PreconditionFailed)
        );
        assert_eq!(
            kind(ReadOptions::new().if_none_match("e1")),
            Some(ErrorKind::NotModified)
        );
        assert_eq!(kind(ReadOptions::new().if_none_match("e0")), None);
        assert_eq!(
            kind(ReadOptions::new().if_modified_since(later)),
            Some(ErrorKind::NotModified)
        );
        assert_eq!(
            kind(ReadOptions::new().if_modified_since(t + Duration::from_millis(10))),
            Some(ErrorKind::NotModified),
            "not modified after a later time"
        );
        assert_eq!(
            kind(ReadOptions::new().if_modified_since(t)),
            Some(ErrorKind::NotModified),
            "not modified after its own time"
        );
        assert_eq!(kind(ReadOptions::new().if_modified_since(earlier)), None);
        assert_eq!(
            kind(ReadOptions::new().if_unmodified_since(earlier)),
            Some(ErrorKind::PreconditionFailed)
        );
        assert_eq!(kind(ReadOptions::new().if_unmodified_since(later)), None);
        // if_none_match takes precedence over if_modified_since.
        assert_eq!(
            kind(
                ReadOptions::new()
                    .if_none_match("e0")
                    .if_modified_since(later)
            ),
            None
        );
    }
}
