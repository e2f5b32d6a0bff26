//! Writes: creation, parents, overwrite rules, streamed and special content, wrong targets.

cases! {
    /// A write creates the file and reports its store-relative path and size.
    fn write_creates_file(s, f) [Write, Read] {
        let result = ok(aw!(s.write_with("new.txt", "hello", opts())), "write");
        assert_eq!(result.path.as_str(), "new.txt");
        assert_eq!(result.size, 5);
        assert_eq!(aw!(content(&s, "new.txt")), b"hello");
    }

    /// A refused write's error names the backend, the operation and the store-relative
    /// path, stamped once by the store: `s3: write "d/f.txt": already exists`.
    fn write_error_names_backend_operation_and_path(s, f) [Write] {
        aw!(put(&s, "d/f.txt", "old"));
        let e = match aw!(s.write("d/f.txt", "new")) {
            Ok(_) => panic!("an existing file must be refused"),
            Err(e) => e,
        };
        assert_eq!(e.operation(), Some(Operation::Write), "{e:?}");
        assert_eq!(e.backend(), Some(s.name()), "{e:?}");
        let want = format!("{}: write \"d/f.txt\": already exists", s.name());
        assert!(e.to_string().starts_with(&want), "{e} should start with {want}");
        let e = match aw!(s.delete("d/missing.txt")) {
            Ok(()) => panic!("a missing file must be NotFound"),
            Err(e) => e,
        };
        assert_eq!(e.operation(), Some(Operation::Delete), "{e:?}");
    }

    /// Every error a store returns carries the backend, the operation and the path, and
    /// its `Display` names each once: a failing read, a refused write, a missing file's
    /// info, and a per-item `delete_many` failure.
    fn errors_carry_context_once(s, f) [Write, Read, Delete] {
        let name = s.name();
        aw!(put(&s, "c/f.txt", "old"));
        let e = expect_kind(aw!(s.write("c/f.txt", "new")), ErrorKind::AlreadyExists);
        expect_context(&e, name, Operation::Write, "c/f.txt");
        let e = expect_kind(aw!(s.read("c/missing.txt")), ErrorKind::NotFound);
        expect_context(&e, name, Operation::Read, "c/missing.txt");
        let e = expect_kind(aw!(s.read_bytes("c/missing.txt")), ErrorKind::NotFound);
        expect_context(&e, name, Operation::ReadBytes, "c/missing.txt");
        let e = expect_kind(aw!(s.get_file_info("c/missing.txt")), ErrorKind::NotFound);
        expect_context(&e, name, Operation::GetFileInfo, "c/missing.txt");
        let mut out = aw!(s.delete_many(["c/f.txt", "c/missing.txt"], DeleteOptions::new())).into_iter();
        ok(out.next().unwrap(), "delete_many: c/f.txt");
        let e = expect_kind(out.next().unwrap(), ErrorKind::NotFound);
        expect_context(&e, name, Operation::Delete, "c/missing.txt");
    }

    /// Missing parent folders are created.
    fn write_creates_parents(s, f) [Write, Read] {
        let result = ok(aw!(s.write_with("a/b/c/d.txt", "deep", opts())), "write");
        assert_eq!(result.path.as_str(), "a/b/c/d.txt");
        assert!(ok(aw!(s.is_folder("a/b/c")), "is_folder"));
        assert_eq!(aw!(content(&s, "a/b/c/d.txt")), b"deep");
    }

    /// Writing an existing file without overwrite is `AlreadyExists` naming it; the old
    /// content stays.
    fn write_existing_is_already_exists(s, f) [Write, Read] {
        aw!(put(&s, "d/f.txt", "old"));
        expect_kind_at(aw!(s.write_with("d/f.txt", "new", opts())), ErrorKind::AlreadyExists, "d/f.txt");
        expect_kind_at(
            aw!(s.write_with("d/f.txt", streamed(vec![b"new".to_vec()]), opts())),
            ErrorKind::AlreadyExists,
            "d/f.txt",
        );
        assert_eq!(aw!(content(&s, "d/f.txt")), b"old");
    }

    /// Overwrite replaces the whole content (a shorter file is not padded with the old tail).
    fn write_overwrite_replaces(s, f) [Write, Read] {
        aw!(put(&s, "o.txt", "a much longer original content"));
        let result = ok(aw!(s.write_with("o.txt", "short", overwrite())), "overwrite");
        assert_eq!(result.size, 5);
        assert_eq!(aw!(content(&s, "o.txt")), b"short");
    }

    /// An overwrite whose source fails part-way is an error and changes nothing: the old
    /// content stays whole (never truncated, half-written or deleted) and nothing else is
    /// left beside it (no temp file, no listing entry).
    fn write_failing_overwrite_keeps_old_content(s, f) [Write, Read, List] {
        aw!(put(&s, "d/a.txt", "old"));
        let failing = failing_after(pattern(1 << 20, 21));
        expect_err(aw!(s.write_with("d/a.txt", failing, overwrite())));
        let want = vec![("d/a.txt".to_owned(), true)];
        assert_eq!(aw!(settled_children(&s, "d", &want)), want, "a failed overwrite left something behind");
        assert_eq!(aw!(content(&s, "d/a.txt")), b"old", "a failed overwrite changed the old content");
    }

    /// Overwrite of a missing file simply creates it.
    fn write_overwrite_creates_missing(s, f) [Write, Read] {
        ok(aw!(s.write_with("fresh.txt", "x", overwrite())), "write");
        assert_eq!(aw!(content(&s, "fresh.txt")), b"x");
    }

    /// A streamed write of unknown length reports the true size.
    fn write_streamed_reports_true_size(s, f) [Write, Read] {
        let parts = vec![pattern(1000, 1), Vec::new(), pattern(70_000, 2), pattern(5, 3)];
        let all: Vec<u8> = parts.concat();
        let result = ok(aw!(s.write_with("s.bin", streamed(parts), opts())), "streamed write");
        assert_eq!(result.size, all.len() as u64);
        assert!(aw!(content(&s, "s.bin")) == all, "streamed content differs");
    }

    /// A write pulled from a reader stores everything and reports the true size.
    fn write_from_reader(s, f) [Write, Read] {
        let data = pattern(200_000, 4);
        let result = ok(aw!(s.write_with("r.bin", from_reader(data.clone()), opts())), "write from reader");
        assert_eq!(result.size, data.len() as u64);
        assert!(aw!(content(&s, "r.bin")) == data);
    }

    /// Empty content (in memory or streamed) makes an empty file.
    fn write_empty_content(s, f) [Write, Read] {
        let a = ok(aw!(s.write_with("e1", "", opts())), "empty write");
        let b = ok(aw!(s.write_with("e2", streamed(Vec::new()), opts())), "empty stream");
        assert_eq!((a.size, b.size), (0, 0));
        for p in ["e1", "e2"] {
            assert!(ok(aw!(s.is_file(p)), "is_file"), "{p} must exist");
            assert!(aw!(content(&s, p)).is_empty());
        }
    }

    /// Every byte value survives a round trip.
    fn write_all_byte_values(s, f) [Write, Read] {
        let data: Vec<u8> = (0..=255u8).chain((0..=255u8).rev()).collect();
        aw!(put(&s, "bytes.bin", &data));
        assert_eq!(aw!(content(&s, "bytes.bin")), data);
        assert_eq!(ok(aw!(read_all(&s, "bytes.bin")), "read"), data);
    }

    /// 10 KiB round-trips exactly.
    fn write_10_kib(s, f) [Write, Read] {
        let data = pattern(10 * 1024, 5);
        let result = ok(aw!(s.write_with("ten.bin", data.clone(), opts())), "write");
        assert_eq!(result.size, 10 * 1024);
        assert!(aw!(content(&s, "ten.bin")) == data);
    }

    /// A multi-part-sized streamed write (12 MiB: at least two parts on S3 and Azure).
    fn write_multipart_size(s, f) [Write, Read] if (f.big_writes) {
        let len = 12 << 20;
        let result = ok(aw!(s.write_with("big/12mib.bin", big_stream(len, 6), opts())), "12 MiB write");
        assert_eq!(result.size, len as u64);
        let back = ok(aw!(read_all(&s, "big/12mib.bin")), "read");
        assert!(back == pattern(len, 6), "12 MiB content differs ({} bytes back)", back.len());
    }

    /// A folder as the target is `InvalidPath`, even with overwrite; the folder survives.
    fn write_folder_target_is_invalid_path(s, f) [Write, Read, FolderFileExclusion] {
        aw!(put(&s, "d/x.txt", "x"));
        expect_kind(aw!(s.write_with("d", "y", opts())), ErrorKind::InvalidPath);
        expect_kind(aw!(s.write_with("d", "y", overwrite())), ErrorKind::InvalidPath);
        expect_kind(aw!(s.write_with("d", streamed(vec![b"y".to_vec()]), overwrite())), ErrorKind::InvalidPath);
        assert!(ok(aw!(s.is_folder("d")), "is_folder"));
        assert_eq!(aw!(content(&s, "d/x.txt")), b"x");
    }

    /// Without `folder_file_exclusion` (the flat-namespace mode of S3 and Azure) a write
    /// onto a folder is not checked: it creates a file next to the prefix, the path is then
    /// both, and everything below the folder is untouched. (Only for prefix namespaces: a
    /// hierarchical backend that has not declared the capability skips both cases.)
    fn write_folder_target_without_exclusion(s, f) [Write, Read] without [FolderFileExclusion] if (f.flat_namespace) {
        aw!(put(&s, "d/x.txt", "x"));
        ok(aw!(s.write_with("d", "y", opts())), "write onto a folder");
        assert!(ok(aw!(s.is_file("d")), "is_file"), "the write created a file");
        assert!(ok(aw!(s.is_folder("d")), "is_folder"), "the folder is still there");
        assert_eq!(aw!(content(&s, "d")), b"y");
        assert_eq!(aw!(content(&s, "d/x.txt")), b"x");
    }

    /// A file as an ancestor of the target is `InvalidPath`, even with overwrite.
    fn write_under_file_is_invalid_path(s, f) [Write, Read] if (f.refuses_writes_under_files()) {
        aw!(put(&s, "a.txt", "file"));
        expect_kind(aw!(s.write_with("a.txt/b.txt", "x", opts())), ErrorKind::InvalidPath);
        expect_kind(aw!(s.write_with("a.txt/b.txt", "x", overwrite())), ErrorKind::InvalidPath);
        expect_kind(aw!(s.write_with("a.txt/c/d.txt", "x", overwrite())), ErrorKind::InvalidPath);
        assert!(ok(aw!(s.is_file("a.txt")), "is_file"));
        assert_eq!(aw!(content(&s, "a.txt")), b"file");
    }

    /// Names with spaces, unicode and punctuation round-trip.
    fn write_special_characters(s, f) [Write, Read] {
        for name in SPECIAL_NAMES.iter().copied() {
            let result = ok(aw!(s.write_with(name, name.to_owned(), opts())), "write");
            assert_eq!(result.path.as_str(), name);
            assert_eq!(aw!(content(&s, name)), name.as_bytes(), "content of {name:?}");
            assert!(ok(aw!(s.is_file(name)), "is_file"), "is_file({name:?})");
        }
    }

    /// `write_text` stores UTF-8.
    fn write_text_is_utf8(s, f) [Write, Read] {
        let result = ok(aw!(s.write_text_with("t.txt", "héllo ✓", opts())), "write_text");
        assert_eq!(result.size, "héllo ✓".len() as u64);
        assert_eq!(aw!(content(&s, "t.txt")), "héllo ✓".as_bytes());
    }

    /// A failing source stream fails the write.
    fn write_failing_source_is_an_error(s, f) [Write] {
        expect_err(aw!(s.write_with("fail.bin", failing_after(pattern(10_000, 7)), opts())));
    }

    /// Paths twelve levels deep work.
    fn write_deep_path(s, f) [Write, Read] {
        let p = "l1/l2/l3/l4/l5/l6/l7/l8/l9/l10/l11/l12.txt";
        aw!(put(&s, p, "deep"));
        assert_eq!(aw!(content(&s, p)), b"deep");
        assert!(ok(aw!(s.is_folder("l1/l2/l3/l4/l5/l6/l7/l8/l9/l10/l11")), "is_folder"));
    }

    /// Keys that share a prefix (`d/x`, `d.txt`, `dx`, `d x`) are independent files.
    fn write_prefix_siblings_are_independent(s, f) [Write, Read] {
        let names = ["d/x", "d.txt", "dx", "d x", "d-", "d0"];
        for n in names {
            aw!(put(&s, n, n));
        }
        for n in names {
            assert_eq!(aw!(content(&s, n)), n.as_bytes(), "content of {n:?}");
        }
    }

    /// The same name in two folders makes two files.
    fn write_same_name_in_two_folders(s, f) [Write, Read] {
        aw!(put(&s, "a/x.txt", "in a"));
        aw!(put(&s, "b/x.txt", "in b"));
        assert_eq!(aw!(content(&s, "a/x.txt")), b"in a");
        assert_eq!(aw!(content(&s, "b/x.txt")), b"in b");
    }
}
