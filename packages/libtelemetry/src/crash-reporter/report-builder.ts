// Turns an error into the frame telemd takes: the payload (payload.ts), the
// record headers (createRecord with this machine's facts) and the wire
// encoding. Synchronous, for the crash handler; the facts and the resource
// are read at the first report and kept.
import type { TelemetryConfig } from '../config/types.ts';
import { type HostFacts, readHostFactsSync } from '../host-facts.ts';
import { randomBytes } from '../random.ts';
import { createRecord } from '../record.ts';
import { encodeFrame } from '../wire/frame.ts';
import {
  CRASH_KINDS,
  CRASH_PAYLOAD_FORMAT_VERSION,
  type CrashContext,
  type CrashErrorInfo,
  type CrashKind,
  type CrashResource,
  encodeCrashPayload,
} from './payload.ts';
import { readCrashResource } from './resource.ts';

export interface ReportSource {
  readonly serviceName: string;
  readonly appVersion: string;
  readonly source: string;
  readonly context: CrashContext;
  readonly config: TelemetryConfig;
  /** Absolute config file the caller named: frames carry it as CFG:. */
  readonly cfgPath: string | undefined;
}

export interface BuiltReport {
  readonly eventId: string;
  readonly frame: Buffer;
}

export interface ReportBuilder {
  build(kind: CrashKind, error: CrashErrorInfo, context?: CrashContext): BuiltReport;
}

export function createReportBuilder(source: ReportSource): ReportBuilder {
  let facts: HostFacts | undefined;
  let resource: CrashResource | undefined;
  return {
    build(kind, error, context = {}) {
      facts ??= readHostFactsSync({ root: source.config.host_root });
      resource ??= readCrashResource({ ...source, root: source.config.host_root });
      const payload = encodeCrashPayload({
        kind,
        error,
        context: { ...source.context, ...context },
        resource,
        process: { pid: process.pid, node: process.version, uptimeMs: Math.round(process.uptime() * 1000) },
      });
      const record = createRecord({
        ...CRASH_KINDS[kind],
        payloadFormatVersion: CRASH_PAYLOAD_FORMAT_VERSION,
        payload,
        facts,
        now: Date.now(),
        random: (n) => randomBytes(n),
      });
      const frame = encodeFrame({
        headers: record.headers,
        payload: record.payload,
        cfgPath: source.cfgPath,
      });
      return { eventId: record.headers.event_id, frame };
    },
  };
}
