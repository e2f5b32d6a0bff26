//! `overwrite = false` on the local backend is race-free (`conditional_create`): 16 writers
//! racing on one new key — threads in the sync half, tasks in the async half — produce
//! exactly one success and 15 `AlreadyExists`, and the file holds the winner's content.
//! The same holds for atomic writes, copies and moves to one destination.

#![cfg(feature = "local")]

use std::sync::{Arc, Barrier};

use remote_store_async::AsyncStore;
use remote_store_core::{Capability, ErrorKind, WriteOptions};
use remote_store_local::{AsyncLocalBackend, LocalBackend};
use remote_store_sync::Store;

const RACERS: usize = 16;
const ROUNDS: usize = 25;

#[derive(Debug, Clone, Copy)]
enum How {
    Write,
    WriteAtomic,
    Copy,
    Move,
}

const ALL: [How; 4] = [How::Write, How::WriteAtomic, How::Copy, How::Move];

/// Checks one round: exactly one winner, everyone else `AlreadyExists`, the winner's
/// content in place; for moves, every loser's source still there.
fn judge(
    how: How,
    key: &str,
    outcomes: Vec<Result<(), ErrorKind>>,
    read: impl Fn(&str) -> Vec<u8>,
) {
    let winners: Vec<usize> = outcomes
        .iter()
        .enumerate()
        .filter(|(_, o)| o.is_ok())
        .map(|(i, _)| i)
        .collect();
    assert_eq!(winners.len(), 1, "{how:?} {key}: {outcomes:?}");
    for (i, o) in outcomes.iter().enumerate() {
        if i != winners[0] {
            assert_eq!(*o, Err(ErrorKind::AlreadyExists), "{how:?} {key} racer {i}");
        }
    }
    assert_eq!(
        read(key),
        format!("racer {}", winners[0]).into_bytes(),
        "{how:?} {key}"
    );
}

#[test]
fn sync_sixteen_threads_exactly_one_creates() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::new(LocalBackend::new(dir.path()).unwrap(), "").unwrap();
    assert!(store.supports(Capability::ConditionalCreate));
    for how in ALL {
        for round in 0..ROUNDS {
            let key = format!("{how:?}/round-{round}/target.txt");
            for i in 0..RACERS {
                store
                    .write(format!("src/{how:?}/{round}/{i}"), format!("racer {i}"))
                    .unwrap();
            }
            let barrier = Arc::new(Barrier::new(RACERS));
            let outcomes: Vec<Result<(), ErrorKind>> = std::thread::scope(|s| {
                let handles: Vec<_> = (0..RACERS)
                    .map(|i| {
                        let (store, barrier, key) =
                            (store.clone(), Arc::clone(&barrier), key.clone());
                        s.spawn(move || {
                            let src = format!("src/{how:?}/{round}/{i}");
                            barrier.wait();
                            let opts = WriteOptions::new();
                            let body = format!("racer {i}");
                            match how {
                                How::Write => store.write_with(&key, body, opts).map(drop),
                                How::WriteAtomic => {
                                    store.write_atomic_with(&key, body, opts).map(drop)
                                }
                                How::Copy => store.copy_file(&src, &key),
                                How::Move => store.move_file(&src, &key),
                            }
                            .map_err(|e| e.kind())
                        })
                    })
                    .collect();
                handles.into_iter().map(|h| h.join().unwrap()).collect()
            });
            if let How::Move = how {
                // Losers keep their sources; the winner's is gone.
                let left = store
                    .list_files(format!("src/Move/{round}"))
                    .unwrap()
                    .count();
                assert_eq!(left, RACERS - 1);
            }
            judge(how, &key, outcomes, |k| {
                store.read_bytes(k).unwrap().to_vec()
            });
        }
    }
    // Listings hide temp files, so look at the folder itself.
    assert!(
        walk_names(dir.path())
            .iter()
            .all(|n| !n.starts_with(".~tmp.")),
        "temp files left"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn async_sixteen_tasks_exactly_one_creates() {
    let dir = tempfile::tempdir().unwrap();
    let store = AsyncStore::new(AsyncLocalBackend::new(dir.path()).unwrap(), "").unwrap();
    for how in ALL {
        for round in 0..ROUNDS {
            let key = format!("{how:?}/round-{round}/target.txt");
            for i in 0..RACERS {
                store
                    .write(&format!("src/{how:?}/{round}/{i}"), format!("racer {i}"))
                    .await
                    .unwrap();
            }
            let barrier = Arc::new(tokio::sync::Barrier::new(RACERS));
            let tasks: Vec<_> = (0..RACERS)
                .map(|i| {
                    let (store, barrier, key) = (store.clone(), Arc::clone(&barrier), key.clone());
                    tokio::spawn(async move {
                        let src = format!("src/{how:?}/{round}/{i}");
                        barrier.wait().await;
                        let body = format!("racer {i}");
                        match how {
                            How::Write => store.write(&key, body).await.map(drop),
                            How::WriteAtomic => store.write_atomic(&key, body).await.map(drop),
                            How::Copy => store.copy_file(&src, &key).await,
                            How::Move => store.move_file(&src, &key).await,
                        }
                        .map_err(|e| e.kind())
                    })
                })
                .collect();
            let mut outcomes = Vec::new();
            for t in tasks {
                outcomes.push(t.await.unwrap());
            }
            let content = store.read_bytes(&key).await.unwrap().to_vec();
            judge(how, &key, outcomes, |_| content.clone());
        }
    }
    assert!(
        walk_names(dir.path())
            .iter()
            .all(|n| !n.starts_with(".~tmp.")),
        "temp files left"
    );
}

fn walk_names(dir: &std::path::Path) -> Vec<String> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(d).unwrap() {
            let e = e.unwrap();
            if e.file_type().unwrap().is_dir() {
                stack.push(e.path());
            }
            out.push(e.file_name().into_string().unwrap());
        }
    }
    out
}
