//! The state every operation shares: the connection, the path mapping, and whether the
//! base directory is known to exist.
//!
//! It lives below both the backend and its listings so that neither imports the other.

use std::sync::atomic::{AtomicBool, Ordering};

use remote_store_core::{Error, RemotePath, Result};
use russh_sftp::protocol::{FileAttributes, StatusCode};

use crate::connection::{Client, Lease};
use crate::error::{NAME, map_sftp, status_of};
use crate::paths::{Paths, native_parent};

/// What an [`AsyncSftpBackend`](crate::AsyncSftpBackend) owns, behind an `Arc` so its
/// clones and its open streams (listings, reads) can hold it.
pub(crate) struct Inner {
    pub(crate) client: Client,
    pub(crate) paths: Paths,
    /// The base directory was seen to exist (or there is none to check: the login
    /// directory, `/`). Checked on the first lease, so at most once per backend.
    base_seen: AtomicBool,
}

/// `S_IFDIR` in the file-type bits of `permissions`.
fn is_dir(attrs: &FileAttributes) -> bool {
    attrs.permissions.map(|p| p & 0o170_000) == Some(0o040_000)
}

impl Inner {
    pub(crate) fn new(client: Client, paths: Paths) -> Self {
        let base = paths.native(&RemotePath::ROOT);
        let nothing_to_check = base == "." || base == "/";
        Inner {
            client,
            paths,
            base_seen: AtomicBool::new(nothing_to_check),
        }
    }

    /// A lease on the connection, once the base directory is known to exist: a missing
    /// one is created when `create_base_path` is set, and is otherwise `NotFound` naming
    /// it ([`Error::is_container_not_found`]) — never an empty store that a first write
    /// would silently create.
    pub(crate) async fn lease(&self) -> Result<Lease> {
        let lease = self.client.lease().await?;
        if !self.base_seen.load(Ordering::Acquire) {
            self.check_base(&lease).await?;
            self.base_seen.store(true, Ordering::Release);
        }
        Ok(lease)
    }

    async fn check_base(&self, lease: &Lease) -> Result<()> {
        let base = self.paths.native(&RemotePath::ROOT);
        match stat(lease, &base).await? {
            Some(a) if is_dir(&a) => Ok(()),
            Some(_) => Err(self.base_not_a_folder()),
            None if self.client.config.create_base_path => self.make_base(lease, &base).await,
            None => Err(self.missing_base()),
        }
    }

    /// `Err(missing_base)` when the base directory no longer exists (removed after it was
    /// checked): asked when a path turns out missing, so that a removed base is never
    /// answered as an empty store.
    pub(crate) async fn check_base_still_there(&self, lease: &Lease) -> Result<()> {
        let base = self.paths.native(&RemotePath::ROOT);
        match stat(lease, &base).await? {
            Some(a) if is_dir(&a) => Ok(()),
            _ => Err(self.missing_base()),
        }
    }

    /// The error for a base directory that does not exist.
    pub(crate) fn missing_base(&self) -> Error {
        Error::container_not_found(
            "base path",
            &self.client.config.base_path,
            "check the path on the server, create the folder, or set `create_base_path`",
        )
        .with_backend(NAME)
    }

    fn base_not_a_folder(&self) -> Error {
        Error::invalid_argument(format!(
            "sftp base_path {:?} is not a directory",
            self.client.config.base_path
        ))
        .with_backend(NAME)
    }

    /// `mkdir -p` of the base.
    async fn make_base(&self, lease: &Lease, base: &str) -> Result<()> {
        let raw = lease.raw().clone();
        let mut missing = Vec::new();
        let mut current = Some(base.to_owned());
        while let Some(path) = current {
            match stat(lease, &path).await? {
                Some(a) if is_dir(&a) => break,
                Some(_) => return Err(self.base_not_a_folder()),
                None => {
                    current = native_parent(&path);
                    missing.push(path);
                }
            }
        }
        for path in missing.iter().rev() {
            if let Err(e) = lease
                .run(raw.mkdir(path.clone(), FileAttributes::empty()))
                .await
            {
                // It may exist now (a concurrent caller made it).
                match stat(lease, path).await? {
                    Some(a) if is_dir(&a) => {}
                    Some(_) => return Err(self.base_not_a_folder()),
                    None => return Err(map_sftp(e, "")),
                }
            }
        }
        Ok(())
    }
}

/// `stat` of a server path; `None` when it does not exist.
async fn stat(lease: &Lease, native: &str) -> Result<Option<FileAttributes>> {
    let raw = lease.raw().clone();
    match lease.run(raw.stat(native.to_owned())).await {
        Ok(a) => Ok(Some(a.attrs)),
        Err(e) if status_of(&e) == Some(StatusCode::NoSuchFile) => Ok(None),
        Err(e) => Err(map_sftp(e, "")),
    }
}
