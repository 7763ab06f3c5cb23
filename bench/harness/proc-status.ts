// Resident memory and CPU time of a live process from /proc (Linux only).
import { readdirSync, readFileSync } from 'node:fs';

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

/** Where a process's resident memory is, MiB: anonymous (heaps, buffers, malloc), file-backed
 * (the node binary's and libraries' pages it touched), and its thread count. */
export interface MemoryBreakdown {
  readonly anonMiB: number;
  readonly fileMiB: number;
  readonly threads: number;
}

export function readMemoryBreakdown(pid: number): MemoryBreakdown | null {
  let status: string;
  try {
    status = readFileSync(`/proc/${pid}/status`, 'utf8');
  } catch {
    return null;
  }
  const anon = kib(status, 'RssAnon');
  const file = kib(status, 'RssFile');
  const threads = /^Threads:\s+(\d+)$/m.exec(status)?.[1];
  if (anon === null || file === null || threads === undefined) return null;
  return { anonMiB: anon / 1024, fileMiB: file / 1024, threads: Number(threads) };
}

/**
 * CPU time the process has used so far, all threads (V8's compiler and GC helpers included), in ms,
 * from /proc/<pid>/task/<tid>/schedstat (ns on the CPU). Unlike wall time it barely moves with the
 * load of a shared machine. null when the process is gone.
 */
export function readCpuMs(pid: number): number | null {
  let tids: string[];
  try {
    tids = readdirSync(`/proc/${pid}/task`);
  } catch {
    return null;
  }
  let ns = 0;
  for (const tid of tids) {
    try {
      ns += Number(readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').split(' ')[0]);
    } catch {
      // the thread ended in between: its time is lost, a few microseconds at most
    }
  }
  return ns / 1e6;
}
