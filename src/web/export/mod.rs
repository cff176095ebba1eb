//! Export what is on view: the main chart as PNG (the canvas as drawn) or SVG (drawn again by
//! plotters' SVG backend), the results as CSV or an Arrow IPC stream, the whole view as a
//! standalone HTML file. The buttons sit in the bar
//! above the chart; the app makes the files.

use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::Element;

use crate::web::dispatch::{send_on, Dispatch, Listeners};
use crate::web::dom::{append, el, text_el};

#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Kind {
    Png,
    Svg,
    Csv,
    Arrow,
    Html,
}

impl Kind {
    const ALL: [(Kind, &'static str, &'static str); 5] = [
        (Kind::Png, "PNG", "The chart as a PNG image"),
        (Kind::Svg, "SVG", "The chart as an SVG drawing"),
        (Kind::Csv, "CSV", "The results table as CSV"),
        (Kind::Arrow, "Arrow", "The results as an Arrow IPC stream"),
        (Kind::Html, "HTML", "The whole view as one HTML file that opens offline (charts, table, markers, links back)"),
    ];

    fn parse(s: &str) -> Option<Kind> {
        Kind::ALL.iter().find(|(_, label, _)| *label == s).map(|(k, _, _)| *k)
    }
}

pub enum Msg {
    Export(Kind),
}

/// What the export buttons ask of the app.
pub enum Out {
    Export(Kind),
}

pub struct ExportMenu {
    root: Element,
}

impl ExportMenu {
    pub fn build(bar: &Element) -> Result<ExportMenu, JsValue> {
        let root = el("span", "ap-export")?;
        append(&root, &text_el("span", "ap-export-label", "Export")?)?;
        for (_, label, title) in Kind::ALL {
            let b = text_el("button", "ap-linkish ap-export-button", label)?;
            b.set_attribute("data-export", label)?;
            b.set_attribute("title", title)?;
            append(&root, &b)?;
        }
        append(bar, &root)?;
        Ok(ExportMenu { root })
    }

    pub fn listen(&self, d: &Dispatch<Msg>) -> Listeners {
        vec![send_on::<web_sys::MouseEvent, _>(&self.root, "click", d, |e| {
            let t = e.target().and_then(|t| t.dyn_into::<Element>().ok())?;
            Kind::parse(&t.get_attribute("data-export")?).map(Msg::Export)
        })]
    }

    pub fn update(&mut self, msg: Msg) -> Option<Out> {
        match msg {
            Msg::Export(k) => Some(Out::Export(k)),
        }
    }
}
