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

use arrow_schema::Fields;
use serde::Serialize;
use serde_json::{json, Value as Json};

pub mod cardinality;
pub mod conventions;
pub mod coverage;
pub mod facts;
pub mod health;
pub mod local;
pub mod registry;
mod semconv;
mod team;
mod values;

pub use conventions::Conventions;
pub use coverage::Allowed;
pub use facts::Facts;
pub use local::Local;
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
    /// Why there is no trace health.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub health_note: Option<String>,
    /// Errors first, then warnings, then notes; most events first.
    pub findings: Vec<Finding>,
}

/// Service column names, in the order they are looked for.
pub const SERVICE_COLUMNS: [&str; 4] = ["service.name", "serviceName", "service_name", "service"];

/// The service column of `ds`, if it has one.
pub fn service_column(ds: &DataSet) -> Option<usize> {
    SERVICE_COLUMNS.iter().find_map(|n| ds.column_index(n))
}

/// Columns that are the event's shape rather than its attributes: the time, the sample rate, the
/// span fields, Honeycomb's `meta.*`, and the service column.
pub fn intrinsic(ds: &DataSet) -> Vec<bool> {
    let spans = SpanColumns::detect(ds).ok();
    let mut names: Vec<&str> = vec!["span.kind", "status.code", "status.message", "library.name", "library.version", "error", "name", "duration_ms"];
    names.extend(ds.time_column());
    names.extend(ds.sample_rate_column());
    if let Some(s) = &spans {
        names.extend([s.trace_id.as_str(), s.span_id.as_str()]);
        names.extend(s.parent_id.as_deref());
        names.extend(s.duration.as_ref().map(|d| d.0.as_str()));
        names.extend(s.name.as_deref());
        names.extend(s.error.as_deref());
        names.extend(s.events.as_deref());
        names.extend(s.links.as_deref());
        names.extend(s.annotation.as_deref());
    }
    let service = service_column(ds);
    ds.schema().fields().iter().enumerate().map(|(i, f)| Some(i) == service || names.contains(&f.name().as_str()) || f.name().starts_with("meta.")).collect()
}

/// The text checks a report makes (column, what it allows): string enums of the registry and
/// the conventions' allowed values. A store is asked for these ahead.
pub fn value_checks(ds: &DataSet, conventions: Option<&Conventions>) -> Vec<(usize, Allowed)> {
    let registry = Registry::pinned();
    let skip = intrinsic(ds);
    let service = service_column(ds);
    let fields = ds.schema().fields();
    let mut out = Vec::new();
    for (c, f) in fields.iter().enumerate() {
        if skip[c] && Some(c) != service {
            continue;
        }
        if let Some(ok) = registry.find(f.name()).and_then(|found| semconv::allowed(found.attribute, Kind::of(f.data_type()))) {
            out.push((c, ok));
        }
    }
    for (name, rule) in conventions.map(|c| &c.attributes).into_iter().flatten() {
        let Some(c) = ds.column_index(name) else { continue };
        if let Some(ok) = rule.allowed().filter(|_| Kind::of(fields[c].data_type()) == Kind::Str) {
            out.push((c, ok));
        }
    }
    out
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

/// What every check reads: the facts, the tally, services in order, the attributes.
struct Cx<'a> {
    facts: &'a dyn Facts,
    tally: &'a Tally<'a>,
    /// Service indexes with events, most events first.
    order: Vec<usize>,
    fields: &'a Fields,
    service_col: Option<usize>,
    /// Attribute columns some event carries.
    attrs: Vec<usize>,
    /// Mixed columns' kinds of value per service.
    mixed: BTreeMap<usize, Vec<[u64; 4]>>,
    range: Option<(i64, i64)>,
}

impl Cx<'_> {
    /// A query over all the data's time: `filters`, grouped by `breakdowns`, COUNT.
    fn query(&self, filters: Vec<Json>, breakdowns: Vec<&str>) -> Json {
        let mut q = json!({ "calculations": [{ "op": "COUNT" }], "filters": filters, "breakdowns": breakdowns, "orders": [{ "op": "COUNT", "order": "descending" }], "limit": 100 });
        if let Some((lo, hi)) = self.range {
            q["start_time"] = json!(lo.div_euclid(1000));
            q["end_time"] = json!(hi.div_euclid(1000) + 1);
        }
        q
    }
    fn carriers(&self, c: usize) -> Vec<usize> {
        self.order.iter().copied().filter(|&s| self.tally.present[c][s] > 0).collect()
    }
    fn events(&self, c: usize) -> u64 {
        self.tally.present[c].iter().sum()
    }
    fn names(&self, services: &[usize]) -> Vec<String> {
        services.iter().map(|&s| self.tally.services[s].clone()).collect()
    }
    /// Services in words: "checkout, payments and 3 more".
    fn named(&self, services: &[usize]) -> String {
        let names: Vec<&str> = services.iter().map(|&s| self.tally.services[s].as_str()).collect();
        match names.len() {
            0 => String::new(),
            1..=3 => names.join(", "),
            n => format!("{} and {} more", names[..3].join(", "), n - 3),
        }
    }
    fn service_name(&self) -> Option<&str> {
        self.service_col.map(|s| self.fields[s].name().as_str())
    }
    /// Group by the service, then by column `c`.
    fn by_service(&self, c: usize) -> Vec<&str> {
        let mut b: Vec<&str> = self.service_name().into_iter().collect();
        if !b.contains(&self.fields[c].name().as_str()) {
            b.push(self.fields[c].name());
        }
        b
    }

    /// A finding about column `c`, sent by `services`, with the query that shows its events by
    /// service and value: those carrying it, `more` filters ANDed.
    #[allow(clippy::too_many_arguments)]
    fn about(&self, c: usize, check: &'static str, severity: Severity, services: &[usize], events: u64, message: String, more: Vec<Json>) -> Finding {
        let name = self.fields[c].name();
        let filters = std::iter::once(exists(name)).chain(more).collect();
        Finding { check, severity, attribute: Some(name.clone()), services: self.names(services), message, events, query: self.query(filters, self.by_service(c)) }
    }

    /// Column `c`'s values that `ok` refuses, as a finding (`None` when none are); the services
    /// that send them are marked in `fails`. `message` says it, given the values in words.
    fn refused(&self, c: usize, ok: &Allowed, check: &'static str, severity: Severity, fails: &mut [bool], message: impl FnOnce(String) -> String) -> Option<Finding> {
        let (per_service, bad) = self.facts.bad_values(c, ok).filter(|(_, bad)| !bad.is_empty())?;
        let offenders: Vec<usize> = self.order.iter().copied().filter(|&s| per_service[s] > 0).collect();
        offenders.iter().for_each(|&s| fails[s] = true);
        let not_in = ok.values.iter().map(|values| json!({ "column": self.fields[c].name(), "op": "not-in", "value": values })).collect();
        Some(self.about(c, check, severity, &offenders, per_service.iter().sum(), message(some_values(&bad)), not_in))
    }
}

/// The quality report of the loaded events, against the pinned registry and, when given, the
/// team's conventions.
pub fn evaluate(ds: &DataSet, conventions: Option<&Conventions>) -> Report {
    report(&Local::new(ds, service_column(ds)), conventions)
}

/// The quality report from `facts` (the tab's events, or a store's answers).
pub fn report(facts: &dyn Facts, conventions: Option<&Conventions>) -> Report {
    let registry = Registry::pinned();
    let ds = facts.data();
    let tally = facts.tally();
    let service_col = service_column(ds);
    let spans = SpanColumns::detect(ds).ok();
    let order = tally.order();
    let real: Vec<usize> = order.iter().copied().filter(|&s| s != 0 || service_col.is_none()).collect();
    let n = tally.services.len();
    let skip = intrinsic(ds);
    let fields = ds.schema().fields();
    let total_events: u64 = tally.events.iter().sum();
    let mut findings = Vec::new();
    let attrs: Vec<usize> = (0..fields.len()).filter(|&c| !skip[c] && tally.present[c].iter().any(|&p| p > 0)).collect();
    let mixed = (0..fields.len()).filter(|&c| is_mixed(&fields[c])).filter_map(|c| Some((c, facts.mixed_kinds(c)?))).collect();
    let cx = Cx { facts, tally, order, fields, service_col, attrs, mixed, range: facts.time_range() };

    // Coverage: attributes most services send and some lack.
    if real.len() >= 3 {
        for &c in &cx.attrs {
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
                    query: cx.query(vec![exists(name)], cx.service_name().into_iter().collect()),
                });
            }
        }
    }

    let mut sem = Score::new(n);
    semconv::check(&cx, &mut findings, &mut sem);
    mixed_types(&cx, &mut findings);
    let mut conv = Score::new(n);
    if let Some(cv) = conventions {
        team::check(&cx, cv, &mut findings, &mut conv);
    }
    let health = facts.health();
    if let (Some(h), Some(cols)) = (&health, &spans) {
        trace_findings(&cx, h, cols, &mut findings);
    }
    match service_col {
        None if total_events > 0 => findings.push(Finding {
            check: "service.missing",
            severity: Severity::Error,
            attribute: Some("service.name".into()),
            services: Vec::new(),
            message: "no event has a service.name: nothing can be told apart by service".into(),
            events: total_events,
            query: cx.query(Vec::new(), Vec::new()),
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
                query: cx.query(vec![json!({ "column": fields[sc].name(), "op": "does-not-exist" })], group),
            });
        }
        _ => {}
    }
    findings.sort_by(|a, b| a.severity.cmp(&b.severity).then(b.events.cmp(&a.events)).then_with(|| a.message.cmp(&b.message)));

    // The grid: attributes by overall coverage.
    let mut grid_attrs = cx.attrs.clone();
    let overall = |c: usize| tally.present[c].iter().sum::<u64>();
    grid_attrs.sort_by(|&a, &b| overall(b).cmp(&overall(a)).then_with(|| fields[a].name().cmp(fields[b].name())));
    let row = |s: Option<usize>| -> Vec<f64> {
        grid_attrs.iter().map(|&c| match s {
            Some(s) => pct(tally.present[c][s], tally.events[s]),
            None => pct(overall(c), total_events),
        }).collect()
    };
    let sent = |s: Option<usize>| -> (usize, f64) {
        let carried: Vec<f64> = grid_attrs.iter().filter_map(|&c| {
            let (p, e) = match s { Some(s) => (tally.present[c][s], tally.events[s]), None => (overall(c), total_events) };
            (p > 0).then(|| pct(p, e))
        }).collect();
        let mean = if carried.is_empty() { 0.0 } else { carried.iter().sum::<f64>() / carried.len() as f64 };
        (carried.len(), mean)
    };
    let finding_count = |name: &str| findings.iter().filter(|f| f.services.iter().any(|s| s == name)).count();
    let mut coverage = vec![row(None)];
    let (a, cov) = sent(None);
    let mut services = vec![ServiceReport { name: "all services".into(), events: total_events, attributes: a, coverage: cov, semconv: sem.total(), conventions: conv.total(), findings: findings.len() }];
    for &s in &cx.order {
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
    let columns = columns(&cx, &skip, health.as_ref(), spans.as_ref(), total_events);
    Report {
        events: total_events,
        semconv_version: registry.version.clone(),
        conventions: conventions.map(|c| c.label().to_string()),
        service_column: cx.service_name().map(String::from),
        services,
        attributes: grid_attrs.iter().map(|&c| fields[c].name().clone()).collect(),
        coverage,
        columns,
        health_note: match (&health, &spans) {
            (Some(_), _) => None,
            (None, Some(_)) => Some("Trace health reads the spans themselves: bring the events into the tab to see it.".into()),
            (None, None) => Some("No trace and span id columns: these events are not spans.".into()),
        },
        health,
        findings,
    }
}

/// One attribute, several types across services.
fn mixed_types(cx: &Cx, findings: &mut Vec<Finding>) {
    for (&c, kinds) in &cx.mixed {
        let name = cx.fields[c].name();
        let mut parts = Vec::new();
        for &s in &cx.order {
            let ks: Vec<&str> = MIXED_KINDS.iter().enumerate().filter(|(k, _)| kinds[s][*k] > 0).map(|(_, k)| k.name()).collect();
            if !ks.is_empty() {
                parts.push(format!("{} in {}", ks.join(" and "), cx.tally.services[s]));
            }
        }
        let held = held_kinds(&cx.fields[c]).iter().map(|k| k.name()).collect::<Vec<_>>().join(" and ");
        findings.push(cx.about(c, "mixed_types", Severity::Warning, &cx.carriers(c), cx.events(c), format!("{name} was sent as {held} values: {}", parts.join("; ")), Vec::new()));
    }
}

fn trace_findings(cx: &Cx, h: &Health, cols: &SpanColumns, findings: &mut Vec<Finding>) {
    let traces = |ids: &[String]| cx.query(vec![json!({ "column": cols.trace_id, "op": "in", "value": ids })], vec![cols.trace_id.as_str()]);
    let per = |v: &[u64]| -> Vec<String> { cx.order.iter().copied().filter(|&s| v[s] > 0).map(|s| cx.tally.services[s].clone()).collect() };
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
            query: cx.query(Vec::new(), vec![cols.span_id.as_str()]),
        });
    }
}

/// Distinct values per column, ids, and the columns BubbleUp reads best.
fn columns(cx: &Cx, skip: &[bool], health: Option<&Health>, spans: Option<&SpanColumns>, total_events: u64) -> Vec<ColumnReport> {
    let mut columns: Vec<ColumnReport> = Vec::with_capacity(cx.fields.len());
    for (c, f) in cx.fields.iter().enumerate() {
        let present = cx.events(c);
        let kind = Kind::of(f.data_type());
        // Trace health has counted the ids (per trace: a span id two traces share counts twice).
        let from_health = health.zip(spans).and_then(|(h, s)| {
            let i = [Some(&s.trace_id), Some(&s.span_id), s.parent_id.as_ref()].iter().position(|n| n.is_some_and(|n| n == f.name()))?;
            Some([(h.traces, true), (h.spans - h.duplicate_span_ids, false), (h.parents, false)][i])
        });
        let (distinct, exact) = from_health.unwrap_or_else(|| cx.facts.distinct(c));
        let lower = f.name().to_ascii_lowercase();
        let id_name = lower.ends_with(".id") || lower.ends_with("_id") || lower.ends_with("id") && lower.len() > 2 && f.name().ends_with("Id");
        let id_like = present >= 100
            && matches!(kind, Kind::Str | Kind::Int)
            && (distinct as f64 >= 0.9 * present as f64 || id_name && distinct as f64 >= 0.05 * present as f64 && cx.facts.looks_like_ids(c));
        columns.push(ColumnReport { name: f.name().clone(), kind: kind.name(), present: pct(present, total_events), distinct, exact, id_like, bubbleup: false });
    }
    let mut candidates: Vec<usize> = (0..columns.len())
        .filter(|&c| !skip[c] && !columns[c].id_like && columns[c].kind == "string" && columns[c].distinct >= 10 && cx.events(c) >= 2 * columns[c].distinct)
        .collect();
    candidates.sort_by(|&a, &b| columns[b].distinct.cmp(&columns[a].distinct).then_with(|| columns[a].name.cmp(&columns[b].name)));
    for &c in candidates.iter().take(8) {
        columns[c].bubbleup = true;
    }
    columns
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
