//! Query execution: time range → filters → group by → aggregate → havings → order → limit, then a
//! second pass over the kept groups for the time series.

use std::cmp::Ordering;

use super::aggregate::{Distinct, Input, Moments, Output, Rows, Timed, TimedKind, Values};
use super::breakdown::Grouper;
use super::column::{numeric, Kind};
use super::heat_pass::heat_pass;
use super::heatmap::{HeatCounts, HeatRange, Layout, Scale};
use super::order::{cmp_outputs, sort_keys, top_by_first_key, SortKey};
use super::time_bucket::TimeBuckets;
use super::selection::Selection;
use super::result::{QueryResult, ResultRow, SeriesPoint};
use super::matching::resolve_range;
use super::spec::{auto_granularity, CalcOp, Calculation, QuerySpec};
use crate::dataset::DataSet;
use crate::error::{Error, Result};
use crate::pace::{self, Every, Pace, Step};

/// Names tried, in order, for the span duration column (milliseconds) that CONCURRENCY uses.
pub const DURATION_COLUMN_NAMES: [&str; 3] = ["duration_ms", "durationMs", "duration"];

/// Most cells (kept groups × time buckets) a series may have.
pub const MAX_SERIES_CELLS: usize = 4_000_000;

/// How a calculation reads its accumulator.
#[derive(Clone, Copy)]
enum Reader {
    Count,
    Sum(usize),
    Avg(usize),
    Min(usize),
    Max(usize),
    Distinct(usize),
    Percentile(usize, f64),
    Heatmap(usize),
    /// HEATMAP of a column no percentile reads: counted straight into buckets (see [`heat_pass`]).
    Heat(usize),
    Timed(usize),
}

/// The accumulators one pass feeds.
struct Accumulators {
    rows: Rows,
    moments: Vec<Moments>,
    distinct: Vec<Distinct>,
    values: Vec<Values>,
}

impl Accumulators {
    fn like(other: &Accumulators, weighted: bool) -> Self {
        Accumulators {
            rows: Rows::default(),
            moments: other.moments.iter().map(|m| Moments::new(m.column, m_kind(m))).collect(),
            distinct: other.distinct.iter().map(|d| Distinct::new(d.column, d.cached.clone())).collect(),
            values: other.values.iter().map(|v| Values::new(v.column, weighted)).collect(),
        }
    }

    fn update(&mut self, n: usize, input: &Input) {
        self.rows.update(n, input);
        for m in &mut self.moments {
            m.update(n, input);
        }
        for d in &mut self.distinct {
            d.update(n, input);
        }
        for v in &mut self.values {
            v.update(n, input);
        }
    }
}

fn m_kind(m: &Moments) -> Kind {
    m.kind()
}

struct Plan {
    calcs: Vec<Calculation>,
    readers: Vec<Reader>,
    accs: Accumulators,
    timed: Vec<Timed>,
    heat: Vec<HeatRange>,
    weighted: bool,
    integral_weights: bool,
}

fn find_or_push<T>(list: &mut Vec<T>, matches: impl Fn(&T) -> bool, make: impl FnOnce() -> T) -> usize {
    match list.iter().position(matches) {
        Some(i) => i,
        None => {
            list.push(make());
            list.len() - 1
        }
    }
}

/// How many `gms`-long buckets cover `[lo, hi)`, at least one; counted in i128, so no range
/// overflows (a range as wide as i64 gives more buckets than any series may have, an error).
fn bucket_count(lo: i64, hi: i64, gms: i64) -> usize {
    let (span, step) = (hi as i128 - lo as i128, gms.max(1) as i128);
    usize::try_from(((span + step - 1) / step).max(1)).unwrap_or(usize::MAX)
}

fn plan(ds: &DataSet, spec: &QuerySpec, range: Option<(i64, i64)>, bucket_s: Option<i64>) -> Result<Plan> {
    let schema = ds.schema();
    let calcs = spec.effective_calculations();
    let sample = ds.sample_rate_column().map(str::to_string);
    let weighted = sample.is_some();
    let integral_weights = match &sample {
        None => true,
        Some(c) => schema.field_with_name(c).map(|f| Kind::of(f.data_type()) == Kind::Int).unwrap_or(false),
    };
    let mut accs = Accumulators { rows: Rows::default(), moments: Vec::new(), distinct: Vec::new(), values: Vec::new() };
    let mut timed: Vec<Timed> = Vec::new();
    let mut heat: Vec<HeatRange> = Vec::new();
    let mut readers = Vec::new();
    for (i, c) in calcs.iter().enumerate() {
        if calcs[..i].contains(c) {
            return Err(Error::spec(format!("calculations[{i}]"), format!("{} is listed twice", c.key())));
        }
        let field = format!("calculations[{i}].column");
        let column = match &c.column {
            None => None,
            Some(name) => {
                let idx = schema.index_of(name).map_err(|_| Error::spec(&field, format!("no column named {name:?}")))?;
                let kind = Kind::of(schema.field(idx).data_type());
                if c.op.needs_numeric() && !kind.is_numeric() {
                    return Err(Error::spec(&field, format!("{} needs a numeric column; {name:?} is {}", c.op.name(), kind.name())));
                }
                Some((idx, kind))
            }
        };
        let timed_params = |what: &str| -> Result<(i64, i64, u32)> {
            let (lo, hi) = range.ok_or_else(|| Error::spec(format!("calculations[{i}].op"), format!("{what} needs a time column")))?;
            let g = bucket_s.unwrap_or(1) * 1000;
            Ok((lo, g, ((hi - lo + g - 1) / g) as u32))
        };
        let reader = match c.op {
            CalcOp::Count => Reader::Count,
            CalcOp::Sum | CalcOp::Avg | CalcOp::Min | CalcOp::Max => {
                let (idx, kind) = column.expect("checked: takes a column");
                let m = find_or_push(&mut accs.moments, |m| m.column == idx, || Moments::new(idx, kind));
                match c.op {
                    CalcOp::Sum => Reader::Sum(m),
                    CalcOp::Avg => Reader::Avg(m),
                    CalcOp::Min => Reader::Min(m),
                    _ => Reader::Max(m),
                }
            }
            CalcOp::CountDistinct => {
                let (idx, _) = column.expect("checked: takes a column");
                Reader::Distinct(find_or_push(&mut accs.distinct, |d| d.column == idx, || Distinct::new(idx, ds.string_codes(idx).cloned())))
            }
            CalcOp::Heatmap => {
                let (idx, _) = column.expect("checked: takes a column");
                // A column whose values are kept anyway (for a percentile) buckets them; otherwise
                // only its range is found in pass 1 and the rows are bucketed once afterwards.
                if calcs.iter().any(|o| o.op.quantile().is_some() && o.column == c.column) {
                    Reader::Heatmap(find_or_push(&mut accs.values, |v| v.column == idx, || Values::new(idx, weighted)))
                } else {
                    Reader::Heat(find_or_push(&mut heat, |h| h.column == idx, || HeatRange::new(idx)))
                }
            }
            op if op.quantile().is_some() => {
                let (idx, _) = column.expect("checked: takes a column");
                let v = find_or_push(&mut accs.values, |v| v.column == idx, || Values::new(idx, weighted));
                Reader::Percentile(v, op.quantile().unwrap_or(0.5))
            }
            CalcOp::Concurrency => {
                let dur = DURATION_COLUMN_NAMES
                    .iter()
                    .find_map(|n| schema.index_of(n).ok().filter(|i| Kind::of(schema.field(*i).data_type()).is_numeric()))
                    .ok_or_else(|| {
                        Error::spec(format!("calculations[{i}].op"), format!("CONCURRENCY needs a span duration column ({})", DURATION_COLUMN_NAMES.join(", ")))
                    })?;
                let (lo, g, n) = timed_params("CONCURRENCY")?;
                timed.push(Timed::new(Some(dur), TimedKind::Concurrency, lo, g, n));
                Reader::Timed(timed.len() - 1)
            }
            op => {
                let (idx, _) = column.expect("checked: takes a column");
                let kind = match op {
                    CalcOp::RateAvg => TimedKind::RateAvg,
                    CalcOp::RateSum => TimedKind::RateSum,
                    _ => TimedKind::RateMax,
                };
                let (lo, g, n) = timed_params(op.name())?;
                timed.push(Timed::new(Some(idx), kind, lo, g, n));
                Reader::Timed(timed.len() - 1)
            }
        };
        readers.push(reader);
    }
    Ok(Plan { calcs, readers, accs, timed, heat, weighted, integral_weights })
}

/// Pass 1 over the batches: a query's state for one batch at a time ([`Scan::batch`]).
struct Scan<'a> {
    ds: &'a DataSet,
    matching: &'a super::matching::Matching,
    range: Option<(i64, i64)>,
    /// Bucket width for CONCURRENCY / RATE_* (s).
    bucket_s: Option<i64>,
    /// The series' `(lo, bucket ms, buckets)`.
    series_shape: Option<(i64, i64, usize)>,
    gids: Vec<u32>,
    buckets: Vec<u32>,
    slots: Vec<u32>,
}

impl Scan<'_> {
    /// Batch `bi`'s matching rows into the plan's accumulators (and, with `fused` cells, into
    /// the series cells of the one group); the batch's rows and group ids when a later pass
    /// visits them again (a series not fused, or HEATMAP's buckets).
    ///
    /// Out of line on purpose: the per-row loops of a query live in functions called once per
    /// batch, not in the query's async state machine (called once per query). A browser runs
    /// new wasm code in a baseline tier and optimizes a function once it has run for a while,
    /// taking effect at its next call; a function called per batch is optimized within the
    /// first query, the huge state machine only after several queries (then ~65 ms of compile).
    #[inline(never)]
    fn batch(&mut self, bi: usize, plan: &mut Plan, grouper: &mut Grouper, fused: Option<&mut Accumulators>, result: &mut QueryResult) -> Option<(usize, Vec<u32>, Vec<u32>)> {
        let ds = self.ds;
        let batch = &ds.batches()[bi];
        let times = ds.times(bi);
        let (sel, in_range) = self.matching.rows(ds, bi);
        result.rows_in_range += in_range as u64;
        result.rows_matched += sel.len() as u64;
        if sel.is_empty() {
            return None;
        }
        grouper.assign(bi, batch, &sel, &mut self.gids);
        let weights = if plan.weighted { ds.weights(bi) } else { None };
        let tvals = times.map(|t| t.values().as_ref());
        self.buckets.clear();
        if !plan.timed.is_empty() {
            if let (Some(t), Some((lo, _)), Some(g)) = (tvals, self.range, self.bucket_s) {
                TimeBuckets::new(lo, g * 1000).fill(t, &sel, &mut self.buckets);
            }
        }
        let input = Input { bi, batch, rows: &sel, slots: &self.gids, weights, buckets: &self.buckets, times: tvals };
        plan.accs.update(grouper.len(), &input);
        for t in &mut plan.timed {
            t.update(&input);
        }
        for h in &mut plan.heat {
            if let Some(nc) = numeric(batch.column(h.column)) {
                h.update(&nc, &sel);
            }
        }
        let fused = match (fused, self.series_shape, tvals) {
            (Some(cells), Some((lo, gms, nb)), Some(t)) => {
                self.slots.clear();
                TimeBuckets::new(lo, gms).fill(t, &sel, &mut self.slots);
                let input = Input { bi, batch, rows: &sel, slots: &self.slots, weights, buckets: &[], times: None };
                cells.update(nb, &input);
                true
            }
            _ => false,
        };
        // The series pass (unless fused) and HEATMAP's bucketing visit the rows again.
        // (A granularity without a time range was refused before: a series has a shape.)
        ((!fused && self.series_shape.is_some()) || !plan.heat.is_empty()).then(|| (bi, sel, std::mem::take(&mut self.gids)))
    }
}

/// The rows of kept groups (`pos[gid]` is a kept position) into `rows`, each with its series
/// cell (kept position × `nb` + time bucket) into `cells`. Out of line (see [`Scan::batch`]).
#[inline(never)]
#[allow(clippy::too_many_arguments)]
fn kept_cells(sel: &[u32], gids: &[u32], pos: &[u32], nb: usize, t: &[i64], when: &mut super::time_bucket::Cursor, rows: &mut Vec<u32>, cells: &mut Vec<u32>) {
    rows.clear();
    cells.clear();
    for (&r, &gid) in sel.iter().zip(gids) {
        let p = pos[gid as usize];
        if p != u32::MAX {
            rows.push(r);
            cells.push(p * nb as u32 + when.at(t[r as usize]));
        }
    }
}

fn read(plan: &Plan, accs: &Accumulators, reader: Reader, slot: usize, heat: &[Layout]) -> Output {
    match reader {
        Reader::Count => accs.rows.count(slot, plan.weighted, plan.integral_weights),
        Reader::Sum(m) => accs.moments[m].sum(slot, plan.integral_weights),
        Reader::Avg(m) => accs.moments[m].avg(slot),
        Reader::Min(m) => accs.moments[m].min(slot),
        Reader::Max(m) => accs.moments[m].max(slot),
        Reader::Distinct(d) => accs.distinct[d].count(slot),
        Reader::Percentile(v, p) => accs.values[v].percentile(slot, p),
        Reader::Heatmap(v) => accs.values[v].histogram(slot, heat[v]),
        // Filled in for the kept groups by `heat_pass`.
        Reader::Heat(_) => Output::Null,
        Reader::Timed(t) => plan.timed[t].total(slot as u32),
    }
}

/// How to run a query, beyond its spec: choices of the view, not of the question.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RunOptions {
    /// HEATMAP's value axis (see [`super::heatmap`]).
    pub heatmap_scale: Scale,
    /// Only the query's events inside this selection (its time range and filters ANDed with the
    /// query's); the result keeps the query's time range and buckets.
    pub within: Option<Selection>,
}

/// Run `spec` on `ds`.
pub fn run(ds: &DataSet, spec: &QuerySpec) -> Result<QueryResult> {
    run_with(ds, spec, &RunOptions::default())
}

/// Run `spec` on `ds` with view options.
pub fn run_with(ds: &DataSet, spec: &QuerySpec, opts: &RunOptions) -> Result<QueryResult> {
    pace::finish(run_paced(ds, spec, opts, &mut Pace::unpaced()))
}

/// Finishing groups (or series cells) ticks the pace once their rows, counting each group as
/// [`GROUP_COST`] rows more, reach this: every 64 tiny groups, or before any group of 65,536 rows.
const TICK_COST: u64 = 65_536;
const GROUP_COST: u64 = 1024;

/// [`run_with`], ticking `pace` between steps: after each batch of a pass, by cost while groups
/// and series cells are finished (see [`TICK_COST`]), per partition round or merge of a large
/// slot's percentiles, and while a string column is encoded for the first time. Same result.
pub async fn run_paced(ds: &DataSet, spec: &QuerySpec, opts: &RunOptions, pace: &mut Pace<'_>) -> Result<QueryResult> {
    // Derived columns: computed for this query, beside the data set's own.
    let mut derived = None;
    let ds = crate::derive::for_spec(ds, spec, &mut derived)?;
    let range = resolve_range(ds, spec);
    if spec.granularity.is_some() && range.is_none() {
        return Err(Error::spec("granularity", "the data has no time column"));
    }
    let span_s = range.map(|(a, b)| (b - a) / 1000);
    // Buckets for the series, and for CONCURRENCY / RATE_* (auto when no granularity is set).
    let bucket_s = spec.granularity.or(span_s.map(auto_granularity));
    // String columns read as codes (GROUP BY, COUNT_DISTINCT) are encoded on first use: a step
    // at a time here, before the plan and the grouper ask for them.
    for name in spec.breakdowns.iter().chain(spec.effective_calculations().iter().filter(|c| c.op == CalcOp::CountDistinct).filter_map(|c| c.column.as_ref())) {
        if let Some(col) = ds.column_index(name) {
            ds.string_codes_paced(col, pace).await?;
        }
    }
    let mut plan = plan(ds, spec, range, bucket_s)?;
    let matching = super::matching::Matching::new(ds, spec, opts.within.as_ref())?;
    let mut grouper = Grouper::new(&spec.breakdowns, ds)?;

    let mut result = QueryResult {
        breakdowns: spec.breakdowns.clone(),
        keys: plan.calcs.iter().map(Calculation::key).collect(),
        range_ms: range,
        granularity: spec.granularity,
        sample_rate_column: ds.sample_rate_column().map(str::to_string),
        ..Default::default()
    };

    // Pass 1: totals per group. Keep each batch's selection and group ids for the series pass,
    // or, with no breakdowns (one group, kept unless a having drops it), fill the series cells
    // in this same pass.
    let mut kept_batches: Vec<(usize, Vec<u32>, Vec<u32>)> = Vec::new();
    let series_shape = match (spec.granularity, range) {
        (Some(g), Some((lo, hi))) => {
            let gms = g.saturating_mul(1000);
            Some((lo, gms, bucket_count(lo, hi, gms)))
        }
        _ => None,
    };
    // Only HEATMAPs: their pass counts the series' rows per cell too, so no series cells here.
    let heat_only = plan.readers.iter().all(|r| matches!(r, Reader::Heat(_))) && plan.timed.is_empty();
    let mut fused_cells = match series_shape {
        Some((_, _, nb)) if spec.breakdowns.is_empty() && nb <= MAX_SERIES_CELLS && !heat_only => Some(Accumulators::like(&plan.accs, plan.weighted)),
        _ => None,
    };
    let mut scan = Scan { ds, matching: &matching, range, bucket_s, series_shape, gids: Vec::new(), buckets: Vec::new(), slots: Vec::new() };
    let (mut scanned, total_rows) = (0u64, ds.num_rows() as u64);
    for bi in 0..ds.batches().len() {
        pace.tick(Step { stage: "scanning events", done: scanned, total: total_rows }).await?;
        scanned += ds.batches()[bi].num_rows() as u64;
        if let Some(kept) = scan.batch(bi, &mut plan, &mut grouper, fused_cells.as_mut(), &mut result) {
            kept_batches.push(kept);
        }
    }

    // Totals for every group that has rows.
    let heat: Vec<Layout> = plan.accs.values.iter().map(|v| Layout::new(v.min, v.max, opts.heatmap_scale)).collect();
    let n_groups = grouper.len();
    let has_percentiles = plan.readers.iter().any(|r| matches!(r, Reader::Percentile(..)));
    // A column read only by percentiles (no HEATMAP) needs only selections of the values they read.
    let only: Vec<Option<Vec<f64>>> = (0..plan.accs.values.len())
        .map(|vi| {
            let users: Vec<&Reader> = plan.readers.iter().filter(|r| matches!(r, Reader::Percentile(v, _) | Reader::Heatmap(v) if *v == vi)).collect();
            users.iter().map(|r| match r {
                Reader::Percentile(_, p) => Some(*p),
                _ => None,
            }).collect()
        })
        .collect();
    // Outputs for every group that has rows, in one flat list (`nc` per group); breakdown values
    // are only copied for the groups kept after the limit.
    let nc = plan.readers.len();
    let mut groups: Vec<u32> = Vec::new();
    let mut outs: Vec<Output> = Vec::new();
    let mut accs = std::mem::replace(&mut plan.accs, Accumulators { rows: Rows::default(), moments: vec![], distinct: vec![], values: vec![] });
    // Sized once: grown by doubling, the lists would touch (and in wasm, copy) twice the memory,
    // and memory a tab has not touched before costs a page fault per 4 kB on a first query.
    let filled = accs.rows.rows.iter().filter(|n| **n > 0).count();
    groups.reserve_exact(filled);
    outs.reserve_exact(filled * nc);
    let mut every = Every::new(TICK_COST);
    for g in 0..n_groups {
        let n = accs.rows.rows.get(g).copied().unwrap_or(0);
        if every.add(GROUP_COST + n as u64) {
            pace.tick(Step { stage: "finishing groups", done: g as u64, total: n_groups as u64 }).await?;
        }
        if n == 0 {
            continue;
        }
        if has_percentiles {
            for (vi, v) in accs.values.iter_mut().enumerate() {
                v.prepare_slot_paced(g, only[vi].as_deref(), pace).await?;
            }
        }
        outs.extend(plan.readers.iter().map(|r| read(&plan, &accs, *r, g, &heat)));
        groups.push(g as u32);
    }
    // Positions into `outs`, paired with group ids.
    let mut rows: Vec<(u32, u32)> = groups.iter().enumerate().map(|(p, g)| (*g, p as u32)).collect();

    // Havings (on totals; a null never matches).
    for h in &spec.havings {
        let c = Calculation { op: h.calculate_op, column: h.column.clone() };
        let Some(ci) = plan.calcs.iter().position(|x| *x == c) else { continue };
        rows.retain(|(_, p)| outs[*p as usize * nc + ci].as_f64().is_some_and(|x| h.op.test(x, h.value)));
    }

    // Order, then limit: the top `limit` are selected first, so only they are sorted.
    let keys = sort_keys(spec, &plan.calcs);
    let cmp = |(ga, pa): &(u32, u32), (gb, pb): &(u32, u32)| {
        for k in &keys {
            let o = match k {
                SortKey::Calc(i, desc) => cmp_outputs(&outs[*pa as usize * nc + i], &outs[*pb as usize * nc + i], *desc),
                SortKey::Breakdown(i, desc) => grouper.cmp(*ga, *gb, *i, *desc),
            };
            if o != Ordering::Equal {
                return o;
            }
        }
        Ordering::Equal
    };
    let limit = spec.limit();
    if rows.len() > limit && limit > 0 {
        match keys.first() {
            Some(SortKey::Calc(i, desc)) => top_by_first_key(&mut rows, limit, |p| outs[p as usize * nc + i].as_f64(), *desc, cmp),
            _ => {
                rows.select_nth_unstable_by(limit - 1, cmp);
                rows.truncate(limit);
            }
        }
    }
    rows.sort_by(cmp);
    rows.truncate(limit);
    let mut rows: Vec<(u32, ResultRow)> = rows
        .into_iter()
        .map(|(g, p)| (g, ResultRow { group: grouper.values(g), values: outs[p as usize * nc..(p as usize + 1) * nc].to_vec() }))
        .collect();

    // HEATMAP counts for the kept groups (totals, and series cells when there is a series).
    let mut heat_rows: Option<Vec<u64>> = None;
    let heat_cells: Vec<Option<HeatCounts>> = if plan.heat.is_empty() {
        Vec::new()
    } else {
        let mut pos = vec![u32::MAX; n_groups];
        for (p, (gid, _)) in rows.iter().enumerate() {
            pos[*gid as usize] = p as u32;
        }
        let mut all = Vec::new();
        for (hi, h) in plan.heat.iter().enumerate() {
            let layout = Layout::new(h.min, h.max, opts.heatmap_scale);
            // A series over the cell limit is refused below: no cells for it here.
            let series = series_shape.filter(|(_, _, nb)| rows.len().saturating_mul(*nb) <= MAX_SERIES_CELLS);
            let (totals, cells, cell_rows) = heat_pass(pace, ds, plan.weighted, h.column, layout, &kept_batches, &pos, rows.len(), series).await?;
            if series.is_some() && heat_rows.is_none() {
                heat_rows = Some(cell_rows);
            }
            for (ci, r) in plan.readers.iter().enumerate() {
                if matches!(r, Reader::Heat(x) if *x == hi) {
                    for (p, (_, row)) in rows.iter_mut().enumerate() {
                        row.values[ci] = totals.histogram(p).map_or(Output::Null, Output::heatmap);
                    }
                }
            }
            all.push(cells);
        }
        all
    };

    // Pass 2: the series for the kept groups, in dense (kept position × bucket) cells.
    if let (Some(g), Some((lo, hi))) = (spec.granularity, range) {
        let gms = g.saturating_mul(1000);
        let nb = bucket_count(lo, hi, gms);
        if rows.len().saturating_mul(nb) > MAX_SERIES_CELLS {
            return Err(Error::spec(
                "granularity",
                format!("{g} s gives {nb} buckets × {} groups, more than {MAX_SERIES_CELLS} cells: use a coarser granularity", rows.len()),
            ));
        }
        let mut pos = vec![u32::MAX; n_groups];
        for (p, (gid, _)) in rows.iter().enumerate() {
            pos[*gid as usize] = p as u32;
        }
        let n_cells = rows.len() * nb;
        let mut cells = match (fused_cells.take(), heat_rows.filter(|_| heat_only)) {
            (Some(c), _) => c,
            (None, Some(rows)) => Accumulators { rows: Rows { weight: Vec::new(), rows }, moments: vec![], distinct: vec![], values: vec![] },
            (None, None) => {
                let mut cells = Accumulators::like(&accs, plan.weighted);
                let mut when = TimeBuckets::new(lo, gms).cursor();
                let (mut r2, mut s2) = (Vec::new(), Vec::new());
                for (i, (bi, sel, gids)) in kept_batches.iter().enumerate() {
                    pace.tick(Step { stage: "filling the series", done: i as u64, total: kept_batches.len() as u64 }).await?;
                    let batch = &ds.batches()[*bi];
                    let Some(times) = ds.times(*bi) else { continue };
                    let t = times.values();
                    kept_cells(sel, gids, &pos, nb, t, &mut when, &mut r2, &mut s2);
                    let weights = if plan.weighted { ds.weights(*bi) } else { None };
                    let input = Input { bi: *bi, batch, rows: &r2, slots: &s2, weights, buckets: &[], times: None };
                    cells.update(n_cells, &input);
                }
                cells
            }
        };
        let timed_series: Vec<Vec<hashbrown::HashMap<u32, f64>>> = plan
            .timed
            .iter()
            .map(|t| rows.iter().map(|(gid, _)| t.series(*gid).into_iter().collect()).collect())
            .collect();
        let mut every = Every::new(TICK_COST);
        for b in 0..nb {
            for (p, _) in rows.iter().enumerate() {
                let cell = p * nb + b;
                let n = cells.rows.rows.get(cell).copied().unwrap_or(0);
                if every.add(GROUP_COST + n as u64) {
                    pace.tick(Step { stage: "finishing the series", done: (b * rows.len() + p) as u64, total: n_cells as u64 }).await?;
                }
                if n == 0 {
                    continue;
                }
                if has_percentiles {
                    for (vi, v) in cells.values.iter_mut().enumerate() {
                        v.prepare_slot_paced(cell, only[vi].as_deref(), pace).await?;
                    }
                }
                let values = plan
                    .readers
                    .iter()
                    .map(|r| match r {
                        Reader::Timed(t) => timed_series[*t][p].get(&(b as u32)).map_or(Output::Null, |v| Output::Float(*v)),
                        Reader::Heat(h) => heat_cells[*h].as_ref().and_then(|c| c.histogram(cell)).map_or(Output::Null, Output::heatmap),
                        r => read(&plan, &cells, *r, cell, &heat),
                    })
                    .collect();
                result.series.push(SeriesPoint { time_ms: lo + b as i64 * gms, row: p, values });
            }
        }
    }
    result.results = rows.into_iter().map(|(_, r)| r).collect();
    Ok(result)
}
