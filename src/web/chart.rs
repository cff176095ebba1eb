//! Draws engine results on a `<canvas>` through plotters-canvas.

use plotters::prelude::*;
use plotters_canvas::CanvasBackend;
use web_sys::HtmlCanvasElement;

use crate::marker::Marker;
use crate::query::QueryResult;
use crate::render::{heatmap, timeseries, Theme};

fn area(canvas: &HtmlCanvasElement) -> Result<DrawingArea<CanvasBackend, plotters::coord::Shift>, String> {
    let width = canvas.client_width().max(320) as u32;
    let height = canvas.client_height().max(160) as u32;
    canvas.set_width(width);
    canvas.set_height(height);
    let backend = CanvasBackend::with_canvas_object(canvas.clone()).ok_or("the canvas has no 2D context")?;
    Ok(backend.into_drawing_area())
}

/// Size the canvas to its box and draw calculation `calc` of `result` as lines.
/// `highlight`: the result row whose line is drawn full strength (the others dimmed).
pub fn draw_timeseries(canvas: &HtmlCanvasElement, result: &QueryResult, calc: usize, zero_fill: bool, theme: Theme, highlight: Option<usize>, markers: &[Marker]) -> Result<Option<crate::render::PlotMapping>, String> {
    let area = area(canvas)?;
    let plot = timeseries::draw(&area, result, calc, zero_fill, theme, highlight)?;
    with_markers(&area, plot, markers)
}

/// Draw HEATMAP calculation `calc` of result row `row`; returns where the plot is.
pub fn draw_heatmap(canvas: &HtmlCanvasElement, result: &QueryResult, calc: usize, row: usize, theme: Theme, markers: &[Marker]) -> Result<Option<heatmap::PlotMapping>, String> {
    let area = area(canvas)?;
    let plot = heatmap::draw(&area, result, calc, row, theme)?;
    with_markers(&area, plot, markers)
}

/// Draw `markers` over a chart just drawn in `plot`.
fn with_markers(area: &DrawingArea<CanvasBackend, plotters::coord::Shift>, plot: Option<crate::render::PlotMapping>, markers: &[Marker]) -> Result<Option<crate::render::PlotMapping>, String> {
    if let (Some(m), false) = (plot, markers.is_empty()) {
        crate::render::markers::draw(area, &m, markers)?;
        area.present().map_err(|e| format!("drawing the markers: {e}"))?;
    }
    Ok(plot)
}
