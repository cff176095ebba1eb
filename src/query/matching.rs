//! The rows a query reads: its time range (resolved here: `resolve_range`, `range_at`,
//! `rows_in_range`), its WHERE filters, and optionally a selection inside
//! it (`within`), per batch as a selection vector of row ids. Shared by the query pipeline and
//! the trace list so both see exactly the same events.

use arrow_array::Array;

use super::filter::{self, CompiledFilter};
use super::selection::Selection;
use super::spec::{Combination, QuerySpec, DEFAULT_TIME_RANGE};
use crate::dataset::DataSet;
use crate::error::{Error, Result};

pub struct Matching {
    /// The query's time range in ms (`None` without a time column).
    pub range: Option<(i64, i64)>,
    filters: Vec<CompiledFilter>,
    combination: Combination,
    within_ms: Option<(i64, i64)>,
    within_filters: Vec<CompiledFilter>,
}

impl Matching {
    /// Compile `spec`'s range and filters (and the selection's) against the data set's schema.
    pub fn new(ds: &DataSet, spec: &QuerySpec, within: Option<&Selection>) -> Result<Matching> {
        let schema = ds.schema();
        let filters = filter::compile(&spec.filters, schema)?;
        let within_filters = match within {
            Some(w) => filter::compile(&w.filters, schema).map_err(|e| Error::spec("selection", e.to_string()))?,
            None => Vec::new(),
        };
        let within_ms = within.map(|w| (w.start_time.map_or(i64::MIN, |s| s.saturating_mul(1000)), w.end_time.map_or(i64::MAX, |e| e.saturating_mul(1000))));
        Ok(Matching { range: resolve_range(ds, spec), filters, combination: spec.filter_combination, within_ms, within_filters })
    }

    /// Batch `bi`'s matching rows, and how many of its rows lie in the time range (before filters).
    pub fn rows(&self, ds: &DataSet, bi: usize) -> (Vec<u32>, usize) {
        let (mut sel, in_range) = self.query_rows(ds, bi);
        self.narrow(ds, bi, &mut sel);
        (sel, in_range)
    }

    /// Batch `bi`'s rows in the query's time range and WHERE, before any selection (BubbleUp's
    /// baseline), and how many of its rows lie in the time range.
    pub fn query_rows(&self, ds: &DataSet, bi: usize) -> (Vec<u32>, usize) {
        let batch = &ds.batches()[bi];
        let mut sel: Vec<u32> = match (self.range, ds.times(bi)) {
            (Some((lo, hi)), Some(t)) => rows_in_range(t, ds.time_span(bi), lo, hi),
            _ => (0..batch.num_rows() as u32).collect(),
        };
        let in_range = sel.len();
        filter::apply(&self.filters, self.combination, batch, &mut sel);
        (sel, in_range)
    }

    /// Narrow rows of [`Matching::query_rows`] to the selection (`within`), in place.
    pub fn narrow(&self, ds: &DataSet, bi: usize, sel: &mut Vec<u32>) {
        // An unbounded selection time range keeps every row: with a time column, the query's
        // rows all have a time (the range always applies), so there is nothing to test.
        if let (Some((lo, hi)), Some(t)) = (self.within_ms.filter(|w| *w != (i64::MIN, i64::MAX)), ds.times(bi)) {
            sel.retain(|&i| t.is_valid(i as usize) && (lo..hi).contains(&t.value(i as usize)));
        }
        filter::apply(&self.within_filters, Combination::And, &ds.batches()[bi], sel);
    }
}

/// Resolve the time range to `[start_ms, end_ms)`; `None` when the data has no time column.
pub fn resolve_range(ds: &DataSet, spec: &QuerySpec) -> Option<(i64, i64)> {
    ds.time_column()?;
    Some(range_at(spec, ds.time_range().map_or(0, |(_, hi)| hi)))
}

/// `[start_ms, end_ms)` of `spec` where the latest event is at `latest_ms`: relative ranges end
/// just after it (not the wall clock).
pub fn range_at(spec: &QuerySpec, latest_ms: i64) -> (i64, i64) {
    let (start, end) = match (spec.start_time, spec.end_time, spec.time_range) {
        (Some(s), Some(e), _) => (s, e),
        (Some(s), None, r) => (s, s + r.unwrap_or(DEFAULT_TIME_RANGE)),
        (None, Some(e), r) => (e - r.unwrap_or(DEFAULT_TIME_RANGE), e),
        (None, None, r) => {
            let end = latest_ms.div_euclid(1000) + 1;
            (end - r.unwrap_or(DEFAULT_TIME_RANGE), end)
        }
    };
    (start.saturating_mul(1000), end.saturating_mul(1000))
}

/// Row ids of a batch whose event time lies in `[lo, hi)`. Whole batches inside or outside the
/// range (known from the batch's time span) take no per-row test.
pub fn rows_in_range(t: &arrow_array::Int64Array, span: Option<(i64, i64, bool)>, lo: i64, hi: i64) -> Vec<u32> {
    let n = t.len();
    match span {
        None => return Vec::new(),
        Some((min, max, _)) if max < lo || min >= hi => return Vec::new(),
        Some((min, max, true)) if min >= lo && max < hi => return (0..n as u32).collect(),
        _ => {}
    }
    let vals = t.values();
    // Branch-free: write every id, advance only past the ones that match.
    let mut out = vec![0u32; n];
    let mut k = 0;
    match t.nulls() {
        None => {
            for (i, &v) in vals.iter().enumerate() {
                out[k] = i as u32;
                k += ((v >= lo) & (v < hi)) as usize;
            }
        }
        Some(nulls) => {
            for (i, &v) in vals.iter().enumerate() {
                out[k] = i as u32;
                k += ((v >= lo) & (v < hi) & nulls.is_valid(i)) as usize;
            }
        }
    }
    out.truncate(k);
    out
}
