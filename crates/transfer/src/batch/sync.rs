//! The blocking half of batches: a bounded pool of scoped threads.

use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use remote_store_core::{CopyOptions, DeleteOptions, MoveOptions, Result};
use remote_store_sync::Store;

use super::{
    BatchItem, BatchOptions, BatchResult, chunk_outcomes, delete_chunks, deletes_in_bulk,
    pair_items, path_items, target,
};

/// Runs `f` over `items` on at most `concurrency` scoped threads (on the caller's thread
/// when one is enough) and returns each item's outcome in input order; `None` for items
/// never started because `stop_on_error` saw a failure. Returns only when every started
/// item is done.
pub(crate) fn run_pool<I, T, F>(
    items: &[I],
    concurrency: usize,
    stop_on_error: bool,
    f: F,
) -> Vec<Option<Result<T>>>
where
    I: Sync,
    T: Send,
    F: Fn(&I) -> Result<T> + Sync,
{
    let next = AtomicUsize::new(0);
    let stop = AtomicBool::new(false);
    let results: Mutex<Vec<Option<Result<T>>>> =
        Mutex::new(std::iter::repeat_with(|| None).take(items.len()).collect());
    let work = || {
        loop {
            if stop.load(Ordering::Relaxed) {
                return;
            }
            let i = next.fetch_add(1, Ordering::Relaxed);
            let Some(item) = items.get(i) else { return };
            let result = f(item);
            if result.is_err() && stop_on_error {
                stop.store(true, Ordering::Relaxed);
            }
            results.lock().unwrap_or_else(|e| e.into_inner())[i] = Some(result);
        }
    };
    let workers = concurrency.max(1).min(items.len());
    if workers <= 1 {
        work();
    } else {
        std::thread::scope(|s| {
            for _ in 1..workers {
                s.spawn(work);
            }
            // The caller's thread is one of the workers.
            work();
        });
    }
    results.into_inner().unwrap_or_else(|e| e.into_inner())
}

fn run<T: Send>(
    items: Vec<BatchItem>,
    opts: &BatchOptions,
    f: impl Fn(&BatchItem) -> Result<T> + Sync,
) -> BatchResult<T> {
    let results = run_pool(&items, opts.concurrency, opts.stop_on_error, f);
    BatchResult::collect(items, results)
}

/// Deletes every file in `paths` (default [`DeleteOptions`]: a missing file is a
/// `NotFound` failure) with the default [`BatchOptions`].
///
/// Every item runs and is reported in the [`BatchResult`]; the batch itself never fails.
/// The blocking batches run on a bounded pool of scoped threads (the caller's thread is one
/// of them) and return when every item is done.
pub fn delete_many<P: AsRef<str>>(
    store: &Store,
    paths: impl IntoIterator<Item = P>,
) -> BatchResult<()> {
    delete_many_with(store, paths, DeleteOptions::new(), &BatchOptions::new())
}

/// [`delete_many`] with [`DeleteOptions`] (`missing_ok`) and [`BatchOptions`].
///
/// Where the backend deletes many keys per request (capability `bulk_delete`: S3's
/// `DeleteObjects`), the paths go to [`Store::delete_many`] in chunks of up to 1,000,
/// `concurrency` chunks at once; each item's outcome is still reported. Otherwise, and
/// always with `stop_on_error`, each path is one `delete_with`.
pub fn delete_many_with<P: AsRef<str>>(
    store: &Store,
    paths: impl IntoIterator<Item = P>,
    delete: DeleteOptions,
    opts: &BatchOptions,
) -> BatchResult<()> {
    let items = path_items(paths);
    if !deletes_in_bulk(|c| store.supports(c), opts) {
        return run(items, opts, |item| store.delete_with(&item.path, delete));
    }
    let chunks = delete_chunks(&items);
    let results = run_pool(&chunks, opts.concurrency, false, |chunk| {
        Ok(store.delete_many(chunk.iter().map(|i| &i.path), delete))
    });
    let outcomes = chunk_outcomes(&chunks, results);
    BatchResult::collect(items, outcomes)
}

/// Copies each `(src, dst)` pair within `store` (default [`CopyOptions`]: an existing
/// destination is an `AlreadyExists` failure) with the default [`BatchOptions`].
pub fn copy_many<S: AsRef<str>, D: AsRef<str>>(
    store: &Store,
    pairs: impl IntoIterator<Item = (S, D)>,
) -> BatchResult<()> {
    copy_many_with(store, pairs, CopyOptions::new(), &BatchOptions::new())
}

/// [`copy_many`] with [`CopyOptions`] (`overwrite`) and [`BatchOptions`].
pub fn copy_many_with<S: AsRef<str>, D: AsRef<str>>(
    store: &Store,
    pairs: impl IntoIterator<Item = (S, D)>,
    copy: CopyOptions,
    opts: &BatchOptions,
) -> BatchResult<()> {
    run(pair_items(pairs), opts, |item| {
        store.copy_file_with(&item.path, target(item), copy)
    })
}

/// Moves each `(src, dst)` pair within `store` (default [`MoveOptions`]) with the default
/// [`BatchOptions`].
pub fn move_many<S: AsRef<str>, D: AsRef<str>>(
    store: &Store,
    pairs: impl IntoIterator<Item = (S, D)>,
) -> BatchResult<()> {
    move_many_with(store, pairs, MoveOptions::new(), &BatchOptions::new())
}

/// [`move_many`] with [`MoveOptions`] (`overwrite`) and [`BatchOptions`].
pub fn move_many_with<S: AsRef<str>, D: AsRef<str>>(
    store: &Store,
    pairs: impl IntoIterator<Item = (S, D)>,
    mv: MoveOptions,
    opts: &BatchOptions,
) -> BatchResult<()> {
    run(pair_items(pairs), opts, |item| {
        store.move_file_with(&item.path, target(item), mv)
    })
}

/// Whether each of `paths` exists (`Store::exists`), with the default [`BatchOptions`]:
/// the value of each success is the answer.
pub fn exists_many<P: AsRef<str>>(
    store: &Store,
    paths: impl IntoIterator<Item = P>,
) -> BatchResult<bool> {
    exists_many_with(store, paths, &BatchOptions::new())
}

/// [`exists_many`] with [`BatchOptions`].
pub fn exists_many_with<P: AsRef<str>>(
    store: &Store,
    paths: impl IntoIterator<Item = P>,
    opts: &BatchOptions,
) -> BatchResult<bool> {
    run(path_items(paths), opts, |item| store.exists(&item.path))
}
