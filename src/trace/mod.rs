//! Traces from span rows: assembly into trees, self time, critical path.
//!
//! Span columns are auto-detected from Honeycomb and OpenTelemetry conventions (see
//! [`SpanColumns::detect`]). Missing parents become placeholder nodes (orphans are counted),
//! several roots are allowed, children outside their parent's time are marked as clock skew, and
//! duplicate span ids are reported (the first row with an id owns it).
//!
//! Critical path: walking back from a span's end, the child that finishes last (within the
//! remaining window) is on the path up to where it starts; then the child finishing last before
//! that point, and so on, recursively. Overlapping children are handled by clipping each one to
//! the window left of the previously chosen child, not by assuming siblings run one after
//! another. Self time: a span's duration minus the union of its children's intervals inside it.

use arrow_array::cast::AsArray;
use arrow_array::types::*;
use arrow_array::{Array, RecordBatch};
use arrow_schema::{DataType, TimeUnit};
use hashbrown::HashMap;
use serde_json::{json, Value as Json};

pub mod annotations;
mod list;

pub use list::{slowest, slowest_paced, TraceSummary};

pub use annotations::{SpanEvent, SpanLink};

use crate::dataset::DataSet;
use crate::error::{Error, Result};
use crate::query::column::{numeric, strings};
use crate::value::float_json;

/// Which columns hold the span fields.
#[derive(Debug, Clone, PartialEq)]
pub struct SpanColumns {
    pub trace_id: String,
    pub span_id: String,
    pub parent_id: Option<String>,
    /// Duration column and its unit as milliseconds per value.
    pub duration: Option<(String, f64)>,
    pub name: Option<String>,
    pub service: Option<String>,
    pub error: Option<String>,
    /// OTLP's span events and links as JSON text (see [`annotations`]).
    pub events: Option<String>,
    pub links: Option<String>,
    /// Honeycomb's `meta.annotation_type`: rows that are span events or links, not spans.
    pub annotation: Option<String>,
}

fn first<'a>(ds: &DataSet, names: &[&'a str]) -> Option<&'a str> {
    names.iter().copied().find(|n| ds.column_index(n).is_some())
}

impl SpanColumns {
    pub fn detect(ds: &DataSet) -> Result<SpanColumns> {
        let trace_id = first(ds, &["trace.trace_id", "traceId", "trace_id", "traceID"])
            .ok_or_else(|| Error::Data("no trace id column (trace.trace_id, traceId, trace_id)".into()))?;
        let span_id = first(ds, &["trace.span_id", "spanId", "span_id", "spanID"])
            .ok_or_else(|| Error::Data("no span id column (trace.span_id, spanId, span_id)".into()))?;
        let duration = [("duration_ms", 1.0), ("durationMs", 1.0), ("duration", 1.0), ("durationNano", 1e-6), ("duration_ns", 1e-6), ("duration_us", 1e-3)]
            .iter()
            .find(|(n, _)| ds.column_index(n).is_some())
            .map(|(n, f)| (n.to_string(), *f));
        Ok(SpanColumns {
            trace_id: trace_id.into(),
            span_id: span_id.into(),
            parent_id: first(ds, &["trace.parent_id", "parentSpanId", "parent_id", "parentID"]).map(String::from),
            duration,
            name: first(ds, &["name", "span.name", "operationName"]).map(String::from),
            service: first(ds, &["service.name", "serviceName", "service_name", "service"]).map(String::from),
            error: first(ds, &["error", "status.code"]).map(String::from),
            events: first(ds, &["span.events"]).map(String::from),
            links: first(ds, &["span.links"]).map(String::from),
            annotation: first(ds, &[annotations::ANNOTATION_TYPE]).map(String::from),
        })
    }
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct Span {
    /// (batch, row) of the span's event; `None` for a placeholder of a missing parent.
    pub row: Option<(usize, usize)>,
    pub span_id: String,
    pub parent_id: Option<String>,
    pub name: String,
    pub service: String,
    /// Start in ms since the epoch (sub-ms precision kept from ns/µs timestamps).
    pub start_ms: f64,
    pub duration_ms: f64,
    pub error: bool,
    pub depth: usize,
    pub children: Vec<usize>,
    pub self_ms: f64,
    pub critical: bool,
    /// Starts before or ends after its parent.
    pub skew: bool,
    pub events: Vec<SpanEvent>,
    pub links: Vec<SpanLink>,
}

impl Span {
    pub fn end_ms(&self) -> f64 {
        self.start_ms + self.duration_ms
    }
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct Trace {
    pub trace_id: String,
    /// In tree order (depth first, children by start time).
    pub spans: Vec<Span>,
    pub roots: Vec<usize>,
    pub orphans: usize,
    pub duplicates: Vec<String>,
}

/// A span's start in ms with full precision from the time column.
fn start_ms(batch: &RecordBatch, col: usize, row: usize, fallback: i64) -> f64 {
    let a = batch.column(col);
    if a.is_null(row) {
        return fallback as f64;
    }
    match a.data_type() {
        DataType::Timestamp(TimeUnit::Nanosecond, _) => a.as_primitive::<TimestampNanosecondType>().value(row) as f64 / 1e6,
        DataType::Timestamp(TimeUnit::Microsecond, _) => a.as_primitive::<TimestampMicrosecondType>().value(row) as f64 / 1e3,
        _ => fallback as f64,
    }
}

fn text(batch: &RecordBatch, col: Option<usize>, row: usize) -> Option<String> {
    let c = batch.column(col?);
    if let Some(s) = strings(c) {
        return s.get(row).map(str::to_string);
    }
    if c.is_null(row) {
        return None;
    }
    numeric(c).map(|n| crate::value::format_float(n.f64_at(row)))
}

fn is_error(batch: &RecordBatch, col: Option<usize>, row: usize) -> bool {
    let Some(col) = col else { return false };
    let c = batch.column(col);
    if c.is_null(row) {
        return false;
    }
    if let Some(b) = c.as_boolean_opt() {
        return b.value(row);
    }
    text(batch, Some(col), row).is_some_and(|s| s.eq_ignore_ascii_case("error") || s == "STATUS_CODE_ERROR" || s == "2")
}

impl Trace {
    /// Assemble the trace `trace_id` from the data set's span rows.
    pub fn assemble(ds: &DataSet, cols: &SpanColumns, trace_id: &str) -> Result<Trace> {
        let rows = find_rows(ds, cols, &[trace_id])?.pop().unwrap_or_default();
        Self::assemble_at(ds, cols, trace_id, &rows)
    }

    /// Assemble trace `trace_id` from its rows, (batch, row) in data order (see [`find_rows`]).
    pub fn assemble_at(ds: &DataSet, cols: &SpanColumns, trace_id: &str, rows: &[(usize, usize)]) -> Result<Trace> {
        let idx = |n: &str| ds.column_index(n);
        let tcol = idx(&cols.trace_id).ok_or_else(|| Error::Data(format!("no column {:?}", cols.trace_id)))?;
        let scol = idx(&cols.span_id).ok_or_else(|| Error::Data(format!("no column {:?}", cols.span_id)))?;
        let pcol = cols.parent_id.as_deref().and_then(idx);
        let dcol = cols.duration.as_ref().and_then(|(n, f)| idx(n).map(|i| (i, *f)));
        let (ncol, svcol, ecol) = (cols.name.as_deref().and_then(idx), cols.service.as_deref().and_then(idx), cols.error.as_deref().and_then(idx));
        let time_col = ds.time_column().and_then(idx);
        if ds.time_column().is_none() {
            return Err(Error::Data("traces need a time column for span starts".into()));
        }
        let (evcol, lkcol, ancol) = (cols.events.as_deref().and_then(idx), cols.links.as_deref().and_then(idx), cols.annotation.as_deref().and_then(idx));
        let (ltcol, lscol) = (idx(annotations::LINK_TRACE), idx(annotations::LINK_SPAN));
        let mut spans: Vec<Span> = Vec::new();
        // Honeycomb's event and link rows, attached to their spans once all are known.
        let mut notes: Vec<(String, Result<SpanEvent, SpanLink>)> = Vec::new();
        for run in rows.chunk_by(|a, b| a.0 == b.0) {
            let bi = run[0].0;
            let batch = &ds.batches()[bi];
            let times = ds.times(bi);
            let dur = dcol.and_then(|(c, f)| numeric(batch.column(c)).map(|n| (n, f)));
            for &(_, row) in run {
                let t_ms = times.filter(|t| t.is_valid(row)).map(|t| t.value(row));
                let Some(t_ms) = t_ms else { continue };
                let start = time_col.map_or(t_ms as f64, |c| start_ms(batch, c, row, t_ms));
                if let Some(kind) = annotations::annotation(batch, ancol, row) {
                    let Some(parent) = text(batch, pcol, row).filter(|p| !p.is_empty()) else { continue };
                    let skip: Vec<usize> = [Some(tcol), Some(scol), pcol, ancol, time_col, ncol, ltcol, lscol, dcol.map(|d| d.0)].into_iter().flatten().collect();
                    let attributes = annotations::row_attributes(batch, row, &skip);
                    let note = match kind {
                        annotations::Annotation::Event => Ok(SpanEvent { name: text(batch, ncol, row).unwrap_or_default(), time_ms: start, attributes }),
                        annotations::Annotation::Link => {
                            let (Some(trace_id), Some(span_id)) = (text(batch, ltcol, row), text(batch, lscol, row)) else { continue };
                            Err(SpanLink { trace_id, span_id, attributes })
                        }
                    };
                    notes.push((parent, note));
                    continue;
                }
                let duration = dur.as_ref().filter(|(n, _)| n.is_valid(row)).map_or(0.0, |(n, f)| (n.f64_at(row) * f).max(0.0));
                spans.push(Span {
                    row: Some((bi, row)),
                    span_id: text(batch, Some(scol), row).unwrap_or_default(),
                    parent_id: text(batch, pcol, row).filter(|p| !p.is_empty()),
                    name: text(batch, ncol, row).unwrap_or_default(),
                    service: text(batch, svcol, row).unwrap_or_default(),
                    start_ms: start,
                    duration_ms: duration,
                    error: is_error(batch, ecol, row),
                    events: text(batch, evcol, row).map(|t| annotations::events_from_json(&t)).unwrap_or_default(),
                    links: text(batch, lkcol, row).map(|t| annotations::links_from_json(&t)).unwrap_or_default(),
                    ..Default::default()
                });
            }
        }
        for (parent, note) in notes {
            if let Some(s) = spans.iter_mut().find(|s| s.span_id == parent) {
                match note {
                    Ok(e) => s.events.push(e),
                    Err(l) => s.links.push(l),
                }
            }
        }
        for s in &mut spans {
            s.events.sort_by(|a, b| a.time_ms.total_cmp(&b.time_ms));
        }
        if spans.is_empty() {
            return Err(Error::Data(format!("no spans of trace {trace_id:?}")));
        }
        Ok(Self::build(trace_id, spans))
    }

    /// Link spans into trees and compute depth, self time, skew and the critical path.
    pub fn build(trace_id: &str, mut spans: Vec<Span>) -> Trace {
        let mut trace = Trace { trace_id: trace_id.into(), ..Default::default() };
        let mut by_id: HashMap<String, usize> = HashMap::new();
        for (i, s) in spans.iter().enumerate() {
            if by_id.contains_key(&s.span_id) {
                trace.duplicates.push(s.span_id.clone());
            } else {
                by_id.insert(s.span_id.clone(), i);
            }
        }
        // Placeholders for parents that are not in the data.
        let mut missing: Vec<String> = spans.iter().filter_map(|s| s.parent_id.clone()).filter(|p| !by_id.contains_key(p)).collect();
        missing.sort();
        missing.dedup();
        for p in missing {
            let kids: Vec<&Span> = spans.iter().filter(|s| s.parent_id.as_ref() == Some(&p)).collect();
            trace.orphans += kids.len();
            let start = kids.iter().map(|s| s.start_ms).fold(f64::INFINITY, f64::min);
            let end = kids.iter().map(|s| s.end_ms()).fold(f64::NEG_INFINITY, f64::max);
            by_id.insert(p.clone(), spans.len());
            spans.push(Span {
                row: None,
                span_id: p.clone(),
                parent_id: None,
                name: format!("(missing span {p})"),
                service: String::new(),
                start_ms: start,
                duration_ms: end - start,
                ..Default::default()
            });
        }
        let n = spans.len();
        let mut children: Vec<Vec<usize>> = vec![Vec::new(); n];
        let mut roots = Vec::new();
        for i in 0..n {
            let parent = spans[i].parent_id.as_ref().and_then(|p| by_id.get(p)).copied().filter(|p| *p != i);
            match parent {
                // A duplicate id's row is not anyone's parent but still hangs under its own.
                Some(p) => children[p].push(i),
                None => roots.push(i),
            }
        }
        let by_start = |a: &usize, b: &usize| spans[*a].start_ms.total_cmp(&spans[*b].start_ms);
        roots.sort_by(by_start);
        for c in &mut children {
            c.sort_by(|a, b| spans[*a].start_ms.total_cmp(&spans[*b].start_ms));
        }
        // Depth-first order, guarding against parent cycles in bad data.
        let mut order = Vec::with_capacity(n);
        let mut depth = vec![0usize; n];
        let mut seen = vec![false; n];
        let mut stack: Vec<usize> = roots.iter().rev().copied().collect();
        while let Some(i) = stack.pop() {
            if std::mem::replace(&mut seen[i], true) {
                continue;
            }
            order.push(i);
            for &c in children[i].iter().rev() {
                depth[c] = depth[i] + 1;
                stack.push(c);
            }
        }
        // Spans in a parent cycle are unreachable from any root: list them as roots.
        for i in 0..n {
            if !seen[i] {
                roots.push(i);
                order.push(i);
                seen[i] = true;
            }
        }
        // Self time and skew.
        for i in 0..n {
            let (s, e) = (spans[i].start_ms, spans[i].end_ms());
            let mut iv: Vec<(f64, f64)> = children[i].iter().map(|c| (spans[*c].start_ms.max(s), spans[*c].end_ms().min(e))).filter(|(a, b)| b > a).collect();
            iv.sort_by(|a, b| a.0.total_cmp(&b.0));
            let mut covered = 0.0;
            let mut cur: Option<(f64, f64)> = None;
            for (a, b) in iv {
                match cur {
                    Some((ca, cb)) if a <= cb => cur = Some((ca, cb.max(b))),
                    Some((ca, cb)) => {
                        covered += cb - ca;
                        cur = Some((a, b));
                    }
                    None => cur = Some((a, b)),
                }
            }
            if let Some((ca, cb)) = cur {
                covered += cb - ca;
            }
            spans[i].self_ms = (spans[i].duration_ms - covered).max(0.0);
            for &c in &children[i] {
                if spans[c].start_ms < s - 1e-6 || spans[c].end_ms() > e + 1e-6 {
                    spans[c].skew = true;
                }
            }
        }
        // Critical path from each root.
        fn walk(i: usize, until: f64, spans: &mut [Span], children: &[Vec<usize>], guard: usize) {
            spans[i].critical = true;
            if guard > 10_000 {
                return;
            }
            let mut t = until.min(spans[i].end_ms());
            loop {
                let next = children[i]
                    .iter()
                    .copied()
                    .filter(|c| spans[*c].start_ms < t && !spans[*c].critical)
                    .max_by(|a, b| spans[*a].end_ms().min(t).total_cmp(&spans[*b].end_ms().min(t)));
                let Some(c) = next else { break };
                walk(c, t, spans, children, guard + 1);
                t = spans[c].start_ms;
            }
        }
        for &r in &roots {
            let end = spans[r].end_ms();
            walk(r, end, &mut spans, &children, 0);
        }
        // Reorder into tree order.
        let mut pos = vec![0usize; n];
        for (p, &i) in order.iter().enumerate() {
            pos[i] = p;
        }
        let mut out: Vec<Span> = order.iter().map(|&i| {
            let mut s = spans[i].clone();
            s.depth = depth[i];
            s.children = children[i].iter().map(|c| pos[*c]).collect();
            s
        }).collect();
        for s in &mut out {
            s.children.sort_unstable();
        }
        trace.roots = roots.iter().map(|r| pos[*r]).collect();
        trace.spans = out;
        trace
    }

    pub fn start_ms(&self) -> f64 {
        self.spans.iter().map(|s| s.start_ms).fold(f64::INFINITY, f64::min)
    }

    pub fn duration_ms(&self) -> f64 {
        self.spans.iter().map(|s| s.end_ms()).fold(f64::NEG_INFINITY, f64::max) - self.start_ms()
    }

    pub fn to_json(&self) -> Json {
        let t0 = self.start_ms();
        let root = self.roots.first().map(|r| &self.spans[*r]);
        json!({
            "trace_id": self.trace_id,
            "summary": {
                "span_count": self.spans.iter().filter(|s| s.row.is_some()).count(),
                "root": root.map(|r| json!({"name": r.name, "service": r.service})),
                "roots": self.roots.len(),
                "start": crate::query::result::iso8601(t0.floor() as i64),
                "duration_ms": float_json(self.duration_ms()),
                "errors": self.spans.iter().filter(|s| s.error).count(),
                "orphans": self.orphans,
                "duplicate_span_ids": self.duplicates,
                "skewed": self.spans.iter().filter(|s| s.skew).count(),
            },
            "spans": self.spans.iter().map(|s| json!({
                "span_id": s.span_id,
                "parent_id": s.parent_id,
                "name": s.name,
                "service": s.service,
                "offset_ms": float_json(s.start_ms - t0),
                "duration_ms": float_json(s.duration_ms),
                "self_ms": float_json(s.self_ms),
                "depth": s.depth,
                "children": s.children.iter().map(|c| &self.spans[*c].span_id).collect::<Vec<_>>(),
                "critical": s.critical,
                "error": s.error,
                "skew": s.skew,
                "placeholder": s.row.is_none(),
                "events": s.events.iter().map(|e| json!({"name": e.name, "offset_ms": float_json(e.time_ms - t0), "attributes": e.attributes})).collect::<Vec<_>>(),
                "links": s.links.iter().map(|l| json!({"trace_id": l.trace_id, "span_id": l.span_id, "attributes": l.attributes})).collect::<Vec<_>>(),
            })).collect::<Vec<_>>(),
        })
    }
}

/// Whether the data holds spans of trace `trace_id` (a link's target can be opened).
pub fn has_trace(ds: &DataSet, cols: &SpanColumns, trace_id: &str) -> bool {
    let Some(col) = ds.column_index(&cols.trace_id) else { return false };
    match ds.string_codes(col) {
        Some(c) => c.interner.lookup(trace_id).is_some(),
        None => ds.batches().iter().any(|b| strings(b.column(col)).is_some_and(|ids| (0..b.num_rows()).any(|r| ids.get(r) == Some(trace_id)))),
    }
}

/// The rows of each of the traces `ids`, (batch, row) in data order, found in one pass over the
/// trace id column: by integer codes when a query has already encoded the column, else by the
/// id strings (looked up only when the length matches one of them). Nothing is encoded here, so
/// listing or opening a trace does not pay for encoding every id in the data.
pub fn find_rows(ds: &DataSet, cols: &SpanColumns, ids: &[&str]) -> Result<Vec<Vec<(usize, usize)>>> {
    crate::pace::finish(find_rows_paced(ds, cols, ids, &mut crate::pace::Pace::unpaced()))
}

/// [`find_rows`], ticking `pace` after each batch.
pub async fn find_rows_paced(ds: &DataSet, cols: &SpanColumns, ids: &[&str], pace: &mut crate::pace::Pace<'_>) -> Result<Vec<Vec<(usize, usize)>>> {
    let step = |bi: usize| crate::pace::Step { stage: "finding the traces' spans", done: bi as u64, total: ds.batches().len() as u64 };
    let tcol = ds.column_index(&cols.trace_id).ok_or_else(|| Error::Data(format!("no column {:?}", cols.trace_id)))?;
    let mut out = vec![Vec::new(); ids.len()];
    if let Some(c) = ds.cached_string_codes(tcol) {
        // Codes are stored + 1 (0 is null).
        let wanted: Vec<(u32, usize)> = ids.iter().enumerate().filter_map(|(i, id)| c.interner.lookup(id).map(|k| (k + 1, i))).collect();
        for (bi, codes) in c.batches.iter().enumerate() {
            pace.tick(step(bi)).await?;
            for (r, code) in codes.iter().enumerate() {
                if let Some((_, i)) = wanted.iter().find(|(k, _)| k == code) {
                    out[*i].push((bi, r));
                }
            }
        }
        return Ok(out);
    }
    let by_id: HashMap<&str, usize> = ids.iter().enumerate().map(|(i, id)| (*id, i)).collect();
    let lengths: Vec<usize> = ids.iter().map(|id| id.len()).collect();
    for (bi, batch) in ds.batches().iter().enumerate() {
        pace.tick(step(bi)).await?;
        let Some(col) = strings(batch.column(tcol)) else {
            return Err(Error::Data(format!("trace id column {:?} is not text", cols.trace_id)));
        };
        for r in 0..batch.num_rows() {
            if let Some(s) = col.get(r).filter(|s| lengths.contains(&s.len())) {
                if let Some(&i) = by_id.get(s) {
                    out[i].push((bi, r));
                }
            }
        }
    }
    Ok(out)
}
