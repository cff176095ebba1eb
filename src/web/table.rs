//! The results table: one row per group, coloured like its chart line; text only. Clicking a
//! header sorts the rows on screen (the query is unchanged; nulls last both ways); clicking a row
//! (or Enter on it) isolates its series in the chart.

use wasm_bindgen::JsValue;
use web_sys::Element;

use super::dom::{self, append, el, text_el};
use crate::query::aggregate::Output;
use crate::query::result::output_json;
use crate::query::QueryResult;
use crate::render::palette::series_css;
use crate::value;

fn output_text(o: &Output) -> String {
    match o {
        Output::Null => "—".to_string(),
        Output::Int(i) => {
            let s = dom::thousands(i.unsigned_abs());
            if *i < 0 { format!("-{s}") } else { s }
        }
        Output::Float(f) => value::format_float((f * 1000.0).round() / 1000.0),
        Output::Heatmap(h) => format!("{} values", dom::thousands(h.total().round() as u64)),
    }
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

pub fn render(container: &Element, r: &QueryResult, view: TableView) -> Result<(), JsValue> {
    dom::clear(container);
    if r.results.is_empty() {
        append(container, &text_el("p", "ap-empty", "No events match this query.")?)?;
        return Ok(());
    }
    // An isolated group offers a selection of its events: BubbleUp against the other groups and
    // its slowest traces.
    if let (Some(i), false) = (view.isolated, r.breakdowns.is_empty()) {
        let bar = el("div", "ap-row-actions")?;
        let name = r.results.get(i).map(|row| row.group.iter().map(|v| v.display()).collect::<Vec<_>>().join(", ")).unwrap_or_default();
        append(&bar, &text_el("span", "ap-hint", &format!("Isolated: {name}"))?)?;
        let b = text_el("button", "ap-button", "BubbleUp & traces for this group")?;
        b.set_attribute("data-select-row", &i.to_string())?;
        append(&bar, &b)?;
        append(container, &bar)?;
    }
    let table = el("table", "ap-table")?;
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
    for i in order(r, view.sort) {
        let row = &r.results[i];
        let tr = el("tr", if view.isolated == Some(i) { "ap-row ap-isolated" } else if view.isolated.is_some() { "ap-row ap-dimmed" } else { "ap-row" })?;
        tr.set_attribute("data-row", &i.to_string())?;
        tr.set_attribute("tabindex", "0")?;
        tr.set_attribute("aria-selected", if view.isolated == Some(i) { "true" } else { "false" })?;
        let sw = el("td", "ap-swatch-col")?;
        let chip = el("span", "ap-swatch")?;
        dom::set_style(&chip, "background", &series_css(i))?;
        append(&sw, &chip)?;
        append(&tr, &sw)?;
        for v in &row.group {
            append(&tr, &text_el("td", if v.is_null() { "ap-null" } else { "" }, &v.display())?)?;
        }
        for v in &row.values {
            let td = text_el("td", "ap-num", &output_text(v))?;
            td.set_attribute("data-value", &output_json(v).to_string())?;
            append(&tr, &td)?;
        }
        append(&tbody, &tr)?;
    }
    append(&table, &tbody)?;
    append(container, &table)?;
    Ok(())
}
