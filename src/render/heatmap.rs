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
                    let lo = h.lower(i);
                    let hi = if h.width > 0.0 { lo + h.width } else { lo + 1.0 };
                    out.push((p.time_ms, lo, hi, *c));
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
    let (ymin, ymax) = match result.results.get(row).and_then(|r| r.values.get(calc)) {
        Some(Output::Heatmap(h)) => (h.min, if h.max > h.min { h.max } else { h.min + 1.0 }),
        _ => (0.0, 1.0),
    };
    let max = cells.iter().map(|c| c.3).fold(0.0, f64::max);
    let (plot, legend) = area.split_horizontally(area.dim_in_pixel().0.saturating_sub(70));
    let fg = theme.foreground();
    let mut chart = ChartBuilder::on(&plot)
        .margin(10)
        .x_label_area_size(26)
        .y_label_area_size(56)
        .build_cartesian_2d((lo_t..hi_t).with_key_points(time_ticks(lo_t, hi_t, 8)), ymin..ymax)
        .map_err(err)?;
    time_mesh(&mut chart, theme, hi_t - lo_t, false).map_err(err)?;
    let (xr, yr) = chart.plotting_area().get_pixel_range();
    let mapping = PlotMapping { left: xr.start, right: xr.end, top: yr.start, bottom: yr.end, t0: lo_t, t1: hi_t, y0: ymin, y1: ymax };
    let step = g * 1000;
    chart
        .draw_series(cells.iter().map(|(t, lo, hi, c)| Rectangle::new([(*t, *lo), (*t + step, hi.min(ymax))], cell_color(*c, max).filled())))
        .map_err(err)?;
    // Legend: the colour scale from 1 to the fullest cell.
    let h = legend.dim_in_pixel().1 as i32;
    let (top, bottom) = (14, h - 30);
    for y in top..bottom {
        let t = 1.0 - (y - top) as f64 / (bottom - top).max(1) as f64;
        let count = (t * max.ln_1p()).exp_m1();
        legend.draw(&Rectangle::new([(8, y), (22, y + 1)], cell_color(count, max).filled())).map_err(err)?;
    }
    let style = ("sans-serif", 11).into_font().color(&fg);
    legend.draw(&Text::new(short_number(max), (26, top - 4), style.clone())).map_err(err)?;
    legend.draw(&Text::new("1".to_string(), (26, bottom - 8), style.clone())).map_err(err)?;
    legend.draw(&Text::new("count".to_string(), (4, bottom + 8), style)).map_err(err)?;
    area.present().map_err(err)?;
    Ok(Some(mapping))
}
