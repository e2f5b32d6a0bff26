//! An in-memory storage system for remote-store, with a blocking half ([`MemoryBackend`],
//! feature `sync`) and an async half ([`AsyncMemoryBackend`], feature `async`).
//!
//! Use it for tests, examples and caches: it follows the same contract as every other
//! backend (it runs the full `remote-store-conformance` suite) and declares every
//! capability except `glob`, which the store's portable glob serves.
//!
//! # The model
//! - **Hierarchical, with implicit folders.** A folder exists while at least one file lies
//!   under it; deleting or moving away its last file removes it. There is no way to hold
//!   an empty folder, so a non-recursive `delete_folder` of an existing folder is always
//!   `DirectoryNotEmpty`. Writes create parent folders and refuse a folder at the target or
//!   a file above it (`InvalidPath`), so no key is both a file and a folder.
//! - **One implementation of the rules.** Both halves share one model (`tree.rs`: a sorted
//!   map of full keys, where each folder's subtree is a contiguous range) and differ only
//!   in how they call it. Every operation is a single step under a `parking_lot` lock, so
//!   `overwrite = false` is race-free (`conditional_create`), so is a write's `if_match`
//!   (`conditional_write`) and a read's conditions (`conditional_read`), `write_atomic` is the same as
//!   `write`, and moves are atomic renames (`atomic_move`) that keep the file's time, etag
//!   and metadata.
//! - **No copies on read.** Reads hand out slices of the stored [`bytes::Bytes`]: a
//!   `Cursor` (also for `read_seekable` and ranged reads) on the blocking side, 64 KiB
//!   chunks on the async side. Streamed writes are collected in memory first, outside the
//!   lock; a source that fails leaves the old content and creates nothing.
//! - **Listings are lazy**, one page of 1000 items per read lock, so a long listing neither
//!   copies the namespace nor blocks writers for long. Items changed between pages may or
//!   may not be seen; none is reported twice.
//! - **The async half never blocks a runtime on I/O:** its `async fn`s take the lock for one
//!   in-memory step and never hold it across an `.await`; there is no thread pool.
//! - **Write results are native:** the etag is a per-backend write counter in hex and
//!   `last_modified` the write time, both exactly what `get_file_info` reports later.
//! - **Checksums on request:** a write with `WriteOptions::checksum` (CRC-32C, SHA-256, MD5
//!   or CRC-64/NVME: `digest_crc32c`, `digest_sha256`, `digest_md5`, `digest_crc64nvme`)
//!   returns that digest of the bytes it stored in `WriteResult.digest`, computed before the
//!   lock is taken, and `get_file_info` reports it in `FileInfo.digest` for as long as the
//!   file is there (copies keep it); writes that ask for none hash nothing.
//! - **Native names** are `memory:///<key>` (`memory:///` for the root), with the key
//!   verbatim (not percent-encoded); `to_key` accepts exactly that form.
//! - **`close` is not terminal:** it releases nothing, and the backend stays usable with
//!   its contents. Memory is freed when the last handle is dropped. [`Clone`] on either
//!   backend shares the contents; `new()` starts empty. With both features,
//!   `AsyncMemoryBackend::from(memory_backend)` views the same contents asynchronously.
//!
//! ```
//! # #[cfg(feature = "sync")]
//! # fn main() -> remote_store_core::Result<()> {
//! use remote_store_core::ErrorKind;
//! use remote_store_memory::MemoryBackend;
//! use remote_store_sync::Store;
//!
//! let store = Store::new(MemoryBackend::new(), "")?;
//! store.write("reports/q3.csv", "a,b\n1,2\n")?;
//! assert!(store.is_folder("reports")?);
//!
//! // The backend decides type conflicts: no file may sit under a file.
//! let err = store.write("reports/q3.csv/x", "").unwrap_err();
//! assert_eq!(err.kind(), ErrorKind::InvalidPath);
//!
//! // Folders are implicit: the last file takes its folder with it.
//! store.delete("reports/q3.csv")?;
//! assert!(!store.exists("reports")?);
//! # Ok(()) }
//! # #[cfg(not(feature = "sync"))]
//! # fn main() {}
//! ```
//!
//! # Features
//! | feature | default | provides |
//! |---|---|---|
//! | `sync` | yes | [`MemoryBackend`] (a `remote_store_sync::Backend`; no tokio) |
//! | `async` | yes | [`AsyncMemoryBackend`] (a `remote_store_async::AsyncBackend`) |
//! | `serde` | no | `Serialize`/`Deserialize` for [`MemoryConfig`] |

#![cfg_attr(docsrs, feature(doc_cfg))]

#[cfg(feature = "async")]
mod async_backend;
mod config;
mod identity;
mod listing;
#[cfg(feature = "sync")]
mod sync_backend;
mod tree;

#[cfg(feature = "async")]
#[cfg_attr(docsrs, doc(cfg(feature = "async")))]
pub use async_backend::AsyncMemoryBackend;
pub use config::MemoryConfig;
#[cfg(feature = "sync")]
#[cfg_attr(docsrs, doc(cfg(feature = "sync")))]
pub use sync_backend::MemoryBackend;
