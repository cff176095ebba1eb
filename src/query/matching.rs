//! The rows a query reads: its time range, its WHERE filters, and optionally a selection inside
//! it (`within`), per batch as a selection vector of row ids. Shared by the query pipeline and
//! the trace list so both see exactly the same events.

use super::execute::{resolve_range, rows_in_range};
use arrow_array::Array;

use super::filter::{self, CompiledFilter};
use super::selection::Selection;
use super::spec::{Combination, QuerySpec};
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
