//! Parquet page headers walked before the parquet crate reads them. The crate (60.1) reads a page
//! header with a Thrift reader over `Read` that skips a list's boolean elements without reading a
//! byte and skips bytes past the end without failing, so a header declaring a list of 2^31
//! booleans loops 2^31 times: a 2.5 kB file held the decoder for seconds, and one such header per
//! column chunk for minutes (found by fuzzing, FUZZING.md). This walk reads every page header of a
//! column chunk the way the crate will (the same fields by id, the same skips), and refuses one
//! whose collections declare more elements than the chunk has bytes left: in a well-formed header
//! every element takes at least a byte, so no real file is refused. The footer is walked too
//! ([`check_footer`]): the schema's group sizes, which the crate reserves memory for before reading
//! them, and collections (in fields the crate skips) declaring more elements than it has bytes.

/// Thrift compact protocol types (field types; list element type 1 is a boolean too).
const BOOL_TRUE: u8 = 1;
const BOOL_FALSE: u8 = 2;
const BYTE: u8 = 3;
const DOUBLE: u8 = 7;
const BINARY: u8 = 8;
const LIST: u8 = 9;
const SET: u8 = 10;
const MAP: u8 = 11;
const STRUCT: u8 = 12;
const UUID: u8 = 13;

/// The crate's skip depth.
const MAX_DEPTH: u32 = 64;

/// Walks the page headers of every column chunk in `bytes` (the whole file; chunks already known
/// to lie inside it), then checks the lengths that delta-encoded strings declare (see
/// [`check_delta_strings`]) in the chunks whose pages use those encodings.
pub(super) fn check(meta: &parquet::file::metadata::ParquetMetaData, bytes: &bytes::Bytes) -> Result<(), String> {
    // Values a page may declare beyond one per bit of the file, as rows are ([`super::parquet`]).
    let bound = (bytes.len() as u64).saturating_mul(8).saturating_add(1 << 24);
    for (g, rg) in meta.row_groups().iter().enumerate() {
        for (c, col) in rg.columns().iter().enumerate() {
            let start = col.dictionary_page_offset().unwrap_or(col.data_page_offset()) as usize;
            let end = start + col.compressed_size() as usize;
            let at = |e: String| format!("row group {g}, column {c} ({}): {e}", col.column_path());
            if chunk(&bytes[..end], start).map_err(at)? {
                let descr = meta.file_metadata().schema_descr().column(c);
                check_delta_strings(bytes, col, &descr, rg.num_rows().max(0) as usize, bound).map_err(at)?;
            }
        }
    }
    Ok(())
}

/// Nesting the schema may have: the crate builds its schema tree recursively, a level of the
/// stack per level of groups (as deep as the crate's own skip depth).
const MAX_SCHEMA_DEPTH: usize = 64;

/// The footer, walked before the crate reads it. Its schema: the crate reserves room for
/// each group's declared number of children before reading them (fuzzing found 2^31 children
/// declared in a 1 kB file: an allocation of 6 GB, which aborts the process or kills the page),
/// and builds the tree recursively (a chain of nested groups deep enough overflows the stack).
/// So every group must declare no more children than the schema has elements left for them and
/// its ancestors, and groups nest at most [`MAX_SCHEMA_DEPTH`] levels. The walk covers the whole
/// footer ([`walk_footer`]); a footer it cannot read is refused with what it found (the crate
/// could hang on it).
pub(super) fn check_footer(file: &[u8]) -> Result<(), String> {
    let Some(meta) = footer(file) else { return Ok(()) };
    let Some(children) = walk_footer(meta)? else { return Ok(()) };
    let n = children.len();
    // Elements still owed to the open groups, and each open group's count.
    let (mut owed, mut open) = (0u64, Vec::<u64>::new());
    for (i, &c) in children.iter().enumerate() {
        if let Some(left) = open.last_mut() {
            *left -= 1;
            owed -= 1;
        }
        if c > 0 {
            owed += c as u64;
            if owed > (n - i - 1) as u64 {
                return Err(format!(
                    "schema element {i} declares {c} children, more than the {} elements after it can give (the footer is corrupted)",
                    n - i - 1
                ));
            }
            open.push(c as u64);
            if open.len() > MAX_SCHEMA_DEPTH {
                return Err(format!("the schema nests groups more than {MAX_SCHEMA_DEPTH} levels deep"));
            }
        }
        while open.last() == Some(&0) {
            open.pop();
        }
    }
    Ok(())
}

/// The footer's Thrift bytes: `... metadata, its length (4 bytes), "PAR1"`.
fn footer(file: &[u8]) -> Option<&[u8]> {
    let tail = file.len().checked_sub(8)?;
    if &file[tail + 4..] != b"PAR1" {
        return None;
    }
    let len = u32::from_le_bytes(file[tail..tail + 4].try_into().ok()?) as usize;
    file.get(tail.checked_sub(len)?..tail)
}

/// Walks the whole FileMetaData as the crate reads it (fields by id: 1 the version, 2 the schema,
/// whose SchemaElements have 1-3 and 5-9 integers and 4 the name; every other field, here and
/// nested, skipped by its declared type as the crate skips it) and returns each schema element's
/// `num_children` (field 5; 0 when absent), `None` when the footer has no schema. A collection
/// may declare at most one element per byte left in the footer: the crate skips a boolean
/// element, or a map entry of two, without reading a byte, so fuzzing found a 35-byte file whose
/// footer declared a map of 805 million boolean pairs in an unknown field, which held the decoder
/// for seconds, and as many such maps as a footer has room for would hold it for minutes.
fn walk_footer(meta: &[u8]) -> Result<Option<Vec<i64>>, String> {
    let mut h = Header { bytes: meta, at: 0, budget: meta.len(), within: "the footer" };
    let (mut last, mut schema) = (0, None);
    loop {
        let (ty, id) = h.field(last)?;
        match (ty, id) {
            (0, _) => return Ok(schema),
            (_, 1) => h.skip_varint()?,
            (_, 2) => schema = Some(schema_elements(&mut h)?),
            _ => h.skip_value(ty, MAX_DEPTH)?,
        }
        last = id;
    }
}

/// The schema's list of SchemaElements (read as a list whatever the field's declared type, as the
/// crate reads it): each one's `num_children`.
fn schema_elements(h: &mut Header) -> Result<Vec<i64>, String> {
    let b = h.byte()?;
    let n = if b >> 4 == 15 { h.varint()? } else { u64::from(b >> 4) };
    h.elements(n)?;
    let mut children = Vec::with_capacity(n as usize);
    for _ in 0..n {
        let (mut last, mut c) = (0, 0);
        loop {
            let (ty, id) = h.field(last)?;
            match (ty, id) {
                (0, _) => break,
                (_, 5) => c = h.zigzag()? as i32 as i64,
                (_, 1..=3 | 6..=9) => h.skip_varint()?,
                (_, 4) => {
                    let len = h.varint()?;
                    h.skip(len)?;
                }
                _ => h.skip_value(ty, MAX_DEPTH)?,
            }
            last = id;
        }
        children.push(c);
    }
    Ok(children)
}

/// The pages of one column chunk, `bytes[start..]`: header, body, header, body, ... to the end.
/// Returns whether a data page holds delta-encoded strings.
fn chunk(bytes: &[u8], start: usize) -> Result<bool, String> {
    let (mut at, mut delta) = (start, false);
    while at < bytes.len() {
        let mut h = Header { bytes, at, budget: bytes.len() - at, within: "its column chunk" };
        let (body, encoding) = h.page().map_err(|e| format!("the page header at byte {at}: {e}"))?;
        let body = usize::try_from(body).map_err(|_| format!("the page header at byte {at} declares a body of {body} bytes"))?;
        if body > bytes.len() - h.at {
            return Err(format!("the page at byte {at} declares a body of {body} bytes, more than the {} left in its column chunk", bytes.len() - h.at));
        }
        delta |= encoding.is_some_and(|e| e == DELTA_LENGTH_BYTE_ARRAY || e == DELTA_BYTE_ARRAY);
        at = h.at + body;
    }
    Ok(delta)
}

/// Parquet's encodings of strings as delta-encoded lengths.
const DELTA_LENGTH_BYTE_ARRAY: i64 = 6;
const DELTA_BYTE_ARRAY: i64 = 7;

/// The parquet crate sizes a vector by the value count a DELTA_LENGTH_BYTE_ARRAY or
/// DELTA_BYTE_ARRAY page's data declares (`vec![0; n]`) before it reads a value, and a count of
/// 2^58 in a few bytes is an allocation that aborts the process (found by fuzzing, FUZZING.md).
/// So, in the chunks whose pages use those encodings, each such page is read as the crate reads
/// it (decompressed, past its levels) and its counts must not exceed the page's values nor
/// `bound`. Pages the crate cannot read are left to it: it reports them.
fn check_delta_strings(bytes: &bytes::Bytes, col: &parquet::file::metadata::ColumnChunkMetaData, descr: &parquet::schema::types::ColumnDescriptor, rows: usize, bound: u64) -> Result<(), String> {
    use parquet::basic::Encoding;
    use parquet::column::page::Page;
    use parquet::data_type::Int32Type;
    use parquet::encodings::decoding::{Decoder, DeltaBitPackDecoder};

    let Ok(pages) = parquet::file::serialized_reader::SerializedPageReader::new(std::sync::Arc::new(bytes.clone()), col, rows, None) else { return Ok(()) };
    for (p, page) in pages.enumerate() {
        let Ok(page) = page else { return Ok(()) };
        let (buf, values_at, num_values, encoding) = match page {
            Page::DataPage { buf, num_values, encoding, def_level_encoding, rep_level_encoding, .. } => {
                let mut at = 0;
                for (max, enc) in [(descr.max_rep_level(), rep_level_encoding), (descr.max_def_level(), def_level_encoding)] {
                    if max > 0 {
                        let Some(n) = v1_levels_len(&buf[at.min(buf.len())..], max, num_values, enc) else { return Ok(()) };
                        at += n;
                    }
                }
                (buf, at, num_values, encoding)
            }
            Page::DataPageV2 { buf, num_values, encoding, def_levels_byte_len, rep_levels_byte_len, .. } => (buf, def_levels_byte_len as usize + rep_levels_byte_len as usize, num_values, encoding),
            Page::DictionaryPage { .. } => continue,
        };
        if !matches!(encoding, Encoding::DELTA_LENGTH_BYTE_ARRAY | Encoding::DELTA_BYTE_ARRAY) || values_at > buf.len() {
            continue;
        }
        let limit = u64::from(num_values).min(bound);
        let data = buf.slice(values_at..);
        let mut lengths = DeltaBitPackDecoder::<Int32Type>::new();
        if lengths.set_data(data.clone(), 0).is_err() {
            continue;
        }
        let declared = |n: usize, what: &str| -> Result<(), String> {
            if n as u64 > limit {
                return Err(format!("data page {p} declares {n} {what} for its {num_values} values: the file is corrupted or made to exhaust memory"));
            }
            Ok(())
        };
        declared(lengths.values_left(), "string lengths")?;
        if encoding == Encoding::DELTA_BYTE_ARRAY {
            // The suffix lengths follow the prefix lengths.
            let mut prefixes = vec![0; lengths.values_left()];
            if lengths.get(&mut prefixes).is_err() || lengths.get_offset() > data.len() {
                continue;
            }
            let mut suffixes = DeltaBitPackDecoder::<Int32Type>::new();
            if suffixes.set_data(data.slice(lengths.get_offset()..), 0).is_ok() {
                declared(suffixes.values_left(), "string suffix lengths")?;
            }
        }
    }
    Ok(())
}

/// The bytes a data page (v1) gives its repetition or definition levels, as the crate reads them.
fn v1_levels_len(buf: &[u8], max: i16, num_values: u32, encoding: parquet::basic::Encoding) -> Option<usize> {
    match encoding {
        parquet::basic::Encoding::RLE => {
            let n = i32::from_le_bytes(buf.get(..4)?.try_into().ok()?);
            Some(4 + usize::try_from(n).ok()?)
        }
        #[allow(deprecated)]
        parquet::basic::Encoding::BIT_PACKED => {
            let width = (16 - max.leading_zeros()) as usize;
            Some((num_values as usize * width).div_ceil(8))
        }
        _ => None,
    }
}

/// A cursor over one page header (or the footer). `budget` counts the collection elements it may
/// still declare: at most one per byte left in what it walks (`within`, named in messages).
struct Header<'a> {
    bytes: &'a [u8],
    at: usize,
    budget: usize,
    within: &'static str,
}

impl Header<'_> {
    fn byte(&mut self) -> Result<u8, String> {
        let b = *self.bytes.get(self.at).ok_or_else(|| format!("it runs past the end of {}", self.within))?;
        self.at += 1;
        Ok(b)
    }

    fn skip(&mut self, n: u64) -> Result<(), String> {
        if n > (self.bytes.len() - self.at) as u64 {
            return Err(format!("it declares {n} bytes where {} has {} left", self.within, self.bytes.len() - self.at));
        }
        self.at += n as usize;
        Ok(())
    }

    fn varint(&mut self) -> Result<u64, String> {
        let (mut v, mut shift) = (0u64, 0u32);
        loop {
            let b = self.byte()?;
            v |= u64::from(b & 0x7f).wrapping_shl(shift);
            if b & 0x80 == 0 {
                return Ok(v);
            }
            shift += 7;
        }
    }

    fn zigzag(&mut self) -> Result<i64, String> {
        let v = self.varint()?;
        Ok((v >> 1) as i64 ^ -((v & 1) as i64))
    }

    /// Takes `n` collection elements from the budget.
    fn elements(&mut self, n: u64) -> Result<(), String> {
        if n > self.budget as u64 {
            return Err(format!("a collection declares {n} elements, more than the {} bytes left in {} can hold", self.budget, self.within));
        }
        self.budget -= n as usize;
        Ok(())
    }

    /// A field header: its type (0 ends the struct) and id.
    fn field(&mut self, last: i16) -> Result<(u8, i16), String> {
        let b = self.byte()?;
        let ty = b & 0x0f;
        if ty == 0 {
            return Ok((0, 0));
        }
        if ty > UUID {
            return Err(format!("unknown Thrift field type {ty}"));
        }
        let delta = (b >> 4) as i16;
        let id = if delta != 0 { last.checked_add(delta).ok_or("its field ids overflow")? } else { self.zigzag()? as i16 };
        Ok((ty, id))
    }

    /// The page header: returns its compressed page size (the body's bytes) and, for a data
    /// page, its values' encoding.
    fn page(&mut self) -> Result<(i64, Option<i64>), String> {
        let (mut last, mut size, mut encoding) = (0, None, None);
        loop {
            let (ty, id) = self.field(last)?;
            match (ty, id) {
                (0, _) => break,
                (_, 3) => size = Some(self.zigzag()? as i32 as i64),
                (_, 1 | 2 | 4) => self.skip_varint()?,
                (_, 5) => encoding = self.known_struct(&[1, 2, 3, 4], &[], 2)?,
                (_, 8) => encoding = self.known_struct(&[1, 2, 3, 4, 5, 6], &[7], 4)?,
                (_, 6) => _ = self.known_struct(&[], &[], 0)?,
                (_, 7) => _ = self.known_struct(&[1, 2], &[3], 0)?,
                _ => self.skip_value(ty, MAX_DEPTH)?,
            }
            last = id;
        }
        Ok((size.ok_or("it has no compressed page size")?, encoding))
    }

    fn skip_varint(&mut self) -> Result<(), String> {
        self.varint().map(|_| ())
    }

    /// A struct the crate reads field by field: `ints` are read as integers and `bools` take their
    /// value from the field header whatever the declared type; other fields are skipped by type.
    /// Returns the value of field `want` (one of `ints`).
    fn known_struct(&mut self, ints: &[i16], bools: &[i16], want: i16) -> Result<Option<i64>, String> {
        let (mut last, mut wanted) = (0, None);
        loop {
            let (ty, id) = self.field(last)?;
            if ty == 0 {
                return Ok(wanted);
            }
            if ints.contains(&id) {
                let v = self.zigzag()? as i32 as i64;
                if id == want {
                    wanted = Some(v);
                }
            } else if bools.contains(&id) {
                if ty != BOOL_TRUE && ty != BOOL_FALSE {
                    return Err(format!("field {id} should be a boolean"));
                }
            } else {
                self.skip_value(ty, MAX_DEPTH)?;
            }
            last = id;
        }
    }

    /// Skips a value of type `ty` as the crate does (a boolean list element reads no byte).
    fn skip_value(&mut self, ty: u8, depth: u32) -> Result<(), String> {
        if depth == 0 {
            return Err(format!("its values nest more than {MAX_DEPTH} levels deep"));
        }
        match ty {
            BOOL_TRUE | BOOL_FALSE => Ok(()),
            BYTE => self.skip(1),
            4..=6 => self.skip_varint(),
            DOUBLE => self.skip(8),
            UUID => self.skip(16),
            BINARY => {
                let n = self.varint()?;
                self.skip(n)
            }
            STRUCT => loop {
                let (t, _) = self.field(0)?;
                if t == 0 {
                    return Ok(());
                }
                self.skip_value(t, depth - 1)?;
            },
            LIST | SET => {
                let b = self.byte()?;
                if b == 0 {
                    return Ok(());
                }
                let elem = element_type(b & 0x0f)?;
                let n = if b >> 4 == 15 { self.varint()? } else { u64::from(b >> 4) };
                self.elements(n)?;
                for _ in 0..n {
                    self.skip_value(elem, depth - 1)?;
                }
                Ok(())
            }
            MAP => {
                let n = self.varint()?;
                if n == 0 {
                    return Ok(());
                }
                let kv = self.byte()?;
                let (k, v) = (element_type(kv >> 4)?, element_type(kv & 0x0f)?);
                self.elements(n.saturating_mul(2))?;
                for _ in 0..n {
                    self.skip_value(k, depth - 1)?;
                    self.skip_value(v, depth - 1)?;
                }
                Ok(())
            }
            _ => Err(format!("unknown Thrift type {ty}")),
        }
    }
}

/// A collection's element type as a field type (1 and 2 both mean boolean).
fn element_type(t: u8) -> Result<u8, String> {
    match t {
        1 | 2 => Ok(BOOL_TRUE),
        3..=13 => Ok(t),
        _ => Err(format!("unknown Thrift element type {t}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn walk(bytes: &[u8]) -> Result<(), String> {
        chunk(bytes, 0).map(|_| ())
    }

    #[test]
    fn a_plain_header_then_its_body() {
        // type 0 (i32 field 1), uncompressed 3 (field 2), compressed 3 (field 3), stop; 3 bytes.
        let page = [0x15, 0x00, 0x15, 0x06, 0x15, 0x06, 0x00, 9, 9, 9];
        walk(&page).unwrap();
        // The body declared longer than the chunk.
        let e = walk(&page[..9]).unwrap_err();
        assert!(e.contains("declares a body of 3 bytes, more than the 2 left"), "{e}");
        // No compressed size at all.
        assert!(walk(&[0x15, 0x00, 0x00]).unwrap_err().contains("no compressed page size"));
    }

    #[test]
    fn a_boolean_list_longer_than_the_chunk_is_refused_at_once() {
        // Field 15 (unknown: skipped): a list of 2^31 booleans, then the real fields.
        let mut page = vec![0xf9, 0xf1, 0x80, 0x80, 0x80, 0x80, 0x08];
        page.extend([0x05, 0x00, 0x00]);
        let e = walk(&page).unwrap_err();
        assert!(e.contains("2147483648 elements") && e.contains("at byte 0"), "{e}");
        // Four booleans in a chunk that has the bytes: walked like the crate (no byte each).
        let page = [0xf9, 0x41, 0x05, 0x06, 0x00, 0x00];
        walk(&page).unwrap();
        // Nested lists share one budget: 3 lists of 3 booleans need 9 elements, 6 bytes are left.
        let page = [0xf9, 0x39, 0x31, 0x31, 0x31, 0x00, 0x00];
        assert!(walk(&page).unwrap_err().contains("elements"));
    }

    #[test]
    fn known_fields_are_read_by_their_id_not_their_declared_type() {
        // Field 3 declared a boolean is still read as the size (the crate reads it so): 2 bytes.
        walk(&[0x31, 0x04, 0x00, 7, 7]).unwrap();
        // Field 7 (dictionary page header) whose field 3 (is_sorted) is not a boolean: refused.
        let e = walk(&[0x35, 0x00, 0x4c, 0x35, 0x00, 0x00, 0x00]).unwrap_err();
        assert!(e.contains("field 3 should be a boolean"), "{e}");
        // A binary longer than the chunk.
        assert!(walk(&[0xf8, 0x7f, 0x00]).unwrap_err().contains("declares 127 bytes"));
        // Structs nested deeper than the crate goes.
        let mut deep = vec![0xfc];
        deep.extend(std::iter::repeat_n(0x1c, 70));
        assert!(walk(&deep).unwrap_err().contains("64 levels"));
    }
}
