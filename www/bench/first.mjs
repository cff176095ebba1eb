// First runs of the query set in a fresh page (scripts/first-run.mjs opens it once per fresh
// browser): each query's cold first run right after the load, then a second run. `?flow=`
// `memory`: the bytes are fetched before the module starts (a host calling Engine.load then
// Engine.query at once, as the main benchmark does); `network`: the module starts, then the
// bytes are fetched (a permalink opened: the page's own flow). `worker=0` blocks workers made
// from blob: scripts, so the module's code warm-up (web::code_warm) cannot start, as under a
// content security policy without `worker-src blob:`.
import init, { Engine, codeWarmUp } from './pkg/apiary.js';

const params = new URLSearchParams(location.search);
const DATA = params.get('data');
const FLOW = params.get('flow') || 'network';
if (params.get('worker') === '0') {
  const W = window.Worker;
  window.Worker = class extends W {
    constructor(url, options) {
      if (String(url).startsWith('blob:')) throw new Error('workers from blob: scripts are blocked here');
      super(url, options);
    }
  };
}
// The demo data set's time range (src/demo.rs), and the main benchmark's queries Q1–Q6.
const END = 1793534400;
const RANGE = { start_time: END - 6 * 3600, end_time: END };
const QUERIES = [
  ['Q1 COUNT per 60 s', { calculations: [{ op: 'COUNT' }], granularity: 60, ...RANGE }],
  ['Q2 P50/P95/P99 by service, status >= 500', { calculations: ['P50', 'P95', 'P99'].map((op) => ({ op, column: 'duration_ms' })), filters: [{ column: 'http.status_code', op: '>=', value: 500 }], breakdowns: ['service.name'], ...RANGE }],
  ['Q3 HEATMAP(duration_ms) per 60 s', { calculations: [{ op: 'HEATMAP', column: 'duration_ms' }], granularity: 60, ...RANGE }],
  ['Q4 COUNT_DISTINCT(user.id) by route, top 10', { calculations: [{ op: 'COUNT_DISTINCT', column: 'user.id' }], breakdowns: ['http.route'], limit: 10, ...RANGE }],
  ['Q5 COUNT by user.id, top 20', { calculations: [{ op: 'COUNT' }], breakdowns: ['user.id'], limit: 20, ...RANGE }],
  ['Q6 name contains "checkout" AND duration > 500: COUNT, AVG by region', { calculations: [{ op: 'COUNT' }, { op: 'AVG', column: 'duration_ms' }], filters: [{ column: 'name', op: 'contains', value: 'checkout' }, { column: 'duration_ms', op: '>', value: 500 }], breakdowns: ['region'], ...RANGE }],
];

const fetchBytes = async () => new Uint8Array(await (await fetch(DATA)).arrayBuffer());

async function main() {
  let bytes = FLOW === 'memory' ? await fetchBytes() : null;
  const t0 = performance.now();
  await init({ module_or_path: './pkg/apiary_bg.wasm' });
  let warmedAt = null;
  const warm = codeWarmUp().then((w) => { warmedAt = performance.now() - t0; return w; });
  if (!bytes) bytes = await fetchBytes();
  const engine = new Engine();
  let t = performance.now();
  engine.load(DATA, bytes);
  engine.setSampleRate('none');
  const load = performance.now() - t;
  const queriesAt = performance.now() - t0;
  const runs = QUERIES.map(([name, spec]) => {
    const s = JSON.stringify(spec);
    const times = [];
    for (let i = 0; i < 2; i++) {
      t = performance.now();
      engine.query(s);
      times.push(performance.now() - t);
    }
    return { name, first: times[0], second: times[1] };
  });
  window.firstResult = { flow: FLOW, load, queriesAt, runs, warm: await warm, warmedAt };
}
main().catch((e) => { window.firstResult = { error: String(e && e.stack || e) }; });
