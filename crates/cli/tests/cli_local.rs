//! `rstore` as a user runs it: the real binary, a config file naming local stores, temp
//! dirs. Every command, the exit code of each kind of failure, `--json` parsed back, no
//! progress on a pipe, and no secret ever printed.

mod support;

use std::io::Write;
use std::process::Stdio;

use support::{Env, Run, make_tree, read_tree};

#[test]
fn help_lists_every_command() {
    let env = Env::new("");
    let help = env.ok(&["--help"]);
    for cmd in [
        "ls",
        "stat",
        "cat",
        "put",
        "get",
        "cp",
        "mv",
        "rm",
        "du",
        "check",
        "hashsum",
        "ping",
        "sync",
        "config",
        "completions",
    ] {
        assert!(
            help.stdout
                .lines()
                .any(|l| l.trim_start().starts_with(&format!("{cmd} "))),
            "--help lists {cmd}:\n{}",
            help.stdout
        );
    }
    env.run(&["frobnicate"]).code(2);
}

#[test]
fn put_ls_stat_cat_get() {
    let env = Env::new("");
    std::fs::write(env.path("report.csv"), "region,total\neu,3\n").unwrap();
    env.ok(&["put", "report.csv", "a:docs/"]);
    assert_eq!(
        std::fs::read_to_string(env.path("a/docs/report.csv")).unwrap(),
        "region,total\neu,3\n"
    );
    // stdin to a named file
    let mut child = env
        .cmd(&["put", "-", "a:docs/notes.txt"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(b"from stdin")
        .unwrap();
    let out = child.wait_with_output().unwrap();
    Run::of(out, &["put", "-", "a:docs/notes.txt"]).code(0);

    assert_eq!(env.ok(&["ls", "a:"]).lines(), ["docs/"]);
    assert_eq!(
        env.ok(&["ls", "a:docs"]).lines(),
        ["notes.txt", "report.csv"]
    );
    assert_eq!(
        env.ok(&["ls", "-r", "a:"]).lines(),
        ["docs/notes.txt", "docs/report.csv"]
    );
    let long = env.ok(&["ls", "-l", "a:docs"]);
    assert!(
        long.lines()[1].trim_start().starts_with("18 "),
        "{}",
        long.stdout
    );

    let json = env.ok(&["ls", "--json", "a:"]).json();
    assert_eq!(json[0]["path"], "docs");
    assert_eq!(json[0]["type"], "folder");
    let json = env.ok(&["ls", "--json", "-r", "a:docs"]).json();
    assert_eq!(json[1]["path"], "report.csv");
    assert_eq!(json[1]["size"], 18);
    assert!(json[1]["modified"].as_str().unwrap().ends_with('Z'));

    let stat = env.ok(&["stat", "--json", "a:docs/report.csv"]).json();
    assert_eq!(stat["type"], "file");
    assert_eq!(stat["size"], 18);
    assert_eq!(stat["path"], "a:docs/report.csv");
    let stat = env.ok(&["stat", "--json", "a:docs"]).json();
    assert_eq!(
        (stat["type"].as_str(), stat["files"].as_u64()),
        (Some("folder"), Some(2))
    );
    assert!(
        env.ok(&["stat", "a:docs/notes.txt"])
            .stdout
            .contains("size:         10")
    );

    assert_eq!(
        env.ok(&["cat", "a:docs/notes.txt", "a:docs/report.csv"])
            .stdout,
        "from stdinregion,total\neu,3\n"
    );
    assert_eq!(env.ok(&["get", "a:docs/notes.txt"]).stdout, "from stdin");
    assert_eq!(
        env.ok(&["get", "a:docs/notes.txt", "-"]).stdout,
        "from stdin"
    );
    env.ok(&["get", "a:docs/notes.txt", "down/"]);
    assert_eq!(
        std::fs::read(env.path("down/notes.txt")).unwrap(),
        b"from stdin"
    );
    env.ok(&["get", "a:docs/notes.txt", "down/renamed.txt"]);
    assert_eq!(
        std::fs::read(env.path("down/renamed.txt")).unwrap(),
        b"from stdin"
    );
    // an existing destination is an error without --overwrite
    env.run(&["get", "a:docs/report.csv", "down/notes.txt"])
        .code(4);
    assert_eq!(
        std::fs::read(env.path("down/notes.txt")).unwrap(),
        b"from stdin"
    );
    env.ok(&["--overwrite", "get", "a:docs/report.csv", "down/notes.txt"]);
    assert_eq!(
        std::fs::read(env.path("down/notes.txt")).unwrap(),
        b"region,total\neu,3\n"
    );
    // URLs: file:// names a local path
    let url = format!("file://{}", env.path("a/docs/notes.txt").display());
    assert_eq!(env.ok(&["cat", &url]).stdout, "from stdin");
}

/// A file URL names exactly the path it spells: a `?query` or `#fragment` (which the path
/// would silently lose) and `..` or `.` segments (which URL parsing resolves, even through
/// folders that do not exist) are refused, and nothing is deleted or written.
#[test]
fn a_file_url_names_no_other_file() {
    let env = Env::new("");
    std::fs::write(env.path("a/q3"), "keep").unwrap();
    std::fs::write(env.path("a/q3#draft"), "draft").unwrap();
    std::fs::write(env.path("a/keep.txt"), "keep").unwrap();
    std::fs::write(env.path("f.txt"), "new").unwrap();
    let at = |rest: &str| format!("file://{}/{rest}", env.path("a").display());
    for url in [
        at("q3#draft"),
        at("q3?v=2"),
        at("nothing/../keep.txt"),
        at("./keep.txt"),
    ] {
        let run = env.run(&["rm", &url]);
        run.code(2);
        assert!(run.stderr.contains("URL"), "{url}: {}", run.stderr);
        let run = env.run(&["--overwrite", "put", "f.txt", &url]);
        run.code(2);
    }
    assert_eq!(std::fs::read(env.path("a/q3")).unwrap(), b"keep");
    assert_eq!(std::fs::read(env.path("a/keep.txt")).unwrap(), b"keep");
    assert_eq!(std::fs::read(env.path("a/q3#draft")).unwrap(), b"draft");
    // `%23` names the file with a `#`
    env.ok(&["rm", &at("q3%23draft")]);
    assert!(!env.path("a/q3#draft").exists());
    assert!(env.path("a/q3").exists());
}

#[test]
fn cp_tree_check_hashsum_du() {
    let env = Env::new("");
    make_tree(&env.path("src"), 40);
    let want = read_tree(&env.path("src"));
    // local -> store a -> store b -> local, byte for byte
    let copied = env.ok(&["cp", "-r", "src", "a:tree"]);
    assert!(
        copied.stderr.contains("copied 40 file(s)"),
        "{}",
        copied.stderr
    );
    env.ok(&["cp", "-r", "--transfers", "8", "a:tree", "b:tree"]);
    env.ok(&["cp", "-r", "b:tree", "back"]);
    assert_eq!(read_tree(&env.path("back")), want);
    assert_eq!(read_tree(&env.path("b/tree")), want);

    // cp of a folder needs -r; an existing tree is refused whole
    env.run(&["cp", "src", "a:other"]).code(2);
    let again = env.run(&["cp", "-r", "src", "a:tree"]);
    again.code(4);
    assert!(again.stderr.contains("already exist"), "{}", again.stderr);
    env.ok(&["--overwrite", "cp", "-r", "src", "a:tree"]);
    let json = env
        .ok(&["--json", "--overwrite", "cp", "-r", "src", "a:tree"])
        .json();
    assert_eq!(json["files"], 40);
    assert_eq!(json["failed"], 0);

    // check: identical, then one changed byte (same size) and one extra file
    env.ok(&["check", "src", "a:tree"]);
    env.ok(&["check", "--json", "src", "b:tree"]);
    let target = env.path("b/tree/d1/f5.txt");
    let mut bytes = std::fs::read(&target).unwrap();
    bytes[0] ^= 1;
    std::fs::write(&target, bytes).unwrap();
    std::fs::write(env.path("b/tree/stray.txt"), "x").unwrap();
    let check = env.run(&["check", "src", "b:tree"]);
    check.code(1);
    assert_eq!(check.lines(), ["content  d1/f5.txt", "extra    stray.txt"]);
    let check = env.run(&["check", "--json", "src", "b:tree"]);
    check.code(1);
    let report = check.json();
    assert_eq!(report["identical"], 39);
    assert_eq!(report["differences"][0]["path"], "d1/f5.txt");
    assert_eq!(report["differences"][0]["difference"], "content");
    // --size-only does not see the changed byte
    let sizes = env.run(&["check", "--size-only", "src", "b:tree"]);
    assert_eq!(sizes.lines(), ["extra    stray.txt"]);
    // a single file
    env.run(&["check", "src/d1/f5.txt", "b:tree/d1/f5.txt"])
        .code(1);
    env.ok(&["check", "src/d1/f5.txt", "a:tree/d1/f5.txt"]);

    // hashsum: the same digests on both sides, for every algorithm
    for algo in ["sha256", "crc32c", "md5"] {
        let local = env.ok(&["hashsum", "--algo", algo, "src/d1/d2/f2.bin"]);
        let remote = env.ok(&["hashsum", "--algo", algo, "a:tree/d1/d2/f2.bin"]);
        let digest = |r: &Run| r.stdout.split_whitespace().next().unwrap().to_owned();
        assert_eq!(digest(&local), digest(&remote), "{algo}");
    }
    let sums = env
        .ok(&["hashsum", "--json", "--algo", "md5", "a:tree"])
        .json();
    assert_eq!(sums.as_array().unwrap().len(), 40);
    let empty = sums
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["path"] == "a:tree/f0.txt")
        .unwrap();
    assert_eq!(
        empty["digest"], "d41d8cd98f00b204e9800998ecf8427e",
        "MD5 of nothing"
    );
    let sha = env.ok(&["hashsum", "src/f0.txt"]);
    assert!(
        sha.stdout
            .starts_with("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855  ")
    );

    // du
    let total: usize = want.values().map(Vec::len).sum();
    let du = env.ok(&["du", "--json", "a:tree", "src"]).json();
    assert_eq!(du[0]["files"], 40);
    assert_eq!(du[0]["bytes"], total as u64);
    assert_eq!(du[1]["bytes"], total as u64);
    assert!(env.ok(&["du", "a:tree"]).stdout.contains("40 files"));
}

#[test]
fn sync_dry_run_then_delete() {
    let env = Env::new("");
    make_tree(&env.path("src"), 12);
    env.ok(&["cp", "-r", "src", "a:mirror"]);
    // new, changed (other size), extra
    std::fs::write(env.path("src/new.txt"), "new").unwrap();
    std::fs::write(env.path("src/d1/f1.txt"), "shorter now").unwrap();
    std::fs::write(env.path("a/mirror/extra.txt"), "extra").unwrap();
    let before = read_tree(&env.path("a/mirror"));

    let plan = env.ok(&["sync", "--dry-run", "--delete", "src", "a:mirror"]);
    assert_eq!(
        read_tree(&env.path("a/mirror")),
        before,
        "a dry run changes nothing"
    );
    assert_eq!(
        plan.lines(),
        ["copy    new.txt", "update  d1/f1.txt", "delete  extra.txt"]
    );
    assert!(plan.stderr.contains("dry run"), "{}", plan.stderr);
    let json = env
        .ok(&["sync", "--dry-run", "--json", "src", "a:mirror"])
        .json();
    assert_eq!(json["dry_run"], true);
    assert_eq!(json["copy"][0], "new.txt");
    assert_eq!(
        json["delete"].as_array().unwrap().len(),
        0,
        "no --delete, no deletes"
    );

    let done = env.ok(&["sync", "--delete", "src", "a:mirror"]);
    assert_eq!(
        done.lines(),
        plan.lines(),
        "the sync did what the dry run planned"
    );
    assert!(
        done.stderr
            .contains("1 copied, 1 updated, 1 deleted, 11 unchanged"),
        "{}",
        done.stderr
    );
    assert_eq!(
        read_tree(&env.path("a/mirror")),
        read_tree(&env.path("src"))
    );
    env.ok(&["check", "src", "a:mirror"]);
    // nothing left to do
    let again = env
        .ok(&["sync", "--delete", "--json", "src", "a:mirror"])
        .json();
    assert_eq!(again["unchanged"], 13);
    assert_eq!(again["copy"].as_array().unwrap().len(), 0);
    assert_eq!(again["update"].as_array().unwrap().len(), 0);
    // --checksum sees a same-size change the times do not
    let target = env.path("a/mirror/d3/f3.dat");
    let mut bytes = std::fs::read(&target).unwrap();
    bytes[0] ^= 1;
    std::fs::write(&target, bytes).unwrap();
    assert_eq!(
        env.ok(&["sync", "--checksum", "--dry-run", "src", "a:mirror"])
            .lines(),
        ["update  d3/f3.dat"]
    );
    env.ok(&["sync", "--checksum", "src", "a:mirror"]);
    env.ok(&["check", "src", "a:mirror"]);
    // A copy that fails (a folder where the file goes) holds the deletes back, and the
    // summary says what was done, not what was planned.
    std::fs::write(env.path("src/x"), "x").unwrap();
    std::fs::create_dir_all(env.path("a/mirror/x")).unwrap();
    std::fs::write(env.path("a/mirror/x/inner"), "i").unwrap();
    let run = env.run(&["sync", "--delete", "src", "a:mirror"]);
    run.code(7);
    assert!(
        run.stderr
            .contains("0 copied, 0 updated, 0 deleted, 13 unchanged; 1 failed; 1 not deleted"),
        "{}",
        run.stderr
    );
    let json = env.run(&["sync", "--delete", "--json", "src", "a:mirror"]);
    json.code(7);
    let json = json.json();
    assert_eq!(
        (json["failed"].as_u64(), json["held_back"].as_u64()),
        (Some(1), Some(1))
    );
    assert_eq!(std::fs::read(env.path("a/mirror/x/inner")).unwrap(), b"i");
}

#[test]
fn mv_and_rm() {
    let env = Env::new("");
    make_tree(&env.path("a/t"), 8);
    env.ok(&["mv", "a:t/f0.txt", "a:moved.txt"]);
    assert!(env.path("a/moved.txt").exists() && !env.path("a/t/f0.txt").exists());
    // across stores: copy then delete
    env.ok(&["mv", "a:moved.txt", "b:"]);
    assert!(env.path("b/moved.txt").exists() && !env.path("a/moved.txt").exists());
    let want = read_tree(&env.path("a/t"));
    env.ok(&["mv", "-r", "a:t", "b:t"]);
    assert_eq!(read_tree(&env.path("b/t")), want);
    assert!(
        !env.path("a/t").exists(),
        "the emptied source folder is gone"
    );

    env.run(&["rm", "b:t"]).code(2);
    env.ok(&["rm", "b:t/d1/f1.txt"]);
    assert!(!env.path("b/t/d1/f1.txt").exists());
    env.run(&["rm", "b:t/d1/f1.txt"]).code(3);
    env.ok(&["rm", "--missing-ok", "b:t/d1/f1.txt", "b:nothing/here"]);
    env.ok(&["rm", "-r", "b:t/d1"]);
    assert!(!env.path("b/t/d1").exists());
    assert!(env.path("b/t/d3").exists());
    env.run(&["rm", "-r", "b:"]).code(2);
    assert!(
        env.path("b/t/d3").exists(),
        "the root of a store is never deleted"
    );
    // partial failure: one of two deletes fails
    let partial = env.run(&["rm", "b:moved.txt", "b:missing.txt"]);
    partial.code(7);
    assert!(partial.stderr.contains("missing.txt"), "{}", partial.stderr);
    assert!(!env.path("b/moved.txt").exists());
}

/// `rm -r` of a local folder given by its path deletes that folder (it is the root of the
/// store opened on it, which `rm` never deletes, so it goes as an entry of its parent); a
/// link is removed as a link, its target untouched; `.`, `..` and `/` are refused.
#[test]
fn rm_r_of_a_local_folder_path_deletes_the_folder() {
    let env = Env::new("");
    std::fs::create_dir_all(env.path("loose/sub")).unwrap();
    std::fs::write(env.path("loose/sub/f.txt"), "f").unwrap();
    std::fs::create_dir_all(env.path("kept")).unwrap();
    std::fs::write(env.path("kept/x.txt"), "x").unwrap();
    std::os::unix::fs::symlink("../kept", env.path("loose/to-kept")).unwrap();
    std::os::unix::fs::symlink("loose/sub", env.path("ln")).unwrap();

    let folder = env.run(&["rm", "loose"]);
    folder.code(2);
    assert!(folder.stderr.contains("use -r"), "{}", folder.stderr);
    for refused in [".", "loose/..", "./", "/"] {
        let run = env.run(&["rm", "-r", refused]);
        run.code(2);
        assert!(run.stderr.contains("refusing to delete"), "{}", run.stderr);
    }
    assert!(env.path("loose/sub/f.txt").exists());

    env.ok(&["rm", "-r", "ln"]);
    assert!(
        std::fs::symlink_metadata(env.path("ln")).is_err(),
        "the link goes"
    );
    assert!(env.path("loose/sub/f.txt").exists(), "its target stays");
    // Also a link that leads out of its folder, with or without -r, even with a `/`.
    std::os::unix::fs::symlink(env.path("kept"), env.path("loose/sub/out")).unwrap();
    let out_file = env.path("loose/sub/out-file");
    std::os::unix::fs::symlink(env.path("kept/x.txt"), &out_file).unwrap();
    env.ok(&["rm", "-r", "loose/sub/out/"]);
    env.ok(&["rm", "loose/sub/out-file"]);
    assert!(std::fs::symlink_metadata(env.path("loose/sub/out")).is_err());
    assert!(std::fs::symlink_metadata(&out_file).is_err());
    assert_eq!(
        std::fs::read_to_string(env.path("kept/x.txt")).unwrap(),
        "x"
    );

    let abs = env.path("loose/");
    env.ok(&["rm", "-r", abs.to_str().unwrap()]);
    assert!(!env.path("loose").exists(), "the folder itself is deleted");
    assert_eq!(
        std::fs::read_to_string(env.path("kept/x.txt")).unwrap(),
        "x",
        "a link inside was not followed"
    );
    env.ok(&["rm", "-r", "--missing-ok", "loose"]);
}

#[test]
fn exit_codes_by_kind() {
    let env = Env::new("");
    std::fs::write(env.path("a/x.txt"), "x").unwrap();
    // 3: not found
    let missing = env.run(&["cat", "a:nope.txt"]);
    missing.code(3);
    assert_eq!(
        missing.stderr.lines().count(),
        1,
        "one line: {}",
        missing.stderr
    );
    assert!(missing.stderr.contains("a:nope.txt"), "{}", missing.stderr);
    env.run(&["ls", "a:no/such/folder"]).code(3);
    // 4: already exists
    env.run(&["cp", "a:x.txt", "a:x2.txt"]).code(0);
    env.run(&["cp", "a:x.txt", "a:x2.txt"]).code(4);
    // 2: invalid input
    env.run(&["ls", "--transfers", "0", "a:"]).code(2);
    env.run(&["cp", "a:x.txt", "a:x.txt"]).code(2);
    env.run(&["ls", "s4://bucket/key"]).code(2);
    let typo = env.run(&["ls", "aa:"]);
    typo.code(2);
    assert!(
        typo.stderr.contains("no store named \"aa\""),
        "{}",
        typo.stderr
    );
    // cat goes on past a missing file, as cat(1) does: a partial failure
    let partial = env.run(&["cat", "a:nope", "a:x.txt"]);
    partial.code(7);
    assert_eq!(partial.stdout, "x");
    env.run(&["hashsum", "a:x.txt"]).code(0);
    // a missing explicit config file: not found
    env.run(&["--config", "/nonexistent/rstore.toml", "ls", "a:"])
        .code(3);
}

/// Store names are any TOML key: a mistyped name with a `.` is refused like any other
/// typo, never taken for a local file to write.
#[test]
fn a_mistyped_dotted_store_name_is_refused() {
    let env = Env::new("[stores.\"eu.prod\"]\nbackend = \"disk_a\"\n");
    std::fs::write(env.path("f.txt"), "x").unwrap();
    env.ok(&["put", "f.txt", "eu.prod:f.txt"]);
    assert!(env.path("a/f.txt").exists());
    let typo = env.run(&["put", "f.txt", "eu.prd:f.txt"]);
    typo.code(2);
    assert!(
        typo.stderr.contains("no store named \"eu.prd\""),
        "{}",
        typo.stderr
    );
    assert!(!env.path("eu.prd:f.txt").exists());
    // a local file of that spelling is still reachable as ./NAME
    env.ok(&["put", "f.txt", "./eu.prd:f.txt"]);
    assert!(env.path("eu.prd:f.txt").exists());
}

/// `sync --delete` deletes a mirror's extra file only when the source has no such file:
/// a local listing does not follow a link to a folder, so what lies below one is missing
/// from it, yet at the source. Those files are kept and the sync ends partial (7).
#[test]
fn sync_delete_keeps_what_the_source_listing_left_out() {
    let env = Env::new("");
    std::fs::create_dir_all(env.path("a/shared")).unwrap();
    std::fs::write(env.path("a/shared/logo.png"), "L").unwrap();
    std::fs::create_dir_all(env.path("a/site")).unwrap();
    std::fs::write(env.path("a/site/index.html"), "i").unwrap();
    std::os::unix::fs::symlink("../shared", env.path("a/site/assets")).unwrap();
    std::fs::create_dir_all(env.path("b/m/assets")).unwrap();
    std::fs::write(env.path("b/m/assets/logo.png"), "L").unwrap();
    std::fs::write(env.path("b/m/old.txt"), "o").unwrap();

    let dry = env.ok(&["sync", "--dry-run", "--delete", "a:site", "b:m"]);
    assert!(dry.stdout.contains("delete  old.txt"), "{}", dry.stdout);
    assert!(!dry.stdout.contains("logo"), "{}", dry.stdout);
    assert!(
        dry.stderr.contains("1 file(s) not deleted"),
        "{}",
        dry.stderr
    );
    let run = env.run(&["--json", "sync", "--delete", "a:site", "b:m"]);
    run.code(7);
    assert!(env.path("b/m/assets/logo.png").exists(), "{}", run.stderr);
    assert!(!env.path("b/m/old.txt").exists(), "{}", run.stderr);
    assert_eq!(
        std::fs::read(env.path("b/m/index.html")).unwrap(),
        b"i",
        "{}",
        run.stderr
    );
    let report = run.json();
    assert_eq!(report["kept"][0], "assets/logo.png", "{report}");
    assert_eq!(report["delete"][0], "old.txt", "{report}");
}

#[test]
fn permission_denied_is_5() {
    let env = Env::new("");
    std::fs::create_dir(env.path("a/locked")).unwrap();
    std::fs::write(env.path("a/locked/f"), "x").unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(env.path("a/locked"), std::fs::Permissions::from_mode(0o000)).unwrap();
    let denied = std::fs::read_dir(env.path("a/locked")).is_err();
    let args = ["cat", "a:locked/f"];
    let run = if denied {
        env.run(&args)
    } else {
        // Root reads anything (as in CI): the same call as an unprivileged user, with a copy
        // of the binary that user can reach.
        std::fs::set_permissions(env.dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
        let binary = env.path("rstore");
        std::fs::copy(env!("CARGO_BIN_EXE_rstore"), &binary).unwrap();
        let out = std::process::Command::new("setpriv")
            .args(["--reuid=65534", "--regid=65534", "--clear-groups"])
            .arg(&binary)
            .args(args)
            .current_dir(env.dir.path())
            .env("REMOTE_STORE_CONFIG", &env.config)
            .env_remove("RSTORE_PROGRESS")
            .stdin(std::process::Stdio::null())
            .output()
            .expect("setpriv (util-linux) runs the binary as another user");
        Run::of(out, &args)
    };
    std::fs::set_permissions(env.path("a/locked"), std::fs::Permissions::from_mode(0o755)).unwrap();
    run.code(5);
}

/// An S3 store nothing answers for (port 1), with a literal secret: the store `down`.
#[cfg(feature = "s3")]
const DOWN: &str = "[backends.down]\ntype = \"s3\"\nbucket = \"b\"\nregion = \"us-east-1\"\n\
     endpoint = \"http://127.0.0.1:1\"\nforce_path_style = true\n\
     access_key_id = \"AKIDEXAMPLE\"\nsecret_access_key = \"sEcReT-never-printed-42\"\n\
     retry = { max_attempts = 1 }\nconnect_timeout = \"2s\"\n\n[stores.down]\nbackend = \"down\"\n";

#[cfg(feature = "s3")]
#[test]
fn unavailable_is_6_and_the_secret_stays_hidden() {
    let env = Env::new(DOWN);
    // nothing listens on port 1
    let down = env.run(&["-vvv", "ls", "down:"]);
    down.code(6);
    assert_eq!(down.stdout, "");
    assert!(
        down.stderr.contains("backend unavailable"),
        "{}",
        down.stderr
    );
    assert!(!down.stderr.contains("sEcReT"), "{}", down.stderr);

    let check = env.run(&["config", "check"]);
    check.code(7);
    assert!(check.stdout.contains("ok    a"), "{}", check.stdout);
    assert!(check.stdout.contains("FAIL  down"), "{}", check.stdout);
    for run in [&check, &env.run(&["-vv", "--json", "config", "check"])] {
        assert!(!run.stdout.contains("sEcReT"), "{}", run.stdout);
        assert!(!run.stderr.contains("sEcReT"), "{}", run.stderr);
    }
    let json = env.run(&["--json", "config", "check"]).json();
    let stores = json.as_array().unwrap();
    assert_eq!(stores.len(), 3);
    assert_eq!(stores[0]["store"], "a");
    assert_eq!(stores[0]["ok"], true);
    assert_eq!(stores[2]["ok"], false);
    assert!(stores[2]["error"].as_str().unwrap().contains("unavailable"));
}

#[test]
fn config_check_path_and_bad_configs() {
    let good = Env::new("");
    good.ok(&["config", "check"]);
    assert_eq!(
        good.ok(&["config", "path"]).stdout.trim(),
        good.config.display().to_string()
    );
    let pings = good.ok(&["ping", "--json", "a:", "b:", "."]).json();
    assert_eq!(pings.as_array().unwrap().len(), 3);

    // a bad config: exit 2, the message names the file, the table and the key
    std::fs::write(
        &good.config,
        "[backends.x]\ntype = \"local\"\nrooot = \"/tmp\"\n",
    )
    .unwrap();
    let bad = good.run(&["config", "check"]);
    bad.code(2);
    assert!(
        bad.stderr.contains("unknown key \"rooot\""),
        "{}",
        bad.stderr
    );
    assert!(bad.stderr.contains("[backends.x]"), "{}", bad.stderr);
    // a literal secret in a config that fails to load is not echoed either
    std::fs::write(
        &good.config,
        "[backends.s]\ntype = \"s3\"\nbucket = \"b\"\nsecret_access_key = \"sEcReT-2\"\nbogus = 1\n",
    )
    .unwrap();
    let bad = good.run(&["config", "check"]);
    bad.code(2);
    assert!(!bad.stderr.contains("sEcReT"), "{}", bad.stderr);
    // nor in one that is not even TOML, for any command (toml's own message quotes the
    // line): the file, the position and the reason only
    std::fs::write(
        &good.config,
        "[backends.s]\ntype = \"s3\"\nsecret_access_key = \"sEcReT-broken-77\" x\n",
    )
    .unwrap();
    for args in [
        &["config", "check"][..],
        &["ls", "a:"][..],
        &["ls", "."][..],
    ] {
        let bad = good.run(args);
        bad.code(2);
        assert!(!bad.stderr.contains("sEcReT"), "{}", bad.stderr);
        assert!(bad.stderr.contains("line 3"), "{}", bad.stderr);
        assert!(
            bad.stderr.contains(&good.config.display().to_string()),
            "{}",
            bad.stderr
        );
    }
}

#[test]
fn progress_only_on_a_terminal() {
    let env = Env::new("");
    make_tree(&env.path("src"), 30);
    // stderr is a pipe here: -P draws nothing
    let piped = env.ok(&["-P", "cp", "-r", "src", "a:one"]);
    assert!(!piped.stderr.contains("total"), "{}", piped.stderr);
    assert!(
        !piped.stderr.contains('\x1b'),
        "no escape codes on a pipe: {:?}",
        piped.stderr
    );
    // forced, as on a terminal: per-file and total bars with rates
    let out = env
        .cmd(&["-P", "--transfers", "2", "cp", "-r", "src", "a:two"])
        .env("RSTORE_PROGRESS", "always")
        .output()
        .unwrap();
    let forced = Run::of(out, &["-P", "cp", "-r", "src", "a:two"]);
    forced.code(0);
    assert!(forced.stderr.contains("total"), "{:?}", forced.stderr);
    assert!(forced.stderr.contains("files"), "{:?}", forced.stderr);
    assert!(forced.stderr.contains("/s"), "{:?}", forced.stderr);
    assert!(forced.stdout.is_empty());
    assert_eq!(read_tree(&env.path("a/two")), read_tree(&env.path("src")));
}

#[test]
fn verbose_and_quiet() {
    let env = Env::new("");
    make_tree(&env.path("src"), 3);
    let loud = env.ok(&["-v", "cp", "-r", "src", "a:v"]);
    assert!(loud.stderr.contains("INFO"), "{}", loud.stderr);
    let quiet = env.ok(&["-q", "cp", "-r", "src", "a:q"]);
    assert!(quiet.stderr.is_empty(), "{}", quiet.stderr);
    let normal = env.ok(&["cp", "-r", "src", "a:n"]);
    assert!(!normal.stderr.contains("INFO"));
    assert!(normal.stderr.contains("copied 3 file(s)"));
}

#[test]
fn completions_for_each_shell() {
    let env = Env::new("");
    for shell in ["bash", "zsh", "fish"] {
        let script = env.ok(&["completions", shell]);
        assert!(script.stdout.contains("rstore"), "{shell}");
        assert!(script.stdout.contains("hashsum"), "{shell}");
    }
    env.run(&["completions", "tcsh"]).code(2);
}

#[test]
fn progress_under_a_pseudo_terminal() {
    // util-linux `script` runs the command on a pty: stderr *is* a terminal there.
    if std::process::Command::new("script")
        .arg("--version")
        .output()
        .is_err()
    {
        eprintln!("SKIP: no `script` (util-linux) to make a pseudo-terminal");
        return;
    }
    let env = Env::new("");
    make_tree(&env.path("src"), 20);
    let command = format!("{} -P cp -r src a:pty", env!("CARGO_BIN_EXE_rstore"));
    let out = std::process::Command::new("script")
        .args(["-qec", &command, "/dev/null"])
        .current_dir(env.dir.path())
        .env("REMOTE_STORE_CONFIG", &env.config)
        .env_remove("RSTORE_PROGRESS")
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let run = Run::of(out, &["(pty)", "-P", "cp", "-r", "src", "a:pty"]);
    run.code(0);
    assert!(
        run.stdout.contains("total ["),
        "bars on the terminal: {:?}",
        run.stdout
    );
    assert!(run.stdout.contains("/20 files"), "{:?}", run.stdout);
    assert!(
        run.stdout.contains("file ["),
        "a bar per file: {:?}",
        run.stdout
    );
    assert!(
        run.stdout.contains("/s ETA"),
        "rate and ETA: {:?}",
        run.stdout
    );
    assert_eq!(read_tree(&env.path("a/pty")), read_tree(&env.path("src")));
}

#[test]
fn local_paths_with_spaces_and_odd_characters() {
    let env = Env::new("");
    let dir = env.path("sp ace/ü%20x");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("a b.txt"), "hi").unwrap();
    assert_eq!(env.ok(&["ls", "sp ace/ü%20x"]).lines(), ["a b.txt"]);
    env.ok(&["cp", "sp ace/ü%20x/a b.txt", "sp ace/c#d?.txt"]);
    assert_eq!(std::fs::read(env.path("sp ace/c#d?.txt")).unwrap(), b"hi");
    env.ok(&["cp", "sp ace/c#d?.txt", "a:odd name #1.txt"]);
    assert_eq!(env.ok(&["cat", "a:odd name #1.txt"]).stdout, "hi");
}

/// One place written two ways is one place: a store rooted inside another, a local path
/// into a store's folder, and two stores over one backend. `mv` onto itself, a tree into
/// itself and `sync --delete` of a folder into its parent are refused, and nothing is lost.
#[test]
fn one_place_written_two_ways_is_never_destroyed() {
    let env = Env::new(
        "[stores.inner]\nbackend = \"disk_a\"\nroot = \"t\"\n\n\
         [stores.a2]\nbackend = \"disk_a\"\n",
    );
    make_tree(&env.path("a/t"), 6);
    let want = read_tree(&env.path("a/t"));
    let one = env.path("a/t/f0.txt").display().to_string();
    for args in [
        &["mv", "-r", "--overwrite", "a:t", "inner:"][..],
        &["mv", "--overwrite", "a:t/f0.txt", &one],
        &["mv", "--overwrite", "a:t/f0.txt", "a2:t/f0.txt"],
        &["cp", "--overwrite", "inner:f0.txt", "a:t/f0.txt"],
        &["cp", "-r", "--overwrite", "a:t", "a2:t/d1"],
    ] {
        let run = env.run(args);
        run.code(2);
        assert!(
            run.stderr.contains("same file") || run.stderr.contains("is inside"),
            "{}",
            run.stderr
        );
    }
    // The refusal says what was asked.
    let run = env.run(&["mv", "-r", "a:t", "a:t/sub"]);
    run.code(2);
    assert!(
        run.stderr.contains("cannot be moved into itself"),
        "{}",
        run.stderr
    );
    let run = env.run(&["sync", "--delete", "a:t/d1", "inner:"]);
    run.code(2);
    assert!(
        run.stderr.contains("would delete the source"),
        "{}",
        run.stderr
    );
    // A tree moved (or copied over) into the folder that holds it would land on its own
    // files (`m/a/a/1` onto `m/a/1`) and then delete them: refused, across stores too.
    std::fs::create_dir_all(env.path("a/m/a/a")).unwrap();
    std::fs::write(env.path("a/m/a/1"), "A1").unwrap();
    std::fs::write(env.path("a/m/a/a/1"), "AA1").unwrap();
    for args in [
        &["mv", "-r", "--overwrite", "a:m/a", "a:m"][..],
        &["mv", "-r", "--overwrite", "a:m/a", "a2:m"],
        &["cp", "-r", "--overwrite", "a:m/a", "a2:m"],
        // A sync's updates are overwriting copies too.
        &["sync", "a:m/a", "a:m"],
        &["sync", "a:m/a", "a2:m"],
    ] {
        let run = env.run(args);
        run.code(2);
        assert!(
            run.stderr.contains("its own source files"),
            "{}",
            run.stderr
        );
    }
    assert_eq!(std::fs::read_to_string(env.path("a/m/a/1")).unwrap(), "A1");
    assert_eq!(
        std::fs::read_to_string(env.path("a/m/a/a/1")).unwrap(),
        "AA1"
    );
    assert_eq!(read_tree(&env.path("a/t")), want, "nothing lost");
}

/// A folder reached through a symbolic link is the folder it leads to: `sync --delete`
/// of `rel/app` into `current` (a link to `rel`), or of `current/app` into `rel`, would
/// delete its own source, and is refused as the plain-path form is.
#[cfg(unix)]
#[test]
fn a_link_does_not_hide_that_a_source_is_inside_its_destination() {
    let env = Env::new("");
    std::fs::create_dir_all(env.path("a/lk/rel/app")).unwrap();
    std::fs::write(env.path("a/lk/rel/app/a.txt"), "1").unwrap();
    std::fs::write(env.path("a/lk/rel/notes.txt"), "3").unwrap();
    std::os::unix::fs::symlink("rel", env.path("a/lk/current")).unwrap();
    for args in [
        &["sync", "--delete", "a:lk/rel/app", "a:lk/current"][..],
        &["sync", "--delete", "a:lk/current/app", "a:lk/rel"],
        &["mv", "-r", "--overwrite", "a:lk/current/app", "a:lk/rel"],
    ] {
        let run = env.run(args);
        run.code(2);
        assert!(run.stderr.contains("is inside"), "{args:?}: {}", run.stderr);
    }
    assert_eq!(
        std::fs::read_to_string(env.path("a/lk/rel/app/a.txt")).unwrap(),
        "1"
    );
    assert_eq!(
        std::fs::read_to_string(env.path("a/lk/rel/notes.txt")).unwrap(),
        "3"
    );
}

/// A config file the user names (`--config`) must exist and parse even when no location
/// needs it: a wrong path or a broken file is reported, not silently unused.
#[test]
fn a_named_config_file_is_read_even_for_local_paths() {
    let env = Env::new("");
    std::fs::write(env.path("f.txt"), "x").unwrap();
    let file = env.path("f.txt").display().to_string();
    let missing = env.path("missing.toml").display().to_string();
    let run = env.run(&["--config", &missing, "ls", &file]);
    run.code(3);
    assert!(run.stderr.contains("no such config file"), "{}", run.stderr);
    assert!(run.stderr.contains("missing.toml"), "{}", run.stderr);
    std::fs::write(env.path("broken.toml"), "[backends\n").unwrap();
    let broken = env.path("broken.toml").display().to_string();
    let run = env.run(&["--config", &broken, "ls", &file]);
    run.code(2);
    assert!(run.stderr.contains("broken.toml"), "{}", run.stderr);
}

/// A store whose root folder does not exist is not an empty folder (a typo'd `root` must
/// not make `sync --delete` wipe the mirror), and an empty source never deletes a whole
/// mirror.
#[test]
fn a_missing_or_empty_source_never_empties_the_mirror() {
    let env = Env::new("[stores.typo]\nbackend = \"disk_a\"\nroot = \"reprots\"\n");
    make_tree(&env.path("b/m"), 4);
    let want = read_tree(&env.path("b/m"));
    env.run(&["sync", "--delete", "typo:", "b:m"]).code(3);
    env.run(&["ls", "typo:"]).code(3);
    // `ping` and `config check` say so too, rather than "ok".
    let run = env.run(&["ping", "typo:"]);
    run.code(3);
    assert!(
        run.stderr.contains("root folder does not exist"),
        "{}",
        run.stderr
    );
    let run = env.run(&["config", "check"]);
    run.code(7);
    assert!(run.stdout.contains("FAIL  typo"), "{}", run.stdout);
    std::fs::create_dir(env.path("a/empty")).unwrap();
    let run = env.run(&["sync", "--delete", "a:empty", "b:m"]);
    run.code(2);
    assert!(run.stderr.contains("holds no files"), "{}", run.stderr);
    assert_eq!(read_tree(&env.path("b/m")), want, "the mirror is intact");
}

/// `put` takes what a shell hands it: a symbolic link to a file elsewhere, a pipe.
#[test]
fn put_follows_a_link_and_streams_a_pipe() {
    let env = Env::new("");
    std::fs::write(env.path("real.txt"), "linked").unwrap();
    std::fs::create_dir(env.path("links")).unwrap();
    std::os::unix::fs::symlink(env.path("real.txt"), env.path("links/l.txt")).unwrap();
    env.ok(&["put", "links/l.txt", "a:from-link.txt"]);
    assert_eq!(
        std::fs::read_to_string(env.path("a/from-link.txt")).unwrap(),
        "linked"
    );
    // Into a folder, the file keeps the name it was given, not its target's.
    env.ok(&["put", "links/l.txt", "a:"]);
    assert!(env.path("a/l.txt").exists() && !env.path("a/real.txt").exists());
    // A pipe has no name of its own: like `-`, it needs a file as the destination.
    let run = Run::of(
        env.cmd(&["put", "/dev/stdin", "a:"]).output().unwrap(),
        &["put", "/dev/stdin", "a:"],
    );
    run.code(2);
    assert!(run.stderr.contains("needs a file name"), "{}", run.stderr);
    let mut cmd = env.cmd(&["put", "/dev/stdin", "a:from-pipe.txt"]);
    cmd.stdin(std::process::Stdio::piped());
    let mut child = cmd.spawn().unwrap();
    {
        use std::io::Write as _;
        let mut stdin = child.stdin.take().unwrap();
        stdin.write_all(b"piped").unwrap();
    }
    assert!(child.wait().unwrap().success());
    assert_eq!(
        std::fs::read_to_string(env.path("a/from-pipe.txt")).unwrap(),
        "piped"
    );
}

/// Without a config file, `NAME:path` for a path that does not exist is a mistyped store
/// name, never a new local file.
#[test]
fn a_store_name_without_a_config_is_no_local_file() {
    let env = Env::new("");
    std::fs::write(env.path("p.txt"), "x").unwrap();
    let run = Run::of(
        env.cmd(&["cp", "p.txt", "archiv:x"])
            .env_remove("REMOTE_STORE_CONFIG")
            .env("HOME", env.path("no-home"))
            .env_remove("XDG_CONFIG_HOME")
            .output()
            .unwrap(),
        &["cp", "p.txt", "archiv:x"],
    );
    run.code(2);
    assert!(
        run.stderr.contains("no store named \"archiv\""),
        "{}",
        run.stderr
    );
    assert!(!env.path("archiv:x").exists());
}

/// Ctrl-C stops a copy cleanly: the write in flight is abandoned (no object, no temp
/// file), and the tool says so and exits 130. The source is a pipe the test feeds, so the
/// signal surely lands mid-copy.
///
/// With `--json` the summary still comes, the file counted as interrupted.
#[test]
fn ctrl_c_abandons_the_copy_in_flight() {
    for json in [false, true] {
        abandon_a_piped_put(json);
    }
}

fn abandon_a_piped_put(json: bool) {
    let env = Env::new("");
    let mut args = vec!["put", "/dev/stdin", "a:big.bin"];
    if json {
        args.insert(0, "--json");
    }
    let mut child = env
        .cmd(&args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let chunk = vec![7u8; 1 << 20];
    stdin.write_all(&chunk).unwrap();
    // Time for the tool to start, install its handler and read the first MiB.
    std::thread::sleep(std::time::Duration::from_millis(800));
    let killed = std::process::Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    std::thread::sleep(std::time::Duration::from_millis(300));
    // The writer goes away, as a producer killed by the same Ctrl-C would: the read the
    // signal found waiting ends the input, and that end must not commit a cut-off copy.
    drop(stdin);
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(130), "{stderr}");
    assert!(stderr.contains("interrupted"), "{stderr}");
    let left: Vec<_> = std::fs::read_dir(env.path("a"))
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert!(left.is_empty(), "nothing kept: {left:?}");
    let stdout = String::from_utf8_lossy(&out.stdout);
    if json {
        let summary: serde_json::Value = serde_json::from_str(&stdout).expect(&stdout);
        assert_eq!(summary["files"], 0, "{stdout}");
        assert_eq!(summary["interrupted"], 1, "{stdout}");
        assert_eq!(summary["failed"], 0, "{stdout}");
    } else {
        assert!(stdout.is_empty(), "{stdout}");
    }
}

/// A copy of one file that fails (here: the target exists, no `--overwrite`) still gives
/// its JSON summary on stdout, with the error on stderr and the kind's exit code.
#[test]
fn a_failed_single_copy_still_prints_its_json() {
    let env = Env::new("");
    std::fs::write(env.path("x.txt"), "one").unwrap();
    let x = env.path("x.txt");
    let x = x.to_str().unwrap();
    let first = env.ok(&["--json", "put", x, "a:x.txt"]).json();
    assert_eq!(first["files"], 1);
    let again = env.run(&["--json", "put", x, "a:x.txt"]);
    again.code(4);
    let summary = again.json();
    assert_eq!(summary["files"], 0, "{}", again.stdout);
    assert_eq!(summary["failed"], 1, "{}", again.stdout);
    assert!(again.stderr.contains("already exists"), "{}", again.stderr);
}

/// Ctrl-C during a tree copy or move: the files done stay, the rest is counted in one line
/// ("N not copied: interrupted") instead of an error per file, nothing partial is left,
/// exit 130. Between two stores (the transfer crate's copy) and within one store (a
/// copy or move per file). The signal goes out as soon as the first file has landed, with
/// thousands to go.
#[test]
fn ctrl_c_during_a_tree_copy_counts_what_was_not_copied() {
    let env = Env::new("");
    let between = ["cp", "-r", "--transfers", "1", "src", "a:t"];
    interrupt_tree(&env, "src", &between, "a/t", "copied");
    let within = ["mv", "-r", "--transfers", "1", "a:m", "a:n"];
    interrupt_tree(&env, "a/m", &within, "a/n", "moved");
}

/// A move stopped by Ctrl-C part-way still removes the source folders it emptied; the
/// ones holding a file it did not move stay, and are not reported as left behind.
#[test]
fn an_interrupted_move_removes_the_folders_it_emptied() {
    const FOLDERS: usize = 40;
    const FILES: usize = 50;
    let env = Env::new("");
    for d in 0..FOLDERS {
        std::fs::create_dir_all(env.path(&format!("a/m/d{d:02}"))).unwrap();
        for f in 0..FILES {
            let file = env.path(&format!("a/m/d{d:02}/f{f:02}.txt"));
            std::fs::write(file, vec![b'x'; 4096]).unwrap();
        }
    }
    let count = |d: &str| std::fs::read_dir(env.path(d)).map_or(0, |e| e.count());
    // Files move in listing order: once the third folder has started, two are empty.
    let args = ["mv", "-r", "--transfers", "1", "a:m", "a:n"];
    let stderr = interrupt_when(&env, &args, || count("a/n") >= 3);
    let (mut gone, mut kept) = (0, 0);
    for d in 0..FOLDERS {
        let folder = env.path(&format!("a/m/d{d:02}"));
        match std::fs::read_dir(&folder) {
            Ok(entries) => {
                assert!(entries.count() > 0, "{folder:?}: emptied but left");
                kept += 1;
            }
            Err(_) => gone += 1,
        }
    }
    assert!(gone >= 2 && kept > 0, "gone {gone}, kept {kept}: {stderr}");
    assert!(!stderr.contains("was not removed"), "{stderr}");
    assert!(
        env.path("a/m").is_dir(),
        "the moved folder still holds files"
    );
}

/// Ctrl-C during `sync --delete`: while it copies, the files not copied are counted, not
/// reported one by one, and nothing is deleted; while it deletes, it stops between rounds
/// of deletes. Both exit 130.
#[test]
fn ctrl_c_stops_sync_copies_and_deletes() {
    const FILES: usize = 3000;
    const EXTRA: usize = 20_000;
    let env = Env::new("");
    std::fs::create_dir_all(env.path("src")).unwrap();
    std::fs::create_dir_all(env.path("a/m")).unwrap();
    for i in 0..FILES {
        std::fs::write(env.path(&format!("src/f{i:04}.txt")), "x").unwrap();
    }
    std::fs::write(env.path("a/m/extra.txt"), "old").unwrap();
    let count = |d: &str| std::fs::read_dir(env.path(d)).unwrap().count();
    let args = ["sync", "--delete", "--transfers", "1", "src", "a:m"];
    let stderr = interrupt_when(&env, &args, || count("a/m") > 1);
    let done = count("a/m") - 1;
    assert!(done < FILES, "all {FILES} files were copied");
    let summary = format!("{} not done: interrupted", FILES - done + 1);
    assert!(stderr.contains(&summary), "want {summary:?} in:\n{stderr}");
    assert!(
        stderr.contains("1 file(s) not deleted: interrupted"),
        "{stderr}"
    );
    assert!(!stderr.contains("error"), "an error per file:\n{stderr}");
    assert!(env.path("a/m/extra.txt").exists(), "nothing deleted");

    // Now every copy is done and thousands of files are extra.
    for i in 0..FILES {
        std::fs::remove_file(env.path(&format!("src/f{i:04}.txt"))).unwrap();
    }
    std::fs::write(env.path("src/keep.txt"), "k").unwrap();
    for i in 0..EXTRA {
        std::fs::write(env.path(&format!("a/m/x{i:05}")), "").unwrap();
    }
    let before = count("a/m");
    let stderr = interrupt_when(&env, &args, || count("a/m") < before);
    let left = count("a/m");
    assert!(left > 1, "every delete went through: {stderr}");
    assert!(stderr.contains("not deleted: interrupted"), "{stderr}");
}

/// Runs `args`, sends Ctrl-C once `ready` holds, and returns its stderr after checking
/// that it exited 130.
fn interrupt_when(env: &Env, args: &[&str], ready: impl Fn() -> bool) -> String {
    let child = env
        .cmd(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let started = std::time::Instant::now();
    while !ready() {
        assert!(
            started.elapsed().as_secs() < 60,
            "{args:?}: never got going"
        );
        std::thread::sleep(std::time::Duration::from_millis(1));
    }
    let killed = std::process::Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(out.status.code(), Some(130), "{args:?}: {stderr}");
    stderr
}

/// Fills `src` with files, runs `args`, interrupts it once a file is in `dst`, and checks
/// what it reports.
fn interrupt_tree(env: &Env, src: &str, args: &[&str], dst: &str, verb: &str) {
    const FILES: usize = 3000;
    std::fs::create_dir_all(env.path(src)).unwrap();
    for i in 0..FILES {
        std::fs::write(env.path(&format!("{src}/f{i:04}.txt")), vec![b'x'; 4096]).unwrap();
    }
    let dst = env.path(dst);
    let landed = |d: &std::path::Path| {
        std::fs::read_dir(d).is_ok_and(|mut entries| {
            entries.any(|e| {
                !e.unwrap()
                    .file_name()
                    .to_string_lossy()
                    .starts_with(".~tmp")
            })
        })
    };
    let stderr = interrupt_when(env, args, || landed(&dst));
    let left: Vec<String> = std::fs::read_dir(&dst)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert!(
        left.iter().all(|n| !n.starts_with(".~tmp")),
        "{args:?}: a temp file was left: {left:?}"
    );
    let done = left.len();
    assert!(done < FILES, "{args:?}: all {FILES} files were done");
    let summary = format!(
        "{verb} {done} file(s), {} bytes, {} not {verb}: interrupted",
        done * 4096,
        FILES - done
    );
    assert!(stderr.contains(&summary), "want {summary:?} in:\n{stderr}");
    assert!(!stderr.contains("error"), "an error per file:\n{stderr}");
    assert!(stderr.contains("rstore: interrupted"), "{stderr}");
}

/// A tree copy or move always ends with its summary, also for a tree of one file; a
/// single file copied prints nothing.
#[test]
fn a_tree_of_one_file_gets_its_summary() {
    let env = Env::new("");
    std::fs::create_dir(env.path("one")).unwrap();
    std::fs::write(env.path("one/only.txt"), "12345").unwrap();
    let run = env.ok(&["cp", "-r", "one", "a:one"]);
    assert!(
        run.stderr.contains("copied 1 file(s), 5 bytes"),
        "{}",
        run.stderr
    );
    let run = env.ok(&["mv", "-r", "a:one", "a:two"]);
    assert!(
        run.stderr.contains("moved 1 file(s), 5 bytes"),
        "{}",
        run.stderr
    );
    let run = env.ok(&["cp", "one/only.txt", "a:single.txt"]);
    assert!(run.stderr.is_empty(), "{}", run.stderr);
}

/// `mv -r` of a local folder given by its path: the folder is the store's root and stays,
/// the folders below it that the move emptied go; one holding a file the move could not
/// list stays, with a warning naming it.
#[test]
fn moving_a_local_folder_removes_the_subfolders_it_emptied() {
    let env = Env::new("");
    std::fs::create_dir_all(env.path("src/sub/deep")).unwrap();
    std::fs::create_dir_all(env.path("src/kept/odd")).unwrap();
    std::fs::create_dir(env.path("src/untouched")).unwrap();
    std::fs::write(env.path("src/top.txt"), "1").unwrap();
    std::fs::write(env.path("src/sub/deep/a.txt"), "2").unwrap();
    std::fs::write(env.path("src/kept/odd/b.txt"), "3").unwrap();
    std::fs::write(env.path("src/kept/odd/back\\slash.txt"), "4").unwrap();
    let run = env.run(&["mv", "-r", "src", "a:moved"]);
    // Left-behind folders make the move partial (exit 7).
    run.code(7);
    assert!(
        run.stderr.contains("moved 3 file(s), 3 bytes"),
        "{}",
        run.stderr
    );
    assert!(env.path("a/moved/sub/deep/a.txt").exists());
    assert!(!env.path("src/sub").exists(), "the emptied folders go");
    assert!(
        env.path("src/untouched").is_dir(),
        "a folder the move had no file in stays"
    );
    assert!(env.path("src/kept/odd/back\\slash.txt").exists());
    assert!(
        run.stderr.contains("was not removed") && run.stderr.contains("kept/odd"),
        "{}",
        run.stderr
    );
    assert!(env.path("src").is_dir(), "the store root stays");
}

/// `ping` labels a URL without its query, which may hold a credential — also one the tool
/// refuses, in text and JSON output alike.
#[test]
fn ping_never_echoes_a_url_query() {
    let env = Env::new("");
    let url = "s3://b/?endpoint=http://127.0.0.1:9&secret_access_key=s3cr3t-value";
    for json in [false, true] {
        let mut args = vec!["ping", url];
        if json {
            args.insert(1, "--json");
        }
        let run = env.run(&args);
        run.code(2);
        assert!(run.stdout.contains("s3://b/"), "{}", run.stdout);
        for out in [&run.stdout, &run.stderr] {
            assert!(!out.contains("s3cr3t"), "secret shown: {out}");
            assert!(!out.contains("endpoint="), "query shown: {out}");
        }
    }
}

/// Without credentials, `ping` of an S3 URL says so in one line: the SDK's own warnings
/// (one per credential source it tried, with the raw IMDS reply) stay out of it unless
/// asked for with `-vv`.
#[test]
fn ping_without_credentials_is_one_clear_line() {
    let env = Env::new("");
    let url = "s3://b/?endpoint=http://127.0.0.1:9";
    let run = env
        .cmd(&["ping", url])
        .env("HOME", env.path("no-home"))
        .env("AWS_CONFIG_FILE", env.path("no-config"))
        .env("AWS_SHARED_CREDENTIALS_FILE", env.path("no-credentials"))
        .env("AWS_EC2_METADATA_SERVICE_ENDPOINT", "http://127.0.0.1:9")
        .env("AWS_METADATA_SERVICE_NUM_ATTEMPTS", "1")
        .env_remove("AWS_ACCESS_KEY_ID")
        .env_remove("AWS_SECRET_ACCESS_KEY")
        .env_remove("AWS_SESSION_TOKEN")
        .env_remove("AWS_PROFILE")
        .env_remove("AWS_EC2_METADATA_DISABLED")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert_eq!(run.status.code(), Some(5), "{stderr}");
    assert!(stderr.contains("no usable AWS credentials"), "{stderr}");
    assert!(!stderr.contains("aws_config"), "SDK noise: {stderr}");
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
}

/// A URL whose path has a `..`, `.` or empty segment is refused before anything is
/// opened: parsing would resolve `s3://b/data/tmp/..` to `s3://b/data`, and `rm -r` would
/// then delete the parent folder.
#[test]
fn urls_with_dot_segments_are_refused() {
    let env = Env::new("");
    for args in [
        ["rm", "-r", "s3://b/data/tmp/..?endpoint=http://127.0.0.1:9"],
        ["rm", "-r", "s3://b/data/%2e%2e?endpoint=http://127.0.0.1:9"],
        ["ls", "-r", "memory:///a/./b"],
        ["ls", "-r", "s3://b/a//b?endpoint=http://127.0.0.1:9"],
        ["rm", "-r", "sftp://u:hunter2@127.0.0.1:9/a/../b"],
    ] {
        let run = env.run(&args);
        run.code(2);
        assert!(run.stderr.contains("segment"), "{args:?}: {}", run.stderr);
        assert!(!run.stderr.contains("endpoint="), "{}", run.stderr);
        assert!(!run.stderr.contains("hunter2"), "{}", run.stderr);
    }
}

/// A missing location among several fails alone: `cat`, `du` and `hashsum` still give the
/// others, report the missing one and exit 7 (partial failure); with only missing ones,
/// the kind's code (3, not found).
#[test]
fn one_missing_location_among_several_fails_alone() {
    let env = Env::new("");
    std::fs::write(env.path("w.txt"), "hello").unwrap();
    std::fs::write(env.path("y.txt"), "world").unwrap();
    let (w, y, nope) = (env.path("w.txt"), env.path("y.txt"), env.path("nope.txt"));
    let (w, y, nope) = (
        w.to_str().unwrap(),
        y.to_str().unwrap(),
        nope.to_str().unwrap(),
    );
    let cat = env.run(&["cat", w, nope, y]);
    cat.code(7);
    assert_eq!(cat.stdout, "helloworld");
    let du = env.run(&["du", w, nope, y]);
    du.code(7);
    assert_eq!(du.stdout.lines().count(), 2, "{}", du.stdout);
    let sums = env.run(&["hashsum", w, nope, y]);
    sums.code(7);
    assert_eq!(sums.stdout.lines().count(), 2, "{}", sums.stdout);
    for run in [&cat, &du, &sums] {
        assert!(run.stderr.contains("nope.txt") && run.stderr.contains("not found"));
        assert!(
            run.stderr.contains("1 of 3 item(s) failed"),
            "{}",
            run.stderr
        );
    }
    env.run(&["hashsum", nope, nope]).code(3);
}

/// A local file whose name cannot be a key is not copied, and the tool says so on stderr
/// instead of leaving it behind without a word.
#[test]
fn files_left_out_of_a_tree_are_named() {
    let env = Env::new("");
    std::fs::create_dir(env.path("odd")).unwrap();
    std::fs::write(env.path("odd/back\\slash.txt"), "1").unwrap();
    std::fs::write(env.path("odd/normal.txt"), "2").unwrap();
    let run = env.ok(&["cp", "-r", "odd", "a:odd"]);
    assert!(
        run.stderr.contains("left out of the listing"),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("back\\\\slash.txt"), "{}", run.stderr);
    assert!(env.path("a/odd/normal.txt").exists());

    // So is what is no regular file or folder, or a link that leads nowhere inside the
    // root: a FIFO, a broken link, a link out of the tree, a link to the FIFO.
    std::fs::create_dir(env.path("special")).unwrap();
    std::fs::write(env.path("special/plain.txt"), "p").unwrap();
    let made = std::process::Command::new("mkfifo")
        .arg(env.path("special/pipe"))
        .status()
        .unwrap();
    assert!(made.success());
    std::os::unix::fs::symlink("nowhere", env.path("special/broken")).unwrap();
    std::os::unix::fs::symlink("../odd/normal.txt", env.path("special/out")).unwrap();
    std::os::unix::fs::symlink("pipe", env.path("special/to-pipe")).unwrap();
    std::fs::create_dir(env.path("special/dir")).unwrap();
    std::fs::write(env.path("special/dir/in.txt"), "i").unwrap();
    std::os::unix::fs::symlink("dir", env.path("special/to-dir")).unwrap();
    let run = env.ok(&["cp", "-r", "special", "a:special"]);
    for (name, why) in [
        ("pipe", "not a regular file or folder"),
        ("broken", "broken or points outside"),
        ("out", "broken or points outside"),
        ("to-pipe", "a link to something that is not a regular file"),
        (
            "to-dir",
            "a link to a folder, which recursive listings do not follow",
        ),
    ] {
        // Named once, although a copy between two stores lists the tree twice (the
        // tool's check, then the transfer's plan).
        let named = run
            .stderr
            .lines()
            .filter(|l| l.contains(why) && l.contains(&format!("path={name}")));
        assert_eq!(named.count(), 1, "{name}: {}", run.stderr);
    }
    assert!(env.path("a/special/plain.txt").exists());
    assert!(env.path("a/special/dir/in.txt").exists());
    assert!(
        !env.path("a/special/to-dir").exists(),
        "links are not walked"
    );

    // A move of such a tree moves what it can and never deletes what it left: the
    // emptied folders go, the one still holding the unmoved file stays, with a warning.
    std::fs::create_dir_all(env.path("a/t/deep/er")).unwrap();
    std::fs::write(env.path("a/t/deep/keep\\me.txt"), "kept").unwrap();
    std::fs::write(env.path("a/t/deep/er/moved.txt"), "moved").unwrap();
    let run = env.run(&["mv", "-r", "a:t", "b:t"]);
    // Left-behind folders make the move partial (exit 7).
    run.code(7);
    assert!(run.stderr.contains("was not removed"), "{}", run.stderr);
    assert_eq!(
        std::fs::read_to_string(env.path("a/t/deep/keep\\me.txt")).unwrap(),
        "kept"
    );
    assert!(
        !env.path("a/t/deep/er").exists(),
        "the emptied folder is gone"
    );
    assert!(env.path("b/t/deep/er/moved.txt").exists());

    // A link to a folder in the moved tree is never walked into: the empty folders of its
    // target stay, and a link back up the tree does not send the clean-up round in circles.
    std::fs::create_dir_all(env.path("a/other/empty")).unwrap();
    std::fs::create_dir_all(env.path("a/u/sub")).unwrap();
    std::fs::write(env.path("a/u/sub/f.txt"), "f").unwrap();
    std::os::unix::fs::symlink("../../other", env.path("a/u/sub/link")).unwrap();
    std::os::unix::fs::symlink("..", env.path("a/u/sub/up")).unwrap();
    // The links stay behind (with their folder): a partial move.
    env.run(&["mv", "-r", "a:u", "b:u"]).code(7);
    assert!(env.path("a/u/sub/link").is_symlink());
    assert!(
        env.path("a/other/empty").is_dir(),
        "outside the move: untouched"
    );
    assert!(env.path("b/u/sub/f.txt").exists());
}
