//! Structural checks of Arrow IPC bytes before arrow-ipc decodes them. arrow-ipc trusts buffer
//! offsets and lengths enough to panic on some that lie, and a panic in wasm kills the page; so
//! every message's flatbuffer is verified, every buffer must lie inside its message body, and a
//! compressed buffer may not declare an implausible uncompressed size (runaway allocation).

use arrow_ipc::{root_as_footer, root_as_message, MessageHeader};

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

/// Check one message (metadata flatbuffer + body). `what` names it in errors.
fn check_message(meta: &[u8], body: &[u8], what: &str) -> Result<(), String> {
    let msg = root_as_message(meta).map_err(|e| format!("{what}: corrupted message metadata ({e})"))?;
    let body_len = msg.bodyLength();
    if body_len < 0 || body_len as usize > body.len() {
        return Err(format!("{what}: body of {body_len} bytes runs past the end of the data ({} bytes left)", body.len()));
    }
    let body = &body[..body_len as usize];
    let batch = match msg.header_type() {
        MessageHeader::RecordBatch => msg.header_as_record_batch(),
        MessageHeader::DictionaryBatch => msg.header_as_dictionary_batch().and_then(|d| d.data()),
        _ => None,
    };
    let Some(batch) = batch else { return Ok(()) };
    if batch.length() < 0 {
        return Err(format!("{what}: negative row count {}", batch.length()));
    }
    let compressed = batch.compression().is_some();
    for (i, b) in batch.buffers().into_iter().flatten().enumerate() {
        let (off, len) = (b.offset(), b.length());
        if off < 0 || len < 0 || off.checked_add(len).is_none_or(|end| end > body_len) {
            return Err(format!("{what}: buffer {i} (offset {off}, length {len}) lies outside the {body_len}-byte body"));
        }
        if compressed && len >= 8 {
            let declared = le_i64(body, off as usize).unwrap_or(-1);
            let limit = (len.saturating_mul(MAX_RATIO)).max(MAX_SMALL_EXPANSION);
            if declared < -1 || declared > limit {
                return Err(format!("{what}: buffer {i} declares {declared} bytes uncompressed from {len} compressed (refused)"));
            }
        }
    }
    for (i, n) in batch.nodes().into_iter().flatten().enumerate() {
        if n.length() < 0 || n.null_count() < 0 || n.null_count() > n.length() {
            return Err(format!("{what}: field node {i} has length {} and null count {}", n.length(), n.null_count()));
        }
    }
    Ok(())
}

/// Read the framing of the message at `at`: (metadata, body start). `None` at end of stream.
fn frame(bytes: &[u8], at: usize, what: &str) -> Result<Option<(usize, usize)>, String> {
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
    let mut n = 0usize;
    while let Some((meta_at, body_at)) = frame(bytes, at, &format!("message {n}"))? {
        let what = format!("message {n} (at byte {at})");
        check_message(&bytes[meta_at..body_at], &bytes[body_at..], &what)?;
        let body_len = root_as_message(&bytes[meta_at..body_at]).map(|m| m.bodyLength()).unwrap_or(0) as usize;
        at = body_at + body_len;
        n += 1;
    }
    Ok(())
}

pub fn check_file(bytes: &[u8]) -> Result<(), String> {
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
    let blocks = footer.dictionaries().into_iter().flatten().chain(footer.recordBatches().into_iter().flatten());
    for (i, b) in blocks.enumerate() {
        let (off, meta, body) = (b.offset(), b.metaDataLength() as i64, b.bodyLength());
        let end = off.checked_add(meta).and_then(|x| x.checked_add(body));
        if off < 8 || meta < 0 || body < 0 || end.is_none_or(|e| e as usize > footer_at) {
            return Err(format!("block {i} (offset {off}, metadata {meta}, body {body}) lies outside the file"));
        }
        let what = format!("block {i} (at byte {off})");
        let Some((meta_at, body_at)) = frame(&bytes[..(off + meta) as usize], off as usize, &what)? else {
            return Err(format!("{what}: empty message"));
        };
        let body_start = (off + meta) as usize;
        let _ = body_at;
        check_message(&bytes[meta_at..body_at.min(body_start)], &bytes[body_start..footer_at], &what)?;
    }
    Ok(())
}
