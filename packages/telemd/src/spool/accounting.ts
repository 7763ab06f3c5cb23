// What the store knows of its directory: name -> size and mtime, their sum (checked against
// spool_max_size), and the order of our own writes whose mtimes tie (file timestamps are
// coarse, ~4 ms). Scans reconcile it with the directory, where others (a C telemprobd, an
// operator) may add or remove files. Pure bookkeeping: no I/O.
import type { ScannedEntry } from './scan.ts';

export interface SpoolEntry {
  readonly name: string;
  readonly bytes: number;
  readonly mtimeMs: number;
}

export interface SpoolAccounting {
  /** Sum of the sizes of the known records. */
  readonly used: number;
  readonly files: number;
  has(name: string): boolean;
  account(entry: SpoolEntry): void;
  unaccount(name: string): void;
  /** A new scan generation: names added from now on are not taken as removed by it. */
  nextGeneration(): number;
  /** Take in what a scan of generation `scanGen` saw; known names it did not see were removed. */
  reconcile(entries: readonly ScannedEntry[], scanGen: number): void;
  /** Write order of a known name (unknown: last). */
  order(name: string): number;
}

export function createSpoolAccounting(): SpoolAccounting {
  // `gen` is the scan generation when an entry was added; `seq` orders our own writes.
  const index = new Map<string, SpoolEntry & { gen: number; seq: number }>();
  let seq = 0;
  let used = 0;
  let generation = 0;
  function account(entry: SpoolEntry): void {
    const old = index.get(entry.name);
    if (old) used -= old.bytes;
    index.set(entry.name, { ...entry, gen: generation, seq: old?.seq ?? seq++ });
    used += entry.bytes;
  }
  function unaccount(name: string): void {
    const old = index.get(name);
    if (old) {
      used -= old.bytes;
      index.delete(name);
    }
  }
  return {
    get used() {
      return used;
    },
    get files() {
      return index.size;
    },
    has: (name) => index.has(name),
    account,
    unaccount,
    nextGeneration: () => ++generation,
    reconcile(entries, scanGen) {
      const seen = new Set<string>();
      for (const e of entries) {
        seen.add(e.name);
        if (e.type !== 'file') continue;
        const known = index.get(e.name);
        if (!known || known.bytes !== e.bytes || known.mtimeMs !== e.mtimeMs) {
          account({ name: e.name, bytes: e.bytes, mtimeMs: e.mtimeMs });
        }
      }
      // Known names the scan did not see, and that existed before it started, were removed by others.
      for (const [name, e] of index) if (!seen.has(name) && e.gen < scanGen) unaccount(name);
    },
    order: (name) => index.get(name)?.seq ?? Number.MAX_SAFE_INTEGER,
  };
}
