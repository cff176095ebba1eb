//! The OpenTelemetry semantic conventions' findings: names the registry lacks in its
//! namespaces, deprecated names, types, enum values; and each service's conformance.

use serde_json::json;

use super::coverage::Allowed;
use super::registry::Attribute;
use super::{exists, held_kinds, some_values, Cx, Finding, Score, Severity};
use crate::query::column::Kind;

/// The values a string enum allows (`None`: not a string enum, or not a text column).
pub fn allowed(a: &Attribute, kind: Kind) -> Option<Allowed> {
    let members = a.string_values().filter(|_| kind == Kind::Str)?;
    Some(Allowed { values: Some(members.iter().map(|m| m.to_string()).collect()), pattern: None })
}

pub(super) fn check(cx: &Cx, findings: &mut Vec<Finding>, score: &mut Score) {
    let registry = super::Registry::pinned();
    let v = &registry.version;
    for &c in cx.attrs.iter().chain(cx.service_col.iter()) {
        let f = &cx.fields[c];
        let name = f.name();
        let have = cx.carriers(c);
        let Some(found) = registry.find(name) else {
            if let Some(ns) = registry.namespace_of(name) {
                findings.push(Finding {
                    check: "semconv.namespace",
                    severity: Severity::Info,
                    attribute: Some(name.clone()),
                    services: cx.names(&have),
                    message: format!("{name} is not in semantic conventions {v}, though {ns}.* is theirs: a later version may give it another meaning"),
                    events: cx.events(c),
                    query: cx.query(vec![exists(name)], cx.by_service(c)),
                });
            }
            continue;
        };
        let a = found.attribute;
        let mut fails = vec![false; cx.tally.services.len()];
        if a.deprecated.is_some() {
            have.iter().for_each(|&s| fails[s] = true);
            findings.push(Finding {
                check: "semconv.deprecated",
                severity: Severity::Warning,
                attribute: Some(name.clone()),
                services: cx.names(&have),
                message: format!("{name} is deprecated in semantic conventions {v}: {} (sent by {})", a.replacement(), cx.named(&have)),
                events: cx.events(c),
                query: cx.query(vec![exists(name)], cx.by_service(c)),
            });
        }
        let kind = Kind::of(f.data_type());
        if let Some(expects) = a.expects() {
            let wrong: Vec<usize> = match cx.mixed.get(&c) {
                Some(kinds) => {
                    let by_look: Vec<usize> = have
                        .iter()
                        .copied()
                        .filter(|&s| super::coverage::MIXED_KINDS.iter().enumerate().any(|(k, kind)| kinds[s][k] > 0 && !expects.contains(kind)))
                        .collect();
                    // Text that reads as a number ("200") was sent as text by someone: the
                    // reader noted the types it saw, not who sent which.
                    if by_look.is_empty() && held_kinds(f).iter().any(|k| !expects.contains(k)) {
                        have.clone()
                    } else {
                        by_look
                    }
                }
                None if !expects.contains(&kind) => have.clone(),
                None => Vec::new(),
            };
            if !wrong.is_empty() {
                wrong.iter().for_each(|&s| fails[s] = true);
                let held = if cx.mixed.contains_key(&c) { held_kinds(f).iter().map(|k| k.name()).collect::<Vec<_>>().join(" and ") } else { kind.name().to_string() };
                findings.push(Finding {
                    check: "semconv.type",
                    severity: Severity::Error,
                    attribute: Some(name.clone()),
                    services: cx.names(&wrong),
                    message: format!("{name} should be {} (semantic conventions {v}); {} sends {held} values", a.type_name(), cx.named(&wrong)),
                    events: wrong.iter().map(|&s| cx.tally.present[c][s]).sum(),
                    query: cx.query(vec![exists(name)], cx.by_service(c)),
                });
            }
        }
        if let Some(ok) = allowed(a, kind) {
            if let Some((per_service, bad)) = cx.facts.bad_values(c, &ok).filter(|(_, bad)| !bad.is_empty()) {
                let offenders: Vec<usize> = cx.order.iter().copied().filter(|&s| per_service[s] > 0).collect();
                offenders.iter().for_each(|&s| fails[s] = true);
                findings.push(Finding {
                    check: "semconv.enum",
                    severity: Severity::Warning,
                    attribute: Some(name.clone()),
                    services: cx.names(&offenders),
                    message: format!("{name} has values semantic conventions {v} do not list: {}", some_values(&bad)),
                    events: per_service.iter().sum(),
                    query: cx.query(vec![exists(name), json!({ "column": name, "op": "not-in", "value": ok.values })], cx.by_service(c)),
                });
            }
        }
        for &s in &have {
            score.add(s, !fails[s]);
        }
    }
}
