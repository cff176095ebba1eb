//! GROUP BY: every breakdown value is interned to a dense integer code (0 is null), and a
//! combination of codes to a dense group id. Dictionary columns map each dictionary entry once
//! per batch, so rows are grouped by integer keys.

use std::sync::Arc;

use arrow_array::RecordBatch;
use hashbrown::HashMap;

use super::column::{booleans, numeric, strings, Kind, Num};
use super::intern::StrInterner;
use crate::dataset::{DataSet, StringCodes};
use crate::error::{Error, Result};
use crate::value::Value;

enum Interner {
    /// String codes are the interner's plus one (0 is null); `values` holds only null.
    Str(StrInterner),
    /// A plain string column the data set has already encoded (same codes as `Str`).
    Codes(Arc<StringCodes>),
    Int(HashMap<i64, u32>),
    Float(HashMap<u64, u32>),
    Bool,
}

struct KeyColumn {
    index: usize,
    interner: Interner,
    /// Code → value; code 0 is null.
    values: Vec<Value>,
}

impl KeyColumn {
    fn new(index: usize, kind: Kind, ds: &DataSet) -> Self {
        let (interner, values) = match kind {
            Kind::Str => match ds.string_codes(index) {
                Some(codes) => (Interner::Codes(codes.clone()), vec![Value::Null]),
                None => (Interner::Str(StrInterner::new()), vec![Value::Null]),
            },
            Kind::Int => (Interner::Int(HashMap::new()), vec![Value::Null]),
            Kind::Float => (Interner::Float(HashMap::new()), vec![Value::Null]),
            _ => (Interner::Bool, vec![Value::Null, Value::Bool(false), Value::Bool(true)]),
        };
        KeyColumn { index, interner, values }
    }

    /// How many codes there are (null included).
    fn len(&self) -> usize {
        match &self.interner {
            Interner::Str(t) => t.len() + 1,
            Interner::Codes(c) => c.interner.len() + 1,
            _ => self.values.len(),
        }
    }

    /// The value of `code`.
    fn value(&self, code: u32) -> Value {
        match &self.interner {
            Interner::Str(t) if code > 0 => Value::Str(t.get(code - 1).to_string()),
            Interner::Codes(c) if code > 0 => Value::Str(c.interner.get(code - 1).to_string()),
            _ => self.values[code as usize].clone(),
        }
    }

    /// Order of two codes' values, nulls last (reversed order for `descending`, nulls still last).
    fn cmp(&self, a: u32, b: u32, descending: bool) -> std::cmp::Ordering {
        use std::cmp::Ordering;
        if a == b {
            return Ordering::Equal;
        }
        let o = match (a, b) {
            (0, _) => return Ordering::Greater,
            (_, 0) => return Ordering::Less,
            _ => match &self.interner {
                Interner::Str(t) => t.cmp(a - 1, b - 1),
                Interner::Codes(c) => c.interner.cmp(a - 1, b - 1),
                _ => self.values[a as usize].cmp_non_null(&self.values[b as usize]),
            },
        };
        if descending { o.reverse() } else { o }
    }

    /// Codes for the selected rows of batch `bi`, appended to `out`.
    fn codes(&mut self, bi: usize, batch: &RecordBatch, sel: &[u32], out: &mut Vec<u32>) {
        if let Interner::Codes(c) = &self.interner {
            let codes = &c.batches[bi];
            if sel.len() == codes.len() {
                // Every row (a selection holds each row at most once, in order): one copy, which
                // is fast even in the browser's baseline tier, where a first query's loop runs.
                out.extend_from_slice(codes);
            } else {
                out.extend(sel.iter().map(|&i| codes[i as usize]));
            }
            return;
        }
        let col = batch.column(self.index);
        let nulls = super::column::nulls_of(col.as_ref());
        let valid = |i: u32| nulls.as_ref().map_or(true, |n| n.is_valid(i as usize));
        match &mut self.interner {
            Interner::Str(t) => {
                let Some(sc) = strings(col) else { return out.resize(out.len() + sel.len(), 0) };
                t.intern_rows(&sc, sel, 1, 0, out);
            }
            Interner::Int(map) => {
                let Some(nc) = numeric(col) else { return out.resize(out.len() + sel.len(), 0) };
                let Num::I(v) = &nc.vals else { return out.resize(out.len() + sel.len(), 0) };
                for &i in sel {
                    if !valid(i) {
                        out.push(0);
                        continue;
                    }
                    let x = v[i as usize];
                    let next = self.values.len() as u32;
                    let code = *map.entry(x).or_insert_with(|| {
                        self.values.push(Value::Int(x));
                        next
                    });
                    out.push(code);
                }
            }
            Interner::Float(map) => {
                let Some(nc) = numeric(col) else { return out.resize(out.len() + sel.len(), 0) };
                let v = nc.to_f64();
                for &i in sel {
                    if !valid(i) {
                        out.push(0);
                        continue;
                    }
                    let x = v[i as usize];
                    // One group for 0.0 and -0.0, one for all NaNs.
                    let key = if x == 0.0 { 0 } else if x.is_nan() { f64::NAN.to_bits() } else { x.to_bits() };
                    let next = self.values.len() as u32;
                    let code = *map.entry(key).or_insert_with(|| {
                        self.values.push(Value::Float(x));
                        next
                    });
                    out.push(code);
                }
            }
            Interner::Codes(_) => {}
            Interner::Bool => {
                let Some(b) = booleans(col) else { return out.resize(out.len() + sel.len(), 0) };
                out.extend(sel.iter().map(|&i| if valid(i) { 1 + b.value(i as usize) as u32 } else { 0 }));
            }
        }
    }
}

/// Assigns group ids to rows across all batches of one query.
pub struct Grouper {
    columns: Vec<KeyColumn>,
    /// For two or more breakdowns: (previous id, next column's code) → id.
    pairs: Vec<HashMap<u64, u32>>,
    /// Per level, id → (previous level's id, this column's code), to walk a group back to its codes.
    back: Vec<Vec<(u32, u32)>>,
    scratch: Vec<u32>,
}

impl Grouper {
    pub fn new(breakdowns: &[String], ds: &DataSet) -> Result<Self> {
        let schema = ds.schema();
        let mut columns = Vec::new();
        for (i, b) in breakdowns.iter().enumerate() {
            let index = schema.index_of(b).map_err(|_| Error::spec(format!("breakdowns[{i}]"), format!("no column named {b:?}")))?;
            let dt = schema.field(index).data_type();
            let kind = Kind::of(dt);
            if kind == Kind::Other {
                return Err(Error::spec(format!("breakdowns[{i}]"), format!("cannot group by {b:?}: it is {dt}")));
            }
            columns.push(KeyColumn::new(index, kind, ds));
        }
        let levels = columns.len().saturating_sub(1);
        let pairs = (0..levels).map(|_| HashMap::new()).collect();
        let back = (0..levels).map(|_| Vec::new()).collect();
        Ok(Grouper { columns, pairs, back, scratch: Vec::new() })
    }

    /// Number of group ids handed out so far (some may have no rows; callers count rows).
    pub fn len(&self) -> usize {
        match self.columns.len() {
            0 => 1,
            1 => self.columns[0].len(),
            n => self.back[n - 2].len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Group ids of the selected rows of batch `bi`, written to `out` (cleared first).
    pub fn assign(&mut self, bi: usize, batch: &RecordBatch, sel: &[u32], out: &mut Vec<u32>) {
        out.clear();
        match self.columns.len() {
            0 => out.resize(sel.len(), 0),
            1 => self.columns[0].codes(bi, batch, sel, out),
            n => {
                self.columns[0].codes(bi, batch, sel, out);
                for c in 1..n {
                    self.scratch.clear();
                    self.columns[c].codes(bi, batch, sel, &mut self.scratch);
                    let map = &mut self.pairs[c - 1];
                    let back = &mut self.back[c - 1];
                    for (g, code) in out.iter_mut().zip(&self.scratch) {
                        let key = ((*g as u64) << 32) | *code as u64;
                        let next = back.len() as u32;
                        let id = *map.entry(key).or_insert_with(|| {
                            back.push((*g, *code));
                            next
                        });
                        *g = id;
                    }
                }
            }
        }
    }

    /// Breakdown `k`'s code in group `g`.
    fn code(&self, g: u32, k: usize) -> u32 {
        let n = self.columns.len();
        let mut id = g;
        for c in (k.max(1)..n).rev() {
            let (prev, code) = self.back[c - 1][id as usize];
            if c == k {
                return code;
            }
            id = prev;
        }
        id
    }

    /// Order of groups `a` and `b` by breakdown `k`: values ascending (or descending), nulls last.
    pub fn cmp(&self, a: u32, b: u32, k: usize, descending: bool) -> std::cmp::Ordering {
        self.columns[k].cmp(self.code(a, k), self.code(b, k), descending)
    }

    /// The breakdown values of group `g`, in breakdown order.
    pub fn values(&self, g: u32) -> Vec<Value> {
        match self.columns.len() {
            0 => Vec::new(),
            1 => vec![self.columns[0].value(g)],
            n => {
                let mut codes = vec![0u32; n];
                let mut id = g;
                for c in (1..n).rev() {
                    let (prev, code) = self.back[c - 1][id as usize];
                    codes[c] = code;
                    id = prev;
                }
                codes[0] = id;
                codes.iter().zip(&self.columns).map(|(code, col)| col.value(*code)).collect()
            }
        }
    }
}
