//! Running the query and showing its answer: the run starts as work of its own (in steps, the
//! page getting its turn between them; a newer run stops an older one) and comes back as
//! [`Msg::QueryDone`]; the result then goes into the model and the results views draw it.

use std::rc::Rc;

use super::*;
use crate::dataset::DataSet;
use crate::query::heatmap::Scale;
use crate::query::spec::{auto_granularity, CalcOp, Calculation};
use crate::query::{self, QueryResult, QuerySpec};
use crate::web::pace::PagePace;
use crate::web::results::{calc_charts, table::TableView};
use crate::web::{chart, fetch};

impl App {
    /// COUNT over the whole time range of the data, with an automatic granularity.
    pub(super) fn default_spec(&self) -> QuerySpec {
        let mut spec = QuerySpec { calculations: vec![Calculation { op: CalcOp::Count, column: None }], ..Default::default() };
        if let Some((lo, hi)) = self.model.time_range() {
            let start = lo.div_euclid(1000);
            let end = hi.div_euclid(1000) + 1;
            spec.start_time = Some(start);
            spec.end_time = Some(end);
            spec.granularity = Some(auto_granularity(end - start));
        }
        spec
    }

    pub(super) fn run_default(&mut self) {
        let spec = self.default_spec();
        self.run(spec, false);
    }

    /// A pace for work of this app: the page's turn every query slice, progress as messages.
    pub(super) fn pace(&self, latest: &Rc<std::cell::Cell<u64>>, mine: u64, progress: bool) -> PagePace {
        PagePace::new(self.config.query_slice_ms, latest.clone(), mine, progress.then(|| self.dispatch.map(Msg::Progress)))
    }

    /// Run `spec` and show it; the URL then holds the view (a new history entry with `push`).
    /// Until it is shown the root's `data-state` is `running`.
    pub(super) fn run(&mut self, mut spec: QuerySpec, push: bool) {
        // A spec without a granularity (from setQuery, a pasted JSON, a link) gets the one the
        // builder's "auto" gives its range, as Honeycomb does: without it there is no series
        // and the charts stay empty.
        if spec.granularity.is_none() {
            if let Some((lo, hi)) = crate::query::matching::resolve_range(&self.model.data, &spec) {
                spec.granularity = Some(auto_granularity(((hi - lo) / 1000).max(1)));
            }
        }
        if self.model.snapshot.is_some() {
            let msg = "This is a snapshot: its data is not in this tab. Open the live view (or add data) to run queries.";
            self.views.json.show_error(Some(msg));
            self.views.builder.show_query_error(Some(msg));
            return;
        }
        let opts = query::RunOptions { heatmap_scale: self.model.scale_of(&spec), within: None };
        let run = self.work.runs.get() + 1;
        self.work.runs.set(run);
        self.stop_bubbleup();
        let _ = self.parts.root.set_attribute("data-state", "running");
        if self.run_on_store(run, spec.clone(), push, opts.heatmap_scale) {
            return;
        }
        let data = self.model.data.clone();
        let d = self.dispatch.clone();
        let mut pace = self.pace(&self.work.runs, run, true);
        wasm_bindgen_futures::spawn_local(async move {
            let out = {
                let mut check = |s: crate::pace::Step<'_>| pace.check(s);
                query::run_paced(&data, &spec, &opts, &mut crate::pace::Pace::new(&mut check)).await
            };
            drop(data);
            if !matches!(out, Err(crate::Error::Stopped)) {
                d.send(Msg::QueryDone { run, spec, push, out });
            }
        });
    }

    /// Hide the progress of finished work.
    pub(super) fn done_running(&self) {
        let _ = self.parts.cancel_query.set_attribute("hidden", "");
        let _ = self.parts.running.set_attribute("hidden", "");
        let _ = self.parts.running.remove_attribute("data-stage");
    }

    /// Show what a run gave: the result, or the error inline next to the query.
    pub(super) fn show_run(&mut self, run: u64, spec: QuerySpec, push: bool, out: crate::Result<QueryResult>) {
        match out {
            Ok(result) => {
                if self.work.error_run.get() < run {
                    self.hide_error();
                }
                self.views.json.show_error(None);
                self.views.builder.show_query_error(None);
                self.views.json.show(&spec.to_json());
                self.views.builder.show(&spec, self.model.time_range());
                let _ = self.parts.root.set_attribute("data-spec", &spec.to_json().to_string());
                let m = &mut self.model;
                if m.spec.as_ref() != Some(&spec) {
                    m.table = TableView::default();
                    self.views.table.scroll_to_top();
                }
                if let Some(v) = m.pending_table.take() {
                    m.table = v;
                }
                if m.table.isolated.is_some_and(|i| i >= result.results.len()) {
                    m.table.isolated = None;
                }
                let ran = serde_json::json!({ "spec": spec.to_json(), "rows": result.results.len(), "matched": result.rows_matched });
                m.result = Some(result);
                m.spec = Some(spec);
                if let Err(e) = self.render() {
                    self.show_error(&e);
                    return;
                }
                self.views.tools.brushed = None;
                self.views.tools.hide_menu();
                self.views.hover.hide_band();
                match self.model.selection.clone() {
                    // run_bubbleup refreshes the trace list for the selection.
                    Some(sel) => self.run_bubbleup(sel, false),
                    None => self.refresh_traces(),
                }
                if let Some(t) = self.model.pending_trace.take() {
                    self.open_trace_at(t, false);
                }
                let _ = self.parts.root.set_attribute("data-state", "ready");
                self.write_url(push);
                self.emit("query-run", &ran);
            }
            Err(e) => {
                // Inline, next to the query; the last good result stays visible.
                self.emit("error", &serde_json::json!({ "message": e.to_string() }));
                self.views.json.show_error(Some(&e.to_string()));
                self.views.builder.show_query_error(Some(&e.to_string()));
                let _ = self.parts.root.set_attribute("data-state", "ready");
            }
        }
    }

    /// Draw the model's result: the main chart, one chart per further calculation, the table.
    pub(super) fn render(&mut self) -> Result<(), String> {
        let (Some(result), Some(spec)) = (&self.model.result, &self.model.spec) else { return Ok(()) };
        let (v, canvas, isolated) = (&mut self.views, &self.parts.canvas, self.model.table.isolated);
        let calcs = spec.effective_calculations();
        self.parts.query_line.set_text_content(Some(&describe(spec, result)));
        // The first calculation decides the chart: a heatmap for HEATMAP, lines otherwise.
        if calcs[0].op == CalcOp::Heatmap {
            // With GROUP BY, the isolated group's heatmap (the first group's otherwise).
            let mapping = chart::draw_heatmap(canvas, result, 0, isolated.unwrap_or(0), dom::theme_of(&self.parts.root), &self.model.markers)?;
            let _ = canvas.set_attribute("data-chart", "heatmap");
            let drawn_log = result.results.first().and_then(|r| r.values.first()).is_some_and(|o| matches!(o, crate::query::aggregate::Output::Heatmap(h) if h.layout.log));
            v.tools.show_scale(Some((calcs[0].column.as_deref().map_or(Scale::Linear, |c| self.model.scale_for(c)), drawn_log)));
            if let Some(m) = mapping {
                mark_plot(canvas, &m);
            }
            v.bubble.mapping = mapping;
            v.bubble.column = calcs[0].column.clone();
            v.hover.mapping = None;
            v.hover.hide();
        } else {
            v.bubble.mapping = None;
            v.tools.show_scale(None);
            v.hover.hide();
            v.hover.mapping = chart::draw_timeseries(canvas, result, 0, calcs[0].op.zero_fill(), dom::theme_of(&self.parts.root), isolated, &self.model.markers)?;
            if let Some(m) = v.hover.mapping {
                mark_plot(canvas, &m);
            }
            let _ = canvas.set_attribute("data-chart", "lines");
        }
        v.calc_charts.render(result, &calcs, isolated, dom::theme_of(&self.parts.root), &self.model.markers)?;
        v.table.render(result, self.model.table).map_err(|e| fetch::js_err(&e))?;
        Ok(())
    }

    pub fn show_error(&self, msg: &str) {
        self.emit("error", &serde_json::json!({ "message": msg }));
        self.work.error_run.set(self.work.runs.get());
        self.parts.error.set_text_content(Some(msg));
        let _ = self.parts.error.remove_attribute("hidden");
        let _ = self.parts.root.set_attribute("data-state", if self.model.sources.is_empty() { "error" } else { "ready" });
    }

    fn hide_error(&self) {
        let _ = self.parts.error.set_attribute("hidden", "");
    }
}

/// Where the plot lies, for tests and tools that point at data coordinates.
fn mark_plot(canvas: &HtmlCanvasElement, m: &crate::render::PlotMapping) {
    let _ = canvas.set_attribute("data-plot", &calc_charts::plot_attribute(m));
}

/// Up to 50 most frequent values of a string column (for WHERE completions); none for others.
pub(super) fn top_values(data: &DataSet, col: &str) -> Vec<String> {
    use crate::query::column::Kind;
    let Some(i) = data.column_index(col) else { return Vec::new() };
    if Kind::of(data.schema().field(i).data_type()) != Kind::Str {
        return Vec::new();
    }
    let spec = QuerySpec { breakdowns: vec![col.to_string()], limit: Some(50), time_range: Some(i64::MAX / 4000), ..Default::default() };
    match query::run(data, &spec) {
        Ok(r) => r
            .results
            .iter()
            .filter_map(|row| match row.group.first() {
                Some(crate::value::Value::Str(s)) => Some(s.clone()),
                _ => None,
            })
            .collect(),
        Err(_) => Vec::new(),
    }
}

/// `VISUALIZE COUNT · 2026-11-01 06:00 – 12:00 UTC · every 2 min · weighted by sample_rate`
pub(super) fn describe(spec: &QuerySpec, r: &QueryResult) -> String {
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
