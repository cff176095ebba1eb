//! Browser side (wasm32 only): the page, canvas drawing, fetch, and the JavaScript API.
//! Nothing here computes results; it calls the engine and shows what it returns.

pub mod api;
pub mod app;
pub mod builder;
pub mod bubbleup_view;
pub mod calc_charts;
pub mod chart;
pub mod chart_tools;
pub mod crosshair;
pub mod decode_worker;
pub mod dom;
pub mod fetch;
pub mod history;
pub mod pace;
pub mod query_panel;
pub mod sources;
pub mod table;
pub mod trace_view;
pub mod trace_zoom;

use wasm_bindgen::prelude::*;

/// Runs when the module is instantiated: install the panic hook, then mount the app into every
/// element marked `data-apiary` (the standalone page has one; host pages may add their own).
#[wasm_bindgen(start)]
pub fn start() -> Result<(), JsValue> {
    console_error_panic_hook::set_once();
    let doc = dom::document()?;
    let hosts = doc.query_selector_all("[data-apiary]")?;
    for i in 0..hosts.length() {
        if let Some(el) = hosts.item(i).and_then(|n| wasm_bindgen::JsCast::dyn_into::<web_sys::Element>(n).ok()) {
            app::App::mount(el)?;
        }
    }
    Ok(())
}
