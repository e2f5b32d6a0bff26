//! `delete_many` on S3: `DeleteObjects`, up to 1,000 keys a request, each key's failure
//! mapped by its error code.
//!
//! With `missing_ok` the keys go straight to `DeleteObjects` (S3 reports a missing key as
//! deleted, which is what `missing_ok` asks for). Without it the contract needs `NotFound`
//! for a missing key (and `InvalidPath` for a folder), which `DeleteObjects` cannot tell,
//! so the keys are checked first and only the existing ones are deleted in bulk. Keys of
//! one folder, when there are at least [`LIST_AT_LEAST`] of them, are checked with one
//! listing of the key range they span (one request per 1,000 keys listed, at most
//! [`PAGES_PER_THOUSAND`] pages per 1,000 keys checked, so a few keys scattered through a
//! large folder do not list all of it); other keys, and any folder whose listing fails or
//! runs over that budget, get a `HeadObject` each, as the single `delete` does.
//!
//! A request that fails as a whole with `500` falls back to single deletes for its keys:
//! servers that keep objects as files (s3s-fs) fail the whole `DeleteObjects` on a key that
//! is a directory or lies below a file, where the single delete answers per the contract.

use std::collections::{BTreeMap, HashMap, HashSet};

use aws_sdk_s3::error::SdkError;
use aws_sdk_s3::operation::delete_objects::{DeleteObjectsError, DeleteObjectsOutput};
use aws_sdk_s3::types::{Delete, ObjectIdentifier};
use futures::stream::{self, StreamExt};
use remote_store_core::bulk::{DELETE_CONCURRENCY, MAX_DELETE_BATCH, Outcomes, fan_out};
use remote_store_core::{DeleteOptions, Error, ErrorKind, RemotePath, Result};

use crate::error::{self, Failure};
use crate::inner::{Inner, missing_error};

/// `DeleteObjects` requests one bulk delete keeps in flight.
const REQUESTS_IN_FLIGHT: usize = 4;

/// Keys of one folder from which one listing replaces their `HeadObject`s.
const LIST_AT_LEAST: usize = 16;

/// Listing pages (of up to 1,000 entries) allowed per 1,000 keys checked, plus one,
/// before the folder's keys fall back to a `HeadObject` each.
const PAGES_PER_THOUSAND: usize = 4;

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
    let checked = check_all(inner, paths).await;
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

/// The checks of some paths, one per path.
type Checked = Vec<Result<RemotePath>>;

/// [`check`] for every path, in input order: by folder listings where a folder holds
/// enough of the paths, else one `HeadObject` each.
async fn check_all(inner: &Inner, paths: &[RemotePath]) -> Checked {
    let mut folders: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
    for (i, path) in paths.iter().enumerate() {
        let parent = path.as_str().rsplit_once('/').map_or("", |(p, _)| p);
        folders.entry(parent).or_default().push(i);
    }
    let (listed, single): (Vec<Vec<usize>>, Vec<Vec<usize>>) = folders
        .into_values()
        .partition(|at| at.len() >= LIST_AT_LEAST);
    let mut out: Vec<Option<Result<RemotePath>>> = paths.iter().map(|_| None).collect();
    let mut heads: Vec<usize> = single.into_iter().flatten().collect();
    let by_listing: Vec<(Vec<usize>, Option<Checked>)> = stream::iter(listed)
        .map(|at| async move {
            let found = check_by_listing(inner, paths, &at).await;
            (at, found)
        })
        .buffered(REQUESTS_IN_FLIGHT)
        .collect()
        .await;
    for (at, found) in by_listing {
        match found {
            Some(results) => {
                for (i, r) in at.into_iter().zip(results) {
                    out[i] = Some(r);
                }
            }
            None => heads.extend(at),
        }
    }
    let headed: Vec<Result<RemotePath>> = stream::iter(heads.clone())
        .map(|i| check(inner, &paths[i]))
        .buffered(DELETE_CONCURRENCY)
        .collect()
        .await;
    for (i, r) in heads.into_iter().zip(headed) {
        out[i] = Some(r);
    }
    out.into_iter()
        .map(|r| r.expect("every path is checked once"))
        .collect()
}

/// [`check`] for the paths `at` (all in one folder) by listing the range of keys they
/// span: a key listed as an object is a file, a key listed as a common prefix (`key/`) a
/// folder, anything else is missing. `None` when the listing fails or would take more
/// than its page budget.
async fn check_by_listing(inner: &Inner, paths: &[RemotePath], at: &[usize]) -> Option<Checked> {
    let keys: Vec<String> = at.iter().map(|&i| inner.keys.object(&paths[i])).collect();
    let prefix = common_prefix(&keys).to_owned();
    // Entries come in key order: once one sorts after every key's folder form, no later
    // entry can be any of these keys or their folders. (The largest folder form is not
    // always the largest key's: `k/` sorts after `k-1/`, as `/` sorts after `-`.)
    let end = keys.iter().map(|k| format!("{k}/")).max()?;
    let budget = PAGES_PER_THOUSAND * keys.len().div_ceil(1000) + 1;
    let (mut files, mut folders) = (HashSet::new(), HashSet::new());
    let mut token: Option<String> = None;
    for _ in 0..budget {
        let out = inner
            .list_page(&prefix, true, 1000, token.take(), None)
            .await
            .ok()?;
        inner.saw_bucket();
        let mut past = false;
        for key in out.contents().iter().filter_map(|o| o.key()) {
            past |= key > end.as_str();
            files.insert(key.to_owned());
        }
        for key in out.common_prefixes().iter().filter_map(|p| p.prefix()) {
            past |= key > end.as_str();
            folders.insert(key.to_owned());
        }
        if past || out.is_truncated() != Some(true) {
            let results = at
                .iter()
                .zip(&keys)
                .map(|(&i, key)| {
                    let path = &paths[i];
                    if files.contains(key) {
                        Ok(path.clone())
                    } else {
                        Err(missing_error(path, folders.contains(&format!("{key}/"))))
                    }
                })
                .collect();
            return Some(results);
        }
        // A truncated page without a token cannot be continued: check key by key.
        token = Some(out.next_continuation_token()?.to_owned());
    }
    None
}

/// The longest common prefix of `keys` (cut at a character boundary).
fn common_prefix(keys: &[String]) -> &str {
    let Some(first) = keys.first() else {
        return "";
    };
    let mut len = first.len();
    for key in &keys[1..] {
        len = first
            .char_indices()
            .zip(key.chars())
            .take_while(|((_, a), b)| a == b)
            .last()
            .map_or(0, |((i, a), _)| i + a.len_utf8())
            .min(len);
    }
    &first[..len]
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
            // An error for a key this request did not name (or none): which key failed is
            // unknown, so no key of the chunk is reported deleted on trust (a delete is
            // safe to ask again).
            let unknown = format!(
                "S3 DeleteObjects reported {} for a key it did not name as asked ({:?}): \
                 whether this key was deleted is unknown",
                code.unwrap_or("an error"),
                failed.key().unwrap_or_default()
            );
            for (i, outcome) in outcomes.iter_mut().enumerate() {
                if outcome.is_ok() {
                    *outcome = Err(error::finish(
                        Error::new(ErrorKind::Other).with_message(unknown.clone()),
                        chunk[i].as_str(),
                    ));
                }
            }
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

#[cfg(test)]
mod tests {
    use super::common_prefix;

    fn keys(k: &[&str]) -> Vec<String> {
        k.iter().map(|s| (*s).to_owned()).collect()
    }

    #[test]
    fn common_prefix_of_keys() {
        assert_eq!(common_prefix(&keys(&["d/k-01", "d/k-02", "d/sub"])), "d/");
        assert_eq!(common_prefix(&keys(&["d/k-1", "d/k-10"])), "d/k-1");
        assert_eq!(common_prefix(&keys(&["a", "b"])), "");
        assert_eq!(common_prefix(&keys(&["only"])), "only");
        assert_eq!(common_prefix(&keys(&[])), "");
        // Never inside a character: "é" and "è" share their first byte.
        assert_eq!(common_prefix(&keys(&["x/é", "x/è"])), "x/");
    }
}
