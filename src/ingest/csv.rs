//! CSV with a header row: quoted fields (embedded commas and newlines), empty values as null, and
//! column types inferred from every row (not a sample, so a late odd value cannot fail the load):
//! only integers → Int64; numbers → Float64; true/false → Boolean; ISO-8601 date-times →
//! Timestamp(ns, UTC) (no offset means UTC); anything else → Utf8.
//!
//! Parsing is the `csv` crate's; types are decided here. (arrow-csv's inference needs the regex
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

/// Header names: empty ones become `column_N`, repeats get `_2`, `_3`….
fn names(header: &csv::StringRecord) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for (i, h) in header.iter().enumerate() {
        let base = if h.trim().is_empty() { format!("column_{}", i + 1) } else { h.to_string() };
        let mut name = base.clone();
        let mut k = 2;
        while out.contains(&name) {
            name = format!("{base}_{k}");
            k += 1;
        }
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

pub fn read(source: &str, bytes: &[u8]) -> Result<Vec<RecordBatch>> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    std::str::from_utf8(bytes).map_err(|e| {
        let line = bytes[..e.valid_up_to()].iter().filter(|c| **c == b'\n').count() + 1;
        Error::decode(source, format!("CSV is not valid UTF-8 at byte {} (line {line})", e.valid_up_to()))
    })?;
    let mut reader = csv::ReaderBuilder::new().has_headers(true).flexible(false).from_reader(bytes);
    let header = reader.headers().map_err(|e| Error::decode(source, format!("CSV header: {e}")))?.clone();
    if header.is_empty() || header.iter().all(|h| h.trim().is_empty()) {
        return Err(Error::decode(source, "CSV has no header row"));
    }
    let names = names(&header);
    let mut columns: Vec<StringBuilder> = names.iter().map(|_| StringBuilder::new()).collect();
    let mut fits = vec![Fits::ALL; names.len()];
    let mut record = csv::StringRecord::new();
    let mut rows = 0usize;
    loop {
        match reader.read_record(&mut record) {
            Ok(false) => break,
            Ok(true) => {}
            Err(e) => {
                let at = e.position().map(|p| format!("line {}, ", p.line())).unwrap_or_default();
                let what = match e.kind() {
                    csv::ErrorKind::UnequalLengths { expected_len, len, .. } => format!("{len} fields where the header has {expected_len}"),
                    _ => e.to_string(),
                };
                return Err(Error::decode(source, format!("CSV {at}record {}: {what}", rows + 1)));
            }
        }
        for (i, v) in record.iter().enumerate() {
            if v.is_empty() {
                columns[i].append_null();
            } else {
                fits[i].check(v);
                columns[i].append_value(v);
            }
        }
        rows += 1;
    }
    if rows == 0 {
        return Err(Error::decode(source, "read as CSV (not Arrow, Parquet or JSON), but it has a header line and no data rows"));
    }
    let arrays: Vec<ArrayRef> = columns
        .iter_mut()
        .zip(&fits)
        .map(|(b, f)| {
            let strings = b.finish();
            // A column with no values at all stays text.
            let f = if strings.null_count() == strings.len() { Fits { int: false, float: false, bool: false, time: false } } else { *f };
            typed(&strings, f)
        })
        .collect();
    let schema = Arc::new(Schema::new(names.iter().zip(&arrays).map(|(n, a)| Field::new(n, a.data_type().clone(), true)).collect::<Vec<_>>()));
    let all = RecordBatch::try_new(schema, arrays).map_err(|e| Error::decode(source, format!("CSV: {e}")))?;
    Ok((0..rows).step_by(BATCH_ROWS).map(|at| all.slice(at, BATCH_ROWS.min(rows - at))).collect())
}
