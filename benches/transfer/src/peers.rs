//! The peers: OpenDAL and object_store doing the same transfers as `remote-store-transfer`,
//! each with its own facilities for concurrency and big objects, at the same number of
//! files in flight.
//!
//! - Small files (at most [`PART`]) are read whole and written with one call
//!   (`Operator::write`, `ObjectStore::put`); bigger files stream through the library's
//!   multipart writer (OpenDAL `writer_with(..).chunk(PART).concurrent(PARTS)`,
//!   object_store `WriteMultipart` with [`PART`] chunks and [`PARTS`] in flight), fed
//!   with 1 MiB reads from the local file, as a careful user would write it.
//! - Downloads list the prefix recursively, then stream each object into a file
//!   (OpenDAL `reader_with(..).chunk(PART).concurrent(PARTS)`, object_store `get` stream).
//! - Store-to-store copies stream each object from the source into the destination's
//!   writer, the same way.

use std::path::Path;
use std::sync::Arc;

use bytes::Bytes;
use futures::{StreamExt, TryStreamExt};
use object_store::path::Path as OsPath;
use object_store::{ObjectStore, ObjectStoreExt, WriteMultipart};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// The part size the peers use (the same as our S3 backend's default part size).
pub const PART: usize = 8 << 20;
/// Parts in flight per big object.
pub const PARTS: usize = 4;
const READ: usize = 1 << 20;

/// One peer client.
#[derive(Clone)]
pub enum Peer {
    /// Apache OpenDAL.
    OpenDal(opendal::Operator),
    /// arrow's object_store.
    ObjectStore(Arc<dyn ObjectStore>),
}

impl Peer {
    /// OpenDAL's S3 service on `bucket`.
    pub fn opendal_s3(endpoint: &str, bucket: &str, ak: &str, sk: &str) -> Peer {
        let b = opendal::services::S3::default()
            .bucket(bucket)
            .endpoint(endpoint)
            .region("us-east-1")
            .access_key_id(ak)
            .secret_access_key(sk);
        Peer::OpenDal(opendal::Operator::new(b).unwrap())
    }

    /// object_store's S3 store on `bucket` (unsigned payloads, as every client here).
    pub fn object_store_s3(endpoint: &str, bucket: &str, ak: &str, sk: &str) -> Peer {
        Peer::ObjectStore(Arc::new(
            object_store::aws::AmazonS3Builder::new()
                .with_bucket_name(bucket)
                .with_region("us-east-1")
                .with_endpoint(endpoint)
                .with_allow_http(true)
                .with_virtual_hosted_style_request(false)
                .with_access_key_id(ak)
                .with_secret_access_key(sk)
                .with_unsigned_payload(true)
                .build()
                .unwrap(),
        ))
    }

    /// OpenDAL's Azure Blob service on `container`.
    pub fn opendal_azure(endpoint: &str, container: &str, account: &str, key: &str) -> Peer {
        let b = opendal::services::Azblob::default()
            .root("/")
            .container(container)
            .endpoint(endpoint)
            .account_name(account)
            .account_key(key);
        Peer::OpenDal(opendal::Operator::new(b).unwrap())
    }

    /// object_store's Azure store on `container`.
    pub fn object_store_azure(endpoint: &str, container: &str, account: &str, key: &str) -> Peer {
        Peer::ObjectStore(Arc::new(
            object_store::azure::MicrosoftAzureBuilder::new()
                .with_account(account)
                .with_access_key(key)
                .with_container_name(container)
                .with_endpoint(endpoint.to_owned())
                .with_allow_http(true)
                .build()
                .unwrap(),
        ))
    }

    /// Every object under `prefix` (no trailing slash), recursively, with its size.
    async fn keys(&self, prefix: &str) -> Vec<(String, u64)> {
        match self {
            Peer::OpenDal(op) => {
                let lister = op
                    .lister_with(&format!("{prefix}/"))
                    .recursive(true)
                    .await
                    .unwrap();
                lister
                    .try_filter_map(|e| async move {
                        let m = e.metadata();
                        Ok(m.is_file()
                            .then(|| (e.path().to_owned(), m.content_length())))
                    })
                    .try_collect()
                    .await
                    .unwrap()
            }
            Peer::ObjectStore(s) => s
                .list(Some(&OsPath::from(prefix)))
                .map_ok(|m| (m.location.to_string(), m.size))
                .try_collect()
                .await
                .unwrap(),
        }
    }

    /// Writes `len` bytes from `source` to `key`: one call when it fits a part, else the
    /// library's multipart writer.
    async fn put_from(&self, key: &str, mut source: impl Source, len: u64) {
        if len <= PART as u64 {
            let body = source.all().await;
            match self {
                Peer::OpenDal(op) => drop(op.write(key, body).await.unwrap()),
                Peer::ObjectStore(s) => drop(s.put(&OsPath::from(key), body.into()).await.unwrap()),
            }
            return;
        }
        match self {
            Peer::OpenDal(op) => {
                let mut w = op
                    .writer_with(key)
                    .chunk(PART)
                    .concurrent(PARTS)
                    .await
                    .unwrap();
                while let Some(chunk) = source.next().await {
                    w.write(chunk).await.unwrap();
                }
                w.close().await.unwrap();
            }
            Peer::ObjectStore(s) => {
                let upload = s.put_multipart(&OsPath::from(key)).await.unwrap();
                let mut w = WriteMultipart::new_with_chunk_size(upload, PART);
                while let Some(chunk) = source.next().await {
                    w.wait_for_capacity(PARTS).await.unwrap();
                    w.put(chunk);
                }
                w.finish().await.unwrap();
            }
        }
    }

    /// Streams `key` into `sink`.
    async fn get_into(&self, key: &str, sink: &mut impl Sink) {
        match self {
            Peer::OpenDal(op) => {
                let reader = op
                    .reader_with(key)
                    .chunk(PART)
                    .concurrent(PARTS)
                    .await
                    .unwrap();
                let mut body = reader.into_bytes_stream(..).await.unwrap();
                while let Some(chunk) = body.next().await {
                    sink.put(chunk.unwrap()).await;
                }
            }
            Peer::ObjectStore(s) => {
                let mut body = s.get(&OsPath::from(key)).await.unwrap().into_stream();
                while let Some(chunk) = body.next().await {
                    sink.put(chunk.unwrap()).await;
                }
            }
        }
        sink.done().await;
    }
}

/// Where a put reads from.
trait Source {
    /// The next chunk, `None` at the end.
    async fn next(&mut self) -> Option<Bytes>;
    /// Everything left, as one buffer.
    async fn all(&mut self) -> Bytes {
        let mut out = Vec::new();
        while let Some(c) = self.next().await {
            out.extend_from_slice(&c);
        }
        Bytes::from(out)
    }
}

/// Where a get writes to.
trait Sink {
    async fn put(&mut self, chunk: Bytes);
    async fn done(&mut self) {}
}

struct FileSource(tokio::fs::File);

impl Source for FileSource {
    async fn next(&mut self) -> Option<Bytes> {
        let mut buf = vec![0u8; READ];
        let mut filled = 0;
        while filled < READ {
            let n = self.0.read(&mut buf[filled..]).await.unwrap();
            if n == 0 {
                break;
            }
            filled += n;
        }
        buf.truncate(filled);
        (filled > 0).then(|| Bytes::from(buf))
    }
}

struct FileSink(tokio::fs::File);

impl Sink for FileSink {
    async fn put(&mut self, chunk: Bytes) {
        self.0.write_all(&chunk).await.unwrap();
    }
    async fn done(&mut self) {
        self.0.flush().await.unwrap();
    }
}

/// A get feeding a put: a bounded channel of chunks between the two halves.
struct ChannelSource(futures::channel::mpsc::Receiver<Bytes>);

impl Source for ChannelSource {
    async fn next(&mut self) -> Option<Bytes> {
        self.0.next().await
    }
}

struct ChannelSink(futures::channel::mpsc::Sender<Bytes>);

impl Sink for ChannelSink {
    async fn put(&mut self, chunk: Bytes) {
        use futures::SinkExt;
        self.0.send(chunk).await.unwrap();
    }
    async fn done(&mut self) {
        self.0.close_channel();
    }
}

/// Uploads every file under `local` to `dst/<relative path>`, `n` files at a time.
pub async fn upload(peer: &Peer, local: &Path, dst: &str, n: usize) {
    futures::stream::iter(crate::walk(local))
        .map(|rel| async move {
            let file = tokio::fs::File::open(local.join(&rel)).await.unwrap();
            let len = file.metadata().await.unwrap().len();
            peer.put_from(&format!("{dst}/{rel}"), FileSource(file), len)
                .await;
        })
        .buffer_unordered(n)
        .collect::<()>()
        .await;
}

/// Downloads every object under `src` into `local`, `n` at a time.
pub async fn download(peer: &Peer, src: &str, local: &Path, n: usize) {
    let keys = peer.keys(src).await;
    futures::stream::iter(keys)
        .map(|(key, _)| async move {
            let rel = key.strip_prefix(src).unwrap().trim_start_matches('/');
            let target = local.join(rel);
            tokio::fs::create_dir_all(target.parent().unwrap())
                .await
                .unwrap();
            let file = tokio::fs::File::create(&target).await.unwrap();
            peer.get_into(&key, &mut FileSink(file)).await;
        })
        .buffer_unordered(n)
        .collect::<()>()
        .await;
}

/// Copies every object under `from` on `src` to `to` on `dst`, `n` at a time, streaming.
pub async fn copy(src: &Peer, from: &str, dst: &Peer, to: &str, n: usize) {
    let keys = src.keys(from).await;
    futures::stream::iter(keys)
        .map(|(key, len)| async move {
            let rel = key.strip_prefix(from).unwrap().trim_start_matches('/');
            let (tx, rx) = futures::channel::mpsc::channel(4);
            let get = async {
                let mut sink = ChannelSink(tx);
                src.get_into(&key, &mut sink).await;
            };
            let target = format!("{to}/{rel}");
            let put = dst.put_from(&target, ChannelSource(rx), len);
            futures::join!(get, put);
        })
        .buffer_unordered(n)
        .collect::<()>()
        .await;
}

/// Deletes everything under `prefix` (between runs).
pub async fn clear(peer: &Peer, prefix: &str) {
    match peer {
        Peer::OpenDal(op) => op
            .delete_with(&format!("{prefix}/"))
            .recursive(true)
            .await
            .unwrap(),
        Peer::ObjectStore(s) => {
            // One delete per key, 16 at a time: cleaning up is not what is measured, and
            // Azurite resets the connection of a large blob-batch request.
            let keys: Vec<OsPath> = s
                .list(Some(&OsPath::from(prefix)))
                .map_ok(|m| m.location)
                .try_collect()
                .await
                .unwrap();
            futures::stream::iter(keys)
                .map(|key| async move { s.delete(&key).await.unwrap() })
                .buffer_unordered(16)
                .collect::<()>()
                .await;
        }
    }
}
