//! The derived-column formula language, read into an [`Expr`] tree: `$column`, `$"name with
//! spaces"`, `"strings"` (with `\` escapes), `` `raw strings` ``, integers, floats (`1.5`,
//! `4e-2`), `true`, `false`, `null`, upper-case function calls, and the infix forms, loosest
//! first: `OR`, `AND`, `=` `!=`, `<` `<=` `>` `>=`, `+` `-`, `*` `/` `%`, then `!` and unary `-`.
//! Every node keeps where it starts in the text, so errors point at the character.

use crate::error::{Error, Result};

/// A literal value.
#[derive(Debug, Clone, PartialEq)]
pub enum Lit {
    Int(i64),
    Float(f64),
    Str(String),
    Bool(bool),
    Null,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Node {
    Lit(Lit),
    Column(String),
    /// A function call (infix operators become the function they stand for).
    Call(String, Vec<Expr>),
}

/// A node and the byte offset where it starts in the formula.
#[derive(Debug, Clone, PartialEq)]
pub struct Expr {
    pub node: Node,
    pub at: usize,
}

/// An error at byte `at` of the formula: "… at character N".
pub fn error_at(text: &str, at: usize, msg: impl std::fmt::Display) -> Error {
    let ch = text.get(..at.min(text.len())).map_or(at, |s| s.chars().count()) + 1;
    Error::Other(format!("{msg} at character {ch}"))
}

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Lit(Lit),
    Column(String),
    Name(String),
    Op(&'static str),
    Open,
    Close,
    Comma,
    End,
}

struct Lexer<'a> {
    text: &'a str,
    pos: usize,
}

const OPS: [&str; 13] = ["<=", ">=", "!=", "==", "&&", "||", "<", ">", "=", "+", "-", "*", "/"];

impl Lexer<'_> {
    fn next(&mut self) -> Result<(Tok, usize)> {
        let b = self.text.as_bytes();
        while self.pos < b.len() && b[self.pos].is_ascii_whitespace() {
            self.pos += 1;
        }
        let at = self.pos;
        let Some(&c) = b.get(at) else { return Ok((Tok::End, at)) };
        let tok = match c {
            b'(' => self.one(Tok::Open),
            b')' => self.one(Tok::Close),
            b',' => self.one(Tok::Comma),
            b'%' => self.one(Tok::Op("%")),
            b'!' if b.get(at + 1) != Some(&b'=') => self.one(Tok::Op("!")),
            b'"' => Tok::Lit(Lit::Str(self.quoted()?)),
            b'`' => {
                let end = self.text[at + 1..].find('`').ok_or_else(|| error_at(self.text, at, "a raw string is not closed"))?;
                self.pos = at + 1 + end + 1;
                Tok::Lit(Lit::Str(self.text[at + 1..at + 1 + end].to_string()))
            }
            b'$' => {
                self.pos += 1;
                let name = if b.get(self.pos) == Some(&b'"') {
                    self.quoted()?
                } else {
                    let start = self.pos;
                    while self.pos < b.len() && is_name_byte(b[self.pos]) {
                        self.pos += 1;
                    }
                    self.text[start..self.pos].to_string()
                };
                if name.is_empty() {
                    return Err(error_at(self.text, at, "a column name must follow $"));
                }
                Tok::Column(name)
            }
            b'0'..=b'9' | b'.' => self.number()?,
            c if c.is_ascii_alphabetic() || c == b'_' => {
                while self.pos < b.len() && (b[self.pos].is_ascii_alphanumeric() || b[self.pos] == b'_') {
                    self.pos += 1;
                }
                // AND( and OR( are the functions; AND and OR alone, the infix forms.
                let call = self.text[self.pos..].trim_start().starts_with('(');
                match &self.text[at..self.pos] {
                    "true" => Tok::Lit(Lit::Bool(true)),
                    "false" => Tok::Lit(Lit::Bool(false)),
                    "null" => Tok::Lit(Lit::Null),
                    "AND" | "and" if !call => Tok::Op("&&"),
                    "OR" | "or" if !call => Tok::Op("||"),
                    name => Tok::Name(name.to_string()),
                }
            }
            _ => {
                let op = OPS.iter().find(|o| self.text[at..].starts_with(**o)).ok_or_else(|| error_at(self.text, at, format!("unexpected {:?}", &self.text[at..].chars().next().unwrap_or(' '))))?;
                self.pos += op.len();
                Tok::Op(op)
            }
        };
        Ok((tok, at))
    }

    fn one(&mut self, t: Tok) -> Tok {
        self.pos += 1;
        t
    }

    /// A double-quoted string at `pos`, escapes read.
    fn quoted(&mut self) -> Result<String> {
        let start = self.pos;
        let mut out = String::new();
        let mut chars = self.text[start + 1..].char_indices();
        while let Some((i, c)) = chars.next() {
            match c {
                '"' => {
                    self.pos = start + 1 + i + 1;
                    return Ok(out);
                }
                '\n' => break,
                '\\' => match chars.next() {
                    Some((_, 'n')) => out.push('\n'),
                    Some((_, 't')) => out.push('\t'),
                    Some((_, 'r')) => out.push('\r'),
                    Some((_, c)) => out.push(c),
                    None => break,
                },
                c => out.push(c),
            }
        }
        Err(error_at(self.text, start, "a string is not closed"))
    }

    fn number(&mut self) -> Result<Tok> {
        let b = self.text.as_bytes();
        let start = self.pos;
        let mut float = false;
        while self.pos < b.len() {
            match b[self.pos] {
                b'0'..=b'9' => {}
                b'.' => float = true,
                b'e' | b'E' => {
                    float = true;
                    if matches!(b.get(self.pos + 1), Some(b'+' | b'-')) {
                        self.pos += 1;
                    }
                }
                _ => break,
            }
            self.pos += 1;
        }
        let t = &self.text[start..self.pos];
        let bad = || error_at(self.text, start, format!("{t:?} is not a number"));
        Ok(Tok::Lit(if float { Lit::Float(t.parse().map_err(|_| bad())?) } else { t.parse().map(Lit::Int).or_else(|_| t.parse().map(Lit::Float)).map_err(|_| bad())? }))
    }
}

/// Bytes of a bare `$name`: letters, digits, `_`, `.`, `-` not followed by a digit-free operator
/// use (`$a-b` is the column `a-b`, as in Honeycomb), `/` and `:`.
fn is_name_byte(c: u8) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, b'_' | b'.' | b'-' | b'/' | b':' | b'@')
}

struct Parser<'a> {
    lex: Lexer<'a>,
    tok: Tok,
    at: usize,
}

/// Infix operators, loosest first: (tokens, the function each stands for).
const LEVELS: [&[(&str, &str)]; 5] = [
    &[("||", "OR")],
    &[("&&", "AND")],
    &[("=", "EQUALS"), ("==", "EQUALS"), ("!=", "!=")],
    &[("<", "LT"), ("<=", "LTE"), (">", "GT"), (">=", "GTE")],
    &[("+", "SUM"), ("-", "SUB")],
];

/// Read a formula.
pub fn parse(text: &str) -> Result<Expr> {
    if text.trim().is_empty() {
        return Err(Error::Other("the formula is empty".into()));
    }
    let mut p = Parser { lex: Lexer { text, pos: 0 }, tok: Tok::End, at: 0 };
    p.bump()?;
    let e = p.expr(0)?;
    if p.tok != Tok::End {
        return Err(p.unexpected("the end of the formula"));
    }
    Ok(e)
}

impl Parser<'_> {
    fn bump(&mut self) -> Result<()> {
        let (t, at) = self.lex.next()?;
        self.tok = t;
        self.at = at;
        Ok(())
    }

    fn unexpected(&self, wanted: &str) -> Error {
        let got = match &self.tok {
            Tok::End => "the end".to_string(),
            _ => format!("{:?}", self.lex.text[self.at..self.lex.pos.max(self.at)].trim()),
        };
        error_at(self.lex.text, self.at, format!("expected {wanted}, found {got}"))
    }

    /// Infix levels from `level` on; past the last, products.
    fn expr(&mut self, level: usize) -> Result<Expr> {
        if level == LEVELS.len() {
            return self.product();
        }
        let mut left = self.expr(level + 1)?;
        while let Tok::Op(op) = self.tok {
            let Some((_, f)) = LEVELS[level].iter().find(|(o, _)| *o == op) else { break };
            self.bump()?;
            let right = self.expr(level + 1)?;
            let at = left.at;
            left = match *f {
                "!=" => Expr { node: Node::Call("NOT".into(), vec![Expr { node: Node::Call("EQUALS".into(), vec![left, right]), at }]), at },
                f => Expr { node: Node::Call(f.into(), vec![left, right]), at },
            };
        }
        Ok(left)
    }

    fn product(&mut self) -> Result<Expr> {
        let mut left = self.unary()?;
        while let Tok::Op(op @ ("*" | "/" | "%")) = self.tok {
            self.bump()?;
            let right = self.unary()?;
            let f = match op {
                "*" => "MUL",
                "/" => "DIV",
                _ => "MOD",
            };
            let at = left.at;
            left = Expr { node: Node::Call(f.into(), vec![left, right]), at };
        }
        Ok(left)
    }

    fn unary(&mut self) -> Result<Expr> {
        let at = self.at;
        match self.tok {
            Tok::Op("!") => {
                self.bump()?;
                let x = self.unary()?;
                Ok(Expr { node: Node::Call("NOT".into(), vec![x]), at })
            }
            Tok::Op("-") => {
                self.bump()?;
                let x = self.unary()?;
                Ok(match x.node {
                    Node::Lit(Lit::Int(i)) => Expr { node: Node::Lit(Lit::Int(i.wrapping_neg())), at },
                    Node::Lit(Lit::Float(f)) => Expr { node: Node::Lit(Lit::Float(-f)), at },
                    _ => Expr { node: Node::Call("SUB".into(), vec![Expr { node: Node::Lit(Lit::Int(0)), at }, x]), at },
                })
            }
            _ => self.primary(),
        }
    }

    fn primary(&mut self) -> Result<Expr> {
        let at = self.at;
        match std::mem::replace(&mut self.tok, Tok::End) {
            Tok::Lit(l) => {
                self.bump()?;
                Ok(Expr { node: Node::Lit(l), at })
            }
            Tok::Column(c) => {
                self.bump()?;
                Ok(Expr { node: Node::Column(c), at })
            }
            Tok::Open => {
                self.bump()?;
                let e = self.expr(0)?;
                if self.tok != Tok::Close {
                    return Err(self.unexpected("\")\""));
                }
                self.bump()?;
                Ok(e)
            }
            Tok::Name(name) => {
                self.bump()?;
                if self.tok != Tok::Open {
                    return Err(error_at(self.lex.text, at, format!("{name:?} is not a function call or value (columns start with $; functions are like {}(…))", name.to_uppercase())));
                }
                self.bump()?;
                let mut args = Vec::new();
                if self.tok != Tok::Close {
                    loop {
                        args.push(self.expr(0)?);
                        match self.tok {
                            Tok::Comma => self.bump()?,
                            Tok::Close => break,
                            _ => return Err(self.unexpected("\",\" or \")\"")),
                        }
                    }
                }
                self.bump()?;
                Ok(Expr { node: Node::Call(name, args), at })
            }
            t => {
                self.tok = t;
                Err(self.unexpected("a value, a $column or a function"))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn call(f: &str, args: Vec<Expr>, at: usize) -> Expr {
        Expr { node: Node::Call(f.into(), args), at }
    }
    fn col(c: &str, at: usize) -> Expr {
        Expr { node: Node::Column(c.into()), at }
    }
    fn lit(l: Lit, at: usize) -> Expr {
        Expr { node: Node::Lit(l), at }
    }

    #[test]
    fn functions_columns_and_literals() {
        let e = parse(r#"IF(NOT(EXISTS($trace.parent_id)), LT($duration_ms, 1000))"#).unwrap();
        assert_eq!(
            e,
            call("IF", vec![call("NOT", vec![call("EXISTS", vec![col("trace.parent_id", 14)], 7)], 3), call("LT", vec![col("duration_ms", 37), lit(Lit::Int(1000), 51)], 34)], 0)
        );
        let e = parse(r#"CONCAT($"name with spaces", "a\"b", `c\d`, -4e-2, null, true)"#).unwrap();
        let Node::Call(_, args) = e.node else { panic!() };
        let nodes: Vec<Node> = args.into_iter().map(|a| a.node).collect();
        assert_eq!(nodes, vec![Node::Column("name with spaces".into()), Node::Lit(Lit::Str("a\"b".into())), Node::Lit(Lit::Str("c\\d".into())), Node::Lit(Lit::Float(-0.04)), Node::Lit(Lit::Null), Node::Lit(Lit::Bool(true))]);
    }

    #[test]
    fn infix_precedence() {
        // OR < AND < = < comparisons < + - < * / %.
        assert_eq!(parse("AND($a, OR($b, $c))").unwrap(), call("AND", vec![col("a", 4), call("OR", vec![col("b", 11), col("c", 15)], 8)], 0));
        let e = parse("$a + $b * 2 > 10 AND $c = \"x\" OR !$d").unwrap();
        let sum = call("SUM", vec![col("a", 0), call("MUL", vec![col("b", 5), lit(Lit::Int(2), 10)], 5)], 0);
        let gt = call("GT", vec![sum, lit(Lit::Int(10), 14)], 0);
        let eq = call("EQUALS", vec![col("c", 21), lit(Lit::Str("x".into()), 26)], 21);
        let and = call("AND", vec![gt, eq], 0);
        assert_eq!(e, call("OR", vec![and, call("NOT", vec![col("d", 34)], 33)], 0));
        assert_eq!(parse("($a - 1) % 3").unwrap(), call("MOD", vec![call("SUB", vec![col("a", 1), lit(Lit::Int(1), 6)], 1), lit(Lit::Int(3), 11)], 1));
    }

    #[test]
    fn errors_point_at_the_character() {
        for (text, want) in [
            ("LT($a, ", "at character 8"),
            ("LT($a 1)", "expected \",\" or \")\", found \"1\" at character 7"),
            ("\"abc", "a string is not closed at character 1"),
            ("SUM($a, 2))", "expected the end of the formula, found \")\" at character 11"),
            ("lt($a, 1)", ""),
            ("foo", "\"foo\" is not a function call or value"),
            ("$", "a column name must follow $ at character 1"),
            ("1 # 2", "unexpected '#' at character 3"),
        ] {
            match parse(text) {
                Err(e) => assert!(e.to_string().contains(want), "{text}: {e}"),
                Ok(_) => assert!(want.is_empty(), "{text} parsed"),
            }
        }
    }

    /// Any text is a tree or an error, never a panic: random mixes of the language's pieces
    /// and of other characters (multi-byte ones included).
    #[test]
    fn any_text_is_a_tree_or_an_error() {
        let pieces = ["IF(", "LT(", "$a", "$\"x y\"", "\"s\\\"", "`r`", "`", "\"", ")", "(", ",", " ", "1", "2.5e", "-", "!", "!=", "<=", "AND", "OR(", "é", "€", "$", "null", "true", ".", "%"];
        let mut next = crate::xorshift(0x9E37_79B9_7F4A_7C15);
        let schema = arrow_schema::Schema::new(vec![arrow_schema::Field::new("a", arrow_schema::DataType::Int64, true)]);
        for _ in 0..20_000 {
            let n = (next() % 12) as usize;
            let text: String = (0..n).map(|_| pieces[(next() % pieces.len() as u64) as usize]).collect();
            if let Ok(e) = parse(&text) {
                let _ = super::super::check::check(&text, &e, &schema);
            }
        }
    }
}
