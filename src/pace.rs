//! Work in steps. Long engine work (a query over millions of events, encoding a string column)
//! calls [`Pace::tick`] between steps, a batch or a few thousand groups at a time, so whoever runs
//! it can let the page have its turn, show how far it got, or stop it. The engine stays free of
//! any browser code: the page's pace (`web::pace`) yields to the event loop; natively [`Unpaced`]
//! never waits, and [`finish`] runs such work to its end in one go.

use std::future::Future;
use std::pin::pin;
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

/// Called between steps of long work. An error (`Error::Stopped`) ends the work there.
pub trait Pace {
    fn tick(&mut self, step: Step<'_>) -> impl Future<Output = Result<()>>;
}

/// Never waits, never stops: work runs start to end.
pub struct Unpaced;

impl Pace for Unpaced {
    fn tick(&mut self, _: Step<'_>) -> impl Future<Output = Result<()>> {
        std::future::ready(Ok(()))
    }
}

struct NoWake;

impl Wake for NoWake {
    fn wake(self: Arc<Self>) {}
}

/// Drive `work` to its end on this thread. Meant for work paced by [`Unpaced`], which is ready at
/// every step, so this returns after one poll; a future that is not ready is polled again.
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

    /// A pace that records its steps and stops after `stop_after` of them.
    struct Recording {
        steps: Vec<(String, u64, u64)>,
        stop_after: usize,
    }

    impl Pace for Recording {
        async fn tick(&mut self, s: Step<'_>) -> Result<()> {
            self.steps.push((s.stage.to_string(), s.done, s.total));
            if self.steps.len() >= self.stop_after { Err(crate::Error::Stopped) } else { Ok(()) }
        }
    }

    async fn count_to(n: u64, pace: &mut impl Pace) -> Result<u64> {
        let mut sum = 0;
        for i in 0..n {
            sum += i;
            pace.tick(Step { stage: "counting", done: i + 1, total: n }).await?;
        }
        Ok(sum)
    }

    #[test]
    fn unpaced_work_runs_to_its_end() {
        assert_eq!(finish(count_to(100, &mut Unpaced)).unwrap(), 4950);
    }

    #[test]
    fn a_pace_sees_every_step_and_can_stop_the_work() {
        let mut p = Recording { steps: vec![], stop_after: 3 };
        let e = finish(count_to(10, &mut p)).unwrap_err();
        assert!(matches!(e, crate::Error::Stopped));
        assert_eq!(p.steps, [("counting".to_string(), 1, 10), ("counting".to_string(), 2, 10), ("counting".to_string(), 3, 10)]);
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
