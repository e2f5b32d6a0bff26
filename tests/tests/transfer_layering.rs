//! Issue 13: the transfer crate works through the public store API only. With every
//! feature and its dev-dependencies it depends on no backend crate and no SDK, and its
//! blocking half alone compiles no async runtime.

use std::process::Command;

fn tree(args: &[&str]) -> String {
    tree_of("remote-store-transfer", args)
}

fn tree_of(package: &str, args: &[&str]) -> String {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let out = Command::new(cargo)
        .args(["tree", "-p", package, "--prefix", "none", "--offline"])
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("cargo tree runs");
    assert!(
        out.status.success(),
        "cargo tree failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let tree = String::from_utf8(out.stdout).unwrap();
    assert!(
        tree.contains(package),
        "unexpected cargo tree output: {tree}"
    );
    tree
}

fn names(tree: &str) -> impl Iterator<Item = &str> {
    tree.lines().filter_map(|l| l.split_whitespace().next())
}

#[test]
fn transfer_depends_on_no_backend() {
    let tree = tree(&["--all-features"]);
    let forbidden: Vec<&str> = names(&tree)
        .filter(|name| {
            [
                "remote-store-memory",
                "remote-store-local",
                "remote-store-s3",
                "remote-store-azure",
                "remote-store-sftp",
                "remote-store-layers",
                "aws-",
                "azure_",
                "russh",
                "hyper",
                "reqwest",
            ]
            .iter()
            .any(|c| name.starts_with(c))
        })
        .collect();
    assert!(
        forbidden.is_empty(),
        "remote-store-transfer depends on {forbidden:?}"
    );
}

/// The blocking half alone, and the sync-only facade with `transfer`, compile no async
/// runtime (issue 9's promise extends to the transfer crate).
#[test]
fn transfer_sync_half_has_no_async_crates() {
    let cases = [
        ("remote-store-transfer", "sync"),
        ("remote-store", "sync,memory,local,transfer"),
    ];
    for (package, features) in cases {
        let tree = tree_of(
            package,
            &[
                "-e",
                "normal",
                "--no-default-features",
                "--features",
                features,
            ],
        );
        let async_crates: Vec<&str> = names(&tree)
            .filter(|name| {
                [
                    "tokio",
                    "mio",
                    "futures",
                    "async-trait",
                    "remote-store-async",
                ]
                .iter()
                .any(|c| name == c || name.strip_prefix(c).is_some_and(|r| r.starts_with('-')))
            })
            .collect();
        assert!(
            async_crates.is_empty(),
            "{package} with --features {features} depends on {async_crates:?}"
        );
    }
}
