// HTTP status -> delivery outcome, and Retry-After parsing. Pure.
// C counts only 200 and 201 as delivered (spec 6.4) and retries everything
// else until expiry (BUG-34); we keep the success set but call other 4xx and
// 3xx (C never follows redirects) permanent, except 404: a configuration fault
// (wrong server= path), retried like an outage.
import type { DeliveryOutcome } from './sink.ts';

/** Retry-After as delay-seconds or an HTTP-date, in ms from `nowMs`; undefined when absent or unparsable. */
export function parseRetryAfter(value: string | undefined, nowMs: number): number | undefined {
  if (value === undefined) return undefined;
  const text = value.trim();
  if (text === '') return undefined;
  if (/^\d+$/.test(text)) {
    const seconds = Number(text);
    return Number.isSafeInteger(seconds) ? seconds * 1000 : undefined;
  }
  // An HTTP-date names a day and month; Date.parse alone would also take "-5" as a year.
  if (!/^[A-Za-z]{3},? /.test(text)) return undefined;
  const at = Date.parse(text);
  if (Number.isNaN(at)) return undefined;
  return Math.max(0, at - nowMs);
}

export function classifyStatus(
  status: number,
  retryAfter: string | undefined,
  nowMs: number,
): DeliveryOutcome {
  if (status === 200 || status === 201) return { kind: 'delivered', status };
  if (status === 408 || status === 429 || (status >= 500 && status <= 599)) {
    const retryAfterMs = parseRetryAfter(retryAfter, nowMs);
    return retryAfterMs === undefined
      ? { kind: 'retryable', reason: `HTTP ${status}`, status }
      : { kind: 'retryable', reason: `HTTP ${status}`, status, retryAfterMs };
  }
  if (status === 404) {
    // No such path on the collector: server= names the wrong URL, not a bad record. Every record
    // would be refused alike, so they are kept and retried with backoff (http.ts says it loudly
    // once) instead of being quarantined one after another (issue 15).
    return {
      kind: 'retryable',
      reason: 'HTTP 404: the server URL path is wrong (check server=)',
      status,
      configFault: true,
    };
  }
  if (status >= 300 && status <= 399) {
    return { kind: 'permanent', reason: `HTTP ${status} (redirects are not followed)`, status };
  }
  if (status >= 400 && status <= 499) return { kind: 'permanent', reason: `HTTP ${status}`, status };
  // 1xx or 2xx other than 200/201: C counts these as failures too; a later retry may succeed.
  return { kind: 'retryable', reason: `HTTP ${status} is not 200/201`, status };
}

/**
 * What a refusing server said, for logs, quarantine notes and `telemctl status`: the
 * collector answers 4xx with `{"message": "..."}` (collector.md), which names the bad
 * header. Other bodies are reduced to printable ASCII, whitespace collapsed, cut at 200
 * characters; undefined when nothing is left.
 */
export function errorBodySummary(body: Uint8Array): string | undefined {
  const text = Buffer.from(body).toString('latin1');
  let summary = text;
  try {
    const parsed: unknown = JSON.parse(text);
    if (
      typeof parsed === 'object' &&
      parsed !== null &&
      'message' in parsed &&
      typeof parsed.message === 'string'
    ) {
      summary = parsed.message;
    }
  } catch {
    // not JSON: use the text itself
  }
  summary = summary
    .replace(/[^\x20-\x7e]+/g, ' ')
    .replace(/ {2,}/g, ' ')
    .trim();
  if (summary === '') return undefined;
  return summary.length > 200 ? `${summary.slice(0, 200)}...` : summary;
}
