//! Trace assembly: trees, orphans, duplicates, skew, self time, critical path.

use apiary::ingest;
use arrow_array::cast::AsArray;
use arrow_array::Array;
use apiary::trace::{Span, SpanColumns, Trace};
use apiary::DataSet;

fn span(id: &str, parent: Option<&str>, start: f64, dur: f64) -> Span {
    Span {
        row: Some((0, 0)),
        span_id: id.into(),
        parent_id: parent.map(String::from),
        name: id.into(),
        service: "svc".into(),
        start_ms: start,
        duration_ms: dur,
        ..Default::default()
    }
}

fn by_id<'a>(t: &'a Trace, id: &str) -> &'a Span {
    t.spans.iter().find(|s| s.span_id == id).unwrap_or_else(|| panic!("no span {id}"))
}

#[test]
fn overlapping_children_self_time_and_critical_path() {
    // root [0,100]; A [10,60] with C [20,50]; B [40,90] overlapping A.
    let t = Trace::build("t", vec![span("root", None, 0.0, 100.0), span("B", Some("root"), 40.0, 50.0), span("A", Some("root"), 10.0, 50.0), span("C", Some("A"), 20.0, 30.0)]);
    assert_eq!(t.spans.iter().map(|s| s.span_id.as_str()).collect::<Vec<_>>(), vec!["root", "A", "C", "B"]);
    assert_eq!(t.spans.iter().map(|s| s.depth).collect::<Vec<_>>(), vec![0, 1, 2, 1]);
    assert_eq!(by_id(&t, "root").self_ms, 20.0); // 100 − |[10,90]|
    assert_eq!(by_id(&t, "A").self_ms, 20.0);
    assert_eq!(by_id(&t, "C").self_ms, 30.0);
    // B finishes last; before B starts (40) A is still running, and inside A, C until 40.
    assert!(t.spans.iter().all(|s| s.critical));
}

#[test]
fn a_child_hidden_by_a_longer_sibling_is_not_critical() {
    let t = Trace::build("t", vec![span("root", None, 0.0, 100.0), span("A", Some("root"), 10.0, 70.0), span("B", Some("root"), 20.0, 10.0)]);
    assert!(by_id(&t, "root").critical && by_id(&t, "A").critical);
    assert!(!by_id(&t, "B").critical);
    assert_eq!(by_id(&t, "root").self_ms, 30.0);
}

#[test]
fn orphans_duplicates_skew_and_several_roots() {
    let t = Trace::build("t", vec![
        span("r1", None, 0.0, 10.0),
        span("x", Some("r1"), -5.0, 3.0), // starts before its parent
        span("o1", Some("gone"), 20.0, 5.0),
        span("o2", Some("gone"), 22.0, 5.0),
        span("r2", None, 30.0, 1.0),
        span("x", Some("r2"), 30.0, 1.0), // duplicate id
    ]);
    assert_eq!(t.orphans, 2);
    assert_eq!(t.duplicates, vec!["x".to_string()]);
    let placeholder = t.spans.iter().find(|s| s.row.is_none()).unwrap();
    assert_eq!(placeholder.span_id, "gone");
    assert_eq!((placeholder.start_ms, placeholder.duration_ms), (20.0, 7.0));
    assert_eq!(placeholder.children.len(), 2);
    assert_eq!(t.roots.len(), 3); // r1, the placeholder, r2
    assert!(t.spans.iter().any(|s| s.span_id == "x" && s.skew));
}

#[test]
fn parent_cycles_do_not_hang() {
    let t = Trace::build("t", vec![span("a", Some("b"), 0.0, 1.0), span("b", Some("a"), 0.0, 1.0)]);
    assert_eq!(t.spans.len(), 2);
}

#[test]
fn otlp_sdk_trace_assembles() {
    let bytes = std::fs::read("tests/fixtures/otlp_sdk.json").unwrap();
    let ds = DataSet::from_batches(ingest::load("otlp_sdk.json", &bytes).unwrap().batches).unwrap();
    let cols = SpanColumns::detect(&ds).unwrap();
    assert_eq!(cols.trace_id, "trace.trace_id");
    let id = {
        let b = &ds.batches()[0];
        b.column(b.schema().index_of("trace.trace_id").unwrap()).as_string::<i32>().value(0).to_string()
    };
    let t = Trace::assemble(&ds, &cols, &id).unwrap();
    let names: Vec<(&str, usize)> = t.spans.iter().map(|s| (s.name.as_str(), s.depth)).collect();
    assert_eq!(names, vec![("POST /checkout", 0), ("charge card", 1), ("reserve stock", 1), ("UPDATE stock", 2)]);
    assert_eq!(t.duration_ms(), 80.0);
    assert_eq!(by_name(&t, "POST /checkout").self_ms, 25.0);
    assert!(by_name(&t, "charge card").critical && !by_name(&t, "reserve stock").critical);
    assert!(by_name(&t, "charge card").error);
    let j = t.to_json();
    assert_eq!(j["summary"]["span_count"], 4);
    assert_eq!(j["summary"]["errors"], 2);
    assert_eq!(j["summary"]["root"]["service"], "checkout");
}

fn by_name<'a>(t: &'a Trace, name: &str) -> &'a Span {
    t.spans.iter().find(|s| s.name == name).unwrap()
}

#[test]
fn demo_traces_are_single_rooted_trees() {
    let ds = DataSet::from_batches(apiary::demo::generate(5_000, 3, 100_000)).unwrap();
    let cols = SpanColumns::detect(&ds).unwrap();
    use arrow_array::cast::AsArray;
    let b = &ds.batches()[0];
    let ids = b.column(b.schema().index_of("trace.trace_id").unwrap()).as_string::<i32>();
    for row in [0, 100, 2000, 4000] {
        let t = Trace::assemble(&ds, &cols, ids.value(row)).unwrap();
        assert_eq!(t.roots.len(), 1);
        assert_eq!(t.orphans, 0);
        assert!(t.duplicates.is_empty());
        assert!(t.spans[0].critical);
        assert!((t.duration_ms() - t.spans[0].duration_ms).abs() < 1.0);
    }
    assert!(Trace::assemble(&ds, &cols, "nope").is_err());
}

#[test]
fn slowest_traces_in_the_incident_come_from_the_cohort() {
    use apiary::demo::{END_MS, INCIDENT_MINUTES};
    let ds = DataSet::from_batches(apiary::demo::generate(30_000, 42, 100_000)).unwrap();
    let end = END_MS / 1000;
    let spec = apiary::QuerySpec::from_json(&serde_json::json!({"start_time": end - INCIDENT_MINUTES * 60, "end_time": end})).unwrap();
    let list = apiary::trace::slowest(&ds, &spec, None, 5).unwrap();
    assert_eq!(list.len(), 5);
    assert!(list.windows(2).all(|w| w[0].duration_ms >= w[1].duration_ms - 1.0));
    assert!(list.iter().all(|t| t.root_service == "frontend" && t.spans >= 1));
    // The slowest trace runs in the cohort's region.
    let r = apiary::query::run(&ds, &apiary::QuerySpec::from_json(&serde_json::json!({
        "breakdowns": ["region"], "filters": [{"column": "trace.trace_id", "op": "=", "value": list[0].trace_id}],
        "start_time": end - 7200, "end_time": end})).unwrap()).unwrap().to_json();
    assert_eq!(r["results"][0]["data"]["region"], "eu-west-1");
}

#[test]
fn slowest_traces_narrowed_to_a_selection_all_match_it() {
    use apiary::demo::END_MS;
    use apiary::query::selection::Selection;
    let ds = DataSet::from_batches(apiary::demo::generate(30_000, 42, 100_000)).unwrap();
    let end = END_MS / 1000;
    let spec = apiary::QuerySpec::from_json(&serde_json::json!({"start_time": end - 6 * 3600, "end_time": end})).unwrap();
    // The selection: spans of the us-east-1 region between 5 and 4 hours before the end.
    let sel = Selection::from_json(&serde_json::json!({"start_time": end - 5 * 3600, "end_time": end - 4 * 3600,
        "filters": [{"column": "region", "op": "=", "value": "us-east-1"}]})).unwrap();
    let all = apiary::trace::slowest(&ds, &spec, None, 5).unwrap();
    let list = apiary::trace::slowest(&ds, &spec, Some(&sel), 5).unwrap();
    assert_eq!(list.len(), 5);
    assert_ne!(all, list, "the selection changes which traces are slowest");
    for t in &list {
        // Each listed trace has a span in the selection.
        let q = apiary::QuerySpec::from_json(&serde_json::json!({"filters": [
            {"column": "trace.trace_id", "op": "=", "value": t.trace_id},
            {"column": "region", "op": "=", "value": "us-east-1"}],
            "start_time": end - 5 * 3600, "end_time": end - 4 * 3600})).unwrap();
        let r = apiary::query::run(&ds, &q).unwrap().to_json();
        assert!(r["results"][0]["data"]["COUNT"].as_i64().unwrap() >= 1, "trace {} has no span in the selection", t.trace_id);
    }
}

#[test]
fn otlp_span_events_and_links_reach_their_spans() {
    let bytes = std::fs::read("tests/fixtures/otlp_sdk.json").unwrap();
    let ds = DataSet::from_batches(ingest::load("otlp_sdk.json", &bytes).unwrap().batches).unwrap();
    let cols = SpanColumns::detect(&ds).unwrap();
    assert_eq!(cols.events.as_deref(), Some("span.events"));
    let id = ds.batches()[0].column(ds.column_index("trace.trace_id").unwrap()).as_string::<i32>().value(0).to_string();
    let t = Trace::assemble(&ds, &cols, &id).unwrap();
    let pay = by_name(&t, "charge card");
    assert_eq!(pay.events.len(), 1);
    assert_eq!(pay.events[0].name, "retry");
    // The SDK recorded the event 20 ms after the trace started, 15 ms into the span.
    assert!((pay.events[0].time_ms - pay.start_ms - 15.0).abs() < 1e-6, "{}", pay.events[0].time_ms - pay.start_ms);
    assert_eq!(pay.events[0].attributes["attempt"], 1);
    assert_eq!(t.to_json()["spans"].as_array().unwrap().iter().map(|s| s["events"].as_array().unwrap().len()).sum::<usize>(), 1);

    // In the JSON lines file the second request's root links to the first trace's root.
    let bytes = std::fs::read("tests/fixtures/otlp_sdk.jsonl").unwrap();
    let ds = DataSet::from_batches(ingest::load("otlp_sdk.jsonl", &bytes).unwrap().batches).unwrap();
    let cols = SpanColumns::detect(&ds).unwrap();
    let ids: Vec<String> = ds.batches().iter().flat_map(|b| {
        let c = b.column(b.schema().index_of("trace.trace_id").unwrap()).as_string::<i32>().clone();
        (0..c.len()).map(move |i| c.value(i).to_string())
    }).collect();
    let mut distinct = ids.clone();
    distinct.dedup();
    assert_eq!(distinct.len(), 2);
    let traces: Vec<Trace> = distinct.iter().map(|id| Trace::assemble(&ds, &cols, id).unwrap()).collect();
    let linked: Vec<&Trace> = traces.iter().filter(|t| !t.spans[t.roots[0]].links.is_empty()).collect();
    assert_eq!(linked.len(), 1);
    let link = &linked[0].spans[linked[0].roots[0]].links[0];
    let other = traces.iter().find(|t| t.trace_id != linked[0].trace_id).unwrap();
    assert_eq!(link.trace_id, other.trace_id);
    assert_eq!(link.span_id, other.spans[other.roots[0]].span_id);
    assert_eq!(link.attributes["link.reason"], "retry of");
}

#[test]
fn honeycomb_annotation_rows_become_events_and_links_not_spans() {
    use arrow_array::{ArrayRef, Float64Array, RecordBatch, StringArray, TimestampMillisecondArray};
    use std::sync::Arc;
    let s = |v: Vec<Option<&str>>| Arc::new(StringArray::from(v)) as ArrayRef;
    let t0 = 1_793_534_400_000i64;
    let batch = RecordBatch::try_from_iter(vec![
        ("timestamp", Arc::new(TimestampMillisecondArray::from(vec![t0, t0 + 5, t0 + 7, t0 + 9]).with_timezone("UTC")) as ArrayRef),
        ("trace.trace_id", s(vec![Some("t1"); 4])),
        ("trace.span_id", s(vec![Some("a"), Some("b"), Some("e1"), Some("l1")])),
        ("trace.parent_id", s(vec![None, Some("a"), Some("b"), Some("a")])),
        ("name", s(vec![Some("GET /"), Some("db"), Some("exception"), Some("")])),
        ("duration_ms", Arc::new(Float64Array::from(vec![Some(20.0), Some(10.0), None, None])) as ArrayRef),
        ("meta.annotation_type", s(vec![None, None, Some("span_event"), Some("link")])),
        ("exception.message", s(vec![None, None, Some("timeout"), None])),
        ("trace.link.trace_id", s(vec![None, None, None, Some("t0")])),
        ("trace.link.span_id", s(vec![None, None, None, Some("z")])),
    ])
    .unwrap();
    let ds = DataSet::from_batches(vec![batch]).unwrap();
    let t = Trace::assemble(&ds, &SpanColumns::detect(&ds).unwrap(), "t1").unwrap();
    assert_eq!(t.spans.len(), 2, "event and link rows are not spans");
    let db = by_id(&t, "b");
    assert_eq!(db.events.len(), 1);
    assert_eq!((db.events[0].name.as_str(), db.events[0].time_ms), ("exception", (t0 + 7) as f64));
    assert_eq!(db.events[0].attributes, serde_json::json!({"exception.message": "timeout"}));
    let root = by_id(&t, "a");
    assert_eq!(root.links.len(), 1);
    assert_eq!((root.links[0].trace_id.as_str(), root.links[0].span_id.as_str()), ("t0", "z"));
}

/// The trace list against the query engine: MAX(duration_ms) per trace id over the same events,
/// longest first, must give the same traces (where durations differ) in the same order, with
/// filters, a selection, and limits large enough that one slice of spans is not enough.
#[test]
fn slowest_traces_rank_like_max_duration_grouped_by_trace() {
    use apiary::demo::END_MS;
    use apiary::query::selection::Selection;
    let ds = DataSet::from_batches(apiary::demo::generate(20_000, 9, 100_000)).unwrap();
    let end = END_MS / 1000;
    let cases = [
        (serde_json::json!({"start_time": end - 6 * 3600, "end_time": end}), None, 10),
        (serde_json::json!({"start_time": end - 6 * 3600, "end_time": end, "filters": [{"column": "http.status_code", "op": ">=", "value": 500}]}), None, 25),
        (serde_json::json!({"time_range": 86400}), Some(serde_json::json!({"start_time": end - 5 * 3600, "end_time": end - 4 * 3600, "filters": [{"column": "region", "op": "=", "value": "us-east-1"}]})), 7),
        (serde_json::json!({"time_range": 86400 * 7}), None, 1000),
    ];
    for (spec, within, limit) in cases {
        let q = apiary::QuerySpec::from_json(&spec).unwrap();
        let within = within.map(|w| Selection::from_json(&w).unwrap());
        let list = apiary::trace::slowest(&ds, &q, within.as_ref(), limit).unwrap();
        let mut reference = spec.clone();
        reference["calculations"] = serde_json::json!([{"op": "MAX", "column": "duration_ms"}]);
        reference["breakdowns"] = serde_json::json!(["trace.trace_id"]);
        reference["orders"] = serde_json::json!([{"op": "MAX", "column": "duration_ms", "order": "descending"}]);
        reference["limit"] = serde_json::json!(limit);
        let opts = apiary::query::RunOptions { within: within.clone(), ..Default::default() };
        let r = apiary::query::run_with(&ds, &apiary::QuerySpec::from_json(&reference).unwrap(), &opts).unwrap();
        let want: Vec<(String, f64)> = r.results.iter().map(|row| match &row.group[0] { apiary::value::Value::Str(s) => (s.clone(), row.values[0].as_f64().unwrap()), v => panic!("trace id {v:?}") }).collect();
        assert_eq!(list.len(), want.len().min(limit), "{spec}");
        assert!(list.len() >= limit.min(7), "{spec}: {} traces", list.len());
        for (i, (t, (id, max))) in list.iter().zip(&want).enumerate() {
            // Same place, same longest span; the same trace unless its neighbour ties with it.
            let ties = want.iter().filter(|(_, m)| m == max).count();
            assert!(ties > 1 || &t.trace_id == id, "{spec}: place {i}: {} instead of {id}", t.trace_id);
            let own = apiary::query::run_with(&ds, &apiary::QuerySpec::from_json(&{
                let mut s = reference.clone();
                s["filters"] = serde_json::json!(spec.get("filters").cloned().unwrap_or(serde_json::json!([])).as_array().unwrap().iter().cloned().chain([serde_json::json!({"column": "trace.trace_id", "op": "=", "value": t.trace_id})]).collect::<Vec<_>>());
                s
            }).unwrap(), &opts).unwrap();
            assert_eq!(own.results[0].values[0].as_f64(), Some(*max), "{spec}: place {i}");
        }
    }
}
