//! The [`AsyncBackend`] trait: the async I/O primitives a storage system provides.

use std::any::Any;
use std::fmt;
use std::ops::Range;

use async_trait::async_trait;
use bytes::Bytes;
use futures::StreamExt;
use remote_store_core::{
    CapabilitySet, CopyOptions, DeleteFolderOptions, DeleteOptions, FileInfo, FolderInfo,
    GlobPattern, ListOptions, MoveOptions, ObjectVersion, ReadOptions, RemotePath, Result,
    WriteMode, WriteOptions, WriteResult,
};

use crate::{AsyncContent, ByteStream, EntryStream, FileStream, FolderStream, fallback};

/// The async I/O primitives of a storage system. This is an async version of
/// `remote_store_sync::Backend`: the same operations, the same rules, the same defaults —
/// read that trait's documentation for what a backend decides and what the store decides.
///
/// Listings return `'static` streams that do their I/O lazily when polled; a backend keeps
/// the state they need behind an `Arc`. Futures must be cancel-safe in the sense that
/// dropping one never leaves a partial file visible after `write_atomic`.
///
/// `read_seekable` is a sync backend method only; `BlockingAdapter` provides it for async
/// backends, and `AsyncStore::read_seekable` seeks over this trait's `read_range`.
#[async_trait]
pub trait AsyncBackend: Send + Sync + fmt::Debug + 'static {
    /// A short static name such as `"memory"` or `"s3"`, used in errors.
    fn name(&self) -> &'static str;

    /// What this backend can do; stores refuse the rest before any I/O.
    fn capabilities(&self) -> CapabilitySet;

    /// True once a terminal [`close`](Self::close) made the backend unusable.
    fn is_closed(&self) -> bool {
        false
    }

    /// Whether a file or folder exists at `path`.
    ///
    /// # Errors
    /// Only for failures to ask, and for a missing container (`Error::container_not_found`,
    /// which the store passes on instead of answering `false`).
    async fn exists(&self, path: &RemotePath) -> Result<bool> {
        Ok(self.is_file(path).await? || self.is_folder(path).await?)
    }

    /// Whether a file exists at `path`.
    ///
    /// # Errors
    /// Only for failures to ask.
    async fn is_file(&self, path: &RemotePath) -> Result<bool>;

    /// Whether a folder exists at `path` (the root always does).
    ///
    /// # Errors
    /// Only for failures to ask.
    async fn is_folder(&self, path: &RemotePath) -> Result<bool>;

    /// Opens `path` for streaming. Capability: `read`.
    ///
    /// # Errors
    /// `NotFound`, `InvalidPath` for a folder — when awaited, before the stream is returned.
    async fn read(&self, path: &RemotePath) -> Result<ByteStream>;

    /// Reads the whole file. Capability: `read`.
    ///
    /// # Errors
    /// As [`read`](Self::read).
    async fn read_bytes(&self, path: &RemotePath) -> Result<Bytes> {
        self.read(path).await?.collect_bytes().await
    }

    /// Streams the bytes of `range`, clamped at the end of the file. Capability: `read`;
    /// declare `range_read` when this is native.
    ///
    /// # Errors
    /// As [`read`](Self::read).
    async fn read_range(&self, path: &RemotePath, range: Range<u64>) -> Result<ByteStream> {
        let body = self.read(path).await?;
        Ok(body.slice(range.start, range.end.saturating_sub(range.start)))
    }

    /// Streams `path` (or `opts.range` of it) if the conditions of `opts` hold.
    /// Capability: `read`; declare `conditional_read` when the conditions are evaluated
    /// atomically with the read. The default gets the file info, checks the conditions
    /// ([`ReadOptions::check`]) and then reads — two requests, not atomic.
    ///
    /// # Errors
    /// As [`read`](Self::read); `PreconditionFailed` or `NotModified` when a condition
    /// fails.
    async fn read_with(&self, path: &RemotePath, opts: &ReadOptions) -> Result<ByteStream> {
        fallback::read_checked(self, path, opts).await
    }

    /// Opens a streamed read of `range` (the whole file when `None`, clamped at its end)
    /// and reports which version of the file it delivers, for a caller that may resume the
    /// read after a cut (the retry layer). Capability: `read`. The default takes the
    /// version from `get_file_info` *before* opening the read (so a replacement in between
    /// is seen later as a change, never spliced): two requests. Backends that learn the
    /// version from the read's own reply (an etag header, an in-memory entry) override it
    /// with one request. `None` when the backend cannot name a version.
    ///
    /// # Errors
    /// As [`read`](Self::read), and the errors of `get_file_info` for the default.
    async fn read_versioned(
        &self,
        path: &RemotePath,
        range: Option<Range<u64>>,
    ) -> Result<(ByteStream, Option<ObjectVersion>)> {
        let version = ObjectVersion::of(&self.get_file_info(path).await?);
        let body = match range {
            Some(range) => self.read_range(path, range).await?,
            None => self.read(path).await?,
        };
        Ok((body, version))
    }

    /// Writes `content` to `path`, consuming it to the end. Capability: `write`; with
    /// [`WriteMode::Atomic`], `atomic_write` (the store checks both before calling).
    ///
    /// In [`WriteMode::Atomic`] readers see the old content or the new, never a partial
    /// file, also when the future is dropped. A backend without `atomic_write` is never
    /// called with it.
    ///
    /// # Errors
    /// `InvalidPath`, `AlreadyExists`, or the I/O failure.
    ///
    /// A backend that declares `conditional_write` enforces `opts.if_match` atomically;
    /// for the others the store has compared the etag before calling.
    async fn write(
        &self,
        path: &RemotePath,
        content: AsyncContent<'_>,
        mode: WriteMode,
        opts: &WriteOptions,
    ) -> Result<WriteResult>;

    /// Deletes the file at `path`. Capability: `delete`.
    ///
    /// # Errors
    /// `NotFound` unless `opts.missing_ok`; `InvalidPath` for a folder, even with
    /// `missing_ok`.
    async fn delete(&self, path: &RemotePath, opts: &DeleteOptions) -> Result<()>;

    /// Deletes the files at `paths`, answering one outcome per path, in input order. The
    /// default runs [`delete`](Self::delete) for each path,
    /// [`DELETE_CONCURRENCY`](remote_store_core::bulk::DELETE_CONCURRENCY) at a time; S3
    /// overrides it with `DeleteObjects`. Dropping the future cancels the deletes not yet
    /// done. An async version of `Backend::delete_many`, whose docs hold the contract.
    async fn delete_many(&self, paths: &[RemotePath], opts: &DeleteOptions) -> Vec<Result<()>> {
        use futures::stream::{self, StreamExt};
        // By index: a closure over `&RemotePath` items trips the `Send` check of the boxed
        // future (a higher-ranked lifetime the compiler cannot prove).
        stream::iter(0..paths.len())
            .map(|i| self.delete(&paths[i], opts))
            .buffered(remote_store_core::bulk::DELETE_CONCURRENCY)
            .collect()
            .await
    }

    /// Deletes the folder at `path`. Capability: `delete`.
    ///
    /// # Errors
    /// `NotFound` unless `opts.missing_ok`; `InvalidPath` for a file; `DirectoryNotEmpty`.
    async fn delete_folder(&self, path: &RemotePath, opts: &DeleteFolderOptions) -> Result<()>;

    /// Files directly in `path`, or the whole subtree when
    /// [`opts.is_recursive()`](ListOptions::is_recursive); lazily, page by page. A missing
    /// folder or a file lists as empty; a missing container is an error item, never an
    /// empty listing. Capability: `list`.
    fn list_files(&self, path: &RemotePath, opts: &ListOptions) -> FileStream;

    /// Immediate subfolders of `path`. Capability: `list`.
    fn list_folders(&self, path: &RemotePath) -> FolderStream;

    /// Immediate files and folders of `path`, in any order. Capability: `list`.
    fn iter_children(&self, path: &RemotePath) -> EntryStream;

    /// Files whose full key matches `pattern`. Capability: `glob`. The default lists the
    /// pattern's literal prefix recursively and matches each key.
    fn glob(&self, pattern: &GlobPattern) -> FileStream {
        let pattern = pattern.clone();
        let files = self.list_files(pattern.literal_prefix(), &ListOptions::subtree());
        files
            .filter(move |f| {
                futures::future::ready(f.as_ref().map_or(true, |f| pattern.matches(&f.path)))
            })
            .boxed()
    }

    /// Facts about the file at `path`. Capability: `metadata`.
    ///
    /// # Errors
    /// `NotFound`; `InvalidPath` for a folder.
    async fn get_file_info(&self, path: &RemotePath) -> Result<FileInfo>;

    /// Aggregates the subtree of `path`. Capability: `metadata`. The default lists
    /// recursively.
    ///
    /// # Errors
    /// `NotFound`; `InvalidPath` for a file.
    async fn get_folder_info(&self, path: &RemotePath) -> Result<FolderInfo> {
        fallback::folder_info_by_listing(self, path).await
    }

    /// Copies the file `src` to `dst`. Capability: `copy`. The default reads and writes.
    ///
    /// # Errors
    /// As `remote_store_sync::Backend::copy_file`.
    async fn copy_file(
        &self,
        src: &RemotePath,
        dst: &RemotePath,
        opts: &CopyOptions,
    ) -> Result<()> {
        fallback::copy_by_streaming(self, src, dst, opts).await
    }

    /// Moves the file `src` to `dst`. Capability: `move`. The default copies then deletes
    /// and reports a failed delete as a partial failure.
    ///
    /// # Errors
    /// As [`copy_file`](Self::copy_file).
    async fn move_file(
        &self,
        src: &RemotePath,
        dst: &RemotePath,
        opts: &MoveOptions,
    ) -> Result<()> {
        fallback::move_by_copy_and_delete(self, src, dst, opts).await
    }

    /// The cheapest read-only probe of the backend.
    ///
    /// # Errors
    /// `PermissionDenied`, `NotFound` for a missing bucket/root, `BackendUnavailable`.
    async fn ping(&self) -> Result<()> {
        self.is_folder(&RemotePath::ROOT).await.map(drop)
    }

    /// The backend's native name for `key`.
    ///
    /// # Errors
    /// `InvalidPath` when the key cannot be expressed.
    fn native_path(&self, key: &RemotePath) -> Result<String> {
        Ok(key.as_str().to_owned())
    }

    /// The inverse of [`native_path`](Self::native_path).
    ///
    /// # Errors
    /// `InvalidPath` for a native name outside the backend.
    fn to_key(&self, native: &str) -> Result<RemotePath> {
        RemotePath::new(native)
    }

    /// The SDK client, for `AsyncStore::native`, where the backend exposes one.
    fn native_client(&self) -> Option<&(dyn Any + Send + Sync)> {
        None
    }

    /// Releases resources. Terminal backends then report [`is_closed`](Self::is_closed).
    ///
    /// # Errors
    /// A failure to release.
    async fn close(&self) -> Result<()> {
        Ok(())
    }
}
