//! The query editor (Honeycomb query JSON: paste, edit, run with Ctrl+Enter or Run) and the
//! permalink: every run writes the view into the URL fragment, so back/forward walk the query
//! history and a copied link reproduces the view.

use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{Element, HtmlTextAreaElement};

use super::app::{listen, Shared};
use super::dom::{self, append, el, text_el};
use crate::permalink::State;

pub struct QueryPanel {
    pub editor: HtmlTextAreaElement,
    pub error: Element,
    run: Element,
    copy: Element,
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
        Ok(QueryPanel { editor, error, run, copy, copy_json, details, link_note })
    }

    pub fn wire(app: &Shared) -> Result<(), JsValue> {
        let (editor, run, copy, copy_json) = {
            let a = app.borrow();
            (a.query.editor.clone(), a.query.run.clone(), a.query.copy.clone(), a.query.copy_json.clone())
        };
        listen::<web_sys::Event>(&copy_json, "click", app, |app, _| {
            let Ok(a) = app.try_borrow() else { return };
            let text = a.query.editor.value();
            let copied = dom::window().ok().map(|w| w.navigator().clipboard().write_text(&text));
            a.query.link_note.set_text_content(Some(if copied.is_some() { "JSON copied" } else { "Select the JSON and copy it" }));
        })?;
        listen::<web_sys::Event>(&run, "click", app, |app, _| {
            if let Ok(mut a) = app.try_borrow_mut() {
                a.run_editor();
            }
        })?;
        listen::<web_sys::KeyboardEvent>(&editor, "keydown", app, |app, e| {
            if e.key() == "Enter" && (e.ctrl_key() || e.meta_key()) {
                e.prevent_default();
                if let Ok(mut a) = app.try_borrow_mut() {
                    a.run_editor();
                }
            }
        })?;
        listen::<web_sys::Event>(&copy, "click", app, |app, _| {
            let Ok(a) = app.try_borrow() else { return };
            let href = dom::window().ok().and_then(|w| w.location().href().ok()).unwrap_or_default();
            let _ = a.parts.root.set_attribute("data-permalink", &href);
            let copied = dom::window().ok().map(|w| w.navigator().clipboard().write_text(&href));
            a.query.link_note.set_text_content(Some(if copied.is_some() { "Link copied" } else { "Copy the address bar" }));
        })?;
        let win = dom::window()?;
        listen::<web_sys::Event>(&win, "popstate", app, |app, _| {
            if let Ok(mut a) = app.try_borrow_mut() {
                a.restore_from_url();
            }
        })?;
        Ok(())
    }

    pub fn show(&self, spec_json: &serde_json::Value) {
        self.editor.set_value(&serde_json::to_string_pretty(spec_json).unwrap_or_default());
    }

    pub fn show_error(&self, msg: Option<&str>) {
        dom::show_text(&self.error, msg);
    }
}

/// The state in the page's URL fragment, if there is one.
pub fn state_from_url() -> Option<Result<State, String>> {
    let hash = dom::window().ok()?.location().hash().ok()?;
    if hash.len() <= 1 {
        return None;
    }
    Some(State::decode(&hash).map_err(|e| e.to_string()))
}

/// Write `state` into the URL: a new history entry, or a replacement of the current one.
pub fn write_url(state: &State, push: bool) {
    let Ok(win) = dom::window() else { return };
    let Ok(history) = win.history() else { return };
    let frag = format!("#{}", state.encode());
    if win.location().hash().ok().as_deref() == Some(frag.as_str()) {
        return;
    }
    let _ = if push {
        history.push_state_with_url(&JsValue::NULL, "", Some(&frag))
    } else {
        history.replace_state_with_url(&JsValue::NULL, "", Some(&frag))
    };
}
