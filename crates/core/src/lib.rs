//! Core types of `remote-store`: the vocabulary every backend and both stores share.
//!
//! This crate holds values and pure policy only: [`RemotePath`] (validated, normalised keys),
//! [`Error`] and [`ErrorKind`], [`Capability`] and [`CapabilitySet`], the info, option and
//! write values, the config building blocks every backend shares ([`Secret`] for
//! credentials, [`duration`] for the one duration syntax), plus, hidden, the policy both
//! stores use to validate, gate and rebase. It has no async runtime and performs no I/O, so
//! a third-party backend can depend on it alone.
//!
//! ```
//! use remote_store_core::{RemotePath, ErrorKind};
//!
//! let p = RemotePath::file("reports//q3/./data.csv").unwrap();
//! assert_eq!(p.as_str(), "reports/q3/data.csv");
//! assert_eq!(RemotePath::file("../etc/passwd").unwrap_err().kind(), ErrorKind::InvalidPath);
//! ```

pub mod bulk;
mod capability;
mod delete;
pub mod duration;
mod error;
mod glob;
mod info;
mod list;
mod metadata;
mod operation;
mod path;
// The store policy. Public only because both store crates (`remote-store-sync` and
// `remote-store-async`) run it; it is not part of the API and changes with the stores.
#[doc(hidden)]
pub mod plan;
mod read;
mod retry;
mod secret;
pub mod timeouts;
mod transfer;
mod write;

pub use capability::{Capability, CapabilitySet};
pub use delete::{DeleteFolderOptions, DeleteOptions};
pub use error::{Error, ErrorKind, Result};
pub use glob::GlobPattern;
pub use info::{ChecksumAlgorithm, ContentDigest, Entry, FileInfo, FolderEntry, FolderInfo};
pub use list::ListOptions;
pub use metadata::{MAX_METADATA_BYTES, Metadata};
pub use operation::Operation;
pub use path::{RESERVED_PREFIX, RemotePath};
pub use read::{ObjectVersion, ReadOptions, etag_matches};
pub use retry::RetryPolicy;
pub use secret::Secret;
pub use transfer::{CopyOptions, MoveOptions};
pub use write::{WriteMode, WriteOptions, WriteResult, WriteResultSource};
