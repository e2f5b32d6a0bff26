//! [`blocking_backend!`](crate::blocking_backend): the blocking twin of an async backend,
//! declared in one line.

/// Declares the blocking twin of an async backend: a newtype over
/// [`BlockingAdapter`](crate::BlockingAdapter) that implements `remote_store_sync::Backend`
/// by forwarding every method, plus `from_async`, `as_async`, `with_own_runtime` and a
/// `Debug` that shows only the async backend's own (secret-free) `Debug`. The twin runs on
/// the runtime all blocking adapters share unless `with_own_runtime` is called.
///
/// Backends over async-only SDKs (S3, Azure, SFTP) use it so that their sync half is the
/// same code as their async half, and the forwarding exists once, here.
///
/// ```
/// # use remote_store_async::{AsyncBackend, AsyncContent, ByteStream, EntryStream, FileStream, FolderStream};
/// # use remote_store_core::*;
/// # #[derive(Debug)] pub struct AsyncThing;
/// # #[async_trait::async_trait]
/// # impl AsyncBackend for AsyncThing {
/// #     fn name(&self) -> &'static str { "thing" }
/// #     fn capabilities(&self) -> CapabilitySet { CapabilitySet::EMPTY }
/// #     async fn is_file(&self, _: &RemotePath) -> Result<bool> { Ok(false) }
/// #     async fn is_folder(&self, _: &RemotePath) -> Result<bool> { Ok(false) }
/// #     async fn read(&self, p: &RemotePath) -> Result<ByteStream> { Err(Error::not_found(p.as_str())) }
/// #     async fn write(&self, p: &RemotePath, _: AsyncContent<'_>, _: WriteMode, _: &WriteOptions) -> Result<WriteResult> { Err(Error::not_found(p.as_str())) }
/// #     async fn delete(&self, _: &RemotePath, _: &DeleteOptions) -> Result<()> { Ok(()) }
/// #     async fn delete_folder(&self, _: &RemotePath, _: &DeleteFolderOptions) -> Result<()> { Ok(()) }
/// #     fn list_files(&self, _: &RemotePath, _: &ListOptions) -> FileStream { Box::pin(futures::stream::empty()) }
/// #     fn list_folders(&self, _: &RemotePath) -> FolderStream { Box::pin(futures::stream::empty()) }
/// #     fn iter_children(&self, _: &RemotePath) -> EntryStream { Box::pin(futures::stream::empty()) }
/// #     async fn get_file_info(&self, p: &RemotePath) -> Result<FileInfo> { Err(Error::not_found(p.as_str())) }
/// # }
/// remote_store_async::blocking_backend! {
///     /// The blocking version of [`AsyncThing`].
///     pub struct Thing(AsyncThing);
/// }
///
/// let thing = Thing::from_async(AsyncThing);
/// let store = remote_store_sync::Store::new(thing, "").unwrap();
/// assert!(!store.is_file("x").unwrap());
///
/// let isolated = Thing::from_async(AsyncThing).with_own_runtime();
/// # let _ = isolated;
/// ```
#[macro_export]
macro_rules! blocking_backend {
    ($(#[$meta:meta])* $vis:vis struct $name:ident($async_ty:ty);) => {
        $(#[$meta])*
        $vis struct $name {
            adapter: $crate::BlockingAdapter<$async_ty>,
        }

        impl $name {
            /// The blocking face of an existing async backend (sharing its client).
            $vis fn from_async(backend: $async_ty) -> Self {
                $name { adapter: $crate::BlockingAdapter::new(backend) }
            }

            /// The async backend doing the work.
            $vis fn as_async(&self) -> &::std::sync::Arc<$async_ty> {
                self.adapter.inner()
            }

            /// Runs this backend on a tokio runtime of its own (two worker threads, shut
            /// down by `close`) instead of the runtime all blocking backends share; see
            /// `remote_store_async::BlockingAdapter::with_own_runtime`.
            #[must_use]
            $vis fn with_own_runtime(self) -> Self {
                $name { adapter: self.adapter.with_own_runtime() }
            }
        }

        impl ::std::fmt::Debug for $name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.debug_tuple(stringify!($name)).field(self.adapter.inner()).finish()
            }
        }

        $crate::__forward_backend!($name);
    };
}

/// Implements `Backend` for a newtype with an `adapter: BlockingAdapter<_>` field.
#[doc(hidden)]
#[macro_export]
macro_rules! __forward_backend {
    ($name:ident) => {
        #[warn(clippy::missing_trait_methods)]
        impl $crate::__private::Backend for $name {
            fn name(&self) -> &'static str {
                self.adapter.name()
            }
            fn capabilities(&self) -> $crate::__private::CapabilitySet {
                self.adapter.capabilities()
            }
            fn is_closed(&self) -> bool {
                self.adapter.is_closed()
            }
            fn exists(
                &self,
                path: &$crate::__private::RemotePath,
            ) -> $crate::__private::Result<bool> {
                self.adapter.exists(path)
            }
            fn is_file(
                &self,
                path: &$crate::__private::RemotePath,
            ) -> $crate::__private::Result<bool> {
                self.adapter.is_file(path)
            }
            fn is_folder(
                &self,
                path: &$crate::__private::RemotePath,
            ) -> $crate::__private::Result<bool> {
                self.adapter.is_folder(path)
            }
            fn read(
                &self,
                path: &$crate::__private::RemotePath,
            ) -> $crate::__private::Result<$crate::__private::Reader> {
                self.adapter.read(path)
            }
            fn read_bytes(
                &self,
                path: &$crate::__private::RemotePath,
            ) -> $crate::__private::Result<$crate::__private::Bytes> {
                self.adapter.read_bytes(path)
            }
            fn read_range(
                &self,
                path: &$crate::__private::RemotePath,
                range: ::std::ops::Range<u64>,
            ) -> $crate::__private::Result<$crate::__private::Reader> {
                self.adapter.read_range(path, range)
            }
            fn read_with(
                &self,
                path: &$crate::__private::RemotePath,
                opts: &$crate::__private::ReadOptions,
            ) -> $crate::__private::Result<$crate::__private::Reader> {
                self.adapter.read_with(path, opts)
            }
            fn read_versioned(
                &self,
                path: &$crate::__private::RemotePath,
                range: ::std::option::Option<::std::ops::Range<u64>>,
            ) -> $crate::__private::Result<(
                $crate::__private::Reader,
                ::std::option::Option<$crate::__private::ObjectVersion>,
            )> {
                self.adapter.read_versioned(path, range)
            }
            fn read_seekable(
                &self,
                path: &$crate::__private::RemotePath,
            ) -> $crate::__private::Result<$crate::__private::SeekReader> {
                self.adapter.read_seekable(path)
            }
            fn write(
                &self,
                path: &$crate::__private::RemotePath,
                content: $crate::__private::Content<'_>,
                mode: $crate::__private::WriteMode,
                opts: &$crate::__private::WriteOptions,
            ) -> $crate::__private::Result<$crate::__private::WriteResult> {
                self.adapter.write(path, content, mode, opts)
            }
            fn delete(
                &self,
                path: &$crate::__private::RemotePath,
                opts: &$crate::__private::DeleteOptions,
            ) -> $crate::__private::Result<()> {
                self.adapter.delete(path, opts)
            }
            fn delete_many(
                &self,
                paths: &[$crate::__private::RemotePath],
                opts: &$crate::__private::DeleteOptions,
            ) -> ::std::vec::Vec<$crate::__private::Result<()>> {
                self.adapter.delete_many(paths, opts)
            }
            fn delete_folder(
                &self,
                path: &$crate::__private::RemotePath,
                opts: &$crate::__private::DeleteFolderOptions,
            ) -> $crate::__private::Result<()> {
                self.adapter.delete_folder(path, opts)
            }
            fn list_files(
                &self,
                path: &$crate::__private::RemotePath,
                opts: &$crate::__private::ListOptions,
            ) -> $crate::__private::FileIter {
                self.adapter.list_files(path, opts)
            }
            fn list_folders(
                &self,
                path: &$crate::__private::RemotePath,
            ) -> $crate::__private::FolderIter {
                self.adapter.list_folders(path)
            }
            fn iter_children(
                &self,
                path: &$crate::__private::RemotePath,
            ) -> $crate::__private::EntryIter {
                self.adapter.iter_children(path)
            }
            fn glob(
                &self,
                pattern: &$crate::__private::GlobPattern,
            ) -> $crate::__private::FileIter {
                self.adapter.glob(pattern)
            }
            fn get_file_info(
                &self,
                path: &$crate::__private::RemotePath,
            ) -> $crate::__private::Result<$crate::__private::FileInfo> {
                self.adapter.get_file_info(path)
            }
            fn get_folder_info(
                &self,
                path: &$crate::__private::RemotePath,
            ) -> $crate::__private::Result<$crate::__private::FolderInfo> {
                self.adapter.get_folder_info(path)
            }
            fn copy_file(
                &self,
                src: &$crate::__private::RemotePath,
                dst: &$crate::__private::RemotePath,
                opts: &$crate::__private::CopyOptions,
            ) -> $crate::__private::Result<()> {
                self.adapter.copy_file(src, dst, opts)
            }
            fn move_file(
                &self,
                src: &$crate::__private::RemotePath,
                dst: &$crate::__private::RemotePath,
                opts: &$crate::__private::MoveOptions,
            ) -> $crate::__private::Result<()> {
                self.adapter.move_file(src, dst, opts)
            }
            fn ping(&self) -> $crate::__private::Result<()> {
                self.adapter.ping()
            }
            fn native_path(
                &self,
                key: &$crate::__private::RemotePath,
            ) -> $crate::__private::Result<String> {
                self.adapter.native_path(key)
            }
            fn to_key(
                &self,
                native: &str,
            ) -> $crate::__private::Result<$crate::__private::RemotePath> {
                self.adapter.to_key(native)
            }
            fn native_client(&self) -> Option<&(dyn ::std::any::Any + Send + Sync)> {
                self.adapter.native_client()
            }
            fn close(&self) -> $crate::__private::Result<()> {
                self.adapter.close()
            }
        }
    };
}
