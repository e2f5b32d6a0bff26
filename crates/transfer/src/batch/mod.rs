//! Batch operations: many deletes, copies, moves or probes at a bounded concurrency, each
//! outcome reported.
//!
//! This module holds what both halves share — [`BatchOptions`], [`BatchResult`],
//! [`BatchItem`] — and the runners: a bounded pool of scoped threads for the blocking half,
//! `buffer_unordered` for the async half.

#[cfg(feature = "async")]
pub(crate) mod r#async;
#[cfg(feature = "sync")]
pub(crate) mod sync;

use std::fmt;

use remote_store_core::bulk::MAX_DELETE_BATCH;
use remote_store_core::{Capability, Error, ErrorKind, Result};

/// The default number of operations in flight.
pub const DEFAULT_CONCURRENCY: usize = 16;

/// How a batch runs: how many operations at once, and whether the first failure stops it.
///
/// ```
/// use remote_store_transfer::BatchOptions;
///
/// let opts = BatchOptions::new().concurrency(32).stop_on_error(true);
/// assert_eq!(opts.concurrency, 32);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct BatchOptions {
    /// Operations in flight at once (at least 1; default [`DEFAULT_CONCURRENCY`]).
    pub concurrency: usize,
    /// Stop starting new operations after the first failure (default false: every item
    /// runs and every failure is reported). Items not run are listed in
    /// [`BatchResult::not_run`].
    pub stop_on_error: bool,
}

impl Default for BatchOptions {
    fn default() -> Self {
        BatchOptions {
            concurrency: DEFAULT_CONCURRENCY,
            stop_on_error: false,
        }
    }
}

impl BatchOptions {
    /// Defaults: 16 in flight, never stop early.
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets the concurrency (0 is taken as 1).
    pub fn concurrency(mut self, concurrency: usize) -> Self {
        self.concurrency = concurrency.max(1);
        self
    }

    /// Sets `stop_on_error`.
    pub fn stop_on_error(mut self, stop: bool) -> Self {
        self.stop_on_error = stop;
        self
    }
}

/// One item of a batch: its position in the input, its path, and for copies and moves its
/// destination.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct BatchItem {
    /// The position in the input (0-based).
    pub index: usize,
    /// The path (the source for copies and moves), as given.
    pub path: String,
    /// The destination of a copy or move.
    pub target: Option<String>,
}

impl BatchItem {
    pub(crate) fn new(index: usize, path: String, target: Option<String>) -> Self {
        BatchItem {
            index,
            path,
            target,
        }
    }
}

impl fmt::Display for BatchItem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.target {
            Some(t) => write!(f, "{:?} -> {:?}", self.path, t),
            None => write!(f, "{:?}", self.path),
        }
    }
}

/// What a batch did: every success with its value, every failure with its error, and the
/// items never run (only with `stop_on_error`: the items already running when an item
/// failed still finish and are reported). Each list is in input order.
///
/// A batch never fails as a whole: a store error is always an item's failure.
#[derive(Debug)]
#[non_exhaustive]
pub struct BatchResult<T> {
    /// The items that succeeded, with what they returned (`()` for deletes, copies and
    /// moves, `bool` for `exists_many`).
    pub succeeded: Vec<(BatchItem, T)>,
    /// The items that failed, with their error (path, backend and operation stamped by the
    /// store).
    pub failed: Vec<(BatchItem, Error)>,
    /// The items never started after a failure stopped the batch (`stop_on_error`); none
    /// of them has taken effect.
    pub not_run: Vec<BatchItem>,
}

impl<T> BatchResult<T> {
    pub(crate) fn collect(items: Vec<BatchItem>, results: Vec<Option<Result<T>>>) -> Self {
        let mut out = BatchResult {
            succeeded: Vec::new(),
            failed: Vec::new(),
            not_run: Vec::new(),
        };
        for (item, result) in items.into_iter().zip(results) {
            match result {
                Some(Ok(v)) => out.succeeded.push((item, v)),
                Some(Err(e)) => out.failed.push((item, e)),
                None => out.not_run.push(item),
            }
        }
        out
    }

    /// True when every item ran and succeeded.
    pub fn is_success(&self) -> bool {
        self.failed.is_empty() && self.not_run.is_empty()
    }

    /// How many items the batch had.
    pub fn len(&self) -> usize {
        self.succeeded.len() + self.failed.len() + self.not_run.len()
    }

    /// True for a batch of no items.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The successes' values in input order, or the first failure (by input order).
    ///
    /// # Errors
    /// The error of the first failed item; `Other` naming the first item not run when none
    /// failed but some did not run.
    pub fn into_result(self) -> Result<Vec<T>> {
        if let Some((_, e)) = self.failed.into_iter().next() {
            return Err(e);
        }
        if let Some(item) = self.not_run.first() {
            return Err(
                Error::new(ErrorKind::Other).with_message(format!("batch item {item} was not run"))
            );
        }
        Ok(self.succeeded.into_iter().map(|(_, v)| v).collect())
    }
}

/// The items of a path batch.
pub(crate) fn path_items<P: AsRef<str>>(paths: impl IntoIterator<Item = P>) -> Vec<BatchItem> {
    paths
        .into_iter()
        .enumerate()
        .map(|(i, p)| BatchItem::new(i, p.as_ref().to_owned(), None))
        .collect()
}

/// The items of a copy or move batch.
pub(crate) fn pair_items<S: AsRef<str>, D: AsRef<str>>(
    pairs: impl IntoIterator<Item = (S, D)>,
) -> Vec<BatchItem> {
    pairs
        .into_iter()
        .enumerate()
        .map(|(i, (s, d))| BatchItem::new(i, s.as_ref().to_owned(), Some(d.as_ref().to_owned())))
        .collect()
}

/// The destination of a pair item (always set by [`pair_items`]).
pub(crate) fn target(item: &BatchItem) -> &str {
    item.target.as_deref().unwrap_or_default()
}

/// Whether a delete batch goes to the store's bulk `delete_many` in chunks: when the
/// backend deletes many keys per request (`bulk_delete`) and the batch need not stop at
/// the first failure (a bulk request cannot stop midway). Otherwise it deletes path by
/// path, which bounds requests in flight by the batch's concurrency and lets a dropped
/// async batch stop between paths.
pub(crate) fn deletes_in_bulk(supports: impl Fn(Capability) -> bool, opts: &BatchOptions) -> bool {
    !opts.stop_on_error && supports(Capability::BulkDelete)
}

/// The items in chunks of at most [`MAX_DELETE_BATCH`], one bulk call each.
pub(crate) fn delete_chunks(items: &[BatchItem]) -> Vec<&[BatchItem]> {
    items.chunks(MAX_DELETE_BATCH).collect()
}

/// The per-item outcomes of chunked bulk calls, in input order (`None` for the items of a
/// chunk that never ran).
pub(crate) fn chunk_outcomes(
    chunks: &[&[BatchItem]],
    results: Vec<Option<Result<Vec<Result<()>>>>>,
) -> Vec<Option<Result<()>>> {
    let mut out = Vec::new();
    for (chunk, result) in chunks.iter().zip(results) {
        match result {
            Some(Ok(outcomes)) => out.extend(outcomes.into_iter().map(Some)),
            _ => out.extend(chunk.iter().map(|_| None)),
        }
    }
    out
}
