//! Everything that can happen to the page: what a person does in a part of it (that part's own
//! messages, wrapped), and work coming back with its result.

use crate::bubbleup::{BubbleUp, Selection};
use crate::query::{QueryResult, QuerySpec};
use crate::trace::TraceSummary;
use crate::web::pace::Progress;
use crate::web::{bubbleup, query, results, sources, traces};

pub enum Msg {
    Sources(sources::Msg),
    Load(sources::load::Event),
    Builder(query::builder::Msg),
    Json(query::json::Msg),
    /// A recent query picked again (its JSON text).
    History(String),
    Tools(results::tools::Msg),
    Crosshair(results::crosshair::Msg),
    CalcCharts(results::calc_charts::Msg),
    Table(results::table::Msg),
    BubbleUp(bubbleup::Msg),
    Slo(crate::web::slo::Msg),
    Triggers(crate::web::triggers::Msg),
    Quality(crate::web::quality::Msg),
    Export(crate::web::export::Msg),
    Snapshot(crate::web::snapshot::Msg),
    Markers(crate::web::markers::Msg),
    Board(crate::web::board::Msg),
    /// A board panel's query (of board run `run`) came back.
    BoardDone { run: u64, panel: usize, out: crate::Result<QueryResult> },
    /// Markers read from a file or fetched (`from`: the URL).
    MarkersRead { from: Option<String>, out: Result<Vec<crate::marker::Marker>, String> },
    /// Whether the snapshot's live data answered from here.
    Reached(crate::web::snapshot::Reach),
    /// A message from the page that embeds this one in an iframe.
    Embed(super::embed::Ask),
    /// Quality check `run` ended (`took`: ms).
    QualityDone { run: u64, out: Result<crate::quality::Report, String>, took: f64 },
    /// The warm-up's next step is due.
    WarmStep,
    /// The triggers' schedule ticks: evaluate those due.
    TriggerTick,
    /// A trigger's evaluation (the payload, or why it failed).
    TriggerDone { trigger: crate::trigger::Trigger, out: Result<serde_json::Value, String> },
    /// A trigger's webhook could not be reached.
    TriggerWebhookFailed(String),
    Traces(traces::Msg),
    /// The weighting toggle.
    Weighting(bool),
    /// The host chose a theme (`light`, `dark`, `auto`).
    Theme(String),
    /// The system's colour scheme changed (light ⇄ dark): canvases follow it unless the host
    /// chose a theme.
    SchemeChanged,
    /// The app's width changed: draw the charts again.
    Resized,
    /// Back/forward: show the view the URL now holds.
    PopState,
    /// Long work's progress (query, BubbleUp).
    Progress(Progress),
    /// Run `run` of the query ended (`push`: a new history entry).
    QueryDone { run: u64, spec: QuerySpec, push: bool, out: crate::Result<QueryResult> },
    BubbleUpDone { run: u64, selection: Selection, push: bool, out: crate::Result<BubbleUp> },
    /// The trace list is due to refresh (request `due`).
    TracesDue(u64),
    /// `cache`: the store's key for this list (kept for back/forward).
    TracesDone { due: u64, scope: String, out: crate::Result<Vec<TraceSummary>>, cache: Option<String> },
    /// A ClickHouse table was described (with its time range), or could not be.
    Connected(crate::Result<(crate::backend::Backend, crate::backend::Table, Option<(i64, i64)>)>),
    /// Cancel the store's query in flight.
    CancelQuery,
    /// Show how far the store's query has come (a timer, while it runs).
    StoreTick,
    /// A trace's spans arrived from the store.
    TraceFetched { trace: super::OpenTrace, push: bool, out: crate::Result<Vec<arrow_array::RecordBatch>> },
}
