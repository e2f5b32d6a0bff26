//! `Backend` for [`ConcurrencyLimit`]: the blocking half, over a [`Gate`](super::Gate).
//! Mirrors `async.rs` method for method.

use std::any::Any;
use std::io::{self, Read, Seek, SeekFrom};
use std::ops::Range;

use bytes::Bytes;
use remote_store_core::{
    CapabilitySet, CopyOptions, DeleteFolderOptions, DeleteOptions, FileInfo, FolderInfo,
    GlobPattern, ListOptions, MoveOptions, ObjectVersion, ReadOptions, RemotePath, Result,
    WriteMode, WriteOptions, WriteResult,
};
use remote_store_sync::{Backend, Content, EntryIter, FileIter, FolderIter, Reader, SeekReader};

use std::sync::Arc;

use super::{ConcurrencyLimit, Gate, OwnedGatePermit};

impl<B: Backend> ConcurrencyLimit<B> {
    /// Runs `f` holding a permit.
    fn gated<T>(&self, f: impl FnOnce(&B) -> T) -> T {
        let _permit = self.gate.acquire();
        f(&self.inner)
    }

    /// Runs `f` holding a permit and hands the permit to the reader it returns.
    fn gated_read<R>(&self, f: impl FnOnce(&B) -> Result<R>) -> Result<Held<R>> {
        let permit = self.gate.acquire_owned();
        let inner = f(&self.inner)?;
        Ok(Held {
            inner,
            permit: Some(permit),
            until_drop: false,
        })
    }

    /// Opens a listing that takes its permit on its first `next` and keeps it until its
    /// end or drop (listings are lazy: creating one does no I/O).
    fn gated_list<T: Send + 'static>(
        &self,
        f: impl FnOnce(&B) -> Box<dyn Iterator<Item = Result<T>> + Send>,
    ) -> Box<dyn Iterator<Item = Result<T>> + Send> {
        Box::new(LazyHeld {
            inner: f(&self.inner),
            gate: Some(Arc::clone(&self.gate)),
            permit: None,
        })
    }
}

#[deny(clippy::missing_trait_methods)]
impl<B: Backend> Backend for ConcurrencyLimit<B> {
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
        self.gated(|b| b.exists(path))
    }

    fn is_file(&self, path: &RemotePath) -> Result<bool> {
        self.gated(|b| b.is_file(path))
    }

    fn is_folder(&self, path: &RemotePath) -> Result<bool> {
        self.gated(|b| b.is_folder(path))
    }

    fn read(&self, path: &RemotePath) -> Result<Reader> {
        Ok(Box::new(self.gated_read(|b| b.read(path))?))
    }

    fn read_bytes(&self, path: &RemotePath) -> Result<Bytes> {
        self.gated(|b| b.read_bytes(path))
    }

    fn read_range(&self, path: &RemotePath, range: Range<u64>) -> Result<Reader> {
        Ok(Box::new(self.gated_read(|b| b.read_range(path, range))?))
    }

    fn read_versioned(
        &self,
        path: &RemotePath,
        range: Option<Range<u64>>,
    ) -> Result<(Reader, Option<ObjectVersion>)> {
        let mut version = None;
        let body = self.gated_read(|b| {
            let (body, v) = b.read_versioned(path, range)?;
            version = v;
            Ok(body)
        })?;
        Ok((Box::new(body), version))
    }

    fn read_with(&self, path: &RemotePath, opts: &ReadOptions) -> Result<Reader> {
        Ok(Box::new(self.gated_read(|b| b.read_with(path, opts))?))
    }

    fn read_seekable(&self, path: &RemotePath) -> Result<SeekReader> {
        // A seekable reader may seek back after its end: it keeps the permit until dropped.
        let mut reader = self.gated_read(|b| b.read_seekable(path))?;
        reader.until_drop = true;
        Ok(Box::new(reader))
    }

    fn write(
        &self,
        path: &RemotePath,
        content: Content<'_>,
        mode: WriteMode,
        opts: &WriteOptions,
    ) -> Result<WriteResult> {
        self.gated(|b| b.write(path, content, mode, opts))
    }

    fn delete(&self, path: &RemotePath, opts: &DeleteOptions) -> Result<()> {
        self.gated(|b| b.delete(path, opts))
    }

    fn delete_many(&self, paths: &[RemotePath], opts: &DeleteOptions) -> Vec<Result<()>> {
        self.gated(|b| b.delete_many(paths, opts))
    }

    fn delete_folder(&self, path: &RemotePath, opts: &DeleteFolderOptions) -> Result<()> {
        self.gated(|b| b.delete_folder(path, opts))
    }

    fn list_files(&self, path: &RemotePath, opts: &ListOptions) -> FileIter {
        self.gated_list(|b| b.list_files(path, opts))
    }

    fn list_folders(&self, path: &RemotePath) -> FolderIter {
        self.gated_list(|b| b.list_folders(path))
    }

    fn iter_children(&self, path: &RemotePath) -> EntryIter {
        self.gated_list(|b| b.iter_children(path))
    }

    fn glob(&self, pattern: &GlobPattern) -> FileIter {
        self.gated_list(|b| b.glob(pattern))
    }

    fn get_file_info(&self, path: &RemotePath) -> Result<FileInfo> {
        self.gated(|b| b.get_file_info(path))
    }

    fn get_folder_info(&self, path: &RemotePath) -> Result<FolderInfo> {
        self.gated(|b| b.get_folder_info(path))
    }

    fn copy_file(&self, src: &RemotePath, dst: &RemotePath, opts: &CopyOptions) -> Result<()> {
        self.gated(|b| b.copy_file(src, dst, opts))
    }

    fn move_file(&self, src: &RemotePath, dst: &RemotePath, opts: &MoveOptions) -> Result<()> {
        self.gated(|b| b.move_file(src, dst, opts))
    }

    fn ping(&self) -> Result<()> {
        self.gated(|b| b.ping())
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
        self.inner.close()
    }
}

/// A reader or listing holding a permit until its end, its first error or its drop
/// (only its drop when `until_drop`).
struct Held<T> {
    inner: T,
    permit: Option<OwnedGatePermit>,
    until_drop: bool,
}

impl<R: Read> Read for Held<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let result = self.inner.read(buf);
        match &result {
            _ if self.until_drop => {}
            Ok(0) if !buf.is_empty() => self.permit = None,
            Err(e) if e.kind() != io::ErrorKind::Interrupted => self.permit = None,
            _ => {}
        }
        result
    }
}

impl<R: Seek> Seek for Held<R> {
    fn seek(&mut self, pos: SeekFrom) -> io::Result<u64> {
        self.inner.seek(pos)
    }
}

/// A listing that takes a permit from `gate` on its first `next` and frees it at its end
/// or drop.
struct LazyHeld<I> {
    inner: I,
    gate: Option<Arc<Gate>>,
    permit: Option<OwnedGatePermit>,
}

impl<T, I: Iterator<Item = Result<T>>> Iterator for LazyHeld<I> {
    type Item = Result<T>;

    fn next(&mut self) -> Option<Result<T>> {
        if let Some(gate) = self.gate.take() {
            self.permit = Some(gate.acquire_owned());
        }
        let item = self.inner.next();
        if item.is_none() {
            self.permit = None;
        }
        item
    }
}
