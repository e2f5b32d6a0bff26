//! Issue 13: digests end to end. `write_with_digest` returns the SHA-256 (and CRC32C, MD5)
//! of the bytes written, computed while they stream; `verify` streams the file back and
//! detects a single flipped byte. Both halves, on memory and local.
#![cfg(all(feature = "memory", feature = "local"))]

use futures::StreamExt;
use remote_store_async::{AsyncContent, AsyncStore};
use remote_store_core::{ContentDigest, WriteMode, WriteOptions};
use remote_store_local::{AsyncLocalBackend, LocalBackend};
use remote_store_memory::{AsyncMemoryBackend, MemoryBackend};
use remote_store_sync::{Content, Store};
use remote_store_transfer::{ChecksumAlgorithm, HashingReader, HashingStream, aio, sync};
use sha2::Digest;

fn data() -> Vec<u8> {
    (0..3_000_000u32).map(|i| (i * 7 % 253) as u8).collect()
}

/// The SHA-256 of `bytes`, computed by the test itself (not by the crate under test).
fn sha256_hex(bytes: &[u8]) -> String {
    sha2::Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn flipped(mut bytes: Vec<u8>, at: usize) -> Vec<u8> {
    bytes[at] ^= 0x01;
    bytes
}

#[test]
fn sync_write_with_digest_and_verify() {
    let dir = tempfile::tempdir().unwrap();
    let stores = [
        Store::new(MemoryBackend::new(), "").unwrap(),
        Store::new(LocalBackend::new(dir.path()).unwrap(), "").unwrap(),
    ];
    let bytes = data();
    for store in &stores {
        // Streamed content: the digest is computed on the way through.
        let r = sync::write_with_digest(
            store,
            "d/file.bin",
            Content::reader(std::io::Cursor::new(bytes.clone())),
            ChecksumAlgorithm::Sha256,
        )
        .unwrap();
        let digest = r.digest.clone().unwrap();
        assert_eq!(digest.algorithm, "sha256");
        assert_eq!(digest.value, sha256_hex(&bytes));
        assert_eq!(r.size, bytes.len() as u64);
        assert!(sync::verify(store, "d/file.bin", &digest).unwrap());

        // One flipped byte is detected, wherever it is.
        for at in [0, bytes.len() / 2, bytes.len() - 1] {
            store
                .write_with(
                    "d/file.bin",
                    flipped(bytes.clone(), at),
                    WriteOptions::overwriting(),
                )
                .unwrap();
            assert!(
                !sync::verify(store, "d/file.bin", &digest).unwrap(),
                "flip at {at}"
            );
        }

        // The other algorithms, atomic mode, in-memory content.
        for alg in [ChecksumAlgorithm::Crc32c, ChecksumAlgorithm::Md5] {
            let r = sync::write_with_digest_with(
                store,
                "d/other.bin",
                bytes.clone(),
                alg,
                WriteMode::Atomic,
                WriteOptions::overwriting(),
            )
            .unwrap();
            let d = r.digest.unwrap();
            assert_eq!(d, sync::digest(store, "d/other.bin", alg).unwrap());
            assert!(sync::verify(store, "d/other.bin", &d).unwrap());
        }
        let unknown = ContentDigest {
            algorithm: "sha1".into(),
            value: "00".into(),
        };
        assert!(sync::verify(store, "d/other.bin", &unknown).is_err());
        // A composite digest (of a multipart upload's parts) equals no whole-content
        // digest: refused, not taken for a difference.
        let whole = sync::digest(store, "d/other.bin", ChecksumAlgorithm::Crc32c).unwrap();
        let err = sync::verify(store, "d/other.bin", &whole.with_parts(2)).unwrap_err();
        assert_eq!(
            err.kind(),
            remote_store_core::ErrorKind::InvalidArgument,
            "{err}"
        );
        assert!(err.to_string().contains("composite"), "{err}");
    }
}

#[test]
fn hashing_reader_matches_sha2() {
    let bytes = data();
    let mut r = HashingReader::new(&bytes[..], ChecksumAlgorithm::Sha256);
    std::io::copy(&mut r, &mut std::io::sink()).unwrap();
    assert_eq!(r.digest().value, sha256_hex(&bytes));
    assert_eq!(r.bytes(), bytes.len() as u64);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn async_write_with_digest_and_verify() {
    let dir = tempfile::tempdir().unwrap();
    let stores = [
        AsyncStore::new(AsyncMemoryBackend::new(), "").unwrap(),
        AsyncStore::new(AsyncLocalBackend::new(dir.path()).unwrap(), "").unwrap(),
    ];
    let bytes = data();
    for store in &stores {
        let chunks: Vec<std::io::Result<bytes::Bytes>> = bytes
            .chunks(100_000)
            .map(|c| Ok(bytes::Bytes::copy_from_slice(c)))
            .collect();
        let r = aio::write_with_digest(
            store,
            "d/file.bin",
            AsyncContent::chunks(futures::stream::iter(chunks)),
            ChecksumAlgorithm::Sha256,
        )
        .await
        .unwrap();
        let digest = r.digest.clone().unwrap();
        assert_eq!(digest.value, sha256_hex(&bytes));
        assert!(aio::verify(store, "d/file.bin", &digest).await.unwrap());
        store
            .write_with(
                "d/file.bin",
                flipped(bytes.clone(), 1234),
                WriteOptions::overwriting(),
            )
            .await
            .unwrap();
        assert!(!aio::verify(store, "d/file.bin", &digest).await.unwrap());
        let err = aio::verify(store, "d/file.bin", &digest.clone().with_parts(3))
            .await
            .unwrap_err();
        assert_eq!(
            err.kind(),
            remote_store_core::ErrorKind::InvalidArgument,
            "{err}"
        );

        // HashingStream over a store read.
        let mut s = HashingStream::new(
            store.read("d/file.bin").await.unwrap(),
            ChecksumAlgorithm::Sha256,
        );
        while let Some(c) = s.next().await {
            c.unwrap();
        }
        assert_eq!(s.digest().value, sha256_hex(&flipped(bytes.clone(), 1234)));
    }
}
