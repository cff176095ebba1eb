//! The results table: one row per group, coloured like its chart line; text only. Clicking a
//! header sorts the rows on screen (the query is unchanged; nulls last both ways); clicking a row
//! (or Enter on it) isolates its series in the chart; arrow keys move between rows. Long results
//! (up to the 10,000-row LIMIT) are virtualized: the table scrolls in its own box and only the
//! rows in view (and a margin) are in the DOM, between two spacer rows.

use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{Element, HtmlElement};

use crate::web::dispatch::{send_on, Dispatch, Listeners};
use crate::web::dom::{self, append, el, text_el};
use crate::query::aggregate::Output;
use crate::query::result::output_json;
use crate::query::QueryResult;
use crate::render::palette::series_css;

fn output_text(o: &Output) -> String {
    crate::query::export::display(o)
}

/// How the table is shown: sorted by column `k` (breakdowns first, then calculations), and the
/// isolated row (result index).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct TableView {
    pub sort: Option<(usize, bool)>,
    pub isolated: Option<usize>,
}

/// The order rows are shown in.
fn order(r: &QueryResult, sort: Option<(usize, bool)>) -> Vec<usize> {
    let mut idx: Vec<usize> = (0..r.results.len()).collect();
    let Some((k, desc)) = sort else { return idx };
    let nb = r.breakdowns.len();
    idx.sort_by(|&a, &b| {
        let (ra, rb) = (&r.results[a], &r.results[b]);
        let ord = if k < nb {
            let (x, y) = (&ra.group[k], &rb.group[k]);
            match (x.is_null(), y.is_null()) {
                (true, true) => std::cmp::Ordering::Equal,
                (true, false) => return std::cmp::Ordering::Greater,
                (false, true) => return std::cmp::Ordering::Less,
                _ => x.cmp_non_null(y),
            }
        } else {
            let key = |o: &Output| match o {
                Output::Heatmap(h) => Some(h.total()),
                other => other.as_f64(),
            };
            match (key(&ra.values[k - nb]), key(&rb.values[k - nb])) {
                (None, None) => std::cmp::Ordering::Equal,
                (None, _) => return std::cmp::Ordering::Greater,
                (_, None) => return std::cmp::Ordering::Less,
                (Some(x), Some(y)) => x.total_cmp(&y),
            }
        };
        if desc { ord.reverse() } else { ord }
    });
    idx
}

/// Results with more rows than this are virtualized.
pub const VIRTUAL_FROM: usize = 200;
/// Rows drawn beyond each edge of the visible ones.
const OVERSCAN: usize = 30;

pub enum Msg {
    Sort(usize),
    Isolate(usize),
    SelectGroup(usize),
    Key(usize, web_sys::KeyboardEvent),
    Scrolled,
}

/// What the table asks of the app.
pub enum Out {
    /// Sort by column `k`.
    Sort(usize),
    /// Isolate row `i`'s series (again: show all).
    Isolate(usize),
    /// The same, from the keyboard: the row keeps the focus.
    IsolateAndFocus(usize),
    /// BubbleUp and traces for row `i`'s group.
    SelectGroup(usize),
}

pub struct ResultsTable {
    /// The panel: the isolated row's actions, then the scroller.
    pub el: Element,
    actions: Element,
    scroller: HtmlElement,
    tbody: Option<Element>,
    /// Result row indexes in display order.
    order: Vec<usize>,
    /// Display positions `[first, end)` in the DOM.
    window: (usize, usize),
    /// A drawn row's height in pixels (measured).
    row_px: f64,
    /// The scroll position the next render starts from (-1: where it is now).
    keep_scroll: i32,
}

impl ResultsTable {
    pub fn build(root: &Element) -> Result<ResultsTable, JsValue> {
        let panel = el("div", "ap-results")?;
        let actions = el("div", "ap-row-actions")?;
        actions.set_attribute("hidden", "")?;
        append(&panel, &actions)?;
        let scroller: HtmlElement = el("div", "ap-table-scroll")?.dyn_into()?;
        append(&panel, &scroller)?;
        append(root, &panel)?;
        Ok(ResultsTable { el: panel, actions, scroller, tbody: None, order: Vec::new(), window: (0, 0), row_px: 26.0, keep_scroll: -1 })
    }

    pub fn listen(&self, d: &Dispatch<Msg>) -> Listeners {
        vec![
            send_on::<web_sys::MouseEvent, _>(&self.el, "click", d, |e| {
                let t = e.target().and_then(|t| t.dyn_into::<Element>().ok())?;
                attr_num(&t, "data-select-row").map(Msg::SelectGroup).or_else(|| attr_num(&t, "data-sort").map(Msg::Sort)).or_else(|| attr_num(&t, "data-row").map(Msg::Isolate))
            }),
            send_on::<web_sys::KeyboardEvent, _>(&self.el, "keydown", d, |e| {
                let t = e.target().and_then(|t| t.dyn_into::<Element>().ok())?;
                let i = (t.tag_name() == "TR").then(|| t.get_attribute("data-row").and_then(|i| i.parse::<usize>().ok())).flatten()?;
                Some(Msg::Key(i, e.clone()))
            }),
            send_on::<web_sys::Event, _>(&self.scroller, "scroll", d, |_| Some(Msg::Scrolled)),
        ]
    }

    /// Scrolling and moving between rows happen here (over `result`, drawn as `view`); the
    /// rest goes up.
    pub fn update(&mut self, msg: Msg, result: Option<&QueryResult>, view: TableView) -> Option<Out> {
        match msg {
            Msg::SelectGroup(i) => Some(Out::SelectGroup(i)),
            Msg::Sort(k) => Some(Out::Sort(k)),
            Msg::Isolate(i) => Some(Out::Isolate(i)),
            Msg::Scrolled => {
                self.scrolled(result?, view);
                None
            }
            Msg::Key(i, e) => match e.key().as_str() {
                "Enter" | " " => {
                    e.prevent_default();
                    Some(Out::IsolateAndFocus(i))
                }
                "ArrowDown" | "ArrowUp" => {
                    e.prevent_default();
                    let pos = self.order.iter().position(|&r| r == i)?;
                    let next = if e.key() == "ArrowDown" { pos + 1 } else { pos.wrapping_sub(1) };
                    if let (Some(&r), Some(result)) = (self.order.get(next), result) {
                        self.reveal(result, view, next);
                        self.focus_row(r);
                    }
                    None
                }
                _ => None,
            },
        }
    }

    pub fn focus_row(&self, i: usize) {
        if let Ok(Some(row)) = self.scroller.query_selector(&format!("tr[data-row=\"{i}\"]")) {
            let _ = row.unchecked_ref::<HtmlElement>().focus();
        }
    }

    /// A new query's rows start at the top (a view change keeps the scroll position).
    pub fn scroll_to_top(&mut self) {
        self.keep_scroll = 0;
    }

    /// The whole table again: header, order, the rows in view (where the box was scrolled).
    pub fn render(&mut self, r: &QueryResult, view: TableView) -> Result<(), JsValue> {
        let scroll = std::mem::replace(&mut self.keep_scroll, -1);
        let scroll = if scroll >= 0 { scroll } else { self.scroller.scroll_top() };
        dom::clear(&self.actions);
        self.actions.set_attribute("hidden", "")?;
        dom::clear(&self.scroller);
        self.tbody = None;
        self.order.clear();
        if r.results.is_empty() {
            append(&self.scroller, &text_el("p", "ap-empty", "No events match this query.")?)?;
            self.scroller.set_class_name("ap-table-scroll");
            return Ok(());
        }
        // An isolated group offers a selection of its events: BubbleUp against the other groups
        // and its slowest traces.
        if let (Some(i), false) = (view.isolated, r.breakdowns.is_empty()) {
            let name = r.results.get(i).map(|row| row.group.iter().map(|v| v.display()).collect::<Vec<_>>().join(", ")).unwrap_or_default();
            append(&self.actions, &text_el("span", "ap-hint", &format!("Isolated: {name}"))?)?;
            let b = text_el("button", "ap-button", "BubbleUp & traces for this group")?;
            b.set_attribute("data-select-row", &i.to_string())?;
            append(&self.actions, &b)?;
            self.actions.remove_attribute("hidden")?;
        }
        let virtual_rows = r.results.len() > VIRTUAL_FROM;
        self.scroller.set_class_name(if virtual_rows { "ap-table-scroll ap-virtual" } else { "ap-table-scroll" });
        let table = el("table", "ap-table")?;
        table.set_attribute("aria-rowcount", &(r.results.len() + 1).to_string())?;
        let thead = el("thead", "")?;
        let tr = el("tr", "")?;
        append(&tr, &el("th", "ap-swatch-col")?)?;
        for (k, h) in r.breakdowns.iter().chain(r.keys.iter()).enumerate() {
            let th = el("th", if k < r.breakdowns.len() { "ap-sortable" } else { "ap-sortable ap-num" })?;
            let button = text_el("button", "ap-sort", h)?;
            button.set_attribute("data-sort", &k.to_string())?;
            button.set_attribute("title", "sort the rows by this column")?;
            let state = match view.sort {
                Some((s, true)) if s == k => "descending",
                Some((s, false)) if s == k => "ascending",
                _ => "none",
            };
            th.set_attribute("aria-sort", state)?;
            append(&th, &button)?;
            append(&tr, &th)?;
        }
        append(&thead, &tr)?;
        append(&table, &thead)?;
        let tbody = el("tbody", "")?;
        append(&table, &tbody)?;
        append(&self.scroller, &table)?;
        self.tbody = Some(tbody);
        self.order = order(r, view.sort);
        self.window = (0, 0);
        if virtual_rows {
            // Draw a first screenful, measure a row, then the window for where the box was
            // scrolled (the spacers give it its height back).
            self.draw_rows(r, view, (0, self.order.len().min(OVERSCAN)))?;
            if let Ok(Some(row)) = self.scroller.query_selector("tr.ap-row") {
                let h = row.get_bounding_client_rect().height();
                if h >= 8.0 {
                    self.row_px = h;
                }
            }
            self.draw_rows(r, view, (0, self.order.len().min(OVERSCAN)))?;
            self.scroller.set_scroll_top(scroll);
            self.scrolled(r, view);
        } else {
            self.draw_rows(r, view, (0, self.order.len()))?;
        }
        Ok(())
    }

    /// The display positions that should be in the DOM for the box's scroll position.
    fn wanted(&self) -> (usize, usize) {
        let top = (self.scroller.scroll_top() as f64 / self.row_px).floor().max(0.0) as usize;
        let seen = (self.scroller.client_height() as f64 / self.row_px).ceil() as usize + 1;
        let first = top.saturating_sub(OVERSCAN);
        (first.min(self.order.len()), (top + seen + OVERSCAN).min(self.order.len()))
    }

    /// After a scroll: redraw the rows when the view nears the window's edge.
    pub fn scrolled(&mut self, r: &QueryResult, view: TableView) {
        if self.order.len() <= VIRTUAL_FROM || self.tbody.is_none() {
            return;
        }
        let (first, end) = self.wanted();
        let (have0, have1) = self.window;
        let top_ok = first >= have0 && (have0 == 0 || first - have0 < OVERSCAN);
        let bottom_ok = end <= have1 && (have1 == self.order.len() || have1 - end < OVERSCAN);
        let inside = first >= have0 && end <= have1;
        if inside && top_ok && bottom_ok && have1 > have0 {
            return;
        }
        let _ = self.draw_rows(r, view, (first, end));
    }

    /// Scroll so display position `pos` is in view, drawing its rows.
    fn reveal(&mut self, r: &QueryResult, view: TableView, pos: usize) {
        if self.order.len() <= VIRTUAL_FROM {
            if let Some(&i) = self.order.get(pos) {
                if let Ok(Some(row)) = self.scroller.query_selector(&format!("tr[data-row=\"{i}\"]")) {
                    row.scroll_into_view_with_bool(false);
                }
            }
            return;
        }
        let head = self.scroller.query_selector("thead").ok().flatten().map_or(0.0, |h| h.get_bounding_client_rect().height());
        let y = pos as f64 * self.row_px;
        let top = self.scroller.scroll_top() as f64;
        let room = self.scroller.client_height() as f64 - head;
        if y < top {
            self.scroller.set_scroll_top(y as i32);
        } else if y + self.row_px > top + room {
            self.scroller.set_scroll_top((y + self.row_px - room).ceil() as i32);
        }
        self.scrolled(r, view);
    }

    /// Put display positions `[first, end)` in the tbody, with spacers for the rest.
    fn draw_rows(&mut self, r: &QueryResult, view: TableView, (first, end): (usize, usize)) -> Result<(), JsValue> {
        let Some(tbody) = &self.tbody else { return Ok(()) };
        dom::clear(tbody);
        let spacer = |rows: usize| -> Result<Element, JsValue> {
            let tr = el("tr", "ap-spacer")?;
            tr.set_attribute("aria-hidden", "true")?;
            dom::set_style(&tr, "height", &format!("{:.0}px", rows as f64 * self.row_px))?;
            Ok(tr)
        };
        if first > 0 {
            append(tbody, &spacer(first)?)?;
        }
        for (pos, &i) in self.order[first..end].iter().enumerate() {
            append(tbody, &row_element(r, view, i, first + pos)?)?;
        }
        if end < self.order.len() {
            append(tbody, &spacer(self.order.len() - end)?)?;
        }
        self.window = (first, end);
        Ok(())
    }
}

fn attr_num(t: &Element, name: &str) -> Option<usize> {
    t.closest(&format!("[{name}]")).ok().flatten()?.get_attribute(name)?.parse().ok()
}

/// Result row `i`, shown at display position `pos`.
fn row_element(r: &QueryResult, view: TableView, i: usize, pos: usize) -> Result<Element, JsValue> {
    let row = &r.results[i];
    let state = if view.isolated == Some(i) { " ap-isolated" } else if view.isolated.is_some() { " ap-dimmed" } else { "" };
    // Stripes by display position (spacer rows would flip :nth-child).
    let tr = el("tr", &format!("ap-row{state}{}", if pos % 2 == 1 { " ap-alt" } else { "" }))?;
    tr.set_attribute("data-row", &i.to_string())?;
    tr.set_attribute("aria-rowindex", &(pos + 2).to_string())?;
    tr.set_attribute("tabindex", "0")?;
    tr.set_attribute("aria-selected", if view.isolated == Some(i) { "true" } else { "false" })?;
    let sw = el("td", "ap-swatch-col")?;
    let chip = el("span", "ap-swatch")?;
    dom::set_style(&chip, "background", &series_css(i))?;
    append(&sw, &chip)?;
    append(&tr, &sw)?;
    for v in &row.group {
        let td = text_el("td", if v.is_null() { "ap-null" } else { "" }, &v.display())?;
        append(&tr, &td)?;
    }
    for v in &row.values {
        let td = text_el("td", "ap-num", &output_text(v))?;
        td.set_attribute("data-value", &output_json(v).to_string())?;
        append(&tr, &td)?;
    }
    Ok(tr)
}
