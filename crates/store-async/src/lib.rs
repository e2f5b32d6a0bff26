//! The async half of remote-store: the [`AsyncBackend`] trait, [`AsyncStore`], and the two
//! adapters that let either kind of backend serve either kind of store.
//!
//! - [`AsyncStore`] is the async version of `remote_store_sync::Store`, method for method,
//!   including the streaming [`AsyncWriter`] (`AsyncWrite` + `Sink<Bytes>`) and the
//!   seekable [`AsyncSeekReader`] (`AsyncRead` + `AsyncSeek` over ranged reads).
//! - [`SyncBackendAdapter`] turns any blocking `Backend` into an [`AsyncBackend`] by running
//!   each call on tokio's blocking pool.
//! - [`BlockingAdapter`] turns any [`AsyncBackend`] into a blocking `Backend` by running
//!   each call on a tokio runtime and waiting on a channel — so it works on a plain thread,
//!   inside `#[tokio::main]`, on a current-thread runtime and inside `spawn_blocking`, and
//!   never panics with "Cannot start a runtime from within a runtime". All adapters share
//!   one small runtime per process unless one asks for its own; `close` returns promptly
//!   even while the caller holds listings or readers, which then fail as closed.

mod backend;
mod blocking_adapter;
mod blocking_pump;
mod blocking_runtime;
mod blocking_twin;
mod content;
pub mod fallback;
mod idle;
mod part_buffers;
mod seek;
mod shared;
mod store;
mod stream;
mod sync_adapter;
mod writer;

pub use async_trait::async_trait;
pub use backend::AsyncBackend;
pub use blocking_adapter::BlockingAdapter;
pub use content::AsyncContent;
// Public only for the S3 (multipart parts) and Azure (staged blocks) backend crates, which
// share this pool; not part of the API.
#[doc(hidden)]
pub use part_buffers::PartBuffers;
// Public only for the S3 and Azure transports (idle-based request timeouts); not part of
// the API.
#[doc(hidden)]
pub use idle::Progress;
pub use seek::AsyncSeekReader;
pub use store::AsyncStore;
pub use stream::{ByteStream, EntryStream, FileStream, FolderStream};
pub use sync_adapter::SyncBackendAdapter;
pub use writer::AsyncWriter;

/// What the exported macros refer to; not part of the API.
#[doc(hidden)]
pub mod __private {
    pub use bytes::Bytes;
    pub use remote_store_core::{
        CapabilitySet, CopyOptions, DeleteFolderOptions, DeleteOptions, FileInfo, FolderInfo,
        GlobPattern, ListOptions, MoveOptions, ObjectVersion, ReadOptions, RemotePath, Result,
        WriteMode, WriteOptions, WriteResult,
    };
    pub use remote_store_sync::{
        Backend, Content, EntryIter, FileIter, FolderIter, Reader, SeekReader,
    };
}
