// Snapshot links: "Copy snapshot" puts the result itself into the link; a fresh page opened on it
// shows the same table and charts without fetching any data, says it is a snapshot and of when,
// offers the live view when the data answers, and opens it. Larger results are trimmed with a
// note; untrusted values in a snapshot stay text.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { start, newPage, OUT, fillSpec, canvasStats, tableValues, runQuery } from './browser.mjs';

let env;
before(async () => { env = await start(); });
after(async () => { await env?.close(); });


async function copySnapshot(page) {
  await page.evaluate(() => document.querySelector('.apiary').removeAttribute('data-snapshot'));
  await page.click('.ap-copy-snapshot');
  await page.waitForSelector('.apiary[data-snapshot]');
  return page.getAttribute('.apiary', 'data-snapshot');
}

/** A page whose data requests (GETs of .arrow/.ndjson) are counted, and refused while `block.get`. */
async function watchedPage(block) {
  const page = await newPage(env.context);
  page.dataGets = [];
  await page.route(/\.(arrow|ndjson)(\?|$)/, (route) => {
    const r = route.request();
    if (r.method() === 'GET') page.dataGets.push(r.url());
    if ((r.method() === 'GET' && block.get) || block.all) return route.abort();
    return route.continue();
  });
  return page;
}

test('a snapshot shows the same result with no data, and opens the live view', async () => {
  const page = await newPage(env.context);
  await page.goto(env.base);
  await page.waitForSelector('.apiary[data-state=ready]', { timeout: 90_000 });
  const spec = JSON.parse(await page.inputValue('.ap-spec'));
  spec.calculations = [{ op: 'COUNT' }, { op: 'P99', column: 'duration_ms' }];
  spec.breakdowns = ['service.name'];
  await runQuery(page, spec);
  // A view choice: the table sorted by the P99 column, ascending after two clicks.
  await page.click('.ap-table thead [data-sort="1"]');
  await page.click('.ap-table thead [data-sort="1"]');
  const live = await tableValues(page);
  assert.ok(live.length >= 5, `${live.length} groups`);
  const queryLine = await page.textContent('.ap-query');
  const link = await copySnapshot(page);
  assert.match(link, /#s1\./);
  assert.ok(link.length < 8000, `a typical snapshot link is ${link.length} characters`);
  assert.match(await page.textContent('.ap-link-note'), /Snapshot copied \([\d,]+ characters\)$/);
  const liveHash = await page.evaluate(() => location.hash);
  await page.close();

  const block = { get: true };
  const fresh = await watchedPage(block);
  await fresh.goto(link);
  await fresh.waitForSelector('.apiary[data-mode=snapshot][data-state=ready]', { timeout: 90_000 });
  assert.deepEqual(await tableValues(fresh), live, 'the same groups, values and order');
  assert.equal(await fresh.textContent('.ap-query'), queryLine);
  const chart = await canvasStats(fresh, '.ap-chart', [0, 0, 0]);
  assert.ok(chart.other > 2000, `the chart is drawn (${chart.other} pixels)`);
  assert.equal(await fresh.getAttribute('.ap-chart', 'data-chart'), 'lines');
  assert.ok(await fresh.isVisible('.ap-snapshot'));
  const title = await fresh.textContent('.ap-snapshot-title');
  const today = new Date().toISOString().slice(0, 10);
  assert.match(title, new RegExp(`^Snapshot taken ${today} \\d\\d:\\d\\d UTC`));
  await fresh.waitForSelector('.ap-snapshot[data-reach=reachable]');
  assert.ok(await fresh.isVisible('.ap-open-live'));
  assert.match(await fresh.textContent('.ap-summary'), /^Snapshot · /);
  assert.deepEqual(fresh.dataGets, [], 'no data was fetched for the snapshot');
  await fresh.screenshot({ path: path.join(OUT, 'snapshot.png'), fullPage: true });

  // Queries need the data: a clear word, the snapshot stays.
  await fillSpec(fresh, JSON.stringify({ calculations: [{ op: 'COUNT' }] }));
  await fresh.click('.ap-run');
  await fresh.waitForSelector('.ap-spec-error:not([hidden])');
  assert.match(await fresh.textContent('.ap-spec-error'), /snapshot.*Open the live view/);
  assert.deepEqual(await tableValues(fresh), live);

  // The live view: its data loads, the query runs on it, the address holds the live link.
  block.get = false;
  await fresh.click('.ap-open-live');
  await fresh.waitForFunction(() => !document.querySelector('.apiary').hasAttribute('data-mode') && document.querySelector('.apiary').dataset.state === 'ready' && Number(document.querySelector('.apiary').dataset.rows) > 0, null, { timeout: 90_000 });
  assert.ok(fresh.dataGets.length >= 1);
  assert.ok(await fresh.isHidden('.ap-snapshot'));
  assert.deepEqual(await tableValues(fresh), live, 'the live query gives what the snapshot showed');
  assert.equal(await fresh.evaluate(() => location.hash), liveHash);
  assert.deepEqual(fresh.errors.filter((e) => !/ERR_FAILED|Failed to load resource/.test(e)), []);
  await fresh.close();
});

test('a result too large for a link is trimmed with a note; unreachable data is said', async () => {
  const page = await newPage(env.context);
  await page.goto(env.base);
  await page.waitForSelector('.apiary[data-state=ready]', { timeout: 90_000 });
  const spec = JSON.parse(await page.inputValue('.ap-spec'));
  spec.calculations = [{ op: 'COUNT' }, { op: 'AVG', column: 'duration_ms' }];
  spec.breakdowns = ['user.id'];
  spec.limit = 1000;
  await runQuery(page, spec);
  const all = await page.evaluate(() => document.querySelectorAll('.ap-results .ap-table tbody tr').length);
  const link = await copySnapshot(page);
  assert.ok(link.length <= 8000, `${link.length} characters`);
  const note = await page.textContent('.ap-link-note');
  const m = note.match(/Trimmed to fit a link: the first (\d+) of (\d+) groups/);
  assert.ok(m, note);
  const kept = Number(m[1]);
  assert.ok(kept >= 1 && kept < Number(m[2]));
  await page.close();

  const fresh = await watchedPage({ all: true });
  await fresh.goto(link);
  await fresh.waitForSelector('.apiary[data-mode=snapshot][data-state=ready]', { timeout: 90_000 });
  assert.match(await fresh.textContent('.ap-snapshot-note'), new RegExp(`the first ${kept} of ${m[2]} groups`));
  // The table virtualizes past 200 rows: count the groups it says it has.
  const rows = await fresh.evaluate(() => document.querySelectorAll('.ap-results .ap-table tbody tr[data-row]').length);
  assert.ok(rows >= Math.min(kept, 50) && rows <= kept, `${rows} rows for ${kept} groups (of ${all} live)`);
  await fresh.waitForSelector('.ap-snapshot[data-reach=unreachable]');
  assert.match(await fresh.textContent('.ap-snapshot-reach'), /cannot be reached from here/);
  assert.ok(await fresh.isHidden('.ap-open-live'));
  assert.deepEqual(fresh.dataGets, []);
  await fresh.close();
});

test('untrusted values in a snapshot stay text; a damaged snapshot is a clear error', async () => {
  const evil = '<img src=x onerror="window.__pwned=1">';
  const lines = [0, 1, 2].map((i) => JSON.stringify({ timestamp: 1793534400000 + i * 1000, [evil]: `${evil}${i}`, n: i }));
  const file = path.join(OUT, 'evil-snapshot.ndjson');
  fs.writeFileSync(file, lines.join('\n'));
  const page = await newPage(env.context);
  await page.goto(env.base);
  await page.waitForSelector('.apiary[data-state=ready]', { timeout: 90_000 });
  await page.setInputFiles('.ap-file', [file]);
  await page.waitForFunction(() => document.querySelectorAll('.ap-source').length === 2);
  await runQuery(page, { breakdowns: [evil], filters: [{ column: evil, op: 'exists' }], time_range: 86400 });
  const link = await copySnapshot(page);
  await page.close();

  const fresh = await watchedPage({ get: true });
  await fresh.goto(link);
  await fresh.waitForSelector('.apiary[data-mode=snapshot][data-state=ready]', { timeout: 90_000 });
  const heads = await fresh.$$eval('.ap-results .ap-table thead th', (t) => t.map((x) => x.textContent));
  assert.ok(heads.includes(evil), heads.join(' | '));
  const cells = await fresh.$$eval('.ap-results .ap-table tbody td', (t) => t.map((x) => x.textContent));
  for (const i of [0, 1, 2]) assert.ok(cells.includes(`${evil}${i}`), cells.join(' | '));
  assert.equal(await fresh.evaluate(() => document.querySelectorAll('.apiary img, .apiary script').length), 0);
  assert.equal(await fresh.evaluate(() => window.__pwned), undefined);
  assert.deepEqual(fresh.dataGets, []);
  await fresh.close();

  const broken = await newPage(env.context);
  await broken.goto(`${env.base}#s1.AAAAbroken`);
  await broken.waitForSelector('.ap-error:not([hidden])', { timeout: 90_000 });
  assert.match(await broken.textContent('.ap-error'), /This link could not be read: the snapshot link is damaged/);
  assert.deepEqual(broken.errors, []);
  await broken.close();
});
