//! Small DOM helpers. Text always goes in through `textContent`, never as HTML, because column
//! names and event values are untrusted.

use wasm_bindgen::{JsCast, JsValue};
use web_sys::{Document, Element, HtmlElement};

pub fn window() -> Result<web_sys::Window, JsValue> {
    web_sys::window().ok_or_else(|| JsValue::from_str("no window"))
}

pub fn document() -> Result<Document, JsValue> {
    window()?.document().ok_or_else(|| JsValue::from_str("no document"))
}

/// A new element with a class (may be empty).
pub fn el(tag: &str, class: &str) -> Result<Element, JsValue> {
    let e = document()?.create_element(tag)?;
    if !class.is_empty() {
        e.set_class_name(class);
    }
    Ok(e)
}

/// A new element holding `text` as text.
pub fn text_el(tag: &str, class: &str, text: &str) -> Result<Element, JsValue> {
    let e = el(tag, class)?;
    e.set_text_content(Some(text));
    Ok(e)
}

pub fn append(parent: &Element, child: &Element) -> Result<(), JsValue> {
    parent.append_child(child)?;
    Ok(())
}

pub fn clear(e: &Element) {
    e.set_text_content(None);
}

/// Show `msg` in `e` (an inline error or note), or hide `e` with `None`. Text only.
pub fn show_text(e: &Element, msg: Option<&str>) {
    match msg {
        Some(m) => {
            e.set_text_content(Some(m));
            let _ = e.remove_attribute("hidden");
        }
        None => {
            let _ = e.set_attribute("hidden", "");
        }
    }
}

pub fn set_style(e: &Element, prop: &str, value: &str) -> Result<(), JsValue> {
    e.dyn_ref::<HtmlElement>().ok_or_else(|| JsValue::from_str("not an HTML element"))?.style().set_property(prop, value)
}

/// `1,234,567`
pub fn thousands(n: u64) -> String {
    crate::value::thousands(n)
}

/// `6.2 MB`
pub fn bytes(n: usize) -> String {
    let n = n as f64;
    if n >= 1e9 {
        format!("{:.1} GB", n / 1e9)
    } else if n >= 1e6 {
        format!("{:.1} MB", n / 1e6)
    } else if n >= 1e3 {
        format!("{:.1} kB", n / 1e3)
    } else {
        format!("{n} B")
    }
}

/// Milliseconds from the time origin (`performance.now()`), in a page or a worker (0 where there
/// is none).
pub fn now() -> f64 {
    let perf = js_sys::Reflect::get(&js_sys::global(), &JsValue::from_str("performance"));
    perf.ok().and_then(|p| p.dyn_into::<web_sys::Performance>().ok()).map_or(0.0, |p| p.now())
}

/// Give the page its turn: resolves on the next task (a zero-delay timer), after input events
/// and rendering that were waiting.
pub async fn yield_now() {
    let promise = js_sys::Promise::new(&mut |resolve, _| {
        if let Ok(w) = window() {
            let _ = w.set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, 0);
        }
    });
    let _ = wasm_bindgen_futures::JsFuture::from(promise).await;
}

/// The page's colour scheme: dark when the system (or the browser) asks for it.
pub fn theme_of(el: &Element) -> crate::render::Theme {
    // A host's choice (`theme="dark"` on the element) is on the app's root as `data-theme`.
    match el.closest(".apiary").ok().flatten().and_then(|r| r.get_attribute("data-theme")).as_deref() {
        Some("dark") => return crate::render::Theme::Dark,
        Some("light") => return crate::render::Theme::Light,
        _ => {}
    }
    let dark = window()
        .ok()
        .and_then(|w| w.match_media("(prefers-color-scheme: dark)").ok().flatten())
        .is_some_and(|m| m.matches());
    if dark { crate::render::Theme::Dark } else { crate::render::Theme::Light }
}

/// `input` under a small upper-case label, in `parent` (the SLO and trigger forms).
pub fn labelled(parent: &Element, label: &str, input: &Element) -> Result<(), JsValue> {
    let l = el("label", "ap-slo-field")?;
    append(&l, &text_el("span", "ap-clause-name", label)?)?;
    append(&l, input)?;
    append(parent, &l)
}

/// A table row of text cells (each set as text, never markup) appended to `table`, with `class`.
pub fn text_row(table: &Element, cells: &[String], class: &str) -> Option<Element> {
    let tr = el("tr", class).ok()?;
    for c in cells {
        append(&tr, &text_el("td", "", c).ok()?).ok()?;
    }
    append(table, &tr).ok()?;
    Some(tr)
}
