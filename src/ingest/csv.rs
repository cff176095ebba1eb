//! CSV with a header row: types inferred from the data, quoted fields (embedded commas and
//! newlines), empty values as null.

use std::io::Cursor;
use std::sync::Arc;

use arrow_array::RecordBatch;
use arrow_csv::reader::Format as CsvFormat;
use arrow_csv::ReaderBuilder;

use crate::error::{Error, Result};

pub fn read(source: &str, bytes: &[u8]) -> Result<Vec<RecordBatch>> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    std::str::from_utf8(bytes).map_err(|e| {
        let line = bytes[..e.valid_up_to()].iter().filter(|c| **c == b'\n').count() + 1;
        Error::decode(source, format!("CSV is not valid UTF-8 at byte {} (line {line})", e.valid_up_to()))
    })?;
    // Empty fields are null (arrow-csv's default null test).
    let format = CsvFormat::default().with_header(true);
    let (schema, _) = format
        .infer_schema(Cursor::new(bytes), Some(10_000))
        .map_err(|e| Error::decode(source, format!("CSV header/type inference: {e}")))?;
    if schema.fields().is_empty() {
        return Err(Error::decode(source, "CSV has no header row"));
    }
    let reader = ReaderBuilder::new(Arc::new(schema))
        .with_format(format)
        .with_batch_size(65_536)
        .build(Cursor::new(bytes))
        .map_err(|e| Error::decode(source, format!("CSV: {e}")))?;
    let mut out = Vec::new();
    for batch in reader {
        out.push(batch.map_err(|e| Error::decode(source, format!("CSV: {e}")))?);
    }
    if out.iter().all(|b| b.num_rows() == 0) {
        return Err(Error::decode(source, "read as CSV (not Arrow, Parquet or JSON), but it has a header line and no data rows"));
    }
    Ok(out)
}
