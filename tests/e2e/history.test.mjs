// Recent queries: kept in local storage, newest first; a click runs one again.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { start, newPage, fillSpec } from './browser.mjs';

let env;
before(async () => { env = await start(); });
after(async () => { await env?.close(); });

test('queries run from the editor are remembered and can be run again', async () => {
  const page = await newPage(env.context);
  await page.goto(env.base);
  await page.waitForSelector('.apiary[data-state=ready]', { timeout: 90_000 });
  const base = JSON.parse(await page.inputValue('.ap-spec'));
  const first = { ...base, breakdowns: ['region'] };
  const second = { ...base, breakdowns: ['service.name'] };
  for (const spec of [first, second]) {
    await fillSpec(page, JSON.stringify(spec));
    await page.click('.ap-run');
    await page.waitForFunction((b) => document.querySelector('.ap-results thead').textContent.includes(b), spec.breakdowns[0]);
  }
  await page.click('.ap-history summary');
  const items = await page.$$eval('.ap-history-item', (l) => l.map((x) => JSON.parse(x.textContent).breakdowns[0]));
  assert.deepEqual(items, ['service.name', 'region']);
  await page.click('.ap-history-item[data-index="1"]');
  await page.waitForFunction(() => document.querySelector('.ap-results thead').textContent.includes('region'));
  assert.deepEqual(JSON.parse(await page.inputValue('.ap-spec')).breakdowns, ['region']);
  // Kept across page loads.
  await page.reload();
  await page.waitForSelector('.apiary[data-state=ready]', { timeout: 90_000 });
  assert.equal(await page.$$eval('.ap-history-item', (l) => l.length), 2);
  assert.deepEqual(page.errors, []);
  await page.close();
});
