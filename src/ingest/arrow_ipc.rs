//! Arrow IPC (stream and file formats): structure checked (`ipc_check`), messages decoded by
//! `ipc_decode`.

use arrow_array::RecordBatch;
use arrow_buffer::Buffer;
use arrow_ipc::writer::{IpcWriteOptions, StreamWriter};
use arrow_ipc::CompressionType;

use super::ipc_check::{body_length, frame, Span};
use super::ipc_decode::Messages;
use crate::error::{Error, Result};

pub fn read_stream(source: &str, bytes: &[u8]) -> Result<Vec<RecordBatch>> {
    read_stream_owned(source, bytes.to_vec())
}

/// Decode an Arrow IPC stream that the caller hands over: the batches' buffers are slices of
/// `bytes` (no copy, so the data set costs the file's size once), unless a buffer is misaligned
/// or compressed.
pub fn read_stream_owned(source: &str, bytes: Vec<u8>) -> Result<Vec<RecordBatch>> {
    OwnedIpc::stream(source, bytes)?.finish()
}

pub fn read_file(source: &str, bytes: &[u8]) -> Result<Vec<RecordBatch>> {
    read_file_owned(source, bytes.to_vec())
}

/// An Arrow IPC file handed over, decoded without copying as [`read_stream_owned`] does.
pub fn read_file_owned(source: &str, bytes: Vec<u8>) -> Result<Vec<RecordBatch>> {
    OwnedIpc::file(source, bytes)?.finish()
}

/// An owned Arrow IPC stream or file decoded one record batch per [`OwnedIpc::step`], so a
/// caller can show progress and let the page breathe between batches. The whole input's
/// structure is checked first (`ipc_check`), then each message decoded by `ipc_decode`.
pub struct OwnedIpc {
    source: String,
    what: &'static str,
    buf: Buffer,
    /// A file's messages (from its footer: dictionaries, then record batches); `None` for a
    /// stream, whose messages follow one another from `at`.
    blocks: Option<std::vec::IntoIter<Span>>,
    /// Where the next message of a stream starts.
    next: usize,
    /// Where the message being decoded starts (for errors).
    at: usize,
    messages: Messages,
    out: Vec<RecordBatch>,
    done: bool,
}

impl OwnedIpc {
    /// Check a stream's structure (see `ipc_check`) and get ready to decode.
    pub fn stream(source: &str, bytes: Vec<u8>) -> Result<OwnedIpc> {
        super::ipc_check::check_stream(&bytes).map_err(|e| Error::decode(source, format!("Arrow IPC stream: {e}")))?;
        Ok(OwnedIpc::new(source, "Arrow IPC stream", bytes, None, Messages::default()))
    }

    /// Check a file's structure and footer and get ready to decode its blocks.
    pub fn file(source: &str, bytes: Vec<u8>) -> Result<OwnedIpc> {
        let (schema, spans) = super::ipc_check::check_file(&bytes).map_err(|e| Error::decode(source, format!("Arrow IPC file: {e}")))?;
        Ok(OwnedIpc::new(source, "Arrow IPC file", bytes, Some(spans.into_iter()), Messages::with_schema(schema)))
    }

    fn new(source: &str, what: &'static str, bytes: Vec<u8>, blocks: Option<std::vec::IntoIter<Span>>, messages: Messages) -> OwnedIpc {
        OwnedIpc { source: source.to_string(), what, buf: Buffer::from_vec(bytes), blocks, next: 0, at: 0, messages, out: Vec::new(), done: false }
    }

    fn error(&self, e: impl std::fmt::Display) -> Error {
        let at = if self.out.is_empty() && self.messages.schema().is_none() { "header".to_string() } else { format!("record batch {}", self.out.len()) };
        Error::decode(&self.source, super::codec_hint(format!("{}, {at} (at byte {}): {e}", self.what, self.at)))
    }

    /// The next message's span, `None` at the end.
    fn next_span(&mut self) -> Result<Option<Span>> {
        if let Some(blocks) = &mut self.blocks {
            let span = blocks.next();
            self.at = span.map_or(self.at, |s| s.start);
            return Ok(span);
        }
        self.at = self.next;
        let Some((meta_at, body_at)) = frame(&self.buf, self.next, "message").map_err(|e| self.error(e))? else { return Ok(None) };
        let len = body_length(&self.buf[meta_at..body_at], "message").map_err(|e| self.error(e))?;
        Ok(Some(Span { start: self.next, meta: (meta_at, body_at), body: (body_at, len) }))
    }

    /// Decode up to the next record batch; `false` once the input is exhausted.
    pub fn step(&mut self) -> Result<bool> {
        while !self.done {
            let Some(Span { meta: (meta_at, meta_end), body: (body_at, len), .. }) = self.next_span()? else {
                self.done = true;
                break;
            };
            if body_at.checked_add(len).is_none_or(|end| end > self.buf.len()) || meta_end > body_at {
                return Err(self.error(format!("a body of {len} bytes runs past the end of the data")));
            }
            let body = self.buf.slice_with_length(body_at, len);
            let decoded = self.messages.decode(&self.buf[meta_at..meta_end], &body);
            let decoded = decoded.map_err(|e| self.error(e))?;
            self.next = body_at + len;
            if let Some(batch) = decoded {
                self.out.push(batch);
                return Ok(true);
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
        if self.done {
            return 0;
        }
        match &self.blocks {
            Some(blocks) => blocks.as_slice().first().map_or(0, |b| self.buf.len() - b.start.min(self.buf.len())),
            None => self.buf.len() - self.next.min(self.buf.len()),
        }
    }

    /// The batches, once [`OwnedIpc::step`] returned `false`.
    pub fn finish(mut self) -> Result<Vec<RecordBatch>> {
        while self.step()? {}
        if self.messages.schema().is_none() {
            return Err(Error::decode(&self.source, format!("{}: no schema message", self.what)));
        }
        Ok(self.out)
    }
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
