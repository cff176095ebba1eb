//! SLOs on hand-made events whose answers are worked out by hand: one event a minute for a day
//! (and one that does not count beside each), a few bad ones.

mod common;

use std::sync::Arc;

use apiary::slo::{evaluate, Slo};
use apiary::DataSet;
use arrow_array::{ArrayRef, BooleanArray, TimestampMillisecondArray};
use serde_json::{json, Value as Json};

const T0: i64 = 1_767_225_600_000; // 2026-01-01T00:00:00Z
const DAY_MIN: i64 = 1440;

/// Per minute of the day: one counted event (bad where `bad(minute)`), one not counted.
fn events(bad: impl Fn(i64) -> bool) -> DataSet {
    let mut t = Vec::new();
    let (mut ok, mut counted) = (Vec::new(), Vec::new());
    for m in 0..DAY_MIN {
        for c in [true, false] {
            t.push(T0 + m * 60_000 + 1_000);
            ok.push(!bad(m));
            counted.push(c);
        }
    }
    common::dataset(vec![
        ("timestamp", Arc::new(TimestampMillisecondArray::from(t)) as ArrayRef),
        ("ok", Arc::new(BooleanArray::from(ok))),
        ("counted", Arc::new(BooleanArray::from(counted))),
    ])
}

fn slo(alerts: Json) -> Slo {
    Slo::from_json_str(&json!({"name": "checkout", "sli": "IF($counted, $ok)", "target_percentage": 99.0, "time_period_days": 1, "burn_alerts": alerts}).to_string()).unwrap()
}

fn close(a: &Json, b: f64) -> bool {
    a.as_f64().is_some_and(|a| (a - b).abs() <= 1e-9 * b.abs().max(1.0))
}

#[test]
fn budget_burn_rates_history_and_alerts() {
    // 14 bad of 1,440: nine in the third hour, the last five minutes.
    let ds = events(|m| (120..129).contains(&m) || m >= 1435);
    let at = T0 + DAY_MIN * 60_000;
    let alerts = json!([{"type": "multi_window"}, {"type": "exhaustion_time", "exhaustion_minutes": 240, "lookback_minutes": 60}, {"type": "budget_rate", "budget_rate_window_minutes": 60, "budget_rate_decrease_percent": 20}]);
    let r = evaluate(&ds, &slo(alerts), Some(at)).unwrap();
    assert_eq!(r["sli"], json!({"good": 1426.0, "bad": 14.0, "qualified": 1440.0}));
    assert!(close(&r["compliance"], 1426.0 / 1440.0));
    // 1% of 1,440 may fail: 14.4; 14 did, 1 − 14/14.4 is left.
    assert!(close(&r["budget"]["allowed"], 14.4));
    assert!(close(&r["budget"]["remaining"], 1.0 - 14.0 / 14.4), "{}", r["budget"]);
    // Burn: (bad / qualified in the window) / 1%.
    for (w, want) in [("5m", 100.0), ("30m", 5.0 / 30.0 / 0.01), ("1h", 5.0 / 60.0 / 0.01), ("6h", 5.0 / 360.0 / 0.01), ("1d", 14.0 / 1440.0 / 0.01), ("3d", 14.0 / 1440.0 / 0.01)] {
        assert!(close(&r["burn_rates"][w], want), "{w}: {}", r["burn_rates"][w]);
    }
    // No multi-window rule fires (1 h burns 8.3×, 6 h 1.4×, 3 d 0.97×)…
    let a = r["alerts"].as_array().unwrap();
    assert_eq!(a.iter().filter(|x| x["type"] == "multi_window").map(|x| x["fired"].clone()).collect::<Vec<_>>(), vec![json!(false); 3]);
    // …but at the last hour's 5 bad a minute-per-12, the 0.4 left lasts 4.8 minutes: within 240.
    let ex = a.iter().find(|x| x["type"] == "exhaustion_time").unwrap();
    assert!(close(&ex["minutes_to_exhaustion"], 0.4 / (5.0 / 60.0)) && ex["fired"] == json!(true), "{ex}");
    // The last hour took 5/14.4 = 34.7% of the budget: at least 20%.
    let br = a.iter().find(|x| x["type"] == "budget_rate").unwrap();
    assert!(close(&br["budget_decrease_percent"], 5.0 / 14.4 * 100.0) && br["fired"] == json!(true), "{br}");
    // Burn-down per hour: 9 bad by the end of the third hour; all 14 by the end.
    let bd = r["burndown"].as_array().unwrap();
    assert_eq!(bd.len(), 24);
    assert!(close(&bd[1]["remaining"], 1.0) && close(&bd[2]["remaining"], 1.0 - 9.0 / 14.4) && close(&bd[23]["remaining"], 1.0 - 14.0 / 14.4));
    assert_eq!(r["history"], json!([{"day": "2026-01-01", "compliance": 1426.0 / 1440.0}]));
}

#[test]
fn a_fast_burn_pages() {
    // The last hour all bad: 1 h and 5 m burn 100×, 6 h 16.7×, 3 d (one day of data) 4.2×: every rule fires.
    let ds = events(|m| m >= DAY_MIN - 60);
    let r = evaluate(&ds, &slo(json!([{"type": "multi_window"}])), None).unwrap();
    let a = r["alerts"].as_array().unwrap();
    assert_eq!(a[0]["severity"], "page");
    assert!(close(&a[0]["long_burn_rate"], 100.0) && close(&a[0]["short_burn_rate"], 100.0));
    assert_eq!(a.iter().map(|x| x["fired"].clone()).collect::<Vec<_>>(), vec![json!(true); 3], "{a:?}");
    assert!(r["budget"]["remaining"].is_null() || r["budget"]["remaining"].as_f64().unwrap() < 0.0);
}

#[test]
fn bad_slos_are_named_errors() {
    let ds = events(|_| false);
    for (slo, want) in [
        (json!({"name": "x", "sli": "$ok", "target_percentage": 100, "time_period_days": 30}), "target_percentage"),
        (json!({"name": "x", "sli": "$ok", "target_percentage": 99, "time_period_days": 0}), "time_period_days"),
        (json!({"name": "x", "sli": "$ok", "target_percentage": 99, "time_period_days": 30, "burn_alerts": [{"type": "budget_rate", "budget_rate_window_minutes": 5, "budget_rate_decrease_percent": 5}]}), "burn_alerts[0]"),
    ] {
        let e = Slo::from_json_str(&slo.to_string()).unwrap_err().to_string();
        assert!(e.contains(want), "{e}");
    }
    let not_bool = Slo::from_json_str(&json!({"name": "x", "sli": "IF($ok, 1, 0)", "target_percentage": 99, "time_period_days": 1}).to_string()).unwrap();
    let e = evaluate(&ds, &not_bool, None).unwrap_err().to_string();
    assert!(e.contains("true (good), false (bad) or null"), "{e}");
    let bad_formula = Slo::from_json_str(&json!({"name": "x", "sli": "LT($nope, 1)", "target_percentage": 99, "time_period_days": 1}).to_string()).unwrap();
    let e = evaluate(&ds, &bad_formula, None).unwrap_err().to_string();
    assert!(e.contains("sli") && e.contains("no column named \"nope\" at character 4"), "{e}");
}
