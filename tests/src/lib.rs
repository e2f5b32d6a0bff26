//! Test support for remote-store's cross-crate tests: emulator discovery and a
//! fault-injection TCP proxy.
//!
//! The conformance cells and backend tests live in `tests/tests/*.rs`; this library holds
//! what they share.

pub mod emulator;
pub mod proxy;
