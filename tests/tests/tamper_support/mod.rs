//! A memory backend with a few answers changed, for tests of what sits above a backend
//! (adapters, transfers): a test implements [`Tamper`] with only the calls it changes and
//! wraps it in [`Tampered`]; every other call is the memory backend's own.
#![allow(dead_code, unreachable_pub)]

use std::ops::Range;

use remote_store_core::{
    CapabilitySet, DeleteFolderOptions, DeleteOptions, FileInfo, ListOptions, RemotePath, Result,
    WriteMode, WriteOptions, WriteResult,
};
use remote_store_memory::MemoryBackend;
use remote_store_sync::{Backend, Content, EntryIter, FileIter, FolderIter, Reader};

/// The calls a test may change; each one defaults to the memory backend's answer.
pub trait Tamper: std::fmt::Debug + Send + Sync + 'static {
    /// The memory backend behind the changes (clones share its files).
    fn inner(&self) -> &MemoryBackend;

    fn capabilities(&self) -> CapabilitySet {
        self.inner().capabilities()
    }

    fn read(&self, path: &RemotePath) -> Result<Reader> {
        self.inner().read(path)
    }

    fn read_range(&self, path: &RemotePath, range: Range<u64>) -> Result<Reader> {
        self.inner().read_range(path, range)
    }

    fn write(
        &self,
        path: &RemotePath,
        content: Content<'_>,
        mode: WriteMode,
        opts: &WriteOptions,
    ) -> Result<WriteResult> {
        self.inner().write(path, content, mode, opts)
    }

    fn list_files(&self, path: &RemotePath, opts: &ListOptions) -> FileIter {
        self.inner().list_files(path, opts)
    }

    fn get_file_info(&self, path: &RemotePath) -> Result<FileInfo> {
        self.inner().get_file_info(path)
    }
}

/// A [`Backend`] made of a [`Tamper`].
#[derive(Debug)]
pub struct Tampered<T>(pub T);

impl<T: Tamper> Backend for Tampered<T> {
    fn name(&self) -> &'static str {
        "tampered"
    }
    fn capabilities(&self) -> CapabilitySet {
        self.0.capabilities()
    }
    fn is_file(&self, path: &RemotePath) -> Result<bool> {
        self.0.inner().is_file(path)
    }
    fn is_folder(&self, path: &RemotePath) -> Result<bool> {
        self.0.inner().is_folder(path)
    }
    fn read(&self, path: &RemotePath) -> Result<Reader> {
        self.0.read(path)
    }
    fn read_range(&self, path: &RemotePath, range: Range<u64>) -> Result<Reader> {
        self.0.read_range(path, range)
    }
    fn write(
        &self,
        path: &RemotePath,
        content: Content<'_>,
        mode: WriteMode,
        opts: &WriteOptions,
    ) -> Result<WriteResult> {
        self.0.write(path, content, mode, opts)
    }
    fn delete(&self, path: &RemotePath, opts: &DeleteOptions) -> Result<()> {
        self.0.inner().delete(path, opts)
    }
    fn delete_folder(&self, path: &RemotePath, opts: &DeleteFolderOptions) -> Result<()> {
        self.0.inner().delete_folder(path, opts)
    }
    fn list_files(&self, path: &RemotePath, opts: &ListOptions) -> FileIter {
        self.0.list_files(path, opts)
    }
    fn list_folders(&self, path: &RemotePath) -> FolderIter {
        self.0.inner().list_folders(path)
    }
    fn iter_children(&self, path: &RemotePath) -> EntryIter {
        self.0.inner().iter_children(path)
    }
    fn get_file_info(&self, path: &RemotePath) -> Result<FileInfo> {
        self.0.get_file_info(path)
    }
}
