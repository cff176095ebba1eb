//! The trace minimap: every span of a trace as a thin bar (time across, tree order down), coloured
//! by service, so a zoomed waterfall still shows where its window lies in the whole trace.

use plotters::coord::Shift;
use plotters::prelude::*;

use super::palette::{series_color, Theme};

/// One span: start and end (ms from the trace's start) and its service's colour index.
pub struct MiniSpan {
    pub start: f64,
    pub end: f64,
    pub service: usize,
}

/// Pixel boxes `(x0, y0, x1, y1, service)` of `spans` (in tree order) over `[0, total]` ms in a
/// `w` × `h` area. Many spans share a pixel row: each gets at least a pixel of height and width.
pub fn boxes(spans: &[MiniSpan], total: f64, w: u32, h: u32) -> Vec<(i32, i32, i32, i32, usize)> {
    let (w, h, n, total) = (w as f64, h as f64, spans.len() as f64, total.max(f64::MIN_POSITIVE));
    let row_h = (h / n).max(1.0);
    spans
        .iter()
        .enumerate()
        .map(|(i, s)| {
            let x0 = (s.start / total * w).floor() as i32;
            let x1 = ((s.end / total * w).ceil() as i32).max(x0 + 1);
            let y0 = (i as f64 * h / n).floor() as i32;
            let y1 = ((i as f64 * h / n + row_h).ceil() as i32).max(y0 + 1);
            (x0, y0, x1, y1, s.service)
        })
        .collect()
}

/// Draw `spans` (in tree order) over `[0, total]` ms.
pub fn draw<DB: DrawingBackend>(area: &DrawingArea<DB, Shift>, spans: &[MiniSpan], total: f64, theme: Theme) -> Result<(), String> {
    let err = |e: DrawingAreaErrorKind<DB::ErrorType>| format!("drawing the trace minimap: {e}");
    area.fill(&theme.background()).map_err(err)?;
    let (w, h) = area.dim_in_pixel();
    for (x0, y0, x1, y1, svc) in boxes(spans, total, w, h) {
        area.draw(&Rectangle::new([(x0, y0), (x1, y1)], series_color(svc).mix(0.8).filled())).map_err(err)?;
    }
    area.present().map_err(err)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spans_land_where_their_times_and_order_say() {
        // Two spans: the first over the whole trace, the second in its last quarter.
        let spans = [MiniSpan { start: 0.0, end: 100.0, service: 0 }, MiniSpan { start: 75.0, end: 100.0, service: 1 }];
        assert_eq!(boxes(&spans, 100.0, 100, 20), vec![(0, 0, 100, 10, 0), (75, 10, 100, 20, 1)]);
        // 1,000 spans in 20 rows: each still a pixel tall, in order, none outside.
        let many: Vec<MiniSpan> = (0..1000).map(|i| MiniSpan { start: i as f64, end: i as f64 + 0.01, service: 0 }).collect();
        let b = boxes(&many, 1000.0, 100, 20);
        assert!(b.iter().all(|(x0, y0, x1, y1, _)| x1 > x0 && y1 > y0 && *y0 >= 0 && *y1 <= 21 && *x0 >= 0 && *x1 <= 101));
        assert!(b.windows(2).all(|w| w[0].1 <= w[1].1));
    }
}
