//! The local backend's own rules beyond the shared contract: construction and the root
//! folder, symbolic links that stay inside the root, reserved temp names, permissions kept
//! by `write_atomic`, and the async half outside a runtime.

#![cfg(feature = "local")]

use std::os::unix::fs::{FileTypeExt, PermissionsExt, symlink};

use remote_store_async::{AsyncContent, AsyncStore};
use remote_store_core::{CopyOptions, DeleteFolderOptions, ListOptions, MoveOptions};
use remote_store_core::{ErrorKind, WriteOptions};
use remote_store_local::{AsyncLocalBackend, FsyncPolicy, LocalBackend, LocalConfig};
use remote_store_sync::Store;

/// A root folder removed after the backend opened it is reported as a missing root by
/// every call that finds its path missing, in both halves: never as an empty store.
#[test]
fn a_removed_root_is_said_as_such() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("root");
    std::fs::create_dir(&root).unwrap();
    std::fs::write(root.join("a.txt"), "a").unwrap();
    let store = Store::new(LocalBackend::new(&root).unwrap(), "").unwrap();
    let astore =
        remote_store_async::AsyncStore::new(AsyncLocalBackend::new(&root).unwrap(), "").unwrap();
    std::fs::remove_dir_all(&root).unwrap();
    let gone = |what: &str, e: remote_store_core::Error| {
        assert!(e.is_container_not_found(), "{what}: {e:?}");
        assert!(e.to_string().contains("was removed"), "{what}: {e}");
    };
    gone("exists", store.exists("a.txt").unwrap_err());
    gone("is_folder", store.is_folder("sub").unwrap_err());
    gone("read", store.read_bytes("a.txt").unwrap_err());
    gone(
        "list",
        store.list_files("").unwrap().next().unwrap().unwrap_err(),
    );
    gone("folder info", store.get_folder_info("").unwrap_err());
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        gone("async exists", astore.exists("a.txt").await.unwrap_err());
        gone("async read", astore.read_bytes("a.txt").await.unwrap_err());
    });
}

#[test]
fn construction_checks_the_root() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("missing");
    let e = LocalBackend::new(&missing).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::NotFound, "{e}");
    // Named as the missing root, with the fix (issue 10, item 6).
    assert!(e.is_container_not_found(), "{e:?}");
    let text = e.to_string();
    assert!(
        text.contains(&format!(
            "root folder \"{}\" does not exist",
            missing.display()
        )) && text.contains("create_root"),
        "{text}"
    );
    assert!(
        !missing.exists(),
        "a missing root must not be created by default"
    );
    assert_eq!(
        AsyncLocalBackend::new(&missing).unwrap_err().kind(),
        ErrorKind::NotFound
    );

    std::fs::write(dir.path().join("file"), "x").unwrap();
    let e = LocalBackend::new(dir.path().join("file")).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidPath, "{e}");

    let created = LocalBackend::from_config(LocalConfig::new(&missing).create_root(true)).unwrap();
    assert!(missing.is_dir());
    assert_eq!(created.root(), missing.canonicalize().unwrap());
    let shown = format!("{created:?}");
    assert!(
        shown.contains("missing") && shown.contains("Atomic"),
        "{shown}"
    );
}

/// An empty root says so (it used to be "invalid argument: ."), in both halves and also
/// with `create_root`.
#[test]
fn an_empty_root_is_named_as_empty() {
    let errors = [
        LocalBackend::new("").unwrap_err(),
        AsyncLocalBackend::new("").unwrap_err(),
        LocalBackend::from_config(LocalConfig::new("").create_root(true)).unwrap_err(),
    ];
    for e in errors {
        assert_eq!(e.kind(), ErrorKind::InvalidArgument, "{e}");
        let text = e.to_string();
        assert!(text.contains("root is empty"), "{text}");
        assert!(text.starts_with("local: "), "{text}");
    }
}

#[test]
fn a_removed_root_is_reported_not_recreated() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("root");
    std::fs::create_dir(&root).unwrap();
    let store = Store::new(LocalBackend::new(&root).unwrap(), "").unwrap();
    store.write("a.txt", "x").unwrap();
    store.ping().unwrap();
    std::fs::remove_dir_all(&root).unwrap();
    let e = store.ping().unwrap_err();
    assert_eq!(e.kind(), ErrorKind::NotFound, "{e}");
    assert_eq!(
        store.read_bytes("a.txt").unwrap_err().kind(),
        ErrorKind::NotFound
    );
    assert!(store.write("b.txt", "x").is_err());
    assert!(!root.exists(), "the removed root must not be recreated");
}

#[test]
fn a_root_reached_through_a_link_maps_both_spellings() {
    let dir = tempfile::tempdir().unwrap();
    let real = dir.path().join("real");
    std::fs::create_dir(&real).unwrap();
    let alias = dir.path().join("alias");
    symlink(&real, &alias).unwrap();
    let store = Store::new(LocalBackend::new(&alias).unwrap(), "").unwrap();
    store.write("x/y.txt", "y").unwrap();
    let native = store.native_path("x/y.txt").unwrap();
    assert_eq!(
        native,
        real.canonicalize()
            .unwrap()
            .join("x/y.txt")
            .display()
            .to_string()
    );
    assert_eq!(store.to_key(&native).unwrap().as_str(), "x/y.txt");
    let via_alias = alias.join("x/y.txt").display().to_string();
    assert_eq!(store.to_key(&via_alias).unwrap().as_str(), "x/y.txt");
    assert!(
        store
            .to_key(store.native_path("").unwrap())
            .unwrap()
            .is_root()
    );
}

#[test]
fn links_inside_the_root_are_followed_for_data_and_acted_on_as_links() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    std::fs::create_dir_all(root.join("data/sub")).unwrap();
    std::fs::write(root.join("data/file.txt"), "target").unwrap();
    std::fs::write(root.join("data/sub/deep.txt"), "deep").unwrap();
    symlink("data/file.txt", root.join("flink")).unwrap();
    symlink("data", root.join("dlink")).unwrap();
    let store = Store::new(LocalBackend::new(root).unwrap(), "").unwrap();

    // Data: read and info through links; a link to a folder is a folder.
    assert_eq!(store.read_text("flink").unwrap(), "target");
    assert_eq!(store.read_text("dlink/sub/deep.txt").unwrap(), "deep");
    assert_eq!(store.get_file_info("flink").unwrap().size, 6);
    assert!(store.is_file("flink").unwrap());
    assert!(store.is_folder("dlink").unwrap());
    let folders: Vec<String> = store
        .list_folders("")
        .unwrap()
        .map(|f| f.unwrap().name)
        .collect();
    assert!(folders.contains(&"dlink".to_owned()), "{folders:?}");
    // Recursive listings never descend through a link: deep.txt appears once.
    let deep: Vec<String> = store
        .list_files_with("", ListOptions::new().recursive(true))
        .unwrap()
        .map(|f| f.unwrap().path.as_str().to_owned())
        .filter(|p| p.ends_with("deep.txt"))
        .collect();
    assert_eq!(deep, ["data/sub/deep.txt"]);

    // An overwrite, plain or atomic, replaces the link itself (the name is the key; ADR
    // 0018): the file it pointed to keeps its content.
    symlink("data/file.txt", root.join("flink-atomic")).unwrap();
    store
        .write_with("flink", "plain", WriteOptions::overwriting())
        .unwrap();
    store
        .write_atomic_with("flink-atomic", "atomic", WriteOptions::overwriting())
        .unwrap();
    for (link, content) in [("flink", "plain"), ("flink-atomic", "atomic")] {
        let meta = std::fs::symlink_metadata(root.join(link)).unwrap();
        assert!(!meta.is_symlink(), "{link} is still a link");
        assert_eq!(std::fs::read_to_string(root.join(link)).unwrap(), content);
    }
    assert_eq!(
        std::fs::read_to_string(root.join("data/file.txt")).unwrap(),
        "target"
    );

    // Namespace operations act on the link, never on what it points to.
    symlink("data/file.txt", root.join("flink2")).unwrap();
    store.move_file("flink2", "moved-link").unwrap();
    assert!(
        std::fs::symlink_metadata(root.join("moved-link"))
            .unwrap()
            .is_symlink()
    );
    store.delete("moved-link").unwrap();
    assert!(root.join("data/file.txt").exists());
    // A link moved onto the file it leads to leaves that file with its content (renaming
    // the link over it made it a link to itself); the link's name is gone.
    symlink("file.txt", root.join("data/alias")).unwrap();
    store
        .move_file_with(
            "data/alias",
            "data/file.txt",
            MoveOptions::new().overwrite(true),
        )
        .unwrap();
    assert!(std::fs::symlink_metadata(root.join("data/alias")).is_err());
    assert!(
        !std::fs::symlink_metadata(root.join("data/file.txt"))
            .unwrap()
            .is_symlink()
    );
    assert_eq!(store.read_text("data/file.txt").unwrap(), "target");
    // Not recursive, a link to a folder with files goes as that folder would: not at all
    // (removing it made the files listed under it vanish from the store).
    let e = store.delete_folder("dlink").unwrap_err();
    assert_eq!(e.kind(), ErrorKind::DirectoryNotEmpty, "{e}");
    assert!(std::fs::symlink_metadata(root.join("dlink")).is_ok());
    store
        .delete_folder_with("dlink", DeleteFolderOptions::new().recursive(true))
        .unwrap();
    assert!(std::fs::symlink_metadata(root.join("dlink")).is_err());
    assert_eq!(
        std::fs::read_to_string(root.join("data/sub/deep.txt")).unwrap(),
        "deep"
    );
}

#[test]
fn temp_names_are_reserved_and_hidden() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::new(LocalBackend::new(dir.path()).unwrap(), "").unwrap();
    // A leftover from a crashed process (the backend never leaves one itself).
    std::fs::write(dir.path().join(".~tmp.report.csv.00000000deadbeef"), "junk").unwrap();
    store.write("report.csv", "real").unwrap();
    let names: Vec<String> = store
        .list_files_with("", ListOptions::new().recursive(true))
        .unwrap()
        .map(|f| f.unwrap().name)
        .collect();
    assert_eq!(names, ["report.csv"]);
    assert_eq!(store.get_folder_info("").unwrap().file_count, 1);
    for op in [
        store
            .read_bytes(".~tmp.report.csv.00000000deadbeef")
            .map(drop),
        store.write(".~tmp.mine", "x").map(drop),
    ] {
        assert_eq!(op.unwrap_err().kind(), ErrorKind::InvalidPath);
    }
}

#[test]
fn write_atomic_keeps_the_replaced_files_permissions() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("secret.cfg");
    std::fs::write(&path, "old").unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
    for policy in [FsyncPolicy::Atomic, FsyncPolicy::Always, FsyncPolicy::Never] {
        let backend = LocalBackend::from_config(LocalConfig::new(dir.path()).fsync(policy));
        let store = Store::new(backend.unwrap(), "").unwrap();
        store
            .write_atomic_with("secret.cfg", "new", WriteOptions::overwriting())
            .unwrap();
        let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600, "{policy:?}");
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "new");
    }
}

#[test]
fn write_results_agree_with_file_info() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::new(LocalBackend::new(dir.path()).unwrap(), "").unwrap();
    for atomic in [false, true] {
        let key = format!("r/{atomic}.bin");
        let result = if atomic {
            store.write_atomic(&key, vec![1u8; 1234])
        } else {
            store.write(&key, vec![1u8; 1234])
        }
        .unwrap();
        let info = store.get_file_info(&key).unwrap();
        assert_eq!(result.size, info.size);
        assert!(
            info.modified.is_some(),
            "a written file reports its modification time"
        );
        assert_eq!(result.last_modified, info.modified);
    }
}

#[test]
fn the_async_half_outside_a_runtime_errs_instead_of_panicking() {
    let dir = tempfile::tempdir().unwrap();
    let store = AsyncStore::new(AsyncLocalBackend::new(dir.path()).unwrap(), "").unwrap();
    let e = futures::executor::block_on(store.write("a", "x")).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::BackendUnavailable, "{e}");
    assert!(!e.is_retryable());
    assert!(!dir.path().join("a").exists());
}

/// `inline_io_max_bytes` (ADR 0017): small calls run where they are awaited, with no trip
/// to the filesystem pool, so they complete even with no tokio runtime at all (which a
/// pool trip needs, see the test above); calls above the bound, streamed writes, writes
/// that fsync and listings still go to the pool.
#[test]
fn inline_small_io_runs_on_the_callers_thread_and_only_for_small_calls() {
    use futures::{StreamExt, TryStreamExt};

    let dir = tempfile::tempdir().unwrap();
    let config = LocalConfig::new(dir.path())
        .inline_io_max_bytes(8)
        .fsync(FsyncPolicy::Atomic);
    let store = AsyncStore::new(AsyncLocalBackend::from_config(config).unwrap(), "").unwrap();
    let on_pool = |e: remote_store_core::Error| {
        assert_eq!(e.kind(), ErrorKind::BackendUnavailable, "{e}");
        assert!(e.to_string().contains("tokio runtime"), "{e}");
    };
    futures::executor::block_on(async {
        // Small and in memory, plain write (no fsync under `Atomic`): inline.
        store.write("a/small.txt", "12345678").await.unwrap();
        assert!(store.exists("a/small.txt").await.unwrap());
        assert!(store.is_folder("a").await.unwrap());
        assert_eq!(store.get_file_info("a/small.txt").await.unwrap().size, 8);
        assert_eq!(store.read_bytes("a/small.txt").await.unwrap(), "12345678");
        let streamed: Vec<_> = store
            .read("a/small.txt")
            .await
            .unwrap()
            .try_collect()
            .await
            .unwrap();
        assert_eq!(streamed.concat(), b"12345678");
        // Refusals are decided inline too, with the contract's errors.
        let e = store
            .write_with("a/small.txt", "x", WriteOptions::new())
            .await
            .unwrap_err();
        assert_eq!(e.kind(), ErrorKind::AlreadyExists, "{e}");

        // Above the bound: the pool.
        on_pool(store.write("a/big.txt", "123456789").await.unwrap_err());
        // An atomic write fsyncs under `Atomic`: the pool.
        on_pool(store.write_atomic("a/atomic.txt", "1").await.unwrap_err());
        // A listing: the pool.
        let first = store.list_files("a").unwrap().next().await;
        on_pool(first.expect("an item").unwrap_err());

        // A streamed write, however small: the pool.
        let chunks = futures::stream::iter([Ok(bytes::Bytes::from_static(b"1"))]);
        let e = store
            .write("a/streamed.txt", AsyncContent::chunks(chunks))
            .await
            .unwrap_err();
        on_pool(e);

        // A refused inline write leaves nothing: a file in the way of a parent, a folder
        // at the target.
        let e = store.write("a/small.txt/x", "1").await.unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidPath, "{e}");
        let e = store.write("a", "1").await.unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidPath, "{e}");

        store.delete("a/small.txt").await.unwrap();
        assert!(!store.exists("a/small.txt").await.unwrap());
    });
    for gone in ["a/big.txt", "a/atomic.txt", "a/streamed.txt"] {
        assert!(!dir.path().join(gone).exists(), "{gone}");
    }
    let left: Vec<_> = std::fs::read_dir(dir.path().join("a"))
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert!(left.is_empty(), "{left:?}");
}

/// A plain overwrite of a hard-linked file replaces its name (the other link keeps the
/// old content) and, like every plain write under the default policy, is not fsynced: in
/// the inline mode it runs on the calling thread, with no runtime at all.
#[test]
fn inline_small_io_overwrites_a_hard_linked_file_by_its_name() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("f.txt"), "old").unwrap();
    std::fs::hard_link(dir.path().join("f.txt"), dir.path().join("link.txt")).unwrap();
    let config = LocalConfig::new(dir.path()).inline_io_max_bytes(1024);
    let store = AsyncStore::new(AsyncLocalBackend::from_config(config).unwrap(), "").unwrap();
    futures::executor::block_on(store.write_with("f.txt", "new", WriteOptions::overwriting()))
        .unwrap();
    assert_eq!(std::fs::read(dir.path().join("f.txt")).unwrap(), b"new");
    assert_eq!(std::fs::read(dir.path().join("link.txt")).unwrap(), b"old");
}

/// A temp folder holding a FIFO named `pipe`, and the FIFO's path.
fn folder_with_a_fifo() -> (tempfile::TempDir, std::path::PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("pipe");
    let made = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap();
    assert!(made.success(), "mkfifo");
    (dir, fifo)
}

/// Overwriting a FIFO planted in the tree is refused at once, in both halves (it used to
/// wait for a reader, then write into the pipe).
#[test]
fn overwriting_a_fifo_is_refused_without_waiting() {
    let (dir, fifo) = folder_with_a_fifo();
    let store = Store::new(LocalBackend::new(dir.path()).unwrap(), "").unwrap();
    let e = store
        .write_with("pipe", "x", WriteOptions::overwriting())
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidPath, "{e}");
    let config = LocalConfig::new(dir.path()).inline_io_max_bytes(1024);
    let store = AsyncStore::new(AsyncLocalBackend::from_config(config).unwrap(), "").unwrap();
    let e = futures::executor::block_on(store.write_with("pipe", "x", WriteOptions::overwriting()))
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidPath, "{e}");
    assert!(
        std::fs::symlink_metadata(&fifo)
            .unwrap()
            .file_type()
            .is_fifo()
    );
}

/// A file larger than the bound is opened inline and read on the pool.
#[test]
fn inline_small_io_reads_a_large_file_on_the_pool() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("big.bin"), vec![7u8; 64]).unwrap();
    let config = LocalConfig::new(dir.path()).inline_io_max_bytes(16);
    let store = AsyncStore::new(AsyncLocalBackend::from_config(config).unwrap(), "").unwrap();
    let e = futures::executor::block_on(store.read_bytes("big.bin")).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::BackendUnavailable, "{e}");
    // A streamed read of it opens inline and reads its first chunk on the pool.
    let e = futures::executor::block_on(async {
        use futures::TryStreamExt;
        store.read("big.bin").await?.try_next().await
    })
    .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::BackendUnavailable, "{e}");
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    assert_eq!(
        rt.block_on(store.read_bytes("big.bin")).unwrap(),
        vec![7u8; 64]
    );
}

#[test]
fn inline_small_io_is_bounded_at_one_mebibyte() {
    let dir = tempfile::tempdir().unwrap();
    let max = remote_store_local::MAX_INLINE_IO_BYTES;
    assert_eq!(max, 1024 * 1024);
    let config = LocalConfig::new(dir.path()).inline_io_max_bytes(max);
    AsyncLocalBackend::from_config(config.clone()).unwrap();
    let e =
        AsyncLocalBackend::from_config(config.clone().inline_io_max_bytes(max + 1)).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidArgument, "{e}");
    let text = e.to_string();
    assert!(
        text.contains("inline_io_max_bytes")
            && text.contains("1048577")
            && text.contains("0 to keep"),
        "{text}"
    );
    // The blocking half checks the same configuration.
    let e = LocalBackend::from_config(config.inline_io_max_bytes(max + 1)).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidArgument, "{e}");
}

/// A reader that yields `good` bytes and then fails, as a broken source does.
struct FailsAfter(usize);

impl std::io::Read for FailsAfter {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if self.0 == 0 {
            return Err(std::io::Error::other("the source broke"));
        }
        let n = self.0.min(buf.len());
        buf[..n].fill(b'x');
        self.0 -= n;
        Ok(n)
    }
}

/// A plain write that creates its target and then fails leaves no partial file, with
/// `overwrite` too (it used to be removed only without `overwrite`), in both halves.
#[test]
fn a_failed_overwriting_write_of_a_new_file_leaves_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::new(LocalBackend::new(dir.path()).unwrap(), "").unwrap();
    let content = remote_store_sync::Content::reader(FailsAfter(100_000));
    let e = store
        .write_with("new.bin", content, WriteOptions::overwriting())
        .unwrap_err();
    assert_ne!(e.kind(), ErrorKind::AlreadyExists, "{e}");
    assert!(
        !dir.path().join("new.bin").exists(),
        "a partial file was left"
    );

    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let store = AsyncStore::new(AsyncLocalBackend::new(dir.path()).unwrap(), "").unwrap();
    let chunks = futures::stream::iter([
        Ok(bytes::Bytes::from(vec![b'x'; 100_000])),
        Err(std::io::Error::other("the source broke")),
    ]);
    let e = rt
        .block_on(store.write_with(
            "new-async.bin",
            AsyncContent::chunks(chunks),
            WriteOptions::overwriting(),
        ))
        .unwrap_err();
    assert_ne!(e.kind(), ErrorKind::AlreadyExists, "{e}");
    assert!(
        !dir.path().join("new-async.bin").exists(),
        "a partial file was left"
    );
}

/// A file that replaces another keeps its read and write bits, never setuid or setgid:
/// the new content is not what those bits were granted for.
#[test]
fn a_replaced_files_setuid_bit_is_not_kept() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("tool");
    std::fs::write(&path, "old").unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o6755)).unwrap();
    assert_eq!(
        std::fs::metadata(&path).unwrap().permissions().mode() & 0o7777,
        0o6755
    );
    let store = Store::new(LocalBackend::new(dir.path()).unwrap(), "").unwrap();
    store
        .write_atomic_with("tool", "new", WriteOptions::overwriting())
        .unwrap();
    assert_eq!(
        std::fs::metadata(&path).unwrap().permissions().mode() & 0o7777,
        0o755
    );

    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o4700)).unwrap();
    store.write("src", "copied").unwrap();
    store
        .copy_file_with("src", "tool", CopyOptions::new().overwrite(true))
        .unwrap();
    assert_eq!(
        std::fs::metadata(&path).unwrap().permissions().mode() & 0o7777,
        0o700
    );
    assert_eq!(std::fs::read(&path).unwrap(), b"copied");
}

/// An atomic write, a copy or a move onto a FIFO with `overwrite` is refused, not a
/// rename over it; the FIFO stays.
#[test]
fn a_fifo_is_never_replaced_by_an_atomic_write_copy_or_move() {
    let (dir, fifo) = folder_with_a_fifo();
    let store = Store::new(LocalBackend::new(dir.path()).unwrap(), "").unwrap();
    store.write("src", "x").unwrap();
    let e = store
        .write_atomic_with("pipe", "x", WriteOptions::overwriting())
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidPath, "atomic: {e}");
    let e = store
        .copy_file_with("src", "pipe", CopyOptions::new().overwrite(true))
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidPath, "copy: {e}");
    let e = store
        .move_file_with("src", "pipe", MoveOptions::new().overwrite(true))
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidPath, "move: {e}");
    assert!(
        std::fs::symlink_metadata(&fifo)
            .unwrap()
            .file_type()
            .is_fifo()
    );
    assert_eq!(store.read_bytes("src").unwrap(), "x");
}

/// A move between two hard links of one file removes the source name (`rename(2)` alone
/// does nothing then and reports success).
#[test]
fn a_move_onto_a_hard_link_of_the_same_file_removes_the_source() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("a"), "same").unwrap();
    std::fs::hard_link(dir.path().join("a"), dir.path().join("b")).unwrap();
    let store = Store::new(LocalBackend::new(dir.path()).unwrap(), "").unwrap();
    store
        .move_file_with("a", "b", MoveOptions::new().overwrite(true))
        .unwrap();
    assert!(!dir.path().join("a").exists(), "the source name is gone");
    assert_eq!(store.read_bytes("b").unwrap(), "same");
}

/// A reader that, when first read, lets `meanwhile` run (another writer's step) and then
/// fails.
struct FailsAfterRunning<F: FnMut() + Send>(F);

impl<F: FnMut() + Send> std::io::Read for FailsAfterRunning<F> {
    fn read(&mut self, _: &mut [u8]) -> std::io::Result<usize> {
        (self.0)();
        Err(std::io::Error::other("the source broke"))
    }
}

/// A failed plain write removes the file it created only if the name still holds it:
/// a file another writer renamed over it meanwhile (an overwriting atomic write) stays.
#[test]
fn a_failed_write_never_removes_a_file_another_writer_put_in_its_place() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::new(LocalBackend::new(dir.path()).unwrap(), "").unwrap();
    let (target, theirs) = (dir.path().join("k"), dir.path().join("theirs"));
    std::fs::write(&theirs, "committed by another writer").unwrap();
    let meanwhile = || std::fs::rename(&theirs, &target).unwrap();
    let content = remote_store_sync::Content::reader(FailsAfterRunning(meanwhile));
    let e = store.write("k", content).unwrap_err();
    assert_ne!(e.kind(), ErrorKind::AlreadyExists, "{e}");
    assert_eq!(
        std::fs::read(&target).unwrap(),
        b"committed by another writer",
        "the other writer's file was removed"
    );
}
