//! Structural checks of Arrow IPC bytes before arrow-ipc decodes them. arrow-ipc trusts buffer
//! offsets and lengths enough to panic on some that lie, and a panic in wasm kills the page; so
//! every message's flatbuffer is verified, every buffer must lie inside its message body, and a
//! compressed buffer may not declare an implausible uncompressed size (runaway allocation).

use arrow_schema::DataType;
use arrow_ipc::{root_as_footer, root_as_message, Field as FbField, MessageHeader, Schema as FbSchema, Type};

/// A compressed buffer may expand to at most this many times its size, or this many bytes.
const MAX_RATIO: i64 = 256;
const MAX_SMALL_EXPANSION: i64 = 64 << 20;

fn le_i32(b: &[u8], at: usize) -> Option<i32> {
    b.get(at..at + 4).map(|x| i32::from_le_bytes([x[0], x[1], x[2], x[3]]))
}

fn le_i64(b: &[u8], at: usize) -> Option<i64> {
    b.get(at..at + 8).map(|x| {
        let mut a = [0u8; 8];
        a.copy_from_slice(x);
        i64::from_le_bytes(a)
    })
}

/// Union columns: arrow-ipc slices their type ids by the node length unchecked, and telemetry has
/// no use for them, so they are refused.
fn check_field(f: FbField, depth: usize) -> Result<(), String> {
    let name = f.name().unwrap_or("?");
    if f.type_type() == Type::Union {
        return Err(format!("column {name:?} is a union, which Apiary does not read"));
    }
    if depth > 64 {
        return Err(format!("column {name:?} nests more than 64 levels deep"));
    }
    for c in f.children().into_iter().flatten() {
        check_field(c, depth + 1)?;
    }
    Ok(())
}

fn check_schema(s: FbSchema, what: &str) -> Result<(), String> {
    for f in s.fields().into_iter().flatten() {
        check_field(f, 0).map_err(|e| format!("{what}: {e}"))?;
    }
    Ok(())
}

/// Byte widths of the buffers a column of type `t` has in an IPC record batch, in order (0 where
/// any length is fine: bitmaps, variable-width data). Dictionary columns use their index type.
fn buffer_widths(t: &DataType, out: &mut Vec<usize>, variadic: &mut dyn Iterator<Item = i64>) {
    use arrow_data::BufferSpec;
    let t = match t {
        DataType::Dictionary(k, _) => k.as_ref(),
        other => other,
    };
    if matches!(t, DataType::Null | DataType::RunEndEncoded(..)) {
        // Null has no buffers; run-end encoded arrays only have children.
    } else {
        out.push(0); // validity bitmap
        let layout = arrow_data::layout(t);
        for b in &layout.buffers {
            out.push(match b {
                BufferSpec::FixedWidth { byte_width, .. } => *byte_width,
                _ => 0,
            });
        }
        if layout.variadic {
            for _ in 0..variadic.next().unwrap_or(0).clamp(0, 1 << 20) {
                out.push(0);
            }
        }
    }
    match t {
        DataType::List(f) | DataType::LargeList(f) | DataType::FixedSizeList(f, _) | DataType::Map(f, _) | DataType::ListView(f) | DataType::LargeListView(f) => {
            buffer_widths(f.data_type(), out, variadic)
        }
        DataType::Struct(fs) => fs.iter().for_each(|f| buffer_widths(f.data_type(), out, variadic)),
        DataType::RunEndEncoded(a, b) => {
            buffer_widths(a.data_type(), out, variadic);
            buffer_widths(b.data_type(), out, variadic);
        }
        _ => {}
    }
}

/// Where the checks need the schema: the Arrow types of the record batch columns, and of each
/// dictionary by id.
#[derive(Default)]
pub struct Layouts {
    columns: Vec<DataType>,
    dictionaries: Vec<(i64, DataType)>,
}

impl Layouts {
    fn from_schema(s: FbSchema) -> Layouts {
        let Ok(schema) = arrow_ipc::convert::try_fb_to_schema(s) else { return Layouts::default() };
        let mut dictionaries = Vec::new();
        let mut next_id = Vec::new();
        // Dictionary ids as the flatbuffer fields give them, in field order (depth first).
        fn ids(f: FbField, out: &mut Vec<i64>) {
            if let Some(d) = f.dictionary() {
                out.push(d.id());
            }
            for c in f.children().into_iter().flatten() {
                ids(c, out);
            }
        }
        for f in s.fields().into_iter().flatten() {
            ids(f, &mut next_id);
        }
        fn dict_types(t: &DataType, out: &mut Vec<DataType>) {
            if let DataType::Dictionary(_, v) = t {
                out.push(v.as_ref().clone());
            }
            match t {
                DataType::List(f) | DataType::LargeList(f) | DataType::FixedSizeList(f, _) | DataType::Map(f, _) => dict_types(f.data_type(), out),
                DataType::Struct(fs) => fs.iter().for_each(|f| dict_types(f.data_type(), out)),
                _ => {}
            }
        }
        let mut types = Vec::new();
        for f in schema.fields() {
            dict_types(f.data_type(), &mut types);
        }
        for (id, t) in next_id.into_iter().zip(types) {
            dictionaries.push((id, t));
        }
        Layouts { columns: schema.fields().iter().map(|f| f.data_type().clone()).collect(), dictionaries }
    }
}

/// Rows and bytes of data seen so far in one stream or file.
#[derive(Default)]
pub struct Totals {
    rows: u64,
    data: u64,
}

/// Rows that take no bytes: a batch of only null-typed columns (or of none) may declare any row
/// count in an empty body, and every query would then walk billions of rows. Past this many rows
/// beyond one per bit of data, a source is refused.
const FREE_ROWS: u64 = 1 << 24;

/// Check one message (metadata flatbuffer + body). `what` names it in errors.
fn check_message(meta: &[u8], body: &[u8], what: &str, layouts: &mut Layouts, totals: &mut Totals) -> Result<(), String> {
    let msg = root_as_message(meta).map_err(|e| format!("{what}: corrupted message metadata ({e})"))?;
    let body_len = msg.bodyLength();
    if body_len < 0 || body_len as usize > body.len() {
        return Err(format!("{what}: body of {body_len} bytes runs past the end of the data ({} bytes left)", body.len()));
    }
    let body = &body[..body_len as usize];
    if let Some(schema) = msg.header_as_schema() {
        check_schema(schema, what)?;
        *layouts = Layouts::from_schema(schema);
    }
    let (batch, types) = match msg.header_type() {
        MessageHeader::RecordBatch => (msg.header_as_record_batch(), layouts.columns.clone()),
        MessageHeader::DictionaryBatch => {
            let d = msg.header_as_dictionary_batch();
            let id = d.map(|d| d.id());
            let t = layouts.dictionaries.iter().find(|(i, _)| Some(*i) == id).map(|(_, t)| vec![t.clone()]).unwrap_or_default();
            (d.and_then(|d| d.data()), t)
        }
        _ => (None, Vec::new()),
    };
    let Some(batch) = batch else { return Ok(()) };
    let mut widths = Vec::new();
    let mut variadic = batch.variadicBufferCounts().into_iter().flatten();
    for t in &types {
        buffer_widths(t, &mut widths, &mut variadic);
    }
    if batch.length() < 0 {
        return Err(format!("{what}: negative row count {}", batch.length()));
    }
    let compressed = batch.compression().is_some();
    let mut data_lens = 0u64;
    for (i, b) in batch.buffers().into_iter().flatten().enumerate() {
        let (off, len) = (b.offset(), b.length());
        if off < 0 || len < 0 || off.checked_add(len).is_none_or(|end| end > body_len) {
            return Err(format!("{what}: buffer {i} (offset {off}, length {len}) lies outside the {body_len}-byte body"));
        }
        // The format aligns buffers to 8 bytes; arrow-ipc panics on misaligned ones.
        if off % 8 != 0 {
            return Err(format!("{what}: buffer {i} starts at offset {off}, not a multiple of 8"));
        }
        let width = widths.get(i).copied().unwrap_or(0) as i64;
        let mut data_len = len;
        if let Some(declared) = uncompressed_length(body, off as usize, len as usize).filter(|_| compressed) {
            let limit = (len.saturating_mul(MAX_RATIO)).max(MAX_SMALL_EXPANSION);
            if declared < 0 || declared > limit {
                return Err(format!("{what}: buffer {i} declares {declared} bytes uncompressed from {len} compressed (refused)"));
            }
            data_len = declared;
        }
        data_lens = data_lens.saturating_add(data_len.max(0) as u64);
        // A buffer of fixed-width values must hold whole values.
        if width > 1 && data_len % width != 0 {
            return Err(format!("{what}: buffer {i} has {data_len} bytes, not a whole number of {width}-byte values"));
        }
    }
    totals.rows = totals.rows.saturating_add(batch.length() as u64);
    totals.data = totals.data.saturating_add(data_lens);
    if totals.rows > totals.data.saturating_mul(8).saturating_add(FREE_ROWS) {
        return Err(format!("{what}: {} rows so far in {} bytes of data: too many rows for the data that holds them", totals.rows, totals.data));
    }
    for (i, n) in batch.nodes().into_iter().flatten().enumerate() {
        if n.length() < 0 || n.null_count() < 0 || n.null_count() > n.length() {
            return Err(format!("{what}: field node {i} has length {} and null count {}", n.length(), n.null_count()));
        }
    }
    Ok(())
}

/// Whether the first record batch of an Arrow IPC stream or file is ZSTD-compressed: `None`
/// while `bytes` (the start of the source) do not reach that batch's metadata yet.
pub fn first_batch_zstd(bytes: &[u8]) -> Option<bool> {
    // A file starts with its magic, then its messages as a stream has them.
    let mut at = if bytes.starts_with(b"ARROW1") { 8 } else { 0 };
    loop {
        let (meta_at, body_at) = frame(bytes, at, "").ok()??;
        let msg = root_as_message(&bytes[meta_at..body_at]).ok()?;
        if let Some(batch) = msg.header_as_record_batch() {
            return Some(batch.compression().is_some_and(|c| c.codec() == arrow_ipc::CompressionType::ZSTD));
        }
        // A lying body length must not wrap around (on wasm32) and walk back: the walk only goes forward.
        at = body_at.checked_add(usize::try_from(msg.bodyLength()).ok()?)?;
    }
}

/// Read the framing of the message at `at`: (metadata, body start). `None` at end of stream.
pub(super) fn frame(bytes: &[u8], at: usize, what: &str) -> Result<Option<(usize, usize)>, String> {
    let Some(first) = le_i32(bytes, at) else {
        return if at >= bytes.len() { Ok(None) } else { Err(format!("{what}: truncated message header")) };
    };
    let (len, meta_at) = if first == -1 {
        (le_i32(bytes, at + 4).ok_or_else(|| format!("{what}: truncated message header"))?, at + 8)
    } else {
        (first, at + 4)
    };
    if len == 0 {
        return Ok(None);
    }
    if len < 0 || meta_at + len as usize > bytes.len() {
        return Err(format!("{what}: metadata of {len} bytes runs past the end of the data"));
    }
    Ok(Some((meta_at, meta_at + len as usize)))
}

pub fn check_stream(bytes: &[u8]) -> Result<(), String> {
    let mut at = 0usize;
    let mut check = StreamCheck::default();
    while let Some((meta_at, body_at)) = frame(bytes, at, &format!("message {}", check.messages))? {
        check.message(&bytes[meta_at..body_at], &bytes[body_at..], at)?;
        let body_len = body_length(&bytes[meta_at..body_at], "message")?;
        at = body_at + body_len;
    }
    Ok(())
}

/// The checks of [`check_stream`] one message at a time, for a stream whose bytes arrive in
/// pieces: the schema message sets the layouts the later messages are checked against.
#[derive(Default)]
pub struct StreamCheck {
    layouts: Layouts,
    totals: Totals,
    /// Messages checked so far.
    pub messages: usize,
}

impl StreamCheck {
    /// Check one whole message: its metadata flatbuffer and its body, `at` bytes into the stream.
    pub fn message(&mut self, meta: &[u8], body: &[u8], at: usize) -> Result<(), String> {
        let what = format!("message {} (at byte {at})", self.messages);
        check_message(meta, body, &what, &mut self.layouts, &mut self.totals)?;
        self.messages += 1;
        Ok(())
    }
}

/// The length of a compressed buffer's data once decompressed, from the 8 bytes it starts with
/// (-1: stored as is after them; arrow-ipc checks what it decompresses against this); `None` for
/// a buffer too short to hold them, which arrow-ipc refuses.
pub(super) fn uncompressed_length(body: &[u8], off: usize, len: usize) -> Option<i64> {
    match le_i64(body, off).filter(|_| len >= 8)? {
        -1 => Some(len as i64 - 8),
        n => Some(n),
    }
}

/// Where a message lies in the bytes.
#[derive(Clone, Copy)]
pub(super) struct Span {
    /// Its first byte (the framing).
    pub start: usize,
    /// Its metadata flatbuffer: start and end.
    pub meta: (usize, usize),
    /// Its body: start and length.
    pub body: (usize, usize),
}

/// The body length a message's metadata declares (the flatbuffer verified first).
pub fn body_length(meta: &[u8], what: &str) -> Result<usize, String> {
    let msg = root_as_message(meta).map_err(|e| format!("{what}: corrupted message metadata ({e})"))?;
    usize::try_from(msg.bodyLength()).map_err(|_| format!("{what}: negative body length {}", msg.bodyLength()))
}

/// Check an Arrow IPC file: its footer, and each block's message as [`check_stream`] checks a
/// stream's. Gives the footer's schema and where each block's message lies (dictionaries first,
/// then record batches).
pub fn check_file(bytes: &[u8]) -> Result<(arrow_schema::Schema, Vec<Span>), String> {
    let n = bytes.len();
    if n < 18 || &bytes[n - 6..] != b"ARROW1" {
        return Err("truncated: the file does not end with the ARROW1 footer magic".into());
    }
    let footer_len = le_i32(bytes, n - 10).unwrap_or(-1);
    if footer_len < 0 || footer_len as usize > n - 18 {
        return Err(format!("footer length {footer_len} does not fit in the file"));
    }
    let footer_at = n - 10 - footer_len as usize;
    let footer = root_as_footer(&bytes[footer_at..n - 10]).map_err(|e| format!("corrupted footer ({e})"))?;
    let (mut layouts, mut totals, mut spans) = (Layouts::default(), Totals::default(), Vec::new());
    if let Some(schema) = footer.schema() {
        check_schema(schema, "footer schema")?;
        layouts = Layouts::from_schema(schema);
    }
    let blocks = footer.dictionaries().into_iter().flatten().chain(footer.recordBatches().into_iter().flatten());
    for (i, b) in blocks.enumerate() {
        let (off, meta, body) = (b.offset(), b.metaDataLength() as i64, b.bodyLength());
        let end = off.checked_add(meta).and_then(|x| x.checked_add(body));
        if off < 8 || meta < 0 || body < 0 || end.is_none_or(|e| e as usize > footer_at) {
            return Err(format!("block {i} (offset {off}, metadata {meta}, body {body}) lies outside the file"));
        }
        if off % 8 != 0 || meta % 8 != 0 {
            return Err(format!("block {i} (offset {off}, metadata {meta}) is not 8-byte aligned"));
        }
        let what = format!("block {i} (at byte {off})");
        let Some((meta_at, body_at)) = frame(&bytes[..(off + meta) as usize], off as usize, &what)? else {
            return Err(format!("{what}: empty message"));
        };
        // arrow-ipc takes the body length from the block, so buffers must fit in that too.
        let body_start = (off + meta) as usize;
        let meta_end = body_at.min(body_start);
        check_message(&bytes[meta_at..meta_end], &bytes[body_start..body_start + body as usize], &what, &mut layouts, &mut totals)?;
        spans.push(Span { start: off as usize, meta: (meta_at, meta_end), body: (body_start, body as usize) });
    }
    let schema = footer.schema().ok_or("no schema in the footer")?;
    let schema = arrow_ipc::convert::try_fb_to_schema(schema).map_err(|e| format!("footer schema: {e}"))?;
    Ok((schema, spans))
}

#[cfg(test)]
mod zstd_tests {
    use super::first_batch_zstd;

    fn fixture(name: &str) -> Vec<u8> {
        std::fs::read(format!("tests/fixtures/{name}")).unwrap()
    }

    #[test]
    fn the_first_batch_tells_zstd_from_the_rest() {
        let zstd = fixture("wide_zstd.arrows");
        assert_eq!(first_batch_zstd(&zstd), Some(true));
        // Not known until the first batch's metadata has arrived.
        assert_eq!(first_batch_zstd(&zstd[..64]), None);
        assert_eq!(first_batch_zstd(&fixture("flat.arrows")), Some(false));
        // A file (LZ4 buffers): past its magic, the same walk.
        assert_eq!(first_batch_zstd(&fixture("wide.arrow")), Some(false));
        assert_eq!(first_batch_zstd(b"not arrow at all"), None);
        // A schema message whose body claims to run past the end: unknown, never a hang.
        let mut lying = zstd.clone();
        let (meta_at, body_at) = super::frame(&lying, 0, "").unwrap().unwrap();
        let msg = arrow_ipc::root_as_message(&lying[meta_at..body_at]).unwrap();
        assert!(msg.header_as_schema().is_some());
        lying.truncate(body_at + 8);
        assert_eq!(first_batch_zstd(&lying), None);
    }
}
