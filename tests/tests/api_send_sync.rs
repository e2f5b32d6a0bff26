//! Compile-time checks (issue 9): stores and errors are `Send + Sync + 'static`, streams are
//! `Send + 'static`, and the futures `AsyncStore` returns are `Send + 'static` (they borrow
//! neither the store nor the path: `tokio::spawn(store.read(p))` works), so they can be
//! spawned on a multi-thread runtime. If one of these regresses, this file stops compiling.

#![cfg(feature = "memory")]

use std::future::Future;

use remote_store_async::{
    AsyncContent, AsyncSeekReader, AsyncStore, AsyncWriter, ByteStream, EntryStream, FileStream,
    FolderStream,
};
use remote_store_core::{
    CopyOptions, DeleteFolderOptions, DeleteOptions, Error, ListOptions, MoveOptions, WriteOptions,
};
use remote_store_sync::{EntryIter, FileIter, FolderIter, Reader, SeekReader, Store, Writer};

fn send_sync_static<T: Send + Sync + 'static>() {}
fn send_static<T: Send + 'static>() {}
fn send_future<F: Future + Send + 'static>(_: F) {}

#[test]
fn stores_errors_and_streams_can_cross_threads() {
    send_sync_static::<Store>();
    send_sync_static::<AsyncStore>();
    send_sync_static::<Error>();
    send_static::<Reader>();
    send_static::<SeekReader>();
    send_static::<FileIter>();
    send_static::<FolderIter>();
    send_static::<EntryIter>();
    send_static::<ByteStream>();
    send_static::<FileStream>();
    send_static::<FolderStream>();
    send_static::<EntryStream>();
    send_sync_static::<Writer>();
    send_static::<AsyncWriter>();
    send_static::<AsyncSeekReader>();
}

/// Never run: it only has to compile. Every future an `AsyncStore` method returns is
/// `Send + 'static`, whatever the lifetime of the store reference and of the path.
#[allow(dead_code, unused_must_use)]
fn async_store_futures_are_send(s: &AsyncStore) {
    let owned = String::from("a");
    send_future(s.exists(owned.as_str()));
    send_future(s.exists("a"));
    send_future(s.is_file("a"));
    send_future(s.is_folder("a"));
    send_future(s.read("a"));
    send_future(s.read_bytes("a"));
    send_future(s.read_text("a"));
    send_future(s.read_range("a", 0..1));
    send_future(s.read_seekable("a"));
    send_future(s.write("a", "x"));
    send_future(s.write_with("a", AsyncContent::from("x"), WriteOptions::new()));
    send_future(s.write_text("a", "x"));
    send_future(s.write_atomic("a", "x"));
    send_future(s.delete("a"));
    send_future(s.delete_with("a", DeleteOptions::new()));
    send_future(s.delete_folder("a"));
    send_future(s.delete_folder_with("a", DeleteFolderOptions::new()));
    send_future(s.get_file_info("a"));
    send_future(s.get_folder_info("a"));
    send_future(s.head("a"));
    send_future(s.move_file("a", "b"));
    send_future(s.move_file_with("a", "b", MoveOptions::new()));
    send_future(s.copy_file("a", "b"));
    send_future(s.copy_file_with("a", "b", CopyOptions::new()));
    send_future(s.ping());
    send_future(s.close());
    let _ = s.list_files_with("a", ListOptions::new());
    if let Ok(w) = s.writer("a") {
        send_future(w.finish());
    }
    if let Ok(w) = s.atomic_writer_with("a", WriteOptions::new()) {
        send_future(w.abort());
    }
}

/// A store future really is spawnable: run one on a multi-thread runtime's worker.
#[test]
fn an_async_store_call_runs_on_a_spawned_task() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .build()
        .unwrap();
    let store = AsyncStore::new(remote_store_memory::AsyncMemoryBackend::new(), "").unwrap();
    let written = rt.block_on(async move {
        // The future is spawned as it is: it borrows neither `store` nor the path.
        let path = String::from("spawned.txt");
        let task = tokio::spawn(store.write(&path, "x"));
        drop(path);
        let written = task.await.unwrap().map(|r| r.size);
        assert_eq!(store.read_text("spawned.txt").await.unwrap(), "x");
        written
    });
    assert_eq!(written.unwrap(), 1);
}
