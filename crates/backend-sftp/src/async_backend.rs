//! [`AsyncSftpBackend`]: the native async SFTP backend (russh + russh-sftp).

use std::fmt;
use std::ops::Range;
use std::sync::Arc;

use async_trait::async_trait;
use futures::StreamExt;
use remote_store_async::{
    AsyncBackend, AsyncContent, ByteStream, EntryStream, FileStream, FolderStream,
};
use remote_store_core::{
    Capability, CapabilitySet, Entry, Error, ErrorKind, FileInfo, RemotePath, Result, WriteOptions,
    WriteResult,
};
use remote_store_core::{
    CopyOptions, DeleteFolderOptions, DeleteOptions, ListOptions, MoveOptions, WriteMode,
};
use russh_sftp::client::error::Error as SftpError;
use russh_sftp::protocol::{FileAttributes, OpenFlags, StatusCode};

use crate::config::SftpConfig;
use crate::connection::{COPY_DATA, Client, Lease, POSIX_RENAME};
use crate::error::{NAME, map_sftp, status_of};
use crate::inner::Inner;
use crate::listing::{self, Kind, Want, kind};
use crate::paths::{Paths, native_parent};
use crate::transfer::{self, READ_CHUNK, UploadError, close_later};

/// What the SFTP backend can do. `atomic_move` and the replacing `write_atomic` rely on the
/// server's `posix-rename@openssh.com` (OpenSSH has it; see the crate docs for the fallback).
/// `seekable_read` is added by the blocking half (ranged reads).
pub(crate) const CAPABILITIES: CapabilitySet = CapabilitySet::EMPTY
    .with(Capability::Read)
    .with(Capability::Write)
    .with(Capability::Delete)
    .with(Capability::List)
    .with(Capability::Move)
    .with(Capability::Copy)
    .with(Capability::AtomicWrite)
    .with(Capability::AtomicMove)
    .with(Capability::Metadata)
    .with(Capability::RangeRead)
    .with(Capability::WriteResultNative)
    .with(Capability::ConditionalCreate)
    .with(Capability::FolderFileExclusion)
    .with(Capability::ConditionalCopy);

/// A storage backend on an SFTP server, driven natively with async russh + russh-sftp.
/// The blocking twin is [`SftpBackend`](crate::SftpBackend), which runs this same backend on
/// a runtime of its own.
///
/// Creating it does no I/O: the SSH connection is opened by the first call (within
/// `connect_timeout`) and shared by every call and clone, with up to `max_sessions` SFTP
/// channels. Every request is bounded by `request_timeout`. After a connection failure the
/// failing call returns `BackendUnavailable` and the next call reconnects; `close` drops the
/// connection and the backend reconnects lazily if used again.
///
/// ```no_run
/// # async fn demo() -> remote_store_core::Result<()> {
/// use remote_store_async::AsyncStore;
/// use remote_store_sftp::{AsyncSftpBackend, Auth, SftpConfig};
///
/// let config = SftpConfig::new("files.example.com", "deploy", Auth::key_file("/keys/id_ed25519"))
///     .known_hosts_file("/home/deploy/.ssh/known_hosts")
///     .base_path("/srv/data");
/// let store = AsyncStore::new(AsyncSftpBackend::new(config)?, "")?;
/// store.write("reports/q3.csv", "a,b\n1,2\n").await?;
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct AsyncSftpBackend {
    inner: Arc<Inner>,
}

impl fmt::Debug for AsyncSftpBackend {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AsyncSftpBackend")
            .field("config", &self.inner.client.config)
            .finish_non_exhaustive()
    }
}

impl AsyncSftpBackend {
    /// A backend for `config`; does no I/O.
    ///
    /// # Errors
    /// `InvalidArgument` when the config does not validate ([`SftpConfig::validate`]).
    pub fn new(config: SftpConfig) -> Result<Self> {
        config.validate()?;
        let paths = Paths::new(&config.base_path);
        Ok(AsyncSftpBackend {
            inner: Arc::new(Inner::new(Client::new(config), paths)),
        })
    }

    /// The configuration.
    pub fn config(&self) -> &SftpConfig {
        &self.inner.client.config
    }

    /// The SFTP extensions the server announced (name → version), connecting if needed.
    ///
    /// # Errors
    /// As for connecting: `BackendUnavailable`, `PermissionDenied`.
    pub async fn server_extensions(&self) -> Result<Vec<(String, String)>> {
        let conn = self.inner.client.connection().await?;
        let mut list: Vec<_> = conn
            .extensions()
            .iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        list.sort();
        Ok(list)
    }

    fn native(&self, key: &RemotePath) -> String {
        self.inner.paths.native(key)
    }

    async fn lease(&self) -> Result<Lease> {
        self.inner.lease().await
    }

    /// `stat` (links followed); `None` when missing or under a file.
    async fn stat(&self, lease: &Lease, key: &RemotePath) -> Result<Option<FileAttributes>> {
        stat_native(lease, &self.native(key), key.as_str()).await
    }

    /// [`stat`](Self::stat) for the public probes (`is_file`, `is_folder`, `exists`,
    /// `get_file_info`): a missing path is answered only once the base is known to be
    /// there (one more round trip), so a removed base is the missing-container error, not
    /// "no such file" on an empty store.
    async fn probe_stat(&self, lease: &Lease, key: &RemotePath) -> Result<Option<FileAttributes>> {
        let found = self.stat(lease, key).await?;
        if found.is_none() {
            self.inner.check_base_still_there(lease).await?;
        }
        Ok(found)
    }

    /// Explains a failed open/rename/mkdir on `key` by what is there now (SFTP v3's
    /// `FAILURE` says nothing more). `refuses_existing`: the call was one that fails on an
    /// existing `key` (an exclusive create of it, a rename that does not replace), so a
    /// file there is why it failed; any other call (a temp file's create, a replacing
    /// rename) failed for another reason, a full disk or a read-only file system, which is
    /// not `AlreadyExists` because the name happens to be taken.
    async fn explain(
        &self,
        lease: &Lease,
        key: &RemotePath,
        err: SftpError,
        refuses_existing: bool,
    ) -> Error {
        if status_of(&err) != Some(StatusCode::Failure) {
            return map_sftp(err, key.as_str());
        }
        match self.stat(lease, key).await {
            Ok(Some(a)) if kind(&a) == Kind::Dir => {
                Error::invalid_path(key.as_str(), "is a folder")
            }
            Ok(Some(_)) if refuses_existing => Error::already_exists(key.as_str()),
            _ => map_sftp(err, key.as_str()),
        }
    }

    /// Creates the server directory `dir` and its missing parents (`mkdir -p`).
    /// `key` names the write in errors: a file in the way is `InvalidPath`.
    async fn make_dirs(&self, lease: &Lease, dir: &str, key: &RemotePath) -> Result<()> {
        let raw = lease.raw().clone();
        let base = self.native(&RemotePath::ROOT);
        let mut missing = Vec::new();
        let mut current = Some(dir.to_owned());
        while let Some(path) = current {
            match stat_native(lease, &path, key.as_str()).await? {
                Some(a) if kind(&a) == Kind::Dir => break,
                Some(_) => {
                    return Err(Error::invalid_path(key.as_str(), "a parent is a file"));
                }
                // The base itself was removed after it was checked: said as such, never
                // made again by a write (unless `create_base_path` asks for that).
                None if path == base && !self.inner.client.config.create_base_path => {
                    return Err(self.inner.missing_base());
                }
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
                // Failure = it exists now (a concurrent writer made it) or something else.
                match stat_native(lease, path, key.as_str()).await? {
                    Some(a) if kind(&a) == Kind::Dir => {}
                    Some(_) => {
                        return Err(Error::invalid_path(key.as_str(), "a parent is a file"));
                    }
                    None => return Err(map_sftp(e, key.as_str())),
                }
            }
        }
        Ok(())
    }

    /// Opens `native` (the target or a temp file for `key`) for writing with `flags`,
    /// creating missing parents; a file it creates gets the permission bits `mode` (the
    /// server's default when `None`). Errors name `key`.
    async fn open_for_write(
        &self,
        lease: &Lease,
        native: &str,
        key: &RemotePath,
        flags: OpenFlags,
        mode: Option<u32>,
    ) -> Result<String> {
        let raw = lease.raw().clone();
        let attrs = || FileAttributes {
            permissions: mode,
            ..FileAttributes::empty()
        };
        let open = || lease.run(raw.open(native.to_owned(), flags, attrs()));
        let refuses_existing = flags.contains(OpenFlags::EXCLUDE) && native == self.native(key);
        let handle = match open().await {
            Ok(h) => h.handle,
            Err(e) if status_of(&e) == Some(StatusCode::NoSuchFile) => {
                // A missing parent, or a file where a parent should be.
                if let Some(parent) = native_parent(native) {
                    self.make_dirs(lease, &parent, key).await?;
                }
                match open().await {
                    Ok(h) => h.handle,
                    Err(e) => return Err(self.explain(lease, key, e, refuses_existing).await),
                }
            }
            Err(e) => return Err(self.explain(lease, key, e, refuses_existing).await),
        };
        if mode.is_some() {
            // The server's umask applied to the mode given at the open (so the file was
            // never more open than asked); set it exactly now (best effort: the content
            // matters more).
            let _ = lease.run(raw.fsetstat(handle.clone(), attrs())).await;
        }
        Ok(handle)
    }

    /// Opens `key` for reading and reads the first chunk of `range` in the same round trip.
    async fn open_read(&self, key: &RemotePath, range: Range<u64>) -> Result<ByteStream> {
        let lease = Arc::new(self.lease().await?);
        let raw = lease.raw().clone();
        let permit = lease.handle_permit().await?;
        let handle = match lease
            .run(raw.open(self.native(key), OpenFlags::READ, FileAttributes::empty()))
            .await
        {
            Ok(h) => h.handle,
            Err(e) => return Err(self.explain_read(&lease, key, e).await),
        };
        let first_len = (range.end.saturating_sub(range.start)).min(u64::from(READ_CHUNK)) as u32;
        let (attrs, first) = futures::join!(lease.run(raw.fstat(handle.clone())), async {
            if first_len == 0 {
                return Ok(Vec::new());
            }
            match lease
                .run(raw.read(handle.clone(), range.start, first_len))
                .await
            {
                Ok(d) => Ok(d.data),
                Err(e) if status_of(&e) == Some(StatusCode::Eof) => Ok(Vec::new()),
                Err(e) => Err(e),
            }
        });
        let attrs = match attrs {
            Ok(a) => a.attrs,
            Err(e) => {
                close_later(&lease, handle, Some(permit));
                return Err(map_sftp(e, key.as_str()));
            }
        };
        if kind(&attrs) == Kind::Dir {
            close_later(&lease, handle, Some(permit));
            return Err(Error::invalid_path(key.as_str(), "is a folder"));
        }
        let first = match first {
            Ok(first) => first,
            Err(e) => {
                close_later(&lease, handle, Some(permit));
                return Err(map_sftp(e, key.as_str()));
            }
        };
        let end = attrs.size.map_or(range.end, |size| range.end.min(size));
        Ok(transfer::download(
            lease,
            handle,
            permit,
            key.as_str().to_owned(),
            range.start,
            end,
            first,
        ))
    }

    async fn explain_read(&self, lease: &Lease, key: &RemotePath, err: SftpError) -> Error {
        self.explain(lease, key, err, false).await
    }

    /// Shared body of `write` and `write_atomic` once the file to write is chosen (the
    /// flags and mode to open it with: see [`open_for_write`](Self::open_for_write)).
    async fn write_to(
        &self,
        lease: &Arc<Lease>,
        native: &str,
        key: &RemotePath,
        (flags, mode): (OpenFlags, Option<u32>),
        content: AsyncContent<'_>,
    ) -> Result<(u64, Option<FileAttributes>)> {
        let raw = lease.raw().clone();
        let permit = lease.handle_permit().await?;
        let handle = self.open_for_write(lease, native, key, flags, mode).await?;
        // Closes the handle even if this future is dropped mid-upload.
        let guard = transfer::OpenHandle::new(lease.clone(), handle.clone(), permit);
        if let AsyncContent::Bytes(bytes) = &content
            && bytes.len() <= transfer::WRITE_CHUNK
        {
            // Small content: write, FSTAT and CLOSE go out together (one round trip).
            let size = bytes.len() as u64;
            let data = bytes.to_vec();
            let write = async {
                if data.is_empty() {
                    return Ok(());
                }
                lease
                    .run(raw.write(handle.clone(), 0, data))
                    .await
                    .map(drop)
            };
            let (written, attrs, closed) =
                futures::join!(write, lease.run(raw.fstat(handle.clone())), guard.close());
            return match written.and(closed) {
                Ok(()) => Ok((size, attrs.ok().map(|a| a.attrs))),
                Err(e) => {
                    let _ = lease.run(raw.remove(native.to_owned())).await;
                    Err(map_sftp(e, key.as_str()))
                }
            };
        }
        match transfer::upload(lease, &handle, content).await {
            Ok(size) => {
                // Ask for the final attributes and close in one round trip.
                let (attrs, closed) =
                    futures::join!(lease.run(raw.fstat(handle.clone())), guard.close());
                if let Err(e) = closed {
                    // The server may not have stored every byte (a CLOSE reports a failed
                    // final flush): removed, as a failed small write is.
                    let _ = lease.run(raw.remove(native.to_owned())).await;
                    return Err(map_sftp(e, key.as_str()));
                }
                Ok((size, attrs.ok().map(|a| a.attrs)))
            }
            Err(failure) => {
                let _ = guard.close().await;
                let _ = lease.run(raw.remove(native.to_owned())).await;
                Err(match failure {
                    UploadError::Source(e) => {
                        Error::from_content_io(e).or_path(|| key.as_str().to_owned())
                    }
                    UploadError::Sftp(e) => map_sftp(e, key.as_str()),
                })
            }
        }
    }

    fn result(
        key: &RemotePath,
        size: u64,
        attrs: Option<FileAttributes>,
        opts: &WriteOptions,
    ) -> WriteResult {
        match attrs {
            Some(a) => WriteResult::native(key.clone(), size, None, listing::modified(&a), opts),
            None => WriteResult::basic(key.clone(), size),
        }
    }

    /// Renames `from` to `to` (server paths) for `key`: replacing atomically with
    /// posix-rename when `replace`, else refusing an existing target (SFTP v3 `RENAME`,
    /// which OpenSSH implements with `link` + `unlink`, so the check is race-free).
    async fn rename(
        &self,
        lease: &Lease,
        from: &str,
        to: &str,
        key: &RemotePath,
        replace: bool,
    ) -> Result<()> {
        let raw = lease.raw().clone();
        let result = if replace {
            if lease.conn().has_extension(POSIX_RENAME, "1") {
                lease.posix_rename(from, to).await
            } else {
                // Fallback for servers without posix-rename: not atomic (documented).
                match lease.run(raw.rename(from.to_owned(), to.to_owned())).await {
                    Err(e) if status_of(&e) == Some(StatusCode::Failure) => {
                        let _ = lease.run(raw.remove(to.to_owned())).await;
                        lease
                            .run(raw.rename(from.to_owned(), to.to_owned()))
                            .await
                            .map(drop)
                    }
                    other => other.map(drop),
                }
            }
        } else {
            lease
                .run(raw.rename(from.to_owned(), to.to_owned()))
                .await
                .map(drop)
        };
        match result {
            Ok(()) => Ok(()),
            Err(e) => Err(self.explain(lease, key, e, !replace).await),
        }
    }

    /// Removes the server directory `native` and everything below it.
    async fn remove_tree(&self, lease: &Lease, native: String, key: &RemotePath) -> Result<()> {
        let raw = lease.raw().clone();
        let mut stack = vec![(native, false)];
        while let Some((dir, emptied)) = stack.pop() {
            if emptied {
                match lease.run(raw.rmdir(dir.clone())).await {
                    Ok(_) => {}
                    Err(e) if status_of(&e) == Some(StatusCode::NoSuchFile) => {}
                    Err(e) => return Err(map_sftp(e, key.as_str())),
                }
                continue;
            }
            stack.push((dir.clone(), true));
            let names = match listing::read_all(lease, &dir, key.as_str()).await {
                Ok(names) => names,
                Err(e) if e.kind() == ErrorKind::NotFound => continue,
                Err(e) => return Err(e),
            };
            let mut files = Vec::new();
            for (name, attrs) in names {
                let path = format!("{dir}/{name}");
                if kind(&attrs) == Kind::Dir {
                    stack.push((path, false));
                } else {
                    files.push(path);
                }
            }
            // Remove this folder's files with several requests in flight.
            let removals = futures::stream::iter(files)
                .map(|path| {
                    let raw = raw.clone();
                    async move { lease.run(raw.remove(path)).await }
                })
                .buffer_unordered(32);
            let results: Vec<_> = removals.collect().await;
            for result in results {
                match result {
                    Ok(_) => {}
                    Err(e) if status_of(&e) == Some(StatusCode::NoSuchFile) => {}
                    Err(e) => return Err(map_sftp(e, key.as_str())),
                }
            }
        }
        Ok(())
    }

    fn walk(&self, dir: &RemotePath, want: Want) -> EntryStream {
        listing::walk(self.inner.clone(), dir.clone(), want)
    }

    /// Every write: upload to a temp name beside the target, then promote it (replacing
    /// the target with `overwrite`, else refusing an existing one).
    async fn write_via_temp(
        &self,
        path: &RemotePath,
        content: AsyncContent<'_>,
        opts: &WriteOptions,
    ) -> Result<WriteResult> {
        let lease = Arc::new(self.lease().await?);
        // Refuse early what the promotion would refuse, before uploading anything.
        let mode = match self.stat(&lease, path).await? {
            Some(a) if kind(&a) == Kind::Dir => {
                return Err(Error::invalid_path(path.as_str(), "is a folder"));
            }
            Some(_) if !opts.overwrite => {
                return Err(Error::already_exists(path.as_str()));
            }
            // The replacement keeps the replaced file's permission bits: a 0600 file must
            // not come back readable by everyone (the server's umask can only take bits
            // away).
            Some(a) => a.permissions.map(|p| p & 0o777),
            None => None,
        };
        let native = self.native(path);
        let temp = self.inner.paths.temp_for(path);
        let mut guard = TempGuard {
            lease: Some(lease.clone()),
            path: temp.clone(),
        };
        let flags = OpenFlags::WRITE | OpenFlags::CREATE | OpenFlags::EXCLUDE;
        let written = self
            .write_to(&lease, &temp, path, (flags, mode), content)
            .await;
        let (size, attrs) = match written {
            Ok(done) => done,
            Err(e) => {
                // write_to removed the temp file where it could.
                guard.disarm();
                return Err(e);
            }
        };
        if opts.overwrite {
            keep_temp_while_replacing(&lease, &mut guard);
        }
        match self
            .rename(&lease, &temp, &native, path, opts.overwrite)
            .await
        {
            Ok(()) => {
                guard.disarm();
                Ok(Self::result(path, size, attrs, opts))
            }
            Err(e) => {
                let raw = lease.raw().clone();
                let _ = lease.run(raw.remove(temp)).await;
                guard.disarm();
                Err(e)
            }
        }
    }
}

/// The most one `copy-data` request copies: the server does the whole request before it
/// answers, and each request is held to the request timeout (30 s by default), so a big
/// file is copied in pieces that a slow disk still finishes well within it.
const COPY_PIECE: u64 = 32 << 20;

/// Copies all of the open `from` (its size as the server reports it now) into `to` with
/// `copy-data` requests of at most [`COPY_PIECE`] bytes, one after the other.
async fn copy_in_pieces(
    lease: &Lease,
    from: &transfer::OpenHandle,
    to: &transfer::OpenHandle,
) -> std::result::Result<(), russh_sftp::client::error::Error> {
    let raw = lease.raw().clone();
    let size = lease
        .run(raw.fstat(from.handle().to_owned()))
        .await?
        .attrs
        .size;
    let Some(size) = size else {
        // No size from the server: one request to the end (length 0), as before.
        return lease.copy_data(from.handle(), to.handle(), 0, 0).await;
    };
    let mut offset = 0;
    while offset < size {
        let len = COPY_PIECE.min(size - offset);
        lease
            .copy_data(from.handle(), to.handle(), offset, len)
            .await?;
        offset += len;
    }
    Ok(())
}

/// `stat` of a server path; `None` when missing (or under a file).
async fn stat_native(lease: &Lease, native: &str, key: &str) -> Result<Option<FileAttributes>> {
    let raw = lease.raw().clone();
    match lease.run(raw.stat(native.to_owned())).await {
        Ok(a) => Ok(Some(a.attrs)),
        Err(e) if status_of(&e) == Some(StatusCode::NoSuchFile) => Ok(None),
        Err(e) => Err(map_sftp(e, key)),
    }
}

/// Disarms `guard` before a replacing rename on a server without posix-rename: there the
/// rename removes the target first, and a write dropped between that and the rename must
/// leave the temp file, by then the only copy of either version (an error still removes
/// it, as the caller decides).
fn keep_temp_while_replacing(lease: &Lease, guard: &mut TempGuard) {
    if !lease.conn().has_extension(POSIX_RENAME, "1") {
        guard.disarm();
    }
}

/// Removes the temp file a write or copy created if the call that owns it is dropped
/// before it finishes.
struct TempGuard {
    lease: Option<Arc<Lease>>,
    path: String,
}

impl TempGuard {
    fn disarm(&mut self) {
        self.lease = None;
    }
}

impl Drop for TempGuard {
    fn drop(&mut self) {
        let Some(lease) = self.lease.take() else {
            return;
        };
        let path = std::mem::take(&mut self.path);
        let owner = lease.clone();
        lease.spawn_cleanup(async move {
            let raw = owner.raw().clone();
            let _ = owner.run(raw.remove(path)).await;
        });
    }
}

#[async_trait]
impl AsyncBackend for AsyncSftpBackend {
    fn name(&self) -> &'static str {
        NAME
    }

    fn capabilities(&self) -> CapabilitySet {
        CAPABILITIES
    }

    async fn is_file(&self, path: &RemotePath) -> Result<bool> {
        if path.is_root() {
            return Ok(false);
        }
        let lease = self.lease().await?;
        Ok(self
            .probe_stat(&lease, path)
            .await?
            .is_some_and(|a| kind(&a) == Kind::File))
    }

    async fn is_folder(&self, path: &RemotePath) -> Result<bool> {
        if path.is_root() {
            return Ok(true);
        }
        let lease = self.lease().await?;
        Ok(self
            .probe_stat(&lease, path)
            .await?
            .is_some_and(|a| kind(&a) == Kind::Dir))
    }

    async fn read(&self, path: &RemotePath) -> Result<ByteStream> {
        self.open_read(path, 0..u64::MAX).await
    }

    async fn read_range(&self, path: &RemotePath, range: Range<u64>) -> Result<ByteStream> {
        self.open_read(path, range).await
    }

    async fn write(
        &self,
        path: &RemotePath,
        content: AsyncContent<'_>,
        _mode: WriteMode,
        opts: &WriteOptions,
    ) -> Result<WriteResult> {
        // Every write goes through a temp name, atomic or not. An overwrite never writes
        // into the old file (ADR 0018): a body that fails part-way, or a dropped write,
        // leaves it whole. A new file is promoted with the non-replacing `RENAME` (ADR
        // 0019): written in place, its clean-up after a failure or a drop removed it *by
        // name*, which by then could be another writer's committed overwrite.
        self.write_via_temp(path, content, opts).await
    }

    async fn delete(&self, path: &RemotePath, opts: &DeleteOptions) -> Result<()> {
        let missing_ok = opts.missing_ok;
        let lease = self.lease().await?;
        let raw = lease.raw().clone();
        match lease.run(raw.remove(self.native(path))).await {
            Ok(_) => Ok(()),
            Err(e) if status_of(&e) == Some(StatusCode::NoSuchFile) => {
                if missing_ok {
                    Ok(())
                } else {
                    Err(Error::not_found(path.as_str()))
                }
            }
            Err(e) => match self.stat(&lease, path).await {
                Ok(Some(a)) if kind(&a) == Kind::Dir => {
                    Err(Error::invalid_path(path.as_str(), "is a folder"))
                }
                _ => Err(map_sftp(e, path.as_str())),
            },
        }
    }

    async fn delete_folder(&self, path: &RemotePath, opts: &DeleteFolderOptions) -> Result<()> {
        let DeleteFolderOptions {
            recursive,
            missing_ok,
            ..
        } = *opts;
        let lease = self.lease().await?;
        match self.stat(&lease, path).await? {
            None if missing_ok => return Ok(()),
            None => return Err(Error::not_found(path.as_str())),
            Some(a) if kind(&a) != Kind::Dir => {
                return Err(Error::invalid_path(path.as_str(), "is a file"));
            }
            Some(_) => {}
        }
        let native = self.native(path);
        let raw = lease.raw().clone();
        let linked = lease
            .run(raw.lstat(native.clone()))
            .await
            .is_ok_and(|a| kind(&a.attrs) == Kind::Symlink);
        if linked {
            // A link to a folder: the link goes, never what it leads to (a recursive
            // removal through it emptied the folder it named, which may be outside the
            // base path, and then could not remove the link). Not recursive, only as
            // that folder would go: when it is empty.
            if !recursive
                && !listing::read_all(&lease, &native, path.as_str())
                    .await?
                    .is_empty()
            {
                return Err(Error::directory_not_empty(path.as_str()));
            }
            return lease
                .run(raw.remove(native))
                .await
                .map(drop)
                .map_err(|e| map_sftp(e, path.as_str()));
        }
        if recursive {
            return self.remove_tree(&lease, native, path).await;
        }
        match lease.run(raw.rmdir(native)).await {
            Ok(_) => Ok(()),
            Err(e) if status_of(&e) == Some(StatusCode::NoSuchFile) && missing_ok => Ok(()),
            Err(e) if status_of(&e) == Some(StatusCode::Failure) => {
                // ENOTEMPTY? Confirmed by what is there rather than by the message: a
                // folder with entries (a busy or read-only one failed for another reason).
                let native = self.native(path);
                match listing::read_all(&lease, &native, path.as_str()).await {
                    Ok(names) if !names.is_empty() => {
                        Err(Error::directory_not_empty(path.as_str()))
                    }
                    _ => Err(map_sftp(e, path.as_str())),
                }
            }
            Err(e) => Err(map_sftp(e, path.as_str())),
        }
    }

    fn list_files(&self, path: &RemotePath, opts: &ListOptions) -> FileStream {
        let recursive = opts.is_recursive();
        let want = Want {
            files: true,
            folders: false,
            recursive,
        };
        self.walk(path, want)
            .filter_map(|e| async move {
                match e {
                    Ok(Entry::File(f)) => Some(Ok(f)),
                    Ok(Entry::Folder(_)) => None,
                    Err(e) => Some(Err(e)),
                }
            })
            .boxed()
    }

    fn list_folders(&self, path: &RemotePath) -> FolderStream {
        let want = Want {
            files: false,
            folders: true,
            recursive: false,
        };
        self.walk(path, want)
            .filter_map(|e| async move {
                match e {
                    Ok(Entry::Folder(f)) => Some(Ok(f)),
                    Ok(Entry::File(_)) => None,
                    Err(e) => Some(Err(e)),
                }
            })
            .boxed()
    }

    fn iter_children(&self, path: &RemotePath) -> EntryStream {
        let want = Want {
            files: true,
            folders: true,
            recursive: false,
        };
        self.walk(path, want)
    }

    async fn get_file_info(&self, path: &RemotePath) -> Result<FileInfo> {
        let lease = self.lease().await?;
        match self.probe_stat(&lease, path).await? {
            None => Err(Error::not_found(path.as_str())),
            Some(a) if kind(&a) == Kind::Dir => {
                Err(Error::invalid_path(path.as_str(), "is a folder"))
            }
            Some(a) => Ok(listing::file_info(path.clone(), &a)),
        }
    }

    async fn copy_file(
        &self,
        src: &RemotePath,
        dst: &RemotePath,
        opts: &CopyOptions,
    ) -> Result<()> {
        let overwrite = opts.overwrite;
        let lease = Arc::new(self.lease().await?);
        if !lease.conn().has_extension(COPY_DATA, "1") {
            drop(lease);
            return remote_store_async::fallback::copy_by_streaming(self, src, dst, opts).await;
        }
        match self.stat(&lease, src).await? {
            None => return Err(Error::not_found(src.as_str())),
            Some(a) if kind(&a) == Kind::Dir => {
                return Err(Error::invalid_path(src.as_str(), "is a folder"));
            }
            Some(_) => {}
        }
        if src == dst {
            return Ok(());
        }
        let mut mode = None;
        if let Some(a) = self.stat(&lease, dst).await? {
            if kind(&a) == Kind::Dir {
                return Err(Error::invalid_path(
                    dst.as_str(),
                    "the destination is a folder",
                ));
            }
            if !overwrite {
                return Err(Error::already_exists(dst.as_str()));
            }
            mode = a.permissions.map(|p| p & 0o777);
        }
        // Server-side copy between two handles on this channel.
        let raw = lease.raw().clone();
        let permit = lease.handle_permit().await?;
        let from = match lease
            .run(raw.open(self.native(src), OpenFlags::READ, FileAttributes::empty()))
            .await
        {
            Ok(h) => transfer::OpenHandle::new(lease.clone(), h.handle, permit),
            Err(e) => return Err(self.explain_read(&lease, src, e).await),
        };
        let permit = lease.handle_permit().await?;
        // A new file is created exclusively; an overwrite never writes into the old file
        // (ADR 0018): the copy goes to a temp sibling, renamed over the name at the end.
        let flags = OpenFlags::WRITE | OpenFlags::CREATE | OpenFlags::EXCLUDE;
        let native_dst = self.native(dst);
        let target = if overwrite {
            self.inner.paths.temp_for(dst)
        } else {
            native_dst.clone()
        };
        let to_handle = self
            .open_for_write(&lease, &target, dst, flags, mode)
            .await?;
        // Only once the exclusive create succeeded is the file this copy's to remove.
        let mut guard = TempGuard {
            lease: Some(lease.clone()),
            path: target.clone(),
        };
        let to = transfer::OpenHandle::new(lease.clone(), to_handle, permit);
        let copied = copy_in_pieces(&lease, &from, &to).await;
        let (_, closed) = futures::join!(from.close(), to.close());
        if let Err(e) = copied.and(closed) {
            let _ = lease.run(raw.remove(target)).await;
            guard.disarm();
            return Err(map_sftp(e, dst.as_str()));
        }
        if overwrite {
            keep_temp_while_replacing(&lease, &mut guard);
            let renamed = self.rename(&lease, &target, &native_dst, dst, true).await;
            if renamed.is_err() {
                let _ = lease.run(raw.remove(target)).await;
            }
            guard.disarm();
            return renamed;
        }
        guard.disarm();
        Ok(())
    }

    async fn move_file(
        &self,
        src: &RemotePath,
        dst: &RemotePath,
        opts: &MoveOptions,
    ) -> Result<()> {
        let overwrite = opts.overwrite;
        let lease = self.lease().await?;
        match self.stat(&lease, src).await? {
            None => return Err(Error::not_found(src.as_str())),
            Some(a) if kind(&a) == Kind::Dir => {
                return Err(Error::invalid_path(src.as_str(), "is a folder"));
            }
            Some(_) => {}
        }
        if src == dst {
            return Ok(());
        }
        match self.stat(&lease, dst).await? {
            Some(a) if kind(&a) == Kind::Dir => {
                return Err(Error::invalid_path(
                    dst.as_str(),
                    "the destination is a folder",
                ));
            }
            Some(_) if !overwrite => {
                return Err(Error::already_exists(dst.as_str()));
            }
            Some(_) => {}
            None => {
                let native = self.native(dst);
                if let Some(parent) = native_parent(&native) {
                    self.make_dirs(&lease, &parent, dst).await?;
                }
            }
        }
        let (from, to) = (self.native(src), self.native(dst));
        self.rename(&lease, &from, &to, dst, overwrite).await
    }

    async fn ping(&self) -> Result<()> {
        let lease = self.lease().await?;
        match self.stat(&lease, &RemotePath::ROOT).await? {
            // The lease checked the base; it was removed since.
            None => Err(self.inner.missing_base()),
            Some(a) if kind(&a) == Kind::Dir => Ok(()),
            Some(_) => Err(Error::invalid_argument(format!(
                "sftp base_path {:?} is not a directory",
                self.config().base_path
            ))),
        }
    }

    fn native_path(&self, key: &RemotePath) -> Result<String> {
        Ok(self.native(key))
    }

    fn to_key(&self, native: &str) -> Result<RemotePath> {
        self.inner.paths.to_key(native)
    }

    async fn close(&self) -> Result<()> {
        self.inner.client.disconnect().await;
        Ok(())
    }
}
