// First runs of the query set in a fresh page (scripts/first-run.mjs opens it once per fresh
// browser): each query's cold first run right after the load, then a second run. `?flow=`
// `memory`: the bytes are fetched before the module starts (a host calling Engine.load then
// Engine.query at once, as the main benchmark does); `network`: the module starts, then the
// bytes are fetched (a permalink opened: the page's own flow). `worker=0` blocks workers made
// from blob: scripts, so the module's code warm-up (web::code_warm) cannot start, as under a
// content security policy without `worker-src blob:`.
import init, { Engine, codeWarmUp } from './pkg/apiary.js';
import { QUERIES, Q7, apiaryQ7 } from './queries.mjs';

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
  // The main benchmark's queries, in its order: Q1–Q6, then Q7 (BubbleUp).
  const queries = QUERIES.map(({ name, spec }) => {
    const s = JSON.stringify(spec);
    return [name, () => engine.query(s)];
  });
  queries.push([Q7, () => apiaryQ7(engine)]);
  const runs = queries.map(([name, run]) => {
    const times = [];
    for (let i = 0; i < 2; i++) {
      t = performance.now();
      run();
      times.push(performance.now() - t);
    }
    return { name, first: times[0], second: times[1] };
  });
  window.firstResult = { flow: FLOW, load, queriesAt, runs, warm: await warm, warmedAt };
}
main().catch((e) => { window.firstResult = { error: String(e && e.stack || e) }; });
