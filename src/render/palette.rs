//! Colours: a categorical palette for series (group i gets colour i everywhere: chart, legend,
//! table) and light/dark themes.

use plotters::style::RGBColor;

/// Categorical palette (Tableau 10-like, readable on light and dark backgrounds).
pub const SERIES: [RGBColor; 10] = [
    RGBColor(0x4e, 0x79, 0xa7),
    RGBColor(0xf2, 0x8e, 0x2b),
    RGBColor(0xe1, 0x57, 0x59),
    RGBColor(0x76, 0xb7, 0xb2),
    RGBColor(0x59, 0xa1, 0x4f),
    RGBColor(0xed, 0xc9, 0x48),
    RGBColor(0xb0, 0x7a, 0xa1),
    RGBColor(0xff, 0x9d, 0xa7),
    RGBColor(0x9c, 0x75, 0x5f),
    RGBColor(0xba, 0xb0, 0xac),
];

pub fn series_color(i: usize) -> RGBColor {
    SERIES[i % SERIES.len()]
}

/// CSS hex of a series colour, for the page's legend and table swatches.
pub fn series_css(i: usize) -> String {
    let RGBColor(r, g, b) = series_color(i);
    format!("#{r:02x}{g:02x}{b:02x}")
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Theme {
    Light,
    Dark,
}

impl Theme {
    pub fn background(self) -> RGBColor {
        match self {
            Theme::Light => RGBColor(0xff, 0xff, 0xff),
            Theme::Dark => RGBColor(0x1b, 0x1e, 0x24),
        }
    }
    pub fn foreground(self) -> RGBColor {
        match self {
            Theme::Light => RGBColor(0x33, 0x37, 0x3d),
            Theme::Dark => RGBColor(0xd6, 0xd9, 0xde),
        }
    }
    pub fn grid(self) -> RGBColor {
        match self {
            Theme::Light => RGBColor(0xe6, 0xe8, 0xeb),
            Theme::Dark => RGBColor(0x33, 0x38, 0x40),
        }
    }
}
