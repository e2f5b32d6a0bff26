//! Probes: `exists`, `is_file`, `is_folder` never fail with `NotFound`.

cases! {
    /// A missing path is neither a file nor a folder.
    fn probe_missing_is_false(s, f) [] {
        for p in ["missing.txt", "no/such/folder", "no/such/file.txt"] {
            assert!(!ok(aw!(s.exists(p)), "exists"), "exists({p:?})");
            assert!(!ok(aw!(s.is_file(p)), "is_file"), "is_file({p:?})");
            assert!(!ok(aw!(s.is_folder(p)), "is_folder"), "is_folder({p:?})");
        }
    }

    /// A written file exists, is a file, and is not a folder.
    fn probe_file_after_write(s, f) [Write] {
        aw!(put(&s, "d/file.txt", "x"));
        assert!(ok(aw!(s.exists("d/file.txt")), "exists"));
        assert!(ok(aw!(s.is_file("d/file.txt")), "is_file"));
        assert!(!ok(aw!(s.is_folder("d/file.txt")), "is_folder"), "a file must not be a folder");
    }

    /// Every ancestor of a written file is a folder, not a file.
    fn probe_ancestors_are_folders(s, f) [Write] {
        aw!(put(&s, "a/b/c/d.txt", "x"));
        for p in ["a", "a/b", "a/b/c"] {
            assert!(ok(aw!(s.exists(p)), "exists"), "exists({p:?})");
            assert!(ok(aw!(s.is_folder(p)), "is_folder"), "is_folder({p:?})");
            assert!(!ok(aw!(s.is_file(p)), "is_file"), "is_file({p:?}) for a folder");
        }
    }

    /// A name that is only a string prefix of a folder is not a folder.
    fn probe_name_prefix_is_not_a_folder(s, f) [Write] {
        aw!(put(&s, "abc/x.txt", "x"));
        aw!(put(&s, "file.txt", "x"));
        for p in ["ab", "a", "abc/x", "file", "file.tx"] {
            assert!(!ok(aw!(s.exists(p)), "exists"), "exists({p:?}) for a mere prefix");
            assert!(!ok(aw!(s.is_folder(p)), "is_folder"), "is_folder({p:?}) for a mere prefix");
        }
    }

    /// After `delete`, the file is gone from every probe.
    fn probe_after_delete_is_false(s, f) [Write, Delete] {
        aw!(put(&s, "d/gone.txt", "x"));
        ok(aw!(s.delete("d/gone.txt")), "delete");
        assert!(!ok(aw!(s.exists("d/gone.txt")), "exists"));
        assert!(!ok(aw!(s.is_file("d/gone.txt")), "is_file"));
        assert!(!ok(aw!(s.is_folder("d/gone.txt")), "is_folder"));
    }

    /// A folder emptied by deleting its last file persists exactly when the fixture says so.
    fn probe_emptied_folder_follows_declaration(s, f) [Write, Delete] {
        aw!(put(&s, "d/only.txt", "x"));
        ok(aw!(s.delete("d/only.txt")), "delete");
        let still = ok(aw!(s.is_folder("d")), "is_folder");
        assert_eq!(
            still, f.empty_folders_persist,
            "is_folder after deleting the last file; the fixture declares empty_folders_persist = {}",
            f.empty_folders_persist
        );
    }

    /// A path below a file is false for every probe (never an error).
    fn probe_under_file_is_false(s, f) [Write] {
        aw!(put(&s, "a.txt", "x"));
        for p in ["a.txt/b", "a.txt/b/c.txt"] {
            assert!(!ok(aw!(s.exists(p)), "exists"), "exists({p:?})");
            assert!(!ok(aw!(s.is_file(p)), "is_file"), "is_file({p:?})");
            assert!(!ok(aw!(s.is_folder(p)), "is_folder"), "is_folder({p:?})");
        }
    }

    /// The root is a folder (not a file) on an empty store, in every spelling.
    fn probe_root_is_folder_when_empty(s, f) [] {
        for root in ROOT_FORMS.iter().copied() {
            assert!(ok(aw!(s.exists(root)), "exists"), "exists({root:?})");
            assert!(ok(aw!(s.is_folder(root)), "is_folder"), "is_folder({root:?})");
            assert!(!ok(aw!(s.is_file(root)), "is_file"), "is_file({root:?})");
        }
    }

    /// The root is a folder (not a file) on a store with content.
    fn probe_root_is_folder_when_not_empty(s, f) [Write] {
        aw!(put(&s, "x.txt", "x"));
        aw!(put(&s, "d/y.txt", "y"));
        for root in ROOT_FORMS.iter().copied() {
            assert!(ok(aw!(s.exists(root)), "exists"), "exists({root:?})");
            assert!(ok(aw!(s.is_folder(root)), "is_folder"), "is_folder({root:?})");
            assert!(!ok(aw!(s.is_file(root)), "is_file"), "is_file({root:?})");
        }
    }

    /// Probes accept every spelling of a path (`/d//x.txt/`, `./d/x.txt`, `d\x.txt`).
    fn probe_path_spellings_agree(s, f) [Write] {
        aw!(put(&s, "d/x.txt", "x"));
        for p in ["/d//x.txt/", "./d/x.txt", "d\\x.txt", "d/./x.txt"] {
            assert!(ok(aw!(s.is_file(p)), "is_file"), "is_file({p:?})");
        }
        for p in ["d/", "/d", "./d/."] {
            assert!(ok(aw!(s.is_folder(p)), "is_folder"), "is_folder({p:?})");
        }
    }
}
