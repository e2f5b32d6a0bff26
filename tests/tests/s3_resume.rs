//! Resumed reads through the retry layer on S3 (issue 12), against moto and s3s-fs, in both
//! halves: a proxy cuts every connection after 3 MiB; an 8 MiB read completes with the exact
//! bytes, and a read whose object is replaced mid-way fails instead of splicing. The read
//! learns the version it resumes against from its own `GetObject` (`read_versioned`, one
//! request). Needs the emulators: skips under plain `cargo test`, runs under
//! `cargo xtask test`.
#![cfg(feature = "s3")]

mod resume_support;
mod s3_support;

use std::sync::Arc;
use std::time::Duration;

use remote_store_async::AsyncStore;
use remote_store_s3::{AsyncS3Backend, S3Backend, S3Config};
use remote_store_sync::Store;
use remote_store_tests::proxy::FaultProxy;
use resume_support::{
    VERSIONED_SIZE, async_store, cut_every_connection, cut_read_resumes_async,
    cut_read_resumes_sync, data, read_versioned_is_one_request_async,
    read_versioned_is_one_request_sync, replaced_object_fails_async, replaced_object_fails_sync,
    sync_store,
};
use s3_support::{Recorder, Server, block_on, unique_name};

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

/// A backend whose SDK client counts its requests, over a fresh bucket holding `v.bin`
/// ([`VERSIONED_SIZE`] bytes, returned).
async fn versioned_setup(server: &Server, tag: &str) -> (AsyncS3Backend, Arc<Recorder>, Vec<u8>) {
    let bucket = server.fresh_bucket("rv").await;
    let config = server.config(&bucket).prefix(unique_name(tag));
    let (backend, recorder) = server.recorded_backend(config);
    let data = data(5)[..VERSIONED_SIZE].to_vec();
    AsyncStore::new(backend.clone(), "")
        .unwrap()
        .write("v.bin", data.clone())
        .await
        .unwrap();
    (backend, recorder, data)
}

/// `read_versioned` is one `GetObject`, and its reply names the version `get_file_info`
/// reports; the blocking backend is the async one behind the adapter, so one request too.
#[test]
fn s3_read_versioned_is_one_get_object_sync() {
    for server in servers() {
        let (backend, recorder, data) = block_on(versioned_setup(&server, "rv-s"));
        let backend = S3Backend::from_async(backend);
        let requests = || recorder.requests() as u64;
        read_versioned_is_one_request_sync(&backend, "v.bin", &data, &requests, server.name);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn s3_read_versioned_is_one_get_object_async() {
    for server in servers() {
        let (backend, recorder, data) = versioned_setup(&server, "rv-a").await;
        let requests = || recorder.requests() as u64;
        read_versioned_is_one_request_async(&backend, "v.bin", &data, &requests, server.name).await;
    }
}
