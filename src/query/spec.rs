//! The Query Specification (Honeycomb's JSON): parsing with field-path errors, validation against a
//! schema, and serialization back to the same JSON.

use serde_json::{json, Map, Value as Json};

use crate::error::{Error, Result};

/// Default `limit` (Honeycomb's UI default).
pub const DEFAULT_LIMIT: usize = 1000;
/// Largest `limit` accepted (Honeycomb's API maximum).
pub const MAX_LIMIT: usize = 10_000;
/// The widest time a spec's times, ranges and granularities may hold, in seconds (about 3,170
/// years): their milliseconds stay far from where i64 arithmetic ends.
pub const MAX_SECONDS: i64 = 100_000_000_000;
/// Default `time_range`, in seconds (two hours, as Honeycomb).
pub const DEFAULT_TIME_RANGE: i64 = 7200;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CalcOp {
    Count,
    Concurrency,
    Sum,
    Avg,
    CountDistinct,
    Max,
    Min,
    P001,
    P01,
    P05,
    P10,
    P20,
    P25,
    P50,
    P75,
    P80,
    P90,
    P95,
    P99,
    P999,
    Heatmap,
    RateAvg,
    RateSum,
    RateMax,
}

pub const CALC_OPS: [CalcOp; 24] = [
    CalcOp::Count,
    CalcOp::Concurrency,
    CalcOp::Sum,
    CalcOp::Avg,
    CalcOp::CountDistinct,
    CalcOp::Max,
    CalcOp::Min,
    CalcOp::P001,
    CalcOp::P01,
    CalcOp::P05,
    CalcOp::P10,
    CalcOp::P20,
    CalcOp::P25,
    CalcOp::P50,
    CalcOp::P75,
    CalcOp::P80,
    CalcOp::P90,
    CalcOp::P95,
    CalcOp::P99,
    CalcOp::P999,
    CalcOp::Heatmap,
    CalcOp::RateAvg,
    CalcOp::RateSum,
    CalcOp::RateMax,
];

impl CalcOp {
    /// Whether its chart's lines start from zero in empty buckets (counts and sums do;
    /// averages and percentiles have no value there).
    pub fn zero_fill(self) -> bool {
        matches!(self, CalcOp::Count | CalcOp::Sum | CalcOp::Concurrency)
    }

    pub fn name(self) -> &'static str {
        use CalcOp::*;
        match self {
            Count => "COUNT",
            Concurrency => "CONCURRENCY",
            Sum => "SUM",
            Avg => "AVG",
            CountDistinct => "COUNT_DISTINCT",
            Max => "MAX",
            Min => "MIN",
            P001 => "P001",
            P01 => "P01",
            P05 => "P05",
            P10 => "P10",
            P20 => "P20",
            P25 => "P25",
            P50 => "P50",
            P75 => "P75",
            P80 => "P80",
            P90 => "P90",
            P95 => "P95",
            P99 => "P99",
            P999 => "P999",
            Heatmap => "HEATMAP",
            RateAvg => "RATE_AVG",
            RateSum => "RATE_SUM",
            RateMax => "RATE_MAX",
        }
    }
    pub fn parse(s: &str) -> Option<CalcOp> {
        CALC_OPS.iter().copied().find(|o| o.name() == s)
    }
    /// The quantile for percentile ops.
    pub fn quantile(self) -> Option<f64> {
        use CalcOp::*;
        Some(match self {
            P001 => 0.001,
            P01 => 0.01,
            P05 => 0.05,
            P10 => 0.10,
            P20 => 0.20,
            P25 => 0.25,
            P50 => 0.50,
            P75 => 0.75,
            P80 => 0.80,
            P90 => 0.90,
            P95 => 0.95,
            P99 => 0.99,
            P999 => 0.999,
            _ => return None,
        })
    }
    /// COUNT and CONCURRENCY take no column; every other op needs one.
    pub fn takes_column(self) -> bool {
        !matches!(self, CalcOp::Count | CalcOp::Concurrency)
    }
    /// Ops over numbers only (COUNT_DISTINCT takes any column).
    pub fn needs_numeric(self) -> bool {
        self.takes_column() && self != CalcOp::CountDistinct
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Calculation {
    pub op: CalcOp,
    pub column: Option<String>,
}

impl Calculation {
    /// Honeycomb's result key: `COUNT`, `P99(duration_ms)`.
    pub fn key(&self) -> String {
        match &self.column {
            Some(c) => format!("{}({c})", self.op.name()),
            None => self.op.name().to_string(),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FilterOp {
    Eq,
    Ne,
    Gt,
    Ge,
    Lt,
    Le,
    StartsWith,
    DoesNotStartWith,
    EndsWith,
    DoesNotEndWith,
    Contains,
    DoesNotContain,
    Exists,
    DoesNotExist,
    In,
    NotIn,
}

pub const FILTER_OPS: [FilterOp; 16] = [
    FilterOp::Eq,
    FilterOp::Ne,
    FilterOp::Gt,
    FilterOp::Ge,
    FilterOp::Lt,
    FilterOp::Le,
    FilterOp::StartsWith,
    FilterOp::DoesNotStartWith,
    FilterOp::EndsWith,
    FilterOp::DoesNotEndWith,
    FilterOp::Contains,
    FilterOp::DoesNotContain,
    FilterOp::Exists,
    FilterOp::DoesNotExist,
    FilterOp::In,
    FilterOp::NotIn,
];

impl FilterOp {
    pub fn name(self) -> &'static str {
        use FilterOp::*;
        match self {
            Eq => "=",
            Ne => "!=",
            Gt => ">",
            Ge => ">=",
            Lt => "<",
            Le => "<=",
            StartsWith => "starts-with",
            DoesNotStartWith => "does-not-start-with",
            EndsWith => "ends-with",
            DoesNotEndWith => "does-not-end-with",
            Contains => "contains",
            DoesNotContain => "does-not-contain",
            Exists => "exists",
            DoesNotExist => "does-not-exist",
            In => "in",
            NotIn => "not-in",
        }
    }
    pub fn parse(s: &str) -> Option<FilterOp> {
        FILTER_OPS.iter().copied().find(|o| o.name() == s)
    }
    pub fn takes_value(self) -> bool {
        !matches!(self, FilterOp::Exists | FilterOp::DoesNotExist)
    }
    pub fn takes_list(self) -> bool {
        matches!(self, FilterOp::In | FilterOp::NotIn)
    }
    pub fn is_string_op(self) -> bool {
        use FilterOp::*;
        matches!(self, StartsWith | DoesNotStartWith | EndsWith | DoesNotEndWith | Contains | DoesNotContain)
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Filter {
    pub column: String,
    pub op: FilterOp,
    /// A scalar for comparisons, an array for in/not-in, absent for exists/does-not-exist.
    pub value: Option<Json>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Combination {
    #[default]
    And,
    Or,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Order {
    /// `Some` when ordering by a calculation.
    pub op: Option<CalcOp>,
    pub column: Option<String>,
    pub descending: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CmpOp {
    Eq,
    Ne,
    Gt,
    Ge,
    Lt,
    Le,
}

impl CmpOp {
    pub fn name(self) -> &'static str {
        match self {
            CmpOp::Eq => "=",
            CmpOp::Ne => "!=",
            CmpOp::Gt => ">",
            CmpOp::Ge => ">=",
            CmpOp::Lt => "<",
            CmpOp::Le => "<=",
        }
    }
    pub fn parse(s: &str) -> Option<CmpOp> {
        [CmpOp::Eq, CmpOp::Ne, CmpOp::Gt, CmpOp::Ge, CmpOp::Lt, CmpOp::Le].into_iter().find(|o| o.name() == s)
    }
    pub fn test(self, a: f64, b: f64) -> bool {
        match self {
            CmpOp::Eq => a == b,
            CmpOp::Ne => a != b,
            CmpOp::Gt => a > b,
            CmpOp::Ge => a >= b,
            CmpOp::Lt => a < b,
            CmpOp::Le => a <= b,
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Having {
    pub calculate_op: CalcOp,
    pub column: Option<String>,
    pub op: CmpOp,
    pub value: f64,
}

#[derive(Debug, Clone, PartialEq)]
pub struct CalculatedField {
    pub name: String,
    pub expression: String,
}

/// A parsed, structurally valid query. [`QuerySpec::validate`] checks it against a schema.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct QuerySpec {
    pub calculations: Vec<Calculation>,
    pub filters: Vec<Filter>,
    pub filter_combination: Combination,
    pub breakdowns: Vec<String>,
    pub orders: Vec<Order>,
    pub havings: Vec<Having>,
    pub limit: Option<usize>,
    pub time_range: Option<i64>,
    pub start_time: Option<i64>,
    pub end_time: Option<i64>,
    pub granularity: Option<i64>,
    pub calculated_fields: Vec<CalculatedField>,
}

const KNOWN_FIELDS: [&str; 12] = [
    "calculations",
    "filters",
    "filter_combination",
    "breakdowns",
    "orders",
    "havings",
    "limit",
    "time_range",
    "start_time",
    "end_time",
    "granularity",
    "calculated_fields",
];

fn obj<'a>(v: &'a Json, field: &str) -> Result<&'a Map<String, Json>> {
    v.as_object().ok_or_else(|| Error::spec(field, "must be an object"))
}

fn arr<'a>(v: &'a Json, field: &str) -> Result<&'a Vec<Json>> {
    v.as_array().ok_or_else(|| Error::spec(field, "must be a list"))
}

fn string(m: &Map<String, Json>, key: &str, field: &str) -> Result<Option<String>> {
    match m.get(key) {
        None | Some(Json::Null) => Ok(None),
        Some(Json::String(s)) => Ok(Some(s.clone())),
        Some(_) => Err(Error::spec(format!("{field}.{key}"), "must be a string")),
    }
}

fn int(v: Option<&Json>, field: &str) -> Result<Option<i64>> {
    match v {
        None | Some(Json::Null) => Ok(None),
        Some(Json::Number(n)) => match n.as_i64() {
            Some(i) => Ok(Some(i)),
            None => match n.as_f64() {
                Some(f) if f.fract() == 0.0 && f.abs() < 9e15 => Ok(Some(f as i64)),
                _ => Err(Error::spec(field, format!("must be a whole number, got {n}"))),
            },
        },
        Some(other) => Err(Error::spec(field, format!("must be a number, got {other}"))),
    }
}

fn check_keys(m: &Map<String, Json>, allowed: &[&str], field: &str) -> Result<()> {
    for k in m.keys() {
        if !allowed.contains(&k.as_str()) {
            return Err(Error::spec(format!("{field}.{k}"), format!("unknown field (expected one of: {})", allowed.join(", "))));
        }
    }
    Ok(())
}

fn calc_op(s: &str, field: &str) -> Result<CalcOp> {
    CalcOp::parse(s).ok_or_else(|| {
        Error::spec(field, format!("unknown calculation {s:?} (expected one of: {})", CALC_OPS.map(|o| o.name()).join(", ")))
    })
}

impl QuerySpec {
    pub fn from_json_str(s: &str) -> Result<Self> {
        let v: Json = serde_json::from_str(s).map_err(|e| Error::spec("(query)", format!("not valid JSON: {e}")))?;
        Self::from_json(&v)
    }

    pub fn from_json(v: &Json) -> Result<Self> {
        let m = obj(v, "(query)")?;
        for k in m.keys() {
            if !KNOWN_FIELDS.contains(&k.as_str()) {
                return Err(Error::spec(k, format!("unknown field (expected one of: {})", KNOWN_FIELDS.join(", "))));
            }
        }
        let mut q = QuerySpec::default();
        if let Some(cs) = m.get("calculations").filter(|v| !v.is_null()) {
            for (i, c) in arr(cs, "calculations")?.iter().enumerate() {
                let f = format!("calculations[{i}]");
                let cm = obj(c, &f)?;
                check_keys(cm, &["op", "column"], &f)?;
                let op_s = string(cm, "op", &f)?.ok_or_else(|| Error::spec(format!("{f}.op"), "is required"))?;
                let op = calc_op(&op_s, &format!("{f}.op"))?;
                let column = string(cm, "column", &f)?.filter(|c| !c.is_empty());
                if op.takes_column() && column.is_none() {
                    return Err(Error::spec(format!("{f}.column"), format!("{} needs a column", op.name())));
                }
                if !op.takes_column() && column.is_some() {
                    return Err(Error::spec(format!("{f}.column"), format!("{} takes no column", op.name())));
                }
                q.calculations.push(Calculation { op, column });
            }
        }
        if let Some(fs) = m.get("filters").filter(|v| !v.is_null()) {
            for (i, fv) in arr(fs, "filters")?.iter().enumerate() {
                let f = format!("filters[{i}]");
                let fm = obj(fv, &f)?;
                check_keys(fm, &["column", "op", "value"], &f)?;
                let column = string(fm, "column", &f)?
                    .filter(|c| !c.is_empty())
                    .ok_or_else(|| Error::spec(format!("{f}.column"), "is required"))?;
                let op_s = string(fm, "op", &f)?.ok_or_else(|| Error::spec(format!("{f}.op"), "is required"))?;
                let op = FilterOp::parse(&op_s).ok_or_else(|| {
                    Error::spec(format!("{f}.op"), format!("unknown filter op {op_s:?} (expected one of: {})", FILTER_OPS.map(|o| o.name()).join(", ")))
                })?;
                let value = fm.get("value").filter(|v| !v.is_null()).cloned();
                match (&value, op.takes_value(), op.takes_list()) {
                    (Some(_), false, _) => return Err(Error::spec(format!("{f}.value"), format!("{} takes no value", op.name()))),
                    (None, true, _) => return Err(Error::spec(format!("{f}.value"), format!("{} needs a value", op.name()))),
                    (Some(Json::Array(items)), true, true) => {
                        if items.is_empty() {
                            return Err(Error::spec(format!("{f}.value"), format!("{} needs at least one value", op.name())));
                        }
                        if let Some(j) = items.iter().position(|x| !is_scalar(x)) {
                            return Err(Error::spec(format!("{f}.value[{j}]"), "must be a string, number or boolean"));
                        }
                    }
                    (Some(_), true, true) => return Err(Error::spec(format!("{f}.value"), format!("{} needs a list of values", op.name()))),
                    (Some(v), true, false) if !is_scalar(v) => {
                        return Err(Error::spec(format!("{f}.value"), "must be a string, number or boolean"))
                    }
                    _ => {}
                }
                q.filters.push(Filter { column, op, value });
            }
        }
        if let Some(c) = m.get("filter_combination").filter(|v| !v.is_null()) {
            q.filter_combination = match c.as_str() {
                Some("AND") => Combination::And,
                Some("OR") => Combination::Or,
                _ => return Err(Error::spec("filter_combination", format!("must be \"AND\" or \"OR\", got {c}"))),
            };
        }
        if let Some(bs) = m.get("breakdowns").filter(|v| !v.is_null()) {
            for (i, b) in arr(bs, "breakdowns")?.iter().enumerate() {
                let s = b.as_str().filter(|s| !s.is_empty()).ok_or_else(|| Error::spec(format!("breakdowns[{i}]"), "must be a column name"))?;
                if q.breakdowns.iter().any(|x| x == s) {
                    return Err(Error::spec(format!("breakdowns[{i}]"), format!("{s:?} is listed twice")));
                }
                q.breakdowns.push(s.to_string());
            }
            if q.breakdowns.len() > 100 {
                return Err(Error::spec("breakdowns", "at most 100 breakdowns"));
            }
        }
        if let Some(os) = m.get("orders").filter(|v| !v.is_null()) {
            for (i, o) in arr(os, "orders")?.iter().enumerate() {
                let f = format!("orders[{i}]");
                let om = obj(o, &f)?;
                check_keys(om, &["op", "column", "order"], &f)?;
                let op = string(om, "op", &f)?.map(|s| calc_op(&s, &format!("{f}.op"))).transpose()?;
                let column = string(om, "column", &f)?.filter(|c| !c.is_empty());
                let descending = match string(om, "order", &f)?.as_deref() {
                    None | Some("ascending") => false,
                    Some("descending") => true,
                    Some(x) => return Err(Error::spec(format!("{f}.order"), format!("must be \"ascending\" or \"descending\", got {x:?}"))),
                };
                if op.is_none() && column.is_none() {
                    return Err(Error::spec(&f, "needs an op (a calculation) or a column (a breakdown)"));
                }
                q.orders.push(Order { op, column, descending });
            }
        }
        if let Some(hs) = m.get("havings").filter(|v| !v.is_null()) {
            for (i, h) in arr(hs, "havings")?.iter().enumerate() {
                let f = format!("havings[{i}]");
                let hm = obj(h, &f)?;
                check_keys(hm, &["calculate_op", "column", "op", "value"], &f)?;
                let cop = string(hm, "calculate_op", &f)?.ok_or_else(|| Error::spec(format!("{f}.calculate_op"), "is required"))?;
                let calculate_op = calc_op(&cop, &format!("{f}.calculate_op"))?;
                if calculate_op == CalcOp::Heatmap {
                    return Err(Error::spec(format!("{f}.calculate_op"), "HEATMAP cannot be used in a having"));
                }
                let op_s = string(hm, "op", &f)?.ok_or_else(|| Error::spec(format!("{f}.op"), "is required"))?;
                let op = CmpOp::parse(&op_s).ok_or_else(|| Error::spec(format!("{f}.op"), format!("must be one of = != > >= < <=, got {op_s:?}")))?;
                let value = hm
                    .get("value")
                    .and_then(Json::as_f64)
                    .ok_or_else(|| Error::spec(format!("{f}.value"), "must be a number"))?;
                let column = string(hm, "column", &f)?.filter(|c| !c.is_empty());
                q.havings.push(Having { calculate_op, column, op, value });
            }
        }
        if let Some(l) = int(m.get("limit"), "limit")? {
            if !(1..=MAX_LIMIT as i64).contains(&l) {
                return Err(Error::spec("limit", format!("must be between 1 and {MAX_LIMIT}, got {l}")));
            }
            q.limit = Some(l as usize);
        }
        q.time_range = int(m.get("time_range"), "time_range")?;
        q.start_time = int(m.get("start_time"), "start_time")?;
        q.end_time = int(m.get("end_time"), "end_time")?;
        q.granularity = int(m.get("granularity"), "granularity")?;
        if let Some(t) = q.time_range {
            if !(1..=MAX_SECONDS).contains(&t) {
                return Err(Error::spec("time_range", format!("must be between 1 and {MAX_SECONDS} seconds, got {t}")));
            }
        }
        if let Some(g) = q.granularity {
            if !(1..=MAX_SECONDS).contains(&g) {
                return Err(Error::spec("granularity", format!("must be between 1 and {MAX_SECONDS} seconds, got {g}")));
            }
        }
        for (name, t) in [("start_time", q.start_time), ("end_time", q.end_time)] {
            if let Some(t) = t.filter(|t| t.abs() > MAX_SECONDS) {
                return Err(Error::spec(name, format!("must be seconds since 1970 within ±{MAX_SECONDS} (about 3,000 years), got {t}")));
            }
        }
        if let (Some(s), Some(e)) = (q.start_time, q.end_time) {
            if e <= s {
                return Err(Error::spec("end_time", format!("must be after start_time ({e} <= {s})")));
            }
            if q.time_range.is_some_and(|t| t != e - s) {
                return Err(Error::spec("time_range", "conflicts with start_time and end_time"));
            }
        }
        if let Some(cf) = m.get("calculated_fields").filter(|v| !v.is_null()) {
            for (i, c) in arr(cf, "calculated_fields")?.iter().enumerate() {
                let f = format!("calculated_fields[{i}]");
                let cm = obj(c, &f)?;
                check_keys(cm, &["name", "expression"], &f)?;
                let name = string(cm, "name", &f)?.ok_or_else(|| Error::spec(format!("{f}.name"), "is required"))?;
                let expression = string(cm, "expression", &f)?.ok_or_else(|| Error::spec(format!("{f}.expression"), "is required"))?;
                q.calculated_fields.push(CalculatedField { name, expression });
            }
        }
        q.check_references()?;
        Ok(q)
    }

    /// Calculations as executed: an empty list means COUNT.
    pub fn effective_calculations(&self) -> Vec<Calculation> {
        if self.calculations.is_empty() {
            vec![Calculation { op: CalcOp::Count, column: None }]
        } else {
            self.calculations.clone()
        }
    }

    pub fn limit(&self) -> usize {
        self.limit.unwrap_or(DEFAULT_LIMIT)
    }

    /// Orders and havings must name calculations or breakdowns of this spec.
    fn check_references(&self) -> Result<()> {
        let calcs = self.effective_calculations();
        for (i, o) in self.orders.iter().enumerate() {
            match o.op {
                Some(op) => {
                    if op == CalcOp::Heatmap {
                        return Err(Error::spec(format!("orders[{i}].op"), "cannot order by HEATMAP"));
                    }
                    let c = Calculation { op, column: o.column.clone() };
                    if !calcs.contains(&c) {
                        return Err(Error::spec(format!("orders[{i}]"), format!("{} is not one of the calculations", c.key())));
                    }
                }
                None => {
                    let col = o.column.as_deref().unwrap_or_default();
                    if !self.breakdowns.iter().any(|b| b == col) {
                        return Err(Error::spec(format!("orders[{i}].column"), format!("{col:?} is not one of the breakdowns")));
                    }
                }
            }
        }
        for (i, h) in self.havings.iter().enumerate() {
            let c = Calculation { op: h.calculate_op, column: h.column.clone() };
            if !calcs.contains(&c) {
                return Err(Error::spec(format!("havings[{i}]"), format!("{} is not one of the calculations", c.key())));
            }
        }
        Ok(())
    }

    /// Serialize back to Honeycomb's JSON (only the fields that are set).
    pub fn to_json(&self) -> Json {
        let mut m = Map::new();
        if !self.calculations.is_empty() {
            m.insert(
                "calculations".into(),
                Json::Array(
                    self.calculations
                        .iter()
                        .map(|c| match &c.column {
                            Some(col) => json!({"op": c.op.name(), "column": col}),
                            None => json!({"op": c.op.name()}),
                        })
                        .collect(),
                ),
            );
        }
        if !self.filters.is_empty() {
            m.insert(
                "filters".into(),
                Json::Array(
                    self.filters
                        .iter()
                        .map(|f| {
                            let mut o = Map::new();
                            o.insert("column".into(), json!(f.column));
                            o.insert("op".into(), json!(f.op.name()));
                            if let Some(v) = &f.value {
                                o.insert("value".into(), v.clone());
                            }
                            Json::Object(o)
                        })
                        .collect(),
                ),
            );
        }
        if self.filter_combination == Combination::Or {
            m.insert("filter_combination".into(), json!("OR"));
        }
        if !self.breakdowns.is_empty() {
            m.insert("breakdowns".into(), json!(self.breakdowns));
        }
        if !self.orders.is_empty() {
            m.insert(
                "orders".into(),
                Json::Array(
                    self.orders
                        .iter()
                        .map(|o| {
                            let mut om = Map::new();
                            if let Some(op) = o.op {
                                om.insert("op".into(), json!(op.name()));
                            }
                            if let Some(c) = &o.column {
                                om.insert("column".into(), json!(c));
                            }
                            om.insert("order".into(), json!(if o.descending { "descending" } else { "ascending" }));
                            Json::Object(om)
                        })
                        .collect(),
                ),
            );
        }
        if !self.havings.is_empty() {
            m.insert(
                "havings".into(),
                Json::Array(
                    self.havings
                        .iter()
                        .map(|h| {
                            let mut hm = Map::new();
                            hm.insert("calculate_op".into(), json!(h.calculate_op.name()));
                            if let Some(c) = &h.column {
                                hm.insert("column".into(), json!(c));
                            }
                            hm.insert("op".into(), json!(h.op.name()));
                            hm.insert("value".into(), crate::value::float_json(h.value));
                            Json::Object(hm)
                        })
                        .collect(),
                ),
            );
        }
        if let Some(l) = self.limit {
            m.insert("limit".into(), json!(l));
        }
        for (k, v) in [
            ("time_range", self.time_range),
            ("start_time", self.start_time),
            ("end_time", self.end_time),
            ("granularity", self.granularity),
        ] {
            if let Some(v) = v {
                m.insert(k.into(), json!(v));
            }
        }
        if !self.calculated_fields.is_empty() {
            m.insert(
                "calculated_fields".into(),
                Json::Array(self.calculated_fields.iter().map(|c| json!({"name": c.name, "expression": c.expression})).collect()),
            );
        }
        Json::Object(m)
    }
}

fn is_scalar(v: &Json) -> bool {
    matches!(v, Json::String(_) | Json::Number(_) | Json::Bool(_))
}

/// A granularity that gives about 100–200 buckets over `range_secs`, from a list of round values.
pub fn auto_granularity(range_secs: i64) -> i64 {
    const NICE: [i64; 20] = [
        1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400, 172800, 604800,
    ];
    let target = (range_secs as f64 / 150.0).max(1.0);
    NICE.iter().copied().find(|g| *g as f64 >= target).unwrap_or_else(|| (range_secs / 150).max(1))
}
