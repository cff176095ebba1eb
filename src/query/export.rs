//! A result as others take it: text cells under a header (the CLI's table), CSV, and an Arrow
//! IPC stream of its rows (the page's exports, the CLI's `--format csv`).

use serde_json::Value as Json;

use super::result::{output_json, QueryResult};
use crate::error::Result;

/// A JSON value as text (null: empty; strings without quotes).
pub fn cell(v: &Json) -> String {
    match v {
        Json::Null => String::new(),
        Json::String(s) => s.clone(),
        other => other.to_string(),
    }
}

fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

/// The breakdowns, then one heading per calculation (`COUNT`, `P99(duration_ms)`).
pub fn header(r: &QueryResult) -> Vec<String> {
    r.breakdowns.iter().chain(r.keys.iter()).cloned().collect()
}

/// A calculation's value as people read it in a table: integers with thousands separators,
/// floats to three decimals, null as a dash, a heatmap as its number of values.
pub fn display(o: &super::aggregate::Output) -> String {
    use super::aggregate::Output;
    use crate::value;
    match o {
        Output::Null => "—".to_string(),
        Output::Int(i) => {
            let s = value::thousands(i.unsigned_abs());
            if *i < 0 { format!("-{s}") } else { s }
        }
        Output::Float(f) => value::format_float((f * 1000.0).round() / 1000.0),
        Output::Heatmap(h) => format!("{} values", value::thousands(h.total().round() as u64)),
    }
}

/// Result row `i` as people read it: its group's values, then its calculations' ([`display`]).
pub fn row_display(r: &QueryResult, i: usize) -> Vec<String> {
    let row = &r.results[i];
    row.group.iter().map(|v| cell(&v.to_json())).chain(row.values.iter().map(display)).collect()
}

/// Result row `i` as text: its group's values, then its calculations' (null: empty).
pub fn row_cells(r: &QueryResult, i: usize) -> Vec<String> {
    let row = &r.results[i];
    row.group.iter().map(|v| cell(&v.to_json())).chain(row.values.iter().map(|v| cell(&output_json(v)))).collect()
}

/// The rows as CSV (RFC 4180 quoting), the header first.
pub fn csv(r: &QueryResult) -> String {
    let mut out = header(r).iter().map(|h| csv_field(h)).collect::<Vec<_>>().join(",");
    for i in 0..r.results.len() {
        out += "\n";
        out += &row_cells(r, i).iter().map(|c| csv_field(c)).collect::<Vec<_>>().join(",");
    }
    out
}

/// The rows as an Arrow IPC stream (typed columns: see `arrow_out`).
pub fn arrow_stream(r: &QueryResult) -> Result<Vec<u8>> {
    crate::ingest::arrow_ipc::write_stream_plain(&[r.results_batch()?])
}
