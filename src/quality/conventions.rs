//! A team's own conventions, as a small JSON file loaded beside the data:
//!
//! ```json
//! {
//!   "name": "Storefront conventions",
//!   "required": [
//!     { "when": { "span.kind": "server" }, "attributes": ["http.route", "http.request.method"] },
//!     { "attributes": ["team"] }
//!   ],
//!   "name_pattern": "^[a-z][a-z0-9_]*(\\.[a-z][a-z0-9_]*)*$",
//!   "attributes": {
//!     "team": { "type": "string", "values": ["storefront", "payments"] },
//!     "retry.count": { "type": "int" },
//!     "customer.plan": { "pattern": "^(free|pro|enterprise)$" }
//!   }
//! }
//! ```
//!
//! `required`: the attributes every event carries (where `when`'s columns have those values: a
//! span kind, a service). `name_pattern`: what every attribute name must match (RE2 syntax).
//! `attributes`: a column's type (`string`, `int`, `double`, `boolean`) and its allowed values,
//! as a list or a pattern.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::coverage::{Allowed, Tally};
use super::values::ValueIds;
use crate::dataset::DataSet;
use crate::error::{Error, Result};
use crate::query::column::Kind;

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Conventions {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub required: Vec<Required>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name_pattern: Option<String>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub attributes: BTreeMap<String, Rule>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Required {
    /// Column = value conditions, all of which an event meets for the rule to apply to it.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub when: BTreeMap<String, String>,
    pub attributes: Vec<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Rule {
    #[serde(rename = "type", default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub values: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pattern: Option<String>,
}

impl Conventions {
    /// Read and check a conventions file: errors say where.
    pub fn parse(text: &str) -> Result<Conventions> {
        let c: Conventions = serde_json::from_str(text)
            .map_err(|e| Error::Data(format!("conventions file, line {} column {}: {e}", e.line(), e.column())))?;
        if let Some(p) = &c.name_pattern {
            regex_lite::Regex::new(p).map_err(|e| Error::Data(format!("conventions file, name_pattern: {e}")))?;
        }
        for (i, r) in c.required.iter().enumerate() {
            if r.attributes.is_empty() {
                return Err(Error::Data(format!("conventions file, required[{i}]: no attributes")));
            }
        }
        for (name, rule) in &c.attributes {
            if let Some(k) = &rule.kind {
                if Rule::kind_of(k).is_none() {
                    return Err(Error::Data(format!("conventions file, attributes.{name}.type: {k:?} is not string, int, double or boolean")));
                }
            }
            if let Some(p) = &rule.pattern {
                regex_lite::Regex::new(p).map_err(|e| Error::Data(format!("conventions file, attributes.{name}.pattern: {e}")))?;
            }
        }
        Ok(c)
    }

    pub fn label(&self) -> &str {
        self.name.as_deref().unwrap_or("team conventions")
    }
}

impl Rule {
    fn kind_of(t: &str) -> Option<&'static [Kind]> {
        Some(match t {
            "string" => &[Kind::Str],
            "int" => &[Kind::Int],
            "double" => &[Kind::Float, Kind::Int],
            "boolean" => &[Kind::Bool],
            _ => return None,
        })
    }

    /// The column kinds this rule's type allows (`None`: any).
    pub fn expects(&self) -> Option<&'static [Kind]> {
        self.kind.as_deref().and_then(Rule::kind_of)
    }

    /// The values this rule allows, when it limits them.
    pub fn allowed(&self) -> Option<Allowed> {
        (!self.values.is_empty() || self.pattern.is_some())
            .then(|| Allowed { values: (!self.values.is_empty()).then(|| self.values.clone()), pattern: self.pattern.clone() })
    }
}

/// Per service, events a required rule applies to; per attribute, those among them without it.
pub type RequiredCounts = (Vec<u64>, Vec<Vec<u64>>);

/// Per service, events a `required` rule applies to, and per attribute the events among them
/// without it. A `when` column the data lacks (or that is not text) matches no event.
pub fn required(ds: &DataSet, tally: &Tally, rule: &Required) -> RequiredCounts {
    let n = tally.services.len();
    let mut applies = vec![0u64; n];
    let mut missing = vec![vec![0u64; n]; rule.attributes.len()];
    // Each condition as (column's ids, the wanted value's id).
    let mut conds = Vec::new();
    for (col, want) in &rule.when {
        let Some(ids) = ds.column_index(col).and_then(|c| ValueIds::of(ds, c)) else { return (applies, missing) };
        let Some(id) = ids.values.iter().position(|v| v == want) else { return (applies, missing) };
        conds.push((ids.batches, id as u32 + 1));
    }
    let attrs: Vec<Option<usize>> = rule.attributes.iter().map(|a| ds.column_index(a)).collect();
    for (bi, b) in ds.batches().iter().enumerate() {
        let nulls: Vec<Option<arrow_buffer::NullBuffer>> =
            attrs.iter().map(|a| a.and_then(|c| arrow_array::Array::logical_nulls(b.column(c)))).collect();
        for i in 0..b.num_rows() {
            if !conds.iter().all(|(ids, want)| ids[bi][i] == *want) {
                continue;
            }
            let s = tally.rows[bi][i] as usize;
            applies[s] += 1;
            for (k, a) in attrs.iter().enumerate() {
                let present = a.is_some() && nulls[k].as_ref().is_none_or(|n| n.is_valid(i));
                if !present {
                    missing[k][s] += 1;
                }
            }
        }
    }
    (applies, missing)
}
