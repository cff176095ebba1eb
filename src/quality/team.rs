//! The team's conventions' findings (`conventions` reads the file and counts): required
//! attributes per service, the name pattern, types, allowed values; and each service's score.

use serde_json::{json, Value as Json};

use super::conventions::Conventions;
use super::{Cx, Finding, Score, Severity};
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
                let message = format!("{name} does not match the name pattern {} ({label}; sent by {})", re.as_str(), cx.named(&have));
                findings.push(cx.about(c, "conventions.name", Severity::Warning, &have, cx.events(c), message, Vec::new()));
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
            let message = format!("{name} should be {} ({label}); it holds {} values", rule.kind.as_deref().unwrap_or(""), kind.name());
            findings.push(cx.about(c, "conventions.type", Severity::Error, &have, cx.events(c), message, Vec::new()));
        }
        if let Some(ok) = rule.allowed().filter(|_| kind == Kind::Str) {
            findings.extend(cx.refused(c, &ok, "conventions.values", Severity::Error, &mut fails, |bad| format!("{name} has values {label} does not allow: {bad}")));
        }
        for &s in &have {
            score.add(s, !fails[s]);
        }
    }
}
