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

  // Zoom: + halves the window around its middle; the root's bar then spans twice the track.
  const win = async () => (await page.getAttribute('.ap-wf-mini', 'data-window')).split(',').map(Number);
  const rootWidth = () => page.$eval('.ap-wf-row .ap-wf-bar', (b) => parseFloat(b.style.width));
  const [a0, a1] = await win();
  assert.equal(a0, 0);
  assert.ok(Math.abs((await rootWidth()) - 100) < 0.5, `root bar ${await rootWidth()}%`);
  await page.click('[data-zoom=in]');
  const [b0, b1] = await win();
  assert.ok(Math.abs((b1 - b0) - (a1 - a0) / 2) < 1e-6 * a1 && Math.abs(b0 - a1 / 4) < 1e-6 * a1, `${b0}, ${b1} of ${a1}`);
  assert.ok(Math.abs((await rootWidth()) - 200) < 1, `root bar ${await rootWidth()}%`);
  // Dragging across the minimap's last fifth shows that stretch; Reset shows it all again.
  const m = await page.locator('.ap-wf-mini').boundingBox();
  await page.mouse.move(m.x + m.width * 0.8, m.y + m.height / 2);
  await page.mouse.down();
  await page.mouse.move(m.x + m.width - 1, m.y + m.height / 2, { steps: 4 });
  await page.mouse.up();
  const [c0, c1] = await win();
  assert.ok(Math.abs(c0 - a1 * 0.8) < a1 * 0.02 && c1 > a1 * 0.97, `${c0}, ${c1} of ${a1}`);
  assert.match(await page.textContent('.ap-wf-zoom-label'), / – .* of /);
  await page.screenshot({ path: path.join(OUT, 'trace-zoom.png'), fullPage: true });
  // The link keeps the zoom.
  const zoomed = await newPage(env.context);
  await zoomed.goto(page.url());
  await zoomed.waitForSelector('.ap-waterfall:not([hidden]) .ap-wf-row', { timeout: 90_000 });
  const [d0, d1] = (await zoomed.getAttribute('.ap-wf-mini', 'data-window')).split(',').map(Number);
  assert.ok(Math.abs(d0 - c0) < 0.01 && Math.abs(d1 - c1) < 0.01, `${d0}, ${d1} vs ${c0}, ${c1}`);
  await zoomed.close();
  await page.click('[data-zoom=reset]');
  assert.deepEqual(await win(), [a0, a1]);

  const rowsIds = await page.$$eval('.ap-wf-row', (r) => r.map((x) => x.dataset.span));
  const pick = rowsIds[rowsIds.length - 1];
  await page.click(`.ap-wf-row[data-span="${pick}"]`);
  await page.waitForSelector('.ap-span-details:not([hidden]) .ap-attrs');
  const attrs = await page.$$eval('.ap-attrs tr', (r) => Object.fromEntries(r.map((x) => [x.cells[0].textContent, x.cells[1].textContent])));
  assert.equal(attrs['trace.span_id'], pick);
  assert.equal(attrs['trace.trace_id'], traceId);
  // The raw row, as JSON, holds the same fields.
  await page.click('.ap-raw-row summary');
  const raw = JSON.parse(await page.textContent('.ap-raw-row pre'));
  assert.equal(raw['trace.span_id'], pick);
  assert.equal(typeof raw.duration_ms, 'number');
  assert.match(raw.timestamp, /^2026-11-01T/);
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

test('a trace of 12,000 spans: only rows in view are drawn, scrolling, collapse and search', async () => {
  // One trace: a root, 100 children, 119 grandchildren each; starts increase in tree order.
  const lines = [];
  const t0 = 1793534400000;
  const span = (id, parent, name, svc, start, dur) => lines.push(JSON.stringify({ timestamp: t0 + start, 'trace.trace_id': 'bigtrace0000000000000000000000001', 'trace.span_id': id, 'trace.parent_id': parent, name, 'service.name': svc, duration_ms: dur }));
  span('root', null, 'GET /big', 'edge', 0, 200000);
  let n = 1;
  for (let c = 0; c < 100; c++) {
    span(`c${c}`, 'root', `child ${c}`, `svc-${c % 5}`, 1 + c * 1900, 1800);
    n++;
    for (let g = 0; g < 119; g++) {
      const name = (c === 40 && g < 3) ? `needle ${g}` : `work ${c}.${g}`;
      span(`c${c}g${g}`, `c${c}`, name, `svc-${g % 5}`, 2 + c * 1900 + g * 15, 10);
      n++;
    }
  }
  assert.equal(n, 12001);
  const file = path.join(OUT, 'big-trace.ndjson');
  (await import('node:fs')).writeFileSync(file, lines.join('\n'));
  const page = await newPage(env.context);
  await page.goto(env.base);
  await page.waitForSelector('.apiary[data-state=ready]', { timeout: 90_000 });
  await page.click('.ap-source .ap-remove');
  await page.setInputFiles('.ap-file', [file]);
  await page.waitForFunction(() => document.querySelector('.apiary').dataset.rows === '12001');
  await page.waitForSelector('.ap-trace-table tbody tr[data-trace="bigtrace0000000000000000000000001"]');
  await page.click('.ap-trace-table tbody tr[data-trace="bigtrace0000000000000000000000001"]');
  await page.waitForSelector('.ap-waterfall:not([hidden]) .ap-wf-row');
  assert.equal(await page.getAttribute('.ap-waterfall', 'data-visible'), '12001');
  const drawn = await page.$$eval('.ap-wf-row', (r) => r.length);
  assert.ok(drawn > 10 && drawn < 100, `${drawn} rows in the DOM for 12,001 spans`);

  // Scroll to the end: the last span in tree order is drawn, the first is not.
  await page.$eval('.ap-wf-viewport', (v) => { v.scrollTop = v.scrollHeight; });
  await page.waitForSelector('.ap-wf-row[data-span="c99g118"]');
  assert.equal(await page.$('.ap-wf-row[data-span="root"]'), null);
  await page.$eval('.ap-wf-viewport', (v) => { v.scrollTop = 0; });
  await page.waitForSelector('.ap-wf-row[data-span="root"]');

  // Collapse child 0's subtree, then the root's; expand again.
  await page.click('.ap-wf-row[data-span="c0"] .ap-wf-toggle');
  assert.equal(await page.getAttribute('.ap-waterfall', 'data-visible'), String(12001 - 119));
  await page.click('.ap-wf-row[data-span="root"] .ap-wf-toggle');
  assert.equal(await page.getAttribute('.ap-waterfall', 'data-visible'), '1');
  assert.equal(await page.$$eval('.ap-wf-row', (r) => r.length), 1);
  await page.click('.ap-wf-row[data-span="root"] .ap-wf-toggle');
  assert.equal(await page.getAttribute('.ap-waterfall', 'data-visible'), String(12001 - 119));

  // Search: three spans match; the view jumps to them.
  await page.fill('.ap-wf-search', 'needle');
  assert.equal(await page.getAttribute('.ap-waterfall', 'data-matches'), '3');
  assert.match(await page.textContent('.ap-wf-note'), /3 matching spans/);
  await page.waitForSelector('.ap-wf-row.ap-wf-match[data-span="c40g0"]');
  await page.screenshot({ path: path.join(OUT, 'trace-big.png'), fullPage: false });

  // Selecting a span shows its attributes without reassembling the trace.
  await page.click('.ap-wf-row[data-span="c40g1"]');
  await page.waitForSelector('.ap-span-details:not([hidden]) .ap-attrs');
  const attrs = await page.$$eval('.ap-attrs tr', (r) => Object.fromEntries(r.map((x) => [x.cells[0].textContent, x.cells[1].textContent])));
  assert.equal(attrs.name, 'needle 1');
  assert.deepEqual(page.errors, []);
});

test('traces with a span where …: OTLP span events as ticks and details, a link opens the linked trace', async () => {
  const page = await newPage(env.context);
  await page.goto(env.base);
  await page.waitForSelector('.apiary[data-state=ready]', { timeout: 90_000 });
  await page.setInputFiles('.ap-file', [path.join('tests', 'fixtures', 'otlp_sdk.jsonl')]);
  await page.waitForFunction(() => /otlp_sdk\.jsonl/.test(document.querySelector('.ap-sources').textContent));
  // Only the two SDK traces have a span of the checkout service that charged a card.
  await page.fill('.ap-trace-where', 'service.name = checkout, name = "charge card"');
  await page.press('.ap-trace-where', 'Enter');
  // The list's heading names the search once its traces are listed (the box's label says
  // "Traces with a span where" all along).
  await page.waitForFunction(() => /with a span where service\.name = checkout/.test(document.querySelector('.ap-traces').textContent));
  const ids = await page.$$eval('.ap-trace-table tbody tr', (r) => r.map((x) => x.dataset.trace));
  assert.equal(ids.length, 2);
  // A bad search says what is wrong under the box, and the list stays.
  await page.fill('.ap-trace-where', 'nosuchcolumn = 1');
  await page.press('.ap-trace-where', 'Enter');
  await page.waitForSelector('.ap-trace-find .ap-clause-error:not([hidden])');
  assert.match(await page.textContent('.ap-trace-find .ap-clause-error'), /nosuchcolumn/);
  assert.equal(await page.locator('.ap-trace-table tbody tr').count(), 2);
  await page.fill('.ap-trace-where', 'service.name = checkout, name = "charge card"');
  await page.press('.ap-trace-where', 'Enter');
  await page.waitForSelector('.ap-trace-find .ap-clause-error[hidden]', { state: 'attached' });

  // Open each in turn until the one whose root links to the other.
  let linked = null;
  for (const id of ids) {
    await page.click(`.ap-trace-table tbody tr[data-trace="${id}"]`);
    await page.waitForFunction((t) => document.querySelector('.ap-waterfall').dataset.traceId === t, id);
    if (await page.$('.ap-wf-link')) { linked = id; break; }
  }
  assert.ok(linked, 'one trace links to the other');
  const other = ids.find((x) => x !== linked);
  // The retry event is a tick on the card charge's bar; its details list it.
  const pay = page.locator('.ap-wf-row', { hasText: 'charge card' });
  assert.equal(await pay.locator('.ap-wf-event').count(), 1);
  assert.match(await pay.locator('.ap-wf-event').getAttribute('title'), /^retry at \+15\.000 ms$/);
  await pay.click();
  await page.waitForSelector('.ap-span-events');
  assert.deepEqual(await page.$$eval('.ap-span-events td', (c) => c.map((x) => x.textContent)), ['+15.000 ms', 'retry', 'attempt=1']);
  // The root's link opens the other trace at the linked span.
  await page.click('.ap-wf-row:first-child');
  await page.waitForSelector('.ap-span-links [data-open-trace]');
  assert.match(await page.textContent('.ap-span-links'), /link\.reason=retry of/);
  await page.screenshot({ path: path.join(OUT, 'trace-links.png'), fullPage: true });
  await page.click('.ap-span-links [data-open-trace]');
  await page.waitForFunction((t) => document.querySelector('.ap-waterfall').dataset.traceId === t, other);
  assert.ok(await page.$('.ap-wf-row.ap-wf-selected'), 'the linked span is selected');
  // The search is part of the link.
  const fresh = await newPage(env.context);
  await fresh.goto(page.url());
  await fresh.waitForSelector('.apiary[data-state=ready]', { timeout: 90_000 });
  assert.equal(await fresh.inputValue('.ap-trace-where'), 'service.name = checkout, name = "charge card"');
  await fresh.close();
  assert.deepEqual(page.errors, []);
  await page.close();
});
