//! The app's quality report: checked on the events in the tab (or counted by the connected
//! ClickHouse) when asked, again when the data or the store changes while it is on view, and
//! from a link; each finding's query opens in the builder.

use super::*;
use crate::web::quality::Out;

impl App {
    pub(super) fn quality_out(&mut self, outs: Vec<Out>) {
        for out in outs {
            match out {
                Out::Check(conventions) => {
                    let service = self.model.quality.take().and_then(|q| q.service);
                    self.model.quality = Some(QualityState { conventions, service });
                    self.write_url(true);
                    self.check_quality();
                }
                Out::Focus(service) => {
                    let q = self.model.quality.get_or_insert_with(QualityState::default);
                    q.service = service.clone();
                    self.views.quality.set_focus(service);
                    self.write_url(false);
                }
                Out::Query(query) => {
                    self.open_query(&query.to_string());
                    self.parts.canvas.scroll_into_view();
                }
            }
        }
    }

    /// Report on the events in the tab, when a report is on view: the page first says it is
    /// checking, then the check runs in one go (at 5M events, about a second).
    pub(super) fn check_quality(&mut self) {
        let Some(q) = self.model.quality.clone() else { return };
        let run = self.work.quality_runs.get() + 1;
        self.work.quality_runs.set(run);
        if let Some(store) = &self.model.store {
            // Counted by ClickHouse; trace health needs the spans in the tab.
            self.views.quality.busy(Some(&format!("checking {}.{} in ClickHouse…", store.backend.database, store.backend.table)));
            let (backend, table, d) = (store.backend.clone(), Rc::clone(&store.table), self.dispatch.clone());
            wasm_bindgen_futures::spawn_local(async move {
                let t0 = dom::now();
                let mut client = crate::web::fetch::Post::default();
                let out = crate::backend::quality::report(&mut client, &backend, &table, q.conventions.as_ref()).await.map_err(|e| e.to_string());
                d.send(Msg::QualityDone { run, out, took: dom::now() - t0 });
            });
            return;
        }
        if self.model.data.num_rows() == 0 {
            return;
        }
        self.views.quality.busy(Some(&format!("checking {} events…", dom::thousands(self.model.data.num_rows() as u64))));
        let data = Rc::clone(&self.model.data);
        let d = self.dispatch.clone();
        self.work.quality_start = Some(gloo_timers::callback::Timeout::new(20, move || {
            let t0 = dom::now();
            let report = crate::quality::evaluate(&data, q.conventions.as_ref());
            d.send(Msg::QualityDone { run, out: Ok(report), took: dom::now() - t0 });
        }));
    }

    pub(super) fn quality_done(&mut self, run: u64, out: Result<crate::quality::Report, String>, took: f64) {
        if run != self.work.quality_runs.get() {
            return;
        }
        let focus = self.model.quality.as_ref().and_then(|q| q.service.clone());
        self.views.quality.render(out, focus, took, dom::theme_of(&self.parts.root));
    }
}
