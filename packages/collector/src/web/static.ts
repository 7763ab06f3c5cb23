// /telemetryui/static/: the stylesheet, the chart script and Chart.js itself,
// served by the collector (fleets run on closed networks: no CDN).
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { CHARTS_JS } from './static/charts-client.ts';
import { STYLE_CSS } from './static/style.ts';

export interface Asset {
  type: string;
  body: Buffer;
  etag: string;
}

function asset(type: string, text: string | Buffer): Asset {
  const body = typeof text === 'string' ? Buffer.from(text) : text;
  return { type, body, etag: `"${body.length.toString(36)}-${hash(body)}"` };
}

function hash(b: Buffer): string {
  let h = 2166136261;
  for (let i = 0; i < b.length; i += 97) h = Math.imul(h ^ (b[i] ?? 0), 16777619);
  return (h >>> 0).toString(36);
}

/** Chart.js's own UMD build from the installed package (resolved like an import). */
function chartJs(): Buffer {
  const require = createRequire(import.meta.url);
  const main = require.resolve('chart.js'); // .../chart.js/dist/chart.cjs
  return readFileSync(join(dirname(main), 'chart.umd.min.js'));
}

let assets: Map<string, Asset> | undefined;

export function staticAsset(name: string): Asset | undefined {
  assets ??= new Map([
    ['style.css', asset('text/css; charset=utf-8', STYLE_CSS)],
    ['charts.js', asset('text/javascript; charset=utf-8', CHARTS_JS)],
    ['chart.umd.min.js', asset('text/javascript; charset=utf-8', chartJs())],
  ]);
  return assets.get(name);
}
