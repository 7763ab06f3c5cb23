// What the OTLP outbox (outbox.ts) must let go of, oldest first, so that a
// receiver down for weeks cannot fill the disk: records past record_expiry,
// then the oldest past otlp_spool_max_files / otlp_spool_max_size. Pure.

/** Negative = unlimited, as the config keys say. */
export interface OutboxBound {
  readonly files: number;
  readonly bytes: number;
  /** record_expiry in ms; negative = never. */
  readonly expiryMs: number;
}

export interface OutboxItem {
  readonly name: string;
  readonly bytes: number;
}

export type OutboxDropReason = 'otlp_evicted' | 'otlp_expired' | 'otlp_too_large';

const KEPT_AT = /^(\d{15})-/;

/** When the outbox took the record: the name's leading ms (outbox.ts names them so); NaN if not one of ours. */
export function keptAt(name: string): number {
  const m = KEPT_AT.exec(name);
  return m ? Number(m[1]) : Number.NaN;
}

/** A record bigger than the whole byte bound would evict everything else: it is not kept. */
export function tooLarge(bytes: number, bound: OutboxBound): boolean {
  return bound.bytes >= 0 && bytes > bound.bytes;
}

/** The leading items (sorted oldest first) older than the expiry at `now`. */
export function expiredItems(items: readonly OutboxItem[], bound: OutboxBound, now: number): OutboxItem[] {
  if (bound.expiryMs < 0) return [];
  const out: OutboxItem[] = [];
  for (const item of items) {
    if (!(now - keptAt(item.name) > bound.expiryMs)) break;
    out.push(item);
  }
  return out;
}

/** The oldest items to evict so that `items` (sorted oldest first) fit the file and byte bounds. */
export function overBound(items: readonly OutboxItem[], bound: OutboxBound): OutboxItem[] {
  const files = bound.files < 0 ? Number.POSITIVE_INFINITY : bound.files;
  const bytes = bound.bytes < 0 ? Number.POSITIVE_INFINITY : bound.bytes;
  let total = items.reduce((s, i) => s + i.bytes, 0);
  let count = items.length;
  const out: OutboxItem[] = [];
  for (const item of items) {
    if (count <= files && total <= bytes) break;
    out.push(item);
    count--;
    total -= item.bytes;
  }
  return out;
}
