//! The concurrency-limit layer (issue 12): never more than N operations in flight, in
//! either half, and an open read or listing holds its permit until it ends or is dropped.
#![cfg(feature = "memory")]

mod layers_support;

use std::io::Read;
use std::sync::atomic::Ordering;
use std::sync::mpsc;
use std::time::Duration;

use futures::StreamExt;
use layers_support::Flaky;
use remote_store_async::{AsyncStore, SyncBackendAdapter};
use remote_store_layers::ConcurrencyLimit;
use remote_store_sync::Store;

#[test]
fn the_bound_holds_across_threads() {
    let flaky = Flaky::new();
    let s = Store::new(ConcurrencyLimit::new(flaky.clone(), 3), "").unwrap();
    let threads: Vec<_> = (0..16)
        .map(|_| {
            let s = s.clone();
            std::thread::spawn(move || {
                for _ in 0..10 {
                    s.is_file("a.txt").unwrap();
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    assert_eq!(flaky.faults.probes.load(Ordering::SeqCst), 160);
    assert_eq!(flaky.faults.peak.load(Ordering::SeqCst), 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_bound_holds_across_tasks() {
    let flaky = Flaky::new();
    let s = AsyncStore::new(
        ConcurrencyLimit::new(SyncBackendAdapter::new(flaky.clone()), 3),
        "",
    )
    .unwrap();
    let tasks: Vec<_> = (0..16)
        .map(|_| {
            let s = s.clone();
            tokio::spawn(async move {
                for _ in 0..10 {
                    s.is_file("a.txt").await.unwrap();
                }
            })
        })
        .collect();
    for t in tasks {
        t.await.unwrap();
    }
    assert_eq!(flaky.faults.probes.load(Ordering::SeqCst), 160);
    assert_eq!(flaky.faults.peak.load(Ordering::SeqCst), 3);
}

#[test]
fn an_open_reader_holds_its_permit_until_it_ends() {
    let s = Store::new(ConcurrencyLimit::new(Flaky::new(), 1), "").unwrap();
    s.write("a.txt", "hello").unwrap();
    let mut reader = s.read("a.txt").unwrap();
    let (tx, rx) = mpsc::channel();
    let waiter = {
        let s = s.clone();
        std::thread::spawn(move || {
            s.exists("a.txt").unwrap();
            tx.send(()).unwrap();
        })
    };
    assert!(
        rx.recv_timeout(Duration::from_millis(100)).is_err(),
        "a second operation ran while the only permit was held by a reader"
    );
    let mut text = String::new();
    reader.read_to_string(&mut text).unwrap();
    rx.recv_timeout(Duration::from_secs(5))
        .expect("the permit is freed at the end of the body");
    waiter.join().unwrap();

    // A listing holds it too, from its first item until dropped.
    let mut listing = s.list_files("").unwrap();
    assert!(listing.next().is_some());
    let (tx, rx) = mpsc::channel();
    let waiter = {
        let s = s.clone();
        std::thread::spawn(move || {
            s.exists("a.txt").unwrap();
            tx.send(()).unwrap();
        })
    };
    assert!(rx.recv_timeout(Duration::from_millis(100)).is_err());
    drop(listing);
    rx.recv_timeout(Duration::from_secs(5))
        .expect("the permit is freed when the listing is dropped");
    waiter.join().unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn an_open_stream_holds_its_permit_until_it_ends() {
    let s = AsyncStore::new(
        ConcurrencyLimit::new(SyncBackendAdapter::new(Flaky::new()), 1),
        "",
    )
    .unwrap();
    s.write("a.txt", "hello").await.unwrap();
    let body = s.read("a.txt").await.unwrap();
    let blocked = tokio::time::timeout(Duration::from_millis(100), s.exists("a.txt")).await;
    assert!(
        blocked.is_err(),
        "a second operation ran while the permit was held"
    );
    assert_eq!(&body.collect_bytes().await.unwrap()[..], b"hello");
    assert!(s.exists("a.txt").await.unwrap());

    let mut listing = s.list_files("").unwrap();
    assert!(listing.next().await.is_some());
    let blocked = tokio::time::timeout(Duration::from_millis(100), s.exists("a.txt")).await;
    assert!(blocked.is_err());
    drop(listing);
    assert!(s.exists("a.txt").await.unwrap());
}
