//! The markers control: add deploys, flag changes and incidents from a JSON file or URL (see
//! `crate::marker`), see how many of each type are on the charts, clear them. The app reads
//! the file or URL and draws the markers on every time chart.

use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{Element, HtmlInputElement};

use crate::marker::{colour, Marker};
use crate::web::dispatch::{send_on, Dispatch, Listeners};
use crate::web::dom::{self, append, el, text_el};

pub enum Msg {
    File(web_sys::File),
    Url(String),
    Clear,
}

/// What the control asks of the app.
pub enum Out {
    File(web_sys::File),
    Url(String),
    Clear,
}

pub struct MarkersControl {
    file: HtmlInputElement,
    url: HtmlInputElement,
    load: Element,
    clear: Element,
    summary: Element,
    error: Element,
}

impl MarkersControl {
    pub fn build(parent: &Element) -> Result<MarkersControl, JsValue> {
        let root = el("div", "ap-markers")?;
        root.set_attribute("aria-label", "markers")?;
        append(&root, &text_el("span", "ap-hint", "Markers")?)?;
        let pick = el("label", "ap-button")?;
        append(&pick, &text_el("span", "", "Add markers…")?)?;
        let file: HtmlInputElement = el("input", "ap-markers-file")?.dyn_into()?;
        file.set_type("file");
        file.set_accept(".json,.ndjson,.jsonl,application/json");
        append(&pick, &file)?;
        append(&root, &pick)?;
        let url: HtmlInputElement = el("input", "ap-markers-url")?.dyn_into()?;
        url.set_type("url");
        url.set_placeholder("https://…/markers.json or a store table");
        url.set_attribute("aria-label", "markers URL")?;
        append(&root, &url)?;
        let load = text_el("button", "ap-button ap-markers-load", "Load")?;
        append(&root, &load)?;
        let summary = el("span", "ap-markers-summary")?;
        append(&root, &summary)?;
        let clear = text_el("button", "ap-linkish ap-markers-clear", "Clear")?;
        clear.set_attribute("hidden", "")?;
        append(&root, &clear)?;
        let error = el("div", "ap-markers-error")?;
        error.set_attribute("role", "alert")?;
        error.set_attribute("hidden", "")?;
        append(&root, &error)?;
        append(parent, &root)?;
        Ok(MarkersControl { file, url, load, clear, summary, error })
    }

    pub fn listen(&self, d: &Dispatch<Msg>) -> Listeners {
        let (file, url, url2) = (self.file.clone(), self.url.clone(), self.url.clone());
        let typed = |u: &HtmlInputElement| Some(u.value().trim().to_string()).filter(|v| !v.is_empty()).map(Msg::Url);
        vec![
            send_on::<web_sys::Event, _>(&self.file, "change", d, move |_| {
                let f = file.files().and_then(|f| f.get(0));
                file.set_value("");
                f.map(Msg::File)
            }),
            send_on::<web_sys::Event, _>(&self.load, "click", d, move |_| typed(&url)),
            send_on::<web_sys::KeyboardEvent, _>(&self.url, "keydown", d, move |e| if e.key() == "Enter" { typed(&url2) } else { None }),
            send_on::<web_sys::Event, _>(&self.clear, "click", d, |_| Some(Msg::Clear)),
        ]
    }

    pub fn update(&self, msg: Msg) -> Option<Out> {
        Some(match msg {
            Msg::File(f) => Out::File(f),
            Msg::Url(u) => Out::Url(u),
            Msg::Clear => Out::Clear,
        })
    }

    /// Show what is on the charts: how many markers of each type, in its colour.
    pub fn show(&self, markers: &[Marker], from: Option<&str>) {
        dom::clear(&self.summary);
        self.show_error(None);
        if let Some(u) = from {
            self.url.set_value(u);
        }
        let mut kinds: Vec<(&str, usize)> = Vec::new();
        for m in markers {
            match kinds.iter_mut().find(|(k, _)| *k == m.kind) {
                Some(k) => k.1 += 1,
                None => kinds.push((&m.kind, 1)),
            }
        }
        for (kind, n) in kinds {
            if let Ok(chip) = text_el("span", "ap-marker-kind", &format!("{kind} {n}")) {
                let (r, g, b) = colour(kind);
                let _ = dom::set_style(&chip, "border-color", &format!("rgb({r},{g},{b})"));
                let _ = append(&self.summary, &chip);
            }
        }
        let _ = self.summary.set_attribute("data-count", &markers.len().to_string());
        let _ = if markers.is_empty() { self.clear.set_attribute("hidden", "") } else { self.clear.remove_attribute("hidden") };
    }

    pub fn show_error(&self, msg: Option<&str>) {
        dom::show_text(&self.error, msg);
    }
}
