//! Time buckets of a series: which `step`-long bucket from `lo` an event time falls in.
//!
//! Every selected row needs its bucket, and a 64-bit division per row is among the slowest
//! instructions there is (in wasm as natively). Event times mostly come in time order, so
//! [`TimeBuckets::fill`] keeps the bucket it found last and divides only when a time falls
//! outside it: about once per bucket for ordered data, once per row at worst.

/// Buckets of `step` ms from `lo` ms.
#[derive(Debug, Clone, Copy)]
pub struct TimeBuckets {
    lo: i64,
    step: i64,
}

impl TimeBuckets {
    pub fn new(lo: i64, step: i64) -> TimeBuckets {
        TimeBuckets { lo, step: step.max(1) }
    }

    /// The bucket of time `t` (`t ≥ lo`, as for every row of a query's time range):
    /// `(t − lo) / step` (a series has far fewer than 2^32 buckets).
    #[inline]
    pub fn of(&self, t: i64) -> u32 {
        (t.wrapping_sub(self.lo) / self.step) as u32
    }

    /// Append the bucket of `times[r]` for each of `rows` to `out`.
    pub fn fill(&self, times: &[i64], rows: &[u32], out: &mut Vec<u32>) {
        let mut c = self.cursor();
        out.extend(rows.iter().map(|&r| c.at(times[r as usize])));
    }

    /// A lookup that remembers the last bucket (for loops that need buckets one row at a time).
    pub fn cursor(&self) -> Cursor {
        Cursor { tb: *self, start: 0, end: 0, b: 0 }
    }
}

/// [`TimeBuckets::of`] with the last bucket's `[start, end)` kept: a time inside it costs two
/// comparisons instead of a division.
pub struct Cursor {
    tb: TimeBuckets,
    start: i64,
    end: i64,
    b: u32,
}

impl Cursor {
    #[inline(always)]
    pub fn at(&mut self, t: i64) -> u32 {
        if t < self.start || t >= self.end {
            self.b = self.tb.of(t);
            self.start = self.tb.lo + self.b as i64 * self.tb.step;
            self.end = self.start.saturating_add(self.tb.step);
        }
        self.b
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fill_equals_division_in_order_and_out_of_order() {
        let lo = 1_793_512_800_000;
        let mut next = crate::xorshift(0x9E37_79B9_7F4A_7C15);
        for step in [1, 7, 1000, 60_000, 86_400_000] {
            let b = TimeBuckets::new(lo, step);
            // Sorted times with runs and gaps, then the same shuffled; edges of buckets included.
            let mut times: Vec<i64> = (0..5000).map(|i| lo + i * 997 % 400_000 + (next() % 3) as i64).collect();
            times.extend((0..50).flat_map(|k| [lo + k * step - 1, lo + k * step, lo + k * step + 1]).filter(|t| *t >= lo));
            times.sort();
            let mut shuffled = times.clone();
            for i in (1..shuffled.len()).rev() {
                shuffled.swap(i, (next() % (i as u64 + 1)) as usize);
            }
            for ts in [&times, &shuffled] {
                let rows: Vec<u32> = (0..ts.len() as u32).filter(|r| r % 3 != 1).collect();
                let mut out = Vec::new();
                b.fill(ts, &rows, &mut out);
                let want: Vec<u32> = rows.iter().map(|&r| ((ts[r as usize] - lo) / step) as u32).collect();
                assert_eq!(out, want, "step {step}");
            }
        }
    }
}
