// The benchmark's query set (BENCHMARKS.md), shared by the main benchmark page (bench.mjs) and
// the first-run page (first.mjs): each query as an Apiary spec and as DuckDB SQL, with how to
// turn each answer into comparable rows; Q7 (BubbleUp) as a function per engine.

// The demo data set's time range (src/demo.rs: END_MS and HOURS).
export const END = 1793534400;
export const START = END - 6 * 3600;
export const RANGE = { start_time: START, end_time: END };
export const BUBBLE_COLUMNS = ['region', 'app.version', 'service.name', 'http.route', 'http.method'];

export const WHERE_RANGE = `"timestamp" >= to_timestamp(${START}) AND "timestamp" < to_timestamp(${END})`;

/** The query set: an Apiary spec, DuckDB SQL, and how to turn each answer into comparable rows. */
export const QUERIES = [
  {
    name: 'Q1 COUNT per 60 s',
    spec: { calculations: [{ op: 'COUNT' }], granularity: 60, ...RANGE },
    apiary: (r) => r.series.map((s) => [Date.parse(s.time) / 1000, s.data.COUNT]),
    sql: `SELECT (epoch_ms("timestamp") - ${START * 1000}) // 60000 AS b, COUNT(*) AS c FROM events WHERE ${WHERE_RANGE} GROUP BY b ORDER BY b`,
    duck: (rows) => rows.map((r) => [START + Number(r.b) * 60, Number(r.c)]),
  },
  {
    name: 'Q2 P50/P95/P99 by service, status >= 500',
    spec: { calculations: ['P50', 'P95', 'P99'].map((op) => ({ op, column: 'duration_ms' })), filters: [{ column: 'http.status_code', op: '>=', value: 500 }], breakdowns: ['service.name'], ...RANGE },
    apiary: (r) => r.results.map((x) => [x.data['service.name'], x.data['P50(duration_ms)'], x.data['P95(duration_ms)'], x.data['P99(duration_ms)']]),
    sql: `SELECT "service.name" AS s, quantile_cont(duration_ms, 0.5) AS p50, quantile_cont(duration_ms, 0.95) AS p95, quantile_cont(duration_ms, 0.99) AS p99 FROM events WHERE ${WHERE_RANGE} AND "http.status_code" >= 500 GROUP BY s ORDER BY p50 DESC, s`,
    duck: (rows) => rows.map((r) => [r.s, r.p50, r.p95, r.p99]),
  },
  {
    name: 'Q3 HEATMAP(duration_ms) per 60 s',
    spec: { calculations: [{ op: 'HEATMAP', column: 'duration_ms' }], granularity: 60, ...RANGE },
    // Apiary's layout (src/query/heatmap.rs): 50 equal buckets from the range's min to max.
    apiary: (r) => r.series.flatMap((s) => s.data["HEATMAP(duration_ms)"].counts.map((c, i) => [Date.parse(s.time) / 1000, i, c]).filter((x) => x[2] > 0)),
    sql: `WITH r AS (SELECT MIN(duration_ms) AS lo, (MAX(duration_ms) - MIN(duration_ms)) / 50 AS w FROM events WHERE ${WHERE_RANGE})
          SELECT (epoch_ms("timestamp") - ${START * 1000}) // 60000 AS b, LEAST(CAST(FLOOR((duration_ms - r.lo) / r.w) AS INTEGER), 49) AS k, COUNT(*) AS c
          FROM events, r WHERE ${WHERE_RANGE} GROUP BY b, k ORDER BY b, k`,
    duck: (rows) => rows.map((r) => [START + Number(r.b) * 60, Number(r.k), Number(r.c)]),
  },
  {
    name: 'Q4 COUNT_DISTINCT(user.id) by route, top 10',
    spec: { calculations: [{ op: 'COUNT_DISTINCT', column: 'user.id' }], breakdowns: ['http.route'], limit: 10, ...RANGE },
    apiary: (r) => r.results.map((x) => [x.data['http.route'], x.data['COUNT_DISTINCT(user.id)']]),
    sql: `SELECT "http.route" AS k, COUNT(DISTINCT "user.id") AS c FROM events WHERE ${WHERE_RANGE} GROUP BY k ORDER BY c DESC, k ASC NULLS LAST LIMIT 10`,
    duck: (rows) => rows.map((r) => [r.k, Number(r.c)]),
  },
  {
    name: 'Q5 COUNT by user.id (~200k groups), top 20',
    spec: { calculations: [{ op: 'COUNT' }], breakdowns: ['user.id'], limit: 20, ...RANGE },
    apiary: (r) => r.results.map((x) => [x.data['user.id'], x.data.COUNT]),
    sql: `SELECT "user.id" AS k, COUNT(*) AS c FROM events WHERE ${WHERE_RANGE} GROUP BY k ORDER BY c DESC, k ASC NULLS LAST LIMIT 20`,
    duck: (rows) => rows.map((r) => [r.k, Number(r.c)]),
  },
  {
    name: 'Q6 name contains "checkout" AND duration > 500: COUNT, AVG by region',
    spec: { calculations: [{ op: 'COUNT' }, { op: 'AVG', column: 'duration_ms' }], filters: [{ column: 'name', op: 'contains', value: 'checkout' }, { column: 'duration_ms', op: '>', value: 500 }], breakdowns: ['region'], ...RANGE },
    apiary: (r) => r.results.map((x) => [x.data.region, x.data.COUNT, x.data['AVG(duration_ms)']]),
    sql: `SELECT region AS k, COUNT(*) AS c, AVG(duration_ms) AS a FROM events WHERE ${WHERE_RANGE} AND contains(name, 'checkout') AND duration_ms > 500 GROUP BY k ORDER BY c DESC, k`,
    duck: (rows) => rows.map((r) => [r.k, Number(r.c), r.a]),
  },
];

/** Q7: BubbleUp of duration_ms > P99 against the rest over five columns (threshold computed in the timing). */
export const Q7 = 'Q7 BubbleUp: duration > P99 vs the rest, 5 columns';

export function apiaryQ7(engine) {
  const p99 = JSON.parse(engine.query(JSON.stringify({ calculations: [{ op: 'P99', column: 'duration_ms' }], ...RANGE }))).results[0].data['P99(duration_ms)'];
  const sel = { filters: [{ column: 'duration_ms', op: '>', value: p99 }] };
  const out = JSON.parse(engine.bubbleup(JSON.stringify(RANGE), JSON.stringify(sel), JSON.stringify(BUBBLE_COLUMNS)));
  return { p99, out };
}

export async function duckQ7(conn) {
  const p = await conn.query(`SELECT quantile_cont(duration_ms, 0.99) AS p FROM events WHERE ${WHERE_RANGE}`);
  const p99 = p.toArray()[0].p;
  // One scan computes every column's value counts for both populations.
  const sets = BUBBLE_COLUMNS.map((c) => `("${c}")`).join(', ');
  const sql = `SELECT ${BUBBLE_COLUMNS.map((c, i) => `"${c}" AS c${i}`).join(', ')}, GROUPING_ID(${BUBBLE_COLUMNS.map((c) => `"${c}"`).join(', ')}) AS g,
    COUNT(*) FILTER (WHERE duration_ms > ${p99}) AS sel, COUNT(*) FILTER (WHERE NOT duration_ms > ${p99}) AS base
    FROM events WHERE ${WHERE_RANGE} GROUP BY GROUPING SETS (${sets})`;
  const rows = (await conn.query(sql)).toArray().map((r) => r.toJSON());
  return { p99, rows };
}
