//! The JavaScript API: an engine a host page (or the benchmark) drives directly.
//! Every method returns a Result, so JavaScript sees an `Error` with the engine's message.

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

use crate::dataset::{DataSet, SampleRate};
use crate::ingest;

/// Decode a file of any format Apiary reads into an Arrow IPC stream that `Engine.load` takes
/// without copying its buffers: Parquet and ZSTD-compressed Arrow in the decoder module (fetched
/// on first use), CSV, NDJSON and OTLP in a worker; other Arrow files and streams come back as
/// they are.
#[wasm_bindgen]
pub async fn decode(name: String, bytes: Vec<u8>) -> Result<Vec<u8>, JsError> {
    let format = ingest::detect(&name, &bytes).map_err(js)?;
    if matches!(format, ingest::Format::ArrowStream | ingest::Format::ArrowFile) && !ingest::needs_zstd(&bytes) {
        return Ok(bytes);
    }
    match super::decode_worker::decode(&name, &bytes, None).await {
        super::decode_worker::Outcome::Decoded(_, ipc) => Ok(ipc),
        super::decode_worker::Outcome::Failed(e) => Err(JsError::new(&e)),
        super::decode_worker::Outcome::Unavailable => {
            let loaded = ingest::load(&name, &bytes).map_err(js)?;
            ingest::arrow_ipc::write_stream_plain(&loaded.batches).map_err(js)
        }
    }
}

/// The code warm-up the module starts by itself when it is instantiated: a Worker runs another
/// instance of the same compiled module over made-up events while the host loads its data, so
/// that the browser has optimized the query kernels by the first query (new wasm code runs in a
/// baseline tier at first). Resolves to `{queries, ms}` once done (`{crashed}` if it failed,
/// `null` where no worker can start); a host need not wait for it.
#[wasm_bindgen(js_name = codeWarmUp)]
pub fn code_warm_up() -> js_sys::Promise {
    super::code_warm::start()
}

#[wasm_bindgen]
pub struct Engine {
    data: Rc<RefCell<DataSet>>,
    last_load_ms: Rc<Cell<f64>>,
}


fn js(e: impl std::fmt::Display) -> JsError {
    JsError::new(&e.to_string())
}

/// A source whose bytes are all in: decoded (what came as an Arrow stream, NDJSON, CSV or
/// OTLP lines was decoded as it arrived; the rest now, Parquet and ZSTD in the decoder module).
async fn received(name: &str, r: ingest::Receiving) -> Result<ingest::Loaded, String> {
    match r.into_bytes() {
        Ok(bytes) => whole(name, bytes).await,
        Err(streamed) => streamed.finish().and_then(|d| d.finish()).map_err(|e| e.to_string()),
    }
}

/// A whole file decoded: Arrow IPC here (zero-copy), the rest as [`decode`] does.
async fn whole(name: &str, bytes: Vec<u8>) -> Result<ingest::Loaded, String> {
    let format = ingest::detect(name, &bytes).map_err(|e| e.to_string())?;
    if matches!(format, ingest::Format::ArrowStream | ingest::Format::ArrowFile) && !ingest::needs_zstd(&bytes) {
        return ingest::load_owned(name, bytes).map_err(|e| e.to_string());
    }
    match super::decode_worker::load(name, &bytes, None).await {
        Some(out) => out,
        None => ingest::load(name, &bytes).map_err(|e| e.to_string()),
    }
}

#[wasm_bindgen]
impl Engine {
    #[wasm_bindgen(constructor)]
    pub fn new() -> Engine {
        Engine { data: Rc::new(RefCell::new(DataSet::empty())), last_load_ms: Rc::new(Cell::new(0.0)) }
    }

    /// Decode a file's bytes (format detected from content; Parquet through `decode` first)
    /// and append them. Returns the row count of the data set. On error nothing already loaded
    /// is lost. The bytes are copied into wasm memory once (a refusal, not a dead module, when
    /// they do not fit in wasm32's 4 GiB); an Arrow IPC stream's batches then point into that copy.
    pub fn load(&mut self, name: &str, bytes: &js_sys::Uint8Array) -> Result<u32, JsError> {
        let n = bytes.length() as usize;
        let room = super::fetch::wasm_room();
        if n > room {
            return Err(JsError::new(&super::fetch::memory_cap(name, n, false, room)));
        }
        let mut owned = Vec::new();
        owned.try_reserve_exact(n).map_err(|_| JsError::new(&super::fetch::memory_cap(name, n, false, 0)))?;
        bytes.copy_to_uninit(&mut owned.spare_capacity_mut()[..n]);
        // SAFETY: `copy_to_uninit` wrote all `n` reserved bytes.
        unsafe { owned.set_len(n) };
        let t = super::dom::now();
        let loaded = ingest::load_owned(name, owned).map_err(js)?;
        self.data.borrow_mut().append(loaded.batches).map_err(js)?;
        self.last_load_ms.set(super::dom::now() - t);
        Ok(self.rows())
    }

    /// Fetch `url` and append what it holds, its body copied once into wasm memory as it
    /// streams in (an Arrow stream's messages, NDJSON, CSV and OTLP lines decoded as they come).
    /// Resolves to the data set's row count; on error nothing already loaded is lost. Refused
    /// with a message when the body would not fit in what wasm memory has left.
    #[wasm_bindgen(js_name = loadUrl)]
    pub fn load_url(&self, url: String) -> js_sys::Promise {
        let (data, ms) = (self.data.clone(), self.last_load_ms.clone());
        wasm_bindgen_futures::future_to_promise(async move {
            let t = super::dom::now();
            let cap = super::fetch::wasm_room();
            let mut r = ingest::Receiving::new(&url, cap);
            super::fetch::fetch_pieces(&url, None, cap, STREAM_SLICE_MS, |piece, _, _| r.push_piece(piece).map_err(|e| e.to_string())).await.map_err(|e| JsValue::from(JsError::new(&e)))?;
            Self::append(&data, &ms, t, received(&url, r).await)
        })
    }

    /// Append a Blob or a File (from a file input or a drop): read as a stream, each piece
    /// copied once into wasm memory where it belongs, decoded as `loadUrl` decodes a body.
    /// `name` tells formats apart where content cannot (defaults to the File's name).
    #[wasm_bindgen(js_name = loadBlob)]
    pub fn load_blob(&self, blob: web_sys::Blob, name: Option<String>) -> js_sys::Promise {
        let (data, ms) = (self.data.clone(), self.last_load_ms.clone());
        let name = name.or_else(|| blob.dyn_ref::<web_sys::File>().map(|f| f.name())).unwrap_or_else(|| "blob".to_string());
        wasm_bindgen_futures::future_to_promise(async move {
            let t = super::dom::now();
            let cap = super::fetch::wasm_room();
            let mut r = ingest::Receiving::new(&name, cap);
            super::fetch::blob_pieces(&name, &blob, cap, STREAM_SLICE_MS, |piece, _, _| r.push_piece(piece).map_err(|e| e.to_string())).await.map_err(|e| JsValue::from(JsError::new(&e)))?;
            Self::append(&data, &ms, t, received(&name, r).await)
        })
    }

    /// Milliseconds the last successful load spent in the engine: for `load`, from its bytes
    /// in wasm memory to a queryable data set (the copy from JavaScript comes before); for
    /// `loadUrl` and `loadBlob`, everything from the call on (the bytes arrive at the network's
    /// or the disk's pace and are decoded as they come).
    #[wasm_bindgen(getter, js_name = lastLoadMs)]
    pub fn last_load_ms(&self) -> f64 {
        self.last_load_ms.get()
    }

    /// Run the query kernels over a small sample of the loaded data (the first 65,536 rows; the
    /// answers are thrown away), so that the browser has optimized them before the first real
    /// query: new wasm code runs in a baseline tier at first, 2–8× slower. Call it once after a
    /// load, in idle time (`requestIdleCallback`); the page does this by itself. Then encodes
    /// the data's plain string columns to integer codes (not those of mostly distinct values,
    /// within 256 MB), which the first GROUP BY or COUNT_DISTINCT of such a column would
    /// otherwise do: about 25 ms per million rows of a column in Chromium. Returns the
    /// milliseconds it took (0 with no data).
    #[wasm_bindgen(js_name = warmUp)]
    pub fn warm_up(&self) -> f64 {
        let t = super::dom::now();
        let data = self.data.borrow();
        if let Some(mut w) = crate::query::warm::WarmUp::new(&data, super::fetch::encode_budget()) {
            w.run_all(&data);
        }
        super::dom::now() - t
    }

    /// Run a Honeycomb query spec (JSON text); returns the result as JSON text
    /// (`{"results": …, "series": …}`).
    pub fn query(&self, spec: &str) -> Result<String, JsError> {
        ops::query(&self.data.borrow(), spec).map_err(js)
    }

    /// Run a query spec and return its results as an Arrow IPC stream (one row per group;
    /// with `series`, one row per time bucket × group with a `time` column).
    #[wasm_bindgen(js_name = queryArrow)]
    pub fn query_arrow(&self, spec: &str, series: bool) -> Result<Vec<u8>, JsError> {
        ops::query_arrow(&self.data.borrow(), spec, series).map_err(js)
    }

    /// BubbleUp: `selection` (JSON `{"start_time","end_time","filters"}`) against the rest of what
    /// `spec` matches; `columns` is a JSON list of column names to compare, or empty for all.
    /// Returns the ranked columns as JSON text.
    pub fn bubbleup(&self, spec: &str, selection: &str, columns: &str) -> Result<String, JsError> {
        ops::bubbleup(&self.data.borrow(), spec, selection, columns).map_err(js)
    }

    /// The instrumentation quality report (JSON as `apiary quality --format json` prints it);
    /// `conventions`: the team's conventions JSON, or empty.
    pub fn quality(&self, conventions: &str) -> Result<String, JsError> {
        ops::quality(&self.data.borrow(), conventions).map_err(js)
    }

    /// An SLO's report (JSON as `apiary slo` prints it) as of the data's latest event.
    pub fn slo(&self, slo: &str) -> Result<String, JsError> {
        ops::slo(&self.data.borrow(), slo).map_err(js)
    }

    /// A trigger's evaluation (JSON as `apiary trigger` prints it) as of the latest event.
    pub fn trigger(&self, trigger: &str) -> Result<String, JsError> {
        ops::trigger(&self.data.borrow(), trigger).map_err(js)
    }

    /// Sample-rate weighting: a column name, `"none"`, or `"auto"`.
    #[wasm_bindgen(js_name = setSampleRate)]
    pub fn set_sample_rate(&mut self, mode: &str) -> Result<(), JsError> {
        let mode = match mode {
            "auto" => SampleRate::Auto,
            "none" => SampleRate::Off,
            c => SampleRate::Column(c.to_string()),
        };
        self.data.borrow_mut().set_sample_rate(mode).map_err(js)
    }

    pub fn rows(&self) -> u32 {
        self.data.borrow().num_rows() as u32
    }

    /// Bytes held in Arrow buffers.
    #[wasm_bindgen(js_name = byteSize)]
    pub fn byte_size(&self) -> u32 {
        self.data.borrow().byte_size() as u32
    }
}

/// The page's turn while a stream is read: at least this often (ms).
const STREAM_SLICE_MS: f64 = 40.0;

impl Engine {
    /// A load's decoded source appended (nothing changes on error); the data set's rows.
    fn append(data: &RefCell<DataSet>, ms: &Cell<f64>, started: f64, loaded: Result<ingest::Loaded, String>) -> Result<JsValue, JsValue> {
        let loaded = loaded.map_err(|e| JsValue::from(JsError::new(&e)))?;
        let mut data = data.borrow_mut();
        data.append(loaded.batches).map_err(|e| JsValue::from(js(e)))?;
        ms.set(super::dom::now() - started);
        Ok(JsValue::from(data.num_rows() as u32))
    }
}

impl Default for Engine {
    fn default() -> Self {
        Engine::new()
    }
}

/// What `Engine` and `<apiary-view>` answer from a data set: the same calls, the same JSON.
pub mod ops {
    use crate::dataset::DataSet;
    use crate::{ingest, query, QuerySpec};

    fn text(e: impl std::fmt::Display) -> String {
        e.to_string()
    }

    pub fn query(data: &DataSet, spec: &str) -> Result<String, String> {
        let spec = QuerySpec::from_json_str(spec).map_err(text)?;
        Ok(query::run(data, &spec).map_err(text)?.to_json_text())
    }

    pub fn query_arrow(data: &DataSet, spec: &str, series: bool) -> Result<Vec<u8>, String> {
        let spec = QuerySpec::from_json_str(spec).map_err(text)?;
        let result = query::run(data, &spec).map_err(text)?;
        let batch = if series { result.series_batch() } else { result.results_batch() }.map_err(text)?;
        ingest::arrow_ipc::write_stream_plain(&[batch]).map_err(text)
    }

    pub fn bubbleup(data: &DataSet, spec: &str, selection: &str, columns: &str) -> Result<String, String> {
        let spec = QuerySpec::from_json_str(spec).map_err(text)?;
        let sel: serde_json::Value = serde_json::from_str(selection).map_err(|e| format!("selection is not JSON: {e}"))?;
        let sel = crate::bubbleup::Selection::from_json(&sel).map_err(text)?;
        let only: Option<Vec<String>> = if columns.trim().is_empty() {
            None
        } else {
            Some(serde_json::from_str(columns).map_err(|e| format!("columns must be a JSON list of names: {e}"))?)
        };
        Ok(crate::bubbleup::run_on(data, &spec, &sel, only.as_deref()).map_err(text)?.to_json().to_string())
    }

    pub fn quality(data: &DataSet, conventions: &str) -> Result<String, String> {
        let conventions = match conventions.trim() {
            "" => None,
            c => Some(crate::quality::Conventions::parse(c).map_err(text)?),
        };
        serde_json::to_string(&crate::quality::evaluate(data, conventions.as_ref())).map_err(text)
    }

    pub fn slo(data: &DataSet, slo: &str) -> Result<String, String> {
        let slo = crate::slo::Slo::from_json_str(slo).map_err(text)?;
        Ok(crate::slo::evaluate(data, &slo, None).map_err(text)?.to_string())
    }

    pub fn trigger(data: &DataSet, trigger: &str) -> Result<String, String> {
        let t = crate::trigger::Trigger::from_json_str(trigger).map_err(text)?;
        Ok(crate::trigger::evaluate(data, &t, None).map_err(text)?.to_string())
    }
}
