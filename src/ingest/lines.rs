//! Text that arrives in pieces, handed on a complete line at a time (NDJSON, OTLP/JSON lines):
//! a line is decoded as soon as its newline is in, so rows are ready while the rest still
//! arrives. Errors give the byte and line in the whole text.

use crate::error::{Error, Result};

/// Bytes not yet ending in a newline are held until the next piece (or the end) completes them.
#[derive(Default)]
pub struct Lines {
    pending: Vec<u8>,
    /// Bytes handed on before `pending` (after a leading byte-order mark).
    at: usize,
    /// Lines handed on so far.
    line: usize,
}

impl Lines {
    /// Take a piece; `each(line_number, line)` gets every line it completes (1-based numbers; blank
    /// lines are skipped; a trailing `\r` is dropped).
    pub fn push(&mut self, source: &str, piece: &[u8], each: impl FnMut(usize, &str) -> Result<()>) -> Result<()> {
        let Some(nl) = piece.iter().rposition(|&c| c == b'\n') else {
            self.pending.extend_from_slice(piece);
            return Ok(());
        };
        let (complete, rest) = piece.split_at(nl + 1);
        if self.pending.is_empty() {
            self.lines(source, complete, each)?;
        } else {
            self.pending.extend_from_slice(complete);
            let text = std::mem::take(&mut self.pending);
            self.lines(source, &text, each)?;
            self.pending = text;
            self.pending.clear();
        }
        self.pending.extend_from_slice(rest);
        Ok(())
    }

    /// All bytes are in: hand on the last line (one without a newline).
    pub fn finish(&mut self, source: &str, each: impl FnMut(usize, &str) -> Result<()>) -> Result<()> {
        let text = std::mem::take(&mut self.pending);
        self.lines(source, &text, each)
    }

    /// Hand on the lines of `bytes` (whole lines), each checked to be UTF-8 before it is handed
    /// on, so the first problem in the text is the one reported however the text arrived.
    fn lines(&mut self, source: &str, bytes: &[u8], mut each: impl FnMut(usize, &str) -> Result<()>) -> Result<()> {
        let bytes = if self.at == 0 && self.line == 0 { bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes) } else { bytes };
        let mut start = 0;
        for raw in bytes.split(|&c| c == b'\n') {
            let line = std::str::from_utf8(raw).map_err(|e| Error::decode(source, format!("not valid UTF-8 at byte {} (line {})", self.at + start + e.valid_up_to(), self.line + 1)))?;
            let line = line.strip_suffix('\r').unwrap_or(line);
            if !line.trim().is_empty() {
                each(self.line + 1, line)?;
            }
            start += raw.len() + 1;
            if start <= bytes.len() {
                self.line += 1;
            }
        }
        self.at += bytes.len();
        Ok(())
    }
}
