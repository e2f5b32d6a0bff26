//! Resumed reads through the retry layer on SFTP (OpenSSH sshd) (issue 12), in both
//! halves: a proxy cuts every connection after 3 MiB; an 8 MiB read completes with the
//! exact bytes (each resume reconnects), and a read whose file is replaced mid-way fails
//! instead of splicing. SFTP has no etag: the layer compares size and modification time.
//! Needs the sshd: skips under plain `cargo test`, runs under `cargo xtask test`.
#![cfg(feature = "sftp")]

mod resume_support;
mod sftp_support;

use std::time::Duration;

use remote_store_async::AsyncStore;
use remote_store_sftp::{AsyncSftpBackend, SftpBackend, SftpConfig};
use remote_store_sync::Store;
use remote_store_tests::proxy::FaultProxy;
use resume_support::{
    async_store, cut_every_connection, cut_read_resumes_async, cut_read_resumes_sync,
    replaced_object_fails_async, replaced_object_fails_sync, sync_store,
};
use sftp_support::Sshd;

struct Setup {
    sshd: Sshd,
    proxy: FaultProxy,
    base: String,
}

impl Setup {
    fn new(tag: &str) -> Option<Setup> {
        let sshd = Sshd::from_env()?;
        let proxy = FaultProxy::start(sshd.addr()).expect("the proxy starts");
        cut_every_connection(&proxy);
        let base = sshd.fresh_base(tag);
        Some(Setup { sshd, proxy, base })
    }

    fn direct(&self) -> SftpConfig {
        self.sshd.config("unused").base_path(self.base.clone())
    }

    fn proxied(&self) -> SftpConfig {
        self.sshd
            .config_via(self.proxy.addr().port(), "unused")
            .base_path(self.base.clone())
            .request_timeout(Duration::from_secs(10))
            .connect_timeout(Duration::from_secs(5))
    }
}

#[test]
fn sftp_cut_reads_resume_and_replaced_files_fail_sync() {
    let Some(setup) = Setup::new("resume-sync") else {
        return;
    };
    let direct = Store::new(SftpBackend::new(setup.direct()).unwrap(), "").unwrap();
    let proxied = sync_store(SftpBackend::new(setup.proxied()).unwrap());
    cut_read_resumes_sync(&direct, &proxied, &setup.proxy);
    replaced_object_fails_sync(&direct, &proxied);
}

#[tokio::test(flavor = "multi_thread")]
async fn sftp_cut_reads_resume_and_replaced_files_fail_async() {
    let Some(setup) = tokio::task::spawn_blocking(|| Setup::new("resume-async"))
        .await
        .unwrap()
    else {
        return;
    };
    let direct = AsyncStore::new(AsyncSftpBackend::new(setup.direct()).unwrap(), "").unwrap();
    let proxied = async_store(AsyncSftpBackend::new(setup.proxied()).unwrap());
    cut_read_resumes_async(&direct, &proxied, &setup.proxy).await;
    replaced_object_fails_async(&direct, &proxied).await;
}
