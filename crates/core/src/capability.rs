//! [`Capability`] and [`CapabilitySet`].

use std::fmt;
use std::str::FromStr;

use crate::error::{Error, Result};

macro_rules! capabilities {
    ($($(#[$doc:meta])* $variant:ident => $name:literal,)*) => {
        /// Something a backend can do, or a quality it guarantees.
        ///
        /// Each member has a stable lower-snake name (`atomic_write`), used in `Display`,
        /// `FromStr` and error messages.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        #[non_exhaustive]
        pub enum Capability {
            $($(#[$doc])* $variant,)*
        }

        impl Capability {
            /// Every capability, in declaration order.
            pub const ALL: &'static [Capability] = &[$(Capability::$variant,)*];

            /// The stable lower-snake name.
            pub fn as_str(self) -> &'static str {
                match self {
                    $(Capability::$variant => $name,)*
                }
            }
        }

        impl FromStr for Capability {
            type Err = Error;
            fn from_str(s: &str) -> Result<Self> {
                match s {
                    $($name => Ok(Capability::$variant),)*
                    other => Err(Error::invalid_argument(format!("unknown capability '{other}'"))),
                }
            }
        }
    };
}

capabilities! {
    /// `read`, `read_bytes`, `read_text`, `read_range`, `read_seekable`.
    Read => "read",
    /// `write`, `write_text` and streamed writes.
    Write => "write",
    /// `delete` and `delete_folder`.
    Delete => "delete",
    /// `list_files`, `list_folders`, `iter_children`.
    List => "list",
    /// `move_file`.
    Move => "move",
    /// `copy_file`.
    Copy => "copy",
    /// `write_atomic`: readers see the old or the new content, never a partial file.
    AtomicWrite => "atomic_write",
    /// Quality: readers never see a half-done move.
    AtomicMove => "atomic_move",
    /// `get_file_info`, `get_folder_info`, `head`.
    Metadata => "metadata",
    /// Quality: `glob` is native (without it, the store globs by listing).
    Glob => "glob",
    /// Quality: `read_seekable` is native and costs nothing extra.
    SeekableRead => "seekable_read",
    /// Quality: `read_range` is a native ranged read.
    RangeRead => "range_read",
    /// Quality: writes return the service's etag, version and time.
    WriteResultNative => "write_result_native",
    /// A non-empty `metadata` option on a write.
    UserMetadata => "user_metadata",
    /// Quality: `overwrite = false` is enforced atomically by the service.
    ConditionalCreate => "conditional_create",
    /// Quality: a write asking for [`ChecksumAlgorithm::Crc32c`](crate::ChecksumAlgorithm)
    /// gets the service's CRC-32C in `WriteResult.digest`.
    DigestCrc32c => "digest_crc32c",
    /// Quality: a write asking for [`ChecksumAlgorithm::Sha256`](crate::ChecksumAlgorithm)
    /// gets the service's SHA-256 in `WriteResult.digest`.
    DigestSha256 => "digest_sha256",
    /// Quality: a write asking for [`ChecksumAlgorithm::Md5`](crate::ChecksumAlgorithm)
    /// gets the service's MD5 in `WriteResult.digest`.
    DigestMd5 => "digest_md5",
    /// Quality: `delete_many` is native, many keys per request (S3 `DeleteObjects`);
    /// without it a bulk delete costs one request per path.
    BulkDelete => "bulk_delete",
    /// Quality: a path is never a file and a folder at once. A write, atomic write, copy
    /// or move whose target is a folder is refused with `InvalidPath`. Hierarchical
    /// backends have it for free; S3 and Azure pay a one-key listing per write for it and
    /// drop it in their flat-namespace mode (`check_folder_targets = false`).
    FolderFileExclusion => "folder_file_exclusion",
    /// Quality: a write's [`if_match`](crate::WriteOptions::if_match) is enforced atomically
    /// by the service (without it, the store compares the etag just before writing).
    ConditionalWrite => "conditional_write",
    /// Quality: `read_with` evaluates [`ReadOptions`](crate::ReadOptions) conditions
    /// atomically with the read (without it, the backend looks at the file info first).
    ConditionalRead => "conditional_read",
    /// Quality: [`ListOptions::start_after`](crate::ListOptions::start_after) is native: the
    /// backend lists only what follows (without it, the store filters the listing).
    ListStartAfter => "list_start_after",
    /// Quality: `copy_file` and `move_file` with `overwrite = false` are enforced atomically
    /// by the service: a destination created concurrently is never replaced.
    ConditionalCopy => "conditional_copy",
    /// Quality: a write asking for [`ChecksumAlgorithm::Crc64Nvme`](crate::ChecksumAlgorithm)
    /// gets the service's CRC-64/NVME in `WriteResult.digest` (S3 `ChecksumCRC64NVME`).
    DigestCrc64Nvme => "digest_crc64nvme",
}

impl fmt::Display for Capability {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An immutable set of [`Capability`] values (a bitset).
///
/// ```
/// use remote_store_core::{Capability, CapabilitySet};
///
/// let caps = CapabilitySet::EMPTY.with(Capability::Read).with(Capability::List);
/// assert!(caps.supports(Capability::Read));
/// assert!(caps.require(Capability::Write).is_err());
/// assert_eq!(caps.to_string(), "read, list");
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct CapabilitySet(u32);

impl CapabilitySet {
    /// No capabilities.
    pub const EMPTY: CapabilitySet = CapabilitySet(0);

    const fn bit(cap: Capability) -> u32 {
        1 << cap as u32
    }

    /// Every capability.
    pub fn all() -> Self {
        Capability::ALL.iter().copied().collect()
    }

    /// A copy with `cap` added.
    pub const fn with(self, cap: Capability) -> Self {
        CapabilitySet(self.0 | Self::bit(cap))
    }

    /// A copy with `cap` removed.
    pub const fn without(self, cap: Capability) -> Self {
        CapabilitySet(self.0 & !Self::bit(cap))
    }

    /// True when `cap` is in the set.
    pub const fn supports(self, cap: Capability) -> bool {
        self.0 & Self::bit(cap) != 0
    }

    /// `Ok` when `cap` is in the set.
    ///
    /// # Errors
    /// [`CapabilityNotSupported`](crate::ErrorKind::CapabilityNotSupported) naming `cap`.
    pub fn require(self, cap: Capability) -> Result<()> {
        if self.supports(cap) {
            Ok(())
        } else {
            Err(Error::unsupported(cap))
        }
    }

    /// True when every member of `self` is in `other`.
    pub const fn is_subset(self, other: CapabilitySet) -> bool {
        self.0 & !other.0 == 0
    }

    /// The members, in declaration order.
    pub fn iter(self) -> impl Iterator<Item = Capability> {
        Capability::ALL
            .iter()
            .copied()
            .filter(move |c| self.supports(*c))
    }

    /// Number of members.
    pub const fn len(self) -> usize {
        self.0.count_ones() as usize
    }

    /// True when empty.
    pub const fn is_empty(self) -> bool {
        self.0 == 0
    }
}

impl FromIterator<Capability> for CapabilitySet {
    fn from_iter<I: IntoIterator<Item = Capability>>(iter: I) -> Self {
        iter.into_iter().fold(Self::EMPTY, Self::with)
    }
}

impl<const N: usize> From<[Capability; N]> for CapabilitySet {
    fn from(caps: [Capability; N]) -> Self {
        caps.into_iter().collect()
    }
}

impl fmt::Display for CapabilitySet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, cap) in self.iter().enumerate() {
            if i > 0 {
                f.write_str(", ")?;
            }
            f.write_str(cap.as_str())?;
        }
        Ok(())
    }
}

impl fmt::Debug for CapabilitySet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_set().entries(self.iter()).finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for cap in Capability::ALL {
            assert_eq!(cap.as_str().parse::<Capability>().unwrap(), *cap);
        }
        assert_eq!(Capability::ALL.len(), 25);
        assert!("teleport".parse::<Capability>().is_err());
    }

    #[test]
    fn set_operations() {
        let all = CapabilitySet::all();
        assert_eq!(all.len(), 25);
        let no_glob = all.without(Capability::Glob);
        assert!(!no_glob.supports(Capability::Glob));
        assert!(no_glob.is_subset(all));
        assert!(!all.is_subset(no_glob));
        let err = no_glob.require(Capability::Glob).unwrap_err();
        assert_eq!(err.capability(), Some(Capability::Glob));
    }
}
