//! The app: the top of the browser layer. It mounts into a host element (never assuming it owns
//! the document; a page may hold several), owns the page's state ([`Model`]) and the views, and
//! applies every [`Msg`] in one update function ([`App::update`], in `update.rs`), which changes
//! the model, redraws the views that show what changed, and starts work (loads, queries,
//! BubbleUp, the trace list) whose results come back as messages. Views never import this
//! module: each gets a [`Dispatch`] for its own messages.

use std::cell::{Cell, RefCell};
use std::rc::{Rc, Weak};

use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{Element, HtmlCanvasElement};

use super::bubbleup::BubbleUpView;
use super::dispatch::{send_on, Dispatch, Listeners};
use super::dom::{self, append, el, text_el};
use super::query::{builder::Builder, history::History, json::QueryPanel};
use super::results::{calc_charts::CalcCharts, crosshair::Crosshair, table::ResultsTable, tools::ChartTools};
use super::sources::SourcePanel;
use super::traces::TraceView;

mod board;
mod element;
mod embed;
mod export;
mod markers;
mod model;
mod msg;
mod quality;
mod run;
mod selection;
mod snapshot;
mod store;
mod traces;
mod triggers;
mod update;
mod warm;
pub mod url;

pub use element::define as define_element;
pub use model::{Model, OpenTrace, QualityState};
pub use msg::Msg;

/// Where the page loads data from when nothing else is asked for.
pub const DEMO_URL: &str = "demo.arrow";
/// Default cap on the Arrow bytes a page holds (10M demo events are 2.2 GB; wasm32 ends at
/// 4 GiB, and a load is also refused past what wasm memory has left: `fetch::wasm_room`); a
/// host can set `data-memory-cap` (bytes) on its element.
pub const DEFAULT_MEMORY_CAP: usize = 3 << 30;
/// Default longest stretch of decoding between two turns of the page, in ms; a host can set
/// `data-decode-slice-ms`.
pub const DEFAULT_DECODE_SLICE_MS: f64 = 40.0;
/// Longest stretch of a query before the page gets its turn, in ms (`data-query-slice-ms`).
pub const DEFAULT_QUERY_SLICE_MS: f64 = 25.0;

/// What a host page set on its element.
pub struct Config {
    pub memory_cap: usize,
    /// Longest stretch of decoding before the page gets its turn, in ms.
    pub decode_slice_ms: f64,
    /// Longest stretch of a query before the page gets its turn, in ms.
    pub query_slice_ms: f64,
    /// Whether this app keeps its view in the page's address (the first app on a page does,
    /// unless its element says `data-url="off"`; the others keep theirs to themselves).
    pub owns_url: bool,
    /// How much faster than their frequency triggers run (`data-trigger-speed`; 1).
    pub trigger_speed: f64,
    /// The host page's origin when the app is embedded in an iframe (`?embed-origin=`): the
    /// only origin it takes messages from and posts to (see `embed`).
    pub embed_origin: Option<String>,
}

/// The app's own elements (outside any one view).
pub struct Parts {
    pub host: Element,
    pub root: Element,
    pub summary: Element,
    pub query_line: Element,
    /// A running query's progress (shown once it has taken longer than a slice).
    pub running: Element,
    /// Cancels a query ClickHouse is working on.
    pub cancel_query: Element,
    pub weighting: Element,
    pub weighting_box: web_sys::HtmlInputElement,
    pub error: Element,
    pub canvas: HtmlCanvasElement,
}

/// The views, each drawing one part of the page.
pub struct Views {
    pub sources: SourcePanel,
    pub builder: Builder,
    pub json: QueryPanel,
    pub history: History,
    pub tools: ChartTools,
    pub hover: Crosshair,
    pub calc_charts: CalcCharts,
    pub table: ResultsTable,
    pub bubble: BubbleUpView,
    pub traces: TraceView,
    pub slo: crate::web::slo::SloView,
    pub triggers: crate::web::triggers::TriggersView,
    pub quality: crate::web::quality::QualityView,
    pub export: crate::web::export::ExportMenu,
    pub snapshot: crate::web::snapshot::SnapshotBanner,
    pub markers: crate::web::markers::MarkersControl,
    pub board: crate::web::board::BoardView,
}

/// Work in flight: each kind's latest request number (an older one stops at its next step).
#[derive(Default)]
pub struct Work {
    pub runs: Rc<Cell<u64>>,
    /// The latest BubbleUp (a query also bumps it: its own BubbleUp follows it).
    pub bubble_runs: Rc<Cell<u64>>,
    /// The latest run of the open board's panels.
    pub board_runs: Rc<Cell<u64>>,
    /// The latest trace list request.
    pub traces_due: Rc<Cell<u64>>,
    /// The latest run when the error banner was last shown: a run started before it does not
    /// hide it (a load's warning shown after its data's query started stays up).
    pub error_run: Cell<u64>,
    /// A mismatch warning for the local file being read (shown once it is added).
    pub file_warning: Option<String>,
    /// The store's query in flight (Cancel aborts it), what it has cost so far, and the timer
    /// that shows that while it runs.
    pub store_query: Option<web_sys::AbortController>,
    pub store_tally: Option<Rc<Cell<crate::web::fetch::Tally>>>,
    pub store_tick: Option<gloo_timers::callback::Interval>,
    /// The triggers' schedule.
    pub trigger_tick: Option<gloo_timers::callback::Interval>,
    /// The latest quality check, and the timer that starts it once the page has shown it is
    /// checking.
    pub quality_runs: Cell<u64>,
    pub quality_start: Option<gloo_timers::callback::Timeout>,
    /// The warm-up after a load (`query::warm`) and the timer of its next step.
    pub warming: Option<crate::query::warm::WarmUp>,
    pub warm_timer: Option<gloo_timers::callback::Timeout>,
}

pub struct App {
    pub model: Model,
    pub views: Views,
    pub parts: Parts,
    pub config: Config,
    pub work: Work,
    /// Sends messages to this app (views and work hold clones).
    pub dispatch: Dispatch<Msg>,
    /// The app's own listeners (views hold theirs); removed with the app.
    listeners: Listeners,
    resize: Option<Resize>,
}

/// The observer that redraws the charts when the app's width changes, and its callback.
type Resize = (web_sys::ResizeObserver, Closure<dyn FnMut(js_sys::Array)>);

impl Drop for App {
    fn drop(&mut self) {
        if let Some((observer, _)) = &self.resize {
            observer.disconnect();
        }
        if let Some(c) = &self.model.loading {
            c.abort();
        }
    }
}

thread_local! {
    /// The mounted apps, by host element.
    static MOUNTED: RefCell<Vec<Rc<RefCell<App>>>> = const { RefCell::new(Vec::new()) };
}

/// Mount an app into every element marked `data-apiary` that has none yet.
pub fn mount_all() -> Result<(), JsValue> {
    let hosts = dom::document()?.query_selector_all("[data-apiary]")?;
    for i in 0..hosts.length() {
        if let Some(el) = hosts.item(i).and_then(|n| n.dyn_into::<Element>().ok()) {
            if !MOUNTED.with(|m| m.borrow().iter().any(|a| a.try_borrow().is_ok_and(|a| a.parts.host == el))) {
                App::mount(el)?;
            }
        }
    }
    Ok(())
}

/// Take the app out of `host`: its listeners, observers and work go with it, and the element is
/// emptied. False when no app is mounted there.
#[wasm_bindgen]
pub fn unmount(host: &Element) -> bool {
    let app = MOUNTED.with(|m| {
        let mut m = m.borrow_mut();
        let i = m.iter().position(|a| a.try_borrow().is_ok_and(|a| &a.parts.host == host))?;
        Some(m.remove(i))
    });
    match app {
        Some(app) => {
            dom::clear(host);
            drop(app);
            true
        }
        None => false,
    }
}

/// A dispatch that applies each message to the app in turn: a message sent while the app is
/// updating (an event a DOM change fires) waits in the queue and is applied right after.
fn runtime(app: Weak<RefCell<App>>) -> Dispatch<Msg> {
    let queue: Rc<RefCell<Vec<Msg>>> = Rc::default();
    Dispatch::new(move |msg| {
        queue.borrow_mut().push(msg);
        let Some(app) = app.upgrade() else {
            queue.borrow_mut().clear();
            return;
        };
        let Ok(mut a) = app.try_borrow_mut() else { return };
        // In the order they came, including those sent while applying these.
        loop {
            let next = std::mem::take(&mut *queue.borrow_mut());
            if next.is_empty() {
                break;
            }
            for m in next {
                a.update(m);
            }
        }
    })
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
        let snapshot = crate::web::snapshot::SnapshotBanner::build(&root)?;
        let sources = SourcePanel::build(&root)?;
        let markers = crate::web::markers::MarkersControl::build(&root)?;
        let board = crate::web::board::BoardView::build(&root)?;
        let builder = Builder::build(&root)?;
        let json = QueryPanel::build(&root)?;
        let history = History::build(&root)?;
        let slo = crate::web::slo::SloView::build(&root)?;
        let triggers = crate::web::triggers::TriggersView::build(&root)?;
        let bar = el("div", "ap-bar")?;
        let query_line = el("div", "ap-query")?;
        append(&bar, &query_line)?;
        let running = el("span", "ap-running")?;
        running.set_attribute("role", "status")?;
        running.set_attribute("hidden", "")?;
        append(&bar, &running)?;
        let cancel_query = text_el("button", "ap-button ap-cancel-query", "Cancel")?;
        cancel_query.set_attribute("hidden", "")?;
        append(&bar, &cancel_query)?;
        let export = crate::web::export::ExportMenu::build(&bar)?;
        let weighting = el("label", "ap-toggle ap-weighting")?;
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
        let table = ResultsTable::build(&root)?;
        let traces = TraceView::build(&root)?;
        let quality = crate::web::quality::QualityView::build(&root)?;
        append(&host, &root)?;
        root.set_attribute("data-state", "loading")?;

        // `data-x` on any element; on `<apiary-view>`, plain `x` too.
        let element = host.tag_name().eq_ignore_ascii_case("apiary-view");
        let attr = |name: &str| host.get_attribute(name).or_else(|| element.then(|| host.get_attribute(name.trim_start_matches("data-"))).flatten());
        let num = |name: &str| attr(name).and_then(|v| v.parse::<f64>().ok()).filter(|v| *v >= 0.0);
        // An element keeps the page's address only when it says `url="on"`.
        let url_choice = attr("data-url");
        let wants_url = if element { url_choice.as_deref() == Some("on") } else { url_choice.as_deref() != Some("off") };
        let owns_url = wants_url && !MOUNTED.with(|m| m.borrow().iter().any(|a| a.try_borrow().is_ok_and(|a| a.config.owns_url)));
        let config = Config {
            memory_cap: attr("data-memory-cap").and_then(|v| v.parse().ok()).unwrap_or(DEFAULT_MEMORY_CAP),
            decode_slice_ms: num("data-decode-slice-ms").unwrap_or(DEFAULT_DECODE_SLICE_MS),
            query_slice_ms: num("data-query-slice-ms").unwrap_or(DEFAULT_QUERY_SLICE_MS),
            trigger_speed: num("data-trigger-speed").filter(|s| *s > 0.0).unwrap_or(1.0),
            embed_origin: owns_url.then(embed::origin_from_address).flatten(),
            owns_url,
        };
        if let Some(t) = attr("data-theme") {
            update::set_theme(&root, &t);
        }
        let first_source = source_url(&host, owns_url);
        // A host may point the app at its ClickHouse (`data-backend` and friends) instead.
        if let Some(u) = attr("data-decoder-url") {
            crate::web::decode_worker::set_decoder_url(&u);
        }
        let mut host_store = attr("data-backend").map(|url| {
            let attr = |n: &str| attr(n).unwrap_or_default();
            super::sources::clickhouse::Connect { url, database: attr("data-backend-database"), table: attr("data-backend-table"), user: attr("data-backend-user"), key: attr("data-backend-key") }
        });
        let host_markers = attr("data-markers");
        let host_view = attr("data-view");
        let first_query = element.then(|| host.get_attribute("query")).flatten().and_then(|q| crate::QuerySpec::from_json_str(&q).ok());
        let app = Rc::new_cyclic(|me: &Weak<RefCell<App>>| {
            RefCell::new(App {
                model: Model::default(),
                views: Views { sources, builder, json, history, tools, hover, calc_charts, table, bubble, traces, slo, triggers, quality, board, export, snapshot, markers },
                parts: Parts { host, root, summary, query_line, running, cancel_query, weighting, weighting_box, error, canvas },
                config,
                work: Work::default(),
                dispatch: runtime(me.clone()),
                listeners: Vec::new(),
                resize: None,
            })
        });
        MOUNTED.with(|m| m.borrow_mut().push(app.clone()));
        let mut a = app.borrow_mut();
        // The element's `query` attribute: the first query (a link's still wins).
        if let Some(q) = first_query {
            a.model.chosen = Some(q);
        }

        a.listen()?;
        a.start_trigger_clock();
        a.model.triggers = a.views.triggers.saved.clone();
        // A link's state wins over src= and the demo.
        let mut urls = if host_store.is_some() { Vec::new() } else { vec![first_source] };
        // The address's link (for the app that owns it), else the host's `view` attribute.
        let link = a.config.owns_url.then(url::link_from_url).flatten().or_else(|| host_view.as_deref().and_then(url::link_from_text));
        match link {
            Some(Ok(url::Link::Live(state))) => urls = a.follow_link(&state, urls),
            // A snapshot carries its result: nothing loads until the live view is asked for.
            Some(Ok(url::Link::Snapshot(snap))) => {
                urls = Vec::new();
                host_store = None;
                a.open_snapshot(*snap);
            }
            Some(Err(e)) => a.show_error(&format!("This link could not be read: {e}")),
            None => {}
        }
        // The host's markers (`data-markers`: a URL) unless a link brought its own.
        if let (Some(u), true) = (host_markers, a.model.markers_url.is_none() && a.model.markers.is_empty()) {
            a.fetch_markers(u);
        }
        drop(a);
        if let Some(c) = host_store {
            let a = app.borrow();
            a.views.sources.store.ask(&c.url, &c.database, &c.table, None);
            a.views.sources.store.set_credentials(&c.user, &c.key);
            let d = a.dispatch.clone();
            drop(a);
            d.send(Msg::Sources(super::sources::Msg::Connect(c)));
        }
        for url in urls {
            let d = app.borrow().dispatch.clone();
            d.send(Msg::Sources(super::sources::Msg::LoadUrl(url)));
        }
        Ok(())
    }

    /// Take a live link's state: its query and view choices, its triggers, the local files or
    /// store it asks for. Returns the URLs to load (`urls` unless the link names its own data).
    pub(super) fn follow_link(&mut self, state: &crate::permalink::State, mut urls: Vec<String>) -> Vec<String> {
        self.apply_link(state);
        let link_triggers = self.model.triggers.clone();
        self.views.triggers.adopt(link_triggers);
        self.model.triggers = self.views.triggers.saved.clone();
        if !state.sources.is_empty() || !state.files.is_empty() {
            // Only what the link names: never the demo in place of its local files.
            urls = state.sources.clone();
        }
        self.model.wanted = state.files.clone();
        self.views.sources.show_wanted(&self.model.wanted);
        if let Some(w) = self.model.store_wanted.clone() {
            // A link never carries credentials: ask for them.
            let s = |k: &str| w.get(k).and_then(|v| v.as_str()).unwrap_or("").to_string();
            self.views.sources.store.ask(&s("url"), &s("database"), &s("table"), Some("This link reads from ClickHouse, and links never carry credentials: enter your user and key, then Connect."));
            // Its queries run on the store: nothing loads before it is connected.
            urls = Vec::new();
            self.parts.summary.set_text_content(Some("Waiting for ClickHouse credentials"));
            let _ = self.parts.root.set_attribute("data-state", "waiting");
        } else if urls.is_empty() {
            self.parts.summary.set_text_content(Some("Waiting for the link's local files"));
            let _ = self.parts.root.set_attribute("data-state", "waiting");
        }
        urls
    }

    /// Give each view a dispatch for its messages, and listen for what belongs to the app.
    fn listen(&mut self) -> Result<(), JsValue> {
        let d = self.dispatch.clone();
        let v = &mut self.views;
        let mut all = v.sources.listen(&self.parts.root, &d.map(Msg::Sources));
        all.extend(v.builder.listen(&d.map(Msg::Builder)));
        all.extend(v.json.listen(&d.map(Msg::Json)));
        all.extend(v.history.listen(&d.map(Msg::History)));
        all.extend(v.slo.listen(&d.map(Msg::Slo)));
        all.extend(v.triggers.listen(&d.map(Msg::Triggers)));
        all.extend(v.tools.listen(&d.map(Msg::Tools)));
        all.extend(v.bubble.listen(&self.parts.canvas, &d.map(Msg::BubbleUp)));
        all.extend(Crosshair::listen(&self.parts.canvas, &d.map(Msg::Crosshair)));
        all.extend(v.calc_charts.listen(&d.map(Msg::CalcCharts)));
        all.extend(v.table.listen(&d.map(Msg::Table)));
        all.extend(v.traces.listen(&d.map(Msg::Traces)));
        all.extend(v.quality.listen(&d.map(Msg::Quality)));
        all.extend(v.export.listen(&d.map(Msg::Export)));
        all.extend(v.snapshot.listen(&d.map(Msg::Snapshot)));
        all.extend(v.markers.listen(&d.map(Msg::Markers)));
        all.extend(v.board.listen(&d.map(Msg::Board)));
        let input = self.parts.weighting_box.clone();
        all.push(send_on::<web_sys::Event, _>(&self.parts.weighting_box, "change", &d, move |_| Some(Msg::Weighting(input.checked()))));
        all.push(send_on::<web_sys::Event, _>(&self.parts.cancel_query, "click", &d, |_| Some(Msg::CancelQuery)));
        if let Some(origin) = &self.config.embed_origin {
            all.extend(embed::listen(origin, &d));
        }
        // Charts are drawn in the colours of the scheme they were drawn in: draw them again when
        // the system's changes (the page's CSS follows it by itself).
        if let Some(scheme) = dom::window()?.match_media("(prefers-color-scheme: dark)")? {
            all.push(send_on::<web_sys::Event, _>(&scheme, "change", &d, |_| Some(Msg::SchemeChanged)));
        }
        if self.config.owns_url {
            let win: web_sys::EventTarget = dom::window()?.into();
            all.push(send_on::<web_sys::Event, _>(&win, "popstate", &d, |_| Some(Msg::PopState)));
        }
        self.listeners = all;
        // Charts are drawn at their box's pixel size: draw them again when the app's width
        // changes (a window resize, a host panel opened or dragged wider).
        let width = Rc::new(Cell::new(self.parts.root.client_width()));
        let root = self.parts.root.clone();
        let cb = Closure::<dyn FnMut(js_sys::Array)>::new(move |_entries: js_sys::Array| {
            let w = root.client_width();
            if w != width.get() && w != 0 {
                width.set(w);
                d.send(Msg::Resized);
            }
        });
        let observer = web_sys::ResizeObserver::new(cb.as_ref().unchecked_ref())?;
        observer.observe(&self.parts.root);
        self.resize = Some((observer, cb));
        Ok(())
    }

    /// Write the view into the page's address (a new history entry with `push`), when this app
    /// keeps it there and has data.
    pub fn write_url(&self, push: bool) {
        if self.config.owns_url && (!self.model.sources.is_empty() || self.model.store.is_some()) {
            url::write_url(&self.model.link(), push);
        }
    }

    /// This view's link: the page's address with the view in its fragment.
    pub fn link_href(&self) -> String {
        format!("{}#{}", url::page_base(), self.model.link().encode())
    }

    /// The link Copy link shares (on a snapshot, its live view's), kept on the root as
    /// `data-permalink`.
    pub(super) fn share_link(&self) -> String {
        let href = if self.config.owns_url && self.model.snapshot.is_none() { dom::window().ok().and_then(|w| w.location().href().ok()).unwrap_or_default() } else { self.link_href() };
        let _ = self.parts.root.set_attribute("data-permalink", &href);
        href
    }
}

/// `src=` in the page URL wins (for the app that owns the address), then the host's `data-src`,
/// then the built-in demo.
fn source_url(host: &Element, owns_url: bool) -> String {
    let element = host.tag_name().eq_ignore_ascii_case("apiary-view");
    let own = element.then(|| host.get_attribute("src")).flatten();
    let from_query = owns_url
        .then(|| dom::window().ok()?.location().search().ok())
        .flatten()
        .and_then(|s| web_sys::UrlSearchParams::new_with_str(&s).ok())
        .and_then(|p| p.get("src"));
    from_query.or(own).or_else(|| host.get_attribute("data-src")).unwrap_or_else(|| DEMO_URL.to_string())
}
