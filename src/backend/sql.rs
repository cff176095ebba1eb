//! SQL text with bound parameters: every name and value a query carries is a ClickHouse query
//! parameter (`{p3:Identifier}`, `{p4:String}` with `param_p4=` beside the query), never pasted
//! into the text. The text itself is made only of this module's callers' fixed fragments.

/// A statement being written: its text and its parameters, `(name, value)` in order.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Sql {
    pub text: String,
    pub params: Vec<(String, String)>,
}

impl Sql {
    pub fn new() -> Sql {
        Sql::default()
    }

    /// Append fixed SQL text.
    pub fn push(&mut self, fixed: &str) -> &mut Sql {
        self.text.push_str(fixed);
        self
    }

    /// A placeholder for `value` of ClickHouse type `ty` (the same value and type share one).
    pub fn bind(&mut self, value: &str, ty: &'static str) -> String {
        let at = self.params.iter().position(|(n, v)| v == value && n.ends_with(ty_tag(ty)));
        let name = match at {
            Some(i) => self.params[i].0.clone(),
            None => {
                let name = format!("p{}{}", self.params.len(), ty_tag(ty));
                self.params.push((name.clone(), value.to_string()));
                name
            }
        };
        format!("{{{name}:{ty}}}")
    }

    /// A placeholder for a name (a column, a table, a database).
    pub fn ident(&mut self, name: &str) -> String {
        self.bind(name, "Identifier")
    }

    pub fn string(&mut self, s: &str) -> String {
        self.bind(s, "String")
    }

    pub fn int(&mut self, i: i64) -> String {
        self.bind(&i.to_string(), "Int64")
    }

    /// A float placeholder; the shortest text that reads back as the same double.
    pub fn float(&mut self, f: f64) -> String {
        self.bind(&format!("{f:?}"), "Float64")
    }

    pub fn boolean(&mut self, b: bool) -> String {
        self.bind(if b { "true" } else { "false" }, "Bool")
    }
}

/// A short tag per type so one value bound as two types gets two parameters.
fn ty_tag(ty: &str) -> &'static str {
    match ty {
        "Identifier" => "_i",
        "String" => "_s",
        "Int64" => "_n",
        "Float64" => "_f",
        "Bool" => "_b",
        _ => "_x",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_and_names_are_parameters_never_text() {
        let mut q = Sql::new();
        let c = q.ident("x`; DROP TABLE t; --");
        let v = q.string("' OR 1=1 --");
        q.push("SELECT ").push(&c).push(" FROM t WHERE ").push(&c).push(" = ").push(&v);
        assert_eq!(q.text, "SELECT {p0_i:Identifier} FROM t WHERE {p0_i:Identifier} = {p1_s:String}");
        assert_eq!(q.params, vec![("p0_i".to_string(), "x`; DROP TABLE t; --".to_string()), ("p1_s".to_string(), "' OR 1=1 --".to_string())]);
        assert_eq!(q.float(0.1), "{p2_f:Float64}");
        assert_eq!(q.params[2].1, "0.1");
        assert_eq!(q.int(5), "{p3_n:Int64}");
        assert_eq!(q.string("5"), "{p4_s:String}");
    }
}
