//! Server-side copies: `CopyObject` up to 5 GiB, a multipart copy (`UploadPartCopy`)
//! beyond. No bytes pass through the client; metadata and content type are kept.

use std::fmt::Write as _;
use std::sync::Arc;

use aws_sdk_s3::types::{CompletedMultipartUpload, CompletedPart, MetadataDirective};
use futures::stream::{self, StreamExt, TryStreamExt};
use remote_store_core::{Error, RemotePath, Result};

use crate::config::MAX_PART_SIZE;
use crate::error;
use crate::inner::Inner;
use crate::keys;

/// Parts of a multipart copy.
const COPY_PART_SIZE: u64 = 1024 * 1024 * 1024;

/// Copies `src` to `dst` with every precondition of the contract. Returns the ETag the
/// source had when the copy began (its `HeadObject`), for a move to delete only that.
pub(crate) async fn copy(
    inner: &Arc<Inner>,
    src: &RemotePath,
    dst: &RemotePath,
    overwrite: bool,
) -> Result<Option<String>> {
    let Some(head) = inner.head(src).await? else {
        return Err(inner.missing(src).await);
    };
    let etag = head.e_tag().map(str::to_owned);
    if src == dst {
        return Ok(etag);
    }
    // The existence check is a HEAD; where the server enforces `If-None-Match: *` on
    // copies (`conditional_copy`), the copy carries it too and a racing creator wins.
    let if_none_match = (!overwrite && inner.config.conditional_copy).then(|| "*".to_owned());
    let (folder, exists) = futures::try_join!(inner.is_folder_target(dst), async {
        if overwrite {
            Ok(false)
        } else {
            inner.is_file(dst).await
        }
    })?;
    if folder {
        return Err(error::finish(
            Error::invalid_path(dst.as_str(), "the destination is a folder"),
            dst.as_str(),
        ));
    }
    if inner.config.check_ancestor_files {
        for ancestor in dst.ancestors() {
            if inner.is_file(&ancestor).await? {
                return Err(error::finish(
                    Error::invalid_path(dst.as_str(), "the destination is below a file"),
                    dst.as_str(),
                ));
            }
        }
    }
    if exists {
        return Err(inner.already_exists(dst));
    }
    let size = head
        .content_length()
        .map_or(0, |n| u64::try_from(n).unwrap_or(0));
    let source = copy_source(inner.bucket(), &inner.keys.object(src));
    let copied = if size <= MAX_PART_SIZE {
        inner
            .queued(|| {
                inner
                    .client
                    .copy_object()
                    .bucket(inner.bucket())
                    .key(inner.keys.object(dst))
                    .copy_source(source)
                    .metadata_directive(MetadataDirective::Copy)
                    .set_if_none_match(if_none_match.clone())
                    .send()
            })
            .await
            .map(drop)
            .map_err(|e| copy_error(inner, e, dst, if_none_match.is_some()))
    } else {
        Box::pin(multipart_copy(
            inner,
            dst,
            &source,
            size,
            &head,
            if_none_match,
        ))
        .await
    };
    match copied {
        // Where the server refuses folder targets itself, its refusal is told apart here
        // (boxed: rare, and inline it would enlarge every copy's future).
        Err(e) => Err(Box::pin(inner.refused_target(dst, e)).await),
        Ok(()) => Ok(etag),
    }
}

/// The error of a copy; with `If-None-Match: *` sent, a `412` means the destination was
/// created meanwhile: `AlreadyExists`.
fn copy_error<E>(
    inner: &Inner,
    e: aws_sdk_s3::error::SdkError<E>,
    dst: &RemotePath,
    conditional: bool,
) -> Error
where
    E: aws_sdk_s3::error::ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
{
    if conditional && error::Failure::of(&e).is_precondition_failed() {
        return inner.already_exists(dst);
    }
    inner.sdk_error(e, dst.as_str())
}

/// A copy of more than 5 GiB, in 1 GiB `UploadPartCopy` ranges, aborted on any failure.
async fn multipart_copy(
    inner: &Arc<Inner>,
    dst: &RemotePath,
    source: &str,
    size: u64,
    head: &aws_sdk_s3::operation::head_object::HeadObjectOutput,
    if_none_match: Option<String>,
) -> Result<()> {
    let conditional = if_none_match.is_some();
    let key = inner.keys.object(dst);
    let metadata = keys::metadata_from_s3(head.metadata());
    let created = inner
        .client
        .create_multipart_upload()
        .bucket(inner.bucket())
        .key(&key)
        .set_content_type(head.content_type().map(str::to_owned))
        .set_metadata(keys::metadata_to_s3(metadata.as_ref(), None))
        .send()
        .await
        .map_err(|e| inner.sdk_error(e, dst.as_str()))?;
    let upload_id = created.upload_id().unwrap_or_default().to_owned();
    // A copy dropped from here on (a timeout, a `select!`) must not leave the upload and
    // its copied parts behind, billed and invisible.
    let mut pending = AbortOnDrop {
        inner: Some(Arc::clone(inner)),
        key: key.clone(),
        upload_id: upload_id.clone(),
    };
    // Every part is copied from the version the head saw: a source replaced meanwhile
    // fails its next part (412) instead of splicing two versions into the destination
    // (which a move would then complete by deleting the source).
    let pinned = head.e_tag().map(str::to_owned);
    let ranges: Vec<(i32, u64, u64)> = (0..size.div_ceil(COPY_PART_SIZE))
        .map(|i| {
            let start = i * COPY_PART_SIZE;
            let end = (start + COPY_PART_SIZE).min(size) - 1;
            (i32::try_from(i + 1).unwrap_or(i32::MAX), start, end)
        })
        .collect();
    let parts = stream::iter(ranges)
        .map(|(number, start, end)| {
            let request = inner
                .client
                .upload_part_copy()
                .bucket(inner.bucket())
                .key(&key)
                .upload_id(&upload_id)
                .part_number(number)
                .copy_source(source)
                .set_copy_source_if_match(pinned.clone())
                .copy_source_range(format!("bytes={start}-{end}"));
            async move {
                let out = request
                    .send()
                    .await
                    .map_err(|e| inner.sdk_error(e, dst.as_str()))?;
                let etag = out
                    .copy_part_result()
                    .and_then(|r| r.e_tag())
                    .map(str::to_owned);
                Ok::<_, Error>(
                    CompletedPart::builder()
                        .part_number(number)
                        .set_e_tag(etag)
                        .build(),
                )
            }
        })
        .buffered(inner.config.max_concurrency)
        .try_collect::<Vec<_>>()
        .await;
    let completed = match parts {
        Ok(parts) => inner
            .client
            .complete_multipart_upload()
            .bucket(inner.bucket())
            .key(&key)
            .upload_id(&upload_id)
            .multipart_upload(
                CompletedMultipartUpload::builder()
                    .set_parts(Some(parts))
                    .build(),
            )
            .set_if_none_match(if_none_match)
            .send()
            .await
            .map(drop)
            .map_err(|e| copy_error(inner, e, dst, conditional)),
        Err(e) => Err(e),
    };
    if completed.is_err() {
        let _ = crate::upload::abort_request(inner, &key, &upload_id).await;
    }
    pending.inner = None;
    completed
}

/// Aborts a multipart copy's upload when dropped before it completed or was aborted
/// (`inner` is taken then), on the runtime it ran on.
struct AbortOnDrop {
    inner: Option<Arc<Inner>>,
    key: String,
    upload_id: String,
}

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        let Some(inner) = self.inner.take() else {
            return;
        };
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            tracing::warn!(key = %self.key, "a dropped multipart copy could not be aborted: no runtime");
            return;
        };
        let (key, upload_id) = (
            std::mem::take(&mut self.key),
            std::mem::take(&mut self.upload_id),
        );
        runtime.spawn(async move {
            if let Err(e) = crate::upload::abort_request(&inner, &key, &upload_id).await {
                tracing::warn!(%key, error = %e, "aborting a dropped multipart copy failed");
            }
        });
    }
}

/// The `x-amz-copy-source` value: `bucket/key`, percent-encoded except `/` and the
/// unreserved characters.
pub(crate) fn copy_source(bucket: &str, key: &str) -> String {
    let mut out = String::with_capacity(bucket.len() + key.len() + 1);
    for b in bucket.bytes().chain([b'/']).chain(key.bytes()) {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~' | b'/') {
            out.push(char::from(b));
        } else {
            let _ = write!(out, "%{b:02X}");
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn copy_source_is_percent_encoded() {
        assert_eq!(
            copy_source("b", "a/b c/ü+!.txt"),
            "b/a/b%20c/%C3%BC%2B%21.txt"
        );
    }
}
