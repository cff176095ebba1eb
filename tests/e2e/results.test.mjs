// Results: one chart per calculation (each with its own hover values, equal to the native
// engine's), and the virtualized results table (thousands of groups, only the rows in view in the
// DOM, scrolling, sorting and the keyboard still reach every row).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { start, newPage, box, runBuilder, OUT } from './browser.mjs';

let env;
before(async () => { env = await start(); });
after(async () => { await env?.close(); });

const cli = (spec) => JSON.parse(execFileSync(path.join('target', 'debug', 'apiary'), ['query', path.join('www', 'demo.arrow'), '--spec', JSON.stringify(spec)], { encoding: 'utf8', maxBuffer: 1 << 28 }));

async function ready(page) {
  await page.goto(env.base);
  await page.waitForSelector('.apiary[data-state=ready]', { timeout: 90_000 });
}

test('every calculation gets its own chart, with hover values equal to the native engine', async () => {
  const page = await newPage(env.context);
  await ready(page);
  const spec = await runBuilder(page, { VISUALIZE: 'COUNT, P99(duration_ms), HEATMAP(duration_ms)', 'GROUP BY': '' }, (s) => s.calculations?.length === 3);
  assert.equal(spec.calculations.length, 3);
  const charts = page.locator('.ap-calc-charts canvas');
  assert.equal(await charts.count(), 2);
  assert.deepEqual(await page.locator('.ap-calc-charts .ap-chart-title').allTextContents(), ['P99(duration_ms)', 'HEATMAP(duration_ms)']);
  assert.equal(await page.textContent('.apiary > .ap-chart-title'), 'COUNT');
  assert.equal(await page.getAttribute('.ap-chart:not(.ap-chart-small)', 'data-chart'), 'lines');
  assert.equal(await charts.nth(0).getAttribute('data-chart'), 'lines');
  assert.equal(await charts.nth(1).getAttribute('data-chart'), 'heatmap');

  // Hover the P99 chart two thirds of the way along: its tooltip shows P99 at that bucket.
  const native = cli(spec);
  const [left, top, right, bottom] = (await charts.nth(0).getAttribute('data-plot')).split(',').map(Number);
  await charts.nth(0).hover({ position: { x: left + (right - left) * 0.66, y: (top + bottom) / 2 } });
  const tip = page.locator('.ap-calc-chart').nth(0).locator('.ap-tooltip');
  await tip.waitFor({ state: 'visible' });
  const t = Number(await tip.locator('.ap-tip-time').getAttribute('data-time'));
  const point = native.series.find((p) => Date.parse(p.time) === t);
  assert.ok(point, `the native series has the hovered bucket ${new Date(t).toISOString()}`);
  const shown = JSON.parse(await tip.locator('.ap-tip-value').first().getAttribute('data-value'));
  assert.ok(Math.abs(shown - point.data['P99(duration_ms)']) < 1e-6, `P99 at the hovered bucket: page ${shown}, native ${point.data['P99(duration_ms)']}`);
  // The main chart is still COUNT.
  const [l0, t0, r0, b0] = (await page.getAttribute('.ap-chart:not(.ap-chart-small)', 'data-plot')).split(',').map(Number);
  await page.hover('.ap-chart:not(.ap-chart-small)', { position: { x: l0 + (r0 - l0) * 0.66, y: (t0 + b0) / 2 } });
  const mainTip = page.locator('.ap-chart-wrap').first().locator('.ap-tooltip');
  await mainTip.waitFor({ state: 'visible' });
  const tm = Number(await mainTip.locator('.ap-tip-time').getAttribute('data-time'));
  const count = JSON.parse(await mainTip.locator('.ap-tip-value').first().getAttribute('data-value'));
  assert.equal(count, native.series.find((p) => Date.parse(p.time) === tm).data.COUNT);

  // The heatmap chart's cell tooltip.
  const [hl, ht, hr, hb] = (await charts.nth(1).getAttribute('data-plot')).split(',').map(Number);
  await charts.nth(1).hover({ position: { x: hl + (hr - hl) * 0.5, y: hb - (hb - ht) * 0.3 } });
  const cell = page.locator('.ap-calc-chart').nth(1).locator('.ap-tip-cell');
  await cell.waitFor({ state: 'visible' });
  assert.ok(Number(await cell.getAttribute('data-count')) >= 0);
  // (A full-page screenshot resizes the viewport and moves the page: only after the hovers.)
  await page.screenshot({ path: path.join(OUT, 'calc-charts.png'), fullPage: true });

  // A narrower window: every chart is drawn again at its new size.
  const widths = () => page.$$eval('canvas.ap-chart', (cs) => cs.map((c) => [c.width, c.clientWidth]));
  const wide = await widths();
  await page.setViewportSize({ width: 900, height: 860 });
  await page.waitForFunction(() => [...document.querySelectorAll('canvas.ap-chart')].every((c) => c.width === c.clientWidth));
  const narrow = await widths();
  assert.equal(narrow.length, 3);
  for (let i = 0; i < 3; i++) assert.ok(narrow[i][0] < wide[i][0], `chart ${i} redrawn narrower: ${wide[i]} → ${narrow[i]}`);
  await page.setViewportSize({ width: 1280, height: 860 });

  // With GROUP BY a heatmap shows one group, and its caption says which (the first row's).
  await runBuilder(page, { VISUALIZE: 'COUNT, HEATMAP(duration_ms)', 'GROUP BY': 'region' }, (s) => s.calculations?.length === 2 && s.breakdowns?.[0] === 'region');
  const firstGroup = await page.textContent('.ap-results tbody tr.ap-row td:nth-child(2)');
  assert.deepEqual(await page.locator('.ap-calc-charts .ap-chart-title').allTextContents(), [`HEATMAP(duration_ms) · ${firstGroup}`]);
  await runBuilder(page, { 'GROUP BY': '' }, (s) => !s.breakdowns?.length);

  // One calculation: the extra charts and the caption go.
  await runBuilder(page, { VISUALIZE: 'COUNT' }, (s) => s.calculations?.length === 1);
  assert.equal(await page.locator('.ap-calc-charts canvas').count(), 0);
  assert.equal(await page.isHidden('.apiary > .ap-chart-title'), true);
  assert.deepEqual(page.errors, []);
});

test('thousands of groups: only the rows in view are drawn, and every row can be reached', async () => {
  const page = await newPage(env.context);
  await ready(page);
  const spec = await runBuilder(page, { VISUALIZE: 'COUNT, AVG(duration_ms)', 'GROUP BY': 'trace.trace_id', 'ORDER BY': 'COUNT desc', LIMIT: '5000' }, (s) => s.limit === 5000 && s.breakdowns?.[0] === 'trace.trace_id' && s.calculations?.length === 2);
  const native = cli(spec).results.map((r) => r.data);
  assert.equal(native.length, 5000);
  await page.waitForSelector('.ap-table-scroll.ap-virtual');
  assert.equal(await page.getAttribute('.ap-results .ap-table', 'aria-rowcount'), '5001');
  const drawn = await page.locator('.ap-results tbody tr.ap-row').count();
  assert.ok(drawn > 10 && drawn < 200, `rows in the DOM: ${drawn}`);
  const rowsNow = () => page.$$eval('.ap-results tbody tr.ap-row', (trs) => trs.map((tr) => ({ pos: Number(tr.getAttribute('aria-rowindex')) - 2, id: tr.children[1].textContent, count: Number(tr.children[2].dataset.value) })));
  const first = await rowsNow();
  assert.deepEqual(first.slice(0, 5).map((r) => [r.id, r.count]), native.slice(0, 5).map((d) => [d['trace.trace_id'], d.COUNT]));

  // Scrolled to the bottom: the last rows are drawn, in place, and match the native engine's.
  await page.$eval('.ap-table-scroll', (s) => { s.scrollTop = s.scrollHeight; });
  await page.waitForFunction(() => [...document.querySelectorAll('.ap-results tbody tr.ap-row')].some((tr) => tr.getAttribute('aria-rowindex') === '5001'));
  const last = await rowsNow();
  assert.ok(last.length < 200);
  for (const r of last) assert.deepEqual([r.id, r.count], [native[r.pos]['trace.trace_id'], native[r.pos].COUNT], `row at ${r.pos}`);
  // The last row is really on screen (the spacers hold the scroll height).
  const visible = await page.$eval('.ap-table-scroll', (s) => {
    const tr = s.querySelector('tr[aria-rowindex="5001"]').getBoundingClientRect();
    const box = s.getBoundingClientRect();
    return tr.bottom <= box.bottom + 1 && tr.top >= box.top;
  });
  assert.equal(visible, true);
  await page.locator('.ap-results').screenshot({ path: path.join(OUT, 'virtual-table.png') });
  await page.locator('.ap-calc-charts').screenshot({ path: path.join(OUT, 'one-point-series.png') });

  // Sorting still orders all 5,000 rows: by trace id, descending first (the largest on top).
  await page.click('.ap-results th button[data-sort="0"]');
  await page.$eval('.ap-table-scroll', (s) => { s.scrollTop = 0; });
  await page.waitForFunction(() => document.querySelector('.ap-results tbody tr.ap-row')?.getAttribute('aria-rowindex') === '2');
  assert.equal(await page.getAttribute('.ap-results th:nth-child(2)', 'aria-sort'), 'descending');
  const ids = native.map((d) => d['trace.trace_id']).sort().reverse();
  const sorted = await rowsNow();
  assert.deepEqual(sorted.slice(0, 3).map((r) => r.id), ids.slice(0, 3));

  // The keyboard walks down past the drawn rows: focus stays on the row at that position.
  await page.focus('.ap-results tbody tr.ap-row');
  for (let i = 0; i < 120; i++) await page.keyboard.press('ArrowDown');
  const focused = await page.evaluate(() => ({ pos: Number(document.activeElement.getAttribute('aria-rowindex')) - 2, id: document.activeElement.children[1]?.textContent }));
  assert.deepEqual(focused, { pos: 120, id: ids[120] });
  await page.keyboard.press('Enter');
  await page.waitForFunction(() => document.querySelector('.ap-results tr[aria-selected=true]'));
  assert.equal(await page.textContent('.ap-results tr[aria-selected=true] td:nth-child(2)'), ids[120]);
  // Isolating redraws the table where it was: the row keeps the keyboard focus.
  assert.equal(await page.evaluate(() => document.activeElement.getAttribute('aria-rowindex')), '122');
  assert.deepEqual(page.errors, []);
});
