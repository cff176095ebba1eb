//! The app's boards: the open board travels in the model (and so in links); its query panels
//! run together as work of their own, on the data in the tab (in steps, like any query) or on
//! the connected store, each answer coming back as [`Msg::BoardDone`]; a snapshot shows the
//! panels' results it carries.

use super::*;
use crate::board::Panel;
use crate::query::heatmap::Scale;
use crate::web::board::{Out, Slot};

impl App {
    pub(super) fn board_out(&mut self, outs: Vec<Out>) {
        for out in outs {
            match out {
                Out::WantQuery => {
                    let spec = self.model.spec.clone().unwrap_or_else(|| self.default_spec());
                    let more = self.views.board.add_panel(Panel::from_query(spec, self.model.time_range().map(|r| r.1)));
                    self.board_out(more);
                }
                Out::Run => self.run_board(),
                Out::Open(spec) => {
                    self.open_query(&spec.to_json().to_string());
                    self.parts.canvas.scroll_into_view();
                }
                Out::Changed => {
                    self.model.board = self.views.board.open.clone();
                    self.mark_board();
                    self.write_url(false);
                }
                Out::CopyLink => {
                    let href = self.share_link();
                    if let Ok(w) = dom::window() {
                        let _ = w.navigator().clipboard().write_text(&href);
                    }
                    self.views.board.say(&format!("Board link copied ({} characters): whoever opens it sees this board run on the same data", dom::thousands(href.len() as u64)));
                }
                Out::CopySnapshot => self.copy_snapshot(),
                Out::Redraw => self.views.board.render_grid(&self.model.markers),
                Out::OpenUrl(url) => self.open_link(&url),
            }
        }
    }

    /// Show the model's board when the view shows another (a link, back/forward); its panels
    /// run when there is data to run them on.
    pub(super) fn sync_board(&mut self) {
        if self.views.board.open == self.model.board {
            return;
        }
        self.views.board.show(self.model.board.clone());
        self.views.board.render_grid(&self.model.markers);
        self.mark_board();
        if self.model.data.num_rows() > 0 || self.model.store.is_some() {
            self.run_board();
        }
    }

    /// The open board's name on the root (`data-board`; empty with none).
    fn mark_board(&self) {
        let _ = self.parts.root.set_attribute("data-board", self.model.board.as_ref().map_or("", |b| b.name.as_str()));
    }

    /// Show the panels' results a snapshot carries.
    pub(super) fn board_from_snapshot(&mut self, panels: &[Option<crate::snapshot::Snapshot>]) {
        // A run started before the snapshot opened must not draw over it.
        self.work.board_runs.set(self.work.board_runs.get() + 1);
        let Some(b) = self.views.board.open.clone() else { return };
        for (i, p) in b.panels.iter().enumerate() {
            let slot = match (panels.get(i).cloned().flatten(), p.spec()) {
                (Some(s), _) => Slot::Done(s.result),
                (None, Some(_)) => Slot::Failed("This panel's result is not in the snapshot: open the live view".into()),
                (None, None) => Slot::Idle,
            };
            self.views.board.set_slot(i, slot, &self.model.markers);
        }
    }

    /// Run every query panel of the open board (a newer run stops an older one).
    pub(super) fn run_board(&mut self) {
        if self.model.snapshot.is_some() {
            self.views.board.say("This is a snapshot: Open live view to run the board on its data");
            return;
        }
        let Some(board) = self.views.board.open.clone() else { return };
        if self.model.data.num_rows() == 0 && self.model.store.is_none() {
            self.views.board.say("Load data (or connect a store) to run the board");
            return;
        }
        let run = self.work.board_runs.get() + 1;
        self.work.board_runs.set(run);
        let jobs: Vec<(usize, crate::QuerySpec, Scale)> = board.panels.iter().enumerate().filter_map(|(i, p)| Some((i, p.spec()?.clone(), self.model.scale_of(p.spec()?)))).collect();
        for (i, _, _) in &jobs {
            self.views.board.set_slot(*i, Slot::Running, &self.model.markers);
        }
        let _ = self.parts.root.set_attribute("data-board-state", "running");
        let d = self.dispatch.clone();
        if let Some(store) = &self.model.store {
            let (b, table) = (store.backend.clone(), store.table.clone());
            let sample_rate = self.model.sample_rate();
            let latest = self.work.board_runs.clone();
            wasm_bindgen_futures::spawn_local(async move {
                let mut client = crate::web::fetch::Post::default();
                for (i, spec, scale) in jobs {
                    if latest.get() != run {
                        return;
                    }
                    let opts = crate::backend::Options { heatmap_scale: scale, sample_rate: sample_rate.clone() };
                    let out = crate::backend::query(&mut client, &b, &table, &spec, &opts).await;
                    d.send(Msg::BoardDone { run, panel: i, out });
                }
            });
            return;
        }
        let data = self.model.data.clone();
        let mut pace = self.pace(&self.work.board_runs, run, false);
        wasm_bindgen_futures::spawn_local(async move {
            for (i, spec, scale) in jobs {
                let opts = crate::query::RunOptions { heatmap_scale: scale, within: None };
                let out = {
                    let mut check = |s: crate::pace::Step<'_>| pace.check(s);
                    crate::query::run_paced(&data, &spec, &opts, &mut crate::pace::Pace::new(&mut check)).await
                };
                if matches!(out, Err(crate::Error::Stopped)) {
                    return;
                }
                d.send(Msg::BoardDone { run, panel: i, out });
            }
        });
    }

    /// A panel's answer came back.
    pub(super) fn board_done(&mut self, run: u64, panel: usize, out: crate::Result<crate::QueryResult>) {
        if run != self.work.board_runs.get() {
            return;
        }
        let slot = match out {
            Ok(r) => Slot::Done(r),
            Err(e) => Slot::Failed(e.to_string()),
        };
        self.views.board.set_slot(panel, slot, &self.model.markers);
        if !self.views.board.slots.iter().any(|s| matches!(s, Slot::Running)) {
            let now = crate::query::result::iso8601(js_sys::Date::now() as i64);
            self.views.board.say(&format!("Refreshed {} UTC", now.get(11..19).unwrap_or("")));
            let _ = self.parts.root.set_attribute("data-board-state", "ready");
            self.emit("board-refreshed", &serde_json::json!({ "board": self.model.board.as_ref().map(|b| b.name.clone()) }));
        }
    }

    /// The open board's panel results, for a snapshot (`None` for notes and panels without one).
    pub(super) fn board_results(&self) -> Vec<Option<crate::QueryResult>> {
        self.views.board.slots.iter().map(|s| if let Slot::Done(r) = s { Some(r.clone()) } else { None }).collect()
    }
}
