//! # remote-store
//!
//! One small, safe, streaming API to read, write, list, move and delete files, whatever
//! holds them: memory, a local directory, Amazon S3 (and S3-compatible servers), Azure Blob
//! Storage or an SFTP server — as **two clients with one contract**:
//!
//! - [`Store`] over a [`Backend`]: plain blocking calls, for CLIs, batch jobs and code with
//!   no async runtime. It works from any thread, including inside a tokio runtime.
//! - [`AsyncStore`] over an [`AsyncBackend`]: `async fn`s for tokio services.
//!
//! Every backend passes the same conformance suite in both halves. Paths are validated
//! [`RemotePath`]s that can never escape the store root; `overwrite` is false unless asked;
//! reads and writes stream with bounded memory; errors are one [`Error`] type with a
//! matchable [`ErrorKind`].
//!
//! ```
//! use remote_store::memory::MemoryBackend;
//! use remote_store::{Store, WriteOptions};
//!
//! # fn main() -> remote_store::Result<()> {
//! let store = Store::new(MemoryBackend::new(), "")?;
//! store.write("reports/q3.csv", "region,total\nnorth,7\n", WriteOptions::new())?;
//! for file in store.list_files("reports", false)? {
//!     let file = file?;
//!     println!("{} ({} bytes)", file.path, file.size);
//! }
//! assert_eq!(store.read_text("reports/q3.csv")?.lines().count(), 2);
//! # Ok(()) }
//! ```
//!
//! ## Feature flags
//!
//! | feature | default | enables |
//! |---|---|---|
//! | `memory` | yes | [`memory`]: `MemoryBackend`, `AsyncMemoryBackend` |
//! | `local` | yes | [`local`]: `LocalBackend`, `AsyncLocalBackend` |
//! | `s3` | no | `s3`: `S3Backend`, `AsyncS3Backend` (aws-sdk-s3) |
//! | `azure` | no | `azure`: `AzureBackend`, `AsyncAzureBackend` (azure_storage_blob) |
//! | `sftp` | no | `sftp`: `SftpBackend`, `AsyncSftpBackend` (russh) |
//! | `full` | no | all of the above |
//! | `serde` | no | `Deserialize`/`Serialize` for core values |

pub use remote_store_async::{
    AsyncBackend, AsyncContent, AsyncStore, BlockingAdapter, ByteStream, EntryStream, FileStream,
    FolderStream, SyncBackendAdapter, async_trait,
};
pub use remote_store_core::{
    Capability, CapabilitySet, ContentDigest, Entry, Error, ErrorKind, FileInfo, FolderEntry,
    FolderInfo, GlobPattern, ListOptions, Metadata, RemotePath, Result, Secret, WriteOptions,
    WriteResult, WriteResultSource, duration,
};
pub use remote_store_sync::{
    Backend, Content, EntryIter, FileIter, FolderIter, Reader, SeekRead, SeekReader, Store,
};

/// In-process memory backends (feature `memory`).
#[cfg(feature = "memory")]
pub use remote_store_memory as memory;

/// Local filesystem backends (feature `local`).
#[cfg(feature = "local")]
pub use remote_store_local as local;

/// Amazon S3 and S3-compatible backends (feature `s3`).
#[cfg(feature = "s3")]
pub use remote_store_s3 as s3;

/// Azure Blob Storage backends (feature `azure`).
#[cfg(feature = "azure")]
pub use remote_store_azure as azure;

/// SFTP backends (feature `sftp`).
#[cfg(feature = "sftp")]
pub use remote_store_sftp as sftp;

/// Building blocks for backend authors: the store policy and the portable fallbacks.
pub mod backend_kit {
    pub use remote_store_async::fallback as async_fallback;
    pub use remote_store_core::plan;
    pub use remote_store_sync::fallback as sync_fallback;
}
