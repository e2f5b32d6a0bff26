//! `object_store::ObjectStore` over any remote-store [`AsyncStore`].
//!
//! The Rust data stack — DataFusion and Ballista, Polars, delta-rs, Lance — reads and writes
//! through object_store's [`ObjectStore`] trait. [`ObjectStoreAdapter`] implements it over an
//! [`AsyncStore`], so every remote-store backend (SFTP included, which object_store has no
//! client for) and every layer (retry, limit, observe) serves those engines, with the
//! store's path safety and overwrite policy.
//!
//! ```ignore
//! use object_store::{ObjectStoreExt, path::Path};
//! use remote_store_async::AsyncStore;
//! use remote_store_memory::AsyncMemoryBackend;
//! use remote_store_object_store::ObjectStoreAdapter;
//!
//! let store = AsyncStore::new(AsyncMemoryBackend::new(), "")?;
//! let os = ObjectStoreAdapter::new(store);
//! os.put(&Path::from("data/a.csv"), "x,y\n1,2\n".into()).await?;
//! let bytes = os.get(&Path::from("data/a.csv")).await?.bytes().await?;
//! assert_eq!(&bytes[..], b"x,y\n1,2\n");
//! ```
//!
//! (Compiled and run as a doc test of the `remote-store` facade, feature `object-store`:
//! this crate has no backend, not even as a dev-dependency.)
//!
//! What maps to what, and what answers `NotImplemented`, is documented on
//! [`ObjectStoreAdapter`] and in `docs/object-store.md`. object_store is pinned to one major
//! version (0.13), re-exported as [`object_store`] so callers can name the exact types.

#![warn(missing_docs)]
#![cfg_attr(docsrs, feature(doc_cfg))]

mod error;
mod paths;
mod upload;

use std::fmt;
use std::ops::Range;
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use async_trait::async_trait;
use bytes::Bytes;
use chrono::{DateTime, Utc};
use futures::stream::{BoxStream, StreamExt, TryStreamExt};
pub use object_store;
use object_store::path::Path;
use object_store::{
    Attribute, AttributeValue, Attributes, CopyMode, GetOptions, GetRange, GetResult,
    GetResultPayload, ListResult, MultipartUpload, OBJECT_STORE_COALESCE_DEFAULT, ObjectMeta,
    ObjectStore, PutMode, PutMultipartOptions, PutOptions, PutPayload, PutResult, RenameOptions,
    RenameTargetMode, Result, TagSet, coalesce_ranges,
};
use remote_store_async::{AsyncContent, AsyncStore};
use remote_store_core::bulk::MAX_DELETE_BATCH;
use remote_store_core::{
    Capability, DeleteOptions, Entry, ErrorKind, FileInfo, ListOptions, Metadata, MoveOptions,
    ReadOptions, WriteOptions, WriteResult,
};

use crate::error::{generic, map, map_object, not_implemented};
use crate::paths::{from_key, prefix_key, to_key};
use crate::upload::StoreUpload;

/// How many `delete_many` calls of up to 1,000 locations `delete_stream` keeps in flight
/// (each runs its own deletes concurrently, or is one bulk request on S3).
const DELETE_CHUNKS_IN_FLIGHT: usize = 2;

/// How many times `get_opts` looks when the object is replaced between its `head` and its
/// read (each look is a `head` and a read held to the version it found). Generous: a look
/// costs two small requests, and object_store's own race test rewrites an object from five
/// tasks while reading it.
const GET_ATTEMPTS: u32 = 10;

/// Runs `look` (a `head`, then a read held to the version it found: `pinned`) until it is
/// not refused by a replacement in between, at most [`GET_ATTEMPTS`] times: one GET of an
/// HTTP store would have returned whichever version was there.
async fn looking_again<T, F, Fut>(mut look: F) -> Result<T>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<T>>,
{
    let mut attempt = 1;
    loop {
        match look().await {
            Err(object_store::Error::Precondition { .. }) if attempt < GET_ATTEMPTS => {
                attempt += 1;
            }
            done => return done,
        }
    }
}

/// An [`ObjectStore`] over an [`AsyncStore`].
///
/// Cheap to clone (an `Arc` inside); safe to share between tasks. Register it with a query
/// engine like any other object store (see `docs/object-store.md`).
///
/// # What maps to what
/// - **Paths**: an object_store [`Path`]'s raw, percent-encoded form is the store key,
///   unchanged (`a/b%2Fc/x` is the key `a/b%2Fc/x`), relative to the store's root. Paths
///   the store would spell differently (a backslash, a C1 control character, a segment
///   starting with `.~tmp.`) are refused with `InvalidPath`.
/// - **`put_opts`**: an atomic write (`write_atomic_with`). `PutMode::Overwrite` is
///   `overwrite = true`; `PutMode::Create` is `overwrite = false`, race-free on backends that
///   declare `conditional_create` (memory, local, SFTP, Azure, S3 when configured) and
///   `NotImplemented` elsewhere unless [`allow_non_atomic_create`](Self::allow_non_atomic_create)
///   is set; `PutMode::Update` is a write `if_match` the version's etag where the backend
///   enforces that atomically (`conditional_write`: memory, S3 when configured, Azure) and
///   `NotImplemented` elsewhere (local, SFTP: their `if_match` is a check-then-write, which
///   would lose updates under contention). Attributes: `ContentType` and `Metadata(..)` (the latter where the backend
///   declares `user_metadata`); any other attribute, and tags, are `NotImplemented`.
/// - **`put_multipart_opts`**: one streamed atomic write fed part by part, in `put_part` call
///   order; `abort` (or dropping the upload) leaves nothing (see [`MultipartUpload`]).
/// - **`get_opts`**: `get_file_info` for the metadata, then `read_with` (bounded, offset and
///   suffix ranges). **`get_ranges`**: one `get_file_info` for the batch, then coalesced
///   `read_range`s. The conditions (`if_match`, `if_none_match`, `if_modified_since`,
///   `if_unmodified_since`) are checked against that metadata and passed on to `read_with`,
///   which evaluates them again atomically with the read where the backend declares
///   `conditional_read` (memory, S3 when configured, Azure). `version` is `NotImplemented`.
/// - **ETags**: the backend's etag (memory, local, SFTP, S3, Azure; see each backend's
///   docs for what it is made of); for a backend without one, one derived from the
///   modification time (nanoseconds) and size.
/// - **`delete`/`delete_stream`**: `delete` with `missing_ok` (a missing object is `Ok`, as
///   on S3). `delete_stream` takes the locations ready at once, up to 1,000, into one
///   `delete_many` (one `DeleteObjects` request on S3, 16 single deletes at a time
///   elsewhere), two such chunks in flight; results come back in input order.
/// - **`list`/`list_with_offset`**: a recursive `list_files`; the offset is its
///   `start_after` (native on S3, a filter elsewhere). **`list_with_delimiter`**: `iter_children`.
/// - **`copy_opts`/`rename_opts`**: `copy_file`/`move_file`. `Overwrite` is
///   `overwrite = true`. `Create` (`copy_if_not_exists`, `rename_if_not_exists`) is
///   `overwrite = false` where the backend enforces that atomically for copies and moves
///   (`conditional_copy`: memory, local, SFTP, Azure, S3 when configured) and
///   `NotImplemented` elsewhere (S3 by default, whose copy checks the target with a HEAD
///   first), unless [`allow_non_atomic_create`](Self::allow_non_atomic_create) is set.
/// - **Errors**: `NotFound`, `AlreadyExists`, `PermissionDenied`, `NotModified` map to the
///   same kind; `PreconditionFailed` to `Precondition`;
///   `CapabilityNotSupported` to `NotSupported`; everything else to `Generic`, with the
///   remote-store error as the source. A folder where an object is asked for is `NotFound`.
#[derive(Clone)]
pub struct ObjectStoreAdapter {
    inner: Arc<Inner>,
}

struct Inner {
    store: AsyncStore,
    non_atomic_create: bool,
}

impl ObjectStoreAdapter {
    /// An adapter over `store`; object_store paths are relative to the store's root.
    pub fn new(store: AsyncStore) -> Self {
        ObjectStoreAdapter {
            inner: Arc::new(Inner {
                store,
                non_atomic_create: false,
            }),
        }
    }

    /// Whether `PutMode::Create`, `copy_if_not_exists` and `rename_if_not_exists` may run
    /// as a check-then-act where the backend cannot make them atomic (default `false`:
    /// they answer `NotImplemented` there). Two writers racing on the same new key can then
    /// both succeed; only set it when nothing else writes to the same keys.
    pub fn allow_non_atomic_create(self, allow: bool) -> Self {
        ObjectStoreAdapter {
            inner: Arc::new(Inner {
                store: self.inner.store.clone(),
                non_atomic_create: allow,
            }),
        }
    }

    /// The store this adapter serves.
    pub fn store(&self) -> &AsyncStore {
        &self.inner.store
    }

    /// True when `overwrite = false` writes are enforced atomically by the backend.
    pub fn atomic_create(&self) -> bool {
        self.inner.store.supports(Capability::ConditionalCreate)
    }

    /// True when `PutMode::Update` is served: the backend enforces a write's `if_match`
    /// atomically (`conditional_write`).
    pub fn atomic_update(&self) -> bool {
        self.inner.store.supports(Capability::ConditionalWrite)
    }

    /// True when copies and moves with `overwrite = false` are enforced atomically: the
    /// backend declares `conditional_copy` (memory, local, SFTP, Azure; S3 where the server
    /// enforces `If-None-Match` on `CopyObject` and the backend is configured so).
    pub fn atomic_transfer_create(&self) -> bool {
        self.inner.store.supports(Capability::ConditionalCopy)
    }

    fn write_options(
        &self,
        attributes: &Attributes,
        tags: &TagSet,
        operation: &str,
    ) -> Result<WriteOptions> {
        if !tags.encoded().is_empty() {
            return Err(not_implemented(format!("{operation} with tags")));
        }
        let mut opts = WriteOptions::new();
        let mut metadata = Metadata::new();
        for (attribute, value) in attributes {
            match attribute {
                Attribute::ContentType => opts = opts.content_type(value.as_ref()),
                Attribute::Metadata(key) => {
                    metadata.insert(key.as_ref(), value.as_ref());
                }
                other => {
                    return Err(not_implemented(format!(
                        "{operation} with attribute {other:?}"
                    )));
                }
            }
        }
        if !metadata.is_empty() {
            if !self.store().supports(Capability::UserMetadata) {
                return Err(not_implemented(format!(
                    "{operation} with metadata on the {} backend",
                    self.store().name()
                )));
            }
            opts = opts.metadata(metadata);
        }
        Ok(opts)
    }

    /// One `get_opts`: the metadata, the caller's conditions checked against it, and the
    /// read held to that version (`Precondition` when it was replaced in between; the
    /// caller's own conditions fail in the check, before any read).
    async fn get_once(&self, location: &Path, options: &GetOptions) -> Result<GetResult> {
        let info = self.head_info(location).await?;
        let attributes = attributes_of(&info);
        let size = info.size;
        let mut meta = object_meta(info.clone())?;
        // The listed path is the store's spelling of `location`, which is the same string.
        meta.location = location.clone();
        if info.modified.is_none() {
            // No modification time (`last_modified` shows the epoch): the time conditions
            // are ignored, as HTTP says for a resource without one (RFC 9110 13.1.3-4);
            // compared with the epoch, every `if_modified_since` was `NotModified`.
            let mut untimed = options.clone();
            untimed.if_modified_since = None;
            untimed.if_unmodified_since = None;
            untimed.check_preconditions(&meta)?;
        } else {
            options.check_preconditions(&meta)?;
        }
        let range: Range<u64> = match &options.range {
            None => 0..size,
            Some(r) => r.as_range(size).map_err(generic)?,
        };
        let payload: BoxStream<'static, Result<Bytes>> = if options.head {
            futures::stream::empty().boxed()
        } else {
            let key = to_key(location)?;
            let mut ropts = pinned(self.store(), &info);
            if range != (0..size) {
                ropts = ropts.range(range.clone());
            }
            let body = self.store().read_with(key, ropts).await;
            let body = body.map_err(|e| map_object(e, location))?;
            let at = location.clone();
            let body = body.map_err(move |e| map(e, &at)).boxed();
            exact_length(body, range.end - range.start, location.clone())
        };
        Ok(GetResult {
            payload: GetResultPayload::Stream(payload),
            meta,
            range,
            attributes,
        })
    }

    /// One look of `get_ranges` (see there).
    async fn get_ranges_once(&self, location: &Path, ranges: &[Range<u64>]) -> Result<Vec<Bytes>> {
        let info = self.head_info(location).await?;
        let size = info.size;
        for r in ranges {
            GetRange::Bounded(r.clone())
                .as_range(size)
                .map_err(generic)?;
        }
        let key = to_key(location)?;
        let store = self.store().clone();
        let pin = pinned(&store, &info);
        coalesce_ranges(
            ranges,
            |r| {
                let range = r.start..r.end.min(size);
                let read = store.read_with(key.clone(), pin.clone().range(range.clone()));
                let at = location.clone();
                async move {
                    let body = read.await.map_err(|e| map_object(e, &at))?;
                    let body = body.map_err(|e| map(e, &at)).boxed();
                    let chunks: Vec<Bytes> =
                        exact_length(body, range.end - range.start, at.clone())
                            .try_collect()
                            .await?;
                    Ok::<_, object_store::Error>(chunks.concat().into())
                }
            },
            OBJECT_STORE_COALESCE_DEFAULT,
        )
        .await
    }

    async fn head_info(&self, location: &Path) -> Result<FileInfo> {
        let key = to_key(location)?;
        self.store()
            .get_file_info(key)
            .await
            .map_err(|e| map_object(e, location))
    }

    /// One `delete_many` (with `missing_ok`: a missing object is `Ok`, as on S3) over a
    /// chunk of `delete_stream`'s locations, each outcome in input order.
    async fn delete_chunk(store: AsyncStore, chunk: Vec<Result<Path>>) -> Vec<Result<Path>> {
        let mut out: Vec<Option<Result<Path>>> = Vec::with_capacity(chunk.len());
        let (mut keys, mut asked) = (Vec::new(), Vec::new());
        for (i, location) in chunk.into_iter().enumerate() {
            match location.and_then(|l| to_key(&l).map(|k| (l, k))) {
                Ok((location, key)) => {
                    keys.push(key);
                    asked.push((i, location));
                    out.push(None);
                }
                Err(e) => out.push(Some(Err(e))),
            }
        }
        let outcomes = store
            .delete_many(keys, DeleteOptions::new().missing_ok(true))
            .await;
        for ((i, location), outcome) in asked.into_iter().zip(outcomes) {
            out[i] = Some(match outcome {
                // A folder (or a path below a file): there is no object there to delete.
                Err(e) if e.kind() == ErrorKind::InvalidPath => Ok(location),
                Err(e) => Err(map(e, &location)),
                Ok(()) => Ok(location),
            });
        }
        out.into_iter()
            .map(|o| o.unwrap_or_else(|| Err(generic("the store answered no outcome"))))
            .collect()
    }

    fn list_files(
        &self,
        prefix: Option<&Path>,
        offset: Option<&Path>,
    ) -> BoxStream<'static, Result<ObjectMeta>> {
        let prefix_path = prefix.cloned().unwrap_or(Path::ROOT);
        let key = match prefix_key(prefix) {
            Ok(key) => key,
            Err(e) => return futures::stream::once(async { Err(e) }).boxed(),
        };
        let mut opts = ListOptions::subtree();
        if let Some(offset) = offset {
            // The raw path is the store key (see `paths`), so byte order is the same.
            opts = opts.start_after(offset.as_ref());
        }
        let start = key.clone();
        match self.store().list_files_with(key, opts) {
            Ok(files) => files
                .filter_map(move |item| {
                    futures::future::ready(match item {
                        Ok(info) => Some(object_meta(info)),
                        // The prefix is a file: object_store lists nothing below it. (Any
                        // other entry's error is one: dropping it made a listing look
                        // complete that was not.)
                        Err(e) if is_the_prefix(&e, &start) => None,
                        Err(e) => Some(Err(map(e, &prefix_path))),
                    })
                })
                .boxed(),
            Err(e) if e.kind() == ErrorKind::InvalidPath => futures::stream::empty().boxed(),
            Err(e) => {
                let e = map(e, &prefix_path);
                futures::stream::once(async { Err(e) }).boxed()
            }
        }
    }

    async fn transfer(&self, from: &Path, to: &Path, create: bool, rename: bool) -> Result<()> {
        let operation = if rename { "rename" } else { "copy" };
        if create && !self.atomic_transfer_create() && !self.inner.non_atomic_create {
            return Err(not_implemented(format!(
                "{operation}_if_not_exists on the {} backend (not atomic there)",
                self.store().name()
            )));
        }
        let (src, dst) = (to_key(from)?, to_key(to)?);
        let source = src.clone();
        let done = if rename {
            self.store()
                .move_file_with(src, dst, MoveOptions::new().overwrite(!create))
                .await
        } else {
            let opts = remote_store_core::CopyOptions::new().overwrite(!create);
            self.store().copy_file_with(src, dst, opts).await
        };
        done.map_err(|e| match e.kind() {
            ErrorKind::AlreadyExists => map(e, to),
            ErrorKind::NotFound => map(e, from),
            // A folder at the source: in object_store's flat namespace no object is there.
            ErrorKind::InvalidPath if e.path() == Some(source.as_str()) => map_object(e, from),
            _ => map(e, to),
        })
    }
}

/// Whether `e`, from a listing of `prefix`, says the prefix itself cannot be listed
/// (`InvalidPath` about it: it is a file), which object_store lists as empty.
fn is_the_prefix(e: &remote_store_core::Error, prefix: &str) -> bool {
    e.kind() == ErrorKind::InvalidPath && e.path().is_none_or(|p| p == prefix)
}

/// A `PutResult` for a completed write: the backend's etag from the write, or else from a
/// `head`.
pub(crate) async fn put_result(store: &AsyncStore, result: WriteResult) -> PutResult {
    // Without the backend's etag in the result, the one `get_file_info` reports (which a
    // later `PutMode::Update` or `if_match` is compared with). The write is committed
    // whatever that look says: if it fails (a concurrent delete, a transient error), the
    // put still succeeded, without an etag (an error here made a caller retry a
    // `PutMode::Create` into `AlreadyExists` against its own object).
    let e_tag = match result.etag {
        Some(etag) => Some(etag),
        None => store
            .get_file_info(result.path.as_str())
            .await
            .ok()
            .and_then(|info| etag_of(&info)),
    };
    PutResult {
        e_tag,
        version: None,
    }
}

/// An etag for backends without one: the modification time in nanoseconds and the size.
fn derived_etag(modified: SystemTime, size: u64) -> String {
    let nanos = modified
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    format!("{nanos:x}-{size:x}")
}

fn etag_of(info: &FileInfo) -> Option<String> {
    info.etag
        .clone()
        .or_else(|| info.modified.map(|m| derived_etag(m, info.size)))
}

fn object_meta(info: FileInfo) -> Result<ObjectMeta> {
    Ok(ObjectMeta {
        location: from_key(&info.path)?,
        last_modified: info
            .modified
            .map_or(DateTime::<Utc>::UNIX_EPOCH, DateTime::<Utc>::from),
        size: info.size,
        e_tag: etag_of(&info),
        // Reads by version are not supported, so no version is advertised.
        version: None,
    })
}

/// The read options that hold a read to the version `info` describes (whose metadata
/// the caller gets, and against which its conditions were checked): `if_match` its etag,
/// where the backend has one and evaluates the condition with the read itself; else none
/// (a condition the backend only emulates would cost a second `head`, and the length
/// check of [`exact_length`] still catches a replacement that changed the size). The
/// caller's own conditions are never forwarded: object_store accepts a list of etags and
/// the derived etag of a backend without one, which a backend would compare as one
/// literal etag.
fn pinned(store: &AsyncStore, info: &FileInfo) -> ReadOptions {
    match &info.etag {
        Some(etag) if store.capabilities().supports(Capability::ConditionalRead) => {
            ReadOptions::new().if_match(etag.clone())
        }
        _ => ReadOptions::new(),
    }
}

/// `body` as it is, but ending in an error when it delivers other than `expected` bytes:
/// the object was replaced between the `head` whose metadata (size, range) the caller got
/// and the read, and a silent short or long body would hand a Parquet reader another
/// version's bytes under this one's metadata.
fn exact_length<'a>(
    body: BoxStream<'a, Result<Bytes>>,
    expected: u64,
    location: Path,
) -> BoxStream<'a, Result<Bytes>> {
    let wrong = move |got: u64, location: &Path| {
        generic(format!(
            "{location} changed while being read: its body had {} {got} bytes where {expected} \
             were expected (read it again)",
            if got < expected { "only" } else { "at least" },
        ))
    };
    futures::stream::unfold((body, 0u64, false), move |(mut body, seen, done)| {
        let location = location.clone();
        async move {
            if done {
                return None;
            }
            match body.next().await {
                Some(Ok(chunk)) => {
                    let seen = seen + chunk.len() as u64;
                    if seen > expected {
                        Some((Err(wrong(seen, &location)), (body, seen, true)))
                    } else {
                        Some((Ok(chunk), (body, seen, false)))
                    }
                }
                Some(Err(e)) => Some((Err(e), (body, seen, true))),
                None if seen < expected => Some((Err(wrong(seen, &location)), (body, seen, true))),
                None => None,
            }
        }
    })
    // (Polled again after its end by some consumers: it stays ended.)
    .fuse()
    .boxed()
}

fn attributes_of(info: &FileInfo) -> Attributes {
    let mut attributes = Attributes::new();
    if let Some(ct) = &info.content_type {
        attributes.insert(Attribute::ContentType, AttributeValue::from(ct.clone()));
    }
    if let Some(metadata) = &info.metadata {
        for (k, v) in metadata.iter() {
            attributes.insert(
                Attribute::Metadata(k.to_owned().into()),
                AttributeValue::from(v.to_owned()),
            );
        }
    }
    attributes
}

impl fmt::Debug for ObjectStoreAdapter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ObjectStoreAdapter")
            .field("store", &self.inner.store)
            .field("non_atomic_create", &self.inner.non_atomic_create)
            .finish()
    }
}

impl fmt::Display for ObjectStoreAdapter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "ObjectStoreAdapter({}:{})",
            self.inner.store.name(),
            self.inner.store.root()
        )
    }
}

#[async_trait]
impl ObjectStore for ObjectStoreAdapter {
    async fn put_opts(
        &self,
        location: &Path,
        payload: PutPayload,
        opts: PutOptions,
    ) -> Result<PutResult> {
        let key = to_key(location)?;
        let wopts = self.write_options(&opts.attributes, &opts.tags, "put_opts")?;
        let wopts = match opts.mode {
            PutMode::Overwrite => wopts.overwrite(true),
            PutMode::Create => {
                if !self.atomic_create() && !self.inner.non_atomic_create {
                    return Err(not_implemented(format!(
                        "put_opts with PutMode::Create on the {} backend (not atomic there)",
                        self.store().name()
                    )));
                }
                wopts.overwrite(false)
            }
            PutMode::Update(version) => {
                if !self.atomic_update() {
                    return Err(not_implemented(format!(
                        "put_opts with PutMode::Update on the {} backend (not atomic there)",
                        self.store().name()
                    )));
                }
                let Some(e_tag) = version.e_tag else {
                    return Err(not_implemented(
                        "put_opts with PutMode::Update by version (without an e_tag)",
                    ));
                };
                wopts.if_match(e_tag)
            }
        };
        let chunks: Vec<std::io::Result<Bytes>> = payload.into_iter().map(Ok).collect();
        let content = AsyncContent::chunks(futures::stream::iter(chunks));
        let result = self
            .store()
            .write_atomic_with(key, content, wopts)
            .await
            .map_err(|e| map(e, location))?;
        Ok(put_result(self.store(), result).await)
    }

    async fn put_multipart_opts(
        &self,
        location: &Path,
        opts: PutMultipartOptions,
    ) -> Result<Box<dyn MultipartUpload>> {
        let key = to_key(location)?;
        let wopts = self
            .write_options(&opts.attributes, &opts.tags, "put_multipart_opts")?
            .overwrite(true);
        let upload = StoreUpload::start(self.store(), location.clone(), key, wopts)?;
        Ok(Box::new(upload))
    }

    async fn get_opts(&self, location: &Path, options: GetOptions) -> Result<GetResult> {
        if options.version.is_some() {
            return Err(not_implemented("get_opts with a version"));
        }
        looking_again(|| self.get_once(location, &options)).await
    }

    /// One `get_file_info` for the whole batch (not one per range, as the default's
    /// `get_range` calls would do), then the ranges coalesced the way object_store's default
    /// does and read held to that version; looked at again, as `get_opts` does, when the
    /// object was replaced in between.
    async fn get_ranges(&self, location: &Path, ranges: &[Range<u64>]) -> Result<Vec<Bytes>> {
        if ranges.is_empty() {
            return Ok(Vec::new());
        }
        looking_again(|| self.get_ranges_once(location, ranges)).await
    }

    fn delete_stream(
        &self,
        locations: BoxStream<'static, Result<Path>>,
    ) -> BoxStream<'static, Result<Path>> {
        let store = self.store().clone();
        locations
            .ready_chunks(MAX_DELETE_BATCH)
            .map(move |chunk| Self::delete_chunk(store.clone(), chunk))
            .buffered(DELETE_CHUNKS_IN_FLIGHT)
            .flat_map(futures::stream::iter)
            .boxed()
    }

    fn list(&self, prefix: Option<&Path>) -> BoxStream<'static, Result<ObjectMeta>> {
        self.list_files(prefix, None)
    }

    fn list_with_offset(
        &self,
        prefix: Option<&Path>,
        offset: &Path,
    ) -> BoxStream<'static, Result<ObjectMeta>> {
        self.list_files(prefix, Some(offset))
    }

    async fn list_with_delimiter(&self, prefix: Option<&Path>) -> Result<ListResult> {
        let prefix_path = prefix.cloned().unwrap_or(Path::ROOT);
        let key = prefix_key(prefix)?;
        let mut result = ListResult {
            common_prefixes: Vec::new(),
            objects: Vec::new(),
        };
        let mut children = match self.store().iter_children(key.clone()) {
            Ok(children) => children,
            Err(e) if e.kind() == ErrorKind::InvalidPath => return Ok(result),
            Err(e) => return Err(map(e, &prefix_path)),
        };
        while let Some(entry) = children.next().await {
            match entry {
                Ok(Entry::File(info)) => result.objects.push(object_meta(info)?),
                Ok(Entry::Folder(folder)) => result.common_prefixes.push(from_key(&folder.path)?),
                // The prefix is a file (any other entry's error is one, as in `list`).
                Err(e) if is_the_prefix(&e, &key) => {
                    return Ok(ListResult {
                        common_prefixes: Vec::new(),
                        objects: Vec::new(),
                    });
                }
                Err(e) => return Err(map(e, &prefix_path)),
            }
        }
        result.common_prefixes.sort_unstable();
        result
            .objects
            .sort_unstable_by(|a, b| a.location.cmp(&b.location));
        Ok(result)
    }

    async fn copy_opts(
        &self,
        from: &Path,
        to: &Path,
        options: object_store::CopyOptions,
    ) -> Result<()> {
        let create = matches!(options.mode, CopyMode::Create);
        self.transfer(from, to, create, false).await
    }

    async fn rename_opts(&self, from: &Path, to: &Path, options: RenameOptions) -> Result<()> {
        let create = matches!(options.target_mode, RenameTargetMode::Create);
        self.transfer(from, to, create, true).await
    }
}
