//! User metadata and write results.

use std::time::SystemTime;

use super::info::around;

cases! {
    /// A write echoes the metadata it was given, exactly.
    fn metadata_echoed_by_write(s, f) [Write, UserMetadata] {
        let m = meta(&[("owner", "ana"), ("Stage", "Raw Data"), ("n", "1")]);
        let result = ok(aw!(s.write_with("m.txt", "x", opts().metadata(m.clone()))), "write");
        assert_eq!(result.metadata, Some(m));
    }

    /// An atomic write echoes the metadata it was given, exactly.
    fn metadata_echoed_by_atomic_write(s, f) [AtomicWrite, UserMetadata] {
        let m = meta(&[("owner", "ana")]);
        let result = ok(aw!(s.write_atomic_with("m.txt", "x", opts().metadata(m.clone()))), "write_atomic");
        assert_eq!(result.metadata, Some(m));
    }

    /// Metadata round-trips through `get_file_info` (streamed writes too).
    fn metadata_round_trips_file_info(s, f) [Write, Metadata, UserMetadata] {
        let m = meta(&[("owner", "ana"), ("stage", "raw")]);
        ok(aw!(s.write_with("a.txt", "x", opts().metadata(m.clone()))), "write");
        ok(aw!(s.write_with("b.txt", streamed(vec![pattern(100, 1)]), opts().metadata(m.clone()))), "streamed write");
        for p in ["a.txt", "b.txt"] {
            let info = ok(aw!(s.get_file_info(p)), "get_file_info");
            assert_eq!(info.metadata.as_ref(), Some(&m), "metadata of {p}");
        }
    }

    /// Overwriting replaces the metadata with the new write's (or none).
    fn metadata_replaced_by_overwrite(s, f) [Write, Metadata, UserMetadata] {
        ok(aw!(s.write_with("a.txt", "1", opts().metadata(meta(&[("v", "1"), ("old", "x")])))), "write");
        ok(aw!(s.write_with("a.txt", "2", overwrite().metadata(meta(&[("v", "2")])))), "overwrite");
        let info = ok(aw!(s.get_file_info("a.txt")), "get_file_info");
        assert_eq!(info.metadata, Some(meta(&[("v", "2")])));
        ok(aw!(s.write_with("a.txt", "3", overwrite())), "overwrite without metadata");
        let info = ok(aw!(s.get_file_info("a.txt")), "get_file_info");
        assert_eq!(info.metadata, None);
    }

    /// Without metadata, the result and the info say `None`.
    fn metadata_absent_is_none(s, f) [Write, Metadata] {
        let result = ok(aw!(s.write_with("a.txt", "x", opts())), "write");
        assert_eq!(result.metadata, None);
        assert_eq!(ok(aw!(s.get_file_info("a.txt")), "get_file_info").metadata, None);
    }

    /// An empty metadata map means none: accepted without `user_metadata`, echoed as `None`.
    fn metadata_empty_map_is_none(s, f) [Write] {
        let result = ok(aw!(s.write_with("a.txt", "x", opts().metadata(Metadata::new()))), "write");
        assert_eq!(result.metadata, None);
        if s.supports(Capability::Metadata) {
            assert_eq!(ok(aw!(s.get_file_info("a.txt")), "get_file_info").metadata, None);
        }
    }

    /// Malformed metadata is `InvalidArgument` naming the key, and nothing is written.
    fn metadata_invalid_is_invalid_argument(s, f) [Write] {
        let long = "v".repeat(2100);
        let bad: [(&str, &str); 5] = [("_private", "x"), ("bad key", "x"), ("clé", "x"), ("k", "a\nb"), ("big", &long)];
        for (k, v) in bad {
            let e = expect_kind(aw!(s.write_with("m.txt", "x", opts().metadata(meta(&[(k, v)])))), ErrorKind::InvalidArgument);
            assert!(e.to_string().contains(k), "the error must name key {k:?}: {e}");
        }
        let e = expect_kind(aw!(s.write_with("m.txt", "x", opts().metadata(meta(&[("", "x")])))), ErrorKind::InvalidArgument);
        assert!(!e.to_string().is_empty());
        if s.supports(Capability::AtomicWrite) {
            expect_kind(aw!(s.write_atomic_with("m.txt", "x", opts().metadata(meta(&[("_k", "x")])))), ErrorKind::InvalidArgument);
        }
        assert!(!ok(aw!(s.exists("m.txt")), "exists"), "a refused write created the file");
    }

    /// Metadata on a backend without `user_metadata` is `CapabilityNotSupported`.
    fn metadata_without_capability_is_unsupported(s, f) [Write] without [UserMetadata] {
        expect_unsupported(aw!(s.write_with("m.txt", "x", opts().metadata(meta(&[("k", "v")])))), Capability::UserMetadata);
        assert!(!ok(aw!(s.exists("m.txt")), "exists"), "a refused write created the file");
    }

    /// The result's source is `Native` exactly when the backend declares `write_result_native`.
    fn write_result_source_matches_capability(s, f) [Write] {
        let native = s.supports(Capability::WriteResultNative);
        let want = if native { WriteResultSource::Native } else { WriteResultSource::Basic };
        let plain = ok(aw!(s.write_with("a.txt", "x", opts())), "write");
        assert_eq!(plain.source, want);
        let streamed = ok(aw!(s.write_with("b.txt", streamed(vec![pattern(10, 1)]), opts())), "streamed write");
        assert_eq!(streamed.source, want);
        if !native {
            assert_eq!((plain.etag, plain.last_modified, plain.version_id), (None, None, None), "a Basic result has only path and size");
        }
    }

    /// A native result carries the service's fields, and they equal `get_file_info`'s.
    fn write_result_native_matches_info(s, f) [Write, Metadata, WriteResultNative] {
        let before = SystemTime::now();
        let result = ok(aw!(s.write_with("n.txt", "native", opts())), "write");
        let after = SystemTime::now();
        assert!(result.etag.is_some() || result.last_modified.is_some(), "a Native result without etag or time");
        let info = ok(aw!(s.get_file_info("n.txt")), "get_file_info");
        if result.etag.is_some() {
            assert_eq!(result.etag, info.etag, "etag differs from get_file_info's");
        }
        if let Some(t) = result.last_modified {
            assert_eq!(Some(t), info.modified, "last_modified differs from get_file_info's");
            assert!(around(t, before, after), "last_modified {t:?} is not near the write");
        }
    }

    /// Whatever a write result populates agrees with a later `get_file_info`.
    fn write_result_agrees_with_info(s, f) [Write, Metadata] {
        for (p, result) in [
            ("a.txt", aw!(s.write_with("a.txt", "1234", opts()))),
            ("b.txt", aw!(s.write_with("b.txt", streamed(vec![pattern(70_000, 2)]), opts()))),
        ] {
            let result = ok(result, "write");
            let info = ok(aw!(s.get_file_info(p)), "get_file_info");
            assert_eq!(result.path, info.path);
            assert_eq!(result.size, info.size);
            if result.etag.is_some() {
                assert_eq!(result.etag, info.etag, "etag of {p}");
            }
            if let Some(t) = result.last_modified {
                assert_eq!(Some(t), info.modified, "time of {p}");
            }
            if result.metadata.is_some() {
                assert_eq!(result.metadata, info.metadata, "metadata of {p}");
            }
        }
    }

    /// An overwrite's result agrees with the new file, not the old one.
    fn write_result_of_overwrite_agrees_with_info(s, f) [Write, Metadata] {
        aw!(put(&s, "a.txt", "old content"));
        let result = ok(aw!(s.write_with("a.txt", "new", overwrite())), "overwrite");
        let info = ok(aw!(s.get_file_info("a.txt")), "get_file_info");
        assert_eq!((result.size, info.size), (3, 3));
        if result.etag.is_some() {
            assert_eq!(result.etag, info.etag);
        }
    }
}
