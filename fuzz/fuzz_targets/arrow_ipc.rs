//! Fuzz the Arrow IPC readers (stream, whole or arriving in pieces, and file, after the
//! structural checks): any bytes give
//! batches or an error, never a panic or a runaway allocation.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    // What decodes is loaded and queried once per input (the first way that decodes it): the
    // queries are most of an input's time, and the ways in decode the same messages.
    let mut exercised = false;
    let mut exercise = |batches| {
        if !std::mem::replace(&mut exercised, true) {
            apiary::fuzz_support::exercise(batches);
        }
    };
    if let Ok(batches) = apiary::ingest::arrow_ipc::read_stream("fuzz", data) {
        exercise(batches);
    }
    if let Ok(batches) = apiary::ingest::arrow_ipc::read_stream_owned("fuzz", data.to_vec()) {
        exercise(batches);
    }
    // The same bytes arriving in pieces (sizes taken from the data), as an HTTP body does.
    let mut r = apiary::ingest::Receiving::new("fuzz", 1 << 26);
    let piece = 1 + data.first().copied().unwrap_or(0) as usize * 7;
    if data.chunks(piece).try_for_each(|c| r.push(c)).is_ok() {
        if let Ok(loaded) = r.finish().and_then(|d| d.finish()) {
            exercise(loaded.batches);
        }
    }
    if let Ok(batches) = apiary::ingest::arrow_ipc::read_file("fuzz", data) {
        exercise(batches);
    }
});
