//! `AsyncBackend` for [`Observe`]: the async half. Mirrors `sync.rs` method for method.

use std::any::Any;
use std::ops::Range;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use bytes::Bytes;
use futures::future::BoxFuture;
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

use super::{Measure, Observe, Observer, Pending, PendingBatch, Tally, Tracker, Unfinished};

/// The key of operations without a path (`ping`, `close`), borrowed by their futures.
static ROOT: RemotePath = RemotePath::ROOT;

/// The future every `AsyncBackend` method returns (`async_trait`'s boxed future).
type Fut<'a, T> = BoxFuture<'a, Result<T>>;

/// Runs `fut` inside the observer's scope of the single operation `call`.
async fn instrumented<O: Observer + ?Sized, T>(
    call: &Unfinished<'_, O>,
    fut: impl Future<Output = T>,
) -> T {
    match call.scope() {
        Some(scope) => scope.instrument(fut).await,
        None => fut.await,
    }
}

// The I/O methods are written out rather than as `async fn`s: the observer is asked when
// the call is made, and when it does not want the operation (`NoopObserver`, tracing with
// no subscriber), the inner backend's future is returned as it is — no second boxed
// future around it. An observed operation starts (clock, correlation id, `start`) when its
// future is first polled, as with an `async fn`.
impl<B: AsyncBackend, O: Observer + ?Sized> Observe<B, O> {
    fn begin_async(&self, op: Operation, path: &str, to: Option<&str>) -> Pending {
        Pending::begin(&*self.observer, op, self.inner.name(), path, to)
    }

    /// Observes one call that returns no stream, or forwards `fut` when the observer does
    /// not want it.
    fn call_async<'a, T: Send + 'a>(
        &'a self,
        op: Operation,
        path: &'a RemotePath,
        fut: Fut<'a, T>,
        tally: impl FnOnce(&T) -> Tally + Send + 'a,
    ) -> Fut<'a, T> {
        if !self.observer.enabled() {
            return fut;
        }
        Box::pin(async move {
            let pending = self.begin_async(op, path.as_str(), None);
            let call = Unfinished::one(&*self.observer, pending, path.as_str(), None);
            let result = instrumented(&call, fut).await;
            call.finish_call(&result, tally);
            result
        })
    }

    /// Observes a copy or move, or forwards `fut`.
    fn transfer_async<'a>(
        &'a self,
        op: Operation,
        src: &'a RemotePath,
        dst: &'a RemotePath,
        fut: Fut<'a, ()>,
    ) -> Fut<'a, ()> {
        if !self.observer.enabled() {
            return fut;
        }
        Box::pin(async move {
            let pending = self.begin_async(op, src.as_str(), Some(dst.as_str()));
            let call = Unfinished::one(&*self.observer, pending, src.as_str(), Some(dst.as_str()));
            let result = instrumented(&call, fut).await;
            call.finish_call(&result, |_| Tally::default());
            result
        })
    }

    /// Observes a call that returns a byte stream (the event fires when the stream ends),
    /// or forwards `fut`.
    fn open_async<'a>(
        &'a self,
        op: Operation,
        path: &'a RemotePath,
        fut: Fut<'a, ByteStream>,
    ) -> Fut<'a, ByteStream> {
        if !self.observer.enabled() {
            return fut;
        }
        Box::pin(self.observed_open(op, path, fut))
    }

    /// The observed open of [`open_async`](Self::open_async).
    async fn observed_open(
        &self,
        op: Operation,
        path: &RemotePath,
        fut: impl Future<Output = Result<ByteStream>>,
    ) -> Result<ByteStream> {
        let pending = self.begin_async(op, path.as_str(), None);
        let call = Unfinished::one(&*self.observer, pending, path.as_str(), None);
        match instrumented(&call, fut).await {
            Ok(inner) => match call.into_pending() {
                Some(pending) => Ok(ByteStream::new(ObservedStream {
                    inner,
                    tracker: Tracker::new(Arc::clone(&self.observer), pending, path.as_str()),
                })),
                None => Ok(inner),
            },
            Err(e) => {
                call.fail(&e);
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
        let Some(pending) = Pending::start(&*self.observer, op, self.inner.name(), path, None)
        else {
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

    async_method! {
        fn exists<'p>(&self, path: &'p RemotePath) -> Result<bool> {
            let fut = self.inner.exists(path);
            self.call_async(Operation::Exists, path, fut, |_| Tally::default())
        }
    }

    async_method! {
        fn is_file<'p>(&self, path: &'p RemotePath) -> Result<bool> {
            let fut = self.inner.is_file(path);
            self.call_async(Operation::IsFile, path, fut, |_| Tally::default())
        }
    }

    async_method! {
        fn is_folder<'p>(&self, path: &'p RemotePath) -> Result<bool> {
            let fut = self.inner.is_folder(path);
            self.call_async(Operation::IsFolder, path, fut, |_| Tally::default())
        }
    }

    async_method! {
        fn read<'p>(&self, path: &'p RemotePath) -> Result<ByteStream> {
            self.open_async(Operation::Read, path, self.inner.read(path))
        }
    }

    async_method! {
        fn read_bytes<'p>(&self, path: &'p RemotePath) -> Result<Bytes> {
            let fut = self.inner.read_bytes(path);
            self.call_async(Operation::ReadBytes, path, fut, |bytes| {
                Tally::read(bytes.len() as u64)
            })
        }
    }

    async_method! {
        fn read_range<'p>(&self, path: &'p RemotePath, range: Range<u64>) -> Result<ByteStream> {
            self.open_async(
                Operation::ReadRange,
                path,
                self.inner.read_range(path, range),
            )
        }
    }

    async_method! {
        fn read_versioned<'p>(
            &self,
            path: &'p RemotePath,
            range: Option<Range<u64>>,
        ) -> Result<(ByteStream, Option<ObjectVersion>)> {
            let op = if range.is_some() {
                Operation::ReadRange
            } else {
                Operation::Read
            };
            let fut = self.inner.read_versioned(path, range);
            if !self.observer.enabled() {
                return fut;
            }
            Box::pin(async move {
                let mut version = None;
                let open = async {
                    let (body, v) = fut.await?;
                    version = v;
                    Ok(body)
                };
                let body = self.observed_open(op, path, open).await?;
                Ok((body, version))
            })
        }
    }

    async_method! {
        fn read_with<'p, 'o>(
            &self,
            path: &'p RemotePath,
            opts: &'o ReadOptions,
        ) -> Result<ByteStream> {
            self.open_async(
                plan::read_operation(opts),
                path,
                self.inner.read_with(path, opts),
            )
        }
    }

    async_method! {
        fn write<'p, 'c, 'o>(
            &self,
            path: &'p RemotePath,
            content: AsyncContent<'c>,
            mode: WriteMode,
            opts: &'o WriteOptions,
        ) -> Result<WriteResult> {
            let fut = self.inner.write(path, content, mode, opts);
            self.call_async(mode.operation(), path, fut, |result| {
                Tally::written(result.size)
            })
        }
    }

    async_method! {
        fn delete<'p, 'o>(&self, path: &'p RemotePath, opts: &'o DeleteOptions) -> Result<()> {
            let fut = self.inner.delete(path, opts);
            self.call_async(Operation::Delete, path, fut, |_| Tally::default())
        }
    }

    async_method! {
        fn delete_many<'p, 'o>(
            &self,
            paths: &'p [RemotePath],
            opts: &'o DeleteOptions,
        ) -> Vec<Result<()>> {
            let fut = self.inner.delete_many(paths, opts);
            if !self.observer.enabled() {
                return fut;
            }
            Box::pin(async move {
                let name = self.inner.name();
                let batch = PendingBatch::begin(&*self.observer, Operation::Delete, name, paths);
                let call = Unfinished::batch(&*self.observer, batch, paths);
                let outcomes = fut.await;
                call.finish_batch(&outcomes);
                outcomes
            })
        }
    }

    async_method! {
        fn delete_folder<'p, 'o>(
            &self,
            path: &'p RemotePath,
            opts: &'o DeleteFolderOptions,
        ) -> Result<()> {
            let fut = self.inner.delete_folder(path, opts);
            self.call_async(Operation::DeleteFolder, path, fut, |_| Tally::default())
        }
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

    async_method! {
        fn get_file_info<'p>(&self, path: &'p RemotePath) -> Result<FileInfo> {
            let fut = self.inner.get_file_info(path);
            self.call_async(Operation::GetFileInfo, path, fut, |_| Tally::default())
        }
    }

    async_method! {
        fn get_folder_info<'p>(&self, path: &'p RemotePath) -> Result<FolderInfo> {
            let fut = self.inner.get_folder_info(path);
            self.call_async(Operation::GetFolderInfo, path, fut, |_| Tally::default())
        }
    }

    async_method! {
        fn copy_file<'a, 'b, 'o>(
            &self,
            src: &'a RemotePath,
            dst: &'b RemotePath,
            opts: &'o CopyOptions,
        ) -> Result<()> {
            let fut = self.inner.copy_file(src, dst, opts);
            self.transfer_async(Operation::Copy, src, dst, fut)
        }
    }

    async_method! {
        fn move_file<'a, 'b, 'o>(
            &self,
            src: &'a RemotePath,
            dst: &'b RemotePath,
            opts: &'o MoveOptions,
        ) -> Result<()> {
            let fut = self.inner.move_file(src, dst, opts);
            self.transfer_async(Operation::Move, src, dst, fut)
        }
    }

    async_method! {
        fn ping<>(&self) -> Result<()> {
            let fut = self.inner.ping();
            self.call_async(Operation::Ping, &ROOT, fut, |_| Tally::default())
        }
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

    async_method! {
        fn close<>(&self) -> Result<()> {
            let fut = self.inner.close();
            self.call_async(Operation::Close, &ROOT, fut, |_| Tally::default())
        }
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
            Some(Err(e)) => {
                this.tracker.error(e.kind(), || e.to_string());
                if T::ENDS_AT_ERROR {
                    this.tracker.end();
                }
            }
            None => this.tracker.end(),
        }
        Poll::Ready(item)
    }
}
