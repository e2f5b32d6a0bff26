//! `cargo xtask bench sftp`: remote-store's SFTP backend against OpenSSH's own `sftp`
//! client (`sftp -b`) on the same sshd, in one run, as throughput ratios.
//!
//! Needs the sshd emulator's variables (`REMOTE_STORE_SFTP_HOST`, `_PORT`, `_USER`, `_KEY`,
//! `_HOST_KEY_PUB`, `_BASE`), which `cargo xtask bench sftp` sets. Options:
//! `--big-mib N` (default 256), `--small N` (default 1000), `--rounds N` (default 3; the
//! best round counts).

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use bytes::Bytes;
use futures::StreamExt;
use remote_store_async::AsyncStore;
use remote_store_core::WriteOptions;
use remote_store_sftp::{AsyncSftpBackend, Auth, SftpBackend, SftpConfig};
use remote_store_sync::Store;

struct Env {
    host: String,
    port: u16,
    user: String,
    key: String,
    host_key: String,
    base: String,
}

fn env() -> Env {
    let var = |n: &str| {
        std::env::var(n).unwrap_or_else(|_| {
            panic!("{n} is not set: run `cargo xtask bench sftp` (it starts sshd)")
        })
    };
    Env {
        host: var("REMOTE_STORE_SFTP_HOST"),
        port: var("REMOTE_STORE_SFTP_PORT").parse().expect("a port"),
        user: var("REMOTE_STORE_SFTP_USER"),
        key: var("REMOTE_STORE_SFTP_KEY"),
        host_key: std::fs::read_to_string(var("REMOTE_STORE_SFTP_HOST_KEY_PUB"))
            .expect("the host key")
            .trim()
            .to_owned(),
        base: var("REMOTE_STORE_SFTP_BASE"),
    }
}

impl Env {
    fn known_hosts_line(&self) -> String {
        format!("[{}]:{} {}", self.host, self.port, self.host_key)
    }

    fn config(&self, base: &str) -> SftpConfig {
        SftpConfig::new(
            self.host.clone(),
            self.user.clone(),
            Auth::key_file(&self.key),
        )
        .port(self.port)
        .known_hosts_line(self.known_hosts_line())
        .base_path(base)
        // The run's base directories are new: create them on the first call.
        .create_base_path(true)
    }

    /// Runs OpenSSH's `sftp -b batch`, returning the wall time.
    fn openssh(&self, batch: &str, known_hosts: &Path, work: &Path) -> Duration {
        let file = work.join("batch.txt");
        std::fs::write(&file, batch).unwrap();
        let started = Instant::now();
        let out = Command::new("sftp")
            .arg("-q")
            .arg("-b")
            .arg(&file)
            .arg("-P")
            .arg(self.port.to_string())
            .arg("-i")
            .arg(&self.key)
            .arg("-o")
            .arg(format!("UserKnownHostsFile={}", known_hosts.display()))
            .arg("-o")
            .arg("StrictHostKeyChecking=yes")
            .arg("-o")
            .arg("BatchMode=yes")
            // The cipher remote-store negotiates first, so both clients do the same crypto.
            .arg("-o")
            .arg("Ciphers=aes256-gcm@openssh.com")
            .arg(format!("{}@{}", self.user, self.host))
            .current_dir(work)
            .output()
            .expect("OpenSSH's sftp client runs");
        let took = started.elapsed();
        assert!(
            out.status.success(),
            "sftp -b failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        took
    }
}

fn arg(name: &str, default: usize) -> usize {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .map_or(default, |v| v.parse().expect("a number"))
}

fn mibps(bytes: usize, took: Duration) -> f64 {
    bytes as f64 / (1024.0 * 1024.0) / took.as_secs_f64()
}

fn best(times: &[Duration]) -> Duration {
    times.iter().copied().min().unwrap_or_default()
}

struct Row {
    what: String,
    ours: Duration,
    openssh: Duration,
    unit: &'static str,
    amount: f64,
}

#[tokio::main]
async fn main() {
    let env = env();
    let big_mib = arg("--big-mib", 256);
    let small = arg("--small", 1000);
    let rounds = arg("--rounds", 3);
    let work = tempfile::tempdir().unwrap();
    let known_hosts = work.path().join("known_hosts");
    std::fs::write(&known_hosts, format!("{}\n", env.known_hosts_line())).unwrap();
    let run_base = format!(
        "{}/bench-{}",
        env.base,
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_millis()
    );

    // --- data ----------------------------------------------------------------------------
    let big_len = big_mib * 1024 * 1024;
    let big: Bytes = (0..big_len)
        .map(|i| (i as u8).wrapping_mul(31) ^ (i >> 12) as u8)
        .collect::<Vec<u8>>()
        .into();
    std::fs::write(work.path().join("big.bin"), &big).unwrap();
    let small_dir = work.path().join("small");
    std::fs::create_dir_all(&small_dir).unwrap();
    let small_body = Bytes::from(vec![7u8; 4096]);
    for i in 0..small {
        std::fs::write(small_dir.join(format!("f{i}.bin")), &small_body).unwrap();
    }

    // --- OpenSSH -------------------------------------------------------------------------
    let ssh_base = format!("{run_base}/openssh");
    let connect_only = best(
        &(0..rounds)
            .map(|_| {
                env.openssh(
                    &format!("-mkdir {run_base}\n-mkdir {ssh_base}\n"),
                    &known_hosts,
                    work.path(),
                )
            })
            .collect::<Vec<_>>(),
    );
    let ssh_put_big = best(
        &(0..rounds)
            .map(|_| {
                env.openssh(
                    &format!("put big.bin {ssh_base}/big.bin\n"),
                    &known_hosts,
                    work.path(),
                )
            })
            .collect::<Vec<_>>(),
    )
    .saturating_sub(connect_only);
    let ssh_get_big = best(
        &(0..rounds)
            .map(|_| {
                env.openssh(
                    &format!("get {ssh_base}/big.bin big.out\n"),
                    &known_hosts,
                    work.path(),
                )
            })
            .collect::<Vec<_>>(),
    )
    .saturating_sub(connect_only);
    assert_eq!(
        std::fs::metadata(work.path().join("big.out"))
            .unwrap()
            .len(),
        big_len as u64
    );
    let mut put_small = format!("-mkdir {ssh_base}/small\n");
    let mut get_small = String::new();
    std::fs::create_dir_all(work.path().join("small.out")).unwrap();
    for i in 0..small {
        put_small.push_str(&format!("put small/f{i}.bin {ssh_base}/small/f{i}.bin\n"));
        get_small.push_str(&format!(
            "get {ssh_base}/small/f{i}.bin small.out/f{i}.bin\n"
        ));
    }
    let ssh_put_small = best(
        &(0..rounds)
            .map(|_| env.openssh(&put_small, &known_hosts, work.path()))
            .collect::<Vec<_>>(),
    )
    .saturating_sub(connect_only);
    let ssh_get_small = best(
        &(0..rounds)
            .map(|_| env.openssh(&get_small, &known_hosts, work.path()))
            .collect::<Vec<_>>(),
    )
    .saturating_sub(connect_only);

    // --- remote-store, async ----------------------------------------------------------------
    let store = AsyncStore::new(
        AsyncSftpBackend::new(env.config(&format!("{run_base}/ours-async"))).unwrap(),
        "",
    )
    .unwrap();
    let connect_started = Instant::now();
    store.ping().await.unwrap();
    let our_connect = connect_started.elapsed();
    let over = || WriteOptions::new().overwrite(true);
    let mut put = Vec::new();
    let mut get = Vec::new();
    for _ in 0..rounds {
        let t = Instant::now();
        store.write("big.bin", big.clone(), over()).await.unwrap();
        put.push(t.elapsed());
        let t = Instant::now();
        let mut body = store.read("big.bin").await.unwrap();
        let mut n = 0;
        while let Some(chunk) = body.next().await {
            n += chunk.unwrap().len();
        }
        get.push(t.elapsed());
        assert_eq!(n, big_len);
    }
    let (async_put_big, async_get_big) = (best(&put), best(&get));
    let (mut put, mut get) = (Vec::new(), Vec::new());
    for _ in 0..rounds {
        let t = Instant::now();
        for i in 0..small {
            store
                .write(&format!("small/f{i}.bin"), small_body.clone(), over())
                .await
                .unwrap();
        }
        put.push(t.elapsed());
        let t = Instant::now();
        for i in 0..small {
            let b = store.read_bytes(&format!("small/f{i}.bin")).await.unwrap();
            assert_eq!(b.len(), 4096);
        }
        get.push(t.elapsed());
    }
    let (async_put_small, async_get_small) = (best(&put), best(&get));
    // Concurrent small files (16 tasks), which one OpenSSH batch cannot do.
    let (mut put, mut get) = (Vec::new(), Vec::new());
    for _ in 0..rounds {
        let t = Instant::now();
        futures::stream::iter(0..small)
            .map(|i| {
                let (store, body) = (store.clone(), small_body.clone());
                async move {
                    store
                        .write(&format!("par/f{i}.bin"), body, over())
                        .await
                        .unwrap()
                }
            })
            .buffer_unordered(16)
            .collect::<Vec<_>>()
            .await;
        put.push(t.elapsed());
        let t = Instant::now();
        futures::stream::iter(0..small)
            .map(|i| {
                let store = store.clone();
                async move { store.read_bytes(&format!("par/f{i}.bin")).await.unwrap() }
            })
            .buffer_unordered(16)
            .collect::<Vec<_>>()
            .await;
        get.push(t.elapsed());
    }
    let (par_put_small, par_get_small) = (best(&put), best(&get));
    store.close().await.unwrap();

    // --- remote-store, blocking -------------------------------------------------------------
    let sync_config = env.config(&format!("{run_base}/ours-sync"));
    let big2 = big.clone();
    let (sync_put_big, sync_get_big) = tokio::task::spawn_blocking(move || {
        let store = Store::new(SftpBackend::new(sync_config).unwrap(), "").unwrap();
        store.ping().unwrap();
        let (mut put, mut get) = (Vec::new(), Vec::new());
        for _ in 0..rounds {
            let t = Instant::now();
            store
                .write("big.bin", big2.clone(), WriteOptions::new().overwrite(true))
                .unwrap();
            put.push(t.elapsed());
            let t = Instant::now();
            let mut reader = store.read("big.bin").unwrap();
            let n = std::io::copy(&mut reader, &mut std::io::sink()).unwrap();
            get.push(t.elapsed());
            assert_eq!(n as usize, big_len);
        }
        store.close().unwrap();
        (best(&put), best(&get))
    })
    .await
    .unwrap();

    // Clean up the server side.
    let cleanup =
        AsyncStore::new(AsyncSftpBackend::new(env.config(&run_base)).unwrap(), "").unwrap();
    for dir in ["openssh", "ours-async", "ours-sync"] {
        let _ = cleanup.delete_folder(dir, true, true).await;
    }
    drop(cleanup);
    let _ = std::fs::remove_dir(PathBuf::from(&run_base));

    // --- report ------------------------------------------------------------------------------
    let rows = [
        Row {
            what: format!("put {big_mib} MiB (async)"),
            ours: async_put_big,
            openssh: ssh_put_big,
            unit: "MiB/s",
            amount: big_len as f64,
        },
        Row {
            what: format!("get {big_mib} MiB (async)"),
            ours: async_get_big,
            openssh: ssh_get_big,
            unit: "MiB/s",
            amount: big_len as f64,
        },
        Row {
            what: format!("put {big_mib} MiB (sync)"),
            ours: sync_put_big,
            openssh: ssh_put_big,
            unit: "MiB/s",
            amount: big_len as f64,
        },
        Row {
            what: format!("get {big_mib} MiB (sync)"),
            ours: sync_get_big,
            openssh: ssh_get_big,
            unit: "MiB/s",
            amount: big_len as f64,
        },
        Row {
            what: format!("put {small} x 4 KiB, one at a time"),
            ours: async_put_small,
            openssh: ssh_put_small,
            unit: "files/s",
            amount: small as f64,
        },
        Row {
            what: format!("get {small} x 4 KiB, one at a time"),
            ours: async_get_small,
            openssh: ssh_get_small,
            unit: "files/s",
            amount: small as f64,
        },
        Row {
            what: format!("put {small} x 4 KiB, 16 tasks"),
            ours: par_put_small,
            openssh: ssh_put_small,
            unit: "files/s",
            amount: small as f64,
        },
        Row {
            what: format!("get {small} x 4 KiB, 16 tasks"),
            ours: par_get_small,
            openssh: ssh_get_small,
            unit: "files/s",
            amount: small as f64,
        },
    ];
    println!(
        "SFTP benchmark against OpenSSH sftp -b on the same sshd ({}:{}), best of {rounds}",
        env.host, env.port
    );
    println!(
        "connect: remote-store {:.0} ms (handshake + auth + SFTP start), OpenSSH sftp -b with an empty batch {:.0} ms (subtracted from its rows)",
        our_connect.as_secs_f64() * 1e3,
        connect_only.as_secs_f64() * 1e3
    );
    println!("| operation | remote-store | OpenSSH sftp | ratio (ours / OpenSSH throughput) |");
    println!("|---|---|---|---|");
    for r in rows {
        let rate = |d: Duration| {
            if r.unit == "MiB/s" {
                mibps(r.amount as usize, d)
            } else {
                r.amount / d.as_secs_f64()
            }
        };
        let (ours, theirs) = (rate(r.ours), rate(r.openssh));
        println!(
            "| {} | {:.0} {} ({:.0} ms) | {:.0} {} ({:.0} ms) | {:.2}x |",
            r.what,
            ours,
            r.unit,
            r.ours.as_secs_f64() * 1e3,
            theirs,
            r.unit,
            r.openssh.as_secs_f64() * 1e3,
            ours / theirs
        );
    }
}
