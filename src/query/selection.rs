//! A selection: some of a query's events, picked by a time range and/or filters (ANDed with the
//! query's own). A box on a heatmap is both (time × value range), a brush on a line chart is a
//! time range, a results row is its group's values. BubbleUp compares a selection with the rest;
//! trace lists and queries can be narrowed to it ([`super::RunOptions::within`]).

use serde_json::{json, Value as Json};

use crate::error::{Error, Result};
use crate::query::spec::{Filter, QuerySpec};

/// The selected events: a time range (epoch seconds, `[start, end)`) and/or filters (ANDed).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Selection {
    pub start_time: Option<i64>,
    pub end_time: Option<i64>,
    pub filters: Vec<Filter>,
}

impl Selection {
    /// `{"start_time": s, "end_time": e, "filters": [...]}` (filters as in a query spec).
    pub fn from_json(v: &Json) -> Result<Selection> {
        let m = v.as_object().ok_or_else(|| Error::spec("(selection)", "must be an object"))?;
        for k in m.keys() {
            if !["start_time", "end_time", "filters"].contains(&k.as_str()) {
                return Err(Error::spec(format!("selection.{k}"), "unknown field (expected start_time, end_time, filters)"));
            }
        }
        let num = |k: &str| -> Result<Option<i64>> {
            match m.get(k) {
                None | Some(Json::Null) => Ok(None),
                Some(x) => x.as_i64().map(Some).ok_or_else(|| Error::spec(format!("selection.{k}"), "must be whole epoch seconds")),
            }
        };
        let mut probe = serde_json::Map::new();
        if let Some(f) = m.get("filters") {
            probe.insert("filters".into(), f.clone());
        }
        let filters = QuerySpec::from_json(&Json::Object(probe))
            .map_err(|e| Error::spec("selection", e.to_string().trim_start_matches("invalid query: ").to_string()))?
            .filters;
        let sel = Selection { start_time: num("start_time")?, end_time: num("end_time")?, filters };
        if sel.start_time.is_none() && sel.end_time.is_none() && sel.filters.is_empty() {
            return Err(Error::spec("selection", "needs a time range or filters"));
        }
        if let (Some(s), Some(e)) = (sel.start_time, sel.end_time) {
            if e <= s {
                return Err(Error::spec("selection.end_time", "must be after start_time"));
            }
        }
        Ok(sel)
    }

    pub fn to_json(&self) -> Json {
        let mut m = serde_json::Map::new();
        if let Some(s) = self.start_time {
            m.insert("start_time".into(), json!(s));
        }
        if let Some(e) = self.end_time {
            m.insert("end_time".into(), json!(e));
        }
        if !self.filters.is_empty() {
            let spec = QuerySpec { filters: self.filters.clone(), ..Default::default() };
            m.insert("filters".into(), spec.to_json()["filters"].clone());
        }
        Json::Object(m)
    }

    /// Columns the selection filters on.
    pub fn columns(&self) -> Vec<&str> {
        self.filters.iter().map(|f| f.column.as_str()).collect()
    }
}
