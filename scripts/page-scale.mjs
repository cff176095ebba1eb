// The page at scale (issue #23 item 3): the built app at DIST loads DATA (an Arrow file beside
// it) through its own URL load, as a person's page does, in one fresh tab; then runs the
// benchmark's queries through the query builder, each timed from Enter to the frame after the
// app reports it ran (its chart and table drawn). Prints the load (time, rows, wasm memory) and
// each query's first run and the median of RUNS; asserts only that the data loaded whole.
// Usage: node scripts/page-scale.mjs DIST DATA [RUNS]
import fs from 'node:fs';
import path from 'node:path';
import { launch } from './chromium.mjs';
import { serve } from './serve.mjs';

const [dist, data, runsArg = '3'] = process.argv.slice(2);
if (!dist || !data) throw new Error('usage: node scripts/page-scale.mjs DIST DATA [RUNS]');
const runs = Number(runsArg);
// The app as a host embeds it: an <apiary-view> whose src is DATA (the page's own URL load);
// queries go in by setQuery, each a single run, timed to the frame after its query-run event.
const html = fs.readFileSync(path.join(dist, 'index.html'), 'utf8').replace('<main data-apiary></main>', `<apiary-view src="${data}" style="display:block"></apiary-view>`);
fs.writeFileSync(path.join(dist, 'scale.html'), html);
const server = await serve(dist, 0);
const browser = await launch();
const RANGE = { time_range: 21600 };
const QUERIES = [
  ['COUNT per 60 s', { calculations: [{ op: 'COUNT' }], granularity: 60 }],
  ['P50, P95, P99 of duration_ms by service.name where http.status_code >= 500', { calculations: ['P50', 'P95', 'P99'].map((op) => ({ op, column: 'duration_ms' })), filters: [{ column: 'http.status_code', op: '>=', value: 500 }], breakdowns: ['service.name'] }],
  ['HEATMAP(duration_ms) per 60 s', { calculations: [{ op: 'HEATMAP', column: 'duration_ms' }], granularity: 60 }],
  ['COUNT_DISTINCT(user.id) by http.route, top 10', { calculations: [{ op: 'COUNT_DISTINCT', column: 'user.id' }], breakdowns: ['http.route'], limit: 10 }],
  ['COUNT by user.id, top 20', { calculations: [{ op: 'COUNT' }], breakdowns: ['user.id'], limit: 20 }],
  ['name contains "checkout" AND duration_ms > 500: COUNT, AVG(duration_ms) by region', { calculations: [{ op: 'COUNT' }, { op: 'AVG', column: 'duration_ms' }], filters: [{ column: 'name', op: 'contains', value: 'checkout' }, { column: 'duration_ms', op: '>', value: 500 }], breakdowns: ['region'] }],
];
try {
  const page = await browser.context.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  const t0 = Date.now();
  await page.goto(`http://127.0.0.1:${server.address().port}/scale.html`);
  await page.waitForSelector('.apiary[data-state=ready][data-rows]', { timeout: 20 * 60_000 });
  const loadMs = Date.now() - t0;
  const rows = Number(await page.getAttribute('.apiary', 'data-rows'));
  const error = await page.evaluate(() => { const e = document.querySelector('.ap-error'); return e && !e.hidden ? e.textContent : ''; });
  console.log(`${data}: ${rows.toLocaleString('en-US')} rows in the page, ${(loadMs / 1000).toFixed(1)} s from opening the page to ready (fetch and decode as the body arrives, then the first query drawn)${error ? `; error shown: ${error}` : ''}`);
  if (!rows) throw new Error(`nothing loaded: ${error} ${errors.join(' ')}`);
  const lines = ['| query (setQuery on the view: run and drawn) | first run ms | median ms | runs (ms) |', '|---|---:|---:|---|'];
  for (const [name, spec] of QUERIES) {
    const times = [];
    for (let r = 0; r < runs; r++) {
      // Each run a spec of its own (a different range end by a second), so nothing is reused but
      // what the data set keeps (string codes).
      const q = { ...spec, ...RANGE, time_range: RANGE.time_range + r };
      const ms = await page.evaluate((q) => new Promise((resolve, reject) => {
        const el = document.querySelector('apiary-view');
        const t = performance.now();
        el.addEventListener('query-run', () => requestAnimationFrame(() => resolve(performance.now() - t)), { once: true });
        el.addEventListener('error', (e) => reject(new Error(e.detail.message)), { once: true });
        el.setQuery(q);
      }), q);
      times.push(ms);
      process.stderr.write(`  ${name}: ${ms.toFixed(0)} ms\n`);
    }
    const sorted = [...times].sort((a, b) => a - b);
    lines.push(`| ${name} | ${times[0].toFixed(0)} | ${sorted[Math.floor(sorted.length / 2)].toFixed(0)} | ${times.map((t) => t.toFixed(0)).join(', ')} |`);
  }
  console.log(lines.join('\n'));
  // The same file once more: past what the tab can hold, so refused with a message before any
  // byte is taken; the data already loaded stays and still answers.
  await page.fill('.ap-url', data);
  await page.click('.ap-load');
  await page.waitForSelector('.ap-error:not([hidden])', { timeout: 600_000 });
  const refused = await page.textContent('.ap-error');
  const after = Number(await page.getAttribute('.apiary', 'data-rows'));
  console.log(`loading ${data} again: "${refused}"; rows still in the tab: ${after.toLocaleString('en-US')}`);
  await page.screenshot({ path: path.join(dist, 'scale.png') });
  console.log(`screenshot: ${path.join(dist, 'scale.png')}; page errors: ${errors.length ? errors.join(' | ') : 'none'}`);
} finally {
  await browser.close();
  server.close();
}
