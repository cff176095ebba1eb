// Markers: deploys, flag changes and incidents from a JSON file or URL drawn as dashed lines
// (ranges shaded) on every time chart in their type's colour; the hover shows the message as
// text, a click opens the marker's link; links carry the markers; a bad file is named and leaves
// the markers on view as they were.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { start, newPage, OUT, DIST, canvasStats, plot, fillSpec } from './browser.mjs';

let env;
before(async () => { env = await start(); });
after(async () => { await env?.close(); });

const DEPLOY = [52, 120, 246];
const INCIDENT = [225, 60, 60];
const evil = '<img src=x onerror="window.__pwned=1">';
// The demo's six hours end at 2026-11-01T12:00Z; its incident is the last 90 minutes.
const s = (iso) => Date.parse(iso) / 1000;
const MARKERS = [
  { start_time: s('2026-11-01T10:30:00Z'), type: 'deploy', message: 'deploy 3.8.1 to eu-west-1', url: 'https://ci.example/deploys/381' },
  { start_time: s('2026-11-01T10:45:00Z'), end_time: s('2026-11-01T11:30:00Z'), type: 'incident', message: `INC-7 checkout slow ${evil}`, url: 'https://status.example/incidents/7' },
  { start: '2026-11-01T08:00:00Z', type: 'flag', message: 'new_checkout on for 10%' },
];

async function ready(page, url = env.base) {
  await page.goto(url);
  await page.waitForSelector('.apiary[data-state=ready]', { timeout: 90_000 });
}

test('markers from a file are drawn, hovered and clicked, and travel in the link', async () => {
  const file = path.join(OUT, 'markers.json');
  fs.writeFileSync(file, JSON.stringify(MARKERS));
  const page = await newPage(env.context);
  await ready(page);
  const before = await canvasStats(page, 'canvas.ap-chart', DEPLOY);
  await page.setInputFiles('.ap-markers-file', [file]);
  await page.waitForSelector('.apiary[data-markers="3"]');
  const after = await canvasStats(page, 'canvas.ap-chart', DEPLOY);
  assert.ok(after.near > before.near + 60, `the deploy's dashed line: ${before.near} → ${after.near} pixels`);
  const red = await canvasStats(page, 'canvas.ap-chart', INCIDENT);
  assert.ok(red.near > 60, `the incident's line: ${red.near} pixels`);
  assert.deepEqual(await page.$$eval('.ap-marker-kind', (k) => k.map((x) => x.textContent)), ['flag 1', 'deploy 1', 'incident 1']);

  // Hover on the incident's range: its message as text, and that a click opens it.
  const p = await plot(page);
  const y = (p.y(p.y0) + p.y(p.y1)) / 2;
  await page.mouse.move(p.x(Date.parse('2026-11-01T11:10:00Z')), y);
  await page.waitForSelector('.ap-tooltip:not([hidden]) .ap-tip-marker');
  const tip = await page.textContent('.ap-tooltip .ap-tip-marker');
  assert.ok(tip.includes(`incident: INC-7 checkout slow ${evil}`), tip);
  assert.match(tip, /click to open/);
  assert.equal(await page.evaluate(() => document.querySelectorAll('.apiary img').length), 0);
  // A click on the deploy's line opens its link in a new tab.
  const popup = env.context.waitForEvent('page', { timeout: 10_000 });
  await page.mouse.click(p.x(Date.parse('2026-11-01T10:30:00Z')), y);
  const tab = await popup;
  assert.equal(await page.getAttribute('.apiary', 'data-opened'), 'https://ci.example/deploys/381');
  await tab.close();
  assert.equal(await page.evaluate(() => window.__pwned), undefined);
  await page.screenshot({ path: path.join(OUT, 'markers.png'), fullPage: true });

  // The link carries the file's markers: a fresh page draws them.
  const link = page.url();
  const fresh = await newPage(env.context);
  await ready(fresh, link);
  await fresh.waitForSelector('.apiary[data-markers="3"]', { timeout: 30_000 }).catch(() => {});
  await fresh.waitForFunction(() => document.querySelectorAll('.ap-marker-kind').length === 3);
  const again = await canvasStats(fresh, 'canvas.ap-chart', DEPLOY);
  assert.ok(again.near > before.near + 60, `drawn from the link: ${again.near}`);
  assert.deepEqual(fresh.errors, []);
  await fresh.close();

  // A bad file is named, and the markers on view stay.
  const bad = path.join(OUT, 'markers-bad.json');
  fs.writeFileSync(bad, JSON.stringify([{ start_time: 1, message: 'x' }, { start_time: 2, url: 'javascript:alert(1)' }]));
  await page.setInputFiles('.ap-markers-file', [bad]);
  await page.waitForSelector('.ap-markers-error:not([hidden])');
  assert.match(await page.textContent('.ap-markers-error'), /markers-bad\.json: marker 1 \(url\): only http and https/);
  assert.equal(await page.getAttribute('.apiary', 'data-markers'), '3');
  assert.deepEqual(page.errors, []);
  await page.close();
});

test('markers from a URL, kept in the link as that URL', async () => {
  fs.writeFileSync(path.join(DIST, 'markers-e2e.json'), MARKERS.map((m) => JSON.stringify(m)).join('\n'));
  const page = await newPage(env.context);
  await ready(page);
  await page.fill('.ap-markers-url', 'markers-e2e.json');
  await page.click('.ap-markers-load');
  await page.waitForSelector('.apiary[data-markers="3"]');
  await page.waitForFunction(() => location.hash.length > 4);
  const link = page.url();
  await page.close();

  const fresh = await newPage(env.context);
  const fetched = [];
  fresh.on('request', (r) => { if (r.url().endsWith('markers-e2e.json')) fetched.push(r.url()); });
  await ready(fresh, link);
  await fresh.waitForSelector('.apiary[data-markers="3"]', { timeout: 30_000 });
  assert.equal(fetched.length, 1, 'the link names the URL, fetched again');
  assert.equal(await fresh.inputValue('.ap-markers-url'), 'markers-e2e.json');
  const stats = await canvasStats(fresh, 'canvas.ap-chart', INCIDENT);
  assert.ok(stats.near > 60, `${stats.near}`);
  // A further calculation's chart gets them too.
  const spec = JSON.parse(await fresh.inputValue('.ap-spec'));
  spec.calculations = [{ op: 'COUNT' }, { op: 'P99', column: 'duration_ms' }];
  await fillSpec(fresh, JSON.stringify(spec));
  await fresh.click('.ap-run');
  await fresh.waitForSelector('canvas[data-calc="1"]');
  await fresh.waitForFunction(() => document.querySelector('.apiary').dataset.state === 'ready');
  const calc = await canvasStats(fresh, 'canvas[data-calc="1"]', DEPLOY);
  assert.ok(calc.near > 60, `markers on the further chart: ${calc.near}`);
  // Its hover lists the marker under the pointer, as the main chart's does.
  await fresh.locator('canvas[data-calc="1"]').scrollIntoViewIfNeeded();
  const q = await plot(fresh, 'canvas[data-calc="1"]');
  await fresh.mouse.move(q.x(Date.parse('2026-11-01T10:30:00Z')), (q.y(q.y0) + q.y(q.y1)) / 2);
  await fresh.waitForSelector('.ap-calc-chart .ap-tooltip:not([hidden]) .ap-tip-marker');
  assert.match(await fresh.textContent('.ap-calc-chart .ap-tip-marker'), /deploy: deploy 3\.8\.1 to eu-west-1/);
  // A heatmap's hover too.
  spec.calculations = [{ op: 'HEATMAP', column: 'duration_ms' }];
  await fillSpec(fresh, JSON.stringify(spec));
  await fresh.click('.ap-run');
  await fresh.waitForSelector('canvas.ap-chart[data-chart=heatmap]');
  await fresh.waitForFunction(() => document.querySelector('.apiary').dataset.state === 'ready');
  await fresh.locator('canvas.ap-chart').first().scrollIntoViewIfNeeded();
  const h = await plot(fresh);
  await fresh.mouse.move(h.x(Date.parse('2026-11-01T11:10:00Z')), h.y(h.log ? Math.sqrt(h.y0 * h.y1) : (h.y0 + h.y1) / 2));
  await fresh.waitForSelector('.ap-chart-wrap .ap-tooltip:not([hidden]) .ap-tip-marker');
  assert.match(await fresh.textContent('.ap-tooltip:not([hidden]) .ap-tip-marker'), /incident: INC-7 checkout slow/);
  // Clear takes them off the charts and out of the link.
  await fresh.click('.ap-markers-clear');
  await fresh.waitForSelector('.apiary[data-markers="0"]');
  const cleared = await canvasStats(fresh, 'canvas.ap-chart', INCIDENT);
  assert.ok(cleared.near < stats.near / 4, `${cleared.near}`);
  assert.deepEqual(fresh.errors, []);
  await fresh.close();
});

test('on a heatmap a click opens a marker at its line and selects the cell inside a range; further charts open markers', async () => {
  const file = path.join(OUT, 'markers-heat.json');
  fs.writeFileSync(file, JSON.stringify(MARKERS));
  const page = await newPage(env.context);
  await ready(page);
  await page.setInputFiles('.ap-markers-file', [file]);
  await page.waitForSelector('.apiary[data-markers="3"]');
  const spec = JSON.parse(await page.inputValue('.ap-spec'));
  spec.calculations = [{ op: 'HEATMAP', column: 'duration_ms' }, { op: 'COUNT' }];
  await fillSpec(page, JSON.stringify(spec));
  await page.click('.ap-run');
  await page.waitForSelector('canvas.ap-chart[data-chart=heatmap]');
  await page.waitForSelector('canvas[data-calc="1"]');
  await page.waitForFunction(() => document.querySelector('.apiary').dataset.state === 'ready');
  await page.locator('canvas.ap-chart').first().scrollIntoViewIfNeeded();
  const mid = (p) => p.y(p.log ? Math.sqrt(p.y0 * p.y1) : (p.y0 + p.y1) / 2);
  const h = await plot(page);
  const y = mid(h);
  const tip = '.ap-chart-wrap .ap-tooltip:not([hidden]) .ap-tip-marker';

  // Inside the incident's range: listed in the hover without a link to click, and a click selects
  // the cell under it (BubbleUp's selection), opening nothing.
  const inside = h.x(Date.parse('2026-11-01T11:10:00Z'));
  await page.mouse.move(inside, y);
  await page.waitForSelector(tip);
  const text = await page.textContent(tip);
  assert.match(text, /incident: INC-7/);
  assert.doesNotMatch(text, /click to open/, 'inside a range the click is the cell\'s');
  await page.mouse.click(inside, y);
  await page.waitForSelector('.ap-bubbleup:not([hidden]) .ap-bu-col', { timeout: 30_000 });
  assert.equal(await page.getAttribute('.apiary', 'data-opened'), null);
  await page.click('[data-clear-selection]');
  await page.waitForSelector('.ap-bubbleup', { state: 'hidden' });

  // At the deploy's line: the hover says a click opens it, and it does, with no cell selected.
  await page.locator('canvas.ap-chart').first().scrollIntoViewIfNeeded();
  const h2 = await plot(page);
  const line = h2.x(Date.parse('2026-11-01T10:30:00Z'));
  await page.mouse.move(line, mid(h2));
  await page.waitForFunction((sel) => /deploy: deploy 3\.8\.1/.test(document.querySelector(sel)?.textContent ?? ''), tip);
  assert.match(await page.textContent(tip), /click to open/);
  let popup = env.context.waitForEvent('page', { timeout: 10_000 });
  await page.mouse.click(line, mid(h2));
  let tab = await popup;
  assert.equal(await page.getAttribute('.apiary', 'data-opened'), 'https://ci.example/deploys/381');
  await tab.close();
  assert.equal(await page.isHidden('.ap-bubbleup'), true, 'the click on the line selected no cell');

  // The further COUNT chart (lines): a click inside the incident's range opens its link.
  await page.locator('canvas[data-calc="1"]').scrollIntoViewIfNeeded();
  const q = await plot(page, 'canvas[data-calc="1"]');
  const qx = q.x(Date.parse('2026-11-01T11:10:00Z'));
  const qy = (q.y(q.y0) + q.y(q.y1)) / 2;
  await page.mouse.move(qx, qy);
  await page.waitForSelector('.ap-calc-chart .ap-tooltip:not([hidden]) .ap-tip-marker');
  assert.match(await page.textContent('.ap-calc-chart .ap-tip-marker'), /click to open/);
  popup = env.context.waitForEvent('page', { timeout: 10_000 });
  await page.mouse.click(qx, qy);
  tab = await popup;
  assert.equal(await page.getAttribute('.apiary', 'data-opened'), 'https://status.example/incidents/7');
  await tab.close();
  await page.screenshot({ path: path.join(OUT, 'markers-heatmap.png'), fullPage: true });
  assert.deepEqual(page.errors, []);
  await page.close();
});
