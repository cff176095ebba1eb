//! The snapshot banner: the page is showing a result carried in its link (`crate::snapshot`), not
//! live data. It says so and of when, what was trimmed to fit the link, whether the live data
//! can be reached from here, and offers the live view when it can.

use wasm_bindgen::prelude::*;
use web_sys::Element;

use crate::web::dispatch::{send_on, Dispatch, Listeners};
use crate::web::dom::{self, append, el, text_el};

pub enum Msg {
    OpenLive,
}

/// What the banner asks of the app.
pub enum Out {
    OpenLive,
}

/// Can the live view's data be had from here?
#[derive(Clone, Debug, PartialEq)]
pub enum Reach {
    Checking,
    /// Its URLs answered.
    Yes,
    /// These URLs did not answer (network, CORS or HTTP error).
    No(Vec<String>),
    /// It reads local files: whoever opens it adds them.
    Files(Vec<String>),
    /// It queries a ClickHouse store (at this address): it asks for credentials.
    Store(String),
    /// The snapshot names no data.
    Nothing,
}

pub struct SnapshotBanner {
    root: Element,
    title: Element,
    note: Element,
    reach: Element,
    open: Element,
}

impl SnapshotBanner {
    pub fn build(parent: &Element) -> Result<SnapshotBanner, JsValue> {
        let root = el("section", "ap-snapshot")?;
        root.set_attribute("aria-label", "snapshot")?;
        root.set_attribute("role", "status")?;
        root.set_attribute("hidden", "")?;
        let title = el("div", "ap-snapshot-title")?;
        append(&root, &title)?;
        let note = el("div", "ap-snapshot-note")?;
        append(&root, &note)?;
        let line = el("div", "ap-snapshot-reach-line")?;
        let reach = el("span", "ap-snapshot-reach")?;
        append(&line, &reach)?;
        let open = text_el("button", "ap-button ap-open-live", "Open live view")?;
        open.set_attribute("hidden", "")?;
        append(&line, &open)?;
        append(&root, &line)?;
        append(parent, &root)?;
        Ok(SnapshotBanner { root, title, note, reach, open })
    }

    pub fn listen(&self, d: &Dispatch<Msg>) -> Listeners {
        vec![send_on::<web_sys::Event, _>(&self.open, "click", d, |_| Some(Msg::OpenLive))]
    }

    pub fn update(&self, msg: Msg) -> Option<Out> {
        match msg {
            Msg::OpenLive => Some(Out::OpenLive),
        }
    }

    /// Show the banner for a snapshot taken at `taken` (text), with what was trimmed.
    pub fn show(&self, taken: &str, trimmed: Option<&str>) {
        self.title.set_text_content(Some(&format!(
            "Snapshot taken {taken}: the result as it was then, carried in the link. No data is loaded; queries, BubbleUp and traces need the live view."
        )));
        dom::show_text(&self.note, trimmed);
        let _ = self.root.remove_attribute("hidden");
    }

    /// Say whether the live data can be reached; the button only when it can (or may).
    pub fn set_reach(&self, reach: &Reach) {
        let host = |u: &str| u.split("://").nth(1).and_then(|r| r.split('/').next()).unwrap_or(u).to_string();
        let (text, open) = match reach {
            Reach::Checking => ("Checking whether the live data can be reached from here…".to_string(), false),
            Reach::Yes => ("The live data can be reached from here.".to_string(), true),
            Reach::No(urls) => {
                let names: Vec<String> = urls.iter().map(|u| host(u)).collect();
                (format!("The live data ({}) cannot be reached from here: this snapshot is what there is to see.", names.join(", ")), false)
            }
            Reach::Files(names) => (format!("The live view reads local files ({}): open it and add them.", names.join(", ")), true),
            Reach::Store(url) => (format!("The live view queries ClickHouse at {}: it asks for your credentials.", host(url)), true),
            Reach::Nothing => ("The snapshot names no data to open live.".to_string(), false),
        };
        self.reach.set_text_content(Some(&text));
        let state = match reach {
            Reach::Checking => "checking",
            Reach::No(_) | Reach::Nothing => "unreachable",
            _ => "reachable",
        };
        let _ = self.root.set_attribute("data-reach", state);
        let _ = if open { self.open.remove_attribute("hidden") } else { self.open.set_attribute("hidden", "") };
    }

    pub fn hide(&self) {
        let _ = self.root.set_attribute("hidden", "");
    }
}
