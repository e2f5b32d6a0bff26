//! Root rules: file methods refuse the store root; the root can never be deleted.

cases! {
    /// Every read method refuses the root, in every spelling.
    fn root_reads_refused(s, f) [Read] {
        for root in ROOT_FORMS.iter().copied() {
            expect_invalid_path(aw!(s.read(root)), root);
            expect_invalid_path(aw!(s.read_bytes(root)), root);
            expect_invalid_path(aw!(s.read_text(root)), root);
            expect_invalid_path(aw!(s.read_range(root, 0..1)), root);
        }
    }

    /// Every write method refuses the root, and the store and its content survive.
    fn root_writes_refused(s, f) [Write, Read] {
        aw!(put(&s, "keep.txt", "kept"));
        for root in ROOT_FORMS.iter().copied() {
            expect_invalid_path(aw!(s.write_with(root, "x", opts())), root);
            expect_invalid_path(aw!(s.write_with(root, "x", overwrite())), root);
            expect_invalid_path(aw!(s.write_text_with(root, "x", overwrite())), root);
            expect_invalid_path(aw!(s.write_with(root, streamed(vec![b"x".to_vec()]), overwrite())), root);
            if s.supports(Capability::AtomicWrite) {
                expect_invalid_path(aw!(s.write_atomic_with(root, "x", overwrite())), root);
            }
        }
        assert!(ok(aw!(s.is_folder("")), "is_folder"), "the root must still be a folder");
        assert_eq!(aw!(content(&s, "keep.txt")), b"kept");
    }

    /// `delete` of the root is refused even with `missing_ok`; content survives.
    fn root_delete_refused(s, f) [Write, Delete, Read] {
        aw!(put(&s, "keep.txt", "kept"));
        for root in ROOT_FORMS.iter().copied() {
            expect_invalid_path(aw!(s.delete(root)), root);
            expect_invalid_path(aw!(s.delete_with(root, DeleteOptions::new().missing_ok(true))), root);
        }
        assert_eq!(aw!(content(&s, "keep.txt")), b"kept");
    }

    /// `delete_folder` of the root is refused (recursive, missing_ok); content survives.
    fn root_delete_folder_refused(s, f) [Write, Delete, Read] {
        aw!(put(&s, "keep.txt", "kept"));
        aw!(put(&s, "d/deep.txt", "deep"));
        for root in ROOT_FORMS.iter().copied() {
            expect_invalid_path(aw!(s.delete_folder_with(root, DeleteFolderOptions::new().recursive(true).missing_ok(true))), root);
            expect_invalid_path(aw!(s.delete_folder(root)), root);
        }
        assert_eq!(aw!(content(&s, "keep.txt")), b"kept");
        assert_eq!(aw!(content(&s, "d/deep.txt")), b"deep");
    }

    /// `get_file_info` and `head` refuse the root.
    fn root_file_info_refused(s, f) [Metadata] {
        for root in ROOT_FORMS.iter().copied() {
            expect_invalid_path(aw!(s.get_file_info(root)), root);
            expect_invalid_path(aw!(s.head(root)), root);
        }
    }

    /// `move_file` refuses the root at either end, before any I/O (even for a missing source).
    fn root_move_refused(s, f) [Move, Write, Read] {
        aw!(put(&s, "a.txt", "a"));
        for root in ROOT_FORMS.iter().copied() {
            expect_invalid_path(aw!(s.move_file_with(root, "b.txt", MoveOptions::new().overwrite(true))), root);
            expect_invalid_path(aw!(s.move_file_with("a.txt", root, MoveOptions::new().overwrite(true))), root);
            expect_invalid_path(aw!(s.move_file("missing.txt", root)), root);
        }
        assert_eq!(aw!(content(&s, "a.txt")), b"a");
    }

    /// `copy_file` refuses the root at either end, before any I/O (even for a missing source).
    fn root_copy_refused(s, f) [Copy, Write, Read] {
        aw!(put(&s, "a.txt", "a"));
        for root in ROOT_FORMS.iter().copied() {
            expect_invalid_path(aw!(s.copy_file_with(root, "b.txt", CopyOptions::new().overwrite(true))), root);
            expect_invalid_path(aw!(s.copy_file_with("a.txt", root, CopyOptions::new().overwrite(true))), root);
            expect_invalid_path(aw!(s.copy_file("missing.txt", root)), root);
        }
        assert_eq!(aw!(content(&s, "a.txt")), b"a");
    }

    /// `get_folder_info` of the root of an empty store is zero, never `NotFound`.
    fn root_folder_info_empty_is_zero(s, f) [Metadata] {
        for root in ROOT_FORMS.iter().copied() {
            let info = ok(aw!(s.get_folder_info(root)), "get_folder_info(root)");
            assert!(info.path.is_root(), "path {:?} is not the root", info.path);
            assert_eq!(info.file_count, 0);
            assert_eq!(info.total_size, 0);
            assert_eq!(info.modified, None, "no files, so no newest time");
        }
    }

    /// `get_folder_info` of the root aggregates every file of the store.
    fn root_folder_info_aggregates(s, f) [Metadata, Write] {
        aw!(put_tree(&s));
        let info = ok(aw!(s.get_folder_info("")), "get_folder_info(root)");
        let total: usize = TREE.iter().map(|(_, c)| c.len()).sum();
        assert!(info.path.is_root());
        assert_eq!(info.file_count, TREE.len() as u64);
        assert_eq!(info.total_size, total as u64);
        assert!(info.modified.is_some(), "a non-empty root has a newest time");
    }

    /// Listing the root works in every spelling.
    fn root_listing_accepts_every_spelling(s, f) [List, Write] {
        aw!(put(&s, "x.txt", "x"));
        for root in ROOT_FORMS.iter().copied() {
            let listed = ok(aw!(files(&s, root, false)), "list_files(root)");
            assert_eq!(paths(&listed), ["x.txt"], "list_files({root:?})");
        }
    }
}
