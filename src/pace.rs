//! Work in steps. Long engine work (a query over millions of events, encoding a string column)
//! calls [`Pace::tick`] between steps, a batch or a few thousand groups at a time, so whoever runs
//! it can let the page have its turn, show how far it got, or stop it. The engine stays free of
//! any browser code: the page's pace (`web::pace`) yields to the event loop; natively
//! [`Pace::unpaced`] never waits, and [`finish`] runs such work to its end in one go.

use std::future::Future;
use std::pin::{pin, Pin};
use std::sync::Arc;
use std::task::{Context, Poll, Wake, Waker};

use crate::error::Result;

/// How far a piece of work is: `done` of `total` in its current stage.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Step<'a> {
    /// What is being done: "scanning events", "encoding user.id", "finishing groups".
    pub stage: &'a str,
    pub done: u64,
    /// 0 when not known ahead (partition rounds of a selection).
    pub total: u64,
}

/// What a pace awaits when the page should get its turn; it ends in an error when the work should
/// stop after all (a newer request came meanwhile).
pub type Wait = Pin<Box<dyn Future<Output = Result<()>>>>;

/// What long work calls between its steps. One concrete type (not a trait): the engine's paced
/// functions are compiled once, whoever paces them, which keeps the browser build small.
pub struct Pace<'a> {
    check: Option<&'a mut Check<'a>>,
}

/// Called at every step: an error stops the work there; a wait is awaited before it goes on.
pub type Check<'a> = dyn FnMut(Step<'_>) -> Result<Option<Wait>> + 'a;

impl<'a> Pace<'a> {
    /// Never waits, never stops: work runs start to end.
    pub fn unpaced() -> Pace<'static> {
        Pace { check: None }
    }

    pub fn new(check: &'a mut Check<'a>) -> Pace<'a> {
        Pace { check: Some(check) }
    }

    /// Between two steps of work.
    pub async fn tick(&mut self, step: Step<'_>) -> Result<()> {
        if let Some(check) = self.check.as_mut() {
            if let Some(wait) = check(step)? {
                wait.await?;
            }
        }
        Ok(())
    }
}

struct NoWake;

impl Wake for NoWake {
    fn wake(self: Arc<Self>) {}
}

/// Drive `work` to its end on this thread. Meant for work paced by [`Pace::unpaced`], which is
/// ready at every step, so this returns after one poll; a future that is not ready is polled again.
pub fn finish<F: Future>(work: F) -> F::Output {
    let waker = Waker::from(Arc::new(NoWake));
    let mut cx = Context::from_waker(&waker);
    let mut work = pin!(work);
    loop {
        if let Poll::Ready(out) = work.as_mut().poll(&mut cx) {
            return out;
        }
    }
}

/// When to tick in a loop whose items cost very different amounts (a group of five rows, a group
/// of a million): each item adds its cost (say its rows, plus a fixed cost per item), and a tick
/// is due once the costs since the last one reach the limit.
pub struct Every {
    limit: u64,
    spent: u64,
}

impl Every {
    pub fn new(limit: u64) -> Every {
        Every { limit: limit.max(1), spent: 0 }
    }

    /// Count an item of `cost`; true when a tick is due (before doing the item's work).
    #[inline]
    pub fn add(&mut self, cost: u64) -> bool {
        self.spent += cost;
        if self.spent >= self.limit {
            self.spent = 0;
            true
        } else {
            false
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn count_to(n: u64, pace: &mut Pace<'_>) -> Result<u64> {
        let mut sum = 0;
        for i in 0..n {
            sum += i;
            pace.tick(Step { stage: "counting", done: i + 1, total: n }).await?;
        }
        Ok(sum)
    }

    #[test]
    fn unpaced_work_runs_to_its_end() {
        assert_eq!(finish(count_to(100, &mut Pace::unpaced())).unwrap(), 4950);
    }

    #[test]
    fn a_pace_sees_every_step_waits_and_can_stop_the_work() {
        let mut seen = Vec::new();
        let waits = std::rc::Rc::new(std::cell::Cell::new(0));
        let w = waits.clone();
        let mut check = |s: Step<'_>| -> Result<Option<Wait>> {
            seen.push((s.stage.to_string(), s.done, s.total));
            if seen.len() >= 3 {
                return Err(crate::Error::Stopped);
            }
            let w = w.clone();
            Ok(Some(Box::pin(async move {
                w.set(w.get() + 1);
                Ok(())
            })))
        };
        let e = finish(count_to(10, &mut Pace::new(&mut check))).unwrap_err();
        assert!(matches!(e, crate::Error::Stopped));
        assert_eq!(seen, [("counting".to_string(), 1, 10), ("counting".to_string(), 2, 10), ("counting".to_string(), 3, 10)]);
        assert_eq!(waits.get(), 2);
    }

    #[test]
    fn every_is_due_once_the_costs_reach_the_limit() {
        let mut e = Every::new(4);
        assert_eq!((0..12).filter(|_| e.add(1)).count(), 3);
        // One big item is due at once; small ones after it start counting again.
        assert!(e.add(100));
        assert!(!e.add(3));
        assert!(e.add(1));
    }
}
