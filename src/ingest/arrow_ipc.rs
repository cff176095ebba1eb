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
    OwnedStream::new(source, bytes)?.finish()
}

/// An owned Arrow IPC stream decoded one record batch per [`OwnedStream::step`], so a caller
/// can show progress and let the page breathe between batches.
pub struct OwnedStream {
    source: String,
    buf: Buffer,
    decoder: StreamDecoder,
    out: Vec<RecordBatch>,
    done: bool,
}

impl OwnedStream {
    /// Check the stream's structure (see `ipc_check`) and get ready to decode.
    pub fn new(source: &str, bytes: Vec<u8>) -> Result<OwnedStream> {
        super::ipc_check::check_stream(&bytes).map_err(|e| Error::decode(source, format!("Arrow IPC stream: {e}")))?;
        Ok(OwnedStream { source: source.to_string(), buf: Buffer::from_vec(bytes), decoder: StreamDecoder::new(), out: Vec::new(), done: false })
    }

    /// Decode up to the next record batch; `false` once the stream is exhausted.
    pub fn step(&mut self) -> Result<bool> {
        while !self.done {
            let before = self.buf.len();
            match self.decoder.decode(&mut self.buf) {
                Ok(Some(batch)) => {
                    self.out.push(batch);
                    return Ok(true);
                }
                Ok(None) if self.buf.is_empty() || self.buf.len() == before => self.done = true,
                Ok(None) => {}
                Err(e) => {
                    let at = if self.out.is_empty() { "header".to_string() } else { format!("record batch {}", self.out.len()) };
                    return Err(Error::decode(&self.source, super::codec_hint(format!("Arrow IPC stream, {at}: {e}"))));
                }
            }
        }
        Ok(false)
    }

    /// Rows decoded so far.
    pub fn rows(&self) -> usize {
        self.out.iter().map(|b| b.num_rows()).sum()
    }

    /// Bytes left to decode.
    pub fn remaining(&self) -> usize {
        self.buf.len()
    }

    /// The batches, once [`OwnedStream::step`] returned `false`.
    pub fn finish(mut self) -> Result<Vec<RecordBatch>> {
        while self.step()? {}
        self.decoder.finish().map_err(|e| Error::decode(&self.source, format!("Arrow IPC stream: {e} (the file is truncated)")))?;
        if self.decoder.schema().is_none() {
            return Err(Error::decode(&self.source, "Arrow IPC stream: no schema message"));
        }
        Ok(self.out)
    }
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
