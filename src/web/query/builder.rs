//! The query builder: Honeycomb's VISUALIZE / WHERE / GROUP BY / ORDER BY / LIMIT / HAVING boxes,
//! a time range (relative to the data's latest event, or absolute) and granularity. Each box takes
//! the clause text of [`crate::query::clause`], completes from the schema as you type (arrow keys,
//! Enter or Tab to take a completion, Escape to close), runs the query shortly after typing stops
//! and at once on Enter, and shows a clause's error right under it. Pasting query JSON into any
//! box loads that query.

use gloo_timers::callback::Timeout;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{Element, HtmlInputElement, HtmlSelectElement};

use crate::web::dispatch::{send_on, Dispatch, Listeners};
use crate::web::dom::{self, append, el, text_el};
use crate::query::clause::{suggest, Clause, Clauses, SuggestContext, Suggestion};
use crate::query::spec::Combination;
use crate::query::QuerySpec;

/// Relative ranges offered (seconds, label); anchored at the data's latest event.
const RANGES: [(i64, &str); 8] = [
    (900, "Last 15 minutes"),
    (3600, "Last hour"),
    (7200, "Last 2 hours"),
    (21600, "Last 6 hours"),
    (86400, "Last 24 hours"),
    (604800, "Last 7 days"),
    (2592000, "Last 30 days"),
    (31536000, "Last year"),
];
const GRANULARITIES: [(i64, &str); 9] = [(0, "auto"), (1, "1 s"), (10, "10 s"), (30, "30 s"), (60, "1 min"), (300, "5 min"), (900, "15 min"), (3600, "1 h"), (86400, "1 day")];
const DEBOUNCE_MS: u32 = 350;

/// What a person does in the builder.
pub enum Msg {
    /// Typing in box `i`.
    Input(usize),
    Focus(usize),
    Blur,
    Key(usize, web_sys::KeyboardEvent),
    /// Query JSON pasted into a box.
    PasteJson(String),
    /// Completion `k` taken with the mouse.
    Pick(usize),
    /// The WHERE combination, time range or granularity changed.
    TimeChanged,
    /// Typing paused.
    Typed,
}

/// What the builder asks of the app.
pub enum Out {
    /// Recompute the completions of box `i` (they need the data).
    Suggest(usize),
    /// Run what the builder holds.
    Run,
    /// Load a whole query from JSON text.
    LoadJson(String),
    /// The range menu changed (Custom starts from the range on screen).
    RangeChanged,
}

pub struct Field {
    pub clause: Clause,
    pub input: HtmlInputElement,
    pub error: Element,
}

pub struct Builder {
    pub fields: Vec<Field>,
    pub combination: HtmlSelectElement,
    pub range: HtmlSelectElement,
    pub start: HtmlInputElement,
    pub end: HtmlInputElement,
    pub granularity: HtmlSelectElement,
    /// An error about the query as a whole (not one clause): shown under the boxes.
    pub error: Element,
    list: Element,
    suggestions: Vec<Suggestion>,
    /// What is typed under the cursor is itself one of the completions.
    exact: bool,
    /// The field (index) and item the completion list belongs to, and the highlighted row.
    open: Option<usize>,
    active: usize,
    /// The pending run after typing pauses (dropping it cancels it).
    timer: Option<Timeout>,
    me: Option<Dispatch<Msg>>,
}

fn select(class: &str, label: &str, options: &[(String, String)]) -> Result<HtmlSelectElement, JsValue> {
    let s: HtmlSelectElement = el("select", class)?.dyn_into()?;
    s.set_attribute("aria-label", label)?;
    for (value, text) in options {
        let o = text_el("option", "", text)?;
        o.set_attribute("value", value)?;
        append(&s, &o)?;
    }
    Ok(s)
}

/// `YYYY-MM-DDTHH:MM:SS` (UTC) for a datetime-local input.
fn local_text(secs: i64) -> String {
    crate::query::result::iso8601(secs * 1000).trim_end_matches('Z').chars().take(19).collect()
}

/// Epoch seconds of a datetime-local value read as UTC.
fn parse_local(text: &str) -> Option<i64> {
    let ms = js_sys::Date::parse(&format!("{}Z", if text.len() == 16 { format!("{text}:00") } else { text.to_string() }));
    ms.is_finite().then(|| (ms / 1000.0).floor() as i64)
}

impl Builder {
    pub fn build(root: &Element) -> Result<Builder, JsValue> {
        let box_ = el("section", "ap-builder")?;
        box_.set_attribute("aria-label", "query builder")?;
        let grid = el("div", "ap-clauses")?;
        let mut fields = Vec::new();
        let combination = select("ap-combination", "combine WHERE conditions with", &[("AND".into(), "AND".into()), ("OR".into(), "OR".into())])?;
        let placeholders = [
            (Clause::Visualize, "COUNT, P99(duration_ms), HEATMAP(duration_ms)"),
            (Clause::Where, "service.name = api, duration_ms > 500"),
            (Clause::GroupBy, "service.name, http.route"),
            (Clause::OrderBy, "COUNT desc"),
            (Clause::Limit, "1000"),
            (Clause::Having, "COUNT > 10"),
            (Clause::Derived, "sli = IF(NOT(EXISTS($trace.parent_id)), LT($duration_ms, 1000)), kind = IF(GTE($http.status_code, 500), \"error\", \"ok\")"),
        ];
        for (clause, hint) in placeholders {
            let cell = el("div", "ap-clause")?;
            cell.set_attribute("data-clause", clause.name())?;
            let head = el("div", "ap-clause-head")?;
            let label = text_el("label", "ap-clause-name", clause.name())?;
            let id = format!("ap-clause-{}", clause.name().to_ascii_lowercase().replace(' ', "-"));
            label.set_attribute("for", &id)?;
            append(&head, &label)?;
            if clause == Clause::Where {
                append(&head, &combination)?;
            }
            append(&cell, &head)?;
            let input: HtmlInputElement = el("input", "ap-clause-input")?.dyn_into()?;
            input.set_id(&id);
            input.set_placeholder(hint);
            input.set_attribute("spellcheck", "false")?;
            input.set_attribute("autocomplete", "off")?;
            input.set_attribute("role", "combobox")?;
            input.set_attribute("aria-autocomplete", "list")?;
            input.set_attribute("aria-expanded", "false")?;
            if clause == Clause::Limit {
                input.set_attribute("inputmode", "numeric")?;
            }
            append(&cell, &input)?;
            let error = el("div", "ap-clause-error")?;
            error.set_attribute("role", "alert")?;
            error.set_attribute("hidden", "")?;
            append(&cell, &error)?;
            append(&grid, &cell)?;
            fields.push(Field { clause, input, error });
        }
        append(&box_, &grid)?;
        let time = el("div", "ap-time")?;
        let mut ranges: Vec<(String, String)> = RANGES.iter().map(|(s, l)| (s.to_string(), l.to_string())).collect();
        ranges.push(("all".into(), "All data".into()));
        ranges.push(("custom".into(), "Custom range (UTC)".into()));
        let range = select("ap-range", "time range", &ranges)?;
        append(&time, &range)?;
        let start: HtmlInputElement = el("input", "ap-when")?.dyn_into()?;
        let end: HtmlInputElement = el("input", "ap-when")?.dyn_into()?;
        for (i, what) in [(&start, "start (UTC)"), (&end, "end (UTC)")] {
            i.set_type("datetime-local");
            i.set_attribute("step", "1")?;
            i.set_attribute("aria-label", what)?;
            i.set_attribute("hidden", "")?;
            append(&time, i)?;
        }
        append(&time, &text_el("span", "ap-hint", "granularity")?)?;
        let granularity = select("ap-granularity", "granularity", &GRANULARITIES.iter().map(|(s, l)| (s.to_string(), l.to_string())).collect::<Vec<_>>())?;
        append(&time, &granularity)?;
        append(&box_, &time)?;
        let error = el("div", "ap-builder-error")?;
        error.set_attribute("role", "alert")?;
        error.set_attribute("hidden", "")?;
        append(&box_, &error)?;
        let list = el("ul", "ap-suggest")?;
        list.set_attribute("role", "listbox")?;
        list.set_attribute("hidden", "")?;
        append(&box_, &list)?;
        append(root, &box_)?;
        Ok(Builder { fields, combination, range, start, end, granularity, error, list, suggestions: Vec::new(), exact: false, open: None, active: 0, timer: None, me: None })
    }

    /// The clause text the boxes hold.
    pub fn clauses(&self) -> Clauses {
        let v = |c: Clause| self.fields.iter().find(|f| f.clause == c).map(|f| f.input.value()).unwrap_or_default();
        Clauses {
            visualize: v(Clause::Visualize),
            r#where: v(Clause::Where),
            combination: if self.combination.value() == "OR" { Combination::Or } else { Combination::And },
            group_by: v(Clause::GroupBy),
            order_by: v(Clause::OrderBy),
            limit: v(Clause::Limit),
            having: v(Clause::Having),
            derived: v(Clause::Derived),
        }
    }

    /// Put the builder's time range and granularity into `spec`. `data_range` is the data's
    /// (first, last) event time in ms, for "All data".
    pub fn apply_time(&self, spec: &mut QuerySpec, data_range: Option<(i64, i64)>) -> Result<(), String> {
        match self.range.value().as_str() {
            "custom" => {
                let s = parse_local(&self.start.value()).ok_or("the start time is not a date")?;
                let e = parse_local(&self.end.value()).ok_or("the end time is not a date")?;
                if e <= s {
                    return Err("the end time must be after the start time".into());
                }
                (spec.start_time, spec.end_time, spec.time_range) = (Some(s), Some(e), None);
            }
            "all" => {
                let (lo, hi) = data_range.unwrap_or((0, 0));
                (spec.start_time, spec.end_time, spec.time_range) = (Some(lo.div_euclid(1000)), Some(hi.div_euclid(1000) + 1), None);
            }
            secs => {
                (spec.start_time, spec.end_time, spec.time_range) = (None, None, secs.parse().ok());
            }
        }
        spec.granularity = match self.granularity.value().parse::<i64>() {
            Ok(0) | Err(_) => None,
            Ok(g) => Some(g),
        };
        Ok(())
    }

    /// Show `spec` in the boxes (a box being typed in keeps its text) and the time controls.
    pub fn show(&self, spec: &QuerySpec, data_range: Option<(i64, i64)>) {
        let c = Clauses::from_spec(spec);
        let focused = dom::document().ok().and_then(|d| d.active_element());
        for f in &self.fields {
            let text = match f.clause {
                Clause::Visualize => &c.visualize,
                Clause::Where => &c.r#where,
                Clause::GroupBy => &c.group_by,
                Clause::OrderBy => &c.order_by,
                Clause::Limit => &c.limit,
                Clause::Having => &c.having,
                Clause::Derived => &c.derived,
            };
            let is_focused = focused.as_ref().is_some_and(|e| e == f.input.unchecked_ref::<Element>());
            if !is_focused {
                f.input.set_value(text);
            }
            show_error(f, None);
        }
        self.combination.set_value(if c.combination == Combination::Or { "OR" } else { "AND" });
        let all = data_range.map(|(lo, hi)| (lo.div_euclid(1000), hi.div_euclid(1000) + 1));
        match (spec.time_range, spec.start_time, spec.end_time) {
            (_, Some(s), Some(e)) if Some((s, e)) == all => self.range.set_value("all"),
            (_, Some(s), Some(e)) => {
                self.range.set_value("custom");
                self.start.set_value(&local_text(s));
                self.end.set_value(&local_text(e));
            }
            (Some(r), _, _) if RANGES.iter().any(|(x, _)| *x == r) => self.range.set_value(&r.to_string()),
            (Some(r), _, _) => {
                // A range the menu does not list: show it as absolute times.
                let end = data_range.map(|(_, hi)| hi.div_euclid(1000) + 1).unwrap_or(0);
                self.range.set_value("custom");
                self.start.set_value(&local_text(end - r));
                self.end.set_value(&local_text(end));
            }
            _ => self.range.set_value("7200"),
        }
        self.show_custom();
        let g = spec.granularity.unwrap_or(0);
        if GRANULARITIES.iter().any(|(x, _)| *x == g) {
            self.granularity.set_value(&g.to_string());
        } else {
            let o = text_el("option", "", &format!("{g} s")).ok();
            if let Some(o) = o {
                let _ = o.set_attribute("value", &g.to_string());
                let _ = self.granularity.append_child(&o);
            }
            self.granularity.set_value(&g.to_string());
        }
    }

    fn show_custom(&self) {
        let custom = self.range.value() == "custom";
        for i in [&self.start, &self.end] {
            let _ = if custom { i.remove_attribute("hidden") } else { i.set_attribute("hidden", "") };
        }
    }

    /// Show an error under `clause` (or clear every clause's error).
    pub fn show_clause_error(&self, clause: Option<Clause>, msg: &str) {
        for f in &self.fields {
            show_error(f, (Some(f.clause) == clause).then_some(msg));
        }
    }

    /// Show (or clear) an error about the whole query.
    pub fn show_query_error(&self, msg: Option<&str>) {
        dom::show_text(&self.error, msg);
    }

    fn close(&mut self) {
        self.open = None;
        self.suggestions.clear();
        let _ = self.list.set_attribute("hidden", "");
        for f in &self.fields {
            let _ = f.input.set_attribute("aria-expanded", "false");
        }
    }

    /// Recompute the completion list for field `i` at its cursor.
    pub fn refresh_at(&mut self, i: usize, ctx: &SuggestContext) {
        let f = &self.fields[i];
        let text = f.input.value();
        // The cursor as a byte offset (the input reports UTF-16 units).
        let units = f.input.selection_start().ok().flatten().unwrap_or(text.len() as u32) as usize;
        let mut cursor = 0;
        let mut seen = 0;
        for ch in text.chars() {
            if seen >= units {
                break;
            }
            seen += ch.len_utf16();
            cursor += ch.len_utf8();
        }
        self.suggestions = suggest(f.clause, &text, cursor, ctx);
        // A completion that only repeats what is typed is no help; and when what is typed is
        // already whole (a column's full name), Enter runs the query instead of completing it
        // into a longer name.
        let before = self.suggestions.len();
        self.suggestions.retain(|s| text.get(s.from..cursor) != Some(s.insert.trim_end()));
        self.exact = self.suggestions.len() != before;
        self.active = 0;
        if self.suggestions.is_empty() {
            self.close();
            return;
        }
        self.open = Some(i);
        dom::clear(&self.list);
        for (k, s) in self.suggestions.iter().enumerate() {
            let Ok(li) = el("li", if k == 0 { "ap-suggest-item ap-active" } else { "ap-suggest-item" }) else { continue };
            let _ = li.set_attribute("role", "option");
            let _ = li.set_attribute("data-index", &k.to_string());
            let _ = li.append_child(&text_el("span", "ap-suggest-label", &s.label).unwrap_or(li.clone()));
            let _ = li.append_child(&text_el("span", "ap-suggest-detail", &s.detail).unwrap_or(li.clone()));
            let _ = self.list.append_child(&li);
        }
        // Under the box being typed in.
        let input: &web_sys::HtmlElement = f.input.unchecked_ref();
        let _ = dom::set_style(&self.list, "left", &format!("{}px", input.offset_left()));
        let _ = dom::set_style(&self.list, "top", &format!("{}px", input.offset_top() + input.offset_height()));
        let _ = dom::set_style(&self.list, "min-width", &format!("{}px", input.offset_width().min(420)));
        let _ = self.list.remove_attribute("hidden");
        let _ = f.input.set_attribute("aria-expanded", "true");
    }

    fn highlight(&mut self, k: usize) {
        self.active = k;
        let items = self.list.children();
        for j in 0..items.length() {
            if let Some(li) = items.item(j) {
                li.set_class_name(if j as usize == k { "ap-suggest-item ap-active" } else { "ap-suggest-item" });
            }
        }
    }

    /// Take completion `k`: replace the item's typed part and put the cursor after it.
    fn accept(&mut self, k: usize) -> Option<usize> {
        let i = self.open?;
        let s = self.suggestions.get(k)?.clone();
        let input = &self.fields[i].input;
        let text = input.value();
        let units = input.selection_start().ok().flatten().unwrap_or(text.len() as u32) as usize;
        let cursor = text.char_indices().scan(0usize, |u, (b, ch)| {
            let here = *u;
            *u += ch.len_utf16();
            Some((b, here))
        }).find(|(_, u)| *u >= units).map(|(b, _)| b).unwrap_or(text.len());
        let from = s.from.min(cursor);
        let next = format!("{}{}{}", &text[..from], s.insert, &text[cursor..]);
        input.set_value(&next);
        let caret = next[..from + s.insert.len()].encode_utf16().count() as u32;
        let _ = input.set_selection_range(caret, caret);
        self.close();
        Some(i)
    }

    /// The boxes' and menus' events as messages. The builder keeps `d` for its debounce timer.
    pub fn listen(&mut self, d: &Dispatch<Msg>) -> Listeners {
        self.me = Some(d.clone());
        let mut out = Vec::new();
        for (i, f) in self.fields.iter().enumerate() {
            let input = &f.input;
            out.push(send_on::<web_sys::Event, _>(input, "input", d, move |_| Some(Msg::Input(i))));
            out.push(send_on::<web_sys::FocusEvent, _>(input, "focus", d, move |_| Some(Msg::Focus(i))));
            out.push(send_on::<web_sys::FocusEvent, _>(input, "blur", d, |_| Some(Msg::Blur)));
            out.push(send_on::<web_sys::KeyboardEvent, _>(input, "keydown", d, move |e| Some(Msg::Key(i, e.clone()))));
            // Pasting query JSON loads the whole query.
            out.push(send_on::<web_sys::ClipboardEvent, _>(input, "paste", d, |e| {
                let text = e.clipboard_data().and_then(|d| d.get_data("text/plain").ok()).unwrap_or_default();
                if !text.trim_start().starts_with('{') {
                    return None;
                }
                e.prevent_default();
                Some(Msg::PasteJson(text))
            }));
        }
        // Completions are taken with the mouse on mousedown, before the box loses focus.
        out.push(send_on::<web_sys::MouseEvent, _>(&self.list, "mousedown", d, |e| {
            e.prevent_default();
            let li = e.target().and_then(|t| t.dyn_into::<Element>().ok()).and_then(|t| t.closest("li").ok().flatten())?;
            Some(Msg::Pick(li.get_attribute("data-index").and_then(|v| v.parse().ok()).unwrap_or(0)))
        }));
        for target in [self.combination.unchecked_ref::<web_sys::EventTarget>(), self.range.unchecked_ref(), self.start.unchecked_ref(), self.end.unchecked_ref(), self.granularity.unchecked_ref()] {
            out.push(send_on::<web_sys::Event, _>(target, "change", d, |_| Some(Msg::TimeChanged)));
        }
        out
    }

    /// Apply a message: completions move and are taken here; what needs the data or runs the
    /// query goes up as [`Out`].
    pub fn update(&mut self, msg: Msg) -> Vec<Out> {
        match msg {
            Msg::Input(i) => {
                self.schedule();
                vec![Out::Suggest(i)]
            }
            Msg::Focus(i) => vec![Out::Suggest(i)],
            Msg::Blur => {
                self.close();
                Vec::new()
            }
            Msg::Pick(k) => {
                self.schedule();
                self.accept(k).map(Out::Suggest).into_iter().collect()
            }
            Msg::PasteJson(text) => vec![Out::LoadJson(text)],
            Msg::TimeChanged => vec![Out::RangeChanged, Out::Run],
            Msg::Typed => vec![Out::Run],
            Msg::Key(i, e) => self.key(i, &e),
        }
    }

    fn key(&mut self, i: usize, e: &web_sys::KeyboardEvent) -> Vec<Out> {
        let open = self.open == Some(i) && !self.suggestions.is_empty();
        let count = self.suggestions.len();
        match e.key().as_str() {
            "ArrowDown" if open => {
                e.prevent_default();
                self.exact = false;
                self.highlight((self.active + 1) % count);
            }
            "ArrowUp" if open => {
                e.prevent_default();
                self.exact = false;
                self.highlight((self.active + count - 1) % count);
            }
            "Tab" if open => {
                e.prevent_default();
                return self.accept(self.active).map(Out::Suggest).into_iter().collect();
            }
            "Enter" if open && !self.exact => {
                e.prevent_default();
                return self.accept(self.active).map(Out::Suggest).into_iter().collect();
            }
            "Enter" => {
                e.prevent_default();
                self.close();
                self.timer = None;
                return vec![Out::Run];
            }
            "Escape" if open => {
                e.prevent_default();
                self.close();
            }
            _ => {}
        }
        Vec::new()
    }

    /// Run the query once typing pauses (a newer keystroke restarts the wait).
    fn schedule(&mut self) {
        let Some(d) = self.me.clone() else { return };
        self.timer = Some(Timeout::new(DEBOUNCE_MS, move || d.send(Msg::Typed)));
    }

    /// When the range menu changes to Custom, start from the range on screen.
    pub fn fill_custom(&self, spec: Option<&QuerySpec>, data_range: Option<(i64, i64)>) {
        self.show_custom();
        if self.range.value() != "custom" || !self.start.value().is_empty() {
            return;
        }
        let end = spec.and_then(|s| s.end_time).or(data_range.map(|(_, hi)| hi.div_euclid(1000) + 1)).unwrap_or(0);
        let start = spec.and_then(|s| s.start_time).unwrap_or(end - spec.and_then(|s| s.time_range).unwrap_or(7200));
        self.start.set_value(&local_text(start));
        self.end.set_value(&local_text(end));
    }
}

fn show_error(f: &Field, msg: Option<&str>) {
    match msg {
        Some(m) => {
            f.error.set_text_content(Some(m));
            let _ = f.error.remove_attribute("hidden");
            let _ = f.input.set_attribute("aria-invalid", "true");
        }
        None => {
            let _ = f.error.set_attribute("hidden", "");
            let _ = f.input.remove_attribute("aria-invalid");
        }
    }
}
