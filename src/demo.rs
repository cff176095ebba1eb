//! Deterministic demo data: realistic wide events, one row per span, with real trace trees.
//!
//! The same seed and row count always give the same bytes, on every platform (PCG64 generator,
//! no wall clock). A hidden cohort is slow and erroring: spans of `app.version = 3.8.1` served from
//! `region = eu-west-1` during the last [`INCIDENT_MINUTES`] minutes. Neither value alone explains it
//! (3.8.1 runs everywhere, eu-west-1 runs other versions), which is what BubbleUp must discover.

use std::sync::Arc;

use arrow_array::builder::{
    BooleanBuilder, Float64Builder, Int64Builder, StringBuilder, StringDictionaryBuilder,
    TimestampMillisecondBuilder,
};
use arrow_array::types::Int32Type;
use arrow_array::{ArrayRef, RecordBatch};
use arrow_schema::{DataType, Field, Schema, SchemaRef, TimeUnit};
use rand::{Rng, SeedableRng};
use rand_pcg::Pcg64Mcg;

/// The demo's last event is at most this instant (2026-11-01T12:00:00Z), in ms since the epoch.
pub const END_MS: i64 = 1_793_534_400_000;
/// The demo covers this many hours before [`END_MS`].
pub const HOURS: i64 = 6;
/// The incident (the hidden cohort) runs for this many minutes before [`END_MS`].
pub const INCIDENT_MINUTES: i64 = 90;
/// The cohort's two attribute values.
pub const COHORT_REGION: &str = "eu-west-1";
pub const COHORT_VERSION: &str = "3.8.1";

const REGIONS: [&str; 5] = ["us-east-1", "us-west-2", "eu-west-1", "eu-central-1", "ap-southeast-2"];
const VERSIONS: [&str; 4] = ["3.7.2", "3.7.3", "3.8.0", "3.8.1"];
const PLANS: [&str; 3] = ["free", "pro", "enterprise"];
const AGENTS: [&str; 5] = [
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) Chrome/130.0",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) Firefox/131.0",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 18_0) Safari/605.1",
    "okhttp/4.12.0",
    "curl/8.5.0",
];

/// An entry point of a trace: the root span's route and what it calls.
struct Route {
    method: &'static str,
    route: &'static str,
    base_ms: f64,
    calls: &'static [&'static str],
}

const ROUTES: [Route; 7] = [
    Route { method: "GET", route: "/", base_ms: 35.0, calls: &["catalog", "users"] },
    Route { method: "GET", route: "/product/{id}", base_ms: 60.0, calls: &["catalog", "inventory", "users"] },
    Route { method: "GET", route: "/search", base_ms: 90.0, calls: &["search", "catalog"] },
    Route { method: "POST", route: "/cart", base_ms: 70.0, calls: &["cart", "inventory"] },
    Route { method: "GET", route: "/cart", base_ms: 40.0, calls: &["cart"] },
    Route { method: "POST", route: "/checkout", base_ms: 180.0, calls: &["checkout", "cart", "users"] },
    Route { method: "GET", route: "/account", base_ms: 45.0, calls: &["users"] },
];

/// What each backend service does when called: its operations and what it calls in turn.
fn service_ops(service: &str) -> (&'static [&'static str], &'static [&'static str]) {
    match service {
        "catalog" => (&["GET /api/products", "GET /api/products/{id}"], &["postgres", "redis"]),
        "users" => (&["GET /api/users/{id}", "GET /api/session"], &["redis", "postgres"]),
        "inventory" => (&["GET /api/stock/{sku}"], &["postgres"]),
        "search" => (&["GET /api/search"], &["catalog", "redis"]),
        "cart" => (&["GET /api/cart", "POST /api/cart/items"], &["redis"]),
        "checkout" => (&["POST /api/checkout"], &["payments", "inventory", "postgres"]),
        "payments" => (&["POST /api/charge"], &["postgres"]),
        _ => (&["call"], &[]),
    }
}

pub fn schema() -> SchemaRef {
    let dict = || DataType::Dictionary(Box::new(DataType::Int32), Box::new(DataType::Utf8));
    Arc::new(Schema::new(vec![
        Field::new("timestamp", DataType::Timestamp(TimeUnit::Millisecond, Some("UTC".into())), false),
        Field::new("service.name", dict(), false),
        Field::new("name", dict(), false),
        Field::new("span.kind", dict(), false),
        Field::new("http.route", dict(), true),
        Field::new("http.method", dict(), true),
        Field::new("http.status_code", DataType::Int64, true),
        Field::new("duration_ms", DataType::Float64, false),
        Field::new("error", DataType::Boolean, false),
        Field::new("status.code", dict(), false),
        Field::new("region", dict(), false),
        Field::new("app.version", dict(), false),
        Field::new("user.id", DataType::Utf8, true),
        Field::new("trace.trace_id", DataType::Utf8, false),
        Field::new("trace.span_id", DataType::Utf8, false),
        Field::new("trace.parent_id", DataType::Utf8, true),
        Field::new("sample_rate", DataType::Int64, false),
        Field::new("host.name", dict(), false),
        Field::new("k8s.pod.name", dict(), false),
        Field::new("cloud.availability_zone", dict(), false),
        Field::new("customer.plan", dict(), true),
        Field::new("db.system", dict(), true),
        Field::new("db.statement", dict(), true),
        Field::new("user_agent.original", dict(), true),
        Field::new("http.request.body.size", DataType::Int64, true),
        Field::new("http.response.body.size", DataType::Int64, true),
        Field::new("cache.hit", DataType::Boolean, true),
        Field::new("retry.count", DataType::Int64, false),
        Field::new("feature_flag.new_checkout", DataType::Boolean, true),
        Field::new("team", dict(), false),
        Field::new("error.message", DataType::Utf8, true),
    ]))
}

type Dict = StringDictionaryBuilder<Int32Type>;

struct Columns {
    timestamp: TimestampMillisecondBuilder,
    service: Dict,
    name: Dict,
    kind: Dict,
    route: Dict,
    method: Dict,
    status: Int64Builder,
    duration: Float64Builder,
    error: BooleanBuilder,
    status_code: Dict,
    region: Dict,
    version: Dict,
    user: StringBuilder,
    trace_id: StringBuilder,
    span_id: StringBuilder,
    parent_id: StringBuilder,
    sample_rate: Int64Builder,
    host: Dict,
    pod: Dict,
    zone: Dict,
    plan: Dict,
    db_system: Dict,
    db_statement: Dict,
    agent: Dict,
    req_size: Int64Builder,
    resp_size: Int64Builder,
    cache_hit: BooleanBuilder,
    retries: Int64Builder,
    flag: BooleanBuilder,
    team: Dict,
    error_message: StringBuilder,
}

/// Attributes shared by every span of one trace.
struct TraceContext {
    trace_id: String,
    user: Option<String>,
    plan: Option<&'static str>,
    region: &'static str,
    agent: Option<&'static str>,
    sample_rate: i64,
    flag: Option<bool>,
    /// Whether this trace runs on the bad deploy in the bad region during the incident.
    cohort: bool,
}

/// A span to emit, before its row is written.
struct Span<'a> {
    service: &'a str,
    name: String,
    kind: &'static str,
    route: Option<&'a str>,
    method: Option<&'a str>,
    start_ms: f64,
    duration_ms: f64,
    parent: Option<String>,
    db: Option<(&'static str, &'static str)>,
}

pub struct Generator {
    rng: Pcg64Mcg,
    cols: Columns,
    rows: usize,
    next_id: u64,
}

impl Generator {
    fn new(seed: u64) -> Self {
        let dict = Dict::new;
        Generator {
            rng: Pcg64Mcg::seed_from_u64(seed),
            rows: 0,
            next_id: seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1,
            cols: Columns {
                timestamp: TimestampMillisecondBuilder::new().with_timezone("UTC"),
                service: dict(),
                name: dict(),
                kind: dict(),
                route: dict(),
                method: dict(),
                status: Int64Builder::new(),
                duration: Float64Builder::new(),
                error: BooleanBuilder::new(),
                status_code: dict(),
                region: dict(),
                version: dict(),
                user: StringBuilder::new(),
                trace_id: StringBuilder::new(),
                span_id: StringBuilder::new(),
                parent_id: StringBuilder::new(),
                sample_rate: Int64Builder::new(),
                host: dict(),
                pod: dict(),
                zone: dict(),
                plan: dict(),
                db_system: dict(),
                db_statement: dict(),
                agent: dict(),
                req_size: Int64Builder::new(),
                resp_size: Int64Builder::new(),
                cache_hit: BooleanBuilder::new(),
                retries: Int64Builder::new(),
                flag: BooleanBuilder::new(),
                team: dict(),
                error_message: StringBuilder::new(),
            },
        }
    }

    fn id(&mut self) -> u64 {
        // splitmix64: unique, well-spread ids without a second RNG stream.
        self.next_id = self.next_id.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.next_id;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A log-normal draw around `median` (sigma 0.5): latency-like, with a long tail.
    fn lognormal(&mut self, median: f64, sigma: f64) -> f64 {
        let u1: f64 = self.rng.gen::<f64>().max(1e-12);
        let u2: f64 = self.rng.gen();
        let z = (-2.0 * u1.ln()).sqrt() * (2.0 * std::f64::consts::PI * u2).cos();
        median * (sigma * z).exp()
    }

    fn pick<T: Copy>(&mut self, items: &[T]) -> T {
        items[self.rng.gen_range(0..items.len())]
    }

    fn trace(&mut self, max_spans: usize, span_budget: usize, start_ms: f64) {
        let route = &ROUTES[self.weighted_route()];
        let region = self.pick(&REGIONS);
        let version = self.version_at(start_ms);
        let incident = start_ms >= (END_MS - INCIDENT_MINUTES * 60_000) as f64;
        let logged_in = self.rng.gen_bool(0.8);
        let users = (span_budget / 2).max(50) as u64;
        let ctx = TraceContext {
            trace_id: format!("{:016x}{:016x}", self.id(), self.id()),
            user: logged_in.then(|| format!("user-{:06}", self.rng.gen_range(0..users))),
            plan: logged_in.then(|| self.pick(&PLANS)),
            region,
            agent: Some(self.pick(&AGENTS)),
            sample_rate: if route.route == "/" && self.rng.gen_bool(0.3) { 5 } else { 1 },
            flag: (route.route == "/checkout").then(|| self.rng.gen_bool(0.5)),
            cohort: incident && region == COHORT_REGION && version == COHORT_VERSION,
        };
        let mut remaining = max_spans.max(1);
        let slow = if ctx.cohort { self.rng.gen_range(6.0..12.0) } else { 1.0 };
        let duration = self.lognormal(route.base_ms, 0.45) * slow;
        let root = Span {
            service: "frontend",
            name: format!("{} {}", route.method, route.route),
            kind: "server",
            route: Some(route.route),
            method: Some(route.method),
            start_ms,
            duration_ms: duration,
            parent: None,
            db: None,
        };
        remaining -= 1;
        self.span(&ctx, version, root, route.calls, &mut remaining, 0);
    }

    fn weighted_route(&mut self) -> usize {
        const WEIGHTS: [u32; 7] = [30, 25, 15, 10, 8, 5, 7];
        let mut x = self.rng.gen_range(0..WEIGHTS.iter().sum::<u32>());
        for (i, w) in WEIGHTS.iter().enumerate() {
            if x < *w {
                return i;
            }
            x -= w;
        }
        0
    }

    /// Version 3.8.1 is rolled out 2 hours before the end; before that 3.8.0 is newest.
    fn version_at(&mut self, t: f64) -> &'static str {
        let rollout = (END_MS - 2 * 3_600_000) as f64;
        if t >= rollout && self.rng.gen_bool(0.5) {
            COHORT_VERSION
        } else {
            self.pick(&VERSIONS[..3])
        }
    }

    fn span(
        &mut self,
        ctx: &TraceContext,
        version: &str,
        span: Span,
        calls: &[&str],
        remaining: &mut usize,
        depth: usize,
    ) {
        let span_id = format!("{:016x}", self.id());
        // Children run inside the parent, partly overlapping (fan-out) and partly sequential.
        let mut cursor = span.start_ms + span.duration_ms * self.rng.gen_range(0.02..0.1);
        let end = span.start_ms + span.duration_ms;
        let mut children = Vec::new();
        if depth < 4 {
            for &callee in calls {
                if *remaining == 0 || !self.rng.gen_bool(if depth == 0 { 0.9 } else { 0.6 }) {
                    continue;
                }
                *remaining -= 1;
                let room = (end - cursor).max(0.01);
                let dur = room * self.rng.gen_range(0.2..0.85);
                let parallel = self.rng.gen_bool(0.3);
                let start = cursor;
                if !parallel {
                    cursor = (cursor + dur).min(end);
                }
                children.push((callee, start, dur));
            }
        }
        self.write_row(ctx, version, &span, &span_id, depth);
        for (callee, start, dur) in children {
            let child = match callee {
                "postgres" | "redis" => {
                    let (system, stmt) = if callee == "postgres" {
                        ("postgresql", self.pick(&["SELECT products", "SELECT users", "UPDATE stock", "INSERT orders"]))
                    } else {
                        ("redis", self.pick(&["GET", "SET", "MGET"]))
                    };
                    Span {
                        service: callee,
                        name: stmt.to_string(),
                        kind: "client",
                        route: None,
                        method: None,
                        start_ms: start,
                        duration_ms: dur,
                        parent: Some(span_id.clone()),
                        db: Some((system, stmt)),
                    }
                }
                svc => {
                    let (ops, _) = service_ops(svc);
                    let op = self.pick(ops);
                    let (method, path) = op.split_once(' ').unwrap_or(("GET", op));
                    Span {
                        service: svc,
                        name: op.to_string(),
                        kind: "server",
                        route: Some(path),
                        method: Some(method),
                        start_ms: start,
                        duration_ms: dur,
                        parent: Some(span_id.clone()),
                        db: None,
                    }
                }
            };
            let next = service_ops(callee).1;
            self.span(ctx, version, child, next, remaining, depth + 1);
        }
    }

    fn write_row(&mut self, ctx: &TraceContext, version: &str, s: &Span, span_id: &str, depth: usize) {
        let c = &mut self.cols;
        let rng = &mut self.rng;
        let base_error = if ctx.cohort { 0.3 } else { 0.01 };
        let error = rng.gen_bool(base_error);
        let is_http = s.route.is_some();
        c.timestamp.append_value(s.start_ms.floor() as i64);
        c.service.append_value(s.service);
        c.name.append_value(&s.name);
        c.kind.append_value(s.kind);
        c.route.append_option(s.route);
        c.method.append_option(s.method);
        let status = if !is_http {
            None
        } else if error {
            Some(*[500i64, 502, 503, 504].get(rng.gen_range(0..4)).unwrap_or(&500))
        } else if rng.gen_bool(0.04) {
            Some(*[400i64, 401, 404, 429].get(rng.gen_range(0..4)).unwrap_or(&404))
        } else {
            Some(if s.method == Some("POST") { 201 } else { 200 })
        };
        c.status.append_option(status);
        c.duration.append_value((s.duration_ms * 1000.0).round() / 1000.0);
        c.error.append_value(error);
        c.status_code.append_value(if error { "ERROR" } else if depth == 0 { "OK" } else { "UNSET" });
        c.region.append_value(ctx.region);
        c.version.append_value(version);
        c.user.append_option(ctx.user.as_deref());
        c.trace_id.append_value(&ctx.trace_id);
        c.span_id.append_value(span_id);
        c.parent_id.append_option(s.parent.as_deref());
        c.sample_rate.append_value(ctx.sample_rate);
        let host = rng.gen_range(0..6);
        c.host.append_value(format!("{}-{}-{host}", s.service, ctx.region));
        c.pod.append_value(format!("{}-{:x}", s.service, 0x5f00 + host * 7));
        c.zone.append_value(format!("{}{}", ctx.region, ["a", "b", "c"][host as usize % 3]));
        c.plan.append_option(ctx.plan);
        c.db_system.append_option(s.db.map(|d| d.0));
        c.db_statement.append_option(s.db.map(|d| d.1));
        c.agent.append_option(if depth == 0 { ctx.agent } else { None });
        c.req_size.append_option(is_http.then(|| if s.method == Some("POST") { rng.gen_range(200..8_000) } else { 0 }));
        c.resp_size.append_option(is_http.then(|| rng.gen_range(300..60_000)));
        c.cache_hit.append_option((s.service == "redis").then(|| rng.gen_bool(if ctx.cohort { 0.2 } else { 0.85 })));
        c.retries.append_value(if error && rng.gen_bool(0.5) { rng.gen_range(1..4) } else { 0 });
        c.flag.append_option(ctx.flag);
        c.team.append_value(match s.service {
            "frontend" | "search" => "web",
            "checkout" | "payments" | "cart" => "commerce",
            "postgres" | "redis" => "data",
            _ => "platform",
        });
        c.error_message.append_option(error.then(|| {
            if ctx.cohort { "upstream timeout: cache unavailable" } else { "internal error" }
        }));
        self.rows += 1;
    }

    fn finish(mut self, schema: SchemaRef) -> RecordBatch {
        let c = &mut self.cols;
        let columns: Vec<ArrayRef> = vec![
            Arc::new(c.timestamp.finish()),
            Arc::new(c.service.finish()),
            Arc::new(c.name.finish()),
            Arc::new(c.kind.finish()),
            Arc::new(c.route.finish()),
            Arc::new(c.method.finish()),
            Arc::new(c.status.finish()),
            Arc::new(c.duration.finish()),
            Arc::new(c.error.finish()),
            Arc::new(c.status_code.finish()),
            Arc::new(c.region.finish()),
            Arc::new(c.version.finish()),
            Arc::new(c.user.finish()),
            Arc::new(c.trace_id.finish()),
            Arc::new(c.span_id.finish()),
            Arc::new(c.parent_id.finish()),
            Arc::new(c.sample_rate.finish()),
            Arc::new(c.host.finish()),
            Arc::new(c.pod.finish()),
            Arc::new(c.zone.finish()),
            Arc::new(c.plan.finish()),
            Arc::new(c.db_system.finish()),
            Arc::new(c.db_statement.finish()),
            Arc::new(c.agent.finish()),
            Arc::new(c.req_size.finish()),
            Arc::new(c.resp_size.finish()),
            Arc::new(c.cache_hit.finish()),
            Arc::new(c.retries.finish()),
            Arc::new(c.flag.finish()),
            Arc::new(c.team.finish()),
            Arc::new(c.error_message.finish()),
        ];
        // The builders match the schema by construction; a mismatch is a bug caught by tests.
        RecordBatch::try_new(schema, columns).expect("demo columns match the demo schema")
    }
}

/// Generate `rows` span rows (exactly) in batches of at most `batch_rows`, from `seed`.
pub fn generate(rows: usize, seed: u64, batch_rows: usize) -> Vec<RecordBatch> {
    let schema = schema();
    let batch_rows = batch_rows.max(1);
    let span_ms = (HOURS * 3_600_000) as f64;
    let start = (END_MS - HOURS * 3_600_000) as f64;
    let mut batches = Vec::new();
    let mut done = 0usize;
    let mut gen = Generator::new(seed);
    while done < rows {
        let want = (rows - done).min(batch_rows);
        while gen.rows < want {
            // Trace starts are spread over the window with a daily-looking swell.
            let u: f64 = gen.rng.gen();
            let t = start + span_ms * (done + gen.rows) as f64 / rows.max(1) as f64;
            let jitter = (u - 0.5) * 2_000.0;
            let size = (1.0 + gen.lognormal(4.0, 0.8)).min(30.0) as usize;
            let max = size.clamp(1, 30).min(want - gen.rows);
            gen.trace(max, rows, (t + jitter).clamp(start, END_MS as f64 - 60_000.0));
        }
        done += gen.rows;
        let next = Generator::new(gen.rng.gen());
        let finished = std::mem::replace(&mut gen, next);
        batches.push(finished.finish(schema.clone()));
    }
    batches
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow_array::cast::AsArray;
    use arrow_array::types::TimestampMillisecondType;

    #[test]
    fn exact_row_count_and_deterministic() {
        let a = generate(5_000, 7, 2_000);
        let b = generate(5_000, 7, 2_000);
        assert_eq!(a.iter().map(|b| b.num_rows()).sum::<usize>(), 5_000);
        assert_eq!(a.len(), 3);
        assert_eq!(a, b);
        let c = generate(5_000, 8, 2_000);
        assert_ne!(a, c);
    }

    #[test]
    fn timestamps_inside_window() {
        for batch in generate(3_000, 1, 10_000) {
            let ts = batch.column(0).as_primitive::<TimestampMillisecondType>();
            for t in ts.values().iter() {
                assert!(*t >= END_MS - HOURS * 3_600_000 && *t < END_MS, "{t}");
            }
        }
    }
}
