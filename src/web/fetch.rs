//! Fetching bytes over HTTP from the page.

use js_sys::Uint8Array;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::Response;

use super::dom::window;

/// GET `url` and return the body. Errors say which URL and what went wrong.
pub async fn fetch_bytes(url: &str) -> Result<Vec<u8>, String> {
    let win = window().map_err(|_| "no window".to_string())?;
    let resp = JsFuture::from(win.fetch_with_str(url)).await.map_err(|e| format!("cannot fetch {url}: {}", js_err(&e)))?;
    let resp: Response = resp.dyn_into().map_err(|_| format!("cannot fetch {url}: not a response"))?;
    if !resp.ok() {
        return Err(format!("cannot fetch {url}: HTTP {} {}", resp.status(), resp.status_text()));
    }
    let buf = JsFuture::from(resp.array_buffer().map_err(|e| js_err(&e))?).await.map_err(|e| format!("reading {url}: {}", js_err(&e)))?;
    Ok(Uint8Array::new(&buf).to_vec())
}

pub fn js_err(e: &JsValue) -> String {
    e.as_string()
        .or_else(|| e.dyn_ref::<js_sys::Error>().map(|x| String::from(x.message())))
        .unwrap_or_else(|| format!("{e:?}"))
}
