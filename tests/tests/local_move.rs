//! Moves on the local backend: one atomic `rename` on the same filesystem, and the
//! copy + delete fallback when the destination is on another filesystem (a mount point
//! inside the root), including the partial failure when the source cannot be deleted.
//!
//! The cross-filesystem cases mount a tmpfs (and a read-only bind mount) inside a temp
//! root, which needs root privileges (`CAP_SYS_ADMIN`). Where mounting is not permitted
//! they print a loud SKIP line under plain `cargo test`, and fail under `cargo xtask test`
//! (which runs as root); the fallback itself is also unit-tested inside the crate.

#![cfg(feature = "local")]

use std::path::{Path, PathBuf};
use std::process::Command;

use remote_store_async::AsyncStore;
use remote_store_core::MoveOptions;
use remote_store_core::{Capability, ErrorKind};
use remote_store_local::{AsyncLocalBackend, LocalBackend};
use remote_store_sync::Store;

/// Unmounts on drop (also when an assertion fails).
struct Mount(PathBuf);

impl Drop for Mount {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(&self.0).status();
    }
}

fn mount(args: &[&str], at: &Path) -> Option<Mount> {
    std::fs::create_dir_all(at).unwrap();
    let ok = Command::new("mount")
        .args(args)
        .arg(at)
        .status()
        .is_ok_and(|s| s.success());
    ok.then(|| Mount(at.to_path_buf()))
}

fn skip(why: &str) {
    // CI (`cargo xtask test`) runs as root, where the mount works: a skip there would be a
    // test that checks nothing.
    assert!(
        !remote_store_tests::emulator::required(),
        "local_move: {why}, under `cargo xtask test` (REMOTE_STORE_REQUIRE_EMULATORS=1)"
    );
    eprintln!("SKIP local_move: {why} (needs root with CAP_SYS_ADMIN to mount inside a temp dir)");
}

#[test]
fn same_filesystem_move_is_a_rename_that_keeps_the_inode() {
    use std::os::unix::fs::MetadataExt;
    let dir = tempfile::tempdir().unwrap();
    let store = Store::new(LocalBackend::new(dir.path()).unwrap(), "").unwrap();
    assert!(store.supports(Capability::AtomicMove));
    store.write("a/src.txt", "payload").unwrap();
    let inode = std::fs::metadata(dir.path().join("a/src.txt"))
        .unwrap()
        .ino();
    store.move_file("a/src.txt", "b/c/dst.txt").unwrap();
    let moved = std::fs::metadata(dir.path().join("b/c/dst.txt")).unwrap();
    assert_eq!(
        moved.ino(),
        inode,
        "a rename keeps the inode; a copy would not"
    );
    assert!(!dir.path().join("a/src.txt").exists());
    store.write("other.txt", "other").unwrap();
    let e = store.move_file("other.txt", "b/c/dst.txt").unwrap_err();
    assert_eq!(e.kind(), ErrorKind::AlreadyExists);
    assert_eq!(store.read_text("b/c/dst.txt").unwrap(), "payload");
    store
        .move_file_with(
            "other.txt",
            "b/c/dst.txt",
            MoveOptions::new().overwrite(true),
        )
        .unwrap();
    assert_eq!(store.read_text("b/c/dst.txt").unwrap(), "other");
}

#[test]
fn sync_move_across_filesystems_copies_then_deletes() {
    let dir = tempfile::tempdir().unwrap();
    let Some(_tmpfs) = mount(&["-t", "tmpfs", "none"], &dir.path().join("mnt")) else {
        return skip("cannot mount a tmpfs");
    };
    let store = Store::new(LocalBackend::new(dir.path()).unwrap(), "").unwrap();
    let body: Vec<u8> = (0..3_000_000u32).map(|i| (i % 253) as u8).collect();
    store.write("src.bin", body.clone()).unwrap();
    store.move_file("src.bin", "mnt/deep/dst.bin").unwrap();
    assert_eq!(store.read_bytes("mnt/deep/dst.bin").unwrap(), body);
    assert!(!store.exists("src.bin").unwrap());
    // overwrite=false still refuses across filesystems, and back again works.
    store.write("again.bin", "x").unwrap();
    let e = store
        .move_file("again.bin", "mnt/deep/dst.bin")
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::AlreadyExists);
    assert!(store.exists("again.bin").unwrap());
    store.move_file("mnt/deep/dst.bin", "back.bin").unwrap();
    assert_eq!(store.read_bytes("back.bin").unwrap(), body);
    let leftovers: Vec<_> = std::fs::read_dir(dir.path().join("mnt/deep"))
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn async_move_across_filesystems_copies_then_deletes() {
    let dir = tempfile::tempdir().unwrap();
    let Some(_tmpfs) = mount(&["-t", "tmpfs", "none"], &dir.path().join("mnt")) else {
        return skip("cannot mount a tmpfs");
    };
    let store = AsyncStore::new(AsyncLocalBackend::new(dir.path()).unwrap(), "").unwrap();
    store.write("src.txt", "across").await.unwrap();
    store.move_file("src.txt", "mnt/dst.txt").await.unwrap();
    assert_eq!(store.read_text("mnt/dst.txt").await.unwrap(), "across");
    assert!(!store.exists("src.txt").await.unwrap());
}

#[test]
fn a_source_that_cannot_be_deleted_is_reported_as_a_partial_move() {
    let dir = tempfile::tempdir().unwrap();
    let ro = dir.path().join("ro");
    std::fs::create_dir(&ro).unwrap();
    std::fs::write(ro.join("src.txt"), "stuck").unwrap();
    // A read-only bind mount of the folder: reads work, deleting the source fails.
    let Some(_bind) = mount(&["--bind", ro.to_str().unwrap()], &ro) else {
        return skip("cannot bind-mount");
    };
    let remount = Command::new("mount")
        .args(["-o", "remount,bind,ro"])
        .arg(&ro)
        .status()
        .is_ok_and(|s| s.success());
    if !remount {
        return skip("cannot remount read-only");
    }
    let store = Store::new(LocalBackend::new(dir.path()).unwrap(), "").unwrap();
    let e = store.move_file("ro/src.txt", "moved.txt").unwrap_err();
    assert_ne!(e.kind(), ErrorKind::NotFound, "{e}");
    assert_eq!(e.kind(), ErrorKind::PermissionDenied, "{e}");
    assert!(e.to_string().contains("partial move"), "{e}");
    assert_eq!(e.path(), Some("ro/src.txt"));
    // The copy exists and the source was kept: nothing was lost.
    assert_eq!(store.read_text("moved.txt").unwrap(), "stuck");
    assert_eq!(store.read_text("ro/src.txt").unwrap(), "stuck");
}
