//! The quality report's coverage grid: services down, attributes across, each cell the share of
//! the service's events carrying the attribute (none: a pale red cell; all: full green).

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::Theme;

/// Where the grid's cells are, for hover: the first cell's corner and a cell's size (pixels).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct GridMapping {
    pub left: i32,
    pub top: i32,
    pub cell_w: i32,
    pub cell_h: i32,
    pub rows: usize,
    pub cols: usize,
}

impl GridMapping {
    /// The (row, column) under pixel (x, y).
    pub fn cell_at(&self, x: f64, y: f64) -> Option<(usize, usize)> {
        let (cx, cy) = ((x as i32 - self.left).div_euclid(self.cell_w), (y as i32 - self.top).div_euclid(self.cell_h));
        (cx >= 0 && cy >= 0 && (cx as usize) < self.cols && (cy as usize) < self.rows).then_some((cy as usize, cx as usize))
    }
}

/// Height the grid needs for `rows` services, at `cell_h` pixels a row, below the labels.
pub fn height_for(rows: usize) -> u32 {
    (LABELS_H + rows as i32 * ROW_H + 8) as u32
}

const ROW_H: i32 = 22;
const LABELS_H: i32 = 120;
const NAMES_W: i32 = 150;

/// The colour of a share (percent): pale red for none, then light to full green.
pub fn cell_colour(share: f64, theme: Theme) -> RGBColor {
    if share <= 0.0 {
        return match theme {
            Theme::Light => RGBColor(0xf6, 0xd5, 0xd3),
            Theme::Dark => RGBColor(0x5a, 0x2a, 0x2a),
        };
    }
    let t = (share / 100.0).clamp(0.0, 1.0);
    let (from, to) = match theme {
        Theme::Light => ((0xe4, 0xf2, 0xe1), (0x2e, 0x8b, 0x3e)),
        Theme::Dark => ((0x2a, 0x3a, 0x2c), (0x4c, 0xc2, 0x5c)),
    };
    let mix = |a: u8, b: u8| (a as f64 + (b as f64 - a as f64) * t).round() as u8;
    RGBColor(mix(from.0, to.0), mix(from.1, to.1), mix(from.2, to.2))
}

/// Draw the grid; `services` label the rows, `attributes` the columns, `shares[row][col]` in
/// percent.
pub fn coverage_grid<DB: DrawingBackend>(area: &DrawingArea<DB, Shift>, services: &[String], attributes: &[String], shares: &[Vec<f64>], theme: Theme) -> Result<GridMapping, String> {
    let err = |e: DrawingAreaErrorKind<DB::ErrorType>| format!("drawing the coverage grid: {e}");
    area.fill(&theme.background()).map_err(err)?;
    let (w, _) = area.dim_in_pixel();
    let cols = attributes.len().max(1);
    let cell_w = ((w as i32 - NAMES_W - 8) / cols as i32).clamp(8, 48);
    let map = GridMapping { left: NAMES_W, top: LABELS_H, cell_w, cell_h: ROW_H, rows: services.len(), cols: attributes.len() };
    let fg = theme.foreground();
    let label = ("sans-serif", 12).into_font().color(&fg);
    for (r, s) in services.iter().enumerate() {
        let name: String = if s.chars().count() > 22 { s.chars().take(21).chain(['…']).collect() } else { s.clone() };
        let y = map.top + r as i32 * ROW_H + ROW_H / 2;
        let style = label.clone().pos(Pos::new(HPos::Right, VPos::Center));
        area.draw_text(&name, &style, (NAMES_W - 6, y)).map_err(err)?;
    }
    let rotated = ("sans-serif", 11).into_font().transform(FontTransform::Rotate270).color(&fg);
    for (c, a) in attributes.iter().enumerate() {
        let name: String = if a.chars().count() > 20 { a.chars().take(19).chain(['…']).collect() } else { a.clone() };
        let x = map.left + c as i32 * cell_w + cell_w / 2 - 6;
        area.draw_text(&name, &rotated, (x, LABELS_H - 6)).map_err(err)?;
    }
    let small = ("sans-serif", 10).into_font();
    for (r, row) in shares.iter().enumerate() {
        for (c, &share) in row.iter().enumerate() {
            let (x0, y0) = (map.left + c as i32 * cell_w, map.top + r as i32 * ROW_H);
            let colour = cell_colour(share, theme);
            area.draw(&Rectangle::new([(x0 + 1, y0 + 1), (x0 + cell_w - 1, y0 + ROW_H - 1)], colour.filled())).map_err(err)?;
            if cell_w >= 26 && share > 0.0 {
                let ink = if share > 60.0 { WHITE } else { fg };
                let style = small.clone().color(&ink).pos(Pos::new(HPos::Center, VPos::Center));
                area.draw_text(&format!("{:.0}", share), &style, (x0 + cell_w / 2, y0 + ROW_H / 2)).map_err(err)?;
            }
        }
    }
    // The first row is every service together: a rule under it.
    if !services.is_empty() {
        let y = map.top + ROW_H;
        area.draw(&PathElement::new(vec![(map.left, y), (map.left + cols as i32 * cell_w, y)], fg.stroke_width(1))).map_err(err)?;
    }
    area.present().map_err(err)?;
    Ok(map)
}
