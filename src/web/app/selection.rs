//! The app's selections: a brushed time range, a heatmap cell or box, a results row; BubbleUp
//! for the selection against the rest; the chart's crosshair and hover.

use super::*;

impl App {
    /// BubbleUp for `sel` against the rest of the current query's events, in steps in a task of its
    /// own like a query (a newer BubbleUp or query stops it).
    pub fn run_bubbleup(&mut self, sel: crate::bubbleup::Selection, push: bool) {
        let Some(spec) = self.spec.clone() else { return };
        let run = self.bubble_runs.get() + 1;
        self.bubble_runs.set(run);
        let data = self.data.clone();
        let me = self.me.clone();
        let mut pace = crate::web::pace::PagePace::new(self.query_slice_ms, self.bubble_runs.clone(), run, Some(self.parts.running.clone()));
        let _ = self.parts.root.set_attribute("data-bubbleup", "running");
        wasm_bindgen_futures::spawn_local(async move {
            let out = {
                let mut check = |s: crate::pace::Step<'_>| pace.check(s);
                crate::bubbleup::run_paced(&data, &spec, &sel, None, &mut crate::pace::Pace::new(&mut check)).await
            };
            drop(data);
            show_when_done(&me, &pace, out, |a, out| {
                crate::web::pace::done(&a.parts.running);
                let _ = a.parts.root.remove_attribute("data-bubbleup");
                a.show_bubbleup(sel, push, out);
            })
            .await;
        });
    }

    /// Stop a running BubbleUp (its result would no longer fit what is shown).
    pub(super) fn stop_bubbleup(&mut self) {
        self.bubble_runs.set(self.bubble_runs.get() + 1);
        let _ = self.parts.root.remove_attribute("data-bubbleup");
    }

    /// Show what a BubbleUp run gave.
    fn show_bubbleup(&mut self, sel: crate::bubbleup::Selection, push: bool, out: crate::Result<crate::bubbleup::BubbleUp>) {
        match out {
            Ok(b) => {
                self.bubble.selection = Some(sel);
                if let Err(e) = self.bubble.render(&b) {
                    self.show_error(&fetch::js_err(&e));
                }
                self.mark_selection();
                self.refresh_traces();
                if push {
                    query_panel::write_url(&self.state(), true);
                }
            }
            Err(e) => self.show_error(&e.to_string()),
        }
    }

    /// Show where the selection lies: a box on a heatmap, a time band on a line chart.
    fn mark_selection(&self) {
        if self.bubble.mapping.is_some() {
            self.bubble.show_selection();
        } else if let Some(sel) = &self.bubble.selection {
            match (sel.start_time, sel.end_time, self.hover.mapping) {
                (Some(s), Some(e), Some(_)) => self.hover.show_band_for(s * 1000, e * 1000),
                _ => self.hover.hide_band(),
            }
        }
    }

    /// Select `[start, end)` (epoch seconds, brushed on the line chart; within the isolated
    /// series' group if one is isolated): BubbleUp against the rest, and its slowest traces.
    pub fn select_time(&mut self, start: i64, end: i64) {
        let sel = crate::bubbleup::Selection { start_time: Some(start), end_time: Some(end), filters: self.heatmap_group_filters() };
        self.run_bubbleup(sel, true);
    }

    /// Select result row `i`'s group (its breakdown values): BubbleUp against the other groups,
    /// and the group's slowest traces.
    pub fn select_group(&mut self, i: usize) {
        self.table_view.isolated = Some(i);
        let filters = self.heatmap_group_filters();
        if filters.is_empty() {
            return;
        }
        if let Err(e) = self.render() {
            self.show_error(&e);
        }
        self.run_bubbleup(crate::bubbleup::Selection { filters, ..Default::default() }, true);
    }

    /// Select the heatmap cell at pixel (x, y): its time bucket × value bucket.
    pub fn select_cell(&mut self, x: f64, y: f64) {
        use crate::query::aggregate::Output;
        let (Some(m), Some(col), Some(r)) = (self.bubble.mapping, self.bubble.column.clone(), &self.result) else { return };
        let (Some((lo, _)), Some(g)) = (r.range_ms, r.granularity) else { return };
        if x < m.left as f64 || x > m.right as f64 || y < m.top as f64 || y > m.bottom as f64 {
            return self.clear_selection();
        }
        let Some(Output::Heatmap(h)) = r.results.get(self.table_view.isolated.unwrap_or(0)).and_then(|row| row.values.first()) else { return };
        let (t, v) = m.to_data(x, y);
        let step = g * 1000;
        let b = lo + (t - lo).div_euclid(step) * step;
        let i = h.layout.index(v);
        let mut sel = crate::bubbleup::box_selection(&col, b / 1000, (b + step) / 1000, h.lower(i), h.upper(i));
        sel.filters.extend(self.heatmap_group_filters());
        self.run_bubbleup(sel, true);
    }

    /// Drop the selection (a click on the chart): BubbleUp closes, the trace list follows the query.
    pub fn clear_selection(&mut self) {
        self.stop_bubbleup();
        if self.bubble.selection.is_none() {
            return;
        }
        self.bubble.clear();
        self.hover.hide_band();
        self.refresh_traces();
        query_panel::write_url(&self.state(), true);
    }

    /// Draw HEATMAP on a log or linear value axis (the person's choice, kept in the link).
    pub fn set_heatmap_scale(&mut self, scale: Scale) {
        self.tools.choice = Some(scale);
        if let Some(spec) = self.spec.clone() {
            self.run(spec, true);
        }
    }

    /// Add `column` to GROUP BY and run the query (from a BubbleUp column).
    pub fn add_breakdown(&mut self, column: &str) {
        let Some(mut spec) = self.spec.clone() else { return };
        if spec.breakdowns.iter().any(|b| b == column) {
            return;
        }
        spec.breakdowns.push(column.to_string());
        self.bubble.clear();
        self.chosen = Some(spec.clone());
        self.run(spec, true);
    }

    /// Filters that pick the heatmap's group (its breakdown values), so a box drawn on one
    /// group's heatmap selects that group's events.
    pub fn heatmap_group_filters(&self) -> Vec<crate::query::spec::Filter> {
        use crate::query::spec::{Filter, FilterOp};
        let (Some(r), Some(spec)) = (&self.result, &self.spec) else { return Vec::new() };
        let Some(row) = r.results.get(self.table_view.isolated.unwrap_or(0)) else { return Vec::new() };
        if spec.breakdowns.is_empty() {
            return Vec::new();
        }
        spec.breakdowns
            .iter()
            .zip(&row.group)
            .map(|(col, v)| match v.to_json() {
                serde_json::Value::Null => Filter { column: col.clone(), op: FilterOp::DoesNotExist, value: None },
                j => Filter { column: col.clone(), op: FilterOp::Eq, value: Some(j) },
            })
            .collect()
    }

    /// Where the plot lies, for tests and tools that point at data coordinates.
    pub(super) fn mark_plot(&self, m: &crate::render::PlotMapping) {
        let _ = self.parts.canvas.set_attribute("data-plot", &calc_charts::plot_attribute(m));
    }

    /// The line chart's crosshair at pixel (x, y).
    pub fn show_crosshair(&self, x: f64, y: f64) {
        let Some(result) = &self.result else { return };
        if let Some(m) = self.bubble.mapping {
            if self.bubble.drag.is_some() {
                return self.hover.hide();
            }
            if let Err(e) = self.hover.show_heat(x, y, &m, result, 0, self.table_view.isolated.unwrap_or(0)) {
                self.show_error(&fetch::js_err(&e));
            }
            return;
        }
        if let Err(e) = self.hover.show(x, y, result, 0, &calc_charts::row_labels(result, 0)) {
            self.show_error(&fetch::js_err(&e));
        }
    }
}
