//! Accumulators: one pass over the selected rows per batch feeds every calculation. Calculations
//! that read the same column share one accumulator (AVG, SUM, MIN, MAX share [`Moments`]; all
//! percentiles and HEATMAP of a column share [`Values`]). Slots are group ids (totals) or dense
//! group × time-bucket cells (series).

use arrow_array::{Array, RecordBatch};
use hashbrown::{HashMap, HashSet};

use super::column::{numeric, strings, Kind, Num};
use super::intern::StrInterner;
use crate::dataset::StringCodes;
use std::sync::Arc;
use super::heatmap::{Histogram, Layout};
use super::select;

/// What one batch contributes: the selected rows, their slots, and the rows' weights.
pub struct Input<'a> {
    /// Which batch of the data set (for per-batch caches such as string codes).
    pub bi: usize,
    pub batch: &'a RecordBatch,
    pub rows: &'a [u32],
    pub slots: &'a [u32],
    /// Per batch row (indexed by row, not by position in `rows`); `None` means every row weighs 1.
    pub weights: Option<&'a [f64]>,
    /// Per selected row: time bucket (only for time-aware accumulators).
    pub buckets: &'a [u32],
    /// Per batch row: event time in ms (only for time-aware accumulators).
    pub times: Option<&'a [i64]>,
}

impl Input<'_> {
    #[inline]
    fn w(&self, row: u32) -> f64 {
        self.weights.map_or(1.0, |w| w[row as usize])
    }
}

/// A calculation's value for one slot.
#[derive(Debug, Clone, PartialEq)]
pub enum Output {
    Null,
    Int(i64),
    Float(f64),
    /// Boxed: a group's output is 16 bytes, not a histogram's 70 (a query's outputs are one
    /// flat list over every group, 200,000 of them for a GROUP BY on user ids).
    Heatmap(Box<Histogram>),
}

impl Output {
    pub fn heatmap(h: Histogram) -> Output {
        Output::Heatmap(Box::new(h))
    }

    pub fn as_f64(&self) -> Option<f64> {
        match self {
            Output::Int(i) => Some(*i as f64),
            Output::Float(f) => Some(*f),
            _ => None,
        }
    }
}

fn grow<T: Clone>(v: &mut Vec<T>, n: usize, fill: T) {
    if v.len() < n {
        v.resize(n, fill);
    }
}

/// Σ w[r] over `rows`, in four independent sums (no chain of dependent additions).
#[inline]
fn sum_at(w: &[f64], rows: &[u32]) -> f64 {
    let mut acc = [0.0f64; 4];
    let mut chunks = rows.chunks_exact(4);
    for c in &mut chunks {
        acc[0] += w[c[0] as usize];
        acc[1] += w[c[1] as usize];
        acc[2] += w[c[2] as usize];
        acc[3] += w[c[3] as usize];
    }
    let tail: f64 = chunks.remainder().iter().map(|&r| w[r as usize]).sum();
    (acc[0] + acc[1]) + (acc[2] + acc[3]) + tail
}

/// Σw over rows, per slot: COUNT, and the row count that decides which groups exist.
#[derive(Default)]
pub struct Rows {
    pub weight: Vec<f64>,
    pub rows: Vec<u64>,
}

impl Rows {
    pub fn update(&mut self, n: usize, input: &Input) {
        // Weights only when there are any: unweighted, `count` reads the rows alone.
        if input.weights.is_some() {
            grow(&mut self.weight, n, 0.0);
        }
        grow(&mut self.rows, n, 0);
        // Rows of one slot often come in runs (one group; time buckets of time-ordered data):
        // each run is summed in registers and added once, instead of a read-modify-write of the
        // same slot per row.
        let (rows, slots) = (input.rows, input.slots);
        let mut i = 0;
        while i < slots.len() {
            let s = slots[i];
            let mut j = i + 1;
            while j < slots.len() && slots[j] == s {
                j += 1;
            }
            self.rows[s as usize] += (j - i) as u64;
            if let Some(w) = input.weights {
                self.weight[s as usize] += sum_at(w, &rows[i..j]);
            }
            i = j;
        }
    }
    pub fn count(&self, slot: usize, weighted: bool, integral: bool) -> Output {
        let rows = self.rows.get(slot).copied().unwrap_or(0);
        if !weighted {
            return Output::Int(rows as i64);
        }
        let w = self.weight.get(slot).copied().unwrap_or(0.0);
        if integral { Output::Int(w.round() as i64) } else { Output::Float(w) }
    }
}

/// Σx·w, Σw, min, max of a numeric column per slot (SUM, AVG, MIN, MAX).
pub struct Moments {
    pub column: usize,
    int_column: bool,
    sum: Vec<f64>,
    /// Exact sums for integer columns with integral weights.
    isum: Vec<i128>,
    weight: Vec<f64>,
    min: Vec<f64>,
    max: Vec<f64>,
    imin: Vec<i64>,
    imax: Vec<i64>,
    seen: Vec<bool>,
}

impl Moments {
    pub fn new(column: usize, kind: Kind) -> Self {
        Moments {
            column,
            int_column: kind == Kind::Int,
            sum: Vec::new(),
            isum: Vec::new(),
            weight: Vec::new(),
            min: Vec::new(),
            max: Vec::new(),
            imin: Vec::new(),
            imax: Vec::new(),
            seen: Vec::new(),
        }
    }

    pub fn update(&mut self, n: usize, input: &Input) {
        grow(&mut self.sum, n, 0.0);
        grow(&mut self.isum, n, 0);
        grow(&mut self.weight, n, 0.0);
        grow(&mut self.min, n, f64::INFINITY);
        grow(&mut self.max, n, f64::NEG_INFINITY);
        grow(&mut self.imin, n, i64::MAX);
        grow(&mut self.imax, n, i64::MIN);
        grow(&mut self.seen, n, false);
        let col = input.batch.column(self.column);
        let Some(nc) = numeric(col) else { return };
        match &nc.vals {
            Num::I(v) => {
                for (&r, &s) in input.rows.iter().zip(input.slots) {
                    if !nc.is_valid(r as usize) {
                        continue;
                    }
                    let (x, w, s) = (v[r as usize], input.w(r), s as usize);
                    self.isum[s] += x as i128 * w as i128;
                    self.sum[s] += x as f64 * w;
                    self.weight[s] += w;
                    self.imin[s] = self.imin[s].min(x);
                    self.imax[s] = self.imax[s].max(x);
                    self.seen[s] = true;
                }
            }
            Num::F(v) => {
                for (&r, &s) in input.rows.iter().zip(input.slots) {
                    if !nc.is_valid(r as usize) {
                        continue;
                    }
                    let (x, w, s) = (v[r as usize], input.w(r), s as usize);
                    self.sum[s] += x * w;
                    self.weight[s] += w;
                    // Comparisons, not f64::min/max (calls to fmin/fmax in wasm); NaN ignored alike.
                    if x < self.min[s] {
                        self.min[s] = x;
                    }
                    if x > self.max[s] {
                        self.max[s] = x;
                    }
                    self.seen[s] = true;
                }
            }
        }
    }

    pub fn kind(&self) -> Kind {
        if self.int_column { Kind::Int } else { Kind::Float }
    }

    fn seen(&self, s: usize) -> bool {
        self.seen.get(s).copied().unwrap_or(false)
    }

    pub fn sum(&self, s: usize, integral_weights: bool) -> Output {
        if !self.seen(s) {
            return Output::Null;
        }
        if self.int_column && integral_weights {
            let v = self.isum[s];
            return i64::try_from(v).map(Output::Int).unwrap_or(Output::Float(v as f64));
        }
        Output::Float(self.sum[s])
    }
    pub fn avg(&self, s: usize) -> Output {
        if !self.seen(s) || self.weight[s] == 0.0 {
            return Output::Null;
        }
        Output::Float(self.sum[s] / self.weight[s])
    }
    pub fn min(&self, s: usize) -> Output {
        if !self.seen(s) {
            Output::Null
        } else if self.int_column {
            Output::Int(self.imin[s])
        } else {
            Output::Float(self.min[s])
        }
    }
    pub fn max(&self, s: usize) -> Output {
        if !self.seen(s) {
            Output::Null
        } else if self.int_column {
            Output::Int(self.imax[s])
        } else {
            Output::Float(self.max[s])
        }
    }
}

/// Exact COUNT_DISTINCT of any column's non-null values (not weighted, as in Honeycomb).
pub struct Distinct {
    pub column: usize,
    /// The data set's codes for a plain string column, when it has them.
    pub cached: Option<Arc<StringCodes>>,
    strings: StrInterner,
    sets: Vec<HashSet<u64>>,
    /// With cached codes and few groups: one bit per (group, code) instead of hash sets.
    bits: Vec<Vec<u64>>,
    codes: Vec<u32>,
}

/// Bitsets are used while groups × codes stays under this many bits (8 MB).
const MAX_BITS: usize = 64 << 20;

impl Distinct {
    pub fn new(column: usize, cached: Option<Arc<StringCodes>>) -> Self {
        Distinct { column, cached, strings: StrInterner::new(), sets: Vec::new(), bits: Vec::new(), codes: Vec::new() }
    }

    pub fn update(&mut self, n: usize, input: &Input) {
        if let Some(cached) = &self.cached {
            let codes = &cached.batches[input.bi];
            let words = (cached.interner.len() + 1).div_ceil(64);
            if self.sets.iter().all(HashSet::is_empty) && n.saturating_mul(words * 64) <= MAX_BITS {
                if self.bits.len() < n {
                    self.bits.resize_with(n, || vec![0u64; words]);
                }
                for (&r, &s) in input.rows.iter().zip(input.slots) {
                    let c = codes[r as usize] as usize;
                    // Code 0 is null: its bit is set but never counted.
                    self.bits[s as usize][c >> 6] |= 1 << (c & 63);
                }
                return;
            }
            // Too many groups for bitsets: move what they hold into hash sets.
            if self.sets.len() < n {
                self.sets.resize_with(n, HashSet::new);
            }
            for (g, b) in std::mem::take(&mut self.bits).into_iter().enumerate() {
                for (w, word) in b.iter().enumerate() {
                    let mut x = *word;
                    while x != 0 {
                        let c = (w * 64 + x.trailing_zeros() as usize) as u64;
                        if c != 0 {
                            self.sets[g].insert(c);
                        }
                        x &= x - 1;
                    }
                }
            }
            for (&r, &s) in input.rows.iter().zip(input.slots) {
                let c = codes[r as usize];
                if c != 0 {
                    self.sets[s as usize].insert(c as u64);
                }
            }
            return;
        }
        if self.sets.len() < n {
            self.sets.resize_with(n, HashSet::new);
        }
        let col = input.batch.column(self.column);
        let nulls = super::column::nulls_of(col.as_ref());
        let valid = |i: u32| nulls.as_ref().map_or(true, |n| n.is_valid(i as usize));
        if let Some(sc) = strings(col) {
            // Codes from 1; 0 marks a null, which is not counted.
            self.codes.clear();
            self.strings.intern_rows(&sc, input.rows, 1, 0, &mut self.codes);
            for (&c, &s) in self.codes.iter().zip(input.slots) {
                if c != 0 {
                    self.sets[s as usize].insert(c as u64);
                }
            }
        } else if let Some(nc) = numeric(col) {
            for (&r, &s) in input.rows.iter().zip(input.slots) {
                if nc.is_valid(r as usize) {
                    let key = match &nc.vals {
                        Num::I(v) => v[r as usize] as u64,
                        Num::F(v) => {
                            let x = v[r as usize];
                            if x == 0.0 { 0 } else { x.to_bits() }
                        }
                    };
                    self.sets[s as usize].insert(key);
                }
            }
        } else if let Some(b) = col.as_any().downcast_ref::<arrow_array::BooleanArray>() {
            for (&r, &s) in input.rows.iter().zip(input.slots) {
                if valid(r) {
                    self.sets[s as usize].insert(b.value(r as usize) as u64);
                }
            }
        } else {
            // Nested or binary values: distinct by their text form.
            let fmt = arrow_cast_free_text(col);
            for (&r, &s) in input.rows.iter().zip(input.slots) {
                if valid(r) {
                    let c = self.strings.intern(&fmt(r as usize)) as u64;
                    self.sets[s as usize].insert(c);
                }
            }
        }
    }

    pub fn count(&self, s: usize) -> Output {
        if let Some(b) = self.bits.get(s) {
            let ones: u32 = b.iter().map(|w| w.count_ones()).sum();
            return Output::Int((ones - (b[0] & 1) as u32) as i64);
        }
        Output::Int(self.sets.get(s).map_or(0, |x| x.len()) as i64)
    }
}

/// A row's value as text for columns without a simpler view (uses the array's debug form).
fn arrow_cast_free_text(col: &arrow_array::ArrayRef) -> impl Fn(usize) -> String + '_ {
    move |i| format!("{:?}", col.slice(i, 1))
}

/// Every non-null value of a numeric column per slot, with weights: percentiles and HEATMAP.
pub struct Values {
    pub column: usize,
    vals: Vec<Vec<f64>>,
    weights: Vec<Vec<f64>>,
    weighted: bool,
    pub min: f64,
    pub max: f64,
}

impl Values {
    pub fn new(column: usize, weighted: bool) -> Self {
        Values { column, vals: Vec::new(), weights: Vec::new(), weighted, min: f64::INFINITY, max: f64::NEG_INFINITY }
    }

    pub fn update(&mut self, n: usize, input: &Input) {
        if self.vals.len() < n {
            self.vals.resize_with(n, Vec::new);
            if self.weighted {
                self.weights.resize_with(n, Vec::new);
            }
        }
        let col = input.batch.column(self.column);
        let Some(nc) = numeric(col) else { return };
        let v = nc.to_f64();
        for (&r, &s) in input.rows.iter().zip(input.slots) {
            if !nc.is_valid(r as usize) {
                continue;
            }
            let x = v[r as usize];
            if x < self.min {
                self.min = x;
            }
            if x > self.max {
                self.max = x;
            }
            self.vals[s as usize].push(x);
            if self.weighted {
                self.weights[s as usize].push(input.w(r));
            }
        }
    }

    /// Order a slot's values for reading percentiles: with `quantiles` (every quantile this
    /// column serves, when nothing else reads it) selections put the order statistics they need
    /// in place in O(n) each (unweighted; weighted, for one quantile); otherwise the values (with
    /// their weights) are sorted.
    pub fn prepare_slot(&mut self, s: usize, quantiles: Option<&[f64]>) {
        // Unpaced work is never stopped.
        let _ = crate::pace::finish(self.prepare_slot_paced(s, quantiles, &mut crate::pace::Pace::unpaced()));
    }

    /// [`Values::prepare_slot`], a selection's partition rounds over a large slot (millions of
    /// values in one group) being steps of `pace`.
    pub async fn prepare_slot_paced(&mut self, s: usize, quantiles: Option<&[f64]>, pace: &mut crate::pace::Pace<'_>) -> crate::Result<()> {
        let big = self.vals.get(s).is_some_and(|v| v.len() > 2);
        match quantiles {
            Some(ps) if big && !self.weighted => self.select(s, ps, pace).await,
            // Weighted, each quantile's search is a few passes over (value, weight) pairs: for more
            // than one, sorting the pairs once costs less (natively, the demo's weighted P50, P95,
            // P99 by service took 9 → 11 ms with three searches each).
            Some(&[p]) if big => self.select_weighted(s, p, pace).await,
            _ => self.sort_slot_paced(s, pace).await,
        }
    }

    /// Unweighted: put in place the two order statistics [`Values::percentile`] reads for each of
    /// `ps` (x[⌊h⌋] and x[⌊h⌋+1]), in ascending order, each selected among the values after the
    /// one before it (no smaller value follows a placed one): P50, P95 and P99 of n values cost
    /// about 2n steps of partitioning where a sort costs n·log n.
    async fn select(&mut self, s: usize, ps: &[f64], pace: &mut crate::pace::Pace<'_>) -> crate::Result<()> {
        let Some(v) = self.vals.get_mut(s) else { return Ok(()) };
        let n = v.len();
        let mut ks: Vec<usize> = ps.iter().flat_map(|p| {
            let lo = ((n - 1) as f64 * p).floor() as usize;
            [lo, (lo + 1).min(n - 1)]
        }).collect();
        ks.sort_unstable();
        ks.dedup();
        let mut start = 0;
        for k in ks {
            select::nth(&mut v[start..], k - start, pace).await?;
            start = k + 1;
        }
        Ok(())
    }

    /// Weighted, one quantile: arrange the slot so [`Values::percentile`]'s running-weight scan
    /// finds the two values it reads without sorting: everything below the lower one, the lower
    /// one's copies, everything between, the upper one's copies, the rest (each part unordered).
    /// The scan cannot stop inside an unordered part: its running weight there stays at or below
    /// the position it looks for.
    async fn select_weighted(&mut self, s: usize, p: f64, pace: &mut crate::pace::Pace<'_>) -> crate::Result<()> {
        let (v, w) = (&mut self.vals[s], &mut self.weights[s]);
        let total: f64 = w.iter().sum();
        if total <= 0.0 {
            return Ok(());
        }
        let h = (total - 1.0).max(0.0) * p;
        let k = h.floor();
        let mut pairs: Vec<(f64, f64)> = v.iter().copied().zip(w.iter().copied()).collect();
        let lo = select::weighted_at(&mut pairs, k, pace).await?;
        let hi = select::weighted_at(&mut pairs, (k + 1.0).min(total - 1.0).max(k), pace).await?;
        // [< lo][= lo][> lo], then inside the last part [< hi][= hi][> hi].
        let after_lo = select::partition3(&mut pairs, lo, |p| p.0).1;
        select::partition3(&mut pairs[after_lo..], hi, |p| p.0);
        for (i, (x, wx)) in pairs.into_iter().enumerate() {
            v[i] = x;
            w[i] = wx;
        }
        Ok(())
    }

    /// Sort each slot's values (with their weights) so percentiles read them directly.
    pub fn sort_slot(&mut self, s: usize) {
        // Unpaced work is never stopped.
        let _ = crate::pace::finish(self.sort_slot_paced(s, &mut crate::pace::Pace::unpaced()));
    }

    /// [`Values::sort_slot`] in steps over a large slot (see [`select::sort`]).
    async fn sort_slot_paced(&mut self, s: usize, pace: &mut crate::pace::Pace<'_>) -> crate::Result<()> {
        let Some(v) = self.vals.get_mut(s) else { return Ok(()) };
        if self.weighted {
            // Sort (value, weight) pairs together: no index indirection in the comparisons.
            let w = &mut self.weights[s];
            let mut pairs: Vec<(f64, f64)> = v.iter().copied().zip(w.iter().copied()).collect();
            select::sort(&mut pairs, |p| p.0, pace).await?;
            for (i, (x, wx)) in pairs.into_iter().enumerate() {
                v[i] = x;
                w[i] = wx;
            }
        } else {
            select::sort(v, |x| *x, pace).await?;
        }
        Ok(())
    }

    /// Percentile by linear interpolation (DuckDB `quantile_cont`): h = (n−1)·p over values
    /// sorted by [`Values::sort_slot`]. Weighted values count as `w` copies of themselves.
    pub fn percentile(&self, s: usize, p: f64) -> Output {
        let Some(v) = self.vals.get(s).filter(|v| !v.is_empty()) else { return Output::Null };
        if !self.weighted {
            let h = (v.len() - 1) as f64 * p;
            let lo = h.floor() as usize;
            let hi = (lo + 1).min(v.len() - 1);
            return Output::Float(v[lo] + (h - lo as f64) * (v[hi] - v[lo]));
        }
        let w = &self.weights[s];
        let total: f64 = w.iter().sum();
        if total <= 0.0 {
            return Output::Null;
        }
        let h = (total - 1.0).max(0.0) * p;
        let k = h.floor();
        let at = |pos: f64| -> f64 {
            let mut acc = 0.0;
            for (x, wi) in v.iter().zip(w) {
                acc += wi;
                if pos < acc {
                    return *x;
                }
            }
            *v.last().unwrap_or(&f64::NAN)
        };
        let lo = at(k);
        let hi = at((k + 1.0).min(total - 1.0).max(k));
        Output::Float(lo + (h - k) * (hi - lo))
    }

    pub fn histogram(&self, s: usize, layout: Layout) -> Output {
        let Some(v) = self.vals.get(s).filter(|v| !v.is_empty()) else { return Output::Null };
        let w = self.weighted.then(|| self.weights[s].as_slice());
        Output::heatmap(Histogram::build(v, w, layout))
    }
}


/// Per (slot, time bucket) partial aggregates for CONCURRENCY and RATE_*.
pub struct Timed {
    pub column: Option<usize>,
    pub kind: TimedKind,
    /// (slot, bucket) → (Σx·w, Σw, max, concurrency delta)
    cells: HashMap<u32, HashMap<u32, [f64; 4]>>,
    pub bucket_ms: i64,
    pub start_ms: i64,
    pub buckets: u32,
}

#[derive(Clone, Copy, PartialEq, Eq)]
pub enum TimedKind {
    Concurrency,
    RateAvg,
    RateSum,
    RateMax,
}

impl Timed {
    pub fn new(column: Option<usize>, kind: TimedKind, start_ms: i64, bucket_ms: i64, buckets: u32) -> Self {
        Timed { column, kind, cells: HashMap::new(), bucket_ms, start_ms, buckets }
    }

    /// Add partial aggregates computed elsewhere (a ClickHouse push-down): for slot `slot` and
    /// bucket `bucket`, (Σx·w, Σw, max, concurrency delta), as [`Timed::update`] keeps them.
    pub fn add_cell(&mut self, slot: u32, bucket: u32, cell: [f64; 4]) {
        let c = self.cells.entry(slot).or_default().entry(bucket).or_insert([0.0, 0.0, f64::NEG_INFINITY, 0.0]);
        c[0] += cell[0];
        c[1] += cell[1];
        c[2] = c[2].max(cell[2]);
        c[3] += cell[3];
    }

    pub fn update(&mut self, input: &Input) {
        let Some(col) = self.column.map(|c| input.batch.column(c)) else { return };
        let Some(nc) = numeric(col) else { return };
        match self.kind {
            TimedKind::Concurrency => {
                // `column` is the span duration in ms: the span covers [t, t + d]; a bucket
                // [b0, b0 + g) counts it when t < b0 + g and t + d >= b0.
                let Some(times) = input.times else { return };
                for (&r, &s) in input.rows.iter().zip(input.slots) {
                    let d = if nc.is_valid(r as usize) { nc.f64_at(r as usize).max(0.0) } else { 0.0 };
                    let t = times[r as usize];
                    let first = ((t - self.start_ms).div_euclid(self.bucket_ms)).max(0) as u32;
                    let end = t as f64 + d;
                    let last_f = ((end - self.start_ms as f64) / self.bucket_ms as f64).floor();
                    let last = (last_f.max(0.0) as u64).min(self.buckets.saturating_sub(1) as u64) as u32;
                    let w = input.w(r);
                    self.cells.entry(s).or_default().entry(first).or_insert([0.0; 4])[3] += w;
                    if last + 1 < self.buckets {
                        self.cells.entry(s).or_default().entry(last + 1).or_insert([0.0; 4])[3] -= w;
                    }
                }
            }
            _ => {
                for ((&r, &s), &b) in input.rows.iter().zip(input.slots).zip(input.buckets) {
                    if !nc.is_valid(r as usize) {
                        continue;
                    }
                    let (x, w) = (nc.f64_at(r as usize), input.w(r));
                    let c = self.cells.entry(s).or_default().entry(b).or_insert([0.0, 0.0, f64::NEG_INFINITY, 0.0]);
                    c[0] += x * w;
                    c[1] += w;
                    c[2] = c[2].max(x);
                }
            }
        }
    }

    /// Per-bucket values of one slot, in bucket order: (bucket, value).
    pub fn series(&self, slot: u32) -> Vec<(u32, f64)> {
        let Some(slot_cells) = self.cells.get(&slot) else { return Vec::new() };
        let mut cells: Vec<(u32, [f64; 4])> = slot_cells.iter().map(|(b, c)| (*b, *c)).collect();
        cells.sort_unstable_by_key(|(b, _)| *b);
        match self.kind {
            TimedKind::Concurrency => {
                let mut out = Vec::new();
                let mut acc = 0.0;
                let mut next = 0usize;
                for b in 0..self.buckets {
                    while next < cells.len() && cells[next].0 == b {
                        acc += cells[next].1[3];
                        next += 1;
                    }
                    out.push((b, acc));
                }
                out
            }
            kind => {
                let value = |c: &[f64; 4]| match kind {
                    TimedKind::RateAvg => c[0] / c[1],
                    TimedKind::RateSum => c[0],
                    _ => c[2],
                };
                let g = self.bucket_ms as f64 / 1000.0;
                cells.windows(2).filter(|p| p[1].0 == p[0].0 + 1).map(|p| (p[1].0, (value(&p[1].1) - value(&p[0].1)) / g)).collect()
            }
        }
    }

    /// Totals: peak concurrency over the buckets; for rates, the mean of the per-bucket rates.
    pub fn total(&self, slot: u32) -> Output {
        let s = self.series(slot);
        if s.is_empty() {
            return Output::Null;
        }
        match self.kind {
            TimedKind::Concurrency => Output::Float(s.iter().map(|x| x.1).fold(0.0, f64::max)),
            _ => Output::Float(s.iter().map(|x| x.1).sum::<f64>() / s.len() as f64),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Percentiles read after the selections for a set of quantiles (a query's P50, P95, P99 of
    /// one column) equal those read after a full sort, weighted and not: many sizes, duplicates,
    /// infinities and NaN, quantiles at the ends, repeated, adjacent and out of order.
    #[test]
    fn selections_for_several_quantiles_equal_sorting() {
        let mut next = crate::xorshift(0x9E37_79B9_7F4A_7C15);
        let sets: [&[f64]; 6] = [&[0.5, 0.95, 0.99], &[0.99, 0.5, 0.95, 0.5], &[0.0, 1.0], &[0.001, 0.01, 0.05, 0.1, 0.2, 0.25, 0.5, 0.75, 0.8, 0.9, 0.95, 0.99, 0.999], &[0.5], &[0.999, 0.9991]];
        let bits = |o: Output| match o {
            Output::Float(x) => Some(x.to_bits()),
            _ => None,
        };
        // Also a few values in every order: the value after a placed one must be the least of
        // the rest in the total order, where NaN is above infinity.
        let few = [1.0, 2.0, f64::NAN, f64::INFINITY, f64::NAN];
        let mut cases: Vec<Vec<f64>> = (0..few.len()).map(|r| few.iter().cycle().skip(r).take(few.len()).copied().collect()).collect();
        cases.extend((0..few.len()).map(|r| few.iter().rev().cycle().skip(r).take(few.len()).copied().collect()));
        let mut inputs: Vec<(usize, Option<Vec<f64>>)> = [3usize, 4, 7, 64, 100, 1000, 70_000, 140_000].into_iter().map(|n| (n, None)).collect();
        inputs.extend(cases.drain(..).map(|c| (c.len(), Some(c))));
        for (n, case) in inputs {
            for weighted in [false, true] {
                for ps in sets.iter().copied().chain([&[0.3][..], &[0.6][..]]) {
                    let vals: Vec<f64> = case.clone().unwrap_or_else(|| (0..n)
                        .map(|_| match next() % 50 {
                            0 => f64::NAN,
                            1 => f64::INFINITY,
                            2 => f64::NEG_INFINITY,
                            r if r < 25 => (next() % 7) as f64,
                            _ => (next() % 100_000) as f64 / 8.0,
                        })
                        .collect());
                    let weights: Vec<f64> = (0..n).map(|_| [1.0, 1.0, 2.0, 10.0, 100.0][(next() % 5) as usize]).collect();
                    let make = || Values { column: 0, vals: vec![vals.clone()], weights: vec![weights.clone()], weighted, min: 0.0, max: 0.0 };
                    let (mut sorted, mut selected) = (make(), make());
                    sorted.sort_slot(0);
                    selected.prepare_slot(0, Some(ps));
                    for &p in ps {
                        let (got, want) = (selected.percentile(0, p), sorted.percentile(0, p));
                        assert!(bits(got.clone()).is_some(), "n {n}, p {p}");
                        assert_eq!(bits(got), bits(want), "n {n}, weighted {weighted}, quantiles {ps:?}, p {p}");
                    }
                    // The slot still holds the same values (and pairs).
                    let key = |v: &Values| {
                        let mut a: Vec<(u64, u64)> = v.vals[0].iter().zip(&v.weights[0]).map(|(x, w)| (x.to_bits(), w.to_bits())).collect();
                        a.sort();
                        a
                    };
                    if weighted {
                        assert_eq!(key(&selected), key(&make()));
                    } else {
                        let mut a: Vec<u64> = selected.vals[0].iter().map(|x| x.to_bits()).collect();
                        let mut b: Vec<u64> = vals.iter().map(|x| x.to_bits()).collect();
                        a.sort();
                        b.sort();
                        assert_eq!(a, b);
                    }
                }
            }
        }
    }

    /// Weighted percentiles read after a selection equal those read after a full sort: many
    /// sizes, duplicate values, integer and fractional-free weights, every kind of quantile.
    #[test]
    fn weighted_selection_equals_sorting() {
        let mut next = crate::xorshift(0x2545_F491_4F6C_DD1D);
        for n in [3usize, 5, 31, 33, 64, 100, 1000, 5000] {
            for &p in &[0.0, 0.001, 0.25, 0.5, 0.9, 0.99, 0.999, 1.0] {
                let vals: Vec<f64> = (0..n).map(|_| (next() % (n as u64 / 2 + 3)) as f64 * 0.5).collect();
                let weights: Vec<f64> = (0..n).map(|_| [1.0, 1.0, 2.0, 10.0, 100.0][(next() % 5) as usize]).collect();
                let make = || Values { column: 0, vals: vec![vals.clone()], weights: vec![weights.clone()], weighted: true, min: 0.0, max: 0.0 };
                let (mut sorted, mut selected) = (make(), make());
                sorted.sort_slot(0);
                selected.prepare_slot(0, Some(&[p]));
                assert_eq!(selected.percentile(0, p), sorted.percentile(0, p), "n {n}, p {p}");
                // The slot still holds the same pairs.
                let mut a: Vec<(u64, u64)> = selected.vals[0].iter().zip(&selected.weights[0]).map(|(v, w)| (v.to_bits(), w.to_bits())).collect();
                let mut b: Vec<(u64, u64)> = vals.iter().zip(&weights).map(|(v, w)| (v.to_bits(), w.to_bits())).collect();
                a.sort();
                b.sort();
                assert_eq!(a, b);
            }
        }
    }
}
