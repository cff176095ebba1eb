//! Charts drawn with plotters on any drawing backend (a browser canvas in the page). No web-sys
//! here: the page hands in a `plotters-canvas` backend.

pub mod heatmap;
pub mod palette;
pub mod timeseries;

pub use palette::Theme;
