//! NDJSON (one JSON object per line; a JSON array of objects also works). Nested objects are
//! flattened to dotted names like Honeycomb (`{"http":{"status_code":200}}` → `http.status_code`);
//! a missing key is null. [`Events`] also builds OTLP spans' columns.

use std::collections::HashMap;
use std::sync::Arc;

use arrow_array::builder::{BooleanBuilder, Float64Builder, Int64Builder, StringBuilder};
use arrow_array::cast::AsArray;
use arrow_array::types::{Float64Type, Int64Type};
use arrow_array::{ArrayRef, RecordBatch};
use arrow_schema::{DataType, Field, Schema};
use serde_json::Value as Json;

use super::lines::Lines;
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

/// Which kinds of JSON value a column held.
#[derive(Default, Clone, Copy)]
struct Kinds {
    bools: bool,
    ints: bool,
    floats: bool,
    strs: bool,
}

impl Kinds {
    fn add(&mut self, v: &Scalar) {
        match v {
            Scalar::Bool(_) => self.bools = true,
            Scalar::Int(_) => self.ints = true,
            Scalar::Float(_) => self.floats = true,
            Scalar::Str(_) => self.strs = true,
        }
    }

    fn union(self, o: Kinds) -> Kinds {
        Kinds { bools: self.bools || o.bools, ints: self.ints || o.ints, floats: self.floats || o.floats, strs: self.strs || o.strs }
    }

    /// Only integers → Int64; numbers → Float64; only booleans → Boolean; otherwise Utf8.
    fn data_type(self) -> DataType {
        if self.mixed() || self.strs {
            DataType::Utf8
        } else if self.bools {
            DataType::Boolean
        } else if self.floats {
            DataType::Float64
        } else {
            DataType::Int64
        }
    }

    /// Values of more than one type (booleans, numbers, strings): kept as strings.
    fn mixed(self) -> bool {
        [self.bools, self.ints || self.floats, self.strs].iter().filter(|x| **x).count() > 1
    }

    /// The column's field; a mixed column says what it held in its metadata.
    fn field(self, name: &str) -> Field {
        let mut meta = HashMap::new();
        if self.mixed() {
            let seen: Vec<&str> = [(self.bools, "boolean"), (self.ints, "integer"), (self.floats, "float"), (self.strs, "string")].iter().filter(|(f, _)| *f).map(|(_, n)| *n).collect();
            meta.insert(MIXED_TYPES_KEY.to_string(), seen.join(","));
        }
        Field::new(name, self.data_type(), true).with_metadata(meta)
    }
}

#[derive(Default)]
struct Column {
    cells: Vec<(u32, Scalar)>,
    kinds: Kinds,
}

/// Column-wise accumulation of flat events, typed at the end from what each column held.
#[derive(Default)]
pub struct Events {
    order: Vec<String>,
    columns: hashbrown::HashMap<String, Column>,
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
        col.kinds.add(&v);
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

    /// Build one record batch, typing each column by [`Kinds::data_type`] (mixed columns say so
    /// in their field metadata).
    pub fn finish(self) -> Result<RecordBatch> {
        let n = self.rows as usize;
        let mut fields = Vec::new();
        let mut arrays: Vec<ArrayRef> = Vec::new();
        for name in &self.order {
            let c = &self.columns[name];
            let field = c.kinds.field(name);
            let array: ArrayRef = match field.data_type() {
                DataType::Utf8 => {
                    let mut b = StringBuilder::new();
                    fill(n, &c.cells, |v| b.append_option(v.map(|s| match s {
                        Scalar::Str(s) => s.clone(),
                        Scalar::Int(i) => i.to_string(),
                        Scalar::Float(f) => f.to_string(),
                        Scalar::Bool(x) => x.to_string(),
                    })));
                    Arc::new(b.finish())
                }
                DataType::Boolean => {
                    let mut b = BooleanBuilder::new();
                    fill(n, &c.cells, |v| b.append_option(v.map(|s| matches!(s, Scalar::Bool(true)))));
                    Arc::new(b.finish())
                }
                DataType::Float64 => {
                    let mut b = Float64Builder::new();
                    fill(n, &c.cells, |v| b.append_option(v.map(|s| match s {
                        Scalar::Int(i) => *i as f64,
                        Scalar::Float(f) => *f,
                        _ => f64::NAN,
                    })));
                    Arc::new(b.finish())
                }
                _ => {
                    let mut b = Int64Builder::new();
                    fill(n, &c.cells, |v| b.append_option(v.map(|s| if let Scalar::Int(i) = s { *i } else { 0 })));
                    Arc::new(b.finish())
                }
            };
            fields.push(field);
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

/// Rows per batch while events are gathered: only one batch's cells are held as scalars.
pub const BATCH_ROWS: usize = 65_536;

/// Events gathered a batch at a time ([`BATCH_ROWS`] rows each); [`Batched::finish`] gives every
/// batch the column types the whole input decides (as one [`Events`] would have).
#[derive(Default)]
pub struct Batched {
    events: Events,
    kinds: Vec<(String, Kinds)>,
    index: HashMap<String, usize>,
    batches: Vec<RecordBatch>,
}

impl Batched {
    pub fn new() -> Self {
        Self::default()
    }

    /// The current batch's events, to start and fill a row.
    pub fn events(&mut self) -> &mut Events {
        &mut self.events
    }

    /// A row is complete: a full batch is typed and set aside.
    pub fn row_done(&mut self) -> Result<()> {
        if self.events.rows() >= BATCH_ROWS {
            self.flush()?;
        }
        Ok(())
    }

    pub fn rows(&self) -> usize {
        self.batches.iter().map(|b| b.num_rows()).sum::<usize>() + self.events.rows()
    }

    fn flush(&mut self) -> Result<()> {
        let events = std::mem::take(&mut self.events);
        for name in &events.order {
            let k = events.columns[name].kinds;
            match self.index.get(name) {
                Some(&i) => self.kinds[i].1 = self.kinds[i].1.union(k),
                None => {
                    self.index.insert(name.clone(), self.kinds.len());
                    self.kinds.push((name.clone(), k));
                }
            }
        }
        self.batches.push(events.finish()?);
        Ok(())
    }

    /// The batches, each with every column (null where a batch had none) in the type of the
    /// whole input: a column that was integers in one batch and strings in another is strings
    /// in all, written as one batch would have written them.
    pub fn finish(self) -> Result<Vec<RecordBatch>> {
        self.end(Ok)?.finish()
    }

    /// No more rows: the batches to give the whole input's types (a batch a step), each then
    /// passed through `then`.
    pub fn end(mut self, then: fn(RecordBatch) -> Result<RecordBatch>) -> Result<Conforming> {
        if self.events.rows() > 0 || self.batches.is_empty() {
            self.flush()?;
        }
        let fields: Vec<Field> = self.kinds.iter().map(|(n, k)| k.field(n)).collect();
        let batches = std::mem::take(&mut self.batches);
        Ok(Conforming { schema: Arc::new(Schema::new(fields)), done: Vec::with_capacity(batches.len()), left: batches.into_iter(), then })
    }
}

/// Batches being given the whole input's types (see [`Batched::finish`]), one per step, so a
/// page can take its turn between them.
pub struct Conforming {
    schema: Arc<Schema>,
    left: std::vec::IntoIter<RecordBatch>,
    done: Vec<RecordBatch>,
    then: fn(RecordBatch) -> Result<RecordBatch>,
}

impl Conforming {
    /// Conform one more batch; `false` when none is left.
    pub fn step(&mut self) -> Result<bool> {
        let Some(b) = self.left.next() else { return Ok(false) };
        let b = if b.schema().fields() == self.schema.fields() { b } else { conform(&b, &self.schema)? };
        self.done.push((self.then)(b)?);
        Ok(self.left.len() > 0)
    }

    /// Rows in the batches done.
    pub fn rows(&self) -> usize {
        self.done.iter().map(|b| b.num_rows()).sum()
    }

    pub fn finish(mut self) -> Result<Vec<RecordBatch>> {
        while self.step()? {}
        Ok(self.done)
    }
}

/// A batch in the schema of the whole input (see [`Batched::finish`]).
fn conform(b: &RecordBatch, schema: &Arc<Schema>) -> Result<RecordBatch> {
    let n = b.num_rows();
    let mut arrays: Vec<ArrayRef> = Vec::with_capacity(schema.fields().len());
    for f in schema.fields() {
        let Some(col) = b.column_by_name(f.name()) else {
            arrays.push(arrow_array::new_null_array(f.data_type(), n));
            continue;
        };
        let array: ArrayRef = match (col.data_type(), f.data_type()) {
            (from, to) if from == to => col.clone(),
            (DataType::Int64, DataType::Float64) => Arc::new(col.as_primitive::<Int64Type>().unary::<_, Float64Type>(|i| i as f64)),
            (_, DataType::Utf8) => {
                let mut s = StringBuilder::with_capacity(n, n * 8);
                match col.data_type() {
                    DataType::Int64 => col.as_primitive::<Int64Type>().iter().for_each(|v| s.append_option(v.map(|i| i.to_string()))),
                    DataType::Float64 => col.as_primitive::<Float64Type>().iter().for_each(|v| s.append_option(v.map(|x| x.to_string()))),
                    DataType::Boolean => col.as_boolean().iter().for_each(|v| s.append_option(v.map(|x| x.to_string()))),
                    other => return Err(Error::Other(format!("column {}: cannot write {other} as text", f.name()))),
                }
                Arc::new(s.finish())
            }
            (from, to) => return Err(Error::Other(format!("column {}: {from} cannot become {to}", f.name()))),
        };
        arrays.push(array);
    }
    let opts = arrow_array::RecordBatchOptions::new().with_row_count(Some(n));
    Ok(RecordBatch::try_new_with_options(schema.clone(), arrays, &opts)?)
}

/// Events arriving in pieces a line at a time: each line decodes as soon as it is complete.
/// NDJSON (an object per line, [`Stream::new`]) and OTLP/JSON lines (a request per line,
/// `otlp::stream`) differ only in what a line holds and how the batches end.
pub struct Stream {
    source: String,
    lines: Lines,
    out: Batched,
    /// Reads one line (its 1-based number, its text) into the events.
    line: fn(&str, &mut Batched, usize, &str) -> Result<()>,
    /// The error when no line held an event.
    empty: &'static str,
    /// Applied to every batch once its types are the whole input's.
    then: fn(RecordBatch) -> Result<RecordBatch>,
}

impl Stream {
    /// NDJSON: every line an object, one row.
    pub fn new(source: &str) -> Stream {
        Stream::with(source, event, "no events: the JSON holds no objects", Ok)
    }

    /// Lines read by `line`; see the fields.
    pub fn with(source: &str, line: fn(&str, &mut Batched, usize, &str) -> Result<()>, empty: &'static str, then: fn(RecordBatch) -> Result<RecordBatch>) -> Stream {
        Stream { source: source.to_string(), lines: Lines::default(), out: Batched::new(), line, empty, then }
    }

    pub fn push(&mut self, piece: &[u8]) -> Result<()> {
        let (source, out, line) = (&self.source, &mut self.out, self.line);
        self.lines.push(source, piece, |i, text| line(source, out, i, text))
    }

    /// Rows decoded so far.
    pub fn rows(&self) -> usize {
        self.out.rows()
    }

    pub fn finish(self) -> Result<Vec<RecordBatch>> {
        self.end()?.finish()
    }

    /// All bytes are in: the last line decoded, the batches left to type (a step each).
    pub fn end(mut self) -> Result<Conforming> {
        let (source, out, line) = (&self.source, &mut self.out, self.line);
        self.lines.finish(source, |i, text| line(source, out, i, text))?;
        if self.out.rows() == 0 {
            return Err(Error::decode(&self.source, self.empty));
        }
        self.out.end(self.then)
    }
}

/// One NDJSON line: an object, one row. The line is read straight into the row's columns
/// ([`Flatten`]), with no JSON value tree in between.
fn event(source: &str, out: &mut Batched, i: usize, line: &str) -> Result<()> {
    let events = out.events();
    events.next_row();
    let mut de = serde_json::Deserializer::from_str(line);
    let mut prefix = String::new();
    let read = serde::de::DeserializeSeed::deserialize(Flatten { events, prefix: &mut prefix, top: true }, &mut de).and_then(|()| de.end());
    if let Err(e) = read {
        let what = if e.to_string().starts_with(NOT_OBJECT) { format!("NDJSON line {i} is not a JSON object") } else { format!("NDJSON line {i}, column {}: {e}", e.column()) };
        return Err(Error::decode(source, what));
    }
    out.row_done()
}

const NOT_OBJECT: &str = "apiary: not an object";

/// A JSON value read into the current row of [`Events`] under `prefix`: objects recurse with
/// dots, arrays become JSON text, null sets nothing (as [`Events::set_json`] does with a value).
struct Flatten<'a> {
    events: &'a mut Events,
    prefix: &'a mut String,
    /// The line's value itself, which must be an object.
    top: bool,
}

impl<'de> serde::de::DeserializeSeed<'de> for Flatten<'_> {
    type Value = ();
    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> std::result::Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl Flatten<'_> {
    fn scalar<E: serde::de::Error>(self, v: Scalar) -> std::result::Result<(), E> {
        if self.top {
            return Err(E::custom(NOT_OBJECT));
        }
        self.events.set(self.prefix, v);
        Ok(())
    }
}

impl<'de> serde::de::Visitor<'de> for Flatten<'_> {
    type Value = ();
    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a JSON value")
    }
    fn visit_bool<E: serde::de::Error>(self, v: bool) -> std::result::Result<(), E> {
        self.scalar(Scalar::Bool(v))
    }
    fn visit_i64<E: serde::de::Error>(self, v: i64) -> std::result::Result<(), E> {
        self.scalar(Scalar::Int(v))
    }
    fn visit_u64<E: serde::de::Error>(self, v: u64) -> std::result::Result<(), E> {
        self.scalar(i64::try_from(v).map_or(Scalar::Float(v as f64), Scalar::Int))
    }
    fn visit_f64<E: serde::de::Error>(self, v: f64) -> std::result::Result<(), E> {
        self.scalar(Scalar::Float(v))
    }
    fn visit_str<E: serde::de::Error>(self, v: &str) -> std::result::Result<(), E> {
        self.scalar(Scalar::Str(v.to_string()))
    }
    fn visit_string<E: serde::de::Error>(self, v: String) -> std::result::Result<(), E> {
        self.scalar(Scalar::Str(v))
    }
    fn visit_unit<E: serde::de::Error>(self) -> std::result::Result<(), E> {
        if self.top {
            return Err(E::custom(NOT_OBJECT));
        }
        Ok(())
    }
    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> std::result::Result<(), A::Error> {
        if self.top {
            return Err(serde::de::Error::custom(NOT_OBJECT));
        }
        let mut items = Vec::new();
        while let Some(v) = seq.next_element::<Json>()? {
            items.push(v);
        }
        self.events.set(self.prefix, Scalar::Str(Json::Array(items).to_string()));
        Ok(())
    }
    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> std::result::Result<(), A::Error> {
        let at = self.prefix.len();
        while let Some(key) = map.next_key::<std::borrow::Cow<'de, str>>()? {
            if at > 0 {
                self.prefix.push('.');
            }
            self.prefix.push_str(&key);
            let r = map.next_value_seed(Flatten { events: &mut *self.events, prefix: &mut *self.prefix, top: false });
            self.prefix.truncate(at);
            r?;
        }
        Ok(())
    }
}

pub fn read(source: &str, bytes: &[u8]) -> Result<Vec<RecordBatch>> {
    let body = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    if body.iter().find(|c| !c.is_ascii_whitespace()) != Some(&b'[') {
        let mut s = Stream::new(source);
        s.push(bytes)?;
        return s.finish();
    }
    let text = std::str::from_utf8(body).map_err(|e| {
        let line = body[..e.valid_up_to()].iter().filter(|c| **c == b'\n').count() + 1;
        Error::decode(source, format!("not valid UTF-8 at byte {} (line {line})", e.valid_up_to()))
    })?;
    let all: Json = serde_json::from_str(text).map_err(|e| Error::decode(source, format!("JSON array: line {}, column {}: {e}", e.line(), e.column())))?;
    let mut out = Batched::new();
    for (i, v) in all.as_array().into_iter().flatten().enumerate() {
        if !v.is_object() {
            return Err(Error::decode(source, format!("JSON array element {i} is not an object")));
        }
        out.events().next_row();
        out.events().set_json("", v);
        out.row_done()?;
    }
    if out.rows() == 0 {
        return Err(Error::decode(source, "no events: the JSON holds no objects"));
    }
    out.finish()
}
