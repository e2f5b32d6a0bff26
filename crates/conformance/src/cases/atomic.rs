//! Atomic writes: old or new content, never partial; failures leave no target and no temp.

cases! {
    /// `write_atomic` creates the file and parents, reporting path and size.
    fn atomic_creates_file(s, f) [AtomicWrite, Read] {
        let result = ok(aw!(s.write_atomic_with("d/e/a.txt", "atomic", opts())), "write_atomic");
        assert_eq!(result.path.as_str(), "d/e/a.txt");
        assert_eq!(result.size, 6);
        assert_eq!(aw!(content(&s, "d/e/a.txt")), b"atomic");
    }

    /// `write_atomic` with overwrite replaces the whole content.
    fn atomic_overwrite_replaces(s, f) [AtomicWrite, Write, Read] {
        aw!(put(&s, "a.txt", "the old, longer content"));
        ok(aw!(s.write_atomic_with("a.txt", "new", overwrite())), "write_atomic");
        assert_eq!(aw!(content(&s, "a.txt")), b"new");
    }

    /// `write_atomic` without overwrite on an existing file is `AlreadyExists`; old content
    /// stays.
    fn atomic_existing_is_already_exists(s, f) [AtomicWrite, Write, Read] {
        aw!(put(&s, "a.txt", "old"));
        expect_kind_at(aw!(s.write_atomic_with("a.txt", "new", opts())), ErrorKind::AlreadyExists, "a.txt");
        assert_eq!(aw!(content(&s, "a.txt")), b"old");
    }

    /// A streamed atomic write reports the true size.
    fn atomic_streamed_reports_true_size(s, f) [AtomicWrite, Read] {
        let parts = vec![pattern(65_536, 1), pattern(3, 2), pattern(100_000, 3)];
        let all = parts.concat();
        let result = ok(aw!(s.write_atomic_with("s.bin", streamed(parts), opts())), "write_atomic");
        assert_eq!(result.size, all.len() as u64);
        assert!(aw!(content(&s, "s.bin")) == all);
    }

    /// A source that fails half-way leaves no target behind.
    fn atomic_failing_source_leaves_no_target(s, f) [AtomicWrite] {
        expect_err(aw!(s.write_atomic_with("d/t.bin", failing_after(pattern(200_000, 4)), opts())));
        assert!(!ok(aw!(s.exists("d/t.bin")), "exists"), "a failed atomic write left its target");
    }

    /// A source that fails half-way keeps the old content of an existing target.
    fn atomic_failing_source_keeps_old_content(s, f) [AtomicWrite, Write, Read] {
        aw!(put(&s, "t.bin", "old"));
        expect_err(aw!(s.write_atomic_with("t.bin", failing_after(pattern(200_000, 5)), overwrite())));
        assert_eq!(aw!(content(&s, "t.bin")), b"old");
    }

    /// A failed atomic write leaves no temp artefact visible in listings.
    fn atomic_failing_source_leaves_no_temp(s, f) [AtomicWrite, Write, List] {
        aw!(put(&s, "d/keep.txt", "k"));
        expect_err(aw!(s.write_atomic_with("d/t.bin", failing_after(pattern(200_000, 6)), opts())));
        aw!(put(&s, "d/old.bin", "old"));
        expect_err(aw!(s.write_atomic_with("d/old.bin", failing_after(pattern(200_000, 7)), overwrite())));
        let entries = ok(aw!(children(&s, "d")), "iter_children");
        assert_eq!(
            entry_paths(&entries),
            [("d/keep.txt".to_owned(), true), ("d/old.bin".to_owned(), true)],
            "unexpected entries after failed atomic writes"
        );
        let all = ok(aw!(files(&s, "", true)), "list_files");
        assert_eq!(paths(&all), ["d/keep.txt", "d/old.bin"]);
    }

    /// Successful atomic writes leave only their targets.
    fn atomic_success_leaves_no_temp(s, f) [AtomicWrite, List] {
        ok(aw!(s.write_atomic_with("d/a.txt", "1", opts())), "write_atomic");
        ok(aw!(s.write_atomic_with("d/a.txt", "2", overwrite())), "write_atomic");
        ok(aw!(s.write_atomic_with("d/b.txt", streamed(vec![pattern(10, 1)]), opts())), "write_atomic");
        let entries = ok(aw!(children(&s, "d")), "iter_children");
        assert_eq!(
            entry_paths(&entries),
            [("d/a.txt".to_owned(), true), ("d/b.txt".to_owned(), true)]
        );
    }

    /// A folder as the atomic target is `InvalidPath`, even with overwrite.
    fn atomic_folder_target_is_invalid_path(s, f) [AtomicWrite, Write, Read, FolderFileExclusion] {
        aw!(put(&s, "d/x.txt", "x"));
        expect_kind(aw!(s.write_atomic_with("d", "y", opts())), ErrorKind::InvalidPath);
        expect_kind(aw!(s.write_atomic_with("d", "y", overwrite())), ErrorKind::InvalidPath);
        assert_eq!(aw!(content(&s, "d/x.txt")), b"x");
    }

    /// A file ancestor of the atomic target is `InvalidPath`.
    fn atomic_under_file_is_invalid_path(s, f) [AtomicWrite, Write, Read] if (f.refuses_writes_under_files()) {
        aw!(put(&s, "a.txt", "file"));
        expect_kind(aw!(s.write_atomic_with("a.txt/b.txt", "x", overwrite())), ErrorKind::InvalidPath);
        assert_eq!(aw!(content(&s, "a.txt")), b"file");
    }
}
