//! Containment of the local backend: no key, however written, and no symbolic link planted
//! inside the root leads any operation outside it — in both halves.
//!
//! The fixture is `outer/root` (the store) next to `outer/sibling` (a secret the store
//! must never reach), with links planted inside the root: to `/etc`, to the sibling
//! (relative and absolute), to the root's parent, a deeper climb, and links to single
//! files outside. Every attempt must fail with a clear error (`InvalidPath` for malformed
//! keys, `PermissionDenied` "... leads outside the store root" for links) and the sibling
//! must be byte-for-byte, name-for-name and time-for-time unchanged afterwards. Writes
//! through the `/etc` link only ever try fresh canary names (never an existing file), and
//! the test asserts the canaries do not exist.

#![cfg(feature = "local")]

use std::collections::BTreeMap;
use std::os::unix::fs::symlink;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use futures::StreamExt;
use remote_store_async::AsyncStore;
use remote_store_core::{
    CopyOptions, DeleteFolderOptions, DeleteOptions, ListOptions, MoveOptions,
};
use remote_store_core::{ErrorKind, Result, WriteOptions};
use remote_store_local::{AsyncLocalBackend, LocalBackend};
use remote_store_sync::{Content, Store};

/// One operation a caller might try.
#[derive(Debug, Clone)]
enum Op {
    Read(&'static str),
    ReadRange(&'static str),
    Info(&'static str),
    Exists(&'static str),
    Write(&'static str),
    WriteOver(&'static str),
    WriteAtomic(&'static str),
    Delete(&'static str),
    DeleteFolder(&'static str),
    List(&'static str),
    Move(&'static str, &'static str),
    Copy(&'static str, &'static str),
}

const CANARY: &str = "remote-store-containment-canary";

/// Malformed keys: refused as `InvalidPath` before any I/O.
fn malformed() -> Vec<Op> {
    let keys: &[&'static str] = &[
        "../escape.txt",
        "a/../../escape.txt",
        "./../escape.txt",
        "a/b/../../../escape.txt",
        "..\\escape.txt",
        "a\\..\\..\\escape.txt",
        "..",
        "../",
        "a/..",
        "nul\0byte",
        "../\0",
        "line\nbreak",
        "tab\there",
        ".~tmp.reserved.0123",
        "a/.~tmp.reserved.0123",
    ];
    let mut ops = Vec::new();
    for k in keys {
        ops.extend([
            Op::Read(k),
            Op::Write(k),
            Op::WriteAtomic(k),
            Op::Delete(k),
            Op::Info(k),
            Op::Move("inside.txt", k),
            Op::Copy("inside.txt", k),
        ]);
    }
    ops
}

/// Attempts through planted links: refused as `PermissionDenied`.
fn through_links() -> Vec<Op> {
    vec![
        // The link to /etc: reads and fresh canary names only.
        Op::Read("etc/passwd"),
        Op::Read("etc/hostname"),
        Op::ReadRange("etc/passwd"),
        Op::Info("etc/passwd"),
        Op::Exists("etc/passwd"),
        Op::Exists("etc"),
        Op::List("etc"),
        Op::Write("etc/remote-store-containment-canary"),
        Op::WriteAtomic("etc/remote-store-containment-canary"),
        Op::Write("etc/remote-store-containment-canary-dir/f"),
        Op::Copy("etc/passwd", "stolen-passwd"),
        Op::Read("etc_passwd"),
        Op::Copy("etc_passwd", "stolen-passwd"),
        // The sibling, through a relative link, an absolute link, the root's parent and
        // a link deeper in the tree that climbs out.
        Op::Read("sib/secret"),
        Op::Read("abs/secret"),
        Op::Read("up/sibling/secret"),
        Op::Read("a/climb/sibling/secret"),
        Op::Read("secret_link"),
        Op::Info("sib/secret"),
        Op::Exists("sib/secret"),
        Op::Exists("sib"),
        Op::List("sib"),
        Op::List("up"),
        Op::Write("sib/secret"),
        Op::WriteOver("sib/secret"),
        Op::WriteOver("secret_link"),
        Op::WriteOver("abs/secret"),
        Op::WriteAtomic("sib/secret"),
        Op::WriteAtomic("sib/planted"),
        Op::Write("sib/planted"),
        Op::Write("sib/new/deeper/planted"),
        Op::Write("up/sibling/planted"),
        Op::Write("a/climb/sibling/planted"),
        Op::Delete("sib/secret"),
        Op::Delete("abs/secret"),
        Op::Delete("secret_link"),
        Op::DeleteFolder("sib"),
        Op::DeleteFolder("abs"),
        Op::DeleteFolder("up"),
        Op::Move("sib/secret", "taken"),
        Op::Move("secret_link", "taken"),
        Op::Move("inside.txt", "sib/planted"),
        Op::Move("inside.txt", "up/sibling/planted"),
        Op::Copy("sib/secret", "taken"),
        Op::Copy("inside.txt", "sib/planted"),
        Op::Copy("inside.txt", "abs/planted"),
    ]
}

struct Fixture {
    outer: tempfile::TempDir,
}

impl Fixture {
    fn new() -> Self {
        let outer = tempfile::tempdir().expect("temp dir");
        let root = outer.path().join("root");
        let sibling = outer.path().join("sibling");
        std::fs::create_dir_all(root.join("a/b")).unwrap();
        std::fs::create_dir_all(&sibling).unwrap();
        std::fs::write(sibling.join("secret"), "top secret").unwrap();
        std::fs::write(root.join("inside.txt"), "inside").unwrap();
        std::fs::write(root.join("a/b/f.txt"), "deep").unwrap();
        symlink("/etc", root.join("etc")).unwrap();
        symlink("/etc/passwd", root.join("etc_passwd")).unwrap();
        symlink("../sibling", root.join("sib")).unwrap();
        symlink(&sibling, root.join("abs")).unwrap();
        symlink("..", root.join("up")).unwrap();
        symlink("../..", root.join("a/climb")).unwrap();
        symlink("../sibling/secret", root.join("secret_link")).unwrap();
        // A link that stays inside is followed.
        symlink("a/b", root.join("inner")).unwrap();
        Fixture { outer }
    }

    fn root(&self) -> PathBuf {
        self.outer.path().join("root")
    }

    /// Names, sizes, contents and times of everything outside the root (not following
    /// links), plus the presence of the `/etc` canaries.
    fn outside(&self) -> BTreeMap<PathBuf, (Vec<u8>, SystemTime)> {
        let mut seen = BTreeMap::new();
        let mut stack = vec![self.outer.path().to_path_buf()];
        while let Some(dir) = stack.pop() {
            let meta = std::fs::symlink_metadata(&dir).unwrap();
            seen.insert(dir.clone(), (Vec::new(), meta.modified().unwrap()));
            for entry in std::fs::read_dir(&dir).unwrap() {
                let path = entry.unwrap().path();
                if path == self.root() {
                    continue;
                }
                let meta = std::fs::symlink_metadata(&path).unwrap();
                if meta.is_dir() {
                    stack.push(path);
                } else {
                    let content = std::fs::read(&path).unwrap();
                    seen.insert(path, (content, meta.modified().unwrap()));
                }
            }
        }
        seen
    }

    fn assert_no_canaries(&self) {
        for name in [CANARY, "remote-store-containment-canary-dir"] {
            assert!(
                !Path::new("/etc").join(name).exists(),
                "/etc/{name} was created through the link"
            );
        }
        for name in ["planted", "new"] {
            assert!(!self.outer.path().join("sibling").join(name).exists());
        }
    }

    /// The root's own content survived (the attempts could not delete through links).
    fn assert_root_intact(&self) {
        assert_eq!(
            std::fs::read(self.root().join("inside.txt")).unwrap(),
            b"inside"
        );
        assert!(!self.root().join("stolen-passwd").exists());
        assert!(!self.root().join("taken").exists());
        assert!(!self.outer.path().join("escape.txt").exists());
        assert!(!self.root().join("escape.txt").exists());
    }
}

fn run_sync(store: &Store, op: &Op) -> Result<()> {
    let write = |k: &str, atomic: bool, overwrite: bool| {
        let opts = WriteOptions::new().overwrite(overwrite);
        if atomic {
            store.write_atomic_with(k, Content::from("planted"), opts)
        } else {
            store.write_with(k, Content::from("planted"), opts)
        }
        .map(drop)
    };
    match *op {
        Op::Read(k) => store.read_bytes(k).map(drop),
        Op::ReadRange(k) => store.read_range(k, 0..4).map(drop),
        Op::Info(k) => store.get_file_info(k).map(drop),
        Op::Exists(k) => store.exists(k).map(drop),
        Op::Write(k) => write(k, false, false),
        Op::WriteOver(k) => write(k, false, true),
        Op::WriteAtomic(k) => write(k, true, true),
        Op::Delete(k) => store.delete_with(k, DeleteOptions::new().missing_ok(true)),
        Op::DeleteFolder(k) => store.delete_folder_with(
            k,
            DeleteFolderOptions::new().recursive(true).missing_ok(true),
        ),
        Op::List(k) => store
            .list_files_with(k, ListOptions::new().recursive(true))?
            .try_for_each(|f| f.map(drop)),
        Op::Move(a, b) => store.move_file_with(a, b, MoveOptions::new().overwrite(true)),
        Op::Copy(a, b) => store.copy_file_with(a, b, CopyOptions::new().overwrite(true)),
    }
}

async fn run_async(store: &AsyncStore, op: &Op) -> Result<()> {
    let opts = |overwrite: bool| WriteOptions::new().overwrite(overwrite);
    match *op {
        Op::Read(k) => store.read_bytes(k).await.map(drop),
        Op::ReadRange(k) => store
            .read_range(k, 0..4)
            .await?
            .collect_bytes()
            .await
            .map(drop),
        Op::Info(k) => store.get_file_info(k).await.map(drop),
        Op::Exists(k) => store.exists(k).await.map(drop),
        Op::Write(k) => store.write_with(k, "planted", opts(false)).await.map(drop),
        Op::WriteOver(k) => store.write_with(k, "planted", opts(true)).await.map(drop),
        Op::WriteAtomic(k) => store
            .write_atomic_with(k, "planted", opts(true))
            .await
            .map(drop),
        Op::Delete(k) => {
            store
                .delete_with(k, DeleteOptions::new().missing_ok(true))
                .await
        }
        Op::DeleteFolder(k) => {
            store
                .delete_folder_with(
                    k,
                    DeleteFolderOptions::new().recursive(true).missing_ok(true),
                )
                .await
        }
        Op::List(k) => {
            let mut files = store.list_files_with(k, ListOptions::new().recursive(true))?;
            while let Some(f) = files.next().await {
                f?;
            }
            Ok(())
        }
        Op::Move(a, b) => {
            store
                .move_file_with(a, b, MoveOptions::new().overwrite(true))
                .await
        }
        Op::Copy(a, b) => {
            store
                .copy_file_with(a, b, CopyOptions::new().overwrite(true))
                .await
        }
    }
}

/// Checks one outcome: the expected kind, and a message that says why.
fn check(op: &Op, outcome: Result<()>, want: ErrorKind) {
    let err = match outcome {
        Ok(()) => panic!("{op:?} succeeded; it must be refused with {want:?}"),
        Err(e) => e,
    };
    assert_eq!(err.kind(), want, "{op:?}: {err}");
    let text = err.to_string();
    if want == ErrorKind::PermissionDenied {
        assert!(
            text.contains("leads outside the store root"),
            "{op:?}: unclear message: {text}"
        );
    }
    assert!(
        text.starts_with("local: "),
        "{op:?} must name the backend: {text}"
    );
}

#[test]
fn sync_every_escape_is_refused_and_nothing_outside_changes() {
    let fx = Fixture::new();
    let before = fx.outside();
    let store = Store::new(LocalBackend::new(fx.root()).unwrap(), "").unwrap();
    for op in malformed() {
        check(&op, run_sync(&store, &op), ErrorKind::InvalidPath);
    }
    for op in through_links() {
        check(&op, run_sync(&store, &op), ErrorKind::PermissionDenied);
    }
    assert_eq!(fx.outside(), before, "something outside the root changed");
    fx.assert_no_canaries();
    fx.assert_root_intact();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn async_every_escape_is_refused_and_nothing_outside_changes() {
    let fx = Fixture::new();
    let before = fx.outside();
    let store = AsyncStore::new(AsyncLocalBackend::new(fx.root()).unwrap(), "").unwrap();
    for op in malformed() {
        check(&op, run_async(&store, &op).await, ErrorKind::InvalidPath);
    }
    for op in through_links() {
        check(
            &op,
            run_async(&store, &op).await,
            ErrorKind::PermissionDenied,
        );
    }
    assert_eq!(fx.outside(), before, "something outside the root changed");
    fx.assert_no_canaries();
    fx.assert_root_intact();
}

/// Keys that look alarming but are ordinary names, or absolute spellings: they must land
/// inside the root (leading slashes and backslash separators are normalised).
#[test]
fn odd_but_valid_keys_stay_inside() {
    let fx = Fixture::new();
    let before = fx.outside();
    let store = Store::new(LocalBackend::new(fx.root()).unwrap(), "").unwrap();
    for (key, lands) in [
        ("/abs-key.txt", "abs-key.txt"),
        ("//double/slash.txt", "double/slash.txt"),
        ("a\\b\\back.txt", "a/b/back.txt"),
        ("....", "...."),
        ("..a", "..a"),
        ("a..b/c", "a..b/c"),
        ("%2e%2e/x", "%2e%2e/x"),
        ("tmp/x.txt", "tmp/x.txt"),
    ] {
        store.write(key, "ok").unwrap();
        assert_eq!(
            std::fs::read(fx.root().join(lands)).unwrap(),
            b"ok",
            "{key}"
        );
    }
    // Links that stay inside are followed.
    assert_eq!(store.read_text("inner/f.txt").unwrap(), "deep");
    // The planted links are not part of the store's listings.
    let mut names: Vec<String> = store
        .iter_children("")
        .unwrap()
        .map(|e| e.unwrap().name().to_owned())
        .collect();
    names.sort();
    for hidden in ["etc", "etc_passwd", "sib", "abs", "up", "secret_link"] {
        assert!(
            !names.contains(&hidden.to_owned()),
            "{hidden} listed: {names:?}"
        );
    }
    assert!(names.contains(&"inner".to_owned()), "{names:?}");
    let all: Vec<String> = store
        .list_files_with("", ListOptions::new().recursive(true))
        .unwrap()
        .map(|f| f.unwrap().path.as_str().to_owned())
        .collect();
    assert!(
        all.iter()
            .all(|p| !p.contains("secret") && !p.contains("passwd")),
        "{all:?}"
    );
    let info = store.get_folder_info("").unwrap();
    assert_eq!(info.file_count as usize, all.len());
    let globbed = store.glob("**").unwrap().count();
    assert_eq!(globbed, all.len());
    // Native names outside the root are refused by `to_key`.
    for outside in [
        "/etc/passwd".to_owned(),
        fx.outer.path().join("sibling/secret").display().to_string(),
        format!("{}/../sibling/secret", fx.root().display()),
        "relative/path".to_owned(),
    ] {
        assert_eq!(
            store.to_key(&outside).unwrap_err().kind(),
            ErrorKind::InvalidPath,
            "{outside}"
        );
    }
    let native = store.native_path("a/b/f.txt").unwrap();
    assert!(Path::new(&native).starts_with(fx.root().canonicalize().unwrap()));
    assert_eq!(store.to_key(&native).unwrap().as_str(), "a/b/f.txt");
    assert_eq!(fx.outside(), before);
}

/// A hard link planted inside the root to a file outside it (`outer/outside.txt`): the
/// outside file must stay byte-identical (content and modification time) whatever is
/// written, copied or moved onto the link's name. The link's name is replaced, never written
/// through (ADR 0008).
struct HardLink {
    outer: tempfile::TempDir,
}

const OUTSIDE: &[u8] = b"outside content, reachable from outside the root";

impl HardLink {
    fn new() -> Self {
        let outer = tempfile::tempdir().expect("temp dir");
        std::fs::create_dir(outer.path().join("root")).unwrap();
        std::fs::write(outer.path().join("outside.txt"), OUTSIDE).unwrap();
        // An old time, so any write through the inode would show in the mtime as well.
        let old = SystemTime::UNIX_EPOCH + std::time::Duration::from_secs(1_000_000_000);
        let f = std::fs::File::options()
            .write(true)
            .open(outer.path().join("outside.txt"))
            .unwrap();
        f.set_modified(old).unwrap();
        let fx = HardLink { outer };
        fx.plant();
        fx
    }

    fn root(&self) -> PathBuf {
        self.outer.path().join("root")
    }

    /// (Re-)plants `root/linked` as a hard link to the outside file, and a source file.
    fn plant(&self) {
        let linked = self.root().join("linked");
        let _ = std::fs::remove_file(&linked);
        std::fs::hard_link(self.outer.path().join("outside.txt"), &linked).unwrap();
        std::fs::write(self.root().join("src.txt"), "moved or copied in").unwrap();
    }

    /// The outside file is unchanged, and the link's name now holds `want`.
    fn check(&self, what: &str, want: &[u8]) {
        let outside = self.outer.path().join("outside.txt");
        assert_eq!(
            std::fs::read(&outside).unwrap(),
            OUTSIDE,
            "{what} wrote through a hard link into a file outside the root"
        );
        let meta = std::fs::metadata(&outside).unwrap();
        assert_eq!(
            meta.modified().unwrap(),
            SystemTime::UNIX_EPOCH + std::time::Duration::from_secs(1_000_000_000),
            "{what} touched the file outside the root"
        );
        assert_eq!(
            std::fs::read(self.root().join("linked")).unwrap(),
            want,
            "{what}: the key holds the new content"
        );
    }
}

#[test]
fn sync_writes_never_go_through_a_hard_link_out_of_the_root() {
    use std::os::unix::fs::MetadataExt;
    let fx = HardLink::new();
    assert_eq!(fx.root().join("linked").metadata().unwrap().nlink(), 2);
    let store = Store::new(LocalBackend::new(fx.root()).unwrap(), "").unwrap();
    let over = WriteOptions::new().overwrite(true);
    store.write_with("linked", "short", over.clone()).unwrap();
    fx.check("write", b"short");
    fx.plant();
    let long = vec![b'x'; 3 * 65536 + 5];
    let reader = std::io::Cursor::new(long.clone());
    store
        .write_with("linked", Content::reader(reader), over.clone())
        .unwrap();
    fx.check("streamed write", &long);
    fx.plant();
    store.write_atomic_with("linked", "atomic", over).unwrap();
    fx.check("write_atomic", b"atomic");
    fx.plant();
    store
        .copy_file_with("src.txt", "linked", CopyOptions::new().overwrite(true))
        .unwrap();
    fx.check("copy_file", b"moved or copied in");
    fx.plant();
    store
        .move_file_with("src.txt", "linked", MoveOptions::new().overwrite(true))
        .unwrap();
    fx.check("move_file", b"moved or copied in");
    // Without overwrite the name is taken: refused, nothing changes.
    fx.plant();
    let e = store.write("linked", "x").unwrap_err();
    assert_eq!(e.kind(), ErrorKind::AlreadyExists);
    fx.check("a refused write", OUTSIDE);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn async_writes_never_go_through_a_hard_link_out_of_the_root() {
    let fx = HardLink::new();
    let store = AsyncStore::new(AsyncLocalBackend::new(fx.root()).unwrap(), "").unwrap();
    let over = WriteOptions::new().overwrite(true);
    store
        .write_with("linked", "short", over.clone())
        .await
        .unwrap();
    fx.check("write", b"short");
    fx.plant();
    let long = vec![b'y'; 3 * 1024 * 1024 + 5];
    store
        .write_with("linked", long.clone(), over.clone())
        .await
        .unwrap();
    fx.check("large write", &long);
    fx.plant();
    store
        .write_atomic_with("linked", "atomic", over)
        .await
        .unwrap();
    fx.check("write_atomic", b"atomic");
    fx.plant();
    store
        .copy_file_with("src.txt", "linked", CopyOptions::new().overwrite(true))
        .await
        .unwrap();
    fx.check("copy_file", b"moved or copied in");
    fx.plant();
    store
        .move_file_with("src.txt", "linked", MoveOptions::new().overwrite(true))
        .await
        .unwrap();
    fx.check("move_file", b"moved or copied in");
    fx.plant();
    let e = store.write("linked", "x").await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::AlreadyExists);
    fx.check("a refused write", OUTSIDE);
}
