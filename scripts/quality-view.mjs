// How long the quality report takes in the page (#21: "5M local events in under 2 seconds"):
// the app loads DATA (an Arrow file beside the built app), then "Check instrumentation" is
// clicked; the time is from the click to the frame after the report (tables, grid, findings) is
// drawn, and the engine's own part as the page reports it. Prints numbers, asserts nothing.
//
//   node scripts/quality-view.mjs DIST DATA [RUNS]    (DATA: a path under DIST, e.g. data/demo-5000000.arrow)
import { timeView } from './view-timing.mjs';

await timeView({
  what: 'quality-view',
  prepare: (page) => page.click('details.ap-quality > summary'),
  click: '.ap-quality-check',
  done: "document.querySelector('.ap-quality').dataset.state === 'done'",
  describe: async (page) => `${await page.textContent('.ap-quality-status')}; ${await page.getAttribute('.ap-quality', 'data-findings')} findings`,
});
