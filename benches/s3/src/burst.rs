//! `--burst`: 10,000 concurrent 4 KiB gets, the way a busy service issues them (one tokio
//! task per request, all spawned at once), one child process per client so each peak RSS
//! (VmHWM) is the client's own.
//!
//! The parent writes [`KEYS`] distinct 4 KiB objects into [`BUCKET`] with the raw SDK, then
//! runs `bench-s3 --burst-child <client>` for each client and prints, per client: wall
//! time, CPU per get (user + system, from `/proc/self/stat`), errors, and the peak RSS
//! before and after the burst. Environment: `BENCH_BURST` (gets, default 10,000);
//! `BENCH_BURST_WRAP` (a command each child runs under, e.g. `heaptrack -o /tmp/burst`).

use std::time::Instant;

use bytes::Bytes;
use futures::future::BoxFuture;
use futures::{StreamExt, TryStreamExt};
use object_store::ObjectStoreExt;
use remote_store_s3::aws_sdk_s3::primitives::ByteStream;

use crate::{Client, Env, SMALL, build, vm_hwm_kib};

/// The bucket the burst reads from.
const BUCKET: &str = "bench-burst";
/// Distinct objects; the gets cycle over them.
const KEYS: usize = 10_000;

fn gets() -> usize {
    std::env::var("BENCH_BURST")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(10_000)
}

fn key(i: usize) -> String {
    format!("burst/k{:05}", i % KEYS)
}

/// User + system CPU of this process so far, in seconds (Linux `/proc/self/stat`).
fn cpu_seconds() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    // Fields after the command name (which is in parentheses and may hold spaces).
    let rest = stat.rsplit_once(')').map_or("", |(_, r)| r);
    let f: Vec<&str> = rest.split_whitespace().collect();
    let ticks = |i: usize| f.get(i).and_then(|v| v.parse::<f64>().ok()).unwrap_or(0.0);
    // utime and stime are fields 14 and 15 of the whole line: 11 and 12 after the name.
    (ticks(11) + ticks(12)) / 100.0
}

/// One get that reports its error instead of panicking. Each client's future is boxed on
/// its own, so a spawned task holds only the future of the client it measures (inline,
/// the match would make every task as large as the largest client's future).
fn get<'a>(client: &'a Client, key: &'a str) -> BoxFuture<'a, Result<usize, String>> {
    match client {
        Client::Raw(c, _, bucket) => Box::pin(async move {
            let out = c
                .get_object()
                .bucket(bucket)
                .key(key)
                .send()
                .await
                .map_err(|e| format!("{e:?}"))?;
            let body = out.body.collect().await.map_err(|e| e.to_string())?;
            Ok(body.into_bytes().len())
        }),
        Client::Ours(s) | Client::OursCreate(s) => Box::pin(async move {
            s.read_bytes(key)
                .await
                .map(|b| b.len())
                .map_err(|e| e.to_string())
        }),
        Client::OursSync(_) => {
            Box::pin(async { Err("the blocking store is not part of the burst".into()) })
        }
        Client::OpenDal(op) => Box::pin(async move {
            op.read(key)
                .await
                .map(|b| b.len())
                .map_err(|e| e.to_string())
        }),
        Client::ObjectStore(s) => Box::pin(async move {
            let r = s.get(&key.into()).await.map_err(|e| e.to_string())?;
            r.bytes().await.map(|b| b.len()).map_err(|e| e.to_string())
        }),
    }
}

/// The child: one client, one burst, one result line.
pub(crate) async fn child(name: &str) {
    let e = Env::from_env();
    let client = std::sync::Arc::new(build(name, &e, BUCKET));
    // Warm up: one connection, credentials, endpoint resolution.
    let _ = get(&client, &key(0)).await;
    let idle = vm_hwm_kib();
    let n = gets();
    let cpu0 = cpu_seconds();
    let t = Instant::now();
    let tasks: Vec<_> = (0..n)
        .map(|i| {
            let client = client.clone();
            tokio::spawn(async move { get(&client, &key(i)).await })
        })
        .collect();
    let mut errors = 0;
    let mut first_error = String::new();
    for task in tasks {
        match task.await.expect("a get task panicked") {
            Ok(len) if len == SMALL => {}
            Ok(len) => {
                errors += 1;
                first_error = format!("short read: {len} bytes");
            }
            Err(e) => {
                errors += 1;
                if first_error.is_empty() {
                    first_error = e;
                }
            }
        }
    }
    let wall = t.elapsed();
    let cpu = cpu_seconds() - cpu0;
    let peak = vm_hwm_kib();
    println!(
        "BURST {name} {:.3} {:.1} {errors} {idle} {peak} {}",
        wall.as_secs_f64(),
        cpu / n as f64 * 1e6,
        first_error
            .replace('\n', " ")
            .chars()
            .take(160)
            .collect::<String>()
    );
}

/// The parent: setup, one child per client, the table.
pub(crate) async fn run(e: &Env, names: &[&str], raw: &remote_store_s3::aws_sdk_s3::Client) {
    let _ = raw.create_bucket().bucket(BUCKET).send().await;
    futures::stream::iter(0..KEYS)
        .map(|i| {
            let raw = raw.clone();
            async move {
                raw.put_object()
                    .bucket(BUCKET)
                    .key(key(i))
                    .body(ByteStream::from(Bytes::from(vec![0x42u8; SMALL])))
                    .send()
                    .await
                    .map(drop)
            }
        })
        .buffer_unordered(64)
        .try_collect::<Vec<()>>()
        .await
        .expect("writing the burst objects");
    println!(
        "\n{} concurrent 4 KiB gets (one task each, spawned at once), one child process per client\n",
        gets()
    );
    println!("| client | wall | CPU per get | errors | peak RSS idle | peak RSS after the burst |");
    println!("|---|---:|---:|---:|---:|---:|");
    for name in names.iter().filter(|n| **n != "remote-store-sync") {
        // `BENCH_BURST_WRAP="heaptrack -o /tmp/burst"` runs each child under a profiler.
        let wrap = std::env::var("BENCH_BURST_WRAP").unwrap_or_default();
        let mut words = wrap.split_whitespace();
        let exe = std::env::current_exe().unwrap();
        let mut cmd = match words.next() {
            Some(program) => {
                let mut c = std::process::Command::new(program);
                c.args(words).arg(&exe);
                c
            }
            None => std::process::Command::new(&exe),
        };
        let out = cmd
            .args(["--burst-child", name])
            .env("BENCH_ENDPOINT", &e.endpoint)
            .env("BENCH_SIGN_PAYLOAD", if e.sign { "1" } else { "0" })
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&out.stdout);
        let Some(line) = text.lines().find(|l| l.starts_with("BURST ")) else {
            let err = String::from_utf8_lossy(&out.stderr);
            println!(
                "| {name} | child failed: {} | | | | |",
                err.lines().last().unwrap_or("")
            );
            continue;
        };
        let v: Vec<&str> = line.splitn(8, ' ').collect();
        let mib = |kib: &str| format!("{:.1} MiB", kib.parse::<f64>().unwrap_or(0.0) / 1024.0);
        let errors = if v[4] == "0" {
            "0".to_owned()
        } else {
            format!("{} (first: {})", v[4], v.get(7).unwrap_or(&""))
        };
        println!(
            "| {name} | {} s | {} µs | {errors} | {} | {} |",
            v[2],
            v[3],
            mib(v[5]),
            mib(v[6])
        );
    }
}
