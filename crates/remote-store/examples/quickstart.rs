//! The remote-store quickstart: a `Store` over a local temp directory — write (plain,
//! streamed, atomic), list, read, copy, move, delete — then the same contract from async
//! code with an `AsyncStore`. Run it with `cargo run --example quickstart`.
//!
//! Swap `LocalBackend` for `S3Backend`, `AzureBackend` or `SftpBackend` and nothing else
//! in this file changes.

use std::io::Read;

use futures::StreamExt;
use remote_store::local::{AsyncLocalBackend, LocalBackend};
use remote_store::{
    AsyncStore, Capability, Content, ErrorKind, ListOptions, Result, Store, WriteOptions,
};

fn main() -> Result<()> {
    let dir = tempfile::tempdir().expect("a temp directory");
    println!("remote-store quickstart in {}\n", dir.path().display());

    // --- The blocking client -------------------------------------------------------------
    let store = Store::new(LocalBackend::new(dir.path())?, "")?;
    println!("Store over backend '{}'", store.name());
    println!("  capabilities: {}\n", store.capabilities());

    println!("Writing:");
    let r = store.write_text("notes/hello.txt", "Hello, remote-store!\n")?;
    println!(
        "  {:<15} {:<24} {:>9} bytes",
        "write",
        r.path.as_str(),
        r.size
    );

    let csv = "region,total\nnorth,7\nsouth,12\n";
    let r = store.write("reports/2024/q3.csv", csv)?;
    println!(
        "  {:<15} {:<24} {:>9} bytes",
        "write",
        r.path.as_str(),
        r.size
    );

    // Streamed: any `Read` is consumed to its end with bounded memory; the result reports
    // the true size.
    let five_mib = std::io::repeat(b'.').take(5 * 1024 * 1024);
    let r = store.write("blobs/big.bin", Content::reader(five_mib))?;
    println!(
        "  {:<15} {:<24} {:>9} bytes",
        "write (stream)",
        r.path.as_str(),
        r.size
    );

    // Atomic: readers see the old content or the new, never a partial file.
    let settings = r#"{"theme": "dark", "retries": 3}"#;
    let r = store.write_atomic("config/settings.json", settings)?;
    println!(
        "  {:<15} {:<24} {:>9} bytes",
        "write_atomic",
        r.path.as_str(),
        r.size
    );

    // Safe by default: overwrite is false unless asked.
    match store.write_text("notes/hello.txt", "again") {
        Err(e) if e.kind() == ErrorKind::AlreadyExists => println!("  {:<15} {e}", "refused"),
        other => panic!("expected AlreadyExists, got {other:?}"),
    }
    store.write_text_with(
        "notes/hello.txt",
        "Hello again!\n",
        WriteOptions::overwriting(),
    )?;
    println!(
        "  {:<15} notes/hello.txt (asked for explicitly)\n",
        "overwrite"
    );

    println!("Listing everything (recursive):");
    let mut files = store
        .list_files_with("", ListOptions::new().recursive(true))?
        .collect::<Result<Vec<_>>>()?;
    files.sort_by(|a, b| a.path.cmp(&b.path));
    for f in &files {
        println!("  {:<28} {:>9} bytes", f.path.as_str(), f.size);
    }
    let info = store.get_folder_info("")?;
    println!(
        "  = {} files, {} bytes in total\n",
        info.file_count, info.total_size
    );

    println!("Reading:");
    println!(
        "  notes/hello.txt  -> {:?}",
        store.read_text("notes/hello.txt")?
    );
    let mut first_line = String::new();
    store
        .read_range("reports/2024/q3.csv", 0..12)?
        .read_to_string(&mut first_line)
        .expect("readable");
    println!("  q3.csv bytes 0..12 -> {first_line:?}");
    let matches: Vec<_> = store
        .glob("**/*.csv")?
        .map(|f| f.map(|f| f.path.to_string()))
        .collect::<Result<_>>()?;
    println!("  glob **/*.csv    -> {matches:?}\n");

    println!("Copying, moving, deleting:");
    store.copy_file("reports/2024/q3.csv", "archive/q3.csv")?;
    println!("  copy   reports/2024/q3.csv -> archive/q3.csv");
    store.move_file("notes/hello.txt", "archive/hello.txt")?;
    println!("  move   notes/hello.txt -> archive/hello.txt (one atomic rename)");
    store.delete("blobs/big.bin")?;
    println!("  delete blobs/big.bin");
    store.delete_folder("blobs")?;
    println!("  delete_folder blobs (it was empty)");
    for p in ["notes/hello.txt", "archive/hello.txt", "blobs"] {
        println!("  exists({p:?}) = {}", store.exists(p)?);
    }

    // Keys can never leave the store's root.
    let escape = store.read_text("../outside.txt").unwrap_err();
    println!("  read ../outside.txt -> {escape}\n");

    // --- The async client: the same contract, awaited ------------------------------------
    let runtime = tokio::runtime::Runtime::new().expect("a tokio runtime");
    runtime.block_on(async {
        let store = AsyncStore::new(AsyncLocalBackend::new(dir.path())?, "")?;
        println!("AsyncStore over the same folder:");
        let r = store
            .write_atomic("async/hello.txt", "written from async code")
            .await?;
        println!("  write_atomic {} ({} bytes)", r.path, r.size);
        println!(
            "  read_text    -> {:?}",
            store.read_text("async/hello.txt").await?
        );
        let mut children = store.iter_children("archive")?;
        let mut names = Vec::new();
        while let Some(entry) = children.next().await {
            names.push(entry?.name().to_owned());
        }
        names.sort();
        println!("  iter_children(archive) -> {names:?}");
        println!(
            "  supports atomic_move: {}",
            store.supports(Capability::AtomicMove)
        );
        Ok::<_, remote_store::Error>(())
    })?;

    println!("\nDone; the temp directory is removed on exit.");
    Ok(())
}
