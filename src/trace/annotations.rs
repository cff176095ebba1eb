//! What a span carries besides its own fields: span events (timestamped annotations such as
//! exceptions or retries) and links to spans of other traces. Two encodings are read:
//!
//! - OpenTelemetry's, as the OTLP reader keeps them: JSON text in `span.events`
//!   (`[{"name", "time_unix_nano", "attributes"}]`) and `span.links`
//!   (`[{"trace_id", "span_id", "attributes"}]`) on the span's own row.
//! - Honeycomb's: each event or link is a row of its own with `meta.annotation_type` =
//!   `span_event` or `link` and `trace.parent_id` = the span it belongs to; a link names its
//!   target in `trace.link.trace_id` / `trace.link.span_id`. Such rows are not spans.
//!
//! Text that is not the expected JSON is left out (the raw row still shows it).

use arrow_array::cast::AsArray;
use arrow_array::{Array, RecordBatch};
use arrow_schema::DataType;
use serde_json::{Map, Value as Json};

use crate::query::column::{numeric, strings};

#[derive(Debug, Clone, PartialEq)]
pub struct SpanEvent {
    pub name: String,
    /// ms since the epoch.
    pub time_ms: f64,
    pub attributes: Json,
}

#[derive(Debug, Clone, PartialEq)]
pub struct SpanLink {
    pub trace_id: String,
    pub span_id: String,
    pub attributes: Json,
}

/// Column names of the Honeycomb encoding.
pub const ANNOTATION_TYPE: &str = "meta.annotation_type";
pub const LINK_TRACE: &str = "trace.link.trace_id";
pub const LINK_SPAN: &str = "trace.link.span_id";

/// A row's role in the Honeycomb encoding.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Annotation {
    Event,
    Link,
}

pub fn annotation(batch: &RecordBatch, col: Option<usize>, row: usize) -> Option<Annotation> {
    match strings(batch.column(col?))?.get(row)? {
        "span_event" => Some(Annotation::Event),
        "link" => Some(Annotation::Link),
        _ => None,
    }
}

/// Events from OTLP's `span.events` JSON text.
pub fn events_from_json(text: &str) -> Vec<SpanEvent> {
    let Ok(Json::Array(items)) = serde_json::from_str::<Json>(text) else { return Vec::new() };
    items
        .iter()
        .filter_map(|e| {
            let ns = e.get("time_unix_nano")?;
            let ns = ns.as_f64().or_else(|| ns.as_str()?.parse().ok())?;
            Some(SpanEvent {
                name: e.get("name").and_then(Json::as_str).unwrap_or("").to_string(),
                time_ms: ns / 1e6,
                attributes: e.get("attributes").cloned().filter(Json::is_object).unwrap_or_else(|| Json::Object(Map::new())),
            })
        })
        .collect()
}

/// Links from OTLP's `span.links` JSON text.
pub fn links_from_json(text: &str) -> Vec<SpanLink> {
    let Ok(Json::Array(items)) = serde_json::from_str::<Json>(text) else { return Vec::new() };
    items
        .iter()
        .filter_map(|l| {
            Some(SpanLink {
                trace_id: l.get("trace_id")?.as_str()?.to_string(),
                span_id: l.get("span_id")?.as_str()?.to_string(),
                attributes: l.get("attributes").cloned().filter(Json::is_object).unwrap_or_else(|| Json::Object(Map::new())),
            })
        })
        .collect()
}

/// The non-null cells of a row as a JSON object, leaving out columns in `skip`.
pub fn row_attributes(batch: &RecordBatch, row: usize, skip: &[usize]) -> Json {
    let mut m = Map::new();
    for (i, (f, col)) in batch.schema().fields().iter().zip(batch.columns()).enumerate() {
        if skip.contains(&i) || col.is_null(row) {
            continue;
        }
        if let Some(v) = cell_json(col, row) {
            m.insert(f.name().clone(), v);
        }
    }
    Json::Object(m)
}

/// A non-null cell as JSON: strings, booleans and numbers; `None` for other types (timestamps,
/// nested values), which callers format themselves.
pub fn cell_json(col: &arrow_array::ArrayRef, row: usize) -> Option<Json> {
    if let Some(s) = strings(col) {
        s.get(row).map(|s| Json::String(s.to_string()))
    } else if let DataType::Boolean = col.data_type() {
        Some(Json::Bool(col.as_boolean().value(row)))
    } else if matches!(col.data_type(), DataType::Timestamp(..)) {
        None
    } else if col.data_type().is_integer() {
        // Integers stay integers (`400`, not `400.0`), u64 past i64 too.
        let one = col.slice(row, 1);
        match col.data_type() {
            DataType::UInt64 => Some(Json::from(one.as_primitive::<arrow_array::types::UInt64Type>().value(0))),
            _ => arrow_cast::cast(&one, &DataType::Int64).ok().map(|c| Json::from(c.as_primitive::<arrow_array::types::Int64Type>().value(0))),
        }
    } else {
        numeric(col).map(|n| crate::value::float_json(n.f64_at(row)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn otlp_json_events_and_links_parse_and_bad_text_is_left_out() {
        let e = events_from_json(r#"[{"name":"retry","time_unix_nano":1793534400020000000,"attributes":{"attempt":1}},{"name":"no time"}]"#);
        assert_eq!(e.len(), 1);
        assert_eq!(e[0].name, "retry");
        assert!((e[0].time_ms - 1_793_534_400_020.0).abs() < 1e-3);
        assert_eq!(e[0].attributes["attempt"], 1);
        let l = links_from_json(r#"[{"trace_id":"ab","span_id":"cd","attributes":{"k":"v"}},{"trace_id":"x"}]"#);
        assert_eq!((l.len(), l[0].trace_id.as_str(), l[0].span_id.as_str()), (1, "ab", "cd"));
        assert!(events_from_json("not json").is_empty());
        assert!(links_from_json(r#"{"trace_id":"ab"}"#).is_empty());
    }

    #[test]
    fn cells_keep_their_json_type() {
        let ints: arrow_array::ArrayRef = std::sync::Arc::new(arrow_array::Int16Array::from(vec![400, -3]));
        let big: arrow_array::ArrayRef = std::sync::Arc::new(arrow_array::UInt64Array::from(vec![u64::MAX]));
        let floats: arrow_array::ArrayRef = std::sync::Arc::new(arrow_array::Float64Array::from(vec![2.5]));
        let text = |c: &arrow_array::ArrayRef, row| cell_json(c, row).unwrap().to_string();
        assert_eq!((text(&ints, 0), text(&ints, 1), text(&big, 0), text(&floats, 0)), ("400".into(), "-3".into(), u64::MAX.to_string(), "2.5".into()));
    }
}
