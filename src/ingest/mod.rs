//! Bytes in, Arrow record batches out. The format is detected from the content (magic bytes,
//! structure), never from the file name alone; every error names the source and says where.

pub mod arrow_ipc;
pub mod csv;
pub mod flatten;
pub mod isolated;
mod ipc_check;
mod ipc_decode;
mod lines;
pub mod ndjson;
pub mod otlp;
#[cfg(feature = "parquet")]
pub mod parquet;
#[cfg(feature = "parquet")]
mod parquet_pages;
pub mod receive;

pub use receive::{Piece, Receiving};

/// Whether this build decodes ZSTD (natively always; in the browser only the decoder module,
/// built with the `zstd` feature: the page hands such sources to it).
pub const ZSTD: bool = !cfg!(target_arch = "wasm32") || cfg!(feature = "zstd");

/// Whether `bytes` are an Arrow IPC stream or file whose batches this build cannot decompress
/// (ZSTD in the page's module): the decoder module reads them.
pub fn needs_zstd(bytes: &[u8]) -> bool {
    !ZSTD && ipc_check::first_batch_zstd(bytes) == Some(true)
}

use arrow_array::RecordBatch;

use crate::error::{Error, Result};

/// A file format Apiary reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    ArrowFile,
    ArrowStream,
    Parquet,
    Csv,
    NdJson,
    OtlpJson,
}

impl Format {
    pub fn name(self) -> &'static str {
        match self {
            Format::ArrowFile => "Arrow IPC file",
            Format::ArrowStream => "Arrow IPC stream",
            Format::Parquet => "Parquet",
            Format::Csv => "CSV",
            Format::NdJson => "NDJSON",
            Format::OtlpJson => "OTLP/JSON traces",
        }
    }
}

/// The first non-whitespace byte of the text, skipping a UTF-8 byte-order mark.
pub(crate) fn first_text_byte(bytes: &[u8]) -> Option<u8> {
    let b = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    b.iter().copied().find(|c| !c.is_ascii_whitespace())
}

/// Detect the format from the content.
pub fn detect(source: &str, bytes: &[u8]) -> Result<Format> {
    if bytes.is_empty() {
        return Err(Error::decode(source, "the file is empty"));
    }
    if bytes.starts_with(b"ARROW1") {
        return Ok(Format::ArrowFile);
    }
    if bytes.starts_with(&[0xFF, 0xFF, 0xFF, 0xFF]) {
        return Ok(Format::ArrowStream);
    }
    if bytes.starts_with(b"PAR1") {
        return Ok(Format::Parquet);
    }
    match first_text_byte(bytes) {
        None => return Err(Error::decode(source, "the file holds only white space")),
        Some(b'{') | Some(b'[') => {
            let head = &bytes[..bytes.len().min(1 << 16)];
            let is_otlp = head.windows(15).any(|w| w == b"\"resourceSpans\"");
            return Ok(if is_otlp { Format::OtlpJson } else { Format::NdJson });
        }
        _ => {}
    }
    let head = &bytes[..bytes.len().min(1 << 12)];
    let text_like = head.iter().all(|&c| c >= 0x20 || matches!(c, b'\n' | b'\r' | b'\t'));
    if text_like {
        return Ok(Format::Csv);
    }
    Err(Error::decode(
        source,
        "unrecognised format: not Arrow IPC (ARROW1 / stream), Parquet (PAR1), JSON, OTLP/JSON or CSV text",
    ))
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
        #[cfg(feature = "parquet")]
        Format::Parquet => parquet::read(source, bytes)?,
        // The page's module: Parquet decodes in the decoder module (web::decode_worker).
        #[cfg(not(feature = "parquet"))]
        Format::Parquet => return Err(Error::Data(format!("{source}: Parquet is read by the decoder module, which did not load"))),
        Format::Csv => csv::read(source, bytes)?,
        Format::NdJson => ndjson::read(source, bytes)?,
        Format::OtlpJson => otlp::read(source, bytes)?,
    };
    let batches = batches.into_iter().map(flatten::flatten_structs).collect::<Result<Vec<_>>>()?;
    Ok(Loaded { format, batches })
}

/// Decode a whole file whose bytes the caller hands over. Arrow IPC streams and files are
/// decoded without copying their buffers (see [`arrow_ipc::read_stream_owned`]); other formats
/// as in [`load`].
pub fn load_owned(source: &str, bytes: Vec<u8>) -> Result<Loaded> {
    Decoding::start(source, bytes)?.finish()
}

/// A file being decoded a step at a time (one record batch of an Arrow IPC stream or file per
/// step; one batch typed per step of text decoded as it arrived; other formats in one step), so
/// the page can show progress and stay responsive between steps.
pub struct Decoding {
    format: Format,
    state: Step,
}

enum Step {
    Ipc(arrow_ipc::OwnedIpc),
    Whole(String, Vec<u8>),
    /// Decoded as the bytes arrived; batches left to type (CSV) or to give the whole input's
    /// types (NDJSON, OTLP), one per step.
    Typing(csv::Typing),
    Conforming(ndjson::Conforming),
    Done(Vec<RecordBatch>),
}

impl Decoding {
    /// Detect the format (and check an Arrow stream's or file's structure).
    pub fn start(source: &str, bytes: Vec<u8>) -> Result<Decoding> {
        let format = detect(source, &bytes)?;
        let state = match format {
            Format::ArrowStream => Step::Ipc(arrow_ipc::OwnedIpc::stream(source, bytes)?),
            Format::ArrowFile => Step::Ipc(arrow_ipc::OwnedIpc::file(source, bytes)?),
            _ => Step::Whole(source.to_string(), bytes),
        };
        Ok(Decoding { format, state })
    }

    /// Batches decoded elsewhere (as their bytes arrived: [`Receiving`]), to finish like the rest.
    pub fn decoded(format: Format, batches: Vec<RecordBatch>) -> Decoding {
        Decoding { format, state: Step::Done(batches) }
    }

    /// CSV decoded as it arrived, its batches left to type.
    pub fn typing(t: csv::Typing) -> Decoding {
        Decoding { format: Format::Csv, state: Step::Typing(t) }
    }

    /// NDJSON or OTLP/JSON decoded as it arrived, its batches left to conform.
    pub fn conforming(format: Format, c: ndjson::Conforming) -> Decoding {
        Decoding { format, state: Step::Conforming(c) }
    }

    /// Decode some more; `false` when nothing is left.
    pub fn step(&mut self) -> Result<bool> {
        match &mut self.state {
            Step::Ipc(s) => s.step(),
            Step::Typing(t) => t.step(),
            Step::Conforming(c) => c.step(),
            Step::Whole(source, bytes) => {
                let batches = load(source, bytes)?.batches;
                self.state = Step::Done(batches);
                Ok(false)
            }
            Step::Done(_) => Ok(false),
        }
    }

    /// Rows decoded so far.
    pub fn rows(&self) -> usize {
        match &self.state {
            Step::Ipc(s) => s.rows(),
            Step::Whole(..) => 0,
            Step::Typing(t) => t.rows(),
            Step::Conforming(c) => c.rows(),
            Step::Done(b) => b.iter().map(|b| b.num_rows()).sum(),
        }
    }

    /// Bytes left to decode (0 when unknown or done).
    pub fn remaining(&self) -> usize {
        match &self.state {
            Step::Ipc(s) => s.remaining(),
            Step::Whole(_, b) => b.len(),
            Step::Typing(_) | Step::Conforming(_) | Step::Done(_) => 0,
        }
    }

    /// The decoded source (struct columns flattened), decoding whatever is left.
    pub fn finish(self) -> Result<Loaded> {
        let batches = match self.state {
            Step::Ipc(s) => s.finish()?,
            Step::Whole(source, bytes) => load(&source, &bytes)?.batches,
            Step::Typing(t) => t.finish()?,
            Step::Conforming(c) => c.finish()?,
            Step::Done(b) => b,
        };
        let batches = batches.into_iter().map(flatten::flatten_structs).collect::<Result<Vec<_>>>()?;
        Ok(Loaded { format: self.format, batches })
    }
}

/// Map a codec error to the message the browser shows for ZSTD, which only the decoder module
/// reads there.
pub(crate) fn codec_hint(msg: String) -> String {
    if !ZSTD && msg.to_ascii_lowercase().contains("zstd") {
        format!("{msg} (ZSTD is read by the decoder module: the page hands such files to it; through the JavaScript API, decode(name, bytes) first)")
    } else {
        msg
    }
}
