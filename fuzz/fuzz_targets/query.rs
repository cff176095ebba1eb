//! Fuzz the query engine: random data (every column type the engine reads, nulls, NaN and
//! infinities, two batches) and a random Honeycomb query spec over it (calculations, filters,
//! breakdowns, orders, havings, limit, time ranges and granularities, derived columns). Any spec
//! gives a result or an error, never a panic or a hang; a result also serializes as JSON and as
//! Arrow.
#![no_main]

use std::sync::Arc;

use arrow_array::builder::{BooleanBuilder, Float64Builder, Int64Builder, StringBuilder, StringDictionaryBuilder, TimestampMillisecondBuilder};
use arrow_array::types::Int32Type;
use arrow_array::{ArrayRef, RecordBatch};
use arrow_schema::{DataType, Field, Schema, TimeUnit};
use libfuzzer_sys::arbitrary::{Result, Unstructured};
use libfuzzer_sys::fuzz_target;
use serde_json::{json, Value};

const COLUMNS: [&str; 7] = ["timestamp", "n", "f", "s", "d", "b", "missing"];
const WORDS: [&str; 6] = ["", "a", "ab", "b", "api", "ü"];
const OPS: [&str; 25] = [
    "COUNT", "CONCURRENCY", "SUM", "AVG", "COUNT_DISTINCT", "MAX", "MIN", "P001", "P01", "P05", "P10", "P20", "P25", "P50", "P75", "P80", "P90", "P95", "P99", "P999", "HEATMAP", "RATE_AVG", "RATE_SUM", "RATE_MAX", "NOPE",
];
const FILTER_OPS: [&str; 16] = [
    "=", "!=", ">", ">=", "<", "<=", "starts-with", "does-not-start-with", "ends-with", "does-not-end-with", "contains", "does-not-contain", "exists", "does-not-exist", "in", "not-in",
];
const FORMULAS: [&str; 8] = [
    "$n",
    "MUL($f, 2)",
    "IF(GT($n, 3), \"hi\", \"lo\")",
    "CONCAT($s, $d)",
    "COALESCE($f, $n)",
    "REG_MATCH($s, `^a`)",
    "LENGTH($s)",
    "DIV($n, $f)",
];
/// Event times lie in [BASE, BASE + SPAN) milliseconds.
const BASE: i64 = 1_793_534_400_000;
const SPAN: i64 = 7_200_000;

fn pick<T: Clone>(u: &mut Unstructured, from: &[T]) -> Result<T> {
    Ok(u.choose(from)?.clone())
}

fn number(u: &mut Unstructured) -> Result<f64> {
    Ok(match u.int_in_range(0..=9u8)? {
        0 => f64::NAN,
        1 => f64::INFINITY,
        2 => f64::NEG_INFINITY,
        3 => -0.0,
        4 => u.arbitrary::<f64>()?,
        _ => u.int_in_range(-5..=20i32)? as f64 / 2.0,
    })
}

fn batch(u: &mut Unstructured, rows: usize, schema: &Arc<Schema>) -> Result<RecordBatch> {
    let mut t = TimestampMillisecondBuilder::new();
    let mut n = Int64Builder::new();
    let mut f = Float64Builder::new();
    let mut s = StringBuilder::new();
    let mut d = StringDictionaryBuilder::<Int32Type>::new();
    let mut b = BooleanBuilder::new();
    for _ in 0..rows {
        let null = |u: &mut Unstructured| -> Result<bool> { Ok(u.ratio(1u8, 5u8)?) };
        if null(u)? { t.append_null() } else { t.append_value(BASE + u.int_in_range(0..=SPAN - 1)?) }
        if null(u)? { n.append_null() } else { n.append_value(if u.ratio(1u8, 20u8)? { u.arbitrary()? } else { u.int_in_range(-3..=12)? }) }
        if null(u)? { f.append_null() } else { f.append_value(number(u)?) }
        if null(u)? { s.append_null() } else { s.append_value(pick(u, &WORDS)?) }
        if null(u)? { d.append_null() } else { d.append_value(pick(u, &WORDS)?) }
        if null(u)? { b.append_null() } else { b.append_value(u.arbitrary()?) }
    }
    let columns: Vec<ArrayRef> = vec![Arc::new(t.finish()), Arc::new(n.finish()), Arc::new(f.finish()), Arc::new(s.finish()), Arc::new(d.finish()), Arc::new(b.finish())];
    Ok(RecordBatch::try_new(schema.clone(), columns).expect("the columns match the schema"))
}

fn value(u: &mut Unstructured) -> Result<Value> {
    Ok(match u.int_in_range(0..=4u8)? {
        0 => json!(u.int_in_range(-3..=12i64)?),
        1 => json!(number(u)?),
        2 => json!(pick(u, &WORDS)?),
        3 => json!(u.arbitrary::<bool>()?),
        _ => json!([pick(u, &WORDS)?, u.int_in_range(0..=5i64)?]),
    })
}

fn column(u: &mut Unstructured, derived: &[String]) -> Result<String> {
    if !derived.is_empty() && u.ratio(1u8, 4u8)? {
        return Ok(pick(u, derived)?);
    }
    Ok(pick(u, &COLUMNS)?.to_string())
}

fn calculation(u: &mut Unstructured, derived: &[String]) -> Result<Value> {
    let op = pick(u, &OPS)?;
    Ok(if op == "COUNT" || op == "CONCURRENCY" || u.ratio(1u8, 30u8)? { json!({"op": op}) } else { json!({"op": op, "column": column(u, derived)?}) })
}

fn spec(u: &mut Unstructured) -> Result<Value> {
    let mut spec = serde_json::Map::new();
    let mut derived = Vec::new();
    if u.ratio(1u8, 4u8)? {
        let mut fields = Vec::new();
        for i in 0..u.int_in_range(1..=2usize)? {
            let name = format!("v{i}");
            fields.push(json!({"name": name, "expression": pick(u, &FORMULAS)?}));
            derived.push(name);
        }
        spec.insert("calculated_fields".into(), json!(fields));
    }
    let calcs: Vec<Value> = (0..u.int_in_range(0..=3usize)?).map(|_| calculation(u, &derived)).collect::<Result<_>>()?;
    if !calcs.is_empty() {
        spec.insert("calculations".into(), json!(calcs));
    }
    if u.ratio(2u8, 3u8)? {
        let filters: Vec<Value> = (0..u.int_in_range(1..=3usize)?)
            .map(|_| {
                let op = pick(u, &FILTER_OPS)?;
                let mut f = json!({"column": column(u, &derived)?, "op": op});
                if !op.contains("exist") {
                    f["value"] = if op.contains("in") && op.len() <= 6 { json!([value(u)?, value(u)?]) } else { value(u)? };
                }
                Ok(f)
            })
            .collect::<Result<_>>()?;
        spec.insert("filters".into(), json!(filters));
        if u.arbitrary()? {
            spec.insert("filter_combination".into(), json!(pick(u, &["AND", "OR"])?));
        }
    }
    if u.ratio(2u8, 3u8)? {
        let b: Vec<String> = (0..u.int_in_range(1..=3usize)?).map(|_| column(u, &derived)).collect::<Result<_>>()?;
        spec.insert("breakdowns".into(), json!(b));
    }
    if u.ratio(1u8, 3u8)? {
        let orders: Vec<Value> = (0..u.int_in_range(1..=2usize)?)
            .map(|_| {
                let mut o = if u.arbitrary()? && !calcs.is_empty() { pick(u, &calcs)? } else { json!({"column": column(u, &derived)?}) };
                o["order"] = json!(pick(u, &["ascending", "descending"])?);
                Ok(o)
            })
            .collect::<Result<_>>()?;
        spec.insert("orders".into(), json!(orders));
    }
    if u.ratio(1u8, 4u8)? && !calcs.is_empty() {
        let c = pick(u, &calcs)?;
        let mut h = json!({"calculate_op": c["op"], "op": pick(u, &FILTER_OPS[..6])?, "value": number(u)?});
        if let Some(col) = c.get("column") {
            h["column"] = col.clone();
        }
        spec.insert("havings".into(), json!([h]));
    }
    if u.arbitrary()? {
        spec.insert("limit".into(), json!(u.int_in_range(0..=1001i64)?));
    }
    match u.int_in_range(0..=3u8)? {
        0 => {
            spec.insert("time_range".into(), json!(u.int_in_range(1..=40_000i64)?));
        }
        1 => {
            let a = (BASE - 600_000) / 1000 + u.int_in_range(0..=9000i64)?;
            spec.insert("start_time".into(), json!(a));
            spec.insert("end_time".into(), json!(a + u.int_in_range(-10..=9000i64)?));
        }
        2 => {
            spec.insert("time_range".into(), json!(u.arbitrary::<i64>()?));
        }
        _ => {}
    }
    if u.arbitrary()? {
        spec.insert("granularity".into(), json!(if u.ratio(1u8, 8u8)? { u.arbitrary::<i64>()? } else { u.int_in_range(0..=7200i64)? }));
    }
    Ok(Value::Object(spec))
}

fn run(data: &[u8]) -> Result<()> {
    let mut u = Unstructured::new(data);
    let schema = Arc::new(Schema::new(vec![
        Field::new("timestamp", DataType::Timestamp(TimeUnit::Millisecond, None), true),
        Field::new("n", DataType::Int64, true),
        Field::new("f", DataType::Float64, true),
        Field::new("s", DataType::Utf8, true),
        Field::new("d", DataType::Dictionary(Box::new(DataType::Int32), Box::new(DataType::Utf8)), true),
        Field::new("b", DataType::Boolean, true),
    ]));
    let spec = spec(&mut u)?;
    let (a, b) = (u.int_in_range(0..=40usize)?, u.int_in_range(0..=200usize)?);
    let batches = vec![batch(&mut u, a, &schema)?, batch(&mut u, b, &schema)?];
    if std::env::var_os("APIARY_FUZZ_PRINT").is_some() {
        eprintln!("spec: {spec}\nrows: {}", batches.iter().map(|b| b.num_rows()).sum::<usize>());
    }
    let Ok(ds) = apiary::DataSet::from_batches(batches) else { return Ok(()) };
    let Ok(spec) = apiary::QuerySpec::from_json(&spec) else { return Ok(()) };
    if let Ok(result) = apiary::query::run(&ds, &spec) {
        let _ = result.to_json_text();
        let _ = result.results_batch();
        let _ = result.series_batch();
    }
    Ok(())
}

fuzz_target!(|data: &[u8]| {
    let _ = run(data);
});
