// Triggers in the page: made from the current query, evaluated on a schedule against the
// source fetched again (here the schedule runs 900× faster: `data-trigger-speed`), the state the
// CLI's (`apiary trigger`) for the same trigger, a history of evaluations, a webhook that gets
// Honeycomb's payload once per change (alert on change) or on every run (on true), and a link
// that carries the trigger but never its webhook.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import zlib from 'node:zlib';
import { start, newPage, runBuilder, hostPage, OUT } from './browser.mjs';

let env, hook, hookUrl;
const posts = [];
before(async () => {
  env = await start();
  hook = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c) => { body += c; });
    req.on('end', () => {
      if (req.method === 'POST') posts.push(JSON.parse(body));
      res.writeHead(204, { 'Access-Control-Allow-Origin': '*' });
      res.end();
    });
  });
  await new Promise((r) => hook.listen(0, '127.0.0.1', r));
  hookUrl = `http://127.0.0.1:${hook.address().port}/hook`;
});
after(async () => {
  hook?.close();
  await env?.close();
});

const cli = (t) => JSON.parse(execFileSync(path.join('target', 'debug', 'apiary'), ['trigger', path.join('www', 'demo.arrow'), '--trigger', JSON.stringify(t)], { encoding: 'utf8' }));
const waitFor = async (page, fn, what, ms = 30_000) => {
  for (let t = 0; t < ms; t += 200) {
    if (await fn()) return;
    await page.waitForTimeout(200);
  }
  throw new Error(`timed out waiting for ${what}`);
};

test('a trigger from the query: evaluated on a schedule, the CLI\'s state, history, webhook on change and on every run, a link without the webhook', async () => {
  const name = hostPage('trigger-test.html', 'data-apiary', 'data-apiary data-trigger-speed="900"');
  const page = await newPage(env.context);
  // The browser's notifications, allowed, recorded (a headless browser shows none).
  await page.addInitScript(() => {
    window.__notes = [];
    window.Notification = class {
      constructor(title, opts) { window.__notes.push([title, opts && opts.body]); }
      static get permission() { return 'granted'; }
      static requestPermission() { return Promise.resolve('granted'); }
    };
  });
  await page.goto(env.base + name);
  await page.waitForSelector('.apiary[data-state=ready]', { timeout: 90_000 });
  await runBuilder(page, { VISUALIZE: 'P99(duration_ms)', WHERE: 'trace.parent_id does-not-exist', 'GROUP BY': 'service.name' }, (s) => s.breakdowns?.[0] === 'service.name');

  await page.click('details.ap-triggers > summary');
  // Out of the box the form holds the demo's preset: slow root spans per service.
  assert.equal(await page.inputValue('.ap-trigger-name'), 'Slow root spans');
  assert.match(await page.textContent('.ap-trigger-query'), /VISUALIZE P99\(duration_ms\) · WHERE trace\.parent_id does-not-exist · GROUP BY service\.name/);
  await page.fill('.ap-trigger-name', '');
  await page.click('.ap-trigger-from-query');
  assert.match(await page.textContent('.ap-trigger-query'), /VISUALIZE P99\(duration_ms\) · WHERE trace\.parent_id does-not-exist · GROUP BY service\.name/);
  await page.fill('.ap-trigger-name', 'Slow roots');
  await page.selectOption('.ap-trigger-op', '>');
  await page.fill('.ap-trigger-value', '1000');
  await page.selectOption('.ap-trigger-range', '1800');
  await page.selectOption('.ap-trigger-frequency', '900');
  await page.fill('.ap-trigger-webhook', hookUrl);
  await page.click('.ap-trigger-save');

  // The state is the CLI's for the same trigger.
  await page.waitForSelector('.ap-trigger-row');
  const saved = JSON.parse(await page.evaluate(() => localStorage.getItem('apiary.triggers.v1')));
  assert.equal(saved.length, 1);
  const want = cli(saved[0]);
  assert.equal(want.status, 'TRIGGERED', 'the demo incident makes root spans slow');
  await page.waitForSelector('.ap-trigger-row .ap-trigger-triggered');
  await waitFor(page, async () => posts.length >= 1, 'the webhook');
  assert.equal(posts[0].status, 'TRIGGERED');
  assert.equal(posts[0].name, 'Slow roots');
  assert.deepEqual(posts[0].result_groups_triggered, want.result_groups_triggered);
  assert.deepEqual(posts[0].result_groups, want.result_groups);
  assert.ok(posts[0].result_url.startsWith(env.base));
  assert.match(await page.textContent('.ap-trigger-notice'), /TRIGGERED: Slow roots: P99\(duration_ms\) > 1000 for \d+ of \d+ groups?/);
  const notes = await page.evaluate(() => window.__notes);
  assert.equal(notes.length, 1);
  assert.equal(notes[0][0], 'Slow roots TRIGGERED');
  assert.match(notes[0][1], /P99\(duration_ms\) > 1000/);

  // On schedule (15 minutes are a second here): more evaluations, still TRIGGERED, no new webhook.
  await waitFor(page, async () => (await page.locator('.ap-trigger-history tr').count()) >= 4, 'scheduled evaluations');
  assert.equal(posts.length, 1, 'alert on change: notified once');
  await page.locator('details.ap-triggers').screenshot({ path: path.join(OUT, 'triggers.png') });

  // Every run while triggered: each evaluation posts.
  await page.selectOption('.ap-trigger-alert', 'on_true');
  await page.click('.ap-trigger-save');
  const before = posts.length;
  await waitFor(page, async () => posts.length >= before + 3, 'webhooks on every run');
  assert.ok(posts.slice(before).every((p) => p.status === 'TRIGGERED' && p.alert_type === 'on_true'));

  // Export, then import under another name: both kept, the import evaluated at once.
  const [download] = await Promise.all([page.waitForEvent('download'), page.click('.ap-trigger-export')]);
  const exported = JSON.parse(fs.readFileSync(await download.path(), 'utf8'));
  assert.equal(exported[0].name, 'Slow roots');
  const file = path.join(OUT, 'trigger-import.json');
  fs.writeFileSync(file, JSON.stringify([{ ...exported[0], name: 'Imported', threshold: { op: '>', value: 1e9 }, webhook_url: undefined }]));
  await page.setInputFiles('.ap-trigger-import input', file);
  await page.waitForFunction(() => [...document.querySelectorAll('.ap-trigger-row')].some((r) => r.querySelector('.ap-trigger-title').textContent === 'Imported' && r.querySelector('.ap-trigger-status').textContent === 'OK'));
  assert.deepEqual(await page.$$eval('.ap-trigger-row .ap-trigger-title', (t) => t.map((x) => x.textContent)), ['Slow roots', 'Imported']);

  // The link carries the triggers, never a webhook.
  const state = JSON.parse(zlib.inflateRawSync(Buffer.from(new URL(page.url()).hash.slice(4), 'base64url')));
  assert.deepEqual(state.view.triggers.map((t) => t.name), ['Slow roots', 'Imported']);
  assert.equal(state.view.triggers[0].webhook_url, undefined);
  assert.ok(!page.url().includes(encodeURIComponent(hookUrl)) && !JSON.stringify(state).includes(hookUrl));
  // A browser that never saw it: the link alone brings it.
  const link = page.url();
  const fresh = await newPage(env.context);
  await fresh.goto(env.base + 'index.html');
  await fresh.evaluate(() => localStorage.removeItem('apiary.triggers.v1'));
  await fresh.goto(link);
  await fresh.waitForSelector('.apiary[data-state=ready]', { timeout: 90_000 });
  await fresh.click('details.ap-triggers > summary');
  await fresh.waitForSelector('.ap-trigger-row .ap-trigger-title');
  assert.deepEqual(await fresh.$$eval('.ap-trigger-row .ap-trigger-title', (t) => t.map((x) => x.textContent)), ['Slow roots', 'Imported']);
  await fresh.close();
  assert.deepEqual(page.errors, []);
  await page.close();
});
