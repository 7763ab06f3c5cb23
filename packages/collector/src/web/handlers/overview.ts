// Builds, stats, population, MCE, thermal and updates routes.
import { buildCounts, classificationCounts, platformCounts, population } from '../queries/aggregates.ts';
import {
  mceRows,
  summariseMce,
  thermalRows,
  thermalWeeks,
  updateMatrix,
  updatePayloads,
} from '../queries/mce.ts';
import { sendHtml } from '../respond.ts';
import { route, type Route } from '../router.ts';
import {
  buildsPage,
  mcePage,
  populationPage,
  statsPage,
  thermalPage,
  updatesPage,
} from '../views/overview.ts';

const WEEK_S = 7 * 86400;

/** Sunday 00:00 UTC starting the current week (strftime %U weeks). */
function weekStart(nowS: number): number {
  const d = new Date(nowS * 1000);
  return Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate() - d.getUTCDay()) / 1000;
}

export const overviewRoutes: Route[] = [
  route('GET', '/builds', async (r) =>
    sendHtml(r.res, 200, buildsPage(r.ctx, await r.memo.get('builds', () => buildCounts(r.db)))),
  ),
  route('GET', '/stats', async (r) => {
    const [perClass, perPlatform] = await Promise.all([
      r.memo.get('stats:class', () => classificationCounts(r.db)),
      r.memo.get('stats:platform', () => platformCounts(r.db)),
    ]);
    sendHtml(r.res, 200, statsPage(r.ctx, perClass, perPlatform));
  }),
  route('GET', '/population', async (r) =>
    sendHtml(
      r.res,
      200,
      populationPage(r.ctx, await r.memo.get('population', () => population(r.db, r.nowS))),
    ),
  ),
  route('GET', '/mce', async (r) => {
    const year = new Date(r.nowS * 1000).getUTCFullYear();
    const summary = await r.memo.get(`mce:${year}`, async () =>
      summariseMce(await mceRows(r.db, Date.UTC(year, 0, 1) / 1000)),
    );
    sendHtml(r.res, 200, mcePage(r.ctx, summary, year));
  }),
  route('GET', '/thermal', async (r) => {
    const weeks = await r.memo.get('thermal', async () =>
      thermalWeeks(await thermalRows(r.db, weekStart(r.nowS) - 4 * WEEK_S)),
    );
    sendHtml(r.res, 200, thermalPage(r.ctx, weeks));
  }),
  ...['/updates', '/update_matrix'].map((p) =>
    route('GET', p, async (r) => {
      const matrix = await r.memo.get('updates', async () =>
        updateMatrix(await updatePayloads(r.db, r.nowS - WEEK_S)),
      );
      sendHtml(r.res, 200, updatesPage(r.ctx, matrix));
    }),
  ),
];
