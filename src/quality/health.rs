//! Trace health: spans whose parent is missing (orphans), traces with several roots or none,
//! duplicate span ids, and clock skew between parent and child (a child that starts before its
//! parent, or ends after it by more than a millisecond: event times are whole milliseconds).
//! Ids are compared by their 64-bit hashes.

use std::hash::BuildHasherDefault;

use arrow_array::Array;
use hashbrown::HashMap;
use serde::Serialize;

use super::coverage::Tally;
use crate::dataset::DataSet;
use crate::query::column::{numeric, strings};
use crate::trace::SpanColumns;

/// How many example trace ids a finding keeps (its query shows those traces).
pub const EXAMPLES: usize = 10;

#[derive(Debug, Clone, Default, Serialize)]
pub struct Health {
    pub spans: u64,
    pub traces: u64,
    /// Spans with a parent id that no span here has.
    pub orphans: u64,
    pub traces_with_several_roots: u64,
    /// Traces where every span has a parent id (the root was never sent).
    pub traces_without_root: u64,
    pub duplicate_span_ids: u64,
    /// Children starting before their parent.
    pub starts_before_parent: u64,
    /// Children ending after their parent (skew, or work the parent did not wait for).
    pub ends_after_parent: u64,
    #[serde(skip)]
    pub per_service: PerService,
    #[serde(skip)]
    pub examples: Examples,
    /// Distinct trace ids, span ids and parent ids (for the cardinality table).
    #[serde(skip)]
    pub distinct: [u64; 3],
}

/// Per service index (as in [`Tally`]): orphans, children starting before and ending after their parent.
#[derive(Debug, Clone, Default)]
pub struct PerService {
    pub orphans: Vec<u64>,
    pub starts_before: Vec<u64>,
    pub ends_after: Vec<u64>,
}

/// Example trace ids for each finding.
#[derive(Debug, Clone, Default)]
pub struct Examples {
    pub orphans: Vec<String>,
    pub several_roots: Vec<String>,
    pub without_root: Vec<String>,
    pub starts_before: Vec<String>,
    pub ends_after: Vec<String>,
}

type Ids<V> = HashMap<u64, V, BuildHasherDefault<super::cardinality::Passthrough>>;

#[inline]
fn h(s: &str) -> u64 {
    twox_hash::XxHash3_64::oneshot(s.as_bytes())
}

fn keep(list: &mut Vec<String>, id: &str) {
    if list.len() < EXAMPLES && !list.iter().any(|x| x == id) {
        list.push(id.to_string());
    }
}

/// The data's trace health; `None` when it has no trace and span id columns.
pub fn check(ds: &DataSet, tally: &Tally) -> Option<Health> {
    let cols = SpanColumns::detect(ds).ok()?;
    let ti = ds.column_index(&cols.trace_id)?;
    let si = ds.column_index(&cols.span_id)?;
    let pi = cols.parent_id.as_deref().and_then(|p| ds.column_index(p));
    let di = cols.duration.as_ref().and_then(|(d, f)| Some((ds.column_index(d)?, *f)));
    let n = tally.services.len();
    let mut out = Health { per_service: PerService { orphans: vec![0; n], starts_before: vec![0; n], ends_after: vec![0; n] }, ..Health::default() };

    // Every span by its id: where it is (global row), first row wins.
    let offsets: Vec<usize> = ds.batches().iter().scan(0, |acc, b| {
        let o = *acc;
        *acc += b.num_rows();
        Some(o)
    }).collect();
    let mut spans: Ids<u32> = Ids::with_capacity_and_hasher(ds.num_rows(), Default::default());
    // Per trace: roots, and whether some span of it has a parent.
    let mut traces: Ids<(u32, (u32, u32))> = Ids::default();
    let mut parents: Ids<()> = Ids::default();
    for (bi, b) in ds.batches().iter().enumerate() {
        let (Some(t), Some(s)) = (strings(b.column(ti)), strings(b.column(si))) else { continue };
        let p = pi.and_then(|c| strings(b.column(c)));
        for i in 0..b.num_rows() {
            let Some(sid) = s.get(i).filter(|x| !x.is_empty()) else { continue };
            out.spans += 1;
            if spans.try_insert(h(sid), (offsets[bi] + i) as u32).is_err() {
                out.duplicate_span_ids += 1;
            }
            let parent = p.as_ref().and_then(|p| p.get(i)).filter(|x| !x.is_empty());
            if let Some(pid) = parent {
                parents.entry(h(pid)).or_insert(());
            }
            if let Some(tid) = t.get(i) {
                let e = traces.entry(h(tid)).or_insert((0, (bi as u32, i as u32)));
                if parent.is_none() {
                    e.0 += 1;
                }
            }
        }
    }
    out.traces = traces.len() as u64;
    out.distinct = [traces.len() as u64, spans.len() as u64, parents.len() as u64];
    let trace_id_at = |bi: u32, i: u32| strings(ds.batches()[bi as usize].column(ti)).and_then(|t| t.get(i as usize).map(str::to_string));
    for &(roots, (bi, i)) in traces.values() {
        if roots > 1 {
            out.traces_with_several_roots += 1;
            if out.examples.several_roots.len() < EXAMPLES {
                if let Some(id) = trace_id_at(bi, i) {
                    keep(&mut out.examples.several_roots, &id);
                }
            }
        } else if roots == 0 {
            out.traces_without_root += 1;
            if out.examples.without_root.len() < EXAMPLES {
                if let Some(id) = trace_id_at(bi, i) {
                    keep(&mut out.examples.without_root, &id);
                }
            }
        }
    }
    out.examples.several_roots.sort();
    out.examples.without_root.sort();

    // Each child against its parent.
    let Some(pi) = pi else { return Some(out) };
    let at = |g: u32| {
        let g = g as usize;
        let bi = offsets.partition_point(|&o| o <= g) - 1;
        (bi, g - offsets[bi])
    };
    let span_time = |bi: usize, i: usize| -> Option<(f64, f64)> {
        let start = ds.times(bi).filter(|t| t.is_valid(i))?.value(i) as f64;
        let dur = di.and_then(|(d, f)| {
            let n = numeric(ds.batches()[bi].column(d))?;
            n.is_valid(i).then(|| n.f64_at(i) * f)
        });
        Some((start, start + dur.unwrap_or(0.0)))
    };
    for (bi, b) in ds.batches().iter().enumerate() {
        let (Some(t), Some(p)) = (strings(b.column(ti)), strings(b.column(pi))) else { continue };
        let dur = di.and_then(|(d, f)| Some((numeric(b.column(d))?, f)));
        let times = ds.times(bi);
        for i in 0..b.num_rows() {
            let Some(pid) = p.get(i).filter(|x| !x.is_empty()) else { continue };
            let service = tally.rows[bi][i] as usize;
            match spans.get(&h(pid)) {
                None => {
                    out.orphans += 1;
                    out.per_service.orphans[service] += 1;
                    if let Some(tid) = t.get(i) {
                        keep(&mut out.examples.orphans, tid);
                    }
                }
                Some(&g) => {
                    let Some(start) = times.filter(|t| t.is_valid(i)).map(|t| t.value(i) as f64) else { continue };
                    let end = start + dur.as_ref().filter(|(n, _)| n.is_valid(i)).map_or(0.0, |(n, f)| n.f64_at(i) * f);
                    let (pb, pr) = at(g);
                    let Some((ps, pe)) = span_time(pb, pr) else { continue };
                    if start < ps {
                        out.starts_before_parent += 1;
                        out.per_service.starts_before[service] += 1;
                        if let Some(tid) = t.get(i) {
                            keep(&mut out.examples.starts_before, tid);
                        }
                    } else if end > pe + 1.0 {
                        out.ends_after_parent += 1;
                        out.per_service.ends_after[service] += 1;
                        if let Some(tid) = t.get(i) {
                            keep(&mut out.examples.ends_after, tid);
                        }
                    }
                }
            }
        }
    }
    Some(out)
}
