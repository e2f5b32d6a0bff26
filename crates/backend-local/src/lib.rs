//! A local folder as a remote-store backend, with a blocking half ([`LocalBackend`], feature
//! `sync`) and an async half ([`AsyncLocalBackend`], feature `async`), both configured by
//! one [`LocalConfig`].
//!
//! | feature | default | enables |
//! |---|---|---|
//! | `sync` | yes | [`LocalBackend`], for `remote_store_sync::Store` (std only, no tokio) |
//! | `async` | yes | [`AsyncLocalBackend`], for `remote_store_async::AsyncStore` (tokio) |
//!
//! # The key decision: resolve relative to an open root, never by string
//! The root folder is opened once; every key is resolved *relative to that descriptor* —
//! by the kernel with `openat2` (`RESOLVE_NO_SYMLINKS`, then `RESOLVE_BENEATH` when a link
//! is on the path) on Linux, by a walker that opens one component at a time with
//! `O_NOFOLLOW` elsewhere. So no key, however written, and no
//! symbolic link planted inside the root can lead a call outside it, and there is no gap
//! between checking a path and using it for another process to exploit. Links that stay
//! inside the root are followed; a link that would leave it makes the call fail with
//! [`PermissionDenied`](remote_store_core::ErrorKind::PermissionDenied) ("a symbolic link on
//! this path leads outside the store root"). Names starting with `.~tmp.` are reserved for
//! the backend's temp files: refused as keys, hidden from listings.
//!
//! # Guarantees
//! - `write_atomic` writes a temp file `.~tmp.<name>.<random>` next to the target, fsyncs
//!   it, renames it over the target and fsyncs the folder; every failure — including a
//!   source that fails half-way and a dropped async future — removes the temp file and
//!   leaves the old content.
//! - No write changes a file through a hard link: an overwriting plain `write` onto a file
//!   with more than one link replaces the name like `write_atomic` instead of writing the
//!   shared inode (a link may lead outside the root; ADR 0008). Copies and moves always
//!   replace the name.
//! - `overwrite = false` is race-free (`conditional_create`): plain writes create with
//!   `O_EXCL`; atomic writes, copies and moves promote with `renameat2(RENAME_NOREPLACE)`
//!   or, where that is missing, a hard link that fails atomically if the name is taken.
//! - `move_file` is one `rename` (`atomic_move`); across filesystems (a mount point inside
//!   the root) it copies atomically then deletes, and reports a failed delete as a partial
//!   failure.
//! - Reads are the open file itself (sync) or 1 MiB chunks (async): `read_range` and
//!   `read_seekable` are native; listings are lazy, one open folder per level.
//!
//! Capabilities: everything except `user_metadata`. Unix only (Linux, macOS, the BSDs).
//!
//! ```
//! # fn main() -> remote_store_core::Result<()> {
//! use remote_store_core::ErrorKind;
//! use remote_store_local::{LocalBackend, LocalConfig};
//! use remote_store_sync::Store;
//!
//! let dir = tempfile::tempdir().unwrap();
//! let backend = LocalBackend::from_config(LocalConfig::new(dir.path().join("store")).create_root(true))?;
//! let store = Store::new(backend, "")?;
//! store.write("a/b.txt", "hello")?;
//! let again = store.write("a/b.txt", "again");
//! assert_eq!(again.unwrap_err().kind(), ErrorKind::AlreadyExists);
//! # Ok(()) }
//! ```

#![cfg_attr(docsrs, feature(doc_cfg))]

#[cfg(not(unix))]
compile_error!(
    "remote-store-local supports Unix-like systems only: it resolves every path relative to \
     an open root folder with openat/openat2 to guarantee containment"
);

mod atomic;
mod config;
mod error;
mod list;
mod ops;
mod resolve;
mod root;
mod write;

#[cfg(feature = "async")]
mod async_backend;
#[cfg(feature = "sync")]
mod sync_backend;

#[cfg(feature = "async")]
#[cfg_attr(docsrs, doc(cfg(feature = "async")))]
pub use async_backend::AsyncLocalBackend;
pub use config::{FsyncPolicy, LocalConfig, MAX_INLINE_IO_BYTES};
#[cfg(feature = "sync")]
#[cfg_attr(docsrs, doc(cfg(feature = "sync")))]
pub use sync_backend::LocalBackend;

/// Opens the root of `config` for either half, mapping failures.
fn open_root(config: &LocalConfig) -> remote_store_core::Result<root::Root> {
    config.validate().map_err(|e| e.with_backend(error::NAME))?;
    if config.root.as_os_str().is_empty() {
        return Err(remote_store_core::Error::invalid_argument(
            "the local root is empty: give the folder to serve, such as \"/srv/data\" \
             (\".\" for the current directory)",
        )
        .with_backend(error::NAME));
    }
    let shown = config.root.display().to_string();
    root::Root::open(config)
        .map_err(|e| {
            let mapped = error::map_str(e, &shown);
            match mapped.kind() {
                remote_store_core::ErrorKind::InvalidPath => {
                    mapped.with_message("the root is not a folder")
                }
                // Refused here, at construction, so no operation ever runs on a missing root;
                // the error says which folder and how to fix it.
                remote_store_core::ErrorKind::NotFound => root_not_found(
                    &shown,
                    "check the path, create the folder, or set `create_root`",
                )
                .with_source(mapped),
                _ => mapped,
            }
        })
        .map_err(|e| e.with_backend(error::NAME))
}

/// The error for a root folder `shown` that does not exist (at construction, or removed
/// later), with how to fix it.
pub(crate) fn root_not_found(shown: &str, hint: &str) -> remote_store_core::Error {
    remote_store_core::Error::container_not_found("root folder", shown, hint)
        .with_backend(error::NAME)
}
