//! Portable fallbacks behind [`Backend`]'s default methods, usable by backends directly.

use std::io::{self, Read, Seek, SeekFrom};
use std::ops::Range;

use bytes::Bytes;
use remote_store_core::{
    CopyOptions, DeleteOptions, Error, ErrorKind, MoveOptions, ReadOptions, RemotePath, Result,
    WriteMode, WriteOptions,
};

use crate::{Backend, Content, Reader, SeekReader};

fn io_error(err: io::Error, path: &RemotePath) -> Error {
    Error::from_io(err).or_path(|| path.as_str().to_owned())
}

/// Reads a whole stream into memory.
///
/// # Errors
/// The stream's error, mapped.
pub fn read_to_bytes(mut reader: Reader, path: &RemotePath) -> Result<Bytes> {
    let mut buf = Vec::new();
    reader
        .read_to_end(&mut buf)
        .map_err(|e| io_error(e, path))?;
    Ok(buf.into())
}

/// Reads `path` (or `opts.range` of it) after checking the conditions of `opts` against
/// the file's info: two requests, not atomic. The default of [`Backend::read_with`].
///
/// # Errors
/// As [`Backend::read_with`].
pub fn read_checked<B: Backend + ?Sized>(
    backend: &B,
    path: &RemotePath,
    opts: &ReadOptions,
) -> Result<Reader> {
    if opts.has_conditions() {
        opts.check(path.as_str(), &backend.get_file_info(path)?)?;
    }
    match &opts.range {
        Some(range) => backend.read_range(path, range.clone()),
        None => backend.read(path),
    }
}

/// Discards `range.start` bytes, then yields at most `range.end - range.start` bytes.
///
/// # Errors
/// The stream's error while skipping, mapped.
pub fn read_range_by_skipping(
    mut reader: Reader,
    range: Range<u64>,
    path: &RemotePath,
) -> Result<Reader> {
    io::copy(&mut (&mut reader).take(range.start), &mut io::sink())
        .map_err(|e| io_error(e, path))?;
    Ok(Box::new(reader.take(range.end.saturating_sub(range.start))))
}

/// Copies a stream into an anonymous temp file and returns it rewound.
///
/// # Errors
/// The stream's or the temp file's error, mapped.
pub fn spool_to_temp(mut reader: Reader, path: &RemotePath) -> Result<SeekReader> {
    let mut file = tempfile::tempfile().map_err(|e| io_error(e, path))?;
    io::copy(&mut reader, &mut file).map_err(|e| io_error(e, path))?;
    file.seek(SeekFrom::Start(0))
        .map_err(|e| io_error(e, path))?;
    Ok(Box::new(file))
}

/// Copies `src` to `dst` by streaming a read into a write, keeping user metadata and
/// content type. The destination checks are the write's own.
///
/// # Errors
/// As `Backend::copy_file`.
pub fn copy_by_streaming<B: Backend + ?Sized>(
    backend: &B,
    src: &RemotePath,
    dst: &RemotePath,
    opts: &CopyOptions,
) -> Result<()> {
    let info = backend.get_file_info(src)?;
    if src == dst {
        return Ok(());
    }
    if backend.is_folder(dst)? {
        return Err(Error::invalid_path(
            dst.as_str(),
            "the destination is a folder",
        ));
    }
    let mut write = WriteOptions::new().overwrite(opts.overwrite);
    write.content_type = info.content_type;
    write.metadata = info.metadata.filter(|_| {
        backend
            .capabilities()
            .supports(remote_store_core::Capability::UserMetadata)
    });
    let reader = backend.read(src)?;
    backend
        .write(dst, Content::Reader(reader), WriteMode::Direct, &write)
        .map(drop)
}

/// Moves by [`copy_by_streaming`] then deleting the source. A failed delete is reported
/// as a partial failure: the copy exists at `dst` and the source was kept.
///
/// # Errors
/// As `Backend::move_file`.
pub fn move_by_copy_and_delete<B: Backend + ?Sized>(
    backend: &B,
    src: &RemotePath,
    dst: &RemotePath,
    opts: &MoveOptions,
) -> Result<()> {
    if src == dst {
        return backend.get_file_info(src).map(drop);
    }
    copy_by_streaming(backend, src, dst, &opts.as_copy())?;
    backend
        .delete(src, &DeleteOptions::new())
        .map_err(|e| partial_move(e, src, dst))
}

/// The error of a copy-then-delete move whose delete failed.
pub fn partial_move(err: Error, src: &RemotePath, dst: &RemotePath) -> Error {
    let kind = if err.kind() == ErrorKind::NotFound {
        ErrorKind::Other
    } else {
        err.kind()
    };
    let retryable = err.is_retryable();
    Error::new(kind)
        .with_path(src.as_str())
        .with_message(format!(
            "partial move: copied to {dst} but could not delete the source ({err})"
        ))
        .retryable(retryable)
        .with_source(err)
}
