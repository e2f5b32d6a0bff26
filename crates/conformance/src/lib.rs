//! The remote-store contract as a library: run it over any backend, built-in or third-party.
//!
//! Every backend of remote-store obeys one contract (paths, errors, capabilities, the
//! precondition order of every `Store` method). This crate is that contract written as
//! executable cases, generic over a store factory, with one entry point per half:
//! [`run_sync`] drives a blocking `Store`, [`run_async`] an `AsyncStore`. Each case is
//! written once and runs in both halves, so a backend proves the same contract whether it
//! is used natively or through an adapter.
//!
//! # Using it for your backend
//!
//! Depend on `remote-store-core`, your store half(s) and this crate (as a dev-dependency),
//! then write one test per cell. The factory must return a **fresh, isolated** store each
//! time (its own temp directory, key prefix or container) that **owns** its backend.
//! Declare what your backend is with [`Features`]; the suite skips a case only when the
//! store lacks a capability the case needs or a feature flag rules it out — never by name.
//!
//! ```no_run
//! use remote_store_conformance::{Features, run_async, run_sync};
//! use remote_store_async::{AsyncBackend, AsyncStore};
//! use remote_store_sync::{Backend, Store};
//!
//! /// Your test: `#[test] fn conformance_sync() { check_sync(MyBackend::new_in_temp_dir) }`.
//! fn check_sync<B: Backend>(make_backend: impl Fn() -> B + Send + Sync) {
//!     let features = Features::hierarchical(); // or Features::flat() for S3-like stores
//!     let report = run_sync("my-backend/sync", features, || {
//!         Store::new(make_backend(), "").expect("a valid root")
//!     });
//!     report.assert_passed(100); // prints the counts; panics on any failure
//! }
//!
//! /// Inside `#[tokio::test]`: `check_async(|| async { MyAsyncBackend::new() }).await`.
//! async fn check_async<B, Fut>(make_backend: impl Fn() -> Fut)
//! where
//!     B: AsyncBackend,
//!     Fut: std::future::Future<Output = B>,
//! {
//!     let features = Features::hierarchical()
//!         .deviation("glob_class", "the server's matcher has no [..] classes (issue #12)");
//!     let report = run_async("my-backend/async", features, || async {
//!         AsyncStore::new(make_backend().await, "").expect("a valid root")
//!     })
//!     .await;
//!     report.assert_passed(100);
//! }
//! ```
//!
//! # What a run reports
//!
//! A [`Report`] counts the cases that ran, passed and were skipped (with the reason), lists
//! every failure with its message and source line, and shows declared deviations in a
//! table: a deviation's case still runs, its failure is reported as a known deviation
//! instead of failing the run, and an unexpected pass is flagged for review.
//! [`Report::assert_passed`] prints
//! `conformance <cell>: N ran, N passed, N skipped, N known deviations` and panics on any
//! failure or when fewer than the given number of cases ran, so a cell can never go green
//! by skipping. It also names the cell's five slowest cases with their times (the factory
//! call included), to show where a slow cell's time goes.
//!
//! # What it covers
//!
//! Identity and pure conversions; probes; the root rules; every malformed path form from
//! every method family; reads (streamed, whole, text, chunked, ranged, seekable); writes
//! (streamed, empty, binary, large, special names, folder and file-ancestor targets);
//! atomic writes and their failure modes; the overwrite=false race; every row of `delete`
//! and `delete_folder`; listings (depth, pattern, pages larger than a server page), glob,
//! infos, move and copy with their precondition order, metadata and write results,
//! close and child stores, concurrency (32 threads / 256 tasks), and a missing container.
//! [`case_names`] lists every case.
//!
//! # A missing bucket, container or root folder
//!
//! The case `missing_container_is_an_error` needs a store over a container that does not
//! exist, which the per-case factory cannot make: declare it with
//! [`Features::missing_container_sync`] and [`Features::missing_container_async`] (a hook
//! per half, and the name the errors must show), or [`Features::no_container`] for a
//! backend that has none. Without either, the case is skipped and the report says why.
//!
//! Each case gets its own store, its own thread (sync) and a timeout, so a panic or a hang
//! in one case is reported and the run goes on.

mod cases;
mod features;
mod report;
mod runner;

pub use features::Features;
pub use report::{Deviation, DeviationOutcome, Report};
pub use runner::{case_names, run_async, run_sync};
