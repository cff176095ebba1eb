//! The iframe embed: a host page puts the app in an `<iframe>` and drives it by `postMessage`.
//!
//! The app listens only when its address names the host's origin, `?embed-origin=ORIGIN` (or
//! `#…&embed-origin=` is not read: the query string only), and then only to messages from that
//! origin sent by its parent window; it answers to that origin alone. Messages are plain objects
//! with `apiary: 1` and a `type`:
//!
//! - host → app: `{apiary: 1, type: "setQuery", query}` (Honeycomb query JSON, object or text),
//!   `{apiary: 1, type: "load", url}` (a source URL, added to what is loaded),
//!   `{apiary: 1, type: "getState"}`;
//! - app → host: `{apiary: 1, type: "ready", rows}` after each load, `{apiary: 1, type:
//!   "state", spec, rows}` in answer to getState, and the element's events as `{apiary: 1, type:
//!   "query-run" | "selection" | "error", detail}`.

use super::*;

/// What a host asked for.
pub enum Ask {
    SetQuery(String),
    Load(String),
    GetState,
}

/// The host's origin the address names (`?embed-origin=`), when this app is the page's first.
pub fn origin_from_address() -> Option<String> {
    let search = dom::window().ok()?.location().search().ok()?;
    let origin = web_sys::UrlSearchParams::new_with_str(&search).ok()?.get("embed-origin")?;
    // An origin, not a URL with a path: scheme://host[:port].
    let u = web_sys::Url::new(&origin).ok()?;
    (u.origin() == origin && origin != "null").then_some(origin)
}

/// The `message` listener: only the parent window at `origin`, only Apiary's messages.
pub fn listen(origin: &str, d: &Dispatch<Msg>) -> Option<gloo_events::EventListener> {
    let win = dom::window().ok()?;
    let parent = win.parent().ok().flatten()?;
    let origin = origin.to_string();
    Some(crate::web::dispatch::send_on::<web_sys::MessageEvent, _>(&win, "message", d, move |e| {
        if e.origin() != origin {
            return None;
        }
        // Compared as objects: a window of another origin is no `instanceof Window` here.
        let from_parent = e.source().is_some_and(|s| wasm_bindgen::JsValue::from(s) == wasm_bindgen::JsValue::from(&parent));
        if !from_parent {
            return None;
        }
        let text = js_sys::JSON::stringify(&e.data()).ok()?.as_string()?;
        let v: serde_json::Value = serde_json::from_str(&text).ok()?;
        if v["apiary"] != 1 {
            return None;
        }
        let ask = match v["type"].as_str()? {
            "setQuery" => Ask::SetQuery(match &v["query"] {
                serde_json::Value::String(s) => s.clone(),
                q => q.to_string(),
            }),
            "load" => Ask::Load(v["url"].as_str()?.to_string()),
            "getState" => Ask::GetState,
            _ => return None,
        };
        Some(Msg::Embed(ask))
    }))
}

impl App {
    /// Post `message` (with `apiary: 1`) to the host, when this app is embedded.
    pub(super) fn post_to_host(&self, mut message: serde_json::Value) {
        let Some(origin) = &self.config.embed_origin else { return };
        message["apiary"] = serde_json::json!(1);
        let Some(parent) = dom::window().ok().and_then(|w| w.parent().ok().flatten()) else { return };
        if let Ok(v) = js_sys::JSON::parse(&message.to_string()) {
            let _ = parent.post_message(&v, origin);
        }
    }

    pub(super) fn embed(&mut self, ask: Ask) {
        match ask {
            Ask::SetQuery(text) => self.open_query(&text),
            Ask::Load(url) => self.dispatch.send(Msg::Sources(crate::web::sources::Msg::LoadUrl(url))),
            Ask::GetState => {
                let spec = self.model.spec.as_ref().map(|s| s.to_json());
                self.post_to_host(serde_json::json!({ "type": "state", "spec": spec, "rows": self.model.data.num_rows() }));
            }
        }
    }
}
