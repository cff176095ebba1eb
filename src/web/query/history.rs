//! Recent queries, kept in the browser's local storage (newest first, at most [`MAX_ENTRIES`]);
//! a click runs one again.

use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::Element;

use crate::web::dispatch::{send_on, Dispatch, Listeners};
use crate::web::dom::{self, append, el, text_el};

pub const KEY: &str = "apiary.history.v1";
pub const MAX_ENTRIES: usize = 20;

pub struct History {
    list: Element,
}

/// The stored queries (spec JSON texts), newest first.
pub fn entries() -> Vec<String> {
    crate::web::saved::load(KEY)
}

impl History {
    pub fn build(root: &Element) -> Result<History, JsValue> {
        let details = el("details", "ap-history")?;
        append(&details, &text_el("summary", "", "Recent queries")?)?;
        let list = el("ol", "ap-history-list")?;
        append(&details, &list)?;
        append(root, &details)?;
        let h = History { list };
        h.render();
        Ok(h)
    }

    /// A click on an entry asks to run it again (its JSON text).
    pub fn listen(&self, d: &Dispatch<String>) -> Listeners {
        vec![send_on::<web_sys::MouseEvent, _>(&self.list, "click", d, |e| {
            let li = e.target().and_then(|t| t.dyn_into::<Element>().ok()).and_then(|t| t.closest("[data-index]").ok().flatten())?;
            let i = li.get_attribute("data-index").and_then(|v| v.parse::<usize>().ok())?;
            entries().get(i).cloned()
        })]
    }

    /// Remember `spec` (JSON text) as the newest entry.
    pub fn remember(&self, spec: &str) {
        let mut all = entries();
        all.retain(|e| e != spec);
        all.insert(0, spec.to_string());
        all.truncate(MAX_ENTRIES);
        crate::web::saved::store(KEY, &all);
        self.render();
    }

    fn render(&self) {
        dom::clear(&self.list);
        for (i, e) in entries().iter().enumerate() {
            let Ok(li) = text_el("li", "ap-history-item", e) else { continue };
            let _ = li.set_attribute("data-index", &i.to_string());
            let _ = li.set_attribute("title", "Run this query again");
            let _ = append(&self.list, &li);
        }
    }
}
