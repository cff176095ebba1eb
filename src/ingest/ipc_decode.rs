//! Arrow IPC messages decoded one at a time, for streams and files alike.
//!
//! arrow-ipc validates every array it builds; for dictionary keys that is a call per key, which
//! made up a third of a 1M-row load in the browser. Here, when every column of the schema has a
//! flat layout (no nesting: booleans, fixed-width numbers and times, strings and binaries,
//! dictionaries of anything), a record batch is decoded with arrow-ipc's validation off, between
//! two checks of our own that together cover everything it would have checked:
//! - before: every buffer is long enough for its column's rows (what arrow-rs would otherwise
//!   assert, a panic, while it builds the arrays), every column has the batch's row count;
//! - after, before anything reads a value: arrow-rs' own `validate_full` for every column but
//!   dictionaries (offsets, UTF-8, null counts), and for dictionaries its structural checks plus
//!   a bounds check of the keys by one min/max pass.
//!
//! Dictionary batches (small, and concatenated on deltas) and schemas with nested columns go
//! through arrow-ipc with its validation on.

use std::collections::HashMap;
use std::sync::Arc;

use arrow_array::{ArrayRef, RecordBatch};
use arrow_buffer::{ArrowNativeType, Buffer, NullBuffer, ScalarBuffer};
use arrow_data::{ArrayData, UnsafeFlag};
use arrow_ipc::reader::{read_dictionary, RecordBatchDecoder};
use arrow_ipc::{root_as_message, MessageHeader};
use arrow_schema::{DataType, Schema, SchemaRef};

use super::ipc_check::uncompressed_length;

/// What one buffer of a flat column must hold for `len` rows.
#[derive(Clone, Copy)]
enum Part {
    /// The validity bitmap: read only when the column has nulls.
    Validity,
    /// Boolean values, a bit per row.
    Bits,
    /// Fixed-width values of this many bytes.
    Fixed(usize),
    /// Offsets of this width, one more than the rows.
    Offsets(usize),
    /// Variable-width data: the offsets say how much, checked after.
    Data,
}

/// The buffers of a column with a flat layout, in IPC order; `None` for other layouts.
fn parts(t: &DataType) -> Option<Vec<Part>> {
    use Part::*;
    Some(match t {
        DataType::Null => vec![],
        DataType::Boolean => vec![Validity, Bits],
        DataType::Utf8 | DataType::Binary => vec![Validity, Offsets(4), Data],
        DataType::LargeUtf8 | DataType::LargeBinary => vec![Validity, Offsets(8), Data],
        DataType::Dictionary(k, _) if k.is_dictionary_key_type() => vec![Validity, Fixed(k.primitive_width()?)],
        t if t.is_primitive() => vec![Validity, Fixed(t.primitive_width()?)],
        _ => return None,
    })
}

/// Decodes the messages of one Arrow IPC stream or file, in order.
#[derive(Default)]
pub struct Messages {
    schema: Option<SchemaRef>,
    /// Each column's buffers, when every column has a flat layout.
    flat: Option<Vec<Vec<Part>>>,
    dictionaries: HashMap<i64, ArrayRef>,
}

impl Messages {
    /// For a file, whose schema is in its footer rather than a message.
    pub fn with_schema(schema: Schema) -> Messages {
        let mut m = Messages::default();
        m.set_schema(schema);
        m
    }

    fn set_schema(&mut self, schema: Schema) {
        self.flat = schema.fields().iter().map(|f| parts(f.data_type())).collect();
        self.schema = Some(Arc::new(schema));
    }

    pub fn schema(&self) -> Option<&SchemaRef> {
        self.schema.as_ref()
    }

    /// Decode one message: `meta` its flatbuffer, `body` its body (the batch's buffers are
    /// slices of it). A record batch comes back; a schema or a dictionary is kept for the next.
    pub fn decode(&mut self, meta: &[u8], body: &Buffer) -> Result<Option<RecordBatch>, String> {
        let msg = root_as_message(meta).map_err(|e| format!("corrupted message metadata ({e})"))?;
        let version = msg.version();
        match msg.header_type() {
            MessageHeader::Schema => {
                if self.schema.is_some() {
                    return Err("a second schema message".into());
                }
                let fb = msg.header_as_schema().ok_or("unreadable schema message")?;
                self.set_schema(arrow_ipc::convert::try_fb_to_schema(fb).map_err(|e| e.to_string())?);
                Ok(None)
            }
            MessageHeader::DictionaryBatch => {
                let schema = self.schema.as_ref().ok_or("a dictionary before the schema")?;
                let d = msg.header_as_dictionary_batch().ok_or("unreadable dictionary message")?;
                read_dictionary(body, d, schema, &mut self.dictionaries, &version).map_err(|e| e.to_string())?;
                Ok(None)
            }
            MessageHeader::RecordBatch => {
                let schema = self.schema.clone().ok_or("a record batch before the schema")?;
                let b = msg.header_as_record_batch().ok_or("unreadable record batch message")?;
                let decoder = RecordBatchDecoder::try_new(body, b, schema.clone(), &self.dictionaries, &version).map_err(|e| e.to_string())?;
                let Some(flat) = &self.flat else {
                    return decoder.read_record_batch().map(Some).map_err(|e| e.to_string());
                };
                check_lengths(&schema, flat, b, body)?;
                let mut trust = UnsafeFlag::new();
                // SAFETY: `check_lengths` made sure every buffer is long enough for its column
                // (what arrow-rs' build asserts), and `check_values` below runs arrow-rs' own
                // validation (dictionary keys: our bounds check) before any value is read.
                unsafe { trust.set(true) };
                let batch = decoder.with_skip_validation(trust).read_record_batch().map_err(|e| e.to_string())?;
                check_values(&batch)?;
                Ok(Some(batch))
            }
            MessageHeader::NONE => Ok(None),
            t => Err(format!("a {t:?} message, which Arrow IPC streams of record batches do not hold")),
        }
    }
}

/// The length of a buffer's data once decompressed (see `ipc_check::uncompressed_length`).
fn data_length(body: &Buffer, offset: usize, length: usize, compressed: bool) -> u64 {
    if !compressed || length == 0 {
        return length as u64;
    }
    uncompressed_length(body, offset, length).map_or(0, |n| n.max(0) as u64)
}

/// Before decoding without validation: each column has the batch's rows, each buffer is long
/// enough for them (and lies inside the body).
fn check_lengths(schema: &Schema, flat: &[Vec<Part>], batch: arrow_ipc::RecordBatch, body: &Buffer) -> Result<(), String> {
    let rows = batch.length();
    let nodes = batch.nodes().ok_or("no field nodes")?;
    let buffers = batch.buffers().ok_or("no buffers")?;
    let compressed = batch.compression().is_some();
    if nodes.len() < flat.len() {
        return Err(format!("{} field nodes for {} columns", nodes.len(), flat.len()));
    }
    let mut next = buffers.iter();
    for ((f, parts), node) in schema.fields().iter().zip(flat).zip(nodes.iter()) {
        let i = f.name();
        if node.length() != rows {
            return Err(format!("column {i:?} has {} rows in a batch of {rows}", node.length()));
        }
        let (len, nulls) = (u64::try_from(node.length()).map_err(|_| "a negative length")?, node.null_count());
        for part in parts {
            let b = next.next().ok_or_else(|| format!("column {i:?}: fewer buffers than its type has"))?;
            let (offset, length) = (usize::try_from(b.offset()).ok(), usize::try_from(b.length()).ok());
            let (Some(offset), Some(length)) = (offset, length) else { return Err(format!("column {i:?}: a buffer at a negative offset")) };
            if offset.checked_add(length).is_none_or(|end| end > body.len()) {
                return Err(format!("column {i:?}: a buffer (offset {offset}, length {length}) outside the {}-byte body", body.len()));
            }
            let have = data_length(body, offset, length, compressed);
            let need = match *part {
                Part::Validity if nulls > 0 => len.div_ceil(8),
                Part::Validity | Part::Data => 0,
                Part::Bits => len.div_ceil(8),
                Part::Fixed(w) => len.saturating_mul(w as u64),
                Part::Offsets(_) if len == 0 && have == 0 => 0,
                Part::Offsets(w) => (len + 1).saturating_mul(w as u64),
            };
            if have < need {
                return Err(format!("column {i:?}: a buffer of {have} bytes where {len} rows need {need}"));
            }
        }
    }
    Ok(())
}

/// After decoding without validation, before anything reads a value: what arrow-rs would have
/// checked, column by column.
fn check_values(batch: &RecordBatch) -> Result<(), String> {
    for (f, column) in batch.schema().fields().iter().zip(batch.columns()) {
        let data = column.to_data();
        let structure = || data.validate().and_then(|_| data.validate_nulls()).map_err(|e| e.to_string());
        let checked = match f.data_type() {
            DataType::Dictionary(k, _) => structure().and_then(|_| check_keys(k, &data)),
            DataType::Utf8 => structure().and_then(|_| check_offsets::<i32>(&data, true)),
            DataType::Binary => structure().and_then(|_| check_offsets::<i32>(&data, false)),
            DataType::LargeUtf8 => structure().and_then(|_| check_offsets::<i64>(&data, true)),
            DataType::LargeBinary => structure().and_then(|_| check_offsets::<i64>(&data, false)),
            _ => data.validate_full().map_err(|e| e.to_string()),
        };
        checked.map_err(|e| format!("column {:?}: {e}", f.name()))?;
    }
    Ok(())
}

/// The offsets of a string or binary column lie in its data and never decrease; for strings, the
/// data they span is UTF-8 and each offset falls on a character boundary (what arrow-rs checks,
/// with one pass over the offsets instead of an iterator chain per value).
fn check_offsets<O: ArrowNativeType + Into<i64>>(data: &ArrayData, utf8: bool) -> Result<(), String> {
    if data.is_empty() {
        return Ok(());
    }
    // `validate` found both buffers there and the offsets long enough; the decoder aligned them.
    let offsets = ScalarBuffer::<O>::new(data.buffers()[0].clone(), data.offset(), data.len() + 1);
    offsets_in(&offsets, data.buffers()[1].as_slice(), utf8)
}

#[inline(never)]
fn offsets_in<O: ArrowNativeType + Into<i64>>(offsets: &[O], values: &[u8], utf8: bool) -> Result<(), String> {
    let first: i64 = offsets[0].into();
    let (mut prev, mut bad) = (first, first < 0);
    for &o in &offsets[1..] {
        let o: i64 = o.into();
        bad |= o < prev;
        prev = o;
    }
    if bad || prev > values.len() as i64 {
        let mut prev = 0;
        for (i, &o) in offsets.iter().enumerate() {
            let o: i64 = o.into();
            if o < prev || o > values.len() as i64 {
                return Err(format!("offset {o} at row {i} is out of order or past the {}-byte data", values.len()));
            }
            prev = o;
        }
    }
    if !utf8 {
        return Ok(());
    }
    let span = &values[first as usize..prev as usize];
    let text = std::str::from_utf8(span).map_err(|e| {
        let at = first as usize + e.valid_up_to();
        let row = offsets.partition_point(|&o| o.into() <= at as i64).saturating_sub(1);
        format!("the string at row {row} is not valid UTF-8")
    })?;
    let split = offsets.iter().position(|&o| !text.is_char_boundary((o.into() - first) as usize));
    match split {
        Some(row) => Err(format!("the string at row {row} starts inside a UTF-8 character")),
        None => Ok(()),
    }
}

/// Every valid key of a dictionary column indexes its values.
fn check_keys(key: &DataType, data: &ArrayData) -> Result<(), String> {
    let n = data.child_data().first().map_or(0, |c| c.len());
    let nulls = data.nulls();
    let buf = data.buffers().first().ok_or("no key buffer")?.clone();
    // `validate` found the buffer long enough; the decoder aligned it.
    let (offset, len) = (data.offset(), data.len());
    match key {
        DataType::Int8 => keys_in_range(&ScalarBuffer::<i8>::new(buf, offset, len), nulls, n),
        DataType::Int16 => keys_in_range(&ScalarBuffer::<i16>::new(buf, offset, len), nulls, n),
        DataType::Int32 => keys_in_range(&ScalarBuffer::<i32>::new(buf, offset, len), nulls, n),
        DataType::Int64 => keys_in_range(&ScalarBuffer::<i64>::new(buf, offset, len), nulls, n),
        DataType::UInt8 => keys_in_range(&ScalarBuffer::<u8>::new(buf, offset, len), nulls, n),
        DataType::UInt16 => keys_in_range(&ScalarBuffer::<u16>::new(buf, offset, len), nulls, n),
        DataType::UInt32 => keys_in_range(&ScalarBuffer::<u32>::new(buf, offset, len), nulls, n),
        DataType::UInt64 => keys_in_range(&ScalarBuffer::<u64>::new(buf, offset, len), nulls, n),
        t => Err(format!("dictionary keys of type {t}")),
    }
}

/// One min/max pass over all keys (null slots included: usually in range too); only when that
/// fails are the valid ones looked at one by one, as a key under a null may be anything.
#[inline(never)]
fn keys_in_range<K: ArrowNativeType + Ord>(keys: &[K], nulls: Option<&NullBuffer>, n: usize) -> Result<(), String> {
    let in_range = |k: K| k.to_i64().is_some_and(|k| k >= 0) && k.to_usize().is_some_and(|k| k < n);
    let Some(&first) = keys.first() else { return Ok(()) };
    let (lo, hi) = keys.iter().fold((first, first), |(lo, hi), &k| (lo.min(k), hi.max(k)));
    if in_range(lo) && in_range(hi) {
        return Ok(());
    }
    let bad = match nulls {
        None => keys.iter().position(|&k| !in_range(k)),
        Some(v) => v.valid_indices().find(|&i| !in_range(keys[i])),
    };
    match bad {
        Some(i) => Err(format!("dictionary key {:?} at row {i} is out of range (the dictionary has {n} values)", keys[i])),
        None => Ok(()),
    }
}
