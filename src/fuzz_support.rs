//! What the fuzz targets do with whatever a decoder accepted: flatten, load, query.

use arrow_array::RecordBatch;

use crate::{ingest, query, DataSet, QuerySpec};

pub fn exercise(batches: Vec<RecordBatch>) {
    let Ok(batches) = batches.into_iter().map(ingest::flatten::flatten_structs).collect::<Result<Vec<_>, _>>() else { return };
    let Ok(ds) = DataSet::from_batches(batches) else { return };
    let _ = ds.byte_size();
    let spec = QuerySpec::from_json_str(r#"{"time_range":315360000}"#).expect("fixed spec parses");
    let _ = query::run(&ds, &spec);
    // Group by every column once: exercises the typed views of whatever the decoder produced.
    for f in ds.schema().fields().iter().take(8) {
        if let Ok(spec) = QuerySpec::from_json(&serde_json::json!({"breakdowns": [f.name()], "calculations": [{"op": "COUNT_DISTINCT", "column": f.name()}]})) {
            let _ = query::run(&ds, &spec);
        }
    }
}
