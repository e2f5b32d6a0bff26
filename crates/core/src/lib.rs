//! Core types of `remote-store`: the vocabulary every backend and both stores share.
//!
//! This crate holds values and pure policy only: [`RemotePath`] (validated, normalised keys),
//! [`Error`] and [`ErrorKind`], [`Capability`] and [`CapabilitySet`], the info and write
//! values, and the [`plan`] functions both stores use to validate, gate and rebase. It has
//! no async runtime and performs no I/O, so a third-party backend can depend on it alone.
//!
//! ```
//! use remote_store_core::{RemotePath, ErrorKind};
//!
//! let p = RemotePath::file("reports//q3/./data.csv").unwrap();
//! assert_eq!(p.as_str(), "reports/q3/data.csv");
//! assert_eq!(RemotePath::file("../etc/passwd").unwrap_err().kind(), ErrorKind::InvalidPath);
//! ```

mod capability;
mod error;
mod glob;
mod info;
mod list;
mod metadata;
mod path;
pub mod plan;
mod write;

pub use capability::{Capability, CapabilitySet};
pub use error::{Error, ErrorKind, Result};
pub use glob::GlobPattern;
pub use info::{ContentDigest, Entry, FileInfo, FolderEntry, FolderInfo};
pub use list::{ListFilter, ListOptions};
pub use metadata::{MAX_METADATA_BYTES, Metadata};
pub use path::{RESERVED_PREFIX, RemotePath};
pub use write::{WriteOptions, WriteResult, WriteResultSource};
