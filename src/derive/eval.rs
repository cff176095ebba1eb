//! Evaluating a checked formula over a batch, column-wise: each node runs once over the whole
//! batch (its arguments first), so a formula costs a few tight loops per batch, not a tree walk
//! per event. Comparisons and arithmetic on numeric columns run over plain slices.

use std::cmp::Ordering;
use std::sync::Arc;

use arrow_array::builder::StringBuilder;
use arrow_array::cast::AsArray;
use arrow_array::types::{Float64Type, Int64Type};
use arrow_array::{Array, ArrayRef, BooleanArray, Float64Array, Int64Array, RecordBatch, StringArray};
use arrow_buffer::{BooleanBuffer, NullBuffer, ScalarBuffer};
use arrow_schema::DataType;

use super::check::{Func, Ty, Typed, K};
use super::parse::Lit;
use crate::error::Result;

/// Per row: valid or null (`None`: every row valid); a column's own null buffer, shared.
type Mask = Option<NullBuffer>;

/// A node's values over a batch.
pub enum Col {
    /// The same value in every row.
    Const(Lit),
    Int(ScalarBuffer<i64>, Mask),
    Float(ScalarBuffer<f64>, Mask),
    Bool(BooleanBuffer, Mask),
    Str(StringArray),
}

/// One row's value.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Val<'a> {
    Null,
    Int(i64),
    Float(f64),
    Bool(bool),
    Str(&'a str),
}

fn valid(m: &Mask, i: usize) -> bool {
    m.as_ref().is_none_or(|m| m.is_valid(i))
}

impl Col {
    pub fn get(&self, i: usize) -> Val<'_> {
        match self {
            Col::Const(l) => match l {
                Lit::Int(x) => Val::Int(*x),
                Lit::Float(x) => Val::Float(*x),
                Lit::Str(s) => Val::Str(s),
                Lit::Bool(b) => Val::Bool(*b),
                Lit::Null => Val::Null,
            },
            Col::Int(v, m) if valid(m, i) => Val::Int(v[i]),
            Col::Float(v, m) if valid(m, i) => Val::Float(v[i]),
            Col::Bool(v, m) if valid(m, i) => Val::Bool(v.value(i)),
            Col::Str(a) if a.is_valid(i) => Val::Str(a.value(i)),
            _ => Val::Null,
        }
    }

    /// As an Arrow array of `ty` with `n` rows.
    pub fn into_array(self, ty: Ty, n: usize) -> ArrayRef {
        match (self, ty) {
            (Col::Int(v, m), _) => Arc::new(Int64Array::new(v, m)),
            (Col::Float(v, m), _) => Arc::new(Float64Array::new(v, m)),
            (Col::Bool(v, m), _) => Arc::new(BooleanArray::new(v, m)),
            (Col::Str(a), _) => Arc::new(a),
            (c @ Col::Const(_), ty) => build(ty, n, |i| c.get(i)).into_array(ty, n),
        }
    }
}

impl Val<'_> {
    fn num(self) -> Option<f64> {
        match self {
            Val::Int(x) => Some(x as f64),
            Val::Float(x) => Some(x),
            _ => None,
        }
    }
}

/// Honeycomb's truth: true, non-zero numbers and the string "true".
pub fn truthy(v: Val<'_>) -> bool {
    match v {
        Val::Bool(b) => b,
        Val::Int(x) => x != 0,
        Val::Float(x) => x != 0.0 && !x.is_nan(),
        Val::Str(s) => s.eq_ignore_ascii_case("true"),
        Val::Null => false,
    }
}

/// Typed equality: numbers by value (1 = 1.0), strings, booleans; null equals only null; a
/// number never equals a string.
pub fn equals(a: Val<'_>, b: Val<'_>) -> bool {
    match (a, b) {
        (Val::Null, Val::Null) => true,
        (Val::Int(x), Val::Int(y)) => x == y,
        (Val::Str(x), Val::Str(y)) => x == y,
        (Val::Bool(x), Val::Bool(y)) => x == y,
        (x, y) => matches!((x.num(), y.num()), (Some(p), Some(q)) if p == q),
    }
}

/// Order of two numbers or two strings; `None` for anything else (the comparison is false).
fn order(a: Val<'_>, b: Val<'_>) -> Option<Ordering> {
    match (a, b) {
        (Val::Int(x), Val::Int(y)) => Some(x.cmp(&y)),
        (Val::Str(x), Val::Str(y)) => Some(x.cmp(y)),
        (x, y) => x.num()?.partial_cmp(&y.num()?),
    }
}

/// A value as text (STRING, CONCAT, mixed-type results).
pub fn text(v: Val<'_>, out: &mut String) {
    use std::fmt::Write;
    match v {
        Val::Int(x) => {
            let _ = write!(out, "{x}");
        }
        Val::Float(x) => {
            let _ = write!(out, "{x}");
        }
        Val::Bool(b) => out.push_str(if b { "true" } else { "false" }),
        Val::Str(s) => out.push_str(s),
        Val::Null => {}
    }
}

/// A column of `ty` from a value per row.
fn build<'a>(ty: Ty, n: usize, mut f: impl FnMut(usize) -> Val<'a>) -> Col {
    match ty {
        Ty::Null => Col::Const(Lit::Null),
        Ty::Str => {
            let mut b = StringBuilder::with_capacity(n, n * 8);
            let mut buf = String::new();
            for i in 0..n {
                match f(i) {
                    Val::Null => b.append_null(),
                    Val::Str(s) => b.append_value(s),
                    v => {
                        buf.clear();
                        text(v, &mut buf);
                        b.append_value(&buf);
                    }
                }
            }
            Col::Str(b.finish())
        }
        _ => {
            let mut mask = vec![true; n];
            let mut any_null = false;
            macro_rules! fill {
                ($variant:ident, $zero:expr, $conv:expr) => {{
                    let mut v = vec![$zero; n];
                    for i in 0..n {
                        match $conv(f(i)) {
                            Some(x) => v[i] = x,
                            None => {
                                mask[i] = false;
                                any_null = true;
                            }
                        }
                    }
                    Col::$variant(v.into(), any_null.then(|| NullBuffer::from(mask)))
                }};
            }
            match ty {
                Ty::Int => fill!(Int, 0i64, |v: Val<'_>| match v {
                    Val::Int(x) => Some(x),
                    Val::Float(x) => Some(x as i64),
                    Val::Bool(b) => Some(b as i64),
                    _ => None,
                }),
                Ty::Float => fill!(Float, 0f64, |v: Val<'_>| v.num()),
                _ => {
                    let mut v = vec![false; n];
                    for i in 0..n {
                        match f(i) {
                            Val::Bool(b) => v[i] = b,
                            Val::Null => {
                                mask[i] = false;
                                any_null = true;
                            }
                            x => v[i] = truthy(x),
                        }
                    }
                    Col::Bool(BooleanBuffer::from(v), any_null.then(|| NullBuffer::from(mask)))
                }
            }
        }
    }
}

/// What evaluation reads besides the batch: each row's event time in ms.
pub struct Ctx<'a> {
    pub batch: &'a RecordBatch,
    pub times: Option<&'a Int64Array>,
}

/// A batch column as a node's values (integers as i64, floats as f64, strings as UTF-8).
fn column(a: &ArrayRef, ty: Ty) -> Result<Col> {
    // The column's own buffers when it has the type already (no copy), else a cast.
    Ok(match ty {
        Ty::Int => {
            let c = if a.data_type() == &DataType::Int64 { a.clone() } else { arrow_cast::cast(a, &DataType::Int64)? };
            let p = c.as_primitive::<Int64Type>();
            Col::Int(p.values().clone(), p.nulls().cloned())
        }
        Ty::Float => {
            let c = if a.data_type() == &DataType::Float64 { a.clone() } else { arrow_cast::cast(a, &DataType::Float64)? };
            let p = c.as_primitive::<Float64Type>();
            Col::Float(p.values().clone(), p.nulls().cloned())
        }
        Ty::Bool => {
            let b = a.as_boolean();
            Col::Bool(b.values().clone(), b.nulls().cloned())
        }
        _ => {
            let c = arrow_cast::cast(a, &DataType::Utf8)?;
            Col::Str(c.as_string::<i32>().clone())
        }
    })
}

/// Evaluate `t` over the batch.
pub fn eval(t: &Typed, cx: &Ctx<'_>) -> Result<Col> {
    let n = cx.batch.num_rows();
    Ok(match &t.kind {
        K::Lit(l) => Col::Const(l.clone()),
        K::Column(i) => column(cx.batch.column(*i), t.ty)?,
        K::LengthBytes(s) => {
            let s = eval(s, cx)?;
            build(Ty::Int, n, |i| match s.get(i) {
                Val::Null => Val::Null,
                Val::Str(x) => Val::Int(x.len() as i64),
                v => {
                    let mut b = String::new();
                    text(v, &mut b);
                    Val::Int(b.len() as i64)
                }
            })
        }
        K::Regex(f, s, re) => {
            let s = eval(s, cx)?;
            let mut buf = String::new();
            let mut as_text = |v: Val<'_>| -> Option<String> {
                match v {
                    Val::Null => None,
                    v => {
                        buf.clear();
                        text(v, &mut buf);
                        Some(buf.clone())
                    }
                }
            };
            match f {
                Func::RegMatch => {
                    Col::Bool(BooleanBuffer::collect_bool(n, |i| as_text(s.get(i)).is_some_and(|x| re.is_match(&x))), None)
                }
                Func::RegCount => {
                    let v: Vec<i64> = (0..n).map(|i| as_text(s.get(i)).map_or(0, |x| re.find_iter(&x).count() as i64)).collect();
                    Col::Int(v.into(), None)
                }
                _ => {
                    let mut b = StringBuilder::with_capacity(n, n * 4);
                    for i in 0..n {
                        let got = as_text(s.get(i)).and_then(|x| re.captures(&x).and_then(|c| c.get(if c.len() > 1 { 1 } else { 0 }).map(|m| m.as_str().to_string())));
                        b.append_option(got);
                    }
                    Col::Str(b.finish())
                }
            }
        }
        K::Call(f, args) => call(*f, t.ty, args, cx, n)?,
    })
}

fn call(f: Func, ty: Ty, args: &[Typed], cx: &Ctx<'_>, n: usize) -> Result<Col> {
    if f == Func::EventTimestamp {
        let Some(times) = cx.times else { return Ok(Col::Const(Lit::Null)) };
        let v: Vec<i64> = times.values().iter().map(|ms| ms.div_euclid(1000)).collect();
        return Ok(Col::Int(v.into(), times.nulls().cloned()));
    }
    let a = args.iter().map(|x| eval(x, cx)).collect::<Result<Vec<Col>>>()?;
    // Fast paths over slices: comparisons and arithmetic of numeric columns and constants.
    if let Some(c) = fast(f, ty, &a, n) {
        return Ok(c);
    }
    let g = |k: usize, i: usize| a[k].get(i);
    Ok(match f {
        Func::If => build(ty, n, |i| {
            let m = a.len();
            let mut k = 0;
            while k + 1 < m {
                if truthy(g(k, i)) {
                    return g(k + 1, i);
                }
                k += 2;
            }
            if m % 2 == 1 { g(m - 1, i) } else { Val::Null }
        }),
        Func::Switch => build(ty, n, |i| {
            let x = g(0, i);
            let m = a.len();
            let mut k = 1;
            while k + 1 < m {
                if equals(x, g(k, i)) {
                    return g(k + 1, i);
                }
                k += 2;
            }
            if m % 2 == 0 { g(m - 1, i) } else { Val::Null }
        }),
        Func::Coalesce => build(ty, n, |i| (0..a.len()).map(|k| g(k, i)).find(|v| !matches!(v, Val::Null | Val::Str(""))).unwrap_or(Val::Null)),
        Func::Lt | Func::Lte | Func::Gt | Func::Gte => {
            let ok = |o: Ordering| match f {
                Func::Lt => o.is_lt(),
                Func::Lte => o.is_le(),
                Func::Gt => o.is_gt(),
                _ => o.is_ge(),
            };
            Col::Bool(BooleanBuffer::collect_bool(n, |i| order(g(0, i), g(1, i)).is_some_and(ok)), None)
        }
        Func::Equals => Col::Bool(BooleanBuffer::collect_bool(n, |i| equals(g(0, i), g(1, i))), None),
        Func::In => Col::Bool(BooleanBuffer::collect_bool(n, |i| (1..a.len()).any(|k| equals(g(0, i), g(k, i)))), None),
        Func::Exists => Col::Bool(BooleanBuffer::collect_bool(n, |i| g(0, i) != Val::Null), None),
        Func::Not => Col::Bool(BooleanBuffer::collect_bool(n, |i| !truthy(g(0, i))), None),
        Func::And => Col::Bool(BooleanBuffer::collect_bool(n, |i| (0..a.len()).all(|k| truthy(g(k, i)))), None),
        Func::Or => Col::Bool(BooleanBuffer::collect_bool(n, |i| (0..a.len()).any(|k| truthy(g(k, i)))), None),
        Func::StartsWith | Func::EndsWith | Func::Contains => {
            let (mut x, mut y) = (String::new(), String::new());
            Col::Bool(
                BooleanBuffer::collect_bool(n, |i| {
                        let (p, q) = (g(0, i), g(1, i));
                        if p == Val::Null || q == Val::Null {
                            return false;
                        }
                        x.clear();
                        y.clear();
                        text(p, &mut x);
                        text(q, &mut y);
                        match f {
                            Func::StartsWith => x.starts_with(y.as_str()),
                            Func::EndsWith => x.ends_with(y.as_str()),
                            _ => x.contains(y.as_str()),
                        }
                    }),
                None,
            )
        }
        Func::Min | Func::Max | Func::Sum | Func::Mul | Func::Sub | Func::Div | Func::Mod | Func::Log10 | Func::Bucket => arith(f, ty, &a, n),
        Func::Int | Func::Float => build(ty, n, |i| match g(0, i) {
            Val::Str(s) => {
                let s = s.trim();
                match (ty, s.parse::<i64>(), s.parse::<f64>()) {
                    (Ty::Int, Ok(x), _) => Val::Int(x),
                    (_, _, Ok(x)) if ty == Ty::Int => Val::Int(x as i64),
                    (_, Ok(x), _) => Val::Float(x as f64),
                    (_, _, Ok(x)) => Val::Float(x),
                    _ if ty == Ty::Int => Val::Int(0),
                    _ => Val::Float(0.0),
                }
            }
            Val::Float(x) if ty == Ty::Int => Val::Int(x as i64),
            Val::Int(x) if ty == Ty::Float => Val::Float(x as f64),
            Val::Bool(b) => if ty == Ty::Int { Val::Int(b as i64) } else { Val::Float(b as i64 as f64) },
            v => v,
        }),
        Func::Bool => build(Ty::Bool, n, |i| match g(0, i) {
            Val::Null => Val::Null,
            v => Val::Bool(truthy(v)),
        }),
        Func::String => build(Ty::Str, n, |i| g(0, i)),
        Func::Concat => {
            let mut b = StringBuilder::with_capacity(n, n * 16);
            let mut buf = String::new();
            for i in 0..n {
                buf.clear();
                let mut any = false;
                for k in 0..a.len() {
                    let v = g(k, i);
                    any |= v != Val::Null;
                    text(v, &mut buf);
                }
                if any { b.append_value(&buf) } else { b.append_null() }
            }
            Col::Str(b.finish())
        }
        Func::ToLower => {
            let mut buf = String::new();
            let mut b = StringBuilder::with_capacity(n, n * 8);
            for i in 0..n {
                match g(0, i) {
                    Val::Null => b.append_null(),
                    v => {
                        buf.clear();
                        text(v, &mut buf);
                        b.append_value(buf.to_lowercase());
                    }
                }
            }
            Col::Str(b.finish())
        }
        Func::Length => {
            let mut buf = String::new();
            build(Ty::Int, n, |i| match g(0, i) {
                Val::Null => Val::Null,
                Val::Str(s) => Val::Int(s.chars().count() as i64),
                v => {
                    buf.clear();
                    text(v, &mut buf);
                    Val::Int(buf.chars().count() as i64)
                }
            })
        }
        Func::UnixTimestamp => build(Ty::Float, n, |i| match g(0, i) {
            Val::Str(s) => super::time::parse_rfc3339(s).map_or(Val::Null, Val::Float),
            Val::Int(x) => Val::Float(x as f64),
            v @ Val::Float(_) => v,
            _ => Val::Null,
        }),
        Func::FormatTime => {
            let mut b = StringBuilder::with_capacity(n, n * 20);
            let mut buf = String::new();
            for i in 0..n {
                let (fmt, t) = (g(0, i), g(1, i));
                match (fmt, t.num()) {
                    (Val::Str(fmt), Some(secs)) if secs.is_finite() => {
                        buf.clear();
                        super::time::format(fmt, secs, &mut buf);
                        b.append_value(&buf);
                    }
                    _ => b.append_null(),
                }
            }
            Col::Str(b.finish())
        }
        Func::RegMatch | Func::RegValue | Func::RegCount | Func::EventTimestamp => unreachable!("evaluated above"),
    })
}

/// MIN, MAX, SUM, MUL (nulls left out; null when every argument is), SUB, DIV, MOD (null when
/// an argument is null, or dividing by zero), LOG10 (null for x ≤ 0), BUCKET.
fn arith(f: Func, ty: Ty, a: &[Col], n: usize) -> Col {
    let g = |k: usize, i: usize| a[k].get(i);
    if ty == Ty::Int {
        let int = |v: Val<'_>| match v {
            Val::Int(x) => Some(x),
            _ => None,
        };
        return build(Ty::Int, n, |i| {
            let vals = (0..a.len()).map(|k| int(g(k, i)));
            let out = match f {
                Func::Min => vals.flatten().min(),
                Func::Max => vals.flatten().max(),
                Func::Sum => vals.flatten().reduce(i64::wrapping_add),
                Func::Mul => vals.collect::<Option<Vec<i64>>>().and_then(|v| v.into_iter().reduce(i64::wrapping_mul)),
                Func::Sub => int(g(0, i)).zip(int(g(1, i))).map(|(x, y)| x.wrapping_sub(y)),
                Func::Mod => int(g(0, i)).zip(int(g(1, i))).and_then(|(x, y)| x.checked_rem(y)),
                _ => bucket_int(&vals.collect::<Vec<_>>()),
            };
            out.map_or(Val::Null, Val::Int)
        });
    }
    build(Ty::Float, n, |i| {
        let vals = (0..a.len()).map(|k| g(k, i).num());
        let two = || g(0, i).num().zip(g(1, i).num());
        let out = match f {
            Func::Min => vals.flatten().reduce(f64::min),
            Func::Max => vals.flatten().reduce(f64::max),
            Func::Sum => vals.flatten().reduce(|x, y| x + y),
            Func::Mul => vals.collect::<Option<Vec<f64>>>().and_then(|v| v.into_iter().reduce(|x, y| x * y)),
            Func::Sub => two().map(|(x, y)| x - y),
            Func::Div => two().and_then(|(x, y)| (y != 0.0).then(|| x / y)),
            Func::Mod => two().and_then(|(x, y)| (y != 0.0).then(|| x % y)),
            Func::Log10 => g(0, i).num().and_then(|x| (x > 0.0).then(|| x.log10())),
            _ => bucket_float(&vals.collect::<Vec<_>>()),
        };
        out.map_or(Val::Null, Val::Float)
    })
}

/// BUCKET(v, size[, min, max]): the start of `v`'s bucket of width `size`, `v` first held
/// within [min, max] when they are given; null for a null `v` or a size ≤ 0.
fn bucket_float(v: &[Option<f64>]) -> Option<f64> {
    let (mut x, size) = (v[0]?, v[1]?);
    if size <= 0.0 {
        return None;
    }
    if let Some(Some(lo)) = v.get(2) {
        x = x.max(*lo);
    }
    if let Some(Some(hi)) = v.get(3) {
        x = x.min(*hi);
    }
    Some((x / size).floor() * size)
}

fn bucket_int(v: &[Option<i64>]) -> Option<i64> {
    let (mut x, size) = (v[0]?, v[1]?);
    if size <= 0 {
        return None;
    }
    if let Some(Some(lo)) = v.get(2) {
        x = x.max(*lo);
    }
    if let Some(Some(hi)) = v.get(3) {
        x = x.min(*hi);
    }
    Some(x.div_euclid(size) * size)
}

/// Numbers over slices: a comparison of a numeric column with a constant or another column,
/// and two-argument arithmetic, where no per-row dispatch is needed.
fn fast(f: Func, ty: Ty, a: &[Col], n: usize) -> Option<Col> {
    if a.len() != 2 {
        return None;
    }
    let (x, y) = (Num::of(&a[0])?, Num::of(&a[1])?);
    // Integer columns against integers need exact comparisons: only floats here.
    let exact = matches!(&a[0], Col::Int(..)) && matches!(&a[1], Col::Int(..) | Col::Const(Lit::Int(_)));
    match f {
        Func::Lt | Func::Lte | Func::Gt | Func::Gte | Func::Equals if !exact => {
            let cmp = |p: f64, q: f64| match f {
                Func::Lt => p < q,
                Func::Lte => p <= q,
                Func::Gt => p > q,
                Func::Gte => p >= q,
                _ => p == q,
            };
            // The usual case, a float column against a number: one tight loop per operator.
            if let (Num::F(v, m), Num::C(c)) = (&x, &y) {
                let c = *c;
                macro_rules! by {
                    ($op:tt) => {
                        match m {
                            None => BooleanBuffer::collect_bool(n, |i| v[i] $op c),
                            Some(m) => &BooleanBuffer::collect_bool(n, |i| v[i] $op c) & m.inner(),
                        }
                    };
                }
                let bits = match f {
                    Func::Lt => by!(<),
                    Func::Lte => by!(<=),
                    Func::Gt => by!(>),
                    Func::Gte => by!(>=),
                    _ => by!(==),
                };
                return Some(Col::Bool(bits, None));
            }
            Some(Col::Bool(BooleanBuffer::collect_bool(n, |i| x.ok(i) && y.ok(i) && cmp(x.at(i), y.at(i))), None))
        }
        Func::Sub | Func::Div | Func::Mul | Func::Sum if ty == Ty::Float => {
            let mut mask = vec![true; n];
            let mut any = false;
            let v: Vec<f64> = (0..n)
                .map(|i| {
                    let (p, q, pv, qv) = (x.at(i), y.at(i), x.ok(i), y.ok(i));
                    let r = match f {
                        Func::Sub if pv && qv => Some(p - q),
                        Func::Mul if pv && qv => Some(p * q),
                        Func::Div if pv && qv && q != 0.0 => Some(p / q),
                        Func::Sum if pv || qv => Some(if pv { p } else { 0.0 } + if qv { q } else { 0.0 }),
                        _ => None,
                    };
                    r.unwrap_or_else(|| {
                        mask[i] = false;
                        any = true;
                        0.0
                    })
                })
                .collect();
            Some(Col::Float(v.into(), any.then(|| NullBuffer::from(mask))))
        }
        _ => None,
    }
}

/// A numeric column or constant, read as f64 per row.
enum Num<'a> {
    F(&'a [f64], &'a Mask),
    I(&'a [i64], &'a Mask),
    C(f64),
}

impl Num<'_> {
    fn of(c: &Col) -> Option<Num<'_>> {
        match c {
            Col::Float(v, m) => Some(Num::F(v, m)),
            Col::Int(v, m) => Some(Num::I(v, m)),
            Col::Const(Lit::Int(x)) => Some(Num::C(*x as f64)),
            Col::Const(Lit::Float(x)) => Some(Num::C(*x)),
            _ => None,
        }
    }
    fn at(&self, i: usize) -> f64 {
        match self {
            Num::F(v, _) => v[i],
            Num::I(v, _) => v[i] as f64,
            Num::C(c) => *c,
        }
    }
    fn ok(&self, i: usize) -> bool {
        match self {
            Num::F(_, m) | Num::I(_, m) => valid(m, i),
            Num::C(_) => true,
        }
    }
}
