//! The code warm-up: the query kernels run over made-up events before any data is there, so the
//! browser has optimized them by the first query. New wasm code runs in a baseline tier until a
//! function has used its budget, and a query right after a load (a permalink opened, a host
//! calling `Engine.query` at once) would otherwise pay for it. The page runs this in a Worker
//! holding another instance of the same compiled module (`web::code_warm`) while its own thread
//! loads the data: the browser keeps one optimized copy of a module's code for all its instances.
//!
//! The events have the column types telemetry has (a millisecond timestamp, dictionary and plain
//! strings, integers, floats, booleans, nulls), so the kernels warmed are the ones real data runs.

use std::sync::Arc;

use arrow_array::builder::{BooleanBuilder, Float64Builder, Int64Builder, StringBuilder, StringDictionaryBuilder};
use arrow_array::types::Int32Type;
use arrow_array::{ArrayRef, RecordBatch, TimestampMillisecondArray};
use serde_json::json;

use super::warm::{WarmUp, SAMPLE_ROWS};
use crate::dataset::DataSet;

/// `rows` made-up spans over six hours: services, span names, status codes, durations, errors,
/// user and trace ids (a fifth as many users as rows), some values null.
pub fn sample(rows: usize) -> DataSet {
    // A small xorshift: the same events every time, no dependency.
    let mut s = 0x9E37_79B9_7F4A_7C15u64;
    let mut next = move || {
        s ^= s << 13;
        s ^= s >> 7;
        s ^= s << 17;
        s
    };
    let end = 1_793_534_400_000i64;
    let step = 6 * 3_600_000 / rows.max(1) as i64;
    let (mut service, mut name) = (StringDictionaryBuilder::<Int32Type>::new(), StringDictionaryBuilder::<Int32Type>::new());
    let (mut status, mut duration, mut error) = (Int64Builder::new(), Float64Builder::new(), BooleanBuilder::new());
    let (mut user, mut trace) = (StringBuilder::new(), StringBuilder::new());
    const SERVICES: [&str; 6] = ["frontend", "checkout", "cart", "payments", "search", "users"];
    const NAMES: [&str; 5] = ["GET /", "POST /checkout", "GET /cart", "SELECT", "charge"];
    let times: Vec<i64> = (0..rows as i64).map(|i| end - 6 * 3_600_000 + i * step).collect();
    for i in 0..rows {
        let r = next();
        service.append_value(SERVICES[(r % 6) as usize]);
        name.append_value(NAMES[(r >> 8) as usize % 5]);
        let code = [200, 200, 200, 201, 404, 500, 503][(r >> 16) as usize % 7];
        status.append_option(((r >> 24) % 50 != 0).then_some(code));
        duration.append_value(((r >> 32) % 100_000) as f64 / 37.0);
        error.append_value(code >= 500);
        if (r >> 40) % 20 == 0 {
            user.append_null();
        } else {
            user.append_value(format!("user-{:06}", (r >> 44) as usize % (rows / 5).max(1)));
        }
        trace.append_value(format!("{:016x}{:016x}", next(), i));
    }
    let columns: Vec<(&str, ArrayRef)> = vec![
        ("timestamp", Arc::new(TimestampMillisecondArray::from(times).with_timezone("UTC"))),
        ("service.name", Arc::new(service.finish())),
        ("name", Arc::new(name.finish())),
        ("http.status_code", Arc::new(status.finish())),
        ("duration_ms", Arc::new(duration.finish())),
        ("error", Arc::new(error.finish())),
        ("user.id", Arc::new(user.finish())),
        ("trace.trace_id", Arc::new(trace.finish())),
    ];
    // Column names and lengths are fixed above: this cannot fail.
    let batch = RecordBatch::try_from_iter(columns).expect("the made-up events");
    DataSet::from_batches(vec![batch]).unwrap_or_default()
}

/// Run the query kernels over [`sample`]: the warm-up's steps (twice over), then the shapes
/// the warm-up's plan leaves out (an integer filter, a boolean and a plain string grouped by).
/// Returns the warm-up's steps taken plus the further queries that answered.
pub fn run() -> usize {
    let ds = sample(SAMPLE_ROWS);
    let mut ran = 0;
    if let Some(mut w) = WarmUp::new(&ds, 0) {
        while w.step(&ds) {
            ran += 1;
        }
    }
    for _ in 0..2 {
        for q in shapes() {
            ran += usize::from(q.and_then(|s| super::run(&ds, &s)).is_ok_and(|r| !r.results.is_empty()));
        }
    }
    ran
}

/// What the warm-up's plan leaves out: an integer filter, a boolean filter with a plain string
/// grouped by, a distinct count by a dictionary column.
fn shapes() -> Vec<crate::Result<super::spec::QuerySpec>> {
    let (start, end) = (1_793_534_400 - 6 * 3600, 1_793_534_400);
    [
        json!({"calculations": [{"op": "P50", "column": "duration_ms"}, {"op": "P99", "column": "duration_ms"}], "filters": [{"column": "http.status_code", "op": ">=", "value": 500}], "breakdowns": ["service.name"], "start_time": start, "end_time": end}),
        json!({"calculations": [{"op": "COUNT"}], "filters": [{"column": "error", "op": "=", "value": true}], "breakdowns": ["user.id"], "orders": [{"op": "COUNT", "order": "descending"}], "limit": 20, "start_time": start, "end_time": end}),
        json!({"calculations": [{"op": "COUNT_DISTINCT", "column": "user.id"}], "breakdowns": ["name"], "limit": 10, "start_time": start, "end_time": end}),
    ]
    .iter()
    .map(super::spec::QuerySpec::from_json)
    .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every query of the code warm-up answers over the made-up events (one that errs would warm
    /// nothing), with the column types it is meant to have.
    #[test]
    fn every_query_answers_over_the_made_up_events() {
        let ds = sample(SAMPLE_ROWS);
        assert_eq!(ds.num_rows(), SAMPLE_ROWS);
        assert_eq!(ds.time_column(), Some("timestamp"));
        let kinds: Vec<String> = ds.schema().fields().iter().map(|f| f.data_type().to_string()).collect();
        assert!(kinds.iter().any(|k| k.starts_with("Dictionary")) && kinds.iter().any(|k| k == "Utf8") && kinds.iter().any(|k| k == "Int64"), "{kinds:?}");
        let user = ds.string_codes(ds.column_index("user.id").unwrap()).unwrap();
        assert!(user.interner.len() > 10_000 && user.interner.len() < SAMPLE_ROWS / 4, "{}", user.interner.len());
        let w = WarmUp::new(&ds, 0).unwrap();
        assert_eq!(w.len(), 16, "the warm-up's plan, twice");
        for (i, a) in w.answers().iter().chain(&shapes().into_iter().map(|q| q.and_then(|s| crate::query::run(&ds, &s)).map(|r| r.results.len()).map_err(|e| e.to_string())).collect::<Vec<_>>()).enumerate() {
            assert!(a.as_ref().is_ok_and(|n| *n > 0), "query {i}: {a:?}");
        }
        assert!(run() >= 16 + 6);
    }
}
