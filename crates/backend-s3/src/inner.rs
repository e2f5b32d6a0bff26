//! The state every operation shares, and the small requests the others are built from:
//! `HeadObject`, the one-key folder probe, and the write preconditions.

use std::error::Error as StdError;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::SystemTime;

use aws_sdk_s3::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_s3::operation::delete_object::DeleteObjectError;
use aws_sdk_s3::operation::head_object::HeadObjectOutput;
use aws_sdk_s3::operation::list_objects_v2::{ListObjectsV2Error, ListObjectsV2Output};
use remote_store_core::{Error, ErrorKind, FileInfo, RemotePath, Result};

use crate::S3Config;
use crate::error::{self, Failure};
use crate::keys::{self, Keys};

/// What an [`AsyncS3Backend`](crate::AsyncS3Backend) owns, behind an `Arc` so streams and
/// spawned part uploads can hold it.
#[derive(Debug)]
pub(crate) struct Inner {
    pub(crate) client: aws_sdk_s3::Client,
    pub(crate) keys: Keys,
    pub(crate) config: S3Config,
    pub(crate) closed: AtomicBool,
    /// The bucket was seen to exist (a `HeadBucket`, or any successful listing or
    /// `HeadObject`): a `404` from `HeadObject` then means a missing key, without asking
    /// again. Cleared when a request answers `NoSuchBucket`.
    bucket_seen: AtomicBool,
    /// Set once the bucket is known to exist (`create_if_missing` only).
    bucket_ready: tokio::sync::OnceCell<()>,
    /// `max_in_flight_requests` permits, taken by [`queued`](Self::queued) requests
    /// before the SDK builds them.
    requests: tokio::sync::Semaphore,
}

impl Inner {
    pub(crate) fn new(config: S3Config) -> Result<Self> {
        let prefix = config.validate()?;
        let client = crate::client::build(&config);
        Ok(Self::with_client(client, config, prefix))
    }

    pub(crate) fn with_client(
        client: aws_sdk_s3::Client,
        config: S3Config,
        prefix: RemotePath,
    ) -> Self {
        let config_requests = config.max_in_flight_requests.max(1);
        Inner {
            client,
            keys: Keys::new(config.bucket.clone(), prefix),
            config,
            closed: AtomicBool::new(false),
            bucket_seen: AtomicBool::new(false),
            bucket_ready: tokio::sync::OnceCell::new(),
            requests: tokio::sync::Semaphore::new(config_requests),
        }
    }

    /// Runs one SDK request once fewer than `max_in_flight_requests` queued requests are
    /// in flight, building it only then (`send` makes the SDK's future).
    ///
    /// The transport bounds requests in flight too, but a request reaches it only after
    /// the SDK has built its whole call state (configuration bag, interceptors, signed
    /// request: tens of KiB). Under a burst of thousands of calls (a service fanning out
    /// 10,000 reads at once) that state would exist for every waiting call; queued here,
    /// a waiting call holds a few hundred bytes. The permit is held for exactly one
    /// `send` (with the SDK's own retries), never across two requests, so queued requests
    /// cannot wait on each other. The SDK's future is boxed after the permit, so it takes
    /// no room in the caller's future while it waits.
    pub(crate) async fn queued<F: Future>(&self, send: impl FnOnce() -> F) -> F::Output {
        let _turn = self.turn().await;
        Box::pin(send()).await
    }

    /// One queued, unconditional `DeleteObject` of `path`.
    pub(crate) async fn delete_object(
        &self,
        path: &RemotePath,
    ) -> std::result::Result<(), SdkError<DeleteObjectError>> {
        self.queued(|| self.delete_request(path).send())
            .await
            .map(drop)
    }

    /// A `DeleteObject` request for `path`, to be given conditions and sent.
    pub(crate) fn delete_request(
        &self,
        path: &RemotePath,
    ) -> aws_sdk_s3::operation::delete_object::builders::DeleteObjectFluentBuilder {
        self.client
            .delete_object()
            .bucket(self.bucket())
            .key(self.keys.object(path))
    }

    /// `DeleteObject` of `path` only while it still has `etag` (`If-Match`): a `412` when it
    /// has changed, a `404` when it is gone. A server that refuses the header itself
    /// (`400`, `501`: S3-compatible servers without conditional deletes) gets one
    /// unconditional delete instead, as does every server that ignores it.
    pub(crate) async fn delete_object_if_match(
        &self,
        path: &RemotePath,
        etag: &str,
    ) -> std::result::Result<(), SdkError<DeleteObjectError>> {
        let result = self
            .queued(|| self.delete_request(path).if_match(etag).send())
            .await
            .map(drop);
        match result {
            Err(e) if matches!(Failure::of(&e).status, Some(400 | 501)) => {
                self.delete_object(path).await
            }
            other => other,
        }
    }

    /// One queued `ListObjectsV2` page of the keys below `prefix`: grouped at `/` into
    /// common prefixes when `delimited`, at most `max_keys` entries, continuing from
    /// `token` or starting after the key `start_after`. Every listing of the backend goes
    /// through here, so each waits for its turn the same way.
    pub(crate) async fn list_page(
        &self,
        prefix: &str,
        delimited: bool,
        max_keys: i32,
        token: Option<String>,
        start_after: Option<String>,
    ) -> std::result::Result<ListObjectsV2Output, SdkError<ListObjectsV2Error>> {
        self.queued(|| {
            self.client
                .list_objects_v2()
                .bucket(self.bucket())
                .prefix(prefix)
                .set_delimiter(delimited.then(|| "/".to_owned()))
                .max_keys(max_keys)
                .set_continuation_token(token)
                .set_start_after(start_after)
                .send()
        })
        .await
    }

    /// A turn among the queued requests, for a request built and sent inline rather than
    /// through [`queued`](Self::queued) (a `PutObject`, whose send is boxed by
    /// `send_body!`). Hold it for exactly one send, and drop it before anything that may
    /// send another request (an error's follow-up probe), or queued requests could wait
    /// on each other.
    pub(crate) async fn turn(&self) -> Option<tokio::sync::SemaphorePermit<'_>> {
        // The semaphore is never closed, so `acquire` cannot fail.
        self.requests.acquire().await.ok()
    }

    /// With `create_if_missing`, makes sure the bucket exists (once per backend): a
    /// `HeadBucket`, and a `CreateBucket` when it is missing. A bucket that appears in the
    /// meantime (another creator won the race) is fine.
    pub(crate) async fn ensure_bucket(&self) -> Result<()> {
        if !self.config.create_if_missing {
            return Ok(());
        }
        // Boxed: the two SDK requests of `create_bucket` would otherwise make every write
        // future kilobytes larger, for a step that runs once.
        self.bucket_ready
            .get_or_try_init(|| Box::pin(self.create_bucket()))
            .await?;
        self.saw_bucket();
        Ok(())
    }

    async fn bucket_exists(&self) -> Result<bool> {
        match self.client.head_bucket().bucket(self.bucket()).send().await {
            Ok(_) => Ok(true),
            Err(e) if Failure::of(&e).is_not_found() => Ok(false),
            Err(e) => Err(error::from_sdk(e, "")),
        }
    }

    async fn create_bucket(&self) -> Result<()> {
        use aws_sdk_s3::types::{BucketLocationConstraint, CreateBucketConfiguration};

        if self.bucket_exists().await? {
            return Ok(());
        }
        let mut request = self.client.create_bucket().bucket(self.bucket());
        let region = self.client.config().region().map(|r| r.as_ref().to_owned());
        if let Some(region) = region.filter(|r| r != "us-east-1") {
            request = request.create_bucket_configuration(
                CreateBucketConfiguration::builder()
                    .location_constraint(BucketLocationConstraint::from(region.as_str()))
                    .build(),
            );
        }
        match request.send().await {
            Ok(_) => Ok(()),
            Err(e) => {
                let failed = error::from_sdk(e, "");
                if self.bucket_exists().await.unwrap_or(false) {
                    Ok(())
                } else {
                    Err(failed)
                }
            }
        }
    }

    pub(crate) fn bucket(&self) -> &str {
        self.keys.bucket()
    }

    pub(crate) fn is_closed(&self) -> bool {
        self.closed.load(Ordering::Acquire)
    }

    /// The error for every operation while the bucket does not exist, for a request about
    /// `key`: `NotFound`, naming the bucket and what to do
    /// ([`Error::is_container_not_found`]).
    pub(crate) fn missing_bucket(&self, key: &str) -> Error {
        self.bucket_seen.store(false, Ordering::Release);
        error::finish(
            Error::container_not_found(
                "bucket",
                self.bucket(),
                "check the bucket name, or create it",
            ),
            key,
        )
    }

    /// Remembers that the bucket exists (a request about something in it succeeded).
    pub(crate) fn saw_bucket(&self) {
        self.bucket_seen.store(true, Ordering::Release);
    }

    /// Maps an SDK error for the request about `key`: `NoSuchBucket` (by its code) is the
    /// missing-bucket error, everything else goes through [`error::from_sdk`].
    pub(crate) fn sdk_error<E>(&self, err: SdkError<E>, key: &str) -> Error
    where
        E: ProvideErrorMetadata + StdError + Send + Sync + 'static,
    {
        if Failure::of(&err).is_missing_bucket() {
            self.missing_bucket(key).with_source(err)
        } else {
            error::from_sdk(err, key)
        }
    }

    /// After a `404` that cannot say what is missing (a `HeadObject` answer has no body,
    /// so no error code): `Ok` when the bucket exists, else the missing-bucket error. The
    /// bucket is checked with one `HeadBucket`, at most once per backend while it keeps
    /// existing. A `HeadBucket` refused for lack of permission cannot tell either way and
    /// counts as "exists" (not remembered).
    pub(crate) async fn check_bucket(&self, key: &str) -> Result<()> {
        if self.bucket_seen.load(Ordering::Acquire) {
            return Ok(());
        }
        // Boxed: the SDK's future is kilobytes, and every `head` (and so every write's
        // precondition check) would carry it inline for a request that is rarely sent.
        match Box::pin(self.client.head_bucket().bucket(self.bucket()).send()).await {
            Ok(_) => {
                self.saw_bucket();
                Ok(())
            }
            Err(e) if Failure::of(&e).is_not_found() => {
                Err(self.missing_bucket(key).with_source(e))
            }
            Err(e) if Failure::of(&e).is_permission_denied() => Ok(()),
            Err(e) => Err(error::from_sdk(e, key)),
        }
    }

    /// `HeadObject` of `path`: `Ok(None)` when there is no such object; the missing-bucket
    /// error when there is no bucket.
    pub(crate) async fn head(&self, path: &RemotePath) -> Result<Option<HeadObjectOutput>> {
        self.head_with(path, false).await
    }

    /// [`head`](Self::head), asking for the object's checksums with `checksums`
    /// (`x-amz-checksum-mode: ENABLED`).
    pub(crate) async fn head_with(
        &self,
        path: &RemotePath,
        checksums: bool,
    ) -> Result<Option<HeadObjectOutput>> {
        if path.is_root() {
            return Ok(None);
        }
        let result = self
            .queued(|| {
                self.client
                    .head_object()
                    .bucket(self.bucket())
                    .key(self.keys.object(path))
                    .set_checksum_mode(
                        checksums.then_some(aws_sdk_s3::types::ChecksumMode::Enabled),
                    )
                    .send()
            })
            .await;
        match result {
            Ok(out) => {
                self.saw_bucket();
                Ok(Some(out))
            }
            Err(e) if Failure::of(&e).is_missing_bucket() => {
                Err(self.missing_bucket(path.as_str()).with_source(e))
            }
            Err(e) if Failure::of(&e).is_not_found() => {
                self.check_bucket(path.as_str()).await?;
                Ok(None)
            }
            // A server error on a key that is a folder prefix: no object there (s3s-fs
            // answers 500 for a key that is a directory on its disk).
            Err(e) if Failure::of(&e).is_server_error() && self.is_folder(path).await? => Ok(None),
            Err(e) => Err(self.sdk_error(e, path.as_str())),
        }
    }

    /// Whether an object exists at `path`.
    pub(crate) async fn is_file(&self, path: &RemotePath) -> Result<bool> {
        Ok(self.head(path).await?.is_some())
    }

    /// Whether any key lies below `path/` (a folder marker `path/` counts). The root always
    /// is a folder. A missing bucket is an error, never `false`.
    pub(crate) async fn is_folder(&self, path: &RemotePath) -> Result<bool> {
        if path.is_root() {
            return Ok(true);
        }
        let result = self
            // One level is enough to see that something is below (a key or a common
            // prefix, both counted below); on S3 it costs the same, and servers that keep
            // keys as files (s3s-fs, MinIO's filesystem mode) then read one directory
            // level instead of walking the bucket.
            .list_page(&self.keys.folder(path), true, 1, None, None)
            .await;
        match result {
            Ok(out) => {
                self.saw_bucket();
                Ok(!out.contents().is_empty() || !out.common_prefixes().is_empty())
            }
            Err(e) => Err(self.sdk_error(e, path.as_str())),
        }
    }

    /// Whether the write target `path` is a folder, as the write preconditions see it:
    /// [`is_folder`](Self::is_folder), or always `false` without a request in the
    /// flat-namespace mode (`check_folder_targets` off) and where the server refuses
    /// folder targets itself (`server_refuses_folder_targets`; a refused write is then
    /// explained by [`refused_target`](Self::refused_target)).
    pub(crate) async fn is_folder_target(&self, path: &RemotePath) -> Result<bool> {
        if self.config.check_folder_targets && !self.config.server_refuses_folder_targets {
            self.is_folder(path).await
        } else {
            Ok(false)
        }
    }

    /// Facts about the object at `path`, with the checksum it was stored with when the
    /// server reports checksums (`service_checksums`).
    ///
    /// # Errors
    /// `InvalidPath` for a folder, `NotFound` when missing.
    pub(crate) async fn file_info(&self, path: &RemotePath) -> Result<FileInfo> {
        match self.head_with(path, self.config.service_checksums).await? {
            Some(head) => Ok(info_from_head(path.clone(), &head)),
            None => Err(self.missing(path).await),
        }
    }

    /// The error for a file method on `path` when no object is there: `InvalidPath` when
    /// it is a folder, else `NotFound`.
    pub(crate) async fn missing(&self, path: &RemotePath) -> Error {
        match self.is_folder(path).await {
            Ok(folder) => missing_error(path, folder),
            Err(e) => e,
        }
    }

    /// Whether a small write may send its `PutObject` together with the folder check
    /// instead of after it (ADR 0014): only for `overwrite = false` on a server that
    /// enforces `If-None-Match: *` (the put then cannot replace anything, so undoing it
    /// destroys nothing), with the folder check on and no ancestor walk.
    pub(crate) fn create_alongside_folder_check(&self, overwrite: bool) -> bool {
        !overwrite
            && self.config.conditional_create
            && self.config.check_folder_targets
            && !self.config.server_refuses_folder_targets
            && !self.config.check_ancestor_files
    }

    /// The error of a write, copy or move onto `path` that failed with `err`, where the
    /// server refuses folder targets itself (`server_refuses_folder_targets`): the
    /// contract's `InvalidPath` when `path` is a folder (one listing, on the failure path
    /// only) or when one of its ancestors is a file (a `HeadObject` each: such a server
    /// refuses a key below a file too), else `err`. Errors that already are a decided
    /// outcome pass unchanged.
    pub(crate) async fn refused_target(&self, path: &RemotePath, err: Error) -> Error {
        if !self.config.server_refuses_folder_targets
            || matches!(
                err.kind(),
                ErrorKind::InvalidPath | ErrorKind::AlreadyExists | ErrorKind::PreconditionFailed
            )
        {
            return err;
        }
        if let Ok(true) = self.is_folder(path).await {
            return error::finish(
                Error::invalid_path(path.as_str(), "a folder exists at the target"),
                path.as_str(),
            );
        }
        for ancestor in path.ancestors() {
            if let Ok(true) = self.is_file(&ancestor).await {
                return error::finish(
                    Error::invalid_path(
                        path.as_str(),
                        format!("the ancestor {} is a file", ancestor.as_str()),
                    ),
                    path.as_str(),
                );
            }
        }
        err
    }

    /// The write preconditions, in the contract's order: a folder at the target (or a file
    /// at an ancestor, when configured) is `InvalidPath`; an existing target without
    /// `overwrite` is `AlreadyExists` — checked here only when the service cannot enforce
    /// it (`conditional_create` off); otherwise the write itself carries `If-None-Match`.
    pub(crate) async fn check_write_target(
        &self,
        path: &RemotePath,
        overwrite: bool,
    ) -> Result<()> {
        let check_exists = !overwrite && !self.config.conditional_create;
        if !check_exists && !self.config.check_folder_targets && !self.config.check_ancestor_files {
            // Nothing to check (the flat-namespace mode's overwriting and conditional
            // writes).
            return Ok(());
        }
        let (folder, exists) = futures::try_join!(self.is_folder_target(path), async {
            if check_exists {
                self.is_file(path).await
            } else {
                Ok(false)
            }
        })?;
        if folder {
            return Err(error::finish(
                Error::invalid_path(path.as_str(), "a folder exists at the target"),
                path.as_str(),
            ));
        }
        if self.config.check_ancestor_files {
            for ancestor in path.ancestors() {
                if self.is_file(&ancestor).await? {
                    return Err(error::finish(
                        Error::invalid_path(
                            path.as_str(),
                            format!("the ancestor {} is a file", ancestor.as_str()),
                        ),
                        path.as_str(),
                    ));
                }
            }
        }
        if exists {
            return Err(self.already_exists(path));
        }
        Ok(())
    }

    pub(crate) fn already_exists(&self, path: &RemotePath) -> Error {
        error::finish(Error::already_exists(path.as_str()), path.as_str())
    }
}

/// A [`FileInfo`] from a `HeadObject` response.
pub(crate) fn info_from_head(path: RemotePath, head: &HeadObjectOutput) -> FileInfo {
    FileInfo::new(
        path,
        head.content_length()
            .map_or(0, |n| u64::try_from(n).unwrap_or(0)),
        to_system_time(head.last_modified()),
    )
    .with_etag(head.e_tag().map(str::to_owned))
    .with_version_id(head.version_id().map(str::to_owned))
    .with_content_type(head.content_type().map(str::to_owned))
    .with_metadata(keys::metadata_from_s3(head.metadata()))
    .with_digest(
        crate::upload::Reported {
            crc32c: head.checksum_crc32_c(),
            sha256: head.checksum_sha256(),
            crc64nvme: head.checksum_crc64_nvme(),
        }
        .any(),
    )
}

/// An SDK timestamp as `SystemTime`; `None` when absent or out of `SystemTime`'s range.
pub(crate) fn to_system_time(t: Option<&aws_smithy_types::DateTime>) -> Option<SystemTime> {
    t.and_then(|t| SystemTime::try_from(*t).ok())
}

/// The error of a file method on `path` where no object is: `InvalidPath` when `path` is a
/// folder, else `NotFound`.
pub(crate) fn missing_error(path: &RemotePath, folder: bool) -> Error {
    let error = if folder {
        Error::invalid_path(path.as_str(), "is a folder")
    } else {
        Error::not_found(path.as_str())
    };
    error::finish(error, path.as_str())
}
