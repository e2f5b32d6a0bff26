//! SDK errors → [`ErrorKind`]s, by HTTP status and `x-ms-error-code`, never by message
//! text. Shared by both halves (the sync half is the async one behind an adapter).

use std::fmt;

use azure_core::error::ErrorKind as AzErrorKind;
use remote_store_core::{Error, ErrorKind};

/// The backend name stamped on every error.
pub(crate) const BACKEND: &str = "azure";

/// What a failed service call looked like on the wire. It replaces the SDK error as the
/// `source` of a mapped error, because the SDK keeps the response body in its message, and
/// an authentication failure's body may quote the request's signature.
#[derive(Debug)]
pub(crate) struct ServiceError {
    status: u16,
    code: Option<String>,
}

impl fmt::Display for ServiceError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "HTTP {}", self.status)?;
        if let Some(code) = &self.code {
            write!(f, " ({code})")?;
        }
        Ok(())
    }
}

impl std::error::Error for ServiceError {}

/// The HTTP status and service error code of an SDK error, when it is a service answer.
pub(crate) fn status_of(err: &azure_core::Error) -> Option<(u16, Option<&str>)> {
    match err.kind() {
        AzErrorKind::HttpResponse {
            status, error_code, ..
        } => Some((u16::from(*status), error_code.as_deref())),
        _ => None,
    }
}

/// Whether the service said "not found" (404 with any code: `BlobNotFound`,
/// `ContainerNotFound`, `ResourceNotFound`).
pub(crate) fn is_not_found(err: &azure_core::Error) -> bool {
    matches!(status_of(err), Some((404, _)))
}

/// Whether the service said the container does not exist (`404 ContainerNotFound`; the
/// code also comes with answers that have no body, in `x-ms-error-code`).
pub(crate) fn is_container_not_found(err: &azure_core::Error) -> bool {
    matches!(status_of(err), Some((404, Some("ContainerNotFound"))))
}

/// The error for every operation while the container `container` does not exist, for a
/// request about `key` ([`Error::is_container_not_found`]).
pub(crate) fn container_missing(container: &str, key: &str) -> Error {
    Error::container_not_found(
        "container",
        container,
        "check the container name, or create it",
    )
    .with_path(key)
}

/// [`map_at`], except that `ContainerNotFound` becomes the missing-container error naming
/// `container`.
pub(crate) fn map_in(err: azure_core::Error, key: &str, container: &str) -> Error {
    if is_container_not_found(&err) {
        container_missing(container, key).with_source(map_at(err, key))
    } else {
        map_at(err, key)
    }
}

/// `err` as the missing-container error when the service answer behind it (its source,
/// a [`ServiceError`]) was `404 ContainerNotFound`; unchanged otherwise. For paths that map errors before they
/// know which container they talk to (uploads).
pub(crate) fn in_container(err: Error, key: &str, container: &str) -> Error {
    let missing = err.kind() == ErrorKind::NotFound
        && !err.is_container_not_found()
        && std::error::Error::source(&err)
            .and_then(|s| s.downcast_ref::<ServiceError>())
            .is_some_and(|s| s.status == 404 && s.code.as_deref() == Some("ContainerNotFound"));
    if missing {
        container_missing(container, key).with_source(err)
    } else {
        err
    }
}

/// Whether a condition of the request did not hold (412: `If-Match` on a blob that was
/// replaced since).
pub(crate) fn is_precondition_failed(err: &azure_core::Error) -> bool {
    matches!(status_of(err), Some((412, _)))
}

/// Whether the service refused a range that starts at or past the end (416).
pub(crate) fn is_invalid_range(err: &azure_core::Error) -> bool {
    matches!(status_of(err), Some((416, _)))
}

/// For a request that carried conditions (`If-Match` and friends): `412 ConditionNotMet`
/// is `PreconditionFailed` and `304` is `NotModified`, rather than what [`map_at`] makes of
/// them (it reads a 412 as a failed `If-None-Match: *`, i.e. `AlreadyExists`). With
/// `missing_fails` (a write's `If-Match`), a `404` for the blob is `PreconditionFailed` too:
/// there is no version to match. `None` for any other answer.
pub(crate) fn condition_failed(
    err: &azure_core::Error,
    key: &str,
    missing_fails: bool,
) -> Option<Error> {
    let (status, code) = status_of(err)?;
    let kind = match status {
        412 => ErrorKind::PreconditionFailed,
        304 => ErrorKind::NotModified,
        404 if missing_fails && code != Some("ContainerNotFound") => ErrorKind::PreconditionFailed,
        _ => return None,
    };
    let message = ServiceError {
        status,
        code: code.map(str::to_owned),
    }
    .to_string();
    Some(Error::new(kind).with_message(message).with_path(key))
}

/// The kind (and retryability) for a service answer.
fn classify(status: u16, code: Option<&str>) -> (ErrorKind, bool) {
    match (status, code) {
        (404, _) => (ErrorKind::NotFound, false),
        (401 | 403, _) => (ErrorKind::PermissionDenied, false),
        (409, Some("BlobAlreadyExists" | "ContainerAlreadyExists")) => {
            (ErrorKind::AlreadyExists, false)
        }
        // A blob under another client's lease (`LeaseIdMissing`, `LeaseIdMismatch...`,
        // `LeaseNotPresent...`): refused until the lease ends, not a condition of ours.
        (412, Some(code)) if code.starts_with("Lease") => (ErrorKind::PermissionDenied, false),
        // Conditions are `If-None-Match: *` (overwrite = false); the one `If-Match` (undoing
        // a refused write) is recognised by `is_precondition_failed` before mapping.
        (412, _) => (ErrorKind::AlreadyExists, false),
        (409, Some("ContainerBeingDeleted" | "ContainerBeingDisabled")) => {
            (ErrorKind::BackendUnavailable, true)
        }
        (400 | 411 | 413 | 414 | 416, _) => (ErrorKind::InvalidArgument, false),
        (408 | 429 | 500 | 502 | 503 | 504, _) => (ErrorKind::BackendUnavailable, true),
        (500..=599, _) => (ErrorKind::BackendUnavailable, false),
        _ => (ErrorKind::Other, false),
    }
}

/// Maps an SDK error to our [`Error`] (without a path; callers add it).
pub(crate) fn map(err: azure_core::Error) -> Error {
    let mapped = match err.kind() {
        AzErrorKind::HttpResponse {
            status, error_code, ..
        } => {
            let status = u16::from(*status);
            let code = error_code.clone();
            let (kind, retryable) = classify(status, code.as_deref());
            let source = ServiceError { status, code };
            let message = source.to_string();
            return Error::new(kind)
                .with_message(message)
                .with_source(source)
                .retryable(retryable);
        }
        AzErrorKind::Connection => Error::unavailable("cannot connect to the Blob service"),
        AzErrorKind::Io => Error::unavailable("the connection to the Blob service failed"),
        AzErrorKind::Credential => {
            Error::permission_denied("cannot obtain an Entra ID token for the Blob service")
        }
        AzErrorKind::DataConversion => {
            Error::new(ErrorKind::Other).with_message("unexpected data from the Blob service")
        }
        _ => Error::new(ErrorKind::Other).with_message("the Blob service call failed"),
    };
    mapped.with_source(err)
}

/// [`map`], with the key the error concerns.
pub(crate) fn map_at(err: azure_core::Error, key: &str) -> Error {
    map(err).with_path(key)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_mapped_container_not_found_is_recognised_later() {
        let mapped = Error::new(ErrorKind::NotFound).with_source(ServiceError {
            status: 404,
            code: Some("ContainerNotFound".into()),
        });
        assert!(in_container(mapped, "a.txt", "c").is_container_not_found());
        let blob = Error::new(ErrorKind::NotFound).with_source(ServiceError {
            status: 404,
            code: Some("BlobNotFound".into()),
        });
        assert!(!in_container(blob, "a.txt", "c").is_container_not_found());
    }

    #[test]
    fn classification_by_status_and_code() {
        assert_eq!(classify(404, Some("BlobNotFound")).0, ErrorKind::NotFound);
        assert_eq!(
            classify(404, Some("ContainerNotFound")).0,
            ErrorKind::NotFound
        );
        assert_eq!(
            classify(403, Some("AuthorizationFailure")).0,
            ErrorKind::PermissionDenied
        );
        assert_eq!(
            classify(409, Some("BlobAlreadyExists")).0,
            ErrorKind::AlreadyExists
        );
        assert_eq!(
            classify(412, Some("ConditionNotMet")).0,
            ErrorKind::AlreadyExists
        );
        assert_eq!(classify(409, Some("LeaseIdMissing")).0, ErrorKind::Other);
        assert_eq!(
            classify(503, Some("ServerBusy")),
            (ErrorKind::BackendUnavailable, true)
        );
        assert_eq!(
            classify(400, Some("InvalidMetadata")).0,
            ErrorKind::InvalidArgument
        );
    }

    fn service(status: u16, code: &str) -> azure_core::Error {
        azure_core::Error::new(
            AzErrorKind::HttpResponse {
                status: status.into(),
                error_code: Some(code.to_owned()),
                raw_response: None,
            },
            "service error",
        )
    }

    #[test]
    fn a_missing_container_names_the_container() {
        let e = map_in(service(404, "ContainerNotFound"), "a.txt", "reprots");
        assert!(e.is_container_not_found());
        assert_eq!(e.path(), Some("a.txt"));
        assert!(
            e.to_string()
                .contains(r#"container "reprots" does not exist"#),
            "{e}"
        );
        let e = map_in(service(404, "BlobNotFound"), "a.txt", "reprots");
        assert_eq!(e.kind(), ErrorKind::NotFound);
        assert!(!e.is_container_not_found());
    }

    #[test]
    fn transport_errors_are_retryable_unavailable() {
        let e = map(azure_core::Error::with_message(AzErrorKind::Io, "reset"));
        assert_eq!(e.kind(), ErrorKind::BackendUnavailable);
        assert!(e.is_retryable());
        assert_eq!(
            e.backend(),
            None,
            "the store stamps the backend, not the mapping"
        );
    }
}
