//! Snapshot links: a query's result written into the link itself, so whoever opens it sees the
//! same charts and table without any data (people in an incident channel often cannot reach it).
//!
//! Format: `#s1.` followed by URL-safe base64 (no padding) of raw DEFLATE of a postcard-packed
//! [`Packed`]: when it was taken, the live link's state (sources, query, view: so the snapshot
//! knows its query, selection and chart settings, and can offer the live view), and the result
//! column by column. Totals keep their exact values; series values keep float32 precision
//! (seven significant digits: what a chart and its hover show), counts as integers, each
//! group's series as bucket steps with integer columns delta-coded. A result too large for
//! the link's budget keeps its first groups (in the query's order), then drops the series, and
//! says so ([`Snapshot::note`]).

use std::io::{Read, Write};

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use flate2::read::DeflateDecoder;
use flate2::write::DeflateEncoder;
use flate2::Compression;
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::permalink::State;
use crate::query::aggregate::Output;
use crate::query::heatmap::{Histogram, Layout, Scale};
use crate::query::result::{ResultRow, SeriesPoint};
use crate::query::QueryResult;
use crate::value::Value;

pub const PREFIX: &str = "s1.";
/// A snapshot that also carries an open board's panels (`WithPanels`).
pub const BOARD_PREFIX: &str = "s2.";
/// The longest link a snapshot aims for (the "under 8 KB of URL"): the page's budget for
/// the fragment is this less its address.
pub const LINK_BUDGET: usize = 8000;
/// The longest link a snapshot with a board's panels aims for (each result at most
/// [`LINK_BUDGET`]): short enough for a chat message.
pub const BOARD_BUDGET: usize = 32_000;
/// Largest unpacked snapshot accepted from a link.
const MAX_BYTES: u64 = 4 << 20;

/// A result as it was seen, and the live view it came from.
#[derive(Debug, Clone, PartialEq)]
pub struct Snapshot {
    /// When it was taken (ms since the epoch).
    pub taken_ms: i64,
    /// The live view: its sources, query and view choices (credentials already scrubbed).
    pub live: State,
    pub result: QueryResult,
    /// Groups the result had before it was trimmed to fit (`result.results.len()` when whole).
    pub groups_total: usize,
    /// The series did not fit: only the table's totals are here.
    pub series_dropped: bool,
    /// The open board's panels, in its order (`None` for a note, or a query that had no
    /// result); their own `live` states are empty: the board is in this one's.
    pub panels: Vec<Option<Snapshot>>,
}

impl Snapshot {
    /// What was left out to fit the link, in words; `None` when the snapshot is whole.
    pub fn note(&self) -> Option<String> {
        let kept = self.result.results.len();
        let mut parts = Vec::new();
        if kept < self.groups_total {
            parts.push(format!("the first {kept} of {} groups", self.groups_total));
        }
        if self.series_dropped {
            parts.push("totals only (the time series did not fit)".to_string());
        }
        let panels = self.panels.iter().flatten().filter(|p| p.note().is_some()).count();
        if panels > 0 {
            parts.push(format!("{panels} board panel{} trimmed", if panels == 1 { "" } else { "s" }));
        }
        (!parts.is_empty()).then(|| format!("Trimmed to fit a link: {}.", parts.join("; ")))
    }

    /// The fragment (without `#`) of the whole snapshot, however long.
    pub fn encode(&self) -> String {
        let whole = |s: &Snapshot| pack(s, s.result.results.len(), !s.series_dropped);
        if self.panels.is_empty() {
            return encode_packed(&whole(self));
        }
        let p = WithPanels { main: whole(self), panels: self.panels.iter().map(|p| p.as_ref().map(whole)).collect() };
        deflated(BOARD_PREFIX, &postcard::to_allocvec(&p).unwrap_or_default())
    }

    /// [`Snapshot::fit`] with an open board's panel results: each result gets an equal share
    /// of `budget` (at most [`LINK_BUDGET`]), smaller shares until the whole fits.
    pub fn fit_board(live: &State, result: &QueryResult, panels: &[Option<QueryResult>], taken_ms: i64, budget: usize) -> (String, Snapshot) {
        let n = 1 + panels.iter().flatten().count();
        let mut share = (budget / n).min(LINK_BUDGET);
        loop {
            let (_, main) = Snapshot::fit(live, result, taken_ms, share);
            let panels = panels.iter().map(|p| p.as_ref().map(|r| Snapshot::fit(&State::default(), r, taken_ms, share).1)).collect();
            let s = Snapshot { panels, ..main };
            let text = s.encode();
            if text.len() <= budget || share < 400 {
                return (text, s);
            }
            share = share * budget / text.len() * 9 / 10;
        }
    }

    /// The snapshot of `result` seen in the live view `live` at `taken_ms`, as a fragment of at
    /// most `budget` characters when that can be had: the first groups that fit, else their
    /// totals alone. The trimmed snapshot comes back with the fragment (its [`Snapshot::note`]).
    pub fn fit(live: &State, result: &QueryResult, taken_ms: i64, budget: usize) -> (String, Snapshot) {
        let whole = Snapshot { taken_ms, live: live.clone(), result: result.clone(), groups_total: result.results.len(), series_dropped: false, panels: Vec::new() };
        let n = result.results.len();
        let at = |k: usize, series: bool| encode_packed(&pack(&whole, k, series));
        let full = at(n, true);
        if full.len() <= budget || n == 0 {
            return (full, whole);
        }
        // The most groups whose snapshot fits (sizes grow with groups), by bisection from an
        // estimate; with one group too many for the series, totals alone.
        let best = |series: bool, hi: usize| -> Option<(usize, String)> {
            let (mut lo, mut hi) = (1usize, hi.max(1));
            let mut found = None;
            while lo <= hi {
                let mid = lo + (hi - lo) / 2;
                let s = at(mid, series);
                if s.len() <= budget {
                    found = Some((mid, s));
                    lo = mid + 1;
                } else {
                    hi = mid - 1;
                }
            }
            found
        };
        let guess = (n * budget / full.len().max(1)).saturating_mul(2).clamp(1, (n - 1).max(1));
        let (k, text, series) = match best(true, guess) {
            Some((k, s)) => (k, s, true),
            None => match best(false, n) {
                Some((k, s)) => (k, s, false),
                None => (1, at(1, false), false),
            },
        };
        let mut trimmed = whole;
        trimmed.result = trim(&trimmed.result, k, series);
        trimmed.series_dropped = !series;
        (text, trimmed)
    }

    /// Read a fragment (with or without `#`). Errors say what is wrong with the link.
    pub fn decode(fragment: &str) -> Result<Snapshot> {
        let f = fragment.trim_start_matches('#');
        let (body, board) = match (f.strip_prefix(PREFIX), f.strip_prefix(BOARD_PREFIX)) {
            (Some(b), _) => (b, false),
            (_, Some(b)) => (b, true),
            _ => return Err(Error::Other(format!("not an Apiary snapshot (expected #{PREFIX}… or #{BOARD_PREFIX}…)"))),
        };
        let bytes = URL_SAFE_NO_PAD.decode(body.trim_end_matches('=')).map_err(|e| damaged(&e.to_string()))?;
        let mut raw = Vec::new();
        DeflateDecoder::new(bytes.as_slice())
            .take(MAX_BYTES + 1)
            .read_to_end(&mut raw)
            .map_err(|e| damaged(&e.to_string()))?;
        if raw.len() as u64 > MAX_BYTES {
            return Err(Error::Other(format!("the snapshot is larger than {} MB unpacked", MAX_BYTES >> 20)));
        }
        if board {
            let p: WithPanels = postcard::from_bytes(&raw).map_err(|e| damaged(&e.to_string()))?;
            if p.panels.len() > crate::board::MAX_PANELS {
                return Err(damaged("more panels than a board holds"));
            }
            let mut s = unpack(p.main)?;
            s.panels = p.panels.into_iter().map(|p| p.map(unpack).transpose()).collect::<Result<_>>()?;
            return Ok(s);
        }
        let p: Packed = postcard::from_bytes(&raw).map_err(|e| damaged(&e.to_string()))?;
        unpack(p)
    }
}

/// Is this fragment a snapshot (rather than a live link)?
pub fn is_snapshot(fragment: &str) -> bool {
    let f = fragment.trim_start_matches('#');
    f.starts_with(PREFIX) || f.starts_with(BOARD_PREFIX)
}

/// `result` with its first `k` groups (and their series, unless `series` is false).
fn trim(result: &QueryResult, k: usize, series: bool) -> QueryResult {
    let mut r = result.clone();
    r.results.truncate(k);
    if series {
        r.series.retain(|p| p.row < k);
    } else {
        r.series.clear();
    }
    r
}

// ---- the packed form ----

#[derive(Serialize, Deserialize)]
struct WithPanels {
    main: Packed,
    panels: Vec<Option<Packed>>,
}

#[derive(Serialize, Deserialize)]
struct Packed {
    taken_ms: i64,
    /// The live link's state as JSON text.
    live: String,
    breakdowns: Vec<String>,
    keys: Vec<String>,
    groups: Vec<Vec<Cell>>,
    totals: Vec<Vec<Out>>,
    range: Option<(i64, i64)>,
    granularity: Option<i64>,
    sample_rate_column: Option<String>,
    rows_in_range: u64,
    rows_matched: u64,
    groups_total: u64,
    series_dropped: bool,
    series: Series,
}

#[derive(Serialize, Deserialize)]
enum Cell {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(String),
}

/// A total, exact.
#[derive(Serialize, Deserialize)]
enum Out {
    Null,
    Int(i64),
    Float(f64),
    Heat(Heat),
}

/// A series value: integers as the difference from the column's previous integer in the group,
/// floats as float32.
#[derive(Serialize, Deserialize)]
enum Point {
    Null,
    IntStep(i64),
    Float(f32),
    Heat(Heat),
}

#[derive(Serialize, Deserialize)]
struct Heat {
    lo: f64,
    hi: f64,
    log: bool,
    counts: Counts,
}

#[derive(Serialize, Deserialize)]
enum Counts {
    Whole(Vec<u64>),
    Any(Vec<f64>),
}

/// Every group's series: time as bucket steps of `step_ms` from `start_ms`.
#[derive(Serialize, Deserialize)]
struct Series {
    start_ms: i64,
    step_ms: i64,
    rows: Vec<RowSeries>,
}

#[derive(Serialize, Deserialize)]
struct RowSeries {
    /// Buckets with a point, each as the step from the previous one (the first from 0).
    steps: Vec<u64>,
    /// Per calculation, the values at those buckets.
    columns: Vec<Vec<Point>>,
}

fn cell(v: &Value) -> Cell {
    match v {
        Value::Null => Cell::Null,
        Value::Bool(b) => Cell::Bool(*b),
        Value::Int(i) => Cell::Int(*i),
        Value::Float(f) => Cell::Float(*f),
        Value::Str(s) => Cell::Str(s.clone()),
    }
}

fn heat(h: &Histogram) -> Heat {
    let whole = h.counts.iter().all(|c| *c >= 0.0 && c.fract() == 0.0 && *c < 9.0e15);
    let counts = if whole { Counts::Whole(h.counts.iter().map(|c| *c as u64).collect()) } else { Counts::Any(h.counts.clone()) };
    Heat { lo: h.layout.lo, hi: h.layout.hi, log: h.layout.log, counts }
}

fn out(o: &Output) -> Out {
    match o {
        Output::Null => Out::Null,
        Output::Int(i) => Out::Int(*i),
        Output::Float(f) => Out::Float(*f),
        Output::Heatmap(h) => Out::Heat(heat(h)),
    }
}

/// The first `k` groups of the snapshot's result, with their series when `series`.
fn pack(s: &Snapshot, k: usize, series: bool) -> Packed {
    let r = &s.result;
    let k = k.min(r.results.len());
    let mut start_ms = r.range_ms.map_or(0, |x| x.0);
    let mut step_ms = r.granularity.map_or(1, |g| g.saturating_mul(1000)).max(1);
    if r.series.iter().any(|p| p.time_ms < start_ms || (p.time_ms - start_ms) % step_ms != 0) {
        (start_ms, step_ms) = (r.series.iter().map(|p| p.time_ms).min().unwrap_or(0), 1);
    }
    let mut rows: Vec<RowSeries> = (0..if series { k } else { 0 }).map(|_| RowSeries { steps: Vec::new(), columns: (0..r.keys.len()).map(|_| Vec::new()).collect() }).collect();
    let mut last_bucket = vec![0u64; rows.len()];
    let mut last_int = vec![vec![0i64; r.keys.len()]; rows.len()];
    // Points come in time order: each group's own stay in time order.
    let nrows = rows.len();
    for p in r.series.iter().filter(|p| p.row < nrows) {
        let b = ((p.time_ms - start_ms) / step_ms) as u64;
        let row = &mut rows[p.row];
        row.steps.push(b - last_bucket[p.row]);
        last_bucket[p.row] = b;
        for (c, v) in p.values.iter().enumerate().take(r.keys.len()) {
            row.columns[c].push(match v {
                Output::Null => Point::Null,
                Output::Int(i) => {
                    let step = i.wrapping_sub(last_int[p.row][c]);
                    last_int[p.row][c] = *i;
                    Point::IntStep(step)
                }
                Output::Float(f) => Point::Float(*f as f32),
                Output::Heatmap(h) => Point::Heat(heat(h)),
            });
        }
    }
    Packed {
        taken_ms: s.taken_ms,
        live: s.live.to_json().to_string(),
        breakdowns: r.breakdowns.clone(),
        keys: r.keys.clone(),
        groups: r.results[..k].iter().map(|row| row.group.iter().map(cell).collect()).collect(),
        totals: r.results[..k].iter().map(|row| row.values.iter().map(out).collect()).collect(),
        range: r.range_ms,
        granularity: r.granularity,
        sample_rate_column: r.sample_rate_column.clone(),
        rows_in_range: r.rows_in_range,
        rows_matched: r.rows_matched,
        groups_total: s.groups_total.max(r.results.len()) as u64,
        series_dropped: s.series_dropped || !series,
        series: Series { start_ms, step_ms, rows },
    }
}

fn encode_packed(p: &Packed) -> String {
    deflated(PREFIX, &postcard::to_allocvec(p).unwrap_or_default())
}

/// `prefix` then `bytes` DEFLATEd in URL-safe base64.
fn deflated(prefix: &str, bytes: &[u8]) -> String {
    let mut enc = DeflateEncoder::new(Vec::new(), Compression::best());
    // Writing into a Vec cannot fail.
    let _ = enc.write_all(bytes);
    format!("{prefix}{}", URL_SAFE_NO_PAD.encode(enc.finish().unwrap_or_default()))
}

fn damaged(what: &str) -> Error {
    Error::Other(format!("the snapshot link is damaged: {what}"))
}

fn value(c: Cell) -> Value {
    match c {
        Cell::Null => Value::Null,
        Cell::Bool(b) => Value::Bool(b),
        Cell::Int(i) => Value::Int(i),
        Cell::Float(f) => Value::Float(f),
        Cell::Str(s) => Value::Str(s),
    }
}

fn histogram(h: Heat) -> Result<Histogram> {
    let layout = Layout::new(h.lo, h.hi, if h.log { Scale::Log } else { Scale::Linear });
    let counts: Vec<f64> = match h.counts {
        Counts::Whole(c) => c.into_iter().map(|c| c as f64).collect(),
        Counts::Any(c) => c,
    };
    if counts.len() != layout.n || layout.log != h.log {
        return Err(damaged("a heatmap's buckets do not match its range"));
    }
    Ok(Histogram { layout, counts })
}

fn output(o: Out) -> Result<Output> {
    Ok(match o {
        Out::Null => Output::Null,
        Out::Int(i) => Output::Int(i),
        Out::Float(f) => Output::Float(f),
        Out::Heat(h) => Output::heatmap(histogram(h)?),
    })
}

fn unpack(p: Packed) -> Result<Snapshot> {
    let live = State::decode_json(&p.live).map_err(|e| damaged(&e.to_string()))?;
    let ncalc = p.keys.len();
    if p.groups.len() != p.totals.len() {
        return Err(damaged("groups and totals differ in number"));
    }
    let mut results = Vec::with_capacity(p.groups.len());
    for (g, t) in p.groups.into_iter().zip(p.totals) {
        if g.len() != p.breakdowns.len() || t.len() != ncalc {
            return Err(damaged("a group does not have one value per breakdown and calculation"));
        }
        results.push(ResultRow { group: g.into_iter().map(value).collect(), values: t.into_iter().map(output).collect::<Result<_>>()? });
    }
    if p.series.rows.len() > results.len() || p.series.step_ms < 1 {
        return Err(damaged("the series name groups it does not have"));
    }
    let mut series = Vec::new();
    for (row, rs) in p.series.rows.into_iter().enumerate() {
        let n = rs.steps.len();
        if rs.columns.len() != ncalc || rs.columns.iter().any(|c| c.len() != n) {
            return Err(damaged("a series column has the wrong length"));
        }
        let mut columns: Vec<std::vec::IntoIter<Point>> = rs.columns.into_iter().map(Vec::into_iter).collect();
        let mut last_int = vec![0i64; ncalc];
        let mut bucket = 0u64;
        for step in rs.steps {
            bucket = bucket.checked_add(step).ok_or_else(|| damaged("a time bucket is out of range"))?;
            let time_ms = i64::try_from(bucket)
                .ok()
                .and_then(|b| b.checked_mul(p.series.step_ms))
                .and_then(|t| t.checked_add(p.series.start_ms))
                .ok_or_else(|| damaged("a time bucket is out of range"))?;
            let mut values = Vec::with_capacity(ncalc);
            for (c, col) in columns.iter_mut().enumerate() {
                values.push(match col.next() {
                    Some(Point::IntStep(s)) => {
                        last_int[c] = last_int[c].wrapping_add(s);
                        Output::Int(last_int[c])
                    }
                    Some(Point::Float(f)) => Output::Float(f as f64),
                    Some(Point::Heat(h)) => Output::heatmap(histogram(h)?),
                    Some(Point::Null) | None => Output::Null,
                });
            }
            series.push(SeriesPoint { time_ms, row, values });
        }
    }
    series.sort_by_key(|p| (p.time_ms, p.row));
    let result = QueryResult {
        breakdowns: p.breakdowns,
        keys: p.keys,
        results,
        series,
        range_ms: p.range,
        granularity: p.granularity,
        sample_rate_column: p.sample_rate_column,
        rows_in_range: p.rows_in_range,
        rows_matched: p.rows_matched,
    };
    let groups_total = (p.groups_total as usize).max(result.results.len());
    Ok(Snapshot { taken_ms: p.taken_ms, live, result, groups_total, series_dropped: p.series_dropped, panels: Vec::new() })
}
