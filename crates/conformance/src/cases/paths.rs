//! Malformed paths: every form of 01-contract §1 is `InvalidPath` naming the input, from
//! every method family, before any I/O. Names reserved for the backends' temporary files
//! (`.~tmp.` segments) are refused the same way on every backend.

cases! {
    /// Reads refuse malformed paths.
    fn invalid_path_read(s, f) [Read] {
        for p in INVALID_PATHS.iter().copied() {
            expect_invalid_path(aw!(s.read(p)), p);
            expect_invalid_path(aw!(s.read_bytes(p)), p);
            expect_invalid_path(aw!(s.read_text(p)), p);
            expect_invalid_path(aw!(s.read_range(p, 0..4)), p);
        }
    }

    /// Writes refuse malformed paths and create nothing.
    fn invalid_path_write(s, f) [Write] {
        for p in INVALID_PATHS.iter().copied() {
            expect_invalid_path(aw!(s.write_with(p, "x", opts())), p);
            expect_invalid_path(aw!(s.write_with(p, "x", overwrite())), p);
            expect_invalid_path(aw!(s.write_text_with(p, "x", opts())), p);
            expect_invalid_path(aw!(s.write_with(p, streamed(vec![b"x".to_vec()]), opts())), p);
            if s.supports(Capability::AtomicWrite) {
                expect_invalid_path(aw!(s.write_atomic_with(p, "x", opts())), p);
            }
        }
        for p in ["x.txt", "b.txt", "a", "c", "ab", "tabhere", "del", "nextline", "c1"] {
            assert!(!ok(aw!(s.exists(p)), "exists"), "{p:?} was created by a refused write");
        }
    }

    /// `delete` and `delete_folder` refuse malformed paths, even with `missing_ok`.
    fn invalid_path_delete(s, f) [Delete] {
        for p in INVALID_PATHS.iter().copied() {
            expect_invalid_path(aw!(s.delete(p)), p);
            expect_invalid_path(aw!(s.delete_with(p, DeleteOptions::new().missing_ok(true))), p);
            expect_invalid_path(aw!(s.delete_folder_with(p, DeleteFolderOptions::new().recursive(true).missing_ok(true))), p);
        }
    }

    /// Listings refuse malformed paths at once (not as a stream item).
    fn invalid_path_listing(s, f) [List] {
        for p in INVALID_PATHS.iter().copied() {
            expect_invalid_path(s.list_files(p), p);
            expect_invalid_path(s.list_files_with(p, ListOptions::new().recursive(true)), p);
            expect_invalid_path(s.list_files_with(p, ListOptions::new().max_depth(1)), p);
            expect_invalid_path(s.list_folders(p), p);
            expect_invalid_path(s.iter_children(p), p);
        }
    }

    /// Probes refuse malformed paths (an error, not `false`).
    fn invalid_path_probes(s, f) [] {
        for p in INVALID_PATHS.iter().copied() {
            expect_invalid_path(aw!(s.exists(p)), p);
            expect_invalid_path(aw!(s.is_file(p)), p);
            expect_invalid_path(aw!(s.is_folder(p)), p);
        }
    }

    /// Info methods refuse malformed paths.
    fn invalid_path_info(s, f) [Metadata] {
        for p in INVALID_PATHS.iter().copied() {
            expect_invalid_path(aw!(s.get_file_info(p)), p);
            expect_invalid_path(aw!(s.get_folder_info(p)), p);
            expect_invalid_path(aw!(s.head(p)), p);
        }
    }

    /// `move_file` refuses a malformed source or destination; the source stays.
    fn invalid_path_move(s, f) [Move, Write, Read] {
        aw!(put(&s, "src.txt", "s"));
        for p in INVALID_PATHS.iter().copied() {
            expect_invalid_path(aw!(s.move_file(p, "dst.txt")), p);
            expect_invalid_path(aw!(s.move_file_with("src.txt", p, MoveOptions::new().overwrite(true))), p);
        }
        assert_eq!(aw!(content(&s, "src.txt")), b"s");
    }

    /// `copy_file` refuses a malformed source or destination.
    fn invalid_path_copy(s, f) [Copy, Write] {
        aw!(put(&s, "src.txt", "s"));
        for p in INVALID_PATHS.iter().copied() {
            expect_invalid_path(aw!(s.copy_file(p, "dst.txt")), p);
            expect_invalid_path(aw!(s.copy_file_with("src.txt", p, CopyOptions::new().overwrite(true))), p);
        }
        assert!(!ok(aw!(s.exists("dst.txt")), "exists"));
    }

    /// `glob` refuses patterns with malformed segments.
    fn invalid_path_glob(s, f) [List] {
        for p in ["../*", "a/../*.txt", "*/\0", "x\u{1}*", "x\u{85}*"] {
            expect_invalid_path(s.glob(p), p);
        }
    }

    /// `child` and `native_path` refuse malformed paths.
    fn invalid_path_child_and_native(s, f) [] {
        for p in INVALID_PATHS.iter().copied() {
            expect_invalid_path(s.child(p), p);
            expect_invalid_path(s.native_path(p), p);
        }
    }

    /// Names that merely contain dots (`a..b`, `...`, `.hidden`) are ordinary names.
    fn paths_dotted_names_are_valid(s, f) [Write, Read] {
        for p in ["a..b", "..a", "a..", "...", ".hidden", "d.d/..x/y..z"] {
            ok(aw!(s.write_with(p, p.to_owned(), opts())), "write");
            assert_eq!(aw!(content(&s, p)), p.as_bytes(), "content of {p:?}");
        }
    }

    /// Spellings that normalise to one key (`/d//e/./f.txt/`, `d\e\f.txt`) name one file.
    fn paths_spellings_name_one_file(s, f) [Write, Read] {
        let written = ok(aw!(s.write_with("/d//e/./f.txt/", "one", opts())), "write");
        assert_eq!(written.path.as_str(), "d/e/f.txt", "the result path is normalised");
        for p in ["d/e/f.txt", "d\\e\\f.txt", "./d/e/f.txt", "d/e//f.txt"] {
            assert_eq!(aw!(content(&s, p)), b"one", "read via {p:?}");
        }
        let again = aw!(s.write_with("d\\e\\f.txt", "two", opts()));
        expect_kind_at(again, ErrorKind::AlreadyExists, "d/e/f.txt");
    }

    /// A key with a segment starting with the reserved temp prefix (`.~tmp.`) is refused by
    /// every method family on every backend (whether or not it writes temp files itself),
    /// with `InvalidPath` naming the input and the prefix; nothing is created.
    fn reserved_temp_names_are_refused(s, f) [Write, Read] {
        aw!(put(&s, "src.txt", "s"));
        for p in [".~tmp.x", "d/.~tmp.f.txt.0123456789abcdef", ".~tmp.d/f.txt"] {
            let e = expect_invalid_path(aw!(s.write_with(p, "x", opts())), p);
            assert!(
                e.to_string().contains(RESERVED_PREFIX),
                "the error must name the reserved prefix: {e}"
            );
            expect_invalid_path(aw!(s.write_with(p, "x", overwrite())), p);
            expect_invalid_path(aw!(s.read_bytes(p)), p);
            expect_invalid_path(aw!(s.exists(p)), p);
            expect_invalid_path(aw!(s.is_file(p)), p);
            if s.supports(Capability::AtomicWrite) {
                expect_invalid_path(aw!(s.write_atomic_with(p, "x", overwrite())), p);
            }
            if s.supports(Capability::Copy) {
                expect_invalid_path(aw!(s.copy_file_with("src.txt", p, CopyOptions::new().overwrite(true))), p);
            }
            if s.supports(Capability::Move) {
                expect_invalid_path(aw!(s.move_file_with("src.txt", p, MoveOptions::new().overwrite(true))), p);
            }
            if s.supports(Capability::Delete) {
                expect_invalid_path(aw!(s.delete_with(p, DeleteOptions::new().missing_ok(true))), p);
            }
            if s.supports(Capability::List) {
                expect_invalid_path(s.list_files_with(p, ListOptions::new().recursive(true)), p);
            }
            if s.supports(Capability::Metadata) {
                expect_invalid_path(aw!(s.get_file_info(p)), p);
            }
        }
        assert_eq!(aw!(content(&s, "src.txt")), b"s", "the source stays");
        assert!(!ok(aw!(s.exists("d")), "exists"), "a refused write created a folder");
        // `.~tmp` without the trailing dot is an ordinary name.
        ok(aw!(s.write_with(".~tmpx", "ok", opts())), "write");
        assert_eq!(aw!(content(&s, ".~tmpx")), b"ok");
    }
}
