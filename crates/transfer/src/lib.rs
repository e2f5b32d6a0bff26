//! Bulk work over remote-store, for both halves: batch operations, file and tree
//! transfers with progress, and streaming digests.
//!
//! - **Batches** — [`sync::delete_many`], [`sync::copy_many`], [`sync::move_many`],
//!   [`sync::exists_many`] (and their [`aio`] twins) run many store calls at a bounded
//!   concurrency and return a [`BatchResult`] listing every success and every failure with
//!   its error. A batch never stops at the first failure unless asked
//!   ([`BatchOptions::stop_on_error`]).
//! - **Transfers** — [`sync::upload`] (local → store), [`sync::download`] (store → local)
//!   and [`sync::copy_between`] (store → store) move one file or a whole tree, streaming
//!   each file with bounded memory, several files in flight, with an [`IfExists`] policy
//!   (fail, overwrite, skip, skip-if-same), a dry run that returns the plan, atomic writes
//!   by default and optional verification. A big file is downloaded as several ranged
//!   parts at once, each read `if_match` the etag the file had when its download began
//!   ([`TransferOptions::parts_in_flight`], [`TransferOptions::part_size`]; only on stores
//!   with `range_read` and `conditional_read`, atomic and not verifying).
//! - **Progress** — a [`Progress`] observer sees totals, each file's start and end, bytes as
//!   they move and the throughput; without one nothing is counted but the report.
//! - **Integrity** — [`Hasher`] (SHA-256, CRC32C, MD5), [`HashingReader`] and
//!   [`HashingStream`] adapters, `write_with_digest` (the digest comes back in
//!   `WriteResult::digest`), `digest` and `verify`.
//!
//! The two halves are mirrored function for function: [`sync`] takes a
//! `remote_store_sync::Store` and blocks (a bounded pool of scoped threads runs the items);
//! [`aio`] takes a `remote_store_async::AsyncStore` and returns futures that run every item
//! inside themselves, so dropping one cancels what is still running. Options, results,
//! plans and the progress trait are shared.
//!
//! **Why the public store API only.** This crate never depends on a backend crate: it
//! reads, writes, lists and probes through `Store` / `AsyncStore` like any user, so every
//! backend — a third-party one too — gets batches and transfers for free, and every store
//! guarantee (paths that cannot escape the root, `write_atomic` leaving no partial object,
//! errors naming backend, operation and path) holds inside them.
//!
//! ```
//! # #[cfg(feature = "sync")]
//! # fn demo(store: &remote_store_sync::Store, backup: &remote_store_sync::Store) -> remote_store_core::Result<()> {
//! use remote_store_transfer::{IfExists, TransferOptions, sync};
//!
//! // Mirror a prefix into another store, copying only files that changed.
//! let opts = TransferOptions::new().if_exists(IfExists::SkipIfSame);
//! let report = sync::copy_between_with(store, "reports", backup, "reports", &opts)?;
//! println!("{} copied, {} unchanged", report.copied().count(), report.skipped().count());
//!
//! // Delete what is no longer wanted, 32 at a time; every outcome is reported.
//! let result = sync::delete_many_with(
//!     store,
//!     ["tmp/a", "tmp/b"],
//!     Default::default(),
//!     &remote_store_transfer::BatchOptions::new().concurrency(32),
//! );
//! for (item, err) in &result.failed {
//!     eprintln!("{item}: {err}");
//! }
//! # Ok(()) }
//! ```
//!
//! See `docs/transfer.md` for an example of every function in both halves.
//!
//! ## Feature flags
//!
//! | feature | default | enables |
//! |---|---|---|
//! | `sync` | yes | [`sync`]: the blocking functions over `Store` |
//! | `async` | yes | [`aio`]: the async functions over `AsyncStore` (futures, tokio's `fs`) |

#![cfg_attr(docsrs, feature(doc_cfg))]

mod batch;
mod integrity;
mod progress;
mod transfer;

pub use batch::{BatchItem, BatchOptions, BatchResult, DEFAULT_CONCURRENCY};
pub use integrity::Hasher;
#[cfg(feature = "async")]
#[cfg_attr(docsrs, doc(cfg(feature = "async")))]
pub use integrity::r#async::HashingStream;
#[cfg(feature = "sync")]
#[cfg_attr(docsrs, doc(cfg(feature = "sync")))]
pub use integrity::sync::HashingReader;
pub use progress::{FileOutcome, NoProgress, Progress, Snapshot};
/// The checksum algorithms, as core defines them (the same type `WriteOptions::checksum` takes).
pub use remote_store_core::ChecksumAlgorithm;
pub use remote_store_core::ContentDigest;
pub use transfer::{
    Action, DEFAULT_FILES_IN_FLIGHT, DEFAULT_PART_SIZE, DEFAULT_PARTS_IN_FLIGHT, FileReport,
    FileStatus, IfExists, PlannedFile, SkipReason, TransferOptions, TransferReport, is_cancelled,
};

/// The blocking half: batches, transfers and digests over `remote_store_sync::Store`.
///
/// Every function blocks until its work is done. Batches and multi-file transfers run on a
/// bounded pool of scoped threads (the caller's thread is one of them), so nothing outlives
/// the call.
#[cfg(feature = "sync")]
#[cfg_attr(docsrs, doc(cfg(feature = "sync")))]
pub mod sync {
    pub use crate::batch::sync::{
        copy_many, copy_many_with, delete_many, delete_many_with, exists_many, exists_many_with,
        move_many, move_many_with,
    };
    pub use crate::integrity::sync::{digest, verify, write_with_digest, write_with_digest_with};
    pub use crate::transfer::sync::{
        copy_between, copy_between_with, download, download_with, upload, upload_with,
    };
}

/// The async half: the same functions as [`sync`], over `remote_store_async::AsyncStore`.
///
/// Each returns a future that runs all its work inside itself (`buffer_unordered`, no
/// spawned task): dropping it cancels whatever is still in flight. Local files are read and
/// written with `tokio::fs`, so transfers need a tokio runtime.
#[cfg(feature = "async")]
#[cfg_attr(docsrs, doc(cfg(feature = "async")))]
pub mod aio {
    pub use crate::batch::r#async::{
        copy_many, copy_many_with, delete_many, delete_many_with, exists_many, exists_many_with,
        move_many, move_many_with,
    };
    pub use crate::integrity::r#async::{
        digest, verify, write_with_digest, write_with_digest_with,
    };
    pub use crate::transfer::r#async::{
        copy_between, copy_between_with, download, download_with, upload, upload_with,
    };
}
