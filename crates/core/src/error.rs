//! [`Error`], [`ErrorKind`] and [`Result`].

use std::fmt;

use crate::{Capability, Operation};

/// The result type of every fallible remote-store call.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// What went wrong, independent of the backend. Match on this, never on message text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorKind {
    /// The file or folder (or its bucket/container) does not exist.
    NotFound,
    /// The target exists and overwrite was not asked.
    AlreadyExists,
    /// Credentials or access rules refuse the operation.
    PermissionDenied,
    /// A malformed or unsafe path, or a path of the wrong type for the method.
    InvalidPath,
    /// The backend does not declare the capability the method needs.
    CapabilityNotSupported,
    /// The backend cannot be reached or used (network, timeout, 5xx, throttling, closed).
    BackendUnavailable,
    /// A non-recursive folder delete of a non-empty folder.
    DirectoryNotEmpty,
    /// Bad options or configuration values.
    InvalidArgument,
    /// A condition of the call did not hold: a write's `if_match` named another version (or
    /// the file is missing), or a read's `if_match`/`if_unmodified_since` failed (HTTP 412).
    PreconditionFailed,
    /// A read's `if_none_match`/`if_modified_since` found the file unchanged, so no content
    /// was returned (HTTP 304). Not a failure of the store: the caller's copy is current.
    NotModified,
    /// Anything else; the source is kept.
    Other,
}

impl ErrorKind {
    /// A short, stable, human-readable label (`"not found"`).
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorKind::NotFound => "not found",
            ErrorKind::AlreadyExists => "already exists",
            ErrorKind::PermissionDenied => "permission denied",
            ErrorKind::InvalidPath => "invalid path",
            ErrorKind::CapabilityNotSupported => "capability not supported",
            ErrorKind::BackendUnavailable => "backend unavailable",
            ErrorKind::DirectoryNotEmpty => "directory not empty",
            ErrorKind::InvalidArgument => "invalid argument",
            ErrorKind::PreconditionFailed => "precondition failed",
            ErrorKind::NotModified => "not modified",
            ErrorKind::Other => "error",
        }
    }
}

impl fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

type Source = Box<dyn std::error::Error + Send + Sync + 'static>;

/// The one error type of remote-store.
///
/// It carries a [`kind`](Self::kind), and optionally the [`path`](Self::path) it concerns,
/// the [`backend`](Self::backend) and [`operation`](Self::operation) it happened in, the
/// missing [`capability`](Self::capability), a message, and the native error as its
/// [`source`](std::error::Error::source) (kept for debugging; its type never leaks into the
/// API).
///
/// Backends set the kind, the path, a message and the source; the store that called them
/// stamps the backend name and the operation, once, on the way out. `Display` then reads
/// like `s3: write "reports/q3.csv": already exists`.
///
/// ```
/// use remote_store_core::{Error, ErrorKind, Operation};
///
/// let e = Error::already_exists("reports/q3.csv")
///     .with_backend("s3")
///     .with_operation(Operation::Write);
/// assert_eq!(e.kind(), ErrorKind::AlreadyExists);
/// assert_eq!(e.to_string(), r#"s3: write "reports/q3.csv": already exists"#);
/// ```
pub struct Error {
    kind: ErrorKind,
    path: Option<String>,
    backend: Option<&'static str>,
    operation: Option<Operation>,
    capability: Option<Capability>,
    message: Option<String>,
    retryable: bool,
    container: bool,
    source: Option<Source>,
}

impl Error {
    /// A new error of `kind`. `BackendUnavailable` errors start out retryable.
    pub fn new(kind: ErrorKind) -> Self {
        Error {
            kind,
            path: None,
            backend: None,
            operation: None,
            capability: None,
            message: None,
            retryable: kind == ErrorKind::BackendUnavailable,
            container: false,
            source: None,
        }
    }

    /// `NotFound` for `path`.
    pub fn not_found(path: impl Into<String>) -> Self {
        Self::new(ErrorKind::NotFound).with_path(path)
    }

    /// `NotFound` for the container a backend is configured with — an S3 bucket, an Azure
    /// blob container, a local or SFTP root folder — rather than for something in it.
    ///
    /// `what` names the kind of container (`"bucket"`), `name` the one that is missing and
    /// `hint` how to fix it; the message reads `bucket "reports" does not exist (check the
    /// bucket name, or create it)`. [`is_container_not_found`](Self::is_container_not_found)
    /// is true for this error, so stores never turn it into `false` or an empty listing the
    /// way they do for a missing file.
    ///
    /// ```
    /// use remote_store_core::{Error, ErrorKind};
    ///
    /// let e = Error::container_not_found("bucket", "reprots", "check the bucket name, or create it");
    /// assert_eq!(e.kind(), ErrorKind::NotFound);
    /// assert!(e.is_container_not_found());
    /// assert_eq!(
    ///     e.to_string(),
    ///     r#"not found: bucket "reprots" does not exist (check the bucket name, or create it)"#
    /// );
    /// ```
    pub fn container_not_found(what: &str, name: &str, hint: &str) -> Self {
        let mut e = Self::new(ErrorKind::NotFound).with_message(format!(
            "{what} \"{}\" does not exist ({hint})",
            name.escape_debug()
        ));
        e.container = true;
        e
    }

    /// `AlreadyExists` for `path`.
    pub fn already_exists(path: impl Into<String>) -> Self {
        Self::new(ErrorKind::AlreadyExists).with_path(path)
    }

    /// `InvalidPath` for `path`, with the reason.
    pub fn invalid_path(path: impl Into<String>, why: impl Into<String>) -> Self {
        Self::new(ErrorKind::InvalidPath)
            .with_path(path)
            .with_message(why)
    }

    /// `InvalidArgument` with the reason.
    pub fn invalid_argument(why: impl Into<String>) -> Self {
        Self::new(ErrorKind::InvalidArgument).with_message(why)
    }

    /// `DirectoryNotEmpty` for `path`.
    pub fn directory_not_empty(path: impl Into<String>) -> Self {
        Self::new(ErrorKind::DirectoryNotEmpty).with_path(path)
    }

    /// `PreconditionFailed` for `path`, with the condition that failed.
    ///
    /// ```
    /// use remote_store_core::{Error, ErrorKind};
    ///
    /// let e = Error::precondition_failed("a.txt", "etag \"2\" does not match \"1\"");
    /// assert_eq!(e.kind(), ErrorKind::PreconditionFailed);
    /// assert_eq!(e.to_string(), r#""a.txt": precondition failed: etag "2" does not match "1""#);
    /// ```
    pub fn precondition_failed(path: impl Into<String>, why: impl Into<String>) -> Self {
        Self::new(ErrorKind::PreconditionFailed)
            .with_path(path)
            .with_message(why)
    }

    /// `NotModified` for `path`, with the condition that held.
    pub fn not_modified(path: impl Into<String>, why: impl Into<String>) -> Self {
        Self::new(ErrorKind::NotModified)
            .with_path(path)
            .with_message(why)
    }

    /// `PermissionDenied` with the reason.
    pub fn permission_denied(why: impl Into<String>) -> Self {
        Self::new(ErrorKind::PermissionDenied).with_message(why)
    }

    /// `CapabilityNotSupported` naming `cap`.
    pub fn unsupported(cap: Capability) -> Self {
        let mut e = Self::new(ErrorKind::CapabilityNotSupported)
            .with_message(format!("the backend does not support '{cap}'"));
        e.capability = Some(cap);
        e
    }

    /// Retryable `BackendUnavailable` with the reason.
    pub fn unavailable(why: impl Into<String>) -> Self {
        Self::new(ErrorKind::BackendUnavailable).with_message(why)
    }

    /// Terminal `BackendUnavailable("closed")`: the backend was closed and cannot be reused.
    pub fn closed() -> Self {
        Self::new(ErrorKind::BackendUnavailable)
            .with_message("closed")
            .retryable(false)
    }

    /// `Other` wrapping `source`.
    pub fn other(source: impl Into<Source>) -> Self {
        Self::new(ErrorKind::Other).with_source(source)
    }

    /// Sets the path this error concerns.
    pub fn with_path(mut self, path: impl Into<String>) -> Self {
        self.path = Some(path.into());
        self
    }

    /// Sets the path unless one is already set.
    pub fn or_path(mut self, path: impl FnOnce() -> String) -> Self {
        if self.path.is_none() {
            self.path = Some(path());
        }
        self
    }

    /// Sets the backend name (a static label such as `"s3"`) unless one is already set.
    pub fn with_backend(mut self, backend: &'static str) -> Self {
        self.backend.get_or_insert(backend);
        self
    }

    /// Sets the operation the error happened in, unless one is already set (stores stamp
    /// it on every error they return).
    pub fn with_operation(mut self, operation: Operation) -> Self {
        self.operation.get_or_insert(operation);
        self
    }

    /// Sets a human-readable detail.
    pub fn with_message(mut self, message: impl Into<String>) -> Self {
        self.message = Some(message.into());
        self
    }

    /// Keeps the native error as the source.
    pub fn with_source(mut self, source: impl Into<Source>) -> Self {
        self.source = Some(source.into());
        self
    }

    /// Marks whether retrying may succeed. Only meaningful for `BackendUnavailable`.
    pub fn retryable(mut self, retryable: bool) -> Self {
        self.retryable = retryable;
        self
    }

    /// The same error for another item of a bulk call that failed as a whole: kind,
    /// backend, operation, capability, message and flags are copied, the path is `path`,
    /// and the source (not clonable) stays with `self`.
    pub(crate) fn copy_for(&self, path: &str) -> Error {
        Error {
            kind: self.kind,
            path: Some(path.to_owned()),
            backend: self.backend,
            operation: self.operation,
            capability: self.capability,
            message: self.message.clone(),
            retryable: self.retryable,
            container: self.container,
            source: None,
        }
    }

    /// What went wrong.
    pub fn kind(&self) -> ErrorKind {
        self.kind
    }

    /// The path the error concerns, relative to the store that reported it.
    pub fn path(&self) -> Option<&str> {
        self.path.as_deref()
    }

    /// Rewrites the path (used by stores to make it store-relative).
    pub fn map_path(mut self, f: impl FnOnce(String) -> String) -> Self {
        self.path = self.path.map(f);
        self
    }

    /// The backend that raised the error.
    pub fn backend(&self) -> Option<&'static str> {
        self.backend
    }

    /// The store operation the error happened in.
    pub fn operation(&self) -> Option<Operation> {
        self.operation
    }

    /// For `CapabilityNotSupported`: the capability that was missing.
    pub fn capability(&self) -> Option<Capability> {
        self.capability
    }

    /// The detail message, if any.
    pub fn message(&self) -> Option<&str> {
        self.message.as_deref()
    }

    /// True for a `NotFound` about the backend's container itself (the bucket, the blob
    /// container, the root folder), made by [`container_not_found`](Self::container_not_found):
    /// nothing can be found, listed, read or written until it exists.
    pub fn is_container_not_found(&self) -> bool {
        self.kind == ErrorKind::NotFound && self.container
    }

    /// True for a `BackendUnavailable` caused by a transient condition.
    pub fn is_retryable(&self) -> bool {
        self.kind == ErrorKind::BackendUnavailable && self.retryable
    }

    /// True when the operation may or may not have taken effect: a `BackendUnavailable`
    /// (a timeout, a cut connection, a server error) from an operation that changes the
    /// store (`write`, `write_atomic`, `delete`, `delete_folder`, `move_file`,
    /// `copy_file`). The request may have reached the service and been applied before the
    /// answer was lost. Every other error is definite: the operation did not happen.
    ///
    /// A caller that must know looks again: `head`/`get_file_info` for a write (compare
    /// the size, or the digest or etag of the `WriteResult` it expected), `exists` for a
    /// delete. Nothing is ever half-applied either way: an object is the old one or the
    /// new one, never a mix.
    ///
    /// ```
    /// use remote_store_core::{Error, Operation};
    ///
    /// let lost = Error::unavailable("the request timed out").with_operation(Operation::Write);
    /// assert!(lost.is_outcome_unknown());
    /// let refused = Error::already_exists("a.txt").with_operation(Operation::Write);
    /// assert!(!refused.is_outcome_unknown());
    /// let read = Error::unavailable("the request timed out").with_operation(Operation::Read);
    /// assert!(!read.is_outcome_unknown());
    /// ```
    pub fn is_outcome_unknown(&self) -> bool {
        self.kind == ErrorKind::BackendUnavailable
            && self.operation.is_some_and(Operation::is_mutation)
    }

    /// Turns this error into an [`std::io::Error`] that [`Error::from_io`] can unwrap again.
    pub fn into_io(self) -> std::io::Error {
        let kind = match self.kind {
            ErrorKind::NotFound => std::io::ErrorKind::NotFound,
            ErrorKind::AlreadyExists => std::io::ErrorKind::AlreadyExists,
            ErrorKind::PermissionDenied => std::io::ErrorKind::PermissionDenied,
            ErrorKind::InvalidArgument | ErrorKind::InvalidPath => std::io::ErrorKind::InvalidInput,
            _ => std::io::ErrorKind::Other,
        };
        std::io::Error::new(kind, self)
    }

    /// The error of a write whose *content* — the caller's reader or stream — failed: the
    /// caller's input, not the backend, so never `BackendUnavailable` (which would tell a
    /// caller or a retry layer to retry, and that the write's outcome is unknown) but
    /// `Other`, naming the cause. An [`Error`] the content carried (a store read feeding a
    /// copy, a transfer's cancellation) comes back as it was.
    ///
    /// ```
    /// use remote_store_core::{Error, ErrorKind};
    /// let cut = std::io::Error::from(std::io::ErrorKind::UnexpectedEof);
    /// let e = Error::from_content_io(cut);
    /// assert_eq!(e.kind(), ErrorKind::Other);
    /// assert!(!e.is_retryable());
    /// ```
    pub fn from_content_io(err: std::io::Error) -> Self {
        if err.get_ref().is_some_and(|inner| inner.is::<Error>()) {
            return Self::from_io(err);
        }
        let text = err.to_string();
        Error::new(ErrorKind::Other)
            .with_message(format!("the content to write failed: {text}"))
            .with_source(err)
    }

    /// Recovers an [`Error`] wrapped by [`into_io`](Self::into_io); any other I/O error
    /// becomes `Other` (or `BackendUnavailable` for connection-type kinds) with its source kept.
    pub fn from_io(err: std::io::Error) -> Self {
        if err.get_ref().is_some_and(|inner| inner.is::<Error>()) {
            let inner = err.into_inner().expect("checked above");
            return *inner.downcast::<Error>().expect("checked above");
        }
        use std::io::ErrorKind as K;
        match err.kind() {
            K::ConnectionAborted
            | K::ConnectionReset
            | K::ConnectionRefused
            | K::BrokenPipe
            | K::TimedOut
            | K::UnexpectedEof
            | K::NotConnected => Error::unavailable("connection failed").with_source(err),
            // The OS's own words ("Not a directory (os error 20)"): an `Other` error with
            // no message would say nothing at all.
            _ => {
                let text = err.to_string();
                Error::other(err).with_message(text)
            }
        }
    }
}

/// `backend: operation "path": kind: message`, each part only where known.
impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(backend) = self.backend {
            write!(f, "{backend}: ")?;
        }
        let mut context = false;
        if let Some(op) = self.operation {
            f.write_str(op.as_str())?;
            context = true;
        }
        if let Some(path) = &self.path {
            let shown = if path.is_empty() { "." } else { path.as_str() };
            let gap = if context { " " } else { "" };
            write!(f, "{gap}\"{}\"", shown.escape_debug())?;
            context = true;
        }
        if context {
            f.write_str(": ")?;
        }
        f.write_str(self.kind.as_str())?;
        if let Some(message) = &self.message {
            // A message that starts with the backend name (`"azure: ..."`) does not
            // repeat it after the stamped one.
            let message = self
                .backend
                .and_then(|b| message.strip_prefix(b)?.strip_prefix(": "))
                .unwrap_or(message);
            write!(f, ": {message}")?;
        }
        Ok(())
    }
}

impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut d = f.debug_struct("Error");
        d.field("kind", &self.kind);
        if let Some(p) = &self.path {
            d.field("path", p);
        }
        if let Some(b) = self.backend {
            d.field("backend", &b);
        }
        if let Some(op) = self.operation {
            d.field("operation", &op);
        }
        if let Some(c) = self.capability {
            d.field("capability", &c);
        }
        if let Some(m) = &self.message {
            d.field("message", m);
        }
        if self.container {
            d.field("container", &true);
        }
        if let Some(s) = &self.source {
            d.field("source", &format_args!("{s}"));
        }
        d.finish()
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.source
            .as_deref()
            .map(|s| s as &(dyn std::error::Error + 'static))
    }
}

impl From<Error> for std::io::Error {
    fn from(e: Error) -> Self {
        e.into_io()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_reads_naturally_and_is_never_empty() {
        assert_eq!(Error::new(ErrorKind::Other).to_string(), "error");
        assert_eq!(
            Error::invalid_path("", "the store root is not a file").to_string(),
            r#"".": invalid path: the store root is not a file"#
        );
        let e = Error::not_found("a/b.txt")
            .with_backend("memory")
            .with_operation(Operation::Read);
        assert_eq!(e.to_string(), r#"memory: read "a/b.txt": not found"#);
        let e = Error::unavailable("closed").with_backend("s3");
        assert_eq!(e.to_string(), "s3: backend unavailable: closed");
        let e = Error::unsupported(Capability::Glob).with_backend("memory");
        assert_eq!(e.capability(), Some(Capability::Glob));
        assert!(e.to_string().contains("'glob'"));
        let e = Error::invalid_argument("azure: `container` is empty").with_backend("azure");
        assert_eq!(
            e.to_string(),
            "azure: invalid argument: `container` is empty",
            "the backend is named once"
        );
    }

    #[test]
    fn a_missing_container_is_not_found_and_says_so() {
        let e = Error::container_not_found("bucket", "reprots", "check the bucket name")
            .with_path("a.txt")
            .with_backend("s3")
            .with_operation(Operation::Exists);
        assert_eq!(e.kind(), ErrorKind::NotFound);
        assert!(e.is_container_not_found());
        assert_eq!(
            e.to_string(),
            r#"s3: exists "a.txt": not found: bucket "reprots" does not exist (check the bucket name)"#
        );
        assert!(!Error::not_found("a.txt").is_container_not_found());
        let back = Error::from_io(e.into_io());
        assert!(back.is_container_not_found());
    }

    #[test]
    fn retryability_is_data() {
        assert!(Error::unavailable("reset").is_retryable());
        assert!(!Error::closed().is_retryable());
        assert!(!Error::not_found("x").retryable(true).is_retryable());
    }

    #[test]
    fn io_round_trip_keeps_the_error() {
        let e = Error::not_found("a/b").with_backend("s3");
        let back = Error::from_io(e.into_io());
        assert_eq!(back.kind(), ErrorKind::NotFound);
        assert_eq!(back.path(), Some("a/b"));
        assert_eq!(back.backend(), Some("s3"));
        let reset = Error::from_io(std::io::Error::from(std::io::ErrorKind::ConnectionReset));
        assert_eq!(reset.kind(), ErrorKind::BackendUnavailable);
    }
}
