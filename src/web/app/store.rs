//! The app's ClickHouse store: connecting (the table described as work of its own), queries
//! pushed down while it is connected (cancellable, answers cached per query), disconnecting,
//! and bringing the matching events into the tab.

use std::rc::Rc;

use super::model::Store;
use super::*;
use crate::backend::{self, Backend, Table};
use super::markers::TABLE_MARKERS;
use crate::query::heatmap::Scale;
use crate::query::{QueryResult, QuerySpec};
use crate::web::fetch::Post;
use crate::web::sources::{clickhouse, load};

impl App {
    /// Describe the table at `c` (and its time range), then run the query there.
    pub(super) fn connect(&mut self, c: clickhouse::Connect) {
        if c.url.is_empty() || c.table.is_empty() {
            self.views.sources.store.show_error(Some("ClickHouse needs an endpoint and a table"));
            return;
        }
        let mut b = Backend::new(&c.url, if c.database.is_empty() { "default" } else { &c.database }, &c.table);
        b.user = Some(c.user).filter(|u| !u.is_empty());
        b.key = Some(c.key).filter(|k| !k.is_empty());
        // The page calls ClickHouse from another origin.
        b.cors = true;
        self.views.sources.store.show_error(None);
        self.views.sources.store.connecting(true);
        let d = self.dispatch.clone();
        wasm_bindgen_futures::spawn_local(async move {
            let mut client = Post::default();
            let out = async {
                let table = Table::discover(&b, &mut client).await?;
                let ds = table.dataset(crate::dataset::SampleRate::Auto)?;
                let range = match ds.time_column().and_then(|t| table.column(t)) {
                    Some(t) => backend::table_range(&mut client, &b, t).await?,
                    None => None,
                };
                Ok((b, table, range))
            }
            .await;
            d.send(Msg::Connected(out));
        });
    }

    pub(super) fn connected(&mut self, out: crate::Result<(Backend, Table, Option<(i64, i64)>)>) {
        let form = &self.views.sources.store;
        form.connecting(false);
        let (backend, table, range) = match out {
            Ok(x) => x,
            Err(e) => return form.show_error(Some(&e.to_string())),
        };
        let mut schema = match table.dataset(crate::dataset::SampleRate::Auto) {
            Ok(ds) => ds,
            Err(e) => return form.show_error(Some(&e.to_string())),
        };
        let _ = schema.set_sample_rate(self.model.sample_rate());
        let what = format!(
            "ClickHouse {}.{} at {} · {} columns{} · queries run there",
            backend.database,
            backend.table,
            backend.url,
            table.columns.len(),
            if table.otel { " (OpenTelemetry collector layout)" } else { "" }
        );
        form.show_connected(Some(&what));
        self.leave_snapshot();
        self.parts.summary.set_text_content(Some(&format!("ClickHouse · {}.{}", backend.database, backend.table)));
        let _ = self.parts.root.set_attribute("data-store", "connected");
        self.model.store = Some(Store { backend, table: Rc::new(table), schema: Rc::new(schema), range });
        self.model.store_wanted = None;
        self.model.cache.clear();
        self.model.trace_cache.clear();
        self.show_weighting();
        self.check_quality();
        // Markers a link takes from a table of this store come now.
        if let Some(u) = self.model.markers_url.clone().filter(|u| u.starts_with(TABLE_MARKERS)) {
            self.fetch_markers(u);
        }
        if self.views.board.open.is_some() {
            self.run_board();
        }
        match self.model.chosen.clone() {
            Some(spec) => self.run(spec, false),
            None => self.run_default(),
        }
    }

    /// Queries run on the loaded data again.
    pub(super) fn disconnect(&mut self) {
        if let Some(c) = self.work.store_query.take() {
            c.abort();
        }
        self.model.store = None;
        self.model.cache.clear();
        self.model.trace_cache.clear();
        self.model.trace_data = None;
        self.views.sources.store.show_connected(None);
        let _ = self.parts.root.remove_attribute("data-store");
        self.data_changed();
    }

    /// The key of an answer in the cache: the query, the weighting, the heatmap axis.
    fn cache_key(&self, spec: &QuerySpec, scale: Scale) -> String {
        format!("{}|{}|{}", spec.to_json(), self.model.weighted, scale.name())
    }

    /// Run `spec` on the store (an answer in the cache shows at once); `false` when no store is
    /// connected.
    pub(super) fn run_on_store(&mut self, run: u64, spec: QuerySpec, push: bool, scale: Scale) -> bool {
        let Some(store) = &self.model.store else { return false };
        if let Some(r) = self.model.cache.get(&self.cache_key(&spec, scale)).cloned() {
            self.show_run(run, spec, push, Ok(r));
            return true;
        }
        if let Some(c) = self.work.store_query.take() {
            c.abort();
        }
        let ctrl = web_sys::AbortController::new().ok();
        self.work.store_query = ctrl.clone();
        let tally = crate::web::fetch::Tally::new();
        self.work.store_tally = Some(tally.clone());
        let tick = self.dispatch.clone();
        self.work.store_tick = Some(gloo_timers::callback::Interval::new(200, move || tick.send(Msg::StoreTick)));
        self.parts.running.set_text_content(Some("ClickHouse: request 1 · 0.0 s"));
        let _ = self.parts.running.set_attribute("data-stage", "clickhouse");
        let _ = self.parts.running.remove_attribute("hidden");
        let _ = self.parts.cancel_query.remove_attribute("hidden");
        let (b, table, d) = (store.backend.clone(), store.table.clone(), self.dispatch.clone());
        let opts = backend::Options { heatmap_scale: scale, sample_rate: self.model.sample_rate() };
        wasm_bindgen_futures::spawn_local(async move {
            let mut client = Post { signal: ctrl.map(|c| c.signal()), tally: Some(tally) };
            let out = backend::query(&mut client, &b, &table, &spec, &opts).await;
            d.send(Msg::QueryDone { run, spec, push, out });
        });
        true
    }

    /// Keep a store's answer for the next time the same query is asked.
    pub(super) fn remember_answer(&mut self, spec: &QuerySpec, result: &QueryResult) {
        if self.model.store.is_none() {
            return;
        }
        let key = self.cache_key(spec, self.model.scale_of(spec));
        self.model.cache.insert(key, result.clone());
    }

    /// Stop the store's query in flight.
    pub(super) fn cancel_query(&mut self) {
        if let Some(c) = self.work.store_query.take() {
            c.abort();
        }
        self.work.store_tick = None;
        self.work.store_tally = None;
    }

    /// While the store works: which request, what ClickHouse has read so far, the time.
    pub(super) fn show_store_progress(&self) {
        if let (Some(t), Some(_)) = (&self.work.store_tally, &self.work.store_query) {
            self.parts.running.set_text_content(Some(&format!("ClickHouse: {}", t.get().text(false))));
        }
    }

    /// The store's query came back: its cost goes next to the store's name.
    pub(super) fn store_query_ended(&mut self, ok: bool) {
        self.work.store_query = None;
        self.work.store_tick = None;
        let (Some(t), Some(store)) = (self.work.store_tally.take(), &self.model.store) else { return };
        if ok {
            let b = &store.backend;
            self.parts.summary.set_text_content(Some(&format!("ClickHouse · {}.{} · last query: {}", b.database, b.table, t.get().text(true))));
        }
    }

    /// Fetch the events the current query matches (at most [`clickhouse::BRING_CAP`]) into the
    /// tab as a source of their own; queries then run on them.
    pub(super) fn bring_into_tab(&mut self) {
        let (Some(store), Some(spec)) = (&self.model.store, self.model.spec.clone()) else { return };
        let (b, table, d) = (store.backend.clone(), store.table.clone(), self.dispatch.clone());
        let name = format!("ClickHouse {}.{} (up to {} matching events)", b.database, b.table, dom::thousands(clickhouse::BRING_CAP as u64));
        self.views.sources.show_busy(&name, "Arrow");
        wasm_bindgen_futures::spawn_local(async move {
            let mut client = Post::default();
            let out = backend::matching_rows(&mut client, &b, &table, &spec, clickhouse::BRING_CAP).await;
            let bytes = out.as_ref().map_or(0, |b| crate::dataset::batches_byte_size(b));
            let out = out.map(|batches| crate::ingest::Loaded { format: crate::ingest::Format::ArrowStream, batches }).map_err(|e| e.to_string());
            if out.is_ok() {
                d.send(Msg::Sources(crate::web::sources::Msg::Disconnect));
            }
            d.send(Msg::Load(load::Event::Done { name, url: None, bytes, hash: None, out }));
        });
    }
}
