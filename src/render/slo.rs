//! An SLO's charts from its report (`slo::evaluate`): the error budget left over the period
//! (burn-down, with the zero line) and the compliance of each day's look-back period (with the
//! target line).

use plotters::coord::Shift;
use plotters::prelude::*;
use serde_json::Value as Json;

use super::timeseries::{time_mesh, time_ticks};
use super::Theme;

/// (ms, value) points of `report[list]`, `key` scaled by 100 (percent).
fn points(report: &Json, list: &str, time: &str, key: &str) -> Vec<(i64, f64)> {
    report[list]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|p| {
            let t = p[time].as_str()?;
            let ms = crate::derive::time::parse_rfc3339(t)? * 1000.0;
            Some((ms as i64, p[key].as_f64()? * 100.0))
        })
        .collect()
}

/// A percentage line over time, with a horizontal reference line at `mark` (dashed).
fn percent_chart<DB: DrawingBackend>(area: &DrawingArea<DB, Shift>, pts: &[(i64, f64)], mark: f64, label: &str, colour: RGBColor, dots: bool, theme: Theme) -> Result<(), String> {
    let err = |e: DrawingAreaErrorKind<DB::ErrorType>| format!("drawing the SLO chart: {e}");
    area.fill(&theme.background()).map_err(err)?;
    let (Some(first), Some(last)) = (pts.first(), pts.last()) else { return Ok(()) };
    let (lo, hi) = (first.0, last.0.max(first.0 + 1));
    let ymin = pts.iter().map(|p| p.1).fold(mark, f64::min);
    let ymax = pts.iter().map(|p| p.1).fold(mark, f64::max);
    let pad = ((ymax - ymin) * 0.08).max(0.01);
    let mut chart = ChartBuilder::on(area)
        .margin(10)
        .x_label_area_size(26)
        .y_label_area_size(58)
        .build_cartesian_2d((lo..hi).with_key_points(time_ticks(lo, hi, 8)), (ymin - pad)..(ymax + pad))
        .map_err(err)?;
    time_mesh(&mut chart, theme, hi - lo, true, &|v| format!("{}%", super::timeseries::short_number(*v)), Some(label)).map_err(err)?;
    // The reference line, dashed: every other sixtieth of the width.
    let step = ((hi - lo) / 60).max(1);
    let dashes = (0..60).step_by(2).map(|i| PathElement::new(vec![(lo + i * step, mark), ((lo + (i + 1) * step).min(hi), mark)], RED.mix(0.7).stroke_width(1)));
    chart.draw_series(dashes).map_err(err)?;
    chart.draw_series(LineSeries::new(pts.iter().copied(), colour.stroke_width(2))).map_err(err)?;
    if dots {
        // A day is a point (a lone day would be no line at all).
        chart.draw_series(pts.iter().map(|p| Circle::new(*p, 3, colour.filled()))).map_err(err)?;
    }
    area.present().map_err(err)?;
    Ok(())
}

/// The budget left (percent) after each hour of the period; the zero line dashed.
pub fn burndown<DB: DrawingBackend>(area: &DrawingArea<DB, Shift>, report: &Json, theme: Theme) -> Result<(), String> {
    percent_chart(area, &points(report, "burndown", "time", "remaining"), 0.0, "budget left", super::palette::series_color(0), false, theme)
}

/// Each day's compliance over its look-back period (percent); the target dashed.
pub fn history<DB: DrawingBackend>(area: &DrawingArea<DB, Shift>, report: &Json, theme: Theme) -> Result<(), String> {
    let pts: Vec<(i64, f64)> = report["history"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|p| Some(((crate::derive::time::parse_rfc3339(p["day"].as_str()?)? * 1000.0) as i64 + 86_400_000, p["compliance"].as_f64()? * 100.0)))
        .collect();
    let target = report["target_percentage"].as_f64().unwrap_or(99.9);
    percent_chart(area, &pts, target, "compliance", super::palette::series_color(1), true, theme)
}
