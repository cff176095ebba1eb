//! CSV with a header row: quoted fields (embedded commas and newlines), empty values as null, and
//! column types inferred from every row (not a sample, so a late odd value cannot fail the load):
//! only integers → Int64; numbers → Float64; true/false → Boolean; ISO-8601 date-times →
//! Timestamp(ns, UTC) (no offset means UTC); anything else → Utf8.
//!
//! Parsing is csv_core's (the `csv` crate's state machine, without its io::Read wrapper, so a
//! piece is parsed from the bytes already in memory); types are decided here. (arrow-csv's inference needs the regex
//! crate, which would add about a fifth to the browser's download.)

use std::sync::Arc;

use arrow_array::builder::{BooleanBuilder, Float64Builder, Int64Builder, StringBuilder, TimestampNanosecondBuilder};
use arrow_array::{Array, ArrayRef, RecordBatch, StringArray};
use arrow_schema::{Field, Schema};

use crate::error::{Error, Result};

const BATCH_ROWS: usize = 65_536;

/// What every non-null value of a column could be.
#[derive(Clone, Copy)]
struct Fits {
    int: bool,
    float: bool,
    bool: bool,
    time: bool,
}

impl Fits {
    const ALL: Fits = Fits { int: true, float: true, bool: true, time: true };

    fn check(&mut self, v: &str) {
        if self.int && v.parse::<i64>().is_err() {
            self.int = false;
        }
        if self.float && !is_decimal(v) {
            self.float = false;
        }
        if self.bool && parse_bool(v).is_none() {
            self.bool = false;
        }
        if self.time && !(v.len() >= 10 && v.as_bytes()[4] == b'-' && arrow_cast::parse::string_to_timestamp_nanos(v).is_ok()) {
            self.time = false;
        }
    }
}

/// A plain decimal number (`-1`, `2.5`, `.5`, `1e-3`): not `inf`, `NaN` or hex.
fn is_decimal(v: &str) -> bool {
    v.bytes().any(|c| c.is_ascii_digit()) && v.bytes().all(|c| c.is_ascii_digit() || matches!(c, b'.' | b'e' | b'E' | b'+' | b'-')) && v.parse::<f64>().is_ok()
}

fn parse_bool(v: &str) -> Option<bool> {
    if v.eq_ignore_ascii_case("true") {
        Some(true)
    } else if v.eq_ignore_ascii_case("false") {
        Some(false)
    } else {
        None
    }
}

/// Header names: empty ones become `column_N`, repeats get `_2`, `_3`… (the first suffix no name
/// before it has). Linear in the header: the names taken so far are a set, and each repeated name
/// remembers the suffix to try next (fuzzing found a one-line CSV of 1,680 repeated names taking
/// seconds when every repeat searched all the names before it once per suffix tried: cubic).
fn names(header: &[&str]) -> Vec<String> {
    use std::collections::{HashMap, HashSet};
    let mut out = Vec::with_capacity(header.len());
    let mut taken: HashSet<String> = HashSet::with_capacity(header.len());
    let mut next: HashMap<String, usize> = HashMap::new();
    for (i, h) in header.iter().enumerate() {
        let base = if h.trim().is_empty() { format!("column_{}", i + 1) } else { h.to_string() };
        let name = if taken.contains(&base) {
            // Names are only ever taken, so every suffix below the remembered one is taken still.
            let k = next.entry(base.clone()).or_insert(2);
            let mut name = format!("{base}_{k}");
            while taken.contains(&name) {
                *k += 1;
                name = format!("{base}_{k}");
            }
            *k += 1;
            name
        } else {
            base
        };
        taken.insert(name.clone());
        out.push(name);
    }
    out
}

fn typed(strings: &StringArray, fits: Fits) -> ArrayRef {
    let values = || strings.iter();
    if fits.int {
        let mut b = Int64Builder::with_capacity(strings.len());
        values().for_each(|v| b.append_option(v.and_then(|s| s.parse().ok())));
        Arc::new(b.finish())
    } else if fits.float {
        let mut b = Float64Builder::with_capacity(strings.len());
        values().for_each(|v| b.append_option(v.and_then(|s| s.parse().ok())));
        Arc::new(b.finish())
    } else if fits.bool {
        let mut b = BooleanBuilder::with_capacity(strings.len());
        values().for_each(|v| b.append_option(v.and_then(parse_bool)));
        Arc::new(b.finish())
    } else if fits.time {
        let mut b = TimestampNanosecondBuilder::with_capacity(strings.len()).with_timezone("UTC");
        values().for_each(|v| b.append_option(v.and_then(|s| arrow_cast::parse::string_to_timestamp_nanos(s).ok())));
        Arc::new(b.finish())
    } else {
        Arc::new(strings.clone())
    }
}

/// Where a quoted field opens in `raw` (one record's bytes) and is not closed by its end.
fn unclosed_quote(raw: &[u8]) -> Option<usize> {
    let (mut open, mut field_start) = (None, true);
    let mut i = 0;
    while i < raw.len() {
        let b = raw[i];
        match open {
            Some(_) if b == b'"' && raw.get(i + 1) == Some(&b'"') => i += 1,
            Some(_) if b == b'"' => {
                open = None;
                field_start = false;
            }
            Some(_) => {}
            None if b == b'"' && field_start => open = Some(i),
            None => field_start = matches!(b, b',' | b'\n' | b'\r'),
        }
        i += 1;
    }
    open
}

/// One record as csv_core wrote it: field `i` is `fields[ends[i - 1]..ends[i]]`.
struct Record<'a> {
    fields: &'a [u8],
    ends: &'a [usize],
}

impl Record<'_> {
    fn len(&self) -> usize {
        self.ends.len()
    }

    fn field(&self, i: usize) -> &[u8] {
        let start = if i == 0 { 0 } else { self.ends[i - 1] };
        &self.fields[start..self.ends[i]]
    }
}

/// CSV arriving in pieces: records are parsed as soon as they are complete (the last record of
/// what has come so far waits: more bytes could still extend it), as text; column types are
/// decided at the end from every row, as for a whole file.
#[derive(Default)]
pub struct Stream {
    source: String,
    pending: Vec<u8>,
    /// Parse again once `pending` is this long (a record spanning many pieces is not re-parsed
    /// for each of them).
    parse_at: usize,
    /// A leading byte-order mark was looked for (and dropped).
    bom_checked: bool,
    /// Bytes consumed before `pending` (after a leading byte-order mark), and their newlines.
    at: usize,
    lines: usize,
    names: Vec<String>,
    columns: Vec<StringBuilder>,
    fits: Vec<Fits>,
    values: Vec<usize>,
    /// csv_core's output for one record: the fields' bytes, and where each ends.
    fields: Vec<u8>,
    ends: Vec<usize>,
    /// Columns of full batches ([`BATCH_ROWS`] rows), as text.
    done: Vec<Vec<StringArray>>,
    rows: usize,
}

impl Stream {
    pub fn new(source: &str) -> Stream {
        Stream { source: source.to_string(), ..Stream::default() }
    }

    pub fn push(&mut self, piece: &[u8]) -> Result<()> {
        self.pending.extend_from_slice(piece);
        if self.pending.len() >= self.parse_at {
            self.parse(false)?;
            self.parse_at = 2 * self.pending.len();
        }
        Ok(())
    }

    /// Rows parsed so far.
    pub fn rows(&self) -> usize {
        self.rows
    }

    /// Parse the complete records in `pending` (all of it at the `end`).
    fn parse(&mut self, end: bool) -> Result<()> {
        if !self.bom_checked {
            if !end && self.pending.len() < 3 && b"\xEF\xBB\xBF".starts_with(&self.pending) {
                return Ok(());
            }
            if self.pending.starts_with(b"\xEF\xBB\xBF") {
                self.pending.drain(..3);
            }
            self.bom_checked = true;
        }
        let bytes = std::mem::take(&mut self.pending);
        // One csv_core reader per thread, reset for each piece: building its state machine
        // costs more than parsing a small piece. (Its Clone does not copy the whole machine.)
        thread_local! {
            static CORE: std::cell::RefCell<Option<csv_core::Reader>> = const { std::cell::RefCell::new(None) };
        }
        // Not `unwrap_or_default`: csv_core's Default leaves the state machine unbuilt; `new` builds it.
        #[allow(clippy::unwrap_or_default)]
        let mut reader = CORE.with(|c| c.borrow_mut().take()).unwrap_or_else(csv_core::Reader::new);
        reader.reset();
        // csv_core drops a byte-order mark at the start of what it reads first: the file's own
        // was dropped above, so a blank line first keeps one that is data.
        reader.read_record(b"\n", &mut [0], &mut [0]);
        let (mut fields, mut ends) = (std::mem::take(&mut self.fields), std::mem::take(&mut self.ends));
        let (mut used, mut newlines, mut read) = (0usize, 0usize, 0usize);
        let result = loop {
            // One record: csv_core reads until a record ends (an empty input at the `end` is
            // the end of the text: the last record without a newline ends there).
            let (mut out, mut nends) = (0usize, 0usize);
            let complete = loop {
                if out == fields.len() {
                    fields.resize((2 * fields.len()).max(256), 0);
                }
                if nends == ends.len() {
                    ends.resize((2 * ends.len()).max(16), 0);
                }
                let (r, nin, nout, nend) = reader.read_record(&bytes[read..], &mut fields[out..], &mut ends[nends..]);
                read += nin;
                out += nout;
                nends += nend;
                match r {
                    csv_core::ReadRecordResult::InputEmpty if !end => break false,
                    csv_core::ReadRecordResult::Record => break true,
                    csv_core::ReadRecordResult::End => break false,
                    _ => {}
                }
            };
            let next = read;
            // A record that runs to the end of what has come so far waits: more bytes could
            // still extend it.
            if !complete || (next >= bytes.len() && !end) {
                break Ok(());
            }
            // The last record runs to the end: a quote opened in it and never closed took every
            // line after it into one field (csv_core accepts that at the end).
            if next >= bytes.len() {
                if let Some(at) = unclosed_quote(&bytes[used..next]) {
                    let opened = self.lines + newlines + bytes[used..used + at].iter().filter(|c| **c == b'\n').count() + 1;
                    break Err(Error::decode(&self.source, format!("CSV line {opened}: a quoted field opens here and is never closed (every line after it would be part of it)")));
                }
            }
            // The line where the record starts (past blank lines), in the whole text.
            let blank = bytes[used..].iter().take_while(|c| matches!(c, b'\r' | b'\n')).filter(|c| **c == b'\n').count();
            let line = self.lines + newlines + blank + 1;
            let record = Record { fields: &fields[..out], ends: &ends[..nends] };
            if let Err(e) = self.record(&bytes[used..next], used, newlines, &record, line) {
                break Err(e);
            }
            newlines += bytes[used..next].iter().filter(|c| **c == b'\n').count();
            used = next;
        };
        (self.fields, self.ends) = (fields, ends);
        CORE.with(|c| *c.borrow_mut() = Some(reader));
        self.lines += newlines;
        self.at += used;
        self.pending = bytes;
        self.pending.drain(..used);
        result
    }

    /// One complete record: `raw` its bytes, starting `offset` bytes (and `newlines` newlines)
    /// into `pending`.
    fn record(&mut self, raw: &[u8], offset: usize, newlines: usize, record: &Record, line: usize) -> Result<()> {
        if let Err(e) = std::str::from_utf8(raw) {
            let nl = raw[..e.valid_up_to()].iter().filter(|c| **c == b'\n').count();
            let line = self.lines + newlines + nl + 1;
            return Err(Error::decode(&self.source, format!("CSV is not valid UTF-8 at byte {} (line {line})", self.at + offset + e.valid_up_to())));
        }
        // Every field is valid UTF-8: the record's bytes are, and fields split at ASCII bytes.
        let field = |i: usize| std::str::from_utf8(record.field(i)).unwrap_or_default();
        if self.names.is_empty() {
            let header = (0..record.len()).map(field).collect::<Vec<_>>();
            if header.is_empty() || header.iter().all(|h| h.trim().is_empty()) {
                return Err(Error::decode(&self.source, "CSV has no header row"));
            }
            self.names = names(&header);
            self.columns = self.names.iter().map(|_| StringBuilder::new()).collect();
            self.fits = vec![Fits::ALL; self.names.len()];
            self.values = vec![0; self.names.len()];
            return Ok(());
        }
        if record.len() != self.names.len() {
            return Err(Error::decode(&self.source, format!("CSV line {line}, record {}: {} fields where the header has {}", self.rows + 1, record.len(), self.names.len())));
        }
        for i in 0..record.len() {
            let v = field(i);
            if v.is_empty() {
                self.columns[i].append_null();
            } else {
                self.fits[i].check(v);
                self.values[i] += 1;
                self.columns[i].append_value(v);
            }
        }
        self.rows += 1;
        if self.rows % BATCH_ROWS == 0 {
            self.done.push(self.columns.iter_mut().map(|b| b.finish()).collect());
        }
        Ok(())
    }

    /// All bytes are in: the batches, typed from every row.
    pub fn finish(self) -> Result<Vec<RecordBatch>> {
        self.end()?.finish()
    }

    /// All bytes are in: the last record parsed, the batches left to type (a step each).
    pub fn end(mut self) -> Result<Typing> {
        self.parse(true)?;
        if self.names.is_empty() {
            return Err(Error::decode(&self.source, "CSV has no header row"));
        }
        if self.rows == 0 {
            return Err(Error::decode(&self.source, "read as CSV (not Arrow, Parquet or JSON), but it has a header line and no data rows"));
        }
        if self.rows % BATCH_ROWS != 0 {
            self.done.push(self.columns.iter_mut().map(|b| b.finish()).collect());
        }
        // A column with no values at all stays text.
        let none = Fits { int: false, float: false, bool: false, time: false };
        let fits = self.fits.iter().zip(&self.values).map(|(f, &n)| if n == 0 { none } else { *f }).collect();
        let done = std::mem::take(&mut self.done);
        Ok(Typing { source: self.source, names: self.names, fits, schema: None, typed: Vec::with_capacity(done.len()), left: done.into_iter() })
    }
}

/// CSV batches (text) being given their columns' types, one batch per step, so a page can take
/// its turn between them.
pub struct Typing {
    source: String,
    names: Vec<String>,
    fits: Vec<Fits>,
    schema: Option<Arc<Schema>>,
    typed: Vec<RecordBatch>,
    left: std::vec::IntoIter<Vec<StringArray>>,
}

impl Typing {
    /// Type one more batch; `false` when none is left.
    pub fn step(&mut self) -> Result<bool> {
        let Some(columns) = self.left.next() else { return Ok(false) };
        let arrays: Vec<ArrayRef> = columns.iter().zip(&self.fits).map(|(s, f)| typed(s, *f)).collect();
        let names = &self.names;
        let schema = self.schema.get_or_insert_with(|| Arc::new(Schema::new(names.iter().zip(&arrays).map(|(n, a)| Field::new(n, a.data_type().clone(), true)).collect::<Vec<_>>())));
        self.typed.push(RecordBatch::try_new(schema.clone(), arrays).map_err(|e| Error::decode(&self.source, format!("CSV: {e}")))?);
        Ok(self.left.len() > 0)
    }

    /// Rows in the batches typed so far.
    pub fn rows(&self) -> usize {
        self.typed.iter().map(|b| b.num_rows()).sum()
    }

    pub fn finish(mut self) -> Result<Vec<RecordBatch>> {
        while self.step()? {}
        Ok(self.typed)
    }
}

pub fn read(source: &str, bytes: &[u8]) -> Result<Vec<RecordBatch>> {
    let mut s = Stream::new(source);
    s.push(bytes)?;
    s.finish()
}
