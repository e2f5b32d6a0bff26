//! [`AsyncS3Backend`]: the S3 backend on aws-sdk-s3's async client.

use std::any::Any;
use std::fmt;
use std::ops::Range;
use std::sync::Arc;
use std::sync::atomic::Ordering;

use aws_sdk_s3::error::SdkError;
use aws_sdk_s3::operation::get_object::{GetObjectError, GetObjectOutput};
use aws_sdk_s3::primitives::DateTime;
use remote_store_async::fallback;
use remote_store_async::{
    AsyncBackend, AsyncContent, ByteStream, EntryStream, FileStream, FolderStream, async_trait,
};
use remote_store_core::{
    Capability, CapabilitySet, Error, ErrorKind, FileInfo, FolderInfo, RemotePath, Result,
    WriteOptions, WriteResult,
};
use remote_store_core::{
    CopyOptions, DeleteFolderOptions, DeleteOptions, ListOptions, MoveOptions, ObjectVersion,
    ReadOptions, WriteMode,
};
use remote_store_sync::fallback::partial_move;

use crate::error::{self, Failure};
use crate::inner::{Inner, to_system_time};
use crate::{S3Config, copy, list, read, upload};

/// What every S3 backend can do; `conditional_create` is added when the configuration says
/// the server honours `If-None-Match`.
const CAPABILITIES: CapabilitySet = CapabilitySet::EMPTY
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
    .with(Capability::BulkDelete)
    .with(Capability::UserMetadata);

/// An S3 bucket (or a prefix in one) as an [`AsyncBackend`], on aws-sdk-s3's async client.
///
/// This is the async version of [`S3Backend`](crate::S3Backend), which drives this very
/// type through `BlockingAdapter`. Construction does no network I/O; use `ping` to probe.
/// Cloning is cheap and shares the client.
///
/// ```no_run
/// # async fn demo() -> remote_store_core::Result<()> {
/// use remote_store_async::AsyncStore;
/// use remote_store_s3::{AsyncS3Backend, S3Config};
///
/// let backend = AsyncS3Backend::new(S3Config::new("my-bucket").prefix("reports"))?;
/// let store = AsyncStore::new(backend, "")?;
/// store.write("q3/summary.txt", "all good").await?;
/// assert_eq!(store.read_text("q3/summary.txt").await?, "all good");
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct AsyncS3Backend {
    inner: Arc<Inner>,
}

impl AsyncS3Backend {
    /// A backend for `config`, with its own SDK client. No network I/O happens here.
    ///
    /// # Errors
    /// `InvalidArgument` for an invalid configuration (naming the field).
    pub fn new(config: S3Config) -> Result<Self> {
        Ok(AsyncS3Backend {
            inner: Arc::new(Inner::new(config)?),
        })
    }

    /// A backend over an SDK client built elsewhere (custom interceptors, HTTP client, ...).
    /// `config` still supplies the bucket, prefix and tuning; its connection, credential,
    /// retry and timeout fields are not used.
    ///
    /// Feature `sdk`: the client's type belongs to the SDK, outside the semver promise.
    ///
    /// # Errors
    /// `InvalidArgument` for an invalid configuration.
    #[cfg(feature = "sdk")]
    #[cfg_attr(docsrs, doc(cfg(feature = "sdk")))]
    pub fn with_client(client: aws_sdk_s3::Client, config: S3Config) -> Result<Self> {
        let prefix = config.validate()?;
        Ok(AsyncS3Backend {
            inner: Arc::new(Inner::with_client(client, config, prefix)),
        })
    }

    /// The SDK client (also available through `AsyncStore::native`). Feature `sdk`: the
    /// client's type belongs to the SDK, outside the semver promise.
    #[cfg(feature = "sdk")]
    #[cfg_attr(docsrs, doc(cfg(feature = "sdk")))]
    pub fn client(&self) -> &aws_sdk_s3::Client {
        &self.inner.client
    }

    /// The configuration this backend was built from.
    pub fn config(&self) -> &S3Config {
        &self.inner.config
    }

    /// Deletes every key below folder `path`, in `DeleteObjects` batches of up to 1000
    /// keys, then the folder-marker keys (`a/`, `a/b/`) of the folder and every sub-folder
    /// seen: on S3 those are no-ops within one more batch; on servers that keep objects as
    /// files (s3s-fs, MinIO in FS mode) they remove the emptied directories, so no trace
    /// of the folder is left. Returns how many keys were listed and deleted.
    async fn delete_tree(&self, path: &RemotePath) -> Result<usize> {
        let inner = &self.inner;
        let prefix = inner.keys.folder(path);
        let mut markers = std::collections::BTreeSet::from([prefix.clone()]);
        let mut after: Option<String> = None;
        let mut deleted = 0;
        loop {
            // Each round lists from the last deleted key on, so the listing never depends
            // on how a server's continuation tokens behave while keys disappear.
            let out = inner
                .list_page(&prefix, false, 1000, None, after.clone())
                .await
                .map_err(|e| inner.sdk_error(e, path.as_str()))?;
            let keys: Vec<String> = out
                .contents()
                .iter()
                .filter_map(|o| o.key().map(str::to_owned))
                .collect();
            let Some(last) = keys.last().cloned() else {
                break;
            };
            for key in &keys {
                let below = &key[prefix.len().min(key.len())..];
                for (i, _) in below.match_indices('/') {
                    markers.insert(key[..prefix.len() + i + 1].to_owned());
                }
            }
            self.delete_batch(path, keys.clone()).await?;
            deleted += keys.len();
            after = Some(last);
        }
        // Deepest first: a directory is removed only once it is empty.
        let mut markers: Vec<String> = markers.into_iter().collect();
        markers.sort_by_key(|m| std::cmp::Reverse(m.matches('/').count()));
        for batch in markers.chunks(1000) {
            self.delete_batch(path, batch.to_vec()).await?;
        }
        Ok(deleted)
    }

    /// One `DeleteObjects` call (at most 1000 keys); a per-key failure is an error.
    async fn delete_batch(&self, path: &RemotePath, keys: Vec<String>) -> Result<()> {
        let inner = &self.inner;
        let result = crate::bulk::send_delete(inner, &keys)
            .await
            .map_err(|e| self.inner.sdk_error(e, path.as_str()))?;
        if let Some(failed) = result.errors().first() {
            let kind = error::classify(None, failed.code()).unwrap_or(ErrorKind::Other);
            let key = failed.key().unwrap_or_default();
            let shown = inner
                .keys
                .path_of(key)
                .map_or(key.to_owned(), |p| p.as_str().to_owned());
            return Err(error::finish(
                Error::new(kind).with_message(format!(
                    "DeleteObjects failed for {shown}: {}",
                    failed.code().unwrap_or("unknown error")
                )),
                path.as_str(),
            ));
        }
        Ok(())
    }
}

impl fmt::Debug for AsyncS3Backend {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let c = &self.inner.config;
        f.debug_struct("AsyncS3Backend")
            .field("bucket", &c.bucket)
            .field("prefix", &c.prefix)
            .field("endpoint", &c.endpoint)
            .field("closed", &self.inner.is_closed())
            .finish_non_exhaustive()
    }
}

#[async_trait]
#[warn(clippy::missing_trait_methods)]
impl AsyncBackend for AsyncS3Backend {
    fn name(&self) -> &'static str {
        error::BACKEND
    }

    fn capabilities(&self) -> CapabilitySet {
        let mut caps = CAPABILITIES;
        if self.inner.config.conditional_create {
            caps = caps.with(Capability::ConditionalCreate);
        }
        if self.inner.config.check_folder_targets {
            caps = caps.with(Capability::FolderFileExclusion);
        }
        if self.inner.config.conditional_write {
            caps = caps.with(Capability::ConditionalWrite);
        }
        if self.inner.config.conditional_read {
            caps = caps.with(Capability::ConditionalRead);
        }
        if self.inner.config.conditional_copy && self.inner.config.conditional_create {
            caps = caps.with(Capability::ConditionalCopy);
        }
        caps = caps.with(Capability::ListStartAfter);
        if self.inner.config.service_checksums {
            caps = caps
                .with(Capability::DigestCrc32c)
                .with(Capability::DigestSha256)
                .with(Capability::DigestCrc64Nvme);
        }
        caps
    }

    fn is_closed(&self) -> bool {
        self.inner.is_closed()
    }

    async fn exists(&self, path: &RemotePath) -> Result<bool> {
        let (file, folder) =
            futures::try_join!(self.inner.is_file(path), self.inner.is_folder(path))?;
        Ok(file || folder)
    }

    async fn is_file(&self, path: &RemotePath) -> Result<bool> {
        self.inner.is_file(path).await
    }

    async fn is_folder(&self, path: &RemotePath) -> Result<bool> {
        self.inner.is_folder(path).await
    }

    async fn read(&self, path: &RemotePath) -> Result<ByteStream> {
        Ok(self.read_range_inner(path, None).await?.0)
    }

    async fn read_bytes(&self, path: &RemotePath) -> Result<bytes::Bytes> {
        self.read(path).await?.collect_bytes().await
    }

    async fn read_range(&self, path: &RemotePath, range: Range<u64>) -> Result<ByteStream> {
        Ok(self.read_range_versioned(path, range).await?.0)
    }

    /// One `GetObject`: the version comes from its reply (ETag, version id, Last-Modified,
    /// and the size from `Content-Range`), so it names exactly the object whose bytes the
    /// body carries. Only the edge cases that `read_range` settles with a `HeadObject` (an
    /// empty range, a range past the end) take the version from that `HeadObject`; they
    /// return no bytes.
    async fn read_versioned(
        &self,
        path: &RemotePath,
        range: Option<Range<u64>>,
    ) -> Result<(ByteStream, Option<ObjectVersion>)> {
        match range {
            Some(range) => self.read_range_versioned(path, range).await,
            None => self.read_range_inner(path, None).await,
        }
    }

    async fn read_with(&self, path: &RemotePath, opts: &ReadOptions) -> Result<ByteStream> {
        let empty_range = opts.range.as_ref().is_some_and(|r| r.start >= r.end);
        if !opts.has_conditions() || !self.inner.config.conditional_read || empty_range {
            return fallback::read_checked(self, path, opts).await;
        }
        let (body, _) = self
            .read_range_inner_if(path, opts.range.clone(), opts)
            .await?;
        Ok(body)
    }

    async fn write(
        &self,
        path: &RemotePath,
        content: AsyncContent<'_>,
        mode: WriteMode,
        opts: &WriteOptions,
    ) -> Result<WriteResult> {
        // A `PutObject` or a completed multipart upload is all-or-nothing, so both modes
        // are the same.
        let _ = mode;
        self.inner.ensure_bucket().await?;
        match upload::write(&self.inner, path, content, opts).await {
            // Where the server refuses folder targets itself, its refusal is told apart
            // here (boxed: rare, and inline it would enlarge every write's future).
            Err(e) => Err(Box::pin(self.inner.refused_target(path, e)).await),
            written => written,
        }
    }

    async fn delete(&self, path: &RemotePath, opts: &DeleteOptions) -> Result<()> {
        crate::bulk::delete_one(&self.inner, path, opts.missing_ok).await
    }

    /// `DeleteObjects`, up to 1,000 keys a request (see the crate's `bulk` module). Without
    /// `missing_ok` the keys are checked first, as the single `delete` does: by one listing
    /// of a folder's key range where a folder holds many of them, else a `HeadObject` each.
    /// With `missing_ok`, a path that is a folder (a prefix of other
    /// keys, no object of its own) is reported deleted: there was no object to delete, and
    /// the folder's keys are untouched.
    async fn delete_many(&self, paths: &[RemotePath], opts: &DeleteOptions) -> Vec<Result<()>> {
        crate::bulk::delete_many(&self.inner, paths, opts).await
    }

    async fn delete_folder(&self, path: &RemotePath, opts: &DeleteFolderOptions) -> Result<()> {
        let DeleteFolderOptions {
            recursive,
            missing_ok,
            ..
        } = *opts;
        // List first: a folder with keys below it is a folder (this also spares servers
        // that keep objects as files a HEAD of a directory).
        let inner = &self.inner;
        let out = inner
            .list_page(&inner.keys.folder(path), false, 2, None, None)
            .await;
        let keys: Vec<String> = match out {
            Ok(out) => out
                .contents()
                .iter()
                .filter_map(|o| o.key().map(str::to_owned))
                .collect(),
            Err(e) => return Err(self.inner.sdk_error(e, path.as_str())),
        };
        if keys.is_empty() {
            return if self.inner.is_file(path).await? {
                Err(error::finish(
                    Error::invalid_path(path.as_str(), "is a file"),
                    path.as_str(),
                ))
            } else if missing_ok {
                Ok(())
            } else {
                Err(error::finish(
                    Error::not_found(path.as_str()),
                    path.as_str(),
                ))
            };
        }
        let only_marker = keys.len() == 1 && keys[0] == self.inner.keys.folder(path);
        if !recursive && !only_marker {
            return Err(error::finish(
                Error::directory_not_empty(path.as_str()),
                path.as_str(),
            ));
        }
        self.delete_tree(path).await.map(drop)
    }

    fn list_files(&self, path: &RemotePath, opts: &ListOptions) -> FileStream {
        let recursive = opts.is_recursive();
        list::files(
            Arc::clone(&self.inner),
            path,
            recursive,
            opts.start_after.as_deref(),
        )
    }

    fn list_folders(&self, path: &RemotePath) -> FolderStream {
        list::folders(Arc::clone(&self.inner), path)
    }

    fn iter_children(&self, path: &RemotePath) -> EntryStream {
        list::children(Arc::clone(&self.inner), path)
    }

    /// The portable glob over a recursive listing of the pattern's literal prefix: only
    /// keys below that prefix are fetched.
    fn glob(&self, pattern: &remote_store_core::GlobPattern) -> FileStream {
        use futures::StreamExt;
        let pattern = pattern.clone();
        list::files(
            Arc::clone(&self.inner),
            pattern.literal_prefix(),
            true,
            None,
        )
        .filter(move |f| {
            futures::future::ready(f.as_ref().map_or(true, |f| pattern.matches(&f.path)))
        })
        .boxed()
    }

    async fn get_file_info(&self, path: &RemotePath) -> Result<FileInfo> {
        self.inner.file_info(path).await
    }

    /// One recursive listing; only an empty one costs a `HeadObject` (file or missing?).
    async fn get_folder_info(&self, path: &RemotePath) -> Result<FolderInfo> {
        use futures::StreamExt;
        let mut info = FolderInfo::new(path.clone());
        let mut files = list::files(Arc::clone(&self.inner), path, true, None);
        while let Some(file) = files.next().await {
            info.add(&file?);
        }
        if info.file_count > 0 || path.is_root() {
            return Ok(info);
        }
        if self.inner.is_file(path).await? {
            return Err(error::finish(
                Error::invalid_path(path.as_str(), "is a file"),
                path.as_str(),
            ));
        }
        if self.inner.is_folder(path).await? {
            return Ok(info); // only a folder marker below it
        }
        Err(error::finish(
            Error::not_found(path.as_str()),
            path.as_str(),
        ))
    }

    async fn copy_file(
        &self,
        src: &RemotePath,
        dst: &RemotePath,
        opts: &CopyOptions,
    ) -> Result<()> {
        let overwrite = opts.overwrite;
        copy::copy(&self.inner, src, dst, overwrite).await.map(drop)
    }

    /// `CopyObject` then `DeleteObject`: not atomic; a failed delete is reported as a
    /// partial failure (the copy exists, the source too). The delete carries `If-Match`
    /// with the ETag the source had before the copy, so a source replaced meanwhile by
    /// another writer is kept (`PreconditionFailed`, partial) instead of deleted unseen; a
    /// source deleted meanwhile is the move's end state. Servers that ignore or refuse
    /// the header get a plain delete.
    async fn move_file(
        &self,
        src: &RemotePath,
        dst: &RemotePath,
        opts: &MoveOptions,
    ) -> Result<()> {
        let overwrite = opts.overwrite;
        if src == dst {
            return self.inner.file_info(src).await.map(drop);
        }
        let etag = copy::copy(&self.inner, src, dst, overwrite).await?;
        let deleted = match &etag {
            Some(etag) => self.inner.delete_object_if_match(src, etag).await,
            None => self.inner.delete_object(src).await,
        };
        match deleted {
            Ok(()) => Ok(()),
            // Deleted by someone else after the copy: the source is gone, as a move leaves it.
            Err(e)
                if etag.is_some()
                    && Failure::of(&e).is_not_found()
                    && !Failure::of(&e).is_missing_bucket() =>
            {
                Ok(())
            }
            Err(e) if Failure::of(&e).is_precondition_failed() => Err(partial_move(
                error::finish(
                    Error::precondition_failed(
                        src.as_str(),
                        "the source was replaced by another writer after it was copied; \
                         the new source is kept and the destination holds the copied content",
                    ),
                    src.as_str(),
                )
                .with_source(e),
                src,
                dst,
            )),
            Err(e) => Err(partial_move(
                self.inner.sdk_error(e, src.as_str()),
                src,
                dst,
            )),
        }
    }

    /// `HeadBucket`: bad credentials are `PermissionDenied`, a missing bucket `NotFound`
    /// (naming it), an unreachable endpoint `BackendUnavailable`.
    async fn ping(&self) -> Result<()> {
        match self
            .inner
            .client
            .head_bucket()
            .bucket(self.inner.bucket())
            .send()
            .await
        {
            Ok(_) => {
                self.inner.saw_bucket();
                Ok(())
            }
            Err(e) if Failure::of(&e).is_not_found() => {
                Err(self.inner.missing_bucket("").with_source(e))
            }
            Err(e) => Err(self.inner.sdk_error(e, "")),
        }
    }

    fn native_path(&self, key: &RemotePath) -> Result<String> {
        Ok(self.inner.keys.native(key))
    }

    fn to_key(&self, native: &str) -> Result<RemotePath> {
        self.inner.keys.parse_native(native)
    }

    fn native_client(&self) -> Option<&(dyn Any + Send + Sync)> {
        Some(&self.inner.client)
    }

    /// Terminal: every later call through a store fails with `BackendUnavailable("closed")`.
    /// The SDK client's connections are released when the last clone is dropped.
    async fn close(&self) -> Result<()> {
        self.inner.closed.store(true, Ordering::Release);
        Ok(())
    }
}

impl AsyncS3Backend {
    /// `read_range` with the version it read: an empty range reads nothing and takes the
    /// version from the `HeadObject` that checks the object exists.
    async fn read_range_versioned(
        &self,
        path: &RemotePath,
        range: Range<u64>,
    ) -> Result<(ByteStream, Option<ObjectVersion>)> {
        if range.start >= range.end {
            let info = self.inner.file_info(path).await?;
            return Ok((empty(), ObjectVersion::of(&info)));
        }
        self.read_range_inner(path, Some(range)).await
    }

    /// `GetObject` of the whole object or of `range` (non-empty), with the version read.
    async fn read_range_inner(
        &self,
        path: &RemotePath,
        range: Option<Range<u64>>,
    ) -> Result<(ByteStream, Option<ObjectVersion>)> {
        self.read_range_inner_if(path, range, &ReadOptions::new())
            .await
    }

    /// A `GetObject` of `range` carrying the conditions of `when` (its range is ignored):
    /// the service answers `412` (`PreconditionFailed`) or `304` (`NotModified`). With the
    /// version of the object read: from the reply that carries the body, or, when the range
    /// starts past the end (no bytes), from the `HeadObject` that found the size.
    async fn read_range_inner_if(
        &self,
        path: &RemotePath,
        range: Option<Range<u64>>,
        when: &ReadOptions,
    ) -> Result<(ByteStream, Option<ObjectVersion>)> {
        match self.get_object(path, range.clone(), when).await {
            Ok(got) => Ok(got),
            // Boxed: the error path's requests (folder probe, `HeadObject`, a clamped
            // retry) and the SDK error take no room in the future of every read, which
            // is what a queued read holds while it waits (10,000 concurrent reads).
            Err(e) => Box::pin(self.read_failed(path, range, when, e)).await,
        }
    }

    /// What a failed `GetObject` of `range` means: a missing bucket or object, a folder,
    /// a range past the end (clamped), or the SDK's error.
    async fn read_failed(
        &self,
        path: &RemotePath,
        range: Option<Range<u64>>,
        when: &ReadOptions,
        e: SdkError<GetObjectError>,
    ) -> Result<(ByteStream, Option<ObjectVersion>)> {
        let inner = &self.inner;
        let failure = Failure::of(&e);
        if failure.is_missing_bucket() {
            return Err(inner.sdk_error(e, path.as_str()));
        }
        if failure.is_not_found() || (failure.is_server_error() && inner.is_folder(path).await?) {
            return Err(inner.missing(path).await);
        }
        if let Some(range) = range.filter(|_| failure.may_be_unsatisfiable_range()) {
            // S3 answers 416 for a range starting at or past the end; some servers (s3s-fs)
            // answer 400 for one that merely ends past it. Clamped, the first is nothing and
            // the second is the rest of the object.
            let info = inner.file_info(path).await?;
            if range.start >= info.size {
                return Ok((empty(), ObjectVersion::of(&info)));
            }
            if range.end > info.size {
                return self
                    .get_object(path, Some(range.start..info.size), when)
                    .await
                    .map_err(|e| self.inner.sdk_error(e, path.as_str()));
            }
        }
        Err(self.inner.sdk_error(e, path.as_str()))
    }

    /// One `GetObject`, its body wrapped as a [`ByteStream`], and the version its reply
    /// names.
    async fn get_object(
        &self,
        path: &RemotePath,
        range: Option<Range<u64>>,
        when: &ReadOptions,
    ) -> std::result::Result<(ByteStream, Option<ObjectVersion>), SdkError<GetObjectError>> {
        let inner = &self.inner;
        let out = inner
            .queued(|| {
                inner
                    .client
                    .get_object()
                    .bucket(inner.bucket())
                    .key(inner.keys.object(path))
                    .set_range(range.map(|r| range_header(&r)))
                    .set_if_match(when.if_match.clone())
                    .set_if_none_match(when.if_none_match.clone())
                    .set_if_modified_since(when.if_modified_since.map(DateTime::from))
                    .set_if_unmodified_since(when.if_unmodified_since.map(DateTime::from))
                    .send()
            })
            .await?;
        let version = version_of_reply(path, &out);
        let expected = out.content_length().and_then(|n| u64::try_from(n).ok());
        let body = read::body_stream(
            out.body,
            path.as_str().to_owned(),
            inner.config.read_timeout,
            expected,
        );
        Ok((body, version))
    }
}

fn empty() -> ByteStream {
    ByteStream::from_bytes(bytes::Bytes::new())
}

/// The version a `GetObject` reply names, as `get_file_info` reports it (ETag, version
/// id, Last-Modified) with the size of the whole object: the total of `Content-Range` for
/// a ranged reply, else `Content-Length`. `None` when the reply gives no total size
/// (`Content-Range: bytes 0-9/*`).
fn version_of_reply(path: &RemotePath, out: &GetObjectOutput) -> Option<ObjectVersion> {
    let size = match out.content_range() {
        Some(range) => total_size(range)?,
        None => u64::try_from(out.content_length()?).ok()?,
    };
    let info = FileInfo::new(path.clone(), size, to_system_time(out.last_modified()))
        .with_etag(out.e_tag().map(str::to_owned))
        .with_version_id(out.version_id().map(str::to_owned));
    ObjectVersion::of(&info)
}

/// The total size in a `Content-Range` header (`bytes 0-9/123` → 123); `None` for `*` or
/// a malformed header.
fn total_size(content_range: &str) -> Option<u64> {
    content_range.rsplit_once('/')?.1.trim().parse().ok()
}

/// The `Range` header for a non-empty range; open-ended when the end is beyond any
/// object size (S3 objects are at most 5 TiB, and some servers refuse huge numbers).
fn range_header(r: &Range<u64>) -> String {
    const OPEN_ENDED_FROM: u64 = 1 << 50;
    if r.end >= OPEN_ENDED_FROM {
        format!("bytes={}-", r.start)
    } else {
        format!("bytes={}-{}", r.start, r.end - 1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn path() -> RemotePath {
        RemotePath::file("a/b.bin").unwrap()
    }

    #[test]
    fn a_ranged_reply_names_the_whole_object() {
        let out = GetObjectOutput::builder()
            .content_range("bytes 2-4/10")
            .content_length(3)
            .e_tag("\"e1\"")
            .version_id("v1")
            .last_modified(DateTime::from_secs(1_700_000_000))
            .build();
        let version = version_of_reply(&path(), &out).unwrap();
        assert_eq!(version.size, 10, "the total, not the length of the range");
        assert_eq!(version.etag.as_deref(), Some("\"e1\""));
        assert_eq!(version.version_id.as_deref(), Some("v1"));
        assert_eq!(
            version.modified,
            Some(std::time::UNIX_EPOCH + std::time::Duration::from_secs(1_700_000_000))
        );
    }

    #[test]
    fn a_whole_reply_takes_its_length_and_an_unknown_total_names_nothing() {
        let whole = GetObjectOutput::builder()
            .content_length(0)
            .e_tag("\"e\"")
            .build();
        assert_eq!(version_of_reply(&path(), &whole).map(|v| v.size), Some(0));
        let unknown = GetObjectOutput::builder()
            .content_range("bytes 0-9/*")
            .content_length(10)
            .e_tag("\"e\"")
            .build();
        assert_eq!(version_of_reply(&path(), &unknown), None);
        let anonymous = GetObjectOutput::builder().content_length(4).build();
        assert_eq!(
            version_of_reply(&path(), &anonymous),
            None,
            "a size alone names no version"
        );
    }
}
