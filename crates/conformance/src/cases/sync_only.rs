//! Cases of the sync half only: `read_seekable`, and concurrency over threads.

use std::collections::BTreeSet;
use std::io::{Read, Seek, SeekFrom};
use std::sync::{Arc, Barrier};
use std::thread;

use remote_store_sync::Store;

use super::support::blocking::{content, files, put};
use super::support::{
    Capability, Contender, ErrorKind, INVALID_PATHS, ROOT_FORMS, WriteOptions, expect_invalid_path,
    expect_kind, expect_kind_at, ok, pattern,
};
use super::{CaseDef, SyncCase};
use crate::Features;

fn always(_: &Features) -> bool {
    true
}

fn thread_safe(f: &Features) -> bool {
    f.thread_safe
}

/// The sync-only cases.
pub(crate) const CASES: &[SyncCase] = &[
    CaseDef {
        name: "read_seekable_seeks",
        requires: &[Capability::Write, Capability::Read],
        lacks: &[],
        when: always,
        when_text: "",
        run: read_seekable_seeks,
    },
    CaseDef {
        name: "read_seekable_errors",
        requires: &[Capability::Write, Capability::Read],
        lacks: &[],
        when: always,
        when_text: "",
        run: read_seekable_errors,
    },
    CaseDef {
        name: "read_seekable_refuses_bad_paths",
        requires: &[Capability::Read],
        lacks: &[],
        when: always,
        when_text: "",
        run: read_seekable_refuses_bad_paths,
    },
    CaseDef {
        name: "race_create_exactly_one_wins",
        requires: &[
            Capability::Write,
            Capability::Read,
            Capability::ConditionalCreate,
        ],
        lacks: &[],
        when: thread_safe,
        when_text: "f.thread_safe",
        run: race_create_exactly_one_wins,
    },
    CaseDef {
        name: "race_atomic_create_exactly_one_wins",
        requires: &[
            Capability::AtomicWrite,
            Capability::Read,
            Capability::ConditionalCreate,
        ],
        lacks: &[],
        when: thread_safe,
        when_text: "f.thread_safe",
        run: race_atomic_create_exactly_one_wins,
    },
    CaseDef {
        name: "race_if_match_exactly_one_wins",
        requires: &[
            Capability::Write,
            Capability::Read,
            Capability::Metadata,
            Capability::ConditionalWrite,
        ],
        lacks: &[],
        when: thread_safe,
        when_text: "f.thread_safe",
        run: race_if_match_exactly_one_wins,
    },
    CaseDef {
        name: "concurrency_mixed_operations",
        requires: &[
            Capability::Write,
            Capability::Read,
            Capability::List,
            Capability::Delete,
        ],
        lacks: &[],
        when: thread_safe,
        when_text: "f.thread_safe",
        run: concurrency_mixed_operations,
    },
];

/// `read_seekable` seeks from the start, the end and the current position.
fn read_seekable_seeks(s: Store, _: &Features) {
    let data = pattern(300_000, 1);
    put(&s, "s.bin", &data);
    let mut r = ok(s.read_seekable("s.bin"), "read_seekable");
    let mut buf = [0u8; 5];
    r.seek(SeekFrom::Start(100_000)).expect("seek from start");
    r.read_exact(&mut buf).expect("read after seek");
    assert_eq!(buf, data[100_000..100_005]);
    let end = r.seek(SeekFrom::End(-3)).expect("seek from end");
    assert_eq!(end, 300_000 - 3);
    let mut tail = Vec::new();
    r.read_to_end(&mut tail).expect("read to end");
    assert_eq!(tail, data[300_000 - 3..]);
    r.seek(SeekFrom::Current(-10)).expect("seek back");
    r.read_exact(&mut buf).expect("read after seek back");
    assert_eq!(buf, data[300_000 - 10..300_000 - 5]);
    r.seek(SeekFrom::Start(0)).expect("rewind");
    let mut all = Vec::new();
    r.read_to_end(&mut all).expect("read all");
    assert!(all == data, "content after rewinding differs");
}

/// `read_seekable` of a missing file is `NotFound`; of a folder, `InvalidPath`.
fn read_seekable_errors(s: Store, _: &Features) {
    put(&s, "d/x.txt", "x");
    expect_kind_at(s.read_seekable("nope.bin"), ErrorKind::NotFound, "nope.bin");
    expect_kind(s.read_seekable("d"), ErrorKind::InvalidPath);
    expect_kind(s.read_seekable("d/x.txt/under"), ErrorKind::NotFound);
}

/// `read_seekable` refuses the root and malformed paths.
fn read_seekable_refuses_bad_paths(s: Store, _: &Features) {
    for p in ROOT_FORMS.iter().chain(INVALID_PATHS).copied() {
        expect_invalid_path(s.read_seekable(p), p);
    }
}

/// Runs a write of `how` for `key` from `writers` threads released at once: exactly one
/// must win, every other loses with `how.loss()`, and the winner's content is stored.
fn race(s: &Store, key: &str, writers: usize, how: &Contender) -> Vec<usize> {
    let barrier = Arc::new(Barrier::new(writers));
    let handles: Vec<_> = (0..writers)
        .map(|i| {
            let (s, barrier, key, how) =
                (s.clone(), Arc::clone(&barrier), key.to_owned(), how.clone());
            thread::spawn(move || {
                let body = format!("writer {i}");
                barrier.wait();
                let r = if how.atomic() {
                    s.write_atomic_with(&key, body, how.options())
                } else {
                    s.write_with(&key, body, how.options())
                };
                match r {
                    Ok(_) => Some(i),
                    Err(e) if e.kind() == how.loss() => None,
                    Err(e) => panic!("writer {i}: expected Ok or {:?}, got {e}", how.loss()),
                }
            })
        })
        .collect();
    let winners: Vec<usize> = handles
        .into_iter()
        .filter_map(|h| h.join().expect("a writer panicked"))
        .collect();
    assert_eq!(
        winners.len(),
        1,
        "{key}: winners {winners:?}, exactly one expected"
    );
    let stored = content(s, key);
    assert_eq!(
        stored,
        format!("writer {}", winners[0]).as_bytes(),
        "{key}: the winner's content"
    );
    winners
}

/// Racing overwrite=false writers on a new key: exactly one wins.
fn race_create_exactly_one_wins(s: Store, _: &Features) {
    for round in 0..10 {
        race(&s, &format!("race/{round}.txt"), 8, &Contender::Create);
    }
}

/// Racing overwrite=false atomic writers on a new key: exactly one wins.
fn race_atomic_create_exactly_one_wins(s: Store, _: &Features) {
    for round in 0..10 {
        race(
            &s,
            &format!("race/{round}.txt"),
            8,
            &Contender::AtomicCreate,
        );
    }
}

/// Writers racing `if_match` the same (current) etag: exactly one replaces the file, every
/// other gets `PreconditionFailed` (`conditional_write` is atomic).
fn race_if_match_exactly_one_wins(s: Store, _: &Features) {
    for round in 0..5 {
        let key = format!("race/{round}.txt");
        put(&s, &key, "v0");
        let info = ok(s.get_file_info(&key), "get_file_info");
        race(
            &s,
            &key,
            8,
            &Contender::IfMatch(info.etag.expect("an etag")),
        );
    }
}

/// 32 threads × mixed operations on one store: no error, no crossed results, and the
/// final state is exactly what the threads left.
fn concurrency_mixed_operations(s: Store, _: &Features) {
    const THREADS: usize = 32;
    const FILES: usize = 6;
    put(&s, "shared.txt", "shared");
    let barrier = Arc::new(Barrier::new(THREADS));
    let handles: Vec<_> = (0..THREADS)
        .map(|t| {
            let (s, barrier) = (s.clone(), Arc::clone(&barrier));
            thread::spawn(move || {
                barrier.wait();
                for i in 0..FILES {
                    let p = format!("t{t}/f{i}.txt");
                    ok(s.write(&p, format!("{t}:{i}")), "write");
                    assert_eq!(
                        content(&s, &p),
                        format!("{t}:{i}").as_bytes(),
                        "{p}: crossed result"
                    );
                    assert_eq!(content(&s, "shared.txt"), b"shared");
                }
                ok(
                    s.write_with(
                        format!("t{t}/f0.txt"),
                        format!("{t}:again"),
                        WriteOptions::new().overwrite(true),
                    ),
                    "overwrite",
                );
                ok(s.delete(format!("t{t}/f1.txt")), "delete");
                if s.supports(Capability::Copy) {
                    ok(
                        s.copy_file(format!("t{t}/f2.txt"), format!("t{t}/copy.txt")),
                        "copy",
                    );
                }
                if s.supports(Capability::Move) {
                    ok(
                        s.move_file(format!("t{t}/f3.txt"), format!("t{t}/moved.txt")),
                        "move",
                    );
                }
                let mine = ok(files(&s, &format!("t{t}"), false), "list_files");
                assert!(
                    mine.iter()
                        .all(|f| f.path.as_str().starts_with(&format!("t{t}/"))),
                    "crossed listing"
                );
            })
        })
        .collect();
    for h in handles {
        h.join().expect("a worker thread panicked");
    }
    let mut want = BTreeSet::from(["shared.txt".to_owned()]);
    for t in 0..THREADS {
        for i in [0, 2, 3, 4, 5] {
            want.insert(format!("t{t}/f{i}.txt"));
        }
        want.remove(&format!("t{t}/f1.txt"));
        if s.supports(Capability::Copy) {
            want.insert(format!("t{t}/copy.txt"));
        }
        if s.supports(Capability::Move) {
            want.remove(&format!("t{t}/f3.txt"));
            want.insert(format!("t{t}/moved.txt"));
        }
    }
    let got: BTreeSet<String> = ok(files(&s, "", true), "list_files")
        .into_iter()
        .map(|f| f.path.as_str().to_owned())
        .collect();
    assert_eq!(got, want, "final state");
    for t in 0..THREADS {
        assert_eq!(
            content(&s, &format!("t{t}/f0.txt")),
            format!("{t}:again").as_bytes()
        );
    }
}
