// Long queries run in steps: the page gets its turn between them, the progress shows what is being
// done, the answer is the one an unpaced page gives, and a newer query stops an older one before
// its result ever shows. The host sets `data-query-slice-ms="0"`: a turn after every step.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { start, newPage, smallBatches, plot, box, runBuilder, hostPage, OUT } from './browser.mjs';

let env;
before(async () => { env = await start(); });
after(async () => { await env?.close(); });

// The demo, and the demo again in 500-row batches: 200,000 events in 202 batches, so a query
// has hundreds of steps.
async function open(file) {
  const page = await newPage(env.context);
  await page.goto(env.base + file);
  await page.waitForSelector('.apiary[data-state=ready]', { timeout: 90_000 });
  await page.setInputFiles('.ap-file', [smallBatches()]);
  await page.waitForFunction(() => document.querySelectorAll('.ap-source').length === 2 && document.querySelector('.apiary').dataset.state === 'ready', null, { timeout: 60_000 });
  return page;
}

const table = (page) => page.$$eval('.ap-results tbody tr.ap-row', (trs) => trs.map((tr) => tr.textContent));

/** The page with a host that asks for a turn after every step. */
function paced() {
  return open(hostPage('pace-test.html', '<main data-apiary>', '<main data-apiary data-query-slice-ms="0">'));
}

/** Record what the progress shows in `window.stages`. */
const watchStages = (page) => page.evaluate(() => {
  window.stages = [];
  const status = document.querySelector('.ap-running');
  new MutationObserver(() => { if (!status.hidden) window.stages.push(status.textContent); })
    .observe(status, { attributes: true, childList: true, characterData: true, subtree: true });
});

test('a long query runs in steps with progress, gives the unpaced answer, and a newer query stops it', async () => {
  const page = await paced();
  await watchStages(page);
  await page.evaluate(() => {
    window.turns = 0;
    window.specs = [];
    const root = document.querySelector('.apiary');
    new MutationObserver(() => window.specs.push(root.dataset.spec)).observe(root, { attributes: true, attributeFilter: ['data-spec'] });
    // The page's own timers keep running while a query does.
    const tick = () => { if (root.dataset.state === 'running') window.turns++; setTimeout(tick, 0); };
    tick();
  });

  // The idle-time warm-up encodes user.id after the load; then GROUP BY user.id only scans, and
  // its tens of thousands of groups are finished a few dozen at a time.
  await page.waitForSelector('.apiary[data-warm=done]', { timeout: 60_000 });
  await runBuilder(page, { VISUALIZE: 'COUNT', 'GROUP BY': 'user.id', LIMIT: '50' }, (s) => s.breakdowns?.[0] === 'user.id' && s.limit === 50);
  const stages = await page.evaluate(() => window.stages);
  for (const want of [/^Running: scanning events \(\d+%\)…$/, /^Running: finishing groups \(\d+%\)…$/]) {
    assert.ok(stages.some((s) => want.test(s)), `${want} in ${JSON.stringify(stages.slice(0, 12))}…`);
  }
  assert.ok(!stages.some((s) => /encoding user\.id/.test(s)), `user.id was encoded in idle time: ${JSON.stringify(stages.slice(0, 12))}…`);
  assert.ok(await page.evaluate(() => window.turns) > 5, 'the page had its turns while the query ran');
  assert.equal(await page.isVisible('.ap-running'), false);
  const steppedRows = await table(page);
  assert.equal(steppedRows.length, 50);

  // The warm-up leaves columns of mostly distinct values (span ids) plain: a query over one
  // encodes it in steps, then scans; the page still gets its turns.
  await page.evaluate(() => { window.stages = []; window.turns = 0; });
  await runBuilder(page, { VISUALIZE: 'COUNT', 'GROUP BY': 'trace.span_id', LIMIT: '20' }, (s) => s.breakdowns?.[0] === 'trace.span_id' && s.limit === 20);
  const spanStages = await page.evaluate(() => window.stages);
  const encoding = spanStages.findIndex((s) => /^Running: encoding trace\.span_id \(\d+%\)…$/.test(s));
  const scanning = spanStages.findIndex((s) => /^Running: scanning events \(\d+%\)…$/.test(s));
  assert.ok(encoding >= 0 && scanning > encoding, `encoding trace.span_id, then scanning: ${JSON.stringify(spanStages.slice(0, 12))}…`);
  assert.ok(await page.evaluate(() => window.turns) > 5, 'the page had its turns while trace.span_id was encoded');
  assert.equal((await table(page)).length, 20);
  await runBuilder(page, { VISUALIZE: 'COUNT', 'GROUP BY': 'user.id', LIMIT: '50' }, (s) => s.breakdowns?.[0] === 'user.id' && s.limit === 50);

  // The same query in a page with the default slice (at this size: one go) gives the same table.
  const plain = await open('');
  await runBuilder(plain, { VISUALIZE: 'COUNT', 'GROUP BY': 'user.id', LIMIT: '50' }, (s) => s.breakdowns?.[0] === 'user.id' && s.limit === 50);
  assert.deepEqual(await table(plain), steppedRows);
  await plain.close();

  // A query started while another runs stops it: the older one's result never shows.
  await page.evaluate(() => { window.specs = []; window.stages = []; });
  await page.fill(box('VISUALIZE'), 'P99(duration_ms)');
  await page.focus(box('LIMIT'));
  await page.keyboard.press('Enter');
  await page.waitForSelector('.ap-running:not([hidden])');
  await page.locator('.ap-bar').screenshot({ path: path.join(OUT, 'query-progress.png') });
  await runBuilder(page, { VISUALIZE: 'COUNT_DISTINCT(region)' }, (s) => s.calculations?.[0]?.op === 'COUNT_DISTINCT');
  const shown = (await page.evaluate(() => window.specs)).map((s) => JSON.parse(s).calculations[0].op);
  assert.ok(!shown.includes('P99'), `P99's result was replaced before it showed: ${shown}`);
  assert.deepEqual([...new Set(shown)], ['COUNT_DISTINCT']);
  assert.match(await page.textContent('.ap-results thead'), /COUNT_DISTINCT\(region\)/);
  assert.deepEqual(page.errors, []);
  await page.close();
});

test('BubbleUp runs in steps too, gives the unpaced answer, and clearing the selection drops a running one', async () => {
  const heatmap = { VISUALIZE: 'HEATMAP(duration_ms)' };
  const isHeatmap = (s) => s.calculations?.[0]?.op === 'HEATMAP';
  const select = async (p, at) => {
    const { x, y, t0, t1 } = await plot(p);
    await p.mouse.click(x(t0 + (t1 - t0) * at), y(120));
  };
  const columns = (p) => p.$$eval('.ap-bubbleup:not([hidden]) .ap-bu-col', (cs) => cs.map((c) => c.dataset.column));
  const page = await paced();
  await runBuilder(page, heatmap, isHeatmap);
  await watchStages(page);
  await select(page, 0.5);
  await page.waitForSelector('.ap-bubbleup:not([hidden]) .ap-bu-col', { timeout: 60_000 });
  await page.waitForFunction(() => !document.querySelector('.apiary').hasAttribute('data-bubbleup'));
  const stages = await page.evaluate(() => window.stages);
  assert.ok(stages.some((s) => /^Running: comparing values \(\d+%\)…$/.test(s)), JSON.stringify(stages.slice(0, 8)));
  const ranked = await columns(page);
  assert.ok(ranked.length > 5, `${ranked}`);

  const plain = await open('');
  await runBuilder(plain, heatmap, isHeatmap);
  await select(plain, 0.5);
  await plain.waitForSelector('.ap-bubbleup:not([hidden]) .ap-bu-col', { timeout: 60_000 });
  assert.deepEqual(await columns(plain), ranked);
  await plain.close();

  // Another cell, and Clear selection while its BubbleUp runs: it never shows.
  await select(page, 0.3);
  await page.waitForSelector('.apiary[data-bubbleup=running]');
  await page.click('[data-clear-selection]');
  await page.waitForSelector('.ap-bubbleup[hidden]', { state: 'attached' });
  await page.waitForTimeout(1500);
  assert.equal(await page.isVisible('.ap-bubbleup'), false);
  assert.equal(await page.getAttribute('.apiary', 'data-bubbleup'), null);
  assert.deepEqual(page.errors, []);
  await page.close();
});
