//! The permalink in the page's address: every run writes the view into the URL fragment, so
//! back/forward walk the query history and a copied link reproduces the view.

use wasm_bindgen::JsValue;

use crate::permalink::State;
use crate::snapshot::{self, Snapshot};
use crate::web::dom;

/// What a link in the page's address holds: a live view, or a snapshot of a result.
pub enum Link {
    Live(State),
    Snapshot(Box<Snapshot>),
}

/// The link in the page's URL fragment, if there is one.
pub fn link_from_url() -> Option<Result<Link, String>> {
    let hash = dom::window().ok()?.location().hash().ok()?;
    link_from_text(&hash)
}

/// The link in `text`: a fragment (`#v1.…`, `s1.…`) or a whole address holding one (a host's
/// `view` attribute); `None` when it holds none.
pub fn link_from_text(text: &str) -> Option<Result<Link, String>> {
    let hash = text.trim();
    let hash = hash.rsplit_once('#').map_or(hash, |(_, f)| f);
    if hash.is_empty() {
        return None;
    }
    Some(if snapshot::is_snapshot(hash) {
        Snapshot::decode(hash).map(|s| Link::Snapshot(Box::new(s))).map_err(|e| e.to_string())
    } else {
        State::decode(hash).map(Link::Live).map_err(|e| e.to_string())
    })
}

/// The page's address without its fragment (what a link's fragment is added to).
pub fn page_base() -> String {
    let href = dom::window().ok().and_then(|w| w.location().href().ok()).unwrap_or_default();
    href.split('#').next().unwrap_or("").to_string()
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
