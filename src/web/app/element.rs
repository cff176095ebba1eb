//! `<apiary-view>`: the app as a custom element a host page places like any tag.
//!
//! ```html
//! <apiary-view src="spans.arrow" query='{"calculations":[{"op":"P99","column":"duration_ms"}]}'></apiary-view>
//! ```
//!
//! Attributes: `src`, `query` (Honeycomb query JSON), `backend` (with `backend-database`,
//! `backend-table`, `backend-user`, `backend-key`), `memory-cap`, `decode-slice-ms`,
//! `query-slice-ms`, `decoder-url`, `markers`, `theme` (`light`, `dark`, or `auto`: the
//! system's), `view` (a live or snapshot link, or its fragment: the view it shows, as the page
//! opens one), `url="on"` (keep the view in the page's address; off by default for an element).
//! Changing `query` runs it, changing `theme` redraws; changing another remounts the view.
//! Methods: `setQuery(json)`, and `Engine`'s over the view's own data (`query`, `queryArrow`,
//! `bubbleup`, `quality`, `slo`, `trigger` answer as `Engine` does; `load(name, bytes)` adds a
//! source to the view and returns the rows it then holds; `setSampleRate("auto" | "none")`
//! turns the view's weighting on or off; `rows`, `byteSize`). Events (bubbling `CustomEvent`s
//! whose `detail` is plain data):
//! `query-run` ({spec, rows, matched}), `selection` ({selection} or null), `error` ({message}).
//! Taken out of the page, the element's app goes with its listeners and work.

use std::cell::RefCell;

use wasm_bindgen::prelude::*;
use web_sys::Element;

use super::{App, Msg, MOUNTED};

#[wasm_bindgen(inline_js = "
export function define_apiary_view(mount, unmount, set, call) {
  if (customElements.get('apiary-view')) return;
  const text = (v) => typeof v === 'string' ? v : JSON.stringify(v ?? '');
  class ApiaryView extends HTMLElement {
    static get observedAttributes() { return ['src', 'query', 'backend', 'backend-database', 'backend-table', 'memory-cap', 'url', 'theme', 'view', 'markers']; }
    connectedCallback() { mount(this); }
    disconnectedCallback() { unmount(this); }
    attributeChangedCallback(name, old, value) {
      if (!this.isConnected || old === value || old === null && !this.hasChildNodes()) return;
      if (name === 'query') { set(this, 'query', value || '{}'); return; }
      if (name === 'theme') { set(this, 'theme', value || 'auto'); return; }
      unmount(this);
      mount(this);
    }
    setQuery(q) { set(this, 'query', text(q)); }
    #call(name, args) {
      const out = call(this, name, args);
      if (out && out.error !== undefined) throw new Error(out.error);
      return out.ok;
    }
    query(spec) { return this.#call('query', [text(spec)]); }
    queryArrow(spec, series) { return this.#call('queryArrow', [text(spec), !!series]); }
    bubbleup(spec, selection, columns) { return this.#call('bubbleup', [text(spec), text(selection), columns == null || columns === '' ? '' : text(columns)]); }
    quality(conventions) { return this.#call('quality', [conventions == null || conventions === '' ? '' : text(conventions)]); }
    slo(s) { return this.#call('slo', [text(s)]); }
    trigger(t) { return this.#call('trigger', [text(t)]); }
    load(name, bytes) { return this.#call('load', [String(name), bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes)]); }
    setSampleRate(mode) { return this.#call('setSampleRate', [String(mode)]); }
    get rows() { return this.#call('rows', []); }
    get byteSize() { return this.#call('byteSize', []); }
  }
  customElements.define('apiary-view', ApiaryView);
}
")]
extern "C" {
    fn define_apiary_view(mount: &Closure<dyn Fn(Element)>, unmount: &Closure<dyn Fn(Element)>, set: &Closure<dyn Fn(Element, String, String)>, call: &Closure<dyn Fn(Element, String, js_sys::Array) -> JsValue>);
}

/// The element's callbacks, kept for the page's life.
type Callbacks = (Closure<dyn Fn(Element)>, Closure<dyn Fn(Element)>, Closure<dyn Fn(Element, String, String)>, Closure<dyn Fn(Element, String, js_sys::Array) -> JsValue>);

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
        let set = Closure::<dyn Fn(Element, String, String)>::new(|el: Element, name: String, value: String| {
            if let Some(app) = app_of(&el) {
                let d = app.borrow().dispatch.clone();
                d.send(if name == "theme" { Msg::Theme(value) } else { Msg::History(value) });
            }
        });
        let call = Closure::<dyn Fn(Element, String, js_sys::Array) -> JsValue>::new(|el: Element, name: String, args: js_sys::Array| {
            let out = match app_of(&el) {
                Some(app) => call(&app, &name, &args),
                None => Err("the element has no view mounted (is it in the page?)".to_string()),
            };
            let o = js_sys::Object::new();
            let _ = match out {
                Ok(v) => js_sys::Reflect::set(&o, &"ok".into(), &v),
                Err(e) => js_sys::Reflect::set(&o, &"error".into(), &e.into()),
            };
            o.into()
        });
        define_apiary_view(&mount, &unmount, &set, &call);
        *c = Some((mount, unmount, set, call));
    });
}

/// The app mounted in `el`.
fn app_of(el: &Element) -> Option<std::rc::Rc<RefCell<App>>> {
    MOUNTED.with(|m| m.borrow().iter().find(|a| a.try_borrow().is_ok_and(|a| &a.parts.host == el)).cloned())
}

/// One of `Engine`'s calls on the view's own data (or, for `load` and `setSampleRate`, on the
/// view itself).
fn call(app: &std::rc::Rc<RefCell<App>>, name: &str, args: &js_sys::Array) -> Result<JsValue, String> {
    use crate::web::api::ops;
    let s = |i: u32| args.get(i).as_string().unwrap_or_default();
    let (data, d) = {
        let a = app.try_borrow().map_err(|_| "the view is busy: call again from a later turn".to_string())?;
        (a.model.data.clone(), a.dispatch.clone())
    };
    let text = |r: Result<String, String>| r.map(|t| JsValue::from_str(&t));
    match name {
        "query" => text(ops::query(&data, &s(0))),
        "queryArrow" => ops::query_arrow(&data, &s(0), args.get(1).is_truthy()).map(|b| js_sys::Uint8Array::from(b.as_slice()).into()),
        "bubbleup" => text(ops::bubbleup(&data, &s(0), &s(1), &s(2))),
        "quality" => text(ops::quality(&data, &s(0))),
        "slo" => text(ops::slo(&data, &s(0))),
        "trigger" => text(ops::trigger(&data, &s(0))),
        "rows" => Ok(JsValue::from(data.num_rows() as u32)),
        "byteSize" => Ok(JsValue::from(data.byte_size() as u32)),
        "setSampleRate" => match s(0).as_str() {
            m @ ("auto" | "none") => {
                d.send(Msg::Weighting(m == "auto"));
                Ok(JsValue::UNDEFINED)
            }
            other => Err(format!("setSampleRate on <apiary-view> takes \"auto\" or \"none\" (the view weights by the sample-rate column it detects), not {other:?}")),
        },
        "load" => {
            let name = s(0);
            let bytes = js_sys::Uint8Array::new(&args.get(1)).to_vec();
            let (size, hash) = (bytes.len(), crate::permalink::content_hash(&bytes));
            let loaded = crate::ingest::load_owned(&name, bytes).map_err(|e| e.to_string())?;
            let rows = data.num_rows() + loaded.batches.iter().map(|b| b.num_rows()).sum::<usize>();
            drop(data);
            d.send(Msg::Load(crate::web::sources::load::Event::Done { name, url: None, bytes: size, hash: Some(hash), out: Ok(loaded) }));
            Ok(JsValue::from(rows as u32))
        }
        other => Err(format!("<apiary-view> has no method {other}")),
    }
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
