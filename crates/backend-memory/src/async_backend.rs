//! [`AsyncMemoryBackend`]: the async half.

use std::fmt;
use std::ops::Range;
use std::time::SystemTime;

use bytes::Bytes;
use futures::StreamExt;
use remote_store_async::{
    AsyncBackend, AsyncContent, ByteStream, EntryStream, FileStream, FolderStream, async_trait,
};
use remote_store_core::{
    CapabilitySet, Error, FileInfo, FolderInfo, RemotePath, Result, WriteOptions, WriteResult,
};
use remote_store_core::{
    CopyOptions, DeleteFolderOptions, DeleteOptions, ListOptions, MoveOptions, ReadOptions,
    WriteMode,
};

use crate::identity::{self, CAPABILITIES, NAME};
use crate::listing::Pages;
use crate::tree::{ListMode, SharedTree, slice_range};

/// Size of the chunks an async read yields (slices of the stored bytes, not copies).
pub(crate) const READ_CHUNK: usize = 64 * 1024;

/// An in-memory storage system behind an [`AsyncBackend`]. This is an async version of
/// `MemoryBackend`: the same model and the same rules (they share one implementation).
///
/// Its methods are plain `async fn`s that never wait: each takes a `parking_lot` lock for
/// one tree operation and releases it before returning or awaiting anything — no thread
/// pool, no `spawn_blocking`. Streamed writes are collected outside the lock first.
/// [`Clone`] gives another handle on the *same* contents; [`AsyncMemoryBackend::new`] makes
/// an empty, independent one.
///
/// ```
/// use remote_store_async::AsyncStore;
/// use remote_store_memory::AsyncMemoryBackend;
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> remote_store_core::Result<()> {
/// let store = AsyncStore::new(AsyncMemoryBackend::new(), "")?;
/// store.write("notes/today.txt", "hello").await?;
/// assert!(store.is_folder("notes").await?);
/// assert_eq!(store.read_text("notes/today.txt").await?, "hello");
/// # Ok(()) }
/// ```
#[derive(Clone, Default)]
pub struct AsyncMemoryBackend {
    tree: SharedTree,
}

impl AsyncMemoryBackend {
    /// An empty backend.
    pub fn new() -> Self {
        Self::default()
    }

    async fn put(
        &self,
        path: &RemotePath,
        content: AsyncContent<'_>,
        opts: &WriteOptions,
    ) -> Result<WriteResult> {
        if let AsyncContent::Stream(_) = content {
            // Refuse before consuming the stream; re-checked atomically at commit.
            self.tree.read().check_write(path, opts.overwrite)?;
        }
        // No lock is held here: the stream may take its time (or the future be dropped,
        // which leaves nothing behind).
        let data = content
            .into_bytes()
            .await
            .map_err(|e| Error::from_content_io(e).or_path(|| path.as_str().to_owned()))?;
        // Hashed before taking the lock (a no-op unless the write asked for a checksum).
        let digest = crate::identity::digest(opts, &data);
        self.tree
            .write()
            .write(path, data, opts, SystemTime::now(), digest)
    }

    fn entries(&self, path: &RemotePath, mode: ListMode) -> Pages {
        Pages::new(SharedTree::clone(&self.tree), path, mode)
    }
}

#[cfg(feature = "sync")]
impl From<crate::MemoryBackend> for AsyncMemoryBackend {
    /// An async view of the same contents as `backend`.
    fn from(backend: crate::MemoryBackend) -> Self {
        AsyncMemoryBackend {
            tree: SharedTree::clone(backend.shared_tree()),
        }
    }
}

impl fmt::Debug for AsyncMemoryBackend {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        identity::debug(&self.tree, "AsyncMemoryBackend", f)
    }
}

/// A stream over `data` in [`READ_CHUNK`] slices.
fn chunked(data: Bytes) -> ByteStream {
    let len = data.len();
    let chunks = (0..len)
        .step_by(READ_CHUNK)
        .map(move |at| Ok(data.slice(at..len.min(at + READ_CHUNK))));
    ByteStream::new(futures::stream::iter(chunks))
}

#[async_trait]
impl AsyncBackend for AsyncMemoryBackend {
    fn name(&self) -> &'static str {
        NAME
    }

    fn capabilities(&self) -> CapabilitySet {
        CAPABILITIES
    }

    async fn exists(&self, path: &RemotePath) -> Result<bool> {
        Ok(self.tree.read().exists(path))
    }

    async fn is_file(&self, path: &RemotePath) -> Result<bool> {
        Ok(self.tree.read().is_file(path))
    }

    async fn is_folder(&self, path: &RemotePath) -> Result<bool> {
        Ok(self.tree.read().is_folder(path))
    }

    async fn read(&self, path: &RemotePath) -> Result<ByteStream> {
        let data = self.tree.read().read(path)?;
        Ok(chunked(data))
    }

    async fn read_bytes(&self, path: &RemotePath) -> Result<Bytes> {
        self.tree.read().read(path)
    }

    async fn read_range(&self, path: &RemotePath, range: Range<u64>) -> Result<ByteStream> {
        let data = self.tree.read().read(path)?;
        Ok(chunked(slice_range(&data, &range)))
    }

    async fn read_with(&self, path: &RemotePath, opts: &ReadOptions) -> Result<ByteStream> {
        let data = self.tree.read().read_checked(path, opts)?;
        Ok(chunked(match &opts.range {
            Some(range) => slice_range(&data, range),
            None => data,
        }))
    }

    async fn read_versioned(
        &self,
        path: &RemotePath,
        range: Option<Range<u64>>,
    ) -> Result<(ByteStream, Option<remote_store_core::ObjectVersion>)> {
        let (data, version) = self.tree.read().read_versioned(path)?;
        let data = match range {
            Some(range) => slice_range(&data, &range),
            None => data,
        };
        Ok((chunked(data), Some(version)))
    }

    async fn write(
        &self,
        path: &RemotePath,
        content: AsyncContent<'_>,
        mode: WriteMode,
        opts: &WriteOptions,
    ) -> Result<WriteResult> {
        // Every write is all-or-nothing under the lock, and a dropped future never commits
        // anything, so both modes are the same.
        let _ = mode;
        self.put(path, content, opts).await
    }

    async fn delete(&self, path: &RemotePath, opts: &DeleteOptions) -> Result<()> {
        let missing_ok = opts.missing_ok;
        self.tree.write().delete(path, missing_ok)
    }

    async fn delete_folder(&self, path: &RemotePath, opts: &DeleteFolderOptions) -> Result<()> {
        let DeleteFolderOptions {
            recursive,
            missing_ok,
            ..
        } = *opts;
        self.tree.write().delete_folder(path, recursive, missing_ok)
    }

    fn list_files(&self, path: &RemotePath, opts: &ListOptions) -> FileStream {
        let recursive = opts.is_recursive();
        futures::stream::iter(self.entries(path, ListMode::Files { recursive }).files()).boxed()
    }

    fn list_folders(&self, path: &RemotePath) -> FolderStream {
        futures::stream::iter(self.entries(path, ListMode::Folders).folders()).boxed()
    }

    fn iter_children(&self, path: &RemotePath) -> EntryStream {
        futures::stream::iter(self.entries(path, ListMode::Children)).boxed()
    }

    async fn get_file_info(&self, path: &RemotePath) -> Result<FileInfo> {
        self.tree.read().file_info(path)
    }

    async fn get_folder_info(&self, path: &RemotePath) -> Result<FolderInfo> {
        self.tree.read().folder_info(path)
    }

    async fn copy_file(
        &self,
        src: &RemotePath,
        dst: &RemotePath,
        opts: &CopyOptions,
    ) -> Result<()> {
        let overwrite = opts.overwrite;
        self.tree
            .write()
            .copy(src, dst, overwrite, SystemTime::now())
    }

    async fn move_file(
        &self,
        src: &RemotePath,
        dst: &RemotePath,
        opts: &MoveOptions,
    ) -> Result<()> {
        let overwrite = opts.overwrite;
        self.tree.write().rename(src, dst, overwrite)
    }

    fn native_path(&self, key: &RemotePath) -> Result<String> {
        Ok(identity::native_path(key))
    }

    fn to_key(&self, native: &str) -> Result<RemotePath> {
        identity::to_key(native)
    }

    /// Nothing to release: the backend stays usable and keeps its contents.
    async fn close(&self) -> Result<()> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use std::io;

    use futures::FutureExt;
    use remote_store_async::AsyncStore;
    use remote_store_core::ErrorKind;

    use super::*;

    const _: fn() = || {
        fn send_sync<T: Send + Sync>() {}
        send_sync::<AsyncMemoryBackend>();
    };

    fn store() -> AsyncStore {
        AsyncStore::new(AsyncMemoryBackend::new(), "").unwrap()
    }

    #[tokio::test]
    async fn reads_are_64k_slices_of_the_stored_bytes() {
        let s = store();
        let data: Vec<u8> = (0..200 * 1024).map(|i| (i % 251) as u8).collect();
        s.write("big", data.clone()).await.unwrap();
        let stored = s.read_bytes("big").await.unwrap();
        let chunks: Vec<Bytes> = s
            .read("big")
            .await
            .unwrap()
            .map(|c| c.unwrap())
            .collect()
            .await;
        let sizes: Vec<usize> = chunks.iter().map(Bytes::len).collect();
        assert_eq!(sizes, [READ_CHUNK, READ_CHUNK, READ_CHUNK, 8 * 1024]);
        assert_eq!(chunks[0].as_ptr(), stored.as_ptr(), "a slice, not a copy");
        assert_eq!(chunks.concat(), data);
        let range = s
            .read_range("big", 100..70_000)
            .await
            .unwrap()
            .collect_bytes()
            .await;
        assert_eq!(&range.unwrap()[..], &data[100..70_000]);
        assert_eq!(
            s.read("nope").await.unwrap_err().kind(),
            ErrorKind::NotFound
        );
    }

    #[tokio::test]
    async fn a_failing_source_changes_nothing() {
        let s = store();
        s.write("old", "old").await.unwrap();
        for target in ["old", "dir/new"] {
            let chunks = futures::stream::iter([
                Ok(Bytes::from_static(b"partial")),
                Err(io::Error::other("source broke")),
            ]);
            let opts = WriteOptions::overwriting();
            let err = s
                .write_atomic_with(target, AsyncContent::chunks(chunks), opts)
                .await;
            assert!(err.is_err());
        }
        assert_eq!(s.read_text("old").await.unwrap(), "old");
        assert!(!s.exists("dir").await.unwrap());
    }

    #[tokio::test]
    async fn a_dropped_write_leaves_nothing() {
        let s = store();
        // One chunk, then a source that never finishes: the future is dropped mid-stream.
        let stalled = futures::stream::iter([Ok(Bytes::from_static(b"half"))])
            .chain(futures::stream::pending());
        let write = s.write_atomic("f", AsyncContent::chunks(stalled));
        assert!(write.now_or_never().is_none());
        assert!(!s.exists("f").await.unwrap());
    }

    #[cfg(feature = "sync")]
    #[tokio::test]
    async fn converts_from_the_sync_half_sharing_contents() {
        use remote_store_sync::Store;
        let sync = crate::MemoryBackend::new();
        Store::new(sync.clone(), "")
            .unwrap()
            .write("k", "v")
            .unwrap();
        let s = AsyncStore::new(AsyncMemoryBackend::from(sync), "").unwrap();
        assert_eq!(s.read_text("k").await.unwrap(), "v");
        assert!(!s.supports(remote_store_core::Capability::Glob));
    }
}
