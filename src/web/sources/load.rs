//! Loading a source: work the app starts (a URL fetched with progress and Cancel, local files
//! read one after another), reporting what happens as [`Event`]s; it never touches the app or
//! the panel. An Arrow IPC stream, NDJSON, CSV and OTLP/JSON lines from a URL are decoded as
//! their bytes arrive ([`ingest::Receiving`]), so their rows are ready with the last byte; other
//! formats are decoded once all bytes are in (see [`decode_file`]).

use crate::ingest;
use crate::web::decode_worker;
use crate::web::dispatch::Dispatch;
use crate::web::{dom, fetch};

/// What a load reports, in order: `Started`, progress events, then `Read` (local files, before
/// decoding) and `Done`.
pub enum Event {
    /// A load began; `cancel` stops it.
    Started { what: String, total: Option<usize>, cancel: Option<web_sys::AbortController> },
    /// Bytes arriving: how many of how many, and the rows decoded from them so far.
    Receiving { what: String, got: usize, total: Option<usize>, rows: usize },
    /// Decoding in the page: rows so far, and how far through the bytes.
    Decoding { what: String, rows: usize, done: usize, total: usize },
    /// A worker decodes (no rows to count until it is done).
    Busy { what: String, format: &'static str },
    /// A local file's bytes are in: its name, size and content hash.
    Read { name: String, size: usize, hash: String },
    /// The load ended: the decoded source, or the error (nothing was added).
    Done { name: String, url: Option<String>, bytes: usize, hash: Option<String>, out: Result<ingest::Loaded, String> },
}

/// How a load may go: at most `cap` bytes, the page's turn every `slice_ms` of decoding.
#[derive(Clone, Copy)]
pub struct Limits {
    pub cap: usize,
    pub slice_ms: f64,
}

/// Fetch `url` and decode it, reporting through `d`.
pub fn url(url: String, limits: Limits, d: Dispatch<Event>) {
    let ctrl = web_sys::AbortController::new().ok();
    d.send(Event::Started { what: url.clone(), total: None, cancel: ctrl.clone() });
    wasm_bindgen_futures::spawn_local(async move {
        let signal = ctrl.as_ref().map(|c| c.signal());
        let mut receiving = ingest::Receiving::new(&url, limits.cap);
        let mut progress = Progress::new(&url, limits, &d);
        let got = fetch::fetch_pieces(&url, signal.as_ref(), limits.cap, limits.slice_ms, |piece, n, total| {
            receiving.push_piece(piece).map_err(|e| e.to_string())?;
            progress.show(n, total, receiving.rows());
            Ok(())
        })
        .await;
        let (bytes, out) = match got {
            Ok(len) => (len, received(&url, receiving, len, limits, signal.as_ref(), &d).await),
            Err(e) => (0, Err(e)),
        };
        d.send(Event::Done { name: url.clone(), url: Some(url), bytes, hash: None, out });
    });
}

/// Progress at most every 50 ms (a body comes in thousands of pieces), or as often as the host
/// gives the page its turn when that is more often (`data-decode-slice-ms`).
struct Progress<'a> {
    what: &'a str,
    d: &'a Dispatch<Event>,
    every_ms: f64,
    shown: f64,
}

impl<'a> Progress<'a> {
    fn new(what: &'a str, limits: Limits, d: &'a Dispatch<Event>) -> Progress<'a> {
        Progress { what, d, every_ms: limits.slice_ms.min(50.0), shown: f64::NEG_INFINITY }
    }

    fn show(&mut self, got: usize, total: Option<usize>, rows: usize) {
        let now = dom::now();
        if now - self.shown >= self.every_ms || total == Some(got) {
            self.shown = now;
            self.d.send(Event::Receiving { what: self.what.to_string(), got, total, rows });
        }
    }
}

/// All bytes are in: what was decoded as it came, finished; the rest decoded now.
async fn received(name: &str, receiving: ingest::Receiving, len: usize, limits: Limits, signal: Option<&web_sys::AbortSignal>, d: &Dispatch<Event>) -> Result<ingest::Loaded, String> {
    match receiving.into_bytes() {
        Ok(bytes) => decode_file(name, bytes, limits, signal, d).await,
        Err(streamed) => match streamed.finish() {
            Ok(dec) => decode(name, dec, len, limits, signal, d).await,
            Err(e) => Err(e.to_string()),
        },
    }
}

/// Read local files one after another and decode each, reporting through `d`. A file is read
/// as a stream, each piece copied once into wasm memory where it belongs, and decoded as it is
/// read where its format allows (as a URL's body is); its content hash is taken on the way.
pub fn files(files: Vec<web_sys::File>, limits: Limits, d: Dispatch<Event>) {
    wasm_bindgen_futures::spawn_local(async move {
        for f in files {
            let name = f.name();
            let ctrl = web_sys::AbortController::new().ok();
            d.send(Event::Started { what: name.clone(), total: Some(f.size() as usize), cancel: ctrl.clone() });
            let signal = ctrl.as_ref().map(|c| c.signal());
            let mut receiving = ingest::Receiving::new(&name, limits.cap).hashing();
            let mut progress = Progress::new(&name, limits, &d);
            let got = fetch::blob_pieces(&name, &f, limits.cap, limits.slice_ms, |piece, n, total| {
                if signal.as_ref().is_some_and(|s| s.aborted()) {
                    return Err(format!("loading {name} was cancelled; nothing was added"));
                }
                receiving.push_piece(piece).map_err(|e| e.to_string())?;
                progress.show(n, total, receiving.rows());
                Ok(())
            })
            .await;
            let (len, hash, out) = match got {
                Ok(len) => {
                    let hash = receiving.content_hash().unwrap_or_default();
                    d.send(Event::Read { name: name.clone(), size: len, hash: hash.clone() });
                    (len, Some(hash), received(&name, receiving, len, limits, signal.as_ref(), &d).await)
                }
                Err(e) => (0, None, Err(e)),
            };
            d.send(Event::Done { name, url: None, bytes: len, hash, out });
        }
    });
}

/// Decode a whole file: Arrow IPC in the page (an IPC stream's batches slice the bytes: no copy,
/// decoded in slices; ZSTD-compressed IPC goes to the decoder module), every other format in a worker ([`decode_worker`]: the page stays
/// responsive and a decoder that crashes takes only the worker down), or in the page when no
/// worker can start.
async fn decode_file(name: &str, bytes: Vec<u8>, limits: Limits, signal: Option<&web_sys::AbortSignal>, d: &Dispatch<Event>) -> Result<ingest::Loaded, String> {
    let len = bytes.len();
    let format = ingest::detect(name, &bytes).map_err(|e| e.to_string())?;
    // Arrow IPC decodes in the page unless its buffers are ZSTD (C: only the decoder module has it).
    if !matches!(format, ingest::Format::ArrowStream | ingest::Format::ArrowFile) || ingest::needs_zstd(&bytes) {
        d.send(Event::Busy { what: name.to_string(), format: format.name() });
        if let Some(out) = decode_worker::load(name, &bytes, signal).await {
            return out;
        }
    }
    let dec = ingest::Decoding::start(name, bytes).map_err(|e| e.to_string())?;
    decode(name, dec, len, limits, signal, d).await
}

/// Decode a source a step at a time (an Arrow stream: batch by batch), giving the page its turn
/// every `slice_ms` (40 by default) so it stays responsive, with the rows decoded so far in the
/// progress; Cancel (`signal`) stops it between steps. `total`: the source's size in bytes.
async fn decode(name: &str, mut dec: ingest::Decoding, total: usize, limits: Limits, signal: Option<&web_sys::AbortSignal>, d: &Dispatch<Event>) -> Result<ingest::Loaded, String> {
    let mut slice_start = dom::now();
    while dec.step().map_err(|e| e.to_string())? {
        if dom::now() - slice_start < limits.slice_ms {
            continue;
        }
        d.send(Event::Decoding { what: name.to_string(), rows: dec.rows(), done: total - dec.remaining().min(total), total });
        dom::yield_now().await;
        if signal.is_some_and(|s| s.aborted()) {
            return Err(format!("loading {name} was cancelled; nothing was added"));
        }
        slice_start = dom::now();
    }
    dec.finish().map_err(|e| e.to_string())
}
