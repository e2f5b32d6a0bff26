//! What case bodies share: fixtures, assertions, and the core vocabulary. The I/O helpers
//! come in two twins with the same names: [`blocking`] (over `Store`) and [`nonblocking`]
//! (over `AsyncStore`).

pub(crate) mod blocking;
pub(crate) mod nonblocking;

#[allow(unused_imports)]
pub(crate) use bytes::Bytes;
#[allow(unused_imports)]
pub(crate) use remote_store_core::{
    Capability, CapabilitySet, ChecksumAlgorithm, CopyOptions, DeleteFolderOptions, DeleteOptions,
    Entry, Error, ErrorKind, FileInfo, FolderEntry, FolderInfo, ListOptions, Metadata, MoveOptions,
    Operation, RESERVED_PREFIX, ReadOptions, RemotePath, Result, WriteMode, WriteOptions,
    WriteResult, WriteResultSource,
};

/// How the writers of a race case write, and the error every loser must get.
#[derive(Debug, Clone)]
pub(crate) enum Contender {
    /// `write` with overwrite=false: losers get `AlreadyExists`.
    Create,
    /// `write_atomic` with overwrite=false: losers get `AlreadyExists`.
    AtomicCreate,
    /// `write_with(if_match(etag))`: losers get `PreconditionFailed`.
    IfMatch(String),
}

impl Contender {
    /// The options a writer passes.
    pub(crate) fn options(&self) -> WriteOptions {
        match self {
            Contender::IfMatch(etag) => WriteOptions::new().if_match(etag.clone()),
            _ => WriteOptions::new(),
        }
    }

    /// Whether the writer uses `write_atomic`.
    pub(crate) fn atomic(&self) -> bool {
        matches!(self, Contender::AtomicCreate)
    }

    /// The error kind of a writer that lost.
    pub(crate) fn loss(&self) -> ErrorKind {
        match self {
            Contender::IfMatch(_) => ErrorKind::PreconditionFailed,
            _ => ErrorKind::AlreadyExists,
        }
    }
}

/// Every spelling of the store root.
pub(crate) const ROOT_FORMS: &[&str] = &["", ".", "/", "./", "//"];

/// Every malformed path form of the contract (01-contract §1): `..` segments, NUL, other
/// ASCII control characters and C1 control characters (U+0080–U+009F).
pub(crate) const INVALID_PATHS: &[&str] = &[
    "..",
    "../x.txt",
    "a/../b.txt",
    "a/..",
    "a/b/../../../c",
    "..\\x.txt",
    "a\0b",
    "\0",
    "a\u{1}b",
    "a/\nb",
    "tab\there",
    "del\u{7f}",
    "next\u{85}line",
    "c1\u{9b}",
];

/// A small tree used by the listing, glob and info cases. `d2` shares a name prefix with
/// `d`, to catch prefix matching that forgets the separator.
pub(crate) const TREE: &[(&str, &str)] = &[
    ("top.txt", "t"),
    ("d/a.txt", "aa"),
    ("d/b.csv", "bbb"),
    ("d/e/c.txt", "cccc"),
    ("d/e/f/g.txt", "ggggg"),
    ("d/e/f/h/i.txt", "iiiiii"),
    ("d2/z.txt", "zzzzzzz"),
];

/// The paths of [`TREE`] under `folder` (recursively), sorted.
pub(crate) fn tree_under(folder: &str) -> Vec<String> {
    let mut out: Vec<String> = TREE
        .iter()
        .map(|(p, _)| *p)
        .filter(|p| folder.is_empty() || p.starts_with(&format!("{folder}/")))
        .map(str::to_owned)
        .collect();
    out.sort();
    out
}

/// Names that need escaping somewhere (URLs, shells, XML).
pub(crate) const SPECIAL_NAMES: &[&str] = &[
    "with space.txt",
    "ünïcødé-文件-🦀.txt",
    "!@#$%^&()_+-=;',.txt",
    "sp ace/ñ é/%20literal+plus.txt",
    "a..b",
    "...",
    ".hidden",
];

/// Which transfer a shared scenario exercises.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Op {
    Move,
    Copy,
}

/// Deterministic content of `len` bytes, different per `seed`.
pub(crate) fn pattern(len: usize, seed: u8) -> Vec<u8> {
    // Byte `i` is `(31 i + seed) mod 251`, so the sequence repeats every 251 bytes: one
    // period is computed and then copied, which keeps the multi-MiB payloads of the suite
    // cheap in the unoptimised builds it runs in.
    const PERIOD: usize = 251;
    let mut out: Vec<u8> = (0..len.min(PERIOD))
        .map(|i| ((i * 31 + usize::from(seed)) % PERIOD) as u8)
        .collect();
    out.reserve(len - out.len());
    while out.len() < len {
        let n = out.len().min(len - out.len());
        out.extend_from_within(..n);
    }
    out
}

/// The lower-case hex digest of `data`, computed here (the reference for service checksums).
pub(crate) fn local_digest(alg: ChecksumAlgorithm, data: &[u8]) -> String {
    use md5::Digest as _;
    let raw: Vec<u8> = match alg {
        ChecksumAlgorithm::Crc32c => crc32c::crc32c(data).to_be_bytes().to_vec(),
        ChecksumAlgorithm::Sha256 => sha2::Sha256::digest(data).to_vec(),
        ChecksumAlgorithm::Md5 => md5::Md5::digest(data).to_vec(),
        ChecksumAlgorithm::Crc64Nvme => crc64nvme(data).to_be_bytes().to_vec(),
        other => panic!("no local digest for {other}"),
    };
    remote_store_core::ContentDigest::from_bytes(alg, &raw).value
}

/// CRC-64/NVME of `data`, bit by bit (reflected polynomial `0x9a6c9329ac4bc9b5`, initial
/// value and final xor all ones): slow and plain on purpose, a reference independent of
/// the table-driven and SIMD implementations the backends use.
fn crc64nvme(data: &[u8]) -> u64 {
    const POLY: u64 = 0x9a6c_9329_ac4b_c9b5;
    let mut crc = u64::MAX;
    for &byte in data {
        crc ^= u64::from(byte);
        for _ in 0..8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ POLY
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

/// `WriteOptions::new()`.
pub(crate) fn opts() -> WriteOptions {
    WriteOptions::new()
}

/// `WriteOptions::new().overwrite(true)`.
pub(crate) fn overwrite() -> WriteOptions {
    WriteOptions::new().overwrite(true)
}

/// A metadata map from pairs.
pub(crate) fn meta(pairs: &[(&str, &str)]) -> Metadata {
    pairs.iter().copied().collect()
}

/// The sorted paths of listed files.
pub(crate) fn paths(files: &[FileInfo]) -> Vec<String> {
    let mut out: Vec<String> = files.iter().map(|f| f.path.as_str().to_owned()).collect();
    out.sort();
    out
}

/// The sorted paths of listed folders.
pub(crate) fn folder_paths(folders: &[FolderEntry]) -> Vec<String> {
    let mut out: Vec<String> = folders.iter().map(|f| f.path.as_str().to_owned()).collect();
    out.sort();
    out
}

/// Sorted `(path, is_file)` of listed entries.
pub(crate) fn entry_paths(entries: &[Entry]) -> Vec<(String, bool)> {
    let mut out: Vec<(String, bool)> = entries
        .iter()
        .map(|e| (e.path().as_str().to_owned(), e.is_file()))
        .collect();
    out.sort();
    out
}

/// Sorted owned strings.
pub(crate) fn sorted(items: &[&str]) -> Vec<String> {
    let mut out: Vec<String> = items.iter().map(|s| (*s).to_owned()).collect();
    out.sort();
    out
}

/// The error of `r`, which must be of `kind`.
#[track_caller]
pub(crate) fn expect_kind<T>(r: Result<T>, kind: ErrorKind) -> Error {
    match r {
        Ok(_) => panic!("expected {kind:?}, got Ok"),
        Err(e) if e.kind() == kind => e,
        Err(e) => panic!("expected {kind:?}, got {:?}: {e}", e.kind()),
    }
}

/// The error of `r`, which must be of `kind` and name `path`.
#[track_caller]
pub(crate) fn expect_kind_at<T>(r: Result<T>, kind: ErrorKind, path: &str) -> Error {
    let e = expect_kind(r, kind);
    assert_eq!(
        e.path(),
        Some(path),
        "the {kind:?} error must name {path:?} (store-relative): {e}"
    );
    e
}

/// Checks that `e` carries the context the store stamps (the backend `backend`, the
/// operation `op`, the store-relative `path`) and that its `Display` names the backend
/// once, in front: `s3: write "d/f.txt": already exists`.
#[track_caller]
pub(crate) fn expect_context(e: &Error, backend: &str, op: Operation, path: &str) {
    assert_eq!(
        e.backend(),
        Some(backend),
        "the error must name the backend: {e:?}"
    );
    assert_eq!(
        e.operation(),
        Some(op),
        "the error must name the operation: {e:?}"
    );
    assert_eq!(e.path(), Some(path), "the error must name the path: {e:?}");
    let shown = e.to_string();
    let head = format!("{backend}: {} \"{path}\": ", op.as_str());
    assert!(
        shown.starts_with(&head),
        "{shown:?} should start with {head:?}"
    );
    let tag = format!("{backend}: ");
    assert_eq!(
        shown.matches(&tag).count(),
        1,
        "the backend is named more than once: {shown:?}"
    );
}

/// `InvalidPath` naming exactly the caller's input.
#[track_caller]
pub(crate) fn expect_invalid_path<T>(r: Result<T>, input: &str) -> Error {
    expect_kind_at(r, ErrorKind::InvalidPath, input)
}

/// `CapabilityNotSupported` naming `cap`.
#[track_caller]
pub(crate) fn expect_unsupported<T>(r: Result<T>, cap: Capability) -> Error {
    let e = expect_kind(r, ErrorKind::CapabilityNotSupported);
    assert_eq!(e.capability(), Some(cap), "the error must name {cap}: {e}");
    e
}

/// `r` must fail because the store's container (bucket, blob container, root folder)
/// named `name` does not exist: `NotFound`, marked as such, with `name` in the message.
#[track_caller]
pub(crate) fn expect_missing_container<T>(r: Result<T>, name: &str, what: &str) {
    match r {
        Ok(_) => panic!(
            "{what} succeeded although the container {name:?} does not exist: it must fail \
             with NotFound naming the container"
        ),
        Err(e) => {
            assert_eq!(e.kind(), ErrorKind::NotFound, "{what}: {e}");
            assert!(
                e.is_container_not_found(),
                "{what}: a missing container must be marked as one (Error::container_not_found): {e:?}"
            );
            assert!(
                e.to_string().contains(name),
                "{what}: the message must name the container {name:?}: {e}"
            );
        }
    }
}

/// `r` must be an error (of any kind).
#[track_caller]
pub(crate) fn expect_err<T>(r: Result<T>) -> Error {
    match r {
        Ok(_) => panic!("expected an error, got Ok"),
        Err(e) => e,
    }
}

/// Unwraps `r`, naming `what` on failure.
#[track_caller]
pub(crate) fn ok<T>(r: Result<T>, what: &str) -> T {
    match r {
        Ok(v) => v,
        Err(e) => panic!("{what} failed: {e} ({e:?})"),
    }
}

#[cfg(test)]
mod digest_tests {
    use super::*;

    #[test]
    fn local_digests_match_known_vectors() {
        // Published check values (CRC-64/NVME: the CRC catalogue's check and the empty input).
        let vectors: [(ChecksumAlgorithm, &[u8], &str); 5] = [
            (ChecksumAlgorithm::Crc32c, b"123456789", "e3069283"),
            (
                ChecksumAlgorithm::Md5,
                b"",
                "d41d8cd98f00b204e9800998ecf8427e",
            ),
            (
                ChecksumAlgorithm::Sha256,
                b"abc",
                "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
            ),
            (
                ChecksumAlgorithm::Crc64Nvme,
                b"123456789",
                "ae8b14860a799888",
            ),
            (ChecksumAlgorithm::Crc64Nvme, b"", "0000000000000000"),
        ];
        for (alg, data, want) in vectors {
            assert_eq!(local_digest(alg, data), want, "{alg} of {data:?}");
        }
    }
}

#[cfg(test)]
mod pattern_tests {
    use super::pattern;

    #[test]
    fn pattern_is_the_formula_at_every_length() {
        for len in [0, 1, 250, 251, 252, 502, 503, 1000, 70_000] {
            for seed in [0u8, 7, 250, 255] {
                let want: Vec<u8> = (0..len)
                    .map(|i| ((i as u64 * 31 + u64::from(seed)) % 251) as u8)
                    .collect();
                assert_eq!(pattern(len, seed), want, "len {len}, seed {seed}");
            }
        }
    }
}
