//! Typed views of Arrow columns, resolved once per batch so inner loops see plain slices.

use std::borrow::Cow;

use arrow_array::cast::AsArray;
use arrow_array::types::*;
use arrow_array::{Array, ArrayRef, BooleanArray, LargeStringArray, StringArray, StringViewArray};
use arrow_buffer::NullBuffer;
use arrow_schema::DataType;

/// What kind of values a column holds, as far as queries care.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Int,
    Float,
    Str,
    Bool,
    /// Lists, structs, binary…: only `exists` / `does-not-exist` and COUNT_DISTINCT apply.
    Other,
}

impl Kind {
    pub fn of(t: &DataType) -> Kind {
        use DataType::*;
        match t {
            Int8 | Int16 | Int32 | Int64 | UInt8 | UInt16 | UInt32 | UInt64 => Kind::Int,
            Timestamp(..) | Date32 | Date64 | Duration(_) | Time32(_) | Time64(_) => Kind::Int,
            Float16 | Float32 | Float64 | Decimal128(..) | Decimal256(..) => Kind::Float,
            Utf8 | LargeUtf8 | Utf8View => Kind::Str,
            Dictionary(_, v) if matches!(v.as_ref(), Utf8 | LargeUtf8 | Utf8View) => Kind::Str,
            Dictionary(_, v) => Kind::of(v),
            Boolean => Kind::Bool,
            _ => Kind::Other,
        }
    }
    pub fn is_numeric(self) -> bool {
        matches!(self, Kind::Int | Kind::Float)
    }
    pub fn name(self) -> &'static str {
        match self {
            Kind::Int => "integer",
            Kind::Float => "float",
            Kind::Str => "string",
            Kind::Bool => "boolean",
            Kind::Other => "nested/binary",
        }
    }
}

/// Numeric values of one batch's column: borrowed for Int64/Float64, converted otherwise.
pub enum Num<'a> {
    I(Cow<'a, [i64]>),
    F(Cow<'a, [f64]>),
}

pub struct NumCol<'a> {
    pub vals: Num<'a>,
    pub nulls: Option<NullBuffer>,
}

impl NumCol<'_> {
    #[inline]
    pub fn is_valid(&self, i: usize) -> bool {
        self.nulls.as_ref().map_or(true, |n| n.is_valid(i))
    }
    #[inline]
    pub fn f64_at(&self, i: usize) -> f64 {
        match &self.vals {
            Num::I(v) => v[i] as f64,
            Num::F(v) => v[i],
        }
    }
    /// All values as f64 (nulls hold arbitrary values; check validity).
    pub fn to_f64(&self) -> Cow<'_, [f64]> {
        match &self.vals {
            Num::F(v) => Cow::Borrowed(v.as_ref()),
            Num::I(v) => Cow::Owned(v.iter().map(|x| *x as f64).collect()),
        }
    }
}

fn ints<T: ArrowPrimitiveType>(a: &ArrayRef) -> Num<'_>
where
    T::Native: Into<i64>,
{
    Num::I(Cow::Owned(a.as_primitive::<T>().values().iter().map(|v| (*v).into()).collect()))
}

fn floats<T: ArrowPrimitiveType>(a: &ArrayRef, f: impl Fn(T::Native) -> f64) -> Num<'_> {
    Num::F(Cow::Owned(a.as_primitive::<T>().values().iter().map(|v| f(*v)).collect()))
}

/// A numeric view of `a`, or `None` when the column is not numeric.
pub fn numeric(a: &ArrayRef) -> Option<NumCol<'_>> {
    use DataType::*;
    let vals = match a.data_type() {
        Int64 => Num::I(Cow::Borrowed(a.as_primitive::<Int64Type>().values())),
        Float64 => Num::F(Cow::Borrowed(a.as_primitive::<Float64Type>().values())),
        Int8 => ints::<Int8Type>(a),
        Int16 => ints::<Int16Type>(a),
        Int32 => ints::<Int32Type>(a),
        UInt8 => ints::<UInt8Type>(a),
        UInt16 => ints::<UInt16Type>(a),
        UInt32 => ints::<UInt32Type>(a),
        UInt64 => {
            let v = a.as_primitive::<UInt64Type>().values();
            if v.iter().all(|x| *x <= i64::MAX as u64) {
                Num::I(Cow::Owned(v.iter().map(|x| *x as i64).collect()))
            } else {
                Num::F(Cow::Owned(v.iter().map(|x| *x as f64).collect()))
            }
        }
        Float32 => floats::<Float32Type>(a, |v| v as f64),
        Float16 => floats::<Float16Type>(a, |v| v.to_f64()),
        Decimal128(_, scale) => {
            let div = 10f64.powi(*scale as i32);
            floats::<Decimal128Type>(a, |v| v as f64 / div)
        }
        Timestamp(unit, _) => Num::I(Cow::Borrowed(match unit {
            arrow_schema::TimeUnit::Second => a.as_primitive::<TimestampSecondType>().values(),
            arrow_schema::TimeUnit::Millisecond => a.as_primitive::<TimestampMillisecondType>().values(),
            arrow_schema::TimeUnit::Microsecond => a.as_primitive::<TimestampMicrosecondType>().values(),
            arrow_schema::TimeUnit::Nanosecond => a.as_primitive::<TimestampNanosecondType>().values(),
        })),
        Duration(unit) => Num::I(Cow::Borrowed(match unit {
            arrow_schema::TimeUnit::Second => a.as_primitive::<DurationSecondType>().values(),
            arrow_schema::TimeUnit::Millisecond => a.as_primitive::<DurationMillisecondType>().values(),
            arrow_schema::TimeUnit::Microsecond => a.as_primitive::<DurationMicrosecondType>().values(),
            arrow_schema::TimeUnit::Nanosecond => a.as_primitive::<DurationNanosecondType>().values(),
        })),
        Date32 => ints::<Date32Type>(a),
        Date64 => Num::I(Cow::Borrowed(a.as_primitive::<Date64Type>().values())),
        Time32(arrow_schema::TimeUnit::Second) => ints::<Time32SecondType>(a),
        Time32(_) => ints::<Time32MillisecondType>(a),
        Time64(arrow_schema::TimeUnit::Microsecond) => Num::I(Cow::Borrowed(a.as_primitive::<Time64MicrosecondType>().values())),
        Time64(_) => Num::I(Cow::Borrowed(a.as_primitive::<Time64NanosecondType>().values())),
        Dictionary(_, v) if Kind::of(v).is_numeric() => {
            // Rare in practice: materialize through the keys.
            let d = a.as_any_dictionary();
            let keys = d.normalized_keys();
            let inner = numeric(d.values())?;
            let nulls = nulls_of(a);
            let vals = match &inner.vals {
                Num::I(v) => Num::I(Cow::Owned(keys.iter().map(|k| v[*k]).collect())),
                Num::F(v) => Num::F(Cow::Owned(keys.iter().map(|k| v[*k]).collect())),
            };
            return Some(NumCol { vals, nulls });
        }
        _ => return None,
    };
    Some(NumCol { vals, nulls: nulls_of(a) })
}

/// A string view of one batch's column.
pub enum StrCol<'a> {
    Utf8(&'a StringArray),
    Large(&'a LargeStringArray),
    View(&'a StringViewArray),
    /// Dictionary-encoded: per-row index into `values` (valid where `nulls` says so).
    Dict { keys: DictKeys<'a>, values: Box<StrCol<'a>>, nulls: Option<NullBuffer> },
}

/// A dictionary column's keys: read in place when they are Int32 (the usual width, and what
/// pyarrow and Arrow JS write), else normalized once. Only valid rows' keys are meaningful.
pub enum DictKeys<'a> {
    I32(&'a [i32]),
    Any(Vec<usize>),
}

impl DictKeys<'_> {
    #[inline(always)]
    pub fn at(&self, i: usize) -> usize {
        match self {
            DictKeys::I32(k) => k[i] as usize,
            DictKeys::Any(k) => k[i],
        }
    }

    pub fn len(&self) -> usize {
        match self {
            DictKeys::I32(k) => k.len(),
            DictKeys::Any(k) => k.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

pub fn strings(a: &ArrayRef) -> Option<StrCol<'_>> {
    Some(match a.data_type() {
        DataType::Utf8 => StrCol::Utf8(a.as_string::<i32>()),
        DataType::LargeUtf8 => StrCol::Large(a.as_string::<i64>()),
        DataType::Utf8View => StrCol::View(a.as_string_view()),
        DataType::Dictionary(_, v) if matches!(v.as_ref(), DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View) => {
            let d = a.as_any_dictionary();
            let keys = match a.as_dictionary_opt::<Int32Type>() {
                Some(d32) => DictKeys::I32(d32.keys().values()),
                None => DictKeys::Any(d.normalized_keys()),
            };
            StrCol::Dict { keys, values: Box::new(strings(d.values())?), nulls: nulls_of(a) }
        }
        _ => return None,
    })
}

impl<'a> StrCol<'a> {
    /// Number of distinct slots (`len` of the array or of the dictionary's values).
    pub fn len(&self) -> usize {
        match self {
            StrCol::Utf8(a) => a.len(),
            StrCol::Large(a) => a.len(),
            StrCol::View(a) => a.len(),
            StrCol::Dict { keys, .. } => keys.len(),
        }
    }
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
    /// Value of a plain (non-dictionary) string column; `None` for null. Dictionary: resolves the key.
    #[inline]
    pub fn get(&self, i: usize) -> Option<&'a str> {
        match self {
            StrCol::Utf8(a) => a.is_valid(i).then(|| a.value(i)),
            StrCol::Large(a) => a.is_valid(i).then(|| a.value(i)),
            StrCol::View(a) => a.is_valid(i).then(|| a.value(i)),
            StrCol::Dict { keys, values, nulls } => {
                if nulls.as_ref().map_or(true, |n| n.is_valid(i)) {
                    values.get(keys.at(i))
                } else {
                    None
                }
            }
        }
    }
}

pub fn booleans(a: &ArrayRef) -> Option<&BooleanArray> {
    a.as_boolean_opt()
}

/// Is row `i` of `a` non-null (logically, so dictionary nulls count)?
pub fn valid_mask(a: &ArrayRef) -> Option<NullBuffer> {
    nulls_of(a)
}

/// A validity bitmap read in place: one bit test per row, no call (`NullBuffer::is_valid`
/// is not always inlined into the browser build's loops).
#[derive(Clone, Copy)]
pub struct Validity<'a> {
    bits: &'a [u8],
    offset: usize,
}

impl<'a> Validity<'a> {
    pub fn of(nulls: &'a NullBuffer) -> Validity<'a> {
        Validity { bits: nulls.validity(), offset: nulls.offset() }
    }

    #[inline(always)]
    pub fn get(&self, i: usize) -> bool {
        let at = i + self.offset;
        (self.bits[at >> 3] >> (at & 7)) & 1 == 1
    }
}

/// `a`'s logical nulls, `None` when there are none (a validity buffer with every bit set is
/// `None` too, so loops take their no-nulls path instead of testing each row).
pub fn nulls_of(a: &dyn Array) -> Option<NullBuffer> {
    a.logical_nulls().filter(|n| n.null_count() > 0)
}
