//! Derived columns (Honeycomb's calculated fields): a column computed per event by a formula
//! over the event's other columns, usable wherever a column is (VISUALIZE, WHERE, GROUP BY,
//! ORDER BY, HAVING, BubbleUp, the trace search). A query's `calculated_fields` are checked
//! against the data set's columns ([`check`]) and evaluated column-wise over each batch
//! ([`eval`]) into Arrow arrays, added beside the other columns for that query
//! ([`DataSet::with_columns`]: nothing is copied). The rules (types, nulls, division by zero)
//! are in ARCHITECTURE.md, "Derived columns".

pub mod check;
pub mod eval;
pub mod parse;
pub mod time;

use arrow_schema::{DataType, Field, Schema};

use crate::dataset::DataSet;
use crate::error::{Error, Result};
use crate::query::spec::CalculatedField;
use check::Ty;

/// A checked derived column.
pub struct Derived {
    pub name: String,
    pub ty: Ty,
    typed: check::Typed,
}

impl Derived {
    /// The Arrow type its values get (a formula of only nulls is a column of null strings).
    pub fn data_type(&self) -> DataType {
        match self.ty {
            Ty::Int => DataType::Int64,
            Ty::Float => DataType::Float64,
            Ty::Bool => DataType::Boolean,
            Ty::Str | Ty::Null => DataType::Utf8,
        }
    }
}

/// Check one formula against `schema`: its type, or an error that points at the character.
pub fn compile(name: &str, expression: &str, schema: &Schema) -> Result<Derived> {
    let e = parse::parse(expression)?;
    let typed = check::check(expression, &e, schema)?;
    Ok(Derived { name: name.to_string(), ty: if typed.ty == Ty::Null { Ty::Str } else { typed.ty }, typed })
}

/// `ds` with `fields` added as columns (each may read the ones before it). Errors name the
/// field (`calculated_fields[i]`) and the character.
pub fn extend(ds: &DataSet, fields: &[CalculatedField]) -> Result<DataSet> {
    if fields.is_empty() {
        return Ok(ds.clone());
    }
    let mut schema: Schema = ds.schema().as_ref().clone();
    let mut compiled = Vec::new();
    for (i, f) in fields.iter().enumerate() {
        let at = format!("calculated_fields[{i}]");
        if f.name.trim().is_empty() {
            return Err(Error::spec(at.clone(), "a derived column needs a name"));
        }
        if schema.index_of(&f.name).is_ok() {
            return Err(Error::spec(at.clone(), format!("{:?} is already a column: name the derived column otherwise", f.name)));
        }
        let d = compile(&f.name, &f.expression, &schema).map_err(|e| Error::spec(at.clone(), format!("{:?}: {}", f.name, plain(e))))?;
        let mut all: Vec<Field> = schema.fields().iter().map(|f| f.as_ref().clone()).collect();
        all.push(Field::new(&f.name, d.data_type(), true));
        schema = Schema::new(all);
        compiled.push(d);
    }
    let base = ds.schema().fields().len();
    let mut columns = Vec::with_capacity(ds.batches().len());
    for (bi, b) in ds.batches().iter().enumerate() {
        let mut batch = b.clone();
        let mut extra = Vec::with_capacity(compiled.len());
        for (k, d) in compiled.iter().enumerate() {
            let cx = eval::Ctx { batch: &batch, times: ds.times(bi) };
            let arr = eval::eval(&d.typed, &cx)?.into_array(d.ty, b.num_rows());
            let arr = if arr.data_type() == &d.data_type() { arr } else { arrow_cast::cast(&arr, &d.data_type())? };
            extra.push(arr);
            let fields: Vec<Field> = schema.fields().iter().take(base + k + 1).map(|f| f.as_ref().clone()).collect();
            batch = arrow_array::RecordBatch::try_new(std::sync::Arc::new(Schema::new(fields)), b.columns().iter().cloned().chain(extra.iter().cloned()).collect())?;
        }
        columns.push(extra);
    }
    let new_fields = schema.fields().iter().skip(base).map(|f| f.as_ref().clone()).collect();
    ds.with_columns(new_fields, columns)
}

/// `ds` as `spec` reads it: with its derived columns, made into `slot`, when it has some.
pub fn for_spec<'a>(ds: &'a DataSet, spec: &crate::QuerySpec, slot: &'a mut Option<DataSet>) -> Result<&'a DataSet> {
    if spec.calculated_fields.is_empty() {
        return Ok(ds);
    }
    Ok(slot.insert(extend(ds, &spec.calculated_fields)?))
}

/// An error's own words (without the "invalid data:" kind in front).
fn plain(e: Error) -> String {
    match e {
        Error::Other(m) | Error::Data(m) => m,
        e => e.to_string(),
    }
}
