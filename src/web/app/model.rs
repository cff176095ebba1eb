//! The page's state as one value: what is loaded, the query and its result, and every choice
//! a person made about the view. Views draw from it; only the app's update function changes
//! it; the permalink is a projection of it ([`Model::link`]) and a link is read back into it
//! ([`Model::apply_link`]).

use std::rc::Rc;

use std::collections::HashMap;

use crate::backend::{Backend, Table};
use crate::bubbleup::Selection;
use crate::dataset::{DataSet, SampleRate};
use crate::permalink::{FileRef, State};
use crate::query::heatmap::Scale;
use crate::query::{QueryResult, QuerySpec};
use crate::web::results::table::TableView;
use crate::web::sources::Source;

/// A connected ClickHouse table: queries run there.
pub struct Store {
    pub backend: Backend,
    pub table: Rc<Table>,
    /// The table's schema with no rows (the builder's completions, the local engine's checks).
    pub schema: Rc<DataSet>,
    /// The table's first and last event time (ms).
    pub range: Option<(i64, i64)>,
}

/// The quality report on view: the team conventions it checks, the service in focus.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct QualityState {
    pub conventions: Option<crate::quality::Conventions>,
    pub service: Option<String>,
}

/// The trace open in the waterfall.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct OpenTrace {
    pub id: String,
    pub span: Option<String>,
    /// The stretch on view (ms from the trace's start) when it is not the whole trace.
    pub zoom: Option<(f64, f64)>,
}

/// Most markers from a file a link carries itself (more: the link has none of them).
pub const MARKERS_IN_LINK: usize = 100;

pub struct Model {
    pub sources: Vec<Source>,
    /// Shared with a running query, which reads it between its steps; changed by copy on write
    /// (`Rc::make_mut`) when a query still holds it.
    pub data: Rc<DataSet>,
    /// The query shown, and its result.
    pub spec: Option<QuerySpec>,
    pub result: Option<QueryResult>,
    /// A query someone chose (typed, pasted, or opened from a link): kept when data changes.
    pub chosen: Option<QuerySpec>,
    /// The results table's sort and isolated series.
    pub table: TableView,
    /// Some of the query's events, compared by BubbleUp with the rest.
    pub selection: Option<Selection>,
    /// The person's choice of heatmap axis; `None` follows [`Scale::auto_for`].
    pub heat_scale: Option<Scale>,
    /// The trace search's filters ("traces with a span where …"), as typed.
    pub trace_where: String,
    /// The SLO on view (its report drawn from the data in the tab).
    pub slo: Option<crate::slo::Slo>,
    /// The triggers (in links without their webhooks).
    pub triggers: Vec<crate::trigger::Trigger>,
    /// The quality report, when one was asked for.
    pub quality: Option<QualityState>,
    pub trace: Option<OpenTrace>,
    /// The open trace's spans when they came from the store (else they are in `data`).
    pub trace_data: Option<Rc<DataSet>>,
    /// Sample-rate weighting asked for (when the data has a sample-rate column).
    pub weighted: bool,
    /// Local files a link asks for that have not been added yet.
    pub wanted: Vec<FileRef>,
    /// What a link asks for once its query has run: a table view, a trace.
    pub pending_table: Option<TableView>,
    pub pending_trace: Option<OpenTrace>,
    /// The load in progress (Cancel aborts it).
    pub loading: Option<web_sys::AbortController>,
    /// The ClickHouse table queries run on, when one is connected.
    pub store: Option<Store>,
    /// A store a link names (where, never who): the page asks for credentials.
    pub store_wanted: Option<serde_json::Value>,
    /// Answers from the store, per query (and weighting and heatmap axis): back/forward and
    /// repeated queries do not ask again.
    pub cache: HashMap<String, QueryResult>,
    /// The store's slowest-trace lists, per query and narrowing.
    pub trace_cache: HashMap<String, Vec<crate::trace::TraceSummary>>,
    /// The snapshot on view, when the page shows a result carried in its link (no data).
    pub snapshot: Option<crate::snapshot::Snapshot>,
    /// Markers on every time chart, and the URL they came from (a link carries the URL, or a
    /// file's markers themselves when there are few).
    pub markers: Vec<crate::marker::Marker>,
    pub markers_url: Option<String>,
    /// The board on view (its panels run on the same data).
    pub board: Option<crate::board::Board>,
}

impl Default for Model {
    fn default() -> Model {
        Model {
            sources: Vec::new(),
            data: Rc::new(DataSet::empty()),
            spec: None,
            result: None,
            chosen: None,
            table: TableView::default(),
            selection: None,
            heat_scale: None,
            trace_where: String::new(),
            slo: None,
            triggers: Vec::new(),
            quality: None,
            trace: None,
            trace_data: None,
            weighted: true,
            wanted: Vec::new(),
            pending_table: None,
            pending_trace: None,
            loading: None,
            store: None,
            store_wanted: None,
            cache: HashMap::new(),
            trace_cache: HashMap::new(),
            snapshot: None,
            markers: Vec::new(),
            markers_url: None,
            board: None,
        }
    }
}

impl Model {
    /// The axis HEATMAP of `column` is drawn on.
    pub fn scale_for(&self, column: &str) -> Scale {
        self.heat_scale.unwrap_or_else(|| Scale::auto_for(column))
    }

    /// The axis `spec`'s HEATMAP is drawn on (linear when it has none).
    pub fn scale_of(&self, spec: &QuerySpec) -> Scale {
        let calcs = spec.effective_calculations();
        let heat = calcs.iter().find(|c| c.op == crate::query::spec::CalcOp::Heatmap).and_then(|c| c.column.as_deref());
        heat.map_or(Scale::Linear, |c| self.scale_for(c))
    }

    /// The sample-rate choice the weighting toggle stands for.
    pub fn sample_rate(&self) -> SampleRate {
        if self.weighted { SampleRate::Auto } else { SampleRate::Off }
    }

    /// What queries run on: the store's schema when one is connected, else the loaded data.
    pub fn target(&self) -> &DataSet {
        self.store.as_ref().map_or(&self.data, |s| &s.schema)
    }

    /// The first and last event time of what queries run on.
    pub fn time_range(&self) -> Option<(i64, i64)> {
        match &self.store {
            Some(s) => s.range,
            None => self.data.time_range(),
        }
    }

    /// What the page shows, as a link's state.
    pub fn link(&self) -> State {
        let mut v = serde_json::json!({"weight": self.weighted});
        if let Some(sel) = &self.selection {
            v["selection"] = sel.to_json();
        }
        if let Some(i) = self.table.isolated {
            v["isolate"] = serde_json::json!(i);
        }
        if let Some(s) = self.heat_scale {
            v["heat_scale"] = serde_json::json!(s.name());
        }
        if !self.trace_where.trim().is_empty() {
            v["trace_where"] = serde_json::json!(self.trace_where.trim());
        }
        if let Some((k, desc)) = self.table.sort {
            v["sort"] = serde_json::json!([k, if desc { "desc" } else { "asc" }]);
        }
        if let Some(t) = &self.trace {
            v["trace"] = serde_json::json!(t.id);
            if let Some(s) = &t.span {
                v["span"] = serde_json::json!(s);
            }
            if let Some((z0, z1)) = t.zoom {
                // Microseconds are plenty, and keep the link short.
                let us = |x: f64| (x * 1000.0).round() / 1000.0;
                v["zoom"] = serde_json::json!([us(z0), us(z1)]);
            }
        }
        if let Some(b) = &self.board {
            v["board"] = b.to_json();
        }
        if let Some(s) = self.slo.as_ref().and_then(|s| serde_json::to_value(s).ok()) {
            v["slo"] = s;
        }
        if !self.triggers.is_empty() {
            let bare: Vec<crate::trigger::Trigger> = self.triggers.iter().map(|t| crate::trigger::Trigger { webhook_url: None, ..t.clone() }).collect();
            v["triggers"] = serde_json::to_value(bare).unwrap_or_default();
        }
        if let Some(q) = &self.quality {
            let mut o = serde_json::json!({});
            if let Some(c) = q.conventions.as_ref().and_then(|c| serde_json::to_value(c).ok()) {
                o["conventions"] = c;
            }
            if let Some(s) = &q.service {
                o["service"] = serde_json::json!(s);
            }
            v["quality"] = o;
        }
        match &self.markers_url {
            Some(u) => v["markers_url"] = serde_json::json!(crate::permalink::scrub_url(u)),
            None if !self.markers.is_empty() && self.markers.len() <= MARKERS_IN_LINK => {
                v["markers"] = serde_json::json!(self.markers.iter().map(crate::marker::Marker::to_json).collect::<Vec<_>>());
            }
            None => {}
        }
        if let Some(s) = &self.store {
            v["store"] = s.backend.link();
        } else if let Some(w) = &self.store_wanted {
            v["store"] = w.clone();
        }
        State {
            sources: self.sources.iter().filter_map(|s| s.url.clone()).collect(),
            files: self
                .sources
                .iter()
                .filter(|s| s.url.is_none())
                .filter_map(|s| Some(FileRef { name: s.name.clone(), size: s.bytes as u64, hash: s.hash.clone()? }))
                .chain(self.wanted.iter().cloned())
                .collect(),
            query: self.spec.as_ref().map(QuerySpec::to_json).unwrap_or(serde_json::json!({})),
            view: v,
        }
    }

    /// Take the query and view choices of a link (its data loads separately); the query's error
    /// when it cannot be read.
    pub fn apply_link(&mut self, state: &State) -> Result<(), String> {
        let view = &state.view;
        self.selection = view.get("selection").and_then(|v| Selection::from_json(v).ok());
        self.pending_trace = view.get("trace").and_then(|v| v.as_str()).map(|t| OpenTrace {
            id: t.to_string(),
            span: view.get("span").and_then(|v| v.as_str()).map(str::to_string),
            zoom: view.get("zoom").and_then(|z| Some((z.get(0)?.as_f64()?, z.get(1)?.as_f64()?))),
        });
        let sort = view.get("sort").and_then(|s| Some((s.get(0)?.as_u64()? as usize, s.get(1)?.as_str()? == "desc")));
        let isolated = view.get("isolate").and_then(|i| i.as_u64()).map(|i| i as usize);
        self.pending_table = Some(TableView { sort, isolated });
        self.trace_where = view.get("trace_where").and_then(|v| v.as_str()).unwrap_or("").to_string();
        self.store_wanted = view.get("store").filter(|s| s.get("url").and_then(|u| u.as_str()).is_some()).cloned();
        self.heat_scale = view.get("heat_scale").and_then(|v| v.as_str()).and_then(Scale::parse);
        self.board = view.get("board").and_then(|b| crate::board::Board::from_json(b).ok());
        self.slo = view.get("slo").and_then(|s| crate::slo::Slo::from_json_str(&s.to_string()).ok());
        self.triggers = view.get("triggers").and_then(|t| t.as_array()).map(|a| a.iter().filter_map(|t| crate::trigger::Trigger::from_json_str(&t.to_string()).ok()).collect()).unwrap_or_default();
        self.quality = view.get("quality").filter(|q| q.is_object()).map(|q| QualityState {
            conventions: q.get("conventions").and_then(|c| crate::quality::Conventions::parse(&c.to_string()).ok()),
            service: q.get("service").and_then(|s| s.as_str()).map(str::to_string),
        });
        // Markers a link carries; a URL's are fetched by the app.
        self.markers_url = view.get("markers_url").and_then(|u| u.as_str()).map(str::to_string);
        if self.markers_url.is_none() {
            self.markers = view.get("markers").and_then(|m| m.as_array()).and_then(|a| crate::marker::from_items(a, "the link's markers").ok()).unwrap_or_default();
        }
        if let Some(w) = view.get("weight").and_then(|w| w.as_bool()) {
            let _ = self.set_weighted(w);
        }
        let spec = QuerySpec::from_json(&state.query).map_err(|e| format!("The link's query: {e}"))?;
        self.chosen = Some(spec);
        Ok(())
    }

    /// Weight by the detected sample-rate column, or not.
    pub fn set_weighted(&mut self, on: bool) -> crate::Result<()> {
        self.weighted = on;
        let mode = self.sample_rate();
        if let Some(s) = &mut self.store {
            Rc::make_mut(&mut s.schema).set_sample_rate(mode.clone())?;
        }
        Rc::make_mut(&mut self.data).set_sample_rate(mode)
    }
}
