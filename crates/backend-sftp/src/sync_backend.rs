//! [`SftpBackend`]: the blocking SFTP backend — [`AsyncSftpBackend`] on the shared runtime of
//! the blocking backends.

use remote_store_core::Result;

use crate::async_backend::AsyncSftpBackend;
use crate::config::SftpConfig;

remote_store_async::blocking_backend! {
    /// A storage backend on an SFTP server, for the blocking `Store`. This is the blocking
    /// version of [`AsyncSftpBackend`]: the same client, driven on the small runtime all
    /// blocking backends share, or one of its own with `with_own_runtime()`
    /// (`remote_store_async::BlockingAdapter`), so it works on plain threads and also when
    /// called from inside a tokio runtime. `read_seekable` is native (ranged reads).
    ///
    /// ```no_run
    /// # fn demo() -> remote_store_core::Result<()> {
    /// use remote_store_sftp::{Auth, SftpBackend, SftpConfig};
    /// use remote_store_sync::Store;
    ///
    /// let config = SftpConfig::new("files.example.com", "deploy", Auth::key_file("/keys/id_ed25519"))
    ///     .known_hosts_file("/home/deploy/.ssh/known_hosts")
    ///     .base_path("/srv/data");
    /// let store = Store::new(SftpBackend::new(config)?, "")?;
    /// store.write("hello.txt", "hi")?;
    /// # Ok(()) }
    /// ```
    pub struct SftpBackend(AsyncSftpBackend);
}

impl SftpBackend {
    /// A backend for `config`; does no I/O.
    ///
    /// # Errors
    /// `InvalidArgument` when the config does not validate ([`SftpConfig::validate`]).
    pub fn new(config: SftpConfig) -> Result<Self> {
        Ok(Self::from_async(AsyncSftpBackend::new(config)?))
    }

    /// The configuration.
    pub fn config(&self) -> &SftpConfig {
        self.as_async().config()
    }
}
