//! `AsyncBackend` for [`ConcurrencyLimit`]: the async half, over tokio's semaphore.
//! Mirrors `sync.rs` method for method.

use std::any::Any;
use std::ops::Range;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use async_trait::async_trait;
use bytes::Bytes;
use futures::stream::{BoxStream, Stream, StreamExt};
use remote_store_async::{
    AsyncBackend, AsyncContent, ByteStream, EntryStream, FileStream, FolderStream,
};
use remote_store_core::{
    CapabilitySet, CopyOptions, DeleteFolderOptions, DeleteOptions, Error, FileInfo, FolderInfo,
    GlobPattern, ListOptions, MoveOptions, ObjectVersion, ReadOptions, RemotePath, Result,
    WriteMode, WriteOptions, WriteResult,
};
use tokio::sync::{OwnedSemaphorePermit, Semaphore, SemaphorePermit, TryAcquireError};

use super::ConcurrencyLimit;

/// Waits for a permit. The semaphore is never closed, so this only fails if it were.
/// A free permit is taken without building a wait (`try_acquire_owned`); a taken permit
/// never barges ahead of queued waiters, as tokio hands released permits to them first.
async fn acquire(semaphore: &Arc<Semaphore>) -> Result<OwnedSemaphorePermit> {
    match Arc::clone(semaphore).try_acquire_owned() {
        Ok(permit) => Ok(permit),
        Err(TryAcquireError::Closed) => Err(Error::closed()),
        // The wait is boxed: only a caller that waits pays for it, and the future of
        // every call stays small.
        Err(TryAcquireError::NoPermits) => Box::pin(Arc::clone(semaphore).acquire_owned())
            .await
            .map_err(|_| Error::closed()),
    }
}

/// A permit for a call that returns no stream: borrowed from the semaphore (no `Arc`
/// clone), taken without a wait when one is free.
async fn acquire_for_call(semaphore: &Semaphore) -> Result<SemaphorePermit<'_>> {
    match semaphore.try_acquire() {
        Ok(permit) => Ok(permit),
        Err(TryAcquireError::Closed) => Err(Error::closed()),
        Err(TryAcquireError::NoPermits) => Box::pin(semaphore.acquire())
            .await
            .map_err(|_| Error::closed()),
    }
}

impl<B: AsyncBackend> ConcurrencyLimit<B> {
    /// Opens a byte stream holding a permit until it ends or is dropped.
    async fn gated_stream_async(
        &self,
        fut: impl Future<Output = Result<ByteStream>>,
    ) -> Result<ByteStream> {
        let permit = match Arc::clone(&self.semaphore).try_acquire_owned() {
            Ok(permit) => permit,
            Err(_) => Box::pin(acquire(&self.semaphore)).await?,
        };
        let inner = fut.await?;
        Ok(ByteStream::new(Held {
            inner,
            permit: Some(permit),
            release_on_error: true,
        }))
    }

    /// Opens a listing that takes its permit on first poll and keeps it until its end.
    fn gated_list_async<T: Send + 'static>(
        &self,
        f: impl FnOnce(&B) -> BoxStream<'static, Result<T>>,
    ) -> BoxStream<'static, Result<T>> {
        // Listings are lazy: the permit is awaited on the first poll, then held.
        let inner = f(&self.inner);
        let semaphore = Arc::clone(&self.semaphore);
        futures::stream::once(async move {
            match acquire(&semaphore).await {
                // A listing may go on past an entry's error: it keeps its permit until it
                // ends or is dropped, as in the blocking half.
                Ok(permit) => Held {
                    inner,
                    permit: Some(permit),
                    release_on_error: false,
                }
                .boxed(),
                Err(e) => futures::stream::iter([Err(e)]).boxed(),
            }
        })
        .flatten()
        .boxed()
    }
}

/// Runs `$call` (an expression on `$b`, the inner backend) holding a permit. A free
/// permit is taken in place; only a caller that finds none builds (and boxes) a wait.
macro_rules! gated {
    ($self:ident, |$b:ident| $call:expr) => {{
        let _permit = match $self.semaphore.try_acquire() {
            Ok(permit) => permit,
            Err(_) => Box::pin(acquire_for_call(&$self.semaphore)).await?,
        };
        let $b = &$self.inner;
        $call.await
    }};
}

#[deny(clippy::missing_trait_methods)]
#[async_trait]
impl<B: AsyncBackend> AsyncBackend for ConcurrencyLimit<B> {
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
        gated!(self, |b| b.exists(path))
    }

    async fn is_file(&self, path: &RemotePath) -> Result<bool> {
        gated!(self, |b| b.is_file(path))
    }

    async fn is_folder(&self, path: &RemotePath) -> Result<bool> {
        gated!(self, |b| b.is_folder(path))
    }

    async fn read(&self, path: &RemotePath) -> Result<ByteStream> {
        self.gated_stream_async(self.inner.read(path)).await
    }

    async fn read_bytes(&self, path: &RemotePath) -> Result<Bytes> {
        gated!(self, |b| b.read_bytes(path))
    }

    async fn read_range(&self, path: &RemotePath, range: Range<u64>) -> Result<ByteStream> {
        self.gated_stream_async(self.inner.read_range(path, range))
            .await
    }

    async fn read_versioned(
        &self,
        path: &RemotePath,
        range: Option<Range<u64>>,
    ) -> Result<(ByteStream, Option<ObjectVersion>)> {
        let mut version = None;
        let open = async {
            let (body, v) = self.inner.read_versioned(path, range).await?;
            version = v;
            Ok(body)
        };
        let body = self.gated_stream_async(open).await?;
        Ok((body, version))
    }

    async fn read_with(&self, path: &RemotePath, opts: &ReadOptions) -> Result<ByteStream> {
        self.gated_stream_async(self.inner.read_with(path, opts))
            .await
    }

    async fn write(
        &self,
        path: &RemotePath,
        content: AsyncContent<'_>,
        mode: WriteMode,
        opts: &WriteOptions,
    ) -> Result<WriteResult> {
        gated!(self, |b| b.write(path, content, mode, opts))
    }

    async fn delete(&self, path: &RemotePath, opts: &DeleteOptions) -> Result<()> {
        gated!(self, |b| b.delete(path, opts))
    }

    async fn delete_many(&self, paths: &[RemotePath], opts: &DeleteOptions) -> Vec<Result<()>> {
        match acquire_for_call(&self.semaphore).await {
            Ok(_permit) => self.inner.delete_many(paths, opts).await,
            Err(e) => remote_store_core::bulk::fan_out(e, paths),
        }
    }

    async fn delete_folder(&self, path: &RemotePath, opts: &DeleteFolderOptions) -> Result<()> {
        gated!(self, |b| b.delete_folder(path, opts))
    }

    fn list_files(&self, path: &RemotePath, opts: &ListOptions) -> FileStream {
        self.gated_list_async(|b| b.list_files(path, opts))
    }

    fn list_folders(&self, path: &RemotePath) -> FolderStream {
        self.gated_list_async(|b| b.list_folders(path))
    }

    fn iter_children(&self, path: &RemotePath) -> EntryStream {
        self.gated_list_async(|b| b.iter_children(path))
    }

    fn glob(&self, pattern: &GlobPattern) -> FileStream {
        self.gated_list_async(|b| b.glob(pattern))
    }

    async fn get_file_info(&self, path: &RemotePath) -> Result<FileInfo> {
        gated!(self, |b| b.get_file_info(path))
    }

    async fn get_folder_info(&self, path: &RemotePath) -> Result<FolderInfo> {
        gated!(self, |b| b.get_folder_info(path))
    }

    async fn copy_file(
        &self,
        src: &RemotePath,
        dst: &RemotePath,
        opts: &CopyOptions,
    ) -> Result<()> {
        gated!(self, |b| b.copy_file(src, dst, opts))
    }

    async fn move_file(
        &self,
        src: &RemotePath,
        dst: &RemotePath,
        opts: &MoveOptions,
    ) -> Result<()> {
        gated!(self, |b| b.move_file(src, dst, opts))
    }

    async fn ping(&self) -> Result<()> {
        gated!(self, |b| b.ping())
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

    // Not gated: forwarded as it is, with no second boxed future around it.
    async_method! {
        fn close<>(&self) -> Result<()> {
            self.inner.close()
        }
    }
}

/// A stream holding a permit until its end or its drop, or (a byte stream, which ends at
/// its first error) its first error.
struct Held<S> {
    inner: S,
    permit: Option<OwnedSemaphorePermit>,
    release_on_error: bool,
}

impl<T, S: Stream<Item = Result<T>> + Unpin> Stream for Held<S> {
    type Item = S::Item;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<S::Item>> {
        let item = std::task::ready!(self.inner.poll_next_unpin(cx));
        let ended = match &item {
            None => true,
            Some(Err(_)) => self.release_on_error,
            Some(Ok(_)) => false,
        };
        if ended {
            self.permit = None;
        }
        Poll::Ready(item)
    }
}
