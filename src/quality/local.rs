//! The facts of the events in the tab: counted in the loaded data set.

use super::conventions::{Required, RequiredCounts};
use super::coverage::{self, Allowed, BadValues, Tally};
use super::facts::Facts;
use super::health::{self, Health};
use crate::dataset::DataSet;

/// The facts of the events in the tab.
pub struct Local<'a> {
    ds: &'a DataSet,
    tally: Tally<'a>,
}

impl<'a> Local<'a> {
    pub fn new(ds: &'a DataSet, service_col: Option<usize>) -> Local<'a> {
        Local { ds, tally: Tally::of(ds, service_col) }
    }
}

impl Facts for Local<'_> {
    fn data(&self) -> &DataSet {
        self.ds
    }
    fn tally(&self) -> &Tally<'_> {
        &self.tally
    }
    fn time_range(&self) -> Option<(i64, i64)> {
        self.ds.time_range()
    }
    fn bad_values(&self, col: usize, allowed: &Allowed) -> Option<BadValues> {
        coverage::bad_values(self.ds, col, &self.tally, &allowed.test())
    }
    fn required(&self, rule: &Required) -> RequiredCounts {
        super::conventions::required(self.ds, &self.tally, rule)
    }
    fn mixed_kinds(&self, col: usize) -> Option<Vec<[u64; 4]>> {
        coverage::mixed_kinds(self.ds, col, &self.tally)
    }
    fn distinct(&self, col: usize) -> (u64, bool) {
        super::cardinality::distinct(self.ds, col)
    }
    fn health(&self) -> Option<Health> {
        health::check(self.ds, &self.tally)
    }
    fn looks_like_ids(&self, col: usize) -> bool {
        let Some(b) = self.ds.batches().first() else { return false };
        let Some(s) = crate::query::column::strings(b.column(col)) else { return false };
        let sample: Vec<&str> = (0..b.num_rows()).filter_map(|i| s.get(i)).take(50).collect();
        looks_like_ids(&sample)
    }
}

/// Whether every value is hex or UUID text of at least 16 characters (trace and span ids,
/// request ids), as opposed to ids people read (`u-123`, emails).
pub fn looks_like_ids(sample: &[&str]) -> bool {
    !sample.is_empty() && sample.iter().all(|v| v.len() >= 16 && v.bytes().all(|c| c.is_ascii_hexdigit() || c == b'-'))
}
