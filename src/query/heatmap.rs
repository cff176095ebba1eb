//! HEATMAP's bucket layout.
//!
//! Every HEATMAP result of one query (totals and every series point, every group) shares one
//! layout: [`HEATMAP_BUCKETS`] equal-width buckets from the smallest to the largest non-null value
//! of the column among the query's matching rows. Bucket `i` covers `[min + i·w, min + (i+1)·w)`;
//! the last bucket also holds `max`. When min = max there is one bucket. Counts are weighted by
//! the sample rate when weighting is on, so they add up to the weighted number of non-null values.
//! JSON: `{"min": m, "max": M, "bucket_width": w, "counts": [c0, c1, …]}`.

use serde_json::{json, Value as Json};

use crate::value::float_json;

pub const HEATMAP_BUCKETS: usize = 50;

#[derive(Debug, Clone, PartialEq)]
pub struct Histogram {
    pub min: f64,
    pub max: f64,
    pub width: f64,
    pub counts: Vec<f64>,
}

impl Histogram {
    pub fn buckets_for(lo: f64, hi: f64) -> (usize, f64) {
        if !(hi > lo) || !lo.is_finite() || !hi.is_finite() {
            return (1, 0.0);
        }
        (HEATMAP_BUCKETS, (hi - lo) / HEATMAP_BUCKETS as f64)
    }

    /// Bucket index of `x` in the layout (lo, n, width).
    #[inline]
    pub fn index(x: f64, lo: f64, n: usize, width: f64) -> usize {
        if width <= 0.0 {
            return 0;
        }
        (((x - lo) / width).floor().max(0.0) as usize).min(n - 1)
    }

    pub fn build(values: &[f64], weights: Option<&[f64]>, lo: f64, hi: f64) -> Histogram {
        let (n, width) = Self::buckets_for(lo, hi);
        let mut counts = vec![0.0; n];
        match weights {
            None => values.iter().for_each(|x| counts[Self::index(*x, lo, n, width)] += 1.0),
            Some(w) => values.iter().zip(w).for_each(|(x, w)| counts[Self::index(*x, lo, n, width)] += w),
        }
        Histogram { min: lo, max: hi, width, counts }
    }

    /// Lower edge of bucket `i`.
    pub fn lower(&self, i: usize) -> f64 {
        self.min + i as f64 * self.width
    }

    pub fn total(&self) -> f64 {
        self.counts.iter().sum()
    }

    pub fn to_json(&self) -> Json {
        json!({
            "min": float_json(self.min),
            "max": float_json(self.max),
            "bucket_width": float_json(self.width),
            "counts": self.counts.iter().map(|c| float_json(*c)).collect::<Vec<_>>(),
        })
    }
}
