//! The two adapters: `BlockingAdapter` (async backend → blocking `Store`) works on a plain
//! thread, inside both tokio runtime flavours and inside `spawn_blocking`, without panics or
//! deadlocks; `SyncBackendAdapter` (blocking backend → `AsyncStore`) survives many tasks;
//! both hand back errors unchanged and never deliver a result to the wrong caller.
#![cfg(feature = "memory")]

mod tamper_support;

use std::io::{self, Read};
use std::time::Duration;

use bytes::Bytes;
use futures::StreamExt;
use remote_store_async::{AsyncContent, AsyncStore, BlockingAdapter};
use remote_store_core::{ErrorKind, WriteOptions};
use remote_store_memory::{AsyncMemoryBackend, MemoryBackend};
use remote_store_sync::{Content, Store};

fn blocking_store() -> Store {
    Store::new(BlockingAdapter::new(AsyncMemoryBackend::new()), "").unwrap()
}

/// A little of everything a sync caller does, checked.
fn exercise(store: &Store, tag: &str) {
    let path = format!("{tag}/data.bin");
    let body: Vec<u8> = (0..300_000u32).map(|i| (i % 251) as u8).collect();
    store.write(&path, body.clone()).unwrap();
    let streamed = format!("{tag}/streamed.bin");
    let result = store
        .write(&streamed, Content::reader(io::Cursor::new(body.clone())))
        .unwrap();
    assert_eq!(result.size, body.len() as u64);
    let mut back = Vec::new();
    store.read(&path).unwrap().read_to_end(&mut back).unwrap();
    assert_eq!(back, body);
    assert_eq!(store.read_bytes(&streamed).unwrap(), Bytes::from(body));
    let names: Vec<String> = store
        .list_files(tag)
        .unwrap()
        .map(|f| f.unwrap().name)
        .collect();
    assert_eq!(names.len(), 2, "{names:?}");
    let missing = store.read_bytes(format!("{tag}/missing")).unwrap_err();
    assert_eq!(missing.kind(), ErrorKind::NotFound);
}

#[test]
fn blocking_adapter_on_a_plain_thread() {
    let store = blocking_store();
    std::thread::spawn(move || exercise(&store, "plain"))
        .join()
        .unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn blocking_adapter_inside_a_multi_thread_runtime() {
    let store = blocking_store();
    exercise(&store, "multi");
    drop(store); // dropping the adapter's runtime inside async code must not panic
}

#[tokio::test(flavor = "current_thread")]
async fn blocking_adapter_inside_a_current_thread_runtime() {
    let store = blocking_store();
    exercise(&store, "current");
    store.close().unwrap(); // close waits on its own thread, not on this runtime
    exercise(&store, "after-close"); // memory is not terminal: the runtime comes back lazily
}

#[tokio::test(flavor = "multi_thread")]
async fn blocking_adapter_inside_spawn_blocking() {
    let store = blocking_store();
    tokio::task::spawn_blocking(move || exercise(&store, "spawned"))
        .await
        .unwrap();
}

#[test]
fn blocking_adapter_inside_tokio_main_style_block_on() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let store = blocking_store();
        exercise(&store, "block-on");
    });
}

#[test]
fn blocking_adapter_survives_32_threads_without_crossed_results() {
    let store = blocking_store();
    let threads: Vec<_> = (0..32)
        .map(|t| {
            let store = store.clone();
            std::thread::spawn(move || {
                for i in 0..20 {
                    let path = format!("t{t}/f{i}.txt");
                    let body = format!("thread {t} file {i}");
                    store
                        .write_text_with(&path, body.clone(), WriteOptions::overwriting())
                        .unwrap();
                    assert_eq!(
                        store.read_text(&path).unwrap(),
                        body,
                        "result for another caller"
                    );
                    assert!(store.is_file(&path).unwrap());
                    let listed = store.list_files(format!("t{t}")).unwrap().count();
                    assert_eq!(listed, i + 1);
                    if i % 5 == 0 {
                        store.delete(&path).unwrap();
                        store.write_text(&path, body).unwrap();
                    }
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    assert_eq!(store.get_folder_info("").unwrap().file_count, 32 * 20);
}

#[test]
fn blocking_adapter_returns_errors_unchanged() {
    let store = blocking_store().child("base").unwrap();
    let e = store.read_bytes("nope/x.txt").unwrap_err();
    assert_eq!(e.kind(), ErrorKind::NotFound);
    assert_eq!(e.path(), Some("nope/x.txt"));
    assert_eq!(e.backend(), Some("memory"));
    store.write("a.txt", "x").unwrap();
    let e = store.write("a.txt", "y").unwrap_err();
    assert_eq!(e.kind(), ErrorKind::AlreadyExists);
    assert_eq!(e.path(), Some("a.txt"));
}

/// A reader that yields `good` bytes and then fails.
struct FailingReader {
    left: usize,
}

impl Read for FailingReader {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.left == 0 {
            return Err(io::Error::other("source failed half-way"));
        }
        let n = buf.len().min(self.left);
        buf[..n].fill(7);
        self.left -= n;
        Ok(n)
    }
}

#[test]
fn blocking_adapter_failed_stream_writes_nothing() {
    let store = blocking_store();
    store.write("keep.bin", "old").unwrap();
    let reader = Content::reader(FailingReader { left: 1 << 20 });
    let err = store
        .write_atomic_with("keep.bin", reader, WriteOptions::overwriting())
        .unwrap_err();
    assert_ne!(err.kind(), ErrorKind::NotFound);
    assert_eq!(store.read_text("keep.bin").unwrap(), "old");
    let reader = Content::reader(FailingReader { left: 1 << 20 });
    assert!(store.write("new.bin", reader).is_err());
    assert!(!store.exists("new.bin").unwrap());
}

#[test]
fn blocking_adapter_streams_reads_in_chunks() {
    let store = blocking_store();
    let body = vec![1u8; 4 << 20];
    store.write("big.bin", body).unwrap();
    let mut reader = store.read("big.bin").unwrap();
    let mut buf = [0u8; 1000];
    let n = reader.read(&mut buf).unwrap();
    assert!(n > 0 && n <= 1000);
    drop(reader); // dropping mid-stream cancels cleanly
    let mut seek = store.read_seekable("big.bin").unwrap();
    use std::io::{Seek, SeekFrom};
    seek.seek(SeekFrom::End(-10)).unwrap();
    let mut tail = Vec::new();
    seek.read_to_end(&mut tail).unwrap();
    assert_eq!(tail, vec![1u8; 10]);
}

fn adapted_store() -> AsyncStore {
    AsyncStore::from_blocking(MemoryBackend::new(), "").unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sync_adapter_survives_256_tasks_without_crossed_results() {
    let store = adapted_store();
    let tasks: Vec<_> = (0..256)
        .map(|t| {
            let store = store.clone();
            tokio::spawn(async move {
                for i in 0..4 {
                    let path = format!("t{t}/f{i}.txt");
                    let body = format!("task {t} file {i}");
                    store.write_text(&path, body.clone()).await.unwrap();
                    assert_eq!(store.read_text(&path).await.unwrap(), body);
                    let listed = store.list_files(format!("t{t}")).unwrap().count().await;
                    assert_eq!(listed, i + 1);
                }
            })
        })
        .collect();
    for t in tasks {
        t.await.unwrap();
    }
    assert_eq!(store.get_folder_info("").await.unwrap().file_count, 256 * 4);
}

#[tokio::test(flavor = "multi_thread")]
async fn sync_adapter_streams_and_cancels_cleanly() {
    let store = adapted_store();
    let body = Bytes::from(vec![9u8; 3 << 20]);
    let chunks = futures::stream::iter(
        body.chunks(100_000)
            .map(|c| Ok(Bytes::copy_from_slice(c)))
            .collect::<Vec<_>>(),
    );
    let result = store
        .write("s.bin", AsyncContent::chunks(chunks))
        .await
        .unwrap();
    assert_eq!(result.size, body.len() as u64);
    let mut stream = store.read("s.bin").await.unwrap();
    let mut total = 0;
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.unwrap();
        assert!(chunk.len() <= 1 << 20, "chunks are bounded");
        total += chunk.len();
    }
    assert_eq!(total, body.len());

    // A write whose future is dropped mid-stream must not commit a truncated file.
    let endless = futures::stream::once(async { Ok(Bytes::from_static(b"partial")) })
        .chain(futures::stream::pending());
    let write = store.write_atomic("cancelled.bin", AsyncContent::chunks(endless));
    assert!(
        tokio::time::timeout(Duration::from_millis(200), write)
            .await
            .is_err()
    );
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert!(!store.exists("cancelled.bin").await.unwrap());
}

#[test]
fn sync_adapter_outside_a_runtime_errs_instead_of_panicking() {
    let store = adapted_store();
    let e = futures::executor::block_on(store.read_bytes("x")).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::BackendUnavailable);
}

/// A seekable reader is held to the version it opened: after the file is replaced by one
/// of the same size, a seek and a read fail (`PreconditionFailed`) instead of handing back
/// the new version's bytes after the old one's; where reads cannot be held to a version, a
/// file that shrank fails the read instead of ending early. Through `BlockingAdapter` (the blocking S3, Azure and SFTP stores) and
/// `AsyncStore`, under a store root, errors name the store's path.
#[test]
fn blocking_seekable_reads_never_mix_two_versions() {
    use std::io::{Seek, SeekFrom};
    let store = Store::new(BlockingAdapter::new(AsyncMemoryBackend::new()), "base").unwrap();
    store.write("f.bin", vec![b'a'; 100_000]).unwrap();
    let mut r = store.read_seekable("f.bin").unwrap();
    let mut first = [0u8; 10];
    r.read_exact(&mut first).unwrap();
    assert_eq!(first, [b'a'; 10]);
    store
        .write_with("f.bin", vec![b'b'; 100_000], WriteOptions::overwriting())
        .unwrap();
    r.seek(SeekFrom::Start(0)).unwrap();
    let err = remote_store_core::Error::from_io(r.read(&mut first).unwrap_err());
    assert_eq!(err.kind(), ErrorKind::PreconditionFailed, "{err}");
    assert_eq!(err.path(), Some("f.bin"), "{err:?}");
    assert!(err.to_string().contains("replaced"), "{err}");

    // A file that shrinks under a reader where reads cannot be held to a version (no
    // etag, no conditional reads): an error, not a short read.
    let store = Store::new(
        BlockingAdapter::new(remote_store_async::SyncBackendAdapter::new(
            tamper_support::Tampered(NoEtags(MemoryBackend::new())),
        )),
        "base",
    )
    .unwrap();
    store.write("g.bin", vec![b'a'; 1000]).unwrap();
    let mut r = store.read_seekable("g.bin").unwrap();
    store
        .write_with("g.bin", vec![b'b'; 10], WriteOptions::overwriting())
        .unwrap();
    let mut all = Vec::new();
    assert!(r.read_to_end(&mut all).is_err(), "read {} bytes", all.len());
}

#[tokio::test(flavor = "multi_thread")]
async fn async_seekable_reads_never_mix_two_versions() {
    use tokio::io::{AsyncReadExt, AsyncSeekExt};
    let store = AsyncStore::new(AsyncMemoryBackend::new(), "base").unwrap();
    store.write("f.bin", vec![b'a'; 100_000]).await.unwrap();
    let mut r = store.read_seekable("f.bin").await.unwrap();
    let mut first = [0u8; 10];
    r.read_exact(&mut first).await.unwrap();
    store
        .write_with("f.bin", vec![b'b'; 100_000], WriteOptions::overwriting())
        .await
        .unwrap();
    r.seek(std::io::SeekFrom::Start(0)).await.unwrap();
    let err = remote_store_core::Error::from_io(r.read(&mut first).await.unwrap_err());
    assert_eq!(err.kind(), ErrorKind::PreconditionFailed, "{err}");
    assert_eq!(err.path(), Some("f.bin"), "{err:?}");

    let store = AsyncStore::from_blocking(
        tamper_support::Tampered(NoEtags(MemoryBackend::new())),
        "base",
    )
    .unwrap();
    store.write("g.bin", vec![b'a'; 1000]).await.unwrap();
    let mut r = store.read_seekable("g.bin").await.unwrap();
    store
        .write_with("g.bin", vec![b'b'; 10], WriteOptions::overwriting())
        .await
        .unwrap();
    let mut all = Vec::new();
    let err = remote_store_core::Error::from_io(r.read_to_end(&mut all).await.unwrap_err());
    assert!(
        !err.is_retryable(),
        "a changed file is no transient fault: {err}"
    );
    assert_eq!(err.path(), Some("g.bin"), "{err:?}");
    assert!(err.to_string().contains("changed"), "{err}");
}

/// A failed `if_match` check names the store's path, not the backend's key below the
/// store root, in both halves.
#[tokio::test(flavor = "multi_thread")]
async fn an_if_match_failure_names_the_store_path() {
    let stale = || WriteOptions::new().if_match("\"stale\"");
    let store = Store::new(MemoryBackend::new(), "base").unwrap();
    store.write("c.txt", "x").unwrap();
    let err = store.write_with("c.txt", "y", stale()).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::PreconditionFailed, "{err}");
    assert_eq!(err.path(), Some("c.txt"), "{err:?}");
    let store = AsyncStore::new(AsyncMemoryBackend::new(), "base").unwrap();
    store.write("c.txt", "x").await.unwrap();
    let err = store.write_with("c.txt", "y", stale()).await.unwrap_err();
    assert_eq!(err.path(), Some("c.txt"), "{err:?}");
}

/// A memory backend that reports no etags (as an SFTP server that sends no size or time)
/// and enforces no write conditions itself.
#[derive(Debug)]
struct NoEtags(MemoryBackend);

impl tamper_support::Tamper for NoEtags {
    fn inner(&self) -> &MemoryBackend {
        &self.0
    }
    fn capabilities(&self) -> remote_store_core::CapabilitySet {
        use remote_store_sync::Backend as _;
        self.0
            .capabilities()
            .without(remote_store_core::Capability::ConditionalWrite)
            .without(remote_store_core::Capability::ConditionalRead)
    }
    fn get_file_info(
        &self,
        path: &remote_store_core::RemotePath,
    ) -> remote_store_core::Result<remote_store_core::FileInfo> {
        use remote_store_sync::Backend as _;
        let mut info = self.0.get_file_info(path)?;
        info.etag = None;
        Ok(info)
    }
}

/// `if_match("*")` ("it exists") holds for an existing file whose backend reports no etag
/// (it failed as "the file does not exist"); a specific etag cannot be confirmed there
/// and fails saying so; a missing file still fails.
#[test]
fn if_match_any_holds_for_a_file_without_an_etag() {
    let store = Store::new(tamper_support::Tampered(NoEtags(MemoryBackend::new())), "").unwrap();
    store.write("a", "x").unwrap();
    store
        .write_with("a", "y", WriteOptions::new().if_match("*"))
        .unwrap();
    assert_eq!(store.read_text("a").unwrap(), "y");
    let err = store
        .write_with("a", "z", WriteOptions::new().if_match("\"v1\""))
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::PreconditionFailed, "{err}");
    assert!(err.to_string().contains("no etag"), "{err}");
    let err = store
        .write_with("missing", "z", WriteOptions::new().if_match("*"))
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::PreconditionFailed, "{err}");
    // Reads: `*` matches an existing file without an etag; `if_none_match("*")` does not
    // let it through.
    let any = remote_store_core::ReadOptions::new().if_match("*");
    let mut text = String::new();
    store
        .read_with("a", any)
        .unwrap()
        .read_to_string(&mut text)
        .unwrap();
    assert_eq!(text, "y");
    let none = remote_store_core::ReadOptions::new().if_none_match("*");
    let err = store.read_with("a", none).err().expect("not modified");
    assert_eq!(err.kind(), ErrorKind::NotModified, "{err}");
}
