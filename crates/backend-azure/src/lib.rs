//! Azure Blob Storage for remote-store, on Microsoft's official `azure_storage_blob` SDK.
//!
//! - [`AsyncAzureBackend`] (feature `async`) is the native implementation;
//!   [`AzureBackend`] (feature `sync`) is the same backend driven on the runtime all
//!   blocking backends share.
//! - [`AzureConfig`] says where the container is and how to authenticate: connection
//!   string, account key (Shared Key signing, done locally), SAS token, or Microsoft Entra
//!   ID (feature `identity`). Secrets never appear in `Debug`, in errors or in URLs we log.
//!
//! **Design.** The container is a flat namespace of block blobs; folders are key prefixes
//! and are never written as marker blobs, so a folder exists while a blob is under it and
//! disappears with its last blob. Listings are `List Blobs` pages fetched lazily (one level
//! with `delimiter=/`, or the whole subtree). Writes up to `part_size` are one `Put Blob`;
//! larger or streamed writes stage blocks (at most `max_concurrency` at once, so memory
//! stays below `part_size × (max_concurrency + 1)`) and commit them with one
//! `Put Block List` — nothing is visible before that commit, so every write is atomic and a
//! failed one leaves the previous blob intact. `overwrite = false` is `If-None-Match: *`,
//! enforced by the service. A move is a server-side copy and a delete (not atomic).
//!
//! | feature | default | what |
//! |---|---|---|
//! | `sync` | yes | [`AzureBackend`] |
//! | `async` | yes | [`AsyncAzureBackend`] |
//! | `identity` | no | Entra ID through `azure_identity` |
//! | `sdk` | no | re-exports `azure_storage_blob` and adds `AsyncAzureBackend::container_client`; outside the semver promise |
//!
//! **Runtime.** Both halves compile tokio and the async machinery: [`AzureBackend`] is the
//! async backend driven on a small runtime it owns, so `sync` alone does not make this crate
//! tokio-free (only the memory and local backends are).

#![cfg_attr(docsrs, feature(doc_cfg))]

mod async_backend;
mod auth;
mod client;
mod config;
mod error;
mod identity;
mod list;
mod meta;
mod sas;
#[cfg(feature = "sync")]
mod sync_backend;
mod transport;
mod upload;

/// The SDK itself (feature `sdk`), for `AsyncAzureBackend::container_client` and for naming
/// the native client (`native_client` is its `BlobContainerClient`).
///
/// **Outside the semver promise:** the SDK's version may change in any release of this
/// crate, minor or patch. Without the feature no SDK type appears in this crate's API.
#[cfg(feature = "sdk")]
#[cfg_attr(docsrs, doc(cfg(feature = "sdk")))]
pub use azure_storage_blob;

pub use async_backend::AsyncAzureBackend;
pub use config::{
    AzureAuth, AzureConfig, DEFAULT_MAX_CONCURRENCY, DEFAULT_PART_SIZE, EntraCredential,
    default_retry,
};
pub use sas::account_sas;
#[cfg(feature = "sync")]
#[cfg_attr(docsrs, doc(cfg(feature = "sync")))]
pub use sync_backend::AzureBackend;
