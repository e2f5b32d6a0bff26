//! Bursts queue, they do not time out: 2,000 concurrent small operations on one store
//! complete with zero errors on every network backend and on local, in both halves, and
//! the process does not grow a thread per operation.
//!
//! Each of the 2,000 operations writes its own small file and then does one more call on
//! it (read it back, `exists`, `get_file_info`, list its folder, or delete it). The async
//! half runs them all at once on one runtime; the sync half runs them on 2,000 threads
//! sharing one `Store`. A sampler thread records the process's thread count meanwhile.
//!
//! Stated bound: beyond the threads the test itself starts (the runtime's workers, the
//! sampler, and in the sync half the 2,000 callers), a burst adds at most
//! [`LIBRARY_THREADS`] threads (the async local backend runs at most 16 filesystem tasks
//! at once; the network backends run on their runtime's workers).
#![cfg(all(feature = "local", feature = "s3", feature = "azure", feature = "sftp"))]

mod azure_support;
mod s3_support;
mod sftp_support;

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures::TryStreamExt;
use remote_store_async::AsyncStore;
use remote_store_azure::{AsyncAzureBackend, AzureBackend};
use remote_store_core::Error;
use remote_store_local::{AsyncLocalBackend, LocalBackend};
use remote_store_s3::{AsyncS3Backend, S3Backend};
use remote_store_sftp::{AsyncSftpBackend, SftpBackend};
use remote_store_sync::Store;

/// Operations in one burst.
const OPS: usize = 2_000;
/// Threads a burst may add beyond the test's own.
const LIBRARY_THREADS: usize = 24;

/// One burst at a time in this process, so thread counts are not mixed up.
static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());

/// The process's current number of threads (Linux).
fn threads() -> usize {
    let status = std::fs::read_to_string("/proc/self/status").expect("/proc/self/status");
    status
        .lines()
        .find_map(|l| l.strip_prefix("Threads:"))
        .and_then(|n| n.trim().parse().ok())
        .expect("a Threads: line")
}

/// Runs `f` while a sampler thread records the peak thread count; returns `f`'s result
/// and how many threads the peak exceeded the count before `f` by (the sampler excluded).
fn with_peak_threads<R>(f: impl FnOnce() -> R) -> (R, usize) {
    let before = threads();
    let stop = Arc::new(AtomicBool::new(false));
    let peak = Arc::new(AtomicUsize::new(before));
    let sampler = {
        let (stop, peak) = (Arc::clone(&stop), Arc::clone(&peak));
        std::thread::spawn(move || {
            while !stop.load(Ordering::Relaxed) {
                peak.fetch_max(threads(), Ordering::Relaxed);
                std::thread::sleep(Duration::from_millis(5));
            }
        })
    };
    let result = f();
    stop.store(true, Ordering::Relaxed);
    sampler.join().expect("the sampler");
    let grown = peak.load(Ordering::Relaxed).saturating_sub(before + 1);
    (result, grown)
}

/// The path and content of operation `i`.
fn item(i: usize) -> (String, String) {
    (
        format!("burst/d{}/f{i}.txt", i % 25),
        format!("payload number {i}"),
    )
}

async fn one_async(store: &AsyncStore, i: usize) -> Result<(), String> {
    let (path, body) = item(i);
    let fail = |what: &str, e: Error| {
        format!(
            "op {i} ({what} {path}): {e} [{:?}]",
            std::error::Error::source(&e)
        )
    };
    store
        .write(&path, body.clone())
        .await
        .map_err(|e| fail("write", e))?;
    match i % 5 {
        0 => {
            let got = store.read_text(&path).await.map_err(|e| fail("read", e))?;
            if got != body {
                return Err(format!("op {i}: read back {got:?}, wrote {body:?}"));
            }
        }
        1 => {
            if !store.exists(&path).await.map_err(|e| fail("exists", e))? {
                return Err(format!("op {i}: {path} does not exist after its write"));
            }
        }
        2 => {
            let info = store
                .get_file_info(&path)
                .await
                .map_err(|e| fail("get_file_info", e))?;
            if info.size != body.len() as u64 {
                return Err(format!("op {i}: size {} != {}", info.size, body.len()));
            }
        }
        3 => {
            let folder = format!("burst/d{}", i % 25);
            let files: Vec<_> = store
                .list_files(&folder)
                .map_err(|e| fail("list_files", e))?
                .try_collect()
                .await
                .map_err(|e| fail("list_files", e))?;
            if !files.iter().any(|f| f.path.as_str().ends_with(&path)) {
                return Err(format!("op {i}: {path} missing from its folder's listing"));
            }
        }
        _ => store.delete(&path).await.map_err(|e| fail("delete", e))?,
    }
    Ok(())
}

fn one_sync(store: &Store, i: usize) -> Result<(), String> {
    let (path, body) = item(i);
    let fail = |what: &str, e: Error| {
        format!(
            "op {i} ({what} {path}): {e} [{:?}]",
            std::error::Error::source(&e)
        )
    };
    store
        .write(&path, body.clone())
        .map_err(|e| fail("write", e))?;
    match i % 5 {
        0 => {
            let got = store.read_text(&path).map_err(|e| fail("read", e))?;
            if got != body {
                return Err(format!("op {i}: read back {got:?}, wrote {body:?}"));
            }
        }
        1 => {
            if !store.exists(&path).map_err(|e| fail("exists", e))? {
                return Err(format!("op {i}: {path} does not exist after its write"));
            }
        }
        2 => {
            let info = store
                .get_file_info(&path)
                .map_err(|e| fail("get_file_info", e))?;
            if info.size != body.len() as u64 {
                return Err(format!("op {i}: size {} != {}", info.size, body.len()));
            }
        }
        3 => {
            let folder = format!("burst/d{}", i % 25);
            let files = store
                .list_files(&folder)
                .map_err(|e| fail("list_files", e))?
                .collect::<Result<Vec<_>, _>>()
                .map_err(|e| fail("list_files", e))?;
            if !files.iter().any(|f| f.path.as_str().ends_with(&path)) {
                return Err(format!("op {i}: {path} missing from its folder's listing"));
            }
        }
        _ => store.delete(&path).map_err(|e| fail("delete", e))?,
    }
    Ok(())
}

/// 2,000 operations at once on the store `make` builds inside the runtime; asserts zero
/// errors and the thread bound.
fn async_burst<F, Fut>(name: &str, make: F)
where
    F: FnOnce() -> Fut,
    Fut: std::future::Future<Output = AsyncStore>,
{
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|p| p.into_inner());
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let started = std::time::Instant::now();
    // Measured from before the store exists: threads a backend starts count too.
    let ((store, errors), grown) = with_peak_threads(|| {
        runtime.block_on(async {
            let store = make().await;
            let errors = futures::future::join_all((0..OPS).map(|i| one_async(&store, i)))
                .await
                .into_iter()
                .filter_map(Result::err)
                .collect::<Vec<_>>();
            (store, errors)
        })
    });
    runtime.block_on(async { store.close().await.ok() });
    assert!(
        errors.is_empty(),
        "{name}: {} of {OPS} operations failed; first: {:?}",
        errors.len(),
        errors.iter().take(3).collect::<Vec<_>>()
    );
    assert!(
        grown <= LIBRARY_THREADS,
        "{name}: the burst grew the process by {grown} threads (bound {LIBRARY_THREADS})"
    );
    eprintln!(
        "{name}: {OPS} concurrent operations, 0 errors, +{grown} threads ({:.1?})",
        started.elapsed()
    );
}

/// 2,000 operations on 2,000 threads sharing the store `make` builds.
fn sync_burst(name: &str, make: impl FnOnce() -> Store) {
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|p| p.into_inner());
    let started = std::time::Instant::now();
    // Measured from before the store exists: threads a backend starts count too.
    let ((store, errors), grown) = with_peak_threads(|| {
        let store = make();
        let errors = Mutex::new(Vec::new());
        std::thread::scope(|scope| {
            for i in 0..OPS {
                let (store, errors) = (&store, &errors);
                std::thread::Builder::new()
                    .stack_size(256 * 1024)
                    .spawn_scoped(scope, move || {
                        if let Err(e) = one_sync(store, i) {
                            errors.lock().unwrap().push(e);
                        }
                    })
                    .expect("spawn a caller thread");
            }
        });
        (store, errors.into_inner().unwrap())
    });
    store.close().ok();
    assert!(
        errors.is_empty(),
        "{name}: {} of {OPS} operations failed; first: {:?}",
        errors.len(),
        errors.iter().take(3).collect::<Vec<_>>()
    );
    let library = grown.saturating_sub(OPS);
    assert!(
        library <= LIBRARY_THREADS,
        "{name}: beyond its {OPS} callers the burst grew the process by {library} threads \
         (bound {LIBRARY_THREADS})"
    );
    eprintln!(
        "{name}: {OPS} concurrent operations on {OPS} threads, 0 errors ({:.1?})",
        started.elapsed()
    );
}

#[test]
fn local_async() {
    let dir = tempfile::tempdir().unwrap();
    async_burst("local/async", || async {
        AsyncStore::new(AsyncLocalBackend::new(dir.path()).unwrap(), "").unwrap()
    });
}

#[test]
fn local_sync() {
    let dir = tempfile::tempdir().unwrap();
    sync_burst("local/sync", || {
        Store::new(LocalBackend::new(dir.path()).unwrap(), "").unwrap()
    });
}

#[test]
fn s3_async() {
    for server in s3_support::Server::all() {
        let name = format!("s3-{}/async", server.name);
        async_burst(&name, || async {
            let bucket = server.fresh_bucket("burst").await;
            AsyncStore::new(AsyncS3Backend::new(server.config(&bucket)).unwrap(), "").unwrap()
        });
    }
}

#[test]
fn s3_sync() {
    for server in s3_support::Server::all() {
        let bucket = s3_support::block_on(server.fresh_bucket("burst"));
        sync_burst(&format!("s3-{}/sync", server.name), || {
            Store::new(S3Backend::new(server.config(&bucket)).unwrap(), "").unwrap()
        });
    }
}

#[test]
fn azure_async() {
    let Some(azurite) = azure_support::azurite() else {
        return;
    };
    async_burst("azure-azurite/async", || async {
        let backend = AsyncAzureBackend::new(azurite.config("burst")).unwrap();
        backend.create_container().await.unwrap();
        AsyncStore::new(backend, "").unwrap()
    });
}

#[test]
fn azure_sync() {
    let Some(azurite) = azure_support::azurite() else {
        return;
    };
    sync_burst("azure-azurite/sync", || {
        let backend = AzureBackend::new(azurite.config("burst")).unwrap();
        backend.create_container().unwrap();
        Store::new(backend, "").unwrap()
    });
}

#[test]
fn sftp_async() {
    let Some(sshd) = sftp_support::Sshd::from_env() else {
        return;
    };
    async_burst("sftp-sshd/async", || async {
        AsyncStore::new(AsyncSftpBackend::new(sshd.config("burst")).unwrap(), "").unwrap()
    });
}

#[test]
fn sftp_sync() {
    let Some(sshd) = sftp_support::Sshd::from_env() else {
        return;
    };
    sync_burst("sftp-sshd/sync", || {
        Store::new(SftpBackend::new(sshd.config("burst")).unwrap(), "").unwrap()
    });
}
