//! Boards in the page (`crate::board`): saved queries and markdown notes on a grid, each query
//! panel its own chart, run together (Refresh) on the data in the tab or the connected store.
//! Boards are kept in local storage (every change to a kept board is saved at once), exported
//! and imported as JSON, and the open one travels in the page's links (live and snapshot). A
//! board opened from someone's link is shown as it is, and kept here only on Keep board.

use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{Element, HtmlInputElement, HtmlSelectElement};

use crate::board::{Board, Content, Panel};
use crate::marker::Marker;
use crate::query::QuerySpec;
use crate::web::dispatch::{send_on, Dispatch, Listeners};
use crate::web::dom::{self, append, el, text_el};
use crate::web::saved;

pub mod panel;
pub use panel::Slot;

pub const KEY: &str = "apiary.boards.v1";

pub enum Msg {
    /// The picker chose a kept board (its index), or none.
    Pick(Option<usize>),
    New,
    Rename(String),
    AddQuery,
    AddNote,
    Refresh,
    CopyLink,
    CopySnapshot,
    Export,
    Import(String),
    Delete,
    Keep,
    /// The section was opened or closed.
    Toggle(bool),
    /// The pointer at pixel column x of panel i's chart (negative: it left).
    Hover(usize, f64),
    ChartClick(usize, f64),
    /// Something done to panel `i`.
    Panel(usize, Act),
}

pub enum Act {
    Left,
    Right,
    Widen,
    Remove,
    Open,
    Edit,
    /// The note's new text.
    Done(String),
}

/// What the board asks of the app.
pub enum Out {
    /// Add the current query as a panel ([`BoardView::add_panel`]).
    WantQuery,
    /// Run every query panel of the open board.
    Run,
    /// Show this query in the main view.
    Open(QuerySpec),
    /// The open board changed (the link follows).
    Changed,
    CopyLink,
    CopySnapshot,
    /// Draw the panels again (the section became visible).
    Redraw,
    /// Open a marker's link (a click on it in a panel's chart).
    OpenUrl(String),
}

pub struct BoardView {
    pub root: Element,
    picker: HtmlSelectElement,
    name: HtmlInputElement,
    buttons: Vec<(Element, fn() -> Msg)>,
    keep: Element,
    import: HtmlInputElement,
    note: Element,
    error: Element,
    grid: Element,
    /// Each panel's body, in order (after the grid is built).
    bodies: Vec<Element>,
    /// The boards kept in this browser.
    pub saved: Vec<Board>,
    /// The board on view, and where it is kept (`None`: opened from a link, not kept here).
    pub open: Option<Board>,
    kept_at: Option<usize>,
    /// Each panel's result, in the board's order.
    pub slots: Vec<Slot>,
    editing: Option<usize>,
    /// Where each panel's plot lies, and the markers drawn on them (for the hover).
    plots: Vec<Option<crate::render::PlotMapping>>,
    markers: Vec<Marker>,
}

impl BoardView {
    pub fn build(parent: &Element) -> Result<BoardView, JsValue> {
        let root = el("details", "ap-boards")?;
        append(&root, &text_el("summary", "", "Boards")?)?;
        let bar = el("div", "ap-board-bar")?;
        let picker: HtmlSelectElement = el("select", "ap-board-picker")?.dyn_into()?;
        picker.set_attribute("aria-label", "board")?;
        dom::labelled(&bar, "BOARD", &picker)?;
        let name: HtmlInputElement = el("input", "ap-board-name ap-clause-input")?.dyn_into()?;
        name.set_placeholder("board name");
        dom::labelled(&bar, "NAME", &name)?;
        append(&root, &bar)?;
        let tools = el("div", "ap-board-tools")?;
        let mut buttons = Vec::new();
        type Spec = (&'static str, &'static str, fn() -> Msg);
        let specs: [Spec; 9] = [
            ("ap-board-new", "New board", || Msg::New),
            ("ap-board-add-query", "Add current query", || Msg::AddQuery),
            ("ap-board-add-note", "Add note", || Msg::AddNote),
            ("ap-board-refresh", "Refresh", || Msg::Refresh),
            ("ap-board-copy-link", "Copy board link", || Msg::CopyLink),
            ("ap-board-copy-snapshot", "Copy board snapshot", || Msg::CopySnapshot),
            ("ap-board-export", "Export JSON", || Msg::Export),
            ("ap-board-delete", "Delete board", || Msg::Delete),
            ("ap-board-keep", "Keep board", || Msg::Keep),
        ];
        for (class, text, msg) in specs {
            let b = text_el("button", &format!("ap-button {class}"), text)?;
            append(&tools, &b)?;
            buttons.push((b, msg));
        }
        let keep = buttons[8].0.clone();
        keep.set_attribute("title", "This board came with a link: keep it in this browser")?;
        let import = saved::import_button(&tools, "ap-board-import")?;
        append(&root, &tools)?;
        let note = el("div", "ap-board-note-line")?;
        note.set_attribute("role", "status")?;
        append(&root, &note)?;
        let error = el("div", "ap-clause-error ap-board-error-line")?;
        error.set_attribute("role", "alert")?;
        error.set_attribute("hidden", "")?;
        append(&root, &error)?;
        let grid = el("div", "ap-board-grid")?;
        append(&root, &grid)?;
        append(parent, &root)?;
        let saved = saved::load_with::<Board>(KEY, |v| Board::from_json(v).ok());
        let v = BoardView { root, picker, name, buttons, keep, import, note, error, grid, bodies: Vec::new(), saved, open: None, kept_at: None, slots: Vec::new(), editing: None, plots: Vec::new(), markers: Vec::new() };
        v.render_bar();
        Ok(v)
    }

    pub fn listen(&self, d: &Dispatch<Msg>) -> Listeners {
        let mut all: Listeners = self.buttons.iter().map(|(b, m)| {
            let m = *m;
            send_on::<web_sys::MouseEvent, _>(b, "click", d, move |_| Some(m()))
        }).collect();
        let picker = self.picker.clone();
        all.push(send_on::<web_sys::Event, _>(&self.picker, "change", d, move |_| Some(Msg::Pick(picker.value().parse().ok()))));
        let name = self.name.clone();
        all.push(send_on::<web_sys::Event, _>(&self.name, "change", d, move |_| Some(Msg::Rename(name.value()))));
        let root = self.root.clone();
        all.push(send_on::<web_sys::Event, _>(&self.root, "toggle", d, move |_| Some(Msg::Toggle(root.has_attribute("open")))));
        all.push(saved::on_import(&self.import, d, Msg::Import));
        let chart = |e: &web_sys::MouseEvent| -> Option<usize> {
            let t = e.target().and_then(|t| t.dyn_into::<Element>().ok())?;
            if !t.class_list().contains("ap-board-chart") {
                return None;
            }
            t.closest("[data-panel]").ok().flatten()?.get_attribute("data-panel")?.parse().ok()
        };
        all.push(send_on::<web_sys::MouseEvent, _>(&self.grid, "mousemove", d, move |e| chart(e).map(|i| Msg::Hover(i, e.offset_x() as f64))));
        all.push(send_on::<web_sys::MouseEvent, _>(&self.grid, "mouseout", d, move |e| chart(e).map(|i| Msg::Hover(i, -1.0))));
        all.push(send_on::<web_sys::MouseEvent, _>(&self.grid, "click", d, move |e| {
            if let Some(i) = chart(e) {
                return Some(Msg::ChartClick(i, e.offset_x() as f64));
            }
            let t = e.target().and_then(|t| t.dyn_into::<Element>().ok())?;
            let act = t.closest("[data-board-act]").ok().flatten()?.get_attribute("data-board-act")?;
            let panel = t.closest("[data-panel]").ok().flatten()?;
            let i = panel.get_attribute("data-panel")?.parse().ok()?;
            let act = match act.as_str() {
                "left" => Act::Left,
                "right" => Act::Right,
                "widen" => Act::Widen,
                "remove" => Act::Remove,
                "open" => Act::Open,
                "edit" => Act::Edit,
                "done" => {
                    let area = panel.query_selector("textarea").ok().flatten()?.dyn_into::<web_sys::HtmlTextAreaElement>().ok()?;
                    Act::Done(area.value())
                }
                _ => return None,
            };
            Some(Msg::Panel(i, act))
        }));
        all
    }

    pub fn update(&mut self, msg: Msg) -> Vec<Out> {
        dom::show_text(&self.error, None);
        self.note.set_text_content(None);
        match msg {
            Msg::Pick(i) => {
                let board = i.and_then(|i| self.saved.get(i).cloned());
                self.show(board);
                return if self.open.is_some() { vec![Out::Changed, Out::Redraw, Out::Run] } else { vec![Out::Changed, Out::Redraw] };
            }
            Msg::New => {
                let name = self.unused_name("New board");
                self.saved.push(Board::new(&name));
                self.persist();
                self.show(self.saved.last().cloned());
                return vec![Out::Changed, Out::Redraw];
            }
            Msg::Rename(n) => {
                let n = n.trim().to_string();
                if n.is_empty() {
                    self.render_bar();
                    return Vec::new();
                }
                return self.edit(|b| b.name = n);
            }
            Msg::AddQuery => return if self.full() { Vec::new() } else { vec![Out::WantQuery] },
            Msg::AddNote => {
                self.ensure_open();
                if self.full() {
                    return Vec::new();
                }
                self.editing = self.open.as_ref().map(|b| b.panels.len());
                return self.edit(|b| b.panels.push(Panel::note("")));
            }
            Msg::Refresh => return if self.open.is_some() { vec![Out::Run] } else { Vec::new() },
            Msg::CopyLink => return if self.open.is_some() { vec![Out::CopyLink] } else { self.nothing_open() },
            Msg::CopySnapshot => return if self.open.is_some() { vec![Out::CopySnapshot] } else { self.nothing_open() },
            Msg::Export => match (&self.open, self.saved.is_empty()) {
                (Some(b), _) => saved::download(&format!("{}.board.json", file_name(&b.name)), &[b.to_json()]),
                (None, false) => saved::download("apiary-boards.json", &self.saved.iter().map(Board::to_json).collect::<Vec<_>>()),
                (None, true) => return self.nothing_open(),
            },
            Msg::Import(text) => match Board::parse_all(&text) {
                Ok(boards) if boards.is_empty() => self.fail("The file holds no boards"),
                Ok(boards) => {
                    let n = boards.len();
                    for mut b in boards {
                        b.name = self.unused_name(&b.name);
                        self.saved.push(b);
                    }
                    self.persist();
                    self.show(self.saved.get(self.saved.len() - n).cloned());
                    self.note.set_text_content(Some(&format!("Imported {n} board{}", if n == 1 { "" } else { "s" })));
                    return vec![Out::Changed, Out::Redraw, Out::Run];
                }
                Err(e) => self.fail(&format!("The file could not be imported: {e}")),
            },
            Msg::Delete => {
                if let Some(i) = self.kept_at {
                    self.saved.remove(i);
                    self.persist();
                }
                self.show(None);
                return vec![Out::Changed, Out::Redraw];
            }
            Msg::Keep => {
                if let (Some(mut b), None) = (self.open.clone(), self.kept_at) {
                    b.name = self.unused_name(&b.name);
                    self.saved.push(b.clone());
                    self.kept_at = Some(self.saved.len() - 1);
                    self.open = Some(b);
                    self.persist();
                    self.render_bar();
                    self.note.set_text_content(Some("Kept in this browser"));
                    return vec![Out::Changed];
                }
            }
            Msg::Toggle(open) => return if open { vec![Out::Redraw] } else { Vec::new() },
            Msg::Hover(i, x) => {
                if let Some(body) = self.bodies.get(i) {
                    panel::hover(body, x, &if x < 0.0 { Vec::new() } else { self.under(i, x) });
                }
            }
            Msg::ChartClick(i, x) => return self.under(i, x).into_iter().find_map(|m| m.url.clone()).map(Out::OpenUrl).into_iter().collect(),
            Msg::Panel(i, act) => return self.panel(i, act),
        }
        Vec::new()
    }

    fn panel(&mut self, i: usize, act: Act) -> Vec<Out> {
        let Some(b) = &self.open else { return Vec::new() };
        if i >= b.panels.len() {
            return Vec::new();
        }
        match act {
            Act::Open => b.panels[i].spec().cloned().map(Out::Open).into_iter().collect(),
            Act::Edit => {
                self.editing = Some(i);
                vec![Out::Redraw]
            }
            Act::Left | Act::Right => {
                let by = if matches!(act, Act::Left) { -1 } else { 1 };
                crate::board::shift(&mut self.slots, i, by);
                self.editing = None;
                self.edit(|b| b.shift(i, by))
            }
            Act::Widen => self.edit(|b| b.widen(i)),
            Act::Remove => {
                if i < self.slots.len() {
                    self.slots.remove(i);
                }
                self.editing = None;
                self.edit(|b| {
                    b.panels.remove(i);
                })
            }
            Act::Done(text) => {
                if text.chars().count() > crate::board::MAX_NOTE {
                    self.fail(&format!("A note holds at most {} characters", crate::board::MAX_NOTE));
                    return Vec::new();
                }
                self.editing = None;
                self.edit(|b| b.panels[i].content = Content::Note(text))
            }
        }
    }

    /// Change the open board (kept boards are saved at once); the grid is drawn again.
    fn edit(&mut self, f: impl FnOnce(&mut Board)) -> Vec<Out> {
        let Some(b) = &mut self.open else { return Vec::new() };
        f(b);
        let n = b.panels.len();
        if let Some(i) = self.kept_at {
            self.saved[i] = b.clone();
            self.persist();
        }
        self.slots.resize_with(n, || Slot::Idle);
        self.render_bar();
        vec![Out::Changed, Out::Redraw]
    }

    /// Whether the open board holds all the panels it may (and says so).
    fn full(&self) -> bool {
        let full = self.open.as_ref().is_some_and(|b| b.panels.len() >= crate::board::MAX_PANELS);
        if full {
            self.fail(&format!("A board holds at most {} panels", crate::board::MAX_PANELS));
        }
        full
    }

    /// Open a board when there is none (adding to nothing makes a new one).
    fn ensure_open(&mut self) {
        if self.open.is_none() {
            let name = self.unused_name("New board");
            self.saved.push(Board::new(&name));
            self.persist();
            self.show(self.saved.last().cloned());
        }
    }

    /// Add `p` (the current query) to the open board, or to a new one.
    pub fn add_panel(&mut self, p: Panel) -> Vec<Out> {
        self.ensure_open();
        self.slots.push(Slot::Idle);
        let mut outs = self.edit(|b| b.panels.push(p));
        outs.push(Out::Run);
        outs
    }

    /// Show `board` (from a link, a pick, or none); it counts as kept when it is one of the kept
    /// boards as it is.
    pub fn show(&mut self, board: Option<Board>) {
        self.kept_at = board.as_ref().and_then(|b| self.saved.iter().position(|s| s == b));
        self.slots = board.as_ref().map(|b| b.panels.iter().map(|_| Slot::Idle).collect()).unwrap_or_default();
        self.open = board;
        self.editing = None;
        if self.open.is_some() {
            let _ = self.root.set_attribute("open", "");
        }
        self.render_bar();
        dom::clear(&self.grid);
        self.bodies.clear();
    }

    fn unused_name(&self, want: &str) -> String {
        let want = if want.trim().is_empty() { "Board" } else { want.trim() };
        let taken = |n: &str| self.saved.iter().any(|b| b.name == n);
        if !taken(want) {
            return want.to_string();
        }
        (2..).map(|k| format!("{want} ({k})")).find(|n| !taken(n)).unwrap_or_default()
    }

    fn persist(&self) {
        saved::store(KEY, &self.saved.iter().map(Board::to_json).collect::<Vec<_>>());
    }

    pub fn fail(&self, msg: &str) {
        dom::show_text(&self.error, Some(msg));
    }

    fn nothing_open(&self) -> Vec<Out> {
        self.fail("Open or make a board first");
        Vec::new()
    }

    /// The picker, the name and which buttons apply.
    fn render_bar(&self) {
        let p = &self.picker;
        while p.length() > 0 {
            p.remove_with_index(0);
        }
        let add = |value: &str, text: &str| {
            if let Ok(o) = text_el("option", "", text) {
                let _ = o.set_attribute("value", value);
                let _ = p.append_child(&o);
            }
        };
        add("", if self.saved.is_empty() { "(no boards yet)" } else { "(none open)" });
        for (i, b) in self.saved.iter().enumerate() {
            add(&i.to_string(), &format!("{} · {} panel{}", b.name, b.panels.len(), if b.panels.len() == 1 { "" } else { "s" }));
        }
        if let (Some(b), None) = (&self.open, self.kept_at) {
            add("link", &format!("{} (from a link, not kept)", b.name));
            p.set_value("link");
        } else {
            p.set_value(&self.kept_at.map(|i| i.to_string()).unwrap_or_default());
        }
        self.name.set_value(self.open.as_ref().map_or("", |b| b.name.as_str()));
        self.name.set_disabled(self.open.is_none());
        let _ = if self.open.is_some() && self.kept_at.is_none() { self.keep.remove_attribute("hidden") } else { self.keep.set_attribute("hidden", "") };
        let _ = self.root.set_attribute("data-board", self.open.as_ref().map_or("", |b| b.name.as_str()));
    }

    /// Build the grid's panels and draw each.
    pub fn render_grid(&mut self, markers: &[Marker]) {
        dom::clear(&self.grid);
        self.bodies.clear();
        let Some(b) = &self.open else { return };
        if b.panels.is_empty() {
            let _ = text_el("div", "ap-board-empty", "This board is empty: Add current query puts the query on view here; Add note adds text (markdown).").and_then(|e| append(&self.grid, &e));
            return;
        }
        for (i, p) in b.panels.iter().enumerate() {
            match panel::frame(&self.grid, i, p, self.editing == Some(i)) {
                Ok(body) => self.bodies.push(body),
                Err(e) => return self.fail(&crate::web::fetch::js_err(&e)),
            }
        }
        for i in 0..self.bodies.len() {
            self.draw(i, markers);
        }
    }

    /// Draw panel `i`'s body from its slot.
    pub fn draw(&mut self, i: usize, markers: &[Marker]) {
        let (Some(b), Some(body)) = (&self.open, self.bodies.get(i)) else { return };
        let Some(p) = b.panels.get(i) else { return };
        let res = match &p.content {
            Content::Note(t) => panel::note(body, t, self.editing == Some(i)).map(|_| None).map_err(|e| crate::web::fetch::js_err(&e)),
            Content::Query(_) => panel::query(body, p, self.slots.get(i).unwrap_or(&Slot::Idle), markers),
        };
        if self.plots.len() <= i {
            self.plots.resize(i + 1, None);
        }
        // Kept for the hover; every panel is drawn with the same markers: copied when they change.
        if self.markers != markers {
            self.markers = markers.to_vec();
        }
        match res {
            Ok(plot) => self.plots[i] = plot,
            Err(e) => {
                self.plots[i] = None;
                dom::show_text(body, Some(&e));
            }
        }
    }

    /// The markers under pixel column `x` of panel `i`'s chart.
    fn under(&self, i: usize, x: f64) -> Vec<&Marker> {
        match self.plots.get(i).copied().flatten() {
            Some(m) => crate::render::markers::under(&self.markers, &m, x, crate::render::markers::NEAR_PX),
            None => Vec::new(),
        }
    }

    /// Set panel `i`'s result and draw it.
    pub fn set_slot(&mut self, i: usize, slot: Slot, markers: &[Marker]) {
        if let Some(s) = self.slots.get_mut(i) {
            *s = slot;
            self.draw(i, markers);
        }
    }

    /// A word under the board's buttons (refreshed at, copied, …).
    pub fn say(&self, text: &str) {
        self.note.set_text_content(Some(text));
    }
}

/// A board's name as a file name.
fn file_name(name: &str) -> String {
    let s: String = name.chars().map(|c| if c.is_alphanumeric() || c == '-' { c } else { '-' }).collect();
    let s = s.trim_matches('-').to_string();
    if s.is_empty() { "board".into() } else { s }
}
