//! The two adapters: `BlockingAdapter` (async backend → blocking `Store`) works on a plain
//! thread, inside both tokio runtime flavours and inside `spawn_blocking`, without panics or
//! deadlocks; `SyncBackendAdapter` (blocking backend → `AsyncStore`) survives many tasks;
//! both hand back errors unchanged and never deliver a result to the wrong caller.
#![cfg(feature = "memory")]

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
