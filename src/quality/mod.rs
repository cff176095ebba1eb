//! Telemetry quality: how good the instrumentation is, service by service.
//!
//! [`evaluate`] reads the loaded events once per check and reports, per `service.name` and
//! overall: field coverage (the share of events carrying each attribute; attributes most
//! services send and one lacks), conformance to OpenTelemetry's semantic conventions (the pinned
//! [`registry`]: unknown names in its namespaces, deprecated names and their replacements, types,
//! enum values), conformance to the team's own [`conventions`], distinct values per column (exact
//! up to a bound, estimated past it; columns that look like ids; the high-cardinality columns
//! BubbleUp reads best), and trace [`health`]. Every finding carries the query that shows it.

use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::{json, Value as Json};

pub mod cardinality;
pub mod conventions;
pub mod coverage;
pub mod health;
pub mod registry;
mod values;

pub use conventions::Conventions;
pub use health::Health;
pub use registry::Registry;

use crate::dataset::DataSet;
use crate::ingest::ndjson::is_mixed;
use crate::query::column::Kind;
use crate::trace::SpanColumns;
use coverage::{Tally, MIXED_KINDS, NO_SERVICE};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Error,
    Warning,
    Info,
}

/// One thing to fix (or know), with the query that shows it.
#[derive(Debug, Clone, Serialize)]
pub struct Finding {
    /// Which check: `coverage`, `semconv.deprecated`, `semconv.type`, `semconv.enum`,
    /// `semconv.namespace`, `conventions.required`, `conventions.name`, `conventions.type`,
    /// `conventions.values`, `mixed_types`, `trace.orphans`, `trace.roots`, `trace.no_root`,
    /// `trace.skew`, `trace.ends_after_parent`, `trace.duplicate_ids`, `service.missing`.
    pub check: &'static str,
    pub severity: Severity,
    /// The attribute (column) it is about.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub attribute: Option<String>,
    /// The services it concerns (empty: all, or none in particular).
    pub services: Vec<String>,
    pub message: String,
    /// Events it concerns.
    pub events: u64,
    /// A Honeycomb query that shows it.
    pub query: Json,
}

/// One service's standing (or all services').
#[derive(Debug, Clone, Serialize)]
pub struct ServiceReport {
    pub name: String,
    pub events: u64,
    /// Attributes it sends (on any event).
    pub attributes: usize,
    /// Mean share of its events carrying the attributes it sends, in percent.
    pub coverage: f64,
    /// Of the registry's attributes it sends, the percentage that conform (name current, type,
    /// values); `None` when it sends none.
    pub semconv: Option<f64>,
    /// Of the team conventions' checks that apply to it, the percentage passed.
    pub conventions: Option<f64>,
    pub findings: usize,
}

/// A column's distinct values.
#[derive(Debug, Clone, Serialize)]
pub struct ColumnReport {
    pub name: String,
    #[serde(rename = "type")]
    pub kind: &'static str,
    /// Share of events carrying it, in percent.
    pub present: f64,
    pub distinct: u64,
    /// False when estimated (past [`cardinality::EXACT_BOUND`]).
    pub exact: bool,
    /// Nearly one value per event, or an id by name with many values.
    pub id_like: bool,
    /// A high-cardinality dimension whose values repeat: what BubbleUp compares best.
    pub bubbleup: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub events: u64,
    /// The semantic conventions version checked against.
    pub semconv_version: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub conventions: Option<String>,
    pub service_column: Option<String>,
    /// All services first (`name`: "all services"), then each, most events first.
    pub services: Vec<ServiceReport>,
    /// The coverage grid's attributes (most covered first) and, per row of `services`, the
    /// share of its events carrying each, in percent.
    pub attributes: Vec<String>,
    pub coverage: Vec<Vec<f64>>,
    pub columns: Vec<ColumnReport>,
    pub health: Option<Health>,
    /// Errors first, then warnings, then notes; most events first.
    pub findings: Vec<Finding>,
}

/// Service column names, in the order they are looked for.
const SERVICE_COLUMNS: [&str; 4] = ["service.name", "serviceName", "service_name", "service"];

/// Columns that are the event's shape rather than its attributes: the time, the sample rate, the
/// span fields, Honeycomb's `meta.*`.
fn intrinsic(ds: &DataSet, spans: Option<&SpanColumns>) -> Vec<bool> {
    let mut names: Vec<&str> = vec!["span.kind", "status.code", "status.message", "library.name", "library.version", "error", "name", "duration_ms"];
    names.extend(ds.time_column());
    names.extend(ds.sample_rate_column());
    if let Some(s) = spans {
        names.extend([s.trace_id.as_str(), s.span_id.as_str()]);
        names.extend(s.parent_id.as_deref());
        names.extend(s.duration.as_ref().map(|d| d.0.as_str()));
        names.extend(s.name.as_deref());
        names.extend(s.error.as_deref());
        names.extend(s.events.as_deref());
        names.extend(s.links.as_deref());
        names.extend(s.annotation.as_deref());
    }
    ds.schema().fields().iter().map(|f| names.contains(&f.name().as_str()) || f.name().starts_with("meta.")).collect()
}

/// A query over all the data's time: `filters`, grouped by `breakdowns`, COUNT.
fn query(ds: &DataSet, filters: Vec<Json>, breakdowns: Vec<&str>) -> Json {
    let mut q = json!({ "calculations": [{ "op": "COUNT" }], "filters": filters, "breakdowns": breakdowns, "orders": [{ "op": "COUNT", "order": "descending" }], "limit": 100 });
    if let Some((lo, hi)) = ds.time_range() {
        q["start_time"] = json!(lo.div_euclid(1000));
        q["end_time"] = json!(hi.div_euclid(1000) + 1);
    }
    q
}

fn exists(col: &str) -> Json {
    json!({ "column": col, "op": "exists" })
}

fn pct(part: u64, whole: u64) -> f64 {
    if whole == 0 {
        0.0
    } else {
        part as f64 * 100.0 / whole as f64
    }
}

/// Services (by index) in words: "checkout, payments and 3 more".
fn named(tally: &Tally, services: &[usize]) -> String {
    let names: Vec<&str> = services.iter().map(|&s| tally.services[s].as_str()).collect();
    match names.len() {
        0 => String::new(),
        1..=3 => names.join(", "),
        n => format!("{} and {} more", names[..3].join(", "), n - 3),
    }
}

/// Per-service pass/fail counts for a score.
struct Score {
    checked: Vec<u64>,
    passed: Vec<u64>,
}

impl Score {
    fn new(n: usize) -> Score {
        Score { checked: vec![0; n], passed: vec![0; n] }
    }
    fn add(&mut self, s: usize, ok: bool) {
        self.checked[s] += 1;
        self.passed[s] += ok as u64;
    }
    fn of(&self, s: usize) -> Option<f64> {
        (self.checked[s] > 0).then(|| pct(self.passed[s], self.checked[s]))
    }
    fn total(&self) -> Option<f64> {
        let c: u64 = self.checked.iter().sum();
        (c > 0).then(|| pct(self.passed.iter().sum(), c))
    }
}

/// The quality report of the loaded events, against the pinned registry and, when given, the
/// team's conventions.
pub fn evaluate(ds: &DataSet, conventions: Option<&Conventions>) -> Report {
    let registry = Registry::pinned();
    let service_col = SERVICE_COLUMNS.iter().find_map(|n| ds.column_index(n));
    let spans = SpanColumns::detect(ds).ok();
    let tally = Tally::of(ds, service_col);
    let order = tally.order();
    let real: Vec<usize> = order.iter().copied().filter(|&s| s != 0 || service_col.is_none()).collect();
    let n = tally.services.len();
    let mut skip = intrinsic(ds, spans.as_ref());
    let fields = ds.schema().fields();
    let total_events = ds.num_rows() as u64;
    let mut findings = Vec::new();
    let carriers = |c: usize| -> Vec<usize> { order.iter().copied().filter(|&s| tally.present[c][s] > 0).collect() };

    // Coverage: attributes most services send and some lack.
    if let Some(sc) = service_col {
        skip[sc] = true;
    }
    let attrs: Vec<usize> = (0..fields.len()).filter(|&c| !skip[c] && tally.present[c].iter().any(|&p| p > 0)).collect();
    if real.len() >= 3 {
        for &c in &attrs {
            let have: Vec<usize> = real.iter().copied().filter(|&s| tally.present[c][s] > 0).collect();
            if have.len() < 2 || have.len() * 5 < real.len() * 3 || have.len() == real.len() {
                continue;
            }
            let name = fields[c].name();
            for &s in real.iter().filter(|&&s| tally.present[c][s] == 0) {
                findings.push(Finding {
                    check: "coverage",
                    severity: Severity::Warning,
                    attribute: Some(name.clone()),
                    services: vec![tally.services[s].clone()],
                    message: format!("{} sends no {name}, which {} of {} services send", tally.services[s], have.len(), real.len()),
                    events: tally.events[s],
                    query: query(ds, vec![exists(name)], vec![ds.schema().field(service_col.unwrap_or(c)).name()]),
                });
            }
        }
    }
    let by_service = |c: usize| -> Vec<&str> {
        let mut b: Vec<&str> = service_col.map(|s| fields[s].name().as_str()).into_iter().collect();
        if !b.contains(&fields[c].name().as_str()) {
            b.push(fields[c].name());
        }
        b
    };
    let service_name = service_col.map(|s| fields[s].name().as_str());

    // Semantic conventions.
    let mut sem = Score::new(n);
    let mut conv = Score::new(n);
    let mut mixed: BTreeMap<usize, Vec<[u64; 4]>> = BTreeMap::new();
    for c in 0..fields.len() {
        if is_mixed(&fields[c]) {
            if let Some(k) = coverage::mixed_kinds(ds, c, &tally) {
                mixed.insert(c, k);
            }
        }
    }
    for &c in attrs.iter().chain(service_col.iter()) {
        let f = &fields[c];
        let name = f.name();
        let have = carriers(c);
        let events: u64 = tally.present[c].iter().sum();
        let Some(found) = registry.find(name) else {
            if let Some(ns) = registry.namespace_of(name) {
                findings.push(Finding {
                    check: "semconv.namespace",
                    severity: Severity::Info,
                    attribute: Some(name.clone()),
                    services: have.iter().map(|&s| tally.services[s].clone()).collect(),
                    message: format!("{name} is not in semantic conventions {}, though {ns}.* is theirs: a later version may give it another meaning", registry.version),
                    events,
                    query: query(ds, vec![exists(name)], by_service(c)),
                });
            }
            continue;
        };
        let a = found.attribute;
        let mut fails = vec![false; n];
        if a.deprecated.is_some() {
            have.iter().for_each(|&s| fails[s] = true);
            findings.push(Finding {
                check: "semconv.deprecated",
                severity: Severity::Warning,
                attribute: Some(name.clone()),
                services: have.iter().map(|&s| tally.services[s].clone()).collect(),
                message: format!("{name} is deprecated in semantic conventions {}: {} (sent by {})", registry.version, a.replacement(), named(&tally, &have)),
                events,
                query: query(ds, vec![exists(name)], by_service(c)),
            });
        }
        if let Some(expects) = a.expects() {
            let kind = Kind::of(f.data_type());
            let wrong: Vec<usize> = match mixed.get(&c) {
                Some(kinds) => {
                    let by_look: Vec<usize> = have.iter().copied().filter(|&s| MIXED_KINDS.iter().enumerate().any(|(k, kind)| kinds[s][k] > 0 && !expects.contains(kind))).collect();
                    // Text that reads as a number ("200") was sent as text by someone: the
                    // reader noted the types it saw, not who sent which.
                    if by_look.is_empty() && held_kinds(f).iter().any(|k| !expects.contains(k)) { have.clone() } else { by_look }
                }
                None if !expects.contains(&kind) => have.clone(),
                None => Vec::new(),
            };
            if !wrong.is_empty() {
                wrong.iter().for_each(|&s| fails[s] = true);
                let held = if mixed.contains_key(&c) { format!("{} values", held_kinds(f).iter().map(|k| k.name()).collect::<Vec<_>>().join(" and ")) } else { format!("{} values", kind.name()) };
                findings.push(Finding {
                    check: "semconv.type",
                    severity: Severity::Error,
                    attribute: Some(name.clone()),
                    services: wrong.iter().map(|&s| tally.services[s].clone()).collect(),
                    message: format!("{name} should be {} (semantic conventions {}); {} sends {held}", a.type_name(), registry.version, named(&tally, &wrong)),
                    events: wrong.iter().map(|&s| tally.present[c][s]).sum(),
                    query: query(ds, vec![exists(name)], by_service(c)),
                });
            }
        }
        if let Some(members) = a.string_values().filter(|_| Kind::of(f.data_type()) == Kind::Str) {
            if let Some((per_service, bad)) = coverage::bad_values(ds, c, &tally, &|v| members.contains(&v)) {
                if !bad.is_empty() {
                    let offenders: Vec<usize> = order.iter().copied().filter(|&s| per_service[s] > 0).collect();
                    offenders.iter().for_each(|&s| fails[s] = true);
                    findings.push(Finding {
                        check: "semconv.enum",
                        severity: Severity::Warning,
                        attribute: Some(name.clone()),
                        services: offenders.iter().map(|&s| tally.services[s].clone()).collect(),
                        message: format!("{name} has values semantic conventions {} do not list: {}", registry.version, some_values(&bad)),
                        events: per_service.iter().sum(),
                        query: query(ds, vec![exists(name), json!({ "column": name, "op": "not-in", "value": members })], by_service(c)),
                    });
                }
            }
        }
        for &s in &have {
            sem.add(s, !fails[s]);
        }
    }

    // Mixed types across services.
    for (&c, kinds) in &mixed {
        let name = fields[c].name();
        let mut parts = Vec::new();
        for &s in &order {
            let ks: Vec<&str> = MIXED_KINDS.iter().enumerate().filter(|(k, _)| kinds[s][*k] > 0).map(|(_, k)| k.name()).collect();
            if !ks.is_empty() {
                parts.push(format!("{} in {}", ks.join(" and "), tally.services[s]));
            }
        }
        findings.push(Finding {
            check: "mixed_types",
            severity: Severity::Warning,
            attribute: Some(name.clone()),
            services: carriers(c).iter().map(|&s| tally.services[s].clone()).collect(),
            message: format!("{name} was sent as {} values: {}", held_kinds(&fields[c]).iter().map(|k| k.name()).collect::<Vec<_>>().join(" and "), parts.join("; ")),
            events: tally.present[c].iter().sum(),
            query: query(ds, vec![exists(name)], by_service(c)),
        });
    }

    // The team's conventions.
    if let Some(cv) = conventions {
        for rule in &cv.required {
            let (applies, missing) = conventions::required(ds, &tally, rule);
            let when: Vec<String> = rule.when.iter().map(|(k, v)| format!("{k} = {v}")).collect();
            let scope = if when.is_empty() { "events".to_string() } else { format!("events with {}", when.join(" and ")) };
            for (k, attr) in rule.attributes.iter().enumerate() {
                for &s in &order {
                    if applies[s] == 0 {
                        continue;
                    }
                    let miss = missing[k][s];
                    conv.add(s, miss == 0);
                    if miss == 0 {
                        continue;
                    }
                    let mut filters: Vec<Json> = rule.when.iter().map(|(k, v)| json!({ "column": k, "op": "=", "value": v })).collect();
                    if ds.column_index(attr).is_some() {
                        filters.push(json!({ "column": attr, "op": "does-not-exist" }));
                    }
                    if let Some(sn) = service_name {
                        filters.push(if s == 0 { json!({ "column": sn, "op": "does-not-exist" }) } else { json!({ "column": sn, "op": "=", "value": tally.services[s] }) });
                    }
                    let group: Vec<&str> = ["name"].into_iter().filter(|c| ds.column_index(c).is_some()).collect();
                    findings.push(Finding {
                        check: "conventions.required",
                        severity: Severity::Error,
                        attribute: Some(attr.clone()),
                        services: vec![tally.services[s].clone()],
                        message: format!("{}: {} of {} {scope} lack {attr} ({})", tally.services[s], miss, applies[s], cv.label()),
                        events: miss,
                        query: query(ds, filters, group),
                    });
                }
            }
        }
        if let Some(p) = &cv.name_pattern {
            if let Ok(re) = regex_lite::Regex::new(p) {
                for &c in &attrs {
                    let name = fields[c].name();
                    let ok = re.is_match(name);
                    let have = carriers(c);
                    have.iter().for_each(|&s| conv.add(s, ok));
                    if !ok {
                        findings.push(Finding {
                            check: "conventions.name",
                            severity: Severity::Warning,
                            attribute: Some(name.clone()),
                            services: have.iter().map(|&s| tally.services[s].clone()).collect(),
                            message: format!("{name} does not match the name pattern {p} ({}; sent by {})", cv.label(), named(&tally, &have)),
                            events: tally.present[c].iter().sum(),
                            query: query(ds, vec![exists(name)], by_service(c)),
                        });
                    }
                }
            }
        }
        for (name, rule) in &cv.attributes {
            let Some(c) = ds.column_index(name) else { continue };
            let have = carriers(c);
            let mut fails = vec![false; n];
            let kind = Kind::of(fields[c].data_type());
            if let Some(expects) = rule.expects().filter(|e| !e.contains(&kind)) {
                let _ = expects;
                have.iter().for_each(|&s| fails[s] = true);
                findings.push(Finding {
                    check: "conventions.type",
                    severity: Severity::Error,
                    attribute: Some(name.clone()),
                    services: have.iter().map(|&s| tally.services[s].clone()).collect(),
                    message: format!("{name} should be {} ({}); it holds {} values", rule.kind.as_deref().unwrap_or(""), cv.label(), kind.name()),
                    events: tally.present[c].iter().sum(),
                    query: query(ds, vec![exists(name)], by_service(c)),
                });
            }
            if (!rule.values.is_empty() || rule.pattern.is_some()) && kind == Kind::Str {
                let re = rule.pattern.as_deref().and_then(|p| regex_lite::Regex::new(p).ok());
                let allows = rule.allows(re.as_ref());
                if let Some((per_service, bad)) = coverage::bad_values(ds, c, &tally, &allows) {
                    if !bad.is_empty() {
                        let offenders: Vec<usize> = order.iter().copied().filter(|&s| per_service[s] > 0).collect();
                        offenders.iter().for_each(|&s| fails[s] = true);
                        let mut filters = vec![exists(name)];
                        if !rule.values.is_empty() {
                            filters.push(json!({ "column": name, "op": "not-in", "value": rule.values }));
                        }
                        findings.push(Finding {
                            check: "conventions.values",
                            severity: Severity::Error,
                            attribute: Some(name.clone()),
                            services: offenders.iter().map(|&s| tally.services[s].clone()).collect(),
                            message: format!("{name} has values {} does not allow: {}", cv.label(), some_values(&bad)),
                            events: per_service.iter().sum(),
                            query: query(ds, filters, by_service(c)),
                        });
                    }
                }
            }
            for &s in &have {
                conv.add(s, !fails[s]);
            }
        }
    }

    // Trace health.
    let health = health::check(ds, &tally);
    if let (Some(h), Some(cols)) = (&health, &spans) {
        let traces = |ids: &[String]| query(ds, vec![json!({ "column": cols.trace_id, "op": "in", "value": ids })], vec![cols.trace_id.as_str()]);
        let per = |v: &[u64]| -> Vec<String> { order.iter().copied().filter(|&s| v[s] > 0).map(|s| tally.services[s].clone()).collect() };
        let mut add = |check, severity, count: u64, services: Vec<String>, message: String, ids: &[String]| {
            if count > 0 {
                findings.push(Finding { check, severity, attribute: None, services, message, events: count, query: traces(ids) });
            }
        };
        add("trace.orphans", Severity::Warning, h.orphans, per(&h.per_service.orphans),
            format!("{} spans name a parent no span here has (their parent's service may not send spans, or drops them)", h.orphans), &h.examples.orphans);
        add("trace.roots", Severity::Warning, h.traces_with_several_roots, Vec::new(),
            format!("{} traces have more than one root span (a lost trace context)", h.traces_with_several_roots), &h.examples.several_roots);
        add("trace.no_root", Severity::Warning, h.traces_without_root, Vec::new(),
            format!("{} traces have no root span (it was never sent)", h.traces_without_root), &h.examples.without_root);
        add("trace.skew", Severity::Warning, h.starts_before_parent, per(&h.per_service.starts_before),
            format!("{} spans start before their parent: clock skew between hosts", h.starts_before_parent), &h.examples.starts_before);
        add("trace.ends_after_parent", Severity::Info, h.ends_after_parent, per(&h.per_service.ends_after),
            format!("{} spans end after their parent (work it did not wait for, or clock skew)", h.ends_after_parent), &h.examples.ends_after);
        if h.duplicate_span_ids > 0 {
            findings.push(Finding {
                check: "trace.duplicate_ids",
                severity: Severity::Warning,
                attribute: Some(cols.span_id.clone()),
                services: Vec::new(),
                message: format!("{} spans reuse another span's id", h.duplicate_span_ids),
                events: h.duplicate_span_ids,
                query: query(ds, Vec::new(), vec![cols.span_id.as_str()]),
            });
        }
    }
    match service_col {
        None if total_events > 0 => findings.push(Finding {
            check: "service.missing",
            severity: Severity::Error,
            attribute: Some("service.name".into()),
            services: Vec::new(),
            message: "no event has a service.name: nothing can be told apart by service".into(),
            events: total_events,
            query: query(ds, Vec::new(), Vec::new()),
        }),
        Some(sc) if tally.events[0] > 0 => {
            let group: Vec<&str> = ["name"].into_iter().filter(|c| ds.column_index(c).is_some()).collect();
            findings.push(Finding {
                check: "service.missing",
                severity: Severity::Error,
                attribute: Some(fields[sc].name().clone()),
                services: vec![NO_SERVICE.into()],
                message: format!("{} events have no {}", tally.events[0], fields[sc].name()),
                events: tally.events[0],
                query: query(ds, vec![json!({ "column": fields[sc].name(), "op": "does-not-exist" })], group),
            });
        }
        _ => {}
    }

    findings.sort_by(|a, b| a.severity.cmp(&b.severity).then(b.events.cmp(&a.events)).then_with(|| a.message.cmp(&b.message)));

    // The grid: attributes by overall coverage.
    let mut grid_attrs = attrs.clone();
    let overall = |c: usize| tally.present[c].iter().sum::<u64>();
    grid_attrs.sort_by(|&a, &b| overall(b).cmp(&overall(a)).then_with(|| fields[a].name().cmp(fields[b].name())));
    let row = |s: Option<usize>| -> Vec<f64> {
        grid_attrs.iter().map(|&c| match s {
            Some(s) => pct(tally.present[c][s], tally.events[s]),
            None => pct(overall(c), total_events),
        }).collect()
    };
    let mut coverage = vec![row(None)];
    let mut services = Vec::new();
    let finding_count = |name: &str| findings.iter().filter(|f| f.services.iter().any(|s| s == name)).count();
    let sent = |s: Option<usize>| -> (usize, f64) {
        let carried: Vec<f64> = grid_attrs.iter().filter_map(|&c| {
            let (p, e) = match s { Some(s) => (tally.present[c][s], tally.events[s]), None => (overall(c), total_events) };
            (p > 0).then(|| pct(p, e))
        }).collect();
        let mean = if carried.is_empty() { 0.0 } else { carried.iter().sum::<f64>() / carried.len() as f64 };
        (carried.len(), mean)
    };
    let (a, cov) = sent(None);
    services.push(ServiceReport { name: "all services".into(), events: total_events, attributes: a, coverage: cov, semconv: sem.total(), conventions: conv.total(), findings: findings.len() });
    for &s in &order {
        let (a, cov) = sent(Some(s));
        services.push(ServiceReport {
            name: tally.services[s].clone(),
            events: tally.events[s],
            attributes: a,
            coverage: cov,
            semconv: sem.of(s),
            conventions: conv.of(s),
            findings: finding_count(&tally.services[s]),
        });
        coverage.push(row(Some(s)));
    }

    // Distinct values per column.
    let mut columns: Vec<ColumnReport> = Vec::with_capacity(fields.len());
    for (c, f) in fields.iter().enumerate() {
        let present = overall(c);
        let kind = Kind::of(f.data_type());
        // Trace health has counted the ids (per trace: a span id two traces share counts twice).
        let from_health = health.as_ref().zip(spans.as_ref()).and_then(|(h, s)| {
            let i = [Some(&s.trace_id), Some(&s.span_id), s.parent_id.as_ref()].iter().position(|n| n.is_some_and(|n| n == f.name()))?;
            Some([(h.traces, true), (h.spans - h.duplicate_span_ids, false), (h.parents, false)][i])
        });
        let (distinct, exact) = from_health.unwrap_or_else(|| cardinality::distinct(ds, c));
        let lower = f.name().to_ascii_lowercase();
        let id_name = lower.ends_with(".id") || lower.ends_with("_id") || lower.ends_with("id") && lower.len() > 2 && f.name().ends_with("Id");
        let id_like = present >= 100 && matches!(kind, Kind::Str | Kind::Int)
            && (distinct as f64 >= 0.9 * present as f64 || id_name && distinct as f64 >= 0.05 * present as f64 && values_look_like_ids(ds, c));
        columns.push(ColumnReport { name: f.name().clone(), kind: kind.name(), present: pct(present, total_events), distinct, exact, id_like, bubbleup: false });
    }
    let mut candidates: Vec<usize> = (0..columns.len())
        .filter(|&c| !skip[c] && !columns[c].id_like && columns[c].kind == "string" && columns[c].distinct >= 10 && overall(c) >= 2 * columns[c].distinct)
        .collect();
    candidates.sort_by(|&a, &b| columns[b].distinct.cmp(&columns[a].distinct).then_with(|| columns[a].name.cmp(&columns[b].name)));
    for &c in candidates.iter().take(8) {
        columns[c].bubbleup = true;
    }

    Report {
        events: total_events,
        semconv_version: registry.version.clone(),
        conventions: conventions.map(|c| c.label().to_string()),
        service_column: service_name.map(String::from),
        services,
        attributes: grid_attrs.iter().map(|&c| fields[c].name().clone()).collect(),
        coverage,
        columns,
        health,
        findings,
    }
}

/// Whether a string column's first values are hex or UUID text of at least 16 characters (trace
/// and span ids, request ids), as opposed to ids people read (`u-123`, emails).
fn values_look_like_ids(ds: &DataSet, col: usize) -> bool {
    let Some(b) = ds.batches().first() else { return false };
    let Some(s) = crate::query::column::strings(b.column(col)) else { return false };
    let sample: Vec<&str> = (0..b.num_rows()).filter_map(|i| s.get(i)).take(50).collect();
    !sample.is_empty() && sample.iter().all(|v| v.len() >= 16 && v.bytes().all(|c| c.is_ascii_hexdigit() || c == b'-'))
}

/// The kinds of value a mixed column's reader saw (its field metadata).
fn held_kinds(f: &arrow_schema::Field) -> Vec<Kind> {
    let seen = f.metadata().get(crate::ingest::ndjson::MIXED_TYPES_KEY).map_or("", String::as_str);
    seen.split(',')
        .filter_map(|k| Some(match k {
            "boolean" => Kind::Bool,
            "integer" => Kind::Int,
            "float" => Kind::Float,
            "string" => Kind::Str,
            _ => return None,
        }))
        .collect()
}

/// The first few values with their counts: "mysql8 (120), GETT (3) and 2 more".
fn some_values(bad: &[(String, u64)]) -> String {
    let shown: Vec<String> = bad.iter().take(5).map(|(v, n)| format!("{v:?} ({n})")).collect();
    if bad.len() > 5 {
        format!("{} and {} more", shown.join(", "), bad.len() - 5)
    } else {
        shown.join(", ")
    }
}
