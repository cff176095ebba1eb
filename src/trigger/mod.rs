//! Triggers: a query with one calculation, a threshold and a frequency; each evaluation runs the
//! query over its time range ending at the data's latest event (or a given time) and compares
//! every group's value with the threshold: TRIGGERED when any group crosses it, else OK. The
//! rules are Honeycomb's: one calculation (not HEATMAP, CONCURRENCY or RATE_*), no orders or
//! limit, at most one having, a time range of at most a day and at most four times the
//! frequency, a frequency of 60 to 86,400 seconds in whole minutes. The answer is shaped like
//! Honeycomb's webhook payload (`status`, `threshold`, `result_groups`, `result_groups_triggered`).

use serde::{Deserialize, Serialize};
use serde_json::Value as Json;

use crate::dataset::DataSet;
use crate::error::{Error, Result};
use crate::query::spec::{CalcOp, CmpOp, QuerySpec};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Threshold {
    pub op: String,
    pub value: f64,
}

/// A trigger as JSON.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Trigger {
    pub name: String,
    pub query: Json,
    pub threshold: Threshold,
    /// Seconds between evaluations.
    #[serde(default = "default_frequency")]
    pub frequency: u32,
    /// `on_change` (notify when the state changes) or `on_true` (every evaluation while triggered).
    #[serde(default = "default_alert_type")]
    pub alert_type: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub description: String,
    /// Where to POST the payload when the trigger notifies (never in links: such URLs are
    /// often secrets).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub webhook_url: Option<String>,
}

fn default_frequency() -> u32 {
    900
}
fn default_alert_type() -> String {
    "on_change".into()
}

impl Trigger {
    pub fn from_json_str(text: &str) -> Result<Trigger> {
        let t: Trigger = serde_json::from_str(text).map_err(|e| Error::spec("trigger", e.to_string()))?;
        t.spec()?;
        Ok(t)
    }

    /// The trigger's query, checked against the rules above.
    pub fn spec(&self) -> Result<QuerySpec> {
        if self.name.trim().is_empty() {
            return Err(Error::spec("name", "a trigger needs a name"));
        }
        let spec = QuerySpec::from_json(&self.query).map_err(|e| match e {
            Error::Spec { field, reason } => Error::spec(format!("query.{field}"), reason),
            e => e,
        })?;
        let calcs = spec.effective_calculations();
        if calcs.len() != 1 {
            return Err(Error::spec("query.calculations", format!("a trigger's query has exactly one calculation, not {}", calcs.len())));
        }
        if matches!(calcs[0].op, CalcOp::Heatmap | CalcOp::Concurrency | CalcOp::RateAvg | CalcOp::RateSum | CalcOp::RateMax) {
            return Err(Error::spec("query.calculations", format!("{} cannot be a trigger's calculation", calcs[0].op.name())));
        }
        if !spec.orders.is_empty() || spec.limit.is_some() {
            return Err(Error::spec("query", "a trigger's query has no orders or limit"));
        }
        if spec.havings.len() > 1 {
            return Err(Error::spec("query.havings", "a trigger's query has at most one having"));
        }
        if spec.start_time.is_some() || spec.end_time.is_some() {
            return Err(Error::spec("query", "a trigger's query has a relative time_range, not start_time/end_time"));
        }
        if !(60..=86_400).contains(&self.frequency) || self.frequency % 60 != 0 {
            return Err(Error::spec("frequency", format!("{} s: a frequency is 60 to 86,400 seconds in whole minutes", self.frequency)));
        }
        let range = spec.time_range.unwrap_or(self.frequency as i64);
        if range > 86_400 || range > 4 * self.frequency as i64 {
            return Err(Error::spec("query.time_range", format!("{range} s: at most a day and at most four times the frequency ({} s)", 4 * self.frequency)));
        }
        self.op()?;
        if !matches!(self.alert_type.as_str(), "on_change" | "on_true") {
            return Err(Error::spec("alert_type", format!("{:?}: on_change or on_true", self.alert_type)));
        }
        Ok(spec)
    }

    fn op(&self) -> Result<CmpOp> {
        match CmpOp::parse(&self.threshold.op) {
            Some(op @ (CmpOp::Gt | CmpOp::Ge | CmpOp::Lt | CmpOp::Le)) => Ok(op),
            _ => Err(Error::spec("threshold.op", format!("{:?}: one of >, >=, <, <=", self.threshold.op))),
        }
    }
}

/// Evaluate `t` on `ds` as of `at_ms` (the data's latest event when `None`): every group's
/// value, which cross the threshold, and the status.
pub fn evaluate(ds: &DataSet, t: &Trigger, at_ms: Option<i64>) -> Result<Json> {
    let end_ms = match at_ms {
        Some(a) => a,
        None => ds.time_range().map(|(_, hi)| hi + 1).ok_or_else(|| Error::Data("a trigger needs events with a time column".into()))?,
    };
    let spec = t.query_at(end_ms)?;
    let result = crate::query::run(ds, &spec)?;
    t.judge(&spec, &result, end_ms)
}

impl Trigger {
    /// The trigger's query over its range ending at `end_ms` (whole seconds, the latest event
    /// included); without a time range it looks back one frequency.
    pub fn query_at(&self, end_ms: i64) -> Result<QuerySpec> {
        let mut spec = self.spec()?;
        let range = spec.time_range.unwrap_or(self.frequency as i64);
        let end_s = (end_ms + 999).div_euclid(1000);
        (spec.start_time, spec.end_time, spec.time_range) = (Some(end_s - range), Some(end_s), None);
        Ok(spec)
    }

    /// The evaluation of `result` (the answer to [`Trigger::query_at`]`(end_ms)`, from the tab
    /// or a store): each group's value against the threshold, the status.
    pub fn judge(&self, spec: &QuerySpec, result: &crate::QueryResult, end_ms: i64) -> Result<Json> {
        let op = self.op()?;
        let json = result.to_json();
        let key = spec.effective_calculations()[0].key();
        let mut groups = Vec::new();
        let mut crossed = Vec::new();
        for r in json["results"].as_array().into_iter().flatten() {
            let data = &r["data"];
            let group: serde_json::Map<String, Json> = spec.breakdowns.iter().map(|b| (b.clone(), data[b].clone())).collect();
            let value = data[&key].as_f64();
            let entry = serde_json::json!({"Group": group, "Result": data[&key]});
            if value.is_some_and(|v| op.test(v, self.threshold.value)) {
                crossed.push(entry.clone());
            }
            groups.push(entry);
        }
        let (from, to) = (spec.start_time.unwrap_or(0), spec.end_time.unwrap_or(0));
        Ok(serde_json::json!({
            "version": "v0.1.0",
            "name": self.name,
            "status": if crossed.is_empty() { "OK" } else { "TRIGGERED" },
            "summary": format!("{}: {} {} {} for {} of {} group{}", self.name, key, self.threshold.op, self.threshold.value, crossed.len(), groups.len(), if groups.len() == 1 { "" } else { "s" }),
            "description": self.description,
            "operator": self.threshold.op,
            "threshold": self.threshold.value,
            "frequency": self.frequency,
            "alert_type": self.alert_type,
            "evaluated_at": crate::query::result::iso8601(end_ms),
            "time_range": [crate::query::result::iso8601(from * 1000), crate::query::result::iso8601(to * 1000)],
            "result_groups": groups,
            "result_groups_triggered": crossed,
            "is_test": false,
        }))
    }
}
