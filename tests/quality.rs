//! The quality report: the pinned semantic-conventions registry, spans the OpenTelemetry JS SDK
//! wrote with known defects (tests/fixtures/make_quality.mjs) against the expected report, and
//! hand-made events for what the SDK cannot write (several roots, missing service names, ids,
//! cardinality past the exact bound). Every finding's query runs and shows what it says.

mod common;

use std::sync::Arc;

use apiary::quality::{evaluate, Conventions, Finding, Registry, Report, Severity};
use apiary::DataSet;
use arrow_array::{ArrayRef, Float64Array, Int64Array, StringArray, TimestampMillisecondArray};
use serde_json::Value as Json;

fn sdk() -> DataSet {
    let loaded = apiary::ingest::load("quality_sdk.jsonl", &common::fixture("quality_sdk.jsonl")).expect("the SDK's spans load");
    DataSet::from_batches(loaded.batches).expect("data set")
}

fn team() -> Conventions {
    Conventions::parse(&String::from_utf8(common::fixture("quality_conventions.json")).unwrap()).expect("conventions parse")
}

fn found<'a>(r: &'a Report, check: &str, attribute: Option<&str>) -> Vec<&'a Finding> {
    r.findings.iter().filter(|f| f.check == check && (attribute.is_none() || f.attribute.as_deref() == attribute)).collect()
}

fn one<'a>(r: &'a Report, check: &str, attribute: Option<&str>) -> &'a Finding {
    let f = found(r, check, attribute);
    assert_eq!(f.len(), 1, "{check} {attribute:?}: {:#?}", r.findings);
    f[0]
}

fn services(f: &Finding) -> Vec<&str> {
    f.services.iter().map(String::as_str).collect()
}

/// The finding's query, run on the same data: its rows (groups) and their COUNTs.
fn shows(ds: &DataSet, f: &Finding) -> Vec<(Vec<Json>, f64)> {
    let spec = serde_json::to_string(&f.query).unwrap();
    let out = common::run(ds, &spec);
    let breakdowns: Vec<String> = f.query["breakdowns"].as_array().unwrap().iter().map(|b| b.as_str().unwrap().to_string()).collect();
    common::rows(&out)
        .iter()
        .map(|r| (breakdowns.iter().map(|b| r[b].clone()).collect(), r["COUNT"].as_f64().unwrap()))
        .collect()
}

#[test]
fn the_pinned_registry_parses_and_known_names_resolve() {
    let r = Registry::pinned();
    assert_eq!(r.version, "1.44.0");
    assert!(r.attributes.len() > 900, "{} attributes", r.attributes.len());
    let method = r.find("http.request.method").unwrap().attribute;
    assert_eq!(method.kind, "enum");
    assert!(method.string_values().unwrap().contains(&"GET"));
    let old = r.find("http.method").unwrap().attribute;
    assert_eq!(old.renamed_to.as_deref(), Some("http.request.method"));
    assert_eq!(r.find("http.status_code").unwrap().attribute.renamed_to.as_deref(), Some("http.response.status_code"));
    assert_eq!(r.find("db.statement").unwrap().attribute.renamed_to.as_deref(), Some("db.query.text"));
    assert_eq!(r.find("http.response.status_code").unwrap().attribute.kind, "int");
    // The newer definition format (server/registry.yaml) is read too.
    assert_eq!(r.find("server.address").unwrap().attribute.kind, "string");
    assert_eq!(r.find("server.port").unwrap().attribute.kind, "int");
    // A template's keys resolve to it.
    let header = r.find("http.request.header.content-type").unwrap();
    assert_eq!(header.name, "http.request.header");
    assert!(r.find("http.request.nonsense").is_none());
    assert_eq!(r.namespace_of("http.nonsense"), Some("http"));
    assert_eq!(r.namespace_of("team"), None);
    assert_eq!(r.namespace_of("acme.team"), None);
    assert!(Registry::parse("{\"version\": 1}").is_err());
}

#[test]
fn spans_from_the_otel_sdk_give_the_expected_report() {
    let ds = sdk();
    let r = evaluate(&ds, Some(&team()));
    assert_eq!(r.events, 16);
    let names: Vec<&str> = r.services.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(names, ["all services", "checkout", "payments", "inventory"]);
    assert_eq!(r.services.iter().map(|s| s.events).collect::<Vec<_>>(), [16, 8, 6, 2]);

    // A deprecated name, with its replacement.
    let f = one(&r, "semconv.deprecated", Some("http.method"));
    assert_eq!(services(f), ["checkout"]);
    assert_eq!(f.events, 8);
    assert!(f.message.contains("use http.request.method"), "{}", f.message);
    // A wrong type.
    let f = one(&r, "semconv.type", Some("http.response.status_code"));
    assert_eq!((services(f), f.severity, f.events), (vec!["checkout"], Severity::Error, 4));
    assert!(f.message.contains("should be int"), "{}", f.message);
    // An enum value the registry does not list.
    let f = one(&r, "semconv.enum", Some("db.system.name"));
    assert_eq!((services(f), f.events), (vec!["payments"], 3));
    assert!(f.message.contains("\"postgres\" (3)"), "{}", f.message);
    // One attribute, two types.
    let f = one(&r, "mixed_types", Some("customer.tier"));
    assert!(f.message.contains("integer in checkout; string in payments"), "{}", f.message);
    // Missing required attributes (the team's conventions).
    let req = found(&r, "conventions.required", None);
    let mut got: Vec<(String, &str, u64)> = req.iter().map(|f| (f.attribute.clone().unwrap(), f.services[0].as_str(), f.events)).collect();
    got.sort();
    assert_eq!(got, [("http.request.method".to_string(), "checkout", 4), ("http.route".to_string(), "payments", 2)]);
    assert!(one(&r, "conventions.required", Some("http.route")).message.contains("2 of 3 events with span.kind = server"));
    assert_eq!(services(one(&r, "conventions.name", Some("userId"))), ["inventory"]);
    let f = one(&r, "conventions.values", Some("customer.tier"));
    assert_eq!((services(f), f.events), (vec!["checkout"], 4));
    // Orphans and skew.
    let h = r.health.as_ref().unwrap();
    assert_eq!((h.spans, h.traces, h.orphans, h.traces_without_root, h.traces_with_several_roots), (16, 8, 1, 1, 0));
    assert_eq!((h.starts_before_parent, h.ends_after_parent, h.duplicate_span_ids), (1, 0, 0));
    assert_eq!(services(one(&r, "trace.orphans", None)), ["inventory"]);
    assert_eq!(services(one(&r, "trace.skew", None)), ["inventory"]);
    // Scores: checkout's registry attributes are service.name, deployment.environment.name,
    // http.method (deprecated), http.route, http.response.status_code (wrong type),
    // server.address: 4 of 6 conform. Payments': service.name, deployment.environment.name,
    // http.request.method, http.route, db.system.name (value), db.query.text: 5 of 6.
    let score = |name: &str| r.services.iter().find(|s| s.name == name).unwrap().semconv.unwrap();
    assert!((score("checkout") - 400.0 / 6.0).abs() < 1e-9, "{}", score("checkout"));
    assert!((score("payments") - 500.0 / 6.0).abs() < 1e-9, "{}", score("payments"));
    assert_eq!(score("inventory"), 100.0);
    // Errors come first.
    assert!(r.findings.windows(2).all(|w| w[0].severity <= w[1].severity));
}

#[test]
fn every_finding_query_shows_what_it_says() {
    let ds = sdk();
    let r = evaluate(&ds, Some(&team()));
    assert!(r.findings.len() >= 12);
    for f in &r.findings {
        let rows = shows(&ds, f);
        let total: f64 = rows.iter().map(|(_, c)| c).sum();
        match f.check {
            // The query counts the offending events, grouped by service (and value).
            "semconv.deprecated" | "semconv.type" | "semconv.enum" | "conventions.values" | "mixed_types" => {
                assert_eq!(total, f.events as f64, "{}: {rows:?}", f.message);
                for s in &f.services {
                    assert!(rows.iter().any(|(g, _)| g[0] == *s.as_str()), "{}: {s} not in {rows:?}", f.message);
                }
            }
            "conventions.required" => assert_eq!(total, f.events as f64, "{}: {rows:?}", f.message),
            // The traces it is about.
            "trace.orphans" | "trace.skew" | "trace.no_root" => assert!(!rows.is_empty(), "{}", f.message),
            _ => assert!(!rows.is_empty(), "{}: {rows:?}", f.message),
        }
    }
    // The orphan's trace holds its two spans.
    let orphans = shows(&ds, one(&r, "trace.orphans", None));
    assert_eq!(orphans.len(), 1);
    assert_eq!(orphans[0].1, 2.0);
}

/// Spans the SDK would not write: a trace with two roots, an event without a service name, a
/// duplicate span id, a child ending after its parent.
fn hand_made() -> DataSet {
    let ids = |v: &[Option<&str>]| Arc::new(StringArray::from(v.to_vec())) as ArrayRef;
    common::dataset(vec![
        ("timestamp", Arc::new(TimestampMillisecondArray::from(vec![1_000, 1_010, 2_000, 2_000, 3_000, 3_005])) as ArrayRef),
        ("duration_ms", Arc::new(Float64Array::from(vec![100.0, 50.0, 10.0, 10.0, 20.0, 40.0]))),
        ("service.name", ids(&[Some("api"), Some("api"), Some("api"), Some("worker"), None, Some("worker")])),
        ("trace.trace_id", ids(&[Some("t1"), Some("t1"), Some("t2"), Some("t2"), Some("t3"), Some("t3")])),
        ("trace.span_id", ids(&[Some("a"), Some("b"), Some("c"), Some("d"), Some("e"), Some("e")])),
        ("trace.parent_id", ids(&[None, Some("a"), None, None, None, Some("e")])),
        ("http.request.method", ids(&[Some("GET"), Some("GETT"), Some("POST"), None, None, None])),
        ("retry.count", Arc::new(Int64Array::from(vec![Some(1), None, None, Some(2), None, Some(3)]))),
    ])
}

#[test]
fn hand_made_defects_are_found() {
    let ds = hand_made();
    let r = evaluate(&ds, None);
    let h = r.health.as_ref().unwrap();
    assert_eq!((h.traces, h.traces_with_several_roots, h.duplicate_span_ids), (3, 1, 1));
    // "e" is its own parent here: the first "e" owns the id, and the second ends after it.
    assert_eq!(h.ends_after_parent, 1);
    let f = one(&r, "service.missing", None);
    assert_eq!(f.events, 1);
    assert_eq!(shows(&ds, f).iter().map(|(_, c)| c).sum::<f64>(), 1.0);
    let f = one(&r, "trace.roots", None);
    assert!(f.message.starts_with("1 traces"), "{}", f.message);
    assert_eq!(shows(&ds, f), vec![(vec![Json::from("t2")], 2.0)]);
    let f = one(&r, "semconv.enum", Some("http.request.method"));
    assert!(f.message.contains("\"GETT\" (1)"), "{}", f.message);
    // Coverage: api sends the method on 3 of 3, worker on 0 of 2.
    let col = r.attributes.iter().position(|a| a == "http.request.method").unwrap();
    let row = |name: &str| r.services.iter().position(|s| s.name == name).unwrap();
    assert_eq!(r.coverage[row("api")][col], 100.0);
    assert_eq!(r.coverage[row("worker")][col], 0.0);
    assert!((r.coverage[0][col] - 50.0).abs() < 1e-9);
    // Without a service column, one finding says so.
    let bare = common::dataset(vec![("x", Arc::new(Int64Array::from(vec![1, 2])) as ArrayRef)]);
    let r = evaluate(&bare, None);
    assert_eq!(one(&r, "service.missing", None).events, 2);
    assert!(r.health.is_none());
}

#[test]
fn distinct_values_are_exact_to_the_bound_then_estimated() {
    for n in [5_000usize, 200_000] {
        let vals: Vec<String> = (0..n).map(|i| format!("user-{i}")).collect();
        let ints: Vec<i64> = (0..n as i64).map(|i| i % 7_000).collect();
        let ds = common::dataset(vec![
            ("user", Arc::new(StringArray::from(vals.iter().map(String::as_str).collect::<Vec<_>>())) as ArrayRef),
            ("bucket", Arc::new(Int64Array::from(ints))),
        ]);
        let r = evaluate(&ds, None);
        let user = r.columns.iter().find(|c| c.name == "user").unwrap();
        let bucket = r.columns.iter().find(|c| c.name == "bucket").unwrap();
        assert_eq!((bucket.distinct, bucket.exact), (7_000.min(n) as u64, true));
        if n <= apiary::quality::cardinality::EXACT_BOUND {
            assert_eq!((user.distinct, user.exact), (n as u64, true));
        } else {
            assert!(!user.exact);
            let err = (user.distinct as f64 - n as f64).abs() / n as f64;
            assert!(err < 0.03, "estimate {} for {n}", user.distinct);
        }
        // One value per event: an id.
        assert!(user.id_like && !user.bubbleup);
    }
}

#[test]
fn conventions_files_with_mistakes_say_where() {
    let e = Conventions::parse("{\"required\": [{\"attributes\": []}]}").unwrap_err().to_string();
    assert!(e.contains("required[0]"), "{e}");
    let e = Conventions::parse("{\"attributes\": {\"x\": {\"type\": \"str\"}}}").unwrap_err().to_string();
    assert!(e.contains("attributes.x.type"), "{e}");
    let e = Conventions::parse("{\"name_pattern\": \"(\"}").unwrap_err().to_string();
    assert!(e.contains("name_pattern"), "{e}");
    let e = Conventions::parse("{\"required\": 3,\n \"nope\": 1}").unwrap_err().to_string();
    assert!(e.contains("line 1"), "{e}");
    let e = Conventions::parse("{\"requird\": []}").unwrap_err().to_string();
    assert!(e.contains("requird"), "{e}");
}

#[test]
fn the_demo_reports_its_deprecated_names() {
    let ds = DataSet::from_batches(apiary::demo::generate(20_000, 7, 8_192)).unwrap();
    let r = evaluate(&ds, None);
    for (old, new) in [("http.method", "http.request.method"), ("http.status_code", "http.response.status_code"), ("db.statement", "db.query.text")] {
        let f = one(&r, "semconv.deprecated", Some(old));
        assert!(f.message.contains(new), "{}", f.message);
    }
    assert!(r.services.len() > 5);
    assert!(r.columns.iter().any(|c| c.name == "user.id" && c.bubbleup), "{:?}", r.columns.iter().filter(|c| c.bubbleup).map(|c| &c.name).collect::<Vec<_>>());
    assert!(r.columns.iter().any(|c| c.name == "trace.span_id" && c.id_like));
}

#[test]
fn trace_health_does_not_depend_on_row_order() {
    let ds = sdk();
    let batches: Vec<_> = ds.batches().iter().flat_map(|b| (0..b.num_rows()).map(move |i| b.slice(i, 1))).collect();
    // Every other row, then the rest: most traces' spans now come in two runs.
    let mixed: Vec<_> = batches.iter().step_by(2).chain(batches.iter().skip(1).step_by(2)).cloned().collect();
    let shuffled = DataSet::from_batches(mixed).unwrap();
    let (a, b) = (evaluate(&ds, None).health.unwrap(), evaluate(&shuffled, None).health.unwrap());
    let counts = |h: &apiary::quality::Health| {
        (h.spans, h.traces, h.orphans, h.traces_with_several_roots, h.traces_without_root, h.duplicate_span_ids, h.starts_before_parent, h.ends_after_parent)
    };
    assert_eq!(counts(&a), counts(&b));
    assert_eq!(counts(&b), (16, 8, 1, 0, 1, 0, 1, 0));
    assert_eq!(a.examples.orphans, b.examples.orphans);
}
