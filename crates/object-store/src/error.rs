//! Error mapping: remote-store's [`ErrorKind`] to object_store's [`Error`], kind for kind.

use object_store::Error;
use object_store::path::Path;
use remote_store_core::ErrorKind;

/// The `store` label of `Generic` errors.
pub(crate) const STORE: &str = "remote-store";

/// The `implementer` of `NotImplemented` errors.
pub(crate) const IMPLEMENTER: &str = "ObjectStoreAdapter";

/// Maps a remote-store error about `location` to object_store's error of the same kind.
///
/// | remote-store | object_store |
/// |---|---|
/// | `NotFound` | `NotFound` |
/// | `AlreadyExists` | `AlreadyExists` |
/// | `PermissionDenied` | `PermissionDenied` |
/// | `CapabilityNotSupported` | `NotSupported` |
/// | `PreconditionFailed` | `Precondition` |
/// | `NotModified` | `NotModified` |
/// | `InvalidPath`, `BackendUnavailable`, `DirectoryNotEmpty`, `InvalidArgument`, `Other` | `Generic` |
///
/// The remote-store error is kept as the source, so its kind, backend and operation stay
/// reachable through `std::error::Error::source`.
pub(crate) fn map(e: remote_store_core::Error, location: &Path) -> Error {
    let path = location.to_string();
    match e.kind() {
        ErrorKind::NotFound => Error::NotFound {
            path,
            source: Box::new(e),
        },
        ErrorKind::AlreadyExists => Error::AlreadyExists {
            path,
            source: Box::new(e),
        },
        ErrorKind::PermissionDenied => Error::PermissionDenied {
            path,
            source: Box::new(e),
        },
        ErrorKind::CapabilityNotSupported => Error::NotSupported {
            source: Box::new(e),
        },
        ErrorKind::PreconditionFailed => Error::Precondition {
            path,
            source: Box::new(e),
        },
        ErrorKind::NotModified => Error::NotModified {
            path,
            source: Box::new(e),
        },
        _ => generic(e),
    }
}

/// Like [`map`], but a wrong type at `location` (a folder where an object is asked for) is
/// `NotFound`: in object_store's flat namespace there is no object there.
pub(crate) fn map_object(e: remote_store_core::Error, location: &Path) -> Error {
    if e.kind() == ErrorKind::InvalidPath {
        Error::NotFound {
            path: location.to_string(),
            source: Box::new(e),
        }
    } else {
        map(e, location)
    }
}

/// `Generic` wrapping `source`.
pub(crate) fn generic(source: impl Into<Box<dyn std::error::Error + Send + Sync>>) -> Error {
    Error::Generic {
        store: STORE,
        source: source.into(),
    }
}

/// `NotImplemented` naming the operation (and the option that makes it unsupported).
pub(crate) fn not_implemented(operation: impl Into<String>) -> Error {
    Error::NotImplemented {
        operation: operation.into(),
        implementer: IMPLEMENTER.to_owned(),
    }
}
