// Derived columns in the page: defined in the builder's DERIVED COLUMNS box (with completions),
// grouped by and visualized like any column, the answer the CLI gives for the same spec, an
// error that points at the character under the box, and a link that brings it all back.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { start, newPage, runBuilder, box, OUT } from './browser.mjs';

let env;
before(async () => { env = await start(); });
after(async () => { await env?.close(); });

const DERIVED = 'DERIVED COLUMNS';
const cli = (spec) => JSON.parse(execFileSync(path.join('target', 'debug', 'apiary'), ['query', path.join('www', 'demo.arrow'), '--spec', JSON.stringify(spec)], { encoding: 'utf8' }));
const tableRows = (page) => page.$$eval('.ap-table tbody tr.ap-row', (rows) => rows.map((r) => [...r.querySelectorAll('td')].slice(1).map((td) => td.dataset.value ?? td.textContent)));

test('a derived column defined in the builder: grouped by, visualized, the CLI\'s answer, an error at the character, a link', async () => {
  const page = await newPage(env.context);
  await page.goto(env.base);
  await page.waitForSelector('.apiary[data-state=ready]', { timeout: 90_000 });

  // Completions: columns after $, functions after an upper-case word.
  await page.click(box(DERIVED));
  await page.keyboard.type('x = LT($dur');
  await page.waitForSelector('.ap-suggest:not([hidden])');
  assert.ok((await page.locator('.ap-suggest-label').allTextContents()).includes('duration_ms'));
  await page.fill(box(DERIVED), 'x = REG_');
  await page.press(box(DERIVED), 'End');
  await page.keyboard.type('M');
  await page.waitForFunction(() => [...document.querySelectorAll('.ap-suggest-label')].some((l) => l.textContent === 'REG_MATCH'));
  await page.keyboard.press('Escape');

  const spec = await runBuilder(page, {
    [DERIVED]: 'sli = IF(NOT(EXISTS($trace.parent_id)), LT($duration_ms, 1000)), kind = IF(GTE($http.status_code, 500), "error", "ok")',
    VISUALIZE: 'COUNT, AVG(duration_ms)',
    'GROUP BY': 'sli, kind',
  }, (s) => s.calculated_fields?.length === 2 && s.breakdowns?.length === 2);
  assert.deepEqual(spec.calculated_fields.map((f) => f.name), ['sli', 'kind']);
  const want = cli(spec);
  const rows = await tableRows(page);
  assert.ok(rows.length >= 3, `groups: ${rows.length}`);
  const fmt = (v) => (v === null ? '(null)' : String(v));
  assert.deepEqual(rows.map((r) => r.slice(0, 3)), want.results.map((r) => [fmt(r.data.sli), fmt(r.data.kind), String(r.data.COUNT)]));
  // The demo's incident burns the SLI: some root spans are bad.
  assert.ok(want.results.some((r) => r.data.sli === false && r.data.COUNT > 0));
  await page.screenshot({ path: path.join(OUT, 'derived.png'), fullPage: true });

  // The trace search reads derived columns too: traces with a bad root span.
  await page.fill('.ap-trace-where', 'sli = false');
  await page.press('.ap-trace-where', 'Enter');
  await page.waitForFunction(() => /with a span where sli = false/.test(document.querySelector('.ap-traces').textContent));
  await page.waitForSelector('.ap-trace-table tbody tr');
  const slowest = Number((await page.textContent('.ap-trace-table tbody tr td')).replace(/[^\d.]/g, ''));
  assert.ok(slowest >= 1000, `a bad root span takes a second or more: ${slowest}`);
  assert.equal(await page.isVisible('.ap-trace-find .ap-clause-error'), false);

  // An error points at the character, under the box; the last answer stays.
  await page.fill(box(DERIVED), 'bad = LT($nope, 1)');
  await page.press(box(DERIVED), 'Enter');
  const err = `.ap-clause[data-clause="${DERIVED}"] .ap-clause-error:not([hidden])`;
  await page.waitForSelector(err);
  assert.match(await page.textContent(err), /bad: no column named "nope" at character 4/);
  assert.deepEqual(await tableRows(page), rows);

  // The link brings the derived columns back, and the same answer.
  const fresh = await newPage(env.context);
  await fresh.goto(page.url());
  await fresh.waitForSelector('.apiary[data-state=ready]', { timeout: 90_000 });
  await fresh.waitForFunction(() => JSON.parse(document.querySelector('.apiary').dataset.spec).calculated_fields?.length === 2);
  assert.equal(await fresh.inputValue(box(DERIVED)), 'sli = IF(NOT(EXISTS($trace.parent_id)), LT($duration_ms, 1000)), kind = IF(GTE($http.status_code, 500), "error", "ok")');
  assert.deepEqual(await tableRows(fresh), rows);
  assert.deepEqual(fresh.errors, []);
  assert.deepEqual(page.errors, []);
  await fresh.close();
  await page.close();
});
