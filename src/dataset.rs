//! The loaded data set: Arrow record batches with one schema, plus what the engine derives once
//! (the time column in milliseconds, the sample-rate column).

use std::sync::Arc;

use arrow_array::cast::AsArray;
use arrow_array::types::*;
use arrow_array::{Array, ArrayRef, Int64Array, RecordBatch};
use arrow_buffer::{Buffer, MutableBuffer};
use arrow_schema::{DataType, Field, Schema, SchemaRef, TimeUnit};

use crate::error::{Error, Result};

/// Names tried, in order, for the event time column.
pub const TIME_COLUMN_NAMES: [&str; 7] =
    ["timestamp", "time", "Timestamp", "@timestamp", "start_time", "startTimeUnixNano", "Time"];
/// Names tried, in order, for the sample-rate column.
pub const SAMPLE_RATE_NAMES: [&str; 3] = ["sample_rate", "SampleRate", "samplerate"];

/// How rows are weighted by their sample rate.
#[derive(Debug, Clone, PartialEq, Default)]
pub enum SampleRate {
    /// Use the auto-detected column, if any.
    #[default]
    Auto,
    /// Weighting off: every row counts once.
    Off,
    /// Use this column.
    Column(String),
}

mod codes;
pub use codes::{Encoded, StringCodes};

#[derive(Clone)]
pub struct DataSet {
    schema: SchemaRef,
    /// Per column: its [`StringCodes`] once some query asked (`None` inside: not a plain string
    /// column), and their encoding in progress; shared with the data sets holding the same
    /// column (clones, and those with derived columns added).
    string_codes: Vec<Arc<codes::Codes>>,
    batches: Vec<RecordBatch>,
    rows: usize,
    time_column: Option<String>,
    /// Per batch, event time in ms since the epoch (null where the row has none).
    times: Vec<Int64Array>,
    /// Per batch, the (min, max) event time and whether every row has one.
    time_spans: Vec<Option<(i64, i64, bool)>>,
    sample_rate: SampleRate,
    /// Per batch, per row: the weight by the sample-rate column, made on first use (see
    /// [`DataSet::weights`]) and dropped when the sample-rate choice changes.
    weights: std::sync::OnceLock<Vec<Vec<f64>>>,
}

impl Default for DataSet {
    fn default() -> Self {
        DataSet::empty()
    }
}

impl DataSet {
    pub fn empty() -> Self {
        DataSet {
            string_codes: Vec::new(),
            weights: std::sync::OnceLock::new(),
            schema: Arc::new(Schema::empty()),
            batches: Vec::new(),
            rows: 0,
            time_column: None,
            times: Vec::new(),
            time_spans: Vec::new(),
            sample_rate: SampleRate::Auto,
        }
    }

    /// A data set of these batches, which must share one schema.
    pub fn from_batches(batches: Vec<RecordBatch>) -> Result<Self> {
        let mut ds = DataSet::empty();
        ds.append(batches)?;
        Ok(ds)
    }

    /// Add batches (of one source). Schemas are unified by column name: a column missing in some
    /// batches is null there; a column whose types differ gets a common type (integers and floats →
    /// Float64, strings and dictionaries → strings, anything else → strings). On error nothing
    /// changes: data loaded before stays intact.
    pub fn append(&mut self, batches: Vec<RecordBatch>) -> Result<()> {
        if batches.is_empty() {
            return Ok(());
        }
        let mut fields: Vec<Field> = self.schema.fields().iter().map(|f| f.as_ref().clone()).collect();
        for b in &batches {
            for f in b.schema().fields() {
                match fields.iter_mut().find(|x| x.name() == f.name()) {
                    Some(existing) => {
                        let t = common_type(existing.data_type(), f.data_type());
                        if t != *existing.data_type() {
                            *existing = Field::new(existing.name(), t, true).with_metadata(existing.metadata().clone());
                        }
                    }
                    None => fields.push(Field::new(f.name(), f.data_type().clone(), true).with_metadata(f.metadata().clone())),
                }
            }
        }
        let schema = Arc::new(Schema::new(fields));
        // Batches are sliced first, so every all-null column can be a slice of one zeroed buffer
        // (16 bytes a row at most), as long as the longest batch: a small source's append does
        // not zero a megabyte.
        let longest = self.batches.iter().map(RecordBatch::num_rows).chain(batches.iter().map(|b| b.num_rows().min(MAX_BATCH_ROWS))).max().unwrap_or(0);
        let zeros = Buffer::from(MutableBuffer::from_len_zeroed((longest + 1) * 16));
        let conform = |b: &RecordBatch| conform(b, &schema, &zeros);
        let old: Vec<RecordBatch> = if self.schema.fields() == schema.fields() {
            self.batches.clone()
        } else {
            self.batches.iter().map(conform).collect::<Result<_>>()?
        };
        let new: Vec<RecordBatch> = batches.into_iter().flat_map(slices).map(|b| conform(&b)).collect::<Result<Vec<_>>>()?;
        let mut next = DataSet {
            string_codes: (0..schema.fields().len()).map(|_| Arc::default()).collect(),
            weights: std::sync::OnceLock::new(),
            schema: schema.clone(),
            rows: self.rows + new.iter().map(|b| b.num_rows()).sum::<usize>(),
            batches: old.into_iter().chain(new).collect(),
            time_column: self.time_column.clone(),
            times: Vec::new(),
            time_spans: Vec::new(),
            sample_rate: self.sample_rate.clone(),
        };
        if next.time_column.is_none() {
            next.time_column = detect_time_column(&next.schema);
        }
        next.rebuild_times()?;
        *self = next;
        Ok(())
    }

    /// This data set with more columns (`fields`, and per batch their arrays, in order): the
    /// batches, times, weights and string codes already made are shared, not copied. Derived
    /// columns are added this way for one query.
    pub fn with_columns(&self, fields: Vec<Field>, columns: Vec<Vec<ArrayRef>>) -> Result<DataSet> {
        let mut all: Vec<Field> = self.schema.fields().iter().map(|f| f.as_ref().clone()).collect();
        all.extend(fields);
        let schema = Arc::new(Schema::new(all));
        let batches = self
            .batches
            .iter()
            .zip(columns)
            .map(|(b, extra)| RecordBatch::try_new(schema.clone(), b.columns().iter().cloned().chain(extra).collect()).map_err(Error::from))
            .collect::<Result<Vec<_>>>()?;
        let mut string_codes = self.string_codes.clone();
        string_codes.resize_with(schema.fields().len(), Arc::default);
        Ok(DataSet {
            schema,
            string_codes,
            batches,
            rows: self.rows,
            time_column: self.time_column.clone(),
            times: self.times.clone(),
            time_spans: self.time_spans.clone(),
            sample_rate: self.sample_rate.clone(),
            weights: self.weights.clone(),
        })
    }

    fn rebuild_times(&mut self) -> Result<()> {
        self.times = match &self.time_column {
            None => Vec::new(),
            Some(name) => {
                let idx = self.schema.index_of(name)?;
                let unit = epoch_unit(&self.batches, idx);
                self.batches.iter().map(|b| time_ms(b.column(idx), unit)).collect::<Result<_>>()?
            }
        };
        self.time_spans = self.times.iter().map(|t| Some((arrow_min(t)?, arrow_max(t)?, t.null_count() == 0))).collect();
        Ok(())
    }

    /// Column `col` as dense codes per row, when it is a plain (not dictionary-encoded) string
    /// column; built on the first call.
    pub fn string_codes(&self, col: usize) -> Option<&Arc<StringCodes>> {
        crate::pace::finish(self.string_codes_paced(col, &mut crate::pace::Pace::unpaced())).ok().flatten()
    }

    /// [`DataSet::string_codes`], built a batch at a time with `pace` ticking between batches (at
    /// a million distinct-ish values the first encoding is the longest step of a query). It goes
    /// on from where the warm-up or a stopped query left the column's encoding; stopped part way,
    /// it leaves its own there for the next to go on.
    pub async fn string_codes_paced(&self, col: usize, pace: &mut crate::pace::Pace<'_>) -> Result<Option<&Arc<StringCodes>>> {
        let Some(cell) = self.string_codes.get(col) else { return Ok(None) };
        if let Some(done) = cell.get() {
            return Ok(done.as_ref());
        }
        let stage = format!("encoding {}", self.schema.field(col).name());
        // Another query stepping it right now (a board panel beside the query): this one makes
        // its own; the first to finish is kept.
        let Some(mut e) = codes::Encoder::take(cell, col, true) else { return Ok(None) };
        let total = self.batches.len() as u64;
        let mut first = true;
        while let Encoded::More { batches, .. } = e.step(&self.batches) {
            if std::mem::take(&mut first) {
                e.presize(self.num_rows());
            }
            pace.tick(crate::pace::Step { stage: &stage, done: batches as u64, total }).await?;
        }
        drop(e);
        Ok(cell.get().and_then(Option::as_ref))
    }

    /// Encode batches of column `col` (going on from where a query or an earlier call left it)
    /// until `rows` more rows are encoded or the column is done: the warm-up's step. `None` while
    /// a query is encoding it (it will finish it).
    pub fn encode_some(&self, col: usize, rows: usize) -> Option<Encoded> {
        let cell = self.string_codes.get(col)?;
        if cell.get().is_some() {
            return Some(Encoded::Done);
        }
        let mut e = codes::Encoder::take(cell, col, false)?;
        let start = e.rows();
        loop {
            match e.step(&self.batches) {
                Encoded::More { rows: now, .. } if now - start < rows => {}
                other => return Some(other),
            }
        }
    }

    /// Give up column `col`'s encoding in progress (its memory freed), unless a query is at it.
    pub fn drop_encoding(&self, col: usize) {
        if let Some(e) = self.string_codes.get(col).and_then(|cell| codes::Encoder::take(cell, col, false)) {
            e.abandon();
        }
    }

    /// Column `col`'s string codes if some query has already built them (never builds them).
    pub fn cached_string_codes(&self, col: usize) -> Option<&Arc<StringCodes>> {
        self.string_codes.get(col)?.get()?.as_ref()
    }

    /// Batch `i`'s earliest and latest event time (ms), and whether every row has one.
    pub fn time_span(&self, batch: usize) -> Option<(i64, i64, bool)> {
        self.time_spans.get(batch).copied().flatten()
    }

    pub fn schema(&self) -> &SchemaRef {
        &self.schema
    }
    pub fn batches(&self) -> &[RecordBatch] {
        &self.batches
    }
    pub fn num_rows(&self) -> usize {
        self.rows
    }
    pub fn time_column(&self) -> Option<&str> {
        self.time_column.as_deref()
    }
    /// Event times of batch `i` in ms since the epoch; `None` when there is no time column.
    pub fn times(&self, batch: usize) -> Option<&Int64Array> {
        self.times.get(batch)
    }

    /// Choose the time column; `None` means the data has no event time.
    pub fn set_time_column(&mut self, name: Option<&str>) -> Result<()> {
        if let Some(n) = name {
            let field = self.schema.field_with_name(n).map_err(|_| Error::Data(format!("no column named {n:?}")))?;
            if !is_time_like(field.data_type()) {
                return Err(Error::Data(format!("column {n:?} is {} and cannot be a time column", field.data_type())));
            }
        }
        let old = std::mem::replace(&mut self.time_column, name.map(str::to_string));
        if let Err(e) = self.rebuild_times() {
            self.time_column = old;
            self.rebuild_times()?;
            return Err(e);
        }
        Ok(())
    }

    pub fn sample_rate(&self) -> &SampleRate {
        &self.sample_rate
    }

    pub fn set_sample_rate(&mut self, mode: SampleRate) -> Result<()> {
        if let SampleRate::Column(c) = &mode {
            let f = self.schema.field_with_name(c).map_err(|_| Error::Data(format!("no column named {c:?}")))?;
            if !f.data_type().is_numeric() {
                return Err(Error::Data(format!("sample rate column {c:?} is {}, not numeric", f.data_type())));
            }
        }
        self.sample_rate = mode;
        self.weights = std::sync::OnceLock::new();
        Ok(())
    }

    /// Batch `bi`'s row weights when weighting is on: the sample-rate column's value, with null
    /// or values below 1 counting as 1. Made for every batch on the first call and kept, so
    /// queries do not convert the column again (8 bytes a row).
    pub fn weights(&self, bi: usize) -> Option<&[f64]> {
        let col = self.column_index(self.sample_rate_column()?)?;
        let all = self.weights.get_or_init(|| {
            self.batches
                .iter()
                .map(|b| {
                    let a = b.column(col);
                    let Some(nc) = crate::query::column::numeric(a) else { return vec![1.0; b.num_rows()] };
                    let vals = nc.to_f64();
                    (0..a.len()).map(|i| if nc.is_valid(i) && vals[i] >= 1.0 { vals[i] } else { 1.0 }).collect()
                })
                .collect()
        });
        all.get(bi).map(Vec::as_slice)
    }

    /// The column that weights rows, after auto-detection; `None` when weighting is off.
    pub fn sample_rate_column(&self) -> Option<&str> {
        match &self.sample_rate {
            SampleRate::Off => None,
            SampleRate::Column(c) => Some(c.as_str()),
            SampleRate::Auto => self.detected_sample_rate_column(),
        }
    }

    /// The sample-rate column auto-detection finds, whatever the current mode.
    pub fn detected_sample_rate_column(&self) -> Option<&'static str> {
        SAMPLE_RATE_NAMES.iter().copied().find(|n| self.schema.field_with_name(n).map(|f| f.data_type().is_numeric()).unwrap_or(false))
    }

    /// Earliest and latest event time in ms, over rows that have one.
    pub fn time_range(&self) -> Option<(i64, i64)> {
        let mut out: Option<(i64, i64)> = None;
        for &(lo, hi, _) in self.time_spans.iter().flatten() {
            out = Some(match out {
                None => (lo, hi),
                Some((a, b)) => (a.min(lo), b.max(hi)),
            });
        }
        out
    }

    /// Bytes of the Arrow buffers the data set uses (each shared buffer counted once, by its
    /// used length rather than its allocation).
    pub fn byte_size(&self) -> usize {
        batches_byte_size(&self.batches)
    }

    pub fn column_index(&self, name: &str) -> Option<usize> {
        self.schema.index_of(name).ok()
    }
}

/// Most rows in one of the data set's batches: longer batches are sliced (zero-copy) on append,
/// so paced work (`crate::pace`) steps a batch at a time and batches' time spans stay narrow.
pub const MAX_BATCH_ROWS: usize = 65_536;

fn slices(b: RecordBatch) -> Vec<RecordBatch> {
    let n = b.num_rows();
    if n <= MAX_BATCH_ROWS {
        return vec![b];
    }
    (0..n).step_by(MAX_BATCH_ROWS).map(|at| b.slice(at, MAX_BATCH_ROWS.min(n - at))).collect()
}

/// Bytes of the Arrow buffers `batches` use, each shared buffer counted once.
pub fn batches_byte_size(batches: &[RecordBatch]) -> usize {
    let mut seen = hashbrown::HashSet::new();
    let mut total = 0;
    for b in batches {
        for c in b.columns() {
            total += data_bytes(&c.to_data(), &mut seen);
        }
    }
    total
}

fn data_bytes(d: &arrow_data::ArrayData, seen: &mut hashbrown::HashSet<(usize, usize)>) -> usize {
    let mut n = 0;
    let mut count = |ptr: *const u8, len: usize| {
        if seen.insert((ptr as usize, len)) {
            n += len;
        }
    };
    for buf in d.buffers() {
        count(buf.as_ptr(), buf.len());
    }
    if let Some(nulls) = d.nulls() {
        count(nulls.buffer().as_ptr(), nulls.buffer().len());
    }
    for child in d.child_data() {
        n += data_bytes(child, seen);
    }
    n
}

fn is_stringy(t: &DataType) -> bool {
    match t {
        DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View => true,
        DataType::Dictionary(_, v) => is_stringy(v),
        _ => false,
    }
}

/// The type two sources' columns of one name share.
fn common_type(a: &DataType, b: &DataType) -> DataType {
    use DataType::*;
    if a == b || *b == Null {
        return a.clone();
    }
    if *a == Null {
        return b.clone();
    }
    if is_stringy(a) && is_stringy(b) {
        // Keep the existing (often dictionary) encoding: only the new source is cast.
        return a.clone();
    }
    if a.is_integer() && b.is_integer() {
        return Int64;
    }
    if a.is_numeric() && b.is_numeric() {
        return Float64;
    }
    // Event times: a timestamp column meets epoch numbers or timestamp text from another source.
    match (a, b) {
        (Timestamp(u, tz), other) | (other, Timestamp(u, tz)) if other.is_numeric() || is_stringy(other) || matches!(other, Timestamp(..)) => {
            return Timestamp(*u, tz.clone());
        }
        _ => {}
    }
    Utf8
}

/// An all-null column of `n` rows whose buffers are slices of `zeros` (shared by every such
/// column of an append): a column a source lacks costs no memory per row. Types without a plain
/// layout, or more rows than `zeros` covers, get their own (`new_null_array`).
fn null_column(data_type: &DataType, n: usize, zeros: &Buffer) -> ArrayRef {
    if zeros.len() < (n + 1) * 16 {
        return arrow_array::new_null_array(data_type, n);
    }
    let zero = |len: usize| zeros.slice_with_length(0, len);
    let buffers = match data_type {
        DataType::Boolean => vec![zero(n.div_ceil(8))],
        DataType::Utf8 | DataType::Binary => vec![zero((n + 1) * 4), Buffer::from_vec(Vec::<u8>::new())],
        DataType::LargeUtf8 | DataType::LargeBinary => vec![zero((n + 1) * 8), Buffer::from_vec(Vec::<u8>::new())],
        t if t.is_primitive() && t.primitive_width().is_some_and(|w| w <= 16) => vec![zero(n * t.primitive_width().unwrap_or(16))],
        t => return arrow_array::new_null_array(t, n),
    };
    let nulls = arrow_buffer::NullBuffer::new(arrow_buffer::BooleanBuffer::new(zero(n.div_ceil(8)), 0, n));
    match arrow_data::ArrayData::builder(data_type.clone()).len(n).nulls(Some(nulls)).buffers(buffers).build() {
        Ok(d) => arrow_array::make_array(d),
        Err(_) => arrow_array::new_null_array(data_type, n),
    }
}

/// `batch` with exactly `schema`'s columns: missing ones null (see [`null_column`]), others cast
/// to the schema's type.
fn conform(batch: &RecordBatch, schema: &SchemaRef, zeros: &Buffer) -> Result<RecordBatch> {
    let n = batch.num_rows();
    let cols = schema
        .fields()
        .iter()
        .map(|f| match batch.schema().index_of(f.name()) {
            Err(_) => Ok(null_column(f.data_type(), n, zeros)),
            Ok(i) => {
                let c = batch.column(i);
                if c.data_type() == f.data_type() {
                    Ok(c.clone())
                } else if let (DataType::Timestamp(unit, tz), true) = (f.data_type(), c.data_type().is_numeric()) {
                    Ok(epoch_to_timestamp(c, *unit, tz.clone()))
                } else {
                    arrow_cast::cast(c, f.data_type()).map_err(|e| {
                        Error::Data(format!("column {:?}: cannot convert {} to {}: {e}", f.name(), c.data_type(), f.data_type()))
                    })
                }
            }
        })
        .collect::<Result<Vec<ArrayRef>>>()?;
    let opts = arrow_array::RecordBatchOptions::new().with_row_count(Some(n));
    Ok(RecordBatch::try_new_with_options(schema.clone(), cols, &opts)?)
}

/// Epoch numbers (unit told by magnitude, as for time columns) as timestamps of `unit`.
fn epoch_to_timestamp(c: &ArrayRef, unit: TimeUnit, tz: Option<Arc<str>>) -> ArrayRef {
    let ms = match time_ms(c, epoch_unit_of(c)) {
        Ok(ms) => ms,
        Err(_) => return arrow_array::new_null_array(&DataType::Timestamp(unit, tz), c.len()),
    };
    let scale = |v: i64| match unit {
        TimeUnit::Second => v.div_euclid(1000),
        TimeUnit::Millisecond => v,
        TimeUnit::Microsecond => v.saturating_mul(1000),
        TimeUnit::Nanosecond => v.saturating_mul(1_000_000),
    };
    let vals: Vec<i64> = ms.values().iter().map(|v| scale(*v)).collect();
    let nulls = ms.nulls().cloned();
    match unit {
        TimeUnit::Second => Arc::new(arrow_array::TimestampSecondArray::new(vals.into(), nulls).with_timezone_opt(tz)),
        TimeUnit::Millisecond => Arc::new(arrow_array::TimestampMillisecondArray::new(vals.into(), nulls).with_timezone_opt(tz)),
        TimeUnit::Microsecond => Arc::new(arrow_array::TimestampMicrosecondArray::new(vals.into(), nulls).with_timezone_opt(tz)),
        TimeUnit::Nanosecond => Arc::new(arrow_array::TimestampNanosecondArray::new(vals.into(), nulls).with_timezone_opt(tz)),
    }
}

fn epoch_unit_of(c: &ArrayRef) -> TimeUnit {
    let schema = Arc::new(Schema::new(vec![Field::new("t", c.data_type().clone(), true)]));
    match RecordBatch::try_new(schema, vec![c.clone()]) {
        Ok(b) => epoch_unit(&[b], 0),
        Err(_) => TimeUnit::Millisecond,
    }
}

fn arrow_min(a: &Int64Array) -> Option<i64> {
    a.iter().flatten().min()
}
fn arrow_max(a: &Int64Array) -> Option<i64> {
    a.iter().flatten().max()
}

pub fn is_time_like(t: &DataType) -> bool {
    matches!(
        t,
        DataType::Timestamp(..)
            | DataType::Date32
            | DataType::Date64
            | DataType::Int64
            | DataType::UInt64
            | DataType::Int32
            | DataType::Float64
    )
}

fn detect_time_column(schema: &Schema) -> Option<String> {
    for name in TIME_COLUMN_NAMES {
        if let Ok(f) = schema.field_with_name(name) {
            if is_time_like(f.data_type()) {
                return Some(name.to_string());
            }
        }
    }
    schema
        .fields()
        .iter()
        .find(|f| matches!(f.data_type(), DataType::Timestamp(..)))
        .map(|f| f.name().clone())
}

/// For a numeric (epoch) time column: the unit, from the magnitude of its largest value.
/// Seconds below 1e11 (year 5138), ms below 1e14, µs below 1e17, else ns.
fn epoch_unit(batches: &[RecordBatch], idx: usize) -> TimeUnit {
    let mut max = 0f64;
    for b in batches {
        let col = b.column(idx);
        let m = match col.data_type() {
            DataType::Int64 => col.as_primitive::<Int64Type>().iter().flatten().map(|v| v.unsigned_abs() as f64).fold(0.0, f64::max),
            DataType::UInt64 => col.as_primitive::<UInt64Type>().iter().flatten().map(|v| v as f64).fold(0.0, f64::max),
            DataType::Int32 => col.as_primitive::<Int32Type>().iter().flatten().map(|v| v.unsigned_abs() as f64).fold(0.0, f64::max),
            DataType::Float64 => col.as_primitive::<Float64Type>().iter().flatten().map(f64::abs).fold(0.0, f64::max),
            _ => 0.0,
        };
        max = max.max(m);
    }
    if max < 1e11 {
        TimeUnit::Second
    } else if max < 1e14 {
        TimeUnit::Millisecond
    } else if max < 1e17 {
        TimeUnit::Microsecond
    } else {
        TimeUnit::Nanosecond
    }
}

fn scale_to_ms(v: i64, unit: TimeUnit) -> i64 {
    match unit {
        TimeUnit::Second => v.saturating_mul(1000),
        TimeUnit::Millisecond => v,
        TimeUnit::Microsecond => v.div_euclid(1000),
        TimeUnit::Nanosecond => v.div_euclid(1_000_000),
    }
}

/// One batch's time column as ms since the epoch. Zero-copy for millisecond timestamps.
fn time_ms(col: &ArrayRef, epoch: TimeUnit) -> Result<Int64Array> {
    let nulls = col.nulls().cloned();
    let map = |vals: Vec<i64>| Int64Array::new(vals.into(), nulls.clone());
    Ok(match col.data_type() {
        DataType::Timestamp(TimeUnit::Millisecond, _) => {
            Int64Array::new(col.as_primitive::<TimestampMillisecondType>().values().clone(), nulls)
        }
        DataType::Timestamp(unit, _) => {
            let raw: &[i64] = match unit {
                TimeUnit::Second => col.as_primitive::<TimestampSecondType>().values(),
                TimeUnit::Microsecond => col.as_primitive::<TimestampMicrosecondType>().values(),
                TimeUnit::Nanosecond => col.as_primitive::<TimestampNanosecondType>().values(),
                TimeUnit::Millisecond => unreachable!("handled above"),
            };
            map(raw.iter().map(|v| scale_to_ms(*v, *unit)).collect())
        }
        DataType::Date32 => map(col.as_primitive::<Date32Type>().values().iter().map(|d| *d as i64 * 86_400_000).collect()),
        DataType::Date64 => map(col.as_primitive::<Date64Type>().values().to_vec()),
        DataType::Int64 => map(col.as_primitive::<Int64Type>().values().iter().map(|v| scale_to_ms(*v, epoch)).collect()),
        DataType::UInt64 => map(col.as_primitive::<UInt64Type>().values().iter().map(|v| scale_to_ms(*v as i64, epoch)).collect()),
        DataType::Int32 => map(col.as_primitive::<Int32Type>().values().iter().map(|v| scale_to_ms(*v as i64, epoch)).collect()),
        DataType::Float64 => map(
            col.as_primitive::<Float64Type>()
                .values()
                .iter()
                .map(|v| {
                    let ms = match epoch {
                        TimeUnit::Second => v * 1e3,
                        TimeUnit::Millisecond => *v,
                        TimeUnit::Microsecond => v / 1e3,
                        TimeUnit::Nanosecond => v / 1e6,
                    };
                    if ms.is_finite() { ms.floor() as i64 } else { i64::MIN }
                })
                .collect(),
        ),
        other => return Err(Error::Data(format!("a {other} column cannot be the time column"))),
    })
}
