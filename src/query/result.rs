//! Query results in Honeycomb's shape: totals per group (`results`) and per time bucket (`series`).

use serde::ser::{Serialize, SerializeMap, Serializer};
use serde_json::{json, Value as Json};

use super::aggregate::Output;
use crate::value::Value;

#[derive(Debug, Clone, PartialEq)]
pub struct ResultRow {
    /// Breakdown values, in breakdown order.
    pub group: Vec<Value>,
    /// One output per calculation, in calculation order.
    pub values: Vec<Output>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct SeriesPoint {
    /// Start of the time bucket, ms since the epoch.
    pub time_ms: i64,
    /// Index of the group's row in `results`.
    pub row: usize,
    pub values: Vec<Output>,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct QueryResult {
    pub breakdowns: Vec<String>,
    /// Result keys of the calculations: `COUNT`, `P99(duration_ms)`.
    pub keys: Vec<String>,
    pub results: Vec<ResultRow>,
    pub series: Vec<SeriesPoint>,
    /// The resolved time range `[start, end)` in ms; `None` when the data has no time column.
    pub range_ms: Option<(i64, i64)>,
    /// Bucket length in seconds when the query has a series.
    pub granularity: Option<i64>,
    /// Whether rows were weighted by a sample-rate column (and which).
    pub sample_rate_column: Option<String>,
    /// Rows in the time range, and rows that also passed the filters.
    pub rows_in_range: u64,
    pub rows_matched: u64,
}

pub fn output_json(o: &Output) -> Json {
    serde_json::to_value(o).unwrap_or(Json::Null)
}

impl Serialize for Output {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Output::Null => s.serialize_unit(),
            Output::Int(i) => s.serialize_i64(*i),
            // Non-finite floats are written as null.
            Output::Float(f) => s.serialize_f64(*f),
            Output::Heatmap(h) => h.serialize(s),
        }
    }
}

/// One row's `data`: breakdown values by column name, then calculation outputs by result key (a
/// breakdown named like a result key is left out: the calculation's value is the one kept).
struct Data<'a> {
    result: &'a QueryResult,
    group: &'a [Value],
    values: &'a [Output],
}

impl Serialize for Data<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let keys = &self.result.keys;
        let mut m = s.serialize_map(None)?;
        for (name, v) in self.result.breakdowns.iter().zip(self.group) {
            if !keys.contains(name) {
                m.serialize_entry(name, v)?;
            }
        }
        for (k, v) in keys.iter().zip(self.values) {
            m.serialize_entry(k, v)?;
        }
        m.end()
    }
}

struct Results<'a>(&'a QueryResult);
struct Series<'a>(&'a QueryResult);

impl Serialize for Results<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let r = self.0;
        s.collect_seq(r.results.iter().map(|row| Wrap { time: None, data: Data { result: r, group: &row.group, values: &row.values } }))
    }
}

impl Serialize for Series<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let r = self.0;
        s.collect_seq(r.series.iter().map(|p| Wrap {
            time: Some(iso8601(p.time_ms)),
            data: Data { result: r, group: r.results.get(p.row).map_or(&[][..], |x| &x.group), values: &p.values },
        }))
    }
}

/// `{"time"?: "…Z", "data": {…}}`.
struct Wrap<'a> {
    time: Option<String>,
    data: Data<'a>,
}

impl Serialize for Wrap<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(Some(1 + self.time.is_some() as usize))?;
        if let Some(t) = &self.time {
            m.serialize_entry("time", t)?;
        }
        m.serialize_entry("data", &self.data)?;
        m.end()
    }
}

/// `{"results": [{"data": {…}}], "series": [{"time": "…Z", "data": {…}}]}`, written straight to
/// the serializer, no intermediate JSON values.
impl Serialize for QueryResult {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(Some(2))?;
        m.serialize_entry("results", &Results(self))?;
        m.serialize_entry("series", &Series(self))?;
        m.end()
    }
}

impl QueryResult {
    /// The Honeycomb-shaped JSON as values (see the `Serialize` impl).
    pub fn to_json(&self) -> Json {
        serde_json::to_value(self).unwrap_or(Json::Null)
    }

    /// The same JSON as text, written directly (what the JavaScript API hands back).
    pub fn to_json_text(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }

    /// What the page shows beside the results: range, weighting, row counts.
    pub fn meta_json(&self) -> Json {
        json!({
            "start_ms": self.range_ms.map(|r| r.0),
            "end_ms": self.range_ms.map(|r| r.1),
            "granularity": self.granularity,
            "sample_rate_column": self.sample_rate_column,
            "rows_in_range": self.rows_in_range,
            "rows_matched": self.rows_matched,
            "groups": self.results.len(),
        })
    }
}

/// `2026-11-01T12:00:00Z` (with `.mmm` when the instant is not a whole second).
pub fn iso8601(ms: i64) -> String {
    let secs = ms.div_euclid(1000);
    let milli = ms.rem_euclid(1000);
    let days = secs.div_euclid(86_400);
    let sod = secs.rem_euclid(86_400);
    // Civil-from-days (Howard Hinnant's algorithm), proleptic Gregorian calendar.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + (m <= 2) as i64;
    let (h, mi, s) = (sod / 3600, sod % 3600 / 60, sod % 60);
    if milli == 0 {
        format!("{y:04}-{m:02}-{d:02}T{h:02}:{mi:02}:{s:02}Z")
    } else {
        format!("{y:04}-{m:02}-{d:02}T{h:02}:{mi:02}:{s:02}.{milli:03}Z")
    }
}

#[cfg(test)]
mod tests {
    use super::iso8601;

    #[test]
    fn iso_dates() {
        assert_eq!(iso8601(0), "1970-01-01T00:00:00Z");
        assert_eq!(iso8601(1_793_534_400_000), "2026-11-01T12:00:00Z");
        assert_eq!(iso8601(951_782_400_000 + 1), "2000-02-29T00:00:00.001Z");
        assert_eq!(iso8601(-1000), "1969-12-31T23:59:59Z");
    }
}

#[cfg(test)]
mod json_tests {
    use super::*;
    use crate::query::heatmap::{Histogram, Layout, Scale};

    fn sample() -> QueryResult {
        let h = Histogram::build(&[1.0, 2.0, 2.5, 10.0], None, Layout::new(1.0, 10.0, Scale::Linear));
        QueryResult {
            breakdowns: vec!["region".into(), "COUNT".into(), "code".into()],
            keys: vec!["COUNT".into(), "AVG(x)".into(), "HEATMAP(x)".into()],
            results: vec![
                ResultRow { group: vec![Value::Str("eu \"1\"".into()), Value::Int(7), Value::Null], values: vec![Output::Int(3), Output::Float(f64::NAN), Output::heatmap(h.clone())] },
                ResultRow { group: vec![Value::Null, Value::Bool(true), Value::Float(2.5)], values: vec![Output::Int(1), Output::Float(0.5), Output::Null] },
            ],
            series: vec![SeriesPoint { time_ms: 1_793_534_400_500, row: 1, values: vec![Output::Int(1), Output::Float(0.5), Output::Null] }],
            ..Default::default()
        }
    }

    #[test]
    fn text_is_the_honeycomb_shape() {
        let r = sample();
        let v: Json = serde_json::from_str(&r.to_json_text()).unwrap();
        assert_eq!(v, r.to_json());
        let first = &v["results"][0]["data"];
        assert_eq!(first["region"], "eu \"1\"");
        // The calculation wins over a breakdown of the same name; non-finite floats are null.
        assert_eq!(first["COUNT"], 3);
        assert_eq!(first["AVG(x)"], Json::Null);
        assert_eq!(first["code"], Json::Null);
        assert_eq!(first.as_object().unwrap().len(), 5);
        let heat = &first["HEATMAP(x)"];
        assert_eq!(heat["counts"].as_array().unwrap().iter().map(|c| c.as_u64().unwrap()).sum::<u64>(), 4);
        assert!(heat["counts"][0].is_u64());
        assert_eq!(heat["min"], 1.0);
        assert!(heat.get("scale").is_none());
        let p = &v["series"][0];
        assert_eq!(p["time"], "2026-11-01T12:00:00.500Z");
        assert_eq!(p["data"]["region"], Json::Null);
        assert_eq!(p["data"]["code"], 2.5);
        assert_eq!(p["data"]["AVG(x)"], 0.5);
        assert_eq!(v.as_object().unwrap().keys().collect::<Vec<_>>(), ["results", "series"]);
    }

    #[test]
    fn weighted_counts_stay_floats() {
        let h = Histogram::build(&[1.0, 4.0], Some(&[1.5, 2.0]), Layout::new(1.0, 4.0, Scale::Log));
        let v: Json = serde_json::from_str(&serde_json::to_string(&h).unwrap()).unwrap();
        assert_eq!(v["scale"], "log");
        assert!(v["counts"][0].is_f64());
        assert_eq!(v["counts"][0], 1.5);
        assert!(v["counts"][49].is_u64());
    }
}
