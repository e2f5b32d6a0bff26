//! Issue 13: big downloads go in ranged parts, pinned to one version of the object, in both
//! halves. Over a memory store behind a recording wrapper: a 20 MiB file in 1 MiB parts
//! arrives byte-identical with every byte counted by the progress observer, each part read
//! `if_match` the etag; an object replaced after the first part is opened fails the file
//! with the changed-object error and leaves no target and no temp file (an existing target
//! stays intact); verified downloads, in-place (`atomic(false)`) downloads and stores
//! without `conditional_read` keep the single stream, and an in-place download cut midway
//! never leaves a target a `SkipIfSame` rerun takes for the object.
#![cfg(feature = "memory")]

mod layers_support;
mod transfer_support;

use std::ops::Range;
use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bytes::Bytes;
use layers_support::{Flaky, cut_after, fast_policy, set};
use remote_store_async::AsyncStore;
use remote_store_core::{
    Capability, CapabilitySet, CopyOptions, DeleteFolderOptions, DeleteOptions, ErrorKind,
    FileInfo, ListOptions, MoveOptions, ReadOptions, RemotePath, Result, WriteMode, WriteOptions,
    WriteResult,
};
use remote_store_layers::Retry;
use remote_store_memory::MemoryBackend;
use remote_store_sync::{Backend, Content, EntryIter, FileIter, FolderIter, Reader, Store};
use remote_store_transfer::{
    ChecksumAlgorithm, FileStatus, IfExists, TransferOptions, TransferReport, aio, sync,
};
use sha2::{Digest, Sha256};
use transfer_support::{BIG, Counting, pattern, temp_files};

/// The object's size: 20 MiB and a few bytes, so the last 1 MiB part is short.
const SIZE: usize = BIG + 12_345;
/// The part size of these tests: 21 parts.
const PART: u64 = 1 << 20;

/// What the wrapper saw: ranged reads with `if_match` (the parts) and whole reads.
#[derive(Debug, Default)]
struct Seen {
    parts: Mutex<Vec<Range<u64>>>,
    whole_reads: AtomicU64,
    swaps: AtomicU64,
}

/// A memory backend that records reads and, when a swap is armed (`swap`), replaces
/// `big.bin` with `other` (bytes of the same size) right after the first part (the range at
/// offset 0) is opened, which disarms it. While `cut` is set, every body it returns fails
/// with a connection reset after [`CUT_AFTER`] bytes. With `conditional` off it does not
/// declare `conditional_read`.
#[derive(Debug, Clone)]
struct Recording {
    inner: MemoryBackend,
    seen: Arc<Seen>,
    swap: Arc<AtomicBool>,
    cut: Arc<AtomicBool>,
    other: Bytes,
    conditional: bool,
}

impl Backend for Recording {
    fn name(&self) -> &'static str {
        "recording"
    }
    fn capabilities(&self) -> CapabilitySet {
        let caps = self.inner.capabilities();
        if self.conditional {
            caps
        } else {
            caps.without(Capability::ConditionalRead)
        }
    }
    fn exists(&self, path: &RemotePath) -> Result<bool> {
        self.inner.exists(path)
    }
    fn is_file(&self, path: &RemotePath) -> Result<bool> {
        self.inner.is_file(path)
    }
    fn is_folder(&self, path: &RemotePath) -> Result<bool> {
        self.inner.is_folder(path)
    }
    fn read(&self, path: &RemotePath) -> Result<Reader> {
        self.seen.whole_reads.fetch_add(1, Ordering::SeqCst);
        Ok(self.maybe_cut(self.inner.read(path)?))
    }
    fn read_range(&self, path: &RemotePath, range: Range<u64>) -> Result<Reader> {
        self.inner.read_range(path, range)
    }
    fn read_with(&self, path: &RemotePath, opts: &ReadOptions) -> Result<Reader> {
        let part = opts.range.clone().filter(|_| opts.if_match.is_some());
        if part.as_ref().is_some_and(|r| r.start > 0) {
            // While a swap is armed the other parts wait for the first one to do it (the
            // transfer starts the first part first), so they all see the new version.
            let deadline = Instant::now() + Duration::from_secs(10);
            while self.swap.load(Ordering::SeqCst) && Instant::now() < deadline {
                std::thread::sleep(Duration::from_millis(1));
            }
        }
        let body = self.maybe_cut(self.inner.read_with(path, opts)?);
        if let Some(range) = part {
            self.seen.parts.lock().unwrap().push(range.clone());
            if range.start == 0 && self.swap.load(Ordering::SeqCst) {
                self.inner.write(
                    path,
                    Content::from(self.other.clone()),
                    WriteMode::Atomic,
                    &WriteOptions::new().overwrite(true),
                )?;
                self.seen.swaps.fetch_add(1, Ordering::SeqCst);
                self.swap.store(false, Ordering::SeqCst);
            }
        }
        Ok(body)
    }
    fn write(
        &self,
        path: &RemotePath,
        content: Content<'_>,
        mode: WriteMode,
        opts: &WriteOptions,
    ) -> Result<WriteResult> {
        self.inner.write(path, content, mode, opts)
    }
    fn delete(&self, path: &RemotePath, opts: &DeleteOptions) -> Result<()> {
        self.inner.delete(path, opts)
    }
    fn delete_folder(&self, path: &RemotePath, opts: &DeleteFolderOptions) -> Result<()> {
        self.inner.delete_folder(path, opts)
    }
    fn list_files(&self, path: &RemotePath, opts: &ListOptions) -> FileIter {
        self.inner.list_files(path, opts)
    }
    fn list_folders(&self, path: &RemotePath) -> FolderIter {
        self.inner.list_folders(path)
    }
    fn iter_children(&self, path: &RemotePath) -> EntryIter {
        self.inner.iter_children(path)
    }
    fn get_file_info(&self, path: &RemotePath) -> Result<FileInfo> {
        self.inner.get_file_info(path)
    }
    fn copy_file(&self, src: &RemotePath, dst: &RemotePath, opts: &CopyOptions) -> Result<()> {
        self.inner.copy_file(src, dst, opts)
    }
    fn move_file(&self, src: &RemotePath, dst: &RemotePath, opts: &MoveOptions) -> Result<()> {
        self.inner.move_file(src, dst, opts)
    }
    fn native_path(&self, key: &RemotePath) -> Result<String> {
        self.inner.native_path(key)
    }
}

/// Where a cut body fails: after 384 KiB (within any part of a ranged download).
const CUT_AFTER: u64 = 3 << 17;

impl Recording {
    /// `body`, cut after [`CUT_AFTER`] bytes while `cut` is set.
    fn maybe_cut(&self, body: Reader) -> Reader {
        if self.cut.load(Ordering::SeqCst) {
            cut_after(body, CUT_AFTER)
        } else {
            body
        }
    }
}

/// A recording memory backend holding `big.bin` (pattern seed 7), its observations and its
/// swap switch.
fn recording(conditional: bool) -> (Recording, Arc<Seen>, Arc<AtomicBool>, Vec<u8>) {
    let data = pattern(SIZE, 7);
    let inner = MemoryBackend::new();
    inner
        .write(
            &RemotePath::new("big.bin").unwrap(),
            Content::from(Bytes::from(data.clone())),
            WriteMode::Atomic,
            &WriteOptions::new(),
        )
        .unwrap();
    let (seen, swap) = (Arc::new(Seen::default()), Arc::new(AtomicBool::new(false)));
    let backend = Recording {
        inner,
        seen: seen.clone(),
        swap: swap.clone(),
        cut: Arc::new(AtomicBool::new(false)),
        other: Bytes::from(pattern(SIZE, 99)),
        conditional,
    };
    (backend, seen, swap, data)
}

fn sha(data: &[u8]) -> Vec<u8> {
    Sha256::digest(data).to_vec()
}

fn parted() -> TransferOptions {
    TransferOptions::new().part_size(PART)
}

/// The parts a ranged download of `SIZE` bytes reads: every 1 MiB range, once.
fn assert_all_parts(seen: &Seen) {
    let mut parts = seen.parts.lock().unwrap().clone();
    parts.sort_by_key(|r| r.start);
    let expected: Vec<Range<u64>> = (0..SIZE as u64)
        .step_by(PART as usize)
        .map(|s| s..(s + PART).min(SIZE as u64))
        .collect();
    assert_eq!(parts.len(), 21);
    assert_eq!(parts, expected);
    assert_eq!(seen.whole_reads.load(Ordering::SeqCst), 0, "no whole read");
}

fn assert_copied(report: &TransferReport, bytes: u64) {
    assert!(
        report.is_success(),
        "{:?}",
        report.failed().collect::<Vec<_>>()
    );
    match &report.files[0].status {
        FileStatus::Copied { bytes: n, .. } => assert_eq!(*n, bytes),
        other => panic!("not copied: {other:?}"),
    }
    assert_eq!(report.totals.bytes_done, bytes);
}

/// The changed-object failure: the source named, the cause said, nothing left behind.
fn assert_changed(report: &TransferReport, dir: &Path) {
    let failed: Vec<_> = report.failed().collect();
    assert_eq!(failed.len(), 1, "{:?}", report.files);
    let (file, e) = failed[0];
    assert_eq!(file.source, "big.bin");
    assert_eq!(e.kind(), ErrorKind::PreconditionFailed, "{e}");
    assert_eq!(e.path(), Some("big.bin"), "{e}");
    assert!(
        e.to_string()
            .contains("the object changed during the download"),
        "{e}"
    );
    assert!(temp_files(dir).is_empty(), "{:?}", temp_files(dir));
}

/// Which half runs a download.
#[derive(Debug, Clone, Copy)]
enum Half {
    Sync,
    Async,
}

/// Downloads `big.bin` from a store over `backend` to `target` with `opts`, in `half` (the
/// async half behind `AsyncStore::from_blocking`, on a two-worker runtime).
fn download(
    half: Half,
    backend: &Recording,
    target: &Path,
    opts: &TransferOptions,
) -> TransferReport {
    match half {
        Half::Sync => {
            let store = Store::new(backend.clone(), "").unwrap();
            sync::download_with(&store, "big.bin", target, opts).unwrap()
        }
        Half::Async => {
            let store = AsyncStore::from_blocking(backend.clone(), "").unwrap();
            tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()
                .unwrap()
                .block_on(aio::download_with(&store, "big.bin", target, opts))
                .unwrap()
        }
    }
}

/// A 20 MiB file in 21 parts arrives byte-identical, every byte counted, no temp file left.
fn big_file_downloads_in_parts_byte_identical(half: Half) {
    let (backend, seen, _, data) = recording(true);
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("nested/big.bin");
    let progress = Arc::new(Counting::default());
    let opts = parted().progress_arc(progress.clone());
    let report = download(half, &backend, &target, &opts);
    assert_copied(&report, SIZE as u64);
    assert_eq!(sha(&std::fs::read(&target).unwrap()), sha(&data));
    progress.assert_complete(1, SIZE as u64);
    assert_all_parts(&seen);
    assert!(temp_files(dir.path()).is_empty());
}

/// Written in place (not atomic) over a longer file, a big file streams whole and the
/// target ends at the object's size.
fn in_place_download_streams_whole_over_a_longer_file(half: Half) {
    let (backend, seen, _, data) = recording(true);
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("big.bin");
    std::fs::write(&target, vec![1u8; SIZE + (3 << 20)]).unwrap();
    let opts = parted().atomic(false).if_exists(IfExists::Overwrite);
    let report = download(half, &backend, &target, &opts);
    assert_copied(&report, SIZE as u64);
    let got = std::fs::read(&target).unwrap();
    assert_eq!(got.len(), SIZE);
    assert_eq!(sha(&got), sha(&data));
    assert!(seen.parts.lock().unwrap().is_empty(), "no ranged part");
    assert_eq!(seen.whole_reads.load(Ordering::SeqCst), 1);
}

/// An in-place download cut midway leaves a target shorter than the object, never one of
/// its size with gaps: a rerun with `SkipIfSame` (which compares sizes) downloads it again
/// and ends with the object's bytes.
fn cut_in_place_download_is_not_skipped_as_same(half: Half) {
    let (backend, _, _, data) = recording(true);
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("big.bin");
    std::fs::write(&target, b"an older, shorter file").unwrap();
    backend.cut.store(true, Ordering::SeqCst);
    let opts = parted().atomic(false).if_exists(IfExists::Overwrite);
    let report = download(half, &backend, &target, &opts);
    assert_eq!(report.failed().count(), 1, "{:?}", report.files);
    let left = std::fs::metadata(&target).unwrap().len();
    assert!(left < SIZE as u64, "a cut download left {left} bytes");
    backend.cut.store(false, Ordering::SeqCst);
    let again = parted().atomic(false).if_exists(IfExists::SkipIfSame);
    let report = download(half, &backend, &target, &again);
    assert_copied(&report, SIZE as u64);
    assert_eq!(sha(&std::fs::read(&target).unwrap()), sha(&data));
}

/// The object is replaced once the first part is open: a new target never appears, an
/// existing one keeps its bytes, no temp file is left.
fn object_replaced_mid_download_fails_and_leaves_nothing(half: Half) {
    let (backend, seen, swap, _) = recording(true);
    let dir = tempfile::tempdir().unwrap();

    swap.store(true, Ordering::SeqCst);
    let fresh = dir.path().join("fresh.bin");
    let report = download(half, &backend, &fresh, &parted());
    assert_changed(&report, dir.path());
    assert!(!fresh.exists());

    let kept = dir.path().join("kept.bin");
    std::fs::write(&kept, b"the old file").unwrap();
    swap.store(true, Ordering::SeqCst);
    let opts = parted().if_exists(IfExists::Overwrite);
    let report = download(half, &backend, &kept, &opts);
    assert_changed(&report, dir.path());
    assert_eq!(std::fs::read(&kept).unwrap(), b"the old file");
    assert_eq!(seen.swaps.load(Ordering::SeqCst), 2);
    assert_eq!(seen.whole_reads.load(Ordering::SeqCst), 0);
}

/// With `verify`, or on a store without `conditional_read`, the file streams whole.
fn verified_and_unconditional_downloads_stream_whole(half: Half) {
    for (conditional, verify) in [(true, true), (false, false)] {
        let (backend, seen, _, data) = recording(conditional);
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("big.bin");
        let opts = if verify {
            parted().verify(ChecksumAlgorithm::Sha256)
        } else {
            parted()
        };
        let report = download(half, &backend, &target, &opts);
        assert_copied(&report, SIZE as u64);
        assert_eq!(sha(&std::fs::read(&target).unwrap()), sha(&data));
        assert!(seen.parts.lock().unwrap().is_empty(), "no ranged part");
        assert_eq!(seen.whole_reads.load(Ordering::SeqCst), 1);
        if verify {
            let FileStatus::Copied { digest, .. } = &report.files[0].status else {
                unreachable!()
            };
            assert!(digest.is_some(), "a verified copy reports its digest");
        }
    }
}

/// Behind `Retry`, parts cut mid-body resume with the same `if_match` (the retry layer's
/// pinned reads) and the big file still arrives byte-identical.
fn cut_parts_resume_behind_retry(half: Half) {
    let flaky = Flaky::new();
    let data = transfer_support::pattern(SIZE, 3);
    let store = Store::new(Retry::new(flaky.clone(), fast_policy(4)), "").unwrap();
    store.write("big.bin", Bytes::from(data.clone())).unwrap();
    flaky.faults.cut_after.store(300_000, Ordering::SeqCst);
    set(&flaky.faults.cut_reads, 3);
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("big.bin");
    let report = match half {
        Half::Sync => sync::download_with(&store, "big.bin", &target, &parted()).unwrap(),
        Half::Async => {
            let store = AsyncStore::new(
                Retry::new(
                    remote_store_async::SyncBackendAdapter::new(flaky.clone()),
                    fast_policy(4),
                ),
                "",
            )
            .unwrap();
            tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()
                .unwrap()
                .block_on(aio::download_with(&store, "big.bin", &target, &parted()))
                .unwrap()
        }
    };
    assert_copied(&report, SIZE as u64);
    assert_eq!(sha(&std::fs::read(&target).unwrap()), sha(&data));
    assert_eq!(
        flaky.faults.cut_reads.load(Ordering::SeqCst),
        0,
        "the three cuts happened"
    );
}

#[test]
fn sync_cut_parts_resume_behind_retry() {
    cut_parts_resume_behind_retry(Half::Sync);
}

#[test]
fn async_cut_parts_resume_behind_retry() {
    cut_parts_resume_behind_retry(Half::Async);
}

#[test]
fn sync_big_file_downloads_in_parts_byte_identical() {
    big_file_downloads_in_parts_byte_identical(Half::Sync);
}

#[test]
fn async_big_file_downloads_in_parts_byte_identical() {
    big_file_downloads_in_parts_byte_identical(Half::Async);
}

#[test]
fn sync_in_place_download_streams_whole_over_a_longer_file() {
    in_place_download_streams_whole_over_a_longer_file(Half::Sync);
}

#[test]
fn async_in_place_download_streams_whole_over_a_longer_file() {
    in_place_download_streams_whole_over_a_longer_file(Half::Async);
}

#[test]
fn sync_cut_in_place_download_is_not_skipped_as_same() {
    cut_in_place_download_is_not_skipped_as_same(Half::Sync);
}

#[test]
fn async_cut_in_place_download_is_not_skipped_as_same() {
    cut_in_place_download_is_not_skipped_as_same(Half::Async);
}

#[test]
fn sync_object_replaced_mid_download_fails_and_leaves_nothing() {
    object_replaced_mid_download_fails_and_leaves_nothing(Half::Sync);
}

#[test]
fn async_object_replaced_mid_download_fails_and_leaves_nothing() {
    object_replaced_mid_download_fails_and_leaves_nothing(Half::Async);
}

#[test]
fn sync_verified_and_unconditional_downloads_stream_whole() {
    verified_and_unconditional_downloads_stream_whole(Half::Sync);
}

#[test]
fn async_verified_and_unconditional_downloads_stream_whole() {
    verified_and_unconditional_downloads_stream_whole(Half::Async);
}
