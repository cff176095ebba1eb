//! Decode a file in a Worker, in a fresh instance of this same WebAssembly module (see
//! `ingest::isolated`): the page stays responsive while CSV, NDJSON, OTLP or Parquet decode, and
//! a decoder that panics kills only the worker's instance. The worker gets the compiled module
//! (`wasm_bindgen::module()`), instantiates it with stand-ins for the page's imports (decoding
//! calls none) and talks to it through the three exports below.

use std::cell::RefCell;

use js_sys::{Array, Object, Reflect, Uint8Array};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;

use crate::ingest::{isolated, Format};

thread_local! {
    static INPUT: RefCell<Vec<u8>> = const { RefCell::new(Vec::new()) };
    static OUTPUT: RefCell<Vec<u8>> = const { RefCell::new(Vec::new()) };
}

/// Worker side: room for a request of `len` bytes; returns where to write it.
#[no_mangle]
pub extern "C" fn apiary_isolated_input(len: usize) -> *mut u8 {
    INPUT.with(|i| {
        let mut i = i.borrow_mut();
        i.clear();
        i.resize(len, 0);
        i.as_mut_ptr()
    })
}

/// Worker side: serve the request; 0 when the output is an answer, 1 when it is an error text.
#[no_mangle]
pub extern "C" fn apiary_isolated_run() -> u32 {
    let request = INPUT.with(|i| std::mem::take(&mut *i.borrow_mut()));
    let (status, out) = match isolated::serve(&request) {
        Ok(a) => (0, a),
        Err(e) => (1, e.into_bytes()),
    };
    OUTPUT.with(|o| *o.borrow_mut() = out);
    status
}

/// Worker side: the output's address and length (written to `at`: two u32).
#[no_mangle]
pub extern "C" fn apiary_isolated_output(at: *mut u32) {
    OUTPUT.with(|o| {
        let o = o.borrow();
        // SAFETY: the worker script passes the address of 8 bytes it allocated in this memory.
        unsafe {
            *at = o.as_ptr() as u32;
            *at.add(1) = o.len() as u32;
        }
    })
}

/// The worker's script: instantiate the module, run one request, post the answer, or say how it
/// failed (an error text, or the instance trapped: a panic).
const SCRIPT: &str = r#"
self.onmessage = async (e) => {
  const { module, request } = e.data;
  try {
    const stub = new Proxy({}, { get: (_, f) => () => { throw new Error('the decoder called the page (' + String(f) + ')'); } });
    const { exports: x } = await WebAssembly.instantiate(module, new Proxy({}, { get: () => stub }));
    const at = x.apiary_isolated_input(request.length);
    new Uint8Array(x.memory.buffer, at, request.length).set(request);
    const status = x.apiary_isolated_run();
    const slot = x.apiary_isolated_input(8);
    x.apiary_isolated_output(slot);
    const [ptr, len] = new Uint32Array(x.memory.buffer.slice(slot, slot + 8));
    const out = new Uint8Array(x.memory.buffer, ptr, len).slice();
    if (status === 0) self.postMessage({ answer: out }, [out.buffer]);
    else self.postMessage({ error: new TextDecoder().decode(out) });
  } catch (err) {
    self.postMessage({ crashed: String((err && err.message) || err) });
  }
};
"#;

thread_local! {
    static SCRIPT_URL: RefCell<Option<String>> = const { RefCell::new(None) };
}

fn script_url() -> Result<String, JsValue> {
    if let Some(u) = SCRIPT_URL.with(|u| u.borrow().clone()) {
        return Ok(u);
    }
    let parts = Array::of1(&JsValue::from_str(SCRIPT));
    let opts = web_sys::BlobPropertyBag::new();
    opts.set_type("text/javascript");
    let blob = web_sys::Blob::new_with_str_sequence_and_options(&parts, &opts)?;
    let url = web_sys::Url::create_object_url_with_blob(&blob)?;
    SCRIPT_URL.with(|u| *u.borrow_mut() = Some(url.clone()));
    Ok(url)
}

/// How a decode in the worker ended.
pub enum Outcome {
    /// The format and the batches as an Arrow IPC stream.
    Decoded(Format, Vec<u8>),
    /// The decoder's error (names the file and where).
    Failed(String),
    /// No worker here (a host's content security policy, say): decode in the page instead.
    Unavailable,
}

/// Decode `bytes` in a worker; `signal` (Cancel) stops it.
pub async fn decode(name: &str, bytes: &[u8], signal: Option<&web_sys::AbortSignal>) -> Outcome {
    let Ok(url) = script_url() else { return Outcome::Unavailable };
    let Ok(worker) = web_sys::Worker::new(&url) else { return Outcome::Unavailable };
    let request = Uint8Array::from(isolated::request(name, bytes).as_slice());
    let message = Object::new();
    let _ = Reflect::set(&message, &"module".into(), &wasm_bindgen::module());
    let _ = Reflect::set(&message, &"request".into(), &request);
    let done = js_sys::Promise::new(&mut |resolve, reject| {
        worker.set_onmessage(Some(&resolve));
        worker.set_onerror(Some(&reject));
        if let Some(s) = signal {
            s.set_onabort(Some(&reject));
        }
    });
    if worker.post_message_with_transfer(&message, &Array::of1(&request.buffer())).is_err() {
        worker.terminate();
        return Outcome::Unavailable;
    }
    let got = JsFuture::from(done).await;
    worker.terminate();
    if let Some(s) = signal {
        s.set_onabort(None);
        if s.aborted() {
            return Outcome::Failed(format!("loading {name} was cancelled; nothing was added"));
        }
    }
    let data = match got {
        Ok(ev) => Reflect::get(&ev, &"data".into()).unwrap_or(JsValue::UNDEFINED),
        Err(e) => {
            // A worker that could not start at all (a content security policy without
            // `worker-src blob:` blocks it after `new Worker` returned) fires a plain `error`
            // event; an error inside a running worker is an ErrorEvent, with a message.
            let Some(m) = Reflect::get(&e, &"message".into()).ok().and_then(|m| m.as_string()) else { return Outcome::Unavailable };
            return Outcome::Failed(format!("cannot read {name}: the decoder stopped ({m})"));
        }
    };
    let field = |k: &str| Reflect::get(&data, &k.into()).ok().filter(|v| !v.is_undefined());
    if let Some(a) = field("answer").and_then(|a| a.dyn_into::<Uint8Array>().ok()) {
        let answer = a.to_vec();
        return match isolated::answer(&answer) {
            Ok((format, ipc)) => Outcome::Decoded(format, ipc.to_vec()),
            Err(e) => Outcome::Failed(format!("cannot read {name}: {e}")),
        };
    }
    if let Some(e) = field("error").and_then(|e| e.as_string()) {
        return Outcome::Failed(e);
    }
    let why = field("crashed").and_then(|e| e.as_string()).unwrap_or_default();
    Outcome::Failed(format!("cannot read {name}: the decoder crashed on this file ({why}); it is probably corrupted. Nothing was added."))
}
