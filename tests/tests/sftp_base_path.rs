//! The SFTP base directory (issue 10, item 6): a missing one is `NotFound` naming it from
//! every call — it used to be an empty store that the first write created in place —
//! unless `create_base_path` asks for it to be created; a file there is `InvalidArgument`.
//! The sshd emulator serves this machine's filesystem, so the tests look at the base
//! directory directly.
#![cfg(feature = "sftp")]

mod sftp_support;

use futures::StreamExt;
use remote_store_async::AsyncStore;
use remote_store_core::{DeleteFolderOptions, Error, ErrorKind};
use remote_store_sftp::{AsyncSftpBackend, SftpBackend};
use remote_store_sync::Store;
use sftp_support::Sshd;

#[track_caller]
fn assert_missing_base(what: &str, e: Option<Error>, base: &str) {
    let e = e.unwrap_or_else(|| panic!("{what} must fail on a missing base directory"));
    assert_eq!(e.kind(), ErrorKind::NotFound, "{what}: {e}");
    assert!(e.is_container_not_found(), "{what}: {e:?}");
    let text = e.to_string();
    assert!(
        text.contains(&format!("base path \"{base}\" does not exist"))
            && text.contains("create_base_path"),
        "{what}: {text}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_missing_base_is_named_and_never_created() {
    let Some(sshd) = Sshd::from_env() else { return };
    let config = sshd.config("missing-base").create_base_path(false);
    let base = config.base_path.clone();
    let store = AsyncStore::new(AsyncSftpBackend::new(config).unwrap(), "").unwrap();
    assert_missing_base("ping", store.ping().await.err(), &base);
    assert_missing_base("exists", store.exists("a.txt").await.err(), &base);
    assert_missing_base("is_folder", store.is_folder("d").await.err(), &base);
    let listed = match store.list_files("") {
        Ok(mut files) => files.next().await.and_then(Result::err),
        Err(e) => Some(e),
    };
    assert_missing_base("list_files", listed, &base);
    assert_missing_base("read_bytes", store.read_bytes("a.txt").await.err(), &base);
    assert_missing_base("write", store.write("a.txt", "x").await.err(), &base);
    assert_missing_base(
        "write below",
        store.write("d/a.txt", "x").await.err(),
        &base,
    );
    assert!(
        !std::path::Path::new(&base).exists(),
        "a write must not create the base directory {base}"
    );

    // The blocking half agrees.
    let config = sshd.config("missing-base-s").create_base_path(false);
    let base = config.base_path.clone();
    let store = Store::new(SftpBackend::new(config).unwrap(), "").unwrap();
    let check = tokio::task::spawn_blocking(move || {
        assert_missing_base("exists (sync)", store.exists("a.txt").err(), &base);
        assert_missing_base("write (sync)", store.write("a.txt", "x").err(), &base);
        assert!(!std::path::Path::new(&base).exists());
    });
    check.await.unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn create_base_path_creates_it_on_the_first_call() {
    let Some(sshd) = Sshd::from_env() else { return };
    let config = sshd.config("created-base").create_base_path(true);
    let base = config.base_path.clone();
    let store = AsyncStore::new(AsyncSftpBackend::new(config).unwrap(), "").unwrap();
    assert!(!store.exists("a.txt").await.unwrap());
    assert!(
        std::path::Path::new(&base).is_dir(),
        "the first call creates {base}"
    );
    store.write("a.txt", "x").await.unwrap();
    assert_eq!(store.read_bytes("a.txt").await.unwrap(), "x".as_bytes());
}

#[tokio::test(flavor = "multi_thread")]
async fn a_file_as_base_is_invalid_argument() {
    let Some(sshd) = Sshd::from_env() else { return };
    let config = sshd.config("file-base").create_base_path(true);
    let base = config.base_path.clone();
    std::fs::create_dir_all(std::path::Path::new(&base).parent().unwrap()).unwrap();
    std::fs::write(&base, "not a folder").unwrap();
    let store = AsyncStore::new(AsyncSftpBackend::new(config).unwrap(), "").unwrap();
    let e = store.exists("a.txt").await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidArgument, "{e}");
    assert!(e.to_string().contains("is not a directory"), "{e}");
}

/// Entries of the served folder that cannot be files of the store are left out of
/// listings, in both halves: a name with a backslash (it was listed as `back/slash`, a
/// file that does not exist, so a tree copy failed on it), a name that is not UTF-8, a FIFO
/// and a broken link; and a
/// recursive listing does not walk into a link to a folder (`sub/up` → `..` was walked
/// again and again, `sub/up/sub/up/...`, until the server refused the path).
#[tokio::test(flavor = "multi_thread")]
async fn listings_leave_out_what_cannot_be_a_file() {
    let Some(sshd) = Sshd::from_env() else { return };
    let config = sshd.config("odd-names").create_base_path(true);
    let base = std::path::PathBuf::from(&config.base_path);
    let store = AsyncStore::new(AsyncSftpBackend::new(config.clone()).unwrap(), "").unwrap();
    store.write("sub/plain.txt", "p").await.unwrap();
    std::fs::write(base.join("sub/back\\slash"), "b").unwrap();
    // Not UTF-8: listed as `caf\u{FFFD}`, a key that names no file.
    use std::os::unix::ffi::OsStrExt;
    let latin1 = std::ffi::OsStr::from_bytes(b"caf\xe9");
    std::fs::write(base.join("sub").join(latin1), "l").unwrap();
    let fifo = std::process::Command::new("mkfifo")
        .arg(base.join("sub/pipe"))
        .status()
        .unwrap();
    assert!(fifo.success());
    std::os::unix::fs::symlink("nowhere", base.join("sub/broken")).unwrap();
    std::os::unix::fs::symlink("..", base.join("sub/up")).unwrap();
    let want = vec!["sub/plain.txt".to_owned()];
    let mut listed = Vec::new();
    let mut files = store
        .list_files_with("", remote_store_core::ListOptions::subtree())
        .unwrap();
    while let Some(f) = files.next().await {
        listed.push(f.unwrap().path.to_string());
    }
    assert_eq!(listed, want, "async");
    let config = config.create_base_path(false);
    let listed = tokio::task::spawn_blocking(move || {
        let store = Store::new(SftpBackend::new(config).unwrap(), "").unwrap();
        store
            .list_files_with("", remote_store_core::ListOptions::subtree())
            .unwrap()
            .map(|f| f.unwrap().path.to_string())
            .collect::<Vec<_>>()
    })
    .await
    .unwrap();
    assert_eq!(listed, want, "sync");
}

/// A base directory removed after the backend checked it is reported as missing (a
/// missing container) by listings, writes and probes, in both halves: a listing answered
/// an empty store, a write made the base again, `mkdir -p` style, and `exists` said false.
#[tokio::test(flavor = "multi_thread")]
async fn a_removed_base_is_said_as_such() {
    let Some(sshd) = Sshd::from_env() else { return };
    let config = sshd.config("removed-base").create_base_path(true);
    let base = std::path::PathBuf::from(&config.base_path);
    let store = AsyncStore::new(AsyncSftpBackend::new(config.clone()).unwrap(), "").unwrap();
    store.write("a.txt", "a").await.unwrap();
    let config = config.create_base_path(false);
    let sync_store = {
        let config = config.clone();
        tokio::task::spawn_blocking(move || {
            let store = Store::new(SftpBackend::new(config).unwrap(), "").unwrap();
            assert!(store.exists("a.txt").unwrap());
            store
        })
        .await
        .unwrap()
    };
    let store = AsyncStore::new(AsyncSftpBackend::new(config).unwrap(), "").unwrap();
    assert!(store.exists("a.txt").await.unwrap());
    std::fs::remove_dir_all(&base).unwrap();
    let gone = |what: &str, e: Error| assert!(e.is_container_not_found(), "{what}: {e:?}");
    let mut files = store.list_files("").unwrap();
    gone("listing", files.next().await.unwrap().unwrap_err());
    gone("write", store.write("sub/b.txt", "b").await.unwrap_err());
    // The probes too: "no such file" would describe an empty store.
    gone("exists", store.exists("a.txt").await.unwrap_err());
    gone("is_file", store.is_file("a.txt").await.unwrap_err());
    gone("is_folder", store.is_folder("sub").await.unwrap_err());
    gone("info", store.get_file_info("a.txt").await.unwrap_err());
    assert!(!base.exists(), "a write made the removed base again");
    tokio::task::spawn_blocking(move || {
        gone("sync exists", sync_store.exists("a.txt").unwrap_err());
        let mut files = sync_store.list_files("").unwrap();
        gone("sync listing", files.next().unwrap().unwrap_err());
        gone(
            "sync write",
            sync_store.write("sub/c.txt", "c").unwrap_err(),
        );
    })
    .await
    .unwrap();
    assert!(!base.exists(), "a write made the removed base again");
}

/// A server-side copy of a file bigger than one `copy-data` piece (32 MiB; each piece is
/// one request under the request timeout, where the whole copy used to be one) copies every
/// byte, into a new file and over an existing one.
#[tokio::test(flavor = "multi_thread")]
async fn a_big_server_side_copy_goes_in_pieces() {
    let Some(sshd) = Sshd::from_env() else { return };
    let config = sshd.config("big-copy").create_base_path(true);
    let store = AsyncStore::new(AsyncSftpBackend::new(config).unwrap(), "").unwrap();
    let len = (32 << 20) + (5 << 20) + 7;
    let data: Vec<u8> = (0..len)
        .map(|i| (i % 251) as u8 ^ (i >> 20) as u8)
        .collect();
    store.write("big.bin", data.clone()).await.unwrap();
    store.write("old.bin", "old").await.unwrap();
    store.copy_file("big.bin", "new.bin").await.unwrap();
    store
        .copy_file_with(
            "big.bin",
            "old.bin",
            remote_store_core::CopyOptions::new().overwrite(true),
        )
        .await
        .unwrap();
    for name in ["new.bin", "old.bin"] {
        let got = store.read_bytes(name).await.unwrap();
        assert!(
            got.len() == data.len() && got[..] == data[..],
            "{name}: {} bytes",
            got.len()
        );
    }
}

/// A plain write of a new file that fails after another writer has overwritten the name
/// leaves that writer's file alone (ADR 0019): it used to stream into the name and then
/// remove "its" file by name, which by then was the other writer's committed overwrite.
#[tokio::test(flavor = "multi_thread")]
async fn a_failed_new_file_write_never_removes_another_writers_file() {
    let Some(sshd) = Sshd::from_env() else { return };
    let config = sshd.config("new-file-race").create_base_path(true);
    let store = AsyncStore::new(AsyncSftpBackend::new(config).unwrap(), "").unwrap();
    let (fail, failed) = tokio::sync::oneshot::channel::<()>();
    let first = futures::stream::iter([Ok(bytes::Bytes::from_static(b"first writer, part 1"))]);
    let then_fail = futures::stream::once(async move {
        let _ = failed.await;
        Err(std::io::Error::other("the first writer's source failed"))
    });
    let content = remote_store_async::AsyncContent::chunks(first.chain(then_fail));
    let writer = {
        let store = store.clone();
        tokio::spawn(async move { store.write("race.txt", content).await })
    };
    // The first writer has started (its first part is on its way); the second overwrites.
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    store
        .write_with(
            "race.txt",
            "second writer",
            remote_store_core::WriteOptions::overwriting(),
        )
        .await
        .unwrap();
    // (Had the first writer not started yet, it finds the name taken: also a failure.)
    let _ = fail.send(());
    let e = writer.await.unwrap().unwrap_err();
    assert!(
        e.to_string().contains("source failed") || e.kind() == ErrorKind::AlreadyExists,
        "{e}"
    );
    assert_eq!(store.read_text("race.txt").await.unwrap(), "second writer");
}

/// `delete_folder` of a link to a folder removes the link and never what it leads to, in
/// both halves: recursively it emptied the folder it named (which could be outside the
/// base path) and then left the link; not recursive, it goes only when that folder is
/// empty (`DirectoryNotEmpty` otherwise, as for the folder itself).
#[tokio::test(flavor = "multi_thread")]
async fn deleting_a_link_to_a_folder_keeps_the_folder() {
    let Some(sshd) = Sshd::from_env() else { return };
    let config = sshd.config("folder-links").create_base_path(true);
    let base = std::path::PathBuf::from(&config.base_path);
    let store = AsyncStore::new(AsyncSftpBackend::new(config.clone()).unwrap(), "").unwrap();
    store.write("victim/keep.txt", "kept").await.unwrap();
    std::os::unix::fs::symlink("victim", base.join("alias")).unwrap();
    std::os::unix::fs::symlink("victim", base.join("alias2")).unwrap();
    let e = store.delete_folder("alias").await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::DirectoryNotEmpty, "{e}");
    store
        .delete_folder_with("alias", DeleteFolderOptions::new().recursive(true))
        .await
        .unwrap();
    assert!(
        std::fs::symlink_metadata(base.join("alias")).is_err(),
        "the link is gone"
    );
    assert_eq!(store.read_text("victim/keep.txt").await.unwrap(), "kept");
    let config = config.create_base_path(false);
    tokio::task::spawn_blocking(move || {
        let store = Store::new(SftpBackend::new(config).unwrap(), "").unwrap();
        store
            .delete_folder_with("alias2", DeleteFolderOptions::new().recursive(true))
            .unwrap();
        assert_eq!(store.read_text("victim/keep.txt").unwrap(), "kept");
    })
    .await
    .unwrap();
    assert!(std::fs::symlink_metadata(base.join("alias2")).is_err());
}

/// An overwrite — plain, atomic, or a server-side copy — replaces the file through a temp
/// file (ADR 0018) and keeps the replaced file's permission bits exactly: a 0664 file
/// comes back neither 0644 (the server's umask) nor with bits it did not have.
#[tokio::test(flavor = "multi_thread")]
async fn an_overwrite_keeps_the_permission_bits() {
    use std::os::unix::fs::PermissionsExt;
    let Some(sshd) = Sshd::from_env() else { return };
    let config = sshd.config("modes").create_base_path(true);
    let base = std::path::PathBuf::from(&config.base_path);
    let store = AsyncStore::new(AsyncSftpBackend::new(config).unwrap(), "").unwrap();
    let opts = remote_store_core::WriteOptions::overwriting();
    store.write("source.txt", "new").await.unwrap();
    for (name, how) in [("plain.txt", 0), ("atomic.txt", 1), ("copied.txt", 2)] {
        store.write(name, "old").await.unwrap();
        let file = base.join(name);
        std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o664)).unwrap();
        let old_inode = std::os::unix::fs::MetadataExt::ino(&std::fs::metadata(&file).unwrap());
        match how {
            0 => store.write_with(name, "new", opts.clone()).await.map(drop),
            1 => store
                .write_atomic_with(name, "new", opts.clone())
                .await
                .map(drop),
            _ => {
                let copy = remote_store_core::CopyOptions::new().overwrite(true);
                store.copy_file_with("source.txt", name, copy).await
            }
        }
        .unwrap();
        assert_eq!(std::fs::read_to_string(&file).unwrap(), "new");
        let meta = std::fs::metadata(&file).unwrap();
        let mode = meta.permissions().mode() & 0o7777;
        assert_eq!(mode, 0o664, "{name}: {mode:o}");
        // A new file took the name: the old one was never written into.
        let inode = std::os::unix::fs::MetadataExt::ino(&meta);
        assert_ne!(inode, old_inode, "{name} was written in place");
    }
}
