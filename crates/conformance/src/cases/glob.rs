//! `glob`: `*`, `?`, `[...]`, `**`; files only; store-relative results.

cases! {
    /// `*` stays within one segment.
    fn glob_star(s, f) [List, Write] {
        aw!(put_tree(&s));
        assert_eq!(paths(&ok(aw!(globbed(&s, "*.txt")), "glob")), ["top.txt"]);
        assert_eq!(paths(&ok(aw!(globbed(&s, "d/*.txt")), "glob")), ["d/a.txt"]);
        assert_eq!(paths(&ok(aw!(globbed(&s, "*/*.txt")), "glob")), ["d/a.txt", "d2/z.txt"]);
    }

    /// `?` matches exactly one character.
    fn glob_question_mark(s, f) [List, Write] {
        aw!(put_tree(&s));
        assert_eq!(paths(&ok(aw!(globbed(&s, "d/?.csv")), "glob")), ["d/b.csv"]);
        assert!(ok(aw!(globbed(&s, "d/??.csv")), "glob").is_empty());
    }

    /// `[...]` classes.
    fn glob_class(s, f) [List, Write] {
        aw!(put_tree(&s));
        assert_eq!(paths(&ok(aw!(globbed(&s, "d/[ab].*")), "glob")), ["d/a.txt", "d/b.csv"]);
    }

    /// `**` matches zero segments.
    fn glob_double_star_zero_segments(s, f) [List, Write] {
        aw!(put_tree(&s));
        assert_eq!(paths(&ok(aw!(globbed(&s, "d/**/a.txt")), "glob")), ["d/a.txt"]);
    }

    /// `**` matches several segments.
    fn glob_double_star_many_segments(s, f) [List, Write] {
        aw!(put_tree(&s));
        let got = paths(&ok(aw!(globbed(&s, "d/**/*.txt")), "glob"));
        assert_eq!(got, ["d/a.txt", "d/e/c.txt", "d/e/f/g.txt", "d/e/f/h/i.txt"]);
        let everything = paths(&ok(aw!(globbed(&s, "**")), "glob"));
        assert_eq!(everything, tree_under(""));
    }

    /// `glob` returns files only, never folders.
    fn glob_files_only(s, f) [List, Write] {
        aw!(put_tree(&s));
        assert_eq!(paths(&ok(aw!(globbed(&s, "d/*")), "glob")), ["d/a.txt", "d/b.csv"]);
    }

    /// No match is an empty result.
    fn glob_no_match_is_empty(s, f) [List, Write] {
        aw!(put_tree(&s));
        assert!(ok(aw!(globbed(&s, "*.parquet")), "glob").is_empty());
        assert!(ok(aw!(globbed(&s, "missing/**/*.txt")), "glob").is_empty());
    }

    /// A malformed pattern is `InvalidArgument`, at once.
    fn glob_bad_pattern_is_invalid_argument(s, f) [List] {
        expect_kind(s.glob("d/[unclosed"), ErrorKind::InvalidArgument);
        expect_kind(s.glob(""), ErrorKind::InvalidArgument);
    }

    /// A literal prefix does not match folders that only share a name prefix.
    fn glob_excludes_prefix_siblings(s, f) [List, Write] {
        aw!(put_tree(&s));
        let got = paths(&ok(aw!(globbed(&s, "d/**")), "glob"));
        assert_eq!(got, tree_under("d"));
    }

    /// Glob results are relative to the store, also in a child store.
    fn glob_results_are_store_relative(s, f) [List, Write, Read] {
        aw!(put_tree(&s));
        let child = ok(s.child("d"), "child");
        let got = ok(aw!(globbed(&child, "*.txt")), "glob");
        assert_eq!(paths(&got), ["a.txt"]);
        assert_eq!(aw!(content(&child, got[0].path.as_str())), b"aa");
    }
}
