//! Portable fallbacks behind [`AsyncBackend`]'s default methods, usable by backends
//! directly. The async versions of `remote_store_sync::fallback`.

use futures::StreamExt;
use remote_store_core::{
    Capability, CopyOptions, DeleteOptions, Error, FolderInfo, ListOptions, MoveOptions,
    ReadOptions, RemotePath, Result, WriteMode, WriteOptions,
};
use remote_store_sync::fallback::partial_move;

use crate::{AsyncBackend, AsyncContent, ByteStream};

/// Reads `path` (or `opts.range` of it) after checking the conditions of `opts` against
/// the file's info: two requests, not atomic. The default of `AsyncBackend::read_with`.
///
/// # Errors
/// As `AsyncBackend::read_with`.
pub async fn read_checked<B: AsyncBackend + ?Sized>(
    backend: &B,
    path: &RemotePath,
    opts: &ReadOptions,
) -> Result<ByteStream> {
    if opts.has_conditions() {
        opts.check(path.as_str(), &backend.get_file_info(path).await?)?;
    }
    match &opts.range {
        Some(range) => backend.read_range(path, range.clone()).await,
        None => backend.read(path).await,
    }
}

/// Aggregates a folder by listing it recursively.
///
/// # Errors
/// `InvalidPath` for a file, `NotFound` for a missing folder, or the listing's error.
pub async fn folder_info_by_listing<B: AsyncBackend + ?Sized>(
    backend: &B,
    path: &RemotePath,
) -> Result<FolderInfo> {
    if backend.is_file(path).await? {
        return Err(Error::invalid_path(path.as_str(), "is a file"));
    }
    let mut info = FolderInfo::new(path.clone());
    let mut files = backend.list_files(path, &ListOptions::subtree());
    while let Some(file) = files.next().await {
        info.add(&file?);
    }
    if info.file_count == 0 && !path.is_root() && !backend.is_folder(path).await? {
        return Err(Error::not_found(path.as_str()));
    }
    Ok(info)
}

/// Copies `src` to `dst` by streaming a read into a write, keeping user metadata and
/// content type.
///
/// # Errors
/// As `AsyncBackend::copy_file`.
pub async fn copy_by_streaming<B: AsyncBackend + ?Sized>(
    backend: &B,
    src: &RemotePath,
    dst: &RemotePath,
    opts: &CopyOptions,
) -> Result<()> {
    let info = backend.get_file_info(src).await?;
    if src == dst {
        return Ok(());
    }
    if backend.is_folder(dst).await? {
        return Err(Error::invalid_path(
            dst.as_str(),
            "the destination is a folder",
        ));
    }
    let mut write = WriteOptions::new().overwrite(opts.overwrite);
    write.content_type = info.content_type;
    write.metadata = info
        .metadata
        .filter(|_| backend.capabilities().supports(Capability::UserMetadata));
    let body = backend.read(src).await?;
    let chunks = body.map(|chunk| chunk.map_err(Error::into_io));
    backend
        .write(dst, AsyncContent::chunks(chunks), WriteMode::Direct, &write)
        .await
        .map(drop)
}

/// Moves by [`copy_by_streaming`] then deleting the source; a failed delete is a partial
/// failure.
///
/// # Errors
/// As `AsyncBackend::move_file`.
pub async fn move_by_copy_and_delete<B: AsyncBackend + ?Sized>(
    backend: &B,
    src: &RemotePath,
    dst: &RemotePath,
    opts: &MoveOptions,
) -> Result<()> {
    if src == dst {
        return backend.get_file_info(src).await.map(drop);
    }
    copy_by_streaming(backend, src, dst, &opts.as_copy()).await?;
    backend
        .delete(src, &DeleteOptions::new())
        .await
        .map_err(|e| partial_move(e, src, dst))
}
