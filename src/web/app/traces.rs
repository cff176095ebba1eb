//! The app's traces: the trace list for the current query (and selection, and the trace
//! search), work of its own back as [`Msg::TracesDone`]; the waterfall of an opened trace, its
//! zoom and selected span.

use super::*;
use crate::web::fetch;

impl App {
    /// Open trace `id` in the waterfall (and select `span`).
    pub(super) fn open_trace(&mut self, id: &str, span: Option<String>, push: bool) {
        self.open_trace_at(OpenTrace { id: id.to_string(), span, zoom: None }, push);
    }

    /// Where the open trace's spans are: fetched from the store, or the loaded data.
    fn trace_rows(&self) -> &crate::dataset::DataSet {
        self.model.trace_data.as_deref().unwrap_or(&self.model.data)
    }

    /// Open a trace as `t` says (span, zoom window). On a store only that trace's spans are
    /// fetched first (work of its own, back as `TraceFetched`).
    pub(super) fn open_trace_at(&mut self, t: OpenTrace, push: bool) {
        if let Some(store) = &self.model.store {
            let fetched = self.model.trace_data.as_ref().is_some_and(|d| crate::trace::SpanColumns::detect(d).ok().is_some_and(|c| crate::trace::has_trace(d, &c, &t.id)));
            if !fetched {
                let (b, table, d) = (store.backend.clone(), store.table.clone(), self.dispatch.clone());
                wasm_bindgen_futures::spawn_local(async move {
                    let out = crate::backend::trace_spans(&mut crate::web::fetch::Post::default(), &b, &table, std::slice::from_ref(&t.id)).await;
                    d.send(Msg::TraceFetched { trace: t, push, out });
                });
                return;
            }
        } else {
            self.model.trace_data = None;
        }
        let data = self.trace_rows();
        match crate::trace::SpanColumns::detect(data).and_then(|cols| crate::trace::Trace::assemble(data, &cols, &t.id)) {
            Ok(trace) => {
                let v = &mut self.views.traces;
                v.span = t.span.clone();
                v.pending_zoom = t.zoom;
                v.open = Some(trace.clone());
                if let Err(e) = v.render_waterfall(&trace) {
                    self.show_error(&fetch::js_err(&e));
                }
                let v = &self.views.traces;
                if let Some(s) = &v.span {
                    let _ = v.render_details(&trace, s, self.model.trace_data.as_deref().unwrap_or(&self.model.data));
                }
                self.model.trace = Some(OpenTrace { id: t.id, span: t.span, zoom: v.zoom.zoomed() });
                if push {
                    self.write_url(true);
                }
            }
            Err(e) => self.show_error(&e.to_string()),
        }
    }

    /// Show the stretch `w` (ms from the trace's start) of the open trace; the link keeps it.
    pub(super) fn zoom_trace(&mut self, w: (f64, f64)) {
        self.views.traces.zoom_to(w);
        if let Some(t) = &mut self.model.trace {
            t.zoom = self.views.traces.zoom.zoomed();
        }
        self.write_url(false);
    }

    /// Select a span of the open trace: mark it and show its attributes (no reassembly).
    pub(super) fn select_span(&mut self, span_id: &str) {
        let v = &mut self.views.traces;
        let Some(t) = v.open.take() else { return };
        v.span = Some(span_id.to_string());
        let _ = v.render_details(&t, span_id, self.model.trace_data.as_deref().unwrap_or(&self.model.data));
        v.open = Some(t);
        let _ = v.render_window();
        if let Some(t) = &mut self.model.trace {
            t.span = Some(span_id.to_string());
        }
        self.write_url(true);
    }

    /// Refresh the trace list after the page has had its turn: the query's chart and table (or
    /// BubbleUp) show first, and no single task does both. It runs in steps like a query; a
    /// newer call stops it.
    pub(super) fn refresh_traces(&mut self) {
        let due = self.work.traces_due.get() + 1;
        self.work.traces_due.set(due);

        let _ = self.views.traces.list.set_attribute("data-pending", "");
        let d = self.dispatch.clone();
        wasm_bindgen_futures::spawn_local(async move {
            dom::yield_now().await;
            d.send(Msg::TracesDue(due));
        });
    }

    /// Start the trace list `due` asked for, when it is still the latest request: the query,
    /// the selection narrowed by the trace search's filters (both ANDed).
    pub(super) fn start_trace_list(&mut self, due: u64) {
        if self.work.traces_due.get() != due {
            return;
        }
        let Some(spec) = self.model.spec.clone() else {
            let _ = self.views.traces.list.remove_attribute("data-pending");
            return;
        };
        let text = self.model.trace_where.clone();
        let found = match crate::query::clause::parse_where(&text, &self.query_schema()) {
            Ok(f) => f,
            Err(e) => {
                self.views.traces.show_where_error(Some(&e.message));
                Vec::new()
            }
        };
        let mut scope = if self.model.selection.is_some() { "in the selection".to_string() } else { "matching the query".to_string() };
        if !found.is_empty() {
            scope += &format!(" with a span where {}", text.trim());
        }
        let mut within = self.model.selection.clone();
        if !found.is_empty() {
            within.get_or_insert_with(Default::default).filters.extend(found);
        }
        let d = self.dispatch.clone();
        if let Some(store) = &self.model.store {
            // Ranked in ClickHouse; only those traces' spans come back. Kept per query.
            let key = format!("{}|{}", spec.to_json(), within.as_ref().map(|w| w.to_json().to_string()).unwrap_or_default());
            if let Some(list) = self.model.trace_cache.get(&key).cloned() {
                return d.send(Msg::TracesDone { due, scope, out: Ok(list), cache: None });
            }
            let (b, table) = (store.backend.clone(), store.table.clone());
            wasm_bindgen_futures::spawn_local(async move {
                let out = crate::backend::slowest(&mut crate::web::fetch::Post::default(), &b, &table, &spec, within.as_ref(), 10).await;
                d.send(Msg::TracesDone { due, scope, out, cache: Some(key) });
            });
            return;
        }
        let data = self.model.data.clone();
        let mut pace = self.pace(&self.work.traces_due, due, false);
        wasm_bindgen_futures::spawn_local(async move {
            let out = {
                let mut check = |s: crate::pace::Step<'_>| pace.check(s);
                crate::trace::slowest_paced(&data, &spec, within.as_ref(), 10, &mut crate::pace::Pace::new(&mut check)).await
            };
            drop(data);
            if !matches!(out, Err(crate::Error::Stopped)) {
                d.send(Msg::TracesDone { due, scope, out, cache: None });
            }
        });
    }

    /// The columns the query reads: the data's and its derived columns (the trace search can
    /// name those too).
    fn query_schema(&self) -> arrow_schema::Schema {
        let base = self.model.target().schema();
        let spec = self.model.spec.clone().unwrap_or_default();
        crate::query::clause::Clauses::from_spec(&spec).derived(base).map(|(_, s)| s).unwrap_or_else(|_| base.as_ref().clone())
    }

    /// Run the trace search ("traces with a span where …"); an error shows under its box and
    /// the list stays.
    pub(super) fn find_traces(&mut self, text: String) {
        if let Err(e) = crate::query::clause::parse_where(&text, &self.query_schema()) {
            self.views.traces.show_where_error(Some(&e.message));
            return;
        }
        self.views.traces.show_where_error(None);
        self.model.trace_where = text;
        self.refresh_traces();
        self.write_url(true);
    }
}
