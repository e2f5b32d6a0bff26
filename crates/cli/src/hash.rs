//! Content digests (SHA-256, CRC-32C, MD5) of streamed content.
//!
//! Kept apart so the transfer crate's hashers can replace it.

use std::fmt::Write as _;
use std::io::{self, Read};

use md5::Md5;
use sha2::{Digest, Sha256};

use crate::cli::Algo;

/// A running digest.
enum Hasher {
    Sha256(Box<Sha256>),
    Crc32c(u32),
    Md5(Box<Md5>),
}

impl Hasher {
    fn new(algo: Algo) -> Self {
        match algo {
            Algo::Sha256 => Hasher::Sha256(Box::default()),
            Algo::Crc32c => Hasher::Crc32c(0),
            Algo::Md5 => Hasher::Md5(Box::default()),
        }
    }

    fn update(&mut self, data: &[u8]) {
        match self {
            Hasher::Sha256(h) => h.update(data),
            Hasher::Crc32c(crc) => *crc = crc32c::crc32c_append(*crc, data),
            Hasher::Md5(h) => h.update(data),
        }
    }

    fn hex(self) -> String {
        match self {
            Hasher::Sha256(h) => hex(&h.finalize()),
            Hasher::Crc32c(crc) => hex(&crc.to_be_bytes()),
            Hasher::Md5(h) => hex(&h.finalize()),
        }
    }
}

/// Lower-case hex of `bytes`.
fn hex(bytes: &[u8]) -> String {
    bytes
        .iter()
        .fold(String::with_capacity(bytes.len() * 2), |mut s, b| {
            let _ = write!(s, "{b:02x}");
            s
        })
}

/// The lower-case hex digest of everything `reader` yields.
///
/// # Errors
/// The reader's error.
pub(crate) fn digest(algo: Algo, mut reader: impl Read) -> io::Result<String> {
    let mut hasher = Hasher::new(algo);
    let mut buf = vec![0u8; 256 * 1024];
    loop {
        match reader.read(&mut buf) {
            Ok(0) => return Ok(hasher.hex()),
            Ok(n) => hasher.update(&buf[..n]),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_digests() {
        let d = |algo| digest(algo, &b"hello world"[..]).unwrap();
        assert_eq!(
            d(Algo::Sha256),
            "b94d27b9934d3e08a52e52d7da7dabfac484efe37a5380ee9088f7ace2efcde9"
        );
        assert_eq!(d(Algo::Md5), "5eb63bbbe01eeed093cb22bb8f5acdc3");
        assert_eq!(d(Algo::Crc32c), "c99465aa");
        assert_eq!(
            digest(Algo::Crc32c, &b""[..]).unwrap(),
            "00000000",
            "empty content"
        );
    }
}
