//! `delete_many` on S3: `DeleteObjects`, up to 1,000 keys a request, each key's failure
//! mapped by its error code.
//!
//! With `missing_ok` the keys go straight to `DeleteObjects` (S3 reports a missing key as
//! deleted, which is what `missing_ok` asks for). Without it the contract needs `NotFound`
//! for a missing key, which `DeleteObjects` cannot tell: each key is first checked with a
//! `HeadObject` (as the single `delete` does), and only the existing ones are deleted in
//! bulk — so a bulk delete is only fast with `missing_ok`.
//!
//! A request that fails as a whole with `500` falls back to single deletes for its keys:
//! servers that keep objects as files (s3s-fs) fail the whole `DeleteObjects` on a key that
//! is a directory or lies below a file, where the single delete answers per the contract.

use std::collections::HashMap;

use aws_sdk_s3::error::SdkError;
use aws_sdk_s3::operation::delete_objects::{DeleteObjectsError, DeleteObjectsOutput};
use aws_sdk_s3::types::{Delete, ObjectIdentifier};
use futures::stream::{self, StreamExt};
use remote_store_core::bulk::{DELETE_CONCURRENCY, MAX_DELETE_BATCH, Outcomes, fan_out};
use remote_store_core::{DeleteOptions, Error, ErrorKind, RemotePath, Result};

use crate::error::{self, Failure};
use crate::inner::Inner;

/// `DeleteObjects` requests one bulk delete keeps in flight.
const REQUESTS_IN_FLIGHT: usize = 4;

/// Deletes `paths`, one outcome per path in input order.
pub(crate) async fn delete_many(
    inner: &Inner,
    paths: &[RemotePath],
    opts: &DeleteOptions,
) -> Vec<Result<()>> {
    if opts.missing_ok {
        return delete_existing(inner, paths, true).await;
    }
    // Without `missing_ok`: the single delete's checks first, for each key.
    let checked: Vec<Result<RemotePath>> = stream::iter(0..paths.len())
        .map(|i| check(inner, &paths[i]))
        .buffered(DELETE_CONCURRENCY)
        .collect()
        .await;
    let (outcomes, existing) = Outcomes::pick(checked);
    let done = delete_existing(inner, &existing, false).await;
    outcomes.fill(done, |r| r)
}

/// The single `delete`: a `HeadObject` first (a missing key is `NotFound` unless
/// `missing_ok`, a folder `InvalidPath`), then `DeleteObject`.
pub(crate) async fn delete_one(inner: &Inner, path: &RemotePath, missing_ok: bool) -> Result<()> {
    if !inner.is_file(path).await? {
        return match inner.missing(path).await {
            e if e.kind() == ErrorKind::NotFound && !e.is_container_not_found() && missing_ok => {
                Ok(())
            }
            e => Err(e),
        };
    }
    inner
        .delete_object(path)
        .await
        .map_err(|e| inner.sdk_error(e, path.as_str()))
}

/// The single delete's precondition for `path` without `missing_ok`: the path is a file
/// (else `NotFound`, or `InvalidPath` for a folder).
async fn check(inner: &Inner, path: &RemotePath) -> Result<RemotePath> {
    if inner.is_file(path).await? {
        Ok(path.clone())
    } else {
        Err(inner.missing(path).await)
    }
}

/// `DeleteObjects` over `paths` in chunks of 1,000, a few requests in flight.
async fn delete_existing(inner: &Inner, paths: &[RemotePath], missing_ok: bool) -> Vec<Result<()>> {
    // By index: a closure over borrowed chunks trips the `Send` check of the boxed future.
    let starts = (0..paths.len()).step_by(MAX_DELETE_BATCH);
    let chunks: Vec<Vec<Result<()>>> = stream::iter(starts)
        .map(|at| {
            let end = (at + MAX_DELETE_BATCH).min(paths.len());
            delete_chunk(inner, &paths[at..end], missing_ok)
        })
        .buffered(REQUESTS_IN_FLIGHT)
        .collect()
        .await;
    chunks.into_iter().flatten().collect()
}

/// Sends one quiet `DeleteObjects` request for `keys` (at most 1,000): only failures come
/// back. A request that cannot be built is a construction failure.
pub(crate) async fn send_delete(
    inner: &Inner,
    keys: &[String],
) -> std::result::Result<DeleteObjectsOutput, SdkError<DeleteObjectsError>> {
    let objects = keys
        .iter()
        .map(|k| ObjectIdentifier::builder().key(k).build())
        .collect::<std::result::Result<Vec<_>, _>>()
        .map_err(SdkError::construction_failure)?;
    let delete = Delete::builder()
        .set_objects(Some(objects))
        .quiet(true)
        .build()
        .map_err(SdkError::construction_failure)?;
    inner
        .queued(|| {
            inner
                .client
                .delete_objects()
                .bucket(inner.bucket())
                .delete(delete)
                .send()
        })
        .await
}

/// One `DeleteObjects` request (quiet: only failures come back). A failed request fails
/// every key of the chunk; a failed key fails its item, by its error code.
async fn delete_chunk(inner: &Inner, chunk: &[RemotePath], missing_ok: bool) -> Vec<Result<()>> {
    let Some(first) = chunk.first() else {
        return Vec::new();
    };
    let keys: Vec<String> = chunk.iter().map(|p| inner.keys.object(p)).collect();
    let output = match send_delete(inner, &keys).await {
        Ok(output) => output,
        Err(e) if Failure::of(&e).status == Some(500) => {
            return stream::iter(0..chunk.len())
                .map(|i| delete_one(inner, &chunk[i], missing_ok))
                .buffered(DELETE_CONCURRENCY)
                .collect()
                .await;
        }
        Err(e) => return fan_out(inner.sdk_error(e, first.as_str()), chunk),
    };
    inner.saw_bucket();
    let mut outcomes: Vec<Result<()>> = chunk.iter().map(|_| Ok(())).collect();
    let mut position: HashMap<&str, Vec<usize>> = HashMap::new();
    for (i, key) in keys.iter().enumerate() {
        position.entry(key.as_str()).or_default().push(i);
    }
    for failed in output.errors() {
        let code = failed.code();
        let kind = error::classify(None, code).unwrap_or(ErrorKind::Other);
        if kind == ErrorKind::NotFound && missing_ok {
            continue;
        }
        let Some(at) = failed.key().and_then(|k| position.get(k)) else {
            continue;
        };
        for &i in at {
            let path = chunk[i].as_str();
            outcomes[i] = Err(error::finish(
                Error::new(kind).with_message(format!(
                    "S3 DeleteObjects: {}",
                    code.unwrap_or("unknown error")
                )),
                path,
            ));
        }
    }
    outcomes
}
