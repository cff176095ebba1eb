//! A source whose bytes arrive in pieces (an HTTP body as it streams in). An Arrow IPC stream is
//! checked and decoded message by message as the pieces come, NDJSON and OTLP/JSON lines a line
//! at a time, CSV a record at a time, so their rows are ready when the last byte is; the rest is
//! collected and decoded at the end (Parquet and Arrow files need their footer, which comes
//! last; a JSON array or a multi-line OTLP request is one value).
//!
//! Pieces are [`Piece`]s: each byte is copied once, from the piece straight into the buffer it
//! ends up in (an Arrow message's own buffer, which its batches slice; the collected bytes), so in
//! the page a body or a file goes from JavaScript's chunk to its place in wasm memory with one copy.

use std::mem::MaybeUninit;

use arrow_array::RecordBatch;
use arrow_buffer::{Buffer, MutableBuffer};

use super::ipc_check::{body_length, StreamCheck};
use super::ipc_decode::Messages;
use super::{Decoding, Format};
use crate::error::{Error, Result};

/// At most this much is reserved up front for one message; a message whose metadata declares
/// more grows as its bytes actually arrive, so a lying length cannot allocate.
const MAX_RESERVE: usize = 64 << 20;

/// Text formats are told apart from their first this many bytes (as [`super::detect`] does).
const TEXT_HEAD: usize = 1 << 16;

/// A piece of arriving bytes, copied out a range at a time: a slice natively; in the page a
/// JavaScript `Uint8Array` (a chunk of a body or a file), copied straight to where its bytes go.
pub trait Piece {
    fn len(&self) -> usize;
    fn is_empty(&self) -> bool {
        self.len() == 0
    }
    /// Copy the bytes from `at` into all of `dst` (`at + dst.len() <= self.len()`).
    fn copy_out(&self, at: usize, dst: &mut [MaybeUninit<u8>]);
}

impl Piece for &[u8] {
    fn len(&self) -> usize {
        <[u8]>::len(self)
    }
    fn copy_out(&self, at: usize, dst: &mut [MaybeUninit<u8>]) {
        let n = dst.len();
        for (d, s) in dst.iter_mut().zip(&self[at..at + n]) {
            d.write(*s);
        }
    }
}

/// Append all of `piece` to `v` (one copy).
pub fn append(v: &mut Vec<u8>, piece: &dyn Piece) {
    Taking { piece, at: 0, hash: None }.append_to_vec(v, usize::MAX);
}

/// What is left of a piece being taken, and the running content hash of everything taken.
struct Taking<'a> {
    piece: &'a dyn Piece,
    at: usize,
    hash: Option<&'a mut twox_hash::XxHash3_128>,
}

impl Taking<'_> {
    fn left(&self) -> usize {
        self.piece.len() - self.at
    }

    /// Append the next `n` bytes (at most what is left) to `v`.
    fn append_to_vec(&mut self, v: &mut Vec<u8>, n: usize) {
        let n = n.min(self.left());
        v.reserve(n);
        let len = v.len();
        self.piece.copy_out(self.at, &mut v.spare_capacity_mut()[..n]);
        // SAFETY: `copy_out` wrote all `n` bytes after `len`, inside the reserved capacity.
        unsafe { v.set_len(len + n) };
        self.took(&v[len..]);
    }

    /// Append the next `n` bytes (at most what is left) to `buf`.
    fn append_to_buffer(&mut self, buf: &mut MutableBuffer, n: usize) {
        let n = n.min(self.left());
        buf.reserve(n);
        let len = buf.len();
        // SAFETY: `reserve` made room for `n` more bytes after `len`; they are handed out as
        // uninitialized, all written by `copy_out`, and only then counted in the length.
        unsafe {
            let spare = std::slice::from_raw_parts_mut(buf.as_mut_ptr().add(len).cast::<MaybeUninit<u8>>(), n);
            self.piece.copy_out(self.at, spare);
            buf.set_len(len + n);
        }
        self.took(&buf.as_slice()[len..]);
    }

    fn took(&mut self, bytes: &[u8]) {
        self.at += bytes.len();
        if let Some(h) = self.hash.as_deref_mut() {
            h.write(bytes);
        }
    }
}

/// Bytes arriving for one source; see the module docs.
pub struct Receiving {
    source: String,
    limit: usize,
    received: usize,
    state: State,
    /// Text formats decode from this (reused): a piece's next part copied out.
    text: Vec<u8>,
    /// The content hash of every byte taken (xxh3-128, as `permalink::content_hash`), when asked.
    hash: Option<twox_hash::XxHash3_128>,
    /// An Arrow stream's bytes until its first record batch shows its compression, in a build
    /// without ZSTD: a ZSTD stream is then collected whole for the decoder module.
    start: Option<Vec<u8>>,
}

enum State {
    /// Too few bytes so far to know the format.
    Undecided(Vec<u8>),
    Arrow(Box<ArrowArrival>),
    NdJson(Box<super::ndjson::Stream>),
    Otlp(Box<super::ndjson::Stream>),
    Csv(Box<super::csv::Stream>),
    Collect(Vec<u8>),
}

impl Receiving {
    /// `limit`: the most bytes this source may have (the memory cap left, or the announced size);
    /// a message declaring more is refused before its bytes are awaited.
    pub fn new(source: &str, limit: usize) -> Receiving {
        Receiving { source: source.to_string(), limit, received: 0, state: State::Undecided(Vec::new()), text: Vec::new(), hash: None, start: (!super::ZSTD).then(Vec::new) }
    }

    /// Also hash every byte taken ([`Receiving::content_hash`]).
    pub fn hashing(mut self) -> Receiving {
        self.hash = Some(twox_hash::XxHash3_128::new());
        self
    }

    /// The content hash of the bytes taken so far, as `permalink::content_hash` gives it for
    /// all of them at once; `None` unless [`Receiving::hashing`].
    pub fn content_hash(&self) -> Option<String> {
        self.hash.as_ref().map(|h| crate::permalink::hash_text(h.finish_128()))
    }

    /// Take the next piece of the bytes. An Arrow stream decodes every message this completes;
    /// an error names the source and the message.
    pub fn push(&mut self, chunk: &[u8]) -> Result<()> {
        self.push_piece(&chunk)
    }

    /// [`Receiving::push`] for any [`Piece`]: each byte is copied once, to where it belongs.
    pub fn push_piece(&mut self, piece: &dyn Piece) -> Result<()> {
        self.received += piece.len();
        let mut taking = Taking { piece, at: 0, hash: self.hash.as_mut() };
        if let State::Undecided(head) = &mut self.state {
            taking.append_to_vec(head, usize::MAX);
            let binary = head.starts_with(&[0xFF; 4]) || head.starts_with(b"ARROW1") || head.starts_with(b"PAR1");
            if head.len() < 4 || (!binary && head.len() < TEXT_HEAD) {
                return Ok(());
            }
            let head = std::mem::take(head);
            self.state = self.decide(&head);
            let mut whole = Taking { piece: &head.as_slice(), at: 0, hash: None };
            return Self::feed(&mut self.state, &mut self.start, &mut self.text, &mut whole);
        }
        Self::feed(&mut self.state, &mut self.start, &mut self.text, &mut taking)
    }

    /// How to take a source that starts with `head`: a text format that can be decoded as it
    /// arrives, or an Arrow stream, is; anything else is collected.
    fn decide(&self, head: &[u8]) -> State {
        if head.starts_with(&[0xFF; 4]) {
            return State::Arrow(Box::new(ArrowArrival::new(&self.source, self.limit)));
        }
        let source = &self.source;
        match super::detect(source, head) {
            Ok(Format::NdJson) if super::first_text_byte(head) == Some(b'{') => State::NdJson(Box::new(super::ndjson::Stream::new(source))),
            Ok(Format::OtlpJson) if super::otlp::first_line_parses(head) => State::Otlp(Box::new(super::otlp::stream(source))),
            Ok(Format::Csv) => State::Csv(Box::new(super::csv::Stream::new(source))),
            _ => State::Collect(Vec::with_capacity(head.len().max(1 << 16))),
        }
    }

    /// Hand what is left of `taking` to the state.
    fn feed(state: &mut State, start: &mut Option<Vec<u8>>, text: &mut Vec<u8>, taking: &mut Taking) -> Result<()> {
        if let (State::Arrow(_), Some(held)) = (&*state, &mut *start) {
            taking.append_to_vec(held, usize::MAX);
            match super::ipc_check::first_batch_zstd(held) {
                None => return Ok(()),
                Some(true) => {
                    *state = State::Collect(std::mem::take(held));
                    *start = None;
                    return Ok(());
                }
                Some(false) => {
                    // Not ZSTD: the stream decodes as it arrives, from its first byte.
                    let bytes = std::mem::take(held);
                    *start = None;
                    if let State::Arrow(a) = state {
                        return a.push(&mut Taking { piece: &bytes.as_slice(), at: 0, hash: None });
                    }
                }
            }
        }
        match state {
            State::Arrow(a) => a.push(taking),
            State::NdJson(s) | State::Otlp(s) => Self::text_parts(taking, text, |part| s.push(part)),
            State::Csv(s) => Self::text_parts(taking, text, |part| s.push(part)),
            State::Collect(bytes) | State::Undecided(bytes) => {
                taking.append_to_vec(bytes, usize::MAX);
                Ok(())
            }
        }
    }

    /// Text decoders read slices: the piece is copied out into `text` a part at a time.
    fn text_parts(taking: &mut Taking, text: &mut Vec<u8>, mut each: impl FnMut(&[u8]) -> Result<()>) -> Result<()> {
        while taking.left() > 0 {
            text.clear();
            taking.append_to_vec(text, 1 << 20);
            each(text)?;
        }
        Ok(())
    }

    /// Bytes taken so far.
    pub fn received(&self) -> usize {
        self.received
    }

    /// Rows decoded so far (0 for formats decoded at the end).
    pub fn rows(&self) -> usize {
        match &self.state {
            State::Arrow(a) => a.rows,
            State::NdJson(s) => s.rows(),
            State::Otlp(s) => s.rows(),
            State::Csv(s) => s.rows(),
            State::Collect(_) | State::Undecided(_) => 0,
        }
    }

    /// All bytes are in: the collected bytes when they were not decoded as they came (not an
    /// Arrow stream), for the caller to decode as it likes; else `self` back.
    pub fn into_bytes(self) -> std::result::Result<Vec<u8>, Receiving> {
        match self.state {
            State::Collect(bytes) | State::Undecided(bytes) => Ok(bytes),
            state => Err(Receiving { state, ..self }),
        }
    }

    /// All bytes are in: what is left to decode. A source decoded as it came is done but for its
    /// last piece (an error if it stopped mid-message); other formats start decoding here.
    pub fn finish(self) -> Result<Decoding> {
        match self.state {
            State::Arrow(mut a) => {
                // A stream that ended before any record batch: its bytes were held back.
                if let Some(start) = self.start.filter(|s| !s.is_empty()) {
                    a.push(&mut Taking { piece: &start.as_slice(), at: 0, hash: None })?;
                }
                Ok(Decoding::decoded(Format::ArrowStream, a.finish()?))
            }
            State::NdJson(s) => Ok(Decoding::conforming(Format::NdJson, s.end()?)),
            State::Otlp(s) => Ok(Decoding::conforming(Format::OtlpJson, s.end()?)),
            State::Csv(s) => Ok(Decoding::typing(s.end()?)),
            State::Collect(bytes) | State::Undecided(bytes) => Decoding::start(&self.source, bytes),
        }
    }
}

/// An Arrow IPC stream taken message by message: each message's bytes are gathered into one
/// buffer (the batches decoded from it are slices of it: no further copy), checked like a whole
/// stream is (`ipc_check`), then decoded (`ipc_decode`).
struct ArrowArrival {
    source: String,
    limit: usize,
    check: StreamCheck,
    messages: Messages,
    /// The current message's framing prefix and metadata while its size is not known yet.
    head: Vec<u8>,
    /// The current message once its size is known: (bytes so far, whole size, metadata start).
    message: Option<(MutableBuffer, usize, usize)>,
    /// Where the current message starts in the stream.
    at: usize,
    batches: Vec<RecordBatch>,
    rows: usize,
    ended: bool,
}

fn le_i32(b: &[u8], at: usize) -> i32 {
    i32::from_le_bytes([b[at], b[at + 1], b[at + 2], b[at + 3]])
}

impl ArrowArrival {
    fn new(source: &str, limit: usize) -> ArrowArrival {
        ArrowArrival {
            source: source.to_string(),
            limit,
            check: StreamCheck::default(),
            messages: Messages::default(),
            head: Vec::new(),
            message: None,
            at: 0,
            batches: Vec::new(),
            rows: 0,
            ended: false,
        }
    }

    fn error(&self, what: impl std::fmt::Display) -> Error {
        Error::decode(&self.source, super::codec_hint(format!("Arrow IPC stream: {what}")))
    }

    fn what(&self) -> String {
        format!("message {} (at byte {})", self.check.messages, self.at)
    }

    fn push(&mut self, chunk: &mut Taking) -> Result<()> {
        while chunk.left() > 0 && !self.ended {
            if let Some((buf, size, _)) = &mut self.message {
                chunk.append_to_buffer(buf, *size - buf.len());
                if buf.len() == *size {
                    self.complete()?;
                }
                continue;
            }
            // Gather the framing: 0xFFFFFFFF and a length (or a bare length, the pre-1.0
            // format), then that much metadata.
            let wanted = self.head_wanted()?;
            if self.head.len() < wanted {
                let n = wanted - self.head.len();
                chunk.append_to_vec(&mut self.head, n);
            }
            if self.head.len() == wanted && self.head.len() >= 4 {
                self.start_message()?;
            }
        }
        Ok(())
    }

    /// How many bytes of framing and metadata the current message has, as far as known.
    fn head_wanted(&self) -> Result<usize> {
        let h = &self.head;
        if h.len() < 4 {
            return Ok(4);
        }
        let (len, prefix) = if le_i32(h, 0) == -1 {
            if h.len() < 8 {
                return Ok(8);
            }
            (le_i32(h, 4), 8)
        } else {
            (le_i32(h, 0), 4)
        };
        if len < 0 {
            return Err(self.error(format!("{}: negative metadata length {len}", self.what())));
        }
        Ok(prefix + len as usize)
    }

    /// The framing and metadata are in: the end-of-stream marker, or a message whose body follows.
    fn start_message(&mut self) -> Result<()> {
        let wanted = self.head_wanted()?;
        if self.head.len() < wanted {
            return Ok(());
        }
        let prefix = if le_i32(&self.head, 0) == -1 { 8 } else { 4 };
        if wanted == prefix {
            // Length 0: the end of the stream.
            self.head.clear();
            self.ended = true;
            return Ok(());
        }
        let body = body_length(&self.head[prefix..], &self.what()).map_err(|e| self.error(e))?;
        let size = wanted.checked_add(body).filter(|&s| s <= self.limit.saturating_sub(self.at));
        let Some(size) = size else {
            return Err(self.error(format!("{}: a body of {body} bytes is more than the source can hold", self.what())));
        };
        let mut buf = MutableBuffer::with_capacity(size.min(MAX_RESERVE));
        buf.extend_from_slice(&self.head);
        self.head.clear();
        self.message = Some((buf, size, prefix));
        if body == 0 {
            self.complete()?;
        }
        Ok(())
    }

    /// A whole message is in: check it, decode it.
    fn complete(&mut self) -> Result<()> {
        let Some((buf, size, prefix)) = self.message.take() else { return Ok(()) };
        let meta_len = le_i32(buf.as_slice(), prefix - 4) as usize;
        let (meta, body) = buf.as_slice()[prefix..].split_at(meta_len);
        self.check.message(meta, body, self.at).map_err(|e| self.error(e))?;
        let bytes: Buffer = buf.into();
        let body = bytes.slice(prefix + meta_len);
        match self.messages.decode(&bytes[prefix..prefix + meta_len], &body) {
            Ok(Some(batch)) => {
                self.rows += batch.num_rows();
                self.batches.push(batch);
            }
            Ok(None) => {}
            Err(e) => {
                let at = if self.batches.is_empty() { "header".to_string() } else { format!("record batch {}", self.batches.len()) };
                return Err(self.error(format!("{at} (at byte {}): {e}", self.at)));
            }
        }
        self.at += size;
        Ok(())
    }

    fn finish(self) -> Result<Vec<RecordBatch>> {
        if let Some((buf, size, _)) = &self.message {
            return Err(self.error(format!("{}: truncated after {} of its {size} bytes", self.what(), buf.len())));
        }
        if !self.head.is_empty() {
            return Err(self.error(format!("{}: truncated message header", self.what())));
        }
        if self.messages.schema().is_none() {
            return Err(self.error("no schema message"));
        }
        Ok(self.batches)
    }
}
