//! `Backend` for [`Observe`]: the blocking half. Mirrors `async.rs` method for method.

use std::any::Any;
use std::io::{self, Read, Seek, SeekFrom};
use std::ops::Range;
use std::sync::Arc;

use bytes::Bytes;
use remote_store_core::plan;
use remote_store_core::{
    CapabilitySet, CopyOptions, DeleteFolderOptions, DeleteOptions, FileInfo, FolderInfo,
    GlobPattern, ListOptions, MoveOptions, ObjectVersion, Operation, ReadOptions, RemotePath,
    Result, WriteMode, WriteOptions, WriteResult,
};
use remote_store_sync::{Backend, Content, EntryIter, FileIter, FolderIter, Reader, SeekReader};

use super::{Measure, Observe, Observer, Pending, PendingBatch, Tally, Tracker, io_kind};

impl<B: Backend, O: Observer + ?Sized> Observe<B, O> {
    fn begin(&self, op: Operation, path: &str, to: Option<&str>) -> Option<Pending> {
        Pending::start(&*self.observer, op, self.inner.name(), path, to)
    }

    /// Observes one call that returns no stream.
    fn call<T>(
        &self,
        op: Operation,
        path: &RemotePath,
        f: impl FnOnce(&B) -> Result<T>,
        tally: impl FnOnce(&T) -> Tally,
    ) -> Result<T> {
        let Some(pending) = self.begin(op, path.as_str(), None) else {
            return f(&self.inner);
        };
        let result = pending.scope().in_scope(|| f(&self.inner));
        pending.finish_call(&*self.observer, path.as_str(), None, &result, tally);
        result
    }

    /// Observes a copy or move.
    fn transfer(
        &self,
        op: Operation,
        src: &RemotePath,
        dst: &RemotePath,
        f: impl FnOnce(&B) -> Result<()>,
    ) -> Result<()> {
        let Some(pending) = self.begin(op, src.as_str(), Some(dst.as_str())) else {
            return f(&self.inner);
        };
        let result = pending.scope().in_scope(|| f(&self.inner));
        pending.finish_call(
            &*self.observer,
            src.as_str(),
            Some(dst.as_str()),
            &result,
            |_| Tally::default(),
        );
        result
    }

    /// Observes a call that returns a reader; the event fires when the reader ends.
    /// `boxed` turns the observed reader into the trait's reader type.
    fn open<R>(
        &self,
        op: Operation,
        path: &RemotePath,
        f: impl FnOnce(&B) -> Result<R>,
        boxed: impl FnOnce(ObservedRead<R, O>) -> R,
    ) -> Result<R> {
        let Some(pending) = self.begin(op, path.as_str(), None) else {
            return f(&self.inner);
        };
        match pending.scope().in_scope(|| f(&self.inner)) {
            Ok(inner) => Ok(boxed(ObservedRead {
                inner,
                tracker: Tracker::new(Arc::clone(&self.observer), pending, path.as_str()),
                // A seekable reader may seek back and read on after reaching the end.
                until_drop: op == Operation::ReadSeekable,
                reached_end: false,
            })),
            Err(e) => {
                pending.fail(&*self.observer, path.as_str(), None, &e);
                Err(e)
            }
        }
    }

    /// Observes a listing; the event fires when it ends or is dropped.
    fn listing<T: Measure + Send + 'static>(
        &self,
        op: Operation,
        path: &str,
        f: impl FnOnce(&B) -> Box<dyn Iterator<Item = Result<T>> + Send>,
    ) -> Box<dyn Iterator<Item = Result<T>> + Send> {
        let Some(pending) = self.begin(op, path, None) else {
            return f(&self.inner);
        };
        let inner = pending.scope().in_scope(|| f(&self.inner));
        Box::new(ObservedIter {
            inner,
            tracker: Tracker::new(Arc::clone(&self.observer), pending, path),
        })
    }
}

#[deny(clippy::missing_trait_methods)]
impl<B: Backend, O: Observer + ?Sized> Backend for Observe<B, O> {
    fn name(&self) -> &'static str {
        self.inner.name()
    }

    fn capabilities(&self) -> CapabilitySet {
        self.inner.capabilities()
    }

    fn is_closed(&self) -> bool {
        self.inner.is_closed()
    }

    fn exists(&self, path: &RemotePath) -> Result<bool> {
        self.call(
            Operation::Exists,
            path,
            |b| b.exists(path),
            |_| Tally::default(),
        )
    }

    fn is_file(&self, path: &RemotePath) -> Result<bool> {
        self.call(
            Operation::IsFile,
            path,
            |b| b.is_file(path),
            |_| Tally::default(),
        )
    }

    fn is_folder(&self, path: &RemotePath) -> Result<bool> {
        self.call(
            Operation::IsFolder,
            path,
            |b| b.is_folder(path),
            |_| Tally::default(),
        )
    }

    fn read(&self, path: &RemotePath) -> Result<Reader> {
        self.open(Operation::Read, path, |b| b.read(path), |r| Box::new(r))
    }

    fn read_bytes(&self, path: &RemotePath) -> Result<Bytes> {
        self.call(
            Operation::ReadBytes,
            path,
            |b| b.read_bytes(path),
            |bytes| Tally::read(bytes.len() as u64),
        )
    }

    fn read_range(&self, path: &RemotePath, range: Range<u64>) -> Result<Reader> {
        self.open(
            Operation::ReadRange,
            path,
            |b| b.read_range(path, range),
            |r| Box::new(r),
        )
    }

    fn read_versioned(
        &self,
        path: &RemotePath,
        range: Option<Range<u64>>,
    ) -> Result<(Reader, Option<ObjectVersion>)> {
        let op = if range.is_some() {
            Operation::ReadRange
        } else {
            Operation::Read
        };
        let mut version = None;
        let body = self.open(
            op,
            path,
            |b| {
                let (body, v) = b.read_versioned(path, range)?;
                version = v;
                Ok(body)
            },
            |r| Box::new(r),
        )?;
        Ok((body, version))
    }

    fn read_with(&self, path: &RemotePath, opts: &ReadOptions) -> Result<Reader> {
        self.open(
            plan::read_operation(opts),
            path,
            |b| b.read_with(path, opts),
            |r| Box::new(r),
        )
    }

    fn read_seekable(&self, path: &RemotePath) -> Result<SeekReader> {
        self.open(
            Operation::ReadSeekable,
            path,
            |b| b.read_seekable(path),
            |r| Box::new(r),
        )
    }

    fn write(
        &self,
        path: &RemotePath,
        content: Content<'_>,
        mode: WriteMode,
        opts: &WriteOptions,
    ) -> Result<WriteResult> {
        self.call(
            mode.operation(),
            path,
            |b| b.write(path, content, mode, opts),
            |result| Tally::written(result.size),
        )
    }

    fn delete(&self, path: &RemotePath, opts: &DeleteOptions) -> Result<()> {
        self.call(
            Operation::Delete,
            path,
            |b| b.delete(path, opts),
            |_| Tally::default(),
        )
    }

    fn delete_many(&self, paths: &[RemotePath], opts: &DeleteOptions) -> Vec<Result<()>> {
        let batch =
            PendingBatch::start(&*self.observer, Operation::Delete, self.inner.name(), paths);
        let outcomes = self.inner.delete_many(paths, opts);
        if let Some(batch) = batch {
            batch.finish(&*self.observer, paths, &outcomes);
        }
        outcomes
    }

    fn delete_folder(&self, path: &RemotePath, opts: &DeleteFolderOptions) -> Result<()> {
        self.call(
            Operation::DeleteFolder,
            path,
            |b| b.delete_folder(path, opts),
            |_| Tally::default(),
        )
    }

    fn list_files(&self, path: &RemotePath, opts: &ListOptions) -> FileIter {
        self.listing(Operation::ListFiles, path.as_str(), |b| {
            b.list_files(path, opts)
        })
    }

    fn list_folders(&self, path: &RemotePath) -> FolderIter {
        self.listing(Operation::ListFolders, path.as_str(), |b| {
            b.list_folders(path)
        })
    }

    fn iter_children(&self, path: &RemotePath) -> EntryIter {
        self.listing(Operation::IterChildren, path.as_str(), |b| {
            b.iter_children(path)
        })
    }

    fn glob(&self, pattern: &GlobPattern) -> FileIter {
        self.listing(Operation::Glob, pattern.as_str(), |b| b.glob(pattern))
    }

    fn get_file_info(&self, path: &RemotePath) -> Result<FileInfo> {
        self.call(
            Operation::GetFileInfo,
            path,
            |b| b.get_file_info(path),
            |_| Tally::default(),
        )
    }

    fn get_folder_info(&self, path: &RemotePath) -> Result<FolderInfo> {
        self.call(
            Operation::GetFolderInfo,
            path,
            |b| b.get_folder_info(path),
            |_| Tally::default(),
        )
    }

    fn copy_file(&self, src: &RemotePath, dst: &RemotePath, opts: &CopyOptions) -> Result<()> {
        self.transfer(Operation::Copy, src, dst, |b| b.copy_file(src, dst, opts))
    }

    fn move_file(&self, src: &RemotePath, dst: &RemotePath, opts: &MoveOptions) -> Result<()> {
        self.transfer(Operation::Move, src, dst, |b| b.move_file(src, dst, opts))
    }

    fn ping(&self) -> Result<()> {
        self.call(
            Operation::Ping,
            &RemotePath::ROOT,
            |b| b.ping(),
            |_| Tally::default(),
        )
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

    fn close(&self) -> Result<()> {
        self.call(
            Operation::Close,
            &RemotePath::ROOT,
            |b| b.close(),
            |_| Tally::default(),
        )
    }
}

/// A reader whose event fires at its end, first error or drop (a seekable one's at its
/// first error or drop: its end is not the end of its use).
pub(super) struct ObservedRead<R, O: Observer + ?Sized> {
    inner: R,
    tracker: Tracker<O>,
    until_drop: bool,
    /// A seekable reader read to its end at least once: its drop is then a success.
    reached_end: bool,
}

impl<R, O: Observer + ?Sized> Drop for ObservedRead<R, O> {
    fn drop(&mut self) {
        if self.reached_end {
            self.tracker.end();
        }
    }
}

impl<R: Read, O: Observer + ?Sized> Read for ObservedRead<R, O> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self.inner.read(buf) {
            Ok(0) if !buf.is_empty() && self.until_drop => {
                self.reached_end = true;
                Ok(0)
            }
            Ok(0) if !buf.is_empty() => {
                self.tracker.end();
                Ok(0)
            }
            Ok(n) => {
                self.tracker.bytes(n);
                Ok(n)
            }
            Err(e) if e.kind() == io::ErrorKind::Interrupted => Err(e),
            Err(e) => {
                self.tracker.error(io_kind(&e), || e.to_string());
                self.tracker.end();
                Err(e)
            }
        }
    }
}

impl<R: Seek, O: Observer + ?Sized> Seek for ObservedRead<R, O> {
    fn seek(&mut self, pos: SeekFrom) -> io::Result<u64> {
        self.inner.seek(pos)
    }
}

/// A listing whose event fires at its end or drop.
struct ObservedIter<I, O: Observer + ?Sized> {
    inner: I,
    tracker: Tracker<O>,
}

impl<T: Measure, I: Iterator<Item = Result<T>>, O: Observer + ?Sized> Iterator
    for ObservedIter<I, O>
{
    type Item = Result<T>;

    fn next(&mut self) -> Option<Result<T>> {
        let item = self.inner.next();
        match &item {
            Some(Ok(v)) => self.tracker.item(v),
            Some(Err(e)) => self.tracker.error(e.kind(), || e.to_string()),
            None => self.tracker.end(),
        }
        item
    }
}
