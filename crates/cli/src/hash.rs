//! Content digests (SHA-256, CRC-32C, MD5) of streamed content, by the transfer crate's
//! [`Hasher`].

use std::io::{self, Read};

use remote_store::transfer::Hasher;

use crate::cli::Algo;

/// The lower-case hex digest of everything `reader` yields.
///
/// # Errors
/// The reader's error.
pub(crate) fn digest(algo: Algo, mut reader: impl Read) -> io::Result<String> {
    let mut hasher = Hasher::new(algo.algorithm());
    let mut buf = vec![0u8; 256 * 1024];
    loop {
        match reader.read(&mut buf) {
            Ok(0) => return Ok(hasher.finish().value),
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
