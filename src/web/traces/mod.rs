//! Traces in the page: the slowest traces matching the query, and a waterfall of one trace (bars
//! on a shared time axis, indented by depth, coloured by service, critical path and errors marked)
//! with the selected span's attributes. The waterfall draws only the rows in view (a trace of tens
//! of thousands of spans scrolls like a small one); subtrees collapse and expand; a search marks
//! the spans whose name or service contains the text, and Enter jumps to the next one.

use arrow_cast::display::{ArrayFormatter, FormatOptions};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::Element;

use crate::web::dispatch::{send_on, Dispatch, Listeners};
use crate::web::dom::{self, append, el, text_el};
use zoom::TraceZoom;

pub mod zoom;

pub enum Msg {
    /// Open a trace (from the list, or a span link), with a span selected.
    Open(String, Option<String>),
    SelectSpan(String),
    /// Collapse or expand span `i`'s subtree.
    Toggle(usize),
    /// The trace search ("with a span where …") asked for.
    Find(String),
    Scrolled,
    /// The span search text changed.
    Search,
    NextMatch,
    Zoom(zoom::Msg),
}

/// What the trace view asks of the app.
pub enum Out {
    Open(String, Option<String>),
    SelectSpan(String),
    Find(String),
    /// Show this stretch of the open trace (ms from its start).
    Zoom((f64, f64)),
}
use crate::dataset::DataSet;
use crate::render::palette::series_css;
use crate::trace::{Trace, TraceSummary};

/// Height of one waterfall row in pixels (the CSS uses the same), rows kept in view at most,
/// and extra rows drawn above and below the view.
const ROW_H: i32 = 22;
const VIEW_ROWS: i32 = 24;
const OVERSCAN: i32 = 12;

pub struct TraceView {
    pub list: Element,
    pub where_box: web_sys::HtmlInputElement,
    where_error: Element,
    pub waterfall: Element,
    pub details: Element,
    pub open: Option<Trace>,
    pub span: Option<String>,
    title: Element,
    search: web_sys::HtmlInputElement,
    note: Element,
    viewport: Element,
    spacer: Element,
    window: Element,
    pub zoom: TraceZoom,
    /// A zoom window a link asks for, applied when its trace opens.
    pub pending_zoom: Option<(f64, f64)>,
    /// Indices (into the trace's spans) of collapsed subtrees' roots.
    collapsed: std::collections::HashSet<usize>,
    /// Spans shown, in order (descendants of collapsed spans left out).
    visible: Vec<usize>,
    /// Spans matching the search (all of them, shown or not).
    matches: std::collections::HashSet<usize>,
    /// Services in order of first appearance, for colours.
    services: Vec<String>,
}

impl TraceView {
    pub fn build(root: &Element) -> Result<TraceView, JsValue> {
        let section = el("section", "ap-traces")?;
        section.set_attribute("aria-label", "traces")?;
        // "Traces with a span where …": the WHERE syntax, applied to the spans of the query.
        let find = el("div", "ap-trace-find")?;
        append(&find, &text_el("label", "ap-hint", "Traces with a span where")?)?;
        let where_box: web_sys::HtmlInputElement = el("input", "ap-trace-where")?.dyn_into()?;
        where_box.set_placeholder("db.system = postgresql, duration_ms > 100 (Enter)");
        where_box.set_attribute("aria-label", "traces with a span where")?;
        where_box.set_attribute("spellcheck", "false")?;
        append(&find, &where_box)?;
        let where_error = el("div", "ap-clause-error")?;
        where_error.set_attribute("hidden", "")?;
        append(&find, &where_error)?;
        append(&section, &find)?;
        let list = el("div", "ap-trace-list")?;
        append(&section, &list)?;
        let waterfall = el("div", "ap-waterfall")?;
        waterfall.set_attribute("hidden", "")?;
        let title = el("h3", "ap-section-title")?;
        append(&waterfall, &title)?;
        let tools = el("div", "ap-wf-tools")?;
        let search: web_sys::HtmlInputElement = el("input", "ap-wf-search")?.dyn_into()?;
        search.set_type("search");
        search.set_placeholder("Find spans by name or service (Enter: next)");
        search.set_attribute("aria-label", "find spans")?;
        append(&tools, &search)?;
        let note = el("span", "ap-hint ap-wf-note")?;
        append(&tools, &note)?;
        append(&waterfall, &tools)?;
        let zoom = TraceZoom::build(&waterfall)?;
        let viewport = el("div", "ap-wf-viewport")?;
        viewport.set_attribute("tabindex", "0")?;
        viewport.set_attribute("aria-label", "spans")?;
        let spacer = el("div", "ap-wf-spacer")?;
        let window = el("div", "ap-wf-window")?;
        append(&spacer, &window)?;
        append(&viewport, &spacer)?;
        append(&waterfall, &viewport)?;
        append(&section, &waterfall)?;
        let details = el("div", "ap-span-details")?;
        details.set_attribute("hidden", "")?;
        append(&section, &details)?;
        append(root, &section)?;
        Ok(TraceView {
            list,
            where_box,
            where_error,
            waterfall,
            details,
            open: None,
            span: None,
            title,
            search,
            note,
            viewport,
            spacer,
            window,
            zoom,
            pending_zoom: None,
            collapsed: Default::default(),
            visible: Vec::new(),
            matches: Default::default(),
            services: Vec::new(),
        })
    }

    pub fn listen(&self, d: &Dispatch<Msg>) -> Listeners {
        let where_box = self.where_box.clone();
        let mut out = vec![
            send_on::<web_sys::MouseEvent, _>(&self.list, "click", d, |e| target_with(&e, "data-trace")?.get_attribute("data-trace").map(|id| Msg::Open(id, None))),
            send_on::<web_sys::MouseEvent, _>(&self.waterfall, "click", d, |e| {
                if let Some(i) = target_with(&e, "data-toggle").and_then(|b| b.get_attribute("data-toggle")).and_then(|i| i.parse().ok()) {
                    return Some(Msg::Toggle(i));
                }
                target_with(&e, "data-span")?.get_attribute("data-span").map(Msg::SelectSpan)
            }),
            send_on::<web_sys::KeyboardEvent, _>(&self.where_box, "keydown", d, move |e| {
                (e.key() == "Enter").then(|| {
                    e.prevent_default();
                    Msg::Find(where_box.value())
                })
            }),
            send_on::<web_sys::MouseEvent, _>(&self.details, "click", d, |e| {
                let b = target_with(&e, "data-open-trace")?;
                Some(Msg::Open(b.get_attribute("data-open-trace")?, b.get_attribute("data-open-span")))
            }),
            send_on::<web_sys::Event, _>(&self.viewport, "scroll", d, |_| Some(Msg::Scrolled)),
            send_on::<web_sys::Event, _>(&self.search, "input", d, |_| Some(Msg::Search)),
            send_on::<web_sys::KeyboardEvent, _>(&self.search, "keydown", d, |e| {
                (e.key() == "Enter").then(|| {
                    e.prevent_default();
                    Msg::NextMatch
                })
            }),
        ];
        out.extend(self.zoom.listen(&d.map(Msg::Zoom)));
        out
    }

    /// Collapsing, scrolling and searching the waterfall happen here; the rest goes up.
    pub fn update(&mut self, msg: Msg) -> Option<Out> {
        match msg {
            Msg::Open(id, span) => return Some(Out::Open(id, span)),
            Msg::SelectSpan(id) => return Some(Out::SelectSpan(id)),
            Msg::Find(text) => return Some(Out::Find(text)),
            Msg::Zoom(m) => return self.zoom.update(m).map(Out::Zoom),
            Msg::Toggle(i) => self.toggle(i),
            Msg::Scrolled => {
                let _ = self.render_window();
            }
            Msg::Search => self.find(),
            Msg::NextMatch => self.next_match(),
        }
        None
    }

    /// Show (or with `None` hide) the trace search's error under its box.
    pub fn show_where_error(&self, msg: Option<&str>) {
        dom::show_text(&self.where_error, msg);
    }

    /// The trace list: the slowest traces matching the query; `scope` says what narrows it
    /// (the selection, the trace search).
    /// `searching`: a trace search narrows it (an empty list then says so).
    pub fn render_list(&self, traces: &[TraceSummary], scope: &str, searching: bool) -> Result<(), JsValue> {
        dom::clear(&self.list);
        let title = format!("Slowest traces {scope}");
        if traces.is_empty() {
            if searching {
                append(&self.list, &text_el("p", "ap-empty", &format!("No traces {scope}."))?)?;
            }
            return Ok(());
        }
        append(&self.list, &text_el("h3", "ap-section-title", &title)?)?;
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

    /// Show trace `t` (collapsed subtrees and the search start afresh).
    pub fn render_waterfall(&mut self, t: &Trace) -> Result<(), JsValue> {
        let w = &self.waterfall;
        let _ = w.remove_attribute("hidden");
        w.set_attribute("data-trace-id", &t.trace_id)?;
        let total = t.duration_ms().max(1e-9);
        let errors = t.spans.iter().filter(|s| s.error).count();
        let mut head = format!("Trace {} · {:.1} ms · {} spans · {} errors", t.trace_id, total, t.spans.len(), errors);
        if t.orphans > 0 {
            head += &format!(" · {} spans with missing parents", t.orphans);
        }
        if !t.duplicates.is_empty() {
            head += &format!(" · duplicate span ids: {}", t.duplicates.join(", "));
        }
        self.title.set_text_content(Some(&head));
        self.services.clear();
        for s in &t.spans {
            if !self.services.contains(&s.service) {
                self.services.push(s.service.clone());
            }
        }
        self.collapsed.clear();
        self.search.set_value("");
        self.matches.clear();
        self.note.set_text_content(None);
        self.relayout(t);
        let services = &self.services;
        self.zoom.reset(t, |svc| services.iter().position(|x| x == svc).unwrap_or(0), crate::web::dom::theme_of(&self.waterfall))?;
        if let Some(w) = self.pending_zoom.take() {
            self.zoom.set(w);
        }
        self.viewport.set_scroll_top(0);
        // Bring the selected span into view.
        if let Some(k) = self.span.as_ref().and_then(|id| t.spans.iter().position(|s| &s.span_id == id)).and_then(|i| self.visible.iter().position(|v| *v == i)) {
            self.viewport.set_scroll_top((k as i32 - VIEW_ROWS / 2).max(0) * ROW_H);
        }
        self.render_window()
    }

    /// Recompute the shown spans after a collapse or expand.
    fn relayout(&mut self, t: &Trace) {
        self.visible.clear();
        let mut skip_deeper: Option<usize> = None;
        for (i, s) in t.spans.iter().enumerate() {
            if let Some(d) = skip_deeper {
                if s.depth > d {
                    continue;
                }
                skip_deeper = None;
            }
            self.visible.push(i);
            if self.collapsed.contains(&i) {
                skip_deeper = Some(s.depth);
            }
        }
        let rows = self.visible.len() as i32;
        let _ = dom::set_style(&self.spacer, "height", &format!("{}px", rows * ROW_H));
        let _ = dom::set_style(&self.viewport, "height", &format!("{}px", rows.min(VIEW_ROWS) * ROW_H + 2));
        let _ = self.waterfall.set_attribute("data-visible", &rows.to_string());
    }

    /// Draw the open trace's minimap again (the theme or the app's width changed).
    pub fn redraw(&self) -> Result<(), JsValue> {
        if self.open.is_none() {
            return Ok(());
        }
        self.zoom.redraw(crate::web::dom::theme_of(&self.waterfall))
    }

    /// Show the stretch `w` (ms from the trace's start) of the open trace.
    pub fn zoom_to(&mut self, w: (f64, f64)) {
        self.zoom.set(w);
        let _ = self.render_window();
    }

    /// Collapse or expand the subtree under span `i`.
    pub fn toggle(&mut self, i: usize) {
        let Some(t) = self.open.take() else { return };
        if !self.collapsed.remove(&i) {
            self.collapsed.insert(i);
        }
        self.relayout(&t);
        self.open = Some(t);
        let _ = self.render_window();
    }

    /// Mark the spans matching the search text.
    pub fn find(&mut self) {
        let Some(t) = &self.open else { return };
        let q = self.search.value().trim().to_lowercase();
        self.matches = if q.is_empty() {
            Default::default()
        } else {
            t.spans.iter().enumerate().filter(|(_, s)| s.name.to_lowercase().contains(&q) || s.service.to_lowercase().contains(&q)).map(|(i, _)| i).collect()
        };
        let shown = self.visible.iter().filter(|i| self.matches.contains(i)).count();
        let note = match (q.is_empty(), self.matches.len()) {
            (true, _) => String::new(),
            (false, 0) => "no span matches".into(),
            (false, n) if n == shown => format!("{n} matching spans"),
            (false, n) => format!("{n} matching spans ({} in collapsed subtrees)", n - shown),
        };
        self.note.set_text_content(Some(&note));
        let _ = self.waterfall.set_attribute("data-matches", &self.matches.len().to_string());
        let _ = self.render_window();
        self.next_match();
    }

    /// Scroll to the next shown match below the top of the view (wrapping around).
    pub fn next_match(&self) {
        if self.matches.is_empty() {
            return;
        }
        let top = self.viewport.scroll_top() / ROW_H;
        let shown: Vec<usize> = self.visible.iter().enumerate().filter(|(_, i)| self.matches.contains(i)).map(|(k, _)| k).collect();
        let Some(&k) = shown.iter().find(|k| **k as i32 > top).or(shown.first()) else { return };
        self.viewport.set_scroll_top(k as i32 * ROW_H);
        let _ = self.render_window();
    }

    /// Draw the rows in view (and a few around them).
    pub fn render_window(&self) -> Result<(), JsValue> {
        let Some(t) = &self.open else { return Ok(()) };
        let t0 = t.start_ms();
        let first = (self.viewport.scroll_top() / ROW_H - OVERSCAN).max(0) as usize;
        let last = (first + (VIEW_ROWS + 2 * OVERSCAN) as usize).min(self.visible.len());
        dom::clear(&self.window);
        dom::set_style(&self.window, "top", &format!("{}px", first as i32 * ROW_H))?;
        for &i in &self.visible[first.min(last)..last] {
            let s = &t.spans[i];
            let svc = self.services.iter().position(|x| *x == s.service).unwrap_or(0);
            let mut class = String::from(if s.row.is_none() { "ap-wf-row ap-wf-placeholder" } else { "ap-wf-row" });
            if Some(&s.span_id) == self.span.as_ref() {
                class += " ap-wf-selected";
            }
            if self.matches.contains(&i) {
                class += " ap-wf-match";
            }
            let row = el("div", &class)?;
            row.set_attribute("data-span", &s.span_id)?;
            let label = el("div", "ap-wf-label")?;
            dom::set_style(&label, "padding-left", &format!("{}px", 2 + s.depth * 14))?;
            if s.children.is_empty() {
                append(&label, &el("span", "ap-wf-toggle-gap")?)?;
            } else {
                let collapsed = self.collapsed.contains(&i);
                let b = text_el("button", "ap-wf-toggle", if collapsed { "▸" } else { "▾" })?;
                b.set_attribute("data-toggle", &i.to_string())?;
                b.set_attribute("aria-expanded", if collapsed { "false" } else { "true" })?;
                b.set_attribute("aria-label", &format!("{} {} child spans", if collapsed { "show" } else { "hide" }, s.children.len()))?;
                append(&label, &b)?;
            }
            append(&label, &text_el("span", "ap-wf-service", &s.service)?)?;
            append(&label, &text_el("span", "", &format!(" {}", s.name))?)?;
            if !s.links.is_empty() {
                let l = text_el("span", "ap-wf-link", " ↗")?;
                l.set_attribute("title", &format!("{} linked spans", s.links.len()))?;
                append(&label, &l)?;
            }
            append(&row, &label)?;
            let track = el("div", "ap-wf-track")?;
            let bar = el("div", &format!("ap-wf-bar{}{}{}", if s.critical { " ap-critical" } else { "" }, if s.error { " ap-error-span" } else { "" }, if s.skew { " ap-skew" } else { "" }))?;
            let (left, width) = self.zoom.place(s.start_ms - t0, s.end_ms() - t0);
            dom::set_style(&bar, "left", &format!("{left:.3}%"))?;
            dom::set_style(&bar, "width", &format!("{:.3}%", width.max(0.15)))?;
            dom::set_style(&bar, "background", &series_css(svc))?;
            bar.set_attribute("title", &format!("{} · {:.3} ms (self {:.3} ms){}", s.name, s.duration_ms, s.self_ms, if s.critical { " · critical path" } else { "" }))?;
            append(&track, &bar)?;
            // Span events as ticks on the shared time axis.
            for ev in &s.events {
                let (at, _) = self.zoom.place(ev.time_ms - t0, ev.time_ms - t0);
                if !(0.0..=100.0).contains(&at) {
                    continue;
                }
                let tick = el("span", "ap-wf-event")?;
                dom::set_style(&tick, "left", &format!("{at:.3}%"))?;
                tick.set_attribute("title", &format!("{} at +{:.3} ms", ev.name, ev.time_ms - s.start_ms))?;
                append(&track, &tick)?;
            }
            append(&row, &track)?;
            append(&row, &text_el("div", "ap-wf-dur", &format!("{:.1} ms", s.duration_ms))?)?;
            append(&self.window, &row)?;
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
        // The raw row, as JSON text (timestamps in ISO 8601).
        let mut raw = serde_json::Map::new();
        for (f, col) in batch.schema().fields().iter().zip(batch.columns()) {
            let v = if col.is_null(row) {
                serde_json::Value::Null
            } else if let Some(t) = timestamp_text(col.as_ref(), row) {
                serde_json::Value::String(t)
            } else {
                crate::trace::annotations::cell_json(col, row)
                    .unwrap_or_else(|| serde_json::Value::String(ArrayFormatter::try_new(col.as_ref(), &opts).map(|fmt| fmt.value(row).to_string()).unwrap_or_default()))
            };
            raw.insert(f.name().clone(), v);
        }
        let fold = el("details", "ap-raw-row")?;
        append(&fold, &text_el("summary", "", "Raw row (JSON)")?)?;
        append(&fold, &text_el("pre", "ap-mono", &serde_json::to_string_pretty(&raw).unwrap_or_default())?)?;
        append(d, &fold)?;
        if !s.events.is_empty() {
            append(d, &text_el("h4", "ap-section-title", &format!("Span events ({})", s.events.len()))?)?;
            let table = el("table", "ap-table ap-span-events")?;
            for ev in &s.events {
                let tr = el("tr", "")?;
                append(&tr, &text_el("td", "ap-num", &format!("+{:.3} ms", ev.time_ms - s.start_ms))?)?;
                append(&tr, &text_el("td", "ap-attr-key", &ev.name)?)?;
                append(&tr, &text_el("td", "ap-attr-val", &attributes_text(&ev.attributes))?)?;
                append(&table, &tr)?;
            }
            append(d, &table)?;
        }
        if !s.links.is_empty() {
            append(d, &text_el("h4", "ap-section-title", &format!("Links ({})", s.links.len()))?)?;
            let table = el("table", "ap-table ap-span-links")?;
            let cols = crate::trace::SpanColumns::detect(data).ok();
            for l in &s.links {
                let tr = el("tr", "")?;
                let target = el("td", "ap-mono")?;
                if cols.as_ref().is_some_and(|c| crate::trace::has_trace(data, c, &l.trace_id)) {
                    let b = text_el("button", "ap-button", &format!("{} / {}", l.trace_id, l.span_id))?;
                    b.set_attribute("data-open-trace", &l.trace_id)?;
                    b.set_attribute("data-open-span", &l.span_id)?;
                    b.set_attribute("title", "open the linked trace")?;
                    append(&target, &b)?;
                } else {
                    append(&target, &text_el("span", "", &format!("{} / {}", l.trace_id, l.span_id))?)?;
                    append(&target, &text_el("span", "ap-hint", " (trace not loaded)")?)?;
                }
                append(&tr, &target)?;
                append(&tr, &text_el("td", "ap-attr-val", &attributes_text(&l.attributes))?)?;
                append(&table, &tr)?;
            }
            append(d, &table)?;
        }
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

/// `k=v, k=v` for an attributes object (strings unquoted).
fn attributes_text(a: &serde_json::Value) -> String {
    match a.as_object() {
        Some(m) => m.iter().map(|(k, v)| format!("{k}={}", v.as_str().map(str::to_string).unwrap_or_else(|| v.to_string()))).collect::<Vec<_>>().join(", "),
        None => String::new(),
    }
}

fn target_with(e: &web_sys::MouseEvent, attr: &str) -> Option<Element> {
    let t = e.target()?.dyn_into::<Element>().ok()?;
    t.closest(&format!("[{attr}]")).ok().flatten()
}

use arrow_array::Array;
