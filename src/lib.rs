//! Apiary: observability analytics over Apache Arrow, in the browser and on the command line.
//!
//! The engine (everything but [`web`]) is plain Rust over arrow-rs arrays: it builds and is tested
//! natively, and the same code runs in WebAssembly. Browser code lives in [`web`], compiled only for
//! `wasm32`.

pub mod backend;
pub mod board;
pub mod bubbleup;
pub mod dataset;
pub mod demo;
pub mod derive;
pub mod error;
#[doc(hidden)]
pub mod fuzz_support;
pub mod ingest;
pub mod pace;
pub mod marker;
pub mod markdown;
pub mod permalink;
pub mod quality;
pub mod query;
pub mod slo;
pub mod snapshot;
pub mod render;
pub mod trace;
pub mod trigger;
pub mod value;

#[cfg(all(target_arch = "wasm32", not(feature = "decoder")))]
pub mod web;

/// Deterministic pseudo-random numbers for the unit tests (xorshift64; the integration tests
/// have `tests/common::xorshift`).
#[cfg(test)]
pub(crate) fn xorshift(seed: u64) -> impl FnMut() -> u64 {
    let mut x = seed;
    move || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x
    }
}

pub use dataset::DataSet;
pub use error::{Error, Result};
pub use query::{QueryResult, QuerySpec};
