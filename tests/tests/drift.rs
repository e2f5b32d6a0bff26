//! Drift test: `Store` and `AsyncStore`, and `Backend` and `AsyncBackend`, offer the same
//! operations with the same parameters and matching results, apart from an explicit
//! allow-list. The compiler checks it: each operation is declared once below, with the
//! arguments it is called with, and the macro calls it on both halves with the same argument
//! expressions and requires the two results to be twins (`ByteStream` for `Reader`, ...).
//! Adding a parameter, changing an option type or a result on one half only stops this file
//! from compiling. Nothing here runs I/O: the functions only have to type-check.
//!
//! New operations are added to the table with the method (the second test fails when a public
//! method of either store or backend trait is missing from the tables); the conformance suite's `cases!`
//! macro, which runs every case body over both stores, catches an operation that a case
//! uses on one half only.

#![allow(dead_code, unused_must_use, clippy::let_underscore_future)]

use std::future::Future;
use std::marker::PhantomData;
use std::ops::Range;

use bytes::Bytes;
use remote_store_async::{
    AsyncBackend, AsyncContent, AsyncSeekReader, AsyncStore, AsyncWriter, ByteStream, EntryStream,
    FileStream, FolderStream,
};
use remote_store_core::{
    CapabilitySet, CopyOptions, DeleteFolderOptions, DeleteOptions, FileInfo, FolderInfo,
    GlobPattern, ListOptions, MoveOptions, ObjectVersion, ReadOptions, RemotePath, Result,
    WriteMode, WriteOptions, WriteResult,
};
use remote_store_sync::{
    Backend, Content, EntryIter, FileIter, FolderIter, Reader, SeekReader, Store, Writer,
};

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
    RemotePath,
    ObjectVersion
);

impl Twin for AsyncStore {
    type Sync = Store;
}
impl Twin for ByteStream {
    type Sync = Reader;
}
impl Twin for AsyncSeekReader {
    type Sync = SeekReader;
}
impl Twin for AsyncWriter {
    type Sync = Writer;
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
impl<A: Twin, B: Twin> Twin for (A, B) {
    type Sync = (A::Sync, B::Sync);
}
impl<T: Twin> Twin for Option<T> {
    type Sync = Option<T::Sync>;
}
impl<T: Twin> Twin for Vec<T> {
    type Sync = Vec<T::Sync>;
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

/// Every store operation, once. Async-only: `from_blocking` (wraps a sync backend); `close`
/// is async on one side.
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
    mirror!(s, a, await, read_seekable("p"));
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
    mirror!(s, a, now, writer("p"));
    mirror!(s, a, now, writer_with("p", WriteOptions::new()));
    mirror!(s, a, now, atomic_writer("p"));
    mirror!(s, a, now, atomic_writer_with("p", WriteOptions::new()));
    mirror!(s, a, await, delete("p"));
    mirror!(s, a, await, delete_with("p", DeleteOptions::new()));
    mirror!(s, a, await, delete_many(["p", "q"], DeleteOptions::new()));
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
    mirror!(s, a, await, read_versioned(k, None));
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
    mirror!(
        s,
        a,
        await,
        delete_many(std::slice::from_ref(k), &DeleteOptions::new())
    );
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

/// The writers: `finish` gives the same result in both halves, `abort` nothing.
fn writers(w: Writer, aw: AsyncWriter, w2: Writer, aw2: AsyncWriter) {
    same(twin(output(&aw.finish())), value(&w.finish()));
    same(twin(output(&aw2.abort())), value(&w2.abort()));
}

#[test]
fn both_halves_type_check_against_one_operation_table() {
    // The tables above are checked by the compiler; referencing them keeps them built.
    let _ = stores as fn(&Store, &AsyncStore, Range<u64>);
    let _ = writers as fn(Writer, AsyncWriter, Writer, AsyncWriter);
    let _ = backends as fn(&dyn Backend, &dyn AsyncBackend, &RemotePath, &GlobPattern);
}

/// The names of the public methods in the `impl $type {` blocks (or, for a trait, the
/// methods of `pub trait $type`) of every source file under `dir`.
fn public_methods(dir: &str, header: &str, method_prefix: &str) -> Vec<String> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(dir);
    let mut names = Vec::new();
    for entry in std::fs::read_dir(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())) {
        let path = entry.expect("a directory entry").path();
        if path.extension().is_none_or(|e| e != "rs") {
            continue;
        }
        let text = std::fs::read_to_string(&path).expect("a readable source file");
        let mut depth: Option<i64> = None;
        for line in text.lines() {
            match depth {
                None if line.starts_with(header) => depth = Some(0),
                None => continue,
                Some(_) => {}
            }
            let Some(d) = depth.as_mut() else { continue };
            // Methods sit one level inside the block.
            if *d == 1
                && let Some(rest) = line
                    .trim_start()
                    .replace("async fn ", "fn ")
                    .strip_prefix(method_prefix)
                    .map(str::to_owned)
            {
                let name: String = rest
                    .chars()
                    .take_while(|c| c.is_alphanumeric() || *c == '_')
                    .collect();
                names.push(name);
            }
            *d += line.matches('{').count() as i64 - line.matches('}').count() as i64;
            if *d == 0 && line.contains('}') {
                depth = None;
            }
        }
    }
    names.sort();
    names.dedup();
    names
}

/// Every identifier in the two operation tables (`stores` and `backends`, allow-lists
/// included), which is enough to tell whether an operation is listed at all.
fn listed_in_this_file() -> Vec<String> {
    let text = include_str!("drift.rs");
    let tables = &text[text.find("fn stores(").expect("the stores table")
        ..text.find("#[test]").expect("the first test")];
    tables
        .split(|c: char| !(c.is_alphanumeric() || c == '_'))
        .filter(|word| !word.is_empty())
        .map(str::to_owned)
        .collect()
}

/// The operation tables above are complete: every public method of both stores and every
/// method of both backend traits appears in them (or in the constructor list here), so a
/// method added to one half and forgotten in the table fails this test instead of drifting.
#[test]
fn the_operation_tables_list_every_public_method() {
    let listed = listed_in_this_file();
    // Constructors differ by design (`new` takes the half's own backend trait).
    let constructors = ["new", "from_arc", "from_blocking"];
    let sources = [
        ("../crates/store-sync/src", "impl Store {", "pub fn "),
        ("../crates/store-async/src", "impl AsyncStore {", "pub fn "),
        ("../crates/store-sync/src", "pub trait Backend:", "fn "),
        (
            "../crates/store-async/src",
            "pub trait AsyncBackend:",
            "fn ",
        ),
    ];
    let mut missing = Vec::new();
    for (dir, header, prefix) in sources {
        let methods = public_methods(dir, header, prefix);
        assert!(
            methods.len() > 10,
            "found only {methods:?} under `{header}` in {dir}: the scan no longer matches the source"
        );
        for m in methods {
            if !constructors.contains(&m.as_str()) && !listed.contains(&m) {
                missing.push(format!("{header} … {m}"));
            }
        }
    }
    assert!(
        missing.is_empty(),
        "methods missing from the drift tables in tests/tests/drift.rs (add each to `stores` or \
         `backends`, or to the allow-list there if it exists on one half only): {missing:?}"
    );
}
