// The query builder, used with the keyboard as a person would: completions, Enter to run, a
// clause's error under it with the last result kept, pasting query JSON, the time range menu.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { start, newPage, box, OUT } from './browser.mjs';

let env;
before(async () => { env = await start(); });
after(async () => { await env?.close(); });

const cli = (spec) => JSON.parse(execFileSync(path.join('target', 'debug', 'apiary'), ['query', path.join('www', 'demo.arrow'), '--spec', spec], { encoding: 'utf8' }));
const spec = async (page) => JSON.parse(await page.getAttribute('.apiary', 'data-spec'));

async function ready(page) {
  await page.goto(env.base);
  await page.waitForSelector('.apiary[data-state=ready]', { timeout: 90_000 });
}

test('a query built with completions and Enter runs and matches the native engine', async () => {
  const page = await newPage(env.context);
  await ready(page);
  // VISUALIZE: "p9" offers P90( … P999(; take P99( with the arrows, then a numeric column.
  await page.click(box('VISUALIZE'));
  await page.keyboard.press('End');
  await page.keyboard.type(', p9');
  await page.waitForSelector('.ap-suggest:not([hidden])');
  const offered = await page.locator('.ap-suggest-label').allTextContents();
  assert.deepEqual(offered, ['P90(', 'P95(', 'P99(', 'P999(']);
  await page.keyboard.press('ArrowDown');
  await page.keyboard.press('ArrowDown');
  await page.keyboard.press('Enter');
  await page.keyboard.type('duration');
  const cols = await page.locator('.ap-suggest-label').allTextContents();
  assert.ok(cols.includes('duration_ms') && !cols.includes('service.name'), `numeric columns only: ${cols}`);
  await page.keyboard.press('Tab');
  assert.equal(await page.inputValue(box('VISUALIZE')), 'COUNT, P99(duration_ms)');

  // WHERE: a column, an operator valid for strings, and a value from the data.
  await page.click(box('WHERE'));
  await page.keyboard.type('regi');
  await page.keyboard.press('Enter');
  const ops = await page.locator('.ap-suggest-label').allTextContents();
  assert.ok(ops.includes('contains') && !ops.includes('>'), `string operators: ${ops}`);
  await page.keyboard.press('Enter'); // "="
  await page.keyboard.type('eu-w');
  assert.deepEqual(await page.locator('.ap-suggest-label').allTextContents(), ['eu-west-1']);
  await page.keyboard.press('Enter');
  assert.equal(await page.inputValue(box('WHERE')), 'region = eu-west-1');

  await page.fill(box('GROUP BY'), 'service.name');
  await page.fill(box('ORDER BY'), 'P99(duration_ms) desc');
  await page.fill(box('LIMIT'), '5');
  await page.focus(box('LIMIT'));
  await page.keyboard.press('Enter');
  await page.waitForFunction(() => JSON.parse(document.querySelector('.apiary').dataset.spec).limit === 5);
  const s = await spec(page);
  assert.deepEqual(s.calculations, [{ op: 'COUNT' }, { op: 'P99', column: 'duration_ms' }]);
  assert.deepEqual(s.filters, [{ column: 'region', op: '=', value: 'eu-west-1' }]);
  assert.deepEqual(s.breakdowns, ['service.name']);
  assert.deepEqual(s.orders, [{ op: 'P99', column: 'duration_ms', order: 'descending' }]);

  // The table shows what the native engine computes for the same spec, in the same order.
  const want = cli(JSON.stringify(s)).results.map((r) => r.data['service.name']);
  const got = await page.locator('.ap-results .ap-table tbody tr td:nth-child(2)').allTextContents();
  assert.equal(want.length, 5);
  assert.deepEqual(got, want);
  // The JSON view shows the same query.
  assert.deepEqual(JSON.parse(await page.inputValue('.ap-spec')), s);
  await page.screenshot({ path: path.join(OUT, 'builder.png'), fullPage: true });
  assert.deepEqual(page.errors, []);
});

test('typing runs the query after a pause; a bad clause shows its error and keeps the result', async () => {
  const page = await newPage(env.context);
  await ready(page);
  await page.click(box('GROUP BY'));
  await page.keyboard.type('http.method');
  await page.keyboard.press('Escape');
  // No Enter: the query runs once typing stops.
  await page.waitForFunction(() => JSON.parse(document.querySelector('.apiary').dataset.spec).breakdowns?.[0] === 'http.method', null, { timeout: 5000 });
  const rows = await page.locator('.ap-results .ap-table tbody tr').count();
  assert.equal(rows, cli(JSON.stringify(await spec(page))).results.length);
  assert.ok(rows >= 2, `${rows} groups`);

  await page.fill(box('VISUALIZE'), 'COUNT, P99(nope)');
  await page.focus(box('VISUALIZE'));
  await page.keyboard.press('Enter');
  const err = page.locator('.ap-clause[data-clause="VISUALIZE"] .ap-clause-error');
  await err.waitFor({ state: 'visible' });
  assert.match(await err.textContent(), /VISUALIZE: item 2 .*no column named nope/);
  assert.equal(await page.getAttribute(box('VISUALIZE'), 'aria-invalid'), 'true');
  // The last good result is still there.
  assert.equal(await page.locator('.ap-results .ap-table tbody tr').count(), rows);
  assert.equal((await spec(page)).breakdowns[0], 'http.method');
  assert.deepEqual(page.errors, []);
});

test('pasting query JSON into the builder loads it; the time menu sets a relative range', async () => {
  const page = await newPage(env.context);
  await ready(page);
  const json = JSON.stringify({ calculations: [{ op: 'AVG', column: 'duration_ms' }], filters: [{ column: 'http.status_code', op: '>=', value: 500 }], breakdowns: ['region'], time_range: 3600 });
  await page.focus(box('WHERE'));
  await page.evaluate(([sel, text]) => {
    const dt = new DataTransfer();
    dt.setData('text/plain', text);
    document.querySelector(sel).dispatchEvent(new ClipboardEvent('paste', { clipboardData: dt, bubbles: true, cancelable: true }));
  }, [box('WHERE'), json]);
  await page.waitForFunction(() => JSON.parse(document.querySelector('.apiary').dataset.spec).breakdowns?.[0] === 'region');
  await page.locator(box('WHERE')).blur();
  await page.click('.ap-logo');
  assert.equal(await page.inputValue(box('VISUALIZE')), 'AVG(duration_ms)');
  assert.equal(await page.inputValue(box('GROUP BY')), 'region');
  assert.equal(await page.inputValue('.ap-range'), '3600');

  // "Last 15 minutes" counts what the native engine counts for the last 15 minutes of data.
  await page.selectOption('.ap-range', '900');
  await page.waitForFunction(() => JSON.parse(document.querySelector('.apiary').dataset.spec).time_range === 900);
  const s = await spec(page);
  const want = cli(JSON.stringify(s)).results.map((r) => [r.data.region, r.data['AVG(duration_ms)']]);
  const got = await page.locator('.ap-results .ap-table tbody tr').evaluateAll((trs) => trs.map((tr) => [tr.children[1].textContent, Number(tr.children[2].dataset.value)]));
  assert.equal(got.length, want.length);
  for (const [i, [r, v]] of want.entries()) {
    assert.equal(got[i][0], r);
    assert.ok(Math.abs(got[i][1] - v) < 1e-9 * Math.abs(v), `${r}: ${got[i][1]} vs ${v}`);
  }
  // A custom range shows start and end inputs filled from the range on screen.
  await page.selectOption('.ap-range', 'custom');
  await page.waitForSelector('.ap-when:not([hidden])');
  const [from, to] = await page.locator('.ap-when').evaluateAll((xs) => xs.map((x) => x.value));
  assert.match(from, /^2026-11-01T11:4\d/);
  assert.match(to, /^2026-11-01T(11:59|12:00)/);
  assert.deepEqual(page.errors, []);
});

test('dragging across the line chart offers Zoom in, which zooms to that time range; back returns', async () => {
  const page = await newPage(env.context);
  await ready(page);
  const before = await spec(page);
  const [left, top, right, bottom] = (await page.getAttribute('canvas.ap-chart', 'data-plot')).split(',').map(Number);
  const c = await page.locator('canvas.ap-chart').boundingBox();
  const y = c.y + (top + bottom) / 2;
  const x0 = c.x + left + (right - left) * 0.25, x1 = c.x + left + (right - left) * 0.5;
  await page.mouse.move(x0, y);
  await page.mouse.down();
  await page.mouse.move(x1, y, { steps: 5 });
  await page.waitForSelector('.ap-time-brush:not([hidden])');
  await page.mouse.up();
  await page.click('.ap-brush-menu:not([hidden]) [data-brush=zoom]');
  await page.waitForFunction((s) => document.querySelector('.apiary').dataset.spec !== s, JSON.stringify(before));
  const s = await spec(page);
  const span = before.end_time - before.start_time;
  // The new range is the dragged quarter of the old one (to the pixel), with a finer granularity.
  assert.ok(Math.abs(s.start_time - (before.start_time + span * 0.25)) < span / 100, `${s.start_time}`);
  assert.ok(Math.abs(s.end_time - (before.start_time + span * 0.5)) < span / 100, `${s.end_time}`);
  assert.ok(s.granularity < before.granularity, `${s.granularity} vs ${before.granularity}`);
  assert.equal(await page.inputValue('.ap-range'), 'custom');
  // The page's total equals the native engine's for the zoomed spec.
  const total = JSON.parse(await page.getAttribute('.ap-results .ap-table tbody td.ap-num', 'data-value'));
  assert.equal(total, cli(JSON.stringify(s)).results[0].data.COUNT);
  await page.goBack();
  await page.waitForFunction((t) => JSON.parse(document.querySelector('.apiary').dataset.spec).start_time === t, before.start_time);
  assert.deepEqual(page.errors, []);
});

test('table headers sort the rows; a row isolates its series, and the link keeps both', async () => {
  const page = await newPage(env.context);
  await ready(page);
  await page.fill(box('GROUP BY'), 'service.name');
  await page.focus(box('GROUP BY'));
  await page.keyboard.press('Enter');
  await page.waitForFunction(() => JSON.parse(document.querySelector('.apiary').dataset.spec).breakdowns?.[0] === 'service.name');
  const names = () => page.locator('.ap-results .ap-table tbody tr td:nth-child(2)').allTextContents();
  const byCount = await names();
  await page.click('.ap-results th button[data-sort="0"]');
  assert.deepEqual(await names(), [...byCount].sort().reverse());
  assert.equal(await page.getAttribute('.ap-results th:nth-child(2)', 'aria-sort'), 'descending');
  await page.click('.ap-results th button[data-sort="0"]');
  assert.deepEqual(await names(), [...byCount].sort());

  // Isolate the second group (by the query's order): its line stays, the first one fades.
  const { canvasStats } = await import('./browser.mjs');
  const first = [0x4e, 0x79, 0xa7];
  const before = (await canvasStats(page, 'canvas.ap-chart', first)).near;
  const row = page.locator('.ap-results tr[data-row="1"]');
  await row.focus();
  await page.keyboard.press('Enter');
  assert.equal(await row.getAttribute('aria-selected'), 'true');
  const after = (await canvasStats(page, 'canvas.ap-chart', first)).near;
  assert.ok(after < before / 3, `first series pixels ${before} → ${after}`);

  // The URL holds the sort and the isolation: a fresh page shows the same.
  const url = page.url();
  const again = await newPage(env.context);
  await again.goto(url);
  await again.waitForSelector('.apiary[data-state=ready]', { timeout: 90_000 });
  await again.waitForSelector('.ap-results tr[data-row="1"][aria-selected=true]');
  assert.deepEqual(await again.locator('.ap-results .ap-table tbody tr td:nth-child(2)').allTextContents(), [...byCount].sort());
  assert.deepEqual(page.errors, []);
  assert.deepEqual(again.errors, []);
});

test('a brushed time range can be selected: BubbleUp and its slowest traces, kept in the link', async () => {
  const page = await newPage(env.context);
  await ready(page);
  const before = await spec(page);
  const [left, top, right, bottom] = (await page.getAttribute('canvas.ap-chart', 'data-plot')).split(',').map(Number);
  const c = await page.locator('canvas.ap-chart').boundingBox();
  const y = c.y + (top + bottom) / 2;
  // The last tenth of the range: the incident's hour.
  await page.mouse.move(c.x + left + (right - left) * 0.9, y);
  await page.mouse.down();
  await page.mouse.move(c.x + right - 1, y, { steps: 5 });
  await page.mouse.up();
  await page.click('.ap-brush-menu:not([hidden]) [data-brush=select]');
  await page.waitForSelector('.ap-bubbleup:not([hidden]) .ap-bu-col');
  // The query is unchanged; the selection is a time range inside it.
  assert.deepEqual(await spec(page), before);
  assert.equal(await page.isVisible('.ap-time-brush'), true);
  await page.waitForFunction(() => /in the selection/.test(document.querySelector('.ap-traces').textContent));
  const cols = await page.$$eval('.ap-bu-col', (x) => x.map((e) => e.dataset.column));
  // The incident's release (3.8.1 rolls out in the last hours) stands out.
  assert.ok(cols.slice(0, 3).includes('app.version'), cols.join(', '));
  // Every listed trace starts inside the selected range or overlaps it.
  const starts = await page.$$eval('.ap-trace-table tbody tr', (rows) => rows.map((r) => r.dataset.trace));
  assert.ok(starts.length > 0);
  await page.screenshot({ path: path.join(OUT, 'line-selection.png'), fullPage: true });
  const fresh = await newPage(env.context);
  await fresh.goto(page.url());
  await fresh.waitForSelector('.ap-bubbleup:not([hidden]) .ap-bu-col', { timeout: 90_000 });
  assert.deepEqual(await fresh.$$eval('.ap-bu-col', (x) => x.map((e) => e.dataset.column)), cols);
  assert.deepEqual(await fresh.$$eval('.ap-trace-table tbody tr', (rows) => rows.map((r) => r.dataset.trace)), starts);
  assert.equal(await fresh.isVisible('.ap-time-brush'), true);
  await fresh.close();
  // A click on the chart clears the selection.
  await page.mouse.click(c.x + left + (right - left) * 0.3, y);
  await page.waitForSelector('.ap-bubbleup[hidden]', { state: 'attached' });
  assert.equal(await page.isVisible('.ap-time-brush'), false);
  assert.deepEqual(page.errors, []);
});

test('an isolated results row selects its group for BubbleUp; a BubbleUp column can be grouped by', async () => {
  const page = await newPage(env.context);
  await ready(page);
  await page.fill(box('GROUP BY'), 'region');
  await page.focus(box('GROUP BY'));
  await page.keyboard.press('Enter');
  await page.waitForFunction(() => JSON.parse(document.querySelector('.apiary').dataset.spec).breakdowns?.[0] === 'region');
  const row = page.locator('.ap-results tbody tr', { hasText: 'eu-west-1' });
  await row.click();
  await page.click('.ap-row-actions [data-select-row]');
  await page.waitForSelector('.ap-bubbleup:not([hidden]) .ap-bu-col');
  const cols = await page.$$eval('.ap-bu-col', (x) => x.map((e) => e.dataset.column));
  // The group's own column is not ranked (it differs by construction); the zones inside the
  // region explain the group completely and come first.
  assert.ok(!cols.includes('region'), cols.join(', '));
  assert.equal(cols[0], 'cloud.availability_zone');
  assert.match(await page.textContent('.ap-bu-col[data-column="cloud.availability_zone"] .ap-bu-label'), /^eu-west-1[a-c]$/);
  const sel = await page.evaluate(() => location.hash);
  assert.ok(sel.length > 4);
  await page.click('.ap-bu-col[data-column="app.version"] [data-groupby]');
  await page.waitForFunction(() => JSON.parse(document.querySelector('.apiary').dataset.spec).breakdowns?.length === 2);
  assert.deepEqual((await spec(page)).breakdowns, ['region', 'app.version']);
  assert.deepEqual(page.errors, []);
});
