//! The app: mounts into any host element (it never assumes it owns the document), loads a
//! source, runs the query and shows the chart and the results table.

use std::cell::RefCell;
use std::rc::Rc;

use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{Element, HtmlCanvasElement};

use super::dom::{self, append, el, text_el};
use super::{chart, fetch};
use crate::dataset::{DataSet, SampleRate};
use crate::query::aggregate::Output;
use crate::query::result::output_json;
use crate::query::spec::{auto_granularity, CalcOp, Calculation};
use crate::query::{self, QueryResult, QuerySpec};
use crate::render::palette::series_css;
use crate::render::Theme;
use crate::{ingest, value};

/// Where the page loads data from when nothing else is asked for.
pub const DEMO_URL: &str = "demo.arrow";

struct Parts {
    root: Element,
    source: Element,
    query_line: Element,
    weighting: Element,
    weighting_box: web_sys::HtmlInputElement,
    error: Element,
    canvas: HtmlCanvasElement,
    table: Element,
}

pub struct App {
    parts: Parts,
    data: DataSet,
    result: Option<QueryResult>,
    spec: Option<QuerySpec>,
}

type Shared = Rc<RefCell<App>>;

impl App {
    /// Build the app inside `host` and start loading its source.
    pub fn mount(host: Element) -> Result<(), JsValue> {
        dom::clear(&host);
        let root = el("div", "apiary")?;
        let header = el("header", "ap-header")?;
        append(&header, &text_el("span", "ap-logo", "Apiary")?)?;
        let source = text_el("span", "ap-source", "Loading…")?;
        append(&header, &source)?;
        append(&root, &header)?;
        let bar = el("div", "ap-bar")?;
        let query_line = el("div", "ap-query")?;
        append(&bar, &query_line)?;
        // Sample-rate weighting toggle; shown once a sample-rate column is known.
        let weighting = el("label", "ap-toggle")?;
        weighting.set_attribute("hidden", "")?;
        let weighting_box: web_sys::HtmlInputElement = el("input", "")?.dyn_into()?;
        weighting_box.set_type("checkbox");
        weighting_box.set_checked(true);
        append(&weighting, &weighting_box)?;
        append(&weighting, &el("span", "")?)?;
        append(&bar, &weighting)?;
        append(&root, &bar)?;
        let error = el("div", "ap-error")?;
        error.set_attribute("role", "alert")?;
        error.set_attribute("hidden", "")?;
        append(&root, &error)?;
        let canvas: HtmlCanvasElement = el("canvas", "ap-chart")?.dyn_into()?;
        canvas.set_attribute("aria-label", "time series chart")?;
        append(&root, &canvas)?;
        let table = el("div", "ap-results")?;
        append(&root, &table)?;
        append(&host, &root)?;
        root.set_attribute("data-state", "loading")?;

        let url = source_url(&host);
        let app: Shared = Rc::new(RefCell::new(App {
            parts: Parts { root, source, query_line, weighting, weighting_box, error, canvas, table },
            data: DataSet::empty(),
            result: None,
            spec: None,
        }));
        {
            let app2 = app.clone();
            let on_change = Closure::<dyn FnMut()>::new(move || {
                let Ok(mut a) = app2.try_borrow_mut() else { return };
                a.toggle_weighting();
            });
            let input = app.borrow().parts.weighting_box.clone();
            input.add_event_listener_with_callback("change", on_change.as_ref().unchecked_ref())?;
            // The listener lives as long as the page's element does.
            on_change.forget();
        }
        wasm_bindgen_futures::spawn_local(async move {
            let loaded = fetch::fetch_bytes(&url).await;
            let mut a = app.borrow_mut();
            match loaded.and_then(|bytes| a.load(&url, &bytes)) {
                Ok(()) => a.run_default(),
                Err(e) => a.show_error(&e),
            }
        });
        Ok(())
    }

    /// Decode `bytes` and add them to the data set; on error the data set is unchanged.
    fn load(&mut self, name: &str, bytes: &[u8]) -> Result<(), String> {
        let loaded = ingest::load(name, bytes).map_err(|e| e.to_string())?;
        self.data.append(loaded.batches).map_err(|e| format!("{name}: {e}"))?;
        let label = format!(
            "{} · {} events · {} · {}",
            name.rsplit('/').next().unwrap_or(name),
            dom::thousands(self.data.num_rows() as u64),
            dom::bytes(self.data.byte_size()),
            loaded.format.name()
        );
        self.parts.source.set_text_content(Some(&label));
        self.show_weighting();
        let _ = self.parts.root.set_attribute("data-rows", &self.data.num_rows().to_string());
        Ok(())
    }

    fn show_weighting(&self) {
        match self.data.detected_sample_rate_column() {
            Some(col) => {
                if let Some(span) = self.parts.weighting.last_element_child() {
                    span.set_text_content(Some(&format!("weight by {col}")));
                }
                let _ = self.parts.weighting.remove_attribute("hidden");
            }
            None => {
                let _ = self.parts.weighting.set_attribute("hidden", "");
            }
        }
    }

    /// Turn sample-rate weighting on (auto-detected column) or off, and run the query again.
    fn toggle_weighting(&mut self) {
        let mode = if self.parts.weighting_box.checked() { SampleRate::Auto } else { SampleRate::Off };
        if let Err(e) = self.data.set_sample_rate(mode) {
            self.show_error(&e.to_string());
            return;
        }
        if let Some(spec) = self.spec.clone() {
            self.run(spec);
        }
    }

    /// COUNT over the whole time range of the data, with an automatic granularity.
    fn default_spec(&self) -> QuerySpec {
        let mut spec = QuerySpec { calculations: vec![Calculation { op: CalcOp::Count, column: None }], ..Default::default() };
        if let Some((lo, hi)) = self.data.time_range() {
            let start = lo.div_euclid(1000);
            let end = hi.div_euclid(1000) + 1;
            spec.start_time = Some(start);
            spec.end_time = Some(end);
            spec.granularity = Some(auto_granularity(end - start));
        }
        spec
    }

    fn run_default(&mut self) {
        let spec = self.default_spec();
        self.run(spec);
    }

    fn run(&mut self, spec: QuerySpec) {
        match query::run(&self.data, &spec) {
            Ok(result) => {
                self.hide_error();
                let _ = self.parts.root.set_attribute("data-spec", &spec.to_json().to_string());
                self.result = Some(result);
                self.spec = Some(spec);
                if let Err(e) = self.render() {
                    self.show_error(&e);
                    return;
                }
                let _ = self.parts.root.set_attribute("data-state", "ready");
            }
            Err(e) => self.show_error(&e.to_string()),
        }
    }

    fn render(&self) -> Result<(), String> {
        let (Some(result), Some(spec)) = (&self.result, &self.spec) else { return Ok(()) };
        let calcs = spec.effective_calculations();
        self.parts.query_line.set_text_content(Some(&describe(spec, result)));
        let calc = calcs.iter().position(|c| c.op != CalcOp::Heatmap).unwrap_or(0);
        let zero_fill = matches!(calcs[calc].op, CalcOp::Count | CalcOp::Sum | CalcOp::Concurrency);
        chart::draw_timeseries(&self.parts.canvas, result, calc, zero_fill, Theme::Light)?;
        render_table(&self.parts.table, result).map_err(|e| fetch::js_err(&e))?;
        Ok(())
    }

    fn show_error(&self, msg: &str) {
        self.parts.error.set_text_content(Some(msg));
        let _ = self.parts.error.remove_attribute("hidden");
        let _ = self.parts.root.set_attribute("data-state", if self.data.num_rows() > 0 { "ready" } else { "error" });
    }

    fn hide_error(&self) {
        let _ = self.parts.error.set_attribute("hidden", "");
    }
}

/// `src=` in the page URL wins, then the host's `data-src`, then the built-in demo.
fn source_url(host: &Element) -> String {
    let from_query = dom::window()
        .ok()
        .and_then(|w| w.location().search().ok())
        .and_then(|s| web_sys::UrlSearchParams::new_with_str(&s).ok())
        .and_then(|p| p.get("src"));
    from_query.or_else(|| host.get_attribute("data-src")).unwrap_or_else(|| DEMO_URL.to_string())
}

/// `VISUALIZE COUNT · 2026-11-01 06:00 – 12:00 UTC · every 2 min · weighted by sample_rate`
fn describe(spec: &QuerySpec, r: &QueryResult) -> String {
    let calcs: Vec<String> = spec.effective_calculations().iter().map(Calculation::key).collect();
    let mut parts = vec![format!("VISUALIZE {}", calcs.join(", "))];
    if !spec.breakdowns.is_empty() {
        parts.push(format!("GROUP BY {}", spec.breakdowns.join(", ")));
    }
    if let Some((lo, hi)) = r.range_ms {
        let a = query::result::iso8601(lo);
        let b = query::result::iso8601(hi);
        parts.push(format!("{} {} – {} UTC", &a[..10], &a[11..16], &b[11..16]));
    }
    if let Some(g) = r.granularity {
        parts.push(if g % 60 == 0 { format!("every {} min", g / 60) } else { format!("every {g} s") });
    }
    parts.push(match &r.sample_rate_column {
        Some(c) => format!("weighted by {c}"),
        None => "unweighted".to_string(),
    });
    parts.push(format!("{} matching events", dom::thousands(r.rows_matched)));
    parts.join(" · ")
}

fn output_text(o: &Output) -> String {
    match o {
        Output::Null => "—".to_string(),
        Output::Int(i) => dom::thousands(i.unsigned_abs()).to_string(),
        Output::Float(f) => value::format_float((f * 1000.0).round() / 1000.0),
        Output::Heatmap(h) => format!("{} values", value::format_float(h.total())),
    }
}

fn render_table(container: &Element, r: &QueryResult) -> Result<(), JsValue> {
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
            let td = text_el("td", if v.is_null() { "ap-null" } else { "" }, &v.display())?;
            append(&tr, &td)?;
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
