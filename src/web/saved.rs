//! What a person keeps in the page (recent queries, SLOs, triggers): lists in the browser's local
//! storage, and JSON files out (a download) and in (a file picker whose text comes back as a
//! message).

use serde::de::DeserializeOwned;
use serde::Serialize;
use wasm_bindgen::{JsCast, JsValue};
use web_sys::{Element, HtmlInputElement};

use super::dispatch::{on, Dispatch};
use super::dom::{self, append, el, text_el};

fn storage() -> Option<web_sys::Storage> {
    dom::window().ok()?.local_storage().ok().flatten()
}

/// The list kept under `key` (empty when there is none or it does not read).
pub fn load<T: DeserializeOwned>(key: &str) -> Vec<T> {
    storage().and_then(|s| s.get_item(key).ok().flatten()).and_then(|t| serde_json::from_str(&t).ok()).unwrap_or_default()
}

/// The items kept under `key` that `read` makes something of (the others are left out).
pub fn load_with<T>(key: &str, read: impl Fn(&serde_json::Value) -> Option<T>) -> Vec<T> {
    load::<serde_json::Value>(key).iter().filter_map(read).collect()
}

/// Keep `list` under `key`.
pub fn store<T: Serialize>(key: &str, list: &[T]) {
    if let (Some(s), Ok(text)) = (storage(), serde_json::to_string(list)) {
        let _ = s.set_item(key, &text);
    }
}

/// Offer `list` as a JSON file download named `name`.
pub fn download<T: Serialize>(name: &str, list: &[T]) {
    let Ok(text) = serde_json::to_string_pretty(list) else { return };
    download_bytes(name, "application/json", text.as_bytes());
}

/// Offer `bytes` as a file download named `name` of type `mime`.
pub fn download_bytes(name: &str, mime: &str, bytes: &[u8]) {
    let parts = js_sys::Array::of1(&js_sys::Uint8Array::from(bytes));
    let opts = web_sys::BlobPropertyBag::new();
    opts.set_type(mime);
    let Ok(blob) = web_sys::Blob::new_with_u8_array_sequence_and_options(&parts, &opts) else { return };
    let Ok(url) = web_sys::Url::create_object_url_with_blob(&blob) else { return };
    download_url(name, &url);
    let _ = web_sys::Url::revoke_object_url(&url);
}

/// Offer what `url` holds (an object or `data:` URL) as a file download named `name`.
pub fn download_url(name: &str, url: &str) {
    if let Ok(a) = el("a", "") {
        let _ = a.set_attribute("href", url);
        let _ = a.set_attribute("download", name);
        if let Some(a) = a.dyn_ref::<web_sys::HtmlElement>() {
            a.click();
        }
    }
}

/// An "Import JSON" button (a label around a hidden file input) in `parent`; returns the input.
pub fn import_button(parent: &Element, class: &str) -> Result<HtmlInputElement, JsValue> {
    file_button(parent, class, "Import JSON")
}

/// A button saying `text` that picks a JSON file (a label around a hidden file input) in
/// `parent`; returns the input ([`on_import`] reads what is picked).
pub fn file_button(parent: &Element, class: &str, text: &str) -> Result<HtmlInputElement, JsValue> {
    let label = el("label", &format!("ap-button {class}"))?;
    append(&label, &text_el("span", "", text)?)?;
    let input: HtmlInputElement = el("input", "")?.dyn_into()?;
    input.set_type("file");
    input.set_accept(".json,application/json");
    input.set_attribute("hidden", "")?;
    append(&label, &input)?;
    append(parent, &label)?;
    Ok(input)
}

/// The text of a file picked in `input`, sent as `msg(text)`.
pub fn on_import<M: 'static>(input: &HtmlInputElement, d: &Dispatch<M>, msg: fn(String) -> M) -> gloo_events::EventListener {
    let (picker, d) = (input.clone(), d.clone());
    on::<web_sys::Event>(input, "change", move |_| {
        let Some(file) = picker.files().and_then(|f| f.get(0)) else { return };
        picker.set_value("");
        let d = d.clone();
        wasm_bindgen_futures::spawn_local(async move {
            if let Ok(text) = wasm_bindgen_futures::JsFuture::from(file.text()).await {
                d.send(msg(text.as_string().unwrap_or_default()));
            }
        });
    })
}

/// An imported file's items: a JSON list, or one object alone.
pub fn items(text: &str) -> Result<Vec<serde_json::Value>, String> {
    match serde_json::from_str::<serde_json::Value>(text).map_err(|e| e.to_string())? {
        serde_json::Value::Array(a) => Ok(a),
        v => Ok(vec![v]),
    }
}
