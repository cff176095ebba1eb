//! Sources whose bytes arrive in pieces (`ingest::Receiving`, as an HTTP body streams in): Arrow
//! streams decode message by message, NDJSON and OTLP/JSON lines a line at a time, CSV a record
//! at a time; what they give equals decoding the whole file, in any pieces.

mod common;

use apiary::ingest::{self, Format};
use apiary::DataSet;
use arrow_array::RecordBatch;
use common::{fixture, fixture_files, xorshift};
use serde_json::Value as Json;

/// Feed `bytes` to a [`ingest::Receiving`] in pieces of the sizes `sizes` cycles through, then
/// finish decoding. The rows decoded before the last piece are returned too. Every byte taken is
/// hashed as it is copied: the hash is the whole file's `permalink::content_hash`.
fn receive(name: &str, bytes: &[u8], sizes: &[usize]) -> (apiary::Result<ingest::Loaded>, usize) {
    let mut r = ingest::Receiving::new(name, usize::MAX).hashing();
    let (mut at, mut i, mut rows_before_end) = (0, 0, 0);
    while at < bytes.len() {
        let n = sizes[i % sizes.len()].min(bytes.len() - at);
        if at + n == bytes.len() {
            rows_before_end = r.rows();
        }
        if let Err(e) = r.push(&bytes[at..at + n]) {
            return (Err(e), rows_before_end);
        }
        at += n;
        i += 1;
    }
    assert_eq!(r.content_hash(), Some(apiary::permalink::content_hash(bytes)), "{name} in pieces of {sizes:?}: the hash of the bytes taken");
    (r.finish().and_then(|d| d.finish()), rows_before_end)
}

#[test]
fn arrow_streams_decode_as_their_bytes_arrive_in_any_pieces() {
    let mut streams: Vec<(String, Vec<u8>)> = ["wide_zstd.arrows", "dict_delta.arrows", "dict_replace.arrows", "views.arrows"].iter().map(|n| (n.to_string(), fixture(n))).collect();
    let demo = apiary::demo::generate(3000, 7, 1000);
    let mut small = Vec::new();
    for b in &demo {
        for at in (0..b.num_rows()).step_by(250) {
            small.push(b.slice(at, 250.min(b.num_rows() - at)));
        }
    }
    streams.push(("demo (lz4)".into(), ingest::arrow_ipc::write_stream(&demo).unwrap()));
    streams.push(("demo (plain, 250-row batches)".into(), ingest::arrow_ipc::write_stream_plain(&small).unwrap()));
    for (name, bytes) in &streams {
        let whole = ingest::load(name, bytes).unwrap();
        let total: usize = whole.batches.iter().map(|b| b.num_rows()).sum();
        for sizes in [&[1usize][..], &[3, 7, 64], &[4096], &[100_000], &[13, 65_536, 5]] {
            let (got, before_end) = receive(name, bytes, sizes);
            let got = got.unwrap_or_else(|e| panic!("{name} in pieces of {sizes:?}: {e}"));
            assert_eq!(got.format, Format::ArrowStream);
            assert_eq!(got.batches, whole.batches, "{name} in pieces of {sizes:?}");
            // Rows were ready before the last piece came (when there was more than one batch and piece).
            if whole.batches.len() > 2 && sizes[0] < bytes.len() / 4 {
                assert!(before_end > 0 && before_end < total + 1, "{name} in pieces of {sizes:?}: {before_end} rows before the end");
            }
        }
        // Truncation anywhere is an error (or, at a message boundary, fewer rows), never a panic;
        // random corruption too.
        let step = (bytes.len() / 300).max(1);
        for cut in (0..bytes.len()).step_by(step) {
            let r = std::panic::catch_unwind(|| receive(name, &bytes[..cut], &[1000]).0.map(|l| DataSet::from_batches(l.batches)));
            let r = r.unwrap_or_else(|_| panic!("{name} truncated at {cut} panicked"));
            if let Ok(Ok(ds)) = r {
                assert!(ds.num_rows() < total, "{name} cut at {cut} kept every row");
            }
        }
        let mut rng = 0x9E3779B97F4A7C15u64;
        for _ in 0..200 {
            let mut b = bytes.clone();
            for _ in 0..1 + xorshift(&mut rng) % 4 {
                let i = (xorshift(&mut rng) % b.len() as u64) as usize;
                b[i] = xorshift(&mut rng) as u8;
            }
            let r = std::panic::catch_unwind(|| receive(name, &b, &[777]).0.map(|l| DataSet::from_batches(l.batches)));
            assert!(r.is_ok(), "{name} corrupted panicked");
        }
    }
    for (name, bytes) in fixture_files("ipc_crashes", 3) {
        let r = std::panic::catch_unwind(|| receive("crash", &bytes, &[5]).0.map(|l| DataSet::from_batches(l.batches)));
        assert!(matches!(r, Ok(Err(_)) | Ok(Ok(Err(_)))), "{name} decoded without an error, or panicked");
    }
}

#[test]
fn received_sources_of_other_formats_decode_at_the_end_and_errors_say_where() {
    for name in ["wide.arrow", "wide_snappy.parquet", "otlp_sdk.jsonl"] {
        let bytes = fixture(name);
        let whole = ingest::load(name, &bytes).unwrap();
        let (got, before_end) = receive(name, &bytes, &[2, 1000]);
        let got = got.unwrap();
        assert_eq!((got.format, &got.batches), (whole.format, &whole.batches), "{name}");
        assert_eq!(before_end, 0, "{name} is decoded at the end");
    }
    // A message that declares a body larger than the source may be: refused before it arrives.
    let demo = ingest::arrow_ipc::write_stream_plain(&apiary::demo::generate(500, 1, 100)).unwrap();
    let mut r = ingest::Receiving::new("capped.arrow", 4096);
    let e = demo.chunks(1024).try_for_each(|c| r.push(c)).unwrap_err().to_string();
    assert!(e.contains("capped.arrow") && e.contains(" (at byte ") && e.contains("more than the source can hold"), "{e}");
    // A stream cut in the middle of a message names it.
    let (got, _) = receive("cut.arrow", &demo[..demo.len() - 100], &[4096]);
    let e = got.err().unwrap().to_string();
    assert!(e.contains("cut.arrow") && e.contains("truncated after"), "{e}");
    // Nothing at all, or too little to know the format.
    assert!(ingest::Receiving::new("empty", 10).finish().is_err());
    let mut r = ingest::Receiving::new("short", 10);
    r.push(b"\xff\xff\xff\xff\x10").unwrap();
    assert!(r.finish().is_err());
    let mut r = ingest::Receiving::new("two", 10);
    r.push(b"\xff\xff").unwrap();
    assert!(r.finish().and_then(|d| d.finish()).is_err());
}

/// `batches` hold the rows of `whole` (one batch) in order, with its schema.
fn assert_same_rows(batches: &[RecordBatch], whole: &RecordBatch, what: &str) {
    let mut at = 0;
    for b in batches {
        assert_eq!(b, &whole.slice(at, b.num_rows()), "{what}: the batch at row {at}");
        at += b.num_rows();
    }
    assert_eq!(at, whole.num_rows(), "{what}: rows");
}

/// NDJSON of `n` events whose columns change type past the first batch of 65,536 rows: `n`
/// integers then floats (→ Float64), `flag` booleans then integers (mixed → text), `v` integers
/// then one string (mixed → text), `late` only in the last row; CRLF and blank lines, non-ASCII
/// text, and a byte-order mark.
fn changing_ndjson(n: usize) -> String {
    let mut text = String::from("\u{FEFF}");
    for i in 0..n {
        let num = if i >= 66_000 && i % 3 == 0 { format!("{}.5", i) } else { i.to_string() };
        let flag = if i < 65_536 { (i % 2 == 0).to_string() } else { i.to_string() };
        let v = if i == 68_000 { "\"s\"".to_string() } else { (i * 7).to_string() };
        let late = if i + 1 == n { ",\"late\":\"here\"" } else { "" };
        let end = if i % 5 == 0 { "\r\n" } else if i % 11 == 0 { "\n\n" } else { "\n" };
        text.push_str(&format!("{{\"timestamp\":{},\"service\":{{\"name\":\"svc-é{}\"}},\"n\":{num},\"flag\":{flag},\"v\":{v}{late}}}{end}", 1_793_534_400_000u64 + i as u64 * 10, i % 7));
    }
    text
}

/// The NDJSON typed as one batch by one `Events` (as the reader worked before it decoded lines
/// as they came): the expectation for the streamed batches.
fn ndjson_as_one_batch(text: &str) -> RecordBatch {
    let mut events = ingest::ndjson::Events::new();
    for line in text.trim_start_matches('\u{FEFF}').lines().filter(|l| !l.trim().is_empty()) {
        events.next_row();
        events.set_json("", &serde_json::from_str::<Json>(line).unwrap());
    }
    events.finish().unwrap()
}

#[test]
fn ndjson_decodes_line_by_line_as_it_arrives_with_the_types_of_the_whole_file() {
    let text = changing_ndjson(70_000);
    let whole = ndjson_as_one_batch(&text);
    let s = whole.schema();
    assert_eq!(s.field_with_name("n").unwrap().data_type(), &arrow_schema::DataType::Float64);
    assert!(ingest::ndjson::is_mixed(s.field_with_name("flag").unwrap()) && ingest::ndjson::is_mixed(s.field_with_name("v").unwrap()));
    for sizes in [&[4096usize][..], &[7, 65_536 + 13], &[1 << 20]] {
        let (got, before_end) = receive("changing.ndjson", text.as_bytes(), sizes);
        let got = got.unwrap_or_else(|e| panic!("in pieces of {sizes:?}: {e}"));
        assert_eq!(got.format, Format::NdJson);
        assert!(got.batches.len() >= 2, "more than one batch");
        assert_same_rows(&got.batches, &whole, &format!("pieces of {sizes:?}"));
        assert!(before_end > if sizes[0] < 10_000 { 60_000 } else { 0 } && before_end < 70_000, "pieces of {sizes:?}: {before_end} rows before the last piece");
    }
    // The whole file read at once gives the same.
    assert_same_rows(&ingest::load("changing.ndjson", text.as_bytes()).unwrap().batches, &whole, "whole file");
    // Cut anywhere: every way of splitting a small text in two, and one byte at a time.
    let small = changing_ndjson(40);
    let whole = ndjson_as_one_batch(&small);
    for cut in 0..=small.len() {
        let mut s = ingest::ndjson::Stream::new("small.ndjson");
        s.push(&small.as_bytes()[..cut]).unwrap();
        s.push(&small.as_bytes()[cut..]).unwrap();
        assert_same_rows(&s.finish().unwrap(), &whole, &format!("cut at {cut}"));
    }
    let mut s = ingest::ndjson::Stream::new("small.ndjson");
    small.as_bytes().chunks(1).try_for_each(|b| s.push(b)).unwrap();
    assert_same_rows(&s.finish().unwrap(), &whole, "one byte at a time");
}

#[test]
fn a_bad_line_fails_while_the_rest_still_arrives_and_names_its_place() {
    let mut text = changing_ndjson(3_000);
    let at = text.match_indices('\n').nth(1999).unwrap().0 + 1;
    text.insert_str(at, "{\"broken\": \n");
    let line = text[..at].matches('\n').count() + 1;
    let whole = ingest::load("bad.ndjson", text.as_bytes()).err().unwrap().to_string();
    assert!(whole.contains("bad.ndjson") && whole.contains(&format!("NDJSON line {line}, column")), "{whole}");
    let mut r = ingest::Receiving::new("bad.ndjson", usize::MAX);
    let pieces: Vec<&[u8]> = text.as_bytes().chunks(1000).collect();
    let failed = pieces.iter().position(|p| r.push(p).is_err()).expect("an error before the end");
    assert!(failed < pieces.len() - 1, "failed at piece {failed} of {}", pieces.len());
    let mut r = ingest::Receiving::new("bad.ndjson", usize::MAX);
    let e = pieces.iter().find_map(|p| r.push(p).err()).unwrap().to_string();
    assert_eq!(e, whole);
    // Invalid UTF-8 names the byte and line in the whole text, however it arrives.
    let mut bytes = changing_ndjson(3_000).into_bytes();
    let bad = bytes.len() - 500;
    bytes[bad] = 0xFF;
    let whole = ingest::load("utf.ndjson", &bytes).err().unwrap().to_string();
    assert!(whole.contains(&format!("at byte {} (line ", bad - 3)), "{whole}");
    let (got, _) = receive("utf.ndjson", &bytes, &[333]);
    assert_eq!(got.err().unwrap().to_string(), whole);
}

/// CSV of `n` rows: quoted fields with commas, quotes and newlines, CRLF rows, empty values, a
/// column of integers until a late float, one of integers until a late word, and a byte-order mark.
fn tricky_csv(n: usize) -> String {
    let mut text = String::from("\u{FEFF}id,label,\"a, b\",late_float,late_word,empty\r\n");
    for i in 0..n {
        let label = match i % 4 {
            0 => format!("\"line {i}\nnext, \"\"quoted\"\"\""),
            1 => String::new(),
            2 => format!("plain {i} é"),
            _ => format!("\"{i}\""),
        };
        let float = if i + 3 == n { "2.5".to_string() } else { i.to_string() };
        let word = if i + 2 == n { "late".to_string() } else { format!("{:03}", i % 1000) };
        let end = if i % 3 == 0 { "\r\n" } else { "\n" };
        text.push_str(&format!("{i},{label},{},{float},{word},{end}", i % 2 == 0));
    }
    text
}

#[test]
fn csv_decodes_record_by_record_as_it_arrives_with_types_from_every_row() {
    let text = tricky_csv(70_000);
    let whole = ingest::load("tricky.csv", text.as_bytes()).unwrap();
    let ds = DataSet::from_batches(whole.batches.clone()).unwrap();
    assert_eq!(ds.num_rows(), 70_000);
    let types: Vec<String> = ds.schema().fields().iter().map(|f| format!("{}:{}", f.name(), f.data_type())).collect();
    assert_eq!(types, ["id:Int64", "label:Utf8", "a, b:Boolean", "late_float:Float64", "late_word:Utf8", "empty:Utf8"]);
    let labels = whole.batches[0].column(1).as_any().downcast_ref::<arrow_array::StringArray>().unwrap();
    assert_eq!(labels.value(0), "line 0\nnext, \"quoted\"");
    assert_eq!(whole.batches[0].column(4).as_any().downcast_ref::<arrow_array::StringArray>().unwrap().value(7), "007");
    for sizes in [&[4096usize][..], &[7, 65_536 + 13], &[1 << 20]] {
        let (got, before_end) = receive("tricky.csv", text.as_bytes(), sizes);
        let got = got.unwrap_or_else(|e| panic!("in pieces of {sizes:?}: {e}"));
        assert_eq!(got.format, Format::Csv);
        assert_eq!(got.batches, whole.batches, "pieces of {sizes:?}");
        assert!(before_end > if sizes[0] < 10_000 { 60_000 } else { 0 } && before_end < 70_000, "pieces of {sizes:?}: {before_end} rows before the last piece");
    }
    let small = tricky_csv(30);
    let whole = ingest::csv::read("small.csv", small.as_bytes()).unwrap();
    for cut in 0..=small.len() {
        let mut s = ingest::csv::Stream::new("small.csv");
        s.push(&small.as_bytes()[..cut]).unwrap();
        s.push(&small.as_bytes()[cut..]).unwrap();
        assert_eq!(s.finish().unwrap(), whole, "cut at {cut}");
    }
    let mut s = ingest::csv::Stream::new("small.csv");
    small.as_bytes().chunks(1).try_for_each(|b| s.push(b)).unwrap();
    assert_eq!(s.finish().unwrap(), whole, "one byte at a time");
    // A ragged record names its line in the whole text, however the text arrives.
    let mut ragged = tricky_csv(2_000);
    ragged.push_str("1,2,3\n");
    let e = ingest::load("r.csv", ragged.as_bytes()).err().unwrap().to_string();
    let line = ragged.matches('\n').count();
    assert!(e.contains(&format!("line {line}, record 2001: 3 fields where the header has 6")), "{e}");
    let (got, _) = receive("r.csv", ragged.as_bytes(), &[100, 5000]);
    assert_eq!(got.err().unwrap().to_string(), e);
}

#[test]
fn otlp_lines_decode_as_they_arrive_and_single_requests_at_the_end() {
    let one = fixture("otlp_sdk.jsonl");
    let spans = ingest::load("one.jsonl", &one).unwrap().batches.iter().map(|b| b.num_rows()).sum::<usize>();
    let copies = 40;
    let many: Vec<u8> = one.iter().copied().cycle().take(one.len() * copies).collect();
    let whole = ingest::load("many.jsonl", &many).unwrap();
    assert_eq!(whole.batches.iter().map(|b| b.num_rows()).sum::<usize>(), spans * copies);
    let (got, before_end) = receive("many.jsonl", &many, &[1000]);
    let got = got.unwrap();
    assert_eq!((got.format, &got.batches), (Format::OtlpJson, &whole.batches));
    assert!(before_end > 0 && before_end < spans * copies, "{before_end} spans before the last piece");
    // A request over several lines (pretty-printed) is one value: decoded at the end.
    let pretty = serde_json::to_vec_pretty(&serde_json::from_slice::<Json>(&fixture("otlp_sdk.json")).unwrap()).unwrap();
    let mut padded = pretty.clone();
    padded.extend(std::iter::repeat_n(b' ', 70_000));
    let whole = ingest::load("pretty.json", &padded).unwrap();
    let (got, before_end) = receive("pretty.json", &padded, &[1000]);
    assert_eq!((got.unwrap().batches, before_end), (whole.batches, 0));
    // A bad span on a later line fails before the end, naming the line.
    let mut bad = many.clone();
    let second = one.len() * 30;
    let text = String::from_utf8(bad[second..].to_vec()).unwrap().replacen("\"traceId\":\"", "\"traceId\":\"zz", 1);
    bad.truncate(second);
    bad.extend_from_slice(text.as_bytes());
    let e = ingest::load("bad.jsonl", &bad).err().unwrap().to_string();
    assert!(e.contains("line 61: ") && e.contains("traceId"), "{e}");
    let mut r = ingest::Receiving::new("bad.jsonl", usize::MAX);
    assert_eq!(bad.chunks(1000).find_map(|p| r.push(p).err()).map(|e| e.to_string()), Some(e));
}
