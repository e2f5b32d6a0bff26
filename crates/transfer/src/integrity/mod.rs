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
use remote_store_core::{ContentDigest, Error, Result};

/// A digest algorithm the hashers implement.
///
/// The [`name`](Self::name) is what [`ContentDigest::algorithm`] holds: `"sha256"`,
/// `"crc32c"`, `"md5"`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum DigestAlgorithm {
    /// SHA-256 (the default): 64 hex digits.
    #[default]
    Sha256,
    /// CRC32C (Castagnoli), as S3 and Azure use it: 8 hex digits, big-endian.
    Crc32c,
    /// MD5: 32 hex digits. Not a security digest; what S3 single-part etags and Azure's
    /// `Content-MD5` hold.
    Md5,
}

impl DigestAlgorithm {
    /// The lower-case name stored in [`ContentDigest::algorithm`].
    pub fn name(self) -> &'static str {
        match self {
            DigestAlgorithm::Sha256 => "sha256",
            DigestAlgorithm::Crc32c => "crc32c",
            DigestAlgorithm::Md5 => "md5",
        }
    }

    /// The algorithm named `name` (case-insensitive; `sha-256` and `crc-32c` are accepted).
    ///
    /// # Errors
    /// `InvalidArgument` naming an algorithm this crate does not implement.
    pub fn from_name(name: &str) -> Result<Self> {
        match name.to_ascii_lowercase().replace('-', "").as_str() {
            "sha256" => Ok(DigestAlgorithm::Sha256),
            "crc32c" => Ok(DigestAlgorithm::Crc32c),
            "md5" => Ok(DigestAlgorithm::Md5),
            _ => Err(Error::invalid_argument(format!(
                "unknown digest algorithm {name:?} (expected sha256, crc32c or md5)"
            ))),
        }
    }

    /// A fresh hasher for this algorithm.
    pub fn hasher(self) -> Hasher {
        Hasher::new(self)
    }
}

impl fmt::Display for DigestAlgorithm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// An incremental hasher: [`update`](Self::update) with each chunk, then
/// [`digest`](Self::digest) (which does not consume it) or [`finish`](Self::finish).
///
/// ```
/// use remote_store_transfer::{DigestAlgorithm, Hasher};
///
/// let mut h = Hasher::new(DigestAlgorithm::Sha256);
/// h.update(b"hello ");
/// h.update(b"world");
/// assert_eq!(
///     h.finish().value,
///     "b94d27b9934d3e08a52e52d7da7dabfac484efe37a5380ee9088f7ace2efcde9"
/// );
/// assert_eq!(DigestAlgorithm::Crc32c.hasher().finish().value, "00000000");
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
}

impl Hasher {
    /// A fresh hasher for `algorithm`.
    pub fn new(algorithm: DigestAlgorithm) -> Self {
        let state = match algorithm {
            DigestAlgorithm::Sha256 => State::Sha256(sha2::Sha256::new()),
            DigestAlgorithm::Crc32c => State::Crc32c(0),
            DigestAlgorithm::Md5 => State::Md5(md5::Md5::new()),
        };
        Hasher { state, bytes: 0 }
    }

    /// The algorithm.
    pub fn algorithm(&self) -> DigestAlgorithm {
        match self.state {
            State::Sha256(_) => DigestAlgorithm::Sha256,
            State::Crc32c(_) => DigestAlgorithm::Crc32c,
            State::Md5(_) => DigestAlgorithm::Md5,
        }
    }

    /// Feeds `data`.
    pub fn update(&mut self, data: &[u8]) {
        self.bytes += data.len() as u64;
        match &mut self.state {
            State::Sha256(h) => h.update(data),
            State::Crc32c(crc) => *crc = crc32c::crc32c_append(*crc, data),
            State::Md5(h) => h.update(data),
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
        };
        ContentDigest {
            algorithm: algorithm.name().to_owned(),
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

/// The algorithm of `expected`, or `InvalidArgument`.
pub(crate) fn algorithm_of(expected: &ContentDigest) -> Result<DigestAlgorithm> {
    DigestAlgorithm::from_name(&expected.algorithm)
}

/// Whether two digests of the same algorithm agree (hex compared case-insensitively).
pub(crate) fn same_digest(a: &ContentDigest, b: &ContentDigest) -> bool {
    a.algorithm.eq_ignore_ascii_case(&b.algorithm) && a.value.eq_ignore_ascii_case(&b.value)
}

/// The error `verify`-after-copy reports for a mismatch.
pub(crate) fn mismatch(path: &str, expected: &ContentDigest, actual: &ContentDigest) -> Error {
    Error::other(format!(
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
        let digest = |alg: DigestAlgorithm, data: &[u8]| {
            let mut h = alg.hasher();
            h.update(data);
            h.finish().value
        };
        assert_eq!(
            digest(DigestAlgorithm::Sha256, b""),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
        assert_eq!(
            digest(DigestAlgorithm::Md5, b"abc"),
            "900150983cd24fb0d6963f7d28e17f72"
        );
        // The CRC32C check value of "123456789".
        assert_eq!(digest(DigestAlgorithm::Crc32c, b"123456789"), "e3069283");
    }

    #[test]
    fn chunked_equals_whole() {
        let data: Vec<u8> = (0..10_000u32).map(|i| (i % 251) as u8).collect();
        for alg in [
            DigestAlgorithm::Sha256,
            DigestAlgorithm::Crc32c,
            DigestAlgorithm::Md5,
        ] {
            let mut whole = alg.hasher();
            whole.update(&data);
            let mut parts = alg.hasher();
            for c in data.chunks(777) {
                parts.update(c);
            }
            assert_eq!(whole.finish(), parts.finish());
        }
    }

    #[test]
    fn names_round_trip() {
        for alg in [
            DigestAlgorithm::Sha256,
            DigestAlgorithm::Crc32c,
            DigestAlgorithm::Md5,
        ] {
            assert_eq!(DigestAlgorithm::from_name(alg.name()).unwrap(), alg);
        }
        assert_eq!(
            DigestAlgorithm::from_name("SHA-256").unwrap(),
            DigestAlgorithm::Sha256
        );
        assert!(DigestAlgorithm::from_name("sha1").is_err());
    }
}
