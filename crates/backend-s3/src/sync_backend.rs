//! [`S3Backend`]: the blocking S3 backend — [`AsyncS3Backend`] driven through
//! `BlockingAdapter`, on the runtime all blocking backends share.

use remote_store_core::Result;

use crate::{AsyncS3Backend, S3Config};

remote_store_async::blocking_backend! {
    /// An S3 bucket (or a prefix in one) as a blocking [`Backend`].
    ///
    /// This is the blocking version of [`AsyncS3Backend`]: the same type does the work, on
    /// the small tokio runtime all blocking backends share (created on first use;
    /// `with_own_runtime()` gives this backend one of its own); each call is handed to it
    /// and the caller waits on a channel. So it works on any thread — including inside
    /// `#[tokio::main]` or a current-thread runtime — without "cannot start a runtime from
    /// within a runtime" panics. `read_seekable` is native: each seek starts a ranged
    /// `GetObject`.
    ///
    /// ```no_run
    /// # fn main() -> remote_store_core::Result<()> {
    /// use remote_store_s3::{S3Backend, S3Config};
    /// use remote_store_sync::Store;
    ///
    /// let config = S3Config::new("my-bucket")
    ///     .endpoint("http://127.0.0.1:9000")
    ///     .force_path_style(true)
    ///     .credentials("AKIDEXAMPLE", "secret");
    /// let store = Store::new(S3Backend::new(config)?, "reports")?;
    /// store.write("q3/summary.txt", "all good")?;
    /// assert_eq!(store.read_text("q3/summary.txt")?, "all good");
    /// # Ok(()) }
    /// ```
    pub struct S3Backend(AsyncS3Backend);
}

impl S3Backend {
    /// A backend for `config`. No network I/O happens here.
    ///
    /// # Errors
    /// `InvalidArgument` for an invalid configuration (naming the field).
    pub fn new(config: S3Config) -> Result<Self> {
        Ok(Self::from_async(AsyncS3Backend::new(config)?))
    }

    /// The SDK client (also available through `Store::native`). Feature `sdk`: the
    /// client's type belongs to the SDK, outside the semver promise.
    #[cfg(feature = "sdk")]
    #[cfg_attr(docsrs, doc(cfg(feature = "sdk")))]
    pub fn client(&self) -> &aws_sdk_s3::Client {
        self.as_async().client()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use remote_store_core::ErrorKind;

    /// A bad endpoint fails at construction, in both halves, naming it — not later as a
    /// retryable "the request could not be sent".
    #[test]
    fn a_bad_endpoint_fails_at_construction() {
        for bad in ["not a url", "ftp://x", "http://"] {
            let config = || S3Config::new("bucket").endpoint(bad);
            let errors = [
                S3Backend::new(config()).err(),
                AsyncS3Backend::new(config()).err(),
            ];
            for e in errors {
                let e = e.expect("construction must fail");
                assert_eq!(e.kind(), ErrorKind::InvalidArgument, "{e}");
                assert!(e.to_string().contains(bad), "{e}");
            }
        }
    }
}
