//! `cargo xtask bench local` (or `cargo run --release -p remote-store-bench-local`): what
//! the local backend costs over plain `std::fs` (for `Store`) and `tokio::fs` (for
//! `AsyncStore`), as ratios measured in one run on the same disk.
//!
//! Cases: write + read of 1000 × 4 KiB files, one 256 MiB streamed write and read, and a
//! recursive listing of a 10,000-file tree (with size and time of every file, which is
//! what `list_files` returns). The async half also writes and reads the 1000 small files
//! with 64 calls in flight (`--only c64`), against `tokio::fs` at the same concurrency,
//! and reports the CPU per file at 1 and at 64 in flight; `--only inline` times the async
//! half's small calls with `inline_io_max_bytes` on (ADR 0017) against `std::fs`. Each measurement is repeated (`--runs N`, default 11) with
//! the baseline and the store interleaved, and the best (minimum) time of each side is
//! reported: on a shared machine other load only ever adds time, so the minimum is the
//! most stable estimate of what each side costs. Data lives in a
//! temp directory under `$TMPDIR` (or `--dir PATH`).
//!
//! A small harness, not criterion: the ratios are what matter, and one binary prints them
//! all in one table.

use std::fs::{self, File};
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use bytes::Bytes;
use futures::StreamExt;
use remote_store_async::{AsyncContent, AsyncStore};
use remote_store_core::ListOptions;
use remote_store_local::{AsyncLocalBackend, LocalBackend, LocalConfig};
use remote_store_sync::{Content, Store};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const SMALL_FILES: usize = 1000;
const SMALL_SIZE: usize = 4 * 1024;
const BIG_SIZE: usize = 256 * 1024 * 1024;
/// Chunk size of the streamed source and of the read loops, on both sides.
const CHUNK: usize = 1024 * 1024;
const TREE_DIRS: usize = 100;
const TREE_FILES_PER_DIR: usize = 100;

struct Args {
    runs: usize,
    dir: Option<PathBuf>,
    only: Option<String>,
}

fn args() -> Args {
    let mut out = Args {
        runs: 11,
        dir: None,
        only: None,
    };
    let mut it = std::env::args().skip(1);
    while let Some(a) = it.next() {
        match a.as_str() {
            "--runs" => out.runs = it.next().and_then(|n| n.parse().ok()).expect("--runs N"),
            "--dir" => out.dir = Some(it.next().expect("--dir PATH").into()),
            "--src-offset" => {
                let n = it
                    .next()
                    .and_then(|n| n.parse().ok())
                    .expect("--src-offset N");
                SRC_OFFSET.store(n, std::sync::atomic::Ordering::Relaxed);
            }
            "--only" => out.only = Some(it.next().expect("--only small,big,list,c64,inline")),
            "-h" | "--help" => {
                println!(
                    "usage: bench-local [--runs N] [--dir PATH] [--only small,big,list,c64,inline] [--src-offset N]"
                );
                std::process::exit(0);
            }
            other => panic!("unknown argument {other}"),
        }
    }
    out
}

fn best(v: Vec<Duration>) -> Duration {
    v.into_iter().min().expect("at least one run")
}

/// CPU time used by the whole process so far (every thread: the caller, tokio's workers
/// and its blocking pool). Less sensitive than wall time to other load on a shared box.
fn cpu_now() -> Duration {
    let t = rustix::time::clock_gettime(rustix::time::ClockId::ProcessCPUTime);
    Duration::new(t.tv_sec as u64, t.tv_nsec as u32)
}

/// One row: a baseline and a contender, timed alternately `runs` times (wall and CPU).
struct Row {
    name: String,
    base: Duration,
    ours: Duration,
    base_cpu: Duration,
    ours_cpu: Duration,
}

impl Row {
    fn ratio(&self) -> f64 {
        self.ours.as_secs_f64() / self.base.as_secs_f64()
    }

    fn cpu_ratio(&self) -> f64 {
        self.ours_cpu.as_secs_f64() / self.base_cpu.as_secs_f64()
    }
}

/// Times `base` and `ours` alternately; `setup` runs before each timed call (untimed) and
/// hands it a fresh folder.
fn compare(
    name: &str,
    runs: usize,
    scratch: &Path,
    mut setup: impl FnMut(&Path),
    mut base: impl FnMut(&Path),
    mut ours: impl FnMut(&Path),
) -> Row {
    let (mut b, mut o) = (Vec::new(), Vec::new());
    let (mut bc, mut oc) = (Vec::new(), Vec::new());
    for run in 0..runs + 1 {
        for which in [run % 2 == 0, run % 2 != 0] {
            let dir = scratch.join(format!("run-{run}-{which}"));
            fs::create_dir_all(&dir).unwrap();
            setup(&dir);
            let (t, c) = (Instant::now(), cpu_now());
            if which {
                base(&dir);
            } else {
                ours(&dir);
            }
            let (took, cpu) = (t.elapsed(), cpu_now() - c);
            // The first round warms caches and allocators; it is not counted.
            if run > 0 {
                if which {
                    b.push(took);
                    bc.push(cpu);
                } else {
                    o.push(took);
                    oc.push(cpu);
                }
            }
            fs::remove_dir_all(&dir).unwrap();
        }
    }
    Row {
        name: name.to_owned(),
        base: best(b),
        ours: best(o),
        base_cpu: best(bc),
        ours_cpu: best(oc),
    }
}

fn small_payload(i: usize) -> Bytes {
    let mut v = vec![(i % 251) as u8; SMALL_SIZE];
    v[..8].copy_from_slice(&(i as u64).to_le_bytes());
    Bytes::from(v)
}

/// Writes the small files with `std::fs` (the untimed setup of the read cases).
fn seed_small(dir: &Path, payloads: &[Bytes]) {
    fs::create_dir(dir.join("small")).unwrap();
    for (i, p) in payloads.iter().enumerate() {
        fs::write(dir.join(small_name(i)), p).unwrap();
    }
}

fn small_name(i: usize) -> String {
    format!("small/f{i:04}.bin")
}

/// Where the source chunk starts relative to a page boundary (`--src-offset`, default 0).
static SRC_OFFSET: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

/// The 256 MiB source: the same 1 MiB chunk, 256 times. The chunk is placed at a fixed
/// offset from a page boundary (page-aligned by default): memcpy speed depends on the
/// distance between source and destination modulo 4096, and where the allocator happens to
/// put a 1 MiB buffer otherwise decides the result (a source 16 bytes below a page
/// boundary copies into page-aligned memory ~1.4x slower on this machine, for any copier).
fn big_chunks() -> impl Iterator<Item = Bytes> {
    let offset = SRC_OFFSET.load(std::sync::atomic::Ordering::Relaxed) % 4096;
    let raw = Bytes::from(vec![0x5au8; CHUNK + 8192]);
    let start = raw.as_ptr().align_offset(4096) + offset;
    let chunk = raw.slice(start..start + CHUNK);
    std::iter::repeat_n(chunk, BIG_SIZE / CHUNK)
}

/// A `Read` over [`big_chunks`].
struct ChunkReader<I> {
    chunks: I,
    cur: Bytes,
}

impl<I: Iterator<Item = Bytes>> Read for ChunkReader<I> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.cur.is_empty() {
            match self.chunks.next() {
                Some(c) => self.cur = c,
                None => return Ok(0),
            }
        }
        let n = buf.len().min(self.cur.len());
        buf[..n].copy_from_slice(&self.cur.split_to(n));
        Ok(n)
    }
}

fn big_reader() -> ChunkReader<impl Iterator<Item = Bytes>> {
    ChunkReader {
        chunks: big_chunks(),
        cur: Bytes::new(),
    }
}

/// Reads to the end in 1 MiB gulps; returns the byte count.
fn drain(mut r: impl Read) -> u64 {
    let mut buf = vec![0u8; CHUNK];
    let mut n = 0;
    loop {
        match r.read(&mut buf).unwrap() {
            0 => return n,
            k => n += k as u64,
        }
    }
}

fn make_tree(dir: &Path) {
    for d in 0..TREE_DIRS {
        let sub = dir.join(format!("tree/d{d:03}"));
        fs::create_dir_all(&sub).unwrap();
        for f in 0..TREE_FILES_PER_DIR {
            fs::write(sub.join(format!("f{f:03}")), b"x").unwrap();
        }
    }
}

/// The plain-std recursive listing: read_dir + metadata per entry, like `list_files`.
fn std_walk(dir: &Path) -> (usize, u64) {
    let (mut files, mut bytes) = (0, 0);
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in fs::read_dir(&d).unwrap() {
            let entry = entry.unwrap();
            let meta = entry.metadata().unwrap();
            if meta.is_dir() {
                stack.push(entry.path());
            } else {
                let _ = meta.modified().unwrap();
                files += 1;
                bytes += meta.len();
            }
        }
    }
    (files, bytes)
}

async fn tokio_walk(dir: &Path) -> (usize, u64) {
    let (mut files, mut bytes) = (0, 0);
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let mut rd = tokio::fs::read_dir(&d).await.unwrap();
        while let Some(entry) = rd.next_entry().await.unwrap() {
            let meta = entry.metadata().await.unwrap();
            if meta.is_dir() {
                stack.push(entry.path());
            } else {
                let _ = meta.modified().unwrap();
                files += 1;
                bytes += meta.len();
            }
        }
    }
    (files, bytes)
}

fn sync_rows(args: &Args, scratch: &Path) -> Vec<Row> {
    let runs = args.runs;
    let want = |k: &str| wants(args, k);
    let store_at = |dir: &Path| Store::new(LocalBackend::new(dir).unwrap(), "").unwrap();
    let mut rows = Vec::new();
    if want("small") {
        let payloads: Vec<Bytes> = (0..SMALL_FILES).map(small_payload).collect();
        rows.push(compare(
            "1000 x 4 KiB write",
            runs,
            scratch,
            |dir| fs::create_dir(dir.join("small")).unwrap(),
            |dir| std_writes(dir, &payloads),
            |dir| {
                let store = store_at(dir);
                for (i, p) in payloads.iter().enumerate() {
                    store.write(small_name(i), p.clone()).unwrap();
                }
            },
        ));
        let seed = |dir: &Path| seed_small(dir, &payloads);
        rows.push(compare(
            "1000 x 4 KiB read",
            runs,
            scratch,
            seed,
            std_reads,
            |dir| {
                let store = store_at(dir);
                for i in 0..SMALL_FILES {
                    assert_eq!(store.read_bytes(small_name(i)).unwrap().len(), SMALL_SIZE);
                }
            },
        ));
    }
    if want("big") {
        rows.push(compare(
            "256 MiB streamed write",
            runs,
            scratch,
            |_| {},
            |dir| {
                let mut f = File::create(dir.join("big.bin")).unwrap();
                let n = io::copy(&mut big_reader(), &mut f).unwrap();
                assert_eq!(n as usize, BIG_SIZE);
            },
            |dir| {
                let store = store_at(dir);
                let r = store
                    .write("big.bin", Content::reader(big_reader()))
                    .unwrap();
                assert_eq!(r.size as usize, BIG_SIZE);
            },
        ));
        rows.push(compare(
            "256 MiB streamed read",
            runs,
            scratch,
            |dir| {
                let mut f = File::create(dir.join("big.bin")).unwrap();
                io::copy(&mut big_reader(), &mut f).unwrap();
            },
            |dir| {
                assert_eq!(
                    drain(File::open(dir.join("big.bin")).unwrap()) as usize,
                    BIG_SIZE
                )
            },
            |dir| {
                let store = store_at(dir);
                assert_eq!(drain(store.read("big.bin").unwrap()) as usize, BIG_SIZE);
            },
        ));
    }
    if want("list") {
        rows.push(compare(
            "list 10,000-file tree",
            runs,
            scratch,
            make_tree,
            |dir| {
                assert_eq!(
                    std_walk(&dir.join("tree")).0,
                    TREE_DIRS * TREE_FILES_PER_DIR
                )
            },
            |dir| {
                let store = store_at(dir);
                let (mut n, mut bytes) = (0, 0);
                for f in store
                    .list_files_with("tree", ListOptions::new().recursive(true))
                    .unwrap()
                {
                    let f = f.unwrap();
                    n += 1;
                    bytes += f.size;
                }
                assert_eq!((n, bytes as usize), (TREE_DIRS * TREE_FILES_PER_DIR, n));
            },
        ));
    }
    rows
}

fn async_rows(args: &Args, scratch: &Path) -> Vec<Row> {
    let rt = runtime();
    let runs = args.runs;
    let want = |k: &str| wants(args, k);
    let store_at = |dir: &Path| AsyncStore::new(AsyncLocalBackend::new(dir).unwrap(), "").unwrap();
    let mut rows = Vec::new();
    if want("small") {
        let payloads: Vec<Bytes> = (0..SMALL_FILES).map(small_payload).collect();
        rows.push(compare(
            "1000 x 4 KiB write",
            runs,
            scratch,
            |dir| fs::create_dir(dir.join("small")).unwrap(),
            |dir| {
                rt.block_on(async {
                    for (i, p) in payloads.iter().enumerate() {
                        tokio::fs::write(dir.join(small_name(i)), p).await.unwrap();
                    }
                })
            },
            |dir| rt.block_on(store_writes(&store_at(dir), &payloads)),
        ));
        let seed = |dir: &Path| seed_small(dir, &payloads);
        rows.push(compare(
            "1000 x 4 KiB read",
            runs,
            scratch,
            seed,
            |dir| {
                rt.block_on(async {
                    for i in 0..SMALL_FILES {
                        let b = tokio::fs::read(dir.join(small_name(i))).await.unwrap();
                        assert_eq!(b.len(), SMALL_SIZE);
                    }
                })
            },
            |dir| rt.block_on(store_reads(&store_at(dir))),
        ));
    }
    if want("big") {
        rows.push(compare(
            "256 MiB streamed write",
            runs,
            scratch,
            |_| {},
            |dir| {
                rt.block_on(async {
                    let mut f = tokio::fs::File::create(dir.join("big.bin")).await.unwrap();
                    for chunk in big_chunks() {
                        f.write_all(&chunk).await.unwrap();
                    }
                    f.flush().await.unwrap();
                })
            },
            |dir| {
                rt.block_on(async {
                    let store = store_at(dir);
                    let body = futures::stream::iter(big_chunks().map(Ok));
                    let r = store
                        .write("big.bin", AsyncContent::chunks(body))
                        .await
                        .unwrap();
                    assert_eq!(r.size as usize, BIG_SIZE);
                })
            },
        ));
        rows.push(compare(
            "256 MiB streamed read",
            runs,
            scratch,
            |dir| {
                let mut f = File::create(dir.join("big.bin")).unwrap();
                io::copy(&mut big_reader(), &mut f).unwrap();
                f.flush().unwrap();
            },
            |dir| {
                rt.block_on(async {
                    let mut f = tokio::fs::File::open(dir.join("big.bin")).await.unwrap();
                    let mut buf = vec![0u8; CHUNK];
                    let mut n = 0;
                    loop {
                        match f.read(&mut buf).await.unwrap() {
                            0 => break,
                            k => n += k,
                        }
                    }
                    assert_eq!(n, BIG_SIZE);
                })
            },
            |dir| {
                rt.block_on(async {
                    let store = store_at(dir);
                    let mut body = store.read("big.bin").await.unwrap();
                    let mut n = 0;
                    while let Some(chunk) = body.next().await {
                        n += chunk.unwrap().len();
                    }
                    assert_eq!(n, BIG_SIZE);
                })
            },
        ));
    }
    if want("list") {
        rows.push(compare(
            "list 10,000-file tree",
            runs,
            scratch,
            make_tree,
            |dir| {
                rt.block_on(async {
                    let (n, _) = tokio_walk(&dir.join("tree")).await;
                    assert_eq!(n, TREE_DIRS * TREE_FILES_PER_DIR);
                })
            },
            |dir| {
                rt.block_on(async {
                    let store = store_at(dir);
                    let mut files = store
                        .list_files_with("tree", ListOptions::new().recursive(true))
                        .unwrap();
                    let mut n = 0;
                    while let Some(f) = files.next().await {
                        f.unwrap();
                        n += 1;
                    }
                    assert_eq!(n, TREE_DIRS * TREE_FILES_PER_DIR);
                })
            },
        ));
    }
    rows
}

/// Calls in flight in the concurrent rows.
const IN_FLIGHT: usize = 64;

/// The async half with [`IN_FLIGHT`] calls in flight, against `tokio::fs` at the same
/// concurrency; the c=1 rows are the same work one call at a time, for CPU per file.
/// Writes the small payloads with `std::fs`, one call at a time.
fn std_writes(dir: &Path, payloads: &[Bytes]) {
    for (i, p) in payloads.iter().enumerate() {
        fs::write(dir.join(small_name(i)), p).unwrap();
    }
}

/// Reads the small files back with `std::fs`, one call at a time.
fn std_reads(dir: &Path) {
    for i in 0..SMALL_FILES {
        assert_eq!(fs::read(dir.join(small_name(i))).unwrap().len(), SMALL_SIZE);
    }
}

/// Whether `--only` (absent: everything) asks for the cases `key`.
fn wants(args: &Args, key: &str) -> bool {
    args.only
        .as_deref()
        .is_none_or(|o| o.split(',').any(|x| x == key))
}

/// A multi-threaded runtime for the async rows.
fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap()
}

/// Writes the small payloads through `store`, one call at a time.
async fn store_writes(store: &AsyncStore, payloads: &[Bytes]) {
    for (i, p) in payloads.iter().enumerate() {
        store.write(&small_name(i), p.clone()).await.unwrap();
    }
}

/// Reads the small files back through `store`, one call at a time.
async fn store_reads(store: &AsyncStore) {
    for i in 0..SMALL_FILES {
        let b = store.read_bytes(&small_name(i)).await.unwrap();
        assert_eq!(b.len(), SMALL_SIZE);
    }
}

/// The async half's 4 KiB calls with `inline_io_max_bytes` on (ADR 0017: no pool trip),
/// against plain `std::fs` calls, one at a time.
fn inline_rows(args: &Args, scratch: &Path) -> Vec<Row> {
    if !wants(args, "inline") {
        return Vec::new();
    }
    let rt = runtime();
    let runs = args.runs;
    let payloads: Vec<Bytes> = (0..SMALL_FILES).map(small_payload).collect();
    let store_at = |dir: &Path| {
        let config = LocalConfig::new(dir).inline_io_max_bytes(64 * 1024);
        AsyncStore::new(AsyncLocalBackend::from_config(config).unwrap(), "").unwrap()
    };
    let mut rows = Vec::new();
    rows.push(compare(
        "1000 x 4 KiB write",
        runs,
        scratch,
        |dir| fs::create_dir(dir.join("small")).unwrap(),
        |dir| std_writes(dir, &payloads),
        |dir| rt.block_on(store_writes(&store_at(dir), &payloads)),
    ));
    let seed = |dir: &Path| seed_small(dir, &payloads);
    rows.push(compare(
        "1000 x 4 KiB read",
        runs,
        scratch,
        seed,
        std_reads,
        |dir| rt.block_on(store_reads(&store_at(dir))),
    ));
    rows
}

fn concurrent_rows(args: &Args, scratch: &Path) -> Vec<Row> {
    if !wants(args, "c64") {
        return Vec::new();
    }
    let rt = runtime();
    let runs = args.runs;
    let payloads: Vec<Bytes> = (0..SMALL_FILES).map(small_payload).collect();
    let store_at = |dir: &Path| AsyncStore::new(AsyncLocalBackend::new(dir).unwrap(), "").unwrap();
    let mut rows = Vec::new();
    for in_flight in [1, IN_FLIGHT] {
        rows.push(compare(
            &format!("1000 x 4 KiB write, c={in_flight}"),
            runs,
            scratch,
            |dir| fs::create_dir(dir.join("small")).unwrap(),
            |dir| {
                rt.block_on(
                    futures::stream::iter(payloads.iter().enumerate()).for_each_concurrent(
                        in_flight,
                        |(i, p)| async move {
                            tokio::fs::write(dir.join(small_name(i)), p).await.unwrap();
                        },
                    ),
                )
            },
            |dir| {
                let store = store_at(dir);
                rt.block_on(
                    futures::stream::iter(payloads.iter().enumerate()).for_each_concurrent(
                        in_flight,
                        |(i, p)| {
                            let store = &store;
                            async move {
                                store.write(&small_name(i), p.clone()).await.unwrap();
                            }
                        },
                    ),
                )
            },
        ));
        let seed = |dir: &Path| seed_small(dir, &payloads);
        rows.push(compare(
            &format!("1000 x 4 KiB read, c={in_flight}"),
            runs,
            scratch,
            seed,
            |dir| {
                rt.block_on(futures::stream::iter(0..SMALL_FILES).for_each_concurrent(
                    in_flight,
                    |i| async move {
                        let b = tokio::fs::read(dir.join(small_name(i))).await.unwrap();
                        assert_eq!(b.len(), SMALL_SIZE);
                    },
                ))
            },
            |dir| {
                let store = store_at(dir);
                rt.block_on(futures::stream::iter(0..SMALL_FILES).for_each_concurrent(
                    in_flight,
                    |i| {
                        let store = &store;
                        async move {
                            let b = store.read_bytes(&small_name(i)).await.unwrap();
                            assert_eq!(b.len(), SMALL_SIZE);
                        }
                    },
                ))
            },
        ));
    }
    rows
}

/// Microseconds of CPU per small file.
fn per_file(d: Duration) -> String {
    format!("{:.1} µs", d.as_secs_f64() * 1e6 / SMALL_FILES as f64)
}

fn ms(d: Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1000.0)
}

fn main() {
    let args = args();
    let scratch = match &args.dir {
        Some(dir) => tempfile::tempdir_in(dir),
        None => tempfile::tempdir(),
    }
    .expect("a scratch folder");
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    println!(
        "remote-store local benchmark: best of {} runs per case, {cores} cores, scratch {}",
        args.runs,
        scratch.path().display()
    );
    let sync = sync_rows(&args, scratch.path());
    let asyn = async_rows(&args, scratch.path());
    let concurrent = concurrent_rows(&args, scratch.path());
    let inline = inline_rows(&args, scratch.path());
    println!();
    println!(
        "Best wall time per case; ratio = store / plain call; CPU ratio = the same for process CPU time (best of the runs)."
    );
    println!();
    println!(
        "| case | std::fs | Store | ratio | CPU ratio | tokio::fs | AsyncStore | ratio | CPU ratio |"
    );
    println!("|---|---:|---:|---:|---:|---:|---:|---:|---:|");
    for (s, a) in sync.iter().zip(&asyn) {
        println!(
            "| {} | {} | {} | {:.2}x | {:.2}x | {} | {} | {:.2}x | {:.2}x |",
            s.name,
            ms(s.base),
            ms(s.ours),
            s.ratio(),
            s.cpu_ratio(),
            ms(a.base),
            ms(a.ours),
            a.ratio(),
            a.cpu_ratio()
        );
        debug_assert_eq!(s.name, a.name);
    }
    if !concurrent.is_empty() {
        println!();
        println!(
            "Async half, calls in flight: best wall time; CPU per file is process CPU (best run) / {SMALL_FILES}."
        );
        println!();
        println!(
            "| case | tokio::fs | AsyncStore | ratio | CPU/file tokio::fs | CPU/file AsyncStore | CPU ratio |"
        );
        println!("|---|---:|---:|---:|---:|---:|---:|");
        for r in &concurrent {
            println!(
                "| {} | {} | {} | {:.2}x | {} | {} | {:.2}x |",
                r.name,
                ms(r.base),
                ms(r.ours),
                r.ratio(),
                per_file(r.base_cpu),
                per_file(r.ours_cpu),
                r.cpu_ratio()
            );
        }
    }
    if !inline.is_empty() {
        println!();
        println!(
            "Async half with `inline_io_max_bytes = 65536` (ADR 0017: small calls on the calling thread) against std::fs, one call at a time."
        );
        println!();
        println!("| case | std::fs | AsyncStore, inline | ratio | CPU ratio |");
        println!("|---|---:|---:|---:|---:|");
        for r in &inline {
            println!(
                "| {} | {} | {} | {:.2}x | {:.2}x |",
                r.name,
                ms(r.base),
                ms(r.ours),
                r.ratio(),
                r.cpu_ratio()
            );
        }
    }
}
