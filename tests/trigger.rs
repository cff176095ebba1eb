//! Triggers on hand-made events: the value per group over the trigger's range (ending at the
//! latest event), which groups cross the threshold, the state; and Honeycomb's rules for a
//! trigger's query as named errors.

mod common;

use std::sync::Arc;

use apiary::trigger::{evaluate, Trigger};
use arrow_array::{ArrayRef, Float64Array, StringArray, TimestampMillisecondArray};
use serde_json::json;

const T0: i64 = 1_767_225_600_000;

fn events() -> apiary::DataSet {
    // An hour of events a minute apart: api 100 ms (the last ten minutes 900 ms), db 50 ms.
    let (mut t, mut svc, mut dur) = (Vec::new(), Vec::new(), Vec::new());
    for m in 0..60i64 {
        for (s, d) in [("api", if m >= 50 { 900.0 } else { 100.0 }), ("db", 50.0)] {
            t.push(T0 + m * 60_000);
            svc.push(s);
            dur.push(d);
        }
    }
    common::dataset(vec![
        ("timestamp", Arc::new(TimestampMillisecondArray::from(t)) as ArrayRef),
        ("service.name", Arc::new(StringArray::from(svc))),
        ("duration_ms", Arc::new(Float64Array::from(dur))),
    ])
}

fn trigger(range: i64, op: &str, value: f64) -> Trigger {
    Trigger::from_json_str(&json!({"name": "slow", "query": {"calculations": [{"op": "AVG", "column": "duration_ms"}], "breakdowns": ["service.name"], "time_range": range},
        "threshold": {"op": op, "value": value}, "frequency": 600}).to_string()).unwrap()
}

#[test]
fn groups_that_cross_the_threshold_trigger() {
    let ds = events();
    // The last ten minutes (59:00 is the latest event; the range ends just after it).
    let r = evaluate(&ds, &trigger(600, ">", 500.0), None).unwrap();
    assert_eq!(r["status"], "TRIGGERED");
    assert_eq!(r["result_groups_triggered"], json!([{"Group": {"service.name": "api"}, "Result": 900.0}]));
    assert_eq!(r["result_groups"].as_array().unwrap().len(), 2);
    // Over the last 40 minutes api averages (30·100 + 10·900) / 40 = 300: OK.
    let r = evaluate(&ds, &trigger(2400, ">", 500.0), None).unwrap();
    assert_eq!(r["status"], "OK");
    assert_eq!(r["result_groups"][0], json!({"Group": {"service.name": "api"}, "Result": 300.0}));
    // As of twenty minutes earlier, nothing was slow; below-threshold checks work too.
    let r = evaluate(&ds, &trigger(600, "<=", 50.0), Some(T0 + 40 * 60_000)).unwrap();
    assert_eq!(r["status"], "TRIGGERED");
    assert_eq!(r["result_groups_triggered"], json!([{"Group": {"service.name": "db"}, "Result": 50.0}]));
}

#[test]
fn a_triggers_query_follows_the_rules() {
    for (t, want) in [
        (json!({"name": "x", "query": {"calculations": [{"op": "COUNT"}, {"op": "AVG", "column": "d"}]}, "threshold": {"op": ">", "value": 1}}), "exactly one calculation"),
        (json!({"name": "x", "query": {"calculations": [{"op": "HEATMAP", "column": "d"}]}, "threshold": {"op": ">", "value": 1}}), "HEATMAP cannot"),
        (json!({"name": "x", "query": {"limit": 5}, "threshold": {"op": ">", "value": 1}}), "no orders or limit"),
        (json!({"name": "x", "query": {"time_range": 7200}, "threshold": {"op": ">", "value": 1}, "frequency": 600}), "four times the frequency"),
        (json!({"name": "x", "query": {}, "threshold": {"op": "=", "value": 1}}), "threshold.op"),
        (json!({"name": "x", "query": {}, "threshold": {"op": ">", "value": 1}, "frequency": 90}), "whole minutes"),
    ] {
        let e = Trigger::from_json_str(&t.to_string()).unwrap_err().to_string();
        assert!(e.contains(want), "{t}: {e}");
    }
}
