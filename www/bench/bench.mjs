// The browser benchmark: Apiary's wasm engine and DuckDB-Wasm on the same Arrow IPC bytes, in one
// page load. scripts/bench.mjs opens this page with `?data=FILE&runs=N&warmup=W` and reads `window.benchResult`.
// Timings only print numbers; whether the two engines agree is checked here and reported.
import init, { Engine, decode } from './pkg/apiary.js';
import * as duckdb from '/node_modules/@duckdb/duckdb-wasm/dist/duckdb-browser.mjs';
import { RANGE, BUBBLE_COLUMNS, QUERIES, Q7, apiaryQ7, duckQ7 } from './queries.mjs';

const params = new URLSearchParams(location.search);
const DATA = params.get('data');
const RUNS = Number(params.get('runs') || 5);
// Untimed passes over the whole query set before the timed runs, per engine: a browser runs new
// wasm code in a baseline tier and optimizes each function in the background once it has run a
// while, so the first queries after a page load measure the tiers, not the engine. The first of
// these (cold) runs is reported on its own.
const WARMUP = Number(params.get('warmup') ?? 1);
// `warm=1`: after the load, the warm-up the page runs by itself (`Engine.warmUp`: the query
// kernels over the first 65,536 rows), then `idle` ms before the first query (the browser
// optimizes in the background; a person takes longer than that to ask their first question).
const WARM = params.get('warm') === '1';
const IDLE_MS = Number(params.get('idle') ?? 1000);
const log = (s) => { document.querySelector('#log').textContent += s + '\n'; console.log(s); };
// Memory of the renderer process, measured by the runner from /proc (exposed function).
const sample = async (label) => (window.benchSample ? window.benchSample(label) : null);

/** Compare Q7 answers: per column, per reported value, the selection and baseline counts. */
function checkQ7(a, d) {
  if (Math.abs(a.p99 - d.p99) > 1e-9 * Math.abs(d.p99)) return `P99 differs: apiary ${a.p99}, DuckDB ${d.p99}`;
  const n = BUBBLE_COLUMNS.length;
  for (const [i, col] of BUBBLE_COLUMNS.entries()) {
    const c = a.out.columns.find((x) => x.column === col);
    if (!c) return `apiary has no BubbleUp entry for ${col}`;
    // GROUPING_ID sets a bit (most significant first) for every column not grouped in a row's set.
    const set = d.rows.filter((r) => Number(r.g) === 2 ** n - 1 - 2 ** (n - 1 - i));
    if (c.values.length === 0) return `${col}: apiary reports no values`;
    for (const v of c.values) {
      const row = set.find((r) => r[`c${i}`] === v.value);
      if (!row) return `${col} = ${v.value}: not in DuckDB's answer`;
      if (Number(row.sel) !== v.selection_count || Number(row.base) !== v.baseline_count) {
        return `${col} = ${v.value}: apiary ${v.selection_count}/${v.baseline_count}, DuckDB ${row.sel}/${row.base}`;
      }
    }
  }
  return null;
}

const close = (a, b) => (typeof a === 'number' && typeof b === 'number' ? Math.abs(a - b) <= 1e-9 * Math.max(1, Math.abs(a), Math.abs(b)) : a === b);

function compare(a, d) {
  if (a.length !== d.length) return `${a.length} rows from apiary, ${d.length} from DuckDB`;
  for (let i = 0; i < a.length; i++) {
    for (let j = 0; j < a[i].length; j++) {
      if (!close(a[i][j], d[i][j])) return `row ${i} field ${j}: apiary ${JSON.stringify(a[i][j])}, DuckDB ${JSON.stringify(d[i][j])}`;
    }
  }
  return null;
}

/** Median of RUNS timed runs of `fn`; `first` is the cold run (`cold`, else the first timed run). */
async function median(fn, cold) {
  const times = [];
  let last;
  for (let i = 0; i < RUNS; i++) {
    const t = performance.now();
    last = await fn();
    times.push(performance.now() - t);
  }
  const first = cold ?? times[0];
  times.sort((x, y) => x - y);
  return { ms: times[Math.floor(times.length / 2)], first, last };
}

/** WARMUP untimed passes over `fns` in order; the time of each one's first (cold) run. */
async function warmUp(fns) {
  const cold = [];
  for (let pass = 0; pass < WARMUP; pass++) {
    for (const [i, fn] of fns.entries()) {
      const t = performance.now();
      await fn();
      if (pass === 0) cold[i] = performance.now() - t;
    }
  }
  return cold;
}

async function main() {
  const result = { data: DATA, runs: RUNS, warmup: WARMUP, queries: [], memory: {} };
  const bytes = new Uint8Array(await (await fetch(DATA)).arrayBuffer());
  result.bytes = bytes.length;
  log(`${DATA}: ${bytes.length} bytes`);
  result.memory.before = await sample('before');

  // Apiary: start, load, queries.
  let t = performance.now();
  const wasm = await init({ module_or_path: './pkg/apiary_bg.wasm' });
  const engine = new Engine();
  result.apiary = { start_ms: performance.now() - t };
  const memStart = wasm.memory.buffer.byteLength;
  t = performance.now();
  result.rows = engine.load(DATA, bytes);
  result.apiary.load_ms = performance.now() - t;
  // The part after the bytes are in wasm memory: decoding and the data set (Engine.lastLoadMs).
  result.apiary.engine_load_ms = engine.lastLoadMs;
  engine.setSampleRate('none');
  if (WARM) {
    result.apiary.warm_ms = engine.warmUp();
    log(`apiary: warm-up ${result.apiary.warm_ms.toFixed(1)} ms, then ${IDLE_MS} ms idle`);
    await new Promise((r) => setTimeout(r, IDLE_MS));
  }
  result.apiary.wasm_memory_before = memStart;
  result.apiary.wasm_memory_after_load = wasm.memory.buffer.byteLength;
  result.apiary.arrow_bytes = engine.byteSize();
  result.memory.apiary_loaded = await sample('apiary loaded');
  log(`apiary: ${result.rows} rows loaded in ${result.apiary.load_ms.toFixed(1)} ms`);
  const apiaryAnswers = [];
  const apiaryRuns = QUERIES.map((q) => {
    const spec = JSON.stringify(q.spec);
    return () => JSON.parse(engine.query(spec));
  });
  apiaryRuns.push(() => apiaryQ7(engine));
  const cold = await warmUp(apiaryRuns);
  for (const [i, q] of QUERIES.entries()) {
    const { ms, first, last } = await median(apiaryRuns[i], cold[i]);
    apiaryAnswers.push(q.apiary(last));
    result.queries.push({ name: q.name, apiary_ms: ms, apiary_first_ms: first });
    log(`apiary ${q.name}: ${ms.toFixed(2)} ms`);
  }
  const a7 = await median(apiaryRuns[QUERIES.length], cold[QUERIES.length]);
  result.queries.push({ name: Q7, apiary_ms: a7.ms, apiary_first_ms: a7.first });
  // #5's target: BubbleUp over every column (the page's BubbleUp), under 100 ms at 1M rows.
  const sel = JSON.stringify({ filters: [{ column: 'duration_ms', op: '>', value: a7.last.p99 }] });
  const all = await median(() => JSON.parse(engine.bubbleup(JSON.stringify(RANGE), sel, '')));
  const compared = all.last.columns.length + (all.last.skipped?.length ?? 0);
  result.queries.push({ name: `BubbleUp: duration > P99 vs the rest, all ${compared} columns (Apiary only)`, apiary_ms: all.ms, apiary_first_ms: all.first });
  log(`apiary BubbleUp over ${compared} columns: ${all.ms.toFixed(2)} ms`);
  // Derived columns (#20): the same condition as a plain filter and as a derived column.
  const plain = await median(() => JSON.parse(engine.query(JSON.stringify({ calculations: [{ op: 'COUNT' }], filters: [{ column: 'duration_ms', op: '>', value: 1000 }], ...RANGE }))));
  const derived = await median(() => JSON.parse(engine.query(JSON.stringify({ calculated_fields: [{ name: 'slow', expression: 'GT($duration_ms, 1000)' }], calculations: [{ op: 'COUNT' }], filters: [{ column: 'slow', op: '=', value: true }], ...RANGE }))));
  if (plain.last.results[0]?.data.COUNT !== derived.last.results[0]?.data.COUNT) throw new Error('the derived column and the plain filter disagree');
  result.queries.push({ name: 'WHERE duration_ms > 1000, COUNT (plain filter; Apiary only)', apiary_ms: plain.ms, apiary_first_ms: plain.first });
  result.queries.push({ name: `the same as a derived column GT($duration_ms, 1000): ${(derived.ms / plain.ms).toFixed(2)}× the plain filter (Apiary only)`, apiary_ms: derived.ms, apiary_first_ms: derived.first });
  // The SLO view's report (30 days; 5 burn alerts), the demo's preset SLI.
  const sloJson = JSON.stringify({ name: 'root latency', sli: 'IF(NOT(EXISTS($trace.parent_id)), LT($duration_ms, 1000))', target_percentage: 99.9, time_period_days: 30,
    burn_alerts: [{ type: 'multi_window' }, { type: 'exhaustion_time', exhaustion_minutes: 240 }, { type: 'budget_rate', budget_rate_window_minutes: 60, budget_rate_decrease_percent: 5 }] });
  const slo = await median(() => JSON.parse(engine.slo(sloJson)));
  result.queries.push({ name: 'SLO report: 30 days, burn-down, daily compliance, burn alerts (Apiary only)', apiary_ms: slo.ms, apiary_first_ms: slo.first });
  // The instrumentation quality report (coverage, semantic conventions, distinct values, trace health).
  const quality = await median(() => JSON.parse(engine.quality('')));
  result.queries.push({ name: 'instrumentation quality report: coverage, conventions, distinct values, trace health (Apiary only)', apiary_ms: quality.ms, apiary_first_ms: quality.first });
  log(`apiary derived ${derived.ms.toFixed(2)} ms vs plain ${plain.ms.toFixed(2)} ms; SLO ${slo.ms.toFixed(2)} ms; quality ${quality.ms.toFixed(2)} ms`);
  // Kept for the comparison with DuckDB, not part of the report.
  Object.defineProperty(result, 'apiaryAnswers', { value: apiaryAnswers, enumerable: false });
  Object.defineProperty(result, 'apiaryQ7', { value: a7.last, enumerable: false });
  result.apiary.wasm_memory_after_queries = wasm.memory.buffer.byteLength;
  result.memory.apiary_done = await sample('apiary done');

  // DuckDB-Wasm (eh bundle, one thread): start, load, queries. If it cannot (out of memory at
  // 5M rows, say), the run still reports Apiary's numbers and says why DuckDB has none.
  try {
    if (params.get('duckdb') === '0') throw new Error(params.get('why') || 'not run');
    await runDuckdb(bytes, result);
  } catch (e) {
    result.duckdb = { ...(result.duckdb || {}), error: String(e && e.message || e) };
    log(`duckdb failed: ${result.duckdb.error}`);
  }
  // Load throughput of the other formats the demo is written in (Apiary only; the same rows as
  // Parquet and NDJSON), each into an engine of its own, freed after. After everything else: wasm
  // memory only grows, so these loads would inflate the memory figures above.
  if (params.get('formats') === '1') {
    result.formats = [{ name: 'Arrow IPC stream', bytes: bytes.length, ms: result.apiary.load_ms, rows: result.rows }];
    for (const [name, ext] of [['Parquet, snappy', 'parquet'], ['NDJSON', 'ndjson']]) {
      const file = DATA.replace(/\.arrow$/, '.' + ext);
      const data = new Uint8Array(await (await fetch(file)).arrayBuffer());
      const e = new Engine();
      const t0 = performance.now();
      // Parquet decodes in the decoder module (its fetch and compile included, as in the page).
      const rows = e.load(file, ext === 'parquet' ? await decode(file, data) : data);
      result.formats.push({ name, bytes: data.length, ms: performance.now() - t0, rows });
      e.free();
      log(`apiary load ${name}: ${rows} rows in ${result.formats.at(-1).ms.toFixed(1)} ms`);
    }
  }
  // What no load into wasm can beat: copying the bytes into freshly grown wasm memory (the first
  // touch of new pages), in a memory of its own, after everything else (it adds the bytes once more).
  if (bytes.length < 600e6) {
    const mem = new WebAssembly.Memory({ initial: 1 });
    const t0 = performance.now();
    mem.grow(Math.ceil(bytes.length / 65536));
    new Uint8Array(mem.buffer).set(bytes, 65536);
    result.copy_floor_ms = performance.now() - t0;
    log(`copy into fresh wasm memory: ${result.copy_floor_ms.toFixed(1)} ms`);
  }
  return result;
}


async function runDuckdb(bytes, result) {
  let t = performance.now();
  const dist = '/node_modules/@duckdb/duckdb-wasm/dist/';
  const worker = new Worker(dist + 'duckdb-browser-eh.worker.js');
  const db = new duckdb.AsyncDuckDB(new duckdb.VoidLogger(), worker);
  await db.instantiate(dist + 'duckdb-eh.wasm');
  const conn = await db.connect();
  result.duckdb = { start_ms: performance.now() - t, version: await db.getVersion() };
  t = performance.now();
  // The copy is handed to the worker (transferred), so the page's bytes stay usable.
  await conn.insertArrowFromIPCStream(bytes.slice(), { name: 'events' });
  result.duckdb.load_ms = performance.now() - t;
  const n = Number((await conn.query('SELECT COUNT(*) AS n FROM events')).toArray()[0].n);
  if (n !== result.rows) throw new Error(`DuckDB loaded ${n} rows, apiary ${result.rows}`);
  result.memory.duckdb_loaded = await sample('duckdb loaded');
  log(`duckdb ${result.duckdb.version}: loaded in ${result.duckdb.load_ms.toFixed(1)} ms`);
  const duckRuns = QUERIES.map((q) => async () => (await conn.query(q.sql)).toArray().map((r) => r.toJSON()));
  duckRuns.push(() => duckQ7(conn));
  const cold = await warmUp(duckRuns);
  for (const [i, q] of QUERIES.entries()) {
    const { ms, first, last } = await median(duckRuns[i], cold[i]);
    result.queries[i].duckdb_ms = ms;
    result.queries[i].duckdb_first_ms = first;
    result.queries[i].mismatch = compare(result.apiaryAnswers[i], q.duck(last));
    log(`duckdb ${q.name}: ${ms.toFixed(2)} ms${result.queries[i].mismatch ? ' MISMATCH ' + result.queries[i].mismatch : ''}`);
  }
  const d7 = await median(duckRuns[QUERIES.length], cold[QUERIES.length]);
  result.queries[QUERIES.length].duckdb_ms = d7.ms;
  result.queries[QUERIES.length].duckdb_first_ms = d7.first;
  result.queries[QUERIES.length].mismatch = checkQ7(result.apiaryQ7, d7.last);
  result.memory.duckdb_done = await sample('duckdb done');
  await conn.close();
  await db.terminate();
}

main().then(
  (r) => { window.benchResult = r; log('done'); },
  (e) => { window.benchResult = { error: String(e && e.stack || e) }; log('error: ' + e); },
);
