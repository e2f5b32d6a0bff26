//! `rstore` against the emulators `cargo xtask test` starts (moto, Azurite, sshd): trees
//! copied local → S3 → Azure → SFTP → local and compared byte for byte, `check` finding one
//! changed byte, `rm -r` of a prefix, an S3 URL. Under plain `cargo test` each test SKIPs
//! with one loud line; with `REMOTE_STORE_REQUIRE_EMULATORS=1` a missing emulator fails.
#![cfg(all(feature = "s3", feature = "azure", feature = "sftp"))]

mod support;

use std::time::{SystemTime, UNIX_EPOCH};

use support::{Env, Run, make_tree, read_tree};

const REQUIRE_VAR: &str = "REMOTE_STORE_REQUIRE_EMULATORS";

/// The emulator variable `name`, or `None` after a SKIP line (a panic when emulators are
/// required): the rule of `remote_store_tests::emulator::var`.
fn var(name: &str) -> Option<String> {
    match std::env::var(name) {
        Ok(v) if !v.is_empty() => Some(v),
        _ if std::env::var(REQUIRE_VAR).is_ok_and(|v| !v.is_empty() && v != "0") => panic!(
            "{name} is not set but {REQUIRE_VAR}=1: the emulator did not start (run `cargo xtask test`)"
        ),
        _ => {
            eprintln!(
                "SKIP: {name} is not set — emulator-backed test skipped; run `cargo xtask test` to run it"
            );
            None
        }
    }
}

/// A bucket, container or folder name no other run uses.
fn unique(tag: &str) -> String {
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    format!("{tag}-{}-{nanos}", std::process::id())
}

/// A TOML string literal.
fn quoted(s: &str) -> String {
    format!("{s:?}")
}

/// moto's S3 backend table `[backends.lake]` over a fresh bucket, and the store `s3`.
fn s3_table(endpoint: &str, bucket: &str) -> String {
    format!(
        "[backends.lake]\ntype = \"s3\"\nbucket = {}\nendpoint = {}\nregion = \"us-east-1\"\n\
         force_path_style = true\ncreate_if_missing = true\n\
         access_key_id = \"${{S3_KEY_ID}}\"\nsecret_access_key = \"${{S3_SECRET}}\"\n\n\
         [stores.s3]\nbackend = \"lake\"\nroot = \"cli\"\n\n",
        quoted(bucket),
        quoted(endpoint)
    )
}

/// Runs `rstore` with the emulator credentials in its environment.
fn run(env: &Env, vars: &[(&str, &str)], args: &[&str]) -> Run {
    let mut cmd = env.cmd(args);
    for (k, v) in vars {
        cmd.env(k, v);
    }
    Run::of(cmd.output().unwrap(), args)
}

#[test]
fn cp_tree_local_to_s3_and_back() {
    let Some(endpoint) = var("REMOTE_STORE_S3_MOTO_ENDPOINT") else {
        return;
    };
    let bucket = unique("rstore-cli");
    let env = Env::new(&s3_table(&endpoint, &bucket));
    let creds = [("S3_KEY_ID", "testing"), ("S3_SECRET", "testing")];
    make_tree(&env.path("src"), 60);
    let want = read_tree(&env.path("src"));

    run(
        &env,
        &creds,
        &["cp", "-r", "--transfers", "6", "src", "s3:tree"],
    )
    .code(0);
    run(&env, &creds, &["check", "src", "s3:tree"]).code(0);
    let listed = run(&env, &creds, &["ls", "-r", "--json", "s3:tree"]);
    listed.code(0);
    assert_eq!(listed.json().as_array().unwrap().len(), 60);
    let du = run(&env, &creds, &["du", "--json", "s3:tree"]);
    du.code(0);
    let total: usize = want.values().map(Vec::len).sum();
    assert_eq!(du.json()[0]["bytes"], total as u64);

    run(&env, &creds, &["cp", "-r", "s3:tree", "back"]).code(0);
    assert_eq!(read_tree(&env.path("back")), want, "byte for byte");

    // one changed byte, same size: check finds it
    let mut bytes = want["d1/f1.txt"].clone();
    bytes[1000] ^= 0x40;
    std::fs::write(env.path("changed.txt"), &bytes).unwrap();
    run(
        &env,
        &creds,
        &["--overwrite", "put", "changed.txt", "s3:tree/d1/f1.txt"],
    )
    .code(0);
    let check = run(&env, &creds, &["check", "src", "s3:tree"]);
    check.code(1);
    assert_eq!(check.lines(), ["content  d1/f1.txt"]);

    // the same bucket by URL, credentials from the environment
    let url = format!(
        "s3://{bucket}/cli/tree/f4.txt?endpoint={endpoint}&force_path_style=true&region=us-east-1"
    );
    let url_env = [
        ("AWS_ACCESS_KEY_ID", "testing"),
        ("AWS_SECRET_ACCESS_KEY", "testing"),
    ];
    let cat = run(&env, &url_env, &["cat", &url]);
    cat.code(0);
    assert_eq!(cat.stdout.as_bytes(), want["f4.txt"].as_slice());

    // rm -r of a prefix
    run(&env, &creds, &["rm", "-r", "s3:tree/d1"]).code(0);
    let left = run(&env, &creds, &["ls", "-r", "s3:tree"]);
    assert!(
        left.lines().iter().all(|l| !l.starts_with("d1/")),
        "{}",
        left.stdout
    );
    assert_eq!(left.lines().len(), 30, "d1/ and d1/d2/ held half the files");
    run(&env, &creds, &["ls", "s3:tree/d1"]).code(3);
}

#[test]
fn cp_tree_through_every_backend() {
    let (Some(s3), Some(az_endpoint), Some(az_account), Some(az_key)) = (
        var("REMOTE_STORE_S3_MOTO_ENDPOINT"),
        var("REMOTE_STORE_AZURITE_ENDPOINT"),
        var("REMOTE_STORE_AZURITE_ACCOUNT"),
        var("REMOTE_STORE_AZURITE_KEY"),
    ) else {
        return;
    };
    let (Some(host), Some(port), Some(user), Some(key), Some(host_key_pub), Some(base)) = (
        var("REMOTE_STORE_SFTP_HOST"),
        var("REMOTE_STORE_SFTP_PORT"),
        var("REMOTE_STORE_SFTP_USER"),
        var("REMOTE_STORE_SFTP_KEY"),
        var("REMOTE_STORE_SFTP_HOST_KEY_PUB"),
        var("REMOTE_STORE_SFTP_BASE"),
    ) else {
        return;
    };
    let host_key = std::fs::read_to_string(&host_key_pub).unwrap();
    let known = format!("[{host}]:{port} {}", host_key.trim());
    let extra = format!(
        "{s3}[backends.blobs]\ntype = \"azure\"\ncontainer = {container}\nendpoint = {az}\n\
         create_if_missing = true\n[backends.blobs.auth]\ntype = \"account_key\"\n\
         account = {account}\nkey = \"${{AZURE_KEY}}\"\n\n\
         [backends.box]\ntype = \"sftp\"\nhost = {host}\nport = {port}\nusername = {user}\n\
         base_path = {sftp_base}\ncreate_base_path = true\nhost_key_policy = \"strict\"\n\
         known_hosts = [{known}]\n[backends.box.auth]\nmethod = \"private_key\"\n\
         key = {{ file = {key} }}\n\n\
         [stores.azure]\nbackend = \"blobs\"\nroot = \"cli\"\n\n\
         [stores.sftp]\nbackend = \"box\"\nroot = \"cli\"\n",
        s3 = s3_table(&s3, &unique("rstore-chain")),
        container = quoted(&unique("rstore-chain")),
        az = quoted(&az_endpoint),
        account = quoted(&az_account),
        host = quoted(&host),
        port = port,
        user = quoted(&user),
        sftp_base = quoted(&format!("{base}/{}", unique("rstore-chain"))),
        known = quoted(&known),
        key = quoted(&key),
    );
    let env = Env::new(&extra);
    let vars = [
        ("S3_KEY_ID", "testing"),
        ("S3_SECRET", "testing"),
        ("AZURE_KEY", az_key.as_str()),
    ];
    make_tree(&env.path("src"), 24);
    let want = read_tree(&env.path("src"));

    for (from, to) in [
        ("src", "s3:t"),
        ("s3:t", "azure:t"),
        ("azure:t", "sftp:t"),
        ("sftp:t", "back"),
    ] {
        run(&env, &vars, &["cp", "-r", from, to]).code(0);
        run(&env, &vars, &["check", "src", to]).code(0);
    }
    assert_eq!(
        read_tree(&env.path("back")),
        want,
        "byte for byte after four hops"
    );

    // sync onto Azure: the dry run plans, changes nothing, then the sync does that
    std::fs::write(env.path("src/new.txt"), "new").unwrap();
    run(&env, &vars, &["put", "src/new.txt", "azure:t/"]).code(0);
    std::fs::remove_file(env.path("src/new.txt")).unwrap();
    std::fs::write(env.path("src/extra.txt"), "extra").unwrap();
    let plan = run(
        &env,
        &vars,
        &["sync", "--dry-run", "--delete", "src", "azure:t"],
    );
    plan.code(0);
    assert_eq!(plan.lines(), ["copy    extra.txt", "delete  new.txt"]);
    run(&env, &vars, &["check", "src", "azure:t"]).code(1);
    let done = run(&env, &vars, &["sync", "--delete", "src", "azure:t"]);
    done.code(0);
    assert_eq!(done.lines(), plan.lines());
    run(&env, &vars, &["check", "src", "azure:t"]).code(0);
    run(&env, &vars, &["rm", "-r", "sftp:t"]).code(0);
    run(&env, &vars, &["ls", "sftp:t"]).code(3);

    // mv -r across stores: every folder the move emptied goes, on the object stores and
    // on the SFTP server alike, with no "not removed" warning.
    for (from, to) in [
        ("azure:t", "sftp:m"),
        ("sftp:m", "s3:m"),
        ("s3:m", "azure:m"),
    ] {
        let moved = run(&env, &vars, &["mv", "-r", from, to]);
        moved.code(0);
        assert!(!moved.stderr.contains("not removed"), "{}", moved.stderr);
        run(&env, &vars, &["ls", from]).code(3);
        run(&env, &vars, &["check", "src", to]).code(0);
    }
}

/// Exit code 5 for a refused permission, from a real server (the local-path test cannot
/// show it when the tests run as root): s3s-fs refuses a wrong secret key, and the secret
/// never reaches the output.
#[test]
fn wrong_credentials_are_exit_5_and_stay_hidden() {
    let (Some(endpoint), Some(key)) = (
        var("REMOTE_STORE_S3_S3SFS_ENDPOINT"),
        var("REMOTE_STORE_S3_S3SFS_ACCESS_KEY"),
    ) else {
        return;
    };
    let secret = "not-the-secret-7f3a";
    let table = format!(
        "[backends.wrong]\ntype = \"s3\"\nbucket = {}\nendpoint = {}\nregion = \"us-east-1\"\n\
         force_path_style = true\naccess_key_id = {}\nsecret_access_key = {}\n\
         retry = {{ max_attempts = 1 }}\n\n[stores.wrong]\nbackend = \"wrong\"\n",
        quoted(&unique("rstore-denied")),
        quoted(&endpoint),
        quoted(&key),
        quoted(secret)
    );
    let env = Env::new(&table);
    let out = run(&env, &[], &["ls", "wrong:"]);
    out.code(5);
    assert!(
        !out.stderr.contains(secret) && !out.stdout.contains(secret),
        "the secret was printed: {}",
        out.stderr
    );
}

/// A failed SFTP ping names the store it is about (the backend's error names no path), so
/// `ping` and `config check` over several stores tell them apart.
#[test]
fn a_failed_sftp_ping_names_its_store() {
    let (Some(host), Some(port), Some(key), Some(host_key_pub)) = (
        var("REMOTE_STORE_SFTP_HOST"),
        var("REMOTE_STORE_SFTP_PORT"),
        var("REMOTE_STORE_SFTP_KEY"),
        var("REMOTE_STORE_SFTP_HOST_KEY_PUB"),
    ) else {
        return;
    };
    let host_key = std::fs::read_to_string(&host_key_pub).unwrap();
    let known = format!("[{host}]:{port} {}", host_key.trim());
    let table = format!(
        "[backends.box]\ntype = \"sftp\"\nhost = {host}\nport = {port}\n\
         username = \"no-such-user\"\nhost_key_policy = \"strict\"\nknown_hosts = [{known}]\n\
         [backends.box.auth]\nmethod = \"private_key\"\nkey = {{ file = {key} }}\n\n\
         [stores.sftpbox]\nbackend = \"box\"\n",
        host = quoted(&host),
        known = quoted(&known),
        key = quoted(&key),
    );
    let env = Env::new(&table);
    let out = run(&env, &[], &["ping", "sftpbox:"]);
    out.code(5);
    assert!(out.stderr.contains("sftpbox:"), "{}", out.stderr);
    // At -vv the SSH stack's own events (it logs through the `log` crate) are shown, as
    // the HTTP stack's are: what an operator debugging a login needs.
    let out = run(&env, &[], &["-vv", "ping", "sftpbox:"]);
    out.code(5);
    assert!(out.stderr.contains(" russh::"), "{}", out.stderr);
    assert!(!out.stderr.contains("BEGIN OPENSSH"), "{}", out.stderr);
}

/// Two stores of the config over one S3 backend are one place for the keys they share:
/// `mv` of an object onto itself through the other store is refused and the object kept
/// (it was copied onto itself, then deleted). And `put -` into a bucket that does not
/// exist yet creates it, as `put FILE` does, where the backend has `create_if_missing`.
#[test]
fn one_s3_object_through_two_stores_is_never_moved_onto_itself() {
    let Some(endpoint) = var("REMOTE_STORE_S3_MOTO_ENDPOINT") else {
        return;
    };
    let table = format!(
        "{}[stores.s3b]\nbackend = \"lake\"\n\n",
        s3_table(&endpoint, &unique("rstore-same"))
    );
    let env = Env::new(&table);
    let vars = [("S3_KEY_ID", "test"), ("S3_SECRET", "test")];
    let mut cmd = env.cmd(&["put", "-", "s3:p.txt"]);
    for (k, v) in vars {
        cmd.env(k, v);
    }
    cmd.stdin(std::process::Stdio::piped());
    let mut child = cmd.spawn().unwrap();
    {
        use std::io::Write as _;
        child.stdin.take().unwrap().write_all(b"keep me").unwrap();
    }
    assert!(child.wait().unwrap().success(), "put - into a new bucket");
    let run = run(
        &env,
        &vars,
        &["mv", "--overwrite", "s3:p.txt", "s3b:cli/p.txt"],
    );
    run.code(2);
    assert!(run.stderr.contains("same file"), "{}", run.stderr);
    let kept = self::run(&env, &vars, &["cat", "s3:p.txt"]);
    kept.code(0);
    assert_eq!(kept.stdout, "keep me");
    // A trailing '/' means "into a folder": onto a file it is refused, where S3 would
    // write below the file and leave a name that is both.
    let local = env.path("l.txt");
    std::fs::write(&local, "l").unwrap();
    let local = local.display().to_string();
    for args in [
        &["cp", &local, "s3:p.txt/"][..],
        &["put", &local, "s3:p.txt/"],
    ] {
        let refused = self::run(&env, &vars, args);
        refused.code(2);
        assert!(
            refused.stderr.contains("is a file"),
            "{args:?}: {}",
            refused.stderr
        );
    }
    let listed = self::run(&env, &vars, &["ls", "s3:"]);
    listed.code(0);
    assert_eq!(listed.lines(), ["p.txt"], "{}", listed.stdout);
}

/// A move between two spellings of one object that the tool cannot tell apart (a URL and a
/// configured store over the same bucket) copies the object onto itself; the source is
/// then deleted only if it is still the version that was copied, so the object survives.
#[test]
fn a_move_onto_the_same_object_by_another_name_keeps_it() {
    let Some(endpoint) = var("REMOTE_STORE_S3_MOTO_ENDPOINT") else {
        return;
    };
    let bucket = unique("rstore-spell");
    let env = Env::new(&s3_table(&endpoint, &bucket));
    let vars = [
        ("S3_KEY_ID", "testing"),
        ("S3_SECRET", "testing"),
        ("AWS_ACCESS_KEY_ID", "testing"),
        ("AWS_SECRET_ACCESS_KEY", "testing"),
    ];
    std::fs::write(env.path("p.txt"), "keep me").unwrap();
    run(&env, &vars, &["put", "p.txt", "s3:p.txt"]).code(0);
    // The copy onto itself gets a later modification time (S3 keeps whole seconds).
    std::thread::sleep(std::time::Duration::from_millis(1100));
    let url = format!(
        "s3://{bucket}/cli/p.txt?endpoint={endpoint}&force_path_style=true&region=us-east-1"
    );
    let moved = run(&env, &vars, &["mv", "--overwrite", &url, "s3:p.txt"]);
    moved.code(10);
    assert!(moved.stderr.contains("source changed"), "{}", moved.stderr);
    let kept = run(&env, &vars, &["cat", "s3:p.txt"]);
    kept.code(0);
    assert_eq!(kept.stdout, "keep me");
}

/// On S3 a key can be both an object and a folder (`both` and `both/x`, written by other
/// tools): `cp -r s3:both/` copies the folder's tree, not the object of the same name.
#[test]
fn a_tree_copy_of_a_folder_that_is_also_an_object_copies_the_tree() {
    let Some(endpoint) = var("REMOTE_STORE_S3_MOTO_ENDPOINT") else {
        return;
    };
    let env = Env::new(&s3_table(&endpoint, &unique("rstore-both")));
    let vars = [("S3_KEY_ID", "testing"), ("S3_SECRET", "testing")];
    std::fs::write(env.path("x.txt"), "in the folder").unwrap();
    std::fs::write(env.path("o.txt"), "the object").unwrap();
    // The object first: a strict store refuses a file where a folder is, not the reverse
    // (S3 does not check the ancestors of a key by default).
    run(&env, &vars, &["put", "o.txt", "s3:both"]).code(0);
    run(&env, &vars, &["put", "x.txt", "s3:both/x.txt"]).code(0);
    let out = env.path("out").display().to_string();
    run(&env, &vars, &["cp", "-r", "s3:both/", &out]).code(0);
    assert_eq!(
        std::fs::read_to_string(env.path("out/x.txt")).unwrap(),
        "in the folder"
    );
}

/// Objects whose keys cannot be store paths (`a//b`, a backslash) are left out of listings,
/// so `mv -r` does not move them — and must not delete them either: the clean-up after
/// the move removes only folders that are really empty, and names the one that is not.
/// The odd keys are written with plain unsigned PUTs, which moto accepts.
#[test]
fn mv_of_an_s3_tree_keeps_the_objects_it_could_not_list() {
    let Some(endpoint) = var("REMOTE_STORE_S3_MOTO_ENDPOINT") else {
        return;
    };
    let bucket = unique("rstore-hidden");
    let env = Env::new(&s3_table(&endpoint, &bucket));
    let vars = [("S3_KEY_ID", "test"), ("S3_SECRET", "test")];
    std::fs::create_dir(env.path("t")).unwrap();
    std::fs::write(env.path("t/ok.txt"), "ok").unwrap();
    run(&env, &vars, &["cp", "-r", "t", "s3:w1"]).code(0);
    let script = r#"
import sys, urllib.request
endpoint, bucket, action = sys.argv[1:4]
if action == "put":
    for key in ["cli/w1/win%5Cfile.txt", "cli/w1/sub/a%2F%2Fb.txt"]:
        req = urllib.request.Request(f"{endpoint}/{bucket}/{key}", data=b"odd", method="PUT")
        urllib.request.urlopen(req)
else:
    print(urllib.request.urlopen(f"{endpoint}/{bucket}?list-type=2").read().decode())
"#;
    let python = |action: &str| {
        let out = std::process::Command::new("python3")
            .args(["-c", script, &endpoint, &bucket, action])
            .output()
            .expect("python3");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    };
    python("put");
    let moved = run(&env, &vars, &["mv", "-r", "s3:w1", "s3:w2"]);
    moved.code(7);
    assert!(moved.stderr.contains("moved 1 file(s)"), "{}", moved.stderr);
    assert!(moved.stderr.contains("was not removed"), "{}", moved.stderr);
    assert!(
        moved.stderr.contains("1 folder(s) left in place"),
        "{}",
        moved.stderr
    );
    // The listing named what it left out.
    for odd in ["cli/w1/win\\\\file.txt", "cli/w1/sub/a//b.txt"] {
        assert!(
            moved
                .stderr
                .lines()
                .any(|l| l.contains("left out of the listing") && l.contains(odd)),
            "{odd}: {}",
            moved.stderr
        );
    }
    let keys = python("list");
    for kept in [
        "cli/w1/win\\file.txt",
        "cli/w1/sub/a//b.txt",
        "cli/w2/ok.txt",
    ] {
        assert!(
            keys.contains(&format!("<Key>{kept}</Key>")),
            "{kept} gone: {keys}"
        );
    }
    assert!(!keys.contains("<Key>cli/w1/ok.txt</Key>"), "{keys}");
}
