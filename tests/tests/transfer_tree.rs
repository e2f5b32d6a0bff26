//! Issue 13: tree transfers on memory and local, in both halves. A 300-file tree (nested
//! folders, unicode names, an empty file, a 20 MiB file) is uploaded from a temp dir to a
//! local store, copied to a memory store, downloaded back and compared byte for byte; a
//! skip-if-same re-run copies nothing; a dry run changes nothing; progress totals match.
#![cfg(all(feature = "memory", feature = "local"))]

mod tamper_support;
mod transfer_support;

use std::sync::Arc;

use remote_store_async::AsyncStore;
use remote_store_core::{ErrorKind, RemotePath};
use remote_store_local::{AsyncLocalBackend, LocalBackend};
use remote_store_memory::{AsyncMemoryBackend, MemoryBackend};
use remote_store_sync::{Backend as _, Store};
use remote_store_transfer::{
    Action, ChecksumAlgorithm, FileStatus, IfExists, SkipReason, TransferOptions, aio, sync,
};
use tamper_support::{Tamper, Tampered};
use transfer_support::{
    Counting, TREE_FILES, assert_same_tree, read_tree, temp_files, total_bytes, write_tree,
};

fn local_store(dir: &std::path::Path) -> Store {
    Store::new(LocalBackend::new(dir).unwrap(), "").unwrap()
}

fn async_local_store(dir: &std::path::Path) -> AsyncStore {
    AsyncStore::new(AsyncLocalBackend::new(dir).unwrap(), "").unwrap()
}

#[test]
fn sync_tree_round_trip_local_memory_local() {
    let src = tempfile::tempdir().unwrap();
    let local_root = tempfile::tempdir().unwrap();
    let back = tempfile::tempdir().unwrap();
    let files = write_tree(src.path());
    let bytes = total_bytes(&files);
    let local = local_store(local_root.path());
    let memory = Store::new(MemoryBackend::new(), "").unwrap();

    let up = sync::upload(src.path(), &local, "up").unwrap();
    assert!(up.is_success(), "{:?}", up.failed().collect::<Vec<_>>());
    assert_eq!(up.copied().count(), TREE_FILES);
    assert_eq!(up.totals.bytes_done, bytes);

    let progress = Arc::new(Counting::default());
    let opts = TransferOptions::new()
        .files_in_flight(8)
        .progress_arc(progress.clone());
    let copy = sync::copy_between_with(&local, "up", &memory, "mirror/tree", &opts).unwrap();
    assert!(copy.is_success(), "{:?}", copy.failed().collect::<Vec<_>>());
    assert_eq!(copy.copied().count(), TREE_FILES);
    progress.assert_complete(TREE_FILES as u64, bytes);

    let down = sync::download(&memory, "mirror/tree", back.path().join("out")).unwrap();
    assert!(down.is_success(), "{:?}", down.failed().collect::<Vec<_>>());
    assert_same_tree(&files, &read_tree(&back.path().join("out")));
    assert!(temp_files(back.path()).is_empty());
    assert!(temp_files(local_root.path()).is_empty());

    // Skip-if-same: nothing changed, nothing moves, in every direction.
    let same = TransferOptions::new().if_exists(IfExists::SkipIfSame);
    let again = sync::copy_between_with(&local, "up", &memory, "mirror/tree", &same).unwrap();
    assert_eq!(again.copied().count(), 0);
    assert_eq!(again.skipped().count(), TREE_FILES);
    assert_eq!(again.totals.bytes_done, 0);
    let again = sync::upload_with(src.path(), &local, "up", &same).unwrap();
    assert_eq!(again.copied().count(), 0);
    let again =
        sync::download_with(&memory, "mirror/tree", back.path().join("out"), &same).unwrap();
    assert_eq!(again.copied().count(), 0);

    // One changed file (different size) is copied again, and only that one.
    std::fs::write(src.path().join("empty.txt"), "no longer empty").unwrap();
    let changed = sync::upload_with(src.path(), &local, "up", &same).unwrap();
    let copied: Vec<_> = changed.copied().map(|f| f.relative.clone()).collect();
    assert_eq!(copied, ["empty.txt"]);
    assert_eq!(local.read_text("up/empty.txt").unwrap(), "no longer empty");

    // The default policy refuses to replace, file by file, without moving a byte.
    let refused = sync::copy_between(&local, "up", &memory, "mirror/tree").unwrap();
    assert_eq!(refused.failed().count(), TREE_FILES);
    assert!(
        refused
            .failed()
            .all(|(f, e)| e.kind() == ErrorKind::AlreadyExists && f.action == Action::Conflict)
    );
    assert_eq!(refused.totals.bytes_done, 0);
}

#[test]
fn sync_dry_run_changes_nothing_and_returns_the_plan() {
    let src = tempfile::tempdir().unwrap();
    let files = write_tree(src.path());
    let memory = Store::new(MemoryBackend::new(), "").unwrap();
    memory.write("dst/empty.txt", "").unwrap();

    let opts = TransferOptions::new()
        .dry_run(true)
        .if_exists(IfExists::SkipIfSame);
    let plan = sync::upload_with(src.path(), &memory, "dst", &opts).unwrap();
    assert!(plan.dry_run);
    assert_eq!(plan.files.len(), TREE_FILES);
    let skipped: Vec<_> = plan.skipped().map(|f| f.destination.clone()).collect();
    assert_eq!(skipped, ["dst/empty.txt"]);
    assert!(
        plan.files
            .iter()
            .filter(|f| f.file.relative != "empty.txt")
            .all(|f| matches!(f.status, FileStatus::Planned) && f.file.action == Action::Create)
    );
    let big = plan
        .plan()
        .find(|f| f.relative == "big/twenty-mib.bin")
        .unwrap();
    assert_eq!(big.size, files["big/twenty-mib.bin"].len() as u64);
    assert_eq!(big.destination, "dst/big/twenty-mib.bin");
    assert_eq!(plan.totals.bytes_done, 0);
    assert_eq!(plan.totals.bytes_total, total_bytes(&files));
    // Nothing was written: the store still holds only the one file.
    assert_eq!(
        memory
            .list_files_with("", remote_store_core::ListOptions::subtree())
            .unwrap()
            .count(),
        1
    );

    let down = tempfile::tempdir().unwrap();
    let plan = sync::download_with(&memory, "dst", down.path().join("x"), &opts).unwrap();
    assert_eq!(plan.files.len(), 1);
    assert!(!down.path().join("x").exists());
}

#[test]
fn sync_single_files_and_verification() {
    let src = tempfile::tempdir().unwrap();
    let file = src.path().join("one.bin");
    std::fs::write(&file, transfer_support::pattern(300_000, 1)).unwrap();
    let memory = Store::new(MemoryBackend::new(), "").unwrap();
    let opts = TransferOptions::new().verify(ChecksumAlgorithm::Sha256);

    let up = sync::upload_with(&file, &memory, "a/one.bin", &opts).unwrap();
    assert_eq!(up.files.len(), 1);
    let FileStatus::Copied { bytes, digest } = &up.files[0].status else {
        panic!("{:?}", up.files[0].status)
    };
    assert_eq!(*bytes, 300_000);
    assert_eq!(digest.as_ref().unwrap().algorithm, "sha256");

    let other = Store::new(MemoryBackend::new(), "").unwrap();
    let c = sync::copy_between_with(&memory, "a/one.bin", &other, "b.bin", &opts).unwrap();
    assert!(c.is_success());
    let d = sync::download_with(&other, "b.bin", src.path().join("back.bin"), &opts).unwrap();
    assert!(d.is_success());
    assert_eq!(
        std::fs::read(src.path().join("back.bin")).unwrap(),
        std::fs::read(&file).unwrap()
    );

    // A missing source is an error of the whole call.
    let e = sync::download(&memory, "nope", src.path().join("x")).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::NotFound);
    let e = sync::upload(src.path().join("nope"), &memory, "x").unwrap_err();
    assert_eq!(e.kind(), ErrorKind::NotFound);
    // Skip leaves an existing file alone whatever it holds.
    memory.write("c.bin", "other").unwrap();
    let skip = TransferOptions::new().if_exists(IfExists::Skip);
    let s = sync::upload_with(&file, &memory, "c.bin", &skip).unwrap();
    assert_eq!(s.files[0].file.action, Action::Skip(SkipReason::Exists));
    assert_eq!(memory.read_text("c.bin").unwrap(), "other");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn async_tree_round_trip_local_memory_local() {
    let src = tempfile::tempdir().unwrap();
    let local_root = tempfile::tempdir().unwrap();
    let back = tempfile::tempdir().unwrap();
    let files = write_tree(src.path());
    let bytes = total_bytes(&files);
    let local = async_local_store(local_root.path());
    let memory = AsyncStore::new(AsyncMemoryBackend::new(), "").unwrap();

    let up = aio::upload(src.path(), &local, "up").await.unwrap();
    assert!(up.is_success(), "{:?}", up.failed().collect::<Vec<_>>());
    assert_eq!(up.copied().count(), TREE_FILES);

    let progress = Arc::new(Counting::default());
    let opts = TransferOptions::new()
        .files_in_flight(8)
        .progress_arc(progress.clone());
    let copy = aio::copy_between_with(&local, "up", &memory, "mirror", &opts)
        .await
        .unwrap();
    assert!(copy.is_success(), "{:?}", copy.failed().collect::<Vec<_>>());
    progress.assert_complete(TREE_FILES as u64, bytes);

    let down = aio::download(&memory, "mirror", back.path()).await.unwrap();
    assert!(down.is_success(), "{:?}", down.failed().collect::<Vec<_>>());
    assert_same_tree(&files, &read_tree(back.path()));
    assert!(temp_files(local_root.path()).is_empty());

    let same = TransferOptions::new().if_exists(IfExists::SkipIfSame);
    let again = aio::copy_between_with(&local, "up", &memory, "mirror", &same)
        .await
        .unwrap();
    assert_eq!(again.copied().count(), 0);
    assert_eq!(again.skipped().count(), TREE_FILES);
    let again = aio::upload_with(src.path(), &local, "up", &same)
        .await
        .unwrap();
    assert_eq!(again.copied().count(), 0);
    let again = aio::download_with(&memory, "mirror", back.path(), &same)
        .await
        .unwrap();
    assert_eq!(again.copied().count(), 0);

    // Dry run: the plan, and nothing written.
    let dry = TransferOptions::new().dry_run(true);
    let plan = aio::copy_between_with(&memory, "mirror", &local, "elsewhere", &dry)
        .await
        .unwrap();
    assert_eq!(plan.files.len(), TREE_FILES);
    assert!(
        plan.files
            .iter()
            .all(|f| matches!(f.status, FileStatus::Planned))
    );
    assert!(!local.exists("elsewhere").await.unwrap());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn async_verify_after_copy() {
    let memory = AsyncStore::new(AsyncMemoryBackend::new(), "").unwrap();
    let other = AsyncStore::new(AsyncMemoryBackend::new(), "").unwrap();
    memory.write("x/a.txt", "alpha").await.unwrap();
    memory.write("x/b/c.txt", "gamma").await.unwrap();
    for alg in [
        ChecksumAlgorithm::Sha256,
        ChecksumAlgorithm::Crc32c,
        ChecksumAlgorithm::Md5,
    ] {
        let opts = TransferOptions::new()
            .verify(alg)
            .if_exists(IfExists::Overwrite);
        let r = aio::copy_between_with(&memory, "x", &other, "y", &opts)
            .await
            .unwrap();
        assert!(r.is_success());
        for f in &r.files {
            let FileStatus::Copied { digest, .. } = &f.status else {
                panic!("{:?}", f.status)
            };
            assert_eq!(digest.as_ref().unwrap().algorithm, alg.as_str());
        }
    }
    assert_eq!(other.read_text("y/b/c.txt").await.unwrap(), "gamma");
}

/// An atomic download lands with the mode a plain create gets (`0o666` less the umask),
/// like a non-atomic one, not its temp file's private `0o600`; one that replaces a file
/// keeps the replaced file's mode (a `0o600` file stays private): small, streamed and
/// ranged files alike, in both halves.
#[cfg(unix)]
#[test]
fn atomic_downloads_get_the_mode_of_a_plain_create() {
    use std::os::unix::fs::PermissionsExt;

    let dir = tempfile::tempdir().unwrap();
    let reference = dir.path().join("reference");
    std::fs::File::create(&reference).unwrap();
    let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    let want = mode(&reference);
    let memory = Store::new(MemoryBackend::new(), "").unwrap();
    memory.write("small.bin", vec![1u8; 1000]).unwrap();
    memory
        .write("big.bin", transfer_support::pattern(3 << 20, 2))
        .unwrap();
    // Parts of 1 MiB: the 3 MiB file goes in ranged parts.
    let opts = TransferOptions::new().part_size(1 << 20);
    for name in ["small.bin", "big.bin"] {
        let target = dir.path().join(format!("sync-{name}"));
        assert!(
            sync::download_with(&memory, name, &target, &opts)
                .unwrap()
                .is_success()
        );
        assert_eq!(mode(&target), want, "sync {name}");
        std::fs::set_permissions(&target, std::fs::Permissions::from_mode(0o600)).unwrap();
        let again = opts.clone().if_exists(IfExists::Overwrite);
        let report = sync::download_with(&memory, name, &target, &again).unwrap();
        assert_eq!(report.copied().count(), 1, "{report:?}");
        assert_eq!(mode(&target), 0o600, "sync {name} over a private file");
    }
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    let memory = AsyncStore::new(AsyncMemoryBackend::new(), "").unwrap();
    rt.block_on(async {
        memory.write("small.bin", vec![1u8; 1000]).await.unwrap();
        memory
            .write("big.bin", transfer_support::pattern(3 << 20, 2))
            .await
            .unwrap();
        for name in ["small.bin", "big.bin"] {
            let target = dir.path().join(format!("async-{name}"));
            let report = aio::download_with(&memory, name, &target, &opts)
                .await
                .unwrap();
            assert!(report.is_success());
            assert_eq!(mode(&target), want, "async {name}");
            std::fs::set_permissions(&target, std::fs::Permissions::from_mode(0o600)).unwrap();
            let again = opts.clone().if_exists(IfExists::Overwrite);
            let report = aio::download_with(&memory, name, &target, &again)
                .await
                .unwrap();
            assert_eq!(report.copied().count(), 1, "{report:?}");
            assert_eq!(mode(&target), 0o600, "async {name} over a private file");
        }
    });
}

/// The one `Failed` status of a one-file transfer, which must be `InvalidArgument` naming
/// the file as copied onto itself.
fn refused_as_same_file(r: &remote_store_transfer::TransferReport) {
    let [f] = &r.files[..] else {
        panic!("{:?}", r.files)
    };
    let FileStatus::Failed(e) = &f.status else {
        panic!("{:?}", f.status)
    };
    assert_eq!(e.kind(), ErrorKind::InvalidArgument, "{e}");
    assert!(e.to_string().contains("are the same file"), "{e}");
}

/// A copy of a file onto itself, or onto a hard link to it, through a local store is
/// refused, in both halves and every direction: written in place (`atomic(false)`), the
/// destination would be truncated before the source is read and the file lost (a 600 KiB
/// file streams, so it is read after the truncation).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_file_is_never_copied_onto_itself() {
    let dir = tempfile::tempdir().unwrap();
    let big: Vec<u8> = (0..600 * 1024).map(|i| (i % 251) as u8).collect();
    let file = dir.path().join("big.bin");
    std::fs::write(&file, &big).unwrap();
    std::fs::hard_link(&file, dir.path().join("link.bin")).unwrap();
    let opts = TransferOptions::new()
        .if_exists(IfExists::Overwrite)
        .atomic(false);
    let store = local_store(dir.path());
    let astore = async_local_store(dir.path());
    for key in ["big.bin", "link.bin"] {
        refused_as_same_file(&sync::upload_with(&file, &store, key, &opts).unwrap());
        refused_as_same_file(&sync::download_with(&store, key, &file, &opts).unwrap());
        refused_as_same_file(
            &sync::copy_between_with(&store, "big.bin", &store, key, &opts).unwrap(),
        );
        refused_as_same_file(&aio::upload_with(&file, &astore, key, &opts).await.unwrap());
        refused_as_same_file(
            &aio::download_with(&astore, key, &file, &opts)
                .await
                .unwrap(),
        );
        refused_as_same_file(
            &aio::copy_between_with(&astore, "big.bin", &astore, key, &opts)
                .await
                .unwrap(),
        );
    }
    assert_eq!(std::fs::read(&file).unwrap(), big, "the file is intact");
    // Another file is still replaced as asked.
    std::fs::write(dir.path().join("other.bin"), b"old").unwrap();
    let r = sync::upload_with(&file, &store, "other.bin", &opts).unwrap();
    assert!(r.is_success(), "{:?}", r.files);
    assert_eq!(std::fs::read(dir.path().join("other.bin")).unwrap(), big);
}

/// A one-file transfer to a destination that cannot be a file says so, in both halves: a
/// local path below a regular file, a store path that is a folder.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn destinations_that_cannot_be_files_say_so() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("afile");
    std::fs::write(&file, "x").unwrap();
    let below = file.join("sub");
    let memory = Store::new(MemoryBackend::new(), "").unwrap();
    memory.write("one.txt", "1").unwrap();
    memory.write("up/inside.txt", "2").unwrap();
    let amemory = AsyncStore::new(AsyncMemoryBackend::new(), "").unwrap();
    amemory.write("one.txt", "1").await.unwrap();
    amemory.write("up/inside.txt", "2").await.unwrap();

    let below_file = |e: remote_store_core::Error| {
        assert_eq!(e.kind(), ErrorKind::InvalidPath, "{e}");
        assert!(
            e.to_string().contains("a parent of this path is a file"),
            "{e}"
        );
    };
    below_file(sync::download(&memory, "one.txt", &below).unwrap_err());
    below_file(
        aio::download(&amemory, "one.txt", &below)
            .await
            .unwrap_err(),
    );

    let a_folder = |e: remote_store_core::Error| {
        assert_eq!(e.kind(), ErrorKind::InvalidPath, "{e}");
        let text = e.to_string();
        assert!(
            text.contains("destination of a one-file transfer must be a file path: is a folder"),
            "{text}"
        );
        assert!(!text.contains("get_file_info"), "{text}");
    };
    a_folder(sync::upload(&file, &memory, "up").unwrap_err());
    a_folder(aio::upload(&file, &amemory, "up").await.unwrap_err());
    assert_eq!(memory.read_text("up/inside.txt").unwrap(), "2");
}

/// Grows `b.txt` to 1 MiB when the upload of `a.txt` starts (one file in flight: `a.txt`
/// goes first), after both were planned as small files.
struct GrowB(std::path::PathBuf);

impl remote_store_transfer::Progress for GrowB {
    fn file_started(&self, file: &str, _: u64) {
        if file == "a.txt" {
            std::fs::write(self.0.join("b.txt"), transfer_support::pattern(1 << 20, 7)).unwrap();
        }
    }
}

/// A file planned as small that has grown by the time its upload starts is uploaded whole
/// (streamed, not read into memory up to whatever size it reached), in both halves.
#[test]
fn a_small_file_that_grew_since_the_plan_is_uploaded_whole() {
    let grown = transfer_support::pattern(1 << 20, 7);
    for half in ["sync", "async"] {
        let src = tempfile::tempdir().unwrap();
        std::fs::write(src.path().join("a.txt"), "a").unwrap();
        std::fs::write(src.path().join("b.txt"), "b").unwrap();
        let opts = TransferOptions::new()
            .files_in_flight(1)
            .progress(GrowB(src.path().to_owned()));
        let got = if half == "sync" {
            let memory = Store::new(MemoryBackend::new(), "").unwrap();
            let report = sync::upload_with(src.path(), &memory, "t", &opts).unwrap();
            assert!(report.is_success(), "{report:?}");
            memory.read_bytes("t/b.txt").unwrap()
        } else {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            rt.block_on(async {
                let memory = AsyncStore::new(AsyncMemoryBackend::new(), "").unwrap();
                let report = aio::upload_with(src.path(), &memory, "t", &opts)
                    .await
                    .unwrap();
                assert!(report.is_success(), "{report:?}");
                memory.read_bytes("t/b.txt").await.unwrap()
            })
        };
        assert!(got[..] == grown[..], "{half}: b.txt is {} bytes", got.len());
    }
}

/// A memory backend whose every file listing starts with the `NotFound` of a folder that
/// vanished while being listed, then lists the rest.
#[derive(Debug)]
struct VanishedFolder(MemoryBackend);

impl Tamper for VanishedFolder {
    fn inner(&self) -> &MemoryBackend {
        &self.0
    }
    fn list_files(
        &self,
        path: &RemotePath,
        opts: &remote_store_core::ListOptions,
    ) -> remote_store_sync::FileIter {
        let gone = remote_store_core::Error::not_found(format!("{path}/gone"));
        Box::new(std::iter::once(Err(gone)).chain(self.0.list_files(path, opts)))
    }
}

/// A folder of the destination that vanishes while the destination is listed does not hide
/// the files listed after it: they are compared (and skipped as the same), not taken for
/// absent and written again over existing files (which failed each one), in both halves.
#[test]
fn a_vanished_destination_folder_hides_no_other_file() {
    // (Clones of a memory backend share its files.)
    let (sources, existing) = (MemoryBackend::new(), MemoryBackend::new());
    let source = Store::new(sources.clone(), "").unwrap();
    for name in ["a.txt", "b.txt"] {
        source.write_text(name, name).unwrap();
        let seed = Store::new(existing.clone(), "").unwrap();
        seed.write_text(format!("t/{name}"), name).unwrap();
    }
    let same = TransferOptions::new().if_exists(IfExists::SkipIfSame);
    let check = |half: &str, report: remote_store_transfer::TransferReport| {
        assert!(
            report.is_success(),
            "{half}: {:?}",
            report.failed().collect::<Vec<_>>()
        );
        assert_eq!(report.skipped().count(), 2, "{half}: {report:?}");
        assert_eq!(report.copied().count(), 0, "{half}: {report:?}");
    };
    let dst = Store::new(Tampered(VanishedFolder(existing.clone())), "").unwrap();
    check(
        "sync",
        sync::copy_between_with(&source, "", &dst, "t", &same).unwrap(),
    );
    let asource = AsyncStore::from_blocking(sources, "").unwrap();
    let adst = AsyncStore::from_blocking(Tampered(VanishedFolder(existing)), "").unwrap();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let report = rt
        .block_on(aio::copy_between_with(&asource, "", &adst, "t", &same))
        .unwrap();
    check("async", report);
}

/// A source written as a folder (`report.csv/`) where the store holds only a file of that
/// name is an error that says so, not an empty success; a device (or FIFO) is no upload
/// source: `/dev/null` was uploaded as an empty file, `/dev/zero` never ended. Both halves.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_file_named_as_a_folder_and_a_device_are_refused() {
    let memory = MemoryBackend::new();
    let store = Store::new(memory.clone(), "").unwrap();
    store.write_text("report.csv", "a,b").unwrap();
    let astore = AsyncStore::from_blocking(memory, "").unwrap();
    let out = tempfile::tempdir().unwrap();
    let only_a_file = |err: remote_store_core::Error| {
        assert_eq!(err.kind(), ErrorKind::NotFound, "{err}");
        assert!(err.to_string().contains("only a file"), "{err}");
    };
    only_a_file(sync::download(&store, "report.csv/", out.path().join("x")).unwrap_err());
    only_a_file(sync::copy_between(&store, "report.csv/", &store, "copy").unwrap_err());
    only_a_file(
        aio::download(&astore, "report.csv/", out.path().join("y"))
            .await
            .unwrap_err(),
    );
    only_a_file(
        aio::copy_between(&astore, "report.csv/", &astore, "copy")
            .await
            .unwrap_err(),
    );
    // A folder that does not exist is still just missing.
    let err = sync::download(&store, "nothing/", out.path().join("z")).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::NotFound, "{err}");
    assert!(!err.to_string().contains("only a file"), "{err}");
    sync::download(&store, "report.csv", out.path().join("r.csv")).unwrap();
    assert_eq!(std::fs::read(out.path().join("r.csv")).unwrap(), b"a,b");

    let device = std::path::Path::new("/dev/null");
    for err in [
        sync::upload(device, &store, "null").unwrap_err(),
        aio::upload(device, &astore, "null").await.unwrap_err(),
    ] {
        assert_eq!(err.kind(), ErrorKind::InvalidArgument, "{err}");
        assert!(err.to_string().contains("not a regular file"), "{err}");
    }
    assert!(!store.exists("null").unwrap());
}

/// A download's destination is looked up file by file, links followed as the writes follow
/// them: a file already there behind a link to a folder is seen (skipped with `Skip`,
/// instead of failing `AlreadyExists`), and an unrelated entry the walk could not read (a
/// name that is not UTF-8) does not fail the download. Both halves.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_download_looks_up_only_its_own_files_through_links() {
    use std::os::unix::ffi::OsStrExt;
    let memory = MemoryBackend::new();
    let store = Store::new(memory.clone(), "").unwrap();
    store.write_text("t/linked/a.txt", "a").unwrap();
    store.write_text("t/b.txt", "b").unwrap();
    let astore = AsyncStore::from_blocking(memory, "").unwrap();
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    std::fs::create_dir_all(dir.path().join("real")).unwrap();
    std::fs::write(dir.path().join("real/a.txt"), "a").unwrap();
    std::fs::create_dir_all(&out).unwrap();
    std::os::unix::fs::symlink(dir.path().join("real"), out.join("linked")).unwrap();
    std::fs::write(out.join(std::ffi::OsStr::from_bytes(b"odd-\xff")), "x").unwrap();
    let skip = TransferOptions::new().if_exists(IfExists::Skip);

    let check = |half: &str, report: remote_store_transfer::TransferReport| {
        assert!(report.is_success(), "{half}: {report:?}");
        assert_eq!(report.skipped().count(), 1, "{half}: {report:?}");
        assert_eq!(report.copied().count(), 1, "{half}: {report:?}");
    };
    check(
        "sync",
        sync::download_with(&store, "t", &out, &skip).unwrap(),
    );
    std::fs::remove_file(out.join("b.txt")).unwrap();
    check(
        "async",
        aio::download_with(&astore, "t", &out, &skip).await.unwrap(),
    );
    assert_eq!(std::fs::read(out.join("b.txt")).unwrap(), b"b");
}
