//! `<apiary-view>`: the app as a custom element a host page places like any tag.
//!
//! ```html
//! <apiary-view src="spans.arrow" query='{"calculations":[{"op":"P99","column":"duration_ms"}]}'></apiary-view>
//! ```
//!
//! Attributes: `src`, `query` (Honeycomb query JSON), `backend` (with `backend-database`,
//! `backend-table`, `backend-user`, `backend-key`), `memory-cap`, `decode-slice-ms`,
//! `query-slice-ms`, `decoder-url`, `url="on"` (keep the view in the page's address; off by
//! default for an element). Changing `query` runs it; changing another remounts the view.
//! Method: `setQuery(json)`. Events (bubbling `CustomEvent`s whose `detail` is plain data):
//! `query-run` ({spec, rows, matched}), `selection` ({selection} or null), `error` ({message}).
//! Taken out of the page, the element's app goes with its listeners and work.

use std::cell::RefCell;

use wasm_bindgen::prelude::*;
use web_sys::Element;

use super::{App, Msg, MOUNTED};

#[wasm_bindgen(inline_js = "
export function define_apiary_view(mount, unmount, setQuery) {
  if (customElements.get('apiary-view')) return;
  class ApiaryView extends HTMLElement {
    static get observedAttributes() { return ['src', 'query', 'backend', 'backend-database', 'backend-table', 'memory-cap', 'url']; }
    connectedCallback() { mount(this); }
    disconnectedCallback() { unmount(this); }
    attributeChangedCallback(name, old, value) {
      if (!this.isConnected || old === value || old === null && !this.hasChildNodes()) return;
      if (name === 'query') { setQuery(this, value || '{}'); return; }
      unmount(this);
      mount(this);
    }
    setQuery(q) { setQuery(this, typeof q === 'string' ? q : JSON.stringify(q)); }
  }
  customElements.define('apiary-view', ApiaryView);
}
")]
extern "C" {
    fn define_apiary_view(mount: &Closure<dyn Fn(Element)>, unmount: &Closure<dyn Fn(Element)>, set_query: &Closure<dyn Fn(Element, String)>);
}

/// The element's three callbacks, kept for the page's life.
type Callbacks = (Closure<dyn Fn(Element)>, Closure<dyn Fn(Element)>, Closure<dyn Fn(Element, String)>);

thread_local! {
    static CALLBACKS: RefCell<Option<Callbacks>> = const { RefCell::new(None) };
}

/// Define `<apiary-view>` (once per page).
pub fn define() {
    CALLBACKS.with(|c| {
        let mut c = c.borrow_mut();
        if c.is_some() {
            return;
        }
        let mount = Closure::<dyn Fn(Element)>::new(|el: Element| {
            if let Err(e) = App::mount(el) {
                web_sys::console::error_1(&e);
            }
        });
        let unmount = Closure::<dyn Fn(Element)>::new(|el: Element| {
            super::unmount(&el);
        });
        let set_query = Closure::<dyn Fn(Element, String)>::new(|el: Element, text: String| {
            let d = MOUNTED.with(|m| m.borrow().iter().find_map(|a| a.try_borrow().ok().filter(|a| a.parts.host == el).map(|a| a.dispatch.clone())));
            if let Some(d) = d {
                d.send(Msg::History(text));
            }
        });
        define_apiary_view(&mount, &unmount, &set_query);
        *c = Some((mount, unmount, set_query));
    });
}

impl App {
    /// Tell the host: a bubbling `CustomEvent` named `name` on the app's element, `detail` as
    /// plain data; embedded in an iframe, a message to the host page as well.
    pub(super) fn emit(&self, name: &str, detail: &serde_json::Value) {
        let init = web_sys::CustomEventInit::new();
        init.set_bubbles(true);
        init.set_detail(&js_sys::JSON::parse(&detail.to_string()).unwrap_or(JsValue::NULL));
        if let Ok(e) = web_sys::CustomEvent::new_with_event_init_dict(name, &init) {
            let _ = self.parts.host.dispatch_event(&e);
        }
        self.post_to_host(serde_json::json!({ "type": name, "detail": detail }));
    }
}
