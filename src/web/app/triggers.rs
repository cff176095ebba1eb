//! The app's triggers: evaluated when due (a timer ticks every second while the page is open;
//! `data-trigger-speed` runs the schedule faster for demos and tests) and on demand, each as
//! work of its own against a refreshed source (URL sources fetched again, a connected store
//! queried again; local files as they are in the tab), and notified in the page, through the
//! browser's notifications when allowed, and to the trigger's webhook.

use super::*;
use crate::trigger::Trigger;
use crate::web::triggers::Out;

impl App {
    pub(super) fn triggers_out(&mut self, outs: Vec<Out>) {
        for out in outs {
            match out {
                Out::WantQuery => {
                    let spec = self.model.spec.clone().unwrap_or_else(|| self.default_spec());
                    self.views.triggers.fill_from_query(&spec);
                }
                Out::Evaluate(t) => self.evaluate_trigger(t),
                Out::Changed => {
                    self.model.triggers = self.views.triggers.saved.clone();
                    self.write_url(false);
                }
                Out::AllowNotifications => {
                    if let Ok(p) = web_sys::Notification::request_permission() {
                        let _ = p;
                    }
                }
            }
        }
    }

    /// Start the schedule (once per app).
    pub(super) fn start_trigger_clock(&mut self) {
        let d = self.dispatch.clone();
        self.work.trigger_tick = Some(gloo_timers::callback::Interval::new(1000, move || d.send(Msg::TriggerTick)));
    }

    /// Evaluate the triggers that are due.
    pub(super) fn trigger_tick(&mut self) {
        if self.model.data.num_rows() == 0 && self.model.store.is_none() {
            return;
        }
        let now = js_sys::Date::now();
        for t in self.views.triggers.due(now, self.config.trigger_speed) {
            self.evaluate_trigger(t);
        }
    }

    /// Evaluate `t` as work of its own; the answer comes back as `TriggerDone`.
    pub(super) fn evaluate_trigger(&mut self, t: Trigger) {
        self.views.triggers.started(&t.name, js_sys::Date::now());
        let d = self.dispatch.clone();
        if let Some(store) = &self.model.store {
            let (b, table) = (store.backend.clone(), store.table.clone());
            let time = store.schema.time_column().and_then(|c| table.column(c)).cloned();
            wasm_bindgen_futures::spawn_local(async move {
                let out = async {
                    let mut client = crate::web::fetch::Post::default();
                    let time = time.ok_or_else(|| crate::Error::Data("the table has no time column".into()))?;
                    let (_, hi) = crate::backend::table_range(&mut client, &b, &time).await?.ok_or_else(|| crate::Error::Data("the table is empty".into()))?;
                    let spec = t.query_at(hi + 1)?;
                    let r = crate::backend::query(&mut client, &b, &table, &spec, &crate::backend::Options::default()).await?;
                    t.judge(&spec, &r, hi + 1)
                }
                .await
                .map_err(|e| e.to_string());
                d.send(Msg::TriggerDone { trigger: t, out });
            });
            return;
        }
        let urls: Vec<String> = self.model.sources.iter().filter_map(|s| s.url.clone()).collect();
        if !urls.is_empty() && urls.len() == self.model.sources.len() {
            // Every source came from a URL: fetch them again, as they are now.
            let cap = self.config.memory_cap;
            wasm_bindgen_futures::spawn_local(async move {
                let out = async {
                    let mut ds = crate::dataset::DataSet::empty();
                    for u in &urls {
                        let mut bytes = Vec::new();
                        crate::web::fetch::fetch_pieces(u, None, cap, 40.0, |piece, _, _| {
                            crate::ingest::receive::append(&mut bytes, piece);
                            Ok(())
                        })
                        .await?;
                        let loaded = crate::ingest::load_owned(u, bytes).map_err(|e| e.to_string())?;
                        ds.append(loaded.batches).map_err(|e| e.to_string())?;
                    }
                    crate::trigger::evaluate(&ds, &t, None).map_err(|e| e.to_string())
                }
                .await;
                d.send(Msg::TriggerDone { trigger: t, out });
            });
            return;
        }
        let out = crate::trigger::evaluate(&self.model.data, &t, None).map_err(|e| e.to_string());
        d.send(Msg::TriggerDone { trigger: t, out });
    }

    /// An evaluation came back: recorded, and notified when it should be.
    pub(super) fn trigger_done(&mut self, t: Trigger, out: Result<serde_json::Value, String>) {
        if !self.views.triggers.record(&t.name, &out, js_sys::Date::now()) {
            return;
        }
        let Ok(mut payload) = out else { return };
        let link = dom::window().ok().and_then(|w| w.location().href().ok()).unwrap_or_default();
        payload["result_url"] = serde_json::json!(link);
        let title = format!("{} {}", t.name, payload["status"].as_str().unwrap_or(""));
        let body = payload["summary"].as_str().unwrap_or("").to_string();
        if web_sys::Notification::permission() == web_sys::NotificationPermission::Granted {
            let opts = web_sys::NotificationOptions::new();
            opts.set_body(&body);
            let _ = web_sys::Notification::new_with_options(&title, &opts);
        }
        if let Some(url) = t.webhook_url.clone() {
            // A simple request (text/plain, no credentials): webhook receivers rarely answer
            // CORS preflights; the body is the JSON payload.
            let init = web_sys::RequestInit::new();
            init.set_method("POST");
            init.set_mode(web_sys::RequestMode::NoCors);
            init.set_body(&wasm_bindgen::JsValue::from_str(&payload.to_string()));
            let views_err = self.dispatch.clone();
            let name = t.name.clone();
            wasm_bindgen_futures::spawn_local(async move {
                let Ok(win) = dom::window() else { return };
                if let Err(e) = wasm_bindgen_futures::JsFuture::from(win.fetch_with_str_and_init(&url, &init)).await {
                    views_err.send(Msg::TriggerWebhookFailed(format!("{name}: the webhook {url} could not be reached ({})", crate::web::fetch::js_err(&e))));
                }
            });
        }
    }
}
