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
