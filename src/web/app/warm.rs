//! The warm-up after a load (`query::warm`): its steps run one per timer turn once the page has
//! drawn the data's first query, so the browser has optimized the query kernels before the
//! person's own first query, then encodes the data's plain string columns (within what wasm
//! memory has left). A new load starts it again; the app's removal drops its timer.

use super::*;

/// After a load, the page's own first query and drawing go first.
const START_MS: u32 = 300;
/// Between steps (each a few milliseconds), the page's other work goes first.
const GAP_MS: u32 = 30;
/// Between encoding steps (each a few milliseconds): shorter, so that the columns are encoded
/// within a second or two of a load of millions of rows.
const ENCODE_GAP_MS: u32 = 8;

impl App {
    pub(super) fn start_warm_up(&mut self) {
        self.work.warming = crate::query::warm::WarmUp::new(&self.model.data, crate::web::fetch::encode_budget());
        self.next_warm_step(START_MS);
    }

    pub(super) fn warm_step(&mut self) {
        let data = &self.model.data;
        let more = self.work.warming.as_mut().is_some_and(|w| w.step(data));
        if more {
            let encoding = self.work.warming.as_ref().is_some_and(|w| w.is_encoding());
            self.next_warm_step(if encoding { ENCODE_GAP_MS } else { GAP_MS });
        } else {
            self.work.warming = None;
            self.work.warm_timer = None;
            let _ = self.parts.root.set_attribute("data-warm", "done");
        }
    }

    fn next_warm_step(&mut self, ms: u32) {
        if self.work.warming.is_none() {
            self.work.warm_timer = None;
            return;
        }
        let _ = self.parts.root.set_attribute("data-warm", "running");
        let d = self.dispatch.clone();
        self.work.warm_timer = Some(gloo_timers::callback::Timeout::new(ms, move || {
            d.send(Msg::WarmStep)
        }));
    }
}
