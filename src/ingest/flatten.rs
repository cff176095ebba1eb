//! Struct columns become dotted top-level columns (`attrs` {`http.method`} → `attrs.http.method`),
//! recursively, as Honeycomb shows nested fields. Lists and maps stay as they are.

use std::sync::Arc;

use arrow_array::cast::AsArray;
use arrow_array::{Array, ArrayRef, RecordBatch};
use arrow_buffer::NullBuffer;
use arrow_schema::{DataType, Field, Schema};

use crate::error::Result;

fn push(name: String, field: &Field, col: ArrayRef, fields: &mut Vec<Field>, cols: &mut Vec<ArrayRef>) {
    match col.data_type() {
        DataType::Struct(_) => {
            let s = col.as_struct();
            let parent = s.nulls().cloned();
            for (child_field, child) in s.fields().iter().zip(s.columns()) {
                // A null struct makes its children null.
                let child = with_parent_nulls(child.clone(), parent.as_ref());
                push(format!("{name}.{}", child_field.name()), child_field, child, fields, cols);
            }
        }
        _ => {
            fields.push(Field::new(name, col.data_type().clone(), true).with_metadata(field.metadata().clone()));
            cols.push(col);
        }
    }
}

fn with_parent_nulls(child: ArrayRef, parent: Option<&NullBuffer>) -> ArrayRef {
    let Some(parent) = parent else { return child };
    let merged = NullBuffer::union(Some(parent), child.logical_nulls().as_ref());
    let data = child.to_data().into_builder().nulls(merged).build();
    match data {
        Ok(d) => arrow_array::make_array(d),
        Err(_) => child,
    }
}

pub fn flatten_structs(batch: RecordBatch) -> Result<RecordBatch> {
    if !batch.schema().fields().iter().any(|f| matches!(f.data_type(), DataType::Struct(_))) {
        return Ok(batch);
    }
    let mut fields = Vec::new();
    let mut cols = Vec::new();
    for (f, c) in batch.schema().fields().iter().zip(batch.columns()) {
        push(f.name().clone(), f, c.clone(), &mut fields, &mut cols);
    }
    let schema = Arc::new(Schema::new_with_metadata(fields, batch.schema().metadata().clone()));
    Ok(RecordBatch::try_new(schema, cols)?)
}
