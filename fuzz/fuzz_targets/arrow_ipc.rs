//! Fuzz the Arrow IPC readers (stream and file, after the structural checks): any bytes give
//! batches or an error, never a panic or a runaway allocation.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(batches) = apiary::ingest::arrow_ipc::read_stream("fuzz", data) {
        apiary::fuzz_support::exercise(batches);
    }
    if let Ok(batches) = apiary::ingest::arrow_ipc::read_stream_owned("fuzz", data.to_vec()) {
        apiary::fuzz_support::exercise(batches);
    }
    if let Ok(batches) = apiary::ingest::arrow_ipc::read_file("fuzz", data) {
        apiary::fuzz_support::exercise(batches);
    }
});
