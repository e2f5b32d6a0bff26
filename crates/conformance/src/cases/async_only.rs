//! Cases of the async half only: chunked streaming, cancellation, concurrency over tasks.

use std::collections::BTreeSet;
use std::time::Duration;

use futures::StreamExt;
use futures::future::BoxFuture;
use remote_store_async::{AsyncContent, AsyncStore};

use super::support::nonblocking::{children, content, files, put};
use super::support::{
    Bytes, Capability, Contender, ErrorKind, WriteOptions, entry_paths, expect_kind,
    expect_kind_at, ok, pattern,
};
use super::{AsyncCase, CaseDef};
use crate::Features;

fn always(_: &Features) -> bool {
    true
}

fn thread_safe(f: &Features) -> bool {
    f.thread_safe
}

fn streams_lazily(f: &Features) -> bool {
    f.streams_lazily
}

/// The async-only cases.
pub(crate) const CASES: &[AsyncCase] = &[
    CaseDef {
        name: "read_large_arrives_in_chunks",
        requires: &[Capability::Write, Capability::Read],
        lacks: &[],
        when: streams_lazily,
        when_text: "f.streams_lazily",
        run: |s, f| Box::pin(read_large_arrives_in_chunks(s, f)),
    },
    CaseDef {
        name: "atomic_cancelled_leaves_nothing",
        requires: &[Capability::AtomicWrite, Capability::Write, Capability::List],
        lacks: &[],
        when: always,
        when_text: "",
        run: |s, f| Box::pin(atomic_cancelled_leaves_nothing(s, f)),
    },
    CaseDef {
        name: "write_cancelled_leaves_nothing",
        requires: &[Capability::Write, Capability::List],
        lacks: &[],
        when: always,
        when_text: "",
        run: |s, f| Box::pin(write_cancelled_leaves_nothing(s, f)),
    },
    CaseDef {
        name: "seekable_reader_refuses_bad_seeks",
        requires: &[Capability::Write, Capability::Read, Capability::Metadata],
        lacks: &[],
        when: always,
        when_text: "",
        run: |s, f| Box::pin(seekable_reader_refuses_bad_seeks(s, f)),
    },
    CaseDef {
        name: "writer_shutdown_and_sink",
        requires: &[Capability::Write, Capability::Read],
        lacks: &[],
        when: always,
        when_text: "",
        run: |s, f| Box::pin(writer_shutdown_and_sink(s, f)),
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
        run: |s, f| Box::pin(race_create(s, f, false)),
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
        run: |s, f| Box::pin(race_create(s, f, true)),
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
        run: |s, f| Box::pin(race_if_match(s, f)),
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
        run: |s, f| Box::pin(concurrency_mixed_operations(s, f)),
    },
];

/// A large object arrives as a stream of chunks: the first chunk is not the whole object.
async fn read_large_arrives_in_chunks(s: AsyncStore, _: Features) {
    let len = 8 << 20;
    let data = pattern(len, 1);
    put(&s, "big.bin", &data).await;
    let mut body = ok(s.read("big.bin").await, "read");
    let first = body
        .next()
        .await
        .expect("a non-empty object yields a chunk")
        .expect("the first chunk");
    assert!(
        !first.is_empty() && first.len() < len,
        "the first chunk holds {} of {len} bytes; a streaming read yields smaller chunks",
        first.len()
    );
    assert_eq!(&first[..], &data[..first.len()]);
}

/// A never-ending source; dropping the atomic write (a timeout) must leave no object and
/// no temp.
async fn atomic_cancelled_leaves_nothing(s: AsyncStore, _: Features) {
    cancelled_writes_leave_nothing(&s, true).await;
}

/// A never-ending source; dropping the plain write (a timeout) must leave no object (no
/// partial new file) and the old content of an overwritten one whole.
async fn write_cancelled_leaves_nothing(s: AsyncStore, _: Features) {
    cancelled_writes_leave_nothing(&s, false).await;
}

/// Starts a write of a new file and an overwrite of an old one from never-ending sources,
/// drops both after a timeout, and checks that nothing changed.
async fn cancelled_writes_leave_nothing(s: &AsyncStore, atomic: bool) {
    put(s, "d/keep.txt", "k").await;
    put(s, "d/old.txt", "old").await;
    for (target, opts) in [
        ("d/new.bin", WriteOptions::new()),
        ("d/old.txt", WriteOptions::new().overwrite(true)),
    ] {
        let first =
            futures::stream::iter([Ok::<_, std::io::Error>(Bytes::from(pattern(100_000, 2)))]);
        let endless = AsyncContent::chunks(first.chain(futures::stream::pending()));
        let outcome = if atomic {
            let write = s.write_atomic_with(target, endless, opts);
            tokio::time::timeout(Duration::from_millis(300), write).await
        } else {
            let write = s.write_with(target, endless, opts);
            tokio::time::timeout(Duration::from_millis(300), write).await
        };
        assert!(
            outcome.is_err(),
            "a write from an endless source finished: {outcome:?}"
        );
    }
    // Give a backend that finishes work in the background the chance to misbehave.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let entries = ok(children(s, "d").await, "iter_children");
    let kind = if atomic { "atomic" } else { "plain" };
    assert_eq!(
        entry_paths(&entries),
        [
            ("d/keep.txt".to_owned(), true),
            ("d/old.txt".to_owned(), true)
        ],
        "a cancelled {kind} write left something behind"
    );
    assert_eq!(
        content(s, "d/old.txt").await,
        b"old",
        "a cancelled {kind} overwrite"
    );
}

/// The seekable reader refuses a seek before the start or past the end (the position
/// stays), reports a missing file and a folder when opened, and reads nothing at the end.
async fn seekable_reader_refuses_bad_seeks(s: AsyncStore, _: Features) {
    use std::io::SeekFrom;
    use tokio::io::{AsyncReadExt, AsyncSeekExt};

    let data = pattern(10_000, 3);
    put(&s, "d/s.bin", &data).await;
    let mut r = ok(s.read_seekable("d/s.bin").await, "read_seekable");
    assert_eq!(r.size(), 10_000);
    r.seek(SeekFrom::Start(100)).await.expect("seek");
    for bad in [
        SeekFrom::Start(10_001),
        SeekFrom::End(1),
        SeekFrom::Current(-101),
    ] {
        let e = r.seek(bad).await.expect_err("a seek outside the object");
        assert_eq!(e.kind(), std::io::ErrorKind::InvalidInput, "{bad:?}: {e}");
        assert!(e.to_string().contains("d/s.bin"), "{e}");
    }
    let mut buf = [0u8; 4];
    r.read_exact(&mut buf)
        .await
        .expect("read after refused seeks");
    assert_eq!(buf, data[100..104], "a refused seek moved the position");
    expect_kind_at(
        s.read_seekable("nope.bin").await,
        ErrorKind::NotFound,
        "nope.bin",
    );
    expect_kind(s.read_seekable("d").await, ErrorKind::InvalidPath);
}

/// `shutdown` commits and `finish` then returns the result; a writer used as a
/// `Sink<Bytes>` commits on `close`.
async fn writer_shutdown_and_sink(s: AsyncStore, _: Features) {
    use futures::SinkExt;
    use tokio::io::AsyncWriteExt;

    let data = pattern(700_000, 4);
    let mut w = ok(s.writer("w.bin"), "writer");
    w.write_all(&data).await.expect("write");
    w.shutdown().await.expect("shutdown");
    let e = w
        .write_all(b"late")
        .await
        .expect_err("a write after shutdown");
    assert_eq!(e.kind(), std::io::ErrorKind::InvalidInput, "{e}");
    assert_eq!(ok(w.finish().await, "finish").size, data.len() as u64);
    assert_eq!(content(&s, "w.bin").await, data);

    let mut sink = ok(s.writer("sink.bin"), "writer");
    for part in data.chunks(100_000) {
        ok(sink.send(Bytes::copy_from_slice(part)).await, "send");
    }
    ok(sink.close().await, "close");
    assert_eq!(ok(sink.finish().await, "finish").size, data.len() as u64);
    assert_eq!(content(&s, "sink.bin").await, data);
}

/// Runs a write of `how` for `key` from eight tasks at once: exactly one must win, every
/// other loses with `how.loss()`, and the winner's content is stored.
async fn race(s: &AsyncStore, key: &str, how: &Contender) {
    let tasks: Vec<_> = (0..8)
        .map(|i| {
            let (s, key, how) = (s.clone(), key.to_owned(), how.clone());
            tokio::spawn(async move {
                let body = format!("writer {i}");
                let r = if how.atomic() {
                    s.write_atomic_with(&key, body, how.options()).await
                } else {
                    s.write_with(&key, body, how.options()).await
                };
                match r {
                    Ok(_) => Some(i),
                    Err(e) if e.kind() == how.loss() => None,
                    Err(e) => panic!("writer {i}: expected Ok or {:?}, got {e}", how.loss()),
                }
            })
        })
        .collect();
    let mut winners = Vec::new();
    for t in tasks {
        if let Some(i) = t.await.expect("a writer task panicked") {
            winners.push(i);
        }
    }
    assert_eq!(
        winners.len(),
        1,
        "{key}: winners {winners:?}, exactly one expected"
    );
    let stored = content(s, key).await;
    assert_eq!(stored, format!("writer {}", winners[0]).as_bytes());
}

/// Racing overwrite=false writers (tasks) on a new key: exactly one wins.
async fn race_create(s: AsyncStore, _: Features, atomic: bool) {
    let how = if atomic {
        Contender::AtomicCreate
    } else {
        Contender::Create
    };
    for round in 0..10 {
        race(&s, &format!("race/{round}.txt"), &how).await;
    }
}

/// Tasks racing `if_match` the same (current) etag: exactly one replaces the file, every
/// other gets `PreconditionFailed` (`conditional_write` is atomic).
async fn race_if_match(s: AsyncStore, _: Features) {
    for round in 0..5 {
        let key = format!("race/{round}.txt");
        put(&s, &key, "v0").await;
        let info = ok(s.get_file_info(&key).await, "get_file_info");
        race(&s, &key, &Contender::IfMatch(info.etag.expect("an etag"))).await;
    }
}

fn worker(s: AsyncStore, t: usize) -> BoxFuture<'static, ()> {
    Box::pin(async move {
        for i in 0..3 {
            let p = format!("t{t}/f{i}.txt");
            ok(s.write(&p, format!("{t}:{i}")).await, "write");
            assert_eq!(
                content(&s, &p).await,
                format!("{t}:{i}").as_bytes(),
                "{p}: crossed result"
            );
        }
        assert_eq!(content(&s, "shared.txt").await, b"shared");
        let over = WriteOptions::new().overwrite(true);
        ok(
            s.write_with(&format!("t{t}/f0.txt"), format!("{t}:again"), over)
                .await,
            "overwrite",
        );
        ok(s.delete(&format!("t{t}/f1.txt")).await, "delete");
        if s.supports(Capability::Move) {
            let (src, dst) = (format!("t{t}/f2.txt"), format!("t{t}/moved.txt"));
            ok(s.move_file(&src, &dst).await, "move");
        }
        let mine = ok(files(&s, &format!("t{t}"), false).await, "list_files");
        let prefix = format!("t{t}/");
        assert!(
            mine.iter().all(|f| f.path.as_str().starts_with(&prefix)),
            "crossed listing"
        );
        assert_eq!(mine.len(), 2, "t{t}: two files left");
    })
}

/// 256 tasks × mixed operations on one store: no error, no crossed results, and the final
/// state is exactly what the tasks left.
async fn concurrency_mixed_operations(s: AsyncStore, _: Features) {
    const TASKS: usize = 256;
    put(&s, "shared.txt", "shared").await;
    let handles: Vec<_> = (0..TASKS)
        .map(|t| tokio::spawn(worker(s.clone(), t)))
        .collect();
    for h in handles {
        h.await.expect("a worker task panicked");
    }
    let mut want = BTreeSet::from(["shared.txt".to_owned()]);
    for t in 0..TASKS {
        want.insert(format!("t{t}/f0.txt"));
        if s.supports(Capability::Move) {
            want.insert(format!("t{t}/moved.txt"));
        } else {
            want.insert(format!("t{t}/f2.txt"));
        }
    }
    let got: BTreeSet<String> = ok(files(&s, "", true).await, "list_files")
        .into_iter()
        .map(|f| f.path.as_str().to_owned())
        .collect();
    assert_eq!(got, want, "final state");
    for t in 0..TASKS {
        assert_eq!(
            content(&s, &format!("t{t}/f0.txt")).await,
            format!("{t}:again").as_bytes()
        );
    }
}
