//! Reads: streamed, whole, text, chunked, ranged; missing, folder and under-a-file errors.

use std::ops::Range;

/// `start..end` without tripping the reversed-range lint on purpose-built bad ranges.
pub(crate) fn range(start: u64, end: u64) -> Range<u64> {
    Range { start, end }
}

cases! {
    /// `read` streams the exact content from byte 0.
    fn read_stream_returns_content(s, f) [Write, Read] {
        let data = pattern(100_000, 1);
        aw!(put(&s, "d/r.bin", &data));
        let got = ok(aw!(read_all(&s, "d/r.bin")), "read");
        assert!(got == data, "streamed content differs ({} bytes vs {})", got.len(), data.len());
    }

    /// `read_bytes` returns the exact content.
    fn read_bytes_returns_content(s, f) [Write, Read] {
        aw!(put(&s, "r.txt", "hello, world"));
        let got = ok(aw!(s.read_bytes("r.txt")), "read_bytes");
        assert_eq!(&got[..], b"hello, world");
    }

    /// `read_text` decodes UTF-8 (multi-byte characters included).
    fn read_text_returns_content(s, f) [Write, Read] {
        let text = "grüße, 世界 🦀\nline two";
        aw!(put(&s, "t.txt", text));
        assert_eq!(ok(aw!(s.read_text("t.txt")), "read_text"), text);
    }

    /// `read_text` of invalid UTF-8 is `InvalidArgument`; the bytes stay readable.
    fn read_text_invalid_utf8_is_invalid_argument(s, f) [Write, Read] {
        aw!(put(&s, "bad.txt", [0x66, 0xff, 0xfe, 0x00, 0xc3]));
        expect_kind(aw!(s.read_text("bad.txt")), ErrorKind::InvalidArgument);
        assert_eq!(aw!(content(&s, "bad.txt")), [0x66, 0xff, 0xfe, 0x00, 0xc3]);
    }

    /// A missing file is `NotFound` naming the store-relative path, from every read method,
    /// before any stream is handed out.
    fn read_missing_is_not_found(s, f) [Read] {
        for p in ["missing.txt", "no/such/dir/file.txt"] {
            expect_kind_at(aw!(s.read(p)), ErrorKind::NotFound, p);
            expect_kind_at(aw!(s.read_bytes(p)), ErrorKind::NotFound, p);
            expect_kind_at(aw!(s.read_text(p)), ErrorKind::NotFound, p);
        }
    }

    /// Reading a folder is `InvalidPath`, from every read method.
    fn read_folder_is_invalid_path(s, f) [Write, Read] {
        aw!(put(&s, "d/e/x.txt", "x"));
        for p in ["d", "d/e"] {
            expect_kind(aw!(s.read(p)), ErrorKind::InvalidPath);
            expect_kind(aw!(s.read_bytes(p)), ErrorKind::InvalidPath);
            expect_kind(aw!(s.read_text(p)), ErrorKind::InvalidPath);
            expect_kind(aw!(s.read_range(p, 0..1)), ErrorKind::InvalidPath);
        }
    }

    /// Reading through a file ancestor is `NotFound`.
    fn read_under_file_is_not_found(s, f) [Write, Read] {
        aw!(put(&s, "a.txt", "x"));
        for p in ["a.txt/b", "a.txt/b/c.txt"] {
            expect_kind(aw!(s.read(p)), ErrorKind::NotFound);
            expect_kind(aw!(s.read_bytes(p)), ErrorKind::NotFound);
        }
    }

    /// Reads with a small buffer return at most that many bytes each and end cleanly.
    fn read_in_small_chunks(s, f) [Write, Read] {
        let data = pattern(10_007, 2);
        aw!(put(&s, "c.bin", &data));
        let got = ok(aw!(read_in_chunks(&s, "c.bin", 7)), "chunked read");
        assert!(got.largest <= 7, "a read returned {} bytes into a 7-byte buffer", got.largest);
        assert!(got.data == data, "chunked content differs");
        assert!(got.ends_cleanly, "reads after the end must keep returning 0");
    }

    /// An empty file reads as empty through every method.
    fn read_empty_file(s, f) [Write, Read] {
        aw!(put(&s, "empty", ""));
        assert!(ok(aw!(read_all(&s, "empty")), "read").is_empty());
        assert!(ok(aw!(s.read_bytes("empty")), "read_bytes").is_empty());
        assert_eq!(ok(aw!(s.read_text("empty")), "read_text"), "");
        assert!(ok(aw!(read_range_all(&s, "empty", 0..10)), "read_range").is_empty());
    }

    /// A stream dropped half-way leaks nothing: the file reads again in full afterwards.
    fn read_dropped_midway_is_harmless(s, f) [Write, Read] {
        let data = pattern(3 << 20, 3);
        aw!(put(&s, "big.bin", &data));
        for _ in 0..3 {
            let head = ok(aw!(read_prefix_then_drop(&s, "big.bin", 10)), "partial read");
            assert_eq!(head, &data[..10]);
        }
        assert!(aw!(content(&s, "big.bin")) == data, "content after dropped streams");
    }

    /// Two streams on one file can be open at once and are independent.
    fn read_two_streams_at_once(s, f) [Write, Read] {
        let data = pattern(300_000, 4);
        aw!(put(&s, "two.bin", &data));
        let (a, b) = ok(aw!(read_twice_at_once(&s, "two.bin")), "two reads");
        assert!(a == data && b == data, "concurrent streams returned different content");
    }

    /// `read_range` returns exactly the bytes of a range inside the file.
    fn read_range_middle(s, f) [Write, Read] {
        let data = pattern(1000, 5);
        aw!(put(&s, "r.bin", &data));
        assert_eq!(ok(aw!(read_range_all(&s, "r.bin", 10..20)), "read_range"), &data[10..20]);
        assert_eq!(ok(aw!(read_range_all(&s, "r.bin", 0..1)), "read_range"), &data[..1]);
        assert_eq!(ok(aw!(read_range_all(&s, "r.bin", 999..1000)), "read_range"), &data[999..]);
    }

    /// `read_range(0..len)` is the whole file.
    fn read_range_whole_file(s, f) [Write, Read] {
        let data = pattern(4096, 6);
        aw!(put(&s, "w.bin", &data));
        assert!(ok(aw!(read_range_all(&s, "w.bin", 0..4096)), "read_range") == data);
    }

    /// A range running past the end is clamped to the end of the file.
    fn read_range_past_end_is_clamped(s, f) [Write, Read] {
        let data = pattern(100, 7);
        aw!(put(&s, "p.bin", &data));
        assert_eq!(ok(aw!(read_range_all(&s, "p.bin", 90..200)), "read_range"), &data[90..]);
        assert_eq!(ok(aw!(read_range_all(&s, "p.bin", 0..u64::MAX)), "read_range"), data);
    }

    /// A range starting at or after the end is empty (clamped), not an error.
    fn read_range_beyond_end_is_empty(s, f) [Write, Read] {
        aw!(put(&s, "p.bin", pattern(100, 8)));
        assert!(ok(aw!(read_range_all(&s, "p.bin", 100..150)), "read_range").is_empty());
        assert!(ok(aw!(read_range_all(&s, "p.bin", 500..600)), "read_range").is_empty());
    }

    /// An empty range (`5..5`) reads nothing.
    fn read_range_empty_range(s, f) [Write, Read] {
        aw!(put(&s, "p.bin", pattern(100, 9)));
        assert!(ok(aw!(read_range_all(&s, "p.bin", 5..5)), "read_range").is_empty());
        assert!(ok(aw!(read_range_all(&s, "p.bin", 0..0)), "read_range").is_empty());
    }

    /// A range whose start is after its end is `InvalidArgument`.
    fn read_range_reversed_is_invalid_argument(s, f) [Write, Read] {
        aw!(put(&s, "p.bin", pattern(100, 10)));
        expect_kind(aw!(s.read_range("p.bin", range(20, 10))), ErrorKind::InvalidArgument);
    }

    /// `read_range` of a missing file is `NotFound` naming it.
    fn read_range_missing_is_not_found(s, f) [Read] {
        expect_kind_at(aw!(s.read_range("nope.bin", 0..10)), ErrorKind::NotFound, "nope.bin");
    }

    /// A range deep inside a multi-MiB file is exact (skips past internal chunk boundaries).
    fn read_range_far_offset(s, f) [Write, Read] {
        let data = pattern(3 << 20, 11);
        aw!(put(&s, "far.bin", &data));
        let start = (2 << 20) + 12_345;
        let got = ok(aw!(read_range_all(&s, "far.bin", start as u64..(start + 70_000) as u64)), "read_range");
        assert!(got == data[start..start + 70_000], "bytes at a far offset differ");
    }
}
