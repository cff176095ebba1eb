//! Warm-up: the query kernels run over a small sample of a data set, a step at a time, in idle
//! time after a load. A browser runs new wasm code in a baseline tier and optimizes a function
//! only after it has run for a while (the optimized code is used from its next call on), so
//! without this the first query a person runs after a load pays for the baseline tier: 2–8× its
//! later runs. The sample is a data set of its own (the loaded one's first rows, nothing copied):
//! what the warm-up caches (string codes) goes with it, and answers are thrown away.
//!
//! Then, still in idle time, the loaded data set's plain string columns are encoded to codes
//! (what the first GROUP BY or COUNT_DISTINCT of such a column would otherwise do first: at a
//! million rows of user ids, most of that query's first run), a few batches per step, within a
//! memory budget; a column whose values are mostly distinct (span ids) is given up.

use serde_json::{json, Value as Json};

use super::column::Kind;
use super::spec::{auto_granularity, QuerySpec};
use crate::dataset::{DataSet, Encoded};

/// Rows in the sample: one batch, enough for every per-row loop to use up a browser's budget
/// for optimizing it, small enough that a step takes a few milliseconds in the baseline tier.
pub const SAMPLE_ROWS: usize = 65_536;

/// Passes over the steps: a function is optimized in the background once its budget is used,
/// and a second pass reaches the functions the first one only started.
const PASSES: usize = 2;

/// Rows encoded per step of the idle-time encoding (a few milliseconds at most).
pub const ENCODE_STEP_ROWS: usize = 131_072;

/// Memory the idle-time encoding may take by default (codes and interners of every column).
pub const ENCODE_BUDGET: usize = 256 << 20;

/// What one step runs over the sample.
enum Work {
    Query(QuerySpec),
    BubbleUp(QuerySpec, crate::bubbleup::Selection),
}

pub struct WarmUp {
    sample: DataSet,
    steps: Vec<Work>,
    next: usize,
    /// Plain string columns of the loaded data set still to encode, the next one last.
    to_encode: Vec<usize>,
    /// The column being encoded (its encoding in progress is the data set's: a query that
    /// needs the column meanwhile goes on with it, and this goes on with what the query did).
    encoding: Option<usize>,
    /// Bytes the idle-time encoding may still take.
    budget: usize,
    /// The schema of the data set it was made for.
    schema: arrow_schema::SchemaRef,
}

impl WarmUp {
    /// The warm-up for `ds`: the shapes of query people run first (a count over time,
    /// percentiles by a low-cardinality column under a filter, a heatmap, distinct values and a
    /// top list of a high-cardinality column, a text filter with an average, sums by group over
    /// time, BubbleUp), over the columns this data set has; then the encoding of its plain
    /// string columns within `encode_budget` bytes. `None` when it has no rows.
    pub fn new(ds: &DataSet, encode_budget: usize) -> Option<WarmUp> {
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
        let mut to_encode: Vec<usize> = (0..ds.schema().fields().len())
            .filter(|&i| matches!(ds.schema().field(i).data_type(), arrow_schema::DataType::Utf8 | arrow_schema::DataType::LargeUtf8 | arrow_schema::DataType::Utf8View))
            .collect();
        to_encode.reverse();
        Some(WarmUp {
            sample,
            steps,
            next: 0,
            to_encode,
            encoding: None,
            budget: encode_budget,
            schema: ds.schema().clone(),
        })
    }

    /// How many query steps there are in all (every pass); the encoding's come after.
    pub fn len(&self) -> usize {
        self.steps.len() * PASSES
    }

    pub fn is_empty(&self) -> bool {
        self.steps.is_empty() && self.to_encode.is_empty()
    }

    /// Whether the query steps are done and the next step encodes.
    pub fn is_encoding(&self) -> bool {
        self.next >= self.len()
    }

    /// Run the next step over `ds`, the data set this warm-up was made for (over any other the
    /// encoding does nothing); `false` once every step has run. A query step's error (a column
    /// the sample does not type as expected) is not the person's concern and ends nothing.
    pub fn step(&mut self, ds: &DataSet) -> bool {
        if self.next >= self.len() {
            return self.encode_step(ds);
        }
        match &self.steps[self.next % self.steps.len()] {
            Work::Query(spec) => drop(super::run(&self.sample, spec)),
            Work::BubbleUp(spec, sel) => drop(crate::bubbleup::run(&self.sample, spec, sel)),
        }
        self.next += 1;
        true
    }

    /// Encode up to [`ENCODE_STEP_ROWS`] rows of the next column; `false` once none is left.
    fn encode_step(&mut self, ds: &DataSet) -> bool {
        if !std::sync::Arc::ptr_eq(&self.schema, ds.schema()) {
            return false;
        }
        let col = loop {
            if let Some(col) = self.encoding {
                break col;
            }
            let Some(col) = self.to_encode.pop() else { return false };
            if ds.cached_string_codes(col).is_none() {
                self.encoding = Some(col);
            }
        };
        match ds.encode_some(col, ENCODE_STEP_ROWS) {
            Some(Encoded::More { rows, distinct, heap_bytes, .. }) => {
                // What the whole column will hold, at the rate so far.
                let expected = heap_bytes as u128 * ds.num_rows().max(rows) as u128 / rows.max(1) as u128;
                if distinct * 2 > rows || expected > self.budget as u128 {
                    // Mostly distinct values (ids nobody groups by), or more than the memory left.
                    ds.drop_encoding(col);
                    self.encoding = None;
                }
            }
            Some(Encoded::Done) => {
                self.budget = self.budget.saturating_sub(ds.cached_string_codes(col).map_or(0, |c| c.heap_bytes()));
                self.encoding = None;
            }
            // A query is encoding it now: the next column.
            None => self.encoding = None,
        }
        true
    }

    /// What each query step answers over the sample: its rows, or its error.
    #[cfg(test)]
    pub(super) fn answers(&self) -> Vec<Result<usize, String>> {
        self.steps
            .iter()
            .map(|s| match s {
                Work::Query(spec) => super::run(&self.sample, spec).map(|r| r.results.len()).map_err(|e| e.to_string()),
                Work::BubbleUp(spec, sel) => crate::bubbleup::run(&self.sample, spec, sel).map(|b| b.columns.len()).map_err(|e| e.to_string()),
            })
            .collect()
    }

    /// Every step at once (hosts calling the JavaScript API in their own idle time; tests).
    pub fn run_all(&mut self, ds: &DataSet) -> usize {
        let mut n = 0;
        while self.step(ds) {
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
        let mut w = WarmUp::new(&ds, 0).expect("rows");
        assert_eq!(w.sample.num_rows(), SAMPLE_ROWS);
        assert_eq!(
            w.steps.len(),
            8,
            "count, percentiles, heatmap, sums, distinct, top list, text filter, BubbleUp"
        );
        for (i, ok) in w.answers().iter().enumerate() {
            assert!(ok.as_ref().is_ok_and(|n| *n > 0), "step {i}: {ok:?}");
        }
        // With no memory for it, the encoding gives each column up at its first step.
        let plain = (0..ds.schema().fields().len()).filter(|&c| ds.schema().field(c).data_type() == &arrow_schema::DataType::Utf8).count();
        assert_eq!(plain, 5, "user.id, trace, span and parent ids, error.message");
        assert_eq!(w.run_all(&ds), 16 + plain);
        assert!(!w.step(&ds), "nothing is left");
        // The loaded data set was not touched: no string codes cached on it.
        assert!((0..ds.schema().fields().len()).all(|c| ds.cached_string_codes(c).is_none()));
    }

    /// In idle time the loaded data set's plain string columns are encoded, the same codes a
    /// query would make, a step at a time; columns of mostly distinct values (span ids) and
    /// what does not fit the budget are left to the queries that need them.
    #[test]
    fn idle_time_encodes_the_columns_people_group_by() {
        let ds = DataSet::from_batches(crate::demo::generate(300_000, 7, 65_536)).unwrap();
        let col = |n: &str| ds.column_index(n).unwrap();
        let mut w = WarmUp::new(&ds, ENCODE_BUDGET).expect("rows");
        let mut steps = 0;
        while w.step(&ds) {
            steps += 1;
            assert!(steps < 1000);
        }
        for name in ["user.id", "trace.trace_id", "error.message"] {
            let codes = ds.cached_string_codes(col(name)).unwrap_or_else(|| panic!("{name} encoded"));
            // The same codes as a query's own encoding of a fresh copy.
            let fresh = DataSet::from_batches(ds.batches().to_vec()).unwrap();
            let want = fresh.string_codes(col(name)).unwrap();
            assert_eq!(codes.batches, want.batches, "{name}");
            assert_eq!(codes.interner.len(), want.interner.len());
        }
        assert!(ds.cached_string_codes(col("trace.span_id")).is_none(), "span ids are all distinct");
        // Each step encodes at most ENCODE_STEP_ROWS of a column: 300,000 rows take 3 steps.
        assert!(steps >= 16 + 3 * 3, "{steps} steps");

        // A budget too small for user.id's codes (4 bytes a row) keeps it unencoded.
        let ds = DataSet::from_batches(crate::demo::generate(300_000, 7, 65_536)).unwrap();
        let mut w = WarmUp::new(&ds, 300_000 * 4).expect("rows");
        w.run_all(&ds);
        assert!(ds.cached_string_codes(col("user.id")).is_none());
        // A warm-up stepped over another data set encodes nothing there.
        let other = DataSet::from_batches(crate::demo::generate(1_000, 8, 65_536)).unwrap();
        let mut w = WarmUp::new(&ds, ENCODE_BUDGET).expect("rows");
        w.run_all(&other);
        assert!((0..other.schema().fields().len()).all(|c| other.cached_string_codes(c).is_none()));
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
        let mut w = WarmUp::new(&ds, ENCODE_BUDGET).expect("rows");
        assert_eq!(w.steps.len(), 1, "a count");
        assert_eq!(w.run_all(&ds), 2);
        assert!(WarmUp::new(&DataSet::empty(), ENCODE_BUDGET).is_none());
    }
}
