// The few Python 3.11 behaviours the upstream collector's answers depend on
// (collector.md §4.2, §4.6): str.isdigit, int() and its error text, repr()
// inside that text, and Flask's jsonify (sorted keys, compact, ensure_ascii).
// Header values are Latin-1 strings (WSGI), so the tables cover U+0000..U+00FF
// exactly and approximate beyond that (only JSON bodies reach there). [pure]

/** Python's `str.isdigit()`: non-empty, every char a digit; in Latin-1 that includes ¹ ² ³. */
export function pyIsDigit(value: string): boolean {
  return /^[0-9\u00b2\u00b3\u00b9]+$/.test(value);
}

/** ASCII digits only: what the reference collector requires before turning a value into a number. */
export function isAsciiDigits(value: string): boolean {
  return /^[0-9]+$/.test(value);
}

// Python's str.isspace() over Latin-1, which int() strips around the literal.
const PY_SPACE = '\\t\\n\\x0b\\x0c\\r\\x1c-\\x1f \\x85\\xa0';
const PY_INT_RE = new RegExp(`^[${PY_SPACE}]*([+-]?)([0-9]+(?:_[0-9]+)*)[${PY_SPACE}]*$`);
const PY_INT_MAX_STR_DIGITS = 4300;

function pyIsPrintable(code: number): boolean {
  if (code < 0x20 || code === 0x7f) return false;
  if (code >= 0x80 && code <= 0xa0) return false;
  if (code === 0xad) return false;
  // Beyond Latin-1 assume printable except surrogates and line/paragraph separators.
  if (code >= 0xd800 && code <= 0xdfff) return false;
  return code !== 0x2028 && code !== 0x2029;
}

/** Python's `repr(str)`. */
export function pyRepr(value: string): string {
  const quote = value.includes("'") && !value.includes('"') ? '"' : "'";
  let out = quote;
  for (const ch of value) {
    const code = ch.codePointAt(0)!;
    if (ch === quote || ch === '\\') out += `\\${ch}`;
    else if (ch === '\t') out += '\\t';
    else if (ch === '\n') out += '\\n';
    else if (ch === '\r') out += '\\r';
    else if (pyIsPrintable(code)) out += ch;
    else if (code <= 0xff) out += `\\x${code.toString(16).padStart(2, '0')}`;
    else if (code <= 0xffff) out += `\\u${code.toString(16).padStart(4, '0')}`;
    else out += `\\U${code.toString(16).padStart(8, '0')}`;
  }
  return out + quote;
}

export type PyIntResult = { ok: true; value: bigint } | { ok: false; error: string };

/** Python's `int(value)` for a str, base 10, with the ValueError text of 3.11. */
export function pyInt(value: string): PyIntResult {
  const m = PY_INT_RE.exec(value);
  if (!m) {
    // CPython formats the literal with %.200R: the repr cut at 200 characters.
    return { ok: false, error: `invalid literal for int() with base 10: ${pyRepr(value).slice(0, 200)}` };
  }
  const digits = m[2]!.replaceAll('_', '');
  if (digits.length > PY_INT_MAX_STR_DIGITS) {
    return {
      ok: false,
      error:
        `Exceeds the limit (${PY_INT_MAX_STR_DIGITS} digits) for integer string conversion: ` +
        `value has ${digits.length} digits; use sys.set_int_max_str_digits() to increase the limit`,
    };
  }
  const magnitude = BigInt(digits);
  return { ok: true, value: m[1] === '-' ? -magnitude : magnitude };
}

/** Python's `string.printable`: ASCII 0x20..0x7e plus TAB, LF, VT, FF, CR. */
export function isPyPrintable(value: string): boolean {
  return /^[\x20-\x7e\t\n\x0b\x0c\r]*$/.test(value);
}

export type JsonValue =
  | string
  | number
  | boolean
  | null
  | readonly JsonValue[]
  | { readonly [k: string]: JsonValue };

/** Characters jsonify escapes; a string without any is quoted as it is (the common case). */
const NEEDS_ESCAPE = /["\\\x00-\x1f\x7f-\uffff]/;

function pyJsonString(value: string): string {
  if (!NEEDS_ESCAPE.test(value)) return `"${value}"`;
  let out = '"';
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    const ch = value[i]!;
    if (ch === '"') out += '\\"';
    else if (ch === '\\') out += '\\\\';
    else if (ch === '\n') out += '\\n';
    else if (ch === '\r') out += '\\r';
    else if (ch === '\t') out += '\\t';
    else if (ch === '\b') out += '\\b';
    else if (ch === '\f') out += '\\f';
    // ensure_ascii: everything outside space..~ as \uXXXX (UTF-16 units, lowercase hex).
    else if (c < 0x20 || c > 0x7e) out += `\\u${c.toString(16).padStart(4, '0')}`;
    else out += ch;
  }
  return out + '"';
}

/** Flask's `jsonify` in production mode: sorted keys, `,`/`:` separators, ASCII only. No trailing LF. */
export function pyJsonDumps(value: JsonValue): string {
  if (value === null) return 'null';
  if (typeof value === 'string') return pyJsonString(value);
  if (typeof value === 'number') return Number.isInteger(value) ? String(value) : JSON.stringify(value);
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  if (Array.isArray(value)) return `[${value.map((v: JsonValue) => pyJsonDumps(v)).join(',')}]`;
  const obj = value as { readonly [k: string]: JsonValue };
  const keys = Object.keys(obj).sort();
  return `{${keys.map((k) => `${pyJsonString(k)}:${pyJsonDumps(obj[k]!)}`).join(',')}}`;
}
