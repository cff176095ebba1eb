//! Markers read from what tools write (Honeycomb's markers API, RFC 3339 text, one a line), with
//! errors that name the marker and field, and only http(s) links kept.

use apiary::marker::{colour, parse};

#[test]
fn honeycomb_markers_and_other_shapes() {
    // Honeycomb's markers API: epoch seconds.
    let hc = r#"[{"start_time": 1793534400, "message": "deploy 3.8.1", "type": "deploy", "url": "https://ci.example/run/42"},
                 {"start_time": 1793530800, "end_time": 1793532600, "message": "flag new_checkout on", "type": "flag"}]"#;
    let m = parse(hc, "markers.json").unwrap();
    assert_eq!(m.len(), 2);
    assert_eq!(m[0].start_ms, 1_793_530_800_000, "sorted by start");
    assert_eq!(m[0].end_ms, Some(1_793_532_600_000));
    assert_eq!(m[1].url.as_deref(), Some("https://ci.example/run/42"));
    assert_eq!(m[1].kind, "deploy");
    // RFC 3339 text, milliseconds, an object holding them, one a line.
    let wrapped = r#"{"markers": [{"start": "2026-11-01T12:00:00Z", "type": "incident", "message": "INC-7"}, {"start": 1793534400500}]}"#;
    let m = parse(wrapped, "m").unwrap();
    assert_eq!(m[0].start_ms, 1_793_534_400_000);
    assert_eq!(m[1].start_ms, 1_793_534_400_500);
    assert_eq!(m[1].kind, "marker");
    let lines = "{\"start_time\": 1793534400, \"message\": \"a\"}\n\n{\"start_time\": \"2026-11-01 12:30:00\", \"message\": \"b\"}\n";
    let m = parse(lines, "m.ndjson").unwrap();
    assert_eq!(m[1].start_ms - m[0].start_ms, 1_800_000);
    // Written back and read again, the same.
    let back = apiary::marker::from_items(&m.iter().map(|x| x.to_json()).collect::<Vec<_>>(), "link").unwrap();
    assert_eq!(back, m);
    assert_ne!(colour("deploy"), colour("incident"));
    assert_eq!(colour("Deploy"), colour("deploy"));
}

#[test]
fn bad_markers_are_named() {
    let err = |t: &str| parse(t, "markers.json").unwrap_err().to_string();
    assert!(err(r#"[{"message": "x"}]"#).contains("marker 0: no start_time"));
    assert!(err(r#"[{"start_time": 1}, {"start_time": "yesterday"}]"#).contains("marker 1 (start_time)"));
    assert!(err(r#"[{"start_time": 100, "end_time": 50}]"#).contains("ends before it starts"));
    assert!(err(r#"[{"start_time": 1, "url": "javascript:alert(1)"}]"#).contains("only http and https"));
    assert!(err(r#"[{"start_time": 1, "message": 5}]"#).contains("(message): expected text"));
    assert!(err("[1, 2").contains("not JSON"));
    assert!(err("{\"start_time\": 1}\nnope").contains("line 2"));
}

#[test]
fn markers_under_the_pointer() {
    use apiary::render::{markers::under, PlotMapping};
    let ms = parse(r#"[{"start_time": 1000, "type": "deploy", "message": "a"}, {"start_time": 2000, "end_time": 3000, "type": "incident", "message": "b"}]"#, "t").unwrap();
    // 1000 px for 10,000 s: 10 s a pixel.
    let m = PlotMapping { left: 0, top: 0, right: 1000, bottom: 100, t0: 0, t1: 10_000_000, y0: 0.0, y1: 1.0, log_y: false };
    let at = |x: f64| under(&ms, &m, x, 5.0).iter().map(|mk| mk.message.clone()).collect::<Vec<_>>();
    assert_eq!(at(100.0), vec!["a"]);
    assert_eq!(at(104.0), vec!["a"], "within five pixels of the line");
    assert!(at(106.0).is_empty());
    assert_eq!(at(250.0), vec!["b"], "inside the range");
    assert!(at(320.0).is_empty());
    assert!(at(-50.0).is_empty() && at(1200.0).is_empty(), "off the plot");
}

#[test]
fn a_click_opens_a_marker_anywhere_on_a_line_chart_and_only_at_its_line_on_a_heatmap() {
    use apiary::render::{markers::{hovered, link_at}, PlotMapping};
    let ms = parse(
        r#"[{"start_time": 1000, "type": "deploy", "message": "a", "url": "https://ci.example/a"},
            {"start_time": 2000, "end_time": 3000, "type": "incident", "message": "b", "url": "https://status.example/b"},
            {"start_time": 5000, "type": "flag", "message": "c"},
            {"start_time": -100, "end_time": 600, "type": "incident", "message": "d", "url": "https://status.example/d"}]"#,
        "t",
    )
    .unwrap();
    let m = PlotMapping { left: 0, top: 0, right: 1000, bottom: 100, t0: 0, t1: 10_000_000, y0: 0.0, y1: 1.0, log_y: false };
    let opens = |x: f64, heat: bool| hovered(&ms, &m, x, heat).iter().map(|(mk, o)| (mk.message.clone(), *o)).collect::<Vec<_>>();
    // A line: opens on both kinds of chart.
    assert_eq!(opens(103.0, false), vec![("a".into(), true)]);
    assert_eq!(opens(103.0, true), vec![("a".into(), true)]);
    assert_eq!(link_at(&ms, &m, 103.0, true).as_deref(), Some("https://ci.example/a"));
    // Inside a range: a line chart opens it, a heatmap keeps the click for its cell.
    assert_eq!(opens(250.0, false), vec![("b".into(), true)]);
    assert_eq!(opens(250.0, true), vec![("b".into(), false)]);
    assert_eq!(link_at(&ms, &m, 250.0, false).as_deref(), Some("https://status.example/b"));
    assert_eq!(link_at(&ms, &m, 250.0, true), None);
    // At the range's start line a heatmap click opens it too.
    assert_eq!(link_at(&ms, &m, 198.0, true).as_deref(), Some("https://status.example/b"));
    // No link: hovered, never opened.
    assert_eq!(opens(500.0, false), vec![("c".into(), false)]);
    assert_eq!(link_at(&ms, &m, 500.0, false), None);
    // A range starting before the chart has no line on it: on a heatmap its left edge is a cell.
    assert_eq!(opens(2.0, true), vec![("d".into(), false)]);
    assert_eq!(opens(2.0, false), vec![("d".into(), true)]);
}
