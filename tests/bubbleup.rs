//! BubbleUp on the demo data: a box around the slow incident finds the hidden cohort.

use apiary::bubbleup::{self, box_selection, Selection};
use apiary::demo::{self, COHORT_REGION, COHORT_VERSION, END_MS, HOURS, INCIDENT_MINUTES};
use apiary::{query, DataSet, QuerySpec};
use serde_json::json;

fn demo_ds() -> DataSet {
    DataSet::from_batches(demo::generate(60_000, 42, 16_384)).unwrap()
}

fn whole_range() -> QuerySpec {
    let end = END_MS / 1000;
    QuerySpec::from_json(&json!({"start_time": end - HOURS * 3600, "end_time": end})).unwrap()
}

#[test]
fn box_around_the_slow_incident_finds_the_cohort() {
    let ds = demo_ds();
    let end = END_MS / 1000;
    let sel = box_selection("duration_ms", end - INCIDENT_MINUTES * 60, end, 800.0, 1e9);
    let b = bubbleup::run(&ds, &whole_range(), &sel).unwrap();
    assert!(b.selection_count > 50.0, "selection has {} events", b.selection_count);
    let top: Vec<&str> = b.columns.iter().take(2).map(|c| c.column.as_str()).collect();
    assert!(top.contains(&"region") && top.contains(&"app.version"), "top columns: {top:?}");
    let value_on_top = |col: &str| b.columns.iter().find(|c| c.column == col).unwrap().values[0].value.clone();
    assert_eq!(value_on_top("region"), json!(COHORT_REGION));
    assert_eq!(value_on_top("app.version"), json!(COHORT_VERSION));
    // The selection column is reported, not ranked; ids are too many to rank.
    let skipped: Vec<(&str, &str)> = b.skipped.iter().map(|(c, w)| (c.as_str(), w.as_str())).collect();
    assert!(skipped.contains(&("duration_ms", "used by the selection")));
    assert!(skipped.iter().any(|(c, w)| *c == "trace.trace_id" && w.contains("distinct")));
    assert!(skipped.contains(&("timestamp", "the time column")));
}

#[test]
fn populations_partition_the_query_and_shares_add_up() {
    let ds = demo_ds();
    let spec = whole_range();
    let sel = Selection::from_json(&json!({"filters": [{"column": "error", "op": "=", "value": true}]})).unwrap();
    let b = bubbleup::run(&ds, &spec, &sel).unwrap();
    let count = query::run(&ds, &spec).unwrap().to_json()["results"][0]["data"]["COUNT"].as_f64().unwrap();
    assert_eq!(b.selection_count + b.baseline_count, count);
    for c in &b.columns {
        if c.measure {
            let s: f64 = c.values.iter().map(|v| v.selection).sum();
            let t: f64 = c.values.iter().map(|v| v.baseline).sum();
            assert!((s - 1.0).abs() < 1e-9 && (t - 1.0).abs() < 1e-9, "{}: {s} {t}", c.column);
        }
        assert!((0.0..=1.0).contains(&c.score));
    }
    // Errors: the status columns explain the selection completely.
    let status = b.columns.iter().find(|c| c.column == "status.code").unwrap();
    assert_eq!(status.values[0].value, json!("ERROR"));
    assert!((status.values[0].selection - 1.0).abs() < 1e-12);
    let ranks: Vec<&str> = b.columns.iter().map(|c| c.column.as_str()).collect();
    assert!(ranks.iter().position(|c| *c == "status.code").unwrap() < 3, "{ranks:?}");
    // Integers with many values are measures, with shared buckets.
    assert!(b.columns.iter().any(|c| c.column == "http.response.body.size" && c.measure));
    assert!(b.columns.iter().any(|c| c.column == "http.status_code" && !c.measure));
}

#[test]
fn selections_are_validated() {
    for (sel, want) in [
        (json!({}), "needs a time range or filters"),
        (json!({"start_time": 10, "end_time": 5}), "selection.end_time"),
        (json!({"filters": [{"column": "x", "op": "nope", "value": 1}]}), "filters[0].op"),
        (json!({"box": 1}), "selection.box"),
    ] {
        let e = Selection::from_json(&sel).err().map(|e| e.to_string()).unwrap_or_default();
        assert!(e.contains(want), "{sel} → {e}");
    }
    let ds = demo_ds();
    let sel = Selection::from_json(&json!({"filters": [{"column": "nope", "op": "exists"}]})).unwrap();
    let e = bubbleup::run(&ds, &whole_range(), &sel).err().unwrap().to_string();
    assert!(e.contains("selection") && e.contains("nope"), "{e}");
}

/// Every dimension value's selection and baseline counts equal what the query engine counts for
/// that value (dictionary, plain string, integer and boolean columns; nulls included), weighted
/// by the sample rate and not.
#[test]
fn value_counts_agree_with_the_query_engine_for_every_column_kind() {
    use apiary::dataset::SampleRate;
    let end = END_MS / 1000;
    // A query with a filter and a part of the time range; the selection: slow spans in its last hour.
    let spec = QuerySpec::from_json(&json!({"start_time": end - 4 * 3600, "end_time": end, "filters": [{"column": "span.kind", "op": "=", "value": "server"}]})).unwrap();
    let sel = Selection::from_json(&json!({"start_time": end - 3600, "filters": [{"column": "duration_ms", "op": ">", "value": 300}]})).unwrap();
    for weighted in [false, true] {
        let mut ds = demo_ds();
        ds.set_sample_rate(if weighted { SampleRate::Auto } else { SampleRate::Off }).unwrap();
        let b = bubbleup::run(&ds, &spec, &sel).unwrap();
        // The first run hashed plain string columns and left their codes cached; the second
        // reads the cache and must agree.
        assert_eq!(bubbleup::run(&ds, &spec, &sel).unwrap(), b);
        let count = |extra: serde_json::Value, in_sel: bool| -> f64 {
            let mut q = spec.to_json();
            let mut filters = q["filters"].as_array().unwrap().clone();
            filters.push(extra);
            if in_sel {
                filters.push(json!({"column": "duration_ms", "op": ">", "value": 300}));
                q["start_time"] = json!(end - 3600);
            }
            q["filters"] = json!(filters);
            let r = query::run(&ds, &QuerySpec::from_json(&q).unwrap()).unwrap().to_json();
            r["results"].get(0).map_or(0.0, |x| x["data"]["COUNT"].as_f64().unwrap())
        };
        let mut checked = std::collections::BTreeSet::new();
        for c in b.columns.iter().filter(|c| !c.measure) {
            for v in c.values.iter().take(3) {
                let f = if v.value.is_null() { json!({"column": c.column, "op": "does-not-exist"}) } else { json!({"column": c.column, "op": "=", "value": v.value}) };
                let (s, all) = (count(f.clone(), true), count(f, false));
                assert!((v.selection_count - s).abs() < 1e-6, "{} = {}: selection {} vs {s} (weighted {weighted})", c.column, v.value, v.selection_count);
                assert!((v.baseline_count - (all - s)).abs() < 1e-6, "{} = {}: baseline {} vs {} (weighted {weighted})", c.column, v.value, v.baseline_count, all - s);
            }
            checked.insert(c.column.as_str());
        }
        // The column kinds this covers.
        for col in ["region", "error.message", "http.status_code", "error", "cache.hit"] {
            assert!(checked.contains(col), "{col} was compared: {checked:?}");
        }
    }
}

/// The report does not depend on the order of the rows: equal differences rank in value
/// order, whichever value came first.
#[test]
fn ranking_does_not_depend_on_row_order() {
    let rows = [("b", true, 7), ("a", true, 3), ("d", false, 7), ("c", false, 3), ("a", false, 5), ("b", false, 5)];
    let report = |order: &[usize]| {
        let lines: String = order.iter().map(|&i| format!("{{\"k\":\"{}\",\"e\":{},\"n\":{}}}\n", rows[i].0, rows[i].1, rows[i].2)).collect();
        let ds = DataSet::from_batches(apiary::ingest::load("rows.ndjson", lines.as_bytes()).unwrap().batches).unwrap();
        let sel = Selection::from_json(&json!({"filters": [{"column": "e", "op": "=", "value": true}]})).unwrap();
        let b = bubbleup::run(&ds, &QuerySpec::from_json(&json!({})).unwrap(), &sel).unwrap();
        b.columns.iter().map(|c| (c.column.clone(), c.values.iter().map(|v| v.value.clone()).collect::<Vec<_>>())).collect::<Vec<_>>()
    };
    let forward = report(&[0, 1, 2, 3, 4, 5]);
    assert_eq!(forward, report(&[5, 4, 3, 2, 1, 0]));
    assert_eq!(forward, report(&[3, 0, 5, 2, 4, 1]));
    let k = &forward.iter().find(|c| c.0 == "k").unwrap().1;
    // a and b: ½ of the selection, ¼ of the rest; c and d: none of it, ¼ of the rest.
    assert_eq!(k, &vec![json!("a"), json!("b"), json!("c"), json!("d")]);
    let n = &forward.iter().find(|c| c.0 == "n").unwrap().1;
    assert_eq!(n, &vec![json!(3), json!(7), json!(5)]);
}
