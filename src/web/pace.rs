//! The page's pace for long engine work ([`crate::pace`]): the page gets its turn once work has
//! run for `slice_ms`, the progress shows (as text) from the first such turn on, and work that a
//! newer request superseded stops at its next step.

use std::cell::Cell;
use std::rc::Rc;

use web_sys::Element;

use super::dom;
use crate::error::{Error, Result};
use crate::pace::{Step, Wait};

pub struct PagePace {
    slice_ms: f64,
    /// When the page last had its turn.
    last: Rc<Cell<f64>>,
    /// The latest request's number; this work is request `mine`.
    latest: Rc<Cell<u64>>,
    mine: u64,
    /// Where the progress shows (hidden until the first turn), if anywhere.
    status: Option<Element>,
}

impl PagePace {
    pub fn new(slice_ms: f64, latest: Rc<Cell<u64>>, mine: u64, status: Option<Element>) -> PagePace {
        PagePace { slice_ms, last: Rc::new(Cell::new(dom::now())), latest, mine, status }
    }

    /// Whether this work is still the latest request of its kind.
    pub fn is_latest(&self) -> bool {
        self.latest.get() == self.mine
    }

    /// The check a [`crate::pace::Pace`] makes at every step: stop when a newer request came;
    /// once a slice has passed, show the step and wait for the page's next turn.
    pub fn check(&mut self, step: Step<'_>) -> Result<Option<Wait>> {
        if !self.is_latest() {
            return Err(Error::Stopped);
        }
        if dom::now() - self.last.get() < self.slice_ms {
            return Ok(None);
        }
        if let Some(status) = &self.status {
            let share = (step.done * 100).checked_div(step.total).map_or(String::new(), |p| format!(" ({}%)", p.min(100)));
            status.set_text_content(Some(&format!("Running: {}{share}…", step.stage)));
            let _ = status.set_attribute("data-stage", step.stage);
            let _ = status.remove_attribute("hidden");
        }
        let (last, latest, mine) = (self.last.clone(), self.latest.clone(), self.mine);
        Ok(Some(Box::pin(async move {
            dom::yield_now().await;
            last.set(dom::now());
            if latest.get() == mine { Ok(()) } else { Err(Error::Stopped) }
        })))
    }
}

/// Hide the progress of finished work.
pub fn done(status: &Element) {
    let _ = status.set_attribute("hidden", "");
    let _ = status.remove_attribute("data-stage");
}
