//! An attacker with write access to the root keeps swapping a folder for a symbolic link
//! to a folder outside the root — atomically, with `renameat2(RENAME_EXCHANGE)`, so at
//! every instant the name is one or the other — while writers keep writing below it.
//! Resolution relative to the open root is atomic, so no write may ever land outside. A
//! check-then-open implementation (lstat every component, then open the path) loses this
//! race within milliseconds.

#![cfg(all(target_os = "linux", feature = "sync", feature = "async"))]

use std::os::unix::fs::symlink;
use std::path::Path;
use std::time::{Duration, Instant};

use remote_store_core::WriteOptions;
use remote_store_local::{AsyncLocalBackend, LocalBackend};
use rustix::fs::{CWD, RenameFlags, renameat_with};

fn names(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    v.sort();
    v
}

/// Swaps `root/swap` (a folder) with `root/bait` (a link to the sibling) until `deadline`.
fn attacker(root: &Path, deadline: Instant) -> std::thread::JoinHandle<u64> {
    let (a, b) = (root.join("swap"), root.join("bait"));
    std::thread::spawn(move || {
        let mut swaps = 0;
        while Instant::now() < deadline {
            renameat_with(CWD, &a, CWD, &b, RenameFlags::EXCHANGE).expect("exchange");
            swaps += 1;
        }
        swaps
    })
}

fn fixture() -> (tempfile::TempDir, std::path::PathBuf) {
    let outer = tempfile::tempdir().unwrap();
    let root = outer.path().join("root");
    std::fs::create_dir_all(root.join("swap")).unwrap();
    std::fs::create_dir(outer.path().join("sibling")).unwrap();
    std::fs::write(outer.path().join("sibling/secret"), "s").unwrap();
    symlink("../sibling", root.join("bait")).unwrap();
    (outer, root)
}

#[test]
fn sync_writes_never_follow_a_swapped_in_link() {
    let (outer, root) = fixture();
    let store = remote_store_sync::Store::new(LocalBackend::new(&root).unwrap(), "").unwrap();
    let deadline = Instant::now() + Duration::from_millis(1500);
    let attack = attacker(&root, deadline);
    let (mut ok, mut refused, mut i) = (0u64, 0u64, 0u64);
    while Instant::now() < deadline {
        i += 1;
        let key = format!("swap/f{}", i % 32);
        for atomic in [false, true] {
            let opts = WriteOptions::overwriting();
            let outcome = if atomic {
                store.write_atomic_with(&key, "x", opts)
            } else {
                store.write_with(&key, "x", opts)
            };
            match outcome {
                Ok(_) => ok += 1,
                Err(_) => refused += 1,
            }
        }
        let _ = store.read_bytes(&key);
    }
    let swaps = attack.join().unwrap();
    assert_eq!(
        names(&outer.path().join("sibling")),
        ["secret"],
        "a write escaped"
    );
    assert!(swaps > 1000, "the attacker barely ran ({swaps} swaps)");
    assert!(
        ok > 0 && refused > 0,
        "the race never hit both sides ({ok} ok, {refused} refused)"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn async_writes_never_follow_a_swapped_in_link() {
    let (outer, root) = fixture();
    let store =
        remote_store_async::AsyncStore::new(AsyncLocalBackend::new(&root).unwrap(), "").unwrap();
    let deadline = Instant::now() + Duration::from_millis(1500);
    let attack = attacker(&root, deadline);
    let (mut ok, mut refused, mut i) = (0u64, 0u64, 0u64);
    while Instant::now() < deadline {
        i += 1;
        let key = format!("swap/f{}", i % 32);
        let a = store
            .write_with(&key, "x", WriteOptions::overwriting())
            .await;
        let b = store
            .write_atomic_with(&key, "y", WriteOptions::overwriting())
            .await;
        for outcome in [a.map(drop), b.map(drop)] {
            match outcome {
                Ok(()) => ok += 1,
                Err(_) => refused += 1,
            }
        }
    }
    let swaps = attack.join().unwrap();
    assert_eq!(
        names(&outer.path().join("sibling")),
        ["secret"],
        "a write escaped"
    );
    assert!(swaps > 1000, "the attacker barely ran ({swaps} swaps)");
    assert!(
        ok > 0 && refused > 0,
        "the race never hit both sides ({ok} ok, {refused} refused)"
    );
}
