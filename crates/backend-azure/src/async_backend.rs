//! [`AsyncAzureBackend`]: the native async backend over `azure_storage_blob`.

use std::any::Any;
use std::fmt;
use std::num::NonZero;
use std::ops::Range;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, SystemTime};

use async_trait::async_trait;
use azure_core::http::headers::HeaderName;
use azure_core::http::{Etag, NoFormat, Response};
use azure_core::time::OffsetDateTime;
use azure_storage_blob::models::{
    BlobClientDeleteOptions, BlobClientDownloadOptions, BlobClientDownloadResult,
    BlobClientGetPropertiesResult, BlobClientGetPropertiesResultHeaders,
    BlobClientStartCopyFromUrlOptions, BlobClientStartCopyFromUrlResultHeaders, CopyStatus,
};
use bytes::Bytes;
use futures::{StreamExt, TryStreamExt};
use remote_store_async::{
    AsyncBackend, AsyncContent, ByteStream, EntryStream, FileStream, FolderStream, fallback,
};
use remote_store_core::{
    Capability, CapabilitySet, Error, ErrorKind, FileInfo, Metadata, RemotePath, Result,
    WriteOptions, WriteResult,
};
use remote_store_core::{
    CopyOptions, DeleteFolderOptions, DeleteOptions, ListOptions, MoveOptions, ObjectVersion,
    ReadOptions, WriteMode,
};

use crate::client::Client;
use crate::config::AzureConfig;
use crate::error::{self, BACKEND, is_invalid_range, is_not_found, map_at};
use crate::list::{self, Listed};

/// What the Azure backend declares: everything but `atomic_move` (a move is copy + delete)
/// and `seekable_read` (the blocking half adds it over native ranged reads).
pub(crate) const AZURE_CAPABILITIES: CapabilitySet = CapabilitySet::EMPTY
    .with(Capability::Read)
    .with(Capability::Write)
    .with(Capability::Delete)
    .with(Capability::List)
    .with(Capability::Move)
    .with(Capability::Copy)
    .with(Capability::AtomicWrite)
    .with(Capability::Metadata)
    .with(Capability::Glob)
    .with(Capability::RangeRead)
    .with(Capability::WriteResultNative)
    .with(Capability::UserMetadata)
    .with(Capability::ConditionalCreate)
    .with(Capability::ConditionalCopy)
    .with(Capability::ConditionalWrite)
    .with(Capability::ConditionalRead)
    .with(Capability::DigestMd5);

/// A number in `0.0..1.0` for the retry policy's jitter: std's randomly keyed hasher,
/// fresh per call (no random-number crate for one draw per retry).
fn random_unit() -> f64 {
    use std::hash::{BuildHasher, Hasher};
    let bits = std::collections::hash_map::RandomState::new()
        .build_hasher()
        .finish();
    (bits >> 11) as f64 / (1u64 << 53) as f64
}

/// What a delete found.
enum Deleted {
    Yes,
    Missing,
}

/// What a Get Blob delivered.
enum Downloaded {
    /// The body, and the version the reply names.
    Body(ByteStream, Option<ObjectVersion>),
    /// Nothing to read: the range is empty, or starts at or past the end of the blob.
    Nothing,
}

impl Downloaded {
    fn into_body(self) -> ByteStream {
        match self {
            Downloaded::Body(body, _) => body,
            Downloaded::Nothing => ByteStream::from_bytes(Bytes::new()),
        }
    }
}

/// The version a Get Blob reply names, as `get_file_info` reports it (ETag, version id,
/// Last-Modified) with the size of the whole blob: the total of `Content-Range` for a
/// ranged reply (the SDK asks for a range even for a whole blob), else `Content-Length`.
/// `None` when the reply gives no total size (`Content-Range: bytes 0-9/*`).
fn version_of_reply(key: &RemotePath, got: &BlobClientDownloadResult) -> Option<ObjectVersion> {
    let props = &got.properties;
    let range = got
        .headers
        .get_optional_str(&HeaderName::from_static("content-range"));
    let size = match range {
        Some(range) => range.rsplit_once('/')?.1.trim().parse().ok()?,
        None => props.content_length?,
    };
    let info = FileInfo::new(key.clone(), size, props.last_modified.map(SystemTime::from))
        .with_etag(props.etag.as_ref().map(crate::upload::etag_text))
        .with_version_id(props.version_id.clone());
    ObjectVersion::of(&info)
}

/// Blobs deleted at the same time by a recursive folder delete.
const DELETE_CONCURRENCY: usize = 16;

/// Azure Blob Storage as an [`AsyncBackend`], on Microsoft's official `azure_storage_blob`
/// crate. The blocking twin is `AzureBackend`.
///
/// Block blobs in one container (optionally under a key prefix); folders are key prefixes
/// (no marker blobs are written, a folder exists while a blob is under it). The constructor
/// does no I/O; [`ping`](AsyncBackend::ping) probes the container.
///
/// ```no_run
/// # async fn demo() -> remote_store_core::Result<()> {
/// use remote_store_async::AsyncStore;
/// use remote_store_azure::{AsyncAzureBackend, AzureAuth, AzureConfig};
///
/// let config = AzureConfig::new("reports", AzureAuth::ConnectionString {
///     connection_string: std::env::var("AZURE_STORAGE_CONNECTION_STRING").unwrap().into(),
/// });
/// let store = AsyncStore::new(AsyncAzureBackend::new(config)?, "")?;
/// store.write("q3/summary.txt", "done").await?;
/// # Ok(()) }
/// ```
pub struct AsyncAzureBackend {
    client: Arc<Client>,
    closed: AtomicBool,
    /// The container was seen to exist: a `404` without an error code on a blob then means
    /// a missing blob, without asking again.
    container_seen: AtomicBool,
    /// `AzureConfig::create_if_missing`, and whether the container is known to exist.
    create_if_missing: bool,
    /// `AzureConfig::check_folder_targets`: off in the flat-namespace mode.
    check_folder_targets: bool,
    container_ready: tokio::sync::OnceCell<()>,
}

impl AsyncAzureBackend {
    /// A backend for `config`. No network I/O happens here.
    ///
    /// # Errors
    /// `InvalidArgument` for a bad configuration (empty container, unusable endpoint,
    /// malformed connection string or key, Entra ID without the `identity` feature).
    pub fn new(config: AzureConfig) -> Result<Self> {
        Ok(AsyncAzureBackend {
            client: Arc::new(Client::new(&config)?),
            closed: AtomicBool::new(false),
            container_seen: AtomicBool::new(false),
            create_if_missing: config.create_if_missing,
            check_folder_targets: config.check_folder_targets,
            container_ready: tokio::sync::OnceCell::new(),
        })
    }

    /// With `create_if_missing`, creates the container once, before the first write (until
    /// then a missing container is reported as always).
    async fn ensure_container(&self) -> Result<()> {
        if !self.create_if_missing {
            return Ok(());
        }
        self.container_ready
            .get_or_try_init(|| self.create_container())
            .await?;
        self.container_seen.store(true, Ordering::Release);
        Ok(())
    }

    /// Creates the container; an existing container is fine.
    ///
    /// # Errors
    /// `PermissionDenied`, `BackendUnavailable`.
    pub async fn create_container(&self) -> Result<()> {
        match self.client.container.create(None).await {
            Ok(_) => Ok(()),
            Err(e) => {
                let mapped = error::map(e);
                if mapped.kind() == ErrorKind::AlreadyExists {
                    Ok(())
                } else {
                    Err(mapped.with_path(self.client.container_name.clone()))
                }
            }
        }
    }

    /// Deletes the container and everything in it (for test clean-up).
    ///
    /// # Errors
    /// `NotFound`, `PermissionDenied`, `BackendUnavailable`.
    pub async fn delete_container(&self) -> Result<()> {
        self.client
            .container
            .delete(None)
            .await
            .map(drop)
            .map_err(|e| error::map(e).with_path(self.client.container_name.clone()))
    }

    /// How many listing pages this backend has fetched so far (a diagnostic: tests use it
    /// to prove listings are paginated).
    ///
    /// A test hook (feature `test-hooks`, which only this workspace's integration tests
    /// enable): not part of the API.
    #[cfg(feature = "test-hooks")]
    #[doc(hidden)]
    pub fn list_pages_fetched(&self) -> u64 {
        self.client.pages_fetched.load(Ordering::Relaxed)
    }

    /// How many HTTP requests this backend has sent so far, retries included (a
    /// diagnostic: tests use it to count the requests of one call).
    ///
    /// A test hook (feature `test-hooks`, which only this workspace's integration tests
    /// enable): not part of the API.
    #[cfg(feature = "test-hooks")]
    #[doc(hidden)]
    pub fn requests_sent(&self) -> u64 {
        self.client.requests_sent.load(Ordering::Relaxed)
    }

    /// The SDK's container client (feature `sdk`; outside the semver promise, like the
    /// [`azure_storage_blob`](crate::azure_storage_blob) re-export).
    #[cfg(feature = "sdk")]
    #[cfg_attr(docsrs, doc(cfg(feature = "sdk")))]
    pub fn container_client(&self) -> &azure_storage_blob::BlobContainerClient {
        &self.client.container
    }

    /// `NotFound`, or `InvalidPath` when `key` names a folder: what a file operation on a
    /// missing blob reports.
    async fn missing(&self, key: &RemotePath) -> Error {
        match self.has_children(key).await {
            Ok(true) => Error::invalid_path(key.as_str(), "is a folder"),
            Ok(false) => Error::not_found(key.as_str()),
            Err(e) => e,
        }
    }

    /// After a `404` on a blob: the missing-container error when the service said
    /// `ContainerNotFound`; `Ok` when it said something else (the blob is missing). A `404`
    /// without a code is settled with one listing request, at most once per backend while
    /// the container keeps existing.
    async fn check_container(&self, err: &azure_core::Error, key: &RemotePath) -> Result<()> {
        if error::is_container_not_found(err) {
            self.container_seen.store(false, Ordering::Release);
            return Err(error::container_missing(
                &self.client.container_name,
                key.as_str(),
            ));
        }
        let has_code = matches!(error::status_of(err), Some((_, Some(_))));
        if has_code || self.container_seen.load(Ordering::Acquire) {
            return Ok(());
        }
        // Lists the root for one entry: a missing container fails with its name.
        self.has_children(&RemotePath::ROOT)
            .await
            .map_err(|e| e.with_path(key.as_str()))?;
        self.container_seen.store(true, Ordering::Release);
        Ok(())
    }

    async fn has_children(&self, key: &RemotePath) -> Result<bool> {
        list::has_children(self.client.clone(), key).await
    }

    async fn raw_properties(
        &self,
        key: &RemotePath,
    ) -> Result<Response<BlobClientGetPropertiesResult, NoFormat>> {
        match self.client.blob(key).get_properties(None).await {
            Ok(rsp) => Ok(rsp),
            Err(e) if is_not_found(&e) => Err(self.missing(key).await),
            Err(e) => Err(map_at(e, key.as_str())),
        }
    }

    async fn properties(&self, key: &RemotePath) -> Result<FileInfo> {
        let rsp = self.raw_properties(key).await?;
        let bad = |e: azure_core::Error| map_at(e, key.as_str());
        let size = rsp.content_length().map_err(bad)?.unwrap_or(0);
        let modified = rsp.last_modified().map_err(bad)?.map(SystemTime::from);
        let metadata: Metadata = crate::meta::decode(rsp.metadata().map_err(bad)?);
        Ok(FileInfo::new(key.clone(), size, modified)
            .with_etag(
                rsp.etag()
                    .map_err(bad)?
                    .map(|e| crate::upload::etag_text(&e)),
            )
            .with_version_id(rsp.version_id().map_err(bad)?)
            .with_content_type(rsp.content_type().map_err(bad)?)
            .with_digest(crate::upload::stored_md5(rsp.content_md5().map_err(bad)?))
            .with_metadata((!metadata.is_empty()).then_some(metadata)))
    }

    async fn download(&self, key: &RemotePath, range: Option<Range<u64>>) -> Result<Downloaded> {
        self.download_if(key, range, &ReadOptions::new()).await
    }

    /// A Get Blob of `range` carrying the conditions of `when` (its range is ignored): the
    /// service answers `412` (`PreconditionFailed`) or `304` (`NotModified`).
    async fn download_if(
        &self,
        key: &RemotePath,
        range: Option<Range<u64>>,
        when: &ReadOptions,
    ) -> Result<Downloaded> {
        let options = BlobClientDownloadOptions {
            // One request whose body streams; no parallel partitions buffered in memory.
            parallel: NonZero::new(1),
            partition_size: NonZero::new(usize::MAX / 2),
            range: range.clone().map(Into::into),
            if_match: when.if_match.clone().map(Etag::from),
            if_none_match: when.if_none_match.clone().map(Etag::from),
            if_modified_since: when.if_modified_since.map(OffsetDateTime::from),
            if_unmodified_since: when.if_unmodified_since.map(OffsetDateTime::from),
            ..Default::default()
        };
        let e = match self.client.blob(key).download(Some(options)).await {
            Ok(result) => {
                let version = version_of_reply(key, &result);
                let path = key.as_str().to_owned();
                let body = result.body.map_err(move |e| map_at(e, &path));
                return Ok(Downloaded::Body(ByteStream::new(body), version));
            }
            Err(e) => e,
        };
        if is_not_found(&e) {
            return Err(self.missing(key).await);
        }
        if when.has_conditions()
            && let Some(failed) = error::condition_failed(&e, key.as_str(), false)
        {
            return Err(failed.with_source(e));
        }
        if range.is_some() && is_invalid_range(&e) {
            // The range starts at or past the end of an existing blob: nothing to read.
            return Ok(Downloaded::Nothing);
        }
        Err(map_at(e, key.as_str()))
    }

    /// `InvalidPath` when the write (or copy) target `key` is a folder; no request in the
    /// flat-namespace mode (`check_folder_targets` off).
    async fn check_write_target(&self, key: &RemotePath) -> Result<()> {
        if self.check_folder_targets && self.has_children(key).await? {
            return Err(Error::invalid_path(
                key.as_str(),
                "a folder exists at this path",
            ));
        }
        Ok(())
    }

    /// Reads `stream` until it ends or passes `limit` bytes: `Ok` with the whole content
    /// when it fits, else `Err` with content that replays what was read, then the rest. A
    /// failing source is reported after the folder check, which comes first in the
    /// contract's order.
    async fn head_of<'a>(
        &self,
        key: &RemotePath,
        mut stream: futures::stream::BoxStream<'a, std::io::Result<Bytes>>,
        limit: usize,
    ) -> Result<std::result::Result<Bytes, AsyncContent<'a>>> {
        let mut head: Vec<Bytes> = Vec::new();
        let mut len = 0;
        while len <= limit {
            match stream.next().await {
                None => {
                    let whole = match head.len() {
                        1 => head.pop().unwrap_or_default(),
                        _ => head.concat().into(),
                    };
                    return Ok(Ok(whole));
                }
                Some(Ok(chunk)) => {
                    len += chunk.len();
                    head.push(chunk);
                }
                Some(Err(e)) => {
                    self.check_write_target(key).await?;
                    return Err(Error::from_io(e)
                        .with_path(key.as_str())
                        .with_message("the source of the write failed; nothing was committed"));
                }
            }
        }
        let replay = futures::stream::iter(head.into_iter().map(Ok)).chain(stream);
        Ok(Err(AsyncContent::chunks(replay)))
    }

    /// A small `overwrite = false` write: one `Put Blob` with `If-None-Match: *` sent
    /// together with the folder check (ADR 0014), latency max(list, put) instead of the
    /// sum. The check decides first, as the contract orders: a folder at the target is
    /// `InvalidPath` whatever the put did, and a blob the put created is deleted again
    /// (only while it still carries the etag this put returned); a failed check is its
    /// error, with the same undo. Only then does the put's own result count.
    async fn put_checked(
        &self,
        key: &RemotePath,
        content: AsyncContent<'static>,
        opts: &WriteOptions,
    ) -> Result<WriteResult> {
        let (folder, put) = futures::join!(
            self.has_children(key),
            crate::upload::upload(&self.client, key, content, opts)
        );
        let refusal = match folder {
            Ok(false) => return put,
            Ok(true) => Error::invalid_path(key.as_str(), "a folder exists at this path"),
            Err(e) => e,
        };
        let Ok(created) = put else {
            return Err(refusal);
        };
        let options = BlobClientDeleteOptions {
            if_match: created.etag.clone().map(azure_core::http::Etag::from),
            ..Default::default()
        };
        match self.client.blob(key).delete(Some(options)).await {
            Ok(_) => Err(refusal),
            // Replaced (or removed) since by another writer: no longer ours to remove.
            Err(e) if is_not_found(&e) || error::is_precondition_failed(&e) => Err(refusal),
            Err(e) => {
                let undo = map_at(e, key.as_str());
                tracing::warn!(key = %key.as_str(), error = %undo, "removing the blob of a refused write failed");
                let message = format!(
                    "{}; the blob this write created could not be removed: {undo}",
                    refusal.message().unwrap_or("refused")
                );
                Err(refusal.with_message(message))
            }
        }
    }

    async fn delete_blob_name(&self, name: String) -> Result<()> {
        self.delete_blob(&name)
            .await
            .map(drop)
            .map_err(|e| e.with_path(name))
    }

    /// Deletes one blob, retrying transient failures itself: a retry that finds the blob
    /// gone after an attempt whose answer was lost counts as deleted (the pipeline's own
    /// retry would report such a success as `NotFound`).
    async fn delete_blob(&self, name: &str) -> Result<Deleted> {
        let blob = self.client.container_once.blob_client(name);
        let policy = &self.client.retry;
        let started = std::time::Instant::now();
        let mut lost_answer = false;
        let mut retry = 0u32;
        loop {
            let err = match blob.delete(None).await {
                Ok(_) => return Ok(Deleted::Yes),
                Err(e) if is_not_found(&e) => {
                    return Ok(if lost_answer {
                        Deleted::Yes
                    } else {
                        Deleted::Missing
                    });
                }
                Err(e) => error::map(e),
            };
            retry += 1;
            let wait = if err.is_retryable() {
                policy.delay(retry, started.elapsed(), random_unit())
            } else {
                None
            };
            let Some(wait) = wait else {
                return Err(err);
            };
            lost_answer = true;
            tokio::time::sleep(wait).await;
        }
    }

    async fn wait_for_copy(&self, dst: &RemotePath, mut status: Option<CopyStatus>) -> Result<()> {
        let mut delay = Duration::from_millis(20);
        loop {
            match status {
                Some(CopyStatus::Success) | None => return Ok(()),
                Some(CopyStatus::Pending) => {}
                Some(_) => {
                    return Err(Error::new(ErrorKind::Other)
                        .with_path(dst.as_str())
                        .with_message("the server-side copy failed or was aborted"));
                }
            }
            tokio::time::sleep(delay).await;
            delay = (delay * 2).min(Duration::from_secs(1));
            let rsp = self
                .client
                .blob(dst)
                .get_properties(None)
                .await
                .map_err(|e| map_at(e, dst.as_str()))?;
            status = rsp.copy_status().map_err(|e| map_at(e, dst.as_str()))?;
        }
    }

    fn listing(
        &self,
        path: &RemotePath,
        hierarchical: bool,
    ) -> futures::stream::BoxStream<'static, Result<Listed>> {
        list::list(self.client.clone(), path, hierarchical).boxed()
    }
}

impl fmt::Debug for AsyncAzureBackend {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AsyncAzureBackend")
            .field("container", &self.client)
            .field("closed", &self.closed.load(Ordering::Relaxed))
            .finish_non_exhaustive()
    }
}

#[async_trait]
impl AsyncBackend for AsyncAzureBackend {
    fn name(&self) -> &'static str {
        BACKEND
    }

    fn capabilities(&self) -> CapabilitySet {
        if self.check_folder_targets {
            AZURE_CAPABILITIES.with(Capability::FolderFileExclusion)
        } else {
            AZURE_CAPABILITIES
        }
    }

    fn is_closed(&self) -> bool {
        self.closed.load(Ordering::Acquire)
    }

    async fn exists(&self, path: &RemotePath) -> Result<bool> {
        Ok(self.is_file(path).await? || self.is_folder(path).await?)
    }

    async fn is_file(&self, path: &RemotePath) -> Result<bool> {
        if path.is_root() {
            return Ok(false);
        }
        match self.client.blob(path).get_properties(None).await {
            Ok(_) => Ok(true),
            Err(e) if is_not_found(&e) => {
                self.check_container(&e, path).await?;
                Ok(false)
            }
            Err(e) => Err(map_at(e, path.as_str())),
        }
    }

    async fn is_folder(&self, path: &RemotePath) -> Result<bool> {
        if path.is_root() {
            return Ok(true);
        }
        self.has_children(path).await
    }

    async fn read(&self, path: &RemotePath) -> Result<ByteStream> {
        Ok(self.download(path, None).await?.into_body())
    }

    async fn read_range(&self, path: &RemotePath, range: Range<u64>) -> Result<ByteStream> {
        if range.start >= range.end {
            self.properties(path).await?;
            return Ok(ByteStream::from_bytes(Bytes::new()));
        }
        Ok(self.download(path, Some(range)).await?.into_body())
    }

    /// One Get Blob: the version comes from its reply (ETag, version id, Last-Modified,
    /// and the size from `Content-Range`), so it names exactly the blob whose bytes the
    /// body carries. A read of no bytes (an empty range, or one past the end) takes the
    /// version from Get Blob Properties, as `read_range` checks the blob exists.
    async fn read_versioned(
        &self,
        path: &RemotePath,
        range: Option<Range<u64>>,
    ) -> Result<(ByteStream, Option<ObjectVersion>)> {
        let got = match range {
            Some(range) if range.start >= range.end => Downloaded::Nothing,
            range => self.download(path, range).await?,
        };
        match got {
            Downloaded::Body(body, version) => Ok((body, version)),
            Downloaded::Nothing => {
                let info = self.properties(path).await?;
                Ok((
                    ByteStream::from_bytes(Bytes::new()),
                    ObjectVersion::of(&info),
                ))
            }
        }
    }

    async fn read_with(&self, path: &RemotePath, opts: &ReadOptions) -> Result<ByteStream> {
        let empty_range = opts.range.as_ref().is_some_and(|r| r.start >= r.end);
        if !opts.has_conditions() || empty_range {
            return fallback::read_checked(self, path, opts).await;
        }
        Ok(self
            .download_if(path, opts.range.clone(), opts)
            .await?
            .into_body())
    }

    async fn write(
        &self,
        path: &RemotePath,
        content: AsyncContent<'_>,
        mode: WriteMode,
        opts: &WriteOptions,
    ) -> Result<WriteResult> {
        // A Put Blob, or a block list commit, is all-or-nothing, so both modes are the same.
        let _ = mode;
        self.ensure_container().await?;
        if opts.overwrite || !self.check_folder_targets {
            self.check_write_target(path).await?;
            return crate::upload::upload(&self.client, path, content, opts).await;
        }
        // overwrite=false: content that fits one Put Blob goes out with the folder check
        // (ADR 0014); anything larger is checked first, as before.
        let part_size = usize::try_from(self.client.part_size).unwrap_or(usize::MAX);
        let content = match content {
            AsyncContent::Bytes(body) if body.len() <= part_size => {
                return self.put_checked(path, body.into(), opts).await;
            }
            AsyncContent::Bytes(body) => body.into(),
            AsyncContent::Stream(stream) => match self.head_of(path, stream, part_size).await? {
                Ok(whole) => return self.put_checked(path, whole.into(), opts).await,
                Err(rest) => rest,
            },
        };
        self.check_write_target(path).await?;
        crate::upload::upload(&self.client, path, content, opts).await
    }

    async fn delete(&self, path: &RemotePath, opts: &DeleteOptions) -> Result<()> {
        let missing_ok = opts.missing_ok;
        match self.delete_blob(&self.client.blob_name(path)).await {
            Ok(Deleted::Yes) => Ok(()),
            Ok(Deleted::Missing) => match self.missing(path).await {
                e if e.kind() == ErrorKind::NotFound
                    && !e.is_container_not_found()
                    && missing_ok =>
                {
                    Ok(())
                }
                e => Err(e),
            },
            Err(e) => Err(e.with_path(path.as_str())),
        }
    }

    async fn delete_folder(&self, path: &RemotePath, opts: &DeleteFolderOptions) -> Result<()> {
        let DeleteFolderOptions {
            recursive,
            missing_ok,
            ..
        } = *opts;
        if self.is_file(path).await? {
            return Err(Error::invalid_path(path.as_str(), "is a file"));
        }
        if !self.has_children(path).await? {
            return if missing_ok {
                Ok(())
            } else {
                Err(Error::not_found(path.as_str()))
            };
        }
        if !recursive {
            return Err(Error::directory_not_empty(path.as_str()));
        }
        list::names(self.client.clone(), path)
            .map_ok(|name| self.delete_blob_name(name))
            .try_buffer_unordered(DELETE_CONCURRENCY)
            .try_collect::<()>()
            .await
    }

    fn list_files(&self, path: &RemotePath, opts: &ListOptions) -> FileStream {
        let recursive = opts.is_recursive();
        self.listing(path, !recursive)
            .try_filter_map(|l| async move {
                Ok(match l {
                    Listed::File(f) => Some(f),
                    Listed::Folder(_) => None,
                })
            })
            .boxed()
    }

    fn list_folders(&self, path: &RemotePath) -> FolderStream {
        self.listing(path, true)
            .try_filter_map(|l| async move {
                Ok(match l {
                    Listed::Folder(d) => Some(d),
                    Listed::File(_) => None,
                })
            })
            .boxed()
    }

    fn iter_children(&self, path: &RemotePath) -> EntryStream {
        self.listing(path, true).map_ok(Listed::into_entry).boxed()
    }

    async fn get_file_info(&self, path: &RemotePath) -> Result<FileInfo> {
        self.properties(path).await
    }

    async fn copy_file(
        &self,
        src: &RemotePath,
        dst: &RemotePath,
        opts: &CopyOptions,
    ) -> Result<()> {
        let overwrite = opts.overwrite;
        let source = self.raw_properties(src).await?;
        if src == dst {
            return Ok(());
        }
        self.check_write_target(dst).await?;
        let source_url = self.client.blob(src).url().to_string();
        let mut options = BlobClientStartCopyFromUrlOptions::default();
        let mut write_id = None;
        if !overwrite {
            // As for writes: the copy carries the source's metadata plus this operation's
            // id, so a retried copy that meets its own success is recognised.
            let id = uuid::Uuid::new_v4().simple().to_string();
            let mut metadata = source.metadata().map_err(|e| map_at(e, src.as_str()))?;
            metadata.retain(|k, _| !k.eq_ignore_ascii_case(crate::meta::WRITE_ID_KEY));
            metadata.insert(crate::meta::WRITE_ID_KEY.to_owned(), id.clone());
            options.metadata = Some(metadata);
            options.if_none_match = Some(azure_core::http::Etag::from("*"));
            write_id = Some(id);
        }
        let dst_blob = self.client.blob(dst);
        let status = match dst_blob
            .start_copy_from_url(source_url, Some(options))
            .await
        {
            Ok(rsp) => rsp.copy_status().map_err(|e| map_at(e, dst.as_str()))?,
            Err(e) => {
                let err = map_at(e, dst.as_str());
                crate::upload::recognise_own_write(&dst_blob, dst, write_id.as_deref(), err)
                    .await?;
                None
            }
        };
        self.wait_for_copy(dst, status).await
    }

    async fn move_file(
        &self,
        src: &RemotePath,
        dst: &RemotePath,
        opts: &MoveOptions,
    ) -> Result<()> {
        if src == dst {
            return self.properties(src).await.map(drop);
        }
        // The source is deleted only if it is still the version seen before the copy
        // (`If-Match` its etag): a source replaced during the move is kept, never deleted
        // unread. (Replaced before the copy, the copy holds the new version and the source
        // is kept too: nothing is lost either way.)
        let seen = self.properties(src).await?.etag;
        self.copy_file(src, dst, &opts.as_copy()).await?;
        let options = BlobClientDeleteOptions {
            if_match: seen.map(Etag::from),
            ..Default::default()
        };
        match self.client.blob(src).delete(Some(options)).await {
            Ok(_) => Ok(()),
            // Removed meanwhile by someone else: the copy is what is left, as asked.
            Err(e) if is_not_found(&e) => Ok(()),
            Err(e) if error::is_precondition_failed(&e) => {
                let changed = Error::new(ErrorKind::PreconditionFailed)
                    .with_path(src.as_str())
                    .with_message(
                        "the source changed during the move: the copy holds the version \
                         read, and the source (a newer version) was kept",
                    );
                Err(remote_store_sync::fallback::partial_move(changed, src, dst))
            }
            Err(e) => Err(remote_store_sync::fallback::partial_move(
                map_at(e, src.as_str()),
                src,
                dst,
            )),
        }
    }

    /// `Get Container Properties`: a missing container is `NotFound` naming it.
    async fn ping(&self) -> Result<()> {
        match self.client.container.get_properties(None).await {
            Ok(_) => {
                self.container_seen.store(true, Ordering::Release);
                Ok(())
            }
            Err(e) if is_not_found(&e) => {
                Err(error::container_missing(&self.client.container_name, "")
                    .with_source(error::map(e)))
            }
            Err(e) => Err(error::map(e).with_path(self.client.container_name.clone())),
        }
    }

    fn native_path(&self, key: &RemotePath) -> Result<String> {
        let name = self.client.blob_name(key);
        Ok(if name.is_empty() {
            format!("azure://{}", self.client.container_name)
        } else {
            format!("azure://{}/{name}", self.client.container_name)
        })
    }

    fn to_key(&self, native: &str) -> Result<RemotePath> {
        let outside =
            || Error::invalid_path(native, "not inside this backend's container and prefix");
        let rest = native
            .strip_prefix("azure://")
            .and_then(|r| r.strip_prefix(self.client.container_name.as_str()))
            .ok_or_else(outside)?;
        let rest = match rest {
            "" | "/" => "",
            r => r.strip_prefix('/').ok_or_else(outside)?,
        };
        let prefix = self.client.prefix.as_str();
        let key = if prefix.is_empty() {
            rest
        } else if rest == prefix {
            ""
        } else {
            rest.strip_prefix(prefix)
                .and_then(|r| r.strip_prefix('/'))
                .ok_or_else(outside)?
        };
        RemotePath::new(key)
    }

    fn native_client(&self) -> Option<&(dyn Any + Send + Sync)> {
        Some(&self.client.container)
    }

    async fn close(&self) -> Result<()> {
        self.closed.store(true, Ordering::Release);
        Ok(())
    }
}
