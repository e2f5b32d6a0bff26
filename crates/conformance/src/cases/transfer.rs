//! `move_file` and `copy_file`: each scenario is written once and run for both operations,
//! with the contract's precondition order (missing source outranks every destination
//! problem except a root destination).

cases! {
    helpers {
        /// Basic transfer: the destination gets the content; the source stays only for copy.
        fn basic(s: &S, op: Op) {
            aw!(put(s, "a.txt", "payload"));
            ok(aw!(transfer(s, op, "a.txt", "b.txt", false)), "transfer");
            assert_eq!(aw!(content(s, "b.txt")), b"payload");
            let src_left = ok(aw!(s.exists("a.txt")), "exists");
            assert_eq!(src_left, op == Op::Copy, "source exists after {op:?}: {src_left}");
        }

        /// Binary content of a few MiB survives exactly.
        fn binary(s: &S, op: Op) {
            let data = pattern(3 << 20, 9);
            aw!(put(s, "src.bin", &data));
            ok(aw!(transfer(s, op, "src.bin", "dst.bin", false)), "transfer");
            assert!(aw!(content(s, "dst.bin")) == data, "content changed in transit");
        }

        /// A missing source is `NotFound` naming the source; nothing is created.
        fn missing_source(s: &S, op: Op) {
            expect_kind_at(aw!(transfer(s, op, "nope.txt", "b.txt", false)), ErrorKind::NotFound, "nope.txt");
            assert!(!ok(aw!(s.exists("b.txt")), "exists"));
            let child = ok(s.child("c"), "child");
            expect_kind_at(aw!(transfer(&child, op, "nope.txt", "b.txt", true)), ErrorKind::NotFound, "nope.txt");
        }

        /// A missing source outranks an existing, folder or under-a-file destination.
        fn missing_source_outranks_destination(s: &S, op: Op) {
            aw!(put_all(s, &[("exists.txt", "e"), ("d/x.txt", "x"), ("file.txt", "f")]));
            for dst in ["exists.txt", "d", "file.txt/under.txt"] {
                let r = aw!(transfer(s, op, "nope.txt", dst, false));
                expect_kind_at(r, ErrorKind::NotFound, "nope.txt");
            }
            assert_eq!(aw!(content(s, "exists.txt")), b"e");
        }

        /// The root as destination is `InvalidPath` before any I/O, even for a missing source.
        fn root_destination(s: &S, op: Op) {
            for root in ROOT_FORMS.iter().copied() {
                expect_invalid_path(aw!(transfer(s, op, "nope.txt", root, true)), root);
            }
        }

        /// A folder as the source is `InvalidPath`, also when source and destination agree.
        fn source_folder(s: &S, op: Op) {
            aw!(put(s, "d/x.txt", "x"));
            expect_kind(aw!(transfer(s, op, "d", "e", false)), ErrorKind::InvalidPath);
            expect_kind(aw!(transfer(s, op, "d", "d", true)), ErrorKind::InvalidPath);
            assert!(!ok(aw!(s.exists("e")), "exists"));
            assert_eq!(aw!(content(s, "d/x.txt")), b"x");
        }

        /// A folder as the destination is `InvalidPath`, even with overwrite; both survive.
        fn destination_folder(s: &S, op: Op) {
            aw!(put_all(s, &[("a.txt", "a"), ("d/x.txt", "x")]));
            expect_kind(aw!(transfer(s, op, "a.txt", "d", false)), ErrorKind::InvalidPath);
            expect_kind(aw!(transfer(s, op, "a.txt", "d", true)), ErrorKind::InvalidPath);
            assert_eq!(aw!(content(s, "a.txt")), b"a");
            assert_eq!(aw!(content(s, "d/x.txt")), b"x");
        }

        /// A file above the destination is `InvalidPath`, even with overwrite.
        fn destination_under_file(s: &S, op: Op) {
            aw!(put_all(s, &[("a.txt", "a"), ("f.txt", "f")]));
            expect_kind(aw!(transfer(s, op, "a.txt", "f.txt/b.txt", true)), ErrorKind::InvalidPath);
            assert_eq!(aw!(content(s, "a.txt")), b"a");
            assert_eq!(aw!(content(s, "f.txt")), b"f");
        }

        /// An existing destination without overwrite is `AlreadyExists` naming it; both stay.
        fn destination_exists(s: &S, op: Op) {
            aw!(put_all(s, &[("a.txt", "a"), ("b.txt", "b")]));
            expect_kind_at(aw!(transfer(s, op, "a.txt", "b.txt", false)), ErrorKind::AlreadyExists, "b.txt");
            assert_eq!(aw!(content(s, "a.txt")), b"a");
            assert_eq!(aw!(content(s, "b.txt")), b"b");
        }

        /// With overwrite, an existing destination is replaced.
        fn overwrite_replaces(s: &S, op: Op) {
            aw!(put_all(s, &[("a.txt", "new"), ("b.txt", "the old, longer content")]));
            ok(aw!(transfer(s, op, "a.txt", "b.txt", true)), "transfer(overwrite)");
            assert_eq!(aw!(content(s, "b.txt")), b"new");
            assert_eq!(ok(aw!(s.exists("a.txt")), "exists"), op == Op::Copy);
        }

        /// Source and destination the same file: a no-op that keeps the file.
        fn same_path(s: &S, op: Op) {
            aw!(put(s, "a.txt", "same"));
            ok(aw!(transfer(s, op, "a.txt", "a.txt", false)), "transfer onto itself");
            ok(aw!(transfer(s, op, "a.txt", "./a.txt", true)), "transfer onto itself");
            assert_eq!(aw!(content(s, "a.txt")), b"same");
        }

        /// Source and destination the same missing file: `NotFound`.
        fn same_path_missing(s: &S, op: Op) {
            expect_kind_at(aw!(transfer(s, op, "nope.txt", "nope.txt", false)), ErrorKind::NotFound, "nope.txt");
        }

        /// Missing parent folders of the destination are created.
        fn creates_parents(s: &S, op: Op) {
            aw!(put(s, "a.txt", "a"));
            ok(aw!(transfer(s, op, "a.txt", "n/m/b.txt", false)), "transfer");
            assert!(ok(aw!(s.is_folder("n/m")), "is_folder"));
            assert_eq!(aw!(content(s, "n/m/b.txt")), b"a");
        }

        /// User metadata travels with the file.
        fn keeps_metadata(s: &S, op: Op) {
            let m = meta(&[("owner", "ana"), ("stage", "raw")]);
            ok(aw!(s.write_with("a.txt", "a", opts().metadata(m.clone()))), "write with metadata");
            ok(aw!(transfer(s, op, "a.txt", "b.txt", false)), "transfer");
            let info = ok(aw!(s.get_file_info("b.txt")), "get_file_info");
            assert_eq!(info.metadata, Some(m), "metadata after {op:?}");
        }

        /// Paths in a child store are child-relative at both ends.
        fn in_child_store(s: &S, op: Op) {
            let child = ok(s.child("c"), "child");
            aw!(put(&child, "a.txt", "child"));
            ok(aw!(transfer(&child, op, "a.txt", "sub/b.txt", false)), "transfer in child");
            assert_eq!(aw!(content(s, "c/sub/b.txt")), b"child");
            assert!(!ok(aw!(s.exists("sub/b.txt")), "exists"), "the transfer escaped the child");
        }
    }

    /// Move: destination gets the content, source is gone.
    fn move_basic(s, f) [Move, Write, Read] { aw!(basic(&s, Op::Move)); }
    /// Copy: destination gets the content, source stays.
    fn copy_basic(s, f) [Copy, Write, Read] { aw!(basic(&s, Op::Copy)); }
    /// Move keeps binary content exactly.
    fn move_binary_content(s, f) [Move, Write, Read] { aw!(binary(&s, Op::Move)); }
    /// Copy keeps binary content exactly.
    fn copy_binary_content(s, f) [Copy, Write, Read] { aw!(binary(&s, Op::Copy)); }
    /// Move of a missing source is `NotFound(src)`.
    fn move_missing_source(s, f) [Move] { aw!(missing_source(&s, Op::Move)); }
    /// Copy of a missing source is `NotFound(src)`.
    fn copy_missing_source(s, f) [Copy] { aw!(missing_source(&s, Op::Copy)); }
    /// Move: a missing source outranks destination problems.
    fn move_missing_source_outranks_destination(s, f) [Move, Write, Read] {
        aw!(missing_source_outranks_destination(&s, Op::Move));
    }
    /// Copy: a missing source outranks destination problems.
    fn copy_missing_source_outranks_destination(s, f) [Copy, Write, Read] {
        aw!(missing_source_outranks_destination(&s, Op::Copy));
    }
    /// Move to the root is `InvalidPath` before any I/O.
    fn move_root_destination(s, f) [Move] { aw!(root_destination(&s, Op::Move)); }
    /// Copy to the root is `InvalidPath` before any I/O.
    fn copy_root_destination(s, f) [Copy] { aw!(root_destination(&s, Op::Copy)); }
    /// Move of a folder is `InvalidPath`.
    fn move_source_folder(s, f) [Move, Write, Read] { aw!(source_folder(&s, Op::Move)); }
    /// Copy of a folder is `InvalidPath`.
    fn copy_source_folder(s, f) [Copy, Write, Read] { aw!(source_folder(&s, Op::Copy)); }
    /// Move onto a folder is `InvalidPath`.
    fn move_destination_folder(s, f) [Move, Write, Read, FolderFileExclusion] { aw!(destination_folder(&s, Op::Move)); }
    /// Copy onto a folder is `InvalidPath`.
    fn copy_destination_folder(s, f) [Copy, Write, Read, FolderFileExclusion] { aw!(destination_folder(&s, Op::Copy)); }
    /// Move below a file is `InvalidPath`.
    fn move_destination_under_file(s, f) [Move, Write, Read] if (f.refuses_writes_under_files()) {
        aw!(destination_under_file(&s, Op::Move));
    }
    /// Copy below a file is `InvalidPath`.
    fn copy_destination_under_file(s, f) [Copy, Write, Read] if (f.refuses_writes_under_files()) {
        aw!(destination_under_file(&s, Op::Copy));
    }
    /// Move onto an existing file without overwrite is `AlreadyExists(dst)`.
    fn move_destination_exists(s, f) [Move, Write, Read] { aw!(destination_exists(&s, Op::Move)); }
    /// Copy onto an existing file without overwrite is `AlreadyExists(dst)`.
    fn copy_destination_exists(s, f) [Copy, Write, Read] { aw!(destination_exists(&s, Op::Copy)); }
    /// Move with overwrite replaces the destination.
    fn move_overwrite_replaces(s, f) [Move, Write, Read] { aw!(overwrite_replaces(&s, Op::Move)); }
    /// Copy with overwrite replaces the destination.
    fn copy_overwrite_replaces(s, f) [Copy, Write, Read] { aw!(overwrite_replaces(&s, Op::Copy)); }
    /// Move onto itself is a no-op.
    fn move_same_path_is_noop(s, f) [Move, Write, Read] { aw!(same_path(&s, Op::Move)); }
    /// Copy onto itself is a no-op.
    fn copy_same_path_is_noop(s, f) [Copy, Write, Read] { aw!(same_path(&s, Op::Copy)); }
    /// Move of a missing file onto itself is `NotFound`.
    fn move_same_path_missing(s, f) [Move] { aw!(same_path_missing(&s, Op::Move)); }
    /// Copy of a missing file onto itself is `NotFound`.
    fn copy_same_path_missing(s, f) [Copy] { aw!(same_path_missing(&s, Op::Copy)); }
    /// Move creates the destination's parents.
    fn move_creates_parents(s, f) [Move, Write, Read] { aw!(creates_parents(&s, Op::Move)); }
    /// Copy creates the destination's parents.
    fn copy_creates_parents(s, f) [Copy, Write, Read] { aw!(creates_parents(&s, Op::Copy)); }
    /// Move keeps user metadata.
    fn move_keeps_metadata(s, f) [Move, Write, Metadata, UserMetadata] { aw!(keeps_metadata(&s, Op::Move)); }
    /// Copy keeps user metadata.
    fn copy_keeps_metadata(s, f) [Copy, Write, Metadata, UserMetadata] { aw!(keeps_metadata(&s, Op::Copy)); }
    /// Move inside a child store stays inside it.
    fn move_in_child_store(s, f) [Move, Write, Read] { aw!(in_child_store(&s, Op::Move)); }
    /// Copy inside a child store stays inside it.
    fn copy_in_child_store(s, f) [Copy, Write, Read] { aw!(in_child_store(&s, Op::Copy)); }

    /// A copy is independent of its source: rewriting the source leaves the copy alone.
    fn copy_is_independent(s, f) [Copy, Write, Read] {
        aw!(put(&s, "a.txt", "first"));
        ok(aw!(s.copy_file("a.txt", "b.txt")), "copy");
        ok(aw!(s.write_with("a.txt", "second", overwrite())), "overwrite source");
        assert_eq!(aw!(content(&s, "b.txt")), b"first");
    }

    /// After a move, the destination's info matches the moved file (size) and the source
    /// lists no more.
    fn move_state_after(s, f) [Move, Write, List] {
        aw!(put(&s, "d/a.txt", "12345"));
        ok(aw!(s.move_file("d/a.txt", "e/b.txt")), "move");
        let all = ok(aw!(files(&s, "", true)), "list_files");
        assert_eq!(paths(&all), ["e/b.txt"]);
        assert_eq!(all[0].size, 5);
    }
}
