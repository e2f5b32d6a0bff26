//! Mapping SDK failures to [`ErrorKind`]s — by HTTP status and S3 error code, never by
//! message text. Shared by both halves (the sync half is the async half behind
//! `BlockingAdapter`).

use std::error::Error as StdError;

use aws_credential_types::provider::error::CredentialsError;
use aws_sdk_s3::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_s3::primitives::ByteStreamError;
use remote_store_core::{Error, ErrorKind};

/// The backend name carried by every error.
pub(crate) const BACKEND: &str = "s3";

/// What a failed request told us: the HTTP status and the S3 error code, when there was a
/// response.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Failure {
    pub(crate) status: Option<u16>,
    pub(crate) code: Option<String>,
}

impl Failure {
    /// Reads status and code off an SDK error.
    pub(crate) fn of<E: ProvideErrorMetadata>(err: &SdkError<E>) -> Self {
        Failure {
            status: err.raw_response().map(|r| r.status().as_u16()),
            code: err.code().map(str::to_owned),
        }
    }

    /// `404` or a "no such ..." code.
    pub(crate) fn is_not_found(&self) -> bool {
        classify(self.status, self.code.as_deref()) == Some(ErrorKind::NotFound)
    }

    /// `403` or an access-denied code.
    pub(crate) fn is_permission_denied(&self) -> bool {
        classify(self.status, self.code.as_deref()) == Some(ErrorKind::PermissionDenied)
    }

    /// The bucket does not exist (by its error code, which only answers with a body carry:
    /// a `HeadObject`/`HeadBucket` 404 has none).
    pub(crate) fn is_missing_bucket(&self) -> bool {
        self.code.as_deref() == Some("NoSuchBucket")
    }

    /// A conditional request lost: `412 PreconditionFailed`, or `409
    /// ConditionalRequestConflict` (a concurrent conditional write on the same key).
    pub(crate) fn is_precondition_failed(&self) -> bool {
        self.status == Some(412)
            || self.code.as_deref() == Some("PreconditionFailed")
            || self.code.as_deref() == Some("ConditionalRequestConflict")
    }

    /// `416 InvalidRange` (S3), or `400 InvalidArgument` (s3s-fs): the range may start at
    /// or past the end of the object — the caller checks the size before concluding so.
    pub(crate) fn may_be_unsatisfiable_range(&self) -> bool {
        self.status == Some(416)
            || matches!(
                self.code.as_deref(),
                Some("InvalidRange" | "InvalidArgument")
            )
    }

    /// A 5xx answer. Servers that keep objects as files (s3s-fs) answer a `HeadObject` or
    /// `GetObject` of a key that is also a folder prefix with `500`: callers check whether
    /// the path is a folder before reporting it.
    pub(crate) fn is_server_error(&self) -> bool {
        self.status.is_some_and(|s| s >= 500)
    }
}

/// The kind an S3 error code or HTTP status stands for (`None`: nothing recognised).
pub(crate) fn classify(status: Option<u16>, code: Option<&str>) -> Option<ErrorKind> {
    let by_code = code.and_then(|code| {
        Some(match code {
            "NoSuchKey" | "NoSuchBucket" | "NotFound" | "NoSuchUpload" | "NoSuchVersion" => {
                ErrorKind::NotFound
            }
            "AccessDenied"
            | "Forbidden"
            | "InvalidAccessKeyId"
            | "SignatureDoesNotMatch"
            | "ExpiredToken"
            | "InvalidToken"
            | "TokenRefreshRequired"
            | "AllAccessDisabled"
            | "AccountProblem"
            | "InvalidSecurity"
            | "MissingSecurityHeader"
            | "NotSignedUp"
            | "RequestTimeTooSkewed"
            | "AuthorizationHeaderMalformed" => ErrorKind::PermissionDenied,
            "SlowDown"
            | "ServiceUnavailable"
            | "InternalError"
            | "RequestTimeout"
            | "Throttling"
            | "ThrottlingException"
            | "RequestThrottled"
            | "OperationAborted"
            | "RequestLimitExceeded"
            | "BandwidthLimitExceeded" => ErrorKind::BackendUnavailable,
            "PreconditionFailed" | "ConditionalRequestConflict" => ErrorKind::PreconditionFailed,
            "NotModified" => ErrorKind::NotModified,
            "InvalidArgument"
            | "InvalidRequest"
            | "EntityTooLarge"
            | "EntityTooSmall"
            | "KeyTooLongError"
            | "MetadataTooLarge"
            | "InvalidPart"
            | "InvalidPartOrder"
            | "InvalidBucketName"
            | "InvalidDigest"
            | "BadDigest"
            | "InvalidStorageClass" => ErrorKind::InvalidArgument,
            _ => return None,
        })
    });
    by_code.or_else(|| {
        Some(match status? {
            404 => ErrorKind::NotFound,
            304 => ErrorKind::NotModified,
            412 => ErrorKind::PreconditionFailed,
            401 | 403 => ErrorKind::PermissionDenied,
            408 | 429 | 500..=599 => ErrorKind::BackendUnavailable,
            _ => return None,
        })
    })
}

/// Maps an SDK error for the request about `key` (a backend key, "" for the root).
pub(crate) fn from_sdk<E>(err: SdkError<E>, key: &str) -> Error
where
    E: ProvideErrorMetadata + StdError + Send + Sync + 'static,
{
    let failure = Failure::of(&err);
    let error = match &err {
        SdkError::ServiceError(_) => {
            let kind =
                classify(failure.status, failure.code.as_deref()).unwrap_or(ErrorKind::Other);
            let mut why = String::from("S3");
            if let Some(code) = &failure.code {
                why.push(' ');
                why.push_str(code);
            }
            if let Some(status) = failure.status {
                why.push_str(&format!(" (HTTP {status})"));
            }
            Error::new(kind).with_message(why)
        }
        SdkError::TimeoutError(_) => Error::unavailable("the request timed out"),
        SdkError::DispatchFailure(dispatch) => match credentials_error(&err) {
            Some(CredentialsError::ProviderTimedOut(_)) => {
                Error::unavailable("loading credentials timed out")
            }
            Some(_) => Error::permission_denied("no usable AWS credentials"),
            None if dispatch.is_timeout() => Error::unavailable("the request timed out"),
            None => Error::unavailable(match io_cause(&err) {
                Some(kind) => format!(
                    "the request could not be sent ({kind}): check the endpoint and that the \
                     server is up"
                ),
                None => "the request could not be sent: check the endpoint (its host must \
                         resolve) and that the server is up"
                    .to_owned(),
            }),
        },
        SdkError::ResponseError(_) => Error::unavailable("the response could not be read"),
        SdkError::ConstructionFailure(_) => match credentials_error(&err) {
            Some(_) => Error::permission_denied("no usable AWS credentials"),
            None => Error::new(ErrorKind::Other).with_message("the request could not be built"),
        },
        _ => Error::new(ErrorKind::Other).with_message("unexpected SDK failure"),
    };
    finish(error, key).with_source(err)
}

/// Maps a failure while streaming a response body: the connection broke or stalled.
pub(crate) fn from_body(err: ByteStreamError, key: &str) -> Error {
    finish(Error::unavailable("the response body was interrupted"), key).with_source(err)
}

/// A streamed body produced nothing for longer than the read timeout.
pub(crate) fn body_stalled(key: &str) -> Error {
    finish(
        Error::unavailable("no data arrived within the read timeout"),
        key,
    )
}

/// Adds the path (the store adds the backend name and the operation).
pub(crate) fn finish(error: Error, key: &str) -> Error {
    error.with_path(key)
}

/// The kind of the I/O error somewhere in `err`'s source chain, when it names a cause
/// (`connection refused`, `connection reset`, ...): by type, never by message text.
fn io_cause(err: &(dyn StdError + 'static)) -> Option<std::io::ErrorKind> {
    let mut next: Option<&(dyn StdError + 'static)> = Some(err);
    while let Some(e) = next {
        if let Some(io) = e.downcast_ref::<std::io::Error>() {
            use std::io::ErrorKind as K;
            let named = matches!(
                io.kind(),
                K::ConnectionRefused
                    | K::ConnectionReset
                    | K::ConnectionAborted
                    | K::NotConnected
                    | K::AddrNotAvailable
                    | K::HostUnreachable
                    | K::NetworkUnreachable
                    | K::BrokenPipe
                    | K::TimedOut
                    | K::PermissionDenied
            );
            return named.then(|| io.kind());
        }
        next = e.source();
    }
    None
}

/// The credentials failure somewhere in `err`'s source chain, if any.
fn credentials_error<'a>(err: &'a (dyn StdError + 'static)) -> Option<&'a CredentialsError> {
    let mut next: Option<&'a (dyn StdError + 'static)> = Some(err);
    while let Some(e) = next {
        if let Some(found) = e.downcast_ref::<CredentialsError>() {
            return Some(found);
        }
        next = e.source();
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_outrank_statuses() {
        use ErrorKind::*;
        let cases = [
            (Some(404), Some("NoSuchKey"), Some(NotFound)),
            (Some(404), Some("NoSuchBucket"), Some(NotFound)),
            (Some(404), None, Some(NotFound)),
            (
                Some(403),
                Some("InvalidAccessKeyId"),
                Some(PermissionDenied),
            ),
            (
                Some(403),
                Some("SignatureDoesNotMatch"),
                Some(PermissionDenied),
            ),
            (Some(400), Some("ExpiredToken"), Some(PermissionDenied)),
            (Some(403), None, Some(PermissionDenied)),
            (Some(503), Some("SlowDown"), Some(BackendUnavailable)),
            (Some(500), Some("InternalError"), Some(BackendUnavailable)),
            (Some(502), None, Some(BackendUnavailable)),
            (Some(429), None, Some(BackendUnavailable)),
            (Some(400), Some("EntityTooSmall"), Some(InvalidArgument)),
            (Some(409), Some("BucketNotEmpty"), None),
            (None, None, None),
        ];
        for (status, code, kind) in cases {
            assert_eq!(classify(status, code), kind, "{status:?} {code:?}");
        }
    }

    #[test]
    fn failure_predicates() {
        let f = |status, code: Option<&str>| Failure {
            status,
            code: code.map(str::to_owned),
        };
        assert!(f(Some(404), None).is_not_found());
        assert!(f(Some(404), Some("NoSuchBucket")).is_missing_bucket());
        assert!(!f(Some(404), Some("NoSuchKey")).is_missing_bucket());
        assert!(!f(Some(404), None).is_missing_bucket());
        assert!(f(Some(403), None).is_permission_denied());
        assert!(f(Some(400), Some("AccessDenied")).is_permission_denied());
        assert!(f(Some(412), None).is_precondition_failed());
        assert!(f(Some(409), Some("ConditionalRequestConflict")).is_precondition_failed());
        assert!(!f(Some(409), Some("BucketNotEmpty")).is_precondition_failed());
        assert!(f(Some(416), None).may_be_unsatisfiable_range());
        assert!(f(Some(500), Some("InternalError")).is_server_error());
        assert!(!f(Some(404), None).is_server_error());
    }
}
