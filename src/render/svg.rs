//! A chart as an SVG document (plotters' SVG backend): the same drawing as on the page's canvas
//! (markers included), for "Export SVG" and the standalone HTML export.

use plotters::prelude::{IntoDrawingArea, SVGBackend};

use super::{heatmap, timeseries, Theme};
use crate::query::QueryResult;

/// Calculation 0 of `result` drawn as the page draws it (`heatmap`: its HEATMAP for row
/// `highlight` or the first; else lines, `highlight` full strength), `size` pixels.
pub fn chart(result: &QueryResult, heatmap: bool, zero_fill: bool, highlight: Option<usize>, size: (u32, u32), theme: Theme, markers: &[crate::marker::Marker]) -> Result<String, String> {
    calc_chart(result, 0, heatmap, zero_fill, highlight, size, theme, markers)
}

/// Calculation `calc` of `result`, as [`chart`] draws calculation 0.
#[allow(clippy::too_many_arguments)]
pub fn calc_chart(result: &QueryResult, calc: usize, heatmap: bool, zero_fill: bool, highlight: Option<usize>, size: (u32, u32), theme: Theme, markers: &[crate::marker::Marker]) -> Result<String, String> {
    let mut out = String::new();
    {
        let area = SVGBackend::with_string(&mut out, size).into_drawing_area();
        let plot = if heatmap { heatmap::draw(&area, result, calc, highlight.unwrap_or(0), theme)? } else { timeseries::draw(&area, result, calc, zero_fill, theme, highlight)? };
        if let Some(m) = plot {
            super::markers::draw(&area, &m, markers)?;
        }
        area.present().map_err(|e| format!("drawing the SVG: {e}"))?;
    }
    Ok(out)
}
