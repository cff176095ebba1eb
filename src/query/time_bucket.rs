//! Time buckets of a series: which `step`-long bucket from `lo` an event time falls in.
//!
//! Every selected row needs its bucket, and a 64-bit integer division per row is one of the
//! slowest instructions there is (tens of cycles, in wasm as natively). A multiplication by the
//! reciprocal gives the quotient to within one, and one correction step makes it exact.

/// Buckets of `step` ms from `lo` ms.
#[derive(Debug, Clone, Copy)]
pub struct TimeBuckets {
    lo: i64,
    step: i64,
    inv: f64,
}

impl TimeBuckets {
    pub fn new(lo: i64, step: i64) -> TimeBuckets {
        let step = step.max(1);
        TimeBuckets { lo, step, inv: 1.0 / step as f64 }
    }

    /// The bucket of time `t` (`t ≥ lo`, as for every row of a query's time range): exactly
    /// `(t − lo) / step` (a series has far fewer than 2^32 buckets).
    #[inline(always)]
    pub fn of(&self, t: i64) -> u32 {
        let d = t.wrapping_sub(self.lo);
        // Exact for d < 2^53 up to the rounding of one multiplication: off by at most one.
        let mut q = (d as f64 * self.inv) as i64;
        let r = d - q * self.step;
        if r < 0 {
            q -= 1;
        } else if r >= self.step {
            q += 1;
        }
        q as u32
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn equals_integer_division_at_every_edge() {
        let lo = 1_793_512_800_000;
        for step in [1, 7, 1000, 60_000, 86_400_000, 3_600_000 * 24 * 7, 999_983] {
            let b = TimeBuckets::new(lo, step);
            for k in [0i64, 1, 2, 59, 1439, 100_000, 4_000_000] {
                for off in [-1i64, 0, 1] {
                    let d = k * step + off;
                    if d < 0 {
                        continue;
                    }
                    assert_eq!(b.of(lo + d) as i64, d / step, "step {step}, d {d}");
                }
            }
            // A spread of offsets from a simple generator.
            let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
            for _ in 0..20_000 {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                let d = (x % (1 << 42)) as i64;
                if d / step > u32::MAX as i64 {
                    continue; // more buckets than a series may have
                }
                assert_eq!(b.of(lo + d) as i64, d / step, "step {step}, d {d}");
            }
        }
    }
}
