//! The query editor (Honeycomb query JSON: paste, edit, run with Ctrl+Enter or Run), folded under
//! the builder, with Copy link, Copy snapshot (the result itself in the link) and Copy JSON.

use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{Element, HtmlTextAreaElement};

use crate::web::dispatch::{send_on, Dispatch, Listeners};
use crate::web::dom::{self, append, el, text_el};

/// What a person does in the editor.
pub enum Msg {
    Run,
    CopyJson,
    CopyLink,
    CopySnapshot,
}

/// What the editor asks of the app.
pub enum Out {
    /// Run this query JSON.
    Run(String),
    CopyLink,
    CopySnapshot,
}

pub struct QueryPanel {
    pub editor: HtmlTextAreaElement,
    pub error: Element,
    run: Element,
    copy: Element,
    copy_snapshot: Element,
    copy_json: Element,
    pub details: Element,
    pub link_note: Element,
}

impl QueryPanel {
    pub fn build(root: &Element) -> Result<QueryPanel, JsValue> {
        // The query as Honeycomb JSON, folded under the builder: to read, copy, paste or edit.
        let details = el("details", "ap-json")?;
        append(&details, &text_el("summary", "", "Query JSON")?)?;
        let box_ = el("section", "ap-query-panel")?;
        box_.set_attribute("aria-label", "query JSON")?;
        let editor: HtmlTextAreaElement = el("textarea", "ap-spec")?.dyn_into()?;
        editor.set_attribute("spellcheck", "false")?;
        editor.set_attribute("aria-label", "query JSON (Honeycomb query specification)")?;
        editor.set_rows(4);
        append(&box_, &editor)?;
        let side = el("div", "ap-query-actions")?;
        let run = text_el("button", "ap-button ap-run", "Run")?;
        run.set_attribute("title", "Run the query (Ctrl+Enter)")?;
        append(&side, &run)?;
        let copy = text_el("button", "ap-button ap-copy", "Copy link")?;
        append(&side, &copy)?;
        let copy_snapshot = text_el("button", "ap-button ap-copy-snapshot", "Copy snapshot")?;
        copy_snapshot.set_attribute("title", "A link that carries this result: whoever opens it sees these charts and table without the data")?;
        append(&side, &copy_snapshot)?;
        let copy_json = text_el("button", "ap-button ap-copy-json", "Copy JSON")?;
        append(&side, &copy_json)?;
        let link_note = el("span", "ap-hint ap-link-note")?;
        append(&side, &link_note)?;
        append(&box_, &side)?;
        let error = el("div", "ap-spec-error")?;
        error.set_attribute("role", "alert")?;
        error.set_attribute("hidden", "")?;
        append(&box_, &error)?;
        append(&details, &box_)?;
        append(root, &details)?;
        Ok(QueryPanel { editor, error, run, copy, copy_snapshot, copy_json, details, link_note })
    }

    /// The editor's events as messages.
    pub fn listen(&self, d: &Dispatch<Msg>) -> Listeners {
        vec![
            send_on::<web_sys::Event, _>(&self.copy_json, "click", d, |_| Some(Msg::CopyJson)),
            send_on::<web_sys::Event, _>(&self.run, "click", d, |_| Some(Msg::Run)),
            send_on::<web_sys::KeyboardEvent, _>(&self.editor, "keydown", d, |e| {
                (e.key() == "Enter" && (e.ctrl_key() || e.meta_key())).then(|| {
                    e.prevent_default();
                    Msg::Run
                })
            }),
            send_on::<web_sys::Event, _>(&self.copy, "click", d, |_| Some(Msg::CopyLink)),
            send_on::<web_sys::Event, _>(&self.copy_snapshot, "click", d, |_| Some(Msg::CopySnapshot)),
        ]
    }

    /// Copying the JSON happens here; a run (the editor's text) and Copy link go up.
    pub fn update(&self, msg: Msg) -> Option<Out> {
        match msg {
            Msg::Run => return Some(Out::Run(self.editor.value())),
            Msg::CopyLink => return Some(Out::CopyLink),
            Msg::CopySnapshot => return Some(Out::CopySnapshot),
            Msg::CopyJson => {
                let text = self.editor.value();
                let copied = dom::window().ok().map(|w| w.navigator().clipboard().write_text(&text));
                self.link_note.set_text_content(Some(if copied.is_some() { "JSON copied" } else { "Select the JSON and copy it" }));
            }
        }
        None
    }

    /// Put `href` (the view's link) on the clipboard.
    pub fn copy_link(&self, href: &str) {
        let copied = dom::window().ok().map(|w| w.navigator().clipboard().write_text(href));
        self.link_note.set_text_content(Some(if copied.is_some() { "Link copied" } else { "Copy the address bar" }));
    }

    /// A word next to the copy buttons.
    pub fn copy_link_note(&self, text: &str) {
        self.link_note.set_text_content(Some(text));
    }

    /// Put a snapshot link on the clipboard, saying how long it is and what it left out.
    pub fn copy_snapshot(&self, href: &str, trimmed: Option<&str>) {
        if let Ok(w) = dom::window() {
            let _ = w.navigator().clipboard().write_text(href);
        }
        let mut text = format!("Snapshot copied ({} characters)", dom::thousands(href.len() as u64));
        if let Some(t) = trimmed {
            text.push_str(". ");
            text.push_str(t);
        }
        self.link_note.set_text_content(Some(&text));
    }

    pub fn show(&self, spec_json: &serde_json::Value) {
        self.editor.set_value(&serde_json::to_string_pretty(spec_json).unwrap_or_default());
    }

    pub fn show_error(&self, msg: Option<&str>) {
        dom::show_text(&self.error, msg);
    }
}
