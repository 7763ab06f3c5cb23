// The host-derived record headers, read exactly as the C libtelemetry does
// (spec c-client.md 3.2): DMI files, /proc/cpuinfo, os-release, uname. Every
// read is under `root` so tests (and containers) can point it at another
// tree. The quirks are kept on purpose so a TS probe and a C probe on the same
// machine send identical headers; the only departures are values C leaves
// empty (BUG-16, BUG-38), which we replace because an empty header value
// crashed the C delivery daemon.
import { machine, release } from 'node:os';
import { join } from 'node:path';
import { ErrorCodes, TelemetryError } from './errors.ts';
// node:fs through getBuiltinModule, not an ES import: see config/load.ts.
const { constants, closeSync, openSync, readFileSync, readSync } = process.getBuiltinModule('node:fs');

export interface HostFacts {
  readonly arch: string;
  readonly host_type: string;
  readonly build: string;
  readonly kernel_version: string;
  readonly system_name: string;
  readonly board_name: string;
  readonly cpu_model: string;
  readonly bios_version: string;
}

export interface ReadHostFactsOptions {
  /** Root of the machine to describe; default `/`. */
  readonly root?: string;
  /** uname() override; default os.machine() and os.release(). */
  readonly uname?: { readonly machine: string; readonly release: string };
}

const DMI_DIR = 'sys/class/dmi/id';
/** C: fgets(buf, SMALL_LINE_BUF - 1) reads at most 78 bytes of the first line. */
const DMI_READ_BYTES = 78;
/** C: fgets(buf, SMALL_LINE_BUF = 80) for cpuinfo and os-release: 79-byte chunks. */
const LINE_CHUNK_BYTES = 79;
/** C: snprintf into an 80-byte buffer. */
const MAX_SYSTEM_NAME = 79;

function errnoCode(err: unknown): string | undefined {
  return err instanceof Error && 'code' in err && typeof err.code === 'string' ? err.code : undefined;
}

/**
 * The pieces fgets(buf, size) would return one after another: up to
 * size-1 bytes, ending after a newline if one comes first.
 */
export function fgetsChunks(text: string, size: number): string[] {
  const chunks: string[] = [];
  let at = 0;
  while (at < text.length) {
    const nl = text.indexOf('\n', at);
    const end = Math.min(nl < 0 ? text.length : nl + 1, at + size - 1);
    chunks.push(text.slice(at, end));
    at = end;
  }
  return chunks;
}

/** C get_dmi_value() given the bytes fgets read (null if fopen failed). */
export function dmiValue(firstBytes: string | null, key: string): string {
  if (firstBytes === null) return `no_${key}_file`;
  let line = fgetsChunks(firstBytes, DMI_READ_BYTES + 1)[0] ?? '';
  const nul = line.indexOf('\0');
  if (nul >= 0) line = line.slice(0, nul);
  // The last character is dropped whatever it is (assumed to be the newline).
  if (line.length > 0) line = line.slice(0, -1);
  if (line === '' || /^ +$/.test(line)) return 'blank';
  return line;
}

function readDmi(root: string, file: string, key: string): string {
  let fd: number;
  try {
    fd = openSync(join(root, DMI_DIR, file), 'r');
  } catch {
    return dmiValue(null, key);
  }
  try {
    const buf = Buffer.alloc(DMI_READ_BYTES);
    const bytesRead = readSync(fd, buf, 0, DMI_READ_BYTES, 0);
    return dmiValue(buf.toString('latin1', 0, bytesRead), key);
  } catch {
    // fopen succeeded but fgets failed (a directory): C sees an empty read.
    return dmiValue('', key);
  } finally {
    closeSync(fd);
  }
}

/** C set_cpu_model_header() on the text of /proc/cpuinfo. */
export function cpuModelFromCpuinfo(text: string): string {
  for (const chunk of fgetsChunks(text, LINE_CHUNK_BYTES + 1)) {
    if (!chunk.startsWith('model name')) continue;
    const colon = chunk.indexOf(':');
    if (colon < 0) return 'blank';
    const fromColon = chunk.slice(colon);
    if (fromColon.length <= 2) return 'blank';
    // Skip ": ", drop the last character (the newline, or a real one if the line was cut).
    const value = fromColon.slice(2, -1);
    // C emits an empty value for `model name\t: \n` (BUG-16); an empty header crashed telempostd.
    return value === '' ? 'blank' : value;
  }
  return 'blank';
}

/** sscanf(chunk, "<KEY>=%s"): the first whitespace-free token after the key, or null. */
function scanKey(chunk: string, key: string): string | null {
  if (!chunk.startsWith(`${key}=`)) return null;
  const match = /^[ \t\n\v\f\r]*([^ \t\n\v\f\r]+)/.exec(chunk.slice(key.length + 1));
  return match?.[1] ?? null;
}

function firstValue(text: string, key: string): string | null {
  for (const chunk of fgetsChunks(text, LINE_CHUNK_BYTES + 1)) {
    const value = scanKey(chunk, key);
    if (value !== null) return value;
  }
  return null;
}

/** C set_system_build_header(): raw VERSION_ID (quotes kept), else `0`. */
export function buildFromOsRelease(text: string | null): string {
  if (text === null) return '0';
  return firstValue(text, 'VERSION_ID') ?? '0';
}

/** C set_system_name_header(): ID[_VARIANT_ID], else `unknown`. */
export function systemNameFromOsRelease(text: string | null): string {
  // C emits an empty value when no os-release can be opened (BUG-38); we say `unknown`.
  if (text === null) return 'unknown';
  const id = firstValue(text, 'ID') ?? 'unknown';
  const variant = firstValue(text, 'VARIANT_ID');
  const name = variant === null ? id : `${id}_${variant}`;
  return name.slice(0, MAX_SYSTEM_NAME);
}

/** /etc/os-release, else /usr/lib/os-release, neither followed if a symlink (O_NOFOLLOW). */
function readOsRelease(root: string): string | null {
  for (const rel of ['etc/os-release', 'usr/lib/os-release']) {
    let fd: number;
    try {
      fd = openSync(join(root, rel), constants.O_RDONLY | constants.O_NOFOLLOW);
    } catch {
      continue;
    }
    try {
      return readFileSync(fd, 'latin1');
    } catch {
      // Opened but unreadable (a directory): C's fgets loop finds nothing.
      return '';
    } finally {
      closeSync(fd);
    }
  }
  return null;
}

function readCpuinfo(root: string): string {
  const path = join(root, 'proc/cpuinfo');
  try {
    return readFileSync(path, 'latin1');
  } catch (err) {
    // C fails tm_create_record() here (returning -1, BUG-41); we fail with a reason.
    throw new TelemetryError(
      ErrorCodes.TELEM_HOST_FACTS,
      `cannot read ${path} (${errnoCode(err) ?? String(err)})`,
      { cause: err },
    );
  }
}

/**
 * Read the eight host-derived header values of a record. The reads are synchronous on purpose:
 * eight small files under /sys, /proc and /etc take ~0.1 ms that way, and 1.3-1.6 ms as
 * fs/promises calls (each two to four thread-pool round trips), a probe's whole record.
 */
export async function readHostFacts(options: ReadHostFactsOptions = {}): Promise<HostFacts> {
  return readHostFactsSync(options);
}

/** readHostFacts() for code that cannot wait: a crash handler on a dying process. */
export function readHostFactsSync(options: ReadHostFactsOptions = {}): HostFacts {
  const root = options.root ?? '/';
  const sv = readDmi(root, 'sys_vendor', 'sv');
  const pn = readDmi(root, 'product_name', 'pn');
  const pvr = readDmi(root, 'product_version', 'pvr');
  const bn = readDmi(root, 'board_name', 'bn');
  const bv = readDmi(root, 'board_vendor', 'bv');
  // C passes the key `bv` for the BIOS file too, so a missing one reads `no_bv_file`.
  const bios = readDmi(root, 'bios_version', 'bv');
  const cpuinfo = readCpuinfo(root);
  const osRelease = readOsRelease(root);
  const uname = options.uname ?? { machine: machine(), release: release() };
  return {
    arch: uname.machine === '' ? 'unknown' : uname.machine,
    host_type: `${sv}|${pn}|${pvr}`,
    build: buildFromOsRelease(osRelease),
    kernel_version: uname.release === '' ? 'unknown' : uname.release,
    system_name: systemNameFromOsRelease(osRelease),
    board_name: `${bn}|${bv}`,
    cpu_model: cpuModelFromCpuinfo(cpuinfo),
    bios_version: bios,
  };
}
