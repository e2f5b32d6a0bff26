//! `AsyncBackend` for `Arc<B>` and `Box<B>`: a shared or boxed backend (also
//! `Arc<dyn AsyncBackend>`) is a backend, so layers and adapters can wrap one. This is an
//! async version of the same impls in `remote_store_sync`.

use std::any::Any;
use std::ops::Range;
use std::sync::Arc;

use async_trait::async_trait;
use bytes::Bytes;
use remote_store_core::{
    CapabilitySet, CopyOptions, DeleteFolderOptions, DeleteOptions, FileInfo, FolderInfo,
    GlobPattern, ListOptions, MoveOptions, ReadOptions, RemotePath, Result, WriteMode,
    WriteOptions, WriteResult,
};

use crate::{AsyncBackend, AsyncContent, ByteStream, EntryStream, FileStream, FolderStream};

/// Forwards every method (the defaults included, so a native override is never bypassed)
/// to the pointee.
macro_rules! forward_async_backend {
    ($ptr:ident) => {
        #[deny(clippy::missing_trait_methods)]
        #[async_trait]
        impl<B: AsyncBackend + ?Sized> AsyncBackend for $ptr<B> {
            fn name(&self) -> &'static str {
                (**self).name()
            }
            fn capabilities(&self) -> CapabilitySet {
                (**self).capabilities()
            }
            fn is_closed(&self) -> bool {
                (**self).is_closed()
            }
            async fn exists(&self, path: &RemotePath) -> Result<bool> {
                (**self).exists(path).await
            }
            async fn is_file(&self, path: &RemotePath) -> Result<bool> {
                (**self).is_file(path).await
            }
            async fn is_folder(&self, path: &RemotePath) -> Result<bool> {
                (**self).is_folder(path).await
            }
            async fn read(&self, path: &RemotePath) -> Result<ByteStream> {
                (**self).read(path).await
            }
            async fn read_bytes(&self, path: &RemotePath) -> Result<Bytes> {
                (**self).read_bytes(path).await
            }
            async fn read_range(&self, path: &RemotePath, range: Range<u64>) -> Result<ByteStream> {
                (**self).read_range(path, range).await
            }
            async fn read_with(&self, path: &RemotePath, opts: &ReadOptions) -> Result<ByteStream> {
                (**self).read_with(path, opts).await
            }
            async fn read_versioned(
                &self,
                path: &RemotePath,
                range: Option<Range<u64>>,
            ) -> Result<(ByteStream, Option<remote_store_core::ObjectVersion>)> {
                (**self).read_versioned(path, range).await
            }
            async fn write(
                &self,
                path: &RemotePath,
                content: AsyncContent<'_>,
                mode: WriteMode,
                opts: &WriteOptions,
            ) -> Result<WriteResult> {
                (**self).write(path, content, mode, opts).await
            }
            async fn delete(&self, path: &RemotePath, opts: &DeleteOptions) -> Result<()> {
                (**self).delete(path, opts).await
            }
            async fn delete_many(
                &self,
                paths: &[RemotePath],
                opts: &DeleteOptions,
            ) -> Vec<Result<()>> {
                (**self).delete_many(paths, opts).await
            }
            async fn delete_folder(
                &self,
                path: &RemotePath,
                opts: &DeleteFolderOptions,
            ) -> Result<()> {
                (**self).delete_folder(path, opts).await
            }
            fn list_files(&self, path: &RemotePath, opts: &ListOptions) -> FileStream {
                (**self).list_files(path, opts)
            }
            fn list_folders(&self, path: &RemotePath) -> FolderStream {
                (**self).list_folders(path)
            }
            fn iter_children(&self, path: &RemotePath) -> EntryStream {
                (**self).iter_children(path)
            }
            fn glob(&self, pattern: &GlobPattern) -> FileStream {
                (**self).glob(pattern)
            }
            async fn get_file_info(&self, path: &RemotePath) -> Result<FileInfo> {
                (**self).get_file_info(path).await
            }
            async fn get_folder_info(&self, path: &RemotePath) -> Result<FolderInfo> {
                (**self).get_folder_info(path).await
            }
            async fn copy_file(
                &self,
                src: &RemotePath,
                dst: &RemotePath,
                opts: &CopyOptions,
            ) -> Result<()> {
                (**self).copy_file(src, dst, opts).await
            }
            async fn move_file(
                &self,
                src: &RemotePath,
                dst: &RemotePath,
                opts: &MoveOptions,
            ) -> Result<()> {
                (**self).move_file(src, dst, opts).await
            }
            async fn ping(&self) -> Result<()> {
                (**self).ping().await
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
            async fn close(&self) -> Result<()> {
                (**self).close().await
            }
        }
    };
}

forward_async_backend!(Arc);
forward_async_backend!(Box);

#[cfg(test)]
mod tests {
    use super::*;

    fn is_backend<B: AsyncBackend>() {}

    #[test]
    fn shared_and_boxed_backends_are_backends() {
        is_backend::<Arc<dyn AsyncBackend>>();
        is_backend::<Box<dyn AsyncBackend>>();
    }
}
