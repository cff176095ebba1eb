// Shared set-up for the browser tests: Debian's Chromium driven by playwright-core (never a
// downloaded browser), and the built app served from 127.0.0.1.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium } from 'playwright-core';
import { serve } from '../../scripts/serve.mjs';

export const DIST = process.env.APIARY_DIST || 'dist';
export const OUT = path.join('tests', 'e2e', 'out');

const ARGS = [
  '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-dev-shm-usage',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
];

/** Start the server and the browser; returns {base, context, close}. */
export async function start() {
  if (!fs.existsSync(path.join(DIST, 'index.html'))) {
    throw new Error(`no built app in ${DIST}: build it first (scripts/test does)`);
  }
  fs.mkdirSync(OUT, { recursive: true });
  const server = await serve(DIST, 0);
  const base = `http://127.0.0.1:${server.address().port}/`;
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'apiary-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    headless: true,
    args: ARGS,
    viewport: { width: 1280, height: 860 },
  });
  return {
    base,
    context,
    async close() {
      await context.close();
      await new Promise((r) => server.close(r));
      fs.rmSync(profile, { recursive: true, force: true });
    },
  };
}

/** A new page that records uncaught errors and console errors in `page.errors`. */
export async function newPage(context) {
  const page = await context.newPage();
  page.errors = [];
  page.on('pageerror', (e) => page.errors.push(String(e)));
  page.on('console', (m) => { if (m.type() === 'error') page.errors.push(m.text()); });
  return page;
}

/** Pixels of a canvas: how many differ from its background, and how many are near `rgb`. */
export async function canvasStats(page, selector, rgb) {
  return page.evaluate(([sel, [r, g, b]]) => {
    const c = document.querySelector(sel);
    const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
    const bg = [d[0], d[1], d[2]];
    let other = 0, near = 0;
    for (let i = 0; i < d.length; i += 4) {
      if (Math.abs(d[i] - bg[0]) + Math.abs(d[i + 1] - bg[1]) + Math.abs(d[i + 2] - bg[2]) > 30) other++;
      if (Math.abs(d[i] - r) + Math.abs(d[i + 1] - g) + Math.abs(d[i + 2] - b) < 40) near++;
    }
    return { width: c.width, height: c.height, other, near };
  }, [selector, rgb]);
}

/** Type `text` into the query JSON editor (opening its fold first, as a person would). */
export async function fillSpec(page, text) {
  if (!(await page.locator('details.ap-json').evaluate((d) => d.open))) await page.click('details.ap-json > summary');
  await page.fill('.ap-spec', text);
}

/** The results table's cells (after the swatch), row by row: a cell's data-value, else its text. */
export const tableValues = (page) => page.$$eval('.ap-results .ap-table tbody tr', (rows) => rows.map((r) => [...r.querySelectorAll('td')].slice(1).map((td) => td.dataset.value ?? td.textContent)));

/** Run `spec` from the query JSON editor and wait until the address holds its new view. */
export async function runQuery(page, spec) {
  await fillSpec(page, JSON.stringify(spec, null, 2));
  const before = await page.evaluate(() => location.hash);
  await page.click('.ap-run');
  await page.waitForFunction((h) => location.hash !== h, before);
}

/** The demo data rewritten by pyarrow into 500-row batches (200 of them), made once per run. */
let smallPath;
export function smallBatches() {
  if (smallPath) return smallPath;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'apiary-e2e-'));
  smallPath = path.join(dir, 'small_batches.arrow');
  execFileSync(path.join('.tools', 'venv', 'bin', 'python'), ['-c', `
import pyarrow as pa, pyarrow.ipc as ipc, sys
t = ipc.open_stream(open(sys.argv[1], 'rb')).read_all()
with ipc.new_stream(sys.argv[2], t.schema) as w:
    w.write_table(t, max_chunksize=500)
`, path.join('www', 'demo.arrow'), smallPath]);
  process.on('exit', () => fs.rmSync(dir, { recursive: true, force: true }));
  return smallPath;
}

/** Page coordinates of data points on the plot (log or linear value axis, from data-plot). */
export async function plot(page, selector = 'canvas.ap-chart') {
  const parts = (await page.getAttribute(selector, 'data-plot')).split(',');
  const [left, top, right, bottom, t0, t1, y0, y1] = parts.slice(0, 8).map(Number);
  const log = parts[8] === 'log';
  const box = await page.locator(selector).first().boundingBox();
  const f = (v) => (log ? Math.log10(v) : v);
  return {
    log, t0, t1, y0, y1,
    x: (t) => box.x + left + ((t - t0) / (t1 - t0)) * (right - left),
    y: (v) => box.y + bottom - ((f(v) - f(y0)) / (f(y1) - f(y0))) * (bottom - top),
  };
}

/** The builder's input box for `clause` (VISUALIZE, WHERE, GROUP BY, …). */
export const box = (clause) => `.ap-clause[data-clause="${clause}"] input`;

/**
 * Fill the builder's boxes and press Enter in LIMIT (no completions there); wait until the query
 * that ran is the one `done` accepts (debounced runs of half-typed states may come first) and has
 * been shown.
 */
export async function runBuilder(page, clauses, done) {
  for (const [clause, text] of Object.entries(clauses)) await page.fill(box(clause), text);
  await page.focus(box('LIMIT'));
  await page.keyboard.press('Enter');
  for (let i = 0; i < 600; i++) {
    const spec = JSON.parse(await page.getAttribute('.apiary', 'data-spec'));
    if (done(spec) && await page.getAttribute('.apiary', 'data-state') === 'ready') return spec;
    await page.waitForTimeout(100);
  }
  throw new Error('the built query never ran');
}

/** Write page `name` into the served app: its index.html with `from` replaced by `to` (a host's
 * attributes, a content security policy). Returns `name`. */
export function hostPage(name, from, to) {
  const html = fs.readFileSync(path.join(DIST, 'index.html'), 'utf8');
  if (!html.includes(from)) throw new Error(`index.html has no ${from}`);
  fs.writeFileSync(path.join(DIST, name), html.replace(from, to));
  return name;
}
