// How long the page holds the main thread while a person types a query into the builder:
// prints the longest task (the longest gap between two turns of a message loop), how many tasks
// of 50 ms or more there were ('longtask'), the longest key handler and the longest input event
// (Event Timing: handler time, and from the key press to the next paint) over a few runs, each in
// a fresh page. Prints numbers, asserts nothing.
//
//   node scripts/typing.mjs [DIST] [RUNS]     (default: dist, 3; build with scripts/run first)
import { launch } from './chromium.mjs';
import { serve } from './serve.mjs';

const dist = process.argv[2] || 'dist';
const runs = Number(process.argv[3] || 3);
const server = await serve(dist, 0);
const base = `http://127.0.0.1:${server.address().port}/`;
const browser = await launch();
const context = browser.context;
const box = (clause) => `.ap-clause[data-clause="${clause}"] input`;
const typed = [['VISUALIZE', 'COUNT, P99(duration_ms), HEATMAP(duration_ms)'], ['WHERE', 'service.name = checkout'], ['GROUP BY', 'region']];
const rows = [];
for (let r = 0; r < runs; r++) {
  const page = await context.newPage();
  await page.goto(base);
  await page.waitForSelector('.apiary[data-state=ready]', { timeout: 120_000 });
  await page.waitForTimeout(500);
  await page.evaluate(() => {
    window.__long = [];
    window.__events = [];
    window.__handlers = [];
    window.__gap = 0;
    new PerformanceObserver((l) => { for (const e of l.getEntries()) window.__long.push(e.duration); }).observe({ type: 'longtask' });
    new PerformanceObserver((l) => {
      for (const e of l.getEntries()) { window.__events.push(e.duration); window.__handlers.push(e.processingEnd - e.processingStart); }
    }).observe({ type: 'event', durationThreshold: 16 });
    // The longest stretch the page could not run a task of its own: the gap between two turns of
    // a message loop (a task measured to the millisecond, where 'longtask' starts at 50 ms).
    let last = performance.now();
    const ch = new MessageChannel();
    ch.port1.onmessage = () => {
      const t = performance.now();
      window.__gap = Math.max(window.__gap, t - last);
      last = t;
      if (!window.__stop) ch.port2.postMessage(0);
    };
    ch.port2.postMessage(0);
  });
  for (const [clause, text] of typed) {
    await page.fill(box(clause), '');
    await page.click(box(clause));
    await page.keyboard.type(text, { delay: 80 });
    await page.keyboard.press('Escape');
  }
  await page.keyboard.press('Enter');
  await page.waitForTimeout(1500);
  await page.waitForSelector('.apiary[data-state=ready]');
  const { long, events, handlers, gap } = await page.evaluate(() => { window.__stop = true; return { long: window.__long, events: window.__events, handlers: window.__handlers, gap: window.__gap }; });
  rows.push({ run: r + 1, longest_task_ms: Math.round(gap), long_tasks: long.length, longest_handler_ms: Math.round(Math.max(0, ...handlers)), longest_event_ms: Math.max(0, ...events) });
  await page.close();
}
await browser.close();
server.close();
console.table(rows);
const worst = (k) => Math.max(...rows.map((x) => x[k]));
console.log(`typing ${typed.map((t) => t[1]).join(' | ')}: longest task ${worst('longest_task_ms')} ms, longest key handler ${worst('longest_handler_ms')} ms, longest input event to paint ${worst('longest_event_ms')} ms (worst of ${runs} runs)`);
