//! Arrow IPC (stream and file formats), through arrow-ipc with its validation on.

use std::io::Cursor;

use arrow_array::RecordBatch;
use arrow_buffer::Buffer;
use arrow_ipc::reader::{FileReader, StreamDecoder, StreamReader};
use arrow_ipc::writer::{IpcWriteOptions, StreamWriter};
use arrow_ipc::CompressionType;

use crate::error::{Error, Result};

pub fn read_stream(source: &str, bytes: &[u8]) -> Result<Vec<RecordBatch>> {
    super::ipc_check::check_stream(bytes).map_err(|e| Error::decode(source, format!("Arrow IPC stream: {e}")))?;
    let reader = StreamReader::try_new(Cursor::new(bytes), None)
        .map_err(|e| Error::decode(source, format!("Arrow IPC stream header: {e}")))?;
    let mut out = Vec::new();
    for (i, batch) in reader.enumerate() {
        out.push(batch.map_err(|e| Error::decode(source, super::codec_hint(format!("Arrow IPC stream, record batch {i}: {e}"))))?);
    }
    Ok(out)
}

/// Decode an Arrow IPC stream that the caller hands over: the batches' buffers are slices of
/// `bytes` (no copy, so the data set costs the file's size once), unless a buffer is misaligned
/// or compressed. Same checks and errors as [`read_stream`].
pub fn read_stream_owned(source: &str, bytes: Vec<u8>) -> Result<Vec<RecordBatch>> {
    super::ipc_check::check_stream(&bytes).map_err(|e| Error::decode(source, format!("Arrow IPC stream: {e}")))?;
    let mut buf = Buffer::from_vec(bytes);
    let mut decoder = StreamDecoder::new();
    let mut out = Vec::new();
    loop {
        let before = buf.len();
        match decoder.decode(&mut buf) {
            Ok(Some(batch)) => out.push(batch),
            Ok(None) if buf.is_empty() || buf.len() == before => break,
            Ok(None) => {}
            Err(e) => {
                let at = if out.is_empty() { "header".to_string() } else { format!("record batch {}", out.len()) };
                return Err(Error::decode(source, super::codec_hint(format!("Arrow IPC stream, {at}: {e}"))));
            }
        }
    }
    decoder.finish().map_err(|e| Error::decode(source, format!("Arrow IPC stream: {e} (the file is truncated)")))?;
    if decoder.schema().is_none() {
        return Err(Error::decode(source, "Arrow IPC stream: no schema message"));
    }
    Ok(out)
}

pub fn read_file(source: &str, bytes: &[u8]) -> Result<Vec<RecordBatch>> {
    super::ipc_check::check_file(bytes).map_err(|e| Error::decode(source, format!("Arrow IPC file: {e}")))?;
    let reader = FileReader::try_new(Cursor::new(bytes), None)
        .map_err(|e| Error::decode(source, format!("Arrow IPC file footer: {e}")))?;
    let mut out = Vec::new();
    for (i, batch) in reader.enumerate() {
        out.push(batch.map_err(|e| Error::decode(source, super::codec_hint(format!("Arrow IPC file, record batch {i}: {e}"))))?);
    }
    Ok(out)
}

/// Write batches as an Arrow IPC stream, LZ4-frame compressed.
pub fn write_stream(batches: &[RecordBatch]) -> Result<Vec<u8>> {
    write_with(batches, Some(CompressionType::LZ4_FRAME))
}

/// Write batches as an uncompressed Arrow IPC stream (what every Arrow reader accepts).
pub fn write_stream_plain(batches: &[RecordBatch]) -> Result<Vec<u8>> {
    write_with(batches, None)
}

fn write_with(batches: &[RecordBatch], compression: Option<CompressionType>) -> Result<Vec<u8>> {
    let Some(first) = batches.first() else {
        return Err(Error::Other("nothing to write: no record batches".into()));
    };
    let options = IpcWriteOptions::default().try_with_compression(compression)?;
    let mut buf = Vec::new();
    {
        let mut w = StreamWriter::try_new_with_options(&mut buf, &first.schema(), options)?;
        for b in batches {
            w.write(b)?;
        }
        w.finish()?;
    }
    Ok(buf)
}
