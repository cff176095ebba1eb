// Export what is on view: the results as CSV (equal to `apiary query --format csv` for the same
// query) and as an Arrow IPC stream (pyarrow reads it: the same rows and columns), the chart as
// PNG (an image of the canvas' size) and SVG (plotters' drawing: a line per series).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { start, newPage, runBuilder, OUT } from './browser.mjs';

let env;
before(async () => { env = await start(); });
after(async () => { await env?.close(); });

async function download(page, kind) {
  const [d] = await Promise.all([page.waitForEvent('download'), page.click(`.ap-export-button[data-export="${kind}"]`)]);
  const file = path.join(OUT, `export-${kind}-${d.suggestedFilename()}`);
  await d.saveAs(file);
  return { name: d.suggestedFilename(), file, bytes: fs.readFileSync(file) };
}

test('the results as CSV and Arrow, the chart as PNG and SVG', async () => {
  const page = await newPage(env.context);
  await page.goto(env.base);
  await page.waitForSelector('.apiary[data-state=ready]', { timeout: 90_000 });
  const spec = await runBuilder(page, { VISUALIZE: 'COUNT, P99(duration_ms)', 'GROUP BY': 'service.name' },
    (s) => s.breakdowns?.[0] === 'service.name' && s.calculations?.length === 2);

  const csv = await download(page, 'CSV');
  assert.match(csv.name, /^apiary-\d{4}-\d\d-\d\dT\d\d-\d\d-\d\d\.csv$/);
  const want = execFileSync(path.join('target', 'debug', 'apiary'), ['query', path.join('www', 'demo.arrow'), '--spec', JSON.stringify(spec), '--format', 'csv'], { encoding: 'utf8' });
  assert.equal(csv.bytes.toString('utf8').trim(), want.trim());

  const arrow = await download(page, 'Arrow');
  const read = JSON.parse(execFileSync(path.join('.tools', 'venv', 'bin', 'python'), ['-c', `
import json, sys, pyarrow.ipc as ipc
t = ipc.open_stream(open(sys.argv[1], 'rb')).read_all()
print(json.dumps({"rows": t.num_rows, "columns": t.column_names, "first": t.slice(0, 1).to_pylist()[0]}, default=str))
`, arrow.file], { encoding: 'utf8' }));
  const lines = want.trim().split('\n');
  assert.equal(read.rows, lines.length - 1);
  assert.deepEqual(read.columns, lines[0].split(','));
  assert.equal(String(read.first['service.name']), lines[1].split(',')[0]);

  const png = await download(page, 'PNG');
  assert.deepEqual([...png.bytes.subarray(1, 4)].map((b) => String.fromCharCode(b)).join(''), 'PNG');
  const [w, h] = [png.bytes.readUInt32BE(16), png.bytes.readUInt32BE(20)];
  const canvas = await page.$eval('canvas.ap-chart', (c) => [c.width, c.height]);
  assert.deepEqual([w, h], canvas);

  const svg = await download(page, 'SVG');
  const text = svg.bytes.toString('utf8');
  assert.match(text, /^<svg[^>]+width="\d+"/);
  // One line per service (plotters writes a polyline per series).
  const groups = lines.length - 1;
  assert.ok((text.match(/<polyline/g) || []).length >= groups, `${(text.match(/<polyline/g) || []).length} polylines for ${groups} series`);
  await page.screenshot({ path: path.join(OUT, 'export.png') });
  assert.deepEqual(page.errors, []);
  await page.close();
});

test('the whole view as a standalone HTML file that opens offline, with no script', async () => {
  const page = await newPage(env.context);
  await page.goto(env.base);
  await page.waitForSelector('.apiary[data-state=ready]', { timeout: 90_000 });
  await runBuilder(page, { VISUALIZE: 'COUNT, P99(duration_ms)', 'GROUP BY': 'region' },
    (s) => s.breakdowns?.[0] === 'region' && s.calculations?.length === 2);
  const rows = await page.$$eval('.ap-results .ap-table tbody tr[data-row]', (r) => r.map((x) => [...x.querySelectorAll('td')].slice(1).map((td) => td.textContent)));
  const html = await download(page, 'HTML');
  assert.match(html.name, /^apiary-.*\.html$/);
  await page.close();

  // Opened from disk with every network request refused: all there, nothing runs.
  const offline = await newPage(env.context);
  const requests = [];
  await offline.route(/^https?:/, (r) => { requests.push(r.request().url()); return r.abort(); });
  await offline.goto(`file://${path.resolve(html.file)}`);
  assert.match(await offline.textContent('h1'), /^Apiary view exported \d{4}-\d\d-\d\d \d\d:\d\d UTC$/);
  assert.match(await offline.textContent('.q'), /VISUALIZE COUNT, P99\(duration_ms\) · GROUP BY region/);
  assert.deepEqual(await offline.$$eval('figcaption', (f) => f.map((x) => x.textContent)), ['COUNT', 'P99(duration_ms)']);
  assert.equal(await offline.$$eval('figure svg', (s) => s.length), 2);
  const lines = await offline.$$eval('figure svg polyline', (p) => p.length);
  assert.ok(lines >= rows.length, `${lines} lines for ${rows.length} groups`);
  const table = await offline.$$eval('tbody tr', (r) => r.map((x) => [...x.querySelectorAll('td')].slice(1).map((td) => td.textContent)));
  assert.equal(table.length, rows.length);
  assert.deepEqual(table.map((r) => r[0]), rows.map((r) => r[0]), 'the same groups in the same order');
  const links = await offline.$$eval('.links a', (a) => a.map((x) => x.getAttribute('href')));
  assert.match(links[0], /#v1\./);
  assert.match(links[1], /#s1\./);
  assert.equal(await offline.evaluate(() => document.scripts.length), 0);
  assert.deepEqual(requests, []);
  await offline.screenshot({ path: path.join(OUT, 'export-html.png'), fullPage: true });
  assert.deepEqual(offline.errors, []);
  await offline.close();
});
