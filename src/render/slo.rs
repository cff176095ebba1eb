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

/// The SLI's events as a heatmap (time × a value, such as duration): each cell green for good
/// events, red where any is bad, stronger for more events. `result` is a query with HEATMAP as
/// its only calculation grouped by the SLI (its rows: true, false), with a granularity.
pub fn sli_heatmap<DB: DrawingBackend>(area: &DrawingArea<DB, Shift>, result: &crate::QueryResult, value: &str, theme: Theme) -> Result<(), String> {
    use crate::query::aggregate::Output;
    let err = |e: DrawingAreaErrorKind<DB::ErrorType>| format!("drawing the SLI heatmap: {e}");
    area.fill(&theme.background()).map_err(err)?;
    let (Some((lo, hi)), Some(g)) = (result.range_ms, result.granularity) else { return Ok(()) };
    let step = g * 1000;
    // (time bucket, value bucket) → (good, bad).
    let mut cells: std::collections::HashMap<(i64, usize), (f64, f64)> = std::collections::HashMap::new();
    let mut layout = None;
    for p in &result.series {
        let Some(Output::Heatmap(h)) = p.values.first() else { continue };
        let good = matches!(result.results.get(p.row).and_then(|r| r.group.first()), Some(crate::value::Value::Bool(true)));
        layout = Some(h.layout);
        for (i, c) in h.counts.iter().enumerate().filter(|(_, c)| **c > 0.0) {
            let e = cells.entry((p.time_ms, i)).or_default();
            if good { e.0 += c } else { e.1 += c }
        }
    }
    let Some(layout) = layout else { return Ok(()) };
    let (max_good, max_bad) = cells.values().fold((1.0f64, 1.0f64), |(a, b), (g, x)| (a.max(*g), b.max(*x)));
    let mut chart = ChartBuilder::on(area)
        .margin(10)
        .x_label_area_size(26)
        .y_label_area_size(58)
        .build_cartesian_2d((lo..hi).with_key_points(time_ticks(lo, hi, 8)), 0f64..layout.n as f64)
        .map_err(err)?;
    let label = |y: &f64| super::timeseries::short_number(layout.lower((*y as usize).min(layout.n - 1)));
    time_mesh(&mut chart, theme, hi - lo, false, &label, Some(value)).map_err(err)?;
    let strength = |x: f64, max: f64| 0.25 + 0.75 * ((1.0 + x).ln() / (1.0 + max).ln());
    let rects = cells.iter().map(|(&(t, i), &(good, bad))| {
        let colour = if bad > 0.0 { RED.mix(strength(bad, max_bad)) } else { RGBColor(46, 125, 50).mix(strength(good, max_good)) };
        Rectangle::new([(t, i as f64), ((t + step).min(hi), i as f64 + 1.0)], colour.filled())
    });
    chart.draw_series(rects).map_err(err)?;
    area.present().map_err(err)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use plotters_backend::{BackendColor, BackendCoord, BackendTextStyle, DrawingErrorKind};

    /// Counts the red-ish and green-ish pixels drawn (text skipped).
    #[derive(Default)]
    struct Count {
        red: usize,
        green: usize,
    }

    struct Pixels<'a>(&'a std::cell::RefCell<Count>);

    impl DrawingBackend for Pixels<'_> {
        type ErrorType = std::convert::Infallible;
        fn get_size(&self) -> (u32, u32) {
            (400, 200)
        }
        fn ensure_prepared(&mut self) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
            Ok(())
        }
        fn present(&mut self) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
            Ok(())
        }
        fn draw_pixel(&mut self, _: BackendCoord, c: BackendColor) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
            let (r, g, b) = c.rgb;
            let mut n = self.0.borrow_mut();
            if c.alpha > 0.2 && r > 150 && g < 100 && b < 100 {
                n.red += 1;
            } else if c.alpha > 0.2 && g > 100 && r < 100 && b < 100 {
                n.green += 1;
            }
            Ok(())
        }
        fn draw_text<S: BackendTextStyle>(&mut self, _: &str, _: &S, _: BackendCoord) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
            Ok(())
        }
        fn estimate_text_size<S: BackendTextStyle>(&self, text: &str, _: &S) -> Result<(u32, u32), DrawingErrorKind<Self::ErrorType>> {
            Ok((text.len() as u32 * 6, 12))
        }
    }

    /// Good events draw green cells, bad ones red: the demo's incident is red, the rest green.
    #[test]
    fn good_and_bad_in_two_colours() {
        let ds = crate::DataSet::from_batches(crate::demo::generate(20_000, 3, 8_192)).unwrap();
        let end = crate::demo::END_MS / 1000;
        let spec = crate::QuerySpec::from_json(&serde_json::json!({
            "calculated_fields": [{"name": "sli", "expression": "LT($duration_ms, 1000)"}],
            "calculations": [{"op": "HEATMAP", "column": "duration_ms"}], "breakdowns": ["sli"], "filters": [{"column": "sli", "op": "exists"}],
            "start_time": end - 6 * 3600, "end_time": end, "granularity": 600
        }))
        .unwrap();
        let r = crate::query::run_with(&ds, &spec, &crate::query::RunOptions { heatmap_scale: crate::query::heatmap::Scale::Log, within: None }).unwrap();
        let count = std::cell::RefCell::new(Count::default());
        sli_heatmap(&Pixels(&count).into_drawing_area(), &r, "duration_ms", Theme::Light).unwrap();
        let c = count.into_inner();
        assert!(c.green > 1000 && c.red > 50, "green {} red {}", c.green, c.red);
    }
}
