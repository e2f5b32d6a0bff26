//! [`SyncBackendAdapter`]: any blocking `Backend` as an [`AsyncBackend`].

use std::any::Any;
use std::fmt;
use std::io::{self, Read};
use std::ops::Range;
use std::sync::Arc;

use async_trait::async_trait;
use bytes::Bytes;
use futures::stream::{self, BoxStream, StreamExt};
use remote_store_core::{
    CapabilitySet, CopyOptions, DeleteFolderOptions, DeleteOptions, Entry, Error, FileInfo,
    FolderEntry, FolderInfo, GlobPattern, ListOptions, MoveOptions, ReadOptions, RemotePath,
    Result, WriteMode, WriteOptions, WriteResult,
};
use remote_store_sync::{Backend, Content, Reader};
use tokio::sync::mpsc;

use crate::{AsyncBackend, AsyncContent, ByteStream, EntryStream, FileStream, FolderStream};

/// Size of the chunks a read stream pulls from the blocking reader.
const READ_CHUNK: usize = 256 * 1024;
/// Listing items pulled per trip to the blocking pool.
const LIST_BATCH: usize = 256;
/// Chunks of a streamed write in flight between the caller and the blocking writer.
const WRITE_QUEUE: usize = 4;

/// Wraps any blocking [`Backend`] as an [`AsyncBackend`]: every call runs on tokio's
/// blocking pool (`spawn_blocking`), so async callers never block a worker thread.
///
/// Reads are pulled in 256 KiB chunks, listings in batches of 256 items, and streamed
/// writes are fed to the blocking side through a bounded channel, so memory stays bounded
/// whatever the size. Needs a tokio runtime; called outside one it returns
/// `BackendUnavailable` instead of panicking.
///
/// ```
/// use remote_store_async::{AsyncStore, SyncBackendAdapter};
/// use remote_store_sync::Backend;
///
/// fn async_store(backend: impl Backend) -> remote_store_core::Result<AsyncStore> {
///     AsyncStore::new(SyncBackendAdapter::new(backend), "")
///     // or, equivalently: AsyncStore::from_blocking(backend, "")
/// }
/// ```
pub struct SyncBackendAdapter<B> {
    inner: Arc<B>,
}

impl<B: Backend> SyncBackendAdapter<B> {
    /// Wraps `backend`.
    pub fn new(backend: B) -> Self {
        Self::from_arc(Arc::new(backend))
    }

    /// Wraps a shared backend.
    pub fn from_arc(backend: Arc<B>) -> Self {
        SyncBackendAdapter { inner: backend }
    }

    /// The wrapped backend.
    pub fn inner(&self) -> &B {
        &self.inner
    }

    async fn run<T, F>(&self, f: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce(&B) -> Result<T> + Send + 'static,
    {
        let backend = Arc::clone(&self.inner);
        blocking(move || f(&backend)).await
    }

    async fn write_streamed(
        &self,
        path: &RemotePath,
        content: AsyncContent<'_>,
        mode: WriteMode,
        opts: &WriteOptions,
    ) -> Result<WriteResult> {
        let (path, opts) = (path.clone(), opts.clone());
        let call = move |b: &B, content: Content<'_>| b.write(&path, content, mode, &opts);
        let chunks = match content {
            AsyncContent::Bytes(bytes) => {
                return self.run(move |b| call(b, Content::Bytes(bytes))).await;
            }
            AsyncContent::Stream(chunks) => chunks,
        };
        let (tx, rx) = mpsc::channel(WRITE_QUEUE);
        let task = self.run(move |b| call(b, Content::reader(ChannelReader::new(rx))));
        let (_, result) = futures::join!(pump(chunks, tx), task);
        result
    }
}

/// Feeds the caller's chunks to the blocking writer; ends with an explicit end marker so a
/// dropped (cancelled) write is seen as an error, never as a short but complete file.
async fn pump(mut chunks: BoxStream<'_, io::Result<Bytes>>, tx: mpsc::Sender<Msg>) {
    while let Some(chunk) = chunks.next().await {
        let failed = chunk.is_err();
        if tx.send(Msg::Chunk(chunk)).await.is_err() || failed {
            return;
        }
    }
    let _ = tx.send(Msg::End).await;
}

enum Msg {
    Chunk(io::Result<Bytes>),
    End,
}

struct ChannelReader {
    rx: mpsc::Receiver<Msg>,
    current: Bytes,
    done: bool,
}

impl ChannelReader {
    fn new(rx: mpsc::Receiver<Msg>) -> Self {
        ChannelReader {
            rx,
            current: Bytes::new(),
            done: false,
        }
    }
}

impl Read for ChannelReader {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        while self.current.is_empty() {
            if self.done {
                return Ok(0);
            }
            match self.rx.blocking_recv() {
                Some(Msg::Chunk(chunk)) => self.current = chunk?,
                Some(Msg::End) => self.done = true,
                None => {
                    return Err(io::Error::new(
                        io::ErrorKind::UnexpectedEof,
                        "the write was cancelled before its content ended",
                    ));
                }
            }
        }
        let n = buf.len().min(self.current.len());
        buf[..n].copy_from_slice(&self.current.split_to(n));
        Ok(n)
    }
}

/// Runs `f` on tokio's blocking pool.
async fn blocking<T, F>(f: F) -> Result<T>
where
    T: Send + 'static,
    F: FnOnce() -> Result<T> + Send + 'static,
{
    let handle = tokio::runtime::Handle::try_current().map_err(|e| {
        Error::unavailable("SyncBackendAdapter needs a tokio runtime").with_source(e)
    })?;
    match handle.spawn_blocking(f).await {
        Ok(result) => result,
        Err(e) if e.is_panic() => std::panic::resume_unwind(e.into_panic()),
        Err(e) => Err(Error::unavailable("the blocking task was cancelled").with_source(e)),
    }
}

/// A read stream that pulls the blocking reader one chunk at a time on the blocking pool.
fn reader_stream(reader: Reader) -> ByteStream {
    ByteStream::new(stream::try_unfold(Some(reader), |state| async move {
        let Some(mut reader) = state else {
            return Ok(None);
        };
        let (reader, chunk) = blocking(move || {
            let mut buf = vec![0u8; READ_CHUNK];
            let n = loop {
                match reader.read(&mut buf) {
                    Ok(n) => break n,
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                    Err(e) => return Err(Error::from_io(e)),
                }
            };
            let chunk = if n < READ_CHUNK / 4 {
                Bytes::copy_from_slice(&buf[..n])
            } else {
                buf.truncate(n);
                Bytes::from(buf)
            };
            Ok((reader, chunk))
        })
        .await?;
        Ok((!chunk.is_empty()).then(|| (chunk, Some(reader))))
    }))
}

type BoxIter<T> = Box<dyn Iterator<Item = Result<T>> + Send>;

/// A listing stream: the first poll asks the blocking backend for its iterator, then items
/// are pulled in batches on the blocking pool.
fn iter_stream<T, F>(open: F) -> BoxStream<'static, Result<T>>
where
    T: Send + 'static,
    F: FnOnce() -> BoxIter<T> + Send + 'static,
{
    enum State<T, F> {
        Unopened(F),
        Open(BoxIter<T>),
        Done,
    }
    stream::unfold(State::Unopened(open), |state| async move {
        let mut iter = match state {
            State::Unopened(open) => Box::new(open()) as BoxIter<T>,
            State::Open(iter) => iter,
            State::Done => return None,
        };
        let batch = blocking(move || {
            let batch: Vec<Result<T>> = iter.by_ref().take(LIST_BATCH).collect();
            Ok((iter, batch))
        })
        .await;
        match batch {
            Ok((_, batch)) if batch.is_empty() => None,
            Ok((iter, batch)) => Some((stream::iter(batch), State::Open(iter))),
            Err(e) => Some((stream::iter(vec![Err(e)]), State::Done)),
        }
    })
    .flatten()
    .boxed()
}

#[async_trait]
#[warn(clippy::missing_trait_methods)]
impl<B: Backend> AsyncBackend for SyncBackendAdapter<B> {
    fn name(&self) -> &'static str {
        self.inner.name()
    }

    fn capabilities(&self) -> CapabilitySet {
        self.inner.capabilities()
    }

    fn is_closed(&self) -> bool {
        self.inner.is_closed()
    }

    async fn exists(&self, path: &RemotePath) -> Result<bool> {
        let path = path.clone();
        self.run(move |b| b.exists(&path)).await
    }

    async fn is_file(&self, path: &RemotePath) -> Result<bool> {
        let path = path.clone();
        self.run(move |b| b.is_file(&path)).await
    }

    async fn is_folder(&self, path: &RemotePath) -> Result<bool> {
        let path = path.clone();
        self.run(move |b| b.is_folder(&path)).await
    }

    async fn read(&self, path: &RemotePath) -> Result<ByteStream> {
        let path = path.clone();
        self.run(move |b| b.read(&path)).await.map(reader_stream)
    }

    async fn read_bytes(&self, path: &RemotePath) -> Result<Bytes> {
        let path = path.clone();
        self.run(move |b| b.read_bytes(&path)).await
    }

    async fn read_range(&self, path: &RemotePath, range: Range<u64>) -> Result<ByteStream> {
        let path = path.clone();
        self.run(move |b| b.read_range(&path, range))
            .await
            .map(reader_stream)
    }

    async fn read_with(&self, path: &RemotePath, opts: &ReadOptions) -> Result<ByteStream> {
        let path = path.clone();
        let opts = opts.clone();
        self.run(move |b| b.read_with(&path, &opts))
            .await
            .map(reader_stream)
    }

    async fn read_versioned(
        &self,
        path: &RemotePath,
        range: Option<Range<u64>>,
    ) -> Result<(ByteStream, Option<remote_store_core::ObjectVersion>)> {
        let path = path.clone();
        self.run(move |b| b.read_versioned(&path, range))
            .await
            .map(|(body, version)| (reader_stream(body), version))
    }

    async fn write(
        &self,
        path: &RemotePath,
        content: AsyncContent<'_>,
        mode: WriteMode,
        opts: &WriteOptions,
    ) -> Result<WriteResult> {
        self.write_streamed(path, content, mode, opts).await
    }

    async fn delete(&self, path: &RemotePath, opts: &DeleteOptions) -> Result<()> {
        let (path, opts) = (path.clone(), *opts);
        self.run(move |b| b.delete(&path, &opts)).await
    }

    async fn delete_many(&self, paths: &[RemotePath], opts: &DeleteOptions) -> Vec<Result<()>> {
        let (owned, opts) = (paths.to_vec(), *opts);
        self.run(move |b| Ok(b.delete_many(&owned, &opts)))
            .await
            .unwrap_or_else(|e| remote_store_core::bulk::fan_out(e, paths))
    }

    async fn delete_folder(&self, path: &RemotePath, opts: &DeleteFolderOptions) -> Result<()> {
        let (path, opts) = (path.clone(), *opts);
        self.run(move |b| b.delete_folder(&path, &opts)).await
    }

    fn list_files(&self, path: &RemotePath, opts: &ListOptions) -> FileStream {
        let (b, path, opts) = (Arc::clone(&self.inner), path.clone(), opts.clone());
        iter_stream::<FileInfo, _>(move || b.list_files(&path, &opts))
    }

    fn list_folders(&self, path: &RemotePath) -> FolderStream {
        let (b, path) = (Arc::clone(&self.inner), path.clone());
        iter_stream::<FolderEntry, _>(move || b.list_folders(&path))
    }

    fn iter_children(&self, path: &RemotePath) -> EntryStream {
        let (b, path) = (Arc::clone(&self.inner), path.clone());
        iter_stream::<Entry, _>(move || b.iter_children(&path))
    }

    fn glob(&self, pattern: &GlobPattern) -> FileStream {
        let (b, pattern) = (Arc::clone(&self.inner), pattern.clone());
        iter_stream::<FileInfo, _>(move || b.glob(&pattern))
    }

    async fn get_file_info(&self, path: &RemotePath) -> Result<FileInfo> {
        let path = path.clone();
        self.run(move |b| b.get_file_info(&path)).await
    }

    async fn get_folder_info(&self, path: &RemotePath) -> Result<FolderInfo> {
        let path = path.clone();
        self.run(move |b| b.get_folder_info(&path)).await
    }

    async fn copy_file(
        &self,
        src: &RemotePath,
        dst: &RemotePath,
        opts: &CopyOptions,
    ) -> Result<()> {
        let (src, dst, opts) = (src.clone(), dst.clone(), *opts);
        self.run(move |b| b.copy_file(&src, &dst, &opts)).await
    }

    async fn move_file(
        &self,
        src: &RemotePath,
        dst: &RemotePath,
        opts: &MoveOptions,
    ) -> Result<()> {
        let (src, dst, opts) = (src.clone(), dst.clone(), *opts);
        self.run(move |b| b.move_file(&src, &dst, &opts)).await
    }

    async fn ping(&self) -> Result<()> {
        self.run(|b| b.ping()).await
    }

    fn native_path(&self, key: &RemotePath) -> Result<String> {
        self.inner.native_path(key)
    }

    fn to_key(&self, native: &str) -> Result<RemotePath> {
        self.inner.to_key(native)
    }

    fn native_client(&self) -> Option<&(dyn Any + Send + Sync)> {
        self.inner.native_client()
    }

    async fn close(&self) -> Result<()> {
        self.run(|b| b.close()).await
    }
}

impl<B: fmt::Debug> fmt::Debug for SyncBackendAdapter<B> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("SyncBackendAdapter")
            .field(&self.inner)
            .finish()
    }
}
