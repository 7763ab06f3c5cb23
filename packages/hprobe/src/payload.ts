// The hprobe payload (spec c-client.md 12.1), built in the C order:
//   hello\n [LC_ALL: <locale>\n] [uptime: <s>\n] [\nBundles (<n>):\n<name>\n...]
// Pure: the locale, uptime and bundle names are passed in.

/** The SDK's payload cap; the bundle list is cut to fit, ending in "\n...". */
export const MAX_PAYLOAD_BYTES = 8192;
const ELLIPSIS = '\n...';

export interface PayloadParts {
  readonly locale?: string | undefined;
  readonly uptimeSeconds?: number | undefined;
  readonly bundles?: readonly string[] | undefined;
}

export function buildPayload(parts: PayloadParts): string {
  let out = 'hello\n';
  if (parts.locale !== undefined) out += `LC_ALL: ${parts.locale}\n`;
  if (parts.uptimeSeconds !== undefined) out += `uptime: ${Math.floor(parts.uptimeSeconds)}\n`;
  if (parts.bundles !== undefined) {
    out += `\nBundles (${parts.bundles.length}):\n`;
    for (const name of parts.bundles) out += `${name}\n`;
  }
  // Bundle names are ASCII on Clear Linux; measure bytes anyway so the cap holds.
  if (Buffer.byteLength(out) > MAX_PAYLOAD_BYTES) {
    out =
      Buffer.from(out)
        .subarray(0, MAX_PAYLOAD_BYTES - ELLIPSIS.length)
        .toString('latin1') + ELLIPSIS;
  }
  return out;
}

/** glibc's LC_ALL composite order (setlocale(LC_ALL, NULL) when categories differ). */
const CATEGORIES = [
  'LC_CTYPE',
  'LC_NUMERIC',
  'LC_TIME',
  'LC_COLLATE',
  'LC_MONETARY',
  'LC_MESSAGES',
  'LC_PAPER',
  'LC_NAME',
  'LC_ADDRESS',
  'LC_TELEPHONE',
  'LC_MEASUREMENT',
  'LC_IDENTIFICATION',
] as const;

/**
 * What setlocale(LC_ALL, "") then setlocale(LC_ALL, NULL) reports, from the
 * environment: LC_ALL, else LC_<category>, else LANG, else C (empty values
 * count as unset; POSIX reads C). When the categories differ glibc reports
 * the composite `LC_CTYPE=..;LC_NUMERIC=..;...`. Not modelled: a locale that
 * is not installed makes the C setlocale() fail and report C.
 */
export function localeFromEnv(env: Readonly<Record<string, string | undefined>>): string {
  const get = (name: string): string | undefined => {
    const value = env[name];
    return value === undefined || value === '' ? undefined : value;
  };
  const names = CATEGORIES.map((cat) => {
    const name = get('LC_ALL') ?? get(cat) ?? get('LANG') ?? 'C';
    return name === 'POSIX' ? 'C' : name;
  });
  if (names.every((n) => n === names[0])) return names[0] ?? 'C';
  return CATEGORIES.map((cat, i) => `${cat}=${names[i]}`).join(';');
}

/** scandir(dir, !'.'-prefixed, alphasort) in the C locale: byte order. */
export function sortBundleNames(entries: readonly string[]): string[] {
  return entries
    .filter((name) => !name.startsWith('.'))
    .sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
}
