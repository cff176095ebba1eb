//! Traces in the page: the slowest traces matching the query, and a waterfall of one trace (bars
//! on a shared time axis, indented by depth, coloured by service, critical path and errors marked)
//! with the selected span's attributes.

use arrow_cast::display::{ArrayFormatter, FormatOptions};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::Element;

use super::app::{listen, Shared};
use super::dom::{self, append, el, text_el};
use crate::dataset::DataSet;
use crate::render::palette::series_css;
use crate::trace::{Trace, TraceSummary};

pub struct TraceView {
    pub list: Element,
    pub waterfall: Element,
    pub details: Element,
    pub open: Option<Trace>,
    pub span: Option<String>,
}

impl TraceView {
    pub fn build(root: &Element) -> Result<TraceView, JsValue> {
        let section = el("section", "ap-traces")?;
        section.set_attribute("aria-label", "traces")?;
        let list = el("div", "ap-trace-list")?;
        append(&section, &list)?;
        let waterfall = el("div", "ap-waterfall")?;
        waterfall.set_attribute("hidden", "")?;
        append(&section, &waterfall)?;
        let details = el("div", "ap-span-details")?;
        details.set_attribute("hidden", "")?;
        append(&section, &details)?;
        append(root, &section)?;
        Ok(TraceView { list, waterfall, details, open: None, span: None })
    }

    pub fn wire(app: &Shared) -> Result<(), JsValue> {
        let (list, waterfall) = {
            let a = app.borrow();
            (a.traces.list.clone(), a.traces.waterfall.clone())
        };
        listen::<web_sys::MouseEvent>(&list, "click", app, |app, e| {
            let Some(row) = target_with(&e, "data-trace") else { return };
            let Some(id) = row.get_attribute("data-trace") else { return };
            if let Ok(mut a) = app.try_borrow_mut() {
                a.open_trace(&id, None, true);
            }
        })?;
        listen::<web_sys::MouseEvent>(&waterfall, "click", app, |app, e| {
            let Some(row) = target_with(&e, "data-span") else { return };
            let Some(id) = row.get_attribute("data-span") else { return };
            if let Ok(mut a) = app.try_borrow_mut() {
                a.select_span(&id);
            }
        })?;
        Ok(())
    }

    pub fn render_list(&self, traces: &[TraceSummary]) -> Result<(), JsValue> {
        dom::clear(&self.list);
        if traces.is_empty() {
            return Ok(());
        }
        append(&self.list, &text_el("h3", "ap-section-title", "Slowest traces matching the query")?)?;
        let table = el("table", "ap-table ap-trace-table")?;
        let head = el("tr", "")?;
        for h in ["duration", "root", "service", "spans", "errors", "start (UTC)", "trace id"] {
            append(&head, &text_el("th", "", h)?)?;
        }
        let thead = el("thead", "")?;
        append(&thead, &head)?;
        append(&table, &thead)?;
        let body = el("tbody", "")?;
        for t in traces {
            let tr = el("tr", "ap-clickable")?;
            tr.set_attribute("data-trace", &t.trace_id)?;
            let iso = crate::query::result::iso8601(t.start_ms as i64);
            for (text, class) in [
                (format!("{:.1} ms", t.duration_ms), "ap-num"),
                (t.root_name.clone(), ""),
                (t.root_service.clone(), ""),
                (t.spans.to_string(), "ap-num"),
                (t.errors.to_string(), if t.errors > 0 { "ap-num ap-bad" } else { "ap-num" }),
                (iso[11..23.min(iso.len())].to_string(), ""),
                (t.trace_id.clone(), "ap-mono"),
            ] {
                append(&tr, &text_el("td", class, &text)?)?;
            }
            append(&body, &tr)?;
        }
        append(&table, &body)?;
        append(&self.list, &table)?;
        Ok(())
    }

    pub fn render_waterfall(&self, t: &Trace) -> Result<(), JsValue> {
        let w = &self.waterfall;
        dom::clear(w);
        let _ = w.remove_attribute("hidden");
        w.set_attribute("data-trace-id", &t.trace_id)?;
        let total = t.duration_ms().max(1e-9);
        let t0 = t.start_ms();
        let errors = t.spans.iter().filter(|s| s.error).count();
        let mut head = format!("Trace {} · {:.1} ms · {} spans · {} errors", t.trace_id, total, t.spans.len(), errors);
        if t.orphans > 0 {
            head += &format!(" · {} spans with missing parents", t.orphans);
        }
        if !t.duplicates.is_empty() {
            head += &format!(" · duplicate span ids: {}", t.duplicates.join(", "));
        }
        append(w, &text_el("h3", "ap-section-title", &head)?)?;
        let mut services: Vec<&str> = Vec::new();
        for s in &t.spans {
            let svc = services.iter().position(|x| *x == s.service).unwrap_or_else(|| {
                services.push(&s.service);
                services.len() - 1
            });
            let row = el("div", if s.row.is_none() { "ap-wf-row ap-wf-placeholder" } else { "ap-wf-row" })?;
            row.set_attribute("data-span", &s.span_id)?;
            if Some(&s.span_id) == self.span.as_ref() {
                row.class_list().add_1("ap-wf-selected")?;
            }
            let label = el("div", "ap-wf-label")?;
            dom::set_style(&label, "padding-left", &format!("{}px", 4 + s.depth * 14))?;
            append(&label, &text_el("span", "ap-wf-service", &s.service)?)?;
            append(&label, &text_el("span", "", &format!(" {}", s.name))?)?;
            append(&row, &label)?;
            let track = el("div", "ap-wf-track")?;
            let bar = el("div", &format!("ap-wf-bar{}{}{}", if s.critical { " ap-critical" } else { "" }, if s.error { " ap-error-span" } else { "" }, if s.skew { " ap-skew" } else { "" }))?;
            dom::set_style(&bar, "left", &format!("{:.3}%", (s.start_ms - t0) / total * 100.0))?;
            dom::set_style(&bar, "width", &format!("{:.3}%", (s.duration_ms / total * 100.0).max(0.15)))?;
            dom::set_style(&bar, "background", &series_css(svc))?;
            bar.set_attribute("title", &format!("{} · {:.3} ms (self {:.3} ms){}", s.name, s.duration_ms, s.self_ms, if s.critical { " · critical path" } else { "" }))?;
            append(&track, &bar)?;
            append(&row, &track)?;
            append(&row, &text_el("div", "ap-wf-dur", &format!("{:.1} ms", s.duration_ms))?)?;
            append(w, &row)?;
        }
        Ok(())
    }

    /// Every non-null attribute of the span's row, as text.
    pub fn render_details(&self, t: &Trace, span_id: &str, data: &DataSet) -> Result<(), JsValue> {
        let d = &self.details;
        dom::clear(d);
        let Some(s) = t.spans.iter().find(|s| s.span_id == span_id) else { return Ok(()) };
        let _ = d.remove_attribute("hidden");
        append(d, &text_el("h3", "ap-section-title", &format!("{} · {:.3} ms · self {:.3} ms", s.name, s.duration_ms, s.self_ms))?)?;
        let Some((bi, row)) = s.row else {
            append(d, &text_el("p", "ap-hint", "This span is missing from the data; its children refer to it.")?)?;
            return Ok(());
        };
        let Some(batch) = data.batches().get(bi) else { return Ok(()) };
        let table = el("table", "ap-table ap-attrs")?;
        let opts = FormatOptions::default();
        for (f, col) in batch.schema().fields().iter().zip(batch.columns()) {
            if col.is_null(row) {
                continue;
            }
            let text = match timestamp_text(col.as_ref(), row) {
                Some(t) => t,
                None => ArrayFormatter::try_new(col.as_ref(), &opts).map(|fmt| fmt.value(row).to_string()).unwrap_or_else(|_| "(unprintable)".into()),
            };
            let tr = el("tr", "")?;
            append(&tr, &text_el("td", "ap-attr-key", f.name())?)?;
            append(&tr, &text_el("td", "ap-attr-val", &text)?)?;
            append(&tr, &text_el("td", "ap-hint", &f.data_type().to_string())?)?;
            append(&table, &tr)?;
        }
        append(d, &table)?;
        Ok(())
    }

    pub fn close(&mut self) {
        self.open = None;
        self.span = None;
        let _ = self.waterfall.set_attribute("hidden", "");
        let _ = self.details.set_attribute("hidden", "");
    }
}

/// Timestamps as UTC ISO 8601 (the formatter needs a time-zone database for named zones).
fn timestamp_text(col: &dyn Array, row: usize) -> Option<String> {
    use arrow_array::cast::AsArray;
    use arrow_array::types::*;
    use arrow_schema::{DataType, TimeUnit};
    let (raw, per_ms) = match col.data_type() {
        DataType::Timestamp(TimeUnit::Second, _) => (col.as_primitive::<TimestampSecondType>().value(row) as f64, 0.001),
        DataType::Timestamp(TimeUnit::Millisecond, _) => (col.as_primitive::<TimestampMillisecondType>().value(row) as f64, 1.0),
        DataType::Timestamp(TimeUnit::Microsecond, _) => (col.as_primitive::<TimestampMicrosecondType>().value(row) as f64, 1e3),
        DataType::Timestamp(TimeUnit::Nanosecond, _) => (col.as_primitive::<TimestampNanosecondType>().value(row) as f64, 1e6),
        _ => return None,
    };
    Some(crate::query::result::iso8601((raw / per_ms).floor() as i64))
}

fn target_with(e: &web_sys::MouseEvent, attr: &str) -> Option<Element> {
    let t = e.target()?.dyn_into::<Element>().ok()?;
    t.closest(&format!("[{attr}]")).ok().flatten()
}

use arrow_array::Array;
