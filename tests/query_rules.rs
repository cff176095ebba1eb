//! The query contract, rule by rule, on small hand-checked data.

mod common;

use std::sync::Arc;

use apiary::dataset::SampleRate;
use apiary::QuerySpec;
use arrow_array::{ArrayRef, BooleanArray, DictionaryArray, Float64Array, Int64Array, StringArray};
use arrow_array::types::Int32Type;
use common::*;
use serde_json::{json, Value as Json};

fn strs(v: &[Option<&str>]) -> ArrayRef {
    Arc::new(StringArray::from(v.to_vec()))
}
fn ints(v: &[Option<i64>]) -> ArrayRef {
    Arc::new(Int64Array::from(v.to_vec()))
}
fn floats(v: &[Option<f64>]) -> ArrayRef {
    Arc::new(Float64Array::from(v.to_vec()))
}

/// Eight spans: service, status, duration, user, error flag.
fn sample() -> apiary::DataSet {
    dataset(vec![
        ("timestamp", times(&[0, 10, 20, 30, 40, 50, 60, 70])),
        ("service", strs(&[Some("api"), Some("api"), Some("db"), Some("db"), Some("web"), None, Some("api"), Some("")])),
        ("status", ints(&[Some(200), Some(500), Some(200), None, Some(503), Some(200), Some(200), Some(404)])),
        ("duration_ms", floats(&[Some(1.0), Some(2.0), Some(3.0), Some(4.0), None, Some(6.0), Some(7.0), Some(8.0)])),
        ("user", strs(&[Some("a"), Some("b"), Some("a"), None, Some("c"), Some("a"), Some("b"), Some("d")])),
        ("error", Arc::new(BooleanArray::from(vec![Some(false), Some(true), Some(false), None, Some(true), Some(false), Some(false), Some(false)]))),
    ])
}

#[test]
fn empty_calculations_mean_count_and_no_breakdown_is_one_group() {
    let r = run(&sample(), &spec_all(""));
    assert_eq!(rows(&r), vec![json!({"COUNT": 8})]);
}

#[test]
fn time_range_includes_start_excludes_end() {
    let ds = sample();
    let s = T0 / 1000;
    let r = run(&ds, &format!(r#"{{"start_time":{},"end_time":{}}}"#, s + 10, s + 40));
    assert_eq!(col(&r, "COUNT"), vec![json!(3)]); // 10, 20, 30
}

#[test]
fn relative_range_ends_at_the_latest_event() {
    let ds = sample();
    // Latest event at +70 s; the last 30 s are +41..=+70 → 50, 60, 70.
    let r = run(&ds, r#"{"time_range":30}"#);
    assert_eq!(col(&r, "COUNT"), vec![json!(3)]);
}

#[test]
fn nulls_match_no_filter_but_does_not_exist() {
    let ds = sample();
    let count = |filter: Json| run(&ds, &spec_all(&format!(r#""filters":[{filter}]"#)))["results"][0]["data"]["COUNT"].clone();
    assert_eq!(count(json!({"column":"service","op":"!=","value":"api"})), json!(4)); // db, db, web, ""
    assert_eq!(count(json!({"column":"service","op":"does-not-exist"})), json!(1));
    assert_eq!(count(json!({"column":"service","op":"exists"})), json!(7)); // "" is a value
    assert_eq!(count(json!({"column":"status","op":"not-in","value":[200]})), json!(3)); // 500 503 404
    assert_eq!(count(json!({"column":"service","op":"does-not-start-with","value":"a"})), json!(4));
    assert_eq!(count(json!({"column":"error","op":"!=","value":true})), json!(5));
}

#[test]
fn numeric_filters_compare_as_numbers() {
    let ds = sample();
    let count = |filter: Json| {
        let r = run(&ds, &spec_all(&format!(r#""filters":[{filter}]"#)));
        r["results"].as_array().unwrap().first().map(|x| x["data"]["COUNT"].clone()).unwrap_or(json!(0))
    };
    assert_eq!(count(json!({"column":"status","op":">=","value":500})), json!(2));
    assert_eq!(count(json!({"column":"status","op":">=","value":"500"})), json!(2)); // numeric string
    assert_eq!(count(json!({"column":"status","op":">","value":499.5})), json!(2)); // int vs float
    assert_eq!(count(json!({"column":"duration_ms","op":"=","value":3})), json!(1)); // float vs int
    assert_eq!(count(json!({"column":"duration_ms","op":"in","value":[1, "2", 7.0]})), json!(3));
    assert_eq!(count(json!({"column":"status","op":"<","value":100})), json!(0));
}

#[test]
fn string_filters_are_case_sensitive_code_point_ops() {
    let ds = sample();
    let count = |filter: Json| {
        let r = run(&ds, &spec_all(&format!(r#""filters":[{filter}]"#)));
        r["results"].as_array().unwrap().first().map(|x| x["data"]["COUNT"].clone()).unwrap_or(json!(0))
    };
    assert_eq!(count(json!({"column":"service","op":"starts-with","value":"a"})), json!(3));
    assert_eq!(count(json!({"column":"service","op":"starts-with","value":"A"})), json!(0));
    assert_eq!(count(json!({"column":"service","op":"contains","value":"b"})), json!(3)); // db db web
    assert_eq!(count(json!({"column":"service","op":"ends-with","value":"eb"})), json!(1));
    assert_eq!(count(json!({"column":"service","op":">","value":"c"})), json!(3)); // db db web
    assert_eq!(count(json!({"column":"service","op":"in","value":["db","web"]})), json!(3));
    assert_eq!(count(json!({"column":"service","op":"=","value":""})), json!(1));
}

#[test]
fn or_combination_unions_filters() {
    let ds = sample();
    let r = run(&ds, &spec_all(r#""filters":[{"column":"service","op":"=","value":"web"},{"column":"status","op":"=","value":404}],"filter_combination":"OR""#));
    assert_eq!(col(&r, "COUNT"), vec![json!(2)]);
}

#[test]
fn aggregates_ignore_nulls_and_sum_of_ints_is_exact() {
    let ds = sample();
    let r = run(&ds, &spec_all(r#""calculations":[{"op":"SUM","column":"status"},{"op":"AVG","column":"duration_ms"},{"op":"MIN","column":"status"},{"op":"MAX","column":"duration_ms"},{"op":"COUNT_DISTINCT","column":"user"},{"op":"COUNT"}]"#));
    assert_eq!(
        rows(&r),
        vec![json!({"SUM(status)": 2207, "AVG(duration_ms)": 31.0/7.0, "MIN(status)": 200, "MAX(duration_ms)": 8.0, "COUNT_DISTINCT(user)": 4, "COUNT": 8})]
    );
}

#[test]
fn all_null_group_gives_null_aggregates() {
    let ds = dataset(vec![("timestamp", times(&[0, 1])), ("k", strs(&[Some("x"), Some("y")])), ("v", floats(&[None, Some(2.0)]))]);
    let r = run(&ds, &spec_all(r#""calculations":[{"op":"AVG","column":"v"},{"op":"SUM","column":"v"},{"op":"P50","column":"v"},{"op":"COUNT"}],"breakdowns":["k"],"orders":[{"column":"k"}]"#));
    assert_eq!(rows(&r), vec![json!({"k":"x","AVG(v)":null,"SUM(v)":null,"P50(v)":null,"COUNT":1}), json!({"k":"y","AVG(v)":2.0,"SUM(v)":2.0,"P50(v)":2.0,"COUNT":1})]);
}

#[test]
fn percentiles_interpolate_linearly() {
    // Values 1..=4 and 6, 7, 8 (one null): n = 7.
    let ds = sample();
    let r = run(&ds, &spec_all(r#""calculations":[{"op":"P50","column":"duration_ms"},{"op":"P25","column":"duration_ms"},{"op":"P99","column":"duration_ms"},{"op":"P001","column":"duration_ms"}]"#));
    let d = &rows(&r)[0];
    let sorted = [1.0, 2.0, 3.0, 4.0, 6.0, 7.0, 8.0];
    let expect = |p: f64| {
        let h = 6.0 * p;
        let lo = h.floor() as usize;
        sorted[lo] + (h - lo as f64) * (sorted[(lo + 1).min(6)] - sorted[lo])
    };
    assert_eq!(d["P50(duration_ms)"], json!(4.0));
    assert!((d["P25(duration_ms)"].as_f64().unwrap() - 2.5).abs() < 1e-12);
    assert!((d["P99(duration_ms)"].as_f64().unwrap() - expect(0.99)).abs() < 1e-12);
    assert!((d["P001(duration_ms)"].as_f64().unwrap() - expect(0.001)).abs() < 1e-12);
}

#[test]
fn breakdowns_keep_types_and_null_is_a_group() {
    let ds = sample();
    let r = run(&ds, &spec_all(r#""breakdowns":["status"],"orders":[{"column":"status","order":"descending"}]"#));
    // Descending by status, null last.
    assert_eq!(col(&r, "status"), vec![json!(503), json!(500), json!(404), json!(200), Json::Null]);
    assert_eq!(col(&r, "COUNT"), vec![json!(1), json!(1), json!(1), json!(4), json!(1)]);
    let r = run(&ds, &spec_all(r#""breakdowns":["error"]"#));
    assert_eq!(col(&r, "error"), vec![json!(false), json!(true), Json::Null]);
}

#[test]
fn default_order_is_first_calculation_descending_ties_by_breakdowns() {
    let ds = sample();
    let r = run(&ds, &spec_all(r#""breakdowns":["service"]"#));
    // api 3; then db 2; then "", web, null with 1 each: ties ascending by value, null last.
    assert_eq!(col(&r, "service"), vec![json!("api"), json!("db"), json!(""), json!("web"), Json::Null]);
}

#[test]
fn multiple_breakdowns_group_by_combinations() {
    let ds = sample();
    let r = run(&ds, &spec_all(r#""breakdowns":["service","user"],"orders":[{"column":"service"},{"column":"user"}]"#));
    let pairs: Vec<(Json, Json, Json)> = rows(&r).iter().map(|d| (d["service"].clone(), d["user"].clone(), d["COUNT"].clone())).collect();
    assert_eq!(
        pairs,
        vec![
            (json!(""), json!("d"), json!(1)),
            (json!("api"), json!("a"), json!(1)),
            (json!("api"), json!("b"), json!(2)),
            (json!("db"), json!("a"), json!(1)),
            (json!("db"), Json::Null, json!(1)),
            (json!("web"), json!("c"), json!(1)),
            (Json::Null, json!("a"), json!(1)),
        ]
    );
}

#[test]
fn havings_filter_totals_before_order_and_limit() {
    let ds = sample();
    let r = run(&ds, &spec_all(r#""calculations":[{"op":"COUNT"},{"op":"AVG","column":"duration_ms"}],"breakdowns":["service"],"havings":[{"calculate_op":"COUNT","op":">=","value":2}],"limit":1"#));
    assert_eq!(rows(&r), vec![json!({"service":"api","COUNT":3,"AVG(duration_ms)":10.0/3.0})]);
    // A null never matches a having: web's AVG is null.
    let r = run(&ds, &spec_all(r#""calculations":[{"op":"AVG","column":"duration_ms"}],"breakdowns":["service"],"havings":[{"calculate_op":"AVG","column":"duration_ms","op":"!=","value":0}]"#));
    assert!(!col(&r, "service").contains(&json!("web")));
    assert_eq!(rows(&r).len(), 4);
}

#[test]
fn order_by_calculation_ascending_puts_nulls_last() {
    let ds = sample();
    let r = run(&ds, &spec_all(r#""calculations":[{"op":"MAX","column":"duration_ms"}],"breakdowns":["service"],"orders":[{"op":"MAX","column":"duration_ms","order":"ascending"}]"#));
    assert_eq!(col(&r, "MAX(duration_ms)"), vec![json!(4.0), json!(6.0), json!(7.0), json!(8.0), Json::Null]);
}

#[test]
fn granularity_buckets_align_to_start_and_empty_buckets_are_absent() {
    let ds = sample();
    let s = T0 / 1000;
    let r = run(&ds, &format!(r#"{{"breakdowns":["service"],"granularity":30,"start_time":{},"end_time":{},"limit":1}}"#, s, s + 90));
    // Kept group: api (rows at 0, 10, 60) → buckets [0,30) has 2, [30,60) none, [60,90) has 1.
    let series = r["series"].as_array().unwrap();
    let got: Vec<(String, Json)> = series.iter().map(|p| (p["time"].as_str().unwrap().to_string(), p["data"]["COUNT"].clone())).collect();
    let t = |o: i64| apiary::query::result::iso8601(T0 + o * 1000);
    assert_eq!(got, vec![(t(0), json!(2)), (t(60), json!(1))]);
    assert!(series.iter().all(|p| p["data"]["service"] == json!("api")));
}

#[test]
fn sample_rate_weights_count_avg_and_percentiles_not_distinct() {
    let mut ds = dataset(vec![
        ("timestamp", times(&[0, 1, 2])),
        ("v", floats(&[Some(10.0), Some(20.0), Some(30.0)])),
        ("u", strs(&[Some("a"), Some("a"), Some("b")])),
        ("sample_rate", ints(&[Some(1), Some(3), None])),
    ]);
    let spec = spec_all(r#""calculations":[{"op":"COUNT"},{"op":"SUM","column":"v"},{"op":"AVG","column":"v"},{"op":"P50","column":"v"},{"op":"COUNT_DISTINCT","column":"u"}]"#);
    // Weights 1, 3, 1 (null → 1): expanded values 10,20,20,20,30.
    assert_eq!(rows(&run(&ds, &spec)), vec![json!({"COUNT":5,"SUM(v)":100.0,"AVG(v)":20.0,"P50(v)":20.0,"COUNT_DISTINCT(u)":2})]);
    ds.set_sample_rate(SampleRate::Off).unwrap();
    assert_eq!(rows(&run(&ds, &spec)), vec![json!({"COUNT":3,"SUM(v)":60.0,"AVG(v)":20.0,"P50(v)":20.0,"COUNT_DISTINCT(u)":2})]);
}

#[test]
fn heatmap_counts_add_up_within_min_max() {
    let ds = sample();
    let r = run(&ds, &spec_all(r#""calculations":[{"op":"HEATMAP","column":"duration_ms"}]"#));
    let h = &rows(&r)[0]["HEATMAP(duration_ms)"];
    assert_eq!(h["min"], json!(1.0));
    assert_eq!(h["max"], json!(8.0));
    let counts: Vec<f64> = h["counts"].as_array().unwrap().iter().map(|c| c.as_f64().unwrap()).collect();
    assert_eq!(counts.iter().sum::<f64>(), 7.0);
    assert_eq!(counts[0], 1.0);
    assert_eq!(*counts.last().unwrap(), 1.0); // max lands in the last bucket
}

#[test]
fn rate_sum_is_change_per_second_between_buckets() {
    let ds = dataset(vec![("timestamp", times(&[0, 10, 20, 30])), ("v", floats(&[Some(1.0), Some(2.0), Some(10.0), Some(4.0)]))]);
    let s = T0 / 1000;
    let r = run(&ds, &format!(r#"{{"calculations":[{{"op":"RATE_SUM","column":"v"}}],"granularity":20,"start_time":{s},"end_time":{}}}"#, s + 40));
    // Buckets: [0,20) sum 3, [20,40) sum 14 → rate (14 − 3) / 20 s.
    let rate = 11.0 / 20.0;
    assert_eq!(col(&r, "RATE_SUM(v)"), vec![json!(rate)]);
    let pts: Vec<Json> = r["series"].as_array().unwrap().iter().map(|p| p["data"]["RATE_SUM(v)"].clone()).collect();
    assert_eq!(pts, vec![Json::Null, json!(rate)]);
}

#[test]
fn concurrency_counts_spans_in_progress() {
    // Spans: [0, 25s], [10, 15s], [40, 41s] with 10 s buckets over 50 s.
    let ds = dataset(vec![("timestamp", times(&[0, 10, 40])), ("duration_ms", floats(&[Some(25_000.0), Some(5_000.0), Some(1_000.0)]))]);
    let s = T0 / 1000;
    let r = run(&ds, &format!(r#"{{"calculations":[{{"op":"CONCURRENCY"}}],"granularity":10,"start_time":{s},"end_time":{}}}"#, s + 50));
    // Buckets 0:[0,10) 1; 1:[10,20) 2; 2:[20,30) 1; 3: 0; 4:[40,50) 1 → peak 2.
    assert_eq!(col(&r, "CONCURRENCY"), vec![json!(2.0)]);
}

#[test]
fn dictionary_strings_group_and_filter_like_plain_strings() {
    let dict: DictionaryArray<Int32Type> = vec![Some("x"), None, Some("y"), Some("x")].into_iter().collect();
    let ds = dataset(vec![("timestamp", times(&[0, 1, 2, 3])), ("k", Arc::new(dict))]);
    let r = run(&ds, &spec_all(r#""breakdowns":["k"],"filters":[{"column":"k","op":"!=","value":"y"}]"#));
    assert_eq!(rows(&r), vec![json!({"k":"x","COUNT":2})]);
}

#[test]
fn no_matching_rows_give_zero_result_rows() {
    let ds = sample();
    let r = run(&ds, &spec_all(r#""filters":[{"column":"service","op":"=","value":"nope"}]"#));
    assert_eq!(r, json!({"results": [], "series": []}));
}

#[test]
fn spec_round_trips_through_json() {
    let text = r#"{"calculations":[{"op":"COUNT"},{"op":"P99","column":"duration_ms"},{"op":"HEATMAP","column":"duration_ms"}],"filters":[{"column":"status","op":">=","value":500},{"column":"service","op":"in","value":["a","b"]},{"column":"user","op":"exists"}],"filter_combination":"OR","breakdowns":["service","status"],"orders":[{"op":"P99","column":"duration_ms","order":"descending"},{"column":"service","order":"ascending"}],"havings":[{"calculate_op":"COUNT","op":">","value":10.0}],"limit":50,"time_range":3600,"granularity":60}"#;
    let spec = QuerySpec::from_json_str(text).unwrap();
    let back = spec.to_json();
    assert_eq!(back, serde_json::from_str::<Json>(text).unwrap());
    assert_eq!(QuerySpec::from_json(&back).unwrap(), spec);
}

#[test]
fn invalid_specs_name_the_field_and_reason() {
    let ds = sample();
    let cases = [
        (r#"{"calculations":[{"op":"P42","column":"x"}]}"#, "calculations[0].op"),
        (r#"{"calculations":[{"op":"AVG"}]}"#, "calculations[0].column"),
        (r#"{"calculations":[{"op":"COUNT","column":"x"}]}"#, "calculations[0].column"),
        (r#"{"calculations":[{"op":"AVG","column":"service"}]}"#, "calculations[0].column"),
        (r#"{"calculations":[{"op":"AVG","column":"nope"}]}"#, "calculations[0].column"),
        (r#"{"filters":[{"column":"service","op":"like","value":"x"}]}"#, "filters[0].op"),
        (r#"{"filters":[{"column":"service","op":"exists","value":"x"}]}"#, "filters[0].value"),
        (r#"{"filters":[{"column":"service","op":"in","value":"x"}]}"#, "filters[0].value"),
        (r#"{"filters":[{"column":"status","op":">","value":"abc"}]}"#, "filters[0].value"),
        (r#"{"filters":[{"column":"status","op":"contains","value":"5"}]}"#, "filters[0].op"),
        (r#"{"filters":[{"column":"nope","op":"exists"}]}"#, "filters[0].column"),
        (r#"{"breakdowns":["nope"]}"#, "breakdowns[0]"),
        (r#"{"orders":[{"op":"P99","column":"duration_ms"}]}"#, "orders[0]"),
        (r#"{"orders":[{"column":"service"}]}"#, "orders[0].column"),
        (r#"{"havings":[{"calculate_op":"HEATMAP","column":"x","op":">","value":1}]}"#, "havings[0].calculate_op"),
        (r#"{"havings":[{"calculate_op":"AVG","column":"x","op":">","value":1}]}"#, "havings[0]"),
        (r#"{"limit":0}"#, "limit"),
        (r#"{"limit":20000}"#, "limit"),
        (r#"{"granularity":-5}"#, "granularity"),
        (r#"{"start_time":10,"end_time":5}"#, "end_time"),
        (r#"{"filter_combination":"XOR"}"#, "filter_combination"),
        (r#"{"calculation":[]}"#, "calculation"),
        (r#"[1,2]"#, "(query)"),
    ];
    for (spec, field) in cases {
        let msg = run_err(&ds, spec);
        assert!(msg.starts_with(&format!("invalid query: {field}: ")), "{spec} → {msg}");
    }
}

#[test]
fn results_and_series_as_arrow_batches_keep_types() {
    use arrow_array::cast::AsArray;
    use arrow_array::types::{Float64Type, Int64Type};
    use arrow_array::Array;
    let ds = sample();
    let s = T0 / 1000;
    let spec = QuerySpec::from_json_str(&format!(r#"{{"calculations":[{{"op":"COUNT"}},{{"op":"AVG","column":"duration_ms"}}],"breakdowns":["status"],"granularity":30,"start_time":{s},"end_time":{}}}"#, s + 90)).unwrap();
    let r = apiary::query::run(&ds, &spec).unwrap();
    let b = r.results_batch().unwrap();
    assert_eq!(b.num_rows(), r.results.len());
    let names: Vec<String> = b.schema().fields().iter().map(|f| f.name().clone()).collect();
    assert_eq!(names, vec!["status", "COUNT", "AVG(duration_ms)"]);
    assert_eq!(b.column(0).as_primitive::<Int64Type>().value(0), 200);
    assert_eq!(b.column(1).as_primitive::<Int64Type>().value(0), 4);
    assert!(b.column(0).is_null(b.num_rows() - 1)); // the null group
    let avg = b.column(2).as_primitive::<Float64Type>();
    assert!((avg.value(0) - (1.0 + 3.0 + 6.0 + 7.0) / 4.0).abs() < 1e-12);
    let sb = r.series_batch().unwrap();
    assert_eq!(sb.num_rows(), r.series.len());
    assert_eq!(sb.schema().field(0).name(), "time");
    let bytes = apiary::ingest::arrow_ipc::write_stream_plain(&[b.clone()]).unwrap();
    let back = apiary::ingest::load("result", &bytes).unwrap();
    assert_eq!(back.batches[0], b);
}

#[test]
fn heatmap_cells_cover_every_value_once() {
    let ds = sample();
    let s = T0 / 1000;
    let spec = QuerySpec::from_json_str(&format!(r#"{{"calculations":[{{"op":"HEATMAP","column":"duration_ms"}}],"granularity":30,"start_time":{s},"end_time":{}}}"#, s + 90)).unwrap();
    let r = apiary::query::run(&ds, &spec).unwrap();
    let cells = apiary::render::heatmap::cells(&r, 0, 0);
    assert_eq!(cells.iter().map(|c| c.3).sum::<f64>(), 7.0); // 7 non-null durations
    assert!(cells.iter().all(|(t, lo, hi, _)| (t - T0) % 30_000 == 0 && lo < hi && *lo >= 1.0 && *hi <= 8.0 + 1e-9));
    let (a, b) = (apiary::render::heatmap::cell_color(1.0, 10.0), apiary::render::heatmap::cell_color(10.0, 10.0));
    assert_ne!(a, b);
}

#[test]
fn a_single_percentile_by_selection_equals_the_sorted_answer() {
    // One percentile per column takes the selection path; small and unsorted groups included.
    let vals: Vec<Option<f64>> = vec![Some(10.0), Some(2.0), Some(7.0), Some(7.0), Some(-1.0), Some(30.0), Some(4.0)];
    let keys: Vec<Option<&str>> = vec![Some("a"), Some("a"), Some("b"), Some("b"), Some("b"), Some("b"), Some("c")];
    let ds = dataset(vec![("timestamp", times(&[0, 1, 2, 3, 4, 5, 6])), ("k", strs(&keys)), ("v", floats(&vals))]);
    let r = run(&ds, &spec_all(r#""calculations":[{"op":"P25","column":"v"}],"breakdowns":["k"],"orders":[{"column":"k"}]"#));
    // a: [2, 10] → 2 + 0.25·8 = 4; b: [-1, 7, 7, 30] → h = 0.75 → -1 + 0.75·8 = 5; c: [4] → 4.
    assert_eq!(col(&r, "P25(v)"), vec![json!(4.0), json!(5.0), json!(4.0)]);
}

#[test]
fn count_distinct_of_strings_agrees_with_a_plain_count_for_few_and_many_groups() {
    // 60,000 rows in 60 batches; `s` has ~3,000 values (and nulls). Grouped by `few` (7 groups:
    // bitsets) and by `many` (30,000 groups: bitsets give way to hash sets part-way through).
    let n = 60_000i64;
    let s: Vec<Option<String>> = (0..n).map(|i| if i % 11 == 0 { None } else { Some(format!("v{}", (i * 7919) % 3001)) }).collect();
    let mut batches = Vec::new();
    let schema = Arc::new(arrow_schema::Schema::new(vec![
        arrow_schema::Field::new("timestamp", arrow_schema::DataType::Timestamp(arrow_schema::TimeUnit::Millisecond, Some("UTC".into())), true),
        arrow_schema::Field::new("s", arrow_schema::DataType::Utf8, true),
        arrow_schema::Field::new("few", arrow_schema::DataType::Int64, true),
        arrow_schema::Field::new("many", arrow_schema::DataType::Int64, true),
    ]));
    for b in 0..60 {
        let r = b * 1000..(b + 1) * 1000;
        let cols: Vec<ArrayRef> = vec![
            Arc::new(arrow_array::TimestampMillisecondArray::from(r.clone().map(|i| T0 + i).collect::<Vec<_>>()).with_timezone("UTC")),
            Arc::new(StringArray::from(r.clone().map(|i| s[i as usize].clone()).collect::<Vec<_>>())),
            ints(&r.clone().map(|i| Some(i % 7)).collect::<Vec<_>>()),
            ints(&r.clone().map(|i| Some(i % 30_000)).collect::<Vec<_>>()),
        ];
        batches.push(arrow_array::RecordBatch::try_new(schema.clone(), cols).unwrap());
    }
    let ds = apiary::DataSet::from_batches(batches).unwrap();
    for (by, groups) in [("few", 7i64), ("many", 30_000)] {
        let r = run(&ds, &spec_all(&format!(r#""calculations":[{{"op":"COUNT_DISTINCT","column":"s"}}],"breakdowns":["{by}"],"limit":1000"#)));
        let got = rows(&r);
        assert_eq!(got.len(), 1000.min(groups as usize));
        for row in got {
            let g = row[by].as_i64().unwrap();
            let want: std::collections::HashSet<&String> = (0..n).filter(|i| i % groups == g).filter_map(|i| s[i as usize].as_ref()).collect();
            assert_eq!(row["COUNT_DISTINCT(s)"], json!(want.len()), "{by} = {g}");
        }
        // The same again: the data set's cached codes give the same answer.
        assert_eq!(run(&ds, &spec_all(&format!(r#""calculations":[{{"op":"COUNT_DISTINCT","column":"s"}}],"breakdowns":["{by}"],"limit":1000"#))), r);
    }
}

#[test]
fn within_a_selection_ands_its_range_and_filters_with_an_or_query() {
    use apiary::query::{run_with, selection::Selection, RunOptions};
    let ds = sample();
    let s = T0 / 1000;
    // service = db OR status >= 500 → rows 1 (api 500), 2 (db), 3 (db), 4 (web 503).
    let spec = QuerySpec::from_json_str(&format!(r#"{{"filters":[{{"column":"service","op":"=","value":"db"}},{{"column":"status","op":">=","value":500}}],"filter_combination":"OR","breakdowns":["service"],"start_time":{s},"end_time":{}}}"#, s + 100)).unwrap();
    let plain = apiary::query::run(&ds, &spec).unwrap().to_json();
    assert_eq!(plain["results"].as_array().unwrap().len(), 3);
    // Within +10 s ..+40 s and duration_ms > 2: rows 2 and 3 (db, 3 and 4 ms); row 1 has 2 ms, row 4 no duration.
    let within = Selection::from_json(&json!({"start_time": s + 10, "end_time": s + 40, "filters": [{"column": "duration_ms", "op": ">", "value": 2}]})).unwrap();
    let r = run_with(&ds, &spec, &RunOptions { within: Some(within), ..Default::default() }).unwrap().to_json();
    assert_eq!(rows(&r), vec![json!({"service": "db", "COUNT": 2})]);
    let bad = Selection { filters: vec![apiary::query::spec::Filter { column: "nope".into(), op: apiary::query::spec::FilterOp::Exists, value: None }], ..Default::default() };
    let e = run_with(&ds, &spec, &RunOptions { within: Some(bad), ..Default::default() }).unwrap_err().to_string();
    assert!(e.contains("selection") && e.contains("nope"), "{e}");
}

#[test]
fn a_heatmap_alone_has_the_same_series_points_as_beside_a_count() {
    // 10 s buckets: the bucket at 40 s holds one row, whose duration is null: its point is there,
    // with a null heatmap. With and without GROUP BY (the fused and the kept-groups paths).
    let ds = sample();
    for by in ["", r#","breakdowns":["service"]"#] {
        let alone = run(&ds, &spec_all(&format!(r#""calculations":[{{"op":"HEATMAP","column":"duration_ms"}}],"granularity":10{by}"#)));
        let beside = run(&ds, &spec_all(&format!(r#""calculations":[{{"op":"COUNT"}},{{"op":"HEATMAP","column":"duration_ms"}}],"granularity":10{by}"#)));
        let points = |r: &Json| -> Vec<(Json, Json, Json)> {
            r["series"].as_array().unwrap().iter().map(|p| (p["time"].clone(), p["data"]["service"].clone(), p["data"]["HEATMAP(duration_ms)"].clone())).collect()
        };
        let sorted = |mut v: Vec<(Json, Json, Json)>| {
            v.sort_by_key(|p| format!("{p:?}"));
            v
        };
        assert_eq!(sorted(points(&alone)), sorted(points(&beside)), "{by}");
        assert_eq!(points(&alone).len(), 8, "one point per row's bucket {by}");
        // The bucket of the row at 40 s, whose duration is null.
        let nulls: Vec<_> = points(&alone).into_iter().filter(|p| p.2.is_null()).collect();
        assert_eq!(nulls.len(), 1, "{by}");
        assert_eq!(nulls[0].1, if by.is_empty() { Json::Null } else { json!("web") });
        // Totals per group (the default order differs: COUNT orders the second query).
        let totals = |r: &Json| {
            let mut t: Vec<String> = rows(r).iter().map(|x| format!("{} {}", x["service"], x["HEATMAP(duration_ms)"])).collect();
            t.sort();
            t
        };
        assert_eq!(totals(&alone), totals(&beside), "{by}");
    }
}

#[test]
fn heatmap_series_are_the_same_whatever_the_order_of_the_rows() {
    // 100,000 spans (two batches) with no null durations, in time order, shuffled, and in order
    // for the first half only: HEATMAP alone (counted in runs of a cell while rows come in time
    // order, a row at a time otherwise) gives the same series and totals in all three, and the
    // same as beside a COUNT (the kept-values path), with and without GROUP BY.
    let n = 100_000;
    let mut seed = 0x5DEE_CE66_D1CE_4E5Bu64;
    let mut rows: Vec<(i64, f64, &str)> = (0..n)
        .map(|_| {
            let t = (xorshift(&mut seed) % 3600) as i64;
            // Mostly small durations with a long tail: most values share the first buckets.
            let d = (xorshift(&mut seed) % 1000) as f64 / 10.0 * if xorshift(&mut seed) % 50 == 0 { 40.0 } else { 1.0 };
            (t, d, ["api", "db", "web"][(xorshift(&mut seed) % 3) as usize])
        })
        .collect();
    let shuffled = rows.clone();
    rows.sort_by_key(|r| r.0);
    let mut half = shuffled.clone();
    half[..n / 2].sort_by_key(|r| r.0);
    let ds = |rows: &[(i64, f64, &str)]| {
        dataset(vec![
            ("timestamp", times(&rows.iter().map(|r| r.0).collect::<Vec<_>>())),
            ("duration_ms", floats(&rows.iter().map(|r| Some(r.1)).collect::<Vec<_>>())),
            ("service", strs(&rows.iter().map(|r| Some(r.2)).collect::<Vec<_>>())),
        ])
    };
    let points = |r: &Json| -> Vec<String> {
        let mut v: Vec<String> = r["series"].as_array().unwrap().iter().map(|p| format!("{} {} {}", p["time"], p["data"]["service"], p["data"]["HEATMAP(duration_ms)"])).collect();
        v.sort();
        v
    };
    let totals = |r: &Json| -> Vec<String> {
        let mut t: Vec<String> = common::rows(r).iter().map(|x| format!("{} {}", x["service"], x["HEATMAP(duration_ms)"])).collect();
        t.sort();
        t
    };
    for by in ["", r#","breakdowns":["service"]"#] {
        let alone = format!(r#""calculations":[{{"op":"HEATMAP","column":"duration_ms"}}],"granularity":60{by}"#);
        let beside = format!(r#""calculations":[{{"op":"COUNT"}},{{"op":"HEATMAP","column":"duration_ms"}}],"granularity":60{by}"#);
        let want = run(&ds(&rows), &spec_all(&beside));
        assert_eq!(points(&want).len(), if by.is_empty() { 60 } else { 180 });
        for (name, data) in [("in order", &rows), ("shuffled", &shuffled), ("half in order", &half)] {
            let got = run(&ds(data), &spec_all(&alone));
            assert_eq!(points(&got), points(&want), "{name} {by}");
            assert_eq!(totals(&got), totals(&want), "{name} {by}");
        }
    }
}

/// Found by the query fuzz target: a range of 8·10^18 seconds overflowed the bucket count and
/// indexed a series cell far out of bounds (a panic: in the browser, a dead page). Times,
/// ranges and granularities are bounded by the spec; data at the ends of i64 still answers.
#[test]
fn huge_ranges_and_extreme_times_are_errors_or_answers_never_panics() {
    let ds = sample();
    for (spec, field) in [
        (r#"{"time_range":8138549949266361301,"granularity":5383}"#, "time_range"),
        (r#"{"time_range":60,"granularity":9000000000000000}"#, "granularity"),
        (r#"{"start_time":-9000000000000000000,"end_time":10}"#, "start_time"),
        (r#"{"start_time":0,"end_time":9000000000000000000}"#, "end_time"),
    ] {
        let e = run_err(&ds, spec);
        assert!(e.contains(field) && e.contains("100000000000"), "{spec}: {e}");
    }
    // The widest range allowed, in 1-second buckets: too many cells, an error naming granularity.
    let e = run_err(&ds, r#"{"time_range":100000000000,"granularity":1}"#);
    assert!(e.contains("granularity") && e.contains("buckets"), "{e}");
    // Events at the ends of i64 milliseconds: a relative range ends after the latest one.
    let extreme = dataset(vec![
        ("timestamp", Arc::new(arrow_array::TimestampMillisecondArray::from(vec![i64::MIN + 1, -1, 0, i64::MAX - 1])) as ArrayRef),
        ("n", ints(&[Some(1), Some(2), Some(3), Some(4)])),
    ]);
    for spec in [r#"{"time_range":60,"granularity":1}"#, r#"{"time_range":100000000000,"granularity":100000000000}"#, r#"{"time_range":100000000000,"granularity":86400}"#] {
        let spec = QuerySpec::from_json_str(spec).unwrap();
        let _ = apiary::query::run(&extreme, &spec).map(|r| r.to_json());
    }
}
