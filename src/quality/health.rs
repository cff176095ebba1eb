//! Trace health: spans whose parent is missing (orphans), traces with several roots or none,
//! duplicate span ids, and clock skew between parent and child (a child that starts before its
//! parent, or ends after it by more than a millisecond: event times are whole milliseconds).
//!
//! A parent is looked for in the child's own trace. Exporters write a trace's spans together, so
//! spans are read as runs of one trace id and each run is resolved on its own (a small table,
//! reused); only traces whose spans are spread over several runs are resolved again across the
//! data, in a second pass over those traces' rows. Ids are compared by their 64-bit hashes.

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
    /// Spans with a parent id that no span of their trace has.
    pub orphans: u64,
    pub traces_with_several_roots: u64,
    /// Traces where every span has a parent id (the root was never sent).
    pub traces_without_root: u64,
    /// Spans whose id another span of their trace has.
    pub duplicate_span_ids: u64,
    /// Children starting before their parent.
    pub starts_before_parent: u64,
    /// Children ending after their parent (skew, or work the parent did not wait for).
    pub ends_after_parent: u64,
    #[serde(skip)]
    pub per_service: PerService,
    #[serde(skip)]
    pub examples: Examples,
    /// Distinct parent ids (per trace): spans that are some span's parent, and missing parents.
    #[serde(skip)]
    pub parents: u64,
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

/// What is done with each span (its trace id, the span).
type Visit<'a> = Box<dyn FnMut(&str, Span) + 'a>;

#[inline]
fn h(s: &str) -> u64 {
    twox_hash::XxHash3_64::oneshot(s.as_bytes())
}

/// One span of the run being read.
#[derive(Clone, Copy)]
struct Span {
    id: u64,
    parent: Option<u64>,
    start: Option<f64>,
    end: f64,
    service: u32,
    /// Where it is: batch and row.
    at: (u32, u32),
}

/// A trace: how many runs its spans came in, its roots, its duplicates counted within runs,
/// and where its first span is.
struct TraceInfo {
    runs: u32,
    roots: u32,
    dups: u32,
    first: (u32, u32),
}

/// A child whose parent was not in its run.
struct Deferred {
    trace: u64,
    span: Span,
}

struct Check<'a> {
    out: Health,
    traces: Ids<TraceInfo>,
    local: Ids<usize>,
    /// The run's spans that are some span's parent.
    marks: Vec<bool>,
    deferred: Vec<Deferred>,
    ds: &'a DataSet,
    trace_col: usize,
}

impl Check<'_> {
    fn trace_id(&self, (bi, i): (u32, u32)) -> Option<String> {
        strings(self.ds.batches()[bi as usize].column(self.trace_col)).and_then(|t| t.get(i as usize).map(str::to_string))
    }

    fn keep(&mut self, which: fn(&mut Examples) -> &mut Vec<String>, at: (u32, u32)) {
        if which(&mut self.out.examples).len() < EXAMPLES {
            if let Some(id) = self.trace_id(at) {
                let list = which(&mut self.out.examples);
                if !list.contains(&id) {
                    list.push(id);
                }
            }
        }
    }

    /// A child against its parent's times.
    fn compare(&mut self, child: &Span, parent: &Span) {
        let (Some(cs), Some(ps)) = (child.start, parent.start) else { return };
        let s = child.service as usize;
        if cs < ps {
            self.out.starts_before_parent += 1;
            self.out.per_service.starts_before[s] += 1;
            self.keep(|e| &mut e.starts_before, child.at);
        } else if child.end > parent.end + 1.0 {
            self.out.ends_after_parent += 1;
            self.out.per_service.ends_after[s] += 1;
            self.keep(|e| &mut e.ends_after, child.at);
        }
    }

    /// The spans of one run of a trace id.
    fn run(&mut self, trace: u64, run: &[Span]) {
        // Most runs are a few spans: compared directly; longer ones through a table.
        let small = run.len() <= 16;
        let mut dups = 0;
        if small {
            dups = (1..run.len()).filter(|&k| run[..k].iter().any(|s| s.id == run[k].id)).count() as u32;
        } else {
            self.local.clear();
            for (k, s) in run.iter().enumerate() {
                if self.local.try_insert(s.id, k).is_err() {
                    dups += 1;
                }
            }
        }
        let roots = run.iter().filter(|s| s.parent.is_none()).count() as u32;
        let info = self.traces.entry(trace).or_insert(TraceInfo { runs: 0, roots: 0, dups: 0, first: run[0].at });
        info.runs += 1;
        info.roots += roots;
        info.dups += dups;
        self.out.duplicate_span_ids += dups as u64;
        self.marks.clear();
        self.marks.resize(run.len(), false);
        for child in run {
            let Some(p) = child.parent else { continue };
            let found = if small { run.iter().position(|s| s.id == p) } else { self.local.get(&p).copied() };
            match found {
                Some(k) => {
                    let parent = run[k];
                    self.out.parents += !self.marks[k] as u64;
                    self.marks[k] = true;
                    self.compare(child, &parent);
                }
                None => self.deferred.push(Deferred { trace, span: *child }),
            }
        }
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
    let mut c = Check {
        out: Health { per_service: PerService { orphans: vec![0; n], starts_before: vec![0; n], ends_after: vec![0; n] }, ..Health::default() },
        traces: Ids::default(),
        local: Ids::default(),
        marks: Vec::new(),
        deferred: Vec::new(),
        ds,
        trace_col: ti,
    };

    // Every span, a run of one trace id at a time.
    let spans_of = |bi: usize, mut each: Visit| {
        let b = &ds.batches()[bi];
        let (Some(t), Some(s)) = (strings(b.column(ti)), strings(b.column(si))) else { return };
        let p = pi.and_then(|c| strings(b.column(c)));
        let dur = di.and_then(|(d, f)| Some((numeric(b.column(d))?, f)));
        let times = ds.times(bi);
        for i in 0..b.num_rows() {
            let (Some(tid), Some(sid)) = (t.get(i), s.get(i).filter(|x| !x.is_empty())) else { continue };
            let start = times.filter(|t| t.is_valid(i)).map(|t| t.value(i) as f64);
            let end = start.unwrap_or(0.0) + dur.as_ref().filter(|(n, _)| n.is_valid(i)).map_or(0.0, |(n, f)| n.f64_at(i) * f);
            let parent = p.as_ref().and_then(|p| p.get(i)).filter(|x| !x.is_empty()).map(h);
            each(tid, Span { id: h(sid), parent, start, end, service: tally.rows[bi][i], at: (bi as u32, i as u32) });
        }
    };
    let mut run: Vec<Span> = Vec::new();
    let mut run_trace: Option<(String, u64)> = None;
    for bi in 0..ds.batches().len() {
        spans_of(bi, Box::new(|tid, span| {
            c.out.spans += 1;
            if run_trace.as_ref().is_none_or(|(t, _)| t != tid) {
                if let Some((_, th)) = &run_trace {
                    c.run(*th, &run);
                }
                run.clear();
                run_trace = Some((tid.to_string(), h(tid)));
            }
            run.push(span);
        }));
    }
    if let Some((_, th)) = &run_trace {
        c.run(*th, &run);
    }

    // Traces spread over several runs: their spans by (trace, id), across the data.
    let split: Ids<()> = c.traces.iter().filter(|(_, t)| t.runs > 1).map(|(&k, _)| (k, ())).collect();
    let pending = std::mem::take(&mut c.deferred);
    let mut across: Ids<Span> = Ids::default();
    let key = |trace: u64, id: u64| trace ^ id.rotate_left(29).wrapping_mul(0x9e3779b97f4a7c15);
    let missing: Ids<()> = pending.iter().filter_map(|d| Some((key(d.trace, d.span.parent?), ()))).collect();
    c.out.parents += missing.len() as u64;
    if !split.is_empty() {
        let mut dups = 0u64;
        for bi in 0..ds.batches().len() {
            spans_of(bi, Box::new(|tid, span| {
                let th = h(tid);
                if split.contains_key(&th) && across.try_insert(key(th, span.id), span).is_err() {
                    dups += 1;
                }
            }));
        }
        let counted: u64 = c.traces.iter().filter(|(k, _)| split.contains_key(*k)).map(|(_, t)| t.dups as u64).sum();
        c.out.duplicate_span_ids = c.out.duplicate_span_ids - counted + dups;
        for d in &pending {
            let parent = d.span.parent.and_then(|p| across.get(&key(d.trace, p)).copied());
            resolve(&mut c, d, parent);
        }
    } else {
        for d in &pending {
            resolve(&mut c, d, None);
        }
    }

    c.out.traces = c.traces.len() as u64;
    let mut several = Vec::new();
    let mut rootless = Vec::new();
    for t in c.traces.values() {
        if t.roots > 1 {
            c.out.traces_with_several_roots += 1;
            several.push(t.first);
        } else if t.roots == 0 {
            c.out.traces_without_root += 1;
            rootless.push(t.first);
        }
    }
    several.sort_unstable();
    rootless.sort_unstable();
    for at in several.into_iter().take(EXAMPLES) {
        c.keep(|e| &mut e.several_roots, at);
    }
    for at in rootless.into_iter().take(EXAMPLES) {
        c.keep(|e| &mut e.without_root, at);
    }
    Some(c.out)
}

/// A deferred child: compared with its parent found across runs, or an orphan.
fn resolve(c: &mut Check, d: &Deferred, parent: Option<Span>) {
    match parent {
        Some(p) => c.compare(&d.span, &p),
        None => {
            c.out.orphans += 1;
            c.out.per_service.orphans[d.span.service as usize] += 1;
            c.keep(|e| &mut e.orphans, d.span.at);
        }
    }
}
