//! HEATMAP's bucket layout.
//!
//! Every HEATMAP result of one query (totals and every series point, every group) shares one
//! layout of [`HEATMAP_BUCKETS`] buckets from the smallest to the largest non-null value of the
//! column among the query's matching rows. When min = max there is one bucket.
//!
//! - Linear (the default): equal widths. Bucket `i` covers `[min + i·w, min + (i+1)·w)`.
//! - Log ([`Scale::Log`], asked for by the page or `--heatmap-scale log` for latency-like
//!   columns): equal widths in log10 space, so bucket `i` covers
//!   `[10^(log10 min + i·w), 10^(log10 min + (i+1)·w))`. It needs every value to be positive: when
//!   the smallest value is ≤ 0 the layout falls back to linear (the JSON says which was used).
//!
//! The last bucket also holds `max`. Counts are weighted by the sample rate when weighting is on,
//! so they add up to the weighted number of non-null values.
//! JSON: `{"min": m, "max": M, "bucket_width": w, "counts": [c0, c1, …]}`, plus `"scale": "log"`
//! for a log layout (where `bucket_width` is in log10 units).

use serde::ser::{Serialize, SerializeMap, Serializer};
use serde_json::Value as Json;

pub const HEATMAP_BUCKETS: usize = 50;

/// How HEATMAP divides the value axis.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Scale {
    #[default]
    Linear,
    Log,
}

impl Scale {
    pub fn parse(s: &str) -> Option<Scale> {
        match s {
            "linear" => Some(Scale::Linear),
            "log" => Some(Scale::Log),
            _ => None,
        }
    }

    /// The page's default for a column: log for latency-like names (durations, latencies,
    /// elapsed times, sizes in bytes), whose values spread over orders of magnitude.
    pub fn auto_for(column: &str) -> Scale {
        let c = column.to_ascii_lowercase();
        let latency = ["duration", "latency", "elapsed", "response_time", "bytes", "size"].iter().any(|w| c.contains(w))
            || ["_ms", "_us", "_ns", "_sec", "_seconds", "nano"].iter().any(|s| c.ends_with(s));
        if latency { Scale::Log } else { Scale::Linear }
    }

    pub fn name(self) -> &'static str {
        match self {
            Scale::Linear => "linear",
            Scale::Log => "log",
        }
    }
}

/// One query's bucket layout: `n` buckets from `lo` of `width` each (in log10 units for log).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Layout {
    pub lo: f64,
    pub hi: f64,
    pub n: usize,
    pub width: f64,
    pub log: bool,
    /// `lo` in the bucketing space (log10 lo for log layouts).
    origin: f64,
}

impl Layout {
    /// The layout for values in `[lo, hi]`, log when asked for and every value is positive.
    pub fn new(lo: f64, hi: f64, scale: Scale) -> Layout {
        if !(hi > lo) || !lo.is_finite() || !hi.is_finite() {
            return Layout { lo, hi, n: 1, width: 0.0, log: false, origin: lo };
        }
        let n = HEATMAP_BUCKETS;
        if scale == Scale::Log && lo > 0.0 {
            let origin = lo.log10();
            return Layout { lo, hi, n, width: (hi.log10() - origin) / n as f64, log: true, origin };
        }
        Layout { lo, hi, n, width: (hi - lo) / n as f64, log: false, origin: lo }
    }

    /// Where bucket 0 starts in the bucketing space (log10 of the smallest value for log).
    pub fn origin(&self) -> f64 {
        self.origin
    }

    /// Bucket index of `x`.
    #[inline]
    pub fn index(&self, x: f64) -> usize {
        if self.log { self.index_in_space(x.log10()) } else { self.index_in_space(x) }
    }

    /// Bucket index of a value already in the bucketing space (log10 x for log layouts). Loops
    /// over many values branch on `log` once outside and call this: with the branch inside, the
    /// compiler may compute log10 for every value of a linear layout too.
    #[inline(always)]
    pub fn index_in_space(&self, at: f64) -> usize {
        if self.width <= 0.0 {
            return 0;
        }
        // `as usize` saturates: below the origin (rounding) and NaN give bucket 0. (No f64::max:
        // in wasm that is a call to fmax, not an instruction; no floor: natively a libm call.)
        // Truncation is floor here: anything below the origin goes to bucket 0 either way.
        (((at - self.origin) / self.width) as usize).min(self.n - 1)
    }

    /// Lower edge of bucket `i`.
    pub fn lower(&self, i: usize) -> f64 {
        if i == 0 {
            return self.lo;
        }
        let at = self.origin + i as f64 * self.width;
        if self.log { 10f64.powf(at) } else { at }
    }

    /// Upper edge of bucket `i` (the last bucket ends at max).
    pub fn upper(&self, i: usize) -> f64 {
        if i + 1 >= self.n { self.hi.max(self.lower(i)) } else { self.lower(i + 1) }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Histogram {
    pub layout: Layout,
    pub counts: Vec<f64>,
}

impl Histogram {
    pub fn build(values: &[f64], weights: Option<&[f64]>, layout: Layout) -> Histogram {
        let mut counts = vec![0.0; layout.n];
        match (weights, layout.log) {
            (None, false) => values.iter().for_each(|x| counts[layout.index_in_space(*x)] += 1.0),
            (None, true) => values.iter().for_each(|x| counts[layout.index_in_space(x.log10())] += 1.0),
            (Some(w), false) => values.iter().zip(w).for_each(|(x, w)| counts[layout.index_in_space(*x)] += w),
            (Some(w), true) => values.iter().zip(w).for_each(|(x, w)| counts[layout.index_in_space(x.log10())] += w),
        }
        Histogram { layout, counts }
    }

    pub fn min(&self) -> f64 {
        self.layout.lo
    }

    pub fn max(&self) -> f64 {
        self.layout.hi
    }

    /// Lower edge of bucket `i`.
    pub fn lower(&self, i: usize) -> f64 {
        self.layout.lower(i)
    }

    /// Upper edge of bucket `i`.
    pub fn upper(&self, i: usize) -> f64 {
        self.layout.upper(i)
    }

    pub fn total(&self) -> f64 {
        self.counts.iter().sum()
    }

    pub fn to_json(&self) -> Json {
        serde_json::to_value(self).unwrap_or(Json::Null)
    }
}

/// Whole counts (every unweighted one) as JSON integers: shorter to write and to parse.
struct Count(f64);

impl Serialize for Count {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let c = self.0;
        if (0.0..9.0e15).contains(&c) && c == c.trunc() { s.serialize_u64(c as u64) } else { s.serialize_f64(c) }
    }
}

/// `{"min", "max", "bucket_width", "counts", "scale"?}` (non-finite numbers as null).
impl Serialize for Histogram {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(Some(4 + self.layout.log as usize))?;
        m.serialize_entry("min", &self.layout.lo)?;
        m.serialize_entry("max", &self.layout.hi)?;
        m.serialize_entry("bucket_width", &self.layout.width)?;
        m.serialize_key("counts")?;
        m.serialize_value(&CountList(&self.counts))?;
        if self.layout.log {
            m.serialize_entry("scale", "log")?;
        }
        m.end()
    }
}

struct CountList<'a>(&'a [f64]);

impl Serialize for CountList<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(self.0.iter().map(|c| Count(*c)))
    }
}

/// HEATMAP without keeping values: pass 1 only finds the column's range over the matching rows
/// ([`HeatRange`]); with the layout known, the kept rows are bucketed once into dense counts
/// ([`HeatCounts`]): the result groups' totals and their series cells.
#[derive(Debug, Clone)]
pub struct HeatRange {
    pub column: usize,
    pub min: f64,
    pub max: f64,
}

impl HeatRange {
    pub fn new(column: usize) -> HeatRange {
        HeatRange { column, min: f64::INFINITY, max: f64::NEG_INFINITY }
    }

    /// Widen the range by the valid values of `rows` in `col` (NaN ignored, as `f64::min`
    /// would; plain comparisons, since `f64::min`/`max` are calls to fmin/fmax in wasm).
    pub fn update(&mut self, col: &crate::query::column::NumCol, rows: &[u32]) {
        use crate::query::column::Num;
        let (mut lo, mut hi) = (self.min, self.max);
        let mut widen = |x: f64| {
            if x < lo {
                lo = x;
            }
            if x > hi {
                hi = x;
            }
        };
        match (&col.vals, col.nulls.is_some()) {
            (Num::F(v), false) => rows.iter().for_each(|&r| widen(v[r as usize])),
            _ => rows.iter().filter(|&&r| col.is_valid(r as usize)).for_each(|&r| widen(col.f64_at(r as usize))),
        }
        (self.min, self.max) = (lo, hi);
    }
}

/// Weighted bucket counts per slot (`layout.n` per slot): dense while that stays under 32 MB,
/// else sparse (only the (slot, bucket) pairs that occur, so memory stays bounded by the rows).
#[derive(Debug, Clone)]
pub struct HeatCounts {
    pub layout: Layout,
    counts: Counts,
}

#[derive(Debug, Clone)]
enum Counts {
    Dense(Vec<f64>),
    Sparse(hashbrown::HashMap<u64, f64>),
}

const DENSE_MAX: usize = 1 << 22;

impl HeatCounts {
    pub fn new(layout: Layout, slots: usize) -> HeatCounts {
        let n = slots.saturating_mul(layout.n);
        let counts = if n <= DENSE_MAX { Counts::Dense(vec![0.0; n]) } else { Counts::Sparse(hashbrown::HashMap::new()) };
        HeatCounts { layout, counts }
    }

    #[inline(always)]
    pub fn add(&mut self, slot: usize, bucket: usize, w: f64) {
        let at = slot * self.layout.n + bucket;
        match &mut self.counts {
            Counts::Dense(c) => c[at] += w,
            Counts::Sparse(m) => *m.entry(at as u64).or_insert(0.0) += w,
        }
    }

    /// The counts as one slice (slot × `layout.n` + bucket), when dense.
    pub fn dense_mut(&mut self) -> Option<&mut [f64]> {
        match &mut self.counts {
            Counts::Dense(c) => Some(c),
            Counts::Sparse(_) => None,
        }
    }

    /// Add each group of `per` consecutive slots of `self` into one slot of `into` (totals from
    /// series cells: slot `p · per + b` adds into slot `p`).
    pub fn sum_into(&self, into: &mut HeatCounts, per: usize) {
        let n = self.layout.n;
        let per = per.max(1);
        match &self.counts {
            Counts::Dense(c) => {
                for (cell, counts) in c.chunks_exact(n).enumerate() {
                    for (b, x) in counts.iter().enumerate() {
                        if *x != 0.0 {
                            into.add(cell / per, b, *x);
                        }
                    }
                }
            }
            Counts::Sparse(m) => {
                for (&at, x) in m {
                    let at = at as usize;
                    into.add(at / n / per, at % n, *x);
                }
            }
        }
    }

    /// The slot's histogram; `None` when it has no values.
    pub fn histogram(&self, slot: usize) -> Option<Histogram> {
        let n = self.layout.n;
        let counts: Vec<f64> = match &self.counts {
            Counts::Dense(c) => c.get(slot * n..(slot + 1) * n)?.to_vec(),
            Counts::Sparse(m) => (0..n).map(|b| m.get(&((slot * n + b) as u64)).copied().unwrap_or(0.0)).collect(),
        };
        counts.iter().any(|x| *x > 0.0).then_some(Histogram { layout: self.layout, counts })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn linear_edges_and_indexes() {
        let l = Layout::new(0.0, 100.0, Scale::Linear);
        assert_eq!((l.n, l.width, l.log), (50, 2.0, false));
        assert_eq!(l.index(0.0), 0);
        assert_eq!(l.index(1.99), 0);
        assert_eq!(l.index(2.0), 1);
        assert_eq!(l.index(100.0), 49);
        assert_eq!((l.lower(1), l.upper(1)), (2.0, 4.0));
        assert_eq!(l.upper(49), 100.0);
    }

    #[test]
    fn log_edges_grow_by_a_constant_factor() {
        // 1 … 10^5 over 50 buckets: 10 per decade, each edge 10^0.1 times the one before.
        let l = Layout::new(1.0, 100_000.0, Scale::Log);
        assert!(l.log);
        assert!((l.width - 0.1).abs() < 1e-12);
        assert_eq!(l.index(1.0), 0);
        assert_eq!(l.index(10.0 - 1e-9), 9);
        assert_eq!(l.index(10.0 + 1e-9), 10);
        assert_eq!(l.index(1000.5), 30);
        assert_eq!(l.index(100_000.0), 49);
        assert!((l.lower(10) - 10.0).abs() < 1e-9);
        assert!((l.lower(20) - 100.0).abs() < 1e-9);
        assert_eq!(l.upper(49), 100_000.0);
        let h = Histogram::build(&[1.0, 5.0, 50.0, 500.0, 99_999.0], None, l);
        assert_eq!(h.total(), 5.0);
        assert_eq!(h.counts[0] + h.counts[6] + h.counts[16] + h.counts[26] + h.counts[49], 5.0);
        assert_eq!(h.to_json()["scale"], "log");
    }

    #[test]
    fn latency_like_columns_default_to_log() {
        for c in ["duration_ms", "http.response.latency", "db.elapsed", "DurationNano", "response_size", "rpc_us"] {
            assert_eq!(Scale::auto_for(c), Scale::Log, "{c}");
        }
        for c in ["http.status_code", "user.id", "count", "region"] {
            assert_eq!(Scale::auto_for(c), Scale::Linear, "{c}");
        }
    }

    #[test]
    fn log_falls_back_to_linear_without_positive_min() {
        for lo in [0.0, -3.0] {
            let l = Layout::new(lo, 10.0, Scale::Log);
            assert!(!l.log, "min {lo}");
            assert_eq!(l.lower(0), lo);
            assert!(Histogram::build(&[lo, 10.0], None, l).to_json().get("scale").is_none());
        }
        let one = Layout::new(7.0, 7.0, Scale::Log);
        assert_eq!((one.n, one.index(7.0)), (1, 0));
    }
}
