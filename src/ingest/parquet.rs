//! Parquet through the parquet crate's Arrow reader (every row group, dictionary pages, v2 pages,
//! DELTA_* and BYTE_STREAM_SPLIT encodings; snappy, gzip, LZ4_RAW, brotli, and natively ZSTD).

use arrow_array::RecordBatch;
use bytes::Bytes;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;

use super::codec_hint;
use crate::error::{Error, Result};

pub fn read(source: &str, bytes: &[u8]) -> Result<Vec<RecordBatch>> {
    let data = Bytes::copy_from_slice(bytes);
    let builder = ParquetRecordBatchReaderBuilder::try_new(data)
        .map_err(|e| Error::decode(source, codec_hint(format!("Parquet footer/metadata: {e}"))))?;
    let groups = builder.metadata().num_row_groups();
    let reader = builder.with_batch_size(65_536).build().map_err(|e| Error::decode(source, format!("Parquet: {e}")))?;
    let mut out = Vec::new();
    for (i, batch) in reader.enumerate() {
        out.push(batch.map_err(|e| Error::decode(source, codec_hint(format!("Parquet ({groups} row groups), batch {i}: {e}"))))?);
    }
    Ok(out)
}
