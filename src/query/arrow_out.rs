//! Query results as Arrow record batches (for large outputs: the JS API hands them out as Arrow
//! IPC). Breakdown columns keep their type; calculations are Int64 or Float64; HEATMAP cells are
//! their JSON text.

use std::sync::Arc;

use arrow_array::builder::{BooleanBuilder, Float64Builder, Int64Builder, StringBuilder, TimestampMillisecondBuilder};
use arrow_array::{ArrayRef, RecordBatch};
use arrow_schema::{DataType, Field, Schema, TimeUnit};

use super::aggregate::Output;
use super::result::{output_json, QueryResult};
use crate::error::Result;
use crate::value::Value;

fn breakdown_column(values: &[&Value]) -> (DataType, ArrayRef) {
    let non_null = || values.iter().filter(|v| !v.is_null());
    if non_null().clone().all(|v| matches!(v, Value::Int(_))) {
        let mut b = Int64Builder::new();
        values.iter().for_each(|v| b.append_option(if let Value::Int(i) = v { Some(*i) } else { None }));
        (DataType::Int64, Arc::new(b.finish()))
    } else if non_null().clone().all(|v| matches!(v, Value::Float(_) | Value::Int(_))) {
        let mut b = Float64Builder::new();
        values.iter().for_each(|v| b.append_option(v.as_f64()));
        (DataType::Float64, Arc::new(b.finish()))
    } else if non_null().clone().all(|v| matches!(v, Value::Bool(_))) {
        let mut b = BooleanBuilder::new();
        values.iter().for_each(|v| b.append_option(if let Value::Bool(x) = v { Some(*x) } else { None }));
        (DataType::Boolean, Arc::new(b.finish()))
    } else {
        let mut b = StringBuilder::new();
        values.iter().for_each(|v| b.append_option((!v.is_null()).then(|| v.display())));
        (DataType::Utf8, Arc::new(b.finish()))
    }
}

fn calc_column(values: &[&Output]) -> (DataType, ArrayRef) {
    if values.iter().any(|v| matches!(v, Output::Heatmap(_))) {
        let mut b = StringBuilder::new();
        values.iter().for_each(|v| b.append_option((!matches!(v, Output::Null)).then(|| output_json(v).to_string())));
        (DataType::Utf8, Arc::new(b.finish()))
    } else if values.iter().all(|v| matches!(v, Output::Int(_) | Output::Null)) {
        let mut b = Int64Builder::new();
        values.iter().for_each(|v| b.append_option(if let Output::Int(i) = v { Some(*i) } else { None }));
        (DataType::Int64, Arc::new(b.finish()))
    } else {
        let mut b = Float64Builder::new();
        values.iter().for_each(|v| b.append_option(v.as_f64()));
        (DataType::Float64, Arc::new(b.finish()))
    }
}

impl QueryResult {
    /// One row per result group: breakdown columns, then one column per calculation.
    pub fn results_batch(&self) -> Result<RecordBatch> {
        let rows: Vec<(&[Value], &[Output])> = self.results.iter().map(|r| (r.group.as_slice(), r.values.as_slice())).collect();
        self.batch(None, &rows)
    }

    /// One row per series point: `time` (ms, UTC), breakdown columns, calculations.
    pub fn series_batch(&self) -> Result<RecordBatch> {
        let rows: Vec<(&[Value], &[Output])> =
            self.series.iter().map(|p| (self.results[p.row].group.as_slice(), p.values.as_slice())).collect();
        let times: Vec<i64> = self.series.iter().map(|p| p.time_ms).collect();
        self.batch(Some(&times), &rows)
    }

    fn batch(&self, times: Option<&[i64]>, rows: &[(&[Value], &[Output])]) -> Result<RecordBatch> {
        let mut fields = Vec::new();
        let mut cols: Vec<ArrayRef> = Vec::new();
        if let Some(t) = times {
            let mut b = TimestampMillisecondBuilder::new().with_timezone("UTC");
            t.iter().for_each(|x| b.append_value(*x));
            fields.push(Field::new("time", DataType::Timestamp(TimeUnit::Millisecond, Some("UTC".into())), false));
            cols.push(Arc::new(b.finish()));
        }
        for (i, name) in self.breakdowns.iter().enumerate() {
            let vals: Vec<&Value> = rows.iter().map(|r| &r.0[i]).collect();
            let (dt, arr) = breakdown_column(&vals);
            fields.push(Field::new(name, dt, true));
            cols.push(arr);
        }
        for (i, key) in self.keys.iter().enumerate() {
            let vals: Vec<&Output> = rows.iter().map(|r| &r.1[i]).collect();
            let (dt, arr) = calc_column(&vals);
            fields.push(Field::new(key, dt, true));
            cols.push(arr);
        }
        Ok(RecordBatch::try_new(Arc::new(Schema::new(fields)), cols)?)
    }
}
