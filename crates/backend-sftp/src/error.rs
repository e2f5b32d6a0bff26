//! Native errors → [`Error`], shared by both halves: SFTP status codes, russh errors and
//! timeouts. Never by message text.

use remote_store_core::{Error, ErrorKind};
use russh_sftp::client::error::Error as SftpError;
use russh_sftp::protocol::StatusCode;

/// The backend name used in errors.
pub(crate) const NAME: &str = "sftp";

/// Whether an SFTP client error means the channel or connection is no longer usable
/// (as opposed to the server answering a request with a status).
pub(crate) fn is_connection_error(err: &SftpError) -> bool {
    match err {
        SftpError::Status(status) => matches!(
            status.status_code,
            StatusCode::NoConnection | StatusCode::ConnectionLost
        ),
        // The transport ended (pending requests are dropped with their senders), a request
        // timed out, or the peer broke the protocol: in each case the session is unusable.
        SftpError::IO(_)
        | SftpError::Timeout
        | SftpError::UnexpectedBehavior(_)
        | SftpError::UnexpectedPacket => true,
        SftpError::Limited(_) => false,
    }
}

/// The status code of a server answer, if it was one.
pub(crate) fn status_of(err: &SftpError) -> Option<StatusCode> {
    match err {
        SftpError::Status(status) => Some(status.status_code),
        _ => None,
    }
}

/// Maps an SFTP client error for `path` (a store key) to an [`Error`].
///
/// `Failure` (OpenSSH's answer for `EEXIST`, `EISDIR`, `ENOTEMPTY`, ...) maps to `Other`;
/// callers that can tell those cases apart do so with a follow-up `stat`, not by reading
/// the message.
pub(crate) fn map_sftp(err: SftpError, path: &str) -> Error {
    let mapped = match &err {
        SftpError::Status(status) => match status.status_code {
            StatusCode::NoSuchFile => Error::not_found(path),
            StatusCode::PermissionDenied => Error::new(ErrorKind::PermissionDenied).with_path(path),
            StatusCode::NoConnection | StatusCode::ConnectionLost => {
                Error::unavailable("SFTP connection lost").with_path(path)
            }
            StatusCode::BadMessage => Error::new(ErrorKind::InvalidPath)
                .with_path(path)
                .with_message("the server refused the name (bad message)"),
            StatusCode::OpUnsupported => Error::new(ErrorKind::Other)
                .with_path(path)
                .with_message("operation not supported by the server"),
            StatusCode::Ok | StatusCode::Eof | StatusCode::Failure => {
                Error::new(ErrorKind::Other).with_path(path)
            }
        },
        SftpError::Timeout => {
            Error::unavailable("SFTP request timed out (request_timeout)").with_path(path)
        }
        SftpError::IO(_) | SftpError::UnexpectedBehavior(_) | SftpError::UnexpectedPacket => {
            Error::unavailable("SFTP session lost").with_path(path)
        }
        SftpError::Limited(_) => Error::new(ErrorKind::Other)
            .with_path(path)
            .with_message("request exceeds the server's limits"),
    };
    mapped.with_source(err)
}

/// Maps a russh (SSH transport) error met while connecting.
pub(crate) fn map_ssh(err: russh::Error) -> Error {
    use russh::Error as E;
    let mapped = match &err {
        E::NotAuthenticated | E::NoAuthMethod => {
            Error::permission_denied("SSH authentication failed")
        }
        E::UnknownKey | E::WrongServerSig => {
            Error::permission_denied("the server's host key was not accepted")
        }
        E::KeyChanged { .. } => Error::permission_denied("the server's host key has changed"),
        _ => Error::unavailable("SSH connection failed"),
    };
    mapped.with_backend(NAME).with_source(err)
}

/// Maps an I/O error met while connecting (refused, reset, unreachable: unavailable).
pub(crate) fn map_io(err: std::io::Error, what: &str) -> Error {
    let kind = err.kind();
    let mapped = match kind {
        std::io::ErrorKind::PermissionDenied => Error::permission_denied(what.to_owned()),
        std::io::ErrorKind::NotFound | std::io::ErrorKind::InvalidData => {
            Error::invalid_argument(what.to_owned())
        }
        _ => Error::unavailable(what.to_owned()),
    };
    mapped.with_backend(NAME).with_source(err)
}

#[cfg(test)]
mod tests {
    use super::*;
    use russh_sftp::protocol::Status;

    fn status(code: StatusCode) -> SftpError {
        SftpError::Status(Status {
            id: 1,
            status_code: code,
            error_message: "whatever the server says".into(),
            language_tag: "en".into(),
        })
    }

    #[test]
    fn by_status_code() {
        assert_eq!(
            map_sftp(status(StatusCode::NoSuchFile), "a").kind(),
            ErrorKind::NotFound
        );
        assert_eq!(
            map_sftp(status(StatusCode::PermissionDenied), "a").kind(),
            ErrorKind::PermissionDenied
        );
        assert_eq!(
            map_sftp(status(StatusCode::ConnectionLost), "a").kind(),
            ErrorKind::BackendUnavailable
        );
        assert_eq!(
            map_sftp(status(StatusCode::Failure), "a").kind(),
            ErrorKind::Other
        );
        assert_eq!(
            map_sftp(SftpError::Timeout, "a").kind(),
            ErrorKind::BackendUnavailable
        );
        assert!(map_sftp(SftpError::Timeout, "a").is_retryable());
        assert!(is_connection_error(&SftpError::Timeout));
        assert!(!is_connection_error(&status(StatusCode::NoSuchFile)));
        let e = map_sftp(status(StatusCode::NoSuchFile), "x/y");
        assert_eq!(e.path(), Some("x/y"));
        assert_eq!(e.backend(), None, "the store stamps the backend");
    }
}
