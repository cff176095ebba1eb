//! Markers on the charts (`crate::marker`, drawn by `render::markers`): read from a file or a
//! URL as work of its own (back as [`Msg::MarkersRead`]), kept in the model and its links, shown
//! in the main chart's hover, and a click on one opens its link in a new tab.

use super::*;
use crate::web::markers::Out;

/// How the markers' source names a table of the connected store (`table:deploys`), in the box
/// and in links.
pub(super) const TABLE_MARKERS: &str = "table:";

impl App {
    pub(super) fn markers_out(&mut self, out: Option<Out>) {
        let d = self.dispatch.clone();
        match out {
            Some(Out::File(file)) => wasm_bindgen_futures::spawn_local(async move {
                let name = file.name();
                let out = crate::web::fetch::file_bytes(&file).await.and_then(|b| parse(&b, &name));
                d.send(Msg::MarkersRead { from: None, out });
            }),
            Some(Out::Url(u)) => {
                // With a store connected, a name that is not an address is a table there.
                let u = if self.model.store.is_some() && !u.contains("://") && !u.starts_with(TABLE_MARKERS) { format!("{TABLE_MARKERS}{u}") } else { u };
                self.fetch_markers(u)
            }
            Some(Out::Clear) => self.markers_read(None, Ok(Vec::new())),
            None => {}
        }
    }

    /// Fetch the markers at `url` (at most 16 MB).
    pub(super) fn fetch_markers(&self, url: String) {
        let d = self.dispatch.clone();
        if let Some(table) = url.strip_prefix(TABLE_MARKERS).map(str::to_string) {
            let Some(store) = &self.model.store else {
                self.views.markers.show_error(Some(&format!("The markers come from the table {table} of a ClickHouse store: connect it (Sources › ClickHouse) to see them")));
                return;
            };
            let b = store.backend.clone();
            wasm_bindgen_futures::spawn_local(async move {
                let out = crate::backend::markers(&mut crate::web::fetch::Post::default(), &b, &table).await.map_err(|e| e.to_string());
                d.send(Msg::MarkersRead { from: Some(url), out });
            });
            return;
        }
        wasm_bindgen_futures::spawn_local(async move {
            let mut body = Vec::new();
            let got = crate::web::fetch::fetch_pieces(&url, None, 16 << 20, 40.0, |piece, _, _| {
                crate::ingest::receive::append(&mut body, piece);
                Ok(())
            })
            .await;
            let out = got.and_then(|_| parse(&body, &url));
            d.send(Msg::MarkersRead { from: Some(url), out });
        });
    }

    /// Markers arrived: draw them (an error leaves the markers on view as they were).
    pub(super) fn markers_read(&mut self, from: Option<String>, out: Result<Vec<crate::marker::Marker>, String>) {
        match out {
            Ok(list) => {
                self.model.markers = list;
                self.model.markers_url = from;
                self.views.markers.show(&self.model.markers, self.model.markers_url.as_deref());
                let _ = self.parts.root.set_attribute("data-markers", &self.model.markers.len().to_string());
                if let Err(e) = self.render() {
                    self.show_error(&e);
                }
                self.views.board.render_grid(&self.model.markers);
                self.write_url(false);
            }
            Err(e) => self.views.markers.show_error(Some(&e)),
        }
    }

    /// The main chart's plot, and whether it is a heatmap (its cells take clicks).
    fn main_plot(&self) -> Option<(crate::render::PlotMapping, bool)> {
        let v = &self.views;
        v.hover.mapping.map(|m| (m, false)).or(v.bubble.mapping.map(|m| (m, true)))
    }

    /// The markers under pixel column `x` of the main chart (lines or heatmap), each with whether
    /// a click there opens its link (on a heatmap only at a marker's line).
    pub(super) fn markers_at(&self, x: f64) -> Vec<(&crate::marker::Marker, bool)> {
        self.main_plot().map(|(m, heatmap)| crate::render::markers::hovered(&self.model.markers, &m, x, heatmap)).unwrap_or_default()
    }

    /// A click at `x` on the main chart: open the link of the marker there (true), if any.
    pub(super) fn open_marker_at(&self, x: f64) -> bool {
        let Some(url) = self.main_plot().and_then(|(m, heatmap)| crate::render::markers::link_at(&self.model.markers, &m, x, heatmap)) else { return false };
        self.open_link(&url);
        true
    }

    /// Open a marker's link in a new tab, with no opener or referrer (noted on the root as
    /// `data-opened`).
    pub(super) fn open_link(&self, url: &str) {
        let _ = self.parts.root.set_attribute("data-opened", url);
        if let Ok(w) = dom::window() {
            let _ = w.open_with_url_and_target_and_features(url, "_blank", "noopener,noreferrer");
        }
    }
}

fn parse(bytes: &[u8], source: &str) -> Result<Vec<crate::marker::Marker>, String> {
    let text = std::str::from_utf8(bytes).map_err(|e| format!("{source}: not UTF-8 text: {e}"))?;
    crate::marker::parse(text, source).map_err(|e| e.to_string())
}
