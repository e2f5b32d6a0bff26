//! `AsyncBackend` for [`Retry`]: the async half, waiting with tokio's timer. Mirrors
//! `sync.rs` method for method.

use std::any::Any;
use std::ops::Range;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, ready};

use bytes::Bytes;
use futures::future::BoxFuture;
use futures::stream::{BoxStream, Stream, StreamExt};
use remote_store_async::{
    AsyncBackend, AsyncContent, ByteStream, EntryStream, FileStream, FolderStream,
};
use remote_store_core::{
    CapabilitySet, CopyOptions, DeleteFolderOptions, DeleteOptions, Error, ErrorKind, FileInfo,
    FolderInfo, GlobPattern, ListOptions, MoveOptions, ObjectVersion, ReadOptions, RemotePath,
    Result, RetryPolicy, WriteMode, WriteOptions, WriteResult,
};

use crate::kept::KeptPath;

use super::{
    Attempts, BatchRetry, Identity, Resume, Retry, copy_is_idempotent, delete_folder_is_idempotent,
    delete_is_idempotent, pinned_etag, write_is_idempotent,
};

/// Calls `f` until it succeeds, fails for good, or the policy gives up. This is an async
/// version of the blocking `retrying`.
async fn retrying<T, F, Fut>(policy: &RetryPolicy, mut f: F) -> Result<T>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T>>,
{
    // The first attempt runs bare: a call that succeeds reads no clock and keeps no state.
    // The loop after a failure is a future of its own, boxed only then, so the future of
    // every call stays as small as its first attempt (no timer or clock state in it).
    match f().await {
        Ok(v) => Ok(v),
        Err(e) => Box::pin(retry_after(policy, f, e)).await,
    }
}

/// The retries of [`retrying`] after its first attempt failed with `e`.
async fn retry_after<T, F, Fut>(policy: &RetryPolicy, mut f: F, mut e: Error) -> Result<T>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T>>,
{
    let mut attempts = Attempts::new(policy);
    loop {
        match attempts.next_wait(&e) {
            Some(wait) => tokio::time::sleep(wait).await,
            None => return Err(e),
        }
        e = match f().await {
            Ok(v) => return Ok(v),
            Err(e) => e,
        };
    }
}

impl<B: AsyncBackend> Retry<B> {
    /// Opens a streamed read of `range`, resumable where the backend allows; with the
    /// version it reads when the backend named one.
    async fn open_resumable_async(
        &self,
        path: &RemotePath,
        range: Option<Range<u64>>,
        report: bool,
    ) -> Result<(ByteStream, Option<Identity>)> {
        if !self.resumes(self.inner().capabilities()) {
            return retrying(&self.policy, || {
                self.inner().read_versioned(path, range.clone())
            })
            .await;
        }
        // The version comes with the read (or, by the default `read_versioned`, from a
        // `get_file_info` before it): a replacement after it is caught as a change.
        let (body, version) = retrying(&self.policy, || {
            self.inner().read_versioned(path, range.clone())
        })
        .await?;
        let Some(identity) = version else {
            return Ok((body, None));
        };
        let version = report.then(|| identity.clone());
        let body = ByteStream::new(Resuming {
            backend: Arc::clone(&self.inner),
            path: KeptPath::new(path.as_str()),
            state: State::Reading(Resume::new(
                identity,
                range.unwrap_or(0..u64::MAX),
                &self.policy,
            )),
            current: body,
        });
        Ok((body, version))
    }

    /// A read conditioned on `etag` alone (`if_match`): reopened while it fails to open,
    /// and resumed mid-body with the same `if_match` on the rest of its range.
    async fn open_pinned_async(
        &self,
        path: &RemotePath,
        opts: &ReadOptions,
        etag: &str,
    ) -> Result<ByteStream> {
        let body = retrying(&self.policy, || self.inner().read_with(path, opts)).await?;
        Ok(ByteStream::new(Resuming {
            backend: Arc::clone(&self.inner),
            path: KeptPath::new(path.as_str()),
            state: State::Reading(Resume::pinned(etag, opts.range.clone(), &self.policy)),
            current: body,
        }))
    }

    /// A plain streamed read (`read`, `read_range`), resumable where the backend allows.
    async fn open_plain_async(
        &self,
        path: &RemotePath,
        range: Option<Range<u64>>,
    ) -> Result<ByteStream> {
        let open = || {
            let range = range.clone();
            async move {
                match range {
                    Some(r) => self.inner().read_range(path, r).await,
                    None => self.inner().read(path).await,
                }
            }
        };
        if !self.resumes(self.inner().capabilities()) {
            return retrying(&self.policy, open).await;
        }
        Ok(self.open_resumable_async(path, range, false).await?.0)
    }

    /// A listing reopened while its first item is a retryable error.
    fn retrying_list_async<T: Send + 'static>(
        &self,
        open: impl Fn(&B) -> BoxStream<'static, Result<T>> + Send + Sync + 'static,
    ) -> BoxStream<'static, Result<T>> {
        let backend = Arc::clone(&self.inner);
        let current = open(&backend);
        let reopen: Reopen<T> = Box::new(move || open(&backend));
        let state = (current, reopen, Attempts::new(&self.policy), false);
        futures::stream::unfold(
            state,
            |(mut current, reopen, mut attempts, yielded)| async move {
                loop {
                    match current.next().await {
                        Some(Err(e)) if !yielded => match attempts.next_wait(&e) {
                            Some(wait) => {
                                // Drop the failed listing first: it may hold a permit of an
                                // inner limit, which the wait must not keep from others.
                                drop(std::mem::replace(
                                    &mut current,
                                    futures::stream::empty().boxed(),
                                ));
                                tokio::time::sleep(wait).await;
                                current = reopen();
                            }
                            None => return Some((Err(e), (current, reopen, attempts, true))),
                        },
                        Some(item) => return Some((item, (current, reopen, attempts, true))),
                        None => return None,
                    }
                }
            },
        )
        .boxed()
    }
}

type Reopen<T> = Box<dyn Fn() -> BoxStream<'static, Result<T>> + Send + Sync>;

// The I/O methods are written out rather than as `async fn`s so that a call this layer
// never repeats (`move_file`, a create-only or streamed write, a delete without
// `missing_ok`, `close`) returns the inner backend's future as it is, with no second boxed
// future around it.
#[deny(clippy::missing_trait_methods)]
impl<B: AsyncBackend> AsyncBackend for Retry<B> {
    fn name(&self) -> &'static str {
        self.inner().name()
    }

    fn capabilities(&self) -> CapabilitySet {
        self.inner().capabilities()
    }

    fn is_closed(&self) -> bool {
        self.inner().is_closed()
    }

    async_method! {
        fn exists<'p>(&self, path: &'p RemotePath) -> Result<bool> {
            Box::pin(retrying(&self.policy, || self.inner().exists(path)))
        }
    }

    async_method! {
        fn is_file<'p>(&self, path: &'p RemotePath) -> Result<bool> {
            Box::pin(retrying(&self.policy, || self.inner().is_file(path)))
        }
    }

    async_method! {
        fn is_folder<'p>(&self, path: &'p RemotePath) -> Result<bool> {
            Box::pin(retrying(&self.policy, || self.inner().is_folder(path)))
        }
    }

    async_method! {
        fn read<'p>(&self, path: &'p RemotePath) -> Result<ByteStream> {
            Box::pin(self.open_plain_async(path, None))
        }
    }

    async_method! {
        fn read_bytes<'p>(&self, path: &'p RemotePath) -> Result<Bytes> {
            Box::pin(retrying(&self.policy, || self.inner().read_bytes(path)))
        }
    }

    async_method! {
        fn read_range<'p>(&self, path: &'p RemotePath, range: Range<u64>) -> Result<ByteStream> {
            Box::pin(self.open_plain_async(path, Some(range)))
        }
    }

    async_method! {
        fn read_with<'p, 'o>(
            &self,
            path: &'p RemotePath,
            opts: &'o ReadOptions,
        ) -> Result<ByteStream> {
            if let Some(etag) = pinned_etag(opts, self.inner().capabilities())
                .filter(|_| self.resumes(self.inner().capabilities()))
            {
                return Box::pin(self.open_pinned_async(path, opts, etag));
            }
            if opts.has_conditions() {
                // Other conditions hold at the open only: such a read is reopened while it
                // fails to open, never resumed.
                return Box::pin(retrying(&self.policy, || self.inner().read_with(path, opts)));
            }
            Box::pin(self.open_plain_async(path, opts.range.clone()))
        }
    }

    async_method! {
        fn read_versioned<'p>(
            &self,
            path: &'p RemotePath,
            range: Option<Range<u64>>,
        ) -> Result<(ByteStream, Option<ObjectVersion>)> {
            Box::pin(self.open_resumable_async(path, range, true))
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
            match content {
                AsyncContent::Bytes(bytes) if write_is_idempotent(true, opts) => {
                    Box::pin(retrying(&self.policy, move || {
                        self.inner()
                            .write(path, AsyncContent::Bytes(bytes.clone()), mode, opts)
                    }))
                }
                content => self.inner().write(path, content, mode, opts),
            }
        }
    }

    async_method! {
        fn delete<'p, 'o>(&self, path: &'p RemotePath, opts: &'o DeleteOptions) -> Result<()> {
            if delete_is_idempotent(opts) {
                Box::pin(retrying(&self.policy, || self.inner().delete(path, opts)))
            } else {
                self.inner().delete(path, opts)
            }
        }
    }

    async_method! {
        fn delete_many<'p, 'o>(
            &self,
            paths: &'p [RemotePath],
            opts: &'o DeleteOptions,
        ) -> Vec<Result<()>> {
            if !delete_is_idempotent(opts) {
                return self.inner().delete_many(paths, opts);
            }
            Box::pin(async move {
                let mut batch = BatchRetry::new(paths, &self.policy);
                loop {
                    let results = self.inner().delete_many(batch.open(), opts).await;
                    match batch.record(results) {
                        Some(wait) => tokio::time::sleep(wait).await,
                        None => return batch.finish(),
                    }
                }
            })
        }
    }

    async_method! {
        fn delete_folder<'p, 'o>(
            &self,
            path: &'p RemotePath,
            opts: &'o DeleteFolderOptions,
        ) -> Result<()> {
            if delete_folder_is_idempotent(opts) {
                Box::pin(retrying(&self.policy, || {
                    self.inner().delete_folder(path, opts)
                }))
            } else {
                self.inner().delete_folder(path, opts)
            }
        }
    }

    fn list_files(&self, path: &RemotePath, opts: &ListOptions) -> FileStream {
        let (path, opts) = (path.clone(), opts.clone());
        self.retrying_list_async(move |b| b.list_files(&path, &opts))
    }

    fn list_folders(&self, path: &RemotePath) -> FolderStream {
        let path = path.clone();
        self.retrying_list_async(move |b| b.list_folders(&path))
    }

    fn iter_children(&self, path: &RemotePath) -> EntryStream {
        let path = path.clone();
        self.retrying_list_async(move |b| b.iter_children(&path))
    }

    fn glob(&self, pattern: &GlobPattern) -> FileStream {
        let pattern = pattern.clone();
        self.retrying_list_async(move |b| b.glob(&pattern))
    }

    async_method! {
        fn get_file_info<'p>(&self, path: &'p RemotePath) -> Result<FileInfo> {
            Box::pin(retrying(&self.policy, || self.inner().get_file_info(path)))
        }
    }

    async_method! {
        fn get_folder_info<'p>(&self, path: &'p RemotePath) -> Result<FolderInfo> {
            Box::pin(retrying(&self.policy, || self.inner().get_folder_info(path)))
        }
    }

    async_method! {
        fn copy_file<'a, 'b, 'o>(
            &self,
            src: &'a RemotePath,
            dst: &'b RemotePath,
            opts: &'o CopyOptions,
        ) -> Result<()> {
            if copy_is_idempotent(opts) {
                Box::pin(retrying(&self.policy, || {
                    self.inner().copy_file(src, dst, opts)
                }))
            } else {
                self.inner().copy_file(src, dst, opts)
            }
        }
    }

    async_method! {
        fn move_file<'a, 'b, 'o>(
            &self,
            src: &'a RemotePath,
            dst: &'b RemotePath,
            opts: &'o MoveOptions,
        ) -> Result<()> {
            self.inner().move_file(src, dst, opts)
        }
    }

    async_method! {
        fn ping<>(&self) -> Result<()> {
            Box::pin(retrying(&self.policy, || self.inner().ping()))
        }
    }

    fn native_path(&self, key: &RemotePath) -> Result<String> {
        self.inner().native_path(key)
    }

    fn to_key(&self, native: &str) -> Result<RemotePath> {
        self.inner().to_key(native)
    }

    fn native_client(&self) -> Option<&(dyn Any + Send + Sync)> {
        self.inner().native_client()
    }

    async_method! {
        fn close<>(&self) -> Result<()> {
            self.inner().close()
        }
    }
}

/// A streamed read that reopens at the byte it reached after a retryable failure or an
/// early end, if the object is unchanged. This is an async version of the blocking
/// `ResumingReader`: while the body flows, a poll is one poll of the body.
struct Resuming<B> {
    backend: Arc<B>,
    /// Parsed back into a path only to reopen.
    path: KeptPath,
    state: State,
    current: ByteStream,
}

/// Where a [`Resuming`] read is.
// `Reading` is the state of every poll of a flowing body: boxing it would cost an
// allocation per read; the other states are rare.
#[allow(clippy::large_enum_variant)]
enum State {
    /// Delivering `current`.
    Reading(Resume),
    /// Waiting, checking the object and reopening after a cut; the reopen hands the
    /// resume state back with the new body or the error that ends the read.
    Reopening(BoxFuture<'static, (Resume, Result<ByteStream>)>),
    /// Failed for good: the error was delivered.
    Done,
}

impl<B: AsyncBackend> Stream for Resuming<B> {
    type Item = Result<Bytes>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Result<Bytes>>> {
        let this = &mut *self;
        loop {
            let resume = match &mut this.state {
                State::Reading(resume) => resume,
                State::Reopening(reopen) => {
                    let (resume, reopened) = ready!(reopen.as_mut().poll(cx));
                    match reopened {
                        Ok(body) => {
                            this.current = body;
                            this.state = State::Reading(resume);
                            continue;
                        }
                        Err(e) => {
                            this.state = State::Done;
                            return Poll::Ready(Some(Err(e)));
                        }
                    }
                }
                State::Done => return Poll::Ready(None),
            };
            let cause = match ready!(this.current.poll_next_unpin(cx)) {
                Some(Ok(chunk)) => {
                    resume.advance(chunk.len());
                    return Poll::Ready(Some(Ok(chunk)));
                }
                None if !resume.ended_early() => return Poll::Ready(None),
                None => resume.early_end_error(this.path.as_str()),
                Some(Err(e)) => e,
            };
            // Release the failed body first: it may hold a connection or a permit that the
            // reopening calls need.
            this.current = ByteStream::from_bytes(Bytes::new());
            let path = match this.path.to_path() {
                Ok(path) => path,
                Err(e) => {
                    this.state = State::Done;
                    return Poll::Ready(Some(Err(e)));
                }
            };
            if let State::Reading(resume) = std::mem::replace(&mut this.state, State::Done) {
                let reopen = reopen(Arc::clone(&this.backend), path, resume, cause);
                this.state = State::Reopening(Box::pin(reopen));
            }
        }
    }
}

/// After `cause` interrupted the body: wait, check the object, reopen. Returns `resume`
/// with the new body, or with the error that ends the read.
async fn reopen<B: AsyncBackend>(
    backend: Arc<B>,
    path: RemotePath,
    mut resume: Resume,
    mut cause: Error,
) -> (Resume, Result<ByteStream>) {
    loop {
        let Some(wait) = resume.next_wait(&cause) else {
            return (resume, Err(cause));
        };
        tokio::time::sleep(wait).await;
        let now = match (*backend).get_file_info(&path).await {
            Ok(now) => now,
            Err(e) if e.is_retryable() => {
                cause = e;
                continue;
            }
            Err(e) => return (resume, Err(e)),
        };
        if let Err(changed) = resume.check_unchanged(&now, path.as_str()) {
            return (resume, Err(changed.with_source(cause)));
        }
        // With `conditional_read`, the reopen also carries `if_match`: a replacement
        // between the check and the read is refused by the service too.
        let conditional = resume.conditional_reopen((*backend).capabilities());
        let checked_by_service = conditional.is_some();
        let reopened = match conditional {
            Some(opts) => (*backend).read_with(&path, &opts).await,
            None => (*backend).read_range(&path, resume.remaining()).await,
        };
        match reopened {
            Ok(body) if checked_by_service => return (resume, Ok(body)),
            // Without a conditional read, a replacement between the check and the open
            // would be read on from here: looked at again once the body is open (an open
            // body keeps the version it opened, as files replaced by rename do).
            Ok(body) => match (*backend).get_file_info(&path).await {
                Ok(now) => {
                    if let Err(changed) = resume.check_unchanged(&now, path.as_str()) {
                        return (resume, Err(changed.with_source(cause)));
                    }
                    return (resume, Ok(body));
                }
                Err(e) if e.is_retryable() => cause = e,
                Err(e) => return (resume, Err(e)),
            },
            // The caller's own `if_match` failed: its error, as at the open. (Any other
            // failure of the reopen is judged below, as for an unpinned read.)
            Err(e) if resume.pinned && e.kind() == ErrorKind::PreconditionFailed => {
                return (resume, Err(e));
            }
            Err(e) if e.kind() == ErrorKind::PreconditionFailed => {
                let changed = resume.changed_error(path.as_str()).with_source(cause);
                return (resume, Err(changed));
            }
            Err(e) if e.is_retryable() => cause = e,
            Err(e) => return (resume, Err(e)),
        }
    }
}
