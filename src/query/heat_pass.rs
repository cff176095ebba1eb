//! HEATMAP's second visit to the kept rows (a HEATMAP no percentile reads): with the layout
//! known from pass 1 ([`super::heatmap::HeatRange`]), each valid value in a kept group is bucketed
//! once into [`HeatCounts`]: series cells when there is a series (the group totals then being the
//! sums of their cells), else the groups' totals.

use super::column::numeric;
use super::heatmap::{HeatCounts, Layout};
use super::time_bucket::TimeBuckets;
use crate::dataset::DataSet;
use crate::error::Result;
use crate::pace::{Pace, Step};

/// Bucket `column`'s values in the kept groups (`pos[gid]`, their kept positions) by `layout`:
/// with a series `(lo, bucket_ms, buckets)` into (kept position, time bucket) cells, returned
/// with the totals summed from them and each cell's row count; without one into the totals
/// (slot = kept position).
#[allow(clippy::too_many_arguments)]
pub(super) async fn heat_pass(
    pace: &mut Pace<'_>,
    ds: &DataSet,
    weighted: bool,
    column: usize,
    layout: Layout,
    kept: &[(usize, Vec<u32>, Vec<u32>)],
    pos: &[u32],
    n_kept: usize,
    series: Option<(i64, i64, usize)>,
) -> Result<(HeatCounts, Option<HeatCounts>, Vec<u64>)> {
    let mut totals = HeatCounts::new(layout, n_kept);
    let mut cells = series.map(|(_, _, nb)| HeatCounts::new(layout, n_kept * nb));
    let mut cell_rows = vec![0u64; series.map_or(0, |(_, _, nb)| n_kept * nb)];
    for (i, (bi, sel, gids)) in kept.iter().enumerate() {
        pace.tick(Step { stage: "counting heatmap cells", done: i as u64, total: kept.len() as u64 }).await?;
        let batch = &ds.batches()[*bi];
        let Some(nc) = numeric(batch.column(column)) else { continue };
        let weights = if weighted { ds.weights(*bi) } else { None };
        let series = series.map(|(lo, gms, nb)| (TimeBuckets::new(lo, gms), nb));
        let rows = HeatRows { nc: &nc, sel, gids, pos, weights, times: ds.times(*bi).map(|t| t.values().as_ref()), series };
        // The log/linear choice is made once per batch, outside the row loop. With a series, rows
        // go into cells only and the totals are the sums of their cells.
        if layout.log {
            rows.bucket(&mut totals, cells.as_mut(), &mut cell_rows, |x| layout.index_in_space(x.log10()));
        } else {
            rows.bucket(&mut totals, cells.as_mut(), &mut cell_rows, |x| layout.index_in_space(x));
        }
    }
    if let (Some(c), Some((_, _, nb))) = (&cells, series) {
        c.sum_into(&mut totals, nb);
    }
    Ok((totals, cells, cell_rows))
}

/// Sub-histograms [`HeatRows::bucket_runs`] counts into, taking turns row by row, and their width.
const LANES: usize = 4;
const LANE_WIDTH: usize = 64;
const _: () = assert!(super::heatmap::HEATMAP_BUCKETS <= LANE_WIDTH);

/// One kept batch's rows, as `heat_pass` reads them.
struct HeatRows<'a> {
    nc: &'a crate::query::column::NumCol<'a>,
    sel: &'a [u32],
    gids: &'a [u32],
    pos: &'a [u32],
    weights: Option<&'a [f64]>,
    times: Option<&'a [i64]>,
    series: Option<(TimeBuckets, usize)>,
}

impl HeatRows<'_> {
    /// With a series, each kept row is counted in `cell_rows` (null values too: the series'
    /// row counts) and its valid value goes into its cell; without one, into its group's totals.
    /// Out of line (see `execute::Scan::batch`).
    #[inline(never)]
    fn bucket(&self, totals: &mut HeatCounts, mut cells: Option<&mut HeatCounts>, cell_rows: &mut [u64], index: impl Fn(f64) -> usize) {
        let vals = self.nc.to_f64();
        if let (Some(c), Some((tb, nb)), Some(t), None, None) = (cells.as_deref_mut(), self.series, self.times, &self.nc.nulls, self.weights) {
            let n = c.layout.n;
            if let Some(counts) = c.dense_mut() {
                // Every value valid, unweighted, dense cells: the common case.
                let done = self.bucket_runs(&vals, counts, n, (tb, nb, t), cell_rows, &index);
                if done == self.sel.len() {
                    return;
                }
                // Rows out of time order: the rest one at a time.
                let rest = HeatRows { sel: &self.sel[done..], gids: &self.gids[done..], ..*self };
                return rest.bucket_each(&vals, totals, cells, cell_rows, index);
            }
        }
        self.bucket_each(&vals, totals, cells, cell_rows, index)
    }

    /// [`HeatRows::bucket`] a row at a time (`vals`: the column as f64).
    fn bucket_each(&self, vals: &[f64], totals: &mut HeatCounts, cells: Option<&mut HeatCounts>, cell_rows: &mut [u64], index: impl Fn(f64) -> usize) {
        let nulls = self.nc.nulls.as_ref();
        let valid = |r: u32| nulls.is_none_or(|n| n.is_valid(r as usize));
        let weight = |r: u32| self.weights.map_or(1.0, |w| w[r as usize]);
        match (cells, self.series, self.times) {
            (Some(c), Some((tb, nb)), Some(t)) => {
                let mut when = tb.cursor();
                for (&r, &gid) in self.sel.iter().zip(self.gids) {
                    let p = self.pos[gid as usize];
                    if p == u32::MAX {
                        continue;
                    }
                    let cell = p as usize * nb + when.at(t[r as usize]) as usize;
                    cell_rows[cell] += 1;
                    if valid(r) {
                        c.add(cell, index(vals[r as usize]), weight(r));
                    }
                }
            }
            _ => {
                for (&r, &gid) in self.sel.iter().zip(self.gids) {
                    let p = self.pos[gid as usize];
                    if p != u32::MAX && valid(r) {
                        totals.add(p as usize, index(vals[r as usize]), weight(r));
                    }
                }
            }
        }
    }

    /// [`HeatRows::bucket`] for valid, unweighted values into dense `counts` (and the series'
    /// `cell_rows`), for rows that mostly come in time order: a cell's rows are a run, counted in
    /// registers and [`LANES`] small histograms that take turns (consecutive values in one bucket,
    /// as most are, then add into different memory, not in one chain of dependent adds through
    /// one counter), added into the cell when the run ends. Returns how many of the rows it took:
    /// all of them, unless the runs are short (rows out of time order), where it stops early.
    fn bucket_runs(&self, vals: &[f64], counts: &mut [f64], n: usize, (tb, nb, t): (TimeBuckets, usize, &[i64]), cell_rows: &mut [u64], index: &impl Fn(f64) -> usize) -> usize {
        let mut when = tb.cursor();
        let mut lanes = [0u32; LANES * LANE_WIDTH];
        let mut flush = |lanes: &mut [u32; LANES * LANE_WIDTH], cell: usize, run: u64| {
            cell_rows[cell] += run;
            let into = &mut counts[cell * n..(cell + 1) * n];
            for (b, c) in into.iter_mut().enumerate() {
                let sum: u32 = (0..LANES).map(|l| lanes[l * LANE_WIDTH + b]).sum();
                *c += sum as f64;
            }
            *lanes = [0; LANES * LANE_WIDTH];
        };
        let (mut last, mut run, mut runs) = (usize::MAX, 0u64, 0usize);
        for (i, (&r, &gid)) in self.sel.iter().zip(self.gids).enumerate() {
            let p = self.pos[gid as usize];
            if p == u32::MAX {
                continue;
            }
            let cell = p as usize * nb + when.at(t[r as usize]) as usize;
            if cell != last {
                if last != usize::MAX {
                    flush(&mut lanes, last, run);
                }
                runs += 1;
                // Runs shorter than ~32 rows: adding up the lanes per run would cost more.
                if runs > 64 && runs * 32 > i {
                    return i;
                }
                (last, run) = (cell, 0);
            }
            lanes[(run as usize % LANES) * LANE_WIDTH + index(vals[r as usize])] += 1;
            run += 1;
        }
        if last != usize::MAX {
            flush(&mut lanes, last, run);
        }
        self.sel.len()
    }
}
