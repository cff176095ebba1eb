//! The JavaScript API: an engine a host page (or the benchmark) drives directly.
//! Every method returns a Result, so JavaScript sees an `Error` with the engine's message.

use wasm_bindgen::prelude::*;

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

#[wasm_bindgen]
pub struct Engine {
    data: DataSet,
    last_load_ms: f64,
}


fn js(e: impl std::fmt::Display) -> JsError {
    JsError::new(&e.to_string())
}

#[wasm_bindgen]
impl Engine {
    #[wasm_bindgen(constructor)]
    pub fn new() -> Engine {
        Engine { data: DataSet::empty(), last_load_ms: 0.0 }
    }

    /// Decode a file's bytes (format detected from content; Parquet through `decode` first)
    /// and append them. Returns the row count of the data set. On error nothing already loaded is lost. The bytes are copied into
    /// wasm memory once; an Arrow IPC stream's batches then point into that copy.
    pub fn load(&mut self, name: &str, bytes: Vec<u8>) -> Result<u32, JsError> {
        let t = super::dom::now();
        let loaded = ingest::load_owned(name, bytes).map_err(js)?;
        self.data.append(loaded.batches).map_err(js)?;
        self.last_load_ms = super::dom::now() - t;
        Ok(self.data.num_rows() as u32)
    }

    /// Milliseconds the last successful `load` spent in the engine: from its bytes in wasm memory
    /// to a queryable data set (the copy from JavaScript into wasm memory comes before).
    #[wasm_bindgen(getter, js_name = lastLoadMs)]
    pub fn last_load_ms(&self) -> f64 {
        self.last_load_ms
    }

    /// Run a Honeycomb query spec (JSON text); returns the result as JSON text
    /// (`{"results": …, "series": …}`).
    pub fn query(&self, spec: &str) -> Result<String, JsError> {
        ops::query(&self.data, spec).map_err(js)
    }

    /// Run a query spec and return its results as an Arrow IPC stream (one row per group;
    /// with `series`, one row per time bucket × group with a `time` column).
    #[wasm_bindgen(js_name = queryArrow)]
    pub fn query_arrow(&self, spec: &str, series: bool) -> Result<Vec<u8>, JsError> {
        ops::query_arrow(&self.data, spec, series).map_err(js)
    }

    /// BubbleUp: `selection` (JSON `{"start_time","end_time","filters"}`) against the rest of what
    /// `spec` matches; `columns` is a JSON list of column names to compare, or empty for all.
    /// Returns the ranked columns as JSON text.
    pub fn bubbleup(&self, spec: &str, selection: &str, columns: &str) -> Result<String, JsError> {
        ops::bubbleup(&self.data, spec, selection, columns).map_err(js)
    }

    /// The instrumentation quality report (JSON as `apiary quality --format json` prints it);
    /// `conventions`: the team's conventions JSON, or empty.
    pub fn quality(&self, conventions: &str) -> Result<String, JsError> {
        ops::quality(&self.data, conventions).map_err(js)
    }

    /// An SLO's report (JSON as `apiary slo` prints it) as of the data's latest event.
    pub fn slo(&self, slo: &str) -> Result<String, JsError> {
        ops::slo(&self.data, slo).map_err(js)
    }

    /// A trigger's evaluation (JSON as `apiary trigger` prints it) as of the latest event.
    pub fn trigger(&self, trigger: &str) -> Result<String, JsError> {
        ops::trigger(&self.data, trigger).map_err(js)
    }

    /// Sample-rate weighting: a column name, `"none"`, or `"auto"`.
    #[wasm_bindgen(js_name = setSampleRate)]
    pub fn set_sample_rate(&mut self, mode: &str) -> Result<(), JsError> {
        let mode = match mode {
            "auto" => SampleRate::Auto,
            "none" => SampleRate::Off,
            c => SampleRate::Column(c.to_string()),
        };
        self.data.set_sample_rate(mode).map_err(js)
    }

    pub fn rows(&self) -> u32 {
        self.data.num_rows() as u32
    }

    /// Bytes held in Arrow buffers.
    #[wasm_bindgen(js_name = byteSize)]
    pub fn byte_size(&self) -> u32 {
        self.data.byte_size() as u32
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
