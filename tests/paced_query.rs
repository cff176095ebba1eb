//! Queries run in steps (`query::run_paced`, as the page runs them) give the same result as in one
//! go, suspend at every step without losing state, and stop cleanly when their pace says so.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use apiary::pace::{finish, Pace, Step, Wait};
use apiary::query::{run_paced, run_with, RunOptions};
use apiary::{DataSet, Error, QuerySpec};
use serde_json::json;

/// Not ready on its first poll (like the page giving the event loop its turn), ready after.
struct Suspend(bool);

impl Future for Suspend {
    type Output = apiary::Result<()>;
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<apiary::Result<()>> {
        if self.0 {
            Poll::Ready(Ok(()))
        } else {
            self.0 = true;
            cx.waker().wake_by_ref();
            Poll::Pending
        }
    }
}

/// Suspends at every step, records the stages, and stops at step `stop_at` if set.
struct Stepping {
    stages: Vec<String>,
    stop_at: Option<usize>,
}

impl Stepping {
    fn check(&mut self, s: Step<'_>) -> apiary::Result<Option<Wait>> {
        assert!(s.total == 0 || s.done <= s.total, "{s:?}");
        self.stages.push(s.stage.to_string());
        if Some(self.stages.len()) == self.stop_at {
            return Err(Error::Stopped);
        }
        Ok(Some(Box::pin(Suspend(false))))
    }
}

/// Run `$work` (which names the pace `$p`) under the `Stepping` `$st`.
macro_rules! stepped {
    ($st:expr, |$p:ident| $work:expr) => {{
        let st = &mut $st;
        let mut check = |s: Step<'_>| st.check(s);
        let mut $p = Pace::new(&mut check);
        let out = finish($work);
        out
    }};
}

/// 20,000 demo spans in batches of 1,000: every pass has many steps.
fn data() -> DataSet {
    DataSet::from_batches(apiary::demo::generate(20_000, 7, 1_000)).unwrap()
}

fn spec(v: serde_json::Value) -> QuerySpec {
    QuerySpec::from_json(&v).unwrap()
}

fn specs() -> Vec<(QuerySpec, &'static [&'static str])> {
    vec![
        (spec(json!({"calculations": [{"op": "COUNT"}], "granularity": 60, "time_range": 7200})), &["scanning events"]),
        (
            spec(json!({"calculations": [{"op": "HEATMAP", "column": "duration_ms"}], "granularity": 120, "time_range": 7200})),
            &["scanning events", "counting heatmap cells"],
        ),
        (
            spec(json!({"calculations": [{"op": "COUNT"}, {"op": "COUNT_DISTINCT", "column": "user.id"}], "breakdowns": ["user.id"], "limit": 30, "time_range": 21600})),
            &["encoding user.id", "scanning events", "finishing groups"],
        ),
        (
            spec(json!({"calculations": [{"op": "P99", "column": "duration_ms"}, {"op": "AVG", "column": "duration_ms"}], "breakdowns": ["service.name"],
                "filters": [{"column": "http.status_code", "op": ">=", "value": 200}], "granularity": 60, "time_range": 21600})),
            &["scanning events", "filling the series", "finishing the series"],
        ),
    ]
}

#[test]
fn paced_runs_give_the_same_result_as_one_go() {
    for (s, stages) in specs() {
        let whole = run_with(&data(), &s, &RunOptions::default()).unwrap();
        assert!(!whole.results.is_empty());
        let mut pace = Stepping { stages: vec![], stop_at: None };
        let paced = stepped!(pace, |p| run_paced(&data(), &s, &RunOptions::default(), &mut p)).unwrap();
        assert_eq!(paced, whole, "{s:?}");
        for stage in stages {
            assert!(pace.stages.iter().any(|x| x == stage), "no {stage:?} step in {:?}", pace.stages);
        }
        // A step per batch at least while scanning.
        assert!(pace.stages.iter().filter(|x| *x == "scanning events").count() >= 20);
    }
}

#[test]
fn a_stopped_run_leaves_the_data_set_as_it_was() {
    let ds = data();
    let s = &specs()[2].0;
    let whole = run_with(&data(), s, &RunOptions::default()).unwrap();
    // Stopped while encoding user.id, then while scanning.
    for stop_at in [3, 25] {
        let mut pace = Stepping { stages: vec![], stop_at: Some(stop_at) };
        let out = stepped!(pace, |p| run_paced(&ds, s, &RunOptions::default(), &mut p));
        assert!(matches!(out, Err(Error::Stopped)), "{out:?}");
        assert_eq!(pace.stages.len(), stop_at);
    }
    assert!(ds.cached_string_codes(ds.column_index("user.id").unwrap()).is_some(), "the encoding finished on the second run");
    assert_eq!(run_with(&ds, s, &RunOptions::default()).unwrap(), whole);
}

/// A column's encoding is made once however it is interrupted: a query goes on from where the
/// idle-time warm-up left it, the warm-up from where a stopped query left it, the warm-up leaves
/// a column alone while a paced query is at it, and the codes are those made in one go.
#[test]
fn a_query_goes_on_with_the_encoding_where_the_warm_up_left_it() {
    use apiary::dataset::Encoded;
    let s = &specs()[2].0;
    let whole = run_with(&data(), s, &RunOptions::default()).unwrap();
    let fresh = data();
    let col = fresh.column_index("user.id").unwrap();
    let want = fresh.string_codes(col).unwrap();
    let encoding = |stages: &[String]| stages.iter().filter(|x| *x == "encoding user.id").count();

    // On its own, the query encodes the 20 batches with a step between each two.
    let mut pace = Stepping { stages: vec![], stop_at: None };
    stepped!(pace, |p| run_paced(&data(), s, &RunOptions::default(), &mut p)).unwrap();
    assert_eq!(encoding(&pace.stages), 19);

    // The warm-up's step encoded 5 batches: the query does the other 15.
    let ds = data();
    assert!(matches!(ds.encode_some(col, 5_000), Some(Encoded::More { batches: 5, rows: 5_000, .. })));
    let mut pace = Stepping { stages: vec![], stop_at: None };
    let r = stepped!(pace, |p| run_paced(&ds, s, &RunOptions::default(), &mut p)).unwrap();
    assert_eq!(r, whole);
    assert_eq!(encoding(&pace.stages), 14);
    let got = ds.cached_string_codes(col).unwrap();
    assert_eq!(got.batches, want.batches);
    assert_eq!(got.interner.len(), want.interner.len());
    assert_eq!(ds.encode_some(col, 1_000), Some(Encoded::Done));

    // A query stopped after 4 batches leaves them: the warm-up's next step makes it 5, and once
    // given up (mostly distinct, or no memory for it) the next one starts again.
    let ds = data();
    let mut pace = Stepping { stages: vec![], stop_at: Some(4) };
    let out = stepped!(pace, |p| run_paced(&ds, s, &RunOptions::default(), &mut p));
    assert!(matches!(out, Err(Error::Stopped)), "{out:?}");
    assert!(matches!(ds.encode_some(col, 1), Some(Encoded::More { batches: 5, .. })));
    ds.drop_encoding(col);
    assert!(matches!(ds.encode_some(col, 1), Some(Encoded::More { batches: 1, .. })));

    // A query, which will finish the encoding, makes room after its first batch for as many
    // values as the column will hold at that rate; the warm-up's steps (which may give the
    // column up) grow as they go.
    let ds = data();
    let Some(Encoded::More { batches: 2, heap_bytes: warm, .. }) = ds.encode_some(col, 2_000) else { panic!("two batches") };
    let ds = data();
    let mut pace = Stepping { stages: vec![], stop_at: Some(1) };
    assert!(matches!(stepped!(pace, |p| run_paced(&ds, s, &RunOptions::default(), &mut p)), Err(Error::Stopped)));
    let Some(Encoded::More { batches: 2, heap_bytes: query, .. }) = ds.encode_some(col, 1) else { panic!("two batches") };
    assert!(query > 2 * warm, "room made ahead: {query} bytes against {warm}");

    // While a paced query is at it (suspended between two of its steps), the warm-up leaves the
    // column to it; a clone of the data set shares the progress.
    let ds = data();
    let mut st = Stepping { stages: vec![], stop_at: None };
    let mut check = |x: Step<'_>| st.check(x);
    let mut p = Pace::new(&mut check);
    let opts = RunOptions::default();
    let mut run = std::pin::pin!(run_paced(&ds, s, &opts, &mut p));
    let mut cx = Context::from_waker(std::task::Waker::noop());
    assert!(run.as_mut().poll(&mut cx).is_pending());
    assert_eq!(ds.encode_some(col, 1_000), None, "a query is encoding user.id");
    assert_eq!(ds.clone().encode_some(col, 1_000), None);
    let r = loop {
        if let Poll::Ready(r) = run.as_mut().poll(&mut cx) {
            break r.unwrap();
        }
    };
    assert_eq!(r, whole);
    assert_eq!(ds.clone().encode_some(col, 1_000), Some(Encoded::Done));
}

#[test]
fn long_batches_are_sliced_on_append() {
    let batches = apiary::demo::generate(150_000, 3, 150_000);
    assert_eq!(batches.len(), 1);
    let mut ds = DataSet::from_batches(batches.clone()).unwrap();
    ds.set_sample_rate(apiary::dataset::SampleRate::Off).unwrap();
    assert_eq!(ds.batches().len(), 3);
    assert!(ds.batches().iter().all(|b| b.num_rows() <= apiary::dataset::MAX_BATCH_ROWS));
    assert_eq!(ds.num_rows(), 150_000);
    // Slices share the buffers: the size is the batch's (give or take the offsets at the cuts),
    // not three times it.
    let (sliced, whole) = (ds.byte_size() as f64, apiary::dataset::batches_byte_size(&batches) as f64);
    assert!((sliced - whole).abs() < whole * 1e-4, "{sliced} vs {whole}");
    let s = spec(json!({"calculations": [{"op": "COUNT"}, {"op": "P50", "column": "duration_ms"}], "breakdowns": ["region"], "time_range": 21600}));
    let mut pace = Stepping { stages: vec![], stop_at: None };
    let r = stepped!(pace, |p| run_paced(&ds, &s, &RunOptions::default(), &mut p)).unwrap();
    assert_eq!(r.results.iter().map(|x| x.values[0].as_f64().unwrap()).sum::<f64>(), r.rows_matched as f64);
    assert_eq!(pace.stages.iter().filter(|x| *x == "scanning events").count(), 3);
}

#[test]
fn bubbleup_in_steps_gives_the_same_answer_and_can_be_stopped() {
    let s = spec(json!({"calculations": [{"op": "COUNT"}], "time_range": 21600}));
    let sel = apiary::bubbleup::box_selection("duration_ms", 0, i64::MAX / 2000, 500.0, 1e12);
    let whole = apiary::bubbleup::run_on(&data(), &s, &sel, None).unwrap();
    assert!(whole.columns.len() > 5 && whole.selection_count > 0.0);
    let mut pace = Stepping { stages: vec![], stop_at: None };
    let paced = stepped!(pace, |p| apiary::bubbleup::run_paced(&data(), &s, &sel, None, &mut p)).unwrap();
    assert_eq!(paced, whole);
    for stage in ["comparing values", "comparing measures"] {
        assert!(pace.stages.iter().any(|x| x == stage), "no {stage:?} step in {:?}", pace.stages);
    }
    // The string columns with few values are encoded a batch at a time on the way.
    assert!(pace.stages.iter().any(|x| x.starts_with("encoding ")), "{:?}", pace.stages);
    let ds = data();
    let mut pace = Stepping { stages: vec![], stop_at: Some(10) };
    assert!(matches!(stepped!(pace, |p| apiary::bubbleup::run_paced(&ds, &s, &sel, None, &mut p)), Err(Error::Stopped)));
    assert_eq!(apiary::bubbleup::run_on(&ds, &s, &sel, None).unwrap(), whole);
}

#[test]
fn the_trace_list_in_steps_is_the_same_list() {
    let s = spec(json!({"calculations": [{"op": "COUNT"}], "filters": [{"column": "error", "op": "=", "value": true}], "time_range": 21600}));
    let whole = apiary::trace::slowest(&data(), &s, None, 10).unwrap();
    assert_eq!(whole.len(), 10);
    let mut pace = Stepping { stages: vec![], stop_at: None };
    let paced = stepped!(pace, |p| apiary::trace::slowest_paced(&data(), &s, None, 10, &mut p)).unwrap();
    assert_eq!(paced, whole);
    for stage in ["looking for slow traces", "finding the traces' spans"] {
        assert_eq!(pace.stages.iter().filter(|x| *x == stage).count(), 20, "a step per batch: {stage}");
    }
    let mut pace = Stepping { stages: vec![], stop_at: Some(25) };
    assert!(matches!(stepped!(pace, |p| apiary::trace::slowest_paced(&data(), &s, None, 10, &mut p)), Err(Error::Stopped)));
}

#[test]
fn a_percentile_of_a_large_group_by_selection_equals_the_sorted_answer() {
    // 200,000 events in one group: the selection takes several partition rounds (steps), weighted
    // by the sample rate or not; beside P50 the same column is sorted instead.
    let mut ds = DataSet::from_batches(apiary::demo::generate(200_000, 5, 65_536)).unwrap();
    for rate in [apiary::dataset::SampleRate::Auto, apiary::dataset::SampleRate::Off] {
        ds.set_sample_rate(rate.clone()).unwrap();
        for p in ["P99", "P50", "P001"] {
            let alone = spec(json!({"calculations": [{"op": p, "column": "duration_ms"}], "time_range": 21600}));
            let sorted = spec(json!({"calculations": [{"op": p, "column": "duration_ms"}, {"op": "P75", "column": "duration_ms"}], "time_range": 21600}));
            let mut pace = Stepping { stages: vec![], stop_at: None };
            let a = stepped!(pace, |p| run_paced(&ds, &alone, &RunOptions::default(), &mut p)).unwrap();
            let b = run_with(&ds, &sorted, &RunOptions::default()).unwrap();
            assert!(a.results[0].values[0].as_f64().is_some());
            assert_eq!(a.results[0].values[0], b.results[0].values[0], "{p} {rate:?}");
            assert!(pace.stages.iter().any(|s| s == "selecting percentiles"), "{p} {rate:?}: {:?}", pace.stages);
        }
    }
}
