// The telemetrics-backend collector's record validation, as a reference
// collector should do it (shared/spec/collector.md §2, §4.2–§4.6, §4.8, §11).
// Same checks, order and messages as upstream; where upstream answers HTML 500
// we answer 400 with a message instead, and nothing answers 2xx unless the
// record is complete and storable (no B1/B8 500-after-commit). [pure]
//
// Deviations from upstream, each deliberate (the vectors that show upstream's
// answer are validation/12, 47, 48, 49):
// - A missing System-Name or Build after step 3 (version 1, or `04`): 400
//   `Record-Format-Version headers are invalid, <Name> missing`.
// - A numeric field spelled with non-ASCII digits (`²`) that Python's isdigit
//   accepts and int() then rejects: 400 with that step's message.
// - Creation-Timestamp above 253402300799 (9999-12-31 23:59:59 UTC): 400
//   `timestamp is invalid` (upstream stores it and then answers 500).
// - Payload-Format-Version that int() accepts but PostgreSQL's integer input
//   does not (`1_0`, Python-only whitespace): 400 `Error parsing
//   payload_format_version, invalid input syntax for type integer: "1_0"`;
//   below -2147483648: 400 `Payload format version outside of range supported`.
// - A NUL character in any stored text: 400 `<Field> contains a NUL character`
//   (`Payload contains a NUL character` for the body).
import { isAsciiDigits, isPyPrintable, pyInt, pyIsDigit, pyJsonDumps } from './py-compat.ts';

/** The collector's default TID (`TELEMETRY_ID` in config.py; Clear Linux's). */
export const DEFAULT_TID = '6907c830-eed9-4ce9-81ae-76daf8d88f0f';

/** §4.2 step 8, exact and case-sensitive. */
export const ALLOWED_ARCHES: readonly string[] = [
  'armv7l',
  'armv6l',
  'aarch64',
  'amd64',
  'sparc64',
  'ppc64',
  'i686',
  'i386',
  'x86_64',
  'ppc',
];

/** §4.3 presence lists, looked up by the exact version string. */
const V1 = [
  'Arch',
  'Build',
  'Creation-Timestamp',
  'Classification',
  'Host-Type',
  'Kernel-Version',
  'Machine-Id',
  'Severity',
  'Record-Format-Version',
];
const V2 = [...V1, 'Payload-Format-Version', 'System-Name', 'X-Telemetry-Tid'];
const V3 = [...V2, 'Board-Name', 'Bios-Version', 'Cpu-Model'];
const V4 = [...V3, 'Event-Id'];
export const REQUIRED_HEADERS: Readonly<Record<string, readonly string[]>> = {
  '1': V1,
  '2': V2,
  '3': V3,
  '4': V4,
};

/** Latest creation timestamp we accept: its date still formats as `YYYY-...` (fix for B1/validation/48). */
export const MAX_CREATION_TIMESTAMP = 253402300799;
const PG_INT4_MIN = -2147483648n;
const PY_INT_LIMIT = 2147483647n;

/** A record as stored: the 201 JSON's fields, plus the columns the JSON leaves out. */
export interface ValidatedRecord {
  readonly arch: string;
  readonly bios_version: string;
  readonly board_name: string;
  readonly build: string;
  readonly classification: string;
  readonly cpu_model: string;
  readonly event_id: string;
  readonly external: boolean;
  readonly kernel_version: string;
  readonly machine_id: string;
  /** The `Host-Type` header. */
  readonly machine_type: string;
  readonly payload: string;
  readonly record_version: number;
  readonly severity: number;
  /** Not in the JSON; `Payload-Format-Version`. */
  readonly payload_version: number;
  /** Not in the JSON; quotes removed. */
  readonly system_name: string;
  /** `Creation-Timestamp`, seconds. The JSON shows it as `ts_capture`. */
  readonly timestamp_client: number;
}

/** One request as the validator sees it. Header names and values as received (Latin-1 strings). */
export interface PostInput {
  /** `[name, value]` pairs in arrival order (`req.rawHeaders` paired up). */
  readonly headers: readonly (readonly [string, string])[];
  readonly body: Uint8Array;
}

export interface ValidateOptions {
  /** The TID the collector expects (default DEFAULT_TID). */
  readonly tid?: string;
  /** The id the record gets if it is accepted. */
  readonly id: number;
  /** Server receipt time in seconds (float), becomes `ts_reception`. */
  readonly nowSec: number;
}

export interface ValidationResult {
  readonly status: 201 | 400;
  /** The response body: the record JSON (201) or `{"message":…}` (400), LF-terminated. */
  readonly body: string;
  /** Set when status is 201. */
  readonly record?: ValidatedRecord;
  /** The 400 message, for logs and tests. */
  readonly message?: string;
}

/** §2: lower-case, `_` as `-`; duplicates joined with `,` (WSGI folding, B7). */
export function normalizeHeaders(headers: readonly (readonly [string, string])[]): Map<string, string> {
  const map = new Map<string, string>();
  for (const [name, value] of headers) {
    const key = normalizeName(name);
    const prev = map.get(key);
    map.set(key, prev === undefined ? value : `${prev},${value}`);
  }
  return map;
}

export function normalizeName(name: string): string {
  return name.toLowerCase().replaceAll('_', '-');
}

/** `YYYY-MM-DD HH:MM:SS UTC` from the integer part of a seconds value (§4.6). */
export function formatTimestamp(seconds: number): string {
  const iso = new Date(Math.floor(seconds) * 1000).toISOString();
  return `${iso.slice(0, 10)} ${iso.slice(11, 19)} UTC`;
}

/** The 201/`/api/records` JSON object of a stored record (§4.6), keys as upstream names them. */
export function recordJson(
  record: ValidatedRecord,
  id: number,
  timestampServer: number,
): Record<string, string | number | boolean> {
  return {
    arch: record.arch,
    bios_version: record.bios_version,
    board_name: record.board_name,
    build: record.build,
    classification: record.classification,
    cpu_model: record.cpu_model,
    event_id: record.event_id,
    external: record.external,
    id,
    kernel_version: record.kernel_version,
    machine_id: record.machine_id,
    machine_type: record.machine_type,
    payload: record.payload,
    record_version: record.record_version,
    severity: record.severity,
    ts_capture: formatTimestamp(record.timestamp_client),
    ts_reception: formatTimestamp(timestampServer),
  };
}

export function messageBody(message: string): string {
  return `${pyJsonDumps({ message })}\n`;
}

const FORM_TYPES = new Set(['application/x-www-form-urlencoded', 'multipart/form-data']);

function isFormContentType(value: string | undefined): boolean {
  if (value === undefined) return false;
  return FORM_TYPES.has((value.split(';')[0] ?? '').trim().toLowerCase());
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** §4.2 step 17: UTF-8, else Latin-1 (which takes every byte as U+0000..U+00FF). */
export function decodeBody(body: Uint8Array): string {
  try {
    return utf8.decode(body);
  } catch {
    // TextDecoder('latin1') is windows-1252 per WHATWG; Python's Latin-1 maps each byte to U+00XX.
    let out = '';
    for (const b of body) out += String.fromCharCode(b);
    return out;
  }
}

const stripQuotes = (v: string): string => v.replaceAll('"', '').replaceAll("'", '');

const LOWER_NAMES = new Map<string, string>();

/** A canonical header name's lookup key, computed once per name (the validator asks ~20 per record). */
function lowerName(canonical: string): string {
  let lower = LOWER_NAMES.get(canonical);
  if (lower === undefined) {
    lower = canonical.toLowerCase();
    LOWER_NAMES.set(canonical, lower);
  }
  return lower;
}

/** Validates the v2 "headers" request (POST /v2/collector or /). */
export function validateV2(input: PostInput, opts: ValidateOptions): ValidationResult {
  const headers = normalizeHeaders(input.headers);
  const payload = isFormContentType(headers.get('content-type')) ? '' : decodeBody(input.body);
  return validateFields(headers, payload, opts);
}

/**
 * Validates the 2.4.x JSON request (POST /v3/collector, §4.8): each key of the
 * object becomes a header of that name (so the same §2 folding applies), the
 * `payload` key is the payload, and the TID still comes from the HTTP header.
 */
export function validateV3(input: PostInput, opts: ValidateOptions): ValidationResult {
  let parsed: unknown;
  try {
    parsed = JSON.parse(utf8.decode(input.body));
  } catch {
    return reject('JSON body is invalid');
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    return reject('JSON body is invalid');
  }
  const fields: [string, string][] = [];
  let payload = '';
  for (const [key, value] of Object.entries(parsed)) {
    if (typeof value !== 'string') return reject(`JSON value of ${key} is not a string`);
    if (key === 'payload') payload = value;
    else fields.push([key, value]);
  }
  const headers = normalizeHeaders(input.headers);
  const fromJson = normalizeHeaders(fields);
  for (const [key, value] of fromJson) headers.set(key, value);
  return validateFields(headers, payload, opts);
}

export function reject(message: string): ValidationResult {
  return { status: 400, body: messageBody(message), message };
}

/** §4.2 on already-normalised fields (the v2 headers, the v3 JSON keys, a batch record's headers). */
export function validateFields(
  h: Map<string, string>,
  payload: string,
  opts: ValidateOptions,
): ValidationResult {
  const get = (canonical: string): string | undefined => h.get(lowerName(canonical));

  // 1
  if (get('X-Telemetry-TID') !== (opts.tid ?? DEFAULT_TID)) return reject('Telemetry ID mismatch');
  // 2
  const version = get('Record-Format-Version');
  if (version === undefined || !isAsciiDigits(version)) return reject('Record-Format-Version is invalid');
  const versionNumber = Number(version);
  if (![1, 2, 3, 4].includes(versionNumber)) return reject('Record-Format-Version is invalid');
  // 3
  const required = Object.hasOwn(REQUIRED_HEADERS, version) ? REQUIRED_HEADERS[version] : undefined;
  for (const name of required ?? []) {
    if (get(name) === undefined) return reject(`Record-Format-Version headers are invalid, ${name} missing`);
  }
  // 4
  const severity = get('Severity');
  if (severity === undefined || !isAsciiDigits(severity) || Number(severity) < 1 || Number(severity) > 4) {
    return reject('severity value is out of range');
  }
  // 5
  const classification = get('Classification');
  if (classification === undefined || classification.split('/').length !== 3) {
    return reject('Classification value is invalid');
  }
  // 6
  const machineId = get('Machine-Id');
  if (machineId === undefined || machineId.length > 32) return reject('Machine id value is invalid');
  // 7
  const timestamp = get('Creation-Timestamp');
  if (timestamp === undefined || !isAsciiDigits(timestamp) || Number(timestamp) > MAX_CREATION_TIMESTAMP) {
    return reject('timestamp is invalid');
  }
  // 8
  const arch = get('Arch');
  if (arch === undefined || !ALLOWED_ARCHES.includes(arch)) return reject('architecture is invalid');
  // 9
  const hostType = get('Host-Type');
  if (hostType === undefined || hostType.length >= 250) return reject('host type is invalid');
  // 10
  const kernel = get('Kernel-Version');
  const kparts = kernel?.split('.') ?? [];
  if (kernel === undefined || kparts.length < 3 || !pyIsDigit(kparts[0]!) || !pyIsDigit(kparts[1]!)) {
    return reject('kernel version is invalid');
  }
  // 11: the gate compares the version *string* (B4).
  let boardName = 'N/A';
  let cpuModel = 'N/A';
  let biosVersion = 'N/A';
  if (version >= '3') {
    const dmi = (name: string, message: string): string | ValidationResult => {
      const v = get(name);
      if (v === undefined || v.length >= 200 || !isPyPrintable(v)) return reject(message);
      return v;
    };
    const b = dmi('Board-Name', 'board name is invalid');
    if (typeof b !== 'string') return b;
    const c = dmi('Cpu-Model', 'cpu model is invalid');
    if (typeof c !== 'string') return c;
    const v = dmi('Bios-Version', 'BIOS version is invalid');
    if (typeof v !== 'string') return v;
    boardName = b;
    cpuModel = c;
    biosVersion = v;
  }
  // 12
  let eventId = 'N/A';
  if (version >= '4') {
    const e = get('Event-Id');
    if (e === undefined || !/^[0-9a-f]{32}$/.test(e)) return reject('Event id is invalid');
    eventId = e;
  }
  // 13: upstream dereferences a missing System-Name (HTML 500, validation/12).
  const systemNameRaw = get('System-Name');
  if (systemNameRaw === undefined)
    return reject('Record-Format-Version headers are invalid, System-Name missing');
  const systemName = stripQuotes(systemNameRaw);
  // 14
  const buildRaw = get('Build');
  if (buildRaw === undefined) return reject('Record-Format-Version headers are invalid, Build missing');
  const build = stripQuotes(buildRaw);
  if (systemName === 'clear-linux-os') {
    if (!/^[0-9]+$/.test(build)) return reject('Clear Linux OS build version has invalid characters');
  } else if (!/^[-_.A-Za-z0-9]+$/.test(build)) {
    return reject('Build version has invalid characters');
  }
  // 15
  const pfv = get('Payload-Format-Version');
  if (pfv === undefined) {
    return reject(
      "Error parsing payload_format_version, int() argument must be a string, a bytes-like object or a real number, not 'NoneType'",
    );
  }
  const parsed = pyInt(pfv);
  if (!parsed.ok) return reject(`Error parsing payload_format_version, ${parsed.error}`);
  if (parsed.value >= PY_INT_LIMIT) return reject('Payload format version outside of range supported');
  // Upstream stores the raw string in an integer column (B8, validation/47): check what PostgreSQL would.
  if (!/^[ \t\n\r\v\f]*[+-]?[0-9]+[ \t\n\r\v\f]*$/.test(pfv)) {
    return reject(
      `Error parsing payload_format_version, invalid input syntax for type integer: ${JSON.stringify(pfv)}`,
    );
  }
  if (parsed.value < PG_INT4_MIN) return reject('Payload format version outside of range supported');
  // 16
  const external = get('X-CLR-External') === 'true';

  const record: ValidatedRecord = {
    arch,
    bios_version: biosVersion,
    board_name: boardName,
    build,
    classification,
    cpu_model: cpuModel,
    event_id: eventId,
    external,
    kernel_version: kernel,
    machine_id: machineId,
    machine_type: hostType,
    payload,
    record_version: versionNumber,
    severity: Number(severity),
    payload_version: Number(parsed.value),
    system_name: systemName,
    timestamp_client: Number(timestamp),
  };
  // 18: PostgreSQL text cannot hold NUL (B8, validation/49); refuse before storing.
  if (payload.includes('\0')) return reject('Payload contains a NUL character');
  for (const [name, value] of [
    ['Classification', classification],
    ['Machine-Id', machineId],
    ['Host-Type', hostType],
    ['Kernel-Version', kernel],
    ['System-Name', systemName],
  ] as const) {
    if (value.includes('\0')) return reject(`${name} contains a NUL character`);
  }
  // Built on first read: the HTTP layer answers with the stored id instead, and a batch answers
  // with none, so most 201 results never need it.
  let body: string | undefined;
  return {
    status: 201,
    record,
    get body() {
      body ??= `${pyJsonDumps(recordJson(record, opts.id, opts.nowSec))}\n`;
      return body;
    },
  };
}
