// What becomes of a spooled record that will not be delivered, said once for both paths that
// meet it: the pipeline's first attempt and the drainer's retries. Each fate removes or moves
// the file, counts it, journals it in the .dropped side file and logs it, so the two paths
// cannot drift apart in what an administrator sees.
import type { Logger } from '@telemetrics/libtelemetry/log';
import type { DeliveryOutcome } from '../deliver/sink.ts';
import type { RecordFateJournal } from './journal-hook.ts';
import type { Metrics } from '../observe/metrics.ts';
import type { TelemRecord } from '../record.ts';
import { type Quarantine, quarantineEntry } from './quarantine.ts';
import type { SpoolStore } from '../spool/store.ts';

export interface RecordFateDeps {
  readonly store: SpoolStore;
  readonly quarantine: Quarantine;
  readonly metrics: Metrics;
  readonly logger: Logger;
  readonly journal?: RecordFateJournal | undefined;
}

/** rate_limit_strategy=drop and the limiter said no: the record is deleted unsent. */
export async function dropRateLimited(
  deps: RecordFateDeps,
  name: string,
  record: TelemRecord,
  limit: 'records' | 'bytes',
): Promise<void> {
  await deps.store.remove(name);
  deps.metrics.dropped('rate_limited', { name, limit });
  void deps.journal?.recordDropped(record, 'rate_limited');
  deps.logger.log('notice', 'record dropped by rate limit', {
    name,
    classification: record.headers.classification,
    limit,
  });
}

/** The collector refused the record for good (4xx but 408/429): quarantined with its answer. */
export async function rejectPermanently(
  deps: RecordFateDeps,
  name: string,
  record: TelemRecord,
  outcome: Extract<DeliveryOutcome, { kind: 'permanent' }>,
): Promise<void> {
  await quarantineEntry(deps, name, { reason: 'permanent', detail: outcome.reason, status: outcome.status });
  void deps.journal?.recordDropped(record, `rejected_${outcome.status}`);
}
