//! # remote-store-config
//!
//! Stores by name and by URL. A platform hands its services store *names*, not connection
//! code: a TOML (or JSON) file names backends and stores, and a [`Registry`] turns
//! `registry.store("reports")` into a [`Store`](remote_store_sync::Store) (or
//! `registry.async_store("reports")` into an
//! [`AsyncStore`](remote_store_async::AsyncStore)).
//!
//! ```toml
//! [backends.lake]
//! type = "s3"
//! bucket = "acme-data"
//! region = "eu-west-1"
//! secret_access_key = "${AWS_SECRET_ACCESS_KEY}"
//! access_key_id = "${AWS_ACCESS_KEY_ID}"
//!
//! [stores.reports]
//! backend = "lake"
//! root = "reports"
//! ```
//!
//! - **Config is data.** A backend table is tagged by `type` (`memory`, `local`, `s3`,
//!   `azure`, `sftp`) and its other keys are exactly that backend's own config type
//!   (`S3Config`, ...): there is no second copy of the fields, and unknown keys are refused
//!   with the closest known key.
//! - **Secrets are a type.** Every credential is a
//!   [`Secret`](remote_store_core::Secret): `Debug` prints `***`, and a config serialises
//!   back with `${VAR}` where the file had it, never the value.
//! - **`${VAR}` and `${VAR:-default}`** are resolved in every string from the environment
//!   (an [`Env`]; a fixed map in tests); `$${` is a literal `${`. A missing variable is an
//!   error naming it.
//! - **URLs**: [`open_url`] / [`open_url_async`] for `memory://`, `file:///abs/path`,
//!   `s3://bucket/prefix`, `az://account/container/prefix`, `sftp://user@host:port/path`;
//!   options beside the URL with [`open_url_opts`]. Credentials never come from a URL.
//! - **One cargo feature per backend** (`memory` and `local` by default): a service using
//!   only S3 compiles no Azure or SSH code through this crate. A `type` whose feature is
//!   off is an error naming the feature.
//!
//! Errors are the workspace's one [`Error`](remote_store_core::Error), kind
//! `InvalidArgument` for every config problem, with a message naming the file and table:
//! `config registry.toml, [backends.lake]: unknown key "bucke" (did you mean "bucket"?)`.
//!
//! See `docs/config.md` for a complete example per backend, the URL forms and the
//! environment variables each backend reads.

#![cfg_attr(docsrs, feature(doc_cfg))]
#![warn(missing_docs)]
// With no backend feature `BackendConfig` has no variant, so whatever holds one is
// unreachable: that build exists only to prove the crate compiles without backends.
#![cfg_attr(
    not(any(
        feature = "memory",
        feature = "local",
        feature = "s3",
        feature = "azure",
        feature = "sftp"
    )),
    allow(unused_variables, unreachable_code)
)]

mod backends;
mod de;
mod env;
mod hint;
mod load;
mod model;
mod registry;
mod unique;
mod urls;

pub use env::Env;
pub use load::Loader;
pub use model::{BackendConfig, RegistryConfig, StoreProfile};
pub use registry::Registry;
pub use urls::{check_url_path, open_url, open_url_async, open_url_async_opts, open_url_opts};

// The unit tests use the memory and local backends (the default features).
#[cfg(all(test, feature = "memory", feature = "local"))]
mod tests;
