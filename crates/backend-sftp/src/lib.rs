//! SFTP backend for remote-store, in pure Rust on [russh] and [russh-sftp]: files on any
//! SSH server with the SFTP subsystem (tested against OpenSSH's `sshd`).
//!
//! | type | feature | for |
//! |---|---|---|
//! | [`AsyncSftpBackend`] | `async` | `remote_store_async::AsyncStore` |
//! | [`SftpBackend`] | `sync` | `remote_store_sync::Store` |
//! | [`SftpConfig`], [`Auth`], [`HostKeyPolicy`] | always | both |
//!
//! **One client, two faces.** The SSH and SFTP protocol work is written once, async;
//! [`SftpBackend`] drives that same client on the runtime all blocking backends share
//! (through `remote_store_async::BlockingAdapter`) rather than keeping a second, blocking
//! copy of the protocol code that would drift. So `sync` alone still compiles tokio and the async
//! machinery (that shared runtime): only the memory and local backends are tokio-free.
//!
//! **Host keys are verified by default.** [`HostKeyPolicy::Strict`] accepts only keys listed
//! in the configured known hosts (inline lines or an OpenSSH `known_hosts` file, including
//! hashed and `[host]:port` entries) and refuses anything else with `PermissionDenied`
//! naming the key's SHA256 fingerprint. See `docs/backends/sftp.md` for TOFU and how to get
//! a fingerprint.
//!
//! **Semantics.** Folders are real directories (empty ones persist); writes create missing
//! parents; `write_atomic` uploads to a hidden `.~tmp.<name>.<random>` sibling and renames
//! it into place with `posix-rename@openssh.com`; `overwrite = false` is enforced by the
//! server (`CREATE|EXCL` on open, a non-replacing `RENAME` for atomic writes and moves).
//! Reads and writes keep several 128 KiB requests in flight. Errors are mapped from SFTP
//! status codes, never from message text.
//!
//! [russh]: https://docs.rs/russh
//! [russh-sftp]: https://docs.rs/russh-sftp
#![cfg_attr(not(feature = "async"), allow(unreachable_pub, dead_code))]
#![cfg_attr(docsrs, feature(doc_cfg))]

mod async_backend;
mod config;
mod connection;
mod error;
mod inner;
mod known_hosts;
mod listing;
mod paths;
#[cfg(feature = "sync")]
mod sync_backend;
mod transfer;

#[cfg(feature = "async")]
#[cfg_attr(docsrs, doc(cfg(feature = "async")))]
pub use async_backend::AsyncSftpBackend;
pub use config::{Auth, HostKeyPolicy, PrivateKeySource, SftpConfig};
#[cfg(feature = "sync")]
#[cfg_attr(docsrs, doc(cfg(feature = "sync")))]
pub use sync_backend::SftpBackend;
