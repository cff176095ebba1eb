//! Boards: JSON in and out with errors that name the panel, layout moves, and notes' markdown
//! staying inert whatever a note holds.

use apiary::board::{Board, Content, Panel};
use apiary::markdown::{self, Node};
use apiary::QuerySpec;
use serde_json::json;

fn spec(v: serde_json::Value) -> QuerySpec {
    QuerySpec::from_json(&v).unwrap()
}

#[test]
fn a_board_round_trips_through_json() {
    let mut b = Board::new("Checkout");
    b.panels.push(Panel::query("Latency", spec(json!({"calculations": [{"op": "P99", "column": "duration_ms"}], "breakdowns": ["service.name"], "time_range": 7200}))));
    b.panels.push(Panel::note("## Runbook\n\n1. check *deploys*"));
    b.panels[1].width = 2;
    let text = b.to_json().to_string();
    let back = Board::parse_all(&text).unwrap();
    assert_eq!(back, vec![b.clone()]);
    let list = serde_json::to_string(&vec![b.to_json(), b.to_json()]).unwrap();
    assert_eq!(Board::parse_all(&list).unwrap().len(), 2);
}

#[test]
fn errors_name_the_panel_and_field() {
    let cases = [
        (json!({"name": "A", "panels": [{"type": "query", "title": "Bad", "query": {"calculations": [{"op": "P99"}]}}]}), "panel 1 (Bad): invalid query: calculations[0].column"),
        (json!({"name": "A", "panels": [{"type": "note", "text": "x"}, {"type": "chart"}]}), "panel 2: unknown type \"chart\""),
        (json!({"name": "A", "panels": [{"type": "note", "text": "x", "width": 4}]}), "width must be 1, 2 or 3"),
        (json!({"name": "A", "panels": [{"type": "query"}]}), "panel 1: a query panel needs a query"),
        (json!({"name": "A", "panels": [{"text": "x"}]}), "type is required"),
        (json!({"name": "A", "panels": {}}), "panels must be a list"),
        (json!({"name": "A", "colour": "red"}), "unknown field \"colour\""),
        (json!({"name": "A", "panels": [{"type": "note", "text": 5}]}), "text must be text"),
        (json!([1]), "must be a JSON object"),
    ];
    for (v, want) in cases {
        let err = Board::parse_all(&v.to_string()).unwrap_err();
        assert!(err.contains(want), "{err:?} should say {want:?}");
    }
    let many: Vec<_> = (0..25).map(|_| json!({"type": "note", "text": "x"})).collect();
    assert!(Board::from_json(&json!({"name": "A", "panels": many})).unwrap_err().contains("more than the 24"));
    let long = "x".repeat(20_001);
    assert!(Board::from_json(&json!({"name": "A", "panels": [{"type": "note", "text": long}]})).unwrap_err().contains("longer than 20000"));
    assert!(Board::parse_all("{").unwrap_err().starts_with("not JSON"));
}

#[test]
fn panels_move_and_widen_within_the_board() {
    let mut b = Board::new("A");
    for t in ["a", "b", "c"] {
        b.panels.push(Panel::note(t));
    }
    b.shift(0, 1);
    b.shift(2, 5);
    b.shift(1, -9);
    let order: Vec<String> = b.panels.iter().map(|p| match &p.content {
        Content::Note(t) => t.clone(),
        Content::Query(_) => unreachable!(),
    }).collect();
    // b,a,c → b,a,c (the last stays last) → a,b,c
    assert_eq!(order, vec!["a", "b", "c"]);
    b.widen(0);
    b.widen(1);
    b.widen(1);
    b.widen(2);
    b.widen(2);
    b.widen(2);
    assert_eq!(b.panels.iter().map(|p| p.width).collect::<Vec<_>>(), vec![2, 3, 1]);
}

fn tags(nodes: &[Node], out: &mut Vec<&'static str>) {
    for n in nodes {
        if let Node::El(e) = n {
            out.push(e.tag);
            tags(&e.children, out);
        }
    }
}

#[test]
fn markdown_renders_the_usual_elements() {
    let md = "# Title\n\nSome *em* and **strong** and `code` and ~~gone~~.\n\n- one\n- [x] two\n\n1. first\n\n> quote\n\n```\nfn x() {}\n```\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\n[docs](https://example.com/a?b=1&c=2) ---\n\n***\n";
    let tree = markdown::parse(md);
    let mut t = Vec::new();
    tags(&tree, &mut t);
    for want in ["h1", "p", "em", "strong", "code", "del", "ul", "li", "ol", "blockquote", "pre", "table", "thead", "tr", "th", "td", "a", "hr"] {
        assert!(t.contains(&want), "{want} missing from {t:?}");
    }
    let html = markdown::to_html(&tree);
    assert!(html.contains("<a href=\"https://example.com/a?b=1&amp;c=2\" rel=\"noopener noreferrer\" target=\"_blank\">docs</a>"), "{html}");
    assert!(html.contains("☑ two"), "{html}");
    assert!(markdown::plain(&tree).contains("Some em and strong"));
}

#[test]
fn markdown_from_someone_else_stays_inert() {
    let payloads = [
        "<script>alert(1)</script>",
        "<img src=x onerror=alert(1)>",
        "hello <b onmouseover=alert(1)>bold</b>",
        "[click](javascript:alert(1))",
        "[click](JaVaScRiPt:alert(1))",
        "[click](  javascript:alert(1))",
        "[data](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
        "![pixel](https://tracker.example/p.gif)",
        "<a href=\"javascript:alert(1)\">x</a>",
        "<iframe src=\"https://evil.example\"></iframe>",
        "[x](vbscript:msgbox)",
        "<https://ok.example/\"><script>alert(1)</script>>",
        "[x](https://ok.example/\" onmouseover=\"alert(1))",
    ];
    for p in payloads {
        let tree = markdown::parse(p);
        let html = markdown::to_html(&tree);
        let lower = html.to_ascii_lowercase();
        assert!(!lower.contains("<script") && !lower.contains("<img") && !lower.contains("<iframe") && !lower.contains("<b "), "{p:?} → {html}");
        assert!(!lower.contains("href=\"javascript") && !lower.contains("href=\"data") && !lower.contains("href=\"vbscript"), "{p:?} → {html}");
        assert!(!lower.contains("\" onmouseover"), "{p:?} → {html}");
        // Every element is one of the fixed set and links are only http(s), mailto or #.
        fn check(nodes: &[Node]) {
            for n in nodes {
                if let Node::El(e) = n {
                    if let Some(h) = &e.href {
                        assert!(h.starts_with("https://") || h.starts_with("http://") || h.starts_with("mailto:") || h.starts_with('#'), "{h}");
                        assert_eq!(e.tag, "a");
                    }
                    check(&e.children);
                }
            }
        }
        check(&tree);
    }
    // Raw HTML stays visible as the text it is.
    assert!(markdown::plain(&markdown::parse("<script>alert(1)</script>")).contains("<script>alert(1)</script>"));
    // An image is a link to its address, never an image.
    let html = markdown::to_html(&markdown::parse("![pixel](https://tracker.example/p.gif)"));
    assert!(html.contains("<a href=\"https://tracker.example/p.gif\"") && html.contains(">pixel</a>"), "{html}");
}

#[test]
fn deep_nesting_is_bounded() {
    let md = ">".repeat(20_000) + " deep";
    let tree = markdown::parse(&md);
    fn depth(nodes: &[Node]) -> usize {
        nodes.iter().map(|n| match n {
            Node::El(e) => 1 + depth(&e.children),
            Node::Text(_) => 0,
        }).max().unwrap_or(0)
    }
    assert!(depth(&tree) <= 25, "{}", depth(&tree));
    assert!(markdown::plain(&tree).contains("deep"));
    let stars = "*a ".repeat(5000) + &" b*".repeat(5000);
    let _ = markdown::to_html(&markdown::parse(&stars));
}

#[test]
fn a_panel_from_the_query_on_view() {
    let latest_ms = 1_793_534_340_500;
    // The page's default range reaches the latest event: kept as the same length, relative.
    let p = Panel::from_query(spec(json!({"calculations": [{"op": "P99", "column": "duration_ms"}], "breakdowns": ["service.name"], "filters": [{"column": "region", "op": "=", "value": "eu-west-1"}],
        "start_time": 1_793_512_800, "end_time": 1_793_534_341, "granularity": 300})), Some(latest_ms));
    assert_eq!(p.title, "P99(duration_ms) by service.name (filtered)");
    let s = p.spec().unwrap();
    assert_eq!((s.time_range, s.start_time, s.end_time, s.granularity), (Some(21_541), None, None, Some(300)));
    // An incident's window, ending before the latest event, stays fixed.
    let p = Panel::from_query(spec(json!({"calculations": [{"op": "COUNT"}], "start_time": 1_793_520_000, "end_time": 1_793_523_600})), Some(latest_ms));
    assert_eq!(p.title, "COUNT");
    assert_eq!((p.spec().unwrap().start_time, p.spec().unwrap().end_time, p.spec().unwrap().time_range), (Some(1_793_520_000), Some(1_793_523_600), None));
    // Without data, as it is.
    let p = Panel::from_query(spec(json!({"start_time": 10, "end_time": 20})), None);
    assert_eq!((p.spec().unwrap().start_time, p.spec().unwrap().time_range), (Some(10), None));
    assert_eq!(p.title, "COUNT", "an empty query counts");
}
