//! Options and actions over the chart: the heatmap's value axis (log or linear, log by default for
//! latency-like columns) and the menu a brushed time range on the line chart offers (zoom in, or
//! select it for BubbleUp and the trace list).

use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{Element, HtmlInputElement};

use super::app::{listen, Shared};
use super::dom::{self, append, el, text_el};
use crate::query::heatmap::Scale;
use crate::render::PlotMapping;

pub struct ChartTools {
    scale_label: Element,
    scale_box: HtmlInputElement,
    /// The person's choice of heatmap axis; `None` follows [`Scale::auto_for`].
    pub choice: Option<Scale>,
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
        Ok(ChartTools { scale_label, scale_box, choice: None, menu, brushed: None })
    }

    pub fn wire(app: &Shared) -> Result<(), JsValue> {
        let input = app.borrow().tools.scale_box.clone();
        listen::<web_sys::Event>(&input, "change", app, |app, _| {
            if let Ok(mut a) = app.try_borrow_mut() {
                let scale = if a.tools.scale_box.checked() { Scale::Log } else { Scale::Linear };
                a.set_heatmap_scale(scale);
            }
        })?;
        let menu = app.borrow().tools.menu.clone();
        listen::<web_sys::MouseEvent>(&menu, "click", app, |app, e| {
            let Some(action) = e.target().and_then(|t| t.dyn_into::<Element>().ok()).and_then(|t| t.get_attribute("data-brush")) else { return };
            let Ok(mut a) = app.try_borrow_mut() else { return };
            let Some((start, end)) = a.tools.brushed.take() else { return };
            a.tools.hide_menu();
            match action.as_str() {
                "zoom" => a.zoom_time(start, end),
                "select" => a.select_time(start, end),
                _ => a.hover.hide_band(),
            }
        })?;
        listen::<web_sys::KeyboardEvent>(&menu, "keydown", app, |app, e| {
            if e.key() == "Escape" {
                if let Ok(mut a) = app.try_borrow_mut() {
                    a.tools.brushed = None;
                    a.tools.hide_menu();
                    a.hover.hide_band();
                }
            }
        })?;
        Ok(())
    }

    /// The axis HEATMAP of `column` is drawn on.
    pub fn scale_for(&self, column: &str) -> Scale {
        self.choice.unwrap_or_else(|| Scale::auto_for(column))
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
