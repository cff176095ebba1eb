//! The app's exports: the main chart, the results and the whole view as files (see
//! `web::export`).

use super::*;
use crate::query::spec::CalcOp;
use crate::web::export::Kind;
use crate::web::saved;

impl App {
    pub(super) fn export(&mut self, kind: Kind) {
        let (Some(result), Some(spec)) = (&self.model.result, &self.model.spec) else {
            return self.show_error("Nothing to export yet: run a query first");
        };
        // "apiary-2026-12-03T21-40-00": when it was exported.
        let stamp = js_sys::Date::new_0().to_iso_string().as_string().unwrap_or_default();
        let base_name = format!("apiary-{}", stamp.get(..19).unwrap_or("").replace(':', "-"));
        let out: Result<(), String> = match kind {
            Kind::Png => self.parts.canvas.to_data_url().map(|url| saved::download_url(&format!("{base_name}.png"), &url)).map_err(|e| crate::web::fetch::js_err(&e)),
            Kind::Svg => {
                let calcs = spec.effective_calculations();
                let canvas = &self.parts.canvas;
                let size = (canvas.width().max(320), canvas.height().max(160));
                crate::render::svg::chart(result, calcs[0].op == CalcOp::Heatmap, calcs[0].op.zero_fill(), self.model.table.isolated, size, dom::theme_of(&self.parts.root), &self.model.markers)
                    .map(|svg| saved::download_bytes(&format!("{base_name}.svg"), "image/svg+xml", svg.as_bytes()))
            }
            Kind::Csv => {
                saved::download_bytes(&format!("{base_name}.csv"), "text/csv", crate::query::export::csv(result).as_bytes());
                Ok(())
            }
            Kind::Html => {
                let calcs = spec.effective_calculations();
                let charts: Vec<(bool, bool)> = calcs.iter().map(|c| (c.op == CalcOp::Heatmap, c.op.zero_fill())).collect();
                let sources: Vec<String> = self.model.sources.iter().map(|s| s.url.clone().unwrap_or_else(|| s.name.clone())).collect();
                let base = super::url::page_base();
                let live = self.live_state();
                let live_href = format!("{base}#{}", live.encode());
                let (snap, _) = crate::snapshot::Snapshot::fit(&live, result, js_sys::Date::now() as i64, crate::snapshot::LINK_BUDGET.saturating_sub(base.len() + 1));
                let snap_href = format!("{base}#{snap}");
                let view = crate::render::report::View {
                    query_line: &super::run::describe(spec, result),
                    taken_ms: js_sys::Date::now() as i64,
                    sources: &sources,
                    charts: &charts,
                    highlight: self.model.table.isolated,
                    theme: dom::theme_of(&self.parts.root),
                    markers: &self.model.markers,
                    links: &[("Open the live view", &live_href), ("Open as a snapshot", &snap_href)],
                };
                crate::render::report::html(result, &view).map(|page| saved::download_bytes(&format!("{base_name}.html"), "text/html", page.as_bytes()))
            }
            Kind::Arrow => crate::query::export::arrow_stream(result)
                .map(|bytes| saved::download_bytes(&format!("{base_name}.arrows"), "application/vnd.apache.arrow.stream", &bytes))
                .map_err(|e| e.to_string()),
        };
        if let Err(e) = out {
            self.show_error(&format!("Export {kind:?}: {e}"));
        }
    }
}
