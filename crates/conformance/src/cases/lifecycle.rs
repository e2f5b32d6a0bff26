//! Lifecycle: `close` per posture, child stores, clones.

cases! {
    /// After a terminal close every call is `BackendUnavailable`.
    fn close_terminal_refuses_use(s, f) [Write, Read] if (f.terminal_close) {
        aw!(put(&s, "a.txt", "x"));
        ok(aw!(s.close()), "close");
        expect_kind(aw!(s.read_bytes("a.txt")), ErrorKind::BackendUnavailable);
        expect_kind(aw!(s.write_with("b.txt", "x", opts())), ErrorKind::BackendUnavailable);
        expect_kind(aw!(s.exists("a.txt")), ErrorKind::BackendUnavailable);
        expect_kind(aw!(s.ping()), ErrorKind::BackendUnavailable);
        if s.supports(Capability::List) {
            expect_kind(s.list_files_with("", ListOptions::new().recursive(true)), ErrorKind::BackendUnavailable);
        }
        if s.supports(Capability::Delete) {
            expect_kind(aw!(s.delete("a.txt")), ErrorKind::BackendUnavailable);
        }
    }

    /// After a terminal close, `BackendUnavailable` comes before any path check.
    fn close_terminal_checked_before_paths(s, f) [Write, Read] if (f.terminal_close) {
        ok(aw!(s.close()), "close");
        expect_kind(aw!(s.read_bytes("../escape")), ErrorKind::BackendUnavailable);
        expect_kind(aw!(s.write_with("", "x", opts())), ErrorKind::BackendUnavailable);
        expect_kind(aw!(s.exists("a\0b")), ErrorKind::BackendUnavailable);
        if s.supports(Capability::Delete) {
            expect_kind(aw!(s.delete_folder_with("", DeleteFolderOptions::new().recursive(true).missing_ok(true))), ErrorKind::BackendUnavailable);
        }
    }

    /// A child store shares the backend: closing the owner closes the child too.
    fn close_terminal_reaches_children(s, f) [Read] if (f.terminal_close) {
        let child = ok(s.child("c"), "child");
        ok(aw!(s.close()), "close");
        expect_kind(aw!(child.read_bytes("x.txt")), ErrorKind::BackendUnavailable);
    }

    /// A non-terminal close leaves the store usable.
    fn close_non_terminal_stays_usable(s, f) [Write, Read] if (!f.terminal_close) {
        ok(aw!(s.close()), "close");
        aw!(put(&s, "after.txt", "still here"));
        assert_eq!(aw!(content(&s, "after.txt")), b"still here");
        ok(aw!(s.close()), "second close");
        assert!(ok(aw!(s.is_file("after.txt")), "is_file"));
    }

    /// Closing a child never closes the backend.
    fn close_child_keeps_backend_open(s, f) [Write, Read] {
        let child = ok(s.child("c"), "child");
        ok(aw!(child.close()), "child close");
        aw!(put(&s, "parent.txt", "p"));
        assert_eq!(aw!(content(&s, "parent.txt")), b"p");
        aw!(put(&child, "child.txt", "c"));
        assert_eq!(aw!(content(&s, "c/child.txt")), b"c");
    }

    /// A child sees the parent's writes below its root.
    fn child_sees_parent_writes(s, f) [Write, Read] {
        aw!(put(&s, "c/x.txt", "from parent"));
        let child = ok(s.child("c"), "child");
        assert_eq!(aw!(content(&child, "x.txt")), b"from parent");
    }

    /// The parent sees a child's writes under the child's root.
    fn parent_sees_child_writes(s, f) [Write, Read] {
        let child = ok(s.child("c/d"), "child");
        let result = ok(aw!(child.write_with("x.txt", "from child", opts())), "child write");
        assert_eq!(result.path.as_str(), "x.txt", "a child's result path is child-relative");
        assert_eq!(aw!(content(&s, "c/d/x.txt")), b"from child");
    }

    /// Everything a child returns is relative to the child.
    fn child_paths_are_relative(s, f) [Write, List, Metadata] {
        aw!(put_tree(&s));
        let child = ok(s.child("d"), "child");
        let listed = ok(aw!(files(&child, "", true)), "list_files");
        assert_eq!(paths(&listed), ["a.txt", "b.csv", "e/c.txt", "e/f/g.txt", "e/f/h/i.txt"]);
        assert_eq!(folder_paths(&ok(aw!(folders(&child, "")), "list_folders")), ["e"]);
        let entries = entry_paths(&ok(aw!(children(&child, "e")), "iter_children"));
        assert_eq!(entries, [("e/c.txt".to_owned(), true), ("e/f".to_owned(), false)]);
        let info = ok(aw!(child.get_file_info("e/c.txt")), "get_file_info");
        assert_eq!(info.path.as_str(), "e/c.txt");
        let folder = ok(aw!(child.get_folder_info("e")), "get_folder_info");
        assert_eq!(folder.path.as_str(), "e");
    }

    /// Errors from a child name child-relative paths.
    fn child_errors_are_relative(s, f) [Read, Write] {
        let child = ok(s.child("c"), "child");
        expect_kind_at(aw!(child.read_bytes("nope.txt")), ErrorKind::NotFound, "nope.txt");
        aw!(put(&child, "x.txt", "x"));
        expect_kind_at(aw!(child.write_with("x.txt", "y", opts())), ErrorKind::AlreadyExists, "x.txt");
    }

    /// A child's listing never shows siblings that share its name prefix.
    fn child_listing_excludes_siblings(s, f) [Write, List] {
        aw!(put_all(&s, &[("c/x.txt", "1"), ("c2/y.txt", "2"), ("cx.txt", "3"), ("top.txt", "4")]));
        let child = ok(s.child("c"), "child");
        assert_eq!(paths(&ok(aw!(files(&child, "", true)), "list_files")), ["x.txt"]);
    }

    /// `child("a").child("b")` behaves as `child("a/b")`.
    fn child_of_child_equals_nested(s, f) [Write, Read, List] {
        let nested = ok(ok(s.child("a"), "child").child("b"), "child of child");
        let direct = ok(s.child("a/b"), "child");
        aw!(put(&nested, "x/one.txt", "1"));
        aw!(put(&direct, "two.txt", "2"));
        assert_eq!(aw!(content(&direct, "x/one.txt")), b"1");
        assert_eq!(aw!(content(&nested, "two.txt")), b"2");
        assert_eq!(
            paths(&ok(aw!(files(&nested, "", true)), "list")),
            paths(&ok(aw!(files(&direct, "", true)), "list"))
        );
        assert_eq!(ok(nested.native_path("x/one.txt"), "native"), ok(direct.native_path("x/one.txt"), "native"));
        assert_eq!(aw!(content(&s, "a/b/x/one.txt")), b"1");
    }

    /// A child's root follows the root rules: no file methods, no delete_folder.
    fn child_root_rules(s, f) [Write, Delete, Read] {
        aw!(put(&s, "c/keep.txt", "k"));
        let child = ok(s.child("c"), "child");
        expect_invalid_path(aw!(child.write_with("", "x", overwrite())), "");
        expect_invalid_path(aw!(child.delete_folder_with("", DeleteFolderOptions::new().recursive(true).missing_ok(true))), "");
        expect_invalid_path(aw!(child.delete_with(".", DeleteOptions::new().missing_ok(true))), ".");
        assert_eq!(aw!(content(&s, "c/keep.txt")), b"k");
    }

    /// A child cannot reach outside its root.
    fn child_cannot_escape(s, f) [Write, Read] {
        aw!(put(&s, "secret.txt", "s"));
        let child = ok(s.child("c"), "child");
        expect_invalid_path(aw!(child.read_bytes("../secret.txt")), "../secret.txt");
        expect_invalid_path(child.child(".."), "..");
        expect_invalid_path(child.child("x/../.."), "x/../..");
    }

    /// A child rooted at a missing folder still has a root that is a folder.
    fn child_of_missing_folder_has_root(s, f) [] {
        let child = ok(s.child("not/there"), "child");
        assert!(ok(aw!(child.is_folder("")), "is_folder"));
        assert!(ok(aw!(child.exists("")), "exists"));
        assert!(!ok(aw!(child.is_file("")), "is_file"));
    }

    /// `get_folder_info` of a child's root aggregates only the child (zero when missing).
    fn child_folder_info_is_scoped(s, f) [Write, Metadata] {
        aw!(put_all(&s, &[("c/x.txt", "12345"), ("c/d/e.txt", "12"), ("y.txt", "123"), ("c2/z.txt", "1")]));
        let info = ok(aw!(ok(s.child("c"), "child").get_folder_info("")), "get_folder_info");
        assert_eq!((info.file_count, info.total_size), (2, 7));
        assert!(info.path.is_root());
        let empty = ok(aw!(ok(s.child("nothing"), "child").get_folder_info("")), "get_folder_info");
        assert_eq!((empty.file_count, empty.total_size), (0, 0));
    }

    /// A clone of a store shares its state.
    fn clone_shares_state(s, f) [Write, Read] {
        let other = s.clone();
        aw!(put(&other, "x.txt", "via clone"));
        assert_eq!(aw!(content(&s, "x.txt")), b"via clone");
    }
}
