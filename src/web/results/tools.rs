//! Options and actions over the chart: the heatmap's value axis (log or linear, log by default for
//! latency-like columns) and the menu a brushed time range on the line chart offers (zoom in, or
//! select it for BubbleUp and the trace list).

use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{Element, HtmlInputElement};

use crate::web::dispatch::{send_on, Dispatch, Listeners};
use crate::web::dom::{self, append, el, text_el};
use crate::query::heatmap::Scale;
use crate::render::PlotMapping;

pub enum Msg {
    /// The heatmap axis toggle.
    Scale(Scale),
    /// A brush menu button (`zoom`, `select`, `close`).
    Menu(String),
    Escape,
}

/// What the tools ask of the app.
pub enum Out {
    Scale(Scale),
    /// Zoom the query to `[start, end)` (epoch seconds).
    Zoom(i64, i64),
    /// Select `[start, end)` for BubbleUp and the trace list.
    Select(i64, i64),
    /// The menu closed without a choice.
    Closed,
}

pub struct ChartTools {
    scale_label: Element,
    scale_box: HtmlInputElement,
    menu: Element,
    /// The time range (epoch seconds) the open menu acts on.
    pub brushed: Option<(i64, i64)>,
}

impl ChartTools {
    /// The axis toggle goes into `bar`, the brush menu over the chart in `wrap`.
    pub fn build(bar: &Element, wrap: &Element) -> Result<ChartTools, JsValue> {
        let scale_label = el("label", "ap-toggle ap-scale")?;
        scale_label.set_attribute("hidden", "")?;
        let scale_box: HtmlInputElement = el("input", "")?.dyn_into()?;
        scale_box.set_type("checkbox");
        append(&scale_label, &scale_box)?;
        append(&scale_label, &text_el("span", "", "log value axis")?)?;
        append(bar, &scale_label)?;
        let menu = el("div", "ap-brush-menu")?;
        menu.set_attribute("hidden", "")?;
        menu.set_attribute("role", "menu")?;
        for (action, label, title) in [
            ("zoom", "Zoom in", "Run the query over this time range"),
            ("select", "BubbleUp & traces", "Compare this time range with the rest, and list its slowest traces"),
            ("close", "×", "Close"),
        ] {
            let b = text_el("button", "ap-button", label)?;
            b.set_attribute("data-brush", action)?;
            b.set_attribute("title", title)?;
            b.set_attribute("role", "menuitem")?;
            append(&menu, &b)?;
        }
        append(wrap, &menu)?;
        Ok(ChartTools { scale_label, scale_box, menu, brushed: None })
    }

    pub fn listen(&self, d: &Dispatch<Msg>) -> Listeners {
        let input = self.scale_box.clone();
        vec![
            send_on::<web_sys::Event, _>(&self.scale_box, "change", d, move |_| Some(Msg::Scale(if input.checked() { Scale::Log } else { Scale::Linear }))),
            send_on::<web_sys::MouseEvent, _>(&self.menu, "click", d, |e| {
                e.target().and_then(|t| t.dyn_into::<Element>().ok()).and_then(|t| t.get_attribute("data-brush")).map(Msg::Menu)
            }),
            send_on::<web_sys::KeyboardEvent, _>(&self.menu, "keydown", d, |e| (e.key() == "Escape").then_some(Msg::Escape)),
        ]
    }

    pub fn update(&mut self, msg: Msg) -> Option<Out> {
        match msg {
            Msg::Scale(s) => Some(Out::Scale(s)),
            Msg::Menu(action) => {
                let (start, end) = self.brushed.take()?;
                self.hide_menu();
                Some(match action.as_str() {
                    "zoom" => Out::Zoom(start, end),
                    "select" => Out::Select(start, end),
                    _ => Out::Closed,
                })
            }
            Msg::Escape => {
                self.brushed = None;
                self.hide_menu();
                Some(Out::Closed)
            }
        }
    }

    /// Show the axis toggle for a heatmap (`drawn_log`: the axis actually drawn) or hide it.
    pub fn show_scale(&self, heatmap: Option<(Scale, bool)>) {
        match heatmap {
            Some((asked, drawn_log)) => {
                self.scale_box.set_checked(asked == Scale::Log);
                let note = if asked == Scale::Log && !drawn_log { "a log axis needs values above zero: drawn linear" } else { "buckets of equal ratio (log) or equal width (linear)" };
                let _ = self.scale_label.set_attribute("title", note);
                let _ = self.scale_label.remove_attribute("hidden");
            }
            None => {
                let _ = self.scale_label.set_attribute("hidden", "");
            }
        }
    }

    /// Offer the actions for the time range `[start, end)` brushed on the plot `m`.
    pub fn show_menu(&mut self, m: &PlotMapping, start: i64, end: i64) -> Result<(), JsValue> {
        self.brushed = Some((start, end));
        let x = m.x_pixel(start * 1000).max(m.left as f64);
        dom::set_style(&self.menu, "left", &format!("{x:.0}px"))?;
        dom::set_style(&self.menu, "top", &format!("{}px", m.top + 4))?;
        self.menu.remove_attribute("hidden")?;
        if let Ok(Some(first)) = self.menu.query_selector("button") {
            let _ = first.unchecked_ref::<web_sys::HtmlElement>().focus();
        }
        Ok(())
    }

    pub fn hide_menu(&self) {
        let _ = self.menu.set_attribute("hidden", "");
    }
}
