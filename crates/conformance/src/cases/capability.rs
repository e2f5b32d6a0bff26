//! Capability gating: a method whose capability the backend does not declare is refused
//! with `CapabilityNotSupported` naming it, before any I/O. These cases run only on
//! backends that lack the capability.

cases! {
    /// Without `read`, every read method is refused.
    fn unsupported_read_refused(s, f) [] without [Read] {
        expect_unsupported(aw!(s.read("a.txt")), Capability::Read);
        expect_unsupported(aw!(s.read_bytes("a.txt")), Capability::Read);
        expect_unsupported(aw!(s.read_text("a.txt")), Capability::Read);
        expect_unsupported(aw!(s.read_range("a.txt", 0..1)), Capability::Read);
        expect_unsupported(aw!(s.read_seekable("a.txt")).map(drop), Capability::Read);
    }

    /// Without `write`, writes are refused.
    fn unsupported_write_refused(s, f) [] without [Write] {
        expect_unsupported(aw!(s.write_with("a.txt", "x", opts())), Capability::Write);
        expect_unsupported(aw!(s.write_text_with("a.txt", "x", overwrite())), Capability::Write);
        expect_unsupported(s.writer("a.txt").map(drop), Capability::Write);
    }

    /// Without `atomic_write`, `write_atomic` is refused and writes nothing.
    fn unsupported_atomic_write_refused(s, f) [] without [AtomicWrite] {
        expect_unsupported(aw!(s.write_atomic_with("a.txt", "x", opts())), Capability::AtomicWrite);
        expect_unsupported(s.atomic_writer("a.txt").map(drop), Capability::AtomicWrite);
        assert!(!ok(aw!(s.exists("a.txt")), "exists"));
    }

    /// Without `delete`, deletes are refused.
    fn unsupported_delete_refused(s, f) [] without [Delete] {
        expect_unsupported(aw!(s.delete_with("a.txt", DeleteOptions::new().missing_ok(true))), Capability::Delete);
        expect_unsupported(aw!(s.delete_folder_with("d", DeleteFolderOptions::new().recursive(true).missing_ok(true))), Capability::Delete);
    }

    /// Without `list`, listings are refused at once.
    fn unsupported_list_refused(s, f) [] without [List] {
        expect_unsupported(s.list_files_with("", ListOptions::new().recursive(true)), Capability::List);
        expect_unsupported(s.list_folders(""), Capability::List);
        expect_unsupported(s.iter_children(""), Capability::List);
    }

    /// Without `glob`, `glob` is refused at once.
    fn unsupported_glob_refused(s, f) [] without [Glob, List] {
        expect_unsupported(s.glob("*.txt"), Capability::Glob);
    }

    /// Without `metadata`, info methods are refused.
    fn unsupported_metadata_refused(s, f) [] without [Metadata] {
        expect_unsupported(aw!(s.get_file_info("a.txt")), Capability::Metadata);
        expect_unsupported(aw!(s.get_folder_info("")), Capability::Metadata);
        expect_unsupported(aw!(s.head("a.txt")), Capability::Metadata);
    }

    /// Without `move`, `move_file` is refused and nothing moves.
    fn unsupported_move_refused(s, f) [] without [Move] {
        expect_unsupported(aw!(s.move_file_with("a.txt", "b.txt", MoveOptions::new().overwrite(true))), Capability::Move);
    }

    /// Without `copy`, `copy_file` is refused.
    fn unsupported_copy_refused(s, f) [] without [Copy] {
        expect_unsupported(aw!(s.copy_file_with("a.txt", "b.txt", CopyOptions::new().overwrite(true))), Capability::Copy);
    }
}
