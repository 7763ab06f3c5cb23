// The whole chain into the real collector process, on SQLite and on PostgreSQL: hprobe and
// crashprobe (a real core from the vectors, as the kernel pipes it) send to telemd (the built
// dist/telemd.mjs), which delivers to telemetrics-collector; the crash is processed on ingest.
import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { gunzipSync } from 'node:zlib';
import { openDb } from '../../packages/collector/src/db/open.ts';
import { spawnCollector } from '../helpers/collector-process.ts';
import { inCI } from '../helpers/need.ts';
import { pollFor } from '../helpers/poll.ts';
import { type PostgresCluster, postgresAvailable, startPostgres } from '../helpers/postgres.ts';
import { binPath, runBin } from '../helpers/run-bin.ts';
import { spawnTelemd } from '../helpers/telemd.ts';
import { CRASHME_G_ARGS, readVector } from '../helpers/vectors.ts';

const HPROBE = binPath('packages/hprobe/dist/hprobe.mjs');
const CRASHPROBE = binPath('packages/crashprobe/dist/crashprobe.mjs');

let dir = '';
let cluster: PostgresCluster | undefined;
before(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'collector-clients-'));
  chmodSync(dir, 0o755);
  if (postgresAvailable() || inCI) cluster = await startPostgres();
});
after(async () => {
  await cluster?.close();
  rmSync(dir, { recursive: true, force: true });
});

/**
 * A probe config sending to telemd's socket, opted in (world-readable: crashprobe drops root).
 * It names the collector too: telemd delivers a record to the server of the config its probe used.
 */
function probeConfig(name: string, socket: string, server: string): string {
  const optIn = path.join(dir, 'opt-in');
  writeFileSync(optIn, '');
  const conf = path.join(dir, `${name}.conf`);
  writeFileSync(
    conf,
    `[settings]\nserver=${server}\nsocket_path=${socket}\nopt_in_file=${optIn}\nprivacy_filters_override_file=${path.join(dir, 'none')}\n`,
  );
  chmodSync(conf, 0o644);
  return conf;
}

interface Listed {
  records: { id: number; classification: string; payload: string; severity: number }[];
}

async function waitForRecords(url: string, n: number): Promise<Listed['records']> {
  let seen = 0;
  return pollFor(
    async () => {
      const list = (await (await fetch(`${url}/api/records`)).json()) as Listed;
      seen = list.records.length;
      return seen >= n ? list.records : undefined;
    },
    () => `${n} records (only ${seen} after 60 s)`,
    { timeoutMs: 60_000, intervalMs: 100 },
  );
}

describe('hprobe and crashprobe through telemd into the collector', () => {
  for (const dialect of ['sqlite', 'postgres'] as const) {
    test(dialect, async (t) => {
      if (dialect === 'postgres' && cluster === undefined) return t.skip('no PostgreSQL');
      const db =
        dialect === 'sqlite' ? `sqlite:${path.join(dir, 'chain.db')}` : await cluster!.createDatabase();
      await using collector = await spawnCollector({ db });
      await using telemd = await spawnTelemd({ server: collector.v2Url });
      // crashprobe runs as nobody when started by root: let it reach telemd's socket.
      chmodSync(path.dirname(telemd.socketPath), 0o755);
      chmodSync(telemd.socketPath, 0o777);

      const hprobe = await runBin(HPROBE, [
        '-f',
        probeConfig(`h-${dialect}`, telemd.socketPath, collector.v2Url),
      ]);
      assert.equal(hprobe.code, 0, hprobe.stderr);
      const core = gunzipSync(readVector('crash/cores/crashme-g.core.gz'));
      const crash = await runBin(
        CRASHPROBE,
        ['-f', probeConfig(`c-${dialect}`, telemd.socketPath, collector.v2Url), ...CRASHME_G_ARGS],
        { input: core },
      );
      assert.equal(crash.code, 0, crash.stderr);

      const records = await waitForRecords(collector.url, 2);
      const byClass = new Map(records.map((r) => [r.classification, r]));
      assert.equal(byClass.get('org.clearlinux/hello/world')?.payload, 'hello\n');
      const crashRecord = byClass.get('org.clearlinux/crash/clr');
      assert.equal(crashRecord?.severity, 3);
      assert.match(crashRecord?.payload ?? '', /^Process: \/usr\/bin\/crashme-g\n/);

      const reader = await openDb(db);
      try {
        const [row] = await reader.query<{ function: string; module: string; processed: unknown }>(
          'SELECT g.function, g.module, r.processed FROM records r JOIN guilty g ON g.id = r.guilty_id WHERE r.id = $1',
          [crashRecord!.id],
        );
        assert.deepEqual(
          { ...row, processed: Boolean(row?.processed) },
          {
            function: 'item_length()',
            module: '/usr/bin/crashme-g',
            processed: true,
          },
        );
      } finally {
        await reader.close();
      }
    });
  }
});
