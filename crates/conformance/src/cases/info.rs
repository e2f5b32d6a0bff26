//! `get_file_info`, `get_folder_info` and `head`.

use std::time::{Duration, SystemTime};

/// Clocks of the test machine and of an emulator on loopback agree to within this.
pub(crate) const CLOCK_SLACK: Duration = Duration::from_secs(120);

/// True when `t` lies within [`CLOCK_SLACK`] of `[before, after]`.
pub(crate) fn around(t: SystemTime, before: SystemTime, after: SystemTime) -> bool {
    t + CLOCK_SLACK >= before && t <= after + CLOCK_SLACK
}

cases! {
    /// A file's info has its store-relative path, name and size.
    fn file_info_path_name_size(s, f) [Write, Metadata] {
        aw!(put(&s, "d/info.txt", "12345"));
        let info = ok(aw!(s.get_file_info("d/info.txt")), "get_file_info");
        assert_eq!(info.path.as_str(), "d/info.txt");
        assert_eq!(info.name, "info.txt");
        assert_eq!(info.size, 5);
    }

    /// A file's modification time is the time of the write.
    fn file_info_modified_is_recent(s, f) [Write, Metadata] {
        let before = SystemTime::now();
        aw!(put(&s, "t.txt", "x"));
        let after = SystemTime::now();
        let info = ok(aw!(s.get_file_info("t.txt")), "get_file_info");
        let t = info.modified.expect("a written file reports its modification time");
        assert!(around(t, before, after), "modified {t:?} is not near {before:?}..{after:?}");
    }

    /// An empty file has size 0.
    fn file_info_empty_file(s, f) [Write, Metadata] {
        aw!(put(&s, "empty", ""));
        assert_eq!(ok(aw!(s.get_file_info("empty")), "get_file_info").size, 0);
    }

    /// `get_file_info` of a missing file is `NotFound` naming it.
    fn file_info_missing_is_not_found(s, f) [Metadata] {
        expect_kind_at(aw!(s.get_file_info("nope.txt")), ErrorKind::NotFound, "nope.txt");
    }

    /// `get_file_info` of a folder is `InvalidPath`.
    fn file_info_folder_is_invalid_path(s, f) [Write, Metadata] {
        aw!(put(&s, "d/x.txt", "x"));
        expect_kind(aw!(s.get_file_info("d")), ErrorKind::InvalidPath);
    }

    /// `get_file_info` below a file is `NotFound`.
    fn file_info_under_file_is_not_found(s, f) [Write, Metadata] {
        aw!(put(&s, "a.txt", "x"));
        expect_kind(aw!(s.get_file_info("a.txt/b")), ErrorKind::NotFound);
    }

    /// A folder's info counts every file in its subtree and sums their sizes.
    fn folder_info_counts_subtree(s, f) [Write, Metadata] {
        aw!(put_tree(&s));
        let info = ok(aw!(s.get_folder_info("d")), "get_folder_info");
        let under: Vec<&(&str, &str)> = TREE.iter().filter(|(p, _)| p.starts_with("d/")).collect();
        assert_eq!(info.path.as_str(), "d");
        assert_eq!(info.file_count, under.len() as u64);
        assert_eq!(info.total_size, under.iter().map(|(_, c)| c.len() as u64).sum::<u64>());
        let nested = ok(aw!(s.get_folder_info("d/e/f")), "get_folder_info");
        assert_eq!((nested.file_count, nested.total_size), (2, 11));
    }

    /// A folder's time is the newest of its files' times.
    fn folder_info_modified_is_newest(s, f) [Write, Metadata] {
        aw!(put_tree(&s));
        let info = ok(aw!(s.get_folder_info("d")), "get_folder_info");
        let mut newest = None;
        for p in tree_under("d") {
            let t = ok(aw!(s.get_file_info(&p)), "get_file_info").modified;
            let t = t.unwrap_or_else(|| panic!("{p} reports no modification time"));
            newest = Some(newest.map_or(t, |n: SystemTime| n.max(t)));
        }
        assert_eq!(info.modified, newest);
    }

    /// A folder's info excludes folders that only share a name prefix.
    fn folder_info_excludes_prefix_siblings(s, f) [Write, Metadata] {
        aw!(put(&s, "d/x.txt", "12"));
        aw!(put(&s, "d2/y.txt", "1234"));
        aw!(put(&s, "d.txt", "123456"));
        let info = ok(aw!(s.get_folder_info("d")), "get_folder_info");
        assert_eq!((info.file_count, info.total_size), (1, 2));
    }

    /// `get_folder_info` of a file is `InvalidPath`.
    fn folder_info_file_is_invalid_path(s, f) [Write, Metadata] {
        aw!(put(&s, "f.txt", "x"));
        expect_kind(aw!(s.get_folder_info("f.txt")), ErrorKind::InvalidPath);
    }

    /// `get_folder_info` of a missing folder is `NotFound` naming it.
    fn folder_info_missing_is_not_found(s, f) [Metadata] {
        expect_kind_at(aw!(s.get_folder_info("nope")), ErrorKind::NotFound, "nope");
    }

    /// `head` is built from the file info (`source = Head`) and agrees with it.
    fn head_matches_file_info(s, f) [Write, Metadata] {
        aw!(put(&s, "h.txt", "head"));
        let info = ok(aw!(s.get_file_info("h.txt")), "get_file_info");
        let head = ok(aw!(s.head("h.txt")), "head");
        assert_eq!(head.source, WriteResultSource::Head);
        assert_eq!(head.path, info.path);
        assert_eq!(head.size, info.size);
        assert_eq!(head.etag, info.etag);
        assert!(info.modified.is_some(), "a written file reports its modification time");
        assert_eq!(head.last_modified, info.modified);
        assert_eq!(head.version_id, info.version_id);
        assert_eq!(head.metadata, info.metadata);
    }

    /// `head` of a missing file is `NotFound`; of a folder, `InvalidPath`.
    fn head_missing_or_folder(s, f) [Write, Metadata] {
        aw!(put(&s, "d/x.txt", "x"));
        expect_kind_at(aw!(s.head("nope.txt")), ErrorKind::NotFound, "nope.txt");
        expect_kind(aw!(s.head("d")), ErrorKind::InvalidPath);
    }
}
