//! The time-series line chart: one line per result group for one calculation.

use plotters::coord::Shift;
use plotters::prelude::*;

use super::palette::{series_color, Theme};
use crate::query::aggregate::Output;
use crate::query::result::QueryResult;

/// One line of the chart: the points (time ms, value) of one result group.
pub struct Line {
    pub row: usize,
    pub points: Vec<(i64, f64)>,
}

/// Lines of calculation `calc` from the result's series. With `zero_fill` (COUNT-like
/// calculations) a bucket where a group has no rows is drawn as 0 instead of a gap.
pub fn lines(result: &QueryResult, calc: usize, zero_fill: bool) -> Vec<Line> {
    let mut lines: Vec<Line> = (0..result.results.len()).map(|row| Line { row, points: Vec::new() }).collect();
    for p in &result.series {
        if let Some(v) = p.values.get(calc).and_then(Output::as_f64) {
            lines[p.row].points.push((p.time_ms, v));
        }
    }
    if zero_fill {
        if let (Some((lo, hi)), Some(g)) = (result.range_ms, result.granularity) {
            let step = g * 1000;
            for line in &mut lines {
                let mut filled = Vec::with_capacity(((hi - lo) / step) as usize + 1);
                let mut it = line.points.iter().peekable();
                let mut t = lo;
                while t < hi {
                    match it.peek() {
                        Some((pt, v)) if *pt == t => {
                            filled.push((t, *v));
                            it.next();
                        }
                        _ => filled.push((t, 0.0)),
                    }
                    t += step;
                }
                line.points = filled;
            }
        }
    }
    lines
}

/// Short number for axes: 1.2k, 3.4M, 0.25.
pub fn short_number(v: f64) -> String {
    let a = v.abs();
    let (x, suffix) = if a >= 1e9 {
        (v / 1e9, "G")
    } else if a >= 1e6 {
        (v / 1e6, "M")
    } else if a >= 1e3 {
        (v / 1e3, "k")
    } else {
        (v, "")
    };
    let s = if x == x.trunc() { format!("{x:.0}") } else if x.abs() >= 10.0 { format!("{x:.1}") } else { format!("{x:.2}") };
    let s = if s.contains('.') { s.trim_end_matches('0').trim_end_matches('.').to_string() } else { s };
    format!("{s}{suffix}")
}

/// `HH:MM` (UTC) of an instant in ms, with the date when the range spans days.
/// A tick label: `HH:MM`, with the date (`MM-DD HH:MM`) over ranges longer than a day, the date
/// alone (`YYYY-MM-DD`) over ranges of most of a year or more, with seconds (`HH:MM:SS`) over
/// ranges shorter than 15 minutes.
pub fn time_label(ms: i64, span_ms: i64) -> String {
    if span_ms < 15 * 60_000 {
        let iso = crate::query::result::iso8601(ms - ms.rem_euclid(1000));
        return iso[11..19].to_string();
    }
    let iso = crate::query::result::iso8601(ms - ms.rem_euclid(60_000));
    if span_ms > 300 * 86_400_000 {
        // Over years, the date with its year (month and day alone would repeat).
        iso[..10].to_string()
    } else if span_ms > 86_400_000 {
        format!("{} {}", &iso[5..10], &iso[11..16])
    } else {
        iso[11..16].to_string()
    }
}

/// Round tick instants for a time axis over `[lo, hi)` ms: about `want` ticks on multiples of
/// a round step (1 min … 1 day), aligned to UTC.
pub fn time_ticks(lo: i64, hi: i64, want: i64) -> Vec<i64> {
    const STEPS_S: [i64; 14] = [1, 5, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 21600, 86400];
    let span = (hi - lo).max(1);
    let step = STEPS_S.iter().map(|s| s * 1000).find(|s| span / s <= want).unwrap_or(86_400_000 * ((span / 86_400_000) / want).max(1));
    let first = lo + (step - lo.rem_euclid(step)) % step;
    (0..).map(|i| first + i * step).take_while(|t| *t < hi).collect()
}

/// Axes and grid of a chart whose x axis is time (ms) and y axis a number.
pub fn time_mesh<DB: DrawingBackend, X, Y>(
    chart: &mut ChartContext<DB, Cartesian2d<X, Y>>,
    theme: Theme,
    span_ms: i64,
    x_grid: bool,
    y_label: &dyn Fn(&f64) -> String,
    y_desc: Option<&str>,
) -> Result<(), DrawingAreaErrorKind<DB::ErrorType>>
where
    X: Ranged<ValueType = i64> + plotters::coord::ranged1d::ValueFormatter<i64>,
    Y: Ranged<ValueType = f64> + plotters::coord::ranged1d::ValueFormatter<f64>,
{
    let fg = theme.foreground();
    let mut mesh = chart.configure_mesh();
    if !x_grid {
        mesh.disable_x_mesh();
    }
    if let Some(d) = y_desc {
        mesh.y_desc(d).axis_desc_style(("sans-serif", 12).into_font().color(&fg));
    }
    mesh.light_line_style(TRANSPARENT)
        .bold_line_style(theme.grid())
        .axis_style(fg.mix(0.5))
        .label_style(("sans-serif", 12).into_font().color(&fg))
        .y_labels(6)
        .x_label_formatter(&|t| time_label(*t, span_ms))
        .y_label_formatter(y_label)
        .draw()
}

/// Draw the chart into `area`. `title` is the calculation key; `highlight` dims other lines.
pub fn draw<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    result: &QueryResult,
    calc: usize,
    zero_fill: bool,
    theme: Theme,
    highlight: Option<usize>,
) -> Result<Option<super::PlotMapping>, String> {
    let err = |e: DrawingAreaErrorKind<DB::ErrorType>| format!("drawing the chart: {e}");
    area.fill(&theme.background()).map_err(err)?;
    let Some((lo, hi)) = result.range_ms else { return Ok(None) };
    let lines = lines(result, calc, zero_fill);
    let ymax = lines.iter().flat_map(|l| l.points.iter().map(|p| p.1)).fold(0.0f64, f64::max);
    let ymin = lines.iter().flat_map(|l| l.points.iter().map(|p| p.1)).fold(0.0f64, f64::min);
    let ymax = if ymax <= ymin { ymin + 1.0 } else { ymax + (ymax - ymin) * 0.08 };
    let mut chart = ChartBuilder::on(area)
        .margin(10)
        .x_label_area_size(26)
        .y_label_area_size(52)
        .build_cartesian_2d((lo..hi).with_key_points(time_ticks(lo, hi, 8)), ymin..ymax)
        .map_err(err)?;
    time_mesh(&mut chart, theme, hi - lo, true, &|v| short_number(*v), None).map_err(err)?;
    let (xr, yr) = chart.plotting_area().get_pixel_range();
    let mapping = super::PlotMapping { left: xr.start, right: xr.end, top: yr.start, bottom: yr.end, t0: lo, t1: hi, y0: ymin, y1: ymax, log_y: false };
    for line in &lines {
        let colour = series_color(line.row);
        let dim = highlight.is_some_and(|h| h != line.row);
        let style = if dim { colour.mix(0.15).stroke_width(1) } else { colour.stroke_width(2) };
        if let [only] = line.points[..] {
            // A group with one value (a lone bucket) is a dot: a line through one point is invisible.
            chart.draw_series(std::iter::once(Circle::new(only, if dim { 2 } else { 3 }, style.filled()))).map_err(err)?;
        } else {
            chart.draw_series(LineSeries::new(line.points.iter().copied(), style)).map_err(err)?;
        }
    }
    area.present().map_err(err)?;
    Ok(Some(mapping))
}

/// What a crosshair at time `t_ms` shows: the bucket's start and each group's value there.
pub fn values_at(result: &QueryResult, calc: usize, t_ms: i64) -> Option<(i64, Vec<(usize, Option<f64>)>)> {
    let ((lo, _), g) = (result.range_ms?, result.granularity?);
    let step = g * 1000;
    let bucket = lo + (t_ms - lo).div_euclid(step) * step;
    let mut vals: Vec<(usize, Option<f64>)> = (0..result.results.len()).map(|r| (r, None)).collect();
    for p in result.series.iter().filter(|p| p.time_ms == bucket) {
        vals[p.row].1 = p.values.get(calc).and_then(Output::as_f64);
    }
    Some((bucket, vals))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::query::result::{ResultRow, SeriesPoint};
    use crate::value::Value;
    use plotters_backend::{BackendColor, BackendCoord, BackendTextStyle, DrawingErrorKind};

    /// An in-memory pixel grid (plotters rasterizes every shape into `draw_pixel`); text is
    /// skipped, as no font is built in natively.
    struct Pixels {
        w: u32,
        h: u32,
        px: std::rc::Rc<std::cell::RefCell<Vec<(u8, u8, u8)>>>,
    }

    impl DrawingBackend for Pixels {
        type ErrorType = std::convert::Infallible;
        fn get_size(&self) -> (u32, u32) {
            (self.w, self.h)
        }
        fn ensure_prepared(&mut self) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
            Ok(())
        }
        fn present(&mut self) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
            Ok(())
        }
        fn draw_pixel(&mut self, (x, y): BackendCoord, c: BackendColor) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
            if x >= 0 && y >= 0 && (x as u32) < self.w && (y as u32) < self.h && c.alpha > 0.5 {
                self.px.borrow_mut()[(y as u32 * self.w + x as u32) as usize] = c.rgb;
            }
            Ok(())
        }
        fn draw_text<S: BackendTextStyle>(&mut self, _: &str, _: &S, _: BackendCoord) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
            Ok(())
        }
        fn estimate_text_size<S: BackendTextStyle>(&self, text: &str, _: &S) -> Result<(u32, u32), DrawingErrorKind<Self::ErrorType>> {
            Ok((text.len() as u32 * 7, 12))
        }
    }

    fn result(points: &[(usize, i64, f64)], rows: usize) -> QueryResult {
        QueryResult {
            keys: vec!["AVG(x)".into()],
            breakdowns: vec!["g".into()],
            results: (0..rows).map(|i| ResultRow { group: vec![Value::Str(format!("g{i}").into())], values: vec![Output::Float(1.0)] }).collect(),
            series: points.iter().map(|&(row, t, v)| SeriesPoint { time_ms: t, row, values: vec![Output::Float(v)] }).collect(),
            range_ms: Some((0, 600_000)),
            granularity: Some(60),
            ..Default::default()
        }
    }

    fn pixels_of(r: &QueryResult, row: usize) -> usize {
        let px = std::rc::Rc::new(std::cell::RefCell::new(vec![(255, 255, 255); 400 * 200]));
        let area = Pixels { w: 400, h: 200, px: px.clone() }.into_drawing_area();
        draw(&area, r, 0, false, Theme::Light, None).unwrap();
        let RGBColor(cr, cg, cb) = series_color(row);
        let n = px.borrow().iter().filter(|&&p| p == (cr, cg, cb)).count();
        n
    }

    #[test]
    fn a_group_with_one_value_is_drawn_as_a_dot() {
        // Row 1 has values in two buckets (a line), row 2 in one bucket only.
        let r = result(&[(1, 60_000, 5.0), (1, 120_000, 7.0), (2, 300_000, 3.0)], 3);
        assert!(pixels_of(&r, 1) > 20, "the two-point line is drawn");
        let dot = pixels_of(&r, 2);
        assert!((9..=60).contains(&dot), "the lone value is a small dot, {dot} pixels");
        assert_eq!(pixels_of(&r, 0), 0, "a group without values draws nothing");
    }
}

#[cfg(test)]
mod label_tests {
    use super::time_label;

    #[test]
    fn labels_carry_the_year_over_years_the_date_over_days() {
        let t = 1_793_534_400_000; // 2026-11-01T12:00:00Z
        assert_eq!(time_label(t, 30 * 365 * 86_400_000), "2026-11-01");
        assert_eq!(time_label(t, 3 * 86_400_000), "11-01 12:00");
        assert_eq!(time_label(t, 3_600_000), "12:00");
        assert_eq!(time_label(t + 5_000, 60_000), "12:00:05");
    }
}
