//! Charts drawn with plotters on any drawing backend (a browser canvas in the page). No web-sys
//! here: the page hands in a `plotters-canvas` backend.

pub mod heatmap;
pub mod markers;
pub mod minimap;
#[cfg(test)]
pub(crate) mod pixels;
pub mod palette;
pub mod quality;
pub mod report;
pub mod slo;
pub mod svg;
pub mod timeseries;

pub use palette::Theme;

/// Where the plot landed: its pixel box and the data ranges it shows, so pointer positions can be
/// turned back into (time, value).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PlotMapping {
    pub left: i32,
    pub top: i32,
    pub right: i32,
    pub bottom: i32,
    pub t0: i64,
    pub t1: i64,
    pub y0: f64,
    pub y1: f64,
    /// The value axis is log10 (a log heatmap): `y0`, `y1` are still values, not logs.
    pub log_y: bool,
}

impl PlotMapping {
    /// `left,top,right,bottom,t0,t1,y0,y1,linear|log`: where the plot lies, for tests and
    /// tools that point at data coordinates (a canvas's `data-plot`).
    pub fn to_attribute(&self) -> String {
        let m = self;
        format!("{},{},{},{},{},{},{},{},{}", m.left, m.top, m.right, m.bottom, m.t0, m.t1, m.y0, m.y1, if m.log_y { "log" } else { "linear" })
    }

    /// Data coordinates of pixel (x, y), clamped to the plot.
    pub fn to_data(&self, x: f64, y: f64) -> (i64, f64) {
        let fx = ((x - self.left as f64) / (self.right - self.left).max(1) as f64).clamp(0.0, 1.0);
        let fy = ((self.bottom as f64 - y) / (self.bottom - self.top).max(1) as f64).clamp(0.0, 1.0);
        let (a, b) = (self.axis(self.y0), self.axis(self.y1));
        let at = a + (b - a) * fy;
        (self.t0 + ((self.t1 - self.t0) as f64 * fx) as i64, if self.log_y { 10f64.powf(at) } else { at })
    }

    /// Pixel column of time `t_ms` (not clamped).
    pub fn x_pixel(&self, t_ms: i64) -> f64 {
        self.left as f64 + (t_ms - self.t0) as f64 / (self.t1 - self.t0).max(1) as f64 * (self.right - self.left) as f64
    }

    /// Pixel row of value `v` (not clamped).
    pub fn y_pixel(&self, v: f64) -> f64 {
        let (a, b) = (self.axis(self.y0), self.axis(self.y1));
        self.bottom as f64 - (self.axis(v) - a) / (b - a).max(f64::MIN_POSITIVE) * (self.bottom - self.top) as f64
    }

    /// `v` on the drawn axis (its log10 on a log axis).
    fn axis(&self, v: f64) -> f64 {
        if self.log_y { v.max(f64::MIN_POSITIVE).log10() } else { v }
    }
}

#[cfg(test)]
mod tests {
    use super::PlotMapping;

    #[test]
    fn pixels_and_data_round_trip_on_linear_and_log_axes() {
        for log_y in [false, true] {
            let m = PlotMapping { left: 10, top: 0, right: 110, bottom: 100, t0: 0, t1: 1000, y0: 1.0, y1: 10_000.0, log_y };
            for v in [1.0, 10.0, 555.0, 10_000.0] {
                let y = m.y_pixel(v);
                let (t, back) = m.to_data(m.x_pixel(500), y);
                assert_eq!(t, 500);
                assert!((back - v).abs() < 1e-6 * v, "log {log_y}: {v} → {y} → {back}");
            }
        }
        let log = PlotMapping { left: 0, top: 0, right: 100, bottom: 100, t0: 0, t1: 1, y0: 1.0, y1: 10_000.0, log_y: true };
        // Each decade takes a quarter of the height on a log axis.
        assert!((log.y_pixel(10.0) - 75.0).abs() < 1e-9);
        assert!((log.y_pixel(100.0) - 50.0).abs() < 1e-9);
    }
}

