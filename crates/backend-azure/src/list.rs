//! Listing: `List Blobs`, flat (recursive) or by hierarchy (`delimiter=/`), one page per
//! request, fetched lazily as the caller pulls.
//!
//! `azure_storage_blob` 1.1 lists only flat (it has no `delimiter`), so this module sends
//! the request itself through the client's own `azure_core` pipeline (same transport,
//! retries and authentication) and parses the page with the SDK's `BlobItem` model.

use std::sync::Arc;
use std::time::SystemTime;

use azure_core::http::{Context, Method, Request};
use azure_storage_blob::models::{BlobItem, BlobName};
use futures::stream::{self, Stream, TryStreamExt};
use percent_encoding::percent_decode_str;
use remote_store_core::{Entry, Error, FileInfo, FolderEntry, Metadata, RemotePath, Result};
use serde::Deserialize;

use crate::client::Client;
use crate::error;

/// One `List Blobs` response page.
#[derive(Deserialize)]
#[serde(rename = "EnumerationResults")]
struct Page {
    #[serde(rename = "Blobs", default)]
    blobs: Items,
    #[serde(rename = "NextMarker", default)]
    next_marker: Option<String>,
}

#[derive(Deserialize, Default)]
struct Items {
    /// Blobs and prefixes arrive interleaved, in name order.
    #[serde(rename = "$value", default)]
    items: Vec<Item>,
}

#[derive(Deserialize)]
enum Item {
    Blob(Box<BlobItem>),
    BlobPrefix(Prefix),
}

#[derive(Deserialize)]
struct Prefix {
    #[serde(rename = "Name")]
    name: BlobName,
}

/// What one listing yields.
#[derive(Debug)]
pub(crate) enum Listed {
    File(FileInfo),
    Folder(FolderEntry),
}

impl Listed {
    pub(crate) fn into_entry(self) -> Entry {
        match self {
            Listed::File(f) => Entry::File(f),
            Listed::Folder(d) => Entry::Folder(d),
        }
    }
}

/// The pages of a listing of `prefix`, fetched one at a time as the stream is polled.
fn pages(
    client: Arc<Client>,
    prefix: String,
    hierarchical: bool,
) -> impl Stream<Item = Result<Page>> + Send + 'static {
    stream::try_unfold(Some(None::<String>), move |state| {
        let client = client.clone();
        let prefix = prefix.clone();
        async move {
            let Some(marker) = state else {
                return Ok(None);
            };
            let page = fetch(&client, &prefix, hierarchical, None, marker.as_deref()).await?;
            let next = page.next_marker.clone().filter(|m| !m.is_empty());
            Ok(Some((page, next.map(Some))))
        }
    })
}

/// Lazily lists everything under `folder` (a store key): one level (files and folders)
/// with `hierarchical`, else every file of the subtree.
pub(crate) fn list(
    client: Arc<Client>,
    folder: &RemotePath,
    hierarchical: bool,
) -> impl Stream<Item = Result<Listed>> + Send + 'static {
    let prefix = client.folder_prefix(folder);
    let conv = client.clone();
    pages(client, prefix, hierarchical)
        .map_ok(move |page| stream::iter(convert(&conv, page).into_iter().map(Ok)))
        .try_flatten()
}

/// The raw blob names of the whole subtree of `folder`, including names this backend does
/// not list as files (directory markers ending in `/`), for recursive deletes.
pub(crate) fn names(
    client: Arc<Client>,
    folder: &RemotePath,
) -> impl Stream<Item = Result<String>> + Send + 'static {
    let prefix = client.folder_prefix(folder);
    pages(client, prefix, false)
        .map_ok(|page| {
            let names: Vec<String> = page
                .blobs
                .items
                .into_iter()
                .filter_map(|item| match item {
                    Item::Blob(b) => b.name,
                    Item::BlobPrefix(_) => None,
                })
                .collect();
            stream::iter(names.into_iter().map(Ok))
        })
        .try_flatten()
}

/// Whether any blob exists under the folder `key` (one request for one entry). Directory
/// markers written by other tools count as evidence.
pub(crate) async fn has_children(client: Arc<Client>, key: &RemotePath) -> Result<bool> {
    let prefix = client.folder_prefix(key);
    let page = fetch(&client, &prefix, false, Some(1), None).await?;
    Ok(!page.blobs.items.is_empty())
}

async fn fetch(
    client: &Client,
    prefix: &str,
    hierarchical: bool,
    limit: Option<u32>,
    marker: Option<&str>,
) -> Result<Page> {
    let mut url = client.container_url.clone();
    {
        let mut q = url.query_pairs_mut();
        q.append_pair("restype", "container")
            .append_pair("comp", "list")
            .append_pair("include", "metadata");
        if !prefix.is_empty() {
            q.append_pair("prefix", prefix);
        }
        if hierarchical {
            q.append_pair("delimiter", "/");
        }
        if let Some(n) = limit.or(client.page_size) {
            q.append_pair("maxresults", &n.to_string());
        }
        if let Some(m) = marker {
            q.append_pair("marker", m);
        }
    }
    let mut request = Request::new(url, Method::Get);
    request.insert_header("accept", "application/xml");
    request.insert_header("x-ms-version", client.version.clone());
    let folder = prefix.strip_suffix('/').unwrap_or(prefix).to_owned();
    let response = client
        .pipeline
        .send(&Context::new(), &mut request, None)
        .await
        .map_err(|e| error::map_in(e, &folder, &client.container_name))?;
    client.note_page();
    let body = response.into_body();
    azure_core::xml::from_xml::<_, Page>(body).map_err(|e| {
        Error::new(remote_store_core::ErrorKind::Other)
            .with_message("cannot parse a List Blobs page")
            .with_source(e)
    })
}

fn convert(client: &Client, page: Page) -> Vec<Listed> {
    let mut out = Vec::with_capacity(page.blobs.items.len());
    for item in page.blobs.items {
        match item {
            Item::Blob(blob) => {
                if let Some(info) = file_info(client, *blob) {
                    out.push(Listed::File(info));
                }
            }
            Item::BlobPrefix(prefix) => {
                let Some(name) = decode_name(prefix.name) else {
                    continue;
                };
                let Some(key) = name.strip_suffix('/').and_then(|n| client.key_of(n)) else {
                    continue;
                };
                out.push(Listed::Folder(FolderEntry::new(key)));
            }
        }
    }
    out
}

fn decode_name(name: BlobName) -> Option<String> {
    let content = name.content?;
    if name.encoded.unwrap_or(false) {
        percent_decode_str(&content)
            .decode_utf8()
            .ok()
            .map(|s| s.into_owned())
    } else {
        Some(content)
    }
}

fn file_info(client: &Client, blob: BlobItem) -> Option<FileInfo> {
    let name = blob.name.as_deref()?;
    let Some(key) = client.key_of(name) else {
        // A folder marker (`a/`) is a folder; any other name outside the normal path form
        // is not part of the store, and said so: a tree copied or moved through the store
        // would otherwise skip it without a word.
        if !name.ends_with('/') {
            tracing::warn!(
                target: "remote_store",
                blob = %name.escape_debug(),
                "azure: a blob is left out of the listing: its name cannot be a store path \
                 (an empty segment, `.` or `..`, a backslash or a control character)"
            );
        }
        return None;
    };
    let props = blob.properties.unwrap_or_default();
    let modified = props.last_modified.map(SystemTime::from);
    let metadata = blob
        .metadata
        .and_then(|m| m.values)
        .map(crate::meta::decode)
        .filter(|m: &Metadata| !m.is_empty());
    Some(
        FileInfo::new(key, props.content_length.unwrap_or(0), modified)
            .with_etag(props.etag.map(|e| crate::upload::etag_text(&e)))
            .with_version_id(blob.version_id)
            .with_content_type(props.content_type)
            .with_digest(crate::upload::stored_md5(props.content_md5))
            .with_metadata(metadata),
    )
}
