//! The code warm-up in a Worker (`query::warm_code`): when the module starts, a Worker runs
//! another instance of this very compiled module over made-up events while the page fetches and
//! loads its data. The browser keeps one optimized copy of a module's code for all its instances,
//! so the kernels the worker used up its baseline-tier budget on are optimized for the page's
//! first query too. Nothing comes back but how it went; where no worker can start (a content
//! security policy without `worker-src blob:`), nothing happens.

use std::cell::RefCell;

use js_sys::{Object, Promise, Reflect};
use wasm_bindgen::JsValue;
use wasm_bindgen_futures::JsFuture;

/// The worker's script: instantiate the module (its imports stand-ins: the warm-up calls none),
/// run the warm-up, post how many queries answered and how long it took, or how it failed.
const SCRIPT: &str = r#"
self.onmessage = async (e) => {
  try {
    const stub = new Proxy({}, { get: (_, f) => () => { throw new Error('the warm-up called the page (' + String(f) + ')'); } });
    const { exports: x } = await WebAssembly.instantiate(e.data.module, new Proxy({}, { get: () => stub }));
    const t = performance.now();
    const queries = x.apiary_warm_code();
    self.postMessage({ queries, ms: performance.now() - t });
  } catch (err) {
    self.postMessage({ crashed: String((err && err.message) || err) });
  }
};
"#;

thread_local! {
    static STARTED: RefCell<Option<Promise>> = const { RefCell::new(None) };
}

/// Start the code warm-up (once per page); a promise of how it went: `{queries, ms}`, or
/// `{crashed}`, or `null` where no worker could start.
pub fn start() -> Promise {
    STARTED.with(|s| s.borrow_mut().get_or_insert_with(spawn).clone())
}

fn spawn() -> Promise {
    // The worker starts now, before the page's own work (its load) takes the thread.
    let Ok(worker) = super::decode_worker::script_url(SCRIPT).and_then(|u| web_sys::Worker::new(&u)) else {
        return Promise::resolve(&JsValue::NULL);
    };
    let done = Promise::new(&mut |resolve, reject| {
        worker.set_onmessage(Some(&resolve));
        worker.set_onerror(Some(&reject));
    });
    let message = Object::new();
    let _ = Reflect::set(&message, &"module".into(), &wasm_bindgen::module());
    if worker.post_message(&message).is_err() {
        worker.terminate();
        return Promise::resolve(&JsValue::NULL);
    }
    wasm_bindgen_futures::future_to_promise(async move {
        let got = JsFuture::from(done).await;
        worker.terminate();
        Ok(got.ok().and_then(|ev| Reflect::get(&ev, &"data".into()).ok()).unwrap_or(JsValue::NULL))
    })
}

/// Worker side: run the warm-up in this instance; how many queries answered.
#[no_mangle]
pub extern "C" fn apiary_warm_code() -> u32 {
    crate::query::warm_code::run() as u32
}
