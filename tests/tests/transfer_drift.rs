//! Issue 13: the two halves of the transfer crate are mirrored function for function —
//! `transfer::sync` and `transfer::aio` re-export the same names (as `drift.rs` checks
//! `Store` against `AsyncStore`).

use std::collections::BTreeSet;

/// The names a `pub mod <module> { pub use ...; }` block of the crate root re-exports.
fn exported(lib: &str, module: &str) -> BTreeSet<String> {
    let start = lib
        .find(&format!("pub mod {module} {{"))
        .unwrap_or_else(|| panic!("`pub mod {module}` in the transfer crate's lib.rs"));
    let body = &lib[start..];
    let end = body.find("\n}").expect("the module's closing brace");
    let body = &body[..end];
    let mut names = BTreeSet::new();
    for block in body.split("pub use ").skip(1) {
        let inner = block
            .split_once('{')
            .and_then(|(_, rest)| rest.split_once('}'))
            .map(|(inner, _)| inner)
            .expect("a braced `pub use` list");
        names.extend(
            inner
                .split(',')
                .map(str::trim)
                .filter(|n| !n.is_empty())
                .map(str::to_owned),
        );
    }
    names
}

#[test]
fn sync_and_aio_export_the_same_functions() {
    let lib = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../crates/transfer/src/lib.rs"
    ))
    .unwrap();
    let sync = exported(&lib, "sync");
    let aio = exported(&lib, "aio");
    assert!(sync.len() >= 18, "{sync:?}");
    assert_eq!(sync, aio);
}
