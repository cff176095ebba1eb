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

/// HEATMAP counts rows straight into buckets when no percentile reads its column, and buckets
/// the kept values otherwise: both ways give the same histograms (totals and every series cell),
/// with GROUP BY and a limit, weighted or not, on linear and log layouts.
#[test]
fn heatmap_bucketed_directly_equals_heatmap_from_kept_values() {
    use apiary::dataset::SampleRate;
    use apiary::query::heatmap::Scale;
    let mut ds = demo_ds(30_000);
    let end = END_MS / 1000;
    for sample in [SampleRate::Auto, SampleRate::Off] {
        ds.set_sample_rate(sample.clone()).unwrap();
        for scale in [Scale::Linear, Scale::Log] {
            let opts = query::RunOptions { heatmap_scale: scale, within: None };
            let body = |calcs: Json| json!({"calculations": calcs, "breakdowns": ["service.name"], "orders": [{"column": "service.name", "order": "ascending"}], "limit": 3, "granularity": 600, "start_time": end - 4 * 3600, "end_time": end});
            let direct = query::run_with(&ds, &QuerySpec::from_json(&body(json!([{"op": "HEATMAP", "column": "duration_ms"}]))).unwrap(), &opts).unwrap().to_json();
            let kept = query::run_with(&ds, &QuerySpec::from_json(&body(json!([{"op": "HEATMAP", "column": "duration_ms"}, {"op": "P50", "column": "duration_ms"}]))).unwrap(), &opts).unwrap().to_json();
            let heat = |r: &Json, part: &str| -> Vec<Json> { r[part].as_array().unwrap().iter().map(|x| x["data"]["HEATMAP(duration_ms)"].clone()).collect() };
            let (totals, cells) = (heat(&direct, "results"), heat(&direct, "series"));
            assert_eq!(totals.len(), 3);
            assert!(cells.len() > 3 * 10, "{} series cells", cells.len());
            assert_eq!(totals, heat(&kept, "results"), "{sample:?} {scale:?}");
            assert_eq!(cells, heat(&kept, "series"), "{sample:?} {scale:?}");
            assert_eq!(totals[0]["scale"] == "log", scale == Scale::Log);
            // Every value lands once: the cells of a group add up to its total.
            let sum = |h: &Json| h["counts"].as_array().unwrap().iter().map(|c| c.as_f64().unwrap()).sum::<f64>();
            let first: f64 = direct["series"].as_array().unwrap().iter().filter(|p| p["data"]["service.name"] == direct["results"][0]["data"]["service.name"]).map(|p| sum(&p["data"]["HEATMAP(duration_ms)"])).sum();
            assert!((first - sum(&totals[0])).abs() < 1e-6);
        }
    }
}
