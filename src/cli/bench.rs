//! `apiary bench`: native timings of the observability query set (median of several runs),
//! printed as numbers. Not a test: nothing here asserts a speed.

use std::time::Instant;

use apiary::demo::END_MS;
use apiary::{demo, query, DataSet, QuerySpec};
use serde_json::{json, Value as Json};

/// The benchmark queries (shared with the browser benchmark): name and spec over the demo data.
pub fn queries() -> Vec<(&'static str, Json)> {
    let end = END_MS / 1000;
    let start = end - demo::HOURS * 3600;
    let range = |mut v: Json| {
        v["start_time"] = json!(start);
        v["end_time"] = json!(end);
        v
    };
    vec![
        ("Q1 COUNT per 60 s", range(json!({"calculations":[{"op":"COUNT"}],"granularity":60}))),
        ("Q2 P50/P95/P99 by service, status>=500", range(json!({"calculations":[{"op":"P50","column":"duration_ms"},{"op":"P95","column":"duration_ms"},{"op":"P99","column":"duration_ms"}],"filters":[{"column":"http.status_code","op":">=","value":500}],"breakdowns":["service.name"]}))),
        ("Q3 HEATMAP(duration_ms) per 60 s", range(json!({"calculations":[{"op":"HEATMAP","column":"duration_ms"}],"granularity":60}))),
        ("Q4 COUNT_DISTINCT(user.id) by route top 10", range(json!({"calculations":[{"op":"COUNT_DISTINCT","column":"user.id"}],"breakdowns":["http.route"],"limit":10}))),
        ("Q5 COUNT by user.id top 20", range(json!({"calculations":[{"op":"COUNT"}],"breakdowns":["user.id"],"limit":20}))),
        ("Q6 contains + AVG by region", range(json!({"calculations":[{"op":"COUNT"},{"op":"AVG","column":"duration_ms"}],"filters":[{"column":"name","op":"contains","value":"checkout"},{"column":"duration_ms","op":">","value":500}],"breakdowns":["region"]}))),
    ]
}

/// The BubbleUp-style comparison: the same breakdowns for the slow events and for the rest.
fn two_populations(threshold: f64) -> Vec<Json> {
    let end = END_MS / 1000;
    let start = end - demo::HOURS * 3600;
    ["region", "app.version", "service.name", "http.route", "http.method"]
        .iter()
        .flat_map(|col| {
            ["> ", "<="].map(|op| {
                json!({"calculations":[{"op":"COUNT"}],"filters":[{"column":"duration_ms","op":op.trim(),"value":threshold}],"breakdowns":[col],"start_time":start,"end_time":end})
            })
        })
        .collect()
}

fn median_ms(runs: usize, mut f: impl FnMut()) -> f64 {
    let mut times: Vec<f64> = (0..runs)
        .map(|_| {
            let t = Instant::now();
            f();
            t.elapsed().as_secs_f64() * 1e3
        })
        .collect();
    times.sort_by(f64::total_cmp);
    times[times.len() / 2]
}

/// NDJSON text of the batches (numbers and booleans as JSON values, everything else as strings).
pub fn to_ndjson(batches: &[arrow_array::RecordBatch]) -> String {
    use arrow_array::Array;
    use arrow_cast::display::{ArrayFormatter, FormatOptions};
    let mut out = String::new();
    for b in batches {
        let opts = FormatOptions::default();
        let schema = b.schema();
        let fmts: Vec<_> = b.columns().iter().map(|c| ArrayFormatter::try_new(c.as_ref(), &opts).ok()).collect();
        let times = b.column(0).as_any().downcast_ref::<arrow_array::TimestampMillisecondArray>().cloned();
        for row in 0..b.num_rows() {
            let mut m = serde_json::Map::new();
            for (i, f) in schema.fields().iter().enumerate() {
                let c = b.column(i);
                if c.is_null(row) {
                    continue;
                }
                let v = if i == 0 {
                    json!(times.as_ref().map_or(0, |t| t.value(row)))
                } else {
                    let text = fmts[i].as_ref().map(|f| f.value(row).to_string()).unwrap_or_default();
                    match f.data_type() {
                        d if d.is_numeric() => serde_json::from_str(&text).unwrap_or(Json::String(text)),
                        arrow_schema::DataType::Boolean => json!(text == "true"),
                        _ => Json::String(text),
                    }
                };
                m.insert(f.name().clone(), v);
            }
            out.push_str(&Json::Object(m).to_string());
            out.push('\n');
        }
    }
    out
}

/// The batches as one Parquet file (snappy, the writer's default row groups).
pub fn to_parquet(batches: &[arrow_array::RecordBatch]) -> Result<Vec<u8>, String> {
    let Some(first) = batches.first() else { return Err("no rows to write".into()) };
    let mut pq = Vec::new();
    let props = parquet::file::properties::WriterProperties::builder().set_compression(parquet::basic::Compression::SNAPPY).build();
    let mut w = parquet::arrow::ArrowWriter::try_new(&mut pq, first.schema(), Some(props)).map_err(|e| e.to_string())?;
    for b in batches {
        w.write(b).map_err(|e| e.to_string())?;
    }
    w.close().map_err(|e| e.to_string())?;
    Ok(pq)
}

/// Load throughput: bytes in memory → a queryable data set, per format.
pub fn load(rows: usize, runs: usize) -> Result<(), String> {
    let batches = demo::generate(rows, 42, 65_536);
    let mut inputs: Vec<(&str, Vec<u8>)> = Vec::new();
    inputs.push(("Arrow IPC stream", apiary::ingest::arrow_ipc::write_stream_plain(&batches).map_err(|e| e.to_string())?));
    inputs.push(("Arrow IPC stream, LZ4", apiary::ingest::arrow_ipc::write_stream(&batches).map_err(|e| e.to_string())?));
    inputs.push(("Parquet, snappy", to_parquet(&batches)?));
    inputs.push(("NDJSON", to_ndjson(&batches).into_bytes()));
    println!("{:<24} {:>9} {:>12} {:>10} {:>10} {:>12}", "format", "rows", "bytes", "median ms", "MB/s", "rows/s");
    for (name, bytes) in &inputs {
        let ms = median_ms(runs, || {
            let l = apiary::ingest::load(name, bytes).expect("benchmark input loads");
            std::hint::black_box(DataSet::from_batches(l.batches).expect("data set"));
        });
        println!("{name:<24} {rows:>9} {:>12} {ms:>10.1} {:>10.0} {:>12.0}", bytes.len(), bytes.len() as f64 / 1e3 / ms, rows as f64 / ms * 1e3);
    }
    Ok(())
}

pub fn run(sizes: &[usize], runs: usize) -> Result<(), String> {
    println!("{:<45} {:>9} {:>10} {:>9} {:>10}", "query", "rows", "median ms", "ns/row", "first ms");
    for &rows in sizes {
        let t = Instant::now();
        let ds = DataSet::from_batches(demo::generate(rows, 42, 65_536)).map_err(|e| e.to_string())?;
        eprintln!("generated {rows} rows in {:.1} s ({} of Arrow buffers)", t.elapsed().as_secs_f64(), ds.byte_size());
        for (name, spec) in queries() {
            let spec = QuerySpec::from_json(&spec).map_err(|e| e.to_string())?;
            // The first run on its own: what a query pays once per data set (strings encoded to
            // codes, memory first touched), beside the median of the runs after it.
            let t = Instant::now();
            std::hint::black_box(query::run(&ds, &spec).expect("benchmark query runs"));
            let first = t.elapsed().as_secs_f64() * 1e3;
            let ms = median_ms(runs, || {
                std::hint::black_box(query::run(&ds, &spec).expect("benchmark query runs"));
            });
            println!("{name:<45} {rows:>9} {ms:>10.2} {:>9.2} {first:>10.2}", ms * 1e6 / rows as f64);
        }
        let p99 = QuerySpec::from_json(&json!({"calculations":[{"op":"P99","column":"duration_ms"}],"start_time": END_MS / 1000 - demo::HOURS * 3600, "end_time": END_MS / 1000})).map_err(|e| e.to_string())?;
        let threshold = query::run(&ds, &p99).map_err(|e| e.to_string())?.results[0].values[0].as_f64().unwrap_or(0.0);
        let specs: Vec<QuerySpec> = two_populations(threshold).iter().map(QuerySpec::from_json).collect::<Result<_, _>>().map_err(|e| e.to_string())?;
        let ms = median_ms(runs, || {
            for s in &specs {
                std::hint::black_box(query::run(&ds, s).expect("benchmark query runs"));
            }
        });
        println!("{:<45} {rows:>9} {ms:>10.2} {:>9.2}", "Q7 two populations × 5 columns (P99 split)", ms * 1e6 / rows as f64);
        let spec = QuerySpec::from_json(&json!({"start_time": END_MS / 1000 - demo::HOURS * 3600, "end_time": END_MS / 1000})).map_err(|e| e.to_string())?;
        let sel = apiary::bubbleup::Selection { filters: vec![apiary::query::spec::Filter { column: "duration_ms".into(), op: apiary::query::spec::FilterOp::Gt, value: Some(json!(threshold)) }], ..Default::default() };
        let ms = median_ms(runs, || {
            std::hint::black_box(apiary::bubbleup::run(&ds, &spec, &sel).expect("bubbleup runs"));
        });
        println!("{:<45} {rows:>9} {ms:>10.2} {:>9.2}", format!("BubbleUp (P99 split) over {} columns", ds.schema().fields().len()), ms * 1e6 / rows as f64);
    }
    Ok(())
}
