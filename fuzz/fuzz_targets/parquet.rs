//! Fuzz the parquet decoder: any bytes give batches or an error, never a panic of ours; what
//! decodes also loads into a data set and answers a query.
//!
//! A panic inside the parquet crate's page decoders is turned into an error by
//! `ingest::parquet::read` where panics unwind (natively; in the browser the decoder runs in a
//! worker of its own); `quiet_decoder_panics` keeps only those from reaching libFuzzer's panic
//! hook, so every other panic is still a crash.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    apiary::ingest::parquet::quiet_decoder_panics();
    if let Ok(batches) = apiary::ingest::parquet::read("fuzz", data) {
        apiary::fuzz_support::exercise(batches);
    }
});
