// Boards: saved queries and markdown notes on a grid, each query panel its own chart, run
// together; kept in local storage, exported and imported as JSON, shared by a live link (which a
// person without the board sees as it is and may keep) and by a snapshot link that draws every
// panel with no data. Notes from someone else never run script.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { chromium } from 'playwright-core';
import { start, newPage, OUT, DIST, canvasStats, runQuery } from './browser.mjs';

let env;
before(async () => { env = await start(); });
after(async () => { await env?.close(); });

const FIRST = [0x4e, 0x79, 0xa7];
const evil = '<img src=x onerror="window.__pwned=1">';
const NOTE = [
  '## Runbook',
  '',
  `Check *deploys* first. ${evil}`,
  '',
  '- [dashboard](https://grafana.example/d/1)',
  '- [bad](javascript:window.__pwned=2)',
  '- ![pixel](https://tracker.example/p.gif)',
  '',
  '<script>window.__pwned=3</script>',
].join('\n');

async function ready(page, url = env.base) {
  await page.goto(url);
  await page.waitForSelector('.apiary[data-state=ready]', { timeout: 90_000 });
}

async function openBoards(page) {
  if (!(await page.locator('details.ap-boards').evaluate((d) => d.open))) await page.click('details.ap-boards > summary');
}

/** A new board named `name`, open. */
async function newBoard(page, name) {
  await page.click('.ap-board-new');
  await page.fill('.ap-board-name', name);
  await page.press('.ap-board-name', 'Enter');
  await page.waitForSelector(`.apiary[data-board="${name}"]`);
}

const panel = (i) => `.ap-board-panel[data-panel="${i}"]`;
const panelReady = (page, i) => page.waitForSelector(`${panel(i)} .ap-board-body[data-state=ready] canvas`, { timeout: 60_000 });
const panelLine = (page, i) => page.textContent(`${panel(i)} .ap-board-line`);

/** A new board `name`, open, whose first panel is the current query as COUNT by `breakdown`. */
async function boardWithCount(page, name, breakdown) {
  await openBoards(page);
  await newBoard(page, name);
  const spec = JSON.parse(await page.inputValue('.ap-spec'));
  await runQuery(page, { ...spec, calculations: [{ op: 'COUNT' }], breakdowns: [breakdown] });
  await page.click('.ap-board-add-query');
  await panelReady(page, 0);
}

/** The panels' results have all come back since `mark`. */
async function refreshed(page) {
  await page.waitForSelector('.apiary[data-board-state=ready]', { timeout: 60_000 });
}

async function noteIsInert(page) {
  assert.equal(await page.textContent(`.ap-board-note h2`), 'Runbook');
  const hrefs = await page.$$eval('.ap-board-note a', (a) => a.map((x) => x.getAttribute('href')));
  assert.deepEqual(hrefs, ['https://grafana.example/d/1', 'https://tracker.example/p.gif']);
  assert.equal(await page.evaluate(() => document.querySelectorAll('.ap-board-note img, .ap-board-note script, .ap-boards img').length), 0);
  const text = await page.textContent('.ap-board-note');
  assert.ok(text.includes(evil) && text.includes('<script>window.__pwned=3</script>'), text);
  assert.equal(await page.evaluate(() => window.__pwned), undefined);
}

test('a board of queries and a note: run together, kept, moved, opened, exported and imported', async () => {
  const page = await newPage(env.context);
  await ready(page);
  await openBoards(page);
  await newBoard(page, 'Checkout');

  const spec = JSON.parse(await page.inputValue('.ap-spec'));
  await runQuery(page, { ...spec, calculations: [{ op: 'P99', column: 'duration_ms' }], breakdowns: ['service.name'] });
  await page.click('.ap-board-add-query');
  await panelReady(page, 0);
  await runQuery(page, { ...spec, calculations: [{ op: 'HEATMAP', column: 'duration_ms' }] });
  await page.click('.ap-board-add-query');
  await panelReady(page, 1);
  assert.equal(await page.getAttribute(`${panel(1)} canvas`, 'data-chart'), 'heatmap');
  const lines = await canvasStats(page, `${panel(0)} canvas`, FIRST);
  assert.ok(lines.near > 100, `panel 0 draws its first series: ${lines.near} pixels`);
  assert.match(await page.textContent(`${panel(0)} .ap-board-title`), /^P99\(duration_ms\) by service\.name$/);

  await page.click('.ap-board-add-note');
  await page.fill(`${panel(2)} textarea`, NOTE);
  await page.click(`${panel(2)} [data-board-act=done]`);
  await page.waitForSelector(`${panel(2)} .ap-board-note h2`);
  await noteIsInert(page);

  // Layout: the note moves first, the chart widens to two columns.
  await page.click(`${panel(2)} [data-board-act=left]`);
  await page.click(`${panel(1)} [data-board-act=left]`);
  assert.ok(await page.$(`${panel(0)}.ap-board-note`), 'the note is first');
  await page.click(`${panel(1)} [data-board-act=widen]`);
  assert.equal(await page.getAttribute(panel(1), 'data-width'), '2');
  await panelReady(page, 1);
  await page.screenshot({ path: path.join(OUT, 'board.png'), fullPage: true });

  // Kept in local storage: a reload lists it; picking it runs every panel.
  const kept = await page.evaluate(() => JSON.parse(localStorage.getItem('apiary.boards.v1')));
  assert.equal(kept.length, 1);
  assert.deepEqual(kept[0].panels.map((p) => [p.type, p.width ?? 1]), [['note', 1], ['query', 2], ['query', 1]]);
  // The query's range reached the data's end: the panel keeps it as a relative range.
  assert.ok(kept[0].panels[1].query.time_range > 0 && kept[0].panels[1].query.start_time === undefined, JSON.stringify(kept[0].panels[1].query));
  await ready(page, env.base);
  await openBoards(page);
  const option = await page.$$eval('.ap-board-picker option', (o) => o.map((x) => x.textContent));
  assert.ok(option.includes('Checkout · 3 panels'), option.join(' | '));
  await page.selectOption('.ap-board-picker', { label: 'Checkout · 3 panels' });
  await refreshed(page);
  await panelReady(page, 1);
  await panelReady(page, 2);
  await noteIsInert(page);
  const boardLine = await panelLine(page, 1);
  const matched = boardLine.match(/([\d,]+) matching events/)[1];

  // Open: the panel's query in the main view, with the same answer.
  await page.click(`${panel(1)} [data-board-act=open]`);
  await page.waitForFunction((m) => document.querySelector('.ap-query').textContent.includes(`${m} matching events`), matched, { timeout: 30_000 });
  assert.match(await page.textContent('.ap-query'), /VISUALIZE P99\(duration_ms\) · GROUP BY service\.name/);

  // Refresh runs the panels again.
  await page.evaluate(() => document.querySelector('.apiary').removeAttribute('data-board-state'));
  await page.click('.ap-board-refresh');
  await refreshed(page);
  assert.match(await page.textContent('.ap-board-note-line'), /^Refreshed \d\d:\d\d:\d\d UTC$/);

  // Markers: drawn on the panels, listed (as text) in a panel's hover, a click opens the link.
  const s = (iso) => Date.parse(iso) / 1000;
  fs.writeFileSync(path.join(DIST, 'board-markers.json'), JSON.stringify([
    { start_time: s('2026-11-01T10:30:00Z'), type: 'deploy', message: `deploy 3.8.1 ${evil}`, url: 'https://ci.example/deploys/381' },
  ]));
  await page.fill('.ap-markers-url', 'board-markers.json');
  await page.click('.ap-markers-load');
  await page.waitForSelector('.apiary[data-markers="1"]');
  await panelReady(page, 1);
  const chart = page.locator(`${panel(1)} canvas`);
  await chart.scrollIntoViewIfNeeded();
  const [left, , right, , t0, t1] = (await chart.getAttribute('data-plot') ?? '').split(',').map(Number);
  const bb = await chart.boundingBox();
  const x = bb.x + left + (Date.parse('2026-11-01T10:30:00Z') - t0) / (t1 - t0) * (right - left);
  await page.mouse.move(x, bb.y + bb.height / 2);
  await page.waitForSelector(`${panel(1)} .ap-board-tip:not([hidden])`);
  assert.equal(await page.textContent(`${panel(1)} .ap-board-tip`), `deploy: deploy 3.8.1 ${evil} · click to open`);
  const popup = env.context.waitForEvent('page', { timeout: 10_000 });
  await page.mouse.click(x, bb.y + bb.height / 2);
  await (await popup).close();
  assert.equal(await page.getAttribute('.apiary', 'data-opened'), 'https://ci.example/deploys/381');
  await page.mouse.move(bb.x + left + 3, bb.y + bb.height / 2);
  await page.waitForSelector(`${panel(1)} .ap-board-tip[hidden]`, { state: 'attached' });
  assert.equal(await page.evaluate(() => window.__pwned), undefined);
  await page.click('.ap-markers-clear');

  // Export, delete, import: the same board back.
  const [d] = await Promise.all([page.waitForEvent('download'), page.click('.ap-board-export')]);
  const file = path.join(OUT, 'board.json');
  await d.saveAs(file);
  const exported = JSON.parse(fs.readFileSync(file, 'utf8'));
  assert.equal(exported[0].name, 'Checkout');
  await page.click('.ap-board-delete');
  await page.waitForSelector('.apiary[data-board=""]');
  assert.equal(await page.evaluate(() => JSON.parse(localStorage.getItem('apiary.boards.v1')).length), 0);
  await page.setInputFiles('.ap-board-import input', [file]);
  await page.waitForSelector('.apiary[data-board="Checkout"]');
  await refreshed(page);
  assert.equal(await page.$$eval('.ap-board-panel', (p) => p.length), 3);
  // A broken file is named and changes nothing.
  const bad = path.join(OUT, 'board-bad.json');
  fs.writeFileSync(bad, JSON.stringify({ name: 'X', panels: [{ type: 'query', title: 'T', query: { calculations: [{ op: 'P99' }] } }] }));
  await page.setInputFiles('.ap-board-import input', [bad]);
  await page.waitForSelector('.ap-board-error-line:not([hidden])');
  assert.match(await page.textContent('.ap-board-error-line'), /panel 1 \(T\): invalid query: calculations\[0\]\.column/);
  assert.equal(await page.evaluate(() => JSON.parse(localStorage.getItem('apiary.boards.v1')).length), 1);
  assert.deepEqual(page.errors, []);
  await page.close();
});

test('a board travels by live link and by snapshot link', async () => {
  const page = await newPage(env.context);
  await ready(page);
  await boardWithCount(page, 'Shared', 'region');
  await page.click('.ap-board-add-note');
  await page.fill(`${panel(1)} textarea`, NOTE);
  await page.click(`${panel(1)} [data-board-act=done]`);
  await refreshed(page);
  const line = await panelLine(page, 0);
  await page.evaluate(() => document.querySelector('.apiary').removeAttribute('data-permalink'));
  await page.click('.ap-board-copy-link');
  const link = await page.getAttribute('.apiary', 'data-permalink');
  await page.evaluate(() => document.querySelector('.apiary').removeAttribute('data-snapshot'));
  await page.click('.ap-board-copy-snapshot');
  await page.waitForSelector('.apiary[data-snapshot]');
  const snap = await page.getAttribute('.apiary', 'data-snapshot');
  assert.match(snap, /#s2\./);
  assert.match(await page.textContent('.ap-board-note-line'), /Board snapshot copied \([\d,]+ characters\)/);
  await page.close();

  // Someone else (a browser with no boards kept) opens the live link: the board runs on the same
  // data; it is not kept until they say so.
  const other = await chromium.launch({ executablePath: process.env.CHROMIUM || '/usr/bin/chromium', headless: true, args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking'] });
  const ctx = await other.newContext({ viewport: { width: 1280, height: 860 } });
  const fresh = await newPage(ctx);
  await ready(fresh, link);
  await fresh.waitForSelector('.apiary[data-board="Shared"]');
  await panelReady(fresh, 0);
  assert.equal(await panelLine(fresh, 0), line);
  await noteIsInert(fresh);
  assert.match(await fresh.$eval('.ap-board-picker', (s) => s.selectedOptions[0].textContent), /Shared \(from a link, not kept\)/);
  assert.equal(await fresh.evaluate(() => localStorage.getItem('apiary.boards.v1')), null);
  await fresh.click('.ap-board-keep');
  assert.equal(await fresh.evaluate(() => JSON.parse(localStorage.getItem('apiary.boards.v1'))[0].name), 'Shared');
  assert.deepEqual(fresh.errors, []);
  await fresh.close();

  // The snapshot link draws every panel with no data at all.
  const blind = await newPage(ctx);
  const gets = [];
  await blind.route(/\.(arrow|ndjson)(\?|$)/, (route) => {
    if (route.request().method() === 'GET') gets.push(route.request().url());
    return route.request().method() === 'GET' ? route.abort() : route.continue();
  });
  await blind.goto(snap);
  await blind.waitForSelector('.apiary[data-mode=snapshot][data-state=ready]', { timeout: 90_000 });
  await blind.waitForSelector('.apiary[data-board="Shared"]');
  await panelReady(blind, 0);
  assert.equal(await panelLine(blind, 0), line);
  const drawn = await canvasStats(blind, `${panel(0)} canvas`, FIRST);
  assert.ok(drawn.near > 50, `the snapshot's panel is drawn: ${drawn.near} pixels`);
  await noteIsInert(blind);
  await blind.click('.ap-board-refresh');
  assert.match(await blind.textContent('.ap-board-note-line'), /This is a snapshot/);
  assert.deepEqual(gets, []);
  await blind.screenshot({ path: path.join(OUT, 'board-snapshot.png'), fullPage: true });
  assert.deepEqual(blind.errors.filter((e) => !/ERR_FAILED|Failed to load resource/.test(e)), []);
  await other.close();
});

test('the weighting toggle runs the board\'s panels again, each saying whether it is weighted', async () => {
  const page = await newPage(env.context);
  await ready(page);
  await boardWithCount(page, 'Weighting', 'service.name');
  await refreshed(page);
  assert.match(await panelLine(page, 0), / · weighted by sample_rate$/);
  // The chart's value axis (data-plot: left, top, right, bottom, t0, t1, y0, y1).
  const top = async () => Number((await page.getAttribute(`${panel(0)} canvas`, 'data-plot')).split(',')[7]);
  const weighted = await top();
  await page.evaluate(() => document.querySelector('.apiary').removeAttribute('data-board-state'));
  await page.uncheck('.ap-weighting input');
  await refreshed(page);
  await panelReady(page, 0);
  assert.doesNotMatch(await panelLine(page, 0), /weighted/);
  const plain = await top();
  assert.ok(plain > 0 && plain < weighted * 0.9, `the panel's COUNT axis reaches ${weighted} weighted and ${plain} not`);
  assert.deepEqual(page.errors, []);
  await page.close();
});
