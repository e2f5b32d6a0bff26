//! What the transfer tests share: a 300-file tree on disk, a byte-for-byte tree comparison
//! and a progress observer that counts what it is told.
#![allow(dead_code, unreachable_pub)]

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

use remote_store_transfer::{FileOutcome, Progress, Snapshot};

/// Files in the test tree.
pub const TREE_FILES: usize = 300;
/// The big file's size.
pub const BIG: usize = 20 << 20;

/// `n` bytes of a pattern that differs per `seed`.
pub fn pattern(n: usize, seed: u32) -> Vec<u8> {
    (0..n)
        .map(|i| ((i as u32).wrapping_mul(31).wrapping_add(seed) % 251) as u8)
        .collect()
}

/// The tree's files by relative path: nested folders up to four deep, unicode names, one
/// empty file and one 20 MiB file; 300 files in all.
pub fn tree_contents() -> BTreeMap<String, Vec<u8>> {
    let mut files = BTreeMap::new();
    files.insert("empty.txt".to_owned(), Vec::new());
    files.insert("big/twenty-mib.bin".to_owned(), pattern(BIG, 7));
    files.insert(
        "données/été/résumé.txt".to_owned(),
        b"caf\xc3\xa9\n".to_vec(),
    );
    files.insert("日本語/ファイル.bin".to_owned(), pattern(4096, 3));
    files.insert("emoji 😀/smile ☺.txt".to_owned(), b"smile".to_vec());
    let mut i = 0u32;
    while files.len() < TREE_FILES {
        let path = format!(
            "d{}/s{}/{}f{i:03}.dat",
            i % 7,
            i % 3,
            if i.is_multiple_of(5) { "deep/er/" } else { "" }
        );
        files.insert(path, pattern((i as usize * 37) % 5000 + 1, i));
        i += 1;
    }
    files
}

/// Writes [`tree_contents`] under `root` and returns it.
pub fn write_tree(root: &Path) -> BTreeMap<String, Vec<u8>> {
    let files = tree_contents();
    for (rel, data) in &files {
        let path = root.join(rel);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, data).unwrap();
    }
    files
}

/// Every file under `root` by `/`-separated relative path.
pub fn read_tree(root: &Path) -> BTreeMap<String, Vec<u8>> {
    fn walk(dir: &Path, rel: &str, out: &mut BTreeMap<String, Vec<u8>>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let entry = entry.unwrap();
            let name = entry.file_name().into_string().unwrap();
            let child = if rel.is_empty() {
                name.clone()
            } else {
                format!("{rel}/{name}")
            };
            if entry.file_type().unwrap().is_dir() {
                walk(&entry.path(), &child, out);
            } else {
                out.insert(child, std::fs::read(entry.path()).unwrap());
            }
        }
    }
    let mut out = BTreeMap::new();
    walk(root, "", &mut out);
    out
}

/// Asserts two trees hold the same files with the same bytes (without printing 20 MiB).
pub fn assert_same_tree(expected: &BTreeMap<String, Vec<u8>>, actual: &BTreeMap<String, Vec<u8>>) {
    let missing: Vec<_> = expected
        .keys()
        .filter(|k| !actual.contains_key(*k))
        .collect();
    let extra: Vec<_> = actual
        .keys()
        .filter(|k| !expected.contains_key(*k))
        .collect();
    assert!(
        missing.is_empty() && extra.is_empty(),
        "missing {missing:?}, extra {extra:?}"
    );
    for (k, v) in expected {
        let a = &actual[k];
        assert!(
            a == v,
            "{k}: {} bytes expected, {} found, contents differ",
            v.len(),
            a.len()
        );
    }
}

/// The total size of a tree.
pub fn total_bytes(files: &BTreeMap<String, Vec<u8>>) -> u64 {
    files.values().map(|v| v.len() as u64).sum()
}

/// Names of reserved temp files (`.~tmp.*`) anywhere under `root`.
pub fn temp_files(root: &Path) -> Vec<String> {
    let mut out = Vec::new();
    if !root.exists() {
        return out;
    }
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let entry = entry.unwrap();
            let name = entry.file_name().to_string_lossy().into_owned();
            if name.starts_with(".~tmp.") {
                out.push(entry.path().display().to_string());
            }
            if entry.file_type().unwrap().is_dir() {
                stack.push(entry.path());
            }
        }
    }
    out
}

/// A [`Progress`] observer that counts every call.
#[derive(Debug, Default)]
pub struct Counting {
    pub started: AtomicU64,
    pub files_started: AtomicU64,
    pub copied: AtomicU64,
    pub skipped: AtomicU64,
    pub failed: AtomicU64,
    pub bytes: AtomicU64,
    pub finished: AtomicU64,
    pub first: Mutex<Option<Snapshot>>,
    pub last: Mutex<Option<Snapshot>>,
}

impl Progress for Counting {
    fn started(&self, totals: Snapshot) {
        self.started.fetch_add(1, Ordering::SeqCst);
        *self.first.lock().unwrap() = Some(totals);
    }
    fn file_started(&self, _file: &str, _size: u64) {
        self.files_started.fetch_add(1, Ordering::SeqCst);
    }
    fn bytes(&self, _file: &str, n: u64, _now: Snapshot) {
        self.bytes.fetch_add(n, Ordering::SeqCst);
    }
    fn file_finished(&self, _file: &str, outcome: FileOutcome<'_>, _now: Snapshot) {
        let counter = match outcome {
            FileOutcome::Copied => &self.copied,
            FileOutcome::Skipped => &self.skipped,
            _ => &self.failed,
        };
        counter.fetch_add(1, Ordering::SeqCst);
    }
    fn finished(&self, totals: Snapshot) {
        self.finished.fetch_add(1, Ordering::SeqCst);
        *self.last.lock().unwrap() = Some(totals);
    }
}

impl Counting {
    /// Asserts the observer saw one whole transfer of `files` files and `bytes` bytes, all
    /// copied.
    pub fn assert_complete(&self, files: u64, bytes: u64) {
        let get = |a: &AtomicU64| a.load(Ordering::SeqCst);
        assert_eq!(get(&self.started), 1);
        assert_eq!(get(&self.finished), 1);
        assert_eq!(get(&self.files_started), files);
        assert_eq!(get(&self.copied), files);
        assert_eq!(get(&self.failed), 0);
        assert_eq!(get(&self.bytes), bytes);
        let first = self.first.lock().unwrap().unwrap();
        assert_eq!((first.files_total, first.bytes_total), (files, bytes));
        assert_eq!((first.files_done, first.bytes_done), (0, 0));
        let last = self.last.lock().unwrap().unwrap();
        assert_eq!((last.files_done, last.files_total), (files, files));
        assert_eq!((last.bytes_done, last.bytes_total), (bytes, bytes));
        assert!(last.throughput() > 0.0, "throughput {}", last.throughput());
    }
}

use std::io::Read;
use std::time::Duration;

use remote_store_core::{
    CapabilitySet, CopyOptions, DeleteFolderOptions, DeleteOptions, FileInfo, ListOptions,
    MoveOptions, RemotePath, Result, WriteMode, WriteOptions, WriteResult,
};
use remote_store_sync::{Backend, Content, EntryIter, FileIter, FolderIter, Reader};

/// A blocking backend wrapper whose reads and writes move at most 64 KiB per millisecond
/// and whose deletes take 10 ms.
/// Behind `AsyncStore::from_blocking`, a transfer through it really waits (its futures
/// return `Pending`), so a test can drop one half-way; without it a fast local disk can
/// finish 20 MiB inside a single poll.
#[derive(Debug)]
pub struct Slow<B>(pub B);

/// Reads at most 64 KiB per call and sleeps 1 ms before each.
struct Trickle<R>(R);

impl<R: Read> Read for Trickle<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        std::thread::sleep(Duration::from_millis(1));
        let n = buf.len().min(64 * 1024);
        self.0.read(&mut buf[..n])
    }
}

impl<B: Backend> Backend for Slow<B> {
    fn name(&self) -> &'static str {
        self.0.name()
    }
    fn capabilities(&self) -> CapabilitySet {
        self.0.capabilities()
    }
    fn exists(&self, path: &RemotePath) -> Result<bool> {
        self.0.exists(path)
    }
    fn is_file(&self, path: &RemotePath) -> Result<bool> {
        self.0.is_file(path)
    }
    fn is_folder(&self, path: &RemotePath) -> Result<bool> {
        self.0.is_folder(path)
    }
    fn read(&self, path: &RemotePath) -> Result<Reader> {
        Ok(Box::new(Trickle(self.0.read(path)?)))
    }
    fn write(
        &self,
        path: &RemotePath,
        content: Content<'_>,
        mode: WriteMode,
        opts: &WriteOptions,
    ) -> Result<WriteResult> {
        let slow = Content::reader(Trickle(content.into_reader()));
        self.0.write(path, slow, mode, opts)
    }
    fn delete(&self, path: &RemotePath, opts: &DeleteOptions) -> Result<()> {
        std::thread::sleep(Duration::from_millis(10));
        self.0.delete(path, opts)
    }
    fn delete_folder(&self, path: &RemotePath, opts: &DeleteFolderOptions) -> Result<()> {
        self.0.delete_folder(path, opts)
    }
    fn list_files(&self, path: &RemotePath, opts: &ListOptions) -> FileIter {
        self.0.list_files(path, opts)
    }
    fn list_folders(&self, path: &RemotePath) -> FolderIter {
        self.0.list_folders(path)
    }
    fn iter_children(&self, path: &RemotePath) -> EntryIter {
        self.0.iter_children(path)
    }
    fn get_file_info(&self, path: &RemotePath) -> Result<FileInfo> {
        self.0.get_file_info(path)
    }
    fn copy_file(&self, src: &RemotePath, dst: &RemotePath, opts: &CopyOptions) -> Result<()> {
        self.0.copy_file(src, dst, opts)
    }
    fn move_file(&self, src: &RemotePath, dst: &RemotePath, opts: &MoveOptions) -> Result<()> {
        self.0.move_file(src, dst, opts)
    }
    fn native_path(&self, key: &RemotePath) -> Result<String> {
        self.0.native_path(key)
    }
}
