//! The native CLI: same engine, exit codes and messages for people and scripts.

use std::process::Command;

use serde_json::Value as Json;

fn apiary(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_apiary")).args(args).output().expect("run apiary");
    (out.status.code().unwrap_or(-1), String::from_utf8_lossy(&out.stdout).into(), String::from_utf8_lossy(&out.stderr).into())
}

fn demo_file(dir: &tempfile::TempDir, rows: usize) -> String {
    let path = dir.path().join("demo.arrow").display().to_string();
    let (code, _, err) = apiary(&["demo", "--rows", &rows.to_string(), "--out", &path]);
    assert_eq!(code, 0, "{err}");
    path
}

#[test]
fn demo_then_inspect_reports_schema_and_time() {
    let dir = tempfile::tempdir().unwrap();
    let f = demo_file(&dir, 3000);
    let (code, out, err) = apiary(&["inspect", &f, "--json"]);
    assert_eq!(code, 0, "{err}");
    let v: Json = serde_json::from_str(&out).unwrap();
    assert_eq!(v[0]["rows"], 3000);
    assert_eq!(v[0]["format"], "Arrow IPC stream");
    assert_eq!(v[0]["time_column"], "timestamp");
    assert!(v[0]["schema"].as_array().unwrap().iter().any(|f| f["name"] == "duration_ms" && f["type"] == "Float64"));
}

#[test]
fn query_prints_honeycomb_json_csv_and_table() {
    let dir = tempfile::tempdir().unwrap();
    let f = demo_file(&dir, 3000);
    let spec = r#"{"calculations":[{"op":"COUNT"},{"op":"P99","column":"duration_ms"}],"breakdowns":["service.name"],"time_range":86400,"granularity":3600}"#;
    let (code, out, err) = apiary(&["query", &f, "--spec", spec, "--sample-rate", "none"]);
    assert_eq!(code, 0, "{err}");
    let v: Json = serde_json::from_str(&out).unwrap();
    let total: i64 = v["results"].as_array().unwrap().iter().map(|r| r["data"]["COUNT"].as_i64().unwrap()).sum();
    assert_eq!(total, 3000);
    assert!(v["series"].as_array().unwrap().len() >= 6);
    assert!(v["results"][0]["data"]["P99(duration_ms)"].is_f64());

    let spec_path = dir.path().join("spec.json");
    std::fs::write(&spec_path, spec).unwrap();
    let (code, csv, _) = apiary(&["query", &f, "--spec", &format!("@{}", spec_path.display()), "--format", "csv"]);
    assert_eq!(code, 0);
    assert!(csv.starts_with("service.name,COUNT,P99(duration_ms)\n"), "{csv}");
    let (code, table, _) = apiary(&["query", &f, "--spec", spec, "--format", "table"]);
    assert_eq!(code, 0);
    assert!(table.lines().nth(1).unwrap().starts_with("---"));
}

#[test]
fn bad_input_exits_nonzero_with_a_message() {
    let dir = tempfile::tempdir().unwrap();
    let junk = dir.path().join("junk.arrow");
    std::fs::write(&junk, b"\x00\x01 definitely not arrow").unwrap();
    let (code, _, err) = apiary(&["inspect", junk.to_str().unwrap()]);
    assert_ne!(code, 0);
    assert!(err.contains("junk.arrow") && err.contains("unrecognised format"), "{err}");
    std::fs::write(&junk, b"definitely not arrow").unwrap();
    let (code, _, err) = apiary(&["inspect", junk.to_str().unwrap()]);
    assert_ne!(code, 0);
    assert!(err.contains("junk.arrow") && err.contains("no data rows"), "{err}");

    let f = demo_file(&dir, 100);
    let bytes = std::fs::read(&f).unwrap();
    let cut = dir.path().join("cut.arrow");
    std::fs::write(&cut, &bytes[..bytes.len() / 2]).unwrap();
    let (code, _, err) = apiary(&["inspect", cut.to_str().unwrap()]);
    assert_ne!(code, 0);
    assert!(err.contains("cut.arrow"), "{err}");

    let (code, _, err) = apiary(&["query", &f, "--spec", r#"{"breakdowns":["nope"]}"#]);
    assert_ne!(code, 0);
    assert!(err.contains("breakdowns[0]") && err.contains("nope"), "{err}");

    // Parquet page data on which the parquet crate panics: an error, not a crash.
    let (code, _, err) = apiary(&["inspect", "tests/fixtures/parquet_panics/wide_none_corrupted_page.parquet"]);
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("apiary: cannot read") && err.contains("decoder crashed"), "{err}");
    // Only the error: not the panic hook's message about the parquet crate's panic.
    assert!(!err.contains("panicked") && err.lines().count() == 1, "{err}");
}

#[test]
fn bubbleup_ranks_columns_as_json() {
    let dir = tempfile::tempdir().unwrap();
    let f = demo_file(&dir, 20_000);
    let end = apiary::demo::END_MS / 1000;
    let spec = format!(r#"{{"start_time":{},"end_time":{end}}}"#, end - 6 * 3600);
    let sel = format!(r#"{{"start_time":{},"end_time":{end},"filters":[{{"column":"duration_ms","op":">","value":800}}]}}"#, end - 90 * 60);
    let (code, out, err) = apiary(&["bubbleup", &f, "--spec", &spec, "--selection", &sel]);
    assert_eq!(code, 0, "{err}");
    let v: Json = serde_json::from_str(&out).unwrap();
    let cols: Vec<&str> = v["columns"].as_array().unwrap().iter().map(|c| c["column"].as_str().unwrap()).collect();
    assert!(cols[..2].contains(&"region") && cols[..2].contains(&"app.version"), "{cols:?}");
    assert!(v["selection"]["count"].as_f64().unwrap() > 0.0);
    let (code, _, err) = apiary(&["bubbleup", &f, "--spec", &spec, "--selection", "{}"]);
    assert_ne!(code, 0);
    assert!(err.contains("selection"), "{err}");
}

#[test]
fn trace_prints_the_assembled_tree() {
    let f = "tests/fixtures/otlp_sdk.json";
    let text = std::fs::read_to_string(f).unwrap();
    let v: Json = serde_json::from_str(&text).unwrap();
    let id = v["resourceSpans"][0]["scopeSpans"][0]["spans"][0]["traceId"].as_str().unwrap().to_lowercase();
    let (code, out, err) = apiary(&["trace", f, "--trace-id", &id]);
    assert_eq!(code, 0, "{err}");
    let t: Json = serde_json::from_str(&out).unwrap();
    assert_eq!(t["summary"]["span_count"], 4);
    assert_eq!(t["spans"][0]["name"], "POST /checkout");
    assert_eq!(t["spans"][0]["critical"], true);
    let (code, _, err) = apiary(&["trace", f, "--trace-id", "0000"]);
    assert_ne!(code, 0);
    assert!(err.contains("no spans"), "{err}");
}

#[test]
fn bubbleup_columns_limits_the_comparison_and_rejects_unknown_names() {
    let dir = tempfile::tempdir().unwrap();
    let f = demo_file(&dir, 5000);
    let end = apiary::demo::END_MS / 1000;
    let spec = format!(r#"{{"start_time":{},"end_time":{end}}}"#, end - 6 * 3600);
    let sel = r#"{"filters":[{"column":"duration_ms","op":">","value":800}]}"#;
    let (code, out, err) = apiary(&["bubbleup", &f, "--spec", &spec, "--selection", sel, "--columns", "region,http.method"]);
    assert_eq!(code, 0, "{err}");
    let v: Json = serde_json::from_str(&out).unwrap();
    let mut cols: Vec<&str> = v["columns"].as_array().unwrap().iter().map(|c| c["column"].as_str().unwrap()).collect();
    cols.sort();
    assert_eq!(cols, ["http.method", "region"]);
    let (code, _, err) = apiary(&["bubbleup", &f, "--spec", &spec, "--selection", sel, "--columns", "region,nope"]);
    assert_ne!(code, 0);
    assert!(err.contains("nope"), "{err}");
}

#[test]
fn demo_without_compression_is_plain_arrow_with_the_same_rows() {
    let dir = tempfile::tempdir().unwrap();
    let lz4 = demo_file(&dir, 4000);
    let plain = dir.path().join("plain.arrow").display().to_string();
    let (code, _, err) = apiary(&["demo", "--rows", "4000", "--out", &plain, "--compression", "none"]);
    assert_eq!(code, 0, "{err}");
    let (a, b) = (std::fs::read(&lz4).unwrap(), std::fs::read(&plain).unwrap());
    assert!(b.len() > a.len(), "uncompressed {} bytes vs lz4 {}", b.len(), a.len());
    // The plain stream carries no compression codec; both decode to the same rows.
    let spec = r#"{"calculations":[{"op":"COUNT"},{"op":"SUM","column":"duration_ms"}],"time_range":86400}"#;
    let (_, out_a, _) = apiary(&["query", &lz4, "--spec", spec, "--sample-rate", "none"]);
    let (code, out_b, err) = apiary(&["query", &plain, "--spec", spec, "--sample-rate", "none"]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(out_a, out_b);
    assert!(out_b.contains("\"COUNT\": 4000"), "{out_b}");
}

#[test]
fn heatmap_log_scale_buckets_by_equal_ratios_and_counts_every_value() {
    let dir = tempfile::tempdir().unwrap();
    let f = demo_file(&dir, 3000);
    let spec = r#"{"calculations":[{"op":"HEATMAP","column":"duration_ms"},{"op":"COUNT"},{"op":"MIN","column":"duration_ms"},{"op":"MAX","column":"duration_ms"}],"time_range":604800}"#;
    let (code, out, err) = apiary(&["query", &f, "--spec", spec, "--sample-rate", "none", "--heatmap-scale", "log"]);
    assert_eq!(code, 0, "{err}");
    let v: Json = serde_json::from_str(&out).unwrap();
    let d = &v["results"][0]["data"];
    let h = &d["HEATMAP(duration_ms)"];
    assert_eq!(h["scale"], "log");
    assert_eq!(h["min"], d["MIN(duration_ms)"]);
    assert_eq!(h["max"], d["MAX(duration_ms)"]);
    let (lo, hi) = (h["min"].as_f64().unwrap(), h["max"].as_f64().unwrap());
    let w = h["bucket_width"].as_f64().unwrap();
    assert!((w - (hi.log10() - lo.log10()) / 50.0).abs() < 1e-12, "width {w} for {lo}..{hi}");
    let counts: Vec<f64> = h["counts"].as_array().unwrap().iter().map(|c| c.as_f64().unwrap()).collect();
    assert_eq!(counts.iter().sum::<f64>(), d["COUNT"].as_f64().unwrap());
    // Latency is skewed: a log axis spreads it, so many more buckets are used than on a linear one.
    let (_, lin, _) = apiary(&["query", &f, "--spec", spec, "--sample-rate", "none"]);
    let lin: Json = serde_json::from_str(&lin).unwrap();
    let lh = &lin["results"][0]["data"]["HEATMAP(duration_ms)"];
    assert!(lh.get("scale").is_none());
    let used = |c: &[f64]| c.iter().filter(|x| **x > 0.0).count();
    let lin_counts: Vec<f64> = lh["counts"].as_array().unwrap().iter().map(|c| c.as_f64().unwrap()).collect();
    assert!(used(&counts) > used(&lin_counts), "log uses {} buckets, linear {}", used(&counts), used(&lin_counts));
    let (code, _, err) = apiary(&["query", &f, "--spec", spec, "--heatmap-scale", "cubic"]);
    assert_ne!(code, 0);
    assert!(err.contains("cubic"), "{err}");
}

#[test]
fn demo_as_parquet_and_ndjson_has_the_same_rows_as_arrow() {
    // The load benchmark's other formats: the same spans, detected by content, same answers.
    let dir = tempfile::tempdir().unwrap();
    let arrow = demo_file(&dir, 3000);
    let spec = r#"{"calculations":[{"op":"COUNT"},{"op":"SUM","column":"http.status_code"},{"op":"MAX","column":"duration_ms"}],"breakdowns":["service.name"],"time_range":86400}"#;
    let (_, want, _) = apiary(&["query", &arrow, "--spec", spec, "--sample-rate", "none"]);
    for (format, detected) in [("parquet", "Parquet"), ("ndjson", "NDJSON")] {
        let path = dir.path().join(format!("demo.{format}")).display().to_string();
        let (code, _, err) = apiary(&["demo", "--rows", "3000", "--format", format, "--out", &path]);
        assert_eq!(code, 0, "{err}");
        let (code, out, err) = apiary(&["inspect", &path, "--json"]);
        assert_eq!(code, 0, "{err}");
        let v: Json = serde_json::from_str(&out).unwrap();
        assert_eq!(v[0]["rows"], 3000, "{format}");
        assert!(v[0]["format"].as_str().unwrap().starts_with(detected), "{format}: {}", v[0]["format"]);
        assert_eq!(v[0]["time_column"], "timestamp", "{format}");
        let (code, got, err) = apiary(&["query", &path, "--spec", spec, "--sample-rate", "none"]);
        assert_eq!(code, 0, "{err}");
        assert_eq!(got, want, "{format}");
    }
}

#[test]
fn quality_prints_a_table_or_json_and_refuses_a_bad_conventions_file() {
    let fixture = "tests/fixtures/quality_sdk.jsonl";
    let (code, out, err) = apiary(&["quality", fixture, "--format", "json", "--conventions", "@tests/fixtures/quality_conventions.json"]);
    assert_eq!(code, 0, "{err}");
    let v: Json = serde_json::from_str(&out).unwrap();
    assert_eq!(v["events"], 16);
    assert_eq!(v["conventions"], "Storefront conventions");
    assert!(v["findings"].as_array().unwrap().iter().any(|f| f["check"] == "conventions.required"));
    // The table: services, the coverage grid as text, the findings.
    let (code, out, err) = apiary(&["quality", fixture]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("coverage: % of each service's events"), "{out}");
    assert!(out.lines().any(|l| l.starts_with("http.method") && l.split_whitespace().collect::<Vec<_>>() == ["http.method", "50", "100", "-", "-"]), "{out}");
    assert!(out.contains("http.method is deprecated"), "{out}");
    let (code, _, err) = apiary(&["quality", fixture, "--conventions", "{\"required\": [{\"attributes\": 7}]}"]);
    assert_ne!(code, 0);
    assert!(err.contains("conventions file, line 1"), "{err}");
    let (code, _, err) = apiary(&["quality", fixture, "--format", "csv"]);
    assert_ne!(code, 0);
    assert!(err.contains("json or table"), "{err}");
}
