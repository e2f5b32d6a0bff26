//! The blocking half of integrity: [`HashingReader`], `write_with_digest`, `digest`, `verify`.

use std::io::{self, Read};

use remote_store_core::{ContentDigest, Result, WriteMode, WriteOptions, WriteResult};
use remote_store_sync::{Content, Store};

use super::{ChecksumAlgorithm, Hasher, algorithm_of, same_digest};

/// A `Read` adapter that hashes every byte read through it.
///
/// ```
/// use std::io::Read;
/// use remote_store_transfer::{ChecksumAlgorithm, HashingReader};
///
/// let mut r = HashingReader::new(&b"abc"[..], ChecksumAlgorithm::Md5);
/// std::io::copy(&mut r, &mut std::io::sink()).unwrap();
/// assert_eq!(r.digest().value, "900150983cd24fb0d6963f7d28e17f72");
/// ```
#[derive(Debug)]
pub struct HashingReader<R> {
    inner: R,
    hasher: Hasher,
}

impl<R: Read> HashingReader<R> {
    /// Hashes what is read from `inner` with `algorithm`.
    pub fn new(inner: R, algorithm: ChecksumAlgorithm) -> Self {
        HashingReader {
            inner,
            hasher: Hasher::new(algorithm),
        }
    }

    /// The digest of the bytes read so far.
    pub fn digest(&self) -> ContentDigest {
        self.hasher.digest()
    }

    /// How many bytes were read.
    pub fn bytes(&self) -> u64 {
        self.hasher.bytes()
    }

    /// The inner reader and the hasher.
    pub fn into_parts(self) -> (R, Hasher) {
        (self.inner, self.hasher)
    }
}

impl<R: Read> Read for HashingReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.hasher.update(&buf[..n]);
        Ok(n)
    }
}

/// Writes `content` to `p` (default [`WriteOptions`], a direct write) and returns the
/// [`WriteResult`] with [`digest`](WriteResult::digest) set to the `algorithm` digest of the
/// bytes written, computed while they stream (nothing is buffered).
///
/// # Errors
/// As `Store::write`.
pub fn write_with_digest<'a>(
    store: &Store,
    p: impl AsRef<str>,
    content: impl Into<Content<'a>>,
    algorithm: ChecksumAlgorithm,
) -> Result<WriteResult> {
    write_with_digest_with(
        store,
        p,
        content,
        algorithm,
        WriteMode::Direct,
        WriteOptions::new(),
    )
}

/// [`write_with_digest`] with a [`WriteMode`] (`Atomic` calls `write_atomic_with`) and
/// [`WriteOptions`].
///
/// # Errors
/// As `Store::write_with` / `Store::write_atomic_with`.
pub fn write_with_digest_with<'a>(
    store: &Store,
    p: impl AsRef<str>,
    content: impl Into<Content<'a>>,
    algorithm: ChecksumAlgorithm,
    mode: WriteMode,
    opts: WriteOptions,
) -> Result<WriteResult> {
    let mut reader = HashingReader::new(content.into().into_reader(), algorithm);
    let result = match mode {
        WriteMode::Atomic => store.write_atomic_with(p, Content::reader(&mut reader), opts),
        _ => store.write_with(p, Content::reader(&mut reader), opts),
    }?;
    Ok(result.with_digest(Some(reader.digest())))
}

/// Streams the file at `p` through an `algorithm` hasher and returns its digest.
///
/// # Errors
/// As `Store::read`.
pub fn digest(
    store: &Store,
    p: impl AsRef<str>,
    algorithm: ChecksumAlgorithm,
) -> Result<ContentDigest> {
    let mut reader = HashingReader::new(store.read(p)?, algorithm);
    io::copy(&mut reader, &mut io::sink()).map_err(remote_store_core::Error::from_io)?;
    Ok(reader.digest())
}

/// Streams the file at `p` and compares its digest with `expected` (same algorithm):
/// `Ok(true)` when they agree, `Ok(false)` when they differ.
///
/// # Errors
/// `InvalidArgument` for an algorithm this crate does not implement or a composite digest
/// (`-N`, of a multipart upload's parts); as `Store::read`.
pub fn verify(store: &Store, p: impl AsRef<str>, expected: &ContentDigest) -> Result<bool> {
    let actual = digest(store, p, algorithm_of(expected)?)?;
    Ok(same_digest(expected, &actual))
}
