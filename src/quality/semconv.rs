//! The OpenTelemetry semantic conventions' findings: names the registry lacks in its
//! namespaces, deprecated names, types, enum values; and each service's conformance.

use super::coverage::Allowed;
use super::registry::Attribute;
use super::{held_kinds, Cx, Finding, Score, Severity};
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
                let message = format!("{name} is not in semantic conventions {v}, though {ns}.* is theirs: a later version may give it another meaning");
                findings.push(cx.about(c, "semconv.namespace", Severity::Info, &have, cx.events(c), message, Vec::new()));
            }
            continue;
        };
        let a = found.attribute;
        let mut fails = vec![false; cx.tally.services.len()];
        if a.deprecated.is_some() {
            have.iter().for_each(|&s| fails[s] = true);
            let message = format!("{name} is deprecated in semantic conventions {v}: {} (sent by {})", a.replacement(), cx.named(&have));
            findings.push(cx.about(c, "semconv.deprecated", Severity::Warning, &have, cx.events(c), message, Vec::new()));
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
                let message = format!("{name} should be {} (semantic conventions {v}); {} sends {held} values", a.type_name(), cx.named(&wrong));
                findings.push(cx.about(c, "semconv.type", Severity::Error, &wrong, wrong.iter().map(|&s| cx.tally.present[c][s]).sum(), message, Vec::new()));
            }
        }
        if let Some(ok) = allowed(a, kind) {
            findings.extend(cx.refused(c, &ok, "semconv.enum", Severity::Warning, &mut fails, |bad| format!("{name} has values semantic conventions {v} do not list: {bad}")));
        }
        for &s in &have {
            score.add(s, !fails[s]);
        }
    }
}
