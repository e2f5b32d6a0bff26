//! The state every operation shares: the connection and the path mapping.
//!
//! It lives below both the backend and its listings so that neither imports the other.

use crate::connection::Client;
use crate::paths::Paths;

/// What an [`AsyncSftpBackend`](crate::AsyncSftpBackend) owns, behind an `Arc` so its
/// clones and its open streams (listings, reads) can hold it.
pub(crate) struct Inner {
    pub(crate) client: Client,
    pub(crate) paths: Paths,
}
