//! Snapshot links carry a query's result: what comes out of the link is what went in (totals
//! exact, series to float32), a typical query fits the link budget, larger results are trimmed
//! with a note, and a damaged link is an error, never a panic.

use apiary::demo;
use apiary::permalink::State;
use apiary::query::aggregate::Output;
use apiary::query::QueryResult;
use apiary::query::spec::auto_granularity;
use apiary::snapshot::{is_snapshot, Snapshot, LINK_BUDGET};
use apiary::{query, DataSet, QuerySpec};
use serde_json::{json, Value as Json};

fn demo_ds(rows: usize) -> DataSet {
    DataSet::from_batches(demo::generate(rows, 42, 8192)).unwrap()
}

fn run(ds: &DataSet, spec: &Json) -> QueryResult {
    query::run(ds, &QuerySpec::from_json(spec).unwrap()).unwrap()
}

/// The page's default time range: the data's six hours, with the automatic granularity.
fn whole(mut spec: Json) -> Json {
    let (end, start) = (demo::END_MS / 1000, demo::END_MS / 1000 - demo::HOURS * 3600);
    spec["start_time"] = json!(start);
    spec["end_time"] = json!(end);
    spec["granularity"] = json!(auto_granularity(end - start));
    spec
}

fn live(spec: &Json) -> State {
    State {
        sources: vec!["https://telemetry.example/demo.arrow?token=secret&dataset=prod".into()],
        files: vec![],
        query: spec.clone(),
        view: json!({"chart": {"log": true}, "selected": [1, 3]}),
    }
}

/// Series values as float32 keep seven significant digits.
fn close(a: &Output, b: &Output) -> bool {
    match (a, b) {
        (Output::Float(x), Output::Float(y)) => (x.is_nan() && y.is_nan()) || (x - y).abs() <= 1e-6 * x.abs().max(1e-30),
        _ => a == b,
    }
}

fn assert_same(got: &QueryResult, want: &QueryResult) {
    assert_eq!(got.breakdowns, want.breakdowns);
    assert_eq!(got.keys, want.keys);
    assert_eq!(got.results, want.results, "totals and groups are exact");
    assert_eq!((got.range_ms, got.granularity), (want.range_ms, want.granularity));
    assert_eq!((got.rows_in_range, got.rows_matched), (want.rows_in_range, want.rows_matched));
    assert_eq!(got.sample_rate_column, want.sample_rate_column);
    assert_eq!(got.series.len(), want.series.len());
    for (g, w) in got.series.iter().zip(&want.series) {
        assert_eq!((g.time_ms, g.row), (w.time_ms, w.row));
        assert_eq!(g.values.len(), w.values.len());
        for (a, b) in g.values.iter().zip(&w.values) {
            assert!(close(a, b), "series value {a:?} came back as {b:?} at {} row {}", w.time_ms, w.row);
        }
    }
}

#[test]
fn a_typical_query_round_trips_within_the_budget() {
    let ds = demo_ds(60_000);
    let spec = whole(json!({"calculations": [{"op": "COUNT"}, {"op": "P99", "column": "duration_ms"}], "breakdowns": ["service.name"]}));
    let result = run(&ds, &spec);
    assert!(result.results.len() >= 5 && !result.series.is_empty());
    let (fragment, snap) = Snapshot::fit(&live(&spec), &result, 1_793_534_400_123, LINK_BUDGET);
    assert!(is_snapshot(&fragment) && is_snapshot(&format!("#{fragment}")));
    assert!(fragment.len() < LINK_BUDGET, "typical snapshot is {} characters", fragment.len());
    eprintln!("typical snapshot: {} groups, {} series points, {} characters", result.results.len(), result.series.len(), fragment.len());
    assert_eq!(snap.note(), None, "nothing trimmed");
    let back = Snapshot::decode(&format!("#{fragment}")).unwrap();
    assert_eq!(back.taken_ms, 1_793_534_400_123);
    assert_eq!(back.live.query, spec);
    assert_eq!(back.live.view, json!({"chart": {"log": true}, "selected": [1, 3]}));
    assert_eq!(back.live.sources, vec!["https://telemetry.example/demo.arrow?dataset=prod".to_string()], "credentials never ride in a snapshot");
    assert_same(&back.result, &result);
    assert_eq!(back.note(), None);
}

#[test]
fn every_kind_of_group_and_output_round_trips() {
    let ds = demo_ds(30_000);
    let end = demo::END_MS / 1000;
    for spec in [
        // Null, bool and integer groups; integer counts and sums; float averages.
        json!({"calculations": [{"op": "COUNT"}, {"op": "SUM", "column": "retry.count"}, {"op": "AVG", "column": "duration_ms"}],
               "breakdowns": ["cache.hit", "http.status_code"], "start_time": end - 3600, "end_time": end, "granularity": 60}),
        // Heatmaps, totals and per bucket.
        json!({"calculations": [{"op": "HEATMAP", "column": "duration_ms"}, {"op": "COUNT_DISTINCT", "column": "user.id"}],
               "breakdowns": ["region"], "start_time": end - 7200, "end_time": end, "granularity": 300}),
        // No breakdown, no series-worthy calculation beyond one.
        json!({"calculations": [{"op": "MAX", "column": "http.response.body.size"}]}),
    ] {
        let result = run(&ds, &spec);
        let snap = Snapshot { taken_ms: 5, live: live(&spec), result: result.clone(), groups_total: result.results.len(), series_dropped: false, panels: vec![] };
        let back = Snapshot::decode(&snap.encode()).unwrap();
        assert_same(&back.result, &result);
        assert_eq!(back.note(), None);
    }
}

#[test]
fn a_result_too_large_is_trimmed_and_says_so() {
    let ds = demo_ds(60_000);
    let spec = whole(json!({"calculations": [{"op": "COUNT"}, {"op": "P95", "column": "duration_ms"}], "breakdowns": ["user.id"], "limit": 1000}));
    let result = run(&ds, &spec);
    let n = result.results.len();
    assert!(n > 200, "many groups: {n}");
    let (fragment, snap) = Snapshot::fit(&live(&spec), &result, 7, LINK_BUDGET);
    assert!(fragment.len() <= LINK_BUDGET, "{} characters", fragment.len());
    let kept = snap.result.results.len();
    assert!(kept >= 1 && kept < n);
    let note = snap.note().unwrap();
    assert!(note.contains(&format!("the first {kept} of {n} groups")), "{note}");
    // The kept groups are the first ones, in the query's order, with only their own series.
    assert_eq!(snap.result.results[..], result.results[..kept]);
    assert!(snap.result.series.iter().all(|p| p.row < kept));
    let back = Snapshot::decode(&fragment).unwrap();
    assert_eq!(back.note().unwrap(), note);
    assert_same(&back.result, &snap.result);

    // A budget too small for any series keeps totals alone.
    let (small, snap) = Snapshot::fit(&live(&spec), &result, 7, 900);
    assert!(snap.series_dropped && snap.result.series.is_empty());
    assert!(snap.note().unwrap().contains("totals only"));
    assert!(small.len() <= 900 || snap.result.results.len() == 1);
    assert!(Snapshot::decode(&small).unwrap().series_dropped);
}

#[test]
fn damaged_links_are_errors_not_panics() {
    let ds = demo_ds(5_000);
    let spec = json!({"calculations": [{"op": "COUNT"}, {"op": "HEATMAP", "column": "duration_ms"}], "breakdowns": ["service.name"]});
    let result = run(&ds, &spec);
    let good = Snapshot { taken_ms: 1, live: live(&spec), result: result.clone(), groups_total: result.results.len(), series_dropped: false, panels: vec![] }.encode();
    assert!(Snapshot::decode(&good).is_ok());
    let err = |f: &str| Snapshot::decode(f).expect_err(f).to_string();
    assert!(err("#abc").contains("not an Apiary snapshot"));
    assert!(err("s1.!!!").contains("damaged"));
    assert!(err("s1.AAAA").contains("damaged"));
    // Every prefix and a flipped character at many places: an error or a snapshot, never a panic.
    let bytes = good.as_bytes();
    let mut errors = 0;
    for cut in (4..bytes.len()).step_by(7) {
        errors += Snapshot::decode(&good[..cut]).is_err() as usize;
    }
    assert!(errors > 0);
    for at in (3..bytes.len()).step_by(5) {
        let mut b = bytes.to_vec();
        b[at] = if b[at] == b'A' { b'z' } else { b'A' };
        let _ = Snapshot::decode(std::str::from_utf8(&b).unwrap());
    }
    // A link that unpacks to far more than a result can be is refused, not allocated.
    use base64::Engine;
    use std::io::Write;
    let mut enc = flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::best());
    enc.write_all(&vec![0u8; 5 << 20]).unwrap();
    let bomb = format!("s1.{}", base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(enc.finish().unwrap()));
    assert!(err(&bomb).contains("larger than"));
}

#[test]
fn a_board_snapshot_carries_every_panel_and_old_links_still_read() {
    let ds = demo_ds(60_000);
    let main_spec = whole(json!({"calculations": [{"op": "COUNT"}], "breakdowns": ["service.name"]}));
    let main = run(&ds, &main_spec);
    let p1 = run(&ds, &whole(json!({"calculations": [{"op": "P99", "column": "duration_ms"}], "breakdowns": ["region"]})));
    let p2 = run(&ds, &whole(json!({"calculations": [{"op": "HEATMAP", "column": "duration_ms"}]})));
    let mut state = live(&main_spec);
    state.view["board"] = json!({"name": "Shop", "panels": [{"type": "note", "text": "hi"}]});
    let panels = vec![Some(p1.clone()), None, Some(p2.clone())];
    let (fragment, snap) = Snapshot::fit_board(&state, &main, &panels, 11, apiary::snapshot::BOARD_BUDGET);
    assert!(fragment.starts_with("s2.") && is_snapshot(&fragment));
    assert!(fragment.len() <= apiary::snapshot::BOARD_BUDGET, "{} characters", fragment.len());
    let back = Snapshot::decode(&fragment).unwrap();
    assert_eq!(back.live.view["board"], state.view["board"]);
    assert_eq!(back.panels.len(), 3);
    assert!(back.panels[1].is_none());
    assert_same(&back.panels[0].as_ref().unwrap().result, &snap.panels[0].as_ref().unwrap().result);
    assert_same(&back.panels[2].as_ref().unwrap().result, &p2);
    assert_same(&back.panels[0].as_ref().unwrap().result, &p1);
    assert_same(&back.result, &main);
    // A tight budget trims panels and says so; the whole still fits.
    let (small, trimmed) = Snapshot::fit_board(&state, &main, &panels, 11, 3000);
    assert!(small.len() <= 3000, "{} characters", small.len());
    assert!(trimmed.note().is_some_and(|n| n.contains("panel")), "{:?}", trimmed.note());
    // A plain snapshot is still the first format.
    let (plain, _) = Snapshot::fit(&state, &main, 11, LINK_BUDGET);
    assert!(plain.starts_with("s1.") && Snapshot::decode(&plain).unwrap().panels.is_empty());
    // Damage in a board snapshot is an error.
    let cut = &fragment[..fragment.len() / 2];
    assert!(Snapshot::decode(cut).unwrap_err().to_string().contains("damaged"));
}
