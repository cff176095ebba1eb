//! Snapshots in the page (`crate::snapshot`): Copy snapshot puts the result on view into a link;
//! a snapshot link shows that result, drawn as the live view drew it, with no data loaded; the
//! banner offers the live view when its data can be reached, and opening it loads that data and
//! runs the query live.

use super::*;
use crate::permalink::State;
use crate::snapshot::{Snapshot, LINK_BUDGET};
use crate::web::snapshot::{self as banner, Reach};

impl App {
    /// Show `snap`: its result and view choices, no data; the banner says what it is.
    pub(super) fn open_snapshot(&mut self, snap: Snapshot) {
        self.apply_link(&snap.live);
        let spec = match crate::QuerySpec::from_json(&snap.live.query) {
            Ok(s) => s,
            Err(e) => return self.show_error(&format!("This snapshot's query could not be read: {e}")),
        };
        let m = &mut self.model;
        m.table = m.pending_table.take().unwrap_or_default();
        if m.table.isolated.is_some_and(|i| i >= snap.result.results.len()) {
            m.table.isolated = None;
        }
        // The trace it had open needs the data: the live view opens it.
        m.pending_trace = None;
        m.result = Some(snap.result.clone());
        m.spec = Some(spec.clone());
        self.views.json.show(&spec.to_json());
        self.views.builder.show(&spec, snap.result.range_ms);
        let _ = self.parts.root.set_attribute("data-spec", &spec.to_json().to_string());
        let _ = self.parts.root.set_attribute("data-mode", "snapshot");
        let taken = crate::query::result::iso8601(snap.taken_ms);
        let taken = format!("{} {} UTC", taken.get(..10).unwrap_or(""), taken.get(11..16).unwrap_or(""));
        self.views.snapshot.show(&taken, snap.note().as_deref());
        self.parts.summary.set_text_content(Some(&format!("Snapshot · {} groups · {} matching events", dom::thousands(snap.result.results.len() as u64), dom::thousands(snap.result.rows_matched))));
        self.probe_live(&snap.live);
        self.board_from_snapshot(&snap.panels);
        self.model.snapshot = Some(snap);
        if let Err(e) = self.render() {
            self.show_error(&e);
        }
        let _ = self.parts.root.set_attribute("data-state", "ready");
    }

    /// Find out whether the snapshot's live data answers from here (back as [`Msg::Reached`]).
    fn probe_live(&self, live: &State) {
        let reach = if live.view.get("store").and_then(|s| s.get("url")).and_then(|u| u.as_str()).is_some() {
            Reach::Store(live.view["store"]["url"].as_str().unwrap_or("").to_string())
        } else if !live.files.is_empty() && live.sources.is_empty() {
            Reach::Files(live.files.iter().map(|f| f.name.clone()).collect())
        } else if live.sources.is_empty() {
            Reach::Nothing
        } else {
            Reach::Checking
        };
        self.views.snapshot.set_reach(&reach);
        if reach != Reach::Checking {
            return;
        }
        let (urls, d) = (live.sources.clone(), self.dispatch.clone());
        wasm_bindgen_futures::spawn_local(async move {
            let mut missing = Vec::new();
            for u in urls {
                if !crate::web::fetch::reachable(&u).await {
                    missing.push(u);
                }
            }
            d.send(Msg::Reached(if missing.is_empty() { Reach::Yes } else { Reach::No(missing) }));
        });
    }

    pub(super) fn reached(&self, reach: Reach) {
        if self.model.snapshot.is_some() {
            self.views.snapshot.set_reach(&reach);
        }
    }

    pub(super) fn snapshot_out(&mut self, out: Option<banner::Out>) {
        if let Some(banner::Out::OpenLive) = out {
            self.open_live();
        }
    }

    /// The live view behind what is on view: the snapshot's data with the view as it is now.
    pub(super) fn live_state(&self) -> State {
        let mut state = self.model.link();
        if let Some(s) = &self.model.snapshot {
            state.sources = s.live.sources.clone();
            state.files = s.live.files.clone();
        }
        state
    }

    /// Leave the snapshot: the page shows live data from now on.
    pub(super) fn leave_snapshot(&mut self) {
        if self.model.snapshot.take().is_some() {
            self.views.snapshot.hide();
            let _ = self.parts.root.remove_attribute("data-mode");
        }
    }

    /// Open the live view of the snapshot on view: its link goes into the address, its data
    /// loads (or, when data is already here, its query runs on it).
    pub(super) fn open_live(&mut self) {
        if self.model.snapshot.is_none() {
            return;
        }
        let state = self.live_state();
        self.leave_snapshot();
        if self.config.owns_url {
            url::write_url(&state, true);
        }
        if !self.model.sources.is_empty() || self.model.store.is_some() {
            self.apply_link(&state);
            if let Some(spec) = self.model.chosen.clone() {
                self.run(spec, false);
            }
            return;
        }
        self.load_live(&state);
    }

    /// Follow a live link from a snapshot with no data here yet: its choices, then its data.
    pub(super) fn load_live(&mut self, state: &State) {
        let _ = self.parts.root.set_attribute("data-state", "loading");
        self.parts.summary.set_text_content(Some("Loading…"));
        for u in self.follow_link(state, Vec::new()) {
            self.dispatch.send(Msg::Sources(crate::web::sources::Msg::LoadUrl(u)));
        }
    }

    /// Copy snapshot: the result on view in a link that fits [`LINK_BUDGET`] with the page's
    /// address (trimmed with a note when it must be).
    pub(super) fn copy_snapshot(&mut self) {
        let base = url::page_base();
        let live = self.live_state();
        let (fragment, note) = match (&self.model.snapshot, &self.model.result) {
            // A snapshot copied again keeps its time and what it already left out.
            (Some(s), _) => {
                let again = Snapshot { live, ..s.clone() };
                (again.encode(), again.note())
            }
            (None, Some(result)) if self.views.board.open.is_some() => {
                let budget = crate::snapshot::BOARD_BUDGET.saturating_sub(base.len() + 1);
                let (fragment, snap) = Snapshot::fit_board(&live, result, &self.board_results(), js_sys::Date::now() as i64, budget);
                (fragment, snap.note())
            }
            (None, Some(result)) => {
                let (fragment, snap) = Snapshot::fit(&live, result, js_sys::Date::now() as i64, LINK_BUDGET.saturating_sub(base.len() + 1));
                (fragment, snap.note())
            }
            (None, None) => return self.views.json.copy_link_note("Run a query first: a snapshot carries its result"),
        };
        let link = format!("{base}#{fragment}");
        let _ = self.parts.root.set_attribute("data-snapshot", &link);
        self.views.json.copy_snapshot(&link, note.as_deref());
        if self.views.board.open.is_some() {
            let mut text = format!("Board snapshot copied ({} characters): the panels' results travel in the link", dom::thousands(link.len() as u64));
            if let Some(n) = &note {
                text.push_str(". ");
                text.push_str(n);
            }
            self.views.board.say(&text);
        }
    }
}
