//! S3 benchmark: remote-store's `AsyncStore` and `Store` against the raw aws-sdk-s3 calls
//! they make, OpenDAL (`services-s3`) and object_store (`aws`), in one run, on one local
//! s3s-fs server.
//!
//! Clients: the raw SDK; our `AsyncStore` in strict mode (the default: a folder check
//! before every write; puts with `overwrite = true`), the same with `overwrite = false`
//! puts (`remote-store-create`: the folder check runs alongside a conditional put, ADR
//! 0012), the same on a server trusted to refuse folder targets itself
//! (`remote-store-create-server`: `server_refuses_folder_targets(true)`, ADR 0016, strict
//! with no listing; s3s-fs refuses them), in the flat-namespace mode (`remote-store-flat`:
//! `check_folder_targets(false)`, no folder check), and the blocking `Store`; OpenDAL;
//! object_store.
//!
//! Workloads: 1000 × 4 KiB put and get at concurrency 1 and 64; a 256 MiB streamed put
//! and get; listing 10,000 keys; and, in a child process per client, the peak RSS
//! (VmHWM) of streaming 1 GiB up and back down.
//!
//! Server: the s3s-fs binary that `cargo xtask` installs (or `S3S_FS_BIN`), started here
//! on a free loopback port with a fresh data directory. Stock s3s-fs never sets
//! `TCP_NODELAY`, so every small response waits for Nagle's algorithm (~40 ms); a tiny
//! `LD_PRELOAD` shim compiled with `cc` at start-up sets it on accepted sockets. Without a
//! C compiler the run goes on and says that small-object figures are Nagle-bound.
//!
//! Payload signing: by default every client sends unsigned payloads (OpenDAL's behaviour;
//! object_store with `with_unsigned_payload(true)`, our backend with
//! `sign_payload(false)`, the raw SDK with `disable_payload_signing()`). Set
//! `BENCH_SIGN_PAYLOAD=1` to make the SDK-based clients SHA-256 every body (the SDK's
//! default) and object_store sign too.
//!
//! Then 10,000 concurrent 4 KiB gets per client, each in a child process, with wall, CPU
//! per get, errors and peak RSS (`--burst` runs only that; see `burst.rs`).
//!
//! Environment: `BENCH_ROUNDS` (default 2; the best round counts), `BENCH_SKIP_RSS`,
//! `BENCH_SKIP_BURST`, `BENCH_BURST` (gets in the burst, default 10,000),
//! `BENCH_CLIENTS` (comma list), `S3S_FS_BIN`.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use futures::{StreamExt, TryStreamExt};
use object_store::{ObjectStore, ObjectStoreExt, WriteMultipart};
use remote_store_async::{AsyncContent, AsyncStore};
use remote_store_core::{ListOptions, WriteOptions};
use remote_store_s3::aws_sdk_s3;
use remote_store_s3::aws_sdk_s3::primitives::ByteStream;
use remote_store_s3::aws_sdk_s3::types::{CompletedMultipartUpload, CompletedPart};
use remote_store_s3::{AsyncS3Backend, S3Backend, S3Config};
use remote_store_sync::Store;

mod burst;
mod ops;

#[cfg(feature = "mimalloc")]
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

const KIB: usize = 1024;
const MIB: usize = 1024 * KIB;
const SMALL: usize = 4 * KIB;
const SMALL_COUNT: usize = 1000;
const BIG: usize = 256 * MIB;
const RSS_BYTES: usize = 1024 * MIB;
const LIST_KEYS: usize = 10_000;
/// Part size and parts in flight, the same for every client.
const PART: usize = 8 * MIB;
const CONCURRENCY: usize = 4;
/// Chunk size of the streamed sources.
const CHUNK: usize = MIB;
const ACCESS_KEY: &str = "AKBENCH";
const SECRET_KEY: &str = "SKBENCH";
/// The bucket holding the 10,000 keys every client lists. Each client writes into a
/// bucket of its own (`bench-<client>`): s3s-fs lists by walking the whole bucket on disk,
/// so a shared bucket would make every listing — including our backend's one-key folder
/// check before each write — pay for the other clients' files.
const LIST_BUCKET: &str = "bench-list";
const CLIENTS: [&str; 8] = [
    "raw-sdk",
    "remote-store",
    "remote-store-create",
    "remote-store-create-server",
    "remote-store-flat",
    "remote-store-sync",
    "opendal",
    "object_store",
];

// ------------------------------------------------------------------------------------
// The server.

/// A private s3s-fs on loopback, killed on drop.
struct Server {
    child: Child,
    endpoint: String,
    nodelay: bool,
    _dir: TempDir,
}

struct TempDir(PathBuf);

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

const SHIM: &str = r#"
#define _GNU_SOURCE
#include <dlfcn.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

static void nodelay(int fd) {
    if (fd >= 0) { int one = 1; setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one); }
}
int accept(int s, struct sockaddr *a, socklen_t *l) {
    static int (*real)(int, struct sockaddr *, socklen_t *);
    if (!real) real = dlsym(RTLD_NEXT, "accept");
    int fd = real(s, a, l); nodelay(fd); return fd;
}
int accept4(int s, struct sockaddr *a, socklen_t *l, int flags) {
    static int (*real)(int, struct sockaddr *, socklen_t *, int);
    if (!real) real = dlsym(RTLD_NEXT, "accept4");
    int fd = real(s, a, l, flags); nodelay(fd); return fd;
}
"#;

/// Compiles the TCP_NODELAY shim into `dir`, or `None` without a working C compiler.
fn build_shim(dir: &Path) -> Option<PathBuf> {
    let src = dir.join("nodelay.c");
    let lib = dir.join("nodelay.so");
    std::fs::write(&src, SHIM).ok()?;
    let ok = Command::new(std::env::var("CC").unwrap_or_else(|_| "cc".into()))
        .args(["-shared", "-fPIC", "-O2", "-o"])
        .arg(&lib)
        .arg(&src)
        .arg("-ldl")
        .status()
        .is_ok_and(|s| s.success());
    ok.then_some(lib)
}

fn s3s_fs_binary() -> PathBuf {
    if let Ok(bin) = std::env::var("S3S_FS_BIN") {
        return bin.into();
    }
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    root.join("target/emulators/s3s-fs/bin/s3s-fs")
}

fn start_server() -> Server {
    let dir = std::env::temp_dir().join(format!("bench-s3-{}", std::process::id()));
    std::fs::create_dir_all(dir.join("data")).unwrap();
    let dir = TempDir(dir);
    let shim = build_shim(&dir.0);
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let bin = s3s_fs_binary();
    let mut cmd = Command::new(&bin);
    cmd.args(["--host", "127.0.0.1", "--port", &port.to_string()])
        .args(["--access-key", ACCESS_KEY, "--secret-key", SECRET_KEY])
        .arg(dir.0.join("data"))
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    if let Some(lib) = &shim {
        cmd.env("LD_PRELOAD", lib);
    }
    let child = cmd.spawn().unwrap_or_else(|e| {
        panic!(
            "start {} (run `cargo xtask emulators install`): {e}",
            bin.display()
        )
    });
    let endpoint = format!("http://127.0.0.1:{port}");
    let deadline = Instant::now() + Duration::from_secs(20);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "s3s-fs did not start");
        std::thread::sleep(Duration::from_millis(50));
    }
    Server {
        child,
        endpoint,
        nodelay: shim.is_some(),
        _dir: dir,
    }
}

// ------------------------------------------------------------------------------------
// The clients.

#[derive(Clone)]
struct Env {
    endpoint: String,
    sign: bool,
}

impl Env {
    fn from_env() -> Env {
        Env {
            endpoint: std::env::var("BENCH_ENDPOINT").unwrap_or_default(),
            sign: std::env::var("BENCH_SIGN_PAYLOAD").is_ok_and(|v| v == "1"),
        }
    }

    fn config(&self, bucket: &str) -> S3Config {
        S3Config::new(bucket)
            .endpoint(&self.endpoint)
            .region("us-east-1")
            .force_path_style(true)
            .credentials(ACCESS_KEY, SECRET_KEY)
            .part_size(PART as u64)
            .max_concurrency(CONCURRENCY)
            .sign_payload(self.sign)
    }
}

enum Client {
    Raw(aws_sdk_s3::Client, bool, String),
    Ours(AsyncStore),
    /// Our async store, writing small objects with `overwrite = false`.
    OursCreate(AsyncStore),
    OursSync(Store),
    OpenDal(opendal::Operator),
    ObjectStore(Arc<dyn ObjectStore>),
}

/// The bucket client `name` writes into.
fn bucket_of(name: &str) -> String {
    format!("bench-{}", name.replace('_', "-"))
}

fn build(name: &str, e: &Env, bucket: &str) -> Client {
    match name {
        // The raw SDK gets the very client configuration our backend uses.
        "raw-sdk" => Client::Raw(
            AsyncS3Backend::new(e.config(bucket))
                .unwrap()
                .client()
                .clone(),
            e.sign,
            bucket.to_owned(),
        ),
        "remote-store" => Client::Ours(
            AsyncStore::new(AsyncS3Backend::new(e.config(bucket)).unwrap(), "").unwrap(),
        ),
        "remote-store-create" => Client::OursCreate(
            AsyncStore::new(AsyncS3Backend::new(e.config(bucket)).unwrap(), "").unwrap(),
        ),
        "remote-store-create-server" => Client::OursCreate(
            AsyncStore::new(
                AsyncS3Backend::new(e.config(bucket).server_refuses_folder_targets(true)).unwrap(),
                "",
            )
            .unwrap(),
        ),
        "remote-store-flat" => Client::Ours(
            AsyncStore::new(
                AsyncS3Backend::new(e.config(bucket).check_folder_targets(false)).unwrap(),
                "",
            )
            .unwrap(),
        ),
        "remote-store-sync" => {
            Client::OursSync(Store::new(S3Backend::new(e.config(bucket)).unwrap(), "").unwrap())
        }
        "opendal" => {
            let b = opendal::services::S3::default()
                .bucket(bucket)
                .endpoint(&e.endpoint)
                .region("us-east-1")
                .access_key_id(ACCESS_KEY)
                .secret_access_key(SECRET_KEY);
            Client::OpenDal(opendal::Operator::new(b).unwrap())
        }
        "object_store" => Client::ObjectStore(Arc::new(
            object_store::aws::AmazonS3Builder::new()
                .with_bucket_name(bucket)
                .with_region("us-east-1")
                .with_endpoint(&e.endpoint)
                .with_allow_http(true)
                .with_virtual_hosted_style_request(false)
                .with_access_key_id(ACCESS_KEY)
                .with_secret_access_key(SECRET_KEY)
                .with_unsigned_payload(!e.sign)
                .build()
                .unwrap(),
        )),
        other => panic!("unknown client {other}"),
    }
}

/// `total` bytes as freshly allocated `CHUNK`-sized buffers, as a real source (a file, a
/// socket) hands them over: a client that keeps chunks alive pays for them in RSS.
fn source(total: usize) -> impl futures::Stream<Item = std::io::Result<Bytes>> + Send + 'static {
    futures::stream::iter((0..total / CHUNK).map(|_| Ok(Bytes::from(vec![0x5a; CHUNK]))))
}

/// A blocking reader of `total` bytes.
struct Zeros(usize);

impl Read for Zeros {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = buf.len().min(self.0);
        buf[..n].fill(0x5a);
        self.0 -= n;
        Ok(n)
    }
}

fn overwrite() -> WriteOptions {
    WriteOptions::new().overwrite(true)
}

fn recursive() -> ListOptions {
    ListOptions::new().recursive(true)
}

impl Client {
    async fn put(&self, key: &str, data: Bytes) {
        match self {
            Client::Raw(c, sign, bucket) => {
                let req = c
                    .put_object()
                    .bucket(bucket)
                    .key(key)
                    .body(ByteStream::from(data));
                if *sign {
                    req.send().await.unwrap();
                } else {
                    req.customize()
                        .disable_payload_signing()
                        .send()
                        .await
                        .unwrap();
                }
            }
            Client::Ours(s) => {
                s.write_with(key, data, overwrite()).await.unwrap();
            }
            Client::OursCreate(s) => {
                s.write_with(key, data, WriteOptions::new()).await.unwrap();
            }
            Client::OursSync(s) => {
                tokio::task::block_in_place(|| s.write_with(key, data, overwrite()).unwrap());
            }
            Client::OpenDal(op) => {
                op.write(key, data).await.unwrap();
            }
            Client::ObjectStore(s) => {
                s.put(&key.into(), data.into()).await.unwrap();
            }
        }
    }

    async fn get(&self, key: &str) -> usize {
        match self {
            Client::Raw(c, _, bucket) => {
                let out = c.get_object().bucket(bucket).key(key).send().await.unwrap();
                out.body.collect().await.unwrap().into_bytes().len()
            }
            Client::Ours(s) | Client::OursCreate(s) => s.read_bytes(key).await.unwrap().len(),
            Client::OursSync(s) => tokio::task::block_in_place(|| s.read_bytes(key).unwrap().len()),
            Client::OpenDal(op) => op.read(key).await.unwrap().len(),
            Client::ObjectStore(s) => s
                .get(&key.into())
                .await
                .unwrap()
                .bytes()
                .await
                .unwrap()
                .len(),
        }
    }

    async fn put_stream(&self, key: &str, total: usize) {
        match self {
            Client::Raw(c, sign, bucket) => raw_multipart(c, *sign, bucket, key, total).await,
            Client::Ours(s) | Client::OursCreate(s) => {
                s.write_with(key, AsyncContent::chunks(source(total)), overwrite())
                    .await
                    .unwrap();
            }
            Client::OursSync(s) => {
                tokio::task::block_in_place(|| {
                    s.write_with(
                        key,
                        remote_store_sync::Content::reader(Zeros(total)),
                        overwrite(),
                    )
                    .unwrap()
                });
            }
            Client::OpenDal(op) => {
                let mut w = op
                    .writer_with(key)
                    .chunk(PART)
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
                let upload = s.put_multipart(&key.into()).await.unwrap();
                let mut w = WriteMultipart::new_with_chunk_size(upload, PART);
                let mut src = Box::pin(source(total));
                while let Some(c) = src.next().await {
                    w.wait_for_capacity(CONCURRENCY).await.unwrap();
                    w.put(c.unwrap());
                }
                w.finish().await.unwrap();
            }
        }
    }

    async fn get_stream(&self, key: &str) -> usize {
        let mut n = 0;
        match self {
            Client::Raw(c, _, bucket) => {
                let mut body = c
                    .get_object()
                    .bucket(bucket)
                    .key(key)
                    .send()
                    .await
                    .unwrap()
                    .body;
                while let Some(chunk) = body.next().await {
                    n += chunk.unwrap().len();
                }
            }
            Client::Ours(s) | Client::OursCreate(s) => {
                let mut body = s.read(key).await.unwrap();
                while let Some(chunk) = body.next().await {
                    n += chunk.unwrap().len();
                }
            }
            Client::OursSync(s) => {
                n = tokio::task::block_in_place(|| {
                    let mut r = s.read(key).unwrap();
                    std::io::copy(&mut r, &mut std::io::sink()).unwrap() as usize
                });
            }
            Client::OpenDal(op) => {
                let mut body = op
                    .reader(key)
                    .await
                    .unwrap()
                    .into_bytes_stream(..)
                    .await
                    .unwrap();
                while let Some(chunk) = body.next().await {
                    n += chunk.unwrap().len();
                }
            }
            Client::ObjectStore(s) => {
                let mut body = s.get(&key.into()).await.unwrap().into_stream();
                while let Some(chunk) = body.next().await {
                    n += chunk.unwrap().len();
                }
            }
        }
        n
    }

    async fn list(&self, prefix: &str) -> usize {
        match self {
            Client::Raw(c, _, bucket) => {
                let mut token = None;
                let mut n = 0;
                loop {
                    let out = c
                        .list_objects_v2()
                        .bucket(bucket)
                        .prefix(format!("{prefix}/"))
                        .set_continuation_token(token)
                        .send()
                        .await
                        .unwrap();
                    n += out.contents().len();
                    match out.next_continuation_token() {
                        Some(t) if out.is_truncated() == Some(true) => token = Some(t.to_owned()),
                        _ => return n,
                    }
                }
            }
            Client::Ours(s) | Client::OursCreate(s) => {
                s.list_files_with(prefix, recursive())
                    .unwrap()
                    .count()
                    .await
            }
            Client::OursSync(s) => tokio::task::block_in_place(|| {
                s.list_files_with(prefix, recursive()).unwrap().count()
            }),
            Client::OpenDal(op) => {
                let entries = op
                    .lister_with(&format!("{prefix}/"))
                    .recursive(true)
                    .await
                    .unwrap();
                entries
                    .try_filter(|e| futures::future::ready(e.metadata().is_file()))
                    .count()
                    .await
            }
            Client::ObjectStore(s) => s.list(Some(&prefix.into())).count().await,
        }
    }
}

/// What our layer does for a streamed write, as raw SDK calls: `CreateMultipartUpload`,
/// `UploadPart` × n (4 in flight), `CompleteMultipartUpload`.
async fn raw_multipart(c: &aws_sdk_s3::Client, sign: bool, bucket: &str, key: &str, total: usize) {
    let id = c
        .create_multipart_upload()
        .bucket(bucket)
        .key(key)
        .send()
        .await
        .unwrap()
        .upload_id()
        .unwrap()
        .to_owned();
    let mut parts: Vec<CompletedPart> = futures::stream::iter(1..=(total / PART) as i32)
        .map(|n| {
            // A fresh part buffer each time, as a caller reading its source would fill.
            let part = Bytes::from(vec![0x5a; PART]);
            let req = c
                .upload_part()
                .bucket(bucket)
                .key(key)
                .upload_id(&id)
                .part_number(n)
                .body(ByteStream::from(part));
            async move {
                let out = if sign {
                    req.send().await
                } else {
                    req.customize().disable_payload_signing().send().await
                }
                .unwrap();
                CompletedPart::builder()
                    .part_number(n)
                    .set_e_tag(out.e_tag().map(str::to_owned))
                    .set_checksum_crc32(out.checksum_crc32().map(str::to_owned))
                    .build()
            }
        })
        .buffer_unordered(CONCURRENCY)
        .collect()
        .await;
    parts.sort_by_key(|p| p.part_number());
    c.complete_multipart_upload()
        .bucket(bucket)
        .key(key)
        .upload_id(&id)
        .multipart_upload(
            CompletedMultipartUpload::builder()
                .set_parts(Some(parts))
                .build(),
        )
        .send()
        .await
        .unwrap();
}

// ------------------------------------------------------------------------------------
// Workloads.

/// Runs `f(i)` for `i in 0..n`, `concurrency` at a time; returns the elapsed time.
async fn timed<F, Fut>(n: usize, concurrency: usize, f: F) -> Duration
where
    F: Fn(usize) -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    let started = Instant::now();
    futures::stream::iter(0..n)
        .map(f)
        .buffer_unordered(concurrency)
        .collect::<Vec<()>>()
        .await;
    started.elapsed()
}

/// The sync store at concurrency `c`: `c` OS threads sharing the store.
fn timed_threads(n: usize, c: usize, f: impl Fn(usize) + Sync) -> Duration {
    let started = Instant::now();
    std::thread::scope(|scope| {
        for t in 0..c {
            let f = &f;
            scope.spawn(move || {
                for i in (t..n).step_by(c) {
                    f(i);
                }
            });
        }
    });
    started.elapsed()
}

/// The key of small object `i` of a run: `tag` (round and concurrency) keeps every run's
/// keys new, so `overwrite = false` puts always create.
fn small_key(name: &str, tag: &str, i: usize) -> String {
    format!("{name}/small/{tag}/{i:04}")
}

async fn small_puts(client: &Client, name: &str, tag: &str, c: usize, data: &Bytes) -> Duration {
    let key = |i: usize| small_key(name, tag, i);
    match client {
        Client::OursSync(s) => tokio::task::block_in_place(|| {
            timed_threads(SMALL_COUNT, c, |i| {
                s.write_with(key(i), data.clone(), overwrite()).unwrap();
            })
        }),
        _ => {
            timed(SMALL_COUNT, c, |i| async move {
                client.put(&key(i), data.clone()).await
            })
            .await
        }
    }
}

async fn small_gets(client: &Client, name: &str, tag: &str, c: usize) -> Duration {
    let key = |i: usize| small_key(name, tag, i);
    match client {
        Client::OursSync(s) => tokio::task::block_in_place(|| {
            timed_threads(SMALL_COUNT, c, |i| {
                assert_eq!(s.read_bytes(key(i)).unwrap().len(), SMALL);
            })
        }),
        _ => {
            timed(SMALL_COUNT, c, |i| async move {
                assert_eq!(client.get(&key(i)).await, SMALL);
            })
            .await
        }
    }
}

#[derive(Default, Clone, Copy)]
struct Times {
    put1: Option<Duration>,
    get1: Option<Duration>,
    put64: Option<Duration>,
    get64: Option<Duration>,
    big_put: Option<Duration>,
    big_get: Option<Duration>,
    list: Option<Duration>,
}

fn best(slot: &mut Option<Duration>, d: Duration) {
    *slot = Some(slot.map_or(d, |s| s.min(d)));
}

async fn round(
    number: usize,
    clients: &[(&'static str, Client)],
    listers: &[Client],
    times: &mut [Times],
    list_prefix: &str,
) {
    let data = Bytes::from(vec![0xa5; SMALL]);
    for (((name, client), lister), t) in clients.iter().zip(listers).zip(times.iter_mut()) {
        // Warm up: connections, credentials, code paths.
        for i in 0..20 {
            client
                .put(&format!("{name}/warm/{number}/{i}"), data.clone())
                .await;
            client.get(&format!("{name}/warm/{number}/{i}")).await;
        }
        let (c1, c64) = (format!("r{number}-c1"), format!("r{number}-c64"));
        best(&mut t.put1, small_puts(client, name, &c1, 1, &data).await);
        best(&mut t.get1, small_gets(client, name, &c1, 1).await);
        best(
            &mut t.put64,
            small_puts(client, name, &c64, 64, &data).await,
        );
        best(&mut t.get64, small_gets(client, name, &c64, 64).await);
        let key = format!("{name}/big.bin");
        let started = Instant::now();
        client.put_stream(&key, BIG).await;
        best(&mut t.big_put, started.elapsed());
        let started = Instant::now();
        assert_eq!(client.get_stream(&key).await, BIG);
        best(&mut t.big_get, started.elapsed());
        let started = Instant::now();
        assert_eq!(lister.list(list_prefix).await, LIST_KEYS, "{name} list");
        best(&mut t.list, started.elapsed());
    }
}

// ------------------------------------------------------------------------------------
// Peak RSS, in a child process per client.

fn vm_hwm_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

async fn rss_child(name: &str) {
    let e = Env::from_env();
    let client = build(name, &e, &bucket_of(name));
    client
        .put(&format!("rss/{name}/warm"), Bytes::from_static(b"x"))
        .await;
    client.get(&format!("rss/{name}/warm")).await;
    let idle = vm_hwm_kib();
    let key = format!("rss/{name}/big.bin");
    client.put_stream(&key, RSS_BYTES).await;
    let after_put = vm_hwm_kib();
    assert_eq!(client.get_stream(&key).await, RSS_BYTES);
    let after_get = vm_hwm_kib();
    println!("RSS {name} {idle} {after_put} {after_get}");
}

// ------------------------------------------------------------------------------------

fn ratio(a: Option<Duration>, b: Option<Duration>) -> String {
    match (a, b) {
        (Some(a), Some(b)) if !b.is_zero() => format!("{:.2}×", a.as_secs_f64() / b.as_secs_f64()),
        _ => "–".into(),
    }
}

fn ms(d: Option<Duration>) -> String {
    d.map_or("–".into(), |d| format!("{:.0} ms", d.as_secs_f64() * 1e3))
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.get(1).map(String::as_str) == Some("--ops") {
        ops::run(&args[2..]);
        return;
    }
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(bench(args));
}

async fn bench(args: Vec<String>) {
    opendal::install_default();
    if args.get(1).map(String::as_str) == Some("--rss-child") {
        rss_child(&args[2]).await;
        return;
    }
    if args.get(1).map(String::as_str) == Some("--burst-child") {
        burst::child(&args[2]).await;
        return;
    }
    let only_burst = args.get(1).map(String::as_str) == Some("--burst");
    let server = start_server();
    let e = Env {
        endpoint: server.endpoint.clone(),
        sign: std::env::var("BENCH_SIGN_PAYLOAD").is_ok_and(|v| v == "1"),
    };
    let rounds: usize = std::env::var("BENCH_ROUNDS")
        .ok()
        .and_then(|r| r.parse().ok())
        .unwrap_or(2);
    let only: Option<Vec<String>> = std::env::var("BENCH_CLIENTS")
        .ok()
        .map(|v| v.split(',').map(str::to_owned).collect());
    let names: Vec<&'static str> = CLIENTS
        .iter()
        .copied()
        .filter(|n| only.as_ref().is_none_or(|o| o.iter().any(|x| x == n)))
        .collect();

    println!(
        "S3 benchmark on s3s-fs at {} ({}); payload signing {}; {} round(s), best counts",
        server.endpoint,
        if server.nodelay {
            "TCP_NODELAY shim active"
        } else {
            "NO TCP_NODELAY shim: small-object figures are Nagle-bound"
        },
        if e.sign {
            "on (SHA-256 of every body)"
        } else {
            "off (UNSIGNED-PAYLOAD)"
        },
        rounds,
    );

    // Setup with the raw client: the bucket and 10,000 keys to list.
    let raw = AsyncS3Backend::new(e.config(LIST_BUCKET))
        .unwrap()
        .client()
        .clone();
    for bucket in
        std::iter::once(LIST_BUCKET.to_owned()).chain(CLIENTS.iter().map(|n| bucket_of(n)))
    {
        raw.create_bucket().bucket(bucket).send().await.unwrap();
    }
    if only_burst {
        burst::run(&e, &names, &raw).await;
        drop(server);
        return;
    }
    let list_prefix = "listing";
    futures::stream::iter(0..LIST_KEYS)
        .map(|i| {
            let raw = raw.clone();
            async move {
                raw.put_object()
                    .bucket(LIST_BUCKET)
                    .key(format!("{list_prefix}/k{i:05}"))
                    .body(ByteStream::from_static(b"x"))
                    .send()
                    .await
                    .map(drop)
            }
        })
        .buffer_unordered(64)
        .try_collect::<Vec<()>>()
        .await
        .unwrap();

    let clients: Vec<(&'static str, Client)> = names
        .iter()
        .map(|n| (*n, build(n, &e, &bucket_of(n))))
        .collect();
    let listers: Vec<Client> = names.iter().map(|n| build(n, &e, LIST_BUCKET)).collect();
    let mut times = vec![Times::default(); clients.len()];
    for r in 0..rounds {
        eprintln!("round {}/{rounds}", r + 1);
        round(r, &clients, &listers, &mut times, list_prefix).await;
    }

    let find = |n: &str| names.iter().position(|x| *x == n).map(|i| times[i]);
    let raw_t = find("raw-sdk");
    let dal_t = find("opendal");
    let os_t = find("object_store");
    println!("\n| workload | client | time | vs raw SDK | vs OpenDAL | vs object_store |");
    println!("|---|---|---|---|---|---|");
    type Pick = fn(&Times) -> Option<Duration>;
    let rows: [(&str, Pick); 7] = [
        ("put 1000 × 4 KiB, c=1", |t| t.put1),
        ("get 1000 × 4 KiB, c=1", |t| t.get1),
        ("put 1000 × 4 KiB, c=64", |t| t.put64),
        ("get 1000 × 4 KiB, c=64", |t| t.get64),
        ("put 256 MiB streamed", |t| t.big_put),
        ("get 256 MiB streamed", |t| t.big_get),
        ("list 10,000 keys", |t| t.list),
    ];
    for (label, pick) in rows {
        for (i, name) in names.iter().enumerate() {
            let t = pick(&times[i]);
            println!(
                "| {label} | {name} | {} | {} | {} | {} |",
                ms(t),
                ratio(t, raw_t.as_ref().and_then(pick)),
                ratio(t, dal_t.as_ref().and_then(pick)),
                ratio(t, os_t.as_ref().and_then(pick)),
            );
        }
    }

    if std::env::var("BENCH_SKIP_RSS").is_err() {
        println!("\n| client | idle peak RSS | peak RSS after 1 GiB put | after 1 GiB get |");
        println!("|---|---|---|---|");
        for name in &names {
            let out = Command::new(std::env::current_exe().unwrap())
                .args(["--rss-child", name])
                .env("BENCH_ENDPOINT", &e.endpoint)
                .env("BENCH_SIGN_PAYLOAD", if e.sign { "1" } else { "0" })
                .output()
                .unwrap();
            let text = String::from_utf8_lossy(&out.stdout);
            let Some(line) = text.lines().find(|l| l.starts_with("RSS ")) else {
                println!(
                    "| {name} | child failed: {} | | |",
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
                .filter_map(|x| x.parse().ok())
                .collect();
            let mib = |kib: u64| format!("{:.1} MiB", kib as f64 / 1024.0);
            println!("| {name} | {} | {} | {} |", mib(v[0]), mib(v[1]), mib(v[2]));
            // Free the disk between children.
            let _ = raw
                .delete_object()
                .bucket(bucket_of(name))
                .key(format!("rss/{name}/big.bin"))
                .send()
                .await;
        }
    }
    if std::env::var("BENCH_SKIP_BURST").is_err() {
        burst::run(&e, &names, &raw).await;
    }
    drop(server);
}
