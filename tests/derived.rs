//! Derived columns on hand-made events whose answers are known: every function's rules (nulls,
//! types, division by zero), and derived columns wherever a column goes (WHERE, GROUP BY,
//! VISUALIZE, ORDER BY, HAVING, BubbleUp, the trace list), with errors that point at the
//! character.

mod common;

use std::sync::Arc;

use apiary::{bubbleup, DataSet, QuerySpec};
use arrow_array::{ArrayRef, BooleanArray, Float64Array, Int64Array, StringArray, TimestampMillisecondArray};
use common::{dataset, rows, run, run_err};
use serde_json::{json, Value as Json};

const T0: i64 = 1_709_209_815_000; // 2024-02-29T12:30:15Z

fn events() -> DataSet {
    dataset(vec![
        ("timestamp", Arc::new(TimestampMillisecondArray::from(vec![T0, T0 + 1000, T0 + 2000, T0 + 3000, T0 + 4000])) as ArrayRef),
        ("row", Arc::new(Int64Array::from(vec![0, 1, 2, 3, 4]))),
        ("a", Arc::new(Int64Array::from(vec![Some(1), Some(5), None, Some(10), Some(-3)]))),
        ("b", Arc::new(Float64Array::from(vec![Some(2.0), Some(0.0), Some(1.5), None, Some(4.0)]))),
        ("s", Arc::new(StringArray::from(vec![Some("GET /api/x"), Some("post"), None, Some(""), Some("TRUE")]))),
        ("e", Arc::new(BooleanArray::from(vec![Some(true), Some(false), None, Some(true), Some(false)]))),
    ])
}

fn range() -> String {
    format!("\"start_time\": {}, \"end_time\": {}", T0 / 1000, T0 / 1000 + 10)
}

/// The derived column's value in each row, in row order.
fn values(ds: &DataSet, formula: &str) -> Vec<Json> {
    let spec = json!({"calculated_fields": [{"name": "d", "expression": formula}], "breakdowns": ["row", "d"], "orders": [{"column": "row"}], "start_time": T0 / 1000, "end_time": T0 / 1000 + 10}).to_string();
    rows(&run(ds, &spec)).into_iter().map(|r| r["d"].clone()).collect()
}

#[test]
fn every_function_by_its_rules() {
    let ds = events();
    let n = Json::Null;
    let cases: Vec<(&str, Vec<Json>)> = vec![
        // Arithmetic: SUM/MIN/MAX leave nulls out; SUB/MUL/DIV/MOD are null with a null; ÷0 is null.
        ("DIV($a, $b)", vec![json!(0.5), n.clone(), n.clone(), n.clone(), json!(-0.75)]),
        ("MOD($a, 3)", vec![json!(1), json!(2), n.clone(), json!(1), json!(0)]),
        ("MOD($a, 0)", vec![n.clone(); 5]),
        ("SUM($a, $b)", vec![json!(3.0), json!(5.0), json!(1.5), json!(10.0), json!(1.0)]),
        ("SUB($a, $b)", vec![json!(-1.0), json!(5.0), n.clone(), n.clone(), json!(-7.0)]),
        ("MIN($a, $b)", vec![json!(1.0), json!(0.0), json!(1.5), json!(10.0), json!(-3.0)]),
        ("MAX($a, 2, 3)", vec![json!(3), json!(5), json!(3), json!(10), json!(3)]),
        ("$a * 2 + 1", vec![json!(3), json!(11), json!(1), json!(21), json!(-5)]),
        ("LOG10($a)", vec![json!(0.0), json!(5f64.log10()), n.clone(), json!(1.0), n.clone()]),
        ("BUCKET($a, 4)", vec![json!(0), json!(4), n.clone(), json!(8), json!(-4)]),
        ("BUCKET($a, 4, 0, 8)", vec![json!(0), json!(4), n.clone(), json!(8), json!(0)]),
        // Conditionals.
        (r#"IF(GT($a, 4), "big", EQUALS($a, null), "none", "small")"#, vec![json!("small"), json!("big"), json!("none"), json!("big"), json!("small")]),
        (r#"IF(GT($a, 4), "big")"#, vec![n.clone(), json!("big"), n.clone(), json!("big"), n.clone()]),
        (r#"SWITCH($s, "post", 1, "", 2, 0)"#, vec![json!(0), json!(1), json!(0), json!(2), json!(0)]),
        (r#"COALESCE($s, "dflt")"#, vec![json!("GET /api/x"), json!("post"), json!("dflt"), json!("dflt"), json!("TRUE")]),
        // Truth: true, non-zero numbers, the string "true" (any case).
        ("IF($s, 1, 0)", vec![json!(0), json!(0), json!(0), json!(0), json!(1)]),
        ("IF($a, 1, 0)", vec![json!(1), json!(1), json!(0), json!(1), json!(1)]),
        // Comparisons are never null; EQUALS is typed and null equals null.
        ("LT($a, $b)", vec![json!(true), json!(false), json!(false), json!(false), json!(true)]),
        ("EQUALS($a, 5.0)", vec![json!(false), json!(true), json!(false), json!(false), json!(false)]),
        ("EQUALS($s, null)", vec![json!(false), json!(false), json!(true), json!(false), json!(false)]),
        (r#"EQUALS($a, "5")"#, vec![json!(false); 5]),
        ("$s < \"b\"", vec![json!(true), json!(false), json!(false), json!(true), json!(true)]),
        ("IN($a, 1, 10)", vec![json!(true), json!(false), json!(false), json!(true), json!(false)]),
        ("NOT($e)", vec![json!(false), json!(true), json!(true), json!(false), json!(true)]),
        ("AND($e, EXISTS($b))", vec![json!(true), json!(false), json!(false), json!(false), json!(false)]),
        ("$e OR $a > 9", vec![json!(true), json!(false), json!(false), json!(true), json!(false)]),
        // Conversions.
        ("INT($b)", vec![json!(2), json!(0), json!(1), n.clone(), json!(4)]),
        (r#"INT(CONCAT("4", $a))"#, vec![json!(41), json!(45), json!(4), json!(410), json!(0)]),
        (r#"FLOAT("x")"#, vec![json!(0.0); 5]),
        ("BOOL($a)", vec![json!(true), json!(true), n.clone(), json!(true), json!(true)]),
        ("STRING($b)", vec![json!("2"), json!("0"), json!("1.5"), n.clone(), json!("4")]),
        // Strings.
        (r#"CONCAT($s, "-", $a)"#, vec![json!("GET /api/x-1"), json!("post-5"), json!("-"), json!("-10"), json!("TRUE--3")]),
        ("TO_LOWER($s)", vec![json!("get /api/x"), json!("post"), n.clone(), json!(""), json!("true")]),
        (r#"STARTS_WITH($s, "GET")"#, vec![json!(true), json!(false), json!(false), json!(false), json!(false)]),
        (r#"ENDS_WITH($s, "st")"#, vec![json!(false), json!(true), json!(false), json!(false), json!(false)]),
        (r#"CONTAINS($s, "/")"#, vec![json!(true), json!(false), json!(false), json!(false), json!(false)]),
        ("LENGTH($s)", vec![json!(10), json!(4), n.clone(), json!(0), json!(4)]),
        (r#"LENGTH("né", "bytes")"#, vec![json!(3); 5]),
        (r#"LENGTH("né")"#, vec![json!(2); 5]),
        // Regular expressions: REG_VALUE is the first group (the match without groups).
        (r#"REG_MATCH($s, `^[A-Z]+$`)"#, vec![json!(false), json!(false), json!(false), json!(false), json!(true)]),
        (r#"REG_VALUE($s, `/api/(\w+)`)"#, vec![json!("x"), n.clone(), n.clone(), n.clone(), n.clone()]),
        (r#"REG_VALUE($s, `[a-z]+`)"#, vec![json!("api"), json!("post"), n.clone(), n.clone(), n.clone()]),
        (r#"REG_COUNT($s, `[A-Z]`)"#, vec![json!(3), json!(0), json!(0), json!(0), json!(4)]),
        // Time: RFC 3339 to unix seconds, the event's time, strftime in UTC.
        (r#"UNIX_TIMESTAMP("2024-02-29T12:30:15Z")"#, vec![json!(1_709_209_815.0); 5]),
        ("EVENT_TIMESTAMP() - 1709209815", vec![json!(0), json!(1), json!(2), json!(3), json!(4)]),
        (r#"FORMAT_TIME("%Y-%m-%d %H:%M:%S", EVENT_TIMESTAMP())"#, (0..5).map(|i| json!(format!("2024-02-29 12:30:{}", 15 + i))).collect()),
    ];
    for (formula, want) in cases {
        assert_eq!(values(&ds, formula), want, "{formula}");
    }
}

#[test]
fn derived_columns_go_wherever_a_column_goes() {
    let ds = events();
    let r = range();
    // WHERE and VISUALIZE on derived columns; the second reads the first.
    let spec = format!(
        r#"{{"calculated_fields": [{{"name": "ratio", "expression": "DIV($a, $b)"}}, {{"name": "neg", "expression": "LT($ratio, 0)"}}],
            "calculations": [{{"op": "COUNT"}}, {{"op": "SUM", "column": "ratio"}}], "filters": [{{"column": "neg", "op": "=", "value": false}}], {r}}}"#
    );
    assert_eq!(rows(&run(&ds, &spec)), vec![json!({"COUNT": 4, "SUM(ratio)": 0.5})]);
    // GROUP BY, ORDER BY a calculation on it, HAVING, LIMIT.
    let spec = format!(
        r#"{{"calculated_fields": [{{"name": "kind", "expression": "IF(GT($a, 4), \"big\", \"small\")"}}, {{"name": "twice", "expression": "$a * 2"}}],
            "calculations": [{{"op": "MAX", "column": "twice"}}, {{"op": "COUNT"}}], "breakdowns": ["kind"],
            "orders": [{{"op": "MAX", "column": "twice", "order": "ascending"}}], "havings": [{{"calculate_op": "COUNT", "op": ">", "value": 1}}], {r}}}"#
    );
    assert_eq!(rows(&run(&ds, &spec)), vec![json!({"kind": "small", "MAX(twice)": 2, "COUNT": 3}), json!({"kind": "big", "MAX(twice)": 20, "COUNT": 2})]);
    // BubbleUp compares derived columns too, and selects by them.
    let spec = QuerySpec::from_json(&json!({"calculated_fields": [{"name": "kind", "expression": "IF(GT($a, 4), \"big\", \"small\")"}], "start_time": T0 / 1000, "end_time": T0 / 1000 + 10})).unwrap();
    let sel = bubbleup::Selection::from_json(&json!({"filters": [{"column": "kind", "op": "=", "value": "big"}]})).unwrap();
    let b = bubbleup::run(&ds, &spec, &sel).unwrap();
    assert_eq!(b.selection_count, 2.0);
    let e = b.columns.iter().find(|c| c.column == "e").expect("e compared");
    // Half of the selection each, a third of the rest each: equal differences, in value order.
    assert_eq!(e.values.iter().take(2).map(|v| v.value.clone()).collect::<Vec<_>>(), vec![json!(false), json!(true)]);
    assert!(b.skipped.iter().any(|(c, _)| c == "kind"), "the selection's own column is reported, not ranked: {:?}", b.skipped);
}

#[test]
fn the_trace_list_reads_derived_columns() {
    let ds = DataSet::from_batches(apiary::demo::generate(5_000, 3, 4_096)).unwrap();
    let end = apiary::demo::END_MS / 1000;
    let spec = QuerySpec::from_json(&json!({"calculated_fields": [{"name": "slow_root", "expression": "AND(NOT(EXISTS($trace.parent_id)), GT($duration_ms, 300))"}],
        "filters": [{"column": "slow_root", "op": "=", "value": true}], "start_time": end - 6 * 3600, "end_time": end})).unwrap();
    let list = apiary::trace::slowest(&ds, &spec, None, 10).unwrap();
    assert!(!list.is_empty());
    assert!(list.iter().all(|t| t.duration_ms > 300.0), "{:?}", list.iter().map(|t| t.duration_ms).collect::<Vec<_>>());
}

#[test]
fn errors_name_the_field_and_the_character() {
    let ds = events();
    let r = range();
    let err = |formula: &str| run_err(&ds, &format!(r#"{{"calculated_fields": [{{"name": "d", "expression": {}}}], {r}}}"#, json!(formula)));
    for (formula, want) in [
        ("LT($nope, 1)", r#"calculated_fields[0]: "d": no column named "nope" at character 4"#),
        ("lt($a, 1)", "unknown function lt (functions are upper case: LT) at character 1"),
        ("SUM($s, 1)", "SUM needs numbers, and this is a string at character 5"),
        ("IF($a)", "IF takes at least 2 arguments, not 1 at character 1"),
        ("REG_MATCH($s, $s)", "REG_MATCH's pattern must be a string literal at character 15"),
        ("REG_MATCH($s, `(`)", "bad regular expression"),
        ("DIV($a, ", "at character 9"),
    ] {
        let e = err(formula);
        assert!(e.contains(want), "{formula}: {e}");
    }
    let clash = run_err(&ds, &format!(r#"{{"calculated_fields": [{{"name": "a", "expression": "1"}}], {r}}}"#));
    assert!(clash.contains("\"a\" is already a column"), "{clash}");
}
