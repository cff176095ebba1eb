//! WHERE: filters compiled against the schema once, then evaluated per batch over a selection
//! vector (row indices that are still in). Nulls match nothing but `does-not-exist`.

use arrow_array::RecordBatch;
use arrow_schema::Schema;
use serde_json::Value as Json;

use super::column::{booleans, nulls_of, numeric, strings, DictKeys, Kind, Num, StrCol, Validity};
use super::spec::{Combination, Filter, FilterOp};
use crate::error::{Error, Result};

#[derive(Debug, Clone)]
enum Operand {
    None,
    /// A number, with its exact integer form when it has one.
    Num(f64, Option<i64>),
    Str(String),
    Bool(bool),
    Nums(Vec<(f64, Option<i64>)>),
    Strs(Vec<String>),
    Bools(Vec<bool>),
}

#[derive(Debug, Clone)]
pub struct CompiledFilter {
    column: usize,
    kind: Kind,
    op: FilterOp,
    operand: Operand,
}

pub(crate) fn as_number(v: &Json) -> Option<(f64, Option<i64>)> {
    match v {
        Json::Number(n) => {
            let f = n.as_f64()?;
            Some((f, n.as_i64().or_else(|| (f.fract() == 0.0 && f.abs() < 9.2e18).then_some(f as i64))))
        }
        Json::String(s) => {
            let t = s.trim();
            if let Ok(i) = t.parse::<i64>() {
                return Some((i as f64, Some(i)));
            }
            let f = t.parse::<f64>().ok().filter(|f| f.is_finite())?;
            Some((f, (f.fract() == 0.0 && f.abs() < 9.2e18).then_some(f as i64)))
        }
        _ => None,
    }
}

pub(crate) fn as_text(v: &Json) -> String {
    match v {
        Json::String(s) => s.clone(),
        other => other.to_string(),
    }
}

pub(crate) fn as_bool(v: &Json) -> Option<bool> {
    match v {
        Json::Bool(b) => Some(*b),
        Json::String(s) if s == "true" => Some(true),
        Json::String(s) if s == "false" => Some(false),
        _ => None,
    }
}

/// Compile the spec's filters against `schema`; errors name `filters[i]`.
pub fn compile(filters: &[Filter], schema: &Schema) -> Result<Vec<CompiledFilter>> {
    filters.iter().enumerate().map(|(i, f)| compile_one(i, f, schema)).collect()
}

fn compile_one(i: usize, f: &Filter, schema: &Schema) -> Result<CompiledFilter> {
    let field = format!("filters[{i}]");
    let column = schema.index_of(&f.column).map_err(|_| Error::spec(format!("{field}.column"), format!("no column named {:?}", f.column)))?;
    let kind = Kind::of(schema.field(column).data_type());
    let bad = |why: String| Error::spec(format!("{field}.value"), why);
    let op = f.op;
    if !op.takes_value() {
        return Ok(CompiledFilter { column, kind, op, operand: Operand::None });
    }
    let value = f.value.as_ref().ok_or_else(|| bad(format!("{} needs a value", op.name())))?;
    let items: Vec<&Json> = match value {
        Json::Array(a) => a.iter().collect(),
        v => vec![v],
    };
    let operand = match kind {
        Kind::Int | Kind::Float => {
            if op.is_string_op() {
                return Err(Error::spec(format!("{field}.op"), format!("{} needs a string column; {:?} is {}", op.name(), f.column, kind.name())));
            }
            let nums = items
                .iter()
                .map(|v| as_number(v).ok_or_else(|| bad(format!("{:?} is a {} column and {v} is not a number", f.column, kind.name()))))
                .collect::<Result<Vec<_>>>()?;
            if op.takes_list() { Operand::Nums(nums) } else { Operand::Num(nums[0].0, nums[0].1) }
        }
        Kind::Str => {
            let texts: Vec<String> = items.iter().map(|v| as_text(v)).collect();
            if op.takes_list() { Operand::Strs(texts) } else { Operand::Str(texts[0].clone()) }
        }
        Kind::Bool => {
            if !matches!(op, FilterOp::Eq | FilterOp::Ne | FilterOp::In | FilterOp::NotIn) {
                return Err(Error::spec(format!("{field}.op"), format!("{} does not apply to the boolean column {:?}", op.name(), f.column)));
            }
            let bs = items
                .iter()
                .map(|v| as_bool(v).ok_or_else(|| bad(format!("{:?} is a boolean column and {v} is not true or false", f.column))))
                .collect::<Result<Vec<_>>>()?;
            if op.takes_list() { Operand::Bools(bs) } else { Operand::Bool(bs[0]) }
        }
        Kind::Other => {
            return Err(Error::spec(
                format!("{field}.op"),
                format!("{:?} is a {} column: only exists and does-not-exist apply", f.column, schema.field(column).data_type()),
            ))
        }
    };
    Ok(CompiledFilter { column, kind, op, operand })
}

/// Narrow `sel` (ascending row ids of `batch`, each once, as every selection is) to the rows
/// that pass the filters.
pub fn apply(filters: &[CompiledFilter], combination: Combination, batch: &RecordBatch, sel: &mut Vec<u32>) {
    if filters.is_empty() || sel.is_empty() {
        return;
    }
    let mut hits = Vec::with_capacity(sel.len());
    match combination {
        Combination::And => {
            for f in filters {
                if !narrow_compare(f, batch, sel) && !narrow_bool(f, batch, sel) {
                    hits.clear();
                    eval(f, batch, sel, &mut hits);
                    retain(sel, &hits);
                }
                if sel.is_empty() {
                    return;
                }
            }
        }
        Combination::Or => {
            let mut any = vec![false; sel.len()];
            for f in filters {
                hits.clear();
                eval(f, batch, sel, &mut hits);
                for (a, h) in any.iter_mut().zip(&hits) {
                    *a |= *h;
                }
            }
            retain(sel, &any);
        }
    }
}

/// A numeric comparison with one operand (`duration_ms > 500`, `http.status_code >= 500`) narrows
/// `sel` in place, with no bool per row; `false` when `f` is not one.
fn narrow_compare(f: &CompiledFilter, batch: &RecordBatch, sel: &mut Vec<u32>) -> bool {
    let (Kind::Int | Kind::Float, Operand::Num(x, exact)) = (f.kind, &f.operand) else { return false };
    if !matches!(f.op, FilterOp::Eq | FilterOp::Ne | FilterOp::Gt | FilterOp::Ge | FilterOp::Lt | FilterOp::Le) {
        return false;
    }
    let col = batch.column(f.column);
    let Some(nc) = numeric(col) else { return false };
    let nulls = nc.nulls.as_ref().map(Validity::of);
    match (&nc.vals, exact) {
        // An integral operand compares exactly as an integer.
        (Num::I(v), Some(x)) => keep_compared(f.op, v, *x, sel, nulls),
        (Num::I(v), None) => {
            let as_f64: Vec<f64> = v.iter().map(|a| *a as f64).collect();
            keep_compared(f.op, &as_f64, *x, sel, nulls)
        }
        (Num::F(v), _) => keep_compared(f.op, v, *x, sel, nulls),
    }
    true
}

/// `flag = true` / `flag = false` / `!=` on a boolean column (a derived column's condition, say)
/// narrows `sel` from the column's bits: a whole batch by scanning for set bits, else row by row
/// without a bool per row; `false` when `f` is not one.
fn narrow_bool(f: &CompiledFilter, batch: &RecordBatch, sel: &mut Vec<u32>) -> bool {
    let want = match (f.kind, f.op, &f.operand) {
        (Kind::Bool, FilterOp::Eq, Operand::Bool(x)) => *x,
        (Kind::Bool, FilterOp::Ne, Operand::Bool(x)) => !*x,
        _ => return false,
    };
    let Some(b) = booleans(batch.column(f.column)) else { return false };
    // The rows whose value is `want` and valid, as bits.
    let mut bits = if want { b.values().clone() } else { !b.values() };
    if let Some(n) = arrow_array::Array::nulls(b) {
        bits = &bits & n.inner();
    }
    if sel.len() == bits.len() {
        sel.clear();
        sel.extend(bits.set_indices().map(|i| i as u32));
    } else {
        let mut w = 0;
        for r in 0..sel.len() {
            let i = sel[r];
            sel[w] = i;
            w += bits.value(i as usize) as usize;
        }
        sel.truncate(w);
    }
    true
}

/// Keep the rows of `sel` whose value is valid and `<op> x`: the op matched once, outside the loop.
fn keep_compared<T: PartialOrd + Copy>(op: FilterOp, v: &[T], x: T, sel: &mut Vec<u32>, nulls: Option<Validity>) {
    match op {
        FilterOp::Eq => keep_where(v, sel, nulls, |a| a == x),
        FilterOp::Ne => keep_where(v, sel, nulls, |a| a != x),
        FilterOp::Gt => keep_where(v, sel, nulls, |a| a > x),
        FilterOp::Ge => keep_where(v, sel, nulls, |a| a >= x),
        FilterOp::Lt => keep_where(v, sel, nulls, |a| a < x),
        _ => keep_where(v, sel, nulls, |a| a <= x),
    }
}

/// Keep the rows of `sel` whose value is valid and passes `p`, in place and without branches:
/// every row is written, the write position only advances past rows that pass. A selection of
/// the whole batch (ascending rows, as many as values) is read as a plain slice. Out of line (see
/// [`scan_strings`]).
#[inline(never)]
fn keep_where<T: Copy>(v: &[T], sel: &mut Vec<u32>, nulls: Option<Validity>, p: impl Fn(T) -> bool) {
    let mut w = 0;
    match nulls {
        None if sel.len() == v.len() => {
            for (i, a) in v.iter().enumerate() {
                sel[w] = i as u32;
                w += p(*a) as usize;
            }
        }
        None => {
            for r in 0..sel.len() {
                let i = sel[r];
                sel[w] = i;
                w += p(v[i as usize]) as usize;
            }
        }
        Some(valid) => {
            for r in 0..sel.len() {
                let i = sel[r];
                sel[w] = i;
                w += (p(v[i as usize]) & valid.get(i as usize)) as usize;
            }
        }
    }
    sel.truncate(w);
}

fn retain(sel: &mut Vec<u32>, keep: &[bool]) {
    let mut w = 0;
    for r in 0..sel.len() {
        sel[w] = sel[r];
        w += keep[r] as usize;
    }
    sel.truncate(w);
}

/// Push one bool per selected row: does it pass `f`?
fn eval(f: &CompiledFilter, batch: &RecordBatch, sel: &[u32], out: &mut Vec<bool>) {
    let col = batch.column(f.column);
    // A column without nulls (the usual case) gets loops with no validity test at all.
    match nulls_of(col.as_ref()) {
        None => eval_valid(f, col, sel, &|_| true, out),
        Some(nulls) => {
            let valid = Validity::of(&nulls);
            eval_valid(f, col, sel, &|i: u32| valid.get(i as usize), out)
        }
    }
}

/// [`eval`] with the column's validity as `valid`.
fn eval_valid(f: &CompiledFilter, col: &arrow_array::ArrayRef, sel: &[u32], valid: &impl Fn(u32) -> bool, out: &mut Vec<bool>) {
    match f.op {
        FilterOp::Exists => return out.extend(sel.iter().map(|&i| valid(i))),
        FilterOp::DoesNotExist => return out.extend(sel.iter().map(|&i| !valid(i))),
        _ => {}
    }
    match f.kind {
        Kind::Int | Kind::Float => {
            let Some(nc) = numeric(col) else { return out.resize(out.len() + sel.len(), false) };
            match &nc.vals {
                Num::I(v) => eval_ints(f, v, sel, &valid, out),
                Num::F(v) => eval_floats(f, v, sel, &valid, out),
            }
        }
        Kind::Str => {
            let Some(sc) = strings(col) else { return out.resize(out.len() + sel.len(), false) };
            eval_strings(f, &sc, sel, &valid, out);
        }
        Kind::Bool => {
            let Some(b) = booleans(col) else { return out.resize(out.len() + sel.len(), false) };
            let vals = b.values();
            let (want_true, want_false) = match (&f.op, &f.operand) {
                (FilterOp::Eq, Operand::Bool(x)) => (*x, !*x),
                (FilterOp::Ne, Operand::Bool(x)) => (!*x, *x),
                (FilterOp::In, Operand::Bools(xs)) => (xs.contains(&true), xs.contains(&false)),
                (FilterOp::NotIn, Operand::Bools(xs)) => (!xs.contains(&true), !xs.contains(&false)),
                _ => (false, false),
            };
            out.extend(sel.iter().map(|&i| valid(i) && if vals.value(i as usize) { want_true } else { want_false }));
        }
        Kind::Other => out.resize(out.len() + sel.len(), false),
    }
}

fn eval_ints(f: &CompiledFilter, v: &[i64], sel: &[u32], valid: &impl Fn(u32) -> bool, out: &mut Vec<bool>) {
    match &f.operand {
        // An integral operand compares exactly as an integer.
        Operand::Num(_, Some(x)) => compare_rows(f.op, v, *x, sel, valid, out),
        Operand::Num(x, None) => {
            let x = *x;
            let as_f64: Vec<f64> = sel.iter().map(|&i| v[i as usize] as f64).collect();
            let mut hits = Vec::with_capacity(sel.len());
            let seq: Vec<u32> = (0..sel.len() as u32).collect();
            compare_rows(f.op, &as_f64, x, &seq, &|_| true, &mut hits);
            out.extend(sel.iter().zip(hits).map(|(&i, h)| h && valid(i)));
        }
        Operand::Nums(list) => {
            let hit = |a: i64| list.iter().any(|(fx, ix)| match ix { Some(ix) => *ix == a, None => *fx == a as f64 });
            let negate = f.op == FilterOp::NotIn;
            out.extend(sel.iter().map(|&i| valid(i) && (hit(v[i as usize]) != negate)));
        }
        _ => out.resize(out.len() + sel.len(), false),
    }
}

/// One bool per selected row: `valid(i) && v[i] <op> x`. The op is matched once, outside the
/// loop, so each loop is a plain comparison the compiler can vectorize (no call per row).
fn compare_rows<T: PartialOrd + Copy>(op: FilterOp, v: &[T], x: T, sel: &[u32], valid: &impl Fn(u32) -> bool, out: &mut Vec<bool>) {
    // Out of line: each loop is a small function the browser optimizes on its own, early.
    #[inline(never)]
    fn rows<T: Copy>(v: &[T], sel: &[u32], valid: &impl Fn(u32) -> bool, out: &mut Vec<bool>, p: impl Fn(T) -> bool) {
        out.extend(sel.iter().map(|&i| p(v[i as usize]) & valid(i)));
    }
    match op {
        FilterOp::Eq => rows(v, sel, valid, out, |a| a == x),
        FilterOp::Ne => rows(v, sel, valid, out, |a| a != x),
        FilterOp::Gt => rows(v, sel, valid, out, |a| a > x),
        FilterOp::Ge => rows(v, sel, valid, out, |a| a >= x),
        FilterOp::Lt => rows(v, sel, valid, out, |a| a < x),
        FilterOp::Le => rows(v, sel, valid, out, |a| a <= x),
        _ => out.resize(out.len() + sel.len(), false),
    }
}

fn eval_floats(f: &CompiledFilter, v: &[f64], sel: &[u32], valid: &impl Fn(u32) -> bool, out: &mut Vec<bool>) {
    match &f.operand {
        Operand::Num(x, _) => compare_rows(f.op, v, *x, sel, valid, out),
        Operand::Nums(list) => {
            let negate = f.op == FilterOp::NotIn;
            out.extend(sel.iter().map(|&i| valid(i) && (list.iter().any(|(x, _)| *x == v[i as usize]) != negate)));
        }
        _ => out.resize(out.len() + sel.len(), false),
    }
}

/// Out of line: each op's loop is a small function the browser optimizes on its own, early
/// (inside one function with every op's loops, a filter ran unoptimized for a dozen queries).
#[inline(never)]
fn scan_strings<P: Fn(&str) -> bool>(sc: &StrCol, sel: &[u32], valid: &impl Fn(u32) -> bool, out: &mut Vec<bool>, pred: P) {
    match sc {
        StrCol::Dict { keys, values, .. } => {
            // Test each dictionary entry once; rows then look their key up.
            let table: Vec<bool> = (0..values.len()).map(|k| values.get(k).is_some_and(&pred)).collect();
            match keys {
                DictKeys::I32(k) => out.extend(sel.iter().map(|&i| valid(i) && table[k[i as usize] as usize])),
                DictKeys::Any(k) => out.extend(sel.iter().map(|&i| valid(i) && table[k[i as usize]])),
            }
        }
        StrCol::Utf8(a) => out.extend(sel.iter().map(|&i| valid(i) && pred(a.value(i as usize)))),
        StrCol::Large(a) => out.extend(sel.iter().map(|&i| valid(i) && pred(a.value(i as usize)))),
        StrCol::View(a) => out.extend(sel.iter().map(|&i| valid(i) && pred(a.value(i as usize)))),
    }
}

/// String filters: each op is its own monomorphized loop. Comparisons are by code point
/// (UTF-8 byte order equals code point order).
fn eval_strings(f: &CompiledFilter, sc: &StrCol, sel: &[u32], valid: &impl Fn(u32) -> bool, out: &mut Vec<bool>) {
    macro_rules! scan {
        ($pred:expr) => {
            scan_strings(sc, sel, valid, out, $pred)
        };
    }
    match (&f.op, &f.operand) {
        (FilterOp::Eq, Operand::Str(s)) => scan!(|v| v == s),
        (FilterOp::Ne, Operand::Str(s)) => scan!(|v| v != s),
        (FilterOp::Gt, Operand::Str(s)) => scan!(|v| v.as_bytes() > s.as_bytes()),
        (FilterOp::Ge, Operand::Str(s)) => scan!(|v| v.as_bytes() >= s.as_bytes()),
        (FilterOp::Lt, Operand::Str(s)) => scan!(|v| v.as_bytes() < s.as_bytes()),
        (FilterOp::Le, Operand::Str(s)) => scan!(|v| v.as_bytes() <= s.as_bytes()),
        (FilterOp::StartsWith, Operand::Str(s)) => scan!(|v| v.starts_with(s.as_str())),
        (FilterOp::DoesNotStartWith, Operand::Str(s)) => scan!(|v| !v.starts_with(s.as_str())),
        (FilterOp::EndsWith, Operand::Str(s)) => scan!(|v| v.ends_with(s.as_str())),
        (FilterOp::DoesNotEndWith, Operand::Str(s)) => scan!(|v| !v.ends_with(s.as_str())),
        (FilterOp::Contains, Operand::Str(s)) => scan!(|v| v.contains(s.as_str())),
        (FilterOp::DoesNotContain, Operand::Str(s)) => scan!(|v| !v.contains(s.as_str())),
        (FilterOp::In, Operand::Strs(list)) => scan!(|v| list.iter().any(|s| s == v)),
        (FilterOp::NotIn, Operand::Strs(list)) => scan!(|v| !list.iter().any(|s| s == v)),
        _ => out.resize(out.len() + sel.len(), false),
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use arrow_array::{Array, ArrayRef, Float64Array, Int64Array};
    use arrow_schema::{Field, Schema};
    use serde_json::json;

    use super::*;

    /// Comparisons narrowing in place (whole batches, partial selections, nulls, slices at odd
    /// offsets, integral and fractional operands) keep exactly the rows a plain test keeps.
    #[test]
    fn in_place_comparisons_keep_what_a_plain_test_keeps() {
        let n = 3000;
        let ints: Int64Array = (0..n).map(|i| (i % 7 != 3).then_some((i * 37 % 1000) as i64 - 300)).collect();
        let floats: Float64Array = (0..n).map(|i| (i % 11 != 5).then_some((i * 53 % 1000) as f64 / 4.0 - 80.0)).collect();
        let schema = Arc::new(Schema::new(vec![Field::new("i", ints.data_type().clone(), true), Field::new("f", floats.data_type().clone(), true)]));
        let whole = RecordBatch::try_new(schema.clone(), vec![Arc::new(ints) as ArrayRef, Arc::new(floats)]).unwrap();
        let ops = [FilterOp::Eq, FilterOp::Ne, FilterOp::Gt, FilterOp::Ge, FilterOp::Lt, FilterOp::Le];
        for (offset, len) in [(0, n), (13, 2001), (1001, 1999)] {
            let batch = whole.slice(offset, len);
            for (col, operand) in [("i", json!(-3)), ("i", json!(100.5)), ("f", json!(2.5)), ("f", json!(-80))] {
                for op in ops {
                    let filter = Filter { column: col.into(), op, value: Some(operand.clone()) };
                    let compiled = compile(std::slice::from_ref(&filter), &schema).unwrap();
                    let x = operand.as_f64().unwrap();
                    let column = batch.column_by_name(col).unwrap();
                    let value = |i: usize| -> Option<f64> {
                        match col {
                            "i" => column.as_any().downcast_ref::<Int64Array>().unwrap().is_valid(i).then(|| column.as_any().downcast_ref::<Int64Array>().unwrap().value(i) as f64),
                            _ => column.as_any().downcast_ref::<Float64Array>().unwrap().is_valid(i).then(|| column.as_any().downcast_ref::<Float64Array>().unwrap().value(i)),
                        }
                    };
                    let passes = |a: f64| match op {
                        FilterOp::Eq => a == x,
                        FilterOp::Ne => a != x,
                        FilterOp::Gt => a > x,
                        FilterOp::Ge => a >= x,
                        FilterOp::Lt => a < x,
                        _ => a <= x,
                    };
                    for every in [1, 3] {
                        let mut sel: Vec<u32> = (0..len as u32).filter(|r| r % every == 0).collect();
                        let want: Vec<u32> = sel.iter().copied().filter(|&r| value(r as usize).is_some_and(passes)).collect();
                        apply(&compiled, Combination::And, &batch, &mut sel);
                        assert_eq!(sel, want, "{col} {op:?} {operand} offset {offset} every {every}");
                    }
                }
            }
        }
    }
}
