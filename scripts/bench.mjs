// Runs the browser benchmark page (www/bench) in Debian's headless Chromium, once per data size,
// and prints the table: engine start, load, each query's median, Apiary/DuckDB ratios, whether the
// answers agree, memory, and the app's wasm size. Usage: node scripts/bench.mjs DIR ROWS[,ROWS…] [RUNS] [WARMUP]
// where DIR holds index.html, bench.mjs, pkg/ and data/demo-ROWS.arrow (scripts/bench makes it).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import { chromium } from 'playwright-core';
import { serve } from './serve.mjs';

const [dir, rowsArg = '1000000', runsArg = '5', warmupArg = '1'] = process.argv.slice(2);
if (!dir) {
  console.error('usage: node scripts/bench.mjs DIR ROWS[,ROWS…] [RUNS] [WARMUP]');
  process.exit(2);
}
const ARGS = [
  '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-dev-shm-usage',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
  // Diagnostics only (BENCHMARKS.md): e.g. BENCH_JS_FLAGS=--no-wasm-dynamic-tiering, every
  // function compiled by the optimizing tier at start, to see what the tiers cost a first run.
  ...(process.env.BENCH_JS_FLAGS ? [`--js-flags=${process.env.BENCH_JS_FLAGS}`] : []),
];

/** Private (unshared) memory of a process in bytes, from /proc/PID/smaps_rollup. */
function privateBytes(pid) {
  try {
    const t = fs.readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8');
    let kb = 0;
    for (const m of t.matchAll(/^Private_(?:Clean|Dirty):\s+(\d+) kB/gm)) kb += Number(m[1]);
    return kb * 1024;
  } catch {
    return 0;
  }
}

/** Chromium's renderer processes (descendants of the browser process with --type=renderer). */
function renderers(browserPid) {
  const parent = new Map();
  for (const p of fs.readdirSync('/proc').filter((x) => /^\d+$/.test(x))) {
    try {
      const stat = fs.readFileSync(`/proc/${p}/stat`, 'utf8');
      parent.set(Number(p), Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]));
    } catch { /* gone */ }
  }
  const isDescendant = (pid) => {
    for (let p = pid, i = 0; p > 1 && i < 20; p = parent.get(p), i++) if (p === browserPid) return true;
    return false;
  };
  return [...parent.keys()].filter((pid) => {
    try {
      return isDescendant(pid) && fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('--type=renderer');
    } catch {
      return false;
    }
  });
}

const mb = (b) => (b / 1048576).toFixed(1);

/** DuckDB-Wasm is not run past this many rows: at 5M it needs 4.1 GB of renderer memory for its
 * load (BENCHMARKS.md), and its wasm32 memory cannot hold 10M. */
const DUCKDB_MAX_ROWS = 5_000_000;

async function runOne(base, browserPid, context, rows, runs, second = false, warm = false) {
  const page = await context.newPage();
  const errors = [];
  // An uncaught error (a module that does not load, say) ends the run at once.
  let failed;
  const failure = new Promise((resolve) => { failed = resolve; });
  page.on('pageerror', (e) => { errors.push(String(e)); failed(); });
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(m.text());
    else if (m.type() === 'log') process.stderr.write(`  page: ${m.text()}\n`);
  });
  // The page asks for the renderer's private memory at each phase; the busiest renderer is ours.
  await page.exposeFunction('benchSample', () => Math.max(0, ...renderers(browserPid).map(privateBytes)));
  const formats = !second && fs.existsSync(path.join(dir, 'data', `demo-${rows}.parquet`)) ? 1 : 0;
  const duck = warm ? '&duckdb=0&why=warm-up%20visit&warm=1' : rows > DUCKDB_MAX_ROWS ? `&duckdb=0&why=${encodeURIComponent(`not run past ${DUCKDB_MAX_ROWS.toLocaleString('en-US')} rows (its load needs 4.1 GB of renderer memory at 5M; its wasm32 memory cannot hold 10M)`)}` : '';
  await page.goto(`${base}index.html?data=data/demo-${rows}.arrow&runs=${second ? 1 : runs}&warmup=${second ? 1 : Number(warmupArg)}&formats=${formats}${duck}`);
  await Promise.race([page.waitForFunction(() => window.benchResult, null, { timeout: 30 * 60 * 1000, polling: 500 }), failure]);
  if (errors.length && !(await page.evaluate(() => window.benchResult))) {
    throw new Error(`benchmark page failed at ${rows} rows:\n${errors.join('\n')}`);
  }
  const r = await page.evaluate(() => window.benchResult);
  await page.close();
  if (r.error) throw new Error(`benchmark page failed at ${rows} rows: ${r.error}\n${errors.join('\n')}`);
  return r;
}

function table(r) {
  const lines = [];
  const ratio = (a, d) => (!(d > 0) ? '—' : d / a >= 1 ? `${(d / a).toFixed(1)}× faster` : `${(a / d).toFixed(1)}× slower`);
  const ms = (x, digits) => (typeof x === 'number' ? x.toFixed(digits) : '—');
  const d = r.duckdb || {};
  lines.push(`### ${r.rows.toLocaleString('en-US')} rows (${mb(r.bytes)} MB of Arrow IPC), median of ${r.runs} runs after ${r.warmup} warm-up pass${r.warmup === 1 ? '' : 'es'}`);
  lines.push('');
  const visits = r.queries.some((q) => q.apiary_second_ms !== undefined);
  const warmed = r.queries.some((q) => q.apiary_warm_ms !== undefined);
  lines.push(`| step | Apiary ms | DuckDB-Wasm ms | Apiary vs DuckDB | cold first run: Apiary / DuckDB ms | first runs: Apiary vs DuckDB |${warmed ? ' first run after the warm-up (first visit): Apiary ms, vs DuckDB\'s first run |' : ''}${visits ? ' cold first run, second visit: Apiary / DuckDB ms |' : ''} answers |`);
  lines.push(`|---|---:|---:|---|---:|---|${warmed ? '---:|' : ''}${visits ? '---:|' : ''}---|`);
  const pad = (warmed ? ' |' : '') + (visits ? ' |' : '');
  lines.push(`| engine start | ${ms(r.apiary.start_ms, 1)} | ${ms(d.start_ms, 1)} | ${ratio(r.apiary.start_ms, d.start_ms)} | | |${pad} |`);
  const gbs = (ms) => (r.bytes / 1e9 / (ms / 1e3)).toFixed(2);
  lines.push(`| load (bytes in page memory → queryable: the copy into wasm memory, then the engine) | ${ms(r.apiary.load_ms, 1)} (${gbs(r.apiary.load_ms)} GB/s) | ${ms(d.load_ms, 1)}${d.load_ms ? ` (${gbs(d.load_ms)} GB/s)` : ''} | ${ratio(r.apiary.load_ms, d.load_ms)} | | |${pad} ${d.load_ms ? 'rows agree' : ''} |`);
  if (typeof r.apiary.engine_load_ms === 'number') {
    lines.push(`| of which in the engine: bytes in wasm memory → queryable (decode, checks, data set) | ${ms(r.apiary.engine_load_ms, 1)} (${gbs(r.apiary.engine_load_ms)} GB/s) | | | | |${pad} |`);
  }
  if (typeof r.copy_floor_ms === 'number') {
    lines.push(`| of which the floor: copying the bytes into fresh wasm memory (no decoding) | ${ms(r.copy_floor_ms, 1)} (${gbs(r.copy_floor_ms)} GB/s) | | | | |${pad} |`);
  }
  for (const q of r.queries) {
    const answers = q.duckdb_ms === undefined ? 'not compared' : q.mismatch ? 'DIFFER: ' + q.mismatch : 'same';
    const second = visits ? ` ${ms(q.apiary_second_ms, 1)} / ${ms(q.duckdb_second_ms, 1)} |` : '';
    const warm = warmed ? ` ${ms(q.apiary_warm_ms, 1)}${q.duckdb_first_ms ? `, ${ratio(q.apiary_warm_ms, q.duckdb_first_ms)}` : ''} |` : '';
    lines.push(`| ${q.name} | ${ms(q.apiary_ms, 2)} | ${ms(q.duckdb_ms, 2)} | ${ratio(q.apiary_ms, q.duckdb_ms)} | ${ms(q.apiary_first_ms, 1)} / ${ms(q.duckdb_first_ms, 1)} | ${ratio(q.apiary_first_ms, q.duckdb_first_ms)} |${warm}${second} ${answers} |`);
  }
  if (d.error) lines.push(`\nDuckDB-Wasm did not finish: ${d.error}`);
  if (r.formats) {
    lines.push('');
    lines.push('Load by format (Apiary, bytes in memory → queryable, one load each):');
    lines.push('');
    lines.push('| format | MB | ms | MB/s | rows/s |');
    lines.push('|---|---:|---:|---:|---:|');
    for (const f of r.formats) {
      lines.push(`| ${f.name} | ${(f.bytes / 1e6).toFixed(1)} | ${f.ms.toFixed(1)} | ${(f.bytes / 1e3 / f.ms).toFixed(0)} | ${Math.round(f.rows / f.ms * 1e3).toLocaleString('en-US')} |`);
    }
  }
  const m = r.memory;
  const a = r.apiary;
  lines.push('');
  lines.push(`Memory: Arrow buffers ${mb(a.arrow_bytes)} MB; Apiary wasm memory ${mb(a.wasm_memory_before)} → ${mb(a.wasm_memory_after_load)} MB after load (added ${(((a.wasm_memory_after_load - a.wasm_memory_before) / a.arrow_bytes)).toFixed(2)}× the Arrow bytes), ${mb(a.wasm_memory_after_queries)} MB after the queries.`);
  if (m.before) {
    let line = `Renderer private memory: ${mb(m.before)} MB with the bytes fetched; ${mb(m.apiary_loaded)} after Apiary's load (+${mb(m.apiary_loaded - m.before)}); ${mb(m.apiary_done)} after its queries`;
    if (m.duckdb_loaded) line += `; ${mb(m.duckdb_loaded)} after DuckDB's load (+${mb(m.duckdb_loaded - m.apiary_done)})`;
    if (m.duckdb_done) line += `; ${mb(m.duckdb_done)} after its queries`;
    lines.push(line + '.');
  }
  if (typeof a.warm_ms === 'number') {
    lines.push(`Warm-up visit: a fresh profile, \`Engine.warmUp()\` right after the load took ${a.warm_ms.toFixed(1)} ms, then 1 s idle before the first query.`);
  }
  lines.push(`DuckDB-Wasm ${d.version || '(not started)'} (eh bundle, one thread).`);
  return lines.join('\n');
}

/** Debian's Chromium in a fresh profile: its context, the browser process's pid, its version. */
async function browserIn() {
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'apiary-bench-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    headless: true,
    args: ARGS,
  });
  // launchPersistentContext has no Browser object; find the browser process by its profile dir.
  const pid = [...fs.readdirSync('/proc')].filter((x) => /^\d+$/.test(x)).map(Number).find((p) => {
    try {
      const c = fs.readFileSync(`/proc/${p}/cmdline`, 'utf8');
      return c.includes(profile) && !c.includes('--type=');
    } catch {
      return false;
    }
  });
  const p = await context.newPage();
  const version = await p.evaluate(() => navigator.userAgent.match(/Chrome\/[\d.]+/)?.[0] ?? navigator.userAgent);
  await p.close();
  return {
    context,
    pid,
    version,
    async close() {
      await context.close();
      fs.rmSync(profile, { recursive: true, force: true });
    },
  };
}

async function main() {
  const wasmPath = path.join(dir, 'pkg', 'apiary_bg.wasm');
  const wasm = fs.readFileSync(wasmPath);
  const gz = zlib.gzipSync(wasm, { level: 9 }).length;
  const server = await serve(dir, 0);
  const base = `http://127.0.0.1:${server.address().port}/`;
  const out = [];
  let ok = true;
  try {
    for (const rows of rowsArg.split(',').map(Number)) {
      // A browser profile of its own per size: the first visit finds no compiled code cached.
      const b = await browserIn();
      try {
        if (!out.length) {
          out.push(`Apiary vs DuckDB-Wasm, ${new Date().toISOString().slice(0, 10)}, ${os.cpus().length} × ${os.cpus()[0].model}, ${b.version}`);
          out.push(`Apiary wasm (served app build): ${(wasm.length / 1e6).toFixed(2)} MB raw, ${(gz / 1e6).toFixed(2)} MB gzipped (level 9).`);
          out.push('');
        }
        const r = await runOne(base, b.pid, b.context, rows, Number(runsArg));
        // The same page opened again in the same profile (SECOND_VISIT=0 skips it): what a
        // returning user's first queries cost, with the compiled code the browser cached.
        // A first visit again (a fresh profile: no cached code), where the engine runs the
        // page's warm-up after the load and the first queries come a second later
        // (WARM_VISIT=0 skips it).
        if (process.env.WARM_VISIT !== '0') {
          const w = await browserIn();
          try {
            const warm = await runOne(base, w.pid, w.context, rows, 1, true, true);
            r.apiary.warm_ms = warm.apiary.warm_ms;
            for (const [i, q] of warm.queries.entries()) {
              if (r.queries[i]) r.queries[i].apiary_warm_ms = q.apiary_first_ms;
            }
          } finally {
            await w.close();
          }
        }
        if (process.env.SECOND_VISIT !== '0') {
          const again = await runOne(base, b.pid, b.context, rows, 1, true);
          for (const [i, q] of again.queries.entries()) {
            if (!r.queries[i]) continue;
            r.queries[i].apiary_second_ms = q.apiary_first_ms;
            r.queries[i].duckdb_second_ms = q.duckdb_first_ms;
          }
        }
        out.push(table(r));
        out.push('');
        if (r.queries.some((q) => q.mismatch)) ok = false;
        console.log(out.join('\n'));
        out.length = 0;
        out.push('');
      } finally {
        await b.close();
      }
    }
  } finally {
    await new Promise((r) => server.close(r));
  }
  if (!ok) {
    console.error('bench: the engines disagree on some answers (see the table)');
    process.exit(1);
  }
}

main().catch((e) => {
  console.error(e.stack || String(e));
  process.exit(1);
});
