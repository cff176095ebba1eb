//! Bytes in, Arrow record batches out. The format is detected from the content, not the name.

pub mod arrow_ipc;

use arrow_array::RecordBatch;

use crate::error::{Error, Result};

/// A file format Apiary reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    ArrowFile,
    ArrowStream,
}

impl Format {
    pub fn name(self) -> &'static str {
        match self {
            Format::ArrowFile => "Arrow IPC file",
            Format::ArrowStream => "Arrow IPC stream",
        }
    }
}

/// Detect the format from the first bytes.
pub fn detect(source: &str, bytes: &[u8]) -> Result<Format> {
    if bytes.is_empty() {
        return Err(Error::decode(source, "the file is empty"));
    }
    if bytes.starts_with(b"ARROW1") {
        return Ok(Format::ArrowFile);
    }
    if bytes.len() >= 4 && (bytes[..4] == [0xFF, 0xFF, 0xFF, 0xFF] || is_legacy_stream(bytes)) {
        return Ok(Format::ArrowStream);
    }
    Err(Error::decode(source, "unrecognised format (expected Arrow IPC: it starts neither with ARROW1 nor with an IPC stream message)"))
}

/// Pre-0.15 Arrow streams start directly with a little-endian message length.
fn is_legacy_stream(bytes: &[u8]) -> bool {
    let len = u32::from_le_bytes([bytes[0], bytes[1], bytes[2], bytes[3]]) as usize;
    len > 0 && len < 1 << 24 && len + 4 <= bytes.len() && bytes.len() >= 8 && bytes[4..8] != [0, 0, 0, 0]
}

/// A decoded source: its format and batches.
pub struct Loaded {
    pub format: Format,
    pub batches: Vec<RecordBatch>,
}

/// Decode a whole file. `source` names it in errors.
pub fn load(source: &str, bytes: &[u8]) -> Result<Loaded> {
    let format = detect(source, bytes)?;
    let batches = match format {
        Format::ArrowFile => arrow_ipc::read_file(source, bytes)?,
        Format::ArrowStream => arrow_ipc::read_stream(source, bytes)?,
    };
    Ok(Loaded { format, batches })
}
