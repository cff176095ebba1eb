//! NDJSON (one JSON object per line; a JSON array of objects also works). Nested objects are
//! flattened to dotted names like Honeycomb (`{"http":{"status_code":200}}` → `http.status_code`);
//! a missing key is null. [`Events`] also builds OTLP spans' columns.

use std::collections::HashMap;
use std::sync::Arc;

use arrow_array::builder::{BooleanBuilder, Float64Builder, Int64Builder, StringBuilder};
use arrow_array::{ArrayRef, RecordBatch};
use arrow_schema::{DataType, Field, Schema};
use serde_json::Value as Json;

use crate::error::{Error, Result};

/// Field metadata key set on a column whose JSON values had several types (kept as strings).
pub const MIXED_TYPES_KEY: &str = "apiary.mixed_types";

#[derive(Debug, Clone)]
pub enum Scalar {
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(String),
}

#[derive(Default)]
struct Column {
    cells: Vec<(u32, Scalar)>,
    bools: bool,
    ints: bool,
    floats: bool,
    strs: bool,
}

/// Column-wise accumulation of flat events, typed at the end from what each column held.
#[derive(Default)]
pub struct Events {
    order: Vec<String>,
    columns: HashMap<String, Column>,
    rows: u32,
}

impl Events {
    pub fn new() -> Self {
        Self::default()
    }

    /// Start a new row; later `set` calls fill it.
    pub fn next_row(&mut self) {
        self.rows += 1;
    }

    pub fn rows(&self) -> usize {
        self.rows as usize
    }

    /// Set `key` of the current row (the last started one). A repeated key keeps the last value.
    pub fn set(&mut self, key: &str, v: Scalar) {
        let row = self.rows.saturating_sub(1);
        let col = match self.columns.get_mut(key) {
            Some(c) => c,
            None => {
                self.order.push(key.to_string());
                self.columns.entry(key.to_string()).or_default()
            }
        };
        match &v {
            Scalar::Bool(_) => col.bools = true,
            Scalar::Int(_) => col.ints = true,
            Scalar::Float(_) => col.floats = true,
            Scalar::Str(_) => col.strs = true,
        }
        if col.cells.last().is_some_and(|(r, _)| *r == row) {
            col.cells.pop();
        }
        col.cells.push((row, v));
    }

    /// Flatten a JSON value under `prefix` (objects recurse with dots; arrays become JSON text).
    pub fn set_json(&mut self, prefix: &str, v: &Json) {
        match v {
            Json::Null => {}
            Json::Bool(b) => self.set(prefix, Scalar::Bool(*b)),
            Json::Number(n) => match n.as_i64() {
                Some(i) => self.set(prefix, Scalar::Int(i)),
                None => self.set(prefix, Scalar::Float(n.as_f64().unwrap_or(f64::NAN))),
            },
            Json::String(s) => self.set(prefix, Scalar::Str(s.clone())),
            Json::Array(_) => self.set(prefix, Scalar::Str(v.to_string())),
            Json::Object(m) => {
                for (k, x) in m {
                    let key = if prefix.is_empty() { k.clone() } else { format!("{prefix}.{k}") };
                    self.set_json(&key, x);
                }
            }
        }
    }

    /// Build one record batch. Column types: only integers → Int64; numbers → Float64; only
    /// booleans → Boolean; otherwise Utf8 (mixed columns say so in their field metadata).
    pub fn finish(self) -> Result<RecordBatch> {
        let n = self.rows as usize;
        let mut fields = Vec::new();
        let mut arrays: Vec<ArrayRef> = Vec::new();
        for name in &self.order {
            let c = &self.columns[name];
            let kinds = [c.bools, c.ints || c.floats, c.strs].iter().filter(|x| **x).count();
            let mut meta = HashMap::new();
            let array: ArrayRef = if kinds > 1 || c.strs {
                if kinds > 1 {
                    let mut seen = Vec::new();
                    for (flag, name) in [(c.bools, "boolean"), (c.ints, "integer"), (c.floats, "float"), (c.strs, "string")] {
                        if flag {
                            seen.push(name);
                        }
                    }
                    meta.insert(MIXED_TYPES_KEY.to_string(), seen.join(","));
                }
                let mut b = StringBuilder::new();
                fill(n, &c.cells, |v| b.append_option(v.map(|s| match s {
                    Scalar::Str(s) => s.clone(),
                    Scalar::Int(i) => i.to_string(),
                    Scalar::Float(f) => f.to_string(),
                    Scalar::Bool(x) => x.to_string(),
                })));
                Arc::new(b.finish())
            } else if c.bools {
                let mut b = BooleanBuilder::new();
                fill(n, &c.cells, |v| b.append_option(v.map(|s| matches!(s, Scalar::Bool(true)))));
                Arc::new(b.finish())
            } else if c.floats {
                let mut b = Float64Builder::new();
                fill(n, &c.cells, |v| b.append_option(v.map(|s| match s {
                    Scalar::Int(i) => *i as f64,
                    Scalar::Float(f) => *f,
                    _ => f64::NAN,
                })));
                Arc::new(b.finish())
            } else {
                let mut b = Int64Builder::new();
                fill(n, &c.cells, |v| b.append_option(v.map(|s| if let Scalar::Int(i) = s { *i } else { 0 })));
                Arc::new(b.finish())
            };
            fields.push(Field::new(name, array.data_type().clone(), true).with_metadata(meta));
            arrays.push(array);
        }
        let schema = Arc::new(Schema::new(fields));
        let opts = arrow_array::RecordBatchOptions::new().with_row_count(Some(n));
        Ok(RecordBatch::try_new_with_options(schema, arrays, &opts)?)
    }
}

/// Call `push` once per row with the row's cell (cells are sorted by row).
fn fill(n: usize, cells: &[(u32, Scalar)], mut push: impl FnMut(Option<&Scalar>)) {
    let mut it = cells.iter().peekable();
    for row in 0..n as u32 {
        match it.peek() {
            Some((r, v)) if *r == row => {
                push(Some(v));
                it.next();
            }
            _ => push(None),
        }
    }
}

/// Column types the NDJSON reader produced, for tests and the schema view.
pub fn is_mixed(field: &Field) -> bool {
    field.metadata().contains_key(MIXED_TYPES_KEY) && *field.data_type() == DataType::Utf8
}

pub fn read(source: &str, bytes: &[u8]) -> Result<Vec<RecordBatch>> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let text = std::str::from_utf8(bytes).map_err(|e| {
        let line = bytes[..e.valid_up_to()].iter().filter(|c| **c == b'\n').count() + 1;
        Error::decode(source, format!("not valid UTF-8 at byte {} (line {line})", e.valid_up_to()))
    })?;
    let mut events = Events::new();
    let trimmed = text.trim_start();
    if trimmed.starts_with('[') {
        let all: Json = serde_json::from_str(text).map_err(|e| Error::decode(source, format!("JSON array: line {}, column {}: {e}", e.line(), e.column())))?;
        for (i, v) in all.as_array().into_iter().flatten().enumerate() {
            if !v.is_object() {
                return Err(Error::decode(source, format!("JSON array element {i} is not an object")));
            }
            events.next_row();
            events.set_json("", v);
        }
    } else {
        for (i, line) in text.lines().enumerate() {
            if line.trim().is_empty() {
                continue;
            }
            let v: Json = serde_json::from_str(line).map_err(|e| Error::decode(source, format!("NDJSON line {}, column {}: {e}", i + 1, e.column())))?;
            if !v.is_object() {
                return Err(Error::decode(source, format!("NDJSON line {} is not a JSON object", i + 1)));
            }
            events.next_row();
            events.set_json("", &v);
        }
    }
    if events.rows() == 0 {
        return Err(Error::decode(source, "no events: the JSON holds no objects"));
    }
    Ok(vec![events.finish()?])
}
