//! Query results in Honeycomb's shape: totals per group (`results`) and per time bucket (`series`).

use serde_json::{json, Map, Value as Json};

use super::aggregate::Output;
use crate::value::{float_json, Value};

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
    match o {
        Output::Null => Json::Null,
        Output::Int(i) => json!(i),
        Output::Float(f) => float_json(*f),
        Output::Heatmap(h) => h.to_json(),
    }
}

impl QueryResult {
    fn data(&self, group: &[Value], values: &[Output]) -> Json {
        let mut m = Map::new();
        for (name, v) in self.breakdowns.iter().zip(group) {
            m.insert(name.clone(), v.to_json());
        }
        for (k, v) in self.keys.iter().zip(values) {
            m.insert(k.clone(), output_json(v));
        }
        Json::Object(m)
    }

    /// `{"results": [{"data": {…}}], "series": [{"time": "…Z", "data": {…}}]}`.
    pub fn to_json(&self) -> Json {
        let results: Vec<Json> = self.results.iter().map(|r| json!({"data": self.data(&r.group, &r.values)})).collect();
        let series: Vec<Json> = self
            .series
            .iter()
            .map(|p| json!({"time": iso8601(p.time_ms), "data": self.data(&self.results[p.row].group, &p.values)}))
            .collect();
        json!({"results": results, "series": series})
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
