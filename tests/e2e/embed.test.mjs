// Two apps on one host page: each keeps to its own element, data and query; only the first keeps
// its view in the page's address; one can be unmounted (its listeners go with it) while the
// other goes on working.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { start, newPage, hostPage, plot, DIST, OUT } from './browser.mjs';

let env;
before(async () => { env = await start(); });
after(async () => { await env?.close(); });

const app = (n) => `.host-${n} .apiary`;
const clause = (n, name) => `${app(n)} .ap-clause[data-clause="${name}"] input`;
const state = (page, n) => page.getAttribute(app(n), 'data-state');
const spec = async (page, n) => JSON.parse(await page.getAttribute(app(n), 'data-spec'));

async function until(page, what, check) {
  for (let i = 0; i < 600; i++) {
    if (await check()) return;
    await page.waitForTimeout(100);
  }
  throw new Error(`timed out waiting for ${what}`);
}

test('two apps on one page keep to their own elements, data, queries and address', async () => {
  // The second app loads the OpenTelemetry SDK's spans; the first, the demo.
  fs.copyFileSync(path.join('tests', 'fixtures', 'otlp_sdk.jsonl'), path.join(DIST, 'embed-otlp.jsonl'));
  const name = hostPage('embed-two.html', '<main data-apiary></main>',
    '<div class="host-1" data-apiary></div><div class="host-2" data-apiary data-src="embed-otlp.jsonl"></div>');
  const page = await newPage(env.context);
  await page.goto(env.base + name);
  await page.waitForSelector(`${app(1)}[data-state=ready]`, { timeout: 90_000 });
  await page.waitForSelector(`${app(2)}[data-state=ready]`, { timeout: 90_000 });
  assert.equal(await page.locator('.apiary').count(), 2);
  const rows1 = Number(await page.getAttribute(app(1), 'data-rows'));
  const rows2 = Number(await page.getAttribute(app(2), 'data-rows'));
  assert.equal(rows1, 100000);
  assert.ok(rows2 > 0 && rows2 < 100, `the SDK file's spans: ${rows2}`);
  assert.match(await page.textContent(`${app(2)} .ap-sources`), /embed-otlp\.jsonl/);
  assert.doesNotMatch(await page.textContent(`${app(1)} .ap-sources`), /embed-otlp/);

  // A query typed into the second app runs there only; the address stays the first app's.
  const before1 = await spec(page, 1);
  const hash = await page.evaluate(() => location.hash);
  await page.fill(clause(2, 'GROUP BY'), 'name');
  await page.press(clause(2, 'GROUP BY'), 'Enter');
  await until(page, 'the second app to group by name', async () => (await spec(page, 2)).breakdowns?.[0] === 'name' && await state(page, 2) === 'ready');
  assert.deepEqual(await spec(page, 1), before1);
  assert.equal(await page.evaluate(() => location.hash), hash);
  const groups2 = await page.locator(`${app(2)} .ap-table tbody tr.ap-row`).count();
  assert.ok(groups2 >= 2, `the SDK's span names: ${groups2}`);
  assert.equal(await page.locator(`${app(1)} .ap-table tbody tr.ap-row`).count(), 1);
  // Its Copy link is a link to its own view (the page's address holds the first app's).
  await page.click(`${app(2)} details.ap-json > summary`);
  await page.click(`${app(2)} .ap-copy`);
  const link2 = await page.getAttribute(app(2), 'data-permalink');
  assert.notEqual(link2.split('#')[1], hash.slice(1));
  await page.screenshot({ path: path.join(OUT, 'embed-two.png'), fullPage: true });

  // The first app's query changes the address; the second app's view stays as it was.
  await page.fill(clause(1, 'GROUP BY'), 'region');
  await page.press(clause(1, 'GROUP BY'), 'Enter');
  await until(page, 'the first app to group by region', async () => (await spec(page, 1)).breakdowns?.[0] === 'region' && await state(page, 1) === 'ready');
  await until(page, 'the address to follow the first app', async () => (await page.evaluate(() => location.hash)) !== hash);
  assert.deepEqual((await spec(page, 2)).breakdowns, ['name']);
  // The second app's link, opened on its own, shows its view.
  const fresh = await newPage(env.context);
  await fresh.goto(env.base + name.replace('embed-two', 'index') + '#' + link2.split('#')[1]);
  await fresh.waitForSelector('.apiary[data-state=ready]', { timeout: 90_000 });
  assert.deepEqual(JSON.parse(await fresh.getAttribute('.apiary', 'data-spec')).breakdowns, ['name']);
  await fresh.close();

  // Unmounting the second app empties its element; the first goes on answering.
  const gone = await page.evaluate(() => window.wasmBindings.unmount(document.querySelector('.host-2')));
  assert.equal(gone, true);
  assert.equal(await page.locator('.host-2 *').count(), 0);
  assert.equal(await page.evaluate(() => window.wasmBindings.unmount(document.querySelector('.host-2'))), false);
  await page.fill(clause(1, 'GROUP BY'), 'service.name');
  await page.press(clause(1, 'GROUP BY'), 'Enter');
  await until(page, 'the first app to group by service.name', async () => (await spec(page, 1)).breakdowns?.[0] === 'service.name' && await state(page, 1) === 'ready');
  assert.ok(await page.locator(`${app(1)} .ap-table tbody tr.ap-row`).count() >= 5);
  assert.deepEqual(page.errors, []);
  await page.close();
});

test('<apiary-view>: two elements with their own source and query, events, setQuery, attributes, removal', async () => {
  fs.copyFileSync(path.join('tests', 'fixtures', 'otlp_sdk.jsonl'), path.join(DIST, 'element-otlp.jsonl'));
  const q = JSON.stringify({ calculations: [{ op: 'COUNT' }], breakdowns: ['service.name'], time_range: 999999999 });
  const name = hostPage('element-two.html', '<main data-apiary></main>',
    `<apiary-view id="a"></apiary-view><apiary-view id="b" src="element-otlp.jsonl" query='${q}'></apiary-view>
     <script>window.events = []; for (const n of ['query-run', 'selection', 'error']) document.addEventListener(n, (e) => window.events.push([e.target.id, n, e.detail]));</script>`);
  const page = await newPage(env.context);
  await page.goto(env.base + name);
  const el = (id) => `apiary-view#${id} .apiary`;
  await page.waitForSelector(`${el('a')}[data-state=ready]`, { timeout: 90_000 });
  await page.waitForSelector(`${el('b')}[data-state=ready]`, { timeout: 90_000 });
  assert.equal(await page.getAttribute(el('a'), 'data-rows'), '100000');
  assert.ok(Number(await page.getAttribute(el('b'), 'data-rows')) < 100);
  // The query attribute ran in b, as the CLI has it; a kept the default query.
  const specB = JSON.parse(await page.getAttribute(el('b'), 'data-spec'));
  assert.deepEqual(specB.breakdowns, ['service.name']);
  assert.notDeepEqual(JSON.parse(await page.getAttribute(el('a'), 'data-spec')).breakdowns, ['service.name']);
  // An element does not take over the host's address.
  assert.doesNotMatch(page.url(), /#v1\./);
  // Events: each element's query runs, with its spec.
  let events = await page.evaluate(() => window.events);
  assert.ok(events.some(([id, n, d]) => id === 'b' && n === 'query-run' && d.spec.breakdowns[0] === 'service.name' && d.rows > 0), JSON.stringify(events));
  assert.ok(events.some(([id, n]) => id === 'a' && n === 'query-run'));

  // setQuery runs a query in that element only.
  const before = await page.getAttribute(el('b'), 'data-spec');
  await page.evaluate(() => document.getElementById('a').setQuery({ calculations: [{ op: 'P99', column: 'duration_ms' }], breakdowns: ['region'], time_range: 999999999 }));
  await page.waitForFunction(() => JSON.parse(document.querySelector('apiary-view#a .apiary').dataset.spec).breakdowns?.[0] === 'region');
  assert.equal(await page.getAttribute(el('b'), 'data-spec'), before);
  // A spec without a granularity gets the builder's automatic one, so the chart has its series
  // (it was drawn empty, on a 0–1 axis).
  const ran = JSON.parse(await page.getAttribute(el('a'), 'data-spec'));
  assert.ok(ran.granularity > 0, JSON.stringify(ran));
  const p99 = await plot(page, 'apiary-view#a canvas.ap-chart');
  assert.ok(p99.y1 > 100, `the P99 chart's axis reaches ${p99.y1}`);
  // A bad query is an error event, with the engine's words.
  await page.evaluate(() => { window.events = []; document.getElementById('b').setAttribute('query', '{"calculations":[{"op":"P99"}]}'); });
  await page.waitForFunction(() => window.events.some(([id, n, d]) => id === 'b' && n === 'error' && /calculations\[0\]\.column/.test(d.message)), null, { timeout: 10_000 });
  assert.ok(!(await page.evaluate(() => window.events)).some(([id]) => id === 'a'));
  // Changing src remounts b with that source.
  await page.evaluate(() => document.getElementById('b').setAttribute('src', 'demo.arrow'));
  await page.waitForFunction(() => document.querySelector('apiary-view#b .apiary')?.dataset.rows === '100000', null, { timeout: 90_000 });
  // Removed from the page: its app goes; the other carries on.
  await page.evaluate(() => document.getElementById('b').remove());
  await page.evaluate(() => document.getElementById('a').setQuery('{"calculations":[{"op":"COUNT"}],"time_range":999999999}'));
  await page.waitForFunction(() => JSON.parse(document.querySelector('apiary-view#a .apiary').dataset.spec).breakdowns === undefined
    || JSON.parse(document.querySelector('apiary-view#a .apiary').dataset.spec).breakdowns.length === 0);
  assert.deepEqual(page.errors, []);
  await page.screenshot({ path: path.join(OUT, 'element.png') });
  await page.close();
});

test('<apiary-view>: Engine\'s methods on the view\'s own data, load, sample rate, and the theme attribute', async () => {
  fs.copyFileSync(path.join('tests', 'fixtures', 'otlp_sdk.jsonl'), path.join(DIST, 'element-otlp.jsonl'));
  const name = hostPage('element-api.html', '<main data-apiary></main>',
    `<apiary-view id="a" theme="dark"></apiary-view><apiary-view id="b" src="element-otlp.jsonl"></apiary-view>`);
  const page = await newPage(env.context);
  await page.goto(env.base + name);
  const el = (id) => `apiary-view#${id} .apiary`;
  await page.waitForSelector(`${el('a')}[data-state=ready]`, { timeout: 90_000 });
  await page.waitForSelector(`${el('b')}[data-state=ready]`, { timeout: 90_000 });
  const bg = (id) => page.$eval(el(id), (e) => getComputedStyle(e).backgroundColor);
  assert.equal(await page.getAttribute(el('a'), 'data-theme'), 'dark');
  assert.equal(await bg('a'), 'rgb(27, 30, 36)');
  assert.equal(await bg('b'), 'rgb(255, 255, 255)');
  // The dark chart is drawn on a dark background.
  const corner = (id) => page.$eval(`${el(id)} canvas.ap-chart`, (c) => [...c.getContext('2d').getImageData(2, 2, 1, 1).data].slice(0, 3));
  assert.ok((await corner('a')).every((v) => v < 80), `dark chart corner ${await corner('a')}`);
  assert.ok((await corner('b')).every((v) => v > 200), `light chart corner ${await corner('b')}`);

  // Engine's calls answer from each view's own data.
  assert.equal(await page.evaluate(() => document.getElementById('a').rows), 100000);
  const small = await page.evaluate(() => document.getElementById('b').rows);
  assert.equal(String(small), await page.getAttribute(el('b'), 'data-rows'));
  const spec = { calculations: [{ op: 'COUNT' }], breakdowns: ['service.name'], time_range: 999999999 };
  const answer = JSON.parse(await page.evaluate((q) => document.getElementById('a').query(q), spec));
  await page.evaluate((q) => document.getElementById('a').setQuery(q), spec);
  await page.waitForFunction(() => JSON.parse(document.querySelector('apiary-view#a .apiary').dataset.spec).breakdowns?.[0] === 'service.name');
  const table = await page.$$eval(`${el('a')} .ap-results .ap-table tbody tr`, (rows) => rows.map((r) => [...r.querySelectorAll('td')].slice(1).map((td) => td.dataset.value ?? td.textContent)));
  assert.deepEqual(table.map((r) => [r[0], Number(r[1].replace(/,/g, ''))]), answer.results.map((r) => [r.data['service.name'], r.data.COUNT]));
  const arrow = await page.evaluate((q) => [...document.getElementById('a').queryArrow(q, false).slice(0, 4)], spec);
  assert.deepEqual(arrow, [255, 255, 255, 255]);
  const other = JSON.parse(await page.evaluate((q) => document.getElementById('b').query(q), spec));
  assert.notDeepEqual(other.results, answer.results);
  const slo = JSON.parse(await page.evaluate(() => document.getElementById('a').slo({ name: 'fast', sli: 'LT($duration_ms, 1000)', target_percentage: 99, time_period_days: 1 })));
  assert.equal(slo.name, 'fast');
  assert.ok(slo.sli.qualified > 90000 && slo.compliance > 0.5 && slo.compliance < 1, JSON.stringify(slo.sli));
  // A bad call throws with the engine's words.
  const err = await page.evaluate(() => { try { document.getElementById('b').query({ calculations: [{ op: 'P99' }] }); return null; } catch (e) { return e.message; } });
  assert.match(err, /calculations\[0\]\.column/);
  // load adds a source to the view and answers the rows it then holds.
  const bytes = [...fs.readFileSync(path.join('tests', 'fixtures', 'otlp_sdk.jsonl'))];
  const rows = await page.evaluate((b) => document.getElementById('b').load('more.jsonl', new Uint8Array(b)), bytes);
  assert.equal(rows, small * 2);
  await page.waitForFunction((n) => document.querySelector('apiary-view#b .apiary').dataset.rows === String(n), rows);
  assert.equal(await page.$$eval(`${el('b')} .ap-source`, (s) => s.length), 2);
  // Sample-rate weighting follows setSampleRate.
  await page.evaluate(() => document.getElementById('a').setSampleRate('none'));
  await page.waitForFunction(() => !document.querySelector('apiary-view#a .ap-weighting input').checked);
  const bad = await page.evaluate(() => { try { document.getElementById('a').setSampleRate('weight'); return null; } catch (e) { return e.message; } });
  assert.match(bad, /takes "auto" or "none"/);
  // The theme attribute changes without a reload.
  await page.evaluate(() => document.getElementById('a').setAttribute('theme', 'light'));
  await page.waitForFunction(() => document.querySelector('apiary-view#a .apiary').dataset.theme === 'light');
  assert.equal(await bg('a'), 'rgb(255, 255, 255)');
  assert.ok((await corner('a')).every((v) => v > 200), `light again ${await corner('a')}`);
  assert.equal(await page.getAttribute(el('a'), 'data-rows'), '100000');

  // The view attribute: another element opens a's link (live), or its snapshot.
  await page.$eval(`${el('a')} details.ap-json`, (d) => { d.open = true; });
  await page.click(`${el('a')} .ap-copy`);
  const live = await page.getAttribute(el('a'), 'data-permalink');
  await page.click(`${el('a')} .ap-copy-snapshot`);
  await page.waitForSelector(`${el('a')}[data-snapshot]`);
  const snap = await page.getAttribute(el('a'), 'data-snapshot');
  await page.evaluate(([l, s]) => {
    for (const [id, v] of [['c', l], ['d', s.split('#')[1]]]) {
      const e = document.createElement('apiary-view');
      e.id = id;
      e.setAttribute('view', v);
      document.body.append(e);
    }
  }, [live, snap]);
  await page.waitForSelector(`${el('c')}[data-state=ready]`, { timeout: 90_000 });
  await page.waitForFunction(() => JSON.parse(document.querySelector('apiary-view#c .apiary').dataset.spec || '{}').breakdowns?.[0] === 'service.name', null, { timeout: 30_000 });
  assert.equal(await page.getAttribute(el('c'), 'data-spec'), await page.getAttribute(el('a'), 'data-spec'));
  await page.waitForSelector(`${el('d')}[data-mode=snapshot][data-state=ready]`, { timeout: 30_000 });
  const rowsOf = (id) => page.$$eval(`${el(id)} .ap-results .ap-table tbody tr`, (rows) => rows.map((r) => r.textContent));
  assert.deepEqual(await rowsOf('d'), await rowsOf('a'));
  assert.deepEqual(page.errors, []);
  await page.close();
});

test('the iframe embed: a host on another origin drives the app by postMessage; other origins are not heard', async () => {
  // The host page at http://localhost, the app at http://127.0.0.1: two origins.
  const port = new URL(env.base).port;
  const hostOrigin = `http://localhost:${port}`;
  const appUrl = (origin) => `http://127.0.0.1:${port}/index.html?embed-origin=${encodeURIComponent(origin)}`;
  fs.writeFileSync(path.join(DIST, 'iframe-host.html'), `<!DOCTYPE html><html><head><meta charset="utf-8"><link rel="icon" href="data:,"></head><body>
<iframe id="ok" src="${appUrl(hostOrigin)}" style="width:1200px;height:700px"></iframe>
<iframe id="other" src="${appUrl('http://example.invalid')}" style="width:1200px;height:300px"></iframe>
<script>
  window.got = [];
  window.addEventListener('message', (e) => { if (e.data && e.data.apiary === 1) window.got.push([e.origin, e.source === document.getElementById('ok').contentWindow ? 'ok' : 'other', e.data]); });
  window.send = (id, m) => document.getElementById(id).contentWindow.postMessage({ apiary: 1, ...m }, '*');
</script></body></html>`);
  const page = await newPage(env.context);
  await page.goto(`${hostOrigin}/iframe-host.html`);
  const frame = (id) => page.frameLocator(`#${id}`);
  await frame('ok').locator('.apiary[data-state=ready]').waitFor({ timeout: 90_000 });
  await frame('other').locator('.apiary[data-state=ready]').waitFor({ timeout: 90_000 });
  // The app says it is ready, to its host's origin only; the other app names another origin and says nothing here.
  await page.waitForFunction(() => window.got.some(([, from, m]) => from === 'ok' && m.type === 'ready' && m.rows === 100000), null, { timeout: 10_000 })
    .catch(async (e) => { throw new Error(`${e.message}: ${JSON.stringify(await page.evaluate(() => window.got))}`); });
  assert.ok((await page.evaluate(() => window.got)).every(([origin, from]) => origin === `http://127.0.0.1:${port}` && from === 'ok'));
  // setQuery: the query runs in the frame; query-run comes back with its spec.
  const q = { calculations: [{ op: 'COUNT' }], breakdowns: ['region'], time_range: 999999999 };
  await page.evaluate((q) => { window.got = []; window.send('ok', { type: 'setQuery', query: q }); window.send('other', { type: 'setQuery', query: q }); }, q);
  await page.waitForFunction(() => window.got.some(([, , m]) => m.type === 'query-run' && m.detail.spec.breakdowns?.[0] === 'region'), null, { timeout: 20_000 })
    .catch(async (e) => { throw new Error(`${e.message}: ${JSON.stringify(await page.evaluate(() => window.got))}`); });
  assert.deepEqual(JSON.parse(await frame('ok').locator('.apiary').getAttribute('data-spec')).breakdowns, ['region']);
  // getState answers; a bad query is an error message.
  await page.evaluate(() => { window.send('ok', { type: 'getState' }); window.send('ok', { type: 'setQuery', query: '{"calculations":[{"op":"P99"}]}' }); });
  await page.waitForFunction(() => window.got.some(([, , m]) => m.type === 'state' && m.rows === 100000) && window.got.some(([, , m]) => m.type === 'error'));
  // The app that names another origin ignored the host: its query is still the default.
  await page.waitForTimeout(500);
  assert.notDeepEqual(JSON.parse(await frame('other').locator('.apiary').getAttribute('data-spec')).breakdowns, ['region']);
  assert.ok((await page.evaluate(() => window.got)).every(([, from]) => from === 'ok'));
  assert.deepEqual(page.errors, []);
  await page.close();
});
