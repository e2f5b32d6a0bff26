//! Streaming writers (`writer`, `atomic_writer`) and the seekable reader: what a writer
//! commits equals what was written; a dropped or aborted writer leaves no object, no
//! listing entry and no temp file (an overwriting one keeps the old content); errors surface at
//! the latest on `finish` and stay.

use std::io::SeekFrom;

/// The entries `(path, is_file)` expected in a folder holding `files`.
fn expected(files: &[&str]) -> Vec<(String, bool)> {
    files.iter().map(|p| ((*p).to_owned(), true)).collect()
}

cases! {

    /// A writer's `finish` commits what was written and reports its path and true size.
    fn writer_finish_commits(s, f) [Write, Read] {
        let data = pattern(300_000, 11);
        let mut w = ok(s.writer("d/w.bin"), "writer");
        ok(aw!(feed(&mut w, &data, 10_000)), "write");
        let result = ok(aw!(w.finish()), "finish");
        assert_eq!(result.path.as_str(), "d/w.bin");
        assert_eq!(result.size, data.len() as u64);
        assert!(aw!(content(&s, "d/w.bin")) == data, "content differs from what was written");
    }

    /// An empty writer commits an empty file.
    fn writer_empty_commits_empty_file(s, f) [Write, Read] {
        let w = ok(s.writer("empty.bin"), "writer");
        assert_eq!(ok(aw!(w.finish()), "finish").size, 0);
        assert!(aw!(content(&s, "empty.bin")).is_empty());
    }

    /// 20 MiB in 4 KiB writes (above every multipart threshold) arrive whole, through both
    /// writers.
    fn writer_many_small_writes(s, f) [Write, Read] if (f.big_writes) {
        let data = pattern(20 << 20, 12);
        let mut w = ok(s.writer("big.bin"), "writer");
        ok(aw!(feed(&mut w, &data, 4096)), "write");
        assert_eq!(ok(aw!(w.finish()), "finish").size, data.len() as u64);
        assert!(aw!(content(&s, "big.bin")) == data, "the 20 MiB object differs");
        if s.supports(Capability::AtomicWrite) {
            let mut w = ok(s.atomic_writer_with("big.bin", overwrite()), "atomic_writer");
            let again = pattern(20 << 20, 13);
            ok(aw!(feed(&mut w, &again, 4096)), "write");
            assert_eq!(ok(aw!(w.finish()), "finish").size, again.len() as u64);
            assert!(aw!(content(&s, "big.bin")) == again, "the atomic 20 MiB object differs");
        }
    }

    /// A writer dropped before `finish` leaves no object, no listing entry, no temp file.
    fn writer_dropped_leaves_nothing(s, f) [Write, List] {
        aw!(put(&s, "d/keep.txt", "k"));
        let mut w = ok(s.writer("d/w.bin"), "writer");
        ok(aw!(feed(&mut w, &pattern(1 << 20, 14), 65_536)), "write");
        drop(w);
        let want = expected(&["d/keep.txt"]);
        assert_eq!(aw!(settled_children(&s, "d", &want)), want, "a dropped writer left something behind");
        assert!(!ok(aw!(s.exists("d/w.bin")), "exists"), "a dropped writer left its object");
    }

    /// An aborted writer leaves no object, no listing entry, no temp file.
    fn writer_aborted_leaves_nothing(s, f) [Write, List] {
        aw!(put(&s, "d/keep.txt", "k"));
        let mut w = ok(s.writer("d/w.bin"), "writer");
        ok(aw!(feed(&mut w, &pattern(1 << 20, 15), 65_536)), "write");
        aw!(w.abort());
        let want = expected(&["d/keep.txt"]);
        assert_eq!(aw!(settled_children(&s, "d", &want)), want, "an aborted writer left something behind");
        assert!(!ok(aw!(s.exists("d/w.bin")), "exists"), "an aborted writer left its object");
        // A writer aborted before it wrote anything leaves nothing either.
        let w = ok(s.writer("d/never.bin"), "writer");
        aw!(w.abort());
        assert!(!ok(aw!(s.exists("d/never.bin")), "exists"));
    }

    /// An atomic writer dropped or aborted over an existing file keeps the old content and
    /// leaves no temp file.
    fn atomic_writer_dropped_keeps_old_content(s, f) [AtomicWrite, Write, Read, List] {
        aw!(put(&s, "d/a.txt", "old"));
        let mut w = ok(s.atomic_writer_with("d/a.txt", overwrite()), "atomic_writer");
        ok(aw!(feed(&mut w, &pattern(1 << 20, 16), 65_536)), "write");
        drop(w);
        let mut w = ok(s.atomic_writer_with("d/a.txt", overwrite()), "atomic_writer");
        ok(aw!(feed(&mut w, &pattern(1 << 20, 17), 65_536)), "write");
        aw!(w.abort());
        let want = expected(&["d/a.txt"]);
        assert_eq!(aw!(settled_children(&s, "d", &want)), want, "an unfinished atomic writer left something behind");
        assert_eq!(aw!(content(&s, "d/a.txt")), b"old");
    }

    /// A plain writer with `overwrite`, dropped or aborted over an existing file, changes
    /// nothing either: the old content stays whole and nothing is left beside it.
    fn writer_dropped_overwrite_keeps_old_content(s, f) [Write, Read, List] {
        aw!(put(&s, "d/a.txt", "old"));
        let mut w = ok(s.writer_with("d/a.txt", overwrite()), "writer");
        ok(aw!(feed(&mut w, &pattern(1 << 20, 19), 65_536)), "write");
        drop(w);
        let mut w = ok(s.writer_with("d/a.txt", overwrite()), "writer");
        ok(aw!(feed(&mut w, &pattern(1 << 20, 20), 65_536)), "write");
        aw!(w.abort());
        let want = expected(&["d/a.txt"]);
        assert_eq!(aw!(settled_children(&s, "d", &want)), want, "an unfinished writer left something behind");
        assert_eq!(aw!(content(&s, "d/a.txt")), b"old", "an unfinished overwrite changed the old content");
    }

    /// Without `overwrite`, a writer onto an existing file fails with `AlreadyExists` at the
    /// latest on `finish`; once a write failed, every later write and `finish` fail too;
    /// the old content stays.
    fn writer_existing_is_already_exists(s, f) [Write, Read] {
        aw!(put(&s, "a.txt", "old"));
        let data = pattern(2 << 20, 18);
        let kinds = [false, true];
        for atomic in kinds.into_iter().filter(|a| !*a || s.supports(Capability::AtomicWrite)) {
            let mut w = if atomic {
                ok(s.atomic_writer("a.txt"), "atomic_writer")
            } else {
                ok(s.writer("a.txt"), "writer")
            };
            match aw!(feed(&mut w, &data, 65_536)) {
                Ok(()) => {
                    expect_kind_at(aw!(w.finish()), ErrorKind::AlreadyExists, "a.txt");
                }
                Err(e) => {
                    assert_eq!(e.kind(), ErrorKind::AlreadyExists, "{e}");
                    // Write after error: still an error, and so is finish.
                    let again = expect_err(aw!(feed(&mut w, b"more", 4)));
                    assert_eq!(again.kind(), ErrorKind::AlreadyExists, "{again}");
                    expect_kind(aw!(w.finish()), ErrorKind::AlreadyExists);
                }
            }
            assert_eq!(aw!(content(&s, "a.txt")), b"old", "atomic: {atomic}");
        }
    }

    /// A writer refuses the root and malformed paths at once, before any I/O.
    fn writer_refuses_bad_paths(s, f) [Write] {
        for root in ROOT_FORMS {
            expect_kind(s.writer(root).map(drop), ErrorKind::InvalidPath);
        }
        for bad in INVALID_PATHS {
            expect_kind(s.writer(bad).map(drop), ErrorKind::InvalidPath);
        }
    }

    /// The seekable reader reads from the middle, the end and the start, equal to
    /// `read_range`.
    fn seekable_reader_matches_read_range(s, f) [Write, Read, Metadata] {
        let len = 300_000u64;
        let data = pattern(len as usize, 19);
        aw!(put(&s, "s.bin", &data));
        let mut r = ok(aw!(s.read_seekable("s.bin")), "read_seekable");
        let mid = aw!(seek_to(&mut r, SeekFrom::Start(150_000))).expect("seek to the middle");
        assert_eq!(mid, 150_000);
        let got = aw!(read_n(&mut r, 1000)).expect("read in the middle");
        assert_eq!(got, ok(aw!(read_range_all(&s, "s.bin", 150_000..151_000)), "read_range"));
        let end = aw!(seek_to(&mut r, SeekFrom::End(-100))).expect("seek from the end");
        assert_eq!(end, len - 100);
        let tail = aw!(read_rest(&mut r)).expect("read the tail");
        assert_eq!(tail, ok(aw!(read_range_all(&s, "s.bin", len - 100..len)), "read_range"));
        assert_eq!(aw!(seek_to(&mut r, SeekFrom::End(0))).expect("seek to the end"), len);
        assert!(aw!(read_rest(&mut r)).expect("read at the end").is_empty());
        assert_eq!(aw!(seek_to(&mut r, SeekFrom::Start(0))).expect("rewind"), 0);
        let head = aw!(read_n(&mut r, 5000)).expect("read the head");
        assert_eq!(head, data[..5000]);
        assert_eq!(aw!(seek_to(&mut r, SeekFrom::Current(-2500))).expect("seek back"), 2500);
        let all = aw!(read_rest(&mut r)).expect("read the rest");
        assert!(all == data[2500..], "content after seeking back differs");
    }
}
