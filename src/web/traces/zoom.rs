//! Zoom for the trace waterfall: a minimap of the whole trace (plotters on a canvas) with the
//! window on view marked, a time axis for that window, and the controls: drag across the minimap
//! to zoom to that stretch, − / + to widen or narrow around the middle, Reset (or a double click)
//! to see the whole trace again.

use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{Element, HtmlCanvasElement};

use crate::web::dispatch::{send_on, Dispatch, Listeners};
use crate::web::dom::{self, append, el, text_el};
use crate::render::minimap::{self, MiniSpan};
use crate::trace::Trace;

/// The smallest window, as a share of the trace.
const MIN_SHARE: f64 = 1e-4;

pub enum Msg {
    /// − / + / Reset.
    Button(String),
    Down(web_sys::MouseEvent),
    Move(web_sys::MouseEvent),
    Up(web_sys::MouseEvent),
    /// Double click: the whole trace.
    All,
}

pub struct TraceZoom {
    canvas: HtmlCanvasElement,
    mini: Element,
    band: Element,
    axis: Element,
    label: Element,
    /// The trace's length (ms) and the window on view (ms from the trace's start).
    total: f64,
    pub window: (f64, f64),
    drag: Option<f64>,
    /// The open trace's spans as the minimap draws them (kept to draw it again).
    spans: Vec<MiniSpan>,
}

impl TraceZoom {
    /// Build the zoom rows into `parent` (above the waterfall's rows).
    pub fn build(parent: &Element) -> Result<TraceZoom, JsValue> {
        let top = el("div", "ap-wf-zoom")?;
        let controls = el("div", "ap-wf-zoom-controls")?;
        for (action, label, title) in [("out", "−", "Zoom out"), ("in", "+", "Zoom in"), ("reset", "Reset", "Show the whole trace")] {
            let b = text_el("button", "ap-button ap-wf-zoom-button", label)?;
            b.set_attribute("data-zoom", action)?;
            b.set_attribute("title", title)?;
            b.set_attribute("aria-label", title)?;
            append(&controls, &b)?;
        }
        let label = el("span", "ap-hint ap-wf-zoom-label")?;
        append(&controls, &label)?;
        append(&top, &controls)?;
        let mini = el("div", "ap-wf-mini")?;
        mini.set_attribute("title", "Drag to zoom to a stretch of the trace; double-click for all of it")?;
        let canvas: HtmlCanvasElement = el("canvas", "ap-wf-mini-canvas")?.dyn_into()?;
        canvas.set_attribute("aria-label", "trace minimap")?;
        append(&mini, &canvas)?;
        let band = el("div", "ap-wf-mini-window")?;
        append(&mini, &band)?;
        append(&top, &mini)?;
        append(&top, &el("span", "")?)?;
        // The time axis of the window, aligned with the bars.
        append(&top, &el("span", "")?)?;
        let axis = el("div", "ap-wf-axis")?;
        append(&top, &axis)?;
        append(&top, &el("span", "")?)?;
        append(parent, &top)?;
        Ok(TraceZoom { canvas, mini, band, axis, label, total: 0.0, window: (0.0, 0.0), drag: None, spans: Vec::new() })
    }

    pub fn listen(&self, d: &Dispatch<Msg>) -> Listeners {
        let mut out = vec![
            send_on::<web_sys::MouseEvent, _>(&self.mini, "mousedown", d, |e| Some(Msg::Down(e.clone()))),
            send_on::<web_sys::MouseEvent, _>(&self.mini, "mousemove", d, |e| Some(Msg::Move(e.clone()))),
            send_on::<web_sys::MouseEvent, _>(&self.mini, "mouseup", d, |e| Some(Msg::Up(e.clone()))),
            send_on::<web_sys::MouseEvent, _>(&self.mini, "dblclick", d, |_| Some(Msg::All)),
        ];
        if let Some(c) = self.label.parent_element() {
            out.push(send_on::<web_sys::MouseEvent, _>(&c, "click", d, |e| {
                e.target().and_then(|t| t.dyn_into::<Element>().ok()).and_then(|t| t.get_attribute("data-zoom")).map(Msg::Button)
            }));
        }
        out
    }

    /// A drag is drawn here; the window asked for (ms from the trace's start) goes up.
    pub fn update(&mut self, msg: Msg) -> Option<(f64, f64)> {
        match msg {
            Msg::Button(action) => {
                let (z0, z1) = self.window;
                let (mid, half) = ((z0 + z1) / 2.0, (z1 - z0) / 2.0);
                Some(match action.as_str() {
                    "in" => (mid - half / 2.0, mid + half / 2.0),
                    "out" => (mid - half * 2.0, mid + half * 2.0),
                    _ => (0.0, self.total),
                })
            }
            Msg::Down(e) => {
                e.prevent_default();
                let x = self.x_of(&e);
                self.drag = Some(x);
                self.place_band(x, x);
                None
            }
            Msg::Move(e) => {
                if let Some(x0) = self.drag {
                    self.place_band(x0, self.x_of(&e));
                }
                None
            }
            Msg::Up(e) => {
                let x0 = self.drag.take()?;
                let x1 = self.x_of(&e);
                if (x1 - x0).abs() < 3.0 {
                    // A click: restore the band of the current window.
                    self.show_window();
                    return None;
                }
                Some((self.time_at(x0.min(x1)), self.time_at(x0.max(x1))))
            }
            Msg::All => Some((0.0, self.total)),
        }
    }

    /// A new trace: draw its minimap and show all of it.
    pub fn reset(&mut self, t: &Trace, service_of: impl Fn(&str) -> usize, theme: crate::render::Theme) -> Result<(), JsValue> {
        let t0 = t.start_ms();
        self.total = t.duration_ms().max(1e-6);
        self.window = (0.0, self.total);
        self.spans = t.spans.iter().map(|s| MiniSpan { start: s.start_ms - t0, end: s.end_ms() - t0, service: service_of(&s.service) }).collect();
        self.redraw(theme)
    }

    /// Draw the minimap again at its box's width in `theme` (the theme or the width changed),
    /// the window on view kept.
    pub fn redraw(&self, theme: crate::render::Theme) -> Result<(), JsValue> {
        let width = self.mini.client_width().max(200) as u32;
        self.canvas.set_width(width);
        self.canvas.set_height(34);
        self.canvas.set_attribute("data-theme", if theme == crate::render::Theme::Dark { "dark" } else { "light" })?;
        let backend = plotters_canvas::CanvasBackend::with_canvas_object(self.canvas.clone()).ok_or_else(|| JsValue::from_str("the minimap canvas has no 2D context"))?;
        use plotters::prelude::IntoDrawingArea;
        minimap::draw(&backend.into_drawing_area(), &self.spans, self.total, theme).map_err(|e| JsValue::from_str(&e))?;
        self.show_window();
        Ok(())
    }

    /// Clamp `w` to the trace (at least a sliver of it) and make it the window.
    pub fn set(&mut self, w: (f64, f64)) {
        let min = (self.total * MIN_SHARE).max(1e-6);
        let width = (w.1 - w.0).clamp(min, self.total);
        let start = w.0.clamp(0.0, self.total - width);
        self.window = (start, start + width);
        self.show_window();
    }

    /// The window when it is not the whole trace.
    pub fn zoomed(&self) -> Option<(f64, f64)> {
        let (z0, z1) = self.window;
        (z0 > 0.0 || z1 < self.total).then_some((z0, z1))
    }

    /// Mark the window on the minimap, label it, and write the axis ticks.
    fn show_window(&self) {
        let (z0, z1) = self.window;
        let total = self.total.max(1e-9);
        let _ = dom::set_style(&self.band, "left", &format!("{:.3}%", z0 / total * 100.0));
        let _ = dom::set_style(&self.band, "width", &format!("{:.3}%", ((z1 - z0) / total * 100.0).max(0.3)));
        let zoomed = z0 > 0.0 || z1 < total;
        let text = if zoomed { format!("{} – {} of {}", ms(z0), ms(z1), ms(total)) } else { format!("all {}", ms(total)) };
        self.label.set_text_content(Some(&text));
        let _ = self.mini.set_attribute("data-window", &format!("{z0},{z1}"));
        dom::clear(&self.axis);
        for k in 0..=4 {
            let at = z0 + (z1 - z0) * k as f64 / 4.0;
            if let Ok(tick) = text_el("span", "ap-wf-tick", &ms(at)) {
                let _ = dom::set_style(&tick, "left", &format!("{}%", k * 25));
                let _ = append(&self.axis, &tick);
            }
        }
    }

    fn place_band(&self, a: f64, b: f64) {
        let w = self.mini.client_width().max(1) as f64;
        let _ = dom::set_style(&self.band, "left", &format!("{:.3}%", a.min(b) / w * 100.0));
        let _ = dom::set_style(&self.band, "width", &format!("{:.3}%", ((a - b).abs() / w * 100.0).max(0.3)));
    }

    /// The pointer's x inside the minimap.
    fn x_of(&self, e: &web_sys::MouseEvent) -> f64 {
        let r = self.mini.get_bounding_client_rect();
        (e.client_x() as f64 - r.left()).clamp(0.0, r.width())
    }

    fn time_at(&self, x: f64) -> f64 {
        x / self.mini.client_width().max(1) as f64 * self.total
    }

    /// Left and width (percent of the track) of `[start, end]` ms from the trace's start.
    pub fn place(&self, start: f64, end: f64) -> (f64, f64) {
        let (z0, z1) = self.window;
        let span = (z1 - z0).max(1e-9);
        ((start - z0) / span * 100.0, (end - start) / span * 100.0)
    }
}

/// Milliseconds for an axis: µs precision below 10 ms.
fn ms(x: f64) -> String {
    if x.abs() < 10.0 { format!("{x:.3} ms") } else if x.abs() < 1000.0 { format!("{x:.1} ms") } else { format!("{:.2} s", x / 1000.0) }
}
