//! How views talk to the app without knowing it: a view turns DOM events into its own messages
//! and sends them through a [`Dispatch`]; the app hands each view a dispatch that wraps the
//! view's messages into its own ([`Dispatch::map`]) and applies them in its one update function.
//! Listeners are [`gloo_events::EventListener`]s held by the view that made them: they are
//! removed from the DOM when the view is dropped (an unmounted app leaves nothing behind).

use std::rc::Rc;

use gloo_events::{EventListener, EventListenerOptions};
use wasm_bindgen::JsCast;
use web_sys::EventTarget;

/// Sends messages of type `M` to whoever made it (in the end, the app's update function).
pub struct Dispatch<M>(Rc<dyn Fn(M)>);

impl<M> Clone for Dispatch<M> {
    fn clone(&self) -> Self {
        Dispatch(self.0.clone())
    }
}

impl<M: 'static> Dispatch<M> {
    pub fn new(f: impl Fn(M) + 'static) -> Dispatch<M> {
        Dispatch(Rc::new(f))
    }

    pub fn send(&self, msg: M) {
        (self.0)(msg)
    }

    /// A dispatch for a part's own messages, wrapped into this one's by `wrap`.
    pub fn map<N: 'static>(&self, wrap: impl Fn(N) -> M + 'static) -> Dispatch<N> {
        let inner = self.0.clone();
        Dispatch(Rc::new(move |n| inner(wrap(n))))
    }
}

/// A view's listeners: dropping them removes them from the DOM.
pub type Listeners = Vec<EventListener>;

/// Listen for `event` on `target` as events of type `E` (others are ignored), calling `f`. The
/// listener may call `preventDefault` (it is not passive).
pub fn on<E: JsCast + 'static>(target: &EventTarget, event: &'static str, mut f: impl FnMut(&E) + 'static) -> EventListener {
    listen_boxed(
        target,
        event,
        Box::new(move |e: &web_sys::Event| {
            if let Some(ev) = e.dyn_ref::<E>() {
                f(ev);
            }
        }),
    )
}

/// One instance of gloo's generic listener for every call site (each site's closure is boxed
/// first): the download does not grow by a copy of it per listener.
#[inline(never)]
fn listen_boxed(target: &EventTarget, event: &'static str, f: Box<dyn FnMut(&web_sys::Event)>) -> EventListener {
    EventListener::new_with_options(target, event, EventListenerOptions::enable_prevent_default(), f)
}

/// Listen for `event` on `target` and send `make(event)` through `d` when it gives a message.
pub fn send_on<E: JsCast + 'static, M: 'static>(target: &EventTarget, event: &'static str, d: &Dispatch<M>, make: impl Fn(&E) -> Option<M> + 'static) -> EventListener {
    let d = d.clone();
    on::<E>(target, event, move |e| {
        if let Some(m) = make(e) {
            d.send(m);
        }
    })
}
