// First runs with and without the module's code warm-up (BENCHMARKS.md): www/bench/first.html
// in a fresh headless Chromium per visit, the query set's cold first run right after the load.
// Usage: node scripts/first-run.mjs [ROWS] [VISITS]   (after `ROWS= LOAD_ROWS= scripts/bench`,
// which builds target/bench: the app's release build and the demo data).
// Prints per flow (bytes in memory before start; fetched after start, as a permalink) and per
// setting (the warm-up's worker allowed; blocked) each query's median cold first run.
import fs from 'node:fs';
import { launch } from './chromium.mjs';
import { serve } from './serve.mjs';
import { median } from './median.mjs';

const [rows = '1000000', visitsArg = '3'] = process.argv.slice(2);
const DIR = 'target/bench';
if (!fs.existsSync(`${DIR}/data/demo-${rows}.arrow`)) {
  console.error(`no ${DIR}/data/demo-${rows}.arrow: run \`ROWS=${rows} LOAD_ROWS= RUNS=1 scripts/bench\` first`);
  process.exit(2);
}
for (const f of ['first.html', 'first.mjs', 'queries.mjs']) fs.copyFileSync(`www/bench/${f}`, `${DIR}/${f}`);
const server = await serve(DIR);
const base = `http://127.0.0.1:${server.address().port}/`;
const results = {};
for (let v = 0; v < Number(visitsArg); v++) {
  for (const flow of ['memory', 'network']) {
    for (const worker of ['1', '0']) {
      const b = await launch();
      const page = await b.context.newPage();
      await page.goto(`${base}first.html?data=data/demo-${rows}.arrow&flow=${flow}&worker=${worker}`);
      await page.waitForFunction(() => window.firstResult, null, { timeout: 600_000, polling: 200 });
      const r = await page.evaluate(() => window.firstResult);
      await b.close();
      if (r.error) throw new Error(r.error);
      (results[`${flow}/${worker}`] ??= []).push(r);
      process.stderr.write(`visit ${v + 1} ${flow} worker=${worker}: load ${r.load.toFixed(0)} ms, first runs ${r.runs.map((x) => x.first.toFixed(1)).join(' ')}; warm-up ${JSON.stringify(r.warm)} done at ${r.warmedAt?.toFixed(0)} ms, queries at ${r.queriesAt.toFixed(0)} ms\n`);
    }
  }
}
server.close();
const cell = (key, i, k) => median(results[key].map((r) => r.runs[i][k])).toFixed(1);
console.log(`### First runs at ${Number(rows).toLocaleString('en-US')} rows, median of ${visitsArg} fresh browsers`);
console.log('');
console.log('| query | bytes in memory: cold first run, warm-up worker / none | fetched after start: cold first run, warm-up worker / none | second run (fetched, worker) |');
console.log('|---|---:|---:|---:|');
results['memory/1'][0].runs.forEach((q, i) => {
  console.log(`| ${q.name} | ${cell('memory/1', i, 'first')} / ${cell('memory/0', i, 'first')} | ${cell('network/1', i, 'first')} / ${cell('network/0', i, 'first')} | ${cell('network/1', i, 'second')} |`);
});
const w = results['network/1'].map((r) => r.warm);
console.log('');
console.log(`The warm-up in its worker: ${median(w.map((x) => x?.queries ?? 0))} queries in ${median(w.map((x) => x?.ms ?? 0)).toFixed(0)} ms (median).`);
