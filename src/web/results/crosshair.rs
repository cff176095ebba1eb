//! The line chart's hover crosshair: a vertical line at the pointer's time bucket and a tooltip
//! with every series' value there (text only, coloured like the lines). Dragging across the
//! chart brushes a time range and offers to zoom to it or select it (the chart tools' menu); a
//! click clears a selection. On a heatmap the tooltip shows the cell under the pointer and that
//! time bucket's histogram.

use wasm_bindgen::prelude::*;
use web_sys::{Element, HtmlCanvasElement};

use crate::web::dispatch::{send_on, Dispatch, Listeners};
use crate::web::dom::{self, append, el, text_el};
use crate::render::palette::series_css;
use crate::render::timeseries::{short_number, values_at};
use crate::render::PlotMapping;

pub enum Msg {
    Move(f64, f64),
    Down(web_sys::MouseEvent),
    Up(f64),
    Leave,
}

/// What the crosshair asks of the app.
pub enum Out {
    /// The pointer is at (x, y): show the values there.
    Hover(f64, f64),
    /// A time brush started (a brush menu that was open closes).
    BrushStarted,
    /// `[start, end)` (epoch seconds) was brushed on plot `m`.
    Brushed(PlotMapping, i64, i64),
    /// A click on the plot at pixel x (opens a marker's link there, else clears a selection).
    Clicked(f64),
}

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

    /// The main chart's pointer events as messages (a further chart's hover is its own).
    pub fn listen(canvas: &HtmlCanvasElement, d: &Dispatch<Msg>) -> Listeners {
        let at = |e: &web_sys::MouseEvent| (e.offset_x() as f64, e.offset_y() as f64);
        vec![
            send_on::<web_sys::MouseEvent, _>(canvas, "mousemove", d, move |e| Some(Msg::Move(at(&e).0, at(&e).1))),
            send_on::<web_sys::MouseEvent, _>(canvas, "mousedown", d, |e| Some(Msg::Down(e.clone()))),
            send_on::<web_sys::MouseEvent, _>(canvas, "mouseup", d, move |e| Some(Msg::Up(at(&e).0))),
            send_on::<web_sys::MouseEvent, _>(canvas, "mouseleave", d, |_| Some(Msg::Leave)),
        ]
    }

    /// The brush is drawn here while dragging; hovers, brushed ranges and clicks go up.
    pub fn update(&mut self, msg: Msg) -> Option<Out> {
        match msg {
            Msg::Move(x, y) => {
                if let Some(x0) = self.drag {
                    self.place_band(x0, x);
                    return None;
                }
                Some(Out::Hover(x, y))
            }
            Msg::Down(e) => {
                let m = self.mapping?;
                let (x, y) = (e.offset_x() as f64, e.offset_y() as f64);
                if x >= m.left as f64 && x <= m.right as f64 && y >= m.top as f64 && y <= m.bottom as f64 {
                    e.prevent_default();
                    self.drag = Some(x);
                    self.hide();
                    return Some(Out::BrushStarted);
                }
                None
            }
            Msg::Up(x1) => {
                let (x0, m) = (self.drag.take()?, self.mapping?);
                if (x1 - x0).abs() < 4.0 {
                    self.hide_band();
                    return Some(Out::Clicked(x1));
                }
                let (t0, _) = m.to_data(x0.min(x1), m.top as f64);
                let (t1, _) = m.to_data(x0.max(x1), m.top as f64);
                Some(Out::Brushed(m, t0.div_euclid(1000), (t1 + 999).div_euclid(1000)))
            }
            Msg::Leave => {
                self.hide();
                None
            }
        }
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

    pub fn hide_band(&self) {
        let _ = self.band.set_attribute("hidden", "");
    }

    /// Mark the time range `[start_ms, end_ms)` (a selection) on the line chart.
    pub fn show_band_for(&self, start_ms: i64, end_ms: i64) {
        let Some(m) = self.mapping else { return };
        self.place_band(m.x_pixel(start_ms), m.x_pixel(end_ms));
    }

    pub fn hide(&self) {
        let _ = self.line.set_attribute("hidden", "");
        let _ = self.tip.set_attribute("hidden", "");
    }

    /// Show the values of `calc` at pixel (x, y); `labels[i]` names result row i.
    /// `markers`: those under the pointer, listed after the values.
    pub fn show(&self, x: f64, y: f64, result: &crate::query::QueryResult, calc: usize, labels: &[String], markers: &[(&crate::marker::Marker, bool)]) -> Result<(), JsValue> {
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
        let when = text_el("div", "ap-tip-time", &format!("{} {} UTC", &iso[..10], &iso[11..16]))?;
        when.set_attribute("data-time", &bucket.to_string())?;
        append(&self.tip, &when)?;
        let mut shown: Vec<&(usize, Option<f64>)> = vals.iter().collect();
        shown.sort_by(|a, b| b.1.unwrap_or(f64::NEG_INFINITY).total_cmp(&a.1.unwrap_or(f64::NEG_INFINITY)));
        for (row, v) in shown.into_iter().take(12) {
            let line = el("div", "ap-tip-row")?;
            let chip = el("span", "ap-swatch")?;
            dom::set_style(&chip, "background", &series_css(*row))?;
            append(&line, &chip)?;
            append(&line, &text_el("span", "ap-tip-label", labels.get(*row).map(String::as_str).unwrap_or(""))?)?;
            let value = text_el("span", "ap-tip-value", &v.map(short_number).unwrap_or_else(|| "—".into()))?;
            value.set_attribute("data-value", &v.map_or("null".to_string(), |v| v.to_string()))?;
            append(&line, &value)?;
            append(&self.tip, &line)?;
        }
        self.marker_rows(markers)?;
        self.place_tip(px, &m)?;
        Ok(())
    }

    /// The markers under the pointer: type and message (text only), and whether a click opens
    /// a link.
    fn marker_rows(&self, markers: &[(&crate::marker::Marker, bool)]) -> Result<(), JsValue> {
        for &(mk, opens) in markers.iter().take(5) {
            let line = el("div", "ap-tip-row ap-tip-marker")?;
            let chip = el("span", "ap-swatch")?;
            let (r, g, b) = crate::marker::colour(&mk.kind);
            dom::set_style(&chip, "background", &format!("rgb({r},{g},{b})"))?;
            append(&line, &chip)?;
            append(&line, &text_el("span", "ap-tip-label", &format!("{}: {}", mk.kind, mk.message))?)?;
            if opens {
                append(&line, &text_el("span", "ap-hint", "click to open")?)?;
            }
            append(&self.tip, &line)?;
        }
        Ok(())
    }
}

impl Crosshair {
    /// The heatmap cell under pixel (x, y) of plot `m`: its time bucket, value range and count,
    /// and that time bucket's histogram with the cell marked.
    pub fn show_heat(&self, x: f64, y: f64, m: &PlotMapping, result: &crate::query::QueryResult, calc: usize, row: usize, markers: &[(&crate::marker::Marker, bool)]) -> Result<(), JsValue> {
        use crate::query::aggregate::Output;
        if x < m.left as f64 || x > m.right as f64 || y < m.top as f64 || y > m.bottom as f64 {
            self.hide();
            return Ok(());
        }
        let (Some((lo, _)), Some(g)) = (result.range_ms, result.granularity) else { return Ok(()) };
        let (t, v) = m.to_data(x, y);
        let step = g * 1000;
        let bucket = lo + (t - lo).div_euclid(step) * step;
        let hist = result.series.iter().find(|p| p.row == row && p.time_ms == bucket).and_then(|p| match p.values.get(calc) {
            Some(Output::Heatmap(h)) => Some(h),
            _ => None,
        });
        dom::clear(&self.tip);
        let iso = crate::query::result::iso8601(bucket);
        append(&self.tip, &text_el("div", "ap-tip-time", &format!("{} {} UTC", &iso[..10], &iso[11..19]))?)?;
        let Some(h) = hist else {
            append(&self.tip, &text_el("div", "ap-hint", "no events")?)?;
            self.marker_rows(markers)?;
            return self.place_tip(m.x_pixel(bucket), m);
        };
        let i = h.layout.index(v);
        let label = format!("{} – {}", short_number(h.lower(i)), short_number(h.upper(i)));
        let line = el("div", "ap-tip-row ap-tip-cell")?;
        line.set_attribute("data-bucket", &i.to_string())?;
        line.set_attribute("data-time", &bucket.to_string())?;
        line.set_attribute("data-count", &h.counts[i].to_string())?;
        append(&line, &el("span", "")?)?;
        append(&line, &text_el("span", "ap-tip-label", &label)?)?;
        append(&line, &text_el("span", "ap-tip-value", &format!("{} events", short_number(h.counts[i])))?)?;
        append(&self.tip, &line)?;
        // The bucket's histogram, low values at the left; the hovered cell stands out.
        let bars = el("div", "ap-tip-hist")?;
        bars.set_attribute("aria-label", "histogram of this time bucket")?;
        let top = h.counts.iter().copied().fold(0.0, f64::max).max(f64::MIN_POSITIVE);
        for (k, c) in h.counts.iter().enumerate() {
            let b = el("span", if k == i { "ap-hist-bar ap-hist-here" } else { "ap-hist-bar" })?;
            dom::set_style(&b, "height", &format!("{:.0}%", (c / top * 100.0).max(if *c > 0.0 { 4.0 } else { 0.0 })))?;
            append(&bars, &b)?;
        }
        append(&self.tip, &bars)?;
        let axis = el("div", "ap-tip-axis")?;
        append(&axis, &text_el("span", "", &short_number(h.min()))?)?;
        append(&axis, &text_el("span", "", &format!("{} events", short_number(h.total())))?)?;
        append(&axis, &text_el("span", "", &short_number(h.max()))?)?;
        append(&self.tip, &axis)?;
        self.marker_rows(markers)?;
        self.place_tip(m.x_pixel(bucket), m)
    }

    fn place_tip(&self, px: f64, m: &PlotMapping) -> Result<(), JsValue> {
        let flip = px > (m.left + m.right) as f64 / 2.0;
        if flip {
            dom::set_style(&self.tip, "left", "auto")?;
            dom::set_style(&self.tip, "right", &format!("calc(100% - {:.0}px)", px - 8.0))?;
        } else {
            dom::set_style(&self.tip, "right", "auto")?;
            dom::set_style(&self.tip, "left", &format!("{:.0}px", px + 8.0))?;
        }
        dom::set_style(&self.tip, "top", &format!("{}px", m.top + 4))?;
        let _ = self.tip.remove_attribute("hidden");
        Ok(())
    }
}
