//! Ingest: every format, read from files another implementation wrote (pyarrow fixtures from
//! tests/fixtures/make_fixtures.py), unified schemas, and clear errors for bad input.

mod common;

use common::{fixture, fixture_files, xorshift};

use apiary::ingest::{self, Format};
use apiary::{query, DataSet, QuerySpec};
use arrow_array::cast::AsArray;
use arrow_array::Array;
use arrow_schema::DataType;
use serde_json::{json, Value as Json};

fn load(name: &str) -> (Format, DataSet) {
    let l = ingest::load(name, &fixture(name)).unwrap_or_else(|e| panic!("{e}"));
    (l.format, DataSet::from_batches(l.batches).unwrap())
}

fn q(ds: &DataSet, spec: Json) -> Json {
    query::run(ds, &QuerySpec::from_json(&spec).unwrap()).unwrap().to_json()
}

fn counts_by(ds: &DataSet, col: &str) -> Vec<(Json, Json)> {
    let r = q(ds, json!({"breakdowns":[col],"orders":[{"column":col}],"time_range":315360000}));
    r["results"].as_array().unwrap().iter().map(|x| (x["data"][col].clone(), x["data"]["COUNT"].clone())).collect()
}

#[test]
fn arrow_file_with_every_type_and_an_empty_batch() {
    let (format, ds) = load("wide.arrow");
    assert_eq!(format, Format::ArrowFile);
    assert_eq!(ds.num_rows(), 6);
    assert_eq!(ds.time_column(), Some("timestamp"));
    let names: Vec<&str> = ds.schema().fields().iter().map(|f| f.name().as_str()).collect();
    for n in ["attrs.http.method", "attrs.http.status_code", "tags", "labels", "price", "nothing", "blob", "ts_ns"] {
        assert!(names.contains(&n), "{n} in {names:?}");
    }
    assert!(!names.contains(&"attrs"), "structs are flattened");
    assert_eq!(counts_by(&ds, "attrs.http.method"), vec![(json!("GET"), json!(2)), (json!("POST"), json!(1)), (json!("PUT"), json!(1)), (Json::Null, json!(2))]);
    let r = q(&ds, json!({"calculations":[{"op":"SUM","column":"price"},{"op":"MAX","column":"u8"},{"op":"AVG","column":"f32"},{"op":"SUM","column":"i8"},{"op":"COUNT_DISTINCT","column":"service.name"}],"time_range":315360000}));
    let d = &r["results"][0]["data"];
    assert!((d["SUM(price)"].as_f64().unwrap() - 10.1).abs() < 1e-9);
    assert_eq!(d["MAX(u8)"], json!(255));
    assert_eq!(d["AVG(f32)"], json!(3.1));
    assert_eq!(d["SUM(i8)"], json!(14));
    assert_eq!(d["COUNT_DISTINCT(service.name)"], json!(3));
    // A time zone on the timestamp does not change the instant.
    let t = ds.time_range().unwrap();
    assert_eq!(t.1 - t.0, 5000);
}

#[test]
fn zstd_arrow_stream_reads_natively() {
    let (format, ds) = load("wide_zstd.arrows");
    assert_eq!(format, Format::ArrowStream);
    assert_eq!(ds.num_rows(), 6);
    assert_eq!(counts_by(&ds, "service.name"), vec![(json!("api"), json!(3)), (json!("db"), json!(1)), (json!("web"), json!(1)), (Json::Null, json!(1))]);
}

#[test]
fn dictionary_deltas_and_replacements() {
    let (_, ds) = load("dict_delta.arrows");
    assert_eq!(counts_by(&ds, "region"), vec![(json!("ap"), json!(1)), (json!("eu"), json!(1)), (json!("us"), json!(2))]);
    let (_, ds) = load("dict_replace.arrows");
    assert_eq!(counts_by(&ds, "region"), vec![(json!("af"), json!(1)), (json!("eu"), json!(1)), (json!("sa"), json!(1)), (json!("us"), json!(1))]);
}

#[test]
fn parquet_codecs_agree() {
    let (_, base) = load("wide_none.parquet");
    let base_json = q(&base, json!({"calculations":[{"op":"SUM","column":"i32"},{"op":"AVG","column":"duration_ms"},{"op":"COUNT_DISTINCT","column":"big_text"}],"breakdowns":["service.name"],"time_range":315360000}));
    assert_eq!(base.num_rows(), 6);
    for codec in ["snappy", "gzip", "lz4", "brotli", "zstd"] {
        let name = format!("wide_{codec}.parquet");
        let (format, ds) = load(&name);
        assert_eq!(format, Format::Parquet);
        assert_eq!(ds.batches().iter().map(|b| b.num_rows()).sum::<usize>(), 6, "{name}");
        assert_eq!(q(&ds, json!({"calculations":[{"op":"SUM","column":"i32"},{"op":"AVG","column":"duration_ms"},{"op":"COUNT_DISTINCT","column":"big_text"}],"breakdowns":["service.name"],"time_range":315360000})), base_json, "{name}");
    }
}

#[test]
fn parquet_v2_pages_with_delta_and_byte_stream_split() {
    let (_, ds) = load("encodings.parquet");
    assert_eq!(ds.num_rows(), 100);
    let r = q(&ds, json!({"calculations":[{"op":"SUM","column":"count"},{"op":"MAX","column":"duration_ms"},{"op":"COUNT_DISTINCT","column":"name"}],"time_range":315360000}));
    assert_eq!(r["results"][0]["data"], json!({"SUM(count)": 4950, "MAX(duration_ms)": 148.5, "COUNT_DISTINCT(name)": 7}));
}

#[test]
fn parquet_nested_structs_are_flattened() {
    let (_, ds) = load("nested.parquet");
    assert_eq!(counts_by(&ds, "attrs.http.status_code"), vec![(json!(200), json!(1)), (json!(201), json!(1)), (json!(500), json!(1)), (Json::Null, json!(3))]);
}

#[test]
fn csv_with_quotes_newlines_nulls_and_inferred_types() {
    let csv = "time,service,status,duration_ms,note\n\
               2026-11-01T12:00:00Z,api,200,1.5,\"hello, world\"\n\
               2026-11-01T12:00:01Z,db,,2.5,\"two\nlines\"\n\
               2026-11-01T12:00:02Z,,500,,\"\"\"quoted\"\"\"\n";
    let l = ingest::load("events.csv", csv.as_bytes()).unwrap();
    assert_eq!(l.format, Format::Csv);
    let ds = DataSet::from_batches(l.batches).unwrap();
    assert_eq!(ds.num_rows(), 3);
    let s = ds.schema();
    assert_eq!(s.field_with_name("status").unwrap().data_type(), &DataType::Int64);
    assert_eq!(s.field_with_name("duration_ms").unwrap().data_type(), &DataType::Float64);
    assert!(matches!(s.field_with_name("time").unwrap().data_type(), DataType::Timestamp(..)));
    assert_eq!(ds.time_column(), Some("time"));
    let b = &ds.batches()[0];
    let note = b.column(4).as_string::<i32>();
    assert_eq!(note.value(0), "hello, world");
    assert_eq!(note.value(1), "two\nlines");
    assert_eq!(note.value(2), "\"quoted\"");
    assert!(b.column(1).is_null(2), "empty value is null");
    assert!(b.column(2).is_null(1));
}

#[test]
fn csv_types_come_from_every_row_and_errors_say_which_line() {
    // A non-number far past any sample makes the column text instead of failing the load.
    let mut text = String::from("ts,code,ok,,code,when\n");
    for i in 0..20_000 {
        text.push_str(&format!("{},{},{},x,{},2026-11-01T12:00:00+01:00\n", 1_793_534_400 + i, if i == 19_999 { "E42".to_string() } else { i.to_string() }, i % 2 == 0, i as f64 / 2.0));
    }
    let l = ingest::load("big.csv", text.as_bytes()).unwrap();
    let ds = DataSet::from_batches(l.batches).unwrap();
    assert_eq!(ds.num_rows(), 20_000);
    let s = ds.schema();
    let names: Vec<&str> = s.fields().iter().map(|f| f.name().as_str()).collect();
    assert_eq!(names, ["ts", "code", "ok", "column_4", "code_2", "when"]);
    assert_eq!(s.field(1).data_type(), &DataType::Utf8);
    assert_eq!(s.field(2).data_type(), &DataType::Boolean);
    assert_eq!(s.field(4).data_type(), &DataType::Float64);
    assert!(matches!(s.field(5).data_type(), DataType::Timestamp(_, Some(_))));
    // The offset is honoured: 12:00+01:00 is 11:00 UTC.
    let when = ds.batches()[0].column(5).as_primitive::<arrow_array::types::TimestampNanosecondType>().value(0);
    assert_eq!(when / 1_000_000, 1_793_534_400_000 - 3_600_000);
    assert_eq!(counts_by(&ds, "ok"), vec![(json!(false), json!(10_000)), (json!(true), json!(10_000))]);
    // A ragged row names its line and says what was wrong.
    let e = ingest::load("r.csv", b"a,b\n1,2\n3,\"x\ny\"\n5,6,7\n").err().unwrap().to_string();
    assert!(e.contains("r.csv") && e.contains("line 5") && e.contains("3 fields where the header has 2"), "{e}");
}

#[test]
fn a_quoted_field_never_closed_is_an_error_at_the_line_it_opens() {
    // Without the check the rows after line 3 vanished into one field.
    let text = b"a,b\n1,2\n3,\"x\n4,5\n6,7\n";
    let e = ingest::load("open.csv", text).err().expect("an error").to_string();
    assert!(e.contains("open.csv") && e.contains("line 3") && e.contains("never closed"), "{e}");
    // The same bytes arriving in pieces.
    let mut s = ingest::csv::Stream::new("open.csv");
    for piece in text.chunks(3) {
        s.push(piece).unwrap();
    }
    let e = s.finish().err().expect("an error").to_string();
    assert!(e.contains("line 3") && e.contains("never closed"), "{e}");
    // Quotes that close, escaped quotes, and a quote inside a field are fine.
    let ok = ingest::load("ok.csv", b"a,b\n1,\"x \"\"q\"\" y\"\n2,ab\"c\n3,\"multi\nline\"\n").unwrap();
    assert_eq!(ok.batches.iter().map(|b| b.num_rows()).sum::<usize>(), 3);
}

/// A CSV's header names as the loader gives them (one data row, so there is a batch).
fn csv_names(header: &[&str]) -> Vec<String> {
    let mut text = header.iter().map(|h| format!("\"{h}\"")).collect::<Vec<_>>().join(",");
    text.push('\n');
    text.push_str(&vec!["1"; header.len()].join(","));
    text.push('\n');
    let batches = ingest::csv::read("names.csv", text.as_bytes()).unwrap();
    batches[0].schema().fields().iter().map(|f| f.name().clone()).collect()
}

#[test]
fn repeated_header_names_get_the_first_free_suffix_even_thousands_of_times() {
    // The rule, written the plain way: a name not taken yet stays; else `_2`, `_3`… the first
    // suffix no name before it has; an empty name is `column_N` (N its position from 1).
    let rule = |header: &[&str]| {
        let mut out: Vec<String> = Vec::new();
        for (i, h) in header.iter().enumerate() {
            let base = if h.trim().is_empty() { format!("column_{}", i + 1) } else { h.to_string() };
            let (mut name, mut k) = (base.clone(), 2);
            while out.contains(&name) {
                name = format!("{base}_{k}");
                k += 1;
            }
            out.push(name);
        }
        out
    };
    // Random headers over names that collide with each other's suffixes.
    let words = ["a", "a_2", "a_3", "a_2_2", "b", "", " ", "column_3", "column_3_2", "a_1"];
    let mut seed = 0x5eed_u64;
    for _ in 0..300 {
        let n = 1 + (xorshift(&mut seed) % 40) as usize;
        // (A first name that is not blank: a line of one empty field is no header.)
        let header: Vec<&str> = std::iter::once("ts").chain((0..n).map(|_| words[(xorshift(&mut seed) % words.len() as u64) as usize])).collect();
        assert_eq!(csv_names(&header), rule(&header), "header {header:?}");
    }
    // 30,000 repeats of one name after a name that takes one of their suffixes: `a`, then `a_2`
    // to `a_30001` without `a_5`. (Searching the names before each repeat once per suffix tried
    // made this cubic: hours; fuzzing found 1,680 repeats taking seconds.)
    let mut header = vec!["a_5"];
    header.extend(std::iter::repeat_n("a", 30_000));
    let names = csv_names(&header);
    assert_eq!(names.len(), 30_001);
    assert_eq!(&names[..6], ["a_5", "a", "a_2", "a_3", "a_4", "a_6"]);
    assert_eq!(names[30_000], "a_30001");
    let distinct: std::collections::HashSet<&String> = names.iter().collect();
    assert_eq!(distinct.len(), names.len(), "every name is distinct");
}

#[test]
fn ndjson_flattens_nested_objects_and_marks_mixed_types() {
    let text = r#"{"timestamp": 1793534400000, "http": {"status_code": 200, "method": "GET"}, "v": 1}
{"timestamp": 1793534401000, "http": {"status_code": 500}, "v": "one", "extra": true}

{"timestamp": 1793534402000, "v": 2.5, "tags": ["a", "b"]}"#;
    let l = ingest::load("events.ndjson", text.as_bytes()).unwrap();
    assert_eq!(l.format, Format::NdJson);
    let ds = DataSet::from_batches(l.batches).unwrap();
    assert_eq!(ds.num_rows(), 3);
    let s = ds.schema().clone();
    assert_eq!(s.field_with_name("http.status_code").unwrap().data_type(), &DataType::Int64);
    let v = s.field_with_name("v").unwrap();
    assert_eq!(v.data_type(), &DataType::Utf8);
    assert_eq!(v.metadata().get(ingest::ndjson::MIXED_TYPES_KEY).map(String::as_str), Some("integer,float,string"));
    assert_eq!(s.field_with_name("tags").unwrap().data_type(), &DataType::Utf8);
    // Epoch milliseconds detected as time by magnitude.
    assert_eq!(ds.time_range(), Some((1_793_534_400_000, 1_793_534_402_000)));
    assert_eq!(counts_by(&ds, "http.method"), vec![(json!("GET"), json!(1)), (Json::Null, json!(2))]);
}

#[test]
fn sources_append_into_one_unified_schema() {
    let mut ds = DataSet::empty();
    let a = r#"{"timestamp": 1793534400000, "service": "api", "duration_ms": 5}"#;
    let b = "timestamp,service,duration_ms,region\n1793534401000,db,2.5,eu\n";
    ds.append(ingest::load("a.ndjson", a.as_bytes()).unwrap().batches).unwrap();
    ds.append(ingest::load("b.csv", b.as_bytes()).unwrap().batches).unwrap();
    assert_eq!(ds.num_rows(), 2);
    assert_eq!(ds.schema().field_with_name("duration_ms").unwrap().data_type(), &DataType::Float64);
    assert_eq!(counts_by(&ds, "region"), vec![(json!("eu"), json!(1)), (Json::Null, json!(1))]);
    let r = q(&ds, json!({"calculations":[{"op":"SUM","column":"duration_ms"}],"time_range":60}));
    assert_eq!(r["results"][0]["data"]["SUM(duration_ms)"], json!(7.5));
    // A failed load changes nothing.
    let before = ds.num_rows();
    assert!(ingest::load("bad.ndjson", b"{\"x\": ").is_err());
    assert_eq!(ds.num_rows(), before);
}

#[test]
fn deep_json_nesting_is_an_error_not_a_crash() {
    let deep = "{\"a\":".repeat(10_000) + "1" + &"}".repeat(10_000);
    let e = ingest::load("deep.ndjson", deep.as_bytes()).err().expect("error");
    assert!(e.to_string().contains("deep.ndjson") && e.to_string().contains("recursion limit"), "{e}");
}

#[test]
fn empty_and_unknown_inputs_are_named_errors() {
    for (name, bytes, want) in [
        ("empty.arrow", &b""[..], "empty"),
        ("blank.csv", b"  \n\t ", "white space"),
        ("bin.dat", b"\x00\x01\x02\x03garbage\x00", "unrecognised format"),
        ("bad.csv", b"a,b\n1,\xff\xfe\n", "UTF-8"),
        ("ragged.csv", b"a,b\n1,2\n3,4,5\n", "ragged.csv"),
        ("notobj.ndjson", b"{\"a\":1}\n[1,2]\n", "line 2"),
    ] {
        let e = ingest::load(name, bytes).err().unwrap_or_else(|| panic!("{name} loaded"));
        let msg = e.to_string();
        assert!(msg.contains(name) && msg.contains(want), "{name}: {msg}");
    }
}

#[test]
fn corrupted_text_formats_give_errors_never_panics() {
    let ndjson = br#"{"timestamp": 1793534400000, "a": {"b": [1, 2, {"c": "x"}]}, "n": 1.5}
{"timestamp": 1793534401000, "a": {"b": null}, "s": "yes"}"#;
    let csv = b"time,service,status\n2026-11-01T12:00:00Z,\"a,b\",200\n2026-11-01T12:00:01Z,c,\n";
    let mut rng = 0x9E3779B97F4A7C15u64;
    for (name, bytes) in [("x.ndjson", &ndjson[..]), ("x.csv", &csv[..])] {
        for cut in 0..bytes.len() {
            let r = std::panic::catch_unwind(|| ingest::load(name, &bytes[..cut]).map(|l| DataSet::from_batches(l.batches)));
            assert!(r.is_ok(), "{name} truncated at {cut} panicked");
        }
        for _ in 0..500 {
            let mut b = bytes.to_vec();
            let i = (xorshift(&mut rng) % b.len() as u64) as usize;
            b[i] = xorshift(&mut rng) as u8;
            let r = std::panic::catch_unwind(|| ingest::load(name, &b).map(|l| DataSet::from_batches(l.batches)));
            assert!(r.is_ok(), "{name} corrupted at {i} panicked");
        }
    }
}

#[test]
fn truncated_and_corrupted_files_give_errors_never_panics() {
    let files = ["wide.arrow", "wide_zstd.arrows", "dict_delta.arrows", "views.arrows", "wide_snappy.parquet", "encodings.parquet", "nested.parquet"];
    let mut rng = 0x2545F4914F6CDD1Du64;
    for name in files {
        let bytes = fixture(name);
        // Every truncation point for small files, a spread for larger ones.
        let step = (bytes.len() / 400).max(1);
        for cut in (0..bytes.len()).step_by(step) {
            let r = std::panic::catch_unwind(|| ingest::load(name, &bytes[..cut]).map(|l| DataSet::from_batches(l.batches)));
            assert!(r.is_ok(), "{name} truncated at {cut} panicked");
        }
        // Random corruption inside Parquet page data can panic in the parquet crate's page
        // decoders: natively ingest::parquet catches that (an error, checked below with files
        // that do), in the browser the page decodes Parquet in a worker (e2e).
        for _ in 0..300 {
            let mut b = bytes.clone();
            for _ in 0..1 + xorshift(&mut rng) % 4 {
                let i = (xorshift(&mut rng) % b.len() as u64) as usize;
                b[i] = xorshift(&mut rng) as u8;
            }
            let r = std::panic::catch_unwind(|| {
                if let Ok(l) = ingest::load(name, &b) {
                    if let Ok(ds) = DataSet::from_batches(l.batches) {
                        let _ = query::run(&ds, &QuerySpec::from_json_str(r#"{"time_range":315360000}"#).unwrap());
                    }
                }
            });
            assert!(r.is_ok(), "{name} corrupted panicked");
        }
    }
}

#[test]
fn otlp_json_from_the_opentelemetry_sdk() {
    let (format, ds) = load("otlp_sdk.json");
    assert_eq!(format, Format::OtlpJson);
    assert_eq!(ds.num_rows(), 4);
    assert_eq!(ds.time_column(), Some("timestamp"));
    let r = q(&ds, json!({"calculations":[{"op":"COUNT"},{"op":"MAX","column":"duration_ms"}],"breakdowns":["name","span.kind","status.code","error"],"orders":[{"column":"name"}],"time_range":3600}));
    let rows: Vec<Json> = r["results"].as_array().unwrap().iter().map(|x| x["data"].clone()).collect();
    assert_eq!(rows, vec![
        json!({"name":"POST /checkout","span.kind":"server","status.code":"error","error":true,"COUNT":1,"MAX(duration_ms)":80.0}),
        json!({"name":"UPDATE stock","span.kind":"client","status.code":"unset","error":false,"COUNT":1,"MAX(duration_ms)":18.0}),
        json!({"name":"charge card","span.kind":"client","status.code":"error","error":true,"COUNT":1,"MAX(duration_ms)":55.0}),
        json!({"name":"reserve stock","span.kind":"client","status.code":"unset","error":false,"COUNT":1,"MAX(duration_ms)":25.0}),
    ]);
    // One trace; the root has no parent; every parent id is a span id of the trace.
    let b = &ds.batches()[0];
    let col = |n: &str| b.column(b.schema().index_of(n).unwrap()).as_string::<i32>().clone();
    let (trace, span, parent) = (col("trace.trace_id"), col("trace.span_id"), col("trace.parent_id"));
    assert!((0..4).all(|i| trace.value(i) == trace.value(0) && trace.value(i).len() == 32));
    assert!((0..4).all(|i| span.value(i).chars().all(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase())));
    assert_eq!(parent.null_count(), 1);
    for i in 0..4 {
        if parent.is_valid(i) {
            assert!((0..4).any(|j| span.value(j) == parent.value(i)));
        }
    }
    // Attributes of resource and span, events kept as JSON.
    let r = q(&ds, json!({"calculations":[{"op":"COUNT"}],"filters":[{"column":"service.name","op":"=","value":"checkout"},{"column":"retries","op":"=","value":2},{"column":"span.events","op":"contains","value":"\"retry\""}],"time_range":3600}));
    assert_eq!(r["results"][0]["data"]["COUNT"], json!(1));
}

#[test]
fn otlp_json_lines_as_the_file_exporter_writes_them() {
    let (format, ds) = load("otlp_sdk.jsonl");
    assert_eq!(format, Format::OtlpJson);
    assert_eq!(ds.num_rows(), 8);
    let r = q(&ds, json!({"calculations":[{"op":"COUNT_DISTINCT","column":"trace.trace_id"}],"time_range":3600}));
    assert_eq!(r["results"][0]["data"]["COUNT_DISTINCT(trace.trace_id)"], json!(2));
}

#[test]
fn otlp_bad_ids_and_times_name_the_span() {
    let good = String::from_utf8(fixture("otlp_sdk.json")).unwrap();
    let v: Json = serde_json::from_str(&good).unwrap();
    let span0 = v["resourceSpans"][0]["scopeSpans"][0]["spans"][0]["name"].as_str().unwrap().to_string();
    let mutate = |f: &dyn Fn(&mut Json)| {
        let mut v = v.clone();
        f(&mut v["resourceSpans"][0]["scopeSpans"][0]["spans"][0]);
        ingest::load("bad.json", v.to_string().as_bytes()).err().expect("error").to_string()
    };
    let cases: Vec<(Box<dyn Fn(&mut Json)>, &str)> = vec![
        (Box::new(|s| s["traceId"] = json!("xyz")), "traceId \"xyz\" is not 32 hex digits"),
        (Box::new(|s| s["spanId"] = json!("0123")), "spanId \"0123\" is not 16 hex digits"),
        (Box::new(|s| { s.as_object_mut().unwrap().remove("spanId"); }), "spanId is missing"),
        (Box::new(|s| s["traceId"] = json!("00000000000000000000000000000000")), "all zeros"),
        (Box::new(|s| s["startTimeUnixNano"] = json!("soon")), "startTimeUnixNano is missing or not an integer"),
        (Box::new(|s| s["endTimeUnixNano"] = json!("1")), "ends before it starts"),
    ];
    for (f, want) in cases {
        let msg = mutate(&*f);
        assert!(msg.contains("bad.json") && msg.contains("spans[0]") && msg.contains(&span0) && msg.contains(want), "{msg}");
    }
}

#[test]
fn inputs_that_once_crashed_arrow_ipc_are_errors() {
    // Found by the arrow_ipc fuzz target: lying buffer ranges, misaligned blocks, fixed-width
    // buffers of partial values. Each must be an error now.
    for (name, bytes) in fixture_files("ipc_crashes", 3) {
        let r = std::panic::catch_unwind(|| {
            let s = ingest::arrow_ipc::read_stream(&name, &bytes).map(|b| DataSet::from_batches(b));
            let o = ingest::arrow_ipc::read_stream_owned(&name, bytes.clone()).map(|b| DataSet::from_batches(b));
            let f = ingest::arrow_ipc::read_file(&name, &bytes).map(|b| DataSet::from_batches(b));
            (s.is_err(), o.is_err(), f.is_err())
        });
        let (s, o, f) = r.unwrap_or_else(|_| panic!("{name} panicked"));
        assert!(s && o && f, "{name} decoded without an error");
    }
}

#[test]
fn epoch_numbers_join_a_timestamp_column() {
    let mut ds = DataSet::from_batches(apiary::demo::generate(100, 1, 1000)).unwrap();
    // Each source's epoch unit is told by the magnitude of its values.
    let ms = r#"{"timestamp": 1793534300000, "service.name": "late"}"#;
    let secs = r#"{"timestamp": 1793534300, "service.name": "seconds"}"#;
    ds.append(ingest::load("ms.ndjson", ms.as_bytes()).unwrap().batches).unwrap();
    ds.append(ingest::load("s.ndjson", secs.as_bytes()).unwrap().batches).unwrap();
    assert!(matches!(ds.schema().field_with_name("timestamp").unwrap().data_type(), DataType::Timestamp(..)));
    let r = q(&ds, json!({"filters":[{"column":"service.name","op":"in","value":["late","seconds"]}],"breakdowns":["service.name"],"start_time":1793534300,"end_time":1793534301}));
    assert_eq!(r["results"].as_array().unwrap().len(), 2, "{r}");
}

#[test]
fn owned_arrow_streams_decode_like_the_copying_reader_and_fail_the_same_way() {
    let mut streams: Vec<(String, Vec<u8>)> = ["wide_zstd.arrows", "dict_delta.arrows", "dict_replace.arrows"].iter().map(|n| (n.to_string(), fixture(n))).collect();
    let demo = apiary::demo::generate(3000, 7, 1000);
    streams.push(("demo (lz4)".into(), ingest::arrow_ipc::write_stream(&demo).unwrap()));
    streams.push(("demo (plain)".into(), ingest::arrow_ipc::write_stream_plain(&demo).unwrap()));
    for (name, bytes) in &streams {
        let copied = ingest::load(name, bytes).unwrap().batches;
        let owned = ingest::load_owned(name, bytes.clone()).unwrap();
        assert_eq!(owned.format, Format::ArrowStream);
        assert_eq!(copied, owned.batches, "{name}");
        // Truncation anywhere is an error (or, at a message boundary, fewer batches), never a panic.
        let step = (bytes.len() / 300).max(1);
        for cut in (0..bytes.len()).step_by(step) {
            let r = std::panic::catch_unwind(|| ingest::arrow_ipc::read_stream_owned(name, bytes[..cut].to_vec()).map(|b| DataSet::from_batches(b)));
            let r = r.unwrap_or_else(|_| panic!("{name} truncated at {cut} panicked"));
            if let Ok(Ok(ds)) = r {
                assert!(ds.num_rows() < copied.iter().map(|b| b.num_rows()).sum::<usize>() || cut == 0, "{name} cut at {cut} kept every row");
            }
        }
    }
    // The plain stream's batches point into the bytes handed over: no copy of the data.
    let plain = &streams.last().unwrap().1;
    let owned = ingest::arrow_ipc::read_stream_owned("demo", plain.clone()).unwrap();
    let sizes: usize = owned.iter().map(|b| b.get_array_memory_size()).sum();
    let ds = DataSet::from_batches(owned).unwrap();
    assert!(ds.num_rows() == 3000 && sizes > 0);
}

#[test]
fn view_and_large_layouts_from_pyarrow() {
    let (format, ds) = load("views.arrows");
    assert_eq!(format, Format::ArrowStream);
    assert_eq!(ds.num_rows(), 6);
    assert_eq!(ds.batches().len(), 2);
    let ty = |n: &str| ds.schema().field_with_name(n).unwrap().data_type().clone();
    assert_eq!(ty("name"), arrow_schema::DataType::Utf8View);
    assert_eq!(ty("payload"), arrow_schema::DataType::BinaryView);
    assert_eq!(ty("blob"), arrow_schema::DataType::LargeBinary);
    let long = "a-span-name-longer-than-twelve-bytes";
    assert_eq!(counts_by(&ds, "name"), vec![(json!(long), json!(2)), (json!("checkout"), json!(2)), (json!("é"), json!(1)), (Json::Null, json!(1))]);
    let r = q(&ds, json!({"calculations":[{"op":"COUNT"},{"op":"COUNT_DISTINCT","column":"name"}],"filters":[{"column":"name","op":"contains","value":"twelve"}],"time_range":315360000}));
    assert_eq!(r["results"][0]["data"], json!({"COUNT": 2, "COUNT_DISTINCT(name)": 1}));
    let r = q(&ds, json!({"calculations":[{"op":"COUNT"}],"filters":[{"column":"blob","op":"exists"}],"time_range":315360000}));
    assert_eq!(r["results"][0]["data"]["COUNT"], json!(5));
}

#[test]
fn parquet_page_data_that_crashes_the_decoder_is_an_error() {
    for (name, bytes) in fixture_files("parquet_panics", 2) {
        let e = ingest::load("bad.parquet", &bytes).map(|_| ()).expect_err("decoded without an error").to_string();
        assert!(e.contains("bad.parquet") && e.contains("crashed"), "{name}: {e}");
    }
}

#[test]
fn parquet_column_chunks_outside_the_file_are_errors() {
    // Found by corrupting fixtures: footers whose column chunk offsets or sizes are negative or
    // past the end, on which the parquet crate asserted (a panic, which kills the page in wasm).
    for (name, bytes) in fixture_files("parquet_crashes", 5) {
        let r = std::panic::catch_unwind(|| ingest::load("crash.parquet", &bytes).map(|_| ()));
        let e = r.unwrap_or_else(|_| panic!("{name} panicked")).expect_err("decoded without an error").to_string();
        assert!(e.contains("crash.parquet") && e.contains("row group") && e.contains("does not lie inside"), "{name}: {e}");
    }
}

#[test]
fn parquet_page_headers_that_would_hold_the_decoder_are_errors() {
    // Found by fuzzing (FUZZING.md): the parquet crate skips a page header's boolean list elements
    // without reading a byte, so a header declaring 2^31 of them looped 2^31 times (seconds per
    // column chunk) before its error. Now refused before the crate reads the page.
    for (name, bytes) in fixture_files("parquet_hangs", 1) {
        let e = ingest::load("hang.parquet", &bytes).map(|_| ()).expect_err("decoded without an error").to_string();
        // (This one's column chunk also ends inside that header: the walk stops there.)
        assert!(e.contains("hang.parquet") && e.contains("page header at byte"), "{name}: {e}");
    }
    // The same made by hand in a file pyarrow wrote: the first column chunk's first page header
    // begins with an unknown field (15) holding a list of 2^31 booleans.
    let mut bytes = fixture("wide_none.parquet");
    let meta = parquet::file::metadata::ParquetMetaDataReader::new().parse_and_finish(&bytes::Bytes::from(bytes.clone())).unwrap();
    let col = meta.row_group(0).column(0);
    let at = col.dictionary_page_offset().unwrap_or(col.data_page_offset()) as usize;
    bytes[at..at + 7].copy_from_slice(&[0xf9, 0xf1, 0x80, 0x80, 0x80, 0x80, 0x08]);
    let e = ingest::load("crafted.parquet", &bytes).map(|_| ()).expect_err("decoded without an error").to_string();
    assert!(e.contains("crafted.parquet") && e.contains("row group 0, column 0") && e.contains(&format!("page header at byte {at}")) && e.contains("2147483648 elements"), "{e}");
    // Every fixture Parquet file (pyarrow, DuckDB) still passes the walk.
    for name in ["wide_none.parquet", "wide_zstd.parquet", "wide_gzip.parquet", "encodings.parquet", "encodings_zstd.parquet", "nested.parquet", "wide_snappy.parquet", "wide_lz4.parquet", "wide_brotli.parquet"] {
        ingest::load(name, &fixture(name)).unwrap_or_else(|e| panic!("{name}: {e}"));
    }
}

#[test]
fn parquet_footers_declaring_more_than_they_hold_are_errors() {
    // Found by fuzzing (FUZZING.md, session 21): a 35-byte file whose footer has an unknown field
    // holding a map of 805 million boolean pairs, which the parquet crate skips pair by pair
    // without reading a byte (seconds; a footer of many such maps: minutes). Now refused before
    // the crate reads the footer.
    for (name, bytes) in fixture_files("parquet_footer_hangs", 1) {
        let e = ingest::load("hang.parquet", &bytes).map(|_| ()).expect_err("decoded without an error").to_string();
        assert!(e.contains("hang.parquet") && e.contains("left in the footer"), "{name}: {e}");
    }
    // Made by hand in a file pyarrow wrote: a field the crate does not know (id 100) added to the
    // end of its FileMetaData, holding a map; first of 2^31 - 1 boolean pairs (8 bytes), then of
    // two integer pairs (read and ignored, as an unknown field should be).
    let bytes = fixture("wide_none.parquet");
    let rows = |bytes: &[u8]| ingest::load("x.parquet", bytes).map(|l| l.batches.iter().map(|b| b.num_rows()).sum::<usize>());
    let with_field = |field: &[u8]| {
        let n = bytes.len();
        let len = u32::from_le_bytes(bytes[n - 8..n - 4].try_into().unwrap()) as usize;
        let start = n - 8 - len;
        let mut meta = bytes[start..n - 8].to_vec();
        assert_eq!(meta.pop(), Some(0), "a FileMetaData ends with its stop byte");
        meta.extend_from_slice(field);
        meta.push(0);
        let mut out = bytes[..start].to_vec();
        out.extend_from_slice(&meta);
        out.extend_from_slice(&(meta.len() as u32).to_le_bytes());
        out.extend_from_slice(b"PAR1");
        out
    };
    // Field header: type 11 (map) with its id in the long form (zigzag 100 = 200); then the size and
    // the key and value types (1: boolean; 5: i32).
    let huge = with_field(&[0x0b, 0xc8, 0x01, 0xff, 0xff, 0xff, 0xff, 0x07, 0x11]);
    let e = ingest::load("crafted.parquet", &huge).map(|_| ()).expect_err("decoded without an error").to_string();
    assert!(e.contains("crafted.parquet") && e.contains("footer") && e.contains("4294967294 elements"), "{e}");
    let small = with_field(&[0x0b, 0xc8, 0x01, 0x02, 0x55, 0x02, 0x04, 0x06, 0x08]);
    assert_eq!(rows(&small).unwrap(), rows(&bytes).unwrap(), "an unknown field of a few values is skipped");
}

#[test]
fn parquet_delta_string_counts_beyond_their_page_are_errors() {
    // Found by fuzzing (FUZZING.md): a DELTA_BYTE_ARRAY page whose data declares 2^56 lengths; the
    // parquet crate sized a vector by that count, an allocation that aborts the process.
    for (name, bytes) in fixture_files("parquet_allocations", 1) {
        let e = ingest::load("big.parquet", &bytes).map(|_| ()).expect_err("decoded without an error").to_string();
        assert!(e.contains("big.parquet") && e.contains("string lengths for its"), "{name}: {e}");
    }
    // Made here: 40 strings, each delta encoding, data page v1 and v2, uncompressed; then the
    // count in the first delta header (block 128, 4 miniblocks, 40 values) raised to 127.
    use arrow_array::{ArrayRef, RecordBatch, StringArray};
    use parquet::basic::{Compression, Encoding};
    use parquet::file::properties::{WriterProperties, WriterVersion};
    use std::sync::Arc;
    let words: Vec<Option<String>> = (0..40).map(|i| (i % 7 != 3).then(|| format!("checkout-{}", i * 37 % 11))).collect();
    let batch = RecordBatch::try_from_iter([("s", Arc::new(StringArray::from(words.clone())) as ArrayRef)]).unwrap();
    for encoding in [Encoding::DELTA_LENGTH_BYTE_ARRAY, Encoding::DELTA_BYTE_ARRAY] {
        for version in [WriterVersion::PARQUET_1_0, WriterVersion::PARQUET_2_0] {
            let props = WriterProperties::builder().set_writer_version(version).set_compression(Compression::UNCOMPRESSED).set_dictionary_enabled(false).set_encoding(encoding).build();
            let mut file = Vec::new();
            let mut w = parquet::arrow::ArrowWriter::try_new(&mut file, batch.schema(), Some(props)).unwrap();
            w.write(&batch).unwrap();
            w.close().unwrap();
            let what = format!("{encoding:?}, {version:?}");
            let l = ingest::load("ok.parquet", &file).unwrap_or_else(|e| panic!("{what}: {e}"));
            let col = l.batches[0].column(0).as_any().downcast_ref::<StringArray>().unwrap().iter().map(|v| v.map(str::to_string)).collect::<Vec<_>>();
            assert_eq!(col, words, "{what}");
            // Non-null values: 34 (0x22) of 40.
            let header = [0x80, 0x01, 0x04, 0x22];
            let at = file.windows(4).position(|w| w == header).unwrap_or_else(|| panic!("{what}: no delta header"));
            file[at + 3] = 0x7f;
            let e = ingest::load("bad.parquet", &file).map(|_| ()).expect_err(&what).to_string();
            assert!(e.contains("bad.parquet") && e.contains("declares 127 string lengths for its 40 values"), "{what}: {e}");
        }
    }
}

#[test]
fn decoding_in_a_separate_instance_gives_the_same_batches() {
    use ingest::isolated;
    for name in ["wide_snappy.parquet", "encodings.parquet", "otlp_sdk.json", "views.arrows"] {
        let bytes = fixture(name);
        let whole = ingest::load(name, &bytes).unwrap();
        let answer = isolated::serve(&isolated::request(name, &bytes)).unwrap();
        let (format, ipc) = isolated::answer(&answer).unwrap();
        assert_eq!(format, whole.format, "{name}");
        let back = ingest::load_owned(name, ipc.to_vec()).unwrap();
        assert_eq!(back.batches, whole.batches, "{name}");
    }
    // Errors come back as text naming the file; a malformed request is an error too.
    let e = isolated::serve(&isolated::request("bad.csv", b"a,b\n1,2,3\n")).unwrap_err();
    assert!(e.contains("bad.csv"), "{e}");
    assert!(isolated::serve(b"\x05\x00").is_err());
    assert!(isolated::answer(&[]).is_err() && isolated::answer(&[9]).is_err());
}

#[test]
fn columns_a_source_lacks_are_nulls_that_take_no_memory_per_row() {
    // The demo's 30-odd columns (strings, dictionaries, numbers, booleans) are missing from an
    // NDJSON source, whose `extra` column the demo lacks.
    let mut ds = DataSet::from_batches(apiary::demo::generate(200_000, 3, 65_536)).unwrap();
    let before = ds.byte_size();
    let demo_count = q(&ds, json!({"calculations":[{"op":"COUNT"}],"time_range":315360000}))["results"][0]["data"]["COUNT"].clone();
    let t0 = 1_793_534_400_000u64 - 3_600_000;
    let text: String = (0..100_000).map(|i| format!("{{\"timestamp\":{},\"extra\":{i}}}\n", t0 + i)).collect();
    let l = ingest::load("extra.ndjson", text.as_bytes()).unwrap();
    let added = apiary::dataset::batches_byte_size(&l.batches);
    ds.append(l.batches).unwrap();
    assert_eq!(ds.num_rows(), 300_000);
    let grown = ds.byte_size() - before - added;
    assert!(grown < 8 << 20, "the nulls took {grown} bytes");
    // They are nulls of each column's own type, as a query sees them.
    let last = ds.batches().last().unwrap();
    for (f, c) in ds.schema().fields().iter().zip(last.columns()) {
        if f.name() != "extra" && f.name() != "timestamp" {
            assert_eq!((c.data_type(), c.null_count()), (f.data_type(), c.len()), "{}", f.name());
        }
    }
    let r = q(&ds, json!({"calculations":[{"op":"COUNT"}],"filters":[{"column":"service.name","op":"exists"}],"time_range":315360000}));
    assert_eq!(r["results"][0]["data"]["COUNT"], demo_count);
    let r = q(&ds, json!({"calculations":[{"op":"COUNT"},{"op":"SUM","column":"extra"},{"op":"MAX","column":"duration_ms"}],"filters":[{"column":"extra","op":"exists"}],"time_range":315360000}));
    assert_eq!(r["results"][0]["data"], json!({"COUNT": 100_000, "SUM(extra)": 4_999_950_000i64, "MAX(duration_ms)": null}));
}

#[test]
fn parquet_rows_beyond_what_its_bytes_can_hold_are_refused() {
    // pyarrow wrote 24M null int32 rows in a few kilobytes (make_fixtures.py): refused before
    // any row is decoded, with the counts in the error.
    let bytes = fixture("null_rows.parquet");
    assert!(bytes.len() < 200_000, "{} bytes", bytes.len());
    let e = ingest::load("null_rows.parquet", &bytes).err().expect("an error").to_string();
    assert!(e.contains("null_rows.parquet") && e.contains("24000000 rows") && e.contains("one per bit"), "{e}");
    // Files whose rows fit their bytes load as before.
    let ok = ingest::load("wide_snappy.parquet", &fixture("wide_snappy.parquet")).unwrap();
    assert!(ok.batches.iter().map(|b| b.num_rows()).sum::<usize>() > 0);
}

#[test]
fn parquet_schemas_declaring_more_children_than_they_have_or_nesting_too_deep_are_errors() {
    // Found by fuzzing (FUZZING.md): a footer whose group declares 2^31 children; the parquet
    // crate reserved room for them before reading any (6 GB), which aborts the process.
    for (name, bytes) in fixture_files("parquet_schema", 1) {
        let e = ingest::load("big.parquet", &bytes).map(|_| ()).expect_err("decoded without an error").to_string();
        assert!(e.contains("big.parquet") && e.contains("children, more than the"), "{name}: {e}");
    }
    use arrow_array::{ArrayRef, Int64Array, RecordBatch, StructArray};
    use arrow_schema::{DataType, Field};
    use std::sync::Arc;
    let write = |batch: &RecordBatch| {
        let mut file = Vec::new();
        let mut w = parquet::arrow::ArrowWriter::try_new(&mut file, batch.schema(), None).unwrap();
        w.write(batch).unwrap();
        w.close().unwrap();
        file
    };
    // Made here: one column; its root declares 1 child (zigzag 0x02 after the name), raised to 63.
    let batch = RecordBatch::try_from_iter([("n", Arc::new(Int64Array::from(vec![1, 2, 3])) as ArrayRef)]).unwrap();
    let mut file = write(&batch);
    assert_eq!(ingest::load("ok.parquet", &file).unwrap().batches[0].num_rows(), 3);
    let root = b"arrow_schema\x15\x02";
    let at = file.windows(root.len()).rposition(|w| w == root).expect("the root schema element") + root.len() - 1;
    file[at] = 0x7e;
    let e = ingest::load("root.parquet", &file).map(|_| ()).expect_err("decoded without an error").to_string();
    assert!(e.contains("root.parquet") && e.contains("schema element 0 declares 63 children, more than the 1 elements"), "{e}");
    // Structs nested 40 levels load; 70 levels are refused before the crate recurses into them.
    let nested = |depth: usize| {
        let mut col: ArrayRef = Arc::new(Int64Array::from(vec![7, 8]));
        for level in 0..depth {
            let field = Arc::new(Field::new(format!("l{level}"), col.data_type().clone(), true));
            col = Arc::new(StructArray::from(vec![(field, col)]));
        }
        assert!(matches!(col.data_type(), DataType::Struct(_)));
        write(&RecordBatch::try_from_iter([("deep", col)]).unwrap())
    };
    let ok = ingest::load("deep.parquet", &nested(40)).unwrap_or_else(|e| panic!("40 levels: {e}"));
    assert_eq!(ok.batches[0].num_rows(), 2);
    let e = ingest::load("deeper.parquet", &nested(70)).map(|_| ()).expect_err("70 levels decoded").to_string();
    assert!(e.contains("deeper.parquet") && e.contains("more than 64 levels deep"), "{e}");
}
