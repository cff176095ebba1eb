//! The heatmap: x = time buckets, y = value buckets (the engine's HEATMAP layout), cell colour by
//! count on the perceptual viridis scale (log-scaled so sparse outliers stay visible), with a legend.

use plotters::coord::Shift;
use plotters::prelude::*;

use super::palette::Theme;
pub use super::PlotMapping;
use super::timeseries::{short_number, time_mesh, time_ticks};
use crate::query::aggregate::Output;
use crate::query::result::QueryResult;

/// The colour of a cell holding `count` when the fullest cell holds `max`.
pub fn cell_color(count: f64, max: f64) -> RGBColor {
    let t = if max > 0.0 { (count.ln_1p() / max.ln_1p()).clamp(0.0, 1.0) } else { 0.0 };
    ViridisRGB::get_color_normalized(t, 0.0, 1.0)
}

/// Cells of calculation `calc` for result row `row`: (bucket start ms, lower, upper, count).
pub fn cells(result: &QueryResult, calc: usize, row: usize) -> Vec<(i64, f64, f64, f64)> {
    let mut out = Vec::new();
    for p in result.series.iter().filter(|p| p.row == row) {
        if let Some(Output::Heatmap(h)) = p.values.get(calc) {
            for (i, c) in h.counts.iter().enumerate() {
                if *c > 0.0 {
                    out.push((p.time_ms, h.lower(i), h.upper(i), *c));
                }
            }
        }
    }
    out
}

pub fn draw<DB: DrawingBackend>(area: &DrawingArea<DB, Shift>, result: &QueryResult, calc: usize, row: usize, theme: Theme) -> Result<Option<PlotMapping>, String> {
    let err = |e: DrawingAreaErrorKind<DB::ErrorType>| format!("drawing the heatmap: {e}");
    area.fill(&theme.background()).map_err(err)?;
    let (Some((lo_t, hi_t)), Some(g)) = (result.range_ms, result.granularity) else { return Ok(None) };
    let cells = cells(result, calc, row);
    let (layout, ymin, ymax) = match result.results.get(row).and_then(|r| r.values.get(calc)) {
        Some(Output::Heatmap(h)) => (Some(h.layout), h.min(), if h.max() > h.min() { h.max() } else { h.min() + 1.0 }),
        _ => (None, 0.0, 1.0),
    };
    let log = layout.is_some_and(|l| l.log);
    // A log axis is drawn as a linear axis over log10 values, ticked at 1-2-5 steps.
    let axis = |v: f64| if log { v.log10() } else { v };
    let (plot, legend) = area.split_horizontally(area.dim_in_pixel().0.saturating_sub(70));
    let y_range = axis(ymin)..axis(ymax);
    let y_ticks = if log { log_ticks(ymin, ymax).into_iter().map(f64::log10).collect() } else { linear_ticks(ymin, ymax, 6) };
    let mut chart = ChartBuilder::on(&plot)
        .margin(10)
        .x_label_area_size(26)
        .y_label_area_size(70)
        .build_cartesian_2d((lo_t..hi_t).with_key_points(time_ticks(lo_t, hi_t, 8)), Ticked { range: y_range.into(), ticks: y_ticks })
        .map_err(err)?;
    let label = |y: &f64| short_number(if log { 10f64.powf(*y) } else { *y });
    time_mesh(&mut chart, theme, hi_t - lo_t, false, &label, result.keys.get(calc).map(|k| axis_name(k)).as_deref()).map_err(err)?;
    let (xr, yr) = chart.plotting_area().get_pixel_range();
    let mapping = PlotMapping { left: xr.start, right: xr.end, top: yr.start, bottom: yr.end, t0: lo_t, t1: hi_t, y0: ymin, y1: ymax, log_y: log };
    let step = g * 1000;
    let max = cells.iter().map(|c| c.3).fold(0.0, f64::max);
    chart
        .draw_series(cells.iter().map(|(t, lo, hi, c)| Rectangle::new([(*t, axis(*lo)), (*t + step, axis(hi.min(ymax)))], cell_color(*c, max).filled())))
        .map_err(err)?;
    // Legend: the colour scale from 1 to the fullest cell.
    let h = legend.dim_in_pixel().1 as i32;
    let (top, bottom) = (14, h - 30);
    for y in top..bottom {
        let t = 1.0 - (y - top) as f64 / (bottom - top).max(1) as f64;
        let count = (t * max.ln_1p()).exp_m1();
        legend.draw(&Rectangle::new([(8, y), (22, y + 1)], cell_color(count, max).filled())).map_err(err)?;
    }
    let style = ("sans-serif", 11).into_font().color(&theme.foreground());
    legend.draw(&Text::new(short_number(max), (26, top - 4), style.clone())).map_err(err)?;
    legend.draw(&Text::new("1".to_string(), (26, bottom - 8), style.clone())).map_err(err)?;
    legend.draw(&Text::new("count".to_string(), (4, bottom + 8), style)).map_err(err)?;
    area.present().map_err(err)?;
    Ok(Some(mapping))
}

/// The value axis's caption for calculation key `HEATMAP(col)`: the column's name (which carries
/// its unit, as in `duration_ms`).
fn axis_name(key: &str) -> String {
    key.strip_prefix("HEATMAP(").and_then(|k| k.strip_suffix(')')).unwrap_or(key).to_string()
}

/// A value axis ticked at chosen values (labels come from the mesh's formatter).
pub struct Ticked {
    range: plotters::coord::types::RangedCoordf64,
    ticks: Vec<f64>,
}

impl Ranged for Ticked {
    type FormatOption = plotters::coord::ranged1d::DefaultFormatting;
    type ValueType = f64;

    fn map(&self, v: &f64, limit: (i32, i32)) -> i32 {
        self.range.map(v, limit)
    }

    fn key_points<H: plotters::coord::ranged1d::KeyPointHint>(&self, _hint: H) -> Vec<f64> {
        self.ticks.clone()
    }

    fn range(&self) -> std::ops::Range<f64> {
        self.range.range()
    }
}

/// Tick values at 1, 2 and 5 times powers of ten within `[lo, hi]` (lo > 0), thinned to at most
/// about eight.
pub fn log_ticks(lo: f64, hi: f64) -> Vec<f64> {
    if !(lo > 0.0) || !(hi > lo) {
        return vec![lo];
    }
    let mut all = Vec::new();
    let mut decade = 10f64.powf(lo.log10().floor());
    while decade <= hi {
        for m in [1.0, 2.0, 5.0] {
            let v = decade * m;
            if v >= lo * (1.0 - 1e-12) && v <= hi * (1.0 + 1e-12) {
                all.push(v);
            }
        }
        decade *= 10.0;
    }
    if all.len() > 8 {
        // Keep only powers of ten when 1-2-5 is too dense.
        all.retain(|v| (v.log10() - v.log10().round()).abs() < 1e-9);
    }
    all
}

/// About `n` round tick values within `[lo, hi]`.
pub fn linear_ticks(lo: f64, hi: f64, n: usize) -> Vec<f64> {
    if !(hi > lo) {
        return vec![lo];
    }
    let raw = (hi - lo) / n.max(1) as f64;
    let mag = 10f64.powf(raw.log10().floor());
    let step = [1.0, 2.0, 2.5, 5.0, 10.0].iter().map(|m| m * mag).find(|s| *s >= raw).unwrap_or(10.0 * mag);
    let mut v = (lo / step).ceil() * step;
    let mut out = Vec::new();
    while v <= hi + step * 1e-9 {
        out.push(if v.abs() < step * 1e-9 { 0.0 } else { v });
        v += step;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn log_ticks_are_1_2_5_steps_inside_the_range() {
        assert_eq!(log_ticks(3.0, 600.0), vec![5.0, 10.0, 20.0, 50.0, 100.0, 200.0, 500.0]);
        assert_eq!(log_ticks(1.0, 1e6), vec![1.0, 10.0, 100.0, 1000.0, 10_000.0, 100_000.0, 1e6]);
    }

    #[test]
    fn linear_ticks_are_round() {
        assert_eq!(linear_ticks(0.0, 100.0, 5), vec![0.0, 20.0, 40.0, 60.0, 80.0, 100.0]);
        assert_eq!(linear_ticks(3.0, 9.0, 6), vec![3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0]);
    }
}
