//! `cargo xtask bench transfer` (or `cargo run --release -p remote-store-bench-transfer`):
//! what `remote-store-transfer` achieves against the best a user can write by hand with
//! the same store API — an `AsyncStore` loop with `buffer_unordered` at the same
//! concurrency — measured in one run on the same machine.
//!
//! Cases, on every store available: a local directory store always; S3 (s3s-fs) and Azure
//! (Azurite) when `cargo xtask bench` started them (their `REMOTE_STORE_*` variables):
//!
//! - upload and download of a tree of 2,000 × 64 KiB files (`--files N`, `--file-kib N`);
//! - upload and download of one big file (`--big-mib N`, default 1024), with the peak RSS
//!   the transfer added (Linux `VmHWM`, reset before it);
//! - S3 → Azure `copy_between` of the tree (when both are up);
//! - `delete_many` of 10,000 keys (`--delete N`), with and without `missing_ok`, against
//!   one delete at a time (S3: `DeleteObjects` of 1,000 keys a request).
//!
//! On S3 and for S3 → Azure, OpenDAL and object_store do the same transfers with their own
//! concurrency and multipart facilities (see [`peers`]), same files in flight, unsigned
//! payloads for every S3 client.
//!
//! Each line prints every time and its ratio = other time / transfer time (≥ 1.0: the
//! crate is at least as fast). Each case runs `--runs N` times (default 3) interleaved;
//! the best time of each side is kept. Downloads start with a different side each run
//! (the first one shares the disk with the writeback of the uploads just made).
//!
//! This crate is its own workspace with a committed lockfile, so CI never builds the peer
//! libraries: `cargo xtask bench transfer` runs it.

use std::path::Path;
use std::time::{Duration, Instant};

use futures::StreamExt;
use remote_store_async::{AsyncContent, AsyncStore};
use remote_store_azure::{AsyncAzureBackend, AzureAuth, AzureConfig};
use remote_store_core::{Capability, DeleteOptions, ListOptions, WriteOptions};
use remote_store_local::AsyncLocalBackend;
use remote_store_s3::{AsyncS3Backend, S3Config};
use remote_store_transfer::{BatchOptions, TransferOptions, aio};
use tokio::io::AsyncWriteExt;

mod peers;
use peers::Peer;

struct Args {
    runs: usize,
    files: usize,
    file_kib: usize,
    big_mib: usize,
    delete: usize,
    concurrency: usize,
    /// The cases to time: `tree`, `big` (default both).
    cases: Vec<String>,
}

fn args() -> Args {
    let mut out = Args {
        runs: 3,
        files: 2000,
        file_kib: 64,
        big_mib: 1024,
        delete: 10_000,
        concurrency: 16,
        cases: vec!["tree".into(), "big".into()],
    };
    let mut it = std::env::args().skip(1);
    let num = |it: &mut std::iter::Skip<std::env::Args>, flag: &str| -> usize {
        it.next()
            .and_then(|n| n.parse().ok())
            .unwrap_or_else(|| panic!("{flag} N"))
    };
    while let Some(a) = it.next() {
        match a.as_str() {
            "--runs" => out.runs = num(&mut it, "--runs"),
            "--files" => out.files = num(&mut it, "--files"),
            "--file-kib" => out.file_kib = num(&mut it, "--file-kib"),
            "--big-mib" => out.big_mib = num(&mut it, "--big-mib"),
            "--delete" => out.delete = num(&mut it, "--delete"),
            "--concurrency" => out.concurrency = num(&mut it, "--concurrency"),
            "--cases" => {
                out.cases = it
                    .next()
                    .expect("--cases tree,big")
                    .split(',')
                    .map(str::to_owned)
                    .collect();
            }
            "-h" | "--help" => {
                println!(
                    "usage: bench-transfer [--runs N] [--files N] [--file-kib N] [--big-mib N] [--delete N (0: skip)] [--concurrency N] [--cases tree,big]"
                );
                std::process::exit(0);
            }
            other => panic!("unknown argument {other}"),
        }
    }
    out
}

/// A store to measure, with the peers that reach the same bucket or container.
struct Target {
    name: &'static str,
    store: AsyncStore,
    /// The same bucket or container in other folder-target modes, for upload rows of their
    /// own: the flat-namespace mode (ADR 0014: no folder check before writes, the contract
    /// the peers keep) and, on s3s-fs, the server's own refusal (ADR 0016).
    modes: Vec<(&'static str, AsyncStore)>,
    peers: Vec<(&'static str, Peer)>,
}

/// The stores to measure: a name, a fresh, empty store and its peers.
async fn stores(scratch: &Path) -> Vec<Target> {
    let mut out = Vec::new();
    let remote = scratch.join("local-remote");
    std::fs::create_dir_all(&remote).unwrap();
    out.push(Target {
        name: "local",
        store: AsyncStore::new(AsyncLocalBackend::new(&remote).unwrap(), "").unwrap(),
        modes: Vec::new(),
        peers: Vec::new(),
    });
    if let Some(s3) = s3().await {
        out.push(s3);
    }
    if let Some(az) = azure().await {
        out.push(az);
    }
    out
}

fn var(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.is_empty())
}

async fn s3() -> Option<Target> {
    let endpoint = var("REMOTE_STORE_S3_S3SFS_ENDPOINT")?;
    let (ak, sk) = (
        var("REMOTE_STORE_S3_S3SFS_ACCESS_KEY")?,
        var("REMOTE_STORE_S3_S3SFS_SECRET_KEY")?,
    );
    let bucket = format!("bench-transfer-{}", std::process::id());
    let config = S3Config::new(&bucket)
        .endpoint(endpoint.as_str())
        .region("us-east-1")
        .force_path_style(true)
        .sign_payload(false)
        .credentials(ak.as_str(), sk.as_str());
    let flat = AsyncS3Backend::new(config.clone().check_folder_targets(false)).unwrap();
    let server = AsyncS3Backend::new(config.clone().server_refuses_folder_targets(true)).unwrap();
    let backend = AsyncS3Backend::new(config).unwrap();
    backend
        .client()
        .create_bucket()
        .bucket(&bucket)
        .send()
        .await
        .expect("create the bench bucket");
    Some(Target {
        name: "s3 (s3s-fs)",
        store: AsyncStore::new(backend, "").unwrap(),
        modes: vec![
            ("flat mode", AsyncStore::new(flat, "").unwrap()),
            (
                "strict, refused by the server",
                AsyncStore::new(server, "").unwrap(),
            ),
        ],
        peers: vec![
            ("opendal", Peer::opendal_s3(&endpoint, &bucket, &ak, &sk)),
            (
                "object_store",
                Peer::object_store_s3(&endpoint, &bucket, &ak, &sk),
            ),
        ],
    })
}

async fn azure() -> Option<Target> {
    let endpoint = var("REMOTE_STORE_AZURITE_ENDPOINT")?;
    let (account, key) = (
        var("REMOTE_STORE_AZURITE_ACCOUNT")?,
        var("REMOTE_STORE_AZURITE_KEY")?,
    );
    let auth = AzureAuth::AccountKey {
        account: account.clone(),
        key: key.as_str().into(),
    };
    let container = format!("bench-transfer-{}", std::process::id());
    let config = AzureConfig::new(container.clone(), auth).endpoint(endpoint.clone());
    let flat = AsyncAzureBackend::new(config.clone().check_folder_targets(false)).unwrap();
    let backend = AsyncAzureBackend::new(config).unwrap();
    backend
        .create_container()
        .await
        .expect("create the bench container");
    Some(Target {
        name: "azure (azurite)",
        store: AsyncStore::new(backend, "").unwrap(),
        modes: vec![("flat mode", AsyncStore::new(flat, "").unwrap())],
        peers: vec![
            (
                "opendal",
                Peer::opendal_azure(&endpoint, &container, &account, &key),
            ),
            (
                "object_store",
                Peer::object_store_azure(&endpoint, &container, &account, &key),
            ),
        ],
    })
}

fn write_tree(root: &Path, files: usize, size: usize) {
    for i in 0..files {
        let path = root.join(format!("d{:02}/f{i:05}.bin", i % 50));
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, vec![(i % 251) as u8; size]).unwrap();
    }
}

fn write_big(path: &Path, mib: usize) {
    use std::io::Write;
    let mut f = std::fs::File::create(path).unwrap();
    let chunk = vec![0x5au8; 1 << 20];
    for _ in 0..mib {
        f.write_all(&chunk).unwrap();
    }
}

/// Every regular file under `root`, relative, `/`-separated.
fn walk(root: &Path) -> Vec<String> {
    let mut out = Vec::new();
    let mut stack = vec![(root.to_path_buf(), String::new())];
    while let Some((dir, rel)) = stack.pop() {
        for e in std::fs::read_dir(&dir).unwrap() {
            let e = e.unwrap();
            let name = e.file_name().into_string().unwrap();
            let child = if rel.is_empty() {
                name
            } else {
                format!("{rel}/{name}")
            };
            if e.file_type().unwrap().is_dir() {
                stack.push((e.path(), child));
            } else {
                out.push(child);
            }
        }
    }
    out
}

/// The hand-written upload: walk, then `write_atomic` each file from a `tokio::fs::File`,
/// `n` at a time.
async fn hand_upload(local: &Path, store: &AsyncStore, dst: &str, n: usize) {
    let files = walk(local);
    futures::stream::iter(files)
        .map(|rel| async move {
            let file = tokio::fs::File::open(local.join(&rel)).await.unwrap();
            store
                .write_atomic_with(
                    format!("{dst}/{rel}"),
                    AsyncContent::reader(file),
                    WriteOptions::overwriting(),
                )
                .await
                .unwrap();
        })
        .buffer_unordered(n)
        .collect::<()>()
        .await;
}

/// The hand-written download: list, then stream each file into a `tokio::fs::File`.
async fn hand_download(store: &AsyncStore, src: &str, local: &Path, n: usize) {
    let mut listing = store.list_files_with(src, ListOptions::subtree()).unwrap();
    let mut keys = Vec::new();
    while let Some(info) = listing.next().await {
        keys.push(info.unwrap().path);
    }
    futures::stream::iter(keys)
        .map(|key| async move {
            let rel = key
                .as_str()
                .strip_prefix(src)
                .unwrap()
                .trim_start_matches('/');
            let target = local.join(rel);
            tokio::fs::create_dir_all(target.parent().unwrap())
                .await
                .unwrap();
            let mut out = tokio::fs::File::create(&target).await.unwrap();
            let mut body = store.read(&key).await.unwrap();
            while let Some(chunk) = body.next().await {
                out.write_all(&chunk.unwrap()).await.unwrap();
            }
            out.flush().await.unwrap();
        })
        .buffer_unordered(n)
        .collect::<()>()
        .await;
}

/// The hand-written store-to-store copy.
async fn hand_copy(src: &AsyncStore, from: &str, dst: &AsyncStore, to: &str, n: usize) {
    let mut listing = src.list_files_with(from, ListOptions::subtree()).unwrap();
    let mut keys = Vec::new();
    while let Some(info) = listing.next().await {
        keys.push(info.unwrap().path);
    }
    futures::stream::iter(keys)
        .map(|key| async move {
            let rel = key
                .as_str()
                .strip_prefix(from)
                .unwrap()
                .trim_start_matches('/');
            let body = src.read(&key).await.unwrap();
            let chunks = body.map(|c| c.map_err(remote_store_core::Error::into_io));
            dst.write_atomic_with(
                format!("{to}/{rel}"),
                AsyncContent::chunks(chunks),
                WriteOptions::overwriting(),
            )
            .await
            .unwrap();
        })
        .buffer_unordered(n)
        .collect::<()>()
        .await;
}

fn rss_kib(field: &str) -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with(field))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// Resets the RSS high-water mark (Linux) and returns the RSS now, in KiB.
fn rss_reset() -> Option<u64> {
    std::fs::write("/proc/self/clear_refs", "5").ok()?;
    rss_kib("VmRSS:")
}

struct Line {
    case: String,
    ours: Duration,
    /// The hand-written loop and the peers: name and best time.
    others: Vec<(&'static str, Duration)>,
    bytes: u64,
}

impl Line {
    fn mib_s(&self, d: Duration) -> f64 {
        self.bytes as f64 / (1 << 20) as f64 / d.as_secs_f64()
    }

    fn print(&self) {
        let mut text = format!(
            "{:<36} transfer {:>8.1} ms ({:>7.1} MiB/s)",
            self.case,
            self.ours.as_secs_f64() * 1e3,
            self.mib_s(self.ours)
        );
        for (name, d) in &self.others {
            text.push_str(&format!(
                "   {name} {:.1} ms ({:.1} MiB/s, ratio {:.2})",
                d.as_secs_f64() * 1e3,
                self.mib_s(*d),
                d.as_secs_f64() / self.ours.as_secs_f64()
            ));
        }
        println!("{text}");
    }

    /// A markdown row: MiB/s of each side and the ratio to the transfer crate.
    fn row(&self) -> String {
        let mut row = format!("| {} | {:.0} MiB/s |", self.case, self.mib_s(self.ours));
        for name in ["hand-written", "opendal", "object_store"] {
            match self.others.iter().find(|(n, _)| *n == name) {
                Some((_, d)) => row.push_str(&format!(
                    " {:.0} MiB/s ({:.2}×) |",
                    self.mib_s(*d),
                    d.as_secs_f64() / self.ours.as_secs_f64()
                )),
                None => row.push_str(" — |"),
            }
        }
        row
    }
}

async fn timed(f: impl std::future::Future<Output = ()>) -> Duration {
    let t = Instant::now();
    f.await;
    t.elapsed()
}

fn main() {
    let a = args();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(run(a));
}

async fn run(a: Args) {
    // OpenDAL 0.59 leaves the HTTP transport to the application.
    opendal::install_default();
    let scratch = tempfile::tempdir().unwrap();
    let tree = scratch.path().join("tree");
    let big_dir = scratch.path().join("big");
    std::fs::create_dir_all(&big_dir).unwrap();
    write_tree(&tree, a.files, a.file_kib << 10);
    write_big(&big_dir.join("big.bin"), a.big_mib);
    let tree_bytes = (a.files * (a.file_kib << 10)) as u64;
    let big_bytes = (a.big_mib as u64) << 20;
    let opts = TransferOptions::new()
        .files_in_flight(a.concurrency)
        .if_exists(remote_store_transfer::IfExists::Overwrite);
    let n = a.concurrency;
    println!(
        "transfer benchmark: {} × {} KiB tree, one {} MiB file, {} in flight, best of {}",
        a.files, a.file_kib, a.big_mib, n, a.runs
    );

    let stores = stores(scratch.path()).await;
    let best = |v: &[Duration]| v.iter().copied().min().unwrap();
    let mut table = Vec::new();
    for Target {
        name,
        store,
        modes,
        peers,
    } in &stores
    {
        let name = *name;
        let mut lines = Vec::new();
        for (case, local, bytes) in [
            ("tree", &tree, tree_bytes),
            ("big file", &big_dir, big_bytes),
        ]
        .into_iter()
        .filter(|(case, ..)| a.cases.iter().any(|c| case.starts_with(c.as_str())))
        {
            let (mut up, mut down) = (vec![], vec![]);
            let mut mode_up = vec![vec![]; modes.len()];
            // Index 0: the hand-written loop; then one per peer.
            let mut oup = vec![vec![]; peers.len() + 1];
            let mut odown = vec![vec![]; peers.len() + 1];
            let mut rss = None;
            for run in 0..a.runs {
                let base = rss_reset();
                up.push(
                    timed(async {
                        aio::upload_with(local, store, "t", &opts)
                            .await
                            .unwrap()
                            .into_result()
                            .unwrap();
                    })
                    .await,
                );
                if let (Some(base), Some(peak), true) =
                    (base, rss_kib("VmHWM:"), case == "big file")
                {
                    rss = Some(rss.unwrap_or(0).max(peak.saturating_sub(base)));
                }
                for (m, (_, other)) in modes.iter().enumerate() {
                    mode_up[m].push(
                        timed(async {
                            aio::upload_with(local, other, &format!("m{m}-{run}"), &opts)
                                .await
                                .unwrap()
                                .into_result()
                                .unwrap();
                        })
                        .await,
                    );
                }
                oup[0].push(timed(hand_upload(local, store, "h", n)).await);
                for (i, (_, peer)) in peers.iter().enumerate() {
                    oup[i + 1].push(timed(peers::upload(peer, local, &format!("p{i}"), n)).await);
                }
                let dir = |side: &str| scratch.path().join(format!("{side}-{run}"));
                // The side that downloads first shares the disk with the writeback of
                // everything just uploaded, so the order rotates from run to run.
                let sides = peers.len() + 2;
                for k in 0..sides {
                    match (k + run) % sides {
                        0 => down.push(
                            timed(async {
                                aio::download_with(store, "t", &dir("t"), &opts)
                                    .await
                                    .unwrap()
                                    .into_result()
                                    .unwrap();
                            })
                            .await,
                        ),
                        1 => odown[0].push(timed(hand_download(store, "h", &dir("h"), n)).await),
                        side => {
                            let (i, (_, peer)) = (side - 2, &peers[side - 2]);
                            let d = dir(&format!("p{i}"));
                            odown[i + 1]
                                .push(timed(peers::download(peer, &format!("p{i}"), &d, n)).await);
                        }
                    }
                }
                for side in ["t", "h", "p0", "p1"] {
                    let _ = std::fs::remove_dir_all(dir(side));
                }
            }
            let names: Vec<&'static str> = std::iter::once("hand-written")
                .chain(peers.iter().map(|(n, _)| *n))
                .collect();
            lines.push(Line {
                case: format!("{name}: upload {case}"),
                ours: best(&up),
                others: names.iter().zip(&oup).map(|(n, v)| (*n, best(v))).collect(),
                bytes,
            });
            for ((mode, _), times) in modes.iter().zip(&mode_up) {
                lines.push(Line {
                    case: format!("{name}: upload {case}, {mode}"),
                    ours: best(times),
                    others: names.iter().zip(&oup).map(|(n, v)| (*n, best(v))).collect(),
                    bytes,
                });
            }
            lines.push(Line {
                case: format!("{name}: download {case}"),
                ours: best(&down),
                others: names
                    .iter()
                    .zip(&odown)
                    .map(|(n, v)| (*n, best(v)))
                    .collect(),
                bytes,
            });
            if let Some(kib) = rss {
                println!(
                    "{name}: peak RSS added by the {} MiB upload: {} MiB",
                    a.big_mib,
                    kib >> 10
                );
            }
            let others =
                (0..modes.len()).flat_map(|m| (0..a.runs).map(move |r| format!("m{m}-{r}")));
            for prefix in ["t".to_owned(), "h".to_owned()].into_iter().chain(others) {
                let _ = store
                    .delete_folder_with(
                        prefix,
                        remote_store_core::DeleteFolderOptions::new().recursive(true),
                    )
                    .await;
            }
            for (i, (_, peer)) in peers.iter().enumerate() {
                peers::clear(peer, &format!("p{i}")).await;
            }
        }
        for l in &lines {
            l.print();
        }
        table.extend(lines.iter().map(Line::row));

        // delete_many against one delete at a time.
        if a.delete == 0 {
            continue;
        }
        let keys: Vec<String> = (0..a.delete).map(|i| format!("del/k{i:05}")).collect();
        let seed = |store: &AsyncStore| {
            let store = store.clone();
            let keys = keys.clone();
            async move {
                futures::stream::iter(keys)
                    .map(|k| {
                        let store = store.clone();
                        async move {
                            store
                                .write_with(k, "x", WriteOptions::overwriting())
                                .await
                                .unwrap();
                        }
                    })
                    .buffer_unordered(32)
                    .collect::<()>()
                    .await;
            }
        };
        // With `missing_ok` (as `rstore sync --delete` uses): S3 sends `DeleteObjects` of
        // 1,000 keys; other backends delete path by path. Without it, S3 checks the keys
        // first (NotFound must be reported: one listing of the range of each 1,000 keys,
        // all in one folder here), then deletes in bulk.
        let batch = |delete: DeleteOptions| {
            let keys = &keys;
            async move {
                let r =
                    aio::delete_many_with(store, keys, delete, &BatchOptions::new().concurrency(n))
                        .await;
                assert!(r.is_success());
            }
        };
        seed(store).await;
        let ours = timed(batch(DeleteOptions::new().missing_ok(true))).await;
        seed(store).await;
        let strict = timed(batch(DeleteOptions::new())).await;
        seed(store).await;
        let one_by_one = timed(async {
            for k in &keys {
                store
                    .delete_with(k, DeleteOptions::new().missing_ok(true))
                    .await
                    .unwrap();
            }
        })
        .await;
        let bulk = if store.supports(Capability::BulkDelete) {
            "bulk"
        } else {
            "per key"
        };
        println!(
            "{name}: delete_many ({bulk}) of {} keys {:.1} ms (without missing_ok {:.1} ms), one at a time {:.1} ms, speed-up {:.1}× ({:.1}× without missing_ok)",
            a.delete,
            ours.as_secs_f64() * 1e3,
            strict.as_secs_f64() * 1e3,
            one_by_one.as_secs_f64() * 1e3,
            one_by_one.as_secs_f64() / ours.as_secs_f64(),
            one_by_one.as_secs_f64() / strict.as_secs_f64()
        );
    }

    // S3 → Azure: the tree and the big file, by each client.
    let find = |prefix: &str| stores.iter().find(|t| t.name.starts_with(prefix));
    if let (Some(s3), Some(az)) = (find("s3"), find("azure")) {
        for (case, local, bytes) in [
            ("tree", &tree, tree_bytes),
            ("big file", &big_dir, big_bytes),
        ]
        .into_iter()
        .filter(|(case, ..)| a.cases.iter().any(|c| case.starts_with(c.as_str())))
        {
            aio::upload_with(local, &s3.store, "x", &opts)
                .await
                .unwrap()
                .into_result()
                .unwrap();
            let mut ours = vec![];
            let mut others = vec![vec![]; s3.peers.len() + 1];
            for _ in 0..a.runs {
                ours.push(
                    timed(async {
                        aio::copy_between_with(&s3.store, "x", &az.store, "x", &opts)
                            .await
                            .unwrap()
                            .into_result()
                            .unwrap();
                    })
                    .await,
                );
                others[0].push(timed(hand_copy(&s3.store, "x", &az.store, "y", n)).await);
                for (i, ((_, from), (_, to))) in s3.peers.iter().zip(&az.peers).enumerate() {
                    let dst = format!("p{i}");
                    others[i + 1].push(timed(peers::copy(from, "x", to, &dst, n)).await);
                    peers::clear(to, &dst).await;
                }
            }
            let names = std::iter::once("hand-written").chain(s3.peers.iter().map(|(n, _)| *n));
            let line = Line {
                case: format!("s3 → azure: copy {case}"),
                ours: best(&ours),
                others: names.zip(&others).map(|(n, v)| (n, best(v))).collect(),
                bytes,
            };
            line.print();
            table.push(line.row());
            for (store, prefix) in [(&s3.store, "x"), (&az.store, "x"), (&az.store, "y")] {
                let _ = store
                    .delete_folder_with(
                        prefix,
                        remote_store_core::DeleteFolderOptions::new().recursive(true),
                    )
                    .await;
            }
        }
    } else {
        println!(
            "s3 → azure: skipped (run under `cargo xtask bench transfer` for s3s-fs and Azurite)"
        );
    }

    println!(
        "\n| case | remote-store-transfer | hand-written `AsyncStore` loop | OpenDAL | object_store |"
    );
    println!("|---|---:|---:|---:|---:|");
    for row in table {
        println!("{row}");
    }
}
