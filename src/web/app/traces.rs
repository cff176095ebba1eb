//! The app's traces: the trace list for the current query (and selection), the waterfall of
//! an opened trace, its zoom and selected span.

use super::*;

impl App {
    /// Open trace `id` in the waterfall (and select `span`).
    pub fn open_trace(&mut self, id: &str, span: Option<String>, push: bool) {
        let result = crate::trace::SpanColumns::detect(&self.data).and_then(|cols| crate::trace::Trace::assemble(&self.data, &cols, id));
        match result {
            Ok(t) => {
                self.traces.span = span;
                self.traces.open = Some(t.clone());
                if let Err(e) = self.traces.render_waterfall(&t) {
                    self.show_error(&fetch::js_err(&e));
                }
                if let Some(s) = self.traces.span.clone() {
                    let _ = self.traces.render_details(&t, &s, &self.data);
                }
                if push {
                    query_panel::write_url(&self.state(), true);
                }
            }
            Err(e) => self.show_error(&e.to_string()),
        }
    }

    /// Show the stretch `w` (ms from the trace's start) of the open trace; the link keeps it.
    pub fn zoom_trace(&mut self, w: (f64, f64)) {
        self.traces.zoom_to(w);
        query_panel::write_url(&self.state(), false);
    }

    /// Select a span of the open trace: mark it and show its attributes (no reassembly).
    pub fn select_span(&mut self, span_id: &str) {
        let Some(t) = self.traces.open.take() else { return };
        self.traces.span = Some(span_id.to_string());
        let _ = self.traces.render_details(&t, span_id, &self.data);
        self.traces.open = Some(t);
        let _ = self.traces.render_window();
        query_panel::write_url(&self.state(), true);
    }

    /// Refresh the trace list in a task of its own, after the page has had its turn: the query's
    /// chart and table (or BubbleUp) show first, and no single task does both. It runs in steps
    /// like a query; a newer call stops it.
    pub(super) fn refresh_traces(&mut self) {
        let due = self.traces_due.get() + 1;
        self.traces_due.set(due);
        let _ = self.traces.list.set_attribute("data-pending", "");
        let me = self.me.clone();
        let mut pace = crate::web::pace::PagePace::new(self.query_slice_ms, self.traces_due.clone(), due, None);
        wasm_bindgen_futures::spawn_local(async move {
            dom::yield_now().await;
            let Some(Some((data, spec, within, scope))) = when_free(&me, |a| a.trace_list_inputs(due)).await else { return };
            let out = {
                let mut check = |s: crate::pace::Step<'_>| pace.check(s);
                crate::trace::slowest_paced(&data, &spec, within.as_ref(), 10, &mut crate::pace::Pace::new(&mut check)).await
            };
            drop(data);
            show_when_done(&me, &pace, out, |a, out| {
                let _ = a.traces.list.remove_attribute("data-pending");
                // A data set without spans lists none.
                let _ = a.traces.render_list(out.as_deref().unwrap_or_default(), &scope);
            })
            .await;
        });
    }

    /// What the trace list needs, when `due` is still the latest request: the data, the query,
    /// the selection narrowed by the trace search's filters (both ANDed), and the words for it.
    #[allow(clippy::type_complexity)]
    fn trace_list_inputs(&mut self, due: u64) -> Option<(Rc<DataSet>, QuerySpec, Option<crate::bubbleup::Selection>, String)> {
        if self.traces_due.get() != due {
            return None;
        }
        let Some(spec) = self.spec.clone() else {
            let _ = self.traces.list.remove_attribute("data-pending");
            return None;
        };
        let text = self.traces.where_box.value();
        let found = match crate::query::clause::parse_where(&text, self.data.schema()) {
            Ok(f) => f,
            Err(e) => {
                self.traces.show_where_error(Some(&e.message));
                Vec::new()
            }
        };
        let mut scope = if self.bubble.selection.is_some() { "in the selection".to_string() } else { "matching the query".to_string() };
        if !found.is_empty() {
            scope += &format!(" with a span where {}", text.trim());
        }
        let mut within = self.bubble.selection.clone();
        if !found.is_empty() {
            within.get_or_insert_with(Default::default).filters.extend(found);
        }
        Some((self.data.clone(), spec, within, scope))
    }

    /// Run the trace search ("traces with a span where …"); an error shows under its box.
    pub fn find_traces(&mut self) {
        let text = self.traces.where_box.value();
        if let Err(e) = crate::query::clause::parse_where(&text, self.data.schema()) {
            self.traces.show_where_error(Some(&e.message));
            return;
        }
        self.traces.show_where_error(None);
        self.refresh_traces();
        query_panel::write_url(&self.state(), true);
    }
}
