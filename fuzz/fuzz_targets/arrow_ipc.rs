//! Fuzz the Arrow IPC readers (stream, whole or arriving in pieces, and file, after the
//! structural checks): any bytes give
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
    // The same bytes arriving in pieces (sizes taken from the data), as an HTTP body does.
    let mut r = apiary::ingest::Receiving::new("fuzz", 1 << 26);
    let piece = 1 + data.first().copied().unwrap_or(0) as usize * 7;
    if data.chunks(piece).try_for_each(|c| r.push(c)).is_ok() {
        if let Ok(loaded) = r.finish().and_then(|d| d.finish()) {
            apiary::fuzz_support::exercise(loaded.batches);
        }
    }
    if let Ok(batches) = apiary::ingest::arrow_ipc::read_file("fuzz", data) {
        apiary::fuzz_support::exercise(batches);
    }
});
