//! Tests' drawing backend: an in-memory pixel grid (plotters rasterizes every shape into
//! `draw_pixel`); text is skipped, as no font is built in natively.

use plotters::prelude::*;
use plotters_backend::{BackendColor, BackendCoord, BackendTextStyle, DrawingErrorKind};

pub struct Pixels {
    pub w: u32,
    pub h: u32,
    pub px: std::rc::Rc<std::cell::RefCell<Vec<(u8, u8, u8)>>>,
}

impl Pixels {
    /// A white `w` × `h` grid, and a handle on its pixels.
    pub fn white(w: u32, h: u32) -> (Pixels, std::rc::Rc<std::cell::RefCell<Vec<(u8, u8, u8)>>>) {
        let px = std::rc::Rc::new(std::cell::RefCell::new(vec![(255, 255, 255); (w * h) as usize]));
        (Pixels { w, h, px: px.clone() }, px)
    }
}

impl DrawingBackend for Pixels {
    type ErrorType = std::convert::Infallible;
    fn get_size(&self) -> (u32, u32) {
        (self.w, self.h)
    }
    fn ensure_prepared(&mut self) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
        Ok(())
    }
    fn present(&mut self) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
        Ok(())
    }
    fn draw_pixel(&mut self, (x, y): BackendCoord, c: BackendColor) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
        if x >= 0 && y >= 0 && (x as u32) < self.w && (y as u32) < self.h {
            let mut px = self.px.borrow_mut();
            let p = &mut px[(y as u32 * self.w + x as u32) as usize];
            // Blend, so shaded ranges show as tints.
            let mix = |a: u8, b: u8| (a as f64 * (1.0 - c.alpha) + b as f64 * c.alpha).round() as u8;
            *p = (mix(p.0, c.rgb.0), mix(p.1, c.rgb.1), mix(p.2, c.rgb.2));
        }
        Ok(())
    }
    fn draw_text<S: BackendTextStyle>(&mut self, _: &str, _: &S, _: BackendCoord) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
        Ok(())
    }
    fn estimate_text_size<S: BackendTextStyle>(&self, text: &str, _: &S) -> Result<(u32, u32), DrawingErrorKind<Self::ErrorType>> {
        Ok((text.len() as u32 * 7, 12))
    }
}
