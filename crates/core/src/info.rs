//! What listings and info calls return: [`FileInfo`], [`FolderInfo`], [`FolderEntry`],
//! [`Entry`] and [`ContentDigest`].

use std::time::SystemTime;

use crate::{Metadata, RemotePath};

/// A content digest: algorithm name (e.g. `"md5"`, `"sha256"`) and lower-case hex value.
///
/// A digest the service built from per-part digests (an S3 multipart upload's *composite*
/// checksum) is the hex digest of the concatenated part digests followed by `-N`, N the
/// number of parts, exactly as S3 reports it: it is not the digest of the content, and
/// [`is_composite`](Self::is_composite) says so.
///
/// ```
/// use remote_store_core::{ChecksumAlgorithm, ContentDigest};
///
/// let d = ContentDigest::from_bytes(ChecksumAlgorithm::Crc32c, &[0xe3, 0x06, 0x92, 0x83]);
/// assert_eq!((d.algorithm.as_str(), d.value.as_str()), ("crc32c", "e3069283"));
/// assert!(!d.is_composite());
/// assert_eq!(d.with_parts(3).value, "e3069283-3");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct ContentDigest {
    /// The algorithm, lower case (a [`ChecksumAlgorithm`] name for service checksums).
    pub algorithm: String,
    /// The digest, lower-case hex (with a `-N` suffix for a composite digest).
    pub value: String,
}

impl ContentDigest {
    /// A digest of `algorithm` whose raw value is `digest` (hex-encoded here).
    pub fn from_bytes(algorithm: ChecksumAlgorithm, digest: &[u8]) -> Self {
        use std::fmt::Write as _;
        let mut value = String::with_capacity(digest.len() * 2);
        for b in digest {
            let _ = write!(value, "{b:02x}");
        }
        ContentDigest {
            algorithm: algorithm.as_str().to_owned(),
            value,
        }
    }

    /// The composite form: `-parts` appended to the value.
    #[must_use]
    pub fn with_parts(mut self, parts: usize) -> Self {
        self.value = format!("{}-{parts}", self.value);
        self
    }

    /// True for a composite digest (a digest of part digests, value ending in `-N`).
    pub fn is_composite(&self) -> bool {
        self.value.contains('-')
    }
}

/// A checksum a write can ask for with
/// [`WriteOptions::checksum`](crate::WriteOptions::checksum). A backend that declares the
/// matching capability ([`capability`](Self::capability)) returns it in
/// [`WriteResult::digest`](crate::WriteResult::digest), computed or verified by the service;
/// a store refuses the option on a backend without it (`CapabilityNotSupported`).
///
/// ```
/// use remote_store_core::{Capability, ChecksumAlgorithm};
///
/// let alg: ChecksumAlgorithm = "sha256".parse().unwrap();
/// assert_eq!(alg, ChecksumAlgorithm::Sha256);
/// assert_eq!(alg.capability(), Capability::DigestSha256);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ChecksumAlgorithm {
    /// CRC-32C (Castagnoli), 4 bytes: S3 `ChecksumCRC32C`.
    Crc32c,
    /// SHA-256, 32 bytes: S3 `ChecksumSHA256`.
    Sha256,
    /// MD5, 16 bytes: Azure `Content-MD5`.
    Md5,
    /// CRC-64/NVME (the CRC-64 of NVMe, reflected polynomial `0x9a6c9329ac4bc9b5`), 8 bytes:
    /// S3 `ChecksumCRC64NVME`. Not Azure's `x-ms-content-crc64`, which uses another
    /// polynomial.
    Crc64Nvme,
}

impl ChecksumAlgorithm {
    /// Every algorithm.
    pub const ALL: &'static [ChecksumAlgorithm] = &[
        ChecksumAlgorithm::Crc32c,
        ChecksumAlgorithm::Sha256,
        ChecksumAlgorithm::Md5,
        ChecksumAlgorithm::Crc64Nvme,
    ];

    /// The lower-case name, as in [`ContentDigest::algorithm`].
    pub fn as_str(self) -> &'static str {
        match self {
            ChecksumAlgorithm::Crc32c => "crc32c",
            ChecksumAlgorithm::Sha256 => "sha256",
            ChecksumAlgorithm::Md5 => "md5",
            ChecksumAlgorithm::Crc64Nvme => "crc64nvme",
        }
    }

    /// The algorithm named `name` (case-insensitive; `sha-256`, `crc-32c` and `crc-64-nvme`
    /// are accepted).
    ///
    /// # Errors
    /// `InvalidArgument` naming an algorithm this library does not implement.
    pub fn from_name(name: &str) -> crate::Result<Self> {
        match name.to_ascii_lowercase().replace('-', "").as_str() {
            "sha256" => Ok(ChecksumAlgorithm::Sha256),
            "crc32c" => Ok(ChecksumAlgorithm::Crc32c),
            "md5" => Ok(ChecksumAlgorithm::Md5),
            "crc64nvme" => Ok(ChecksumAlgorithm::Crc64Nvme),
            _ => Err(crate::Error::invalid_argument(format!(
                "unknown checksum algorithm {name:?} (expected sha256, crc32c, md5 or crc64nvme)"
            ))),
        }
    }

    /// The capability a backend declares when it returns this checksum.
    pub fn capability(self) -> crate::Capability {
        match self {
            ChecksumAlgorithm::Crc32c => crate::Capability::DigestCrc32c,
            ChecksumAlgorithm::Sha256 => crate::Capability::DigestSha256,
            ChecksumAlgorithm::Md5 => crate::Capability::DigestMd5,
            ChecksumAlgorithm::Crc64Nvme => crate::Capability::DigestCrc64Nvme,
        }
    }
}

impl std::fmt::Display for ChecksumAlgorithm {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for ChecksumAlgorithm {
    type Err = crate::Error;
    fn from_str(s: &str) -> crate::Result<Self> {
        Self::ALL
            .iter()
            .copied()
            .find(|a| a.as_str() == s)
            .ok_or_else(|| {
                crate::Error::invalid_argument(format!("unknown checksum algorithm '{s}'"))
            })
    }
}

/// Facts about one file. `path` is relative to the store that returned it.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct FileInfo {
    /// The file's key, relative to the store root.
    pub path: RemotePath,
    /// The last segment of `path`.
    pub name: String,
    /// Size in bytes.
    pub size: u64,
    /// Last modification time (UTC), where the backend reports one; `None` when the
    /// service or file system gave no time (never a made-up sentinel such as `UNIX_EPOCH`).
    pub modified: Option<SystemTime>,
    /// The service's entity tag, where it has one.
    pub etag: Option<String>,
    /// The object version, where the service versions objects and reported one
    /// (S3 with versioning enabled, Azure with blob versioning); `None` elsewhere.
    pub version_id: Option<String>,
    /// The content type, where the backend stores one.
    pub content_type: Option<String>,
    /// A content digest, where the backend provides one.
    pub digest: Option<ContentDigest>,
    /// User metadata, where the backend stores it (`None` without `user_metadata`).
    pub metadata: Option<Metadata>,
}

impl FileInfo {
    /// A `FileInfo` with the required fields and the modification time the backend
    /// reported (`None` when it reported none); the other optional fields start as `None`.
    pub fn new(path: RemotePath, size: u64, modified: Option<SystemTime>) -> Self {
        FileInfo {
            name: path.name().to_owned(),
            path,
            size,
            modified,
            etag: None,
            version_id: None,
            content_type: None,
            digest: None,
            metadata: None,
        }
    }

    /// Replaces the path (and name).
    pub fn with_path(mut self, path: RemotePath) -> Self {
        self.name = path.name().to_owned();
        self.path = path;
        self
    }

    /// Sets the etag.
    pub fn with_etag(mut self, etag: Option<String>) -> Self {
        self.etag = etag;
        self
    }

    /// Sets the version id.
    pub fn with_version_id(mut self, version_id: Option<String>) -> Self {
        self.version_id = version_id;
        self
    }

    /// Sets the content type.
    pub fn with_content_type(mut self, content_type: Option<String>) -> Self {
        self.content_type = content_type;
        self
    }

    /// Sets the digest.
    pub fn with_digest(mut self, digest: Option<ContentDigest>) -> Self {
        self.digest = digest;
        self
    }

    /// Sets the user metadata (an empty map is stored as `None`).
    pub fn with_metadata(mut self, metadata: Option<Metadata>) -> Self {
        self.metadata = metadata.filter(|m| !m.is_empty());
        self
    }
}

/// Aggregate facts about a folder's whole subtree.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct FolderInfo {
    /// The folder's key, relative to the store root (the root is [`RemotePath::ROOT`]).
    pub path: RemotePath,
    /// Number of files (not folders) anywhere below.
    pub file_count: u64,
    /// Sum of their sizes.
    pub total_size: u64,
    /// The newest known file modification time, `None` when there are no files or
    /// none of them has a known time.
    pub modified: Option<SystemTime>,
}

impl FolderInfo {
    /// An empty aggregate for `path`.
    pub fn new(path: RemotePath) -> Self {
        FolderInfo {
            path,
            file_count: 0,
            total_size: 0,
            modified: None,
        }
    }

    /// Adds one file to the aggregate.
    pub fn add(&mut self, file: &FileInfo) {
        self.file_count += 1;
        self.total_size += file.size;
        self.modified = self.modified.max(file.modified);
    }
}

/// A folder seen in a listing.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct FolderEntry {
    /// The folder's key, relative to the store root.
    pub path: RemotePath,
    /// The last segment of `path`.
    pub name: String,
}

impl FolderEntry {
    /// An entry for `path`.
    pub fn new(path: RemotePath) -> Self {
        FolderEntry {
            name: path.name().to_owned(),
            path,
        }
    }
}

/// One child of a folder, as yielded by `iter_children`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Entry {
    /// A file.
    File(FileInfo),
    /// A folder.
    Folder(FolderEntry),
}

impl Entry {
    /// The entry's path.
    pub fn path(&self) -> &RemotePath {
        match self {
            Entry::File(f) => &f.path,
            Entry::Folder(f) => &f.path,
        }
    }

    /// The entry's name.
    pub fn name(&self) -> &str {
        match self {
            Entry::File(f) => &f.name,
            Entry::Folder(f) => &f.name,
        }
    }

    /// True for a file.
    pub fn is_file(&self) -> bool {
        matches!(self, Entry::File(_))
    }
}

#[cfg(test)]
mod tests {
    use std::time::{Duration, SystemTime};

    use super::*;
    use crate::{WriteResult, WriteResultSource};

    fn file(key: &str, modified: Option<SystemTime>) -> FileInfo {
        FileInfo::new(RemotePath::new(key).unwrap(), 2, modified)
    }

    #[test]
    fn folder_time_is_the_newest_known_file_time() {
        let t = SystemTime::UNIX_EPOCH + Duration::from_secs(1_000_000);
        let mut folder = FolderInfo::new(RemotePath::ROOT);
        folder.add(&file("a", None));
        assert_eq!(folder.modified, None, "no file has a time yet");
        folder.add(&file("b", Some(t)));
        folder.add(&file("c", None));
        folder.add(&file("d", Some(t - Duration::from_secs(1))));
        assert_eq!((folder.file_count, folder.total_size), (4, 8));
        assert_eq!(folder.modified, Some(t));
    }

    #[test]
    fn head_result_carries_what_the_info_knows() {
        let info = file("f", None).with_version_id(Some("v1".into()));
        let head = WriteResult::from_info(info);
        assert_eq!(head.source, WriteResultSource::Head);
        assert_eq!(head.last_modified, None, "no time is invented");
        assert_eq!(head.version_id.as_deref(), Some("v1"));
    }
}
