//! Azure benchmark on Azurite: remote-store (async and sync) against the raw
//! `azure_storage_blob` SDK calls, OpenDAL (`services-azblob`) and object_store (`azure`).
//!
//! Run with `cargo xtask bench azure`, or by hand with Azurite's variables exported:
//! `cargo run --release --manifest-path benches/azure/Cargo.toml`.
//!
//! Measures, per client, in the same run against the same server:
//! - 1000 × 4 KiB put, then get, one at a time (latency-bound: client overhead shows);
//! - a 256 MiB streamed put (8 MiB blocks, 4 in flight) and a streamed get;
//! - peak RSS (VmHWM) of a child process streaming 1 GiB up and back down.
//!
//! Objects are deleted after every round (Azurite slows down as its store fills).
//!
//! Our clients: `remote-store` (strict mode, the default: a folder check before every
//! write; puts with `overwrite = true`), `remote-store-create` (the same with
//! `overwrite = false` puts: the folder check runs alongside the conditional `Put Blob`,
//! ADR 0014), `remote-store-flat` (`check_folder_targets(false)`: no folder check),
//! `remote-store-sas` and `remote-store-sync`.

use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use azure_storage_blob::BlobContainerClient;
use azure_storage_blob::models::{BlobClientDownloadOptions, BlockLookupList};
use bytes::Bytes;
use futures::{StreamExt, TryStreamExt};
use object_store::{ObjectStore, ObjectStoreExt, WriteMultipart};
use remote_store_async::{AsyncContent, AsyncStore};
use remote_store_azure::{AsyncAzureBackend, AzureAuth, AzureBackend, AzureConfig, account_sas};
use remote_store_core::{DeleteFolderOptions, WriteOptions};

const SMALL: usize = 4 * 1024;
const SMALL_COUNT: usize = 1000;
const BIG: usize = 256 * 1024 * 1024;
const RSS_BYTES: usize = 1024 * 1024 * 1024;
const BLOCK: usize = 8 * 1024 * 1024;
const CONCURRENCY: usize = 4;
const CHUNK: usize = 256 * 1024;

#[derive(Clone)]
struct Env {
    endpoint: String,
    account: String,
    key: String,
    container: String,
}

fn env() -> Env {
    let get = |n: &str| {
        std::env::var(n).unwrap_or_else(|_| {
            panic!("{n} is not set: run `cargo xtask bench azure` (it starts Azurite)")
        })
    };
    Env {
        endpoint: get("REMOTE_STORE_AZURITE_ENDPOINT"),
        account: get("REMOTE_STORE_AZURITE_ACCOUNT"),
        key: get("REMOTE_STORE_AZURITE_KEY"),
        container: std::env::var("BENCH_CONTAINER").unwrap_or_else(|_| "bench".into()),
    }
}

impl Env {
    fn sas(&self) -> String {
        account_sas(
            &self.account,
            &self.key.as_str().into(),
            "rwdlac",
            SystemTime::now() + Duration::from_secs(6 * 3600),
        )
        .unwrap()
        .expose()
        .to_owned()
    }

    fn config(&self, auth: AzureAuth) -> AzureConfig {
        AzureConfig::new(self.container.clone(), auth)
            .endpoint(self.endpoint.clone())
            .part_size(BLOCK as u64)
            .max_concurrency(CONCURRENCY)
    }

    fn key_auth(&self) -> AzureAuth {
        AzureAuth::AccountKey {
            account: self.account.clone(),
            key: self.key.as_str().into(),
        }
    }
}

/// One client under test: put/get of whole small objects, streamed big transfers.
enum Client {
    Ours(AsyncStore),
    /// Our async store, writing small objects with `overwrite = false`.
    OursCreate(AsyncStore),
    OursSync(remote_store_sync::Store),
    Raw(BlobContainerClient),
    OpenDal(opendal::Operator),
    ObjectStore(Arc<dyn ObjectStore>),
}

/// A stream of `total` bytes as freshly allocated `CHUNK`-sized buffers, as a real source
/// (a file, a socket) hands them over: a client that keeps chunks alive pays for them in
/// RSS. (Clones of one shared buffer would let a client that queues chunks by reference
/// look as if it buffered nothing.)
fn source(total: usize) -> impl futures::Stream<Item = std::io::Result<Bytes>> + Send + 'static {
    futures::stream::iter((0..total / CHUNK).map(|_| Ok(Bytes::from(vec![0x5a; CHUNK]))))
}

impl Client {
    async fn put(&self, name: &str, data: Bytes) {
        match self {
            Client::Ours(s) => {
                s.write_with(name, data, WriteOptions::new().overwrite(true))
                    .await
                    .unwrap();
            }
            Client::OursCreate(s) => {
                s.write_with(name, data, WriteOptions::new()).await.unwrap();
            }
            Client::OursSync(s) => {
                let s = s.clone();
                let name = name.to_owned();
                tokio::task::block_in_place(|| {
                    s.write_with(&name, data, WriteOptions::new().overwrite(true))
                        .unwrap()
                });
            }
            Client::Raw(c) => {
                c.blob_client(name).upload(data.into(), None).await.unwrap();
            }
            Client::OpenDal(op) => {
                op.write(name, data).await.unwrap();
            }
            Client::ObjectStore(s) => {
                s.put(&name.into(), data.into()).await.unwrap();
            }
        }
    }

    async fn get(&self, name: &str) -> usize {
        match self {
            Client::Ours(s) | Client::OursCreate(s) => s.read_bytes(name).await.unwrap().len(),
            Client::OursSync(s) => {
                let s = s.clone();
                let name = name.to_owned();
                tokio::task::block_in_place(|| s.read_bytes(&name).unwrap().len())
            }
            Client::Raw(c) => {
                let rsp = c
                    .blob_client(name)
                    .download(Some(single_get()))
                    .await
                    .unwrap();
                rsp.body.collect().await.unwrap().len()
            }
            Client::OpenDal(op) => op.read(name).await.unwrap().len(),
            Client::ObjectStore(s) => s
                .get(&name.into())
                .await
                .unwrap()
                .bytes()
                .await
                .unwrap()
                .len(),
        }
    }

    async fn put_stream(&self, name: &str, total: usize) {
        match self {
            Client::Ours(s) | Client::OursCreate(s) => {
                s.write_with(
                    name,
                    AsyncContent::chunks(source(total)),
                    WriteOptions::new().overwrite(true),
                )
                .await
                .unwrap();
            }
            Client::OursSync(s) => {
                let s = s.clone();
                let name = name.to_owned();
                tokio::task::block_in_place(move || {
                    let chunks = (0..total / CHUNK).map(|_| Ok(Bytes::from(vec![0x5a; CHUNK])));
                    s.write_with(
                        &name,
                        remote_store_sync::Content::chunks(chunks),
                        WriteOptions::new().overwrite(true),
                    )
                    .unwrap()
                });
            }
            Client::Raw(c) => {
                // The raw calls our layer makes: Put Block × n (4 in flight), Put Block List.
                let blob = Arc::new(c.blob_client(name).block_blob_client());
                let block = Bytes::from(vec![0x5a; BLOCK]);
                let ids: Vec<Vec<u8>> = (0..total / BLOCK)
                    .map(|i| format!("{:032}", i).into_bytes())
                    .collect();
                futures::stream::iter(ids.clone())
                    .map(|id| {
                        let blob = blob.clone();
                        let block = block.clone();
                        async move {
                            blob.stage_block(&id, block.len() as u64, block.into(), None)
                                .await
                                .map(drop)
                        }
                    })
                    .buffer_unordered(CONCURRENCY)
                    .try_collect::<()>()
                    .await
                    .unwrap();
                let list = BlockLookupList {
                    latest: Some(ids),
                    ..Default::default()
                };
                blob.commit_block_list(list.try_into().unwrap(), None)
                    .await
                    .unwrap();
            }
            Client::OpenDal(op) => {
                let mut w = op
                    .writer_with(name)
                    .chunk(BLOCK)
                    .concurrent(CONCURRENCY)
                    .await
                    .unwrap();
                let mut src = Box::pin(source(total));
                while let Some(c) = src.next().await {
                    w.write(c.unwrap()).await.unwrap();
                }
                w.close().await.unwrap();
            }
            Client::ObjectStore(s) => {
                let upload = s.put_multipart(&name.into()).await.unwrap();
                let mut w = WriteMultipart::new_with_chunk_size(upload, BLOCK);
                let mut src = Box::pin(source(total));
                while let Some(c) = src.next().await {
                    w.wait_for_capacity(CONCURRENCY).await.unwrap();
                    w.put(c.unwrap());
                }
                w.finish().await.unwrap();
            }
        }
    }

    async fn get_stream(&self, name: &str) -> usize {
        let mut n = 0;
        match self {
            Client::Ours(s) | Client::OursCreate(s) => {
                let mut st = s.read(name).await.unwrap();
                while let Some(c) = st.next().await {
                    n += c.unwrap().len();
                }
            }
            Client::OursSync(s) => {
                let s = s.clone();
                let name = name.to_owned();
                n = tokio::task::block_in_place(move || {
                    let mut r = s.read(&name).unwrap();
                    std::io::copy(&mut r, &mut std::io::sink()).unwrap() as usize
                });
            }
            Client::Raw(c) => {
                let rsp = c
                    .blob_client(name)
                    .download(Some(single_get()))
                    .await
                    .unwrap();
                let mut body = rsp.body;
                while let Some(c) = body.next().await {
                    n += c.unwrap().len();
                }
            }
            Client::OpenDal(op) => {
                let mut st = op
                    .reader(name)
                    .await
                    .unwrap()
                    .into_bytes_stream(..)
                    .await
                    .unwrap();
                while let Some(c) = st.next().await {
                    n += c.unwrap().len();
                }
            }
            Client::ObjectStore(s) => {
                let mut st = s.get(&name.into()).await.unwrap().into_stream();
                while let Some(c) = st.next().await {
                    n += c.unwrap().len();
                }
            }
        }
        n
    }
}

fn single_get() -> BlobClientDownloadOptions<'static> {
    BlobClientDownloadOptions {
        parallel: std::num::NonZero::new(1),
        partition_size: std::num::NonZero::new(usize::MAX / 2),
        ..Default::default()
    }
}

fn build(name: &str, e: &Env) -> Client {
    match name {
        "remote-store" => Client::Ours(
            AsyncStore::new(AsyncAzureBackend::new(e.config(e.key_auth())).unwrap(), "").unwrap(),
        ),
        "remote-store-create" => Client::OursCreate(
            AsyncStore::new(AsyncAzureBackend::new(e.config(e.key_auth())).unwrap(), "").unwrap(),
        ),
        "remote-store-flat" => Client::Ours(
            AsyncStore::new(
                AsyncAzureBackend::new(e.config(e.key_auth()).check_folder_targets(false)).unwrap(),
                "",
            )
            .unwrap(),
        ),
        "remote-store-sas" => Client::Ours(
            AsyncStore::new(
                AsyncAzureBackend::new(e.config(AzureAuth::SasToken {
                    token: e.sas().into(),
                }))
                .unwrap(),
                "",
            )
            .unwrap(),
        ),
        "remote-store-sync" => Client::OursSync(
            remote_store_sync::Store::new(AzureBackend::new(e.config(e.key_auth())).unwrap(), "")
                .unwrap(),
        ),
        "raw-sdk-sas" => {
            let url = format!("{}/{}?{}", e.endpoint, e.container, e.sas());
            Client::Raw(BlobContainerClient::new(url.parse().unwrap(), None, None).unwrap())
        }
        "opendal" => {
            let b = opendal::services::Azblob::default()
                .root("/")
                .container(&e.container)
                .endpoint(&e.endpoint)
                .account_name(&e.account)
                .account_key(&e.key);
            Client::OpenDal(opendal::Operator::new(b).unwrap())
        }
        "object_store" => Client::ObjectStore(Arc::new(
            object_store::azure::MicrosoftAzureBuilder::new()
                .with_account(&e.account)
                .with_access_key(&e.key)
                .with_container_name(&e.container)
                .with_endpoint(e.endpoint.clone())
                .with_allow_http(true)
                .build()
                .unwrap(),
        )),
        other => panic!("unknown client {other}"),
    }
}

const CLIENTS: [&str; 8] = [
    "raw-sdk-sas",
    "remote-store-sas",
    "remote-store",
    "remote-store-create",
    "remote-store-flat",
    "remote-store-sync",
    "opendal",
    "object_store",
];

async fn cleanup(e: &Env, prefix: &str) {
    let store =
        AsyncStore::new(AsyncAzureBackend::new(e.config(e.key_auth())).unwrap(), "").unwrap();
    // Best effort: a failed clean-up leaves objects behind but must not end the run.
    let opts = DeleteFolderOptions::new().recursive(true).missing_ok(true);
    if let Err(e) = store.delete_folder_with(prefix, opts).await {
        eprintln!("warning: clean-up of {prefix} failed: {e}");
    }
}

fn vm_hwm_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

/// Child mode: stream 1 GiB up and down with one client, print peak RSS.
async fn rss_child(client: &str, e: &Env) {
    let c = build(client, e);
    // Warm up the client (connections, TLS-less handshake, runtime threads).
    c.put("rss/warm", Bytes::from_static(b"x")).await;
    c.get("rss/warm").await;
    let idle = vm_hwm_kib();
    let name = format!("rss/{client}.bin");
    c.put_stream(&name, RSS_BYTES).await;
    let after_put = vm_hwm_kib();
    assert_eq!(c.get_stream(&name).await, RSS_BYTES);
    let after_get = vm_hwm_kib();
    println!("RSS {client} {idle} {after_put} {after_get}");
}

fn secs(d: Duration) -> f64 {
    d.as_secs_f64()
}

#[tokio::main(flavor = "multi_thread", worker_threads = 4)]
async fn main() {
    // OpenDAL needs its process-wide HTTP transport installed.
    opendal::install_default();
    let e = env();
    let args: Vec<String> = std::env::args().collect();
    if args.get(1).map(String::as_str) == Some("--rss-child") {
        rss_child(&args[2], &e).await;
        return;
    }
    let only: Option<Vec<String>> = std::env::var("BENCH_CLIENTS")
        .ok()
        .map(|v| v.split(',').map(str::to_owned).collect());
    let clients: Vec<&str> = CLIENTS
        .iter()
        .copied()
        .filter(|c| only.as_ref().is_none_or(|o| o.iter().any(|x| x == c)))
        .collect();
    let setup = AzureBackend::new(e.config(e.key_auth())).unwrap();
    tokio::task::block_in_place(|| setup.create_container().unwrap());

    println!(
        "# Azure on Azurite ({}), container `{}`",
        e.endpoint, e.container
    );
    println!(
        "# small: {SMALL_COUNT} x {} KiB, sequential; big: {} MiB streamed, {} MiB blocks x {CONCURRENCY}",
        SMALL / 1024,
        BIG >> 20,
        BLOCK >> 20
    );
    let small = Bytes::from(vec![7u8; SMALL]);
    let mut rows = Vec::new();
    let throughput = std::env::var("BENCH_SKIP_THROUGHPUT").is_err();
    for name in clients.iter().filter(|_| throughput) {
        let c = build(name, &e);
        let prefix = format!("b-{name}");
        c.put(&format!("{prefix}/warm"), small.clone()).await;
        let t = Instant::now();
        for i in 0..SMALL_COUNT {
            c.put(&format!("{prefix}/s{i:04}"), small.clone()).await;
        }
        let put_small = t.elapsed();
        let t = Instant::now();
        for i in 0..SMALL_COUNT {
            assert_eq!(c.get(&format!("{prefix}/s{i:04}")).await, SMALL);
        }
        let get_small = t.elapsed();
        cleanup(&e, &prefix).await;

        let big = format!("{prefix}/big.bin");
        let t = Instant::now();
        c.put_stream(&big, BIG).await;
        let put_big = t.elapsed();
        let t = Instant::now();
        assert_eq!(c.get_stream(&big).await, BIG);
        let get_big = t.elapsed();
        cleanup(&e, &prefix).await;
        println!(
            "{name:<18} put4k {:>7.3}s  get4k {:>7.3}s  put256M {:>6.3}s  get256M {:>6.3}s",
            secs(put_small),
            secs(get_small),
            secs(put_big),
            secs(get_big)
        );
        rows.push((name.to_string(), [put_small, get_small, put_big, get_big]));
    }

    if let Some(base) = rows.iter().find(|(n, _)| n == "raw-sdk-sas").map(|r| r.1) {
        println!("\n| client | 1000×4 KiB put | 1000×4 KiB get | 256 MiB put | 256 MiB get |");
        println!("|---|---|---|---|---|");
        for (name, t) in &rows {
            let cell = |i: usize| {
                format!(
                    "{:.2} s (×{:.2})",
                    secs(t[i]),
                    secs(t[i]) / secs(base[i]).max(1e-9)
                )
            };
            println!(
                "| {name} | {} | {} | {} | {} |",
                cell(0),
                cell(1),
                cell(2),
                cell(3)
            );
        }
        println!("(× = time relative to the raw SDK calls; lower is better)");
    }

    if std::env::var("BENCH_SKIP_RSS").is_err() {
        println!("\n| client | idle peak RSS | peak RSS after 1 GiB put | after 1 GiB get |");
        println!("|---|---|---|---|");
        let exe = std::env::current_exe().unwrap();
        for name in &clients {
            let out = std::process::Command::new(&exe)
                .args(["--rss-child", name])
                .output()
                .unwrap();
            let text = String::from_utf8_lossy(&out.stdout);
            let Some(line) = text.lines().find(|l| l.starts_with("RSS ")) else {
                println!(
                    "| {name} | failed: {} | | |",
                    String::from_utf8_lossy(&out.stderr)
                        .lines()
                        .last()
                        .unwrap_or("")
                );
                continue;
            };
            let v: Vec<u64> = line
                .split_whitespace()
                .skip(2)
                .map(|x| x.parse().unwrap())
                .collect();
            println!(
                "| {name} | {:.1} MiB | {:.1} MiB | {:.1} MiB |",
                v[0] as f64 / 1024.0,
                v[1] as f64 / 1024.0,
                v[2] as f64 / 1024.0
            );
        }
        cleanup(&e, "rss").await;
    }
}
