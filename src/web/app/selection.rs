//! The app's selections: a brushed time range, a heatmap cell or box, a results row; BubbleUp
//! for the selection against the rest (work of its own, back as [`Msg::BubbleUpDone`]); the
//! main chart's hover.

use super::*;
use crate::bubbleup::Selection;
use crate::query::heatmap::Scale;
use crate::web::{fetch, results::calc_charts};

impl App {
    /// BubbleUp for `sel` against the rest of the current query's events, in steps like a query
    /// (a newer BubbleUp or query stops it).
    pub(super) fn run_bubbleup(&mut self, sel: Selection, push: bool) {
        if self.model.snapshot.is_some() {
            return self.show_error("This is a snapshot: BubbleUp needs the data. Open the live view to compare a selection with the rest.");
        }
        let Some(spec) = self.model.spec.clone() else { return };
        let run = self.work.bubble_runs.get() + 1;
        self.work.bubble_runs.set(run);
        if let Some(store) = &self.model.store {
            // ClickHouse tallies the columns; the local engine reports.
            let (b, table, d) = (store.backend.clone(), store.table.clone(), self.dispatch.clone());
            let mode = self.model.sample_rate();
            let _ = self.parts.root.set_attribute("data-bubbleup", "running");
            wasm_bindgen_futures::spawn_local(async move {
                let out = crate::backend::bubbleup(&mut crate::web::fetch::Post::default(), &b, &table, &spec, &sel, mode, None).await;
                d.send(Msg::BubbleUpDone { run, selection: sel, push, out });
            });
            return;
        }
        let data = self.model.data.clone();
        let d = self.dispatch.clone();
        let mut pace = self.pace(&self.work.bubble_runs, run, true);
        let _ = self.parts.root.set_attribute("data-bubbleup", "running");
        wasm_bindgen_futures::spawn_local(async move {
            let out = {
                let mut check = |s: crate::pace::Step<'_>| pace.check(s);
                crate::bubbleup::run_paced(&data, &spec, &sel, None, &mut crate::pace::Pace::new(&mut check)).await
            };
            drop(data);
            if !matches!(out, Err(crate::Error::Stopped)) {
                d.send(Msg::BubbleUpDone { run, selection: sel, push, out });
            }
        });
    }

    /// Stop a running BubbleUp (its result would no longer fit what is shown).
    pub(super) fn stop_bubbleup(&mut self) {
        self.work.bubble_runs.set(self.work.bubble_runs.get() + 1);
        let _ = self.parts.root.remove_attribute("data-bubbleup");
    }

    /// Show what a BubbleUp run gave.
    pub(super) fn show_bubbleup(&mut self, sel: Selection, push: bool, out: crate::Result<crate::bubbleup::BubbleUp>) {
        match out {
            Ok(b) => {
                self.emit("selection", &serde_json::json!({ "selection": sel.to_json(), "selected": b.selection_count, "baseline": b.baseline_count }));
                self.model.selection = Some(sel);
                if let Err(e) = self.views.bubble.render(&b) {
                    self.show_error(&fetch::js_err(&e));
                }
                self.mark_selection();
                self.refresh_traces();
                if push {
                    self.write_url(true);
                }
            }
            Err(e) => self.show_error(&e.to_string()),
        }
    }

    /// Show where the selection lies: a box on a heatmap, a time band on a line chart.
    fn mark_selection(&self) {
        let Some(sel) = &self.model.selection else { return };
        let v = &self.views;
        if v.bubble.mapping.is_some() {
            v.bubble.show_selection(sel);
        } else {
            match (sel.start_time, sel.end_time, v.hover.mapping) {
                (Some(s), Some(e), Some(_)) => v.hover.show_band_for(s * 1000, e * 1000),
                _ => v.hover.hide_band(),
            }
        }
    }

    /// No selection any more: BubbleUp's brush and panel hide.
    pub(super) fn drop_selection(&mut self) {
        if self.model.selection.is_some() {
            self.emit("selection", &serde_json::Value::Null);
        }
        self.model.selection = None;
        self.views.bubble.clear();
    }

    /// Select `[start, end)` (epoch seconds, brushed on the line chart; within the isolated
    /// series' group if one is isolated): BubbleUp against the rest, and its slowest traces.
    pub(super) fn select_time(&mut self, start: i64, end: i64) {
        let sel = Selection { start_time: Some(start), end_time: Some(end), filters: self.heatmap_group_filters() };
        self.run_bubbleup(sel, true);
    }

    /// Select result row `i`'s group (its breakdown values): BubbleUp against the other groups,
    /// and the group's slowest traces.
    pub(super) fn select_group(&mut self, i: usize) {
        self.model.table.isolated = Some(i);
        let filters = self.heatmap_group_filters();
        if filters.is_empty() {
            return;
        }
        if let Err(e) = self.render() {
            self.show_error(&e);
        }
        self.run_bubbleup(Selection { filters, ..Default::default() }, true);
    }

    /// Select the heatmap cell at pixel (x, y): its time bucket × value bucket.
    pub(super) fn select_cell(&mut self, x: f64, y: f64) {
        use crate::query::aggregate::Output;
        let (Some(m), Some(col), Some(r)) = (self.views.bubble.mapping, self.views.bubble.column.clone(), &self.model.result) else { return };
        let (Some((lo, _)), Some(g)) = (r.range_ms, r.granularity) else { return };
        if x < m.left as f64 || x > m.right as f64 || y < m.top as f64 || y > m.bottom as f64 {
            return self.clear_selection();
        }
        let Some(Output::Heatmap(h)) = r.results.get(self.model.table.isolated.unwrap_or(0)).and_then(|row| row.values.first()) else { return };
        let (t, v) = m.to_data(x, y);
        let step = g * 1000;
        let b = lo + (t - lo).div_euclid(step) * step;
        let i = h.layout.index(v);
        let mut sel = crate::bubbleup::box_selection(&col, b / 1000, (b + step) / 1000, h.lower(i), h.upper(i));
        sel.filters.extend(self.heatmap_group_filters());
        self.run_bubbleup(sel, true);
    }

    /// Drop the selection (a click on the chart): BubbleUp closes, the trace list follows the query.
    pub(super) fn clear_selection(&mut self) {
        self.stop_bubbleup();
        if self.model.selection.is_none() {
            return;
        }
        self.drop_selection();
        self.views.hover.hide_band();
        self.refresh_traces();
        self.write_url(true);
    }

    /// Draw HEATMAP on a log or linear value axis (the person's choice, kept in the link).
    pub(super) fn set_heatmap_scale(&mut self, scale: Scale) {
        self.model.heat_scale = Some(scale);
        if let Some(spec) = self.model.spec.clone() {
            self.run(spec, true);
        }
    }

    /// Filters that pick the heatmap's group (its breakdown values), so a box drawn on one
    /// group's heatmap selects that group's events.
    pub(super) fn heatmap_group_filters(&self) -> Vec<crate::query::spec::Filter> {
        use crate::query::spec::{Filter, FilterOp};
        let (Some(r), Some(spec)) = (&self.model.result, &self.model.spec) else { return Vec::new() };
        let Some(row) = r.results.get(self.model.table.isolated.unwrap_or(0)) else { return Vec::new() };
        spec.breakdowns
            .iter()
            .zip(&row.group)
            .map(|(col, v)| match v.to_json() {
                serde_json::Value::Null => Filter { column: col.clone(), op: FilterOp::DoesNotExist, value: None },
                j => Filter { column: col.clone(), op: FilterOp::Eq, value: Some(j) },
            })
            .collect()
    }

    /// The main chart's hover at pixel (x, y).
    pub(super) fn show_crosshair(&self, x: f64, y: f64) {
        let Some(result) = &self.model.result else { return };
        let v = &self.views;
        let shown = match v.bubble.mapping {
            Some(_) if v.bubble.drag.is_some() => {
                v.hover.hide();
                Ok(())
            }
            Some(m) => v.hover.show_heat(x, y, &m, result, 0, self.model.table.isolated.unwrap_or(0), &self.markers_at(x)),
            None => v.hover.show(x, y, result, 0, &calc_charts::row_labels(result, 0), &self.markers_at(x)),
        };
        if let Err(e) = shown {
            self.show_error(&fetch::js_err(&e));
        }
    }
}
