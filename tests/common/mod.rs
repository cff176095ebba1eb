//! Helpers for the native tests: small hand-made data sets and query runs.
#![allow(dead_code)]

use std::sync::Arc;

use apiary::{query, DataSet, QuerySpec};
use arrow_array::{ArrayRef, RecordBatch};
use arrow_schema::{Field, Schema};
use serde_json::Value as Json;

/// A data set of one batch with these columns (nullable).
pub fn dataset(cols: Vec<(&str, ArrayRef)>) -> DataSet {
    let schema = Arc::new(Schema::new(cols.iter().map(|(n, a)| Field::new(*n, a.data_type().clone(), true)).collect::<Vec<_>>()));
    let batch = RecordBatch::try_new(schema, cols.into_iter().map(|(_, a)| a).collect()).expect("valid batch");
    DataSet::from_batches(vec![batch]).expect("data set")
}

/// Run a spec (JSON text) and return Honeycomb's JSON result.
pub fn run(ds: &DataSet, spec: &str) -> Json {
    let spec = QuerySpec::from_json_str(spec).unwrap_or_else(|e| panic!("spec {spec}: {e}"));
    query::run(ds, &spec).unwrap_or_else(|e| panic!("query {spec:?}: {e}")).to_json()
}

/// Run a spec expecting an error; return its message.
pub fn run_err(ds: &DataSet, spec: &str) -> String {
    match QuerySpec::from_json_str(spec) {
        Err(e) => e.to_string(),
        Ok(s) => match query::run(ds, &s) {
            Err(e) => e.to_string(),
            Ok(r) => panic!("expected an error for {spec}, got {}", r.to_json()),
        },
    }
}

/// The `data` objects of `results`.
pub fn rows(result: &Json) -> Vec<Json> {
    result["results"].as_array().expect("results").iter().map(|r| r["data"].clone()).collect()
}

/// One column of `results` as JSON values.
pub fn col(result: &Json, key: &str) -> Vec<Json> {
    rows(result).iter().map(|r| r[key].clone()).collect()
}

pub const T0: i64 = 1_700_000_000_000;

/// Timestamps (ms) at T0 + offsets in seconds.
pub fn times(offsets_s: &[i64]) -> ArrayRef {
    Arc::new(arrow_array::TimestampMillisecondArray::from(offsets_s.iter().map(|o| T0 + o * 1000).collect::<Vec<_>>()).with_timezone("UTC"))
}

/// A spec string with an explicit range covering [T0, T0 + 1 h).
pub fn spec_all(body: &str) -> String {
    let start = T0 / 1000;
    let sep = if body.trim().is_empty() { "" } else { "," };
    format!("{{{body}{sep}\"start_time\":{start},\"end_time\":{}}}", start + 3600)
}

/// A file of tests/fixtures.
pub fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(format!("tests/fixtures/{name}")).unwrap_or_else(|e| panic!("{name}: {e}"))
}

/// Every file of a fixture folder (`tests/fixtures/DIR`): its name and bytes; at least `min`.
pub fn fixture_files(dir: &str, min: usize) -> Vec<(String, Vec<u8>)> {
    let mut files: Vec<(String, Vec<u8>)> = std::fs::read_dir(format!("tests/fixtures/{dir}"))
        .unwrap_or_else(|e| panic!("{dir}: {e}"))
        .map(|entry| {
            let path = entry.unwrap().path();
            (path.file_name().unwrap().to_string_lossy().to_string(), std::fs::read(&path).unwrap())
        })
        .collect();
    files.sort();
    assert!(files.len() >= min, "{dir}: {} files", files.len());
    files
}

/// Deterministic xorshift for corruption positions.
pub fn xorshift(state: &mut u64) -> u64 {
    *state ^= *state << 13;
    *state ^= *state >> 7;
    *state ^= *state << 17;
    *state
}
