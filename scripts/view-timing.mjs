// Times a view of the page as a person meets it (shared by slo-view.mjs and quality-view.mjs):
// the built app at DIST loads DATA (an Arrow file beside it), in a fresh page per run; `prepare`
// readies the view, then the time runs from a click on `click` to the frame after `done`
// (an expression the page evaluates) holds. Prints each run and the median; asserts nothing.
import fs from 'node:fs';
import path from 'node:path';
import { launch } from './chromium.mjs';
import { serve } from './serve.mjs';

/** `what`: the script's name (usage, the page written into DIST); `describe(page)`: what the run showed. */
export async function timeView({ what, prepare, click, done, describe }) {
  const [dist, data, runsArg] = process.argv.slice(2);
  if (!dist || !data) throw new Error(`usage: node scripts/${what}.mjs DIST DATA [RUNS]`);
  const runs = Number(runsArg || 3);
  const page = `${what}.html`;
  const html = fs.readFileSync(path.join(dist, 'index.html'), 'utf8').replace('data-apiary', `data-apiary data-src="${data}" data-memory-cap="2000000000"`);
  fs.writeFileSync(path.join(dist, page), html);
  const server = await serve(dist, 0);
  const base = `http://127.0.0.1:${server.address().port}/`;
  const browser = await launch();
  const times = [];
  try {
    for (let r = 0; r < runs; r++) {
      const p = await browser.context.newPage();
      await p.goto(base + page);
      await p.waitForSelector('.apiary[data-state=ready]', { timeout: 300_000 });
      const rows = Number(await p.getAttribute('.apiary', 'data-rows'));
      await prepare(p, r);
      const ms = await p.evaluate(([selector, check]) => new Promise((resolve) => {
        const isDone = new Function(`return (${check});`);
        const t0 = performance.now();
        document.querySelector(selector).click();
        const wait = () => {
          if (isDone()) requestAnimationFrame(() => resolve(performance.now() - t0));
          else setTimeout(wait, 0);
        };
        wait();
      }), [click, done]);
      times.push(ms);
      console.log(`run ${r + 1}: ${rows.toLocaleString('en-US')} events, shown in ${ms.toFixed(0)} ms (${await describe(p)})`);
      await p.close();
    }
    times.sort((a, b) => a - b);
    console.log(`median ${times[Math.floor(times.length / 2)].toFixed(0)} ms over ${runs} runs`);
  } finally {
    await browser.close();
    server.close();
    fs.rmSync(path.join(dist, page));
  }
}
