//! [`WriteOptions`] and [`WriteResult`].

use std::time::SystemTime;

use crate::error::{Error, Result};
use crate::{ChecksumAlgorithm, ContentDigest, FileInfo, Metadata, RemotePath};

/// Options for every write. `overwrite` is false unless asked.
///
/// ```
/// use remote_store_core::{Metadata, WriteOptions};
///
/// let opts = WriteOptions::new()
///     .overwrite(true)
///     .content_type("text/csv")
///     .metadata([("owner", "ana")].into_iter().collect::<Metadata>());
/// assert!(opts.overwrite);
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct WriteOptions {
    /// Replace an existing file (default false: an existing file is `AlreadyExists`).
    pub overwrite: bool,
    /// User metadata to store with the file (needs `user_metadata` when non-empty).
    pub metadata: Option<Metadata>,
    /// The content type to store, where the backend keeps one.
    pub content_type: Option<String>,
    /// A checksum the service should compute (or verify) and return in
    /// [`WriteResult::digest`]; needs the algorithm's capability
    /// ([`ChecksumAlgorithm::capability`]).
    pub checksum: Option<ChecksumAlgorithm>,
    /// Replace the file only if its current etag is this one (`"*"`: any existing file);
    /// otherwise the write fails with
    /// [`PreconditionFailed`](crate::ErrorKind::PreconditionFailed), also when the file is
    /// missing. Enforced atomically where the backend declares `conditional_write`, else
    /// checked by the store just before the write (see [`WriteOptions::if_match`]).
    pub if_match: Option<String>,
}

impl WriteOptions {
    /// Defaults: no overwrite, no metadata, no content type, no checksum.
    pub fn new() -> Self {
        Self::default()
    }

    /// Shorthand for `WriteOptions::new().overwrite(true)`.
    pub fn overwriting() -> Self {
        Self::new().overwrite(true)
    }

    /// Sets `overwrite`.
    pub fn overwrite(mut self, overwrite: bool) -> Self {
        self.overwrite = overwrite;
        self
    }

    /// Sets user metadata.
    pub fn metadata(mut self, metadata: Metadata) -> Self {
        self.metadata = Some(metadata);
        self
    }

    /// Sets the content type.
    pub fn content_type(mut self, content_type: impl Into<String>) -> Self {
        self.content_type = Some(content_type.into());
        self
    }

    /// Asks for a service checksum of the content, returned in [`WriteResult::digest`].
    ///
    /// ```
    /// use remote_store_core::{ChecksumAlgorithm, WriteOptions};
    ///
    /// let opts = WriteOptions::new().checksum(ChecksumAlgorithm::Crc32c);
    /// assert_eq!(opts.checksum, Some(ChecksumAlgorithm::Crc32c));
    /// ```
    pub fn checksum(mut self, algorithm: ChecksumAlgorithm) -> Self {
        self.checksum = Some(algorithm);
        self
    }

    /// Makes the write conditional: it replaces the file only if the file's current etag
    /// ([`FileInfo::etag`], [`WriteResult::etag`]) is `etag`, and fails with
    /// [`PreconditionFailed`](crate::ErrorKind::PreconditionFailed) when the file changed
    /// since (or is missing). `"*"` matches any existing file. Implies `overwrite(true)`:
    /// the file is expected to exist. Quotes around an etag are ignored when comparing.
    ///
    /// This is optimistic concurrency: read, compute, write back `if_match` the etag you
    /// read, and on `PreconditionFailed` read again. Backends that declare
    /// `conditional_write` enforce it atomically (S3, Azure, memory); on the others the
    /// store compares the etag just before writing, so a writer racing in between can still
    /// be overwritten.
    ///
    /// ```
    /// use remote_store_core::WriteOptions;
    ///
    /// let opts = WriteOptions::new().if_match("\"3f2a\"");
    /// assert!(opts.overwrite);
    /// assert_eq!(opts.if_match.as_deref(), Some("\"3f2a\""));
    /// ```
    pub fn if_match(mut self, etag: impl Into<String>) -> Self {
        self.if_match = Some(etag.into());
        self.overwrite = true;
        self
    }

    /// Checks [`if_match`](Self::if_match) against the current etag of the file at `path`
    /// (`None` when the file is missing or has no etag). `Ok` when there is no condition.
    ///
    /// # Errors
    /// [`PreconditionFailed`](crate::ErrorKind::PreconditionFailed) when the etag differs
    /// or the file is missing.
    pub fn check_if_match(&self, path: &str, current: Option<&str>) -> Result<()> {
        let Some(wanted) = self.if_match.as_deref() else {
            return Ok(());
        };
        match current {
            Some(etag) if crate::read::etag_matches(etag, wanted) => Ok(()),
            Some(etag) => Err(Error::precondition_failed(
                path,
                format!("if_match {wanted} but the etag is {etag}"),
            )),
            None => Err(Error::precondition_failed(
                path,
                format!("if_match {wanted} but the file does not exist"),
            )),
        }
    }

    /// The metadata if it is non-empty.
    pub fn user_metadata(&self) -> Option<&Metadata> {
        self.metadata.as_ref().filter(|m| !m.is_empty())
    }

    /// Validates the options (metadata shape).
    ///
    /// # Errors
    /// [`InvalidArgument`](crate::ErrorKind::InvalidArgument) naming the offending key.
    pub fn validate(&self) -> Result<()> {
        self.metadata.as_ref().map_or(Ok(()), Metadata::validate)
    }
}

/// How a backend must apply a write: the one write entry point of the backend traits
/// carries it, so a backend implements both modes in one place. Stores choose it from the
/// method called (`write` or `write_atomic`) and gate `Atomic` on `atomic_write`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum WriteMode {
    /// Write in place; a failed or cancelled write may leave a partial file where the
    /// backend writes in place (local, SFTP).
    #[default]
    Direct,
    /// Readers see the old content or the new, never a partial file; on failure the old
    /// file is intact and no temp file is left behind. Needs `atomic_write`.
    Atomic,
}

impl WriteMode {
    /// True for [`WriteMode::Atomic`].
    pub fn is_atomic(self) -> bool {
        self == WriteMode::Atomic
    }

    /// The store operation of this mode.
    pub fn operation(self) -> crate::Operation {
        match self {
            WriteMode::Direct => crate::Operation::Write,
            WriteMode::Atomic => crate::Operation::WriteAtomic,
        }
    }

    /// The capability a store requires for this mode.
    pub fn capability(self) -> crate::Capability {
        match self {
            WriteMode::Direct => crate::Capability::Write,
            WriteMode::Atomic => crate::Capability::AtomicWrite,
        }
    }
}

/// Where the fields of a [`WriteResult`] came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum WriteResultSource {
    /// Returned by the service with the write (`write_result_native`).
    Native,
    /// Only `path` and `size` are known.
    Basic,
    /// Built by `head()` from file info.
    Head,
}

/// What a write produced. Populated fields agree with a later `get_file_info`.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct WriteResult {
    /// The written file, relative to the store root.
    pub path: RemotePath,
    /// Bytes written (the true count, also for streamed input).
    pub size: u64,
    /// The service's entity tag.
    pub etag: Option<String>,
    /// The service's version id.
    pub version_id: Option<String>,
    /// The service's modification time.
    pub last_modified: Option<SystemTime>,
    /// A content digest: the service's checksum when the write asked for one
    /// ([`WriteOptions::checksum`]) and the backend declares its capability, else whatever
    /// the backend knows (often `None`).
    pub digest: Option<ContentDigest>,
    /// The metadata the caller passed, when it was stored.
    pub metadata: Option<Metadata>,
    /// Where these fields came from.
    pub source: WriteResultSource,
}

impl WriteResult {
    /// A `Basic` result: only path and size.
    pub fn basic(path: RemotePath, size: u64) -> Self {
        WriteResult {
            path,
            size,
            etag: None,
            version_id: None,
            last_modified: None,
            digest: None,
            metadata: None,
            source: WriteResultSource::Basic,
        }
    }

    /// A `Native` result from the service's answer (metadata echoed from `opts` when non-empty).
    pub fn native(
        path: RemotePath,
        size: u64,
        etag: Option<String>,
        last_modified: Option<SystemTime>,
        opts: &WriteOptions,
    ) -> Self {
        WriteResult {
            etag,
            last_modified,
            metadata: opts.user_metadata().cloned(),
            source: WriteResultSource::Native,
            ..Self::basic(path, size)
        }
    }

    /// Sets the version id.
    pub fn with_version_id(mut self, version_id: Option<String>) -> Self {
        self.version_id = version_id;
        self
    }

    /// Sets the digest.
    pub fn with_digest(mut self, digest: Option<ContentDigest>) -> Self {
        self.digest = digest;
        self
    }

    /// A `Head` result built from file info.
    pub fn from_info(info: FileInfo) -> Self {
        WriteResult {
            path: info.path,
            size: info.size,
            etag: info.etag,
            version_id: info.version_id,
            last_modified: info.modified,
            digest: info.digest,
            metadata: info.metadata,
            source: WriteResultSource::Head,
        }
    }
}
