//! Stores by name: loads `registry.toml` (a local store and a memory store), writes and
//! reads through both, in both halves, and says what it did.
//!
//! ```sh
//! cargo run --example registry
//! ```

use remote_store_config::Registry;

fn main() -> remote_store_core::Result<()> {
    let file = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/registry.toml");
    // Checks every backend and store up front; nothing is built or connected yet.
    let registry = Registry::from_toml_file(file)?;
    println!(
        "loaded {file}: stores {:?}",
        registry.store_names().collect::<Vec<_>>()
    );

    // Built on first use; every store over a backend shares it.
    let reports = registry.store("reports")?;
    reports.write_with(
        "2026/q3.csv",
        "region,total\nnorth,7\n",
        remote_store_core::WriteOptions::overwriting(),
    )?;
    println!(
        "reports: wrote 2026/q3.csv ({})",
        reports.native_path("2026/q3.csv")?
    );

    let cache = registry.store("cache")?;
    cache.write("last-run.txt", "ok")?;
    println!("cache: wrote last-run.txt in memory");

    // The async half: the same backends, the same memory tree.
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a tokio runtime");
    runtime.block_on(async {
        let cache = registry.async_store("cache")?;
        let text = cache.read_text("last-run.txt").await?;
        println!("cache (async): last-run.txt says {text:?}");
        let reports = registry.async_store("reports")?;
        let csv = reports.read_text("2026/q3.csv").await?;
        println!(
            "reports (async): 2026/q3.csv has {} lines",
            csv.lines().count()
        );
        Ok::<_, remote_store_core::Error>(())
    })?;

    println!("built backends: {:?}", registry.built_backends());
    registry.close()?;
    println!("closed every backend");
    Ok(())
}
