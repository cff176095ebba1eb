//! The query builder's clause text: parsing into a spec against a schema, writing a spec back,
//! errors that name the clause and item, and completions.

use apiary::query::clause::{suggest, Clause, Clauses, SuggestContext};
use apiary::query::spec::{Calculation, CalcOp, Combination};
use apiary::{DataSet, QuerySpec};
use serde_json::json;

fn schema() -> arrow_schema::SchemaRef {
    DataSet::from_batches(apiary::demo::generate(100, 1, 100)).unwrap().schema().clone()
}

fn spec_of(c: &Clauses) -> serde_json::Value {
    let mut spec = QuerySpec::default();
    c.apply(&mut spec, &schema()).unwrap_or_else(|e| panic!("{e}"));
    spec.to_json()
}

#[test]
fn every_clause_becomes_the_spec_honeycomb_would_send() {
    let c = Clauses {
        visualize: "count, P99(duration_ms), HEATMAP(duration_ms), COUNT_DISTINCT(user.id)".into(),
        r#where: r#"service.name = checkout, http.status_code >= 500, error = true, region in (eu-west-1, "us-east-1"), db.statement does-not-exist, name contains "a, b""#.into(),
        combination: Combination::Or,
        group_by: "service.name, http.route".into(),
        order_by: "P99(duration_ms) desc, service.name".into(),
        limit: "20".into(),
        having: "COUNT > 10, P99(duration_ms) <= 2.5".into(),
        derived: String::new(),
    };
    let v = spec_of(&c);
    assert_eq!(v["calculations"], json!([{"op":"COUNT"},{"op":"P99","column":"duration_ms"},{"op":"HEATMAP","column":"duration_ms"},{"op":"COUNT_DISTINCT","column":"user.id"}]));
    assert_eq!(v["filters"], json!([
        {"column":"service.name","op":"=","value":"checkout"},
        {"column":"http.status_code","op":">=","value":500},
        {"column":"error","op":"=","value":true},
        {"column":"region","op":"in","value":["eu-west-1","us-east-1"]},
        {"column":"db.statement","op":"does-not-exist"},
        {"column":"name","op":"contains","value":"a, b"}
    ]));
    assert_eq!(v["filter_combination"], "OR");
    assert_eq!(v["breakdowns"], json!(["service.name", "http.route"]));
    assert_eq!(v["orders"], json!([{"op":"P99","column":"duration_ms","order":"descending"},{"column":"service.name","order":"ascending"}]));
    assert_eq!(v["limit"], 20);
    assert_eq!(v["havings"], json!([{"calculate_op":"COUNT","op":">","value":10.0},{"calculate_op":"P99","column":"duration_ms","op":"<=","value":2.5}]));
}

#[test]
fn a_spec_written_as_clauses_reads_back_the_same() {
    let specs = [
        json!({"calculations":[{"op":"P95","column":"duration_ms"},{"op":"COUNT"}],"filters":[{"column":"user.id","op":"starts-with","value":" spaced, (odd) \"quoted\""},{"column":"http.status_code","op":"not-in","value":[500,503]},{"column":"duration_ms","op":">","value":1.5}],"breakdowns":["region"],"orders":[{"column":"region","order":"descending"}],"havings":[{"calculate_op":"COUNT","op":"!=","value":3}],"limit":5,"time_range":7200}),
        json!({"calculations":[{"op":"CONCURRENCY"}],"filters":[{"column":"cache.hit","op":"exists"}],"filter_combination":"OR","time_range":3600}),
    ];
    for s in specs {
        let spec = QuerySpec::from_json(&s).unwrap();
        let c = Clauses::from_spec(&spec);
        let mut back = QuerySpec { time_range: spec.time_range, ..Default::default() };
        c.apply(&mut back, &schema()).unwrap_or_else(|e| panic!("{e} in {c:?}"));
        assert_eq!(back, spec, "{c:?}");
    }
}

#[test]
fn errors_name_the_clause_and_item_and_leave_the_spec_alone() {
    let cases = [
        (Clauses { visualize: "COUNT, P99(nope)".into(), ..Default::default() }, "VISUALIZE", "item 2"),
        (Clauses { visualize: "P99(service.name)".into(), ..Default::default() }, "VISUALIZE", "numeric"),
        (Clauses { visualize: "AVG".into(), ..Default::default() }, "VISUALIZE", "needs a column"),
        (Clauses { r#where: "duration_ms > fast".into(), ..Default::default() }, "WHERE", "not a number"),
        (Clauses { r#where: "duration_ms contains 5".into(), ..Default::default() }, "WHERE", "does not apply"),
        (Clauses { r#where: "region ~ x".into(), ..Default::default() }, "WHERE", "expected an operator"),
        (Clauses { r#where: "region in eu".into(), ..Default::default() }, "WHERE", "needs a list"),
        (Clauses { group_by: "region, ghost".into(), ..Default::default() }, "GROUP BY", "ghost"),
        (Clauses { order_by: "P99(duration_ms) desc".into(), ..Default::default() }, "ORDER BY", "not in VISUALIZE"),
        (Clauses { order_by: "region".into(), ..Default::default() }, "ORDER BY", "not in GROUP BY"),
        (Clauses { limit: "0".into(), ..Default::default() }, "LIMIT", "1 to 10000"),
        (Clauses { limit: "10001".into(), ..Default::default() }, "LIMIT", "1 to 10000"),
        (Clauses { having: "COUNT >> 3".into(), ..Default::default() }, "HAVING", "not a number"),
        (Clauses { visualize: "HEATMAP(duration_ms)".into(), having: "HEATMAP(duration_ms) > 3".into(), ..Default::default() }, "HAVING", "HEATMAP"),
    ];
    for (c, clause, words) in cases {
        let mut spec = QuerySpec { limit: Some(7), ..Default::default() };
        let e = c.apply(&mut spec, &schema()).expect_err(&format!("{c:?} should fail"));
        let text = e.to_string();
        assert!(text.starts_with(clause) && text.contains(words), "{c:?}: {text}");
        assert_eq!(spec.limit, Some(7), "spec untouched on error");
    }
}

fn labels(clause: Clause, text: &str, calcs: &[Calculation]) -> Vec<String> {
    let s = schema();
    let values = |col: &str| if col == "region" { vec!["eu-west-1".to_string(), "us-east-1".to_string()] } else { vec![] };
    let ctx = SuggestContext { schema: &s, calcs, breakdowns: &["region".to_string()], values: &values, max: 50 };
    suggest(clause, text, text.len(), &ctx).into_iter().map(|x| x.label).collect()
}

#[test]
fn completions_follow_what_the_item_needs_next() {
    // Calculations, then numeric columns inside a numeric op, any column in COUNT_DISTINCT.
    assert!(labels(Clause::Visualize, "COUNT, p9", &[]).contains(&"P99(".to_string()));
    let numeric = labels(Clause::Visualize, "P99(", &[]);
    assert!(numeric.contains(&"duration_ms".to_string()) && !numeric.contains(&"service.name".to_string()), "{numeric:?}");
    assert!(labels(Clause::Visualize, "COUNT_DISTINCT(user", &[]).contains(&"user.id".to_string()));
    // WHERE: columns, then the operators the type allows, then known values.
    assert_eq!(labels(Clause::Where, "dur", &[])[0], "duration_ms");
    let ops = labels(Clause::Where, "duration_ms ", &[]);
    assert!(ops.contains(&">=".to_string()) && !ops.contains(&"contains".to_string()), "{ops:?}");
    let sops = labels(Clause::Where, "region ", &[]);
    assert!(sops.contains(&"contains".to_string()) && !sops.contains(&">".to_string()), "{sops:?}");
    assert_eq!(labels(Clause::Where, "region = eu", &[]), ["eu-west-1"]);
    // ORDER BY and HAVING offer the query's calculations (and group-by columns), then directions.
    let calcs = [Calculation { op: CalcOp::P99, column: Some("duration_ms".into()) }];
    let o = labels(Clause::OrderBy, "", &calcs);
    assert!(o.contains(&"P99(duration_ms)".to_string()) && o.contains(&"region".to_string()), "{o:?}");
    assert_eq!(labels(Clause::OrderBy, "P99(duration_ms) ", &calcs), ["desc", "asc"]);
    assert_eq!(labels(Clause::Having, "", &[]), ["COUNT"]);
    // The insert replaces just the item under the cursor.
    let s = schema();
    let none = |_: &str| Vec::new();
    let ctx = SuggestContext { schema: &s, calcs: &[], breakdowns: &[], values: &none, max: 5 };
    let first = &suggest(Clause::GroupBy, "region, http.ro", 15, &ctx)[0];
    assert_eq!((first.from, first.insert.as_str()), (8, "http.route"));
}

/// DERIVED COLUMNS: `name = formula, …` becomes `calculated_fields`; the other clauses read the
/// derived columns like any column; the text round-trips; errors point into the formula;
/// completions offer columns after `$` and functions after an upper-case word.
#[test]
fn derived_columns_in_the_builder() {
    let c = Clauses {
        derived: r#"sli = IF(NOT(EXISTS($trace.parent_id)), LT($duration_ms, 1000)), "slow, or not" = REG_MATCH($name, `^(GET|POST), x`), twice = $duration_ms * 2"#.into(),
        visualize: "COUNT, MAX(twice)".into(),
        group_by: r#"sli, "slow, or not""#.into(),
        r#where: "sli exists".into(),
        ..Default::default()
    };
    let v = spec_of(&c);
    assert_eq!(
        v["calculated_fields"],
        json!([
            {"name": "sli", "expression": "IF(NOT(EXISTS($trace.parent_id)), LT($duration_ms, 1000))"},
            {"name": "slow, or not", "expression": "REG_MATCH($name, `^(GET|POST), x`)"},
            {"name": "twice", "expression": "$duration_ms * 2"}
        ])
    );
    assert_eq!(v["breakdowns"], json!(["sli", "slow, or not"]));
    assert_eq!(v["calculations"], json!([{"op": "COUNT"}, {"op": "MAX", "column": "twice"}]));
    let spec = QuerySpec::from_json(&v).unwrap();
    assert_eq!(Clauses::from_spec(&spec).derived, c.derived);
    // Errors name the clause, the column and the character.
    let mut spec = QuerySpec::default();
    let e = Clauses { derived: "x = LT($nope, 1)".into(), ..Default::default() }.apply(&mut spec, &schema()).unwrap_err();
    assert_eq!(e.clause, Clause::Derived);
    assert!(e.message.contains("x: no column named \"nope\" at character 4"), "{}", e.message);
    let e = Clauses { derived: "x LT($duration_ms, 1)".into(), ..Default::default() }.apply(&mut spec, &schema()).unwrap_err();
    assert!(e.message.contains("expected = after x"), "{}", e.message);
    let e = Clauses { derived: "region = 1".into(), ..Default::default() }.apply(&mut spec, &schema()).unwrap_err();
    assert!(e.message.contains("region is already a column"), "{}", e.message);
    // Completions.
    assert!(labels(Clause::Derived, "x = LT($dur", &[]).contains(&"duration_ms".to_string()));
    let f = labels(Clause::Derived, "x = RE", &[]);
    assert_eq!(f, vec!["REG_MATCH", "REG_VALUE", "REG_COUNT"]);
    assert!(labels(Clause::Derived, "x", &[]).is_empty());
}
