//! The blocking half of remote-store: the [`Backend`] trait and [`Store`].
//!
//! [`Store`] is what applications use: plain blocking calls that validate paths, check
//! capabilities before any I/O, prefix the store root and rebase returned paths. A
//! [`Backend`] does the I/O; implement it (and prove it with `remote-store-conformance`) to
//! add a storage system. Nothing here depends on an async runtime.
//!
//! Content that code produces piece by piece goes through a [`Writer`]
//! ([`Store::writer`], [`Store::atomic_writer`]): a `std::io::Write` whose
//! [`finish`](Writer::finish) commits, and which leaves nothing behind when dropped.
//!
//! ```
//! # fn main() -> remote_store_core::Result<()> {
//! # use remote_store_sync::{Backend, Store};
//! # fn demo(backend: impl Backend) -> remote_store_core::Result<()> {
//!
//! let store = Store::new(backend, "reports")?;
//! store.write("q3/summary.txt", "all good")?;
//! assert_eq!(store.read_text("q3/summary.txt")?, "all good");
//! # Ok(()) }
//! # Ok(()) }
//! ```

mod backend;
mod content;
pub mod fallback;
mod shared;
mod store;
mod writer;

pub use backend::{Backend, EntryIter, FileIter, FolderIter, Reader, SeekRead, SeekReader};
pub use content::Content;
pub use remote_store_core as core;
pub use store::Store;
pub use writer::Writer;
