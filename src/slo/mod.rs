//! Service level objectives: an SLI (a derived column that says, per event, true = good, false =
//! bad, null = does not count), a target and a period. [`evaluate`] reads the events of the
//! period (and of the period before, for the daily history) once, into good and bad weight per
//! minute, and answers from those: compliance, the error budget and what is left of it, the
//! burn-down, compliance per day, burn rates over the usual windows, and which burn alerts fire.
//!
//! - Budget: `(1 − target) × qualified events` of the period; remaining = `1 − bad / budget`
//!   (1,000,000 events at 99.9%: 1,000 may fail; 550 failed: 45% left).
//! - Burn rate over a window: `(bad / qualified in it) / (1 − target)` (1 uses the budget up in
//!   exactly one period); none when nothing qualified in the window.
//! - Burn alerts: exhaustion time (at the burn of the last `lookback` (a quarter of the
//!   horizon unless given), the budget left runs out within `horizon`), budget rate (the budget
//!   fell by at least `percent` of itself within `window`), and the SRE workbook's
//!   multi-window, multi-burn-rate rules (page: 14.4× over 1 h and 5 m, 6× over 6 h and 30 m;
//!   ticket: 1× over 3 d and 6 h).
//! - Events are weighted by the sample-rate column as queries are.

use serde::{Deserialize, Serialize};
use serde_json::Value as Json;

use crate::dataset::DataSet;
use crate::error::{Error, Result};
use crate::query::spec::CalculatedField;

const MINUTE: i64 = 60_000;

/// An SLO as JSON: `{"name", "sli": formula, "target_percentage", "time_period_days",
/// "description"?, "burn_alerts"?: [...]}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Slo {
    pub name: String,
    /// The SLI's formula (true good, false bad, null not counted).
    pub sli: String,
    pub target_percentage: f64,
    pub time_period_days: u32,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub description: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub burn_alerts: Vec<BurnAlert>,
}

/// A burn alert.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum BurnAlert {
    /// The budget left runs out within `exhaustion_minutes` at the burn of the last
    /// `lookback_minutes` (default: a quarter of the horizon).
    ExhaustionTime {
        exhaustion_minutes: u32,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        lookback_minutes: Option<u32>,
    },
    /// The budget fell by at least `budget_rate_decrease_percent` of itself within
    /// `budget_rate_window_minutes`.
    BudgetRate { budget_rate_window_minutes: u32, budget_rate_decrease_percent: f64 },
    /// The SRE workbook's multi-window, multi-burn-rate rules.
    MultiWindow,
}

impl Slo {
    pub fn from_json_str(text: &str) -> Result<Slo> {
        let slo: Slo = serde_json::from_str(text).map_err(|e| Error::spec("slo", e.to_string()))?;
        slo.check()?;
        Ok(slo)
    }

    fn check(&self) -> Result<()> {
        if self.name.trim().is_empty() {
            return Err(Error::spec("name", "an SLO needs a name"));
        }
        if !(self.target_percentage > 0.0 && self.target_percentage < 100.0) {
            return Err(Error::spec("target_percentage", format!("{} is not between 0 and 100 (exclusive)", self.target_percentage)));
        }
        if !(1..=90).contains(&self.time_period_days) {
            return Err(Error::spec("time_period_days", format!("{} days: the period is 1 to 90 days", self.time_period_days)));
        }
        for (i, a) in self.burn_alerts.iter().enumerate() {
            let bad = match a {
                BurnAlert::ExhaustionTime { exhaustion_minutes, .. } => (*exhaustion_minutes == 0).then_some("exhaustion_minutes must be at least 1"),
                BurnAlert::BudgetRate { budget_rate_window_minutes, budget_rate_decrease_percent } => {
                    if *budget_rate_window_minutes < 60 || *budget_rate_window_minutes > self.time_period_days * 1440 {
                        Some("budget_rate_window_minutes is from 60 to the SLO's period")
                    } else if !(*budget_rate_decrease_percent > 0.0 && *budget_rate_decrease_percent <= 100.0) {
                        Some("budget_rate_decrease_percent is above 0 and at most 100")
                    } else {
                        None
                    }
                }
                BurnAlert::MultiWindow => None,
            };
            if let Some(m) = bad {
                return Err(Error::spec(format!("burn_alerts[{i}]"), m));
            }
        }
        Ok(())
    }

    fn allowed(&self) -> f64 {
        1.0 - self.target_percentage / 100.0
    }
}

/// Good and bad weight per minute from `start_ms`.
pub struct Tally {
    start_ms: i64,
    good: Vec<f64>,
    bad: Vec<f64>,
}

impl Tally {
    /// (good, bad) in `[from_ms, to_ms)`.
    pub fn between(&self, from_ms: i64, to_ms: i64) -> (f64, f64) {
        let idx = |t: i64| ((t - self.start_ms).div_euclid(MINUTE)).clamp(0, self.good.len() as i64) as usize;
        let (a, b) = (idx(from_ms), idx(to_ms));
        (self.good[a..b].iter().sum(), self.bad[a..b].iter().sum())
    }
}

/// The SLI per event, tallied per minute over `[start_ms, end_ms)`.
pub fn tally(ds: &DataSet, slo: &Slo, start_ms: i64, end_ms: i64) -> Result<Tally> {
    use arrow_array::cast::AsArray;
    use arrow_array::Array;
    let field = CalculatedField { name: "__sli".into(), expression: slo.sli.clone() };
    let ds = crate::derive::extend(ds, std::slice::from_ref(&field)).map_err(|e| match e {
        Error::Spec { reason, .. } => Error::spec("sli", reason.trim_start_matches("\"__sli\": ").to_string()),
        e => e,
    })?;
    let col = ds.column_index("__sli").ok_or_else(|| Error::Data("the SLI did not evaluate".into()))?;
    if ds.schema().field(col).data_type() != &arrow_schema::DataType::Boolean {
        return Err(Error::spec("sli", "the SLI must be true (good), false (bad) or null (not counted): this formula gives other values"));
    }
    if ds.time_column().is_none() {
        return Err(Error::Data("an SLO needs events with a time column".into()));
    }
    let n = ((end_ms - start_ms).max(0) + MINUTE - 1) / MINUTE;
    let mut t = Tally { start_ms, good: vec![0.0; n as usize], bad: vec![0.0; n as usize] };
    for (bi, b) in ds.batches().iter().enumerate() {
        let Some(times) = ds.times(bi) else { continue };
        let sli = b.column(col).as_boolean();
        let w = ds.weights(bi);
        for r in 0..b.num_rows() {
            if !sli.is_valid(r) || !times.is_valid(r) {
                continue;
            }
            let ms = times.value(r);
            if ms < start_ms || ms >= end_ms {
                continue;
            }
            let m = ((ms - start_ms) / MINUTE) as usize;
            let wt = w.map_or(1.0, |w| w[r]);
            if sli.value(r) {
                t.good[m] += wt;
            } else {
                t.bad[m] += wt;
            }
        }
    }
    Ok(t)
}

/// Burn-rate windows reported (label, minutes).
pub const WINDOWS: [(&str, i64); 6] = [("5m", 5), ("30m", 30), ("1h", 60), ("6h", 360), ("1d", 1440), ("3d", 4320)];

/// The SLO as of `at_ms` (the data's latest event when `None`), as JSON.
pub fn evaluate(ds: &DataSet, slo: &Slo, at_ms: Option<i64>) -> Result<Json> {
    slo.check()?;
    let at = match at_ms {
        Some(t) => t,
        None => ds.time_range().map(|(_, hi)| hi + 1).ok_or_else(|| Error::Data("an SLO needs events with a time column".into()))?,
    };
    let period = slo.time_period_days as i64 * 86_400_000;
    // The period before this one too: each day's compliance looks back one period.
    let start = at - 2 * period;
    let t = tally(ds, slo, start, at)?;
    let allowed = slo.allowed();
    let (good, bad) = t.between(at - period, at);
    let qualified = good + bad;
    let budget = allowed * qualified;
    let remaining = |bad: f64| if budget > 0.0 { 1.0 - bad / budget } else if bad > 0.0 { f64::NEG_INFINITY } else { 1.0 };
    let burn = |mins: i64| {
        let (g, b) = t.between(at - mins * MINUTE, at);
        (g + b > 0.0).then(|| b / (g + b) / allowed)
    };
    let num = |x: Option<f64>| x.filter(|v| v.is_finite()).map_or(Json::Null, |v| serde_json::json!(v));

    // Burn-down: what is left of the period's budget after each hour of the period.
    let hours = slo.time_period_days as i64 * 24;
    let mut burndown = Vec::with_capacity(hours as usize);
    let mut bad_so_far = 0.0;
    for h in 0..hours {
        let (from, to) = (at - period + h * 3_600_000, at - period + (h + 1) * 3_600_000);
        bad_so_far += t.between(from, to).1;
        burndown.push(serde_json::json!({"time": crate::query::result::iso8601(to), "remaining": num(Some(remaining(bad_so_far)))}));
    }
    // Compliance per day: each day's look back over one period.
    let history: Vec<Json> = (0..slo.time_period_days as i64)
        .map(|d| {
            let end = at - period + (d + 1) * 86_400_000;
            let (g, b) = t.between(end - period, end);
            serde_json::json!({"day": crate::query::result::iso8601(end - 86_400_000)[..10].to_string(), "compliance": num((g + b > 0.0).then(|| g / (g + b)))})
        })
        .collect();
    let burn_rates: serde_json::Map<String, Json> = WINDOWS.iter().map(|(l, m)| (l.to_string(), num(burn(*m)))).collect();

    // Burn alerts.
    let left = budget - bad;
    let alerts: Vec<Json> = slo
        .burn_alerts
        .iter()
        .flat_map(|a| match a {
            BurnAlert::ExhaustionTime { exhaustion_minutes, lookback_minutes } => {
                let look = lookback_minutes.map_or((*exhaustion_minutes as i64 / 4).max(1), |l| l.max(1) as i64);
                let (_, b) = t.between(at - look * MINUTE, at);
                let per_minute = b / look as f64;
                let minutes_left = if left <= 0.0 { Some(0.0) } else if per_minute > 0.0 { Some(left / per_minute) } else { None };
                let fired = minutes_left.is_some_and(|m| m <= *exhaustion_minutes as f64);
                vec![serde_json::json!({"type": "exhaustion_time", "exhaustion_minutes": exhaustion_minutes, "lookback_minutes": look, "minutes_to_exhaustion": num(minutes_left), "fired": fired})]
            }
            BurnAlert::BudgetRate { budget_rate_window_minutes, budget_rate_decrease_percent } => {
                let (_, b) = t.between(at - *budget_rate_window_minutes as i64 * MINUTE, at);
                let fell = if budget > 0.0 { Some(b / budget * 100.0) } else { None };
                let fired = fell.is_some_and(|f| f >= *budget_rate_decrease_percent);
                vec![serde_json::json!({"type": "budget_rate", "budget_rate_window_minutes": budget_rate_window_minutes, "budget_rate_decrease_percent": budget_rate_decrease_percent, "budget_decrease_percent": num(fell), "fired": fired})]
            }
            BurnAlert::MultiWindow => [("page", 14.4, 60, 5), ("page", 6.0, 360, 30), ("ticket", 1.0, 4320, 360)]
                .iter()
                .map(|&(severity, rate, long, short)| {
                    let (l, s) = (burn(long), burn(short));
                    let fired = l.is_some_and(|x| x >= rate) && s.is_some_and(|x| x >= rate);
                    serde_json::json!({"type": "multi_window", "severity": severity, "burn_rate": rate, "long_window_minutes": long, "short_window_minutes": short,
                        "long_burn_rate": num(l), "short_burn_rate": num(s), "fired": fired})
                })
                .collect(),
        })
        .collect();

    Ok(serde_json::json!({
        "name": slo.name,
        "target_percentage": slo.target_percentage,
        "time_period_days": slo.time_period_days,
        "as_of": crate::query::result::iso8601(at),
        "sli": {"good": good, "bad": bad, "qualified": qualified},
        "compliance": num((qualified > 0.0).then(|| good / qualified)),
        "budget": {"allowed": budget, "used": bad, "remaining": num(Some(remaining(bad)))},
        "burn_rates": burn_rates,
        "alerts": alerts,
        "history": history,
        "burndown": burndown,
    }))
}
