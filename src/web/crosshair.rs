//! The line chart's hover crosshair: a vertical line at the pointer's time bucket and a tooltip
//! with every series' value there (text only, coloured like the lines). Dragging across the
//! chart brushes a time range and zooms the query to it (a new history entry).

use wasm_bindgen::prelude::*;
use web_sys::{Element, HtmlCanvasElement};

use super::app::{listen, Shared};
use super::dom::{self, append, el, text_el};
use crate::render::palette::series_css;
use crate::render::timeseries::{short_number, values_at};
use crate::render::PlotMapping;

pub struct Crosshair {
    line: Element,
    tip: Element,
    band: Element,
    /// Pixel x where a time brush started, while dragging.
    drag: Option<f64>,
    pub mapping: Option<PlotMapping>,
}

impl Crosshair {
    pub fn build(wrap: &Element) -> Result<Crosshair, JsValue> {
        let line = el("div", "ap-crosshair")?;
        line.set_attribute("hidden", "")?;
        append(wrap, &line)?;
        let tip = el("div", "ap-tooltip")?;
        tip.set_attribute("hidden", "")?;
        tip.set_attribute("role", "tooltip")?;
        append(wrap, &tip)?;
        let band = el("div", "ap-time-brush")?;
        band.set_attribute("hidden", "")?;
        append(wrap, &band)?;
        Ok(Crosshair { line, tip, band, drag: None, mapping: None })
    }

    pub fn wire(app: &Shared, canvas: &HtmlCanvasElement) -> Result<(), JsValue> {
        listen::<web_sys::MouseEvent>(canvas, "mousemove", app, |app, e| {
            let Ok(a) = app.try_borrow() else { return };
            if let Some(x0) = a.hover.drag {
                a.hover.place_band(x0, e.offset_x() as f64);
                return;
            }
            a.show_crosshair(e.offset_x() as f64, e.offset_y() as f64);
        })?;
        listen::<web_sys::MouseEvent>(canvas, "mousedown", app, |app, e| {
            let Ok(mut a) = app.try_borrow_mut() else { return };
            let Some(m) = a.hover.mapping else { return };
            let (x, y) = (e.offset_x() as f64, e.offset_y() as f64);
            if x >= m.left as f64 && x <= m.right as f64 && y >= m.top as f64 && y <= m.bottom as f64 {
                e.prevent_default();
                a.hover.drag = Some(x);
                a.hover.hide();
            }
        })?;
        listen::<web_sys::MouseEvent>(canvas, "mouseup", app, |app, e| {
            let Ok(mut a) = app.try_borrow_mut() else { return };
            let (Some(x0), Some(m)) = (a.hover.drag.take(), a.hover.mapping) else { return };
            let _ = a.hover.band.set_attribute("hidden", "");
            let x1 = e.offset_x() as f64;
            if (x1 - x0).abs() < 4.0 {
                return;
            }
            let (t0, _) = m.to_data(x0.min(x1), m.top as f64);
            let (t1, _) = m.to_data(x0.max(x1), m.top as f64);
            a.zoom_time(t0.div_euclid(1000), (t1 + 999).div_euclid(1000));
        })?;
        listen::<web_sys::MouseEvent>(canvas, "mouseleave", app, |app, _| {
            if let Ok(a) = app.try_borrow() {
                a.hover.hide();
            }
        })?;
        Ok(())
    }

    fn place_band(&self, x0: f64, x1: f64) {
        let Some(m) = self.mapping else { return };
        let (a, b) = (x0.min(x1).max(m.left as f64), x0.max(x1).min(m.right as f64));
        let _ = dom::set_style(&self.band, "left", &format!("{a:.0}px"));
        let _ = dom::set_style(&self.band, "width", &format!("{:.0}px", (b - a).max(1.0)));
        let _ = dom::set_style(&self.band, "top", &format!("{}px", m.top));
        let _ = dom::set_style(&self.band, "height", &format!("{}px", m.bottom - m.top));
        let _ = self.band.remove_attribute("hidden");
    }

    pub fn hide(&self) {
        let _ = self.line.set_attribute("hidden", "");
        let _ = self.tip.set_attribute("hidden", "");
    }

    /// Show the values of `calc` at pixel (x, y); `labels[i]` names result row i.
    pub fn show(&self, x: f64, y: f64, result: &crate::query::QueryResult, calc: usize, labels: &[String]) -> Result<(), JsValue> {
        let Some(m) = self.mapping else { return Ok(()) };
        if x < m.left as f64 || x > m.right as f64 || y < m.top as f64 || y > m.bottom as f64 {
            self.hide();
            return Ok(());
        }
        let (t, _) = m.to_data(x, y);
        let Some((bucket, vals)) = values_at(result, calc, t) else { return Ok(()) };
        let px = m.left as f64 + (bucket - m.t0) as f64 / (m.t1 - m.t0).max(1) as f64 * (m.right - m.left) as f64;
        dom::set_style(&self.line, "left", &format!("{px:.0}px"))?;
        dom::set_style(&self.line, "top", &format!("{}px", m.top))?;
        dom::set_style(&self.line, "height", &format!("{}px", m.bottom - m.top))?;
        let _ = self.line.remove_attribute("hidden");
        dom::clear(&self.tip);
        let iso = crate::query::result::iso8601(bucket);
        append(&self.tip, &text_el("div", "ap-tip-time", &format!("{} {} UTC", &iso[..10], &iso[11..16]))?)?;
        let mut shown: Vec<&(usize, Option<f64>)> = vals.iter().collect();
        shown.sort_by(|a, b| b.1.unwrap_or(f64::NEG_INFINITY).total_cmp(&a.1.unwrap_or(f64::NEG_INFINITY)));
        for (row, v) in shown.into_iter().take(12) {
            let line = el("div", "ap-tip-row")?;
            let chip = el("span", "ap-swatch")?;
            dom::set_style(&chip, "background", &series_css(*row))?;
            append(&line, &chip)?;
            append(&line, &text_el("span", "ap-tip-label", labels.get(*row).map(String::as_str).unwrap_or(""))?)?;
            append(&line, &text_el("span", "ap-tip-value", &v.map(short_number).unwrap_or_else(|| "—".into()))?)?;
            append(&self.tip, &line)?;
        }
        let flip = px > (m.left + m.right) as f64 / 2.0;
        dom::set_style(&self.tip, "left", if flip { "auto" } else { "" })?;
        dom::set_style(&self.tip, "right", if flip { "" } else { "auto" })?;
        if flip {
            dom::set_style(&self.tip, "right", &format!("calc(100% - {:.0}px)", px - 8.0))?;
        } else {
            dom::set_style(&self.tip, "left", &format!("{:.0}px", px + 8.0))?;
        }
        dom::set_style(&self.tip, "top", &format!("{}px", m.top + 4))?;
        let _ = self.tip.remove_attribute("hidden");
        Ok(())
    }
}
