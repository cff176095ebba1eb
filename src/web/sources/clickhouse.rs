//! The ClickHouse source: endpoint, database, table, user and key; Connect; once connected, what
//! it is, Disconnect, and "Bring the matching events into the tab" (capped). Text only.

use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{Element, HtmlInputElement};

use super::Msg;
use crate::web::dispatch::{send_on, Dispatch, Listeners};
use crate::web::dom::{self, append, el, text_el};

/// The most events "Bring into the tab" fetches.
pub const BRING_CAP: usize = 1_000_000;

/// What the form holds when Connect is pressed.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Connect {
    pub url: String,
    pub database: String,
    pub table: String,
    pub user: String,
    pub key: String,
}

pub struct StoreForm {
    details: Element,
    url: HtmlInputElement,
    database: HtmlInputElement,
    table: HtmlInputElement,
    user: HtmlInputElement,
    key: HtmlInputElement,
    connect: Element,
    note: Element,
    error: Element,
    connected: Element,
}

fn input(parent: &Element, class: &str, label: &str, kind: &str, placeholder: &str) -> Result<HtmlInputElement, JsValue> {
    let l = el("label", "ap-ch-field")?;
    append(&l, &text_el("span", "ap-hint", label)?)?;
    let i: HtmlInputElement = el("input", class)?.dyn_into()?;
    i.set_type(kind);
    i.set_placeholder(placeholder);
    i.set_attribute("spellcheck", "false")?;
    i.set_attribute("autocomplete", if kind == "password" { "current-password" } else { "off" })?;
    append(&l, &i)?;
    append(parent, &l)?;
    Ok(i)
}

impl StoreForm {
    pub fn build(parent: &Element) -> Result<StoreForm, JsValue> {
        let details = el("details", "ap-ch")?;
        append(&details, &text_el("summary", "", "ClickHouse…")?)?;
        let form = el("div", "ap-ch-form")?;
        let url = input(&form, "ap-ch-url", "endpoint", "url", "https://clickhouse.example:8443")?;
        let database = input(&form, "ap-ch-db", "database", "text", "default")?;
        let table = input(&form, "ap-ch-table", "table", "text", "otel_traces")?;
        let user = input(&form, "ap-ch-user", "user", "text", "readonly user")?;
        let key = input(&form, "ap-ch-key", "key", "password", "")?;
        let connect = text_el("button", "ap-button ap-ch-connect", "Connect")?;
        append(&form, &connect)?;
        append(&details, &form)?;
        let note = el("p", "ap-hint ap-ch-note")?;
        note.set_attribute("hidden", "")?;
        append(&details, &note)?;
        let error = el("div", "ap-clause-error ap-ch-error")?;
        error.set_attribute("role", "alert")?;
        error.set_attribute("hidden", "")?;
        append(&details, &error)?;
        append(parent, &details)?;
        let connected = el("div", "ap-ch-connected")?;
        connected.set_attribute("hidden", "")?;
        append(parent, &connected)?;
        Ok(StoreForm { details, url, database, table, user, key, connect, note, error, connected })
    }

    pub fn listen(&self, d: &Dispatch<Msg>) -> Listeners {
        let f = [&self.url, &self.database, &self.table, &self.user, &self.key].map(|i| i.clone());
        let read = move || {
            let v = |i: &HtmlInputElement| i.value().trim().to_string();
            Msg::Connect(Connect { url: v(&f[0]), database: v(&f[1]), table: v(&f[2]), user: v(&f[3]), key: f[4].value() })
        };
        let read2 = read.clone();
        vec![
            send_on::<web_sys::Event, _>(&self.connect, "click", d, move |_| Some(read())),
            send_on::<web_sys::KeyboardEvent, _>(&self.details, "keydown", d, move |e| {
                let in_form = e.target().and_then(|t| t.dyn_into::<HtmlInputElement>().ok()).is_some();
                (e.key() == "Enter" && in_form).then(|| read2())
            }),
            send_on::<web_sys::MouseEvent, _>(&self.connected, "click", d, |e| {
                let t = e.target().and_then(|t| t.dyn_into::<Element>().ok())?;
                match t.closest("[data-ch]").ok().flatten()?.get_attribute("data-ch")?.as_str() {
                    "disconnect" => Some(Msg::Disconnect),
                    "bring" => Some(Msg::BringIntoTab),
                    _ => None,
                }
            }),
        ]
    }

    /// ClickHouse's words when connecting failed (or `None`).
    pub fn show_error(&self, msg: Option<&str>) {
        dom::show_text(&self.error, msg);
        if msg.is_some() {
            let _ = self.details.set_attribute("open", "");
        }
    }

    /// Waiting for ClickHouse to describe the table.
    pub fn connecting(&self, busy: bool) {
        let _ = if busy { self.connect.set_attribute("disabled", "") } else { self.connect.remove_attribute("disabled") };
        self.connect.set_text_content(Some(if busy { "Connecting…" } else { "Connect" }));
    }

    /// A link (or a host) names this store: fill in where, and ask for who.
    pub fn ask(&self, url: &str, database: &str, table: &str, note: Option<&str>) {
        self.url.set_value(url);
        self.database.set_value(database);
        self.table.set_value(table);
        let _ = self.details.set_attribute("open", "");
        dom::show_text(&self.note, note);
    }

    pub fn set_credentials(&self, user: &str, key: &str) {
        self.user.set_value(user);
        self.key.set_value(key);
    }

    /// Show the connected store (`what`: where and how many columns), or none.
    pub fn show_connected(&self, what: Option<&str>) {
        dom::clear(&self.connected);
        let Some(what) = what else {
            let _ = self.connected.set_attribute("hidden", "");
            let _ = self.details.remove_attribute("hidden");
            return;
        };
        let _ = self.details.set_attribute("hidden", "");
        let _ = self.details.remove_attribute("open");
        dom::show_text(&self.note, None);
        self.show_error(None);
        let _ = self.connected.remove_attribute("hidden");
        let _ = (|| -> Result<(), JsValue> {
            append(&self.connected, &text_el("span", "ap-ch-what", what)?)?;
            let bring = text_el("button", "ap-button", &format!("Bring up to {} matching events into the tab", dom::thousands(BRING_CAP as u64)))?;
            bring.set_attribute("data-ch", "bring")?;
            bring.set_attribute("title", "Fetch the events the query matches (time range and WHERE) as Arrow, and query them here")?;
            append(&self.connected, &bring)?;
            let off = text_el("button", "ap-button", "Disconnect")?;
            off.set_attribute("data-ch", "disconnect")?;
            append(&self.connected, &off)?;
            Ok(())
        })();
    }
}
