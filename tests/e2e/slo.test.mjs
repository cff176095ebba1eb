// SLOs in the page: the preset SLO on the demo (its hidden incident burns the budget) saved and
// shown, its numbers the CLI's (`apiary slo`) for the same SLO, the burn-down and history drawn,
// burn alerts firing; BubbleUp of the bad events against the good finds the incident's cohort;
// the link reopens the SLO view; export and import as JSON.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { start, newPage, canvasStats, OUT } from './browser.mjs';

let env;
before(async () => { env = await start(); });
after(async () => { await env?.close(); });

const cli = (slo) => JSON.parse(execFileSync(path.join('target', 'debug', 'apiary'), ['slo', path.join('www', 'demo.arrow'), '--slo', JSON.stringify(slo)], { encoding: 'utf8' }));

test('an SLO on the demo: report equal to the CLI, charts, alerts firing, BubbleUp of bad against good, a link, export and import', async () => {
  const page = await newPage(env.context);
  await page.goto(env.base);
  await page.waitForSelector('.apiary[data-state=ready]', { timeout: 90_000 });
  await page.click('details.ap-slo > summary');
  // The preset is in the form: save it and see it.
  assert.match(await page.inputValue('.ap-slo-sli'), /NOT\(EXISTS\(\$trace\.parent_id\)\)/);
  await page.fill('.ap-slo-target', '99.5');
  await page.click('.ap-slo-save');
  await page.waitForSelector('.ap-slo-report:not([hidden])');
  const slo = { name: await page.inputValue('.ap-slo-name'), sli: await page.inputValue('.ap-slo-sli'), target_percentage: 99.5, time_period_days: 30,
    burn_alerts: [{ type: 'multi_window' }, { type: 'exhaustion_time', exhaustion_minutes: 240 }, { type: 'budget_rate', budget_rate_window_minutes: 60, budget_rate_decrease_percent: 5 }] };
  const want = cli(slo);
  const head = await page.textContent('.ap-slo-headline');
  assert.ok(head.includes(`compliance ${(want.compliance * 100).toFixed(3)}%`), `${head} vs ${want.compliance}`);
  assert.ok(head.includes(`budget left ${(want.budget.remaining * 100).toFixed(1)}%`), `${head} vs ${want.budget.remaining}`);
  assert.ok(head.includes(`${want.sli.bad.toLocaleString('en-US')} bad of ${want.sli.qualified.toLocaleString('en-US')} qualified`), head);
  // The incident burns the budget: some alert fires, as the CLI says.
  const firing = want.alerts.filter((a) => a.fired).length;
  assert.ok(firing > 0);
  assert.equal(Number(await page.getAttribute('.ap-slo', 'data-firing')), firing);
  assert.equal(await page.locator('.ap-slo-alerts tr.ap-slo-firing').count(), firing);
  for (const c of ['canvas.ap-slo-burndown', 'canvas.ap-slo-history']) {
    const s = await canvasStats(page, c, [255, 255, 255]);
    assert.ok(s.other > 300, `${c} is drawn: ${s.other} pixels`);
  }
  // The SLI's events: good cells green, the incident's bad ones red.
  const hues = await page.evaluate(() => {
    const c = document.querySelector('canvas.ap-slo-heatmap');
    const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
    let red = 0, green = 0;
    for (let i = 0; i < d.length; i += 4) {
      if (d[i] > d[i + 1] + 60 && d[i] > d[i + 2] + 60) red++;
      if (d[i + 1] > d[i] + 30 && d[i + 1] > d[i + 2] + 30) green++;
    }
    return { red, green };
  });
  assert.ok(hues.green > 1000 && hues.red > 100, JSON.stringify(hues));
  await page.screenshot({ path: path.join(OUT, 'slo.png'), fullPage: true });

  // BubbleUp of the bad events against the good: the incident's cohort comes first.
  await page.click('.ap-slo-bubbleup');
  await page.waitForSelector('.ap-bubbleup:not([hidden]) .ap-bu-col', { timeout: 30_000 });
  const spec = JSON.parse(await page.getAttribute('.apiary', 'data-spec'));
  assert.equal(spec.calculated_fields[0].expression, slo.sli);
  const top = await page.$$eval('.ap-bubbleup .ap-bu-name', (cols) => cols.slice(0, 4).map((c) => c.textContent));
  assert.ok(top.some((t) => /region|app\.version/.test(t)), top.join(' | '));

  // The link reopens the SLO view.
  const fresh = await newPage(env.context);
  await fresh.goto(page.url());
  await fresh.waitForSelector('.ap-slo[data-slo] .ap-slo-report:not([hidden])', { timeout: 90_000 });
  assert.equal(await fresh.textContent('.ap-slo-headline'), head);
  assert.deepEqual(fresh.errors, []);
  await fresh.close();

  // Export, then import under another name: both saved.
  const [download] = await Promise.all([page.waitForEvent('download'), page.click('.ap-slo-export')]);
  const exported = JSON.parse(fs.readFileSync(await download.path(), 'utf8'));
  assert.equal(exported[0].sli, slo.sli);
  const file = path.join(OUT, 'slo-import.json');
  fs.writeFileSync(file, JSON.stringify([{ ...exported[0], name: 'Imported', target_percentage: 99 }]));
  await page.setInputFiles('.ap-slo-import input', file);
  await page.waitForFunction(() => document.querySelector('.ap-slo').dataset.slo === 'Imported');
  assert.deepEqual(await page.$$eval('.ap-slo-chip .ap-linkish', (b) => b.map((x) => x.textContent)), [slo.name, 'Imported']);
  // A bad SLI is an error at the character; the SLO on view stays.
  await page.fill('.ap-slo-sli', 'LT($nope, 1)');
  await page.fill('.ap-slo-name', 'Broken');
  await page.click('.ap-slo-save');
  await page.waitForSelector('.ap-slo-error:not([hidden])');
  assert.match(await page.textContent('.ap-slo-error'), /the SLI: no column named "nope" at character 4/);
  // Not saved; the SLO on view stays.
  assert.deepEqual(await page.$$eval('.ap-slo-chip .ap-linkish', (b) => b.map((x) => x.textContent)), [slo.name, 'Imported']);
  assert.equal(await page.getAttribute('.ap-slo', 'data-slo'), 'Imported');
  assert.deepEqual(page.errors, []);
  await page.close();
});
