// Resident memory of a live process from /proc/<pid>/status (Linux only).
import { readFileSync } from 'node:fs';

export interface MemoryStatus {
  /** Current resident set, MiB. */
  readonly rssMiB: number;
  /** Peak resident set since exec (VmHWM), MiB. */
  readonly peakMiB: number;
}

function kib(status: string, field: string): number | null {
  const match = new RegExp(`^${field}:\\s+(\\d+) kB$`, 'm').exec(status);
  return match?.[1] === undefined ? null : Number(match[1]);
}

export function readMemory(pid: number): MemoryStatus | null {
  let status: string;
  try {
    status = readFileSync(`/proc/${pid}/status`, 'utf8');
  } catch {
    return null;
  }
  const rss = kib(status, 'VmRSS');
  const hwm = kib(status, 'VmHWM');
  if (rss === null || hwm === null) return null;
  return { rssMiB: rss / 1024, peakMiB: hwm / 1024 };
}
