//! The demo data set is realistic and hides the cohort BubbleUp must find.

use apiary::demo::{self, COHORT_REGION, COHORT_VERSION, END_MS, INCIDENT_MINUTES};
use apiary::{query, DataSet, QuerySpec};
use serde_json::{json, Value as Json};

fn demo_ds(rows: usize) -> DataSet {
    DataSet::from_batches(demo::generate(rows, 42, 8192)).unwrap()
}

fn run(ds: &DataSet, spec: Json) -> Json {
    query::run(ds, &QuerySpec::from_json(&spec).unwrap()).unwrap().to_json()
}

#[test]
fn slowest_group_in_the_incident_is_the_cohort() {
    let ds = demo_ds(60_000);
    let end = END_MS / 1000;
    let r = run(&ds, json!({
        "calculations": [{"op": "P95", "column": "duration_ms"}, {"op": "COUNT"}],
        "breakdowns": ["region", "app.version"],
        "start_time": end - INCIDENT_MINUTES * 60, "end_time": end,
    }));
    let top = &r["results"][0]["data"];
    assert_eq!(top["region"], json!(COHORT_REGION));
    assert_eq!(top["app.version"], json!(COHORT_VERSION));
    // Much slower than the next group, and neither value alone explains it.
    let second = r["results"][1]["data"]["P95(duration_ms)"].as_f64().unwrap();
    assert!(top["P95(duration_ms)"].as_f64().unwrap() > 3.0 * second);
    let region_other = r["results"].as_array().unwrap().iter().find(|x| x["data"]["region"] == json!(COHORT_REGION) && x["data"]["app.version"] != json!(COHORT_VERSION)).unwrap();
    assert!(region_other["data"]["P95(duration_ms)"].as_f64().unwrap() < second * 1.5);
}

#[test]
fn cohort_errors_more() {
    let ds = demo_ds(60_000);
    let end = END_MS / 1000;
    let r = run(&ds, json!({
        "calculations": [{"op": "COUNT"}],
        "filters": [{"column": "error", "op": "=", "value": true}],
        "breakdowns": ["region", "app.version"],
        "start_time": end - INCIDENT_MINUTES * 60, "end_time": end, "limit": 1,
    }));
    assert_eq!(r["results"][0]["data"]["region"], json!(COHORT_REGION));
    assert_eq!(r["results"][0]["data"]["app.version"], json!(COHORT_VERSION));
}

#[test]
fn traces_are_trees_with_children_inside_parents() {
    use arrow_array::cast::AsArray;
    use arrow_array::Array;
    use arrow_array::types::{Float64Type, TimestampMillisecondType};
    use std::collections::HashMap;
    let batches = demo::generate(20_000, 9, 100_000);
    let b = &batches[0];
    let col = |n: &str| b.column(b.schema().index_of(n).unwrap()).clone();
    let (trace, span, parent) = (col("trace.trace_id"), col("trace.span_id"), col("trace.parent_id"));
    let (trace, span, parent) = (trace.as_string::<i32>(), span.as_string::<i32>(), parent.as_string::<i32>());
    let ts = col("timestamp");
    let ts = ts.as_primitive::<TimestampMillisecondType>();
    let dur = col("duration_ms");
    let dur = dur.as_primitive::<Float64Type>();
    let mut by_id = HashMap::new();
    for i in 0..b.num_rows() {
        by_id.insert((trace.value(i), span.value(i)), i);
    }
    assert_eq!(by_id.len(), b.num_rows(), "span ids are unique");
    let mut spans_per_trace: HashMap<&str, usize> = HashMap::new();
    for i in 0..b.num_rows() {
        *spans_per_trace.entry(trace.value(i)).or_default() += 1;
        if parent.is_null(i) {
            continue;
        }
        let p = by_id[&(trace.value(i), parent.value(i))];
        assert!(ts.value(p) <= ts.value(i), "child starts after parent");
        let (pend, cend) = (ts.value(p) as f64 + dur.value(p), ts.value(i) as f64 + dur.value(i));
        assert!(cend <= pend + 1.0, "child ends inside parent: {cend} > {pend}");
    }
    let max = spans_per_trace.values().max().copied().unwrap();
    assert!((10..=30).contains(&max), "largest trace has {max} spans");
    assert!(spans_per_trace.values().any(|n| *n == 1));
}
