//! The sources panel: loaded files and URLs with their row counts (removable), a file picker and
//! drag-and-drop (several files at once), a URL box, load progress with Cancel, and the choice of
//! the time column.

use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{Element, HtmlInputElement, HtmlProgressElement, HtmlSelectElement};

use super::dispatch::{on, send_on, Dispatch, Listeners};
use super::dom::{self, append, el, text_el};
use crate::dataset::DataSet;
use crate::ingest::Format;

pub mod clickhouse;
pub mod load;

/// What a person does in the sources panel.
pub enum Msg {
    /// Files picked or dropped.
    Files(Vec<web_sys::File>),
    LoadUrl(String),
    /// Cancel the load in progress.
    Cancel,
    Remove(usize),
    /// Use this column (or none) as event time.
    TimeColumn(Option<String>),
    /// Connect to a ClickHouse table: queries run there.
    Connect(clickhouse::Connect),
    Disconnect,
    /// Fetch the current query's matching events from ClickHouse into the tab.
    BringIntoTab,
}

/// One loaded file or URL.
pub struct Source {
    pub name: String,
    /// Where it came from when it was fetched (links re-fetch these); `None` for local files.
    pub url: Option<String>,
    pub format: Format,
    pub batches: Vec<arrow_array::RecordBatch>,
    pub rows: usize,
    pub bytes: usize,
    /// A local file's content hash, so a link can ask for the same file again.
    pub hash: Option<String>,
}

fn url_msg(input: &HtmlInputElement) -> Option<Msg> {
    let url = input.value();
    (!url.trim().is_empty()).then(|| Msg::LoadUrl(url.trim().to_string()))
}

pub struct SourcePanel {
    list: Element,
    wanted: Element,
    file_input: HtmlInputElement,
    url_input: HtmlInputElement,
    load_button: Element,
    progress_box: Element,
    progress: HtmlProgressElement,
    progress_text: Element,
    cancel: Element,
    time_select: HtmlSelectElement,
    pub store: clickhouse::StoreForm,
}

impl SourcePanel {
    pub fn build(root: &Element) -> Result<SourcePanel, JsValue> {
        let panel = el("section", "ap-sources")?;
        panel.set_attribute("aria-label", "data sources")?;
        let list = el("ul", "ap-source-list")?;
        append(&panel, &list)?;
        let wanted = el("div", "ap-wanted")?;
        wanted.set_attribute("hidden", "")?;
        wanted.set_attribute("role", "status")?;
        append(&panel, &wanted)?;
        let controls = el("div", "ap-source-controls")?;
        let pick = el("label", "ap-button")?;
        append(&pick, &text_el("span", "", "Add files…")?)?;
        let file_input: HtmlInputElement = el("input", "ap-file")?.dyn_into()?;
        file_input.set_type("file");
        file_input.set_multiple(true);
        append(&pick, &file_input)?;
        append(&controls, &pick)?;
        let url_input: HtmlInputElement = el("input", "ap-url")?.dyn_into()?;
        url_input.set_type("url");
        url_input.set_placeholder("https://…/events.arrow");
        url_input.set_attribute("aria-label", "URL to load")?;
        append(&controls, &url_input)?;
        let load_button = text_el("button", "ap-button ap-load", "Load URL")?;
        append(&controls, &load_button)?;
        let time_label = el("label", "ap-time-col")?;
        append(&time_label, &text_el("span", "", "time column")?)?;
        let time_select: HtmlSelectElement = el("select", "")?.dyn_into()?;
        append(&time_label, &time_select)?;
        append(&controls, &time_label)?;
        append(&controls, &text_el("span", "ap-hint", "or drop files anywhere")?)?;
        append(&panel, &controls)?;
        let store = clickhouse::StoreForm::build(&panel)?;
        let progress_box = el("div", "ap-progress")?;
        progress_box.set_attribute("hidden", "")?;
        let progress: HtmlProgressElement = el("progress", "")?.dyn_into()?;
        append(&progress_box, &progress)?;
        let progress_text = el("span", "")?;
        append(&progress_box, &progress_text)?;
        let cancel = text_el("button", "ap-button ap-cancel", "Cancel")?;
        append(&progress_box, &cancel)?;
        append(&panel, &progress_box)?;
        append(root, &panel)?;
        Ok(SourcePanel { list, wanted, file_input, url_input, load_button, progress_box, progress, progress_text, cancel, time_select, store })
    }

    /// The panel's controls as messages; `root` (the app's element) takes dropped files.
    pub fn listen(&self, root: &Element, d: &Dispatch<Msg>) -> Listeners {
        let mut store = self.store.listen(d);
        let input = self.file_input.clone();
        let url = self.url_input.clone();
        let url2 = self.url_input.clone();
        let select = self.time_select.clone();
        let (root1, root2, root3) = (root.clone(), root.clone(), root.clone());
        vec![
            send_on::<web_sys::Event, _>(&self.file_input, "change", d, move |_| {
                let files = input.files().map(|f| (0..f.length()).filter_map(|i| f.get(i)).collect::<Vec<_>>());
                input.set_value("");
                files.map(Msg::Files)
            }),
            send_on::<web_sys::Event, _>(&self.load_button, "click", d, move |_| url_msg(&url)),
            send_on::<web_sys::KeyboardEvent, _>(&self.url_input, "keydown", d, move |e| if e.key() == "Enter" { url_msg(&url2) } else { None }),
            send_on::<web_sys::Event, _>(&self.cancel, "click", d, |_| Some(Msg::Cancel)),
            send_on::<web_sys::MouseEvent, _>(&self.list, "click", d, |e| {
                let t = e.target().and_then(|t| t.dyn_into::<Element>().ok())?;
                t.get_attribute("data-remove").and_then(|v| v.parse::<usize>().ok()).map(Msg::Remove)
            }),
            send_on::<web_sys::Event, _>(&self.time_select, "change", d, move |_| {
                let v = select.value();
                Some(Msg::TimeColumn(if v.is_empty() { None } else { Some(v) }))
            }),
            on::<web_sys::DragEvent>(root, "dragover", move |e| {
                e.prevent_default();
                let _ = root1.class_list().add_1("ap-dragging");
            }),
            on::<web_sys::DragEvent>(root, "dragleave", move |_| {
                let _ = root2.class_list().remove_1("ap-dragging");
            }),
            send_on::<web_sys::DragEvent, _>(root, "drop", d, move |e| {
                e.prevent_default();
                let _ = root3.class_list().remove_1("ap-dragging");
                let files = e.data_transfer().and_then(|d| d.files())?;
                Some(Msg::Files((0..files.length()).filter_map(|i| files.get(i)).collect()))
            }),
        ]
        .into_iter()
        .chain(store.drain(..))
        .collect()
    }

    /// Show the loaded sources and the time column choice.
    /// The local files a link asks for that are not loaded yet (hidden when there are none).
    pub fn show_wanted(&self, files: &[crate::permalink::FileRef]) {
        dom::clear(&self.wanted);
        if files.is_empty() {
            let _ = self.wanted.set_attribute("hidden", "");
            return;
        }
        let _ = self.wanted.remove_attribute("hidden");
        if let Ok(p) = text_el("p", "", "This link was made with local files, which links never carry. Add the same files (Add files… or drop them here) to see its view:") {
            let _ = append(&self.wanted, &p);
        }
        let Ok(ul) = el("ul", "") else { return };
        for f in files {
            if let Ok(li) = text_el("li", "ap-wanted-file", &format!("{} · {}", f.name, dom::bytes(f.size as usize))) {
                let _ = li.set_attribute("data-name", &f.name);
                let _ = append(&ul, &li);
            }
        }
        let _ = append(&self.wanted, &ul);
    }

    pub fn render(&self, sources: &[Source], data: &DataSet) {
        dom::clear(&self.list);
        for (i, s) in sources.iter().enumerate() {
            let Ok(li) = el("li", "ap-source") else { continue };
            let short = s.name.rsplit('/').next().unwrap_or(&s.name);
            let text = format!("{short} · {} · {} rows · {}", s.format.name(), dom::thousands(s.rows as u64), dom::bytes(s.bytes));
            if let Ok(t) = text_el("span", "", &text) {
                let _ = t.set_attribute("title", &s.name);
                let _ = append(&li, &t);
            }
            if let Ok(b) = text_el("button", "ap-remove", "×") {
                let _ = b.set_attribute("data-remove", &i.to_string());
                let _ = b.set_attribute("aria-label", &format!("Remove {short}"));
                let _ = append(&li, &b);
            }
            let _ = append(&self.list, &li);
        }
        dom::clear(&self.time_select);
        let current = data.time_column().map(str::to_string);
        let mut names = time_candidates(data);
        names.insert(0, String::new());
        for n in names {
            let Ok(o) = el("option", "") else { continue };
            o.set_text_content(Some(if n.is_empty() { "(none)" } else { &n }));
            let _ = o.set_attribute("value", &n);
            if Some(&n) == current.as_ref() || (n.is_empty() && current.is_none()) {
                let _ = o.set_attribute("selected", "");
            }
            let _ = self.time_select.append_child(&o);
        }
        if let Some(c) = &current {
            self.time_select.set_value(c);
        }
    }

    /// Progress while bytes arrive: how many of how many, and the rows decoded from them so far.
    pub fn show_progress(&self, what: &str, got: usize, total: Option<usize>, rows: usize) {
        let _ = self.progress_box.remove_attribute("hidden");
        let short = what.rsplit('/').next().unwrap_or(what);
        let _ = self.progress_box.set_attribute("data-received", &got.to_string());
        if rows > 0 {
            let _ = self.progress_box.set_attribute("data-decoded-rows", &rows.to_string());
        } else {
            let _ = self.progress_box.remove_attribute("data-decoded-rows");
        }
        let mut text = match total {
            Some(t) if t > 0 => {
                self.progress.set_max(t as f64);
                self.progress.set_value(got as f64);
                format!("Loading {short}: {} of {} ({}%)", dom::bytes(got), dom::bytes(t), got * 100 / t)
            }
            _ => {
                let _ = self.progress.remove_attribute("value");
                format!("Loading {short}: {}", dom::bytes(got))
            }
        };
        if rows > 0 {
            text.push_str(&format!(", {} rows decoded", dom::thousands(rows as u64)));
        }
        self.progress_text.set_text_content(Some(&text));
    }

    /// Progress while decoding: rows so far, and how far through the bytes.
    pub fn show_decoding(&self, what: &str, rows: usize, done: usize, total: usize) {
        let _ = self.progress_box.remove_attribute("hidden");
        let short = what.rsplit('/').next().unwrap_or(what);
        self.progress.set_max(total.max(1) as f64);
        self.progress.set_value(done as f64);
        let _ = self.progress_box.set_attribute("data-decoded-rows", &rows.to_string());
        self.progress_text.set_text_content(Some(&format!("Decoding {short}: {} rows ({}%)", dom::thousands(rows as u64), done * 100 / total.max(1))));
    }

    /// Progress while a worker decodes a file (no rows to count until it is done).
    pub fn show_busy(&self, what: &str, format: &str) {
        let _ = self.progress_box.remove_attribute("hidden");
        let short = what.rsplit('/').next().unwrap_or(what);
        let _ = self.progress.remove_attribute("value");
        let _ = self.progress_box.remove_attribute("data-decoded-rows");
        self.progress_text.set_text_content(Some(&format!("Decoding {short} ({format})…")));
    }

    pub fn hide_progress(&self) {
        let _ = self.progress_box.set_attribute("hidden", "");
    }
}


/// Columns a person may pick as event time: timestamps and dates, and numbers whose name says
/// time (epoch values).
pub fn time_candidates(data: &DataSet) -> Vec<String> {
    use arrow_schema::DataType;
    data.schema()
        .fields()
        .iter()
        .filter(|f| {
            let n = f.name().to_ascii_lowercase();
            match f.data_type() {
                DataType::Timestamp(..) | DataType::Date32 | DataType::Date64 => true,
                t => crate::dataset::is_time_like(t) && (n.contains("time") || n.contains("ts") || n.contains("date") || Some(f.name().as_str()) == data.time_column()),
            }
        })
        .map(|f| f.name().clone())
        .collect()
}
