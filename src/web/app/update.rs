//! The one update function: every message the page gets is applied here, in turn. A view's
//! message goes to that view first (what only moves the view itself stays there); what it asks
//! of the app comes back as the view's `Out` and is applied below.

use std::rc::Rc;

use super::*;
use crate::dataset::{self, DataSet};
use crate::query::spec::auto_granularity;
use crate::query::QuerySpec;
use crate::web::query::{builder, json};
use crate::web::results::{crosshair, table, tools};
use crate::web::sources::{self, load, Source};
use crate::web::{bubbleup, fetch, traces as trace_view};

impl App {
    pub fn update(&mut self, msg: Msg) {
        match msg {
            Msg::Sources(m) => self.sources(m),
            Msg::Load(e) => self.load_event(e),
            Msg::Builder(m) => {
                for out in self.views.builder.update(m) {
                    match out {
                        builder::Out::Suggest(i) => self.builder_suggest(i),
                        builder::Out::Run => self.run_builder(),
                        builder::Out::LoadJson(text) => self.load_query_json(&text),
                        builder::Out::RangeChanged => self.views.builder.fill_custom(self.model.spec.as_ref(), self.model.time_range()),
                    }
                }
            }
            Msg::Json(m) => match self.views.json.update(m) {
                Some(json::Out::Run(text)) => self.run_editor(&text),
                Some(json::Out::CopySnapshot) => self.copy_snapshot(),
                Some(json::Out::CopyLink) => {
                    let href = self.share_link();
                    self.views.json.copy_link(&href);
                }
                None => {}
            },
            Msg::History(text) => self.open_query(&text),
            Msg::Tools(m) => match self.views.tools.update(m) {
                Some(tools::Out::Scale(s)) => self.set_heatmap_scale(s),
                Some(tools::Out::Zoom(start, end)) => self.zoom_time(start, end),
                Some(tools::Out::Select(start, end)) => self.select_time(start, end),
                Some(tools::Out::Closed) => self.views.hover.hide_band(),
                None => {}
            },
            Msg::Crosshair(m) => {
                // A drag on a heatmap belongs to BubbleUp's brush; the crosshair hides meanwhile.
                match self.views.hover.update(m) {
                    Some(crosshair::Out::Hover(x, y)) => self.show_crosshair(x, y),
                    Some(crosshair::Out::BrushStarted) => {
                        self.views.tools.brushed = None;
                        self.views.tools.hide_menu();
                    }
                    Some(crosshair::Out::Brushed(m, start, end)) => {
                        if let Err(e) = self.views.tools.show_menu(&m, start, end) {
                            self.show_error(&fetch::js_err(&e));
                        }
                    }
                    Some(crosshair::Out::Clicked(x)) => {
                        if !self.open_marker_at(x) {
                            self.clear_selection();
                        }
                    }
                    None => {}
                }
            }
            Msg::CalcCharts(m) => {
                match self.views.calc_charts.update(m, self.model.result.as_ref(), self.model.table.isolated) {
                    Ok(Some(url)) => self.open_link(&url),
                    Ok(None) => {}
                    Err(e) => self.show_error(&fetch::js_err(&e)),
                }
            }
            Msg::Table(m) => match self.views.table.update(m, self.model.result.as_ref(), self.model.table) {
                Some(table::Out::Sort(k)) => self.sort_table(k),
                Some(table::Out::Isolate(i)) => self.isolate(i),
                Some(table::Out::IsolateAndFocus(i)) => {
                    self.isolate(i);
                    self.views.table.focus_row(i);
                }
                Some(table::Out::SelectGroup(i)) => self.select_group(i),
                None => {}
            },
            Msg::Slo(m) => {
                for out in self.views.slo.update(m) {
                    match out {
                        crate::web::slo::Out::Show(slo) => {
                            self.model.slo = slo;
                            self.show_slo();
                            self.write_url(true);
                        }
                        crate::web::slo::Out::BubbleUp(slo) => self.slo_bubbleup(slo),
                    }
                }
            }
            Msg::Triggers(m) => {
                let outs = self.views.triggers.update(m);
                self.triggers_out(outs);
            }
            Msg::Quality(m) => {
                let outs = self.views.quality.update(m);
                self.quality_out(outs);
            }
            Msg::QualityDone { run, out, took } => self.quality_done(run, out, took),
            Msg::WarmStep => self.warm_step(),
            Msg::Embed(ask) => self.embed(ask),
            Msg::Export(m) => {
                if let Some(crate::web::export::Out::Export(kind)) = self.views.export.update(m) {
                    self.export(kind);
                }
            }
            Msg::Snapshot(m) => {
                let out = self.views.snapshot.update(m);
                self.snapshot_out(out);
            }
            Msg::Reached(reach) => self.reached(reach),
            Msg::Markers(m) => {
                let out = self.views.markers.update(m);
                self.markers_out(out);
            }
            Msg::MarkersRead { from, out } => self.markers_read(from, out),
            Msg::Board(m) => {
                let outs = self.views.board.update(m);
                self.board_out(outs);
            }
            Msg::BoardDone { run, panel, out } => self.board_done(run, panel, out),
            Msg::TriggerTick => self.trigger_tick(),
            Msg::TriggerDone { trigger, out } => self.trigger_done(trigger, out),
            Msg::TriggerWebhookFailed(e) => self.views.triggers.show_error(&e),
            Msg::BubbleUp(m) => match self.views.bubble.update(m) {
                Some(bubbleup::Out::SelectCell(x, y)) => {
                    // At a marker's line the click opens its link; elsewhere it selects the cell.
                    if !self.open_marker_at(x) {
                        self.select_cell(x, y);
                    }
                }
                Some(bubbleup::Out::SelectBox(mut sel)) => {
                    sel.filters.extend(self.heatmap_group_filters());
                    self.run_bubbleup(sel, true);
                }
                Some(bubbleup::Out::Clear) => self.clear_selection(),
                Some(bubbleup::Out::GroupBy(col)) => self.add_breakdown(&col),
                Some(bubbleup::Out::Filter(col, op, v)) => self.add_filter(&col, op, v),
                None => {}
            },
            Msg::Traces(m) => match self.views.traces.update(m) {
                Some(trace_view::Out::Open(id, span)) => self.open_trace(&id, span, true),
                Some(trace_view::Out::SelectSpan(id)) => self.select_span(&id),
                Some(trace_view::Out::Find(text)) => self.find_traces(text),
                Some(trace_view::Out::Zoom(w)) => self.zoom_trace(w),
                None => {}
            },
            Msg::Weighting(on) => self.toggle_weighting(on),
            Msg::Theme(t) => {
                set_theme(&self.parts.root, &t);
                self.update(Msg::SchemeChanged);
            }
            Msg::SchemeChanged => {
                self.update(Msg::Resized);
                if self.model.slo.is_some() {
                    self.show_slo();
                }
            }
            Msg::Resized => {
                if let Err(e) = self.render() {
                    self.show_error(&e);
                }
                self.views.quality.draw(dom::theme_of(&self.parts.root));
                self.views.board.render_grid(&self.model.markers);
                if let Err(e) = self.views.traces.redraw() {
                    self.show_error(&fetch::js_err(&e));
                }
            }
            Msg::PopState => self.restore_from_url(),
            Msg::Progress(p) => {
                self.parts.running.set_text_content(Some(&p.text()));
                let _ = self.parts.running.set_attribute("data-stage", &p.stage);
                let _ = self.parts.running.remove_attribute("hidden");
            }
            Msg::QueryDone { run, spec, push, out } => {
                if run == self.work.runs.get() {
                    self.store_query_ended(out.is_ok());
                    if let Ok(r) = &out {
                        self.remember_answer(&spec, r);
                    }
                    self.done_running();
                    self.show_run(run, spec, push, out);
                }
            }
            Msg::BubbleUpDone { run, selection, push, out } => {
                if run != self.work.bubble_runs.get() {
                    return;
                }
                self.done_running();
                let _ = self.parts.root.remove_attribute("data-bubbleup");
                self.show_bubbleup(selection, push, out);
            }
            Msg::TracesDue(due) => self.start_trace_list(due),
            Msg::Connected(out) => self.connected(out),
            Msg::CancelQuery => self.cancel_query(),
            Msg::StoreTick => self.show_store_progress(),
            Msg::TraceFetched { trace, push, out } => match out.and_then(crate::dataset::DataSet::from_batches) {
                Ok(ds) => {
                    self.model.trace_data = Some(Rc::new(ds));
                    self.open_trace_at(trace, push);
                }
                Err(e) => self.show_error(&e.to_string()),
            },
            Msg::TracesDone { due, scope, out, cache } => {
                if let (Some(k), Ok(list), true) = (cache, &out, self.model.store.is_some()) {
                    self.model.trace_cache.insert(k, list.clone());
                }
                if due != self.work.traces_due.get() {
                    return;
                }
                let _ = self.views.traces.list.remove_attribute("data-pending");
                // A data set without spans lists none.
                let _ = self.views.traces.render_list(out.as_deref().unwrap_or_default(), &scope, !self.model.trace_where.trim().is_empty());
            }
        }
    }

    /// Take the query and view choices of a link (the data loads separately) and show them.
    pub(super) fn apply_link(&mut self, state: &crate::permalink::State) {
        let markers_from = self.model.markers_url.clone();
        let res = self.model.apply_link(state);
        match self.model.markers_url.clone() {
            Some(u) if Some(&u) != markers_from.as_ref() => self.fetch_markers(u),
            Some(_) => {}
            None => self.views.markers.show(&self.model.markers, None),
        }
        if let Err(e) = res {
            self.views.builder.show_query_error(Some(&e));
        }
        self.views.quality.set_conventions(self.model.quality.as_ref().and_then(|q| q.conventions.clone()));
        if let Some(Err(e)) = state.view.get("board").map(crate::board::Board::from_json) {
            self.views.board.fail(&format!("The link's board could not be read: {e}"));
        }
        self.sync_board();
        if self.model.selection.is_none() {
            self.views.bubble.clear();
        }
        self.views.traces.where_box.set_value(&self.model.trace_where);
        self.parts.weighting_box.set_checked(self.model.weighted);
    }

    /// Back/forward: show the view the URL now holds.
    fn restore_from_url(&mut self) {
        match url::link_from_url() {
            Some(Ok(url::Link::Snapshot(snap))) => self.open_snapshot(*snap),
            // From a snapshot to a live view with no data here yet: load it.
            Some(Ok(url::Link::Live(state))) if self.model.snapshot.is_some() && self.model.sources.is_empty() && self.model.store.is_none() => {
                self.leave_snapshot();
                self.load_live(&state);
            }
            Some(Ok(url::Link::Live(state))) => {
                self.leave_snapshot();
                self.apply_link(&state);
                self.show_slo();
                self.check_quality();
                self.views.triggers.adopt(self.model.triggers.clone());
                self.model.triggers = self.views.triggers.saved.clone();
                if let Some(spec) = self.model.chosen.clone() {
                    self.run(spec, false);
                }
            }
            Some(Err(e)) => self.show_error(&format!("This link could not be read: {e}")),
            None => {}
        }
    }

    fn sources(&mut self, m: sources::Msg) {
        let cap = self.config.memory_cap.saturating_sub(self.model.data.byte_size()).min(crate::web::fetch::wasm_room());
        let limits = load::Limits { cap, slice_ms: self.config.decode_slice_ms };
        let d = self.dispatch.map(Msg::Load);
        match m {
            sources::Msg::Files(files) => load::files(files, limits, d),
            sources::Msg::LoadUrl(url) => load::url(url, limits, d),
            sources::Msg::Cancel => {
                if let Some(c) = &self.model.loading {
                    c.abort();
                }
            }
            sources::Msg::Remove(i) => self.remove_source(i),
            sources::Msg::Connect(c) => self.connect(c),
            sources::Msg::Disconnect => self.disconnect(),
            sources::Msg::BringIntoTab => self.bring_into_tab(),
            sources::Msg::TimeColumn(name) => match Rc::make_mut(&mut self.model.data).set_time_column(name.as_deref()) {
                Ok(()) => self.data_changed(),
                Err(e) => self.show_error(&e.to_string()),
            },
        }
    }

    fn load_event(&mut self, e: load::Event) {
        let panel = &self.views.sources;
        match e {
            load::Event::Started { what, total, cancel } => {
                self.model.loading = cancel;
                panel.show_progress(&what, 0, total, 0);
            }
            load::Event::Receiving { what, got, total, rows } => panel.show_progress(&what, got, total, rows),
            load::Event::Decoding { what, rows, done, total } => panel.show_decoding(&what, rows, done, total),
            load::Event::Busy { what, format } => panel.show_busy(&what, format),
            load::Event::Read { name, size, hash } => {
                // A file this page's link is waiting for (an error when the name and size match
                // but the content differs).
                let before = self.model.wanted.len();
                let mut warning = None;
                self.model.wanted.retain(|w| match w.matches_hash(&name, size, &hash) {
                    Ok(found) => !found,
                    Err(e) => {
                        warning = Some(e);
                        false
                    }
                });
                if self.model.wanted.len() != before {
                    self.views.sources.show_wanted(&self.model.wanted);
                }
                self.work.file_warning = warning;
            }
            load::Event::Done { name, url, bytes, hash, out } => {
                self.model.loading = None;
                self.views.sources.hide_progress();
                let warning = self.work.file_warning.take();
                match out.and_then(|loaded| self.add_loaded(&name, url.as_deref(), loaded, bytes, hash)) {
                    Ok(()) => {
                        if let Some(w) = warning {
                            self.show_error(&w);
                        }
                    }
                    Err(e) => self.show_error(&e),
                }
            }
        }
    }

    /// Add a decoded source; on error nothing already loaded changes.
    fn add_loaded(&mut self, name: &str, url: Option<&str>, loaded: crate::ingest::Loaded, byte_len: usize, hash: Option<String>) -> Result<(), String> {
        let rows: usize = loaded.batches.iter().map(|b| b.num_rows()).sum();
        let size = dataset::batches_byte_size(&loaded.batches);
        let data = &self.model.data;
        if data.byte_size() + size > self.config.memory_cap {
            return Err(format!(
                "{name}: {} more would pass the memory cap of {} ({} loaded); nothing was added",
                dom::bytes(size),
                dom::bytes(self.config.memory_cap),
                dom::bytes(data.byte_size())
            ));
        }
        Rc::make_mut(&mut self.model.data).append(loaded.batches.clone()).map_err(|e| format!("{name}: {e}"))?;
        self.model.sources.push(Source { name: name.to_string(), url: url.map(str::to_string), format: loaded.format, batches: loaded.batches, rows, bytes: byte_len, hash });
        self.data_changed();
        Ok(())
    }

    /// Remove source `i` and rebuild the data set from the others.
    fn remove_source(&mut self, i: usize) {
        if i >= self.model.sources.len() {
            return;
        }
        self.model.sources.remove(i);
        let mut next = DataSet::empty();
        for s in &self.model.sources {
            if let Err(e) = next.append(s.batches.clone()) {
                self.show_error(&e.to_string());
                return;
            }
        }
        let _ = next.set_sample_rate(self.model.data.sample_rate().clone());
        if let Some(t) = self.model.data.time_column() {
            if next.column_index(t).is_some() {
                let _ = next.set_time_column(Some(t));
            }
        }
        self.model.data = Rc::new(next);
        self.data_changed();
    }

    /// The SLO on view, reported from the data in the tab (a connected store: not yet).
    pub(super) fn show_slo(&mut self) {
        let report = self.model.slo.as_ref().map(|slo| {
            if self.model.store.is_some() {
                return Err("SLOs are computed from the events in the tab: bring the events into the tab, or disconnect the store".to_string());
            }
            crate::slo::evaluate(&self.model.data, slo, None).map_err(|e| e.to_string())
        });
        let heat = self.model.slo.as_ref().filter(|_| self.model.store.is_none()).and_then(|slo| self.sli_heatmap(slo));
        let slo = self.model.slo.clone();
        self.views.slo.render(slo.as_ref(), report, heat, dom::theme_of(&self.parts.root));
    }

    /// The SLI's events over the SLO's period (what the data has of it) as a heatmap of the span
    /// duration, grouped good and bad.
    fn sli_heatmap(&self, slo: &crate::slo::Slo) -> Option<(crate::QueryResult, String)> {
        let data = &self.model.data;
        let column = crate::query::execute::DURATION_COLUMN_NAMES.iter().find(|c| data.column_index(c).is_some())?.to_string();
        let (lo, hi) = data.time_range()?;
        let end = hi.div_euclid(1000) + 1;
        let start = (end - slo.time_period_days as i64 * 86_400).max(lo.div_euclid(1000));
        let spec = QuerySpec::from_json(&serde_json::json!({
            "calculated_fields": [{"name": "sli", "expression": slo.sli}],
            "calculations": [{"op": "HEATMAP", "column": column}], "breakdowns": ["sli"], "filters": [{"column": "sli", "op": "exists"}],
            "start_time": start, "end_time": end, "granularity": auto_granularity(end - start)
        }))
        .ok()?;
        let opts = crate::query::RunOptions { heatmap_scale: crate::query::heatmap::Scale::Log, within: None };
        crate::query::run_with(data, &spec, &opts).ok().map(|r| (r, column))
    }

    /// BubbleUp of `slo`'s bad events against its good ones: the query becomes the SLI's
    /// qualified events as a heatmap of the duration (the SLI a derived column), the selection
    /// its bad ones.
    fn slo_bubbleup(&mut self, slo: crate::slo::Slo) {
        let mut spec = self.model.spec.clone().unwrap_or_else(|| self.default_spec());
        let name = "sli";
        spec.calculated_fields = vec![crate::query::spec::CalculatedField { name: name.into(), expression: slo.sli.clone() }];
        spec.filters = vec![crate::query::spec::Filter { column: name.into(), op: crate::query::spec::FilterOp::Exists, value: None }];
        spec.breakdowns.clear();
        spec.havings.clear();
        spec.orders.clear();
        let dur = crate::query::execute::DURATION_COLUMN_NAMES.iter().find(|c| self.model.data.column_index(c).is_some());
        spec.calculations = match dur {
            Some(d) => vec![crate::query::spec::Calculation { op: crate::query::spec::CalcOp::Heatmap, column: Some(d.to_string()) }],
            None => vec![crate::query::spec::Calculation { op: crate::query::spec::CalcOp::Count, column: None }],
        };
        let sel = crate::bubbleup::Selection { start_time: None, end_time: None, filters: vec![crate::query::spec::Filter { column: name.into(), op: crate::query::spec::FilterOp::Eq, value: Some(serde_json::json!(false)) }] };
        self.model.selection = Some(sel);
        self.model.chosen = Some(spec.clone());
        self.views.history.remember(&spec.to_json().to_string());
        self.run(spec, true);
    }

    pub(super) fn data_changed(&mut self) {
        // Data came: the page is live from now on.
        self.leave_snapshot();
        let data = &self.model.data;
        let label = format!("{} events · {} in memory", dom::thousands(data.num_rows() as u64), dom::bytes(data.byte_size()));
        self.parts.summary.set_text_content(Some(&label));
        let _ = self.parts.root.set_attribute("data-rows", &data.num_rows().to_string());
        self.views.sources.render(&self.model.sources, data);
        self.show_weighting();
        self.post_to_host(serde_json::json!({ "type": "ready", "rows": self.model.data.num_rows() }));
        self.views.slo.set_schema(self.model.data.schema().clone());
        if self.model.slo.is_some() {
            self.show_slo();
        }
        self.check_quality();
        if self.views.board.open.is_some() {
            self.run_board();
        }
        match self.model.chosen.clone() {
            Some(spec) => self.run(spec, false),
            None => self.run_default(),
        }
        self.start_warm_up();
    }

    pub(super) fn show_weighting(&self) {
        match self.model.target().detected_sample_rate_column() {
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
    fn toggle_weighting(&mut self, on: bool) {
        if let Err(e) = self.model.set_weighted(on) {
            self.show_error(&e.to_string());
            return;
        }
        // The host may have asked (setSampleRate): the box says what is on.
        self.parts.weighting_box.set_checked(on);
        // Everything on view that counts events counts them again: the board's panels, the SLO.
        if self.views.board.open.is_some() {
            self.run_board();
        }
        if self.model.slo.is_some() {
            self.show_slo();
        }
        if let Some(spec) = self.model.spec.clone() {
            self.run(spec, true);
        }
    }

    /// Add `column op value` (`=` by default; null means does-not-exist) to the query and run it.
    fn add_filter(&mut self, column: &str, op: Option<crate::query::spec::FilterOp>, value: serde_json::Value) {
        use crate::query::spec::{Filter, FilterOp};
        let Some(mut spec) = self.model.spec.clone() else { return };
        let filter = if value.is_null() {
            Filter { column: column.into(), op: FilterOp::DoesNotExist, value: None }
        } else {
            Filter { column: column.into(), op: op.unwrap_or(FilterOp::Eq), value: Some(value) }
        };
        spec.filters.push(filter);
        self.drop_selection();
        self.model.chosen = Some(spec.clone());
        self.run(spec, true);
    }

    /// Add `column` to GROUP BY and run the query (from a BubbleUp column).
    fn add_breakdown(&mut self, column: &str) {
        let Some(mut spec) = self.model.spec.clone() else { return };
        if spec.breakdowns.iter().any(|b| b == column) {
            return;
        }
        spec.breakdowns.push(column.to_string());
        self.drop_selection();
        self.model.chosen = Some(spec.clone());
        self.run(spec, true);
    }

    /// Completions for builder box `i` from the schema, the query, and the data's top values.
    fn builder_suggest(&mut self, i: usize) {
        let data = self.model.target();
        // The derived columns the builder defines are columns for the other boxes too.
        let schema = match self.views.builder.clauses().derived(data.schema()) {
            Ok((_, s)) => std::sync::Arc::new(s),
            Err(_) => data.schema().clone(),
        };
        let spec = self.model.spec.clone().unwrap_or_default();
        let values = |col: &str| run::top_values(data, col);
        let calcs = spec.effective_calculations();
        let ctx = crate::query::clause::SuggestContext { schema: &schema, calcs: &calcs, breakdowns: &spec.breakdowns, values: &values, max: 12 };
        self.views.builder.refresh_at(i, &ctx);
    }

    /// Zoom the query to `[start, end)` (epoch seconds), brushed on the line chart; the
    /// granularity follows the new range.
    fn zoom_time(&mut self, start: i64, end: i64) {
        let Some(mut spec) = self.model.spec.clone() else { return };
        if end <= start {
            return;
        }
        (spec.start_time, spec.end_time, spec.time_range) = (Some(start), Some(end), None);
        spec.granularity = Some(auto_granularity(end - start));
        self.choose(spec);
    }

    /// Sort the table by column `k`: descending first, then ascending, then the query's order.
    fn sort_table(&mut self, k: usize) {
        self.model.table.sort = match self.model.table.sort {
            Some((s, true)) if s == k => Some((k, false)),
            Some((s, false)) if s == k => None,
            _ => Some((k, true)),
        };
        self.redraw_view();
    }

    /// Isolate result row `i`'s series (again: show all).
    fn isolate(&mut self, i: usize) {
        self.model.table.isolated = if self.model.table.isolated == Some(i) { None } else { Some(i) };
        self.redraw_view();
    }

    /// Draw again after a view-only change, and keep the URL in step (no new history entry).
    fn redraw_view(&mut self) {
        if let Err(e) = self.render() {
            self.show_error(&e);
        }
        self.write_url(false);
    }

    /// Run what the builder holds; a clause's error shows under it and the last result stays.
    fn run_builder(&mut self) {
        let mut spec = self.model.spec.clone().unwrap_or_else(|| self.default_spec());
        let b = &self.views.builder;
        if let Err(e) = b.apply_time(&mut spec, self.model.time_range()) {
            b.show_query_error(Some(&e));
            return;
        }
        if let Err(e) = b.clauses().apply(&mut spec, self.model.target().schema()) {
            b.show_clause_error(Some(e.clause), &e.to_string());
            return;
        }
        b.show_clause_error(None, "");
        if Some(&spec) == self.model.spec.as_ref() {
            return;
        }
        self.choose(spec);
    }

    /// Load a whole query from JSON text (pasted into the builder); errors show under it.
    fn load_query_json(&mut self, text: &str) {
        match QuerySpec::from_json_str(text) {
            Ok(spec) => {
                self.views.builder.show_query_error(None);
                self.choose(spec);
            }
            Err(e) => self.views.builder.show_query_error(Some(&format!("The pasted query: {e}"))),
        }
    }

    /// Run the editor's query JSON; its errors show next to it and the last result stays.
    /// Show a query's JSON text in the editor and run it (a recent query, a finding's, a host's).
    pub(super) fn open_query(&mut self, text: &str) {
        self.views.json.editor.set_value(text);
        self.run_editor(text);
    }

    pub(super) fn run_editor(&mut self, text: &str) {
        match QuerySpec::from_json_str(text) {
            Ok(spec) => {
                self.views.json.show_error(None);
                self.choose(spec);
            }
            Err(e) => {
                self.views.json.show_error(Some(&e.to_string()));
                self.emit("error", &serde_json::json!({ "message": e.to_string() }));
            }
        }
    }

    /// A query someone chose: remembered, kept when data changes, run as a new history entry.
    fn choose(&mut self, spec: QuerySpec) {
        self.model.chosen = Some(spec.clone());
        self.views.history.remember(&spec.to_json().to_string());
        self.run(spec, true);
    }
}

/// The host's theme on the app's root (`data-theme`; `auto` follows the system).
pub(super) fn set_theme(root: &web_sys::Element, theme: &str) {
    let _ = match theme.trim() {
        t @ ("light" | "dark") => root.set_attribute("data-theme", t),
        _ => root.remove_attribute("data-theme"),
    };
}
