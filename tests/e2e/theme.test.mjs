// The system's colour scheme switching while the page is open (the default theme, "auto"): the
// page's CSS follows by itself, and every canvas is drawn again in the new colours: the main
// chart, and an open trace's minimap.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { start, newPage, OUT } from './browser.mjs';

let env;
before(async () => { env = await start(); });
after(async () => { await env?.close(); });

const DARK = [27, 30, 36];
const WHITE = [255, 255, 255];

/** The share of a canvas's pixels that are exactly `rgb`. */
const share = (page, selector, rgb) => page.$eval(selector, (c, rgb) => {
  const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
  let n = 0;
  for (let i = 0; i < d.length; i += 4) if (d[i] === rgb[0] && d[i + 1] === rgb[1] && d[i + 2] === rgb[2]) n++;
  return n / (d.length / 4);
}, rgb);

test('a system switch to dark and back draws the chart and the open trace\'s minimap again', async () => {
  const page = await newPage(env.context);
  await page.emulateMedia({ colorScheme: 'light' });
  await page.goto(env.base);
  await page.waitForSelector('.apiary[data-state=ready]', { timeout: 90_000 });
  await page.waitForSelector('.ap-trace-table tbody tr');
  await page.click('.ap-trace-table tbody tr');
  await page.waitForSelector('.ap-waterfall:not([hidden]) .ap-wf-row');
  const chart = 'canvas.ap-chart', mini = 'canvas.ap-wf-mini-canvas';
  assert.ok(await share(page, chart, WHITE) > 0.5, `light chart: ${await share(page, chart, WHITE)} white`);
  assert.ok(await share(page, mini, WHITE) > 0.1, `light minimap: ${await share(page, mini, WHITE)} white`);
  assert.equal(await share(page, mini, DARK), 0);

  await page.emulateMedia({ colorScheme: 'dark' });
  await page.waitForFunction(() => document.querySelector('canvas.ap-wf-mini-canvas').dataset.theme === 'dark', null, { timeout: 10_000 });
  const dark = { chart: await share(page, chart, DARK), mini: await share(page, mini, DARK) };
  assert.ok(dark.chart > 0.5, `dark chart: ${dark.chart} of its pixels the dark background`);
  assert.ok(dark.mini > 0.1, `dark minimap: ${dark.mini} of its pixels the dark background`);
  assert.equal(await share(page, mini, WHITE), 0, 'no light background left in the minimap');
  assert.equal(await page.$eval('.apiary', (e) => getComputedStyle(e).backgroundColor), 'rgb(27, 30, 36)');
  await page.screenshot({ path: path.join(OUT, 'theme-dark.png'), fullPage: true });

  await page.emulateMedia({ colorScheme: 'light' });
  await page.waitForFunction(() => document.querySelector('canvas.ap-wf-mini-canvas').dataset.theme === 'light', null, { timeout: 10_000 });
  assert.ok(await share(page, chart, WHITE) > 0.5, 'light again');
  assert.equal(await share(page, mini, DARK), 0, 'no dark background left in the minimap');
  assert.deepEqual(page.errors, []);
  await page.close();
});
