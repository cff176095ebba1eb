//! Getting bytes into the page: HTTP fetch with progress and cancel, and local files.

use std::cell::Cell;
use std::rc::Rc;

use js_sys::{Reflect, Uint8Array};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{AbortSignal, ReadableStreamDefaultReader, RequestInit, Response};

use super::dom::window;

pub fn js_err(e: &JsValue) -> String {
    e.as_string()
        .or_else(|| e.dyn_ref::<js_sys::Error>().map(|x| String::from(x.message())))
        .unwrap_or_else(|| format!("{e:?}"))
}

/// Does `url` answer from here (a HEAD request: no body comes)? Network and CORS errors and
/// HTTP errors are a no; a server that refuses HEAD but answers is a yes.
pub async fn reachable(url: &str) -> bool {
    let Ok(win) = window() else { return false };
    let init = RequestInit::new();
    init.set_method("HEAD");
    match JsFuture::from(win.fetch_with_str_and_init(url, &init)).await {
        Ok(r) => r.dyn_into::<Response>().is_ok_and(|r| r.ok() || r.status() == 405),
        Err(_) => false,
    }
}

/// The most bytes handed on at once (decoding 256 KB of NDJSON takes a few milliseconds).
const PART: u32 = 256 << 10;

/// A chunk of a body or a file as it came from JavaScript: a view, copied out only into where its
/// bytes go ([`crate::ingest::Piece`]).
pub struct JsPiece(Uint8Array);

impl crate::ingest::Piece for JsPiece {
    fn len(&self) -> usize {
        self.0.length() as usize
    }
    fn copy_out(&self, at: usize, dst: &mut [std::mem::MaybeUninit<u8>]) {
        self.0.subarray(at as u32, (at + dst.len()) as u32).copy_to_uninit(dst);
    }
}

/// GET `url`, handing the body to `each(piece, received, total)` as it streams in (each piece
/// a view of the chunk that came: whoever takes it copies it once, to where it belongs). Stops
/// with an error past `cap` bytes or when `each` fails; `signal` cancels. Returns the bytes
/// received.
pub async fn fetch_pieces(
    url: &str,
    signal: Option<&AbortSignal>,
    cap: usize,
    slice_ms: f64,
    each: impl FnMut(&JsPiece, usize, Option<usize>) -> Result<(), String>,
) -> Result<usize, String> {
    let win = window().map_err(|_| "no window".to_string())?;
    let init = RequestInit::new();
    init.set_signal(signal);
    let resp = JsFuture::from(win.fetch_with_str_and_init(url, &init)).await.map_err(|e| failed(url, e))?;
    let resp: Response = resp.dyn_into().map_err(|_| format!("cannot fetch {url}: not a response"))?;
    if !resp.ok() {
        return Err(format!("cannot fetch {url}: HTTP {} {}", resp.status(), resp.status_text()));
    }
    let total = resp.headers().get("content-length").ok().flatten().and_then(|v| v.parse::<usize>().ok());
    let Some(body) = resp.body() else { return Ok(0) };
    read_stream(url, &body, total, cap, slice_ms, each).await
}

/// A local file (or any Blob) read as a stream, handed on as [`fetch_pieces`] hands a body: the
/// file never sits whole in JavaScript's memory.
pub async fn blob_pieces(name: &str, blob: &web_sys::Blob, cap: usize, slice_ms: f64, each: impl FnMut(&JsPiece, usize, Option<usize>) -> Result<(), String>) -> Result<usize, String> {
    read_stream(name, &blob.stream(), Some(blob.size() as usize), cap, slice_ms, each).await
}

fn failed(what: &str, e: JsValue) -> String {
    let m = js_err(&e);
    if m.contains("abort") { format!("loading {what} was cancelled") } else { format!("cannot read {what}: {m}") }
}

/// Read `body` (`total` bytes, when known) to its end, see [`fetch_pieces`].
///
/// Pieces that are already there resolve one after another without the page getting a turn (a
/// promise's reaction is a microtask), so after `slice_ms` of handling pieces this yields;
/// pieces are handed on in parts of at most [`PART`] bytes.
async fn read_stream(
    what: &str,
    body: &web_sys::ReadableStream,
    total: Option<usize>,
    cap: usize,
    slice_ms: f64,
    mut each: impl FnMut(&JsPiece, usize, Option<usize>) -> Result<(), String>,
) -> Result<usize, String> {
    if let Some(t) = total.filter(|&t| t > cap) {
        return Err(memory_cap(what, t, false, cap));
    }
    let reader: ReadableStreamDefaultReader = body.get_reader().dyn_into().map_err(|_| format!("reading {what}: no stream reader"))?;
    let mut received = 0usize;
    let mut slice_start = super::dom::now();
    loop {
        let chunk = JsFuture::from(reader.read()).await.map_err(|e| failed(what, e))?;
        if Reflect::get(&chunk, &"done".into()).ok().and_then(|d| d.as_bool()).unwrap_or(true) {
            break;
        }
        let value = Reflect::get(&chunk, &"value".into()).map_err(|e| failed(what, e))?;
        let bytes: Uint8Array = value.dyn_into().map_err(|_| format!("reading {what}: a chunk is not bytes"))?;
        let n = bytes.length();
        if received + n as usize > cap {
            let _ = reader.cancel();
            return Err(memory_cap(what, received + n as usize, true, cap));
        }
        // A piece can be megabytes (what piled up while the page was busy): handed on in parts,
        // with the page's turn between them.
        let mut at = 0;
        while at < n {
            if super::dom::now() - slice_start >= slice_ms {
                super::dom::yield_now().await;
                slice_start = super::dom::now();
            }
            let end = n.min(at + PART);
            received += (end - at) as usize;
            let part = JsPiece(if at == 0 && end == n { bytes.clone() } else { bytes.subarray(at, end) });
            if let Err(e) = each(&part, received, total) {
                let _ = reader.cancel();
                return Err(e);
            }
            at = end;
        }
    }
    Ok(received)
}

/// wasm32 memory ends at 4 GiB; this much of it is kept for queries (string codes, groups,
/// results) once data fills the rest.
const WORKING_ROOM: usize = 512 << 20;

/// How many more bytes of data this module can take: 4 GiB less what wasm memory already has
/// and the working room. Loads are refused past it with a message, before an allocation could
/// fail (which would end the module: a dead tab).
pub fn wasm_room() -> usize {
    let grown = core::arch::wasm32::memory_size(0) as u64 * 65_536;
    ((4u64 << 30).saturating_sub(grown).saturating_sub(WORKING_ROOM as u64)) as usize
}

/// Loading `what` stopped (or was refused) at the memory cap: what it is (`size`, or at least
/// that when it stopped midway) and what to do.
pub fn memory_cap(what: &str, size: usize, at_least: bool, cap: usize) -> String {
    format!(
        "{what} is {}{}, over this tab's memory cap ({} left): nothing was added. Load a smaller part of it, or connect the store it comes from (ClickHouse) and query it there",
        if at_least { "at least " } else { "" },
        super::dom::bytes(size),
        super::dom::bytes(cap)
    )
}

/// The bytes of a local file.
pub async fn file_bytes(file: &web_sys::File) -> Result<Vec<u8>, String> {
    let buf = JsFuture::from(file.array_buffer()).await.map_err(|e| format!("cannot read {}: {}", file.name(), js_err(&e)))?;
    Ok(Uint8Array::new(&buf).to_vec())
}

/// ClickHouse's HTTP interface through `fetch` (the page's [`crate::backend::Client`]); `signal`
/// cancels the request in flight; `tally` counts what the work has cost so far.
#[derive(Default)]
pub struct Post {
    pub signal: Option<AbortSignal>,
    pub tally: Option<Rc<Cell<Tally>>>,
}

/// What one piece of work on a store has cost so far: requests sent and answered, what
/// ClickHouse says it read (its `X-ClickHouse-Summary`), the bytes that came back.
#[derive(Debug, Clone, Copy, Default)]
pub struct Tally {
    pub started_ms: f64,
    pub sent: u32,
    pub answered: u32,
    pub read_rows: u64,
    pub read_bytes: u64,
    pub received: u64,
}

impl Tally {
    pub fn new() -> Rc<Cell<Tally>> {
        Rc::new(Cell::new(Tally { started_ms: super::dom::now(), ..Default::default() }))
    }

    /// "request 2 · read 1,234 rows (5.1 MB) · 0.4 s" (as it goes) or, once done,
    /// "2 requests · read 1,234 rows (5.1 MB) · 0.4 s · 12 KB back".
    pub fn text(&self, done: bool) -> String {
        let secs = (super::dom::now() - self.started_ms).max(0.0) / 1000.0;
        let mut parts = vec![if done { format!("{} request{}", self.sent, if self.sent == 1 { "" } else { "s" }) } else { format!("request {}", self.sent.max(1)) }];
        if self.read_rows > 0 || self.read_bytes > 0 {
            parts.push(format!("read {} rows ({})", super::dom::thousands(self.read_rows), super::dom::bytes(self.read_bytes as usize)));
        }
        parts.push(format!("{secs:.1} s"));
        if done {
            parts.push(format!("{} back", super::dom::bytes(self.received as usize)));
        }
        parts.join(" · ")
    }
}

impl crate::backend::Client for Post {
    async fn post(&mut self, req: &crate::backend::Request) -> crate::Result<crate::backend::Response> {
        let fail = |e: JsValue| {
            let m = js_err(&e);
            crate::Error::Other(if m.contains("abort") { "the ClickHouse query was cancelled".to_string() } else { format!("ClickHouse: cannot reach {}: {m}", req.url.split('?').next().unwrap_or("")) })
        };
        let win = window().map_err(fail)?;
        let init = RequestInit::new();
        init.set_method("POST");
        init.set_body(&JsValue::from_str(&req.body));
        init.set_signal(self.signal.as_ref());
        let headers = web_sys::Headers::new().map_err(fail)?;
        for (k, v) in &req.headers {
            headers.set(k, v).map_err(fail)?;
        }
        init.set_headers(&headers);
        let count = |f: &dyn Fn(&mut Tally)| {
            if let Some(t) = &self.tally {
                let mut v = t.get();
                f(&mut v);
                t.set(v);
            }
        };
        count(&|t| t.sent += 1);
        let resp: Response = JsFuture::from(win.fetch_with_str_and_init(&req.url, &init)).await.map_err(fail)?.dyn_into().map_err(fail)?;
        let buf = JsFuture::from(resp.array_buffer().map_err(fail)?).await.map_err(fail)?;
        let summary = resp.headers().get("X-ClickHouse-Summary").ok().flatten().and_then(|h| crate::backend::Summary::from_header(&h));
        let body = Uint8Array::new(&buf).to_vec();
        count(&|t| {
            t.answered += 1;
            t.read_rows += summary.map_or(0, |s| s.read_rows);
            t.read_bytes += summary.map_or(0, |s| s.read_bytes);
            t.received += body.len() as u64;
        });
        Ok(crate::backend::Response { status: resp.status(), exception_code: resp.headers().get("X-ClickHouse-Exception-Code").ok().flatten(), summary, body })
    }
}

/// What the idle-time encoding of string columns may take: its default budget, or what wasm
/// memory has left if that is less (the page's warm-up and `Engine.warmUp` both use it).
pub fn encode_budget() -> usize {
    crate::query::warm::ENCODE_BUDGET.min(wasm_room())
}
