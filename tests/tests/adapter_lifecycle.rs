//! `BlockingAdapter`'s lifecycle and cost (issue 9, item 9): `close` returns promptly
//! whatever the caller still holds, and held streams then fail with `BackendUnavailable`;
//! adapters share one runtime unless asked for their own; a read is served by one pump.
//!
//! The async half of the memory backend stands in for S3, Azure and SFTP: their blocking
//! twins are this same adapter.
#![cfg(feature = "memory")]

use std::io::Read;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use remote_store_async::{AsyncStore, BlockingAdapter};
use remote_store_core::{Error, ErrorKind, RemotePath};
use remote_store_memory::AsyncMemoryBackend;
use remote_store_sync::{Backend, Store};

/// Every test here takes this lock: the thread count and the runtime metrics must not see
/// another test's work.
static SERIAL: Mutex<()> = Mutex::new(());

fn serial() -> std::sync::MutexGuard<'static, ()> {
    SERIAL.lock().unwrap_or_else(|p| p.into_inner())
}

/// Enough files that the listing pump cannot run ahead to the end (it hands over batches
/// of 256, two at a time) and parks, waiting for the caller.
const FILES: usize = 1_000;

/// 4 MiB: 64 chunks of the memory backend's 64 KiB.
const BIG: usize = 4 << 20;

/// A store over the memory backend's async half, on the shared runtime.
fn shared_store() -> Store {
    Store::new(BlockingAdapter::new(AsyncMemoryBackend::new()), "").unwrap()
}

fn fill(store: &Store) {
    for i in 0..FILES {
        store.write(format!("many/f{i:04}.txt"), "x").unwrap();
    }
    store.write("big.bin", vec![5u8; BIG]).unwrap();
}

fn io_kind(e: std::io::Error) -> ErrorKind {
    Error::from_io(e).kind()
}

/// Holds a listing and a read mid-stream, closes, and checks both then fail as closed.
fn close_with_streams_held(store: &Store) {
    let mut files = store.list_files("many").unwrap();
    assert!(files.next().unwrap().is_ok());
    let mut reader = store.read("big.bin").unwrap();
    let mut buf = vec![0u8; 1000];
    assert!(reader.read(&mut buf).unwrap() > 0);

    let started = Instant::now();
    store.close().unwrap();
    let took = started.elapsed();
    assert!(
        took < Duration::from_secs(1),
        "close took {took:?} while a listing and a read were held"
    );

    let err = files
        .next()
        .expect("a held listing reports the close")
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::BackendUnavailable, "{err}");
    assert!(err.to_string().contains("closed"), "{err}");
    assert!(files.next().is_none(), "the listing ends after the error");

    let err = reader.read(&mut buf).unwrap_err();
    assert_eq!(io_kind(err), ErrorKind::BackendUnavailable);
    let err = reader.read(&mut buf).unwrap_err();
    assert_eq!(
        io_kind(err),
        ErrorKind::BackendUnavailable,
        "and stays closed"
    );

    // The memory backend is not terminal: new calls after `close` work again.
    assert_eq!(store.list_files("many").unwrap().count(), FILES);
    assert_eq!(store.read_bytes("big.bin").unwrap().len(), BIG);
}

#[test]
fn close_is_prompt_with_a_listing_and_a_read_held() {
    let _serial = serial();
    let store = shared_store();
    fill(&store);

    // Another adapter on the shared runtime, mid-read: closing the first must not touch it.
    let other = shared_store();
    other.write("o.bin", vec![3u8; BIG]).unwrap();
    let mut other_reader = other.read("o.bin").unwrap();
    let mut head = [0u8; 10];
    other_reader.read_exact(&mut head).unwrap();

    close_with_streams_held(&store);

    let mut rest = Vec::new();
    other_reader.read_to_end(&mut rest).unwrap();
    assert_eq!(
        rest.len(),
        BIG - head.len(),
        "the other adapter's read went on"
    );
}

#[test]
fn close_is_prompt_on_an_own_runtime() {
    let _serial = serial();
    let adapter = BlockingAdapter::new(AsyncMemoryBackend::new()).with_own_runtime();
    let store = Store::new(adapter, "").unwrap();
    fill(&store);
    close_with_streams_held(&store);
    // Twice: the own runtime came back lazily after the first close.
    close_with_streams_held(&store);
}

#[test]
fn close_is_prompt_inside_a_current_thread_runtime() {
    let _serial = serial();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let store = shared_store();
        fill(&store);
        close_with_streams_held(&store);
    });
}

/// Lists more batches and reads more chunks than tokio's cooperative budget (128) lets one
/// task receive without yielding, from inside a runtime: the blocking side must not spin
/// on the exhausted budget (it did for listings of more than 32 768 entries).
#[test]
fn long_reads_and_listings_inside_a_runtime_do_not_stall() {
    let _serial = serial();
    let (done_tx, done_rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async {
            let backend = AsyncMemoryBackend::new();
            // More than 128 batches of 256 listing items, written through the async half.
            let files = 129 * 256 + 1;
            let filler = AsyncStore::new(backend.clone(), "").unwrap();
            for i in 0..files {
                filler.write(&format!("wide/f{i}"), "").await.unwrap();
            }
            let store = Store::new(BlockingAdapter::new(backend), "").unwrap();
            assert_eq!(store.list_files("wide").unwrap().count(), files);

            let body = vec![9u8; 16 << 20]; // 256 chunks
            store.write("huge.bin", body).unwrap();
            let mut back = Vec::new();
            store
                .read("huge.bin")
                .unwrap()
                .read_to_end(&mut back)
                .unwrap();
            assert_eq!(back.len(), 16 << 20);
        });
        let _ = done_tx.send(());
    });
    match done_rx.recv_timeout(Duration::from_secs(60)) {
        Ok(()) => {}
        Err(std::sync::mpsc::RecvTimeoutError::Timeout) => {
            panic!("a long listing or read inside a runtime stalled")
        }
        Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => {
            panic!("the listing or the read failed (see the panic above)")
        }
    }
}

/// Threads whose name (`/proc/self/task/*/comm`, cut to 15 bytes) passes `name`: counting
/// by name keeps the test harness's own threads out.
#[cfg(target_os = "linux")]
fn threads(name: fn(&str) -> bool) -> usize {
    std::fs::read_dir("/proc/self/task")
        .unwrap()
        .filter_map(|task| std::fs::read_to_string(task.ok()?.path().join("comm")).ok())
        .filter(|comm| name(comm.trim_end()))
        .count()
}

/// Threads of the shared runtime (or, before it existed, of adapters' own runtimes).
#[cfg(target_os = "linux")]
fn shared_runtime_threads() -> usize {
    threads(|n| n.starts_with("remote-store") && !n.starts_with("remote-store-ow"))
}

/// Threads of runtimes that adapters own (`remote-store-own`).
#[cfg(target_os = "linux")]
fn own_runtime_threads() -> usize {
    threads(|n| n.starts_with("remote-store-ow"))
}

/// Polls `count` until `ok` holds, for up to a second (a runtime dropped by another test
/// stops its threads in the background; a joined thread can linger in `/proc` briefly).
#[cfg(target_os = "linux")]
fn settled(count: fn() -> usize, ok: impl Fn(usize) -> bool) -> usize {
    let deadline = Instant::now() + Duration::from_secs(1);
    loop {
        let n = count();
        if ok(n) || Instant::now() > deadline {
            return n;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
}

#[cfg(target_os = "linux")]
#[test]
fn adapters_share_one_runtime_by_default() {
    let _serial = serial();
    let first = shared_store();
    first.exists("x").unwrap(); // the shared runtime is up
    let before = shared_runtime_threads();
    let stores: Vec<Store> = (0..16)
        .map(|_| {
            let store = shared_store();
            store.write("f.txt", "x").unwrap();
            assert_eq!(store.read_text("f.txt").unwrap(), "x");
            store
        })
        .collect();
    let after = shared_runtime_threads();
    assert!(
        after <= before + 2,
        "16 adapters grew the runtime threads from {before} to {after}"
    );
    for store in &stores {
        store.close().unwrap();
    }
    let own = settled(own_runtime_threads, |n| n == 0);
    assert_eq!(own, 0, "no adapter asked for a runtime of its own");
}

#[cfg(target_os = "linux")]
#[test]
fn an_own_runtime_is_released_by_close() {
    let _serial = serial();
    let before = settled(own_runtime_threads, |n| n == 0);
    assert_eq!(before, 0, "other tests' own runtimes are gone");
    let own = Store::new(
        BlockingAdapter::new(AsyncMemoryBackend::new()).with_own_runtime(),
        "",
    )
    .unwrap();
    own.exists("x").unwrap();
    // A new thread takes its name a moment after it starts: poll for both workers.
    let workers = settled(own_runtime_threads, |n| n == 2);
    assert_eq!(workers, 2, "an own runtime has two workers");
    own.close().unwrap();
    let left = settled(own_runtime_threads, |n| n == 0);
    assert_eq!(left, 0, "close stopped the own runtime's threads");
    own.exists("x").unwrap(); // memory is not terminal: the own runtime comes back
    assert_eq!(settled(own_runtime_threads, |n| n == 2), 2);
}

/// One pump task per read stream, parked while the caller holds the stream: the adapter's
/// own runtime shows exactly one live task mid-read, and none once the reader is dropped.
/// (Spawning a task per chunk would show none between reads.)
#[test]
fn a_read_is_served_by_one_pump() {
    let _serial = serial();
    let backend = AsyncMemoryBackend::new();
    let store = Store::new(BlockingAdapter::new(backend.clone()), "").unwrap();
    store.write("big.bin", vec![1u8; BIG]).unwrap();

    let adapter = BlockingAdapter::new(backend).with_own_runtime();
    let tasks = || adapter.handle().unwrap().metrics().num_alive_tasks();
    let path = RemotePath::new("big.bin").unwrap();
    let mut reader = Backend::read(&adapter, &path).unwrap();
    let mut buf = vec![0u8; 100_000]; // more than a chunk: every read takes a new one
    let mut total = 0;
    for _ in 0..10 {
        total += reader.read(&mut buf).unwrap();
        std::thread::sleep(Duration::from_millis(20));
        assert_eq!(
            tasks(),
            1,
            "one pump per read stream, alive while it is held"
        );
    }
    assert!(total > 0);
    drop(reader);
    let deadline = Instant::now() + Duration::from_secs(1);
    while tasks() > 0 && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(5));
    }
    assert_eq!(tasks(), 0, "dropping the reader ends its pump");
}
