//! How a run ends: [`Failure`] and the exit code of each kind of failure.
//!
//! | code | meaning |
//! |---|---|
//! | 0 | success |
//! | 1 | `check` found differences |
//! | 2 | invalid input: command line, config file, path, argument; unsupported operation |
//! | 3 | not found |
//! | 4 | already exists (pass `--overwrite`) |
//! | 5 | permission denied |
//! | 6 | backend unavailable (network, timeout, throttling) |
//! | 7 | partial failure: some files of a multi-file command failed, others succeeded |
//! | 10 | any other error |

use std::fmt;
use std::io;

use remote_store::{Error, ErrorKind};

/// Success.
pub(crate) const OK: u8 = 0;
/// `check` found differences.
pub(crate) const DIFFERENCES: u8 = 1;
/// Invalid input (also clap's code for a bad command line).
pub(crate) const INVALID: u8 = 2;
/// Not found.
pub(crate) const NOT_FOUND: u8 = 3;
/// Already exists.
pub(crate) const EXISTS: u8 = 4;
/// Permission denied.
pub(crate) const PERMISSION: u8 = 5;
/// Backend unavailable.
pub(crate) const UNAVAILABLE: u8 = 6;
/// Partial failure.
pub(crate) const PARTIAL: u8 = 7;
/// Any other error.
pub(crate) const OTHER: u8 = 10;

/// Why a command did not succeed.
#[derive(Debug)]
pub(crate) enum Failure {
    /// One error from a store, the config or the local file system.
    Error(Error),
    /// `check` found this many differences (already reported).
    Differences(usize),
    /// Some items of a multi-item command failed (each already reported).
    Partial {
        /// Items that failed.
        failed: usize,
        /// Items attempted.
        total: usize,
        /// The kind every failure had, when they all had the same one.
        kind: Option<ErrorKind>,
    },
    /// stdout was closed by its reader (`rstore cat x | head`): not an error.
    BrokenPipe,
}

/// What every command returns.
pub(crate) type Outcome<T = ()> = Result<T, Failure>;

impl From<Error> for Failure {
    fn from(e: Error) -> Self {
        Failure::Error(e)
    }
}

impl From<io::Error> for Failure {
    fn from(e: io::Error) -> Self {
        if e.kind() == io::ErrorKind::BrokenPipe {
            Failure::BrokenPipe
        } else {
            Failure::Error(Error::from_io(e))
        }
    }
}

impl Failure {
    /// The process exit code.
    pub(crate) fn code(&self) -> u8 {
        match self {
            Failure::Error(e) => code_of(e.kind()),
            Failure::Differences(_) => DIFFERENCES,
            Failure::Partial {
                failed,
                total,
                kind,
            } => match kind {
                // Nothing succeeded and every failure was the same: that kind's code.
                Some(kind) if failed == total => code_of(*kind),
                _ => PARTIAL,
            },
            Failure::BrokenPipe => OK,
        }
    }

    /// Gathers the failures of a batch of `total` items into one outcome.
    pub(crate) fn of_batch(total: usize, kinds: &[ErrorKind]) -> Outcome {
        let Some(first) = kinds.first() else {
            return Ok(());
        };
        let same = kinds.iter().all(|k| k == first);
        Err(Failure::Partial {
            failed: kinds.len(),
            total,
            kind: same.then_some(*first),
        })
    }
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Failure::Error(e) => write!(f, "{e}"),
            Failure::Differences(n) => write!(f, "{n} difference(s) found"),
            Failure::Partial { failed, total, .. } => {
                write!(f, "{failed} of {total} item(s) failed")
            }
            Failure::BrokenPipe => f.write_str("broken pipe"),
        }
    }
}

/// The exit code of an error kind.
pub(crate) fn code_of(kind: ErrorKind) -> u8 {
    match kind {
        ErrorKind::NotFound => NOT_FOUND,
        ErrorKind::AlreadyExists => EXISTS,
        ErrorKind::PermissionDenied => PERMISSION,
        ErrorKind::BackendUnavailable => UNAVAILABLE,
        ErrorKind::InvalidPath
        | ErrorKind::InvalidArgument
        | ErrorKind::CapabilityNotSupported
        | ErrorKind::DirectoryNotEmpty => INVALID,
        // No command sends a condition (`if_match` and friends); a move whose source
        // changed during its copy (the source is kept) is "any other error".
        ErrorKind::PreconditionFailed | ErrorKind::NotModified => OTHER,
        _ => OTHER,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_kind_has_its_code() {
        assert_eq!(code_of(ErrorKind::NotFound), 3);
        assert_eq!(code_of(ErrorKind::AlreadyExists), 4);
        assert_eq!(code_of(ErrorKind::PermissionDenied), 5);
        assert_eq!(code_of(ErrorKind::BackendUnavailable), 6);
        assert_eq!(code_of(ErrorKind::InvalidArgument), 2);
        assert_eq!(code_of(ErrorKind::Other), 10);
    }

    #[test]
    fn a_batch_is_partial_unless_everything_failed_alike() {
        assert!(Failure::of_batch(3, &[]).is_ok());
        let some = Failure::of_batch(3, &[ErrorKind::NotFound]).unwrap_err();
        assert_eq!(some.code(), PARTIAL);
        let all = Failure::of_batch(2, &[ErrorKind::NotFound, ErrorKind::NotFound]).unwrap_err();
        assert_eq!(all.code(), NOT_FOUND);
        let mixed =
            Failure::of_batch(2, &[ErrorKind::NotFound, ErrorKind::AlreadyExists]).unwrap_err();
        assert_eq!(mixed.code(), PARTIAL);
    }
}
