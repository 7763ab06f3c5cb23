// The `tidheader` config value is a whole HTTP header line that C hands to
// libcurl verbatim (spec 6.4): split it into name and value once. Pure.

export interface HeaderPair {
  readonly name: string;
  readonly value: string;
}

const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

/** `X-Telemetry-TID: <id>` -> pair; undefined when the line is not a valid header. */
export function parseTidHeader(line: string): HeaderPair | undefined {
  const colon = line.indexOf(':');
  if (colon <= 0) return undefined;
  const name = line.slice(0, colon);
  const value = line
    .slice(colon + 1)
    .replace(/^[ \t]+/, '')
    .replace(/[ \t]+$/, '');
  if (!TOKEN.test(name) || /[\x00-\x08\x0a-\x1f\x7f]/.test(value)) return undefined;
  return { name, value };
}
