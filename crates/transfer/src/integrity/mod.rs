//! Integrity: streaming hashers and the digest values they produce.
//!
//! [`Hasher`] is the runtime-free part both halves share: feed it bytes, get a
//! [`ContentDigest`] (algorithm name and lower-case hex). The blocking half wraps a `Read`
//! in a [`HashingReader`](crate::HashingReader); the async half wraps a stream of chunks in a
//! [`HashingStream`](crate::HashingStream). Neither buffers: each chunk is hashed as it
//! passes.

#[cfg(feature = "async")]
pub(crate) mod r#async;
#[cfg(feature = "sync")]
pub(crate) mod sync;

use std::fmt;

use md5::Digest as _;
use remote_store_core::{ChecksumAlgorithm, ContentDigest, Error, ErrorKind, Result};

/// An incremental hasher for one [`ChecksumAlgorithm`] (core's, the same one
/// `WriteOptions::checksum` asks a service for): [`update`](Self::update) with each chunk,
/// then [`digest`](Self::digest) (which does not consume it) or [`finish`](Self::finish).
///
/// ```
/// use remote_store_transfer::{ChecksumAlgorithm, Hasher};
///
/// let mut h = Hasher::new(ChecksumAlgorithm::Sha256);
/// h.update(b"hello ");
/// h.update(b"world");
/// assert_eq!(
///     h.finish().value,
///     "b94d27b9934d3e08a52e52d7da7dabfac484efe37a5380ee9088f7ace2efcde9"
/// );
/// assert_eq!(Hasher::new(ChecksumAlgorithm::Crc32c).finish().value, "00000000");
/// ```
#[derive(Clone)]
pub struct Hasher {
    state: State,
    bytes: u64,
}

#[derive(Clone)]
enum State {
    Sha256(sha2::Sha256),
    Crc32c(u32),
    Md5(md5::Md5),
    Crc64Nvme(crc_fast::Digest),
}

impl Hasher {
    /// A fresh hasher for `algorithm`.
    pub fn new(algorithm: ChecksumAlgorithm) -> Self {
        let state = match algorithm {
            ChecksumAlgorithm::Sha256 => State::Sha256(sha2::Sha256::new()),
            ChecksumAlgorithm::Crc32c => State::Crc32c(0),
            ChecksumAlgorithm::Md5 => State::Md5(md5::Md5::new()),
            ChecksumAlgorithm::Crc64Nvme => {
                State::Crc64Nvme(crc_fast::Digest::new(crc_fast::CrcAlgorithm::Crc64Nvme))
            }
            _ => unreachable!("every ChecksumAlgorithm has a hasher"),
        };
        Hasher { state, bytes: 0 }
    }

    /// The algorithm.
    pub fn algorithm(&self) -> ChecksumAlgorithm {
        match self.state {
            State::Sha256(_) => ChecksumAlgorithm::Sha256,
            State::Crc32c(_) => ChecksumAlgorithm::Crc32c,
            State::Md5(_) => ChecksumAlgorithm::Md5,
            State::Crc64Nvme(_) => ChecksumAlgorithm::Crc64Nvme,
        }
    }

    /// Feeds `data`.
    pub fn update(&mut self, data: &[u8]) {
        self.bytes += data.len() as u64;
        match &mut self.state {
            State::Sha256(h) => h.update(data),
            State::Crc32c(crc) => *crc = crc32c::crc32c_append(*crc, data),
            State::Md5(h) => h.update(data),
            State::Crc64Nvme(h) => h.update(data),
        }
    }

    /// How many bytes were fed.
    pub fn bytes(&self) -> u64 {
        self.bytes
    }

    /// The digest of everything fed so far (the hasher can keep going).
    pub fn digest(&self) -> ContentDigest {
        self.clone().finish()
    }

    /// The digest of everything fed.
    pub fn finish(self) -> ContentDigest {
        let algorithm = self.algorithm();
        let value = match self.state {
            State::Sha256(h) => hex(&h.finalize()),
            State::Crc32c(crc) => hex(&crc.to_be_bytes()),
            State::Md5(h) => hex(&h.finalize()),
            State::Crc64Nvme(h) => hex(&h.finalize().to_be_bytes()),
        };
        ContentDigest {
            algorithm: algorithm.as_str().to_owned(),
            value,
        }
    }
}

impl fmt::Debug for Hasher {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Hasher")
            .field("algorithm", &self.algorithm())
            .field("bytes", &self.bytes)
            .finish()
    }
}

fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write as _;
    bytes
        .iter()
        .fold(String::with_capacity(bytes.len() * 2), |mut s, b| {
            let _ = write!(s, "{b:02x}");
            s
        })
}

/// The algorithm of `expected`, or `InvalidArgument`; also for a composite digest (S3's
/// digest of a multipart upload's part digests, `-N`), which no digest of the whole content
/// can equal: `verify` would call every such object different.
pub(crate) fn algorithm_of(expected: &ContentDigest) -> Result<ChecksumAlgorithm> {
    if expected.is_composite() {
        return Err(Error::invalid_argument(format!(
            "the {} digest {} is composite (a digest of the parts of a multipart upload), \
             which no digest of the whole content equals: compare a whole-content digest",
            expected.algorithm, expected.value
        )));
    }
    ChecksumAlgorithm::from_name(&expected.algorithm)
}

/// Whether two digests of the same algorithm agree (hex compared case-insensitively).
pub(crate) fn same_digest(a: &ContentDigest, b: &ContentDigest) -> bool {
    a.algorithm.eq_ignore_ascii_case(&b.algorithm) && a.value.eq_ignore_ascii_case(&b.value)
}

/// The error `verify`-after-copy reports for a mismatch.
pub(crate) fn mismatch(path: &str, expected: &ContentDigest, actual: &ContentDigest) -> Error {
    // A message, not a source: `Display` shows it ("...": sha256 digest mismatch: ...).
    Error::new(ErrorKind::Other)
        .with_message(format!(
            "{} digest mismatch: expected {}, found {}",
            expected.algorithm, expected.value, actual.value
        ))
        .with_path(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_vectors() {
        let digest = |alg: ChecksumAlgorithm, data: &[u8]| {
            let mut h = Hasher::new(alg);
            h.update(data);
            h.finish().value
        };
        assert_eq!(
            digest(ChecksumAlgorithm::Sha256, b""),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
        assert_eq!(
            digest(ChecksumAlgorithm::Md5, b"abc"),
            "900150983cd24fb0d6963f7d28e17f72"
        );
        // The CRC32C check value of "123456789".
        assert_eq!(digest(ChecksumAlgorithm::Crc32c, b"123456789"), "e3069283");
        // The CRC-64/NVME check value of "123456789".
        assert_eq!(
            digest(ChecksumAlgorithm::Crc64Nvme, b"123456789"),
            "ae8b14860a799888"
        );
    }

    #[test]
    fn chunked_equals_whole() {
        let data: Vec<u8> = (0..10_000u32).map(|i| (i % 251) as u8).collect();
        for alg in [
            ChecksumAlgorithm::Sha256,
            ChecksumAlgorithm::Crc32c,
            ChecksumAlgorithm::Md5,
            ChecksumAlgorithm::Crc64Nvme,
        ] {
            let mut whole = Hasher::new(alg);
            whole.update(&data);
            let mut parts = Hasher::new(alg);
            for c in data.chunks(777) {
                parts.update(c);
            }
            assert_eq!(whole.finish(), parts.finish());
        }
    }

    #[test]
    fn names_round_trip() {
        for alg in [
            ChecksumAlgorithm::Sha256,
            ChecksumAlgorithm::Crc32c,
            ChecksumAlgorithm::Md5,
            ChecksumAlgorithm::Crc64Nvme,
        ] {
            assert_eq!(ChecksumAlgorithm::from_name(alg.as_str()).unwrap(), alg);
        }
        assert_eq!(
            ChecksumAlgorithm::from_name("SHA-256").unwrap(),
            ChecksumAlgorithm::Sha256
        );
        assert!(ChecksumAlgorithm::from_name("sha1").is_err());
    }
}
