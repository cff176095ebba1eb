// HEATMAP queries draw a heatmap: time × value buckets coloured on the viridis scale.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { start, newPage, OUT, fillSpec, plot } from './browser.mjs';

let env;
before(async () => { env = await start(); });
after(async () => { await env?.close(); });

/** The demo page showing HEATMAP(duration_ms) over the whole range, run through the editor. */
async function heatmapPage() {
  const page = await newPage(env.context);
  await page.goto(env.base);
  await page.waitForSelector('.apiary[data-state=ready]', { timeout: 90_000 });
  const spec = JSON.parse(await page.inputValue('.ap-spec'));
  spec.calculations = [{ op: 'HEATMAP', column: 'duration_ms' }];
  await fillSpec(page, JSON.stringify(spec));
  await page.click('.ap-run');
  await page.waitForSelector('canvas.ap-chart[data-chart=heatmap][data-plot]');
  return page;
}

const cli = (spec, ...args) => JSON.parse(execFileSync(path.join('target', 'debug', 'apiary'), ['query', path.join('www', 'demo.arrow'), '--spec', spec, ...args], { encoding: 'utf8' }));

test('HEATMAP(duration_ms) draws a heatmap with a legend', async () => {
  const page = await heatmapPage();
  const colours = await page.evaluate(() => {
    const c = document.querySelector('canvas.ap-chart');
    const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
    const seen = new Set();
    let purple = 0;
    for (let i = 0; i < d.length; i += 4) {
      seen.add((d[i] << 16) | (d[i + 1] << 8) | d[i + 2]);
      // Viridis starts dark purple (68, 1, 84).
      if (Math.abs(d[i] - 68) + Math.abs(d[i + 1] - 1) + Math.abs(d[i + 2] - 84) < 60) purple++;
    }
    return { distinct: seen.size, purple };
  });
  assert.ok(colours.distinct > 30, `${colours.distinct} distinct colours`);
  assert.ok(colours.purple > 200, `${colours.purple} purple pixels`);
  assert.match(await page.textContent('.ap-table'), /HEATMAP\(duration_ms\)/);
  await page.screenshot({ path: path.join(OUT, 'heatmap.png'), fullPage: true });
  assert.deepEqual(page.errors, []);
  await page.close();
});

test('drag a box over the slow incident: BubbleUp finds the cohort, the link keeps it', async () => {
  const page = await heatmapPage();
  const { x, y, y1, t1 } = await plot(page);
  const END = 1793534400000; // the demo's end
  await page.mouse.move(x(END - 90 * 60_000), y(y1) + 1);
  await page.mouse.down();
  await page.mouse.move(x(END - 30 * 60_000), y(800), { steps: 5 });
  await page.mouse.move(x(t1) - 1, y(800), { steps: 5 });
  await page.mouse.up();
  await page.waitForSelector('.ap-bubbleup:not([hidden]) .ap-bu-col');
  const cols = await page.$$eval('.ap-bu-col', (c) => c.map((x) => x.dataset.column));
  assert.deepEqual(cols.slice(0, 2).sort(), ['app.version', 'region'], cols.join(', '));
  const topValue = (col) => page.$eval(`.ap-bu-col[data-column="${col}"] .ap-bu-row .ap-bu-label`, (e) => e.textContent);
  assert.equal(await topValue('region'), 'eu-west-1');
  assert.equal(await topValue('app.version'), '3.8.1');
  assert.equal(await page.isVisible('.ap-brush'), true);
  await page.screenshot({ path: path.join(OUT, 'bubbleup.png'), fullPage: true });

  // The link reproduces the selection and its BubbleUp.
  const fresh = await newPage(env.context);
  await fresh.goto(page.url());
  await fresh.waitForSelector('.ap-bubbleup:not([hidden]) .ap-bu-col', { timeout: 90_000 });
  assert.deepEqual(await fresh.$$eval('.ap-bu-col', (c) => c.map((x) => x.dataset.column)), cols);
  await fresh.close();

  // A measure's bucket filters on its side of the range.
  const measure = await page.$('.ap-bu-row[data-op]');
  assert.ok(measure, 'measures offer range filters');
  const [mcol, mop, mval] = await measure.evaluate((r) => [r.dataset.col, r.dataset.op, JSON.parse(r.dataset.val)]);
  await measure.click();
  await page.waitForFunction((c) => document.querySelector('.ap-spec').value.includes(c), mcol);
  assert.deepEqual(JSON.parse(await page.inputValue('.ap-spec')).filters, [{ column: mcol, op: mop, value: mval }]);
  assert.ok(['>=', '<'].includes(mop));
  await page.goBack();
  await page.waitForSelector('.ap-bubbleup:not([hidden]) .ap-bu-col');

  // Clicking a value filters on it.
  await page.click('.ap-bu-col[data-column="region"] .ap-bu-row[data-col]');
  await page.waitForFunction(() => /"region"/.test(document.querySelector('.ap-spec').value));
  const q = JSON.parse(await page.inputValue('.ap-spec'));
  assert.deepEqual(q.filters, [{ column: 'region', op: '=', value: 'eu-west-1' }]);
  assert.deepEqual(page.errors, []);
  await page.close();
});

test('duration is drawn on a log axis by default; the toggle switches to linear and the link keeps it', async () => {
  const page = await heatmapPage();
  let p = await plot(page);
  assert.equal(p.log, true);
  assert.equal(await page.isChecked('.ap-scale input'), true);
  await page.screenshot({ path: path.join(OUT, 'heatmap-log.png'), fullPage: true });
  await page.uncheck('.ap-scale input');
  await page.waitForFunction(() => document.querySelector('canvas.ap-chart').dataset.plot.endsWith(',linear'));
  const fresh = await newPage(env.context);
  await fresh.goto(page.url());
  await fresh.waitForSelector('canvas.ap-chart[data-chart=heatmap][data-plot$=",linear"]', { timeout: 90_000 });
  assert.equal(await fresh.isChecked('.ap-scale input'), false);
  await fresh.close();
  // Back returns to the log axis.
  await page.goBack();
  await page.waitForFunction(() => document.querySelector('canvas.ap-chart').dataset.plot.endsWith(',log'));
  assert.deepEqual(page.errors, []);
  await page.close();
});

test('hovering a cell shows its count and its time bucket histogram, as the native engine counts', async () => {
  const page = await heatmapPage();
  const { x, y, t0, t1 } = await plot(page);
  await page.mouse.move(x(t0 + (t1 - t0) * 0.5), y(120));
  const cell = await page.waitForSelector('.ap-tooltip:not([hidden]) .ap-tip-cell');
  const [bucket, time, count] = await cell.evaluate((c) => [Number(c.dataset.bucket), Number(c.dataset.time), Number(c.dataset.count)]);
  assert.equal(await page.locator('.ap-tooltip .ap-hist-bar').count(), 50);
  assert.equal(await page.locator('.ap-tooltip .ap-hist-here').count(), 1);
  const spec = await page.getAttribute('.apiary', 'data-spec');
  const native = cli(spec, '--heatmap-scale', 'log');
  const point = native.series.find((s) => Date.parse(s.time) === time);
  assert.ok(point, `a series point at ${new Date(time).toISOString()}`);
  assert.equal(count, point.data['HEATMAP(duration_ms)'].counts[bucket]);
  assert.ok(count > 0, 'the hovered cell holds events');
  await page.screenshot({ path: path.join(OUT, 'heatmap-hover.png') });

  // Clicking the cell selects it: BubbleUp, and the trace list narrows to the selection.
  await page.mouse.click(x(t0 + (t1 - t0) * 0.5), y(120));
  await page.waitForSelector('.ap-bubbleup:not([hidden]) .ap-bu-col');
  await page.waitForFunction(() => /in the selection/.test(document.querySelector('.ap-traces')?.textContent ?? ''));
  assert.match(await page.textContent('.ap-bu-head'), /selected events/);
  await page.click('[data-clear-selection]');
  await page.waitForSelector('.ap-bubbleup[hidden]', { state: 'attached' });
  await page.waitForFunction(() => /matching the query/.test(document.querySelector('.ap-traces')?.textContent ?? ''));
  assert.deepEqual(page.errors, []);
  await page.close();
});
