//! BubbleUp in the page: drag a box on the heatmap (time × value), see which columns and values
//! set the selected events apart, and click a value to filter on it.

use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{Element, HtmlCanvasElement};

use crate::web::dispatch::{send_on, Dispatch, Listeners};
use crate::web::dom::{self, append, el, text_el};
use crate::bubbleup::{self, BubbleUp, Selection};
use crate::render::heatmap::PlotMapping;

pub enum Msg {
    Down(web_sys::MouseEvent),
    Move((f64, f64)),
    Up((f64, f64)),
    Clear,
    GroupBy(String),
    Filter(String, Option<crate::query::spec::FilterOp>, serde_json::Value),
}

/// What BubbleUp asks of the app.
pub enum Out {
    /// The heatmap cell at pixel (x, y).
    SelectCell(f64, f64),
    /// A box drawn on the heatmap (time × value; the app adds the group's filters).
    SelectBox(Selection),
    Clear,
    /// Add a column to GROUP BY.
    GroupBy(String),
    /// Filter on `column op value` (`=` when no op; null: does not exist).
    Filter(String, Option<crate::query::spec::FilterOp>, serde_json::Value),
}

pub struct BubbleUpView {
    pub panel: Element,
    pub brush: Element,
    /// Pixel where a drag started, while dragging.
    pub drag: Option<(f64, f64)>,
    pub mapping: Option<PlotMapping>,
    pub column: Option<String>,
}

impl BubbleUpView {
    /// `wrap` holds the chart canvas; the brush overlays it, the panel goes into `root`.
    pub fn build(root: &Element, wrap: &Element) -> Result<BubbleUpView, JsValue> {
        let brush = el("div", "ap-brush")?;
        brush.set_attribute("hidden", "")?;
        append(wrap, &brush)?;
        let panel = el("section", "ap-bubbleup")?;
        panel.set_attribute("aria-label", "BubbleUp")?;
        panel.set_attribute("hidden", "")?;
        append(root, &panel)?;
        Ok(BubbleUpView { panel, brush, drag: None, mapping: None, column: None })
    }

    /// Drags on the heatmap (`canvas`) and clicks in the panel as messages.
    pub fn listen(&self, canvas: &HtmlCanvasElement, d: &Dispatch<Msg>) -> Listeners {
        let at = |e: &web_sys::MouseEvent| (e.offset_x() as f64, e.offset_y() as f64);
        vec![
            send_on::<web_sys::MouseEvent, _>(canvas, "mousedown", d, |e| Some(Msg::Down(e.clone()))),
            send_on::<web_sys::MouseEvent, _>(canvas, "mousemove", d, move |e| Some(Msg::Move(at(&e)))),
            send_on::<web_sys::MouseEvent, _>(canvas, "mouseup", d, move |e| Some(Msg::Up(at(&e)))),
            send_on::<web_sys::MouseEvent, _>(&self.panel, "click", d, |e| {
                let t = e.target().and_then(|t| t.dyn_into::<Element>().ok())?;
                if t.closest("[data-clear-selection]").ok().flatten().is_some() {
                    return Some(Msg::Clear);
                }
                if let Some(col) = t.closest("[data-groupby]").ok().flatten().and_then(|b| b.get_attribute("data-groupby")) {
                    return Some(Msg::GroupBy(col));
                }
                let row = t.closest("[data-col]").ok().flatten()?;
                let (col, val) = (row.get_attribute("data-col")?, row.get_attribute("data-val")?);
                let v = serde_json::from_str::<serde_json::Value>(&val).ok()?;
                Some(Msg::Filter(col, row.get_attribute("data-op").and_then(|o| crate::query::spec::FilterOp::parse(&o)), v))
            }),
        ]
    }

    /// The brush follows a drag here; selections and the panel's choices go up.
    pub fn update(&mut self, msg: Msg) -> Option<Out> {
        match msg {
            Msg::Down(e) => {
                self.mapping?;
                e.prevent_default();
                let p = (e.offset_x() as f64, e.offset_y() as f64);
                self.drag = Some(p);
                self.place_brush(p, p);
                None
            }
            Msg::Move(p) => {
                if let Some(start) = self.drag {
                    self.place_brush(start, p);
                }
                None
            }
            Msg::Up(end) => {
                let (start, m, col) = (self.drag.take()?, self.mapping?, self.column.clone()?);
                if (start.0 - end.0).abs() < 3.0 && (start.1 - end.1).abs() < 3.0 {
                    // A click selects the cell under the pointer.
                    return Some(Out::SelectCell(end.0, end.1));
                }
                let (t0, v0) = m.to_data(start.0.min(end.0), start.1.max(end.1));
                let (t1, v1) = m.to_data(start.0.max(end.0), start.1.min(end.1));
                Some(Out::SelectBox(bubbleup::box_selection(&col, t0.div_euclid(1000), (t1 + 999).div_euclid(1000), v0, v1)))
            }
            Msg::Clear => Some(Out::Clear),
            Msg::GroupBy(c) => Some(Out::GroupBy(c)),
            Msg::Filter(c, op, v) => Some(Out::Filter(c, op, v)),
        }
    }

    fn place_brush(&self, a: (f64, f64), b: (f64, f64)) {
        let _ = self.brush.remove_attribute("hidden");
        let _ = dom::set_style(&self.brush, "left", &format!("{}px", a.0.min(b.0)));
        let _ = dom::set_style(&self.brush, "top", &format!("{}px", a.1.min(b.1)));
        let _ = dom::set_style(&self.brush, "width", &format!("{}px", (a.0 - b.0).abs()));
        let _ = dom::set_style(&self.brush, "height", &format!("{}px", (a.1 - b.1).abs()));
    }

    /// Draw the brush where `sel` lies on the current plot (after a redraw or from a link).
    pub fn show_selection(&self, sel: &Selection) {
        let Some(m) = self.mapping else { return };
        let lo = sel.filters.iter().find(|f| f.op == crate::query::spec::FilterOp::Ge).and_then(|f| f.value.as_ref()?.as_f64());
        let hi = sel.filters.iter().find(|f| f.op == crate::query::spec::FilterOp::Le).and_then(|f| f.value.as_ref()?.as_f64());
        let (x, y) = (|t: i64| m.x_pixel(t), |v: f64| m.y_pixel(v));
        let (t0, t1) = (sel.start_time.unwrap_or(m.t0 / 1000) * 1000, sel.end_time.unwrap_or(m.t1 / 1000) * 1000);
        let (x0, x1) = (x(t0).max(m.left as f64), x(t1).min(m.right as f64));
        let (y0, y1) = (y(hi.unwrap_or(m.y1).min(m.y1)), y(lo.unwrap_or(m.y0).max(m.y0)));
        self.place_brush((x0, y0), (x1, y1));
    }

    /// Hide the brush and the panel (no selection).
    pub fn clear(&self) {
        let _ = self.brush.set_attribute("hidden", "");
        let _ = self.panel.set_attribute("hidden", "");
    }

    /// Show the ranked columns: for each, its top values with selection and baseline shares.
    pub fn render(&self, b: &BubbleUp) -> Result<(), JsValue> {
        let p = &self.panel;
        dom::clear(p);
        let _ = p.remove_attribute("hidden");
        let head = format!(
            "BubbleUp · {} selected events vs {} baseline · click a value to filter on it, or group by a column",
            dom::thousands(b.selection_count.round() as u64),
            dom::thousands(b.baseline_count.round() as u64)
        );
        let top = el("div", "ap-bu-top")?;
        append(&top, &text_el("h3", "ap-bu-head", &head)?)?;
        let close = text_el("button", "ap-button", "Clear selection")?;
        close.set_attribute("data-clear-selection", "")?;
        append(&top, &close)?;
        append(p, &top)?;
        // Dimensions first, then measures, each ranked by score.
        for (measures, title) in [(false, "Dimensions"), (true, "Measures")] {
            if !b.columns.iter().any(|c| c.measure == measures) {
                continue;
            }
            append(p, &text_el("h4", "ap-bu-kind", title)?)?;
            let grid = el("div", "ap-bu-grid")?;
            grid.set_attribute("data-kind", if measures { "measures" } else { "dimensions" })?;
            for c in b.columns.iter().filter(|c| c.measure == measures) {
                Self::card(&grid, c)?;
            }
            append(p, &grid)?;
        }
        Ok(())
    }

    /// One column's card: its top values with selection and baseline shares.
    fn card(grid: &Element, c: &crate::bubbleup::ColumnReport) -> Result<(), JsValue> {
        let card = el("div", "ap-bu-col")?;
        card.set_attribute("data-column", &c.column)?;
        let title = el("div", "ap-bu-title")?;
        append(&title, &text_el("span", "ap-bu-name", &c.column)?)?;
        append(&title, &text_el("span", "ap-hint", &format!("{} · {:.2}", if c.measure { "measure" } else { "dimension" }, c.score))?)?;
        if !c.measure {
            let g = text_el("button", "ap-bu-group", "group by")?;
            g.set_attribute("data-groupby", &c.column)?;
            g.set_attribute("title", &format!("Add {} to GROUP BY", c.column))?;
            append(&title, &g)?;
        }
        append(&card, &title)?;
        let mut values: Vec<_> = c.values.iter().collect();
        if c.measure {
            values.sort_by(|a, b| (b.selection - b.baseline).total_cmp(&(a.selection - a.baseline)));
        }
        for v in values.into_iter().take(5) {
            let row = el("div", "ap-bu-row")?;
            let label = match v.range {
                Some((lo, hi)) => format!("{} – {}", crate::render::timeseries::short_number(lo), crate::render::timeseries::short_number(hi)),
                None if v.value.is_null() => "(null)".to_string(),
                None => v.value.as_str().map(str::to_string).unwrap_or_else(|| v.value.to_string()),
            };
            if !c.measure {
                row.set_attribute("data-col", &c.column)?;
                row.set_attribute("data-val", &v.value.to_string())?;
                row.set_attribute("title", &format!("Filter on {} = {label}", c.column))?;
            } else if let Some((lo, hi)) = v.range {
                // A measure's bucket: keep the side of it the selection leans to.
                let (op, at) = if v.selection >= v.baseline { (">=", lo) } else { ("<", hi) };
                // A round edge reads better in the query and survives JSON exactly.
                let at = round_sig(at, 6);
                row.set_attribute("data-col", &c.column)?;
                row.set_attribute("data-op", op)?;
                row.set_attribute("data-val", &serde_json::json!(at).to_string())?;
                row.set_attribute("title", &format!("Filter on {} {op} {}", c.column, crate::render::timeseries::short_number(at)))?;
            }
            append(&row, &text_el("span", "ap-bu-label", &label)?)?;
            let bars = el("span", "ap-bu-bars")?;
            for (class, share) in [("ap-bu-sel", v.selection), ("ap-bu-base", v.baseline)] {
                let bar = el("span", class)?;
                dom::set_style(&bar, "width", &format!("{:.1}%", share * 100.0))?;
                append(&bars, &bar)?;
            }
            append(&row, &bars)?;
            append(&row, &text_el("span", "ap-bu-pct", &format!("{:.0}% / {:.0}%", v.selection * 100.0, v.baseline * 100.0))?)?;
            append(&card, &row)?;
        }
        append(grid, &card)?;
        Ok(())
    }
}

/// `x` rounded to `digits` significant digits.
pub fn round_sig(x: f64, digits: i32) -> f64 {
    if x == 0.0 || !x.is_finite() {
        return x;
    }
    let scale = 10f64.powi(digits - 1 - x.abs().log10().floor() as i32);
    let r = (x * scale).round() / scale;
    // Re-parse the shortest text so the value is the one JSON will carry.
    format!("{r}").parse().unwrap_or(r)
}
