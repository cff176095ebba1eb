//! One chart per calculation, as Honeycomb draws them: the first calculation is the main chart
//! (with the brush, selections and the heatmap tools); every further calculation gets its own
//! chart below it, lines or a heatmap, with the same series colours, the isolated series
//! highlighted, and a hover crosshair or heatmap cell tooltip of its own. Each chart is captioned
//! with its calculation when there is more than one.

use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{Element, HtmlCanvasElement};

use super::crosshair::Crosshair;
use crate::web::chart;
use crate::web::dispatch::{send_on, Dispatch, Listeners};
use crate::web::dom::{append, el};
use crate::query::spec::{CalcOp, Calculation};
use crate::query::QueryResult;
use crate::render::{PlotMapping, Theme};

pub enum Msg {
    /// The pointer at (x, y) over calculation `k`'s chart.
    Move(usize, f64, f64),
    /// A click at pixel x of calculation `k`'s chart.
    Click(usize, f64),
    Out,
}

/// A further calculation's chart.
struct CalcChart {
    block: Element,
    canvas: HtmlCanvasElement,
    hover: Crosshair,
    heatmap: bool,
}

pub struct CalcCharts {
    /// The main chart's caption (shown only with more than one calculation).
    main_title: Element,
    /// Holds the further charts, after the main one.
    host: Element,
    charts: Vec<CalcChart>,
    /// The markers drawn on them (listed in their hovers).
    markers: Vec<crate::marker::Marker>,
}


/// The calculation whose chart a pointer event is on (its canvas's `data-calc`).
fn calc_of(e: &web_sys::MouseEvent) -> Option<usize> {
    let canvas = e.target().and_then(|t| t.dyn_into::<HtmlCanvasElement>().ok())?;
    canvas.get_attribute("data-calc").and_then(|k| k.parse::<usize>().ok())
}

/// The label of result row `i` in a tooltip: its group, or the calculation without GROUP BY.
pub fn row_labels(result: &QueryResult, calc: usize) -> Vec<String> {
    result
        .results
        .iter()
        .map(|r| if r.group.is_empty() { result.keys.get(calc).cloned().unwrap_or_default() } else { r.group.iter().map(|v| v.display()).collect::<Vec<_>>().join(", ") })
        .collect()
}

impl CalcCharts {
    /// `main_title` goes before the main chart's wrap; `host` after it.
    pub fn build(root: &Element, main_wrap: &Element) -> Result<CalcCharts, JsValue> {
        let main_title = el("div", "ap-chart-title")?;
        main_title.set_attribute("hidden", "")?;
        root.insert_before(&main_title, Some(main_wrap))?;
        let host = el("div", "ap-calc-charts")?;
        append(root, &host)?;
        Ok(CalcCharts { main_title, host, charts: Vec::new(), markers: Vec::new() })
    }

    /// Hover and clicks on any further chart (listeners on the host, so charts can come and go).
    pub fn listen(&self, d: &Dispatch<Msg>) -> Listeners {
        vec![
            send_on::<web_sys::MouseEvent, _>(&self.host, "mousemove", d, |e| Some(Msg::Move(calc_of(e)?, e.offset_x() as f64, e.offset_y() as f64))),
            send_on::<web_sys::MouseEvent, _>(&self.host, "click", d, |e| Some(Msg::Click(calc_of(e)?, e.offset_x() as f64))),
            send_on::<web_sys::MouseEvent, _>(&self.host, "mouseout", d, |_| Some(Msg::Out)),
        ]
    }

    /// The markers under pixel x of chart `c`, each with whether a click there opens its link.
    fn hovered<'a>(&'a self, c: &CalcChart, x: f64) -> Vec<(&'a crate::marker::Marker, bool)> {
        c.hover.mapping.map(|m| crate::render::markers::hovered(&self.markers, &m, x, c.heatmap)).unwrap_or_default()
    }

    /// Show the hover for `result` (the one drawn), `isolated` its isolated row; a click on a
    /// marker gives the link to open.
    pub fn update(&self, msg: Msg, result: Option<&QueryResult>, isolated: Option<usize>) -> Result<Option<String>, JsValue> {
        match msg {
            Msg::Move(k, x, y) => {
                let (Some(result), Some(c)) = (result, self.charts.get(k.wrapping_sub(1))) else { return Ok(None) };
                let near = self.hovered(c, x);
                match (c.heatmap, c.hover.mapping) {
                    (true, Some(m)) => c.hover.show_heat(x, y, &m, result, k, isolated.unwrap_or(0), &near)?,
                    (false, _) => c.hover.show(x, y, result, k, &row_labels(result, k), &near)?,
                    _ => {}
                }
                Ok(None)
            }
            Msg::Click(k, x) => {
                let Some(c) = self.charts.get(k.wrapping_sub(1)) else { return Ok(None) };
                Ok(c.hover.mapping.and_then(|m| crate::render::markers::link_at(&self.markers, &m, x, c.heatmap)))
            }
            Msg::Out => {
                self.hide_hover();
                Ok(None)
            }
        }
    }

    /// Draw calculations 1.. of `result` (`calcs` are the query's calculations).
    pub fn render(&mut self, result: &QueryResult, calcs: &[Calculation], isolated: Option<usize>, theme: Theme, markers: &[crate::marker::Marker]) -> Result<(), String> {
        let js = |e: JsValue| crate::web::fetch::js_err(&e);
        self.markers = markers.to_vec();
        if calcs.len() > 1 {
            self.main_title.set_text_content(Some(&title(result, calcs, 0, isolated)));
            let _ = self.main_title.remove_attribute("hidden");
        } else {
            let _ = self.main_title.set_attribute("hidden", "");
        }
        let wanted = calcs.len().saturating_sub(1);
        while self.charts.len() > wanted {
            if let Some(c) = self.charts.pop() {
                c.block.remove();
            }
        }
        while self.charts.len() < wanted {
            let block = el("div", "ap-calc-chart").map_err(js)?;
            let title = el("div", "ap-chart-title").map_err(js)?;
            append(&block, &title).map_err(js)?;
            let wrap = el("div", "ap-chart-wrap").map_err(js)?;
            let canvas: HtmlCanvasElement = el("canvas", "ap-chart ap-chart-small").map_err(js)?.dyn_into().map_err(|_| "not a canvas".to_string())?;
            append(&wrap, &canvas).map_err(js)?;
            let hover = Crosshair::build(&wrap).map_err(js)?;
            append(&block, &wrap).map_err(js)?;
            append(&self.host, &block).map_err(js)?;
            self.charts.push(CalcChart { block, canvas, hover, heatmap: false });
        }
        for (i, c) in self.charts.iter_mut().enumerate() {
            let k = i + 1;
            let name = result.keys.get(k).map(String::as_str).unwrap_or("");
            if let Some(t) = c.block.first_element_child() {
                t.set_text_content(Some(&title(result, calcs, k, isolated)));
            }
            let _ = c.canvas.set_attribute("data-calc", &k.to_string());
            let _ = c.canvas.set_attribute("aria-label", &format!("chart of {name}"));
            c.hover.hide();
            c.heatmap = calcs[k].op == CalcOp::Heatmap;
            let mapping = if c.heatmap {
                chart::draw_heatmap(&c.canvas, result, k, isolated.unwrap_or(0), theme, markers)?
            } else {
                chart::draw_timeseries(&c.canvas, result, k, calcs[k].op.zero_fill(), theme, isolated, markers)?
            };
            c.hover.mapping = mapping;
            let _ = c.canvas.set_attribute("data-chart", if c.heatmap { "heatmap" } else { "lines" });
            if let Some(m) = mapping {
                let _ = c.canvas.set_attribute("data-plot", &plot_attribute(&m));
            }
        }
        Ok(())
    }

    /// Hide every further chart's hover.
    pub fn hide_hover(&self) {
        for c in &self.charts {
            c.hover.hide();
        }
    }
}

/// A chart's caption: the calculation, and for a heatmap with GROUP BY the one group it shows
/// (the isolated row, else the first).
fn title(result: &QueryResult, calcs: &[Calculation], k: usize, isolated: Option<usize>) -> String {
    let name = result.keys.get(k).cloned().unwrap_or_default();
    let group = result.results.get(isolated.unwrap_or(0)).filter(|r| !r.group.is_empty());
    match (calcs.get(k).map(|c| c.op), group) {
        (Some(CalcOp::Heatmap), Some(r)) => format!("{name} · {}", r.group.iter().map(|v| v.display()).collect::<Vec<_>>().join(", ")),
        _ => name,
    }
}

/// Where a plot lies, for tests and tools that point at data coordinates.
pub fn plot_attribute(m: &PlotMapping) -> String {
    m.to_attribute()
}
