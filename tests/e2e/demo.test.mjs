// The page opens on the built-in demo data and draws COUNT over time with no user action.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { start, newPage, canvasStats, OUT } from './browser.mjs';

let env;
before(async () => { env = await start(); });
after(async () => { await env?.close(); });

const DEMO_ROWS = 100000;

test('demo data loads and the COUNT chart is drawn', async () => {
  const page = await newPage(env.context);
  await page.goto(env.base);
  await page.waitForSelector('.apiary[data-state=ready]', { timeout: 90_000 });
  assert.equal(await page.getAttribute('.apiary', 'data-rows'), String(DEMO_ROWS));
  assert.match(await page.textContent('.ap-summary'), /100,000 events/);
  assert.match(await page.textContent('.ap-source'), /demo\.arrow · Arrow IPC stream · 100,000 rows/);
  assert.match(await page.textContent('.ap-query'), /VISUALIZE COUNT/);
  assert.match(await page.textContent('.ap-query'), /100,000 matching events/);

  // The line is drawn in the first series colour (#4e79a7) over a non-empty plot.
  const px = await canvasStats(page, 'canvas.ap-chart', [0x4e, 0x79, 0xa7]);
  assert.ok(px.width >= 320 && px.height >= 160, `canvas ${px.width}x${px.height}`);
  assert.ok(px.other > 2000, `only ${px.other} non-background pixels`);
  assert.ok(px.near > 300, `only ${px.near} pixels of the series colour`);

  // The page's COUNT equals the native engine's answer to the same spec on the same file.
  const spec = await page.getAttribute('.apiary', 'data-spec');
  const cli = JSON.parse(execFileSync(path.join('target', 'debug', 'apiary'), ['query', path.join('www', 'demo.arrow'), '--spec', spec], { encoding: 'utf8' }));
  const pageCount = JSON.parse(await page.getAttribute('.ap-table tbody td.ap-num', 'data-value'));
  assert.equal(pageCount, cli.results[0].data.COUNT);
  assert.ok(pageCount >= DEMO_ROWS, 'weighted COUNT is at least the row count');

  // Hover: the crosshair's tooltip shows the bucket's COUNT, as the native engine computes it.
  const [left, top, right, bottom] = (await page.getAttribute('canvas.ap-chart', 'data-plot')).split(',').map(Number);
  const box = await page.locator('canvas.ap-chart').boundingBox();
  await page.mouse.move(box.x + (left + right) / 2, box.y + (top + bottom) / 2);
  await page.waitForSelector('.ap-tooltip:not([hidden])');
  const tipTime = (await page.textContent('.ap-tip-time')).replace(' UTC', '');
  const tipValue = await page.textContent('.ap-tip-value');
  const cliSeries = JSON.parse(execFileSync(path.join('target', 'debug', 'apiary'), ['query', path.join('www', 'demo.arrow'), '--spec', spec], { encoding: 'utf8' })).series;
  const point = cliSeries.find((p) => p.time.slice(0, 16).replace('T', ' ') === tipTime);
  assert.ok(point, `no series point at ${tipTime}`);
  const parsed = parseFloat(tipValue) * (tipValue.endsWith('k') ? 1000 : 1);
  assert.ok(Math.abs(parsed - point.data.COUNT) <= point.data.COUNT * 0.01, `${tipValue} vs ${point.data.COUNT}`);
  await page.screenshot({ path: path.join(OUT, 'demo.png'), fullPage: true });
  await page.mouse.move(0, 0);

  // Weighting is visible and switchable: off, COUNT is the row count.
  assert.match(await page.textContent('.ap-toggle'), /weight by sample_rate/);
  await page.click('.ap-toggle input');
  await page.waitForFunction(() => document.querySelector('.ap-query').textContent.includes('unweighted'));
  assert.equal(JSON.parse(await page.getAttribute('.ap-table tbody td.ap-num', 'data-value')), DEMO_ROWS);
  await page.click('.ap-toggle input');
  await page.waitForFunction(() => document.querySelector('.ap-query').textContent.includes('weighted by sample_rate'));
  assert.equal(JSON.parse(await page.getAttribute('.ap-table tbody td.ap-num', 'data-value')), pageCount);
  assert.deepEqual(page.errors, []);
  await page.close();
});

test('a failing source shows a clear error and no panic', async () => {
  const page = await newPage(env.context);
  await page.goto(env.base + '?src=missing.arrow');
  await page.waitForSelector('.apiary[data-state=error]', { timeout: 60_000 });
  const msg = await page.textContent('.ap-error');
  assert.match(msg, /missing\.arrow/);
  assert.match(msg, /404/);
  await page.close();
});

test('the JS API reports bad input as an Error with the engine message', async () => {
  const page = await newPage(env.context);
  await page.goto(env.base);
  await page.waitForSelector('.apiary[data-state=ready]', { timeout: 90_000 });
  const out = await page.evaluate(async () => {
    const engine = new window.wasmBindings.Engine();
    const results = {};
    try { engine.load('junk.bin', new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8, 9])); } catch (e) { results.load = [e instanceof Error, e.message]; }
    try { engine.query('{"calculations":[{"op":"P99"}]}'); } catch (e) { results.query = [e instanceof Error, e.message]; }
    results.rows = engine.rows();
    results.failedLoadMs = engine.lastLoadMs;
    // A load that works: the time it spent in the engine is part of the whole call's.
    const bytes = new Uint8Array(await (await fetch('demo.arrow')).arrayBuffer());
    const t = performance.now();
    results.loaded = engine.load('demo.arrow', bytes);
    results.callMs = performance.now() - t;
    results.engineMs = engine.lastLoadMs;
    // The quality report through the API; a conventions file with a mistake says where.
    results.quality = JSON.parse(engine.quality(''));
    try { engine.quality('{"required": [{"attributes": []}]}'); } catch (e) { results.conventions = [e instanceof Error, e.message]; }
    return results;
  });
  assert.equal(out.failedLoadMs, 0);
  assert.ok(out.loaded > 1000, `rows ${out.loaded}`);
  assert.ok(out.engineMs > 0 && out.engineMs <= out.callMs, `engine ${out.engineMs} ms of a ${out.callMs} ms load`);
  assert.deepEqual(out.load[0], true);
  assert.match(out.load[1], /junk\.bin/);
  assert.deepEqual(out.query[0], true);
  assert.match(out.query[1], /calculations\[0\]\.column/);
  assert.equal(out.rows, 0);
  const want = JSON.parse(execFileSync(path.join('target', 'debug', 'apiary'), ['quality', path.join('www', 'demo.arrow'), '--format', 'json'], { encoding: 'utf8' }));
  assert.deepEqual(out.quality.findings.map((f) => f.message), want.findings.map((f) => f.message));
  assert.deepEqual(out.quality.services, want.services);
  assert.deepEqual(out.conventions[0], true);
  assert.match(out.conventions[1], /required\[0\]/);
  assert.deepEqual(page.errors, []);
  await page.close();
});

test('after a load the page warms the query kernels up; Engine.warmUp leaves every answer as it was', async () => {
  const page = await newPage(env.context);
  await page.goto(env.base);
  await page.waitForSelector('.apiary[data-state=ready]', { timeout: 90_000 });
  // The page's own warm-up runs a step per timer turn after the first query, then says so.
  await page.waitForSelector('.apiary[data-warm=done]', { timeout: 60_000 });
  const out = await page.evaluate(async () => {
    const engine = new window.wasmBindings.Engine();
    const emptyMs = engine.warmUp();
    const bytes = new Uint8Array(await (await fetch('demo.arrow')).arrayBuffer());
    engine.load('demo.arrow', bytes);
    const specs = [
      { calculations: [{ op: 'COUNT_DISTINCT', column: 'user.id' }], breakdowns: ['http.route'], limit: 10 },
      { calculations: [{ op: 'COUNT' }], breakdowns: ['user.id'], limit: 20 },
      { calculations: [{ op: 'P99', column: 'duration_ms' }, { op: 'HEATMAP', column: 'duration_ms' }], breakdowns: ['service.name'], granularity: 300 },
    ].map((s) => JSON.stringify(s));
    const before = specs.map((s) => engine.query(s));
    const ms = engine.warmUp();
    const after = specs.map((s) => engine.query(s));
    return { emptyMs, ms, before, after, rows: engine.rows() };
  });
  assert.ok(out.emptyMs >= 0 && out.emptyMs < 50, `warm-up with no data: ${out.emptyMs} ms`);
  assert.ok(out.ms > 0, `warm-up over the demo: ${out.ms} ms`);
  assert.equal(out.rows, DEMO_ROWS);
  assert.deepEqual(out.after, out.before);
  assert.ok(JSON.parse(out.before[1]).results.length === 20);
  // The page still answers a query after its warm-up.
  const groupBy = '.ap-clause[data-clause="GROUP BY"] input';
  await page.fill(groupBy, 'http.route');
  await page.focus(groupBy);
  await page.keyboard.press('Enter');
  await page.waitForFunction(() => JSON.parse(document.querySelector('.apiary').dataset.spec).breakdowns?.[0] === 'http.route', null, { timeout: 30_000 });
  assert.deepEqual(page.errors, []);
  await page.close();
});

test('when the module starts, a worker runs the query kernels over made-up events (the code warm-up), in another instance of the same compiled module', async () => {
  const page = await newPage(env.context);
  // The worker is created when the module starts: count workers made from blob: scripts.
  await page.addInitScript(() => {
    const W = window.Worker;
    window.blobWorkers = 0;
    window.Worker = class extends W { constructor(url, o) { super(url, o); if (String(url).startsWith('blob:')) window.blobWorkers += 1; } };
  });
  await page.goto(env.base);
  await page.waitForSelector('.apiary[data-state=ready]', { timeout: 90_000 });
  const out = await page.evaluate(async () => ({ warm: await window.wasmBindings.codeWarmUp(), again: await window.wasmBindings.codeWarmUp(), workers: window.blobWorkers }));
  assert.equal(out.workers, 1, 'one worker, once per page');
  assert.equal(out.warm.crashed, undefined, `the warm-up failed: ${out.warm.crashed}`);
  // The warm-up's plan twice (16 steps), its encoding steps, and 6 more queries, each answered.
  assert.ok(out.warm.queries >= 22, `queries: ${out.warm.queries}`);
  assert.ok(out.warm.ms > 0);
  assert.deepEqual(out.again, out.warm, 'started once: the same outcome');
  assert.deepEqual(page.errors, []);
  await page.close();
});

test('dark mode: the page and the chart follow the colour scheme', async () => {
  const page = await newPage(env.context);
  await page.emulateMedia({ colorScheme: 'dark' });
  await page.goto(env.base);
  await page.waitForSelector('.apiary[data-state=ready]', { timeout: 90_000 });
  const bg = await page.evaluate(() => {
    const c = document.querySelector('canvas.ap-chart');
    const d = c.getContext('2d').getImageData(2, 2, 1, 1).data;
    return { canvas: [d[0], d[1], d[2]], page: getComputedStyle(document.querySelector('.apiary')).backgroundColor };
  });
  assert.deepEqual(bg.canvas, [0x1b, 0x1e, 0x24]);
  assert.equal(bg.page, 'rgb(27, 30, 36)');
  await page.screenshot({ path: path.join(OUT, 'dark.png') });
  await page.close();
});
