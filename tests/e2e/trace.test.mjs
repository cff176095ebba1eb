// From a query to a trace: the slowest matching traces, a waterfall, span details, the link.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { start, newPage, OUT } from './browser.mjs';

let env;
before(async () => { env = await start(); });
after(async () => { await env?.close(); });

test('open the slowest trace, select a span, and reopen it from the link', async () => {
  const page = await newPage(env.context);
  await page.goto(env.base);
  await page.waitForSelector('.apiary[data-state=ready]', { timeout: 90_000 });
  await page.waitForSelector('.ap-trace-table tbody tr');
  const rows = await page.$$eval('.ap-trace-table tbody tr', (r) => r.map((x) => parseFloat(x.cells[0].textContent)));
  assert.equal(rows.length, 10);
  assert.ok(rows.every((d, i) => i === 0 || rows[i - 1] >= d - 0.1), rows.join(', '));

  await page.click('.ap-trace-table tbody tr');
  await page.waitForSelector('.ap-waterfall:not([hidden]) .ap-wf-row');
  const spans = await page.$$eval('.ap-wf-row', (r) => r.length);
  assert.ok(spans >= 1);
  assert.ok(await page.$('.ap-wf-bar.ap-critical'), 'the critical path is marked');
  const traceId = await page.getAttribute('.ap-waterfall', 'data-trace-id');
  assert.match(await page.textContent('.ap-waterfall .ap-section-title'), new RegExp(traceId));

  const rowsIds = await page.$$eval('.ap-wf-row', (r) => r.map((x) => x.dataset.span));
  const pick = rowsIds[rowsIds.length - 1];
  await page.click(`.ap-wf-row[data-span="${pick}"]`);
  await page.waitForSelector('.ap-span-details:not([hidden]) .ap-attrs');
  const attrs = await page.$$eval('.ap-attrs tr', (r) => Object.fromEntries(r.map((x) => [x.cells[0].textContent, x.cells[1].textContent])));
  assert.equal(attrs['trace.span_id'], pick);
  assert.equal(attrs['trace.trace_id'], traceId);
  await page.screenshot({ path: path.join(OUT, 'trace.png'), fullPage: true });

  const fresh = await newPage(env.context);
  await fresh.goto(page.url());
  await fresh.waitForSelector('.ap-span-details:not([hidden]) .ap-attrs', { timeout: 90_000 });
  assert.equal(await fresh.getAttribute('.ap-waterfall', 'data-trace-id'), traceId);
  assert.ok(await fresh.$(`.ap-wf-row.ap-wf-selected[data-span="${pick}"]`));
  assert.deepEqual(fresh.errors, []);
  await fresh.close();
  assert.deepEqual(page.errors, []);
  await page.close();
});
