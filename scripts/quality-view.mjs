// How long the quality report takes in the page (#21: "5M local events in under 2 seconds"):
// the app loads DATA (an Arrow file beside the built app), then "Check instrumentation" is
// clicked; the time is from the click to the frame after the report (tables, grid, findings) is
// drawn, and the engine's own part as the page reports it. Prints numbers, asserts nothing.
//
//   node scripts/quality-view.mjs DIST DATA [RUNS]    (DATA: a path under DIST, e.g. data/demo-5000000.arrow)
import fs from 'node:fs';
import path from 'node:path';
import { launch } from './chromium.mjs';
import { serve } from './serve.mjs';

const [dist, data, runsArg] = process.argv.slice(2);
if (!dist || !data) throw new Error('usage: node scripts/quality-view.mjs DIST DATA [RUNS]');
const runs = Number(runsArg || 3);
const html = fs.readFileSync(path.join(dist, 'index.html'), 'utf8').replace('data-apiary', `data-apiary data-src="${data}" data-memory-cap="2000000000"`);
fs.writeFileSync(path.join(dist, 'quality-view.html'), html);
const server = await serve(dist, 0);
const base = `http://127.0.0.1:${server.address().port}/`;
const browser = await launch();
const times = [];
for (let r = 0; r < runs; r++) {
  const page = await browser.context.newPage();
  await page.goto(base + 'quality-view.html');
  await page.waitForSelector('.apiary[data-state=ready]', { timeout: 300_000 });
  const rows = await page.getAttribute('.apiary', 'data-rows');
  await page.click('details.ap-quality > summary');
  const ms = await page.evaluate(() => new Promise((resolve) => {
    const t0 = performance.now();
    document.querySelector('.ap-quality-check').click();
    const wait = () => {
      if (document.querySelector('.ap-quality').dataset.state === 'done') requestAnimationFrame(() => resolve(performance.now() - t0));
      else setTimeout(wait, 0);
    };
    wait();
  }));
  times.push(ms);
  console.log(`run ${r + 1}: ${Number(rows).toLocaleString('en-US')} events, quality report shown in ${ms.toFixed(0)} ms (${await page.textContent('.ap-quality-status')}; ${await page.getAttribute('.ap-quality', 'data-findings')} findings)`);
  await page.close();
}
times.sort((a, b) => a - b);
console.log(`median ${times[Math.floor(times.length / 2)].toFixed(0)} ms over ${runs} runs`);
await browser.close();
server.close();
fs.rmSync(path.join(dist, 'quality-view.html'));
