//! OTLP/JSON trace exports, as an OpenTelemetry Collector file exporter writes them (one
//! ExportTraceServiceRequest per file, or one per line): one row per span.
//!
//! Columns: `timestamp` (start, ns), `duration_ms`, `name`, `span.kind`, `trace.trace_id`,
//! `trace.span_id`, `trace.parent_id` (lowercase hex), `status.code`, `status.message`, `error`,
//! resource and span attributes by their keys (span attributes win), `library.name`/`.version`
//! (the scope), and `span.events` / `span.links` as JSON text (kept for the trace view).

use std::sync::Arc;

use arrow_array::cast::AsArray;
use arrow_array::types::Int64Type;
use arrow_array::{Array, RecordBatch, TimestampNanosecondArray};
use arrow_schema::{DataType, Field, Schema, TimeUnit};
use serde_json::{json, Map, Value as Json};

use super::ndjson::{Batched, Conforming, Events, Scalar, Stream};
use crate::error::{Error, Result};

fn u64_of(v: &Json) -> Option<u64> {
    match v {
        Json::String(s) => s.parse().ok(),
        Json::Number(n) => n.as_u64(),
        _ => None,
    }
}

/// An AnyValue as a flat scalar (arrays and key-value lists as JSON text).
fn any_value(v: &Json) -> Option<Scalar> {
    let m = v.as_object()?;
    if let Some(s) = m.get("stringValue").and_then(Json::as_str) {
        return Some(Scalar::Str(s.to_string()));
    }
    if let Some(i) = m.get("intValue") {
        return match i {
            Json::String(s) => s.parse().ok().map(Scalar::Int),
            Json::Number(n) => n.as_i64().map(Scalar::Int),
            _ => None,
        };
    }
    if let Some(d) = m.get("doubleValue").and_then(Json::as_f64) {
        return Some(Scalar::Float(d));
    }
    if let Some(b) = m.get("boolValue").and_then(Json::as_bool) {
        return Some(Scalar::Bool(b));
    }
    if let Some(b) = m.get("bytesValue").and_then(Json::as_str) {
        return Some(Scalar::Str(b.to_string()));
    }
    if m.contains_key("arrayValue") || m.contains_key("kvlistValue") {
        return Some(Scalar::Str(plain(v).to_string()));
    }
    None
}

/// An AnyValue as plain JSON (for events, links and nested values).
fn plain(v: &Json) -> Json {
    let Some(m) = v.as_object() else { return Json::Null };
    if let Some(a) = m.get("arrayValue") {
        return Json::Array(a.get("values").and_then(Json::as_array).into_iter().flatten().map(plain).collect());
    }
    if let Some(kv) = m.get("kvlistValue") {
        return attributes_json(kv.get("values").unwrap_or(&Json::Null));
    }
    match any_value(v) {
        Some(Scalar::Str(s)) => json!(s),
        Some(Scalar::Int(i)) => json!(i),
        Some(Scalar::Float(f)) => json!(f),
        Some(Scalar::Bool(b)) => json!(b),
        None => Json::Null,
    }
}

fn attributes_json(attrs: &Json) -> Json {
    let mut out = Map::new();
    for kv in attrs.as_array().into_iter().flatten() {
        if let Some(k) = kv.get("key").and_then(Json::as_str) {
            out.insert(k.to_string(), plain(kv.get("value").unwrap_or(&Json::Null)));
        }
    }
    Json::Object(out)
}

fn set_attributes(events: &mut Events, attrs: Option<&Json>) {
    for kv in attrs.and_then(Json::as_array).into_iter().flatten() {
        if let (Some(k), Some(v)) = (kv.get("key").and_then(Json::as_str), kv.get("value").and_then(any_value)) {
            events.set(k, v);
        }
    }
}

/// Lowercase hex of an id that must be `len` hex digits; `Ok(None)` for an absent/empty one.
fn hex_id(v: Option<&Json>, len: usize, what: &str, at: &str) -> Result<Option<String>, String> {
    let s = match v {
        None | Some(Json::Null) => return Ok(None),
        Some(Json::String(s)) if s.is_empty() => return Ok(None),
        Some(Json::String(s)) => s,
        Some(other) => return Err(format!("{at}: {what} must be a hex string, got {other}")),
    };
    if s.len() != len || !s.bytes().all(|c| c.is_ascii_hexdigit()) {
        return Err(format!("{at}: {what} {s:?} is not {len} hex digits"));
    }
    if s.bytes().all(|c| c == b'0') {
        return Err(format!("{at}: {what} is all zeros (invalid)"));
    }
    Ok(Some(s.to_ascii_lowercase()))
}

fn kind_name(v: Option<&Json>) -> &'static str {
    let k = match v {
        Some(Json::Number(n)) => n.as_u64().unwrap_or(0),
        Some(Json::String(s)) => match s.as_str() {
            "SPAN_KIND_INTERNAL" => 1,
            "SPAN_KIND_SERVER" => 2,
            "SPAN_KIND_CLIENT" => 3,
            "SPAN_KIND_PRODUCER" => 4,
            "SPAN_KIND_CONSUMER" => 5,
            _ => 0,
        },
        _ => 0,
    };
    ["unspecified", "internal", "server", "client", "producer", "consumer"].get(k as usize).copied().unwrap_or("unspecified")
}

fn status_code(v: Option<&Json>) -> &'static str {
    let c = match v {
        Some(Json::Number(n)) => n.as_u64().unwrap_or(0),
        Some(Json::String(s)) => match s.as_str() {
            "STATUS_CODE_OK" => 1,
            "STATUS_CODE_ERROR" => 2,
            _ => 0,
        },
        _ => 0,
    };
    ["unset", "ok", "error"].get(c as usize).copied().unwrap_or("unset")
}

fn add_request(out: &mut Batched, req: &Json, req_at: &str) -> Result<(), String> {
    let rs = req.get("resourceSpans").and_then(Json::as_array).ok_or_else(|| format!("{req_at}: no resourceSpans list"))?;
    for (ri, r) in rs.iter().enumerate() {
        let resource_attrs = r.get("resource").and_then(|x| x.get("attributes"));
        let scopes = r.get("scopeSpans").or_else(|| r.get("instrumentationLibrarySpans")).and_then(Json::as_array);
        for (si, s) in scopes.into_iter().flatten().enumerate() {
            let scope = s.get("scope").or_else(|| s.get("instrumentationLibrary"));
            for (pi, span) in s.get("spans").and_then(Json::as_array).into_iter().flatten().enumerate() {
                let name = span.get("name").and_then(Json::as_str).unwrap_or("");
                let at = format!("{req_at}resourceSpans[{ri}].scopeSpans[{si}].spans[{pi}] ({name:?})");
                let trace = hex_id(span.get("traceId"), 32, "traceId", &at)?.ok_or_else(|| format!("{at}: traceId is missing"))?;
                let id = hex_id(span.get("spanId"), 16, "spanId", &at)?.ok_or_else(|| format!("{at}: spanId is missing"))?;
                let parent = hex_id(span.get("parentSpanId"), 16, "parentSpanId", &at)?;
                let start = span.get("startTimeUnixNano").and_then(u64_of).ok_or_else(|| format!("{at}: startTimeUnixNano is missing or not an integer"))?;
                let end = span.get("endTimeUnixNano").and_then(u64_of).ok_or_else(|| format!("{at}: endTimeUnixNano is missing or not an integer"))?;
                if end < start {
                    return Err(format!("{at}: ends before it starts ({end} < {start})"));
                }
                if start > i64::MAX as u64 {
                    return Err(format!("{at}: startTimeUnixNano {start} is out of range"));
                }
                let events = out.events();
                events.next_row();
                set_attributes(events, resource_attrs);
                if let Some(sc) = scope {
                    if let Some(n) = sc.get("name").and_then(Json::as_str).filter(|n| !n.is_empty()) {
                        events.set("library.name", Scalar::Str(n.to_string()));
                    }
                    if let Some(v) = sc.get("version").and_then(Json::as_str).filter(|n| !n.is_empty()) {
                        events.set("library.version", Scalar::Str(v.to_string()));
                    }
                }
                set_attributes(events, span.get("attributes"));
                events.set("timestamp", Scalar::Int(start as i64));
                events.set("duration_ms", Scalar::Float((end - start) as f64 / 1e6));
                events.set("name", Scalar::Str(name.to_string()));
                events.set("span.kind", Scalar::Str(kind_name(span.get("kind")).to_string()));
                events.set("trace.trace_id", Scalar::Str(trace));
                events.set("trace.span_id", Scalar::Str(id));
                if let Some(p) = parent {
                    events.set("trace.parent_id", Scalar::Str(p));
                }
                let status = span.get("status");
                let code = status_code(status.and_then(|s| s.get("code")));
                events.set("status.code", Scalar::Str(code.to_string()));
                if let Some(m) = status.and_then(|s| s.get("message")).and_then(Json::as_str).filter(|m| !m.is_empty()) {
                    events.set("status.message", Scalar::Str(m.to_string()));
                }
                events.set("error", Scalar::Bool(code == "error"));
                let evs: Vec<Json> = span
                    .get("events")
                    .and_then(Json::as_array)
                    .into_iter()
                    .flatten()
                    .map(|e| {
                        json!({
                            "name": e.get("name").and_then(Json::as_str).unwrap_or(""),
                            "time_unix_nano": e.get("timeUnixNano").and_then(u64_of),
                            "attributes": attributes_json(e.get("attributes").unwrap_or(&Json::Null)),
                        })
                    })
                    .collect();
                if !evs.is_empty() {
                    events.set("span.num_events", Scalar::Int(evs.len() as i64));
                    events.set("span.events", Scalar::Str(Json::Array(evs).to_string()));
                }
                let mut links = Vec::new();
                for (li, l) in span.get("links").and_then(Json::as_array).into_iter().flatten().enumerate() {
                    let lat = format!("{at}.links[{li}]");
                    links.push(json!({
                        "trace_id": hex_id(l.get("traceId"), 32, "traceId", &lat)?,
                        "span_id": hex_id(l.get("spanId"), 16, "spanId", &lat)?,
                        "attributes": attributes_json(l.get("attributes").unwrap_or(&Json::Null)),
                    }));
                }
                if !links.is_empty() {
                    events.set("span.num_links", Scalar::Int(links.len() as i64));
                    events.set("span.links", Scalar::Str(Json::Array(links).to_string()));
                }
                out.row_done().map_err(|e| e.to_string())?;
            }
        }
    }
    Ok(())
}

pub fn read(source: &str, bytes: &[u8]) -> Result<Vec<RecordBatch>> {
    let text = std::str::from_utf8(bytes).map_err(|e| Error::decode(source, format!("not valid UTF-8 at byte {}", e.valid_up_to())))?;
    match serde_json::from_str::<Json>(text) {
        Ok(req) => {
            let mut out = Batched::new();
            add_request(&mut out, &req, "").map_err(|m| bad(source, m))?;
            spans(source, out)?.finish()
        }
        Err(whole) => {
            // The file exporter writes one request per line. When the first line is not JSON,
            // the error to show is the whole file's (a broken single request).
            if !first_line_parses(bytes) {
                return Err(bad(source, format!("line {}, column {}: {whole}", whole.line(), whole.column())));
            }
            let mut s = stream(source);
            s.push(bytes)?;
            s.finish()
        }
    }
}

fn bad(source: &str, m: String) -> Error {
    Error::decode(source, format!("OTLP/JSON: {m}"))
}

/// Whether the text's first non-blank line is JSON by itself: then it is one request per line
/// (and can be decoded a line at a time as it arrives).
pub fn first_line_parses(bytes: &[u8]) -> bool {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let start = bytes.iter().position(|c| !c.is_ascii_whitespace()).unwrap_or(bytes.len());
    let Some(end) = bytes[start..].iter().position(|&c| c == b'\n') else { return false };
    serde_json::from_slice::<serde::de::IgnoredAny>(&bytes[start..start + end]).is_ok()
}

/// The batches of the spans gathered, with `timestamp` as time (a batch a step).
fn spans(source: &str, out: Batched) -> Result<Conforming> {
    if out.rows() == 0 {
        return Err(Error::decode(source, NO_SPANS));
    }
    out.end(timestamps_as_time)
}

const NO_SPANS: &str = "OTLP/JSON holds no spans";

/// OTLP/JSON with one request per line, arriving in pieces: each line decodes as soon as it is
/// complete.
pub fn stream(source: &str) -> Stream {
    Stream::with(source, request_line, NO_SPANS, timestamps_as_time)
}

fn request_line(source: &str, out: &mut Batched, i: usize, line: &str) -> Result<()> {
    let req: Json = serde_json::from_str(line).map_err(|e| bad(source, format!("line {i}, column {}: {e}", e.column())))?;
    add_request(out, &req, &format!("line {i}: ")).map_err(|m| bad(source, m))
}

/// The `timestamp` column (ns integers) as a UTC nanosecond timestamp column.
fn timestamps_as_time(batch: RecordBatch) -> Result<RecordBatch> {
    let Ok(idx) = batch.schema().index_of("timestamp") else { return Ok(batch) };
    let Some(ints) = batch.column(idx).as_primitive_opt::<Int64Type>() else { return Ok(batch) };
    let ts = TimestampNanosecondArray::new(ints.values().clone(), ints.nulls().cloned()).with_timezone("UTC");
    let mut fields: Vec<Field> = batch.schema().fields().iter().map(|f| f.as_ref().clone()).collect();
    fields[idx] = Field::new("timestamp", DataType::Timestamp(TimeUnit::Nanosecond, Some("UTC".into())), true);
    let mut cols = batch.columns().to_vec();
    cols[idx] = Arc::new(ts);
    Ok(RecordBatch::try_new(Arc::new(Schema::new(fields)), cols)?)
}
