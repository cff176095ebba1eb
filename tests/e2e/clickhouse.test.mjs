// The page against a real ClickHouse engine (chdb behind ClickHouse's HTTP interface,
// tests/clickhouse/server.py) holding the demo spans in the OpenTelemetry collector's layout:
// connect (a wrong key and an unknown table get ClickHouse's own words), run a query pushed down
// (the answer is the CLI's push-down answer), draw it, answers kept for back/forward, a link that
// names the store but never the key, and the matching events brought into the tab.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import path from 'node:path';
import readline from 'node:readline';
import zlib from 'node:zlib';
import { start, newPage, canvasStats, runBuilder, box, OUT } from './browser.mjs';

const KEY = 's3cret-key-7';
let env, server, url;

before(async () => {
  env = await start();
  server = spawn(path.join('.tools', 'venv', 'bin', 'python'), [path.join('tests', 'clickhouse', 'server.py'), '--data', path.join('www', 'demo.arrow'), '--port', '0', '--user', 'apiary', '--key', KEY], { stdio: ['ignore', 'pipe', 'inherit'] });
  const line = await new Promise((resolve, reject) => {
    readline.createInterface({ input: server.stdout }).once('line', resolve);
    server.once('exit', (c) => reject(new Error(`the ClickHouse test server exited (${c})`)));
  });
  url = line.split(' ').pop();
});
after(async () => {
  server?.kill();
  await env?.close();
});

const spec = async (page) => JSON.parse(await page.getAttribute('.apiary', 'data-spec'));
const cli = (s, extra = []) => JSON.parse(execFileSync(path.join('target', 'debug', 'apiary'), ['query', '--backend', url, '--table', 'otel_traces', '--spec', JSON.stringify(s), ...extra], { encoding: 'utf8', env: { ...process.env, APIARY_CLICKHOUSE_USER: 'apiary', APIARY_CLICKHOUSE_KEY: KEY } }));

/** A page connected to the store's otel_traces, with the POSTs it sends there recorded. */
async function connectedPage() {
  const page = await newPage(env.context);
  const posts = [];
  page.on('request', (r) => { if (r.url().startsWith(url) && r.method() === 'POST') posts.push(r.postData() || ''); });
  await page.goto(env.base);
  await page.waitForSelector('.apiary[data-state=ready]', { timeout: 90_000 });
  await connect(page, 'otel_traces', KEY);
  await page.waitForSelector('.apiary[data-store=connected][data-state=ready]', { timeout: 60_000 });
  return { page, posts };
}

async function connect(page, table, key) {
  if (!(await page.locator('details.ap-ch').evaluate((d) => d.open))) await page.click('details.ap-ch > summary');
  await page.fill('.ap-ch-url', url);
  await page.fill('.ap-ch-table', table);
  await page.fill('.ap-ch-user', 'apiary');
  await page.fill('.ap-ch-key', key);
  await page.click('.ap-ch-connect');
}

async function tableRows(page) {
  return page.$$eval('.ap-table tbody tr.ap-row', (rows) => rows.map((r) => [...r.querySelectorAll('td')].slice(1).map((td) => td.dataset.value ?? td.textContent)));
}

test('a ClickHouse table: connect, push a query down, draw it, link it without the key, bring its events into the tab', async () => {
  const page = await newPage(env.context);
  const posts = [];
  page.on('request', (r) => { if (r.url().startsWith(url) && r.method() === 'POST') posts.push(r.url()); });
  await page.goto(env.base);
  await page.waitForSelector('.apiary[data-state=ready]', { timeout: 90_000 });

  // A wrong key, then a table that is not there: ClickHouse's own words, and nothing connected.
  await connect(page, 'otel_traces', 'wrong');
  await page.waitForSelector('.ap-ch-error:not([hidden])');
  assert.match(await page.textContent('.ap-ch-error'), /AUTHENTICATION_FAILED/);
  await connect(page, 'nope', KEY);
  await page.waitForFunction(() => /nope/.test(document.querySelector('.ap-ch-error').textContent));
  assert.match(await page.textContent('.ap-ch-error'), /DB::Exception/);
  assert.equal(await page.getAttribute('.apiary', 'data-store'), null);

  await connect(page, 'otel_traces', KEY);
  await page.waitForSelector('.apiary[data-store=connected][data-state=ready]', { timeout: 60_000 });
  assert.match(await page.textContent('.ap-ch-what'), /default\.otel_traces .* collector layout/);
  // Completions come from the table's columns, map keys included.
  await page.click(box('GROUP BY'));
  await page.keyboard.type('http.ro');
  await page.waitForSelector('.ap-suggest:not([hidden])');
  assert.ok((await page.locator('.ap-suggest-label').allTextContents()).includes('http.route'));
  await page.fill(box('GROUP BY'), '');
  await page.keyboard.press('Escape');

  // While ClickHouse works, the page says which request and what it has read; after, the cost
  // goes next to the store's name (rows read from ClickHouse's X-ClickHouse-Summary).
  await page.evaluate(() => {
    window.__running = [];
    new MutationObserver(() => window.__running.push(document.querySelector('.ap-running').textContent)).observe(document.querySelector('.ap-running'), { childList: true, characterData: true, subtree: true });
  });
  const got = await runBuilder(page, { VISUALIZE: 'COUNT, P99(duration_ms)', WHERE: 'error = true', 'GROUP BY': 'service.name' }, (s) => s.breakdowns?.[0] === 'service.name' && s.filters?.length === 1);
  const want = cli(got);
  const shown = await page.evaluate(() => window.__running);
  assert.ok(shown.some((t) => /^ClickHouse: request \d+ · .*\d\.\d s$/.test(t)), `progress shown: ${JSON.stringify(shown)}`);
  const cost = (await page.textContent('.ap-summary')).match(/last query: (\d+) requests · read ([\d,]+) rows \(([^)]+)\) · [\d.]+ s · .+ back$/);
  assert.ok(cost, await page.textContent('.ap-summary'));
  const matched = Number((await page.textContent('.ap-query')).match(/([\d,]+) matching events/)[1].replaceAll(',', ''));
  assert.ok(Number(cost[1]) >= 3 && Number(cost[2].replaceAll(',', '')) >= matched, `${cost[0]} for ${matched} matching events`);
  const rows = await tableRows(page);
  assert.ok(rows.length >= 3, `services with errors: ${rows.length}`);
  assert.deepEqual(rows, want.results.map((r) => [r.data['service.name'], String(r.data.COUNT), String(r.data['P99(duration_ms)'])]));
  const chart = await canvasStats(page, 'canvas.ap-chart', [0, 0, 0]);
  assert.ok(chart.other > 500, `the chart is drawn: ${chart.other} pixels`);
  await page.screenshot({ path: path.join(OUT, 'clickhouse.png'), fullPage: true });

  // A clause the table cannot answer is an error under it; the last answer stays.
  await page.fill(box('WHERE'), 'nosuch = 1');
  await page.press(box('WHERE'), 'Enter');
  await page.waitForSelector('.ap-clause[data-clause="WHERE"] .ap-clause-error:not([hidden])');
  assert.match(await page.textContent('.ap-clause[data-clause="WHERE"] .ap-clause-error'), /nosuch/);
  assert.deepEqual(await tableRows(page), rows);

  // Another query, then back: the answer comes from the cache, not from ClickHouse.
  await runBuilder(page, { WHERE: '', 'GROUP BY': 'name' }, (s) => s.breakdowns?.[0] === 'name' && !s.filters?.length);
  // (Its trace list is asked for after the answer is drawn: let it arrive first.)
  await page.waitForSelector('.ap-trace-list:not([data-pending]) .ap-trace-table');
  await page.waitForTimeout(300);
  const before = posts.length;
  await page.goBack();
  await page.waitForFunction(() => JSON.parse(document.querySelector('.apiary').dataset.spec).breakdowns?.[0] === 'service.name');
  await page.waitForSelector('.apiary[data-state=ready]');
  assert.equal(posts.length, before, 'back/forward asks ClickHouse nothing');
  assert.deepEqual(await tableRows(page), rows);

  // The link names the store, never the key: opened afresh, it asks for the credentials.
  const link = page.url();
  assert.ok(!link.includes(KEY) && !decodeURIComponent(link).includes(KEY));
  const fresh = await newPage(env.context);
  await fresh.goto(link);
  await fresh.waitForSelector('.ap-ch-note:not([hidden])', { timeout: 60_000 });
  assert.equal(await fresh.inputValue('.ap-ch-url'), url);
  assert.equal(await fresh.inputValue('.ap-ch-table'), 'otel_traces');
  assert.equal(await fresh.inputValue('.ap-ch-key'), '');
  assert.equal(await fresh.getAttribute('.apiary', 'data-state'), 'waiting');
  await fresh.fill('.ap-ch-user', 'apiary');
  await fresh.fill('.ap-ch-key', KEY);
  await fresh.click('.ap-ch-connect');
  await fresh.waitForSelector('.apiary[data-store=connected][data-state=ready]', { timeout: 60_000 });
  await fresh.waitForFunction(() => JSON.parse(document.querySelector('.apiary').dataset.spec).breakdowns?.[0] === 'service.name');
  assert.deepEqual(await tableRows(fresh), rows);
  assert.deepEqual(fresh.errors, []);
  await fresh.close();

  // The matching events into the tab: a source of their own (beside what was loaded: the demo
  // goes first here); traces open from them.
  await page.click('.ap-source .ap-remove');
  await page.waitForFunction(() => document.querySelectorAll('.ap-source').length === 0);
  await page.waitForSelector('.apiary[data-state=ready]');
  await page.click('.ap-ch-connected [data-ch=bring]');
  await page.waitForFunction(() => !document.querySelector('.apiary').dataset.store && /ClickHouse default\.otel_traces/.test(document.querySelector('.ap-source-list').textContent), null, { timeout: 60_000 });
  await page.waitForSelector('.apiary[data-state=ready]');
  const brought = Number(await page.getAttribute('.apiary', 'data-rows'));
  // As many as the query matches in ClickHouse (COUNT unweighted).
  const { start_time, end_time, time_range } = got;
  const matching = cli({ filters: [{ column: 'error', op: '=', value: true }], start_time, end_time, time_range }, ['--sample-rate', 'none']);
  assert.equal(brought, matching.results[0].data.COUNT);
  // The query ran on them (not the last answer left standing): its line counts them.
  await page.waitForFunction((n) => document.querySelector('.ap-query').textContent.includes(`${n} matching events`), brought.toLocaleString('en-US'));
  assert.deepEqual(await tableRows(page), rows, 'the same answer from the events in the tab');
  await page.waitForSelector('.ap-trace-table tbody tr');
  await page.click('.ap-trace-table tbody tr');
  await page.waitForSelector('.ap-waterfall:not([hidden]) .ap-wf-row');
  // The browser logs the wrong key's 401 and the unknown table's 500 itself; nothing else.
  assert.deepEqual(page.errors.filter((e) => !/^Failed to load resource: the server responded with a status of (401|500)/.test(e)), []);
  assert.equal(page.errors.length, 2);
  await page.close();
});

test('traces on the store: the slowest are the ones the tab lists for the same rows; opening one fetches only its spans', async () => {
  const page = await newPage(env.context);
  const bodies = [];
  page.on('request', (r) => { if (r.url().startsWith(url) && r.method() === 'POST') bodies.push(r.postData() || ''); });
  await page.goto(env.base);
  await page.waitForSelector('.apiary[data-state=ready]', { timeout: 90_000 });
  await page.waitForSelector('.ap-trace-table tbody tr');
  const ids = async () => page.$$eval('.ap-trace-table tbody tr', (r) => r.map((x) => x.dataset.trace));
  const local = await ids();
  const localSpans = await (async () => {
    await page.click(`.ap-trace-table tbody tr[data-trace="${local[0]}"]`);
    await page.waitForFunction((t) => document.querySelector('.ap-waterfall').dataset.traceId === t, local[0]);
    return Number(await page.getAttribute('.ap-waterfall', 'data-visible'));
  })();
  // The same rows as a flat table in ClickHouse.
  await connect(page, 'demo', KEY);
  await page.waitForSelector('.apiary[data-store=connected][data-state=ready]', { timeout: 60_000 });
  await page.waitForFunction((first) => {
    const r = document.querySelector('.ap-trace-table tbody tr');
    return r && !document.querySelector('.ap-trace-list').hasAttribute('data-pending') && r.dataset.trace === first;
  }, local[0], { timeout: 60_000 });
  assert.deepEqual(await ids(), local);
  const before = bodies.length;
  await page.click(`.ap-trace-table tbody tr[data-trace="${local[1]}"]`);
  await page.waitForFunction((t) => document.querySelector('.ap-waterfall').dataset.traceId === t, local[1]);
  assert.ok(Number(await page.getAttribute('.ap-waterfall', 'data-visible')) > 0);
  // One request for it, naming only that trace.
  const asked = bodies.slice(before);
  assert.equal(asked.length, 1, asked.join('\n'));
  assert.match(asked[0], / IN \(\{p\d+_s:String\}\)/);
  // And the first again: as many spans as the tab assembled.
  await page.click(`.ap-trace-table tbody tr[data-trace="${local[0]}"]`);
  await page.waitForFunction((t) => document.querySelector('.ap-waterfall').dataset.traceId === t, local[0]);
  assert.equal(Number(await page.getAttribute('.ap-waterfall', 'data-visible')), localSpans);
  await page.click('.ap-wf-row:first-child');
  await page.waitForSelector('.ap-span-details:not([hidden]) .ap-attrs');
  assert.match(await page.textContent('.ap-span-details'), new RegExp(local[0]));
  await page.screenshot({ path: path.join(OUT, 'clickhouse-trace.png'), fullPage: true });

  // BubbleUp on the store: brush the last tenth of the line chart, "BubbleUp & traces"; the
  // columns are ranked as the engine ranks them on the same rows in the tab.
  const [left, top, right, bottom] = (await page.getAttribute('canvas.ap-chart', 'data-plot')).split(',').map(Number);
  const c = await page.locator('canvas.ap-chart').boundingBox();
  await page.mouse.move(c.x + left + (right - left) * 0.9, c.y + (top + bottom) / 2);
  await page.mouse.down();
  await page.mouse.move(c.x + right - 1, c.y + (top + bottom) / 2, { steps: 5 });
  await page.mouse.up();
  await page.click('.ap-brush-menu:not([hidden]) [data-brush=select]');
  await page.waitForSelector('.ap-bubbleup:not([hidden]) .ap-bu-col', { timeout: 60_000 });
  const cols = await page.$$eval('.ap-bu-col', (x) => x.map((e) => e.dataset.column));
  assert.ok(cols.slice(0, 3).includes('app.version'), cols.join(', '));
  const state = JSON.parse(zlib.inflateRawSync(Buffer.from(new URL(page.url()).hash.slice(4), 'base64url')));
  const inTab = JSON.parse(execFileSync(path.join('target', 'debug', 'apiary'), ['bubbleup', path.join('www', 'demo.arrow'), '--spec', JSON.stringify(state.query), '--selection', JSON.stringify(state.view.selection)], { encoding: 'utf8' }));
  // (The page shows dimensions, then measures, each ranked.)
  for (const kind of ['dimension', 'measure']) {
    const shown = await page.$$eval(`.ap-bu-grid[data-kind=${kind}s] .ap-bu-col`, (x) => x.map((e) => e.dataset.column));
    assert.deepEqual(shown, inTab.columns.filter((x) => x.kind === kind).map((x) => x.column), kind);
  }
  await page.waitForFunction(() => /in the selection/.test(document.querySelector('.ap-traces').textContent));
  assert.deepEqual(page.errors, []);
  await page.close();
});

test('an error ClickHouse sends after a 200 (in the body, as when it had started streaming) is shown in its words', async () => {
  const odd = spawn(path.join('.tools', 'venv', 'bin', 'python'), [path.join('tests', 'clickhouse', 'server.py'), '--data', path.join('www', 'demo.arrow'), '--port', '0', '--user', 'apiary', '--key', KEY, '--flat-only', '--errors-in-body'], { stdio: ['ignore', 'pipe', 'inherit'] });
  try {
    const line = await new Promise((resolve, reject) => {
      readline.createInterface({ input: odd.stdout }).once('line', resolve);
      odd.once('exit', (c) => reject(new Error(`the ClickHouse test server exited (${c})`)));
    });
    const oddUrl = line.split(' ').pop();
    const page = await newPage(env.context);
    await page.goto(env.base);
    await page.waitForSelector('.apiary[data-state=ready]', { timeout: 90_000 });
    await page.click('details.ap-ch > summary');
    await page.fill('.ap-ch-url', oddUrl);
    await page.fill('.ap-ch-table', 'otel_traces');
    await page.fill('.ap-ch-user', 'apiary');
    await page.fill('.ap-ch-key', KEY);
    await page.click('.ap-ch-connect');
    // Only the flat table is there: DESCRIBE fails, with HTTP 200 and the exception as the body.
    await page.waitForSelector('.ap-ch-error:not([hidden])', { timeout: 60_000 });
    assert.match(await page.textContent('.ap-ch-error'), /Code: 60\. DB::Exception: .*otel_traces/);
    assert.equal(await page.getAttribute('.apiary', 'data-store'), null);
    // The demo in the tab is still there, answering.
    assert.equal(await page.getAttribute('.apiary', 'data-rows'), '100000');
    assert.deepEqual(page.errors, []);
    await page.close();
  } finally {
    odd.kill();
  }
});

test('the quality report on the store: counted by ClickHouse, equal to the CLI\'s push-down report; a finding\'s query runs there', async () => {
  const { page, posts } = await connectedPage();
  await page.click('details.ap-quality > summary');
  const before = posts.length;
  await page.click('.ap-quality-check');
  await page.waitForSelector('.ap-quality[data-state=done]', { timeout: 60_000 });
  const want = JSON.parse(execFileSync(path.join('target', 'debug', 'apiary'), ['quality', '--backend', url, '--table', 'otel_traces', '--format', 'json'],
    { encoding: 'utf8', env: { ...process.env, APIARY_CLICKHOUSE_USER: 'apiary', APIARY_CLICKHOUSE_KEY: KEY } }));
  // Counted there: a few requests, the coverage among them.
  const asked = posts.slice(before);
  assert.ok(asked.length >= 2 && asked.length <= 8, `${asked.length} requests`);
  assert.ok(asked.some((p) => /countIf\(isNotNull/.test(p)), asked.join('\n'));
  const messages = await page.$$eval('.ap-quality-msg', (m) => m.map((x) => x.textContent));
  assert.deepEqual(messages, want.findings.map((f) => f.message));
  assert.ok(messages.some((m) => m.startsWith('http.method is deprecated')), messages.join('\n'));
  const services = await page.$$eval('.ap-quality-services tr[data-service]', (trs) => trs.map((tr) => [tr.children[0].textContent, tr.children[1].textContent]));
  assert.deepEqual(services.slice(1), want.services.slice(1).map((s) => [s.name, s.events.toLocaleString('en-US')]));
  assert.match(await page.textContent('.ap-quality-health'), /bring the events into the tab/);
  // A finding's query is pushed down like any other.
  await page.locator('.ap-quality-open').first().click();
  await page.waitForSelector('.apiary[data-store=connected][data-state=ready]', { timeout: 60_000 });
  assert.deepEqual((await spec(page)).filters, want.findings[0].query.filters);
  assert.ok((await tableRows(page)).length > 0);
  assert.deepEqual(page.errors, []);
  await page.close();
});

test('markers from a table of the store: drawn by type, kept in the link by table name, fetched again once connected', async () => {
  const { page } = await connectedPage();
  // A table that is not there: ClickHouse's words, nothing drawn.
  await page.fill('.ap-markers-url', 'no_such_markers');
  await page.click('.ap-markers-load');
  await page.waitForSelector('.ap-markers-error:not([hidden])');
  assert.match(await page.textContent('.ap-markers-error'), /ClickHouse: .*UNKNOWN_TABLE|doesn't exist/);
  await page.fill('.ap-markers-url', 'deploy_markers');
  await page.click('.ap-markers-load');
  await page.waitForSelector('.apiary[data-markers="3"]', { timeout: 30_000 });
  assert.deepEqual(await page.$$eval('.ap-marker-kind', (k) => k.map((x) => x.textContent)), ['flag 1', 'deploy 1', 'incident 1']);
  const deploy = await canvasStats(page, 'canvas.ap-chart', [52, 120, 246]);
  assert.ok(deploy.near > 60, `the deploy's line: ${deploy.near} pixels`);
  assert.equal(await page.evaluate(() => document.querySelectorAll('.apiary img').length), 0);
  assert.equal(await page.evaluate(() => window.__pwned), undefined);
  // The link names the table (never the rows); whoever opens it gets them once connected.
  const link = page.url();
  const fresh = await newPage(env.context);
  await fresh.goto(link);
  await fresh.waitForSelector('.ap-markers-error:not([hidden])', { timeout: 60_000 });
  assert.match(await fresh.textContent('.ap-markers-error'), /table deploy_markers of a ClickHouse store: connect it/);
  await fresh.fill('.ap-ch-key', KEY);
  await fresh.fill('.ap-ch-user', 'apiary');
  await fresh.click('.ap-ch-connect');
  await fresh.waitForSelector('.apiary[data-markers="3"]', { timeout: 60_000 });
  assert.deepEqual(fresh.errors.filter((e) => !/401|Failed to load resource/.test(e)), []);
  await fresh.close();
  // The unknown table's 500 is the only failed request.
  assert.deepEqual(page.errors.filter((e) => !/status of 500/.test(e)), []);
  await page.close();
});

test('a board on the store: its panels are pushed down and answer as the main view does', async () => {
  const { page, posts } = await connectedPage();
  const main = (await page.textContent('.ap-query')).match(/([\d,]+) matching events/)[1];
  await page.click('details.ap-boards > summary');
  await page.click('.ap-board-new');
  const before = posts.length;
  await page.click('.ap-board-add-query');
  await page.waitForSelector('.ap-board-panel[data-panel="0"] .ap-board-body[data-state=ready] canvas', { timeout: 60_000 });
  assert.ok(posts.length > before, 'the panel was asked of ClickHouse');
  const line = await page.textContent('.ap-board-panel[data-panel="0"] .ap-board-line');
  assert.match(line, new RegExp(`${main} matching events`));
  const drawn = await canvasStats(page, '.ap-board-panel[data-panel="0"] canvas', [0x4e, 0x79, 0xa7]);
  assert.ok(drawn.near > 50, `${drawn.near}`);
  assert.deepEqual(page.errors, []);
  await page.close();
});
