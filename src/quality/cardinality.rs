//! Distinct values per column: exact up to a bound (a set of 64-bit value hashes), estimated past
//! it by HyperLogLog++ (precision 14: about 0.8% standard error).

use std::hash::{BuildHasherDefault, Hasher};

use arrow_array::cast::AsArray;
use arrow_array::{Array, ArrayRef};
use hashbrown::HashSet;
use hyperloglogplus::{HyperLogLog, HyperLogLogPlus};

use crate::dataset::DataSet;
use crate::query::column::{numeric, strings, Num, StrCol};

/// Distinct values counted exactly up to this many.
pub const EXACT_BOUND: usize = 10_000;

/// Hashes arrive already mixed (xxh3, or a 64-bit finalizer): sets and the sketch take them as
/// they are.
#[derive(Default)]
pub struct Passthrough(u64);

impl Hasher for Passthrough {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, _: &[u8]) {
        unreachable!("only u64 keys")
    }
    fn write_u64(&mut self, i: u64) {
        self.0 = i;
    }
}

type Sketch = HyperLogLogPlus<u64, BuildHasherDefault<Passthrough>>;

/// A set of already-mixed 64-bit hashes.
pub type HashSet64 = HashSet<u64, BuildHasherDefault<Passthrough>>;

/// Distinct values seen so far.
enum Distinct {
    Exact(HashSet64),
    Estimated(Box<Sketch>),
}

impl Default for Distinct {
    fn default() -> Self {
        Distinct::Exact(HashSet::default())
    }
}

impl Distinct {
    #[inline]
    fn insert(&mut self, h: u64) {
        match self {
            Distinct::Exact(set) => {
                set.insert(h);
                if set.len() > EXACT_BOUND {
                    let mut sketch = Sketch::new(14, BuildHasherDefault::default()).expect("precision 14 is in range");
                    for h in set.iter() {
                        sketch.insert(h);
                    }
                    *self = Distinct::Estimated(Box::new(sketch));
                }
            }
            Distinct::Estimated(s) => s.insert(&h),
        }
    }

    /// The count, and whether it is exact.
    fn count(&mut self) -> (u64, bool) {
        match self {
            Distinct::Exact(set) => (set.len() as u64, true),
            Distinct::Estimated(s) => (s.count().round() as u64, false),
        }
    }
}

/// SplitMix64's finalizer: integers and float bits to well-mixed hashes.
#[inline]
fn mix(mut x: u64) -> u64 {
    x ^= x >> 30;
    x = x.wrapping_mul(0xbf58476d1ce4e5b9);
    x ^= x >> 27;
    x = x.wrapping_mul(0x94d049bb133111eb);
    x ^ (x >> 31)
}

#[inline]
fn text(s: &str) -> u64 {
    twox_hash::XxHash3_64::oneshot(s.as_bytes())
}

/// Column `col`'s distinct non-null values (exact, or estimated past [`EXACT_BOUND`]).
pub fn distinct(ds: &DataSet, col: usize) -> (u64, bool) {
    // A plain string column some query already encoded: its codes are the exact answer.
    if let Some(codes) = ds.cached_string_codes(col) {
        return (codes.interner.len() as u64, true);
    }
    let mut d = Distinct::default();
    for b in ds.batches() {
        add(&mut d, b.column(col));
    }
    d.count()
}

fn add(d: &mut Distinct, a: &ArrayRef) {
    if a.null_count() == a.len() {
        return;
    }
    if let Some(sc) = strings(a) {
        match &sc {
            StrCol::Dict { keys, values, nulls } => {
                // Each key used once: its value's hash.
                let mut used = vec![false; values.len()];
                for i in 0..keys.len() {
                    if nulls.as_ref().is_none_or(|n| n.is_valid(i)) {
                        used[keys.at(i)] = true;
                    }
                }
                for (k, _) in used.iter().enumerate().filter(|(_, u)| **u) {
                    if let Some(s) = values.get(k) {
                        d.insert(text(s));
                    }
                }
            }
            _ => {
                for i in 0..sc.len() {
                    if let Some(s) = sc.get(i) {
                        d.insert(text(s));
                    }
                }
            }
        }
        return;
    }
    if let Some(b) = a.as_boolean_opt() {
        for v in b.iter().flatten() {
            d.insert(mix(v as u64));
        }
        return;
    }
    if let Some(n) = numeric(a) {
        let valid = |i: usize| n.nulls.as_ref().is_none_or(|m| m.is_valid(i));
        match &n.vals {
            Num::I(v) => {
                for (i, x) in v.iter().enumerate() {
                    if valid(i) {
                        d.insert(mix(*x as u64));
                    }
                }
            }
            Num::F(v) => {
                for (i, x) in v.iter().enumerate() {
                    if valid(i) {
                        // -0 and 0 are one value.
                        d.insert(mix((x + 0.0).to_bits()));
                    }
                }
            }
        }
        return;
    }
    // Lists, structs, binary: by their text.
    if let Ok(s) = arrow_cast::display::ArrayFormatter::try_new(a.as_ref(), &Default::default()) {
        for i in 0..a.len() {
            if a.is_valid(i) {
                d.insert(text(&s.value(i).to_string()));
            }
        }
    }
}
