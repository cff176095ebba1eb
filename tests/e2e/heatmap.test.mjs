// HEATMAP queries draw a heatmap: time × value buckets coloured on the viridis scale.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { start, newPage, OUT } from './browser.mjs';

let env;
before(async () => { env = await start(); });
after(async () => { await env?.close(); });

test('HEATMAP(duration_ms) draws a heatmap with a legend', async () => {
  const page = await newPage(env.context);
  await page.goto(env.base);
  await page.waitForSelector('.apiary[data-state=ready]', { timeout: 90_000 });
  const spec = JSON.parse(await page.inputValue('.ap-spec'));
  spec.calculations = [{ op: 'HEATMAP', column: 'duration_ms' }];
  await page.fill('.ap-spec', JSON.stringify(spec));
  await page.click('.ap-run');
  await page.waitForSelector('canvas.ap-chart[data-chart=heatmap]');
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
