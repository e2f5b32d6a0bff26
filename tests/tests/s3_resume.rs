//! Resumed reads through the retry layer on S3 (issue 12), against moto and s3s-fs, in both
//! halves: a proxy cuts every connection after 3 MiB; an 8 MiB read completes with the exact
//! bytes, and a read whose object is replaced mid-way fails instead of splicing. Needs the
//! emulators: skips under plain `cargo test`, runs under `cargo xtask test`.
#![cfg(feature = "s3")]

mod resume_support;
mod s3_support;

use std::time::Duration;

use remote_store_async::AsyncStore;
use remote_store_s3::{AsyncS3Backend, S3Backend, S3Config};
use remote_store_sync::Store;
use remote_store_tests::proxy::FaultProxy;
use resume_support::{
    async_store, cut_every_connection, cut_read_resumes_async, cut_read_resumes_sync,
    replaced_object_fails_async, replaced_object_fails_sync, sync_store,
};
use s3_support::{Server, block_on, unique_name};

struct Setup {
    server: Server,
    bucket: String,
    proxy: FaultProxy,
    prefix: String,
}

impl Setup {
    async fn new(server: Server, tag: &str) -> Setup {
        let bucket = server.fresh_bucket("resume").await;
        // Started from a plain thread: the proxy blocks on its own runtime while starting.
        let upstream = server.addr();
        let proxy = std::thread::spawn(move || FaultProxy::start(upstream))
            .join()
            .expect("proxy thread")
            .expect("start the proxy");
        cut_every_connection(&proxy);
        Setup {
            server,
            bucket,
            proxy,
            prefix: unique_name(tag),
        }
    }

    fn direct(&self) -> S3Config {
        self.server.config(&self.bucket).prefix(&self.prefix)
    }

    /// Through the proxy, with no SDK retries (the layer retries) and short timeouts.
    fn proxied(&self) -> S3Config {
        self.server
            .config_at(&self.bucket, &self.proxy.http_url())
            .prefix(&self.prefix)
            .retry(remote_store_core::RetryPolicy::never())
            .connect_timeout(Duration::from_secs(2))
            .request_timeout(Duration::from_secs(5))
            .read_timeout(Duration::from_secs(5))
    }
}

fn servers() -> Vec<Server> {
    let servers = Server::all();
    if servers.is_empty() {
        eprintln!("SKIP: no S3 server — run `cargo xtask test`");
    }
    servers
}

#[test]
fn s3_cut_reads_resume_and_replaced_objects_fail_sync() {
    for server in servers() {
        let setup = block_on(Setup::new(server, "resume-s"));
        let direct = Store::new(S3Backend::new(setup.direct()).unwrap(), "").unwrap();
        let proxied = sync_store(S3Backend::new(setup.proxied()).unwrap());
        cut_read_resumes_sync(&direct, &proxied, &setup.proxy);
        replaced_object_fails_sync(&direct, &proxied);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn s3_cut_reads_resume_and_replaced_objects_fail_async() {
    for server in servers() {
        let setup = Setup::new(server, "resume-a").await;
        let direct = AsyncStore::new(AsyncS3Backend::new(setup.direct()).unwrap(), "").unwrap();
        let proxied = async_store(AsyncS3Backend::new(setup.proxied()).unwrap());
        cut_read_resumes_async(&direct, &proxied, &setup.proxy).await;
        replaced_object_fails_async(&direct, &proxied).await;
    }
}
