//! Decode a file in a Worker, in a fresh instance of a WebAssembly module (see
//! `ingest::isolated`): the page stays responsive while CSV, NDJSON, OTLP or Parquet decode, and
//! a decoder that panics kills only the worker's instance. CSV, NDJSON and OTLP decode in this
//! same module (`wasm_bindgen::module()`); Parquet in the decoder module, fetched and compiled
//! the first time a Parquet file comes (`apiary-decoder.wasm` beside this module, or the host's
//! `data-decoder-url`): the page's own download leaves the Parquet reader out. The worker
//! instantiates the module with stand-ins for its imports (decoding calls none) and talks to it
//! through `ingest::isolated`'s three exports. Where no worker can start, the decoder module
//! runs in the page the same way.

use std::cell::RefCell;

use js_sys::{Array, Object, Reflect, Uint8Array};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;

use crate::ingest::{isolated, Format};

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
    /// A blob URL per worker script (this one's, the code warm-up's), made once.
    static SCRIPT_URLS: RefCell<Vec<(&'static str, String)>> = const { RefCell::new(Vec::new()) };
}

/// A `blob:` URL holding `script`, for `new Worker` (made once per script).
pub fn script_url(script: &'static str) -> Result<String, JsValue> {
    if let Some(u) = SCRIPT_URLS.with(|u| u.borrow().iter().find(|(s, _)| std::ptr::eq(*s, script)).map(|(_, u)| u.clone())) {
        return Ok(u);
    }
    let parts = Array::of1(&JsValue::from_str(script));
    let opts = web_sys::BlobPropertyBag::new();
    opts.set_type("text/javascript");
    let blob = web_sys::Blob::new_with_str_sequence_and_options(&parts, &opts)?;
    let url = web_sys::Url::create_object_url_with_blob(&blob)?;
    SCRIPT_URLS.with(|u| u.borrow_mut().push((script, url.clone())));
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

thread_local! {
    /// The decoder module, compiled once (a promise of a `WebAssembly.Module`).
    static DECODER: RefCell<Option<js_sys::Promise>> = const { RefCell::new(None) };
    /// Where the decoder module is, when the host says (`data-decoder-url`).
    static DECODER_URL: RefCell<Option<String>> = const { RefCell::new(None) };
}

/// The host's address for the decoder module (`data-decoder-url`); the first app's wins.
pub fn set_decoder_url(url: &str) {
    DECODER_URL.with(|u| {
        u.borrow_mut().get_or_insert_with(|| url.to_string());
    });
}

/// `apiary-decoder.wasm` beside the page's own module (trunk preloads it), else beside the page.
fn decoder_url() -> String {
    if let Some(u) = DECODER_URL.with(|u| u.borrow().clone()) {
        return u;
    }
    let doc = crate::web::dom::document().ok();
    let main = doc.as_ref().and_then(|d| d.query_selector("link[href$='_bg.wasm']").ok().flatten()).and_then(|l| l.get_attribute("href"));
    let base = doc.and_then(|d| d.base_uri().ok().flatten()).unwrap_or_default();
    let beside = main.as_deref().and_then(|m| web_sys::Url::new_with_base(m, &base).ok()).map(|u| u.href()).unwrap_or(base);
    web_sys::Url::new_with_base("apiary-decoder.wasm", &beside).map(|u| u.href()).unwrap_or_else(|_| "apiary-decoder.wasm".into())
}

/// The decoder module, fetched and compiled on first use (a failure is tried again next time).
async fn decoder_module() -> Result<JsValue, String> {
    let url = decoder_url();
    let promise = DECODER.with(|d| {
        d.borrow_mut()
            .get_or_insert_with(|| {
                let url = url.clone();
                wasm_bindgen_futures::future_to_promise(async move {
                    let win = crate::web::dom::window()?;
                    let r: web_sys::Response = JsFuture::from(win.fetch_with_str(&url)).await?.dyn_into()?;
                    if !r.ok() {
                        return Err(format!("HTTP {}", r.status()).into());
                    }
                    let buf = JsFuture::from(r.array_buffer()?).await?;
                    JsFuture::from(js_sys::WebAssembly::compile(&buf)).await
                })
            })
            .clone()
    });
    match JsFuture::from(promise).await {
        Ok(m) => Ok(m),
        Err(e) => {
            DECODER.with(|d| *d.borrow_mut() = None);
            Err(format!("the decoder module for Parquet and ZSTD ({url}) did not load: {}", crate::web::fetch::js_err(&e)))
        }
    }
}

/// [`decode`]'s answer as a loaded source (its batches slice the stream the worker gave back);
/// `None` when no worker can start here, for the caller to decode in the page.
pub async fn load(name: &str, bytes: &[u8], signal: Option<&web_sys::AbortSignal>) -> Option<Result<crate::ingest::Loaded, String>> {
    match decode(name, bytes, signal).await {
        Outcome::Decoded(format, ipc) if ipc.is_empty() => Some(Ok(crate::ingest::Loaded { format, batches: Vec::new() })),
        Outcome::Decoded(format, ipc) => Some(crate::ingest::load_owned(name, ipc).map(|l| crate::ingest::Loaded { format, batches: l.batches }).map_err(|e| e.to_string())),
        Outcome::Failed(e) => Some(Err(e)),
        Outcome::Unavailable => None,
    }
}

/// Decode `bytes` in a worker; `signal` (Cancel) stops it.
pub async fn decode(name: &str, bytes: &[u8], signal: Option<&web_sys::AbortSignal>) -> Outcome {
    // Parquet and ZSTD are in the decoder module; CSV, NDJSON and OTLP in this one.
    let in_decoder = crate::ingest::detect(name, bytes).is_ok_and(|f| f == Format::Parquet) || crate::ingest::needs_zstd(bytes);
    let module = if in_decoder {
        match decoder_module().await {
            Ok(m) => m,
            Err(e) => return Outcome::Failed(format!("cannot read {name}: {e}")),
        }
    } else {
        wasm_bindgen::module()
    };
    let request = Uint8Array::from(isolated::request(name, bytes).as_slice());
    let worker = script_url(SCRIPT).and_then(|url| web_sys::Worker::new(&url));
    let Ok(worker) = worker else { return if in_decoder { in_page(name, &module, &request).await } else { Outcome::Unavailable } };
    let message = Object::new();
    let _ = Reflect::set(&message, &"module".into(), &module);
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
            let Some(m) = Reflect::get(&e, &"message".into()).ok().and_then(|m| m.as_string()) else {
                return if in_decoder { in_page(name, &module, &Uint8Array::from(isolated::request(name, bytes).as_slice())).await } else { Outcome::Unavailable };
            };
            return Outcome::Failed(format!("cannot read {name}: the decoder stopped ({m})"));
        }
    };
    reply(name, &data)
}

/// What the worker (or the module run in the page) posted: an answer, an error, or a crash.
fn reply(name: &str, data: &JsValue) -> Outcome {
    let field = |k: &str| Reflect::get(data, &k.into()).ok().filter(|v| !v.is_undefined());
    if let Some(a) = field("answer").and_then(|a| a.dyn_into::<Uint8Array>().ok()) {
        // The format byte, then the Arrow stream copied into wasm memory once.
        let head = if a.length() > 0 { vec![a.get_index(0)] } else { Vec::new() };
        return match isolated::answer(&head) {
            Ok((format, _)) => Outcome::Decoded(format, a.subarray(1, a.length()).to_vec()),
            Err(e) => Outcome::Failed(format!("cannot read {name}: {e}")),
        };
    }
    if let Some(e) = field("error").and_then(|e| e.as_string()) {
        return Outcome::Failed(e);
    }
    let why = field("crashed").and_then(|e| e.as_string()).unwrap_or_default();
    Outcome::Failed(format!("cannot read {name}: the decoder crashed on this file ({why}); it is probably corrupted. Nothing was added."))
}

/// No worker here: run `module` in the page, through the same three exports (its imports stand
/// in as functions that throw, as in the worker).
async fn in_page(name: &str, module: &JsValue, request: &Uint8Array) -> Outcome {
    let run = async {
        let module: js_sys::WebAssembly::Module = module.clone().dyn_into()?;
        let imports = Object::new();
        for i in js_sys::WebAssembly::Module::imports(&module).iter() {
            let m = Reflect::get(&i, &"module".into())?;
            let f = Reflect::get(&i, &"name".into())?;
            let ns = match Reflect::get(&imports, &m)? {
                v if v.is_object() => v,
                _ => {
                    let o = Object::new().into();
                    Reflect::set(&imports, &m, &o)?;
                    o
                }
            };
            Reflect::set(&ns, &f, &js_sys::Function::new_no_args("throw new Error('the decoder called the page')"))?;
        }
        let instance: js_sys::WebAssembly::Instance = JsFuture::from(js_sys::WebAssembly::instantiate_module(&module, &imports)).await?.dyn_into()?;
        let x = instance.exports();
        let call = |f: &str, args: &[JsValue]| -> Result<JsValue, JsValue> {
            let f: js_sys::Function = Reflect::get(&x, &f.into())?.dyn_into()?;
            f.apply(&JsValue::NULL, &args.iter().collect::<Array>())
        };
        let memory = || -> Result<JsValue, JsValue> { Reflect::get(&Reflect::get(&x, &"memory".into())?, &"buffer".into()) };
        let at = call("apiary_isolated_input", &[request.length().into()])?.as_f64().unwrap_or(0.0) as u32;
        Uint8Array::new_with_byte_offset_and_length(&memory()?, at, request.length()).set(request, 0);
        let status = call("apiary_isolated_run", &[])?.as_f64().unwrap_or(1.0);
        let slot = call("apiary_isolated_input", &[8.into()])?.as_f64().unwrap_or(0.0) as u32;
        call("apiary_isolated_output", &[slot.into()])?;
        let pl = js_sys::Uint32Array::new_with_byte_offset_and_length(&memory()?, slot, 2).to_vec();
        let out = Uint8Array::new_with_byte_offset_and_length(&memory()?, pl[0], pl[1]).slice(0, pl[1]);
        let data = Object::new();
        if status == 0.0 {
            Reflect::set(&data, &"answer".into(), &out)?;
        } else {
            Reflect::set(&data, &"error".into(), &String::from_utf8_lossy(&out.to_vec()).into_owned().into())?;
        }
        Ok::<JsValue, JsValue>(data.into())
    };
    match run.await {
        Ok(data) => reply(name, &data),
        Err(e) => {
            let data = Object::new();
            let _ = Reflect::set(&data, &"crashed".into(), &crate::web::fetch::js_err(&e).into());
            reply(name, &data.into())
        }
    }
}
