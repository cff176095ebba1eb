//! A string column's values as small ids per row, for the checks that tally by value (services,
//! enum values, allowed values, mixed types): plain strings through the data set's cached codes
//! (shared with queries), dictionary columns by mapping each batch's dictionary once.

use std::borrow::Cow;

use hashbrown::HashMap;

use crate::dataset::DataSet;
use crate::query::column::{strings, StrCol};

/// Per batch, per row: 0 for null, else 1 + the index of the row's value in `values`. A plain
/// string column's ids are the data set's cached codes, read in place.
pub struct ValueIds<'a> {
    pub values: Vec<String>,
    pub batches: Cow<'a, [Vec<u32>]>,
}

impl<'a> ValueIds<'a> {
    /// Column `col`'s ids, when it is a string column.
    pub fn of(ds: &'a DataSet, col: usize) -> Option<ValueIds<'a>> {
        if let Some(codes) = ds.string_codes(col) {
            let values = (0..codes.interner.len() as u32).map(|c| codes.interner.get(c).to_string()).collect();
            return Some(ValueIds { values, batches: Cow::Borrowed(&codes.batches) });
        }
        let mut index: HashMap<String, u32> = HashMap::new();
        let mut values = Vec::new();
        let mut batches = Vec::with_capacity(ds.batches().len());
        for b in ds.batches() {
            let StrCol::Dict { keys, values: dict, nulls } = strings(b.column(col))? else { return None };
            let map: Vec<u32> = (0..dict.len())
                .map(|k| match dict.get(k) {
                    None => 0,
                    Some(s) => {
                        1 + *index.entry_ref(s).or_insert_with(|| {
                            values.push(s.to_string());
                            values.len() as u32 - 1
                        })
                    }
                })
                .collect();
            let ids = (0..b.num_rows())
                .map(|i| if nulls.as_ref().is_none_or(|n| n.is_valid(i)) { map[keys.at(i)] } else { 0 })
                .collect();
            batches.push(ids);
        }
        Some(ValueIds { values, batches: Cow::Owned(batches) })
    }

}
