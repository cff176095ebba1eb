// How long the SLO view takes to show in the page (#20: "the SLO view for 5M events renders in
// under a second"): the app loads DATA (an Arrow file beside the built app), then the demo's
// preset SLO is saved and shown; the time is from the click to the frame after the report, its
// charts and the SLI's heatmap are drawn. Prints numbers, asserts nothing.
//
//   node scripts/slo-view.mjs DIST DATA [RUNS]    (DATA: a path under DIST, e.g. data/demo-5000000.arrow)
import { timeView } from './view-timing.mjs';

await timeView({
  what: 'slo-view',
  prepare: async (page, r) => {
    await page.click('details.ap-slo > summary');
    await page.fill('.ap-slo-name', `SLO ${r}`);
  },
  click: '.ap-slo-save',
  done: "document.querySelector('.ap-slo').dataset.slo && !document.querySelector('.ap-slo-report').hidden",
  describe: async (page) => `${(await page.textContent('.ap-slo-headline')).slice(0, 90)}…`,
});
