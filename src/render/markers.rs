//! Markers on a time chart (`crate::marker`): a dashed line at each marker's start in its type's
//! colour, its range (when it has an end) shaded. Drawn over a chart already drawn, in the plot
//! box `PlotMapping` says it has; markers outside the chart's time range are left out.

use plotters::prelude::*;

use super::PlotMapping;
use crate::marker::{colour, Marker};

const DASH: i32 = 6;
const GAP: i32 = 4;

/// How near (pixels) the pointer must be to a marker's line to hover or click it.
pub const NEAR_PX: f64 = 5.0;

/// The markers under pixel column `x` of plot `m`: a line within `px` pixels, or a range that
/// holds the pointer.
pub fn under<'a>(markers: &'a [Marker], m: &PlotMapping, x: f64, px: f64) -> Vec<&'a Marker> {
    if x < m.left as f64 || x > m.right as f64 {
        return Vec::new();
    }
    let (t, _) = m.to_data(x, m.top as f64);
    let tol = ((m.t1 - m.t0) as f64 / (m.right - m.left).max(1) as f64 * px) as i64;
    markers.iter().filter(|mk| mk.near(t, tol)).collect()
}

/// The markers under pixel column `x` of plot `m` (as [`under`], within [`NEAR_PX`]), each with
/// whether a click there opens its link: anywhere on it for a line chart; on a heatmap, whose
/// cells take clicks (a cell selects BubbleUp's events), only at the marker's line.
pub fn hovered<'a>(markers: &'a [Marker], m: &PlotMapping, x: f64, heatmap: bool) -> Vec<(&'a Marker, bool)> {
    let on_line = |mk: &Marker| mk.start_ms >= m.t0 && (m.x_pixel(mk.start_ms) - x).abs() <= NEAR_PX;
    under(markers, m, x, NEAR_PX).into_iter().map(|mk| (mk, mk.url.is_some() && (!heatmap || on_line(mk)))).collect()
}

/// The link a click at pixel column `x` of plot `m` opens: the first marker there that opens.
pub fn link_at(markers: &[Marker], m: &PlotMapping, x: f64, heatmap: bool) -> Option<String> {
    hovered(markers, m, x, heatmap).into_iter().find(|(_, opens)| *opens).and_then(|(mk, _)| mk.url.clone())
}

/// Draw `markers` on `area` over the plot `m`.
pub fn draw<DB: DrawingBackend>(area: &DrawingArea<DB, plotters::coord::Shift>, m: &PlotMapping, markers: &[Marker]) -> Result<(), String> {
    let err = |e: DrawingAreaErrorKind<DB::ErrorType>| format!("drawing the markers: {e}");
    let (left, right) = (m.left as f64, m.right as f64);
    for mk in markers {
        let end = mk.end_ms.unwrap_or(mk.start_ms);
        if end < m.t0 || mk.start_ms > m.t1 {
            continue;
        }
        let (r, g, b) = colour(&mk.kind);
        let c = RGBColor(r, g, b);
        let x0 = m.x_pixel(mk.start_ms).clamp(left, right).round() as i32;
        if mk.end_ms.is_some() {
            let x1 = m.x_pixel(end).clamp(left, right).round() as i32;
            area.draw(&Rectangle::new([(x0, m.top), (x1.max(x0 + 1), m.bottom)], c.mix(0.14).filled())).map_err(err)?;
        }
        if mk.start_ms < m.t0 {
            continue;
        }
        let mut y = m.top;
        while y < m.bottom {
            let y1 = (y + DASH).min(m.bottom);
            area.draw(&PathElement::new(vec![(x0, y), (x0, y1)], c.stroke_width(2))).map_err(err)?;
            y = y1 + GAP;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::render::pixels::Pixels;

    fn marker(start_ms: i64, end_ms: Option<i64>, kind: &str) -> Marker {
        Marker { start_ms, end_ms, kind: kind.into(), message: String::new(), url: None }
    }

    #[test]
    fn a_dashed_line_at_the_start_and_a_shaded_range() {
        let (backend, px) = Pixels::white(400, 200);
        let area = backend.into_drawing_area();
        let m = PlotMapping { left: 50, right: 350, top: 20, bottom: 180, t0: 0, t1: 600_000, y0: 0.0, y1: 1.0, log_y: false };
        // A deploy at x = 150, an incident from x = 200 to 250, one before the chart.
        let markers = [marker(200_000, None, "deploy"), marker(300_000, Some(400_000), "incident"), marker(-5_000, None, "deploy")];
        draw(&area, &m, &markers).unwrap();
        let px = px.borrow();
        let at = |x: i32, y: i32| px[(y * 400 + x) as usize];
        let (r, g, b) = colour("deploy");
        let line: Vec<bool> = (20..180).map(|y| at(150, y) == (r, g, b)).collect();
        let on = line.iter().filter(|x| **x).count();
        assert!(on > 80 && on < 150, "dashed: {on} of 160 pixels drawn");
        assert!(line.windows(2).any(|w| w[0] && !w[1]), "the line has gaps");
        // The range is tinted red between its ends, white outside.
        let inside = at(225, 100);
        assert!(inside != (255, 255, 255) && inside.0 > inside.1, "shaded red: {inside:?}");
        assert_eq!(at(300, 100), (255, 255, 255));
        // Nothing is drawn for the marker before the chart's range.
        assert!((20..180).all(|y| at(50, y) == (255, 255, 255)));
    }
}
