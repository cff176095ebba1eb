// How long the SLO view takes to show in the page (#20: "the SLO view for 5M events renders in
// under a second"): the app loads DATA (an Arrow file beside the built app), then the demo's
// preset SLO is saved and shown; the time is from the click to the frame after the report, its
// charts and the SLI's heatmap are drawn. Prints numbers, asserts nothing.
//
//   node scripts/slo-view.mjs DIST DATA [RUNS]    (DATA: a path under DIST, e.g. data/demo-5000000.arrow)
import fs from 'node:fs';
import path from 'node:path';
import { launch } from './chromium.mjs';
import { serve } from './serve.mjs';

const [dist, data, runsArg] = process.argv.slice(2);
if (!dist || !data) throw new Error('usage: node scripts/slo-view.mjs DIST DATA [RUNS]');
const runs = Number(runsArg || 3);
const html = fs.readFileSync(path.join(dist, 'index.html'), 'utf8').replace('data-apiary', `data-apiary data-src="${data}" data-memory-cap="2000000000"`);
fs.writeFileSync(path.join(dist, 'slo-view.html'), html);
const server = await serve(dist, 0);
const base = `http://127.0.0.1:${server.address().port}/`;
const browser = await launch();
const times = [];
for (let r = 0; r < runs; r++) {
  const page = await browser.context.newPage();
  await page.goto(base + 'slo-view.html');
  await page.waitForSelector('.apiary[data-state=ready]', { timeout: 300_000 });
  const rows = await page.getAttribute('.apiary', 'data-rows');
  await page.click('details.ap-slo > summary');
  await page.fill('.ap-slo-name', `SLO ${r}`);
  const ms = await page.evaluate(() => new Promise((resolve) => {
    const t0 = performance.now();
    document.querySelector('.ap-slo-save').click();
    const wait = () => {
      const shown = document.querySelector('.ap-slo').dataset.slo && !document.querySelector('.ap-slo-report').hidden;
      if (shown) requestAnimationFrame(() => resolve(performance.now() - t0));
      else setTimeout(wait, 0);
    };
    wait();
  }));
  times.push(ms);
  console.log(`run ${r + 1}: ${Number(rows).toLocaleString('en-US')} events, SLO view shown in ${ms.toFixed(0)} ms (${(await page.textContent('.ap-slo-headline')).slice(0, 90)}…)`);
  await page.close();
}
times.sort((a, b) => a - b);
console.log(`median ${times[Math.floor(times.length / 2)].toFixed(0)} ms over ${runs} runs`);
await browser.close();
server.close();
fs.rmSync(path.join(dist, 'slo-view.html'));
