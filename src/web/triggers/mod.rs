//! Triggers in the page: made from the current query (one calculation), with a threshold, a
//! frequency, alert on change or on every run, and an optional webhook. While the page is open
//! the app evaluates each when it is due (and on "Evaluate now"); this view keeps each trigger's
//! state (OK / TRIGGERED), its history of evaluations, and says in the page when one notifies.
//! Triggers are kept in local storage and exported or imported as JSON.

use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{Element, HtmlInputElement, HtmlSelectElement};

use crate::query::QuerySpec;
use crate::trigger::{Threshold, Trigger};
use crate::web::dispatch::{send_on, Dispatch, Listeners};
use crate::web::dom::{self, append, el, text_el};
use crate::web::saved;

pub const KEY: &str = "apiary.triggers.v1";
/// Evaluations kept per trigger.
const HISTORY: usize = 50;

pub enum Msg {
    FromQuery,
    Save,
    Remove(usize),
    Evaluate(usize),
    Select(usize),
    Export,
    Import(String),
    AllowNotifications,
}

/// What the triggers view asks of the app.
pub enum Out {
    /// Fill the form from the current query.
    WantQuery,
    /// Evaluate this trigger now.
    Evaluate(Trigger),
    /// The saved triggers changed (the link follows).
    Changed,
    /// Ask the browser for permission to notify.
    AllowNotifications,
}

/// One evaluation: when (wall clock, ms), the status, the summary.
#[derive(Clone)]
pub struct Eval {
    pub at_ms: f64,
    pub status: String,
    pub summary: String,
    pub notified: bool,
}

#[derive(Clone, Default)]
pub struct State {
    pub last_ms: Option<f64>,
    pub status: Option<String>,
    pub history: Vec<Eval>,
}

pub struct TriggersView {
    pub root: Element,
    name: HtmlInputElement,
    query: Element,
    op: HtmlSelectElement,
    value: HtmlInputElement,
    range: HtmlSelectElement,
    frequency: HtmlSelectElement,
    alert: HtmlSelectElement,
    webhook: HtmlInputElement,
    from_query: Element,
    save: Element,
    export: Element,
    import: HtmlInputElement,
    allow: Element,
    list: Element,
    error: Element,
    notice: Element,
    history: Element,
    /// The query the form makes a trigger of.
    spec: Option<QuerySpec>,
    pub saved: Vec<Trigger>,
    pub states: Vec<State>,
    selected: Option<usize>,
}

fn select(class: &str, options: &[(&str, &str)]) -> Result<HtmlSelectElement, JsValue> {
    let s: HtmlSelectElement = el("select", class)?.dyn_into()?;
    for (v, l) in options {
        let o = text_el("option", "", l)?;
        o.set_attribute("value", v)?;
        append(&s, &o)?;
    }
    Ok(s)
}

impl TriggersView {
    pub fn build(root: &Element) -> Result<TriggersView, JsValue> {
        let details = el("details", "ap-triggers")?;
        append(&details, &text_el("summary", "", "Triggers")?)?;
        let form = el("div", "ap-trigger-form")?;
        let name: HtmlInputElement = el("input", "ap-trigger-name ap-clause-input")?.dyn_into()?;
        name.set_placeholder("name");
        let query = text_el("code", "ap-trigger-query", "Make one from the current query")?;
        let op = select("ap-trigger-op", &[(">", ">"), (">=", "≥"), ("<", "<"), ("<=", "≤")])?;
        let value: HtmlInputElement = el("input", "ap-trigger-value ap-clause-input")?.dyn_into()?;
        value.set_attribute("inputmode", "decimal")?;
        value.set_placeholder("threshold");
        let range = select("ap-trigger-range", &[("300", "last 5 min"), ("900", "last 15 min"), ("1800", "last 30 min"), ("3600", "last hour"), ("14400", "last 4 hours"), ("86400", "last day")])?;
        range.set_value("1800");
        let frequency = select("ap-trigger-frequency", &[("60", "every minute"), ("300", "every 5 min"), ("900", "every 15 min"), ("1800", "every 30 min"), ("3600", "every hour"), ("21600", "every 6 hours"), ("86400", "every day")])?;
        frequency.set_value("900");
        let alert = select("ap-trigger-alert", &[("on_change", "notify when the state changes"), ("on_true", "notify on every run while triggered")])?;
        let webhook: HtmlInputElement = el("input", "ap-trigger-webhook ap-clause-input")?.dyn_into()?;
        webhook.set_placeholder("https://… (optional: POST the payload here)");
        dom::labelled(&form, "NAME", &name)?;
        dom::labelled(&form, "THRESHOLD", &op)?;
        append(&form, &value)?;
        dom::labelled(&form, "OVER THE", &range)?;
        dom::labelled(&form, "CHECK", &frequency)?;
        dom::labelled(&form, "NOTIFY", &alert)?;
        dom::labelled(&form, "WEBHOOK", &webhook)?;
        append(&details, &query)?;
        append(&details, &form)?;
        let tools = el("div", "ap-slo-tools")?;
        let from_query = text_el("button", "ap-button ap-trigger-from-query", "Use the current query")?;
        let save = text_el("button", "ap-button ap-trigger-save", "Save trigger")?;
        let export = text_el("button", "ap-button ap-trigger-export", "Export JSON")?;
        for b in [&from_query, &save, &export] {
            append(&tools, b)?;
        }
        let import = saved::import_button(&tools, "ap-trigger-import")?;
        let allow = text_el("button", "ap-button ap-trigger-allow", "Allow browser notifications")?;
        append(&tools, &allow)?;
        append(&details, &tools)?;
        let error = el("div", "ap-clause-error ap-trigger-error")?;
        error.set_attribute("role", "alert")?;
        error.set_attribute("hidden", "")?;
        append(&details, &error)?;
        let notice = el("div", "ap-trigger-notice")?;
        notice.set_attribute("role", "status")?;
        notice.set_attribute("hidden", "")?;
        append(&details, &notice)?;
        let list = el("table", "ap-trigger-list")?;
        append(&details, &list)?;
        let history = el("table", "ap-trigger-history")?;
        append(&details, &history)?;
        append(root, &details)?;
        let saved = saved::load::<Trigger>(KEY);
        let states = vec![State::default(); saved.len()];
        let mut v = TriggersView { root: details, name, query, op, value, range, frequency, alert, webhook, from_query, save, export, import, allow, list, error, notice, history, spec: None, saved, states, selected: None };
        // The form starts with the demo's preset: slow root spans per service.
        if let Ok(preset) = QuerySpec::from_json(&serde_json::json!({"calculations": [{"op": "P99", "column": "duration_ms"}], "filters": [{"column": "trace.parent_id", "op": "does-not-exist"}], "breakdowns": ["service.name"]})) {
            v.name.set_value("Slow root spans");
            v.value.set_value("1000");
            v.fill_from_query(&preset);
        }
        v.render();
        Ok(v)
    }

    pub fn listen(&self, d: &Dispatch<Msg>) -> Listeners {
        vec![
            send_on::<web_sys::MouseEvent, _>(&self.from_query, "click", d, |_| Some(Msg::FromQuery)),
            send_on::<web_sys::MouseEvent, _>(&self.save, "click", d, |_| Some(Msg::Save)),
            send_on::<web_sys::MouseEvent, _>(&self.export, "click", d, |_| Some(Msg::Export)),
            send_on::<web_sys::MouseEvent, _>(&self.allow, "click", d, |_| Some(Msg::AllowNotifications)),
            send_on::<web_sys::MouseEvent, _>(&self.list, "click", d, |e| {
                let t = e.target().and_then(|t| t.dyn_into::<Element>().ok())?;
                let i = |a: &str| t.closest(&format!("[{a}]")).ok().flatten()?.get_attribute(a)?.parse::<usize>().ok();
                i("data-trigger-remove").map(Msg::Remove).or_else(|| i("data-trigger-evaluate").map(Msg::Evaluate)).or_else(|| i("data-trigger-row").map(Msg::Select))
            }),
            saved::on_import(&self.import, d, Msg::Import),
        ]
    }

    pub fn update(&mut self, msg: Msg) -> Vec<Out> {
        dom::show_text(&self.error, None);
        match msg {
            Msg::FromQuery => vec![Out::WantQuery],
            Msg::Save => match self.read_form() {
                Ok(t) => {
                    let i = match self.saved.iter().position(|s| s.name == t.name) {
                        Some(i) => {
                            self.saved[i] = t.clone();
                            i
                        }
                        None => {
                            self.saved.push(t.clone());
                            self.states.push(State::default());
                            self.saved.len() - 1
                        }
                    };
                    self.selected = Some(i);
                    self.persist();
                    vec![Out::Changed, Out::Evaluate(t)]
                }
                Err(e) => {
                    dom::show_text(&self.error, Some(&e));
                    Vec::new()
                }
            },
            Msg::Remove(i) if i < self.saved.len() => {
                self.saved.remove(i);
                self.states.remove(i);
                self.selected = None;
                self.persist();
                vec![Out::Changed]
            }
            Msg::Evaluate(i) => self.saved.get(i).cloned().map(|t| vec![Out::Evaluate(t)]).unwrap_or_default(),
            Msg::Select(i) => {
                self.selected = Some(i);
                self.render();
                Vec::new()
            }
            Msg::Export => {
                // An export is the owner's own file: it keeps the webhooks (links do not).
                saved::download("apiary-triggers.json", &self.saved);
                Vec::new()
            }
            Msg::Import(text) => {
                let parsed = saved::items(&text).and_then(|v| v.iter().map(|t| Trigger::from_json_str(&t.to_string()).map_err(|e| e.to_string())).collect::<Result<Vec<_>, _>>());
                match parsed {
                    Ok(list) => {
                        let evals: Vec<Out> = list.iter().cloned().map(Out::Evaluate).collect();
                        for t in list {
                            self.merge(t);
                        }
                        self.persist();
                        std::iter::once(Out::Changed).chain(evals).collect()
                    }
                    Err(e) => {
                        dom::show_text(&self.error, Some(&format!("The imported triggers: {e}")));
                        Vec::new()
                    }
                }
            }
            Msg::AllowNotifications => vec![Out::AllowNotifications],
            Msg::Remove(_) => Vec::new(),
        }
    }

    fn merge(&mut self, t: Trigger) {
        match self.saved.iter().position(|s| s.name == t.name) {
            Some(i) => self.saved[i] = t,
            None => {
                self.saved.push(t);
                self.states.push(State::default());
            }
        }
    }

    /// Triggers from a link: added (or updated) beside the saved ones, kept.
    pub fn adopt(&mut self, list: Vec<Trigger>) {
        let mut changed = false;
        for mut t in list {
            // A link's trigger keeps the webhook this browser has for it, if any.
            if let Some(old) = self.saved.iter().find(|s| s.name == t.name) {
                t.webhook_url = old.webhook_url.clone();
            }
            if self.saved.iter().all(|s| *s != t) {
                self.merge(t);
                changed = true;
            }
        }
        if changed {
            self.persist();
        }
    }

    /// The form makes a trigger of `spec` (its first calculation that a trigger can have,
    /// filters, breakdowns, derived columns; not its time range, orders or limit).
    pub fn fill_from_query(&mut self, spec: &QuerySpec) {
        let mut s = spec.clone();
        s.calculations = spec.effective_calculations().into_iter().filter(|c| !matches!(c.op, crate::query::spec::CalcOp::Heatmap | crate::query::spec::CalcOp::Concurrency | crate::query::spec::CalcOp::RateAvg | crate::query::spec::CalcOp::RateSum | crate::query::spec::CalcOp::RateMax)).take(1).collect();
        s.orders.clear();
        s.limit = None;
        s.havings.truncate(1);
        (s.start_time, s.end_time, s.time_range, s.granularity) = (None, None, None, None);
        if s.calculations.is_empty() {
            s.calculations = vec![crate::query::spec::Calculation { op: crate::query::spec::CalcOp::Count, column: None }];
        }
        let key = s.calculations[0].key();
        if self.name.value().trim().is_empty() {
            self.name.set_value(&format!("{key}{}", if s.breakdowns.is_empty() { String::new() } else { format!(" by {}", s.breakdowns.join(", ")) }));
        }
        self.query.set_text_content(Some(&describe(&s)));
        self.spec = Some(s);
    }

    fn read_form(&self) -> Result<Trigger, String> {
        let mut spec = self.spec.clone().ok_or("make the trigger from a query first (Use the current query)")?;
        spec.time_range = self.range.value().parse().ok();
        let value: f64 = self.value.value().trim().parse().map_err(|_| format!("the threshold {:?} is not a number", self.value.value()))?;
        let webhook = self.webhook.value().trim().to_string();
        if !webhook.is_empty() && !(webhook.starts_with("https://") || webhook.starts_with("http://")) {
            return Err(format!("the webhook {webhook:?} is not an http(s) address"));
        }
        let t = Trigger {
            name: self.name.value().trim().to_string(),
            query: spec.to_json(),
            threshold: Threshold { op: self.op.value(), value },
            frequency: self.frequency.value().parse().unwrap_or(900),
            alert_type: self.alert.value(),
            description: String::new(),
            webhook_url: (!webhook.is_empty()).then_some(webhook),
        };
        Trigger::from_json_str(&serde_json::to_string(&t).map_err(|e| e.to_string())?).map_err(|e| e.to_string())
    }

    fn persist(&self) {
        saved::store(KEY, &self.saved);
        self.render();
    }

    /// The triggers due at `now_ms` (wall clock; `speed` runs the schedule faster, for demos
    /// and tests).
    pub fn due(&self, now_ms: f64, speed: f64) -> Vec<Trigger> {
        self.saved
            .iter()
            .zip(&self.states)
            .filter(|(t, s)| s.last_ms.is_none_or(|l| now_ms - l >= t.frequency as f64 * 1000.0 / speed.max(1e-6)))
            .map(|(t, _)| t.clone())
            .collect()
    }

    /// Trigger `name` is being evaluated (not due again until its frequency has passed).
    pub fn started(&mut self, name: &str, now_ms: f64) {
        if let Some(i) = self.saved.iter().position(|t| t.name == name) {
            self.states[i].last_ms = Some(now_ms);
        }
    }

    /// Record an evaluation of trigger `name`; returns whether it notifies (TRIGGERED and the
    /// state changed, or on every run; back to OK after TRIGGERED notifies too, on change).
    pub fn record(&mut self, name: &str, out: &Result<serde_json::Value, String>, now_ms: f64) -> bool {
        let Some(i) = self.saved.iter().position(|t| t.name == name) else { return false };
        let (status, summary) = match out {
            Ok(r) => (r["status"].as_str().unwrap_or("OK").to_string(), r["summary"].as_str().unwrap_or("").to_string()),
            Err(e) => ("ERROR".to_string(), e.clone()),
        };
        let st = &mut self.states[i];
        let before = st.status.clone();
        let notify = match self.saved[i].alert_type.as_str() {
            "on_true" => status == "TRIGGERED",
            _ => status != "ERROR" && before.as_deref() != Some(status.as_str()) && (status == "TRIGGERED" || before.as_deref() == Some("TRIGGERED")),
        };
        st.last_ms = Some(now_ms);
        st.status = Some(status.clone());
        st.history.insert(0, Eval { at_ms: now_ms, status: status.clone(), summary: summary.clone(), notified: notify });
        st.history.truncate(HISTORY);
        if notify {
            dom::show_text(&self.notice, Some(&format!("{status}: {summary}")));
            let _ = self.notice.set_attribute("data-status", &status);
        }
        self.selected.get_or_insert(i);
        self.render();
        notify
    }

    pub fn show_error(&self, msg: &str) {
        dom::show_text(&self.error, Some(msg));
    }

    fn render(&self) {
        let _ = self.root.set_attribute("data-triggered", &self.states.iter().filter(|s| s.status.as_deref() == Some("TRIGGERED")).count().to_string());
        dom::clear(&self.list);
        let cell = |tr: &Element, text: &str, class: &str| {
            if let Ok(td) = text_el("td", class, text) {
                let _ = append(tr, &td);
            }
        };
        for (i, (t, s)) in self.saved.iter().zip(&self.states).enumerate() {
            let Ok(tr) = el("tr", if self.selected == Some(i) { "ap-trigger-row ap-selected" } else { "ap-trigger-row" }) else { continue };
            let _ = tr.set_attribute("data-trigger-row", &i.to_string());
            let status = s.status.clone().unwrap_or_else(|| "—".into());
            cell(&tr, &status, &format!("ap-trigger-status ap-trigger-{}", status.to_ascii_lowercase()));
            cell(&tr, &t.name, "ap-trigger-title");
            let spec = QuerySpec::from_json(&t.query).ok();
            let key = spec.as_ref().map(|s| s.effective_calculations()[0].key()).unwrap_or_default();
            cell(&tr, &format!("{key} {} {} · every {} min", t.threshold.op, crate::value::float_json(t.threshold.value), t.frequency / 60), "");
            cell(&tr, &s.last_ms.map_or("not run yet".into(), |ms| format!("last run {}", &crate::query::result::iso8601(ms as i64)[11..19])), "ap-hint");
            if let Ok(td) = el("td", "") {
                if let Ok(b) = text_el("button", "ap-button", "Evaluate now") {
                    let _ = b.set_attribute("data-trigger-evaluate", &i.to_string());
                    let _ = append(&td, &b);
                }
                if let Ok(x) = text_el("button", "ap-remove", "×") {
                    let _ = x.set_attribute("data-trigger-remove", &i.to_string());
                    let _ = x.set_attribute("aria-label", &format!("Remove trigger {}", t.name));
                    let _ = append(&td, &x);
                }
                let _ = append(&tr, &td);
            }
            let _ = append(&self.list, &tr);
        }
        dom::clear(&self.history);
        let Some(s) = self.selected.and_then(|i| self.states.get(i)) else { return };
        for e in &s.history {
            let Ok(tr) = el("tr", "ap-trigger-eval") else { continue };
            cell(&tr, &crate::query::result::iso8601(e.at_ms as i64)[11..19], "ap-hint");
            cell(&tr, &e.status, &format!("ap-trigger-status ap-trigger-{}", e.status.to_ascii_lowercase()));
            cell(&tr, &e.summary, "");
            cell(&tr, if e.notified { "notified" } else { "" }, "ap-hint");
            let _ = append(&self.history, &tr);
        }
    }
}

/// A trigger's query in the builder's words.
fn describe(s: &QuerySpec) -> String {
    let c = crate::query::clause::Clauses::from_spec(s);
    let mut parts = vec![format!("VISUALIZE {}", c.visualize)];
    if !c.r#where.is_empty() {
        parts.push(format!("WHERE {}", c.r#where));
    }
    if !c.group_by.is_empty() {
        parts.push(format!("GROUP BY {}", c.group_by));
    }
    if !c.derived.is_empty() {
        parts.push(format!("with {}", c.derived));
    }
    parts.join(" · ")
}
