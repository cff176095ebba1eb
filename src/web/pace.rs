//! The page's pace for long engine work ([`crate::pace`]): the page gets its turn once work has
//! run for `slice_ms`, the progress is reported from the first such turn on, and work that a
//! newer request superseded stops at its next step.

use std::cell::Cell;
use std::rc::Rc;

use super::dispatch::Dispatch;
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
    /// Where the progress goes (from the first turn on), if anywhere.
    progress: Option<Dispatch<Progress>>,
}

/// How far long work has come: its stage, and the share done when known.
pub struct Progress {
    pub stage: String,
    pub percent: Option<u64>,
}

impl Progress {
    /// `Running: grouping (40%)…`
    pub fn text(&self) -> String {
        let share = self.percent.map_or(String::new(), |p| format!(" ({}%)", p.min(100)));
        format!("Running: {}{share}…", self.stage)
    }
}

impl PagePace {
    pub fn new(slice_ms: f64, latest: Rc<Cell<u64>>, mine: u64, progress: Option<Dispatch<Progress>>) -> PagePace {
        PagePace { slice_ms, last: Rc::new(Cell::new(dom::now())), latest, mine, progress }
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
        if let Some(p) = &self.progress {
            p.send(Progress { stage: step.stage.to_string(), percent: (step.done * 100).checked_div(step.total) });
        }
        let (last, latest, mine) = (self.last.clone(), self.latest.clone(), self.mine);
        Ok(Some(Box::pin(async move {
            dom::yield_now().await;
            last.set(dom::now());
            if latest.get() == mine { Ok(()) } else { Err(Error::Stopped) }
        })))
    }
}
