//! The sources panel: loaded files and URLs with their row counts (removable), a file picker and
//! drag-and-drop (several files at once), a URL box, load progress with Cancel, and the choice of
//! the time column.

use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{Element, HtmlInputElement, HtmlProgressElement, HtmlSelectElement};

use super::app::{listen, time_candidates, Shared, Source};
use super::dom::{self, append, el, text_el};
use super::fetch;
use crate::dataset::DataSet;
use crate::ingest;

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
        Ok(SourcePanel { list, wanted, file_input, url_input, load_button, progress_box, progress, progress_text, cancel, time_select })
    }

    /// Connect the panel's controls to the app.
    pub fn wire(app: &Shared) -> Result<(), JsValue> {
        let (file_input, load_button, url_input, cancel, list, time_select, root) = {
            let a = app.borrow();
            let p = &a.panel;
            (p.file_input.clone(), p.load_button.clone(), p.url_input.clone(), p.cancel.clone(), p.list.clone(), p.time_select.clone(), a.parts.root.clone())
        };
        listen::<web_sys::Event>(&file_input, "change", app, |app, _| {
            let files = app.borrow().panel.file_input.files();
            if let Some(files) = files {
                load_files(app, (0..files.length()).filter_map(|i| files.get(i)).collect());
            }
            app.borrow().panel.file_input.set_value("");
        })?;
        listen::<web_sys::Event>(&load_button, "click", app, |app, _| {
            let url = app.borrow().panel.url_input.value();
            if !url.trim().is_empty() {
                load_url(app, url.trim().to_string());
            }
        })?;
        listen::<web_sys::KeyboardEvent>(&url_input, "keydown", app, |app, e| {
            if e.key() == "Enter" {
                let url = app.borrow().panel.url_input.value();
                if !url.trim().is_empty() {
                    load_url(app, url.trim().to_string());
                }
            }
        })?;
        listen::<web_sys::Event>(&cancel, "click", app, |app, _| {
            if let Some(c) = &app.borrow().loading {
                c.abort();
            }
        })?;
        listen::<web_sys::MouseEvent>(&list, "click", app, |app, e| {
            let Some(t) = e.target().and_then(|t| t.dyn_into::<Element>().ok()) else { return };
            let Some(i) = t.get_attribute("data-remove").and_then(|v| v.parse::<usize>().ok()) else { return };
            if let Ok(mut a) = app.try_borrow_mut() {
                a.remove_source(i);
            }
        })?;
        listen::<web_sys::Event>(&time_select, "change", app, |app, _| {
            let Ok(mut a) = app.try_borrow_mut() else { return };
            let v = a.panel.time_select.value();
            a.set_time_column(if v.is_empty() { None } else { Some(&v) });
        })?;
        listen::<web_sys::DragEvent>(&root, "dragover", app, |app, e| {
            e.prevent_default();
            let _ = app.borrow().parts.root.class_list().add_1("ap-dragging");
        })?;
        listen::<web_sys::DragEvent>(&root, "dragleave", app, |app, _| {
            let _ = app.borrow().parts.root.class_list().remove_1("ap-dragging");
        })?;
        listen::<web_sys::DragEvent>(&root, "drop", app, |app, e| {
            e.prevent_default();
            let _ = app.borrow().parts.root.class_list().remove_1("ap-dragging");
            if let Some(files) = e.data_transfer().and_then(|d| d.files()) {
                load_files(app, (0..files.length()).filter_map(|i| files.get(i)).collect());
            }
        })?;
        Ok(())
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

/// Fetch `url` with progress and Cancel and add it as a source. An Arrow IPC stream, NDJSON, CSV
/// and OTLP/JSON lines are decoded as their bytes arrive ([`ingest::Receiving`]), so their rows
/// are ready with the last byte; other formats are decoded once all bytes are in (see
/// [`decode_file`]).
pub fn load_url(app: &Shared, url: String) {
    let ctrl = web_sys::AbortController::new().ok();
    {
        let mut a = app.borrow_mut();
        a.loading = ctrl.clone();
        a.panel.show_progress(&url, 0, None, 0);
    }
    let app = app.clone();
    wasm_bindgen_futures::spawn_local(async move {
        let signal = ctrl.as_ref().map(|c| c.signal());
        let cap = app.borrow().memory_cap.saturating_sub(app.borrow().data.byte_size());
        let mut receiving = ingest::Receiving::new(&url, cap);
        let slice_ms = app.borrow().decode_slice_ms;
        // The bar is redrawn at most every 50 ms (a body comes in thousands of pieces).
        let mut shown = f64::NEG_INFINITY;
        let got = fetch::fetch_pieces(&url, signal.as_ref(), cap, slice_ms, |piece, n, total| {
            receiving.push(piece).map_err(|e| e.to_string())?;
            let now = dom::now();
            if now - shown >= 50.0 || total == Some(n) {
                shown = now;
                if let Ok(a) = app.try_borrow() {
                    a.panel.show_progress(&url, n, total, receiving.rows());
                }
            }
            Ok(())
        })
        .await;
        let added = match got {
            Ok(len) => {
                let loaded = match receiving.into_bytes() {
                    Ok(bytes) => decode_file(&app, &url, bytes, signal.as_ref()).await,
                    Err(streamed) => match streamed.finish() {
                        Ok(d) => decode(&app, &url, d, len, signal.as_ref()).await,
                        Err(e) => Err(e.to_string()),
                    },
                };
                loaded.and_then(|l| app.borrow_mut().add_loaded(&url, Some(&url), l, len, None))
            }
            Err(e) => Err(e),
        };
        let mut a = app.borrow_mut();
        a.loading = None;
        a.panel.hide_progress();
        if let Err(e) = added {
            a.show_error(&e);
        }
    });
}

/// Read local files one after another, decode each and add it as a source.
pub fn load_files(app: &Shared, files: Vec<web_sys::File>) {
    let app = app.clone();
    wasm_bindgen_futures::spawn_local(async move {
        for f in files {
            let name = f.name();
            let ctrl = web_sys::AbortController::new().ok();
            {
                let mut a = app.borrow_mut();
                a.loading = ctrl.clone();
                a.panel.show_progress(&name, 0, Some(f.size() as usize), 0);
            }
            let signal = ctrl.as_ref().map(|c| c.signal());
            let added = match fetch::file_bytes(&f).await {
                Ok(bytes) => {
                    let len = bytes.len();
                    let (hash, mismatch) = app.borrow_mut().accept_file(&name, &bytes);
                    match decode_file(&app, &name, bytes, signal.as_ref()).await {
                        Ok(loaded) => app.borrow_mut().add_loaded(&name, None, loaded, len, Some(hash)).map(|()| mismatch),
                        Err(e) => Err(e),
                    }
                }
                Err(e) => Err(e),
            };
            let mut a = app.borrow_mut();
            a.loading = None;
            a.panel.hide_progress();
            match added {
                Ok(Some(warning)) => a.show_error(&warning),
                Ok(None) => {}
                Err(e) => a.show_error(&e),
            }
        }
    });
}

/// Decode a whole file: Arrow IPC in the page (an IPC stream's batches slice the bytes: no copy,
/// decoded in slices), every other format in a worker ([`decode_worker`]: the page stays
/// responsive and a decoder that crashes takes only the worker down), or in the page when no
/// worker can start.
async fn decode_file(app: &Shared, name: &str, bytes: Vec<u8>, signal: Option<&web_sys::AbortSignal>) -> Result<ingest::Loaded, String> {
    let len = bytes.len();
    let format = ingest::detect(name, &bytes).map_err(|e| e.to_string())?;
    if !matches!(format, ingest::Format::ArrowStream | ingest::Format::ArrowFile) {
        if let Ok(a) = app.try_borrow() {
            a.panel.show_busy(name, format.name());
        }
        match super::decode_worker::decode(name, &bytes, signal).await {
            super::decode_worker::Outcome::Decoded(format, ipc) => {
                let mut loaded = if ipc.is_empty() { ingest::Loaded { format, batches: Vec::new() } } else { ingest::load_owned(name, ipc).map_err(|e| e.to_string())? };
                loaded.format = format;
                return Ok(loaded);
            }
            super::decode_worker::Outcome::Failed(e) => return Err(e),
            super::decode_worker::Outcome::Unavailable => {}
        }
    }
    let d = ingest::Decoding::start(name, bytes).map_err(|e| e.to_string())?;
    decode(app, name, d, len, signal).await
}

/// Decode a source a step at a time (an Arrow stream: batch by batch), giving the page its turn
/// every `decode_slice_ms` (40 by default) so it stays responsive, with the rows decoded so far
/// in the progress bar; the Cancel button (`signal`) stops it between steps. `total`: the
/// source's size in bytes.
pub async fn decode(app: &Shared, name: &str, mut d: ingest::Decoding, total: usize, signal: Option<&web_sys::AbortSignal>) -> Result<ingest::Loaded, String> {
    let slice_ms = app.borrow().decode_slice_ms;
    let mut slice_start = dom::now();
    while d.step().map_err(|e| e.to_string())? {
        if dom::now() - slice_start < slice_ms {
            continue;
        }
        if let Ok(a) = app.try_borrow() {
            a.panel.show_decoding(name, d.rows(), total - d.remaining().min(total), total);
        }
        dom::yield_now().await;
        if signal.is_some_and(|s| s.aborted()) {
            return Err(format!("loading {name} was cancelled; nothing was added"));
        }
        slice_start = dom::now();
    }
    d.finish().map_err(|e| e.to_string())
}
