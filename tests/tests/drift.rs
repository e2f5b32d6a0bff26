//! Drift test: `Store` and `AsyncStore`, and `Backend` and `AsyncBackend`, must offer the
//! same operations with the same parameters and options, apart from an explicit allow-list.
//!
//! The check reads the four source files and compares every `pub fn` of the stores and every
//! `fn` of the traits: name, parameter names and parameter types, after mapping each
//! half's stream and content types onto one vocabulary.

use std::collections::BTreeMap;

const STORE: &str = include_str!("../../crates/store-sync/src/store.rs");
const ASYNC_STORE: &str = include_str!("../../crates/store-async/src/store.rs");
const BACKEND: &str = include_str!("../../crates/store-sync/src/backend.rs");
const ASYNC_BACKEND: &str = include_str!("../../crates/store-async/src/backend.rs");

/// Operations only one half has, with the reason.
const STORE_ONLY_SYNC: &[&str] = &["read_seekable"]; // Read + Seek has no async twin
const STORE_ONLY_ASYNC: &[&str] = &["from_blocking"]; // wraps a sync backend in SyncBackendAdapter
const BACKEND_ONLY_SYNC: &[&str] = &["read_seekable"];
const BACKEND_ONLY_ASYNC: &[&str] = &[];

/// Each half's names for the same concept.
const SAME: &[(&str, &str)] = &[
    ("AsyncContent", "Content"),
    ("AsyncBackend", "Backend"),
    ("AsyncStore", "Store"),
    ("ByteStream", "Reader"),
    ("FileStream", "FileIter"),
    ("FolderStream", "FolderIter"),
    ("EntryStream", "EntryIter"),
];

/// `name -> normalised signature` for the functions in `src` whose line starts with `prefix`.
fn signatures(src: &str, public_only: bool) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    let mut rest = src;
    while let Some(at) = rest.find("fn ") {
        let before = &rest[..at];
        let line_start = before.rfind('\n').map_or(0, |i| i + 1);
        let head = before[line_start..].trim();
        rest = &rest[at + 3..];
        let is_decl = head.is_empty() || head.ends_with("pub") || head.ends_with("async");
        let is_pub = head.starts_with("pub");
        if !is_decl || (public_only && !is_pub) || head.starts_with("//") {
            continue;
        }
        let name: String = rest
            .chars()
            .take_while(|c| c.is_alphanumeric() || *c == '_')
            .collect();
        let Some(open) = rest.find('(') else { break };
        let mut depth = 0;
        let mut end = open;
        for (i, c) in rest[open..].char_indices() {
            match c {
                '(' | '<' => depth += 1,
                ')' | '>' if !rest[open..][..i].ends_with('-') => {
                    depth -= 1;
                    if depth == 0 {
                        end = open + i;
                        break;
                    }
                }
                _ => {}
            }
        }
        let mut params: String = rest[open + 1..end]
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ");
        for (a, s) in SAME {
            params = params.replace(a, s);
        }
        let params = params
            .replace("'a", "")
            .replace("<>", "")
            .replace(", )", ")");
        let params = params.trim_end_matches(',').trim().to_owned();
        out.insert(name, params);
    }
    out
}

fn compare(
    what: &str,
    sync: BTreeMap<String, String>,
    asynk: BTreeMap<String, String>,
    only_sync: &[&str],
    only_async: &[&str],
) {
    let mut problems = Vec::new();
    for (name, params) in &sync {
        match asynk.get(name) {
            Some(other) if other != params => {
                problems.push(format!("{name}: sync ({params}) vs async ({other})"))
            }
            None if !only_sync.contains(&name.as_str()) => {
                problems.push(format!("{name}: only in the sync {what}"))
            }
            _ => {}
        }
    }
    for name in asynk.keys() {
        if !sync.contains_key(name) && !only_async.contains(&name.as_str()) {
            problems.push(format!("{name}: only in the async {what}"));
        }
    }
    for name in only_sync {
        assert!(
            sync.contains_key(*name),
            "allow-listed {name} is gone from the sync {what}"
        );
    }
    assert!(
        problems.is_empty(),
        "{what} halves drifted:\n{}",
        problems.join("\n")
    );
    assert!(
        sync.len() >= 20,
        "found only {} functions in the {what}: parser broke?",
        sync.len()
    );
}

#[test]
fn stores_offer_the_same_operations() {
    compare(
        "store",
        signatures(STORE, true),
        signatures(ASYNC_STORE, true),
        STORE_ONLY_SYNC,
        STORE_ONLY_ASYNC,
    );
}

#[test]
fn backend_traits_offer_the_same_operations() {
    compare(
        "backend trait",
        signatures(BACKEND, false),
        signatures(ASYNC_BACKEND, false),
        BACKEND_ONLY_SYNC,
        BACKEND_ONLY_ASYNC,
    );
}

#[test]
fn the_parser_sees_a_difference() {
    let a = signatures("pub fn x(&self, p: &str) {}\npub fn y(&self) {}", true);
    let b = signatures("pub async fn x(&self, p: &str, extra: bool) {}", true);
    let r = std::panic::catch_unwind(|| compare("probe", a, b, &[], &[]));
    assert!(
        r.is_err(),
        "a missing method and a changed parameter list must fail"
    );
}
