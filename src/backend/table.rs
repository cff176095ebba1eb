//! A ClickHouse table seen as wide events: its columns from `DESCRIBE`, typed as the local engine
//! types them (strings, 64-bit integers, floats, booleans, millisecond timestamps), each with the
//! SQL that reads it. `Map(String, String)` attribute columns are offered as their keys (found in
//! a bounded sample, typed by what their values look like). The OpenTelemetry Collector's
//! `otel_traces` layout gets the names the local OTLP reader gives the same spans (`timestamp`,
//! `duration_ms` from `Duration` in ns, `trace.trace_id`, `trace.parent_id` with `''` as none,
//! `service.name`, `name`, `error` from `StatusCode` in either spelling).

use std::sync::Arc;

use arrow_array::cast::AsArray;
use arrow_array::{Array, RecordBatch};
use arrow_schema::{DataType, Field, Schema, TimeUnit};

use super::{Backend, Client, Sql};
use crate::dataset::{DataSet, SampleRate};
use crate::error::{Error, Result};

/// How many rows the attribute-key sample reads.
pub const KEY_SAMPLE_ROWS: i64 = 10_000;
/// At most this many keys per map column are offered.
pub const MAX_KEYS: i64 = 1_000;

/// How a column is read.
#[derive(Debug, Clone, PartialEq)]
pub enum Read {
    /// The column as it is.
    Plain(String),
    /// Its text (enums, UUIDs, addresses, dates).
    Text(String),
    /// A `Decimal`, as a float.
    Float(String),
    /// A key of a `Map(String, String)` column (null where the key is absent), typed.
    MapKey { map: String, key: String, as_type: Kind },
    /// Nanoseconds as milliseconds (the collector's `Duration`).
    NanosAsMs(String),
    /// The empty string as null (the collector's `ParentSpanId` of a root span).
    EmptyIsNull(String),
    /// Whether a status column says error (`Error` or `STATUS_CODE_ERROR`).
    IsError(String),
    /// A timestamp (`DateTime64` or `DateTime`).
    Time(String, TimeKind),
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Kind {
    Text,
    Int,
    Float,
    Bool,
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum TimeKind {
    /// `DateTime64(p)`.
    Sub,
    /// `DateTime` (seconds).
    Seconds,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Column {
    pub name: String,
    pub read: Read,
    pub data_type: DataType,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Table {
    pub columns: Vec<Column>,
    /// The collector's `otel_traces` layout was recognised.
    pub otel: bool,
    /// Columns not offered (arrays, tuples, nested), with their ClickHouse types.
    pub skipped: Vec<(String, String)>,
}

impl Column {
    /// SQL that reads this column, its names and keys bound in `q`.
    pub fn sql(&self, q: &mut Sql) -> String {
        match &self.read {
            Read::Plain(c) => q.ident(c),
            Read::Text(c) => format!("toString({})", q.ident(c)),
            Read::Float(c) => format!("toFloat64({})", q.ident(c)),
            Read::MapKey { map, key, as_type } => {
                let (m, k) = (q.ident(map), q.string(key));
                let v = format!("if(mapContains({m}, {k}), {m}[{k}], NULL)");
                match as_type {
                    Kind::Text => v,
                    Kind::Int => format!("toInt64OrNull({v})"),
                    Kind::Float => format!("toFloat64OrNull({v})"),
                    Kind::Bool => format!("if(mapContains({m}, {k}), toBool({m}[{k}] = 'true'), NULL)"),
                }
            }
            Read::NanosAsMs(c) => format!("(toFloat64({}) / 1000000)", q.ident(c)),
            Read::EmptyIsNull(c) => format!("nullIf({}, '')", q.ident(c)),
            Read::IsError(c) => format!("toBool({} IN ('Error', 'STATUS_CODE_ERROR'))", q.ident(c)),
            Read::Time(c, _) => q.ident(c),
        }
    }

    /// SQL for this column's event time in ms since the epoch (a time column only).
    pub fn time_ms(&self, q: &mut Sql) -> Option<String> {
        match &self.read {
            Read::Time(c, TimeKind::Sub) => Some(format!("toUnixTimestamp64Milli({})", q.ident(c))),
            Read::Time(c, TimeKind::Seconds) => Some(format!("(toInt64(toUnixTimestamp({})) * 1000)", q.ident(c))),
            _ => None,
        }
    }
}

/// `LowCardinality(Nullable(String))` → `String`.
fn bare(ty: &str) -> &str {
    let mut t = ty.trim();
    for wrap in ["LowCardinality(", "Nullable("] {
        if let Some(inner) = t.strip_prefix(wrap).and_then(|r| r.strip_suffix(')')) {
            t = inner;
        }
    }
    for wrap in ["LowCardinality(", "Nullable("] {
        if let Some(inner) = t.strip_prefix(wrap).and_then(|r| r.strip_suffix(')')) {
            t = inner;
        }
    }
    t
}

/// How a column of ClickHouse type `ty` is read, and its type here; `None`: not offered.
fn plain(name: &str, ty: &str) -> Option<(Read, DataType)> {
    let t = bare(ty);
    let n = name.to_string();
    let head = t.split('(').next().unwrap_or(t);
    Some(match head {
        "String" | "FixedString" => (Read::Plain(n), DataType::Utf8),
        "Enum8" | "Enum16" | "Enum" | "UUID" | "IPv4" | "IPv6" | "Date" | "Date32" | "Int128" | "Int256" | "UInt128" | "UInt256" => (Read::Text(n), DataType::Utf8),
        "Int8" | "Int16" | "Int32" | "Int64" | "UInt8" | "UInt16" | "UInt32" | "UInt64" => (Read::Plain(n), DataType::Int64),
        "Float32" | "Float64" => (Read::Plain(n), DataType::Float64),
        "Decimal" | "Decimal32" | "Decimal64" | "Decimal128" | "Decimal256" => (Read::Float(n), DataType::Float64),
        "Bool" => (Read::Plain(n), DataType::Boolean),
        "DateTime64" => (Read::Time(n, TimeKind::Sub), DataType::Timestamp(TimeUnit::Millisecond, Some("UTC".into()))),
        "DateTime" => (Read::Time(n, TimeKind::Seconds), DataType::Timestamp(TimeUnit::Millisecond, Some("UTC".into()))),
        _ => return None,
    })
}

fn is_string_map(ty: &str) -> bool {
    let t = bare(ty).replace(' ', "");
    t == "Map(String,String)" || t == "Map(LowCardinality(String),String)"
}

/// The collector's columns under the names the local OTLP reader uses.
const OTEL: [(&str, &str); 13] = [
    ("Timestamp", "timestamp"),
    ("TraceId", "trace.trace_id"),
    ("SpanId", "trace.span_id"),
    ("ParentSpanId", "trace.parent_id"),
    ("SpanName", "name"),
    ("SpanKind", "span.kind"),
    ("ServiceName", "service.name"),
    ("Duration", "duration_ms"),
    ("StatusCode", "status.code"),
    ("StatusMessage", "status.message"),
    ("ScopeName", "library.name"),
    ("ScopeVersion", "library.version"),
    ("TraceState", "trace.trace_state"),
];

impl Table {
    /// The table's columns from `DESCRIBE` rows `(name, type)`; map keys come separately
    /// ([`Table::add_keys`]).
    pub fn from_describe(rows: &[(String, String)]) -> Table {
        let has = |n: &str| rows.iter().any(|(c, _)| c == n);
        let otel = ["Timestamp", "TraceId", "SpanId", "ParentSpanId", "SpanName", "ServiceName", "Duration", "StatusCode"].iter().all(|c| has(c));
        let mut t = Table { columns: Vec::new(), otel, skipped: Vec::new() };
        for (name, ty) in rows {
            if is_string_map(ty) {
                continue;
            }
            let renamed = OTEL.iter().find(|(c, _)| otel && c == name).map(|(_, n)| n.to_string());
            let Some((mut read, mut dt)) = plain(name, ty) else {
                t.skipped.push((name.clone(), ty.clone()));
                continue;
            };
            if otel {
                match name.as_str() {
                    "Duration" => (read, dt) = (Read::NanosAsMs(name.clone()), DataType::Float64),
                    "ParentSpanId" | "StatusMessage" | "TraceState" => read = Read::EmptyIsNull(name.clone()),
                    _ => {}
                }
            }
            t.columns.push(Column { name: renamed.unwrap_or_else(|| name.clone()), read, data_type: dt });
            if otel && name == "StatusCode" {
                t.columns.push(Column { name: "error".into(), read: Read::IsError(name.clone()), data_type: DataType::Boolean });
            }
        }
        t
    }

    /// The `Map(String, String)` columns whose keys are to be offered.
    pub fn maps(rows: &[(String, String)]) -> Vec<String> {
        rows.iter().filter(|(_, ty)| is_string_map(ty)).map(|(n, _)| n.clone()).collect()
    }

    /// Offer the keys of map `map` found in the sample: `(key, values, ints, floats, booleans)`
    /// counts per key. A key named like a column already offered is left out.
    pub fn add_keys(&mut self, map: &str, keys: &[(String, u64, u64, u64, u64)]) {
        for (key, n, ints, floats, bools) in keys {
            if self.columns.iter().any(|c| &c.name == key) {
                continue;
            }
            let (as_type, dt) = if n > &0 && ints == n {
                (Kind::Int, DataType::Int64)
            } else if n > &0 && floats == n {
                (Kind::Float, DataType::Float64)
            } else if n > &0 && bools == n {
                (Kind::Bool, DataType::Boolean)
            } else {
                (Kind::Text, DataType::Utf8)
            };
            self.columns.push(Column { name: key.clone(), read: Read::MapKey { map: map.to_string(), key: key.clone(), as_type }, data_type: dt });
        }
    }

    pub fn column(&self, name: &str) -> Option<&Column> {
        self.columns.iter().find(|c| c.name == name)
    }

    /// The columns as an Arrow schema (every column nullable).
    pub fn schema(&self) -> Arc<Schema> {
        Arc::new(Schema::new(self.columns.iter().map(|c| Field::new(&c.name, c.data_type.clone(), true)).collect::<Vec<_>>()))
    }

    /// A data set with this table's schema and no rows: the local engine's own checks (unknown
    /// columns, types, the time and sample-rate columns) run on it unchanged.
    pub fn dataset(&self, sample_rate: SampleRate) -> Result<DataSet> {
        let mut ds = DataSet::from_batches(vec![RecordBatch::new_empty(self.schema())])?;
        ds.set_sample_rate(sample_rate)?;
        Ok(ds)
    }

    /// Find the table's columns: `DESCRIBE`, then a bounded sample of each attribute map's keys.
    pub async fn discover<C: Client>(backend: &Backend, client: &mut C) -> Result<Table> {
        let mut q = Sql::new();
        let (db, t) = (q.ident(if backend.database.is_empty() { "default" } else { &backend.database }), q.ident(&backend.table));
        q.push(&format!("DESCRIBE TABLE {db}.{t}"));
        let batches = backend.fetch(client, &q).await?;
        let mut rows = Vec::new();
        for b in &batches {
            let (names, types) = (text_column(b, 0)?, text_column(b, 1)?);
            rows.extend(names.into_iter().zip(types));
        }
        if rows.is_empty() {
            return Err(Error::Other(format!("ClickHouse: the table {}.{} has no columns", backend.database, backend.table)));
        }
        let mut table = Table::from_describe(&rows);
        for map in Table::maps(&rows) {
            let mut q = Sql::new();
            let (m, db, t, n, k) = (q.ident(&map), q.ident(if backend.database.is_empty() { "default" } else { &backend.database }), q.ident(&backend.table), q.int(KEY_SAMPLE_ROWS), q.int(MAX_KEYS));
            q.push(&format!(
                "SELECT kv.1 AS k, toUInt64(count()), toUInt64(countIf(isNotNull(toInt64OrNull(kv.2)))), toUInt64(countIf(isNotNull(toFloat64OrNull(kv.2)))), toUInt64(countIf(kv.2 IN ('true', 'false'))) \
                 FROM (SELECT arrayJoin(CAST({m} AS Array(Tuple(String, String)))) AS kv FROM (SELECT {m} FROM {db}.{t} LIMIT {n})) GROUP BY k ORDER BY k LIMIT {k}"
            ));
            let mut keys = Vec::new();
            for b in backend.fetch(client, &q).await? {
                let names = text_column(&b, 0)?;
                let num = |i: usize| -> Result<Vec<u64>> {
                    let a = arrow_cast::cast(b.column(i), &DataType::UInt64)?;
                    Ok(a.as_primitive::<arrow_array::types::UInt64Type>().values().to_vec())
                };
                let (n, i, f, bo) = (num(1)?, num(2)?, num(3)?, num(4)?);
                keys.extend(names.into_iter().enumerate().map(|(r, k)| (k, n[r], i[r], f[r], bo[r])));
            }
            table.add_keys(&map, &keys);
        }
        Ok(table)
    }
}

/// Column `i` of `b` as strings.
fn text_column(b: &RecordBatch, i: usize) -> Result<Vec<String>> {
    let col = b.columns().get(i).ok_or_else(|| Error::Other("ClickHouse: the answer has too few columns".into()))?;
    let s = arrow_cast::cast(col, &DataType::Utf8)?;
    let s = s.as_string::<i32>();
    Ok((0..s.len()).map(|r| if s.is_null(r) { String::new() } else { s.value(r).to_string() }).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rows(r: &[(&str, &str)]) -> Vec<(String, String)> {
        r.iter().map(|(a, b)| (a.to_string(), b.to_string())).collect()
    }

    #[test]
    fn the_collectors_layout_gets_the_otlp_readers_names() {
        let d = rows(&[
            ("Timestamp", "DateTime64(9)"),
            ("TraceId", "String"),
            ("SpanId", "String"),
            ("ParentSpanId", "String"),
            ("SpanName", "LowCardinality(String)"),
            ("ServiceName", "LowCardinality(String)"),
            ("SpanAttributes", "Map(LowCardinality(String), String)"),
            ("Duration", "UInt64"),
            ("StatusCode", "LowCardinality(String)"),
            ("Events.Timestamp", "Array(DateTime64(9))"),
        ]);
        let mut t = Table::from_describe(&d);
        assert!(t.otel);
        assert_eq!(Table::maps(&d), vec!["SpanAttributes"]);
        t.add_keys("SpanAttributes", &[("http.route".into(), 10, 0, 0, 0), ("http.status_code".into(), 10, 10, 10, 0), ("cache.hit".into(), 4, 0, 0, 4), ("name".into(), 3, 0, 0, 0)]);
        let names: Vec<&str> = t.columns.iter().map(|c| c.name.as_str()).collect();
        assert_eq!(names, ["timestamp", "trace.trace_id", "trace.span_id", "trace.parent_id", "name", "service.name", "duration_ms", "status.code", "error", "http.route", "http.status_code", "cache.hit"]);
        assert_eq!(t.skipped, vec![("Events.Timestamp".to_string(), "Array(DateTime64(9))".to_string())]);
        let ds = t.dataset(SampleRate::Auto).unwrap();
        assert_eq!(ds.time_column(), Some("timestamp"));
        let mut q = Sql::new();
        assert_eq!(t.column("duration_ms").unwrap().sql(&mut q), "(toFloat64({p0_i:Identifier}) / 1000000)");
        assert_eq!(t.column("http.status_code").unwrap().sql(&mut q), "toInt64OrNull(if(mapContains({p1_i:Identifier}, {p2_s:String}), {p1_i:Identifier}[{p2_s:String}], NULL))");
        assert_eq!(q.params[2].1, "http.status_code");
        assert_eq!(t.column("error").unwrap().data_type, DataType::Boolean);
        assert_eq!(t.column("timestamp").unwrap().time_ms(&mut q).unwrap(), "toUnixTimestamp64Milli({p3_i:Identifier})");
    }

    #[test]
    fn plain_tables_keep_their_names_and_types() {
        let t = Table::from_describe(&rows(&[("ts", "DateTime('UTC')"), ("n", "Nullable(UInt16)"), ("s", "LowCardinality(Nullable(String))"), ("d", "Decimal(10, 2)"), ("b", "Bool"), ("e", "Enum8('a' = 1)"), ("a", "Array(String)")]));
        assert!(!t.otel);
        let types: Vec<_> = t.columns.iter().map(|c| (c.name.as_str(), c.data_type.clone())).collect();
        assert_eq!(types[1], ("n", DataType::Int64));
        assert_eq!(types[2], ("s", DataType::Utf8));
        assert_eq!(types[3], ("d", DataType::Float64));
        assert_eq!(types[4], ("b", DataType::Boolean));
        assert_eq!(types[5], ("e", DataType::Utf8));
        assert_eq!(t.skipped.len(), 1);
        assert_eq!(t.dataset(SampleRate::Auto).unwrap().time_column(), Some("ts"));
    }
}
