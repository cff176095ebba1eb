//! The whole view as one standalone HTML file that opens offline: what was asked (the query in
//! words), each calculation's chart as inline SVG (markers included), the results table, the
//! markers, and links back to the live view and its snapshot. No script at all, and a content
//! security policy that allows none: every name and value in it is escaped text.

use super::svg::calc_chart;
use super::Theme;
use crate::marker::Marker;
use crate::query::export::{header, row_display};
use crate::query::QueryResult;

/// What the exported page shows besides the result.
pub struct View<'a> {
    /// The query in words (`VISUALIZE COUNT · GROUP BY … · 100,000 matching events`).
    pub query_line: &'a str,
    /// When it was exported (ms since the epoch).
    pub taken_ms: i64,
    /// Where the data came from (URLs, file names).
    pub sources: &'a [String],
    /// Per calculation: drawn as a heatmap, and whether missing buckets are zero.
    pub charts: &'a [(bool, bool)],
    pub highlight: Option<usize>,
    pub theme: Theme,
    pub markers: &'a [Marker],
    /// Links shown at the top: (label, href), e.g. the live view and the snapshot.
    pub links: &'a [(&'a str, &'a str)],
}

/// `s` as HTML text or attribute value.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

const STYLE: &str = "body{font:14px system-ui,sans-serif;margin:24px;color:#33373d;background:#fff}\
h1{font-size:18px;margin:0 0 4px}.q{font:12px ui-monospace,monospace;color:#656d76;margin:6px 0 14px}\
.meta{color:#656d76;font-size:12px}.links a{margin-right:14px}figure{margin:10px 0}figcaption{font-weight:600;font-size:12px;margin-bottom:4px}\
table{border-collapse:collapse;margin-top:12px}th,td{padding:3px 10px;border-bottom:1px solid #e6e8eb;text-align:left}td.n{text-align:right;font-variant-numeric:tabular-nums}\
.sw{display:inline-block;width:10px;height:10px;border-radius:2px}ul.markers li{margin:2px 0}\
body.dark{color:#d6d9de;background:#1b1e24}body.dark th,body.dark td{border-color:#333840}";

/// The standalone page for `result` seen as `view`.
pub fn html(result: &QueryResult, view: &View) -> Result<String, String> {
    let iso = crate::query::result::iso8601(view.taken_ms);
    let when = format!("{} {} UTC", iso.get(..10).unwrap_or(""), iso.get(11..16).unwrap_or(""));
    let mut o = String::new();
    o.push_str("<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">");
    o.push_str("<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; img-src data:\">");
    o.push_str(&format!("<title>Apiary · {}</title><style>{STYLE}</style></head>\n", escape(&result.keys.join(", "))));
    o.push_str(&format!("<body{}>", if view.theme == Theme::Dark { " class=\"dark\"" } else { "" }));
    o.push_str(&format!("<h1>Apiary view exported {}</h1>", escape(&when)));
    o.push_str(&format!("<div class=\"q\">{}</div>", escape(view.query_line)));
    if !view.sources.is_empty() {
        o.push_str(&format!("<div class=\"meta\">Data: {}</div>", escape(&view.sources.join(", "))));
    }
    if !view.links.is_empty() {
        o.push_str("<p class=\"links\">");
        for (label, href) in view.links {
            o.push_str(&format!("<a href=\"{}\" rel=\"noopener noreferrer\">{}</a>", escape(href), escape(label)));
        }
        o.push_str("</p>");
    }
    for (k, key) in result.keys.iter().enumerate() {
        let (heat, zero) = view.charts.get(k).copied().unwrap_or((false, false));
        let svg = calc_chart(result, k, heat, zero, view.highlight, (960, if k == 0 { 320 } else { 220 }), view.theme, view.markers)?;
        o.push_str(&format!("<figure><figcaption>{}</figcaption>{svg}</figure>\n", escape(key)));
    }
    o.push_str("<table><thead><tr><th></th>");
    let numeric_from = result.breakdowns.len();
    for h in header(result) {
        o.push_str(&format!("<th>{}</th>", escape(&h)));
    }
    o.push_str("</tr></thead><tbody>\n");
    for i in 0..result.results.len() {
        o.push_str(&format!("<tr><td><span class=\"sw\" style=\"background:{}\"></span></td>", super::palette::series_css(i)));
        for (c, cell) in row_display(result, i).iter().enumerate() {
            o.push_str(&format!("<td{}>{}</td>", if c >= numeric_from { " class=\"n\"" } else { "" }, escape(cell)));
        }
        o.push_str("</tr>\n");
    }
    o.push_str("</tbody></table>");
    if !view.markers.is_empty() {
        o.push_str("<h2 style=\"font-size:14px\">Markers</h2><ul class=\"markers\">");
        for m in view.markers {
            let (r, g, b) = crate::marker::colour(&m.kind);
            let at = crate::query::result::iso8601(m.start_ms);
            let text = format!("{} {}: {}", at, m.kind, m.message);
            o.push_str(&format!("<li><span class=\"sw\" style=\"background:rgb({r},{g},{b})\"></span> "));
            match &m.url {
                Some(u) => o.push_str(&format!("<a href=\"{}\" rel=\"noopener noreferrer\">{}</a>", escape(u), escape(&text))),
                None => o.push_str(&escape(&text)),
            }
            o.push_str("</li>");
        }
        o.push_str("</ul>");
    }
    o.push_str("</body></html>\n");
    Ok(o)
}
