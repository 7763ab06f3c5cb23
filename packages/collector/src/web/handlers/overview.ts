// Builds, stats, population, MCE, thermal and updates routes.
import { cached, mceYear } from '../cached.ts';
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

export const overviewRoutes: Route[] = [
  route('GET', '/builds', async (r) =>
    sendHtml(r.res, 200, buildsPage(r.ctx, await cached.builds(r.memo, r.db))),
  ),
  route('GET', '/stats', async (r) => {
    const [perClass, perPlatform] = await Promise.all([
      cached.statsClass(r.memo, r.db),
      cached.statsPlatform(r.memo, r.db),
    ]);
    sendHtml(r.res, 200, statsPage(r.ctx, perClass, perPlatform));
  }),
  route('GET', '/population', async (r) =>
    sendHtml(r.res, 200, populationPage(r.ctx, await cached.population(r.memo, r.db, r.nowS))),
  ),
  route('GET', '/mce', async (r) => {
    const summary = await cached.mce(r.memo, r.db, r.nowS);
    sendHtml(r.res, 200, mcePage(r.ctx, summary, mceYear(r.nowS)));
  }),
  route('GET', '/thermal', async (r) =>
    sendHtml(r.res, 200, thermalPage(r.ctx, await cached.thermal(r.memo, r.db, r.nowS))),
  ),
  ...['/updates', '/update_matrix'].map((p) =>
    route('GET', p, async (r) =>
      sendHtml(r.res, 200, updatesPage(r.ctx, await cached.updates(r.memo, r.db, r.nowS))),
    ),
  ),
];
