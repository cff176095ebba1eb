//! What the report is made from, wherever the events are: [`Facts`] answers the tallies the
//! checks need. [`Local`] counts them in the tab's data set; the store's answers come from
//! ClickHouse (`backend::quality`), fetched first and then read the same way.

use serde::Serialize;

use super::conventions::Required;
use super::coverage::{self, Tally};
use super::health::{self, Health};
use crate::dataset::DataSet;

/// Values a column may hold: one of `values` (when given) and matching `pattern` (when given).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Allowed {
    pub values: Option<Vec<String>>,
    pub pattern: Option<String>,
}

impl Allowed {
    /// Whether `v` is allowed (a pattern that does not compile allows nothing).
    pub fn test(&self) -> impl Fn(&str) -> bool + '_ {
        let re = self.pattern.as_deref().map(regex_lite::Regex::new);
        move |v: &str| {
            self.values.as_ref().is_none_or(|vals| vals.iter().any(|x| x == v))
                && match &re {
                    None => true,
                    Some(Ok(r)) => r.is_match(v),
                    Some(Err(_)) => false,
                }
        }
    }

    /// A key for the answers of a store fetched ahead.
    pub fn key(&self, col: usize) -> String {
        format!("{col}:{}", serde_json::to_string(self).unwrap_or_default())
    }
}

/// Per service, events whose value is not allowed; and the values with their counts, most first.
pub type BadValues = (Vec<u64>, Vec<(String, u64)>);

/// Per service, events a required rule applies to; per attribute, those among them without it.
pub type RequiredCounts = (Vec<u64>, Vec<Vec<u64>>);

pub trait Facts {
    /// The columns (for a store: its schema with no rows; time, sample rate and span columns
    /// are detected on it as on loaded data).
    fn data(&self) -> &DataSet;
    /// Events per service, and per column per service.
    fn tally(&self) -> &Tally;
    /// The first and last event time (ms).
    fn time_range(&self) -> Option<(i64, i64)>;
    /// Text column `col`'s values that `allowed` refuses (`None`: not a text column).
    fn bad_values(&self, col: usize, allowed: &Allowed) -> Option<BadValues>;
    fn required(&self, rule: &Required) -> RequiredCounts;
    /// A mixed column's kinds of value per service (see [`coverage::mixed_kinds`]).
    fn mixed_kinds(&self, col: usize) -> Option<Vec<[u64; 4]>>;
    /// Distinct values, and whether the count is exact.
    fn distinct(&self, col: usize) -> (u64, bool);
    fn health(&self) -> Option<Health>;
    /// Whether the column's first values are written like machine ids (hex, UUIDs).
    fn looks_like_ids(&self, col: usize) -> bool;
}

/// The facts of the events in the tab.
pub struct Local<'a> {
    ds: &'a DataSet,
    tally: Tally,
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
    fn tally(&self) -> &Tally {
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
