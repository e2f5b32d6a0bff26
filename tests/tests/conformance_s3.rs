//! Conformance cells for the S3 backend against two independent S3 servers — moto (Python)
//! and s3s-fs (Rust, over a directory) — each in both halves: {moto, s3s-fs} × {sync,
//! async}. Every cell gets its own bucket; every case its own key prefix in it.
//!
//! Whether a server enforces `If-None-Match: *` atomically is detected here, per server,
//! with the raw SDK (and likewise `If-Match` on puts, `conditional_write`, and conditions on
//! `GetObject`, `conditional_read`); the backend then declares `conditional_create` only where it holds
//! (otherwise overwrite=false is a documented check-then-put, and the race cases, which
//! need `conditional_create`, do not apply). Likewise whether a server returns the checksum
//! a write asks for decides `service_checksums` (the `digest_*` cases).
//!
//! The flat-namespace mode (`check_folder_targets(false)`, ADR 0014) has cells of its own
//! on moto, in both halves: it does not declare `folder_file_exclusion`, so exactly the
//! cases that need it (writes, atomic writes, copies and moves onto a folder) do not apply,
//! and the case showing what the mode gives up (a write onto a folder succeeds) runs
//! instead.
//!
//! s3s-fs keeps objects as files, so it refuses a key that is also a folder itself; its
//! cells in the mode that trusts that refusal (`server_refuses_folder_targets`, ADR 0016:
//! no listing before writes, a refused write explained afterwards) declare
//! `folder_file_exclusion` and must pass every folder-target case as the strict cells do.
#![cfg(feature = "s3")]

mod s3_support;

use std::time::Duration;

use remote_store_async::AsyncStore;
use remote_store_conformance::{Features, run_async, run_sync};
use remote_store_s3::{AsyncS3Backend, S3Backend, S3Config};
use remote_store_sync::Store;
use s3_support::{Conditions, Server, block_on, unique_name};

/// Every cell must run (and pass) at least this many cases.
const MIN_CASES: usize = 100;

/// S3 is a flat namespace: folders are key prefixes and vanish with their last key. The
/// big-listing case (1100 keys) spans three pages of [`PAGE_SIZE`]; the default 1000-key
/// pages are proven by `s3_listing.rs` (2,500 keys).
fn features() -> Features {
    Features::flat()
        .large_listing(1100)
        .case_timeout(Duration::from_secs(180))
}

/// Keys per `ListObjectsV2` page in these cells.
const PAGE_SIZE: u32 = 500;

/// The configuration of one cell: a fresh bucket, and conditional writes as detected.
struct Cell {
    server: Server,
    bucket: String,
    conditions: Conditions,
    checksums: bool,
    /// How writes keep (or do not keep) folders and files apart.
    mode: Mode,
}

/// The folder-target modes of ADR 0014 and ADR 0016.
#[derive(Clone, Copy, PartialEq)]
enum Mode {
    /// The default: a listing before each write.
    Strict,
    /// `check_folder_targets(false)`: no folder rule.
    Flat,
    /// `server_refuses_folder_targets(true)`: the server keeps the rule.
    ServerRefuses,
}

impl Cell {
    async fn new(server: Server, tag: &str, mode: Mode) -> Cell {
        let bucket = server.fresh_bucket(tag).await;
        let conditions = server.conditions(&bucket).await;
        let checksums = server.returns_checksums(&bucket).await;
        eprintln!(
            "{}: x-amz-checksum-algorithm on PutObject -> service_checksums = {checksums}",
            server.name
        );
        Cell {
            server,
            bucket,
            conditions,
            checksums,
            mode,
        }
    }

    /// A configuration for one case: its own prefix in the cell's bucket.
    fn config(&self) -> S3Config {
        let config = self
            .server
            .config(&self.bucket)
            .prefix(unique_name("case"))
            .list_page_size(PAGE_SIZE)
            .service_checksums(self.checksums)
            .check_folder_targets(self.mode != Mode::Flat)
            .server_refuses_folder_targets(self.mode == Mode::ServerRefuses);
        self.conditions.apply(config)
    }
}

fn sync_cell(server: Option<Server>, name: &str, mode: Mode) {
    let Some(server) = server else { return };
    let cell = block_on(Cell::new(server, "conf-s", mode));
    let missing = cell.server.config(&unique_name("missing-s"));
    let bucket = missing.bucket.clone();
    let features = cell.server.deviations(features());
    let features = features.missing_container_sync(bucket, move || {
        // A bucket that was never created, and must not be.
        Store::new(S3Backend::new(missing.clone())?, "")
    });
    let report = run_sync(name, features, || {
        Store::new(S3Backend::new(cell.config()).expect("valid config"), "").expect("store")
    });
    report.assert_passed(MIN_CASES);
}

async fn async_cell(server: Option<Server>, name: &str, mode: Mode) {
    let Some(server) = server else { return };
    let cell = Cell::new(server, "conf-a", mode).await;
    let missing = cell.server.config(&unique_name("missing-a"));
    let bucket = missing.bucket.clone();
    let features = cell.server.deviations(features());
    let features = features.missing_container_async(bucket, move || {
        let missing = missing.clone();
        async move { AsyncStore::new(AsyncS3Backend::new(missing)?, "") }
    });
    let report = run_async(name, features, || async {
        AsyncStore::new(
            AsyncS3Backend::new(cell.config()).expect("valid config"),
            "",
        )
        .expect("store")
    })
    .await;
    report.assert_passed(MIN_CASES);
}

#[test]
fn s3_moto_sync() {
    sync_cell(Server::moto(), "s3-moto/sync", Mode::Strict);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn s3_moto_async() {
    async_cell(Server::moto(), "s3-moto/async", Mode::Strict).await;
}

#[test]
fn s3_s3sfs_sync() {
    sync_cell(Server::s3s_fs(), "s3-s3sfs/sync", Mode::Strict);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn s3_s3sfs_async() {
    async_cell(Server::s3s_fs(), "s3-s3sfs/async", Mode::Strict).await;
}

#[test]
fn s3_moto_flat_sync() {
    sync_cell(Server::moto(), "s3-moto-flat/sync", Mode::Flat);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn s3_moto_flat_async() {
    async_cell(Server::moto(), "s3-moto-flat/async", Mode::Flat).await;
}

#[test]
fn s3_s3sfs_server_refuses_sync() {
    sync_cell(
        Server::s3s_fs(),
        "s3-s3sfs-server-refuses/sync",
        Mode::ServerRefuses,
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn s3_s3sfs_server_refuses_async() {
    async_cell(
        Server::s3s_fs(),
        "s3-s3sfs-server-refuses/async",
        Mode::ServerRefuses,
    )
    .await;
}
