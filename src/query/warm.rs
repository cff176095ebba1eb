//! Warm-up: the query kernels run over a small sample of a data set, a step at a time, in idle
//! time after a load. A browser runs new wasm code in a baseline tier and optimizes a function
//! only after it has run for a while (the optimized code is used from its next call on), so
//! without this the first query a person runs after a load pays for the baseline tier: 2–8× its
//! later runs. The sample is a data set of its own (the loaded one's first rows, nothing copied):
//! what the warm-up caches (string codes) goes with it, and answers are thrown away.

use serde_json::{json, Value as Json};

use super::column::Kind;
use super::spec::{auto_granularity, QuerySpec};
use crate::dataset::DataSet;

/// Rows in the sample: one batch, enough for every per-row loop to use up a browser's budget
/// for optimizing it, small enough that a step takes a few milliseconds in the baseline tier.
pub const SAMPLE_ROWS: usize = 65_536;

/// Passes over the steps: a function is optimized in the background once its budget is used,
/// and a second pass reaches the functions the first one only started.
const PASSES: usize = 2;

/// What one step runs over the sample.
enum Work {
    Query(QuerySpec),
    BubbleUp(QuerySpec, crate::bubbleup::Selection),
}

pub struct WarmUp {
    sample: DataSet,
    steps: Vec<Work>,
    next: usize,
}

impl WarmUp {
    /// The warm-up for `ds`: the shapes of query people run first (a count over time,
    /// percentiles by a low-cardinality column under a filter, a heatmap, distinct values and a
    /// top list of a high-cardinality column, a text filter with an average, sums by group over
    /// time, BubbleUp), over the columns this data set has. `None` when it has no rows.
    pub fn new(ds: &DataSet) -> Option<WarmUp> {
        let mut rows = 0;
        let batches: Vec<_> = ds
            .batches()
            .iter()
            .take_while(|b| {
                let more = rows < SAMPLE_ROWS;
                rows += b.num_rows();
                more
            })
            .cloned()
            .collect();
        if rows == 0 {
            return None;
        }
        let mut sample = DataSet::from_batches(batches).ok()?;
        let _ = sample.set_time_column(ds.time_column());
        let _ = sample.set_sample_rate(ds.sample_rate().clone());
        let steps = plan(&sample);
        Some(WarmUp {
            sample,
            steps,
            next: 0,
        })
    }

    /// How many steps there are in all (every pass).
    pub fn len(&self) -> usize {
        self.steps.len() * PASSES
    }

    pub fn is_empty(&self) -> bool {
        self.steps.is_empty()
    }

    /// Run the next step; `false` once every step has run. A step's error (a column the sample
    /// does not type as expected) is not the person's concern and ends nothing.
    pub fn step(&mut self) -> bool {
        if self.next >= self.len() {
            return false;
        }
        match &self.steps[self.next % self.steps.len()] {
            Work::Query(spec) => drop(super::run(&self.sample, spec)),
            Work::BubbleUp(spec, sel) => drop(crate::bubbleup::run(&self.sample, spec, sel)),
        }
        self.next += 1;
        self.next < self.len()
    }

    /// Every step at once (hosts calling the JavaScript API in their own idle time; tests).
    pub fn run_all(&mut self) -> usize {
        let mut n = 0;
        while self.next < self.len() {
            self.step();
            n += 1;
        }
        n
    }
}

/// The steps for a data set's columns.
fn plan(ds: &DataSet) -> Vec<Work> {
    let schema = ds.schema();
    let time = ds.time_column();
    let kind = |i: usize| Kind::of(schema.field(i).data_type());
    let is_dict = |i: usize| {
        matches!(
            schema.field(i).data_type(),
            arrow_schema::DataType::Dictionary(..)
        )
    };
    let names: Vec<&str> = schema.fields().iter().map(|f| f.name().as_str()).collect();
    let numeric = names
        .iter()
        .position(|n| *n == "duration_ms")
        .filter(|i| kind(*i).is_numeric())
        .or_else(|| (0..names.len()).find(|i| kind(*i).is_numeric() && Some(names[*i]) != time));
    let strings: Vec<usize> = (0..names.len()).filter(|i| kind(*i) == Kind::Str).collect();
    // A low-cardinality column to group by (dictionary columns usually are), and a plain one to
    // encode, count distinct and filter by text.
    let group = strings
        .iter()
        .copied()
        .find(|i| is_dict(*i))
        .or(strings.first().copied());
    let plain = strings.iter().copied().find(|i| !is_dict(*i)).or(group);

    let mut base = json!({});
    let mut series = None;
    if let Some((lo, hi)) = ds.time_range() {
        let (start, end) = (lo.div_euclid(1000), hi.div_euclid(1000) + 1);
        base = json!({ "start_time": start, "end_time": end });
        series = Some(auto_granularity(end - start));
    }
    let spec = |extra: Json| -> Option<QuerySpec> {
        let mut v = base.clone();
        for (k, x) in extra.as_object()?.iter().filter(|(_, x)| !x.is_null()) {
            v[k] = x.clone();
        }
        QuerySpec::from_json(&v).ok()
    };
    let name = |i: usize| names[i];
    let mut out = Vec::new();
    let mut push = |s: Option<QuerySpec>| out.extend(s.map(Work::Query));
    push(spec(
        json!({ "calculations": [{"op": "COUNT"}], "granularity": series }),
    ));
    if let Some(n) = numeric {
        let n = name(n);
        let by: Vec<&str> = group.map(name).into_iter().collect();
        push(spec(json!({
            "calculations": [{"op": "P50", "column": n}, {"op": "P95", "column": n}, {"op": "P99", "column": n}],
            "filters": [{"column": n, "op": ">=", "value": 0}],
            "breakdowns": by,
        })));
        push(spec(
            json!({ "calculations": [{"op": "HEATMAP", "column": n}], "granularity": series }),
        ));
        push(spec(json!({
            "calculations": [{"op": "SUM", "column": n}, {"op": "MAX", "column": n}, {"op": "AVG", "column": n}],
            "breakdowns": by, "granularity": series, "limit": 5,
        })));
    }
    if let Some(p) = plain {
        let p = name(p);
        let by: Vec<&str> = group.map(name).into_iter().collect();
        push(spec(
            json!({ "calculations": [{"op": "COUNT_DISTINCT", "column": p}], "breakdowns": by, "limit": 10 }),
        ));
        push(spec(
            json!({ "calculations": [{"op": "COUNT"}], "breakdowns": [p], "limit": 20 }),
        ));
        let mut calcs = vec![json!({"op": "COUNT"})];
        let mut filters = vec![json!({"column": p, "op": "contains", "value": "e"})];
        if let Some(n) = numeric {
            calcs.push(json!({"op": "AVG", "column": name(n)}));
            filters.push(json!({"column": name(n), "op": ">", "value": 0}));
        }
        push(spec(
            json!({ "calculations": calcs, "filters": filters, "breakdowns": by }),
        ));
    }
    if let (Some(n), Some(all)) = (numeric, spec(json!({}))) {
        let selection = crate::bubbleup::Selection {
            filters: vec![super::spec::Filter {
                column: name(n).to_string(),
                op: super::spec::FilterOp::Gt,
                value: Some(json!(0)),
            }],
            ..Default::default()
        };
        out.push(Work::BubbleUp(all, selection));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Over the demo's spans every step runs and succeeds (a step that errors would warm
    /// nothing), twice over; the sample is the first batch, not the data set.
    #[test]
    fn every_step_runs_over_the_demo() {
        let ds = DataSet::from_batches(crate::demo::generate(200_000, 7, 65_536)).unwrap();
        let mut w = WarmUp::new(&ds).expect("rows");
        assert_eq!(w.sample.num_rows(), SAMPLE_ROWS);
        assert_eq!(
            w.steps.len(),
            8,
            "count, percentiles, heatmap, sums, distinct, top list, text filter, BubbleUp"
        );
        for (i, s) in w.steps.iter().enumerate() {
            let ok = match s {
                Work::Query(spec) => crate::query::run(&w.sample, spec)
                    .map(|r| r.results.len())
                    .map_err(|e| e.to_string()),
                Work::BubbleUp(spec, sel) => crate::bubbleup::run(&w.sample, spec, sel)
                    .map(|b| b.columns.len())
                    .map_err(|e| e.to_string()),
            };
            assert!(ok.as_ref().is_ok_and(|n| *n > 0), "step {i}: {ok:?}");
        }
        assert_eq!(w.run_all(), 16);
        assert!(!w.step(), "nothing is left");
        // The loaded data set was not touched: no string codes cached on it.
        assert!((0..ds.schema().fields().len()).all(|c| ds.cached_string_codes(c).is_none()));
    }

    /// Data without a time column, numbers or strings still warms what it can; none warms nothing.
    #[test]
    fn any_data_warms_what_it_has() {
        use arrow_array::{ArrayRef, BooleanArray, RecordBatch};
        let b = RecordBatch::try_from_iter([(
            "ok",
            std::sync::Arc::new(BooleanArray::from(vec![true, false, true])) as ArrayRef,
        )])
        .unwrap();
        let ds = DataSet::from_batches(vec![b]).unwrap();
        let mut w = WarmUp::new(&ds).expect("rows");
        assert_eq!(w.steps.len(), 1, "a count");
        assert_eq!(w.run_all(), 2);
        assert!(WarmUp::new(&DataSet::empty()).is_none());
    }
}
