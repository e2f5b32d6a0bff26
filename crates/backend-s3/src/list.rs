//! Lazy listings over `ListObjectsV2`: one page per request, the next page fetched only
//! when the consumer has used the previous one, following continuation tokens.

use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use futures::stream::{self, BoxStream, StreamExt};
use remote_store_core::{Entry, Error, FileInfo, FolderEntry, RemotePath, Result};

use crate::inner::{Inner, to_system_time};

/// One page of a listing, already converted to backend paths.
#[derive(Debug, Default)]
pub(crate) struct Page {
    pub(crate) files: Vec<FileInfo>,
    pub(crate) folders: Vec<FolderEntry>,
}

/// Where a paged listing stands.
enum Cursor {
    First,
    Next(String),
    /// The last page said more follow but gave no token to ask for them: an error next.
    Cut,
    Done,
}

/// The pages below folder `path`: one level (delimiter `/`) or the whole subtree, from
/// the first key after `start_after` (a backend key, sent as `StartAfter`) when given.
///
/// A missing bucket is an error (naming it), never an empty listing; any error is yielded
/// (and ends the listing), never a silently truncated result.
pub(crate) fn pages(
    inner: Arc<Inner>,
    path: &RemotePath,
    recursive: bool,
    start_after: Option<&str>,
) -> BoxStream<'static, Result<Page>> {
    let prefix = inner.keys.folder(path);
    let start_after = start_after.map(|after| inner.keys.folder(&RemotePath::ROOT) + after);
    let path = path.clone();
    stream::unfold(Cursor::First, move |cursor| {
        let inner = Arc::clone(&inner);
        let prefix = prefix.clone();
        let path = path.clone();
        let start_after = start_after.clone();
        async move {
            let token = match cursor {
                Cursor::First => None,
                Cursor::Next(token) => Some(token),
                Cursor::Cut => {
                    let e = Error::unavailable(
                        "S3 ListObjectsV2 said the listing is truncated but gave no \
                         continuation token: the rest cannot be listed",
                    )
                    .with_path(path.as_str());
                    return Some((Err(e), Cursor::Done));
                }
                Cursor::Done => return None,
            };
            let out = match inner
                .list_page(&prefix, !recursive, page_size(&inner), token, start_after)
                .await
            {
                Ok(out) => out,
                Err(e) => return Some((Err(inner.sdk_error(e, path.as_str())), Cursor::Done)),
            };
            inner.saw_bucket();
            let mut page = Page::default();
            for object in out.contents() {
                let Some(key) = object.key() else { continue };
                let Some(file) = inner.keys.path_of(key) else {
                    // A folder marker (`a/`) is a folder; any other key outside the
                    // normal path form is not part of the store, and said so.
                    if !key.ends_with('/') {
                        skipped_key(key);
                    }
                    continue;
                };
                let size = object.size().map_or(0, |n| u64::try_from(n).unwrap_or(0));
                page.files.push(
                    FileInfo::new(
                        file,
                        size,
                        to_system_time(object.last_modified()).map(whole_seconds),
                    )
                    .with_etag(object.e_tag().map(str::to_owned)),
                );
            }
            for common in out.common_prefixes() {
                if let Some(folder) = common.prefix().and_then(|p| inner.keys.folder_path_of(p)) {
                    page.folders.push(FolderEntry::new(folder));
                }
            }
            let next = match (out.is_truncated(), out.next_continuation_token()) {
                (Some(true), Some(token)) if !token.is_empty() => Cursor::Next(token.to_owned()),
                // Never a silently truncated listing.
                (Some(true), _) => Cursor::Cut,
                _ => Cursor::Done,
            };
            Some((Ok(page), next))
        }
    })
    .fuse()
    .boxed()
}

fn page_size(inner: &Inner) -> i32 {
    i32::try_from(inner.config.list_page_size).unwrap_or(1000)
}

/// Files directly in `path`, or the whole subtree.
pub(crate) fn files(
    inner: Arc<Inner>,
    path: &RemotePath,
    recursive: bool,
    start_after: Option<&str>,
) -> BoxStream<'static, Result<FileInfo>> {
    flatten(pages(inner, path, recursive, start_after), |page| {
        page.files
    })
}

/// Immediate subfolders of `path`.
pub(crate) fn folders(
    inner: Arc<Inner>,
    path: &RemotePath,
) -> BoxStream<'static, Result<FolderEntry>> {
    flatten(pages(inner, path, false, None), |page| page.folders)
}

/// Immediate files and folders of `path`.
pub(crate) fn children(inner: Arc<Inner>, path: &RemotePath) -> BoxStream<'static, Result<Entry>> {
    flatten(pages(inner, path, false, None), |page| {
        let folders = page.folders.into_iter().map(Entry::Folder);
        page.files
            .into_iter()
            .map(Entry::File)
            .chain(folders)
            .collect()
    })
}

fn flatten<T: Send + 'static>(
    pages: BoxStream<'static, Result<Page>>,
    items: impl Fn(Page) -> Vec<T> + Send + 'static,
) -> BoxStream<'static, Result<T>> {
    pages
        .flat_map(move |page| {
            let batch: Vec<Result<T>> = match page {
                Ok(page) => items(page).into_iter().map(Ok).collect(),
                Err(e) => vec![Err(e)],
            };
            stream::iter(batch)
        })
        // Fused: consumers may poll again after the end.
        .fuse()
        .boxed()
}

/// Listings may carry milliseconds (moto, s3s-fs) while `HeadObject` reports whole seconds
/// (an HTTP date); truncating keeps a file's time the same whichever call reported it.
/// A time before the epoch is kept as it is.
fn whole_seconds(t: SystemTime) -> SystemTime {
    t.duration_since(UNIX_EPOCH)
        .map_or(t, |d| UNIX_EPOCH + Duration::from_secs(d.as_secs()))
}

/// Names an object a listing of files leaves out because its key cannot be a store path:
/// a tree copied or moved through the store would otherwise skip it without a word.
fn skipped_key(key: &str) {
    tracing::warn!(
        target: "remote_store",
        key = %key.escape_debug(),
        "s3: an object is left out of the listing: its key cannot be a store path (an empty \
         segment, `.` or `..`, a backslash or a control character)"
    );
}
