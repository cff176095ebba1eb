//! The team's conventions' findings (`conventions` reads the file and counts): required
//! attributes per service, the name pattern, types, allowed values; and each service's score.

use serde_json::{json, Value as Json};

use super::conventions::Conventions;
use super::{exists, some_values, Cx, Finding, Score, Severity};
use crate::query::column::Kind;

/// The team's conventions' findings, and each service's conformance.
pub(super) fn check(cx: &Cx, cv: &Conventions, findings: &mut Vec<Finding>, score: &mut Score) {
    let ds = cx.facts.data();
    let label = cv.label();
    for rule in &cv.required {
        let (applies, missing) = cx.facts.required(rule);
        let when: Vec<String> = rule.when.iter().map(|(k, v)| format!("{k} = {v}")).collect();
        let scope = if when.is_empty() { "events".to_string() } else { format!("events with {}", when.join(" and ")) };
        for (k, attr) in rule.attributes.iter().enumerate() {
            for &s in &cx.order {
                if applies[s] == 0 {
                    continue;
                }
                let miss = missing[k][s];
                score.add(s, miss == 0);
                if miss == 0 {
                    continue;
                }
                let mut filters: Vec<Json> = rule.when.iter().map(|(k, v)| json!({ "column": k, "op": "=", "value": v })).collect();
                if ds.column_index(attr).is_some() {
                    filters.push(json!({ "column": attr, "op": "does-not-exist" }));
                }
                if let Some(sn) = cx.service_name() {
                    filters.push(if s == 0 { json!({ "column": sn, "op": "does-not-exist" }) } else { json!({ "column": sn, "op": "=", "value": cx.tally.services[s] }) });
                }
                let group: Vec<&str> = ["name"].into_iter().filter(|c| ds.column_index(c).is_some()).collect();
                findings.push(Finding {
                    check: "conventions.required",
                    severity: Severity::Error,
                    attribute: Some(attr.clone()),
                    services: vec![cx.tally.services[s].clone()],
                    message: format!("{}: {} of {} {scope} lack {attr} ({label})", cx.tally.services[s], miss, applies[s]),
                    events: miss,
                    query: cx.query(filters, group),
                });
            }
        }
    }
    if let Some(re) = cv.name_pattern.as_deref().and_then(|p| regex_lite::Regex::new(p).ok()) {
        for &c in &cx.attrs {
            let name = cx.fields[c].name();
            let ok = re.is_match(name);
            let have = cx.carriers(c);
            have.iter().for_each(|&s| score.add(s, ok));
            if !ok {
                findings.push(Finding {
                    check: "conventions.name",
                    severity: Severity::Warning,
                    attribute: Some(name.clone()),
                    services: cx.names(&have),
                    message: format!("{name} does not match the name pattern {} ({label}; sent by {})", re.as_str(), cx.named(&have)),
                    events: cx.events(c),
                    query: cx.query(vec![exists(name)], cx.by_service(c)),
                });
            }
        }
    }
    for (name, rule) in &cv.attributes {
        let Some(c) = ds.column_index(name) else { continue };
        let have = cx.carriers(c);
        let mut fails = vec![false; cx.tally.services.len()];
        let kind = Kind::of(cx.fields[c].data_type());
        if rule.expects().is_some_and(|e| !e.contains(&kind)) {
            have.iter().for_each(|&s| fails[s] = true);
            findings.push(Finding {
                check: "conventions.type",
                severity: Severity::Error,
                attribute: Some(name.clone()),
                services: cx.names(&have),
                message: format!("{name} should be {} ({label}); it holds {} values", rule.kind.as_deref().unwrap_or(""), kind.name()),
                events: cx.events(c),
                query: cx.query(vec![exists(name)], cx.by_service(c)),
            });
        }
        if let Some(ok) = rule.allowed().filter(|_| kind == Kind::Str) {
            if let Some((per_service, bad)) = cx.facts.bad_values(c, &ok).filter(|(_, bad)| !bad.is_empty()) {
                let offenders: Vec<usize> = cx.order.iter().copied().filter(|&s| per_service[s] > 0).collect();
                offenders.iter().for_each(|&s| fails[s] = true);
                let mut filters = vec![exists(name)];
                if let Some(values) = &ok.values {
                    filters.push(json!({ "column": name, "op": "not-in", "value": values }));
                }
                findings.push(Finding {
                    check: "conventions.values",
                    severity: Severity::Error,
                    attribute: Some(name.clone()),
                    services: cx.names(&offenders),
                    message: format!("{name} has values {label} does not allow: {}", some_values(&bad)),
                    events: per_service.iter().sum(),
                    query: cx.query(filters, cx.by_service(c)),
                });
            }
        }
        for &s in &have {
            score.add(s, !fails[s]);
        }
    }
}
