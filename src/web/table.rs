//! The results table: one row per group, coloured like its chart line; text only.

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

pub fn render(container: &Element, r: &QueryResult) -> Result<(), JsValue> {
    dom::clear(container);
    if r.results.is_empty() {
        append(container, &text_el("p", "ap-empty", "No events match this query.")?)?;
        return Ok(());
    }
    let table = el("table", "ap-table")?;
    let thead = el("thead", "")?;
    let tr = el("tr", "")?;
    append(&tr, &el("th", "ap-swatch-col")?)?;
    for h in r.breakdowns.iter().chain(r.keys.iter()) {
        append(&tr, &text_el("th", "", h)?)?;
    }
    append(&thead, &tr)?;
    append(&table, &thead)?;
    let tbody = el("tbody", "")?;
    for (i, row) in r.results.iter().enumerate() {
        let tr = el("tr", "")?;
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
