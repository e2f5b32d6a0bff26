//! Native errors → [`ErrorKind`], shared by both halves.
//!
//! Errors are classified by `errno` (through `rustix::io::Errno`), then by
//! [`std::io::ErrorKind`] for errors that carry no OS code — never by message text. The
//! escape refusal is a private marker type ([`Escape`]) inside the `io::Error`, recognised
//! by type.

use std::fmt;
use std::io;

use remote_store_core::{Error, ErrorKind, RemotePath};
use rustix::io::Errno;

/// The backend name used in errors.
pub(crate) const NAME: &str = "local";

/// Marker for "resolving this path would leave the root" (a symbolic link pointing outside,
/// or an absolute symbolic link). Carried inside an `io::Error` of kind `PermissionDenied`.
#[derive(Debug)]
pub(crate) struct Escape;

impl fmt::Display for Escape {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a symbolic link on this path leads outside the store root")
    }
}

impl std::error::Error for Escape {}

/// The `io::Error` for an escape.
pub(crate) fn escape() -> io::Error {
    io::Error::new(io::ErrorKind::PermissionDenied, Escape)
}

/// True when `err` is an escape refusal.
pub(crate) fn is_escape(err: &io::Error) -> bool {
    err.get_ref().is_some_and(|inner| inner.is::<Escape>())
}

/// The errno of `err`, if it came from the OS.
pub(crate) fn errno(err: &io::Error) -> Option<Errno> {
    Errno::from_io_error(err)
}

/// True when `err` is the OS error `code`.
pub(crate) fn is(err: &io::Error, code: Errno) -> bool {
    errno(err) == Some(code)
}

/// Whether following a symbolic link failed because it leads nowhere: dangling (`ENOENT`),
/// through a file (`ENOTDIR`) or in a loop (`ELOOP`). Such a link is still a name in its
/// folder, which namespace operations act on as a file.
pub(crate) fn leads_nowhere(err: &io::Error) -> bool {
    matches!(errno(err), Some(Errno::NOENT | Errno::NOTDIR | Errno::LOOP))
}

/// The [`ErrorKind`] of a filesystem error, with the retryability it implies.
fn classify(err: &io::Error) -> (ErrorKind, bool) {
    if is_escape(err) {
        return (ErrorKind::PermissionDenied, false);
    }
    if let Some(code) = errno(err) {
        let kind = match code {
            Errno::NOENT => ErrorKind::NotFound,
            Errno::EXIST => ErrorKind::AlreadyExists,
            Errno::ACCESS | Errno::PERM | Errno::ROFS => ErrorKind::PermissionDenied,
            Errno::NOTDIR | Errno::ISDIR | Errno::NAMETOOLONG | Errno::LOOP => {
                ErrorKind::InvalidPath
            }
            Errno::NOTEMPTY => ErrorKind::DirectoryNotEmpty,
            Errno::INVAL => ErrorKind::InvalidArgument,
            Errno::AGAIN
            | Errno::INTR
            | Errno::BUSY
            | Errno::TIMEDOUT
            | Errno::MFILE
            | Errno::NFILE
            | Errno::NOMEM
            | Errno::NOBUFS => {
                return (ErrorKind::BackendUnavailable, true);
            }
            Errno::STALE | Errno::NOTCONN | Errno::HOSTDOWN | Errno::NOLINK => {
                return (ErrorKind::BackendUnavailable, true);
            }
            _ => ErrorKind::Other,
        };
        return (kind, false);
    }
    let kind = match err.kind() {
        io::ErrorKind::NotFound => ErrorKind::NotFound,
        io::ErrorKind::AlreadyExists => ErrorKind::AlreadyExists,
        io::ErrorKind::PermissionDenied => ErrorKind::PermissionDenied,
        io::ErrorKind::InvalidInput => ErrorKind::InvalidArgument,
        io::ErrorKind::Interrupted | io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut => {
            return (ErrorKind::BackendUnavailable, true);
        }
        _ => ErrorKind::Other,
    };
    (kind, false)
}

/// Maps a filesystem error about `key` to an [`Error`], keeping the native error as the
/// source.
pub(crate) fn map(err: io::Error, key: &RemotePath) -> Error {
    map_str(err, key.as_str())
}

/// As [`map`], for a key given as a string.
pub(crate) fn map_str(err: io::Error, key: &str) -> Error {
    let (kind, retryable) = classify(&err);
    let message = if is_escape(&err) {
        Some(Escape.to_string())
    } else {
        match kind {
            ErrorKind::InvalidPath if is(&err, Errno::NOTDIR) => {
                Some("a parent of this path is a file".to_owned())
            }
            ErrorKind::InvalidPath if is(&err, Errno::ISDIR) => Some("is a folder".to_owned()),
            ErrorKind::InvalidPath if is(&err, Errno::LOOP) => {
                Some("too many levels of symbolic links".to_owned())
            }
            ErrorKind::InvalidPath if is(&err, Errno::NAMETOOLONG) => {
                Some("the name is too long".to_owned())
            }
            _ => None,
        }
    };
    let mut out = Error::new(kind).with_path(key).retryable(retryable);
    if let Some(message) = message {
        out = out.with_message(message);
    }
    out.with_source(err)
}

/// Maps an error raised by the caller's content source (a reader or stream that failed),
/// which is not a filesystem error: a wrapped remote-store [`Error`] is recovered, anything
/// else keeps its source.
pub(crate) fn source_failed(err: io::Error, key: &RemotePath) -> Error {
    Error::from_io(err).or_path(|| key.as_str().to_owned())
}

/// `InvalidPath` for `key`.
pub(crate) fn invalid(key: &RemotePath, why: &str) -> Error {
    Error::invalid_path(key.as_str(), why)
}

/// `NotFound` for `key`.
pub(crate) fn not_found(key: &RemotePath) -> Error {
    Error::not_found(key.as_str())
}

/// `AlreadyExists` for `key`.
pub(crate) fn already_exists(key: &RemotePath) -> Error {
    Error::already_exists(key.as_str())
}

/// The error of a copy-then-delete move whose delete failed: the copy exists at `dst`, the
/// source was kept. Never `NotFound` (that would read as "nothing happened").
pub(crate) fn partial_move(err: Error, src: &RemotePath, dst: &RemotePath) -> Error {
    let kind = match err.kind() {
        ErrorKind::NotFound => ErrorKind::Other,
        other => other,
    };
    let retryable = err.is_retryable();
    Error::new(kind)
        .with_path(src.as_str())
        .with_message(format!(
            "partial move: copied to {dst} (across filesystems) but could not delete the source ({err})"
        ))
        .retryable(retryable)
        .with_source(err)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn os(code: Errno) -> io::Error {
        io::Error::from_raw_os_error(code.raw_os_error())
    }

    #[test]
    fn classifies_by_errno() {
        let k = RemotePath::new("a/b").unwrap();
        for (code, kind) in [
            (Errno::NOENT, ErrorKind::NotFound),
            (Errno::EXIST, ErrorKind::AlreadyExists),
            (Errno::ACCESS, ErrorKind::PermissionDenied),
            (Errno::ROFS, ErrorKind::PermissionDenied),
            (Errno::NOTDIR, ErrorKind::InvalidPath),
            (Errno::ISDIR, ErrorKind::InvalidPath),
            (Errno::NOTEMPTY, ErrorKind::DirectoryNotEmpty),
            (Errno::NOSPC, ErrorKind::Other),
            (Errno::IO, ErrorKind::Other),
        ] {
            let e = map(os(code), &k);
            assert_eq!(e.kind(), kind, "{code:?}");
            assert_eq!(e.path(), Some("a/b"));
            assert_eq!(e.backend(), None, "the store stamps the backend");
            assert!(!e.is_retryable());
        }
        let busy = map(os(Errno::MFILE), &k);
        assert_eq!(busy.kind(), ErrorKind::BackendUnavailable);
        assert!(busy.is_retryable());
    }

    #[test]
    fn escapes_are_recognised_by_type() {
        let k = RemotePath::new("link/x").unwrap();
        let e = map(escape(), &k);
        assert_eq!(e.kind(), ErrorKind::PermissionDenied);
        assert!(e.to_string().contains("outside the store root"), "{e}");
        // The same words in an ordinary error are not an escape.
        let lookalike = io::Error::other(Escape.to_string());
        assert_eq!(map(lookalike, &k).kind(), ErrorKind::Other);
    }

    #[test]
    fn source_errors_keep_a_wrapped_error() {
        let k = RemotePath::new("f").unwrap();
        let inner = Error::unavailable("upstream reset").into_io();
        let e = source_failed(inner, &k);
        assert_eq!(e.kind(), ErrorKind::BackendUnavailable);
        let plain = source_failed(io::Error::other("boom"), &k);
        assert_eq!(plain.kind(), ErrorKind::Other);
        assert_eq!(plain.path(), Some("f"));
    }
}
