// The load benchmark (BENCHMARKS.md, issue #23): one load per fresh browser, so every load is a
// user's first load into new wasm memory. For each size and each way in: Engine.load(bytes)
// (the file already in the page's memory), Engine.loadUrl (over HTTP from this machine, decoded
// as it arrives) and Engine.loadBlob (a file picked in a file input: read from disk as a stream).
// Prints a markdown table of medians; asserts nothing but that every load gives its rows.
// Usage: node scripts/bench-load.mjs DIR ROWS[,ROWS…] [RUNS]   (DIR as scripts/bench makes it)
import path from 'node:path';
import { launch } from './chromium.mjs';
import { serve } from './serve.mjs';
import { median } from './median.mjs';

const [dir, rowsArg = '1000000,5000000,10000000', runsArg = '3'] = process.argv.slice(2);
if (!dir) {
  console.error('usage: node scripts/bench-load.mjs DIR ROWS[,ROWS…] [RUNS]');
  process.exit(2);
}
const runs = Number(runsArg);
const server = await serve(dir, 0);
const base = `http://127.0.0.1:${server.address().port}/`;
const WAYS = [
  ['url-read', 'the network\'s own pace: the same body read to its end in JavaScript, chunks only counted'],
  ['blob-read', 'the disk\'s own pace: the same file read as a stream in JavaScript, chunks only counted'],
  ['bytes', 'Engine.load(bytes): bytes in the page\'s memory → queryable (one copy into wasm memory)'],
  ['url', 'Engine.loadUrl: HTTP body from this machine → queryable, decoded as it arrives'],
  ['blob', 'Engine.loadBlob: a picked file read from disk as a stream → queryable'],
];

// LOAD_WAYS=url,blob runs only those.
const only = process.env.LOAD_WAYS ? process.env.LOAD_WAYS.split(',') : null;

async function once(rows, how) {
  const browser = await launch();
  try {
    const page = await browser.context.newPage();
    const errors = [];
    page.on('pageerror', (e) => errors.push(String(e)));
    const data = `data/demo-${rows}.arrow`;
    await page.goto(`${base}load.html?data=${data}&how=${how}`);
    if (how.startsWith('blob')) {
      await page.waitForFunction(() => window.loadReady, null, { timeout: 60_000 });
      await page.setInputFiles('#file', path.join(dir, data));
    }
    await page.waitForFunction(() => window.loadResult, null, { timeout: 20 * 60_000, polling: 200 });
    const r = await page.evaluate(() => window.loadResult);
    if (r.error) throw new Error(`${how} at ${rows} rows: ${r.error}\n${errors.join('\n')}`);
    if (!how.endsWith('-read') && (r.rows !== rows || r.counted !== rows)) throw new Error(`${how} at ${rows} rows: loaded ${r.rows}, counted ${r.counted}`);
    return r;
  } finally {
    await browser.close();
  }
}

const lines = ['| rows | way in | MB | ms (median) | GB/s | runs (ms) | wasm memory after (MB) |', '|---:|---|---:|---:|---:|---|---:|'];
for (const rows of rowsArg.split(',').map(Number)) {
  for (const [how, label] of WAYS.filter(([h]) => !only || only.includes(h))) {
    const got = [];
    for (let i = 0; i < runs; i++) {
      const r = await once(rows, how);
      process.stderr.write(`  ${rows} ${how}: ${r.ms.toFixed(0)} ms${r.engine_ms === undefined ? '' : ` (engine ${r.engine_ms.toFixed(0)} ms)`}\n`);
      got.push(r);
    }
    const ms = median(got.map((r) => r.ms));
    const bytes = got[0].bytes ?? got[0].arrow_bytes;
    lines.push(`| ${rows.toLocaleString('en-US')} | ${label} | ${(bytes / 1e6).toFixed(1)} | ${ms.toFixed(1)} | ${(bytes / 1e9 / (ms / 1e3)).toFixed(2)} | ${got.map((r) => r.ms.toFixed(0)).join(', ')} | ${(got[0].wasm_memory_after / 1048576).toFixed(0)} |`);
    if (how === 'bytes') {
      const e = median(got.map((r) => r.engine_ms));
      lines.push(`| | of which in the engine (bytes in wasm memory → queryable) | | ${e.toFixed(1)} | ${(bytes / 1e9 / (e / 1e3)).toFixed(2)} | | |`);
    }
  }
}
console.log(lines.join('\n'));
server.close();
