//! The command line's ClickHouse backend: a blocking HTTP client for [`apiary::backend`], and the
//! credentials from `APIARY_CLICKHOUSE_USER` / `APIARY_CLICKHOUSE_KEY`.

use apiary::backend::{Backend, Client, Request, Response};
use apiary::error::{Error, Result};

pub struct Http(ureq::Agent);

impl Http {
    pub fn new() -> Http {
        // ClickHouse's error statuses are answers too: their bodies say what went wrong.
        Http(ureq::Agent::config_builder().http_status_as_error(false).build().into())
    }
}

impl Client for Http {
    async fn post(&mut self, req: &Request) -> Result<Response> {
        let mut r = self.0.post(&req.url);
        for (k, v) in &req.headers {
            r = r.header(*k, v);
        }
        let mut resp = r.send(req.body.as_bytes()).map_err(|e| Error::Other(format!("ClickHouse: cannot reach {}: {e}", req.url.split('?').next().unwrap_or(""))))?;
        let status = resp.status().as_u16();
        let exception_code = resp.headers().get("X-ClickHouse-Exception-Code").and_then(|v| v.to_str().ok()).map(str::to_string);
        let summary = resp.headers().get("X-ClickHouse-Summary").and_then(|v| v.to_str().ok()).and_then(apiary::backend::Summary::from_header);
        let body = resp.body_mut().with_config().limit(u64::MAX).read_to_vec().map_err(|e| Error::Other(format!("ClickHouse: reading the answer: {e}")))?;
        Ok(Response { status, exception_code, summary, body })
    }
}

/// The backend a command names, with credentials from the environment.
pub fn backend(url: &str, database: &str, table: &str) -> Backend {
    let mut b = Backend::new(url, database, table);
    b.user = std::env::var("APIARY_CLICKHOUSE_USER").ok().filter(|s| !s.is_empty());
    b.key = std::env::var("APIARY_CLICKHOUSE_KEY").ok().filter(|s| !s.is_empty());
    b
}
