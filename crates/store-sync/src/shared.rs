//! `Backend` for `Arc<B>` and `Box<B>`: a shared or boxed backend (also `Arc<dyn Backend>`)
//! is a backend, so layers and adapters can wrap one.

use std::any::Any;
use std::ops::Range;
use std::sync::Arc;

use bytes::Bytes;
use remote_store_core::{
    CapabilitySet, CopyOptions, DeleteFolderOptions, DeleteOptions, FileInfo, FolderInfo,
    GlobPattern, ListOptions, MoveOptions, ReadOptions, RemotePath, Result, WriteMode,
    WriteOptions, WriteResult,
};

use crate::{Backend, Content, EntryIter, FileIter, FolderIter, Reader, SeekReader};

/// Forwards every method (the defaults included, so a native override is never bypassed)
/// to the pointee.
macro_rules! forward_backend {
    ($($ptr:ident)::+) => {
        #[deny(clippy::missing_trait_methods)]
        impl<B: Backend + ?Sized> Backend for $($ptr)::+<B> {
            fn name(&self) -> &'static str {
                (**self).name()
            }
            fn capabilities(&self) -> CapabilitySet {
                (**self).capabilities()
            }
            fn is_closed(&self) -> bool {
                (**self).is_closed()
            }
            fn exists(&self, path: &RemotePath) -> Result<bool> {
                (**self).exists(path)
            }
            fn is_file(&self, path: &RemotePath) -> Result<bool> {
                (**self).is_file(path)
            }
            fn is_folder(&self, path: &RemotePath) -> Result<bool> {
                (**self).is_folder(path)
            }
            fn read(&self, path: &RemotePath) -> Result<Reader> {
                (**self).read(path)
            }
            fn read_bytes(&self, path: &RemotePath) -> Result<Bytes> {
                (**self).read_bytes(path)
            }
            fn read_range(&self, path: &RemotePath, range: Range<u64>) -> Result<Reader> {
                (**self).read_range(path, range)
            }
            fn read_with(&self, path: &RemotePath, opts: &ReadOptions) -> Result<Reader> {
                (**self).read_with(path, opts)
            }
            fn read_versioned(
                &self,
                path: &RemotePath,
                range: Option<Range<u64>>,
            ) -> Result<(Reader, Option<remote_store_core::ObjectVersion>)> {
                (**self).read_versioned(path, range)
            }
            fn read_seekable(&self, path: &RemotePath) -> Result<SeekReader> {
                (**self).read_seekable(path)
            }
            fn write(
                &self,
                path: &RemotePath,
                content: Content<'_>,
                mode: WriteMode,
                opts: &WriteOptions,
            ) -> Result<WriteResult> {
                (**self).write(path, content, mode, opts)
            }
            fn delete(&self, path: &RemotePath, opts: &DeleteOptions) -> Result<()> {
                (**self).delete(path, opts)
            }
            fn delete_many(&self, paths: &[RemotePath], opts: &DeleteOptions) -> Vec<Result<()>> {
                (**self).delete_many(paths, opts)
            }
            fn delete_folder(&self, path: &RemotePath, opts: &DeleteFolderOptions) -> Result<()> {
                (**self).delete_folder(path, opts)
            }
            fn list_files(&self, path: &RemotePath, opts: &ListOptions) -> FileIter {
                (**self).list_files(path, opts)
            }
            fn list_folders(&self, path: &RemotePath) -> FolderIter {
                (**self).list_folders(path)
            }
            fn iter_children(&self, path: &RemotePath) -> EntryIter {
                (**self).iter_children(path)
            }
            fn glob(&self, pattern: &GlobPattern) -> FileIter {
                (**self).glob(pattern)
            }
            fn get_file_info(&self, path: &RemotePath) -> Result<FileInfo> {
                (**self).get_file_info(path)
            }
            fn get_folder_info(&self, path: &RemotePath) -> Result<FolderInfo> {
                (**self).get_folder_info(path)
            }
            fn copy_file(&self, src: &RemotePath, dst: &RemotePath, opts: &CopyOptions) -> Result<()> {
                (**self).copy_file(src, dst, opts)
            }
            fn move_file(&self, src: &RemotePath, dst: &RemotePath, opts: &MoveOptions) -> Result<()> {
                (**self).move_file(src, dst, opts)
            }
            fn ping(&self) -> Result<()> {
                (**self).ping()
            }
            fn native_path(&self, key: &RemotePath) -> Result<String> {
                (**self).native_path(key)
            }
            fn to_key(&self, native: &str) -> Result<RemotePath> {
                (**self).to_key(native)
            }
            fn native_client(&self) -> Option<&(dyn Any + Send + Sync)> {
                (**self).native_client()
            }
            fn close(&self) -> Result<()> {
                (**self).close()
            }
        }
    };
}

forward_backend!(Arc);
forward_backend!(Box);

#[cfg(test)]
mod tests {
    use super::*;

    fn is_backend<B: Backend>() {}

    #[test]
    fn shared_and_boxed_backends_are_backends() {
        is_backend::<Arc<dyn Backend>>();
        is_backend::<Box<dyn Backend>>();
    }
}
