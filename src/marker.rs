//! Markers: deploys, feature-flag changes, incidents, drawn on every time chart as a dashed line
//! (a range shaded). Read from JSON as Honeycomb's markers API writes them (`start_time`,
//! `end_time` in epoch seconds, `message`, `type`, `url`) or with `start` / `end` as RFC 3339
//! text or epoch seconds or milliseconds: an array, `{"markers": [...]}`, or one object a line.
//! Everything in a marker is untrusted: its text is shown as text, and only http(s) links are
//! kept, to be opened in a new tab.

use serde_json::{json, Value as Json};

use crate::error::{Error, Result};

/// Most markers one file may hold.
pub const MAX_MARKERS: usize = 10_000;

#[derive(Debug, Clone, PartialEq)]
pub struct Marker {
    pub start_ms: i64,
    /// The end of a range (a marker with one is shaded from start to end).
    pub end_ms: Option<i64>,
    /// `deploy`, `flag`, `incident`, or any word: markers of a type share a colour.
    pub kind: String,
    pub message: String,
    /// An http(s) link that a click on the marker opens.
    pub url: Option<String>,
}

impl Marker {
    pub fn to_json(&self) -> Json {
        let mut o = json!({"start_time": ms_text(self.start_ms), "type": self.kind, "message": self.message});
        if let Some(e) = self.end_ms {
            o["end_time"] = json!(ms_text(e));
        }
        if let Some(u) = &self.url {
            o["url"] = json!(u);
        }
        o
    }

    /// Does the marker touch `[t - tol, t + tol]` (its line, or anywhere in its range)?
    pub fn near(&self, t_ms: i64, tol_ms: i64) -> bool {
        let end = self.end_ms.unwrap_or(self.start_ms);
        t_ms >= self.start_ms.saturating_sub(tol_ms) && t_ms <= end.saturating_add(tol_ms)
    }
}

/// Times written back as RFC 3339 text (exact to the millisecond, readable in a link).
fn ms_text(ms: i64) -> String {
    crate::query::result::iso8601(ms)
}

/// The markers in `text` (a file or a URL's body named `source`). Errors name the marker and
/// field.
pub fn parse(text: &str, source: &str) -> Result<Vec<Marker>> {
    let trimmed = text.trim_start_matches('\u{feff}').trim();
    let items: Vec<Json> = if trimmed.starts_with('[') || trimmed.starts_with('{') && serde_json::from_str::<Json>(trimmed).is_ok() {
        match serde_json::from_str::<Json>(trimmed).map_err(|e| Error::Other(format!("{source}: not JSON: {e}")))? {
            Json::Array(a) => a,
            Json::Object(mut o) => match o.remove("markers") {
                Some(Json::Array(a)) => a,
                Some(_) => return Err(Error::Other(format!("{source}: \"markers\" is not an array"))),
                None => vec![Json::Object(o)],
            },
            _ => return Err(Error::Other(format!("{source}: markers are a JSON array of objects"))),
        }
    } else {
        let mut v = Vec::new();
        for (i, line) in trimmed.lines().enumerate().filter(|(_, l)| !l.trim().is_empty()) {
            v.push(serde_json::from_str(line).map_err(|e| Error::Other(format!("{source}: line {}: not JSON: {e}", i + 1)))?);
        }
        v
    };
    from_items(&items, source)
}

/// Markers from JSON values (a file's, or a link's).
pub fn from_items(items: &[Json], source: &str) -> Result<Vec<Marker>> {
    if items.len() > MAX_MARKERS {
        return Err(Error::Other(format!("{source}: {} markers, more than the {MAX_MARKERS} a chart can show", items.len())));
    }
    let mut out = Vec::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        let at = |field: &str| format!("{source}: marker {i}{}", if field.is_empty() { String::new() } else { format!(" ({field})") });
        let o = item.as_object().ok_or_else(|| Error::Other(format!("{}: not an object", at(""))))?;
        let get = |a: &str, b: &str| o.get(a).or_else(|| o.get(b)).filter(|v| !v.is_null());
        let start_ms = match get("start_time", "start") {
            Some(v) => time_ms(v).ok_or_else(|| Error::Other(format!("{}: a time is epoch seconds or milliseconds, or RFC 3339 text; got {v}", at("start_time"))))?,
            None => return Err(Error::Other(format!("{}: no start_time", at("")))),
        };
        let end_ms = match get("end_time", "end") {
            Some(v) => {
                let e = time_ms(v).ok_or_else(|| Error::Other(format!("{}: a time is epoch seconds or milliseconds, or RFC 3339 text; got {v}", at("end_time"))))?;
                if e < start_ms {
                    return Err(Error::Other(format!("{}: ends before it starts", at("end_time"))));
                }
                Some(e)
            }
            None => None,
        };
        let text = |a: &str, b: &str| -> Result<Option<String>> {
            match get(a, b) {
                None => Ok(None),
                Some(Json::String(s)) => Ok(Some(s.chars().take(2000).collect())),
                Some(v) => Err(Error::Other(format!("{}: expected text, got {v}", at(a)))),
            }
        };
        let kind = text("type", "kind")?.filter(|k| !k.trim().is_empty()).unwrap_or_else(|| "marker".to_string());
        let message = text("message", "text")?.unwrap_or_default();
        let url = match text("url", "link")? {
            Some(u) if u.trim().is_empty() => None,
            Some(u) => {
                let lower = u.trim().to_ascii_lowercase();
                if !(lower.starts_with("https://") || lower.starts_with("http://")) {
                    return Err(Error::Other(format!("{}: only http and https links are followed; got {u:?}", at("url"))));
                }
                Some(u.trim().to_string())
            }
            None => None,
        };
        out.push(Marker { start_ms, end_ms, kind: kind.trim().to_string(), message, url });
    }
    out.sort_by_key(|m| m.start_ms);
    Ok(out)
}

/// Epoch seconds (Honeycomb's unit) or milliseconds (numbers past year 5138 in seconds), or RFC
/// 3339 text.
fn time_ms(v: &Json) -> Option<i64> {
    let ms = match v {
        Json::Number(n) => {
            let x = n.as_f64()?;
            if x.abs() < 1e11 { x * 1000.0 } else { x }
        }
        Json::String(s) => match s.trim().parse::<f64>() {
            Ok(x) if x.abs() < 1e11 => x * 1000.0,
            Ok(x) => x,
            Err(_) => crate::derive::time::parse_rfc3339(s.trim())? * 1000.0,
        },
        _ => return None,
    };
    (ms.is_finite() && ms.abs() < 1e15).then(|| ms.round() as i64)
}

/// The markers of a type share a colour: the usual types their own, others from a small palette.
pub fn colour(kind: &str) -> (u8, u8, u8) {
    match kind.to_ascii_lowercase().as_str() {
        "deploy" | "deployment" | "release" => (52, 120, 246),
        "flag" | "feature_flag" | "feature-flag" | "flag_change" => (150, 90, 210),
        "incident" | "outage" | "alert" => (225, 60, 60),
        "config" | "configuration" => (0, 150, 136),
        other => {
            const REST: [(u8, u8, u8); 4] = [(230, 140, 20), (90, 160, 60), (200, 80, 160), (110, 110, 110)];
            let h = other.bytes().fold(0u32, |h, b| h.wrapping_mul(31).wrapping_add(b as u32));
            REST[h as usize % REST.len()]
        }
    }
}
