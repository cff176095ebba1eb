// Sources: several files at once through the picker, mixed formats in one data set, a bad file
// that leaves the loaded data intact, removing a source, the memory cap.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { start, newPage, DIST, OUT } from './browser.mjs';

let env;
before(async () => { env = await start(); });
after(async () => { await env?.close(); });

const rows = async (page) => Number(await page.getAttribute('.apiary', 'data-rows'));

test('add files of several formats, a bad one, remove one', async () => {
  const page = await newPage(env.context);
  await page.goto(env.base);
  await page.waitForSelector('.apiary[data-state=ready]', { timeout: 90_000 });
  assert.equal(await rows(page), 100000);

  const fx = (n) => path.join('tests', 'fixtures', n);
  await page.setInputFiles('.ap-file', [fx('otlp_sdk.json'), fx('wide_snappy.parquet'), fx('otlp_sdk.jsonl')]);
  await page.waitForFunction(() => document.querySelectorAll('.ap-source').length === 4, null, { timeout: 30_000 });
  assert.equal(await rows(page), 100000 + 4 + 6 + 8);
  const labels = await page.$$eval('.ap-source span', (s) => s.map((x) => x.textContent));
  assert.ok(labels.some((l) => /otlp_sdk\.json · OTLP\/JSON traces · 4 rows/.test(l)), labels.join(' | '));
  assert.ok(labels.some((l) => /wide_snappy\.parquet · Parquet · 6 rows/.test(l)), labels.join(' | '));

  // A bad file: a clear error naming it, nothing lost.
  const junk = path.join(OUT, 'junk.arrow');
  fs.writeFileSync(junk, Buffer.from([0xff, 0xff, 0xff, 0xff, 0x10, 0, 0, 0, 1, 2, 3]));
  await page.setInputFiles('.ap-file', [junk]);
  await page.waitForSelector('.ap-error:not([hidden])', { timeout: 30_000 });
  assert.match(await page.textContent('.ap-error'), /junk\.arrow/);
  assert.equal(await rows(page), 100018);
  assert.equal(await page.$$eval('.ap-source', (s) => s.length), 4);

  // Remove the parquet source.
  await page.click('button[aria-label="Remove wide_snappy.parquet"]');
  await page.waitForFunction(() => document.querySelector('.apiary').getAttribute('data-rows') === '100012');
  assert.equal(await page.$$eval('.ap-source', (s) => s.length), 3);
  await page.screenshot({ path: path.join(OUT, 'sources.png'), fullPage: true });
  assert.deepEqual(page.errors, []);
  await page.close();
});

test('a load over the memory cap stops with a message', async () => {
  const html = fs.readFileSync(path.join(DIST, 'index.html'), 'utf8').replace('<main data-apiary>', '<main data-apiary data-memory-cap="1000000">');
  fs.writeFileSync(path.join(DIST, 'cap-test.html'), html);
  const page = await newPage(env.context);
  await page.goto(env.base + 'cap-test.html');
  await page.waitForSelector('.apiary[data-state=error]', { timeout: 60_000 });
  assert.match(await page.textContent('.ap-error'), /memory cap/);
  await page.close();
});

test('progress and the weighting toggle hide when they should', async () => {
  const page = await newPage(env.context);
  await page.goto(env.base);
  await page.waitForSelector('.apiary[data-state=ready]', { timeout: 90_000 });
  assert.equal(await page.isVisible('.ap-progress'), false);
  await page.setInputFiles('.ap-file', [path.join('tests', 'fixtures', 'otlp_sdk.json')]);
  await page.waitForFunction(() => document.querySelectorAll('.ap-source').length === 2, null, { timeout: 30_000 });
  assert.equal(await page.isVisible('.ap-progress'), false);
  await page.close();
});

test('a URL load shows progress and can be cancelled; loaded data stays', async () => {
  // A server on loopback that announces 10 MB and then trickles bytes.
  const http = await import('node:http');
  let sent = 0;
  const slow = http.createServer((req, res) => {
    res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': String(10_000_000), 'access-control-allow-origin': '*' });
    const timer = setInterval(() => {
      if (res.destroyed || sent > 2_000_000) { clearInterval(timer); res.destroy(); return; }
      res.write(Buffer.alloc(16_384, 0xff));
      sent += 16_384;
    }, 50);
    req.on('close', () => clearInterval(timer));
  });
  await new Promise((r) => slow.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${slow.address().port}/slow.arrow`;
  try {
    const page = await newPage(env.context);
    await page.goto(env.base);
    await page.waitForSelector('.apiary[data-state=ready]', { timeout: 90_000 });
    await page.fill('.ap-url', url);
    await page.click('.ap-load');
    await page.waitForFunction(() => /Loading slow\.arrow: .* of 10\.0 MB \(\d+%\)/.test(document.querySelector('.ap-progress').textContent));
    assert.equal(await page.isVisible('.ap-progress'), true);
    await page.click('.ap-cancel');
    await page.waitForSelector('.ap-error:not([hidden])');
    assert.match(await page.textContent('.ap-error'), /slow\.arrow was cancelled/);
    assert.equal(await page.isVisible('.ap-progress'), false);
    assert.equal(await rows(page), 100000);
    await page.close();
  } finally {
    slow.closeAllConnections?.();
    await new Promise((r) => slow.close(r));
  }
});
