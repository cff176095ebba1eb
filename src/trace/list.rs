//! The trace list: the slowest traces among a query's events.
//!
//! A trace ranks by its longest matching span (MAX of the duration over the query's rows, as a
//! GROUP BY trace id would give), longest first. That order is found without grouping: the
//! matching spans are taken longest first and each trace is listed where its first span comes,
//! which is at its longest one. Only the top of the spans is ever sorted, and no trace id is
//! encoded, so listing costs one pass over the durations even with a million spans.

use arrow_array::Array;
use hashbrown::HashSet;

use super::{SpanColumns, Trace};
use crate::dataset::DataSet;
use crate::error::{Error, Result};
use crate::query::column::{numeric, strings};
use crate::query::matching::Matching;
use crate::query::selection::Selection;

/// One line of a trace list.
#[derive(Debug, Clone, PartialEq)]
pub struct TraceSummary {
    pub trace_id: String,
    pub root_name: String,
    pub root_service: String,
    pub duration_ms: f64,
    pub spans: usize,
    pub errors: usize,
    pub start_ms: f64,
}

/// The `limit` slowest traces with a span matching `spec` (its time range and filters) and, when
/// given, inside `within` (a heatmap box, a brushed time range, a results row): traces ranked by
/// their longest matching span (ties: the span that comes first in the data), then assembled
/// for their summary.
pub fn slowest(ds: &DataSet, spec: &crate::QuerySpec, within: Option<&Selection>, limit: usize) -> Result<Vec<TraceSummary>> {
    crate::pace::finish(slowest_paced(ds, spec, within, limit, &mut crate::pace::Pace::unpaced()))
}

/// [`slowest`], ticking `pace` after each batch (the spans, then the listed traces' rows).
pub async fn slowest_paced(ds: &DataSet, spec: &crate::QuerySpec, within: Option<&Selection>, limit: usize, pace: &mut crate::pace::Pace<'_>) -> Result<Vec<TraceSummary>> {
    let mut derived = None;
    let ds = crate::derive::for_spec(ds, spec, &mut derived)?;
    let cols = SpanColumns::detect(ds)?;
    let (dur, _) = cols.duration.clone().ok_or_else(|| Error::Data("no span duration column (duration_ms, durationNano…)".into()))?;
    let dcol = ds.column_index(&dur).ok_or_else(|| Error::Data(format!("no column {dur:?}")))?;
    let tcol = ds.column_index(&cols.trace_id).ok_or_else(|| Error::Data(format!("no column {:?}", cols.trace_id)))?;
    let limit = limit.clamp(1, 1000);
    let matching = Matching::new(ds, spec, within)?;
    // (duration, batch, row) of every matching span with a duration and a trace id.
    let mut spans: Vec<(f64, u32, u32)> = Vec::new();
    for (bi, batch) in ds.batches().iter().enumerate() {
        pace.tick(crate::pace::Step { stage: "looking for slow traces", done: bi as u64, total: ds.batches().len() as u64 }).await?;
        let Some(d) = numeric(batch.column(dcol)) else { continue };
        let ids = batch.column(tcol);
        let (sel, _) = matching.rows(ds, bi);
        spans.extend(sel.into_iter().filter(|&r| d.is_valid(r as usize) && ids.is_valid(r as usize)).map(|r| (d.f64_at(r as usize), bi as u32, r)).filter(|x| !x.0.is_nan()));
    }
    let longest_first = |a: &(f64, u32, u32), b: &(f64, u32, u32)| b.0.total_cmp(&a.0).then((a.1, a.2).cmp(&(b.1, b.2)));
    // Take the longest spans a slice at a time until `limit` different traces are found: a
    // trace with many long spans can fill a slice alone, so later slices are larger.
    let mut found: Vec<String> = Vec::new();
    let mut seen: HashSet<String> = HashSet::new();
    let (mut from, mut take) = (0, (limit * 64).max(256));
    while found.len() < limit && from < spans.len() {
        let rest = &mut spans[from..];
        let k = take.min(rest.len());
        if k < rest.len() {
            rest.select_nth_unstable_by(k - 1, longest_first);
        }
        rest[..k].sort_unstable_by(longest_first);
        for &(_, bi, r) in &rest[..k] {
            let Some(id) = strings(ds.batches()[bi as usize].column(tcol)).and_then(|c| c.get(r as usize).map(str::to_string)) else {
                return Err(Error::Data(format!("trace id column {:?} is not text", cols.trace_id)));
            };
            if seen.insert(id.clone()) {
                found.push(id);
                if found.len() == limit {
                    break;
                }
            }
        }
        from += k;
        take = take.saturating_mul(8);
    }
    let ids: Vec<&str> = found.iter().map(String::as_str).collect();
    let rows = super::find_rows_paced(ds, &cols, &ids, pace).await?;
    let mut out = Vec::new();
    for (id, rows) in found.iter().zip(&rows) {
        let t = Trace::assemble_at(ds, &cols, id, rows)?;
        let root = t.roots.first().map(|r| &t.spans[*r]);
        out.push(TraceSummary {
            trace_id: id.clone(),
            root_name: root.map(|r| r.name.clone()).unwrap_or_default(),
            root_service: root.map(|r| r.service.clone()).unwrap_or_default(),
            duration_ms: t.duration_ms(),
            spans: t.spans.iter().filter(|s| s.row.is_some()).count(),
            errors: t.spans.iter().filter(|s| s.error).count(),
            start_ms: t.start_ms(),
        });
    }
    Ok(out)
}
