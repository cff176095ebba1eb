//! How the CLI prints: inspect reports, CSV and aligned tables of query results.

use apiary::query::result::iso8601;
use apiary::{DataSet, QueryResult};
use serde_json::{json, Value as Json};

pub fn inspect_report(name: &str, format: &str, bytes: usize, ds: &DataSet) -> Json {
    let schema: Vec<Json> = ds.schema().fields().iter().map(|f| json!({"name": f.name(), "type": f.data_type().to_string()})).collect();
    let range = ds.time_range();
    json!({
        "file": name,
        "format": format,
        "bytes": bytes,
        "rows": ds.num_rows(),
        "time_column": ds.time_column(),
        "time_range": range.map(|(a, b)| json!([iso8601(a), iso8601(b)])),
        "sample_rate_column": ds.sample_rate_column(),
        "schema": schema,
    })
}

/// A ClickHouse table as Apiary sees it: its columns (and how each is read), the time and
/// sample-rate columns, what is not offered.
pub fn backend_report(b: &apiary::backend::Backend, t: &apiary::backend::Table) -> Json {
    let ds = t.dataset(apiary::dataset::SampleRate::Auto).ok();
    let columns: Vec<Json> = t.columns.iter().map(|c| json!({"name": c.name, "type": c.data_type.to_string(), "read": format!("{:?}", c.read)})).collect();
    json!({
        "backend": b.link(),
        "layout": if t.otel { "otel_traces" } else { "wide events" },
        "time_column": ds.as_ref().and_then(|d| d.time_column().map(str::to_string)),
        "sample_rate_column": ds.as_ref().and_then(|d| d.sample_rate_column().map(str::to_string)),
        "columns": columns,
        "not_offered": t.skipped.iter().map(|(n, ty)| json!({"name": n, "type": ty})).collect::<Vec<_>>(),
    })
}

pub fn backend_text(r: &Json) -> String {
    let b = &r["backend"];
    let mut out = format!(
        "{} {}.{}\n  layout: {}\n  time column: {}\n  sample rate column: {}\n  columns:\n",
        b["url"].as_str().unwrap_or(""),
        b["database"].as_str().unwrap_or(""),
        b["table"].as_str().unwrap_or(""),
        r["layout"].as_str().unwrap_or(""),
        r["time_column"].as_str().unwrap_or("(none)"),
        r["sample_rate_column"].as_str().unwrap_or("(none)")
    );
    for c in r["columns"].as_array().into_iter().flatten() {
        out += &format!("    {} → {}  ({})\n", c["name"].as_str().unwrap_or(""), c["type"].as_str().unwrap_or(""), c["read"].as_str().unwrap_or(""));
    }
    for c in r["not_offered"].as_array().into_iter().flatten() {
        out += &format!("    not offered: {} ({})\n", c["name"].as_str().unwrap_or(""), c["type"].as_str().unwrap_or(""));
    }
    out
}

pub fn inspect_text(r: &Json) -> String {
    let s = |k: &str| r[k].as_str().map(str::to_string).unwrap_or_else(|| r[k].to_string());
    let mut out = format!("{}\n  format: {}\n  rows: {}\n  time column: {}\n", s("file"), s("format"), s("rows"), s("time_column"));
    if let Some(tr) = r["time_range"].as_array() {
        out += &format!("  time range: {} .. {}\n", tr[0].as_str().unwrap_or(""), tr[1].as_str().unwrap_or(""));
    }
    out += "  schema:\n";
    for f in r["schema"].as_array().into_iter().flatten() {
        out += &format!("    {} → {}\n", f["name"].as_str().unwrap_or(""), f["type"].as_str().unwrap_or(""));
    }
    out
}

pub use apiary::query::export::csv;
use apiary::query::export::{cell, header, row_cells};

pub fn table(r: &QueryResult) -> String {
    let rows: Vec<Vec<String>> = (0..r.results.len()).map(|i| row_cells(r, i)).collect();
    let mut out = aligned(&header(r), &rows);
    if rows.is_empty() {
        out += "\n(no matching events)";
    }
    out
}

/// Cells in aligned columns under a header and a rule (cells cut at 60 characters).
pub fn aligned(head: &[String], rows: &[Vec<String>]) -> String {
    let widths: Vec<usize> =
        (0..head.len()).map(|c| rows.iter().map(|row| row[c].chars().count()).chain([head[c].chars().count()]).max().unwrap_or(0).min(60)).collect();
    let line = |cells: &[String]| {
        cells.iter().zip(&widths).map(|(c, w)| format!("{:<w$}", c.chars().take(60).collect::<String>(), w = *w)).collect::<Vec<_>>().join("  ").trim_end().to_string()
    };
    let mut out = line(head);
    out += "\n";
    out += &widths.iter().map(|w| "-".repeat(*w)).collect::<Vec<_>>().join("  ");
    for row in rows {
        out += "\n";
        out += &line(row);
    }
    out
}

/// The quality report for people: services, findings, trace health, distinct values.
pub fn quality_text(r: &apiary::quality::Report) -> String {
    let score = |s: Option<f64>| s.map_or("-".to_string(), |s| format!("{s:.0}%"));
    let mut out = format!("{} events; semantic conventions {}", r.events, r.semconv_version);
    if let Some(c) = &r.conventions {
        out += &format!("; {c}");
    }
    out += "\n\n";
    let head: Vec<String> = ["service", "events", "attributes", "coverage", "semconv", "conventions", "findings"].map(String::from).to_vec();
    let rows: Vec<Vec<String>> = r
        .services
        .iter()
        .map(|s| vec![s.name.clone(), s.events.to_string(), s.attributes.to_string(), format!("{:.0}%", s.coverage), score(s.semconv), score(s.conventions), s.findings.to_string()])
        .collect();
    out += &aligned(&head, &rows);
    // Coverage: attributes down, services across (the page's grid).
    out += "\n\ncoverage: % of each service's events carrying the attribute\n";
    let head: Vec<String> = std::iter::once("attribute".to_string()).chain(r.services.iter().map(|s| if s.name == "all services" { "all".to_string() } else { s.name.clone() })).collect();
    let rows: Vec<Vec<String>> = r
        .attributes
        .iter()
        .enumerate()
        .map(|(a, name)| std::iter::once(name.clone()).chain(r.coverage.iter().map(|row| if row[a] > 0.0 { format!("{:.0}", row[a]) } else { "-".into() })).collect())
        .collect();
    out += &aligned(&head, &rows);
    out += "\n\nfindings\n";
    for f in &r.findings {
        out += &format!("  {:<7} {:<22} {}\n", format!("{:?}", f.severity).to_lowercase(), f.check, f.message);
    }
    if r.findings.is_empty() {
        out += "  (none)\n";
    }
    if let Some(h) = &r.health {
        out += &format!(
            "\ntrace health: {} spans in {} traces; {} orphans, {} traces with several roots, {} without a root, {} duplicate span ids, {} spans starting before their parent, {} ending after it\n",
            h.spans, h.traces, h.orphans, h.traces_with_several_roots, h.traces_without_root, h.duplicate_span_ids, h.starts_before_parent, h.ends_after_parent
        );
    }
    out += "\n";
    let head: Vec<String> = ["column", "type", "present", "distinct", "notes"].map(String::from).to_vec();
    let rows: Vec<Vec<String>> = r
        .columns
        .iter()
        .map(|c| {
            let notes: Vec<&str> = [(c.id_like, "looks like an id"), (c.bubbleup, "good for BubbleUp")].iter().filter(|(on, _)| *on).map(|(_, n)| *n).collect();
            vec![c.name.clone(), c.kind.to_string(), format!("{:.1}%", c.present), format!("{}{}", if c.exact { "" } else { "~" }, c.distinct), notes.join(", ")]
        })
        .collect();
    out += &aligned(&head, &rows);
    out += "\n";
    out
}

pub fn bubbleup_table(b: &apiary::bubbleup::BubbleUp) -> String {
    let mut out = format!("selection: {} events, baseline: {} events\n", b.selection_count, b.baseline_count);
    for c in &b.columns {
        out += &format!("\n{}  ({}, score {:.3})\n", c.column, if c.measure { "measure" } else { "dimension" }, c.score);
        for v in c.values.iter().take(5) {
            let label = match v.range {
                Some((lo, hi)) => format!("[{lo:.4}, {hi:.4})"),
                None => cell(&v.value),
            };
            out += &format!("    {:<40} selection {:>6.1}%   baseline {:>6.1}%\n", label, v.selection * 100.0, v.baseline * 100.0);
        }
    }
    if !b.skipped.is_empty() {
        out += "\nnot ranked: ";
        out += &b.skipped.iter().map(|(c, why)| format!("{c} ({why})")).collect::<Vec<_>>().join(", ");
        out += "\n";
    }
    out
}

pub fn trace_text(t: &apiary::trace::Trace) -> String {
    let t0 = t.start_ms();
    let mut out = format!("trace {}: {} spans, {:.3} ms, {} orphans\n", t.trace_id, t.spans.len(), t.duration_ms(), t.orphans);
    for s in &t.spans {
        out += &format!(
            "{:>10.3} {:>10.3} {}{} {}{}{}\n",
            s.start_ms - t0,
            s.duration_ms,
            "  ".repeat(s.depth),
            s.name,
            if s.service.is_empty() { String::new() } else { format!("[{}]", s.service) },
            if s.critical { " *critical*" } else { "" },
            if s.error { " ERROR" } else { "" },
        );
    }
    out
}
