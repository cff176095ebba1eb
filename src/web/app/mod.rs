//! The app: mounts into any host element (it never assumes it owns the document), keeps the
//! loaded sources, runs the query and shows the chart and the results table.

use std::cell::RefCell;
use std::rc::Rc;

use arrow_array::RecordBatch;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{Element, HtmlCanvasElement};

use super::dom::{self, append, el, text_el};
use super::bubbleup_view::BubbleUpView;
use super::calc_charts::{self, CalcCharts};
use super::chart_tools::ChartTools;
use super::crosshair::Crosshair;
use super::history::History;
use super::builder::Builder;
use super::query_panel::{self, QueryPanel};
use super::sources::SourcePanel;
use super::trace_view::TraceView;
use super::{chart, fetch, table};
use crate::dataset::{self, DataSet, SampleRate};
use crate::ingest::{self, Format};
use crate::permalink::State;
use crate::query::heatmap::Scale;
use crate::query::spec::{auto_granularity, CalcOp, Calculation};
use crate::query::{self, QueryResult, QuerySpec};
use crate::render::Theme;

mod selection;
mod traces;

/// Where the page loads data from when nothing else is asked for.
pub const DEMO_URL: &str = "demo.arrow";
/// Default cap on the Arrow bytes a page holds (well under wasm32's 4 GiB); a host can set
/// `data-memory-cap` (bytes) on its element.
pub const DEFAULT_MEMORY_CAP: usize = 1 << 30;
/// Default longest stretch of decoding between two turns of the page, in ms; a host can set
/// `data-decode-slice-ms`.
pub const DEFAULT_DECODE_SLICE_MS: f64 = 40.0;
/// Longest stretch of a query before the page gets its turn, in ms (`data-query-slice-ms`).
pub const DEFAULT_QUERY_SLICE_MS: f64 = 25.0;

/// One loaded file or URL.
pub struct Source {
    pub name: String,
    /// Where it came from when it was fetched (links re-fetch these); `None` for local files.
    pub url: Option<String>,
    pub format: Format,
    pub batches: Vec<RecordBatch>,
    pub rows: usize,
    pub bytes: usize,
    /// A local file's content hash, so a link can ask for the same file again.
    pub hash: Option<String>,
}

pub struct Parts {
    pub root: Element,
    pub summary: Element,
    pub query_line: Element,
    /// A running query's progress (shown once it has taken longer than a slice).
    pub running: Element,
    pub weighting: Element,
    pub weighting_box: web_sys::HtmlInputElement,
    pub error: Element,
    pub canvas: HtmlCanvasElement,
}

pub struct App {
    pub parts: Parts,
    pub panel: SourcePanel,
    pub builder: Builder,
    pub query: QueryPanel,
    pub bubble: BubbleUpView,
    pub tools: ChartTools,
    pub hover: Crosshair,
    pub calc_charts: CalcCharts,
    pub table: table::ResultsTable,
    pub history: History,
    pub traces: TraceView,
    pub sources: Vec<Source>,
    /// Shared with a running query, which reads it between its steps; changed by copy on write
    /// (`Rc::make_mut`) when a query still holds it.
    pub data: Rc<DataSet>,
    pub memory_cap: usize,
    /// Longest stretch of decoding before the page gets its turn, in ms (`data-decode-slice-ms`).
    pub decode_slice_ms: f64,
    /// Longest stretch of a query before the page gets its turn, in ms.
    pub query_slice_ms: f64,
    /// The latest query's number: a running query that is not the latest stops at its next step.
    runs: Rc<std::cell::Cell<u64>>,
    /// The latest BubbleUp's number (a query also bumps it: its own BubbleUp follows it).
    bubble_runs: Rc<std::cell::Cell<u64>>,
    /// The latest run when the error banner was last shown: a run started before it does not
    /// hide it (a load's warning shown after its data's query started stays up).
    error_run: std::cell::Cell<u64>,
    pub loading: Option<web_sys::AbortController>,
    pub result: Option<QueryResult>,
    spec: Option<QuerySpec>,
    /// A query someone chose (typed, pasted, or opened from a link): kept when data changes.
    chosen: Option<QuerySpec>,
    /// A trace (and span) a link asks to open once the data is there.
    pending_trace: Option<(String, Option<String>)>,
    /// The results table's sort and isolated series (view state, in the permalink).
    pub table_view: table::TableView,
    /// A table view a link asks for, applied once its query has run.
    pending_table: Option<table::TableView>,
    /// Local files a link asks for that have not been added yet.
    wanted: Vec<crate::permalink::FileRef>,
    /// This app (for work that runs in a task of its own: queries, BubbleUp, the trace list).
    me: std::rc::Weak<RefCell<App>>,
    /// Bumped each time the trace list is scheduled: only the latest scheduled refresh runs.
    traces_due: Rc<std::cell::Cell<u64>>,
}

pub type Shared = Rc<RefCell<App>>;

/// Run `f` on the app once no event handler holds it (waiting a turn at a time); `None` when the
/// app is gone. Work that ran in a task of its own shows its result through this.
pub async fn when_free<T>(me: &std::rc::Weak<RefCell<App>>, f: impl FnOnce(&mut App) -> T) -> Option<T> {
    loop {
        let app = me.upgrade()?;
        if let Ok(mut a) = app.try_borrow_mut() {
            return Some(f(&mut a));
        }
        drop(app);
        dom::yield_now().await;
    }
}

/// The end of work that ran in steps under `pace`: nothing shows when it was stopped or a newer
/// request of its kind came meanwhile; otherwise `show` gets the result once the app is free.
async fn show_when_done<T>(me: &std::rc::Weak<RefCell<App>>, pace: &super::pace::PagePace, out: crate::Result<T>, show: impl FnOnce(&mut App, crate::Result<T>)) {
    if matches!(out, Err(crate::Error::Stopped)) {
        return;
    }
    when_free(me, |a| {
        if pace.is_latest() {
            show(a, out);
        }
    })
    .await;
}

/// Attach `f` to `event` on `target`, with mutable access to the app. The listener lives as long
/// as the page; a re-entrant event while the app is busy is dropped.
pub fn listen<E: JsCast + 'static>(target: &web_sys::EventTarget, event: &str, app: &Shared, mut f: impl FnMut(&Shared, E) + 'static) -> Result<(), JsValue> {
    let app = app.clone();
    let cb = Closure::<dyn FnMut(web_sys::Event)>::new(move |e: web_sys::Event| {
        if let Ok(ev) = e.dyn_into::<E>() {
            f(&app, ev);
        }
    });
    target.add_event_listener_with_callback(event, cb.as_ref().unchecked_ref())?;
    cb.forget();
    Ok(())
}

impl App {
    /// Build the app inside `host` and start loading its source.
    pub fn mount(host: Element) -> Result<(), JsValue> {
        dom::clear(&host);
        let root = el("div", "apiary")?;
        let header = el("header", "ap-header")?;
        append(&header, &text_el("span", "ap-logo", "Apiary")?)?;
        let summary = text_el("span", "ap-summary", "Loading…")?;
        append(&header, &summary)?;
        append(&root, &header)?;
        let panel = SourcePanel::build(&root)?;
        let builder = Builder::build(&root)?;
        let query = QueryPanel::build(&root)?;
        let history = History::build(&root)?;
        let bar = el("div", "ap-bar")?;
        let query_line = el("div", "ap-query")?;
        append(&bar, &query_line)?;
        let running = el("span", "ap-running")?;
        running.set_attribute("role", "status")?;
        running.set_attribute("hidden", "")?;
        append(&bar, &running)?;
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
        let wrap = el("div", "ap-chart-wrap")?;
        let canvas: HtmlCanvasElement = el("canvas", "ap-chart")?.dyn_into()?;
        canvas.set_attribute("aria-label", "chart")?;
        append(&wrap, &canvas)?;
        append(&root, &wrap)?;
        let calc_charts = CalcCharts::build(&root, &wrap)?;
        let bubble = BubbleUpView::build(&root, &wrap)?;
        let tools = ChartTools::build(&bar, &wrap)?;
        let hover = Crosshair::build(&wrap)?;
        let table = table::ResultsTable::build(&root)?;
        let traces = TraceView::build(&root)?;
        append(&host, &root)?;
        root.set_attribute("data-state", "loading")?;

        let memory_cap = host.get_attribute("data-memory-cap").and_then(|v| v.parse().ok()).unwrap_or(DEFAULT_MEMORY_CAP);
        let decode_slice_ms = host.get_attribute("data-decode-slice-ms").and_then(|v| v.parse().ok()).filter(|v: &f64| *v >= 0.0).unwrap_or(DEFAULT_DECODE_SLICE_MS);
        let query_slice_ms = host.get_attribute("data-query-slice-ms").and_then(|v| v.parse().ok()).filter(|v: &f64| *v >= 0.0).unwrap_or(DEFAULT_QUERY_SLICE_MS);
        let app: Shared = Rc::new(RefCell::new(App {
            parts: Parts { root, summary, query_line, running, weighting, weighting_box, error, canvas },
            table,
            panel,
            builder,
            query,
            bubble,
            tools,
            hover,
            calc_charts,
            history,
            traces,
            sources: Vec::new(),
            data: Rc::new(DataSet::empty()),
            memory_cap,
            decode_slice_ms,
            query_slice_ms,
            runs: Rc::default(),
            bubble_runs: Rc::default(),
            error_run: Default::default(),
            loading: None,
            result: None,
            spec: None,
            chosen: None,
            pending_trace: None,
            table_view: table::TableView::default(),
            pending_table: None,
            wanted: Vec::new(),
            me: std::rc::Weak::new(),
            traces_due: Rc::default(),
        }));
        app.borrow_mut().me = Rc::downgrade(&app);
        SourcePanel::wire(&app)?;
        QueryPanel::wire(&app)?;
        Builder::wire(&app)?;
        let canvas = app.borrow().parts.canvas.clone();
        BubbleUpView::wire(&app, &canvas)?;
        Crosshair::wire(&app, &canvas)?;
        ChartTools::wire(&app)?;
        CalcCharts::wire(&app)?;
        History::wire(&app)?;
        TraceView::wire(&app)?;
        table::ResultsTable::wire(&app)?;
        // A link's state wins over src= and the demo.
        let mut urls = vec![source_url(&host)];
        match query_panel::state_from_url() {
            Some(Ok(state)) => {
                let mut a = app.borrow_mut();
                a.apply_state(&state);
                if !state.sources.is_empty() || !state.files.is_empty() {
                    // Only what the link names: never the demo in place of its local files.
                    urls = state.sources.clone();
                }
                a.wanted = state.files.clone();
                a.panel.show_wanted(&a.wanted);
                if urls.is_empty() {
                    a.parts.summary.set_text_content(Some("Waiting for the link's local files"));
                    let _ = a.parts.root.set_attribute("data-state", "waiting");
                }
            }
            Some(Err(e)) => app.borrow().show_error(&format!("This link could not be read: {e}")),
            None => {}
        }
        let input = app.borrow().parts.weighting_box.clone();
        listen::<web_sys::Event>(&input, "change", &app, |app, _| {
            if let Ok(mut a) = app.try_borrow_mut() {
                a.toggle_weighting();
            }
        })?;
        for url in urls {
            super::sources::load_url(&app, url);
        }
        redraw_on_resize(&app)?;
        Ok(())
    }

    /// Take the query and view options of a link (the data loads separately).
    fn apply_state(&mut self, state: &State) {
        match QuerySpec::from_json(&state.query) {
            Ok(spec) => self.chosen = Some(spec),
            Err(e) => self.builder.show_query_error(Some(&format!("The link's query: {e}"))),
        }
        self.bubble.selection = state.view.get("selection").and_then(|v| crate::bubbleup::Selection::from_json(v).ok());
        if self.bubble.selection.is_none() {
            self.bubble.clear();
        }
        self.pending_trace = state.view.get("trace").and_then(|v| v.as_str()).map(|t| {
            (t.to_string(), state.view.get("span").and_then(|v| v.as_str()).map(str::to_string))
        });
        self.traces.pending_zoom = state.view.get("zoom").and_then(|z| Some((z.get(0)?.as_f64()?, z.get(1)?.as_f64()?)));
        let sort = state.view.get("sort").and_then(|s| Some((s.get(0)?.as_u64()? as usize, s.get(1)?.as_str()? == "desc")));
        let isolated = state.view.get("isolate").and_then(|i| i.as_u64()).map(|i| i as usize);
        self.pending_table = Some(table::TableView { sort, isolated });
        self.traces.where_box.set_value(state.view.get("trace_where").and_then(|v| v.as_str()).unwrap_or(""));
        self.tools.choice = state.view.get("heat_scale").and_then(|v| v.as_str()).and_then(Scale::parse);
        if let Some(w) = state.view.get("weight").and_then(|w| w.as_bool()) {
            self.parts.weighting_box.set_checked(w);
            let _ = Rc::make_mut(&mut self.data).set_sample_rate(if w { SampleRate::Auto } else { SampleRate::Off });
        }
    }

    /// What the page shows, as a link's state.
    pub fn state(&self) -> State {
        State {
            sources: self.sources.iter().filter_map(|s| s.url.clone()).collect(),
            files: self
                .sources
                .iter()
                .filter(|s| s.url.is_none())
                .filter_map(|s| Some(crate::permalink::FileRef { name: s.name.clone(), size: s.bytes as u64, hash: s.hash.clone()? }))
                .chain(self.wanted.iter().cloned())
                .collect(),
            query: self.spec.as_ref().map(QuerySpec::to_json).unwrap_or(serde_json::json!({})),
            view: {
                let mut v = serde_json::json!({"weight": self.parts.weighting_box.checked()});
                if let Some(sel) = &self.bubble.selection {
                    v["selection"] = sel.to_json();
                }
                if let Some(i) = self.table_view.isolated {
                    v["isolate"] = serde_json::json!(i);
                }
                if let Some(s) = self.tools.choice {
                    v["heat_scale"] = serde_json::json!(s.name());
                }
                let found = self.traces.where_box.value();
                if !found.trim().is_empty() {
                    v["trace_where"] = serde_json::json!(found.trim());
                }
                if let Some((k, desc)) = self.table_view.sort {
                    v["sort"] = serde_json::json!([k, if desc { "desc" } else { "asc" }]);
                }
                if let Some(t) = &self.traces.open {
                    v["trace"] = serde_json::json!(t.trace_id);
                    if let Some(s) = &self.traces.span {
                        v["span"] = serde_json::json!(s);
                    }
                    if let Some((z0, z1)) = self.traces.zoom.zoomed() {
                        // Microseconds are plenty, and keep the link short.
                        let us = |x: f64| (x * 1000.0).round() / 1000.0;
                        v["zoom"] = serde_json::json!([us(z0), us(z1)]);
                    }
                }
                v
            },
        }
    }

    /// Back/forward: show the view the URL now holds.
    pub fn restore_from_url(&mut self) {
        match query_panel::state_from_url() {
            Some(Ok(state)) => {
                self.apply_state(&state);
                if let Some(spec) = self.chosen.clone() {
                    self.run(spec, false);
                }
            }
            Some(Err(e)) => self.show_error(&format!("This link could not be read: {e}")),
            None => {}
        }
    }

    /// Add `column op value` (`=` by default; null means does-not-exist) to the query and run it.
    pub fn add_filter(&mut self, column: &str, op: Option<crate::query::spec::FilterOp>, value: serde_json::Value) {
        use crate::query::spec::{Filter, FilterOp};
        let Some(mut spec) = self.spec.clone() else { return };
        let filter = if value.is_null() {
            Filter { column: column.into(), op: FilterOp::DoesNotExist, value: None }
        } else {
            Filter { column: column.into(), op: op.unwrap_or(FilterOp::Eq), value: Some(value) }
        };
        spec.filters.push(filter);
        self.bubble.clear();
        self.chosen = Some(spec.clone());
        self.run(spec, true);
    }

    /// Completions for builder box `i` from the schema, the query, and the data's top values.
    pub fn builder_suggest(&mut self, i: usize) {
        let schema = self.data.schema().clone();
        let spec = self.spec.clone().unwrap_or_default();
        let data = &self.data;
        let values = |col: &str| top_values(data, col);
        let calcs = spec.effective_calculations();
        let ctx = crate::query::clause::SuggestContext { schema: &schema, calcs: &calcs, breakdowns: &spec.breakdowns, values: &values, max: 12 };
        self.builder.refresh_at(i, &ctx);
    }

    /// Zoom the query to `[start, end)` (epoch seconds), brushed on the line chart; the
    /// granularity follows the new range.
    pub fn zoom_time(&mut self, start: i64, end: i64) {
        let Some(mut spec) = self.spec.clone() else { return };
        if end <= start {
            return;
        }
        (spec.start_time, spec.end_time, spec.time_range) = (Some(start), Some(end), None);
        spec.granularity = Some(auto_granularity(end - start));
        self.chosen = Some(spec.clone());
        self.history.remember(&spec.to_json().to_string());
        self.run(spec, true);
    }

    /// Sort the table by column `k`: descending first, then ascending, then the query's order.
    pub fn sort_table(&mut self, k: usize) {
        self.table_view.sort = match self.table_view.sort {
            Some((s, true)) if s == k => Some((k, false)),
            Some((s, false)) if s == k => None,
            _ => Some((k, true)),
        };
        self.redraw_view();
    }

    /// Isolate result row `i`'s series (again: show all).
    pub fn isolate(&mut self, i: usize) {
        self.table_view.isolated = if self.table_view.isolated == Some(i) { None } else { Some(i) };
        self.redraw_view();
    }

    /// Draw again after a view-only change, and keep the URL in step (no new history entry).
    fn redraw_view(&mut self) {
        if let Err(e) = self.render() {
            self.show_error(&e);
        }
        if !self.sources.is_empty() {
            query_panel::write_url(&self.state(), false);
        }
    }

    /// The range menu changed: fill the custom inputs from the range on screen.
    pub fn builder_range_changed(&mut self) {
        self.builder.fill_custom(self.spec.as_ref(), self.data.time_range());
    }

    /// Run what the builder holds; a clause's error shows under it and the last result stays.
    pub fn run_builder(&mut self) {
        let mut spec = self.spec.clone().unwrap_or_else(|| self.default_spec());
        if let Err(e) = self.builder.apply_time(&mut spec, self.data.time_range()) {
            self.builder.show_query_error(Some(&e));
            return;
        }
        if let Err(e) = self.builder.clauses().apply(&mut spec, self.data.schema()) {
            self.builder.show_clause_error(Some(e.clause), &e.to_string());
            return;
        }
        self.builder.show_clause_error(None, "");
        if Some(&spec) == self.spec.as_ref() {
            return;
        }
        self.chosen = Some(spec.clone());
        self.history.remember(&spec.to_json().to_string());
        self.run(spec, true);
    }

    /// Load a whole query from JSON text (pasted into the builder); errors show under it.
    pub fn load_query_json(&mut self, text: &str) {
        match QuerySpec::from_json_str(text) {
            Ok(spec) => {
                self.builder.show_query_error(None);
                self.chosen = Some(spec.clone());
                self.history.remember(&spec.to_json().to_string());
                self.run(spec, true);
            }
            Err(e) => self.builder.show_query_error(Some(&format!("The pasted query: {e}"))),
        }
    }

    /// Run what the editor holds; its errors show next to it and the last result stays.
    pub fn run_editor(&mut self) {
        let text = self.query.editor.value();
        match QuerySpec::from_json_str(&text) {
            Ok(spec) => {
                self.query.show_error(None);
                self.chosen = Some(spec.clone());
                self.history.remember(&spec.to_json().to_string());
                self.run(spec, true);
            }
            Err(e) => self.query.show_error(Some(&e.to_string())),
        }
    }

    /// Before decoding a local file: its content hash (links ask for the same file again), and
    /// whether it is a file this page's link is waiting for (an error when the name and size
    /// match but the content differs).
    pub fn accept_file(&mut self, name: &str, bytes: &[u8]) -> (String, Option<String>) {
        let hash = crate::permalink::content_hash(bytes);
        let mut mismatch = None;
        let before = self.wanted.len();
        self.wanted.retain(|w| match w.matches(name, bytes) {
            Ok(found) => !found,
            Err(e) => {
                mismatch = Some(e);
                false
            }
        });
        if self.wanted.len() != before {
            self.panel.show_wanted(&self.wanted);
        }
        (hash, mismatch)
    }

    /// Add a decoded source; on error nothing already loaded changes.
    pub fn add_loaded(&mut self, name: &str, url: Option<&str>, loaded: ingest::Loaded, byte_len: usize, hash: Option<String>) -> Result<(), String> {
        let rows: usize = loaded.batches.iter().map(|b| b.num_rows()).sum();
        let size = dataset::batches_byte_size(&loaded.batches);
        if self.data.byte_size() + size > self.memory_cap {
            return Err(format!(
                "{name}: {} more would pass the memory cap of {} ({} loaded); nothing was added",
                dom::bytes(size),
                dom::bytes(self.memory_cap),
                dom::bytes(self.data.byte_size())
            ));
        }
        Rc::make_mut(&mut self.data).append(loaded.batches.clone()).map_err(|e| format!("{name}: {e}"))?;
        self.sources.push(Source { name: name.to_string(), url: url.map(str::to_string), format: loaded.format, batches: loaded.batches, rows, bytes: byte_len, hash });
        self.data_changed();
        Ok(())
    }

    /// Remove source `i` and rebuild the data set from the others.
    pub fn remove_source(&mut self, i: usize) {
        if i >= self.sources.len() {
            return;
        }
        self.sources.remove(i);
        let mut next = DataSet::empty();
        for s in &self.sources {
            if let Err(e) = next.append(s.batches.clone()) {
                self.show_error(&e.to_string());
                return;
            }
        }
        let _ = next.set_sample_rate(self.data.sample_rate().clone());
        if let Some(t) = self.data.time_column() {
            if next.column_index(t).is_some() {
                let _ = next.set_time_column(Some(t));
            }
        }
        self.data = Rc::new(next);
        self.data_changed();
    }

    /// Use column `name` (or none) as event time and run again.
    pub fn set_time_column(&mut self, name: Option<&str>) {
        match Rc::make_mut(&mut self.data).set_time_column(name) {
            Ok(()) => self.data_changed(),
            Err(e) => self.show_error(&e.to_string()),
        }
    }

    fn data_changed(&mut self) {
        let label = format!("{} events · {} in memory", dom::thousands(self.data.num_rows() as u64), dom::bytes(self.data.byte_size()));
        self.parts.summary.set_text_content(Some(&label));
        let _ = self.parts.root.set_attribute("data-rows", &self.data.num_rows().to_string());
        self.panel.render(&self.sources, &self.data);
        self.show_weighting();
        match self.chosen.clone() {
            Some(spec) => self.run(spec, false),
            None => self.run_default(),
        }
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
        if let Err(e) = Rc::make_mut(&mut self.data).set_sample_rate(mode) {
            self.show_error(&e.to_string());
            return;
        }
        if let Some(spec) = self.spec.clone() {
            self.run(spec, true);
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
        self.run(spec, false);
    }

    /// Run `spec` and show it; the URL then holds the view (a new history entry with `push`). The
    /// query runs in steps in a task of its own, the page getting its turn between them (progress
    /// shows when it takes longer than a slice); a newer run stops an older one. Until it is shown
    /// the root's `data-state` is `running`.
    fn run(&mut self, spec: QuerySpec, push: bool) {
        let calcs = spec.effective_calculations();
        let heat_col = calcs.iter().find(|c| c.op == CalcOp::Heatmap).and_then(|c| c.column.clone());
        let opts = query::RunOptions { heatmap_scale: heat_col.map_or(Scale::Linear, |c| self.tools.scale_for(&c)), within: None };
        let run = self.runs.get() + 1;
        self.runs.set(run);
        self.stop_bubbleup();
        let _ = self.parts.root.set_attribute("data-state", "running");
        let data = self.data.clone();
        let me = self.me.clone();
        let mut pace = super::pace::PagePace::new(self.query_slice_ms, self.runs.clone(), run, Some(self.parts.running.clone()));
        wasm_bindgen_futures::spawn_local(async move {
            let out = {
                let mut check = |s: crate::pace::Step<'_>| pace.check(s);
                query::run_paced(&data, &spec, &opts, &mut crate::pace::Pace::new(&mut check)).await
            };
            drop(data);
            show_when_done(&me, &pace, out, |a, out| {
                super::pace::done(&a.parts.running);
                a.show_run(run, spec, push, out);
            })
            .await;
        });
    }

    /// Show what a run gave: the result, or the error inline next to the query.
    fn show_run(&mut self, run: u64, spec: QuerySpec, push: bool, out: crate::Result<QueryResult>) {
        match out {
            Ok(result) => {
                if self.error_run.get() < run {
                    self.hide_error();
                }
                self.query.show_error(None);
                self.builder.show_query_error(None);
                self.query.show(&spec.to_json());
                self.builder.show(&spec, self.data.time_range());
                let _ = self.parts.root.set_attribute("data-spec", &spec.to_json().to_string());
                if self.spec.as_ref() != Some(&spec) {
                    self.table_view = table::TableView::default();
                    self.table.scroll_to_top();
                }
                if let Some(v) = self.pending_table.take() {
                    self.table_view = v;
                }
                if self.table_view.isolated.is_some_and(|i| i >= result.results.len()) {
                    self.table_view.isolated = None;
                }
                self.result = Some(result);
                self.spec = Some(spec);
                if let Err(e) = self.render() {
                    self.show_error(&e);
                    return;
                }
                self.tools.brushed = None;
                self.tools.hide_menu();
                self.hover.hide_band();
                match self.bubble.selection.clone() {
                    // run_bubbleup refreshes the trace list for the selection.
                    Some(sel) => self.run_bubbleup(sel, false),
                    None => self.refresh_traces(),
                }
                if let Some((t, span)) = self.pending_trace.take() {
                    self.open_trace(&t, span, false);
                }
                let _ = self.parts.root.set_attribute("data-state", "ready");
                if !self.sources.is_empty() {
                    query_panel::write_url(&self.state(), push);
                }
            }
            Err(e) => {
                // Inline, next to the query; the last good result stays visible.
                self.query.show_error(Some(&e.to_string()));
                self.builder.show_query_error(Some(&e.to_string()));
                let _ = self.parts.root.set_attribute("data-state", "ready");
            }
        }
    }

    fn render(&mut self) -> Result<(), String> {
        let (Some(result), Some(spec)) = (&self.result, &self.spec) else { return Ok(()) };
        let calcs = spec.effective_calculations();
        self.parts.query_line.set_text_content(Some(&describe(spec, result)));
        // The first calculation decides the chart: a heatmap for HEATMAP, lines otherwise.
        if calcs[0].op == CalcOp::Heatmap {
            // With GROUP BY, the isolated group's heatmap (the first group's otherwise).
            let mapping = chart::draw_heatmap(&self.parts.canvas, result, 0, self.table_view.isolated.unwrap_or(0), theme())?;
            let _ = self.parts.canvas.set_attribute("data-chart", "heatmap");
            let drawn_log = result.results.first().and_then(|r| r.values.first()).is_some_and(|o| matches!(o, crate::query::aggregate::Output::Heatmap(h) if h.layout.log));
            self.tools.show_scale(Some((calcs[0].column.as_deref().map_or(Scale::Linear, |c| self.tools.scale_for(c)), drawn_log)));
            if let Some(m) = mapping {
                self.mark_plot(&m);
            }
            self.bubble.mapping = mapping;
            self.bubble.column = calcs[0].column.clone();
            self.hover.mapping = None;
            self.hover.hide();
        } else {
            self.bubble.mapping = None;
            self.tools.show_scale(None);
            self.hover.hide();
            self.hover.mapping = chart::draw_timeseries(&self.parts.canvas, result, 0, calc_charts::zero_fill(calcs[0].op), theme(), self.table_view.isolated)?;
            if let Some(m) = self.hover.mapping {
                self.mark_plot(&m);
            }
            let _ = self.parts.canvas.set_attribute("data-chart", "lines");
        }
        self.calc_charts.render(result, &calcs, self.table_view.isolated, theme())?;
        self.table.render(result, self.table_view).map_err(|e| fetch::js_err(&e))?;
        Ok(())
    }

    pub fn show_error(&self, msg: &str) {
        self.error_run.set(self.runs.get());
        self.parts.error.set_text_content(Some(msg));
        let _ = self.parts.error.remove_attribute("hidden");
        let _ = self.parts.root.set_attribute("data-state", if self.sources.is_empty() { "error" } else { "ready" });
    }

    fn hide_error(&self) {
        let _ = self.parts.error.set_attribute("hidden", "");
    }
}

/// Charts are drawn at their box's pixel size: draw them again when the app's width changes (a
/// window resize, a host panel opened or dragged wider).
fn redraw_on_resize(app: &Shared) -> Result<(), JsValue> {
    let root = app.borrow().parts.root.clone();
    let width = Rc::new(std::cell::Cell::new(root.client_width()));
    let app2 = app.clone();
    let cb = Closure::<dyn FnMut(js_sys::Array)>::new(move |_entries: js_sys::Array| {
        let Ok(mut a) = app2.try_borrow_mut() else { return };
        let w = a.parts.root.client_width();
        if w == width.get() || w == 0 {
            return;
        }
        width.set(w);
        if let Err(e) = a.render() {
            a.show_error(&e);
        }
    });
    let observer = web_sys::ResizeObserver::new(cb.as_ref().unchecked_ref())?;
    observer.observe(&root);
    cb.forget();
    Ok(())
}

/// Up to 50 most frequent values of a string column (for WHERE completions); none for others.
fn top_values(data: &DataSet, col: &str) -> Vec<String> {
    use crate::query::column::Kind;
    let Some(i) = data.column_index(col) else { return Vec::new() };
    if Kind::of(data.schema().field(i).data_type()) != Kind::Str {
        return Vec::new();
    }
    let spec = QuerySpec { breakdowns: vec![col.to_string()], limit: Some(50), time_range: Some(i64::MAX / 4000), ..Default::default() };
    match query::run(data, &spec) {
        Ok(r) => r.results.iter().filter_map(|row| match row.group.first() {
            Some(crate::value::Value::Str(s)) => Some(s.clone()),
            _ => None,
        }).collect(),
        Err(_) => Vec::new(),
    }
}

/// The page's colour scheme: dark when the system (or the browser) asks for it.
pub fn theme() -> Theme {
    let dark = dom::window()
        .ok()
        .and_then(|w| w.match_media("(prefers-color-scheme: dark)").ok().flatten())
        .is_some_and(|m| m.matches());
    if dark { Theme::Dark } else { Theme::Light }
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

/// Columns a person may pick as event time: timestamps and dates, and numbers whose name says
/// time (epoch values).
pub fn time_candidates(data: &DataSet) -> Vec<String> {
    use arrow_schema::DataType;
    data.schema()
        .fields()
        .iter()
        .filter(|f| {
            let n = f.name().to_ascii_lowercase();
            match f.data_type() {
                DataType::Timestamp(..) | DataType::Date32 | DataType::Date64 => true,
                t => dataset::is_time_like(t) && (n.contains("time") || n.contains("ts") || n.contains("date") || Some(f.name().as_str()) == data.time_column()),
            }
        })
        .map(|f| f.name().clone())
        .collect()
}
