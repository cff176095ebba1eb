//! BubbleUp: what do the selected events have in common that the rest do not?
//!
//! The selection is a time range and/or filters (a box on a heatmap is both: time × value range);
//! the baseline is every other event the query matches (its time range and filters). Each column
//! is compared between the two populations, weighted by sample rate when weighting is on:
//!
//! - Dimensions (strings, booleans, integers with at most [`DIMENSION_MAX_DISTINCT`] values):
//!   the share of each value (null included) in selection and baseline.
//! - Measures (floats, integers with more values): [`MEASURE_BUCKETS`] equal-width buckets over
//!   the column's range among the query's events, shared by both populations.
//!
//! Score of a column: the largest over-representation of one value (or bucket) in the selection,
//! `max_v (p_sel(v) − p_base(v))`, from 0 (nothing stands out) to 1. It favours the column whose
//! single value explains the selection best, so a region beats the hosts inside it. Values are
//! ranked by `p_sel − p_base`. Columns used by the selection's own filters are reported but not
//! ranked (they differ by construction), and so are the time column, columns with more than
//! [`MAX_DISTINCT`] distinct values (ids), and nested columns.

use arrow_array::RecordBatch;
use serde_json::{json, Value as Json};

use crate::dataset::DataSet;
use crate::error::{Error, Result};
use crate::pace::{Pace, Step};
use crate::query::column::{numeric, Kind, Num};
use crate::query::matching::Matching;
use crate::query::spec::{Filter, FilterOp, QuerySpec};
use crate::value::float_json;

pub const DIMENSION_MAX_DISTINCT: usize = 50;
pub const MAX_DISTINCT: usize = 1000;
pub const MEASURE_BUCKETS: usize = 20;
/// Values (or buckets) reported per column.
pub const MAX_VALUES: usize = 20;

pub use crate::query::selection::Selection;

mod counts;

use counts::{Rows, ValueCounts};

#[derive(Debug, Clone, PartialEq)]
pub struct ValueShare {
    pub value: Json,
    /// For measure buckets: `[lower, upper)`.
    pub range: Option<(f64, f64)>,
    pub selection: f64,
    pub baseline: f64,
    pub selection_count: f64,
    pub baseline_count: f64,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ColumnReport {
    pub column: String,
    pub measure: bool,
    pub score: f64,
    pub values: Vec<ValueShare>,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct BubbleUp {
    pub selection_count: f64,
    pub baseline_count: f64,
    /// Ranked, highest score first.
    pub columns: Vec<ColumnReport>,
    /// Columns not ranked, with why.
    pub skipped: Vec<(String, String)>,
}

impl BubbleUp {
    pub fn to_json(&self) -> Json {
        json!({
            "selection": {"count": float_json(self.selection_count)},
            "baseline": {"count": float_json(self.baseline_count)},
            "columns": self.columns.iter().map(|c| json!({
                "column": c.column,
                "kind": if c.measure { "measure" } else { "dimension" },
                "score": float_json(c.score),
                "values": c.values.iter().map(|v| {
                    let mut o = json!({
                        "value": v.value,
                        "selection": float_json(v.selection),
                        "baseline": float_json(v.baseline),
                        "selection_count": float_json(v.selection_count),
                        "baseline_count": float_json(v.baseline_count),
                    });
                    if let Some((lo, hi)) = v.range {
                        o["lower"] = float_json(lo);
                        o["upper"] = float_json(hi);
                    }
                    o
                }).collect::<Vec<_>>(),
            })).collect::<Vec<_>>(),
            "skipped": self.skipped.iter().map(|(c, why)| json!({"column": c, "reason": why})).collect::<Vec<_>>(),
        })
    }
}

struct Plan<'a> {
    ds: &'a DataSet,
    /// The query's rows (the baseline) and the selection inside them.
    matching: Matching,
}

impl Plan<'_> {
    fn rows(&self, bi: usize) -> Rows<'_> {
        let (all, _) = self.matching.query_rows(self.ds, bi);
        let mut sel = all.clone();
        self.matching.narrow(self.ds, bi, &mut sel);
        Rows { all, sel, weights: self.ds.weights(bi) }
    }
}

enum Acc {
    /// Dimension candidates: weights per value among the query's rows and the selected ones.
    Values(ValueCounts),
    /// Measures: range over the query's events, then shared buckets (slot MEASURE_BUCKETS: null).
    Numbers { min: f64, max: f64, all: Vec<f64>, sel: Vec<f64> },
}

impl Acc {
    fn numbers() -> Acc {
        Acc::Numbers { min: f64::INFINITY, max: f64::NEG_INFINITY, all: vec![], sel: vec![] }
    }
}

/// Run BubbleUp for `selection` against the rest of what `spec` matches, over every column.
pub fn run(ds: &DataSet, spec: &QuerySpec, selection: &Selection) -> Result<BubbleUp> {
    run_on(ds, spec, selection, None)
}

/// BubbleUp over the named columns only (`None`: every column). An unknown name is an error.
pub fn run_on(ds: &DataSet, spec: &QuerySpec, selection: &Selection, only: Option<&[String]>) -> Result<BubbleUp> {
    crate::pace::finish(run_paced(ds, spec, selection, only, &mut crate::pace::Pace::unpaced()))
}

/// [`run_on`], ticking `pace` after each batch of the first pass, while a string column is
/// encoded, and per measure in the second. Same result.
pub async fn run_paced(ds: &DataSet, spec: &QuerySpec, selection: &Selection, only: Option<&[String]>, pace: &mut Pace<'_>) -> Result<BubbleUp> {
    // The query's derived columns are columns here too (compared like the others).
    let mut derived = None;
    let ds = crate::derive::for_spec(ds, spec, &mut derived)?;
    if let Some(only) = only {
        if let Some(c) = only.iter().find(|c| ds.column_index(c).is_none()) {
            return Err(Error::spec("columns", format!("no column named {c:?}")));
        }
    }
    let schema = ds.schema().clone();
    let plan = Plan { ds, matching: Matching::new(ds, spec, Some(selection))? };
    let sel_cols = selection.columns();
    let mut out = BubbleUp::default();
    let mut candidates: Vec<(usize, Acc)> = Vec::new();
    for (i, f) in schema.fields().iter().enumerate() {
        let name = f.name().as_str();
        let kind = Kind::of(f.data_type());
        if only.is_some_and(|o| !o.iter().any(|c| c == name)) {
            continue;
        } else if Some(name) == ds.time_column() {
            out.skipped.push((name.into(), "the time column".into()));
        } else if sel_cols.contains(&name) {
            out.skipped.push((name.into(), "used by the selection".into()));
        } else if Some(name) == ds.sample_rate_column() {
            out.skipped.push((name.into(), "the sample rate".into()));
        } else if kind == Kind::Other {
            out.skipped.push((name.into(), format!("nested or binary ({})", f.data_type())));
        } else if kind == Kind::Float {
            candidates.push((i, Acc::numbers()));
        } else {
            candidates.push((i, Acc::Values(ValueCounts::new(i, name, ds)?)));
        }
    }

    // Pass 1: value tallies for dimension candidates, ranges for measures. Each batch's rows are
    // kept for the measures' second pass.
    let mut batch_rows: Vec<Rows> = Vec::with_capacity(ds.batches().len());
    let n_batches = ds.batches().len() as u64;
    for (bi, batch) in ds.batches().iter().enumerate() {
        pace.tick(Step { stage: "comparing values", done: bi as u64, total: n_batches }).await?;
        let r = plan.rows(bi);
        let s = r.weight(&r.sel);
        out.selection_count += s;
        out.baseline_count += r.weight(&r.all) - s;
        for (col, acc) in &mut candidates {
            match acc {
                Acc::Values(v) => v.add(bi, batch, &r),
                Acc::Numbers { min, max, .. } => range_of(batch, *col, &r.all, min, max),
            }
        }
        batch_rows.push(r);
    }
    for (_, acc) in &candidates {
        if let Acc::Values(v) = acc {
            v.finish(ds, pace).await?;
        }
    }
    // Integers with many values are measures after all: their ranges take another look.
    for (col, acc) in &mut candidates {
        if let Acc::Values(v) = acc {
            let kind = Kind::of(schema.field(*col).data_type());
            if kind == Kind::Int && (v.overflow || v.len() > DIMENSION_MAX_DISTINCT + 1) {
                *acc = Acc::numbers();
                let Acc::Numbers { min, max, .. } = acc else { continue };
                for (batch, r) in ds.batches().iter().zip(&batch_rows) {
                    range_of(batch, *col, &r.all, min, max);
                }
            }
        }
    }
    // Pass 2: measures' buckets.
    let n_candidates = candidates.len() as u64;
    for (ci, (col, acc)) in candidates.iter_mut().enumerate() {
        pace.tick(Step { stage: "comparing measures", done: ci as u64, total: n_candidates }).await?;
        let Acc::Numbers { min, max, all, sel } = acc else { continue };
        all.resize(MEASURE_BUCKETS + 1, 0.0);
        sel.resize(MEASURE_BUCKETS + 1, 0.0);
        let (lo, width) = (*min, (*max - *min) / MEASURE_BUCKETS as f64);
        for (batch, r) in ds.batches().iter().zip(&batch_rows) {
            let Some(nc) = numeric(batch.column(*col)) else { continue };
            // Values at or above the minimum (the range came from these rows): truncation is floor.
            let slot = |x: f64| {
                if !x.is_finite() {
                    MEASURE_BUCKETS
                } else if width > 0.0 {
                    (((x - lo) / width) as usize).min(MEASURE_BUCKETS - 1)
                } else {
                    0
                }
            };
            let w = r.weights;
            match (&nc.vals, &nc.nulls) {
                (Num::F(v), None) => {
                    counts::tally(&r.all, w, all, |row| slot(v[row]));
                    counts::tally(&r.sel, w, sel, |row| slot(v[row]));
                }
                (Num::I(v), None) => {
                    counts::tally(&r.all, w, all, |row| slot(v[row] as f64));
                    counts::tally(&r.sel, w, sel, |row| slot(v[row] as f64));
                }
                _ => {
                    let bucket = |row: usize| if nc.is_valid(row) { slot(nc.f64_at(row)) } else { MEASURE_BUCKETS };
                    counts::tally(&r.all, w, all, bucket);
                    counts::tally(&r.sel, w, sel, bucket);
                }
            }
        }
    }

    // Tallies per column, then shares and scores.
    let mut tallies = Vec::with_capacity(candidates.len());
    for (col, acc) in candidates {
        let name = schema.field(col).name().clone();
        tallies.push((
            name,
            match acc {
                Acc::Values(v) if v.overflow => Tally::Overflow,
                Acc::Values(v) => Tally::Values((0..v.len()).filter(|g| v.all[*g] > 0.0).map(|g| (v.value(g).to_json(), v.all[g], v.sel[g])).collect()),
                Acc::Numbers { min, max, all, sel } => Tally::Buckets { min, max, all, sel },
            },
        ));
    }
    Ok(report(out, tallies))
}

/// What BubbleUp found for one column among the query's rows (`all`) and the selected ones.
pub enum Tally {
    /// A dimension: each value seen (JSON; null included) with its weight among all and selected.
    Values(Vec<(Json, f64, f64)>),
    /// More than [`MAX_DISTINCT`] distinct values: not compared.
    Overflow,
    /// A measure: the range of its finite values, and [`MEASURE_BUCKETS`] + 1 weights each (the
    /// last for null or non-finite values).
    Buckets { min: f64, max: f64, all: Vec<f64>, sel: Vec<f64> },
}

/// The report from per-column tallies (`out` has the population counts and the columns skipped
/// so far): shares, scores, ranking. Shared by the local engine and the ClickHouse push-down.
pub fn report(mut out: BubbleUp, tallies: Vec<(String, Tally)>) -> BubbleUp {
    let (ns, nb) = (out.selection_count.max(f64::MIN_POSITIVE), out.baseline_count.max(f64::MIN_POSITIVE));
    let share = |value: Json, range: Option<(f64, f64)>, s: f64, b: f64| ValueShare { value, range, selection: s / ns, baseline: b / nb, selection_count: s, baseline_count: b };
    for (name, tally) in tallies {
        let (measure, mut values) = match tally {
            Tally::Overflow => {
                out.skipped.push((name, format!("more than {MAX_DISTINCT} distinct values")));
                continue;
            }
            Tally::Values(vals) => (false, vals.into_iter().map(|(v, all, sel)| share(v, None, sel, all - sel)).collect::<Vec<_>>()),
            Tally::Buckets { min, max, all, sel } => {
                if all.is_empty() {
                    continue;
                }
                let width = (max - min) / MEASURE_BUCKETS as f64;
                let vals: Vec<ValueShare> = (0..=MEASURE_BUCKETS)
                    .filter(|b| all[*b] > 0.0)
                    .map(|b| {
                        let is_null = b == MEASURE_BUCKETS;
                        let lo = min + b as f64 * width;
                        let value = if is_null { Json::Null } else { float_json(lo) };
                        let range = (!is_null).then_some((lo, if b == MEASURE_BUCKETS - 1 { max } else { lo + width }));
                        share(value, range, sel[b], all[b] - sel[b])
                    })
                    .collect();
                (true, vals)
            }
        };
        let score = values.iter().map(|v| v.selection - v.baseline).fold(0.0, f64::max);
        if !measure {
            // Equal differences in value order, so the ranking does not depend on the order
            // the rows came in (nor on where they were tallied: here or in ClickHouse).
            values.sort_by(|a, b| (b.selection - b.baseline).total_cmp(&(a.selection - a.baseline)).then_with(|| value_order(&a.value, &b.value)));
            values.truncate(MAX_VALUES);
        }
        out.columns.push(ColumnReport { column: name, measure, score, values });
    }
    out.columns.sort_by(|a, b| b.score.total_cmp(&a.score).then_with(|| a.column.cmp(&b.column)));
    out
}

/// Values in a stable order: false before true, then numbers, then strings (by bytes), null
/// last.
fn value_order(a: &Json, b: &Json) -> std::cmp::Ordering {
    let rank = |v: &Json| match v {
        Json::Bool(_) => 0,
        Json::Number(_) => 1,
        Json::String(_) => 2,
        Json::Null => 4,
        _ => 3,
    };
    match (a, b) {
        (Json::Bool(x), Json::Bool(y)) => x.cmp(y),
        (Json::Number(x), Json::Number(y)) => x.as_f64().unwrap_or(0.0).total_cmp(&y.as_f64().unwrap_or(0.0)),
        (Json::String(x), Json::String(y)) => x.cmp(y),
        _ => rank(a).cmp(&rank(b)).then_with(|| a.to_string().cmp(&b.to_string())),
    }
}

/// Widen `[min, max]` to the finite values of numeric column `col` in `rows`.
fn range_of(batch: &RecordBatch, col: usize, rows: &[u32], min: &mut f64, max: &mut f64) {
    let Some(nc) = numeric(batch.column(col)) else { return };
    for &row in rows {
        if nc.is_valid(row as usize) {
            let x = nc.f64_at(row as usize);
            // Comparisons, not f64::min/max (calls to fmin/fmax in wasm).
            if x.is_finite() {
                if x < *min {
                    *min = x;
                }
                if x > *max {
                    *max = x;
                }
            }
        }
    }
}

/// A selection from a heatmap box: `[t0, t1)` × `[lo, hi]` on `column`.
pub fn box_selection(column: &str, t0: i64, t1: i64, lo: f64, hi: f64) -> Selection {
    Selection {
        start_time: Some(t0),
        end_time: Some(t1),
        filters: vec![
            Filter { column: column.into(), op: FilterOp::Ge, value: Some(json!(lo)) },
            Filter { column: column.into(), op: FilterOp::Le, value: Some(json!(hi)) },
        ],
    }
}
