// The CSV export rows as upstream writes them: every value quoted with `"` doubled,
// the row then Python-`unicode-escape`d (so a row is one line of printable ASCII).

export const CSV_HEADER = 'id,external,server_timestamp,severity,classification,build,machine_id,payload\n';
export const INLINE_LIMIT = 10000;

export interface CsvRecord {
  id: unknown;
  external: unknown;
  timestamp_server: unknown;
  severity: unknown;
  classification: unknown;
  build: unknown;
  machine_id: unknown;
  payload: unknown;
}

function hex(n: number, width: number): string {
  return n.toString(16).padStart(width, '0');
}

/** Python's `str.encode('unicode-escape')`, as text. */
export function unicodeEscape(s: string): string {
  let out = '';
  for (const ch of s) {
    const c = ch.codePointAt(0) ?? 0;
    if (ch === '\\') out += '\\\\';
    else if (ch === '\n') out += '\\n';
    else if (ch === '\r') out += '\\r';
    else if (ch === '\t') out += '\\t';
    else if (c >= 0x20 && c < 0x7f) out += ch;
    else if (c <= 0xff) out += `\\x${hex(c, 2)}`;
    else if (c <= 0xffff) out += `\\u${hex(c, 4)}`;
    else out += `\\U${hex(c, 8)}`;
  }
  return out;
}

function pyStr(v: unknown): string {
  if (v === null || v === undefined) return 'None';
  if (typeof v === 'boolean') return v ? 'True' : 'False';
  return String(v);
}

export function csvRow(r: CsvRecord): string {
  const external = r.external === null || r.external === undefined ? null : Boolean(r.external);
  const values = [
    r.id,
    external,
    r.timestamp_server,
    r.severity,
    r.classification,
    r.build,
    r.machine_id,
    r.payload,
  ];
  return `${unicodeEscape(values.map((v) => `"${pyStr(v).replace(/"/g, '""')}"`).join(','))}\n`;
}
