//! The standalone HTML export: every calculation's chart inline, the table, the markers, links;
//! untrusted names and values escaped, and no script anywhere.

use apiary::marker::Marker;
use apiary::render::report::{html, View};
use apiary::render::Theme;
use apiary::{demo, query, DataSet, QuerySpec};
use serde_json::json;

#[test]
fn the_view_as_one_inert_page() {
    let evil = "<img src=x onerror=\"alert(1)\">";
    let ds = DataSet::from_batches(demo::generate(5_000, 3, 8192)).unwrap();
    let end = demo::END_MS / 1000;
    let spec = QuerySpec::from_json(&json!({"calculations": [{"op": "COUNT"}, {"op": "HEATMAP", "column": "duration_ms"}], "breakdowns": ["service.name"],
        "start_time": end - 3600, "end_time": end, "granularity": 120})).unwrap();
    let mut result = query::run(&ds, &spec).unwrap();
    // A group with an untrusted name.
    result.results[0].group[0] = apiary::value::Value::Str(evil.into());
    // A float as calculations give them: the table shows it as the page's table does.
    result.results[1].values[0] = apiary::query::aggregate::Output::Float(176.0042399999997);
    let markers = [Marker { start_ms: (end - 1800) * 1000, end_ms: None, kind: "deploy".into(), message: format!("ship {evil}"), url: Some("https://ci.example/1?a=1&b=\"2\"".into()) }];
    let page = html(&result, &View {
        query_line: "VISUALIZE COUNT, HEATMAP(duration_ms) · GROUP BY service.name",
        taken_ms: demo::END_MS,
        sources: &["demo.arrow".to_string()],
        charts: &[(false, true), (true, false)],
        highlight: None,
        theme: Theme::Light,
        markers: &markers,
        links: &[("Open the live view", "https://apiary.example/#v1.abc"), ("Snapshot", "https://apiary.example/#s1.def")],
    })
    .unwrap();
    assert!(page.starts_with("<!doctype html>"));
    assert!(page.contains("Content-Security-Policy") && page.contains("default-src 'none'"));
    assert_eq!(page.matches("<svg").count(), 2, "one chart per calculation");
    assert!(!page.to_lowercase().contains("<script"));
    assert!(!page.contains(evil), "untrusted text never raw");
    assert!(page.contains("&lt;img src=x onerror=&quot;alert(1)&quot;&gt;"));
    assert!(page.contains("ship &lt;img"));
    assert!(page.contains("href=\"https://ci.example/1?a=1&amp;b=&quot;2&quot;\""));
    assert!(page.contains("Apiary view exported 2026-11-01 12:00 UTC"));
    // Every result row is in the table, with its count.
    assert_eq!(page.matches("<tr><td><span class=\"sw\"").count(), result.results.len());
    let first_count = match &result.results[0].values[0] {
        apiary::query::aggregate::Output::Int(n) => *n,
        other => panic!("{other:?}"),
    };
    assert!(page.contains(&format!("<td class=\"n\">{}</td>", apiary::value::thousands(first_count as u64))));
    assert!(page.contains("<td class=\"n\">176.004</td>") && !page.contains("176.00423"), "floats to three decimals");
    assert!(page.contains(" values</td>"), "a heatmap cell says how many values");
}
