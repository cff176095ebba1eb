//! Decoding in a separate WebAssembly instance (the page runs it in a Worker): the request and
//! answer are plain bytes, so the instance needs no bindings. A decoder that panics (the parquet
//! crate can, on corrupted page data) then kills only that instance; the page reports it and keeps
//! its data. Decoding CSV, NDJSON or Parquet there also keeps the page responsive.
//!
//! Request: name length (u32 LE), name (UTF-8), the file's bytes.
//! Answer: format index (u8, see [`FORMATS`]), then the decoded batches as an uncompressed Arrow
//! IPC stream (the page loads it without copying its buffers); or, on error, the error text.

use super::{arrow_ipc, load, Format};

/// Formats by their index in an answer.
pub const FORMATS: [Format; 6] = [Format::ArrowFile, Format::ArrowStream, Format::Parquet, Format::Csv, Format::NdJson, Format::OtlpJson];

/// Build a request.
pub fn request(name: &str, bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(4 + name.len() + bytes.len());
    out.extend_from_slice(&(name.len() as u32).to_le_bytes());
    out.extend_from_slice(name.as_bytes());
    out.extend_from_slice(bytes);
    out
}

/// Serve a request: the answer, or the error text.
pub fn serve(request: &[u8]) -> Result<Vec<u8>, String> {
    let n = request.get(..4).map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]) as usize).ok_or("a request shorter than its header")?;
    let name = request.get(4..4 + n).and_then(|b| std::str::from_utf8(b).ok()).ok_or("a request with a bad name")?;
    let bytes = &request[4 + n..];
    let loaded = load(name, bytes).map_err(|e| e.to_string())?;
    let format = FORMATS.iter().position(|f| *f == loaded.format).unwrap_or(0) as u8;
    let ipc = if loaded.batches.is_empty() { Vec::new() } else { arrow_ipc::write_stream_plain(&loaded.batches).map_err(|e| format!("{name}: {e}"))? };
    let mut out = Vec::with_capacity(1 + ipc.len());
    out.push(format);
    out.extend_from_slice(&ipc);
    Ok(out)
}

/// Read an answer: the format and the Arrow IPC stream (empty when the file had no batches).
pub fn answer(bytes: &[u8]) -> Result<(Format, &[u8]), String> {
    let (&f, ipc) = bytes.split_first().ok_or("an empty answer from the decoder")?;
    let format = *FORMATS.get(f as usize).ok_or("an answer with an unknown format")?;
    Ok((format, ipc))
}

/// The exports a Worker calls (the page's module and the decoder module alike): plain numbers in
/// and out, no bindings.
#[cfg(target_arch = "wasm32")]
#[doc(hidden)]
pub mod exports {
    use std::cell::RefCell;

    thread_local! {
        static INPUT: RefCell<Vec<u8>> = const { RefCell::new(Vec::new()) };
        static OUTPUT: RefCell<Vec<u8>> = const { RefCell::new(Vec::new()) };
    }

    /// Worker side: room for a request of `len` bytes; returns where to write it.
    #[no_mangle]
    pub extern "C" fn apiary_isolated_input(len: usize) -> *mut u8 {
        INPUT.with(|i| {
            let mut i = i.borrow_mut();
            i.clear();
            i.resize(len, 0);
            i.as_mut_ptr()
        })
    }

    /// Worker side: serve the request; 0 when the output is an answer, 1 when it is an error text.
    #[no_mangle]
    pub extern "C" fn apiary_isolated_run() -> u32 {
        let request = INPUT.with(|i| std::mem::take(&mut *i.borrow_mut()));
        let (status, out) = match super::serve(&request) {
            Ok(a) => (0, a),
            Err(e) => (1, e.into_bytes()),
        };
        OUTPUT.with(|o| *o.borrow_mut() = out);
        status
    }

    /// Worker side: the output's address and length (written to `at`: two u32).
    #[no_mangle]
    pub extern "C" fn apiary_isolated_output(at: *mut u32) {
        OUTPUT.with(|o| {
            let o = o.borrow();
            // SAFETY: the worker script passes the address of 8 bytes it allocated in this memory.
            unsafe {
                *at = o.as_ptr() as u32;
                *at.add(1) = o.len() as u32;
            }
        })
    }

}
