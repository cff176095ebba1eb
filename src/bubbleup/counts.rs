//! BubbleUp's per-column tallies: the weight of each distinct value of a column among the query's
//! rows (`all`) and among the selected ones (`sel`); the baseline is their difference.
//!
//! Rows are never copied into per-column code vectors: plain string columns index the data set's
//! cached string codes, dictionary columns count dictionary keys and map each key used in a batch
//! to a code once, integers over a narrow range count by offset from the batch's minimum (then
//! map each value used to a code), booleans count directly, and anything else goes through the
//! GROUP BY interner.

use std::sync::Arc;

use arrow_array::cast::AsArray;
use arrow_array::types::Int32Type;
use arrow_array::{Array, RecordBatch};
use arrow_schema::DataType;

use super::MAX_DISTINCT;
use crate::dataset::{DataSet, StringCodes};
use crate::error::Result;
use crate::query::breakdown::Grouper;
use crate::query::column::strings;
use crate::query::intern::StrInterner;
use crate::value::Value;

/// One batch's rows in BubbleUp: the query's rows, the selected ones among them (both ascending
/// row ids), and per-row weights (indexed by row id) when weighting is on.
pub struct Rows<'a> {
    pub all: Vec<u32>,
    pub sel: Vec<u32>,
    pub weights: Option<&'a [f64]>,
}

impl Rows<'_> {
    /// Total weight of `rows`.
    pub fn weight(&self, rows: &[u32]) -> f64 {
        match self.weights {
            None => rows.len() as f64,
            Some(w) => rows.iter().map(|&r| w[r as usize]).sum(),
        }
    }
}

/// Add each row's weight to `out[code(row)]`.
#[inline]
pub fn tally(rows: &[u32], weights: Option<&[f64]>, out: &mut [f64], code: impl Fn(usize) -> usize) {
    let m = out.len();
    match weights {
        // Unweighted over a few codes: four interleaved integer tallies, so that a run of one
        // value does not wait on the previous increment of the same counter.
        None if m <= 1024 && rows.len() >= 256 => {
            let mut lanes = [0u32; 4 * 1024];
            let (a, rest) = lanes.split_at_mut(1024);
            let (b, rest) = rest.split_at_mut(1024);
            let (c, d) = rest.split_at_mut(1024);
            let mut quads = rows.chunks_exact(4);
            for q in &mut quads {
                a[code(q[0] as usize) & 1023] += 1;
                b[code(q[1] as usize) & 1023] += 1;
                c[code(q[2] as usize) & 1023] += 1;
                d[code(q[3] as usize) & 1023] += 1;
            }
            for &r in quads.remainder() {
                a[code(r as usize) & 1023] += 1;
            }
            for (i, o) in out.iter_mut().enumerate() {
                *o += (a[i] + b[i] + c[i] + d[i]) as f64;
            }
        }
        None => rows.iter().for_each(|&r| out[code(r as usize)] += 1.0),
        Some(w) => rows.iter().for_each(|&r| out[code(r as usize)] += w[r as usize]),
    }
}

/// A dictionary's keys: Int32 as stored, other widths normalized.
#[derive(Clone, Copy)]
enum KeySlice<'a> {
    I32(&'a [i32]),
    Usize(&'a [usize]),
}

/// The code of integer `x` (codes from 1; 0 is null), a new one if it was not seen before.
fn int_code(map: &mut hashbrown::HashMap<i64, u32>, values: &mut Vec<i64>, x: i64) -> usize {
    let next = values.len() as u32;
    *map.entry(x).or_insert_with(|| {
        values.push(x);
        next
    }) as usize
}

enum Source {
    /// The data set's cached codes of a plain string column (code 0 is null).
    Codes(Arc<StringCodes>),
    /// A dictionary-encoded string column: entries interned as batches use them.
    Dict(StrInterner),
    /// A plain string column whose codes are not cached yet: rows interned here, stopping as
    /// soon as there are too many values (ids cost a thousand rows, not all of them).
    Plain(StrInterner),
    /// Booleans: code 1 false, 2 true.
    Bool,
    /// Integers: value → code, and code → value.
    Int(hashbrown::HashMap<i64, u32>, Vec<i64>),
    /// Anything else, through the GROUP BY interner.
    Group(Grouper),
}

pub struct ValueCounts {
    column: usize,
    source: Source,
    /// Weight per code (0 is null) among the query's rows and among the selected rows.
    pub all: Vec<f64>,
    pub sel: Vec<f64>,
    /// More than [`MAX_DISTINCT`] values: not compared.
    pub overflow: bool,
    /// Codes seen so far, kept while a cached column with many values in the whole data set
    /// might still have few among the query's rows.
    seen: Option<hashbrown::HashSet<u32>>,
    /// Scratch: per-batch key weights (dictionaries) or codes (GROUP BY interner).
    keys_all: Vec<f64>,
    keys_sel: Vec<f64>,
    codes: Vec<u32>,
}

impl ValueCounts {
    pub fn new(column: usize, name: &str, ds: &DataSet) -> Result<ValueCounts> {
        let is_dict_str = matches!(ds.schema().field(column).data_type(), DataType::Dictionary(_, v) if matches!(v.as_ref(), DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View));
        let ty = ds.schema().field(column).data_type();
        let source = if is_dict_str {
            Source::Dict(StrInterner::new())
        } else if *ty == DataType::Boolean {
            Source::Bool
        } else if matches!(ty, DataType::Int8 | DataType::Int16 | DataType::Int32 | DataType::Int64 | DataType::UInt8 | DataType::UInt16 | DataType::UInt32) {
            Source::Int(Default::default(), vec![0])
        } else if let Some(c) = ds.cached_string_codes(column) {
            Source::Codes(c.clone())
        } else if ds.batches().first().is_some_and(|b| strings(b.column(column)).is_some()) {
            Source::Plain(StrInterner::new())
        } else {
            Source::Group(Grouper::new(&[name.to_string()], ds)?)
        };
        let mut v = ValueCounts { column, source, all: Vec::new(), sel: Vec::new(), overflow: false, seen: None, keys_all: Vec::new(), keys_sel: Vec::new(), codes: Vec::new() };
        // The cache knows a plain string column's distinct count in the whole data set: with few
        // values, tally straight away; with many (ids), count the query's distinct values first.
        if let Source::Codes(c) = &v.source {
            if c.interner.len() > MAX_DISTINCT {
                v.seen = Some(Default::default());
            } else {
                v.grow(c.interner.len() + 1);
            }
        }
        Ok(v)
    }

    /// Distinct values seen (null included).
    pub fn len(&self) -> usize {
        self.all.len()
    }

    fn grow(&mut self, n: usize) {
        if self.all.len() < n {
            self.all.resize(n, 0.0);
            self.sel.resize(n, 0.0);
        }
    }

    /// After the last batch: a plain string column with few values gets the data set's cached
    /// codes built, so the next BubbleUp (and GROUP BY) reads them instead of hashing rows.
    pub async fn finish(&self, ds: &DataSet, pace: &mut crate::pace::Pace<'_>) -> crate::Result<()> {
        if matches!(self.source, Source::Plain(_)) && !self.overflow {
            ds.string_codes_paced(self.column, pace).await?;
        }
        Ok(())
    }

    /// The value of `code`.
    pub fn value(&self, code: usize) -> Value {
        match &self.source {
            Source::Codes(c) if code > 0 => Value::Str(c.interner.get(code as u32 - 1).to_string()),
            Source::Dict(t) | Source::Plain(t) if code > 0 => Value::Str(t.get(code as u32 - 1).to_string()),
            Source::Bool if code > 0 => Value::Bool(code == 2),
            Source::Int(_, values) if code > 0 => Value::Int(values[code]),
            Source::Group(g) => g.values(code as u32).into_iter().next().unwrap_or(Value::Null),
            _ => Value::Null,
        }
    }

    /// Tally batch `bi`'s rows.
    pub fn add(&mut self, bi: usize, batch: &RecordBatch, rows: &Rows) {
        if self.overflow || rows.all.is_empty() {
            return;
        }
        let w = rows.weights;
        match &mut self.source {
            Source::Codes(c) => {
                let codes = &c.batches[bi];
                if let Some(seen) = &mut self.seen {
                    for &r in &rows.all {
                        // One more than the limit, and one for null: enough to know.
                        if seen.insert(codes[r as usize]) && seen.len() > MAX_DISTINCT + 1 {
                            break;
                        }
                    }
                    // Distinct non-null values among the query's rows so far.
                    if seen.len() - seen.contains(&0) as usize > MAX_DISTINCT {
                        self.overflow = true;
                        self.seen = None;
                        return;
                    }
                    let n = c.interner.len() + 1;
                    if self.all.len() < n {
                        self.all.resize(n, 0.0);
                        self.sel.resize(n, 0.0);
                    }
                }
                tally(&rows.all, w, &mut self.all, |r| codes[r] as usize);
                tally(&rows.sel, w, &mut self.sel, |r| codes[r] as usize);
            }
            Source::Dict(interner) => {
                let col = batch.column(self.column);
                let d = col.as_any_dictionary();
                let n = d.values().len();
                // Slot n: null keys (and keys out of the dictionary's range).
                self.keys_all.clear();
                self.keys_all.resize(n + 1, 0.0);
                self.keys_sel.clear();
                self.keys_sel.resize(n + 1, 0.0);
                let (ka, ks) = (&mut self.keys_all, &mut self.keys_sel);
                let normalized;
                let keys: KeySlice = match col.data_type() {
                    DataType::Dictionary(k, _) if **k == DataType::Int32 => KeySlice::I32(col.as_dictionary::<Int32Type>().keys().values()),
                    _ => {
                        normalized = d.normalized_keys();
                        KeySlice::Usize(&normalized)
                    }
                };
                match (col.nulls(), keys) {
                    (None, KeySlice::I32(k)) => {
                        tally(&rows.all, w, ka, |r| (k[r] as usize).min(n));
                        tally(&rows.sel, w, ks, |r| (k[r] as usize).min(n));
                    }
                    (Some(nulls), KeySlice::I32(k)) => {
                        let slot = |r: usize| if nulls.is_null(r) { n } else { (k[r] as usize).min(n) };
                        tally(&rows.all, w, ka, slot);
                        tally(&rows.sel, w, ks, slot);
                    }
                    (nulls, KeySlice::Usize(k)) => {
                        let slot = |r: usize| if nulls.is_some_and(|b| b.is_null(r)) { n } else { k[r].min(n) };
                        tally(&rows.all, w, ka, slot);
                        tally(&rows.sel, w, ks, slot);
                    }
                }
                let Some(values) = strings(d.values()) else { return };
                for k in 0..=n {
                    if self.keys_all[k] == 0.0 {
                        continue;
                    }
                    let code = if k == n { 0 } else { values.get(k).map_or(0, |s| interner.intern(s) as usize + 1) };
                    if code >= self.all.len() {
                        if code > MAX_DISTINCT {
                            self.overflow = true;
                            return;
                        }
                        self.all.resize(code + 1, 0.0);
                        self.sel.resize(code + 1, 0.0);
                    }
                    self.all[code] += self.keys_all[k];
                    self.sel[code] += self.keys_sel[k];
                }
            }
            Source::Plain(interner) => {
                let Some(sc) = strings(batch.column(self.column)) else { return };
                self.codes.clear();
                for chunk in rows.all.chunks(1024) {
                    interner.intern_rows(&sc, chunk, 1, 0, &mut self.codes);
                    if interner.len() > MAX_DISTINCT {
                        self.overflow = true;
                        return;
                    }
                }
                let n = interner.len() + 1;
                self.grow(n);
                // Codes of the query's rows, in order: the selected rows are a subset of them.
                let (all, sel) = (&mut self.all, &mut self.sel);
                match w {
                    None => self.codes.iter().for_each(|&c| all[c as usize] += 1.0),
                    Some(w) => self.codes.iter().zip(&rows.all).for_each(|(&c, &r)| all[c as usize] += w[r as usize]),
                }
                let mut k = 0;
                for &r in &rows.sel {
                    while rows.all[k] != r {
                        k += 1;
                    }
                    sel[self.codes[k] as usize] += w.map_or(1.0, |w| w[r as usize]);
                }
            }
            Source::Bool => {
                self.grow(3);
                let col = batch.column(self.column);
                let b = col.as_boolean();
                let code = |r: usize| if b.is_null(r) { 0 } else { 1 + b.value(r) as usize };
                tally(&rows.all, w, &mut self.all, code);
                tally(&rows.sel, w, &mut self.sel, code);
            }
            Source::Int(map, values) => {
                let Some(nc) = crate::query::column::numeric(batch.column(self.column)) else { return };
                let crate::query::column::Num::I(v) = &nc.vals else { return };
                let (mut lo, mut hi) = (i64::MAX, i64::MIN);
                for &r in &rows.all {
                    lo = lo.min(v[r as usize]);
                    hi = hi.max(v[r as usize]);
                }
                let span = hi.saturating_sub(lo);
                if !(0..=65_536).contains(&span) {
                    // A wide range: one hash lookup per row.
                    for (rs, out) in [(&rows.all, &mut self.keys_all), (&rows.sel, &mut self.keys_sel)] {
                        out.clear();
                        for &r in rs.iter() {
                            let r = r as usize;
                            let code = if nc.is_valid(r) { int_code(map, values, v[r]) } else { 0 };
                            if code > MAX_DISTINCT {
                                self.overflow = true;
                                return;
                            }
                            if out.len() <= code {
                                out.resize(code + 1, 0.0);
                            }
                            out[code] += w.map_or(1.0, |w| w[r]);
                        }
                    }
                } else {
                    // Slot span + 1: nulls.
                    let n = span as usize + 1;
                    for out in [&mut self.keys_all, &mut self.keys_sel] {
                        out.clear();
                        out.resize(n + 1, 0.0);
                    }
                    let slot = |r: usize| if nc.is_valid(r) { (v[r] - lo) as usize } else { n };
                    tally(&rows.all, w, &mut self.keys_all, slot);
                    tally(&rows.sel, w, &mut self.keys_sel, slot);
                    // Back to per-value form: code by slot.
                    let (ka, ks) = (std::mem::take(&mut self.keys_all), std::mem::take(&mut self.keys_sel));
                    self.keys_all.clear();
                    self.keys_sel.clear();
                    for (k, (a, s)) in ka.iter().zip(&ks).enumerate() {
                        if *a == 0.0 {
                            continue;
                        }
                        let code = if k == n { 0 } else { int_code(map, values, lo + k as i64) };
                        if code > MAX_DISTINCT {
                            self.overflow = true;
                            return;
                        }
                        if self.keys_all.len() <= code {
                            self.keys_all.resize(code + 1, 0.0);
                            self.keys_sel.resize(code + 1, 0.0);
                        }
                        self.keys_all[code] += a;
                        self.keys_sel[code] += s;
                    }
                }
                let n = self.keys_all.len().max(self.keys_sel.len());
                self.grow(n);
                for (o, k) in self.all.iter_mut().zip(&self.keys_all) {
                    *o += k;
                }
                for (o, k) in self.sel.iter_mut().zip(&self.keys_sel) {
                    *o += k;
                }
            }
            Source::Group(g) => {
                g.assign(bi, batch, &rows.all, &mut self.codes);
                let n = g.len();
                if n > MAX_DISTINCT + 1 {
                    self.overflow = true;
                    return;
                }
                if self.all.len() < n {
                    self.all.resize(n, 0.0);
                    self.sel.resize(n, 0.0);
                }
                match w {
                    None => self.codes.iter().for_each(|&c| self.all[c as usize] += 1.0),
                    Some(w) => self.codes.iter().zip(&rows.all).for_each(|(&c, &r)| self.all[c as usize] += w[r as usize]),
                }
                g.assign(bi, batch, &rows.sel, &mut self.codes);
                match w {
                    None => self.codes.iter().for_each(|&c| self.sel[c as usize] += 1.0),
                    Some(w) => self.codes.iter().zip(&rows.sel).for_each(|(&c, &r)| self.sel[c as usize] += w[r as usize]),
                }
            }
        }
    }
}
