//! Instrumentation quality in the page: "Check instrumentation" reports on the events in the tab
//! (or the connected store): a table of services with their coverage and conformance scores, the
//! coverage grid (services × attributes), the findings (each opens the query that shows it in the
//! builder), trace health, and distinct values per column. The team's conventions load from a
//! JSON file; the report's conventions and the service in focus travel in links.

use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{Element, HtmlCanvasElement, HtmlInputElement};

use crate::quality::{Conventions, Report};
use crate::render::quality::GridMapping;
use crate::web::dispatch::{send_on, Dispatch, Listeners};
use crate::web::dom::{self, append, el, text_el};
use crate::web::saved;

pub enum Msg {
    Check,
    /// A conventions file's text.
    Conventions(String),
    ClearConventions,
    /// Show only the findings about this service (none: all).
    Focus(Option<String>),
    /// Open finding `i`'s query.
    Open(usize),
    /// The pointer over the coverage grid (canvas pixels).
    Hover(f64, f64),
}

/// What the quality view asks of the app.
pub enum Out {
    /// Report on the data with these conventions.
    Check(Option<Conventions>),
    /// The service in focus changed (it goes in the link).
    Focus(Option<String>),
    /// Open this query in the builder.
    Query(serde_json::Value),
}

pub struct QualityView {
    pub root: Element,
    check: Element,
    load: HtmlInputElement,
    clear: Element,
    conventions_label: Element,
    status: Element,
    error: Element,
    report: Element,
    services: Element,
    grid: HtmlCanvasElement,
    tip: Element,
    findings_title: Element,
    findings: Element,
    health: Element,
    columns: Element,
    /// The conventions the next check uses.
    conventions: Option<Conventions>,
    focus: Option<String>,
    shown: Option<Report>,
    mapping: Option<GridMapping>,
}

impl QualityView {
    pub fn build(root: &Element) -> Result<QualityView, JsValue> {
        let details = el("details", "ap-quality")?;
        append(&details, &text_el("summary", "", "Instrumentation quality")?)?;
        let tools = el("div", "ap-quality-tools")?;
        let check = text_el("button", "ap-button ap-quality-check", "Check instrumentation")?;
        append(&tools, &check)?;
        let load = saved::file_button(&tools, "ap-quality-conventions", "Load conventions JSON")?;
        let clear = text_el("button", "ap-button ap-quality-clear", "Clear conventions")?;
        clear.set_attribute("hidden", "")?;
        append(&tools, &clear)?;
        let conventions_label = text_el("span", "ap-quality-label", "OpenTelemetry semantic conventions only")?;
        append(&tools, &conventions_label)?;
        let status = el("span", "ap-quality-status")?;
        status.set_attribute("role", "status")?;
        append(&tools, &status)?;
        append(&details, &tools)?;
        let error = el("div", "ap-clause-error ap-quality-error")?;
        error.set_attribute("role", "alert")?;
        error.set_attribute("hidden", "")?;
        append(&details, &error)?;
        let report = el("div", "ap-quality-report")?;
        report.set_attribute("hidden", "")?;
        let services = el("table", "ap-quality-services")?;
        append(&report, &services)?;
        append(&report, &text_el("div", "ap-chart-title", "Coverage: share of each service's events carrying each attribute (%)")?)?;
        let wrap = el("div", "ap-quality-grid-wrap")?;
        let grid: HtmlCanvasElement = el("canvas", "ap-quality-grid")?.dyn_into()?;
        grid.set_attribute("aria-label", "coverage grid: services by attributes")?;
        append(&wrap, &grid)?;
        let tip = el("div", "ap-quality-tip")?;
        tip.set_attribute("hidden", "")?;
        append(&wrap, &tip)?;
        append(&report, &wrap)?;
        let findings_title = text_el("div", "ap-chart-title", "Findings")?;
        append(&report, &findings_title)?;
        let findings = el("ul", "ap-quality-findings")?;
        append(&report, &findings)?;
        append(&report, &text_el("div", "ap-chart-title", "Trace health")?)?;
        let health = el("div", "ap-quality-health")?;
        append(&report, &health)?;
        append(&report, &text_el("div", "ap-chart-title", "Distinct values per column")?)?;
        let columns = el("table", "ap-quality-columns")?;
        append(&report, &columns)?;
        append(&details, &report)?;
        append(root, &details)?;
        Ok(QualityView {
            root: details,
            check,
            load,
            clear,
            conventions_label,
            status,
            error,
            report,
            services,
            grid,
            tip,
            findings_title,
            findings,
            health,
            columns,
            conventions: None,
            focus: None,
            shown: None,
            mapping: None,
        })
    }

    pub fn listen(&self, d: &Dispatch<Msg>) -> Listeners {
        let grid = self.grid.clone();
        vec![
            send_on::<web_sys::MouseEvent, _>(&self.check, "click", d, |_| Some(Msg::Check)),
            send_on::<web_sys::MouseEvent, _>(&self.clear, "click", d, |_| Some(Msg::ClearConventions)),
            saved::on_import(&self.load, d, Msg::Conventions),
            send_on::<web_sys::MouseEvent, _>(&self.services, "click", d, |e| {
                let t = e.target().and_then(|t| t.dyn_into::<Element>().ok())?;
                let row = t.closest("[data-service]").ok().flatten()?;
                let s = row.get_attribute("data-service")?;
                Some(Msg::Focus((!s.is_empty()).then_some(s)))
            }),
            send_on::<web_sys::MouseEvent, _>(&self.findings, "click", d, |e| {
                let t = e.target().and_then(|t| t.dyn_into::<Element>().ok())?;
                let i = t.closest("[data-finding]").ok().flatten()?.get_attribute("data-finding")?.parse().ok()?;
                Some(Msg::Open(i))
            }),
            send_on::<web_sys::MouseEvent, _>(&self.grid, "mousemove", d, move |e| {
                let r = grid.get_bounding_client_rect();
                Some(Msg::Hover(e.client_x() as f64 - r.left(), e.client_y() as f64 - r.top()))
            }),
            send_on::<web_sys::MouseEvent, _>(&self.grid, "mouseleave", d, |_| Some(Msg::Hover(-1.0, -1.0))),
        ]
    }

    pub fn update(&mut self, msg: Msg) -> Vec<Out> {
        match msg {
            Msg::Check => vec![Out::Check(self.conventions.clone())],
            Msg::Conventions(text) => match Conventions::parse(&text) {
                Ok(c) => {
                    self.set_conventions(Some(c.clone()));
                    vec![Out::Check(Some(c))]
                }
                Err(e) => {
                    self.show_error(Some(&e.to_string()));
                    Vec::new()
                }
            },
            Msg::ClearConventions => {
                self.set_conventions(None);
                vec![Out::Check(None)]
            }
            Msg::Focus(s) => {
                let s = if s == self.focus { None } else { s };
                vec![Out::Focus(s)]
            }
            Msg::Open(i) => self.visible().get(i).map(|f| vec![Out::Query(f.query.clone())]).unwrap_or_default(),
            Msg::Hover(x, y) => {
                self.hover(x, y);
                Vec::new()
            }
        }
    }

    pub fn show_error(&self, msg: Option<&str>) {
        dom::show_text(&self.error, msg);
    }

    /// The conventions the next check uses (a link's, or a loaded file's).
    pub fn set_conventions(&mut self, c: Option<Conventions>) {
        let label = match &c {
            Some(c) => format!("OpenTelemetry semantic conventions and {}", c.label()),
            None => "OpenTelemetry semantic conventions only".to_string(),
        };
        self.conventions_label.set_text_content(Some(&label));
        let _ = if c.is_some() { self.clear.remove_attribute("hidden") } else { self.clear.set_attribute("hidden", "") };
        self.conventions = c;
        self.show_error(None);
    }

    /// A check is running (`Some(text)`), or none is.
    pub fn busy(&self, text: Option<&str>) {
        self.status.set_text_content(text);
        let _ = self.root.set_attribute("data-state", if text.is_some() { "checking" } else { "idle" });
        if let Some(d) = self.root.dyn_ref::<web_sys::HtmlDetailsElement>() {
            d.set_open(true);
        }
    }

    /// The findings on view: all, or the focused service's.
    fn visible(&self) -> Vec<&crate::quality::Finding> {
        let Some(r) = &self.shown else { return Vec::new() };
        r.findings.iter().filter(|f| self.focus.as_ref().is_none_or(|s| f.services.contains(s))).collect()
    }

    /// Show a report (`took`: ms), with `focus` the service whose findings are listed.
    pub fn render(&mut self, report: Result<Report, String>, focus: Option<String>, took: f64, theme: crate::render::Theme) {
        let r = match report {
            Ok(r) => r,
            Err(e) => {
                self.busy(None);
                self.show_error(Some(&e));
                return;
            }
        };
        self.show_error(None);
        self.status.set_text_content(Some(&format!("checked {} events in {:.0} ms", dom::thousands(r.events), took)));
        let _ = self.root.set_attribute("data-state", "done");
        let _ = self.root.set_attribute("data-findings", &r.findings.len().to_string());
        let _ = self.report.remove_attribute("hidden");
        self.shown = Some(r);
        self.focus = focus;
        self.render_services();
        self.render_findings();
        self.draw(theme);
        let Some(r) = &self.shown else { return };
        self.render_health(r);
        self.render_columns(r);
    }

    /// The service in focus changed (the report stays).
    pub fn set_focus(&mut self, focus: Option<String>) {
        self.focus = focus;
        self.render_services();
        self.render_findings();
    }

    fn render_services(&self) {
        let Some(r) = &self.shown else { return };
        dom::clear(&self.services);
        let score = |s: Option<f64>| s.map_or("—".to_string(), |s| format!("{s:.0}%"));
        row(&self.services, &["service", "events", "attributes", "coverage", "semantic conventions", "team conventions", "findings"].map(String::from), "ap-slo-th", None);
        for (i, s) in r.services.iter().enumerate() {
            let key = if i == 0 { String::new() } else { s.name.clone() };
            let focused = (i > 0 && self.focus.as_deref() == Some(&s.name)) || (i == 0 && self.focus.is_none());
            let cells = [s.name.clone(), dom::thousands(s.events), s.attributes.to_string(), format!("{:.0}%", s.coverage), score(s.semconv), score(s.conventions), s.findings.to_string()];
            row(&self.services, &cells, if focused { "ap-quality-focus" } else { "" }, Some(&key));
        }
    }

    fn render_findings(&self) {
        dom::clear(&self.findings);
        let list = self.visible();
        let title = match &self.focus {
            Some(s) => format!("Findings about {s} ({}) · click a service to change", list.len()),
            None => format!("Findings ({}) · click a service to see only its own", list.len()),
        };
        self.findings_title.set_text_content(Some(&title));
        for (i, f) in list.iter().enumerate() {
            let Ok(li) = el("li", &format!("ap-quality-finding ap-sev-{}", severity(f))) else { continue };
            let _ = li.set_attribute("data-check", f.check);
            for (class, text) in [("ap-quality-sev", severity(f)), ("ap-quality-msg", f.message.as_str())] {
                if let Ok(span) = text_el("span", class, text) {
                    let _ = append(&li, &span);
                }
            }
            if let Ok(b) = text_el("button", "ap-linkish ap-quality-open", "Show query") {
                let _ = b.set_attribute("data-finding", &i.to_string());
                let _ = b.set_attribute("title", "Open the query that shows this in the builder");
                let _ = append(&li, &b);
            }
            let _ = append(&self.findings, &li);
        }
        if list.is_empty() {
            if let Ok(li) = text_el("li", "ap-quality-none", "Nothing to report.") {
                let _ = append(&self.findings, &li);
            }
        }
    }

    fn render_health(&self, r: &Report) {
        let text = match &r.health {
            Some(h) => format!(
                "{} spans in {} traces · {} orphan spans · {} traces with several roots · {} without a root · {} duplicate span ids · {} spans start before their parent · {} end after it",
                dom::thousands(h.spans),
                dom::thousands(h.traces),
                dom::thousands(h.orphans),
                dom::thousands(h.traces_with_several_roots),
                dom::thousands(h.traces_without_root),
                dom::thousands(h.duplicate_span_ids),
                dom::thousands(h.starts_before_parent),
                dom::thousands(h.ends_after_parent)
            ),
            None => r.health_note.clone().unwrap_or_default(),
        };
        self.health.set_text_content(Some(&text));
    }

    fn render_columns(&self, r: &Report) {
        dom::clear(&self.columns);
        row(&self.columns, &["column", "type", "present", "distinct", "notes"].map(String::from), "ap-slo-th", None);
        for c in &r.columns {
            let notes: Vec<&str> = [(c.id_like, "looks like an id"), (c.bubbleup, "high cardinality, values repeat: good for BubbleUp")].iter().filter(|(on, _)| *on).map(|(_, n)| *n).collect();
            let distinct = format!("{}{}", if c.exact { "" } else { "≈" }, dom::thousands(c.distinct));
            row(&self.columns, &[c.name.clone(), c.kind.to_string(), format!("{:.1}%", c.present), distinct, notes.join("; ")], if c.bubbleup { "ap-quality-bubbleup" } else { "" }, None);
        }
    }

    /// Draw the coverage grid (again: a theme or width change).
    pub fn draw(&mut self, theme: crate::render::Theme) {
        let Some(r) = &self.shown else { return };
        let c = &self.grid;
        let names: Vec<String> = r.services.iter().map(|s| s.name.clone()).collect();
        let width = self.report.client_width().max(480) as u32;
        let height = crate::render::quality::height_for(names.len());
        let _ = dom::set_style(c, "height", &format!("{height}px"));
        c.set_width(width);
        c.set_height(height);
        let Some(b) = plotters_canvas::CanvasBackend::with_canvas_object(c.clone()) else { return };
        use plotters::prelude::IntoDrawingArea;
        match crate::render::quality::coverage_grid(&b.into_drawing_area(), &names, &r.attributes, &r.coverage, theme) {
            Ok(m) => self.mapping = Some(m),
            Err(e) => web_sys::console::error_1(&e.into()),
        }
    }

    fn hover(&self, x: f64, y: f64) {
        let (Some(r), Some(m)) = (&self.shown, &self.mapping) else { return };
        match m.cell_at(x, y) {
            Some((row, col)) => {
                let s = &r.services[row];
                let share = r.coverage[row][col];
                let n = (share / 100.0 * s.events as f64).round() as u64;
                let text = format!("{} · {}: {:.1}% ({} of {} events)", s.name, r.attributes[col], share, dom::thousands(n), dom::thousands(s.events));
                self.tip.set_text_content(Some(&text));
                let _ = dom::set_style(&self.tip, "left", &format!("{}px", (x + 12.0) as i32));
                let _ = dom::set_style(&self.tip, "top", &format!("{}px", (y + 12.0) as i32));
                let _ = self.tip.remove_attribute("hidden");
            }
            None => {
                let _ = self.tip.set_attribute("hidden", "");
            }
        }
    }
}

fn severity(f: &crate::quality::Finding) -> &'static str {
    match f.severity {
        crate::quality::Severity::Error => "error",
        crate::quality::Severity::Warning => "warning",
        crate::quality::Severity::Info => "note",
    }
}

/// A table row of text cells; `service`: the row focuses that service when clicked.
fn row(table: &Element, cells: &[String], class: &str, service: Option<&str>) {
    if let (Some(tr), Some(s)) = (dom::text_row(table, cells, class), service) {
        let _ = tr.set_attribute("data-service", s);
    }
}
