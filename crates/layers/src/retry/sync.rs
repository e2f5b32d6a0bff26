//! `Backend` for [`Retry`]: the blocking half, waiting with a thread sleep. Mirrors
//! `async.rs` method for method.

use std::any::Any;
use std::io::{self, Read};
use std::ops::Range;
use std::sync::Arc;

use bytes::Bytes;
use remote_store_core::{
    CapabilitySet, CopyOptions, DeleteFolderOptions, DeleteOptions, Error, ErrorKind, FileInfo,
    FolderInfo, GlobPattern, ListOptions, MoveOptions, ObjectVersion, ReadOptions, RemotePath,
    Result, RetryPolicy, WriteMode, WriteOptions, WriteResult,
};
use remote_store_sync::{Backend, Content, EntryIter, FileIter, FolderIter, Reader, SeekReader};

use crate::kept::KeptPath;

use super::{
    Attempts, BatchRetry, Identity, Resume, Retry, copy_is_idempotent, delete_folder_is_idempotent,
    delete_is_idempotent, pinned_etag, write_is_idempotent,
};

/// Calls `f` until it succeeds, fails for good, or the policy gives up.
fn retrying<T>(policy: &RetryPolicy, mut f: impl FnMut() -> Result<T>) -> Result<T> {
    // The first attempt runs bare: a call that succeeds reads no clock and keeps no state.
    let mut e = match f() {
        Ok(v) => return Ok(v),
        Err(e) => e,
    };
    let mut attempts = Attempts::new(policy);
    loop {
        match attempts.next_wait(&e) {
            Some(wait) => std::thread::sleep(wait),
            None => return Err(e),
        }
        e = match f() {
            Ok(v) => return Ok(v),
            Err(e) => e,
        };
    }
}

impl<B: Backend> Retry<B> {
    /// Opens a streamed read of `range`, resumable where the backend allows; with the
    /// version it reads when the backend named one.
    fn open_resumable(
        &self,
        path: &RemotePath,
        range: Option<Range<u64>>,
        report: bool,
    ) -> Result<(Reader, Option<Identity>)> {
        let open = || self.inner().read_versioned(path, range.clone());
        if !self.resumes(self.inner().capabilities()) {
            return retrying(&self.policy, open);
        }
        // The version comes with the read (or, by the default `read_versioned`, from a
        // `get_file_info` before it): a replacement after it is caught as a change.
        let (reader, version) = retrying(&self.policy, open)?;
        let Some(identity) = version else {
            return Ok((reader, None));
        };
        let range = range.unwrap_or(0..u64::MAX);
        let version = report.then(|| identity.clone());
        let reader = Box::new(ResumingReader {
            backend: Arc::clone(&self.inner),
            path: KeptPath::new(path.as_str()),
            resume: Resume::new(identity, range, &self.policy),
            current: reader,
            ended: false,
        });
        Ok((reader, version))
    }

    /// A plain streamed read (`read`, `read_range`), resumable where the backend allows.
    fn open_plain(&self, path: &RemotePath, range: Option<Range<u64>>) -> Result<Reader> {
        if !self.resumes(self.inner().capabilities()) {
            return retrying(&self.policy, || match range.clone() {
                Some(r) => self.inner().read_range(path, r),
                None => self.inner().read(path),
            });
        }
        Ok(self.open_resumable(path, range, false)?.0)
    }

    /// A listing reopened while its first item is a retryable error.
    fn retrying_list<T: Send + 'static>(
        &self,
        open: impl Fn(&B) -> Box<dyn Iterator<Item = Result<T>> + Send> + Send + 'static,
    ) -> Box<dyn Iterator<Item = Result<T>> + Send> {
        let backend = Arc::clone(&self.inner);
        let current = open(&backend);
        Box::new(RetryingIter {
            current,
            reopen: Box::new(move || open(&backend)),
            attempts: Attempts::new(&self.policy),
            yielded: false,
        })
    }
}

#[deny(clippy::missing_trait_methods)]
impl<B: Backend> Backend for Retry<B> {
    fn name(&self) -> &'static str {
        self.inner().name()
    }

    fn capabilities(&self) -> CapabilitySet {
        self.inner().capabilities()
    }

    fn is_closed(&self) -> bool {
        self.inner().is_closed()
    }

    fn exists(&self, path: &RemotePath) -> Result<bool> {
        retrying(&self.policy, || self.inner().exists(path))
    }

    fn is_file(&self, path: &RemotePath) -> Result<bool> {
        retrying(&self.policy, || self.inner().is_file(path))
    }

    fn is_folder(&self, path: &RemotePath) -> Result<bool> {
        retrying(&self.policy, || self.inner().is_folder(path))
    }

    fn read(&self, path: &RemotePath) -> Result<Reader> {
        self.open_plain(path, None)
    }

    fn read_bytes(&self, path: &RemotePath) -> Result<Bytes> {
        retrying(&self.policy, || self.inner().read_bytes(path))
    }

    fn read_range(&self, path: &RemotePath, range: Range<u64>) -> Result<Reader> {
        self.open_plain(path, Some(range))
    }

    fn read_with(&self, path: &RemotePath, opts: &ReadOptions) -> Result<Reader> {
        if let Some(etag) = pinned_etag(opts, self.inner().capabilities())
            .filter(|_| self.resumes(self.inner().capabilities()))
        {
            // Conditioned on `etag` alone: resumed mid-body with the same `if_match`.
            let reader = retrying(&self.policy, || self.inner().read_with(path, opts))?;
            return Ok(Box::new(ResumingReader {
                backend: Arc::clone(&self.inner),
                path: KeptPath::new(path.as_str()),
                resume: Resume::pinned(etag, opts.range.clone(), &self.policy),
                current: reader,
                ended: false,
            }));
        }
        if opts.has_conditions() {
            // Other conditions hold at the open only: such a read is reopened while it
            // fails to open, never resumed.
            return retrying(&self.policy, || self.inner().read_with(path, opts));
        }
        self.open_plain(path, opts.range.clone())
    }

    fn read_versioned(
        &self,
        path: &RemotePath,
        range: Option<Range<u64>>,
    ) -> Result<(Reader, Option<ObjectVersion>)> {
        self.open_resumable(path, range, true)
    }

    fn read_seekable(&self, path: &RemotePath) -> Result<SeekReader> {
        retrying(&self.policy, || self.inner().read_seekable(path))
    }

    fn write(
        &self,
        path: &RemotePath,
        content: Content<'_>,
        mode: WriteMode,
        opts: &WriteOptions,
    ) -> Result<WriteResult> {
        match content {
            Content::Bytes(bytes) if write_is_idempotent(true, opts) => {
                retrying(&self.policy, || {
                    self.inner()
                        .write(path, Content::Bytes(bytes.clone()), mode, opts)
                })
            }
            content => self.inner().write(path, content, mode, opts),
        }
    }

    fn delete(&self, path: &RemotePath, opts: &DeleteOptions) -> Result<()> {
        if delete_is_idempotent(opts) {
            retrying(&self.policy, || self.inner().delete(path, opts))
        } else {
            self.inner().delete(path, opts)
        }
    }

    fn delete_many(&self, paths: &[RemotePath], opts: &DeleteOptions) -> Vec<Result<()>> {
        if !delete_is_idempotent(opts) {
            return self.inner().delete_many(paths, opts);
        }
        let mut batch = BatchRetry::new(paths, &self.policy);
        loop {
            let results = self.inner().delete_many(batch.open(), opts);
            match batch.record(results) {
                Some(wait) => std::thread::sleep(wait),
                None => return batch.finish(),
            }
        }
    }

    fn delete_folder(&self, path: &RemotePath, opts: &DeleteFolderOptions) -> Result<()> {
        if delete_folder_is_idempotent(opts) {
            retrying(&self.policy, || self.inner().delete_folder(path, opts))
        } else {
            self.inner().delete_folder(path, opts)
        }
    }

    fn list_files(&self, path: &RemotePath, opts: &ListOptions) -> FileIter {
        let (path, opts) = (path.clone(), opts.clone());
        self.retrying_list(move |b| b.list_files(&path, &opts))
    }

    fn list_folders(&self, path: &RemotePath) -> FolderIter {
        let path = path.clone();
        self.retrying_list(move |b| b.list_folders(&path))
    }

    fn iter_children(&self, path: &RemotePath) -> EntryIter {
        let path = path.clone();
        self.retrying_list(move |b| b.iter_children(&path))
    }

    fn glob(&self, pattern: &GlobPattern) -> FileIter {
        let pattern = pattern.clone();
        self.retrying_list(move |b| b.glob(&pattern))
    }

    fn get_file_info(&self, path: &RemotePath) -> Result<FileInfo> {
        retrying(&self.policy, || self.inner().get_file_info(path))
    }

    fn get_folder_info(&self, path: &RemotePath) -> Result<FolderInfo> {
        retrying(&self.policy, || self.inner().get_folder_info(path))
    }

    fn copy_file(&self, src: &RemotePath, dst: &RemotePath, opts: &CopyOptions) -> Result<()> {
        if copy_is_idempotent(opts) {
            retrying(&self.policy, || self.inner().copy_file(src, dst, opts))
        } else {
            self.inner().copy_file(src, dst, opts)
        }
    }

    fn move_file(&self, src: &RemotePath, dst: &RemotePath, opts: &MoveOptions) -> Result<()> {
        self.inner().move_file(src, dst, opts)
    }

    fn ping(&self) -> Result<()> {
        retrying(&self.policy, || self.inner().ping())
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

    fn close(&self) -> Result<()> {
        self.inner().close()
    }
}

/// A streamed read that reopens at the byte it reached after a retryable failure or an
/// early end, if the object is unchanged.
struct ResumingReader<B> {
    backend: Arc<B>,
    /// Parsed back into a path only to reopen.
    path: KeptPath,
    resume: Resume,
    current: Reader,
    /// Ended by an error: later reads end at once (as the async stream does), instead of
    /// reopening again — without the permit an inner limit took back at the error.
    ended: bool,
}

impl<B: Backend> ResumingReader<B> {
    /// After `cause` interrupted the body: wait, check the object, reopen.
    fn reopen(&mut self, mut cause: Error) -> Result<()> {
        // Release the failed body first: it may hold a connection or a permit that the
        // reopening calls need.
        self.current = Box::new(io::empty());
        let path = self.path.to_path()?;
        loop {
            let Some(wait) = self.resume.next_wait(&cause) else {
                return Err(cause);
            };
            std::thread::sleep(wait);
            let now = match (*self.backend).get_file_info(&path) {
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
            let conditional = self
                .resume
                .conditional_reopen((*self.backend).capabilities());
            let checked_by_service = conditional.is_some();
            let reopened = match conditional {
                Some(opts) => (*self.backend).read_with(&path, &opts),
                None => (*self.backend).read_range(&path, self.resume.remaining()),
            };
            match reopened {
                Ok(reader) if checked_by_service => {
                    self.current = reader;
                    return Ok(());
                }
                // Without a conditional read, a replacement between the check and the open
                // would be read on from here: looked at again once the reader is open (an
                // open reader keeps the version it opened, as files replaced by rename do).
                Ok(reader) => match (*self.backend).get_file_info(&path) {
                    Ok(now) => {
                        if let Err(changed) = self.resume.check_unchanged(&now, self.path.as_str())
                        {
                            return Err(changed.with_source(cause));
                        }
                        self.current = reader;
                        return Ok(());
                    }
                    Err(e) if e.is_retryable() => cause = e,
                    Err(e) => return Err(e),
                },
                // The caller's own `if_match` failed: its error, as at the open. (Any other
                // failure of the reopen is judged below, as for an unpinned read.)
                Err(e) if self.resume.pinned && e.kind() == ErrorKind::PreconditionFailed => {
                    return Err(e);
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

impl<B: Backend> Read for ResumingReader<B> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if buf.is_empty() || self.ended {
            return Ok(0);
        }
        loop {
            let cause = match self.current.read(buf) {
                Ok(0) if !self.resume.ended_early() => return Ok(0),
                Ok(0) => self.resume.early_end_error(self.path.as_str()),
                Ok(n) => {
                    self.resume.advance(n);
                    return Ok(n);
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => Error::from_io(e),
            };
            if let Err(e) = self.reopen(cause) {
                self.ended = true;
                return Err(e.into_io());
            }
        }
    }
}

/// A listing reopened while it has yielded nothing and fails retryably.
struct RetryingIter<T> {
    current: Box<dyn Iterator<Item = Result<T>> + Send>,
    reopen: Box<dyn FnMut() -> Box<dyn Iterator<Item = Result<T>> + Send> + Send>,
    attempts: Attempts,
    yielded: bool,
}

impl<T: 'static> Iterator for RetryingIter<T> {
    type Item = Result<T>;

    fn next(&mut self) -> Option<Result<T>> {
        loop {
            match self.current.next() {
                Some(Err(e)) if !self.yielded => match self.attempts.next_wait(&e) {
                    Some(wait) => {
                        // Drop the failed listing first: it may hold a permit of an inner
                        // limit, which the wait must not keep from other callers.
                        self.current = Box::new(std::iter::empty());
                        std::thread::sleep(wait);
                        self.current = (self.reopen)();
                    }
                    None => {
                        self.yielded = true;
                        return Some(Err(e));
                    }
                },
                item => {
                    self.yielded = true;
                    return item;
                }
            }
        }
    }
}
