// The npm-shaped package (scripts/package): a host page that imports pkg/apiary.js itself (no
// trunk, no index.html of ours) gets <apiary-view> elements and the Engine; the types ship with
// it; the decoder module is found where the host says.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { start, newPage, DIST, OUT } from './browser.mjs';

const PKG = process.env.APIARY_PKG || path.join('target', 'pkg-test');
let env;
before(async () => { env = await start(); });
after(async () => { await env?.close(); });

test('a host page imports the package: two elements, the Engine, Parquet through the decoder module', async () => {
  assert.ok(fs.existsSync(path.join(PKG, 'apiary.js')), `no package in ${PKG}: scripts/package --dev ${PKG}`);
  const pkg = JSON.parse(fs.readFileSync(path.join(PKG, 'package.json'), 'utf8'));
  for (const f of pkg.files) assert.ok(fs.existsSync(path.join(PKG, f)), `package.json names ${f}`);
  assert.match(fs.readFileSync(path.join(PKG, 'apiary.d.ts'), 'utf8'), /export class Engine/);
  assert.match(fs.readFileSync(path.join(PKG, 'apiary-view.d.ts'), 'utf8'), /'apiary-view': ApiaryViewElement/);
  fs.rmSync(path.join(DIST, 'vendor'), { recursive: true, force: true });
  fs.cpSync(PKG, path.join(DIST, 'vendor', 'apiary-view'), { recursive: true });
  fs.copyFileSync(path.join('tests', 'fixtures', 'wide_snappy.parquet'), path.join(DIST, 'host-wide.parquet'));
  fs.writeFileSync(path.join(DIST, 'package-host.html'), `<!DOCTYPE html><html><head><meta charset="utf-8"><link rel="icon" href="data:,">
<link rel="stylesheet" href="vendor/apiary-view/apiary.css"></head><body>
<h1>A portal</h1>
<apiary-view id="one" src="demo.arrow"></apiary-view>
<apiary-view id="two" src="host-wide.parquet" decoder-url="vendor/apiary-view/apiary-decoder.wasm"></apiary-view>
<script type="module">
  import init, { Engine } from './vendor/apiary-view/apiary.js';
  window.runs = [];
  document.addEventListener('query-run', (e) => window.runs.push(e.target.id));
  await init();
  const engine = new Engine();
  engine.load('demo.arrow', new Uint8Array(await (await fetch('demo.arrow')).arrayBuffer()));
  window.engineCount = JSON.parse(engine.query('{"calculations":[{"op":"COUNT"}],"time_range":999999999}')).results[0].data.COUNT;
</script></body></html>`);
  const page = await newPage(env.context);
  const decoder = [];
  page.on('request', (r) => { if (/apiary-decoder\.wasm$/.test(r.url())) decoder.push(new URL(r.url()).pathname); });
  await page.goto(env.base + 'package-host.html');
  await page.waitForSelector('apiary-view#one .apiary[data-state=ready]', { timeout: 90_000 });
  await page.waitForSelector('apiary-view#two .apiary[data-state=ready]', { timeout: 90_000 });
  assert.equal(await page.getAttribute('apiary-view#one .apiary', 'data-rows'), '100000');
  assert.equal(await page.getAttribute('apiary-view#two .apiary', 'data-rows'), '6');
  assert.deepEqual(decoder, ['/vendor/apiary-view/apiary-decoder.wasm']);
  await page.waitForFunction(() => window.engineCount !== undefined);
  assert.ok(await page.evaluate(() => window.engineCount) > 100000, 'weighted COUNT of the demo');
  const runs = await page.evaluate(() => window.runs);
  assert.ok(runs.includes('one') && runs.includes('two'), runs.join(','));
  await page.screenshot({ path: path.join(OUT, 'package-host.png') });
  assert.deepEqual(page.errors, []);
  await page.close();
});
