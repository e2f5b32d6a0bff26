//! Drift test: `Store` and `AsyncStore`, and `Backend` and `AsyncBackend`, offer the same
//! operations with the same parameters and matching results, apart from an explicit
//! allow-list. The compiler checks it: each operation is declared once below, with the
//! arguments it is called with, and the macro calls it on both halves with the same argument
//! expressions and requires the two results to be twins (`ByteStream` for `Reader`, ...).
//! Adding a parameter, changing an option type or a result on one half only stops this file
//! from compiling. Nothing here runs I/O: the functions only have to type-check.
//!
//! New operations are added to the table with the method; the conformance suite's `cases!`
//! macro, which runs every case body over both stores, catches an operation that a case
//! uses on one half only.

#![allow(dead_code, unused_must_use, clippy::let_underscore_future)]

use std::future::Future;
use std::marker::PhantomData;
use std::ops::Range;

use bytes::Bytes;
use remote_store_async::{
    AsyncBackend, AsyncContent, AsyncStore, ByteStream, EntryStream, FileStream, FolderStream,
};
use remote_store_core::{
    CapabilitySet, CopyOptions, DeleteFolderOptions, DeleteOptions, FileInfo, FolderInfo,
    GlobPattern, ListOptions, MoveOptions, ReadOptions, RemotePath, Result, WriteMode,
    WriteOptions, WriteResult,
};
use remote_store_sync::{Backend, Content, EntryIter, FileIter, FolderIter, Reader, Store};

/// The sync twin of an async result type.
trait Twin {
    type Sync;
}

macro_rules! same_in_both {
    ($($t:ty),* $(,)?) => { $(impl Twin for $t { type Sync = $t; })* };
}
same_in_both!(
    (),
    bool,
    String,
    Bytes,
    CapabilitySet,
    FileInfo,
    FolderInfo,
    WriteResult,
    RemotePath
);

impl Twin for AsyncStore {
    type Sync = Store;
}
impl Twin for ByteStream {
    type Sync = Reader;
}
impl Twin for FileStream {
    type Sync = FileIter;
}
impl Twin for FolderStream {
    type Sync = FolderIter;
}
impl Twin for EntryStream {
    type Sync = EntryIter;
}
impl<T: Twin> Twin for Result<T> {
    type Sync = Result<T::Sync>;
}
/// Borrowed results (`name()`, `root()`, `native::<T>()`) are the same in both halves.
impl<'a, T: ?Sized> Twin for &'a T {
    type Sync = &'a T;
}

fn value<T>(_: &T) -> PhantomData<T> {
    PhantomData
}
fn output<F: Future>(_: &F) -> PhantomData<F::Output> {
    PhantomData
}
fn twin<T: Twin>(_: PhantomData<T>) -> PhantomData<T::Sync> {
    PhantomData
}
fn same<T>(_: PhantomData<T>, _: PhantomData<T>) {}

/// `$sync_call` on the sync half and `$async_call` on the async one must give twin results;
/// `await` marks an async method (an `async fn`), `now` one that returns at once.
macro_rules! mirror {
    ($s:ident, $a:ident, await, $($call:tt)*) => {
        same(twin(output(&$a.$($call)*)), value(&$s.$($call)*));
    };
    ($s:ident, $a:ident, now, $($call:tt)*) => {
        same(twin(value(&$a.$($call)*)), value(&$s.$($call)*));
    };
}

/// Every store operation, once. Sync-only: `read_seekable` (`Read + Seek` has no async
/// twin); async-only: `from_blocking` (wraps a sync backend); `close` is async on one side.
fn stores(s: &Store, a: &AsyncStore, range: Range<u64>) {
    mirror!(s, a, now, name());
    mirror!(s, a, now, root());
    mirror!(s, a, now, capabilities());
    mirror!(s, a, now, supports(remote_store_core::Capability::Read));
    mirror!(s, a, await, exists("p"));
    mirror!(s, a, await, is_file("p"));
    mirror!(s, a, await, is_folder("p"));
    mirror!(s, a, await, read("p"));
    mirror!(s, a, await, read_bytes("p"));
    mirror!(s, a, await, read_text("p"));
    mirror!(s, a, await, read_range("p", range.clone()));
    mirror!(s, a, await, read_with("p", ReadOptions::new()));
    mirror!(s, a, await, write("p", "x"));
    mirror!(s, a, await, write_with("p", "x", WriteOptions::new()));
    mirror!(s, a, await, write_text("p", "x"));
    mirror!(s, a, await, write_text_with("p", "x", WriteOptions::new()));
    mirror!(s, a, await, write_atomic("p", "x"));
    mirror!(
        s,
        a,
        await,
        write_atomic_with("p", "x", WriteOptions::new())
    );
    mirror!(s, a, await, delete("p"));
    mirror!(s, a, await, delete_with("p", DeleteOptions::new()));
    mirror!(s, a, await, delete_folder("p"));
    mirror!(
        s,
        a,
        await,
        delete_folder_with("p", DeleteFolderOptions::new())
    );
    mirror!(s, a, now, list_files("p"));
    mirror!(s, a, now, list_files_with("p", ListOptions::new()));
    mirror!(s, a, now, list_folders("p"));
    mirror!(s, a, now, iter_children("p"));
    mirror!(s, a, now, glob("*.csv"));
    mirror!(s, a, await, get_file_info("p"));
    mirror!(s, a, await, get_folder_info("p"));
    mirror!(s, a, await, head("p"));
    mirror!(s, a, await, move_file("p", "q"));
    mirror!(s, a, await, move_file_with("p", "q", MoveOptions::new()));
    mirror!(s, a, await, copy_file("p", "q"));
    mirror!(s, a, await, copy_file_with("p", "q", CopyOptions::new()));
    mirror!(s, a, await, ping());
    mirror!(s, a, now, to_key("/abs/p"));
    mirror!(s, a, now, native_path("p"));
    mirror!(s, a, now, child("sub"));
    mirror!(s, a, now, native::<String>());
    mirror!(s, a, await, close());
    // The allow-list: these exist on one half only, on purpose.
    let _ = s.read_seekable("p");
    let _ = AsyncStore::from_blocking(remote_store_memory::MemoryBackend::new(), "");
}

/// Every backend-trait operation, once, through trait objects (which also proves both
/// traits stay object-safe). Sync-only: `read_seekable`.
fn backends(s: &dyn Backend, a: &dyn AsyncBackend, k: &RemotePath, g: &GlobPattern) {
    mirror!(s, a, now, name());
    mirror!(s, a, now, capabilities());
    mirror!(s, a, now, is_closed());
    mirror!(s, a, await, exists(k));
    mirror!(s, a, await, is_file(k));
    mirror!(s, a, await, is_folder(k));
    mirror!(s, a, await, read(k));
    mirror!(s, a, await, read_bytes(k));
    mirror!(s, a, await, read_range(k, 0..1));
    mirror!(s, a, await, read_with(k, &ReadOptions::new()));
    same(
        twin(output(&a.write(
            k,
            AsyncContent::from("x"),
            WriteMode::Direct,
            &WriteOptions::new(),
        ))),
        value(&s.write(
            k,
            Content::from("x"),
            WriteMode::Direct,
            &WriteOptions::new(),
        )),
    );
    mirror!(s, a, await, delete(k, &DeleteOptions::new()));
    mirror!(s, a, await, delete_folder(k, &DeleteFolderOptions::new()));
    mirror!(s, a, now, list_files(k, &ListOptions::new()));
    mirror!(s, a, now, list_folders(k));
    mirror!(s, a, now, iter_children(k));
    mirror!(s, a, now, glob(g));
    mirror!(s, a, await, get_file_info(k));
    mirror!(s, a, await, get_folder_info(k));
    mirror!(s, a, await, copy_file(k, k, &CopyOptions::new()));
    mirror!(s, a, await, move_file(k, k, &MoveOptions::new()));
    mirror!(s, a, await, ping());
    mirror!(s, a, now, native_path(k));
    mirror!(s, a, now, to_key("p"));
    let (sc, ac) = (s.native_client().is_some(), a.native_client().is_some());
    same(value(&sc), value(&ac));
    mirror!(s, a, await, close());
    // The allow-list.
    let _ = s.read_seekable(k);
}

#[test]
fn both_halves_type_check_against_one_operation_table() {
    // The tables above are checked by the compiler; referencing them keeps them built.
    let _ = stores as fn(&Store, &AsyncStore, Range<u64>);
    let _ = backends as fn(&dyn Backend, &dyn AsyncBackend, &RemotePath, &GlobPattern);
}
