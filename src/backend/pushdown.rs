//! A Honeycomb query run by ClickHouse, with the local engine's answer. The mapping (rules in
//! ARCHITECTURE.md, "Push-down to ClickHouse"):
//!
//! - The spec is first checked by the local engine itself, on a data set with the table's schema
//!   and no rows: the same errors for unknown columns, wrong types and bad values.
//! - Round trips: the latest event time when the range is relative; for each HEATMAP column its
//!   smallest and largest matching value (the bucket layout); the totals per group (havings,
//!   order and limit in SQL); each HEATMAP's bucket counts; the series for the kept groups (the
//!   totals query again as a subquery, `transform_null_in` so a null group is a group); the rows
//!   in range and matching.
//! - Filters: null matches nothing but `does-not-exist`; an integral operand compares exactly
//!   with an integer column, anything else as floats; string ops on bytes (code points).
//! - Weights: `if(isNull(w) OR w < 1, 1, w)`. COUNT = Σw, SUM = Σx·w (exact integers for integer
//!   columns and weights), AVG = Σx·w / Σw over non-null x.
//! - Percentiles: the values and weights of a group sorted by value, `h = (Σw − 1)·p`, the
//!   values at running weight positions ⌊h⌋ and ⌊h⌋+1 interpolated linearly: the local engine's
//!   formula (and DuckDB's `quantile_cont` when every weight is 1).
//! - COUNT_DISTINCT: `uniqExact` (exact, nulls left out, not weighted).
//! - HEATMAP: the local layout ([`crate::query::heatmap`]) from that query's min and max, each
//!   value's bucket computed by the same arithmetic in SQL.
//! - CONCURRENCY and RATE_*: ClickHouse sums the local engine's partial aggregates per group and
//!   bucket (Σx·w, Σw, max; a span's weight added at its first bucket and taken away after its
//!   last), and the local engine's own `Timed` makes the series from them. Their totals (peak
//!   concurrency; the mean of the rates between consecutive buckets) are made in the totals
//!   query by the same arithmetic over `sumMap`s per group, so havings, orders and the limit
//!   by them stay in SQL.

use std::collections::HashMap;

use arrow_array::cast::AsArray;
use arrow_array::types::*;
use arrow_array::{Array, ArrayRef, RecordBatch};
use arrow_schema::DataType;
use serde_json::Value as Json;

use super::table::{Column, Table};
use super::{Backend, Client, Sql};
use crate::dataset::SampleRate;
use crate::error::{Error, Result};
use crate::query::aggregate::Output;
use crate::query::column::Kind;
use crate::query::filter::{as_bool, as_number, as_text};
use crate::query::heatmap::{Histogram, Layout, Scale};
use crate::query::result::{ResultRow, SeriesPoint};
use crate::query::spec::{CalcOp, Calculation, Combination, Filter, FilterOp, QuerySpec};
use crate::query::{QueryResult, RunOptions};
use crate::value::Value;

/// How the query is to be answered (as [`RunOptions`] and the data set's sample-rate mode say
/// for a local query).
#[derive(Debug, Clone, Default)]
pub struct Options {
    pub heatmap_scale: Scale,
    pub sample_rate: SampleRate,
}

/// What every statement of one query shares.
struct Ctx<'a> {
    backend: &'a Backend,
    table: &'a Table,
    spec: &'a QuerySpec,
    calcs: Vec<Calculation>,
    /// The sample-rate column and whether its values are integers.
    weight: Option<(&'a Column, bool)>,
    time: Option<&'a Column>,
    range: Option<(i64, i64)>,
}

/// Run `spec` on `backend`'s table, whose columns are `table`.
pub async fn query<C: Client>(client: &mut C, backend: &Backend, table: &Table, spec: &QuerySpec, opts: &Options) -> Result<QueryResult> {
    not_derived(spec)?;
    let ds = table.dataset(opts.sample_rate.clone())?;
    // The local engine's own checks (columns, types, values, havings, orders), on no rows.
    crate::query::run_with(&ds, spec, &RunOptions { heatmap_scale: opts.heatmap_scale, within: None })?;
    let calcs = spec.effective_calculations();
    let weight = ds.sample_rate_column().and_then(|n| table.column(n)).map(|c| (c, c.data_type == DataType::Int64));
    let time = ds.time_column().and_then(|n| table.column(n));
    let mut ctx = Ctx { backend, table, spec, calcs, weight, time, range: None };

    ctx.range = resolve_range(client, backend, spec, time).await?;

    // HEATMAP layouts: one per column, from its matching values' min and max.
    let mut layouts: HashMap<String, Option<Layout>> = HashMap::new();
    for c in ctx.calcs.iter().filter(|c| c.op == CalcOp::Heatmap) {
        let col = c.column.clone().unwrap_or_default();
        if layouts.contains_key(&col) {
            continue;
        }
        let mut q = Sql::new();
        let x = ctx.column(&col)?.sql(&mut q);
        let w = ctx.where_sql(&mut q)?;
        let from = from(&mut q, backend);
        q.push(&format!("SELECT toFloat64(min({x})), toFloat64(max({x})), toInt64(count({x})) FROM {from} WHERE {w}"));
        let b = backend.fetch(client, &q).await?;
        let row = b.iter().find(|b| b.num_rows() > 0);
        let layout = row.and_then(|b| {
            let n = output_at(b.column(2), 0).as_f64().unwrap_or(0.0);
            (n > 0.0).then(|| Layout::new(output_at(b.column(0), 0).as_f64().unwrap_or(0.0), output_at(b.column(1), 0).as_f64().unwrap_or(0.0), opts.heatmap_scale))
        });
        layouts.insert(col, layout);
    }

    // Totals per group: havings, order and limit in SQL.
    let mut q = Sql::new();
    let totals = ctx.totals_sql(&mut q)?;
    q.push(&totals);
    let nb = spec.breakdowns.len();
    let mut results: Vec<ResultRow> = Vec::new();
    for b in backend.fetch(client, &q).await? {
        for r in 0..b.num_rows() {
            let group = (0..nb).map(|i| value_at(b.column(i), r)).collect();
            results.push(ResultRow { group, values: outputs(&ctx.calcs, &b, r, nb, true) });
        }
    }
    let index: HashMap<String, usize> = results.iter().enumerate().map(|(i, r)| (group_key(&r.group), i)).collect();

    // Each HEATMAP's counts per kept group.
    for (ci, c) in ctx.calcs.iter().enumerate().filter(|(_, c)| c.op == CalcOp::Heatmap) {
        let Some(Some(layout)) = layouts.get(c.column.as_deref().unwrap_or("")) else { continue };
        if results.is_empty() {
            break;
        }
        for (g, bucket, count) in ctx.heat_counts(client, c, layout, false).await? {
            let Some(&row) = index.get(&g) else { continue };
            let out = &mut results[row].values[ci];
            if !matches!(out, Output::Heatmap(_)) {
                *out = Output::heatmap(Histogram { layout: *layout, counts: vec![0.0; layout.n] });
            }
            if let Output::Heatmap(h) = out {
                h.counts[bucket.min(layout.n - 1)] += count;
            }
        }
    }

    // The series: the kept groups per time bucket.
    let mut series: Vec<SeriesPoint> = Vec::new();
    if let (Some(g), Some((lo, hi)), false) = (spec.granularity, ctx.range, results.is_empty()) {
        let gms = g * 1000;
        let nbk = ((hi - lo + gms - 1) / gms).max(1) as usize;
        if results.len() * nbk > crate::query::execute::MAX_SERIES_CELLS {
            return Err(Error::spec(
                "granularity",
                format!("{g} s gives {nbk} buckets × {} groups, more than {} cells: use a coarser granularity", results.len(), crate::query::execute::MAX_SERIES_CELLS),
            ));
        }
        let mut cells: HashMap<(i64, usize), Vec<Output>> = HashMap::new();
        // Every cell with matching rows is a point (a HEATMAP's is null when none has a value).
        {
            let mut q = Sql::new();
            let s = ctx.series_sql(&mut q)?;
            q.push(&s);
            for b in backend.fetch(client, &q).await? {
                for r in 0..b.num_rows() {
                    let t = output_at(b.column(0), r).as_f64().unwrap_or(0.0) as i64;
                    let group: Vec<Value> = (0..nb).map(|i| value_at(b.column(i + 1), r)).collect();
                    let Some(&row) = index.get(&group_key(&group)) else { continue };
                    cells.insert((t, row), outputs(&ctx.calcs, &b, r, nb + 1, false));
                }
            }
        }
        for (ci, c) in ctx.calcs.iter().enumerate().filter(|(_, c)| c.op == CalcOp::Heatmap) {
            let Some(Some(layout)) = layouts.get(c.column.as_deref().unwrap_or("")) else { continue };
            for (key, bucket, count) in ctx.heat_counts(client, c, layout, true).await? {
                let (t, g) = key.split_once('|').unwrap_or(("0", ""));
                let Some(&row) = index.get(g) else { continue };
                let t: i64 = t.parse().unwrap_or(0);
                let values = cells.entry((t, row)).or_insert_with(|| vec![Output::Null; ctx.calcs.len()]);
                if !matches!(values[ci], Output::Heatmap(_)) {
                    values[ci] = Output::heatmap(Histogram { layout: *layout, counts: vec![0.0; layout.n] });
                }
                if let Output::Heatmap(h) = &mut values[ci] {
                    h.counts[bucket.min(layout.n - 1)] += count;
                }
            }
        }
        let mut keys: Vec<(i64, usize)> = cells.keys().copied().collect();
        keys.sort_unstable();
        series = keys.into_iter().map(|k| SeriesPoint { time_ms: k.0, row: k.1, values: cells.remove(&k).unwrap_or_default() }).collect();
    }

    // CONCURRENCY and RATE_* series: partial aggregates per kept group and bucket, finished by
    // the local engine (their totals came with the others).
    if let (Some((lo, g, nbk)), Some(_), false) = (ctx.timed_grid(), spec.granularity, results.is_empty()) {
        for (ci, c) in ctx.calcs.iter().enumerate().filter(|(_, c)| timed(c.op)) {
            let kind = match c.op {
                CalcOp::Concurrency => crate::query::aggregate::TimedKind::Concurrency,
                CalcOp::RateAvg => crate::query::aggregate::TimedKind::RateAvg,
                CalcOp::RateSum => crate::query::aggregate::TimedKind::RateSum,
                _ => crate::query::aggregate::TimedKind::RateMax,
            };
            let mut t = crate::query::aggregate::Timed::new(None, kind, lo, g, nbk);
            for (key, bucket, cell) in ctx.timed_cells(client, c, lo, g, nbk).await? {
                if let Some(&row) = index.get(&key) {
                    t.add_cell(row as u32, bucket, cell);
                }
            }
            let per_row: Vec<HashMap<u32, f64>> = (0..results.len()).map(|row| t.series(row as u32).into_iter().collect()).collect();
            for p in &mut series {
                let b = ((p.time_ms - lo) / g) as u32;
                p.values[ci] = per_row[p.row].get(&b).map_or(Output::Null, |v| Output::Float(*v));
            }
        }
    }

    // Rows in range, and matching.
    let mut q = Sql::new();
    let filters = ctx.filters_sql(&mut q)?;
    let range = ctx.range_sql(&mut q);
    let from = from(&mut q, backend);
    q.push(&format!("SELECT toInt64(count()), toInt64(countIf({filters})) FROM {from} WHERE {range}"));
    let counts = backend.fetch(client, &q).await?;
    let count_at = |i: usize| counts.iter().find(|b| b.num_rows() > 0).and_then(|b| output_at(b.column(i), 0).as_f64()).unwrap_or(0.0) as u64;

    Ok(QueryResult {
        breakdowns: spec.breakdowns.clone(),
        keys: ctx.calcs.iter().map(Calculation::key).collect(),
        results,
        series,
        range_ms: ctx.range,
        granularity: spec.granularity,
        sample_rate_column: ds.sample_rate_column().map(str::to_string),
        rows_in_range: count_at(0),
        rows_matched: count_at(1),
    })
}

/// The rows `spec` matches (its time range and filters), at most `cap`, every offered column
/// under its name here: events to bring into the tab.
pub async fn matching_rows<C: Client>(client: &mut C, backend: &Backend, table: &Table, spec: &QuerySpec, cap: usize) -> Result<Vec<RecordBatch>> {
    not_derived(spec)?;
    let ds = table.dataset(SampleRate::Auto)?;
    crate::query::run_with(&ds, spec, &RunOptions::default())?;
    let time = ds.time_column().and_then(|n| table.column(n));
    let mut ctx = Ctx { backend, table, spec, calcs: Vec::new(), weight: None, time, range: None };
    ctx.range = resolve_range(client, backend, spec, time).await?;
    let mut q = Sql::new();
    let w = ctx.where_sql(&mut q)?;
    rows_where(client, backend, table, q, &w, Some(cap)).await
}

/// Every offered column of the rows where `cond` (SQL written into `q`) holds, at most `cap`,
/// named and typed as offered (ClickHouse names them by their SQL; integers keep their width).
async fn rows_where<C: Client>(client: &mut C, backend: &Backend, table: &Table, mut q: Sql, cond: &str, cap: Option<usize>) -> Result<Vec<RecordBatch>> {
    let cols: Vec<String> = table.columns.iter().map(|c| c.sql(&mut q)).collect();
    let from = from(&mut q, backend);
    let limit = cap.map(|c| format!(" LIMIT {}", q.int(c as i64))).unwrap_or_default();
    q.push(&format!("SELECT {} FROM {from} WHERE {cond}{limit}", cols.join(", ")));
    let batches = backend.fetch(client, &q).await?;
    let want = |c: &Column, got: &DataType| match (&c.data_type, got) {
        (DataType::Timestamp(..), DataType::Timestamp(..)) => got.clone(),
        (want, _) => want.clone(),
    };
    let fields: Vec<arrow_schema::Field> = batches
        .first()
        .map(|b| b.schema().fields().iter().zip(&table.columns).map(|(f, c)| arrow_schema::Field::new(&c.name, want(c, f.data_type()), true)).collect())
        .unwrap_or_default();
    let schema = std::sync::Arc::new(arrow_schema::Schema::new(fields));
    batches
        .into_iter()
        .map(|b| {
            let cols = b.columns().iter().zip(schema.fields()).map(|(a, f)| if a.data_type() == f.data_type() { Ok(a.clone()) } else { arrow_cast::cast(a, f.data_type()) }).collect::<std::result::Result<Vec<_>, _>>()?;
            RecordBatch::try_new(schema.clone(), cols).map_err(Error::from)
        })
        .collect()
}

/// `spec`'s time range `[start_ms, end_ms)` on the table, as the local engine resolves it (a
/// relative range ends just after the table's latest event: one request); `None` without a
/// time column.
async fn resolve_range<C: Client>(client: &mut C, backend: &Backend, spec: &QuerySpec, time: Option<&Column>) -> Result<Option<(i64, i64)>> {
    let Some(t) = time else { return Ok(None) };
    let latest = match (spec.start_time, spec.end_time) {
        (None, None) => {
            let mut q = Sql::new();
            let ms = t.time_ms(&mut q).unwrap_or_default();
            let from = from(&mut q, backend);
            q.push(&format!("SELECT toInt64(max({ms})) FROM {from}"));
            first_int(&backend.fetch(client, &q).await?).unwrap_or(0)
        }
        _ => 0,
    };
    Ok(Some(crate::query::matching::range_at(spec, latest)))
}

/// The table's first and last event time in ms (`None` when it has no rows).
pub async fn table_range<C: Client>(client: &mut C, backend: &Backend, time: &Column) -> Result<Option<(i64, i64)>> {
    let mut q = Sql::new();
    let ms = time.time_ms(&mut q).unwrap_or_default();
    let from = from(&mut q, backend);
    q.push(&format!("SELECT toInt64(min({ms})), toInt64(max({ms})), toInt64(count()) FROM {from}"));
    let b = backend.fetch(client, &q).await?;
    let Some(b) = b.iter().find(|b| b.num_rows() > 0) else { return Ok(None) };
    let n = output_at(b.column(2), 0).as_f64().unwrap_or(0.0);
    Ok((n > 0.0).then(|| (output_at(b.column(0), 0).as_f64().unwrap_or(0.0) as i64, output_at(b.column(1), 0).as_f64().unwrap_or(0.0) as i64)))
}

pub(super) fn from(q: &mut Sql, b: &Backend) -> String {
    let db = q.ident(if b.database.is_empty() { "default" } else { &b.database });
    let t = q.ident(&b.table);
    format!("{db}.{t}")
}

impl Ctx<'_> {
    fn column(&self, name: &str) -> Result<&Column> {
        self.table.column(name).ok_or_else(|| Error::Data(format!("no column named {name:?}")))
    }

    /// The event's weight (1 when weighting is off).
    fn weight_sql(&self, q: &mut Sql) -> Option<String> {
        let (c, _) = self.weight?;
        let w = c.sql(q);
        Some(format!("assumeNotNull(if(isNull({w}) OR {w} < 1, 1, {w}))"))
    }

    fn range_sql(&self, q: &mut Sql) -> String {
        match (self.time, self.range) {
            (Some(t), Some((lo, hi))) => {
                let ms = t.time_ms(q).unwrap_or_default();
                let (lo, hi) = (q.int(lo), q.int(hi));
                format!("({ms} >= {lo} AND {ms} < {hi})")
            }
            _ => "1".to_string(),
        }
    }

    fn filters_sql(&self, q: &mut Sql) -> Result<String> {
        if self.spec.filters.is_empty() {
            return Ok("1".into());
        }
        let parts = self.spec.filters.iter().map(|f| self.filter_sql(q, f)).collect::<Result<Vec<_>>>()?;
        let join = if self.spec.filter_combination == Combination::Or { " OR " } else { " AND " };
        Ok(format!("({})", parts.join(join)))
    }

    /// The rows a query reads: in range and passing the filters.
    fn where_sql(&self, q: &mut Sql) -> Result<String> {
        let f = self.filters_sql(q)?;
        Ok(format!("{} AND {f}", self.range_sql(q)))
    }

    fn filter_sql(&self, q: &mut Sql, f: &Filter) -> Result<String> {
        let col = self.column(&f.column)?;
        let c = col.sql(q);
        let kind = Kind::of(&col.data_type);
        match f.op {
            FilterOp::Exists => return Ok(format!("isNotNull({c})")),
            FilterOp::DoesNotExist => return Ok(format!("isNull({c})")),
            _ => {}
        }
        let value = f.value.clone().unwrap_or(Json::Null);
        let items: Vec<Json> = match value {
            Json::Array(a) => a,
            v => vec![v],
        };
        let bad = || Error::spec("filters", format!("{} cannot be pushed down for {:?}", f.op.name(), f.column));
        let cond = match kind {
            Kind::Int | Kind::Float => {
                let one = |q: &mut Sql, v: &Json, op: &str| -> Result<String> {
                    let (x, exact) = as_number(v).ok_or_else(bad)?;
                    Ok(match (kind, exact) {
                        (Kind::Int, Some(i)) => format!("{c} {op} {}", q.int(i)),
                        (Kind::Int, None) => format!("toFloat64({c}) {op} {}", q.float(x)),
                        _ => format!("{c} {op} {}", q.float(x)),
                    })
                };
                match f.op {
                    FilterOp::In | FilterOp::NotIn => {
                        let any = items.iter().map(|v| one(q, v, "=")).collect::<Result<Vec<_>>>()?;
                        let any = format!("({})", any.join(" OR "));
                        if f.op == FilterOp::NotIn { format!("NOT {any}") } else { any }
                    }
                    op => one(q, &items[0], cmp_sql(op).ok_or_else(bad)?)?,
                }
            }
            Kind::Str => {
                let texts: Vec<String> = items.iter().map(as_text).collect();
                match f.op {
                    FilterOp::In | FilterOp::NotIn => {
                        let list: Vec<String> = texts.iter().map(|t| q.string(t)).collect();
                        format!("{}{c} IN ({})", if f.op == FilterOp::NotIn { "NOT " } else { "" }, list.join(", "))
                    }
                    op => {
                        let s = q.string(&texts[0]);
                        match op {
                            FilterOp::StartsWith => format!("startsWith({c}, {s})"),
                            FilterOp::DoesNotStartWith => format!("NOT startsWith({c}, {s})"),
                            FilterOp::EndsWith => format!("endsWith({c}, {s})"),
                            FilterOp::DoesNotEndWith => format!("NOT endsWith({c}, {s})"),
                            FilterOp::Contains => format!("position({c}, {s}) > 0"),
                            FilterOp::DoesNotContain => format!("NOT (position({c}, {s}) > 0)"),
                            op => format!("{c} {} {s}", cmp_sql(op).ok_or_else(bad)?),
                        }
                    }
                }
            }
            Kind::Bool => {
                let bs = items.iter().map(|v| as_bool(v).ok_or_else(bad)).collect::<Result<Vec<_>>>()?;
                match f.op {
                    FilterOp::In | FilterOp::NotIn => {
                        let list: Vec<String> = bs.iter().map(|b| q.boolean(*b)).collect();
                        format!("{}{c} IN ({})", if f.op == FilterOp::NotIn { "NOT " } else { "" }, list.join(", "))
                    }
                    FilterOp::Eq => format!("{c} = {}", q.boolean(bs[0])),
                    FilterOp::Ne => format!("{c} != {}", q.boolean(bs[0])),
                    _ => return Err(bad()),
                }
            }
            Kind::Other => return Err(bad()),
        };
        // Null matches nothing here (not even the negated forms).
        Ok(format!("(isNotNull({c}) AND ({cond}))"))
    }

    /// Inner aggregates (per group, or per group and time bucket) and the outer expression of
    /// each calculation's output over them, HEATMAP left out. `inner` columns are named `__a{k}_…`.
    fn calc_sql(&self, q: &mut Sql, k: usize, c: &Calculation, inner: &mut Vec<String>) -> Result<Option<String>> {
        let w = self.weight_sql(q);
        let integral = self.weight.is_none_or(|(_, i)| i);
        let x = match &c.column {
            Some(n) => Some(self.column(n)?.sql(q)),
            None => None,
        };
        let x = || x.clone().unwrap_or_default();
        let int_col = c.column.as_deref().and_then(|n| self.table.column(n)).is_some_and(|col| Kind::of(&col.data_type) == Kind::Int);
        let wf = w.clone().map_or("toFloat64(1)".to_string(), |w| format!("toFloat64({w})"));
        Ok(Some(match c.op {
            CalcOp::Count => match (&w, integral) {
                (None, _) => {
                    inner.push(format!("count() AS __a{k}"));
                    format!("toInt64(__a{k})")
                }
                (Some(w), true) => {
                    inner.push(format!("sum(toInt64({w})) AS __a{k}"));
                    format!("toInt64(__a{k})")
                }
                (Some(w), false) => {
                    inner.push(format!("sum(toFloat64({w})) AS __a{k}"));
                    format!("toFloat64(__a{k})")
                }
            },
            CalcOp::Sum => {
                inner.push(format!("count({}) AS __a{k}_n", x()));
                if int_col && integral {
                    let wi = w.clone().map_or("1".to_string(), |w| format!("toInt64({w})"));
                    inner.push(format!("sum(toInt64({}) * {wi}) AS __a{k}", x()));
                    format!("if(__a{k}_n = 0, NULL, toInt64(__a{k}))")
                } else {
                    inner.push(format!("sum(toFloat64({}) * {wf}) AS __a{k}", x()));
                    format!("if(__a{k}_n = 0, NULL, toFloat64(__a{k}))")
                }
            }
            CalcOp::Avg => {
                inner.push(format!("sum(toFloat64({}) * {wf}) AS __a{k}", x()));
                inner.push(format!("sumIf({wf}, isNotNull({})) AS __a{k}_w", x()));
                format!("if(__a{k}_w = 0, NULL, __a{k} / __a{k}_w)")
            }
            CalcOp::Min | CalcOp::Max => {
                let f = if c.op == CalcOp::Min { "min" } else { "max" };
                inner.push(format!("count({}) AS __a{k}_n", x()));
                let cast = if int_col { "toInt64" } else { "toFloat64" };
                inner.push(format!("{f}({cast}({})) AS __a{k}", x()));
                format!("if(__a{k}_n = 0, NULL, __a{k})")
            }
            CalcOp::CountDistinct => {
                inner.push(format!("uniqExact({}) AS __a{k}", x()));
                format!("toInt64(__a{k})")
            }
            CalcOp::Heatmap | CalcOp::Concurrency | CalcOp::RateAvg | CalcOp::RateSum | CalcOp::RateMax => return Ok(None),
            op => {
                let Some(p) = op.quantile() else { return Err(Error::spec("calculations", format!("{} is not pushed down", c.key()))) };
                inner.push(format!("arraySort(__e -> __e.1, groupArrayIf((assumeNotNull(toFloat64({})), {wf}), isNotNull({}))) AS __a{k}", x(), x()));
                let p = q.float(p);
                let a = format!("__a{k}");
                let at = |pos: &str| format!("{a}[if(arrayFirstIndex(__c -> {pos} < __c, __cs{k}) = 0, length({a}), arrayFirstIndex(__c -> {pos} < __c, __cs{k}))].1");
                let lo = at(&format!("__k{k}"));
                let hi = at(&format!("greatest(least(__k{k} + 1, __tot{k} - 1), __k{k})"));
                format!(
                    "if(empty({a}), NULL, ignore((arraySum(__e -> __e.2, {a}) AS __tot{k}), (greatest(__tot{k} - 1, 0) * {p} AS __h{k}), (floor(__h{k}) AS __k{k}), (arrayCumSum(arrayMap(__e -> __e.2, {a})) AS __cs{k})) + ({lo} + (__h{k} - __k{k}) * ({hi} - {lo})))"
                )
            }
        }))
    }

    /// `SELECT g0, g1, out0, out1 … FROM (aggregates per group) WHERE havings ORDER BY … LIMIT n`,
    /// with `t` first when `bucket` (the series; no havings, order or limit).
    fn aggregate_sql(&self, q: &mut Sql, bucket: Option<(i64, i64)>, kept: Option<&str>) -> Result<String> {
        let spec = self.spec;
        let mut inner = Vec::new();
        let mut group_by = Vec::new();
        let mut outer = Vec::new();
        if let Some((lo, gms)) = bucket {
            let ms = self.time.and_then(|t| t.time_ms(q)).unwrap_or_default();
            let (lo, gms) = (q.int(lo), q.int(gms));
            inner.push(format!("({lo} + intDiv({ms} - {lo}, {gms}) * {gms}) AS __t"));
            group_by.push("__t".to_string());
            outer.push("__t".to_string());
        }
        let mut gs = Vec::new();
        for (i, b) in spec.breakdowns.iter().enumerate() {
            let c = self.column(b)?.sql(q);
            inner.push(format!("{c} AS __g{i}"));
            group_by.push(format!("__g{i}"));
            outer.push(format!("__g{i}"));
            gs.push(c);
        }
        inner.push("count() AS __n".to_string());
        let mut outs = Vec::new();
        for (k, c) in self.calcs.iter().enumerate() {
            let o = match (timed(c.op), bucket) {
                (true, None) => Some(self.timed_total_sql(q, k, c, &mut inner)?),
                (true, Some(_)) => None,
                (false, _) => self.calc_sql(q, k, c, &mut inner)?,
            };
            if let Some(o) = o {
                outer.push(format!("{o} AS __o{k}"));
                outs.push(k);
            }
        }
        // Rows per group: a group of no rows is none (and the select list is never empty).
        outer.push("__n".to_string());
        let mut w = self.where_sql(q)?;
        if let Some(kept) = kept {
            if !gs.is_empty() {
                let tuple = if gs.len() == 1 { gs[0].clone() } else { format!("({})", gs.join(", ")) };
                w = format!("{w} AND {tuple} IN ({kept})");
            }
        }
        let from = from(q, self.backend);
        let group = if group_by.is_empty() { String::new() } else { format!(" GROUP BY {}", group_by.join(", ")) };
        let mut sql = format!("SELECT {} FROM (SELECT {} FROM {from} WHERE {w}{group})", outer.join(", "), inner.join(", "));
        if bucket.is_some() {
            return Ok(sql);
        }
        // No breakdowns: one group, unless nothing matched.
        let mut conds = vec!["__n > 0".to_string()];
        for h in &spec.havings {
            let Some(k) = self.calcs.iter().position(|c| c.op == h.calculate_op && c.column == h.column) else { continue };
            let v = q.float(h.value);
            conds.push(format!("(isNotNull(__o{k}) AND toFloat64(__o{k}) {} {v})", h.op.name()));
        }
        sql.push_str(&format!(" WHERE {}", conds.join(" AND ")));
        let keys = crate::query::order::sort_keys(spec, &self.calcs);
        let order: Vec<String> = keys
            .iter()
            .filter_map(|k| match k {
                // (A HEATMAP orders nothing.)
                crate::query::order::SortKey::Calc(i, desc) => (self.calcs[*i].op != CalcOp::Heatmap).then(|| format!("__o{i} {} NULLS LAST", if *desc { "DESC" } else { "ASC" })),
                crate::query::order::SortKey::Breakdown(i, desc) => Some(format!("__g{i} {} NULLS LAST", if *desc { "DESC" } else { "ASC" })),
            })
            .collect();
        if !order.is_empty() {
            sql.push_str(&format!(" ORDER BY {}", order.join(", ")));
        }
        sql.push_str(&format!(" LIMIT {}", q.int(spec.limit() as i64)));
        Ok(sql)
    }

    fn totals_sql(&self, q: &mut Sql) -> Result<String> {
        self.aggregate_sql(q, None, None)
    }

    /// The kept groups' breakdown values, as a subquery.
    fn kept_sql(&self, q: &mut Sql) -> Result<String> {
        let totals = self.totals_sql(q)?;
        let gs: Vec<String> = (0..self.spec.breakdowns.len()).map(|i| format!("__g{i}")).collect();
        Ok(format!("SELECT {} FROM ({totals})", gs.join(", ")))
    }

    fn series_sql(&self, q: &mut Sql) -> Result<String> {
        let (lo, _) = self.range.unwrap_or_default();
        let gms = self.spec.granularity.unwrap_or(1) * 1000;
        let kept = self.kept_sql(q)?;
        self.aggregate_sql(q, Some((lo, gms)), Some(&kept))
    }

    /// HEATMAP `c`'s weighted counts per kept group (and per time bucket with `series`), as
    /// `(group key, bucket, count)`; a series key is `time|group`.
    async fn heat_counts<C: Client>(&self, client: &mut C, c: &Calculation, layout: &Layout, series: bool) -> Result<Vec<(String, usize, f64)>> {
        let mut q = Sql::new();
        let x = self.column(c.column.as_deref().unwrap_or(""))?.sql(&mut q);
        let at = if layout.log { format!("log10(toFloat64({x}))") } else { format!("toFloat64({x})") };
        let bucket = if layout.width <= 0.0 {
            "toUInt64(0)".to_string()
        } else {
            let (o, w, top) = (q.float(layout.origin()), q.float(layout.width), q.int(layout.n as i64 - 1));
            format!("least(toUInt64(greatest(({at} - {o}) / {w}, 0)), toUInt64({top}))")
        };
        let wt = self.weight_sql(&mut q).map_or("count()".to_string(), |w| format!("sum(toFloat64({w}))"));
        let mut cols = Vec::new();
        let mut gs = Vec::new();
        if series {
            let (lo, _) = self.range.unwrap_or_default();
            let ms = self.time.and_then(|t| t.time_ms(&mut q)).unwrap_or_default();
            let (lo, gms) = (q.int(lo), q.int(self.spec.granularity.unwrap_or(1) * 1000));
            cols.push(format!("({lo} + intDiv({ms} - {lo}, {gms}) * {gms}) AS __t"));
        }
        for (i, b) in self.spec.breakdowns.iter().enumerate() {
            let e = self.column(b)?.sql(&mut q);
            cols.push(format!("{e} AS __g{i}"));
            gs.push(e);
        }
        let mut w = self.where_sql(&mut q)?;
        w = format!("{w} AND isNotNull({x})");
        if !gs.is_empty() {
            let kept = self.kept_sql(&mut q)?;
            let tuple = if gs.len() == 1 { gs[0].clone() } else { format!("({})", gs.join(", ")) };
            w = format!("{w} AND {tuple} IN ({kept})");
        }
        let names: Vec<String> = cols.iter().map(|c| c.rsplit(" AS ").next().unwrap_or("").to_string()).collect();
        let from = from(&mut q, self.backend);
        let mut select = cols.clone();
        select.push(format!("{bucket} AS __b"));
        select.push(format!("toFloat64({wt}) AS __c"));
        let mut group = names.clone();
        group.push("__b".into());
        q.push(&format!("SELECT {} FROM {from} WHERE {w} GROUP BY {}", select.join(", "), group.join(", ")));
        let nb = self.spec.breakdowns.len();
        let mut out = Vec::new();
        for b in self.backend.fetch(client, &q).await? {
            let off = series as usize;
            for r in 0..b.num_rows() {
                let group: Vec<Value> = (0..nb).map(|i| value_at(b.column(i + off), r)).collect();
                let mut key = group_key(&group);
                if series {
                    key = format!("{}|{key}", output_at(b.column(0), r).as_f64().unwrap_or(0.0) as i64);
                }
                let bucket = output_at(b.column(off + nb), r).as_f64().unwrap_or(0.0) as usize;
                let count = output_at(b.column(off + nb + 1), r).as_f64().unwrap_or(0.0);
                out.push((key, bucket, count));
            }
        }
        Ok(out)
    }
}

impl Ctx<'_> {
    /// CONCURRENCY's and RATE_*'s time buckets: (first bucket's start ms, width ms, how many),
    /// the query's granularity or the automatic one; `None` without a time range.
    fn timed_grid(&self) -> Option<(i64, i64, u32)> {
        let (lo, hi) = self.range?;
        let g = self.spec.granularity.unwrap_or_else(|| crate::query::spec::auto_granularity((hi - lo) / 1000)) * 1000;
        Some((lo, g, ((hi - lo + g - 1) / g) as u32))
    }

    /// A row's first bucket and, for CONCURRENCY, its last: SQL over the row.
    fn timed_buckets(&self, q: &mut Sql, c: &Calculation, (lo, g, n): (i64, i64, u32)) -> Result<(String, Option<String>, String)> {
        let ms = self.time.and_then(|t| t.time_ms(q)).unwrap_or_default();
        let (lo_p, g_p, n_p) = (q.int(lo), q.int(g), q.int(n as i64));
        let first = format!("toUInt32(greatest(intDiv({ms} - {lo_p}, {g_p}), 0))");
        if c.op != CalcOp::Concurrency {
            return Ok((first, None, n_p));
        }
        let dur = crate::query::execute::DURATION_COLUMN_NAMES
            .iter()
            .find_map(|n| self.table.column(n).filter(|c| matches!(Kind::of(&c.data_type), Kind::Int | Kind::Float)))
            .ok_or_else(|| Error::spec("calculations", "CONCURRENCY needs a span duration column"))?;
        let d = dur.sql(q);
        // A span covers [t, t + d]: +w from its first bucket, −w after its last.
        let last = format!("toUInt32(least(greatest(floor(((toFloat64({ms}) + greatest(ifNull(toFloat64({d}), 0), 0)) - toFloat64({lo_p})) / toFloat64({g_p})), 0), toFloat64({n_p} - 1)))");
        Ok((first, Some(last), n_p))
    }

    /// CONCURRENCY's or RATE_*'s total per group, as `Timed::total` makes it from the cells:
    /// the cells per bucket as a `sumMap` (keys in bucket order), then the peak of their running
    /// sum, or the mean of the rates between consecutive buckets (summed in bucket order).
    fn timed_total_sql(&self, q: &mut Sql, k: usize, c: &Calculation, inner: &mut Vec<String>) -> Result<String> {
        let Some(grid) = self.timed_grid() else { return Ok("CAST(NULL AS Nullable(Float64))".into()) };
        let (first, last, n) = self.timed_buckets(q, c, grid)?;
        let w = self.weight_sql(q).map_or("toFloat64(1)".to_string(), |w| format!("toFloat64({w})"));
        let a = format!("__a{k}");
        if let Some(last) = last {
            inner.push(format!("sumMap(if({last} + 1 < {n}, [{first}, {last} + 1], [{first}]), if({last} + 1 < {n}, [{w}, -{w}], [{w}])) AS {a}"));
            return Ok(format!("toFloat64(greatest(if(empty({a}.2), 0, arrayMax(arrayCumSum({a}.2))), 0))"));
        }
        let x = self.column(c.column.as_deref().unwrap_or(""))?.sql(q);
        inner.push(format!("sumMapIf([{first}], [toFloat64({x}) * {w}], [{w}], isNotNull({x})) AS {a}"));
        let values = match c.op {
            CalcOp::RateAvg => format!("arrayMap((__s, __w) -> __s / __w, {a}.2, {a}.3)"),
            CalcOp::RateSum => format!("{a}.2"),
            _ => {
                inner.push(format!("maxMapIf([{first}], [toFloat64({x})], isNotNull({x})) AS {a}_m"));
                format!("{a}_m.2")
            }
        };
        let secs = q.float(grid.1 as f64 / 1000.0);
        Ok(format!(
            "if(empty(arrayFilter(__i -> {a}.1[__i] = {a}.1[__i - 1] + 1, range(2, length({a}.1) + 1)) AS __p{k}), NULL, \
             arrayFold((__acc, __r) -> __acc + __r, arrayMap(__i -> ((({values}) AS __v{k})[__i] - __v{k}[__i - 1]) / {secs}, __p{k}), toFloat64(0)) / length(__p{k}))"
        ))
    }

    /// CONCURRENCY's or RATE_*'s partial aggregates per kept group and bucket (of `g` ms from
    /// `lo`, `n` of them): `(group key, bucket, [Σx·w, Σw, max, concurrency delta])`.
    async fn timed_cells<C: Client>(&self, client: &mut C, c: &Calculation, lo: i64, g: i64, n: u32) -> Result<Vec<(String, u32, [f64; 4])>> {
        let mut q = Sql::new();
        let w = self.weight_sql(&mut q).map_or("toFloat64(1)".to_string(), |w| format!("toFloat64({w})"));
        let mut gs = Vec::new();
        let mut cols = Vec::new();
        for (i, b) in self.spec.breakdowns.iter().enumerate() {
            let e = self.column(b)?.sql(&mut q);
            cols.push(format!("{e} AS __g{i}"));
            gs.push(e);
        }
        let names: Vec<String> = (0..gs.len()).map(|i| format!("__g{i}")).collect();
        let mut cond = self.where_sql(&mut q)?;
        if !gs.is_empty() {
            let kept = self.kept_sql(&mut q)?;
            let tuple = if gs.len() == 1 { gs[0].clone() } else { format!("({})", gs.join(", ")) };
            cond = format!("{cond} AND {tuple} IN ({kept})");
        }
        let (first, last, n_p) = self.timed_buckets(&mut q, c, (lo, g, n))?;
        let from = from(&mut q, self.backend);
        let group = names.iter().map(|n| format!("{n}, ")).collect::<String>();
        let sel = cols.iter().map(|c| format!("{c}, ")).collect::<String>();
        if let Some(last) = last {
            q.push(&format!(
                "SELECT {group}__b, sum(__w) FROM (SELECT {sel}{first} AS __b, {w} AS __w FROM {from} WHERE {cond} UNION ALL SELECT {sel}{last} + 1 AS __b, -{w} AS __w FROM {from} WHERE {cond} AND {last} + 1 < {n_p}) GROUP BY {group}__b"
            ));
        } else {
            let x = self.column(c.column.as_deref().unwrap_or(""))?.sql(&mut q);
            q.push(&format!(
                "SELECT {sel}{first} AS __b, sum(toFloat64({x}) * {w}), sum({w}), max(toFloat64({x})) FROM {from} WHERE {cond} AND isNotNull({x}) GROUP BY {group}__b"
            ));
        }
        let nb = gs.len();
        let mut out = Vec::new();
        for b in self.backend.fetch(client, &q).await? {
            for r in 0..b.num_rows() {
                let group: Vec<Value> = (0..nb).map(|i| value_at(b.column(i), r)).collect();
                let bucket = output_at(b.column(nb), r).as_f64().unwrap_or(0.0) as u32;
                let f = |i: usize| output_at(b.column(nb + 1 + i), r).as_f64().unwrap_or(0.0);
                let cell = if c.op == CalcOp::Concurrency { [0.0, 0.0, f64::NEG_INFINITY, f(0)] } else { [f(0), f(1), f(2), 0.0] };
                out.push((group_key(&group), bucket, cell));
            }
        }
        Ok(out)
    }
}

fn cmp_sql(op: FilterOp) -> Option<&'static str> {
    Some(match op {
        FilterOp::Eq => "=",
        FilterOp::Ne => "!=",
        FilterOp::Gt => ">",
        FilterOp::Ge => ">=",
        FilterOp::Lt => "<",
        FilterOp::Le => "<=",
        _ => return None,
    })
}

/// Row `r`'s outputs, one per calculation, read from the columns from `first` on (HEATMAP has
/// none there: null until its counts are filled in; CONCURRENCY and RATE_* are there in
/// `totals` only).
fn outputs(calcs: &[Calculation], b: &RecordBatch, r: usize, first: usize, totals: bool) -> Vec<Output> {
    let mut k = first;
    calcs
        .iter()
        .map(|c| {
            if !(in_sql(c.op) || totals && timed(c.op)) {
                return Output::Null;
            }
            k += 1;
            output_at(b.column(k - 1), r)
        })
        .collect()
}

/// Derived columns are computed by the local engine only (for now): a clear error, not SQL.
fn not_derived(spec: &QuerySpec) -> Result<()> {
    match spec.calculated_fields.first() {
        Some(f) => Err(Error::spec("calculated_fields[0]", format!("derived columns ({:?}) are not pushed down to ClickHouse yet: bring the matching events into the tab and use them there", f.name))),
        None => Ok(()),
    }
}

/// CONCURRENCY and RATE_*: made from partial aggregates per time bucket.
fn timed(op: CalcOp) -> bool {
    matches!(op, CalcOp::Concurrency | CalcOp::RateAvg | CalcOp::RateSum | CalcOp::RateMax)
}

/// Whether a calculation's output is a column of the totals and series answers.
fn in_sql(op: CalcOp) -> bool {
    op != CalcOp::Heatmap && !timed(op)
}

/// A group's breakdown values as one comparable key.
fn group_key(g: &[Value]) -> String {
    serde_json::to_string(&g.iter().map(Value::to_json).collect::<Vec<_>>()).unwrap_or_default()
}

fn first_int(batches: &[RecordBatch]) -> Option<i64> {
    let b = batches.iter().find(|b| b.num_rows() > 0)?;
    match output_at(b.column(0), 0) {
        Output::Int(i) => Some(i),
        Output::Float(f) => Some(f as i64),
        _ => None,
    }
}

/// A calculation's output from an answer's column.
pub(super) fn output_at(col: &ArrayRef, r: usize) -> Output {
    if col.is_null(r) {
        return Output::Null;
    }
    match col.data_type() {
        DataType::Int8 => Output::Int(col.as_primitive::<Int8Type>().value(r) as i64),
        DataType::Int16 => Output::Int(col.as_primitive::<Int16Type>().value(r) as i64),
        DataType::Int32 => Output::Int(col.as_primitive::<Int32Type>().value(r) as i64),
        DataType::Int64 => Output::Int(col.as_primitive::<Int64Type>().value(r)),
        DataType::UInt8 => Output::Int(col.as_primitive::<UInt8Type>().value(r) as i64),
        DataType::UInt16 => Output::Int(col.as_primitive::<UInt16Type>().value(r) as i64),
        DataType::UInt32 => Output::Int(col.as_primitive::<UInt32Type>().value(r) as i64),
        DataType::UInt64 => Output::Int(col.as_primitive::<UInt64Type>().value(r) as i64),
        DataType::Float32 => Output::Float(col.as_primitive::<Float32Type>().value(r) as f64),
        DataType::Float64 => Output::Float(col.as_primitive::<Float64Type>().value(r)),
        _ => Output::Null,
    }
}

/// A breakdown value from an answer's column.
pub(super) fn value_at(col: &ArrayRef, r: usize) -> Value {
    if col.is_null(r) {
        return Value::Null;
    }
    match col.data_type() {
        DataType::Utf8 => Value::Str(col.as_string::<i32>().value(r).to_string()),
        DataType::LargeUtf8 => Value::Str(col.as_string::<i64>().value(r).to_string()),
        DataType::Boolean => Value::Bool(col.as_boolean().value(r)),
        DataType::Binary => Value::Str(String::from_utf8_lossy(col.as_binary::<i32>().value(r)).into_owned()),
        _ => match output_at(col, r) {
            Output::Int(i) => Value::Int(i),
            Output::Float(f) => Value::Float(f),
            _ => Value::Null,
        },
    }
}

/// The `n` slowest traces for `spec` (and `within`, a selection or the trace search, ANDed): the
/// traces ranked in ClickHouse by their longest matching span, then every span of those traces
/// fetched (and nothing else) and summarised by the local engine, which ranks them as it would
/// the whole table.
pub async fn slowest<C: Client>(client: &mut C, backend: &Backend, table: &Table, spec: &QuerySpec, within: Option<&crate::bubbleup::Selection>, n: usize) -> Result<Vec<crate::trace::TraceSummary>> {
    not_derived(spec)?;
    let ds = table.dataset(SampleRate::Auto)?;
    let cols = crate::trace::SpanColumns::detect(&ds)?;
    let (dur, _) = cols.duration.clone().ok_or_else(|| Error::Data("no span duration column (duration_ms, durationNano…)".into()))?;
    let (tid, dur) = (table.column(&cols.trace_id).ok_or_else(|| Error::Data("no trace id column".into()))?, table.column(&dur).ok_or_else(|| Error::Data("no duration column".into()))?);
    // The range resolved here, so the local ranking over the fetched spans uses the same one.
    let mut spec = spec.clone();
    let time = ds.time_column().and_then(|n| table.column(n));
    if let Some((lo, hi)) = resolve_range(client, backend, &spec, time).await? {
        (spec.start_time, spec.end_time, spec.time_range) = (Some(lo / 1000), Some(hi / 1000), None);
    }
    let mut narrowed = spec.clone();
    if let Some(w) = within {
        narrowed.filters.extend(w.filters.iter().cloned());
        if narrowed.filter_combination == Combination::Or && !spec.filters.is_empty() && !w.filters.is_empty() {
            return Err(Error::spec("filter_combination", "the trace list on ClickHouse needs the query's filters ANDed when a selection narrows it"));
        }
        if let (Some(s), Some(e)) = (w.start_time, w.end_time) {
            (narrowed.start_time, narrowed.end_time) = (Some(s.max(spec.start_time.unwrap_or(s))), Some(e.min(spec.end_time.unwrap_or(e))));
        }
    }
    let mut ctx = Ctx { backend, table, spec: &narrowed, calcs: Vec::new(), weight: None, time, range: None };
    if time.is_some() {
        ctx.range = Some(crate::query::matching::range_at(&narrowed, 0));
    }
    let mut q = Sql::new();
    let (t, d) = (tid.sql(&mut q), dur.sql(&mut q));
    let w = ctx.where_sql(&mut q)?;
    let from = from(&mut q, backend);
    let lim = q.int(n as i64);
    q.push(&format!("SELECT {t} AS __id, max({d}) AS __d FROM {from} WHERE {w} AND isNotNull({t}) AND isNotNull({d}) GROUP BY __id ORDER BY __d DESC, __id ASC LIMIT {lim}"));
    let mut ids = Vec::new();
    for b in backend.fetch(client, &q).await? {
        ids.extend((0..b.num_rows()).filter_map(|r| match value_at(b.column(0), r) {
            Value::Str(s) => Some(s),
            _ => None,
        }));
    }
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let spans = crate::dataset::DataSet::from_batches(trace_spans(client, backend, table, &ids).await?)?;
    crate::trace::slowest(&spans, &spec, within, n)
}

/// Every span of traces `ids` (and nothing else), named and typed as offered.
pub async fn trace_spans<C: Client>(client: &mut C, backend: &Backend, table: &Table, ids: &[String]) -> Result<Vec<RecordBatch>> {
    let ds = table.dataset(SampleRate::Auto)?;
    let cols = crate::trace::SpanColumns::detect(&ds)?;
    let tid = table.column(&cols.trace_id).ok_or_else(|| Error::Data("no trace id column".into()))?;
    let mut q = Sql::new();
    let t = tid.sql(&mut q);
    let list: Vec<String> = ids.iter().map(|i| q.string(i)).collect();
    rows_where(client, backend, table, q, &format!("{t} IN ({})", list.join(", ")), None).await
}

/// BubbleUp for `selection` against the rest of what `spec` matches, on the store: ClickHouse
/// tallies each column (dimensions: weight per value among the query's rows and the selected
/// ones; measures: the range of their finite values, then weight per bucket), and the local
/// engine turns the tallies into the same report ([`crate::bubbleup::report`]), in the same
/// order. `only`: compare these columns only.
pub async fn bubbleup<C: Client>(client: &mut C, backend: &Backend, table: &Table, spec: &QuerySpec, selection: &crate::bubbleup::Selection, sample_rate: SampleRate, only: Option<&[String]>) -> Result<crate::bubbleup::BubbleUp> {
    not_derived(spec)?;
    use crate::bubbleup::{BubbleUp, Tally, DIMENSION_MAX_DISTINCT, MAX_DISTINCT, MEASURE_BUCKETS};
    let ds = table.dataset(sample_rate)?;
    // The local engine's checks of the query and the selection, on no rows.
    crate::bubbleup::run_on(&ds, spec, selection, only)?;
    let weight = ds.sample_rate_column().and_then(|n| table.column(n)).map(|c| (c, c.data_type == DataType::Int64));
    let time = ds.time_column().and_then(|n| table.column(n));
    let mut ctx = Ctx { backend, table, spec, calcs: Vec::new(), weight, time, range: None };
    ctx.range = resolve_range(client, backend, spec, time).await?;
    // The selection inside the query's rows: its time range and its filters, ANDed.
    let sel_sql = |q: &mut Sql| -> Result<String> {
        let mut parts = Vec::new();
        if let (Some(t), true) = (time, selection.start_time.is_some() || selection.end_time.is_some()) {
            let ms = t.time_ms(q).unwrap_or_default();
            if let Some(s) = selection.start_time {
                parts.push(format!("{ms} >= {}", q.int(s.saturating_mul(1000))));
            }
            if let Some(e) = selection.end_time {
                parts.push(format!("{ms} < {}", q.int(e.saturating_mul(1000))));
            }
        }
        for f in &selection.filters {
            parts.push(ctx.filter_sql(q, f)?);
        }
        Ok(if parts.is_empty() { "1".into() } else { format!("({})", parts.join(" AND ")) })
    };
    let sel_cols = selection.columns();
    let mut out = BubbleUp::default();
    let (mut dims, mut measures): (Vec<&Column>, Vec<&Column>) = (Vec::new(), Vec::new());
    for c in &table.columns {
        let kind = Kind::of(&c.data_type);
        if only.is_some_and(|o| !o.iter().any(|n| n == &c.name)) {
            continue;
        } else if Some(c.name.as_str()) == ds.time_column() {
            out.skipped.push((c.name.clone(), "the time column".into()));
        } else if sel_cols.contains(&c.name.as_str()) {
            out.skipped.push((c.name.clone(), "used by the selection".into()));
        } else if Some(c.name.as_str()) == ds.sample_rate_column() {
            out.skipped.push((c.name.clone(), "the sample rate".into()));
        } else if kind == Kind::Other {
            out.skipped.push((c.name.clone(), format!("nested or binary ({})", c.data_type)));
        } else if kind == Kind::Float {
            measures.push(c);
        } else {
            dims.push(c);
        }
    }
    let w_of = |q: &mut Sql| ctx.weight_sql(q).map_or("toFloat64(1)".to_string(), |w| format!("toFloat64({w})"));

    // The populations.
    let mut q = Sql::new();
    let (w, s, cond) = (w_of(&mut q), sel_sql(&mut q)?, ctx.where_sql(&mut q)?);
    let from_t = from(&mut q, backend);
    q.push(&format!("SELECT sum({w}), sumIf({w}, {s}) FROM {from_t} WHERE {cond}"));
    let b = backend.fetch(client, &q).await?;
    let (all, sel) = b.iter().find(|b| b.num_rows() > 0).map_or((0.0, 0.0), |b| (output_at(b.column(0), 0).as_f64().unwrap_or(0.0), output_at(b.column(1), 0).as_f64().unwrap_or(0.0)));
    out.selection_count = sel;
    out.baseline_count = all - sel;

    // Dimensions: weight per value (as text, read back by type), at most MAX_DISTINCT + 2 rows
    // each (the values past MAX_DISTINCT, and null).
    let mut tallies: Vec<(String, Tally)> = Vec::new();
    let mut values: Vec<Vec<(Json, f64, f64)>> = vec![Vec::new(); dims.len()];
    if !dims.is_empty() {
        let mut q = Sql::new();
        let (w, s, cond) = (w_of(&mut q), sel_sql(&mut q)?, ctx.where_sql(&mut q)?);
        let from_t = from(&mut q, backend);
        let cap = q.int(MAX_DISTINCT as i64 + 2);
        let parts: Vec<String> = dims
            .iter()
            .enumerate()
            .map(|(i, c)| {
                let x = c.sql(&mut q);
                format!("SELECT toUInt32({i}) AS __col, toString({x}) AS __v, sum({w}) AS __a, sumIf({w}, {s}) AS __s FROM {from_t} WHERE {cond} GROUP BY __v ORDER BY __v LIMIT {cap}")
            })
            .collect();
        q.push(&parts.iter().map(|p| format!("SELECT * FROM ({p})")).collect::<Vec<_>>().join(" UNION ALL "));
        for b in backend.fetch(client, &q).await? {
            for r in 0..b.num_rows() {
                let i = output_at(b.column(0), r).as_f64().unwrap_or(0.0) as usize;
                let Some(c) = dims.get(i) else { continue };
                let v = match value_at(b.column(1), r) {
                    Value::Str(t) => match Kind::of(&c.data_type) {
                        Kind::Int => t.parse::<i64>().map_or(Json::String(t.clone()), Json::from),
                        Kind::Bool => Json::Bool(t == "true"),
                        _ => Json::String(t),
                    },
                    _ => Json::Null,
                };
                let (a, s) = (output_at(b.column(2), r).as_f64().unwrap_or(0.0), output_at(b.column(3), r).as_f64().unwrap_or(0.0));
                if a > 0.0 {
                    values[i].push((v, a, s));
                }
            }
        }
        // The tab lists null first (its code 0), then the values.
        for v in &mut values {
            v.sort_by_key(|(x, _, _)| !x.is_null());
        }
    }
    let mut int_measures: Vec<&Column> = Vec::new();
    for (c, vals) in dims.iter().zip(values) {
        let distinct = vals.iter().filter(|(v, _, _)| !v.is_null()).count();
        if Kind::of(&c.data_type) == Kind::Int && distinct > DIMENSION_MAX_DISTINCT {
            // Integers with many values are measures after all.
            int_measures.push(c);
        } else if distinct > MAX_DISTINCT {
            tallies.push((c.name.clone(), Tally::Overflow));
        } else {
            tallies.push((c.name.clone(), Tally::Values(vals)));
        }
    }

    // Measures: the range of their finite values, then weight per bucket.
    let measures: Vec<&Column> = measures.into_iter().chain(int_measures).collect();
    if !measures.is_empty() {
        let mut q = Sql::new();
        let cond = ctx.where_sql(&mut q)?;
        let from_t = from(&mut q, backend);
        let cols: Vec<String> = measures
            .iter()
            .map(|c| {
                let x = c.sql(&mut q);
                format!("min(if(isFinite(toFloat64({x})), toFloat64({x}), NULL)), max(if(isFinite(toFloat64({x})), toFloat64({x}), NULL))")
            })
            .collect();
        q.push(&format!("SELECT {} FROM {from_t} WHERE {cond}", cols.join(", ")));
        let b = backend.fetch(client, &q).await?;
        let row = b.iter().find(|b| b.num_rows() > 0);
        let ranges: Vec<(f64, f64)> = (0..measures.len())
            .map(|i| {
                let at = |k: usize| row.and_then(|b| output_at(b.column(k), 0).as_f64());
                (at(2 * i).unwrap_or(f64::INFINITY), at(2 * i + 1).unwrap_or(f64::NEG_INFINITY))
            })
            .collect();
        let mut q = Sql::new();
        let (w, s, cond) = (w_of(&mut q), sel_sql(&mut q)?, ctx.where_sql(&mut q)?);
        let from_t = from(&mut q, backend);
        let nulls = q.int(MEASURE_BUCKETS as i64);
        let parts: Vec<String> = measures
            .iter()
            .zip(&ranges)
            .enumerate()
            .map(|(i, (c, (lo, hi)))| {
                let x = c.sql(&mut q);
                let width = (hi - lo) / MEASURE_BUCKETS as f64;
                // As the tab buckets: null and non-finite last; truncation is floor (the range
                // came from these rows).
                let slot = if width > 0.0 {
                    let (lo, width, top) = (q.float(*lo), q.float(width), q.int(MEASURE_BUCKETS as i64 - 1));
                    format!("multiIf(isNull({x}) OR NOT isFinite(toFloat64({x})), toUInt64({nulls}), least(toUInt64(greatest((toFloat64({x}) - {lo}) / {width}, 0)), toUInt64({top})))")
                } else {
                    format!("if(isNull({x}) OR NOT isFinite(toFloat64({x})), toUInt64({nulls}), toUInt64(0))")
                };
                format!("SELECT toUInt32({i}) AS __col, {slot} AS __b, sum({w}) AS __a, sumIf({w}, {s}) AS __s FROM {from_t} WHERE {cond} GROUP BY __b")
            })
            .collect();
        q.push(&parts.iter().map(|p| format!("SELECT * FROM ({p})")).collect::<Vec<_>>().join(" UNION ALL "));
        let mut buckets: Vec<(Vec<f64>, Vec<f64>)> = vec![(vec![0.0; MEASURE_BUCKETS + 1], vec![0.0; MEASURE_BUCKETS + 1]); measures.len()];
        for b in backend.fetch(client, &q).await? {
            for r in 0..b.num_rows() {
                let i = output_at(b.column(0), r).as_f64().unwrap_or(0.0) as usize;
                let k = (output_at(b.column(1), r).as_f64().unwrap_or(0.0) as usize).min(MEASURE_BUCKETS);
                if let Some((a, s)) = buckets.get_mut(i) {
                    a[k] += output_at(b.column(2), r).as_f64().unwrap_or(0.0);
                    s[k] += output_at(b.column(3), r).as_f64().unwrap_or(0.0);
                }
            }
        }
        for ((c, (lo, hi)), (a, s)) in measures.iter().zip(ranges).zip(buckets) {
            tallies.push((c.name.clone(), Tally::Buckets { min: lo, max: hi, all: a, sel: s }));
        }
    }
    // The tab reports columns in schema order before ranking; ranking is by score, then name.
    Ok(crate::bubbleup::report(out, tallies))
}
