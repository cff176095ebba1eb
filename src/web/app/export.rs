//! The app's exports: the main chart and the results as files (see `web::export`).

use super::*;
use crate::query::spec::CalcOp;
use crate::web::export::Kind;
use crate::web::results::calc_charts;
use crate::web::saved;

impl App {
    pub(super) fn export(&mut self, kind: Kind) {
        let (Some(result), Some(spec)) = (&self.model.result, &self.model.spec) else {
            return self.show_error("Nothing to export yet: run a query first");
        };
        // "apiary-2026-12-03T21-40-00": when it was exported.
        let stamp = js_sys::Date::new_0().to_iso_string().as_string().unwrap_or_default();
        let base = format!("apiary-{}", stamp.get(..19).unwrap_or("").replace(':', "-"));
        let out: Result<(), String> = match kind {
            Kind::Png => self.parts.canvas.to_data_url().map(|url| saved::download_url(&format!("{base}.png"), &url)).map_err(|e| crate::web::fetch::js_err(&e)),
            Kind::Svg => {
                let calcs = spec.effective_calculations();
                let canvas = &self.parts.canvas;
                let size = (canvas.width().max(320), canvas.height().max(160));
                crate::render::svg::chart(result, calcs[0].op == CalcOp::Heatmap, calc_charts::zero_fill(calcs[0].op), self.model.table.isolated, size, dom::theme(), &self.model.markers)
                    .map(|svg| saved::download_bytes(&format!("{base}.svg"), "image/svg+xml", svg.as_bytes()))
            }
            Kind::Csv => {
                saved::download_bytes(&format!("{base}.csv"), "text/csv", crate::query::export::csv(result).as_bytes());
                Ok(())
            }
            Kind::Arrow => crate::query::export::arrow_stream(result)
                .map(|bytes| saved::download_bytes(&format!("{base}.arrows"), "application/vnd.apache.arrow.stream", &bytes))
                .map_err(|e| e.to_string()),
        };
        if let Err(e) = out {
            self.show_error(&format!("Export {kind:?}: {e}"));
        }
    }
}
