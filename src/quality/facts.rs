//! What the report is made from, wherever the events are: [`Facts`] answers the tallies the
//! checks need. `local::Local` counts them in the tab's data set; the store's answers come from
//! ClickHouse (`backend::quality`), fetched first and then read the same way.

use super::conventions::{Required, RequiredCounts};
use super::coverage::{Allowed, BadValues, Tally};
use super::health::Health;
use crate::dataset::DataSet;

pub trait Facts {
    /// The columns (for a store: its schema with no rows; time, sample rate and span columns
    /// are detected on it as on loaded data).
    fn data(&self) -> &DataSet;
    /// Events per service, and per column per service.
    fn tally(&self) -> &Tally<'_>;
    /// The first and last event time (ms).
    fn time_range(&self) -> Option<(i64, i64)>;
    /// Text column `col`'s values that `allowed` refuses (`None`: not a text column).
    fn bad_values(&self, col: usize, allowed: &Allowed) -> Option<BadValues>;
    fn required(&self, rule: &Required) -> RequiredCounts;
    /// A mixed column's kinds of value per service (see `coverage::mixed_kinds`).
    fn mixed_kinds(&self, col: usize) -> Option<Vec<[u64; 4]>>;
    /// Distinct values, and whether the count is exact.
    fn distinct(&self, col: usize) -> (u64, bool);
    fn health(&self) -> Option<Health>;
    /// Whether the column's first values are written like machine ids (hex, UUIDs).
    fn looks_like_ids(&self, col: usize) -> bool;
}
