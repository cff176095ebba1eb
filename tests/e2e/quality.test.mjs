// The quality report in the page: on spans the OpenTelemetry JS SDK wrote with known defects
// (tests/fixtures/make_quality.mjs), with the team's conventions loaded from a file, the page's
// services, scores and findings equal `apiary quality`'s; the coverage grid is drawn (red cells
// where a service lacks an attribute); a finding opens its query in the builder and the table
// shows the offending events; the link reopens the report with its conventions and focus; event
// values never become markup. On the demo: its deprecated names are reported.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { start, newPage, OUT, DIST } from './browser.mjs';

let env;
before(async () => { env = await start(); });
after(async () => { await env?.close(); });

const FIXTURE = path.join('tests', 'fixtures', 'quality_sdk.jsonl');
const CONVENTIONS = path.join('tests', 'fixtures', 'quality_conventions.json');
const cli = (file, conventions) => JSON.parse(execFileSync(path.join('target', 'debug', 'apiary'),
  ['quality', file, '--format', 'json', ...(conventions ? ['--conventions', `@${conventions}`] : [])], { encoding: 'utf8' }));

const rows = (page, sel) => page.$$eval(`${sel} tr`, (trs) => trs.map((tr) => [...tr.children].map((td) => td.textContent)));

test('the SDK\'s spans: the report equals the CLI\'s, the grid, a finding\'s query, focus, the link', async () => {
  fs.copyFileSync(FIXTURE, path.join(DIST, 'quality-sdk.jsonl'));
  const page = await newPage(env.context);
  await page.goto(env.base + '?src=quality-sdk.jsonl');
  await page.waitForSelector('.apiary[data-state=ready]', { timeout: 90_000 });
  await page.click('details.ap-quality > summary');
  await page.setInputFiles('.ap-quality-conventions input', CONVENTIONS);
  await page.waitForSelector('.ap-quality[data-state=done]');
  assert.match(await page.textContent('.ap-quality-label'), /Storefront conventions/);
  const want = cli(FIXTURE, CONVENTIONS);

  // Services and scores, as the CLI has them.
  const services = await rows(page, '.ap-quality-services');
  const pct = (s) => (s === null ? '—' : `${Math.round(s)}%`);
  assert.deepEqual(services.slice(1).map((r) => [r[0], r[1], r[4], r[5], r[6]]),
    want.services.map((s) => [s.name, s.events.toLocaleString('en-US'), pct(s.semconv), pct(s.conventions), String(s.findings)]));
  // Findings: the same messages in the same order.
  const messages = await page.$$eval('.ap-quality-msg', (m) => m.map((x) => x.textContent));
  assert.deepEqual(messages, want.findings.map((f) => f.message));
  for (const check of ['semconv.deprecated', 'semconv.type', 'conventions.required', 'mixed_types', 'trace.orphans', 'trace.skew']) {
    assert.ok(await page.locator(`.ap-quality-finding[data-check="${check}"]`).count() > 0, check);
  }
  assert.match(await page.textContent('.ap-quality-health'), /16 spans in 8 traces · 1 orphan spans/);

  // The grid: a red cell where a service lacks an attribute, green where it has it.
  const hues = await page.evaluate(() => {
    const c = document.querySelector('canvas.ap-quality-grid');
    const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
    let red = 0, green = 0;
    for (let i = 0; i < d.length; i += 4) {
      if (d[i] > 230 && d[i + 1] > 200 && d[i + 1] < 225 && d[i + 2] < 225) red++;
      if (d[i + 1] > d[i] + 30 && d[i + 1] > d[i + 2] + 30) green++;
    }
    return { red, green, h: c.height };
  });
  assert.ok(hues.red > 200 && hues.green > 200, JSON.stringify(hues));
  // Hover names the cell.
  await page.locator('canvas.ap-quality-grid').scrollIntoViewIfNeeded();
  const box = await page.locator('canvas.ap-quality-grid').boundingBox();
  await page.mouse.move(box.x + 160, box.y + 120 + 22 * 1 + 10);
  assert.match(await page.textContent('.ap-quality-tip'), /^checkout · .+: \d+\.\d% \(\d+ of 8 events\)$/);
  await page.screenshot({ path: path.join(OUT, 'quality.png'), fullPage: true });

  // A finding opens its query: payments' server spans without http.route.
  const i = want.findings.filter((f) => true).findIndex((f) => f.check === 'conventions.required' && f.attribute === 'http.route');
  await page.locator('.ap-quality-open').nth(i).click();
  await page.waitForFunction(() => document.querySelector('.apiary').dataset.spec?.includes('does-not-exist'));
  const spec = JSON.parse(await page.getAttribute('.apiary', 'data-spec'));
  assert.deepEqual(spec.filters, want.findings[i].query.filters);
  await page.waitForSelector('.apiary[data-state=ready]');
  const table = await rows(page, '.ap-results .ap-table');
  assert.ok(table.some((r) => r.includes('POST /pay') && r.includes('2')), JSON.stringify(table));

  // Focus on a service: only its findings; the link keeps the conventions and the focus.
  await page.click('.ap-quality-services tr[data-service="inventory"]');
  const focused = await page.$$eval('.ap-quality-msg', (m) => m.map((x) => x.textContent));
  assert.deepEqual(focused, want.findings.filter((f) => f.services.includes('inventory')).map((f) => f.message));
  const fresh = await newPage(env.context);
  await fresh.goto(page.url());
  await fresh.waitForSelector('.ap-quality[data-state=done]', { timeout: 90_000 });
  assert.match(await fresh.textContent('.ap-quality-label'), /Storefront conventions/);
  assert.deepEqual(await fresh.$$eval('.ap-quality-msg', (m) => m.map((x) => x.textContent)), focused);
  assert.deepEqual(fresh.errors, []);
  await fresh.close();
  assert.deepEqual(page.errors, []);
  await page.close();
});

test('the demo: deprecated names, BubbleUp candidates; names and values from the data stay text', async () => {
  // An attribute name and a value that are markup.
  const evil = '<img src=x onerror="window.__pwned=1">';
  const lines = fs.readFileSync(FIXTURE, 'utf8').replaceAll('"userId"', JSON.stringify(evil)).replaceAll('"u-7"', JSON.stringify(evil));
  fs.writeFileSync(path.join(DIST, 'quality-evil.jsonl'), lines);
  const page = await newPage(env.context);
  await page.goto(env.base + '?src=quality-evil.jsonl');
  await page.waitForSelector('.apiary[data-state=ready]', { timeout: 90_000 });
  await page.click('details.ap-quality > summary');
  await page.click('.ap-quality-check');
  await page.waitForSelector('.ap-quality[data-state=done]');
  const cols = await page.$$eval('.ap-quality-columns td:first-child', (t) => t.map((x) => x.textContent));
  assert.ok(cols.includes(evil), cols.join(' | '));
  assert.equal(await page.evaluate(() => window.__pwned), undefined);
  assert.equal(await page.locator('.ap-quality img').count(), 0);
  await page.close();

  const demo = await newPage(env.context);
  await demo.goto(env.base);
  await demo.waitForSelector('.apiary[data-state=ready]', { timeout: 90_000 });
  await demo.click('details.ap-quality > summary');
  await demo.click('.ap-quality-check');
  await demo.waitForSelector('.ap-quality[data-state=done]', { timeout: 60_000 });
  const want = cli(path.join('www', 'demo.arrow'));
  const messages = await demo.$$eval('.ap-quality-msg', (m) => m.map((x) => x.textContent));
  assert.deepEqual(messages, want.findings.map((f) => f.message));
  assert.ok(messages.some((m) => m.startsWith('http.method is deprecated')), messages.join('\n'));
  const good = await demo.$$eval('.ap-quality-columns tr.ap-quality-bubbleup td:first-child', (t) => t.map((x) => x.textContent));
  assert.deepEqual(good, want.columns.filter((c) => c.bubbleup).map((c) => c.name));
  assert.match(await demo.textContent('.ap-quality-status'), /checked 100,000 events in \d+ ms/);
  await demo.screenshot({ path: path.join(OUT, 'quality-demo.png'), fullPage: true });
  assert.deepEqual(demo.errors, []);
  await demo.close();
});
