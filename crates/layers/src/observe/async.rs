//! `AsyncBackend` for [`Observe`]: the async half. Mirrors `sync.rs` method for method.

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
use remote_store_core::plan;
use remote_store_core::{
    CapabilitySet, CopyOptions, DeleteFolderOptions, DeleteOptions, FileInfo, FolderInfo,
    GlobPattern, ListOptions, MoveOptions, ObjectVersion, Operation, ReadOptions, RemotePath,
    Result, WriteMode, WriteOptions, WriteResult,
};

use super::{Measure, Observe, Observer, Pending, PendingBatch, Tally, Tracker};

impl<B: AsyncBackend, O: Observer + ?Sized> Observe<B, O> {
    fn begin_async(&self, op: Operation, path: &str, to: Option<&str>) -> Option<Pending> {
        Pending::start(&*self.observer, op, self.inner.name(), path, to)
    }

    /// Observes one call that returns no stream.
    async fn call_async<T>(
        &self,
        op: Operation,
        path: &RemotePath,
        fut: impl Future<Output = Result<T>>,
        tally: impl FnOnce(&T) -> Tally,
    ) -> Result<T> {
        let Some(pending) = self.begin_async(op, path.as_str(), None) else {
            return fut.await;
        };
        let result = pending.scope().instrument(fut).await;
        pending.finish_call(&*self.observer, path.as_str(), None, &result, tally);
        result
    }

    /// Observes a copy or move.
    async fn transfer_async(
        &self,
        op: Operation,
        src: &RemotePath,
        dst: &RemotePath,
        fut: impl Future<Output = Result<()>>,
    ) -> Result<()> {
        let Some(pending) = self.begin_async(op, src.as_str(), Some(dst.as_str())) else {
            return fut.await;
        };
        let result = pending.scope().instrument(fut).await;
        pending.finish_call(
            &*self.observer,
            src.as_str(),
            Some(dst.as_str()),
            &result,
            |_| Tally::default(),
        );
        result
    }

    /// Observes a call that returns a byte stream; the event fires when the stream ends.
    async fn open_async(
        &self,
        op: Operation,
        path: &RemotePath,
        fut: impl Future<Output = Result<ByteStream>>,
    ) -> Result<ByteStream> {
        let Some(pending) = self.begin_async(op, path.as_str(), None) else {
            return fut.await;
        };
        match pending.scope().instrument(fut).await {
            Ok(inner) => Ok(ByteStream::new(ObservedStream {
                inner,
                tracker: Tracker::new(Arc::clone(&self.observer), pending, path.as_str()),
            })),
            Err(e) => {
                pending.fail(&*self.observer, path.as_str(), None, &e);
                Err(e)
            }
        }
    }

    /// Observes a listing; the event fires when it ends or is dropped.
    fn listing_async<T: Measure + Send + 'static>(
        &self,
        op: Operation,
        path: &str,
        f: impl FnOnce(&B) -> BoxStream<'static, Result<T>>,
    ) -> BoxStream<'static, Result<T>> {
        let Some(pending) = self.begin_async(op, path, None) else {
            return f(&self.inner);
        };
        let inner = pending.scope().in_scope(|| f(&self.inner));
        ObservedStream {
            inner,
            tracker: Tracker::new(Arc::clone(&self.observer), pending, path),
        }
        .boxed()
    }
}

#[deny(clippy::missing_trait_methods)]
#[async_trait]
impl<B: AsyncBackend, O: Observer + ?Sized> AsyncBackend for Observe<B, O> {
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
        let fut = self.inner.exists(path);
        self.call_async(Operation::Exists, path, fut, |_| Tally::default())
            .await
    }

    async fn is_file(&self, path: &RemotePath) -> Result<bool> {
        let fut = self.inner.is_file(path);
        self.call_async(Operation::IsFile, path, fut, |_| Tally::default())
            .await
    }

    async fn is_folder(&self, path: &RemotePath) -> Result<bool> {
        let fut = self.inner.is_folder(path);
        self.call_async(Operation::IsFolder, path, fut, |_| Tally::default())
            .await
    }

    async fn read(&self, path: &RemotePath) -> Result<ByteStream> {
        self.open_async(Operation::Read, path, self.inner.read(path))
            .await
    }

    async fn read_bytes(&self, path: &RemotePath) -> Result<Bytes> {
        let fut = self.inner.read_bytes(path);
        self.call_async(Operation::ReadBytes, path, fut, |bytes| {
            Tally::read(bytes.len() as u64)
        })
        .await
    }

    async fn read_range(&self, path: &RemotePath, range: Range<u64>) -> Result<ByteStream> {
        self.open_async(
            Operation::ReadRange,
            path,
            self.inner.read_range(path, range),
        )
        .await
    }

    async fn read_versioned(
        &self,
        path: &RemotePath,
        range: Option<Range<u64>>,
    ) -> Result<(ByteStream, Option<ObjectVersion>)> {
        let op = if range.is_some() {
            Operation::ReadRange
        } else {
            Operation::Read
        };
        let mut version = None;
        let open = async {
            let (body, v) = self.inner.read_versioned(path, range).await?;
            version = v;
            Ok(body)
        };
        let body = self.open_async(op, path, open).await?;
        Ok((body, version))
    }

    async fn read_with(&self, path: &RemotePath, opts: &ReadOptions) -> Result<ByteStream> {
        self.open_async(
            plan::read_operation(opts),
            path,
            self.inner.read_with(path, opts),
        )
        .await
    }

    async fn write(
        &self,
        path: &RemotePath,
        content: AsyncContent<'_>,
        mode: WriteMode,
        opts: &WriteOptions,
    ) -> Result<WriteResult> {
        let fut = self.inner.write(path, content, mode, opts);
        self.call_async(mode.operation(), path, fut, |result| {
            Tally::written(result.size)
        })
        .await
    }

    async fn delete(&self, path: &RemotePath, opts: &DeleteOptions) -> Result<()> {
        let fut = self.inner.delete(path, opts);
        self.call_async(Operation::Delete, path, fut, |_| Tally::default())
            .await
    }

    async fn delete_many(&self, paths: &[RemotePath], opts: &DeleteOptions) -> Vec<Result<()>> {
        let batch =
            PendingBatch::start(&*self.observer, Operation::Delete, self.inner.name(), paths);
        let outcomes = self.inner.delete_many(paths, opts).await;
        if let Some(batch) = batch {
            batch.finish(&*self.observer, paths, &outcomes);
        }
        outcomes
    }

    async fn delete_folder(&self, path: &RemotePath, opts: &DeleteFolderOptions) -> Result<()> {
        let fut = self.inner.delete_folder(path, opts);
        self.call_async(Operation::DeleteFolder, path, fut, |_| Tally::default())
            .await
    }

    fn list_files(&self, path: &RemotePath, opts: &ListOptions) -> FileStream {
        self.listing_async(Operation::ListFiles, path.as_str(), |b| {
            b.list_files(path, opts)
        })
    }

    fn list_folders(&self, path: &RemotePath) -> FolderStream {
        self.listing_async(Operation::ListFolders, path.as_str(), |b| {
            b.list_folders(path)
        })
    }

    fn iter_children(&self, path: &RemotePath) -> EntryStream {
        self.listing_async(Operation::IterChildren, path.as_str(), |b| {
            b.iter_children(path)
        })
    }

    fn glob(&self, pattern: &GlobPattern) -> FileStream {
        self.listing_async(Operation::Glob, pattern.as_str(), |b| b.glob(pattern))
    }

    async fn get_file_info(&self, path: &RemotePath) -> Result<FileInfo> {
        let fut = self.inner.get_file_info(path);
        self.call_async(Operation::GetFileInfo, path, fut, |_| Tally::default())
            .await
    }

    async fn get_folder_info(&self, path: &RemotePath) -> Result<FolderInfo> {
        let fut = self.inner.get_folder_info(path);
        self.call_async(Operation::GetFolderInfo, path, fut, |_| Tally::default())
            .await
    }

    async fn copy_file(
        &self,
        src: &RemotePath,
        dst: &RemotePath,
        opts: &CopyOptions,
    ) -> Result<()> {
        let fut = self.inner.copy_file(src, dst, opts);
        self.transfer_async(Operation::Copy, src, dst, fut).await
    }

    async fn move_file(
        &self,
        src: &RemotePath,
        dst: &RemotePath,
        opts: &MoveOptions,
    ) -> Result<()> {
        let fut = self.inner.move_file(src, dst, opts);
        self.transfer_async(Operation::Move, src, dst, fut).await
    }

    async fn ping(&self) -> Result<()> {
        let fut = self.inner.ping();
        self.call_async(Operation::Ping, &RemotePath::ROOT, fut, |_| {
            Tally::default()
        })
        .await
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
        let fut = self.inner.close();
        self.call_async(Operation::Close, &RemotePath::ROOT, fut, |_| {
            Tally::default()
        })
        .await
    }
}

/// A byte stream or listing whose event fires at its end or drop; a byte stream's first
/// error ends it too.
struct ObservedStream<S, O: Observer + ?Sized> {
    inner: S,
    tracker: Tracker<O>,
}

impl<T, S, O> Stream for ObservedStream<S, O>
where
    T: Measure,
    S: Stream<Item = Result<T>> + Unpin,
    O: Observer + ?Sized,
{
    type Item = Result<T>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = &mut *self;
        let item = std::task::ready!(this.inner.poll_next_unpin(cx));
        match &item {
            Some(Ok(v)) => this.tracker.item(v),
            Some(Err(e)) => this.tracker.error(e.kind(), || e.to_string()),
            None => this.tracker.end(),
        }
        Poll::Ready(item)
    }
}
