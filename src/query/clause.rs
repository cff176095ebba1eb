//! The query builder's clauses as text, in Honeycomb's vocabulary: VISUALIZE, WHERE, GROUP BY,
//! ORDER BY, LIMIT, HAVING. Each clause is a comma-separated list a person types:
//!
//! - VISUALIZE `COUNT, P99(duration_ms), HEATMAP(duration_ms)`
//! - WHERE `service.name = api, duration_ms > 500, region in (eu-west-1, us-east-1), error exists`
//!   (combined with AND or OR, chosen beside the clause)
//! - GROUP BY `service.name, http.route`
//! - ORDER BY `P99(duration_ms) desc, service.name asc`
//! - LIMIT `20`
//! - HAVING `COUNT > 10`
//!
//! A column name that is not a plain word (spaces, commas, quotes, operators) is written as a
//! JSON string: `"my column" = x`. A WHERE value is typed by its column: numbers for numeric
//! columns, true/false for booleans, the text as it is (or a JSON string) otherwise.
//! [`Clauses::apply`] turns the text into spec parts checked against the schema, with errors
//! that name the clause and the item; [`Clauses::from_spec`] writes a spec back; [`suggest`]
//! offers completions for the item under the cursor.

use arrow_schema::Schema;
use serde_json::Value as Json;

use crate::query::column::Kind;
use crate::query::spec::{CalcOp, CalculatedField, Calculation, CmpOp, Combination, Filter, FilterOp, Having, Order, QuerySpec, CALC_OPS, FILTER_OPS, MAX_LIMIT};

/// The builder's text, one string per clause.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Clauses {
    pub visualize: String,
    pub r#where: String,
    pub combination: Combination,
    pub group_by: String,
    pub order_by: String,
    pub limit: String,
    pub having: String,
    /// Derived columns: `name = formula, …` (the query's `calculated_fields`).
    pub derived: String,
}

/// Which clause a piece of text belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Clause {
    Visualize,
    Where,
    GroupBy,
    OrderBy,
    Limit,
    Having,
    Derived,
}

impl Clause {
    pub fn name(self) -> &'static str {
        match self {
            Clause::Visualize => "VISUALIZE",
            Clause::Where => "WHERE",
            Clause::GroupBy => "GROUP BY",
            Clause::OrderBy => "ORDER BY",
            Clause::Limit => "LIMIT",
            Clause::Having => "HAVING",
            Clause::Derived => "DERIVED COLUMNS",
        }
    }
}

/// A clause's error: which clause, and the message (naming the item).
#[derive(Debug, Clone, PartialEq)]
pub struct ClauseError {
    pub clause: Clause,
    pub message: String,
}

impl std::fmt::Display for ClauseError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.clause.name(), self.message)
    }
}

/// A plain column name needs no quotes.
fn is_plain(name: &str) -> bool {
    let mut chars = name.chars();
    matches!(chars.next(), Some(c) if c.is_alphabetic() || c == '_' || c == '@')
        && name.chars().all(|c| c.is_alphanumeric() || "_.@:/-[]#$".contains(c))
        && CalcOp::parse(&name.to_ascii_uppercase()).is_none()
        && !["asc", "desc", "ascending", "descending"].contains(&name.to_ascii_lowercase().as_str())
}

/// A column name as the clauses write it.
pub fn quote_name(name: &str) -> String {
    if is_plain(name) {
        name.to_string()
    } else {
        Json::String(name.to_string()).to_string()
    }
}

/// Split at top-level commas (outside quotes and parentheses); each item with its byte offset.
fn items(text: &str) -> Vec<(usize, &str)> {
    let mut out = Vec::new();
    let (mut depth, mut quoted, mut escaped, mut start, mut raw) = (0i32, false, false, 0, false);
    for (i, c) in text.char_indices() {
        // A formula's raw string (`…`): nothing inside counts.
        if raw {
            raw = c != '`';
            continue;
        }
        if quoted {
            match c {
                _ if escaped => escaped = false,
                '\\' => escaped = true,
                '"' => quoted = false,
                _ => {}
            }
            continue;
        }
        match c {
            '"' => quoted = true,
            '`' => raw = true,
            '(' => depth += 1,
            ')' => depth -= 1,
            ',' if depth <= 0 => {
                out.push((start, &text[start..i]));
                start = i + 1;
            }
            _ => {}
        }
    }
    out.push((start, &text[start..]));
    out.into_iter().filter(|(_, s)| !s.trim().is_empty()).collect()
}

/// Read a name (quoted or bare) at the start of `s`; returns it and the rest.
fn take_name(s: &str) -> Result<(String, &str), String> {
    let s = s.trim_start();
    if s.starts_with('"') {
        let mut de = serde_json::Deserializer::from_str(s).into_iter::<String>();
        let name = de.next().ok_or("expected a name")?.map_err(|_| format!("unclosed quoted name {s}"))?;
        let used = de.byte_offset();
        return Ok((name, &s[used..]));
    }
    let end = s.find(|c: char| c.is_whitespace() || "=!<>(),\"".contains(c)).unwrap_or(s.len());
    if end == 0 {
        return Err(format!("expected a column name at {s:?}"));
    }
    Ok((s[..end].to_string(), &s[end..]))
}

/// `OP` or `OP(column)`, the whole of `s` (ops are case-insensitive).
fn parse_calc(s: &str, schema: &Schema) -> Result<Calculation, String> {
    let s = s.trim();
    let (op_text, rest) = match s.find('(') {
        Some(i) => (&s[..i], Some(&s[i + 1..])),
        None => (s, None),
    };
    let op = CalcOp::parse(&op_text.trim().to_ascii_uppercase()).ok_or_else(|| format!("{:?} is not a calculation (COUNT, SUM(col), P99(col), HEATMAP(col), …)", op_text.trim()))?;
    let column = match rest {
        None if op.takes_column() => return Err(format!("{} needs a column: {}(column)", op.name(), op.name())),
        None => None,
        Some(_) if !op.takes_column() => return Err(format!("{} takes no column", op.name())),
        Some(r) => {
            let (name, tail) = take_name(r)?;
            if tail.trim() != ")" {
                return Err(format!("expected ')' after {}({}", op.name(), quote_name(&name)));
            }
            let f = schema.field_with_name(&name).map_err(|_| format!("no column named {}", quote_name(&name)))?;
            if op.needs_numeric() && !matches!(Kind::of(f.data_type()), Kind::Int | Kind::Float) {
                return Err(format!("{} needs a numeric column; {} is {}", op.name(), quote_name(&name), f.data_type()));
            }
            Some(name)
        }
    };
    Ok(Calculation { op, column })
}

/// The filter ops that make sense for a column of this kind, in the order offered.
pub fn ops_for(kind: Kind) -> Vec<FilterOp> {
    use FilterOp::*;
    match kind {
        Kind::Int | Kind::Float => vec![Eq, Ne, Gt, Ge, Lt, Le, In, NotIn, Exists, DoesNotExist],
        Kind::Str => vec![Eq, Ne, Contains, DoesNotContain, StartsWith, DoesNotStartWith, EndsWith, DoesNotEndWith, In, NotIn, Exists, DoesNotExist],
        Kind::Bool => vec![Eq, Ne, Exists, DoesNotExist],
        Kind::Other => vec![Exists, DoesNotExist],
    }
}

/// One value typed by the column's kind.
fn typed_value(text: &str, kind: Kind, column: &str) -> Result<Json, String> {
    let t = text.trim();
    if t.starts_with('"') {
        return serde_json::from_str::<String>(t).map(Json::String).map_err(|_| format!("{column}: bad quoted value {t}"));
    }
    if t.is_empty() {
        return Err(format!("{column}: missing value"));
    }
    match kind {
        Kind::Int | Kind::Float => {
            let n: f64 = t.parse().map_err(|_| format!("{column} is numeric; {t:?} is not a number"))?;
            Ok(if n.fract() == 0.0 && n.abs() < 9e15 && !t.contains(['.', 'e', 'E']) { Json::from(n as i64) } else { serde_json::Number::from_f64(n).map(Json::Number).ok_or(format!("{column}: {t} is not finite"))? })
        }
        Kind::Bool => match t.to_ascii_lowercase().as_str() {
            "true" => Ok(Json::Bool(true)),
            "false" => Ok(Json::Bool(false)),
            _ => Err(format!("{column} is true/false; {t:?} is neither")),
        },
        _ => Ok(Json::String(t.to_string())),
    }
}

/// `column op [value]` — the whole of `s`.
fn parse_filter(s: &str, schema: &Schema) -> Result<Filter, String> {
    let (column, rest) = take_name(s)?;
    let f = schema.field_with_name(&column).map_err(|_| format!("no column named {}", quote_name(&column)))?;
    let kind = Kind::of(f.data_type());
    let rest = rest.trim_start();
    // Longest operator first, so `>=` is not read as `>` and `does-not-exist` not as a prefix.
    let mut ops: Vec<FilterOp> = FILTER_OPS.to_vec();
    ops.sort_by_key(|o| std::cmp::Reverse(o.name().len()));
    let op = ops
        .into_iter()
        .find(|o| {
            let n = o.name();
            rest.len() >= n.len() && rest[..n.len()].eq_ignore_ascii_case(n) && {
                let after = &rest[n.len()..];
                !n.chars().all(|c| c.is_alphabetic() || c == '-') || after.is_empty() || after.starts_with(|c: char| c.is_whitespace() || c == '(' || c == '"')
            }
        })
        .ok_or_else(|| {
            let valid: Vec<&str> = ops_for(kind).iter().map(|o| o.name()).collect();
            format!("expected an operator after {} ({})", quote_name(&column), valid.join(" "))
        })?;
    if !ops_for(kind).contains(&op) {
        return Err(format!("{} does not apply to {} ({})", op.name(), quote_name(&column), f.data_type()));
    }
    let value_text = rest[op.name().len()..].trim();
    let value = if !op.takes_value() {
        if !value_text.is_empty() {
            return Err(format!("{} takes no value", op.name()));
        }
        None
    } else if op.takes_list() {
        let inner = value_text.strip_prefix('(').and_then(|v| v.strip_suffix(')')).ok_or_else(|| format!("{} needs a list: {} {} (a, b)", op.name(), quote_name(&column), op.name()))?;
        let vals = items(inner).into_iter().map(|(_, v)| typed_value(v, kind, &column)).collect::<Result<Vec<_>, _>>()?;
        if vals.is_empty() {
            return Err(format!("{} needs at least one value", op.name()));
        }
        Some(Json::Array(vals))
    } else {
        let k = if op.is_string_op() { Kind::Str } else { kind };
        Some(typed_value(value_text, k, &column)?)
    };
    Ok(Filter { column, op, value })
}

/// A calculation or column, then an optional direction (default ascending, as in the JSON).
fn parse_order(s: &str, schema: &Schema) -> Result<Order, String> {
    let s = s.trim();
    let lower = s.to_ascii_lowercase();
    let (body, descending) = if let Some(b) = ["desc", "descending"].iter().find_map(|d| lower.strip_suffix(d).filter(|b| b.ends_with(char::is_whitespace)).map(|b| b.len())) {
        (&s[..b], true)
    } else if let Some(b) = ["asc", "ascending"].iter().find_map(|d| lower.strip_suffix(d).filter(|b| b.ends_with(char::is_whitespace)).map(|b| b.len())) {
        (&s[..b], false)
    } else {
        (s, false)
    };
    let body = body.trim();
    let word = body.split('(').next().unwrap_or("").trim().to_ascii_uppercase();
    if !body.starts_with('"') && CalcOp::parse(&word).is_some() {
        let c = parse_calc(body, schema)?;
        return Ok(Order { op: Some(c.op), column: c.column, descending });
    }
    let (name, tail) = take_name(body)?;
    if !tail.trim().is_empty() {
        return Err(format!("unexpected {:?} after {} (expected asc or desc)", tail.trim(), quote_name(&name)));
    }
    schema.field_with_name(&name).map_err(|_| format!("no column named {}", quote_name(&name)))?;
    Ok(Order { op: None, column: Some(name), descending })
}

/// `CALC cmp number`.
fn parse_having(s: &str, schema: &Schema) -> Result<Having, String> {
    let s = s.trim();
    let at = s.find(['=', '!', '<', '>']).ok_or_else(|| format!("expected a comparison in {s:?} (e.g. COUNT > 10)"))?;
    let calc = parse_calc(&s[..at], schema)?;
    let rest = &s[at..];
    let op_len = if rest.len() > 1 && rest.as_bytes()[1] == b'=' { 2 } else { 1 };
    let op = CmpOp::parse(&rest[..op_len]).ok_or_else(|| format!("{:?} is not a comparison (= != > >= < <=)", &rest[..op_len]))?;
    let v = rest[op_len..].trim();
    let value: f64 = v.parse().map_err(|_| format!("{v:?} is not a number"))?;
    Ok(Having { calculate_op: calc.op, column: calc.column, op, value })
}

fn each<T>(clause: Clause, text: &str, mut f: impl FnMut(&str) -> Result<T, String>) -> Result<Vec<T>, ClauseError> {
    let all = items(text);
    let n = all.len();
    all.into_iter()
        .enumerate()
        .map(|(i, (_, item))| {
            f(item).map_err(|m| ClauseError { clause, message: if n > 1 { format!("item {} ({}): {m}", i + 1, item.trim()) } else { m } })
        })
        .collect()
}

/// A WHERE clause's text as filters (ANDed by whoever uses them), checked against the schema.
pub fn parse_where(text: &str, schema: &Schema) -> Result<Vec<Filter>, ClauseError> {
    each(Clause::Where, text, |s| parse_filter(s, schema))
}

impl Clauses {
    /// Write the spec's clauses as text.
    pub fn from_spec(spec: &QuerySpec) -> Clauses {
        let calc = |op: CalcOp, col: &Option<String>| match col {
            Some(c) => format!("{}({})", op.name(), quote_name(c)),
            None => op.name().to_string(),
        };
        let value = |v: &Json| match v {
            Json::String(s) if s.trim() != s || s.is_empty() || s.contains([',', '(', ')', '"']) || s.starts_with('"') => Json::String(s.clone()).to_string(),
            Json::String(s) => s.clone(),
            other => other.to_string(),
        };
        Clauses {
            visualize: spec.calculations.iter().map(|c| calc(c.op, &c.column)).collect::<Vec<_>>().join(", "),
            r#where: spec
                .filters
                .iter()
                .map(|f| match &f.value {
                    None => format!("{} {}", quote_name(&f.column), f.op.name()),
                    Some(Json::Array(vs)) => format!("{} {} ({})", quote_name(&f.column), f.op.name(), vs.iter().map(value).collect::<Vec<_>>().join(", ")),
                    Some(v) => format!("{} {} {}", quote_name(&f.column), f.op.name(), value(v)),
                })
                .collect::<Vec<_>>()
                .join(", "),
            combination: spec.filter_combination,
            group_by: spec.breakdowns.iter().map(|b| quote_name(b)).collect::<Vec<_>>().join(", "),
            order_by: spec
                .orders
                .iter()
                .map(|o| {
                    let what = match o.op {
                        Some(op) => calc(op, &o.column),
                        None => quote_name(o.column.as_deref().unwrap_or_default()),
                    };
                    format!("{what} {}", if o.descending { "desc" } else { "asc" })
                })
                .collect::<Vec<_>>()
                .join(", "),
            limit: spec.limit.map(|l| l.to_string()).unwrap_or_default(),
            having: spec.havings.iter().map(|h| format!("{} {} {}", calc(h.calculate_op, &h.column), h.op.name(), crate::value::float_json(h.value))).collect::<Vec<_>>().join(", "),
            derived: spec.calculated_fields.iter().map(|f| format!("{} = {}", quote_name(&f.name), f.expression.trim())).collect::<Vec<_>>().join(", "),
        }
    }

    /// The derived columns the DERIVED COLUMNS box defines, each checked against `schema` and
    /// the ones before it; and the schema with them (what the other clauses read).
    pub fn derived(&self, schema: &Schema) -> Result<(Vec<CalculatedField>, Schema), ClauseError> {
        let mut schema = schema.clone();
        let fields = each(Clause::Derived, &self.derived, |s| {
            let (name, rest) = take_name(s)?;
            let formula = rest.trim_start().strip_prefix('=').ok_or_else(|| format!("expected = after {} (name = formula)", quote_name(&name)))?.trim();
            if schema.field_with_name(&name).is_ok() {
                return Err(format!("{} is already a column", quote_name(&name)));
            }
            let d = crate::derive::compile(&name, formula, &schema).map_err(|e| format!("{}: {}", quote_name(&name), e.to_string().trim_start_matches("error: ")))?;
            let mut all: Vec<arrow_schema::Field> = schema.fields().iter().map(|f| f.as_ref().clone()).collect();
            all.push(arrow_schema::Field::new(&name, d.data_type(), true));
            schema = Schema::new(all);
            Ok(CalculatedField { name, expression: formula.to_string() })
        })?;
        Ok((fields, schema))
    }

    /// Put the clauses into `spec` (its time range and other fields stay), checked against the
    /// schema. On error `spec` is unchanged and the error names the clause and item.
    pub fn apply(&self, spec: &mut QuerySpec, schema: &Schema) -> Result<(), ClauseError> {
        let (calculated_fields, schema) = self.derived(schema)?;
        let schema = &schema;
        let calculations = each(Clause::Visualize, &self.visualize, |s| parse_calc(s, schema))?;
        let filters = each(Clause::Where, &self.r#where, |s| parse_filter(s, schema))?;
        let breakdowns = each(Clause::GroupBy, &self.group_by, |s| {
            let (name, tail) = take_name(s)?;
            if !tail.trim().is_empty() {
                return Err(format!("unexpected {:?} after {}", tail.trim(), quote_name(&name)));
            }
            schema.field_with_name(&name).map_err(|_| format!("no column named {}", quote_name(&name)))?;
            Ok(name)
        })?;
        let orders = each(Clause::OrderBy, &self.order_by, |s| parse_order(s, schema))?;
        let havings = each(Clause::Having, &self.having, |s| parse_having(s, schema))?;
        let limit = match self.limit.trim() {
            "" => None,
            t => Some(t.parse::<usize>().ok().filter(|&l| (1..=MAX_LIMIT).contains(&l)).ok_or(ClauseError { clause: Clause::Limit, message: format!("{t:?} is not a whole number from 1 to {MAX_LIMIT}") })?),
        };
        let calcs_used: Vec<Calculation> = if calculations.is_empty() { vec![Calculation { op: CalcOp::Count, column: None }] } else { calculations.clone() };
        for o in orders.iter().filter(|o| o.op.is_some()) {
            if !calcs_used.iter().any(|c| Some(c.op) == o.op && c.column == o.column) {
                return Err(ClauseError { clause: Clause::OrderBy, message: format!("{} is not in VISUALIZE", Calculation { op: o.op.unwrap_or(CalcOp::Count), column: o.column.clone() }.key()) });
            }
        }
        for o in orders.iter().filter(|o| o.op.is_none()) {
            if !breakdowns.iter().any(|b| Some(b) == o.column.as_ref()) {
                return Err(ClauseError { clause: Clause::OrderBy, message: format!("{} is not in GROUP BY", quote_name(o.column.as_deref().unwrap_or_default())) });
            }
        }
        for h in &havings {
            if h.calculate_op == CalcOp::Heatmap || !calcs_used.iter().any(|c| c.op == h.calculate_op && c.column == h.column) {
                return Err(ClauseError { clause: Clause::Having, message: format!("{} is not a calculation in VISUALIZE (HEATMAP cannot be compared)", Calculation { op: h.calculate_op, column: h.column.clone() }.key()) });
            }
        }
        spec.calculated_fields = calculated_fields;
        spec.calculations = calculations;
        spec.filters = filters;
        spec.filter_combination = self.combination;
        spec.breakdowns = breakdowns;
        spec.orders = orders;
        spec.havings = havings;
        spec.limit = limit;
        Ok(())
    }
}

/// A completion for the item under the cursor: replace `text[from..cursor]` with `insert`.
#[derive(Debug, Clone, PartialEq)]
pub struct Suggestion {
    pub label: String,
    pub detail: String,
    pub from: usize,
    pub insert: String,
}

/// What completions draw on: the schema, the query's calculations and breakdowns (for ORDER BY
/// and HAVING), and values the page knows for a column (for WHERE).
pub struct SuggestContext<'a> {
    pub schema: &'a Schema,
    pub calcs: &'a [Calculation],
    pub breakdowns: &'a [String],
    pub values: &'a dyn Fn(&str) -> Vec<String>,
    pub max: usize,
}

/// Completions for `text` with the cursor at byte `cursor` in `clause`: calculations and columns
/// (numeric ones where the op needs numbers), operators valid for the column's type, directions,
/// and, for WHERE values, the values the page offers for that column.
pub fn suggest(clause: Clause, text: &str, cursor: usize, ctx: &SuggestContext) -> Vec<Suggestion> {
    let (schema, values, max) = (ctx.schema, ctx.values, ctx.max);
    let cursor = cursor.min(text.len());
    let cursor = (0..=cursor).rev().find(|&i| text.is_char_boundary(i)).unwrap_or(0);
    let head = &text[..cursor];
    let item_start = items(head).last().map(|(s, _)| *s).unwrap_or(0);
    let item_start = if head[item_start..].trim().is_empty() { head.len() } else { item_start };
    let item = &head[item_start..];
    let lead = item.len() - item.trim_start().len();
    let item_from = item_start + lead;
    let item = item.trim_start();
    let mut out = Vec::new();
    let mut push = |label: String, detail: String, from: usize, insert: String| {
        if out.len() < max {
            out.push(Suggestion { label, detail, from, insert });
        }
    };
    let matches = |cand: &str, prefix: &str| cand.to_ascii_lowercase().contains(&prefix.to_ascii_lowercase());
    let columns = |prefix: &str, numeric: bool| -> Vec<(String, String)> {
        let mut v: Vec<(String, String)> = schema
            .fields()
            .iter()
            .filter(|f| !numeric || matches!(Kind::of(f.data_type()), Kind::Int | Kind::Float))
            .filter(|f| matches(f.name(), prefix))
            .map(|f| (f.name().clone(), type_label(f.data_type())))
            .collect();
        v.sort_by_key(|(n, _)| (!n.to_ascii_lowercase().starts_with(&prefix.to_ascii_lowercase()), n.clone()));
        v
    };
    let default_calc = [Calculation { op: CalcOp::Count, column: None }];
    let calcs = if ctx.calcs.is_empty() { &default_calc[..] } else { ctx.calcs };
    let calc_items = |prefix: &str| -> Vec<(String, String)> { calcs.iter().map(|c| c.key()).filter(|k| matches(k, prefix)).map(|k| (k, "calculation".into())).collect() };
    match clause {
        // After `name =`: columns after `$`, functions after an upper-case word.
        Clause::Derived => {
            let Some(eq) = item.find('=') else { return out };
            let formula = &item[eq + 1..];
            let start = formula.rfind(|c: char| !(c.is_ascii_alphanumeric() || "_.$-/:@\"".contains(c))).map_or(0, |i| i + 1);
            let token = &formula[start..];
            let from = item_from + eq + 1 + start;
            if let Some(prefix) = token.strip_prefix('$') {
                for (name, ty) in columns(prefix.trim_start_matches('"'), false) {
                    let plain = !name.starts_with(|c: char| c.is_ascii_digit()) && name.bytes().all(|c| c.is_ascii_alphanumeric() || b"_.-/:@".contains(&c));
                    let insert = if plain { format!("${name}") } else { format!("${}", Json::String(name.clone())) };
                    push(name.clone(), ty, from, insert);
                }
            } else if !token.is_empty() && token.bytes().all(|c| c.is_ascii_uppercase() || c == b'_') {
                for f in crate::derive::check::function_names().filter(|f| f.starts_with(token)) {
                    push(f.to_string(), "function".into(), from, format!("{f}("));
                }
            }
        }
        Clause::Visualize => match item.find('(') {
            None => {
                for op in CALC_OPS.iter().filter(|o| matches(o.name(), item)) {
                    let insert = if op.takes_column() { format!("{}(", op.name()) } else { op.name().to_string() };
                    push(insert.clone(), if op.takes_column() { "calculation over a column".into() } else { "calculation".into() }, item_from, insert);
                }
            }
            Some(p) => {
                let op = CalcOp::parse(&item[..p].trim().to_ascii_uppercase());
                let prefix = item[p + 1..].trim_start_matches('"');
                for (name, ty) in columns(prefix, op.is_some_and(|o| o.needs_numeric())) {
                    push(name.clone(), ty, item_from + p + 1, format!("{})", quote_name(&name)));
                }
            }
        },
        Clause::GroupBy => {
            for (name, ty) in columns(item.trim_start_matches('"'), false) {
                push(name.clone(), ty, item_from, quote_name(&name));
            }
        }
        Clause::Where => match take_name(item) {
            Ok((name, rest)) if !rest.is_empty() => {
                let Ok(f) = schema.field_with_name(&name) else { return out };
                let kind = Kind::of(f.data_type());
                let after = rest.trim_start();
                let from = item_from + (item.len() - after.len());
                let op = ops_for(kind).into_iter().find(|o| after.starts_with(o.name()) && (after.len() > o.name().len()));
                match op {
                    Some(op) if op.takes_value() && !op.takes_list() => {
                        let v = after[op.name().len()..].trim_start();
                        let vfrom = item_from + (item.len() - v.len());
                        for val in values(&name).into_iter().filter(|x| matches(x, v.trim_start_matches('"'))) {
                            let ins = if val.is_empty() || val.trim() != val || val.contains([',', '(', ')', '"']) { Json::String(val.clone()).to_string() } else { val.clone() };
                            push(val, "value".into(), vfrom, ins);
                        }
                    }
                    Some(_) => {}
                    None => {
                        for o in ops_for(kind).into_iter().filter(|o| o.name().starts_with(after)) {
                            let ins = match (o.takes_value(), o.takes_list()) {
                                (false, _) => o.name().to_string(),
                                (true, true) => format!("{} (", o.name()),
                                _ => format!("{} ", o.name()),
                            };
                            push(o.name().to_string(), "operator".into(), from, ins);
                        }
                    }
                }
            }
            _ => {
                for (name, ty) in columns(item.trim_start_matches('"'), false) {
                    push(name.clone(), ty, item_from, format!("{} ", quote_name(&name)));
                }
            }
        },
        Clause::OrderBy => {
            let ends_name = item.ends_with(char::is_whitespace) && !item.trim().is_empty();
            if ends_name {
                for d in ["desc", "asc"] {
                    push(d.into(), "direction".into(), head.len(), d.into());
                }
            } else {
                for (k, d) in calc_items(item) {
                    push(k.clone(), d, item_from, format!("{k} desc"));
                }
                for b in ctx.breakdowns.iter().filter(|b| matches(b, item.trim_start_matches('"'))) {
                    push(b.clone(), "group by column".into(), item_from, format!("{} asc", quote_name(b)));
                }
            }
        }
        Clause::Having => {
            if !item.contains(['=', '!', '<', '>']) {
                for (k, d) in calc_items(item).into_iter().filter(|(k, _)| !k.starts_with("HEATMAP")) {
                    push(k.clone(), d, item_from, format!("{k} > "));
                }
            }
        }
        Clause::Limit => {}
    }
    out
}

/// A short type label for pickers: `string`, `int`, `float`, `bool`, or the Arrow type.
pub fn type_label(t: &arrow_schema::DataType) -> String {
    match Kind::of(t) {
        Kind::Int => "int".into(),
        Kind::Float => "float".into(),
        Kind::Str => "string".into(),
        Kind::Bool => "bool".into(),
        Kind::Other => t.to_string(),
    }
}
