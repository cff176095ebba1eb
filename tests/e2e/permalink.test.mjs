// The query editor and permalinks: run a query through the UI, open its link in a fresh page and
// see the same result, walk back and forward, inline errors, and inert untrusted names/values.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { start, newPage, OUT, fillSpec, tableValues, runQuery } from './browser.mjs';

let env;
before(async () => { env = await start(); });
after(async () => { await env?.close(); });


test('a query typed in the page reproduces from its link; back and forward', async () => {
  const page = await newPage(env.context);
  await page.goto(env.base);
  await page.waitForSelector('.apiary[data-state=ready]', { timeout: 90_000 });
  const first = await tableValues(page);
  const firstHash = await page.evaluate(() => location.hash);
  assert.match(firstHash, /^#v1\./);

  const spec = JSON.parse(await page.inputValue('.ap-spec'));
  spec.calculations = [{ op: 'COUNT' }, { op: 'P99', column: 'duration_ms' }];
  spec.breakdowns = ['region'];
  spec.filters = [{ column: 'http.status_code', op: '>=', value: 500 }];
  await runQuery(page, spec);
  const second = await tableValues(page);
  assert.equal(second.length, 5);
  assert.match(await page.textContent('.ap-results .ap-table thead'), /region.*COUNT.*P99\(duration_ms\)/);
  const link = page.url();
  assert.ok(link.length < env.base.length + 600, `link is ${link.length} characters`);

  const fresh = await newPage(env.context);
  await fresh.goto(link);
  await fresh.waitForFunction(() => document.querySelectorAll('.ap-results .ap-table tbody tr').length === 5, null, { timeout: 90_000 });
  assert.deepEqual(await tableValues(fresh), second);
  await fresh.screenshot({ path: path.join(OUT, 'permalink.png'), fullPage: true });
  assert.deepEqual(fresh.errors, []);
  await fresh.close();

  await page.goBack();
  await page.waitForFunction(() => document.querySelectorAll('.ap-results .ap-table tbody tr').length === 1);
  assert.deepEqual(await tableValues(page), first);
  await page.goForward();
  await page.waitForFunction(() => document.querySelectorAll('.ap-results .ap-table tbody tr').length === 5);
  assert.deepEqual(await tableValues(page), second);
  assert.deepEqual(page.errors, []);
  await page.close();
});

test('a bad query shows its error inline and the last result stays', async () => {
  const page = await newPage(env.context);
  await page.goto(env.base);
  await page.waitForSelector('.apiary[data-state=ready]', { timeout: 90_000 });
  const before = await tableValues(page);
  await fillSpec(page, '{"calculations":[{"op":"P99","column":"no.such.column"}]}');
  await page.click('.ap-run');
  await page.waitForSelector('.ap-spec-error:not([hidden])');
  assert.match(await page.textContent('.ap-spec-error'), /calculations\[0\]\.column.*no\.such\.column/);
  assert.deepEqual(await tableValues(page), before);
  await fillSpec(page, '{not json');
  await page.keyboard.press('Control+Enter');
  await page.waitForFunction(() => /not valid JSON/.test(document.querySelector('.ap-spec-error').textContent));
  await page.close();
});

test('names and values are inert text, never HTML', async () => {
  const evil = '<img src=x onerror="window.__pwned=1">';
  const lines = [0, 1, 2].map((i) => JSON.stringify({ timestamp: 1793534400000 + i * 1000, [evil]: `${evil}${i}`, '<script>window.__pwned=2</script>': 1 }));
  const file = path.join(OUT, 'evil.ndjson');
  fs.writeFileSync(file, lines.join('\n'));
  const page = await newPage(env.context);
  await page.goto(env.base);
  await page.waitForSelector('.apiary[data-state=ready]', { timeout: 90_000 });
  await page.setInputFiles('.ap-file', [file]);
  await page.waitForFunction(() => document.querySelectorAll('.ap-source').length === 2);
  await runQuery(page, { breakdowns: [evil], filters: [{ column: evil, op: 'exists' }], time_range: 86400 });
  const heads = await page.$$eval('.ap-results .ap-table thead th', (t) => t.map((x) => x.textContent));
  assert.ok(heads.includes(evil), heads.join(' | '));
  const cells = await page.$$eval('.ap-results .ap-table tbody td', (t) => t.map((x) => x.textContent));
  assert.ok(cells.includes(`${evil}0`), cells.join(' | '));
  assert.equal(await page.evaluate(() => document.querySelectorAll('.apiary img, .apiary script').length), 0);
  assert.equal(await page.evaluate(() => window.__pwned), undefined);
  await page.close();
});
