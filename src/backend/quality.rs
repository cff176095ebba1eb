//! The quality report on a ClickHouse table: the same report as for the tab's events
//! (`quality::report`), its tallies counted by ClickHouse in four round trips: events per service
//! and non-null values per column and service; distinct values per column (`uniqUpTo(10000)`,
//! exact to the local bound, else `uniqCombined64`) with a sample of id-named columns; the values
//! the registry's enums and the team's conventions refuse, per service; and the team's required
//! attributes per service. Trace health needs the spans themselves: it is not part of a store's
//! report.

use std::collections::HashMap;

use arrow_array::cast::AsArray;
use arrow_array::{Array, RecordBatch};

use super::pushdown::{from, output_at, table_range, value_at};
use super::{Backend, Client, Sql, Table};
use crate::dataset::{DataSet, SampleRate};
use crate::error::Result;
use crate::quality::conventions::{Required, RequiredCounts};
use crate::quality::coverage::{Allowed, BadValues, Tally, NO_SERVICE};
use crate::quality::facts::Facts;
use crate::quality::{cardinality::EXACT_BOUND, Conventions, Health};
use crate::query::column::Kind;
use crate::value::Value;

/// A store's answers, read by the report as the tab's events are.
pub struct Fetched {
    ds: DataSet,
    tally: Tally<'static>,
    range: Option<(i64, i64)>,
    bad: HashMap<String, BadValues>,
    required: HashMap<String, RequiredCounts>,
    distinct: Vec<(u64, bool)>,
    ids: Vec<bool>,
}

impl Facts for Fetched {
    fn data(&self) -> &DataSet {
        &self.ds
    }
    fn tally(&self) -> &Tally<'_> {
        &self.tally
    }
    fn time_range(&self) -> Option<(i64, i64)> {
        self.range
    }
    fn bad_values(&self, col: usize, allowed: &Allowed) -> Option<BadValues> {
        self.bad.get(&allowed.key(col)).cloned()
    }
    fn required(&self, rule: &Required) -> RequiredCounts {
        let n = self.tally.services.len();
        self.required.get(&rule_key(rule)).cloned().unwrap_or_else(|| (vec![0; n], vec![vec![0; n]; rule.attributes.len()]))
    }
    fn mixed_kinds(&self, _: usize) -> Option<Vec<[u64; 4]>> {
        // A ClickHouse column has one type.
        None
    }
    fn distinct(&self, col: usize) -> (u64, bool) {
        self.distinct.get(col).copied().unwrap_or((0, true))
    }
    fn health(&self) -> Option<Health> {
        None
    }
    fn looks_like_ids(&self, col: usize) -> bool {
        self.ids.get(col).copied().unwrap_or(false)
    }
}

fn rule_key(rule: &Required) -> String {
    serde_json::to_string(rule).unwrap_or_default()
}

fn int(b: &RecordBatch, c: usize, r: usize) -> u64 {
    output_at(b.column(c), r).as_f64().unwrap_or(0.0).max(0.0) as u64
}

/// A service name from an answer (null: no service).
fn service_at(b: &RecordBatch, c: usize, r: usize) -> Option<String> {
    match value_at(b.column(c), r) {
        Value::Null => None,
        Value::Str(s) => Some(s),
        v => Some(v.display()),
    }
}

/// Count what the quality report needs in the table.
pub async fn facts<C: Client>(client: &mut C, backend: &Backend, table: &Table, conventions: Option<&Conventions>) -> Result<Fetched> {
    let ds = table.dataset(SampleRate::Auto)?;
    let fields = ds.schema().fields().clone();
    let columns: Vec<_> = fields.iter().map(|f| table.column(f.name())).collect();
    let service = crate::quality::service_column(&ds).and_then(|c| columns[c]);
    let svc = |q: &mut Sql| service.map_or("CAST(NULL AS Nullable(String))".to_string(), |c| format!("toString({})", c.sql(q)));

    // Events per service, and per column the events carrying it.
    let mut q = Sql::new();
    let s = svc(&mut q);
    let counts: Vec<String> = columns.iter().map(|c| c.map_or("toUInt64(0)".to_string(), |c| format!("countIf(isNotNull({}))", c.sql(&mut q)))).collect();
    let t = from(&mut q, backend);
    q.push(&format!("SELECT {s} AS __s, count(), {} FROM {t} GROUP BY __s", counts.join(", ")));
    let mut services = vec![NO_SERVICE.to_string()];
    let mut index: HashMap<String, usize> = HashMap::new();
    let mut rows: Vec<(usize, u64, Vec<u64>)> = Vec::new();
    for b in backend.fetch(client, &q).await? {
        for r in 0..b.num_rows() {
            let i = match service_at(&b, 0, r) {
                None => 0,
                Some(name) => *index.entry(name.clone()).or_insert_with(|| {
                    services.push(name);
                    services.len() - 1
                }),
            };
            rows.push((i, int(&b, 1, r), (0..fields.len()).map(|c| int(&b, c + 2, r)).collect()));
        }
    }
    let n = services.len();
    let mut events = vec![0u64; n];
    let mut present = vec![vec![0u64; n]; fields.len()];
    for (i, e, p) in rows {
        events[i] += e;
        for (c, x) in p.into_iter().enumerate() {
            present[c][i] += x;
        }
    }
    let tally = Tally { services, rows: Vec::new().into(), events, present };
    let service_index = |name: Option<String>| name.map_or(Some(0), |n| index.get(&n).copied());

    // Distinct values, and a sample of each id-named text column.
    let mut q = Sql::new();
    let mut parts = Vec::new();
    let mut sampled = Vec::new();
    for (c, col) in columns.iter().enumerate() {
        let Some(col) = col else { continue };
        let x = col.sql(&mut q);
        parts.push(format!("length(groupUniqArray({})({x})), uniqCombined64({x})", EXACT_BOUND + 1));
        let lower = fields[c].name().to_ascii_lowercase();
        if Kind::of(fields[c].data_type()) == Kind::Str && (lower.ends_with("id") || lower.ends_with("_id")) {
            parts.push(format!("groupArray(50)(toString({x}))"));
            sampled.push(c);
        }
    }
    let mut distinct = vec![(0, true); fields.len()];
    let mut ids = vec![false; fields.len()];
    if !parts.is_empty() {
        let t = from(&mut q, backend);
        q.push(&format!("SELECT {} FROM {t}", parts.join(", ")));
        let batches = backend.fetch(client, &q).await?;
        if let Some(b) = batches.iter().find(|b| b.num_rows() > 0) {
            let mut at = 0;
            for (c, col) in columns.iter().enumerate() {
                if col.is_none() {
                    continue;
                }
                let upto = int(b, at, 0);
                distinct[c] = if upto as usize <= EXACT_BOUND { (upto, true) } else { (int(b, at + 1, 0), false) };
                at += 2;
                if sampled.contains(&c) {
                    if let Some(list) = b.column(at).as_list_opt::<i32>() {
                        let v = list.value(0);
                        let sample: Vec<String> = (0..v.len()).filter_map(|i| match value_at(&v, i) {
                            Value::Str(s) => Some(s),
                            _ => None,
                        }).collect();
                        ids[c] = crate::quality::local::looks_like_ids(&sample.iter().map(String::as_str).collect::<Vec<_>>());
                    }
                    at += 1;
                }
            }
        }
    }

    // Values refused, per check, service and value.
    let mut bad = HashMap::new();
    let checks = crate::quality::value_checks(&ds, conventions);
    let checks: Vec<_> = checks.into_iter().filter_map(|(c, a)| Some((c, a, columns[c]?))).collect();
    if !checks.is_empty() {
        let mut q = Sql::new();
        let s = svc(&mut q);
        let t = from(&mut q, backend);
        let mut parts = Vec::new();
        for (k, (_, allowed, col)) in checks.iter().enumerate() {
            let x = format!("toString({})", col.sql(&mut q));
            let mut ok = Vec::new();
            if let Some(values) = &allowed.values {
                let vs: Vec<String> = values.iter().map(|v| q.string(v)).collect();
                ok.push(if vs.is_empty() { "0".to_string() } else { format!("{x} IN ({})", vs.join(", ")) });
            }
            if let Some(p) = &allowed.pattern {
                ok.push(format!("match({x}, {})", q.string(p)));
            }
            let ok = if ok.is_empty() { "1".to_string() } else { ok.join(" AND ") };
            parts.push(format!("SELECT toUInt32({k}) AS __k, {s} AS __s, {x} AS __v, count() AS __n FROM {t} WHERE isNotNull({x}) AND NOT ({ok}) GROUP BY __s, __v"));
        }
        q.push(&parts.iter().map(|p| format!("SELECT * FROM ({p})")).collect::<Vec<_>>().join(" UNION ALL "));
        let mut per: Vec<(Vec<u64>, HashMap<String, u64>)> = vec![(vec![0; n], HashMap::new()); checks.len()];
        for b in backend.fetch(client, &q).await? {
            for r in 0..b.num_rows() {
                let k = int(&b, 0, r) as usize;
                let (Some(entry), Some(si)) = (per.get_mut(k), service_index(service_at(&b, 1, r))) else { continue };
                let Value::Str(v) = value_at(b.column(2), r) else { continue };
                let count = int(&b, 3, r);
                entry.0[si] += count;
                *entry.1.entry(v).or_default() += count;
            }
        }
        for ((c, allowed, _), (per_service, values)) in checks.iter().zip(per) {
            let mut values: Vec<(String, u64)> = values.into_iter().collect();
            values.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
            bad.insert(allowed.key(*c), (per_service, values));
        }
    }

    // Required attributes: per rule, the events it applies to and those without each attribute.
    let mut required = HashMap::new();
    for rule in conventions.map(|c| c.required.as_slice()).unwrap_or_default() {
        let mut q = Sql::new();
        let mut conds = Vec::new();
        let mut applies_to_none = false;
        for (col, want) in &rule.when {
            match table.column(col) {
                Some(c) => {
                    let x = c.sql(&mut q);
                    conds.push(format!("toString({x}) = {}", q.string(want)));
                }
                None => applies_to_none = true,
            }
        }
        if applies_to_none {
            continue;
        }
        let s = svc(&mut q);
        let missing: Vec<String> = rule.attributes.iter().map(|a| match table.column(a) {
            Some(c) => format!("countIf(isNull({}))", c.sql(&mut q)),
            None => "count()".to_string(),
        }).collect();
        let t = from(&mut q, backend);
        let cond = if conds.is_empty() { "1".to_string() } else { conds.join(" AND ") };
        q.push(&format!("SELECT {s} AS __s, count(), {} FROM {t} WHERE {cond} GROUP BY __s", missing.join(", ")));
        let mut applies = vec![0u64; n];
        let mut miss = vec![vec![0u64; n]; rule.attributes.len()];
        for b in backend.fetch(client, &q).await? {
            for r in 0..b.num_rows() {
                let Some(si) = service_index(service_at(&b, 0, r)) else { continue };
                applies[si] += int(&b, 1, r);
                for (k, m) in miss.iter_mut().enumerate() {
                    m[si] += int(&b, k + 2, r);
                }
            }
        }
        required.insert(rule_key(rule), (applies, miss));
    }

    let range = match ds.time_column().and_then(|t| table.column(t)) {
        Some(t) => table_range(client, backend, t).await?,
        None => None,
    };
    Ok(Fetched { ds, tally, range, bad, required, distinct, ids })
}

/// The quality report of the table.
pub async fn report<C: Client>(client: &mut C, backend: &Backend, table: &Table, conventions: Option<&Conventions>) -> Result<crate::quality::Report> {
    let facts = facts(client, backend, table, conventions).await?;
    Ok(crate::quality::report(&facts, conventions))
}
