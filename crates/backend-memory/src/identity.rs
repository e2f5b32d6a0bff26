//! What both halves say about themselves: name, capabilities, native names, `Debug`.

use std::fmt;

use remote_store_core::{
    Capability, CapabilitySet, ChecksumAlgorithm, ContentDigest, Error, RemotePath, Result,
    WriteOptions,
};

use crate::tree::SharedTree;

/// The backend name used in errors: `"memory"`.
pub(crate) const NAME: &str = "memory";

/// What the memory backends declare: everything except `glob` (the store's portable glob
/// lists the pattern's literal prefix and matches, which is as fast as a native one here)
/// and `bulk_delete` (no request to save: `delete_many` deletes path by path).
pub(crate) const CAPABILITIES: CapabilitySet = CapabilitySet::EMPTY
    .with(Capability::Read)
    .with(Capability::Write)
    .with(Capability::Delete)
    .with(Capability::List)
    .with(Capability::Move)
    .with(Capability::Copy)
    .with(Capability::AtomicWrite)
    .with(Capability::AtomicMove)
    .with(Capability::Metadata)
    .with(Capability::SeekableRead)
    .with(Capability::RangeRead)
    .with(Capability::WriteResultNative)
    .with(Capability::UserMetadata)
    .with(Capability::ConditionalCreate)
    .with(Capability::ConditionalCopy)
    .with(Capability::ConditionalWrite)
    .with(Capability::ConditionalRead)
    .with(Capability::DigestCrc32c)
    .with(Capability::DigestSha256)
    .with(Capability::DigestMd5)
    .with(Capability::DigestCrc64Nvme)
    .with(Capability::FolderFileExclusion);

/// The checksum a write asked for, computed over the bytes it stores (the memory backend
/// is its own service: the digest describes exactly what a later read returns). `None`
/// when the write asked for none, so unrequested writes cost nothing.
pub(crate) fn digest(opts: &WriteOptions, data: &[u8]) -> Option<ContentDigest> {
    use md5::Digest as _;
    let algorithm = opts.checksum?;
    let raw: Vec<u8> = match algorithm {
        ChecksumAlgorithm::Crc32c => crc32c::crc32c(data).to_be_bytes().to_vec(),
        ChecksumAlgorithm::Sha256 => sha2::Sha256::digest(data).to_vec(),
        ChecksumAlgorithm::Md5 => md5::Md5::digest(data).to_vec(),
        ChecksumAlgorithm::Crc64Nvme => crc_fast::checksum(crc_fast::CrcAlgorithm::Crc64Nvme, data)
            .to_be_bytes()
            .to_vec(),
        _ => return None,
    };
    Some(ContentDigest::from_bytes(algorithm, &raw))
}

/// The scheme of native names; a key follows it verbatim (no percent-encoding).
const SCHEME: &str = "memory:///";

/// `memory:///a/b` for `a/b`, `memory:///` for the root.
pub(crate) fn native_path(key: &RemotePath) -> String {
    format!("{SCHEME}{}", key.as_str())
}

/// The inverse of [`native_path`]; anything without the `memory:///` scheme is refused.
pub(crate) fn to_key(native: &str) -> Result<RemotePath> {
    match native.strip_prefix(SCHEME) {
        Some(key) => RemotePath::new(key),
        None => Err(Error::invalid_path(
            native,
            "a memory native path starts with 'memory:///'",
        )),
    }
}

/// A short `Debug`: the type name and how many files it holds, never the contents.
pub(crate) fn debug(tree: &SharedTree, type_name: &str, f: &mut fmt::Formatter<'_>) -> fmt::Result {
    let mut s = f.debug_struct(type_name);
    // `try_read`: never wait on (or deadlock against) a writer just to print.
    match tree.try_read() {
        Some(t) => s.field("files", &t.file_count()),
        None => s.field("files", &format_args!("<busy>")),
    };
    s.finish_non_exhaustive()
}

#[cfg(test)]
mod tests {
    use super::*;
    use remote_store_core::ErrorKind;

    #[test]
    fn native_names_round_trip() {
        for key in ["", "a", "a/b c/ü#?%.txt"] {
            let key = RemotePath::new(key).unwrap();
            let native = native_path(&key);
            assert!(native.starts_with("memory:///"));
            assert_eq!(to_key(&native).unwrap(), key);
        }
        assert_eq!(native_path(&RemotePath::ROOT), "memory:///");
        for bad in ["a/b", "/a", "memory://a", "s3://b/k", "memory:///a/../b"] {
            assert_eq!(
                to_key(bad).unwrap_err().kind(),
                ErrorKind::InvalidPath,
                "{bad}"
            );
        }
    }

    #[test]
    fn declares_everything_but_glob_bulk_delete_and_list_start_after() {
        // `start_after` is the store's filter over the (sorted, paged) listing.
        let expected = CapabilitySet::all()
            .without(Capability::Glob)
            .without(Capability::BulkDelete)
            .without(Capability::ListStartAfter);
        assert_eq!(CAPABILITIES, expected);
    }
}
