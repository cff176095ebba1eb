//! Query a ClickHouse table where the telemetry lives: Apiary's queries compiled to ClickHouse SQL
//! ([`pushdown`]) so ClickHouse does the heavy work and only result-sized Arrow comes back, with
//! the same answers as the local engine. The table's columns come from `DESCRIBE` and a bounded
//! sample of its attribute maps ([`table`]); the OpenTelemetry Collector's `otel_traces` layout is
//! understood out of the box.
//!
//! This module speaks ClickHouse's HTTP interface but does no I/O itself: a [`Client`] (the
//! CLI's blocking HTTP client, the page's `fetch`) posts each [`Request`] and hands the response
//! back. Every name and value is a bound parameter ([`sql::Sql`]); every statement is a `SELECT`
//! or `DESCRIBE`, and the user a deployment gives a browser should be `readonly=2`.

use arrow_array::RecordBatch;

use crate::error::{Error, Result};

pub mod pushdown;
pub mod quality;
pub mod sql;
pub mod table;

pub use pushdown::{bubbleup, matching_rows, query, slowest, table_range, trace_spans, Options};
pub use sql::Sql;
pub use table::Table;

/// Settings every request carries: Arrow out, uncompressed, strings as strings (not binary),
/// low-cardinality columns as plain strings, `NULL IN (…, NULL)` true (null groups are groups),
/// and the status only once the query has finished (errors as errors, not after a 200).
pub const SETTINGS: [(&str, &str); 6] = [
    ("output_format_arrow_compression_method", "none"),
    ("output_format_arrow_string_as_string", "1"),
    ("output_format_arrow_low_cardinality_as_dictionary", "0"),
    ("transform_null_in", "1"),
    ("wait_end_of_query", "1"),
    ("default_format", "ArrowStream"),
];

/// Where a table lives and who asks. Credentials never leave this value for a link
/// ([`Backend::link`]).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Backend {
    /// The HTTP endpoint, e.g. `https://clickhouse.example:8443` (no credentials in it).
    pub url: String,
    pub database: String,
    pub table: String,
    pub user: Option<String>,
    pub key: Option<String>,
    /// Ask ClickHouse for CORS headers (a browser calling it directly).
    pub cors: bool,
}

/// One statement to post: the endpoint's URL with the parameters, the headers, and the body.
#[derive(Debug, Clone, PartialEq)]
pub struct Request {
    pub url: String,
    pub headers: Vec<(&'static str, String)>,
    pub body: String,
}

/// What came back: the HTTP status, ClickHouse's exception code header, what ClickHouse says
/// the query read, and the body.
#[derive(Debug, Clone, Default)]
pub struct Response {
    pub status: u16,
    pub exception_code: Option<String>,
    pub summary: Option<Summary>,
    pub body: Vec<u8>,
}

/// What ClickHouse read for one statement, from its `X-ClickHouse-Summary` header (final, as
/// requests wait for the end of the query).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Summary {
    pub read_rows: u64,
    pub read_bytes: u64,
}

impl Summary {
    /// The header's JSON (`{"read_rows":"123","read_bytes":"4567",…}`: numbers as strings, or
    /// as numbers); `None` when it holds neither.
    pub fn from_header(text: &str) -> Option<Summary> {
        let v: serde_json::Value = serde_json::from_str(text).ok()?;
        let num = |k: &str| match v.get(k)? {
            serde_json::Value::String(s) => s.parse::<u64>().ok(),
            n => n.as_u64(),
        };
        let (rows, bytes) = (num("read_rows"), num("read_bytes"));
        (rows.is_some() || bytes.is_some()).then(|| Summary { read_rows: rows.unwrap_or(0), read_bytes: bytes.unwrap_or(0) })
    }
}

/// Posts requests to ClickHouse (natively a blocking HTTP client, in the page `fetch`).
#[allow(async_fn_in_trait)]
pub trait Client {
    async fn post(&mut self, req: &Request) -> Result<Response>;
}

impl Backend {
    /// `url` without credentials and with its trailing slash trimmed.
    pub fn new(url: &str, database: &str, table: &str) -> Backend {
        Backend { url: crate::permalink::scrub_url(url).trim_end_matches('/').to_string(), database: database.to_string(), table: table.to_string(), ..Default::default() }
    }

    /// The request that runs `sql` on this backend.
    pub fn request(&self, sql: &Sql) -> Request {
        let mut q: Vec<(String, String)> = Vec::new();
        if !self.database.is_empty() {
            q.push(("database".into(), self.database.clone()));
        }
        for (k, v) in SETTINGS {
            q.push((k.into(), v.into()));
        }
        if self.cors {
            q.push(("add_http_cors_header".into(), "1".into()));
        }
        for (k, v) in &sql.params {
            q.push((format!("param_{k}"), v.clone()));
        }
        let query: Vec<String> = q.iter().map(|(k, v)| format!("{}={}", encode(k), encode(v))).collect();
        let mut headers = Vec::new();
        if let Some(u) = &self.user {
            headers.push(("X-ClickHouse-User", u.clone()));
        }
        if let Some(k) = &self.key {
            headers.push(("X-ClickHouse-Key", k.clone()));
        }
        Request { url: format!("{}/?{}", self.url, query.join("&")), headers, body: sql.text.clone() }
    }

    /// What a link keeps of this backend: where, never who.
    pub fn link(&self) -> serde_json::Value {
        serde_json::json!({"url": crate::permalink::scrub_url(&self.url), "database": self.database, "table": self.table})
    }

    /// Post `sql` and read the Arrow answer (ClickHouse's own error text on failure).
    pub async fn fetch<C: Client>(&self, client: &mut C, sql: &Sql) -> Result<Vec<RecordBatch>> {
        let resp = client.post(&self.request(sql)).await?;
        read(resp)
    }
}

/// Percent-encoding for a URL query component.
pub fn encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => out.push(b as char),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

/// ClickHouse's error text in a body, if it holds one (`Code: 60. DB::Exception: …`).
fn exception_text(body: &[u8]) -> Option<String> {
    let text = String::from_utf8_lossy(body);
    let at = text.rfind("Code: ")?;
    let tail = &text[at..];
    tail.contains("DB::Exception").then(|| tail.trim().to_string())
}

/// Markers kept in a ClickHouse table (Honeycomb's fields as columns: `start_time` or `start`,
/// optional `end_time` or `end`, `type`, `message`, `url`; times as DateTime, DateTime64, epoch
/// seconds or milliseconds, or RFC 3339 text), read as `crate::marker` reads a file: the table
/// a bound identifier, times written as ISO 8601, at most one row more than a chart shows (so that too many is an error, not a cut).
pub async fn markers<C: Client>(client: &mut C, b: &Backend, table: &str) -> Result<Vec<crate::marker::Marker>> {
    let mut sql = Sql::new();
    let t = sql.ident(table);
    sql.push("SELECT * FROM ").push(&t).push(&format!(
        " LIMIT {} SETTINGS date_time_output_format = 'iso', output_format_json_quote_64bit_integers = 0 FORMAT JSONEachRow",
        crate::marker::MAX_MARKERS + 1
    ));
    let resp = client.post(&b.request(&sql)).await?;
    let backend = |msg: String| Error::Other(format!("ClickHouse: {msg}"));
    if let Some(e) = exception_text(&resp.body) {
        return Err(backend(e));
    }
    if resp.status != 200 {
        return Err(backend(format!("HTTP {}: {}", resp.status, String::from_utf8_lossy(&resp.body).trim().chars().take(2000).collect::<String>())));
    }
    let text = String::from_utf8(resp.body).map_err(|_| backend("the markers table's answer is not UTF-8".into()))?;
    crate::marker::parse(&text, &format!("the markers table {table}"))
}

/// The batches of an Arrow answer; an error that says what ClickHouse said when it failed,
/// including an error that arrived after a 200 (in the body, after or instead of the Arrow).
pub fn read(resp: Response) -> Result<Vec<RecordBatch>> {
    let backend = |msg: String| Error::Other(format!("ClickHouse: {msg}"));
    if resp.status != 200 {
        let text = exception_text(&resp.body).unwrap_or_else(|| String::from_utf8_lossy(&resp.body).trim().chars().take(2000).collect());
        let code = resp.exception_code.map(|c| format!(" (code {c})")).unwrap_or_default();
        return Err(backend(format!("HTTP {}{code}: {text}", resp.status)));
    }
    if resp.body.is_empty() {
        return Ok(Vec::new());
    }
    let arrow = resp.body.starts_with(&[0xff, 0xff, 0xff, 0xff]);
    match arrow.then(|| crate::ingest::arrow_ipc::read_stream_owned("ClickHouse answer", resp.body.clone())) {
        Some(Ok(batches)) => Ok(batches),
        Some(Err(e)) => Err(exception_text(&resp.body).map_or_else(|| backend(format!("the answer is not valid Arrow: {e}")), backend)),
        None => Err(backend(exception_text(&resp.body).unwrap_or_else(|| format!("expected Arrow, got {:?}", String::from_utf8_lossy(&resp.body[..resp.body.len().min(200)]))))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_carry_parameters_in_the_url_and_credentials_in_headers() {
        let mut b = Backend::new("http://u:p@127.0.0.1:8123/", "otel", "otel_traces");
        b.user = Some("apiary".into());
        b.key = Some("s3cret&x".into());
        let mut sql = Sql::new();
        let t = sql.ident("otel_traces");
        let v = sql.string("a b&c=d");
        sql.push("SELECT count() FROM ").push(&t).push(" WHERE x = ").push(&v);
        let r = b.request(&sql);
        assert!(r.url.starts_with("http://127.0.0.1:8123/?database=otel&"), "{}", r.url);
        assert!(r.url.contains("&param_p1_s=a%20b%26c%3Dd"), "{}", r.url);
        assert!(!r.url.contains("s3cret") && !r.url.contains("u:p@"));
        assert_eq!(r.headers, vec![("X-ClickHouse-User", "apiary".to_string()), ("X-ClickHouse-Key", "s3cret&x".to_string())]);
        assert_eq!(r.body, "SELECT count() FROM {p0_i:Identifier} WHERE x = {p1_s:String}");
        assert_eq!(b.link(), serde_json::json!({"url": "http://127.0.0.1:8123", "database": "otel", "table": "otel_traces"}));
    }

    #[test]
    fn clickhouse_errors_are_read_from_the_status_or_the_body() {
        let err = read(Response { status: 500, exception_code: Some("60".into()), summary: None, body: b"Code: 60. DB::Exception: Unknown table expression identifier 'nope'. (UNKNOWN_TABLE)\n".to_vec() }).unwrap_err();
        assert!(err.to_string().contains("HTTP 500 (code 60): Code: 60. DB::Exception: Unknown table"), "{err}");
        // After a 200, in place of the Arrow stream.
        let err = read(Response { status: 200, exception_code: None, summary: None, body: b"Code: 241. DB::Exception: Memory limit exceeded. (MEMORY_LIMIT_EXCEEDED)".to_vec() }).unwrap_err();
        assert!(err.to_string().contains("Memory limit exceeded"), "{err}");
        // After a 200, after some of the stream.
        let mut body = vec![0xff, 0xff, 0xff, 0xff, 8, 0, 0, 0, 1, 2, 3];
        body.extend_from_slice(b"Code: 159. DB::Exception: Timeout exceeded. (TIMEOUT_EXCEEDED)");
        let err = read(Response { status: 200, exception_code: None, summary: None, body }).unwrap_err();
        assert!(err.to_string().contains("Timeout exceeded"), "{err}");
    }

    #[test]
    fn summaries_are_read_from_the_header() {
        let s = Summary::from_header(r#"{"read_rows":"10000000","read_bytes":"2100000000","written_rows":"0","total_rows_to_read":"10000000","result_rows":"3","elapsed_ns":"812000000"}"#);
        assert_eq!(s, Some(Summary { read_rows: 10_000_000, read_bytes: 2_100_000_000 }));
        assert_eq!(Summary::from_header(r#"{"read_rows":12,"read_bytes":96}"#), Some(Summary { read_rows: 12, read_bytes: 96 }));
        assert_eq!(Summary::from_header("not json"), None);
        assert_eq!(Summary::from_header(r#"{"elapsed_ns":"5"}"#), None);
    }
}
