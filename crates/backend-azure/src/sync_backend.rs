//! [`AzureBackend`]: the blocking twin of [`AsyncAzureBackend`].

use remote_store_core::Result;

use crate::{AsyncAzureBackend, AzureConfig};

remote_store_async::blocking_backend! {
    /// Azure Blob Storage as a blocking `Backend`. This is a blocking version of
    /// [`AsyncAzureBackend`]: the same backend, driven on the runtime all blocking backends
    /// share, or one of its own with `with_own_runtime()` (through
    /// `remote_store_async::BlockingAdapter`), so it works on any thread — including inside a
    /// tokio runtime — and never calls `block_on` on the caller's thread.
    ///
    /// ```no_run
    /// # fn main() -> remote_store_core::Result<()> {
    /// use remote_store_azure::{AzureAuth, AzureBackend, AzureConfig};
    /// use remote_store_sync::Store;
    ///
    /// let config = AzureConfig::new("reports", AzureAuth::AccountKey {
    ///     account: "myaccount".into(),
    ///     key: std::env::var("AZURE_STORAGE_KEY").unwrap().into(),
    /// });
    /// let store = Store::new(AzureBackend::new(config)?, "")?;
    /// store.write("q3/summary.txt", "done")?;
    /// # Ok(()) }
    /// ```
    pub struct AzureBackend(AsyncAzureBackend);
}

impl AzureBackend {
    /// A backend for `config`. No network I/O happens here.
    ///
    /// # Errors
    /// As [`AsyncAzureBackend::new`].
    pub fn new(config: AzureConfig) -> Result<Self> {
        Ok(Self::from_async(AsyncAzureBackend::new(config)?))
    }

    /// Creates the container; an existing container is fine.
    ///
    /// # Errors
    /// As [`AsyncAzureBackend::create_container`].
    pub fn create_container(&self) -> Result<()> {
        self.adapter
            .run(|b| async move { b.create_container().await })
    }

    /// Deletes the container and everything in it.
    ///
    /// # Errors
    /// As [`AsyncAzureBackend::delete_container`].
    pub fn delete_container(&self) -> Result<()> {
        self.adapter
            .run(|b| async move { b.delete_container().await })
    }

    /// How many listing pages this backend has fetched so far.
    ///
    /// A test hook (feature `test-hooks`, which only this workspace's integration tests
    /// enable): not part of the API.
    #[cfg(feature = "test-hooks")]
    #[doc(hidden)]
    pub fn list_pages_fetched(&self) -> u64 {
        self.as_async().list_pages_fetched()
    }

    /// How many HTTP requests this backend has sent so far, retries included.
    ///
    /// A test hook (feature `test-hooks`, which only this workspace's integration tests
    /// enable): not part of the API.
    #[cfg(feature = "test-hooks")]
    #[doc(hidden)]
    pub fn requests_sent(&self) -> u64 {
        self.as_async().requests_sent()
    }
}
