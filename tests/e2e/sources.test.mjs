// Sources: several files at once through the picker, mixed formats in one data set, a bad file
// that leaves the loaded data intact, removing a source, the memory cap, batch-by-batch decoding
// with progress and Cancel.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { start, newPage, smallBatches, hostPage, runBuilder, OUT, DIST } from './browser.mjs';

let env;
before(async () => { env = await start(); });
after(async () => { await env?.close(); });

const rows = async (page) => Number(await page.getAttribute('.apiary', 'data-rows'));

/** A new page with the app loaded (the demo data) and ready. */
async function readyPage() {
  const page = await newPage(env.context);
  await page.goto(env.base);
  await page.waitForSelector('.apiary[data-state=ready]', { timeout: 90_000 });
  return page;
}

test('add files of several formats, a bad one, remove one', async () => {
  const page = await readyPage();
  // The Parquet reader is in a module of its own, fetched only when a Parquet file comes.
  const decoder = [];
  page.on('request', (r) => { if (/apiary-decoder\.wasm$/.test(r.url())) decoder.push(r.url()); });
  assert.equal(await rows(page), 100000);
  await page.setInputFiles('.ap-file', [path.join('tests', 'fixtures', 'otlp_sdk.jsonl')]);
  await page.waitForFunction(() => document.querySelectorAll('.ap-source').length === 2, null, { timeout: 30_000 });
  assert.deepEqual(decoder, [], 'no Parquet, no decoder module');
  await page.click('button[aria-label="Remove otlp_sdk.jsonl"]');
  await page.waitForFunction(() => document.querySelectorAll('.ap-source').length === 1);

  const fx = (n) => path.join('tests', 'fixtures', n);
  // pyarrow's Arrow IPC file (nested columns) and stream (flat columns) too.
  await page.setInputFiles('.ap-file', [fx('otlp_sdk.json'), fx('wide_snappy.parquet'), fx('otlp_sdk.jsonl'), fx('wide.arrow'), fx('flat.arrows')]);
  await page.waitForFunction(() => document.querySelectorAll('.ap-source').length === 6, null, { timeout: 30_000 });
  assert.equal(await rows(page), 100000 + 4 + 6 + 8 + 6 + 6);
  assert.equal(decoder.length, 1, decoder.join(' '));
  const labels = await page.$$eval('.ap-source span', (s) => s.map((x) => x.textContent));
  assert.ok(labels.some((l) => /otlp_sdk\.json · OTLP\/JSON traces · 4 rows/.test(l)), labels.join(' | '));
  assert.ok(labels.some((l) => /wide_snappy\.parquet · Parquet · 6 rows/.test(l)), labels.join(' | '));
  assert.ok(labels.some((l) => /wide\.arrow · Arrow IPC file · 6 rows/.test(l)), labels.join(' | '));
  assert.ok(labels.some((l) => /flat\.arrows · Arrow IPC stream · 6 rows/.test(l)), labels.join(' | '));

  // Bad files: a clear error naming the file (and, for data that lies, the column), nothing lost.
  const junk = path.join(OUT, 'junk.arrow');
  fs.writeFileSync(junk, Buffer.from([0xff, 0xff, 0xff, 0xff, 0x10, 0, 0, 0, 1, 2, 3]));
  await page.setInputFiles('.ap-file', [junk]);
  await page.waitForSelector('.ap-error:not([hidden])', { timeout: 30_000 });
  assert.match(await page.textContent('.ap-error'), /junk\.arrow/);
  await page.setInputFiles('.ap-file', [fx('flat_bad_key.arrows')]);
  await page.waitForFunction(() => /flat_bad_key/.test(document.querySelector('.ap-error').textContent), null, { timeout: 30_000 });
  assert.match(await page.textContent('.ap-error'), /column "service\.name": dictionary key 7 at row 1 is out of range/);
  assert.equal(await rows(page), 100030);
  assert.equal(await page.$$eval('.ap-source', (s) => s.length), 6);

  // Remove the parquet source.
  await page.click('button[aria-label="Remove wide_snappy.parquet"]');
  await page.waitForFunction(() => document.querySelector('.apiary').getAttribute('data-rows') === '100024');
  assert.equal(await page.$$eval('.ap-source', (s) => s.length), 5);
  await page.screenshot({ path: path.join(OUT, 'sources.png'), fullPage: true });
  assert.deepEqual(page.errors, []);
  await page.close();
});

test('ZSTD from pyarrow: Parquet and an Arrow IPC stream, dropped and from a URL; the decoder module reads them, with the values the CLI reads', async () => {
  const fx = (n) => path.join('tests', 'fixtures', n);
  fs.copyFileSync(fx('wide_zstd.arrows'), path.join(DIST, 'zstd-stream.arrows'));
  const page = await readyPage();
  const decoder = [];
  page.on('request', (r) => { if (/apiary-decoder\.wasm$/.test(r.url())) decoder.push(r.url()); });
  // ZSTD Parquet (v1, and v2 with DELTA_* encodings), an Arrow IPC stream and file with ZSTD buffers.
  await page.setInputFiles('.ap-file', [fx('wide_zstd.parquet'), fx('encodings_zstd.parquet'), fx('wide_zstd.arrows'), fx('wide_zstd.arrow')]);
  await page.waitForFunction(() => document.querySelectorAll('.ap-source').length === 5, null, { timeout: 60_000 });
  const labels = await page.$$eval('.ap-source span', (s) => s.map((x) => x.textContent));
  assert.ok(labels.some((l) => /wide_zstd\.parquet · Parquet · 6 rows/.test(l)), labels.join(' | '));
  assert.ok(labels.some((l) => /encodings_zstd\.parquet · Parquet · 100 rows/.test(l)), labels.join(' | '));
  assert.ok(labels.some((l) => /wide_zstd\.arrows · Arrow IPC stream · 6 rows/.test(l)), labels.join(' | '));
  assert.ok(labels.some((l) => /wide_zstd\.arrow · Arrow IPC file · 6 rows/.test(l)), labels.join(' | '));
  assert.equal(await page.getAttribute('.apiary', 'data-rows'), String(100000 + 6 + 100 + 6 + 6));
  assert.equal(decoder.length, 1, decoder.join(' '));
  assert.equal(await page.isHidden('.ap-error'), true, await page.textContent('.ap-error'));
  // The values: the page's engine on the ZSTD stream alone equals the CLI's.
  const spec = { calculations: [{ op: 'COUNT' }, { op: 'SUM', column: 'duration_ms' }], breakdowns: ['service.name'], time_range: 999999999 };
  const want = JSON.parse(execFileSync(path.join('target', 'debug', 'apiary'), ['query', fx('wide_zstd.arrows'), '--spec', JSON.stringify(spec)], { encoding: 'utf8' }));
  const got = await page.evaluate(async ([s]) => {
    const e = new window.wasmBindings.Engine();
    const bytes = new Uint8Array(await (await fetch('zstd-stream.arrows')).arrayBuffer());
    let direct;
    try { e.load('wide_zstd.arrows', bytes); direct = 'loaded'; } catch (err) { direct = err.message; }
    const ipc = await window.wasmBindings.decode('wide_zstd.arrows', bytes);
    e.load('wide_zstd.arrows', ipc);
    return [direct, JSON.parse(e.query(JSON.stringify(s)))];
  }, [spec]).catch((e) => [String(e)]);
  assert.ok(got.length === 2, String(got[0]));
  assert.match(String(got[0]), /ZSTD/, 'the page\'s own module says ZSTD is the decoder module\'s');
  assert.deepEqual(got[1].results, want.results);
  await page.close();

  // From a URL: the stream is collected (not decoded as it arrives) and read by the decoder module.
  const url = await newPage(env.context);
  await url.goto(env.base + '?src=zstd-stream.arrows');
  await url.waitForSelector('.apiary[data-state=ready]', { timeout: 90_000 });
  assert.equal(await url.getAttribute('.apiary', 'data-rows'), '6');
  assert.deepEqual(url.errors, []);
  await url.close();
});

test('Engine.loadUrl and Engine.loadBlob: a body or a picked file streams into wasm memory, every format, the answers the CLI gives; a failed load keeps what was loaded', async () => {
  const fx = (n) => path.join('tests', 'fixtures', n);
  // Files pyarrow, DuckDB and the OpenTelemetry SDK wrote (tests/fixtures/make_fixtures.py and make_otlp.mjs).
  const files = ['flat.arrows', 'wide.arrow', 'wide_zstd.arrows', 'wide_snappy.parquet', 'encodings_zstd.parquet', 'otlp_sdk.jsonl', 'otlp_sdk.json'];
  fs.mkdirSync(path.join(DIST, 'engine-load'), { recursive: true });
  for (const f of files) fs.copyFileSync(fx(f), path.join(DIST, 'engine-load', f));
  // The demo as NDJSON from the CLI (a thousand rows), and a CSV.
  execFileSync(path.join('target', 'debug', 'apiary'), ['demo', '--rows', '1000', '--format', 'ndjson', '--out', path.join(DIST, 'engine-load', 'demo.ndjson')]);
  fs.writeFileSync(path.join(DIST, 'engine-load', 'events.csv'), 'timestamp,service,duration_ms\n2026-11-01T12:00:00Z,"api, edge",12.5\n2026-11-01T12:00:01Z,db,3\n2026-11-01T12:00:02Z,db,\n');
  files.push('demo.ndjson', 'events.csv');
  const page = await readyPage();
  await page.evaluate(() => { const i = document.createElement('input'); i.type = 'file'; i.id = 'engine-pick'; document.body.append(i); });
  for (const f of files) {
    const file = path.join(DIST, 'engine-load', f);
    const spec = { calculations: [{ op: 'COUNT' }], time_range: 999999999 };
    const want = JSON.parse(execFileSync(path.join('target', 'debug', 'apiary'), ['query', file, '--spec', JSON.stringify(spec)], { encoding: 'utf8' }));
    await page.setInputFiles('#engine-pick', [file]);
    const got = await page.evaluate(async ([f, s]) => {
      const byUrl = new window.wasmBindings.Engine();
      const urlRows = await byUrl.loadUrl('engine-load/' + f);
      const byBlob = new window.wasmBindings.Engine();
      const blobRows = await byBlob.loadBlob(document.querySelector('#engine-pick').files[0]);
      return { urlRows, blobRows, url: JSON.parse(byUrl.query(JSON.stringify(s))), blob: JSON.parse(byBlob.query(JSON.stringify(s))) };
    }, [f, spec]);
    assert.deepEqual(got.url.results, want.results, `${f} by loadUrl`);
    assert.deepEqual(got.blob.results, want.results, `${f} by loadBlob`);
    assert.equal(got.urlRows, got.blobRows, f);
    assert.ok(got.urlRows > 0, f);
  }
  // Failures: a missing URL and a truncated stream are errors naming them; the engine keeps its rows.
  const truncated = path.join(OUT, 'truncated.arrows');
  const whole = fs.readFileSync(fx('flat.arrows'));
  fs.writeFileSync(truncated, whole.subarray(0, whole.length - 40));
  await page.setInputFiles('#engine-pick', [truncated]);
  const failed = await page.evaluate(async () => {
    const e = new window.wasmBindings.Engine();
    await e.loadUrl('engine-load/flat.arrows');
    const before = e.rows();
    const errors = [];
    for (const load of [() => e.loadUrl('engine-load/missing.arrows'), () => e.loadBlob(document.querySelector('#engine-pick').files[0])]) {
      try { await load(); errors.push('no error'); } catch (err) { errors.push(err.message); }
    }
    return { before, after: e.rows(), errors };
  });
  assert.equal(failed.after, failed.before);
  assert.match(failed.errors[0], /missing\.arrows.*HTTP 404/);
  assert.match(failed.errors[1], /truncated\.arrows.*truncated/);
  assert.deepEqual(page.errors.filter((e) => !/404 \(Not Found\)/.test(e)), [], 'only the missing URL\'s 404');
  await page.close();
});

test('a Parquet file that crashes its decoder is an error; the page and its data carry on', async () => {
  // Corrupted page data on which the parquet crate panics (natively too): decoded in a worker,
  // the crash takes down only the worker.
  const page = await readyPage();
  const fx = (n) => path.join('tests', 'fixtures', n);
  for (const bad of ['wide_none_corrupted_page.parquet', 'encodings_corrupted_page.parquet']) {
    await page.setInputFiles('.ap-file', [fx(path.join('parquet_panics', bad))]);
    await page.waitForFunction((b) => { const e = document.querySelector('.ap-error'); return !e.hidden && e.textContent.includes(b); }, bad, { timeout: 30_000 });
    const msg = await page.textContent('.ap-error');
    assert.ok(msg.includes(bad) && /the decoder crashed on this file/.test(msg), msg);
    assert.equal(await rows(page), 100000);
    assert.equal(await page.locator('.ap-source').count(), 1);
  }
  // The page still decodes and queries.
  await page.setInputFiles('.ap-file', [fx('wide_snappy.parquet'), fx('otlp_sdk.jsonl')]);
  await page.waitForFunction(() => document.querySelectorAll('.ap-source').length === 3, null, { timeout: 30_000 });
  assert.equal(await rows(page), 100000 + 6 + 8);
  await page.fill('.ap-clause[data-clause="GROUP BY"] input', 'service.name');
  await page.press('.ap-clause[data-clause="GROUP BY"] input', 'Enter');
  await page.waitForFunction(() => document.querySelectorAll('.ap-results tbody tr.ap-row').length > 1);
  assert.deepEqual(page.errors, []);
  await page.close();
});

test('a load over the memory cap stops with a message', async () => {
  hostPage('cap-test.html', '<main data-apiary>', '<main data-apiary data-memory-cap="1000000">');
  const page = await newPage(env.context);
  await page.goto(env.base + 'cap-test.html');
  await page.waitForSelector('.apiary[data-state=error]', { timeout: 60_000 });
  assert.match(await page.textContent('.ap-error'), /memory cap/);
  await page.close();
});

test('progress and the weighting toggle hide when they should', async () => {
  const page = await readyPage();
  assert.equal(await page.isVisible('.ap-progress'), false);
  await page.setInputFiles('.ap-file', [path.join('tests', 'fixtures', 'otlp_sdk.json')]);
  await page.waitForFunction(() => document.querySelectorAll('.ap-source').length === 2, null, { timeout: 30_000 });
  assert.equal(await page.isVisible('.ap-progress'), false);
  await page.close();
});


// A server on loopback that sends the 500-row-batch stream in 256 KB pieces every 20 ms:
// /stream.arrow all of it, /hang.arrow its first 2 MB and then nothing more.
/// A server that sends `bytes` (by default the demo data as an Arrow stream of 500-row batches)
/// 256 KB every 20 ms; a URL with `hang` in it stops after 2 MB and never ends.
/// A server that sends `bytes` `chunk` bytes at a time, one chunk every 20 ms.
async function trickle(bytes = fs.readFileSync(smallBatches()), type = 'application/vnd.apache.arrow.stream', chunk = 256 << 10) {
  const http = await import('node:http');
  const server = http.createServer((req, res) => {
    res.writeHead(200, { 'content-type': type, 'content-length': String(bytes.length), 'access-control-allow-origin': '*' });
    const stop = req.url.includes('hang') ? 2 << 20 : bytes.length;
    let sent = 0;
    const timer = setInterval(() => {
      if (res.destroyed) { clearInterval(timer); return; }
      if (sent >= stop) { clearInterval(timer); if (stop === bytes.length) res.end(); return; }
      const n = Math.min(chunk, stop - sent);
      res.write(bytes.subarray(sent, sent + n));
      sent += n;
    }, 20);
    req.on('close', () => clearInterval(timer));
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  server.base = `http://127.0.0.1:${server.address().port}/`;
  server.size = bytes.length;
  server.stop = async () => { server.closeAllConnections?.(); await new Promise((r) => server.close(r)); };
  return server;
}

/// Record (bytes received, rows decoded) at every progress update, in `window.seen`.
async function watchProgress(page) {
  await page.evaluate(() => {
    window.seen = [];
    const box = document.querySelector('.ap-progress');
    new MutationObserver(() => {
      window.seen.push([Number(box.getAttribute('data-received')), Number(box.getAttribute('data-decoded-rows') || 0)]);
    }).observe(box, { attributes: true, attributeFilter: ['data-received', 'data-decoded-rows'] });
  });
}

test('a URL load shows progress and can be cancelled; loaded data stays', async () => {
  const server = await trickle();
  try {
    const page = await readyPage();
    await page.fill('.ap-url', server.base + 'hang.arrow');
    await page.click('.ap-load');
    const mb = (server.size / 1e6).toFixed(1);
    await page.waitForFunction((mb) => new RegExp(`Loading hang\\.arrow: .* of ${mb} MB \\(\\d+%\\), [\\d,]+ rows decoded`).test(document.querySelector('.ap-progress').textContent), mb);
    assert.equal(await page.isVisible('.ap-progress'), true);
    await page.locator('.ap-progress').screenshot({ path: path.join(OUT, 'streaming.png') });
    await page.click('.ap-cancel');
    await page.waitForSelector('.ap-error:not([hidden])');
    assert.match(await page.textContent('.ap-error'), /hang\.arrow was cancelled/);
    assert.equal(await page.isVisible('.ap-progress'), false);
    assert.equal(await rows(page), 100000);
    assert.equal(await page.locator('.ap-source').count(), 1);
    await page.close();
  } finally {
    await server.stop();
  }
});

test('an Arrow stream from a URL is decoded while its bytes arrive', async () => {
  const server = await trickle();
  try {
    const page = await readyPage();
    await watchProgress(page);
    await page.fill('.ap-url', server.base + 'stream.arrow');
    await page.click('.ap-load');
    await page.waitForFunction(() => document.querySelectorAll('.ap-source').length === 2, null, { timeout: 60_000 });
    assert.equal(await rows(page), 200000);
    const seen = await page.evaluate(() => window.seen);
    // Rows decoded, and growing, while the first half of the bytes came (progress updates
    // coalesce when the machine is busy, so their number is not the measure).
    const early = new Set(seen.filter(([got, r]) => got < server.size / 2 && r > 0).map(([, r]) => r));
    assert.ok(early.size >= 2, `rows decoded before half the bytes came: ${JSON.stringify(seen.slice(0, 16))}`);
    assert.ok(seen.every(([, r], i) => i === 0 || r >= seen[i - 1][1]), 'rows so far only grow');
    // The streamed source answers like the demo it was made from: every service twice.
    await page.fill('.ap-clause[data-clause="GROUP BY"] input', 'service.name');
    await page.press('.ap-clause[data-clause="GROUP BY"] input', 'Enter');
    await page.waitForFunction(() => document.querySelectorAll('.ap-results tbody tr.ap-row').length > 3);
    const counts = await page.$$eval('.ap-results tbody tr.ap-row', (trs) => trs.map((tr) => Number(tr.children[2].dataset.value)));
    assert.ok(counts.length > 3 && counts.every((c) => c > 0 && c % 2 === 0), `every count twice the demo's: ${counts}`);
    assert.deepEqual(page.errors, []);
    await page.close();
  } finally {
    await server.stop();
  }
});

test('NDJSON and CSV from a URL are decoded while their bytes arrive', async () => {
  // 80,000 events over 8 services; `code` is a number until the last row (a word), so the whole
  // column is text; CSV labels hold quoted commas and newlines.
  const n = 80_000;
  const t0 = 1_793_534_400_000 - 3_600_000; // the last hour of the demo data
  const service = (i) => `svc-${(i * 7919) % 8}`;
  const expected = {};
  for (let i = 0; i < n; i++) expected[service(i)] = (expected[service(i)] || 0) + 1;
  const ndjson = [];
  const csv = ['timestamp,service.name,duration_ms,label,code'];
  for (let i = 0; i < n; i++) {
    const code = i === n - 1 ? '"E42"' : String(200 + (i % 3) * 100);
    ndjson.push(JSON.stringify({ timestamp: t0 + i * 10, service: { name: service(i) }, duration_ms: (i % 97) + 0.5, nested: { deep: { v: i } } }).slice(0, -1) + `,"code":${code}}`);
    csv.push(`${new Date(t0 + i * 10).toISOString()},${service(i)},${(i % 97) + 0.5},"row ${i}, with ""quotes""
and a newline",${i === n - 1 ? 'E42' : 200}`);
  }
  for (const [name, text, type] of [['events.ndjson', ndjson.join('\n') + '\n', 'application/x-ndjson'], ['events.csv', csv.join('\r\n') + '\r\n', 'text/csv']]) {
    // 64 KB every 20 ms: half the bytes take ~0.5 s, so a busy machine still reports progress
    // several times before then.
    const server = await trickle(Buffer.from(text), type, 64 << 10);
    try {
      const page = await readyPage();
      await watchProgress(page);
      await page.fill('.ap-url', server.base + name);
      await page.click('.ap-load');
      await page.waitForFunction(() => document.querySelectorAll('.ap-source').length === 2, null, { timeout: 60_000 });
      assert.equal(await rows(page), 100000 + n, name);
      const seen = await page.evaluate(() => window.seen);
      // Rows decoded, and growing, while the first half of the bytes came: at least two different
      // row counts above zero before half (progress updates coalesce when the machine is busy).
      const early = new Set(seen.filter(([got, r]) => got < server.size / 2 && r > 0).map(([, r]) => r));
      assert.ok(early.size >= 2, `${name}: rows decoded before half the bytes came: ${JSON.stringify(seen.slice(0, 16))}`);
      assert.ok(seen.every(([, r], i) => i === 0 || r >= seen[i - 1][1]), `${name}: rows so far only grow`);
      assert.match(await page.textContent('.ap-source-list'), new RegExp(`${name.replace('.', '\\.')} · ${name.endsWith('csv') ? 'CSV' : 'NDJSON'} · 80,000 rows`));
      // The streamed events answer a query: counts per service as generated (the demo has other
      // services), and the late word made `code` text in every row.
      await runBuilder(page, { 'GROUP BY': 'service.name', WHERE: 'code exists' }, (s) => s.breakdowns?.[0] === 'service.name' && s.filters?.length === 1);
      const got = Object.fromEntries(await page.$$eval('.ap-results tbody tr.ap-row', (trs) => trs.map((tr) => [tr.children[1].textContent, Number(tr.children[2].dataset.value)])));
      assert.deepEqual(got, expected, name);
      await runBuilder(page, { 'GROUP BY': 'code', WHERE: 'code = E42' }, (s) => s.breakdowns?.[0] === 'code' && s.filters?.[0]?.op === '=');
      assert.equal(await page.locator('.ap-results tbody tr.ap-row').count(), 1, `${name}: code = E42 matches (the column is text)`);
      assert.deepEqual(page.errors, []);
      await page.close();
    } finally {
      await server.stop();
    }
  }
});

test('a big Arrow stream is decoded batch by batch: the page shows rows so far, Cancel keeps what was loaded', async () => {
  // The demo data rewritten by pyarrow into 500-row batches (200 of them); a host that gives the
  // page its turn after every batch.
  const small = smallBatches();
  hostPage('slice-test.html', '<main data-apiary>', '<main data-apiary data-decode-slice-ms="0">');
  const page = await newPage(env.context);
  await page.goto(env.base + 'slice-test.html');
  await page.waitForSelector('.apiary[data-state=ready]', { timeout: 90_000 });
  // Record every rows-so-far the progress bar shows.
  await page.evaluate(() => {
    window.seen = [];
    const box = document.querySelector('.ap-progress');
    new MutationObserver(() => { const r = box.getAttribute('data-decoded-rows'); if (r) window.seen.push(Number(r)); }).observe(box, { attributes: true, attributeFilter: ['data-decoded-rows'] });
  });
  await page.setInputFiles('.ap-file', [small]);
  await page.waitForFunction(() => document.querySelectorAll('.ap-source').length === 2, null, { timeout: 60_000 });
  assert.equal(await rows(page), 200000);
  const seen = await page.evaluate(() => window.seen);
  // A piece of the file that completes no batch updates the bytes, not the rows: the rows so
  // far never go back, and grow many times.
  assert.ok(new Set(seen).size > 20, `progress during decoding: ${new Set(seen).size} different row counts`);
  assert.ok(seen.every((r, i) => r > 0 && r <= 100000 && (i === 0 || r >= seen[i - 1])), `rows so far never go back: ${seen.slice(0, 8)}…`);

  // Cancel while decoding: nothing of that file is added, the loaded data stays.
  await page.evaluate(() => { window.seen = []; });
  await page.setInputFiles('.ap-file', [small]);
  await page.waitForFunction(() => window.seen.length > 0);
  await page.locator('.ap-progress').screenshot({ path: path.join(OUT, 'decoding.png') });
  await page.click('.ap-cancel');
  await page.waitForSelector('.ap-error:not([hidden])');
  assert.match(await page.textContent('.ap-error'), /small_batches\.arrow was cancelled; nothing was added/);
  assert.equal(await rows(page), 200000);
  assert.equal(await page.locator('.ap-source').count(), 2);
  assert.equal(await page.isVisible('.ap-progress'), false);
  assert.deepEqual(page.errors, []);
  await page.close();
});

test('a link made with a local file asks for the same file, then shows the same view', async () => {
  const fx = path.join('tests', 'fixtures', 'otlp_sdk.json');
  const page = await readyPage();
  await page.setInputFiles('.ap-file', [fx]);
  await page.waitForFunction(() => document.querySelectorAll('.ap-source').length === 2, null, { timeout: 30_000 });
  // Only the local file, grouped by span name.
  await page.click('.ap-source:first-child [data-remove]');
  await page.waitForFunction(() => document.querySelectorAll('.ap-source').length === 1);
  await page.fill('.ap-clause[data-clause="GROUP BY"] input', 'name');
  await page.press('.ap-clause[data-clause="GROUP BY"] input', 'Enter');
  await page.waitForFunction(() => JSON.parse(document.querySelector('.apiary').dataset.spec).breakdowns?.[0] === 'name');
  const table = () => page.$$eval('.ap-results tbody tr', (r) => r.map((x) => x.textContent));
  const want = await table();
  assert.equal(want.length, 4);
  const link = page.url();

  // A fresh page: nothing loads (not the demo either) until the file is given.
  const fresh = await newPage(env.context);
  await fresh.goto(link);
  await fresh.waitForSelector('.apiary[data-state=waiting] .ap-wanted:not([hidden])', { timeout: 90_000 });
  assert.equal(await fresh.getAttribute('.ap-wanted-file', 'data-name'), 'otlp_sdk.json');
  assert.equal(await fresh.locator('.ap-source').count(), 0);
  // A file with the same name and size but other content is loaded with a warning.
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'apiary-e2e-'));
  const bytes = fs.readFileSync(fx, 'utf8');
  assert.ok(bytes.includes('u-42'));
  fs.writeFileSync(path.join(dir, 'otlp_sdk.json'), bytes.replace('u-42', 'u-43'));
  await fresh.setInputFiles('.ap-file', [path.join(dir, 'otlp_sdk.json')]);
  await fresh.waitForSelector('.ap-error:not([hidden])');
  assert.match(await fresh.textContent('.ap-error'), /otlp_sdk\.json has the name and size the link asks for, but different content/);
  await fresh.close();

  // The same file: the linked view, exactly.
  const again = await newPage(env.context);
  await again.goto(link);
  await again.waitForSelector('.ap-wanted:not([hidden])', { timeout: 90_000 });
  await again.setInputFiles('.ap-file', [fx]);
  await again.waitForSelector('.apiary[data-state=ready] .ap-wanted[hidden]', { state: 'attached', timeout: 30_000 });
  await again.waitForFunction((n) => document.querySelectorAll('.ap-results tbody tr').length === n, want.length);
  assert.deepEqual(await again.$$eval('.ap-results tbody tr', (r) => r.map((x) => x.textContent)), want);
  assert.equal(await again.isVisible('.ap-error'), false);
  assert.deepEqual(again.errors, []);
  await again.close();
  await page.close();
});

test('a host whose content security policy blocks workers still loads every format (decoded in the page)', async () => {
  hostPage('csp-test.html', '<head>', `<head><meta http-equiv="Content-Security-Policy" content="worker-src 'none'">`);
  const page = await newPage(env.context);
  await page.goto(env.base + 'csp-test.html');
  await page.waitForSelector('.apiary[data-state=ready]', { timeout: 90_000 });
  const before = await rows(page);
  // Parquet too: the decoder module runs in the page.
  await page.setInputFiles('.ap-file', [path.join('tests', 'fixtures', 'otlp_sdk.json'), path.join('tests', 'fixtures', 'wide_snappy.parquet')]);
  await page.waitForFunction(() => document.querySelectorAll('.ap-source').length === 3, null, { timeout: 30_000 });
  assert.equal(await rows(page), before + 4 + 6);
  assert.equal(await page.isVisible('.ap-error'), false);
  // The browser reports the blocked worker; nothing else went wrong.
  assert.ok(page.errors.length > 0 && page.errors.every((e) => /Content Security Policy/.test(e)), page.errors.join('\n'));
  await page.close();
});
