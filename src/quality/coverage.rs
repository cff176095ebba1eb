//! Field coverage: per service, how many events carry each column, and the per-service tallies
//! the checks read (values outside an allowed set, the kinds of values in a mixed column).

use std::borrow::Cow;

use arrow_array::Array;
use serde::Serialize;

use super::values::ValueIds;
use crate::dataset::DataSet;
use crate::query::column::Kind;

/// The label of events without a service name.
pub const NO_SERVICE: &str = "(no service.name)";

/// Events per service and columns present per service.
pub struct Tally<'a> {
    /// Index 0: events without a service name; then the service column's values.
    pub services: Vec<String>,
    /// Per batch, per row: the row's service index.
    pub rows: Cow<'a, [Vec<u32>]>,
    pub events: Vec<u64>,
    /// Per column, per service: events where the column is not null.
    pub present: Vec<Vec<u64>>,
}

impl<'a> Tally<'a> {
    pub fn of(ds: &'a DataSet, service_col: Option<usize>) -> Tally<'a> {
        let ids = service_col.and_then(|c| ValueIds::of(ds, c));
        let (services, rows) = match ids {
            Some(v) => {
                let mut services = vec![NO_SERVICE.to_string()];
                services.extend(v.values);
                (services, v.batches)
            }
            None => (vec![NO_SERVICE.to_string()], Cow::Owned(ds.batches().iter().map(|b| vec![0; b.num_rows()]).collect())),
        };
        let n = services.len();
        let mut events = vec![0u64; n];
        let mut per_batch = Vec::with_capacity(rows.len());
        for r in rows.iter() {
            let mut c = vec![0u64; n];
            for &s in r {
                c[s as usize] += 1;
            }
            for (e, x) in events.iter_mut().zip(&c) {
                *e += x;
            }
            per_batch.push(c);
        }
        let cols = ds.schema().fields().len();
        let mut present = vec![vec![0u64; n]; cols];
        for (bi, b) in ds.batches().iter().enumerate() {
            for (ci, p) in present.iter_mut().enumerate() {
                let a = b.column(ci);
                match a.logical_nulls() {
                    None => {
                        for (x, c) in p.iter_mut().zip(&per_batch[bi]) {
                            *x += c;
                        }
                    }
                    Some(nulls) if nulls.null_count() == nulls.len() => {}
                    Some(nulls) => {
                        let r = &rows[bi];
                        for i in nulls.valid_indices() {
                            p[r[i] as usize] += 1;
                        }
                    }
                }
            }
        }
        Tally { services, rows, events, present }
    }

    /// Service indexes with events, most events first.
    pub fn order(&self) -> Vec<usize> {
        let mut o: Vec<usize> = (0..self.services.len()).filter(|&s| self.events[s] > 0).collect();
        o.sort_by(|&a, &b| self.events[b].cmp(&self.events[a]).then_with(|| self.services[a].cmp(&self.services[b])));
        o
    }
}

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

/// Per service, events whose value in string column `col` fails `allowed`, and the failing
/// values with their counts (most first). `None` when `col` is not a string column.
pub fn bad_values(ds: &DataSet, col: usize, tally: &Tally, allowed: &dyn Fn(&str) -> bool) -> Option<BadValues> {
    let ids = ValueIds::of(ds, col)?;
    let ok: Vec<bool> = std::iter::once(true).chain(ids.values.iter().map(|v| allowed(v))).collect();
    let mut per_service = vec![0u64; tally.services.len()];
    let mut per_value = vec![0u64; ids.values.len() + 1];
    for (bi, b) in ids.batches.iter().enumerate() {
        for (i, &id) in b.iter().enumerate() {
            if !ok[id as usize] {
                per_service[tally.rows[bi][i] as usize] += 1;
                per_value[id as usize] += 1;
            }
        }
    }
    let mut values: Vec<(String, u64)> =
        per_value.iter().enumerate().filter(|(_, &n)| n > 0).map(|(id, &n)| (ids.values[id - 1].clone(), n)).collect();
    values.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    Some((per_service, values))
}

/// What a text value looks like: the kind its writer most likely sent.
pub fn kind_of_text(s: &str) -> Kind {
    if s == "true" || s == "false" {
        Kind::Bool
    } else if s.parse::<i64>().is_ok() {
        Kind::Int
    } else if s.parse::<f64>().is_ok_and(f64::is_finite) {
        Kind::Float
    } else {
        Kind::Str
    }
}

/// Per service, the kinds of values a mixed column (one the reader made text because its values
/// had different types) holds: counts of integer, float, boolean and string values.
pub fn mixed_kinds(ds: &DataSet, col: usize, tally: &Tally) -> Option<Vec<[u64; 4]>> {
    let ids = ValueIds::of(ds, col)?;
    let kinds: Vec<Option<usize>> = std::iter::once(None)
        .chain(ids.values.iter().map(|v| Some(match kind_of_text(v) {
            Kind::Int => 0,
            Kind::Float => 1,
            Kind::Bool => 2,
            _ => 3,
        })))
        .collect();
    let mut out = vec![[0u64; 4]; tally.services.len()];
    for (bi, b) in ids.batches.iter().enumerate() {
        for (i, &id) in b.iter().enumerate() {
            if let Some(k) = kinds[id as usize] {
                out[tally.rows[bi][i] as usize][k] += 1;
            }
        }
    }
    Some(out)
}

/// The kinds [`mixed_kinds`] counts, in its order.
pub const MIXED_KINDS: [Kind; 4] = [Kind::Int, Kind::Float, Kind::Bool, Kind::Str];
