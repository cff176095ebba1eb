//! Browser side (wasm32 only): the page, canvas drawing, fetch, and the JavaScript API.
//! Nothing here computes results; it calls the engine and shows what it returns.
//!
//! Shape: data flows down, events come up. The page's state is one value (`app::Model`); each
//! part of the page (a folder below) draws from what it is handed and turns DOM events into its
//! own messages; `app` applies every message in one update function and starts work whose
//! results come back as messages. A part never imports `app` or another part.

// The app on top: it imports the parts; nothing imports it.
pub mod app;
// The parts of the page, one folder each: its DOM, its events (its own `Msg`), its view state.
pub mod board;
pub mod bubbleup;
pub mod export;
pub mod markers;
pub mod quality;
pub mod query;
pub mod results;
pub mod slo;
pub mod snapshot;
pub mod triggers;
pub mod sources;
pub mod traces;
// Below every part: plumbing they share (no views).
pub mod api;
pub mod chart;
pub mod code_warm;
pub mod decode_worker;
pub mod dispatch;
pub mod dom;
pub mod fetch;
pub mod pace;
pub mod saved;

use wasm_bindgen::prelude::*;

/// Runs when the module is instantiated: install the panic hook, start the code warm-up in a
/// worker, then mount the app into every element marked `data-apiary` (the standalone page has
/// one; host pages may add their own).
#[wasm_bindgen(start)]
pub fn start() -> Result<(), JsValue> {
    console_error_panic_hook::set_once();
    let _ = code_warm::start();
    app::define_element();
    app::mount_all()
}
