"""A ClickHouse HTTP interface over chdb (ClickHouse's own engine, in process), for tests and demos.

It answers as a ClickHouse server does on :8123 for what Apiary uses:
- the SQL in the POST body (or `?query=`), `param_<name>=` bound parameters (`{name:Type}`),
  `default_format`, `database`, and settings given as URL parameters (`output_format_*`,
  `transform_null_in`, `max_result_rows`, ...);
- users: `X-ClickHouse-User` / `X-ClickHouse-Key` headers, HTTP Basic, or `user=` / `password=`;
  a wrong one gets ClickHouse's AUTHENTICATION_FAILED (code 516, HTTP 401);
- every query runs with readonly=2 (reads only; settings may change), as a browser user should;
- errors as ClickHouse sends them: `Code: N. DB::Exception: ... (NAME)` in the body, the code in
  `X-ClickHouse-Exception-Code`; with `--errors-in-body` they arrive with HTTP 200, as they do when
  ClickHouse had already started streaming a result;
- `X-ClickHouse-Summary` with what the query read (rows and bytes, as strings);
- CORS when asked (`add_http_cors_header=1`) and for preflight requests.

Tables (from an Arrow IPC stream written by `apiary demo`): `demo` holds the rows as they are (flat
wide events) and `otel_traces` the same spans in the OpenTelemetry Collector's ClickHouse exporter
layout (Timestamp, TraceId, SpanId, ParentSpanId, SpanName, ServiceName, Duration in ns,
StatusCode, SpanAttributes / ResourceAttributes maps); `deploy_markers` holds three markers.

Usage: server.py --data demo.arrow [--port 8123] [--user apiary --key secret] [--errors-in-body] [--flat-only]
Prints `listening on http://127.0.0.1:PORT` once the tables are loaded.
"""

import argparse
import base64
import json
import re
import sys
import tempfile
import threading
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from chdb import session as chs

SETTING_NAME = re.compile(r"^[a-z_][a-z0-9_]*$")
SETTING_VALUE = re.compile(r"^[A-Za-z0-9_.\-]*$")
FORMAT_AT_END = re.compile(r"\s+FORMAT\s+([A-Za-z]+)\s*;?\s*$", re.IGNORECASE)
NOT_SETTINGS = {"query", "default_format", "database", "user", "password", "add_http_cors_header",
                "wait_end_of_query", "query_id", "session_id", "compress", "decompress"}

# The collector's table (exporter version 0.1xx), with the demo's attributes in its maps.
OTEL_TABLE = """
CREATE TABLE otel_traces (
    Timestamp DateTime64(9) CODEC(Delta, ZSTD(1)),
    TraceId String CODEC(ZSTD(1)),
    SpanId String CODEC(ZSTD(1)),
    ParentSpanId String CODEC(ZSTD(1)),
    TraceState String CODEC(ZSTD(1)),
    SpanName LowCardinality(String) CODEC(ZSTD(1)),
    SpanKind LowCardinality(String) CODEC(ZSTD(1)),
    ServiceName LowCardinality(String) CODEC(ZSTD(1)),
    ResourceAttributes Map(LowCardinality(String), String) CODEC(ZSTD(1)),
    ScopeName String CODEC(ZSTD(1)),
    ScopeVersion String CODEC(ZSTD(1)),
    SpanAttributes Map(LowCardinality(String), String) CODEC(ZSTD(1)),
    Duration UInt64 CODEC(ZSTD(1)),
    StatusCode LowCardinality(String) CODEC(ZSTD(1)),
    StatusMessage String CODEC(ZSTD(1)),
    Events Nested (Timestamp DateTime64(9), Name LowCardinality(String), Attributes Map(LowCardinality(String), String)) CODEC(ZSTD(1)),
    Links Nested (TraceId String, SpanId String, TraceState String, Attributes Map(LowCardinality(String), String)) CODEC(ZSTD(1))
) ENGINE = MergeTree
PARTITION BY toDate(Timestamp)
ORDER BY (ServiceName, SpanName, toDateTime(Timestamp))
"""

RESOURCE_KEYS = ["host.name", "k8s.pod.name", "cloud.availability_zone", "team"]
RESOURCE_AS = {"app.version": "service.version", "region": "cloud.region"}
SPAN_KEYS = ["http.route", "http.method", "http.status_code", "customer.plan", "db.system", "db.statement",
             "user.id", "user_agent.original", "http.request.body.size", "http.response.body.size", "cache.hit",
             "retry.count", "feature_flag.new_checkout", "error.message", "sample_rate"]


def q(name):
    return "`" + name.replace("`", "``") + "`"


def attr_map(pairs):
    """A Map(String, String) of the columns that are not null, as text (booleans as true/false)."""
    keys = "[" + ", ".join(repr(k) for k, _ in pairs) + "]"
    vals = "[" + ", ".join(f"toString({q(c)})" for _, c in pairs) + "]"
    return (f"mapFromArrays(arrayFilter((k, v) -> isNotNull(v), {keys}, {vals}), "
            f"arrayMap(v -> assumeNotNull(v), arrayFilter(v -> isNotNull(v), {vals})))")


def load(sess, data, otel=True):
    sess.query(f"CREATE TABLE demo ENGINE = MergeTree ORDER BY tuple() AS SELECT * FROM file('{data}', 'ArrowStream')")
    # Markers as a team keeps them in its store: deploys, an incident (a range), a flag change.
    sess.query("""CREATE TABLE deploy_markers (start_time DateTime64(3, 'UTC'), end_time Nullable(DateTime64(3, 'UTC')),
        type LowCardinality(String), message String, url String) ENGINE = MergeTree ORDER BY start_time""")
    sess.query("""INSERT INTO deploy_markers VALUES
        ('2026-11-01 10:30:00', NULL, 'deploy', 'deploy 3.8.1 to eu-west-1', 'https://ci.example/deploys/381'),
        ('2026-11-01 10:45:00', '2026-11-01 11:30:00', 'incident', 'INC-7 checkout slow <img src=x onerror="window.__pwned=1">', 'https://status.example/incidents/7'),
        ('2026-11-01 08:00:00', NULL, 'flag', 'new_checkout on for 10%', '')""")
    if not otel:
        return
    sess.query(OTEL_TABLE)
    resource = [(RESOURCE_AS.get(c, c), c) for c in RESOURCE_KEYS + list(RESOURCE_AS)]
    span = [(c, c) for c in SPAN_KEYS]
    sess.query(f"""
        INSERT INTO otel_traces (Timestamp, TraceId, SpanId, ParentSpanId, SpanName, SpanKind, ServiceName,
            ResourceAttributes, ScopeName, SpanAttributes, Duration, StatusCode, StatusMessage)
        SELECT timestamp, `trace.trace_id`, `trace.span_id`, ifNull(`trace.parent_id`, ''), name,
            concat('SPAN_KIND_', upper(ifNull(`span.kind`, 'internal'))), `service.name`,
            {attr_map(resource)}, 'apiary-demo', {attr_map(span)},
            toUInt64(round(duration_ms * 1000000)),
            if(error, if(cityHash64(`trace.span_id`) % 2 = 0, 'Error', 'STATUS_CODE_ERROR'), 'Unset'),
            ifNull(`error.message`, '')
        FROM demo""")


class Server:
    def __init__(self, data, user, key, errors_in_body, otel=True):
        self.dir = tempfile.mkdtemp(prefix="apiary-chdb-")
        self.sess = chs.Session(self.dir)
        load(self.sess, data, otel)
        # Every request after this is a read (readonly=2: settings may still change).
        self.sess.query("SET readonly = 2")
        self.user, self.key, self.errors_in_body = user, key, errors_in_body
        self.lock = threading.Lock()

    def run(self, sql, params, fmt, settings):
        m = FORMAT_AT_END.search(sql)
        if m:
            fmt, sql = m.group(1), sql[: m.start()]
        sql = sql.rstrip().rstrip(";")
        if settings:
            sql += " SETTINGS " + ", ".join(f"{k} = {v if re.match(r'^-?[0-9.]+$', v) else repr(v)}" for k, v in settings.items())
        with self.lock:
            res = self.sess.query(sql, fmt, params=params)
        # ClickHouse's X-ClickHouse-Summary: what the query read from its tables, counts as strings.
        summary = {"read_rows": str(res.storage_rows_read()), "read_bytes": str(res.storage_bytes_read()), "result_rows": str(res.rows_read()), "elapsed_ns": str(int(res.elapsed() * 1e9))}
        return (res.bytes() if hasattr(res, "bytes") else bytes(res)), summary


def handler(srv):
    class H(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *a):
            pass

        def cors(self, url_params):
            if url_params.get("add_http_cors_header") == "1" or self.command == "OPTIONS":
                self.send_header("Access-Control-Allow-Origin", "*")
                self.send_header("Access-Control-Allow-Headers", "X-ClickHouse-User, X-ClickHouse-Key, Authorization, Content-Type")
                self.send_header("Access-Control-Allow-Methods", "POST, GET, OPTIONS")
                self.send_header("Access-Control-Expose-Headers", "X-ClickHouse-Exception-Code, X-ClickHouse-Summary")

        def reply(self, status, body, url_params, ctype="text/plain; charset=UTF-8", code=None, summary=None):
            self.send_response(status)
            self.send_header("Content-Type", ctype)
            if summary is not None:
                self.send_header("X-ClickHouse-Summary", json.dumps(summary, separators=(",", ":")))
            self.send_header("Content-Length", str(len(body)))
            if code is not None:
                self.send_header("X-ClickHouse-Exception-Code", str(code))
            self.cors(url_params)
            self.end_headers()
            self.wfile.write(body)

        def do_OPTIONS(self):
            self.send_response(204)
            self.cors({})
            self.send_header("Content-Length", "0")
            self.end_headers()

        def do_GET(self):
            self.handle_query(b"")

        def do_POST(self):
            n = int(self.headers.get("Content-Length") or 0)
            self.handle_query(self.rfile.read(n))

        def handle_query(self, body):
            url = urllib.parse.urlsplit(self.path)
            if url.path not in ("/", ""):
                if url.path == "/ping":
                    return self.reply(200, b"Ok.\n", {})
                return self.reply(404, b"There is no handle " + url.path.encode() + b"\n", {})
            p = dict(urllib.parse.parse_qsl(url.query, keep_blank_values=True))
            user = self.headers.get("X-ClickHouse-User") or p.get("user")
            key = self.headers.get("X-ClickHouse-Key") or p.get("password")
            auth = self.headers.get("Authorization", "")
            if auth.startswith("Basic "):
                try:
                    user, _, key = base64.b64decode(auth[6:]).decode().partition(":")
                except ValueError:
                    user = key = None
            if srv.user and (user != srv.user or key != srv.key):
                msg = f"Code: 516. DB::Exception: {user or 'default'}: Authentication failed: password is incorrect, or there is no user with such name. (AUTHENTICATION_FAILED)\n"
                return self.reply(401, msg.encode(), p, code=516)
            sql = (p.get("query", "") + "\n" + body.decode("utf-8", "replace")).strip()
            params = {k[6:]: v for k, v in p.items() if k.startswith("param_")}
            settings = {k: v for k, v in p.items() if k not in NOT_SETTINGS and not k.startswith("param_")}
            for k, v in settings.items():
                if not SETTING_NAME.match(k) or not SETTING_VALUE.match(v):
                    msg = f"Code: 115. DB::Exception: Unknown setting '{k}'. (UNKNOWN_SETTING)\n"
                    return self.reply(400, msg.encode(), p, code=115)
            if "database" in p and p["database"] not in ("", "default"):
                msg = f"Code: 81. DB::Exception: Database {p['database']} does not exist. (UNKNOWN_DATABASE)\n"
                return self.reply(404, msg.encode(), p, code=81)
            try:
                out, summary = srv.run(sql, params, p.get("default_format", "TabSeparated"), settings)
            except Exception as e:  # chdb raises with ClickHouse's own message
                msg = str(e).strip() + "\n"
                code = re.match(r"Code: (\d+)", msg)
                if srv.errors_in_body:
                    return self.reply(200, msg.encode(), p)
                return self.reply(500 if not code or code.group(1) != "164" else 403, msg.encode(), p, code=code.group(1) if code else None)
            fmt = p.get("default_format", "TabSeparated")
            ctype = "application/vnd.apache.arrow.stream" if "Arrow" in fmt or "ArrowStream" in sql[-40:] else "text/plain; charset=UTF-8"
            self.reply(200, out, p, ctype=ctype, summary=summary)

    return H


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", required=True, help="an Arrow IPC stream written by `apiary demo`")
    ap.add_argument("--port", type=int, default=8123)
    ap.add_argument("--user", default="apiary")
    ap.add_argument("--key", default="apiary")
    ap.add_argument("--errors-in-body", action="store_true")
    ap.add_argument("--flat-only", action="store_true", help="load only the flat `demo` table (faster for big data)")
    a = ap.parse_args()
    srv = Server(a.data, a.user, a.key, a.errors_in_body, otel=not a.flat_only)
    httpd = ThreadingHTTPServer(("127.0.0.1", a.port), handler(srv))
    print(f"listening on http://127.0.0.1:{httpd.server_address[1]}", flush=True)
    try:
        httpd.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    sys.exit(main())
