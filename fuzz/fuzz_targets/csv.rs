//! Fuzz the csv decoder: any bytes give batches or an error, never a panic; what decodes also
//! loads into a data set and answers a query.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(batches) = apiary::ingest::csv::read("fuzz", data) {
        apiary::fuzz_support::exercise(batches);
    }
});
