//! Arrow IPC decoding (`ingest::ipc_decode`): the same batches as arrow-rs' validating readers,
//! and data that lies (keys, offsets, UTF-8, null counts, buffer and column lengths) is an error
//! naming the column, never a panic.

mod common;

use std::io::Cursor;
use std::sync::Arc;

use apiary::ingest;
use arrow_array::types::{Int16Type, Int32Type, Int8Type, UInt32Type, UInt8Type};
use arrow_array::*;
use arrow_ipc::reader::{FileReader, StreamReader};
use arrow_ipc::writer::{FileWriter, IpcWriteOptions, StreamWriter};
use arrow_ipc::{root_as_message, CompressionType, MessageHeader};
use arrow_schema::{DataType, Field, Schema, TimeUnit};
use common::fixture;

/// Two batches with a column of every flat type, nulls in each, dictionaries with every key width.
fn flat_batches() -> Vec<RecordBatch> {
    let batch = |seed: i64| -> RecordBatch {
        let n = 40;
        let v = |i: usize| (i as i64 * 7 + seed) % 23;
        let null = |i: usize| (i as i64 + seed) % 5 == 0;
        let words = ["GET", "POST", "é", "", "checkout-service"];
        let cols: Vec<(&str, ArrayRef)> = vec![
            ("i8", Arc::new((0..n).map(|i| (!null(i)).then_some(v(i) as i8)).collect::<Int8Array>())),
            ("u16", Arc::new((0..n).map(|i| (!null(i)).then_some(v(i) as u16)).collect::<UInt16Array>())),
            ("i64", Arc::new((0..n).map(|i| (!null(i)).then_some(v(i) * 1_000_000_007)).collect::<Int64Array>())),
            ("f32", Arc::new((0..n).map(|i| (!null(i)).then_some(v(i) as f32 / 3.0)).collect::<Float32Array>())),
            ("f64", Arc::new((0..n).map(|i| (!null(i)).then_some(v(i) as f64 * 1.5)).collect::<Float64Array>())),
            ("ok", Arc::new((0..n).map(|i| (!null(i)).then_some(v(i) % 2 == 0)).collect::<BooleanArray>())),
            ("s", Arc::new((0..n).map(|i| (!null(i)).then(|| words[v(i) as usize % 5])).collect::<StringArray>())),
            ("ls", Arc::new((0..n).map(|i| (!null(i)).then(|| words[v(i) as usize % 4])).collect::<LargeStringArray>())),
            ("b", Arc::new((0..n).map(|i| (!null(i)).then(|| vec![v(i) as u8; i % 3])).collect::<BinaryArray>())),
            ("d8", Arc::new((0..n).map(|i| (!null(i)).then(|| words[v(i) as usize % 5])).collect::<DictionaryArray<Int8Type>>())),
            ("d16", Arc::new((0..n).map(|i| (!null(i)).then(|| words[i % 2])).collect::<DictionaryArray<Int16Type>>())),
            ("d32", Arc::new((0..n).map(|i| (!null(i)).then(|| words[v(i) as usize % 3])).collect::<DictionaryArray<Int32Type>>())),
            ("du8", Arc::new((0..n).map(|_| Some("only")).collect::<DictionaryArray<UInt8Type>>())),
            ("du32", Arc::new((0..n).map(|i| (!null(i)).then(|| words[v(i) as usize % 5])).collect::<DictionaryArray<UInt32Type>>())),
            ("ts", Arc::new(TimestampMillisecondArray::from((0..n).map(|i| (!null(i)).then_some(1_793_534_400_000 + v(i))).collect::<Vec<_>>()).with_timezone("UTC"))),
            ("ts_ns", Arc::new(TimestampNanosecondArray::from((0..n).map(|i| (!null(i)).then_some(v(i) * 1_000_000)).collect::<Vec<_>>()))),
            ("day", Arc::new((0..n).map(|i| (!null(i)).then_some(20_000 + v(i) as i32)).collect::<Date32Array>())),
            ("dur", Arc::new(DurationMicrosecondArray::from((0..n).map(|i| (!null(i)).then_some(v(i))).collect::<Vec<_>>()))),
            ("price", Arc::new((0..n).map(|i| (!null(i)).then_some(v(i) as i128 * 101)).collect::<Decimal128Array>().with_precision_and_scale(12, 2).unwrap())),
            ("nothing", Arc::new(NullArray::new(n))),
        ];
        let schema = Schema::new(cols.iter().map(|(name, a)| Field::new(*name, a.data_type().clone(), true)).collect::<Vec<_>>());
        RecordBatch::try_new(Arc::new(schema), cols.into_iter().map(|(_, a)| a).collect()).unwrap()
    };
    vec![batch(0), batch(3), batch(11).slice(0, 0)]
}

fn stream(batches: &[RecordBatch], compression: Option<CompressionType>) -> Vec<u8> {
    let options = IpcWriteOptions::default().try_with_compression(compression).unwrap();
    let mut buf = Vec::new();
    let mut w = StreamWriter::try_new_with_options(&mut buf, &batches[0].schema(), options).unwrap();
    batches.iter().for_each(|b| w.write(b).unwrap());
    w.finish().unwrap();
    drop(w);
    buf
}

fn file(batches: &[RecordBatch]) -> Vec<u8> {
    let mut buf = Vec::new();
    let mut w = FileWriter::try_new(&mut buf, &batches[0].schema()).unwrap();
    batches.iter().for_each(|b| w.write(b).unwrap());
    w.finish().unwrap();
    drop(w);
    buf
}

/// What arrow-rs' own readers, validation on, make of the bytes.
fn reference(bytes: &[u8]) -> Vec<RecordBatch> {
    if bytes.starts_with(b"ARROW1") {
        FileReader::try_new(Cursor::new(bytes), None).unwrap().map(|b| b.unwrap()).collect()
    } else {
        StreamReader::try_new(Cursor::new(bytes), None).unwrap().map(|b| b.unwrap()).collect()
    }
}

#[test]
fn decodes_what_the_validating_readers_of_arrow_rs_decode() {
    let flat = flat_batches();
    let mut inputs: Vec<(String, Vec<u8>)> = vec![
        ("flat, plain".into(), stream(&flat, None)),
        ("flat, lz4".into(), stream(&flat, Some(CompressionType::LZ4_FRAME))),
        ("flat, file".into(), file(&[flat[0].clone(), flat[0].slice(3, 30)])),
        ("demo".into(), stream(&apiary::demo::generate(5000, 3, 1000), None)),
    ];
    // pyarrow's: flat columns of every kind, nested types (the validated path), zstd, dictionary
    // deltas and replacements, views.
    for name in ["flat.arrows", "wide.arrow", "wide_zstd.arrows", "dict_delta.arrows", "dict_replace.arrows", "views.arrows"] {
        inputs.push((name.into(), fixture(name)));
    }
    for (name, bytes) in &inputs {
        let want = reference(bytes);
        let got = if bytes.starts_with(b"ARROW1") {
            ingest::arrow_ipc::read_file_owned(name, bytes.clone())
        } else {
            ingest::arrow_ipc::read_stream_owned(name, bytes.clone())
        };
        let got = got.unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(got.len(), want.len(), "{name}");
        assert!(want.iter().map(|b| b.num_rows()).sum::<usize>() > 0, "{name}");
        assert_eq!(got, want, "{name}");
        // Through the receiving path too (bytes in pieces of 1000).
        if !bytes.starts_with(b"ARROW1") {
            let mut r = ingest::Receiving::new(name, 1 << 30);
            bytes.chunks(1000).for_each(|c| r.push(c).unwrap());
            let loaded = r.finish().unwrap().finish().unwrap();
            let flat_want: Vec<RecordBatch> = want.into_iter().map(|b| ingest::flatten::flatten_structs(b).unwrap()).collect();
            assert_eq!(loaded.batches, flat_want, "{name}, received in pieces");
        }
    }
}

/// The body range and buffers (offset, length within the body) of record batch `n` of a stream,
/// and its metadata's range.
struct Located {
    meta: std::ops::Range<usize>,
    body: usize,
    buffers: Vec<(usize, usize)>,
    buffers_raw: Vec<(i64, i64)>,
    nodes: Vec<(i64, i64)>,
}

fn locate(bytes: &[u8], n: usize) -> Located {
    let mut at = 0;
    let mut seen = 0;
    loop {
        assert_eq!(&bytes[at..at + 4], &[0xFF; 4]);
        let len = i32::from_le_bytes(bytes[at + 4..at + 8].try_into().unwrap()) as usize;
        let meta = at + 8..at + 8 + len;
        let msg = root_as_message(&bytes[meta.clone()]).unwrap();
        let body = meta.end;
        if msg.header_type() == MessageHeader::RecordBatch {
            if seen == n {
                let b = msg.header_as_record_batch().unwrap();
                let buffers_raw: Vec<(i64, i64)> = b.buffers().unwrap().iter().map(|x| (x.offset(), x.length())).collect();
                let buffers = buffers_raw.iter().map(|&(o, l)| (o as usize, l as usize)).collect();
                let nodes = b.nodes().unwrap().iter().map(|x| (x.length(), x.null_count())).collect();
                return Located { meta, body, buffers, buffers_raw, nodes };
            }
            seen += 1;
        }
        at = body + msg.bodyLength() as usize;
    }
}

/// Rewrite entry `k` (two i64s) of a vector of such entries in the metadata: the vector is found
/// by its whole content, which `entries` gives.
fn patch(bytes: &mut [u8], meta: std::ops::Range<usize>, entries: &[(i64, i64)], k: usize, to: (i64, i64)) {
    let whole: Vec<u8> = entries.iter().flat_map(|&(a, b)| [a.to_le_bytes(), b.to_le_bytes()].concat()).collect();
    let hits: Vec<usize> = bytes[meta.clone()].windows(whole.len()).enumerate().filter(|(_, w)| *w == whole).map(|(i, _)| i).collect();
    assert_eq!(hits.len(), 1, "the vector occurs once in the metadata");
    let at = meta.start + hits[0] + 16 * k;
    bytes[at..at + 16].copy_from_slice(&[to.0.to_le_bytes(), to.1.to_le_bytes()].concat());
}

/// Decode through every Arrow path; each must fail with a message containing `want`.
fn fails(name: &str, bytes: &[u8], want: &str) {
    let r = std::panic::catch_unwind(|| {
        let owned = ingest::arrow_ipc::read_stream_owned(name, bytes.to_vec()).map(|_| ());
        let mut rx = ingest::Receiving::new(name, 1 << 30);
        let received = bytes.chunks(777).try_for_each(|c| rx.push(c)).and_then(|_| rx.finish()).and_then(|d| d.finish()).map(|_| ());
        (owned, received)
    });
    let (owned, received) = r.unwrap_or_else(|_| panic!("{name}: panicked"));
    for (how, r) in [("whole", owned), ("received", received)] {
        let e = r.err().unwrap_or_else(|| panic!("{name} ({how}): decoded without an error")).to_string();
        assert!(e.contains(want), "{name} ({how}): {e}");
    }
}

/// The schema's columns in order: (name, buffers in IPC order).
fn column_buffer(schema: &Schema, column: &str, which: usize) -> usize {
    let width = |t: &DataType| match t {
        DataType::Null => 0,
        DataType::Utf8 | DataType::LargeUtf8 | DataType::Binary | DataType::LargeBinary => 3,
        _ => 2,
    };
    let i = schema.index_of(column).unwrap();
    schema.fields()[..i].iter().map(|f| width(f.data_type())).sum::<usize>() + which
}

#[test]
fn data_that_lies_is_an_error_naming_the_column() {
    let batches = flat_batches();
    let schema = batches[0].schema();
    let good = stream(&batches, None);
    assert!(ingest::arrow_ipc::read_stream_owned("good", good.clone()).is_ok());
    let second = locate(&good, 1);

    // A dictionary key past the end of its dictionary (d32's keys: buffer 1 of the column).
    let keys = second.buffers[column_buffer(&schema, "d32", 1)];
    let valid_row = (0..40).find(|&i| !batches[1].column_by_name("d32").unwrap().is_null(i)).unwrap();
    let mut bad = good.clone();
    let at = second.body + keys.0 + 4 * valid_row;
    bad[at..at + 4].copy_from_slice(&99i32.to_le_bytes());
    fails("key past the end", &bad, &format!("\"d32\": dictionary key 99 at row {valid_row} is out of range"));
    bad[at..at + 4].copy_from_slice(&(-1i32).to_le_bytes());
    fails("negative key", &bad, "dictionary key -1");
    // Under a null, a key may be anything (the format leaves it undefined): still decodes, and the
    // row reads as null.
    let null_row = (0..40).find(|&i| batches[1].column_by_name("d32").unwrap().is_null(i)).unwrap();
    let mut odd = good.clone();
    let at = second.body + keys.0 + 4 * null_row;
    odd[at..at + 4].copy_from_slice(&12345i32.to_le_bytes());
    let got = ingest::arrow_ipc::read_stream_owned("key under a null", odd).unwrap();
    assert!(got[1].column_by_name("d32").unwrap().is_null(null_row));
    assert_eq!(got[1].column_by_name("s"), batches[1].column_by_name("s"));

    // String offsets that run past the data, and bytes that are not UTF-8.
    let offsets = second.buffers[column_buffer(&schema, "s", 1)];
    let mut bad = good.clone();
    let at = second.body + offsets.0 + 4 * 20;
    bad[at..at + 4].copy_from_slice(&100_000i32.to_le_bytes());
    fails("offsets past the data", &bad, "\"s\": offset 100000 at row 20 is out of order or past the");
    let data = second.buffers[column_buffer(&schema, "s", 2)];
    assert!(data.1 > 0);
    let mut bad = good.clone();
    let text = &mut bad[second.body + data.0..second.body + data.0 + data.1];
    let e = text.iter().position(|&c| c == b'G').unwrap();
    text[e] = 0xFF;
    let strings = batches[1].column_by_name("s").unwrap().as_any().downcast_ref::<StringArray>().unwrap();
    let get_row = (0..40).find(|&i| strings.is_valid(i) && strings.value(i) == "GET").unwrap();
    fails("not UTF-8", &bad, &format!("\"s\": the string at row {get_row} is not valid UTF-8"));
    // An offset inside a two-byte character.
    let e_row = (0..40).find(|&i| strings.is_valid(i) && strings.value(i) == "é").unwrap();
    let mut bad = good.clone();
    let at = second.body + offsets.0 + 4 * (e_row + 1);
    let start = i32::from_le_bytes(bad[at - 4..at].try_into().unwrap());
    bad[at..at + 4].copy_from_slice(&(start + 1).to_le_bytes());
    fails("inside a character", &bad, &format!("\"s\": the string at row {} starts inside a UTF-8 character", e_row + 1));
    // Binary offsets are held to the data too.
    let b_offsets = second.buffers[column_buffer(&schema, "b", 1)];
    let mut bad = good.clone();
    let at = second.body + b_offsets.0 + 4 * 7;
    bad[at..at + 4].copy_from_slice(&(-3i32).to_le_bytes());
    fails("negative binary offset", &bad, "\"b\": offset -3 at row 7");

    // A null count that the validity bitmap does not bear out.
    let k = schema.index_of("i64").unwrap();
    let (len, nulls) = second.nodes[k];
    assert!(nulls > 0);
    let mut bad = good.clone();
    patch(&mut bad, second.meta.clone(), &second.nodes, k, (len, nulls + 1));
    fails("null count", &bad, "\"i64\": Invalid argument error: null_count value");

    // A buffer too short for the column's rows (whole values still, so the structural checks
    // pass): arrow-rs would assert, a panic, while building the array.
    let k = column_buffer(&schema, "i64", 1);
    let mut bad = good.clone();
    patch(&mut bad, second.meta.clone(), &second.buffers_raw, k, (second.buffers_raw[k].0, 16));
    fails("short values", &bad, "column \"i64\": a buffer of 16 bytes where 40 rows need 320");
    let k = column_buffer(&schema, "ok", 0);
    let mut bad = good.clone();
    patch(&mut bad, second.meta.clone(), &second.buffers_raw, k, (second.buffers_raw[k].0, 0));
    fails("short validity", &bad, "column \"ok\": a buffer of 0 bytes where 40 rows need 5");

    // A column with more rows than its batch.
    let k = schema.index_of("f64").unwrap();
    let (len, nulls) = second.nodes[k];
    let mut bad = good.clone();
    patch(&mut bad, second.meta.clone(), &second.nodes, k, (len + 8, nulls));
    fails("column length", &bad, "column \"f64\" has 48 rows in a batch of 40");
}

#[test]
fn a_key_at_the_last_entry_of_its_dictionary_decodes_and_one_past_it_does_not() {
    // A u8 key pointing at the last of 200 entries (past i8's range: the bound is unsigned).
    let n = 200usize;
    let words: Vec<String> = (0..n).map(|i| format!("w{i}")).collect();
    let keys = UInt8Array::from(vec![0, (n - 1) as u8, 7]);
    let values = Arc::new(StringArray::from(words.clone())) as ArrayRef;
    let dict = DictionaryArray::<UInt8Type>::try_new(keys, values).unwrap();
    let schema = Arc::new(Schema::new(vec![Field::new("d", dict.data_type().clone(), false), Field::new("t", DataType::Timestamp(TimeUnit::Second, None), false)]));
    let batch = RecordBatch::try_new(schema, vec![Arc::new(dict), Arc::new(TimestampSecondArray::from(vec![1, 2, 3]))]).unwrap();
    let bytes = stream(std::slice::from_ref(&batch), None);
    let got = ingest::arrow_ipc::read_stream_owned("u8 keys", bytes.clone()).unwrap();
    assert_eq!(got, vec![batch]);
    // One past the last entry is refused.
    let b = locate(&bytes, 0);
    let mut bad = bytes.clone();
    bad[b.body + b.buffers[1].0 + 1] = n as u8;
    fails("u8 key past the end", &bad, &format!("dictionary key {n} at row 1"));
}

#[test]
fn a_key_that_pyarrow_wrote_unchecked_is_an_error_naming_the_column() {
    // tests/fixtures/make_fixtures.py: a flat stream whose second batch has key 7 in a dictionary
    // of 3 (pyarrow's `safe=False`); the first batch is fine.
    let bytes = fixture("flat_bad_key.arrows");
    assert!(reference_fails(&bytes), "arrow-rs' validating reader refuses it too");
    fails("flat_bad_key.arrows", &bytes, "record batch 1 (at byte 2944): column \"service.name\": dictionary key 7 at row 1 is out of range (the dictionary has 3 values)");
}

fn reference_fails(bytes: &[u8]) -> bool {
    StreamReader::try_new(Cursor::new(bytes), None).unwrap().any(|b| b.is_err())
}

#[test]
fn rows_that_hold_no_data_are_refused_past_a_bound() {
    // A batch of no columns (or only null-typed ones) can declare any row count in an empty body;
    // billions of such rows would make every query walk them.
    let rows_only = |rows: usize, nulls: bool| {
        let fields = if nulls { vec![Field::new("n", DataType::Null, true)] } else { vec![] };
        let cols: Vec<ArrayRef> = if nulls { vec![Arc::new(NullArray::new(rows))] } else { vec![] };
        let opts = RecordBatchOptions::new().with_row_count(Some(rows));
        RecordBatch::try_new_with_options(Arc::new(Schema::new(fields)), cols, &opts).unwrap()
    };
    for nulls in [false, true] {
        let few = stream(&[rows_only(1000, nulls)], None);
        assert_eq!(ingest::arrow_ipc::read_stream_owned("few", few).unwrap()[0].num_rows(), 1000);
        let many = stream(&[rows_only(1 << 24, nulls), rows_only(1 << 20, nulls)], None);
        fails("many", &many, "message 2 (at byte");
        fails("many", &many, "rows so far in 0 bytes of data: too many rows for the data that holds them");
    }
    // Found by the fuzzer: 4,294,967,300 rows and no columns.
    fails("empty_schema_4g_rows", &fixture("ipc_crashes/empty_schema_4g_rows.arrows"), "4294967300 rows so far in 0 bytes");
}
