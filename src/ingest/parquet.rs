//! Parquet through the parquet crate's Arrow reader (every row group, dictionary pages, v2 pages,
//! DELTA_* and BYTE_STREAM_SPLIT encodings; snappy, gzip, LZ4_RAW, brotli, and natively ZSTD).

use arrow_array::RecordBatch;
use bytes::Bytes;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;

use super::codec_hint;
use crate::error::{Error, Result};

/// Decode a Parquet file. Where panics unwind (native builds), a panic inside the parquet crate
/// (it has some on corrupted page data) is caught and becomes an error naming the file; in the
/// browser the page runs this in a Worker for the same reason.
pub fn read(source: &str, bytes: &[u8]) -> Result<Vec<RecordBatch>> {
    #[cfg(panic = "unwind")]
    {
        DECODING.with(|d| d.set(true));
        let out = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| read_batches(source, bytes)));
        DECODING.with(|d| d.set(false));
        out.unwrap_or_else(|_| Err(Error::decode(source, "Parquet: the decoder crashed on this file's page data (the file is corrupted)")))
    }
    #[cfg(not(panic = "unwind"))]
    read_batches(source, bytes)
}

std::thread_local! {
    /// Whether this thread is inside the parquet crate's decoders (see [`quiet_decoder_panics`]).
    static DECODING: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Keep the panic hook from printing the parquet crate's panics, which [`read`] turns into an
/// error naming the file (the CLI prints that error; the hook's message and backtrace note before
/// it were noise). Other panics print as before. Installed once, by the CLI.
pub fn quiet_decoder_panics() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if !DECODING.with(|d| d.get()) {
                previous(info);
            }
        }));
    });
}

fn read_batches(source: &str, bytes: &[u8]) -> Result<Vec<RecordBatch>> {
    super::parquet_pages::check_footer(bytes).map_err(|e| Error::decode(source, format!("Parquet footer/metadata: {e}")))?;
    let data = Bytes::copy_from_slice(bytes);
    let builder = ParquetRecordBatchReaderBuilder::try_new(data.clone())
        .map_err(|e| Error::decode(source, codec_hint(format!("Parquet footer/metadata: {e}"))))?;
    check_chunks(builder.metadata(), bytes.len()).map_err(|e| Error::decode(source, format!("Parquet metadata: {e}")))?;
    check_rows(builder.metadata(), bytes.len()).map_err(|e| Error::decode(source, format!("Parquet metadata: {e}")))?;
    super::parquet_pages::check(builder.metadata(), &data).map_err(|e| Error::decode(source, format!("Parquet: {e}")))?;
    let groups = builder.metadata().num_row_groups();
    let reader = builder.with_batch_size(65_536).build().map_err(|e| Error::decode(source, format!("Parquet: {e}")))?;
    let mut out = Vec::new();
    for (i, batch) in reader.enumerate() {
        out.push(batch.map_err(|e| Error::decode(source, codec_hint(format!("Parquet ({groups} row groups), batch {i}: {e}"))))?);
    }
    Ok(out)
}

/// Rows a file may declare beyond one per bit of its bytes (as for Arrow IPC,
/// [`super::ipc_check`]): runs of nulls cost a few bytes for any number of rows, so a tiny file
/// could otherwise make the reader allocate without bound.
const FREE_ROWS: u64 = 1 << 24;

/// A file's rows must fit what its bytes can hold: at most one per bit, plus [`FREE_ROWS`].
fn check_rows(meta: &parquet::file::metadata::ParquetMetaData, file_len: usize) -> std::result::Result<(), String> {
    let rows: u64 = meta.row_groups().iter().map(|rg| rg.num_rows().max(0) as u64).sum();
    let bound = (file_len as u64).saturating_mul(8).saturating_add(FREE_ROWS);
    if rows > bound {
        return Err(format!("the row groups declare {rows} rows, more than {bound} (one per bit of the {file_len}-byte file, plus {FREE_ROWS}): the file is corrupted or made to exhaust memory"));
    }
    Ok(())
}

/// Every column chunk must lie inside the file: the parquet crate asserts (panics) on negative
/// offsets or sizes and slices out of range on ones past the end, and a panic kills the page.
fn check_chunks(meta: &parquet::file::metadata::ParquetMetaData, file_len: usize) -> std::result::Result<(), String> {
    for (g, rg) in meta.row_groups().iter().enumerate() {
        for (c, col) in rg.columns().iter().enumerate() {
            let start = col.dictionary_page_offset().unwrap_or(col.data_page_offset());
            let len = col.compressed_size();
            let end = start.checked_add(len);
            if start < 0 || len < 0 || end.is_none_or(|e| e as u64 > file_len as u64) || col.data_page_offset() < start {
                return Err(format!(
                    "row group {g}, column {c} ({}): its data (offset {start}, {len} bytes) does not lie inside the {file_len}-byte file",
                    col.column_path()
                ));
            }
        }
    }
    Ok(())
}
