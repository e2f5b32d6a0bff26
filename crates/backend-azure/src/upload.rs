//! Writes: one `Put Blob` up to the block size, else `Put Block` × n (at most
//! `max_concurrency` in flight) and one `Put Block List`.
//!
//! Nothing is visible until the single upload or the block-list commit succeeds, so a write
//! that fails (or is dropped) half-way leaves the previous blob untouched. Staged blocks
//! that are never committed are discarded by the service (after a week at the latest) and
//! never show up in listings or reads.

use std::collections::HashMap;
use std::num::NonZero;
use std::sync::Arc;
use std::time::SystemTime;

use azure_core::http::Etag;
use azure_storage_blob::BlockBlobClient;
use azure_storage_blob::models::{
    BlockBlobClientCommitBlockListOptions, BlockBlobClientCommitBlockListResultHeaders,
    BlockBlobClientUploadOptions, BlockLookupList,
};
use bytes::{Bytes, BytesMut};
use futures::StreamExt;
use futures::stream::BoxStream;
use md5::Digest as _;
use remote_store_async::{AsyncContent, PartBuffers};
use remote_store_core::{
    ChecksumAlgorithm, ContentDigest, Error, RemotePath, Result, WriteOptions, WriteResult,
};
use tokio::task::JoinSet;

use crate::client::Client;
use crate::error;

/// The conditional, metadata and content-type settings of one write.
struct Settings {
    if_none_match: Option<Etag>,
    /// `If-Match: <etag>` for a write with `if_match` (Put Blob and Put Block List).
    if_match: Option<Etag>,
    metadata: Option<HashMap<String, String>>,
    content_type: Option<String>,
    /// Set for conditional writes (see [`recognise_own_write`]).
    write_id: Option<String>,
}

impl Settings {
    fn new(opts: &WriteOptions) -> Self {
        let mut metadata = opts.user_metadata().map(crate::meta::encode);
        let write_id = (!opts.overwrite).then(|| uuid::Uuid::new_v4().simple().to_string());
        if let Some(id) = &write_id {
            metadata
                .get_or_insert_with(HashMap::new)
                .insert(crate::meta::WRITE_ID_KEY.to_owned(), id.clone());
        }
        Settings {
            if_none_match: (!opts.overwrite).then(|| Etag::from("*")),
            if_match: opts.if_match.clone().map(Etag::from),
            metadata,
            content_type: opts.content_type.clone(),
            write_id,
        }
    }
}

/// What a blob's properties say about a write [`recognise_own_write`] found.
pub(crate) struct OwnWrite {
    pub(crate) size: u64,
    pub(crate) etag: Option<String>,
    pub(crate) modified: Option<SystemTime>,
    /// The blob's `Content-MD5` property.
    pub(crate) md5: Option<Vec<u8>>,
}

/// The `digest` of a write that asked for `opts.checksum`, from the MD5 the service
/// reported (Azure returns no other whole-blob checksum).
fn md5_digest(opts: &WriteOptions, md5: Option<&[u8]>) -> Option<ContentDigest> {
    match opts.checksum? {
        ChecksumAlgorithm::Md5 => {
            md5.map(|raw| ContentDigest::from_bytes(ChecksumAlgorithm::Md5, raw))
        }
        _ => None,
    }
}

/// A blob's `Content-MD5` property as the [`FileInfo`](remote_store_core::FileInfo)
/// digest: the service sets it on every single-request upload, and this backend on a block
/// list when the write asked for MD5; `None` when the blob has none (or not 16 bytes).
pub(crate) fn stored_md5(md5: Option<Vec<u8>>) -> Option<ContentDigest> {
    md5.filter(|raw| raw.len() == 16)
        .map(|raw| ContentDigest::from_bytes(ChecksumAlgorithm::Md5, &raw))
}

/// An etag as this backend reports it: always in its quoted HTTP form (`"0x8D..."`). The
/// service quotes it in headers but not in listings, so without this a listed file and
/// the same file's `get_file_info` would report different etags for one version.
pub(crate) fn etag_text(etag: &impl std::fmt::Display) -> String {
    let text = etag.to_string();
    if text.starts_with('"') || text.starts_with("W/\"") {
        text
    } else {
        format!("\"{text}\"")
    }
}

/// A conditional create can meet its own success: the pipeline retries a request whose
/// response was lost (a reset connection, a 5xx after the service had stored the blob), and
/// the retry's `If-None-Match: *` then fails. The blob carries the write's id, so an
/// `AlreadyExists` for a blob holding *our* id is the success it looks like.
pub(crate) async fn recognise_own_write(
    blob: &azure_storage_blob::BlobClient,
    key: &RemotePath,
    write_id: Option<&str>,
    err: Error,
) -> Result<OwnWrite> {
    use azure_storage_blob::models::BlobClientGetPropertiesResultHeaders;
    let Some(id) = write_id else {
        return Err(err);
    };
    if err.kind() != remote_store_core::ErrorKind::AlreadyExists {
        return Err(err);
    }
    let Ok(props) = blob.get_properties(None).await else {
        return Err(err);
    };
    let ours = props
        .metadata()
        .ok()
        .is_some_and(|m| crate::meta::write_id(&m) == Some(id));
    if !ours {
        return Err(err);
    }
    tracing::debug!(
        key = key.as_str(),
        "a retried conditional write met its own success"
    );
    Ok(OwnWrite {
        size: props.content_length().ok().flatten().unwrap_or(0),
        etag: props.etag().ok().flatten().map(|e| etag_text(&e)),
        modified: props.last_modified().ok().flatten().map(SystemTime::from),
        md5: props.content_md5().ok().flatten(),
    })
}

/// Uploads `content` to `key`. The caller has checked the preconditions that need a
/// listing (a folder at `key`); `AlreadyExists` is decided here, by the service.
pub(crate) async fn upload(
    client: &Arc<Client>,
    key: &RemotePath,
    content: AsyncContent<'_>,
    opts: &WriteOptions,
) -> Result<WriteResult> {
    let settings = Settings::new(opts);
    match upload_with(client, key, content, opts, &settings).await {
        Ok(result) => Ok(result),
        Err(err) => {
            let blob = client.blob(key);
            let own = recognise_own_write(&blob, key, settings.write_id.as_deref(), err)
                .await
                .map_err(|e| error::in_container(e, key.as_str(), &client.container_name))?;
            Ok(
                WriteResult::native(key.clone(), own.size, own.etag, own.modified, opts)
                    .with_digest(md5_digest(opts, own.md5.as_deref())),
            )
        }
    }
}

async fn upload_with(
    client: &Arc<Client>,
    key: &RemotePath,
    content: AsyncContent<'_>,
    opts: &WriteOptions,
    settings: &Settings,
) -> Result<WriteResult> {
    let block_size = usize::try_from(client.part_size).unwrap_or(usize::MAX);
    let blob_client = client.blob(key);
    let blob = Arc::new(blob_client.block_blob_client());
    if let AsyncContent::Bytes(bytes) = &content
        && bytes.len() <= block_size
    {
        return put_single(client, &blob, key, bytes.clone(), settings, opts).await;
    }
    let source = match content {
        // Large in-memory content: hand it over block by block (no copy of the whole).
        AsyncContent::Bytes(bytes) => {
            let chunks: Vec<std::io::Result<Bytes>> = (0..bytes.len())
                .step_by(block_size)
                .map(|at| Ok(bytes.slice(at..(at + block_size).min(bytes.len()))))
                .collect();
            futures::stream::iter(chunks).boxed()
        }
        AsyncContent::Stream(s) => s,
    };

    // The first block decides: a source that ends within it is sent as one Put Blob.
    let mut blocks = Blocks {
        source,
        pending: Bytes::new(),
        ended: false,
        size: block_size,
        buffers: PartBuffers::new(block_size),
    };
    let first = blocks.next(key).await?.unwrap_or_default();
    if blocks.is_done(key).await? {
        return put_single(client, &blob, key, first, settings, opts).await;
    }

    // Large or streamed: fail fast without staging anything when overwrite is off and the
    // blob exists (the commit's If-None-Match still decides races).
    if settings.if_none_match.is_some()
        && exists(&blob_client)
            .await
            .map_err(|e| error::map_at(e, key.as_str()))?
    {
        return Err(Error::already_exists(key.as_str()));
    }

    let write_id = uuid::Uuid::new_v4();
    // The service keeps no whole-blob MD5 for a block list: when one is asked for, it is
    // computed here over the staged bytes, in order, and stored as the blob's Content-MD5.
    let mut md5 = (opts.checksum == Some(ChecksumAlgorithm::Md5)).then(md5::Md5::new);
    let mut ids: Vec<Vec<u8>> = Vec::new();
    let mut total: u64 = 0;
    let mut in_flight: JoinSet<azure_core::Result<Bytes>> = JoinSet::new();
    let mut next = Some(first);
    while let Some(block) = next {
        {
            // Bounded: at most `max_concurrency` blocks staged at once.
            while in_flight.len() >= client.max_concurrency {
                let staged = join_one(&mut in_flight, key).await?;
                blocks.recycle(staged);
            }
            let id = block_id(&write_id, ids.len());
            ids.push(id.clone());
            total += block.len() as u64;
            if let Some(md5) = md5.as_mut() {
                md5.update(&block);
            }
            let blob = blob.clone();
            in_flight.spawn(async move {
                let len = block.len() as u64;
                blob.stage_block(&id, len, block.clone().into(), None)
                    .await
                    .map(|_| block)
            });
        }
        next = blocks.next(key).await?;
    }
    while !in_flight.is_empty() {
        join_one(&mut in_flight, key).await?;
    }

    let list = BlockLookupList {
        latest: Some(ids),
        ..Default::default()
    };
    let body = list
        .try_into()
        .map_err(|e| error::map_at(e, key.as_str()))?;
    let md5 = md5.map(|m| m.finalize().to_vec());
    let rsp = blob
        .commit_block_list(
            body,
            Some(BlockBlobClientCommitBlockListOptions {
                if_none_match: settings.if_none_match.clone(),
                if_match: settings.if_match.clone(),
                metadata: settings.metadata.clone(),
                blob_content_type: settings.content_type.clone(),
                blob_content_md5: md5.clone(),
                ..Default::default()
            }),
        )
        .await
        .map_err(|e| write_error(e, key, settings))?;
    let etag = rsp.etag().ok().flatten().map(|e| etag_text(&e));
    let modified = rsp.last_modified().ok().flatten().map(SystemTime::from);
    Ok(
        WriteResult::native(key.clone(), total, etag, modified, opts)
            .with_digest(md5_digest(opts, md5.as_deref())),
    )
}

async fn put_single(
    client: &Client,
    blob: &BlockBlobClient,
    key: &RemotePath,
    bytes: Bytes,
    settings: &Settings,
    opts: &WriteOptions,
) -> Result<WriteResult> {
    let size = bytes.len() as u64;
    let partition = NonZero::new(client.part_size.max(size).max(1)).expect("non-zero");
    let rsp = blob
        .upload(
            bytes.into(),
            Some(BlockBlobClientUploadOptions {
                if_none_match: settings.if_none_match.clone(),
                if_match: settings.if_match.clone(),
                metadata: settings.metadata.clone(),
                blob_content_type: settings.content_type.clone(),
                parallel: NonZero::new(1),
                partition_size: Some(partition),
                ..Default::default()
            }),
        )
        .await
        .map_err(|e| write_error(e, key, settings))?;
    let etag = rsp.etag.map(|e| etag_text(&e));
    let modified = rsp.last_modified.map(SystemTime::from);
    // Put Blob: the service computes the MD5 of what it stored and returns it.
    Ok(WriteResult::native(key.clone(), size, etag, modified, opts)
        .with_digest(md5_digest(opts, rsp.content_md5.as_deref())))
}

/// The error of a Put Blob or Put Block List: with `If-Match` sent, a 412 (or a 404 for
/// the blob) is the condition failing; anything else maps as usual.
fn write_error(e: azure_core::Error, key: &RemotePath, settings: &Settings) -> Error {
    if settings.if_match.is_some()
        && let Some(failed) = error::condition_failed(&e, key.as_str(), true)
    {
        return failed.with_source(e);
    }
    error::map_at(e, key.as_str())
}

async fn exists(blob: &azure_storage_blob::BlobClient) -> azure_core::Result<bool> {
    match blob.get_properties(None).await {
        Ok(_) => Ok(true),
        Err(e) if error::is_not_found(&e) => Ok(false),
        Err(e) => Err(e),
    }
}

/// Cuts the caller's stream into blocks of exactly `size` bytes (the last may be shorter).
/// Each block is its own allocation of `size` bytes, so a block in flight pins no more
/// memory than its length; buffers come from a [`PartBuffers`] pool and staged blocks go
/// back through [`recycle`](Self::recycle), so a long upload allocates at most
/// `max_concurrency + 1` of them.
struct Blocks<'a> {
    source: BoxStream<'a, std::io::Result<Bytes>>,
    /// The rest of a chunk that crossed a block boundary.
    pending: Bytes,
    ended: bool,
    size: usize,
    buffers: PartBuffers,
}

impl Blocks<'_> {
    /// Takes back a staged block, for its buffer to carry a later one.
    fn recycle(&mut self, block: Bytes) {
        if !self.ended {
            self.buffers.give_back(block);
        }
    }

    /// The next block, or `None` at the end of the source.
    async fn next(&mut self, key: &RemotePath) -> Result<Option<Bytes>> {
        let mut buf = BytesMut::new();
        loop {
            if !self.pending.is_empty() {
                let room = self.size - buf.len();
                if buf.is_empty() && self.pending.len() >= self.size {
                    // A whole block inside one chunk: no copy.
                    return Ok(Some(self.pending.split_to(self.size)));
                }
                if buf.capacity() == 0 {
                    buf = self.buffers.take();
                }
                let take = room.min(self.pending.len());
                buf.extend_from_slice(&self.pending.split_to(take));
                if buf.len() == self.size {
                    return Ok(Some(buf.freeze()));
                }
            }
            if self.ended || !self.pull(key).await? {
                return Ok((!buf.is_empty()).then(|| buf.freeze()));
            }
        }
    }

    /// Whether the source is exhausted (reading ahead one chunk if needed).
    async fn is_done(&mut self, key: &RemotePath) -> Result<bool> {
        while self.pending.is_empty() && !self.ended {
            self.pull(key).await?;
        }
        Ok(self.pending.is_empty())
    }

    /// Reads one chunk into `pending`; false at the end.
    async fn pull(&mut self, key: &RemotePath) -> Result<bool> {
        match self.source.next().await {
            None => {
                self.ended = true;
                Ok(false)
            }
            Some(Ok(chunk)) => {
                self.pending = chunk;
                Ok(true)
            }
            Some(Err(e)) => Err(Error::from_content_io(e)
                .with_path(key.as_str())
                .with_message("the source of the write failed; nothing was committed")),
        }
    }
}

/// Waits for one staged block; hands its buffer back (empty when nothing was running).
async fn join_one(set: &mut JoinSet<azure_core::Result<Bytes>>, key: &RemotePath) -> Result<Bytes> {
    match set.join_next().await {
        None => Ok(Bytes::new()),
        Some(Ok(Ok(block))) => Ok(block),
        Some(Ok(Err(e))) => Err(error::map_at(e, key.as_str())),
        Some(Err(join)) => Err(Error::unavailable("a block upload task failed")
            .with_source(join)
            .with_path(key.as_str())),
    }
}

/// Block ids of one write: the write's UUID and the block index, always 48 bytes long
/// (the service requires equal lengths within a blob).
fn block_id(write: &uuid::Uuid, index: usize) -> Vec<u8> {
    format!("{}-{index:011}", write.simple()).into_bytes()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn md5_digest_only_when_asked() {
        let raw = [0xd4, 0x1d, 0x8c, 0xd9];
        let md5 = WriteOptions::new().checksum(ChecksumAlgorithm::Md5);
        let d = md5_digest(&md5, Some(&raw)).unwrap();
        assert_eq!(
            (d.algorithm.as_str(), d.value.as_str()),
            ("md5", "d41d8cd9")
        );
        assert_eq!(md5_digest(&md5, None), None);
        assert_eq!(md5_digest(&WriteOptions::new(), Some(&raw)), None);
        let crc = WriteOptions::new().checksum(ChecksumAlgorithm::Crc32c);
        assert_eq!(md5_digest(&crc, Some(&raw)), None);
    }
}
