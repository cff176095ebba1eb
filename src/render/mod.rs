//! Charts drawn with plotters on any drawing backend (a browser canvas in the page). No web-sys
//! here: the page hands in a `plotters-canvas` backend.

pub mod heatmap;
pub mod palette;
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
}

impl PlotMapping {
    /// Data coordinates of pixel (x, y), clamped to the plot.
    pub fn to_data(&self, x: f64, y: f64) -> (i64, f64) {
        let fx = ((x - self.left as f64) / (self.right - self.left).max(1) as f64).clamp(0.0, 1.0);
        let fy = ((self.bottom as f64 - y) / (self.bottom - self.top).max(1) as f64).clamp(0.0, 1.0);
        (self.t0 + ((self.t1 - self.t0) as f64 * fx) as i64, self.y0 + (self.y1 - self.y0) * fy)
    }
}

