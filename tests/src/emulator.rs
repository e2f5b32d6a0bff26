//! Finding the emulators that `cargo xtask test` started.
//!
//! `cargo xtask test` starts every emulator on 127.0.0.1, exports its endpoint in an
//! environment variable and sets `REMOTE_STORE_REQUIRE_EMULATORS=1`. Under plain
//! `cargo test` the variables are absent: emulator-backed tests then skip with one loud
//! line naming `cargo xtask test`. With `REMOTE_STORE_REQUIRE_EMULATORS=1` a missing
//! variable is a failure, so CI can never go green by skipping.

/// The variable `cargo xtask test` sets to turn a missing emulator into a failure.
pub const REQUIRE_VAR: &str = "REMOTE_STORE_REQUIRE_EMULATORS";

/// True when missing emulators must fail the run.
pub fn required() -> bool {
    std::env::var(REQUIRE_VAR).is_ok_and(|v| !v.is_empty() && v != "0")
}

/// The value of emulator variable `name`.
///
/// Returns `None` (after printing one loud SKIP line) when it is missing under plain
/// `cargo test`.
///
/// # Panics
/// When the variable is missing and [`required`] is true.
pub fn var(name: &str) -> Option<String> {
    match std::env::var(name) {
        Ok(v) if !v.is_empty() => Some(v),
        _ if required() => panic!(
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

/// All of `names`, or `None` (with one SKIP line) when any is missing.
///
/// # Panics
/// As [`var`].
pub fn vars<const N: usize>(names: [&str; N]) -> Option<[String; N]> {
    let mut out: [String; N] = std::array::from_fn(|_| String::new());
    for (slot, name) in out.iter_mut().zip(names) {
        *slot = var(name)?;
    }
    Some(out)
}
