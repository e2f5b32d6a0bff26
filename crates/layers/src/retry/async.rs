//! `AsyncBackend` for [`Retry`]: the async half, waiting with tokio's timer. Mirrors
//! `sync.rs` method for method.

use std::any::Any;
use std::ops::Range;
use std::sync::Arc;

use async_trait::async_trait;
use bytes::Bytes;
use futures::stream::{BoxStream, StreamExt};
use remote_store_async::{
    AsyncBackend, AsyncContent, ByteStream, EntryStream, FileStream, FolderStream,
};
use remote_store_core::{
    CapabilitySet, CopyOptions, DeleteFolderOptions, DeleteOptions, Error, ErrorKind, FileInfo,
    FolderInfo, GlobPattern, ListOptions, MoveOptions, ObjectVersion, ReadOptions, RemotePath,
    Result, RetryPolicy, WriteMode, WriteOptions, WriteResult,
};

use super::{
    Attempts, BatchRetry, Identity, Resume, Retry, copy_is_idempotent, delete_folder_is_idempotent,
    delete_is_idempotent, write_is_idempotent,
};

/// Calls `f` until it succeeds, fails for good, or the policy gives up. This is an async
/// version of the blocking `retrying`.
async fn retrying<T, F, Fut>(policy: &RetryPolicy, mut f: F) -> Result<T>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T>>,
{
    // The first attempt runs bare: a call that succeeds reads no clock and keeps no state.
    let mut e = match f().await {
        Ok(v) => return Ok(v),
        Err(e) => e,
    };
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
        if !self.resumes(self.inner.capabilities()) {
            return retrying(&self.policy, || {
                self.inner.read_versioned(path, range.clone())
            })
            .await;
        }
        // The version comes with the read (or, by the default `read_versioned`, from a
        // `get_file_info` before it): a replacement after it is caught as a change.
        let (body, version) = retrying(&self.policy, || {
            self.inner.read_versioned(path, range.clone())
        })
        .await?;
        let Some(identity) = version else {
            return Ok((body, None));
        };
        let version = report.then(|| identity.clone());
        let state = Resuming {
            backend: Arc::clone(&self.inner),
            path: path.clone(),
            resume: Resume::new(identity, range.unwrap_or(0..u64::MAX), &self.policy),
            current: body,
            done: false,
        };
        let body = ByteStream::new(futures::stream::unfold(state, Resuming::next));
        Ok((body, version))
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
                    Some(r) => self.inner.read_range(path, r).await,
                    None => self.inner.read(path).await,
                }
            }
        };
        if !self.resumes(self.inner.capabilities()) {
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

#[deny(clippy::missing_trait_methods)]
#[async_trait]
impl<B: AsyncBackend> AsyncBackend for Retry<B> {
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
        retrying(&self.policy, || self.inner.exists(path)).await
    }

    async fn is_file(&self, path: &RemotePath) -> Result<bool> {
        retrying(&self.policy, || self.inner.is_file(path)).await
    }

    async fn is_folder(&self, path: &RemotePath) -> Result<bool> {
        retrying(&self.policy, || self.inner.is_folder(path)).await
    }

    async fn read(&self, path: &RemotePath) -> Result<ByteStream> {
        self.open_plain_async(path, None).await
    }

    async fn read_bytes(&self, path: &RemotePath) -> Result<Bytes> {
        retrying(&self.policy, || self.inner.read_bytes(path)).await
    }

    async fn read_range(&self, path: &RemotePath, range: Range<u64>) -> Result<ByteStream> {
        self.open_plain_async(path, Some(range)).await
    }

    async fn read_with(&self, path: &RemotePath, opts: &ReadOptions) -> Result<ByteStream> {
        if opts.has_conditions() {
            // Conditions hold at the open only: a conditional read is reopened while it
            // fails to open, never resumed.
            return retrying(&self.policy, || self.inner.read_with(path, opts)).await;
        }
        self.open_plain_async(path, opts.range.clone()).await
    }

    async fn read_versioned(
        &self,
        path: &RemotePath,
        range: Option<Range<u64>>,
    ) -> Result<(ByteStream, Option<ObjectVersion>)> {
        self.open_resumable_async(path, range, true).await
    }

    async fn write(
        &self,
        path: &RemotePath,
        content: AsyncContent<'_>,
        mode: WriteMode,
        opts: &WriteOptions,
    ) -> Result<WriteResult> {
        match content {
            AsyncContent::Bytes(bytes) if write_is_idempotent(true, opts) => {
                retrying(&self.policy, || {
                    self.inner
                        .write(path, AsyncContent::Bytes(bytes.clone()), mode, opts)
                })
                .await
            }
            content => self.inner.write(path, content, mode, opts).await,
        }
    }

    async fn delete(&self, path: &RemotePath, opts: &DeleteOptions) -> Result<()> {
        if delete_is_idempotent(opts) {
            retrying(&self.policy, || self.inner.delete(path, opts)).await
        } else {
            self.inner.delete(path, opts).await
        }
    }

    async fn delete_many(&self, paths: &[RemotePath], opts: &DeleteOptions) -> Vec<Result<()>> {
        if !delete_is_idempotent(opts) {
            return self.inner.delete_many(paths, opts).await;
        }
        let mut batch = BatchRetry::new(paths, &self.policy);
        loop {
            let results = self.inner.delete_many(batch.open(), opts).await;
            match batch.record(results) {
                Some(wait) => tokio::time::sleep(wait).await,
                None => return batch.finish(),
            }
        }
    }

    async fn delete_folder(&self, path: &RemotePath, opts: &DeleteFolderOptions) -> Result<()> {
        if delete_folder_is_idempotent(opts) {
            retrying(&self.policy, || self.inner.delete_folder(path, opts)).await
        } else {
            self.inner.delete_folder(path, opts).await
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

    async fn get_file_info(&self, path: &RemotePath) -> Result<FileInfo> {
        retrying(&self.policy, || self.inner.get_file_info(path)).await
    }

    async fn get_folder_info(&self, path: &RemotePath) -> Result<FolderInfo> {
        retrying(&self.policy, || self.inner.get_folder_info(path)).await
    }

    async fn copy_file(
        &self,
        src: &RemotePath,
        dst: &RemotePath,
        opts: &CopyOptions,
    ) -> Result<()> {
        if copy_is_idempotent(opts) {
            retrying(&self.policy, || self.inner.copy_file(src, dst, opts)).await
        } else {
            self.inner.copy_file(src, dst, opts).await
        }
    }

    async fn move_file(
        &self,
        src: &RemotePath,
        dst: &RemotePath,
        opts: &MoveOptions,
    ) -> Result<()> {
        self.inner.move_file(src, dst, opts).await
    }

    async fn ping(&self) -> Result<()> {
        retrying(&self.policy, || self.inner.ping()).await
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
        self.inner.close().await
    }
}

/// A streamed read that reopens at the byte it reached after a retryable failure or an
/// early end, if the object is unchanged. This is an async version of the blocking
/// `ResumingReader`.
struct Resuming<B> {
    backend: Arc<B>,
    path: RemotePath,
    resume: Resume,
    current: ByteStream,
    done: bool,
}

impl<B: AsyncBackend> Resuming<B> {
    /// The next chunk (the `unfold` step).
    async fn next(mut self) -> Option<(Result<Bytes>, Self)> {
        if self.done {
            return None;
        }
        loop {
            let cause = match self.current.next().await {
                Some(Ok(chunk)) => {
                    self.resume.advance(chunk.len());
                    return Some((Ok(chunk), self));
                }
                None if !self.resume.ended_early() => return None,
                None => self.resume.early_end_error(self.path.as_str()),
                Some(Err(e)) => e,
            };
            if let Err(e) = self.reopen(cause).await {
                self.done = true;
                return Some((Err(e), self));
            }
        }
    }

    /// After `cause` interrupted the body: wait, check the object, reopen.
    async fn reopen(&mut self, mut cause: Error) -> Result<()> {
        // Release the failed body first: it may hold a connection or a permit that the
        // reopening calls need.
        self.current = ByteStream::from_bytes(Bytes::new());
        loop {
            let Some(wait) = self.resume.next_wait(&cause) else {
                return Err(cause);
            };
            tokio::time::sleep(wait).await;
            let now = match self.backend.get_file_info(&self.path).await {
                Ok(now) => now,
                Err(e) if e.is_retryable() => {
                    cause = e;
                    continue;
                }
                Err(e) => return Err(e),
            };
            if let Err(changed) = self.resume.check_unchanged(&now, self.path.as_str()) {
                return Err(changed.with_source(cause));
            }
            // With `conditional_read`, the reopen also carries `if_match`: a replacement
            // between the check and the read is refused by the service too.
            let reopened = match self.resume.conditional_reopen(self.backend.capabilities()) {
                Some(opts) => self.backend.read_with(&self.path, &opts).await,
                None => {
                    self.backend
                        .read_range(&self.path, self.resume.remaining())
                        .await
                }
            };
            match reopened {
                Ok(body) => {
                    self.current = body;
                    return Ok(());
                }
                Err(e) if e.kind() == ErrorKind::PreconditionFailed => {
                    return Err(self
                        .resume
                        .changed_error(self.path.as_str())
                        .with_source(cause));
                }
                Err(e) if e.is_retryable() => cause = e,
                Err(e) => return Err(e),
            }
        }
    }
}
