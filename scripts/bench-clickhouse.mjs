// The push-down benchmark in the page (scripts/bench-clickhouse runs it): the standard query set
// (`apiary bench --print-queries`) pushed down from a headless Chromium page to ClickHouse's
// engine holding the demo rows; per query the time in the page (Run to the answer drawn), the
// requests, and the bytes on the wire (request and answer bodies), next to the raw Arrow bytes
// of those rows (what loading them into the tab would move), and a second run (the page's
// cache). Prints numbers; asserts only that every answer equals the CLI's push-down answer.
//
//   node scripts/bench-clickhouse.mjs DIST CLICKHOUSE_URL ARROW_FILE APIARY_BIN
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { launch } from './chromium.mjs';
import { serve } from './serve.mjs';

const [dist, chUrl, arrowFile, bin] = process.argv.slice(2);
const USER = 'apiary', KEY = 'apiary';
const rawBytes = fs.statSync(arrowFile).size;
const queries = JSON.parse(execFileSync(bin, ['bench', '--print-queries'], { encoding: 'utf8' }));
const html = fs.readFileSync(path.join(dist, 'index.html'), 'utf8').replace('<main data-apiary>',
  `<main data-apiary data-backend="${chUrl}" data-backend-table="demo" data-backend-user="${USER}" data-backend-key="${KEY}">`);
fs.writeFileSync(path.join(dist, 'bench-clickhouse.html'), html);
const server = await serve(dist, 0);
const base = `http://127.0.0.1:${server.address().port}/`;
const browser = await launch();
const context = browser.context;
const page = await context.newPage();
// The query's own statements, and the trace list's (its ranking names `__id`; the spans of the
// listed traces are a plain SELECT of every column), counted apart.
const wire = { requests: 0, up: 0, down: 0, traces: 0 };
const forTraces = (sql) => sql.includes('__id') || !/__|count\(|min\(|max\(/.test(sql);
page.on('requestfinished', async (r) => {
  if (!r.url().startsWith(chUrl) || r.method() !== 'POST') return;
  const sql = r.postData() || '';
  const resp = await r.response();
  const bytes = Buffer.byteLength(sql) + r.url().length + (await resp.body().catch(() => Buffer.alloc(0))).length;
  if (forTraces(sql)) {
    wire.traces += bytes;
    return;
  }
  wire.requests++;
  wire.up += Buffer.byteLength(sql) + r.url().length;
  wire.down += bytes - Buffer.byteLength(sql) - r.url().length;
});
// Wait until the trace list that follows an answer has arrived (its requests are not the query's).
const settle = async () => {
  await page.waitForFunction(() => !document.querySelector('.ap-trace-list').hasAttribute('data-pending'), null, { timeout: 600_000 });
  await page.waitForTimeout(300);
};
const t0 = Date.now();
await page.goto(base + 'bench-clickhouse.html');
await page.waitForSelector('.apiary[data-store=connected][data-state=ready]', { timeout: 600_000 });
const connectMs = Date.now() - t0;
const env = { ...process.env, APIARY_CLICKHOUSE_USER: USER, APIARY_CLICKHOUSE_KEY: KEY };
const rows = [];
let ok = true;
if (!(await page.locator('details.ap-json').evaluate((d) => d.open))) await page.click('details.ap-json > summary');
for (const q of queries) {
  const run = async () => {
    await settle();
    Object.assign(wire, { requests: 0, up: 0, down: 0, traces: 0 });
    await page.fill('.ap-spec', JSON.stringify(q.spec));
    const start = await page.evaluate(() => performance.now());
    await page.click('.ap-run');
    await page.waitForFunction((s) => {
      const a = document.querySelector('.apiary');
      const got = JSON.parse(a.dataset.spec || '{}');
      return a.dataset.state === 'ready' && JSON.stringify(got.calculations) === JSON.stringify(s.calculations) && JSON.stringify(got.breakdowns || []) === JSON.stringify(s.breakdowns || []) && JSON.stringify(got.filters || []) === JSON.stringify(s.filters || []) && (got.granularity || 0) === (s.granularity || 0);
    }, q.spec, { timeout: 600_000, polling: 5 });
    const ms = (await page.evaluate(() => performance.now())) - start;
    await settle();
    return { ms, ...wire };
  };
  const first = await run();
  // The same query again: from the page's cache (another query in between, so it reruns).
  await page.fill('.ap-spec', JSON.stringify({ calculations: [{ op: 'COUNT' }], ...{ start_time: q.spec.start_time, end_time: q.spec.end_time } }));
  await page.click('.ap-run');
  await page.waitForTimeout(500);
  const again = await run();
  // The answer shown is the CLI's push-down answer.
  const shown = await page.$$eval('.ap-table tbody tr.ap-row', (r) => r.length);
  const want = JSON.parse(execFileSync(bin, ['query', '--backend', chUrl, '--table', 'demo', '--spec', JSON.stringify(q.spec)], { encoding: 'utf8', env }));
  const same = shown === want.results.length;
  ok &&= same;
  rows.push({
    query: q.name,
    page_ms: Math.round(first.ms),
    requests: first.requests,
    bytes_on_wire: first.up + first.down,
    share_of_raw: `${((100 * (first.up + first.down)) / rawBytes).toFixed(4)}%`,
    trace_list_bytes: first.traces,
    cached_ms: Math.round(again.ms),
    cached_requests: again.requests,
    same_rows: same,
  });
}
await browser.close();
server.close();
console.log(`ClickHouse push-down from the page: ${path.basename(arrowFile)} (${rawBytes.toLocaleString('en-US')} bytes of raw Arrow), connect ${connectMs} ms (DESCRIBE, map keys, time range)`);
console.table(rows);
const worst = Math.max(...rows.map((r) => r.bytes_on_wire));
console.log(`largest answer on the wire: ${worst.toLocaleString('en-US')} bytes = ${((100 * worst) / rawBytes).toFixed(4)}% of the raw Arrow bytes (target: under 1%)`);
process.exit(ok ? 0 : 1);
