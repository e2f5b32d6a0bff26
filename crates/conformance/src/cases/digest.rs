//! Service checksums: `WriteOptions::checksum` and `WriteResult.digest`.
//!
//! A backend that declares `digest_crc32c`, `digest_sha256`, `digest_md5` or
//! `digest_crc64nvme` returns that checksum of what it stored when a write asks for it, and
//! `get_file_info` reports it later; the cases compare it with a digest computed here over
//! the same bytes. A backend without the capability refuses the option.

cases! {
    helpers {
        /// Small, streamed and (where declared) atomic writes asking for `alg`: each digest
        /// names the algorithm and equals the local digest of the content.
        fn digest_matches(s: &S, alg: ChecksumAlgorithm) {
            let small = pattern(1000, 3);
            let chunks = vec![pattern(100, 4), pattern(7, 5), pattern(3000, 6)];
            let joined: Vec<u8> = chunks.concat();
            let with = || opts().checksum(alg);
            let cases = [
                ("small.bin", ok(aw!(s.write_with("small.bin", small.clone(), with())), "write"), small.clone()),
                ("empty.bin", ok(aw!(s.write_with("empty.bin", Vec::<u8>::new(), with())), "empty write"), Vec::new()),
                ("streamed.bin", ok(aw!(s.write_with("streamed.bin", streamed(chunks.clone()), with())), "streamed write"), joined),
            ];
            for (p, result, data) in cases {
                let digest = result.digest.unwrap_or_else(|| panic!("{p}: no {alg} digest although the backend declares {}", alg.capability()));
                assert_eq!(digest.algorithm, alg.as_str(), "{p}: algorithm");
                assert_eq!(digest.value, local_digest(alg, &data), "{p}: {alg} differs from the local one");
            }
            if s.supports(Capability::AtomicWrite) {
                let result = ok(aw!(s.write_atomic_with("atomic.bin", small.clone(), with().overwrite(true))), "write_atomic");
                let digest = result.digest.expect("write_atomic returned no digest");
                assert_eq!(digest.value, local_digest(alg, &small), "write_atomic: {alg}");
            }
        }

        /// `get_file_info` reports the checksum a write asked for (the content's, or the
        /// same composite one), and a copy's describes the same bytes (where the backend
        /// has `metadata`).
        fn digest_reported_by_file_info(s: &S, alg: ChecksumAlgorithm) {
            if !s.supports(Capability::Metadata) {
                return;
            }
            let p = format!("info/{alg}.bin");
            let data = pattern(5000, 9);
            let written = ok(aw!(s.write_with(&p, data.clone(), opts().checksum(alg))), "write");
            let want = written.digest.unwrap_or_else(|| panic!("{p}: no {alg} digest"));
            let info = ok(aw!(s.get_file_info(&p)), "get_file_info");
            assert_eq!(info.digest.as_ref(), Some(&want), "{p}: get_file_info must report the {alg} digest");
            assert_eq!(want.value, local_digest(alg, &data), "{p}: {alg}");
            if s.supports(Capability::Copy) {
                let copy = format!("info/copy-{alg}.bin");
                ok(aw!(s.copy_file(&p, &copy)), "copy");
                let info = ok(aw!(s.get_file_info(&copy)), "get_file_info of the copy");
                if let Some(d) = info.digest.filter(|d| d.algorithm == alg.as_str()) {
                    assert_eq!(d, want, "{copy}: a copy's {alg} digest describes the same bytes");
                }
            }
        }

        /// A multi-part-sized write asking for `alg`: the digest is either the content's
        /// or, on services that combine part checksums, a composite one (`-N`, N ≥ 2).
        fn digest_of_big_write(s: &S, alg: ChecksumAlgorithm) {
            let len = 12 << 20;
            let result = ok(aw!(s.write_with("big/digest.bin", big_stream(len, 8), opts().checksum(alg).overwrite(true))), "12 MiB write");
            let digest = result.digest.unwrap_or_else(|| panic!("no {alg} digest for a 12 MiB write"));
            assert_eq!(digest.algorithm, alg.as_str());
            if digest.is_composite() {
                let parts = digest.value.rsplit_once('-').and_then(|(_, n)| n.parse::<usize>().ok());
                assert!(parts.is_some_and(|n| n >= 2), "composite digest {} should name ≥ 2 parts", digest.value);
            } else {
                assert_eq!(digest.value, local_digest(alg, &pattern(len, 8)), "12 MiB: {alg}");
            }
        }
    }

    // Each declared algorithm is one case (skipped, not passed empty, where it is not
    // declared): the digest of small, streamed and atomic writes, the one `get_file_info`
    // reports, and (with `big_writes`) a multi-part-sized write's.

    /// `digest_crc32c`: the returned CRC-32C equals the content's.
    fn digest_crc32c_matches_content(s, f) [Write, DigestCrc32c] {
        aw!(digest_matches(&s, ChecksumAlgorithm::Crc32c));
        aw!(digest_reported_by_file_info(&s, ChecksumAlgorithm::Crc32c));
        if f.big_writes {
            aw!(digest_of_big_write(&s, ChecksumAlgorithm::Crc32c));
        }
    }

    /// `digest_sha256`: the returned SHA-256 equals the content's.
    fn digest_sha256_matches_content(s, f) [Write, DigestSha256] {
        aw!(digest_matches(&s, ChecksumAlgorithm::Sha256));
        aw!(digest_reported_by_file_info(&s, ChecksumAlgorithm::Sha256));
        if f.big_writes {
            aw!(digest_of_big_write(&s, ChecksumAlgorithm::Sha256));
        }
    }

    /// `digest_md5`: the returned MD5 equals the content's.
    fn digest_md5_matches_content(s, f) [Write, DigestMd5] {
        aw!(digest_matches(&s, ChecksumAlgorithm::Md5));
        aw!(digest_reported_by_file_info(&s, ChecksumAlgorithm::Md5));
        if f.big_writes {
            aw!(digest_of_big_write(&s, ChecksumAlgorithm::Md5));
        }
    }

    /// `digest_crc64nvme`: the returned CRC-64/NVME equals the content's (checked against
    /// a plain bitwise CRC-64/NVME computed here).
    fn digest_crc64nvme_matches_content(s, f) [Write, DigestCrc64Nvme] {
        aw!(digest_matches(&s, ChecksumAlgorithm::Crc64Nvme));
        aw!(digest_reported_by_file_info(&s, ChecksumAlgorithm::Crc64Nvme));
        if f.big_writes {
            aw!(digest_of_big_write(&s, ChecksumAlgorithm::Crc64Nvme));
        }
    }

    /// A checksum the backend does not declare is `CapabilityNotSupported`, before any I/O.
    fn digest_without_capability_is_unsupported(s, f) [Write] {
        for alg in ChecksumAlgorithm::ALL.iter().copied().filter(|a| !s.supports(a.capability())) {
            expect_unsupported(aw!(s.write_with("d.txt", "x", opts().checksum(alg))), alg.capability());
            assert!(!ok(aw!(s.exists("d.txt")), "exists"), "a refused {alg} write created the file");
        }
    }

    /// Without a checksum option, no declared-digest backend is asked for one; whatever
    /// digest a write returns still describes the content.
    fn digest_unrequested_is_consistent(s, f) [Write] {
        let result = ok(aw!(s.write_with("u.txt", "unasked", opts())), "write");
        if let Some(d) = result.digest
            && let Ok(alg) = d.algorithm.parse::<ChecksumAlgorithm>()
            && !d.is_composite()
        {
            assert_eq!(d.value, local_digest(alg, b"unasked"), "unrequested {alg} digest");
        }
    }
}
