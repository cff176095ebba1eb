//! SLOs in the page: define one (name, SLI formula, target, period) or pick a saved one, and see
//! its report: compliance, budget left, the burn-down, compliance per day, burn rates, which
//! burn alerts fire; BubbleUp of the bad events against the good. SLOs are kept in local storage
//! and exported or imported as JSON; the one on view travels in links (the app's model).

use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{Element, HtmlCanvasElement, HtmlInputElement, HtmlSelectElement};

use crate::slo::{BurnAlert, Slo};
use crate::web::dispatch::{send_on, Dispatch, Listeners};
use crate::web::dom::{self, append, el, text_el};
use crate::web::saved;

pub const KEY: &str = "apiary.slos.v1";

/// The SLO a new page offers: the demo's root spans answer within a second.
const PRESET: (&str, &str, f64, u32) = ("Root spans under 1 s", "IF(NOT(EXISTS($trace.parent_id)), LT($duration_ms, 1000))", 99.9, 30);

pub enum Msg {
    Save,
    Open(usize),
    Remove(usize),
    Export,
    /// An imported file's text.
    Import(String),
    BubbleUp,
}

/// What the SLO view asks of the app.
pub enum Out {
    /// Show this SLO's report (none: close it).
    Show(Option<Slo>),
    /// BubbleUp of the SLO's bad events against its good ones.
    BubbleUp(Slo),
}

pub struct SloView {
    pub root: Element,
    name: HtmlInputElement,
    sli: HtmlInputElement,
    target: HtmlInputElement,
    period: HtmlSelectElement,
    save: Element,
    export: Element,
    import: HtmlInputElement,
    list: Element,
    error: Element,
    report: Element,
    headline: Element,
    burndown: HtmlCanvasElement,
    history: HtmlCanvasElement,
    heatmap: HtmlCanvasElement,
    heat_title: Element,
    rates: Element,
    alerts: Element,
    bubble: Element,
    saved: Vec<Slo>,
    /// The SLO on view.
    shown: Option<Slo>,
    /// The columns an SLI may read (the data's, as the app hands them over).
    schema: Option<arrow_schema::SchemaRef>,
}

impl SloView {
    pub fn build(root: &Element) -> Result<SloView, JsValue> {
        let details = el("details", "ap-slo")?;
        append(&details, &text_el("summary", "", "SLOs")?)?;
        let form = el("div", "ap-slo-form")?;
        let input = |class: &str, placeholder: &str| -> Result<HtmlInputElement, JsValue> {
            let i: HtmlInputElement = el("input", class)?.dyn_into()?;
            i.set_placeholder(placeholder);
            i.set_attribute("spellcheck", "false")?;
            Ok(i)
        };
        let name = input("ap-slo-name ap-clause-input", "name")?;
        let sli = input("ap-slo-sli ap-clause-input", "SLI: true good, false bad, null not counted")?;
        let target = input("ap-slo-target ap-clause-input", "99.9")?;
        target.set_attribute("inputmode", "decimal")?;
        let period: HtmlSelectElement = el("select", "ap-slo-period")?.dyn_into()?;
        for d in [7, 14, 28, 30, 90] {
            let o = text_el("option", "", &format!("{d} days"))?;
            o.set_attribute("value", &d.to_string())?;
            append(&period, &o)?;
        }
        dom::labelled(&form, "NAME", &name)?;
        dom::labelled(&form, "SLI", &sli)?;
        dom::labelled(&form, "TARGET %", &target)?;
        dom::labelled(&form, "PERIOD", &period)?;
        let save = text_el("button", "ap-button ap-slo-save", "Save and show")?;
        append(&form, &save)?;
        append(&details, &form)?;
        let tools = el("div", "ap-slo-tools")?;
        let list = el("span", "ap-slo-list")?;
        append(&tools, &list)?;
        let export = text_el("button", "ap-button ap-slo-export", "Export JSON")?;
        append(&tools, &export)?;
        let import = saved::import_button(&tools, "ap-slo-import")?;
        append(&details, &tools)?;
        let error = el("div", "ap-clause-error ap-slo-error")?;
        error.set_attribute("role", "alert")?;
        error.set_attribute("hidden", "")?;
        append(&details, &error)?;
        let report = el("div", "ap-slo-report")?;
        report.set_attribute("hidden", "")?;
        let headline = el("div", "ap-slo-headline")?;
        append(&report, &headline)?;
        let canvas = |class: &str, label: &str| -> Result<HtmlCanvasElement, JsValue> {
            let c: HtmlCanvasElement = el("canvas", class)?.dyn_into()?;
            c.set_attribute("aria-label", label)?;
            append(&report, &c)?;
            Ok(c)
        };
        append(&report, &text_el("div", "ap-chart-title", "Error budget left")?)?;
        let burndown = canvas("ap-slo-burndown", "error budget burn-down")?;
        append(&report, &text_el("div", "ap-chart-title", "Compliance per day (over the period before it)")?)?;
        let history = canvas("ap-slo-history", "historical compliance")?;
        let heat_title = text_el("div", "ap-chart-title", "The SLI's events: good green, bad red")?;
        append(&report, &heat_title)?;
        let heatmap = canvas("ap-slo-heatmap", "heatmap of the SLI's events, good and bad")?;
        let tables = el("div", "ap-slo-tables")?;
        let rates = el("table", "ap-slo-rates")?;
        let alerts = el("table", "ap-slo-alerts")?;
        append(&tables, &rates)?;
        append(&tables, &alerts)?;
        append(&report, &tables)?;
        let bubble = text_el("button", "ap-button ap-slo-bubbleup", "BubbleUp: bad events against good")?;
        append(&report, &bubble)?;
        append(&details, &report)?;
        append(root, &details)?;
        let saved = saved::load::<Slo>(KEY);
        let v = SloView { root: details, name, sli, target, period, save, export, import, list, error, report, headline, burndown, history, heatmap, heat_title, rates, alerts, bubble, saved, shown: None, schema: None };
        v.fill(None);
        v.render_list();
        Ok(v)
    }

    pub fn listen(&self, d: &Dispatch<Msg>) -> Listeners {
        vec![
            send_on::<web_sys::MouseEvent, _>(&self.save, "click", d, |_| Some(Msg::Save)),
            send_on::<web_sys::MouseEvent, _>(&self.export, "click", d, |_| Some(Msg::Export)),
            send_on::<web_sys::MouseEvent, _>(&self.bubble, "click", d, |_| Some(Msg::BubbleUp)),
            send_on::<web_sys::KeyboardEvent, _>(&self.sli, "keydown", d, |e| (e.key() == "Enter").then_some(Msg::Save)),
            send_on::<web_sys::MouseEvent, _>(&self.list, "click", d, |e| {
                let t = e.target().and_then(|t| t.dyn_into::<Element>().ok())?;
                let i = |a: &str| t.closest(&format!("[{a}]")).ok().flatten()?.get_attribute(a)?.parse::<usize>().ok();
                i("data-slo-remove").map(Msg::Remove).or_else(|| i("data-slo-open").map(Msg::Open))
            }),
            saved::on_import(&self.import, d, Msg::Import),
        ]
    }

    pub fn update(&mut self, msg: Msg) -> Vec<Out> {
        self.show_error(None);
        match msg {
            Msg::Save => match self.read_form() {
                Ok(slo) => {
                    match self.saved.iter_mut().find(|s| s.name == slo.name) {
                        Some(s) => *s = slo.clone(),
                        None => self.saved.push(slo.clone()),
                    }
                    self.persist();
                    vec![Out::Show(Some(slo))]
                }
                Err(e) => {
                    self.show_error(Some(&e));
                    Vec::new()
                }
            },
            Msg::Open(i) => self.saved.get(i).cloned().map(|s| vec![Out::Show(Some(s))]).unwrap_or_default(),
            Msg::Remove(i) => {
                if i >= self.saved.len() {
                    return Vec::new();
                }
                let gone = self.saved.remove(i);
                self.persist();
                if self.shown.as_ref().is_some_and(|s| s.name == gone.name) { vec![Out::Show(None)] } else { Vec::new() }
            }
            Msg::Export => {
                saved::download("apiary-slos.json", &self.saved);
                Vec::new()
            }
            Msg::Import(text) => {
                match saved::items(&text).and_then(|v| v.iter().map(|s| Slo::from_json_str(&s.to_string()).map_err(|e| format!("{}: {e}", s["name"].as_str().unwrap_or("?")))).collect::<Result<Vec<_>, _>>()) {
                    Ok(list) if !list.is_empty() => {
                        let first = list[0].clone();
                        for s in list {
                            self.saved.retain(|x| x.name != s.name);
                            self.saved.push(s);
                        }
                        self.persist();
                        vec![Out::Show(Some(first))]
                    }
                    Ok(_) => Vec::new(),
                    Err(e) => {
                        self.show_error(Some(&format!("The imported SLOs: {e}")));
                        Vec::new()
                    }
                }
            }
            Msg::BubbleUp => self.shown.clone().map(|s| vec![Out::BubbleUp(s)]).unwrap_or_default(),
        }
    }

    /// The data's columns changed: SLIs are checked against these when saved.
    pub fn set_schema(&mut self, schema: arrow_schema::SchemaRef) {
        self.schema = Some(schema);
    }

    fn read_form(&self) -> Result<Slo, String> {
        let target: f64 = self.target.value().trim().trim_end_matches('%').parse().map_err(|_| format!("the target {:?} is not a number", self.target.value()))?;
        let slo = Slo {
            name: self.name.value().trim().to_string(),
            sli: self.sli.value().trim().to_string(),
            target_percentage: target,
            time_period_days: self.period.value().parse().unwrap_or(30),
            description: String::new(),
            // Every SLO gets the usual alerts: the workbook's rules, four hours to exhaustion,
            // 5% of the budget in an hour.
            burn_alerts: vec![
                BurnAlert::MultiWindow,
                BurnAlert::ExhaustionTime { exhaustion_minutes: 240, lookback_minutes: None },
                BurnAlert::BudgetRate { budget_rate_window_minutes: 60, budget_rate_decrease_percent: 5.0 },
            ],
        };
        let slo = Slo::from_json_str(&serde_json::to_string(&slo).map_err(|e| e.to_string())?).map_err(|e| e.to_string())?;
        // The SLI must read the data's columns and say true, false or null.
        if let Some(schema) = &self.schema {
            let d = crate::derive::compile("sli", &slo.sli, schema).map_err(|e| format!("the SLI: {}", e.to_string().trim_start_matches("error: ")))?;
            if d.ty != crate::derive::check::Ty::Bool {
                return Err("the SLI must be true (good), false (bad) or null (not counted): this formula gives other values".into());
            }
        }
        Ok(slo)
    }

    /// The form shows `slo`, or the preset.
    fn fill(&self, slo: Option<&Slo>) {
        let (n, s, t, p) = slo.map_or((PRESET.0.to_string(), PRESET.1.to_string(), PRESET.2, PRESET.3), |s| (s.name.clone(), s.sli.clone(), s.target_percentage, s.time_period_days));
        self.name.set_value(&n);
        self.sli.set_value(&s);
        self.target.set_value(&crate::value::float_json(t).to_string());
        self.period.set_value(&p.to_string());
    }

    fn persist(&self) {
        saved::store(KEY, &self.saved);
        self.render_list();
    }

    fn render_list(&self) {
        dom::clear(&self.list);
        for (i, s) in self.saved.iter().enumerate() {
            let Ok(chip) = el("span", "ap-slo-chip") else { continue };
            let Ok(open) = text_el("button", "ap-linkish", &s.name) else { continue };
            let _ = open.set_attribute("data-slo-open", &i.to_string());
            let Ok(x) = text_el("button", "ap-remove", "×") else { continue };
            let _ = x.set_attribute("data-slo-remove", &i.to_string());
            let _ = x.set_attribute("aria-label", &format!("Remove SLO {}", s.name));
            let _ = append(&chip, &open);
            let _ = append(&chip, &x);
            let _ = append(&self.list, &chip);
        }
    }

    pub fn show_error(&self, msg: Option<&str>) {
        dom::show_text(&self.error, msg);
    }

    /// Show `slo`'s report (or close it).
    /// `heat`: the SLI's events as a heatmap query's answer, and the value column it shows.
    pub fn render(&mut self, slo: Option<&Slo>, report: Option<Result<serde_json::Value, String>>, heat: Option<(crate::QueryResult, String)>, theme: crate::render::Theme) {
        self.shown = slo.cloned();
        let _ = self.root.set_attribute("data-slo", slo.map_or("", |s| s.name.as_str()));
        let Some(slo) = slo else {
            let _ = self.report.set_attribute("hidden", "");
            return;
        };
        self.fill(Some(slo));
        if let Some(d) = self.root.dyn_ref::<web_sys::HtmlDetailsElement>() {
            d.set_open(true);
        }
        let r = match report {
            Some(Ok(r)) => r,
            Some(Err(e)) => {
                self.show_error(Some(&e));
                let _ = self.report.set_attribute("hidden", "");
                return;
            }
            None => return,
        };
        let _ = self.report.remove_attribute("hidden");
        let pct = |v: &serde_json::Value, digits: usize| v.as_f64().map_or("—".to_string(), |x| format!("{:.*}%", digits, x * 100.0));
        let firing: Vec<String> = r["alerts"].as_array().into_iter().flatten().filter(|a| a["fired"] == true).map(alert_name).collect();
        let head = format!(
            "{} · {}% over {} days · compliance {} · budget left {} · {} bad of {} qualified · burn {} over 1 h{}",
            slo.name,
            crate::value::float_json(slo.target_percentage),
            slo.time_period_days,
            pct(&r["compliance"], 3),
            pct(&r["budget"]["remaining"], 1),
            dom::thousands(r["sli"]["bad"].as_f64().unwrap_or(0.0) as u64),
            dom::thousands(r["sli"]["qualified"].as_f64().unwrap_or(0.0) as u64),
            r["burn_rates"]["1h"].as_f64().map_or("—".into(), |b| format!("{b:.1}×")),
            if firing.is_empty() { " · no burn alert fires".to_string() } else { format!(" · firing: {}", firing.join(", ")) },
        );
        self.headline.set_text_content(Some(&head));
        let _ = self.root.set_attribute("data-firing", &firing.len().to_string());
        // Burn rates per window, then each alert.
        dom::clear(&self.rates);
        let row = |table: &Element, cells: &[String], class: &str| {
            dom::text_row(table, cells, class);
        };
        row(&self.rates, &["window".into(), "burn rate".into()], "ap-slo-th");
        for (w, _) in crate::slo::WINDOWS {
            row(&self.rates, &[w.to_string(), r["burn_rates"][w].as_f64().map_or("—".into(), |b| format!("{b:.2}×"))], "");
        }
        dom::clear(&self.alerts);
        row(&self.alerts, &["burn alert".into(), "now".into(), "state".into()], "ap-slo-th");
        for a in r["alerts"].as_array().into_iter().flatten() {
            let now = match a["type"].as_str() {
                Some("exhaustion_time") => a["minutes_to_exhaustion"].as_f64().map_or("budget not burning".into(), |m| format!("{:.0} min to exhaustion", m)),
                Some("budget_rate") => a["budget_decrease_percent"].as_f64().map_or("—".into(), |p| format!("{p:.1}% of the budget")),
                _ => format!("{} / {}", a["long_burn_rate"].as_f64().map_or("—".into(), |b| format!("{b:.1}×")), a["short_burn_rate"].as_f64().map_or("—".into(), |b| format!("{b:.1}×"))),
            };
            let fired = a["fired"] == true;
            row(&self.alerts, &[alert_name(a), now, if fired { "FIRING".into() } else { "ok".into() }], if fired { "ap-slo-firing" } else { "" });
        }
        let draw = |c: &HtmlCanvasElement, f: &dyn Fn(&plotters::drawing::DrawingArea<plotters_canvas::CanvasBackend, plotters::coord::Shift>) -> Result<(), String>| {
            let width = c.client_width().max(320) as u32;
            let height = c.client_height().max(120) as u32;
            c.set_width(width);
            c.set_height(height);
            if let Some(b) = plotters_canvas::CanvasBackend::with_canvas_object(c.clone()) {
                use plotters::prelude::IntoDrawingArea;
                if let Err(e) = f(&b.into_drawing_area()) {
                    web_sys::console::error_1(&e.into());
                }
            }
        };
        draw(&self.burndown, &|a| crate::render::slo::burndown(a, &r, theme));
        draw(&self.history, &|a| crate::render::slo::history(a, &r, theme));
        match &heat {
            Some((result, column)) => {
                let _ = self.heatmap.remove_attribute("hidden");
                self.heat_title.set_text_content(Some(&format!("The SLI's events by {column}: good green, bad red")));
                draw(&self.heatmap, &|a| crate::render::slo::sli_heatmap(a, result, column, theme));
            }
            None => {
                let _ = self.heatmap.set_attribute("hidden", "");
            }
        }
    }
}

/// "page: 14.4× over 1 h and 5 m", "4 h to exhaustion", "5% of the budget in 60 min".
fn alert_name(a: &serde_json::Value) -> String {
    match a["type"].as_str() {
        Some("exhaustion_time") => format!("exhausted within {} min", a["exhaustion_minutes"]),
        Some("budget_rate") => format!("{}% of the budget in {} min", a["budget_rate_decrease_percent"], a["budget_rate_window_minutes"]),
        _ => format!(
            "{}: {}× over {} and {}",
            a["severity"].as_str().unwrap_or(""),
            a["burn_rate"],
            minutes(a["long_window_minutes"].as_i64().unwrap_or(0)),
            minutes(a["short_window_minutes"].as_i64().unwrap_or(0))
        ),
    }
}

fn minutes(m: i64) -> String {
    if m % 1440 == 0 {
        format!("{} d", m / 1440)
    } else if m % 60 == 0 {
        format!("{} h", m / 60)
    } else {
        format!("{m} m")
    }
}
