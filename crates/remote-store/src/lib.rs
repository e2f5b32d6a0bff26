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
//! # #[cfg(all(feature = "sync", feature = "memory"))]
//! # fn main() -> remote_store::Result<()> {
//! use remote_store::memory::MemoryBackend;
//! use remote_store::Store;
//!
//! let store = Store::new(MemoryBackend::new(), "")?;
//! store.write("reports/q3.csv", "region,total\nnorth,7\n")?;
//! for file in store.list_files("reports")? {
//!     let file = file?;
//!     println!("{} ({} bytes)", file.path, file.size);
//! }
//! assert_eq!(store.read_text("reports/q3.csv")?.lines().count(), 2);
//! # Ok(()) }
//! # #[cfg(not(all(feature = "sync", feature = "memory")))]
//! # fn main() {}
//! ```
//!
//! ## Feature flags
//!
//! | feature | default | enables |
//! |---|---|---|
//! | `sync` | yes | [`Store`], [`Backend`] and the blocking half of each enabled backend |
//! | `async` | yes | [`AsyncStore`], [`AsyncBackend`], the adapters and the async half of each enabled backend |
//! | `memory` | yes | [`memory`]: `MemoryBackend`, `AsyncMemoryBackend` |
//! | `local` | yes | [`local`]: `LocalBackend`, `AsyncLocalBackend` |
//! | `s3` | no | `s3`: `S3Config`, `S3Backend`, `AsyncS3Backend` (aws-sdk-s3) |
//! | `azure` | no | `azure`: `AzureConfig`, `AzureBackend`, `AsyncAzureBackend` (azure_storage_blob) |
//! | `sftp` | no | `sftp`: `SftpConfig`, `SftpBackend`, `AsyncSftpBackend` (russh) |
//! | `full` | no | all five backends |
//! | `layers` | no | [`layers`]: `Observe`, `Retry`, `ConcurrencyLimit` for the enabled halves |
//! | `tracing` | no | `layers` plus `layers::TracingObserver`: a `tracing` span per operation |
//! | `metrics` | no | `layers` plus `layers::MetricsObserver`: counters and a histogram via `metrics` |
//! | `transfer` | no | [`transfer`]: batches, upload/download/store-to-store transfers with progress, digests, for the enabled halves |
//! | `config` | no | `config`: `Registry`, `RegistryConfig`, `open_url` (stores by name from TOML/JSON, by URL), for the enabled backends; implies `sync` and `async` |
//! | `object-store` | no | `async` plus `object_store`: `ObjectStoreAdapter`, object_store's `ObjectStore` over an `AsyncStore` (DataFusion, Polars, delta-rs) |
//! | `serde` | no | `Deserialize`/`Serialize` for core values |
//! | `s3-sdk` | no | `s3` plus `s3::aws_sdk_s3`, the SDK itself |
//! | `azure-sdk` | no | `azure` plus `azure::azure_storage_blob`, the SDK itself |
//!
//! **Sync-only builds compile no async runtime.** With `default-features = false` and
//! `features = ["sync", "memory", "local"]` the dependency tree holds no tokio, mio or
//! futures. The blocking S3, Azure and SFTP backends are their async backends driven on a
//! runtime each owns, so enabling one of them brings tokio back.
//!
//! **The SDK re-exports are outside the semver promise.** `s3-sdk` and `azure-sdk` exist so
//! that code reaching the native client (`Store::native::<T>()`) can name `T` with the exact
//! SDK version the backend was built with; that version may change in any release, minor or
//! patch. Without them no SDK type appears in this crate's API.

#![cfg_attr(docsrs, feature(doc_cfg))]

#[cfg(feature = "async")]
#[cfg_attr(docsrs, doc(cfg(feature = "async")))]
pub use remote_store_async::{
    AsyncBackend, AsyncContent, AsyncSeekReader, AsyncStore, AsyncWriter, BlockingAdapter,
    ByteStream, EntryStream, FileStream, FolderStream, SyncBackendAdapter, async_trait,
};
pub use remote_store_core::{
    Capability, CapabilitySet, ChecksumAlgorithm, ContentDigest, CopyOptions, DeleteFolderOptions,
    DeleteOptions, Entry, Error, ErrorKind, FileInfo, FolderEntry, FolderInfo, GlobPattern,
    ListOptions, Metadata, MoveOptions, Operation, ReadOptions, RemotePath, Result, RetryPolicy,
    Secret, WriteMode, WriteOptions, WriteResult, WriteResultSource, duration,
};
#[cfg(feature = "sync")]
#[cfg_attr(docsrs, doc(cfg(feature = "sync")))]
pub use remote_store_sync::{
    Backend, Content, EntryIter, FileIter, FolderIter, Reader, SeekRead, SeekReader, Store, Writer,
};

// `doc(inline)` on the backend modules: without it rustdoc shows a bare `pub use` line and
// none of the backend types (`MemoryBackend`, `S3Config`, ...) appear in these docs.

/// In-process memory backends (feature `memory`).
#[cfg(feature = "memory")]
#[cfg_attr(docsrs, doc(cfg(feature = "memory")))]
#[doc(inline)]
pub use remote_store_memory as memory;

/// Local filesystem backends (feature `local`).
#[cfg(feature = "local")]
#[cfg_attr(docsrs, doc(cfg(feature = "local")))]
#[doc(inline)]
pub use remote_store_local as local;

/// Amazon S3 and S3-compatible backends (feature `s3`).
#[cfg(feature = "s3")]
#[cfg_attr(docsrs, doc(cfg(feature = "s3")))]
#[doc(inline)]
pub use remote_store_s3 as s3;

/// Azure Blob Storage backends (feature `azure`).
#[cfg(feature = "azure")]
#[cfg_attr(docsrs, doc(cfg(feature = "azure")))]
#[doc(inline)]
pub use remote_store_azure as azure;

/// SFTP backends (feature `sftp`).
#[cfg(feature = "sftp")]
#[cfg_attr(docsrs, doc(cfg(feature = "sftp")))]
#[doc(inline)]
pub use remote_store_sftp as sftp;

/// Layers that wrap any backend and are backends themselves: observe (events, `tracing`,
/// `metrics`), retry with resumed reads, and a concurrency limit (feature `layers`).
#[cfg(feature = "layers")]
#[cfg_attr(docsrs, doc(cfg(feature = "layers")))]
#[doc(inline)]
pub use remote_store_layers as layers;

/// Bulk work for the enabled halves: batch deletes, copies, moves and probes; upload,
/// download and store-to-store transfers of files and trees with progress; streaming
/// digests and verification (feature `transfer`). See `docs/transfer.md`.
#[cfg(feature = "transfer")]
#[cfg_attr(docsrs, doc(cfg(feature = "transfer")))]
#[doc(inline)]
pub use remote_store_transfer as transfer;

/// Stores by name and by URL (feature `config`): a [`Registry`](config::Registry) loaded
/// from TOML or JSON with `${VAR}` placeholders, and [`open_url`](config::open_url).
#[cfg(feature = "config")]
#[cfg_attr(docsrs, doc(cfg(feature = "config")))]
#[doc(inline)]
pub use remote_store_config as config;

/// object_store's `ObjectStore` over an [`AsyncStore`]: `ObjectStoreAdapter`, and the
/// pinned `object_store` crate itself as `object_store::object_store` (feature
/// `object-store`).
///
/// ```
/// # #[cfg(all(feature = "object-store", feature = "memory"))]
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// use remote_store::memory::AsyncMemoryBackend;
/// use remote_store::object_store::ObjectStoreAdapter;
/// use remote_store::object_store::object_store::{ObjectStoreExt, path::Path};
/// use remote_store::AsyncStore;
///
/// let store = AsyncStore::new(AsyncMemoryBackend::new(), "")?;
/// let os = ObjectStoreAdapter::new(store.clone());
/// os.put(&Path::from("data/a.csv"), "x,y\n1,2\n".into()).await?;
/// let bytes = os.get(&Path::from("data/a.csv")).await?.bytes().await?;
/// assert_eq!(&bytes[..], b"x,y\n1,2\n");
/// // The same object, through the store: the path is the key.
/// assert_eq!(store.read_text("data/a.csv").await?, "x,y\n1,2\n");
/// # Ok(()) }
/// # #[cfg(not(all(feature = "object-store", feature = "memory")))]
/// # fn main() {}
/// ```
#[cfg(feature = "object-store")]
#[cfg_attr(docsrs, doc(cfg(feature = "object-store")))]
#[doc(inline)]
pub use remote_store_object_store as object_store;

/// Building blocks for backend authors: the portable fallbacks a backend can call for the
/// operations its storage system has no native form of.
pub mod backend_kit {
    #[cfg(feature = "async")]
    #[cfg_attr(docsrs, doc(cfg(feature = "async")))]
    #[doc(inline)]
    pub use remote_store_async::fallback as async_fallback;
    #[cfg(feature = "sync")]
    #[cfg_attr(docsrs, doc(cfg(feature = "sync")))]
    #[doc(inline)]
    pub use remote_store_sync::fallback as sync_fallback;
}

/// The README's examples, compiled as doc tests so they cannot drift from the API.
#[cfg(all(
    doctest,
    feature = "sync",
    feature = "async",
    feature = "local",
    feature = "s3",
    feature = "config"
))]
#[doc = include_str!("../../../README.md")]
pub struct ReadmeDoctests;

/// `docs/transfer.md`'s examples, compiled and run as doc tests so they cannot drift.
#[cfg(all(
    doctest,
    feature = "sync",
    feature = "async",
    feature = "memory",
    feature = "transfer"
))]
#[doc = include_str!("../../../docs/transfer.md")]
pub struct TransferDoctests;

/// `docs/layers.md`'s and `docs/observability.md`'s examples, compiled and run as doc
/// tests so they cannot drift.
#[cfg(all(doctest, feature = "sync", feature = "memory", feature = "tracing"))]
#[doc = include_str!("../../../docs/layers.md")]
#[doc = include_str!("../../../docs/observability.md")]
pub struct LayersDoctests;
