//! `delete` and `delete_folder`: every row of the contract's table.

cases! {
    /// `delete` removes the file.
    fn delete_removes_file(s, f) [Write, Delete] {
        aw!(put(&s, "d/x.txt", "x"));
        ok(aw!(s.delete("d/x.txt")), "delete");
        assert!(!ok(aw!(s.is_file("d/x.txt")), "is_file"));
    }

    /// `delete` leaves siblings and name-prefix neighbours alone.
    fn delete_keeps_siblings(s, f) [Write, Delete, Read] {
        aw!(put_all(&s, &[("d/x.txt", "x"), ("d/x.txt2", "2"), ("d/y.txt", "y"), ("d/x.txt.d/z", "z")]));
        ok(aw!(s.delete("d/x.txt")), "delete");
        for p in ["d/x.txt2", "d/y.txt", "d/x.txt.d/z"] {
            assert!(ok(aw!(s.is_file(p)), "is_file"), "{p} was removed too");
        }
    }

    /// `delete` of a missing file is `NotFound` naming it.
    fn delete_missing_is_not_found(s, f) [Delete] {
        expect_kind_at(aw!(s.delete("nope.txt")), ErrorKind::NotFound, "nope.txt");
        expect_kind_at(aw!(s.delete("no/dir/x.txt")), ErrorKind::NotFound, "no/dir/x.txt");
    }

    /// `delete` of a missing file with `missing_ok` succeeds.
    fn delete_missing_ok(s, f) [Delete] {
        ok(aw!(s.delete_with("nope.txt", DeleteOptions::new().missing_ok(true))), "delete(missing_ok)");
        ok(aw!(s.delete_with("no/dir/x.txt", DeleteOptions::new().missing_ok(true))), "delete(missing_ok)");
    }

    /// `delete` of a folder is `InvalidPath`, even with `missing_ok`; the folder survives.
    fn delete_folder_path_is_invalid_path(s, f) [Write, Delete, Read] {
        aw!(put(&s, "d/x.txt", "x"));
        expect_kind(aw!(s.delete("d")), ErrorKind::InvalidPath);
        expect_kind(aw!(s.delete_with("d", DeleteOptions::new().missing_ok(true))), ErrorKind::InvalidPath);
        assert_eq!(aw!(content(&s, "d/x.txt")), b"x");
    }

    /// `delete` below a file counts as missing.
    fn delete_under_file_counts_as_missing(s, f) [Write, Delete, Read] {
        aw!(put(&s, "a.txt", "x"));
        expect_kind(aw!(s.delete("a.txt/b")), ErrorKind::NotFound);
        ok(aw!(s.delete_with("a.txt/b", DeleteOptions::new().missing_ok(true))), "delete(missing_ok) under a file");
        assert_eq!(aw!(content(&s, "a.txt")), b"x");
    }

    /// `delete_many` answers one outcome per path, in input order, and never stops at a
    /// failure: deleted files, a missing file (`NotFound` naming it), invalid paths and the
    /// root (`InvalidPath`); each error carries the `delete` operation.
    fn delete_many_reports_each_item(s, f) [Write, Delete, Read] {
        aw!(put_all(&s, &[("m/a.txt", "a"), ("m/b.txt", "b"), ("m/keep.txt", "k")]));
        let out = aw!(s.delete_many(["m/a.txt", "m/missing.txt", "../escape", "m/b.txt", ""], DeleteOptions::new()));
        assert_eq!(out.len(), 5, "one outcome per path");
        let mut out = out.into_iter();
        ok(out.next().unwrap(), "delete_many: m/a.txt");
        let e = expect_kind_at(out.next().unwrap(), ErrorKind::NotFound, "m/missing.txt");
        assert_eq!(e.operation(), Some(remote_store_core::Operation::Delete), "{e}");
        expect_kind(out.next().unwrap(), ErrorKind::InvalidPath);
        ok(out.next().unwrap(), "delete_many: m/b.txt");
        expect_kind(out.next().unwrap(), ErrorKind::InvalidPath);
        for p in ["m/a.txt", "m/b.txt"] {
            assert!(!ok(aw!(s.is_file(p)), "is_file"), "{p} survived delete_many");
        }
        assert_eq!(aw!(content(&s, "m/keep.txt")), b"k");
    }

    /// `delete_many` with `missing_ok`: missing files (also below a missing folder) are
    /// successes, existing ones are gone.
    fn delete_many_missing_ok(s, f) [Write, Delete] {
        let names: Vec<String> = (0..24).map(|i| format!("n/f{i:02}.txt")).collect();
        let files: Vec<(&str, &str)> = names.iter().map(|n| (n.as_str(), "x")).collect();
        aw!(put_all(&s, &files));
        let mut paths = names.clone();
        paths.push("n/nope.txt".into());
        paths.push("no/dir/x.txt".into());
        let out = aw!(s.delete_many(&paths, DeleteOptions::new().missing_ok(true)));
        assert_eq!(out.len(), paths.len());
        for (p, r) in paths.iter().zip(out) {
            ok(r, &format!("delete_many(missing_ok): {p}"));
        }
        for p in &names {
            assert!(!ok(aw!(s.is_file(p)), "is_file"), "{p} survived delete_many");
        }
    }

    /// `delete_many` of a folder path is `InvalidPath` without `missing_ok`; with it a
    /// backend deleting in bulk may call it done (there is no file to delete). Either
    /// way the folder's files survive.
    fn delete_many_folder_path(s, f) [Write, Delete, Read] {
        aw!(put(&s, "k/x.txt", "x"));
        let out = aw!(s.delete_many(["k"], DeleteOptions::new()));
        expect_kind(out.into_iter().next().unwrap(), ErrorKind::InvalidPath);
        let out = aw!(s.delete_many(["k"], DeleteOptions::new().missing_ok(true)));
        if let Some(Err(e)) = out.into_iter().next() {
            assert_eq!(e.kind(), ErrorKind::InvalidPath, "{e}");
        }
        assert_eq!(aw!(content(&s, "k/x.txt")), b"x");
    }

    /// `delete_many` of no paths answers nothing and does nothing.
    fn delete_many_empty(s, f) [Delete] {
        let none: [&str; 0] = [];
        assert!(aw!(s.delete_many(none, DeleteOptions::new())).is_empty());
    }

    /// `delete_folder` of a missing folder is `NotFound` naming it.
    fn delete_folder_missing_is_not_found(s, f) [Delete] {
        expect_kind_at(aw!(s.delete_folder("nope")), ErrorKind::NotFound, "nope");
        expect_kind_at(aw!(s.delete_folder_with("nope", DeleteFolderOptions::new().recursive(true))), ErrorKind::NotFound, "nope");
    }

    /// `delete_folder` of a missing folder with `missing_ok` succeeds.
    fn delete_folder_missing_ok(s, f) [Delete] {
        ok(aw!(s.delete_folder_with("nope", DeleteFolderOptions::new().missing_ok(true))), "delete_folder(missing_ok)");
        ok(aw!(s.delete_folder_with("no/pe", DeleteFolderOptions::new().recursive(true).missing_ok(true))), "delete_folder(recursive, missing_ok)");
    }

    /// `delete_folder` of a file is `InvalidPath`, even with `missing_ok` and `recursive`.
    fn delete_folder_on_file_is_invalid_path(s, f) [Write, Delete, Read] {
        aw!(put(&s, "f.txt", "x"));
        expect_kind(aw!(s.delete_folder("f.txt")), ErrorKind::InvalidPath);
        expect_kind(aw!(s.delete_folder_with("f.txt", DeleteFolderOptions::new().recursive(true).missing_ok(true))), ErrorKind::InvalidPath);
        assert_eq!(aw!(content(&s, "f.txt")), b"x");
    }

    /// `delete_folder` below a file counts as missing.
    fn delete_folder_under_file_counts_as_missing(s, f) [Write, Delete, Read] {
        aw!(put(&s, "f.txt", "x"));
        expect_kind(aw!(s.delete_folder_with("f.txt/sub", DeleteFolderOptions::new().recursive(true))), ErrorKind::NotFound);
        ok(aw!(s.delete_folder_with("f.txt/sub", DeleteFolderOptions::new().recursive(true).missing_ok(true))), "delete_folder(missing_ok) under a file");
        assert_eq!(aw!(content(&s, "f.txt")), b"x");
    }

    /// Non-recursive `delete_folder` of a non-empty folder is `DirectoryNotEmpty`; nothing
    /// is removed.
    fn delete_folder_not_empty(s, f) [Write, Delete, Read] {
        aw!(put(&s, "d/x.txt", "x"));
        aw!(put(&s, "d/e/y.txt", "y"));
        expect_kind(aw!(s.delete_folder("d")), ErrorKind::DirectoryNotEmpty);
        expect_kind(aw!(s.delete_folder_with("d", DeleteFolderOptions::new().missing_ok(true))), ErrorKind::DirectoryNotEmpty);
        assert_eq!(aw!(content(&s, "d/x.txt")), b"x");
        assert_eq!(aw!(content(&s, "d/e/y.txt")), b"y");
    }

    /// Recursive `delete_folder` removes the whole subtree; afterwards `exists` is false.
    fn delete_folder_recursive_removes_subtree(s, f) [Write, Delete] {
        aw!(put_tree(&s));
        ok(aw!(s.delete_folder_with("d", DeleteFolderOptions::new().recursive(true))), "delete_folder(recursive)");
        assert!(!ok(aw!(s.exists("d")), "exists"), "the folder still exists");
        for p in tree_under("d") {
            assert!(!ok(aw!(s.exists(&p)), "exists"), "{p} survived a recursive delete");
        }
        assert!(!ok(aw!(s.exists("d/e/f")), "exists"));
    }

    /// Recursive `delete_folder` leaves folders that merely share a name prefix.
    fn delete_folder_recursive_keeps_prefix_siblings(s, f) [Write, Delete, Read] {
        aw!(put_tree(&s));
        aw!(put(&s, "d.txt", "dot"));
        ok(aw!(s.delete_folder_with("d", DeleteFolderOptions::new().recursive(true))), "delete_folder(recursive)");
        assert_eq!(aw!(content(&s, "d2/z.txt")), b"zzzzzzz");
        assert_eq!(aw!(content(&s, "d.txt")), b"dot");
        assert_eq!(aw!(content(&s, "top.txt")), b"t");
    }

    /// Recursive `delete_folder` of a nested folder keeps its parent's other content.
    fn delete_folder_nested_keeps_parent(s, f) [Write, Delete, Read] {
        aw!(put_tree(&s));
        ok(aw!(s.delete_folder_with("d/e", DeleteFolderOptions::new().recursive(true))), "delete_folder(recursive)");
        assert!(!ok(aw!(s.exists("d/e")), "exists"));
        assert!(ok(aw!(s.is_folder("d")), "is_folder"), "the parent folder went too");
        assert_eq!(aw!(content(&s, "d/a.txt")), b"aa");
    }

    /// Non-recursive `delete_folder` of an empty folder removes it (where folders can be
    /// empty).
    fn delete_folder_empty(s, f) [Write, Delete] if (f.empty_folders_persist) {
        aw!(put(&s, "d/e/x.txt", "x"));
        ok(aw!(s.delete("d/e/x.txt")), "delete");
        assert!(ok(aw!(s.is_folder("d/e")), "is_folder"), "the fixture declares empty folders persist");
        ok(aw!(s.delete_folder("d/e")), "delete_folder(empty)");
        assert!(!ok(aw!(s.exists("d/e")), "exists"));
        assert!(ok(aw!(s.is_folder("d")), "is_folder"));
    }
}
