//! Listings: `list_files` (depth, pattern), `list_folders`, `iter_children`.

cases! {
    /// Non-recursive `list_files` returns the files directly in the folder.
    fn list_files_direct(s, f) [Write, List] {
        aw!(put_tree(&s));
        let got = ok(aw!(files(&s, "d", false)), "list_files");
        assert_eq!(paths(&got), ["d/a.txt", "d/b.csv"]);
    }

    /// Recursive `list_files` returns the whole subtree.
    fn list_files_recursive(s, f) [Write, List] {
        aw!(put_tree(&s));
        let got = ok(aw!(files(&s, "d", true)), "list_files");
        assert_eq!(paths(&got), tree_under("d"));
    }

    /// Listing the root: direct files, or everything.
    fn list_files_root(s, f) [Write, List] {
        aw!(put_tree(&s));
        assert_eq!(paths(&ok(aw!(files(&s, "", false)), "list_files")), ["top.txt"]);
        assert_eq!(paths(&ok(aw!(files(&s, "", true)), "list_files")), tree_under(""));
    }

    /// A listing never includes folders that only share a name prefix (`d` vs `d2`).
    fn list_files_excludes_prefix_siblings(s, f) [Write, List] {
        aw!(put_tree(&s));
        aw!(put(&s, "d.txt", "x"));
        let got = ok(aw!(files(&s, "d", true)), "list_files");
        assert!(got.iter().all(|f| f.path.as_str().starts_with("d/")), "outside d/: {:?}", paths(&got));
    }

    /// A missing folder lists as empty, never `NotFound`.
    fn list_files_missing_is_empty(s, f) [List] {
        assert!(ok(aw!(files(&s, "nope", false)), "list_files").is_empty());
        assert!(ok(aw!(files(&s, "no/pe", true)), "list_files").is_empty());
    }

    /// A file path lists as empty.
    fn list_files_on_file_is_empty(s, f) [Write, List] {
        aw!(put(&s, "f.txt", "x"));
        assert!(ok(aw!(files(&s, "f.txt", false)), "list_files").is_empty());
        assert!(ok(aw!(files(&s, "f.txt", true)), "list_files").is_empty());
    }

    /// Listed files carry store-relative paths, their name and their size, and can be
    /// passed straight back in.
    fn list_files_results_are_usable(s, f) [Write, List, Read] {
        aw!(put_tree(&s));
        for info in ok(aw!(files(&s, "", true)), "list_files") {
            let expected = TREE.iter().find(|(p, _)| *p == info.path.as_str());
            let (_, data) = expected.unwrap_or_else(|| panic!("unexpected path {:?}", info.path));
            assert_eq!(info.name, info.path.name(), "name of {:?}", info.path);
            assert_eq!(info.size, data.len() as u64, "size of {:?}", info.path);
            assert_eq!(aw!(content(&s, info.path.as_str())), data.as_bytes());
        }
    }

    /// A listed file and the same file's `get_file_info` agree on its size and, where both
    /// report one, its etag (one version, one etag: a caller compares them, e.g. to tell
    /// whether a file changed since it was listed).
    fn listed_info_agrees_with_get_file_info(s, f) [Write, List, Metadata] {
        aw!(put(&s, "e/x.txt", "etag"));
        let listed = ok(aw!(files(&s, "e", false)), "list_files");
        let [listed] = &listed[..] else { panic!("one file listed: {listed:?}") };
        let info = ok(aw!(s.get_file_info("e/x.txt")), "get_file_info");
        assert_eq!(listed.size, info.size);
        if let (Some(a), Some(b)) = (&listed.etag, &info.etag) {
            assert_eq!(a, b, "the listing's etag and get_file_info's differ");
        }
    }

    /// A recursive listing has no duplicates.
    fn list_files_has_no_duplicates(s, f) [Write, List] {
        aw!(put_tree(&s));
        let got = paths(&ok(aw!(files(&s, "", true)), "list_files"));
        let mut unique = got.clone();
        unique.dedup();
        assert_eq!(got, unique);
    }

    /// Folder spellings (`d/`, `./d`, `/d/`) list the same files.
    fn list_files_accepts_spellings(s, f) [Write, List] {
        aw!(put_tree(&s));
        for p in ["d/", "./d", "/d/", "d\\"] {
            assert_eq!(paths(&ok(aw!(files(&s, p, false)), "list_files")), ["d/a.txt", "d/b.csv"], "list_files({p:?})");
        }
    }

    /// `max_depth(0)` lists direct children only.
    fn list_max_depth_0(s, f) [Write, List] {
        aw!(put_tree(&s));
        let got = ok(aw!(files_with(&s, "d", ListOptions::new().max_depth(0))), "list_files_with");
        assert_eq!(paths(&got), ["d/a.txt", "d/b.csv"]);
    }

    /// `max_depth(1)` adds one folder level.
    fn list_max_depth_1(s, f) [Write, List] {
        aw!(put_tree(&s));
        let got = ok(aw!(files_with(&s, "d", ListOptions::new().max_depth(1))), "list_files_with");
        assert_eq!(paths(&got), ["d/a.txt", "d/b.csv", "d/e/c.txt"]);
    }

    /// `max_depth(2)` adds two folder levels.
    fn list_max_depth_2(s, f) [Write, List] {
        aw!(put_tree(&s));
        let got = ok(aw!(files_with(&s, "d", ListOptions::new().max_depth(2))), "list_files_with");
        assert_eq!(paths(&got), ["d/a.txt", "d/b.csv", "d/e/c.txt", "d/e/f/g.txt"]);
    }

    /// `max_depth(3)` reaches the deepest file of the tree.
    fn list_max_depth_3(s, f) [Write, List] {
        aw!(put_tree(&s));
        let got = ok(aw!(files_with(&s, "d", ListOptions::new().max_depth(3))), "list_files_with");
        assert_eq!(paths(&got), tree_under("d"));
    }

    /// `max_depth` overrides `recursive` both ways.
    fn list_max_depth_overrides_recursive(s, f) [Write, List] {
        aw!(put_tree(&s));
        let flat = ListOptions::new().recursive(true).max_depth(0);
        assert_eq!(paths(&ok(aw!(files_with(&s, "d", flat)), "list")), ["d/a.txt", "d/b.csv"]);
        let deep = ListOptions::new().recursive(false).max_depth(1);
        assert_eq!(paths(&ok(aw!(files_with(&s, "d", deep)), "list")), ["d/a.txt", "d/b.csv", "d/e/c.txt"]);
    }

    /// `pattern` filters direct children by name.
    fn list_pattern_direct(s, f) [Write, List] {
        aw!(put_tree(&s));
        let got = ok(aw!(files_with(&s, "d", ListOptions::new().pattern("*.txt"))), "list_files_with");
        assert_eq!(paths(&got), ["d/a.txt"]);
    }

    /// `pattern` filters a recursive listing by file name (not by path).
    fn list_pattern_recursive(s, f) [Write, List] {
        aw!(put_tree(&s));
        let opts = ListOptions::new().recursive(true).pattern("*.txt");
        let got = ok(aw!(files_with(&s, "d", opts)), "list_files_with");
        assert_eq!(paths(&got), ["d/a.txt", "d/e/c.txt", "d/e/f/g.txt", "d/e/f/h/i.txt"]);
        let by_name = ListOptions::new().recursive(true).pattern("?.txt");
        assert_eq!(paths(&ok(aw!(files_with(&s, "", by_name)), "list")).len(), 5, "a, c, g, i and z.txt");
    }

    /// `pattern` applies after the depth bound.
    fn list_pattern_with_depth(s, f) [Write, List] {
        aw!(put_tree(&s));
        let opts = ListOptions::new().max_depth(1).pattern("*.txt");
        let got = ok(aw!(files_with(&s, "d", opts)), "list_files_with");
        assert_eq!(paths(&got), ["d/a.txt", "d/e/c.txt"]);
    }

    /// A malformed pattern is `InvalidArgument`, at once.
    fn list_bad_pattern_is_invalid_argument(s, f) [List] {
        expect_kind(s.list_files_with("", ListOptions::new().pattern("[unclosed")), ErrorKind::InvalidArgument);
    }

    /// A listing larger than one server page is complete (`Features::large_listing` files).
    fn list_large_listing_is_complete(s, f) [Write, List] {
        let n = f.large_listing;
        aw!(put_many(&s, "big", n));
        let direct = paths(&ok(aw!(files(&s, "big", false)), "list_files"));
        assert_eq!(direct.len(), n, "non-recursive listing of {n} files");
        let mut unique = direct.clone();
        unique.dedup();
        assert_eq!(unique.len(), n, "duplicates in a paged listing");
        assert_eq!(direct.first().map(String::as_str), Some("big/f00000.txt"));
        let recursive = ok(aw!(files(&s, "", true)), "list_files");
        assert_eq!(recursive.len(), n, "recursive listing of {n} files");
    }

    /// A listing can be abandoned part-way; the store keeps working.
    fn list_dropped_midway_is_harmless(s, f) [Write, List] {
        aw!(put_many(&s, "many", 40));
        let firsts = ok(aw!(first_files(&s, "many", 3)), "partial listing");
        assert_eq!(firsts.len(), 3);
        assert_eq!(ok(aw!(files(&s, "many", true)), "list_files").len(), 40);
    }

    /// Names with spaces, unicode and punctuation come back exactly from listings.
    fn list_special_characters(s, f) [Write, List] {
        for name in SPECIAL_NAMES.iter().copied() {
            aw!(put(&s, name, "x"));
        }
        let got = paths(&ok(aw!(files(&s, "", true)), "list_files"));
        assert_eq!(got, sorted(SPECIAL_NAMES));
    }

    /// `list_folders` returns the immediate subfolders, store-relative.
    fn list_folders_immediate(s, f) [Write, List] {
        aw!(put_tree(&s));
        assert_eq!(folder_paths(&ok(aw!(folders(&s, "")), "list_folders")), ["d", "d2"]);
        assert_eq!(folder_paths(&ok(aw!(folders(&s, "d")), "list_folders")), ["d/e"]);
        assert_eq!(folder_paths(&ok(aw!(folders(&s, "d/e")), "list_folders")), ["d/e/f"]);
        assert!(ok(aw!(folders(&s, "d/e/f/h")), "list_folders").is_empty());
    }

    /// Listed folders carry their name and can be passed back in.
    fn list_folders_results_are_usable(s, f) [Write, List] {
        aw!(put_tree(&s));
        for folder in ok(aw!(folders(&s, "d/e")), "list_folders") {
            assert_eq!(folder.name, folder.path.name());
            assert!(ok(aw!(s.is_folder(folder.path.as_str())), "is_folder"), "{:?}", folder.path);
        }
    }

    /// `list_folders` of a missing folder or a file is empty.
    fn list_folders_missing_or_file_is_empty(s, f) [Write, List] {
        aw!(put(&s, "f.txt", "x"));
        assert!(ok(aw!(folders(&s, "nope")), "list_folders").is_empty());
        assert!(ok(aw!(folders(&s, "f.txt")), "list_folders").is_empty());
    }

    /// An emptied folder is still listed where folders persist.
    fn list_folders_shows_empty_folder(s, f) [Write, Delete, List] if (f.empty_folders_persist) {
        aw!(put(&s, "p/empty/x.txt", "x"));
        ok(aw!(s.delete("p/empty/x.txt")), "delete");
        assert_eq!(folder_paths(&ok(aw!(folders(&s, "p")), "list_folders")), ["p/empty"]);
    }

    /// `iter_children` returns files and folders together, typed.
    fn iter_children_mixed(s, f) [Write, List] {
        aw!(put_tree(&s));
        let got = entry_paths(&ok(aw!(children(&s, "d")), "iter_children"));
        let want = [("d/a.txt", true), ("d/b.csv", true), ("d/e", false)];
        assert_eq!(got, want.map(|(p, file)| (p.to_owned(), file)));
    }

    /// `iter_children` of the root.
    fn iter_children_root(s, f) [Write, List] {
        aw!(put_tree(&s));
        let got = entry_paths(&ok(aw!(children(&s, "")), "iter_children"));
        let want = [("d", false), ("d2", false), ("top.txt", true)];
        assert_eq!(got, want.map(|(p, file)| (p.to_owned(), file)));
    }

    /// File entries of `iter_children` carry sizes; names match paths.
    fn iter_children_file_entries_have_sizes(s, f) [Write, List] {
        aw!(put_tree(&s));
        for entry in ok(aw!(children(&s, "d")), "iter_children") {
            assert_eq!(entry.name(), entry.path().name());
            if let Entry::File(info) = entry {
                let (_, data) = TREE.iter().find(|(p, _)| *p == info.path.as_str()).expect("listed file is in the tree");
                assert_eq!(info.size, data.len() as u64, "size of {:?}", info.path);
            }
        }
    }

    /// `iter_children` of a missing folder or a file is empty.
    fn iter_children_missing_or_file_is_empty(s, f) [Write, List] {
        aw!(put(&s, "f.txt", "x"));
        assert!(ok(aw!(children(&s, "nope")), "iter_children").is_empty());
        assert!(ok(aw!(children(&s, "f.txt")), "iter_children").is_empty());
    }
}
