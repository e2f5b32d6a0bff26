//! `write_atomic` on the local backend: a source that fails half-way, and (async) a future
//! dropped mid-write, leave the previous content byte-identical and no `.~tmp` file — in
//! the target's folder or anywhere else below the root.

#![cfg(feature = "local")]

use std::io::{self, Read};
use std::path::Path;
use std::time::{Duration, Instant};

use bytes::Bytes;
use futures::StreamExt;
use remote_store_async::{AsyncContent, AsyncStore, SyncBackendAdapter};
use remote_store_core::{ErrorKind, WriteOptions};
use remote_store_local::{AsyncLocalBackend, FsyncPolicy, LocalBackend, LocalConfig};
use remote_store_sync::{Content, Store};

const MIB: usize = 1024 * 1024;

/// 2 MiB of a recognisable pattern: the "previous content".
fn old_content() -> Vec<u8> {
    (0..2 * MIB).map(|i| (i % 251) as u8).collect()
}

/// Every entry below `dir`, as paths relative to it.
fn tree(dir: &Path) -> Vec<String> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).unwrap() {
            let entry = entry.unwrap();
            let rel = entry
                .path()
                .strip_prefix(dir)
                .unwrap()
                .display()
                .to_string();
            if entry.file_type().unwrap().is_dir() {
                stack.push(entry.path());
            }
            out.push(rel);
        }
    }
    out.sort();
    out
}

fn temp_files(dir: &Path) -> Vec<String> {
    tree(dir)
        .into_iter()
        .filter(|p| p.rsplit('/').next().unwrap().starts_with(".~tmp."))
        .collect()
}

/// A reader that yields `good` bytes of 0xAB, then fails.
struct FailingReader {
    left: usize,
}

impl Read for FailingReader {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.left == 0 {
            return Err(io::Error::new(
                io::ErrorKind::ConnectionReset,
                "source died",
            ));
        }
        let n = buf.len().min(self.left);
        buf[..n].fill(0xAB);
        self.left -= n;
        Ok(n)
    }
}

/// A stream of 64 KiB chunks totalling `good` bytes, then an error.
fn failing_stream(good: usize) -> AsyncContent<'static> {
    let chunks = (0..good / (64 * 1024)).map(|_| Ok(Bytes::from(vec![0xABu8; 64 * 1024])));
    let fail = std::iter::once(Err(io::Error::new(
        io::ErrorKind::ConnectionReset,
        "source died",
    )));
    AsyncContent::chunks(futures::stream::iter(chunks.chain(fail)))
}

fn seeded(dir: &Path) {
    std::fs::create_dir_all(dir.join("docs")).unwrap();
    std::fs::write(dir.join("docs/report.bin"), old_content()).unwrap();
}

fn assert_untouched(dir: &Path, before: &[String]) {
    assert_eq!(
        std::fs::read(dir.join("docs/report.bin")).unwrap(),
        old_content(),
        "the previous content changed"
    );
    assert!(
        temp_files(dir).is_empty(),
        "temp files left: {:?}",
        temp_files(dir)
    );
    assert_eq!(tree(dir), before, "the tree changed");
}

#[test]
fn sync_failing_source_after_1mib_keeps_old_content_and_leaves_no_temp() {
    for policy in [FsyncPolicy::Atomic, FsyncPolicy::Never, FsyncPolicy::Always] {
        let dir = tempfile::tempdir().unwrap();
        seeded(dir.path());
        let before = tree(dir.path());
        let backend = LocalBackend::from_config(LocalConfig::new(dir.path()).fsync(policy));
        let store = Store::new(backend.unwrap(), "").unwrap();
        let err = store
            .write_atomic_with(
                "docs/report.bin",
                Content::reader(FailingReader { left: MIB }),
                WriteOptions::overwriting(),
            )
            .unwrap_err();
        assert_ne!(err.kind(), ErrorKind::NotFound, "{err}");
        assert_eq!(err.path(), Some("docs/report.bin"), "{err}");
        assert_untouched(dir.path(), &before);
        // A new target: nothing at all appears.
        let err = store
            .write_atomic(
                "docs/new/fresh.bin",
                Content::reader(FailingReader { left: MIB }),
            )
            .unwrap_err();
        assert_eq!(err.path(), Some("docs/new/fresh.bin"));
        assert!(!dir.path().join("docs/new/fresh.bin").exists());
        assert!(
            temp_files(dir.path()).is_empty(),
            "{:?}",
            temp_files(dir.path())
        );
        // And a good write afterwards replaces the content completely.
        store
            .write_atomic_with(
                "docs/report.bin",
                Content::reader(io::repeat(7).take(3 * MIB as u64)),
                WriteOptions::overwriting(),
            )
            .unwrap();
        assert_eq!(
            store.read_bytes("docs/report.bin").unwrap(),
            vec![7u8; 3 * MIB]
        );
        assert!(temp_files(dir.path()).is_empty());
    }
}

#[test]
fn sync_plain_write_with_failing_source_removes_the_file_it_created() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::new(LocalBackend::new(dir.path()).unwrap(), "").unwrap();
    let err = store
        .write("new.bin", Content::reader(FailingReader { left: MIB }))
        .unwrap_err();
    assert_eq!(err.path(), Some("new.bin"));
    assert!(tree(dir.path()).is_empty(), "{:?}", tree(dir.path()));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn async_failing_source_after_1mib_keeps_old_content_and_leaves_no_temp() {
    let dir = tempfile::tempdir().unwrap();
    seeded(dir.path());
    let before = tree(dir.path());
    let native = AsyncStore::new(AsyncLocalBackend::new(dir.path()).unwrap(), "").unwrap();
    let adapted = AsyncStore::new(
        SyncBackendAdapter::new(LocalBackend::new(dir.path()).unwrap()),
        "",
    )
    .unwrap();
    for store in [native, adapted] {
        let err = store
            .write_atomic_with(
                "docs/report.bin",
                failing_stream(MIB),
                WriteOptions::overwriting(),
            )
            .await
            .unwrap_err();
        assert_eq!(err.path(), Some("docs/report.bin"), "{err}");
        assert_untouched(dir.path(), &before);
        let err = store
            .write_atomic("docs/new/fresh.bin", failing_stream(MIB))
            .await
            .unwrap_err();
        assert_eq!(err.path(), Some("docs/new/fresh.bin"));
        assert!(!dir.path().join("docs/new/fresh.bin").exists());
        assert!(
            temp_files(dir.path()).is_empty(),
            "{:?}",
            temp_files(dir.path())
        );
        std::fs::remove_dir(dir.path().join("docs/new")).unwrap();
        // A failing AsyncRead source too.
        let reader = tokio::io::AsyncReadExt::chain(&[1u8; 300_000][..], FailingAsyncRead);
        let err = store
            .write_atomic_with(
                "docs/report.bin",
                AsyncContent::reader(reader),
                WriteOptions::overwriting(),
            )
            .await
            .unwrap_err();
        assert_eq!(err.path(), Some("docs/report.bin"));
        assert_untouched(dir.path(), &before);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn async_plain_write_with_failing_source_removes_the_file_it_created() {
    let dir = tempfile::tempdir().unwrap();
    let store = AsyncStore::new(AsyncLocalBackend::new(dir.path()).unwrap(), "").unwrap();
    let err = store
        .write("new.bin", failing_stream(MIB))
        .await
        .unwrap_err();
    assert_eq!(err.path(), Some("new.bin"));
    assert!(tree(dir.path()).is_empty(), "{:?}", tree(dir.path()));
}

/// An `AsyncRead` that fails on its first read.
struct FailingAsyncRead;

impl tokio::io::AsyncRead for FailingAsyncRead {
    fn poll_read(
        self: std::pin::Pin<&mut Self>,
        _: &mut std::task::Context<'_>,
        _: &mut tokio::io::ReadBuf<'_>,
    ) -> std::task::Poll<io::Result<()>> {
        std::task::Poll::Ready(Err(io::Error::new(
            io::ErrorKind::BrokenPipe,
            "source died",
        )))
    }
}

/// Waits (boundedly) until `dir` holds no temp file; the drop may finish on the blocking
/// pool a moment after the future is gone.
async fn settle(dir: &Path) -> Vec<String> {
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let left = temp_files(dir);
        if left.is_empty() || Instant::now() > deadline {
            return left;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn async_dropped_write_atomic_future_leaves_nothing() {
    let dir = tempfile::tempdir().unwrap();
    seeded(dir.path());
    let before = tree(dir.path());
    let store = AsyncStore::new(AsyncLocalBackend::new(dir.path()).unwrap(), "").unwrap();
    for (target, opts) in [
        ("docs/report.bin", WriteOptions::overwriting()),
        ("docs/brand-new.bin", WriteOptions::new()),
    ] {
        // 1 MiB, then a source that never ends: the write is stuck mid-body.
        let body = futures::stream::iter((0..16).map(|_| Ok(Bytes::from(vec![0xCDu8; 64 * 1024]))))
            .chain(futures::stream::pending());
        let task = {
            let store = store.clone();
            let opts = opts.clone();
            tokio::spawn(async move {
                store
                    .write_atomic_with(target, AsyncContent::chunks(body), opts)
                    .await
            })
        };
        // The temp file exists while the write is in flight (so the test can fail)...
        let deadline = Instant::now() + Duration::from_secs(5);
        while temp_files(dir.path()).is_empty() {
            assert!(Instant::now() < deadline, "the write never started");
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
        // ...and is gone once the future is dropped.
        task.abort();
        assert!(task.await.unwrap_err().is_cancelled());
        assert_eq!(settle(dir.path()).await, Vec::<String>::new());
        assert_untouched(dir.path(), &before);
    }
    // Dropped by a timeout around the call itself (no task), on the current thread.
    let body =
        futures::stream::iter([Ok(Bytes::from(vec![1u8; MIB]))]).chain(futures::stream::pending());
    let outcome = tokio::time::timeout(
        Duration::from_millis(200),
        store.write_atomic_with(
            "docs/report.bin",
            AsyncContent::chunks(body),
            WriteOptions::overwriting(),
        ),
    )
    .await;
    assert!(outcome.is_err(), "the write cannot complete");
    assert_eq!(settle(dir.path()).await, Vec::<String>::new());
    assert_untouched(dir.path(), &before);
}
