//! Conditional operations: a write's `if_match`, `read_with` conditions, and
//! `ListOptions::start_after`. Every backend supports them (atomically or not, as its
//! `conditional_write` / `conditional_read` / `list_start_after` declare), so the cases
//! need only the capabilities of the calls they make. Contents of different sizes keep
//! the cases meaningful on backends whose etag is derived from size and time (SFTP).

use std::time::{Duration, SystemTime};

cases! {
    helpers {
        /// Writes `data` to `p` and returns the etag `get_file_info` reports for it.
        fn put_etag(s: &S, p: &str, data: &str) -> String {
            aw!(put(s, p, data));
            let info = ok(aw!(s.get_file_info(p)), "get_file_info");
            info.etag.unwrap_or_else(|| panic!("{p:?}: a backend must report an etag"))
        }
    }

    /// A write `if_match` the current etag replaces the file.
    fn if_match_current_etag_writes(s, f) [Write, Read, Metadata] {
        let etag = aw!(put_etag(&s, "c.txt", "v1"));
        ok(aw!(s.write_with("c.txt", "version 2", opts().if_match(etag))), "write if_match");
        assert_eq!(aw!(content(&s, "c.txt")), b"version 2");
    }

    /// A write `if_match` a stale etag is `PreconditionFailed` and changes nothing.
    fn if_match_stale_etag_fails(s, f) [Write, Read, Metadata] {
        let stale = aw!(put_etag(&s, "c.txt", "v1"));
        ok(aw!(s.write_with("c.txt", "version 2", overwrite())), "overwrite");
        let e = expect_kind(
            aw!(s.write_with("c.txt", "third version", opts().if_match(stale))),
            ErrorKind::PreconditionFailed,
        );
        assert_eq!(e.path(), Some("c.txt"));
        assert_eq!(aw!(content(&s, "c.txt")), b"version 2");
    }

    /// `write_atomic` honours `if_match` too.
    fn if_match_applies_to_write_atomic(s, f) [Write, AtomicWrite, Read, Metadata] {
        let first = aw!(put_etag(&s, "c.txt", "v1"));
        ok(
            aw!(s.write_atomic_with("c.txt", "version 2", opts().if_match(first.clone()))),
            "write_atomic if_match",
        );
        let stale = first;
        expect_kind(
            aw!(s.write_atomic_with("c.txt", "third version", opts().if_match(stale))),
            ErrorKind::PreconditionFailed,
        );
        assert_eq!(aw!(content(&s, "c.txt")), b"version 2");
    }

    /// `if_match` on a missing file is `PreconditionFailed` (there is no version to
    /// match), also for `"*"`; nothing is created.
    fn if_match_missing_file_fails(s, f) [Write, Metadata] {
        expect_kind(
            aw!(s.write_with("nope.txt", "x", opts().if_match("\"0\""))),
            ErrorKind::PreconditionFailed,
        );
        expect_kind(
            aw!(s.write_with("nope.txt", "x", opts().if_match("*"))),
            ErrorKind::PreconditionFailed,
        );
        assert!(!ok(aw!(s.exists("nope.txt")), "exists"));
    }

    /// `"*"` matches any existing file.
    fn if_match_star_matches_existing(s, f) [Write, Read, Metadata] {
        aw!(put(&s, "c.txt", "v1"));
        ok(aw!(s.write_with("c.txt", "version 2", opts().if_match("*"))), "write if_match *");
        assert_eq!(aw!(content(&s, "c.txt")), b"version 2");
    }

    /// `read_with` without conditions reads the file, or the range asked for.
    fn read_with_plain_and_range(s, f) [Write, Read] {
        aw!(put(&s, "r.txt", "0123456789"));
        assert_eq!(ok(aw!(read_with_all(&s, "r.txt", ReadOptions::new())), "read_with"), b"0123456789");
        assert_eq!(
            ok(aw!(read_with_all(&s, "r.txt", ReadOptions::new().range(2..5))), "read_with range"),
            b"234"
        );
    }

    /// A read `if_match` the current etag reads (also a range); a stale one is
    /// `PreconditionFailed`.
    fn read_with_if_match(s, f) [Write, Read, Metadata] {
        let stale = aw!(put_etag(&s, "r.txt", "v1"));
        ok(aw!(s.write_with("r.txt", "0123456789", overwrite())), "overwrite");
        let info = ok(aw!(s.get_file_info("r.txt")), "get_file_info");
        let etag = info.etag.expect("an etag");
        let all = ok(aw!(read_with_all(&s, "r.txt", ReadOptions::new().if_match(etag.clone()))), "read if_match");
        assert_eq!(all, b"0123456789");
        let part = ok(
            aw!(read_with_all(&s, "r.txt", ReadOptions::new().if_match(etag).range(1..3))),
            "ranged read if_match",
        );
        assert_eq!(part, b"12");
        expect_kind(
            aw!(read_with_all(&s, "r.txt", ReadOptions::new().if_match(stale))),
            ErrorKind::PreconditionFailed,
        );
    }

    /// A read `if_none_match` the current etag is `NotModified`; with a stale one it reads.
    fn read_with_if_none_match(s, f) [Write, Read, Metadata] {
        let stale = aw!(put_etag(&s, "r.txt", "v1"));
        ok(aw!(s.write_with("r.txt", "version 2", overwrite())), "overwrite");
        let etag = ok(aw!(s.get_file_info("r.txt")), "get_file_info").etag.expect("an etag");
        expect_kind(
            aw!(read_with_all(&s, "r.txt", ReadOptions::new().if_none_match(etag))),
            ErrorKind::NotModified,
        );
        let got = ok(aw!(read_with_all(&s, "r.txt", ReadOptions::new().if_none_match(stale))), "read");
        assert_eq!(got, b"version 2");
    }

    /// Time conditions: not modified since its own modification time (or a later one) is
    /// `NotModified`; modified since long ago reads; unmodified since long ago is
    /// `PreconditionFailed`.
    fn read_with_time_conditions(s, f) [Write, Read, Metadata] {
        aw!(put(&s, "r.txt", "data"));
        let info = ok(aw!(s.get_file_info("r.txt")), "get_file_info");
        // Every backend reports a modification time here; without one the case would check
        // nothing.
        let modified = info.modified.expect("get_file_info reports a modification time");
        let long_ago = SystemTime::UNIX_EPOCH + Duration::from_secs(86_400);
        expect_kind(
            aw!(read_with_all(&s, "r.txt", ReadOptions::new().if_modified_since(modified))),
            ErrorKind::NotModified,
        );
        let got = ok(aw!(read_with_all(&s, "r.txt", ReadOptions::new().if_modified_since(long_ago))), "read");
        assert_eq!(got, b"data");
        expect_kind(
            aw!(read_with_all(&s, "r.txt", ReadOptions::new().if_unmodified_since(long_ago))),
            ErrorKind::PreconditionFailed,
        );
        let got = ok(
            aw!(read_with_all(&s, "r.txt", ReadOptions::new().if_unmodified_since(modified + Duration::from_secs(3600)))),
            "read if_unmodified_since",
        );
        assert_eq!(got, b"data");
    }

    /// A conditional read of a missing file is `NotFound`, whatever the condition.
    fn read_with_missing_is_not_found(s, f) [Read, Metadata] {
        expect_kind(aw!(read_with_all(&s, "nope.txt", ReadOptions::new())), ErrorKind::NotFound);
        expect_kind(
            aw!(read_with_all(&s, "nope.txt", ReadOptions::new().if_none_match("\"0\""))),
            ErrorKind::NotFound,
        );
    }

    /// `start_after` on a recursive listing returns exactly the keys after it.
    fn list_start_after_recursive(s, f) [Write, List] {
        aw!(put_tree(&s));
        let got = ok(aw!(files_with(&s, "", ListOptions::subtree().start_after("d/b.csv"))), "list_files");
        let want: Vec<String> = tree_under("").into_iter().filter(|p| p.as_str() > "d/b.csv").collect();
        assert_eq!(paths(&got), want);
        let got = ok(aw!(files_with(&s, "d", ListOptions::subtree().start_after("d/e/f/g.txt"))), "list_files");
        assert_eq!(paths(&got), ["d/e/f/h/i.txt"]);
        let got = ok(aw!(files_with(&s, "", ListOptions::subtree().start_after("zzz"))), "list_files");
        assert!(got.is_empty(), "nothing sorts after zzz: {:?}", paths(&got));
    }

    /// `start_after` on a direct listing, with a key that need not exist.
    fn list_start_after_direct(s, f) [Write, List] {
        aw!(put_tree(&s));
        let got = ok(aw!(files_with(&s, "d", ListOptions::new().start_after("d/a.txt"))), "list_files");
        assert_eq!(paths(&got), ["d/b.csv"]);
        let got = ok(aw!(files_with(&s, "d", ListOptions::new().start_after("d/a"))), "list_files");
        assert_eq!(paths(&got), ["d/a.txt", "d/b.csv"]);
    }

    /// `start_after` is relative to the store, also in a child store.
    fn list_start_after_in_child(s, f) [Write, List] {
        aw!(put_tree(&s));
        let child = ok(s.child("d"), "child");
        let got = ok(aw!(files_with(&child, "", ListOptions::subtree().start_after("e/c.txt"))), "list_files");
        assert_eq!(paths(&got), ["e/f/g.txt", "e/f/h/i.txt"]);
    }
}
