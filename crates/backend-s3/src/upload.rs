//! Writes: one `PutObject` up to `part_size`, a multipart upload beyond it.
//!
//! Content is consumed part by part: the first `part_size` bytes are buffered, and if the
//! content ends there it goes as a single `PutObject` (so a short stream of unknown length
//! costs one request). Otherwise a multipart upload starts; at most `max_concurrency`
//! parts are in flight while the next one fills, so memory stays at or below
//! `part_size × (max_concurrency + 1)`. Any failure — a part, the source stream, the
//! completion — aborts the upload before the error is returned, and dropping the write
//! future aborts it in the background, so no parts are left behind. A multipart upload is
//! all-or-nothing: readers see the old object until it completes.

use std::io;
use std::sync::Arc;

use aws_sdk_s3::primitives::ByteStream as SdkBody;
use aws_sdk_s3::types::{CompletedMultipartUpload, CompletedPart};
use aws_smithy_types::body::SdkBody as RawBody;
use bytes::{Bytes, BytesMut};
use futures::stream::{BoxStream, FuturesUnordered, StreamExt};
use remote_store_async::{AsyncContent, PartBuffers};
use remote_store_core::{
    ChecksumAlgorithm, ContentDigest, Error, ErrorKind, RemotePath, Result, WriteOptions,
    WriteResult,
};
use tokio::runtime::Handle;
use tokio::task::{AbortHandle, JoinHandle};

use crate::client;
use crate::error::{self, Failure};
use crate::inner::Inner;
use crate::keys;

/// Sends a `PutObject` or `UploadPart` request: with an unsigned payload unless
/// `sign_payload`, and with the checksum the write asked for (`$asked`) computed even
/// when `checksums` is `when_required` (a macro: `disable_payload_signing` exists per
/// operation, not on the generic customisable operation).
///
/// The SDK's own `send` future (about 9.6 KiB with aws-sdk-s3 1.157) is boxed: inline, it
/// would make every write future that large, and the backend's `write` future is moved
/// to the heap whole (`async_trait`) on every call, whichever branch the write takes (a
/// 10 KiB `memcpy` and a large allocation per small put with unsigned payloads, which
/// never run this future). The customised send boxes its future itself.
macro_rules! send_body {
    ($request:expr, $inner:expr, $asked:expr) => {{
        let checksum = client::checksum_override(&$inner.config, $asked);
        match ($inner.config.sign_payload, checksum) {
            (true, None) => Box::pin($request.send()).await,
            (sign, checksum) => {
                // Built in a block that consumes `checksum`, so that the override (when
                // there is none, the empty `Option` that would be dropped after the
                // await) takes no room in the write future.
                let request = {
                    let checksum = checksum;
                    let mut request = $request.customize();
                    if !sign {
                        request = request.disable_payload_signing();
                    }
                    if let Some(config) = checksum {
                        request = request.config_override(config);
                    }
                    request
                };
                request.send().await
            }
        }
    }};
}

/// Writes `content` to `path`.
pub(crate) async fn write(
    inner: &Arc<Inner>,
    path: &RemotePath,
    content: AsyncContent<'_>,
    opts: &WriteOptions,
) -> Result<WriteResult> {
    // The store validated `opts` (metadata shape, capability) before calling.
    keys::check_user_metadata(opts.user_metadata()).map_err(|e| error::finish(e, path.as_str()))?;
    let part_size = usize::try_from(inner.config.part_size).unwrap_or(usize::MAX);
    // For a small overwrite=false write the folder check goes out with the put (ADR 0014);
    // until the content is known to fit one put, it has not run yet.
    let alongside = inner.create_alongside_folder_check(opts.overwrite);
    if !alongside {
        inner.check_write_target(path, opts.overwrite).await?;
    }
    let mut source = Parts::new(content, part_size, gathers_chunks(inner, opts));
    let first = match source.next_part().await {
        Ok(part) => part,
        Err(e) => {
            // A folder at the target is reported before the source's failure.
            if alongside {
                inner.check_write_target(path, opts.overwrite).await?;
            }
            return Err(source_error(e, path));
        }
    };
    if source.at_end() {
        return if alongside {
            put_single_checked(inner, path, opts, first).await
        } else {
            put_single(inner, path, opts, first).await
        };
    }
    if alongside {
        inner.check_write_target(path, opts.overwrite).await?;
    }
    // A stream that ends exactly at the part size still fits one PutObject.
    let second = source
        .next_part()
        .await
        .map_err(|e| source_error(e, path))?;
    if second.is_empty() && source.at_end() {
        return put_single(inner, path, opts, first).await;
    }
    // Boxed: the multipart future is large, and only large writes need it (see
    // `send_body!`).
    Box::pin(multipart(inner, path, opts, [first, second], source)).await
}

/// One `PutObject`.
async fn put_single(
    inner: &Inner,
    path: &RemotePath,
    opts: &WriteOptions,
    part: Part,
) -> Result<WriteResult> {
    let size = part.len() as u64;
    let write_id = if_none_match(inner, opts).map(|_| keys::new_write_id());
    // Queued like every other single request (`Inner::turn`): the request is built only
    // once this write's turn comes, and the turn ends with the send.
    let turn = inner.turn().await;
    let (body, crc32) = part_body(inner, &part, opts.checksum.is_some());
    let mut request = inner
        .client
        .put_object()
        .bucket(inner.bucket())
        .key(inner.keys.object(path))
        .content_length(i64::try_from(size).unwrap_or(i64::MAX))
        .body(body);
    // Only the fields a write has: each fluent setter moves the whole request builder
    // (1.7 KiB), and a plain small put has none of these.
    if let Some(crc32) = crc32 {
        request = request.checksum_crc32(crc32);
    }
    if let Some(content_type) = &opts.content_type {
        request = request.content_type(content_type);
    }
    if let Some(metadata) = keys::metadata_to_s3(opts.user_metadata(), write_id.as_deref()) {
        request = request.set_metadata(Some(metadata));
    }
    if let Some(condition) = if_none_match(inner, opts) {
        request = request.if_none_match(condition);
    }
    if let Some(etag) = if_match(inner, opts) {
        request = request.if_match(etag);
    }
    if let Some(algorithm) = sdk_checksum(opts) {
        request = request.checksum_algorithm(algorithm);
    }
    let result = send_body!(request, inner, opts.checksum.is_some());
    drop(turn);
    match result {
        Ok(out) => Ok(WriteResult::native(
            path.clone(),
            size,
            out.e_tag().map(str::to_owned),
            None,
            opts,
        )
        .with_version_id(out.version_id().map(str::to_owned))
        .with_digest(service_digest(
            opts,
            Reported {
                crc32c: out.checksum_crc32_c(),
                sha256: out.checksum_sha256(),
                crc64nvme: out.checksum_crc64_nvme(),
            },
        ))),
        Err(e) if !opts.overwrite && Failure::of(&e).is_precondition_failed() => {
            // Boxed: rare, and inline it would enlarge every write future.
            match Box::pin(own_write(inner, path, write_id.as_deref(), opts)).await {
                Some(result) => Ok(result),
                None => Err(inner.already_exists(path)),
            }
        }
        Err(e) => Err(write_error(inner, e, path, opts)),
    }
}

/// A conditional create can meet its own success: the SDK retries a `PutObject` or
/// `CompleteMultipartUpload` whose response was lost (a cut connection, a 5xx sent after
/// the object was stored), and the retry's `If-None-Match: *` then fails against the
/// object the first attempt stored. Every conditional create carries a fresh id in its
/// metadata ([`keys::WRITE_ID_KEY`]); when the object at `path` carries *this* write's
/// id, the refusal is that success, described by a `HeadObject`. `None`: not ours (or
/// not known), and the refusal stands.
async fn own_write(
    inner: &Inner,
    path: &RemotePath,
    write_id: Option<&str>,
    opts: &WriteOptions,
) -> Option<WriteResult> {
    let write_id = write_id?;
    let head = inner
        .head_with(path, opts.checksum.is_some())
        .await
        .ok()??;
    if keys::write_id_of(head.metadata()) != Some(write_id) {
        return None;
    }
    tracing::debug!(
        key = path.as_str(),
        "a retried conditional write met its own success"
    );
    let size = head
        .content_length()
        .map_or(0, |n| u64::try_from(n).unwrap_or(0));
    Some(
        WriteResult::native(
            path.clone(),
            size,
            head.e_tag().map(str::to_owned),
            None,
            opts,
        )
        .with_version_id(head.version_id().map(str::to_owned))
        .with_digest(service_digest(
            opts,
            Reported {
                crc32c: head.checksum_crc32_c(),
                sha256: head.checksum_sha256(),
                crc64nvme: head.checksum_crc64_nvme(),
            },
        )),
    )
}

/// One conditional `PutObject` (`If-None-Match: *`) sent together with the folder check
/// (ADR 0014), for a small `overwrite = false` write: latency max(list, put) instead of the
/// sum. The contract's order is kept by deciding on the check first: a folder at the target
/// is `InvalidPath` whatever the put did, and an object the put created is deleted again
/// (that version only, or only while it still has the etag this put returned); a failed
/// check is its error, with the same undo. Only then does the put's own result count
/// (`AlreadyExists` from the service's `412`).
async fn put_single_checked(
    inner: &Inner,
    path: &RemotePath,
    opts: &WriteOptions,
    part: Part,
) -> Result<WriteResult> {
    let (folder, put) = futures::join!(inner.is_folder(path), put_single(inner, path, opts, part));
    let refusal = match folder {
        Ok(false) => return put,
        Ok(true) => error::finish(
            Error::invalid_path(path.as_str(), "a folder exists at the target"),
            path.as_str(),
        ),
        Err(e) => e,
    };
    match put {
        // Boxed: the undo's requests are rare, and inline they would enlarge every write
        // future (see `send_body!`).
        Ok(created) => Err(Box::pin(undo_create(inner, path, &created, refusal)).await),
        Err(_) => Err(refusal),
    }
}

/// Deletes the object a refused write created — the version it returned, or the key only
/// while it still carries the write's etag ([`Inner::delete_object_if_match`]) — and
/// returns `refusal`, which says so when the delete failed (the object then stays, next
/// to the folder).
async fn undo_create(
    inner: &Inner,
    path: &RemotePath,
    created: &WriteResult,
    refusal: Error,
) -> Error {
    let result = match (&created.version_id, &created.etag) {
        (Some(version), _) => inner
            .queued(|| inner.delete_request(path).version_id(version).send())
            .await
            .map(drop),
        (None, Some(etag)) => inner.delete_object_if_match(path, etag).await,
        (None, None) => inner.delete_object(path).await,
    };
    match result {
        Ok(_) => refusal,
        // Replaced since by another writer: no longer ours to remove.
        Err(e) if Failure::of(&e).is_precondition_failed() => refusal,
        Err(e) => {
            let undo = error::from_sdk(e, path.as_str());
            tracing::warn!(key = %path.as_str(), error = %undo, "removing the object of a refused write failed");
            let message = format!(
                "{}; the object this write created could not be removed: {undo}",
                refusal.message().unwrap_or("refused")
            );
            refusal.with_message(message)
        }
    }
}

/// `If-None-Match: *` when the service enforces overwrite=false.
fn if_none_match(inner: &Inner, opts: &WriteOptions) -> Option<String> {
    (!opts.overwrite && inner.config.conditional_create).then(|| "*".to_owned())
}

/// `If-Match: <etag>` when the write has `if_match` and the service enforces it
/// (`conditional_write`); otherwise the store has compared the etag already.
fn if_match(inner: &Inner, opts: &WriteOptions) -> Option<String> {
    opts.if_match
        .clone()
        .filter(|_| inner.config.conditional_write)
}

/// The error of a failed `PutObject` or `CompleteMultipartUpload`. With `If-Match` sent, a
/// `412` is the condition failing, and so is a `404` (AWS answers `NoSuchKey` when there is
/// no object to match; the bucket's absence is told apart by its own code).
fn write_error<E>(
    inner: &Inner,
    e: aws_sdk_s3::error::SdkError<E>,
    path: &RemotePath,
    opts: &WriteOptions,
) -> Error
where
    E: aws_sdk_s3::error::ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
{
    let failure = Failure::of(&e);
    if let Some(wanted) = if_match(inner, opts)
        && (failure.is_precondition_failed()
            || (failure.is_not_found() && !failure.is_missing_bucket()))
    {
        return error::finish(
            Error::precondition_failed(
                path.as_str(),
                format!("if_match {wanted}: the object changed or does not exist"),
            ),
            path.as_str(),
        )
        .with_source(e);
    }
    error::from_sdk(e, path.as_str())
}

/// The SDK's checksum algorithm for the one `opts` asks for (`None` for one S3 does not
/// compute, which the capability check has already refused).
fn sdk_checksum(opts: &WriteOptions) -> Option<aws_sdk_s3::types::ChecksumAlgorithm> {
    use aws_sdk_s3::types::ChecksumAlgorithm as Sdk;
    match opts.checksum? {
        ChecksumAlgorithm::Crc32c => Some(Sdk::Crc32C),
        ChecksumAlgorithm::Sha256 => Some(Sdk::Sha256),
        ChecksumAlgorithm::Crc64Nvme => Some(Sdk::Crc64Nvme),
        _ => None,
    }
}

/// The full-object CRC-64/NVME of a multipart upload, combined from the part checksums the
/// service returned and the part sizes (`sizes`, by part number, in the order of `parts`),
/// for servers that check every part but report nothing for the completed upload (moto).
/// `None` unless the write asked for CRC-64/NVME and every part reported one.
fn full_crc64_of_parts(
    opts: &WriteOptions,
    parts: &[CompletedPart],
    sizes: &[(i32, u64)],
) -> Option<ContentDigest> {
    if opts.checksum? != ChecksumAlgorithm::Crc64Nvme || parts.len() != sizes.len() {
        return None;
    }
    let mut whole: Option<u64> = None;
    for (part, &(_, len)) in parts.iter().zip(sizes) {
        let raw = aws_smithy_types::base64::decode(part.checksum_crc64_nvme()?).ok()?;
        let crc = u64::from_be_bytes(raw.try_into().ok()?);
        whole = Some(match whole {
            None => crc,
            Some(before) => {
                crc_fast::checksum_combine(crc_fast::CrcAlgorithm::Crc64Nvme, before, crc, len)
            }
        });
    }
    Some(ContentDigest::from_bytes(
        ChecksumAlgorithm::Crc64Nvme,
        &whole?.to_be_bytes(),
    ))
}

/// The checksums an S3 response reported (base64, with `-N` for a composite one), for the
/// algorithms this library names.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Reported<'a> {
    pub(crate) crc32c: Option<&'a str>,
    pub(crate) sha256: Option<&'a str>,
    pub(crate) crc64nvme: Option<&'a str>,
}

impl<'a> Reported<'a> {
    /// What was reported for `algorithm`.
    fn get(self, algorithm: ChecksumAlgorithm) -> Option<&'a str> {
        match algorithm {
            ChecksumAlgorithm::Crc32c => self.crc32c,
            ChecksumAlgorithm::Sha256 => self.sha256,
            ChecksumAlgorithm::Crc64Nvme => self.crc64nvme,
            _ => None,
        }
    }

    /// The first usable checksum, strongest first (an object carries the one it was
    /// written with, and S3 adds a CRC-64/NVME to objects written without any): what
    /// `HeadObject` with checksum mode tells about an object.
    pub(crate) fn any(self) -> Option<ContentDigest> {
        [
            ChecksumAlgorithm::Sha256,
            ChecksumAlgorithm::Crc32c,
            ChecksumAlgorithm::Crc64Nvme,
        ]
        .into_iter()
        .find_map(|alg| parse_checksum(alg, self.get(alg)?))
    }
}

/// The checksum the service reported for the algorithm `opts` asked for, as a
/// [`ContentDigest`]. S3 reports base64; a multipart upload's checksum is *composite*
/// (the checksum of the part checksums, suffixed `-N`), kept as such.
fn service_digest(opts: &WriteOptions, reported: Reported<'_>) -> Option<ContentDigest> {
    let algorithm = opts.checksum?;
    parse_checksum(algorithm, reported.get(algorithm)?)
}

/// S3's composite checksum of a multipart upload — the checksum of the concatenated part
/// checksums, `-N` — computed from the checksums the service returned for each part, for
/// servers that check every part but report nothing for the completed upload (moto).
/// `None` for CRC-64/NVME, which S3 only reports for the whole object (its multipart
/// checksum is a full-object one, not built from the part checksums).
fn composite_of_parts(opts: &WriteOptions, parts: &[CompletedPart]) -> Option<ContentDigest> {
    let algorithm = opts.checksum?;
    let mut joined = Vec::new();
    for part in parts {
        let reported = match algorithm {
            ChecksumAlgorithm::Crc32c => part.checksum_crc32_c(),
            ChecksumAlgorithm::Sha256 => part.checksum_sha256(),
            _ => None,
        }?;
        joined.extend(aws_smithy_types::base64::decode(reported).ok()?);
    }
    let raw = match algorithm {
        ChecksumAlgorithm::Crc32c => crc32c::crc32c(&joined).to_be_bytes().to_vec(),
        ChecksumAlgorithm::Sha256 => {
            use sha2::Digest;
            sha2::Sha256::digest(&joined).to_vec()
        }
        _ => return None,
    };
    Some(ContentDigest::from_bytes(algorithm, &raw).with_parts(parts.len()))
}

/// `base64` or `base64-N` as S3 writes checksums.
fn parse_checksum(algorithm: ChecksumAlgorithm, reported: &str) -> Option<ContentDigest> {
    let (encoded, parts) = match reported.split_once('-') {
        Some((encoded, parts)) => (encoded, Some(parts.parse::<usize>().ok()?)),
        None => (reported, None),
    };
    let raw = aws_smithy_types::base64::decode(encoded).ok()?;
    let digest = ContentDigest::from_bytes(algorithm, &raw);
    Some(match parts {
        Some(n) => digest.with_parts(n),
        None => digest,
    })
}

/// A multipart upload, starting with the already-buffered parts `initial`.
async fn multipart(
    inner: &Arc<Inner>,
    path: &RemotePath,
    opts: &WriteOptions,
    initial: [Part; 2],
    mut source: Parts<'_>,
) -> Result<WriteResult> {
    let key = inner.keys.object(path);
    let handle = Handle::try_current().map_err(|_| {
        error::finish(
            Error::invalid_argument("the S3 backend must run on a tokio runtime"),
            path.as_str(),
        )
    })?;
    let write_id = if_none_match(inner, opts).map(|_| keys::new_write_id());
    let upload_id = create_upload(inner, &handle, &key, path, opts, write_id.as_deref()).await?;
    let mut upload = Upload {
        inner: Arc::clone(inner),
        handle,
        key,
        upload_id,
        write_id,
        in_flight: Vec::new(),
        finished: false,
    };
    match upload.run(path, opts, initial, &mut source).await {
        Ok(result) => {
            upload.finished = true;
            Ok(result)
        }
        Err(e) => {
            upload.abort().await;
            Err(e)
        }
    }
}

/// `CreateMultipartUpload`, sent from a spawned task: if the write future is dropped
/// while the request is in flight, the task still sees the answer and aborts the upload
/// it created, so a cancelled write never leaves an incomplete upload behind.
async fn create_upload(
    inner: &Arc<Inner>,
    handle: &Handle,
    key: &str,
    path: &RemotePath,
    opts: &WriteOptions,
    write_id: Option<&str>,
) -> Result<String> {
    let request = inner
        .client
        .create_multipart_upload()
        .bucket(inner.bucket())
        .key(key)
        .set_content_type(opts.content_type.clone())
        .set_metadata(keys::metadata_to_s3(opts.user_metadata(), write_id))
        .set_checksum_algorithm(sdk_checksum(opts));
    let (tx, rx) = tokio::sync::oneshot::channel::<Result<String>>();
    let task_inner = Arc::clone(inner);
    let task_key = key.to_owned();
    let task_path = path.as_str().to_owned();
    handle.spawn(async move {
        let created = match request.send().await {
            Ok(out) => out.upload_id().map(str::to_owned).ok_or_else(|| {
                error::finish(
                    Error::unavailable("CreateMultipartUpload returned no upload id"),
                    &task_path,
                )
            }),
            Err(e) => Err(error::from_sdk(e, &task_path)),
        };
        if let Err(Ok(upload_id)) = tx.send(created) {
            // The write was cancelled while the upload was being created.
            if let Err(e) = abort_request(&task_inner, &task_key, &upload_id).await {
                tracing::warn!(key = %task_key, error = %e, "aborting a cancelled multipart upload failed");
            }
        }
    });
    rx.await.unwrap_or_else(|_| {
        Err(error::finish(
            Error::unavailable(
                "the task creating the multipart upload stopped (the runtime is shutting down)",
            ),
            path.as_str(),
        ))
    })
}

/// A multipart upload in progress. Dropped before it finished (the write future was
/// cancelled), it aborts its part uploads and the upload itself in the background.
struct Upload {
    inner: Arc<Inner>,
    handle: Handle,
    key: String,
    upload_id: String,
    /// The id of a conditional create, in the object's metadata ([`own_write`]).
    write_id: Option<String>,
    in_flight: Vec<AbortHandle>,
    finished: bool,
}

impl Upload {
    async fn run(
        &mut self,
        path: &RemotePath,
        opts: &WriteOptions,
        initial: [Part; 2],
        source: &mut Parts<'_>,
    ) -> Result<WriteResult> {
        let limit = self.inner.config.max_concurrency;
        let mut running: FuturesUnordered<JoinHandle<Result<(CompletedPart, Part)>>> =
            FuturesUnordered::new();
        let mut done: Vec<CompletedPart> = Vec::new();
        // Each part's size by part number, to combine part CRC-64s into the whole object's.
        let mut sizes: Vec<(i32, u64)> = Vec::new();
        let mut size = 0u64;
        let mut queued = initial.into_iter().filter(|p| !p.is_empty());
        let mut number = 0i32;
        loop {
            let part = match queued.next() {
                Some(part) => part,
                None if source.at_end() => break,
                None => {
                    let part = source
                        .next_part()
                        .await
                        .map_err(|e| source_error(e, path))?;
                    // An exact multiple of the part size ends with an empty read.
                    if part.is_empty() {
                        break;
                    }
                    part
                }
            };
            while running.len() >= limit {
                let (part, body) = joined(running.next().await, path)?;
                sizes.push((part.part_number().unwrap_or(0), body.len() as u64));
                done.push(part);
                source.recycle(body);
            }
            number += 1;
            if number > MAX_PARTS {
                // S3 takes at most 10,000 parts: refused here, before a part the service
                // would refuse, with what to change (the upload is aborted by the caller).
                return Err(Error::new(ErrorKind::InvalidArgument)
                    .with_path(path.as_str())
                    .with_message(format!(
                        "the object is larger than S3's {MAX_PARTS} parts of {} bytes: set a \
                         larger `part_size` (up to 5 GiB) for objects this big",
                        part.len()
                    )));
            }
            size += part.len() as u64;
            let task = self.handle.spawn(upload_part(
                Arc::clone(&self.inner),
                self.key.clone(),
                self.upload_id.clone(),
                (number, sdk_checksum(opts)),
                part,
                path.clone(),
            ));
            self.in_flight.push(task.abort_handle());
            running.push(task);
        }
        while let Some(result) = running.next().await {
            let (part, body) = joined(Some(result), path)?;
            sizes.push((part.part_number().unwrap_or(0), body.len() as u64));
            done.push(part);
        }
        done.sort_by_key(|p| p.part_number());
        sizes.sort_unstable();
        let request = self
            .inner
            .client
            .complete_multipart_upload()
            .bucket(self.inner.bucket())
            .key(&self.key)
            .upload_id(&self.upload_id)
            .multipart_upload(
                CompletedMultipartUpload::builder()
                    .set_parts(Some(done.clone()))
                    .build(),
            )
            .set_if_none_match(if_none_match(&self.inner, opts))
            .set_if_match(if_match(&self.inner, opts));
        match request.send().await {
            Ok(out) => Ok(WriteResult::native(
                path.clone(),
                size,
                out.e_tag().map(str::to_owned),
                None,
                opts,
            )
            .with_version_id(out.version_id().map(str::to_owned))
            .with_digest(
                service_digest(
                    opts,
                    Reported {
                        crc32c: out.checksum_crc32_c(),
                        sha256: out.checksum_sha256(),
                        crc64nvme: out.checksum_crc64_nvme(),
                    },
                )
                .or_else(|| composite_of_parts(opts, &done))
                .or_else(|| full_crc64_of_parts(opts, &done, &sizes)),
            )),
            Err(e) if !opts.overwrite && Failure::of(&e).is_precondition_failed() => {
                match own_write(&self.inner, path, self.write_id.as_deref(), opts).await {
                    Some(result) => Ok(result),
                    None => Err(self.inner.already_exists(path)),
                }
            }
            // A retried completion of an upload the lost first attempt completed.
            Err(e) if Failure::of(&e).is_not_found() && !Failure::of(&e).is_missing_bucket() => {
                match own_write(&self.inner, path, self.write_id.as_deref(), opts).await {
                    Some(result) => Ok(result),
                    None => Err(write_error(&self.inner, e, path, opts)),
                }
            }
            Err(e) => Err(write_error(&self.inner, e, path, opts)),
        }
    }

    /// Stops the part uploads and aborts the multipart upload (best effort: the error that
    /// caused the abort is what the caller sees).
    async fn abort(&mut self) {
        for task in self.in_flight.drain(..) {
            task.abort();
        }
        let result = abort_request(&self.inner, &self.key, &self.upload_id).await;
        // Finished only once the abort was sent and answered: a caller that drops this
        // future during the request leaves the abort to `Drop` (it was marked finished
        // first, and the upload stayed behind with its parts).
        self.finished = true;
        if let Err(e) = result {
            tracing::warn!(key = %self.key, error = %e, "aborting a multipart upload failed");
        }
    }
}

impl Drop for Upload {
    fn drop(&mut self) {
        if self.finished {
            return;
        }
        for task in self.in_flight.drain(..) {
            task.abort();
        }
        let inner = Arc::clone(&self.inner);
        let key = std::mem::take(&mut self.key);
        let upload_id = std::mem::take(&mut self.upload_id);
        self.handle.spawn(async move {
            if let Err(e) = abort_request(&inner, &key, &upload_id).await {
                tracing::warn!(%key, error = %e, "aborting a cancelled multipart upload failed");
            }
        });
    }
}

/// The most parts one S3 multipart upload may have.
const MAX_PARTS: i32 = 10_000;

pub(crate) async fn abort_request(inner: &Inner, key: &str, upload_id: &str) -> Result<()> {
    inner
        .client
        .abort_multipart_upload()
        .bucket(inner.bucket())
        .key(key)
        .upload_id(upload_id)
        .send()
        .await
        .map(drop)
        .map_err(|e| error::from_sdk(e, key))
}

/// Uploads one part (spawned, so parts are signed and sent in parallel). Hands the body
/// back with the result so that its buffer can carry a later part. `checksum` is the
/// algorithm the upload was created with: every part must carry it.
async fn upload_part(
    inner: Arc<Inner>,
    key: String,
    upload_id: String,
    (number, checksum): (i32, Option<aws_sdk_s3::types::ChecksumAlgorithm>),
    part: Part,
    path: RemotePath,
) -> Result<(CompletedPart, Part)> {
    let asked = checksum.is_some();
    let (body, crc32) = part_body(&inner, &part, asked);
    let request = inner
        .client
        .upload_part()
        .bucket(inner.bucket())
        .key(key)
        .upload_id(upload_id)
        .part_number(number)
        .content_length(i64::try_from(part.len()).unwrap_or(i64::MAX))
        .set_checksum_algorithm(checksum)
        .set_checksum_crc32(crc32)
        .body(body);
    let result = send_body!(request, inner, asked);
    let out = result.map_err(|e| error::from_sdk(e, path.as_str()))?;
    let completed = CompletedPart::builder()
        .part_number(number)
        .set_e_tag(out.e_tag().map(str::to_owned))
        .set_checksum_crc32(out.checksum_crc32().map(str::to_owned))
        .set_checksum_crc32_c(out.checksum_crc32_c().map(str::to_owned))
        .set_checksum_crc64_nvme(out.checksum_crc64_nvme().map(str::to_owned))
        .set_checksum_sha1(out.checksum_sha1().map(str::to_owned))
        .set_checksum_sha256(out.checksum_sha256().map(str::to_owned))
        .build();
    Ok((completed, part))
}

/// The request body of a part, and the CRC32 header to send with it. One buffer is sent as
/// it is (the SDK adds its checksum as for any in-memory body). Chunks go out as a
/// streaming body over them, with the CRC32 the SDK would have added (`checksums =
/// "when_supported"`, no checksum `asked` for) computed here and sent as a header: given a
/// streaming body the SDK would instead wrap it in `aws-chunked` encoding with a trailer,
/// which copies every byte again.
fn part_body(inner: &Inner, part: &Part, asked: bool) -> (SdkBody, Option<String>) {
    match part.0.as_slice() {
        [one] => (SdkBody::from(one.clone()), None),
        chunks => {
            let crc32 = (inner.config.checksums == crate::Checksums::WhenSupported && !asked)
                .then(|| crc32_of(chunks));
            let chunks: Arc<[Bytes]> = chunks.into();
            let body = RawBody::retryable(move || {
                RawBody::from_body_1_x(ChunksBody {
                    chunks: Arc::clone(&chunks),
                    next: 0,
                })
            });
            (SdkBody::new(body), crc32)
        }
    }
}

/// The base64 CRC32 (ISO-HDLC, as S3's `x-amz-checksum-crc32`) of `chunks` taken in order.
fn crc32_of(chunks: &[Bytes]) -> String {
    let mut digest = crc_fast::Digest::new(crc_fast::CrcAlgorithm::Crc32IsoHdlc);
    for chunk in chunks {
        digest.update(chunk);
    }
    let crc = u32::try_from(digest.finalize()).unwrap_or_default();
    aws_smithy_types::base64::encode(crc.to_be_bytes())
}

/// Whether sub-part chunks of a streamed write are gathered into parts without a copy: only
/// for unsigned payloads (SigV4 signs only a contiguous body) and when the write asked for
/// no checksum of its own (the SDK computes that one).
fn gathers_chunks(inner: &Inner, opts: &WriteOptions) -> bool {
    !inner.config.sign_payload && opts.checksum.is_none()
}

/// A request body over a part's chunks, one frame each.
struct ChunksBody {
    chunks: Arc<[Bytes]>,
    next: usize,
}

impl http_body::Body for ChunksBody {
    type Data = Bytes;
    type Error = aws_smithy_types::body::Error;

    fn poll_frame(
        mut self: std::pin::Pin<&mut Self>,
        _cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<std::result::Result<http_body::Frame<Bytes>, Self::Error>>> {
        let chunk = self.chunks.get(self.next).cloned();
        self.next += 1;
        std::task::Poll::Ready(chunk.map(|c| Ok(http_body::Frame::data(c))))
    }

    fn is_end_stream(&self) -> bool {
        self.next >= self.chunks.len()
    }

    fn size_hint(&self) -> http_body::SizeHint {
        let rest = self.chunks.get(self.next..).unwrap_or_default();
        http_body::SizeHint::with_exact(rest.iter().map(|c| c.len() as u64).sum())
    }
}

/// A part's content: one buffer, or the caller's chunks in order (see [`Parts`]).
struct Part(Vec<Bytes>);

impl Part {
    fn one(bytes: Bytes) -> Self {
        Part(vec![bytes])
    }

    fn len(&self) -> usize {
        self.0.iter().map(Bytes::len).sum()
    }

    fn is_empty(&self) -> bool {
        self.0.iter().all(Bytes::is_empty)
    }

    /// The content as one buffer (a copy only when it is several chunks).
    #[cfg(test)]
    fn into_bytes(mut self) -> Bytes {
        if self.0.len() <= 1 {
            return self.0.pop().unwrap_or_default();
        }
        let mut all = BytesMut::with_capacity(self.len());
        for chunk in &self.0 {
            all.extend_from_slice(chunk);
        }
        all.freeze()
    }
}

fn joined(
    result: Option<std::result::Result<Result<(CompletedPart, Part)>, tokio::task::JoinError>>,
    path: &RemotePath,
) -> Result<(CompletedPart, Part)> {
    match result {
        Some(Ok(part)) => part,
        Some(Err(join)) => Err(error::finish(
            Error::new(remote_store_core::ErrorKind::Other)
                .with_message("a part upload task failed")
                .with_source(join),
            path.as_str(),
        )),
        None => Err(error::finish(
            Error::new(remote_store_core::ErrorKind::Other).with_message("no part upload running"),
            path.as_str(),
        )),
    }
}

/// A failure of the caller's content stream.
fn source_error(e: io::Error, path: &RemotePath) -> Error {
    Error::from_content_io(e).or_path(|| path.as_str().to_owned())
}

/// Chunks at least this long are gathered into a part as they are; shorter ones are copied
/// (a part of many tiny frames would cost more per byte than the copy).
const GATHER_MIN: usize = 64 * 1024;

/// Cuts content into parts of exactly `part_size` bytes (the last may be shorter). Chunks
/// of a part or more are sliced, not copied. Shorter chunks are either *gathered* — the
/// part is the list of the chunks themselves, see [`gathers_chunks`] — or copied into a
/// part buffer. Part buffers come from a [`PartBuffers`] pool and go back to it through
/// [`recycle`](Self::recycle) once uploaded, so a long upload allocates at most
/// `max_concurrency + 1` of them.
struct Parts<'a> {
    stream: Option<BoxStream<'a, io::Result<Bytes>>>,
    carry: Bytes,
    part_size: usize,
    gather: bool,
    buffers: PartBuffers,
}

impl<'a> Parts<'a> {
    fn new(content: AsyncContent<'a>, part_size: usize, gather: bool) -> Self {
        let (stream, carry) = match content {
            AsyncContent::Bytes(b) => (None, b),
            AsyncContent::Stream(s) => (Some(s), Bytes::new()),
        };
        Parts {
            stream,
            carry,
            part_size,
            gather,
            buffers: PartBuffers::new(part_size),
        }
    }

    /// Takes back an uploaded part, for its buffer to carry a later one.
    fn recycle(&mut self, part: Part) {
        if self.stream.is_some() {
            for chunk in part.0 {
                self.buffers.give_back(chunk);
            }
        }
    }

    /// True once everything has been handed out.
    fn at_end(&self) -> bool {
        self.stream.is_none() && self.carry.is_empty()
    }

    /// The next part: `part_size` bytes, or fewer at the end (possibly empty).
    async fn next_part(&mut self) -> io::Result<Part> {
        if self.carry.len() >= self.part_size {
            return Ok(Part::one(self.carry.split_to(self.part_size)));
        }
        let Some(stream) = self.stream.as_mut() else {
            return Ok(Part::one(std::mem::take(&mut self.carry)));
        };
        // `chunks` holds what is gathered so far, `buf` copies of short chunks after it.
        let mut chunks: Vec<Bytes> = Vec::new();
        let mut len = 0;
        let mut buf = BytesMut::new();
        let mut pending = std::mem::take(&mut self.carry);
        loop {
            let room = self.part_size - len - buf.len();
            if pending.len() >= room {
                if self.gather || buf.is_empty() {
                    // A chunk of a part or more is cut, not copied.
                    if !buf.is_empty() {
                        chunks.push(buf.freeze());
                    }
                    chunks.push(pending.split_to(room));
                } else {
                    buf.extend_from_slice(&pending.split_to(room));
                    chunks.push(buf.freeze());
                }
                self.carry = pending;
                return Ok(Part(chunks));
            }
            if self.gather && pending.len() >= GATHER_MIN {
                if !buf.is_empty() {
                    len += buf.len();
                    chunks.push(std::mem::take(&mut buf).freeze());
                }
                len += pending.len();
                chunks.push(pending);
            } else if !pending.is_empty() {
                if buf.capacity() == 0 {
                    // Never grown by doubling: that would copy the part several times.
                    buf = if len == 0 {
                        self.buffers.take()
                    } else {
                        BytesMut::with_capacity(room)
                    };
                }
                buf.extend_from_slice(&pending);
            }
            match stream.next().await {
                Some(chunk) => pending = chunk?,
                None => {
                    self.stream = None;
                    if !buf.is_empty() || chunks.is_empty() {
                        chunks.push(buf.freeze());
                    }
                    return Ok(Part(chunks));
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn collect_parts(content: AsyncContent<'static>, part: usize) -> Vec<usize> {
        collect_parts_with(content, part, false)
    }

    fn collect_parts_with(content: AsyncContent<'static>, part: usize, gather: bool) -> Vec<usize> {
        futures::executor::block_on(async {
            let mut parts = Parts::new(content, part, gather);
            let mut sizes = vec![];
            loop {
                let p = parts.next_part().await.unwrap();
                sizes.push(p.len());
                if parts.at_end() {
                    return sizes;
                }
            }
        })
    }

    fn chunks(sizes: &[usize]) -> AsyncContent<'static> {
        let chunks: Vec<io::Result<Bytes>> = sizes
            .iter()
            .map(|n| Ok(Bytes::from(vec![7u8; *n])))
            .collect();
        AsyncContent::chunks(futures::stream::iter(chunks))
    }

    #[test]
    fn service_checksums_become_hex_digests() {
        let crc = |v| Reported {
            crc32c: v,
            ..Reported::default()
        };
        let opts = WriteOptions::new().checksum(ChecksumAlgorithm::Crc32c);
        // CRC-32C of "123456789" is e3069283; S3 reports it as base64 "4waSgw==".
        let both = Reported {
            crc32c: Some("4waSgw=="),
            sha256: Some("ignored"),
            ..Reported::default()
        };
        let d = service_digest(&opts, both).unwrap();
        assert_eq!(
            (d.algorithm.as_str(), d.value.as_str()),
            ("crc32c", "e3069283")
        );
        let d = service_digest(&opts, crc(Some("4waSgw==-3"))).unwrap();
        assert_eq!(d.value, "e3069283-3");
        assert!(d.is_composite());
        let sha_only = Reported {
            sha256: Some("4waSgw=="),
            ..Reported::default()
        };
        assert_eq!(service_digest(&opts, sha_only), None);
        assert_eq!(
            service_digest(&WriteOptions::new(), crc(Some("4waSgw=="))),
            None
        );
        let sha = WriteOptions::new().checksum(ChecksumAlgorithm::Sha256);
        let d = service_digest(
            &sha,
            Reported {
                sha256: Some("AAEC"),
                ..Reported::default()
            },
        )
        .unwrap();
        assert_eq!(
            (d.algorithm.as_str(), d.value.as_str()),
            ("sha256", "000102")
        );
        let bad = Reported {
            sha256: Some("not base64!"),
            ..Reported::default()
        };
        assert_eq!(service_digest(&sha, bad), None);
        assert_eq!(
            sdk_checksum(&WriteOptions::new().checksum(ChecksumAlgorithm::Md5)),
            None
        );
    }

    #[test]
    fn crc64nvme_is_sent_and_read_back() {
        let opts = WriteOptions::new().checksum(ChecksumAlgorithm::Crc64Nvme);
        assert_eq!(
            sdk_checksum(&opts),
            Some(aws_sdk_s3::types::ChecksumAlgorithm::Crc64Nvme)
        );
        // CRC-64/NVME of "123456789" is ae8b14860a799888 (base64 "rosUhgp5mIg=").
        let reported = Reported {
            crc64nvme: Some("rosUhgp5mIg="),
            ..Reported::default()
        };
        let d = service_digest(&opts, reported).unwrap();
        assert_eq!(
            (d.algorithm.as_str(), d.value.as_str()),
            ("crc64nvme", "ae8b14860a799888")
        );
        let part = CompletedPart::builder()
            .part_number(1)
            .checksum_crc64_nvme("rosUhgp5mIg=")
            .build();
        assert_eq!(
            composite_of_parts(&opts, &[part]),
            None,
            "a full-object checksum"
        );
        // "1234" and "56789" as two parts combine into the CRC-64/NVME of "123456789".
        let b64 = |crc: u64| aws_smithy_types::base64::encode(crc.to_be_bytes());
        let crc = |data: &[u8]| crc_fast::checksum(crc_fast::CrcAlgorithm::Crc64Nvme, data);
        let parts = [
            CompletedPart::builder()
                .part_number(1)
                .checksum_crc64_nvme(b64(crc(b"1234")))
                .build(),
            CompletedPart::builder()
                .part_number(2)
                .checksum_crc64_nvme(b64(crc(b"56789")))
                .build(),
        ];
        let d = full_crc64_of_parts(&opts, &parts, &[(1, 4), (2, 5)]).unwrap();
        assert_eq!(d.value, "ae8b14860a799888");
        assert!(!d.is_composite());
        let crc32c = WriteOptions::new().checksum(ChecksumAlgorithm::Crc32c);
        assert_eq!(
            full_crc64_of_parts(&crc32c, &parts, &[(1, 4), (2, 5)]),
            None
        );
    }

    #[test]
    fn a_head_reports_the_strongest_checksum_it_carries() {
        assert_eq!(Reported::default().any(), None);
        let d = Reported {
            crc64nvme: Some("rosUhgp5mIg="),
            ..Reported::default()
        }
        .any()
        .unwrap();
        assert_eq!(d.algorithm, "crc64nvme");
        let d = Reported {
            crc32c: Some("4waSgw==-2"),
            crc64nvme: Some("rosUhgp5mIg="),
            ..Reported::default()
        }
        .any()
        .unwrap();
        assert_eq!(
            (d.algorithm.as_str(), d.value.as_str()),
            ("crc32c", "e3069283-2")
        );
        assert!(d.is_composite());
        let d = Reported {
            sha256: Some("AAEC"),
            crc32c: Some("4waSgw=="),
            ..Reported::default()
        }
        .any()
        .unwrap();
        assert_eq!(d.algorithm, "sha256");
    }

    #[test]
    fn parts_are_exact() {
        assert_eq!(
            collect_parts(Bytes::from(vec![0; 25]).into(), 10),
            [10, 10, 5]
        );
        assert_eq!(collect_parts(Bytes::from(vec![0; 10]).into(), 10), [10]);
        assert_eq!(collect_parts(Bytes::new().into(), 10), [0]);
        assert_eq!(collect_parts(chunks(&[3, 4, 5, 6, 7]), 10), [10, 10, 5]);
        assert_eq!(collect_parts(chunks(&[10, 10]), 10), [10, 10, 0]);
        assert_eq!(collect_parts(chunks(&[25]), 10), [10, 10, 5]);
        assert_eq!(collect_parts(chunks(&[]), 10), [0]);
        assert_eq!(collect_parts(chunks(&[9]), 10), [9]);
    }

    #[test]
    fn chunks_of_a_part_or_more_are_not_copied() {
        futures::executor::block_on(async {
            let big = Bytes::from(vec![1u8; 25]);
            let range = big.as_ptr_range();
            let content = AsyncContent::chunks(futures::stream::iter([
                Ok(big.clone()),
                Ok(Bytes::from(vec![2u8; 10])),
            ]));
            let mut parts = Parts::new(content, 10, false);
            for _ in 0..2 {
                let part = parts.next_part().await.unwrap().into_bytes();
                assert_eq!(part.len(), 10);
                assert!(range.contains(&part.as_ptr()), "a slice of the chunk");
            }
            // The rest of the big chunk and the next chunk share one part.
            let mixed = parts.next_part().await.unwrap().into_bytes();
            assert_eq!(&mixed[..], &[[1u8; 5], [2; 5]].concat()[..]);
            assert_eq!(parts.next_part().await.unwrap().len(), 5);
        });
    }

    #[test]
    fn uploaded_part_buffers_are_reused() {
        futures::executor::block_on(async {
            let mut parts = Parts::new(chunks(&[4, 4, 4, 4, 4, 4, 4]), 10, false);
            let first = parts.next_part().await.unwrap().into_bytes();
            let first_ptr = first.as_ptr();
            parts.recycle(Part::one(first));
            let second = parts.next_part().await.unwrap().into_bytes();
            assert_eq!(
                second.as_ptr(),
                first_ptr,
                "the recycled buffer carries the next part"
            );
            assert_eq!(second.len(), 10);
            // A part still shared elsewhere (a retry in flight, say) is not reused.
            let held = second.clone();
            parts.recycle(Part::one(second));
            let third = parts.next_part().await.unwrap().into_bytes();
            assert_ne!(third.as_ptr(), held.as_ptr());
            assert_eq!(third.len(), 8);
        });
    }

    #[test]
    fn gathered_parts_are_exact_and_hold_the_chunks() {
        let k = GATHER_MIN;
        assert_eq!(
            collect_parts_with(chunks(&[k, k, k, k, k]), 2 * k + 1, true),
            [2 * k + 1, 2 * k + 1, k - 2]
        );
        assert_eq!(
            collect_parts_with(chunks(&[3, 4, 5, 6, 7]), 10, true),
            [10, 10, 5]
        );
        assert_eq!(collect_parts_with(chunks(&[]), 10, true), [0]);
        futures::executor::block_on(async {
            let big: Vec<Bytes> = (0..3u8).map(|i| Bytes::from(vec![i; k])).collect();
            let ptrs: Vec<*const u8> = big.iter().map(|b| b.as_ptr()).collect();
            let content = AsyncContent::chunks(futures::stream::iter(
                [Ok(Bytes::from(vec![9u8; 5]))]
                    .into_iter()
                    .chain(big.into_iter().map(Ok)),
            ));
            let mut parts = Parts::new(content, 2 * k + 5, true);
            let part = parts.next_part().await.unwrap();
            // The short chunk is copied, the long ones are the caller's buffers.
            let lens: Vec<usize> = part.0.iter().map(Bytes::len).collect();
            assert_eq!(lens, [5, k, k]);
            assert_eq!(part.0[1].as_ptr(), ptrs[0]);
            assert_eq!(part.0[2].as_ptr(), ptrs[1]);
            let bytes = part.into_bytes();
            assert_eq!(&bytes[..5], &[9u8; 5]);
            assert_eq!(bytes[5 + k], 1);
            let last = parts.next_part().await.unwrap();
            assert_eq!(last.0.len(), 1);
            assert_eq!(last.0[0].as_ptr(), ptrs[2]);
            assert!(parts.at_end() || parts.next_part().await.unwrap().is_empty());
        });
    }

    #[test]
    fn chunk_bodies_replay_their_chunks() {
        use http_body_util::BodyExt;
        futures::executor::block_on(async {
            let chunks: Arc<[Bytes]> =
                vec![Bytes::from_static(b"ab"), Bytes::from_static(b"cde")].into();
            let body = ChunksBody {
                chunks: Arc::clone(&chunks),
                next: 0,
            };
            assert_eq!(http_body::Body::size_hint(&body).exact(), Some(5));
            let all = body.collect().await.unwrap().to_bytes();
            assert_eq!(&all[..], b"abcde");
            let retry = RawBody::retryable(move || {
                RawBody::from_body_1_x(ChunksBody {
                    chunks: Arc::clone(&chunks),
                    next: 0,
                })
            });
            let copy = retry.try_clone().expect("retryable");
            assert_eq!(&copy.collect().await.unwrap().to_bytes()[..], b"abcde");
        });
        // CRC-32 of "123456789" is cbf43926.
        let crc = crc32_of(&[Bytes::from_static(b"1234"), Bytes::from_static(b"56789")]);
        assert_eq!(
            crc,
            aws_smithy_types::base64::encode(0xcbf4_3926u32.to_be_bytes())
        );
    }
}
