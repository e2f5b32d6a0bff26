//! The async half of batches: `buffer_unordered` inside the caller's future.

use std::future::Future;
use std::sync::atomic::{AtomicBool, Ordering};

use futures::future::OptionFuture;
use futures::{FutureExt, StreamExt};
use remote_store_async::AsyncStore;
use remote_store_core::{CopyOptions, DeleteOptions, MoveOptions, Result};

use super::{
    BatchItem, BatchOptions, BatchResult, chunk_outcomes, delete_chunks, deletes_in_bulk,
    pair_items, path_items, target,
};

/// Polls `f(item)` for every item, at most `concurrency` at once, inside the returned
/// future (no task is spawned, so dropping it cancels everything still running). Outcomes
/// come back in input order; `None` for items never started because `stop_on_error` saw a
/// failure. As in the blocking half, a failure only stops new items from starting: the
/// ones already running finish and report what they did (a write cut off half-way would
/// be reported as never run).
pub(crate) async fn run_stream<'a, I, T, F, Fut>(
    items: &'a [I],
    concurrency: usize,
    stop_on_error: bool,
    f: F,
) -> Vec<Option<Result<T>>>
where
    F: Fn(&'a I) -> Fut,
    Fut: Future<Output = Result<T>> + 'a,
{
    let mut results: Vec<Option<Result<T>>> =
        std::iter::repeat_with(|| None).take(items.len()).collect();
    let stop = AtomicBool::new(false);
    // Indices, not references, go through the stream: a closure over `&I` items would
    // make the future's `Send`-ness depend on a higher-ranked lifetime the compiler cannot
    // prove, and the batch futures could not be spawned.
    let (f, stop_ref) = (&f, &stop);
    // `buffer_unordered` takes the next item only when a slot is free, that is after the
    // outcome that may have set `stop` was handed out below.
    let mut running = futures::stream::iter(0..items.len())
        .map(move |i| {
            let started = (!stop_ref.load(Ordering::Relaxed)).then(|| f(&items[i]));
            OptionFuture::from(started).map(move |r| (i, r))
        })
        .buffer_unordered(concurrency.max(1));
    while let Some((i, result)) = running.next().await {
        let Some(result) = result else { continue };
        if result.is_err() && stop_on_error {
            stop.store(true, Ordering::Relaxed);
        }
        results[i] = Some(result);
    }
    results
}

async fn run<T, Fut>(
    items: Vec<BatchItem>,
    opts: &BatchOptions,
    f: impl Fn(BatchItem) -> Fut,
) -> BatchResult<T>
where
    Fut: Future<Output = Result<T>>,
{
    let results = run_stream(&items, opts.concurrency, opts.stop_on_error, |item| {
        f(item.clone())
    })
    .await;
    BatchResult::collect(items, results)
}

/// Async version of `sync::delete_many`.
///
/// # Cancel safety
/// The batch runs inside this future, at most `concurrency` operations at once: dropping it
/// cancels the operations in flight (each may or may not have taken effect, as for any
/// dropped store call) and starts no more.
pub async fn delete_many<P: AsRef<str>>(
    store: &AsyncStore,
    paths: impl IntoIterator<Item = P>,
) -> BatchResult<()> {
    delete_many_with(store, paths, DeleteOptions::new(), &BatchOptions::new()).await
}

/// Async version of `sync::delete_many_with` (bulk chunks where the backend has
/// `bulk_delete`; dropping the future cancels the chunks in flight).
///
/// # Cancel safety
/// As [`delete_many`].
pub async fn delete_many_with<P: AsRef<str>>(
    store: &AsyncStore,
    paths: impl IntoIterator<Item = P>,
    delete: DeleteOptions,
    opts: &BatchOptions,
) -> BatchResult<()> {
    let items = path_items(paths);
    if !deletes_in_bulk(|c| store.supports(c), opts) {
        return run(items, opts, |item| store.delete_with(item.path, delete)).await;
    }
    let chunks = delete_chunks(&items);
    let results = run_stream(&chunks, opts.concurrency, false, |chunk| {
        store
            .delete_many(chunk.iter().map(|i| &i.path), delete)
            .map(Ok)
    })
    .await;
    let outcomes = chunk_outcomes(&chunks, results);
    BatchResult::collect(items, outcomes)
}

/// Async version of `sync::copy_many`.
///
/// # Cancel safety
/// As [`delete_many`].
pub async fn copy_many<S: AsRef<str>, D: AsRef<str>>(
    store: &AsyncStore,
    pairs: impl IntoIterator<Item = (S, D)>,
) -> BatchResult<()> {
    copy_many_with(store, pairs, CopyOptions::new(), &BatchOptions::new()).await
}

/// Async version of `sync::copy_many_with`.
///
/// # Cancel safety
/// As [`delete_many`].
pub async fn copy_many_with<S: AsRef<str>, D: AsRef<str>>(
    store: &AsyncStore,
    pairs: impl IntoIterator<Item = (S, D)>,
    copy: CopyOptions,
    opts: &BatchOptions,
) -> BatchResult<()> {
    run(pair_items(pairs), opts, |item| {
        let dst = target(&item).to_owned();
        store.copy_file_with(item.path, dst, copy)
    })
    .await
}

/// Async version of `sync::move_many`.
///
/// # Cancel safety
/// As [`delete_many`].
pub async fn move_many<S: AsRef<str>, D: AsRef<str>>(
    store: &AsyncStore,
    pairs: impl IntoIterator<Item = (S, D)>,
) -> BatchResult<()> {
    move_many_with(store, pairs, MoveOptions::new(), &BatchOptions::new()).await
}

/// Async version of `sync::move_many_with`.
///
/// # Cancel safety
/// As [`delete_many`].
pub async fn move_many_with<S: AsRef<str>, D: AsRef<str>>(
    store: &AsyncStore,
    pairs: impl IntoIterator<Item = (S, D)>,
    mv: MoveOptions,
    opts: &BatchOptions,
) -> BatchResult<()> {
    run(pair_items(pairs), opts, |item| {
        let dst = target(&item).to_owned();
        store.move_file_with(item.path, dst, mv)
    })
    .await
}

/// Async version of `sync::exists_many`.
///
/// # Cancel safety
/// Read-only: dropping it only stops the probes.
pub async fn exists_many<P: AsRef<str>>(
    store: &AsyncStore,
    paths: impl IntoIterator<Item = P>,
) -> BatchResult<bool> {
    exists_many_with(store, paths, &BatchOptions::new()).await
}

/// Async version of `sync::exists_many_with`.
///
/// # Cancel safety
/// Read-only: dropping it only stops the probes.
pub async fn exists_many_with<P: AsRef<str>>(
    store: &AsyncStore,
    paths: impl IntoIterator<Item = P>,
    opts: &BatchOptions,
) -> BatchResult<bool> {
    run(path_items(paths), opts, |item| store.exists(item.path)).await
}
