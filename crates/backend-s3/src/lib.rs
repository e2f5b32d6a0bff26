//! Amazon S3 (and S3-compatible servers) as a remote-store backend, on the official
//! `aws-sdk-s3`.
//!
//! - [`AsyncS3Backend`] (feature `async`) implements `AsyncBackend` on the SDK's async
//!   client.
//! - [`S3Backend`] (feature `sync`, which enables `async`) implements the blocking
//!   `Backend` by driving the same async backend through `BlockingAdapter`, on the runtime
//!   all blocking backends share. One implementation, two faces: the SDK is async-only,
//!   and two copies of the S3 logic would drift.
//! - [`S3Config`] is the configuration (serde, unknown keys refused, secrets redacted).
//!
//! Folders are key prefixes: no marker objects are written, a folder exists while a key
//! lies below it, and keys ending in `/` written by other tools count as folder evidence
//! but never as files. Writes up to `part_size` are one `PutObject`, larger ones a
//! multipart upload with bounded parts in flight that is aborted on any failure. See
//! `docs/backends/s3.md` for configuration, capabilities and consistency notes.
//!
//! Only one HTTP/TLS stack is built: hyper 1 with rustls (ring).
//!
//! | feature | default | what |
//! |---|---|---|
//! | `sync` | yes | [`S3Backend`] (enables `async`) |
//! | `async` | yes | [`AsyncS3Backend`] |
//! | `sdk` | no | re-exports `aws_sdk_s3` and adds `AsyncS3Backend::with_client` / `client`; outside the semver promise |
//!
//! **Runtime.** The blocking half compiles tokio and the async machinery: [`S3Backend`]
//! is the async backend driven on a small runtime it owns, so `sync` alone does not make
//! this crate tokio-free (only the memory and local backends are).

#![cfg_attr(docsrs, feature(doc_cfg))]

#[cfg(feature = "async")]
mod async_backend;
#[cfg(feature = "async")]
mod bulk;
#[cfg(feature = "async")]
mod client;
mod config;
#[cfg(feature = "async")]
mod copy;
#[cfg(feature = "async")]
mod error;
#[cfg(feature = "async")]
mod inner;
#[cfg(feature = "async")]
mod keys;
#[cfg(feature = "async")]
mod list;
#[cfg(feature = "async")]
mod read;
#[cfg(feature = "sync")]
mod sync_backend;
#[cfg(feature = "async")]
mod transport;
#[cfg(feature = "async")]
mod upload;

#[cfg(feature = "async")]
#[cfg_attr(docsrs, doc(cfg(feature = "async")))]
pub use async_backend::AsyncS3Backend;
/// The SDK this backend is built on (feature `sdk`), re-exported so that callers of
/// `native_client` / `unwrap` and [`AsyncS3Backend::with_client`] use the same version.
///
/// **Outside the semver promise:** the SDK's version may change in any release of this
/// crate, minor or patch. Without the feature no SDK type appears in this crate's API.
#[cfg(feature = "sdk")]
#[cfg_attr(docsrs, doc(cfg(feature = "sdk")))]
pub use aws_sdk_s3;
pub use config::{
    Checksums, DEFAULT_MAX_CONCURRENCY, DEFAULT_PART_SIZE, MAX_LIST_PAGE_SIZE, MAX_PART_SIZE,
    MIN_PART_SIZE, S3Config, default_retry,
};
#[cfg(feature = "sync")]
#[cfg_attr(docsrs, doc(cfg(feature = "sync")))]
pub use sync_backend::S3Backend;
