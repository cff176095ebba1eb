//! One panel of a board: its frame (title, moves, width, open, remove), and its body: a query's
//! chart (or why it has none), or a note's markdown built as DOM from `crate::markdown`'s tree
//! (elements from a fixed set, text as text nodes: nothing in a note is ever parsed as HTML).

use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{Element, HtmlCanvasElement};

use crate::board::{Content, Panel, COLUMNS};
use crate::marker::Marker;
use crate::markdown::{self, Node};
use crate::query::spec::CalcOp;
use crate::query::QueryResult;
use crate::render::PlotMapping;
use crate::web::chart;
use crate::web::dom::{self, append, el, text_el};

/// What a query panel has to show.
pub enum Slot {
    /// Not run yet (a note, or the board was just opened).
    Idle,
    Running,
    Done(QueryResult),
    Failed(String),
}

fn button(parent: &Element, act: &str, text: &str, title: &str) -> Result<(), JsValue> {
    let b = text_el("button", "ap-board-act", text)?;
    b.set_attribute("data-board-act", act)?;
    b.set_attribute("title", title)?;
    b.set_attribute("aria-label", title)?;
    append(parent, &b)
}

/// Panel `i`'s frame in `grid`; returns its body.
pub fn frame(grid: &Element, i: usize, p: &Panel, editing: bool) -> Result<Element, JsValue> {
    let kind = if p.spec().is_some() { "query" } else { "note" };
    let root = el("section", &format!("ap-board-panel ap-board-{kind}"))?;
    root.set_attribute("data-panel", &i.to_string())?;
    root.set_attribute("data-width", &p.width.to_string())?;
    dom::set_style(&root, "grid-column", &format!("span {}", p.width.min(COLUMNS)))?;
    let head = el("div", "ap-board-panel-head")?;
    let title = if p.title.is_empty() && kind == "note" { "Note" } else { &p.title };
    append(&head, &text_el("span", "ap-board-title", title)?)?;
    let acts = el("span", "ap-board-acts")?;
    button(&acts, "left", "←", "Move earlier")?;
    button(&acts, "right", "→", "Move later")?;
    button(&acts, "widen", "⇔", &format!("Width: {} of {COLUMNS} columns (click to change)", p.width))?;
    match &p.content {
        Content::Query(_) => button(&acts, "open", "Open", "Open this query in the main view")?,
        Content::Note(_) if editing => button(&acts, "done", "Done", "Keep the note as written")?,
        Content::Note(_) => button(&acts, "edit", "Edit", "Edit the note")?,
    }
    button(&acts, "remove", "✕", "Remove from the board")?;
    append(&head, &acts)?;
    append(&root, &head)?;
    let body = el("div", "ap-board-body")?;
    append(&root, &body)?;
    append(grid, &root)?;
    Ok(body)
}

/// A note in `body`: its markdown, or a text box while it is being edited.
pub fn note(body: &Element, text: &str, editing: bool) -> Result<(), JsValue> {
    dom::clear(body);
    if editing {
        let area: web_sys::HtmlTextAreaElement = el("textarea", "ap-board-note-edit")?.dyn_into()?;
        area.set_value(text);
        area.set_placeholder("Markdown: # headings, *emphasis*, lists, `code`, [links](https://…)");
        area.set_attribute("aria-label", "note (markdown)")?;
        append(body, &area)?;
        return Ok(());
    }
    let div = el("div", "ap-board-note")?;
    build(&div, &markdown::parse(text))?;
    append(body, &div)
}

/// The tree as DOM under `parent`: each element created by its (fixed) tag name, text as text.
fn build(parent: &Element, nodes: &[Node]) -> Result<(), JsValue> {
    let doc = dom::document()?;
    for n in nodes {
        match n {
            Node::Text(t) => {
                parent.append_child(&doc.create_text_node(t))?;
            }
            Node::El(e) => {
                let child = doc.create_element(e.tag)?;
                if let Some(h) = &e.href {
                    child.set_attribute("href", h)?;
                    child.set_attribute("rel", "noopener noreferrer")?;
                    child.set_attribute("target", "_blank")?;
                }
                build(&child, &e.children)?;
                parent.append_child(&child)?;
            }
        }
    }
    Ok(())
}

/// A query panel's body for `slot`: its chart (where its plot lies, for the hover) and a line
/// saying what it shows.
pub fn query(body: &Element, p: &Panel, slot: &Slot, markers: &[Marker]) -> Result<Option<PlotMapping>, String> {
    let js = |e: JsValue| crate::web::fetch::js_err(&e);
    dom::clear(body);
    let Some(spec) = p.spec() else { return Ok(None) };
    let mut plot = None;
    let calcs = spec.effective_calculations();
    let what: Vec<String> = calcs.iter().map(|c| c.key()).collect();
    let mut line = format!("VISUALIZE {}", what.join(", "));
    if !spec.breakdowns.is_empty() {
        line.push_str(&format!(" · GROUP BY {}", spec.breakdowns.join(", ")));
    }
    if !spec.filters.is_empty() {
        line.push_str(&format!(" · WHERE {} filter{}", spec.filters.len(), if spec.filters.len() == 1 { "" } else { "s" }));
    }
    let state = match slot {
        Slot::Idle => "idle",
        Slot::Running => "running",
        Slot::Done(_) => "ready",
        Slot::Failed(_) => "error",
    };
    let _ = body.set_attribute("data-state", state);
    match slot {
        Slot::Idle | Slot::Running => {
            let t = text_el("div", "ap-board-wait", if matches!(slot, Slot::Running) { "Running…" } else { "Not run yet: Refresh runs every panel" }).map_err(js)?;
            append(body, &t).map_err(js)?;
        }
        Slot::Failed(e) => {
            let t = text_el("div", "ap-board-error", e).map_err(js)?;
            t.set_attribute("role", "alert").map_err(js)?;
            append(body, &t).map_err(js)?;
        }
        Slot::Done(r) => {
            let canvas: HtmlCanvasElement = el("canvas", "ap-board-chart").map_err(js)?.dyn_into().map_err(|_| "not a canvas")?;
            canvas.set_attribute("aria-label", &format!("chart: {}", p.title)).map_err(js)?;
            append(body, &canvas).map_err(js)?;
            if calcs[0].op == CalcOp::Heatmap {
                plot = chart::draw_heatmap(&canvas, r, 0, 0, dom::theme_of(body), markers)?;
                canvas.set_attribute("data-chart", "heatmap").map_err(js)?;
            } else {
                plot = chart::draw_timeseries(&canvas, r, 0, calcs[0].op.zero_fill(), dom::theme_of(body), None, markers)?;
                canvas.set_attribute("data-chart", "lines").map_err(js)?;
            }
            if let Some(m) = plot {
                canvas.set_attribute("data-plot", &m.to_attribute()).map_err(js)?;
            }
            let tip = el("div", "ap-board-tip").map_err(js)?;
            tip.set_attribute("hidden", "").map_err(js)?;
            tip.set_attribute("role", "tooltip").map_err(js)?;
            append(body, &tip).map_err(js)?;
            line.push_str(&format!(" · {} group{} · {} matching events", dom::thousands(r.results.len() as u64), if r.results.len() == 1 { "" } else { "s" }, dom::thousands(r.rows_matched)));
            if let Some(c) = &r.sample_rate_column {
                line.push_str(&format!(" · weighted by {c}"));
            }
            if calcs.len() > 1 {
                line.push_str(&format!(" · the chart shows {}; Open shows all {}", what[0], calcs.len()));
            }
        }
    }
    append(body, &text_el("div", "ap-board-line", &line).map_err(js)?).map_err(js)?;
    Ok(plot)
}

/// The markers under the pointer at `x` (canvas pixels) in `body`'s tooltip, as text; hidden
/// when there are none.
pub fn hover(body: &Element, x: f64, under: &[&Marker]) {
    let Ok(Some(tip)) = body.query_selector(".ap-board-tip") else { return };
    dom::clear(&tip);
    if under.is_empty() {
        let _ = tip.set_attribute("hidden", "");
        return;
    }
    for mk in under.iter().take(5) {
        let text = format!("{}: {}{}", mk.kind, mk.message, if mk.url.is_some() { " · click to open" } else { "" });
        if let Ok(row) = text_el("div", "ap-tip-marker", &text) {
            let (r, g, b) = crate::marker::colour(&mk.kind);
            let _ = dom::set_style(&row, "border-left", &format!("3px solid rgb({r},{g},{b})"));
            let _ = append(&tip, &row);
        }
    }
    let _ = dom::set_style(&tip, "left", &format!("{:.0}px", x + 10.0));
    let _ = tip.remove_attribute("hidden");
}
