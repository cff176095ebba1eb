//! A parsed formula checked against the data set's columns: every column known, every function
//! known with the right number and types of arguments, regular expressions compiled, and each
//! node's type fixed (so evaluation is one typed loop per node). Errors point at the character.

use arrow_schema::Schema;

use super::parse::{error_at, Expr, Lit, Node};
use crate::error::Result;
use crate::query::column::Kind;

/// A value's type. `Null`: only nulls (the literal `null`, or branches that are all null).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ty {
    Int,
    Float,
    Bool,
    Str,
    Null,
}

impl Ty {
    pub fn name(self) -> &'static str {
        match self {
            Ty::Int => "an integer",
            Ty::Float => "a float",
            Ty::Bool => "a boolean",
            Ty::Str => "a string",
            Ty::Null => "null",
        }
    }
    fn numeric(self) -> bool {
        matches!(self, Ty::Int | Ty::Float | Ty::Null)
    }
}

/// The type of values that may come from any of `tys`: one type; integers with floats are
/// floats; null fits anything; anything else mixed is a string (values written as text).
pub fn unify(tys: impl IntoIterator<Item = Ty>) -> Ty {
    tys.into_iter().fold(Ty::Null, |a, b| match (a, b) {
        (Ty::Null, t) | (t, Ty::Null) => t,
        (a, b) if a == b => a,
        (Ty::Int, Ty::Float) | (Ty::Float, Ty::Int) => Ty::Float,
        _ => Ty::Str,
    })
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Func {
    If,
    Switch,
    Coalesce,
    Lt,
    Lte,
    Gt,
    Gte,
    Equals,
    In,
    Exists,
    Not,
    And,
    Or,
    Min,
    Max,
    Sum,
    Sub,
    Mul,
    Div,
    Mod,
    Log10,
    Bucket,
    Int,
    Float,
    Bool,
    String,
    Concat,
    ToLower,
    StartsWith,
    EndsWith,
    Contains,
    Length,
    RegMatch,
    RegValue,
    RegCount,
    UnixTimestamp,
    EventTimestamp,
    FormatTime,
}

/// Name, function, fewest and most arguments (`usize::MAX`: any number).
const FUNCS: [(&str, Func, usize, usize); 38] = [
    ("IF", Func::If, 2, usize::MAX),
    ("SWITCH", Func::Switch, 3, usize::MAX),
    ("COALESCE", Func::Coalesce, 1, usize::MAX),
    ("LT", Func::Lt, 2, 2),
    ("LTE", Func::Lte, 2, 2),
    ("GT", Func::Gt, 2, 2),
    ("GTE", Func::Gte, 2, 2),
    ("EQUALS", Func::Equals, 2, 2),
    ("IN", Func::In, 2, usize::MAX),
    ("EXISTS", Func::Exists, 1, 1),
    ("NOT", Func::Not, 1, 1),
    ("AND", Func::And, 1, usize::MAX),
    ("OR", Func::Or, 1, usize::MAX),
    ("MIN", Func::Min, 1, usize::MAX),
    ("MAX", Func::Max, 1, usize::MAX),
    ("SUM", Func::Sum, 1, usize::MAX),
    ("SUB", Func::Sub, 2, 2),
    ("MUL", Func::Mul, 1, usize::MAX),
    ("DIV", Func::Div, 2, 2),
    ("MOD", Func::Mod, 2, 2),
    ("LOG10", Func::Log10, 1, 1),
    ("BUCKET", Func::Bucket, 2, 4),
    ("INT", Func::Int, 1, 1),
    ("FLOAT", Func::Float, 1, 1),
    ("BOOL", Func::Bool, 1, 1),
    ("STRING", Func::String, 1, 1),
    ("CONCAT", Func::Concat, 1, usize::MAX),
    ("TO_LOWER", Func::ToLower, 1, 1),
    ("STARTS_WITH", Func::StartsWith, 2, 2),
    ("ENDS_WITH", Func::EndsWith, 2, 2),
    ("CONTAINS", Func::Contains, 2, 2),
    ("LENGTH", Func::Length, 1, 2),
    ("REG_MATCH", Func::RegMatch, 2, 2),
    ("REG_VALUE", Func::RegValue, 2, 2),
    ("REG_COUNT", Func::RegCount, 2, 2),
    ("UNIX_TIMESTAMP", Func::UnixTimestamp, 1, 1),
    ("EVENT_TIMESTAMP", Func::EventTimestamp, 0, 0),
    ("FORMAT_TIME", Func::FormatTime, 2, 2),
];

/// Every function's name, for completions.
pub fn function_names() -> impl Iterator<Item = &'static str> {
    FUNCS.iter().map(|f| f.0)
}

/// A checked node.
#[derive(Debug)]
pub struct Typed {
    pub ty: Ty,
    pub kind: K,
}

#[derive(Debug)]
pub enum K {
    Lit(Lit),
    /// A column of the data set, by index.
    Column(usize),
    Call(Func, Vec<Typed>),
    /// REG_*: the string argument and the compiled expression.
    Regex(Func, Box<Typed>, regex_lite::Regex),
    /// LENGTH in bytes (else characters).
    LengthBytes(Box<Typed>),
}

/// Check `e` (from `text`) against `schema`; `derived`: the types of derived columns defined
/// before this one (they read as columns too).
pub fn check(text: &str, e: &Expr, schema: &Schema) -> Result<Typed> {
    let err = |at: usize, m: String| error_at(text, at, m);
    match &e.node {
        Node::Lit(l) => Ok(Typed {
            ty: match l {
                Lit::Int(_) => Ty::Int,
                Lit::Float(_) => Ty::Float,
                Lit::Str(_) => Ty::Str,
                Lit::Bool(_) => Ty::Bool,
                Lit::Null => Ty::Null,
            },
            kind: K::Lit(l.clone()),
        }),
        Node::Column(name) => {
            let i = schema.index_of(name).map_err(|_| err(e.at, format!("no column named {name:?}")))?;
            let ty = match Kind::of(schema.field(i).data_type()) {
                Kind::Int => Ty::Int,
                Kind::Float => Ty::Float,
                Kind::Str => Ty::Str,
                Kind::Bool => Ty::Bool,
                Kind::Other => return Err(err(e.at, format!("column {name:?} holds {} values, which formulas cannot read", schema.field(i).data_type()))),
            };
            Ok(Typed { ty, kind: K::Column(i) })
        }
        Node::Call(name, args) => {
            let Some(&(fname, f, lo, hi)) = FUNCS.iter().find(|(n, ..)| n == name) else {
                let upper = name.to_uppercase();
                let hint = if FUNCS.iter().any(|(n, ..)| *n == upper) { format!(" (functions are upper case: {upper})") } else { String::new() };
                return Err(err(e.at, format!("unknown function {name}{hint}")));
            };
            if args.len() < lo || args.len() > hi {
                let want = match (lo, hi) {
                    (l, h) if l == h => format!("{l} argument{}", if l == 1 { "" } else { "s" }),
                    (l, usize::MAX) => format!("at least {l} arguments"),
                    (l, h) => format!("{l} to {h} arguments"),
                };
                return Err(err(e.at, format!("{fname} takes {want}, not {}", args.len())));
            }
            // Regular expressions: a literal, compiled once.
            if matches!(f, Func::RegMatch | Func::RegValue | Func::RegCount) {
                let s = check(text, &args[0], schema)?;
                let Node::Lit(Lit::Str(re)) = &args[1].node else { return Err(err(args[1].at, format!("{fname}'s pattern must be a string literal"))) };
                let re = regex_lite::Regex::new(re).map_err(|x| err(args[1].at, format!("bad regular expression: {}", x.to_string().lines().last().unwrap_or(""))))?;
                let ty = match f {
                    Func::RegMatch => Ty::Bool,
                    Func::RegValue => Ty::Str,
                    _ => Ty::Int,
                };
                return Ok(Typed { ty, kind: K::Regex(f, Box::new(s), re) });
            }
            if f == Func::Length && args.len() == 2 {
                let unit = match &args[1].node {
                    Node::Lit(Lit::Str(u)) if u == "bytes" || u == "chars" => u.clone(),
                    _ => return Err(err(args[1].at, "LENGTH's second argument is \"bytes\" or \"chars\"".into())),
                };
                let s = check(text, &args[0], schema)?;
                if unit == "bytes" {
                    return Ok(Typed { ty: Ty::Int, kind: K::LengthBytes(Box::new(s)) });
                }
                return Ok(Typed { ty: Ty::Int, kind: K::Call(Func::Length, vec![s]) });
            }
            let typed = args.iter().map(|a| check(text, a, schema)).collect::<Result<Vec<_>>>()?;
            let numbers = |from: usize| -> Result<()> {
                for (a, t) in args.iter().zip(&typed).skip(from) {
                    if !t.ty.numeric() {
                        return Err(err(a.at, format!("{fname} needs numbers, and this is {}", t.ty.name())));
                    }
                }
                Ok(())
            };
            let ty = match f {
                Func::If => {
                    let n = typed.len();
                    let vals = (1..n).step_by(2).map(|i| typed[i].ty).chain((n % 2 == 1).then(|| typed[n - 1].ty));
                    unify(vals)
                }
                Func::Switch => {
                    let n = typed.len() - 1;
                    let vals = (2..=n).step_by(2).map(|i| typed[i].ty).chain((n % 2 == 1).then(|| typed[n].ty));
                    unify(vals)
                }
                Func::Coalesce => unify(typed.iter().map(|t| t.ty)),
                Func::Lt | Func::Lte | Func::Gt | Func::Gte | Func::Equals | Func::In | Func::Exists | Func::Not | Func::And | Func::Or => Ty::Bool,
                Func::StartsWith | Func::EndsWith | Func::Contains => Ty::Bool,
                Func::Min | Func::Max | Func::Sum | Func::Sub | Func::Mul => {
                    numbers(0)?;
                    if typed.iter().all(|t| matches!(t.ty, Ty::Int | Ty::Null)) { Ty::Int } else { Ty::Float }
                }
                Func::Mod => {
                    numbers(0)?;
                    if typed.iter().all(|t| matches!(t.ty, Ty::Int | Ty::Null)) { Ty::Int } else { Ty::Float }
                }
                Func::Div | Func::Log10 => {
                    numbers(0)?;
                    Ty::Float
                }
                Func::Bucket => {
                    numbers(0)?;
                    if typed.iter().all(|t| matches!(t.ty, Ty::Int | Ty::Null)) { Ty::Int } else { Ty::Float }
                }
                Func::Int | Func::Length | Func::EventTimestamp => Ty::Int,
                Func::Float | Func::UnixTimestamp => Ty::Float,
                Func::Bool => Ty::Bool,
                Func::String | Func::Concat | Func::ToLower | Func::FormatTime => Ty::Str,
                Func::RegMatch | Func::RegValue | Func::RegCount => unreachable!("handled above"),
            };
            if f == Func::FormatTime && !typed[1].ty.numeric() {
                return Err(err(args[1].at, format!("FORMAT_TIME's time is unix seconds (a number), and this is {}", typed[1].ty.name())));
            }
            Ok(Typed { ty, kind: K::Call(f, typed) })
        }
    }
}
